/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nDPI stage: the hooks driven directly with hand-built IPv4 packets, in
 * the order the worker calls them. Expected values are what NFStream's
 * sequence gives on nDPI 4.2 (docs/nfstream-semantics.md §7); where nDPI's own behaviour decides
 * (guessing, confidence), the comment says why the value is what it is.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <rte_common.h>

#include <sp_plugin_internal.h>

#include "sp_dpi.h"
#include "sp_test.h"
#include "sp_test_pkt.h"
#include "sp_test_eal.h"

/* nDPI 4.2 ndpi_confidence_t values. */
#define CONF_UNKNOWN 0
#define CONF_BY_PORT 1
#define CONF_BY_IP 2
#define CONF_DPI 4

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/* One test flow: endpoints, TCP sequence numbers, clock and the hook slot. */
struct tflow {
	uint64_t slot[SP_DPI_SLOT_SIZE_RISKS / 8];	/* room for either layout */
	uint32_t cli;
	uint32_t srv;
	uint16_t cport;
	uint16_t sport;
	uint8_t proto;
	uint32_t seq[2];
	uint64_t t_ms;
	unsigned int n;		/* packets sent */
};

static const struct sp_flow_ops *ops;

static void
ip4_csum(uint8_t *h)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sp_test_wr_be16(h + 10, (uint16_t)~sum);
}

/* IPv4 header + L4 header + payload; returns the packet length. */
static uint16_t
build(uint8_t *b, const struct tflow *f, int dir, uint8_t flags, const void *pl, uint16_t len)
{
	uint32_t src = dir == 0 ? f->cli : f->srv, dst = dir == 0 ? f->srv : f->cli;
	uint16_t sp = dir == 0 ? f->cport : f->sport, dp = dir == 0 ? f->sport : f->cport;
	uint16_t l4 = f->proto == 6 ? 20 : 8;
	uint16_t tot = (uint16_t)(20 + l4 + len);

	memset(b, 0, 20 + l4);
	b[0] = 0x45;
	sp_test_wr_be16(b + 2, tot);
	sp_test_wr_be16(b + 4, (uint16_t)(f->n + 1));
	b[6] = 0x40;	/* DF */
	b[8] = 64;
	b[9] = f->proto;
	sp_test_wr_be32(b + 12, src);
	sp_test_wr_be32(b + 16, dst);
	ip4_csum(b);
	sp_test_wr_be16(b + 20, sp);
	sp_test_wr_be16(b + 22, dp);
	if (f->proto == 6) {
		sp_test_wr_be32(b + 24, f->seq[dir]);
		sp_test_wr_be32(b + 28, (flags & TH_ACK) ? f->seq[!dir] : 0);
		b[32] = 5 << 4;
		b[33] = flags;
		sp_test_wr_be16(b + 34, 65535);
	} else {
		sp_test_wr_be16(b + 24, (uint16_t)(8 + len));
	}
	if (len > 0)	/* pl may be NULL for an empty payload: memcpy(.., NULL, 0) is UB */
		memcpy(b + 20 + l4, pl, len);
	return tot;
}

static void
send_pkt(void *ctx, struct tflow *f, int dir, uint8_t flags, const void *pl, uint16_t len)
{
	static uint8_t b[2048];
	struct sp_hook_pkt hp;
	struct sp_pkt_meta m;
	uint16_t n = build(b, f, dir, flags, pl, len);
	uint32_t src = dir == 0 ? f->cli : f->srv, dst = dir == 0 ? f->srv : f->cli;

	memset(&m, 0, sizeof(m));
	sp_test_wr_be32(m.src_ip, src);
	sp_test_wr_be32(m.dst_ip, dst);
	m.src_port = dir == 0 ? f->cport : f->sport;
	m.dst_port = dir == 0 ? f->sport : f->cport;
	m.protocol = f->proto;
	m.ip_version = 4;
	hp.m = &m;
	hp.ip = b;
	hp.ip_len = n;
	hp.t_ms = f->t_ms;
	hp.dir = (uint8_t)dir;
	hp.view_ok = 0;
	if (f->n == 0)
		ops->flow_init(ctx, f->slot, &hp, NULL);
	else
		ops->flow_update(ctx, f->slot, &hp, NULL);
	f->n++;
	f->t_ms += 1;
	if (f->proto == 6)
		f->seq[dir] += len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static void
tflow_init(struct tflow *f, uint8_t proto, uint32_t cli, uint16_t cport, uint32_t srv,
	   uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->cli = cli;
	f->srv = srv;
	f->cport = cport;
	f->sport = sport;
	f->seq[0] = 1000;
	f->seq[1] = 5000;
	f->t_ms = 1700000000000ull;
}

/* A record and its plugin area, where nDPI's cells come first. */
struct trec {
	struct sp_flow_record r;	/* splt_n 0: the area follows at once */
	uint8_t area[4096];
};

/* Column name's cell in the record (nDPI's layout: its columns from 0). */
static const struct sp_plugins_cell *
cell(const struct trec *t, const char *name, enum sp_plugin_type *type)
{
	const struct sp_plugin_icolumn *c;
	unsigned int i, n;
	uint32_t off = 0;

	CU_ASSERT_EQUAL_FATAL(sp_record_ext_offset(0), offsetof(struct trec, area));
	c = sp_dpi_columns(&n);
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].c.name, name) == 0) {
			*type = c[i].c.type;
			return (const struct sp_plugins_cell *)(const void *)(t->area + off);
		}
		off += sp_plugins_cell_bytes(&c[i].c);
	}
	CU_FAIL_FATAL("no such nDPI column");
	return NULL;
}

/* A string column's value (NUL-terminated copy; the cell must be set). */
static const char *
col_str(const struct trec *t, const char *name)
{
	static char buf[2][512];
	static unsigned int k;
	enum sp_plugin_type type;
	const struct sp_plugins_cell *h = cell(t, name, &type);
	char *b = buf[k++ % 2];

	CU_ASSERT_EQUAL(type, SP_PLUGIN_STRING);
	CU_ASSERT_EQUAL(h->set, 1);
	CU_ASSERT_FATAL(h->n < sizeof(buf[0]));
	memcpy(b, h + 1, h->n);
	b[h->n] = '\0';
	return b;
}

static int64_t
col_int(const struct trec *t, const char *name)
{
	enum sp_plugin_type type;
	const struct sp_plugins_cell *h = cell(t, name, &type);
	int64_t v;

	CU_ASSERT(type == SP_PLUGIN_INT || type == SP_PLUGIN_UINT);
	CU_ASSERT_EQUAL(h->set, 1);
	memcpy(&v, h + 1, 8);
	return v;
}

