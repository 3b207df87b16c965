/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_RUN_PRIVATE_H
#define SP_RUN_PRIVATE_H

/* The run's state, shared by run.c (the loops) and report.c (status,
 * report, telemetry) only. */

#include <rte_timer.h>

#include "sp_run.h"

struct run_worker {
	struct sp_run *run;
	struct sp_worker *w;
	unsigned int lcore;
	uint16_t queue;			/* own reader: the source queue it reads */
	struct rte_timer timer;		/* live: idle expiry without packets */
	volatile bool done;		/* set by the worker after its flush */
	double input_end_s;		/* sp_now_s() when its input ended */
};

struct sp_run {
	struct sp_run_params p;
	bool live;
	struct sp_dispatch *dispatch;	/* NULL: the workers read the source */
	struct sp_worker *w[SP_MAX_WORKERS];	/* p.workers, for the stats sum */
	struct run_worker wk[SP_MAX_WORKERS];
	volatile bool stop_rx;		/* signal, export set or end: stop reading */
	volatile bool rx_done;		/* dispatcher: no more packets will come */
	bool export_stopped;		/* the workers were told to stop exporting */
	double launch_s, joined_s;	/* sp_now_s() at those points */
	/* status line */
	uint64_t status_tsc, status_pkts, perf_tsc;
	bool warned_full;		/* the table-full warning was printed */
};

/* The run the telemetry commands report (the one created last), or NULL. */
extern struct sp_run *run_telemetry_of;

/* Once a second: the status line and NFStream's performance report. */
void run_status(struct sp_run *r);

/* The first time a worker's table was full: one warning naming the option
 * that sizes it. */
void run_warn_table_full(struct sp_run *r, const struct sp_worker_stats *tot);

#endif /* SP_RUN_PRIVATE_H */
