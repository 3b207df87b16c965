/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Export: Python float repr, the NFStream column set and header, CSV rows
 * byte for byte (an IPv6 QUIC row in NFStream's format, the others
 * worked out by hand from utils.py csv_converter), the UTF-8 cleaning of
 * application strings, and the error paths (full disk, unwritable path).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <rte_errno.h>

#include "sp_test.h"
#include "sp_test_eal.h"
#include <sp_export.h>
#include "export_private.h"

/* ------------------------------------------------------------------------ */
/* Python float repr. Expected strings are Python 3.11 repr() of the value.  */

static const struct {
	double x;
	const char *repr;
} pyfloat_cases[] = {
	{ 0x1.999999999999ap-4, "0.1" },
	{ 0x1.5555555555555p-2, "0.3333333333333333" },
	{ 0x1.5555555555555p-1, "0.6666666666666666" },
	{ 0x1.4f8b588e368f1p-17, "1e-05" },
	{ 0x1.a36e2eb1c432dp-14, "0.0001" },
	{ 0x1.a36e2eb1c432cp-14, "9.999999999999999e-05" },
	{ 0x1.cd5f99c38b04bp-14, "0.00011" },
	{ 0x1.1c37937e08000p+53, "1e+16" },
	{ 0x1.aa535d3d0c000p+53, "1.5e+16" },
	{ 0x1.1c37937e07fffp+53, "9999999999999998.0" },
	{ 0x1.c6bf526340000p+49, "1000000000000000.0" },
	{ 0x1.b69b4ba630f35p+56, "1.2345678901234568e+17" }, /* 123456789012345680.0 */
	{ 0x0.0000000000001p-1022, "5e-324" },
	{ 0x0.0000000000002p-1022, "1e-323" },
	{ 0x0.0000000000003p-1022, "1.5e-323" },
	{ 0x1.0000000000000p-1022, "2.2250738585072014e-308" },
	{ 0x0.fffffffffffffp-1022, "2.225073858507201e-308" },
	{ 0x1.fffffffffffffp+1023, "1.7976931348623157e+308" },
	{ 0x1.4000000000000p+1, "2.5" },
	{ 0x1.0000000000000p-1, "0.5" },
	{ 0x1.3333333333333p-2, "0.3" },
	{ 0x1.454924924924bp+8, "325.2857142857144" },
	{ 0x1.0f0cf064dd592p+73, "1e+22" },
	{ 0x1.52d02c7e14af6p+76, "1e+23" },
	{ -0x0.0p+0, "-0.0" },
	{ 0x0.0p+0, "0.0" },
	{ 0x1.0000000000000p+53, "9007199254740992.0" },
	{ 0x1.0000000000001p+53, "9007199254740994.0" },
	{ 0x1.fffffffffffffp+52, "9007199254740991.0" },
	{ 0x1.0000000000000p+54, "1.8014398509481984e+16" },
	{ 0x1.0000000000000p+63, "9.223372036854776e+18" },
	{ 0x1.0000000000000p+64, "1.8446744073709552e+19" },
	{ 0x1.b7cdfd9d7bdbbp-34, "1e-10" },
	{ 0x1.b7cdfd9d7bdbap-34, "9.999999999999999e-11" },
	{ 0x1.6345785d8a000p+56, "1e+17" },
	{ 0x1.bc16d674ec800p+59, "1e+18" },
	{ 0x1.bc16d674ec7fep+59, "9.999999999999997e+17" },
	{ 0x1.ad7f29abcaf48p-24, "1e-07" },
	{ 0x1.d313e3b79fe9fp-22, "4.35e-07" },
	{ -0x1.8000000000000p+0, "-1.5" },
	{ -0x1.edd2f1a9fbe77p+6, "-123.456" },
	{ -0x1.4f8b588e368f1p-17, "-1e-05" },
	{ 0x1.249ad2594c37dp+332, "1e+100" },
	{ 0x1.a74fe1c1e8908p-997, "1.2345678901234568e-300" },
	{ 0x1.0000000000001p+0, "1.0000000000000002" },
	{ 0x1.fffffffffffffp-1, "0.9999999999999999" },
	{ 0x1.0000000000000p+0, "1.0" },
	{ 0x1.9000000000000p+6, "100.0" },
	{ 0x1.cac083126e979p-8, "0.007" },
	/* Powers of two: the rounding interval is narrower below than above. */
	{ 0x1.0000000000000p-24, "5.960464477539063e-08" },
	{ 0x1.0000000000000p-1017, "7.120236347223045e-307" },
	{ 0x1.0000000000000p-1007, "7.291122019556398e-304" },
	{ 0x1.0000000000000p-10, "0.0009765625" },
	{ 0x1.0000000000000p-20, "9.5367431640625e-07" },
	{ 0x1.0000000000000p-30, "9.313225746154785e-10" },
	{ 0x1.0000000000000p-40, "9.094947017729282e-13" },
	{ 0x1.0000000000000p+40, "1099511627776.0" },
	{ 0x1.0000000000000p+60, "1.152921504606847e+18" },
	{ 0x1.0000000000000p+70, "1.1805916207174113e+21" },
	/* Exactly halfway between the two shortest candidates: even digit wins. */
	{ 0x1.0000000000001p+50, "1125899906842624.2" },
	{ 0x1.0000000000003p+50, "1125899906842624.8" },
	{ 0x1.0000000000001p+49, "562949953421312.1" },
	{ 0x1.0000000000003p+49, "562949953421312.4" },
	/*
	 * A shorter decimal exactly on a rounding boundary: excluded when the
	 * mantissa is odd (upper end here), included when it is even (lower end).
	 */
	{ 0x1.0000000000001p+54, "1.8014398509481988e+16" },
	{ 0x1.0000000000002p+54, "1.801439850948199e+16" },
	/* Values of the kind flow statistics take. */
	{ 0x1.11bb13b13b13bp+12, "4379.692307692308" },
	{ 0x1.03b26c2bb96afp+12, "4155.1514088862305" },
	{ 0x1.e9fffffffffffp+7, "244.99999999999997" },
	{ 0x1.e1e1e1e1e1e1ep-5, "0.058823529411764705" },
	{ 0x1.b2b3b13b13b14p+11, "3477.6153846153848" },
	{ 0x1.422cccccccccep+9, "644.3500000000001" },
	{ 0x1.38b706d80f584p+9, "625.4298963618207" },
	{ 0x1.d05e000000000p+13, "14859.75" },
	{ 0x1.fafe4dfceb029p+12, "8111.894040029533" },
	{ 0x1.745d1745d1747p-4, "0.09090909090909093" },
	{ 0x1.8408e0ee73fb0p+13, "12417.109829813096" },
	{ 0x1.1000000000000p+6, "68.0" },
	{ 0x1.b000000000000p+5, "54.0" },
	{ 0x1.5c00000000000p+10, "1392.0" },
	/* Exact decimal expansions (x * 10^t an integer): 15 digits or fewer take
	 * the expansion at once, more go through the digit removal. */
	{ 0x1.7700000000000p+7, "187.5" },
	{ 0x1.8d00000000000p+6, "99.25" },
	{ 0x1.34a4000000000p+10, "1234.5625" },
	{ 0x1.0000000000000p-15, "3.0517578125e-05" },
	{ 0x1.8000000000000p-19, "2.86102294921875e-06" },
	{ 0x1.cbe991a148000p+36, "123456789012.5" },
	{ 0x1.ffffffffffff8p+48, "562949953421311.5" },
	{ 0x1.9999999999990p+46, "112589990684262.25" },
	{ 0x1.c6bf526340004p+49, "1000000000000000.5" },
};

static void
test_pyfloat_table(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(pyfloat_cases); i++) {
		char buf[32];
		size_t n = sp_export_pyfloat(pyfloat_cases[i].x, buf, sizeof(buf));

		if (strcmp(buf, pyfloat_cases[i].repr) != 0)
			fprintf(stderr, "\npyfloat(%a): got '%s', want '%s'\n",
				pyfloat_cases[i].x, buf, pyfloat_cases[i].repr);
		CU_ASSERT_STRING_EQUAL(buf, pyfloat_cases[i].repr);
		CU_ASSERT_EQUAL(n, strlen(pyfloat_cases[i].repr));
	}
}

static void
test_pyfloat_special(void)
{
	char buf[32];

	CU_ASSERT_EQUAL(sp_export_pyfloat(NAN, buf, sizeof(buf)), 3);
	CU_ASSERT_STRING_EQUAL(buf, "nan");
	CU_ASSERT_EQUAL(sp_export_pyfloat(-NAN, buf, sizeof(buf)), 3);
	CU_ASSERT_STRING_EQUAL(buf, "nan");
	CU_ASSERT_EQUAL(sp_export_pyfloat(INFINITY, buf, sizeof(buf)), 3);
	CU_ASSERT_STRING_EQUAL(buf, "inf");
	CU_ASSERT_EQUAL(sp_export_pyfloat(-INFINITY, buf, sizeof(buf)), 4);
	CU_ASSERT_STRING_EQUAL(buf, "-inf");
	/* Room for the characters but not the NUL: refused, nothing claimed. */
	CU_ASSERT_EQUAL(sp_export_pyfloat(0.1, buf, 3), 0);
	CU_ASSERT_EQUAL(sp_export_pyfloat(0.1, buf, 4), 3);
	CU_ASSERT_STRING_EQUAL(buf, "0.1");
	/* The longest forms fit in 32 bytes. */
	CU_ASSERT_EQUAL(sp_export_pyfloat(-0x1.a74fe1c1e8908p-997, buf, 32), 24);
	CU_ASSERT_STRING_EQUAL(buf, "-1.2345678901234568e-300");
	CU_ASSERT_EQUAL(sp_export_pyfloat(-0x1.e1e1e1e1e1e1ep-12, buf, 32), 23);
	CU_ASSERT_STRING_EQUAL(buf, "-0.00045955882352941176");
}

/*
 * Beyond the table: pseudo-random bit patterns must read back exactly, and
 * with one significant digit fewer nothing may: neither the correctly
 * rounded shorter number nor its neighbours.
 */
static void
test_pyfloat_roundtrip(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	unsigned int i, bad = 0, checked = 0;

	for (i = 0; i < 20000; i++) {
		char buf[32], alt[48];
		int ndig = 0, nz = 0, ex, d;
		const char *c;
		uint64_t bits, m = 0;
		double x, ax;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		bits = s;
		if (i & 1)	/* half of them in the range of flow statistics */
			bits = (bits & 0x800fffffffffffffULL) | ((uint64_t)(1000 + i % 60) << 52);
		memcpy(&x, &bits, sizeof(x));
		if (!isfinite(x) || x == 0)
			continue;
		ax = fabs(x);
		sp_export_pyfloat(x, buf, sizeof(buf));
		if (strtod(buf, NULL) != x) {
			bad++;
			continue;
		}
		/* Significant digits: from the first non-zero one, trailing zeros off. */
		for (c = buf; *c != '\0' && *c != 'e'; c++) {
			if (*c < '0' || *c > '9' || (ndig == 0 && *c == '0'))
				continue;
			ndig++;
			nz = *c == '0' ? nz + 1 : 0;
		}
		ndig -= nz;
		if (ndig < 2)
			continue;
		checked++;
		snprintf(alt, sizeof(alt), "%.*e", ndig - 2, ax);
		for (c = alt; *c != 'e'; c++)
			if (*c != '.')
				m = m * 10 + (uint64_t)(*c - '0');
		ex = atoi(c + 1) - (ndig - 2);
		for (d = -1; d <= 1; d++) {
			snprintf(alt, sizeof(alt), "%" PRIu64 "e%d", m + (uint64_t)d, ex);
			if (strtod(alt, NULL) == ax)
				bad++;
		}
	}
	CU_ASSERT(checked > 15000);
	CU_ASSERT_EQUAL(bad, 0);
}

