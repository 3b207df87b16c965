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

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include <sp_capture.h>
#include <sp_common.h>
#include <sp_config.h>
#include <sp_dpi.h>
#include <sp_export.h>
#include <sp_filter.h>
#include <sp_parse.h>
#include <sp_worker.h>

#define APP_MBUFS 16383		/* enough for a burst of 256 kB jumbo frames */
#define APP_MBUF_CACHE 256
#define APP_EAL_ARGS 24
#define APP_DRAIN_BURST 64

struct app {
	struct sp_config cfg;
	struct rte_mempool *mbufs;
	struct sp_capture *cap;
	struct sp_filter *filter;
	struct sp_worker *worker;
	struct sp_exporter *csv;
	volatile bool stop_rx;		/* signal or max_nflows: stop reading */
	volatile bool worker_done;	/* set by the worker after its flush */
	uint64_t next_id;
	uint64_t records_skipped;	/* beyond --max-nflows */
	int export_error;
};

static struct app app;
static volatile sig_atomic_t app_signals;

static void
app_on_signal(int sig)
{
	(void)sig;
	if (++app_signals > 1)
		_exit(130);	/* second signal: leave now; written files stay valid */
	app.stop_rx = true;
}

/* Worker lcore: poll the capture in bursts until the input ends or we are
 * asked to stop, then export every remaining flow. */
static int
app_worker_main(void *arg)
{
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	int n;

	(void)arg;
	while (!app.stop_rx) {
		n = sp_capture_rx(app.cap, pkts, info, SP_BURST);
		if (n == -ENODATA)
			break;
		if (n > 0)
			sp_worker_process_burst(app.worker, pkts, info, (uint16_t)n);
	}
	sp_worker_flush(app.worker);
	__atomic_store_n(&app.worker_done, true, __ATOMIC_RELEASE);
	return 0;
}

/* Management side: hand records to the exporters, in ring order, giving
 * each its id. Returns the number of records taken off the ring. */
static unsigned int
app_drain(void)
{
	struct rte_ring *ring = sp_worker_export_ring(app.worker);
	struct rte_mempool *pool = sp_worker_record_pool(app.worker);
	void *recs[APP_DRAIN_BURST];
	unsigned int n, i;
	int ret;

	n = rte_ring_sc_dequeue_burst(ring, recs, APP_DRAIN_BURST, NULL);
	for (i = 0; i < n; i++) {
		struct sp_flow_record *r = recs[i];

		if (app.cfg.max_nflows != 0 && app.next_id >= app.cfg.max_nflows) {
			app.records_skipped++;
			continue;
		}
		r->id = app.next_id++;
		if (app.csv != NULL) {
			ret = sp_export_write(app.csv, r);
			if (ret != 0 && app.export_error == 0)
				app.export_error = ret;
		}
		if (app.cfg.max_nflows != 0 && app.next_id == app.cfg.max_nflows) {
			/* NFStream stops after the flow with id max_nflows - 1. */
			app.stop_rx = true;
			sp_worker_stop_export(app.worker);
		}
	}
	if (n > 0)
		rte_mempool_put_bulk(pool, recs, n);
	return n;
}

static void
app_status(uint64_t *last_tsc)
{
	struct sp_worker_stats ws;
	uint64_t now = rte_get_tsc_cycles();

	if (app.cfg.quiet || !isatty(STDERR_FILENO) || now - *last_tsc < rte_get_tsc_hz())
		return;
	*last_tsc = now;
	sp_worker_get_stats(app.worker, &ws);
	fprintf(stderr, "\rpackets %" PRIu64 "  flows active %u  exported %" PRIu64 "   ",
		ws.packets, ws.flows_active, app.next_id);
}

