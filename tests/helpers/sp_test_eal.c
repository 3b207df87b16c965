/* SPDX-License-Identifier: BSD-3-Clause */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

#include <sp_common.h>

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
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	sp_dir_remove(dir);
	return 0;
}

char *
sp_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}
