/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/features: packets are struct sp_pkt_meta values built
 * here (no packet bytes), and every statistic is compared bit for bit.
 *
 * Where the expected doubles come from:
 *  - hand-made sequences: a Python transcription of NFStream's C update
 *    (same operations, in doubles, no FMA) gave the hex literals, and
 *    Python's statistics module (exact rational arithmetic) was used as an
 *    independent check. Both agree except where the comments say they do
 *    not; there NFStream's (Welford's) rounding is the one we must print.
 *  The corpus itself (NFStream's CSVs) is checked end to end by the
 *  conformance run, not copied here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <sp_features.h>

#include "sp_test.h"

#define ASSERT_DBL(got, want) do { \
	double g_ = (got), w_ = (want); \
	bool ok_ = memcmp(&g_, &w_, sizeof(g_)) == 0; \
	if (!ok_) \
		fprintf(stderr, "\n%s:%d: %s = %.17g (%a), expected %.17g (%a)\n", \
			__FILE__, __LINE__, #got, g_, g_, w_, w_); \
	CU_ASSERT(ok_); \
} while (0)

static const uint8_t ip_a[16] = { 10, 0, 0, 1 };
static const uint8_t ip_b[16] = { 10, 0, 0, 2 };
static const uint8_t mac_a[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

/* One flow under test: its slots as the flow table would hold them. */
struct tflow {
	struct sp_features_params p;
	struct sp_flow_state st;
	struct sp_flow_stats stats;
	void *splt;
	struct sp_flow_record *rec;
};

static void
tflow_open(struct tflow *f, uint8_t mode, bool statistical, uint16_t splt_n)
{
	memset(f, 0, sizeof(*f));
	f->p.accounting_mode = mode;
	f->p.statistical = statistical;
	f->p.splt_n = splt_n;
	f->splt = splt_n != 0 ? malloc(sp_features_splt_size(splt_n)) : NULL;
	f->rec = calloc(1, sp_record_size(splt_n));
	CU_ASSERT_FATAL(f->rec != NULL);
}

static void
tflow_close(struct tflow *f)
{
	free(f->splt);
	free(f->rec);
}

/* A packet of the a:40000 -> b:80 TCP connection, or of its reverse. */
static struct sp_pkt_meta
pkt(int reverse, uint16_t size, uint8_t flags)
{
	struct sp_pkt_meta m;
	int i;

	memset(&m, 0, sizeof(m));
	memcpy(m.src_ip, reverse ? ip_b : ip_a, 16);
	memcpy(m.dst_ip, reverse ? ip_a : ip_b, 16);
	memcpy(m.src_mac, reverse ? mac_b : mac_a, 6);
	memcpy(m.dst_mac, reverse ? mac_a : mac_b, 6);
	m.src_port = reverse ? 80 : 40000;
	m.dst_port = reverse ? 40000 : 80;
	m.protocol = 6;
	m.ip_version = 4;
	m.tcp_flags = flags;
	for (i = 0; i < SP_SIZES; i++)
		m.size[i] = size;
	return m;
}

/* Feed one packet: the first opens the flow, later ones get a direction. */
static void
feed(struct tflow *f, const struct sp_pkt_meta *m, uint64_t t_ms)
{
	struct sp_flow_stats *stats = f->p.statistical ? &f->stats : NULL;

	if (f->st.packets[SP_BI] == 0)
		sp_features_init(&f->p, &f->st, stats, f->splt, m, t_ms);
	else
		sp_features_update(&f->p, &f->st, stats, f->splt, m, t_ms,
				   sp_features_direction(&f->st, m));
}

static void
export_flow(struct tflow *f)
{
	sp_features_export(&f->p, &f->st, f->p.statistical ? &f->stats : NULL, f->splt, 0,
			   f->rec);
}

/* ------------------------------------------------------------------------ */

static void
test_splt_size(void)
{
	CU_ASSERT_EQUAL(sp_features_splt_size(0), 0);
	CU_ASSERT_EQUAL(sp_features_splt_size(1), 16);	/* 13 rounded up to 8 */
	CU_ASSERT_EQUAL(sp_features_splt_size(8), 104);
	CU_ASSERT_EQUAL(sp_features_splt_size(10), 136);
	CU_ASSERT_EQUAL(sp_features_splt_size(255), 3320);
	CU_ASSERT_EQUAL(sp_features_splt_size(65535), 851960);
}

static void
test_state_layout(void)
{
	/* The always-on state stays small, its per-packet part in 128 bytes
	 * (and the flow table's expiry deadline, read by every packet, in the
	 * last 8: one compare instead of two timeouts and first_seen_ms). */
	CU_ASSERT(sizeof(struct sp_flow_state) <= 160);
	CU_ASSERT(offsetof(struct sp_flow_state, bytes) + sizeof(((struct sp_flow_state *)0)->bytes)
		  <= 128);
	CU_ASSERT(offsetof(struct sp_flow_state, dst_port) < 128);
}

static void
test_first_packet(void)
{
	struct sp_pkt_meta m = pkt(0, 74, SP_TCP_SYN);
	struct tflow f;
	int s, i;

	tflow_open(&f, 0, true, 4);
	m.vlan_id = 200;
	m.tunnel_id = SP_TUNNEL_GTP;
	feed(&f, &m, 1470104373025ULL);
	/* Exporting must not touch the fields owned by other stages. */
	f.rec->id = 77;
	sp_features_export(&f.p, &f.st, &f.stats, f.splt, 1, f.rec);

	CU_ASSERT_EQUAL(f.rec->id, 77);
	CU_ASSERT_EQUAL(f.rec->expiration_id, 1);
	CU_ASSERT(memcmp(f.rec->st.src_ip, ip_a, 16) == 0);
	CU_ASSERT(memcmp(f.rec->st.dst_ip, ip_b, 16) == 0);
	CU_ASSERT(memcmp(f.rec->st.src_mac, mac_a, 6) == 0);
	CU_ASSERT(memcmp(f.rec->st.dst_mac, mac_b, 6) == 0);
	CU_ASSERT_EQUAL(f.rec->st.src_port, 40000);
	CU_ASSERT_EQUAL(f.rec->st.dst_port, 80);
	CU_ASSERT_EQUAL(f.rec->st.protocol, 6);
	CU_ASSERT_EQUAL(f.rec->st.ip_version, 4);
	CU_ASSERT_EQUAL(f.rec->st.vlan_id, 200);
	CU_ASSERT_EQUAL(f.rec->st.tunnel_id, SP_TUNNEL_GTP);

	for (s = SP_BI; s <= SP_S2D; s++) {
		CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[s], 1470104373025ULL);
		CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[s], 1470104373025ULL);
		CU_ASSERT_EQUAL(f.rec->duration_ms[s], 0);
		CU_ASSERT_EQUAL(f.rec->st.packets[s], 1);
		CU_ASSERT_EQUAL(f.rec->st.bytes[s], 74);
		CU_ASSERT_EQUAL(f.rec->min_ps[s], 74);
		CU_ASSERT_EQUAL(f.rec->max_ps[s], 74);
		ASSERT_DBL(f.rec->mean_ps[s], 74.0);
		ASSERT_DBL(f.rec->stddev_ps[s], 0.0);
		CU_ASSERT_EQUAL(f.rec->min_piat_ms[s], 0);
		CU_ASSERT_EQUAL(f.rec->max_piat_ms[s], 0);
		ASSERT_DBL(f.rec->mean_piat_ms[s], 0.0);
		ASSERT_DBL(f.rec->stddev_piat_ms[s], 0.0);
		/* The first packet's flags count (syn is column 0). */
		CU_ASSERT_EQUAL(f.rec->flags[s][0], 1);
		for (i = 1; i < 8; i++)
			CU_ASSERT_EQUAL(f.rec->flags[s][i], 0);
	}
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_D2S], 0);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(f.rec->flags[SP_D2S][i], 0);

	CU_ASSERT_EQUAL(f.rec->splt_n, 4);
	CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[0], 0);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[0], 74);
	CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[0], 0);
	for (i = 1; i < 4; i++) {
		CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[i], -1);
		CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[i], -1);
		CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[i], -1);
	}
	tflow_close(&f);
}

