/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_RUN_H
#define SP_RUN_H

/**
 * @file
 * The run: the lcores of one run, from the source to the export set.
 *
 * Each worker lcore runs one of three loops, by the way packets reach it:
 *
 * - own reader: the worker reads the source itself (one worker reading
 *   files; or a live port's RX queue per worker, with a 10 ms timer that
 *   expires idle flows when traffic stops);
 * - dispatched: the management lcore reads the source and the dispatcher
 *   spreads packets over the workers' rings by flow (several workers
 *   without RSS queues, or --dispatch).
 *
 * The management lcore (sp_run_manage()) feeds the dispatcher, drains
 * every worker's export ring into the export set, keeps the status line
 * and flushes the exporters. At the end, sp_run_report() says where every
 * packet went.
 *
 *   source → [dispatcher] → workers → export rings → export set
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sp_config.h>
#include <sp_dispatch.h>
#include <sp_export_set.h>
#include <sp_source.h>
#include <sp_plugins.h>
#include <sp_worker.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sp_run_params {
	struct sp_source *src;
	struct sp_worker *workers[SP_MAX_WORKERS];
	unsigned int lcores[SP_MAX_WORKERS];	/**< the lcore of each worker */
	unsigned int n_workers;
	/**
	 * Non-NULL: the run creates a dispatcher with these params (its rings
	 * and wait callback filled in), fed by the management lcore. NULL:
	 * worker i reads queue i of the source itself.
	 */
	const struct sp_dispatch_params *dispatch;
	struct sp_export_set *exports;
	/* the status line and the report */
	bool status_line;		/**< a status line on a terminal (no --quiet) */
	unsigned int performance_report; /**< s between NFStream's JSON lines, 0: none */
	FILE *performance_out;		/**< where those go */
	bool dpi_stats;			/**< nDPI's counters per worker in the report */
	/** --plugin: their counters in the report and telemetry (NULL: none) */
	const struct sp_plugins *plugins;
	bool replay;			/**< the replay's line in the report */
	double start_s;			/**< when the process started, on sp_now_s()'s clock */
};

struct sp_run;

/**
 * The lcores of n workers: the EAL's worker lcores (not the main one), in
 * order.
 * @return 0, or -ENODEV when the EAL has fewer than n.
 */
int sp_run_worker_lcores(unsigned int n, unsigned int *lcores);

/**
 * Prepare a run: the dispatcher when asked for, the timers of live
 * workers. Nothing runs yet. The run does not own the workers, the source
 * or the export set; it owns its dispatcher.
 *
 * @return the run, or NULL with rte_errno set (EINVAL; the dispatcher's
 *   errors, ENOMEM).
 */
struct sp_run *sp_run_create(const struct sp_run_params *p);

/** NULL is a no-op. Call after sp_run_manage() returned (or instead of launching). */
void sp_run_free(struct sp_run *r);

/**
 * Launch every worker on its lcore.
 *
 * @return 0, or -errno of rte_eal_remote_launch() after a message; the
 *   workers launched are stopped and joined then.
 */
int sp_run_launch(struct sp_run *r);

/**
 * The management lcore's loop, until every worker has ended its input,
 * flushed its flows and every record went to the export set; then the
 * workers are joined and the export set is told the input stopped.
 */
void sp_run_manage(struct sp_run *r);

/**
 * The management lcore's next idle wait after one of prev_us: halved when
 * it found records since (worked), doubled when not, within 10..1000 µs
 * (the shortest --flush-interval). A worker's eventfd ends it earlier.
 */
uint32_t sp_run_idle_next_us(uint32_t prev_us, bool worked);

/**
 * Stop reading input (a signal): the workers still export their flows.
 * Async-signal-safe.
 */
void sp_run_stop(struct sp_run *r);

/**
 * The end of the run on standard error: the status line completed, the
 * packet accounting (received = in flows + ignored + filtered + dropped),
 * flows, per-worker packets, nDPI and replay counters, where the time went.
 *
 * @return 0, or -EIO when the accounting does not add up or an input
 *   failed to read (both said).
 */
int sp_run_report(struct sp_run *r);

/**
 * Register the telemetry commands /streamprobe/stats and
 * /streamprobe/workers; call before rte_eal_init() so that a client never
 * finds the socket without them. They report the run created last, zeros
 * before there is one (the workers: n_workers, the number the run will have).
 */
void sp_run_telemetry_register(unsigned int n_workers);

#ifdef __cplusplus
}
#endif

#endif /* SP_RUN_H */
