/* SPDX-License-Identifier: BSD-3-Clause */
/* Test fixture: a plugin built for another ABI version. */
#include <sp_plugin.h>

static int
abi_on_init(void *w, void *slot, const struct sp_plugin_packet *p, const struct sp_plugin_flow *f)
{
	(void)w;
	(void)slot;
	(void)p;
	(void)f;
	return SP_PLUGIN_CONTINUE;
}

static const struct sp_plugin abi_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION + 98,
	.name = "abi",
	.on_init = abi_on_init,
};
SP_PLUGIN_REGISTER(abi_plugin)
