/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "sp_test_eal.h"

int
sp_test_eal_init(const char *name, unsigned int mem_mb)
{
	char prefix[64], mem[16];
	char *eal[] = { (char *)(uintptr_t)name, "--no-huge", "--no-pci", "--no-shconf", "-m",
			mem, "-l", "0", "--no-telemetry", "--log-level=*:error", prefix, NULL };

	snprintf(prefix, sizeof(prefix), "--file-prefix=sptest_%s_%d", name, (int)getpid());
	snprintf(mem, sizeof(mem), "%u", mem_mb);
	return rte_eal_init(RTE_DIM(eal) - 1, eal) < 0 ? -1 : 0;
}

int
sp_test_eal_cleanup(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
	return 0;
}
