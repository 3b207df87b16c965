/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_FEATURES_H
#define SP_FEATURES_H

/**
 * @file
 * Per-flow accounting: NFStream's counters, packet-size and inter-arrival
 * statistics, TCP flag counters and SPLT arrays (docs/nfstream-semantics.md §4), and the
 * flow record that carries a finished flow to the exporters.
 *
 * Every update is O(1) and allocation-free. State is split so that a table
 * only pays for what is switched on:
 *  - struct sp_flow_state: always (identity, times, packet and byte counts);
 *  - struct sp_flow_stats: with --statistical-analysis;
 *  - an SPLT area of sp_features_splt_size(n) bytes: with --splt-analysis n.
 * The three are kept in parallel arrays indexed by the flow index.
 *
 * Thread safety: none needed; a flow is only touched by the lcore owning it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sp_common.h>
#include <sp_parse.h>

#if defined(RTE_ARCH_X86) && defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** What to account, fixed for a run. */
struct sp_features_params {
	uint8_t accounting_mode;	/**< enum sp_size: 0 raw, 1 ip, 2 transport, 3 payload */
	bool statistical;		/**< keep struct sp_flow_stats */
	uint16_t splt_n;		/**< SPLT length, 0 = off */
};

/**
 * Identity and counters of a flow: always kept.
 *
 * Fields read on every packet (the direction test, then last_seen, packets
 * and bytes) come first so that they share the struct's first 128 bytes;
 * first_seen_ms is only written by a scope's first packet.
 */