/* ------------------------------------------------------------------------ */
/* Column set and header.                                                   */

static const char full_header[] =
	"id,expiration_id,src_ip,src_mac,src_oui,src_port,dst_ip,dst_mac,dst_oui,dst_port,"
	"protocol,ip_version,vlan_id,tunnel_id,bidirectional_first_seen_ms,"
	"bidirectional_last_seen_ms,bidirectional_duration_ms,bidirectional_packets,"
	"bidirectional_bytes,src2dst_first_seen_ms,src2dst_last_seen_ms,src2dst_duration_ms,"
	"src2dst_packets,src2dst_bytes,dst2src_first_seen_ms,dst2src_last_seen_ms,"
	"dst2src_duration_ms,dst2src_packets,dst2src_bytes,bidirectional_min_ps,"
	"bidirectional_mean_ps,bidirectional_stddev_ps,bidirectional_max_ps,src2dst_min_ps,"
	"src2dst_mean_ps,src2dst_stddev_ps,src2dst_max_ps,dst2src_min_ps,dst2src_mean_ps,"
	"dst2src_stddev_ps,dst2src_max_ps,bidirectional_min_piat_ms,bidirectional_mean_piat_ms,"
	"bidirectional_stddev_piat_ms,bidirectional_max_piat_ms,src2dst_min_piat_ms,"
	"src2dst_mean_piat_ms,src2dst_stddev_piat_ms,src2dst_max_piat_ms,dst2src_min_piat_ms,"
	"dst2src_mean_piat_ms,dst2src_stddev_piat_ms,dst2src_max_piat_ms,"
	"bidirectional_syn_packets,bidirectional_cwr_packets,bidirectional_ece_packets,"
	"bidirectional_urg_packets,bidirectional_ack_packets,bidirectional_psh_packets,"
	"bidirectional_rst_packets,bidirectional_fin_packets,src2dst_syn_packets,"
	"src2dst_cwr_packets,src2dst_ece_packets,src2dst_urg_packets,src2dst_ack_packets,"
	"src2dst_psh_packets,src2dst_rst_packets,src2dst_fin_packets,dst2src_syn_packets,"
	"dst2src_cwr_packets,dst2src_ece_packets,dst2src_urg_packets,dst2src_ack_packets,"
	"dst2src_psh_packets,dst2src_rst_packets,dst2src_fin_packets,splt_direction,splt_ps,"
	"splt_piat_ms,application_name,application_category_name,application_is_guessed,"
	"application_confidence,requested_server_name,client_fingerprint,server_fingerprint,"
	"user_agent,content_type";

static const char base_header[] =
	"id,expiration_id,src_ip,src_mac,src_oui,src_port,dst_ip,dst_mac,dst_oui,dst_port,"
	"protocol,ip_version,vlan_id,bidirectional_first_seen_ms,"
	"bidirectional_last_seen_ms,bidirectional_duration_ms,bidirectional_packets,"
	"bidirectional_bytes,src2dst_first_seen_ms,src2dst_last_seen_ms,src2dst_duration_ms,"
	"src2dst_packets,src2dst_bytes,dst2src_first_seen_ms,dst2src_last_seen_ms,"
	"dst2src_duration_ms,dst2src_packets,dst2src_bytes";

/* Every NFStream group: nDPI's nine columns are the run's first plugin
 * columns, as the loader registers them (ndpi_cols()). */
static struct sp_columns cols_full = {
	.tunnel_id = true, .statistical = true, .splt_n = 10,
};
static const struct sp_columns cols_base;

/* Runs with nDPI and no --plugin, by --ndpi-risks, --ndpi-extra. */
static struct sp_plugins *ndpi_runs[2][2];

/* cols with nDPI's columns as a run with these options has them. */
static void
ndpi_cols(struct sp_columns *cols, bool risks, bool extra)
{
	struct sp_plugins **ps = &ndpi_runs[risks][extra];
	struct sp_plugins_params p;
	char err[256];

	if (*ps == NULL) {
		memset(&p, 0, sizeof(p));
		p.dpi.n_dissections = 20;
		p.dpi.risks = risks;
		p.dpi.extra = extra;
		*ps = sp_plugins_load_run(&p, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(*ps);
	}
	sp_export_columns_plugins(cols, *ps);
}

/* Set an nDPI column of a record (made by record_new()) through the
 * plugins' setters, as the hook's cells hold it: s for a string, else v. */
static void
app_set(struct sp_flow_record *r, const struct sp_columns *cols, const char *name,
	const char *s, int64_t v)
{
	struct sp_plugin_record *pr;
	unsigned int i;

	pr = sp_plugins_record_new(cols->plugin_cols, cols->n_plugin_cols, sp_record_ext(r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
	for (i = 0; i < cols->n_plugin_cols; i++)
		if (strcmp(cols->plugin_cols[i].c.name, name) == 0)
			break;
	CU_ASSERT_FATAL(i < cols->n_plugin_cols);
	if (s != NULL)
		sp_plugin_set_string(pr, i, s, strlen(s));
	else if (cols->plugin_cols[i].c.type == SP_PLUGIN_INT)
		sp_plugin_set_int(pr, i, v);
	else
		sp_plugin_set_uint(pr, i, (uint64_t)v);
	CU_ASSERT_EQUAL(sp_plugins_record_bad(pr), 0);
	CU_ASSERT_EQUAL(sp_plugins_record_cut(pr), 0);
	sp_plugins_record_free(pr);
}

/* The nine as a flow nDPI labelled: every one set, strings empty. */
static void
app_defaults(struct sp_flow_record *r)
{
	static const char *const strs[] = {
		"application_name", "application_category_name", "requested_server_name",
		"client_fingerprint", "server_fingerprint", "user_agent", "content_type",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(strs); i++)
		app_set(r, &cols_full, strs[i], "", 0);
	app_set(r, &cols_full, "application_is_guessed", NULL, 0);
	app_set(r, &cols_full, "application_confidence", NULL, 0);
}

static unsigned int
count_fields(const char *s)
{
	unsigned int n = 1;

	for (; *s != '\0'; s++)
		n += *s == ',';
	return n;
}

static void
test_header(void)
{
	struct sp_columns cols;
	char buf[4096];
	size_t n;

	n = sp_export_csv_header(&cols_full, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(full_header));
	CU_ASSERT_STRING_EQUAL(buf, full_header);
	CU_ASSERT_EQUAL(count_fields(buf), 89);

	n = sp_export_csv_header(&cols_base, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, strlen(base_header));
	CU_ASSERT_STRING_EQUAL(buf, base_header);
	CU_ASSERT_EQUAL(count_fields(buf), 28);

	/* Each group adds its columns, wherever they go. */
	cols = cols_base;
	cols.tunnel_id = true;
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 29);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",vlan_id,tunnel_id,bidirectional_first_seen_ms,"));
	cols = cols_base;
	cols.statistical = true;
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 28 + 48);
	cols = cols_base;
	cols.splt_n = 1;
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 31);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",dst2src_bytes,splt_direction,splt_ps,splt_piat_ms"));
	cols = cols_base;
	ndpi_cols(&cols, false, false);
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 37);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",dst2src_bytes,application_name,"));

	/* The nDPI columns beyond NFStream: appended after NFStream's last
	 * column (nDPI's, with --ndpi-risks and --ndpi-extra). */
	cols = cols_full;
	ndpi_cols(&cols, true, false);
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 91);
	CU_ASSERT_EQUAL(strncmp(buf, full_header, strlen(full_header)), 0);
	CU_ASSERT_STRING_EQUAL(buf + strlen(full_header),
			       ",application_risks,application_risk_score");
	ndpi_cols(&cols, true, true);
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 95);
	CU_ASSERT_STRING_EQUAL(buf + strlen(full_header),
			       ",application_risks,application_risk_score,dns_query_type,"
			       "dns_response_code,tls_version,tls_cipher");
	ndpi_cols(&cols, false, true);
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf + strlen(full_header),
			       ",dns_query_type,dns_response_code,tls_version,tls_cipher");
	/* without nDPI (--n-dissections 0): none of them */
	cols.plugin_cols = NULL;
	cols.n_plugin_cols = 0;
	sp_export_csv_header(&cols, buf, sizeof(buf));
	CU_ASSERT_EQUAL(count_fields(buf), 89 - 9);
	CU_ASSERT_PTR_NULL(strstr(buf, "application"));
	CU_ASSERT_PTR_NULL(strstr(buf, "tls_"));

	/* Too small by one (the NUL): refused. */
	CU_ASSERT_EQUAL(sp_export_csv_header(&cols_full, buf, strlen(full_header)), 0);
	CU_ASSERT_EQUAL(sp_export_csv_header(&cols_full, buf, strlen(full_header) + 1),
			strlen(full_header));
}

static void
test_column_table(void)
{
	const struct sp_export_column *t, *sel[SP_EXPORT_MAX_COLUMNS];
	unsigned int n, i, groups[SP_EXPORT_COLG_COUNT] = { 0 };

	t = sp_export_columns_table(&n);
	CU_ASSERT_EQUAL(n, SP_EXPORT_MAX_COLUMNS);
	for (i = 0; i < n; i++) {
		groups[t[i].group]++;
		/* The declared size must be the C size of what the type reads. */
		switch (t[i].type) {
		case SP_EXPORT_COLT_U8:
		case SP_EXPORT_COLT_I8:
			CU_ASSERT_EQUAL(t[i].size, 1);
			break;
		case SP_EXPORT_COLT_U16:
			CU_ASSERT_EQUAL(t[i].size, 2);
			break;
		case SP_EXPORT_COLT_U64:
		case SP_EXPORT_COLT_F64:
			CU_ASSERT_EQUAL(t[i].size, 8);
			break;
		case SP_EXPORT_COLT_SRC_IP:
		case SP_EXPORT_COLT_DST_IP:
			CU_ASSERT_EQUAL(t[i].size, 16);
			break;
		case SP_EXPORT_COLT_MAC:
		case SP_EXPORT_COLT_OUI:
			CU_ASSERT_EQUAL(t[i].size, 6);
			break;
		default:
			break;
		}
	}
	CU_ASSERT_EQUAL(groups[SP_EXPORT_COLG_CORE], 28);
	CU_ASSERT_EQUAL(groups[SP_EXPORT_COLG_TUNNEL], 1);
	CU_ASSERT_EQUAL(groups[SP_EXPORT_COLG_STAT], 48);
	CU_ASSERT_EQUAL(groups[SP_EXPORT_COLG_SPLT], 3);
	/* nDPI's nine are plugin columns now, the table NFStream's others */
	CU_ASSERT_EQUAL(n, SP_EXPORT_NFSTREAM_COLUMNS - 9);
	CU_ASSERT_STRING_EQUAL(t[n - 1].name, "splt_piat_ms");
	for (i = 0; i < n; i++)
		CU_ASSERT_PTR_NULL(strstr(t[i].name, "application"));
	CU_ASSERT_EQUAL(sp_export_columns_select(&cols_full, sel), 80);
	CU_ASSERT_EQUAL(cols_full.n_plugin_cols, 9);
	CU_ASSERT_EQUAL(sp_export_columns_select(&cols_base, sel), 28);
	CU_ASSERT_STRING_EQUAL(sel[27]->name, "dst2src_bytes");
}

