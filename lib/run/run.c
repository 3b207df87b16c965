/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The run's lcores (sp_run.h): the workers' loops and the management loop.
 * A loop never waits on another lcore for long: offline workers wait for
 * room in the export ring (lossless), which the management lcore drains
 * even while the dispatcher waits for a worker (the dispatcher's wait
 * callback); live workers count their losses instead.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <sp_common.h>

#include "run_private.h"

/* Idle expiry of live workers: NFStream's idle scan runs with each packet;
 * a timer every 10 ms ends flows whose traffic stopped altogether. */
#define RUN_TICK_HZ 100

/* The management lcore's idle wait, µs: from RUN_IDLE_MIN_US, at most
 * RUN_IDLE_MAX_US, the shortest --flush-interval: exporters are flushed,
 * and a stop or a signal noticed, within that still. */
#define RUN_IDLE_MIN_US 10
#define RUN_IDLE_MAX_US 1000

uint32_t
sp_run_idle_next_us(uint32_t prev_us, bool worked)
{
	/* Multiplicative both ways: when records trickle in every T µs
	 * the wait settles near T (a wake-up or two per record batch, not
	 * one every 100 µs: 25 k context switches in a 3 s run before);
	 * what cannot wait that long (a ring filling, a worker waiting, a
	 * worker done) writes the workers' eventfds instead. */
	uint32_t next = worked ? prev_us / 2 : prev_us * 2;

	return RTE_MIN(RTE_MAX(next, (uint32_t)RUN_IDLE_MIN_US), (uint32_t)RUN_IDLE_MAX_US);
}

static void
run_worker_timer(struct rte_timer *t, void *arg)
{
	struct run_worker *rw = arg;

	(void)t;
	sp_worker_tick(rw->w, sp_source_now_ms(rw->run->p.src, rw->queue, rte_rdtsc()));
}

static void
run_timer_start(struct run_worker *rw)
{
	rte_timer_init(&rw->timer);
	rte_timer_reset(&rw->timer, rte_get_timer_hz() / RUN_TICK_HZ, PERIODICAL, rte_lcore_id(),
			run_worker_timer, rw);
}

/* Every loop ends alike: the input is over, every flow is exported. */
static int
run_worker_end(struct run_worker *rw)
{
	if (rw->run->live)
		rte_timer_stop_sync(&rw->timer);
	rw->input_end_s = sp_now_s();
	sp_worker_flush(rw->w);
	__atomic_store_n(&rw->done, true, __ATOMIC_RELEASE);
	/* the management lcore may be waiting: it joins us now */
	sp_worker_export_notify(rw->w);
	return 0;
}

/* A worker reading the source itself: one worker reading files, or a live
 * port's queue per worker. Poll in bursts until the input ends or we are
 * asked to stop. Live, flows also expire on the timer when their traffic
 * stops; a live worker never waits: losses are counted where they happen. */
static int
run_worker_reader(void *arg)
{
	struct run_worker *rw = arg;
	struct sp_run *r = rw->run;
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	int n;

	if (r->live)
		run_timer_start(rw);
	while (!r->stop_rx) {
		n = sp_source_rx(r->p.src, rw->queue, pkts, info);
		if (n == -ENODATA)
			break;
		if (n > 0)
			sp_worker_process_burst(rw->w, pkts, info, (uint16_t)n);
		if (r->live)
			rte_timer_manage();
	}
	return run_worker_end(rw);
}

/* A worker fed by the dispatcher: until the dispatcher is done and the
 * ring is empty. */
static int
run_worker_dispatched(void *arg)
{
	struct run_worker *rw = arg;
	struct sp_run *r = rw->run;

	if (r->live)
		run_timer_start(rw);
	for (;;) {
		bool last = __atomic_load_n(&r->rx_done, __ATOMIC_ACQUIRE);

		if (sp_worker_poll(rw->w) == 0) {
			if (last)
				break;
			/* Offline, lcores may outnumber cores (tests, small
			 * boxes): give the CPU to the dispatcher instead of
			 * spinning on an empty ring. Live workers keep polling. */
			if (r->live)
				rte_pause();
			else
				sched_yield();
		}
		if (r->live)
			rte_timer_manage();
	}
	return run_worker_end(rw);
}

void
sp_run_stop(struct sp_run *r)
{
	r->stop_rx = true;
}

/* The export set wants no more records (max_nflows, a closed pipe, no
 * output left): stop the input and the workers' exports, once. */
static void
run_check_exports(struct sp_run *r)
{
	unsigned int i;

	if (r->export_stopped || !sp_export_set_stopping(r->p.exports))
		return;
	r->export_stopped = true;
	r->stop_rx = true;
	for (i = 0; i < r->p.n_workers; i++)
		sp_worker_stop_export(r->wk[i].w);
}

/* One worker's export ring to the export set. */
static unsigned int
run_drain(struct sp_run *r, struct run_worker *rw)
{
	unsigned int n;

	sp_worker_records_grow(rw->w);	/* a worker waiting on an empty pool */
	n = sp_export_set_drain(r->p.exports, sp_worker_export_ring(rw->w),
				sp_worker_record_pool(rw->w));
	if (n > 0)
		run_check_exports(r);
	return n;
}