static void
test_direction(void)
{
	struct sp_pkt_meta first = pkt(0, 60, 0), m;
	struct sp_flow_state st;
	struct sp_features_params p = { .accounting_mode = 0 };

	sp_features_init(&p, &st, NULL, NULL, &first, 1);
	m = pkt(0, 60, 0);
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 0);
	m = pkt(1, 60, 0);
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);

	/* Same IPs, swapped ports: reverse (ports are compared first). */
	m = pkt(0, 60, 0);
	m.src_port = 80;
	m.dst_port = 40000;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);
	/* Same ports, swapped IPs. */
	m = pkt(1, 60, 0);
	m.src_port = 40000;
	m.dst_port = 80;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);
	/* Equal ports on both sides (e.g. ICMP 0/0): only the IPs decide. */
	first.src_port = first.dst_port = 0;
	sp_features_init(&p, &st, NULL, NULL, &first, 1);
	m = pkt(0, 60, 0);
	m.src_port = m.dst_port = 0;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 0);
	m = pkt(1, 60, 0);
	m.src_port = m.dst_port = 0;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);
	/* Same src and dst IP (a host talking to itself): only ports decide. */
	first = pkt(0, 60, 0);
	memcpy(first.dst_ip, ip_a, 16);
	sp_features_init(&p, &st, NULL, NULL, &first, 1);
	m = first;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 0);
	m.src_port = 80;
	m.dst_port = 40000;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);

	/* IPv6: the low 8 bytes (NFStream's second word) count too. */
	first = pkt(0, 60, 0);
	first.ip_version = 6;
	memset(first.src_ip, 0, 16);
	memset(first.dst_ip, 0, 16);
	first.src_ip[0] = 0x20;
	first.src_ip[1] = 0x01;
	first.src_ip[15] = 1;
	first.dst_ip[0] = 0x20;
	first.dst_ip[1] = 0x01;
	first.dst_ip[15] = 2;
	sp_features_init(&p, &st, NULL, NULL, &first, 1);
	m = first;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 0);
	m.dst_ip[15] = 3;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);
	m = first;
	m.src_ip[15] = 2;
	m.dst_ip[15] = 1;
	CU_ASSERT_EQUAL(sp_features_direction(&st, &m), 1);
}

