/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow accounting, a transcription of NFStream's lib_engine.c flow layer
 * (flow_init_bidirectional, flow_update_bidirectional, flow_*_src2dst,
 * flow_update_dst2src, flow_*_ps, flow_*_piat_ms, flow_*_tcp_flags,
 * flow_*_splt) and of flow.py NFlow.sync, which derives the stddevs.
 *
 * The statistics must be bit-identical to NFStream's, so the floating-point
 * operations are the same ones, on the same operand types, in the same
 * order: sizes are uint16 and piats uint64 before conversion to double, the
 * Welford divisor is the uint64 count converted to double, and each M2 step
 * is one rounded product followed by one rounded sum.
 */

/*
 * NFStream's engine is built for baseline x86-64, where a * b + c is two
 * roundings. With -march=native the compiler may fuse it into one FMA
 * (GCC's default in GNU C mode is -ffp-contract=fast), which changes the last
 * bits of M2 and so the printed stddev. Keep contraction off in this file.
 */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>

#include "sp_features.h"

/* sp_features_match() reads ports, and VLAN + protocol + tunnel, as words
 * (and with SSE4.1 the 8 bytes from src_port to tunnel_id as one). */
#define SP_ADJACENT(type, a, b, gap) (offsetof(struct type, b) == offsetof(struct type, a) + (gap))
static_assert(SP_ADJACENT(sp_pkt_meta, src_port, dst_port, 2) &&
	      SP_ADJACENT(sp_pkt_meta, vlan_id, protocol, 2) &&
	      SP_ADJACENT(sp_pkt_meta, vlan_id, tunnel_id, 3), "sp_pkt_meta key layout");
static_assert(SP_ADJACENT(sp_flow_state, src_port, dst_port, 2) &&
	      SP_ADJACENT(sp_flow_state, vlan_id, protocol, 2) &&
	      SP_ADJACENT(sp_flow_state, vlan_id, tunnel_id, 3), "sp_flow_state key layout");
static_assert(SP_ADJACENT(sp_pkt_meta, src_port, vlan_id, 4) &&
	      SP_ADJACENT(sp_flow_state, src_port, vlan_id, 4), "8-byte key word");

/* TCP flag bits in the column order of the *_packets counters. */
static const uint8_t flag_bits[8] = {
	SP_TCP_SYN, SP_TCP_CWR, SP_TCP_ECE, SP_TCP_URG,
	SP_TCP_ACK, SP_TCP_PSH, SP_TCP_RST, SP_TCP_FIN,
};

/* SPLT slot layout: the same as a record's, int64 piat, int32 ps, int8 dir. */
static inline int64_t *
splt_piat(const void *splt)
{
	return (int64_t *)(uintptr_t)splt;
}

static inline int32_t *
splt_ps(const void *splt, uint16_t n)
{
	return (int32_t *)((uintptr_t)splt + (size_t)n * 8);
}

static inline int8_t *
splt_dir(const void *splt, uint16_t n)
{
	return (int8_t *)((uintptr_t)splt + (size_t)n * 12);
}

static inline void
ps_first(struct sp_flow_stats *s, int scope, uint16_t size)
{
	s->min_ps[scope] = size;
	s->max_ps[scope] = size;
	s->ps[scope].mean = size;
}

/* n: packets in the scope, this one included (NFStream flow_update_*_ps). */
static inline void
ps_update(struct sp_flow_stats *s, int scope, uint16_t size, uint64_t n)
{
	struct sp_welford *w = &s->ps[scope];
	double old = w->mean;

	if (size > s->max_ps[scope])
		s->max_ps[scope] = size;
	if (size < s->min_ps[scope])
		s->min_ps[scope] = size;
	w->mean += ((double)size - old) / (double)n;
	w->m2 += ((double)size - old) * ((double)size - w->mean);
}

/*
 * n: packets in the scope, this one included; the scope then has n - 1
 * piats. The second packet initialises (flow_init_*_piat_ms), later ones run
 * Welford over the piats (flow_update_*_piat_ms).
 */
