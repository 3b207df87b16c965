/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: key symmetry, capacity, creation order, and NFStream's
 * expiration rules at their exact boundaries (docs/nfstream-semantics.md §5).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <CUnit/Basic.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "sp_flow.h"
#include "sp_test.h"
#include "sp_test_eal.h"

static const struct sp_features_params fp = { 0, false, 0 };

static struct sp_flow_table *
make_table(uint32_t n, uint64_t idle, uint64_t active)
{
	static unsigned int seq;
	struct sp_flow_table_params p;
	char name[32];

	snprintf(name, sizeof(name), "t%u", seq++);
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.max_flows = n;
	p.socket_id = 0;
	p.features = &fp;
	p.idle_timeout_ms = idle;
	p.active_timeout_ms = active;
	return sp_flow_table_create(&p);
}

static void
meta_v4(struct sp_pkt_meta *m, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t proto)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->src_ip, &s, 4);
	memcpy(m->dst_ip, &d, 4);
	m->src_port = sp;
	m->dst_port = dp;
	m->protocol = proto;
	m->ip_version = 4;
}

/* Flow n of a host pair: 10.0.0.1:(1000 + n) -> 10.0.0.2:80, TCP. */
static void
meta_n(struct sp_pkt_meta *m, uint32_t n)
{
	meta_v4(m, 0x0a000001, 0x0a000002, (uint16_t)(1000 + n), 80, 6);
}

/* Add a flow as the worker does: insert, then its state from the packet. */
static int32_t
add_meta(struct sp_flow_table *t, const struct sp_pkt_meta *m, uint32_t hash, uint64_t first,
	 uint64_t last)
{
	static const struct sp_features_params p = { 0, false, 0 };
	struct sp_flow_state *st;
	int32_t idx;

	idx = sp_flow_add(t, hash);
	if (idx >= 0) {
		st = sp_flow_state_at(t, idx);
		sp_features_init(&p, st, NULL, NULL, m, first);
		st->last_seen_ms[SP_BI] = last;
	}
	return idx;
}

static int32_t
add_flow(struct sp_flow_table *t, uint32_t n, uint64_t first, uint64_t last)
{
	struct sp_pkt_meta m;

	meta_n(&m, n);
	return add_meta(t, &m, sp_flow_hash(&m), first, last);
}

static void
test_key_symmetry(void)
{
	struct sp_pkt_meta a, b, c;
	struct sp_flow_key ka, kb, kc;

	meta_v4(&a, 0x01020304, 0x05060708, 1234, 80, 6);
	meta_v4(&b, 0x05060708, 0x01020304, 80, 1234, 6);
	sp_flow_key_make(&a, &ka);
	sp_flow_key_make(&b, &kb);
	CU_ASSERT_EQUAL(memcmp(&ka, &kb, sizeof(ka)), 0);
	CU_ASSERT_EQUAL(sp_flow_key_hash(&ka), sp_flow_key_hash(&kb));
	/* same IPs: ports decide the order */
	meta_v4(&a, 0x01020304, 0x01020304, 5000, 53, 17);
	meta_v4(&b, 0x01020304, 0x01020304, 53, 5000, 17);
	sp_flow_key_make(&a, &ka);
	sp_flow_key_make(&b, &kb);
	CU_ASSERT_EQUAL(memcmp(&ka, &kb, sizeof(ka)), 0);
	/* vlan, tunnel and protocol separate flows; MACs and version do not */
	c = a;
	c.vlan_id = 7;
	sp_flow_key_make(&c, &kc);
	CU_ASSERT_NOT_EQUAL(memcmp(&ka, &kc, sizeof(ka)), 0);
	c = a;
	c.tunnel_id = 1;
	sp_flow_key_make(&c, &kc);
	CU_ASSERT_NOT_EQUAL(memcmp(&ka, &kc, sizeof(ka)), 0);
	c = a;
	c.protocol = 6;
	sp_flow_key_make(&c, &kc);
	CU_ASSERT_NOT_EQUAL(memcmp(&ka, &kc, sizeof(ka)), 0);
	c = a;
	c.src_mac[0] = 9;
	c.ip_version = 6;
	sp_flow_key_make(&c, &kc);
	CU_ASSERT_EQUAL(memcmp(&ka, &kc, sizeof(ka)), 0);
	CU_ASSERT_EQUAL(sizeof(struct sp_flow_key), 48);
}