static void
test_dst2src_empty(void)
{
	struct sp_pkt_meta m = pkt(0, 100, SP_TCP_ACK);
	struct tflow f;
	int i;

	tflow_open(&f, 0, true, 0);
	feed(&f, &m, 5000);
	feed(&f, &m, 5010);
	feed(&f, &m, 5030);
	export_flow(&f);
	CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_D2S], 0);
	ASSERT_DBL(f.rec->mean_ps[SP_D2S], 0.0);
	ASSERT_DBL(f.rec->stddev_ps[SP_D2S], 0.0);
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_D2S], 0);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_D2S], 0.0);
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_D2S], 0.0);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(f.rec->flags[SP_D2S][i], 0);
	/* ... while src2dst and bidirectional have the three packets. */
	CU_ASSERT_EQUAL(f.rec->flags[SP_BI][4], 3);
	CU_ASSERT_EQUAL(f.rec->flags[SP_S2D][4], 3);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_BI], 30);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_S2D], 30);
	tflow_close(&f);
}

static void
test_dst2src_scope(void)
{
	struct sp_pkt_meta fwd = pkt(0, 60, 0), rev = pkt(1, 90, 0);
	struct tflow f;

	tflow_open(&f, 0, true, 0);
	feed(&f, &fwd, 100);
	feed(&f, &fwd, 150);
	CU_ASSERT_EQUAL(f.st.first_seen_ms[SP_D2S], 0);
	feed(&f, &rev, 170);
	/* The first reverse packet opens dst2src: no piat yet, duration 0. */
	export_flow(&f);
	CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[SP_D2S], 170);
	CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[SP_D2S], 170);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_D2S], 90);
	ASSERT_DBL(f.rec->mean_ps[SP_D2S], 90.0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_BI], 50);
	/* src2dst keeps its own clock: its piat skips the reverse packet. */
	feed(&f, &fwd, 180);
	feed(&f, &rev, 200);
	export_flow(&f);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_D2S], 30);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_S2D], 80);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_BI], 100);
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_S2D], 30);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_S2D], 50);
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_D2S], 30);
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_BI], 10);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_BI], 25.0);	/* 50, 20, 10, 20 */
	tflow_close(&f);
}

