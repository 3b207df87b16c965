/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker driven with fake hooks that record their calls: the order and
 * arguments of flow_init/flow_update/flow_expire, a hook that is done (no
 * more calls for that flow, its expiry still comes), a hook that ends the
 * flow (NFStream's expiration_id -1, spec §5.5), a timed-out flow expired
 * before its successor starts, and the end-of-input flush in creation
 * order. Packets are real frames in mbufs, through the worker's own
 * burst path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sp_config.h>
#include <sp_worker.h>

#include "sp_test.h"
#include "sp_test_eal.h"
#include "sp_test_pkt.h"

#define LOG_MAX 256
#define T0 1700000000000ull

/* One recorded hook call. */
struct call {
	char kind;		/* 'i' init, 'u' update, 'e' expire */
	int hook;		/* 0 or 1 */
	uint16_t sport;		/* the flow's client port (from the slot) */
	uint16_t pkt_sport;	/* the packet's source port */
	int dir;
	uint64_t t_ms;
	uint32_t nth;		/* the flow's packet number, 1.. (from the slot) */
};

/* What a fake hook answers: at the flow's n-th packet (1 = flow_init) of
 * the flow with client port `sport`, return `verdict`. */
struct rule {
	uint16_t sport;
	uint32_t nth;
	int verdict;
};

struct fake {
	int id;
	struct rule rules[4];
	unsigned int n_rules;
};

struct slot {
	uint32_t magic;
	uint16_t sport;
	uint32_t nth;		/* packets this hook saw */
	bool done;		/* it said done or expire */
};

static struct call log_[LOG_MAX];
static unsigned int n_log;
static struct fake fakes[2];
static struct rte_mempool *pool;

static int
fake_verdict(const struct fake *f, uint16_t sport, uint32_t nth)
{
	unsigned int i;

	for (i = 0; i < f->n_rules; i++)
		if (f->rules[i].sport == sport && f->rules[i].nth == nth)
			return f->rules[i].verdict;
	return SP_HOOK_CONTINUE;
}

static void
record(char kind, const struct fake *f, const struct slot *s, const struct sp_pkt_meta *m,
       int dir, uint64_t t)
{
	if (n_log == LOG_MAX)
		return;
	log_[n_log++] = (struct call){ .kind = kind, .hook = f->id, .sport = s->sport,
				       .pkt_sport = m != NULL ? m->src_port : 0, .dir = dir,
				       .t_ms = t, .nth = s->nth };
}

static void *
fake_worker_init(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	static int which;

	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return &fakes[which++ % 2];
}

static int
fake_init(void *ctx, void *slot, const struct sp_pkt_meta *m, const uint8_t *ip,
	  uint16_t ip_len, uint64_t t_ms, const struct sp_flow_state *st)
{
	struct fake *f = ctx;
	struct slot *s = slot;

	(void)ip;
	(void)ip_len;
	/* the hook sees the flow's state with this packet accounted */
	CU_ASSERT_EQUAL(st->packets[SP_BI], 1);
	CU_ASSERT_EQUAL(st->src_port, m->src_port);
	s->magic = 0x5107;
	s->sport = m->src_port;
	s->nth = 1;
	s->done = fake_verdict(f, s->sport, 1) != SP_HOOK_CONTINUE;
	record('i', f, s, m, 0, t_ms);
	return fake_verdict(f, s->sport, 1);
}

static int
fake_update(void *ctx, void *slot, const struct sp_pkt_meta *m, const uint8_t *ip,
	    uint16_t ip_len, uint64_t t_ms, int dir, const struct sp_flow_state *st)
{
	struct fake *f = ctx;
	struct slot *s = slot;

	(void)ip;
	(void)ip_len;
	CU_ASSERT_EQUAL(s->magic, 0x5107);	/* the flow's own slot */
	CU_ASSERT_FALSE(s->done);		/* no call after done */
	s->nth++;
	CU_ASSERT_EQUAL(st->last_seen_ms[SP_BI], t_ms);
	CU_ASSERT_EQUAL(st->src_port, s->sport);
	s->done = fake_verdict(f, s->sport, s->nth) != SP_HOOK_CONTINUE;
	record('u', f, s, m, dir, t_ms);
	return fake_verdict(f, s->sport, s->nth);
}

static void
fake_expire(void *ctx, void *slot, const struct sp_flow_state *st, struct sp_flow_record *rec)
{
	struct fake *f = ctx;
	struct slot *s = slot;

	CU_ASSERT_EQUAL(st->packets[SP_BI], rec->st.packets[SP_BI]);

	CU_ASSERT_EQUAL(s->magic, 0x5107);
	CU_ASSERT_EQUAL(rec->st.src_port, s->sport);
	/* the record is complete when the hooks see it: all the packets a
	 * hook that listened to the end saw */
	if (!s->done)
		CU_ASSERT_EQUAL(rec->st.packets[SP_BI], s->nth);
	CU_ASSERT(rec->st.packets[SP_BI] >= s->nth);
	record('e', f, s, NULL, 0, 0);
	s->magic = 0;
}

static const struct sp_flow_ops fake_ops[2] = {
	{ .name = "fake0", .slot_size = sizeof(struct slot), .worker_init = fake_worker_init,
	  .flow_init = fake_init, .flow_update = fake_update, .flow_expire = fake_expire },
	{ .name = "fake1", .slot_size = sizeof(struct slot), .worker_init = fake_worker_init,
	  .flow_init = fake_init, .flow_update = fake_update, .flow_expire = fake_expire },
};

static struct sp_config cfg;

static struct sp_worker *
worker_new(void)
{
	struct sp_worker_params p;
	struct sp_worker *w;

	memset(fakes, 0, sizeof(fakes));
	fakes[1].id = 1;
	n_log = 0;
	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	cfg.n_dissections = 0;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = &fake_ops[0];
	p.hooks[1] = &fake_ops[1];
	p.n_hooks = 2;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

/* A UDP packet 10.0.0.1:sport -> 10.0.0.2:53, or the reply. */
static void
send_pkt(struct sp_worker *w, uint16_t sport, bool reply, uint64_t t_ms)
{
	static struct sp_test_pkt *tp;
	struct rte_mbuf *m;
	struct sp_rx_info info;
	uint32_t a = SP_TEST_IP4(10, 0, 0, 1), b = SP_TEST_IP4(10, 0, 0, 2);

	if (tp == NULL)
		tp = sp_test_pkt_new();
	sp_test_pkt_reset(tp);
	sp_test_pkt_eth(tp, reply ? SP_TEST_MAC_A : SP_TEST_MAC_B,
			reply ? SP_TEST_MAC_B : SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(tp, reply ? b : a, reply ? a : b, 17);
	sp_test_pkt_udp(tp, reply ? 53 : sport, reply ? sport : 53);
	sp_test_pkt_payload(tp, 20, 0xab);
	sp_test_pkt_finish(tp);
	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)tp->len), tp->buf, tp->len);
	info.ts_ms = t_ms;
	info.wire_len = tp->len;
	info.dlt = SP_DLT_EN10MB;
	sp_worker_process_burst(w, &m, &info, 1);
}