/* Export the flow as the worker does, into a reused record: every cell of
 * the run's columns must be written (set), whatever was there before. */
static void
expire(void *ctx, struct tflow *f, struct trec *rec)
{
	const struct sp_plugin_icolumn *c;
	unsigned int i, n;
	uint32_t off = 0;

	memset(rec, 0x5a, sizeof(*rec));
	rec->r.splt_n = 0;
	ops->flow_expire(ctx, f->slot, NULL, &rec->r);
	c = sp_dpi_columns(&n);
	for (i = 0; i < n; i++) {
		const struct sp_plugins_cell *h =
			(const struct sp_plugins_cell *)(const void *)(rec->area + off);

		CU_ASSERT_EQUAL(h->set, 1);
		CU_ASSERT(h->n <= (c[i].c.type == SP_PLUGIN_STRING ? c[i].c.max : 1));
		off += sp_plugins_cell_bytes(&c[i].c);
	}
	CU_ASSERT_EQUAL(off, sp_dpi_area_size());
}

static void
tcp_handshake(void *ctx, struct tflow *f)
{
	send_pkt(ctx, f, 0, TH_SYN, NULL, 0);
	send_pkt(ctx, f, 1, TH_SYN | TH_ACK, NULL, 0);
	send_pkt(ctx, f, 0, TH_ACK, NULL, 0);
}

/* A worker with D dissections and the optional collections; ops is the
 * table for that configuration, as the app takes it after configuring. */
static void *
worker_opts(uint8_t d, bool extra, bool risks)
{
	struct sp_dpi_params p;
	void *ctx;

	memset(&p, 0, sizeof(p));
	p.n_dissections = d;
	p.extra = extra;
	p.risks = risks;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	ctx = ops->worker_init(NULL, 0, 0, 64);
	CU_ASSERT_FATAL(ctx != NULL);
	return ctx;
}

static void *
worker(uint8_t d)
{
	return worker_opts(d, false, false);
}

/* ------------------------------------------------------------------------ */
/* Payloads.                                                                */

/* DNS query for www.example.com (A, IN), id 0x1234. */
static const uint8_t dns_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

/* Its answer: 93.184.216.34, TTL 300. */
static const uint8_t dns_answer[] = {
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04,
	93, 184, 216, 34,
};

static const char http_req[] =
	"GET /index.html HTTP/1.1\r\n"
	"Host: www.example.net\r\n"
	"User-Agent: streamprobe-test/1.0 (X11; Linux x86_64)\r\n"
	"Accept: */*\r\n"
	"\r\n";

static const char http_resp[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/html; charset=UTF-8\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"hello";

/* TLS 1.2 ClientHello: ciphers 0x1301 0x1302, extensions server_name
 * (www.example.org), supported_groups (x25519, secp256r1), ec_point_formats
 * (uncompressed). JA3 string "771,4865-4866,0-10-11,29-23,0". */
static const uint8_t tls_client_hello[] = {
	0x16, 0x03, 0x01, 0x00, 0x59,
	0x01, 0x00, 0x00, 0x55,
	0x03, 0x03,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	0x00,
	0x00, 0x04, 0x13, 0x01, 0x13, 0x02,
	0x01, 0x00,
	0x00, 0x28,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f,
	'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
	0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17,
	0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
};

/* ServerHello: TLS 1.2, cipher 0x1301, extension renegotiation_info
 * (0xff01). JA3S string "771,4865,65281". */
static const uint8_t tls_server_hello[] = {
	0x16, 0x03, 0x03, 0x00, 0x31,
	0x02, 0x00, 0x00, 0x2d,
	0x03, 0x03,
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
	0x00,
	0x13, 0x01,
	0x00,
	0x00, 0x05,
	0xff, 0x01, 0x00, 0x01, 0x00,
};

static const uint8_t garbage[24] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};


/* ------------------------------------------------------------------------ */
/* Tests.                                                                   */

/* md5("771,4865-4866,0-10-11,29-23,0") and md5("771,4865,65281"), the JA3
 * and JA3S strings of the hellos above, computed independently. */
#define JA3_CLIENT "38eaca597c62da4c9db8cfad482f14ad"
#define JA3_SERVER "9e36d0263f2c16df7144edfdcdd47374"

static void
assert_app(const struct trec *r, const char *name, const char *cat, uint8_t guessed,
	   uint8_t conf, const char *server, const char *cfp, const char *sfp, const char *ct,
	   const char *ua)
{
	CU_ASSERT_STRING_EQUAL(col_str(r, "application_name"), name);
	CU_ASSERT_STRING_EQUAL(col_str(r, "application_category_name"), cat);
	CU_ASSERT_EQUAL(col_int(r, "application_is_guessed"), guessed);
	CU_ASSERT_EQUAL(col_int(r, "application_confidence"), conf);
	CU_ASSERT_STRING_EQUAL(col_str(r, "requested_server_name"), server);
	CU_ASSERT_STRING_EQUAL(col_str(r, "client_fingerprint"), cfp);
	CU_ASSERT_STRING_EQUAL(col_str(r, "server_fingerprint"), sfp);
	CU_ASSERT_STRING_EQUAL(col_str(r, "content_type"), ct);
	CU_ASSERT_STRING_EQUAL(col_str(r, "user_agent"), ua);
}

static struct sp_dpi_stats
stats(void *ctx)
{
	struct sp_dpi_stats st;

	sp_dpi_get_stats(ctx, &st);
	return st;
}

static void
http_flow(void *ctx, struct tflow *f, uint16_t cport, const char *req)
{
	tflow_init(f, 6, IP(10, 0, 0, 1), cport, IP(10, 0, 0, 80), 80);
	tcp_handshake(ctx, f);
	send_pkt(ctx, f, 0, TH_PSH | TH_ACK, req, (uint16_t)strlen(req));
	send_pkt(ctx, f, 1, TH_PSH | TH_ACK, http_resp, sizeof(http_resp) - 1);
}

/* DNS: detected on the query, complete once nDPI has seen an answer; the
 * state is released then and the query name kept in one chunk. */