/*
 * An 11-packet TCP exchange covering every scope. The expected values are
 * NFStream's arithmetic done in Python; statistics.fmean/stdev give the same
 * doubles except for the bidirectional piat mean (30.1 exactly rounded, but
 * Welford ends one ulp below) and the dst2src piat stddev (94.24790006502356).
 */
static const struct {
	int rev;
	uint16_t size;
	uint64_t t;
	uint8_t flags;
} conv[] = {
	{ 0, 74, 1000, SP_TCP_SYN },
	{ 1, 74, 1012, SP_TCP_SYN | SP_TCP_ACK },
	{ 0, 66, 1012, SP_TCP_ACK },
	{ 0, 583, 1013, SP_TCP_PSH | SP_TCP_ACK },
	{ 1, 66, 1040, SP_TCP_ACK },
	{ 1, 1514, 1090, SP_TCP_ACK },
	{ 1, 1514, 1090, SP_TCP_PSH | SP_TCP_ACK },
	{ 0, 66, 1091, SP_TCP_ACK },
	{ 1, 827, 1300, SP_TCP_FIN | SP_TCP_PSH | SP_TCP_ACK },
	{ 0, 66, 1301, SP_TCP_FIN | SP_TCP_ACK },
	{ 0, 60, 1301, SP_TCP_RST },
};

