/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker fast path. The per-packet sequence reproduces NFStream's meter
 * (meter.py meter_workflow + consume, docs/nfstream-semantics.md §5.1) exactly, because the
 * sequence decides which packets start new flow incarnations and in which
 * order flows are exported:
 *
 *   force time monotonic → decide the idle scan → look the flow up →
 *   expire it first if this packet finds it idle/active (the packet then
 *   starts a new flow) → account → run the idle scan if decided.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* ppoll() */
#endif
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include <sp_export_set.h>
#include <sp_mem.h>

#include "sp_worker.h"
#include "worker_rx.h"

/* NFStream's scan runs at most once per 10 ms of packet time and expires at
 * most 1000 flows per run (meter.py). */
#define WORKER_SCAN_PERIOD_MS 10
#define WORKER_SCAN_BUDGET 1000
#define WORKER_RING_SIZE 4096
/* The records out of the pool at once: the export ring full (4095), both
 * lcores' mempool caches at their flush threshold (1.5 x 256 each: the
 * worker's after live drops, the management lcore's after its puts), one
 * drain burst being written and the record in the worker's hands. The
 * pool held 8191 before, 3263 of them (4 MB) never taken, and creating
 * it took 14-33 ms at start-up, 5-14 ms now (a 1,000-packet
 * capture). Sized so, the worker waits on the ring, never on the pool. */
#define WORKER_RECORDS_CACHE 256
#define WORKER_RECORDS (WORKER_RING_SIZE - 1 + 2 * (WORKER_RECORDS_CACHE * 3 / 2) + \
			SP_EXPORT_SET_BURST + 1)
/* Records in flight take at most this much memory: a record with the SPLT
 * lists of --splt-analysis 65535 is 852 KB, and 8191 of them were 7 GB
 * written at start. Larger records get a smaller pool (offline the worker
 * waits for the management lcore to free one; live, a full pool is a
 * counted drop). */
#define WORKER_RECORDS_BYTES (256u << 20)
#define WORKER_RECORDS_MIN 255
/* Offline (params.records_grow), the pool starts with this many records
 * and the management lcore adds chunks of twice the last while the worker
 * finds it empty (sp_worker_records_grow()), up to worker_records(): a run
 * of few flows never writes the rest. Writing all 4,928 records (1,216 B
 * each with nDPI's columns, 6 MB of fresh EAL pages) was 5.5-8 ms of a
 * 1,000-packet run's start-up on an idle machine, 30-55 ms on a loaded one;
 * 256 of them take a twentieth. At most 5 chunks: 256, 512, 1,024, 2,048
 * and the rest. */
#define WORKER_RECORDS_FIRST 256u
#define WORKER_RECORDS_CHUNKS_MAX 5

/* The ops' per-flow calls and slot size copied next to the context: the
 * loop over the hooks at a flow's first packet then reads one cache line
 * per hook, not the ops too. */
struct worker_hook {
	int (*flow_init)(void *ctx, void *slot, struct sp_hook_pkt *p,
			 const struct sp_flow_state *st);
	int (*flow_update)(void *ctx, void *slot, struct sp_hook_pkt *p,
			   const struct sp_flow_state *st);
	void *ctx;
	uint8_t *slots;
	size_t slot_size;
	const struct sp_flow_ops *ops;
};

struct sp_worker {
	struct sp_features_params fp;
	uint64_t tick;			/* time of the last packet, ms */
	uint64_t rx_tick;		/* single-worker path: the forced clock */
	uint64_t scan_tick;
	struct sp_flow_table *table;
	const struct sp_filter *filter;
	struct rte_ring *ring;
	struct rte_ring *rx_ring;	/* packets from the dispatcher, or NULL */
	struct rte_mempool *rec_pool;
	int socket_id;
	/* Records of the pool's next chunk (sp_worker_records_grow(), the
	 * management lcore's only); 0: the pool is whole. */
	unsigned int rec_chunk;
	/* The management lcore's wake-up (sp_worker_export_fd()): written
	 * when the export ring passes notify_mark records while armed, then
	 * disarmed until the ring is back under half the mark, so one write
	 * per filling, none on the common path. */
	int notify_fd;
	bool notify_armed;
	unsigned int notify_mark;
	bool lossless;
	bool decode_tunnels;
	volatile bool stop_export;
	bool lru;			/* last-seen order (live, --lru-idle-scan) */
	/* No hook, no statistics, no SPLT, no last-seen order: the packet
	 * loop's copy without a test of them (sp_worker_process_burst()). */
	bool plain;
	uint32_t max_flows;		/* the table's capacity (sp_worker_capacity()) */
	uint64_t mem_share;		/* its --max-memory share, 0: a fixed --max-flows */
	unsigned int n_hooks;
	/* The hooks with a flow_expire, in hook order: a flow's end walks
	 * only these (8 done plugins without one cost 8 empty turns a flow). */
	unsigned int n_expire_hooks;
	uint8_t expire_hook[SP_WORKER_MAX_HOOKS];
	uint16_t update_mask;		/* the hooks that have a flow_update */
	struct worker_hook hook[SP_WORKER_MAX_HOOKS];
	/* Per flow: the hooks still to be called on its packets (bit i: hook
	 * i). A hook that said done is skipped without a call or a touch of
	 * its slot: nDPI is done after a few packets of most flows. 16 bits
	 * (2 bytes a flow) for nDPI and up to 15 plugins: read and written
	 * once a packet as the 8 bits were, at the same cost (callgrind,
	 * BENCHMARKS.md "Plugins"). */
	uint16_t *active;
	struct sp_worker_stats st;
	struct sp_flow_record *scratch_rec;	/* for flows whose record is not kept */
	struct sp_hook_flows flows;	/* what hooks read of a flow beyond its state */
	uint8_t *scratch;		/* linearised multi-segment frames */
	unsigned int id;		/* for the hooks' worker_init again (sp_worker_reset()) */
	/* Set by the worker when the pool was empty while it could still
	 * grow, cleared by the management lcore once it grew: on a line of
	 * its own, since the management lcore reads it every loop. */
	bool rec_starved __rte_cache_aligned;
};

struct rte_ring *
sp_worker_export_ring(const struct sp_worker *w)
{
	return w->ring;
}

