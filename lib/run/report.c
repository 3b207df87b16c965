/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a run tells while it runs and at its end (sp_run.h): the status
 * line, NFStream's performance report, the telemetry commands and the
 * report. Every total comes from one sum (sp_worker_stats_sum()).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_telemetry.h>

#include <sp_plugins.h>

#include <sp_common.h>
#include <sp_dpi.h>
#include <sp_parse.h>

#include "run_private.h"

struct sp_run *run_telemetry_of;
static unsigned int run_telemetry_workers;	/* until the run exists */

static uint64_t
run_exported(const struct sp_run *r)
{
	struct sp_export_set_stats es;

	sp_export_set_get_stats(r->p.exports, &es);
	return es.exported;
}

/* The status line on a terminal (files: percent read, packets/s, flows;
 * live: rates and drops). `final` completes it at the end of the run, so
 * that it ends at what was read (100 % of a whole file) before the report
 * starts on the next line. */
static void
run_status_line(struct sp_run *r, double rate, uint64_t active, uint64_t drops, bool final)
{
	uint64_t bytes, exported = run_exported(r);
	double done = sp_source_progress(r->p.src, &bytes);

	if (!r->p.status_line || !isatty(STDERR_FILENO))
		return;
	/* a pipe has no size: the bytes read instead of a share */
	if (!r->live && done < 0)
		fprintf(stderr, "\r%.1f MB read  %.0f pkt/s  flows active %" PRIu64 "  exported %"
			PRIu64 "   ", (double)bytes / 1e6, rate, active, exported);
	else if (!r->live)
		fprintf(stderr, "\r%5.1f%%  %.0f pkt/s  flows active %" PRIu64 "  exported %" PRIu64
			"   ", 100.0 * done, rate, active, exported);
	else
		fprintf(stderr, "\r%.0f pkt/s  flows active %" PRIu64 "  exported %" PRIu64
			"  dropped %" PRIu64 "   ", rate, active, exported, drops);
	if (final)
		fprintf(stderr, "\n");
}

void
run_warn_table_full(struct sp_run *r, const struct sp_worker_stats *tot)
{
	uint64_t share;
	uint32_t cap;

	if (r->warned_full || (tot->flows_evicted == 0 && tot->dropped_table_full == 0) ||
	    r->p.n_workers == 0 || r->w[0] == NULL)
		return;
	r->warned_full = true;
	cap = sp_worker_max_flows(r->w[0], &share);
	if (r->p.status_line && isatty(STDERR_FILENO))
		fputc('\n', stderr);	/* off the status line */
	if (tot->flows_evicted != 0 && share != 0)
		fprintf(stderr, "streamprobe: warning: the flow table is full: %u flows per worker "
			"fit in --max-memory (%.0f MiB a worker); older flows are ended early to "
			"make room (evicted_table_full), so records differ from a run with more "
			"memory; raise --max-memory\n", cap, (double)share / (1 << 20));
	else if (tot->flows_evicted != 0)
		fprintf(stderr, "streamprobe: warning: the flow table is full (--max-flows %u per "
			"worker): older flows are ended early to make room (evicted_table_full); "
			"raise --max-flows, or leave it out for a table that grows up to "
			"--max-memory\n", cap);
	else
		fprintf(stderr, "streamprobe: warning: the flow table is full (--max-flows %u per "
			"worker): packets of new flows are dropped while it is (counted in "
			"dropped); raise --max-flows\n", cap);
}

/* Once a second: the status line, and NFStream's performance_report JSON
 * line every performance_report seconds. Both come from one snapshot of
 * the workers' counters, so that the line's total is the sum of its
 * balance (two reads a moment apart gave "packets_processed": 0 beside a
 * balance of 32). */
