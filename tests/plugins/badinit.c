/* SPDX-License-Identifier: BSD-3-Clause */
/* Test fixture: worker_init() fails (a per-worker resource it cannot get). */
#include <stddef.h>

#include <sp_plugin.h>

static void *
badinit_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)conf;
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return NULL;
}

static int
badinit_on_init(void *w, void *slot, const struct sp_plugin_packet *p,
		const struct sp_plugin_flow *f)
{
	(void)w;
	(void)slot;
	(void)p;
	(void)f;
	return SP_PLUGIN_CONTINUE;
}

static const struct sp_plugin badinit_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "badinit",
	.worker_init = badinit_worker_init,
	.on_init = badinit_on_init,
};
SP_PLUGIN_REGISTER(badinit_plugin)
