/* SPDX-License-Identifier: BSD-3-Clause */
/* Option parsing: NFStream's defaults and ranges, one-line errors naming
 * the option. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "sp_config.h"
#include "sp_test.h"

static int
parse(struct sp_config *c, char *err, const char *const *args)
{
	char *argv[48];
	int argc = 0;

	argv[argc++] = "streamprobe";
	while (*args != NULL && argc < 47)
		argv[argc++] = (char *)(uintptr_t)*args++;
	argv[argc] = NULL;
	sp_config_defaults(c);
	return sp_config_parse(c, argc, argv, err, 256);
}

static void
test_defaults(void)
{
	static const char *const a[] = { "--pcap", "x.pcap", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, a), 0);
	CU_ASSERT_EQUAL(c.n_pcaps, 1);
	CU_ASSERT_STRING_EQUAL(c.pcaps[0], "x.pcap");
	CU_ASSERT_EQUAL(c.idle_timeout_ms, 120000);
	CU_ASSERT_EQUAL(c.active_timeout_ms, 1800000);
	CU_ASSERT_EQUAL(c.accounting_mode, 0);
	CU_ASSERT_FALSE(c.statistical);
	CU_ASSERT_EQUAL(c.splt_n, 0);
	CU_ASSERT_EQUAL(c.n_dissections, 20);
	CU_ASSERT_EQUAL(c.max_nflows, 0);
	CU_ASSERT_TRUE(c.decode_tunnels);
	CU_ASSERT_PTR_NULL(c.bpf_filter);
	/* Neither --csv nor --ipfix: the CSV goes to standard output. */
	CU_ASSERT_STRING_EQUAL(c.csv_path, "-");
	CU_ASSERT_FALSE(c.no_csv);
	CU_ASSERT_PTR_NULL(c.csv_anonymize);
	CU_ASSERT_PTR_NULL(c.csv_anonymize_key);
	CU_ASSERT_EQUAL(c.csv_flows_per_file, 0);
	CU_ASSERT_EQUAL(c.csv_rotate_files, 0);
	CU_ASSERT_EQUAL(c.flush_interval_ms, 100);
	CU_ASSERT_FALSE(c.ndpi_risks);
	CU_ASSERT_FALSE(c.ndpi_extra);
	CU_ASSERT_FALSE(c.dispatch);
	CU_ASSERT_FALSE(c.pcap_pmd);
	CU_ASSERT_FALSE(c.no_read_ahead);
	CU_ASSERT_EQUAL(c.replay_loops, 0);
	CU_ASSERT_EQUAL(c.replay_ms, 0);
}

static void
test_all_options(void)
{
	static const char *const a[] = {
		"--pcap", "a.pcap", "--pcap", "b.pcapng", "--csv", "out.csv",
		"--idle-timeout", "5", "--active-timeout", "30", "--accounting-mode", "3",
		"--statistical-analysis", "--splt-analysis", "10", "--n-dissections", "0",
		"--max-nflows", "7", "--bpf-filter", "udp and port 53", "--no-decode-tunnels",
		"--max-flows", "4096", "--quiet", "--dispatch", "--replay-loops", "3", NULL };
	static const char *const rt[] = { "--pcap", "a.pcap", "--replay-time", "2", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, a), 0);
	CU_ASSERT_EQUAL(c.n_pcaps, 2);
	CU_ASSERT_STRING_EQUAL(c.pcaps[1], "b.pcapng");
	CU_ASSERT_STRING_EQUAL(c.csv_path, "out.csv");
	CU_ASSERT_EQUAL(c.idle_timeout_ms, 5000);
	CU_ASSERT_EQUAL(c.active_timeout_ms, 30000);
	CU_ASSERT_EQUAL(c.accounting_mode, 3);
	CU_ASSERT_TRUE(c.statistical);
	CU_ASSERT_EQUAL(c.splt_n, 10);
	CU_ASSERT_EQUAL(c.n_dissections, 0);
	CU_ASSERT_EQUAL(c.max_nflows, 7);
	CU_ASSERT_STRING_EQUAL(c.bpf_filter, "udp and port 53");
	CU_ASSERT_FALSE(c.decode_tunnels);
	CU_ASSERT_EQUAL(c.max_flows, 4096);
	CU_ASSERT_TRUE(c.quiet);
	CU_ASSERT_TRUE(c.dispatch);
	CU_ASSERT_EQUAL(c.replay_loops, 3);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, rt), 0);
	CU_ASSERT_EQUAL(c.replay_ms, 2000);
}

