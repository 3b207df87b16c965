/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shipped dhcp plugin (lib/plugins/dhcp.c): NFStream's DHCP() values,
 * as NFStream's CSV writes them, and its flow ends, on frames built here
 * (values worked out from nfstream/plugins/dhcp.py and dpkt 1.9.8), on
 * hostile packets (no crash, defined output), and with --corpus on the
 * corpus's captures against expected-plugins/ (NFStream's own output).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "sp_test.h"
#include "sp_test_pkt.h"
#include "sp_test_plugin_rec.h"

#define RTE_DIM_(a) (sizeof(a) / sizeof((a)[0]))

extern const struct sp_plugin sp_plugin_dhcp;

enum { C12, C50, C55, C57, C60, C77, COPT, CADDR, CMSG, COUI, NCOL };

static const struct sp_plugin *PL = &sp_plugin_dhcp;
static struct sp_plugin_config CFG;
static void *W;
static struct sp_plugin_record *R;
static struct sp_test_pkt *P;

static const uint8_t CHADDR[6] = { 0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42 };

/* A test flow: the flow view, its slot, the last verdict. */
struct tflow {
	struct sp_plugin_flow f;
	uint8_t slot[64];
	bool started, done;
};

/* The DHCP header fields a test sets; the rest is zero. */
struct dhcp_hdr {
	uint8_t op, hln;
	uint32_t ciaddr;
};

static const struct dhcp_hdr REQ_HDR = { .op = 1, .hln = 6 };

/*
 * Build a frame: Ethernet, IPv4 (or IPv6 when v6), UDP (or TCP), the DHCP
 * header and opts; returns the IP header's offset. The end of the frame is
 * the end of the options unless trail adds bytes past the IP length.
 */
static uint32_t
build(bool v6, uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
      const struct dhcp_hdr *h, const uint8_t *opts, size_t olen)
{
	static const uint8_t S6[16] = { 0xfe, 0x80, [15] = 1 }, D6[16] = { 0xff, 0x02, [15] = 2 };
	uint32_t ip, d;

	sp_test_pkt_reset(P);
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, v6 ? 0x86dd : 0x0800);
	ip = v6 ? sp_test_pkt_ipv6(P, S6, D6, proto) : sp_test_pkt_ipv4(P, src, dst, proto);
	if (proto == 6)
		sp_test_pkt_tcp(P, sport, dport, 0x18, 5);
	else
		sp_test_pkt_udp(P, sport, dport);
	if (h != NULL) {
		d = sp_test_pkt_payload(P, 240, 0);
		P->buf[d] = h->op;
		P->buf[d + 1] = 1;
		P->buf[d + 2] = h->hln;
		sp_test_wr_be32(P->buf + d + 4, 0x3903f326);
		sp_test_wr_be32(P->buf + d + 12, h->ciaddr);
		memcpy(P->buf + d + 28, CHADDR, 6);
		sp_test_wr_be32(P->buf + d + 236, 0x63825363);
	}
	if (olen)
		sp_test_pkt_put(P, opts, (uint32_t)olen);
	sp_test_pkt_finish(P);
	return ip;
}

/* Give the frame in P (IP at ip, ip_len bytes of it) to the plugin. */
static int
feed_len(struct tflow *t, uint32_t ip, uint32_t ip_len)
{
	struct sp_plugin_packet p;
	bool v6 = (P->buf[ip] >> 4) == 6;
	const uint8_t *src = v6 ? P->buf + ip + 8 : P->buf + ip + 12;
	const uint8_t *dst = v6 ? P->buf + ip + 24 : P->buf + ip + 16;
	uint32_t l4 = v6 ? 40 : (P->buf[ip] & 0xfu) * 4;
	uint8_t proto = v6 ? P->buf[ip + 6] : P->buf[ip + 9];
	uint16_t sport = (uint16_t)(P->buf[ip + l4] << 8 | P->buf[ip + l4 + 1]);
	uint16_t dport = (uint16_t)(P->buf[ip + l4 + 2] << 8 | P->buf[ip + l4 + 3]);
	int v;

	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.protocol = proto;
	p.src_port = sport;
	p.dst_port = dport;
	p.src_ip = src;
	p.dst_ip = dst;
	/* the view on a heap copy of exactly ip_len bytes: ASan flags any overread */
	uint8_t *copy = malloc(ip_len ? ip_len : 1);

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, P->buf + ip, ip_len);
	p.ip = copy;
	p.ip_len = ip_len;
	if (!t->started) {
		memset(&t->f, 0, sizeof(t->f));
		memset(t->slot, 0, sizeof(t->slot));
		memcpy(t->f.src_ip, src, v6 ? 16 : 4);
		memcpy(t->f.dst_ip, dst, v6 ? 16 : 4);
		t->f.src_port = sport;
		t->f.dst_port = dport;
		t->f.protocol = proto;
		t->f.ip_version = p.ip_version;
		t->started = true;
		t->done = false;
		v = PL->on_init(W, t->slot, &p, &t->f);
	} else {
		p.direction = memcmp(src, t->f.src_ip, v6 ? 16 : 4) == 0 ? 0 : 1;
		CU_ASSERT(!t->done);
		v = PL->on_update(W, t->slot, &p, &t->f);
	}
	free(copy);
	if (v == SP_PLUGIN_DONE)
		t->done = true;
	return v;
}

