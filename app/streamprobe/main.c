/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * streamprobe: pcap → net_pcap PMD → worker lcore (parse, flow table,
 * features) → rte_ring → management lcore (CSV).
 *
 * main() only wires the stages together, in the order of the data path:
 * options → EAL → mbuf pool → capture → filter → exporters → worker →
 * launch → drain → report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_telemetry.h>
#include <rte_timer.h>
#include <rte_bus_vdev.h>
#include <rte_ethdev.h>
#include <time.h>

#include <sp_capture.h>
#include <sp_common.h>
#include <sp_config.h>
#include <sp_dispatch.h>
#include <sp_dpi.h>
#include <sp_plugins.h>
#include <sp_export.h>
#include <sp_filter.h>
#include <sp_port.h>
#include <sp_parse.h>
#include <sp_worker.h>

#define APP_MBUFS 16383		/* enough for a burst of 256 kB jumbo frames */
#define APP_MBUFS_OWN_READER 2047	/* a burst, one 256 kB chain, the lcore cache */
#define APP_MBUF_CACHE 256
#define APP_EAL_ARGS 24
#define APP_DRAIN_BURST 64
#define APP_RX_RING 2048	/* dispatcher → worker ring, packets */
#define APP_MAX_EXPORTERS (1 + SP_CONFIG_MAX_IPFIX)

struct app_worker {
	struct sp_worker *w;
	unsigned int lcore;
	uint16_t queue;			/* live: the RX queue it polls */
	struct rte_timer timer;		/* live: idle expiry without packets */
	volatile bool done;		/* set by the worker after its flush */
	double input_end_s;		/* sp_now_s() when its input ended */
};

struct app {
	struct sp_config cfg;
	struct rte_mempool *mbufs;
	struct sp_capture *cap;
	struct sp_filter *filter;
	struct sp_dispatch *dispatch;	/* NULL with one worker */
	unsigned int n_workers;
	struct app_worker wk[SP_MAX_WORKERS];
	unsigned int n_exporters;
	struct sp_exporter *exp[APP_MAX_EXPORTERS];
	const char *exp_name[APP_MAX_EXPORTERS];
	volatile bool stop_rx;		/* signal or max_nflows: stop reading */
	volatile bool rx_done;		/* dispatcher: no more packets will come */
	double start_s, launch_s, joined_s;	/* sp_now_s() at those points */
	uint64_t next_id;
	uint64_t records_skipped;	/* beyond --max-nflows */
	int export_error[APP_MAX_EXPORTERS];
	unsigned int first_ipfix;	/* exp[first_ipfix..] are IPFIX exporters */
	/* live capture */
	bool live;
	int port_id;
	bool port_started;
	bool vdev_attached;
	struct sp_port_iface *iface;	/* --iface: its flags, restored at exit */
	uint64_t base_ms;		/* realtime at base_tsc */
	uint64_t base_tsc;
	uint64_t tsc_per_ms;
	unsigned int live_queues;	/* RX queues polled by workers themselves */
	bool user_eal;			/* EAL options came from the user */
};

static struct app app;
/* --plugin: loaded after the options, before the EAL (their records' size
 * sizes its memory) */
static struct sp_plugins *app_plugins;
static volatile sig_atomic_t app_signals;
/* The EAL leaves its runtime directory behind at exit (with --no-shconf:
 * just the telemetry socket). Ours is private to this run (--file-prefix
 * with the pid) and is removed; one the user named with their own EAL
 * options is not. The paths are kept so that the second signal can remove
 * it with async-signal-safe calls. */
static char app_tel_sock[PATH_MAX + 32];
static char app_rundir[PATH_MAX];

static void
app_on_signal(int sig)
{
	(void)sig;
	if (++app_signals > 1) {
		/* second signal: leave now; written files stay valid */
		if (app_rundir[0] != '\0') {
			unlink(app_tel_sock);
			rmdir(app_rundir);
		}
		_exit(130);
	}
	app.stop_rx = true;
}

/* Worker lcore reading the capture itself (one worker): poll in bursts
 * until the input ends or we are asked to stop, then export every flow. */
static int
app_worker_direct(void *arg)
{
	struct app_worker *aw = arg;
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	int n;

	while (!app.stop_rx) {
		n = sp_capture_rx(app.cap, pkts, info, SP_BURST);
		if (n == -ENODATA)
			break;
		if (n > 0)
			sp_worker_process_burst(aw->w, pkts, info, (uint16_t)n);
	}
	aw->input_end_s = sp_now_s();
	sp_worker_flush(aw->w);
	__atomic_store_n(&aw->done, true, __ATOMIC_RELEASE);
	return 0;
}

/* Live packet time: wall clock in ms from the TSC (NFStream's live
 * timestamps are the capture's wall clock too). */
static inline uint64_t
app_now_ms(uint64_t tsc)
{
	return app.base_ms + (tsc - app.base_tsc) / app.tsc_per_ms;
}

static void
app_worker_timer(struct rte_timer *t, void *arg)
{
	struct app_worker *aw = arg;

	(void)t;
	sp_worker_tick(aw->w, app_now_ms(rte_rdtsc()));
}

/* One burst from a live queue, stamped on arrival. */
static int
app_live_rx(uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	uint16_t n, i;
	uint64_t now;

	n = rte_eth_rx_burst((uint16_t)app.port_id, queue, pkts, SP_BURST);
	if (n == 0)
		return 0;
	now = app_now_ms(rte_rdtsc());
	for (i = 0; i < n; i++) {
		info[i].ts_ms = now;
		info[i].wire_len = rte_pktmbuf_pkt_len(pkts[i]);
		info[i].dlt = SP_DLT_EN10MB;
		if (unlikely(info[i].wire_len > app.cfg.snaplen))
			sp_port_snap(pkts[i], app.cfg.snaplen);
	}
	return n;
}

/* Worker lcore polling its own RX queue of a live port: packets are
 * stamped on arrival, flows also expire on a 10 ms timer when their
 * traffic stops. Never waits: losses are counted where they happen. */
static int
app_worker_live(void *arg)
{
	struct app_worker *aw = arg;
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	uint16_t n;

	rte_timer_init(&aw->timer);
	rte_timer_reset(&aw->timer, rte_get_timer_hz() / 100, PERIODICAL, rte_lcore_id(),
			app_worker_timer, aw);
	while (!app.stop_rx) {
		n = (uint16_t)app_live_rx(aw->queue, pkts, info);
		if (n > 0)
			sp_worker_process_burst(aw->w, pkts, info, n);
		rte_timer_manage();
	}
	rte_timer_stop_sync(&aw->timer);
	aw->input_end_s = sp_now_s();
	sp_worker_flush(aw->w);
	__atomic_store_n(&aw->done, true, __ATOMIC_RELEASE);
	return 0;
}

/* Worker lcore fed by the dispatcher: until the dispatcher is done and the
 * ring is empty. */