static void
test_dns(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(20);

	tflow_init(&f, 17, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);	/* no answer yet: extra dissection */
	send_pkt(ctx, &f, 1, 0, dns_answer, sizeof(dns_answer));
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_released, 1);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 1);
	send_pkt(ctx, &f, 1, 0, dns_answer, sizeof(dns_answer));	/* not dissected */
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 0, CONF_DPI, "www.example.com", "", "", "", "");
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).flows_dissected, 1);

	/* A query alone is exported while still detecting: same fields. */
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 0, CONF_DPI, "www.example.com", "", "", "", "");
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	ops->worker_fini(ctx);
}

/* HTTP: Host and User-Agent from the request. nDPI 4.2 keeps in
 * http.content_type only a response's Content-Type, and only from a
 * response parsed before any request of the flow (a capture that starts
 * mid-connection): after a request, the response's status code is parsed
 * first and stops the content checks. */
static void
test_http(void)
{
	struct trec rec;
	struct tflow f;
	char req[512], ua[301];
	void *ctx = worker(20);

	http_flow(ctx, &f, 40000, http_req);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);	/* Host and status code: done */
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "www.example.net", "", "",
		   "", "streamprobe-test/1.0 (X11; Linux x86_64)");

	/* A lone response is not a detection: HTTP by port at export, and the
	 * HTTP branch still copies the Content-Type (up to its ';'). */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 80), 80);
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, http_resp, sizeof(http_resp) - 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 1, CONF_BY_PORT, "", "", "", "text/html", "");

	/* A 300-byte User-Agent keeps NFStream's snprintf of 256 bytes: 255. */
	memset(ua, 'a', 300);
	ua[300] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: www.example.net\r\nUser-Agent: %s\r\n\r\n",
		 ua);
	http_flow(ctx, &f, 40002, req);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 5);	/* 16 + 256 + 3 bytes, 56 a chunk */
	expire(ctx, &f, &rec);
	ua[255] = '\0';
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "www.example.net", "", "", "", ua);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 0);
	ops->worker_fini(ctx);
}

/* TLS: SNI and JA3 from the ClientHello, JA3S from the ServerHello. nDPI
 * still wants the certificate, so the flow is exported while detecting. */
static void
test_tls(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(20);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 44), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, tls_server_hello, sizeof(tls_server_hello));
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "TLS", "Web", 0, CONF_DPI, "www.example.org", JA3_CLIENT, JA3_SERVER,
		   "", "");
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_peak, 1);
	ops->worker_fini(ctx);
}

/* Fewer than D packets and still Unknown: give-up with guessing at export.
 * nDPI 4.2 guesses by port (confidence 1) or by IP (2); it does not guess
 * a UDP protocol its dissector excluded when that protocol is one of its
 * "UDP guessable" ones (SNMP is). */
static void
test_giveup_at_export(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(20);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	send_pkt(ctx, &f, 0, TH_SYN, NULL, 0);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 1, CONF_BY_PORT, "", "", "", "", "");

	tflow_init(&f, 17, IP(10, 0, 0, 1), 40001, IP(8, 8, 8, 8), 40000);
	send_pkt(ctx, &f, 0, 0, garbage, sizeof(garbage));
	expire(ctx, &f, &rec);
	assert_app(&rec, "Google", "Web", 1, CONF_BY_IP, "", "", "", "", "");

	tflow_init(&f, 17, IP(10, 0, 0, 1), 40002, IP(10, 0, 0, 9), 161);
	send_pkt(ctx, &f, 0, 0, garbage, sizeof(garbage));
	send_pkt(ctx, &f, 0, 0, garbage, sizeof(garbage));
	expire(ctx, &f, &rec);
	assert_app(&rec, "Unknown", "Unspecified", 0, CONF_UNKNOWN, "", "", "", "", "");
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_released, 0);	/* none completed early */
	ops->worker_fini(ctx);
}

/* Packet D ends dissection: with D = 2 the handshake uses it up, nDPI
 * gives up (HTTP by port) and the request is never seen; with D = 4 the
 * request is packet 4 and the response (packet 5) is not dissected. */
static void
test_dissection_limit(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(2);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	send_pkt(ctx, &f, 0, TH_SYN, NULL, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);
	send_pkt(ctx, &f, 1, TH_SYN | TH_ACK, NULL, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_released, 1);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 0);	/* no string at all */
	send_pkt(ctx, &f, 0, TH_ACK, NULL, 0);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 1, CONF_BY_PORT, "", "", "", "", "");
	ops->worker_fini(ctx);

	ctx = worker(4);
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, http_resp, sizeof(http_resp) - 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "www.example.net", "", "", "",
		   "streamprobe-test/1.0 (X11; Linux x86_64)");
	ops->worker_fini(ctx);
}

/* D = 1: an Unknown first packet gives up at once. A first packet that is
 * already known is not complete in NFStream (its "== D" test is never met
 * again), so the flow goes on while nDPI wants more: here the ServerHello
 * (packet 2) still gives the JA3S. */
static void
test_one_dissection(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(1);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	send_pkt(ctx, &f, 0, TH_SYN, NULL, 0);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 1, CONF_BY_PORT, "", "", "", "", "");

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 44), 443);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, tls_server_hello, sizeof(tls_server_hello));
	expire(ctx, &f, &rec);
	assert_app(&rec, "TLS", "Web", 0, CONF_DPI, "www.example.org", JA3_CLIENT, JA3_SERVER,
		   "", "");
	ops->worker_fini(ctx);
}

static void
test_configure(void)
{
	struct sp_dpi_params p;

	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL(sp_dpi_configure(NULL), -EINVAL);
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), -EINVAL);
	p.n_dissections = 20;
	/* The risk bitmask makes the slot 8 bytes longer, only with risks. */
	p.extra = true;
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), 0);
	CU_ASSERT_EQUAL(sp_dpi_ops()->slot_size, SP_DPI_SLOT_SIZE);
	p.risks = true;
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), 0);
	CU_ASSERT_EQUAL(sp_dpi_ops()->slot_size, SP_DPI_SLOT_SIZE_RISKS);
	p.extra = false;
	p.risks = false;
	p.protos_file = "/nonexistent/protos.txt";
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), -ENOENT);
	p.protos_file = NULL;
	p.categories_file = "";
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), -EINVAL);
	p.categories_file = NULL;
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), 0);
	ops = sp_dpi_ops();
	CU_ASSERT_PTR_NOT_NULL(ops->name);
	CU_ASSERT_EQUAL(ops->slot_size, SP_DPI_SLOT_SIZE);
}

/* A protocols file (host rule, as ndpiReader -p) and a categories file (an
 * IP in custom category 1, numbered 20 in nDPI 4.2). */
