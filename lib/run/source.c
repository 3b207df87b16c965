/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sources (sp_source.h): an ops table per kind of input, in the manner of
 * testpmd's forwarding engines, so that the run's loops read packets the
 * same way whatever they come from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_reciprocal.h>

#include <sp_common.h>
#include <sp_parse.h>
#include <sp_port.h>
#include <sp_worker.h>

#include "sp_source.h"

struct source_ops {
	int (*rx)(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts,
		  struct sp_rx_info *info);
	double (*progress)(const struct sp_source *s, uint64_t *bytes_read);
	void (*get_stats)(const struct sp_source *s, struct sp_capture_stats *st);
};

struct sp_source {
	const struct source_ops *ops;
	bool live;
	bool dispatched;
	/* files */
	struct sp_capture *cap;
	struct rte_mempool *pool;
	int *dlts;		/* the link type of each input */
	unsigned int n_dlts;
	/* live */
	struct sp_port_live *port;
	uint16_t port_id;
	uint32_t snaplen;
	uint64_t base_ms;	/* realtime at base_tsc */
	uint64_t base_tsc;
	uint64_t tsc_per_ms;
	/* live, packet time from the RX timestamps: the dynfield, and each
	 * queue's clock for the idle timer (source_clock) */
	int ts_off;
	uint64_t ts_flag;
	struct rte_reciprocal_u64 ts_per_ms;
	struct source_clock *clock;
};

/*
 * A queue's clock when packet time is the port's RX timestamps: the last
 * burst's time, and the TSC when it came. The workers' idle timer reads
 * it as that time, plus the TSC since once the queue has been silent for
 * SOURCE_CLOCK_QUIET_MS: flows expire in the packets' clock (a replayed
 * capture's years-old times, or a NIC clock that is not quite the host's)
 * and still when traffic stops. While packets come, their own time is the
 * clock: a worker that the OS did not run for a while (lcores sharing a
 * CPU) would otherwise see time pass that its packets did not see, and
 * end a flow that its next packet still finds alive. Written by
 * the lcore reading the queue, read by its timer: the same lcore, but for
 * the dispatched case (queue 0, read by the main lcore), where a torn pair
 * only makes the timer's time later by one burst gap.
 */
struct source_clock {
	uint64_t ms;
	uint64_t tsc;
} __rte_cache_aligned;

#define SOURCE_CLOCK_QUIET_MS 1000

/* --- files ---------------------------------------------------------------- */

static int
files_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	(void)queue;
	return sp_capture_rx(s->cap, pkts, info, SP_BURST);
}

static double
files_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	if (bytes_read != NULL)
		*bytes_read = sp_capture_bytes_read(s->cap);
	return sp_capture_progress(s->cap);
}

static void
files_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	sp_capture_get_stats(s->cap, st);
}

static const struct source_ops files_ops = {
	.rx = files_rx,
	.progress = files_progress,
	.get_stats = files_get_stats,
};

/* --- live ----------------------------------------------------------------- */

uint64_t
sp_source_now_ms(const struct sp_source *s, uint16_t queue, uint64_t tsc)
{
	const struct source_clock *c;
	uint64_t ms, at;

	if (!s->live)
		return 0;
	if (s->clock == NULL)
		return s->base_ms + (tsc - s->base_tsc) / s->tsc_per_ms;
	c = &s->clock[s->dispatched ? 0 : queue];
	ms = __atomic_load_n(&c->ms, __ATOMIC_RELAXED);
	at = __atomic_load_n(&c->tsc, __ATOMIC_RELAXED);
	at = tsc > at ? (tsc - at) / s->tsc_per_ms : 0;
	return ms + (at >= SOURCE_CLOCK_QUIET_MS ? at : 0);
}

/* One burst from a live queue, stamped on arrival: one clock read per
 * burst, not per packet (a burst is microseconds, a timestamp ms). */
static int
live_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	uint16_t n, i;
	uint64_t now;

	n = rte_eth_rx_burst(s->port_id, queue, pkts, SP_BURST);
	if (n == 0)
		return 0;
	now = sp_source_now_ms(s, queue, rte_rdtsc());
	for (i = 0; i < n; i++) {
		info[i].ts_ms = now;
		info[i].wire_len = rte_pktmbuf_pkt_len(pkts[i]);
		info[i].dlt = SP_DLT_EN10MB;
		if (unlikely(info[i].wire_len > s->snaplen))
			sp_port_snap(pkts[i], s->snaplen);
	}
	return n;
}

