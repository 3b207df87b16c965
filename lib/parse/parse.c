/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: NFStream's packet_process() and helpers (lib_engine.c at
 * 3ee4638, docs/nfstream-semantics.md §3) re-expressed over a bounded buffer.
 *
 * The goal is the same accept/ignore decision and the same fields as
 * NFStream for every frame, so the control flow follows packet_process()
 * closely (including its labels, its uint16 offsets and its stale
 * variables) rather than a textbook header walk. The comments flag each
 * place where NFStream does something surprising that we copy on purpose.
 *
 * Memory safety: every read is checked against caplen. NFStream itself reads
 * past caplen in one place, the TCP/UDP header of an IPv4 packet cut by the
 * snaplen (it trusts tot_len); there we read the missing bytes as zero.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "sp_parse.h"
#include "parse_private.h"

/*
 * Upper bound on VLAN tags, MPLS labels, IP headers and tunnel restarts in
 * one frame. Each of them moves the parse position forward by 4 bytes or
 * more, so a frame of at most 65535 bytes stays far below it and the result
 * is NFStream's. Only a larger frame, whose uint16 offsets wrap (NFStream
 * may then loop forever, e.g. on a long run of 81 00 81 00), can reach it;
 * the frame is then ignored.
 */
#define SP_PARSE_MAX_STEPS 32768u

#define ETH_P_VLAN 0x8100
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_PPPOE_SES 0x8864

#define LLC_SAP_SNAP 0xAA
#define LLC_SAP_BSTP 0x42

#define IPPROTO_V4_IPIP 4
#define IPPROTO_V4_TCP 6
#define IPPROTO_V4_UDP 17
#define IPPROTO_V4_IPV6 41
#define IPPROTO_V4_ICMP 1
#define IPPROTO_V6_ICMP 58

static const char *const result_names[SP_PARSE_RESULTS] = {
	[SP_PARSE_OK] = "ok",
	[SP_PARSE_IGN_DLT] = "dlt",
	[SP_PARSE_IGN_SHORT] = "short",
	[SP_PARSE_IGN_L2] = "l2",
	[SP_PARSE_IGN_IP_SHORT] = "ip_short",
	[SP_PARSE_IGN_IP_VERSION] = "ip_version",
	[SP_PARSE_IGN_IPV4_HDR] = "ipv4_hdr",
	[SP_PARSE_IGN_IPV4_FRAG] = "ipv4_frag",
	[SP_PARSE_IGN_IPV6_TRUNC] = "ipv6_trunc",
	[SP_PARSE_IGN_IPV6_EXT] = "ipv6_ext",
	[SP_PARSE_IGN_TUNNEL] = "tunnel",
};

const char *
sp_parse_result_name(enum sp_parse_result r)
{
	if ((unsigned int)r >= SP_PARSE_RESULTS)
		return "unknown";
	return result_names[r];
}

static inline bool
dlt_supported(int dlt)
{
	switch (dlt) {
	case SP_DLT_NULL:
	case SP_DLT_EN10MB:
	case SP_DLT_PPP:
	case SP_DLT_RAW:
	case SP_DLT_PPP_SERIAL:
	case SP_DLT_C_HDLC:
	case SP_DLT_LINUX_SLL:
	case SP_DLT_IEEE802_11_RADIO:
	case SP_DLT_IPV4:
	case SP_DLT_IPV6:
		return true;
	default:
		return false;
	}
}

bool
sp_parse_dlt_supported(int dlt)
{
	return dlt_supported(dlt);
}

/* Ethernet and 802.3 (packet_dlt_en10mb). eth + 28 <= caplen here. */
static inline enum sp_parse_result
parse_en10mb(struct sp_parse_ctx *c, uint16_t eth, struct sp_pkt_meta *m)
{
	const uint8_t *e = c->pkt + eth;
	const uint8_t *llc;
	uint16_t check;

	memcpy(m->dst_mac, e, 6);
	memcpy(m->src_mac, e + 6, 6);
	c->ip_offset = (uint16_t)(eth + 14);
	check = sp_parse_rd16(e + 12);
	/* 1501..1535 set neither: type keeps its previous value. */
	if (check <= 1500)
		c->pyld_eth_len = check;
	else if (check >= 1536)
		c->type = check;
	if (likely(c->pyld_eth_len == 0))
		return SP_PARSE_OK;
	llc = e + 14;
	if (llc[0] == LLC_SAP_SNAP || llc[1] == LLC_SAP_SNAP) {
		/*
		 * NFStream reads snap.proto_ID without ntohs: on the little-endian
		 * hosts it runs on, bytes 08 00 give type 0x0008.
		 */
		c->type = sp_parse_rd16le(llc + 6);
		c->ip_offset = (uint16_t)(c->ip_offset + 8);
	} else if (llc[0] == LLC_SAP_BSTP || llc[1] == LLC_SAP_BSTP) {
		return SP_PARSE_IGN_L2;
	}
	return SP_PARSE_OK;
}