static void
test_files(void)
{
	char protos[64], cats[64];
	struct sp_dpi_params p;
	struct trec rec;
	struct tflow f;
	FILE *fp;
	void *ctx;

	snprintf(protos, sizeof(protos), "/tmp/sptestdpi%d.protos", (int)getpid());
	snprintf(cats, sizeof(cats), "/tmp/sptestdpi%d.cats", (int)getpid());
	fp = fopen(protos, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs("host:\"example.net\"@StreamProbeTest\n", fp);
	fclose(fp);
	fp = fopen(cats, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs("10.0.0.99\t20\n", fp);
	fclose(fp);

	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	p.protos_file = protos;
	p.categories_file = cats;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	ctx = ops->worker_init(NULL, 0, 0, 64);
	CU_ASSERT_FATAL(ctx != NULL);

	http_flow(ctx, &f, 40000, http_req);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP.StreamProbeTest", "Web", 0, CONF_DPI, "www.example.net",
		   "", "", "", "streamprobe-test/1.0 (X11; Linux x86_64)");

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 99), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	expire(ctx, &f, &rec);
	assert_app(&rec, "TLS", "User custom category 1", 0, CONF_DPI, "www.example.org",
		   JA3_CLIENT, "", "", "");
	ops->worker_fini(ctx);
	unlink(protos);
	unlink(cats);
}

/* Modules made ahead (sp_dpi_prepare(), on a thread while the app's EAL
 * starts): each worker_init takes its own, with the files loaded; a worker
 * beyond them makes its own; what no worker took is freed; a file nDPI
 * cannot load is said by worker_init, for every worker. */
static void
test_prepare(void)
{
	char protos[64];
	struct sp_dpi_params p;
	struct trec rec;
	struct tflow f;
	int64_t base = stats(NULL).ndpi_bytes;
	void *ctx[3];
	unsigned int i;
	FILE *fp;

	snprintf(protos, sizeof(protos), "/tmp/sptestdpiprep%d.protos", (int)getpid());
	fp = fopen(protos, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs("host:\"example.net\"@StreamProbeTest\n", fp);
	fclose(fp);
	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	p.protos_file = protos;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	CU_ASSERT_EQUAL(sp_dpi_prepare(0), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(sp_dpi_prepare(2), 0);
	CU_ASSERT_EQUAL(sp_dpi_prepare(2), -EINVAL);	/* once */
	for (i = 0; i < 3; i++) {
		ctx[i] = ops->worker_init(NULL, i, 0, 64);
		CU_ASSERT_FATAL(ctx[i] != NULL);
		http_flow(ctx[i], &f, 40000, http_req);
		expire(ctx[i], &f, &rec);
		assert_app(&rec, "HTTP.StreamProbeTest", "Web", 0, CONF_DPI, "www.example.net",
			   "", "", "", "streamprobe-test/1.0 (X11; Linux x86_64)");
	}
	for (i = 0; i < 3; i++)
		ops->worker_fini(ctx[i]);
	sp_dpi_prepare_release();
	CU_ASSERT_EQUAL(stats(NULL).ndpi_bytes, base);

	/* none taken: freed by the release */
	CU_ASSERT_EQUAL_FATAL(sp_dpi_prepare(3), 0);
	sp_dpi_prepare_release();
	CU_ASSERT_EQUAL(stats(NULL).ndpi_bytes, base);
	sp_dpi_prepare_release();	/* again, and without a prepare: nothing */

	/* the file gone after configure: the thread's module fails, and
	 * worker_init says so on its thread, for every worker */
	CU_ASSERT_EQUAL_FATAL(sp_dpi_configure(&p), 0);
	unlink(protos);
	CU_ASSERT_EQUAL_FATAL(sp_dpi_prepare(2), 0);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(ops->worker_init(NULL, 0, 0, 64));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(ops->worker_init(NULL, 1, 0, 64));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	sp_dpi_prepare_release();
	CU_ASSERT_EQUAL(stats(NULL).ndpi_bytes, base);
	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	CU_ASSERT_EQUAL(sp_dpi_configure(&p), 0);
}

/* Memory: states released early, the state cap, the fallback when string
 * chunks run out, and every nDPI byte returned by the end. */
static void
test_memory(void)
{
	struct sp_dpi_params p;
	struct trec rec;
	struct tflow f, g;
	int64_t base = stats(NULL).ndpi_bytes;
	uint64_t allocs = stats(NULL).ndpi_allocs;
	uint64_t frees = stats(NULL).ndpi_frees;
	char req[512], ua[201];
	void *ctx;

	ctx = worker(20);
	CU_ASSERT(stats(NULL).ndpi_bytes > base);	/* the module's own tables */
	CU_ASSERT(stats(NULL).ndpi_allocs > allocs);
	CU_ASSERT_EQUAL(stats(ctx).states_max, 64);
	CU_ASSERT_EQUAL(stats(ctx).chunks_max, 64 * SP_DPI_CHUNKS_PER_FLOW);
	/* Flows left detecting hold nDPI allocations (URL, User-Agent): fini
	 * must free them. */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);
	ops->worker_fini(ctx);
	CU_ASSERT_EQUAL(stats(NULL).ndpi_bytes, base);
	CU_ASSERT_EQUAL(stats(NULL).ndpi_allocs - allocs, stats(NULL).ndpi_frees - frees);

	/* One state for the whole worker: the second flow is not dissected. */
	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	p.max_states = 1;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	ctx = ops->worker_init(NULL, 0, 0, 64);
	CU_ASSERT_FATAL(ctx != NULL);
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	tflow_init(&g, 17, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &g, 0, 0, dns_query, sizeof(dns_query));
	CU_ASSERT_EQUAL(stats(ctx).states_max, 1);
	CU_ASSERT_EQUAL(stats(ctx).flows_dissected, 1);
	CU_ASSERT_EQUAL(stats(ctx).flows_undissected, 1);
	expire(ctx, &g, &rec);
	assert_app(&rec, "Unknown", "Unspecified", 0, CONF_UNKNOWN, "", "", "", "", "");
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 0, CONF_DPI, "www.example.com", "", "", "", "");
	ops->worker_fini(ctx);

	/* A table of 1 flow has 2 chunks (112 bytes of strings): a longer set
	 * keeps its nDPI state until export, with the same values. */
	p.max_states = 0;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	ctx = ops->worker_init(NULL, 0, 0, 1);
	CU_ASSERT_FATAL(ctx != NULL);
	memset(ua, 'b', 200);
	ua[200] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: www.example.net\r\nUser-Agent: %s\r\n\r\n",
		 ua);
	http_flow(ctx, &f, 40000, req);
	CU_ASSERT_EQUAL(stats(ctx).states_kept, 1);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 1);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 0);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "www.example.net", "", "", "", ua);
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	/* A short set fits: the state is released. */
	http_flow(ctx, &f, 40001, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	CU_ASSERT_EQUAL(stats(ctx).chunks_in_use, 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "a.example", "", "", "", "");
	ops->worker_fini(ctx);
	CU_ASSERT_EQUAL(stats(NULL).ndpi_bytes, base);
}