/* Take the records off the export ring: client port, expiration id and
 * packet count of each, in ring order. */
static unsigned int
drain(struct sp_worker *w, uint16_t *sport, int8_t *exp_id, uint64_t *pkts, unsigned int max)
{
	void *obj;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj) == 0) {
		const struct sp_flow_record *r = obj;

		if (n < max) {
			sport[n] = r->st.src_port;
			exp_id[n] = r->expiration_id;
			pkts[n] = r->st.packets[SP_BI];
		}
		n++;
		rte_mempool_put(sp_worker_record_pool(w), obj);
	}
	return n;
}

static void
check_call(unsigned int i, char kind, int hook, uint16_t sport, uint32_t nth)
{
	CU_ASSERT_FATAL(i < n_log);
	CU_ASSERT_EQUAL(log_[i].kind, kind);
	CU_ASSERT_EQUAL(log_[i].hook, hook);
	CU_ASSERT_EQUAL(log_[i].sport, sport);
	if (kind != 'e')
		CU_ASSERT_EQUAL(log_[i].nth, nth);
}

/* Each packet goes to hook 0 then hook 1, with its time and direction;
 * the expiry comes once, with the complete record. */
static void
test_order_and_arguments(void)
{
	struct sp_worker *w = worker_new();
	uint16_t sport[4];
	int8_t exp_id[4];
	uint64_t pkts[4];

	send_pkt(w, 40000, false, T0);
	send_pkt(w, 40000, true, T0 + 5);
	send_pkt(w, 40000, false, T0 + 9);
	sp_worker_flush(w);
	CU_ASSERT_EQUAL_FATAL(n_log, 8);
	check_call(0, 'i', 0, 40000, 1);
	check_call(1, 'i', 1, 40000, 1);
	check_call(2, 'u', 0, 40000, 2);
	check_call(3, 'u', 1, 40000, 2);
	CU_ASSERT_EQUAL(log_[2].dir, 1);
	CU_ASSERT_EQUAL(log_[2].pkt_sport, 53);
	CU_ASSERT_EQUAL(log_[2].t_ms, T0 + 5);
	check_call(4, 'u', 0, 40000, 3);
	CU_ASSERT_EQUAL(log_[4].dir, 0);
	CU_ASSERT_EQUAL(log_[4].t_ms, T0 + 9);
	check_call(5, 'u', 1, 40000, 3);
	check_call(6, 'e', 0, 40000, 0);
	check_call(7, 'e', 1, 40000, 0);
	CU_ASSERT_EQUAL(log_[0].t_ms, T0);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 4), 1);
	CU_ASSERT_EQUAL(exp_id[0], 0);
	CU_ASSERT_EQUAL(pkts[0], 3);
	sp_worker_free(w);
}

