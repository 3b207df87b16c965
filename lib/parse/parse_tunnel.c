/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnel decoding (NFStream decode_tunnels, the UDP block of packet_process):
 * GTP-U, TZSP and CAPWAP data. Kept apart from parse.c because it is off the
 * hot path: it runs only for UDP on one of the three ports.
 *
 * As in parse.c, the rules are NFStream's, quirks included; every read is
 * bounded by caplen (NFStream's own checks already guarantee it here).
 */
#include <stdint.h>
#include <string.h>

#include "sp_parse.h"
#include "parse_private.h"

#define GTP_HDR_LEN 8
#define GTP_OPT_LEN 4		/* sequence number, N-PDU number, next extension type */
#define GTP_FLAG_E 0x04
#define GTP_FLAGS_OPT 0x07	/* E, S or PN: the optional 4 bytes are present */
#define GTP_MSG_TPDU 0xFF

#define TZSP_HDR_LEN 4
#define TZSP_ENCAP_ETHERNET 1
#define TZSP_TAG_PADDING 0
#define TZSP_TAG_END 1

#define WIFI_HDR_LEN 24
#define LLC_SNAP_LEN 8

enum sp_parse_result
sp_parse_gtp(struct sp_parse_ctx *c, uint32_t udp, enum sp_parse_next *next)
{
	const uint8_t *p = c->pkt;
	uint32_t off = udp + 8;
	uint8_t flags = p[off];
	unsigned int ext_len;
	uint8_t version;

	/* The caller checked udp + 16 < caplen: the 8-byte GTP header is there. */
	*next = SP_PARSE_NEXT_DONE;
	if ((flags >> 5) != 1 || p[off + 1] != GTP_MSG_TPDU)
		return SP_PARSE_OK;	/* not GTPv1 T-PDU: plain UDP, tunnel_id 0 */
	off += GTP_HDR_LEN;
	if (flags & GTP_FLAGS_OPT)
		off += GTP_OPT_LEN;
	if (flags & GTP_FLAG_E) {
		/*
		 * Walked even if the header's next-extension type is 0. Each
		 * extension is 4*len bytes and ends with the next type; a zero
		 * length or running off the frame means "not GTP".
		 */
		while (off < c->caplen) {
			ext_len = (unsigned int)p[off] << 2;
			off += ext_len;
			if (off >= c->caplen || ext_len == 0)
				return SP_PARSE_OK;
			if (p[off - 1] == 0)
				break;
		}
	}
	if (off >= c->caplen)
		return SP_PARSE_OK;
	/* Valid GTP-U: the inner header is not checked for fragments or tunnels. */
	c->tunnel_id = SP_TUNNEL_GTP;
	c->ip_offset = (uint16_t)off;
	version = p[c->ip_offset] >> 4;
	if (version == 6) {
		if (c->caplen < (uint32_t)c->ip_offset + 40)
			return SP_PARSE_IGN_IPV6_TRUNC;
	} else if (version != 4) {
		return SP_PARSE_IGN_IP_VERSION;
	} else if (c->caplen < (uint32_t)c->ip_offset + 20) {
		return SP_PARSE_IGN_IP_SHORT;
	}
	c->version = version;
	return SP_PARSE_OK;
}

enum sp_parse_result
sp_parse_tzsp(struct sp_parse_ctx *c, uint32_t udp, enum sp_parse_next *next)
{
	const uint8_t *p = c->pkt;
	uint32_t off = udp + 8;
	unsigned int tag_len;

	*next = SP_PARSE_NEXT_DONE;
	if (c->caplen < off + TZSP_HDR_LEN)
		return SP_PARSE_IGN_TUNNEL;
	/* Set on the port alone: a non-Ethernet TZSP packet stays the outer UDP flow. */
	c->tunnel_id = SP_TUNNEL_TZSP;
	if (p[off] != 1 || p[off + 1] != 0 || sp_parse_rd16(p + off + 2) != TZSP_ENCAP_ETHERNET)
		return SP_PARSE_OK;
	off += TZSP_HDR_LEN;
	if (off >= c->caplen)
		return SP_PARSE_OK;
	/*
	 * NFStream skips one tag only, and a TLV tag by its length byte alone,
	 * without its 2-byte type/length header (sic).
	 */
	if (p[off] == TZSP_TAG_PADDING || p[off] == TZSP_TAG_END) {
		tag_len = 1;
	} else {
		if (off + 1 >= c->caplen)
			return SP_PARSE_IGN_TUNNEL;
		tag_len = p[off + 1];
	}
	off += tag_len;
	if (off >= c->caplen)
		return SP_PARSE_IGN_TUNNEL;
	/* Link parsing restarts here with the capture's DLT; the other state is kept. */
	c->eth_offset = off;
	*next = SP_PARSE_NEXT_LINK;
	return SP_PARSE_OK;
}

enum sp_parse_result
sp_parse_capwap(struct sp_parse_ctx *c, uint32_t udp, struct sp_pkt_meta *m,
		enum sp_parse_next *next)
{
	const uint8_t *p = c->pkt;
	uint32_t off = udp + 8;

	*next = SP_PARSE_NEXT_DONE;
	if (off + 1 >= c->caplen || (p[off] & 0x0F) != 0)
		return SP_PARSE_OK;
	off += (p[off + 1] & 0xF8) >> 1;	/* HLEN, in 4-byte words */
	if (off + WIFI_HDR_LEN + LLC_SNAP_LEN >= c->caplen)
		return SP_PARSE_OK;
	/* 802.11 header: addr2 (transmitter) and addr3. */
	memcpy(m->src_mac, p + off + 10, 6);
	memcpy(m->dst_mac, p + off + 16, 6);
	off += WIFI_HDR_LEN;
	/* The SNAP type is taken whatever DSAP says. */
	c->type = sp_parse_rd16(p + off + 6);
	c->ip_offset = (uint16_t)(off + LLC_SNAP_LEN);
	c->tunnel_id = SP_TUNNEL_CAPWAP;
	*next = SP_PARSE_NEXT_IP;
	return SP_PARSE_OK;
}
