/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL's start and its runtime directory. The EAL leaves that directory
 * behind at exit (with --no-shconf: just the telemetry socket). Ours is
 * private to this run (--file-prefix with the pid) and is removed; one the
 * user named with their own EAL options is not. Its paths are kept here so
 * that a second signal can remove it with async-signal-safe calls.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>

#include "sp_common.h"

static char rundir[PATH_MAX];
static char tel_sock[PATH_MAX + 32];

int
sp_eal_init(int argc, char **argv, bool private_dir, void (*loaded)(void *), void *arg)
{
	bool hooked;
	mode_t old;
	int ret;

	/* The hook: the vdev bus's custom scan, which rte_bus_scan() runs
	 * after eal_plugins_init() and rte_eal_intr_init(), before the
	 * memory and the TSC calibration. A thread started earlier would run
	 * while the EAL dlopen()s its 128 drivers: glibc then keeps their
	 * old scope arrays (memcheck: definitely lost), and the thread takes
	 * CPU from that loading (the EAL 43 ms longer, loaded VM). */
	hooked = loaded != NULL && rte_vdev_add_custom_scan(loaded, arg) == 0;
	/* The telemetry socket takes commands: the owner's only, whatever the
	 * umask (the EAL binds it with the process's umask). */
	old = umask(S_IRWXG | S_IRWXO);
	ret = rte_eal_init(argc, argv);
	umask(old);
	/* once: a later bus scan (a device probed at run time) must not */
	if (hooked)
		rte_vdev_remove_custom_scan(loaded, arg);
	if (ret >= 0 && private_dir && strstr(rte_eal_get_runtime_dir(), "/streamprobe") != NULL) {
		snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
		snprintf(tel_sock, sizeof(tel_sock), "%s/dpdk_telemetry.v2", rundir);
	}
	return ret;
}

void
sp_runtime_dir_remove_now(void)
{
	if (rundir[0] != '\0') {
		unlink(tel_sock);
		rmdir(rundir);
	}
}

void
sp_dir_remove(const char *dir)
{
	char path[PATH_MAX + 256];
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void
sp_runtime_dir_remove(void)
{
	if (rundir[0] != '\0')
		sp_dir_remove(rundir);
}