static int
app_report(void)
{
	struct sp_capture_stats cs;
	struct sp_worker_stats ws;
	uint64_t ignored = 0, received, dropped;
	unsigned int r;
	int rc = 0;

	sp_capture_get_stats(app.cap, &cs);
	sp_worker_get_stats(app.worker, &ws);
	for (r = 1; r < SP_PARSE_RESULTS; r++)
		ignored += ws.ignored[r];
	received = ws.packets + cs.lost;
	dropped = cs.lost + ws.dropped_table_full;
	if (!app.cfg.quiet && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	fprintf(stderr, "accounting: received=%" PRIu64 " in_flows=%" PRIu64 " ignored=%" PRIu64
		" filtered=%" PRIu64 " dropped=%" PRIu64 "\n",
		received, ws.in_flows, ignored, ws.filtered, dropped);
	fprintf(stderr, "ignored:");
	for (r = 1; r < SP_PARSE_RESULTS; r++)
		fprintf(stderr, " %s=%" PRIu64, sp_parse_result_name(r), ws.ignored[r]);
	fprintf(stderr, "\nflows: exported=%" PRIu64 " evicted_table_full=%" PRIu64
		" not_exported_max_nflows=%" PRIu64 " records_dropped=%" PRIu64 "\n",
		app.next_id, ws.flows_evicted, app.records_skipped + ws.flows_active,
		ws.records_dropped);
	if (cs.unmatched != 0)
		fprintf(stderr, "warning: %" PRIu64 " packets could not be matched to their pcap "
			"record; their wire length is their captured length\n", cs.unmatched);
	if (received != ws.in_flows + ignored + ws.filtered + dropped) {
		fprintf(stderr, "error: packet accounting does not add up\n");
		rc = 1;
	}
	if (cs.read_error != 0) {
		fprintf(stderr, "error: %s\n", cs.error);
		rc = 1;
	}
	return rc;
}

/* Allowed CPUs as an EAL cpu list ("0-3,6"); *last gets the highest. */
static void
app_cpu_list(char *buf, size_t len, int *last)
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
	for (c = 0; c <= CPU_SETSIZE && used < len; c++) {
		bool in = c < CPU_SETSIZE && CPU_ISSET(c, &set);

		if (in && start < 0)
			start = c;
		if (!in && start >= 0) {
			used += snprintf(buf + used, len - used, "%s%d", used ? "," : "", start);
			if (c - 1 > start && used < len)
				used += snprintf(buf + used, len - used, "-%d", c - 1);
			start = -1;
			*last = c - 1;
		}
	}
}

/* EAL arguments for the common case: no hugepages, no PCI, the worker on
 * a CPU of its own (the last allowed one), the management lcore floating
 * over all allowed CPUs (it mostly sleeps), a private runtime prefix so
 * that runs never collide. */
static int
app_default_eal_args(char **eal, char *bufs, size_t buflen, const char *prog)
{
	char cpus[192];
	size_t mem_mb;
	int n = 0, last;

	mem_mb = 512 + (size_t)app.cfg.max_flows * (2048 + 13 * app.cfg.splt_n) / (1u << 20);
	app_cpu_list(cpus, sizeof(cpus), &last);
	eal[n++] = (char *)(uintptr_t)prog;
	eal[n++] = "--no-huge";
	eal[n++] = "--no-pci";
	eal[n++] = "--no-telemetry";
	eal[n++] = "--log-level=*:warning";
	snprintf(bufs, 64, "-m%zu", mem_mb);
	eal[n++] = bufs;
	snprintf(bufs + 64, 64, "--file-prefix=streamprobe%d", (int)getpid());
	eal[n++] = bufs + 64;
	snprintf(bufs + 128, buflen - 128, "--lcores=0@(%s),1@%d", cpus, last);
	eal[n++] = bufs + 128;
	eal[n] = NULL;
	return n;
}