/* Radiotap + 802.11 data + LLC (packet_dlt_radiotap). eth + 28 <= caplen. */
static enum sp_parse_result
parse_radiotap(struct sp_parse_ctx *c, uint16_t eth, struct sp_pkt_meta *m)
{
	const uint8_t *wifi, *llc;
	uint16_t fc;

	c->radio_len = sp_parse_rd16le(c->pkt + eth + 2);
	/* Fixed offset 16 of struct ndpi_radiotap_header, whatever "present" says. */
	if ((c->pkt[eth + 16] & 0x50) == 0x50)
		return SP_PARSE_IGN_L2;
	if (c->caplen < (uint32_t)eth + c->radio_len + 24)
		return SP_PARSE_IGN_SHORT;
	wifi = c->pkt + eth + c->radio_len;
	fc = sp_parse_rd16le(wifi);
	if (((fc >> 2) & 0x3) != 0x2)
		return SP_PARSE_IGN_L2;
	/* Exactly one of ToDS/FromDS: 26. Otherwise wifi_len is left as it was (sic). */
	if (!(fc & 0x0100) != !(fc & 0x0200))
		c->wifi_len = 26;
	memcpy(m->src_mac, wifi + 10, 6);
	memcpy(m->dst_mac, wifi + 16, 6);
	if ((int64_t)c->caplen < (int64_t)eth + c->wifi_len + c->radio_len + 8)
		return SP_PARSE_IGN_SHORT;
	llc = c->pkt + eth + c->wifi_len + c->radio_len;
	if (llc[0] == LLC_SAP_SNAP)
		c->type = sp_parse_rd16(llc + 6);
	c->ip_offset = (uint16_t)(c->wifi_len + c->radio_len + 8 + eth);
	return SP_PARSE_OK;
}

/* packet_datalink_checker(): set type and ip_offset from the link header. */
static inline enum sp_parse_result
parse_datalink(struct sp_parse_ctx *c, int dlt, struct sp_pkt_meta *m)
{
	/* NFStream passes eth_offset to the checker as a uint16. */
	uint16_t eth = (uint16_t)c->eth_offset;
	const uint8_t *l2 = c->pkt + eth;

	if (unlikely(!dlt_supported(dlt)))
		return SP_PARSE_IGN_DLT;
	if (unlikely(c->caplen < (uint32_t)eth + 28))
		return SP_PARSE_IGN_SHORT;
	switch (dlt) {
	case SP_DLT_EN10MB:
		return parse_en10mb(c, eth, m);
	case SP_DLT_NULL:
		/* ntohl(family) == AF_INET: a little-endian capture gives IPv6 (sic). */
		c->type = sp_parse_rd32(l2) == 2 ? SP_ETH_P_IPV4 : SP_ETH_P_IPV6;
		c->ip_offset = (uint16_t)(eth + 4);
		break;
	case SP_DLT_PPP:
	case SP_DLT_C_HDLC:
		/* The HDLC test looks at the first byte of the buffer, not at eth (sic). */
		if (c->pkt[0] != 0x0f && c->pkt[0] != 0x8f) {
			c->type = sp_parse_rd16(l2);
			c->ip_offset = (uint16_t)(eth + 2);
			break;
		}
		/* Cisco HDLC framing: same as DLT_PPP_SERIAL. */
		/* fall through */
	case SP_DLT_PPP_SERIAL:
		c->type = sp_parse_rd16(l2 + 2);
		c->ip_offset = (uint16_t)(eth + 4);
		break;
	case SP_DLT_LINUX_SLL:
		c->type = sp_parse_rd16(l2 + 14);
		c->ip_offset = (uint16_t)(eth + 16);
		break;
	case SP_DLT_IEEE802_11_RADIO:
		return parse_radiotap(c, eth, m);
	case SP_DLT_RAW:
		/* Another version nibble leaves type unchanged. */
		if ((l2[0] >> 4) == 4)
			c->type = SP_ETH_P_IPV4;
		else if ((l2[0] >> 4) == 6)
			c->type = SP_ETH_P_IPV6;
		c->ip_offset = eth;
		break;
	case SP_DLT_IPV4:
		c->type = SP_ETH_P_IPV4;
		c->ip_offset = eth;
		break;
	case SP_DLT_IPV6:
		c->type = SP_ETH_P_IPV6;
		c->ip_offset = eth;
		break;
	}
	return SP_PARSE_OK;
}