void
run_status(struct sp_run *r)
{
	struct sp_worker_stats ws[SP_MAX_WORKERS], tot;
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz(), drops;
	unsigned int i;
	FILE *out;

	if (now - r->status_tsc < hz)
		return;
	sp_worker_stats_sum(r->w, r->p.n_workers, r->dispatch, &tot, ws);
	drops = tot.dropped_table_full + tot.records_dropped;
	if (r->live) {
		struct sp_capture_stats cs;

		/* the port's losses too: on af_packet, most of an overload's */
		sp_source_get_stats(r->p.src, &cs);
		drops += cs.lost;
	}
	run_status_line(r, (double)(tot.packets - r->status_pkts) * (double)hz /
			(double)(now - r->status_tsc), tot.flows_active, drops, false);
	r->status_pkts = tot.packets;
	r->status_tsc = now;
	run_warn_table_full(r, &tot);
	if (r->p.performance_report == 0 || now - r->perf_tsc < r->p.performance_report * hz)
		return;
	r->perf_tsc = now;
	out = r->p.performance_out;
	fprintf(out, "{\"flows_expired\": %" PRIu64 ", \"packets_processed\": %" PRIu64
		", \"packets_ignored\": %" PRIu64 ", \"packets_dropped_filtered_by_kernel\": %"
		PRIu64 ", \"meters_packets_processing_balance\": [", run_exported(r), tot.packets,
		sp_worker_stats_ignored(&tot), drops);
	for (i = 0; i < r->p.n_workers; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : "", ws[i].packets);
	fprintf(out, "]}\n");
	fflush(out);
}

/* Where the wall clock went: start-up (from the process's start, the
 * dynamic loader's share included: the EAL, tables, nDPI, exporters),
 * the input (first packet polled to the last worker's end of input) and
 * the final flush and drain; the input's rate is the workers' together. */
static void
run_report_time(const struct sp_run *r, uint64_t received)
{
	double end = 0, input;
	unsigned int i;

	for (i = 0; i < r->p.n_workers; i++)
		end = RTE_MAX(end, r->wk[i].input_end_s);
	if (end == 0 || r->launch_s == 0)
		return;
	input = end - r->launch_s;
	fprintf(stderr, "time: start-up %.3f s, input %.3f s (%.3f M packets/s), flush %.3f s\n",
		r->launch_s - r->p.start_s, input,
		input > 0 ? (double)received / input / 1e6 : 0.0, r->joined_s - end);
}

/* A plugin's counters summed over the workers; returns how many. */
static unsigned int
run_plugin_stats(const struct sp_run *r, unsigned int p, struct sp_plugin_stat *sum,
		 unsigned int max)
{
	const struct sp_plugins *ps = r->p.plugins;
	struct sp_plugin_stat st[32];
	unsigned int i, k, n, total = 0;

	for (i = 0; i < r->p.n_workers; i++) {
		n = sp_plugins_worker_stats(ps, p, sp_worker_hook_ctx(r->w[i], sp_plugins_ops(ps, p)),
					    st, RTE_DIM(st));
		for (k = 0; k < n && k < max; k++) {
			if (k >= total)
				sum[total++] = (struct sp_plugin_stat){ st[k].name, 0 };
			sum[k].value += st[k].value;
		}
	}
	return total;
}

/* A plugin's line in the report, when one of its counters is not zero. */
static void
run_report_plugin(const struct sp_run *r, unsigned int p)
{
	struct sp_plugin_stat sum[32];
	unsigned int k, n = run_plugin_stats(r, p, sum, RTE_DIM(sum));
	bool any = false;

	for (k = 0; k < n; k++)
		any |= sum[k].value != 0;
	if (!any)
		return;
	fprintf(stderr, "plugin %s:", sp_plugins_name(r->p.plugins, p));
	for (k = 0; k < n; k++)
		fprintf(stderr, " %s=%" PRIu64, sum[k].name, sum[k].value);
	fputc('\n', stderr);
}