static void
test_capacity_and_lookup(void)
{
	struct sp_flow_table *t = make_table(64, 1000, 10000);
	struct sp_pkt_meta m;
	uint32_t i;
	int32_t idx;
	int dir;

	CU_ASSERT_FATAL(t != NULL);
	/* the table holds exactly max_flows flows */
	for (i = 0; i < 64; i++)
		CU_ASSERT(add_flow(t, i, 0, 0) >= 0);
	CU_ASSERT_EQUAL(sp_flow_count(t), 64);
	CU_ASSERT_EQUAL(add_flow(t, 64, 0, 0), -ENOSPC);
	for (i = 0; i < 64; i++) {
		/* the reverse packet finds the flow, as dst2src */
		meta_v4(&m, 0x0a000002, 0x0a000001, 80, (uint16_t)(1000 + i), 6);
		dir = -1;
		idx = sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir);
		CU_ASSERT(idx >= 0 && idx < 64);
		CU_ASSERT_EQUAL(dir, 1);
		if (idx >= 0)
			CU_ASSERT_EQUAL(sp_flow_state_at(t, idx)->src_port, 1000 + i);
		meta_n(&m, i);
		CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir), idx);
		CU_ASSERT_EQUAL(dir, 0);
	}
	meta_v4(&m, 0x0a000002, 0x0a000001, 80, 999, 6);
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir), -ENOENT);
	sp_flow_table_free(t);
}

/* The table's identity is NFStream's key: the same flows as sp_flow_key_make(). */
static void
test_lookup_identity(void)
{
	struct sp_flow_table *t = make_table(64, 1000, 10000);
	struct sp_pkt_meta a, b;
	int32_t idx;
	int dir;

	CU_ASSERT_FATAL(t != NULL);
	/* a host talking to itself: only the ports tell the directions apart */
	meta_v4(&a, 0x01020304, 0x01020304, 5000, 53, 17);
	idx = add_meta(t, &a, sp_flow_hash(&a), 0, 0);
	CU_ASSERT_FATAL(idx >= 0);
	meta_v4(&b, 0x01020304, 0x01020304, 53, 5000, 17);
	CU_ASSERT_EQUAL(sp_flow_hash(&a), sp_flow_hash(&b));
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), idx);
	CU_ASSERT_EQUAL(dir, 1);
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &a, sp_flow_hash(&a), &dir), idx);
	CU_ASSERT_EQUAL(dir, 0);
	/* MACs and IP version are not part of the key */
	b = a;
	b.src_mac[0] = 9;
	b.ip_version = 6;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), idx);
	CU_ASSERT_EQUAL(dir, 0);
	/* VLAN, tunnel and protocol are, and so is every address byte */
	b = a;
	b.vlan_id = 7;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), -ENOENT);
	b = a;
	b.tunnel_id = 1;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), -ENOENT);
	b = a;
	b.protocol = 6;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), -ENOENT);
	b = a;
	b.dst_ip[15] = 1;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), -ENOENT);
	/* the same ends and ports but crossed (a:53 -> a:5000 is the reverse,
	 * a:5000 -> a:5000 another flow) */
	b = a;
	b.dst_port = 5000;
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &b, sp_flow_hash(&b), &dir), -ENOENT);
	sp_flow_table_free(t);
}

/*
 * The table's match (sp_features_match(), on the flow's state) against the
 * definitions it replaces: same flow iff the canonical keys are equal, and
 * then the direction of sp_features_direction(); the hash is symmetric.
 * Random packets over few values, so that near misses are frequent.
 */
