/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run (lib/run) end to end without the app: a pcap written here, read
 * by a files source, through one worker reading it itself or two workers
 * fed by the dispatcher, into an export set whose fake exporter records
 * what reaches it. Checked: every flow arrives once with ids in order, the
 * report's accounting (a non-IP frame is ignored, at the dispatcher when
 * there is one) and per-worker line, the stop at max_nflows, a stop before
 * the launch (a signal), and the per-worker sum (sp_worker_stats_sum())
 * against each worker's own counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <sp_common.h>
#include <sp_config.h>
#include <sp_run.h>
#include <sp_source.h>
#include <sp_worker.h>

#include "sp_test.h"
#include "sp_test_pkt.h"

#define N_FLOWS 40
#define PKTS_PER_FLOW 3
#define SEEN_MAX 64

static char dir[] = "/tmp/test_run.XXXXXX";
static char pcap[64];
static struct sp_config cfg;

/* --- a fake exporter --------------------------------------------------- */

struct fake {
	struct sp_exporter base;
	unsigned int n;
	uint64_t ids[SEEN_MAX];
	uint16_t sports[SEEN_MAX];	/* client port of each flow */
	uint64_t pkts;			/* packets of every flow */
};

static int
fake_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct fake *f = (struct fake *)e;

	if (f->n < SEEN_MAX) {
		f->ids[f->n] = r->id;
		f->sports[f->n] = r->st.src_port;
	}
	f->n++;
	f->pkts += r->st.packets[SP_BI];
	return 0;
}

static int
fake_flush(struct sp_exporter *e)
{
	(void)e;
	return 0;
}

static const struct sp_exporter_ops fake_ops = {
	.name = "fake", .write = fake_write, .flush = fake_flush,
};

/* --- standard error, captured ------------------------------------------ */

static FILE *cap_file;
static int saved_stderr = -1;

static void
cap_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap_file);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(cap_file), STDERR_FILENO);
}