static inline void
piat_add(struct sp_flow_stats *s, int scope, uint64_t piat, uint64_t n)
{
	struct sp_welford *w = &s->piat[scope];
	double old;

	if (n == 2) {
		s->min_piat_ms[scope] = piat;
		s->max_piat_ms[scope] = piat;
		w->mean = (double)piat;
		return;
	}
	if (piat > s->max_piat_ms[scope])
		s->max_piat_ms[scope] = piat;
	if (piat < s->min_piat_ms[scope])
		s->min_piat_ms[scope] = piat;
	old = w->mean;
	w->mean += ((double)piat - old) / (double)(n - 1);
	w->m2 += ((double)piat - old) * ((double)piat - w->mean);
}

static inline void
flags_add(struct sp_flow_stats *s, int dir, uint8_t tcp_flags)
{
	unsigned int i;

	/* Most traffic is not TCP; skip the eight adds of zero. */
	if (tcp_flags == 0)
		return;
	for (i = 0; i < RTE_DIM(flag_bits); i++)
		s->flags[dir][i] += (tcp_flags & flag_bits[i]) != 0;
}

static inline void
splt_set(void *splt, uint16_t n, uint64_t idx, int dir, uint16_t size, uint64_t piat)
{
	splt_piat(splt)[idx] = (int64_t)piat;
	splt_ps(splt, n)[idx] = size;
	splt_dir(splt, n)[idx] = (int8_t)dir;
}

size_t
sp_features_splt_size(uint16_t n)
{
	return RTE_ALIGN_CEIL((size_t)n * (8 + 4 + 1), 8);
}

void
sp_features_init(const struct sp_features_params *p, struct sp_flow_state *st,
		 struct sp_flow_stats *stats, void *splt,
		 const struct sp_pkt_meta *m, uint64_t t_ms)
{
	uint16_t size = sp_features_pkt_size(p, m);

	memset(st, 0, sizeof(*st));
	memcpy(st->src_ip, m->src_ip, sizeof(st->src_ip));
	memcpy(st->dst_ip, m->dst_ip, sizeof(st->dst_ip));
	st->src_port = m->src_port;
	st->dst_port = m->dst_port;
	st->vlan_id = m->vlan_id;
	st->protocol = m->protocol;
	st->ip_version = m->ip_version;
	st->tunnel_id = m->tunnel_id;
	memcpy(st->src_mac, m->src_mac, sizeof(st->src_mac));
	memcpy(st->dst_mac, m->dst_mac, sizeof(st->dst_mac));
	/* The first packet opens bidirectional and src2dst; dst2src stays 0. */
	st->first_seen_ms[SP_BI] = t_ms;
	st->first_seen_ms[SP_S2D] = t_ms;
	st->last_seen_ms[SP_BI] = t_ms;
	st->last_seen_ms[SP_S2D] = t_ms;
	st->packets[SP_BI] = 1;
	st->packets[SP_S2D] = 1;
	st->bytes[SP_BI] = size;
	st->bytes[SP_S2D] = size;
	st->tcp_flags[0] = m->tcp_flags;

	if (p->statistical) {
		memset(stats, 0, sizeof(*stats));
		ps_first(stats, SP_BI, size);
		ps_first(stats, SP_S2D, size);
		flags_add(stats, 0, m->tcp_flags);
	}
	if (p->splt_n != 0)
		splt_set(splt, p->splt_n, 0, 0, size, 0);
}

int
sp_features_direction(const struct sp_flow_state *st, const struct sp_pkt_meta *m)
{
	/*
	 * NFStream compares one 64-bit word of an IPv4 address and two of an
	 * IPv6 one; with the unused bytes zero, comparing all 16 is the same.
	 */
	if (m->src_port != st->src_port || m->dst_port != st->dst_port)
		return 1;
	if (memcmp(m->src_ip, st->src_ip, sizeof(st->src_ip)) != 0 ||
	    memcmp(m->dst_ip, st->dst_ip, sizeof(st->dst_ip)) != 0)
		return 1;
	return 0;
}