static int
feed(struct tflow *t, uint32_t ip)
{
	return feed_len(t, ip, P->len - ip);
}

/* on_expire, then each column's CSV text in cells. */
static char cells[NCOL][2048];

static void
expire(struct tflow *t)
{
	sp_test_rec_clear(R);
	PL->on_expire(W, t->slot, &t->f, R);
	CU_ASSERT_EQUAL(R->bad, 0);
	CU_ASSERT_EQUAL(R->cut, 0);
	for (unsigned int c = 0; c < NCOL; c++)
		sp_test_rec_csv(R, c, cells[c], sizeof(cells[c]));
	t->started = false;
}

static uint64_t
stat_of(const char *name)
{
	struct sp_plugin_stat st[32];
	unsigned int n = PL->stats(W, st, 32);

	for (unsigned int i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].value;
	CU_FAIL("no such counter");
	return 0;
}

static int
suite_init(void)
{
	char err[128];

	P = sp_test_pkt_new();
	if (PL->configure(NULL, 0, &CFG, err, sizeof(err)) != 0)
		return -1;
	W = PL->worker_init(CFG.conf, 0, 0, 1u << 20);
	R = sp_test_rec_new(CFG.columns, CFG.n_columns);
	return W == NULL || CFG.slot_size > sizeof(((struct tflow *)0)->slot) ? -1 : 0;
}

static int
suite_clean(void)
{
	PL->worker_fini(W);
	PL->deconfigure(CFG.conf);
	sp_test_rec_free(R);
	sp_test_pkt_free(P);
	return 0;
}

#define Z4 SP_TEST_IP4(0, 0, 0, 0)
#define BC SP_TEST_IP4(255, 255, 255, 255)
#define CLI SP_TEST_IP4(192, 168, 1, 2)
#define SRV SP_TEST_IP4(192, 168, 1, 1)

/* dhcp.py's on_init order, and the plugin's identity. */
static void
test_columns(void)
{
	static const char *const names[NCOL] = {
		"udps.dhcp_12", "udps.dhcp_50", "udps.dhcp_55", "udps.dhcp_57", "udps.dhcp_60",
		"udps.dhcp_77", "udps.dhcp_options", "udps.dhcp_addr", "udps.dhcp_msg_type",
		"udps.dhcp_oui",
	};
	static const enum sp_plugin_type types[NCOL] = {
		SP_PLUGIN_STRING, SP_PLUGIN_STRING, SP_PLUGIN_STRING, SP_PLUGIN_UINT,
		SP_PLUGIN_STRING, SP_PLUGIN_STRING, SP_PLUGIN_INT_LIST, SP_PLUGIN_STRING,
		SP_PLUGIN_STRING, SP_PLUGIN_STRING,
	};

	CU_ASSERT_EQUAL(PL->abi_version, SP_PLUGIN_ABI_VERSION);
	CU_ASSERT_STRING_EQUAL(PL->name, "dhcp");
	CU_ASSERT_EQUAL_FATAL(CFG.n_columns, NCOL);
	for (unsigned int c = 0; c < NCOL; c++) {
		CU_ASSERT_STRING_EQUAL(CFG.columns[c].name, names[c]);
		CU_ASSERT_EQUAL(CFG.columns[c].type, types[c]);
	}
	/* room for the longest values an option can give */
	CU_ASSERT(CFG.columns[C12].max >= 3 * 255);
	CU_ASSERT(CFG.columns[C55].max >= 255 * 4 - 1);
	CU_ASSERT(CFG.columns[C50].max >= 39);
}