/*
 * packet_ether_type_checker(), looped: 802.1Q tags (last VID wins), an MPLS
 * stack or a PPPoE session header, then type is final. 0x88A8/0x9100 are not
 * tags for NFStream, so they end the loop like any other type.
 */
static inline enum sp_parse_result
parse_ethertype(struct sp_parse_ctx *c)
{
	const uint8_t *p = c->pkt;
	uint32_t label;

	for (;;) {
		switch (c->type) {
		case ETH_P_VLAN:
			if ((uint32_t)c->ip_offset + 4 >= c->caplen)
				return SP_PARSE_IGN_SHORT;
			do {
				if (unlikely(--c->steps == 0))
					return SP_PARSE_IGN_SHORT;
				c->vlan_id = sp_parse_rd16(p + c->ip_offset) & 0xFFF;
				c->type = sp_parse_rd16(p + c->ip_offset + 2);
				c->ip_offset = (uint16_t)(c->ip_offset + 4);
			} while (c->type == ETH_P_VLAN && (uint32_t)c->ip_offset + 4 < c->caplen);
			break;
		case ETH_P_MPLS_UC:
		case ETH_P_MPLS_MC:
			if ((uint32_t)c->ip_offset + 4 >= c->caplen)
				return SP_PARSE_IGN_SHORT;
			/* Whatever the stack holds, the payload is taken as IPv4. */
			c->type = SP_ETH_P_IPV4;
			do {
				if (unlikely(--c->steps == 0))
					return SP_PARSE_IGN_SHORT;
				label = sp_parse_rd32(p + c->ip_offset);
				c->ip_offset = (uint16_t)(c->ip_offset + 4);
			} while (!(label & 0x100) && (uint32_t)c->ip_offset + 4 < c->caplen);
			break;
		case ETH_P_PPPOE_SES:
			/* The PPP protocol is not looked at; caplen is checked by the IP stage. */
			c->type = SP_ETH_P_IPV4;
			c->ip_offset = (uint16_t)(c->ip_offset + 8);
			break;
		default:
			return SP_PARSE_OK;
		}
	}
}

static inline bool
ipv6_is_ext(uint8_t nxt)
{
	return nxt == 0 || nxt == 43 || nxt == 44 || nxt == 60 || nxt == 135 || nxt == 59;
}

/*
 * nDPI 4.2 ndpi_handle_ipv6_extension_headers(), on an offset instead of a
 * pointer. l3len is the uint16 the caller computes; l4len is the IPv6
 * payload length, which the callers have checked to be within caplen, so
 * every read below is in bounds. Note the quirks kept: the fragment header
 * takes 5 from l3len but skips 8 bytes, and the walk stops with success as
 * soon as l3len <= 1 even if nxt is still an extension header.
 */
static int
parse_ipv6_ext(const uint8_t *p, uint16_t l3len, uint32_t *l4off, uint16_t *l4len, uint8_t *nxt)
{
	while (l3len > 1 && ipv6_is_ext(*nxt)) {
		const uint8_t *h = p + *l4off;
		uint16_t ehdr_len;

		if (*nxt == 59)
			return -1;
		if (*nxt == 44) {
			if (*l4len < 8 || l3len < 5)
				return -1;
			l3len -= 5;
			*nxt = h[0];
			if ((sp_parse_rd16(h + 2) >> 3) != 0)
				return -1;	/* non-first fragment */
			*l4len -= 8;
			*l4off += 8;
			continue;
		}
		if (*l4len < 2)
			return -1;
		ehdr_len = (uint16_t)(h[1] * 8 + 8);
		if (ehdr_len > l3len)
			return -1;
		l3len -= ehdr_len;
		if (*l4len < ehdr_len)
			return -1;
		*nxt = h[0];
		*l4len -= ehdr_len;
		*l4off += ehdr_len;
	}
	return 0;
}