int
main(int argc, char **argv)
{
	char *eal_argv[APP_EAL_ARGS + 1];
	char eal_buf[512], err[512];
	struct sp_worker_params wp;
	struct sp_capture_params cp;
	struct sp_columns cols;
	char **app_argv = argv;
	int app_argc = argc, eal_argc, i, ret, rc;
	unsigned int worker_lcore;
	uint64_t last_tsc = 0;
	int *dlts;

	sp_config_defaults(&app.cfg);
	/* "streamprobe [EAL options] -- [options]": the DPDK convention. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	if (i < argc) {
		eal_argc = i;
		for (ret = 0; ret < i && ret < APP_EAL_ARGS; ret++)
			eal_argv[ret] = argv[ret];
		eal_argv[eal_argc] = NULL;
		app_argv = &argv[i];
		app_argc = argc - i;
		app_argv[0] = argv[0];
	} else {
		eal_argc = 0;
	}
	ret = sp_config_parse(&app.cfg, app_argc, app_argv, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	if (eal_argc == 0)
		eal_argc = app_default_eal_args(eal_argv, eal_buf, sizeof(eal_buf), argv[0]);

	ret = rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "streamprobe: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "streamprobe: need two lcores (management + worker)\n");
		rc = 1;
		goto out_eal;
	}
	signal(SIGINT, app_on_signal);
	signal(SIGTERM, app_on_signal);

	app.mbufs = rte_pktmbuf_pool_create("sp_mbufs", APP_MBUFS, APP_MBUF_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_lcore_to_socket_id(worker_lcore));
	if (app.mbufs == NULL) {
		fprintf(stderr, "streamprobe: mbuf pool: %s\n", rte_strerror(rte_errno));
		rc = 1;
		goto out_eal;
	}
	memset(&cp, 0, sizeof(cp));
	cp.files = app.cfg.pcaps;
	cp.n_files = app.cfg.n_pcaps;
	cp.pool = app.mbufs;
	app.cap = sp_capture_open(&cp, err, sizeof(err));
	if (app.cap == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		rc = 1;
		goto out_eal;
	}
	if (app.cfg.bpf_filter != NULL) {
		dlts = calloc(app.cfg.n_pcaps, sizeof(*dlts));
		if (dlts == NULL) {
			rc = 1;
			goto out;
		}
		for (i = 0; i < (int)app.cfg.n_pcaps; i++)
			dlts[i] = sp_capture_file_dlt(app.cap, i);
		app.filter = sp_filter_create(app.cfg.bpf_filter, dlts, app.cfg.n_pcaps, err,
					      sizeof(err));
		free(dlts);
		if (app.filter == NULL) {
			fprintf(stderr, "streamprobe: %s\n", err);
			rc = 2;
			goto out;
		}
	}
	memset(&cols, 0, sizeof(cols));
	cols.tunnel_id = app.cfg.decode_tunnels;
	cols.statistical = app.cfg.statistical;
	cols.splt_n = app.cfg.splt_n;
	cols.app = app.cfg.n_dissections > 0;
	if (app.cfg.csv_path != NULL) {
		app.csv = sp_export_csv_open(app.cfg.csv_path, &cols);
		if (app.csv == NULL) {
			fprintf(stderr, "streamprobe: %s: %s\n", app.cfg.csv_path,
				strerror(rte_errno));
			rc = 1;
			goto out;
		}
	}
	memset(&wp, 0, sizeof(wp));
	if (app.cfg.n_dissections > 0) {
		struct sp_dpi_params dp;

		memset(&dp, 0, sizeof(dp));
		dp.n_dissections = app.cfg.n_dissections;
		dp.protos_file = app.cfg.ndpi_protos;
		dp.categories_file = app.cfg.ndpi_categories;
		ret = sp_dpi_configure(&dp);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: nDPI: %s%s%s\n", strerror(-ret),
				app.cfg.ndpi_protos ? " (check --ndpi-protos)" : "",
				app.cfg.ndpi_categories ? " (check --ndpi-categories)" : "");
			rc = 2;
			goto out;
		}
		wp.hooks[wp.n_hooks++] = sp_dpi_ops();
	}
	wp.cfg = &app.cfg;
	wp.id = 0;
	wp.socket_id = (int)rte_lcore_to_socket_id(worker_lcore);
	wp.filter = app.filter;
	wp.lossless = true;
	app.worker = sp_worker_create(&wp);
	if (app.worker == NULL) {
		fprintf(stderr, "streamprobe: worker: %s (try a smaller --max-flows)\n",
			rte_strerror(rte_errno));
		rc = 1;
		goto out;
	}

	ret = rte_eal_remote_launch(app_worker_main, NULL, worker_lcore);
	if (ret != 0) {
		fprintf(stderr, "streamprobe: cannot launch the worker: %s\n", strerror(-ret));
		rc = 1;
		goto out;
	}
	for (;;) {
		bool done = __atomic_load_n(&app.worker_done, __ATOMIC_ACQUIRE);

		if (app_drain() == 0) {
			if (done)
				break;
			/* Nothing to export: yield the CPU (the worker may
			 * share it) rather than spin. */
			usleep(100);
			app_status(&last_tsc);
		}
	}
	rte_eal_wait_lcore(worker_lcore);

	rc = app_report();
	if (app.csv != NULL) {
		ret = sp_export_close(app.csv);
		app.csv = NULL;
		if (ret == 0)
			ret = app.export_error;
		if (ret != 0) {
			fprintf(stderr, "error: %s: %s\n", app.cfg.csv_path, strerror(-ret));
			rc = 1;
		}
	}
out:
	sp_export_close(app.csv);
	sp_worker_free(app.worker);
	sp_filter_free(app.filter);
	sp_capture_close(app.cap);
	rte_mempool_free(app.mbufs);
out_eal:
	rte_eal_cleanup();
	return rc;
}