static void
test_conversation(void)
{
	/* Per scope: syn, cwr, ece, urg, ack, psh, rst, fin. */
	static const uint64_t flags[SP_SCOPES][8] = {
		{ 2, 0, 0, 0, 9, 3, 1, 2 },
		{ 1, 0, 0, 0, 4, 1, 1, 1 },
		{ 1, 0, 0, 0, 5, 2, 0, 1 },
	};
	static const int64_t splt_piat[16] = { 0, 12, 0, 1, 27, 50, 0, 1, 209, 1, 0,
					       -1, -1, -1, -1, -1 };
	struct sp_pkt_meta m;
	struct tflow f;
	unsigned int i;
	int s;

	tflow_open(&f, 0, true, 16);
	for (i = 0; i < RTE_DIM(conv); i++) {
		m = pkt(conv[i].rev, conv[i].size, conv[i].flags);
		feed(&f, &m, conv[i].t);
	}
	export_flow(&f);

	CU_ASSERT_EQUAL(f.rec->st.packets[SP_BI], 11);
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_S2D], 6);
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_D2S], 5);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_BI], 4910);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_S2D], 915);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_D2S], 3995);
	CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[SP_BI], 1000);
	CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[SP_S2D], 1000);
	CU_ASSERT_EQUAL(f.rec->st.first_seen_ms[SP_D2S], 1012);
	CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[SP_BI], 1301);
	CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[SP_S2D], 1301);
	CU_ASSERT_EQUAL(f.rec->st.last_seen_ms[SP_D2S], 1300);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_BI], 301);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_S2D], 301);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_D2S], 288);

	CU_ASSERT_EQUAL(f.rec->min_ps[SP_BI], 60);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_BI], 1514);
	ASSERT_DBL(f.rec->mean_ps[SP_BI], 0x1.be5d1745d1746p+8);	/* 446.3636363636364 */
	ASSERT_DBL(f.rec->stddev_ps[SP_BI], 0x1.259f12a16e3c3p+9);	/* 587.2427560604341 */
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_S2D], 60);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_S2D], 583);
	ASSERT_DBL(f.rec->mean_ps[SP_S2D], 152.5);
	ASSERT_DBL(f.rec->stddev_ps[SP_S2D], 0x1.a5e56d15e8812p+7);	/* 210.94809788191975 */
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_D2S], 66);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_D2S], 1514);
	ASSERT_DBL(f.rec->mean_ps[SP_D2S], 799.0);
	ASSERT_DBL(f.rec->stddev_ps[SP_D2S], 0x1.69166c82e5964p+9);	/* 722.1751865025549 */

	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_BI], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_BI], 209);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_BI], 0x1.e199999999999p+4); /* 30.099999999999998 */
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_BI], 0x1.03e766e639eb8p+6); /* 64.97597846725955 */
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_S2D], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_S2D], 210);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_S2D], 0x1.e19999999999ap+5);	/* 60.2 */
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_S2D], 0x1.66efab32cde41p+6); /* 89.73405150777491 */
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_D2S], 210);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_D2S], 72.0);
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_D2S], 0x1.78fdd983bfcf4p+6); /* 94.24790006502354 */

	for (s = 0; s < SP_SCOPES; s++)
		for (i = 0; i < 8; i++)
			CU_ASSERT_EQUAL(f.rec->flags[s][i], flags[s][i]);

	CU_ASSERT_EQUAL(f.rec->splt_n, 16);
	for (i = 0; i < 16; i++) {
		int8_t dir = i < RTE_DIM(conv) ? conv[i].rev : -1;
		int32_t ps = i < RTE_DIM(conv) ? conv[i].size : -1;

		CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[i], dir);
		CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[i], ps);
		CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[i], splt_piat[i]);
	}
	tflow_close(&f);
}

/* n <= 1: ps stddev 0.0; n <= 2: piat stddev 0.0 (NFlow.sync's guards). */
static void
test_small_n(void)
{
	struct sp_pkt_meta m;
	struct tflow f;

	tflow_open(&f, 0, true, 0);
	m = pkt(0, 10, 0);
	feed(&f, &m, 1000);
	export_flow(&f);
	ASSERT_DBL(f.rec->stddev_ps[SP_BI], 0.0);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_BI], 0.0);

	m = pkt(0, 20, 0);
	feed(&f, &m, 1010);
	export_flow(&f);
	ASSERT_DBL(f.rec->mean_ps[SP_BI], 15.0);
	ASSERT_DBL(f.rec->stddev_ps[SP_BI], 0x1.c48c6001f0ac0p+2);	/* sqrt(50) */
	CU_ASSERT_EQUAL(f.rec->min_piat_ms[SP_BI], 10);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_BI], 10);
	ASSERT_DBL(f.rec->mean_piat_ms[SP_BI], 10.0);
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_BI], 0.0);		/* one piat */

	m = pkt(0, 40, 0);
	feed(&f, &m, 1030);
	export_flow(&f);
	/* statistics.fmean gives 23.333333333333332; Welford rounds up. */
	ASSERT_DBL(f.rec->mean_ps[SP_BI], 0x1.7555555555556p+4);	/* 23.333333333333336 */
	ASSERT_DBL(f.rec->stddev_ps[SP_BI], 0x1.e8ceddf2332dep+3);	/* 15.275252316519467 */
	ASSERT_DBL(f.rec->mean_piat_ms[SP_BI], 15.0);
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_BI], 0x1.c48c6001f0ac0p+2); /* piats 10, 20: n-2 = 1 */
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_S2D], 0x1.c48c6001f0ac0p+2);
	tflow_close(&f);
}

