/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * streamprobe: the application only wires the stages of lib/ together, in
 * the order of the data path, and holds none of them:
 *
 *   options (lib/config) → EAL → the source: files (lib/capture) or a live
 *   port (lib/port), with its mbufs (lib/run) → filter (lib/filter) → the
 *   export set of CSV and IPFIX exporters (lib/export) → workers and their
 *   hooks: nDPI and the plugins, as lib/plugin registered them (lib/worker)
 *   → the run: lcore loops, dispatcher, management loop, report (lib/run)
 *   → teardown.
 *
 * Packets: source → [dispatcher] → workers (parse, flow table, features,
 * hooks) → export rings → management lcore → export set.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* gettid(), tgkill() */
#endif
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include <sp_batch.h>
#include <sp_common.h>
#include <sp_config.h>
#include <sp_mem.h>
#include <sp_export_set.h>
#include <sp_filter.h>
#include <sp_plugins.h>
#include <sp_run.h>
#include <sp_source.h>
#include <sp_worker.h>

#define APP_EAL_ARGS 24
#define APP_RX_RING 2048	/* dispatcher → worker ring, packets */

/* --startup-times: the ends of the start-up's phases (docs/startup.md). */
enum { APP_T_MAIN, APP_T_OPTIONS, APP_T_EAL, APP_T_INPUT, APP_T_EXPORTS, APP_T_WORKERS,
	APP_T_RUN, APP_T_N };

struct app {
	struct sp_config cfg;
	double start_s;			/* sp_process_start_s() */
	double t[APP_T_N];		/* sp_now_s() at each phase's end */
	bool user_eal;			/* EAL options came from the user */
	struct sp_source *src;		/* the files, or a live port */
	struct sp_port_live *port;	/* live: the source's port */
	struct sp_filter *filter;
	struct sp_plugins *plugins;	/* --plugin, loaded before the EAL */
	struct sp_export_set *exports;
	unsigned int n_workers;
	unsigned int lcores[SP_MAX_WORKERS];
	struct sp_worker *workers[SP_MAX_WORKERS];
	struct sp_run *run;
	struct sp_batch *batch;		/* --out-dir: instead of the run */
};

static struct app app;
static volatile sig_atomic_t app_signals;
static void
app_on_signal(int sig)
{
	/* Any thread may get a process's signal: only the main lcore, which
	 * writes the outputs, handles it, between two of its writes, so that
	 * the second signal's _exit() never cuts a write of a file short. */
	if (gettid() != getpid()) {
		tgkill(getpid(), getpid(), sig);
		return;
	}
	if (++app_signals > 1) {
		/* second signal: leave now; written files stay valid */
		sp_runtime_dir_remove_now();
		_exit(130);
	}
	if (app.run != NULL)
		sp_run_stop(app.run);	/* else: app_run() sees app_signals */
	if (app.batch != NULL)
		sp_batch_stop(app.batch);
}

/* The files source's params; also used before the EAL is up, to size its
 * memory. Dispatched: the main lcore reads the input and spreads it to the
 * workers' rings (several workers, or --dispatch), rather than each worker
 * reading. A live run with several workers counts as dispatched there: the
 * larger need, before the port says whether it has RSS. */
static void
app_files_params(struct sp_source_files_params *fp, int socket)
{
	*fp = (struct sp_source_files_params){ .capture = { .files = app.cfg.pcaps,
		.n_files = app.cfg.n_pcaps, .pmd = app.cfg.pcap_pmd,
		.replay = sp_config_replay(&app.cfg), .replay_loops = app.cfg.replay_loops,
		.replay_ms = app.cfg.replay_ms, .replay_gap_ms = app.cfg.idle_timeout_ms },
		.read_ahead = !app.cfg.no_read_ahead, .n_workers = app.cfg.n_workers,
		.dispatched = app.cfg.dispatch || app.cfg.n_workers > 1,
		.rx_ring_size = APP_RX_RING, .socket_id = socket };
}

