/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: a chained hash table of flow indexes (bucket heads, and a
 * chain link per flow), the accounting state in arrays indexed by the flow
 * index, and an intrusive doubly linked list in creation order.
 *
 * Why not rte_hash (the first implementation): per packet, a lookup took
 * 87 instructions (callgrind, small64) in rte_hash_lookup_with_hash and its
 * key compare, on top of building the 48-byte canonical key (23) and
 * hashing it (15), and sp_features_direction() then compared the addresses
 * once more (12). Here the packet is compared with the flow's own state,
 * which gives the direction in the same compare, and the hash is taken
 * from the packet as it is. The chains also make the capacity exact by
 * construction: any max_flows flows fit (what rte_hash's extendable bucket
 * table was there for), the bucket array only has to be large enough for
 * short chains (a power of two >= max_flows, so load <= 1).
 *
 * Flow indexes are handed out released ones first, last in first out,
 * then never used ones in increasing order. The order does not change any
 * output; reusing first keeps the memory a table touches proportional to
 * the most flows it held at once, not to the flows it ever held, which
 * matters once the capacity follows --max-memory (millions of flows) and
 * the arrays are reserved for all of them (below). Last in, first out,
 * so that the free list itself touches no more than that either (a FIFO
 * ring walks the whole array), and the reused slot is the warmest.
 *
 * Growth (reading files): every per-flow array here and in the worker is
 * reserved for max_flows flows at creation and costs only the pages flows
 * touch (anonymous memory, sp_mem.h): "growing" them is the kernel's page
 * fault, one per 4 KiB, with nothing copied and no index or pointer ever
 * moving (nDPI's states, which the hooks point to, stay where they are).
 * Only the bucket array depends on how many flows there are, to keep
 * chains short: it starts small (FLOW_BUCKETS_INIT) and doubles, rehashed
 * from the nodes' stored hashes, when sp_flow_table_reserve() finds that
 * the next burst could push the load over 1/2. The worker asks before each
 * burst, so no packet ever waits on an allocation; a rehash visits each
 * flow once and the bucket count doubles, so over a run it costs O(1) per
 * flow (amortised), and a fixed table (live) never does it. Measured
 * (callgrind, the mix, BENCHMARKS.md "Flow table growth"): the rehashes
 * 20 instructions per flow created while the table grows, the check 0.3
 * a packet, the rest of the path +0.4 a packet. Reallocating the arrays
 * instead (double and copy) would move nDPI's states under the slots that
 * point to them, and stall one burst for a copy of up to gigabytes.
 *
 * The list is NFStream's cache order: its OrderedDict appends new flows and
 * never moves them on update, so scans and the final flush go oldest first.
 * Reproducing that order is what makes export order, and the order of nDPI
 * calls at give-up, the same as NFStream's.
 *
 * Bucket heads and chain links hold index + 1, so that 0 means "none" and
 * the zeroed memory sp_mem_alloc() gives needs no initialisation (with
 * --no-huge, pages of a large table never touched cost nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include <sp_mem.h>

#include "sp_flow.h"

#define FLOW_NONE (-1)
/* A growing table's first bucket array: 16 KiB, in L1/L2 for small runs. */
#define FLOW_BUCKETS_INIT 4096u

struct sp_flow_table {
	struct sp_flow_table_core c;	/* first: sp_flow_lookup() (sp_flow.h) reads it */
	struct sp_flow_stats *stats;	/* NULL without statistical analysis */
	uint8_t *splt;			/* NULL without SPLT */
	size_t splt_size;
	int32_t head;			/* oldest */
	int32_t tail;			/* newest */
	uint32_t count;
	uint32_t max_flows;
	uint32_t unused;		/* indexes from here up were never used */
	uint32_t ready;			/* indexes below this are committed */
	uint32_t *free_idx;		/* released indexes, a stack of max_flows */
	uint32_t free_count;
	uint32_t n_buckets;		/* bucket_mask + 1 */
	uint32_t max_buckets;		/* what the bucket array may grow to */
	uint64_t idle_ms;
	uint64_t active_ms;
	int socket_id;
};

static size_t
flow_buckets(uint32_t max_flows)
{
	return rte_align32pow2(max_flows);
}

struct sp_flow_table *
sp_flow_table_create(const struct sp_flow_table_params *p)
{
	struct sp_flow_table *t;
	size_t n;

	if (p == NULL || p->name == NULL || p->features == NULL || p->max_flows < 8 ||
	    p->max_flows > (UINT32_C(1) << 31)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sp_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	n = p->max_flows;
	t->max_flows = p->max_flows;
	t->socket_id = p->socket_id;
	t->max_buckets = (uint32_t)flow_buckets(p->max_flows);
	t->n_buckets = p->grow ? RTE_MIN(t->max_buckets, FLOW_BUCKETS_INIT) : t->max_buckets;
	t->c.bucket_mask = t->n_buckets - 1;
	t->c.bucket = sp_mem_alloc("sp_flow_bucket", sizeof(*t->c.bucket) * t->n_buckets,
				   p->socket_id);
	t->c.node = sp_mem_alloc("sp_flow_node", sizeof(*t->c.node) * n, p->socket_id);
	t->free_idx = sp_mem_alloc("sp_flow_free", sizeof(*t->free_idx) * n, p->socket_id);
	t->c.state = sp_mem_alloc("sp_flow_state", sizeof(*t->c.state) * n, p->socket_id);
	if (t->c.bucket == NULL || t->c.node == NULL || t->free_idx == NULL || t->c.state == NULL)
		goto nomem;
	if (p->features->statistical) {
		t->stats = sp_mem_alloc("sp_flow_stats", sizeof(*t->stats) * n, p->socket_id);
		if (t->stats == NULL)
			goto nomem;
	}
	t->splt_size = sp_features_splt_size(p->features->splt_n);
	if (t->splt_size > 0) {
		t->splt = sp_mem_alloc("sp_flow_splt", t->splt_size * n, p->socket_id);
		if (t->splt == NULL)
			goto nomem;
	}
	t->head = t->tail = FLOW_NONE;
	t->idle_ms = p->idle_timeout_ms;
	t->active_ms = p->active_timeout_ms;
	return t;

nomem:
	rte_errno = ENOMEM;
	sp_flow_table_free(t);
	return NULL;
}

void
sp_flow_table_free(struct sp_flow_table *t)
{
	int err = rte_errno;

	if (t == NULL)
		return;
	sp_mem_free(t->c.bucket, sizeof(*t->c.bucket) * t->n_buckets);
	sp_mem_free(t->c.node, sizeof(*t->c.node) * t->max_flows);
	sp_mem_free(t->free_idx, sizeof(*t->free_idx) * t->max_flows);
	sp_mem_free(t->c.state, sizeof(*t->c.state) * t->max_flows);
	sp_mem_free(t->stats, sizeof(*t->stats) * t->max_flows);
	sp_mem_free(t->splt, t->splt_size * t->max_flows);
	rte_free(t);
	rte_errno = err;
}

int32_t
sp_flow_add(struct sp_flow_table *t, uint32_t hash)
{
	struct sp_flow_node *n;
	uint32_t *b;
	int32_t idx;

	if (t->count == t->max_flows)
		return -ENOSPC;
	if (t->free_count > 0)
		idx = (int32_t)t->free_idx[--t->free_count];
	else	/* count < max_flows and none released: one was never used */
		idx = (int32_t)t->unused++;
	n = &t->c.node[idx];
	b = &t->c.bucket[hash & t->c.bucket_mask];
	n->hash = hash;
	n->chain = *b;
	*b = (uint32_t)idx + 1;
	n->next = FLOW_NONE;
	n->prev = t->tail;
	if (t->tail != FLOW_NONE)
		t->c.node[t->tail].next = idx;
	else
		t->head = idx;
	t->tail = idx;
	t->count++;
	return idx;
}

static inline void
flow_unlink(struct sp_flow_table *t, struct sp_flow_node *n)
{
	if (n->prev != FLOW_NONE)
		t->c.node[n->prev].next = n->next;
	else
		t->head = n->next;
	if (n->next != FLOW_NONE)
		t->c.node[n->next].prev = n->prev;
	else
		t->tail = n->prev;
}

void
sp_flow_touch(struct sp_flow_table *t, int32_t idx)
{
	struct sp_flow_node *n = &t->c.node[idx];

	if (t->tail == idx)
		return;
	flow_unlink(t, n);
	n->prev = t->tail;
	n->next = FLOW_NONE;
	t->c.node[t->tail].next = idx;
	t->tail = idx;
}

void
sp_flow_remove(struct sp_flow_table *t, int32_t idx)
{
	struct sp_flow_node *n = &t->c.node[idx];
	uint32_t *p = &t->c.bucket[n->hash & t->c.bucket_mask];

	/* The flow is in its bucket's chain: find the link that points at it. */
	while (*p != (uint32_t)idx + 1)
		p = &t->c.node[*p - 1].chain;
	*p = n->chain;
	t->free_idx[t->free_count++] = (uint32_t)idx;
	flow_unlink(t, n);
	t->count--;
}

int
sp_flow_table_grow(struct sp_flow_table *t, uint32_t n)
{
	uint64_t need = 2 * ((uint64_t)t->count + n);
	uint32_t nb = t->n_buckets, mask, *b;
	int32_t idx;

	while (nb < need && nb < t->max_buckets)
		nb *= 2;
	if (nb == t->n_buckets)
		return 0;	/* at max_buckets (>= max_flows): load stays <= 1 */
	b = sp_mem_alloc("sp_flow_bucket", sizeof(*b) * nb, t->socket_id);
	if (b == NULL)
		return -ENOMEM;	/* still correct, with longer chains */
	/* The rehash below writes the buckets all over: commit them at once. */
	sp_mem_populate(b, sizeof(*b) * nb);
	/* Every flow is on the creation-order list; its node keeps its hash,
	 * so no key is rebuilt. Chain order within a bucket is free. */
	mask = nb - 1;
	for (idx = t->head; idx != FLOW_NONE; idx = t->c.node[idx].next) {
		struct sp_flow_node *fn = &t->c.node[idx];

		fn->chain = b[fn->hash & mask];
		b[fn->hash & mask] = (uint32_t)idx + 1;
	}
	sp_mem_free(t->c.bucket, sizeof(*t->c.bucket) * t->n_buckets);
	t->c.bucket = b;
	t->c.bucket_mask = mask;
	t->n_buckets = nb;
	return 0;
}

/* New indexes are taken in increasing order (released ones first): the
 * per-flow arrays are committed a step of flows ahead of the highest one
 * used, in one call each, instead of a page fault per 4 KiB page of each
 * array (sp_mem_populate() has the figures). */
#define FLOW_COMMIT_STEP 16384u

static __rte_noinline void
flow_table_commit(struct sp_flow_table *t, uint32_t n)
{
	uint32_t upto = RTE_MIN(RTE_ALIGN_CEIL(t->unused + n, FLOW_COMMIT_STEP), t->max_flows);
	uint32_t from = t->ready, k = upto - from;

	sp_mem_populate(&t->c.node[from], sizeof(*t->c.node) * k);
	sp_mem_populate(&t->c.state[from], sizeof(*t->c.state) * k);
	if (t->stats != NULL)
		sp_mem_populate(&t->stats[from], sizeof(*t->stats) * k);
	if (t->splt != NULL)
		sp_mem_populate(t->splt + t->splt_size * from, t->splt_size * k);
	t->ready = upto;
}

int
sp_flow_table_reserve(struct sp_flow_table *t, uint32_t n)
{
	if (unlikely(t->unused + n > t->ready) && t->ready < t->max_flows)
		flow_table_commit(t, n);
	/* Half full at most: at load 1 the chains' extra nodes cost 1.5
	 * instructions a packet more than the fixed table's (callgrind, mix,
	 * BENCHMARKS.md "Flow table growth"); the buckets are 4 bytes a flow
	 * more, and still at most two per flow of max_flows. */
	if (likely(t->count + n <= t->n_buckets / 2) || t->n_buckets == t->max_buckets)
		return 0;
	return sp_flow_table_grow(t, n);
}

uint32_t
sp_flow_table_buckets(const struct sp_flow_table *t)
{
	return t->n_buckets;
}

uint32_t
sp_flow_table_capacity(const struct sp_flow_table *t)
{
	return t->max_flows;
}

size_t
sp_flow_table_flow_size(const struct sp_features_params *f)
{
	/* node, state, free list entry, stats and SPLT areas, and up to two
	 * bucket heads (the bucket count is max_flows rounded up to a power
	 * of two) */
	return sizeof(struct sp_flow_node) + sizeof(struct sp_flow_state) + sizeof(uint32_t) +
	       (f->statistical ? sizeof(struct sp_flow_stats) : 0) +
	       sp_features_splt_size(f->splt_n) + 2 * sizeof(uint32_t);
}

struct sp_flow_stats *
sp_flow_stats_at(struct sp_flow_table *t, int32_t idx)
{
	return t->stats != NULL ? &t->stats[idx] : NULL;
}

void *
sp_flow_splt_at(struct sp_flow_table *t, int32_t idx)
{
	return t->splt != NULL ? t->splt + (size_t)idx * t->splt_size : NULL;
}

uint32_t
sp_flow_count(const struct sp_flow_table *t)
{
	return t->count;
}

int32_t
sp_flow_oldest(const struct sp_flow_table *t)
{
	return t->head;
}

/* a + b, or UINT64_MAX past it: a deadline that far is never passed
 * (now - last >= idle cannot hold when last + idle wraps) */
static inline uint64_t
flow_add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

enum sp_flow_expiry
sp_flow_check_expiry(struct sp_flow_table *t, int32_t idx, uint64_t now_ms)
{
	struct sp_flow_state *st = &t->c.state[idx];
	uint64_t idle_end, active_end;

	/* uint64 arithmetic as in NFStream; now is never behind last_seen
	 * because packet time is forced monotonic before it gets here. */
	if (now_ms - st->last_seen_ms[SP_BI] >= t->idle_ms)
		return SP_FLOW_IDLE;
	if (now_ms - st->first_seen_ms[SP_BI] >= t->active_ms)
		return SP_FLOW_ACTIVE;
	/* Alive: until the earlier of these, no packet can find it expired
	 * (sp_flow_expiry_due()). Saturated, the deadline is never later
	 * than the true one; a packet at UINT64_MAX ms just checks here. */
	idle_end = flow_add_sat(st->last_seen_ms[SP_BI], t->idle_ms);
	active_end = flow_add_sat(st->first_seen_ms[SP_BI], t->active_ms);
	st->expiry_ms = RTE_MIN(idle_end, active_end);
	return SP_FLOW_ALIVE;
}

/* Flows leave in creation order, long after they were last touched: their
 * state is in memory, not in cache. While idx's record is built, start
 * loading what the next one will need (its state, which decides whether
 * it leaves too, and its node), and idx's bucket, which its removal
 * walks. */
static inline void
flow_prefetch_expiry(const struct sp_flow_table *t, int32_t idx)
{
	int32_t nx = t->c.node[idx].next;

	rte_prefetch0(&t->c.bucket[t->c.node[idx].hash & t->c.bucket_mask]);
	if (nx != FLOW_NONE) {
		rte_prefetch0(&t->c.state[nx]);
		rte_prefetch0(&t->c.node[nx]);
	}
}

unsigned int
sp_flow_scan_idle(struct sp_flow_table *t, uint64_t now_ms, unsigned int budget,
		  sp_flow_expire_cb cb, void *arg)
{
	unsigned int n = 0;
	int32_t idx;

	/* meter.py is_idle: tick - idle_timeout >= last_seen, in Python's
	 * integers. last_seen is never ahead of the tick (time is forced
	 * monotonic), so now - last cannot wrap; last + idle could, for a
	 * capture stamped near 2^64 ms (a pcap time of -1 s read as uint64),
	 * and ended flows that are not idle. */
	while (n < budget && (idx = t->head) != FLOW_NONE &&
	       now_ms - t->c.state[idx].last_seen_ms[SP_BI] >= t->idle_ms) {
		flow_prefetch_expiry(t, idx);
		cb(t, idx, 0, arg);
		sp_flow_remove(t, idx);
		n++;
	}
	return n;
}

int
sp_flow_evict_oldest(struct sp_flow_table *t, sp_flow_expire_cb cb, void *arg)
{
	int32_t idx = t->head;

	if (idx == FLOW_NONE)
		return -ENOENT;
	cb(t, idx, 0, arg);
	sp_flow_remove(t, idx);
	return 0;
}

unsigned int
sp_flow_flush(struct sp_flow_table *t, sp_flow_expire_cb cb, void *arg)
{
	unsigned int n = 0;
	int32_t idx;

	/* Every flow goes: each is taken off the order list and released,
	 * but not unlinked from its bucket chain, and the buckets are cleared
	 * at once at the end. The chain walk of sp_flow_remove() was a cache
	 * miss or two per flow: 2.2 % of the worker's time on manyflows, DPI
	 * on (perf, tools/sp-bench ndpi-floor), for 4 bytes a bucket here. */
	while ((idx = t->head) != FLOW_NONE) {
		flow_prefetch_expiry(t, idx);
		cb(t, idx, 0, arg);
		flow_unlink(t, &t->c.node[idx]);
		t->free_idx[t->free_count++] = (uint32_t)idx;
		t->count--;
		n++;
	}
	memset(t->c.bucket, 0, sizeof(*t->c.bucket) * t->n_buckets);
	return n;
}
