/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_DISPATCH_H
#define SP_DISPATCH_H

/**
 * @file
 * Software dispatch: spreads packets of a port without RSS (the pcap PMD,
 * a single queue) over N workers by a symmetric hash of the flow key, so
 * both directions of a flow, and the inner flow of a decoded tunnel, meet
 * on the same worker.
 *
 * The dispatcher does the RX-side work once per packet (filter, parse,
 * forced-monotonic clock) and leaves the result in the mbuf's private
 * area (struct sp_pkt_priv). The clock is forced here, over the whole
 * input, because that is what NFStream does before it spreads packets
 * over its meters: forcing it per worker would give other timestamps.
 *
 * Offline (lossless) it waits for room in a worker's ring; live it counts
 * the packet as dropped at dispatch.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sp_capture.h>
#include <sp_config.h>
#include <sp_filter.h>
#include <sp_parse.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_DISPATCH_MAX_WORKERS 64

struct sp_dispatch_params {
	const struct sp_config *cfg;
	const struct sp_filter *filter;		/**< NULL: none */
	struct rte_ring *rings[SP_DISPATCH_MAX_WORKERS]; /**< one per worker */
	unsigned int n_workers;
	bool lossless;
	int socket_id;
	/**
	 * Lossless only: called while waiting for room in a worker's ring.
	 * The lcore that dispatches usually also drains the workers' export
	 * rings; a worker blocked on a full export ring frees no room in its
	 * RX ring until that lcore drains it, so the wait must drain too.
	 */
	void (*wait_cb)(void *arg);
	void *wait_arg;
};

struct sp_dispatch_stats {
	uint64_t packets;			/**< received */
	uint64_t filtered;
	uint64_t ignored[SP_PARSE_RESULTS];
	uint64_t dropped_ring_full;		/**< live: a worker's ring was full */
	uint64_t waits;				/**< offline: times it waited for room */
	uint64_t per_worker[SP_DISPATCH_MAX_WORKERS]; /**< packets handed to each */
};

struct sp_dispatch;

/** @return the dispatcher, or NULL with rte_errno set. */
struct sp_dispatch *sp_dispatch_create(const struct sp_dispatch_params *p);

/** NULL is a no-op. */
void sp_dispatch_free(struct sp_dispatch *d);

/** Worker of a flow hash (the same for both directions of a flow). */
static inline unsigned int
sp_dispatch_worker_of(uint32_t hash, unsigned int n_workers)
{
	/* Multiply-shift instead of a modulo: uniform over n, no division. */
	return (unsigned int)(((uint64_t)hash * n_workers) >> 32);
}

/**
 * Handle received packets: each is freed (filtered, ignored) or handed to
 * its worker's ring. info[i] describes pkts[i].
 */
void sp_dispatch_burst(struct sp_dispatch *d, struct rte_mbuf **pkts,
		       const struct sp_rx_info *info, uint16_t n);

void sp_dispatch_get_stats(const struct sp_dispatch *d, struct sp_dispatch_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* SP_DISPATCH_H */