/*
 * --max-memory: sizes with K/M/G/T, the default (half the machine's
 * memory) when reading files without --max-flows, none live or with
 * --max-flows, and the errors naming it.
 */
static void
test_max_memory(void)
{
	static const char *const dflt[] = { "--pcap", "x", NULL };
	static const char *const m512[] = { "--pcap", "x", "--max-memory", "512M", NULL };
	static const char *const g3[] = { "--max-memory", "3g", "--pcap", "x", NULL };
	static const char *const bytes[] = { "--pcap", "x", "--max-memory", "2097152", NULL };
	static const char *const fixed[] = { "--pcap", "x", "--max-flows", "1000", NULL };
	static const char *const both[] = {
		"--pcap", "x", "--max-flows", "1000", "--max-memory", "1G", NULL };
	static const char *const live[] = { "--iface", "lo", "--max-memory", "1G", NULL };
	static const char *const live_dflt[] = { "--iface", "lo", NULL };
	static const char *const bad[] = { "1", "1023K", "1.5G", "G", "-1G", "1GB", "1P",
					   "99999999999T", "" };
	struct sp_config c;
	char err[256];
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, dflt), 0);
	CU_ASSERT_EQUAL(c.max_memory, sp_config_default_max_memory());
	/* half the machine's memory, or less in a memory-limited cgroup */
	CU_ASSERT(c.max_memory <= (uint64_t)sysconf(_SC_PHYS_PAGES) *
		  (uint64_t)sysconf(_SC_PAGE_SIZE) / 2);
	CU_ASSERT(c.max_memory >= SP_MIN_MAX_MEMORY);
	CU_ASSERT_FALSE(c.max_flows_set);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, m512), 0);
	CU_ASSERT_EQUAL(c.max_memory, UINT64_C(512) << 20);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, g3), 0);
	CU_ASSERT_EQUAL(c.max_memory, UINT64_C(3) << 30);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, bytes), 0);
	CU_ASSERT_EQUAL(c.max_memory, UINT64_C(2) << 20);
	/* --max-flows fixes the capacity: no memory-sized table */
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, fixed), 0);
	CU_ASSERT_EQUAL(c.max_memory, 0);
	CU_ASSERT_TRUE(c.max_flows_set);
	CU_ASSERT_EQUAL(c.max_flows, 1000);
	CU_ASSERT_EQUAL(parse(&c, err, both), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-memory"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-flows"));
	/* live: a fixed capacity, --max-memory refused */
	CU_ASSERT_EQUAL(parse(&c, err, live), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-memory"));
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, live_dflt), 0);
	CU_ASSERT_EQUAL(c.max_memory, 0);
	CU_ASSERT_EQUAL(c.max_flows, SP_DEFAULT_MAX_FLOWS);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[] = { "--pcap", "x", "--max-memory", bad[i], NULL };

		CU_ASSERT_EQUAL(parse(&c, err, a), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-memory"));
	}
}

static void
test_bad_values(void)
{
	static const char *const cases[][4] = {
		{ "--accounting-mode", "4", "--accounting-mode", NULL },
		{ "--accounting-mode", "-1", "--accounting-mode", NULL },
		{ "--n-dissections", "256", "--n-dissections", NULL },
		{ "--splt-analysis", "65536", "--splt-analysis", NULL },
		{ "--idle-timeout", "1.5", "--idle-timeout", NULL },
		{ "--idle-timeout", "", "--idle-timeout", NULL },
		{ "--active-timeout", "x", "--active-timeout", NULL },
		{ "--max-nflows", "-3", "--max-nflows", NULL },
		{ "--max-flows", "7", "--max-flows", NULL },
		{ "--bogus", "1", "--bogus", NULL },
		{ "--replay-loops", "0", "--replay-loops", NULL },
		{ "--replay-time", "0", "--replay-time", NULL },
		{ "--replay-time", "86401", "--replay-time", NULL },
	};
	struct sp_config c;
	char err[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a[] = { "--pcap", "x", cases[i][0], cases[i][1], NULL };

		CU_ASSERT_EQUAL(parse(&c, err, a), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i][2]));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
}

