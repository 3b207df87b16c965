/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_TEST_PKT_H
#define SP_TEST_PKT_H

/**
 * @file
 * Byte-level frame builder for unit tests (cf. DPDK app/test
 * packet_burst_generator.h), plus a minimal pcap file writer.
 *
 * A frame is built by appending headers in wire order, outermost first:
 *
 * @code
 *	struct sp_test_pkt *p = sp_test_pkt_new();
 *	sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
 *	sp_test_pkt_ipv4(p, SP_TEST_IP4(10, 0, 0, 1), SP_TEST_IP4(10, 0, 0, 2), 17);
 *	sp_test_pkt_udp(p, 1234, 53);
 *	sp_test_pkt_payload(p, 20, 0xab);
 *	sp_test_pkt_finish(p);		// fills every length field
 *	... p->buf, p->len ...
 *	sp_test_pkt_free(p);
 * @endcode
 *
 * Length fields (IPv4 total length and checksum, IPv6 payload length, UDP
 * length, GTP-U length, PPPoE length, 802.3 length) are filled by
 * sp_test_pkt_finish() from the final frame size, for every header appended
 * with a length, nested ones included (IP-in-IP, tunnels). The other fields
 * take the values given, or fixed defaults (TTL 64, IPv4 id 0, TCP window
 * 65535, checksums of TCP/UDP/ICMP left 0).
 *
 * To build a malformed frame, call sp_test_pkt_finish() first and then
 * overwrite bytes at the offsets the append functions return (the offset
 * of the header's first byte in buf), e.g. `p->buf[ip + 2] = 0` to zero an
 * IPv4 total length. Every function aborts the test program if the frame
 * would exceed SP_TEST_PKT_MAX; none of them can fail otherwise.
 *
 * Multi-byte arguments are in host order and written in network order,
 * except for the fields that are little-endian on the wire (radiotap, and
 * the DLT_NULL family when asked for).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest frame; above 65535 so that uint16 wrap-around can be tested. */
#define SP_TEST_PKT_MAX (72 * 1024)
#define SP_TEST_PKT_FIXUPS 32

/** IPv4 address a.b.c.d as a host-order uint32 for sp_test_pkt_ipv4(). */
#define SP_TEST_IP4(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/** Two example MACs. */
extern const uint8_t SP_TEST_MAC_A[6];
extern const uint8_t SP_TEST_MAC_B[6];

struct sp_test_pkt {
	uint32_t len;				/**< bytes used in buf */
	unsigned int nfix;
	struct {
		uint32_t off;
		int kind;
	} fix[SP_TEST_PKT_FIXUPS];		/**< length fields to fill, outer first */
	uint8_t buf[SP_TEST_PKT_MAX];
};

/** Allocate an empty frame (heap: the struct is large). Never NULL. */
/** Big-endian stores into any buffer (frames built by hand). */
void sp_test_wr_be16(uint8_t *b, uint16_t v);
void sp_test_wr_be32(uint8_t *b, uint32_t v);

struct sp_test_pkt *sp_test_pkt_new(void);
/** Free; NULL is a no-op. */
void sp_test_pkt_free(struct sp_test_pkt *p);
/** Empty the frame for reuse. */
void sp_test_pkt_reset(struct sp_test_pkt *p);

/** Append len raw bytes (data NULL: zeros). @return offset of the first. */
uint32_t sp_test_pkt_put(struct sp_test_pkt *p, const void *data, uint32_t len);
/** Append len bytes of value fill. @return offset of the first. */
uint32_t sp_test_pkt_payload(struct sp_test_pkt *p, uint32_t len, uint8_t fill);
/** Append one byte / a big-endian 16 or 32-bit value. @return its offset. */
uint32_t sp_test_pkt_u8(struct sp_test_pkt *p, uint8_t v);
uint32_t sp_test_pkt_be16(struct sp_test_pkt *p, uint16_t v);
uint32_t sp_test_pkt_be32(struct sp_test_pkt *p, uint32_t v);
/** Overwrite a big-endian 16-bit value at off (after sp_test_pkt_finish()). */
void sp_test_pkt_set_be16(struct sp_test_pkt *p, uint32_t off, uint16_t v);

