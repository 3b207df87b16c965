/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_FLOW_H
#define SP_FLOW_H

/**
 * @file
 * Per-lcore flow table: packet → flow index (direction-agnostic), the
 * flows' accounting state in arrays indexed by that index, and NFStream's
 * expiration rules (docs/nfstream-semantics.md §5).
 *
 * The index is in [0, max_flows), so every stage (features, DPI, plugins)
 * keeps its per-flow state in its own array at that index and no stage
 * points into another's memory. Released indexes are reused first, so a
 * stage's array is touched for the most flows held at once, whatever
 * max_flows is: reading files, max_flows follows --max-memory. Flows are
 * also chained in creation order, which is the order NFStream's cache
 * scans and flushes them in.
 *
 * A flow's identity is the one its state holds (struct sp_flow_state:
 * both ends, VLAN, protocol, tunnel), compared by sp_features_match(); the
 * table keeps no copy of it. struct sp_flow_key is the same identity in a
 * canonical order, for hashing outside the table (the software dispatch).
 *
 * Thread safety: a table is owned by one lcore; nothing here is shared.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include <sp_common.h>
#include <sp_features.h>
#include <sp_parse.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Canonical flow key: the two (ip, port) ends in a fixed order, plus
 * protocol, VLAN and tunnel. MACs and IP version are not part of it, as in
 * NFStream (docs/nfstream-semantics.md §4.1). Padded with zeros to 48 bytes (six CRC steps). The
 * software dispatch hashes it to choose a packet's worker; the flow table
 * itself needs no key (sp_flow_hash(), sp_features_match()).
 */
struct sp_flow_key {
	uint8_t ip_lo[16];
	uint8_t ip_hi[16];
	uint16_t port_lo;
	uint16_t port_hi;
	uint16_t vlan_id;
	uint8_t protocol;
	uint8_t tunnel_id;
	uint64_t pad;		/**< always 0 */
};

/* Order of two 16-byte addresses. Any total order gives a canonical key;
 * two 64-bit compares avoid a memcmp() call per packet. */
static inline int
sp_flow_ip_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return 0;
}

/** Build the key of a packet; both directions of a flow give the same key. */
static inline void
sp_flow_key_make(const struct sp_pkt_meta *m, struct sp_flow_key *k)
{
	int c = sp_flow_ip_cmp(m->src_ip, m->dst_ip);

	if (c < 0 || (c == 0 && m->src_port <= m->dst_port)) {
		memcpy(k->ip_lo, m->src_ip, 16);
		memcpy(k->ip_hi, m->dst_ip, 16);
		k->port_lo = m->src_port;
		k->port_hi = m->dst_port;
	} else {
		memcpy(k->ip_lo, m->dst_ip, 16);
		memcpy(k->ip_hi, m->src_ip, 16);
		k->port_lo = m->dst_port;
		k->port_hi = m->src_port;
	}
	k->vlan_id = m->vlan_id;
	k->protocol = m->protocol;
	k->tunnel_id = m->tunnel_id;
	k->pad = 0;
}

/** Hash of a key (CRC32-C: one instruction per 8 bytes with SSE4.2). */
static inline uint32_t
sp_flow_key_hash(const struct sp_flow_key *k)
{
	return rte_hash_crc(k, sizeof(*k), 0);
}

/*
 * One CRC32-C step. With SSE4.2 known at build time (-march), the intrinsic
 * rather than rte_hash_crc_*(): those test the CPU at every call and are
 * asm volatile, which the compiler may not schedule (measured: 24 -> 15
 * instructions per sp_flow_hash()). Same values either way.
 */
static inline uint32_t
sp_flow_crc8(uint64_t data, uint32_t init)
{
#if defined(RTE_ARCH_X86) && defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(init, data);
#else
	return rte_hash_crc_8byte(data, init);
#endif
}

static inline uint32_t
sp_flow_crc4(uint32_t data, uint32_t init)
{
#if defined(RTE_ARCH_X86) && defined(__SSE4_2__)
	return _mm_crc32_u32(init, data);
#else
	return rte_hash_crc_4byte(data, init);
#endif
}

/**
 * Hash of a packet's flow identity for the flow table: both directions of
 * a flow give the same value (each end is hashed alone, then the two in
 * increasing order), without building a key. Not sp_flow_key_hash(): only
 * the table uses it.
 */
