/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * streamprobe: the application wires the stages of lib/ together, in the
 * order of the data path, and holds no stage of its own:
 *
 *   options (lib/config) → EAL → mbuf pool and input: files (lib/capture)
 *   or a live port (lib/port) → filter (lib/filter) → exporters, as one
 *   export set (lib/export) → workers and their hooks, nDPI (lib/worker,
 *   lib/dpi) → the run: source, lcore loops, dispatcher, management loop,
 *   report (lib/run) → teardown.
 *
 *   source → [dispatcher] → workers (parse, flow table, features, hooks)
 *          → export rings → management lcore → export set (CSV, IPFIX)
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <sp_capture.h>
#include <sp_common.h>
#include <sp_config.h>
#include <sp_dispatch.h>
#include <sp_dpi.h>
#include <sp_export.h>
#include <sp_export_set.h>
#include <sp_filter.h>
#include <sp_port.h>
#include <sp_run.h>
#include <sp_source.h>
#include <sp_worker.h>

#define APP_MBUFS 16383		/* enough for a burst of 256 kB jumbo frames */
#define APP_MBUFS_OWN_READER 2047	/* a burst, one 256 kB chain, the lcore cache */
#define APP_MBUF_CACHE 256
#define APP_EAL_ARGS 24
#define APP_RX_RING 2048	/* dispatcher → worker ring, packets */

struct app {
	struct sp_config cfg;
	double start_s;			/* sp_now_s() at start */
	bool user_eal;			/* EAL options came from the user */
	struct rte_mempool *mbufs;	/* files (a live port has its own) */
	struct sp_capture *cap;		/* files */
	struct sp_port_live *port;	/* live */
	struct sp_source *src;
	struct sp_filter *filter;
	struct sp_export_set *exports;
	unsigned int n_workers;
	unsigned int lcores[SP_MAX_WORKERS];
	struct sp_worker *workers[SP_MAX_WORKERS];
	struct sp_run *run;
};

static struct app app;
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
	if (app.run != NULL)
		sp_run_stop(app.run);	/* else: app_run() sees app_signals */
}

/* Whether the main lcore reads the input and spreads it to the workers'
 * rings (several workers without RSS queues, or --dispatch), rather than
 * each worker polling its own queue. Before the port is open (EAL sizing),
 * a live run with several workers counts as dispatched: the larger need. */
static bool
app_dispatched(void)
{
	if (app.port != NULL)
		return sp_port_live_dispatched(app.port);
	return app.cfg.dispatch || app.cfg.n_workers > 1;
}

