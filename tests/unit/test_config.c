/* SPDX-License-Identifier: BSD-3-Clause */
/* Option parsing: NFStream's defaults and ranges, one-line errors naming
 * the option. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sp_config.h"
#include "sp_test.h"

static int
parse(struct sp_config *c, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "streamprobe";
	while (*args != NULL && argc < 31)
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
	CU_ASSERT_PTR_NULL(c.csv_path);
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
		"--max-flows", "4096", "--quiet", "--dispatch", "--replay-loops", "3",
		"--replay-time", "2", NULL };
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
	CU_ASSERT_EQUAL(c.replay_ms, 2000);
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

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("config", NULL, NULL);

	if (s == NULL || CU_add_test(s, "defaults", test_defaults) == NULL ||
	    CU_add_test(s, "every option", test_all_options) == NULL ||
	    CU_add_test(s, "bad values named", test_bad_values) == NULL ||
	    CU_add_test(s, "nDPI extra columns", test_ndpi_columns) == NULL ||
	    CU_add_test(s, "missing input or value", test_missing_input_and_value) == NULL ||
	    CU_add_test(s, "inputs and IPFIX options", test_inputs_and_ipfix) == NULL)
		return -1;
	return 0;
}