static int
app_worker_dispatched(void *arg)
{
	struct app_worker *aw = arg;

	if (app.live) {
		rte_timer_init(&aw->timer);
		rte_timer_reset(&aw->timer, rte_get_timer_hz() / 100, PERIODICAL,
				rte_lcore_id(), app_worker_timer, aw);
	}
	for (;;) {
		bool last = __atomic_load_n(&app.rx_done, __ATOMIC_ACQUIRE);

		if (sp_worker_poll(aw->w) == 0) {
			if (last)
				break;
			/* Offline, lcores may outnumber cores (tests, small
			 * boxes): give the CPU to the dispatcher instead of
			 * spinning on an empty ring. Live workers keep polling. */
			if (app.live)
				rte_pause();
			else
				sched_yield();
		}
		if (app.live)
			rte_timer_manage();
	}
	if (app.live)
		rte_timer_stop_sync(&aw->timer);
	aw->input_end_s = sp_now_s();
	sp_worker_flush(aw->w);
	__atomic_store_n(&aw->done, true, __ATOMIC_RELEASE);
	return 0;
}

static void
app_stop_export(void)
{
	unsigned int i;

	app.stop_rx = true;
	for (i = 0; i < app.n_workers; i++)
		sp_worker_stop_export(app.wk[i].w);
}

/* An exporter failed to write: say so now, not after the run, and write
 * nothing more to it. -EPIPE: the reader of "--csv -" (head, a closed
 * pipe) is gone; like any stage of a pipeline the run stops then, instead
 * of computing flows nobody will read, and it is not a failure. Other
 * errors (a full disk): with every output gone the input stops too. */
static void
app_export_failed(unsigned int e, int ret)
{
	unsigned int i, failed = 0;

	if (app.export_error[e] != 0)
		return;
	app.export_error[e] = ret;
	if (ret == -EPIPE) {
		fprintf(stderr, "%sstreamprobe: %s: the reader closed the pipe; stopping the "
			"input\n", !app.cfg.quiet && isatty(STDERR_FILENO) ? "\n" : "",
			app.exp_name[e]);
		app_stop_export();
		return;
	}
	fprintf(stderr, "%sstreamprobe: error: %s: %s\n",
		!app.cfg.quiet && isatty(STDERR_FILENO) ? "\n" : "", app.exp_name[e],
		strerror(-ret));
	for (i = 0; i < app.n_exporters; i++)
		failed += app.export_error[i] != 0;
	if (failed == app.n_exporters && !app.stop_rx) {
		fprintf(stderr, "streamprobe: no output left: stopping the input\n");
		app_stop_export();
	}
}

/* Management side: hand one worker's records to the exporters, in ring
 * order, giving each its id. Returns the number taken off the ring. */
static unsigned int
app_drain(struct sp_worker *w)
{
	struct rte_ring *ring = sp_worker_export_ring(w);
	void *recs[APP_DRAIN_BURST];
	unsigned int n, i, e;
	int ret;

	n = rte_ring_sc_dequeue_burst(ring, recs, APP_DRAIN_BURST, NULL);
	for (i = 0; i < n; i++) {
		struct sp_flow_record *r = recs[i];

		if (app.cfg.max_nflows != 0 && app.next_id >= app.cfg.max_nflows) {
			app.records_skipped++;
			continue;
		}
		r->id = app.next_id++;
		for (e = 0; e < app.n_exporters; e++) {
			if (app.export_error[e] != 0)
				continue;
			ret = sp_export_write(app.exp[e], r);
			if (ret != 0)
				app_export_failed(e, ret);
		}
		/* NFStream stops after the flow with id max_nflows - 1. */
		if (app.cfg.max_nflows != 0 && app.next_id == app.cfg.max_nflows)
			app_stop_export();
	}
	if (n > 0)
		rte_mempool_put_bulk(sp_worker_record_pool(w), recs, n);
	return n;
}

/* The dispatcher waits for a worker's ring: drain every worker's records
 * meanwhile, since a worker may be waiting for exactly that. */
static void
app_drain_all(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < app.n_workers; i++)
		app_drain(app.wk[i].w);
}

/* The status line on a terminal (files: percent read, packets/s, flows;
 * live: rates and drops). `final` completes it at the end of the run, so
 * that it ends at what was read (100 % of a whole file) before the report
 * starts on the next line. */
static void
app_status_line(double rate, uint64_t active, uint64_t drops, bool final)
{
	double done = app.cap != NULL ? sp_capture_progress(app.cap) : 0.0;

	if (app.cfg.quiet || !isatty(STDERR_FILENO))
		return;
	/* a pipe has no size: the bytes read instead of a share */
	if (app.cap != NULL && done < 0)
		fprintf(stderr, "\r%.1f MB read  %.0f pkt/s  flows active %" PRIu64 "  exported %"
			PRIu64 "   ", (double)sp_capture_bytes_read(app.cap) / 1e6, rate, active,
			app.next_id);
	else if (app.cap != NULL)
		fprintf(stderr, "\r%5.1f%%  %.0f pkt/s  flows active %" PRIu64 "  exported %" PRIu64
			"   ", 100.0 * done, rate, active, app.next_id);
	else
		fprintf(stderr, "\r%.0f pkt/s  flows active %" PRIu64 "  exported %" PRIu64
			"  dropped %" PRIu64 "   ", rate, active, app.next_id, drops);
	if (final)
		fprintf(stderr, "\n");
}

/* Once a second: the status line, and NFStream's performance_report JSON
 * line every --performance-report seconds. Both come from one snapshot
 * of the workers' counters, so that the line's total is the sum of its
 * balance (two reads a moment apart gave "packets_processed": 0 beside a
 * balance of 32). */
static void
app_status(uint64_t *last_tsc)
{
	static uint64_t last_pkts, last_report_tsc;
	struct sp_worker_stats ws[SP_MAX_WORKERS];
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	uint64_t pkts = 0, active = 0, ignored = 0, drops = 0;
	unsigned int i, r;
	FILE *out;

	if (now - *last_tsc < hz)
		return;
	for (i = 0; i < app.n_workers; i++) {
		sp_worker_get_stats(app.wk[i].w, &ws[i]);
		pkts += ws[i].packets;
		active += ws[i].flows_active;
		drops += ws[i].dropped_table_full + ws[i].records_dropped;
		for (r = 1; r < SP_PARSE_RESULTS; r++)
			ignored += ws[i].ignored[r];
	}
	app_status_line((double)(pkts - last_pkts) * (double)hz / (double)(now - *last_tsc),
			active, drops, false);
	last_pkts = pkts;
	*last_tsc = now;
	if (app.cfg.performance_report == 0 ||
	    now - last_report_tsc < app.cfg.performance_report * hz)
		return;
	last_report_tsc = now;
	if (app.live) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get((uint16_t)app.port_id, &es) == 0)
			drops += es.imissed + es.rx_nombuf;
	}
	out = app.cfg.csv_path != NULL && strcmp(app.cfg.csv_path, "-") == 0 ? stderr : stdout;
	fprintf(out, "{\"flows_expired\": %" PRIu64 ", \"packets_processed\": %" PRIu64
		", \"packets_ignored\": %" PRIu64 ", \"packets_dropped_filtered_by_kernel\": %"
		PRIu64 ", \"meters_packets_processing_balance\": [", app.next_id, pkts, ignored,
		drops);
	for (i = 0; i < app.n_workers; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : "", ws[i].packets);
	fprintf(out, "]}\n");
	fflush(out);
}

/* ------------------------------------------------------------------ */
/* Telemetry (rte_telemetry; read with dpdk-telemetry.py -f PREFIX).   */