static void
random_meta(struct sp_pkt_meta *m)
{
	static const uint16_t ports[] = { 0, 53, 80, 443 };

	memset(m, 0, sizeof(*m));
	m->src_ip[rand() % 2 ? 3 : 15] = (uint8_t)(rand() % 3);
	m->dst_ip[rand() % 2 ? 3 : 15] = (uint8_t)(rand() % 3);
	m->src_port = ports[rand() % 4];
	m->dst_port = ports[rand() % 4];
	m->vlan_id = (uint16_t)(rand() % 8 == 0);
	m->protocol = rand() % 8 == 0 ? 17 : 6;
	m->tunnel_id = (uint8_t)(rand() % 8 == 0);
	m->ip_version = rand() % 2 ? 4 : 6;
	m->src_mac[0] = (uint8_t)rand();
	m->tcp_flags = (uint8_t)rand();
}

static void
test_match_is_key_equality(void)
{
	static const struct sp_features_params p = { 0, false, 0 };
	struct sp_pkt_meta a, b;
	struct sp_flow_key ka, kb;
	struct sp_flow_state st;
	unsigned int i, same = 0;
	int want;

	srand(5);
	for (i = 0; i < 100000; i++) {
		random_meta(&a);
		random_meta(&b);
		if (rand() % 2) {
			/* a near miss: a itself or reversed, perhaps one field of b */
			struct sp_pkt_meta r = b;

			b = a;
			if (rand() % 2) {
				memcpy(b.src_ip, a.dst_ip, 16);
				memcpy(b.dst_ip, a.src_ip, 16);
				b.src_port = a.dst_port;
				b.dst_port = a.src_port;
			}
			switch (rand() % 8) {
			case 0: memcpy(b.src_ip, r.src_ip, 16); break;
			case 1: memcpy(b.dst_ip, r.dst_ip, 16); break;
			case 2: b.src_port = r.src_port; break;
			case 3: b.dst_port = r.dst_port; break;
			case 4: b.vlan_id = r.vlan_id; b.protocol = r.protocol; break;
			case 5: b.tunnel_id = r.tunnel_id; b.ip_version = r.ip_version; break;
			default: break;
			}
		}
		sp_features_init(&p, &st, NULL, NULL, &a, 1);
		sp_flow_key_make(&a, &ka);
		sp_flow_key_make(&b, &kb);
		want = memcmp(&ka, &kb, sizeof(ka)) == 0 ? sp_features_direction(&st, &b) : -1;
		same += want >= 0;
		CU_ASSERT_EQUAL(sp_features_match(&st, &b), want);
		if (want >= 0)
			CU_ASSERT_EQUAL(sp_flow_hash(&a), sp_flow_hash(&b));
	}
	CU_ASSERT(same > 20000);
}

/*
 * Chains: with one hash for every flow they all share a bucket; inserting,
 * finding and removing from the head, the middle and the end of the chain,
 * against a plain list of what the table should hold. Released indexes
 * come back first, last released first (the memory a table touches is for
 * the most flows it held at once), then never used ones in order.
 */
static void
test_chains_and_reuse(void)
{
	enum { N = 16, ROUNDS = 4000 };
	struct sp_flow_table *t = make_table(N, 1000, 10000);
	struct sp_pkt_meta m;
	int32_t at[64], released[ROUNDS], idx;
	uint32_t hash, hashes[64];
	unsigned int r, i, fresh = 0, n_rel = 0;
	int dir;

	CU_ASSERT_FATAL(t != NULL);
	for (i = 0; i < 64; i++)
		at[i] = -1;
	srand(11);
	for (r = 0; r < ROUNDS; r++) {
		i = (unsigned int)rand() % 64;
		meta_n(&m, i);
		hash = (r & 1) ? 7 : sp_flow_hash(&m) & 3;	/* crowded buckets */
		if (at[i] >= 0) {
			sp_flow_remove(t, at[i]);
			released[n_rel++] = at[i];
			at[i] = -1;
		} else if (sp_flow_count(t) < N) {
			idx = add_meta(t, &m, hash, r, r);
			CU_ASSERT_FATAL(idx >= 0 && idx < N);
			if (n_rel > 0) {
				CU_ASSERT_EQUAL(idx, released[n_rel - 1]);
				n_rel--;
			} else {
				CU_ASSERT_EQUAL(idx, (int32_t)fresh);
				fresh++;
			}
			at[i] = idx;
			hashes[i] = hash;
		} else {
			CU_ASSERT_EQUAL(add_meta(t, &m, hash, r, r), -ENOSPC);
		}
		/* every present flow is found under its hash from both sides */
		for (i = 0; i < 64; i++) {
			if (at[i] < 0)
				continue;
			meta_n(&m, i);
			CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, hashes[i], &dir), at[i]);
			CU_ASSERT_EQUAL(dir, 0);
			meta_v4(&m, 0x0a000002, 0x0a000001, 80, (uint16_t)(1000 + i), 6);
			CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, hashes[i], &dir), at[i]);
			CU_ASSERT_EQUAL(dir, 1);
		}
	}
	/* nothing absent is found, whatever bucket it is looked for in */
	for (i = 0; i < 64; i++) {
		if (at[i] >= 0)
			continue;
		meta_n(&m, i);
		CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, 7, &dir), -ENOENT);
		CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, sp_flow_hash(&m) & 3, &dir), -ENOENT);
	}
	sp_flow_table_free(t);
}

