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
#include <stddef.h>
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

/* A UDP packet 10.0.0.1:sport -> 10.0.0.2:53, or the reply, with payload
 * bytes of payload, in an mbuf of mp. */
static struct rte_mbuf *
pkt_mbuf(struct rte_mempool *mp, uint16_t sport, bool reply, uint16_t payload,
	 struct sp_rx_info *info, uint64_t t_ms)
{
	static struct sp_test_pkt *tp;
	struct rte_mbuf *m;
	uint32_t a = SP_TEST_IP4(10, 0, 0, 1), b = SP_TEST_IP4(10, 0, 0, 2);

	if (tp == NULL)
		tp = sp_test_pkt_new();
	sp_test_pkt_reset(tp);
	sp_test_pkt_eth(tp, reply ? SP_TEST_MAC_A : SP_TEST_MAC_B,
			reply ? SP_TEST_MAC_B : SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(tp, reply ? b : a, reply ? a : b, 17);
	sp_test_pkt_udp(tp, reply ? 53 : sport, reply ? sport : 53);
	sp_test_pkt_payload(tp, payload, 0xab);
	sp_test_pkt_finish(tp);
	m = rte_pktmbuf_alloc(mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)tp->len), tp->buf, tp->len);
	info->ts_ms = t_ms;
	info->wire_len = tp->len;
	info->dlt = SP_DLT_EN10MB;
	return m;
}

static void
send_pkt(struct sp_worker *w, uint16_t sport, bool reply, uint64_t t_ms)
{
	struct sp_rx_info info;
	struct rte_mbuf *m = pkt_mbuf(pool, sport, reply, 20, &info, t_ms);

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

/* A reading-files worker (lossless) of 256 flows with the first fake hook,
 * its records pool growing or whole; the fakes and the log cleared. */
static struct sp_worker *
lossless_worker(struct sp_worker_params *p, bool records_grow)
{
	memset(fakes, 0, sizeof(fakes));
	n_log = 0;
	sp_config_defaults(&cfg);
	cfg.n_dissections = 0;
	cfg.max_memory = 0;		/* --max-flows 256 */
	cfg.max_flows = 256;
	memset(p, 0, sizeof(*p));
	p->cfg = &cfg;
	p->socket_id = SOCKET_ID_ANY;
	p->lossless = true;
	p->records_grow = records_grow;
	p->hooks[0] = &fake_ops[0];
	p->n_hooks = 1;
	return sp_worker_create(p);
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

	w = lossless_worker(&p, false);
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

	w = lossless_worker(&p, true);
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

/* A hook whose context is its own allocation, counted, for sp_worker_reset(). */
struct gen_ctx {
	unsigned int gen;	/* which worker_init made it, 1.. */
	unsigned int flows;	/* flows it saw */
};

static unsigned int gen_inits, gen_finis;
static bool gen_fail;	/* the next worker_init fails */

static void *
gen_worker_init(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	struct gen_ctx *c;

	(void)arg;
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	if (gen_fail) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->gen = ++gen_inits;
	return c;
}

static void
gen_worker_fini(void *ctx)
{
	CU_ASSERT_PTR_NOT_NULL(ctx);	/* never a context already finished */
	gen_finis++;
	free(ctx);
}

static int
gen_flow_init(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	(void)slot;
	(void)p;
	(void)st;
	((struct gen_ctx *)ctx)->flows++;
	return SP_HOOK_DONE;
}

static const struct sp_flow_ops gen_ops = {
	.name = "gen", .worker_init = gen_worker_init, .worker_fini = gen_worker_fini,
	.flow_init = gen_flow_init,
};

/* sp_worker_reset(): refused with flows in the table; after a flush, the
 * clocks and counters are zero and every hook has a context of its own
 * again (the old one finished); a failed worker_init leaves no context
 * that free() would finish twice. */
static void
test_reset(void)
{
	struct sp_worker_params p;
	struct sp_worker_stats st;
	struct sp_worker *w;
	struct gen_ctx *c;
	void *obj = NULL;

	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.hooks[0] = &gen_ops;
	p.n_hooks = 1;
	gen_inits = gen_finis = 0;
	gen_fail = false;
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	c = sp_worker_hook_ctx(w, &gen_ops);
	CU_ASSERT_EQUAL_FATAL(c->gen, 1);
	send_pkt(w, 1000, false, 50000);
	send_pkt(w, 1001, false, 50001);
	CU_ASSERT_EQUAL(c->flows, 2);
	CU_ASSERT_EQUAL(sp_worker_reset(w), -EBUSY);
	CU_ASSERT_EQUAL(gen_finis, 0);
	sp_worker_flush(w);
	while (rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj) == 0)
		rte_mempool_put(sp_worker_record_pool(w), obj);
	CU_ASSERT_EQUAL(sp_worker_reset(w), 0);
	CU_ASSERT_EQUAL(gen_finis, 1);
	c = sp_worker_hook_ctx(w, &gen_ops);
	CU_ASSERT_EQUAL_FATAL(c->gen, 2);
	CU_ASSERT_EQUAL(c->flows, 0);
	sp_worker_get_stats(w, &st);
	CU_ASSERT_EQUAL(st.packets, 0);
	CU_ASSERT_EQUAL(st.flows_created, 0);
	CU_ASSERT_EQUAL(st.flows_exported, 0);
	/* the clock too: a packet earlier than the last capture's keeps its own time
	 * (not forced up to 50001 ms) */
	send_pkt(w, 1000, false, 7);
	sp_worker_flush(w);
	CU_ASSERT_EQUAL_FATAL(rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj), 0);
	CU_ASSERT_EQUAL(((struct sp_flow_record *)obj)->st.first_seen_ms[SP_BI], 7);
	rte_mempool_put(sp_worker_record_pool(w), obj);
	/* a worker_init that fails: the error, and the old context finished once */
	gen_fail = true;
	CU_ASSERT_EQUAL(sp_worker_reset(w), -ENOMEM);
	CU_ASSERT_EQUAL(gen_finis, 2);
	CU_ASSERT_PTR_NULL(sp_worker_hook_ctx(w, &gen_ops));
	gen_fail = false;
	sp_worker_free(w);
	CU_ASSERT_EQUAL(gen_finis, 2);
	CU_ASSERT_EQUAL(gen_inits, 2);
}

