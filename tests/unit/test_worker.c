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
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sp_config.h>
#include <sp_plugins.h>
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
fake_init(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	const struct sp_pkt_meta *m = p->m;
	uint64_t t_ms = p->t_ms;
	struct fake *f = ctx;
	struct slot *s = slot;

	CU_ASSERT_EQUAL(p->dir, 0);
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
fake_update(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	const struct sp_pkt_meta *m = p->m;
	uint64_t t_ms = p->t_ms;
	int dir = p->dir;
	struct fake *f = ctx;
	struct slot *s = slot;

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

/* The eventfd's count, 0 when nothing was written (it is non-blocking). */
static uint64_t
notify_read(struct sp_worker *w)
{
	uint64_t v = 0;

	if (read(sp_worker_export_fd(w), &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		CU_ASSERT_EQUAL(errno, EAGAIN);
		return 0;
	}
	return v;
}

/* The management lcore's wake-up: one write when the export ring passes a
 * quarter of its 4095 records (1023), none before and none per record
 * after; written again only once the ring was drained. Without it the
 * management lcore polled every 100 µs whether records came or not. */
static void
test_export_notify(void)
{
	struct sp_worker_params p;
	struct sp_worker *w;
	struct sp_worker_stats st;
	uint16_t sport[1];
	int8_t exp_id[1];
	uint64_t pkts[1];
	unsigned int i, round;

	memset(fakes, 0, sizeof(fakes));
	n_log = 0;
	sp_config_defaults(&cfg);
	cfg.n_dissections = 0;
	cfg.max_memory = 0;		/* --max-flows 256 */
	cfg.max_flows = 256;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = &fake_ops[0];
	p.n_hooks = 1;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_FATAL(sp_worker_export_fd(w) >= 0);
	for (round = 0; round < 2; round++) {
		/* 256 flows fit (cfg.max_flows): each new one past them
		 * evicts one, a record on the ring */
		for (i = 0; i < 256 + 1022; i++)
			send_pkt(w, (uint16_t)(1000 + i + round * 3000), false, T0 + i);
		CU_ASSERT_EQUAL(rte_ring_count(sp_worker_export_ring(w)), 1022);
		CU_ASSERT_EQUAL(notify_read(w), 0);
		for (; i < 256 + 2000; i++)
			send_pkt(w, (uint16_t)(1000 + i + round * 3000), false, T0 + i);
		CU_ASSERT_EQUAL(rte_ring_count(sp_worker_export_ring(w)), 2000);
		CU_ASSERT_EQUAL(notify_read(w), 1);
		CU_ASSERT_EQUAL(notify_read(w), 0);
		sp_worker_get_stats(w, &st);
		CU_ASSERT_EQUAL(st.export_signals, round + 1);
		CU_ASSERT_EQUAL(st.export_waits, 0);
		/* the table's 256 flows after them: no write */
		sp_worker_flush(w);
		CU_ASSERT_EQUAL(notify_read(w), 0);
		CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1), 2256);
		/* the next round's first record re-arms it */
	}
	/* the end of a worker's input says so too */
	sp_worker_export_notify(w);
	CU_ASSERT_EQUAL(notify_read(w), 1);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.export_signals, 3);
	sp_worker_free(w);
}

static volatile bool grow_stop;

/* The management lcore's part: sp_worker_records_grow() on every turn. */
static void *
grow_main(void *arg)
{
	while (!grow_stop) {
		sp_worker_records_grow(arg);
		rte_pause();
	}
	return NULL;
}

/* Records pool sizing. Offline (records_grow) it starts with 256 records,
 * and the management lcore adds chunks of twice the last (768, 1,792,
 * 3,840, then all 4,928) when the worker woke it finding the pool empty: a
 * run of 100 flows never writes more than 256 records, one that holds
 * 2,000 on the ring gets 3,840, and none is lost. Live, a full pool is a
 * drop: whole from the start. */
