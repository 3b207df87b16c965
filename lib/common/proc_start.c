/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When the process started (sp_process_start_s()), for the start-up figure
 * of the exit report: main() comes after the dynamic loader has mapped and
 * relocated the libraries, which is part of what a user waits for.
 */
#include <stdio.h>
#include <time.h>

#include "sp_common.h"

double
sp_process_start_s(void)
{
	unsigned long long run_ns, wait_ns;
	double now = sp_now_s();
	struct timespec cpu;
	FILE *f;
	int n;

	/* The thread's time on a CPU and waiting for one since it was
	 * forked: before main() the only thread runs (the loader) or waits
	 * for a CPU (a loaded machine); it sleeps only on disk reads of
	 * libraries not in the page cache, which this misses. Checked against
	 * CLOCK_MONOTONIC read by a parent just before it spawned us (Python's
	 * subprocess, 8 runs on the loaded 2-vCPU VM): main() came 8-35 ms
	 * after that read, this said 0.2-2.1 ms after it (the parent's fork). */
	f = fopen("/proc/thread-self/schedstat", "r");
	if (f != NULL) {
		n = fscanf(f, "%llu %llu", &run_ns, &wait_ns);
		fclose(f);
		if (n == 2)
			return now - (double)(run_ns + wait_ns) / 1e9;
	}
	/* no schedstats (CONFIG_SCHED_INFO): the CPU time alone */
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
		return now - ((double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
	return now;
}
