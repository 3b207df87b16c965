/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/parse: frames built byte by byte with sp_test_pkt, and
 * the exact fields NFStream (lib_engine.c packet_process) derives from them,
 * quirks included (docs/nfstream-semantics.md §3). Every frame is parsed from a heap copy of
 * exactly caplen bytes, so ASan/valgrind flag any read past caplen.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_common.h>

#include "sp_parse.h"
#include "parse_private.h"
#include "sp_test.h"
#include "sp_test_pkt.h"

#define A4 SP_TEST_IP4(10, 0, 0, 1)
#define B4 SP_TEST_IP4(192, 168, 1, 2)
#define C4 SP_TEST_IP4(172, 16, 0, 3)
#define D4 SP_TEST_IP4(172, 16, 0, 4)

static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 };
static const uint8_t MAC_C[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t MAC_D[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0d };
static const uint8_t MAC_0[6];

static struct sp_test_pkt *P;
static struct sp_pkt_meta M;

static int
suite_init(void)
{
	P = sp_test_pkt_new();
	return 0;
}

static int
suite_clean(void)
{
	sp_test_pkt_free(P);
	P = NULL;
	return 0;
}

/* Parse caplen bytes of P from an exact-size heap copy; M is poisoned first. */
static enum sp_parse_result
run_len(int dlt, bool tunnels, uint32_t caplen, uint32_t wire_len)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum sp_parse_result r;

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, P->buf, caplen);
	memset(&M, 0xEE, sizeof(M));
	r = sp_parse_packet(copy, caplen, wire_len, dlt, tunnels, &M);
	free(copy);
	return r;
}

static enum sp_parse_result
run(int dlt, bool tunnels)
{
	return run_len(dlt, tunnels, P->len, P->len);
}

static void
start(void)
{
	sp_test_pkt_reset(P);
}

static bool
is_v4(const uint8_t ip[16], uint32_t a)
{
	static const uint8_t zero[12];

	return ip[0] == (uint8_t)(a >> 24) && ip[1] == (uint8_t)(a >> 16) &&
	       ip[2] == (uint8_t)(a >> 8) && ip[3] == (uint8_t)a && memcmp(ip + 4, zero, 12) == 0;
}

#define CHECK_V4(src, dst) do { \
	CU_ASSERT(is_v4(M.src_ip, (src))); \
	CU_ASSERT(is_v4(M.dst_ip, (dst))); \
	CU_ASSERT_EQUAL(M.ip_version, 4); \
} while (0)

#define CHECK_V6(src, dst) do { \
	CU_ASSERT(memcmp(M.src_ip, (src), 16) == 0); \
	CU_ASSERT(memcmp(M.dst_ip, (dst), 16) == 0); \
	CU_ASSERT_EQUAL(M.ip_version, 6); \
} while (0)

#define CHECK_PORTS(s, d) do { \
	CU_ASSERT_EQUAL(M.src_port, (s)); \
	CU_ASSERT_EQUAL(M.dst_port, (d)); \
} while (0)

#define CHECK_MACS(src, dst) do { \
	CU_ASSERT(memcmp(M.src_mac, (src), 6) == 0); \
	CU_ASSERT(memcmp(M.dst_mac, (dst), 6) == 0); \
} while (0)

#define CHECK_SIZES(raw, ip, l4, pay) do { \
	CU_ASSERT_EQUAL(M.size[SP_SIZE_RAW], (raw)); \
	CU_ASSERT_EQUAL(M.size[SP_SIZE_IP], (ip)); \
	CU_ASSERT_EQUAL(M.size[SP_SIZE_TRANSPORT], (l4)); \
	CU_ASSERT_EQUAL(M.size[SP_SIZE_PAYLOAD], (pay)); \
} while (0)

/* Eth / IPv4 (A4 -> B4, proto) and nothing else yet. */
static uint32_t
eth_ipv4(uint16_t ethertype, uint8_t proto)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, ethertype);
	return sp_test_pkt_ipv4(P, A4, B4, proto);
}

/* Eth / IPv4 / UDP sport -> dport / payload. */
static void
eth_ipv4_udp(uint16_t sport, uint16_t dport, uint32_t payload)
{
	eth_ipv4(0x0800, 17);
	sp_test_pkt_udp(P, sport, dport);
	sp_test_pkt_payload(P, payload, 0x55);
	sp_test_pkt_finish(P);
}

/* ------------------------------------------------------------------ */
/* Results, link types                                                 */
/* ------------------------------------------------------------------ */

static void
test_result_names(void)
{
	int i, j;

	CU_ASSERT_STRING_EQUAL(sp_parse_result_name(SP_PARSE_OK), "ok");
	CU_ASSERT_STRING_EQUAL(sp_parse_result_name(SP_PARSE_IGN_IPV4_FRAG), "ipv4_frag");
	CU_ASSERT_STRING_EQUAL(sp_parse_result_name(SP_PARSE_IGN_IPV6_EXT), "ipv6_ext");
	CU_ASSERT_STRING_EQUAL(sp_parse_result_name(SP_PARSE_RESULTS), "unknown");
	CU_ASSERT_STRING_EQUAL(sp_parse_result_name((enum sp_parse_result)-1), "unknown");
	for (i = 0; i < SP_PARSE_RESULTS; i++)
		for (j = i + 1; j < SP_PARSE_RESULTS; j++)
			CU_ASSERT(strcmp(sp_parse_result_name(i), sp_parse_result_name(j)) != 0);
}

static void
test_dlt_supported(void)
{
	static const int yes[] = { 0, 1, 9, 12, 50, 104, 113, 127, 228, 229 };
	static const int no[] = { -1, 2, 10, 101, 105, 276, 192, 1000 };
	unsigned int i;

	for (i = 0; i < RTE_DIM(yes); i++)
		CU_ASSERT(sp_parse_dlt_supported(yes[i]));
	for (i = 0; i < RTE_DIM(no); i++)
		CU_ASSERT(!sp_parse_dlt_supported(no[i]));
	/* SLL2 and others are ignored whatever the frame. */
	eth_ipv4_udp(1000, 53, 10);
	CU_ASSERT_EQUAL(run(276, true), SP_PARSE_IGN_DLT);
	CU_ASSERT_EQUAL(run(105, true), SP_PARSE_IGN_DLT);
}

static void
test_eth_ipv4_tcp(void)
{
	uint32_t ip;

	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	ip = sp_test_pkt_ipv4(P, A4, B4, 6);
	sp_test_pkt_tcp(P, 51000, 443, SP_TCP_SYN | SP_TCP_ACK, 5);
	sp_test_pkt_payload(P, 100, 0x41);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(ip, 14);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, P->len, 1000), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CHECK_PORTS(51000, 443);
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	CU_ASSERT_EQUAL(M.protocol, 6);
	CU_ASSERT_EQUAL(M.vlan_id, 0);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_SYN | SP_TCP_ACK);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	/* raw = wire length (not caplen), ip = tot_len, l4 = tot - 20, payload = l4 - 20. */
	CHECK_SIZES(1000, 140, 120, 100);
}

static void
test_eth_ipv6_udp(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 5353, 53);
	sp_test_pkt_payload(P, 30, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	CHECK_PORTS(5353, 53);
	CU_ASSERT_EQUAL(M.protocol, 17);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	/* ip_size is payload_len: the 40-byte header is not counted. */
	CHECK_SIZES(14 + 40 + 38, 38, 38, 30);
}

static void
test_short_frames(void)
{
	uint32_t len;

	eth_ipv4_udp(1000, 53, 0);	/* 42 bytes */
	for (len = 0; len < 28; len++)
		CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, len, 60), SP_PARSE_IGN_SHORT);
	/* 28 bytes pass the link check but hold no IPv4 header. */
	for (len = 28; len < 34; len++)
		CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, len, 60), SP_PARSE_IGN_IP_SHORT);
	/* UDP header cut with decode_tunnels: NFStream gives up before the ports. */
	for (len = 34; len < 42; len++)
		CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, len, 60), SP_PARSE_IGN_TUNNEL);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 42, 60), SP_PARSE_OK);
	/* Without it, the IPv4 header is enough: missing port bytes read as 0. */
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, false, 34, 60), SP_PARSE_OK);
	CHECK_PORTS(0, 0);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, false, 36, 60), SP_PARSE_OK);
	CHECK_PORTS(1000, 0);
	CHECK_SIZES(60, 28, 8, 0);
	/* DLT_RAW: the 28-byte minimum is from the start of the frame. */
	start();
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run_len(SP_DLT_RAW, true, 27, 28), SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_RAW, true, 28, 28), SP_PARSE_OK);
}

static void
test_dlt_null(void)
{
	uint32_t ip;

	/* Big-endian AF_INET (2): type IPv4, so a non-first fragment is dropped. */
	start();
	sp_test_pkt_null(P, 2, true);
	ip = sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x0010);
	sp_test_pkt_payload(P, 16, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(ip, 4);
	CU_ASSERT_EQUAL(run(SP_DLT_NULL, true), SP_PARSE_IGN_IPV4_FRAG);
	/* Little-endian AF_INET: ntohl() != 2, so type = IPv6 and the fragment passes. */
	start();
	sp_test_pkt_null(P, 2, false);
	sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x0010);
	sp_test_pkt_payload(P, 16, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_NULL, true), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CU_ASSERT_EQUAL(M.protocol, 17);
	CU_ASSERT_EQUAL(M.ip_offset, 4);
	CHECK_MACS(MAC_0, MAC_0);
	/* The UDP "ports" are the first payload bytes here: no fragment logic. */
	CHECK_PORTS(0, 0);
	CHECK_SIZES(4 + 36, 36, 16, 8);
	/* IPv6 under any family value. */
	start();
	sp_test_pkt_null(P, 30, false);
	sp_test_pkt_ipv6(P, A6, B6, 6);
	sp_test_pkt_tcp(P, 1, 2, SP_TCP_FIN, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_NULL, true), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_FIN);
}