/* ------------------------------------------------------------------------ */
/* Beyond NFStream: --ndpi-extra and --ndpi-risks.                           */

static void
assert_extra(const struct trec *r, uint16_t qtype, int8_t rcode, const char *ver,
	     const char *cipher)
{
	CU_ASSERT_EQUAL(col_int(r, "dns_query_type"), qtype);
	CU_ASSERT_EQUAL(col_int(r, "dns_response_code"), rcode);
	CU_ASSERT_STRING_EQUAL(col_str(r, "tls_version"), ver);
	CU_ASSERT_STRING_EQUAL(col_str(r, "tls_cipher"), cipher);
}

static void
assert_risks(const struct trec *r, const char *risks, uint16_t score)
{
	CU_ASSERT_STRING_EQUAL(col_str(r, "application_risks"), risks);
	CU_ASSERT_EQUAL(col_int(r, "application_risk_score"), score);
}

/* nDPI 4.2 risk names and scores (ndpi_risk2str, ndpi_risk2score: low 10,
 * medium 50). */
#define RISK_PORT "Known Protocol on Non Standard Port"	/* medium */
#define RISK_NOT_HTTPS "TLS (probably) Not Carrying HTTPS"	/* low */
#define RISK_NUMERIC_HOST "HTTP Numeric IP Address"		/* low */

/* DNS: the query's type, and the response's code once a response was
 * dissected (-1 before). Released flows keep them in the slot. */
static void
test_extra_dns(void)
{
	static const uint8_t nxdomain_aaaa[] = {
		0x43, 0x21, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'n', 'x', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0x00, 0x1c, 0x00, 0x01,
	};
	uint8_t query_aaaa[sizeof(dns_query)];
	struct trec rec;
	struct tflow f;
	void *ctx = worker_opts(20, true, false);

	tflow_init(&f, 17, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	send_pkt(ctx, &f, 1, 0, dns_answer, sizeof(dns_answer));
	CU_ASSERT_EQUAL(stats(ctx).states_released, 1);
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 0, CONF_DPI, "www.example.com", "", "", "", "");
	assert_extra(&rec, 1, 0, "", "");

	/* Exported while detecting: no response yet. */
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	expire(ctx, &f, &rec);
	assert_extra(&rec, 1, -1, "", "");

	/* AAAA (28) answered NXDOMAIN (3), with no answer record. */
	memcpy(query_aaaa, dns_query, sizeof(dns_query));
	query_aaaa[0] = 0x43;
	query_aaaa[1] = 0x21;
	query_aaaa[sizeof(query_aaaa) - 3] = 0x1c;
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40002, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, query_aaaa, sizeof(query_aaaa));
	send_pkt(ctx, &f, 1, 0, nxdomain_aaaa, sizeof(nxdomain_aaaa));
	expire(ctx, &f, &rec);
	CU_ASSERT_STRING_EQUAL(col_str(&rec, "application_name"), "DNS");
	assert_extra(&rec, 28, 3, "", "");

	/* nDPI 4.2 takes any header with the QR bit for a response: 0xff...
	 * is a DNS response with RCODE 15 (by DPI, not guessed). */
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40003, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, garbage, sizeof(garbage));
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 0, CONF_DPI, "", "", "", "", "");
	assert_extra(&rec, 0, 15, "", "");

	/* Guessed DNS (TCP port 53, no payload): no values, though nDPI's DNS
	 * fields are zero, which would read as "NOERROR". */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40004, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, TH_SYN, NULL, 0);
	expire(ctx, &f, &rec);
	assert_app(&rec, "DNS", "Network", 1, CONF_BY_PORT, "", "", "", "", "");
	assert_extra(&rec, 0, -1, "", "");
	ops->worker_fini(ctx);
}

/* TLS: the version nDPI keeps (here the hellos' 0x0303, no
 * supported_versions) and the ServerHello's cipher; DNS values stay empty,
 * and a non-TLS flow has none. */
static void
test_extra_tls(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker_opts(20, true, false);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 44), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, tls_server_hello, sizeof(tls_server_hello));
	expire(ctx, &f, &rec);
	assert_app(&rec, "TLS", "Web", 0, CONF_DPI, "www.example.org", JA3_CLIENT, JA3_SERVER,
		   "", "");
	assert_extra(&rec, 0, -1, "TLSv1.2", "TLS_AES_128_GCM_SHA256");

	/* ClientHello only: a version, no cipher. */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 44), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	expire(ctx, &f, &rec);
	assert_extra(&rec, 0, -1, "TLSv1.2", "");

	/* D = 4: detection completes on the ClientHello (packet 4), the state
	 * is released and the values come from the slot. */
	ops->worker_fini(ctx);
	ctx = worker_opts(4, true, false);
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40002, IP(10, 0, 0, 44), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	send_pkt(ctx, &f, 1, TH_PSH | TH_ACK, tls_server_hello, sizeof(tls_server_hello));
	expire(ctx, &f, &rec);
	assert_extra(&rec, 0, -1, "TLSv1.2", "");

	http_flow(ctx, &f, 40003, http_req);
	expire(ctx, &f, &rec);
	CU_ASSERT_STRING_EQUAL(col_str(&rec, "application_name"), "HTTP");
	assert_extra(&rec, 0, -1, "", "");
	ops->worker_fini(ctx);
}

/* Risks: names in risk-number order and their score, from released,
 * detecting, kept (no free chunk) and guessed flows. */