/* ------------------------------------------------------------------------ */
/* The counters-only loop (a run without hooks, statistics or SPLT).        */

static int
noop_init(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	(void)ctx;
	(void)slot;
	(void)p;
	(void)st;
	return SP_HOOK_DONE;
}

/* A hook that is done at once: the worker is not plain, and does what it
 * did before the plain loop existed. */
static const struct sp_flow_ops noop_ops = { .name = "noop", .flow_init = noop_init };

static struct sp_worker *
worker_timeouts(bool plain, uint8_t accounting_mode)
{
	struct sp_worker_params p;
	struct sp_worker *w;

	sp_config_defaults(&cfg);
	cfg.max_flows = 256;
	cfg.n_dissections = 0;
	cfg.idle_timeout_ms = 1000;
	cfg.active_timeout_ms = 5000;
	cfg.accounting_mode = accounting_mode;
	memset(&p, 0, sizeof(p));
	p.cfg = &cfg;
	p.socket_id = SOCKET_ID_ANY;
	p.lossless = true;
	p.id = plain ? 1 : 2;		/* both at once: their own memzone names */
	if (!plain) {
		p.hooks[0] = &noop_ops;
		p.n_hooks = 1;
	}
	w = sp_worker_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

#define TIMEOUT_PKTS 28
#define TIMEOUT_RECS 32

/* Four clients' packets (client, reply, ms after T0) that meet the 1 s idle
 * and 5 s active timeouts exactly, just before them and after them, in both
 * directions, and two at the same ms. */
static unsigned int
timeout_sequence(struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	static const struct {
		uint16_t client;
		bool reply;
		uint32_t t;
	} ev[TIMEOUT_PKTS] = {
		{ 0, 0, 0 }, { 0, 1, 1 }, { 1, 0, 5 }, { 1, 1, 6 }, { 2, 0, 10 },
		{ 2, 0, 10 },		/* the same ms: checked, deadline 1010 */
		{ 3, 0, 100 },
		{ 0, 0, 999 },		/* 998 after its last: alive */
		{ 1, 0, 1005 },
		{ 2, 1, 1010 },		/* 1000 after: idle */
		{ 3, 1, 1099 },
		{ 0, 0, 1999 },		/* 1000 after: idle, a new flow */
		{ 1, 0, 2004 }, { 3, 0, 2098 }, { 0, 1, 2998 },
		{ 1, 1, 3004 },		/* 1000 after: idle */
		{ 1, 0, 3005 }, { 3, 1, 3097 }, { 0, 0, 3997 }, { 3, 0, 4096 },
		{ 0, 0, 4996 },
		{ 3, 0, 5095 },		/* 4995 after its first: alive */
		{ 3, 1, 5100 },		/* 5000 after: active, a new flow */
		{ 3, 0, 5101 }, { 0, 1, 5995 }, { 0, 0, 6994 },
		{ 0, 0, 6999 },		/* 5000 after the flow's first (1999): active */
		{ 0, 1, 7000 },
	};
	unsigned int i;

	for (i = 0; i < TIMEOUT_PKTS; i++)
		pkts[i] = pkt_mbuf(pool, (uint16_t)(40000 + ev[i].client), ev[i].reply,
				   (uint16_t)(i * 7 % 90), &info[i], T0 + ev[i].t);
	return TIMEOUT_PKTS;
}

struct rec_copy {
	struct sp_flow_record r;
};

static unsigned int
drain_records(struct sp_worker *w, struct rec_copy *out, unsigned int max)
{
	void *obj;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue(sp_worker_export_ring(w), &obj) == 0) {
		if (n < max)
			memcpy(&out[n].r, obj, sizeof(out[n].r));
		n++;
		rte_mempool_put(sp_worker_record_pool(w), obj);
	}
	return n;
}