/* ------------------------------------------------------------------------ */
/* Records.                                                                 */

static struct sp_flow_record *
record_new(uint16_t splt_n)
{
	/* with room for the plugin area of any nDPI column set */
	struct sp_flow_record *r = calloc(1, sp_record_size_ext(splt_n, 4096));

	CU_ASSERT_FATAL(r != NULL);
	r->splt_n = splt_n;
	return r;
}

static void
set_scope(struct sp_flow_record *r, int s, uint64_t first, uint64_t last, uint64_t dur,
	  uint64_t pkts, uint64_t bytes)
{
	r->st.first_seen_ms[s] = first;
	r->st.last_seen_ms[s] = last;
	r->duration_ms[s] = dur;
	r->st.packets[s] = pkts;
	r->st.bytes[s] = bytes;
}

static void
set_ps(struct sp_flow_record *r, int s, uint16_t min, double mean, double sd, uint16_t max)
{
	r->min_ps[s] = min;
	r->mean_ps[s] = mean;
	r->stddev_ps[s] = sd;
	r->max_ps[s] = max;
}

static void
set_piat(struct sp_flow_record *r, int s, uint64_t min, double mean, double sd, uint64_t max)
{
	r->min_piat_ms[s] = min;
	r->mean_piat_ms[s] = mean;
	r->stddev_piat_ms[s] = sd;
	r->max_piat_ms[s] = max;
}

static void
set_splt(struct sp_flow_record *r, const int8_t *dir, const int32_t *ps, const int64_t *piat)
{
	memcpy(sp_record_splt_direction(r), dir, r->splt_n);
	memcpy(sp_record_splt_ps(r), ps, r->splt_n * sizeof(*ps));
	memcpy(sp_record_splt_piat(r), piat, r->splt_n * sizeof(*piat));
}

static void
parse_ip6(uint8_t *dst, const char *s)
{
	CU_ASSERT_FATAL(inet_pton(AF_INET6, s, dst) == 1);
}

/* An IPv6 QUIC flow in NFStream's to_csv() format (documentation addresses). */
static const char quic_row[] =
	"0,0,\"2001:db8:f4a6:3503:40cd:714:57:c4e4\",\"02:00:5e:10:e7:1e\",\"02:00:5e\",50123,"
	"\"2001:db8:9d59:549b::200e\",\"00:00:00:00:00:00\",\"00:00:00\",443,17,6,0,0,"
	"1700000075915,1700000084373,8458,20,12887,1700000075915,1700000084312,8397,9,6081,"
	"1700000075921,1700000084373,8452,11,6806,87,644.3500000000001,625.4298963618207,1392,"
	"95,675.6666666666666,660.2563895942242,1392,87,618.7272727272727,626.7800397123525,"
	"1392,0,445.1578947368421,1867.399179582778,8156,7,1049.625,2876.395111817171,8168,0,"
	"845.2,2571.2382144709104,8162,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	"\"[0, 1, 0, 1, 1, 1, 1, 0, 1, 0]\","
	"\"[1392, 1392, 1392, 1392, 1392, 1315, 124, 103, 103, 204]\","
	"\"[0, 6, 36, 71, 0, 0, 0, 11, 7, 5]\",\"QUIC.Google\",\"Web\",0,4,\"media.example.org\","
	"\"0123456789abcdef0123456789abcdef\",\"\","
	"\"Example/1.0 (X11; Linux x86_64; rv:1.0) Test\",\"\"\n";

static struct sp_flow_record *
quic_record(void)
{
	static const uint8_t smac[6] = { 0x02, 0x00, 0x5e, 0x10, 0xe7, 0x1e };
	static const int8_t dir[10] = { 0, 1, 0, 1, 1, 1, 1, 0, 1, 0 };
	static const int32_t ps[10] = { 1392, 1392, 1392, 1392, 1392, 1315, 124, 103, 103, 204 };
	static const int64_t piat[10] = { 0, 6, 36, 71, 0, 0, 0, 11, 7, 5 };
	struct sp_flow_record *r = record_new(10);

	r->id = 0;
	r->expiration_id = 0;
	parse_ip6(r->st.src_ip, "2001:db8:f4a6:3503:40cd:714:57:c4e4");
	parse_ip6(r->st.dst_ip, "2001:db8:9d59:549b::200e");
	memcpy(r->st.src_mac, smac, 6);
	r->st.src_port = 50123;
	r->st.dst_port = 443;
	r->st.protocol = 17;
	r->st.ip_version = 6;
	set_scope(r, SP_BI, 1700000075915, 1700000084373, 8458, 20, 12887);
	set_scope(r, SP_S2D, 1700000075915, 1700000084312, 8397, 9, 6081);
	set_scope(r, SP_D2S, 1700000075921, 1700000084373, 8452, 11, 6806);
	set_ps(r, SP_BI, 87, 644.3500000000001, 625.4298963618207, 1392);
	set_ps(r, SP_S2D, 95, 675.6666666666666, 660.2563895942242, 1392);
	set_ps(r, SP_D2S, 87, 618.7272727272727, 626.7800397123525, 1392);
	set_piat(r, SP_BI, 0, 445.1578947368421, 1867.399179582778, 8156);
	set_piat(r, SP_S2D, 7, 1049.625, 2876.395111817171, 8168);
	set_piat(r, SP_D2S, 0, 845.2, 2571.2382144709104, 8162);
	set_splt(r, dir, ps, piat);
	app_defaults(r);
	app_set(r, &cols_full, "application_name", "QUIC.Google", 0);
	app_set(r, &cols_full, "application_category_name", "Web", 0);
	app_set(r, &cols_full, "application_confidence", NULL, 4);
	app_set(r, &cols_full, "requested_server_name", "media.example.org", 0);
	app_set(r, &cols_full, "client_fingerprint", "0123456789abcdef0123456789abcdef", 0);
	app_set(r, &cols_full, "user_agent", "Example/1.0 (X11; Linux x86_64; rv:1.0) Test", 0);
	return r;
}

/*
 * A hand-made IPv4 TCP flow exercising what the QUIC row does not: flag
 * counters, a VLAN and tunnel id, expiration -1, the largest integers, a
 * one-value SPLT, '"' escaping and invalid UTF-8 in application strings
 * (Python keeps "é" and "€", drops the lone 0xff, the truncated 0xe2 0x82
 * and the surrogate 0xed 0xa0 0x80), and commas and a newline left raw.
 */
static const char tcp_row[] =
	"18446744073709551615,-1,\"10.0.0.1\",\"aa:bb:cc:dd:ee:ff\",\"aa:bb:cc\",65535,"
	"\"255.255.255.255\",\"01:02:03:04:05:06\",\"01:02:03\",0,6,4,4095,3,"
	"1000,2000,1000,3,180,1000,1500,500,2,120,2000,2000,0,1,60,"
	"60,60.0,0.0,60,60,60.0,0.0,60,60,60.0,0.0,60,"
	"500,500.0,0.0,500,500,500.0,0.0,500,0,0.0,0.0,0,"
	"1,2,3,4,5,6,7,8,1,0,3,0,5,0,7,0,0,2,0,4,0,6,0,8,"
	"\"[0]\",\"[60]\",\"[0]\","
	"\"HTTP\",\"Web\",1,1,\"a\\\"b\",\"caf\xc3\xa9\",\"\xe2\x82\xac\","
	"\"x,y\nz\",\"q\\\"\\\"\"\n";

static struct sp_flow_record *
tcp_record(void)
{
	static const uint8_t smac[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const uint8_t dmac[6] = { 1, 2, 3, 4, 5, 6 };
	static const int8_t dir[1] = { 0 };
	static const int32_t ps[1] = { 60 };
	static const int64_t piat[1] = { 0 };
	static const uint64_t flags[SP_SCOPES][8] = {
		{ 1, 2, 3, 4, 5, 6, 7, 8 },
		{ 1, 0, 3, 0, 5, 0, 7, 0 },
		{ 0, 2, 0, 4, 0, 6, 0, 8 },
	};
	struct sp_flow_record *r = record_new(1);

	r->id = UINT64_MAX;
	r->expiration_id = -1;
	r->st.src_ip[0] = 10;
	r->st.src_ip[3] = 1;
	memset(r->st.dst_ip, 0xff, 4);
	/* Bytes 4..15 are not looked at for IPv4. */
	r->st.dst_ip[15] = 0x77;
	memcpy(r->st.src_mac, smac, 6);
	memcpy(r->st.dst_mac, dmac, 6);
	r->st.src_port = 65535;
	r->st.dst_port = 0;
	r->st.protocol = 6;
	r->st.ip_version = 4;
	r->st.vlan_id = 4095;
	r->st.tunnel_id = 3;
	set_scope(r, SP_BI, 1000, 2000, 1000, 3, 180);
	set_scope(r, SP_S2D, 1000, 1500, 500, 2, 120);
	set_scope(r, SP_D2S, 2000, 2000, 0, 1, 60);
	set_ps(r, SP_BI, 60, 60.0, 0.0, 60);
	set_ps(r, SP_S2D, 60, 60.0, 0.0, 60);
	set_ps(r, SP_D2S, 60, 60.0, 0.0, 60);
	set_piat(r, SP_BI, 500, 500.0, 0.0, 500);
	set_piat(r, SP_S2D, 500, 500.0, 0.0, 500);
	set_piat(r, SP_D2S, 0, 0.0, 0.0, 0);
	memcpy(r->flags, flags, sizeof(flags));
	set_splt(r, dir, ps, piat);
	app_set(r, &cols_full, "application_name", "HTTP", 0);
	app_set(r, &cols_full, "application_category_name", "Web", 0);
	app_set(r, &cols_full, "application_is_guessed", NULL, 1);
	app_set(r, &cols_full, "application_confidence", NULL, 1);
	app_set(r, &cols_full, "requested_server_name", "a\"b", 0);
	app_set(r, &cols_full, "client_fingerprint", "caf\xc3\xa9\xff", 0);
	app_set(r, &cols_full, "server_fingerprint", "\xe2\x82\xe2\x82\xac\xed\xa0\x80", 0);
	app_set(r, &cols_full, "user_agent", "x,y\nz", 0);
	app_set(r, &cols_full, "content_type", "q\"\"", 0);
	return r;
}

static char tmp_dir[] = "/tmp/sp_test_export.XXXXXX";

static int
suite_init(void)
{
	struct sp_plugins_params p;
	char err[256];

	memset(&p, 0, sizeof(p));
	p.dpi.n_dissections = 20;
	ndpi_runs[0][0] = sp_plugins_load_run(&p, err, sizeof(err));
	if (ndpi_runs[0][0] == NULL)
		return -1;
	sp_export_columns_plugins(&cols_full, ndpi_runs[0][0]);
	return mkdtemp(tmp_dir) == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		sp_plugins_unload(ndpi_runs[i / 2][i % 2]);
		ndpi_runs[i / 2][i % 2] = NULL;
	}
	return rmdir(tmp_dir);
}