static void
app_columns(struct sp_columns *cols)
{
	memset(cols, 0, sizeof(*cols));
	cols->tunnel_id = app.cfg.decode_tunnels;
	cols->statistical = app.cfg.statistical;
	cols->splt_n = app.cfg.splt_n;
	sp_export_columns_plugins(cols, app.plugins);	/* nDPI's, then the plugins' */
}

/* The input: the files, or a live port (an --iface through af_packet, or
 * --port) with its queues. */
static int
app_setup_input(int socket)
{
	struct sp_port_live_params lp = {
		.iface = app.cfg.iface, .port_id = app.cfg.port_id,
		.port_config = app.cfg.port_config, .promiscuous = app.cfg.promiscuous,
		.ring_bytes = app.cfg.ring_bytes, .n_workers = app.n_workers,
		.dispatch = app.cfg.dispatch, .dispatch_priv_size = SP_MBUF_PRIV_SIZE,
		.socket_id = socket,
	};
	struct sp_source_files_params fp;
	char err[512];

	app_files_params(&fp, socket);
	if (app.cfg.n_pcaps > 0)
		app.src = sp_source_files_open(&fp, err, sizeof(err));
	else
		app.src = sp_source_live_open(&lp, app.cfg.snaplen, err, sizeof(err));
	if (app.src == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return rte_errno == EINVAL ? 2 : 1;
	}
	app.port = sp_source_port(app.src);
	if (app.port != NULL && sp_port_live_iface_was_down(app.port))
		fprintf(stderr, "streamprobe: --iface %s: the interface is down; packets "
			"come once it is up\n", app.cfg.iface);
	return 0;
}

