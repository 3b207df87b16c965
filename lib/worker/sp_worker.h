/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_WORKER_H
#define SP_WORKER_H

/**
 * @file
 * The worker: what one lcore does to each packet it owns.
 *
 *   mbuf → [filter] → parse → clock → flow lookup/expiry → features → hooks
 *        → (flows that ended) record → export ring → management lcore
 *
 * A worker owns its flow table, its hook contexts and slots, its record
 * pool and its export ring: nothing on this path is shared or locked.
 * Offline (lossless) workers wait when the export ring or the record pool
 * is full; live workers count the loss instead.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <sp_capture.h>
#include <sp_config.h>
#include <sp_filter.h>
#include <sp_flow.h>
#include <sp_parse.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nDPI and up to 15 plugins: bit i of a flow's hook mask (uint16_t) is hook i. */
#define SP_WORKER_MAX_HOOKS 16

struct sp_worker_params {
	const struct sp_config *cfg;
	unsigned int id;		/**< worker number, 0.. */
	int socket_id;
	const struct sp_filter *filter;	/**< NULL: no filter */
	/** Offline: wait instead of dropping; the flow table's capacity comes
	 * from --max-memory and its buckets grow (sp_worker_capacity()). */
	bool lossless;
	/**
	 * With lossless: the records pool starts small and grows while the
	 * run needs it, which the management lcore does by calling
	 * sp_worker_records_grow() whenever the worker wakes it. Without it
	 * the pool is whole from the start.
	 */
	bool records_grow;
	/** Ring from the dispatcher (entries, power of 2); 0: the worker reads its port. */
	unsigned int rx_ring_size;
	const struct sp_flow_ops *hooks[SP_WORKER_MAX_HOOKS];
	unsigned int n_hooks;
};

/**
 * What the RX side (the dispatcher) learnt about a packet, kept in the
 * mbuf's private area so that the worker does not parse it again. Pools
 * feeding a dispatcher need SP_MBUF_PRIV_SIZE bytes of private area.
 */
struct sp_pkt_priv {
	struct sp_pkt_meta meta;
	uint64_t t_ms;		/**< forced-monotonic packet time */
	uint32_t hash;		/**< flow key hash (sp_flow_key_hash) */
	uint16_t ip_len;	/**< bytes from the IP header on (modulo 2^16) */
};

#define SP_MBUF_PRIV_SIZE RTE_ALIGN(sizeof(struct sp_pkt_priv), RTE_MBUF_PRIV_ALIGN)

static inline struct sp_pkt_priv *
sp_pkt_priv(struct rte_mbuf *m)
{
	return (struct sp_pkt_priv *)rte_mbuf_to_priv(m);
}

/** Counters of one worker; every received packet lands in exactly one. */
struct sp_worker_stats {
	uint64_t packets;		/**< handed to the worker (after dispatch: parsed ones) */
	uint64_t bytes;			/**< wire bytes of the packets in flows */
	uint64_t in_flows;		/**< accounted in a flow */
	uint64_t filtered;		/**< rejected by the BPF filter */
	uint64_t ignored[SP_PARSE_RESULTS]; /**< by reason (index SP_PARSE_OK unused) */
	/** Live: no room for a new flow, the packet was dropped (the table
	 * refuses new flows when full and keeps the ones it has). */
	uint64_t dropped_table_full;
	uint64_t flows_created;
	uint64_t flows_exported;	/**< records handed to the export ring */
	/** Offline: expired early because the table was full (past the
	 * --max-memory capacity, or a fixed --max-flows) */
	uint64_t flows_evicted;
	uint64_t records_dropped;	/**< live: export ring or record pool full */
	uint64_t export_waits;		/**< offline: times the worker waited on the ring/pool */
	uint64_t export_signals;	/**< wake-ups written to sp_worker_export_fd() */
	uint32_t flows_active;
};

struct sp_worker;

/** @return the worker, or NULL with rte_errno set. */
struct sp_worker *sp_worker_create(const struct sp_worker_params *p);

/**
 * Why sp_worker_create(p) just failed (rte_errno), for the caller's
 * message: out of memory, what the worker needed, how much was free and
 * which option or EAL setting gives it more ("worker N: ...").
 *
 * @param user_eal  the EAL options came from the user (else the defaults:
 *   no hugepages, a heap sized to need)
 */
void sp_worker_create_strerror(const struct sp_worker_params *p, bool user_eal, char *buf,
			       size_t len);

/**
 * DPDK heap memory one worker takes besides its flow tables and hook slots
 * (its records pool, rings and scratch areas): with hugepages the tables
 * come from the heap too, without them from anonymous memory (sp_mem.h),
 * so this is what the EAL must be given per worker then.
 *
 * @param cfg
 *   The run's settings (--splt-analysis sets the record size).
 * @param rx_ring_size
 *   The worker's input ring (sp_worker_params.rx_ring_size), 0 for none.
 */
size_t sp_worker_heap_size(const struct sp_config *cfg, unsigned int rx_ring_size);

/**
 * DPDK heap memory of a mempool of n objects of elt_size bytes, with its
 * header, per-lcore caches (cache_size != 0) and ring.
 *
 * @param pg_size
 *   0 for a pool created with RTE_MEMPOOL_F_NO_IOVA_CONTIG (objects
 *   packed), else the page size: objects then do not cross pages.
 */
size_t sp_mempool_heap_size(unsigned int n, size_t elt_size, unsigned int cache_size,
			    size_t pg_size);