static void
test_dlt_null_no_tunnel(void)
{
	/* Little-endian DLT_NULL: proto is never read, so GTP is not decoded. */
	start();
	sp_test_pkt_null(P, 2, false);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 7, 9);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_NULL, true), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CHECK_PORTS(2152, 2152);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	/* Big-endian: it is. */
	P->buf[0] = 0;
	P->buf[3] = 2;
	CU_ASSERT_EQUAL(run(SP_DLT_NULL, true), SP_PARSE_OK);
	CHECK_V4(C4, D4);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
}

static void
test_dlt_ppp(void)
{
	/* PPP without framing: 2-byte protocol, type 0x0021 (not 0x0800): fragments pass. */
	start();
	sp_test_pkt_ppp(P, 0x0021);
	sp_test_pkt_ipv4_ex(P, A4, B4, 6, 5, 0x0100);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_PPP, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 2);
	CHECK_V4(A4, B4);
	CHECK_MACS(MAC_0, MAC_0);
	/* Cisco HDLC framing in DLT_PPP and DLT_C_HDLC: 4 bytes, type 0x0800: dropped. */
	start();
	sp_test_pkt_chdlc(P, 0x8f, 0x0800);
	sp_test_pkt_ipv4_ex(P, A4, B4, 6, 5, 0x0100);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_PPP, true), SP_PARSE_IGN_IPV4_FRAG);
	CU_ASSERT_EQUAL(run(SP_DLT_C_HDLC, true), SP_PARSE_IGN_IPV4_FRAG);
	P->buf[10] = 0;		/* fragment offset 0 */
	CU_ASSERT_EQUAL(run(SP_DLT_C_HDLC, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 4);
	/* Address 0x0f as well; anything else is PPP without framing. */
	P->buf[0] = 0x0f;
	CU_ASSERT_EQUAL(run(SP_DLT_PPP, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 4);
	P->buf[0] = 0xff;
	CU_ASSERT_EQUAL(run(SP_DLT_C_HDLC, true), SP_PARSE_IGN_IP_VERSION);
	/* DLT_PPP_SERIAL is always 4 bytes, whatever the address byte. */
	CU_ASSERT_EQUAL(run(SP_DLT_PPP_SERIAL, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 4);
	CHECK_V4(A4, B4);
}

static void
test_dlt_raw(void)
{
	start();
	sp_test_pkt_ipv6(P, A6, B6, 58);
	sp_test_pkt_icmp(P, 128, 0, 7, 1);
	sp_test_pkt_payload(P, 12, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_RAW, true), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	CU_ASSERT_EQUAL(M.ip_offset, 0);
	CU_ASSERT_EQUAL(M.protocol, 58);
	CHECK_SIZES(60, 20, 20, 12);
	CU_ASSERT_EQUAL(run(SP_DLT_IPV6, true), SP_PARSE_OK);
	/* DLT_IPV4 on an IPv6 packet: the version nibble decides. */
	CU_ASSERT_EQUAL(run(SP_DLT_IPV4, true), SP_PARSE_OK);
	CHECK_V6(A6, B6);

	/* RAW sets type from the nibble: an IPv4 non-first fragment is dropped... */
	start();
	sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x0001);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_RAW, true), SP_PARSE_IGN_IPV4_FRAG);
	CU_ASSERT_EQUAL(run(SP_DLT_IPV4, true), SP_PARSE_IGN_IPV4_FRAG);
	/* ... but with DLT_IPV6 type is 0x86DD and it passes. */
	CU_ASSERT_EQUAL(run(SP_DLT_IPV6, true), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	P->buf[0] = 0x55;
	CU_ASSERT_EQUAL(run(SP_DLT_RAW, true), SP_PARSE_IGN_IP_VERSION);
}

static void
test_dlt_sll(void)
{
	start();
	sp_test_pkt_sll(P, 4, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 0x2007, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 68, 67);
	sp_test_pkt_payload(P, 10, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_LINUX_SLL, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 20);
	CU_ASSERT_EQUAL(M.vlan_id, 7);
	/* SLL carries a MAC but NFStream does not take it. */
	CHECK_MACS(MAC_0, MAC_0);
	CHECK_V4(A4, B4);
	CHECK_PORTS(68, 67);
}

/* Radiotap (len rlen, flags) / 802.11 data (to_ds, from_ds) / SNAP / IPv4 / UDP. */
static void
radiotap_frame(uint16_t rlen, uint8_t flags, uint16_t fc, bool qos_pad)
{
	start();
	sp_test_pkt_radiotap(P, rlen, flags);
	sp_test_pkt_wifi(P, fc, SP_TEST_MAC_B, SP_TEST_MAC_A, MAC_C);
	if (qos_pad)
		sp_test_pkt_put(P, NULL, 2);
	sp_test_pkt_llc_snap(P, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1024, 53);
	sp_test_pkt_payload(P, 8, 0);
	sp_test_pkt_finish(P);
}

static void
test_dlt_radiotap(void)
{
	radiotap_frame(18, 0x00, SP_TEST_WIFI_FC_DATA(1, 0), true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 18 + 26 + 8);
	/* src = addr2 (transmitter), dst = addr3. */
	CHECK_MACS(SP_TEST_MAC_A, MAC_C);
	CHECK_V4(A4, B4);
	CHECK_PORTS(1024, 53);
	radiotap_frame(25, 0x00, SP_TEST_WIFI_FC_DATA(0, 1), true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 25 + 26 + 8);
	/* FCS present (0x10) alone is fine; with bad FCS (0x40) too it is not. */
	radiotap_frame(18, 0x10, SP_TEST_WIFI_FC_DATA(1, 0), true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	radiotap_frame(18, 0x50, SP_TEST_WIFI_FC_DATA(1, 0), true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_L2);
	radiotap_frame(18, 0x40, SP_TEST_WIFI_FC_DATA(1, 0), true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	/* Management (type 0) and control (type 1) frames. */
	radiotap_frame(18, 0, 0x0080, true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_L2);
	radiotap_frame(18, 0, 0x0004, true);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_L2);
	/*
	 * Neither or both DS bits: the 802.11 length stays 0 (sic), so the LLC
	 * is read at the 802.11 header and IP at radiotap + 8, inside addr1.
	 */
	radiotap_frame(18, 0, SP_TEST_WIFI_FC_DATA(0, 0), false);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_IP_VERSION);
	radiotap_frame(18, 0, SP_TEST_WIFI_FC_DATA(1, 1), false);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_IP_VERSION);
	/* Radiotap length running past caplen. */
	radiotap_frame(18, 0, SP_TEST_WIFI_FC_DATA(1, 0), true);
	P->buf[2] = 0xF0;
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_SHORT);
	/* 802.11 header present, LLC not. */
	radiotap_frame(18, 0, SP_TEST_WIFI_FC_DATA(1, 0), true);
	CU_ASSERT_EQUAL(run_len(SP_DLT_IEEE802_11_RADIO, true, 18 + 24, 100), SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_IEEE802_11_RADIO, true, 18 + 26 + 7, 100),
			SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_IEEE802_11_RADIO, true, 18 + 26 + 8, 100),
			SP_PARSE_IGN_IP_SHORT);
}

static void
test_radiotap_non_snap(void)
{
	/* DSAP != 0xAA: type stays 0 (not 0x0800), so fragments pass. */
	radiotap_frame(18, 0, SP_TEST_WIFI_FC_DATA(1, 0), true);
	P->buf[18 + 26] = 0xE0;
	P->buf[18 + 26 + 8 + 7] = 0x10;		/* IPv4 offset 16 bytes */
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	P->buf[18 + 26] = 0xAA;
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_IPV4_FRAG);
}

/* ------------------------------------------------------------------ */
/* 802.1Q, MPLS, PPPoE, 802.3                                          */
/* ------------------------------------------------------------------ */