/* ---- link layers ---- */

/** Ethernet II: dst, src, ethertype (14 bytes). */
uint32_t sp_test_pkt_eth(struct sp_test_pkt *p, const uint8_t dst[6], const uint8_t src[6],
			 uint16_t ethertype);
/** IEEE 802.3: dst, src, length (filled by finish: bytes after the header). */
uint32_t sp_test_pkt_eth_8023(struct sp_test_pkt *p, const uint8_t dst[6], const uint8_t src[6]);
/** 802.2 LLC header alone: dsap, ssap, control (3 bytes). */
uint32_t sp_test_pkt_llc(struct sp_test_pkt *p, uint8_t dsap, uint8_t ssap, uint8_t ctrl);
/** LLC + SNAP: AA AA 03, OUI 00 00 00, protocol (8 bytes). */
uint32_t sp_test_pkt_llc_snap(struct sp_test_pkt *p, uint16_t proto);
/** 802.1Q tag as it follows the 0x8100 type: TCI (pcp/dei/vid), next ethertype (4 bytes). */
uint32_t sp_test_pkt_vlan(struct sp_test_pkt *p, uint16_t tci, uint16_t ethertype);
/** One MPLS label stack entry (4 bytes). */
uint32_t sp_test_pkt_mpls(struct sp_test_pkt *p, uint32_t label, uint8_t tc, bool bottom,
			  uint8_t ttl);
/** PPPoE session header + PPP protocol (8 bytes); length filled by finish. */
uint32_t sp_test_pkt_pppoe(struct sp_test_pkt *p, uint16_t session, uint16_t ppp_proto);
/** Linux cooked capture v1 (DLT_LINUX_SLL, 16 bytes): packet type, src MAC, protocol. */
uint32_t sp_test_pkt_sll(struct sp_test_pkt *p, uint16_t pkttype, const uint8_t src[6],
			 uint16_t proto);
/** BSD loopback (DLT_NULL, 4 bytes): family in host-LE or big-endian byte order. */
uint32_t sp_test_pkt_null(struct sp_test_pkt *p, uint32_t family, bool big_endian);
/** Cisco HDLC (DLT_C_HDLC/PPP_SERIAL, 4 bytes): address (0x0f/0x8f), control 0, proto. */
uint32_t sp_test_pkt_chdlc(struct sp_test_pkt *p, uint8_t addr, uint16_t proto);
/** PPP without framing (DLT_PPP, 2 bytes): protocol. */
uint32_t sp_test_pkt_ppp(struct sp_test_pkt *p, uint16_t proto);
/**
 * Radiotap header of total length len (>= 17, little-endian fields): version 0,
 * present = TSFT|FLAGS, 8-byte TSFT 0, flags byte at offset 16, zero padding.
 */
uint32_t sp_test_pkt_radiotap(struct sp_test_pkt *p, uint16_t len, uint8_t flags);
/** 802.11 MAC header (24 bytes): fc (host value, written LE), addr1..3, seq 0. */
uint32_t sp_test_pkt_wifi(struct sp_test_pkt *p, uint16_t fc, const uint8_t a1[6],
			  const uint8_t a2[6], const uint8_t a3[6]);
/** 802.11 frame control of a data frame; to_ds/from_ds bits as given. */
#define SP_TEST_WIFI_FC_DATA(to_ds, from_ds) \
	((uint16_t)(0x0008 | ((to_ds) ? 0x0100 : 0) | ((from_ds) ? 0x0200 : 0)))

/* ---- IP ---- */

/** IPv4, 20 bytes, DF clear, no fragment; tot_len and checksum by finish. */
uint32_t sp_test_pkt_ipv4(struct sp_test_pkt *p, uint32_t src, uint32_t dst, uint8_t proto);
/**
 * IPv4 with ihl (in 4-byte words, >= 5 gives zeroed options; < 5 writes a
 * 20-byte header anyway) and frag (the flags+offset field, e.g. 0x2000 = MF).
 */