void
sp_features_update_more(const struct sp_features_params *p, struct sp_flow_stats *stats,
			void *splt, const struct sp_pkt_meta *m, uint16_t size, int dir,
			uint64_t bi_piat, uint64_t piat, uint64_t n_bi, uint64_t n)
{
	int scope = dir != 0 ? SP_D2S : SP_S2D;

	/* The counters are done (sp_features_update()); SPLT, then statistics,
	 * as in NFStream. */
	dir = dir != 0;
	if (n_bi <= p->splt_n)
		splt_set(splt, p->splt_n, n_bi - 1, dir, size, bi_piat);
	if (!p->statistical)
		return;
	flags_add(stats, dir, m->tcp_flags);
	ps_update(stats, SP_BI, size, n_bi);
	piat_add(stats, SP_BI, bi_piat, n_bi);
	if (n == 1) {
		ps_first(stats, scope, size);
	} else {
		ps_update(stats, scope, size, n);
		piat_add(stats, scope, piat, n);
	}
}

/* flow.py NFlow.sync: sample stddev, 0.0 while undefined. */
static inline double
stddev(double m2, uint64_t samples)
{
	return samples > 1 ? sqrt(m2 / (double)(samples - 1)) : 0.0;
}

static void
export_stats(const struct sp_flow_state *st, const struct sp_flow_stats *stats,
	     struct sp_flow_record *rec)
{
	unsigned int s, i;
	uint64_t n;

	for (s = 0; s < SP_SCOPES; s++) {
		n = st->packets[s];
		rec->min_ps[s] = stats->min_ps[s];
		rec->max_ps[s] = stats->max_ps[s];
		rec->mean_ps[s] = stats->ps[s].mean;
		rec->stddev_ps[s] = stddev(stats->ps[s].m2, n);
		rec->min_piat_ms[s] = stats->min_piat_ms[s];
		rec->max_piat_ms[s] = stats->max_piat_ms[s];
		rec->mean_piat_ms[s] = stats->piat[s].mean;
		/* A scope of n packets has n - 1 piats. */
		rec->stddev_piat_ms[s] = stddev(stats->piat[s].m2, n > 0 ? n - 1 : 0);
	}
	for (i = 0; i < RTE_DIM(flag_bits); i++) {
		rec->flags[SP_S2D][i] = stats->flags[0][i];
		rec->flags[SP_D2S][i] = stats->flags[1][i];
		rec->flags[SP_BI][i] = stats->flags[0][i] + stats->flags[1][i];
	}
}

static void
export_splt(const void *splt, uint16_t n, uint64_t packets, struct sp_flow_record *rec)
{
	size_t used = packets < n ? (size_t)packets : n;
	int64_t *piat = sp_record_splt_piat(rec);
	int32_t *ps = sp_record_splt_ps(rec);
	int8_t *dir = sp_record_splt_direction(rec);
	size_t i;

	memcpy(piat, splt_piat(splt), used * sizeof(*piat));
	memcpy(ps, splt_ps(splt, n), used * sizeof(*ps));
	memcpy(dir, splt_dir(splt, n), used * sizeof(*dir));
	for (i = used; i < n; i++) {
		piat[i] = -1;
		ps[i] = -1;
		dir[i] = -1;
	}
}

void
sp_features_export(const struct sp_features_params *p, const struct sp_flow_state *st,
		   const struct sp_flow_stats *stats, const void *splt,
		   int8_t expiration_id, struct sp_flow_record *rec)
{
	unsigned int s;

	rec->expiration_id = expiration_id;
	rec->st = *st;
	for (s = 0; s < SP_SCOPES; s++)
		rec->duration_ms[s] = st->last_seen_ms[s] - st->first_seen_ms[s];

	if (p->statistical) {
		export_stats(st, stats, rec);
	} else {
		memset(rec->min_ps, 0, sizeof(rec->min_ps));
		memset(rec->max_ps, 0, sizeof(rec->max_ps));
		memset(rec->mean_ps, 0, sizeof(rec->mean_ps));
		memset(rec->stddev_ps, 0, sizeof(rec->stddev_ps));
		memset(rec->min_piat_ms, 0, sizeof(rec->min_piat_ms));
		memset(rec->max_piat_ms, 0, sizeof(rec->max_piat_ms));
		memset(rec->mean_piat_ms, 0, sizeof(rec->mean_piat_ms));
		memset(rec->stddev_piat_ms, 0, sizeof(rec->stddev_piat_ms));
		memset(rec->flags, 0, sizeof(rec->flags));
	}

	rec->splt_n = p->splt_n;
	if (p->splt_n != 0)
		export_splt(splt, p->splt_n, st->packets[SP_BI], rec);
}