/* The nDPI columns beyond NFStream: each option alone, both, and refused
 * without nDPI (the error names the option). */
static void
test_ndpi_columns(void)
{
	static const char *const risks[] = { "--pcap", "x", "--ndpi-risks", NULL };
	static const char *const extra[] = { "--pcap", "x", "--ndpi-extra", NULL };
	static const char *const both[] = {
		"--ndpi-extra", "--pcap", "x", "--n-dissections", "1", "--ndpi-risks", NULL };
	static const char *const off_risks[] = {
		"--pcap", "x", "--ndpi-risks", "--n-dissections", "0", NULL };
	static const char *const off_extra[] = {
		"--pcap", "x", "--n-dissections", "0", "--ndpi-extra", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, risks), 0);
	CU_ASSERT_TRUE(c.ndpi_risks);
	CU_ASSERT_FALSE(c.ndpi_extra);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, extra), 0);
	CU_ASSERT_FALSE(c.ndpi_risks);
	CU_ASSERT_TRUE(c.ndpi_extra);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, both), 0);
	CU_ASSERT_TRUE(c.ndpi_risks);
	CU_ASSERT_TRUE(c.ndpi_extra);
	CU_ASSERT_EQUAL(c.n_dissections, 1);

	CU_ASSERT_EQUAL(parse(&c, err, off_risks), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ndpi-risks: needs nDPI (--n-dissections > 0)");
	CU_ASSERT_EQUAL(parse(&c, err, off_extra), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ndpi-extra: needs nDPI (--n-dissections > 0)");
}

/* Conflicting and repeated options, and messages that name the option
 * rather than its value. */
static void
test_conflicts(void)
{
	static const char *const both_replay[] = { "--pcap", "x", "--replay-time", "1",
						   "--replay-loops", "2", NULL };
	static const char *const two_csv[] = { "--pcap", "x", "--csv", "a", "--csv", "b", NULL };
	static const char *const config_pcap[] = { "--pcap", "x", "--config", "p.ini", NULL };
	static const char *const domain[] = { "--pcap", "x", "--ipfix-domain", "-1", NULL };
	static const char *const noval[] = { "--pcap", "x", "--ipfix-pen", NULL };
	static const char *const two_pcap_ipfix[] = { "--pcap", "x", "--pcap", "y", "--ipfix",
						      "file:a", "--ipfix", "udp://h:1", NULL };
	static const char *const shorts[] = { "-V", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL(parse(&c, err, both_replay), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--replay-loops and --replay-time"));
	CU_ASSERT_EQUAL(parse(&c, err, two_csv), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--csv: given twice");
	CU_ASSERT_EQUAL(parse(&c, err, config_pcap), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--config:"));
	CU_ASSERT_EQUAL(parse(&c, err, domain), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ipfix-domain: '-1' is not a 32-bit number");
	CU_ASSERT_EQUAL(parse(&c, err, noval), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ipfix-pen: missing value");
	/* lists may repeat */
	CU_ASSERT_EQUAL(parse(&c, err, two_pcap_ipfix), 0);
	CU_ASSERT_EQUAL(c.n_pcaps, 2);
	CU_ASSERT_EQUAL(c.n_ipfix, 2);
	CU_ASSERT_EQUAL(parse(&c, err, shorts), 1);
}

/* Batch: --pcap-dir adds a directory to the inputs and needs --out-dir;
 * --out-dir takes --pcap files too, sets no --csv and refuses what names
 * one output or spans the captures, by name. */
static void
test_batch(void)
{
	static const char *const ok[] = { "--pcap-dir", "/tmp", "--pcap", "x.pcap", "--out-dir",
					  "out", "--overwrite", "--max-nflows", "3", NULL };
	static const char *const no_out[] = { "--pcap-dir", "/tmp", NULL };
	static const char *const overwrite[] = { "--pcap", "x", "--overwrite", NULL };
	static const char *const not_dir[] = { "--pcap-dir", "/dev/null", "--out-dir", "o", NULL };
	static const char *const no_input[] = { "--out-dir", "o", NULL };
	static const char *const csv[] = { "--pcap", "x", "--out-dir", "o", "--csv", "a.csv",
					   NULL };
	static const char *const dispatch[] = { "--pcap", "x", "--out-dir", "o", "--dispatch",
						NULL };
	static const char *const ipfix[] = { "--pcap", "x", "--out-dir", "o", "--ipfix", "file:a",
					     NULL };
	static const char *const stdin_[] = { "--pcap", "-", "--out-dir", "o", NULL };
	static const char *const live[] = { "--iface", "eth0", "--out-dir", "o", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, ok), 0);
	CU_ASSERT_STRING_EQUAL(c.out_dir, "out");
	CU_ASSERT_STRING_EQUAL(c.pcap_dir, "/tmp");
	CU_ASSERT_TRUE(c.overwrite);
	CU_ASSERT_EQUAL(c.n_pcaps, 2);
	CU_ASSERT_STRING_EQUAL(c.pcaps[0], "/tmp");
	CU_ASSERT_PTR_NULL(c.csv_path);		/* not "-": the outputs are the directory's */
	CU_ASSERT_NOT_EQUAL(c.max_memory, 0);	/* reading files */
	CU_ASSERT_EQUAL(parse(&c, err, no_out), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap-dir: needs --out-dir"));
	CU_ASSERT_EQUAL(parse(&c, err, overwrite), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--overwrite: needs --out-dir");
	CU_ASSERT_EQUAL(parse(&c, err, not_dir), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--pcap-dir /dev/null: not a directory");
	CU_ASSERT_EQUAL(parse(&c, err, no_input), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--out-dir: no input"));
	CU_ASSERT_EQUAL(parse(&c, err, csv), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--csv: not with --out-dir"));
	CU_ASSERT_EQUAL(parse(&c, err, dispatch), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--dispatch: not with --out-dir"));
	CU_ASSERT_EQUAL(parse(&c, err, ipfix), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--ipfix: not with --out-dir"));
	CU_ASSERT_EQUAL(parse(&c, err, stdin_), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap -: not with --out-dir"));
	CU_ASSERT_EQUAL(parse(&c, err, live), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--iface: not with --out-dir"));
}

/* --plugin repeats up to the worker's hooks besides nDPI's: 15. */
static void
test_plugin_count(void)
{
	const char *a[2 + 2 * 16 + 1] = { "--pcap", "x" };
	struct sp_config c;
	char err[256];
	unsigned int i;

	for (i = 0; i < 16; i++) {
		a[2 + 2 * i] = "--plugin";
		a[3 + 2 * i] = "slicer:limit=1";
	}
	a[2 + 2 * 15] = NULL;
	CU_ASSERT_EQUAL(parse(&c, err, a), 0);
	CU_ASSERT_EQUAL(c.n_plugins, 15);
	a[2 + 2 * 15] = "--plugin";
	CU_ASSERT_EQUAL(parse(&c, err, a), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--plugin: at most 15 plugins");
	/* --plugin-info prints and exits: no input needed */
	a[0] = "--plugin-info";
	a[1] = NULL;
	CU_ASSERT_EQUAL(parse(&c, err, a), 0);
	CU_ASSERT(c.plugin_info);
}

/* IPFIX destinations: the syntax is checked before anything opens. */
static void
test_ipfix_uris(void)
{
	static const char *const good[] = { "udp://h:4739", "tcp://10.0.0.1:1", "udp://[::1]:4739",
					    "file:x.ipfix" };
	static const struct {
		const char *uri, *says;
	} bad[] = {
		{ "udp://nosuchhost", "has no port" },
		{ "udp://127.0.0.1", "has no port" },
		{ "tcp://[::1]", "has no port" },
		{ "udp://:4739", "has no host" },
		{ "udp://h:0", "not a port" },
		{ "udp://h:65536", "not a port" },
		{ "udp://h:x", "not a port" },
		{ "udp://::1:4739", "brackets" },
		{ "udp://[]:1", "bad IPv6" },
		{ "file:", "has no path" },
		{ "http://h:1", "is not udp://" },
	};
	const char *a[] = { "--pcap", "x", "--ipfix", NULL, NULL };
	struct sp_config c;
	unsigned int i;
	char err[256];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a[3] = good[i];
		CU_ASSERT_EQUAL(parse(&c, err, a), 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a[3] = bad[i].uri;
		CU_ASSERT_EQUAL(parse(&c, err, a), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].says));
		CU_ASSERT_EQUAL(strncmp(err, "--ipfix", 7), 0);
	}
}

static void
test_missing_input_and_value(void)
{
	static const char *const none[] = { "--csv", "o.csv", NULL };
	static const char *const noval[] = { "--pcap", "x", "--csv", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL(parse(&c, err, none), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap"));
	CU_ASSERT_EQUAL(parse(&c, err, noval), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--csv"));
}

static void
test_inputs_and_ipfix(void)
{
	static const char *const both[] = { "--pcap", "x", "--iface", "eth0", NULL };
	static const char *const live[] = { "--iface", "eth0", "--workers", "3", NULL };
	static const char *const ipfix[] = { "--pcap", "x", "--ipfix", "udp://127.0.0.1:4739",
		"--ipfix", "file:/tmp/x.ipfix", "--ipfix-reconnect", "100:5000", NULL };
	static const char *const badipfix[] = { "--pcap", "x", "--ipfix", "http://x", NULL };
	static const char *const badrec[] = { "--pcap", "x", "--ipfix-reconnect", "5000:100",
		NULL };
	static const char *const rate[] = { "--pcap", "x", "--ipfix-rate", "0", NULL };
	static const char *const badrate[] = { "--pcap", "x", "--ipfix-rate", "-5", NULL };
	static const char *const risks[] = { "--pcap", "x", "--n-dissections", "0",
		"--ndpi-risks", NULL };
	static const char *const livereplay[] = { "--iface", "eth0", "--replay-time", "5",
		NULL };
	static const char *const pmd[] = { "--pcap", "x", "--pcap-pmd", "--no-read-ahead", NULL };
	static const char *const livepmd[] = { "--iface", "eth0", "--pcap-pmd", NULL };
	static const char *const replaypmd[] = { "--pcap", "x", "--pcap-pmd", "--replay-loops",
		"2", NULL };
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL(parse(&c, err, both), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exclude"));
	CU_ASSERT_EQUAL(parse(&c, err, livereplay), -EINVAL);	/* replays files only */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--replay-time"));
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, pmd), 0);
	CU_ASSERT_TRUE(c.pcap_pmd);
	CU_ASSERT_TRUE(c.no_read_ahead);
	CU_ASSERT_EQUAL(parse(&c, err, livepmd), -EINVAL);	/* files only */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap-pmd"));
	CU_ASSERT_EQUAL(parse(&c, err, replaypmd), -EINVAL);	/* the replay has no PMD */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--pcap-pmd"));
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, live), 0);
	CU_ASSERT_STRING_EQUAL(c.iface, "eth0");
	CU_ASSERT_EQUAL(c.n_workers, 3);
	CU_ASSERT_TRUE(c.lru_idle_scan);	/* live: last-seen order */
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, ipfix), 0);
	CU_ASSERT_EQUAL(c.n_ipfix, 2);
	CU_ASSERT_EQUAL(c.ipfix_reconnect_min_ms, 100);
	CU_ASSERT_EQUAL(c.ipfix_reconnect_max_ms, 5000);
	CU_ASSERT_FALSE(c.lru_idle_scan);	/* offline: NFStream's order */
	CU_ASSERT_FALSE(c.ipfix_rate_set);	/* the app picks the default per input */
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, rate), 0);
	CU_ASSERT_TRUE(c.ipfix_rate_set);	/* 0 given: unpaced, not the default */
	CU_ASSERT_EQUAL(c.ipfix_rate, 0);
	CU_ASSERT_EQUAL(parse(&c, err, badrate), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--ipfix-rate"));
	CU_ASSERT_EQUAL(parse(&c, err, badipfix), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--ipfix"));
	CU_ASSERT_EQUAL(parse(&c, err, badrec), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--ipfix-reconnect"));
	CU_ASSERT_EQUAL(parse(&c, err, risks), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--ndpi-risks"));
}

/* to_csv()'s other parameters, --no-csv, --flush-interval and their conflicts. */
static void
test_csv_options(void)
{
	static const char *const all[] = {
		"--pcap", "x.pcap", "--csv", "out/flows.csv", "--csv-anonymize", "src_ip,dst_ip",
		"--csv-anonymize-key", "k.bin", "--csv-flows-per-file", "1000",
		"--csv-rotate-files", "3", "--flush-interval", "250", NULL };
	static const char *const ipfix_only[] = {
		"--pcap", "x.pcap", "--ipfix", "udp://127.0.0.1:4739", NULL };
	static const char *const none[] = { "--pcap", "x.pcap", "--no-csv", NULL };
	static const struct {
		const char *args[10];
		const char *needle;
	} bad[] = {
		{ { "--csv-flows-per-file", "10", NULL }, "--csv-flows-per-file" },
		{ { "--csv", "-", "--csv-flows-per-file", "10", NULL }, "--csv-flows-per-file" },
		{ { "--csv", "csv/flows.txt", "--csv-flows-per-file", "1", NULL }, "flows.txt" },
		{ { "--csv", "f.csv", "--csv-rotate-files", "2", NULL }, "--csv-rotate-files" },
		{ { "--csv", "f.csv", "--csv-anonymize-key", "k", NULL }, "--csv-anonymize-key" },
		{ { "--csv", "f.csv", "--csv-anonymize", "src_ip,,dst_ip", NULL },
		  "--csv-anonymize" },
		{ { "--csv", "f.csv", "--csv-anonymize", "src_ip,", NULL }, "--csv-anonymize" },
		{ { "--csv", "f.csv", "--csv-flows-per-file", "-1", NULL },
		  "--csv-flows-per-file" },
		{ { "--csv", "f.csv", "--no-csv", NULL }, "--no-csv" },
		{ { "--no-csv", "--csv-anonymize", "src_ip", NULL }, "--csv-anonymize" },
		{ { "--ipfix", "udp://127.0.0.1:1", "--csv-anonymize", "src_ip", NULL },
		  "--csv-anonymize" },
		{ { "--flush-interval", "0", NULL }, "--flush-interval" },
		{ { "--flush-interval", "60001", NULL }, "--flush-interval" },
	};
	const char *args[16];
	struct sp_config c;
	char err[256];
	unsigned int i, k;

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, all), 0);
	CU_ASSERT_STRING_EQUAL(c.csv_path, "out/flows.csv");
	CU_ASSERT_STRING_EQUAL(c.csv_anonymize, "src_ip,dst_ip");
	CU_ASSERT_STRING_EQUAL(c.csv_anonymize_key, "k.bin");
	CU_ASSERT_EQUAL(c.csv_flows_per_file, 1000);
	CU_ASSERT_EQUAL(c.csv_rotate_files, 3);
	CU_ASSERT_EQUAL(c.flush_interval_ms, 250);
	/* --ipfix alone: no CSV on standard output besides it. */
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, ipfix_only), 0);
	CU_ASSERT_PTR_NULL(c.csv_path);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, none), 0);
	CU_ASSERT_PTR_NULL(c.csv_path);
	CU_ASSERT_TRUE(c.no_csv);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		args[0] = "--pcap";
		args[1] = "x.pcap";
		for (k = 0; bad[i].args[k] != NULL; k++)
			args[2 + k] = bad[i].args[k];
		args[2 + k] = NULL;
		err[0] = '\0';
		CU_ASSERT_EQUAL(parse(&c, err, args), -EINVAL);
		if (strstr(err, bad[i].needle) == NULL)
			fprintf(stderr, "case %u: '%s' does not name %s\n", i, err, bad[i].needle);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].needle));
	}
}

/* NFStream's live parameters: defaults, values, ranges, live only. */
static void
test_live_parameters(void)
{
	static const char *const dflt[] = { "--iface", "eth0", NULL };
	static const char *const set[] = { "--iface", "eth0", "--no-promiscuous-mode",
		"--snapshot-length", "64", "--socket-buffer-size", "2147483647", NULL };
	static const char *const port[] = { "--port", "0", "--promiscuous-mode",
		"--snapshot-length", "65535", NULL };
	static const char *const bad[][6] = {
		{ "--iface", "eth0", "--snapshot-length", "0", "--snapshot-length", NULL },
		{ "--iface", "eth0", "--snapshot-length", "-1", "--snapshot-length", NULL },
		{ "--iface", "eth0", "--socket-buffer-size", "2147483648", "--socket-buffer-size",
		  NULL },
		{ "--pcap", "x", "--snapshot-length", "100", "live capture only", NULL },
		{ "--pcap", "x", "--no-promiscuous-mode", "", "--no-promiscuous-mode", NULL },
		{ "--port", "1", "--socket-buffer-size", "65536", "--iface only", NULL },
	};
	struct sp_config c;
	char err[256];
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(parse(&c, err, dflt), 0);
	CU_ASSERT_EQUAL(c.promiscuous, -1);	/* the profile's: on by default */
	CU_ASSERT_EQUAL(c.snaplen, 1536);
	CU_ASSERT_EQUAL(c.ring_bytes, 0);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, set), 0);
	CU_ASSERT_EQUAL(c.promiscuous, 0);
	CU_ASSERT_EQUAL(c.snaplen, 64);
	CU_ASSERT_EQUAL(c.ring_bytes, 2147483647u);
	CU_ASSERT_EQUAL_FATAL(parse(&c, err, port), 0);
	CU_ASSERT_EQUAL(c.promiscuous, 1);
	CU_ASSERT_EQUAL(c.snaplen, 65535);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[] = { bad[i][0], bad[i][1], bad[i][2],
				    bad[i][3][0] != '\0' ? bad[i][3] : NULL, NULL };

		err[0] = '\0';
		CU_ASSERT_EQUAL(parse(&c, err, a), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i][4]));
		if (strstr(err, bad[i][4]) == NULL)
			fprintf(stderr, "case %u: %s\n", i, err);
	}
}