static void
test_vlan(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 0xE000 | 100, 0x0800);	/* PCP 7 is masked off */
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 100);
	CU_ASSERT_EQUAL(M.ip_offset, 18);
	CHECK_SIZES(46, 28, 8, 0);

	/* Double 0x8100 tag: the last (inner) VID wins. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 100, 0x8100);
	sp_test_pkt_vlan(P, 200, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 200);
	CU_ASSERT_EQUAL(M.ip_offset, 22);
	CHECK_V6(A6, B6);
}

static void
test_vlan_qinq_not_recognized(void)
{
	/* 0x88A8 (and 0x9100) are not tags: IP is looked for at 14, on the TCI. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x88A8);
	sp_test_pkt_vlan(P, 100, 0x8100);
	sp_test_pkt_vlan(P, 200, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	P->buf[12] = 0x91;
	P->buf[13] = 0x00;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	/* An inner 0x88A8 after an 0x8100 tag ends the chain the same way. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 100, 0x88A8);
	sp_test_pkt_vlan(P, 200, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
}

static void
test_vlan_truncated(void)
{
	unsigned int i;

	/* Four tags and caplen 28: the chain runs into the end of the frame. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	for (i = 0; i < 4; i++)
		sp_test_pkt_vlan(P, (uint16_t)(i + 1), 0x8100);
	sp_test_pkt_vlan(P, 9, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 9);
	CU_ASSERT_EQUAL(M.ip_offset, 34);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 28, 100), SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 34, 100), SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 35, 100), SP_PARSE_IGN_IP_SHORT);
}

static void
test_mpls(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8847);
	sp_test_pkt_mpls(P, 16, 0, false, 64);
	sp_test_pkt_mpls(P, 17, 0, false, 64);
	sp_test_pkt_mpls(P, 18, 5, true, 64);
	sp_test_pkt_ipv4(P, A4, B4, 6);
	sp_test_pkt_tcp(P, 179, 40000, SP_TCP_PSH | SP_TCP_ACK, 5);
	sp_test_pkt_payload(P, 19, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 26);
	CU_ASSERT_EQUAL(M.vlan_id, 0);
	CHECK_V4(A4, B4);
	CHECK_PORTS(179, 40000);
	CHECK_SIZES(26 + 59, 59, 39, 19);
	/* Multicast MPLS, IPv6 payload: the version nibble decides. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8848);
	sp_test_pkt_mpls(P, 16, 0, true, 64);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 18);
	CHECK_V6(A6, B6);
	/* VLAN then MPLS. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 42, 0x8847);
	sp_test_pkt_mpls(P, 16, 0, true, 64);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 42);
	CU_ASSERT_EQUAL(M.ip_offset, 22);
}

static void
test_mpls_no_bottom(void)
{
	unsigned int i;

	/*
	 * No bottom-of-stack bit: labels are skipped while 4 more bytes fit,
	 * then IPv4 is looked for where the walk stopped.
	 */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8847);
	for (i = 0; i < 10; i++)
		sp_test_pkt_mpls(P, 16, 0, false, 64);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(P->len, 54);
	/* Labels at 14..50: the last one read is at 46 (46 + 4 < 54), ip_offset 50. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 28, 60), SP_PARSE_IGN_IP_SHORT);
}

static void
test_pppoe(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8864);
	sp_test_pkt_pppoe(P, 0x1234, 0x0021);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_payload(P, 4, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 22);
	CHECK_V4(A4, B4);
	CHECK_PORTS(1, 2);
	/* The PPP protocol is not checked: IPv6 via the version nibble. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8864);
	sp_test_pkt_pppoe(P, 0x1234, 0x0057);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	/* VLAN + PPPoE. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 10, 0x8864);
	sp_test_pkt_pppoe(P, 1, 0x0021);
	sp_test_pkt_ipv4(P, A4, B4, 1);
	sp_test_pkt_icmp(P, 8, 0, 1, 1);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 26);
	CU_ASSERT_EQUAL(M.vlan_id, 10);
	/* Discovery (0x8863) is not PPPoE for NFStream: IP at 14. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8863);
	sp_test_pkt_pppoe(P, 0, 0x0021);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
}

static void
test_8023_snap(void)
{
	uint32_t ip;

	start();
	sp_test_pkt_eth_8023(P, SP_TEST_MAC_B, SP_TEST_MAC_A);
	sp_test_pkt_llc_snap(P, 0x0800);
	ip = sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 5, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(ip, 22);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 22);
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	/* SNAP type read without ntohs: 0x0008, so proto is not read: no GTP. */
	CHECK_V4(A4, B4);
	CHECK_PORTS(2152, 2152);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	/* ... and an IPv4 non-first fragment is not dropped. */
	P->buf[ip + 6] = 0x00;
	P->buf[ip + 7] = 0x40;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	/* With the bytes swapped (0x0008 on the wire) type reads as 0x0800. */
	P->buf[20] = 0x00;
	P->buf[21] = 0x08;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
	/* SSAP alone 0xAA is SNAP too. */
	P->buf[ip + 7] = 0x00;
	P->buf[14] = 0x00;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CHECK_V4(C4, D4);
}

static void
test_8023_stp_and_llc(void)
{
	/* STP: DSAP or SSAP 0x42. */
	start();
	sp_test_pkt_eth_8023(P, SP_TEST_MAC_B, SP_TEST_MAC_A);
	sp_test_pkt_llc(P, 0x42, 0x42, 0x03);
	sp_test_pkt_payload(P, 35, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_L2);
	P->buf[14] = 0x00;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_L2);
	/* Other LLC (NetBIOS F0): IP is looked for right after the MAC header. */
	P->buf[14] = 0xF0;
	P->buf[15] = 0xF0;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	/* 802.3 length 0 means no LLC check at all (pyld_eth_len stays 0). */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0000);
	sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x0020);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	/* Ethertypes 1501..1535 set nothing: type stays 0, so fragments pass. */
	P->buf[12] = 0x05;
	P->buf[13] = 0xEE;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	P->buf[13] = 0xDD;		/* 1501 */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	P->buf[13] = 0xDC;		/* 1500: 802.3, LLC = 45 00: neither SNAP nor STP */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	P->buf[12] = 0x06;
	P->buf[13] = 0x00;		/* 1536: a type, not 0x0800: fragments pass */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	P->buf[12] = 0x08;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
}

/* ------------------------------------------------------------------ */
/* IPv4                                                                */
/* ------------------------------------------------------------------ */

static void
test_ipv4_fragments(void)
{
	uint32_t ip;

	/* First fragment (MF, offset 0): kept, ports from its UDP header. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	ip = sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x2000);
	sp_test_pkt_udp(P, 5000, 53);
	sp_test_pkt_payload(P, 1000, 0);
	sp_test_pkt_finish(P);
	sp_test_pkt_set_be16(P, 14 + 20 + 4, 3000);	/* UDP length of the whole datagram */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(5000, 53);
	/* Lengths come from the IP header, not from the UDP one. */
	CHECK_SIZES(1042, 1028, 1008, 1000);
	/* DF alone. */
	sp_test_pkt_set_be16(P, ip + 6, 0x4000);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	/* Non-first fragments, with and without MF. */
	sp_test_pkt_set_be16(P, ip + 6, 0x2001);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
	sp_test_pkt_set_be16(P, ip + 6, 0x1FFF);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
	/* The reserved bit is not part of the offset. */
	sp_test_pkt_set_be16(P, ip + 6, 0x8000);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
}

static void
test_ipv4_header_lengths(void)
{
	uint32_t ip;

	/* Options: ihl 7, the UDP header follows at 28. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	ip = sp_test_pkt_ipv4_ex(P, A4, B4, 17, 7, 0);
	sp_test_pkt_udp(P, 7777, 8888);
	sp_test_pkt_payload(P, 2, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(7777, 8888);
	CHECK_SIZES(14 + 38, 38, 10, 2);
	/* ihl*4 beyond caplen. */
	P->buf[ip] = 0x4F;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_IGN_IPV4_HDR);

	/* TSO: tot_len 0 is below ihl*4. */
	eth_ipv4_udp(1, 2, 100);
	sp_test_pkt_set_be16(P, 14 + 2, 0);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_IGN_IPV4_HDR);
	sp_test_pkt_set_be16(P, 14 + 2, 19);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_IGN_IPV4_HDR);
	/* tot_len == ihl*4: no L4 at all. */
	sp_test_pkt_set_be16(P, 14 + 2, 20);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_PORTS(0, 0);
	CHECK_SIZES(142, 20, 0, 0);
	/* tot_len far beyond caplen is fine (snaplen). */
	sp_test_pkt_set_be16(P, 14 + 2, 60000);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_SIZES(142, 60000, 59980, 59972);
}

static void
test_ipv4_tiny_ihl(void)
{
	/*
	 * ihl 0: no IP-in-IP step (ip_len 0) and the transport header is read
	 * at the IP header itself. ihl 1..4 likewise start L4 inside it.
	 */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4_ex(P, A4, B4, 4, 0, 0);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 4);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	CHECK_SIZES(54, 40, 0, 0);
	P->buf[14 + 9] = 17;	/* UDP on ihl 0: the "ports" are the version/len bytes */
	P->buf[14] = 0x40;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_PORTS(0x4000, 40);
	CHECK_SIZES(54, 40, 40, 32);
}

static void
test_ipv4_truncated_kept(void)
{
	/* The spec's verified case: caplen 100 < len 542, IPv4/UDP payload 500. */
	eth_ipv4_udp(3000, 4000, 500);
	CU_ASSERT_EQUAL(P->len, 542);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 100, 542), SP_PARSE_OK);
	CHECK_PORTS(3000, 4000);
	CHECK_SIZES(542, 528, 508, 500);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
}

static void
test_ipv4_truncated_tcp(void)
{
	/* TCP header cut by the snaplen: NFStream reads past caplen; we read zeros. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 6);
	sp_test_pkt_tcp(P, 0x1234, 0x5678, 0xFF, 5);
	sp_test_pkt_payload(P, 10, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 34 + 3, 64), SP_PARSE_OK);
	CHECK_PORTS(0x1234, 0x5600);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
	/* doff read as 0: the whole segment is payload. */
	CHECK_SIZES(64, 50, 30, 30);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 34 + 13, 64), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
	CHECK_SIZES(64, 50, 30, 10);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 34 + 14, 64), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tcp_flags, 0xFF);
}