/* Packets in the same millisecond (or clamped to it) have piat 0. */
static void
test_piat_stalled_clock(void)
{
	struct sp_pkt_meta fwd = pkt(0, 60, 0), rev = pkt(1, 60, 0);
	struct tflow f;
	int s;

	tflow_open(&f, 0, true, 4);
	feed(&f, &fwd, 7000);
	feed(&f, &rev, 7000);
	feed(&f, &fwd, 7000);
	feed(&f, &rev, 7000);
	export_flow(&f);
	for (s = 0; s < SP_SCOPES; s++) {
		CU_ASSERT_EQUAL(f.rec->duration_ms[s], 0);
		CU_ASSERT_EQUAL(f.rec->min_piat_ms[s], 0);
		CU_ASSERT_EQUAL(f.rec->max_piat_ms[s], 0);
		ASSERT_DBL(f.rec->mean_piat_ms[s], 0.0);
		ASSERT_DBL(f.rec->stddev_piat_ms[s], 0.0);
	}
	CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[3], 0);
	CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[3], 1);
	tflow_close(&f);
}

static void
test_flags_order(void)
{
	/* Column order syn, cwr, ece, urg, ack, psh, rst, fin. */
	static const uint8_t bit[8] = {
		SP_TCP_SYN, SP_TCP_CWR, SP_TCP_ECE, SP_TCP_URG,
		SP_TCP_ACK, SP_TCP_PSH, SP_TCP_RST, SP_TCP_FIN,
	};
	struct sp_pkt_meta m;
	struct tflow f;
	int i, j;

	for (i = 0; i < 8; i++) {
		tflow_open(&f, 0, true, 0);
		m = pkt(1, 60, bit[i]);		/* the flow's src is b here */
		feed(&f, &m, 1);
		m = pkt(0, 60, bit[i]);		/* so this one is dst2src */
		feed(&f, &m, 2);
		feed(&f, &m, 3);
		m = pkt(0, 60, 0);
		feed(&f, &m, 4);
		export_flow(&f);
		for (j = 0; j < 8; j++) {
			CU_ASSERT_EQUAL(f.rec->flags[SP_BI][j], j == i ? 3 : 0);
			CU_ASSERT_EQUAL(f.rec->flags[SP_S2D][j], j == i ? 1 : 0);
			CU_ASSERT_EQUAL(f.rec->flags[SP_D2S][j], j == i ? 2 : 0);
		}
		tflow_close(&f);
	}
	/* All eight at once (and the NS bit is not in tcp_flags at all). */
	tflow_open(&f, 0, true, 0);
	m = pkt(0, 60, 0xff);
	feed(&f, &m, 1);
	export_flow(&f);
	for (j = 0; j < 8; j++)
		CU_ASSERT_EQUAL(f.rec->flags[SP_BI][j], 1);
	tflow_close(&f);
}

static void
test_splt_truncation(void)
{
	const uint16_t n = 3;
	size_t sz = sp_features_splt_size(n);
	uint8_t *slot = malloc(sz + 64);
	struct sp_pkt_meta m;
	struct tflow f;
	size_t i;
	int k;

	tflow_open(&f, 0, false, n);
	free(f.splt);
	f.splt = slot;
	memset(slot + sz, 0xa5, 64);
	for (k = 0; k < 6; k++) {
		m = pkt(k & 1, 100 + k, 0);
		feed(&f, &m, 10 * k * k);
	}
	for (i = sz; i < sz + 64; i++)
		CU_ASSERT_EQUAL(slot[i], 0xa5);
	export_flow(&f);
	CU_ASSERT_EQUAL(f.rec->splt_n, 3);
	CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[0], 0);
	CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[1], 1);
	CU_ASSERT_EQUAL(sp_record_splt_direction(f.rec)[2], 0);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[0], 100);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[1], 101);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[2], 102);
	CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[0], 0);
	CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[1], 10);
	CU_ASSERT_EQUAL(sp_record_splt_piat(f.rec)[2], 30);
	/* Without statistical analysis the statistics are left at zero. */
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_BI], 0);
	ASSERT_DBL(f.rec->mean_ps[SP_BI], 0.0);
	CU_ASSERT_EQUAL(f.rec->flags[SP_BI][0], 0);
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_BI], 6);
	tflow_close(&f);
}