int
sp_run_report(struct sp_run *r)
{
	struct sp_worker_stats ws[SP_MAX_WORKERS], tot;
	struct sp_export_set_stats es;
	struct sp_capture_stats cs;
	uint64_t ignored, received, dropped, unread, ring_full = 0;
	unsigned int i;
	int rc = 0;

	/* the workers have stopped: what is left in the port was received,
	 * and is lost (before the port's counters, which only grow) */
	unread = sp_source_unread(r->p.src);
	sp_source_get_stats(r->p.src, &cs);
	sp_worker_stats_sum(r->w, r->p.n_workers, r->dispatch, &tot, ws);
	received = tot.packets + cs.lost + unread;
	dropped = cs.lost + unread + tot.dropped_table_full;
	if (r->dispatch != NULL) {
		struct sp_dispatch_stats ds;

		/* Filtering and parsing happened at dispatch. */
		sp_dispatch_get_stats(r->dispatch, &ds);
		received = ds.packets + cs.lost + unread;
		ring_full = ds.dropped_ring_full;
		dropped += ring_full;
	}
	ignored = sp_worker_stats_ignored(&tot);
	sp_export_set_get_stats(r->p.exports, &es);
	/* the line completed with the run's mean rate */
	run_status_line(r, r->joined_s > r->launch_s ? (double)tot.packets /
			(r->joined_s - r->launch_s) : 0, tot.flows_active, dropped, true);
	fprintf(stderr, "accounting: received=%" PRIu64 " in_flows=%" PRIu64 " ignored=%" PRIu64
		" filtered=%" PRIu64 " dropped=%" PRIu64 "\n",
		received, tot.in_flows, ignored, tot.filtered, dropped);
	fprintf(stderr, "ignored:");
	for (i = 1; i < SP_PARSE_RESULTS; i++)
		fprintf(stderr, " %s=%" PRIu64, sp_parse_result_name(i), tot.ignored[i]);
	/* dropped by place: the port (missed: no descriptor or a full
	 * AF_PACKET ring; nombuf; unread: left in the ring at the end), a
	 * file PMD's records it did not deliver, the flow table, the
	 * dispatch rings */
	fprintf(stderr, "\ndropped: missed=%" PRIu64 " nombuf=%" PRIu64 " unread=%" PRIu64
		" undelivered=%" PRIu64 " table_full=%" PRIu64 " ring_full=%" PRIu64,
		cs.missed, r->live ? cs.lost - cs.missed : 0, unread, r->live ? 0 : cs.lost,
		tot.dropped_table_full, ring_full);
	fprintf(stderr, "\nflows: exported=%" PRIu64 " evicted_table_full=%" PRIu64
		" not_exported_max_nflows=%" PRIu64 " records_dropped=%" PRIu64 "\n",
		es.exported, tot.flows_evicted, es.skipped + tot.flows_active,
		tot.records_dropped);
	run_warn_table_full(r, &tot);
	if (r->p.n_workers > 1) {
		fprintf(stderr, "workers:");
		for (i = 0; i < r->p.n_workers; i++)
			fprintf(stderr, " %u=%" PRIu64, i, ws[i].packets);
		fputc('\n', stderr);
	}
	if (r->p.dpi_stats) {
		char line[SP_DPI_STATS_LINE_MAX];

		for (i = 0; i < r->p.n_workers; i++)
			if (sp_dpi_format_stats(sp_worker_hook_ctx(r->w[i], sp_dpi_ops()), line,
						sizeof(line)) > 0)
				fprintf(stderr, "worker %u %s\n", i, line);
	}
	for (i = 0; i < sp_plugins_count(r->p.plugins); i++)
		run_report_plugin(r, i);
	if (r->p.replay) {
		double s = cs.replay_feed_s > 0 ? cs.replay_feed_s : 1e-9;

		fprintf(stderr, "replay: loaded %" PRIu64 " packets (%.1f MB) in %.2f s; fed %"
			PRIu64 " packets in %.3f s = %.3f Mpps, %.3f Gbit/s; %" PRIu64
			" complete passes\n", cs.replay_loaded, (double)cs.replay_bytes / 1e6,
			cs.replay_load_s, cs.received, s, (double)cs.received / s / 1e6,
			(double)cs.replay_wire_bytes * 8 / s / 1e9, cs.replay_passes);
		if (cs.replay_clock_end)
			fprintf(stderr, "streamprobe: warning: the replay stopped after %" PRIu64
				" passes: each is %.0f days later than the one before (the "
				"captures' span and the idle timeout), and one more would pass "
				"the end of the 64-bit millisecond clock\n", cs.replay_passes,
				(double)cs.replay_period_ms / 86400e3);
	}
	run_report_time(r, received);
	if (cs.unmatched != 0)
		fprintf(stderr, "streamprobe: warning: %" PRIu64 " packets could not be matched to "
			"their pcap record; their wire length is their captured length\n",
			cs.unmatched);
	if (received != tot.in_flows + ignored + tot.filtered + dropped) {
		fprintf(stderr, "streamprobe: error: packet accounting does not add up\n");
		rc = -EIO;
	}
	if (cs.read_error != 0) {
		fprintf(stderr, "streamprobe: error: %s\n", cs.error);
		rc = -EIO;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Telemetry (rte_telemetry; read with dpdk-telemetry.py -f PREFIX).   */

static void
run_tel_worker(struct rte_tel_data *d, const struct sp_worker_stats *ws)
{
	rte_tel_data_add_dict_u64(d, "packets", ws->packets);
	rte_tel_data_add_dict_u64(d, "bytes", ws->bytes);
	rte_tel_data_add_dict_u64(d, "in_flows", ws->in_flows);
	rte_tel_data_add_dict_u64(d, "ignored", sp_worker_stats_ignored(ws));
	rte_tel_data_add_dict_u64(d, "filtered", ws->filtered);
	rte_tel_data_add_dict_u64(d, "flows_active", ws->flows_active);
	rte_tel_data_add_dict_u64(d, "flows_created", ws->flows_created);
	rte_tel_data_add_dict_u64(d, "flows_exported", ws->flows_exported);
	rte_tel_data_add_dict_u64(d, "flows_evicted", ws->flows_evicted);
	rte_tel_data_add_dict_u64(d, "drop_table_full", ws->dropped_table_full);
	rte_tel_data_add_dict_u64(d, "drop_records", ws->records_dropped);
	rte_tel_data_add_dict_u64(d, "export_waits", ws->export_waits);
	rte_tel_data_add_dict_u64(d, "export_signals", ws->export_signals);
}

static int
run_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_run *r = __atomic_load_n(&run_telemetry_of, __ATOMIC_ACQUIRE);
	struct sp_worker_stats tot;
	struct sp_capture_stats cs;
	unsigned int i;

	(void)cmd;
	(void)params;
	memset(&tot, 0, sizeof(tot));
	memset(&cs, 0, sizeof(cs));
	if (r != NULL) {
		sp_worker_stats_sum(r->w, r->p.n_workers, r->dispatch, &tot, NULL);
		sp_source_get_stats(r->p.src, &cs);
	}
	rte_tel_data_start_dict(d);
	run_tel_worker(d, &tot);
	for (i = 1; i < SP_PARSE_RESULTS; i++) {
		char name[48];

		snprintf(name, sizeof(name), "ignored_%s", sp_parse_result_name(i));
		rte_tel_data_add_dict_u64(d, name, tot.ignored[i]);
	}
	rte_tel_data_add_dict_u64(d, "drop_input_lost", cs.lost);
	rte_tel_data_add_dict_u64(d, "files_done", cs.files_done);
	rte_tel_data_add_dict_u64(d, "records_exported", r != NULL ? run_exported(r) : 0);
	rte_tel_data_add_dict_u64(d, "workers",
				  r != NULL ? r->p.n_workers : run_telemetry_workers);
	return 0;
}

static int
run_tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_run *r = __atomic_load_n(&run_telemetry_of, __ATOMIC_ACQUIRE);
	struct sp_worker_stats ws;
	struct rte_tel_data *wd;
	unsigned int i;
	char name[16];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; r != NULL && i < r->p.n_workers; i++) {
		if ((wd = rte_tel_data_alloc()) == NULL)
			continue;
		sp_worker_get_stats(r->w[i], &ws);
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "lcore", r->wk[i].lcore);
		run_tel_worker(wd, &ws);
		snprintf(name, sizeof(name), "%u", i);
		rte_tel_data_add_dict_container(d, name, wd, 0);
	}
	return 0;
}