struct rte_ring *
sp_worker_rx_ring(const struct sp_worker *w)
{
	return w->rx_ring;
}

struct rte_mempool *
sp_worker_record_pool(const struct sp_worker *w)
{
	return w->rec_pool;
}

void
sp_worker_wait_exports(struct sp_worker *const *w, unsigned int n, uint32_t wait_us)
{
	struct pollfd fds[SP_MAX_WORKERS];
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)wait_us * 1000 };
	unsigned int i;
	uint64_t v;

	n = RTE_MIN(n, (unsigned int)SP_MAX_WORKERS);
	for (i = 0; i < n; i++) {
		fds[i].fd = w[i]->notify_fd;
		fds[i].events = POLLIN;
		fds[i].revents = 0;
	}
	if (ppoll(fds, n, &ts, NULL) <= 0)
		return;		/* the timeout, or a signal: the caller looks again */
	for (i = 0; i < n; i++)
		if (fds[i].revents & POLLIN)
			(void)!read(fds[i].fd, &v, sizeof(v));
}

uint64_t
sp_worker_stats_ignored(const struct sp_worker_stats *s)
{
	uint64_t n = 0;
	unsigned int r;

	for (r = 1; r < SP_PARSE_RESULTS; r++)
		n += s->ignored[r];
	return n;
}

int
sp_worker_export_fd(const struct sp_worker *w)
{
	return w->notify_fd;
}