static void
test_ip_version(void)
{
	static const uint8_t bad[] = { 0x00, 0x35, 0x55, 0x75, 0xF5 };
	unsigned int i;

	eth_ipv4_udp(1, 2, 8);
	for (i = 0; i < RTE_DIM(bad); i++) {
		P->buf[14] = bad[i];
		CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	}
	/* An IPv6 nibble over an IPv4 ethertype is parsed as IPv6 (and fails here). */
	P->buf[14] = 0x65;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_TRUNC);
}

/* ------------------------------------------------------------------ */
/* IPv6 and extension headers                                          */
/* ------------------------------------------------------------------ */

static void
test_ipv6_truncated_ignored(void)
{
	uint32_t len;

	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(P->len, 82);
	for (len = 34; len < 82; len++)
		CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, false, len, 82), SP_PARSE_IGN_IPV6_TRUNC);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, false, 82, 82), SP_PARSE_OK);
	/* payload_len beyond caplen, and a smaller one (trailer bytes are fine). */
	sp_test_pkt_set_be16(P, 14 + 4, 29);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_IGN_IPV6_TRUNC);
	sp_test_pkt_set_be16(P, 14 + 4, 10);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_SIZES(82, 10, 10, 2);
	sp_test_pkt_set_be16(P, 14 + 4, 6);		/* UDP under 8 bytes */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_PORTS(0, 0);
	CHECK_SIZES(82, 6, 0, 0);
}

static void
test_ipv6_ext_chain(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 0);
	sp_test_pkt_ipv6_ext(P, 60, 0);		/* hop-by-hop, 8 bytes */
	sp_test_pkt_ipv6_ext(P, 43, 1);		/* destination options, 16 */
	sp_test_pkt_ipv6_ext(P, 135, 0);	/* routing, 8 */
	sp_test_pkt_ipv6_ext(P, 6, 2);		/* mobility, 24 */
	sp_test_pkt_tcp(P, 80, 1025, SP_TCP_RST, 6);
	sp_test_pkt_payload(P, 5, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 6);
	CHECK_PORTS(80, 1025);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_RST);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	/* ip_size includes the extension headers, transport does not. */
	CHECK_SIZES(14 + 40 + 56 + 29, 56 + 29, 29, 5);
	/* An extension running past payload_len. */
	P->buf[14 + 40 + 8 + 1] = 20;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
}

static void
test_ipv6_fragment(void)
{
	uint32_t frag;

	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 44);
	frag = sp_test_pkt_ipv6_frag(P, 17, 0, true, 0xdeadbeef);
	sp_test_pkt_udp(P, 4444, 53);
	sp_test_pkt_payload(P, 100, 0);
	sp_test_pkt_finish(P);
	/* First fragment: kept with its ports. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(4444, 53);
	CU_ASSERT_EQUAL(M.protocol, 17);
	CHECK_SIZES(14 + 40 + 116, 116, 108, 100);
	/* Non-first fragment: always dropped, whatever the ethertype. */
	sp_test_pkt_set_be16(P, frag + 2, 185 << 3);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
	/* Offset 0 without M (atomic fragment) is a first fragment. */
	sp_test_pkt_set_be16(P, frag + 2, 0);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	/* Fragment header with payload_len under 8. */
	sp_test_pkt_set_be16(P, 14 + 4, 7);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
}

static void
test_ipv6_no_next_header(void)
{
	/* 59 followed by bytes: ignored. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 59);
	sp_test_pkt_payload(P, 6, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
	/* After an extension header too. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 0);
	sp_test_pkt_ipv6_ext(P, 59, 0);
	sp_test_pkt_payload(P, 8, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
	/*
	 * nDPI only walks while more than 1 byte follows the fixed header: a
	 * bare 59, or an extension header type with nothing after it, passes
	 * with that value as the protocol.
	 */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 59);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 59);
	CHECK_PORTS(0, 0);
	CHECK_SIZES(54, 0, 0, 0);
	P->buf[14 + 6] = 0;
	sp_test_pkt_u8(P, 0xAB);		/* one trailer byte: l3len 1 */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 0);
	sp_test_pkt_u8(P, 0xAB);		/* two: walked, payload_len 0 < 2 */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV6_EXT);
}

static void
test_ipv6_ext_l3len_quirk(void)
{
	/*
	 * The fragment header takes 5 from nDPI's l3len but moves 8 bytes:
	 * hop-by-hop (8) + fragment + routing, with exactly that many bytes.
	 * l3len 8+8+8 = 24 -> 16 -> 11 -> the routing header (8) still fits.
	 */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 0);
	sp_test_pkt_ipv6_ext(P, 44, 0);
	sp_test_pkt_ipv6_frag(P, 43, 0, false, 1);
	sp_test_pkt_ipv6_ext(P, 17, 0);
	sp_test_pkt_finish(P);
	/* Walk ends after routing with l3len 3: protocol 17, but payload_len 0 < 8. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 17);
	CHECK_PORTS(0, 0);
	CHECK_SIZES(14 + 64, 24, 0, 0);
}

/* ------------------------------------------------------------------ */
/* IP-in-IP                                                            */
/* ------------------------------------------------------------------ */

static void
test_ipip(void)
{
	/* 4in4. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 4);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 11, 22);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CHECK_PORTS(11, 22);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CU_ASSERT_EQUAL(M.ip_offset, 34);
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	CHECK_SIZES(62, 28, 8, 0);

	/* 6in4. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 41);
	sp_test_pkt_ipv6(P, A6, B6, 6);
	sp_test_pkt_tcp(P, 1, 2, SP_TCP_ACK, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	CU_ASSERT_EQUAL(M.ip_offset, 34);
	CHECK_SIZES(94, 20, 20, 0);

	/* 4in6 behind an extension header. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, B6, A6, 60);
	sp_test_pkt_ipv6_ext(P, 4, 0);
	sp_test_pkt_ipv4(P, A4, B4, 1);
	sp_test_pkt_icmp(P, 8, 0, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CU_ASSERT_EQUAL(M.ip_offset, 62);
	CU_ASSERT_EQUAL(M.protocol, 1);

	/* 6in6. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, B6, A6, 41);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_V6(A6, B6);
	CU_ASSERT_EQUAL(M.ip_offset, 54);
	CHECK_SIZES(102, 8, 8, 0);

	/* Repeated: 4 in 6 in 4 in 4. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(P, D4, C4, 4);
	sp_test_pkt_ipv4(P, C4, D4, 41);
	sp_test_pkt_ipv6(P, B6, A6, 4);
	sp_test_pkt_ipv4(P, A4, B4, 6);
	sp_test_pkt_tcp(P, 8080, 9090, SP_TCP_SYN, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	CHECK_PORTS(8080, 9090);
	CU_ASSERT_EQUAL(M.ip_offset, 14 + 20 + 20 + 40);
}

static void
test_ipip_quirks(void)
{
	uint32_t outer, inner;

	/* The outer header's fragment offset is never checked when it is IP-in-IP. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	outer = sp_test_pkt_ipv4_ex(P, C4, D4, 4, 5, 0x0005);
	inner = sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CHECK_V4(A4, B4);
	/* The inner one is (type is still 0x0800). */
	sp_test_pkt_set_be16(P, outer + 6, 0);
	sp_test_pkt_set_be16(P, inner + 6, 0x0005);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_IGN_IPV4_FRAG);

	/* 4in6: type 0x86DD, so the inner fragment offset is not read: kept. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, B6, A6, 4);
	sp_test_pkt_ipv4_ex(P, A4, B4, 17, 5, 0x0005);
	sp_test_pkt_udp(P, 2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 3, 4);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	/* ... nor its protocol (proto stays 4): no tunnel decoding either. */
	CHECK_V4(A4, B4);
	CHECK_PORTS(2152, 2152);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
}

/* ------------------------------------------------------------------ */
/* Transport                                                           */
/* ------------------------------------------------------------------ */

static void
test_tcp(void)
{
	uint32_t tcp;

	eth_ipv4(0x0800, 6);
	tcp = sp_test_pkt_tcp(P, 1, 2, 0xFF, 5);
	sp_test_pkt_payload(P, 10, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_FIN | SP_TCP_SYN | SP_TCP_RST | SP_TCP_PSH |
			SP_TCP_ACK | SP_TCP_URG | SP_TCP_ECE | SP_TCP_CWR);
	/* NS (low bit of byte 12) is not a flag. */
	P->buf[tcp + 12] = 0x51;
	P->buf[tcp + 13] = SP_TCP_ECE | SP_TCP_CWR;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_ECE | SP_TCP_CWR);
	CHECK_SIZES(64, 50, 30, 10);
	/* Data offset beyond the segment: payload 0. */
	P->buf[tcp + 12] = 0xF0;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_SIZES(64, 50, 30, 0);
	/* Data offset 0: everything is payload. */
	P->buf[tcp + 12] = 0x00;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_SIZES(64, 50, 30, 30);
	/* Segment under 20 bytes: no ports, no flags, no transport size. */
	sp_test_pkt_set_be16(P, 14 + 2, 20 + 19);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 6);
	CHECK_PORTS(0, 0);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
	CHECK_SIZES(64, 39, 0, 0);
}