static const char *
cap_end(void)
{
	static char buf[8192];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(cap_file);
	n = fread(buf, 1, sizeof(buf) - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	return buf;
}

static uint64_t
ignored(const struct sp_worker_stats *ws)
{
	uint64_t n = 0;
	unsigned int r;

	for (r = 1; r < SP_PARSE_RESULTS; r++)
		n += ws->ignored[r];
	return n;
}

/* --- one run ------------------------------------------------------------ */

struct outcome {
	struct fake fake;
	int report_rc;
	char report[8192];
	struct sp_worker_stats tot, per[2];
};

/* Run the pcap through n_workers (2: dispatched) into a fake exporter. */
static void
run_pcap(unsigned int n_workers, uint64_t max_nflows, bool stop_first, struct outcome *o)
{
	const char *files[1] = { pcap };
	struct sp_source_files_params fp;
	struct sp_export_set_params ep;
	struct sp_dispatch_params dp;
	struct sp_worker_params wp;
	struct sp_run_params rp;
	struct sp_source *src;
	struct sp_run *run;
	unsigned int i, lcore = -1;
	char err[256];

	memset(o, 0, sizeof(*o));
	o->fake.base.ops = &fake_ops;
	memset(&fp, 0, sizeof(fp));
	fp.capture.files = files;
	fp.capture.n_files = 1;
	fp.n_workers = n_workers;
	fp.dispatched = n_workers > 1;
	fp.rx_ring_size = 1024;
	fp.socket_id = SOCKET_ID_ANY;
	src = sp_source_files_open(&fp, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_EQUAL(sp_source_dispatched(src), n_workers > 1);
	CU_ASSERT_FALSE(sp_source_is_live(src));

	memset(&ep, 0, sizeof(ep));
	ep.max_nflows = max_nflows;
	ep.flush_interval_ms = 1000;
	memset(&rp, 0, sizeof(rp));
	rp.exports = sp_export_set_create(&ep);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rp.exports);
	CU_ASSERT_EQUAL_FATAL(sp_export_set_add(rp.exports, &o->fake.base, "fake"), 0);

	memset(&wp, 0, sizeof(wp));
	wp.cfg = &cfg;
	wp.lossless = true;
	wp.socket_id = SOCKET_ID_ANY;
	wp.rx_ring_size = n_workers > 1 ? 1024 : 0;
	for (i = 0; i < n_workers; i++) {
		wp.id = i;
		lcore = rte_get_next_lcore(lcore, 1, 0);
		CU_ASSERT_FATAL(lcore < RTE_MAX_LCORE);
		rp.lcores[i] = lcore;
		rp.workers[i] = sp_worker_create(&wp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rp.workers[i]);
	}
	memset(&dp, 0, sizeof(dp));
	dp.cfg = &cfg;
	dp.lossless = true;
	dp.socket_id = SOCKET_ID_ANY;
	rp.src = src;
	rp.n_workers = n_workers;
	rp.dispatch = n_workers > 1 ? &dp : NULL;
	rp.performance_out = stdout;
	rp.start_s = sp_now_s();
	run = sp_run_create(&rp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(run);
	if (stop_first)
		sp_run_stop(run);
	CU_ASSERT_EQUAL_FATAL(sp_run_launch(run), 0);
	sp_run_manage(run);
	sp_export_set_flush(rp.exports);
	cap_start();
	o->report_rc = sp_run_report(run);
	snprintf(o->report, sizeof(o->report), "%s", cap_end());
	sp_worker_stats_sum(rp.workers, n_workers, NULL, &o->tot, o->per);
	/* the fake has no close: the set leaves its storage (o) alone */
	CU_ASSERT_EQUAL(sp_export_set_close(rp.exports), 0);
	sp_run_free(run);
	for (i = 0; i < n_workers; i++)
		sp_worker_free(rp.workers[i]);
	CU_ASSERT_EQUAL(sp_source_close(src), 0);
}

/* Every flow once, ids 0.. in the order they reached the export set. */
static void
check_flows(const struct outcome *o, unsigned int n)
{
	unsigned int i, k;

	CU_ASSERT_EQUAL_FATAL(o->fake.n, n);
	for (i = 0; i < n && i < SEEN_MAX; i++) {
		CU_ASSERT_EQUAL(o->fake.ids[i], i);
		for (k = 0; k < i; k++)
			CU_ASSERT_NOT_EQUAL(o->fake.sports[k], o->fake.sports[i]);
	}
}

/* The management lcore's idle wait doubles while nothing comes, halves
 * when records came, and stays within 10 µs..1 ms (the shortest
 * --flush-interval). */
static void
test_idle_next(void)
{
	uint32_t us = 10;
	unsigned int i;

	CU_ASSERT_EQUAL(sp_run_idle_next_us(10, false), 20);
	CU_ASSERT_EQUAL(sp_run_idle_next_us(640, false), 1000);
	CU_ASSERT_EQUAL(sp_run_idle_next_us(1000, false), 1000);
	CU_ASSERT_EQUAL(sp_run_idle_next_us(1000, true), 500);
	CU_ASSERT_EQUAL(sp_run_idle_next_us(10, true), 10);
	CU_ASSERT_EQUAL(sp_run_idle_next_us(0, false), 10);
	/* idle long: at the cap, not past it, in 7 steps */
	for (i = 0; i < 7; i++)
		us = sp_run_idle_next_us(us, false);
	CU_ASSERT_EQUAL(us, 1000);
	for (i = 0; i < 100; i++)
		us = sp_run_idle_next_us(us, false);
	CU_ASSERT_EQUAL(us, 1000);
	/* records every other wait: the wait stays where they come */
	for (i = 0; i < 10; i++) {
		us = sp_run_idle_next_us(us, true);
		us = sp_run_idle_next_us(us, false);
	}
	CU_ASSERT_EQUAL(us, 1000);
}

/* The mbufs a files source asks for. The own reader's pool only needs a
 * burst and one 256 kB chain of 2 kB segments in flight (the worker frees
 * them on its own lcore before its next burst), and must be able to hold
 * its lcore cache (rte_mempool refuses a cache over n / 1.5). It was 2047:
 * 511 writes a quarter of the mbuf headers at start-up (docs/startup.md). */
static void
test_mbufs(void)
{
	struct sp_source_files_params fp;
	const char *files[1] = { pcap };

	memset(&fp, 0, sizeof(fp));
	fp.capture.files = files;
	fp.capture.n_files = 1;
	fp.n_workers = 1;
	CU_ASSERT_EQUAL(sp_source_files_mbufs(&fp), 511);
	CU_ASSERT(sp_source_files_mbufs(&fp) >= SP_BURST + 262144 / 2048);
	CU_ASSERT(sp_source_files_mbufs(&fp) >= SP_SOURCE_MBUF_CACHE * 3 / 2);
	fp.capture.pmd = true;		/* net_pcap: its own buffering */
	CU_ASSERT_EQUAL(sp_source_files_mbufs(&fp), SP_SOURCE_MBUFS);
	fp.capture.pmd = false;
	fp.n_workers = 2;
	fp.dispatched = true;
	fp.rx_ring_size = 1024;
	CU_ASSERT_EQUAL(sp_source_files_mbufs(&fp), SP_SOURCE_MBUFS + 2 * 1024);
}

static void
test_own_reader(void)
{
	static struct outcome o;

	run_pcap(1, 0, false, &o);
	check_flows(&o, N_FLOWS);
	CU_ASSERT_EQUAL(o.fake.pkts, N_FLOWS * PKTS_PER_FLOW);
	CU_ASSERT_EQUAL(o.report_rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "accounting: received=121 in_flows=120 "
				      "ignored=1 filtered=0 dropped=0\n"));
	/* dropped by place, none of them live-only for a file */
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "\ndropped: missed=0 nombuf=0 unread=0 "
				      "undelivered=0 table_full=0 ring_full=0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "\nflows: exported=40 evicted_table_full=0 "
				      "not_exported_max_nflows=0 records_dropped=0\n"));
	CU_ASSERT_PTR_NULL(strstr(o.report, "workers:"));	/* one worker */
	CU_ASSERT_EQUAL(o.tot.packets, 121);
	CU_ASSERT_EQUAL(ignored(&o.tot), 1);
}