/* A hook that is done gets no more packets of that flow (nor does one
 * done at flow_init), the other hook and other flows still do, and every
 * hook sees the expiry. */
static void
test_done(void)
{
	struct sp_worker *w = worker_new();
	unsigned int i, upd0 = 0, upd1 = 0, upd0_other = 0, exp = 0;

	fakes[0].rules[fakes[0].n_rules++] = (struct rule){ 40000, 2, SP_HOOK_DONE };
	fakes[1].rules[fakes[1].n_rules++] = (struct rule){ 40000, 1, SP_HOOK_DONE };
	for (i = 0; i < 5; i++) {
		send_pkt(w, 40000, i % 2, T0 + i);
		send_pkt(w, 40001, false, T0 + i);
	}
	sp_worker_flush(w);
	for (i = 0; i < n_log; i++) {
		if (log_[i].kind == 'u' && log_[i].sport == 40000)
			log_[i].hook == 0 ? upd0++ : upd1++;
		if (log_[i].kind == 'u' && log_[i].sport == 40001 && log_[i].hook == 0)
			upd0_other++;
		exp += log_[i].kind == 'e';
	}
	CU_ASSERT_EQUAL(upd0, 1);	/* packet 2 said done */
	CU_ASSERT_EQUAL(upd1, 0);	/* done at its first packet */
	CU_ASSERT_EQUAL(upd0_other, 4);
	CU_ASSERT_EQUAL(exp, 4);	/* two flows, two hooks */
	sp_worker_free(w);
}

/* A hook ending the flow: exported at once with expiration_id -1 and the
 * packets so far; the next packet of the key starts a new flow. At
 * flow_init too (a one-packet flow). */