uint32_t sp_test_pkt_ipv4_ex(struct sp_test_pkt *p, uint32_t src, uint32_t dst, uint8_t proto,
			     uint8_t ihl, uint16_t frag);
/** IPv6 fixed header (40 bytes), hop limit 64; payload length by finish. */
uint32_t sp_test_pkt_ipv6(struct sp_test_pkt *p, const uint8_t src[16], const uint8_t dst[16],
			  uint8_t nxt);
/**
 * Generic IPv6 extension header (hop-by-hop 0, routing 43, dest options 60,
 * mobility 135): next header, hdr_ext_len; (hdr_ext_len + 1) * 8 bytes.
 */
uint32_t sp_test_pkt_ipv6_ext(struct sp_test_pkt *p, uint8_t nxt, uint8_t hdr_ext_len);
/** IPv6 fragment header (8 bytes): offset in 8-byte units, M flag, id. */
uint32_t sp_test_pkt_ipv6_frag(struct sp_test_pkt *p, uint8_t nxt, uint16_t offset, bool more,
			       uint32_t id);

/* ---- transport ---- */

/** TCP header of doff 4-byte words (>= 5; options zeroed), flags byte as given. */
uint32_t sp_test_pkt_tcp(struct sp_test_pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
			 uint8_t doff);
/** UDP header (8 bytes); length by finish. */
uint32_t sp_test_pkt_udp(struct sp_test_pkt *p, uint16_t sport, uint16_t dport);
/** ICMP / ICMPv6 header (8 bytes): type, code, checksum 0, id, sequence. */
uint32_t sp_test_pkt_icmp(struct sp_test_pkt *p, uint8_t type, uint8_t code, uint16_t id,
			  uint16_t seq);

/* ---- tunnels ---- */

/**
 * GTPv1-U header: flags (e.g. 0x30 = version 1, PT; | 0x04 E, 0x02 S, 0x01 PN),
 * message type, TEID; length by finish. When flags & 7, the 4 optional bytes
 * follow (sequence 0, N-PDU 0, next extension type next_ext).
 */
uint32_t sp_test_pkt_gtpu(struct sp_test_pkt *p, uint8_t flags, uint8_t msg_type,
			  uint32_t teid, uint8_t next_ext);
/**
 * GTP extension header of len 4-byte units: length byte, zero content, next
 * type in the last byte. len 0 still writes 4 bytes (for malformed tests).
 */
uint32_t sp_test_pkt_gtpu_ext(struct sp_test_pkt *p, uint8_t len, uint8_t next_ext);
/** TZSP header (4 bytes): version, type, encapsulated protocol. Tags via _put/_u8. */
uint32_t sp_test_pkt_tzsp(struct sp_test_pkt *p, uint8_t version, uint8_t type, uint16_t encap);
/**
 * CAPWAP header of hlen 4-byte words (>= 2): preamble byte, HLEN in the top
 * 5 bits of byte 1, the rest zero (T bit set: native 802.11 payload).
 */
uint32_t sp_test_pkt_capwap(struct sp_test_pkt *p, uint8_t preamble, uint8_t hlen);

/** Fill the length fields (and IPv4 checksums) of every header appended. */
void sp_test_pkt_finish(struct sp_test_pkt *p);

/* ---- pcap files ---- */

/** pcap LINKTYPE values for sp_test_pcap_open() (101 is read back as DLT_RAW 12). */
#define SP_TEST_LINKTYPE_RAW 101

/** Create a microsecond pcap file of the given LINKTYPE. NULL on error. */
FILE *sp_test_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen);
/** Append a record: caplen bytes of data; wire_len >= caplen. 0 or -1. */
int sp_test_pcap_write(FILE *f, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
		       uint32_t wire_len);
/** Close; 0 or -1. */
int sp_test_pcap_close(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* SP_TEST_PKT_H */
