/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the NIC profiles (drivers-config/) are: beside an installed binary
 * in its data directory, or in the source tree for a binary run from its
 * build directory. Decided by where the running binary is, not by which
 * directory exists: a build tree next to an older installation must not
 * read the installed profiles, nor an installed binary the source tree's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_port.h"

/* The build's settings (meson.build): the source tree's profiles, the
 * build root, and the installed profiles relative to the installed
 * binary's directory (so that an installation moved with DESTDIR or a
 * relocated prefix still finds them). */
#ifndef SP_DRIVERS_CONFIG_SRC_DIR
#error "meson.build defines SP_DRIVERS_CONFIG_SRC_DIR"
#endif

const char *
sp_port_profile_dir(char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("STREAMPROBE_DRIVERS_CONFIG");
	ssize_t n;

	if (env != NULL && *env != '\0') {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		/* no /proc: the installed location as configured */
		snprintf(buf, len, "%s", SP_DRIVERS_CONFIG_INSTALL_DIR);
		return buf;
	}
	exe[n] = '\0';
	if (strncmp(exe, SP_BUILD_ROOT "/", strlen(SP_BUILD_ROOT) + 1) == 0) {
		snprintf(buf, len, "%s", SP_DRIVERS_CONFIG_SRC_DIR);
		return buf;
	}
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(buf, len, "%s/%s", exe, SP_DRIVERS_CONFIG_REL_DIR);
	return buf;
}
