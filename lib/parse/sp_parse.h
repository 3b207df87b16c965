/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PARSE_H
#define SP_PARSE_H

/**
 * @file
 * Packet parsing: one captured frame in, the fields a flow needs out.
 *
 * The rules are NFStream's (docs/nfstream-semantics.md §3, lib_engine.c packet_process and
 * helpers), including its quirks, so that the same packets give the same
 * flows. The parser is a pure function over a contiguous buffer: no mbuf, no
 * EAL, no allocation, no logging. A packet it refuses is reported with the
 * reason so the caller can count it.
 *
 * Thread safety: reentrant.
 */

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** pcap link types the parser understands (values of pcap_datalink()). */
#define SP_DLT_NULL 0
#define SP_DLT_EN10MB 1
#define SP_DLT_PPP 9
#define SP_DLT_RAW 12		/* LINKTYPE_RAW (101) as libpcap maps it on Linux */
#define SP_DLT_PPP_SERIAL 50
#define SP_DLT_C_HDLC 104
#define SP_DLT_LINUX_SLL 113
#define SP_DLT_IEEE802_11_RADIO 127
#define SP_DLT_IPV4 228
#define SP_DLT_IPV6 229

/** Tunnel ids, as NFStream's tunnel_id column (nDPI ndpi_packet_tunnel). */
enum sp_tunnel {
	SP_TUNNEL_NONE = 0,
	SP_TUNNEL_GTP = 1,
	SP_TUNNEL_CAPWAP = 2,
	SP_TUNNEL_TZSP = 3,
};

/** TCP flag bits in sp_pkt_meta::tcp_flags (the TCP header's own layout). */
#define SP_TCP_FIN 0x01
#define SP_TCP_SYN 0x02
#define SP_TCP_RST 0x04
#define SP_TCP_PSH 0x08
#define SP_TCP_ACK 0x10
#define SP_TCP_URG 0x20
#define SP_TCP_ECE 0x40
#define SP_TCP_CWR 0x80

/**
 * Outcome of sp_parse_packet(). SP_PARSE_OK means the packet belongs to a
 * flow; every other value is a reason NFStream ignores the packet (it then
 * neither creates nor updates a flow, and does not advance the clock).
 */
enum sp_parse_result {
	SP_PARSE_OK = 0,
	SP_PARSE_IGN_DLT,	/**< link type not supported (e.g. SLL2) */
	SP_PARSE_IGN_SHORT,	/**< caplen below the link header + 28 bytes */
	SP_PARSE_IGN_L2,	/**< STP/LLC, radiotap bad FCS, 802.11 non-data */
	SP_PARSE_IGN_IP_SHORT,	/**< caplen < ip_offset + 20 */
	SP_PARSE_IGN_IP_VERSION, /**< version nibble neither 4 nor 6 */
	SP_PARSE_IGN_IPV4_HDR,	/**< bad IHL or total length */
	SP_PARSE_IGN_IPV4_FRAG,	/**< non-first IPv4 fragment */
	SP_PARSE_IGN_IPV6_TRUNC, /**< IPv6 payload beyond caplen */
	SP_PARSE_IGN_IPV6_EXT,	/**< bad extension chain, no-next-header, non-first fragment */
	SP_PARSE_IGN_TUNNEL,	/**< tunnel header too short to decode (TZSP) */
	SP_PARSE_RESULTS	/**< number of values */
};

/** Stable lowercase name of a result, for counters and logs ("ipv4_frag"). */
const char *sp_parse_result_name(enum sp_parse_result r);

/** Indexes of sp_pkt_meta::size[], equal to NFStream's accounting_mode. */
enum sp_size {
	SP_SIZE_RAW = 0,	/**< wire length (pcap len), modulo 2^16 */
	SP_SIZE_IP = 1,		/**< IPv4 tot_len, IPv6 payload_len */
	SP_SIZE_TRANSPORT = 2,	/**< L4 length from the IP header */
	SP_SIZE_PAYLOAD = 3,	/**< L4 payload length */
	SP_SIZES = 4,
};

/**
 * What a flow needs from one packet, as the packet carries it (not yet put
 * in a direction-agnostic order: see the flow module for the key).
 */
struct sp_pkt_meta {
	/** Addresses: IPv4 in bytes 0..3 with bytes 4..15 zero, IPv6 all 16. */
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	/*
	 * Ports, then VLAN, protocol and tunnel in 4 contiguous bytes: the flow
	 * state has the same layout, so that a packet is matched to its flow
	 * with word compares (sp_features_match()).
	 */
	uint16_t src_port;	/**< host order; 0 when the protocol has no ports */
	uint16_t dst_port;
	uint16_t vlan_id;	/**< VID of the last 0x8100 tag, 0 if none */
	uint8_t protocol;	/**< innermost L4 protocol (after IPv6 ext headers) */
	uint8_t tunnel_id;	/**< enum sp_tunnel */
	uint8_t ip_version;	/**< 4 or 6, innermost header */
	uint8_t tcp_flags;	/**< SP_TCP_* bits, 0 for non-TCP */
	uint8_t dst_mac[6];	/**< zero for link types without MACs */
	uint8_t src_mac[6];	/**< (after dst_mac, as in an Ethernet header) */
	uint16_t size[SP_SIZES]; /**< per accounting mode, uint16 arithmetic */
	/**
	 * Offset of the innermost IP header in the frame. The bytes handed to
	 * nDPI are [ip_offset, caplen), their length taken modulo 2^16.
	 */
	uint32_t ip_offset;
};

/**
 * Parse one frame.
 *
 * @param data
 *   First byte of the frame (link header included).
 * @param caplen
 *   Bytes available at data.
 * @param wire_len
 *   Original length of the frame on the wire (pcap header len); it gives
 *   size[SP_SIZE_RAW] and may be larger than caplen.
 * @param dlt
 *   Link type of the capture (SP_DLT_*; pcap_datalink() values).
 * @param decode_tunnels
 *   Decode GTP-U, TZSP and CAPWAP (NFStream decode_tunnels). IP-in-IP is
 *   always decoded.
 * @param m
 *   Filled on SP_PARSE_OK; unspecified otherwise.
 * @return
 *   SP_PARSE_OK, or the reason the packet is ignored.
 */
enum sp_parse_result sp_parse_packet(const uint8_t *data, uint32_t caplen, uint32_t wire_len,
				     int dlt, bool decode_tunnels, struct sp_pkt_meta *m);

/** True when dlt is one of the link types sp_parse_packet() decodes. */
bool sp_parse_dlt_supported(int dlt);

#ifdef __cplusplus
}
#endif

#endif /* SP_PARSE_H */