static void
test_expiry_boundaries(void)
{
	struct sp_flow_table *t = make_table(64, 10000, 60000);
	int32_t idx;

	CU_ASSERT_FATAL(t != NULL);
	idx = add_flow(t, 0, 1000, 5000);
	/* idle: now - last >= idle (exactly 10 s later is idle) */
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 14999), SP_FLOW_ALIVE);
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 15000), SP_FLOW_IDLE);
	/* active: now - first >= active, checked after idle */
	sp_flow_state_at(t, idx)->last_seen_ms[SP_BI] = 60999;
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 60999), SP_FLOW_ALIVE);
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 61000), SP_FLOW_ACTIVE);
	/* both: idle wins */
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 80000), SP_FLOW_IDLE);
	sp_flow_table_free(t);
}

/*
 * The deadline a packet compares (sp_flow_expiry_due()): never later than
 * the true one, so no expiry is missed, and refreshed by each exact check
 * that finds the flow alive; a new state asks at once; saturated near
 * 2^64 ms (a capture stamped -1 s), where last + idle wraps.
 */
static void
test_expiry_deadline(void)
{
	struct sp_flow_table *t = make_table(64, 1000, 10000);
	struct sp_flow_state *st;
	uint64_t now;
	int32_t idx;

	CU_ASSERT_FATAL(t != NULL);
	idx = add_flow(t, 0, 100000, 100000);
	st = sp_flow_state_at(t, idx);
	/* a new state: unknown, the first packet asks */
	CU_ASSERT_EQUAL(st->expiry_ms, 0);
	CU_ASSERT(sp_flow_expiry_due(st, 100000));
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 100500), SP_FLOW_ALIVE);
	/* min(last + idle, first + active) */
	CU_ASSERT_EQUAL(st->expiry_ms, 101000);
	CU_ASSERT_FALSE(sp_flow_expiry_due(st, 100999));
	CU_ASSERT(sp_flow_expiry_due(st, 101000));
	/* packets moved last_seen: the cached deadline is early, the exact
	 * check keeps the flow and moves it */
	st->last_seen_ms[SP_BI] = 100900;
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 101000), SP_FLOW_ALIVE);
	CU_ASSERT_EQUAL(st->expiry_ms, 101900);
	/* a busy flow: the active timeout comes first */
	st->last_seen_ms[SP_BI] = 109500;
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 109999), SP_FLOW_ALIVE);
	CU_ASSERT_EQUAL(st->expiry_ms, 110000);
	CU_ASSERT_FALSE(sp_flow_expiry_due(st, 109999));
	CU_ASSERT(sp_flow_expiry_due(st, 110000));
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, 110000), SP_FLOW_ACTIVE);
	/* every time a packet could come: due exactly when the check is not
	 * alive, or earlier (never later) */
	st->expiry_ms = 0;
	st->first_seen_ms[SP_BI] = 200000;
	st->last_seen_ms[SP_BI] = 200000;
	for (now = 200000; now < 212000; now += 7) {
		enum sp_flow_expiry e;

		if (!sp_flow_expiry_due(st, now)) {
			/* what the check would say, without moving the deadline */
			CU_ASSERT(now - st->last_seen_ms[SP_BI] < 1000 &&
				  now - st->first_seen_ms[SP_BI] < 10000);
		} else {
			e = sp_flow_check_expiry(t, idx, now);
			if (e != SP_FLOW_ALIVE) {
				CU_ASSERT(now - st->last_seen_ms[SP_BI] >= 1000 ||
					  now - st->first_seen_ms[SP_BI] >= 10000);
				break;
			}
		}
		st->last_seen_ms[SP_BI] = now;	/* the packet accounted */
	}
	CU_ASSERT_EQUAL(now - st->first_seen_ms[SP_BI] >= 10000, true);
	CU_ASSERT(now < 210007);
	/* near 2^64: last + idle wraps, the deadline saturates and the check
	 * alone decides (not idle at UINT64_MAX, 500 ms after last_seen) */
	st->first_seen_ms[SP_BI] = UINT64_MAX - 500;
	st->last_seen_ms[SP_BI] = UINT64_MAX - 500;
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, UINT64_MAX - 400), SP_FLOW_ALIVE);
	CU_ASSERT_EQUAL(st->expiry_ms, UINT64_MAX);
	CU_ASSERT(sp_flow_expiry_due(st, UINT64_MAX));
	CU_ASSERT_EQUAL(sp_flow_check_expiry(t, idx, UINT64_MAX), SP_FLOW_ALIVE);
	sp_flow_table_free(t);
}