static void
test_options(void)
{
	struct sp_plugin_option o[2] = { { "flows", "0" }, { "x", "1" } };
	struct sp_plugin_config c;
	char err[128];

	CU_ASSERT_EQUAL(PL->configure(o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "flows") != NULL);
	CU_ASSERT_EQUAL(PL->configure(o + 1, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "'x'") != NULL);
	o[0].value = "12x";
	CU_ASSERT_EQUAL(PL->configure(o, 1, &c, err, sizeof(err)), -EINVAL);
	o[0].value = "16";
	CU_ASSERT_EQUAL_FATAL(PL->configure(o, 1, &c, err, sizeof(err)), 0);
	PL->deconfigure(c.conf);
}

/* dhcp.pcap's REQUEST from 0.0.0.0: its values as expected-plugins has them. */
static void
test_request_from_zero(void)
{
	static const uint8_t opts[] = {
		53, 1, 3, 61, 7, 1, 0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42, 50, 4, 192, 168, 0, 10,
		54, 4, 192, 168, 0, 1, 55, 4, 1, 3, 6, 42, 255, 0, 0, 0,
	};
	struct tflow t = { 0 };
	uint32_t ip = build(false, 17, Z4, BC, 68, 67, &REQ_HDR, opts, sizeof(opts));

	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_EXPIRE);	/* from 0.0.0.0 */
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[C12], "");
	CU_ASSERT_STRING_EQUAL(cells[C50], "\"192.168.0.10\"");
	CU_ASSERT_STRING_EQUAL(cells[C55], "\"1,3,6,42\"");
	CU_ASSERT_STRING_EQUAL(cells[C57], "");
	CU_ASSERT_STRING_EQUAL(cells[C60], "");
	CU_ASSERT_STRING_EQUAL(cells[C77], "");
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[53, 61, 50, 54, 55]\"");
	CU_ASSERT_STRING_EQUAL(cells[CADDR], "");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.REQUEST\"");
	CU_ASSERT_STRING_EQUAL(cells[COUI], "\"00:0b:82\"");
}

/* A renewal: REQUEST with ciaddr, then the server's ACK ends the flow. */
static void
test_renewal_ack(void)
{
	static const uint8_t req[] = {
		53, 1, 3, 61, 7, 1, 0xdf, 0xe0, 0xed, 1, 2, 3, 12, 7, 'd', '0', '0', '2', '4',
		'6', '5', 81, 3, 0, 0, 0, 60, 10, 'M', 'S', 'F', 'T', ' ', '"', '5', '"', 0, '\\',
		57, 2, 0x05, 0xdc, 77, 0, 55, 3, 1, 15, 3, 255,
	};
	static const uint8_t ack[] = { 53, 1, 5, 54, 4, 192, 168, 1, 1, 12, 3, 's', 'r', 'v',
				       255 };
	struct dhcp_hdr h = { .op = 1, .hln = 6, .ciaddr = CLI };
	struct tflow t = { 0 };
	uint32_t ip = build(false, 17, CLI, SRV, 68, 67, &h, req, sizeof(req));

	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_CONTINUE);
	h.op = 2;
	ip = build(false, 17, SRV, CLI, 67, 68, &h, ack, sizeof(ack));
	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_EXPIRE);
	expire(&t);
	/* the server's hostname option is the last one seen */
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"srv\"");
	CU_ASSERT_STRING_EQUAL(cells[C50], "");
	CU_ASSERT_STRING_EQUAL(cells[C55], "\"1,15,3\"");
	CU_ASSERT_STRING_EQUAL(cells[C57], "1500");
	/* a NUL and a backslash are kept, '"' written \" */
	CU_ASSERT_EQUAL(memcmp(cells[C60], "\"MSFT \\\"5\\\"\0\\\"", 15), 0);
	CU_ASSERT_STRING_EQUAL(cells[C77], "\"\"");		/* empty string, not None */
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[53, 61, 12, 81, 60, 57, 77, 55]\"");
	CU_ASSERT_STRING_EQUAL(cells[CADDR], "\"192.168.1.2\"");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.REQUEST\"");	/* the first */
	CU_ASSERT_STRING_EQUAL(cells[COUI], "\"00:0b:82\"");
}