static void
test_dispatched(void)
{
	static struct outcome o;
	char line[128];

	run_pcap(2, 0, false, &o);
	check_flows(&o, N_FLOWS);
	CU_ASSERT_EQUAL(o.report_rc, 0);
	/* the ARP frame is ignored at the dispatcher, never reaching a worker */
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "accounting: received=121 in_flows=120 "
				      "ignored=1 filtered=0 dropped=0\n"));
	CU_ASSERT_EQUAL(o.tot.packets, 120);
	CU_ASSERT_EQUAL(o.per[0].packets + o.per[1].packets, 120);
	CU_ASSERT(o.per[0].packets > 0 && o.per[1].packets > 0);
	snprintf(line, sizeof(line), "workers: 0=%lu 1=%lu\n", (unsigned long)o.per[0].packets,
		 (unsigned long)o.per[1].packets);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, line));
}

/* max_nflows: the export set stops the run; the rest is counted. */
static void
test_max_nflows(void)
{
	static struct outcome o;

	run_pcap(1, 5, false, &o);
	check_flows(&o, 5);
	CU_ASSERT_EQUAL(o.report_rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "\nflows: exported=5 "));
	/* the accounting still adds up: no error line */
	CU_ASSERT_PTR_NULL(strstr(o.report, "does not add up"));
}

/* Stopped before the launch (a signal during setup): nothing is read, the
 * workers still end and the report adds up. */
static void
test_stop_first(void)
{
	static struct outcome o;

	run_pcap(1, 0, true, &o);
	CU_ASSERT_EQUAL(o.fake.n, 0);
	CU_ASSERT_EQUAL(o.report_rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(o.report, "accounting: received=0 in_flows=0 ignored=0 "
				      "filtered=0 dropped=0\n"));
}

