/* SPDX-License-Identifier: BSD-3-Clause */
/* Test fixture: configure() refuses its options with a reason. */
#include <errno.h>
#include <stdio.h>

#include <sp_plugin.h>

static int
badconf_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
		  struct sp_plugin_config *out, char *err, size_t errlen)
{
	(void)out;
	snprintf(err, errlen, "option 'rules': cannot read '%s'",
		 n_opts > 0 ? opts[0].value : "");
	return -EINVAL;
}

static int
badconf_on_init(void *w, void *slot, const struct sp_plugin_packet *p,
		const struct sp_plugin_flow *f)
{
	(void)w;
	(void)slot;
	(void)p;
	(void)f;
	return SP_PLUGIN_CONTINUE;
}

static const struct sp_plugin badconf_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "badconf",
	.configure = badconf_configure,
	.on_init = badconf_on_init,
};
SP_PLUGIN_REGISTER(badconf_plugin)