static int
run_tel_plugins(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_run *r = __atomic_load_n(&run_telemetry_of, __ATOMIC_ACQUIRE);
	struct sp_plugin_stat sum[32];
	struct rte_tel_data *pd;
	unsigned int p, k, n;
	char key[64];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (p = 0; r != NULL && p < sp_plugins_count(r->p.plugins); p++) {
		if ((pd = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(pd);
		/* keyed by the plugin's own name (telemetry keys take no '/'),
		 * with its --plugin name inside */
		rte_tel_data_add_dict_string(pd, "plugin", sp_plugins_name(r->p.plugins, p));
		n = run_plugin_stats(r, p, sum, RTE_DIM(sum));
		for (k = 0; k < n; k++)
			rte_tel_data_add_dict_u64(pd, sum[k].name, sum[k].value);
		snprintf(key, sizeof(key), "%u_%s", p, sp_plugins_plugin(r->p.plugins, p)->name);
		rte_tel_data_add_dict_container(d, key, pd, 0);
	}
	return 0;
}

void
sp_run_telemetry_register(unsigned int n_workers)
{
	run_telemetry_workers = n_workers;
	rte_telemetry_register_cmd("/streamprobe/stats", run_tel_stats,
				   "Packets, flows and drops in total. No parameters");
	rte_telemetry_register_cmd("/streamprobe/workers", run_tel_workers,
				   "The same counters per worker. No parameters");
	rte_telemetry_register_cmd("/streamprobe/plugins", run_tel_plugins,
				   "Each plugin's counters (--plugin), keyed N_NAME. No parameters");
}
