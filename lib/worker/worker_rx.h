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
 * the frame (in scratch when the mbuf is multi-segment).
 */
static inline unsigned int
sp_rx_prepare(const struct sp_filter *filter, bool decode_tunnels, struct rte_mbuf *m,
	      const struct sp_rx_info *info, uint8_t *scratch, const uint8_t **data,
	      uint32_t *caplen, struct sp_pkt_meta *meta)
{
	const struct sp_filter_prog *prog;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (filter != NULL) {
		prog = sp_filter_prog(filter, info->dlt);
		if (prog != NULL && !sp_filter_match(prog, m, info->wire_len))
			return SP_RX_FILTERED;
	}
	if (likely(m->nb_segs == 1)) {
		sp_rx_poison_tail(m);
		*data = rte_pktmbuf_mtod(m, const uint8_t *);
	} else {
		len = RTE_MIN(len, (uint32_t)SP_RX_SCRATCH_SIZE);
		*data = rte_pktmbuf_read(m, 0, len, scratch);
	}
	*caplen = len;
	return sp_parse_packet(*data, len, info->wire_len, info->dlt, decode_tunnels, meta);
}

/*
 * Free a processed burst. Mbufs as receive paths hand them over are direct,
 * one segment, referenced once and from one pool: those go straight back
 * to the pool in one put, as the MBUF_FAST_FREE Tx offload does, instead
 * of rte_pktmbuf_free_bulk()'s per-mbuf reference and segment handling
 * (41 instructions per packet on small64, callgrind; ~10 here). Any other
 * burst (chains, attached buffers, several pools) takes the general path.
 */
static inline void
sp_rx_free_burst(struct rte_mbuf **pkts, unsigned int n)
{
	struct rte_mempool *mp;
	unsigned int i;

	if (n == 0)
		return;
	sp_rx_unpoison(pkts, n);
	mp = pkts[0]->pool;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		if (unlikely(m->pool != mp || m->nb_segs != 1 || !RTE_MBUF_DIRECT(m) ||
			     rte_mbuf_refcnt_read(m) != 1)) {
			rte_pktmbuf_free_bulk(pkts, n);
			return;
		}
	}
	rte_mempool_put_bulk(mp, (void **)pkts, n);
}

#endif /* SP_WORKER_RX_H */