/* Which message types end the flow (a client with an address). */
static void
test_verdicts(void)
{
	static const int want[9] = {
		[1] = SP_PLUGIN_CONTINUE, [2] = SP_PLUGIN_CONTINUE, [3] = SP_PLUGIN_CONTINUE,
		[4] = SP_PLUGIN_EXPIRE, [5] = SP_PLUGIN_EXPIRE, [6] = SP_PLUGIN_EXPIRE,
		[7] = SP_PLUGIN_CONTINUE, [8] = SP_PLUGIN_EXPIRE,
	};
	static const char *const repr[9] = {
		"", "\"MsgType.DISCOVER\"", "\"MsgType.OFFER\"", "\"MsgType.REQUEST\"",
		"\"MsgType.DECLINE\"", "\"MsgType.ACK\"", "\"MsgType.NACK\"",
		"\"MsgType.RELEASE\"", "\"MsgType.INFORM\"",
	};

	for (uint8_t mt = 1; mt <= 8; mt++) {
		uint8_t opts[] = { 53, 1, mt, 255 };
		struct tflow t = { 0 };
		uint32_t ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));

		CU_ASSERT_EQUAL(feed(&t, ip), want[mt]);
		expire(&t);
		CU_ASSERT_STRING_EQUAL(cells[CMSG], repr[mt]);
		/* the option list is a REQUEST's only */
		CU_ASSERT_STRING_EQUAL(cells[COPT], mt == 3 ? "\"[53]\"" : "\"[]\"");
		CU_ASSERT_STRING_EQUAL(cells[COUI], mt == 3 ? "\"00:0b:82\"" : "");
	}
}

/* Flows not to port 67, and IPv6 ones: "[]" and None, nothing else. */
static void
test_other_flows(void)
{
	static const uint8_t opts[] = { 53, 1, 3, 12, 1, 'h', 255 };
	struct tflow t = { 0 };
	uint32_t ip;

	/* the server's packet first: the flow goes to 68 */
	ip = build(false, 17, SRV, CLI, 67, 68, &REQ_HDR, opts, sizeof(opts));
	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_DONE);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[]\"");
	for (unsigned int c = 0; c < NCOL; c++)
		if (c != COPT)
			CU_ASSERT_STRING_EQUAL(cells[c], "");
	/* IPv6: dpkt reads a header length of 0 and gives up */
	ip = build(true, 17, 0, 0, 546, 67, &REQ_HDR, opts, sizeof(opts));
	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_CONTINUE);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[]\"");
	CU_ASSERT_STRING_EQUAL(cells[C12], "");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
	/* TCP to 67: dpkt decodes TCP too, and so does the plugin */
	ip = build(false, 6, CLI, SRV, 1000, 67, &REQ_HDR, opts, sizeof(opts));
	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_CONTINUE);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"h\"");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.REQUEST\"");
}

/* One packet of options, alone in a flow: its verdict and cells. */
static int
one(const uint8_t *opts, size_t olen, const struct dhcp_hdr *h)
{
	struct tflow t = { 0 };
	uint32_t ip = build(false, 17, CLI, SRV, 68, 67, h ? h : &REQ_HDR, opts, olen);
	int v = feed(&t, ip);

	expire(&t);
	return v;
}