static void
test_udp(void)
{
	eth_ipv4_udp(65535, 1, 0);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(65535, 1);
	CHECK_SIZES(42, 28, 8, 0);
	sp_test_pkt_set_be16(P, 14 + 2, 27);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(0, 0);
	CHECK_SIZES(42, 27, 0, 0);
}

static void
test_icmp(void)
{
	eth_ipv4(0x0800, 1);
	sp_test_pkt_icmp(P, 8, 0, 0x1234, 7);
	sp_test_pkt_payload(P, 56, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	/* No ports whatever the type or id. */
	CHECK_PORTS(0, 0);
	CU_ASSERT_EQUAL(M.protocol, 1);
	CHECK_SIZES(98, 84, 64, 56);
	/* Any length: 4 bytes of ICMP. */
	sp_test_pkt_set_be16(P, 14 + 2, 24);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_SIZES(98, 24, 4, 0);
	sp_test_pkt_set_be16(P, 14 + 2, 28);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_SIZES(98, 28, 8, 0);
	/* ICMPv6. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 58);
	sp_test_pkt_icmp(P, 135, 0, 0, 0);
	sp_test_pkt_payload(P, 24, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_PORTS(0, 0);
	CU_ASSERT_EQUAL(M.protocol, 58);
	CHECK_SIZES(86, 32, 32, 24);
	/* The protocol number alone decides: ICMP (1) over IPv6 is ICMP. */
	P->buf[14 + 6] = 1;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_SIZES(86, 32, 32, 24);
}

static void
test_other_protocol(void)
{
	eth_ipv4(0x0800, 47);		/* GRE */
	sp_test_pkt_payload(P, 40, 0x11);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.protocol, 47);
	CHECK_PORTS(0, 0);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
	CHECK_SIZES(74, 60, 0, 0);
}

static void
test_sizes_wrap(void)
{
	/* raw_size is the wire length modulo 2^16. */
	eth_ipv4_udp(1, 2, 10);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, P->len, 65536 + 100), SP_PARSE_OK);
	CHECK_SIZES(100, 38, 18, 10);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, P->len, 65535), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.size[SP_SIZE_RAW], 65535);
}

static void
test_meta_zeroing(void)
{
	/* MACs and the upper 12 address bytes are zero, not left over. */
	start();
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_RAW, true), SP_PARSE_OK);
	CHECK_MACS(MAC_0, MAC_0);
	CHECK_V4(A4, B4);
	CU_ASSERT_EQUAL(M.vlan_id, 0);
	CU_ASSERT_EQUAL(M.tunnel_id, 0);
	CU_ASSERT_EQUAL(M.tcp_flags, 0);
}

/* ------------------------------------------------------------------ */
/* Tunnels                                                             */
/* ------------------------------------------------------------------ */

/* Eth / IPv4 (A4 -> B4) / UDP sport -> dport, then the caller's bytes. */
static void
outer_udp(uint16_t sport, uint16_t dport)
{
	eth_ipv4(0x0800, 17);
	sp_test_pkt_udp(P, sport, dport);
}

static void
test_gtp(void)
{
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 0x11223344, 0);
	sp_test_pkt_ipv4(P, C4, D4, 6);
	sp_test_pkt_tcp(P, 1000, 80, SP_TCP_SYN, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CHECK_V4(C4, D4);
	CHECK_PORTS(1000, 80);
	CU_ASSERT_EQUAL(M.protocol, 6);
	CU_ASSERT_EQUAL(M.tcp_flags, SP_TCP_SYN);
	/* MACs stay those of the outer Ethernet. */
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	CU_ASSERT_EQUAL(M.ip_offset, 50);
	/* raw is the whole frame; the others are the inner packet's. */
	CHECK_SIZES(90, 40, 20, 0);
	/* Not decoded without decode_tunnels. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	CHECK_PORTS(2152, 2152);
	CHECK_SIZES(90, 76, 56, 48);
	/* Either port. */
	outer_udp(40000, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 5, 6);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CHECK_V6(A6, B6);
	CHECK_PORTS(5, 6);
	CU_ASSERT_EQUAL(M.ip_offset, 50);
}

static void
test_gtp_options(void)
{
	/* S flag: the 4 optional bytes. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x32, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 54);
	CHECK_V4(C4, D4);
	/* E flag: extension headers of 4*len bytes, until a next type of 0. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x34, 0xFF, 1, 0x85);
	sp_test_pkt_gtpu_ext(P, 1, 0xC0);
	sp_test_pkt_gtpu_ext(P, 2, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CU_ASSERT_EQUAL(M.ip_offset, 54 + 4 + 8);
	CHECK_V4(C4, D4);
	/* The header's own next-type is not looked at: one extension is always walked. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x34, 0xFF, 1, 0);
	sp_test_pkt_gtpu_ext(P, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 58);
	CHECK_V4(C4, D4);
}

static void
test_gtp_invalid_fallback(void)
{
	/* Extension length 0: not decapsulated, plain UDP with tunnel_id 0. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x34, 0xFF, 1, 0x85);
	sp_test_pkt_gtpu_ext(P, 0, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	CHECK_PORTS(2152, 2152);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	/* Extensions running off the frame. */
	P->buf[54] = 0x40;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	/* Not a T-PDU (echo request), or not version 1. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0x01, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	P->buf[42] = 0x50;		/* version 2 */
	P->buf[43] = 0xFF;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	/* Valid GTP but the inner version is neither 4 nor 6: ignored, no fallback. */
	P->buf[42] = 0x30;
	P->buf[50] = 0x55;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	/* Valid GTP, inner IPv4 cut: 20 bytes needed. */
	P->buf[50] = 0x45;
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 69, 100), SP_PARSE_IGN_IP_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 70, 100), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
}

static void
test_gtp_short_and_inner(void)
{
	/*
	 * GTP is tried only if udp + 16 < caplen: with exactly the 8-byte GTP
	 * header and nothing after, the packet is plain UDP.
	 */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(P->len, 50);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_PORTS(2152, 2152);

	/* The inner packet is not checked for fragments. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4_ex(P, C4, D4, 17, 5, 0x00FF);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CHECK_V4(C4, D4);
	/* Nor for IP-in-IP. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 4);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CHECK_V4(C4, D4);
	CU_ASSERT_EQUAL(M.protocol, 4);
	/* An inner IPv6 packet truncated is ignored. */
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 50 + 39, 200), SP_PARSE_IGN_IPV6_TRUNC);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 50 + 47, 200), SP_PARSE_IGN_IPV6_TRUNC);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 50 + 48, 200), SP_PARSE_OK);
}

static void
test_tunnel_udp_too_short(void)
{
	/* decode_tunnels and an IPv4 UDP header not all captured: ignored. */
	eth_ipv4_udp(1, 2, 30);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 41, 72), SP_PARSE_IGN_TUNNEL);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, false, 41, 72), SP_PARSE_OK);
	CHECK_PORTS(1, 2);
	/* A TCP packet is not concerned. */
	eth_ipv4(0x0800, 6);
	sp_test_pkt_tcp(P, 1, 2, 0, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 36, 54), SP_PARSE_OK);
}

static void
test_tunnel_over_ipv6(void)
{
	uint32_t end;

	/* GTP over IPv6: the "UDP header" is read at ip_offset + payload_len. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_payload(P, 40, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V6(A6, B6);
	CHECK_PORTS(2152, 2152);
	/*
	 * ... which is 40 bytes before the end of the frame: payload bytes
	 * reading 37008 make it "TZSP" (tunnel_id 3) though it is not.
	 */
	end = P->len;
	sp_test_pkt_set_be16(P, end - 40, 37008);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CHECK_V6(A6, B6);
	CHECK_PORTS(2152, 2152);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
}

/* Eth / IPv4 / UDP -> 37008 / TZSP v1 type 0 encap 1 (tags by the caller). */
static void
tzsp_outer(void)
{
	outer_udp(40000, 37008);
	sp_test_pkt_tzsp(P, 1, 0, 1);
}

static void
tzsp_inner_eth(void)
{
	sp_test_pkt_eth(P, MAC_D, MAC_C, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 6);
	sp_test_pkt_tcp(P, 22, 2222, SP_TCP_ACK, 5);
	sp_test_pkt_payload(P, 3, 0);
	sp_test_pkt_finish(P);
}

