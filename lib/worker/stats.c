/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' counters summed: the one sum the status line, the telemetry
 * and the report read, so that they cannot disagree on what a total is.
 */
#include <string.h>

#include "sp_dispatch.h"
#include "sp_worker.h"

void
sp_worker_stats_sum(struct sp_worker *const *w, unsigned int n, const struct sp_dispatch *d,
		    struct sp_worker_stats *tot, struct sp_worker_stats *per)
{
	struct sp_worker_stats ws;
	unsigned int i, r;

	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < n; i++) {
		memset(&ws, 0, sizeof(ws));
		if (w[i] != NULL)
			sp_worker_get_stats(w[i], &ws);
		if (per != NULL)
			per[i] = ws;
		tot->packets += ws.packets;
		tot->bytes += ws.bytes;
		tot->in_flows += ws.in_flows;
		tot->filtered += ws.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot->ignored[r] += ws.ignored[r];
		tot->dropped_table_full += ws.dropped_table_full;
		tot->flows_created += ws.flows_created;
		tot->flows_exported += ws.flows_exported;
		tot->flows_evicted += ws.flows_evicted;
		tot->records_dropped += ws.records_dropped;
		tot->export_waits += ws.export_waits;
		tot->export_signals += ws.export_signals;
		tot->flows_active += ws.flows_active;
	}
	if (d != NULL) {
		struct sp_dispatch_stats ds;

		sp_dispatch_get_stats(d, &ds);
		tot->filtered = ds.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot->ignored[r] = ds.ignored[r];
	}
}
