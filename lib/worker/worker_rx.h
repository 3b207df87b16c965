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

/* Largest frame a pcap record can carry (libpcap's maximum snaplen). */
#define SP_RX_SCRATCH_SIZE (256 * 1024)

/* Returned by sp_rx_prepare() for a packet the BPF filter rejected. */
#define SP_RX_FILTERED SP_PARSE_RESULTS

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