static void
test_records_grow(void)
{
	struct sp_worker_params p;
	struct sp_worker_stats st;
	struct rte_mempool *mp;
	struct sp_worker *w;
	pthread_t grower;
	uint16_t sport[1];
	int8_t exp_id[1];
	uint64_t pkts[1];
	unsigned int i;

	memset(fakes, 0, sizeof(fakes));
	n_log = 0;
	sp_config_defaults(&cfg);
	cfg.n_dissections = 0;
	cfg.max_memory = 0;		/* --max-flows 256 */
	cfg.max_flows = 256;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.records_grow = true;
	p.hooks[0] = &fake_ops[0];
	p.n_hooks = 1;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	mp = sp_worker_record_pool(w);
	CU_ASSERT_EQUAL(mp->size, 4928);	/* the ring, two lcore caches, a burst */
	CU_ASSERT_EQUAL(sp_worker_records_first(mp->size, true), 256);
	CU_ASSERT_EQUAL(sp_worker_records_first(mp->size, false), mp->size);
	CU_ASSERT_EQUAL(sp_worker_records_first(255, true), 255);
	CU_ASSERT_EQUAL(mp->populated_size, 256);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), 256);

	/* 100 flows evicted: no growth, no wait */
	for (i = 0; i < 256 + 100; i++)
		send_pkt(w, (uint16_t)(1000 + i), false, T0 + i);
	CU_ASSERT_EQUAL(rte_ring_count(sp_worker_export_ring(w)), 100);
	sp_worker_records_grow(w);	/* not starved: nothing */
	CU_ASSERT_EQUAL(mp->populated_size, 256);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1), 100);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.export_waits, 0);
	CU_ASSERT_EQUAL(notify_read(w), 0);

	/* 2,000 records on the ring at once: the worker waits on the empty
	 * pool until the other thread grows it, chunk by chunk */
	grow_stop = false;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&grower, NULL, grow_main, w), 0);
	for (; i < 256 + 2100; i++)
		send_pkt(w, (uint16_t)(1000 + i), false, T0 + i);
	grow_stop = true;
	pthread_join(grower, NULL);
	CU_ASSERT_EQUAL(rte_ring_count(sp_worker_export_ring(w)), 2000);
	CU_ASSERT_EQUAL(mp->populated_size, 3840);
	sp_worker_get_stats(w, &st);
	CU_ASSERT(st.export_waits > 0);
	CU_ASSERT(notify_read(w) >= 1);	/* each starvation woke the management lcore */
	sp_worker_flush(w);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1), 2256);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.flows_exported, 100 + 2256);
	CU_ASSERT_EQUAL(st.records_dropped, 0);
	sp_worker_free(w);

	/* live: whole at once, records_grow or not */
	p.lossless = false;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	mp = sp_worker_record_pool(w);
	CU_ASSERT_EQUAL(mp->populated_size, mp->size);
	sp_worker_free(w);
	/* offline without records_grow (a caller that never grows it): whole */
	p.lossless = true;
	p.records_grow = false;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	mp = sp_worker_record_pool(w);
	CU_ASSERT_EQUAL(mp->populated_size, mp->size);
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

/* A hook that reserves memory of its own per flow (as nDPI's states). */
static size_t
fake_flow_mem(const void *arg)
{
	(void)arg;
	return 1000;
}

static const struct sp_flow_ops mem_ops = {
	.name = "mem", .slot_size = sizeof(struct slot), .worker_init = fake_worker_init,
	.flow_init = fake_init, .flow_update = fake_update, .flow_expire = fake_expire,
	.flow_mem = fake_flow_mem,
};

/*
 * Reading files, the capacity is the worker's share of --max-memory over
 * what a flow reserves (table, slots, the hooks' own memory, the mask);
 * live or with --max-flows it is max_flows. Past it, and only past it, the
 * oldest flows are evicted (counted), in creation order. Live, a full
 * table refuses new flows instead (counted).
 */