struct seen {
	unsigned int n;
	uint16_t port[16];
	int8_t exp[16];
};

static void
record_cb(struct sp_flow_table *t, int32_t idx, int8_t expiration_id, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->port[s->n] = sp_flow_state_at(t, idx)->src_port;
		s->exp[s->n] = expiration_id;
	}
	s->n++;
}

static void
test_scan_head_of_line(void)
{
	struct sp_flow_table *t = make_table(64, 120000, 1800000);
	struct seen s = { 0 };

	CU_ASSERT_FATAL(t != NULL);
	/* A (oldest) is still active; B behind it is idle: the scan stops at
	 * A and B stays (docs/nfstream-semantics.md §5.3, verified on NFStream). */
	add_flow(t, 0, 0, 299000);	/* A */
	add_flow(t, 1, 1000, 1000);	/* B */
	CU_ASSERT_EQUAL(sp_flow_scan_idle(t, 300000, 1000, record_cb, &s), 0);
	CU_ASSERT_EQUAL(sp_flow_count(t), 2);
	/* once A is idle too, both go, in creation order */
	CU_ASSERT_EQUAL(sp_flow_scan_idle(t, 419000, 1000, record_cb, &s), 2);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(s.port[0], 1000);
	CU_ASSERT_EQUAL(s.port[1], 1001);
	CU_ASSERT_EQUAL(s.exp[0], 0);
	CU_ASSERT_EQUAL(sp_flow_count(t), 0);
	CU_ASSERT_EQUAL(sp_flow_oldest(t), -1);
	sp_flow_table_free(t);
}

/* Times near 2^64 ms (a pcap stamp of -1 s, read as NFStream does): the scan
 * is meter.py's tick - idle >= last_seen in Python's integers, so a flow
 * seen at the tick is not idle (last + idle once wrapped and ended it); the
 * eviction of a full table takes the oldest flow whatever its times. */
static void
test_scan_near_uint64_max(void)
{
	struct sp_flow_table *t = make_table(64, 120000, 1800000);
	struct seen s = { 0 };

	CU_ASSERT_FATAL(t != NULL);
	add_flow(t, 0, UINT64_MAX - 5, UINT64_MAX - 5);
	add_flow(t, 1, UINT64_MAX, UINT64_MAX);
	CU_ASSERT_EQUAL(sp_flow_scan_idle(t, UINT64_MAX, 1000, record_cb, &s), 0);
	CU_ASSERT_EQUAL(sp_flow_count(t), 2);
	CU_ASSERT_EQUAL(sp_flow_evict_oldest(t, record_cb, &s), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.port[0], 1000);
	CU_ASSERT_EQUAL(sp_flow_count(t), 1);
	CU_ASSERT_EQUAL(sp_flow_evict_oldest(t, record_cb, &s), 0);
	CU_ASSERT_EQUAL(sp_flow_evict_oldest(t, record_cb, &s), -ENOENT);
	CU_ASSERT_EQUAL(s.n, 2);
	sp_flow_table_free(t);
}