static void
test_tzsp(void)
{
	/* END tag then the Ethernet frame. */
	tzsp_outer();
	sp_test_pkt_u8(P, 1);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CHECK_V4(C4, D4);
	CHECK_PORTS(22, 2222);
	CHECK_MACS(MAC_C, MAC_D);
	CU_ASSERT_EQUAL(M.ip_offset, 42 + 4 + 1 + 14);
	CHECK_SIZES(P->len, 43, 23, 3);
	/* PADDING: one byte as well. */
	tzsp_outer();
	sp_test_pkt_u8(P, 0);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 61);
	/* Not decoded without decode_tunnels. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, false), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	CHECK_PORTS(40000, 37008);
}

static void
test_tzsp_tag_quirks(void)
{
	/*
	 * A TLV tag is skipped by its length byte only. With a length counting
	 * the 2-byte tag header itself, the inner frame is found.
	 */
	tzsp_outer();
	sp_test_pkt_u8(P, 10);
	sp_test_pkt_u8(P, 4);
	sp_test_pkt_be16(P, 0xABCD);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 46 + 4 + 14);
	CHECK_MACS(MAC_C, MAC_D);
	CHECK_V4(C4, D4);
	/*
	 * A well-formed TLV (length 2 = its data) leaves the link header 2
	 * bytes early: type reads 0x000c (802.3), LLC 08 00 is not SNAP, IP at
	 * the "08 00" bytes: version 0.
	 */
	tzsp_outer();
	sp_test_pkt_u8(P, 10);
	sp_test_pkt_u8(P, 2);
	sp_test_pkt_be16(P, 0xABCD);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
	/*
	 * Only the first tag is skipped: after PADDING, END is taken as the
	 * first byte of the frame, whose type then reads 0x0c08 and IP starts
	 * one byte early, on the 00 of 0x0800.
	 */
	tzsp_outer();
	sp_test_pkt_u8(P, 0);
	sp_test_pkt_u8(P, 1);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
}

static void
test_tzsp_not_ethernet(void)
{
	/* Port match alone sets tunnel_id 3; a non-Ethernet TZSP stays the outer flow. */
	outer_udp(37008, 40000);
	sp_test_pkt_tzsp(P, 1, 0, 18);
	sp_test_pkt_u8(P, 1);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CHECK_V4(A4, B4);
	CHECK_PORTS(37008, 40000);
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	CU_ASSERT_EQUAL(M.ip_offset, 14);
	P->buf[42] = 2;		/* version 2 */
	P->buf[45] = 1;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	P->buf[42] = 1;
	P->buf[43] = 1;		/* type 1 (transmit) */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CHECK_V4(A4, B4);
}

static void
test_tzsp_short(void)
{
	/* Under 4 bytes after UDP: ignored. */
	tzsp_outer();
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(P->len, 46);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 45, 46), SP_PARSE_IGN_TUNNEL);
	/* Exactly the header and no tag: the outer UDP packet, tunnel_id 3. */
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CHECK_V4(A4, B4);
	/* A TLV tag with no length byte, or skipping to the end. */
	sp_test_pkt_u8(P, 10);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_TUNNEL);
	sp_test_pkt_u8(P, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_TUNNEL);
	/* END as the last byte. */
	tzsp_outer();
	sp_test_pkt_u8(P, 1);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_TUNNEL);
	/* The inner frame is short: the link check applies to it. */
	tzsp_outer();
	sp_test_pkt_u8(P, 1);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 47 + 27, 200), SP_PARSE_IGN_SHORT);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 47 + 28, 200), SP_PARSE_IGN_IP_SHORT);
}

static void
test_tzsp_state_kept(void)
{
	/* The outer VLAN id survives when the inner frame has no tag... */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 5, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 40000, 37008);
	sp_test_pkt_tzsp(P, 1, 0, 1);
	sp_test_pkt_u8(P, 1);
	tzsp_inner_eth();
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 5);
	CHECK_V4(C4, D4);
	/* ... and the inner tag wins when there is one. */
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 5, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 40000, 37008);
	sp_test_pkt_tzsp(P, 1, 0, 1);
	sp_test_pkt_u8(P, 1);
	sp_test_pkt_eth(P, MAC_D, MAC_C, 0x8100);
	sp_test_pkt_vlan(P, 7, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.vlan_id, 7);
	/* An inner ethertype of 1501..1535 keeps the outer type (0x0800). */
	tzsp_outer();
	sp_test_pkt_u8(P, 1);
	sp_test_pkt_eth(P, MAC_D, MAC_C, 1520);
	sp_test_pkt_ipv4_ex(P, C4, D4, 17, 5, 0x0001);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
	/* An 802.3 outer frame makes the inner Ethernet II frame go through LLC too. */
	start();
	sp_test_pkt_eth_8023(P, SP_TEST_MAC_B, SP_TEST_MAC_A);
	sp_test_pkt_llc_snap(P, 0x0008);	/* 00 08 on the wire reads 0x0800 */
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 40000, 37008);
	sp_test_pkt_tzsp(P, 1, 0, 1);
	sp_test_pkt_u8(P, 1);
	sp_test_pkt_eth(P, MAC_D, MAC_C, 0x0800);
	sp_test_pkt_llc_snap(P, 0x0008);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_TZSP);
	CU_ASSERT_EQUAL(M.ip_offset, 22 + 28 + 4 + 1 + 14 + 8);
	CHECK_V4(C4, D4);
}

static void
test_tzsp_then_gtp(void)
{
	/* A tunnel inside TZSP is decoded again, and its id replaces 3. */
	tzsp_outer();
	sp_test_pkt_u8(P, 1);
	sp_test_pkt_eth(P, MAC_D, MAC_C, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 2152, 2152);
	sp_test_pkt_gtpu(P, 0x30, 0xFF, 1, 0);
	sp_test_pkt_ipv4(P, D4, A4, 17);
	sp_test_pkt_udp(P, 9, 10);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_GTP);
	CHECK_V4(D4, A4);
	CHECK_PORTS(9, 10);
	CHECK_MACS(MAC_C, MAC_D);
}

/* Eth / IPv4 / UDP 5247 / CAPWAP (hlen words) / 802.11 / SNAP (type) / caller. */
static void
capwap_outer(uint8_t preamble, uint8_t hlen, uint16_t type)
{
	outer_udp(5247, 40000);
	sp_test_pkt_capwap(P, preamble, hlen);
	sp_test_pkt_wifi(P, SP_TEST_WIFI_FC_DATA(1, 0), SP_TEST_MAC_B, MAC_C, MAC_D);
	sp_test_pkt_llc_snap(P, type);
}

static void
test_capwap(void)
{
	capwap_outer(0, 2, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 67, 68);
	sp_test_pkt_payload(P, 20, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_CAPWAP);
	CHECK_V4(C4, D4);
	CHECK_PORTS(67, 68);
	/* addr2 and addr3 of the inner 802.11 header. */
	CHECK_MACS(MAC_C, MAC_D);
	CU_ASSERT_EQUAL(M.ip_offset, 42 + 8 + 24 + 8);
	/* A longer CAPWAP header (HLEN 4). */
	capwap_outer(0, 4, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 6);
	sp_test_pkt_tcp(P, 1, 2, SP_TCP_FIN, 5);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_CAPWAP);
	CHECK_V6(A6, B6);
	CU_ASSERT_EQUAL(M.ip_offset, 42 + 16 + 24 + 8);
	/* The inner packet goes through the IP checks again: fragments included. */
	capwap_outer(0, 2, 0x0800);
	sp_test_pkt_ipv4_ex(P, C4, D4, 17, 5, 0x0001);
	sp_test_pkt_udp(P, 67, 68);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IPV4_FRAG);
	/* A non-IP payload (ARP) is ignored. */
	capwap_outer(0, 2, 0x0806);
	sp_test_pkt_payload(P, 28, 0x00);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_IP_VERSION);
}

static void
test_capwap_not_decoded(void)
{
	/* Preamble with a non-zero low nibble: the outer UDP packet. */
	capwap_outer(0x01, 2, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 17);
	sp_test_pkt_udp(P, 67, 68);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	CHECK_PORTS(5247, 40000);
	CHECK_MACS(SP_TEST_MAC_A, SP_TEST_MAC_B);
	/* Version bits (high nibble) are not checked. */
	P->buf[42] = 0x10;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_CAPWAP);
	/* Needs more than 32 bytes after the CAPWAP header. */
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 50 + 32, 200), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
	CHECK_V4(A4, B4);
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 50 + 33, 200), SP_PARSE_IGN_IP_SHORT);
	/* Exactly one byte after UDP. */
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 43, 200), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.tunnel_id, SP_TUNNEL_NONE);
}

/* ------------------------------------------------------------------ */
/* Robustness                                                          */
/* ------------------------------------------------------------------ */

typedef int (*frame_fn)(void);

static int
f_eth_v4_tcp(void)
{
	eth_ipv4(0x0800, 6);
	sp_test_pkt_tcp(P, 1, 2, SP_TCP_SYN, 8);
	sp_test_pkt_payload(P, 20, 1);
	return SP_DLT_EN10MB;
}

static int
f_vlan_mpls_v6_ext(void)
{
	start();
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
	sp_test_pkt_vlan(P, 3, 0x8847);
	sp_test_pkt_mpls(P, 1, 0, false, 1);
	sp_test_pkt_mpls(P, 2, 0, true, 1);
	sp_test_pkt_ipv6(P, A6, B6, 0);
	sp_test_pkt_ipv6_ext(P, 44, 1);
	sp_test_pkt_ipv6_frag(P, 17, 0, true, 9);
	sp_test_pkt_udp(P, 1, 2);
	sp_test_pkt_payload(P, 12, 2);
	return SP_DLT_EN10MB;
}

static int
f_gtp_ext(void)
{
	outer_udp(2152, 2152);
	sp_test_pkt_gtpu(P, 0x36, 0xFF, 1, 0x85);
	sp_test_pkt_gtpu_ext(P, 2, 0);
	sp_test_pkt_ipv6(P, A6, B6, 17);
	sp_test_pkt_udp(P, 1, 2);
	return SP_DLT_EN10MB;
}