/* One burst, each packet at its RX timestamp: one division by a
 * reciprocal per packet, the unit read from the profile at start-up. A
 * packet the port left unstamped (net_pcap's infinite_rx) takes the
 * queue's clock now. */
static int
live_rx_ts(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	struct source_clock *c = &s->clock[queue];
	uint64_t tsc, now, ts;
	uint16_t n, i;

	n = rte_eth_rx_burst(s->port_id, queue, pkts, SP_BURST);
	if (n == 0)
		return 0;
	tsc = rte_rdtsc();
	now = sp_source_now_ms(s, queue, tsc);
	for (i = 0; i < n; i++) {
		ts = *RTE_MBUF_DYNFIELD(pkts[i], s->ts_off, rte_mbuf_timestamp_t *);
		info[i].ts_ms = (pkts[i]->ol_flags & s->ts_flag) ?
			rte_reciprocal_divide_u64(ts, &s->ts_per_ms) : now;
		info[i].wire_len = rte_pktmbuf_pkt_len(pkts[i]);
		info[i].dlt = SP_DLT_EN10MB;
		if (unlikely(info[i].wire_len > s->snaplen))
			sp_port_snap(pkts[i], s->snaplen);
	}
	__atomic_store_n(&c->ms, info[n - 1].ts_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&c->tsc, tsc, __ATOMIC_RELAXED);
	return n;
}

static double
live_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	(void)s;
	if (bytes_read != NULL)
		*bytes_read = 0;
	return -1.0;
}

static void
live_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	uint64_t missed, nombuf;

	memset(st, 0, sizeof(*st));
	/* Losses before the workers saw the packets: the NIC had no
	 * descriptor or the kernel no room in the AF_PACKET ring (missed),
	 * or no mbuf (rx_nombuf). */
	if (sp_port_live_losses(s->port, &missed, &nombuf) == 0) {
		st->lost = missed + nombuf;
		st->missed = missed;
	}
}

static const struct source_ops live_ops = {
	.rx = live_rx,
	.progress = live_progress,
	.get_stats = live_get_stats,
};

static const struct source_ops live_ts_ops = {
	.rx = live_rx_ts,
	.progress = live_progress,
	.get_stats = live_get_stats,
};

/* --- the interface -------------------------------------------------------- */

unsigned int
sp_source_files_mbufs(const struct sp_source_files_params *p)
{
	if (p->capture.n_files == 0)
		return SP_SOURCE_LIVE_MBUFS * p->n_workers;
	if (!p->dispatched)
		return p->capture.pmd ? SP_SOURCE_MBUFS : SP_SOURCE_MBUFS_OWN_READER;
	return SP_SOURCE_MBUFS + p->n_workers * p->rx_ring_size;
}

size_t
sp_source_mbufs_heap_size(unsigned int n)
{
	return sp_mempool_heap_size(n, sizeof(struct rte_mbuf) + SP_MBUF_PRIV_SIZE +
				    RTE_MBUF_DEFAULT_BUF_SIZE, SP_SOURCE_MBUF_CACHE, 4096);
}