static void
test_scan_budget_and_flush_order(void)
{
	struct sp_flow_table *t = make_table(64, 100, 100000);
	struct seen s = { 0 };
	struct sp_pkt_meta m;
	uint32_t i;
	int32_t idx[6];
	int dir;

	CU_ASSERT_FATAL(t != NULL);
	for (i = 0; i < 6; i++)
		idx[i] = add_flow(t, i, i, i);
	CU_ASSERT_EQUAL(sp_flow_scan_idle(t, 1000, 2, record_cb, &s), 2);
	CU_ASSERT_EQUAL(sp_flow_count(t), 4);
	/* removing from the middle keeps the order of the rest */
	sp_flow_remove(t, idx[3]);
	CU_ASSERT_EQUAL(sp_flow_flush(t, record_cb, &s), 3);
	CU_ASSERT_EQUAL(s.n, 5);
	CU_ASSERT_EQUAL(s.port[0], 1000);
	CU_ASSERT_EQUAL(s.port[1], 1001);
	CU_ASSERT_EQUAL(s.port[2], 1002);
	CU_ASSERT_EQUAL(s.port[3], 1004);
	CU_ASSERT_EQUAL(s.port[4], 1005);
	CU_ASSERT_EQUAL(sp_flow_count(t), 0);
	/* the flush clears the buckets at once: no flushed flow is found */
	for (i = 0; i < 6; i++) {
		meta_n(&m, i);
		CU_ASSERT(sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir) < 0);
	}
	/* indexes are reused after removal, and the new flows are found */
	for (i = 0; i < 64; i++) {
		int32_t got = add_flow(t, 100 + i, 0, 0);

		CU_ASSERT_FATAL(got >= 0);
		meta_n(&m, 100 + i);
		CU_ASSERT_EQUAL(sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir), got);
	}
	CU_ASSERT_EQUAL(add_flow(t, 500, 0, 0), -ENOSPC);
	sp_flow_table_free(t);
}

/* Flow n of many: 10.0.0.0 + n:(1000 + n % 4096) -> 11.0.0.1:80, TCP. */
static void
meta_many(struct sp_pkt_meta *m, uint32_t n)
{
	meta_v4(m, 0x0a000000 + n, 0x0b000001, (uint16_t)(1000 + n % 4096), 80, 6);
}

static struct sp_flow_table *
make_growing(uint32_t n, const struct sp_features_params *f)
{
	struct sp_flow_table_params p;

	memset(&p, 0, sizeof(p));
	p.name = "grow";
	p.max_flows = n;
	p.features = f;
	p.idle_timeout_ms = 1000;
	p.active_timeout_ms = 10000;
	p.grow = true;
	return sp_flow_table_create(&p);
}

/* Every flow in [lo, hi) but those with (i % 3 == 0) when holes is set is
 * found from both sides at at[i], its state, stats and SPLT area as
 * written when it was added. */
static unsigned int
check_many(struct sp_flow_table *t, const int32_t *at, uint32_t lo, uint32_t hi, bool holes)
{
	struct sp_pkt_meta m;
	unsigned int bad = 0;
	uint32_t i;
	int32_t idx;
	int dir;

	for (i = lo; i < hi; i++) {
		bool present = !holes || i % 3 != 0;

		meta_many(&m, i);
		idx = sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir);
		if (!present) {
			bad += idx != -ENOENT;
			continue;
		}
		if (idx != at[i] || dir != 0) {
			bad++;
			continue;
		}
		meta_v4(&m, 0x0b000001, 0x0a000000 + i, 80, (uint16_t)(1000 + i % 4096), 6);
		bad += sp_flow_lookup(t, &m, sp_flow_hash(&m), &dir) != idx || dir != 1;
		bad += sp_flow_state_at(t, idx)->last_seen_ms[SP_BI] != 7000000u + i;
		bad += sp_flow_stats_at(t, idx)->max_piat_ms[0] != i;
		bad += *(uint32_t *)sp_flow_splt_at(t, idx) != ~i;
	}
	return bad;
}