/* Option values as Python takes them: slices cut at the end, empty ones. */
static void
test_option_values(void)
{
	uint64_t raises = stat_of("nfstream_raises");

	/* a hostname longer than the packet: buf[2:2 + n] gives what there is */
	static const uint8_t cut[] = { 53, 1, 1, 12, 200, 'a', 'b', 'c', 'd', 'e' };
	one(cut, sizeof(cut), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"abcde\"");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.DISCOVER\"");

	/* empty values: 12 not kept, 60 "", 57 0, 55 "", 50 0.0.0.0 */
	static const uint8_t empty[] = { 53, 1, 3, 12, 0, 60, 0, 57, 0, 55, 0, 50, 0, 255 };
	one(empty, sizeof(empty), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C12], "");
	CU_ASSERT_STRING_EQUAL(cells[C60], "\"\"");
	CU_ASSERT_STRING_EQUAL(cells[C57], "0");
	CU_ASSERT_STRING_EQUAL(cells[C55], "\"\"");
	CU_ASSERT_STRING_EQUAL(cells[C50], "\"0.0.0.0\"");
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[53, 12, 60, 57, 55, 50]\"");

	/* int.from_bytes: leading zeros; 50 above 2^32 is an IPv6 address */
	static const uint8_t wide[] = { 53, 2, 0, 3, 50, 5, 1, 0, 0, 0, 0, 57, 9, 0, 0, 0, 0,
					0, 0, 0, 2, 0x40, 255 };
	one(wide, sizeof(wide), NULL);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.REQUEST\"");
	CU_ASSERT_STRING_EQUAL(cells[C50], "\"::1:0:0\"");
	CU_ASSERT_STRING_EQUAL(cells[C57], "576");
	static const uint8_t v6[] = { 53, 1, 3, 50, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0, 1, 0, 0, 0, 0, 0, 1, 255 };
	one(v6, sizeof(v6), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C50], "\"2001:db8::1:0:0:1\"");
	static const uint8_t v4long[] = { 53, 1, 3, 50, 6, 0, 0, 10, 1, 2, 3, 255 };
	one(v4long, sizeof(v4long), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C50], "\"10.1.2.3\"");

	/* the hostname's bad UTF-8 becomes U+FFFD (errors="replace"), one per
	 * maximal bad sequence: E2 82 (cut 3-byte form) is one */
	static const uint8_t bad12[] = { 53, 1, 1, 12, 6, 'a', 0xff, 0xe2, 0x82, 'b', 0xc3 };
	one(bad12, sizeof(bad12), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C12],
			       "\"a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\"");
	/* valid UTF-8 stays as it is */
	static const uint8_t good60[] = { 53, 1, 1, 60, 4, 'L', 0xc3, 0xa9, 'a', 255 };
	one(good60, sizeof(good60), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C60], "\"L\xc3\xa9" "a\"");
	/* pads before, between and after */
	uint8_t pads[1200] = { 0 };
	pads[700] = 53;
	pads[701] = 1;
	pads[702] = 8;
	CU_ASSERT_EQUAL(one(pads, sizeof(pads), NULL), SP_PLUGIN_EXPIRE);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"MsgType.INFORM\"");
	/* no option 53: msg_type 0 (a BOOTP packet) */
	static const uint8_t bootp[] = { 12, 2, 'p', 'c', 255 };
	CU_ASSERT_EQUAL(one(bootp, sizeof(bootp), NULL), SP_PLUGIN_CONTINUE);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "\"0\"");
	CU_ASSERT_EQUAL(stat_of("nfstream_raises"), raises);
}

/*
 * What makes NFStream's plugin raise (NFStream stops): here the packet
 * gives nothing, the verdict is continue, and the packet is counted.
 */
static void
test_raises(void)
{
	static const uint8_t last_code[] = { 53, 1, 3, 12, 1, 'h', 12 };
	static const uint8_t bad53[] = { 53, 1, 9, 255 };
	static const uint8_t zero53[] = { 53, 0, 255 };
	static const uint8_t bad60[] = { 53, 1, 1, 60, 2, 0xc0, 0x80, 255 };
	static const uint8_t bad77[] = { 53, 1, 1, 77, 3, 0xed, 0xa0, 0x80, 255 };
	static const uint8_t big50[] = { 53, 1, 1, 50, 17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 0, 255 };
	static const uint8_t req[] = { 53, 1, 3, 255 };
	static const struct dhcp_hdr h16 = { .op = 1, .hln = 16 };
	static const struct { const uint8_t *o; size_t n; const struct dhcp_hdr *h; } c[] = {
		{ last_code, sizeof(last_code), NULL },	/* IndexError */
		{ bad53, sizeof(bad53), NULL },		/* 9 is not a valid MsgType */
		{ zero53, sizeof(zero53), NULL },
		{ bad60, sizeof(bad60), NULL },		/* UnicodeDecodeError */
		{ bad77, sizeof(bad77), NULL },		/* a surrogate */
		{ big50, sizeof(big50), NULL },		/* ip_address(2^128) */
		{ req, sizeof(req), &h16 },		/* struct.error */
	};
	uint64_t raises = stat_of("nfstream_raises");

	for (unsigned int i = 0; i < RTE_DIM_(c); i++) {
		struct tflow t = { 0 };
		uint32_t ip = build(false, 17, Z4, BC, 68, 67, c[i].h ? c[i].h : &REQ_HDR, c[i].o,
				    c[i].n);

		/* even from 0.0.0.0: a packet that does not decode ends nothing */
		CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_CONTINUE);
		expire(&t);
		CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
		CU_ASSERT_STRING_EQUAL(cells[C12], "");
		CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[]\"");
	}
	CU_ASSERT_EQUAL(stat_of("nfstream_raises"), raises + RTE_DIM_(c));
}