/*
 * The plain loop gives the records the general one gives (the counters,
 * times, directions, expiration ids and their order), in every accounting
 * mode, through idle and active timeouts met exactly (the one-compare
 * deadline), and the idle scan.
 */
static void
test_plain_same_records(void)
{
	static struct rec_copy a[TIMEOUT_RECS], b[TIMEOUT_RECS];
	struct rte_mbuf *pkts[TIMEOUT_PKTS];
	struct sp_rx_info info[TIMEOUT_PKTS];
	struct sp_worker_stats sa, sb;
	unsigned int mode, n, na, nb, i, active = 0, idle = 0;

	for (mode = 0; mode < 4; mode++) {
		struct sp_worker *wa = worker_timeouts(true, (uint8_t)mode);
		struct sp_worker *wb = worker_timeouts(false, (uint8_t)mode);

		/* in bursts of 1, 7 and 32 packets */
		n = timeout_sequence(pkts, info);
		for (i = 0; i < n; i += RTE_MIN(n - i, 1u + i % 3 * 6))
			sp_worker_process_burst(wa, &pkts[i], &info[i],
						(uint16_t)RTE_MIN(n - i, 1u + i % 3 * 6));
		n = timeout_sequence(pkts, info);
		for (i = 0; i < n; i += RTE_MIN(n - i, 32u))
			sp_worker_process_burst(wb, &pkts[i], &info[i],
						(uint16_t)RTE_MIN(n - i, 32u));
		sp_worker_flush(wa);
		sp_worker_flush(wb);
		na = drain_records(wa, a, TIMEOUT_RECS);
		nb = drain_records(wb, b, TIMEOUT_RECS);
		CU_ASSERT_EQUAL_FATAL(na, nb);
		CU_ASSERT_FATAL(na <= TIMEOUT_RECS);
		for (i = 0; i < na; i++) {
			CU_ASSERT_EQUAL(a[i].r.expiration_id, b[i].r.expiration_id);
			/* every column's value (the deadline is no column) */
			CU_ASSERT_EQUAL(memcmp(&a[i].r.st, &b[i].r.st,
					       offsetof(struct sp_flow_state, expiry_ms)), 0);
			CU_ASSERT_EQUAL(memcmp(a[i].r.duration_ms, b[i].r.duration_ms,
					       sizeof(a[i].r.duration_ms)), 0);
			active += a[i].r.expiration_id == 1;
			idle += a[i].r.expiration_id == 0;
		}
		/* what NFStream gives, flow by flow (client: packets, expiration
		 * id), in each client's order */
		{
			static const struct {
				uint16_t client;
				uint64_t pkts;
				int8_t exp_id;
			} want[] = {
				/* idle, active, end */
				{ 0, 3, 0 }, { 0, 6, 1 }, { 0, 2, 0 },
				{ 2, 2, 0 }, { 2, 1, 0 },		/* idle, end */
				{ 3, 6, 1 }, { 3, 2, 0 },		/* active, end */
				{ 1, 4, 0 }, { 1, 2, 0 },		/* idle, end */
			};
			unsigned int k, j, from[4] = { 0 };

			for (k = 0; k < RTE_DIM(want); k++) {
				uint16_t port = (uint16_t)(40000 + want[k].client);

				for (j = from[want[k].client]; j < na; j++)
					if (a[j].r.st.src_port == port ||
					    a[j].r.st.dst_port == port)
						break;
				CU_ASSERT_FATAL(j < na);
				CU_ASSERT_EQUAL(a[j].r.st.packets[SP_BI], want[k].pkts);
				CU_ASSERT_EQUAL(a[j].r.expiration_id, want[k].exp_id);
				from[want[k].client] = j + 1;
			}
			CU_ASSERT_EQUAL(na, RTE_DIM(want));
		}
		sp_worker_get_stats(wa, &sa);
		sp_worker_get_stats(wb, &sb);
		CU_ASSERT_EQUAL(sa.in_flows, n);
		CU_ASSERT_EQUAL(sb.in_flows, n);
		CU_ASSERT_EQUAL(sa.bytes, sb.bytes);
		CU_ASSERT_EQUAL(sa.flows_created, sb.flows_created);
		CU_ASSERT_EQUAL(sa.flows_exported, na);
		sp_worker_free(wa);
		sp_worker_free(wb);
	}
	CU_ASSERT_EQUAL(active, 4 * 2);
	CU_ASSERT_EQUAL(idle, 4 * 7);
}