/* The dispatcher waits for a worker's ring: drain every worker's records
 * meanwhile, since a worker may be waiting for exactly that. */
static void
run_drain_all(void *arg)
{
	struct sp_run *r = arg;
	unsigned int i;

	for (i = 0; i < r->p.n_workers; i++)
		run_drain(r, &r->wk[i]);
}

struct sp_run *
sp_run_create(const struct sp_run_params *p)
{
	struct sp_run *r;
	unsigned int i;

	if (p == NULL || p->src == NULL || p->exports == NULL || p->n_workers == 0 ||
	    p->n_workers > SP_MAX_WORKERS || p->n_workers > SP_DISPATCH_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->p = *p;
	r->live = sp_source_is_live(p->src);
	for (i = 0; i < p->n_workers; i++) {
		r->w[i] = p->workers[i];
		r->wk[i].run = r;
		r->wk[i].w = p->workers[i];
		r->wk[i].lcore = p->lcores[i];
		r->wk[i].queue = (uint16_t)i;
	}
	if (p->dispatch != NULL) {
		struct sp_dispatch_params dp = *p->dispatch;

		for (i = 0; i < p->n_workers; i++)
			dp.rings[i] = sp_worker_rx_ring(p->workers[i]);
		dp.n_workers = p->n_workers;
		dp.wait_cb = run_drain_all;
		dp.wait_arg = r;
		r->dispatch = sp_dispatch_create(&dp);
		if (r->dispatch == NULL) {
			free(r);
			return NULL;
		}
	}
	if (r->live)
		rte_timer_subsystem_init();
	__atomic_store_n(&run_telemetry_of, r, __ATOMIC_RELEASE);
	return r;
}

void
sp_run_free(struct sp_run *r)
{
	if (r == NULL)
		return;
	__atomic_store_n(&run_telemetry_of, NULL, __ATOMIC_RELEASE);
	sp_dispatch_free(r->dispatch);
	free(r);
}

int
sp_run_launch(struct sp_run *r)
{
	unsigned int i;
	int ret;

	r->launch_s = sp_now_s();
	for (i = 0; i < r->p.n_workers; i++) {
		ret = rte_eal_remote_launch(r->dispatch != NULL ? run_worker_dispatched :
					    run_worker_reader, &r->wk[i], r->wk[i].lcore);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: cannot launch worker %u: %s\n", i,
				strerror(-ret));
			r->stop_rx = true;
			__atomic_store_n(&r->rx_done, true, __ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			return ret;
		}
	}
	return 0;
}

/* With a dispatcher, the management lcore is the RX lcore: one burst from
 * the source to the workers' rings. Returns whether packets came. */
static bool
run_dispatch_burst(struct sp_run *r)
{
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	int n;

	if (r->stop_rx)
		n = -ENODATA;
	else
		n = sp_source_rx(r->p.src, 0, pkts, info);
	if (n == -ENODATA)
		__atomic_store_n(&r->rx_done, true, __ATOMIC_RELEASE);
	else if (n > 0)
		sp_dispatch_burst(r->dispatch, pkts, info, (uint16_t)n);
	return n > 0;
}

void
sp_run_manage(struct sp_run *r)
{
	unsigned int i, busy, done;
	uint32_t wait_us = RUN_IDLE_MIN_US;
	bool worked = false;

	for (;;) {
		busy = 0;
		if (r->stop_rx)
			sp_export_set_input_stopped(r->p.exports);
		if (r->dispatch != NULL && !r->rx_done)
			busy += run_dispatch_burst(r);
		done = 0;
		for (i = 0; i < r->p.n_workers; i++) {
			/* read done before draining: a worker's last records are
			 * in its ring by the time it says it is done */
			done += __atomic_load_n(&r->wk[i].done, __ATOMIC_ACQUIRE);
			busy += run_drain(r, &r->wk[i]);
		}
		run_status(r);
		sp_export_set_tick(r->p.exports);
		if (busy) {
			worked = true;
			continue;
		}
		if (done == r->p.n_workers)
			break;
		/* Nothing to do: yield the CPU (a worker may share it). */
		if (r->dispatch == NULL || r->rx_done) {
			wait_us = sp_run_idle_next_us(wait_us, worked);
			worked = false;
			/* until a worker writes its eventfd (a ring filling, a
			 * worker waiting or done) or wait_us passed */
			sp_worker_wait_exports(r->w, r->p.n_workers, wait_us);
		}
		run_status(r);
	}
	rte_eal_mp_wait_lcore();
	r->joined_s = sp_now_s();
	r->stop_rx = true;	/* the input has ended */
	sp_export_set_input_stopped(r->p.exports);
}

int
sp_run_worker_lcores(unsigned int n, unsigned int *lcores)
{
	unsigned int i, lcore = -1;

	for (i = 0; i < n; i++) {
		lcore = rte_get_next_lcore(lcore, 1, 0);
		if (lcore >= RTE_MAX_LCORE)
			return -ENODEV;
		lcores[i] = lcore;
	}
	return 0;
}
