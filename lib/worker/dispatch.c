/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include <sp_flow.h>

#include "sp_dispatch.h"
#include "sp_worker.h"
#include "worker_rx.h"

struct sp_dispatch {
	const struct sp_filter *filter;
	bool decode_tunnels;
	bool lossless;
	void (*wait_cb)(void *arg);
	void *wait_arg;
	unsigned int n_workers;
	uint64_t tick;			/* forced-monotonic clock over all input */
	struct rte_ring *rings[SP_DISPATCH_MAX_WORKERS];
	struct sp_dispatch_stats st;
	uint8_t *scratch;
	/* per-worker staging, so rings are fed in bursts */
	uint16_t n_out[SP_DISPATCH_MAX_WORKERS];
	struct rte_mbuf *out[SP_DISPATCH_MAX_WORKERS][SP_BURST];
};

struct sp_dispatch *
sp_dispatch_create(const struct sp_dispatch_params *p)
{
	struct sp_dispatch *d;
	unsigned int i;

	if (p == NULL || p->cfg == NULL || p->n_workers == 0 ||
	    p->n_workers > SP_DISPATCH_MAX_WORKERS) {
		rte_errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < p->n_workers; i++)
		if (p->rings[i] == NULL) {
			rte_errno = EINVAL;
			return NULL;
		}
	d = rte_zmalloc_socket("sp_dispatch", sizeof(*d), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (d == NULL)
		goto nomem;
	d->scratch = rte_malloc_socket("sp_dispatch_scratch", SP_RX_SCRATCH_SIZE,
				       RTE_CACHE_LINE_SIZE, p->socket_id);
	if (d->scratch == NULL)
		goto nomem;
	d->filter = p->filter;
	d->decode_tunnels = p->cfg->decode_tunnels;
	d->lossless = p->lossless;
	d->wait_cb = p->wait_cb;
	d->wait_arg = p->wait_arg;
	d->n_workers = p->n_workers;
	memcpy(d->rings, p->rings, sizeof(d->rings[0]) * p->n_workers);
	return d;
nomem:
	sp_dispatch_free(d);
	rte_errno = ENOMEM;
	return NULL;
}

void
sp_dispatch_free(struct sp_dispatch *d)
{
	if (d == NULL)
		return;
	rte_free(d->scratch);
	rte_free(d);
}

void
sp_dispatch_get_stats(const struct sp_dispatch *d, struct sp_dispatch_stats *s)
{
	*s = d->st;
}

static void
dispatch_flush(struct sp_dispatch *d, unsigned int wk)
{
	struct rte_mbuf **pkts = d->out[wk];
	unsigned int n = d->n_out[wk], done = 0;

	while (done < n) {
		done += rte_ring_sp_enqueue_burst(d->rings[wk], (void **)&pkts[done], n - done,
						  NULL);
		if (done == n)
			break;
		if (!d->lossless) {
			d->st.dropped_ring_full += n - done;
			sp_rx_unpoison(&pkts[done], n - done);
			rte_pktmbuf_free_bulk(&pkts[done], n - done);
			break;
		}
		d->st.waits++;
		/* lossless: the worker must run to make room (it may itself
		 * wait for its records to be drained); on an oversubscribed
		 * box that means yielding the CPU */
		if (d->wait_cb != NULL)
			d->wait_cb(d->wait_arg);
		sched_yield();
	}
	d->st.per_worker[wk] += done;
	d->n_out[wk] = 0;
}

void
sp_dispatch_burst(struct sp_dispatch *d, struct rte_mbuf **pkts, const struct sp_rx_info *info,
		  uint16_t n)
{
	struct sp_pkt_priv *pp;
	struct sp_flow_key k;
	const uint8_t *data;
	struct rte_mbuf *m;
	unsigned int r, wk;
	uint32_t caplen;
	uint16_t i;

	for (i = 0; i < n; i++) {
		m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		d->st.packets++;
		pp = sp_pkt_priv(m);
		r = sp_rx_prepare(d->filter, d->decode_tunnels, m, &info[i], d->scratch, &data,
				  &caplen, &pp->meta);
		if (r != SP_PARSE_OK) {
			if (r == SP_RX_FILTERED)
				d->st.filtered++;
			else
				d->st.ignored[r]++;
			sp_rx_unpoison(&m, 1);
			rte_pktmbuf_free(m);
			continue;
		}
		if (info[i].ts_ms > d->tick)
			d->tick = info[i].ts_ms;
		pp->t_ms = d->tick;
		pp->ip_len = (uint16_t)(caplen - pp->meta.ip_offset);
		sp_flow_key_make(&pp->meta, &k);
		pp->hash = sp_flow_key_hash(&k);
		wk = sp_dispatch_worker_of(pp->hash, d->n_workers);
		d->out[wk][d->n_out[wk]++] = m;
		if (d->n_out[wk] == SP_BURST)
			dispatch_flush(d, wk);
	}
	for (wk = 0; wk < d->n_workers; wk++)
		if (d->n_out[wk] > 0)
			dispatch_flush(d, wk);
}