static void
test_capacity_from_memory(void)
{
	static const struct sp_features_params fp = { 0, false, 0 };
	struct sp_worker_params p;
	struct sp_worker_stats st;
	struct sp_worker *w;
	uint16_t sport[1500];
	int8_t exp_id[1500];
	uint64_t pkts[1500], share;
	size_t per, want;
	unsigned int i, n;

	memset(fakes, 0, sizeof(fakes));
	n_log = 0;
	sp_config_defaults(&cfg);
	cfg.n_dissections = 0;
	cfg.max_memory = UINT64_C(64) << 20;
	cfg.n_workers = 2;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = &fake_ops[0];
	p.hooks[1] = &mem_ops;
	p.n_hooks = 2;
	want = sp_flow_table_flow_size(&fp) + 2 * sizeof(struct slot) + 1000 + sizeof(uint16_t);
	CU_ASSERT_EQUAL(sp_worker_capacity(&p, &per), (UINT64_C(64) << 20) / 2 / want);
	CU_ASSERT_EQUAL(per, want);
	p.lossless = false;			/* live: the fixed --max-flows */
	CU_ASSERT_EQUAL(sp_worker_capacity(&p, NULL), SP_DEFAULT_MAX_FLOWS);
	p.lossless = true;
	cfg.max_memory = 0;			/* --max-flows given */
	cfg.max_flows = 300;
	CU_ASSERT_EQUAL(sp_worker_capacity(&p, NULL), 300);
	cfg.max_memory = 1;			/* never below the minimum */
	CU_ASSERT_EQUAL(sp_worker_capacity(&p, NULL), SP_MIN_MAX_FLOWS);

	/* 600 flows' worth for one worker; 1500 flows come */
	cfg.n_workers = 1;
	cfg.max_memory = 600 * want + want / 2;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(sp_worker_max_flows(w, &share), 600);
	CU_ASSERT_EQUAL(share, cfg.max_memory);
	n = 0;
	for (i = 0; i < 1500; i++) {
		send_pkt(w, (uint16_t)(1 + i), false, T0 + i);
		if (i % 256 == 255)
			n += drain(w, sport + n, exp_id + n, pkts + n, 1500 - n);
	}
	n += drain(w, sport + n, exp_id + n, pkts + n, 1500 - n);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.flows_created, 1500);
	CU_ASSERT_EQUAL(st.flows_evicted, 900);
	CU_ASSERT_EQUAL(st.flows_active, 600);
	CU_ASSERT_EQUAL(st.in_flows, 1500);
	CU_ASSERT_EQUAL(st.dropped_table_full, 0);
	CU_ASSERT_EQUAL_FATAL(n, 900);
	for (i = 0; i < n; i++)			/* the oldest first */
		CU_ASSERT_EQUAL(sport[i], 1 + i);
	sp_worker_flush(w);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1500), 600);
	CU_ASSERT_EQUAL(sport[0], 901);
	sp_worker_free(w);

	/* live (a fixed table that never reallocates): a full table refuses
	 * new flows, their packets counted as dropped, and keeps its flows,
	 * whose packets are still accounted */
	p.lossless = false;
	cfg.max_memory = 0;
	cfg.max_flows = 256;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(sp_worker_max_flows(w, &share), 256);
	CU_ASSERT_EQUAL(share, 0);
	for (i = 0; i < 300; i++)
		send_pkt(w, (uint16_t)(1 + i), false, T0 + i);
	send_pkt(w, 1, true, T0 + 400);		/* the oldest flow's reply */
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.flows_created, 256);
	CU_ASSERT_EQUAL(st.flows_evicted, 0);
	CU_ASSERT_EQUAL(st.dropped_table_full, 44);
	CU_ASSERT_EQUAL(st.in_flows, 257);
	CU_ASSERT_EQUAL(st.flows_active, 256);
	sp_worker_flush(w);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1500), 256);
	CU_ASSERT_EQUAL(sport[0], 1);
	CU_ASSERT_EQUAL(pkts[0], 2);
	sp_worker_free(w);
	p.lossless = true;

	/* with room, nothing is evicted */
	cfg.max_memory = UINT64_C(64) << 20;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (i = 0; i < 1500; i++)
		send_pkt(w, (uint16_t)(1 + i), false, T0 + i);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.flows_evicted, 0);
	CU_ASSERT_EQUAL(st.flows_active, 1500);
	sp_worker_flush(w);
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 1500), 1500);
	sp_worker_free(w);
}

