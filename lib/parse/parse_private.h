/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PARSE_PRIVATE_H
#define SP_PARSE_PRIVATE_H

/*
 * Internal to lib/parse: the decoder state shared by parse.c (link, IP and
 * transport layers, the hot path) and parse_tunnel.c (GTP-U, TZSP and CAPWAP,
 * reached only for UDP on a tunnel port).
 *
 * The state mirrors the locals of NFStream's packet_process() one for one,
 * with the same integer widths, because NFStream's results depend on them:
 * offsets are uint16 and wrap, and type/proto/frag_off/vlan_id/pyld_eth_len/
 * wifi_len survive a TZSP restart or an IP-in-IP step unchanged.
 */

#include <stdint.h>

#include "sp_parse.h"

#define SP_ETH_P_IPV4 0x0800
#define SP_ETH_P_IPV6 0x86DD

#define SP_PORT_GTP_U 2152
#define SP_PORT_CAPWAP_DATA 5247
#define SP_PORT_TZSP 37008

struct sp_parse_ctx {
	const uint8_t *pkt;
	uint32_t caplen;
	uint32_t eth_offset;	/* start of the link header (moves on a TZSP restart) */
	uint32_t steps;		/* loop budget, see SP_PARSE_MAX_STEPS in parse.c */
	uint16_t type;		/* ethertype as NFStream resolves it (may be stale) */
	uint16_t ip_offset;	/* uint16 like NFStream: it wraps past 65535 */
	uint16_t ip_len;	/* IPv4 ihl*4; IPv6 payload length after ext headers */
	uint16_t frag_off;	/* read only when type == 0x0800, else stale */
	uint16_t vlan_id;
	uint16_t radio_len;
	int wifi_len;		/* kept across a TZSP restart (sic) */
	int pyld_eth_len;	/* idem: an 802.3 outer frame makes the inner one LLC too */
	uint8_t proto;		/* read only when type == 0x0800 or from IPv6, else stale */
	uint8_t version;	/* version of the header at ip_offset once decided */
	uint8_t tunnel_id;
};

/** What the caller does after a tunnel decoder returned SP_PARSE_OK. */
enum sp_parse_next {
	SP_PARSE_NEXT_DONE,	/* parse the header at ctx->ip_offset (outer or GTP inner) */
	SP_PARSE_NEXT_LINK,	/* TZSP: restart link parsing at ctx->eth_offset */
	SP_PARSE_NEXT_IP,	/* CAPWAP: restart IP parsing at ctx->ip_offset */
};

/*
 * sp_parse_packet() without its fast path: every frame the general way.
 * For the unit tests, which check that both ways agree.
 */
enum sp_parse_result sp_parse_general(const uint8_t *data, uint32_t caplen, uint32_t wire_len,
				      int dlt, bool decode_tunnels, struct sp_pkt_meta *m);

/*
 * Tunnel decoders, called with udp = offset of the outer UDP header (at least
 * 8 bytes of it are in the frame). They return SP_PARSE_OK and set *next, or
 * the reason to ignore the packet.
 */
enum sp_parse_result sp_parse_gtp(struct sp_parse_ctx *c, uint32_t udp, enum sp_parse_next *next);
enum sp_parse_result sp_parse_tzsp(struct sp_parse_ctx *c, uint32_t udp, enum sp_parse_next *next);
enum sp_parse_result sp_parse_capwap(struct sp_parse_ctx *c, uint32_t udp, struct sp_pkt_meta *m,
				     enum sp_parse_next *next);

static inline uint16_t
sp_parse_rd16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint16_t
sp_parse_rd16le(const uint8_t *b)
{
	return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t
sp_parse_rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

#endif /* SP_PARSE_PRIVATE_H */