static void
app_tel_worker(struct rte_tel_data *d, const struct sp_worker_stats *ws)
{
	uint64_t ignored = 0;
	unsigned int r;

	for (r = 1; r < SP_PARSE_RESULTS; r++)
		ignored += ws->ignored[r];
	rte_tel_data_add_dict_u64(d, "packets", ws->packets);
	rte_tel_data_add_dict_u64(d, "bytes", ws->bytes);
	rte_tel_data_add_dict_u64(d, "in_flows", ws->in_flows);
	rte_tel_data_add_dict_u64(d, "ignored", ignored);
	rte_tel_data_add_dict_u64(d, "filtered", ws->filtered);
	rte_tel_data_add_dict_u64(d, "flows_active", ws->flows_active);
	rte_tel_data_add_dict_u64(d, "flows_created", ws->flows_created);
	rte_tel_data_add_dict_u64(d, "flows_exported", ws->flows_exported);
	rte_tel_data_add_dict_u64(d, "flows_evicted", ws->flows_evicted);
	rte_tel_data_add_dict_u64(d, "drop_table_full", ws->dropped_table_full);
	rte_tel_data_add_dict_u64(d, "drop_records", ws->records_dropped);
	rte_tel_data_add_dict_u64(d, "export_waits", ws->export_waits);
}

static void
app_tel_sum(struct sp_worker_stats *tot)
{
	struct sp_worker_stats ws;
	unsigned int i, r;

	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < app.n_workers; i++) {
		if (app.wk[i].w == NULL)
			continue;
		sp_worker_get_stats(app.wk[i].w, &ws);
		tot->packets += ws.packets;
		tot->bytes += ws.bytes;
		tot->in_flows += ws.in_flows;
		tot->filtered += ws.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot->ignored[r] += ws.ignored[r];
		tot->flows_active += ws.flows_active;
		tot->flows_created += ws.flows_created;
		tot->flows_exported += ws.flows_exported;
		tot->flows_evicted += ws.flows_evicted;
		tot->dropped_table_full += ws.dropped_table_full;
		tot->records_dropped += ws.records_dropped;
		tot->export_waits += ws.export_waits;
	}
	if (app.dispatch != NULL) {
		struct sp_dispatch_stats ds;

		sp_dispatch_get_stats(app.dispatch, &ds);
		tot->filtered = ds.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot->ignored[r] = ds.ignored[r];
	}
}

static int
app_tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_worker_stats tot;
	struct sp_capture_stats cs;
	unsigned int r;

	(void)cmd;
	(void)params;
	app_tel_sum(&tot);
	rte_tel_data_start_dict(d);
	app_tel_worker(d, &tot);
	for (r = 1; r < SP_PARSE_RESULTS; r++) {
		char name[48];

		snprintf(name, sizeof(name), "ignored_%s", sp_parse_result_name(r));
		rte_tel_data_add_dict_u64(d, name, tot.ignored[r]);
	}
	memset(&cs, 0, sizeof(cs));
	if (app.cap != NULL)
		sp_capture_get_stats(app.cap, &cs);
	rte_tel_data_add_dict_u64(d, "drop_input_lost", cs.lost);
	rte_tel_data_add_dict_u64(d, "files_done", cs.files_done);
	rte_tel_data_add_dict_u64(d, "records_exported", app.next_id);
	rte_tel_data_add_dict_u64(d, "workers", app.n_workers);
	return 0;
}

static int
app_tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_worker_stats ws;
	struct rte_tel_data *wd;
	unsigned int i;
	char name[16];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (i = 0; i < app.n_workers; i++) {
		if (app.wk[i].w == NULL || (wd = rte_tel_data_alloc()) == NULL)
			continue;
		sp_worker_get_stats(app.wk[i].w, &ws);
		rte_tel_data_start_dict(wd);
		rte_tel_data_add_dict_u64(wd, "lcore", app.wk[i].lcore);
		app_tel_worker(wd, &ws);
		snprintf(name, sizeof(name), "%u", i);
		rte_tel_data_add_dict_container(d, name, wd, 0);
	}
	return 0;
}

/* A plugin's counters summed over the workers; returns how many. */
static unsigned int
app_plugin_stats(unsigned int p, struct sp_plugin_stat *sum, unsigned int max)
{
	struct sp_plugin_stat st[32];
	unsigned int i, k, n, total = 0;

	for (i = 0; i < app.n_workers; i++) {
		if (app.wk[i].w == NULL)
			continue;
		n = sp_plugins_worker_stats(app_plugins, p, sp_worker_hook_ctx(app.wk[i].w,
					    sp_plugins_ops(app_plugins, p)), st, RTE_DIM(st));
		for (k = 0; k < n && k < max; k++) {
			if (k >= total)
				sum[total++] = (struct sp_plugin_stat){ st[k].name, 0 };
			sum[k].value += st[k].value;
		}
	}
	return total;
}