/* IP-level cases: short captures, IP length, fragments, short DHCP. */
static void
test_ip_level(void)
{
	static const uint8_t opts[] = { 53, 1, 1, 12, 4, 'h', 'o', 's', 't', 255 };
	struct tflow t = { 0 };
	uint32_t ip, full;

	/* a capture cut anywhere: nothing read past ip_len, no value */
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));
	full = P->len - ip;
	for (uint32_t l = 0; l < full - sizeof(opts); l++) {
		CU_ASSERT_EQUAL(feed_len(&t, ip, l), SP_PLUGIN_CONTINUE);
		expire(&t);
		CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
	}
	/* cut inside the options: the hostname is cut too, or gone */
	CU_ASSERT_EQUAL(feed_len(&t, ip, full - 3), SP_PLUGIN_CONTINUE);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"ho\"");
	/* Ethernet padding past the IP total length is not read */
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));
	sp_test_pkt_set_be16(P, ip + 2, (uint16_t)(full - 4));
	sp_test_pkt_set_be16(P, ip + 24, (uint16_t)(full - 4 - 20));
	CU_ASSERT_EQUAL(feed(&t, ip), SP_PLUGIN_CONTINUE);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"h\"");
	/* total length 0 (TSO): the whole capture */
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));
	sp_test_pkt_set_be16(P, ip + 2, 0);
	feed(&t, ip);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"host\"");
	/* a later fragment: dpkt leaves bytes (AttributeError in NFStream) */
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));
	sp_test_pkt_set_be16(P, ip + 6, 0x0010);
	feed(&t, ip);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
	/* header length below 5 */
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, opts, sizeof(opts));
	P->buf[ip] = 0x44;
	feed(&t, ip);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
	/* 239 bytes of DHCP: NeedData */
	ip = build(false, 17, CLI, SRV, 68, 67, NULL, NULL, 0);
	sp_test_pkt_payload(P, 239, 0);
	sp_test_pkt_finish(P);
	feed(&t, ip);
	expire(&t);
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
}

/* Many options: the REQUEST's list is cut at the column's max, counted. */
static void
test_many_options(void)
{
	uint8_t opts[3000];
	size_t n = 0;
	uint64_t cut = stat_of("options_cut");
	char want[1024];
	size_t w = 0;

	opts[n++] = 53;
	opts[n++] = 1;
	opts[n++] = 3;
	while (n + 2 <= sizeof(opts)) {
		opts[n++] = 200;
		opts[n++] = 0;
	}
	one(opts, n, NULL);
	w += (size_t)snprintf(want + w, sizeof(want) - w, "\"[53");
	for (unsigned int i = 1; i < CFG.columns[COPT].max; i++)
		w += (size_t)snprintf(want + w, sizeof(want) - w, ", 200");
	snprintf(want + w, sizeof(want) - w, "]\"");
	CU_ASSERT_STRING_EQUAL(cells[COPT], want);
	CU_ASSERT_EQUAL(stat_of("options_cut"), cut + 1);
	/* every option 255 bytes long, 255 codes in 55: the longest dhcp_55 */
	uint8_t o55[260] = { 53, 1, 3, 55, 255 };
	for (unsigned int i = 0; i < 255; i++)
		o55[5 + i] = 255;
	one(o55, sizeof(o55), NULL);
	CU_ASSERT_EQUAL(strlen(cells[C55]), 255 * 4 - 1 + 2);
}

/* 57 beyond uint64: None, counted (NFStream writes the big number). */
static void
test_57_too_big(void)
{
	static const uint8_t o[] = { 53, 1, 1, 57, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 255 };
	uint64_t n = stat_of("dhcp_57_above_uint64");

	one(o, sizeof(o), NULL);
	CU_ASSERT_STRING_EQUAL(cells[C57], "");
	CU_ASSERT_EQUAL(stat_of("dhcp_57_above_uint64"), n + 1);
}

/* Random bytes after a valid header, and random cuts: never a crash, never
 * a bad setter call, every value within its column. */