/*
 * The "iph_check" block of packet_process() for one header. Returns OK with
 * *again set when the header is IP-in-IP and ip_offset now points at the
 * inner header.
 */
static inline enum sp_parse_result
parse_ip(struct sp_parse_ctx *c, bool *again)
{
	const uint8_t *iph;
	uint32_t l4off;
	uint8_t version;

	*again = false;
	if (unlikely(c->caplen < (uint32_t)c->ip_offset + 20))
		return SP_PARSE_IGN_IP_SHORT;
	iph = c->pkt + c->ip_offset;
	/*
	 * Only an ethertype of 0x0800 refreshes frag_off and proto. Otherwise
	 * (DLT_NULL little-endian, PPP, SNAP, the inner header of 4in6...)
	 * they keep older values, usually 0: fragments pass and no tunnel is
	 * tried.
	 */
	if (c->type == SP_ETH_P_IPV4) {
		c->frag_off = sp_parse_rd16(iph + 6);
		c->proto = iph[9];
	}
	version = iph[0] >> 4;
	if (likely(version == 4)) {
		c->ip_len = (uint16_t)((iph[0] & 0x0F) * 4);
		c->version = 4;
		/* Decapsulated before the fragment test: the outer offset is never checked. */
		if (iph[9] == IPPROTO_V4_IPV6 || iph[9] == IPPROTO_V4_IPIP) {
			c->ip_offset = (uint16_t)(c->ip_offset + c->ip_len);
			if (c->ip_len > 0) {
				*again = true;
				return SP_PARSE_OK;
			}
		}
		if (c->frag_off & 0x1FFF)
			return SP_PARSE_IGN_IPV4_FRAG;
		return SP_PARSE_OK;
	}
	if (version != 6)
		return SP_PARSE_IGN_IP_VERSION;
	if (c->caplen < (uint32_t)c->ip_offset + 40)
		return SP_PARSE_IGN_IPV6_TRUNC;
	c->proto = iph[6];
	c->ip_len = sp_parse_rd16(iph + 4);
	if (c->caplen < (uint32_t)c->ip_offset + 40 + c->ip_len)
		return SP_PARSE_IGN_IPV6_TRUNC;
	l4off = (uint32_t)c->ip_offset + 40;
	if (parse_ipv6_ext(c->pkt, (uint16_t)(c->caplen - c->ip_offset - 40), &l4off, &c->ip_len,
			   &c->proto) != 0)
		return SP_PARSE_IGN_IPV6_EXT;
	c->version = 6;
	if (c->proto == IPPROTO_V4_IPV6 || c->proto == IPPROTO_V4_IPIP) {
		c->ip_offset = (uint16_t)l4off;
		*again = true;
	}
	return SP_PARSE_OK;
}

/*
 * decode_tunnels on a UDP packet: the UDP header is looked for at
 * ip_offset + ip_len. For IPv6 ip_len is the payload length, not the
 * header length, so the "ports" are payload bytes (NFStream bug, kept).
 */
static inline enum sp_parse_result
parse_udp_tunnel(struct sp_parse_ctx *c, struct sp_pkt_meta *m, enum sp_parse_next *next)
{
	uint32_t udp = (uint32_t)c->ip_offset + c->ip_len;
	uint16_t sport, dport;

	*next = SP_PARSE_NEXT_DONE;
	if (unlikely(c->caplen < udp + 8))
		return SP_PARSE_IGN_TUNNEL;
	sport = sp_parse_rd16(c->pkt + udp);
	dport = sp_parse_rd16(c->pkt + udp + 2);
	/* Same else-if chain as NFStream: a short GTP packet is still tried as TZSP/CAPWAP. */
	if ((sport == SP_PORT_GTP_U || dport == SP_PORT_GTP_U) && udp + 16 < c->caplen)
		return sp_parse_gtp(c, udp, next);
	if (unlikely(sport == SP_PORT_TZSP || dport == SP_PORT_TZSP))
		return sp_parse_tzsp(c, udp, next);
	if (unlikely(sport == SP_PORT_CAPWAP_DATA || dport == SP_PORT_CAPWAP_DATA))
		return sp_parse_capwap(c, udp, m, next);
	return SP_PARSE_OK;
}

