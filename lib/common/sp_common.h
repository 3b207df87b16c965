/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_COMMON_H
#define SP_COMMON_H

/**
 * @file
 * Definitions shared by every streamprobe stage: burst size, log types and
 * the small helpers that do not deserve a module of their own.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <rte_common.h>
#include <rte_branch_prediction.h>
#include <rte_log.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Packets handled per RX burst and per bulk lookup. */
#define SP_BURST 32

/** Scopes of every per-flow counter, in NFStream's column order. */
enum sp_scope {
	SP_BI = 0,	/**< bidirectional */
	SP_S2D = 1,	/**< src2dst: sender of the flow's first packet */
	SP_D2S = 2,	/**< dst2src */
	SP_SCOPES = 3,
};

/** Log types, one per module ("sp.<module>"). */
extern int sp_logtype_app;
extern int sp_logtype_capture;
extern int sp_logtype_flow;
extern int sp_logtype_export;

#define SP_LOG(type, level, ...) \
	rte_log(RTE_LOG_ ## level, sp_logtype_ ## type, \
		RTE_FMT("streamprobe: " RTE_FMT_HEAD(__VA_ARGS__,) "\n", RTE_FMT_TAIL(__VA_ARGS__,)))

/**
 * Monotonic time in seconds, for timing phases (start-up, loading, the
 * input). Usable before the EAL is up, unlike the TSC helpers.
 */
static inline double
sp_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * When the process started, on sp_now_s()'s clock: before main(), as the
 * user's wait starts (the dynamic loader's share, ~5 ms, included). Call
 * first thing in main(), while it is the only thread. Usable before the EAL.
 */
double sp_process_start_s(void);

/**
 * rte_eal_init() with the telemetry socket its owner's only (umask 077
 * while the EAL binds it). private_dir: the runtime directory is this
 * run's own (streamprobe's default EAL arguments, not the user's), to be
 * removed by sp_runtime_dir_remove(). loaded (NULL: none) is called with
 * arg inside rte_eal_init(), on this thread, once the EAL has loaded its
 * drivers and before its memory and its 100 ms TSC calibration sleep: work
 * that needs no EAL and may run on a thread of its own meanwhile starts
 * there (docs/startup.md). Returns what rte_eal_init() does.
 */
int sp_eal_init(int argc, char **argv, bool private_dir, void (*loaded)(void *), void *arg);

/**
 * Remove the private runtime directory and the files in it. The EAL leaves
 * it behind at exit; call after rte_eal_cleanup().
 */
void sp_runtime_dir_remove(void);

/** The same, async-signal-safe: for a signal handler that exits at once. */
void sp_runtime_dir_remove_now(void);

/** Remove a directory and the files in it (not its subdirectories). */
void sp_dir_remove(const char *dir);

/** What the default EAL arguments depend on (sp_eal_default_args()). */
struct sp_eal_defaults {
	const char *prog;		/**< argv[0] */
	size_t mem_mb;			/**< the EAL heap (-m), MB */
	unsigned int n_workers;		/**< worker lcores besides the main one */
	bool telemetry;			/**< keep the telemetry socket */
};

/** Room for the arguments sp_eal_default_args() formats. */
struct sp_eal_buf {
	char mem[32];
	char prefix[64];
	char lcores[448];
};

/** Most arguments sp_eal_default_args() returns, argv[0] included. */
#define SP_EAL_DEFAULT_ARGS 9

/**
 * EAL arguments for the common case, when the user gave none: no
 * hugepages, no PCI, no shared config, a private runtime prefix (with the
 * pid) so that runs never collide; one worker on a CPU of its own (the
 * last allowed one) and the main lcore on the others, or several workers
 * and the main lcore floating over all allowed CPUs.
 *
 * @param eal  room for SP_EAL_DEFAULT_ARGS + 1 pointers; NULL-terminated
 * @param buf  holds the formatted arguments; must outlive the EAL's use
 * @return the number of arguments.
 */
int sp_eal_default_args(const struct sp_eal_defaults *d, char **eal, struct sp_eal_buf *buf);

#ifdef __cplusplus
}
#endif

#endif /* SP_COMMON_H */