static void
test_risks(void)
{
	struct sp_dpi_params p;
	struct trec rec;
	struct tflow f;
	char req[512], ua[201];
	void *ctx = worker_opts(20, false, true);

	CU_ASSERT_EQUAL(ops->slot_size, SP_DPI_SLOT_SIZE_RISKS);
	http_flow(ctx, &f, 40000, http_req);
	expire(ctx, &f, &rec);
	assert_risks(&rec, "", 0);

	http_flow(ctx, &f, 40001, "GET / HTTP/1.1\r\nHost: 10.0.0.80\r\n\r\n");
	CU_ASSERT_EQUAL(stats(ctx).states_in_use, 0);
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "10.0.0.80", "", "", "", "");
	assert_risks(&rec, RISK_NUMERIC_HOST, 10);

	/* nDPI flags a ClientHello without ALPN on 443 as not HTTPS. */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40002, IP(10, 0, 0, 44), 443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	expire(ctx, &f, &rec);
	assert_risks(&rec, RISK_NOT_HTTPS, 10);

	/* The same on 8443: two risks, ';'-joined, in risk-number order. */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40003, IP(10, 0, 0, 44), 8443);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, tls_client_hello, sizeof(tls_client_hello));
	expire(ctx, &f, &rec);
	CU_ASSERT_STRING_EQUAL(col_str(&rec, "application_name"), "TLS");
	assert_risks(&rec, RISK_PORT ";" RISK_NOT_HTTPS, 60);

	/* Guessed and undissected flows: no risk. */
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40004, IP(10, 0, 0, 80), 80);
	send_pkt(ctx, &f, 0, TH_SYN, NULL, 0);
	expire(ctx, &f, &rec);
	CU_ASSERT_EQUAL(col_int(&rec, "application_is_guessed"), 1);
	assert_risks(&rec, "", 0);
	ops->worker_fini(ctx);

	/* One flow, two chunks: a long User-Agent keeps the nDPI state until
	 * export (DPI_KEPT), whose risk is read then. Risks and extras
	 * together; a second flow finds no free state (not dissected). */
	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	p.extra = true;
	p.risks = true;
	p.max_states = 1;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	ops = sp_dpi_ops();
	ctx = ops->worker_init(NULL, 0, 0, 1);
	CU_ASSERT_FATAL(ctx != NULL);
	memset(ua, 'b', 200);
	ua[200] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: 10.0.0.80\r\nUser-Agent: %s\r\n\r\n",
		 ua);
	http_flow(ctx, &f, 40005, req);
	CU_ASSERT_EQUAL(stats(ctx).states_kept, 1);
	{
		struct tflow g;

		tflow_init(&g, 17, IP(10, 0, 0, 1), 40006, IP(10, 0, 0, 53), 53);
		send_pkt(ctx, &g, 0, 0, dns_query, sizeof(dns_query));
		CU_ASSERT_EQUAL(stats(ctx).flows_undissected, 1);
		memset(&rec, 0x5a, sizeof(rec));
		expire(ctx, &g, &rec);
		assert_app(&rec, "Unknown", "Unspecified", 0, CONF_UNKNOWN, "", "", "", "", "");
		assert_risks(&rec, "", 0);
		assert_extra(&rec, 0, -1, "", "");
	}
	expire(ctx, &f, &rec);
	assert_app(&rec, "HTTP", "Web", 0, CONF_DPI, "10.0.0.80", "", "", "", ua);
	assert_risks(&rec, RISK_NUMERIC_HOST, 10);
	assert_extra(&rec, 0, -1, "", "");
	ops->worker_fini(ctx);
}

/* Without the options nDPI has its nine columns only, and the hook writes
 * nothing past their cells (the next plugin's). */
static void
test_extra_off(void)
{
	struct trec rec;
	struct tflow f;
	void *ctx = worker(20);
	unsigned int i, n;
	size_t area;

	CU_ASSERT_EQUAL(ops->slot_size, SP_DPI_SLOT_SIZE);
	sp_dpi_columns(&n);
	CU_ASSERT_EQUAL(n, 9);
	area = sp_dpi_area_size();
	CU_ASSERT_FATAL(area > 0 && area < sizeof(rec.area));
	tflow_init(&f, 17, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 53), 53);
	send_pkt(ctx, &f, 0, 0, dns_query, sizeof(dns_query));
	send_pkt(ctx, &f, 1, 0, dns_answer, sizeof(dns_answer));
	expire(ctx, &f, &rec);
	CU_ASSERT_STRING_EQUAL(col_str(&rec, "application_name"), "DNS");
	for (i = area; i < sizeof(rec.area); i++)
		if (rec.area[i] != 0x5a)
			break;
	CU_ASSERT_EQUAL(i, sizeof(rec.area));
	ops->worker_fini(ctx);
}

/* The columns of each configuration, in order, with their IPFIX elements:
 * NFStream's nine, then --ndpi-risks' two, then --ndpi-extra's four. */
static void
test_columns(void)
{
	static const char *const all[] = {
		"application_name", "application_category_name", "application_is_guessed",
		"application_confidence", "requested_server_name", "client_fingerprint",
		"server_fingerprint", "user_agent", "content_type", "application_risks",
		"application_risk_score", "dns_query_type", "dns_response_code", "tls_version",
		"tls_cipher",
	};
	const struct sp_plugin_icolumn *c;
	struct sp_dpi_params p;
	unsigned int n;

	memset(&p, 0, sizeof(p));
	p.n_dissections = 20;
	p.extra = true;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	c = sp_dpi_columns(&n);
	CU_ASSERT_EQUAL_FATAL(n, 13);
	CU_ASSERT_STRING_EQUAL(c[8].c.name, all[8]);
	CU_ASSERT_STRING_EQUAL(c[9].c.name, all[11]);
	p.risks = true;
	CU_ASSERT_FATAL(sp_dpi_configure(&p) == 0);
	c = sp_dpi_columns(&n);
	CU_ASSERT_EQUAL_FATAL(n, RTE_DIM(all));
	for (n = 0; n < RTE_DIM(all); n++)
		CU_ASSERT_STRING_EQUAL(c[n].c.name, all[n]);
	/* IANA elements, streamprobe's ids 45..49, the widths of the old fields */
	CU_ASSERT_STRING_EQUAL(c[0].ie.iana_name, "applicationName");
	CU_ASSERT_EQUAL(c[0].ie.id, 96);
	CU_ASSERT_EQUAL(c[1].ie.id, 372);
	CU_ASSERT_PTR_NULL(c[2].ie.iana_name);
	CU_ASSERT_EQUAL(c[2].ie.id, 45);
	CU_ASSERT_EQUAL(c[2].ie.type, 1);	/* unsigned8 */
	CU_ASSERT_EQUAL(c[6].ie.id, 49);
	CU_ASSERT_EQUAL(c[7].ie.id, 468);
	CU_ASSERT_EQUAL(c[8].ie.id, 469);
	CU_ASSERT_EQUAL(c[10].ie.type, 2);	/* unsigned16 */
	CU_ASSERT_EQUAL(c[12].ie.type, 5);	/* signed8 */
	CU_ASSERT_EQUAL(c[12].c.type, SP_PLUGIN_INT);
	/* NFStream's field sizes, less the NUL */
	CU_ASSERT_EQUAL(c[0].c.max, 39);
	CU_ASSERT_EQUAL(c[7].c.max, 255);
}