/* Whole content of a file, NUL-terminated; *len its size. */
static void
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static void
test_csv_quic_row(void)
{
	struct sp_flow_record *r = quic_record();
	struct sp_exporter *e;
	char path[256], *got, want[8192];
	size_t len;

	tmp_path(path, sizeof(path), "quic.csv");
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_STRING_EQUAL(e->ops->name, "csv");
	CU_ASSERT_EQUAL(sp_export_write(e, r), 0);
	CU_ASSERT_EQUAL(e->records, 1);
	CU_ASSERT_EQUAL(e->errors, 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	snprintf(want, sizeof(want), "%s\n%s", full_header, quic_row);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(r);
	unlink(path);
}

static void
test_csv_rows(void)
{
	struct sp_flow_record *q = quic_record(), *t = tcp_record();
	struct sp_columns cols = cols_full;
	struct sp_exporter *e;
	char path[256], *got, want[16384];
	size_t len;

	/* The TCP record has one SPLT value: a run with splt_n = 1. */
	cols.splt_n = 1;
	tmp_path(path, sizeof(path), "tcp.csv");
	e = sp_export_csv_open(path, &cols);
	CU_ASSERT_FATAL(e != NULL);
	/* A record whose SPLT length is not the run's is refused, not misread. */
	CU_ASSERT_EQUAL(sp_export_write(e, q), -EINVAL);
	CU_ASSERT_EQUAL(e->errors, 1);
	CU_ASSERT_EQUAL(sp_export_write(e, t), 0);
	CU_ASSERT_EQUAL(sp_export_write(e, t), 0);
	CU_ASSERT_EQUAL(sp_export_flush(e), 0);
	CU_ASSERT_EQUAL(e->records, 2);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	snprintf(want, sizeof(want), "%s\n%s%s", full_header, tcp_row, tcp_row);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);

	/* Smallest column set: no tunnel, statistics, SPLT or application columns. */
	e = sp_export_csv_open(path, &cols_base);
	CU_ASSERT_FATAL(e != NULL);
	t->splt_n = 0;
	CU_ASSERT_EQUAL(sp_export_write(e, t), 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	snprintf(want, sizeof(want), "%s\n%s", base_header,
		 "18446744073709551615,-1,\"10.0.0.1\",\"aa:bb:cc:dd:ee:ff\",\"aa:bb:cc\",65535,"
		 "\"255.255.255.255\",\"01:02:03:04:05:06\",\"01:02:03\",0,6,4,4095,"
		 "1000,2000,1000,3,180,1000,1500,500,2,120,2000,2000,0,1,60\n");
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(q);
	free(t);
	unlink(path);
}

/* The nDPI columns beyond NFStream: a risk list with its score, DNS and TLS
 * values, and the "no value" forms (empty strings, type 0, code -1). Their
 * cells are only read when the run has them, so they are poisoned after. */
static void
test_csv_ndpi_columns(void)
{
	struct sp_flow_record *q = quic_record();
	struct sp_columns cols = cols_full;
	struct sp_exporter *e;
	char path[256], *got, want[8192];
	const char *tail;
	size_t len;

	ndpi_cols(&cols, true, true);
	/* nDPI's nine keep their cells: the same columns first, same layout */
	CU_ASSERT_EQUAL(cols.plugin_cols[8].offset, cols_full.plugin_cols[8].offset);
	app_set(q, &cols, "application_risks",
		"Known Protocol on Non Standard Port;Missing SNI TLS Extension", 0);
	app_set(q, &cols, "application_risk_score", NULL, 110);
	app_set(q, &cols, "tls_version", "TLSv1.3", 0);
	app_set(q, &cols, "tls_cipher", "TLS_AES_128_GCM_SHA256", 0);
	app_set(q, &cols, "dns_query_type", NULL, 0);
	app_set(q, &cols, "dns_response_code", NULL, -1);
	tmp_path(path, sizeof(path), "ndpi.csv");
	e = sp_export_csv_open(path, &cols);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	/* A DNS flow: no TLS strings, no risk. */
	app_set(q, &cols, "application_risks", "", 0);
	app_set(q, &cols, "application_risk_score", NULL, 0);
	app_set(q, &cols, "tls_version", "", 0);
	app_set(q, &cols, "tls_cipher", "", 0);
	app_set(q, &cols, "dns_query_type", NULL, 28);
	app_set(q, &cols, "dns_response_code", NULL, 3);
	CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	/* quic_row without its newline, then the six columns. */
	tail = ",\"Known Protocol on Non Standard Port;Missing SNI TLS Extension\",110,0,-1,"
	       "\"TLSv1.3\",\"TLS_AES_128_GCM_SHA256\"\n";
	snprintf(want, sizeof(want),
		 "%s,application_risks,application_risk_score,dns_query_type,dns_response_code,"
		 "tls_version,tls_cipher\n%.*s%s%.*s%s", full_header,
		 (int)strlen(quic_row) - 1, quic_row, tail,
		 (int)strlen(quic_row) - 1, quic_row, ",\"\",0,28,3,\"\",\"\"\n");
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);

	/* Off (the default): NFStream's row exactly, the cells after nDPI's
	 * nine unread. */
	memset(sp_record_ext(q) + cols.plugin_cols[9].offset, 0x5a,
	       cols.plugin_cols[14].offset + 64 - cols.plugin_cols[9].offset);
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	snprintf(want, sizeof(want), "%s\n%s", full_header, quic_row);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(q);
	unlink(path);
}

/* Many rows through several buffer drains come out complete and in order. */
static void
test_csv_many(void)
{
	struct sp_flow_record *q = quic_record();
	struct sp_exporter *e;
	char path[256], *got, *p;
	unsigned int i, n = 5000;
	size_t len, hl = strlen(full_header) + 1, rl = strlen(quic_row);
	bool ok = true;

	tmp_path(path, sizeof(path), "many.csv");
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	for (i = 0; i < n; i++) {
		q->id = i;
		if (sp_export_write(e, q) != 0)
			ok = false;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	/* Row i is quic_row with "0" replaced by the decimal i. */
	CU_ASSERT_EQUAL(strncmp(got, full_header, hl - 1), 0);
	p = got + hl;
	for (i = 0; i < n && ok; i++) {
		char id[16];
		int l = snprintf(id, sizeof(id), "%u", i);

		if (strncmp(p, id, (size_t)l) != 0 || strncmp(p + l, quic_row + 1, rl - 1) != 0)
			ok = false;
		p += l + rl - 1;
	}
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL((size_t)(p - got), len);
	free(got);
	free(q);
	unlink(path);
}

/*
 * No flow: unlike to_csv(), which creates no file, the header alone, so
 * that pandas.read_csv() and other readers get the columns of an empty
 * table rather than an error.
 */
static void
test_csv_no_flow(void)
{
	struct sp_exporter *e;
	char path[256], want[4096], *got;
	struct stat sb;
	size_t len;

	tmp_path(path, sizeof(path), "empty.csv");
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sp_export_flush(e), 0);
	snprintf(want, sizeof(want), "%s\n", full_header);
	/* Out at the first flush already: a live run's file has it at once. */
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	CU_ASSERT_EQUAL(sp_export_close(NULL), 0);
	unlink(path);
}