/**
 * The flow table capacity a worker created with p gets. Live, or with
 * --max-flows: cfg->max_flows. Reading files otherwise: its share of
 * --max-memory (cfg->max_memory over cfg->n_workers) over the bytes a
 * flow reserves (the table's arrays, the hooks' slots and their flow_mem,
 * the hook mask), within SP_MIN_MAX_FLOWS..SP_MAX_MAX_FLOWS.
 *
 * @param flow_bytes  if not NULL, set to those bytes a flow
 */
uint32_t sp_worker_capacity(const struct sp_worker_params *p, size_t *flow_bytes);

/**
 * A worker's flow table capacity, and (mem_share, may be NULL) the share
 * of --max-memory it came from, 0 when it is a fixed --max-flows.
 */
uint32_t sp_worker_max_flows(const struct sp_worker *w, uint64_t *mem_share);

/** NULL is a no-op. Flows still in the table are discarded. */
void sp_worker_free(struct sp_worker *w);

/** Ring the management lcore drains (records, struct sp_flow_record *). */
struct rte_ring *sp_worker_export_ring(const struct sp_worker *w);

/** Ring the dispatcher feeds (NULL when the worker reads its port). */
struct rte_ring *sp_worker_rx_ring(const struct sp_worker *w);

/**
 * Process up to a burst of packets from the dispatcher's ring.
 * @return the number processed (0: the ring was empty).
 */
unsigned int sp_worker_poll(struct sp_worker *w);

/** Pool the records come from; the consumer puts them back. */
struct rte_mempool *sp_worker_record_pool(const struct sp_worker *w);

/**
 * Records a pool of n_rec starts with: n_rec, or with records_grow (and
 * lossless) the first chunk.
 */
unsigned int sp_worker_records_first(unsigned int n_rec, bool grow);

/**
 * Grow the worker's records pool by its next chunk if the worker found it
 * empty since the last call (params.records_grow). The management lcore's
 * call, on every wake-up (the worker writes sp_worker_export_fd() when it
 * starves); cheap otherwise: one read of a line of its own.
 */
void sp_worker_records_grow(struct sp_worker *w);

/**
 * An eventfd (non-blocking) the worker writes when the management lcore
 * should drain its export ring soon: the ring passed a quarter of what it
 * can hold (once per filling: no write on the common path), or the worker
 * ended (sp_worker_export_notify()). The reader reads it to clear it.
 * Owned by the worker.
 */
int sp_worker_export_fd(const struct sp_worker *w);

/**
 * The management lcore's idle wait: sleep until one of the n workers
 * writes its sp_worker_export_fd() or wait_us passed (a signal ends it
 * too), and clear what was written.
 */
void sp_worker_wait_exports(struct sp_worker *const *w, unsigned int n, uint32_t wait_us);

/** The packets a worker ignored, whatever the reason (the report's "ignored"). */
uint64_t sp_worker_stats_ignored(const struct sp_worker_stats *s);

/** Write sp_worker_export_fd() now (counted in export_signals); the worker's lcore only. */
void sp_worker_export_notify(struct sp_worker *w);

/**
 * Process received packets and free their mbufs.
 * info[i] describes pkts[i].
 */
void sp_worker_process_burst(struct sp_worker *w, struct rte_mbuf **pkts,
			     const struct sp_rx_info *info, uint16_t n);

/**
 * Timer-driven expiry (live mode): export flows idle at now_ms, oldest
 * first, up to a budget, even when no packet arrives.
 */
void sp_worker_tick(struct sp_worker *w, uint64_t now_ms);

/** End of input: export every flow still in the table, oldest first. */
void sp_worker_flush(struct sp_worker *w);

/**
 * The BPF filter the next packets go through (NULL: none), for a batch's
 * next capture (compiled for its link type); on the worker's lcore,
 * between bursts. The caller keeps it alive while it is set.
 */
void sp_worker_set_filter(struct sp_worker *w, const struct sp_filter *f);

/**
 * Make a flushed worker as it was created, for the next capture of a batch
 * (sp_batch.h): its clocks and counters back to zero, export on again, and
 * every hook's worker context made anew (worker_fini, then worker_init), so
 * that no state a hook keeps between flows (nDPI's detection module and its
 * LRU caches: the host of a flow seen earlier changes a later flow's
 * application) carries from one capture to the next. The flow table must
 * be empty (sp_worker_flush()); its grown bucket array is kept, which
 * changes no output (flow_table.c). Call on the worker's lcore, between
 * captures.
 *
 * @return 0, or -errno of a hook's worker_init (the worker has no hooks
 *   then and must not process packets: free it).
 */
int sp_worker_reset(struct sp_worker *w);

/** Ask the worker to stop exporting (e.g. max_nflows reached elsewhere). */
void sp_worker_stop_export(struct sp_worker *w);

void sp_worker_get_stats(const struct sp_worker *w, struct sp_worker_stats *s);

struct sp_dispatch;

/**
 * The counters of a run's workers summed, in one place for the status
 * line, the telemetry and the report. With a dispatcher, filtering and
 * parsing happened there: its filtered and ignored counters replace the
 * workers' (which are then 0).
 *
 * @param w  n workers; NULL entries (not created yet) count as zero
 * @param d  the dispatcher feeding them, or NULL
 * @param tot  the sum; per[] (n entries, may be NULL) each worker's counters
 */
void sp_worker_stats_sum(struct sp_worker *const *w, unsigned int n, const struct sp_dispatch *d,
			 struct sp_worker_stats *tot, struct sp_worker_stats *per);

/** The context a hook's worker_init returned on this worker, or NULL. */
void *sp_worker_hook_ctx(const struct sp_worker *w, const struct sp_flow_ops *ops);

#ifdef __cplusplus
}
#endif

#endif /* SP_WORKER_H */