/* A burst of 6 packets of clients 40000.., the i-th replaced by odd. */
static void
free_burst(struct sp_worker *w, struct rte_mbuf *odd, unsigned int at, uint64_t t)
{
	struct rte_mbuf *pkts[6];
	struct sp_rx_info info[6];
	unsigned int i;

	for (i = 0; i < 6; i++)
		pkts[i] = odd != NULL && i == at ? odd :
			  pkt_mbuf(pool, (uint16_t)(40000 + i), false, 20, &info[i], t);
	if (odd != NULL) {
		info[at].ts_ms = t;
		info[at].wire_len = rte_pktmbuf_pkt_len(odd);
		info[at].dlt = SP_DLT_EN10MB;
	}
	sp_worker_process_burst(w, pkts, info, 6);
}

/*
 * The free's flag: a burst goes back to the pool in one put only when
 * every mbuf is direct, one segment, referenced once and of the first
 * one's pool; one shared, attached (indirect), chained mbuf, or one of
 * another pool, sends its burst through rte_pktmbuf_free_bulk(), which
 * leaves each as it must. Checked by the pools' free counts and the
 * reference counts, one odd mbuf a burst, in both loops.
 */
static void
test_free_flag(void)
{
	struct rte_mempool *other = rte_pktmbuf_pool_create("test_worker_other", 63, 0, 0,
							    RTE_MBUF_DEFAULT_BUF_SIZE,
							    SOCKET_ID_ANY);
	struct rte_mbuf *m, *direct, *seg;
	struct sp_worker_stats st;
	struct sp_rx_info info;
	unsigned int avail, avail_other, plain, i;
	static struct rec_copy r[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	avail = rte_mempool_avail_count(pool);
	avail_other = rte_mempool_avail_count(other);
	for (plain = 0; plain < 2; plain++) {
		struct sp_worker *w = worker_timeouts(plain, 0);

		/* all simple: one put */
		free_burst(w, NULL, 0, T0);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);

		/* shared: the test keeps a reference, the mbuf stays its */
		m = pkt_mbuf(pool, 40001, true, 20, &info, T0 + 1);
		rte_mbuf_refcnt_update(m, 1);
		free_burst(w, m, 1, T0 + 1);
		CU_ASSERT_EQUAL(rte_mbuf_refcnt_read(m), 1);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail - 1);
		rte_pktmbuf_free(m);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);

		/* of another pool: back to that one */
		free_burst(w, pkt_mbuf(other, 40002, true, 20, &info, T0 + 2), 2, T0 + 2);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(other), avail_other);

		/* indirect: detached, and its direct mbuf freed with it */
		direct = pkt_mbuf(pool, 40003, true, 20, &info, T0 + 3);
		m = rte_pktmbuf_alloc(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		rte_pktmbuf_attach(m, direct);
		rte_pktmbuf_free(direct);		/* the indirect holds it */
		free_burst(w, m, 3, T0 + 3);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);

		/* a chain: the last 10 payload bytes in a second segment */
		m = pkt_mbuf(pool, 40004, true, 20, &info, T0 + 4);
		seg = rte_pktmbuf_alloc(pool);
		CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
		memcpy(rte_pktmbuf_append(seg, 10),
		       rte_pktmbuf_mtod_offset(m, void *, m->data_len - 10), 10);
		rte_pktmbuf_trim(m, 10);
		CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, seg), 0);
		free_burst(w, m, 4, T0 + 4);
		CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);

		/* every packet, the odd ones too, went to its flow: 5 bursts of 6
		 * packets over 6 flows */
		sp_worker_get_stats(w, &st);
		CU_ASSERT_EQUAL(st.in_flows, 30);
		CU_ASSERT_EQUAL(st.flows_created, 6);
		sp_worker_flush(w);
		CU_ASSERT_EQUAL(drain_records(w, r, 8), 6);
		for (i = 0; i < 6; i++)
			CU_ASSERT_EQUAL(r[i].r.st.packets[SP_BI], 5);
		sp_worker_free(w);
	}
	rte_mempool_free(other);
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
	    CU_add_test(s, "one packet view for all plugins", test_plugin_shared_view) == NULL ||
	    CU_add_test(s, "reset between captures", test_reset) == NULL ||
	    CU_add_test(s, "plain loop: the general loop's records", test_plain_same_records) ==
	    NULL ||
	    CU_add_test(s, "free: one put only for simple bursts", test_free_flag) == NULL)
		return -1;
	return 0;
}