struct sp_flow_state {
	uint8_t src_ip[16];	/**< sender of the first packet (sp_pkt_meta layout) */
	uint8_t dst_ip[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t vlan_id;	/**< vlan_id..tunnel_id: as in sp_pkt_meta */
	uint8_t protocol;
	uint8_t tunnel_id;
	uint8_t ip_version;
	uint8_t dst_mac[6];	/**< dst_mac, src_mac: as in sp_pkt_meta */
	uint8_t src_mac[6];
	/**
	 * OR of the TCP flags of src2dst [0] and dst2src [1] packets (IPFIX
	 * tcpControlBits). Kept without --statistical-analysis, whose flag
	 * counters it does not need: it fills padding before last_seen_ms.
	 */
	uint8_t tcp_flags[2];
	uint64_t last_seen_ms[SP_SCOPES];	/**< 0 for a scope with no packet */
	uint64_t packets[SP_SCOPES];
	uint64_t bytes[SP_SCOPES];
	uint64_t first_seen_ms[SP_SCOPES];	/**< 0 for a scope with no packet */
	/**
	 * The flow table's (lib/flow): a time before which the flow cannot
	 * expire, so that a packet checks one deadline, not two timeouts; 0
	 * (as sp_features_init() leaves it): not known yet. Not a column.
	 */
	uint64_t expiry_ms;
};

/**
 * Welford accumulator for one scope. The sample count is not stored: it is
 * the scope's packet count (ps) or that count minus one (piat).
 */
struct sp_welford {
	double mean;
	double m2;	/**< sum of squared deviations; stddev is derived at export */
};

/**
 * Statistics of a flow (--statistical-analysis). A scope without packets
 * (a flow's dst2src before its first reverse packet) is all zeros.
 */
struct sp_flow_stats {
	struct sp_welford ps[SP_SCOPES];
	struct sp_welford piat[SP_SCOPES];
	uint64_t min_piat_ms[SP_SCOPES];	/**< 0 while the scope has < 2 packets */
	uint64_t max_piat_ms[SP_SCOPES];
	/**
	 * TCP flag counters of src2dst [0] and dst2src [1], in column order syn,
	 * cwr, ece, urg, ack, psh, rst, fin. Bidirectional is their sum (every
	 * packet counts in exactly one direction), so it is not stored. 64 bits:
	 * a line-rate flow can pass 2^32 ACKs within one active timeout.
	 */
	uint64_t flags[2][8];
	uint16_t min_ps[SP_SCOPES];	/**< uint16 like the sizes (NFStream) */
	uint16_t max_ps[SP_SCOPES];
};

/* ------------------------------------------------------------------------ */
/* The flow record: one finished flow, as exporters see it.                 */

/**
 * A finished flow with every NFStream column's value. Times are ms. Values
 * that NFStream derives at export (stddev, durations) are already derived.
 * The SPLT arrays follow the struct (see sp_record_splt_*()); a record is
 * sp_record_size(splt_n) bytes, or sp_record_size_ext() with a plugin area,
 * where the plugins' columns are (nDPI's application columns among them).
 */
struct sp_flow_record {
	uint64_t id;			/**< set by the exporting side */
	int8_t expiration_id;		/**< 0 idle/end, 1 active, -1 custom */
	struct sp_flow_state st;	/**< identity and counters */
	uint64_t duration_ms[SP_SCOPES];
	/* statistics: valid when the run has statistical analysis */
	uint16_t min_ps[SP_SCOPES];
	uint16_t max_ps[SP_SCOPES];
	double mean_ps[SP_SCOPES];
	double stddev_ps[SP_SCOPES];
	uint64_t min_piat_ms[SP_SCOPES];
	uint64_t max_piat_ms[SP_SCOPES];
	double mean_piat_ms[SP_SCOPES];
	double stddev_piat_ms[SP_SCOPES];
	uint64_t flags[SP_SCOPES][8];	/**< syn, cwr, ece, urg, ack, psh, rst, fin */
	uint16_t splt_n;		/**< length of each SPLT array, 0 = none */
	/** int64 piat[splt_n], int32 ps[splt_n], int8 direction[splt_n]. */
	uint8_t splt[] __rte_aligned(8);
};

/** Bytes of a record carrying SPLT arrays of length splt_n. */
static inline size_t
sp_record_size(uint16_t splt_n)
{
	return sizeof(struct sp_flow_record) + (size_t)splt_n * (8 + 4 + 1);
}

/**
 * Offset of a record's plugin area: after the SPLT arrays, 8-aligned. The
 * area's layout is the run's plugins' (lib/plugin/sp_plugins.h); records of
 * a run with plugins are sp_record_size_ext() bytes.
 */
static inline size_t
sp_record_ext_offset(uint16_t splt_n)
{
	return (sp_record_size(splt_n) + 7) & ~(size_t)7;
}

/** Bytes of a record with SPLT arrays of splt_n and a plugin area of ext bytes. */
static inline size_t
sp_record_size_ext(uint16_t splt_n, size_t ext)
{
	return ext == 0 ? sp_record_size(splt_n) : sp_record_ext_offset(splt_n) + ext;
}

/** A record's plugin area (meaningful only when the run has one). */
static inline uint8_t *
sp_record_ext(const struct sp_flow_record *r)
{
	return (uint8_t *)(uintptr_t)r + sp_record_ext_offset(r->splt_n);
}

static inline int64_t *
sp_record_splt_piat(const struct sp_flow_record *r)
{
	return (int64_t *)(uintptr_t)r->splt;
}

static inline int32_t *
sp_record_splt_ps(const struct sp_flow_record *r)
{
	return (int32_t *)(uintptr_t)(r->splt + (size_t)r->splt_n * 8);
}

static inline int8_t *
sp_record_splt_direction(const struct sp_flow_record *r)
{
	return (int8_t *)(uintptr_t)(r->splt + (size_t)r->splt_n * 12);
}

/* ------------------------------------------------------------------------ */
/* Accounting.                                                              */

/**
 * Bytes of SPLT state per flow for arrays of length n (0 when n is 0), a
 * multiple of 8 so that an array of such slots keeps every slot aligned.
 * The slot holds int64 piat[n], int32 ps[n] and int8 direction[n], like a
 * record; only the first min(packets, n) entries are written, and
 * sp_features_export() pads the rest with -1, so starting a flow is O(1).
 */
size_t sp_features_splt_size(uint16_t n);

/**
 * Start a flow from its first packet (direction 0, piat 0).
 *
 * @param p      run parameters
 * @param st     flow state to initialise (fully overwritten)
 * @param stats  statistics slot, or NULL when p->statistical is false
 * @param splt   SPLT slot of sp_features_splt_size(p->splt_n) bytes, or NULL
 * @param m      the parsed packet
 * @param t_ms   packet time, already forced monotonic
 */
void sp_features_init(const struct sp_features_params *p, struct sp_flow_state *st,
		      struct sp_flow_stats *stats, void *splt,
		      const struct sp_pkt_meta *m, uint64_t t_ms);

/**
 * Direction of a packet in an existing flow: 0 when its (src ip, src port,
 * dst ip, dst port) equal the flow's src/dst, 1 otherwise (NFStream
 * flow_set_packet_direction).
 */
int sp_features_direction(const struct sp_flow_state *st, const struct sp_pkt_meta *m);

/** @internal Unaligned loads for sp_features_match() and the flow hash. */
static inline uint64_t
sp_features_ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
sp_features_ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/** @internal 16 bytes as one vector (GCC/clang vector extension: SSE on x86). */
typedef uint64_t sp_features_v16 __attribute__((vector_size(16)));

static inline sp_features_v16
sp_features_ld128(const void *p)
{
	sp_features_v16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/**
 * Whether a packet belongs to a flow, and in which direction: NFStream's
 * flow key (both (ip, port) ends, VLAN, protocol, tunnel; not the MACs nor
 * the IP version) and its flow_set_packet_direction() in one pass of
 * vector compares over the two structs' common layout: the addresses, then
 * the 8 bytes from src_port to tunnel_id (static_assert in features.c).
 *
 * @return 0 when the packet's (src ip, src port, dst ip, dst port) equal the
 *   flow's src/dst (as sp_features_direction() == 0), 1 when they equal
 *   them swapped, -1 when the packet is not of this flow.
 */
static inline int
sp_features_match(const struct sp_flow_state *st, const struct sp_pkt_meta *m)
{
#if defined(RTE_ARCH_X86) && defined(__SSE4_1__)
	/*
	 * SSE4.1: the ports, VLAN, protocol and tunnel in the same vector
	 * compare (PTEST), the reverse test with the two ports swapped by one
	 * shuffle: 14 instructions for a src2dst packet, against 23 for the
	 * generic code below (callgrind).
	 */
	__m128i ms = _mm_loadu_si128((const __m128i *)(const void *)m->src_ip);
	__m128i md = _mm_loadu_si128((const __m128i *)(const void *)m->dst_ip);
	__m128i ss = _mm_loadu_si128((const __m128i *)(const void *)st->src_ip);
	__m128i sd = _mm_loadu_si128((const __m128i *)(const void *)st->dst_ip);
	__m128i mx = _mm_loadl_epi64((const __m128i *)(const void *)&m->src_port);
	__m128i sx = _mm_loadl_epi64((const __m128i *)(const void *)&st->src_port);
	__m128i x;

	x = _mm_or_si128(_mm_or_si128(_mm_xor_si128(ms, ss), _mm_xor_si128(md, sd)),
			 _mm_xor_si128(mx, sx));
	if (_mm_testz_si128(x, x))
		return 0;
	/* 16-bit lanes 0 and 1 (src_port, dst_port) swapped */
	sx = _mm_shufflelo_epi16(sx, _MM_SHUFFLE(3, 2, 0, 1));
	x = _mm_or_si128(_mm_or_si128(_mm_xor_si128(ms, sd), _mm_xor_si128(md, ss)),
			 _mm_xor_si128(mx, sx));
	if (_mm_testz_si128(x, x))
		return 1;
	return -1;
#else
	sp_features_v16 ms = sp_features_ld128(m->src_ip), md = sp_features_ld128(m->dst_ip);
	sp_features_v16 ss = sp_features_ld128(st->src_ip), sd = sp_features_ld128(st->dst_ip);
	/* src_port | dst_port; rotating by 16 swaps them whatever the byte order */
	uint32_t mp = sp_features_ld32(&m->src_port), sp = sp_features_ld32(&st->src_port);
	sp_features_v16 x;

	if (sp_features_ld32(&m->vlan_id) != sp_features_ld32(&st->vlan_id))
		return -1;
	x = (ms ^ ss) | (md ^ sd);
	if ((x[0] | x[1] | (mp ^ sp)) == 0)
		return 0;
	x = (ms ^ sd) | (md ^ ss);
	if ((x[0] | x[1] | (mp ^ ((sp << 16) | (sp >> 16)))) == 0)
		return 1;
	return -1;
#endif
}

/** The sp_pkt_meta::size[] a run accounts (flow_get_packet_size): any mode above 2
 * is payload. */
static inline unsigned int
sp_features_size_index(const struct sp_features_params *p)
{
	return p->accounting_mode < SP_SIZE_PAYLOAD ? p->accounting_mode : SP_SIZE_PAYLOAD;
}

/** Packet size NFStream accounts (flow_get_packet_size). */
static inline uint16_t
sp_features_pkt_size(const struct sp_features_params *p, const struct sp_pkt_meta *m)
{
	return m->size[sp_features_size_index(p)];
}

/**
 * @internal The statistics and SPLT part of sp_features_update(), out of
 * line: only runs with them on need it.
 */
void sp_features_update_more(const struct sp_features_params *p, struct sp_flow_stats *stats,
			     void *splt, const struct sp_pkt_meta *m, uint16_t size, int dir,
			     uint64_t bi_piat, uint64_t piat, uint64_t n_bi, uint64_t n);

/**
 * The counters every run keeps, for one more packet of an existing flow of
 * size bytes (sp_features_pkt_size()): packets, bytes, times and TCP flags.
 * The whole update of a run without statistics or SPLT: the worker picks
 * it once, when it is created, and its packet loop then carries no test of
 * the run's options (callgrind, small64: see lib/worker/worker.c).
 */
static inline void
sp_features_update_counters(struct sp_flow_state *st, const struct sp_pkt_meta *m,
			    uint16_t size, uint64_t t_ms, int dir)
{
	int scope = dir != 0 ? SP_D2S : SP_S2D;

	st->packets[SP_BI]++;
	st->last_seen_ms[SP_BI] = t_ms;
	st->bytes[SP_BI] += size;
	st->bytes[scope] += size;
	if (++st->packets[scope] == 1)
		st->first_seen_ms[scope] = t_ms;
	st->last_seen_ms[scope] = t_ms;
	st->tcp_flags[dir != 0] |= m->tcp_flags;
}

/**
 * Account one more packet of an existing flow.
 *
 * The piats are t_ms minus the scope's last_seen_ms in uint64 arithmetic, as
 * NFStream does: a time equal to the last one gives 0, and the caller must
 * have forced time to be non-decreasing (docs/nfstream-semantics.md §3.1).
 *
 * Inline, with the statistics and SPLT out of line: the counters every run
 * keeps cost about as much as a call to a function that does them (which
 * took 52 instructions per packet, stats-only, callgrind small64).
 *
 * @param dir  the packet's direction, from sp_features_direction() or
 *             sp_features_match(); any non-zero value is dst2src
 * Other parameters as for sp_features_init().
 */
static inline void
sp_features_update(const struct sp_features_params *p, struct sp_flow_state *st,
		   struct sp_flow_stats *stats, void *splt,
		   const struct sp_pkt_meta *m, uint64_t t_ms, int dir)
{
	uint16_t size = sp_features_pkt_size(p, m);
	int scope = dir != 0 ? SP_D2S : SP_S2D;
	/* Both piats before any last_seen moves; meaningless for a first packet. */
	uint64_t bi_piat = t_ms - st->last_seen_ms[SP_BI];
	uint64_t piat = t_ms - st->last_seen_ms[scope];
	uint64_t n_bi;

	sp_features_update_counters(st, m, size, t_ms, dir);
	n_bi = st->packets[SP_BI];
	if (p->statistical || n_bi <= p->splt_n)
		sp_features_update_more(p, stats, splt, m, size, dir, bi_piat, piat, n_bi,
					st->packets[scope]);
}

/**
 * Fill a record from a flow's state: identity, counters, durations, and
 * (when enabled) the derived statistics, flag counters and SPLT arrays.
 * rec must have room for sp_record_size(p->splt_n) bytes; rec->id and
 * the plugin area (nDPI's columns included) are left untouched.
 */
void sp_features_export(const struct sp_features_params *p, const struct sp_flow_state *st,
			const struct sp_flow_stats *stats, const void *splt,
			int8_t expiration_id, struct sp_flow_record *rec);

#ifdef __cplusplus
}
#endif

#endif /* SP_FEATURES_H */