static int
f_tzsp_radiotap(void)
{
	start();
	sp_test_pkt_radiotap(P, 20, 0x10);
	sp_test_pkt_wifi(P, SP_TEST_WIFI_FC_DATA(0, 1), SP_TEST_MAC_A, SP_TEST_MAC_B, MAC_C);
	sp_test_pkt_put(P, NULL, 2);
	sp_test_pkt_llc_snap(P, 0x0800);
	sp_test_pkt_ipv4(P, A4, B4, 17);
	sp_test_pkt_udp(P, 37008, 1);
	sp_test_pkt_tzsp(P, 1, 0, 1);
	sp_test_pkt_u8(P, 10);
	sp_test_pkt_u8(P, 3);
	sp_test_pkt_u8(P, 0);
	sp_test_pkt_radiotap(P, 18, 0);
	sp_test_pkt_wifi(P, SP_TEST_WIFI_FC_DATA(1, 0), SP_TEST_MAC_A, SP_TEST_MAC_B, MAC_C);
	sp_test_pkt_put(P, NULL, 2);
	sp_test_pkt_llc_snap(P, 0x86DD);
	sp_test_pkt_ipv6(P, A6, B6, 58);
	sp_test_pkt_icmp(P, 1, 2, 3, 4);
	return SP_DLT_IEEE802_11_RADIO;
}

static int
f_capwap_ipip(void)
{
	capwap_outer(0, 3, 0x0800);
	sp_test_pkt_ipv4(P, C4, D4, 41);
	sp_test_pkt_ipv6(P, A6, B6, 6);
	sp_test_pkt_tcp(P, 1, 2, 0, 5);
	return SP_DLT_EN10MB;
}

static int
f_pppoe_sll(void)
{
	start();
	sp_test_pkt_sll(P, 0, SP_TEST_MAC_A, 0x8864);
	sp_test_pkt_pppoe(P, 1, 0x21);
	sp_test_pkt_ipv4_ex(P, A4, B4, 17, 6, 0x2000);
	sp_test_pkt_udp(P, 1, 2);
	return SP_DLT_LINUX_SLL;
}

static const frame_fn frames[] = {
	f_eth_v4_tcp, f_vlan_mpls_v6_ext, f_gtp_ext, f_tzsp_radiotap, f_capwap_ipip, f_pppoe_sll,
};

static void
test_truncation_every_length(void)
{
	unsigned int i;
	uint32_t len;
	int dlt, t;

	for (i = 0; i < RTE_DIM(frames); i++) {
		dlt = frames[i]();
		sp_test_pkt_finish(P);
		CU_ASSERT_EQUAL(run(dlt, true), SP_PARSE_OK);
		for (t = 0; t < 2; t++) {
			for (len = 0; len <= P->len; len++) {
				enum sp_parse_result r = run_len(dlt, t, len, P->len);

				CU_ASSERT(r >= SP_PARSE_OK && r < SP_PARSE_RESULTS);
				if (r == SP_PARSE_OK) {
					CU_ASSERT(M.ip_version == 4 || M.ip_version == 6);
					CU_ASSERT(M.ip_offset + 20 <= len);
					CU_ASSERT_EQUAL(M.size[SP_SIZE_RAW], P->len);
				}
				if (len < 28)
					CU_ASSERT_EQUAL(r, SP_PARSE_IGN_SHORT);
			}
		}
	}
}

/* Deterministic random mutations: must never read past caplen or loop. */
static void
test_mutations(void)
{
	uint64_t s = 0x9E3779B97F4A7C15ull;
	unsigned int i, k, n_ok = 0;

	for (i = 0; i < 60000; i++) {
		int dlt = frames[i % RTE_DIM(frames)]();
		uint32_t len;
		enum sp_parse_result r;

		sp_test_pkt_finish(P);
		for (k = 0; k < 1 + i % 5; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			P->buf[(s >> 8) % P->len] = (uint8_t)(s >> 32);
		}
		len = (uint32_t)((s >> 40) % (P->len + 1));
		if (i & 1)
			len = P->len;
		r = run_len(dlt, (i >> 1) & 1, len, P->len);
		CU_ASSERT_FATAL(r >= SP_PARSE_OK && r < SP_PARSE_RESULTS);
		if (r == SP_PARSE_OK) {
			n_ok++;
			CU_ASSERT_FATAL(M.ip_offset + 20 <= len);
			CU_ASSERT_FATAL(M.ip_version == 4 || M.ip_version == 6);
		}
	}
	CU_ASSERT(n_ok > 1000);
}

static void
test_offset_wrap(void)
{
	uint32_t ip;

	/*
	 * NFStream keeps ip_offset in a uint16: a 65530-byte radiotap header
	 * puts the IP header at (65530 + 26 + 8) mod 65536 = 28. Put one there.
	 */
	start();
	sp_test_pkt_radiotap(P, 65530, 0);
	sp_test_pkt_wifi(P, SP_TEST_WIFI_FC_DATA(1, 0), SP_TEST_MAC_A, SP_TEST_MAC_B, MAC_C);
	sp_test_pkt_put(P, NULL, 2);
	sp_test_pkt_llc_snap(P, 0x0800);
	sp_test_pkt_payload(P, 100, 0);
	sp_test_pkt_finish(P);
	CU_ASSERT_EQUAL(P->len, 65664);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_IGN_IP_VERSION);
	ip = 28;
	P->buf[ip] = 0x45;
	sp_test_pkt_set_be16(P, ip + 2, 30);
	P->buf[ip + 9] = 17;
	P->buf[ip + 12] = 10;
	P->buf[ip + 15] = 1;
	P->buf[ip + 16] = 10;
	P->buf[ip + 19] = 2;
	sp_test_pkt_set_be16(P, ip + 20, 1111);
	sp_test_pkt_set_be16(P, ip + 22, 2222);
	CU_ASSERT_EQUAL(run(SP_DLT_IEEE802_11_RADIO, true), SP_PARSE_OK);
	CU_ASSERT_EQUAL(M.ip_offset, 28);
	CHECK_V4(SP_TEST_IP4(10, 0, 0, 1), SP_TEST_IP4(10, 0, 0, 2));
	CHECK_PORTS(1111, 2222);
	/* Radiotap flags live at byte 16 of the frame, which we just left alone. */
	CHECK_SIZES(65664 - 65536, 30, 10, 2);
}

static void
test_endless_vlan_chain(void)
{
	uint32_t i;

	/*
	 * A frame over 64 KiB made only of 81 00 81 00: the uint16 offset
	 * wraps and NFStream would read tags forever. We stop and ignore it.
	 */
	start();
	for (i = 0; i < 70000 / 2; i++)
		sp_test_pkt_be16(P, i & 1 ? 0x0000 : 0x8100);
	for (i = 0; i < P->len; i++)
		P->buf[i] = (i & 1) ? 0x00 : 0x81;
	CU_ASSERT_EQUAL(run(SP_DLT_EN10MB, true), SP_PARSE_IGN_SHORT);
	/* The same bytes in a shorter frame end when the frame does. */
	CU_ASSERT_EQUAL(run_len(SP_DLT_EN10MB, true, 60000, 60000), SP_PARSE_IGN_SHORT);
}

/*
 * The fast path (plain Ethernet, IPv4 without options or IPv6 without
 * extension headers, TCP/UDP) must decide and fill exactly as the general
 * path: both run on the same frames, from fast-path shapes mutated where the
 * fast path looks (ethertype, version/IHL, lengths, fragment bits, protocol,
 * ports near the tunnel ones, TCP data offset) and cut at random lengths.
 */
static bool
same_meta(const struct sp_pkt_meta *a, const struct sp_pkt_meta *b)
{
	return memcmp(a->src_ip, b->src_ip, 16) == 0 && memcmp(a->dst_ip, b->dst_ip, 16) == 0 &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->vlan_id == b->vlan_id && a->protocol == b->protocol &&
	       a->tunnel_id == b->tunnel_id && a->ip_version == b->ip_version &&
	       a->tcp_flags == b->tcp_flags && memcmp(a->src_mac, b->src_mac, 6) == 0 &&
	       memcmp(a->dst_mac, b->dst_mac, 6) == 0 &&
	       memcmp(a->size, b->size, sizeof(a->size)) == 0 && a->ip_offset == b->ip_offset;
}