static inline uint32_t
sp_flow_hash(const struct sp_pkt_meta *m)
{
	uint32_t hs, hd, ext;

	hs = sp_flow_crc8(sp_features_ld64(m->src_ip), m->src_port);
	hs = sp_flow_crc8(sp_features_ld64(m->src_ip + 8), hs);
	hd = sp_flow_crc8(sp_features_ld64(m->dst_ip), m->dst_port);
	hd = sp_flow_crc8(sp_features_ld64(m->dst_ip + 8), hd);
	/* VLAN, protocol and tunnel, as sp_features_match() reads them */
	ext = sp_flow_crc4(sp_features_ld32(&m->vlan_id), 0);
	return hs < hd ? sp_flow_crc8(((uint64_t)hd << 32) | hs, ext) :
			 sp_flow_crc8(((uint64_t)hs << 32) | hd, ext);
}

/** Why a flow ended, as returned by sp_flow_check_expiry(). */
enum sp_flow_expiry {
	SP_FLOW_ALIVE = 0,
	SP_FLOW_IDLE = 1,	/**< expiration_id 0 */
	SP_FLOW_ACTIVE = 2,	/**< expiration_id 1 */
};

struct sp_flow_table_params {
	const char *name;		/**< names the table's memory areas */
	uint32_t max_flows;		/**< capacity, >= 8: max_flows flows always fit */
	int socket_id;
	const struct sp_features_params *features; /**< what each flow accounts */
	uint64_t idle_timeout_ms;
	uint64_t active_timeout_ms;
	/**
	 * Reading files: the bucket array starts small and doubles as
	 * sp_flow_table_reserve() asks (the per-flow arrays are reserved for
	 * max_flows either way and take memory as flows use them). false
	 * (live): buckets for max_flows from the start, nothing is ever
	 * reallocated.
	 */
	bool grow;
};

struct sp_flow_table;

/**
 * Move a flow to the newest end of the order: with it after every packet
 * the order is last-seen order, in which an idle scan from the oldest end
 * finds every idle flow (the live mode's timer-driven expiry, and
 * --lru-idle-scan). NFStream never moves flows (creation order).
 */
void sp_flow_touch(struct sp_flow_table *t, int32_t idx);

/** @return a table, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST). */
struct sp_flow_table *sp_flow_table_create(const struct sp_flow_table_params *p);

/** NULL is a no-op. */
void sp_flow_table_free(struct sp_flow_table *t);

/**
 * Make room for n more flows at a bucket load of at most 1/2: when count + n
 * is more than half the buckets, rehash into twice as many (or more, up to
 * max_flows rounded up to a power of two, where the load may reach 1). Call it between bursts, with n
 * the burst's packets (a packet adds at most one flow): the packets then
 * never wait on an allocation. Cheap when there is room (a compare); a
 * table created without grow always has room.
 * @return 0, or -ENOMEM when the larger array could not be had (the table
 *   stays as it was: correct, with longer chains).
 */
int sp_flow_table_reserve(struct sp_flow_table *t, uint32_t n);

/** The rehash behind sp_flow_table_reserve(), whatever the load (tests). */
int sp_flow_table_grow(struct sp_flow_table *t, uint32_t n);

/** Current bucket count (a power of two). */
uint32_t sp_flow_table_buckets(const struct sp_flow_table *t);

/** max_flows: the flows the table holds before sp_flow_add() says -ENOSPC. */
uint32_t sp_flow_table_capacity(const struct sp_flow_table *t);

/**
 * Bytes a table reserves per flow of max_flows with these features (its
 * arrays and, at most, its buckets), for sizing max_flows from memory.
 */
size_t sp_flow_table_flow_size(const struct sp_features_params *f);

/**
 * @internal A flow's links in the table (flow_table.c). Chain links and
 * bucket heads hold index + 1 (0: none).
 */
struct sp_flow_node {
	uint32_t hash;
	uint32_t chain;		/**< next flow of the bucket */
	int32_t prev;		/**< creation order */
	int32_t next;
};

/**
 * @internal The part of a table that sp_flow_lookup() reads: the first
 * member of struct sp_flow_table, visible here so that the lookup inlines
 * into the worker's loop, as DPDK's rte_ring exposes what its inline
 * enqueue/dequeue read. Nothing else may use it. As a call, the lookup
 * cost 21 more instructions per packet (callgrind, small64: 273.6 -> 252.6
 * for the stats-only path).
 */