/*
 * packet_get_*_info(): ports, flags and lengths of the transport header at
 * l4 (an offset <= caplen), whose length per the IP header is l4len.
 */
static inline void
parse_l4(const struct sp_parse_ctx *c, uint32_t l4, uint16_t l4len, uint8_t proto,
	 struct sp_pkt_meta *m)
{
	uint8_t tmp[14];
	const uint8_t *h = c->pkt + l4;
	uint32_t avail = c->caplen - l4;

	m->src_port = 0;
	m->dst_port = 0;
	m->tcp_flags = 0;
	m->size[SP_SIZE_TRANSPORT] = l4len;
	if (likely(proto == IPPROTO_V4_TCP && l4len >= 20)) {
		unsigned int hlen;

		/* IPv4 truncated by the snaplen: NFStream reads beyond caplen. */
		if (unlikely(avail < sizeof(tmp))) {
			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, h, avail);
			h = tmp;
		}
		m->src_port = sp_parse_rd16(h);
		m->dst_port = sp_parse_rd16(h + 2);
		m->tcp_flags = h[13];
		hlen = (h[12] >> 4) * 4u;
		m->size[SP_SIZE_PAYLOAD] = l4len > hlen ? (uint16_t)(l4len - hlen) : 0;
	} else if (likely(proto == IPPROTO_V4_UDP && l4len >= 8)) {
		if (unlikely(avail < 4)) {
			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, h, avail);
			h = tmp;
		}
		m->src_port = sp_parse_rd16(h);
		m->dst_port = sp_parse_rd16(h + 2);
		m->size[SP_SIZE_PAYLOAD] = (uint16_t)(l4len - 8);
	} else if (proto == IPPROTO_V4_ICMP || proto == IPPROTO_V6_ICMP) {
		/* No ports: all ICMP between two hosts is one flow. */
		m->size[SP_SIZE_PAYLOAD] = l4len > 8 ? (uint16_t)(l4len - 8) : 0;
	} else {
		/* Other protocols, TCP under 20 and UDP under 8 bytes. */
		m->size[SP_SIZE_TRANSPORT] = 0;
		m->size[SP_SIZE_PAYLOAD] = 0;
	}
}

/*
 * packet_parse() / packet_get_ip_info() / packet_get_ipv6_info(): the final
 * checks on the header at ip_offset and the extraction of the fields.
 * ipsize is caplen - ip_offset as a uint16, as NFStream computes it.
 */
static inline enum sp_parse_result
parse_final(const struct sp_parse_ctx *c, uint32_t wire_len, struct sp_pkt_meta *m)
{
	const uint8_t *iph = c->pkt + c->ip_offset;
	uint16_t ipsize = (uint16_t)(c->caplen - c->ip_offset);
	uint16_t tot, l4len;
	uint32_t l4off;
	uint8_t proto;

	if (likely(c->version == 4)) {
		uint16_t ihl4 = (uint16_t)((iph[0] & 0x0F) * 4);

		tot = sp_parse_rd16(iph + 2);
		l4len = (uint16_t)(tot - ihl4);
		if (unlikely(ipsize < 20 || ihl4 > ipsize))
			return SP_PARSE_IGN_IPV4_HDR;
		/* Fails exactly when tot_len < ihl*4 (the uint16 l4len wrapped): TSO's 0. */
		if (unlikely((uint32_t)(tot > ipsize ? tot : ipsize) < (uint32_t)ihl4 + l4len))
			return SP_PARSE_IGN_IPV4_HDR;
		proto = iph[9];
		l4off = ihl4;
		memcpy(m->src_ip, iph + 12, 4);
		memset(m->src_ip + 4, 0, 12);
		memcpy(m->dst_ip, iph + 16, 4);
		memset(m->dst_ip + 4, 0, 12);
	} else {
		uint32_t l4 = (uint32_t)c->ip_offset + 40;

		if (ipsize < 40)
			return SP_PARSE_IGN_IPV6_TRUNC;
		tot = sp_parse_rd16(iph + 4);
		l4len = tot;
		proto = iph[6];
		if (ipsize < 40u + tot)
			return SP_PARSE_IGN_IPV6_TRUNC;
		/* Walked a second time, as NFStream does; same input, same result. */
		if (parse_ipv6_ext(c->pkt, (uint16_t)(ipsize - 40), &l4, &l4len, &proto) != 0)
			return SP_PARSE_IGN_IPV6_EXT;
		l4off = (uint16_t)(l4 - c->ip_offset);
		if (l4off > ipsize ||
		    (uint32_t)(tot > ipsize ? tot : ipsize) < l4off + l4len)
			return SP_PARSE_IGN_IPV6_TRUNC;
		memcpy(m->src_ip, iph + 8, 16);
		memcpy(m->dst_ip, iph + 24, 16);
	}
	parse_l4(c, (uint32_t)c->ip_offset + l4off, l4len, proto, m);
	m->protocol = proto;
	m->ip_version = c->version;
	m->vlan_id = c->vlan_id;
	m->tunnel_id = c->tunnel_id;
	m->size[SP_SIZE_RAW] = (uint16_t)wire_len;
	m->size[SP_SIZE_IP] = tot;
	m->ip_offset = c->ip_offset;
	return SP_PARSE_OK;
}