/* Sizes are uint16; their sums are not. */
static void
test_size_limits(void)
{
	struct sp_pkt_meta m;
	struct tflow f;

	tflow_open(&f, 0, true, 4);
	m = pkt(0, 65535, 0);
	feed(&f, &m, 1);
	feed(&f, &m, 2);
	m = pkt(0, 0, 0);
	feed(&f, &m, 3);
	export_flow(&f);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_BI], 131070);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_S2D], 131070);
	CU_ASSERT_EQUAL(f.rec->min_ps[SP_BI], 0);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_BI], 65535);
	ASSERT_DBL(f.rec->mean_ps[SP_BI], 43690.0);
	ASSERT_DBL(f.rec->stddev_ps[SP_BI], 0x1.27994cbe8ed8cp+15);	/* 37836.649891342124 */
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[0], 65535);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[2], 0);
	CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[3], -1);
	tflow_close(&f);
}

static void
test_accounting_modes(void)
{
	/* raw, ip, transport, payload of one packet; a wire length of 65600
	 * has already wrapped to 64 in the parser's uint16. */
	static const uint16_t sizes[SP_SIZES] = { 64, 1500, 1480, 1448 };
	struct sp_pkt_meta m;
	struct tflow f;
	uint8_t mode;

	for (mode = 0; mode <= 4; mode++) {
		/* NFStream's flow_get_packet_size: any mode past 2 is payload. */
		uint16_t want = sizes[mode < SP_SIZES ? mode : SP_SIZE_PAYLOAD];

		tflow_open(&f, mode, true, 2);
		m = pkt(0, 0, 0);
		memcpy(m.size, sizes, sizeof(sizes));
		feed(&f, &m, 1);
		m = pkt(1, 0, 0);
		feed(&f, &m, 2);
		export_flow(&f);
		CU_ASSERT_EQUAL(f.rec->st.bytes[SP_BI], want);
		CU_ASSERT_EQUAL(f.rec->st.bytes[SP_S2D], want);
		CU_ASSERT_EQUAL(f.rec->st.bytes[SP_D2S], 0);
		CU_ASSERT_EQUAL(f.rec->max_ps[SP_BI], want);
		CU_ASSERT_EQUAL(f.rec->min_ps[SP_BI], 0);
		ASSERT_DBL(f.rec->mean_ps[SP_S2D], (double)want);
		ASSERT_DBL(f.rec->mean_ps[SP_BI], want / 2.0);
		CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[0], want);
		CU_ASSERT_EQUAL(sp_record_splt_ps(f.rec)[1], 0);
		tflow_close(&f);
	}
}