/* Field idx of a to_csv() row (a '"' inside a string is written \"). */
static void
csv_field_span(const char *row, unsigned int idx, const char **start, const char **end)
{
	const char *p = row;
	unsigned int f = 0;
	bool q = false;

	*start = row;
	for (; *p != '\0'; p++) {
		if (q && *p == '\\' && p[1] == '"') {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		if (!q && (*p == ',' || *p == '\n')) {
			if (f == idx)
				break;
			f++;
			*start = p + 1;
		}
	}
	*end = p;
}

/* row with field idx replaced by text. */
static void
csv_replace_field(char *row, unsigned int idx, const char *text)
{
	const char *s, *e;
	char tail[8192];

	csv_field_span(row, idx, &s, &e);
	snprintf(tail, sizeof(tail), "%s", e);
	snprintf(row + (s - row), 8192 - (size_t)(s - row), "%s%s", text, tail);
}

static int
column_index(const struct sp_columns *cols, const char *name)
{
	const struct sp_export_column **col;
	unsigned int i, n;
	int idx = -1;

	col = sp_export_columns_all(cols, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(col);
	for (i = 0; i < n && idx < 0; i++)
		if (strcmp(col[i]->name, name) == 0)
			idx = (int)i;
	free(col);
	return idx;
}

/*
 * columns_to_anonymize with a known key: each value must be Python's
 * blake2b(str(value).encode(), digest_size=64, key=bytes(range(64))).hexdigest()
 * (hashlib, Python 3.11; computed once and written here), quoted as a
 * string: integers, floats (repr), addresses, MACs, lists and strings
 * (the decoded text, '"' not escaped, invalid UTF-8 dropped).
 */
static const struct {
	const char *col;
	const char *hex;
} anon_quic[] = {
	{ "src_ip", "bf82a094fdd2752ad7253861a269260c9ea041b1a0da79afdffadc04d6d24e1c"
		    "0475c80072a37b371b5847469cefd6530c63303e6046fd45ddb1400356827fb7" },
	{ "src_port", "889b0c8de230d57171119a3efdf14432d6de5c4295c716ec5b8411e43ce5a857"
		      "7e499943ab6e0477888f10c9a1b82e8a7062147eb769bda9939f04b635fbae00" },
	{ "bidirectional_mean_ps",
	  "b17172ef8af48e2535812292b231b6cc465df05a41b555fc9f704550c6a9908c"
	  "3e744063cb0f6c2d109175b84528737460cae3ac43b8574c8e203b987a492abb" },
	{ "splt_ps", "fe8ea7a8e3b433de9bfec88f96e0abc42eaafdc9ef05f052eb47dbfefc5ec28e"
		     "f7e2a0ba48dacdeed3c5aab893eac9c568fe9f4f4617e7cc92a90a36b21f1fc6" },
	{ "user_agent", "fcbf6031db1f73116142cdb491b0b1a861af5d331f4d1f64127d5de822d0311d"
			"607a02b10cabf850830d9cf3c5d90fc45db68b4878defe5208d6ad838be95fbd" },
}, anon_tcp[] = {
	{ "expiration_id", "70cf1f9baf498aef9f139e3c6621e07dc1482df16c3e2deca3f165c545f771c0"
			   "2f77d0a1ee68ef5fec38b8da94986997d95997d770a05fa4c1b9511c84c34360" },
	{ "src_mac", "8e82d716df724b6663c665e5901fec0aff60a2029e4d453a6801ee23f3633948"
		     "45145926b4a58eea2058601e0ddb6a9f66474f88880af7d5414d33f8e6fd7b7e" },
	{ "src_oui", "abf0e5ed1866a365f8e7f7ac64526d3694be85f38558e5a3a31ffe8db8aabbad"
		     "0b7c81e0eba78559d60e4922c679f9129ed88b897b36875a0a4b6b845c12c5d4" },
	{ "dst_ip", "a3ff194f7a3d28c498627e3957c2b14407328efe34608a8c225cbbf10c02bd1f"
		    "3b12a05501170ce33328057b7991d277f0dacf7c66ab9f63dbed1eb4ac091fd6" },
	{ "requested_server_name",
	  "dd9ac4cd3281a7d76f19fbeb97dd481d1f85f102a4c1119c9d2e7b31ec5d6ae3"
	  "81af919c08efc3de770eba77191a2fb7e46133ca242eaf75fcf65a12423c1e69" },
	{ "client_fingerprint",
	  "3bad17bbfc396ac57df0f35efac2aa9f544c615280159f7c28bad6a8d73d86ae"
	  "abd07e433edf597568551fda59b562f837d3c060ac76740648530ce1338b8c03" },
};

static void
check_anon(struct sp_flow_record *r, const struct sp_columns *cols, const char *plain_row,
	   const char *const *names, const char *const *hexes, unsigned int n)
{
	struct sp_csv_params p = { 0 };
	uint8_t key[SP_EXPORT_CSV_KEY_LEN];
	struct sp_exporter *e;
	char path[256], row[8192], want[24576], field[256], hdr[4096], *got;
	unsigned int i;
	size_t len;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	p.anonymize = names;
	p.n_anonymize = n;
	p.anonymize_key = key;
	tmp_path(path, sizeof(path), "anon.csv");
	e = sp_export_csv_open_params(path, cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_write(e, r), 0);
	CU_ASSERT_EQUAL(sp_export_write(e, r), 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	snprintf(row, sizeof(row), "%s", plain_row);
	for (i = 0; i < n; i++) {
		int idx = column_index(cols, names[i]);

		CU_ASSERT_FATAL(idx >= 0);
		snprintf(field, sizeof(field), "\"%s\"", hexes[i]);
		csv_replace_field(row, (unsigned int)idx, field);
	}
	sp_export_csv_header(cols, hdr, sizeof(hdr));
	/* Same key, same value, same digest: every row alike. */
	snprintf(want, sizeof(want), "%s\n%s%s", hdr, row, row);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	unlink(path);
}

static void
test_csv_anonymize_known_key(void)
{
	struct sp_flow_record *q = quic_record(), *t = tcp_record();
	struct sp_columns cols = cols_full;
	const char *names[8], *hexes[8];
	unsigned int i;

	for (i = 0; i < RTE_DIM(anon_quic); i++) {
		names[i] = anon_quic[i].col;
		hexes[i] = anon_quic[i].hex;
	}
	check_anon(q, &cols_full, quic_row, names, hexes, RTE_DIM(anon_quic));
	for (i = 0; i < RTE_DIM(anon_tcp); i++) {
		names[i] = anon_tcp[i].col;
		hexes[i] = anon_tcp[i].hex;
	}
	cols.splt_n = 1;
	check_anon(t, &cols, tcp_row, names, hexes, RTE_DIM(anon_tcp));
	free(q);
	free(t);
}

/* Without a key, a random one per exporter (NFStream: per to_csv() call). */
static void
test_csv_anonymize_random_key(void)
{
	static const char *const names[] = { "src_ip", "tunnel_id_not_a_column" };
	static const char *const absent[] = { "requested_server_name", "src_ip" };
	struct sp_flow_record *q = quic_record();
	struct sp_csv_params p = { .anonymize = names, .n_anonymize = 1 };
	struct sp_exporter *e;
	char path[256], *a, *b, *f;
	unsigned int i, idx = (unsigned int)column_index(&cols_full, "src_ip");
	const char *s, *end;
	size_t len;

	for (i = 0; i < 2; i++) {
		tmp_path(path, sizeof(path), i == 0 ? "rand0.csv" : "rand1.csv");
		e = sp_export_csv_open_params(path, &cols_full, &p);
		CU_ASSERT_FATAL(e != NULL);
		CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
		CU_ASSERT_EQUAL(sp_export_close(e), 0);
	}
	tmp_path(path, sizeof(path), "rand0.csv");
	a = sp_test_slurp(path, &len);
	unlink(path);
	tmp_path(path, sizeof(path), "rand1.csv");
	b = sp_test_slurp(path, &len);
	unlink(path);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	/* The value is 128 hex digits in quotes, different from run to run. */
	f = strchr(a, '\n') + 1;
	csv_field_span(f, idx, &s, &end);
	CU_ASSERT_EQUAL(end - s, 130);
	CU_ASSERT_EQUAL(strspn(s + 1, "0123456789abcdef"), 128);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	/* Everything else as without anonymization. */
	csv_replace_field(f, idx, "\"2001:db8:f4a6:3503:40cd:714:57:c4e4\"");
	CU_ASSERT_STRING_EQUAL(f, quic_row);
	free(a);
	free(b);

	/* A name that is no column fails the open. */
	p.n_anonymize = 2;
	rte_errno = 0;
	tmp_path(path, sizeof(path), "bad.csv");
	CU_ASSERT_PTR_NULL(sp_export_csv_open_params(path, &cols_full, &p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	/* A column outside the run's set is skipped, as NFStream does. */
	p.anonymize = absent;
	e = sp_export_csv_open_params(path, &cols_base, &p);
	CU_ASSERT_PTR_NOT_NULL(e);
	sp_export_close(e);
	unlink(path);
	CU_ASSERT_EQUAL(sp_export_column_find("src_ip", &cols_base), 0);
	CU_ASSERT_EQUAL(sp_export_column_find("requested_server_name", &cols_base), -ENOENT);
	CU_ASSERT_EQUAL(sp_export_column_find("requested_server_name", &cols_full), 0);
	CU_ASSERT_EQUAL(sp_export_column_find("no_such_column", &cols_full), -EINVAL);
	free(q);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_csv_load_key(void)
{
	uint8_t raw[SP_EXPORT_CSV_KEY_LEN + 1], key[SP_EXPORT_CSV_KEY_LEN];
	char path[256];
	unsigned int i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(0xa0 ^ i);
	tmp_path(path, sizeof(path), "key");
	write_file(path, raw, SP_EXPORT_CSV_KEY_LEN);
	memset(key, 0, sizeof(key));
	CU_ASSERT_EQUAL(sp_export_csv_load_key(path, key), 0);
	CU_ASSERT_EQUAL(memcmp(key, raw, sizeof(key)), 0);
	/* One byte short or long (a hex text, a newline) is refused, not cut or padded. */
	write_file(path, raw, SP_EXPORT_CSV_KEY_LEN - 1);
	CU_ASSERT_EQUAL(sp_export_csv_load_key(path, key), -EINVAL);
	write_file(path, raw, SP_EXPORT_CSV_KEY_LEN + 1);
	CU_ASSERT_EQUAL(sp_export_csv_load_key(path, key), -EINVAL);
	unlink(path);
	CU_ASSERT_EQUAL(sp_export_csv_load_key(path, key), -ENOENT);
}

/* One file of a rotation: its header and the ids of its rows, in order. */
static void
check_chunk(const char *name, const char *header, const uint64_t *ids, unsigned int n)
{
	char path[256], want[65536], *got, *p;
	struct sp_flow_record *q = quic_record();
	unsigned int i;
	size_t len;

	tmp_path(path, sizeof(path), name);
	p = want + snprintf(want, sizeof(want), "%s\n", header);
	for (i = 0; i < n; i++)
		p += snprintf(p, sizeof(want) - (size_t)(p - want), "%" PRIu64 "%s", ids[i],
			      quic_row + 1);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got != NULL)
		CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(q);
	unlink(path);
}

static void
write_ids(struct sp_exporter *e, unsigned int n)
{
	struct sp_flow_record *q = quic_record();
	unsigned int i;

	for (i = 0; i < n; i++) {
		q->id = i;
		CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	}
	free(q);
}

/*
 * flows_per_file / rotate_files (streamer.py to_csv, utils.py open_file):
 * flows_per_file rows a file, each file with the header, named by putting
 * the file index before "csv"; with rotate_files the index is modulo it and
 * a reused name starts afresh.
 */
static void
test_csv_rotation(void)
{
	static const uint64_t r01[] = { 0, 1 }, r23[] = { 2, 3 }, r4[] = { 4 };
	static const uint64_t r2[] = { 2 }, r1[] = { 1 }, r34[] = { 3, 4 };
	struct sp_csv_params p = { .flows_per_file = 2 };
	struct sp_exporter *e;
	char path[256], dir[256];
	struct stat sb;

	tmp_path(path, sizeof(path), "flows.csv");
	e = sp_export_csv_open_params(path, &cols_full, &p);
	CU_ASSERT_FATAL(e != NULL);
	write_ids(e, 5);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	CU_ASSERT_NOT_EQUAL(stat(path, &sb), 0);	/* flows.csv itself is not written */
	check_chunk("flows.0.csv", full_header, r01, 2);
	check_chunk("flows.1.csv", full_header, r23, 2);
	check_chunk("flows.2.csv", full_header, r4, 1);

	/* rotate_files 2, one flow a file: 0 -> .0, 1 -> .1, 2 -> .0 again. */
	p.flows_per_file = 1;
	p.rotate_files = 2;
	e = sp_export_csv_open_params(path, &cols_full, &p);
	CU_ASSERT_FATAL(e != NULL);
	write_ids(e, 3);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	check_chunk("flows.0.csv", full_header, r2, 1);
	check_chunk("flows.1.csv", full_header, r1, 1);

	/* Every "csv" of the file name, none of the directory's; no flow: a header. */
	snprintf(dir, sizeof(dir), "%s/csvdir", tmp_dir);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	tmp_path(path, sizeof(path), "csvdir/csv_flows.csv");
	p.flows_per_file = 3;
	p.rotate_files = 0;
	e = sp_export_csv_open_params(path, &cols_full, &p);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	check_chunk("csvdir/0.csv_flows.0.csv", full_header, NULL, 0);
	e = sp_export_csv_open_params(path, &cols_full, &p);
	CU_ASSERT_FATAL(e != NULL);
	write_ids(e, 5);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	check_chunk("csvdir/1.csv_flows.1.csv", full_header, r34, 2);
	unlink(path);
	tmp_path(path, sizeof(path), "csvdir/0.csv_flows.0.csv");
	unlink(path);
	CU_ASSERT(rmdir(dir) == 0);

	/* Names need a "csv" in the file name; stdout has none; rotate needs chunks. */
	rte_errno = 0;
	p.flows_per_file = 10;
	CU_ASSERT_PTR_NULL(sp_export_csv_open_params("-", &cols_full, &p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	tmp_path(path, sizeof(path), "flows.txt");
	CU_ASSERT_PTR_NULL(sp_export_csv_open_params(path, &cols_full, &p));
	tmp_path(path, sizeof(path), "csv/flows.txt");
	CU_ASSERT_PTR_NULL(sp_export_csv_open_params(path, &cols_full, &p));
	p.flows_per_file = 0;
	p.rotate_files = 3;
	tmp_path(path, sizeof(path), "flows.csv");
	CU_ASSERT_PTR_NULL(sp_export_csv_open_params(path, &cols_full, &p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
}

/*
 * "--csv - | head -2": once the reader has gone, writing gives -EPIPE (the
 * app ignores SIGPIPE) and every later write fails at once with -EPIPE
 * instead of formatting rows nobody reads.
 */
static void
test_csv_broken_pipe(void)
{
	struct sp_flow_record *q = quic_record();
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct sp_exporter *e;
	int fds[2], saved;
	uint64_t before;

	CU_ASSERT_FATAL(pipe(fds) == 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	close(fds[0]);
	e = sp_export_csv_open("-", &cols_full);
	if (e != NULL) {
		CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
		CU_ASSERT_EQUAL(sp_export_flush(e), -EPIPE);
		before = e->errors;
		CU_ASSERT_EQUAL(sp_export_write(e, q), -EPIPE);
		CU_ASSERT_EQUAL(e->errors, before + 1);
		CU_ASSERT_EQUAL(sp_export_close(e), -EPIPE);
	}
	dup2(saved, STDOUT_FILENO);
	close(saved);
	signal(SIGPIPE, old);
	CU_ASSERT_PTR_NOT_NULL(e);
	free(q);
}

static void
test_csv_stdout(void)
{
	struct sp_flow_record *q = quic_record();
	struct sp_exporter *e;
	char path[256], want[8192], *got;
	int saved, fd;
	size_t len;

	tmp_path(path, sizeof(path), "stdout.csv");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CU_ASSERT_FATAL(saved >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	e = sp_export_csv_open("-", &cols_full);
	if (e != NULL) {
		CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
		CU_ASSERT_EQUAL(sp_export_close(e), 0);
	}
	dup2(saved, STDOUT_FILENO);
	close(saved);
	CU_ASSERT_FATAL(e != NULL);
	/* Standard output stays open after close. */
	CU_ASSERT_NOT_EQUAL(fcntl(STDOUT_FILENO, F_GETFD), -1);
	snprintf(want, sizeof(want), "%s\n%s", full_header, quic_row);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(q);
	unlink(path);
}

static void
test_csv_full_disk(void)
{
	struct sp_flow_record *q = quic_record();
	struct sp_exporter *e;
	unsigned int i;
	int ret = 0;

	e = sp_export_csv_open("/dev/full", &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	CU_ASSERT_EQUAL(sp_export_flush(e), -ENOSPC);
	/* Rows keep going to the buffer until it must be drained, then fail. */
	for (i = 0; i < 100000 && ret == 0; i++)
		ret = sp_export_write(e, q);
	CU_ASSERT_EQUAL(ret, -ENOSPC);
	CU_ASSERT(i > 1 && i < 100000);
	CU_ASSERT_EQUAL(e->errors, 1);
	CU_ASSERT_EQUAL(e->records, i);
	CU_ASSERT_EQUAL(sp_export_write(e, q), -ENOSPC);
	CU_ASSERT_EQUAL(e->errors, 2);
	CU_ASSERT_EQUAL(sp_export_close(e), -ENOSPC);
	free(q);
}

/*
 * A file that takes only part of a drain (a disk that fills up; here
 * RLIMIT_FSIZE: a short write, then EFBIG) is cut back to its last whole
 * row: header + k rows, never a half one. The rows hold a user agent with
 * newlines, commas and quotes inside its quotes, which a row end is not.
 */
static void
test_csv_partial_write_whole_rows(void)
{
	struct sp_flow_record *q = quic_record();
	struct sp_exporter *e;
	struct rlimit old, lim;
	char path[256], *one, *got;
	size_t hl = strlen(full_header) + 1, len, rl, k;
	void (*old_xfsz)(int);
	unsigned int i;
	int ret = 0;

	q->id = 7;
	app_set(q, &cols_full, "user_agent", "a\n\"b,\"\nc\n", 0);
	tmp_path(path, sizeof(path), "partial.csv");
	/* the row as written whole */
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL(sp_export_write(e, q), 0);
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	one = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(one != NULL && len > hl);
	rl = len - hl;
	CU_ASSERT_PTR_NOT_NULL(memchr(one + hl, '\n', rl - 1));	/* newlines inside */

	/* the limit falls inside the second drain, and inside a row */
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 300000 + rl / 2;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	e = sp_export_csv_open(path, &cols_full);
	CU_ASSERT_FATAL(e != NULL);
	for (i = 0; i < 100000 && ret == 0; i++)
		ret = sp_export_write(e, q);
	CU_ASSERT_EQUAL(ret, -EFBIG);
	CU_ASSERT_EQUAL(sp_export_close(e), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_xfsz);

	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT(len > 256 * 1024 && len <= 300000);
	CU_ASSERT_EQUAL((len - hl) % rl, 0);
	for (k = 0; hl + k * rl + rl <= len; k++)
		if (memcmp(got + hl + k * rl, one + hl, rl) != 0)
			break;
	CU_ASSERT_EQUAL(hl + k * rl, len);
	CU_ASSERT_EQUAL(memcmp(got, one, hl), 0);
	free(got);
	free(one);
	free(q);
	unlink(path);
}

static void
test_csv_open_errors(void)
{
	char path[256];

	rte_errno = 0;
	tmp_path(path, sizeof(path), "missing/dir/out.csv");
	CU_ASSERT_PTR_NULL(sp_export_csv_open(path, &cols_full));
	CU_ASSERT_EQUAL(rte_errno, ENOENT);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(sp_export_csv_open(tmp_dir, &cols_full));
	CU_ASSERT_EQUAL(rte_errno, EISDIR);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(sp_export_csv_open(NULL, &cols_full));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Text helpers.                                                            */

static void
check_pystr(const char *in, size_t size, const char *want)
{
	char out[512];
	size_t n = sp_export_fmt_pystr(out, in, size);

	out[n] = '\0';
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_STRING_EQUAL(out, want);
}

/* Expected values are Python's bytes.decode('utf-8', errors='ignore'), '"' escaped. */
static void
test_pystr(void)
{
	check_pystr("", 8, "");
	check_pystr("plain", 8, "plain");
	check_pystr("say \"hi\"", 16, "say \\\"hi\\\"");
	check_pystr("\"", 2, "\\\"");
	check_pystr("back\\slash", 16, "back\\slash");
	/* Valid 2, 3 and 4 byte sequences, at the edges of their ranges. */
	check_pystr("\xc2\x80\xdf\xbf", 8, "\xc2\x80\xdf\xbf");
	check_pystr("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", 16,
		    "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
	check_pystr("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 16, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	/* Overlong forms. */
	check_pystr("a\xc0\xafz", 8, "az");
	check_pystr("a\xc1\xbfz", 8, "az");
	check_pystr("a\xe0\x80\xafz", 8, "az");
	check_pystr("a\xe0\x9f\xbfz", 8, "az");
	check_pystr("a\xf0\x80\x80\xafz", 8, "az");
	check_pystr("a\xf0\x8f\xbf\xbfz", 8, "az");
	/* Surrogates U+D800..U+DFFF. */
	check_pystr("a\xed\xa0\x80z", 8, "az");
	check_pystr("a\xed\xbf\xbfz", 8, "az");
	/* Above U+10FFFF, and bytes that never appear in UTF-8. */
	check_pystr("a\xf4\x90\x80\x80z", 8, "az");
	check_pystr("a\xf5\x80\x80\x80z", 8, "az");
	check_pystr("a\xf8\x88\x80\x80\x80z", 16, "az");
	check_pystr("a\xfe\xffz", 8, "az");
	/* Stray continuation bytes, truncated sequences. */
	check_pystr("\x80\xbf" "a", 8, "a");
	check_pystr("a\xe2\x82", 8, "a");
	check_pystr("a\xf0\x9f\x98", 8, "a");
	/* A broken sequence does not swallow the valid one after it. */
	check_pystr("\xe2\x82\xe2\x82\xac", 8, "\xe2\x82\xac");
	check_pystr("\xc3\xc3\xa9", 8, "\xc3\xa9");
	check_pystr("\xf0\x9f\xf0\x9f\x98\x80", 8, "\xf0\x9f\x98\x80");
	/* A sequence cut by the end of the field is dropped too. */
	check_pystr("ab\xc3\xa9", 3, "ab");
	check_pystr("abc\xc3\xa9", 5, "abc\xc3\xa9");
	/* The field ends at the first NUL or at its size, whichever comes first. */
	check_pystr("abc\0def", 8, "abc");
	check_pystr("abcdef", 4, "abcd");
}

static void
check_ip6(const uint8_t *a)
{
	char want[INET6_ADDRSTRLEN], got[SP_EXPORT_IP_MAX_LEN + 1];
	size_t n;

	CU_ASSERT_FATAL(inet_ntop(AF_INET6, a, want, sizeof(want)) != NULL);
	n = sp_export_fmt_ip(got, a, false);
	got[n] = '\0';
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\nipv6: got '%s', want '%s'\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_ip(void)
{
	static const char *const edge[] = {
		"::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::0.0.1.0", "::ffff:0.0.0.0",
		"1:0:0:2::3", "1::2:0:0:3", "1:0:1:0:1:0:1:0", "0:1::", "::1:0", "::ffff:0:1.2.3.4",
		"fe80::1", "2001:db8::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"1:2:3:4:5:6:7:8",
		"0:0:1::", "::ffff", "::fffe:1.2.3.4", "0:0:0:0:0:1:1.2.3.4",
	};
	uint8_t a[16];
	char got[SP_EXPORT_IP_MAX_LEN + 1];
	uint64_t s = 12345;
	unsigned int i, j;
	size_t n;

	for (i = 0; i < RTE_DIM(edge); i++) {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, edge[i], a) == 1);
		check_ip6(a);
	}
	/* Random addresses with many zero words, so every run layout shows up. */
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < 8; j++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((s >> 60) < 9) {
				a[2 * j] = 0;
				a[2 * j + 1] = 0;
			} else {
				a[2 * j] = (s >> 33) & ((s >> 58) & 1 ? 0xff : 0x0f);
				a[2 * j + 1] = (uint8_t)(s >> 41);
			}
		}
		if (i % 7 == 0) {
			memset(a, 0, 10);
			a[10] = a[11] = (i % 2) ? 0xff : 0;
		}
		check_ip6(a);
	}

	memset(a, 0, sizeof(a));
	a[0] = 192;
	a[1] = 168;
	a[2] = 0;
	a[3] = 10;
	n = sp_export_fmt_ip(got, a, true);
	got[n] = '\0';
	CU_ASSERT_STRING_EQUAL(got, "192.168.0.10");
	n = sp_export_fmt_ip(got, a, false);
	got[n] = '\0';
	CU_ASSERT_STRING_EQUAL(got, "c0a8:a::");
}

/*
 * Values whose exact decimal expansion has at most 15 significant digits
 * (m / 2^j: a mean of 2^j integers) print as that expansion: glibc's
 * printf("%.*f") gives it exactly, and the digits must be the same.
 */
static void
test_pyfloat_exact_expansion(void)
{
	uint64_t s = 0x243f6a8885a308d3ULL;
	unsigned int i, checked = 0, bad = 0;

	for (i = 0; i < 200000; i++) {
		char buf[32], ex[400], dg[400], got[32];
		size_t nd = 0, ng = 0, k;
		unsigned int j;
		uint64_t m;
		double x;
		char *c;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		m = (s >> 8) & ((1ULL << (s % 50 + 1)) - 1);
		j = (unsigned int)((s >> 58) % 40);
		x = ldexp((double)m, -(int)j);
		if (x == 0 || x == floor(x))
			continue;	/* the integer path */
		snprintf(ex, sizeof(ex), "%.*f", j, x);
		/* significant digits of the expansion, trailing zeros off */
		for (c = ex; *c != '\0'; c++)
			if (*c >= '0' && *c <= '9' && (nd > 0 || *c != '0'))
				dg[nd++] = *c;
		while (nd > 0 && dg[nd - 1] == '0')
			nd--;
		if (nd > 15)
			continue;
		checked++;
		sp_export_pyfloat(x, buf, sizeof(buf));
		for (c = buf; *c != '\0' && *c != 'e'; c++)
			if (*c >= '0' && *c <= '9' && (ng > 0 || *c != '0'))
				got[ng++] = *c;
		while (ng > 0 && got[ng - 1] == '0')
			ng--;
		for (k = 0; k < nd && k < ng && got[k] == dg[k]; k++)
			;
		if (ng != nd || k != nd || strtod(buf, NULL) != x)
			bad++;
	}
	CU_ASSERT(checked > 50000);
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_ints_macs(void)
{
	static const uint8_t mac[6] = { 0x00, 0x1c, 0x42, 0x8e, 0x70, 0xAB };
	bool bad = false;
	char buf[32];
	size_t n;

	n = sp_export_fmt_u64(buf, 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(buf[0], '0');
	n = sp_export_fmt_u64(buf, 1470104377754ULL);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "1470104377754");
	n = sp_export_fmt_u64(buf, 100);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "100");
	n = sp_export_fmt_u64(buf, UINT64_MAX);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "18446744073709551615");
	n = sp_export_fmt_i64(buf, INT64_MIN);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "-9223372036854775808");
	n = sp_export_fmt_i64(buf, -1);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "-1");
	for (uint64_t v = 1, k = 1; k < 20; k++, v *= 10) {
		char want[32];

		snprintf(want, sizeof(want), "%" PRIu64, v - 1);
		n = sp_export_fmt_u64(buf, v - 1);
		buf[n] = '\0';
		CU_ASSERT_STRING_EQUAL(buf, want);
		snprintf(want, sizeof(want), "%" PRIu64, v);
		n = sp_export_fmt_u64(buf, v);
		buf[n] = '\0';
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
	for (uint64_t i = 0, s = 1; i < 100000 && !bad; i++) {
		char want[32];
		uint64_t v;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		v = s >> (s & 63);	/* every magnitude */
		snprintf(want, sizeof(want), "%" PRIu64, v);
		n = sp_export_fmt_u64(buf, v);
		buf[n] = '\0';
		bad = strcmp(buf, want) != 0;
	}
	CU_ASSERT_FALSE(bad);
	n = sp_export_fmt_mac(buf, mac, 6);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "00:1c:42:8e:70:ab");
	n = sp_export_fmt_mac(buf, mac, 3);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, "00:1c:42");
}

/* ------------------------------------------------------------------------ */
/* The CSV row's word-store integer formatter and its reused texts.          */

/* v's decimal text by repeated division: the reference. */
static size_t
naive_u64(char *dst, uint64_t v)
{
	char t[24];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = t[n - 1 - i];
	return n;
}

/* put_u64 (word stores, within SP_EXPORT_INT_WIDE_LEN) and fmt_u64 (exact) give str(v). */
static bool
int_ok(uint64_t v)
{
	char want[24], wide[64], exact[64];
	size_t n = naive_u64(want, v), i;

	memset(wide, 0x5a, sizeof(wide));
	memset(exact, 0x5a, sizeof(exact));
	if (sp_export_put_u64(wide, v) != n || memcmp(wide, want, n) != 0)
		return false;
	for (i = SP_EXPORT_INT_WIDE_LEN; i < sizeof(wide); i++)
		if (wide[i] != 0x5a)
			return false;
	if (sp_export_fmt_u64(exact, v) != n || memcmp(exact, want, n) != 0)
		return false;
	/* the exact one stores the text and nothing else */
	for (i = n; i < sizeof(exact); i++)
		if (exact[i] != 0x5a)
			return false;
	return true;
}

static bool
i64_ok(int64_t v)
{
	char want[32], wide[64], exact[64];
	size_t n = (size_t)snprintf(want, sizeof(want), "%" PRId64, v), i;

	memset(wide, 0x5a, sizeof(wide));
	memset(exact, 0x5a, sizeof(exact));
	if (sp_export_put_i64(wide, v) != n || memcmp(wide, want, n) != 0)
		return false;
	for (i = SP_EXPORT_INT_WIDE_LEN; i < sizeof(wide); i++)
		if (wide[i] != 0x5a)
			return false;
	if (sp_export_fmt_i64(exact, v) != n || memcmp(exact, want, n) != 0)
		return false;
	for (i = n; i < sizeof(exact); i++)
		if (exact[i] != 0x5a)
			return false;
	return true;
}

static void
test_int_formatter(void)
{
	static const uint64_t edges[] = {
		0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, 99999999, 100000000,
		100000001, 999999999, 1000000000, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
		1704067200999ULL, 1704067201000ULL, 9999999999999999ULL, 10000000000000000ULL,
		99999999999999999ULL, 100000000000000000ULL, 9999999999999999999ULL,
		10000000000000000000ULL, (uint64_t)INT64_MAX, UINT64_MAX - 1, UINT64_MAX,
	};
	static const int64_t sedges[] = {
		0, 9, 10, -1, -9, -10, -99, -100, -128, 127, -999, -1000, -99999999,
		-100000000, INT32_MIN, INT64_MAX, INT64_MIN + 1, INT64_MIN,
	};
	uint64_t v, s = 1, bad = UINT64_MAX;
	unsigned int i;

	/* the 0..999 table: digits without and with leading zeros, and their count */
	for (v = 0; v < 1000 && bad == UINT64_MAX; v++) {
		uint64_t t = sp_export_txt1000[v];
		char want[8], got[4];
		int n = snprintf(want, sizeof(want), "%" PRIu64, v);

		memcpy(got, &t, 3);
		if ((int)((t >> 24) & 0xff) != n || memcmp(got, want, (size_t)n) != 0)
			bad = v;
		snprintf(want, sizeof(want), "%03" PRIu64, v);
		memcpy(got, (const char *)&t + 4, 3);
		if (memcmp(got, want, 3) != 0)
			bad = v;
	}
	CU_ASSERT_EQUAL(bad, UINT64_MAX);
	for (i = 0; i < RTE_DIM(edges); i++)
		if (!int_ok(edges[i]))
			CU_FAIL("integer edge value");
	for (i = 0; i < RTE_DIM(sedges); i++)
		if (!i64_ok(sedges[i]))
			CU_FAIL("signed edge value");
	/* every power of ten, one below and one above */
	for (v = 1, i = 0; i < 20; i++, v *= 10)
		if (!int_ok(v - 1) || !int_ok(v) || !int_ok(v + 1))
			CU_FAIL("power of ten");
	/* all of 0..10^6, then the 8-digit SWAR over a stride of 10^8 */
	for (v = 0; v < 1000000 && bad == UINT64_MAX; v++)
		if (!int_ok(v))
			bad = v;
	for (v = 0; v < 100000000 && bad == UINT64_MAX; v += 9973) {
		uint64_t d = sp_export_digits8((uint32_t)v) + SP_EXPORT_ASCII8;
		char want[16];

		snprintf(want, sizeof(want), "%08" PRIu64, v);
		if (memcmp(&d, want, 8) != 0)
			bad = v;
	}
	CU_ASSERT_EQUAL(bad, UINT64_MAX);
	/* every magnitude, signed and unsigned */
	for (i = 0; i < 200000 && bad == UINT64_MAX; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		v = s >> (s & 63);
		if (!int_ok(v) || !i64_ok((int64_t)v) || !i64_ok(-(int64_t)(v >> 1)))
			bad = v;
	}
	CU_ASSERT_EQUAL(bad, UINT64_MAX);
}

/* One row of cols_base as to_csv() has it, worked out with snprintf and inet_ntop. */
static size_t
base_row(const struct sp_flow_record *r, char *out, size_t len)
{
	const uint8_t *sm = r->st.src_mac, *dm = r->st.dst_mac;
	int af = r->st.ip_version == 4 ? AF_INET : AF_INET6;
	char sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	size_t n;
	int s;

	inet_ntop(af, r->st.src_ip, sip, sizeof(sip));
	inet_ntop(af, r->st.dst_ip, dip, sizeof(dip));
	n = (size_t)snprintf(out, len, "%" PRIu64 ",%d,\"%s\",\"%02x:%02x:%02x:%02x:%02x:%02x\","
			     "\"%02x:%02x:%02x\",%u,\"%s\",\"%02x:%02x:%02x:%02x:%02x:%02x\","
			     "\"%02x:%02x:%02x\",%u,%u,%u,%u",
			     r->id, r->expiration_id, sip, sm[0], sm[1], sm[2], sm[3], sm[4], sm[5],
			     sm[0], sm[1], sm[2], r->st.src_port, dip, dm[0], dm[1], dm[2], dm[3],
			     dm[4], dm[5], dm[0], dm[1], dm[2], r->st.dst_port, r->st.protocol,
			     r->st.ip_version, r->st.vlan_id);
	for (s = 0; s < SP_SCOPES; s++)
		n += (size_t)snprintf(out + n, len - n, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
				      ",%" PRIu64 ",%" PRIu64, r->st.first_seen_ms[s],
				      r->st.last_seen_ms[s], r->duration_ms[s], r->st.packets[s],
				      r->st.bytes[s]);
	n += (size_t)snprintf(out + n, len - n, "\n");
	return n;
}

/*
 * Texts reused from earlier rows (a large integer's v / 1000, a MAC, an
 * IPv6 address) never stand for a value that changed: each row, checked
 * against snprintf and inet_ntop, changes one thing at a time right where
 * a stale text would show (the same v / 1000 with another remainder and
 * the reverse, one MAC byte, IPv6 addresses sharing cache slots).
 */
static void
test_csv_text_reuse(void)
{
	static const uint64_t big[] = {
		1704067200999ULL, 1704067200999ULL, 1704067200998ULL, 1704067201000ULL,
		1704067301000ULL, 1704067301000ULL, 100000000, 99999999, 100000999, 100001000,
		0, 1704067301000ULL, UINT64_MAX, UINT64_MAX - 1, 18446744073709550999ULL,
		18446744073709551000ULL, 5, 1704067301005ULL,
	};
	struct sp_flow_record *t = tcp_record();
	struct sp_exporter *e;
	char path[256], *got, *want, *w;
	size_t len, cap = 4u << 20;
	uint64_t rnd = 7;
	unsigned int i, k;
	uint8_t ip6[700][16];

	for (i = 0; i < RTE_DIM(ip6); i++)
		for (k = 0; k < 16; k += 8) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			memcpy(ip6[i] + k, &rnd, 8);
			/* runs of zero words too: inet_ntop's "::" */
			if (i % 3 == 0)
				memset(ip6[i] + 4, 0, 8);
		}
	/* many in one /64, many with one interface id: slots shared by near addresses */
	for (i = 0; i < RTE_DIM(ip6); i++)
		if (i % 2 == 0)
			memcpy(ip6[i], "\x20\x01\x0d\xb8\x00\x01\x00\x02", 8);
		else if (i % 4 == 1)
			memcpy(ip6[i] + 8, "\x00\x00\x00\x00\x00\x00\x00\x01", 8);
	want = malloc(cap);
	CU_ASSERT_FATAL(want != NULL);
	tmp_path(path, sizeof(path), "reuse.csv");
	e = sp_export_csv_open(path, &cols_base);
	CU_ASSERT_FATAL(e != NULL);
	t->splt_n = 0;
	w = want + sp_export_csv_header(&cols_base, want, cap);
	*w++ = '\n';
	for (i = 0; i < 3000; i++) {
		uint64_t b = big[i % RTE_DIM(big)];

		t->id = b;
		t->st.first_seen_ms[SP_BI] = b;
		t->st.last_seen_ms[SP_S2D] = big[(i + 3) % RTE_DIM(big)];
		t->st.bytes[SP_D2S] = b ^ (i & 1);
		/* one byte of the MAC; the OUI's byte every 7th row */
		t->st.src_mac[5] = (uint8_t)(i / 2);
		t->st.dst_mac[i % 7 == 0 ? 1 : 4] = (uint8_t)i;
		t->st.ip_version = i % 5 == 0 ? 4 : 6;
		/* 700 addresses in 256 slots, then again in another order */
		memcpy(t->st.src_ip, ip6[i % 700], 16);
		memcpy(t->st.dst_ip, ip6[(i * 13) % 700], 16);
		CU_ASSERT_EQUAL_FATAL(sp_export_write(e, t), 0);
		w += base_row(t, w, cap - (size_t)(w - want));
	}
	CU_ASSERT_EQUAL(sp_export_close(e), 0);
	got = sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_EQUAL(len, (size_t)(w - want));
	CU_ASSERT(len == (size_t)(w - want) && memcmp(got, want, len) == 0);
	free(got);
	free(want);
	free(t);
	unlink(path);
}

/*
 * The row program against the generic row code (which formats each value
 * afresh, column by column, as the anonymizer's rows are made): random
 * records of every magnitude with statistics, written by both, give the
 * same rows but for the anonymized first column.
 */
static void
test_csv_fast_row_equivalence(void)
{
	static const double fl[] = { 0.0, 60.0, 187.5, 74.24621202458749, 1e-05, 1.5e+16 };
	static const char *const anon[] = { "id" };
	/* bytes of the random strings: ASCII, '"', NUL, UTF-8, invalid UTF-8 */
	static const char alpha[] = "abcXYZ.-_ 09,;\"\0\xc3\xa9\xe2\x82\xac\xff\x80";
	struct sp_columns cols = cols_full;
	struct sp_csv_params p = { 0 };
	uint8_t key[SP_EXPORT_CSV_KEY_LEN] = { 1 };
	struct sp_flow_record *r = record_new(0);
	struct sp_exporter *fast, *ref;
	char path_f[256], path_r[256], *a, *b, *la, *lb;
	uint64_t rnd = 11, *u;
	size_t len_a, len_b, i, k, rows = 0;
	bool same = true;

	cols.splt_n = 0;	/* statistics, tunnel and nDPI's nine columns */
	p.anonymize = anon;
	p.n_anonymize = 1;
	p.anonymize_key = key;
	tmp_path(path_f, sizeof(path_f), "fast.csv");
	tmp_path(path_r, sizeof(path_r), "ref.csv");
	fast = sp_export_csv_open(path_f, &cols);
	ref = sp_export_csv_open_params(path_r, &cols, &p);
	CU_ASSERT_FATAL(fast != NULL && ref != NULL);
	for (i = 0; i < 4000; i++) {
		uint8_t *raw = (uint8_t *)&r->st;

		/* every byte of the identity and counters, then every statistic */
		for (k = 0; k < sizeof(r->st); k++) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			raw[k] = (uint8_t)(rnd >> 56);
		}
		r->st.ip_version = (rnd >> 8) & 1 ? 4 : 6;
		if ((rnd >> 9) & 1)
			r->st.src_mac[5] = 0;	/* repeats: the reused texts */
		else
			memset(r->st.src_mac, 0x42, 6);
		for (u = (uint64_t *)(void *)&r->st.last_seen_ms[0];
		     u < (uint64_t *)(void *)(&r->st + 1); u++) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			*u = rnd >> (rnd & 63);
		}
		for (k = 0; k < SP_SCOPES; k++) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			r->duration_ms[k] = rnd >> (rnd & 63);
			r->min_piat_ms[k] = rnd & 7;
			r->max_piat_ms[k] = rnd >> 40;
			r->min_ps[k] = (uint16_t)rnd;
			r->max_ps[k] = (uint16_t)(rnd >> 16);
			r->mean_ps[k] = fl[(rnd >> 20) % RTE_DIM(fl)];
			r->stddev_ps[k] = fl[(rnd >> 24) % RTE_DIM(fl)];
			r->mean_piat_ms[k] = fl[(rnd >> 28) % RTE_DIM(fl)];
			r->stddev_piat_ms[k] = fl[(rnd >> 32) % RTE_DIM(fl)];
		}
		/* flag counters: mostly single digits (four in one store), some not */
		for (k = 0; k < SP_SCOPES * 8; k++) {
			rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
			r->flags[k / 8][k % 8] = (rnd >> 60) < 12 ? (rnd >> 32) % 10 :
						 rnd >> (rnd & 63);
		}
		r->expiration_id = (int8_t)(rnd >> 8);
		r->id = i;
		/* the string columns: mostly plain ASCII (8 bytes at a time), of every
		 * length around the word boundaries; some with bytes that need the
		 * full formatter */
		{
			struct sp_plugin_record *pr;
			char str[48];

			pr = sp_plugins_record_new(cols.plugin_cols, cols.n_plugin_cols,
						   sp_record_ext(r));
			CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
			for (k = 0; k < cols.n_plugin_cols; k++) {
				size_t n, j;

				rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
				if (cols.plugin_cols[k].c.type != SP_PLUGIN_STRING) {
					sp_plugin_set_int(pr, (unsigned int)k, (int64_t)rnd >> 40);
					continue;
				}
				n = (rnd >> 8) % 41;
				for (j = 0; j < n; j++)
					str[j] = alpha[((rnd >> 16) & 3) != 0 ?
						       (rnd + j * 7) % 14 :
						       (rnd + j * 13) % (sizeof(alpha) - 1)];
				sp_plugin_set_string(pr, (unsigned int)k, str, n);
			}
			sp_plugins_record_free(pr);
		}
		CU_ASSERT_EQUAL_FATAL(sp_export_write(fast, r), 0);
		CU_ASSERT_EQUAL_FATAL(sp_export_write(ref, r), 0);
	}
	CU_ASSERT_EQUAL(sp_export_close(fast), 0);
	CU_ASSERT_EQUAL(sp_export_close(ref), 0);
	a = sp_test_slurp(path_f, &len_a);
	b = sp_test_slurp(path_r, &len_b);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	/* line by line (values may hold NULs), from the first comma on (the header
	 * has the same one) */
	for (la = a, lb = b; la < a + len_a && lb < b + len_b && same; rows++) {
		char *ea = memchr(la, '\n', (size_t)(a + len_a - la));
		char *eb = memchr(lb, '\n', (size_t)(b + len_b - lb));
		char *ca = memchr(la, ',', (size_t)(a + len_a - la));
		char *cb = memchr(lb, ',', (size_t)(b + len_b - lb));

		CU_ASSERT_FATAL(ea != NULL && eb != NULL && ca != NULL && cb != NULL);
		same = ea - ca == eb - cb && memcmp(ca, cb, (size_t)(ea - ca)) == 0;
		la = ea + 1;
		lb = eb + 1;
	}
	CU_ASSERT(same);
	CU_ASSERT_EQUAL(rows, 4001);
	CU_ASSERT(la == a + len_a && lb == b + len_b);
	free(a);
	free(b);
	free(r);
	unlink(path_f);
	unlink(path_r);
}

int
sp_test_register(void)
{
	CU_pSuite fmt, csv;

	fmt = CU_add_suite("export_format", NULL, NULL);
	if (fmt == NULL)
		return -1;
	if (CU_add_test(fmt, "pyfloat matches Python repr", test_pyfloat_table) == NULL ||
	    CU_add_test(fmt, "pyfloat nan/inf and buffer size", test_pyfloat_special) == NULL ||
	    CU_add_test(fmt, "pyfloat shortest round trip", test_pyfloat_roundtrip) == NULL ||
	    CU_add_test(fmt, "pyfloat exact expansions of <= 15 digits",
			test_pyfloat_exact_expansion) == NULL ||
	    CU_add_test(fmt, "integers and MACs", test_ints_macs) == NULL ||
	    CU_add_test(fmt, "word-store integer formatter: edges, all of 0..10^6",
			test_int_formatter) == NULL ||
	    CU_add_test(fmt, "IP text as glibc inet_ntop", test_ip) == NULL ||
	    CU_add_test(fmt, "UTF-8 cleaning and quote escaping", test_pystr) == NULL)
		return -1;

	csv = CU_add_suite("export_csv", suite_init, suite_clean);
	if (csv == NULL)
		return -1;
	if (CU_add_test(csv, "column table", test_column_table) == NULL ||
	    CU_add_test(csv, "header per column set", test_header) == NULL ||
	    CU_add_test(csv, "IPv6 QUIC row byte for byte", test_csv_quic_row) == NULL ||
	    CU_add_test(csv, "hand-made rows and column sets", test_csv_rows) == NULL ||
	    CU_add_test(csv, "nDPI risk and metadata columns", test_csv_ndpi_columns) == NULL ||
	    CU_add_test(csv, "many rows across drains", test_csv_many) == NULL ||
	    CU_add_test(csv, "reused texts never stale", test_csv_text_reuse) == NULL ||
	    CU_add_test(csv, "row program = generic rows, random records",
			test_csv_fast_row_equivalence) == NULL ||
	    CU_add_test(csv, "no flow gives the header alone", test_csv_no_flow) == NULL ||
	    CU_add_test(csv, "anonymized columns: keyed BLAKE2b as hashlib",
			test_csv_anonymize_known_key) == NULL ||
	    CU_add_test(csv, "anonymization: random key, unknown and absent columns",
			test_csv_anonymize_random_key) == NULL ||
	    CU_add_test(csv, "anonymization key file", test_csv_load_key) == NULL ||
	    CU_add_test(csv, "flows_per_file and rotate_files", test_csv_rotation) == NULL ||
	    CU_add_test(csv, "broken pipe gives -EPIPE, then fails fast",
			test_csv_broken_pipe) == NULL ||
	    CU_add_test(csv, "- writes to standard output", test_csv_stdout) == NULL ||
	    CU_add_test(csv, "full disk gives -ENOSPC", test_csv_full_disk) == NULL ||
	    CU_add_test(csv, "a short write leaves whole rows",
			test_csv_partial_write_whole_rows) == NULL ||
	    CU_add_test(csv, "unwritable path fails at open", test_csv_open_errors) == NULL)
		return -1;
	return 0;
}