/*
 * Tunnel ports (host order) by their low byte: a UDP packet with a port
 * whose low byte is marked here may be a tunnel, and goes the general way.
 * One load per port instead of six compares; a false alarm (1 port in 85)
 * costs only the general path, which decides exactly.
 */
static const uint8_t tunnel_port_lo[256] = {
	[SP_PORT_GTP_U & 0xff] = 1,
	[SP_PORT_CAPWAP_DATA & 0xff] = 1,
	[SP_PORT_TZSP & 0xff] = 1,
};

/* An IPv4 address into a 16-byte field, zeros after it: one vector store
 * instead of three. With the ports in one store and VLAN, protocol and
 * tunnel in another, the fast path went from 66.8 to 61.8 instructions a
 * packet (callgrind, small64, LTO). */
static inline void
parse_store_ip4(uint8_t *dst, const uint8_t *src)
{
	typedef uint32_t v4u32 __attribute__((vector_size(16)));
	uint32_t a;
	v4u32 v;

	memcpy(&a, src, sizeof(a));
	v = (v4u32){ a, 0, 0, 0 };
	memcpy(dst, &v, sizeof(v));
}

/* Both ports (network order at l4) into src_port and dst_port with one
 * load and one store. */
static inline void
parse_store_ports(struct sp_pkt_meta *m, const uint8_t *l4)
{
	uint32_t v;

	memcpy(&v, l4, sizeof(v));
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	v = rte_bswap32(v);		/* src << 16 | dst */
	v = (v >> 16) | (v << 16);	/* src first in memory */
#endif
	memcpy(&m->src_port, &v, sizeof(v));
}

#define PARSE_AFTER(a, b, gap) \
	(offsetof(struct sp_pkt_meta, b) == offsetof(struct sp_pkt_meta, a) + (gap))
static_assert(PARSE_AFTER(src_port, dst_port, 2) && PARSE_AFTER(vlan_id, protocol, 2) &&
	      PARSE_AFTER(vlan_id, tunnel_id, 3),
	      "sp_pkt_meta: ports, then VLAN, protocol and tunnel, adjacent");

/*
 * The common case in one straight pass: Ethernet II, IPv4 without options
 * and not a fragment, TCP or UDP (not on a tunnel port) with its header
 * captured, frame under 64 KiB. It returns false for anything else, which
 * then takes the general path below; for the frames it accepts, both give
 * the same result (test_parse "fast path = general path" compares them on
 * mutated frames).
 *
 * Fields are stored as soon as they are known, so that few values stay
 * live (no register saves); a packet that then goes the general way has
 * every field written again there.
 *
 * Tried and dropped: the same for IPv6 without extension headers. It cost
 * IPv4 packets 5 instructions (small64: 273.6 -> 278.7 per packet) and
 * gained nothing measurable on mix, whose IPv6 share is under 2 %.
 */
static inline bool
parse_fast(const uint8_t *p, uint32_t caplen, uint32_t wire_len, bool decode_tunnels,
	   struct sp_pkt_meta *m)
{
	struct {
		uint16_t vlan_id;
		uint8_t protocol;
		uint8_t tunnel_id;
	} ext;
	const uint8_t *iph = p + 14;
	const uint8_t *l4 = p + 34;
	uint16_t tot, l4len;
	uint8_t proto;

