/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: key symmetry, capacity, creation order, and NFStream's
 * expiration rules at their exact boundaries (spec §5).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

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

static int32_t
add_flow(struct sp_flow_table *t, uint32_t n, uint64_t first, uint64_t last)
{
	struct sp_pkt_meta m;
	struct sp_flow_key k;
	struct sp_flow_state *st;
	int32_t idx;

	meta_v4(&m, 0x0a000001, 0x0a000002, (uint16_t)(1000 + n), 80, 6);
	sp_flow_key_make(&m, &k);
	idx = sp_flow_add(t, &k, sp_flow_key_hash(&k));
	if (idx >= 0) {
		st = sp_flow_state_at(t, idx);
		memset(st, 0, sizeof(*st));
		st->first_seen_ms[SP_BI] = first;
		st->last_seen_ms[SP_BI] = last;
		st->src_port = (uint16_t)(1000 + n);
	}
	return idx;
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
	struct sp_flow_key k;
	uint32_t i;
	int32_t idx;

	CU_ASSERT_FATAL(t != NULL);
	/* the extendable table holds exactly max_flows keys */
	for (i = 0; i < 64; i++)
		CU_ASSERT(add_flow(t, i, 0, 0) >= 0);
	CU_ASSERT_EQUAL(sp_flow_count(t), 64);
	CU_ASSERT_EQUAL(add_flow(t, 64, 0, 0), -ENOSPC);
	for (i = 0; i < 64; i++) {
		meta_v4(&m, 0x0a000002, 0x0a000001, 80, (uint16_t)(1000 + i), 6);
		sp_flow_key_make(&m, &k);
		idx = sp_flow_lookup(t, &k, sp_flow_key_hash(&k));
		CU_ASSERT(idx >= 0 && idx < 64);
		if (idx >= 0)
			CU_ASSERT_EQUAL(sp_flow_state_at(t, idx)->src_port, 1000 + i);
	}
	meta_v4(&m, 0x0a000002, 0x0a000001, 80, 999, 6);
	sp_flow_key_make(&m, &k);
	CU_ASSERT_EQUAL(sp_flow_lookup(t, &k, sp_flow_key_hash(&k)), -ENOENT);
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
	 * A and B stays (spec §5.3, verified on NFStream). */
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

static void
test_scan_budget_and_flush_order(void)
{
	struct sp_flow_table *t = make_table(64, 100, 100000);
	struct seen s = { 0 };
	uint32_t i;
	int32_t idx[6];

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
	/* indexes are reused after removal */
	for (i = 0; i < 64; i++)
		CU_ASSERT(add_flow(t, 100 + i, 0, 0) >= 0);
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
	    CU_add_test(s, "expiry boundaries", test_expiry_boundaries) == NULL ||
	    CU_add_test(s, "idle scan head of line", test_scan_head_of_line) == NULL ||
	    CU_add_test(s, "scan budget, flush order", test_scan_budget_and_flush_order) == NULL)
		return -1;
	return 0;
}