static void
test_fuzz(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint8_t opts[600];

	for (unsigned int i = 0; i < 20000; i++) {
		struct tflow t = { 0 };
		size_t n;
		uint32_t ip;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = x % sizeof(opts);
		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* mostly the codes the plugin reads, small lengths */
			opts[k] = k % 2 == 0 ? (uint8_t)(x % 7 == 0 ? x >> 8 :
				  (uint8_t[]){ 12, 50, 53, 55, 57, 60, 77 }[x % 7]) :
				  (uint8_t)(x >> 16) % 24;
		}
		if (n >= 3 && x % 3 == 0) {
			opts[0] = 53;
			opts[1] = 1;
			opts[2] = (uint8_t)(1 + (x >> 24) % 8);
		}
		ip = build(false, 17, x % 5 ? CLI : Z4, SRV, 68, 67, &REQ_HDR, opts, n);
		feed_len(&t, ip, (P->len - ip) - (uint32_t)((x >> 32) % 4 == 0 ? (x >> 40) %
							     (P->len - ip) : 0));
		if (x % 4 == 0) {
			ip = build(false, 17, SRV, CLI, 67, 68, &REQ_HDR, opts, n / 2);
			if (!t.done)
				feed(&t, ip);
		}
		expire(&t);
	}
	CU_ASSERT(stat_of("nfstream_raises") > 0);
	CU_ASSERT_EQUAL(stat_of("pool_full"), 0);
}

/* A pool of one entry: the second concurrent DHCP flow has no values but
 * still ends where NFStream ends it. */
static void
test_pool_full(void)
{
	struct sp_plugin_option o = { "flows", "1" };
	struct sp_plugin_config c;
	static const uint8_t ack[] = { 53, 1, 5, 12, 1, 'x', 255 };
	struct tflow a = { 0 }, b = { 0 };
	void *w0 = W;
	char err[128];
	uint32_t ip;

	CU_ASSERT_FATAL(PL->configure(&o, 1, &c, err, sizeof(err)) == 0);
	W = PL->worker_init(c.conf, 0, 0, 1000);
	CU_ASSERT_FATAL(W != NULL);
	ip = build(false, 17, CLI, SRV, 68, 67, &REQ_HDR, ack + 3, 4);
	CU_ASSERT_EQUAL(feed(&a, ip), SP_PLUGIN_CONTINUE);
	ip = build(false, 17, CLI, SRV, 69, 67, &REQ_HDR, ack, sizeof(ack));
	CU_ASSERT_EQUAL(feed(&b, ip), SP_PLUGIN_EXPIRE);
	CU_ASSERT_EQUAL(stat_of("pool_full"), 1);
	expire(&b);
	CU_ASSERT_STRING_EQUAL(cells[C12], "");
	CU_ASSERT_STRING_EQUAL(cells[COPT], "\"[]\"");
	/* a flow that found the pool empty keeps nothing, even once it is not */
	ip = build(false, 17, CLI, SRV, 69, 67, &REQ_HDR, ack + 3, 4);
	CU_ASSERT_EQUAL(feed(&b, ip), SP_PLUGIN_CONTINUE);
	expire(&a);
	ip = build(false, 17, CLI, SRV, 69, 67, &REQ_HDR, ack, sizeof(ack));
	CU_ASSERT_EQUAL(feed(&b, ip), SP_PLUGIN_EXPIRE);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"x\"");	/* a's */
	expire(&b);
	CU_ASSERT_STRING_EQUAL(cells[C12], "");
	CU_ASSERT_STRING_EQUAL(cells[CMSG], "");
	/* given back: the next flow has its values */
	CU_ASSERT_EQUAL(feed(&b, ip), SP_PLUGIN_EXPIRE);
	expire(&b);
	CU_ASSERT_STRING_EQUAL(cells[C12], "\"x\"");
	PL->worker_fini(W);
	PL->deconfigure(c.conf);
	W = w0;
}