struct sp_source *
sp_source_files_open(const struct sp_source_files_params *p, char *err, size_t errlen)
{
	struct sp_capture_params cp = p->capture;
	unsigned int n = sp_source_files_mbufs(p);
	struct sp_source *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "input: %s", strerror(ENOMEM));
		rte_errno = ENOMEM;
		return NULL;
	}
	s->ops = &files_ops;
	s->dispatched = p->dispatched;
	s->pool = rte_pktmbuf_pool_create("sp_mbufs", n, SP_SOURCE_MBUF_CACHE,
					  p->dispatched ? SP_MBUF_PRIV_SIZE : 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, p->socket_id);
	if (s->pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s (%u mbufs need %.1f MB of DPDK memory; give "
			 "the EAL more with -m)", rte_strerror(rte_errno), n,
			 (double)sp_source_mbufs_heap_size(n) / (1 << 20));
		free(s);
		rte_errno = ENOMEM;
		return NULL;
	}
	cp.pool = s->pool;
	/* one worker reads: the main lcore's CPU has time for the read()
	 * calls; dispatched, the main lcore reads and keeps it busy */
	cp.read_ahead = !p->dispatched && p->read_ahead;
	s->cap = sp_capture_open(&cp, err, errlen);
	if (s->cap == NULL) {
		sp_source_close(s);
		rte_errno = EIO;
		return NULL;
	}
	s->n_dlts = sp_capture_n_files(s->cap);
	s->dlts = calloc(s->n_dlts, sizeof(*s->dlts));
	if (s->dlts == NULL) {
		snprintf(err, errlen, "input: %s", strerror(ENOMEM));
		sp_source_close(s);
		rte_errno = ENOMEM;
		return NULL;
	}
	for (n = 0; n < s->n_dlts; n++)
		s->dlts[n] = sp_capture_file_dlt(s->cap, n);
	return s;
}

struct sp_source *
sp_source_live_open(const struct sp_port_live_params *p, uint32_t snaplen, char *err,
		    size_t errlen)
{
	struct sp_source *s;
	struct timespec ts;
	uint32_t per_ms;
	uint16_t q;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "input: %s", strerror(ENOMEM));
		rte_errno = ENOMEM;
		return NULL;
	}
	s->port = sp_port_live_open(p, err, errlen);
	if (s->port == NULL) {
		free(s);
		return NULL;
	}
	s->ops = &live_ops;
	s->live = true;
	s->n_dlts = 1;
	s->dlts = calloc(1, sizeof(*s->dlts));
	if (s->dlts == NULL) {
		snprintf(err, errlen, "input: %s", strerror(ENOMEM));
		sp_source_close(s);
		rte_errno = ENOMEM;
		return NULL;
	}
	s->dlts[0] = SP_DLT_EN10MB;
	s->dispatched = sp_port_live_dispatched(s->port);
	s->port_id = sp_port_live_id(s->port);
	s->snaplen = snaplen;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->base_tsc = rte_rdtsc();
	s->base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	s->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (sp_port_live_rx_timestamp(s->port, &s->ts_off, &s->ts_flag, &per_ms)) {
		s->clock = rte_zmalloc("sp_source_clock", sizeof(*s->clock) *
				       sp_port_live_queues(s->port), RTE_CACHE_LINE_SIZE);
		if (s->clock == NULL) {
			snprintf(err, errlen, "input: %s", strerror(ENOMEM));
			sp_source_close(s);
			rte_errno = ENOMEM;
			return NULL;
		}
		/* the wall clock until the first stamped burst */
		for (q = 0; q < sp_port_live_queues(s->port); q++) {
			s->clock[q].ms = s->base_ms;
			s->clock[q].tsc = s->base_tsc;
		}
		s->ts_per_ms = rte_reciprocal_value_u64(per_ms);
		s->ops = &live_ts_ops;
	}
	return s;
}

int
sp_source_close(struct sp_source *s)
{
	int ret;

	if (s == NULL)
		return 0;
	sp_capture_close(s->cap);
	ret = sp_port_live_close(s->port);
	rte_mempool_free(s->pool);
	rte_free(s->clock);
	free(s->dlts);
	free(s);
	return ret;
}

uint64_t
sp_source_unread(const struct sp_source *s)
{
	return s->live ? sp_port_live_unread(s->port) : 0;
}

struct sp_port_live *
sp_source_port(const struct sp_source *s)
{
	return s->port;
}

bool
sp_source_dispatched(const struct sp_source *s)
{
	return s->dispatched;
}

const int *
sp_source_link_types(const struct sp_source *s, unsigned int *n)
{
	*n = s->n_dlts;
	return s->dlts;
}

int
sp_source_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts,
	     struct sp_rx_info *info)
{
	return s->ops->rx(s, queue, pkts, info);
}

bool
sp_source_is_live(const struct sp_source *s)
{
	return s->live;
}

double
sp_source_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	return s->ops->progress(s, bytes_read);
}

void
sp_source_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	s->ops->get_stats(s, st);
}
