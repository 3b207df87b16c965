/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_WORKER_RX_H
#define SP_WORKER_RX_H

/*
 * The RX-side steps every packet goes through before a flow sees it:
 * filter, linearise, parse. Shared by the single-worker path (the worker
 * reads the port itself) and the dispatcher (one RX lcore feeding many
 * workers), so that both count and ignore packets identically.
 * Private to lib/worker.
 */

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sp_capture.h>
#include <sp_filter.h>
#include <sp_parse.h>

#ifdef __SANITIZE_ADDRESS__		/* GCC */
#define SP_RX_ASAN 1
#endif
#ifdef __has_feature			/* clang */
#if __has_feature(address_sanitizer)
#define SP_RX_ASAN 1
#endif
#endif
#ifdef SP_RX_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Largest frame a pcap record can carry (libpcap's maximum snaplen). */
#define SP_RX_SCRATCH_SIZE (256 * 1024)

/* Returned by sp_rx_prepare() for a packet the BPF filter rejected. */
#define SP_RX_FILTERED SP_PARSE_RESULTS

/*
 * ASan builds only (tools/run-tests.sh --sanitize). A frame lies in a pool
 * mbuf's data room, which ASan sees as plain mapped memory: a read past the
 * frame's end would land in the rest of the room unnoticed. So, from the
 * moment the RX side takes a one-segment direct mbuf until it frees it, the
 * room past the frame is poisoned, and a parser, feature or plugin reading
 * beyond the captured bytes is reported. Every free of the RX side
 * (sp_rx_free_burst(), the dispatcher's drops) gives the room back first, so
 * the readers that fill the mbuf next (lib/capture) may write all of it.
 */
static inline void
sp_rx_poison_tail(struct rte_mbuf *m)
{
#ifdef SP_RX_ASAN
	uint8_t *end, *room_end;

	if (m->nb_segs != 1 || !RTE_MBUF_DIRECT(m))
		return;
	end = rte_pktmbuf_mtod(m, uint8_t *) + m->data_len;
	room_end = (uint8_t *)m->buf_addr + m->buf_len;
	if (end < room_end)
		ASAN_POISON_MEMORY_REGION(end, (size_t)(room_end - end));
#else
	RTE_SET_USED(m);
#endif
}

static inline void
sp_rx_unpoison(struct rte_mbuf **pkts, unsigned int n)
{
#ifdef SP_RX_ASAN
	unsigned int i;

	for (i = 0; i < n; i++)
		if (RTE_MBUF_DIRECT(pkts[i]))
			ASAN_UNPOISON_MEMORY_REGION(pkts[i]->buf_addr, pkts[i]->buf_len);
#else
	RTE_SET_USED(pkts);
	RTE_SET_USED(n);
#endif
}

/*
 * Filter and parse one packet. On SP_PARSE_OK, *data and *caplen give
 * the frame (in scratch when the mbuf is multi-segment). seg1: the caller
 * knows the mbuf has one segment (a constant: the worker's first pass has
 * tested it already, sp_rx_mbuf_simple()).
 */
static __rte_always_inline unsigned int
sp_rx_prepare_seg(const struct sp_filter *filter, bool decode_tunnels, struct rte_mbuf *m,
		  const struct sp_rx_info *info, uint8_t *scratch, const uint8_t **data,
		  uint32_t *caplen, struct sp_pkt_meta *meta, const bool seg1)
{
	const struct sp_filter_prog *prog;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (filter != NULL) {
		prog = sp_filter_prog(filter, info->dlt);
		if (prog != NULL && !sp_filter_match(prog, m, info->wire_len))
			return SP_RX_FILTERED;
	}
	if (seg1 || likely(m->nb_segs == 1)) {
		sp_rx_poison_tail(m);
		*data = rte_pktmbuf_mtod(m, const uint8_t *);
	} else {
		len = RTE_MIN(len, (uint32_t)SP_RX_SCRATCH_SIZE);
		*data = rte_pktmbuf_read(m, 0, len, scratch);
	}
	*caplen = len;
	return sp_parse_packet(*data, len, info->wire_len, info->dlt, decode_tunnels, meta);
}

static inline unsigned int
sp_rx_prepare(const struct sp_filter *filter, bool decode_tunnels, struct rte_mbuf *m,
	      const struct sp_rx_info *info, uint8_t *scratch, const uint8_t **data,
	      uint32_t *caplen, struct sp_pkt_meta *meta)
{
	return sp_rx_prepare_seg(filter, decode_tunnels, m, info, scratch, data, caplen, meta,
				 false);
}

/*
 * Whether an mbuf is as receive paths hand them over: direct, one segment,
 * referenced once, from pool mp; those go back to the pool without
 * rte_pktmbuf_free()'s reference and segment handling. refcnt and nb_segs
 * are adjacent 16-bit fields, both 1: one 32-bit compare (either byte
 * order). Three compares on the mbuf's first cache line, which the first
 * pass over a burst reads anyway (nb_segs), so the burst's flag costs no
 * second walk over the mbufs at the free.
 */
static_assert(offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, refcnt) + 2,
	      "rte_mbuf refcnt and nb_segs adjacent");

static inline bool
sp_rx_mbuf_simple(const struct rte_mbuf *m, const struct rte_mempool *mp)
{
	uint32_t refcnt_segs;

	memcpy(&refcnt_segs, &m->refcnt, sizeof(refcnt_segs));
	return refcnt_segs == 0x00010001 && RTE_MBUF_DIRECT(m) && m->pool == mp;
}

/*
 * Free a processed burst. simple: every mbuf passed sp_rx_mbuf_simple()
 * with the pool of pkts[0] (the worker finds it while it parses the
 * burst); the burst then goes straight back to the pool in one put, as the
 * MBUF_FAST_FREE Tx offload does, instead of rte_pktmbuf_free_bulk()'s
 * per-mbuf reference and segment handling (41 instructions per packet on
 * small64, callgrind; 19.4 with a test of each mbuf here, 3.4 with the
 * flag). Without the flag the mbufs are tested here, and any other burst
 * (chains, attached buffers, several pools) takes the general path.
 */
static inline void
sp_rx_free_burst(struct rte_mbuf **pkts, unsigned int n, bool simple)
{
	struct rte_mempool *mp;
	unsigned int i;

	if (n == 0)
		return;
	sp_rx_unpoison(pkts, n);
	mp = pkts[0]->pool;
	for (i = 0; !simple && i < n; i++) {
		if (unlikely(!sp_rx_mbuf_simple(pkts[i], mp))) {
			rte_pktmbuf_free_bulk(pkts, n);
			return;
		}
	}
	rte_mempool_put_bulk(mp, (void **)pkts, n);
}

#endif /* SP_WORKER_RX_H */