struct sp_flow_table_core {
	uint32_t *bucket;		/**< first flow of each chain, index + 1 */
	struct sp_flow_node *node;
	struct sp_flow_state *state;
	uint32_t bucket_mask;
};

/**
 * Find the flow of a packet, and its state.
 * @param hash  sp_flow_hash(m)
 * @param dir   set, when found, to the packet's direction (0 src2dst,
 *              1 dst2src), as sp_features_direction() gives it
 * @param st    set, when found, to the flow's state (sp_flow_state_at()):
 *              the worker's next steps need it, and the lookup has it in
 *              a register (4 instructions a packet to compute it again)
 * @return the flow index, or -ENOENT.
 */
static inline int32_t
sp_flow_lookup_state(struct sp_flow_table *t, const struct sp_pkt_meta *m, uint32_t hash,
		     int *dir, struct sp_flow_state **st)
{
	const struct sp_flow_table_core *c = (const struct sp_flow_table_core *)(void *)t;
	uint32_t i = c->bucket[hash & c->bucket_mask];
	const struct sp_flow_node *n;
	int d;

	while (i != 0) {
		n = &c->node[i - 1];
		if (n->hash == hash) {
			d = sp_features_match(&c->state[i - 1], m);
			if (d >= 0) {
				*dir = d;
				*st = &c->state[i - 1];
				/* indexes are below max_flows <= 2^31: callers
				 * testing idx >= 0 need no second test */
				if ((int32_t)(i - 1) < 0)
					__builtin_unreachable();
				return (int32_t)(i - 1);
			}
		}
		i = n->chain;
	}
	return -ENOENT;
}

/**
 * Find the flow of a packet.
 * @param hash  sp_flow_hash(m)
 * @param dir   set, when found, to the packet's direction (0 src2dst,
 *              1 dst2src), as sp_features_direction() gives it
 * @return the flow index, or -ENOENT.
 */
static inline int32_t
sp_flow_lookup(struct sp_flow_table *t, const struct sp_pkt_meta *m, uint32_t hash, int *dir)
{
	struct sp_flow_state *st;

	return sp_flow_lookup_state(t, m, hash, dir, &st);
}

/**
 * Burst prefetch, step 1: the bucket sp_flow_lookup() will read for hash.
 * Looking a burst up in stages (hash and prefetch every bucket, then every
 * chain's first flow, then look up) overlaps the cache misses that a
 * packet-by-packet lookup takes one after another.
 */
static inline void
sp_flow_prefetch_bucket(const struct sp_flow_table *t, uint32_t hash)
{
	const struct sp_flow_table_core *c = (const struct sp_flow_table_core *)(const void *)t;

	rte_prefetch0(&c->bucket[hash & c->bucket_mask]);
}

/** Burst prefetch, step 2 (bucket already in cache): the chain's first
 * node and flow state. */
static inline void
sp_flow_prefetch_flow(const struct sp_flow_table *t, uint32_t hash)
{
	const struct sp_flow_table_core *c = (const struct sp_flow_table_core *)(const void *)t;
	uint32_t i = c->bucket[hash & c->bucket_mask];

	if (i != 0) {
		rte_prefetch0(&c->node[i - 1]);
		rte_prefetch0(&c->state[i - 1]);
	}
}

/**
 * Burst prefetch, step 2 for a whole burst: sp_flow_prefetch_flow() for
 * each hash[i] whose bit i is set in ready. The table's arrays are read
 * once, not once a packet (the prefetches are asm volatile: the compiler
 * read them again around each; 21 -> 12 instructions a packet, callgrind
 * small64).
 */
static inline void
sp_flow_prefetch_flows(const struct sp_flow_table *t, const uint32_t *hash, uint32_t ready)
{
	const struct sp_flow_table_core *c = (const struct sp_flow_table_core *)(const void *)t;
	const uint32_t *bucket = c->bucket;
	const struct sp_flow_node *node = c->node;
	const struct sp_flow_state *state = c->state;
	uint32_t mask = c->bucket_mask, i;

	while (ready != 0) {
		i = bucket[hash[__builtin_ctz(ready)] & mask];
		ready &= ready - 1;
		if (i != 0) {
			rte_prefetch0(&node[i - 1]);
			rte_prefetch0(&state[i - 1]);
		}
	}
}