/* "PROG [EAL options] -- [options]": the EAL part copied, the rest left
 * with PROG as its argv[0]; no "--": all the application's. */
static void
test_split_eal(void)
{
	char *v1[] = { "sp", "-l", "0-1", "--", "--pcap", "x.pcap", NULL };
	char *v2[] = { "sp", "--pcap", "x.pcap", NULL };
	char *v3[] = { "sp", "a", "b", "c", "--", NULL };
	char *eal[4], **argv = v1;
	int argc = 6;

	CU_ASSERT_EQUAL(sp_config_split_eal(&argc, &argv, eal, 3), 3);
	CU_ASSERT_STRING_EQUAL(eal[0], "sp");
	CU_ASSERT_STRING_EQUAL(eal[2], "0-1");
	CU_ASSERT_PTR_NULL(eal[3]);
	CU_ASSERT_EQUAL(argc, 3);
	CU_ASSERT_STRING_EQUAL(argv[0], "sp");
	CU_ASSERT_STRING_EQUAL(argv[1], "--pcap");
	CU_ASSERT_STRING_EQUAL(argv[2], "x.pcap");
	argv = v2;
	argc = 3;
	CU_ASSERT_EQUAL(sp_config_split_eal(&argc, &argv, eal, 3), 0);
	CU_ASSERT_EQUAL(argc, 3);
	CU_ASSERT_PTR_EQUAL(argv, v2);
	argv = v3;
	argc = 5;
	CU_ASSERT_EQUAL(sp_config_split_eal(&argc, &argv, eal, 3), -E2BIG);
	CU_ASSERT_PTR_EQUAL(argv, v3);
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("config", NULL, NULL);

	if (s == NULL || CU_add_test(s, "defaults", test_defaults) == NULL ||
	    CU_add_test(s, "every option", test_all_options) == NULL ||
	    CU_add_test(s, "bad values named", test_bad_values) == NULL ||
	    CU_add_test(s, "--max-memory", test_max_memory) == NULL ||
	    CU_add_test(s, "nDPI extra columns", test_ndpi_columns) == NULL ||
	    CU_add_test(s, "missing input or value", test_missing_input_and_value) == NULL ||
	    CU_add_test(s, "conflicts and option names", test_conflicts) == NULL ||
	    CU_add_test(s, "--plugin at most 15", test_plugin_count) == NULL ||
	    CU_add_test(s, "IPFIX destinations", test_ipfix_uris) == NULL ||
	    CU_add_test(s, "inputs and IPFIX options", test_inputs_and_ipfix) == NULL ||
	    CU_add_test(s, "CSV options", test_csv_options) == NULL ||
	    CU_add_test(s, "live capture parameters", test_live_parameters) == NULL ||
	    CU_add_test(s, "EAL arguments split off", test_split_eal) == NULL ||
	    CU_add_test(s, "batch: --pcap-dir, --out-dir", test_batch) == NULL)
		return -1;
	return 0;
}