/*
 * Growth (reading files): the bucket array starts small and doubles as the
 * worker reserves room burst by burst; every flow, its state and its
 * per-flow areas (stats, SPLT: the slots indexed by flow) are the same
 * after each rehash, the load never passes 1, creation order survives, and
 * indexes are reused before new ones are taken.
 */
static void
test_growth(void)
{
	enum { N = 60000, CAP = 300000, BURST = 32 };
	static const struct sp_features_params f = { 0, true, 4 };
	struct sp_flow_table *t = make_growing(CAP, &f), *fixed;
	static int32_t at[N + 1];
	struct sp_pkt_meta m;
	struct seen s = { 0 };
	uint32_t i, b0, grows = 0, max_idx = 0;
	int32_t idx;

	CU_ASSERT_FATAL(t != NULL);
	b0 = sp_flow_table_buckets(t);
	CU_ASSERT_EQUAL(b0, 4096);
	CU_ASSERT_EQUAL(sp_flow_table_capacity(t), CAP);
	for (i = 0; i < N; i++) {
		if (i % BURST == 0) {
			uint32_t before = sp_flow_table_buckets(t);

			CU_ASSERT_EQUAL(sp_flow_table_reserve(t, BURST), 0);
			grows += sp_flow_table_buckets(t) != before;
			/* room for the whole burst at load <= 1/2 */
			CU_ASSERT(sp_flow_count(t) + BURST <= sp_flow_table_buckets(t) / 2);
		}
		meta_many(&m, i);
		idx = add_meta(t, &m, sp_flow_hash(&m), i, 7000000u + i);
		CU_ASSERT_FATAL(idx >= 0);
		at[i] = idx;
		sp_flow_stats_at(t, idx)->max_piat_ms[0] = i;
		*(uint32_t *)sp_flow_splt_at(t, idx) = ~i;
		/* the early flows stay findable through every rehash */
		if (i == 5000 || i == 20000 || i == 40000)
			CU_ASSERT_EQUAL(check_many(t, at, 0, i + 1, false), 0);
	}
	/* 4096 -> 131072: five doublings, for 60,000 flows at load <= 1/2 */
	CU_ASSERT_EQUAL(grows, 5);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(t), 131072);
	CU_ASSERT_EQUAL(check_many(t, at, 0, N, false), 0);

	/* remove a third, grow again without need: the rest is intact */
	for (i = 0; i < N; i += 3)
		sp_flow_remove(t, at[i]);
	CU_ASSERT_EQUAL(sp_flow_table_grow(t, 70000), 0);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(t), 262144);
	CU_ASSERT_EQUAL(check_many(t, at, 0, N, true), 0);
	/* released indexes come back before any new one */
	for (i = 0; i < N; i += 3) {
		meta_many(&m, i);
		idx = add_meta(t, &m, sp_flow_hash(&m), i, 7000000u + i);
		CU_ASSERT_FATAL(idx >= 0);
		at[i] = idx;
		sp_flow_stats_at(t, idx)->max_piat_ms[0] = i;
		*(uint32_t *)sp_flow_splt_at(t, idx) = ~i;
		max_idx = RTE_MAX(max_idx, (uint32_t)idx);
	}
	CU_ASSERT(max_idx < N);
	CU_ASSERT_EQUAL(check_many(t, at, 0, N, false), 0);
	/* the buckets stop at max_flows rounded up: growing further is a no-op */
	CU_ASSERT_EQUAL(sp_flow_table_grow(t, UINT32_MAX / 2), 0);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(t), 524288);
	CU_ASSERT_EQUAL(sp_flow_table_grow(t, UINT32_MAX / 2), 0);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(t), 524288);
	/* creation order survived: the oldest flows are still first */
	s.n = 0;
	CU_ASSERT_EQUAL(sp_flow_scan_idle(t, UINT64_MAX, 3, record_cb, &s), 3);
	CU_ASSERT_EQUAL(s.port[0], 1000 + 1);
	CU_ASSERT_EQUAL(s.port[1], 1000 + 2);
	CU_ASSERT_EQUAL(s.port[2], 1000 + 4);
	sp_flow_table_free(t);

	/* a fixed table (live) has its buckets for max_flows from the start */
	fixed = make_table(CAP, 1000, 10000);
	CU_ASSERT_FATAL(fixed != NULL);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(fixed), 524288);
	CU_ASSERT_EQUAL(sp_flow_table_reserve(fixed, BURST), 0);
	CU_ASSERT_EQUAL(sp_flow_table_buckets(fixed), 524288);
	sp_flow_table_free(fixed);
}