/**
 * Insert a new flow (caller checked it is absent) at the end of the
 * creation order. Its identity is its state's: the caller must initialise
 * the state (sp_features_init() with the packet that hashed to hash)
 * before the next sp_flow_lookup().
 * @return the flow index, or -ENOSPC when the table holds max_flows flows.
 */
int32_t sp_flow_add(struct sp_flow_table *t, uint32_t hash);

/** Remove a flow; its index may be reused by the next sp_flow_add(). */
void sp_flow_remove(struct sp_flow_table *t, int32_t idx);

/** State arrays. stats/splt are NULL when the run does not keep them. */
static inline struct sp_flow_state *
sp_flow_state_at(struct sp_flow_table *t, int32_t idx)
{
	return &((struct sp_flow_table_core *)(void *)t)->state[idx];
}

struct sp_flow_stats *sp_flow_stats_at(struct sp_flow_table *t, int32_t idx);
void *sp_flow_splt_at(struct sp_flow_table *t, int32_t idx);

/** Number of flows in the table. */
uint32_t sp_flow_count(const struct sp_flow_table *t);

/** Oldest flow (creation order), or -1 when the table is empty. */
int32_t sp_flow_oldest(const struct sp_flow_table *t);

/**
 * NFStream's packet-triggered check (lib_engine.c flow_expiration_handler),
 * done before a packet is accounted: idle if now - last_seen >= idle
 * timeout, else active if now - first_seen >= active timeout. A flow
 * found alive gets its deadline (sp_flow_expiry_due()) moved to the
 * earliest time it could expire as its state stands.
 */
enum sp_flow_expiry sp_flow_check_expiry(struct sp_flow_table *t, int32_t idx, uint64_t now_ms);

/**
 * Whether a packet at now_ms needs sp_flow_check_expiry() for the flow of
 * state st; false when the flow cannot have expired. One compare with the
 * deadline the flow's state caches (sp_flow_state::expiry_ms), instead of
 * the two timeouts: the deadline is min(last_seen + idle, first_seen +
 * active) as of the last check, a lower bound of the true one since
 * last_seen only moves later, so the answer is exact once
 * sp_flow_check_expiry() decides. The deadline is refreshed there, about
 * once per idle timeout of a busy flow, and at a flow's second packet (a
 * new state's deadline is 0).
 */
static inline bool
sp_flow_expiry_due(const struct sp_flow_state *st, uint64_t now_ms)
{
	return now_ms >= st->expiry_ms;
}

/** Called for a flow leaving the table; it must not add or remove flows. */
typedef void (*sp_flow_expire_cb)(struct sp_flow_table *t, int32_t idx, int8_t expiration_id,
				  void *arg);

/**
 * NFStream's idle scan (meter.py meter_scan): from the oldest flow, expire
 * flows idle at now_ms (expiration_id 0) until the first one that is not,
 * or until budget flows were expired. cb is called, then the flow removed.
 * @return the number of flows expired.
 */
unsigned int sp_flow_scan_idle(struct sp_flow_table *t, uint64_t now_ms, unsigned int budget,
			       sp_flow_expire_cb cb, void *arg);

/**
 * Expire the oldest flow whether it is idle or not, with expiration_id 0
 * (a full table making room offline). cb is called, then the flow removed.
 * @return 0, or -ENOENT when the table is empty.
 */
int sp_flow_evict_oldest(struct sp_flow_table *t, sp_flow_expire_cb cb, void *arg);

/**
 * Expire every flow, oldest first, with expiration_id 0 (end of input).
 * @return the number of flows expired.
 */
unsigned int sp_flow_flush(struct sp_flow_table *t, sp_flow_expire_cb cb, void *arg);

/* ------------------------------------------------------------------------ */
/* Per-flow hooks: DPI, plugins and models attach to the worker this way.   */

/**
 * What a hook wants after a packet: flow_init and flow_update return one.
 * A hook that is done costs nothing on the flow's later packets (the
 * worker keeps a per-flow mask of the hooks still listening), and
 * flow_expire still comes for it.
 */