/* ------------------------------------------------------------------------ */
/* Every hook the worker has room for: nDPI and --plugin's most fill it.    */

_Static_assert(SP_CONFIG_MAX_PLUGINS == SP_PLUGINS_MAX, "--plugin's limit is the loader's");
_Static_assert(SP_PLUGINS_MAX + 1 == SP_WORKER_MAX_HOOKS, "nDPI and the plugins fill the hooks");

/* Hook i of many: calls counted per hook, done at the flow's packet
 * many_done_at[i] (1 = flow_init, 0 = never). */
struct many_ctx {
	unsigned int id;
	unsigned int inits, updates, expires;
	uint32_t nth;			/* the one flow's packets this hook saw */
};

static struct many_ctx many[SP_WORKER_MAX_HOOKS];
static uint32_t many_done_at[SP_WORKER_MAX_HOOKS];

static void *
many_worker_init(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return (void *)(uintptr_t)arg;
}

static int
many_init(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	struct many_ctx *c = ctx;

	(void)slot;
	(void)p;
	(void)st;
	c->inits++;
	c->nth = 1;
	return many_done_at[c->id] == 1 ? SP_HOOK_DONE : SP_HOOK_CONTINUE;
}

static int
many_update(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	struct many_ctx *c = ctx;

	(void)slot;
	(void)p;
	c->updates++;
	c->nth++;
	/* the flow's packet count and this hook's agree: no packet skipped */
	CU_ASSERT_EQUAL(st->packets[SP_BI], c->nth);
	return many_done_at[c->id] == c->nth ? SP_HOOK_DONE : SP_HOOK_CONTINUE;
}

static void
many_expire(void *ctx, void *slot, const struct sp_flow_state *st, struct sp_flow_record *rec)
{
	struct many_ctx *c = ctx;

	(void)slot;
	(void)st;
	(void)rec;
	c->expires++;
}

/* 16 hooks (bits 8..15 of the per-flow mask are the ones an 8-bit mask
 * lost): hook i is done at the flow's packet i + 1, except hook 15 which
 * listens to the end and hook 12 which has no flow_update (a plugin
 * without on_update). One hook more is refused. */
static void
test_all_hooks(void)
{
	struct sp_flow_ops ops[SP_WORKER_MAX_HOOKS];
	struct sp_worker_params p;
	struct sp_worker *w;
	unsigned int i;
	uint16_t sport[4];
	int8_t exp_id[4];
	uint64_t pkts[4];
	const unsigned int n_pkts = 20;

	CU_ASSERT_FATAL(SP_WORKER_MAX_HOOKS >= 16);
	memset(many, 0, sizeof(many));
	memset(ops, 0, sizeof(ops));
	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	cfg.n_dissections = 0;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	for (i = 0; i < SP_WORKER_MAX_HOOKS; i++) {
		many[i].id = i;
		many_done_at[i] = i == 15 ? 0 : i + 1;
		ops[i] = (struct sp_flow_ops){ .name = "many", .arg = &many[i],
			.worker_init = many_worker_init, .flow_init = many_init,
			.flow_update = i == 12 ? NULL : many_update, .flow_expire = many_expire };
		p.hooks[i] = &ops[i];
	}
	p.n_hooks = SP_WORKER_MAX_HOOKS + 1;
	CU_ASSERT_PTR_NULL(sp_worker_create(&p));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	p.n_hooks = SP_WORKER_MAX_HOOKS;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	for (i = 0; i < n_pkts; i++)
		send_pkt(w, 40000, i % 2, T0 + i);
	sp_worker_flush(w);
	for (i = 0; i < SP_WORKER_MAX_HOOKS; i++) {
		CU_ASSERT_EQUAL(many[i].inits, 1);
		CU_ASSERT_EQUAL(many[i].expires, 1);
		/* done at packet i + 1: the updates of packets 2 .. i + 1 */
		CU_ASSERT_EQUAL(many[i].updates, i == 12 ? 0 : i == 15 ? n_pkts - 1 : i);
	}
	CU_ASSERT_EQUAL(drain(w, sport, exp_id, pkts, 4), 1);
	CU_ASSERT_EQUAL(pkts[0], n_pkts);
	sp_worker_free(w);
}