/* The stats line: every key, the sizes, and the buffer contract. */
static void
test_format_stats(void)
{
	char buf[SP_DPI_STATS_LINE_MAX], small[32];
	struct trec rec;
	struct sp_dpi_stats st;
	struct tflow f;
	int n;
	void *ctx = worker_opts(20, false, true);

	http_flow(ctx, &f, 40000, http_req);
	tflow_init(&f, 6, IP(10, 0, 0, 1), 40001, IP(10, 0, 0, 80), 80);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	sp_dpi_get_stats(ctx, &st);
	n = sp_dpi_format_stats(ctx, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	CU_ASSERT_PTR_NULL(strchr(buf, '\n'));
	CU_ASSERT_EQUAL(strncmp(buf, "dpi: flows_dissected=2 flows_undissected=0 slot_bytes=32 "
				"states_in_use=1 states_peak=1 states_max=64 bytes_per_state=704 "
				"states_released=1 states_kept=0 chunks_in_use=2 chunks_peak=2 "
				"chunks_max=128 bytes_per_chunk=64 worker_ndpi_bytes=", 220), 0);
	CU_ASSERT_EQUAL(st.bytes_per_state, 704);
	CU_ASSERT_EQUAL(st.slot_size, SP_DPI_SLOT_SIZE_RISKS);
	/* The detecting flow holds nDPI strings (URL, User-Agent): counted on
	 * this lcore (the test's only one), within the peaks. */
	CU_ASSERT(st.worker_ndpi_bytes > 0);
	CU_ASSERT(st.worker_ndpi_bytes_peak >= st.worker_ndpi_bytes);
	CU_ASSERT(st.ndpi_bytes_peak >= st.ndpi_bytes);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " worker_ndpi_bytes_peak="));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " ndpi_bytes_peak="));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " ndpi_frees="));
	expire(ctx, &f, &rec);

	CU_ASSERT_EQUAL(sp_dpi_format_stats(ctx, small, sizeof(small)), -ENOSPC);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_EQUAL(sp_dpi_format_stats(ctx, NULL, 10), -EINVAL);
	CU_ASSERT_EQUAL(sp_dpi_format_stats(ctx, buf, 0), -EINVAL);
	ops->worker_fini(ctx);

	n = sp_dpi_format_stats(NULL, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	CU_ASSERT_EQUAL(strncmp(buf, "dpi: bytes_per_state=704 bytes_per_chunk=64 ndpi_bytes=",
				55), 0);
	CU_ASSERT_PTR_NULL(strstr(buf, "states_in_use"));
}


/* ------------------------------------------------------------------------ */
/* The heap nDPI allocates from inside a worker's hooks.                    */

static struct sp_dpi_heap_stats
hstats(const struct sp_dpi_heap *h)
{
	struct sp_dpi_heap_stats st;

	sp_dpi_heap_get_stats(h, &st);
	return st;
}

struct heap_thread_arg {
	void *own;		/* a block of the heap, freed by the thread */
	void *got;		/* what sp_dpi_malloc() gave the thread */
	struct sp_dpi_heap *tls;	/* the thread's heap */
};

/* A thread no heap was given: libc; a heap block it frees still goes home. */
static void *
heap_thread(void *arg)
{
	struct heap_thread_arg *a = arg;

	a->tls = sp_dpi_heap_use(NULL);
	a->got = sp_dpi_malloc(64);
	sp_dpi_free(a->own);
	return NULL;
}

#define HEAP_MANY 3000