enum sp_hook_verdict {
	SP_HOOK_CONTINUE = 0,	/**< call flow_update for the flow's next packet */
	SP_HOOK_DONE = 1,	/**< no more flow_update calls for this flow */
	/** End the flow after this packet with expiration_id -1 (NFStream's
	 * custom expiration, spec §5.5); the next packet starts a new flow. */
	SP_HOOK_EXPIRE = 2,
};

/** Bytes a hook packet keeps for a view derived from it (the plugins' packet view). */
#define SP_HOOK_VIEW_SIZE 80

/**
 * One packet as the hooks see it, built once per packet by the worker and
 * handed to every hook that still listens to its flow.
 *
 * view is room for what one kind of hook derives from the packet for all of
 * its kind: the plugin adapter builds the public packet view there for the
 * first plugin and the next ones reuse it (view_ok). Building it in each
 * plugin's call cost ~78 instructions per plugin at each flow's first
 * packet (8 plugins done at once, mix: 6.4 instructions a packet per
 * plugin; the ceiling is 5).
 */
/**
 * What a hook may read of its flow beyond the state: the worker's flow
 * table and accounting, to export the flow's record as it stands (the
 * plugins' sp_plugin_flow_numbers(): a model predicting at a flow's N-th
 * packet from the values its record would have if it ended there). One per
 * worker; the hook packet points at it, so that reading them costs nothing
 * until a hook asks.
 */
struct sp_hook_flows {
	const struct sp_features_params *fp;
	struct sp_flow_table *table;
	/** A record of the run's size the snapshot is exported into (the
	 * worker's scratch record: never in use while a hook runs). */
	struct sp_flow_record *snap;
};

struct sp_hook_pkt {
	const struct sp_pkt_meta *m;
	const uint8_t *ip;		/**< the packet from its (innermost) IP header */
	uint64_t t_ms;			/**< packet time, ms, monotonic */
	uint16_t ip_len;		/**< captured bytes from ip */
	uint8_t dir;			/**< 0 src2dst, 1 dst2src (0 at flow_init) */
	uint8_t view_ok;		/**< view holds this packet's view */
	uint32_t reserved;
	/** The worker's flows (sp_hook_flows), for a snapshot of the flow's record. */
	const struct sp_hook_flows *flows;
	/** Written by hooks only (zeroed nowhere: view_ok says). */
	uint64_t view[SP_HOOK_VIEW_SIZE / sizeof(uint64_t)];
};

/**
 * A stage that keeps per-flow state of its own. Its slot for a flow is
 * slot_size bytes at the flow index in an array the worker allocates.
 * Every hook is optional. Hooks run on the worker lcore: no allocation, no
 * logging, no blocking.
 */
struct sp_flow_ops {
	const char *name;
	size_t slot_size;
	/** Handed to worker_init: what the stage needs to set a worker up
	 * (a plugin's configuration; NULL for nDPI). */
	const void *arg;
	/** Per-worker setup; returns the stage's context or NULL (rte_errno). */
	void *(*worker_init)(const void *arg, unsigned int worker_id, int socket_id,
			     uint32_t max_flows);
	void (*worker_fini)(void *ctx);
	/** First packet of a flow; st: the flow's state, this packet
	 * accounted (read only).
	 * @return an enum sp_hook_verdict. */
	int (*flow_init)(void *ctx, void *slot, struct sp_hook_pkt *p,
			 const struct sp_flow_state *st);
	/** Later packets (p->dir set), until this hook or flow_init returned
	 * SP_HOOK_DONE for the flow.
	 * @return an enum sp_hook_verdict. */
	int (*flow_update)(void *ctx, void *slot, struct sp_hook_pkt *p,
			   const struct sp_flow_state *st);
	/** Flow ends: fill the stage's part of the record, release the slot.
	 * st: the flow's final state. */
	void (*flow_expire)(void *ctx, void *slot, const struct sp_flow_state *st,
			    struct sp_flow_record *rec);
	/** Bytes of the stage's own memory that worker_init reserves for each
	 * of max_flows flows, beyond its slot (nDPI's states): what a flow
	 * costs counts it when --max-memory sizes max_flows. NULL: none. */
	size_t (*flow_mem)(const void *arg);
};

#ifdef __cplusplus
}
#endif

#endif /* SP_FLOW_H */