static int
app_tel_plugins(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sp_plugin_stat sum[32];
	struct rte_tel_data *pd;
	unsigned int p, k, n;
	char key[64];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (p = 0; p < sp_plugins_count(app_plugins); p++) {
		if ((pd = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(pd);
		/* keyed by the plugin's own name (telemetry keys take no '/'),
		 * with its --plugin name inside */
		rte_tel_data_add_dict_string(pd, "plugin", sp_plugins_name(app_plugins, p));
		n = app_plugin_stats(p, sum, RTE_DIM(sum));
		for (k = 0; k < n; k++)
			rte_tel_data_add_dict_u64(pd, sum[k].name, sum[k].value);
		snprintf(key, sizeof(key), "%u_%s", p, sp_plugins_plugin(app_plugins, p)->name);
		rte_tel_data_add_dict_container(d, key, pd, 0);
	}
	return 0;
}

/* An IPFIX exporter's losses, as a warning while running or an error at the end. */
static void
app_ipfix_loss(const char *level, const char *uri, uint64_t records, uint64_t refused,
	       const char *cause)
{
	fprintf(stderr, "streamprobe: %s: ipfix %s: ", level, uri);
	if (records != 0)
		fprintf(stderr, "%" PRIu64 " records dropped%s", records, refused != 0 ? ", " : "");
	if (refused != 0)
		fprintf(stderr, "%" PRIu64 " ICMP errors (datagrams lost)", refused);
	fprintf(stderr, " (%s)\n", cause);
}

/* Every --flush-interval ms, busy or not: what every exporter holds leaves
 * (a live CSV shows its flows, partial IPFIX messages go), TCP exporters
 * reconnect even while no flow ends, and what the exporters lose is said
 * while it happens (the first loss at once, then at most every 10 s). */
static void
app_flush_exporters(uint64_t *last)
{
	uint64_t now = rte_get_tsc_cycles();
	struct sp_ipfix_loss l;
	unsigned int e;
	int ret;

	if (now - *last < rte_get_tsc_hz() / 1000 * app.cfg.flush_interval_ms)
		return;
	*last = now;
	for (e = 0; e < app.n_exporters; e++) {
		if (app.export_error[e] != 0)
			continue;
		ret = sp_export_flush(app.exp[e]);
		/* a CSV write error (a full disk) is said now; IPFIX
		 * exporters count and retry their own losses */
		if (ret != 0 && (e < app.first_ipfix || ret == -EPIPE))
			app_export_failed(e, ret);
		if (e >= app.first_ipfix && sp_export_ipfix_poll_loss(app.exp[e], 10000, &l) > 0)
			app_ipfix_loss("warning", app.exp_name[e], l.records, l.refused, l.cause);
	}
}

/* The management lcore's loop: with several workers it is also the RX
 * lcore feeding the dispatcher. Returns when every worker is done and
 * every record has been exported. */
static void
app_manage(void)
{
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	uint64_t last_tsc = 0, flush_tsc = 0;
	unsigned int i, busy, done;
	int n;

	for (;;) {
		busy = 0;
		if (app.dispatch != NULL && !app.rx_done) {
			if (app.stop_rx)
				n = -ENODATA;
			else if (app.live)
				n = app_live_rx(0, pkts, info);
			else
				n = sp_capture_rx(app.cap, pkts, info, SP_BURST);
			if (n == -ENODATA)
				__atomic_store_n(&app.rx_done, true, __ATOMIC_RELEASE);
			else if (n > 0)
				sp_dispatch_burst(app.dispatch, pkts, info, (uint16_t)n);
			busy += n > 0;
		}
		done = 0;
		for (i = 0; i < app.n_workers; i++) {
			/* read done before draining: a worker's last records are
			 * in its ring by the time it says it is done */
			done += __atomic_load_n(&app.wk[i].done, __ATOMIC_ACQUIRE);
			busy += app_drain(app.wk[i].w);
		}
		app_status(&last_tsc);
		app_flush_exporters(&flush_tsc);
		if (busy)
			continue;
		if (done == app.n_workers)
			break;
		/* Nothing to do: yield the CPU (a worker may share it). */
		if (app.dispatch == NULL || app.rx_done)
			usleep(100);

		app_status(&last_tsc);
	}
}

/* Where the wall clock went: start-up (EAL, tables, nDPI, exporters),
 * the input (first packet polled to the last worker's end of input) and
 * the final flush and drain; the input's rate is the workers' together. */
static void
app_report_time(uint64_t received)
{
	double end = 0, input;
	unsigned int i;

	for (i = 0; i < app.n_workers; i++)
		end = RTE_MAX(end, app.wk[i].input_end_s);
	if (end == 0 || app.launch_s == 0)
		return;
	input = end - app.launch_s;
	fprintf(stderr, "time: start-up %.3f s, input %.3f s (%.3f M packets/s), flush %.3f s\n",
		app.launch_s - app.start_s, input,
		input > 0 ? (double)received / input / 1e6 : 0.0, app.joined_s - end);
}

static int
app_report(void)
{
	struct sp_capture_stats cs;
	struct sp_dispatch_stats ds;
	struct sp_worker_stats ws, tot;
	uint64_t ignored = 0, received, dropped, skipped;
	unsigned int r, i;
	int rc = 0;

	memset(&cs, 0, sizeof(cs));
	if (app.cap != NULL)
		sp_capture_get_stats(app.cap, &cs);
	if (app.live) {
		struct rte_eth_stats es;

		/* Losses before the workers saw the packets: the NIC had no
		 * descriptor (imissed) or no mbuf (rx_nombuf). */
		if (rte_eth_stats_get((uint16_t)app.port_id, &es) == 0)
			cs.lost = es.imissed + es.rx_nombuf;
	}
	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < app.n_workers; i++) {
		sp_worker_get_stats(app.wk[i].w, &ws);
		tot.packets += ws.packets;
		tot.in_flows += ws.in_flows;
		tot.filtered += ws.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot.ignored[r] += ws.ignored[r];
		tot.dropped_table_full += ws.dropped_table_full;
		tot.flows_evicted += ws.flows_evicted;
		tot.flows_active += ws.flows_active;
		tot.records_dropped += ws.records_dropped;
	}
	received = tot.packets + cs.lost;
	dropped = cs.lost + tot.dropped_table_full;
	if (app.dispatch != NULL) {
		/* Filtering and parsing happened at dispatch. */
		sp_dispatch_get_stats(app.dispatch, &ds);
		received = ds.packets + cs.lost;
		tot.filtered = ds.filtered;
		for (r = 0; r < SP_PARSE_RESULTS; r++)
			tot.ignored[r] = ds.ignored[r];
		dropped += ds.dropped_ring_full;
	}
	for (r = 1; r < SP_PARSE_RESULTS; r++)
		ignored += tot.ignored[r];
	/* the line completed with the run's mean rate */
	app_status_line(app.joined_s > app.launch_s ? (double)tot.packets /
			(app.joined_s - app.launch_s) : 0, tot.flows_active, dropped, true);
	fprintf(stderr, "accounting: received=%" PRIu64 " in_flows=%" PRIu64 " ignored=%" PRIu64
		" filtered=%" PRIu64 " dropped=%" PRIu64 "\n",
		received, tot.in_flows, ignored, tot.filtered, dropped);
	fprintf(stderr, "ignored:");
	for (r = 1; r < SP_PARSE_RESULTS; r++)
		fprintf(stderr, " %s=%" PRIu64, sp_parse_result_name(r), tot.ignored[r]);
	skipped = app.records_skipped + tot.flows_active;
	fprintf(stderr, "\nflows: exported=%" PRIu64 " evicted_table_full=%" PRIu64
		" not_exported_max_nflows=%" PRIu64 " records_dropped=%" PRIu64 "\n",
		app.next_id, tot.flows_evicted, skipped, tot.records_dropped);
	if (app.n_workers > 1) {
		fprintf(stderr, "workers:");
		for (i = 0; i < app.n_workers; i++) {
			sp_worker_get_stats(app.wk[i].w, &ws);
			fprintf(stderr, " %u=%" PRIu64, i, ws.packets);
		}
		fputc('\n', stderr);
	}
	if (app.cfg.n_dissections > 0 && app.cfg.dpi_stats) {
		char line[SP_DPI_STATS_LINE_MAX];

		for (i = 0; i < app.n_workers; i++)
			if (sp_dpi_format_stats(sp_worker_hook_ctx(app.wk[i].w, sp_dpi_ops()), line,
						sizeof(line)) > 0)
				fprintf(stderr, "worker %u %s\n", i, line);
	}
	for (i = 0; i < sp_plugins_count(app_plugins); i++) {
		struct sp_plugin_stat sum[32];
		unsigned int k, n = app_plugin_stats(i, sum, RTE_DIM(sum));
		bool any = false;

		for (k = 0; k < n; k++)
			any |= sum[k].value != 0;
		if (!any)
			continue;
		fprintf(stderr, "plugin %s:", sp_plugins_name(app_plugins, i));
		for (k = 0; k < n; k++)
			fprintf(stderr, " %s=%" PRIu64, sum[k].name, sum[k].value);
		fputc('\n', stderr);
	}
	if (sp_config_replay(&app.cfg)) {
		double s = cs.replay_feed_s > 0 ? cs.replay_feed_s : 1e-9;

		fprintf(stderr, "replay: loaded %" PRIu64 " packets (%.1f MB) in %.2f s; fed %"
			PRIu64 " packets in %.3f s = %.3f Mpps, %.3f Gbit/s; %" PRIu64
			" complete passes\n", cs.replay_loaded, (double)cs.replay_bytes / 1e6,
			cs.replay_load_s, cs.received, s, (double)cs.received / s / 1e6,
			(double)cs.replay_wire_bytes * 8 / s / 1e9, cs.replay_passes);
	}
	app_report_time(received);
	if (cs.unmatched != 0)
		fprintf(stderr, "streamprobe: warning: %" PRIu64 " packets could not be matched to their pcap "
			"record; their wire length is their captured length\n", cs.unmatched);
	if (received != tot.in_flows + ignored + tot.filtered + dropped) {
		fprintf(stderr, "streamprobe: error: packet accounting does not add up\n");
		rc = 1;
	}
	if (cs.read_error != 0) {
		fprintf(stderr, "streamprobe: error: %s\n", cs.error);
		rc = 1;
	}
	return rc;
}

/* Allowed CPUs but `skip` (-1: none) as an EAL cpu list ("0-3,6"); *last
 * gets the highest allowed one. The list is empty when only `skip` is
 * allowed. */
static void
app_cpu_list(char *buf, size_t len, int skip, int *last)
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

/* EAL arguments for the common case: no hugepages, no PCI, one worker on
 * a CPU of its own (the last allowed one) and the management lcore on the
 * others (several workers and the management lcore float over all allowed
 * CPUs), a private runtime prefix so that runs never collide. */
static unsigned int app_mbuf_count(void);
static bool app_dispatched(void);

static int
app_default_eal_args(char **eal, char *bufs, size_t buflen, const char *prog)
{
	char cpus[192], others[192];
	size_t mem_mb;
	int n = 0, last;

	/* Without hugepages the flow tables and DPI states are anonymous
	 * memory (sp_mem.h): the EAL heap holds the mbufs and each worker's
	 * records and rings, plus 64 MB for the rest. Sizing it to need
	 * rather than to the tables saves ~30 ms of start-up (the EAL sets up
	 * a descriptor per 4 KiB page of it). */
	mem_mb = 64 + (sp_mempool_heap_size(app_mbuf_count(), sizeof(struct rte_mbuf) +
					    SP_MBUF_PRIV_SIZE + RTE_MBUF_DEFAULT_BUF_SIZE,
					    APP_MBUF_CACHE, 4096) +
		       (size_t)app.cfg.n_workers *
		       sp_worker_heap_size(&app.cfg, app_dispatched() ? APP_RX_RING : 0)) /
		 (1u << 20);
	app_cpu_list(cpus, sizeof(cpus), -1, &last);
	app_cpu_list(others, sizeof(others), last, &last);
	eal[n++] = (char *)(uintptr_t)prog;
	eal[n++] = "--no-huge";
	eal[n++] = "--no-pci";
	/* one process: no shared config files (each run would otherwise
	 * leave ~30 MB of fbarray files in its runtime directory) */
	eal[n++] = "--no-shconf";
	if (!app.cfg.telemetry)
		eal[n++] = "--no-telemetry";
	eal[n++] = "--log-level=*:warning";
	snprintf(bufs, 64, "-m%zu", mem_mb);
	eal[n++] = bufs;
	snprintf(bufs + 64, 64, "--file-prefix=streamprobe%d", (int)getpid());
	eal[n++] = bufs + 64;
	/* One worker: it has the last CPU to itself, the main lcore (exporters,
	 * and with --dispatch the reading) gets the others. */
	if (app.cfg.n_workers == 1)
		snprintf(bufs + 128, buflen - 128, "--lcores=0@(%s),1@%d",
			 others[0] != '\0' ? others : cpus, last);
	else
		snprintf(bufs + 128, buflen - 128, "--lcores=0@(%s),(1-%u)@(%s)", cpus,
			 app.cfg.n_workers, cpus);
	eal[n++] = bufs + 128;
	eal[n] = NULL;
	return n;
}

static void
app_ipfix_params(struct sp_ipfix_params *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->domain_id = app.cfg.ipfix_domain;
	ip->pen = app.cfg.ipfix_pen;
	ip->mtu = app.cfg.ipfix_mtu;
	ip->template_refresh_ms = app.cfg.ipfix_refresh_s * 1000;
	ip->reconnect_min_ms = app.cfg.ipfix_reconnect_min_ms;
	ip->reconnect_max_ms = app.cfg.ipfix_reconnect_max_ms;
	ip->buffer_size = app.cfg.ipfix_buffer;
	ip->rotate_bytes = app.cfg.ipfix_rotate_bytes;
	ip->rotate_s = app.cfg.ipfix_rotate_s;
	/* Files: nothing is lost by waiting for a collector's pace, so wait. */
	ip->rate = app.cfg.ipfix_rate_set ? app.cfg.ipfix_rate : app.live ? 0 :
		   SP_DEFAULT_IPFIX_FILE_RATE;
	ip->rate_wait = !app.live;
}

static void
app_columns(struct sp_columns *cols)
{
	memset(cols, 0, sizeof(*cols));
	cols->tunnel_id = app.cfg.decode_tunnels;
	cols->statistical = app.cfg.statistical;
	cols->splt_n = app.cfg.splt_n;
	cols->app = app.cfg.n_dissections > 0;
	cols->ndpi_risks = app.cfg.ndpi_risks;
	cols->ndpi_extra = app.cfg.ndpi_extra;
	cols->plugin_cols = sp_plugins_columns(app_plugins, &cols->n_plugin_cols);
}

/* Whether the main lcore reads the input and spreads it to the workers'
 * rings (several workers without RSS queues, or --dispatch), rather than
 * each worker polling its own queue. */
static bool
app_dispatched(void)
{
	if (app.cfg.dispatch)
		return true;
	if (app.cfg.n_workers == 1)
		return false;
	return !app.live || app.live_queues == 1;
}

/*
 * Mbufs of the pool. Offline, as app_setup_files() creates it (also used
 * before the EAL is up, to size its memory): room for a burst (of up to
 * 256 kB frames, as chains), and with dispatch for every worker ring full.
 * The pcap PMD loses a packet it cannot get an mbuf for, so it gets room
 * for a whole burst of jumbo chains; the own reader retries a record it
 * lacks mbufs for, and with one worker reading, every mbuf is back before
 * the next burst: a small pool is enough, and populating the large one
 * was most of the start-up (38 MB written for 16 k mbufs). Live ports
 * size their pool from their profile once the EAL is up (8 k-16 k per
 * queue): 64 k per worker is room for any.
 */
static unsigned int
app_mbuf_count(void)
{
	if (app.cfg.n_pcaps == 0)
		return 65536 * app.cfg.n_workers;
	if (!app_dispatched())
		return app.cfg.pcap_pmd ? APP_MBUFS : APP_MBUFS_OWN_READER;
	return APP_MBUFS + app.cfg.n_workers * APP_RX_RING;
}

/* Offline: the pool and the capture of the files. */
static int
app_setup_files(int socket)
{
	struct sp_capture_params cp;
	unsigned int n_mbufs;
	char err[512];

	n_mbufs = app_mbuf_count();
	app.mbufs = rte_pktmbuf_pool_create("sp_mbufs", n_mbufs, APP_MBUF_CACHE,
					    app_dispatched() ? SP_MBUF_PRIV_SIZE : 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (app.mbufs == NULL) {
		fprintf(stderr, "streamprobe: mbuf pool: %s (%u mbufs need %.1f MB of DPDK memory; "
			"give the EAL more with -m)\n", rte_strerror(rte_errno), n_mbufs,
			(double)sp_mempool_heap_size(n_mbufs, sizeof(struct rte_mbuf) +
						     SP_MBUF_PRIV_SIZE + RTE_MBUF_DEFAULT_BUF_SIZE,
						     APP_MBUF_CACHE, 4096) / (1 << 20));
		return 1;
	}
	memset(&cp, 0, sizeof(cp));
	cp.files = app.cfg.pcaps;
	cp.n_files = app.cfg.n_pcaps;
	cp.pool = app.mbufs;
	cp.pmd = app.cfg.pcap_pmd;
	/* one worker reads: the main lcore's CPU has time for the read()
	 * calls; with dispatch the main lcore reads and keeps it busy */
	cp.read_ahead = !app_dispatched() && !app.cfg.no_read_ahead;
	cp.replay = sp_config_replay(&app.cfg);
	cp.replay_loops = app.cfg.replay_loops;
	cp.replay_ms = app.cfg.replay_ms;
	cp.replay_gap_ms = app.cfg.idle_timeout_ms;
	app.cap = sp_capture_open(&cp, err, sizeof(err));
	if (app.cap == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 1;
	}
	return 0;
}

/* Live: find or attach the port, read its profile, start one RX queue per
 * worker. */
static int
app_setup_live(int socket)
{
	struct sp_port_profile prof;
	struct rte_eth_dev_info info;
	struct timespec ts;
	char err[512], args[192], dir[PATH_MAX];
	uint16_t pid, room = RTE_MBUF_DEFAULT_BUF_SIZE;
	uint32_t frame;
	int ret;

	app.live = true;
	if (app.cfg.iface != NULL) {
		app.iface = sp_port_iface_open(app.cfg.iface, err, sizeof(err));
		if (app.iface == NULL) {
			fprintf(stderr, "streamprobe: --iface %s\n", err);
			return 1;
		}
		if (!sp_port_iface_was_up(app.iface))
			fprintf(stderr, "streamprobe: --iface %s: the interface is down; packets "
				"come once it is up\n", app.cfg.iface);
		/* one socket: af_packet's kernel fanout hashes outer headers only,
		 * so the workers are fed by the software dispatch instead */
		frame = sp_port_af_packet_frame(sp_port_iface_mtu(app.iface));
		room = sp_port_af_packet_mbuf_room(frame);
		ret = sp_port_iface_devargs(app.cfg.iface, frame, app.cfg.ring_bytes, args,
					    sizeof(args));
		if (ret == 0)
			ret = rte_eal_hotplug_add("vdev", "net_af_packet_sp", args);
		if (ret < 0) {
			fprintf(stderr, "streamprobe: --iface %s: cannot open it (%s)\n",
				app.cfg.iface, rte_strerror(-ret));
			return 1;
		}
		app.vdev_attached = true;
		if (rte_eth_dev_get_port_by_name("net_af_packet_sp", &pid) != 0) {
			fprintf(stderr, "streamprobe: --iface %s: no port\n", app.cfg.iface);
			return 1;
		}
		app.port_id = pid;
	} else {
		app.port_id = app.cfg.port_id;
		if (!rte_eth_dev_is_valid_port((uint16_t)app.port_id)) {
			fprintf(stderr, "streamprobe: --port %d: no such port (%u available; give "
				"the device with EAL options)\n", app.port_id,
				rte_eth_dev_count_avail());
			return 1;
		}
	}
	sp_port_profile_dir(dir, sizeof(dir));
	if (access(dir, R_OK | X_OK) != 0) {
		fprintf(stderr, "streamprobe: NIC profiles: %s: %s (they are installed with the "
			"binary; STREAMPROBE_DRIVERS_CONFIG names another directory)\n", dir,
			strerror(errno));
		return 1;
	}
	ret = rte_eth_dev_info_get((uint16_t)app.port_id, &info);
	if (ret == 0)
		ret = sp_port_profile_for_driver(dir, info.driver_name, &prof, err, sizeof(err));
	if (ret == 0 && app.cfg.port_config != NULL)
		ret = sp_port_profile_load(app.cfg.port_config, &prof, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	if (app.cfg.promiscuous >= 0)
		prof.promiscuous = app.cfg.promiscuous;
	if (app.iface != NULL) {
		ret = sp_port_iface_bind(app.iface, (uint16_t)app.port_id, &prof);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: --iface %s: cannot set promiscuous mode (%s)\n",
				app.cfg.iface, strerror(-ret));
			return 1;
		}
	}
	/* Several workers need RSS over as many queues; otherwise (af_packet,
	 * pcap, ring, a one-queue NIC) one queue is read by the management
	 * lcore and spread in software by the flow key, inner headers
	 * included, which hardware RSS and kernel fanout do not look at. */
	app.live_queues = app.n_workers;
	if ((app.n_workers > 1 && (!prof.rss || info.max_rx_queues < app.n_workers)) ||
	    app.cfg.dispatch)
		app.live_queues = 1;
	app.mbufs = rte_pktmbuf_pool_create("sp_mbufs", prof.mbufs_per_queue * app.n_workers,
					    prof.mbuf_cache,
					    app_dispatched() ? SP_MBUF_PRIV_SIZE : 0, room, socket);
	if (app.mbufs == NULL) {
		fprintf(stderr, "streamprobe: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = sp_port_start((uint16_t)app.port_id, (uint16_t)app.live_queues, app.mbufs, &prof,
			    err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 1;
	}
	app.port_started = true;
	rte_timer_subsystem_init();
	clock_gettime(CLOCK_REALTIME, &ts);
	app.base_tsc = rte_rdtsc();
	app.base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	app.tsc_per_ms = rte_get_tsc_hz() / 1000;
	return 0;
}

/* A worker could not be created: say what it needed and what changes it. */
static void
app_worker_create_error(unsigned int i, int socket, unsigned int rx_ring_size)
{
	struct rte_malloc_socket_stats st;
	double need = (double)sp_worker_heap_size(&app.cfg, rx_ring_size) / (1 << 20);

	if (rte_errno != ENOMEM) {
		fprintf(stderr, "streamprobe: worker %u: %s\n", i, rte_strerror(rte_errno));
		return;
	}
	memset(&st, 0, sizeof(st));
	rte_malloc_get_socket_stats(socket, &st);
	if (rte_eal_has_hugepages())
		fprintf(stderr, "streamprobe: worker %u: out of DPDK memory on socket %d "
			"(%.1f MB free): each worker needs %.1f MB for its records plus its flow "
			"table and nDPI states, which --max-flows sizes (now %u flows); give the "
			"EAL more hugepage memory (-m, --socket-mem) or lower --max-flows\n", i,
			socket, (double)st.heap_freesz_bytes / (1 << 20), need, app.cfg.max_flows);
	else if (app.user_eal)
		fprintf(stderr, "streamprobe: worker %u: out of DPDK memory (%.1f MB free): each "
			"worker needs %.1f MB (its records; --splt-analysis sets their size) "
			"besides the mbufs; give the EAL more with -m\n", i,
			(double)st.heap_freesz_bytes / (1 << 20), need);
	else
		fprintf(stderr, "streamprobe: worker %u: out of memory: each worker needs %.1f MB "
			"of DPDK memory besides its flow table (--max-flows)\n", i, need);
}

/* NFStream's to_csv() parameters from the options: the names of
 * --csv-anonymize checked against the run's columns (an unknown one is an
 * error; one the run does not produce is skipped with a warning, as
 * NFStream does), the key read from --csv-anonymize-key. Returns 0, or the
 * exit code after a message. */
static int
app_csv_params(const struct sp_columns *cols, struct sp_csv_params *p)
{
	static const char *names[SP_EXPORT_CSV_MAX_ANON];
	static uint8_t key[SP_EXPORT_CSV_KEY_LEN];
	static char list[1024];
	char *tok, *save = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	p->flows_per_file = app.cfg.csv_flows_per_file;
	p->rotate_files = app.cfg.csv_rotate_files;
	if (app.cfg.csv_anonymize == NULL)
		return 0;
	if (snprintf(list, sizeof(list), "%s", app.cfg.csv_anonymize) >= (int)sizeof(list)) {
		fprintf(stderr, "streamprobe: --csv-anonymize: list too long\n");
		return 2;
	}
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		ret = sp_export_column_find(tok, cols);
		if (ret == -EINVAL) {
			fprintf(stderr, "streamprobe: --csv-anonymize: '%s' is not a column "
				"(docs/columns.md)\n", tok);
			return 2;
		}
		if (ret == -ENOENT)
			fprintf(stderr, "streamprobe: --csv-anonymize: this run has no column "
				"'%s'; nothing to anonymize there\n", tok);
		if (p->n_anonymize == RTE_DIM(names)) {
			fprintf(stderr, "streamprobe: --csv-anonymize: more than %u names\n",
				(unsigned int)RTE_DIM(names));
			return 2;
		}
		names[p->n_anonymize++] = tok;
	}
	p->anonymize = names;
	if (app.cfg.csv_anonymize_key == NULL)
		return 0;
	ret = sp_export_csv_load_key(app.cfg.csv_anonymize_key, key);
	if (ret != 0) {
		fprintf(stderr, "streamprobe: --csv-anonymize-key: %s: %s\n",
			app.cfg.csv_anonymize_key, ret == -EINVAL ?
			"not a key: the file must hold exactly 64 bytes "
			"(head -c 64 /dev/urandom > FILE)" : strerror(-ret));
		return 2;
	}
	p->anonymize_key = key;
	return 0;
}

/* Setup after the EAL: pool, input, filter, exporters, workers, dispatch.
 * Returns 0, or the exit code after printing a one-line error. */
static int
app_setup(void)
{
	struct sp_dispatch_params dp;
	struct sp_worker_params wp;
	struct sp_columns cols;
	unsigned int i, lcore;
	char err[512];
	int socket, ret, *dlts;

	app.n_workers = app.cfg.n_workers;
	lcore = -1;
	for (i = 0; i < app.n_workers; i++) {
		lcore = rte_get_next_lcore(lcore, 1, 0);
		if (lcore >= RTE_MAX_LCORE) {
			fprintf(stderr, "streamprobe: %u workers need %u lcores besides the main "
				"one; the EAL has %u\n", app.n_workers, app.n_workers,
				rte_lcore_count() - 1);
			return 1;
		}
		app.wk[i].lcore = lcore;
	}
	socket = (int)rte_lcore_to_socket_id(app.wk[0].lcore);

	if (app.cfg.n_pcaps > 0)
		ret = app_setup_files(socket);
	else
		ret = app_setup_live(socket);
	if (ret != 0)
		return ret;
	if (app.cfg.bpf_filter != NULL) {
		unsigned int n_dlts = app.live ? 1 : sp_capture_n_files(app.cap);

		dlts = calloc(n_dlts, sizeof(*dlts));
		if (dlts == NULL)
			return 1;
		for (i = 0; i < n_dlts; i++)
			dlts[i] = app.live ? SP_DLT_EN10MB : sp_capture_file_dlt(app.cap, i);
		app.filter = sp_filter_create(app.cfg.bpf_filter, dlts, n_dlts, err, sizeof(err));
		free(dlts);
		if (app.filter == NULL) {
			fprintf(stderr, "streamprobe: %s\n", err);
			return 2;
		}
	}
	app_columns(&cols);
	if (app.cfg.csv_path != NULL) {
		struct sp_csv_params cp;

		ret = app_csv_params(&cols, &cp);
		if (ret != 0)
			return ret;
		app.exp[app.n_exporters] = sp_export_csv_open_params(app.cfg.csv_path, &cols, &cp);
		if (cp.anonymize_key != NULL)
			explicit_bzero((void *)(uintptr_t)cp.anonymize_key, SP_EXPORT_CSV_KEY_LEN);
		if (app.exp[app.n_exporters] == NULL) {
			fprintf(stderr, "streamprobe: %s: %s\n", app.cfg.csv_path,
				strerror(rte_errno));
			return 1;
		}
		app.exp_name[app.n_exporters++] = app.cfg.csv_path;
	}
	app.first_ipfix = app.n_exporters;
	for (i = 0; i < app.cfg.n_ipfix; i++) {
		struct sp_ipfix_params ip;

		app_ipfix_params(&ip);
		app.exp[app.n_exporters] = sp_export_ipfix_open(app.cfg.ipfix[i], &cols, &ip);
		if (app.exp[app.n_exporters] == NULL) {
			fprintf(stderr, "streamprobe: --ipfix %s: %s\n", app.cfg.ipfix[i],
				rte_errno == EADDRNOTAVAIL ?
				"the host name does not resolve to an address" :
				strerror(rte_errno));
			return rte_errno == EINVAL || rte_errno == EADDRNOTAVAIL ? 2 : 1;
		}
		app.exp_name[app.n_exporters++] = app.cfg.ipfix[i];
	}

	memset(&wp, 0, sizeof(wp));
	wp.cfg = &app.cfg;
	wp.filter = app.filter;
	wp.lossless = !app.live;
	wp.rx_ring_size = app_dispatched() ? APP_RX_RING : 0;
	if (app.cfg.n_dissections > 0) {
		struct sp_dpi_params dpp;

		memset(&dpp, 0, sizeof(dpp));
		dpp.n_dissections = app.cfg.n_dissections;
		dpp.protos_file = app.cfg.ndpi_protos;
		dpp.categories_file = app.cfg.ndpi_categories;
		dpp.risks = app.cfg.ndpi_risks;
		dpp.extra = app.cfg.ndpi_extra;
		ret = sp_dpi_configure(&dpp);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: nDPI: %s%s%s\n", strerror(-ret),
				app.cfg.ndpi_protos ? " (check --ndpi-protos)" : "",
				app.cfg.ndpi_categories ? " (check --ndpi-categories)" : "");
			return 2;
		}
		wp.hooks[wp.n_hooks++] = sp_dpi_ops();
	}
	for (i = 0; i < sp_plugins_count(app_plugins); i++)
		wp.hooks[wp.n_hooks++] = sp_plugins_ops(app_plugins, i);
	memset(&dp, 0, sizeof(dp));
	for (i = 0; i < app.n_workers; i++) {
		wp.id = i;
		wp.socket_id = (int)rte_lcore_to_socket_id(app.wk[i].lcore);
		app.wk[i].w = sp_worker_create(&wp);
		if (app.wk[i].w == NULL && sp_plugins_init_failure(app_plugins) != NULL) {
			fprintf(stderr, "streamprobe: --plugin %s: worker_init failed\n",
				sp_plugins_init_failure(app_plugins));
			return 1;
		}
		if (app.wk[i].w == NULL) {
			app_worker_create_error(i, wp.socket_id, wp.rx_ring_size);
			return 1;
		}
		dp.rings[i] = sp_worker_rx_ring(app.wk[i].w);
	}
	for (i = 0; i < app.n_workers; i++)
		app.wk[i].queue = (uint16_t)i;
	if (wp.rx_ring_size > 0) {
		dp.cfg = &app.cfg;
		dp.filter = app.filter;
		dp.n_workers = app.n_workers;
		dp.lossless = !app.live;
		dp.socket_id = socket;
		dp.wait_cb = app_drain_all;
		app.dispatch = sp_dispatch_create(&dp);
		if (app.dispatch == NULL) {
			fprintf(stderr, "streamprobe: dispatcher: %s\n", rte_strerror(rte_errno));
			return 1;
		}
	}
	return 0;
}