static void
test_heap(void)
{
	/* Sizes across the classes, and their class sizes. */
	static const size_t sz[] = { 1, 16, 17, 100, 128, 129, 300, 1000, 2049, 4096 };
	static const size_t cls[] = { 16, 16, 32, 112, 128, 160, 320, 1024, 2560, 4096 };
	struct heap_thread_arg ta;
	struct sp_dpi_heap *h, *prev;
	static void *many[HEAP_MANY];
	void *p[RTE_DIM(sz)], *q, *big;
	uint64_t slab, tot = 0;
	unsigned int i, j;
	pthread_t t;
	char *dup;

	h = sp_dpi_heap_create();
	CU_ASSERT_FATAL(h != NULL);
	CU_ASSERT_EQUAL(hstats(h).slab_bytes, 0);	/* nothing mapped before use */
	prev = sp_dpi_heap_use(h);
	CU_ASSERT_PTR_NULL(prev);
	for (i = 0; i < RTE_DIM(sz); i++) {
		p[i] = sp_dpi_malloc(sz[i]);
		CU_ASSERT_FATAL(p[i] != NULL);
		CU_ASSERT_EQUAL((uintptr_t)p[i] % 16, 0);
		memset(p[i], 'a' + i, sz[i]);
		tot += cls[i];
	}
	for (i = 0; i < RTE_DIM(sz); i++)	/* no block overlaps another */
		for (j = 0; j < sz[i]; j++)
			if (((char *)p[i])[j] != (char)('a' + i)) {
				CU_FAIL("heap blocks overlap");
				break;
			}
	CU_ASSERT_EQUAL(hstats(h).allocs, RTE_DIM(sz));
	CU_ASSERT_EQUAL(hstats(h).bytes, (int64_t)tot);
	CU_ASSERT_EQUAL(hstats(h).bytes_peak, (int64_t)tot);
	/* One 64 KiB slab for each of the 9 classes used. */
	CU_ASSERT_EQUAL(hstats(h).slab_bytes, 9 * 65536);

	/* Above 4 KiB: libc, counted apart. */
	big = sp_dpi_malloc(5000);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 1, 5000);
	CU_ASSERT_EQUAL(hstats(h).large, 1);
	CU_ASSERT_EQUAL(hstats(h).allocs, RTE_DIM(sz));
	sp_dpi_free(big);
	CU_ASSERT_EQUAL(hstats(h).frees, 0);

	/* A freed block is the next one of its class. */
	sp_dpi_free(p[3]);
	CU_ASSERT_EQUAL(hstats(h).frees, 1);
	CU_ASSERT_EQUAL(hstats(h).bytes, (int64_t)(tot - 112));
	q = sp_dpi_malloc(97);
	CU_ASSERT_PTR_EQUAL(q, p[3]);
	CU_ASSERT_EQUAL(hstats(h).bytes, (int64_t)tot);

	/* Not the heap's (libc's strdup, as nDPI frees some): to free(). */
	dup = strdup("issuer DN");
	CU_ASSERT_FATAL(dup != NULL);
	sp_dpi_free(dup);
	CU_ASSERT_EQUAL(hstats(h).frees, 1);
	sp_dpi_free(NULL);

	/* More than a slab of one class: the next, twice as large, is mapped;
	 * once freed, the same number again maps nothing more. */
	slab = hstats(h).slab_bytes;
	for (i = 0; i < HEAP_MANY; i++) {
		many[i] = sp_dpi_malloc(64);
		CU_ASSERT_FATAL(many[i] != NULL);
		memset(many[i], 0, 64);
	}
	CU_ASSERT_EQUAL(hstats(h).slab_bytes, slab + 65536 + 131072);
	for (i = 0; i < HEAP_MANY; i++)
		sp_dpi_free(many[i]);
	for (i = 0; i < HEAP_MANY; i++)
		many[i] = sp_dpi_malloc(50);
	CU_ASSERT_EQUAL(hstats(h).slab_bytes, slab + 65536 + 131072);
	for (i = 0; i < HEAP_MANY; i++)
		sp_dpi_free(many[i]);

	/* Another thread: no heap of its own, so libc; the heap's block it
	 * frees goes back to the heap (this thread is not using it then). */
	memset(&ta, 0, sizeof(ta));
	ta.own = p[0];
	CU_ASSERT_FATAL(pthread_create(&t, NULL, heap_thread, &ta) == 0);
	CU_ASSERT_FATAL(pthread_join(t, NULL) == 0);
	CU_ASSERT_PTR_NULL(ta.tls);
	CU_ASSERT_FATAL(ta.got != NULL);
	CU_ASSERT_EQUAL(hstats(h).allocs, RTE_DIM(sz) + 1 + 2 * HEAP_MANY);
	CU_ASSERT_EQUAL(hstats(h).frees, 2 + 2 * HEAP_MANY);
	sp_dpi_free(ta.got);
	CU_ASSERT_EQUAL(hstats(h).frees, 2 + 2 * HEAP_MANY);
	CU_ASSERT_PTR_EQUAL(sp_dpi_malloc(16), p[0]);	/* reused here */

	for (i = 0; i < RTE_DIM(sz); i++)
		sp_dpi_free(p[i]);
	CU_ASSERT_EQUAL(hstats(h).bytes, 0);
	CU_ASSERT_EQUAL(hstats(h).allocs, hstats(h).frees);
	CU_ASSERT_PTR_EQUAL(sp_dpi_heap_use(prev), h);
	sp_dpi_heap_destroy(h);
	/* Without a heap: libc. */
	q = sp_dpi_malloc(32);
	CU_ASSERT_FATAL(q != NULL);
	sp_dpi_free(q);
	CU_ASSERT_EQUAL(hstats(NULL).allocs, 0);
}

/* The hooks: nDPI's per-flow strings come from the worker's heap, which is
 * the thread's only while they run; everything is back by the end. */
static void
test_heap_hooks(void)
{
	struct sp_dpi_stats st;
	struct trec rec;
	struct tflow f;
	char buf[SP_DPI_STATS_LINE_MAX];
	void *ctx = worker(20);

	tflow_init(&f, 6, IP(10, 0, 0, 1), 40000, IP(10, 0, 0, 80), 80);
	tcp_handshake(ctx, &f);
	send_pkt(ctx, &f, 0, TH_PSH | TH_ACK, http_req, sizeof(http_req) - 1);
	CU_ASSERT_PTR_NULL(sp_dpi_heap_use(NULL));	/* restored on return */
	st = stats(ctx);
	CU_ASSERT(st.heap.allocs > 0);		/* URL, User-Agent */
	CU_ASSERT(st.heap.bytes > 0);
	CU_ASSERT(st.heap.slab_bytes >= 65536);
	CU_ASSERT(st.worker_ndpi_bytes >= st.heap.bytes);
	CU_ASSERT(sp_dpi_format_stats(ctx, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " heap_allocs="));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " heap_slab_bytes="));
	expire(ctx, &f, &rec);
	CU_ASSERT(stats(ctx).heap.bytes_peak >= st.heap.bytes);
	CU_ASSERT(stats(ctx).heap.frees > 0);
	CU_ASSERT(stats(ctx).heap.bytes < st.heap.bytes);
	ops->worker_fini(ctx);
}

/* ------------------------------------------------------------------------ */

static int
suite_init(void)
{
	ops = sp_dpi_ops();
	return sp_test_eal_init("dpi", 256);
}

static int
suite_clean(void)
{
	return sp_test_eal_cleanup();
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("dpi", suite_init, suite_clean);

	if (s == NULL || CU_add_test(s, "configure", test_configure) == NULL ||
	    CU_add_test(s, "DNS", test_dns) == NULL ||
	    CU_add_test(s, "HTTP", test_http) == NULL ||
	    CU_add_test(s, "TLS", test_tls) == NULL ||
	    CU_add_test(s, "give-up at export", test_giveup_at_export) == NULL ||
	    CU_add_test(s, "dissection limit", test_dissection_limit) == NULL ||
	    CU_add_test(s, "one dissection", test_one_dissection) == NULL ||
	    CU_add_test(s, "protocols and categories files", test_files) == NULL ||
	    CU_add_test(s, "memory", test_memory) == NULL ||
	    CU_add_test(s, "extra: DNS", test_extra_dns) == NULL ||
	    CU_add_test(s, "extra: TLS", test_extra_tls) == NULL ||
	    CU_add_test(s, "risks", test_risks) == NULL ||
	    CU_add_test(s, "extras off: nine columns only", test_extra_off) == NULL ||
	    CU_add_test(s, "columns and their IPFIX elements", test_columns) == NULL ||
	    CU_add_test(s, "stats line", test_format_stats) == NULL ||
	    CU_add_test(s, "heap", test_heap) == NULL ||
	    CU_add_test(s, "heap in the hooks", test_heap_hooks) == NULL ||
	    /* last: its modules' bytes, counted as the thread's that made
	     * them, are freed on this lcore (only the sum is meaningful),
	     * which the per-lcore counts of the tests above would see */
	    CU_add_test(s, "modules made ahead", test_prepare) == NULL)
		return -1;
	return 0;
}