/* The corpus: every flow to port 67 of these captures against NFStream. */
static void
test_corpus(void)
{
	static const char *const caps[] = {
		"dhcp.pcap", "dhcp.pcapng", "dhcp_little_endian.pcapng", "1kxun.pcap",
		"alexa-app.pcapng", "android.pcap", "iphone.pcap", "teams.pcap", "wechat.pcap",
		"zoom.pcap", "fuzz-2006-06-26-2594.pcap", "signal.pcap", "wa_voice.pcap",
		"wa_video.pcap", "whatsapp_login_chat.pcap", "mdns.pcap", "skype.pcap",
	};
	struct sp_test_corpus_res r, sum = { 0 };
	char dir[4096];

	CU_ASSERT_FATAL(sp_test_corpus_dir(dir, sizeof(dir)));
	for (unsigned int i = 0; i < RTE_DIM_(caps); i++) {
		CU_ASSERT_EQUAL_FATAL(sp_test_plugin_corpus(PL, dir, caps[i], 67, true, &r), 0);
		sum.flows += r.flows;
		sum.cells += r.cells;
		sum.differ += r.differ;
		sum.verdicts_differ += r.verdicts_differ;
		sum.unmatched += r.unmatched;
		sum.missed += r.missed;
		sum.with_values += r.with_values;
		sum.bad_calls += r.bad_calls;
	}
	printf("\n  dhcp: %zu captures, %u flows to port 67 (%u with values), %u cells, "
	       "%u differ, %u ends differ, %u unmatched, %u missed\n", RTE_DIM_(caps),
	       sum.flows, sum.with_values, sum.cells, sum.differ, sum.verdicts_differ,
	       sum.unmatched, sum.missed);
	CU_ASSERT(sum.flows >= 50);
	CU_ASSERT(sum.with_values >= 50);
	CU_ASSERT_EQUAL(sum.differ, 0);
	CU_ASSERT_EQUAL(sum.verdicts_differ, 0);
	CU_ASSERT_EQUAL(sum.unmatched, 0);
	CU_ASSERT_EQUAL(sum.missed, 0);
	CU_ASSERT_EQUAL(sum.bad_calls, 0);
	/* NFStream raises on this one and writes nothing; the plugin goes on */
	CU_ASSERT_EQUAL(sp_test_plugin_corpus(PL, dir, "dhcp-fuzz.pcapng", 67, false, &r), 0);
	printf("  dhcp-fuzz.pcapng: %llu packets NFStream would raise on, no crash\n",
	       (unsigned long long)r.raises);
	CU_ASSERT(r.raises > 0);
	CU_ASSERT_EQUAL(r.bad_calls, 0);
}

int
sp_test_register(void)
{
	bool corpus = sp_test_argc > 1 && strcmp(sp_test_argv[1], "--corpus") == 0;
	char dir[4096];
	CU_pSuite s;

	/* the driver of the dpkt differential test */
	if (sp_test_argc > 1 && strcmp(sp_test_argv[1], "--replay") == 0)
		exit(sp_test_plugin_replay(PL, stdin, stdout) == 0 ? 0 : 2);
	if (corpus && !sp_test_corpus_dir(dir, sizeof(dir))) {
		printf("plugin_dhcp-corpus: no corpus at %s (set SP_CORPUS): skipped\n", dir);
		exit(77);
	}
	s = CU_add_suite(corpus ? "plugin_dhcp_corpus" : "plugin_dhcp", suite_init, suite_clean);
	if (s == NULL)
		return -1;
	if (corpus)
		return CU_add_test(s, "corpus: udps.dhcp_* and flow ends = NFStream's",
				   test_corpus) == NULL ? -1 : 0;
	if (CU_add_test(s, "columns as dhcp.py sets them", test_columns) == NULL ||
	    CU_add_test(s, "options: flows=N", test_options) == NULL ||
	    CU_add_test(s, "REQUEST from 0.0.0.0", test_request_from_zero) == NULL ||
	    CU_add_test(s, "renewal REQUEST then ACK", test_renewal_ack) == NULL ||
	    CU_add_test(s, "message types: values and flow ends", test_verdicts) == NULL ||
	    CU_add_test(s, "flows not to 67, IPv6, TCP", test_other_flows) == NULL ||
	    CU_add_test(s, "option values as Python takes them", test_option_values) == NULL ||
	    CU_add_test(s, "what NFStream raises on", test_raises) == NULL ||
	    CU_add_test(s, "IP-level cuts, lengths, fragments", test_ip_level) == NULL ||
	    CU_add_test(s, "many options", test_many_options) == NULL ||
	    CU_add_test(s, "option 57 above uint64", test_57_too_big) == NULL ||
	    CU_add_test(s, "pool full", test_pool_full) == NULL ||
	    CU_add_test(s, "random options and cuts", test_fuzz) == NULL)
		return -1;
	return 0;
}