/* ------------------------------------------------------------------------ */
/* A plugin (struct sp_plugin) through the adapter: its packets and flow    */
/* view, its verdicts, its columns in the record.                           */

struct probe_conf {
	uint64_t done_at, expire_at;	/* bidirectional packet count, 0: never */
};

struct probe_slot {
	uint64_t n;
	uint64_t payload_ok;		/* packets whose payload was found at its offset */
	int64_t dirs[8];
};

static const struct sp_plugin_column probe_cols[] = {
	{ .name = "udps.packets", .type = SP_PLUGIN_UINT },
	{ .name = "udps.dirs", .type = SP_PLUGIN_INT_LIST, .max = 3 },
	{ .name = "udps.label", .type = SP_PLUGIN_STRING, .max = 8 },
	{ .name = "udps.never", .type = SP_PLUGIN_INT },
};

static struct probe_conf probe_conf;
static unsigned int probe_inits, probe_workers;

static int
probe_configure(const struct sp_plugin_option *o, unsigned int n, struct sp_plugin_config *out,
		char *err, size_t errlen)
{
	unsigned int i;

	memset(&probe_conf, 0, sizeof(probe_conf));
	for (i = 0; i < n; i++) {
		if (strcmp(o[i].key, "done_at") == 0)
			probe_conf.done_at = strtoull(o[i].value, NULL, 10);
		else if (strcmp(o[i].key, "expire_at") == 0)
			probe_conf.expire_at = strtoull(o[i].value, NULL, 10);
		else
			return snprintf(err, errlen, "unknown option '%s'", o[i].key), -EINVAL;
	}
	out->slot_size = sizeof(struct probe_slot);
	out->columns = probe_cols;
	out->n_columns = RTE_DIM(probe_cols);
	out->conf = &probe_conf;
	return 0;
}

static void *
probe_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	probe_workers++;
	return (void *)(uintptr_t)conf;
}

static int
probe_packet(const struct probe_conf *c, struct probe_slot *s, const struct sp_plugin_packet *p,
	     const struct sp_plugin_flow *f)
{
	s->n++;
	/* the flow view counts this packet; the payload is where it says */
	CU_ASSERT_EQUAL(sp_plugin_flow_packets(f, SP_PLUGIN_BIDIRECTIONAL), s->n);
	CU_ASSERT_EQUAL(sp_plugin_flow_last_seen_ms(f, SP_PLUGIN_BIDIRECTIONAL), p->time_ms);
	CU_ASSERT_EQUAL(sp_plugin_flow_dst_port(f), 53);
	CU_ASSERT_EQUAL(p->protocol, 17);
	CU_ASSERT_EQUAL(p->src_port, p->direction ? 53 : sp_plugin_flow_src_port(f));
	if (p->payload_size == 20 && p->payload_offset == 28 && p->ip_len >= 48 &&
	    p->ip[p->payload_offset] == 0xab && p->ip[p->payload_offset + 19] == 0xab)
		s->payload_ok++;
	if (s->n <= RTE_DIM(s->dirs))
		s->dirs[s->n - 1] = p->direction;
	if (c->expire_at != 0 && s->n == c->expire_at)
		return SP_PLUGIN_EXPIRE;
	if (c->done_at != 0 && s->n == c->done_at)
		return SP_PLUGIN_DONE;
	return SP_PLUGIN_CONTINUE;
}

static int
probe_on_init(void *w, void *slot, const struct sp_plugin_packet *p, const struct sp_plugin_flow *f)
{
	struct probe_slot *s = slot;

	probe_inits++;
	CU_ASSERT_EQUAL(s->n, 0);	/* zeroed for each flow */
	CU_ASSERT_EQUAL(p->direction, 0);
	return probe_packet(w, s, p, f);
}

static int
probe_on_update(void *w, void *slot, const struct sp_plugin_packet *p,
		const struct sp_plugin_flow *f)
{
	return probe_packet(w, slot, p, f);
}