static void
test_fast_path_equals_general(void)
{
	static const uint16_t ports[] = {
		53, 80, 443, 2152, 5247, 37008, 0x0168, 0x017f, 0x0190, 0x6808, 0, 65535,
	};
	static const uint16_t ethertypes[] = { 0x0800, 0x86DD, 0x8100, 0x0806, 0x0008 };
	static const uint8_t protos[] = { 6, 17, 1, 58, 41, 4, 0, 44, 132 };
	static const uint16_t frags[] = {
		0x4000, 0x2000, 0x1000, 0x0800, 0x0001, 0x8000, 0x1fff, 0xe000, 0x5678,
	};
	struct sp_pkt_meta fast, slow;
	enum sp_parse_result rf, rs;
	unsigned int iter, k, n_ok = 0, n_ign = 0;
	uint32_t base_len, caplen, wire, pos;
	uint8_t *copy;
	bool tunnels;
	int kind;

	srand(1234);
	for (iter = 0; iter < 40000; iter++) {
		kind = rand() % 4;
		start();
		sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, kind < 2 ? 0x0800 : 0x86DD);
		if (kind < 2)
			sp_test_pkt_ipv4(P, A4, B4, kind == 0 ? 6 : 17);
		else
			sp_test_pkt_ipv6(P, A6, B6, kind == 2 ? 6 : 17);
		if (kind == 0 || kind == 2)
			sp_test_pkt_tcp(P, ports[rand() % RTE_DIM(ports)],
					ports[rand() % RTE_DIM(ports)], (uint8_t)rand(), 5);
		else
			sp_test_pkt_udp(P, ports[rand() % RTE_DIM(ports)],
					ports[rand() % RTE_DIM(ports)]);
		sp_test_pkt_payload(P, (uint32_t)(rand() % 80), (uint8_t)rand());
		sp_test_pkt_finish(P);
		base_len = P->len;
		/* 0 to 3 mutations at the places the fast path reads */
		for (k = rand() % 4; k > 0; k--) {
			pos = (uint32_t)(rand() % 8);
			switch (pos) {
			case 0:
				sp_test_pkt_set_be16(P, 12,
						     ethertypes[rand() % RTE_DIM(ethertypes)]);
				break;
			case 1:
				P->buf[14] = (uint8_t)(rand() % 3 == 0 ? rand() :
					     (kind < 2 ? 0x45 + rand() % 2 : 0x60 + rand() % 2 * 0x10));
				break;
			case 2:	/* IPv4 total length / IPv6 payload length */
				sp_test_pkt_set_be16(P, kind < 2 ? 16 : 18, (uint16_t)(rand() % 3 ?
						     rand() % 120 : rand()));
				break;
			case 3:	/* IPv4 flags and offset (IPv6: flow label) */
				sp_test_pkt_set_be16(P, 20, frags[rand() % RTE_DIM(frags)]);
				break;
			case 4:
				P->buf[kind < 2 ? 23 : 20] = protos[rand() % RTE_DIM(protos)];
				break;
			case 5:	/* ports, or bytes where IPv6's tunnel test reads */
				sp_test_pkt_set_be16(P, 14 + (kind < 2 ? 20 : 40) +
						     (uint32_t)(rand() % 4),
						     ports[rand() % RTE_DIM(ports)]);
				break;
			case 6:	/* TCP data offset */
				if (P->len > 14 + 40 + 13)
					P->buf[14 + (kind < 2 ? 20 : 40) + 12] = (uint8_t)rand();
				break;
			default:
				P->buf[12 + (uint32_t)rand() % (base_len - 12)] = (uint8_t)rand();
				break;
			}
		}
		caplen = rand() % 4 ? base_len : (uint32_t)rand() % (base_len + 1);
		wire = rand() % 2 ? caplen : caplen + (uint32_t)(rand() % 70000);
		tunnels = rand() % 4 != 0;
		copy = malloc(caplen ? caplen : 1);
		CU_ASSERT_FATAL(copy != NULL);
		memcpy(copy, P->buf, caplen);
		memset(&fast, 0xEE, sizeof(fast));
		memset(&slow, 0xEE, sizeof(slow));
		rf = sp_parse_packet(copy, caplen, wire, SP_DLT_EN10MB, tunnels, &fast);
		rs = sp_parse_general(copy, caplen, wire, SP_DLT_EN10MB, tunnels, &slow);
		free(copy);
		CU_ASSERT_EQUAL(rf, rs);
		if (rf == SP_PARSE_OK && rs == SP_PARSE_OK) {
			n_ok++;
			if (!same_meta(&fast, &slow)) {
				fprintf(stderr, "\nfast/general differ: iteration %u\n", iter);
				CU_FAIL("fast path fields differ from the general path");
			}
		} else {
			n_ign++;
		}
	}
	/* both outcomes well represented */
	CU_ASSERT(n_ok > 20000);
	CU_ASSERT(n_ign > 2000);
}

int
sp_test_register(void)
{
	static const struct {
		const char *suite;
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "parse_link", "result names", test_result_names },
		{ "parse_link", "supported DLTs, SLL2 ignored", test_dlt_supported },
		{ "parse_link", "Ethernet IPv4 TCP, all fields", test_eth_ipv4_tcp },
		{ "parse_link", "Ethernet IPv6 UDP, all fields", test_eth_ipv6_udp },
		{ "parse_link", "caplen under link + 28 and IP + 20", test_short_frames },
		{ "parse_link", "DLT_NULL little-endian is IPv6", test_dlt_null },
		{ "parse_link", "DLT_NULL little-endian: no tunnel", test_dlt_null_no_tunnel },
		{ "parse_link", "DLT_PPP, C_HDLC, PPP_SERIAL", test_dlt_ppp },
		{ "parse_link", "DLT_RAW, IPV4, IPV6", test_dlt_raw },
		{ "parse_link", "DLT_LINUX_SLL", test_dlt_sll },
		{ "parse_link", "radiotap and 802.11", test_dlt_radiotap },
		{ "parse_link", "radiotap without SNAP", test_radiotap_non_snap },
		{ "parse_l2", "802.1Q, double tag: last VID", test_vlan },
		{ "parse_l2", "0x88A8 and 0x9100 not recognized", test_vlan_qinq_not_recognized },
		{ "parse_l2", "VLAN chain truncated", test_vlan_truncated },
		{ "parse_l2", "MPLS stacks", test_mpls },
		{ "parse_l2", "MPLS without bottom of stack", test_mpls_no_bottom },
		{ "parse_l2", "PPPoE session", test_pppoe },
		{ "parse_l2", "802.3 SNAP type without ntohs", test_8023_snap },
		{ "parse_l2", "802.3 STP and other LLC", test_8023_stp_and_llc },
		{ "parse_ip", "IPv4 fragments", test_ipv4_fragments },
		{ "parse_ip", "IPv4 IHL and total length", test_ipv4_header_lengths },
		{ "parse_ip", "IPv4 IHL under 5", test_ipv4_tiny_ihl },
		{ "parse_ip", "truncated IPv4 kept", test_ipv4_truncated_kept },
		{ "parse_ip", "truncated IPv4 TCP header", test_ipv4_truncated_tcp },
		{ "parse_ip", "IP version nibble", test_ip_version },
		{ "parse_ip", "truncated IPv6 ignored", test_ipv6_truncated_ignored },
		{ "parse_ip", "IPv6 extension chain", test_ipv6_ext_chain },
		{ "parse_ip", "IPv6 fragments", test_ipv6_fragment },
		{ "parse_ip", "IPv6 no next header (59)", test_ipv6_no_next_header },
		{ "parse_ip", "IPv6 fragment l3len quirk", test_ipv6_ext_l3len_quirk },
		{ "parse_ip", "IP-in-IP 4in4 6in4 4in6 6in6 repeated", test_ipip },
		{ "parse_ip", "IP-in-IP fragment and tunnel quirks", test_ipip_quirks },
		{ "parse_l4", "TCP flags and lengths", test_tcp },
		{ "parse_l4", "UDP", test_udp },
		{ "parse_l4", "ICMP and ICMPv6: ports 0", test_icmp },
		{ "parse_l4", "other protocols", test_other_protocol },
		{ "parse_l4", "raw size modulo 2^16", test_sizes_wrap },
		{ "parse_l4", "meta fields zeroed", test_meta_zeroing },
		{ "parse_tunnel", "GTP-U", test_gtp },
		{ "parse_tunnel", "GTP-U optional fields and extensions", test_gtp_options },
		{ "parse_tunnel", "GTP-U invalid: plain UDP", test_gtp_invalid_fallback },
		{ "parse_tunnel", "GTP-U short and inner checks", test_gtp_short_and_inner },
		{ "parse_tunnel", "UDP header cut, decode_tunnels", test_tunnel_udp_too_short },
		{ "parse_tunnel", "tunnels over IPv6 (offset bug)", test_tunnel_over_ipv6 },
		{ "parse_tunnel", "TZSP", test_tzsp },
		{ "parse_tunnel", "TZSP tag quirks", test_tzsp_tag_quirks },
		{ "parse_tunnel", "TZSP not Ethernet: tunnel_id 3", test_tzsp_not_ethernet },
		{ "parse_tunnel", "TZSP short", test_tzsp_short },
		{ "parse_tunnel", "TZSP keeps outer state", test_tzsp_state_kept },
		{ "parse_tunnel", "GTP inside TZSP", test_tzsp_then_gtp },
		{ "parse_tunnel", "CAPWAP", test_capwap },
		{ "parse_tunnel", "CAPWAP not decoded", test_capwap_not_decoded },
		{ "parse_robust", "truncation at every length", test_truncation_every_length },
		{ "parse_robust", "random mutations", test_mutations },
		{ "parse_robust", "fast path = general path", test_fast_path_equals_general },
		{ "parse_robust", "uint16 ip_offset wrap", test_offset_wrap },
		{ "parse_robust", "endless VLAN chain", test_endless_vlan_chain },
	};
	CU_pSuite suite = NULL;
	const char *cur = NULL;
	unsigned int i;

	for (i = 0; i < RTE_DIM(tests); i++) {
		if (cur == NULL || strcmp(cur, tests[i].suite) != 0) {
			cur = tests[i].suite;
			suite = CU_add_suite(cur, suite_init, suite_clean);
			if (suite == NULL)
				return -1;
		}
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
			return -1;
	}
	return 0;
}