/* Whether the page holding p is resident (mincore). */
static bool
resident(const void *p)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	unsigned char v = 0;

	CU_ASSERT_FATAL(mincore((void *)a, 4096, &v) == 0);
	return (v & 1) != 0;
}

/*
 * The per-flow arrays are committed a step ahead of the highest index in
 * use (flow_table.c FLOW_COMMIT_STEP, 16384 flows), when a burst reserves
 * room, and not further: a table reserved for millions of flows still
 * takes only what its flows use.
 */
static void
test_commit_ahead(void)
{
	enum { CAP = 1000000, STEP = 16384, BURST = 32 };
	static const struct sp_features_params f = { 0, true, 4 };
	struct sp_flow_table *t = make_growing(CAP, &f);
	struct sp_pkt_meta m;
	uint32_t i;

	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_FALSE(resident(sp_flow_state_at(t, 100)));
	CU_ASSERT_EQUAL(sp_flow_table_reserve(t, BURST), 0);
	CU_ASSERT(resident(sp_flow_state_at(t, 100)));
	CU_ASSERT(resident(sp_flow_stats_at(t, STEP - 1)));
	CU_ASSERT(resident(sp_flow_splt_at(t, STEP - 1)));
	CU_ASSERT_FALSE(resident(sp_flow_state_at(t, 2 * STEP + 10)));
	for (i = 0; i < STEP; i++) {
		if (i % BURST == 0)
			CU_ASSERT_EQUAL(sp_flow_table_reserve(t, BURST), 0);
		meta_many(&m, i);
		CU_ASSERT_FATAL(add_meta(t, &m, sp_flow_hash(&m), i, 7000000u + i) >= 0);
	}
	CU_ASSERT_FALSE(resident(sp_flow_state_at(t, STEP + 100)));
	CU_ASSERT_EQUAL(sp_flow_table_reserve(t, BURST), 0);
	CU_ASSERT(resident(sp_flow_state_at(t, STEP + 100)));
	CU_ASSERT(resident(sp_flow_state_at(t, 2 * STEP - 1)));
	CU_ASSERT_FALSE(resident(sp_flow_state_at(t, 2 * STEP + 10)));
	sp_flow_table_free(t);
}

static int
suite_init(void)
{
	return sp_test_eal_init("flow", 128);
}

static int
suite_clean(void)
{
	return sp_test_eal_cleanup();
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("flow", suite_init, suite_clean);

	if (s == NULL || CU_add_test(s, "key symmetry", test_key_symmetry) == NULL ||
	    CU_add_test(s, "capacity and lookup", test_capacity_and_lookup) == NULL ||
	    CU_add_test(s, "lookup identity", test_lookup_identity) == NULL ||
	    CU_add_test(s, "match = key equality + direction", test_match_is_key_equality) == NULL ||
	    CU_add_test(s, "chains and index reuse", test_chains_and_reuse) == NULL ||
	    CU_add_test(s, "expiry deadline: one compare, exact", test_expiry_deadline) == NULL ||
	    CU_add_test(s, "expiry boundaries", test_expiry_boundaries) == NULL ||
	    CU_add_test(s, "idle scan head of line", test_scan_head_of_line) == NULL ||
	    CU_add_test(s, "scan budget, flush order", test_scan_budget_and_flush_order) == NULL ||
	    CU_add_test(s, "growth: rehash keeps flows and slots", test_growth) == NULL ||
	    CU_add_test(s, "growth: arrays committed a step ahead", test_commit_ahead) == NULL ||
	    CU_add_test(s, "scan and eviction near 2^64 ms", test_scan_near_uint64_max) == NULL)
		return -1;
	return 0;
}
