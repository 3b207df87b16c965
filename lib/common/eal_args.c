/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL arguments for the common case (sp_eal_default_args()): the user gave
 * none, and streamprobe should run like any command-line tool.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "sp_common.h"

/* Allowed CPUs but `skip` (-1: none) as an EAL cpu list ("0-3,6"); *last
 * gets the highest allowed one. The list is empty when only `skip` is
 * allowed. */
static void
eal_cpu_list(char *buf, size_t len, int skip, int *last)
{
	cpu_set_t set;
	size_t used = 0;
	int c, start = -1;

	*last = 0;
	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			*last = c;
	for (c = 0; c <= CPU_SETSIZE && used < len; c++) {
		bool in = c < CPU_SETSIZE && CPU_ISSET(c, &set) && c != skip;

		if (in && start < 0)
			start = c;
		if (!in && start >= 0) {
			used += snprintf(buf + used, len - used, "%s%d", used ? "," : "", start);
			if (c - 1 > start && used < len)
				used += snprintf(buf + used, len - used, "-%d", c - 1);
			start = -1;
		}
	}
}

int
sp_eal_default_args(const struct sp_eal_defaults *d, char **eal, struct sp_eal_buf *buf)
{
	char cpus[192], others[192];
	int n = 0, last;

	eal_cpu_list(cpus, sizeof(cpus), -1, &last);
	eal_cpu_list(others, sizeof(others), last, &last);
	eal[n++] = (char *)(uintptr_t)d->prog;
	eal[n++] = "--no-huge";
	eal[n++] = "--no-pci";
	/* one process: no shared config files (each run would otherwise
	 * leave ~30 MB of fbarray files in its runtime directory) */
	eal[n++] = "--no-shconf";
	if (!d->telemetry)
		eal[n++] = "--no-telemetry";
	eal[n++] = "--log-level=*:warning";
	snprintf(buf->mem, sizeof(buf->mem), "-m%zu", d->mem_mb);
	eal[n++] = buf->mem;
	snprintf(buf->prefix, sizeof(buf->prefix), "--file-prefix=streamprobe%d", (int)getpid());
	eal[n++] = buf->prefix;
	/* One worker: it has the last CPU to itself, the main lcore (exporters,
	 * and with --dispatch the reading) gets the others. */
	if (d->n_workers == 1)
		snprintf(buf->lcores, sizeof(buf->lcores), "--lcores=0@(%s),1@%d",
			 others[0] != '\0' ? others : cpus, last);
	else
		snprintf(buf->lcores, sizeof(buf->lcores), "--lcores=0@(%s),(1-%u)@(%s)", cpus,
			 d->n_workers, cpus);
	eal[n++] = buf->lcores;
	eal[n] = NULL;
	return n;
}