/*
 * Mbufs of the files' pool (also used before the EAL is up, to size its
 * memory): room for a burst (of up to 256 kB frames, as chains), and with
 * dispatch for every worker ring full. The pcap PMD loses a packet it
 * cannot get an mbuf for, so it gets room for a whole burst of jumbo
 * chains; the own reader retries a record it lacks mbufs for, and with one
 * worker reading, every mbuf is back before the next burst: a small pool
 * is enough, and populating the large one was most of the start-up (38 MB
 * written for 16 k mbufs). Live ports size their pool from their profile
 * once the EAL is up (8 k-16 k per queue): 64 k per worker is room for any.
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

static size_t
app_mbuf_heap(unsigned int n)
{
	return sp_mempool_heap_size(n, sizeof(struct rte_mbuf) + SP_MBUF_PRIV_SIZE +
				    RTE_MBUF_DEFAULT_BUF_SIZE, APP_MBUF_CACHE, 4096);
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
}

/* Offline: the pool and the capture of the files. */
static int
app_setup_files(int socket)
{
	struct sp_capture_params cp;
	unsigned int n = app_mbuf_count();
	char err[512];

	app.mbufs = rte_pktmbuf_pool_create("sp_mbufs", n, APP_MBUF_CACHE,
					    app_dispatched() ? SP_MBUF_PRIV_SIZE : 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (app.mbufs == NULL) {
		fprintf(stderr, "streamprobe: mbuf pool: %s (%u mbufs need %.1f MB of DPDK memory; "
			"give the EAL more with -m)\n", rte_strerror(rte_errno), n,
			(double)app_mbuf_heap(n) / (1 << 20));
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
	app.src = sp_source_files_create(app.cap);
	return app.src == NULL;
}

/* Live: the port (an --iface through af_packet, or --port), its queues. */
static int
app_setup_live(int socket)
{
	struct sp_port_live_params lp = {
		.iface = app.cfg.iface, .port_id = app.cfg.port_id,
		.port_config = app.cfg.port_config, .promiscuous = app.cfg.promiscuous,
		.ring_bytes = app.cfg.ring_bytes, .n_workers = app.n_workers,
		.dispatch = app.cfg.dispatch, .dispatch_priv_size = SP_MBUF_PRIV_SIZE,
		.socket_id = socket,
	};
	char err[512];

	app.port = sp_port_live_open(&lp, err, sizeof(err));
	if (app.port == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return rte_errno == EINVAL ? 2 : 1;
	}
	if (sp_port_live_iface_was_down(app.port))
		fprintf(stderr, "streamprobe: --iface %s: the interface is down; packets "
			"come once it is up\n", app.cfg.iface);
	app.src = sp_source_live_create(sp_port_live_id(app.port), app.cfg.snaplen);
	return app.src == NULL;
}

/* The filter, compiled for the link type of every input. */
static int
app_setup_filter(void)
{
	unsigned int i, n = app.cap != NULL ? sp_capture_n_files(app.cap) : 1;
	char err[512];
	int *dlts;

	if (app.cfg.bpf_filter == NULL)
		return 0;
	dlts = calloc(n, sizeof(*dlts));
	if (dlts == NULL)
		return 1;
	for (i = 0; i < n; i++)
		dlts[i] = app.cap != NULL ? sp_capture_file_dlt(app.cap, i) : SP_DLT_EN10MB;
	app.filter = sp_filter_create(app.cfg.bpf_filter, dlts, n, err, sizeof(err));
	free(dlts);
	if (app.filter == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	return 0;
}

/* The exporters, CSV first, as one export set. */
static int
app_setup_exports(void)
{
	struct sp_export_set_params sp = { .max_nflows = app.cfg.max_nflows,
		.flush_interval_ms = app.cfg.flush_interval_ms, .status_line = !app.cfg.quiet };
	struct sp_ipfix_params ip = { .domain_id = app.cfg.ipfix_domain, .pen = app.cfg.ipfix_pen,
		.mtu = app.cfg.ipfix_mtu, .template_refresh_ms = app.cfg.ipfix_refresh_s * 1000,
		.reconnect_min_ms = app.cfg.ipfix_reconnect_min_ms,
		.reconnect_max_ms = app.cfg.ipfix_reconnect_max_ms,
		.buffer_size = app.cfg.ipfix_buffer, .rotate_bytes = app.cfg.ipfix_rotate_bytes,
		.rotate_s = app.cfg.ipfix_rotate_s, .rate_wait = app.port == NULL };
	struct sp_columns cols;
	struct sp_exporter *e;
	char err[512];
	unsigned int i;

	app.exports = sp_export_set_create(&sp);
	if (app.exports == NULL)
		return 1;
	app_columns(&cols);
	if (app.cfg.csv_path != NULL) {
		static struct sp_csv_anon anon;
		struct sp_csv_params cp = { .flows_per_file = app.cfg.csv_flows_per_file,
					    .rotate_files = app.cfg.csv_rotate_files };

		if (sp_export_csv_anon_parse(app.cfg.csv_anonymize, app.cfg.csv_anonymize_key,
					     &cols, &anon, &cp, err, sizeof(err)) != 0) {
			fprintf(stderr, "streamprobe: %s\n", err);
			return 2;
		}
		e = sp_export_csv_open_params(app.cfg.csv_path, &cols, &cp);
		sp_export_csv_anon_clear(&anon);
		if (e == NULL) {
			fprintf(stderr, "streamprobe: %s: %s\n", app.cfg.csv_path,
				strerror(rte_errno));
			return 1;
		}
		if (sp_export_set_add(app.exports, e, app.cfg.csv_path) != 0)
			return 1;
	}
	/* Files: nothing is lost by waiting for a collector's pace, so wait. */
	ip.rate = app.cfg.ipfix_rate_set ? app.cfg.ipfix_rate : app.port != NULL ? 0 :
		  SP_DEFAULT_IPFIX_FILE_RATE;
	for (i = 0; i < app.cfg.n_ipfix; i++) {
		e = sp_export_ipfix_open(app.cfg.ipfix[i], &cols, &ip);
		if (e == NULL) {
			fprintf(stderr, "streamprobe: --ipfix %s: %s\n", app.cfg.ipfix[i],
				rte_errno == EADDRNOTAVAIL ?
				"the host name does not resolve to an address" :
				strerror(rte_errno));
			return rte_errno == EINVAL || rte_errno == EADDRNOTAVAIL ? 2 : 1;
		}
		if (sp_export_set_add(app.exports, e, app.cfg.ipfix[i]) != 0)
			return 1;
	}
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

/* Setup after the EAL: lcores, input, filter, exporters, workers and their
 * hooks, the run. Returns 0, or the exit code after a one-line error. */
static int
app_setup(void)
{
	struct sp_dispatch_params dp;
	struct sp_worker_params wp;
	struct sp_run_params rp;
	unsigned int i, lcore = -1;
	int socket, ret;

	app.n_workers = app.cfg.n_workers;
	for (i = 0; i < app.n_workers; i++) {
		lcore = rte_get_next_lcore(lcore, 1, 0);
		if (lcore >= RTE_MAX_LCORE) {
			fprintf(stderr, "streamprobe: %u workers need %u lcores besides the main "
				"one; the EAL has %u\n", app.n_workers, app.n_workers,
				rte_lcore_count() - 1);
			return 1;
		}
		app.lcores[i] = lcore;
	}
	socket = (int)rte_lcore_to_socket_id(app.lcores[0]);
	ret = app.cfg.n_pcaps > 0 ? app_setup_files(socket) : app_setup_live(socket);
	if (ret == 0)
		ret = app_setup_filter();
	if (ret == 0)
		ret = app_setup_exports();
	if (ret != 0)
		return ret;

	memset(&wp, 0, sizeof(wp));
	wp.cfg = &app.cfg;
	wp.filter = app.filter;
	wp.lossless = app.port == NULL;
	wp.rx_ring_size = app_dispatched() ? APP_RX_RING : 0;
	if (app.cfg.n_dissections > 0) {
		struct sp_dpi_params dpp = { .n_dissections = app.cfg.n_dissections,
			.protos_file = app.cfg.ndpi_protos, .categories_file = app.cfg.ndpi_categories,
			.risks = app.cfg.ndpi_risks, .extra = app.cfg.ndpi_extra };

		ret = sp_dpi_configure(&dpp);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: nDPI: %s%s%s\n", strerror(-ret),
				app.cfg.ndpi_protos ? " (check --ndpi-protos)" : "",
				app.cfg.ndpi_categories ? " (check --ndpi-categories)" : "");
			return 2;
		}
		wp.hooks[wp.n_hooks++] = sp_dpi_ops();
	}
	for (i = 0; i < app.n_workers; i++) {
		wp.id = i;
		wp.socket_id = (int)rte_lcore_to_socket_id(app.lcores[i]);
		app.workers[i] = sp_worker_create(&wp);
		if (app.workers[i] == NULL) {
			app_worker_create_error(i, wp.socket_id, wp.rx_ring_size);
			return 1;
		}
	}

	memset(&dp, 0, sizeof(dp));
	dp.cfg = &app.cfg;
	dp.filter = app.filter;
	dp.lossless = app.port == NULL;
	dp.socket_id = socket;
	memset(&rp, 0, sizeof(rp));
	rp.src = app.src;
	memcpy(rp.workers, app.workers, sizeof(rp.workers));
	memcpy(rp.lcores, app.lcores, sizeof(rp.lcores));
	rp.n_workers = app.n_workers;
	rp.dispatch = wp.rx_ring_size > 0 ? &dp : NULL;
	rp.exports = app.exports;
	rp.status_line = !app.cfg.quiet;
	rp.performance_report = app.cfg.performance_report;
	rp.performance_out = app.cfg.csv_path != NULL && strcmp(app.cfg.csv_path, "-") == 0 ?
			     stderr : stdout;
	rp.dpi_stats = app.cfg.n_dissections > 0 && app.cfg.dpi_stats;
	rp.replay = sp_config_replay(&app.cfg);
	rp.start_s = app.start_s;
	app.run = sp_run_create(&rp);
	if (app.run == NULL) {
		fprintf(stderr, "streamprobe: dispatcher: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	return 0;
}

/* Launch, manage until the input ends, flush, report, close the outputs.
 * Returns the exit code. */
static int
app_run(void)
{
	int rc;

	if (app_signals != 0)
		sp_run_stop(app.run);
	if (sp_run_launch(app.run) != 0)
		return 1;
	sp_run_manage(app.run);
	/* Everything written out before the report, so that a write error
	 * (a full disk) is said when it happens, not after the report. */
	sp_export_set_flush(app.exports);
	rc = sp_run_report(app.run) != 0;
	if (sp_export_set_close(app.exports) != 0)
		rc = 1;
	app.exports = NULL;
	return rc;
}

static void
app_teardown(void)
{
	unsigned int i;

	sp_export_set_free(app.exports);
	sp_run_free(app.run);
	app.run = NULL;
	for (i = 0; i < app.n_workers; i++)
		sp_worker_free(app.workers[i]);
	sp_filter_free(app.filter);
	sp_source_free(app.src);
	sp_capture_close(app.cap);
	if (sp_port_live_close(app.port) != 0)
		fprintf(stderr, "streamprobe: --iface %s: cannot restore its flags\n",
			app.cfg.iface);
	rte_mempool_free(app.mbufs);
}

int
main(int argc, char **argv)
{
	char *eal_argv[APP_EAL_ARGS + 1];
	struct sp_eal_buf eal_buf;
	char err[512];
	char **app_argv = argv;
	int app_argc = argc, eal_argc, i, ret, rc;

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
	if (eal_argc == 0) {
		/* Without hugepages the flow tables and DPI states are
		 * anonymous memory (sp_mem.h): the EAL heap holds the mbufs
		 * and each worker's records and rings, plus 64 MB for the
		 * rest. Sizing it to need rather than to the tables saves
		 * ~30 ms of start-up (a descriptor per 4 KiB page of it). */
		struct sp_eal_defaults d = { .prog = argv[0], .n_workers = app.cfg.n_workers,
			.telemetry = app.cfg.telemetry,
			.mem_mb = 64 + (app_mbuf_heap(app_mbuf_count()) + (size_t)app.cfg.n_workers *
					sp_worker_heap_size(&app.cfg, app_dispatched() ?
							    APP_RX_RING : 0)) / (1u << 20) };

		eal_argc = sp_eal_default_args(&d, eal_argv, &eal_buf);
	}

	sp_run_telemetry_register();
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
	if (rc == 0)
		rc = app_run();
	app_teardown();
	rte_eal_cleanup();
	if (app_rundir[0] != '\0')
		sp_runtime_dir_remove(app_rundir);
	return rc;
}