/* The filter, compiled for the link type of every input. */
static int
app_setup_filter(void)
{
	unsigned int n;
	const int *dlts = sp_source_link_types(app.src, &n);
	char err[512];

	if (app.cfg.bpf_filter == NULL)
		return 0;
	app.filter = sp_filter_create(app.cfg.bpf_filter, dlts, n, err, sizeof(err));
	if (app.filter == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	return 0;
}

/* The exporters' params: the run's export set, or each capture's in a batch. */
static void
app_export_params(struct sp_export_set_params *e)
{
	struct sp_export_set_params sp = { .max_nflows = app.cfg.max_nflows,
		.flush_interval_ms = app.cfg.flush_interval_ms, .status_line = !app.cfg.quiet,
		.csv_path = app.cfg.csv_path, .csv_anonymize = app.cfg.csv_anonymize,
		.csv_anonymize_key = app.cfg.csv_anonymize_key, .ipfix = app.cfg.ipfix,
		.n_ipfix = app.cfg.n_ipfix };
	struct sp_ipfix_params *ip = &sp.ipfix_params;

	app_columns(&sp.cols);
	sp.csv.flows_per_file = app.cfg.csv_flows_per_file;
	sp.csv.rotate_files = app.cfg.csv_rotate_files;
	*ip = (struct sp_ipfix_params){ .domain_id = app.cfg.ipfix_domain,
		.pen = app.cfg.ipfix_pen, .mtu = app.cfg.ipfix_mtu,
		.template_refresh_ms = app.cfg.ipfix_refresh_s * 1000,
		.reconnect_min_ms = app.cfg.ipfix_reconnect_min_ms,
		.reconnect_max_ms = app.cfg.ipfix_reconnect_max_ms,
		.buffer_size = app.cfg.ipfix_buffer, .rotate_bytes = app.cfg.ipfix_rotate_bytes,
		.rotate_s = app.cfg.ipfix_rotate_s, .rate_wait = app.port == NULL };
	/* Files: nothing is lost by waiting for a collector's pace, so wait. */
	ip->rate = app.cfg.ipfix_rate_set ? app.cfg.ipfix_rate : app.port != NULL ? 0 :
		   SP_DEFAULT_IPFIX_FILE_RATE;
	*e = sp;
}

/* The exporters, CSV first, as one export set. */
static int
app_setup_exports(void)
{
	struct sp_export_set_params sp;
	char err[512];

	app_export_params(&sp);
	app.exports = sp_export_set_open(&sp, err, sizeof(err));
	if (app.exports == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return rte_errno == EINVAL || rte_errno == EADDRNOTAVAIL ? 2 : 1;
	}
	return 0;
}

/* --out-dir: the batch reads the captures with the workers made. */
static int
app_setup_batch(int socket)
{
	struct sp_batch_params bp = { .cfg = &app.cfg, .n_workers = app.n_workers,
				      .socket_id = socket, .start_s = app.start_s };
	char err[512];

	app_export_params(&bp.exports);
	app.batch = sp_batch_create(&bp, err, sizeof(err));
	if (app.batch == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return rte_errno == EINVAL ? 2 : 1;
	}
	return 0;
}

/* Setup after the EAL: lcores, input, filter, exporters, workers and their
 * hooks, the run. Returns 0, or the exit code after a one-line error. */
static int
app_setup(void)
{
	struct sp_dispatch_params dp;
	struct sp_worker_params wp;
	struct sp_run_params rp;
	unsigned int i;
	char err[512];
	int socket, ret;

	app.n_workers = app.cfg.n_workers;
	if (sp_run_worker_lcores(app.n_workers, app.lcores) != 0) {
		fprintf(stderr, "streamprobe: %u workers need %u lcores besides the main one; the "
			"EAL has %u\n", app.n_workers, app.n_workers, rte_lcore_count() - 1);
		return 1;
	}
	socket = (int)rte_lcore_to_socket_id(app.lcores[0]);
	/* a batch reads its captures itself */
	ret = app.cfg.out_dir != NULL ? app_setup_batch(socket) : app_setup_input(socket);
	app.t[APP_T_INPUT] = sp_now_s();
	if (ret == 0 && app.cfg.out_dir == NULL)	/* a batch: per capture */
		ret = app_setup_filter();
	if (ret == 0 && app.cfg.out_dir == NULL)
		ret = app_setup_exports();
	if (ret != 0)
		return ret;
	app.t[APP_T_EXPORTS] = sp_now_s();

	/* Reading files, the tables' capacity follows --max-memory: reserved,
	 * paid as used, so never from the EAL heap (sp_mem.h). */
	sp_mem_set_anonymous(app.port == NULL);
	memset(&wp, 0, sizeof(wp));
	wp.cfg = &app.cfg;
	wp.filter = app.filter;
	wp.lossless = app.port == NULL;
	wp.records_grow = true;		/* lib/run grows them (the run's and the batch's loops) */
	wp.rx_ring_size = app.src != NULL && sp_source_dispatched(app.src) ? APP_RX_RING : 0;
	for (i = 0; i < sp_plugins_n_hooks(app.plugins); i++)	/* nDPI's first */
		wp.hooks[wp.n_hooks++] = sp_plugins_hook(app.plugins, i);
	for (i = 0; i < app.n_workers; i++) {
		wp.id = i;
		wp.socket_id = (int)rte_lcore_to_socket_id(app.lcores[i]);
		app.workers[i] = sp_worker_create(&wp);
		if (app.workers[i] == NULL && sp_plugins_init_failure(app.plugins) != NULL) {
			fprintf(stderr, "streamprobe: --plugin %s: worker_init failed\n",
				sp_plugins_init_failure(app.plugins));
			return 1;
		}
		if (app.workers[i] == NULL) {
			sp_worker_create_strerror(&wp, app.user_eal, err, sizeof(err));
			fprintf(stderr, "streamprobe: %s\n", err);
			return 1;
		}
	}
	app.t[APP_T_WORKERS] = sp_now_s();

	if (app.batch != NULL) {
		sp_batch_set_workers(app.batch, app.workers, app.lcores);
		return 0;
	}
	dp = (struct sp_dispatch_params){ .cfg = &app.cfg, .filter = app.filter,
		.lossless = app.port == NULL, .socket_id = socket };
	rp = (struct sp_run_params){ .src = app.src, .n_workers = app.n_workers,
		.dispatch = wp.rx_ring_size > 0 ? &dp : NULL, .exports = app.exports,
		.status_line = !app.cfg.quiet, .performance_report = app.cfg.performance_report,
		.dpi_stats = sp_plugins_dpi(app.plugins) != NULL && app.cfg.dpi_stats,
		.plugins = app.plugins,
		.replay = sp_config_replay(&app.cfg), .start_s = app.start_s };
	memcpy(rp.workers, app.workers, sizeof(rp.workers));
	memcpy(rp.lcores, app.lcores, sizeof(rp.lcores));
	rp.performance_out = app.cfg.csv_path != NULL && strcmp(app.cfg.csv_path, "-") == 0 ?
			     stderr : stdout;
	app.run = sp_run_create(&rp);
	if (app.run == NULL) {
		fprintf(stderr, "streamprobe: dispatcher: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	app.t[APP_T_RUN] = sp_now_s();
	return 0;
}

/* Inside rte_eal_init(), its drivers loaded (sp_eal_init()): nDPI's
 * modules on a thread of their own while the EAL sleeps 100 ms calibrating
 * its clock; the workers take them. */
static void
app_eal_loaded(void *arg)
{
	RTE_SET_USED(arg);
	if (sp_plugins_dpi(app.plugins) != NULL)
		sp_dpi_prepare(app.cfg.n_workers);
}

/* --startup-times: each phase's share, up to the launch of the workers.
 * The EAL's own parts (CPU scan, driver loading, TSC calibration) are
 * inside its call: docs/startup.md has them. */
static void
app_startup_times(void)
{
	double made = 0, waited = 0;
	const double *t = app.t;

	sp_dpi_prepare_times(&made, &waited);
	fprintf(stderr, "streamprobe: start-up %.3f s: loader %.3f, options %.3f, EAL %.3f, "
		"input %.3f, filter and exporters %.3f, workers %.3f, run %.3f; nDPI's modules "
		"%.3f on their thread, waited for %.3f\n", t[APP_T_RUN] - app.start_s,
		t[APP_T_MAIN] - app.start_s, t[APP_T_OPTIONS] - t[APP_T_MAIN],
		t[APP_T_EAL] - t[APP_T_OPTIONS], t[APP_T_INPUT] - t[APP_T_EAL],
		t[APP_T_EXPORTS] - t[APP_T_INPUT], t[APP_T_WORKERS] - t[APP_T_EXPORTS],
		t[APP_T_RUN] - t[APP_T_WORKERS], made, waited);
}

/* Launch, manage until the input ends, flush, report, close the outputs.
 * Returns the exit code. */
static int
app_run(void)
{
	int rc;

	if (app.cfg.startup_times)
		app_startup_times();
	if (app.batch != NULL) {
		if (app_signals != 0)
			sp_batch_stop(app.batch);
		rc = sp_batch_run(app.batch) != 0;
		return sp_batch_report(app.batch) != 0 || rc;
	}
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
	struct sp_run *run = app.run;
	unsigned int i;

	/* before the signal handler could use it freed */
	__atomic_store_n(&app.run, NULL, __ATOMIC_SEQ_CST);
	sp_batch_free(__atomic_exchange_n(&app.batch, NULL, __ATOMIC_SEQ_CST));
	sp_export_set_free(app.exports);
	sp_run_free(run);
	for (i = 0; i < app.n_workers; i++)
		sp_worker_free(app.workers[i]);
	sp_plugins_unload(app.plugins);		/* after the workers' worker_fini */
	app.plugins = NULL;
	sp_filter_free(app.filter);
	if (sp_source_close(app.src) != 0)
		fprintf(stderr, "streamprobe: --iface %s: cannot restore its flags\n",
			app.cfg.iface);
}

int
main(int argc, char **argv)
{
	char *eal_argv[APP_EAL_ARGS + 1];
	struct sp_eal_buf eal_buf;
	char err[512];
	char **app_argv = argv;
	int app_argc = argc, eal_argc, ret, rc;

	app.start_s = sp_process_start_s();
	app.t[APP_T_MAIN] = sp_now_s();
	/* First: a signal during start-up (nDPI, the EAL making its runtime
	 * directory) stops the run before it reads (app_run()) and the
	 * directory is removed, rather than killing us and leaving it behind. */
	signal(SIGINT, app_on_signal);
	signal(SIGTERM, app_on_signal);
	signal(SIGPIPE, SIG_IGN);	/* a closed "--csv -" pipe is a write error */
	sp_config_defaults(&app.cfg);
	/* "streamprobe [EAL options] -- [options]": the DPDK convention. */
	eal_argc = sp_config_split_eal(&app_argc, &app_argv, eal_argv, APP_EAL_ARGS);
	if (eal_argc < 0) {
		fprintf(stderr, "streamprobe: more than %d EAL arguments\n", APP_EAL_ARGS);
		return 2;
	}
	app.user_eal = eal_argc > 0;
	ret = sp_config_parse(&app.cfg, app_argc, app_argv, err, sizeof(err));
	if (ret == 1)
		return 0;
	if (ret < 0) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	/* before the EAL: the plugins' columns size the records, hence its memory */
	app.plugins = sp_plugins_load_run(&(struct sp_plugins_params){
		.specs = app.cfg.plugins, .n_specs = app.cfg.n_plugins,
		.dpi = { .n_dissections = app.cfg.n_dissections, .protos_file = app.cfg.ndpi_protos,
			 .categories_file = app.cfg.ndpi_categories, .risks = app.cfg.ndpi_risks,
			 .extra = app.cfg.ndpi_extra },
		.features = { .accounting_mode = app.cfg.accounting_mode,
			      .statistical = app.cfg.statistical, .splt_n = app.cfg.splt_n } },
		err, sizeof(err));
	if (app.plugins == NULL) {
		fprintf(stderr, "streamprobe: %s\n", err);
		return 2;
	}
	app.cfg.record_ext_size = sp_plugins_area_size(app.plugins);
	if (app.cfg.plugin_info)
		return sp_plugins_info(app.plugins, stdout) == 0 ? 0 : 1;
	if (app.cfg.ipfix_elements != NULL) {
		struct sp_columns cols;

		app_columns(&cols);
		return sp_export_ipfix_elements(stdout, sp_export_ipfix_elements_format(
			app.cfg.ipfix_elements), &cols, app.cfg.ipfix_pen) == 0 ? 0 : 1;
	}
	if (eal_argc == 0) {
		/* Without hugepages the flow tables and DPI states are anonymous
		 * memory (sp_mem.h): the EAL heap holds the mbufs, each worker's
		 * records and rings, and 64 MB more. Sized to need, not to the
		 * tables: ~30 ms less start-up (a descriptor per 4 KiB page). */
		struct sp_eal_defaults d = { .prog = argv[0], .n_workers = app.cfg.n_workers,
					     .telemetry = app.cfg.telemetry };
		struct sp_source_files_params fp;

		app_files_params(&fp, SOCKET_ID_ANY);
		d.mem_mb = 64 + (sp_source_mbufs_heap_size(sp_source_files_mbufs(&fp)) +
				 (size_t)fp.n_workers *
				 sp_worker_heap_size(&app.cfg, fp.dispatched ? APP_RX_RING : 0)) /
			   (1u << 20);
		if (app.cfg.out_dir != NULL)	/* a batch: each worker reads, no ring */
			d.mem_mb = 64 + (sp_batch_heap_size(fp.n_workers) + (size_t)fp.n_workers *
					 sp_worker_heap_size(&app.cfg, 0)) / (1u << 20);
		eal_argc = sp_eal_default_args(&d, eal_argv, &eal_buf);
	}

	sp_run_telemetry_register(app.cfg.n_workers);
	app.t[APP_T_OPTIONS] = sp_now_s();
	ret = sp_eal_init(eal_argc, eal_argv, !app.user_eal, app_eal_loaded, NULL);
	app.t[APP_T_EAL] = sp_now_s();
	if (ret < 0) {
		fprintf(stderr, "streamprobe: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		sp_plugins_unload(app.plugins);	/* joins nDPI's thread before exit() */
		return 1;
	}

	rc = app_setup();
	if (rc == 0)
		rc = app_run();
	app_teardown();
	rte_eal_cleanup();
	sp_runtime_dir_remove();
	return rc;
}
