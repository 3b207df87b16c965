/* SPDX-License-Identifier: BSD-3-Clause */
/* Test fixture: a shared object without sp_plugin_entry (SP_PLUGIN_REGISTER forgotten). */
#include <sp_plugin.h>

const struct sp_plugin nosym_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "nosym",
};