static void
test_custom_expire(void)
{
	struct sp_worker *w = worker_new();
	uint16_t sport[8];
	int8_t exp_id[8];
	uint64_t pkts[8];
	unsigned int n, i, inits = 0;

	fakes[1].rules[fakes[1].n_rules++] = (struct rule){ 40000, 2, SP_HOOK_EXPIRE };
	fakes[0].rules[fakes[0].n_rules++] = (struct rule){ 40002, 1, SP_HOOK_EXPIRE };
	send_pkt(w, 40000, false, T0);
	send_pkt(w, 40000, true, T0 + 1);	/* packet 2: hook 1 ends the flow */
	n = drain(w, sport, exp_id, pkts, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);		/* exported before the next packet */
	CU_ASSERT_EQUAL(exp_id[0], -1);
	CU_ASSERT_EQUAL(pkts[0], 2);
	send_pkt(w, 40000, false, T0 + 2);	/* a new flow of the same key */
	send_pkt(w, 40002, false, T0 + 3);	/* ended by its first packet */
	n = drain(w, sport, exp_id, pkts, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(sport[0], 40002);
	CU_ASSERT_EQUAL(exp_id[0], -1);
	CU_ASSERT_EQUAL(pkts[0], 1);
	for (i = 0; i < n_log; i++)
		inits += log_[i].kind == 'i' && log_[i].sport == 40002;
	CU_ASSERT_EQUAL(inits, 2);		/* both hooks saw its packet */
	sp_worker_flush(w);
	n = drain(w, sport, exp_id, pkts, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(sport[0], 40000);
	CU_ASSERT_EQUAL(exp_id[0], 0);
	CU_ASSERT_EQUAL(pkts[0], 1);
	sp_worker_free(w);
}

/* A flow that timed out is expired before the packet that found it so
 * starts its successor: the hooks see the old flow's expiry first. */
static void
test_timeout_before_successor(void)
{
	struct sp_worker *w = worker_new();
	uint16_t sport[4];
	int8_t exp_id[4];
	uint64_t pkts[4];
	uint64_t idle = cfg.idle_timeout_ms;

	send_pkt(w, 40000, false, T0);
	send_pkt(w, 40000, false, T0 + idle + 1);
	CU_ASSERT_EQUAL_FATAL(n_log, 6);
	check_call(2, 'e', 0, 40000, 0);
	check_call(3, 'e', 1, 40000, 0);
	check_call(4, 'i', 0, 40000, 1);
	CU_ASSERT_EQUAL(log_[4].t_ms, T0 + idle + 1);
	check_call(5, 'i', 1, 40000, 1);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 4), 1);
	CU_ASSERT_EQUAL(exp_id[0], 0);
	CU_ASSERT_EQUAL(pkts[0], 1);
	sp_worker_flush(w);
	sp_worker_free(w);
}

/* The end of input exports every flow in creation order. */
static void
test_flush_order(void)
{
	static const uint16_t order[] = { 40005, 40001, 40009, 40003 };
	struct sp_worker *w = worker_new();
	uint16_t sport[8];
	int8_t exp_id[8];
	uint64_t pkts[8];
	unsigned int i, n;

	for (i = 0; i < RTE_DIM(order); i++)
		send_pkt(w, order[i], false, T0 + i);
	send_pkt(w, order[0], true, T0 + 10);	/* activity does not reorder */
	sp_worker_flush(w);
	n = drain(w, sport, exp_id, pkts, 8);
	CU_ASSERT_EQUAL_FATAL(n, RTE_DIM(order));
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(sport[i], order[i]);
		CU_ASSERT_EQUAL(exp_id[i], 0);
	}
	sp_worker_free(w);
}

static int
suite_init(void)
{
	if (sp_test_eal_init("worker", 128) != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_worker_mbufs", 255, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	rte_mempool_free(pool);
	return sp_test_eal_cleanup();
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("worker", suite_init, suite_clean);

	if (s == NULL || CU_add_test(s, "hook order and arguments", test_order_and_arguments) == NULL ||
	    CU_add_test(s, "done: no more calls", test_done) == NULL ||
	    CU_add_test(s, "expire: expiration_id -1", test_custom_expire) == NULL ||
	    CU_add_test(s, "timed out before its successor", test_timeout_before_successor) == NULL ||
	    CU_add_test(s, "flush in creation order", test_flush_order) == NULL)
		return -1;
	return 0;
}
