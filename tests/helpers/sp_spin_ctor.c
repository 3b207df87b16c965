/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LD_PRELOAD fixture of tests/integration/test_startup.py: a constructor
 * that runs before the program's main() and keeps the CPU busy for
 * SP_SPIN_CTOR_SECONDS of its thread's CPU time (none when unset), as a
 * slow dynamic loader would. The start-up figure must contain it.
 */
#include <stdlib.h>
#include <time.h>

static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((constructor)) static void
sp_spin_ctor(void)
{
	const char *s = getenv("SP_SPIN_CTOR_SECONDS");
	volatile unsigned long sink = 0;
	double until;

	if (s == NULL)
		return;
	until = thread_cpu_s() + atof(s);
	while (thread_cpu_s() < until)
		sink++;
}