static void
probe_on_expire(void *w, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	struct probe_slot *s = slot;
	unsigned int i;

	(void)w;
	(void)f;
	sp_plugin_set_uint(r, 0, s->n);
	for (i = 0; i < s->n && i < RTE_DIM(s->dirs); i++)
		sp_plugin_list_add_int(r, 1, s->dirs[i]);	/* cut after 3 */
	sp_plugin_set_string(r, 2, s->payload_ok == s->n ? "payload" : "nopayload", 9);
	sp_plugin_set_int(r, 7, 1);			/* no such column: counted */
}

static const struct sp_plugin probe_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "probe",
	.configure = probe_configure,
	.worker_init = probe_worker_init,
	.on_init = probe_on_init,
	.on_update = probe_on_update,
	.on_expire = probe_on_expire,
};

static const struct sp_plugin *
probe_resolve(const char *name)
{
	return strcmp(name, "probe") == 0 ? &probe_plugin : NULL;
}

struct probe_rec {
	uint16_t sport;
	int8_t exp_id;
	uint64_t pkts;
	bool packets_set, never_set;
	uint64_t packets;
	uint16_t n_dirs;
	int64_t dirs[3];
	char label[9];
};

static struct sp_worker *
probe_worker(const char *spec, struct sp_plugins **ps)
{
	struct sp_worker_params p;
	struct sp_worker *w;
	char err[256];
	size_t heap;

	*ps = sp_plugins_load_with(&spec, 1, probe_resolve, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(*ps);
	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	cfg.n_dissections = 0;
	cfg.record_ext_size = 0;
	heap = sp_worker_heap_size(&cfg, 0);
	cfg.record_ext_size = sp_plugins_area_size(*ps);
	CU_ASSERT(cfg.record_ext_size > 0);
	/* the records pool holds the plugin area: the heap the EAL is given grows */
	CU_ASSERT(sp_worker_heap_size(&cfg, 0) > heap);
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = sp_plugins_ops(*ps, 0);
	p.n_hooks = 1;
	probe_inits = 0;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

static unsigned int
probe_drain(struct sp_worker *w, struct sp_plugins *ps, struct probe_rec *out, unsigned int max)
{
	const struct sp_plugins_column *c;
	unsigned int n = 0, nc;
	void *obj;

	c = sp_plugins_columns(ps, &nc);
	CU_ASSERT_EQUAL_FATAL(nc, RTE_DIM(probe_cols));
	while (rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj) == 0) {
		const struct sp_flow_record *r = obj;
		const struct sp_plugins_cell *h;

		if (n < max) {
			struct probe_rec *o = &out[n];

			memset(o, 0, sizeof(*o));
			o->sport = r->st.src_port;
			o->exp_id = r->expiration_id;
			o->pkts = r->st.packets[SP_BI];
			h = sp_plugins_cell(r, &c[0]);
			o->packets_set = h->set;
			memcpy(&o->packets, h + 1, 8);
			h = sp_plugins_cell(r, &c[1]);
			o->n_dirs = h->set ? h->n : 0;
			memcpy(o->dirs, h + 1, 8u * RTE_MIN(o->n_dirs, 3));
			h = sp_plugins_cell(r, &c[2]);
			if (h->set)
				memcpy(o->label, h + 1, RTE_MIN(h->n, 8));
			o->never_set = sp_plugins_cell(r, &c[3])->set;
		}
		n++;
		rte_mempool_put(sp_worker_record_pool(w), obj);
	}
	return n;
}

/* The plugin's columns in the record, written by on_expire through the
 * setters; the packet and flow views it was given (checked in the hooks). */
static void
test_plugin_columns(void)
{
	struct sp_plugins *ps;
	struct sp_worker *w = probe_worker("probe", &ps);
	struct probe_rec r[4];
	struct sp_plugin_stat st[4];
	unsigned int n;

	send_pkt(w, 40000, false, T0);
	send_pkt(w, 40000, true, T0 + 1);
	send_pkt(w, 40000, false, T0 + 2);
	send_pkt(w, 40000, true, T0 + 3);
	send_pkt(w, 40001, false, T0 + 4);
	sp_worker_flush(w);
	n = probe_drain(w, ps, r, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(r[0].sport, 40000);
	CU_ASSERT(r[0].packets_set);
	CU_ASSERT_EQUAL(r[0].packets, 4);
	CU_ASSERT_EQUAL(r[0].n_dirs, 3);	/* max 3: the 4th cut */
	CU_ASSERT(r[0].dirs[0] == 0 && r[0].dirs[1] == 1 && r[0].dirs[2] == 0);
	CU_ASSERT_STRING_EQUAL(r[0].label, "payload");	/* cut to 8 of 9 bytes */
	CU_ASSERT_FALSE(r[0].never_set);		/* None */
	CU_ASSERT_EQUAL(r[1].packets, 1);
	CU_ASSERT_EQUAL(r[1].n_dirs, 1);
	/* the counters the setters kept: per flow a cut string, a bad column,
	 * and flow 40000's fourth list element */
	n = sp_plugins_worker_stats(ps, 0, sp_worker_hook_ctx(w, sp_plugins_ops(ps, 0)), st, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(st[0].name, "values_cut");
	CU_ASSERT_EQUAL(st[0].value, 3);
	CU_ASSERT_STRING_EQUAL(st[1].name, "bad_set");
	CU_ASSERT_EQUAL(st[1].value, 2);
	sp_worker_free(w);
	sp_plugins_unload(ps);
}

/* A second plugin that keeps what its packet view said: it comes after
 * probe, so it is handed the view probe's call built for the packet. */
struct peek_seen {
	uint64_t time_ms;
	uint16_t src_port;
	uint8_t direction;
	uint32_t payload_offset;
	uint16_t payload_size;
};

static struct peek_seen peek_seen[16];
static unsigned int peek_n;

static int
peek_configure(const struct sp_plugin_option *o, unsigned int n, struct sp_plugin_config *out,
	       char *err, size_t errlen)
{
	(void)o;
	(void)n;
	(void)err;
	(void)errlen;
	memset(out, 0, sizeof(*out));
	return 0;
}

static int
peek_on_packet(void *w, void *slot, const struct sp_plugin_packet *p,
	       const struct sp_plugin_flow *f)
{
	(void)w;
	(void)slot;
	(void)f;
	if (peek_n < RTE_DIM(peek_seen)) {
		peek_seen[peek_n].time_ms = p->time_ms;
		peek_seen[peek_n].src_port = p->src_port;
		peek_seen[peek_n].direction = p->direction;
		peek_seen[peek_n].payload_offset = p->payload_offset;
		peek_seen[peek_n].payload_size = p->payload_size;
	}
	peek_n++;
	return SP_PLUGIN_CONTINUE;
}

static const struct sp_plugin peek_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "peek",
	.configure = peek_configure,
	.on_init = peek_on_packet,
	.on_update = peek_on_packet,
};

static const struct sp_plugin *
probe_peek_resolve(const char *name)
{
	return strcmp(name, "peek") == 0 ? &peek_plugin : probe_resolve(name);
}

/* The packet view is built once a packet for all the plugins of a worker
 * (in the hook packet): each packet's view is that packet's, for the
 * plugin that built it and the one after it, first packets of flows and
 * later ones, both directions; a done plugin leaves the next one its view. */
static void
test_plugin_shared_view(void)
{
	static const char *const specs[] = { "probe:done_at=2", "peek" };
	static const struct { uint16_t sport; bool reply; } seq[] = {
		{ 40000, false }, { 40000, true }, { 40001, false }, { 40000, false },
		{ 40001, true }, { 40000, true },
	};
	struct sp_worker_params p;
	struct sp_plugins *ps;
	struct sp_worker *w;
	struct probe_rec r[4];
	char err[256];
	unsigned int i;

	ps = sp_plugins_load_with(specs, 2, probe_peek_resolve, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	cfg.n_dissections = 0;
	cfg.record_ext_size = sp_plugins_area_size(ps);
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = sp_plugins_ops(ps, 0);
	p.hooks[1] = sp_plugins_ops(ps, 1);
	p.n_hooks = 2;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	peek_n = 0;
	for (i = 0; i < RTE_DIM(seq); i++)
		send_pkt(w, seq[i].sport, seq[i].reply, T0 + 10 * i);
	CU_ASSERT_EQUAL_FATAL(peek_n, RTE_DIM(seq));
	for (i = 0; i < RTE_DIM(seq); i++) {
		CU_ASSERT_EQUAL(peek_seen[i].time_ms, T0 + 10 * i);
		CU_ASSERT_EQUAL(peek_seen[i].direction, seq[i].reply ? 1 : 0);
		CU_ASSERT_EQUAL(peek_seen[i].src_port, seq[i].reply ? 53 : seq[i].sport);
		CU_ASSERT_EQUAL(peek_seen[i].payload_offset, 28);
		CU_ASSERT_EQUAL(peek_seen[i].payload_size, 20);
	}
	sp_worker_flush(w);
	/* probe checked its own views (time, ports, payload) and was done at 2 */
	CU_ASSERT_EQUAL(probe_drain(w, ps, r, 4), 2);
	CU_ASSERT_EQUAL(r[0].packets, 2);
	CU_ASSERT_EQUAL(r[1].packets, 2);
	sp_worker_free(w);
	sp_plugins_unload(ps);
}

/* done: no more on_update, on_expire still comes; expire: the flow ends
 * with expiration_id -1 and the next packet starts a new one (on_init). */
static void
test_plugin_verdicts(void)
{
	struct sp_plugins *ps;
	struct sp_worker *w = probe_worker("probe:done_at=2", &ps);
	struct probe_rec r[8];
	unsigned int n, i;

	for (i = 0; i < 5; i++)
		send_pkt(w, 40000, i % 2, T0 + i);
	sp_worker_flush(w);
	n = probe_drain(w, ps, r, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(r[0].pkts, 5);
	CU_ASSERT_EQUAL(r[0].packets, 2);	/* the plugin saw 2 packets */
	CU_ASSERT_EQUAL(r[0].exp_id, 0);
	sp_worker_free(w);
	sp_plugins_unload(ps);

	w = probe_worker("probe:expire_at=2", &ps);
	for (i = 0; i < 5; i++)
		send_pkt(w, 40000, i % 2, T0 + i);
	n = probe_drain(w, ps, r, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);		/* packets 1-2, 3-4 */
	CU_ASSERT_EQUAL(r[0].exp_id, -1);
	CU_ASSERT_EQUAL(r[0].pkts, 2);
	CU_ASSERT_EQUAL(r[0].packets, 2);
	CU_ASSERT_EQUAL(r[1].exp_id, -1);
	/* packet 5 starts a third flow, ended by the flush */
	sp_worker_flush(w);
	n = probe_drain(w, ps, r, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(r[0].exp_id, 0);
	CU_ASSERT_EQUAL(r[0].pkts, 1);
	CU_ASSERT_EQUAL(probe_inits, 3);
	sp_worker_free(w);
	sp_plugins_unload(ps);

	/* expire at the first packet: every packet is a flow of its own */
	w = probe_worker("probe:expire_at=1", &ps);
	for (i = 0; i < 3; i++)
		send_pkt(w, 40000, false, T0 + i);
	n = probe_drain(w, ps, r, 8);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(r[i].exp_id, -1);
		CU_ASSERT_EQUAL(r[i].pkts, 1);
	}
	sp_worker_free(w);
	sp_plugins_unload(ps);
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
	    CU_add_test(s, "flush in creation order", test_flush_order) == NULL ||
	    CU_add_test(s, "export ring: one wake-up per filling", test_export_notify) == NULL ||
	    CU_add_test(s, "records pool: grown while the run needs it", test_records_grow) == NULL ||
	    CU_add_test(s, "capacity from --max-memory", test_capacity_from_memory) == NULL ||
	    CU_add_test(s, "16 hooks: the mask's high bits", test_all_hooks) == NULL ||
	    CU_add_test(s, "plugin columns through the adapter", test_plugin_columns) == NULL ||
	    CU_add_test(s, "plugin verdicts: done, expire", test_plugin_verdicts) == NULL ||
	    CU_add_test(s, "one packet view for all plugins", test_plugin_shared_view) == NULL)
		return -1;
	return 0;
}