	/* 54 bytes hold a 20-byte TCP header; 65535 keeps every uint16 exact. */
	if (caplen - 54 > 65535 - 54 || sp_parse_rd16(p + 12) != SP_ETH_P_IPV4 ||
	    iph[0] != 0x45 || (sp_parse_rd16(iph + 6) & 0x1FFF) != 0)
		return false;
	tot = sp_parse_rd16(iph + 2);
	/* tot_len < ihl*4 is a bad header (the general path ignores it) */
	if (tot < 20)
		return false;
	m->size[SP_SIZE_IP] = tot;
	parse_store_ip4(m->src_ip, iph + 12);
	parse_store_ip4(m->dst_ip, iph + 16);
	m->ip_version = 4;
	l4len = (uint16_t)(tot - 20);
	proto = iph[9];
	m->size[SP_SIZE_RAW] = (uint16_t)wire_len;
	m->size[SP_SIZE_TRANSPORT] = l4len;
	if (proto == IPPROTO_V4_TCP) {
		unsigned int hlen = (l4[12] >> 4) * 4u;

		if (l4len < 20)
			return false;
		m->size[SP_SIZE_PAYLOAD] = l4len > hlen ? (uint16_t)(l4len - hlen) : 0;
		m->tcp_flags = l4[13];
	} else if (proto == IPPROTO_V4_UDP) {
		if (l4len < 8)
			return false;
		/* decode_tunnels reads the UDP header at ip_offset + ihl*4: here */
		if (decode_tunnels &&
		    (tunnel_port_lo[l4[1]] | tunnel_port_lo[l4[3]]) != 0)
			return false;
		m->size[SP_SIZE_PAYLOAD] = (uint16_t)(l4len - 8);
		m->tcp_flags = 0;
	} else {
		return false;
	}
	parse_store_ports(m, l4);
	/* VLAN, protocol and tunnel: one store */
	ext.vlan_id = 0;
	ext.protocol = proto;
	ext.tunnel_id = SP_TUNNEL_NONE;
	memcpy(&m->vlan_id, &ext, sizeof(ext));
	memcpy(m->dst_mac, p, 12);	/* dst_mac, src_mac */
	m->ip_offset = 14;
	return true;
}

/*
 * The general path: every link type, tunnel and header chain. Kept out of
 * line so that sp_parse_packet()'s fast path needs no stack frame: inlined,
 * its register saves and context set-up cost 26 instructions on every
 * packet, fast or not (callgrind, small64).
 */
__rte_noinline enum sp_parse_result
sp_parse_general(const uint8_t *data, uint32_t caplen, uint32_t wire_len, int dlt,
		 bool decode_tunnels, struct sp_pkt_meta *m)
{
	struct sp_parse_ctx c = {
		.pkt = data,
		.caplen = caplen,
		.steps = SP_PARSE_MAX_STEPS,
	};
	enum sp_parse_result r;
	enum sp_parse_next next;
	bool again;

	/* Link types without MACs leave them zero, as NFStream's zeroed nf_packet. */
	memset(m->src_mac, 0, sizeof(m->src_mac));
	memset(m->dst_mac, 0, sizeof(m->dst_mac));

datalink_check:
	r = parse_datalink(&c, dlt, m);
	if (unlikely(r != SP_PARSE_OK))
		return r;
	r = parse_ethertype(&c);
	if (unlikely(r != SP_PARSE_OK))
		return r;
iph_check:
	do {
		if (unlikely(--c.steps == 0))
			return SP_PARSE_IGN_TUNNEL;
		r = parse_ip(&c, &again);
		if (unlikely(r != SP_PARSE_OK))
			return r;
	} while (unlikely(again));

	if (decode_tunnels && c.proto == IPPROTO_V4_UDP) {
		r = parse_udp_tunnel(&c, m, &next);
		if (unlikely(r != SP_PARSE_OK))
			return r;
		if (unlikely(next == SP_PARSE_NEXT_LINK))
			goto datalink_check;
		if (unlikely(next == SP_PARSE_NEXT_IP))
			goto iph_check;
	}
	return parse_final(&c, wire_len, m);
}

enum sp_parse_result
sp_parse_packet(const uint8_t *data, uint32_t caplen, uint32_t wire_len, int dlt,
		bool decode_tunnels, struct sp_pkt_meta *m)
{
	if (likely(dlt == SP_DLT_EN10MB) &&
	    parse_fast(data, caplen, wire_len, decode_tunnels, m))
		return SP_PARSE_OK;
	return sp_parse_general(data, caplen, wire_len, dlt, decode_tunnels, m);
}