static void
app_teardown(void)
{
	unsigned int i;

	for (i = 0; i < app.n_exporters; i++)
		sp_export_close(app.exp[i]);
	sp_dispatch_free(app.dispatch);
	for (i = 0; i < app.n_workers; i++)
		sp_worker_free(app.wk[i].w);
	sp_plugins_unload(app_plugins);		/* after the workers' worker_fini */
	app_plugins = NULL;
	sp_filter_free(app.filter);
	sp_capture_close(app.cap);
	if (app.port_started)
		sp_port_stop((uint16_t)app.port_id);
	if (app.vdev_attached)
		rte_eal_hotplug_remove("vdev", "net_af_packet_sp");
	/* after the PMD let go of it: its flags as found */
	if (sp_port_iface_close(app.iface) != 0)
		fprintf(stderr, "streamprobe: --iface %s: cannot restore its flags\n",
			app.cfg.iface);
	app.iface = NULL;
	rte_mempool_free(app.mbufs);
}

int
main(int argc, char **argv)
{
	char *eal_argv[APP_EAL_ARGS + 1];
	char eal_buf[512], err[512];
	char **app_argv = argv;
	int app_argc = argc, eal_argc, i, ret, rc;
	unsigned int w, e;

	app.start_s = sp_now_s();
	sp_config_defaults(&app.cfg);
	/* "streamprobe [EAL options] -- [options]": the DPDK convention. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	eal_argc = 0;
	if (i < argc) {
		if (i > APP_EAL_ARGS) {
			fprintf(stderr, "streamprobe: more than %d EAL arguments\n", APP_EAL_ARGS);
			return 2;
		}
		eal_argc = i;
		app.user_eal = true;
		memcpy(eal_argv, argv, sizeof(*argv) * i);
		eal_argv[eal_argc] = NULL;
		app_argv = &argv[i];
		app_argc = argc - i;
		app_argv[0] = argv[0];
	}
	ret = sp_config_parse(&app.cfg, app_argc, app_argv, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	app_plugins = sp_plugins_load(app.cfg.plugins, app.cfg.n_plugins, err, sizeof(err));
	if (app_plugins == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	app.cfg.record_ext_size = sp_plugins_area_size(app_plugins);
	if (app.cfg.ipfix_elements != NULL) {
		static const char *const fmts[] = { "xml", "csv", "iespec", "markdown" };
		struct sp_columns cols;
		unsigned int f;

		for (f = 0; f < RTE_DIM(fmts); f++)
			if (strcmp(app.cfg.ipfix_elements, fmts[f]) == 0)
				break;
		app_columns(&cols);
		return sp_export_ipfix_elements(stdout, (enum sp_ipfix_elements_format)f, &cols,
						app.cfg.ipfix_pen) == 0 ? 0 : 1;
	}
	if (eal_argc == 0)
		eal_argc = app_default_eal_args(eal_argv, eal_buf, sizeof(eal_buf), argv[0]);

	/* Registered before the EAL starts serving, so that a client never
	 * finds the socket without the commands. */
	rte_telemetry_register_cmd("/streamprobe/stats", app_tel_stats,
				   "Packets, flows and drops in total. No parameters");
	rte_telemetry_register_cmd("/streamprobe/workers", app_tel_workers,
				   "The same counters per worker. No parameters");
	rte_telemetry_register_cmd("/streamprobe/plugins", app_tel_plugins,
				   "Each plugin's counters (--plugin), keyed N_NAME. No parameters");
	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "streamprobe: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (!app.user_eal && strstr(rte_eal_get_runtime_dir(), "/streamprobe") != NULL) {
		snprintf(app_rundir, sizeof(app_rundir), "%s", rte_eal_get_runtime_dir());
		snprintf(app_tel_sock, sizeof(app_tel_sock), "%s/dpdk_telemetry.v2", app_rundir);
	}
	signal(SIGINT, app_on_signal);
	signal(SIGTERM, app_on_signal);
	signal(SIGPIPE, SIG_IGN);	/* a closed "--csv -" pipe is a write error */

	rc = app_setup();
	if (rc != 0)
		goto out;
	app.launch_s = sp_now_s();
	for (w = 0; w < app.n_workers; w++) {
		ret = rte_eal_remote_launch(app.dispatch != NULL ? app_worker_dispatched :
					    app.live ? app_worker_live :
					    app_worker_direct, &app.wk[w], app.wk[w].lcore);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: cannot launch worker %u: %s\n", w,
				strerror(-ret));
			app.stop_rx = true;
			__atomic_store_n(&app.rx_done, true, __ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			rc = 1;
			goto out;
		}
	}
	app_manage();
	rte_eal_mp_wait_lcore();
	app.joined_s = sp_now_s();
	app.stop_rx = true;	/* the input has ended */
	/* Everything written out before the report, so that a write error
	 * (a full disk) is said when it happens, not after the report. */
	for (e = 0; e < app.n_exporters; e++)
		if (app.export_error[e] == 0 && (ret = sp_export_flush(app.exp[e])) != 0)
			app_export_failed(e, ret);

	rc = app_report();
	for (e = 0; e < app.n_exporters; e++) {
		if (e >= app.first_ipfix) {
			struct sp_ipfix_stats st;

			ret = sp_export_ipfix_close(app.exp[e], &st);
			fprintf(stderr, "ipfix %s: records=%" PRIu64 " records_dropped=%" PRIu64
				" messages=%" PRIu64 " messages_dropped=%" PRIu64 " connects=%" PRIu64
				" disconnects=%" PRIu64 "\n", app.exp_name[e], st.records,
				st.records_dropped, st.messages, st.messages_dropped, st.connects,
				st.disconnects);
			/* A known loss fails the run, as a failed CSV write does. */
			if (st.records_dropped != 0 || st.refused != 0) {
				app_ipfix_loss("error", app.exp_name[e], st.records_dropped,
					       st.refused, st.loss_cause);
				rc = 1;
			}
		} else {
			ret = sp_export_close(app.exp[e]);
		}
		app.exp[e] = NULL;
		if (app.export_error[e] == -EPIPE) {
			/* said when it happened; not a failure */
		} else if (app.export_error[e] != 0) {
			rc = 1;		/* said when it happened */
		} else if (ret == -EPIPE) {
			fprintf(stderr, "streamprobe: %s: the reader closed the pipe\n",
				app.exp_name[e]);
		} else if (ret != 0) {
			fprintf(stderr, "streamprobe: error: %s: %s\n", app.exp_name[e],
				strerror(-ret));
			rc = 1;
		}
	}
out:
	app_teardown();
	rte_eal_cleanup();
	if (app_rundir[0] != '\0')
		sp_runtime_dir_remove(app_rundir);
	return rc;
}