/* The sum: each field over the workers, NULL entries as zeros. */
static void
test_stats_sum(void)
{
	struct sp_worker_params wp;
	struct sp_worker *w[3];
	struct sp_worker_stats tot, per[3];
	struct sp_rx_info info;
	struct sp_test_pkt *tp = sp_test_pkt_new();
	struct rte_mempool *mp;
	struct rte_mbuf *m;
	unsigned int i;
	uint16_t len;

	mp = rte_pktmbuf_pool_create("test_run_sum", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	memset(&wp, 0, sizeof(wp));
	wp.cfg = &cfg;
	wp.lossless = true;
	wp.socket_id = SOCKET_ID_ANY;
	w[0] = sp_worker_create(&wp);
	w[1] = NULL;
	wp.id = 2;
	w[2] = sp_worker_create(&wp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w[2]);
	/* worker 0: 3 UDP packets of one flow; worker 2: 2 of another, 1 short */
	for (i = 0; i < 6; i++) {
		sp_test_pkt_reset(tp);
		sp_test_pkt_eth(tp, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
		sp_test_pkt_ipv4(tp, SP_TEST_IP4(10, 0, 0, 1), SP_TEST_IP4(10, 0, 0, 2), 17);
		sp_test_pkt_udp(tp, i < 3 ? 1111 : 2222, 53);
		sp_test_pkt_payload(tp, 10, 0);
		sp_test_pkt_finish(tp);
		m = rte_pktmbuf_alloc(mp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		len = i == 5 ? 10 : (uint16_t)tp->len;	/* the last one short */
		memcpy(rte_pktmbuf_append(m, len), tp->buf, len);
		info.ts_ms = 1000 + i;
		info.wire_len = i == 5 ? 10 : tp->len;
		info.dlt = SP_DLT_EN10MB;
		sp_worker_process_burst(w[i < 3 ? 0 : 2], &m, &info, 1);
	}
	sp_worker_stats_sum(w, 3, NULL, &tot, per);
	CU_ASSERT_EQUAL(per[0].packets, 3);
	CU_ASSERT_EQUAL(per[1].packets, 0);
	CU_ASSERT_EQUAL(per[2].packets, 3);
	CU_ASSERT_EQUAL(tot.packets, 6);
	CU_ASSERT_EQUAL(tot.in_flows, 5);
	CU_ASSERT_EQUAL(ignored(&tot), 1);
	CU_ASSERT_EQUAL(ignored(&per[2]), 1);
	CU_ASSERT_EQUAL(tot.flows_active, 2);
	CU_ASSERT_EQUAL(tot.flows_created, per[0].flows_created + per[2].flows_created);
	CU_ASSERT_EQUAL(tot.bytes, per[0].bytes + per[2].bytes);
	sp_worker_stats_sum(w, 3, NULL, &tot, NULL);	/* per may be NULL */
	CU_ASSERT_EQUAL(tot.packets, 6);
	sp_worker_free(w[0]);
	sp_worker_free(w[2]);
	rte_mempool_free(mp);
	sp_test_pkt_free(tp);
}

/* A live source over a net_ring port (what is sent on a queue comes back
 * on it): the port found and started through its profile, each packet
 * stamped with the wall clock on arrival, cut to the snapshot length with
 * its wire length kept; a port that does not exist is named. */
static void
test_live_source(void)
{
	struct sp_port_live_params lp = { .port_id = 99, .promiscuous = -1, .n_workers = 1,
					  .socket_id = SOCKET_ID_ANY };
	struct rte_mbuf *tx[2], *rx[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	struct sp_capture_stats cs;
	struct rte_mempool *mp;
	struct sp_source *src;
	struct timespec ts;
	uint64_t before, after, bytes;
	const int *dlts;
	unsigned int n_dlts, i;
	char err[256], want[128];
	uint16_t port;
	int n = 0, tries;

	src = sp_source_live_open(&lp, 100, err, sizeof(err));
	CU_ASSERT_PTR_NULL(src);
	CU_ASSERT_EQUAL(rte_errno, ENODEV);
	snprintf(want, sizeof(want), "--port 99: no such port (%u available; give the device "
		 "with EAL options)", rte_eth_dev_count_avail());
	CU_ASSERT_STRING_EQUAL(err, want);

	CU_ASSERT_EQUAL_FATAL(rte_eal_hotplug_add("vdev", "net_ring_run0", ""), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name("net_ring_run0", &port), 0);
	lp.port_id = port;
	src = sp_source_live_open(&lp, 100, err, sizeof(err));
	if (src == NULL)
		fprintf(stderr, "live source: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	CU_ASSERT_TRUE(sp_source_is_live(src));
	CU_ASSERT_FALSE(sp_source_dispatched(src));	/* one worker, its own queue */
	CU_ASSERT_EQUAL(sp_port_live_queues(sp_source_port(src)), 1);
	CU_ASSERT(sp_source_progress(src, &bytes) < 0);
	CU_ASSERT_EQUAL(bytes, 0);
	dlts = sp_source_link_types(src, &n_dlts);
	CU_ASSERT_EQUAL_FATAL(n_dlts, 1);
	CU_ASSERT_EQUAL(dlts[0], SP_DLT_EN10MB);
	CU_ASSERT_EQUAL(sp_source_rx(src, 0, rx, info), 0);	/* nothing yet, no wait */

	mp = rte_pktmbuf_pool_create("test_run_live", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	for (i = 0; i < 2; i++) {
		tx[i] = rte_pktmbuf_alloc(mp);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tx[i]);
		memset(rte_pktmbuf_append(tx[i], i == 0 ? 200 : 60), 0x42, i == 0 ? 200 : 60);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	CU_ASSERT_EQUAL_FATAL(rte_eth_tx_burst(port, 0, tx, 2), 2);
	for (tries = 0; tries < 1000 && n == 0; tries++)
		n = sp_source_rx(src, 0, rx, info);
	clock_gettime(CLOCK_REALTIME, &ts);
	after = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (i = 0; i < 2; i++) {
		/* the TSC clock against the wall clock: within a few ms */
		CU_ASSERT(info[i].ts_ms + 5 >= before && info[i].ts_ms <= after + 5);
		CU_ASSERT_EQUAL(info[i].dlt, SP_DLT_EN10MB);
	}
	CU_ASSERT_EQUAL(info[0].ts_ms, info[1].ts_ms);	/* one burst, one time */
	CU_ASSERT_EQUAL(info[0].wire_len, 200);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[0]), 100);	/* cut to the snapshot length */
	CU_ASSERT_EQUAL(info[1].wire_len, 60);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[1]), 60);
	rte_pktmbuf_free_bulk(rx, 2);
	sp_source_get_stats(src, &cs);
	CU_ASSERT_EQUAL(cs.lost, 0);
	CU_ASSERT_EQUAL(sp_source_close(src), 0);	/* the port is stopped and closed */
	rte_eal_hotplug_remove("vdev", "net_ring_run0");
	rte_mempool_free(mp);
}

/* --- the capture and the EAL ------------------------------------------- */

/* N_FLOWS UDP flows of PKTS_PER_FLOW packets (request, reply, request),
 * interleaved, and one ARP frame. */
static int
write_pcap(void)
{
	struct sp_test_pkt *tp = sp_test_pkt_new();
	uint32_t a = SP_TEST_IP4(10, 0, 0, 1), b = SP_TEST_IP4(10, 0, 0, 2);
	uint64_t t = 1700000000000000ull;
	unsigned int f, k;
	FILE *out;

	snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
	out = sp_test_pcap_open(pcap, 1, 65535);
	if (out == NULL)
		return -1;
	for (k = 0; k < PKTS_PER_FLOW; k++) {
		for (f = 0; f < N_FLOWS; f++) {
			bool reply = k == 1;
			uint16_t sport = (uint16_t)(30000 + f);

			sp_test_pkt_reset(tp);
			sp_test_pkt_eth(tp, reply ? SP_TEST_MAC_A : SP_TEST_MAC_B,
					reply ? SP_TEST_MAC_B : SP_TEST_MAC_A, 0x0800);
			sp_test_pkt_ipv4(tp, reply ? b : a, reply ? a : b, 17);
			sp_test_pkt_udp(tp, reply ? 53 : sport, reply ? sport : 53);
			sp_test_pkt_payload(tp, 20, (uint8_t)f);
			sp_test_pkt_finish(tp);
			sp_test_pcap_write(out, t, tp->buf, (uint32_t)tp->len, (uint32_t)tp->len);
			t += 1000;
		}
	}
	sp_test_pkt_reset(tp);
	sp_test_pkt_eth(tp, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0806);
	sp_test_pkt_payload(tp, 28, 0);
	sp_test_pkt_finish(tp);
	sp_test_pcap_write(out, t, tp->buf, (uint32_t)tp->len, (uint32_t)tp->len);
	sp_test_pkt_free(tp);
	return sp_test_pcap_close(out);
}

static int
suite_init(void)
{
	/* the EAL as the app starts it by default, with two worker lcores */
	struct sp_eal_defaults d = { .prog = "test_run", .mem_mb = 256, .n_workers = 2 };
	struct sp_eal_buf buf;
	char *eal[SP_EAL_DEFAULT_ARGS + 1];
	int n;

	if (mkdtemp(dir) == NULL || write_pcap() != 0)
		return -1;
	n = sp_eal_default_args(&d, eal, &buf);
	if (n > SP_EAL_DEFAULT_ARGS || strcmp(eal[n - 1], buf.lcores) != 0 || eal[n] != NULL)
		return -1;
	if (rte_eal_init(n, eal) < 0 || rte_lcore_count() != 3)
		return -1;
	sp_config_defaults(&cfg);
	cfg.max_flows = 1024;
	cfg.n_dissections = 0;
	return 0;
}

static int
suite_clean(void)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	sp_dir_remove(path);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("run", suite_init, suite_clean);

	if (s == NULL || CU_add_test(s, "one worker reading files", test_own_reader) == NULL ||
	    CU_add_test(s, "mbufs of a files source", test_mbufs) == NULL ||
	    CU_add_test(s, "two workers dispatched", test_dispatched) == NULL ||
	    CU_add_test(s, "max_nflows stops the run", test_max_nflows) == NULL ||
	    CU_add_test(s, "stopped before the launch", test_stop_first) == NULL ||
	    CU_add_test(s, "worker stats sum", test_stats_sum) == NULL ||
	    CU_add_test(s, "live source: stamped, cut", test_live_source) == NULL ||
	    CU_add_test(s, "idle wait: adaptive, bounded", test_idle_next) == NULL)
		return -1;
	return 0;
}