static void
test_no_stats_no_splt(void)
{
	struct sp_pkt_meta m = pkt(0, 60, SP_TCP_SYN);
	struct tflow f;

	tflow_open(&f, 0, false, 0);
	/* Poison the record: export must clear what it does not fill. */
	memset(f.rec, 0x5a, sp_record_size(0));
	feed(&f, &m, 1);
	m = pkt(1, 70, SP_TCP_SYN | SP_TCP_ACK);
	feed(&f, &m, 3);
	sp_features_export(&f.p, &f.st, NULL, NULL, 0, f.rec);
	CU_ASSERT_EQUAL(f.rec->st.packets[SP_BI], 2);
	CU_ASSERT_EQUAL(f.rec->st.bytes[SP_BI], 130);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_BI], 2);
	CU_ASSERT_EQUAL(f.rec->duration_ms[SP_D2S], 0);
	CU_ASSERT_EQUAL(f.rec->splt_n, 0);
	CU_ASSERT_EQUAL(f.rec->max_ps[SP_BI], 0);
	ASSERT_DBL(f.rec->stddev_piat_ms[SP_D2S], 0.0);
	CU_ASSERT_EQUAL(f.rec->flags[SP_BI][0], 0);
	CU_ASSERT_EQUAL(f.rec->max_piat_ms[SP_S2D], 0);
	tflow_close(&f);
}

/* tcpControlBits of each direction (IPFIX): kept with statistics off as well. */
static void
test_tcp_flags_or(void)
{
	struct sp_pkt_meta m;
	struct tflow f;
	int stats;

	for (stats = 0; stats < 2; stats++) {
		tflow_open(&f, 0, stats != 0, 0);
		m = pkt(0, 60, SP_TCP_SYN);
		feed(&f, &m, 1);
		m = pkt(1, 60, SP_TCP_SYN | SP_TCP_ACK);
		feed(&f, &m, 2);
		m = pkt(0, 160, SP_TCP_ACK | SP_TCP_PSH);
		feed(&f, &m, 3);
		m = pkt(0, 60, SP_TCP_FIN | SP_TCP_ACK);
		feed(&f, &m, 4);
		m = pkt(1, 60, SP_TCP_ACK);
		feed(&f, &m, 5);
		sp_features_export(&f.p, &f.st, stats ? &f.stats : NULL, NULL, 0, f.rec);
		CU_ASSERT_EQUAL(f.rec->st.tcp_flags[0], SP_TCP_SYN | SP_TCP_ACK | SP_TCP_PSH |
				SP_TCP_FIN);
		CU_ASSERT_EQUAL(f.rec->st.tcp_flags[1], SP_TCP_SYN | SP_TCP_ACK);
		tflow_close(&f);
	}
	/* A flow whose first packet comes from the server: its flags are src2dst's. */
	tflow_open(&f, 0, false, 0);
	m = pkt(1, 60, SP_TCP_RST);
	feed(&f, &m, 1);
	sp_features_export(&f.p, &f.st, NULL, NULL, 0, f.rec);
	CU_ASSERT_EQUAL(f.rec->st.tcp_flags[0], SP_TCP_RST);
	CU_ASSERT_EQUAL(f.rec->st.tcp_flags[1], 0);
	tflow_close(&f);
}

static const struct {
	const char *name;
	CU_TestFunc fn;
} tests[] = {
	{ "SPLT slot size is 13 bytes per entry, 8-aligned", test_splt_size },
	{ "always-on state fits its size budget", test_state_layout },
	{ "first packet opens bidirectional and src2dst", test_first_packet },
	{ "direction rule: ports, then both IPs", test_direction },
	{ "dst2src without packets is all zeros", test_dst2src_empty },
	{ "dst2src opens on the first reverse packet", test_dst2src_scope },
	{ "11-packet conversation: every column, exact doubles", test_conversation },
	{ "stddev guards: ps n<=1, piat n<=2", test_small_n },
	{ "piat is 0 when time does not advance", test_piat_stalled_clock },
	{ "TCP flag counters, column order", test_flags_order },
	{ "SPLT stops at N and stays in its slot", test_splt_truncation },
	{ "uint16 sizes, uint64 byte sums", test_size_limits },
	{ "each accounting mode picks its size", test_accounting_modes },
	{ "no statistics, no SPLT: zeros in the record", test_no_stats_no_splt },
	{ "OR of the TCP flags per direction, statistics on or off", test_tcp_flags_or },
};

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("features", NULL, NULL);
	unsigned int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < RTE_DIM(tests); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