void
sp_worker_export_notify(struct sp_worker *w)
{
	uint64_t one = 1;

	/* non-blocking: EAGAIN only when the counter is saturated, and the
	 * management lcore has a wake-up pending then anyway */
	if (write(w->notify_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		w->st.export_signals++;
}

/* The ring holds used records after an enqueue (or a failed one): wake
 * the management lcore once when it passes the mark, re-arm when it is
 * drained again. A branch per record; the write once per filling. */
static inline void
worker_export_mark(struct sp_worker *w, unsigned int used)
{
	if (used >= w->notify_mark) {
		if (w->notify_armed) {
			w->notify_armed = false;
			sp_worker_export_notify(w);
		}
	} else if (used < w->notify_mark / 2) {
		w->notify_armed = true;
	}
}

void
sp_worker_get_stats(const struct sp_worker *w, struct sp_worker_stats *s)
{
	*s = w->st;
	s->flows_active = sp_flow_count(w->table);
}

void *
sp_worker_hook_ctx(const struct sp_worker *w, const struct sp_flow_ops *ops)
{
	unsigned int i;

	for (i = 0; i < w->n_hooks; i++)
		if (w->hook[i].ops == ops)
			return w->hook[i].ctx;
	return NULL;
}

void
sp_worker_stop_export(struct sp_worker *w)
{
	w->stop_export = true;
}

/* The records pool's size: WORKER_RECORDS, or for large records the
 * largest 2^k - 1 (as rte_mempool likes it) within WORKER_RECORDS_BYTES. */
static unsigned int
worker_records(size_t rec_size)
{
	unsigned int n = WORKER_RECORDS;

	while (n > WORKER_RECORDS_MIN && (size_t)n * rec_size > WORKER_RECORDS_BYTES)
		n = n == WORKER_RECORDS ? 4095 : n >> 1;
	return n;
}

/* A per-lcore cache only where the pool is large enough for one (a
 * cache may hold 1.5x its size: 384 of 255 records would be all). */
static unsigned int
worker_records_cache(unsigned int n_rec)
{
	return n_rec > 4 * WORKER_RECORDS_CACHE ? WORKER_RECORDS_CACHE : 0;
}

/* Heap bytes the pools that grow may still take, all workers together: a
 * pool is only created to grow when the heap has room for all of them, so
 * an EAL given too little memory (-m) is said at start, as when the pools
 * were whole, rather than leaving a worker with a smaller pool later. */
static uint64_t worker_records_promised;

static size_t
worker_records_bytes(const struct rte_mempool *mp, unsigned int n)
{
	return (size_t)n * (mp->header_size + mp->elt_size + mp->trailer_size);
}

static void
worker_chunk_free(struct rte_mempool_memhdr *memhdr, void *opaque)
{
	RTE_SET_USED(memhdr);
	rte_free(opaque);
}

/* Up to n more records in the pool, from one chunk of heap memory.
 * Returns how many were added, or -errno. */
static int
worker_records_add(struct rte_mempool *mp, unsigned int n, int socket_id)
{
	size_t len = worker_records_bytes(mp, n);
	void *mem;
	int ret;

	mem = rte_malloc_socket("sp_records", len, RTE_CACHE_LINE_SIZE, socket_id);
	if (mem == NULL)
		return -ENOMEM;
	/* records never reach a device: no IOVA, packed across pages */
	ret = rte_mempool_populate_iova(mp, mem, RTE_BAD_IOVA, len, worker_chunk_free, mem);
	if (ret <= 0) {
		rte_free(mem);
		return ret < 0 ? ret : -ENOSPC;
	}
	return ret;
}

unsigned int
sp_worker_records_first(unsigned int n_rec, bool grow)
{
	return grow ? RTE_MIN(n_rec, WORKER_RECORDS_FIRST) : n_rec;
}

/* The records pool: n_rec records, all of them now, or (grow) the first
 * chunk and the rest while the run needs them (rte_mempool_create() but
 * for the objects it would write at once). Records are never given to a
 * device: with NO_IOVA_CONTIG the mempool packs them across page
 * boundaries (without it, on 4 KiB pages, 2 records of 1.5 KB took a page
 * each: 25 % more memory, and more than sp_worker_heap_size() counted). */
static struct rte_mempool *
worker_records_pool(struct sp_worker *w, const char *name, unsigned int n_rec,
		    size_t rec_size, bool grow)
{
	unsigned int first = sp_worker_records_first(n_rec, grow);
	struct rte_malloc_socket_stats st;
	struct rte_mempool *mp;
	size_t rest;
	int ret;

	/* whole: the flag stays set (see sp_worker_records_grow()) */
	w->rec_starved = true;
	if (first == n_rec)
		return rte_mempool_create(name, n_rec, rec_size, worker_records_cache(n_rec), 0,
					  NULL, NULL, NULL, NULL, w->socket_id,
					  RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	mp = rte_mempool_create_empty(name, n_rec, rec_size, worker_records_cache(n_rec), 0,
				      w->socket_id, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	/* rte_mempool_create()'s for these flags */
	ret = rte_mempool_set_ops_byname(mp, "ring_mp_mc", NULL);
	if (ret == 0)
		ret = worker_records_add(mp, first, w->socket_id);
	rest = worker_records_bytes(mp, n_rec - first);
	if (ret >= 0 && (rte_malloc_get_socket_stats(w->socket_id == SOCKET_ID_ANY ?
			 (int)rte_socket_id() : w->socket_id, &st) != 0 ||
			 st.heap_freesz_bytes < __atomic_load_n(&worker_records_promised,
								__ATOMIC_RELAXED) + rest))
		ret = -ENOMEM;
	if (ret < 0) {
		rte_mempool_free(mp);
		rte_errno = -ret;
		return NULL;
	}
	__atomic_fetch_add(&worker_records_promised, rest, __ATOMIC_RELAXED);
	w->rec_chunk = RTE_MIN(2 * first, n_rec - first);
	w->rec_starved = false;
	return mp;
}

void
sp_worker_records_grow(struct sp_worker *w)
{
	struct rte_mempool *mp = w->rec_pool;
	unsigned int left;

	if (w->rec_chunk == 0 || !__atomic_load_n(&w->rec_starved, __ATOMIC_ACQUIRE))
		return;
	if (worker_records_add(mp, w->rec_chunk, w->socket_id) < 0) {
		/* no heap left after all (another user took it): the pool
		 * stays as it is, and the worker waits for freed records, as
		 * with a smaller pool */
		__atomic_fetch_sub(&worker_records_promised,
				   worker_records_bytes(mp, mp->size - mp->populated_size),
				   __ATOMIC_RELAXED);
		w->rec_chunk = 0;
		return;
	}
	__atomic_fetch_sub(&worker_records_promised, worker_records_bytes(mp, w->rec_chunk),
			   __ATOMIC_RELAXED);
	left = mp->size - mp->populated_size;
	w->rec_chunk = RTE_MIN(2 * w->rec_chunk, left);
	/* whole: the flag stays, so that the worker's waits go back to the
	 * export ring's mark alone */
	if (w->rec_chunk != 0)
		__atomic_store_n(&w->rec_starved, false, __ATOMIC_RELEASE);
}

uint32_t
sp_worker_capacity(const struct sp_worker_params *p, size_t *flow_bytes)
{
	const struct sp_config *cfg = p->cfg;
	struct sp_features_params fp = { .accounting_mode = cfg->accounting_mode,
		.statistical = cfg->statistical, .splt_n = cfg->splt_n };
	size_t per = sp_flow_table_flow_size(&fp);
	bool active = false;
	uint64_t n;
	unsigned int i;

	for (i = 0; i < p->n_hooks; i++) {
		per += p->hooks[i]->slot_size;
		if (p->hooks[i]->flow_mem != NULL)
			per += p->hooks[i]->flow_mem(p->hooks[i]->arg);
		active |= p->hooks[i]->flow_update != NULL;
	}
	if (active)
		per += sizeof(uint16_t);	/* the hook mask */
	if (flow_bytes != NULL)
		*flow_bytes = per;
	/* Live, or --max-flows given: the fixed capacity. */
	if (!p->lossless || cfg->max_memory == 0)
		return cfg->max_flows;
	n = cfg->max_memory / RTE_MAX(cfg->n_workers, 1u) / per;
	return (uint32_t)RTE_MAX(RTE_MIN(n, (uint64_t)SP_MAX_MAX_FLOWS),
				 (uint64_t)SP_MIN_MAX_FLOWS);
}

uint32_t
sp_worker_max_flows(const struct sp_worker *w, uint64_t *mem_share)
{
	if (mem_share != NULL)
		*mem_share = w->mem_share;
	return w->max_flows;
}

struct sp_worker *
sp_worker_create(const struct sp_worker_params *p)
{
	struct sp_flow_table_params tp;
	struct sp_worker *w;
	char name[RTE_MEMZONE_NAMESIZE];
	unsigned int i, n_rec;
	size_t rec_size;

	if (p == NULL || p->cfg == NULL || p->n_hooks > SP_WORKER_MAX_HOOKS) {
		rte_errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc_socket("sp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->notify_fd = -1;
	w->id = p->id;
	w->socket_id = p->socket_id;
	w->fp.accounting_mode = p->cfg->accounting_mode;
	w->fp.statistical = p->cfg->statistical;
	w->fp.splt_n = p->cfg->splt_n;
	w->filter = p->filter;
	w->lossless = p->lossless;
	w->decode_tunnels = p->cfg->decode_tunnels;
	w->max_flows = sp_worker_capacity(p, NULL);
	if (p->lossless && p->cfg->max_memory != 0)
		w->mem_share = p->cfg->max_memory / RTE_MAX(p->cfg->n_workers, 1u);
	w->lru = p->cfg->lru_idle_scan;

	snprintf(name, sizeof(name), "sp_flows_%u", p->id);
	memset(&tp, 0, sizeof(tp));
	tp.name = name;
	tp.max_flows = w->max_flows;
	tp.grow = p->lossless;
	tp.socket_id = p->socket_id;
	tp.features = &w->fp;
	tp.idle_timeout_ms = p->cfg->idle_timeout_ms;
	tp.active_timeout_ms = p->cfg->active_timeout_ms;
	w->table = sp_flow_table_create(&tp);
	if (w->table == NULL)
		goto fail;

	/* Single producer (this worker), single consumer (management lcore). */
	snprintf(name, sizeof(name), "sp_export_%u", p->id);
	w->ring = rte_ring_create(name, WORKER_RING_SIZE, p->socket_id,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	rec_size = sp_record_size_ext(p->cfg->splt_n, p->cfg->record_ext_size);
	n_rec = worker_records(rec_size);
	snprintf(name, sizeof(name), "sp_records_%u", p->id);
	/* Live, a full pool is a drop: all of it now. */
	w->rec_pool = worker_records_pool(w, name, n_rec, rec_size,
					  p->records_grow && p->lossless);
	w->scratch_rec = rte_zmalloc_socket("sp_scratch_rec", rec_size, RTE_CACHE_LINE_SIZE,
					    p->socket_id);
	w->scratch = rte_malloc_socket("sp_scratch", SP_RX_SCRATCH_SIZE, RTE_CACHE_LINE_SIZE,
				       p->socket_id);
	if (p->rx_ring_size > 0) {
		snprintf(name, sizeof(name), "sp_rx_%u", p->id);
		w->rx_ring = rte_ring_create(name, p->rx_ring_size, p->socket_id,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->rx_ring == NULL) {
			rte_errno = ENOMEM;
			goto fail;
		}
	}
	/* The mark: a quarter of what the ring can hold, or of the pool when
	 * that is smaller (large records): a worker waiting for a record or
	 * for room has always passed it, so the wait woke the management
	 * lcore, and a live worker's ring wakes it long before it is full. */
	w->notify_mark = RTE_MAX(RTE_MIN(WORKER_RING_SIZE - 1u, n_rec) / 4, 1u);
	w->notify_armed = true;
	w->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->notify_fd < 0) {
		rte_errno = errno;
		goto fail;
	}
	/* rte_malloc() leaves rte_errno as it was: name the cause here */
	if (w->ring == NULL || w->rec_pool == NULL || w->scratch_rec == NULL ||
	    w->scratch == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}

	w->flows.fp = &w->fp;
	w->flows.table = w->table;
	w->flows.snap = w->scratch_rec;
	for (i = 0; i < p->n_hooks; i++) {
		struct worker_hook *h = &w->hook[i];

		h->ops = p->hooks[i];
		h->flow_init = h->ops->flow_init;
		h->flow_update = h->ops->flow_update;
		h->slot_size = h->ops->slot_size;
		if (h->ops->worker_init != NULL) {
			h->ctx = h->ops->worker_init(h->ops->arg, p->id, p->socket_id,
						     w->max_flows);
			if (h->ctx == NULL)
				goto fail;
		}
		w->n_hooks++;
		if (h->ops->flow_update != NULL)
			w->update_mask |= (uint16_t)(1u << i);
		if (h->ops->flow_expire != NULL)
			w->expire_hook[w->n_expire_hooks++] = (uint8_t)i;
		if (h->ops->slot_size > 0) {
			h->slots = sp_mem_alloc("sp_hook_slots",
						h->ops->slot_size * w->max_flows,
						p->socket_id);
			if (h->slots == NULL)
				goto fail;
		}
	}
	if (w->update_mask != 0) {
		w->active = sp_mem_alloc("sp_hooks_active",
					 sizeof(*w->active) * w->max_flows, p->socket_id);
		if (w->active == NULL)
			goto fail;
	}
	w->plain = w->n_hooks == 0 && !w->fp.statistical && w->fp.splt_n == 0 && !w->lru;
	return w;
fail:
	if (rte_errno == 0)
		rte_errno = ENOMEM;
	sp_worker_free(w);
	return NULL;
}

size_t
sp_mempool_heap_size(unsigned int n, size_t elt_size, unsigned int cache_size, size_t pg_size)
{
	struct rte_mempool_objsz sz;
	size_t total, ring, obj;

	/* the objects with their mempool header and trailer; a pool that may
	 * be given to a device keeps each object within a page, as DPDK's
	 * rte_mempool_op_calc_mem_size_helper() lays them out (on 4 KiB
	 * pages an mbuf of 2.4 KB takes a whole page) */
	obj = rte_mempool_calc_obj_size((uint32_t)elt_size, 0, &sz);
	if (pg_size == 0 || obj > pg_size)
		total = obj * n;
	else
		total = (size_t)(n / (pg_size / obj)) * pg_size + (n % (pg_size / obj)) * obj +
			pg_size;
	/* the pool's header: with a cache, one per possible lcore
	 * (RTE_MAX_LCORE of them, 1.5 MB: it was the part the old estimate
	 * missed) */
	total += sizeof(struct rte_mempool) + RTE_CACHE_LINE_SIZE;
	if (cache_size != 0)
		total += (size_t)RTE_MAX_LCORE * sizeof(struct rte_mempool_cache);
	/* its ring of free objects */
	ring = rte_ring_get_memsize(rte_align32pow2(n + 1));
	return total + ring + 2 * RTE_CACHE_LINE_SIZE;
}

void
sp_worker_create_strerror(const struct sp_worker_params *p, bool user_eal, char *buf,
			  size_t len)
{
	struct rte_malloc_socket_stats st;
	double need = (double)sp_worker_heap_size(p->cfg, p->rx_ring_size) / (1 << 20);
	double free_mb;
	size_t flow_bytes;
	uint32_t capacity = sp_worker_capacity(p, &flow_bytes);

	if (rte_errno != ENOMEM) {
		snprintf(buf, len, "worker %u: %s", p->id, rte_strerror(rte_errno));
		return;
	}
	memset(&st, 0, sizeof(st));
	rte_malloc_get_socket_stats(p->socket_id, &st);
	free_mb = (double)st.heap_freesz_bytes / (1 << 20);
	/* with hugepages the flow table and nDPI states come from the heap
	 * too; without, only the records and rings do */
	if (rte_eal_has_hugepages())
		snprintf(buf, len, "worker %u: out of DPDK memory on socket %d (%.1f MB free): "
			 "each worker needs %.1f MB for its records plus its flow table and nDPI "
			 "states, which --max-flows sizes (now %u flows); give the EAL more "
			 "hugepage memory (-m, --socket-mem) or lower --max-flows", p->id,
			 p->socket_id, free_mb, need, p->cfg->max_flows);
	else if (user_eal)
		snprintf(buf, len, "worker %u: out of DPDK memory (%.1f MB free): each worker "
			 "needs %.1f MB (its records; --splt-analysis sets their size) besides the "
			 "mbufs; give the EAL more with -m", p->id, free_mb, need);
	else if (p->lossless && p->cfg->max_memory != 0)
		snprintf(buf, len, "worker %u: out of memory: each worker needs %.1f MB of DPDK "
			 "memory, and reserves its share of --max-memory (%.0f MB: %u flows of "
			 "%zu bytes) for its flow table, taken as flows come; lower --max-memory",
			 p->id, need, (double)p->cfg->max_memory / RTE_MAX(p->cfg->n_workers, 1u) /
			 (1 << 20), capacity, flow_bytes);
	else
		snprintf(buf, len, "worker %u: out of memory: each worker needs %.1f MB of DPDK "
			 "memory besides its flow table (--max-flows)", p->id, need);
}

size_t
sp_worker_heap_size(const struct sp_config *cfg, unsigned int rx_ring_size)
{
	size_t rec_size = sp_record_size_ext(cfg->splt_n, cfg->record_ext_size);
	unsigned int n_rec = worker_records(rec_size);
	size_t total;

	total = sp_mempool_heap_size(n_rec, rec_size, worker_records_cache(n_rec), 0);
	total += rte_ring_get_memsize(WORKER_RING_SIZE);
	if (rx_ring_size > 0)
		total += rte_ring_get_memsize(rx_ring_size);
	/* the worker, its scratch record and area, the flow table's header
	 * and the hooks' contexts; nDPI's state map (1 bit a flow) is with
	 * the tables (sp_mem.h), counted here for the live hugepage case
	 * where they are heap memory (reading files they never are) */
	total += sizeof(struct sp_worker) + rec_size + SP_RX_SCRATCH_SIZE;
	total += (cfg->max_memory != 0 ? 0 : cfg->max_flows / 8) + (64u << 10);
	/* each allocation's heap element header and alignment (the records'
	 * chunks are allocations of their own) */
	return total + (16 + WORKER_RECORDS_CHUNKS_MAX) * 2 * RTE_CACHE_LINE_SIZE;
}

void
sp_worker_free(struct sp_worker *w)
{
	unsigned int i;
	int err = rte_errno;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_hooks; i++) {
		/* a context a failed sp_worker_reset() left NULL is finished */
		if (w->hook[i].ops->worker_fini != NULL &&
		    (w->hook[i].ctx != NULL || w->hook[i].ops->worker_init == NULL))
			w->hook[i].ops->worker_fini(w->hook[i].ctx);
		if (w->hook[i].ops->slot_size > 0)
			sp_mem_free(w->hook[i].slots, w->hook[i].ops->slot_size * w->max_flows);
	}
	sp_mem_free(w->active, sizeof(*w->active) * w->max_flows);
	sp_flow_table_free(w->table);
	rte_ring_free(w->ring);
	rte_ring_free(w->rx_ring);
	if (w->rec_pool != NULL && w->rec_chunk != 0)	/* never grown to the end */
		__atomic_fetch_sub(&worker_records_promised,
				   worker_records_bytes(w->rec_pool, w->rec_pool->size -
							w->rec_pool->populated_size),
				   __ATOMIC_RELAXED);
	rte_mempool_free(w->rec_pool);
	rte_free(w->scratch_rec);
	rte_free(w->scratch);
	if (w->notify_fd >= 0)
		close(w->notify_fd);
	rte_free(w);
	rte_errno = err;
}

static inline void *
worker_slot(const struct worker_hook *h, int32_t idx)
{
	/* in integers: a hook without slots has slot_size 0, so NULL */
	return (void *)((uintptr_t)h->slots + (size_t)idx * h->slot_size);
}

/* A flow leaves the table: build its record and hand it to the management
 * lcore. Called by the flow table before it removes the flow. */
static void
worker_expire(struct sp_flow_table *t, int32_t idx, int8_t expiration_id, void *arg)
{
	struct sp_worker *w = arg;
	const struct sp_flow_state *st = sp_flow_state_at(t, idx);
	struct sp_flow_record *rec = NULL;
	unsigned int i, room;
	void *obj;

	if (!w->stop_export) {
		while (rte_mempool_get(w->rec_pool, &obj) != 0) {
			if (!w->lossless)
				break;
			/* A pool that can grow: the management lcore adds
			 * records once woken (sp_worker_records_grow()). */
			if (!__atomic_load_n(&w->rec_starved, __ATOMIC_RELAXED)) {
				__atomic_store_n(&w->rec_starved, true, __ATOMIC_RELEASE);
				sp_worker_export_notify(w);
			}
			/* the ring is past the mark: wake the management
			 * lcore if that filling did not yet */
			worker_export_mark(w, rte_ring_count(w->ring));
			w->st.export_waits++;
			rte_pause();
		}
		rec = obj;
	}
	if (rec == NULL)
		rec = w->scratch_rec;
	rec->splt_n = w->fp.splt_n;
	sp_features_export(&w->fp, st, sp_flow_stats_at(t, idx),
			   sp_flow_splt_at(t, idx), expiration_id, rec);
	/* Hooks always run: they release their per-flow state here. */
	for (i = 0; i < w->n_expire_hooks; i++) {
		const struct worker_hook *h = &w->hook[w->expire_hook[i]];

		h->ops->flow_expire(h->ctx, worker_slot(h, idx), st, rec);
	}
	if (rec == w->scratch_rec) {
		if (!w->stop_export)
			w->st.records_dropped++;
		return;
	}
	/* the free room comes with the enqueue: the mark costs no extra
	 * read of the consumer's index */
	while (rte_ring_sp_enqueue_bulk(w->ring, (void **)&rec, 1, &room) == 0) {
		worker_export_mark(w, WORKER_RING_SIZE - 1 - room);
		if (!w->lossless) {
			rte_mempool_put(w->rec_pool, rec);
			w->st.records_dropped++;
			return;
		}
		w->st.export_waits++;
		rte_pause();
	}
	worker_export_mark(w, WORKER_RING_SIZE - 1 - room);
	w->st.flows_exported++;
}

/* A hook asked to end the flow (NFStream's expiration_id -1): exported
 * and removed now, after the packet that asked. */
static void
worker_expire_custom(struct sp_worker *w, int32_t idx)
{
	worker_expire(w->table, idx, -1, w);
	sp_flow_remove(w->table, idx);
}

/* The hooks still listening to a flow get its packet; those that are done
 * leave its mask. */
static __rte_always_inline void
worker_hooks_update(struct sp_worker *w, int32_t idx, struct sp_hook_pkt *p,
		    const struct sp_flow_state *st)
{
	uint16_t mask = w->active[idx], left = mask;
	bool expire = false;
	unsigned int i;
	int v;

	while (left != 0) {
		i = (unsigned int)__builtin_ctz(left);
		left &= (uint16_t)(left - 1);
		v = w->hook[i].flow_update(w->hook[i].ctx, worker_slot(&w->hook[i], idx), p, st);
		if (v != SP_HOOK_CONTINUE) {
			mask &= (uint16_t)~(1u << i);
			expire |= v == SP_HOOK_EXPIRE;
		}
	}
	w->active[idx] = mask;
	if (unlikely(expire))
		worker_expire_custom(w, idx);
}

/* The hook packet, its view not built (no designated initializer: it
 * would zero the view's 80 bytes on every packet). */
static __rte_always_inline void
worker_hook_pkt(const struct sp_worker *w, struct sp_hook_pkt *p, const struct sp_pkt_meta *m,
		const uint8_t *ip, uint16_t ip_len, uint64_t t_ms, int dir)
{
	p->m = m;
	p->ip = ip;
	p->t_ms = t_ms;
	p->ip_len = ip_len;
	p->dir = (uint8_t)dir;
	p->view_ok = 0;
	p->flows = &w->flows;
}

static int32_t
worker_flow_new(struct sp_worker *w, uint32_t hash, const struct sp_pkt_meta *m,
		const uint8_t *ip, uint16_t ip_len, uint64_t t_ms)
{
	struct sp_flow_table *t = w->table;
	const struct sp_flow_state *st;
	struct sp_hook_pkt hp;
	bool expire = false;
	unsigned int i, n;
	uint16_t mask;
	int32_t idx;
	int v;

	idx = sp_flow_add(t, hash);
	while (idx == -ENOSPC && w->lossless) {
		/* Offline, a full table must not lose the packet: the oldest
		 * flow ends early instead (counted; the run warns once, naming
		 * --max-memory or --max-flows). Only past the memory limit:
		 * below it the table has grown (sp_flow_table_reserve()). */
		sp_flow_evict_oldest(t, worker_expire, w);
		w->st.flows_evicted++;
		idx = sp_flow_add(t, hash);
	}
	if (idx < 0)
		return idx;
	st = sp_flow_state_at(t, idx);
	sp_features_init(&w->fp, (struct sp_flow_state *)(uintptr_t)st, sp_flow_stats_at(t, idx),
			 sp_flow_splt_at(t, idx), m, t_ms);
	w->st.flows_created++;
	if (w->n_hooks == 0)
		return idx;
	/* Every hook sees the first packet, then the flow ends if one asked
	 * (NFStream runs every plugin's on_init before it looks at
	 * expiration_id). */
	worker_hook_pkt(w, &hp, m, ip, ip_len, t_ms, 0);
	mask = w->update_mask;
	/* n in a local: each call could change w->n_hooks for the compiler */
	for (i = 0, n = w->n_hooks; i < n; i++) {
		const struct worker_hook *h = &w->hook[i];

		if (h->flow_init == NULL)
			continue;
		v = h->flow_init(h->ctx, worker_slot(h, idx), &hp, st);
		if (v != SP_HOOK_CONTINUE) {
			mask &= (uint16_t)~(1u << i);
			expire |= v == SP_HOOK_EXPIRE;
		}
	}
	if (w->active != NULL)
		w->active[idx] = mask;
	if (unlikely(expire))
		worker_expire_custom(w, idx);
	return idx;
}

/*
 * What a burst keeps in registers rather than in the worker, written back
 * once a burst: the scan's clock and the counters every packet moves (no
 * one reads them within a burst: sp_worker_tick() and the stats come
 * between bursts), and the run's size index.
 */
struct worker_burst_ctx {
	uint64_t scan_tick;
	/* scan_tick + the period, or UINT64_MAX past it: before it no packet
	 * runs the scan, so the common packet compares once */
	uint64_t scan_due;
	uint64_t in_flows;
	uint64_t bytes;
	/* worker_size_shift(sp_features_size_index(&w->fp)): the accounted
	 * size's place in the packet's four sizes read as one word */
	unsigned int size_shift;
};

static_assert(sizeof(((struct sp_pkt_meta *)0)->size) == sizeof(uint64_t),
	      "sp_pkt_meta sizes: four uint16");

/* Where size[k] lies in the four sizes read as one native word. */
static __rte_always_inline unsigned int
worker_size_shift(unsigned int k)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return 16 * k;
#else
	return 16 * (SP_SIZES - 1 - k);
#endif
}

/* A packet's four sizes in one load: the raw size (the byte counter) and
 * the accounted one come from the same word, where indexing the array with
 * the run's mode cost 4 more instructions a packet (callgrind, small64). */
static __rte_always_inline uint64_t
worker_pkt_sizes(const struct sp_pkt_meta *m)
{
	uint64_t v;

	memcpy(&v, m->size, sizeof(v));
	return v;
}

static __rte_always_inline uint64_t
worker_scan_due(uint64_t scan_tick)
{
	return scan_tick > UINT64_MAX - WORKER_SCAN_PERIOD_MS ? UINT64_MAX :
	       scan_tick + WORKER_SCAN_PERIOD_MS;
}

static __rte_always_inline void
worker_burst_begin(const struct sp_worker *w, struct worker_burst_ctx *bc)
{
	bc->scan_tick = w->scan_tick;
	bc->scan_due = worker_scan_due(w->scan_tick);
	bc->in_flows = 0;
	bc->bytes = 0;
	bc->size_shift = worker_size_shift(sp_features_size_index(&w->fp));
}

/* tick: the time of the burst's last packet (w->tick if none ran) */
static __rte_always_inline void
worker_burst_end(struct sp_worker *w, const struct worker_burst_ctx *bc, uint64_t tick)
{
	w->tick = tick;
	w->scan_tick = bc->scan_tick;
	w->st.in_flows += bc->in_flows;
	w->st.bytes += bc->bytes;
}

/*
 * One packet of a flow. Always inlined in the two loops that call it: as a
 * call it cost its register saves and restores on every packet (with the
 * counter update inline: 313.7 -> 307.6 instructions per packet for the
 * stats-only path, callgrind small64).
 *
 * plain (a constant: w->plain, chosen when the worker was created): the
 * run keeps the counters only, so a packet of a live flow updates them and
 * nothing else, with no test of the options the run does not have; ip and
 * ip_len are for hooks, which it has none of.
 */
static __rte_always_inline void
worker_packet(struct sp_worker *w, struct worker_burst_ctx *bc, const struct sp_pkt_meta *m,
	      const uint8_t *ip, uint16_t ip_len, uint64_t t_ms, uint32_t hash,
	      const bool plain)
{
	struct sp_flow_table *t = w->table;
	struct sp_flow_state *st;
	enum sp_flow_expiry e;
	int32_t idx;
	bool go_scan;
	int dir;

	/* t_ms is already forced monotonic by the RX side (over the whole
	 * input, as NFStream does before packets are spread); per worker it
	 * is therefore monotonic too. */
	go_scan = unlikely(t_ms >= bc->scan_due) &&
		  t_ms - bc->scan_tick >= WORKER_SCAN_PERIOD_MS;
	if (go_scan) {
		bc->scan_tick = t_ms;
		bc->scan_due = worker_scan_due(t_ms);
	}

	idx = sp_flow_lookup_state(t, m, hash, &dir, &st);
	if (idx >= 0) {
		e = likely(!sp_flow_expiry_due(st, t_ms)) ? SP_FLOW_ALIVE :
		    sp_flow_check_expiry(t, idx, t_ms);
		if (e != SP_FLOW_ALIVE) {
			worker_expire(t, idx, (int8_t)(e - 1), w);
			sp_flow_remove(t, idx);
			idx = worker_flow_new(w, hash, m, ip, ip_len, t_ms);
		} else if (plain) {
			uint16_t size = (uint16_t)(worker_pkt_sizes(m) >> bc->size_shift);

			sp_features_update_counters(st, m, size, t_ms, dir);
		} else {
			if (w->lru)
				sp_flow_touch(t, idx);
			sp_features_update(&w->fp, st, sp_flow_stats_at(t, idx),
					   sp_flow_splt_at(t, idx), m, t_ms, dir);
			if (w->active != NULL && w->active[idx] != 0) {
				struct sp_hook_pkt hp;

				worker_hook_pkt(w, &hp, m, ip, ip_len, t_ms, dir);
				worker_hooks_update(w, idx, &hp, st);
			}
		}
	} else {
		idx = worker_flow_new(w, hash, m, ip, ip_len, t_ms);
	}
	if (likely(idx >= 0)) {
		bc->in_flows++;
		bc->bytes += (uint16_t)(worker_pkt_sizes(m) >> worker_size_shift(SP_SIZE_RAW));
	} else {
		w->st.dropped_table_full++;
	}
	if (go_scan)
		sp_flow_scan_idle(t, t_ms, WORKER_SCAN_BUDGET, worker_expire, w);
}

/* What the first pass reads of the worker for every packet, read once a
 * burst (its stores to the burst's arrays could alias the worker for the
 * compiler). */
struct worker_rx_cfg {
	const struct sp_filter *filter;
	uint8_t *scratch;
	bool decode_tunnels;
};

/*
 * Filter and parse one packet for process_burst(): count it where it ends
 * if it goes no further, else hash its flow. Returns whether it goes on.
 * seg1: as for sp_rx_prepare_seg().
 */
static __rte_always_inline bool
worker_rx_one(struct sp_worker *w, const struct worker_rx_cfg *rc, struct rte_mbuf *m,
	      const struct sp_rx_info *info, const uint8_t **data, uint32_t *caplen,
	      struct sp_pkt_meta *meta, uint32_t *hash, const bool seg1)
{
	unsigned int r;

	r = sp_rx_prepare_seg(rc->filter, rc->decode_tunnels, m, info, rc->scratch, data, caplen,
			      meta, seg1);
	if (likely(r == SP_PARSE_OK)) {
		*hash = sp_flow_hash(meta);
		return true;
	}
	if (r == SP_RX_FILTERED)
		w->st.filtered++;
	else
		w->st.ignored[r]++;
	return false;
}

/*
 * A burst in three passes, so that the flow table's cache misses overlap
 * instead of following one another (the lookup's bucket, node and state
 * loads were the top stalls, perf on small64): parse every packet and
 * prefetch its bucket; prefetch each chain's first flow; then run the
 * flows in packet order. Parsing ahead changes nothing: it reads only the
 * packet. Multi-segment frames are linearised into the one scratch buffer,
 * so they are parsed in the last pass, just before their flow runs. The
 * first pass also finds whether every mbuf can go back to the pool in one
 * put (sp_rx_mbuf_simple()), the free's flag.
 *
 * plain: a constant, as for worker_packet().
 */
static __rte_always_inline void
worker_burst(struct sp_worker *w, struct rte_mbuf **pkts, const struct sp_rx_info *info,
	     uint16_t n, const bool plain)
{
	struct sp_pkt_meta meta[SP_BURST];
	const uint8_t *data[SP_BURST];
	uint32_t caplen[SP_BURST], hash[SP_BURST];
	const struct worker_rx_cfg rc = { .filter = w->filter, .scratch = w->scratch,
					  .decode_tunnels = w->decode_tunnels };
	struct worker_burst_ctx bc;
	uint64_t rx_tick = w->rx_tick;
	struct rte_mempool *mp;
	bool simple = true;
	uint32_t ready, late, bit;
	uint16_t i, b, nb;

	if (n == 0)
		return;
	mp = pkts[0]->pool;
	worker_burst_begin(w, &bc);
	for (b = 0; b < n; b += nb) {
		struct rte_mbuf **p = pkts + b;
		const struct sp_rx_info *in = info + b;

		nb = (uint16_t)RTE_MIN(n - b, SP_BURST);
		w->st.packets += nb;
		/* Before the burst, never during it: each packet adds at most
		 * one flow, so the buckets it is prefetched and looked up in
		 * stay the same until the next burst. */
		sp_flow_table_reserve(w->table, nb);
		rte_prefetch0(rte_pktmbuf_mtod(p[0], void *));
		/* bit i: packet i parsed and hashed (ready), or multi-segment,
		 * parsed in the last pass (late); neither: counted, skipped */
		ready = late = 0;
		for (i = 0, bit = 1; i < nb; i++, bit <<= 1) {
			struct rte_mbuf *m = p[i];

			if (i + 1 < nb)
				rte_prefetch0(rte_pktmbuf_mtod(p[i + 1], void *));
			if (unlikely(!sp_rx_mbuf_simple(m, mp))) {
				simple = false;
				if (m->nb_segs != 1) {
					late |= bit;
					continue;
				}
			}
			if (worker_rx_one(w, &rc, m, &in[i], &data[i], &caplen[i], &meta[i],
					  &hash[i], true)) {
				ready |= bit;
				sp_flow_prefetch_bucket(w->table, hash[i]);
			}
		}
		sp_flow_prefetch_flows(w->table, hash, ready);
		for (i = 0, bit = 1; i < nb; i++, bit <<= 1) {
			uint64_t t;

			if (unlikely(!(ready & bit))) {
				if (!(late & bit) ||
				    !worker_rx_one(w, &rc, p[i], &in[i], &data[i], &caplen[i],
						   &meta[i], &hash[i], false))
					continue;
			}
			/* Single worker: this is the only clock, force it here. */
			t = in[i].ts_ms > rx_tick ? in[i].ts_ms : rx_tick;
			rx_tick = t;
			if (plain)
				worker_packet(w, &bc, &meta[i], NULL, 0, t, hash[i], true);
			else
				worker_packet(w, &bc, &meta[i], data[i] + meta[i].ip_offset,
					      (uint16_t)(caplen[i] - meta[i].ip_offset), t,
					      hash[i], false);
		}
	}
	/* w->tick, the time of the last packet that ran, is rx_tick here:
	 * both move only with a packet that runs */
	w->rx_tick = rx_tick;
	worker_burst_end(w, &bc, rx_tick);
	sp_rx_free_burst(pkts, n, simple);
}

/* Kept out of line (one call a burst: nothing measurable) so that profiles
 * and tools/sp-bench's callgrind rows find the worker's cost under this
 * name: with LTO the run loop, its only caller, absorbed it. Two copies of
 * the loop, one for the runs that keep the counters only. */
__rte_noinline void
sp_worker_process_burst(struct sp_worker *w, struct rte_mbuf **pkts,
			const struct sp_rx_info *info, uint16_t n)
{
	if (w->plain)
		worker_burst(w, pkts, info, n, true);
	else
		worker_burst(w, pkts, info, n, false);
}

unsigned int
sp_worker_poll(struct sp_worker *w)
{
	struct rte_mbuf *pkts[SP_BURST];
	struct worker_burst_ctx bc;
	uint64_t tick = w->tick;
	const struct sp_pkt_priv *pp;
	const uint8_t *data;
	struct rte_mbuf *m;
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(w->rx_ring, (void **)pkts, SP_BURST, NULL);
	if (n == 0)
		return 0;
	sp_flow_table_reserve(w->table, n);	/* before the packets: see process_burst */
	worker_burst_begin(w, &bc);
	for (i = 0; i < n; i++) {
		m = pkts[i];
		if (i + 1 < n)
			rte_prefetch0(sp_pkt_priv(pkts[i + 1]));
		pp = sp_pkt_priv(m);
		w->st.packets++;
		if (likely(m->nb_segs == 1))
			data = rte_pktmbuf_mtod(m, const uint8_t *);
		else
			data = rte_pktmbuf_read(m, 0, RTE_MIN(rte_pktmbuf_pkt_len(m),
					(uint32_t)SP_RX_SCRATCH_SIZE), w->scratch);
		worker_packet(w, &bc, &pp->meta, data + pp->meta.ip_offset, pp->ip_len, pp->t_ms,
			      sp_flow_hash(&pp->meta), false);
		tick = pp->t_ms;
	}
	worker_burst_end(w, &bc, tick);
	sp_rx_free_burst(pkts, n, false);
	return n;
}

void
sp_worker_tick(struct sp_worker *w, uint64_t now_ms)
{
	if (now_ms < w->tick)
		now_ms = w->tick;
	sp_flow_scan_idle(w->table, now_ms, WORKER_SCAN_BUDGET, worker_expire, w);
}

void
sp_worker_flush(struct sp_worker *w)
{
	sp_flow_flush(w->table, worker_expire, w);
}

void
sp_worker_set_filter(struct sp_worker *w, const struct sp_filter *f)
{
	w->filter = f;
}

int
sp_worker_reset(struct sp_worker *w)
{
	unsigned int i;
	int ret = 0;

	if (sp_flow_count(w->table) != 0)
		return -EBUSY;
	w->tick = 0;
	w->rx_tick = 0;
	w->scan_tick = 0;
	w->stop_export = false;
	memset(&w->st, 0, sizeof(w->st));
	/* A hook's context is the state it keeps between flows: nDPI's
	 * module holds LRU caches (STUN, TLS certificates, BitTorrent, ...)
	 * that a later flow's detection reads, so only a new one gives a
	 * capture the detection a run of its own would give: keeping the
	 * module over the 187 corpus captures (one worker, in name order)
	 * changed skype_no_unknown.pcap's flow, application_confidence 4 -> 3
	 * (matched from a cache the earlier captures filled). Its cost, the
	 * module's initialisation (~30-70 ms here), is what one run pays at
	 * start-up. */
	for (i = 0; i < w->n_hooks; i++) {
		struct worker_hook *h = &w->hook[i];

		if (h->ops->worker_init == NULL)
			continue;
		if (h->ops->worker_fini != NULL)
			h->ops->worker_fini(h->ctx);
		h->ctx = h->ops->worker_init(h->ops->arg, w->id, w->socket_id, w->max_flows);
		if (h->ctx == NULL && ret == 0)
			ret = rte_errno != 0 ? -rte_errno : -ENOMEM;
	}
	if (ret != 0) {
		/* the hooks left are finished; free() must not finish them again */
		for (i = 0; i < w->n_hooks; i++) {
			struct worker_hook *h = &w->hook[i];

			if (h->ctx != NULL && h->ops->worker_fini != NULL)
				h->ops->worker_fini(h->ctx);
			h->ctx = NULL;
		}
	}
	return ret;
}
