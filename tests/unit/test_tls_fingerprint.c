/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shipped tls-fingerprint plugin (lib/plugins/tls_fingerprint.c): FoxIO's
 * JA4 against the specification's own worked example (technical_details/JA4.md:
 * its cipher, extension and signature lists give t13d1516h2_8daaf6152771_e5627efa2ab1
 * and the _r, _o, _ro forms printed there), built into a client hello with
 * GREASE values added everywhere, then sent as TCP segments over IPv4 and IPv6:
 * whole, in 2 to 5 segments, in every order, with retransmissions and overlaps,
 * across several TLS records; and hellos that must give None without a crash:
 * cut at every length, lengths made absurd, random bytes, longer than max.
 * The ALPN rules (first/last character, the hex rule) on the specification's
 * examples; DTLS ('d'); QUIC ('q'): Initial packets encrypted here with the
 * client keys RFC 9001 (A.1) and RFC 9369 (A.1) print for their example
 * DCID, the hello in CRYPTO frames out of order over two packets, with ACK,
 * PING and PADDING frames, an undecryptable packet and the server's packets
 * around it. The corpus check against FoxIO's values is
 * tests/integration/test_tls_fingerprint.py.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <gcrypt.h>

#include "sp_plugin.h"
#include "sp_test.h"
#include "sp_test_ja4_rec.h"

extern const struct sp_plugin sp_plugin_tls_fingerprint;
#define PL sp_plugin_tls_fingerprint

/* The specification's example (technical_details/JA4.md, "Example" and "Raw Output"). */
#define SPEC_JA4 "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define SPEC_JA4_O "t13d1516h2_acb858a92679_18f69afefd3d"
#define SPEC_JA4_R "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f," \
	"c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_" \
	"0403,0804,0401,0503,0805,0501,0806,0601"
#define SPEC_JA4_RO "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c," \
	"009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b," \
	"000a,0015_0403,0804,0401,0503,0805,0501,0806,0601"

static const uint16_t spec_ciphers[] = {
	0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
	0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t spec_exts[] = {
	0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
	0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
};
static const uint16_t spec_sigs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};

static struct sp_plugin_config cfg;
static void *wctx;

static int
suite_init(void)
{
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	if (PL.configure(NULL, 0, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tls-fingerprint configure: %s\n", err);
		return -1;
	}
	wctx = PL.worker_init(cfg.conf, 0, 0, 1024);
	return wctx == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	PL.worker_fini(wctx);
	PL.deconfigure(cfg.conf);
	return 0;
}

/* ---- building hellos ---- */

struct buf {
	uint8_t b[20000];
	uint32_t n;
};

static void
put8(struct buf *b, uint32_t v)
{
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct buf *b, uint32_t v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put24(struct buf *b, uint32_t v)
{
	put8(b, v >> 16);
	put16(b, v);
}

static void
putn(struct buf *b, const void *d, uint32_t n)
{
	memcpy(b->b + b->n, d, n);
	b->n += n;
}

/* What the hello carries beyond the specification's lists. */
struct hello_opt {
	const uint8_t *alpn;	/* the first ALPN value (NULL: the spec's "h2") */
	int alpn_len;		/* -1: no value in the list */
	bool grease;		/* GREASE ciphers, extensions, signatures, versions */
	bool dtls;		/* a DTLS 1.2 hello (a cookie field) */
	uint32_t pad;		/* bytes of the padding extension (0015) */
};

/* The client hello's handshake message (type, length, body). */
static void
hello_msg(struct buf *m, const struct hello_opt *o)
{
	struct buf e = { .n = 0 };
	unsigned int i;
	uint32_t l0;

	for (i = 0; i < sizeof(spec_exts) / sizeof(spec_exts[0]); i++) {
		uint16_t t = spec_exts[i];

		if (o->grease && i == 0) {
			put16(&e, 0x1a1a);
			put16(&e, 0);
		}
		put16(&e, t);
		l0 = e.n;
		put16(&e, 0);	/* length, set below */
		if (t == 0x0000) {
			put16(&e, 14);
			put8(&e, 0);
			put16(&e, 11);
			putn(&e, "example.com", 11);
		} else if (t == 0x0010) {
			const uint8_t *a = o->alpn != NULL ? o->alpn : (const uint8_t *)"h2";
			int al = o->alpn != NULL ? o->alpn_len : 2;

			if (al < 0) {
				put16(&e, 0);
			} else {
				put16(&e, 1 + (uint32_t)al + 9);
				put8(&e, (uint32_t)al);
				putn(&e, a, (uint32_t)al);
				put8(&e, 8);
				putn(&e, "http/1.1", 8);
			}
		} else if (t == 0x000d) {
			unsigned int k, ns = sizeof(spec_sigs) / sizeof(spec_sigs[0]);

			put16(&e, 2 * (ns + (o->grease ? 1 : 0)));
			for (k = 0; k < ns; k++) {
				if (o->grease && k == 3)
					put16(&e, 0x3a3a);
				put16(&e, spec_sigs[k]);
			}
		} else if (t == 0x002b) {
			if (o->dtls) {
				put8(&e, 4);
				put16(&e, 0xfefd);
				put16(&e, 0xfeff);
			} else {
				put8(&e, o->grease ? 6 : 4);
				if (o->grease)
					put16(&e, 0xdada);
				put16(&e, 0x0304);
				put16(&e, 0x0303);
			}
		} else if (t == 0x0015) {
			uint32_t k;

			for (k = 0; k < (o->pad != 0 ? o->pad : 4); k++)
				put8(&e, 0);
		}
		e.b[l0] = (uint8_t)((e.n - l0 - 2) >> 8);
		e.b[l0 + 1] = (uint8_t)(e.n - l0 - 2);
	}
	if (o->grease) {
		put16(&e, 0xfafa);
		put16(&e, 1);
		put8(&e, 0);
	}
	m->n = 0;
	put8(m, 0x01);
	l0 = m->n;
	put24(m, 0);
	put16(m, o->dtls ? 0xfefd : 0x0303);
	for (i = 0; i < 32; i++)
		put8(m, i * 7);
	put8(m, 32);
	for (i = 0; i < 32; i++)
		put8(m, 0xee);
	if (o->dtls)
		put8(m, 0);	/* no cookie */
	put16(m, 2 * (sizeof(spec_ciphers) / sizeof(spec_ciphers[0]) + (o->grease ? 1 : 0)));
	if (o->grease)
		put16(m, 0x0a0a);
	for (i = 0; i < sizeof(spec_ciphers) / sizeof(spec_ciphers[0]); i++)
		put16(m, spec_ciphers[i]);
	put8(m, 1);
	put8(m, 0);
	put16(m, e.n);
	putn(m, e.b, e.n);
	m->b[l0] = (uint8_t)((m->n - 4) >> 16);
	m->b[l0 + 1] = (uint8_t)((m->n - 4) >> 8);
	m->b[l0 + 2] = (uint8_t)(m->n - 4);
}

/* The TLS stream: the message in records of at most rec bytes. */
static void
tls_stream(struct buf *s, const struct buf *m, uint32_t rec)
{
	uint32_t off, k;

	s->n = 0;
	for (off = 0; off < m->n; off += k) {
		k = m->n - off < rec ? m->n - off : rec;
		put8(s, 0x16);
		put16(s, 0x0301);
		put16(s, k);
		putn(s, m->b + off, k);
	}
}

/* ---- packets ---- */

struct tpkt {
	uint8_t b[60 + 2000];
	struct sp_plugin_packet p;
};

#define ISN 0xfffffff0u	/* the client's: the stream's bytes wrap the sequence space */

/*
 * A TCP packet: dir 0 client -> server. seq is relative to the client's
 * ISN + 1 for the client, to 0 for the server.
 */
static void
tcp_pkt(struct tpkt *t, int v6, uint8_t dir, uint8_t flags, uint32_t seq, const uint8_t *pl,
	uint32_t n)
{
	uint32_t ih = v6 ? 40 : 20, tot = ih + 20 + n;
	uint8_t *ip = t->b, *tcp = t->b + ih;

	memset(t->b, 0, ih + 20);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((20 + n) >> 8);
		ip[5] = (uint8_t)(20 + n);
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[23] = dir ? 2 : 1;
		ip[24] = 0x20;
		ip[25] = 0x01;
		ip[39] = dir ? 1 : 2;
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10;
		ip[15] = dir ? 2 : 1;
		ip[16] = 10;
		ip[19] = dir ? 1 : 2;
	}
	tcp[0] = dir ? 0x01 : 0xc3;
	tcp[1] = dir ? 0xbb : 0x50;
	tcp[2] = dir ? 0xc3 : 0x01;
	tcp[3] = dir ? 0x50 : 0xbb;
	seq += dir ? 0x1000u : ISN + 1;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	if (flags & 0x10) {
		uint32_t ack = dir ? ISN + 1 : 0x1001u;

		tcp[8] = (uint8_t)(ack >> 24);
		tcp[9] = (uint8_t)(ack >> 16);
		tcp[10] = (uint8_t)(ack >> 8);
		tcp[11] = (uint8_t)ack;
	}
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	if (n > 0)
		memcpy(t->b + ih + 20, pl, n);
	memset(&t->p, 0, sizeof(t->p));
	t->p.direction = dir;
	t->p.ip_version = v6 ? 6 : 4;
	t->p.protocol = 6;
	t->p.tcp_flags = flags;
	t->p.ip = t->b;
	t->p.ip_len = tot;
	t->p.payload_offset = ih + 20;
	t->p.payload_size = (uint16_t)n;
}

struct run {
	uint8_t slot[20000];
	int verdict;
	unsigned int pkts;
	bool done_at_hello;
	struct sp_plugin_record rec;
};

static void
run_start(struct run *r)
{
	CU_ASSERT_FATAL(cfg.slot_size <= sizeof(r->slot));
	memset(r->slot, 0, cfg.slot_size);
	r->verdict = SP_PLUGIN_CONTINUE;
	r->pkts = 0;
}

static void
run_pkt(struct run *r, const struct sp_plugin_packet *p)
{
	if (r->verdict != SP_PLUGIN_CONTINUE)
		return;
	r->verdict = r->pkts++ == 0 ? PL.on_init(wctx, r->slot, p, NULL) :
		PL.on_update(wctx, r->slot, p, NULL);
	CU_ASSERT(r->verdict == SP_PLUGIN_CONTINUE || r->verdict == SP_PLUGIN_DONE);
}

static void
run_end(struct run *r)
{
	sp_test_rec_reset(&r->rec, cfg.columns, cfg.n_columns);
	PL.on_expire(wctx, r->slot, NULL, &r->rec);
	CU_ASSERT_EQUAL(r->rec.cut, 0);
	CU_ASSERT_EQUAL(r->rec.ignored, 0);
}

/* The handshake, then the stream's bytes [cuts[i], cuts[i+1]) sent in order[]. */
static void
send_stream(struct run *r, int v6, const struct buf *s, const uint32_t *cuts, unsigned int nseg,
	    const unsigned int *order)
{
	static struct tpkt t;
	unsigned int i, k;

	run_start(r);
	tcp_pkt(&t, v6, 0, 0x02, (uint32_t)-1, NULL, 0);
	run_pkt(r, &t.p);
	tcp_pkt(&t, v6, 1, 0x12, (uint32_t)-1, NULL, 0);
	run_pkt(r, &t.p);
	tcp_pkt(&t, v6, 0, 0x10, 0, NULL, 0);
	run_pkt(r, &t.p);
	for (i = 0; i < nseg; i++) {
		k = order != NULL ? order[i] : i;
		tcp_pkt(&t, v6, 0, 0x18, cuts[k], s->b + cuts[k], cuts[k + 1] - cuts[k]);
		run_pkt(r, &t.p);
	}
	/* the server's answer and the rest of the flow: not looked at once done */
	tcp_pkt(&t, v6, 1, 0x18, 0, (const uint8_t *)"\x16\x03\x03\x00\x00", 5);
	run_pkt(r, &t.p);
}

static bool
is(const struct sp_test_rec_value *v, const char *want)
{
	if (want == NULL)
		return !v->set;
	return v->set && v->len == strlen(want) && memcmp(v->text, want, v->len) == 0;
}

static void
expect_spec(const struct run *r)
{
	CU_ASSERT(is(&r->rec.v[0], SPEC_JA4));
	CU_ASSERT(is(&r->rec.v[1], SPEC_JA4_R));
	CU_ASSERT(is(&r->rec.v[2], SPEC_JA4_O));
	CU_ASSERT(is(&r->rec.v[3], SPEC_JA4_RO));
	if (!is(&r->rec.v[0], SPEC_JA4) || !is(&r->rec.v[3], SPEC_JA4_RO))
		printf("\n  got %s | %s\n", r->rec.v[0].text, r->rec.v[3].text);
}

static void
expect_none(const struct run *r)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		CU_ASSERT(!r->rec.v[i].set);
}

static uint64_t stat_of(void *w, const char *name);

/* ---- tests ---- */

static void
test_config(void)
{
	struct sp_plugin_config c;
	struct sp_plugin_option o;
	char err[256];

	CU_ASSERT_STRING_EQUAL(PL.name, "tls-fingerprint");
	CU_ASSERT_EQUAL(cfg.n_columns, 4);
	CU_ASSERT_STRING_EQUAL(cfg.columns[0].name, "udps.tls_ja4");
	CU_ASSERT_STRING_EQUAL(cfg.columns[1].name, "udps.tls_ja4_r");
	CU_ASSERT_STRING_EQUAL(cfg.columns[2].name, "udps.tls_ja4_o");
	CU_ASSERT_STRING_EQUAL(cfg.columns[3].name, "udps.tls_ja4_ro");
	/* the slot is the reassembly buffer (max=4096 by default) and a few bytes */
	CU_ASSERT(cfg.slot_size >= 4096 && cfg.slot_size <= 4096 + 128);
	o.key = "max";
	o.value = "1024";
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), 0);
	CU_ASSERT(c.slot_size >= 1024 && c.slot_size <= 1024 + 128);
	PL.deconfigure(c.conf);
	o.value = "100";
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "max='100'") != NULL);
	o.value = "4k";
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	o.key = "packets";
	o.value = "0";
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "packets='0'") != NULL);
	o.key = "bogus";
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "unknown option 'bogus'") != NULL);
	o.key = "raw";
	o.value = "65536";
	CU_ASSERT_EQUAL(PL.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "raw='65536'") != NULL);
}

/* One segment, IPv4 and IPv6, with and without GREASE: the specification's values. */
static void
test_spec_example(void)
{
	static struct buf m, s;
	static struct run r;
	struct hello_opt o = { .grease = false };
	uint32_t cuts[2];
	int v6, g;

	for (v6 = 0; v6 < 2; v6++)
		for (g = 0; g < 2; g++) {
			o.grease = g;
			hello_msg(&m, &o);
			tls_stream(&s, &m, 16384);
			cuts[0] = 0;
			cuts[1] = s.n;
			send_stream(&r, v6, &s, cuts, 1, NULL);
			/* done right at the hello: the server's packet is not looked at */
			CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
			CU_ASSERT_EQUAL(r.pkts, 4);
			run_end(&r);
			expect_spec(&r);
		}
}

/* 2 to 5 segments at many cut points, in order and in every order; several records. */
static void
test_reassembly(void)
{
	static struct buf m, s;
	static struct run r;
	struct hello_opt o = { .grease = true };
	uint32_t cuts[6];
	unsigned int order[5], nseg, i, j, perm, runs = 0, rec;
	int v6;

	hello_msg(&m, &o);
	for (rec = 0; rec < 3; rec++) {
		/* one record; two records; many small records cutting the handshake header */
		tls_stream(&s, &m, rec == 0 ? 16384 : rec == 1 ? 100 : 3);
		for (nseg = 2; nseg <= 5; nseg++) {
			for (i = 1; i < 40; i += 3) {
				cuts[0] = 0;
				for (j = 1; j < nseg; j++)
					cuts[j] = (s.n * j) / nseg + (i % 7) * j - 9;
				cuts[nseg] = s.n;
				for (v6 = 0; v6 < 2; v6++) {
					/* every order of up to 4 segments, 10 of 5 */
					unsigned int nperm = nseg == 2 ? 2 : nseg == 3 ? 6 :
						nseg == 4 ? 24 : 10;

					for (perm = 0; perm < nperm; perm++) {
						unsigned int p = perm, used = 0, k;

						for (j = 0; j < nseg; j++) {
							unsigned int pick = p % (nseg - j), c = 0;

							p /= nseg - j;
							for (k = 0; k < nseg; k++) {
								if (used & (1u << k))
									continue;
								if (c++ == pick)
									break;
							}
							used |= 1u << k;
							order[j] = k;
						}
						send_stream(&r, v6, &s, cuts, nseg, order);
						CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
						run_end(&r);
						expect_spec(&r);
						runs++;
					}
				}
			}
		}
	}
	CU_ASSERT(runs > 1000);
}

/* Retransmissions, overlaps and a segment starting before the stream. */
static void
test_retransmit(void)
{
	static struct buf m, s;
	static struct run r;
	static struct tpkt t;
	struct hello_opt o = { .grease = true };
	uint8_t junk[1024];
	uint32_t a, b;

	hello_msg(&m, &o);
	tls_stream(&s, &m, 16384);
	a = s.n / 3;
	b = 2 * s.n / 3;
	run_start(&r);
	tcp_pkt(&t, 0, 0, 0x02, (uint32_t)-1, NULL, 0);
	run_pkt(&r, &t.p);
	/* the middle first, then again, then an overlap of the first and middle parts */
	tcp_pkt(&t, 0, 0, 0x18, a, s.b + a, b - a);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, a, s.b + a, b - a);
	run_pkt(&r, &t.p);
	/* a copy of the middle with other bytes: the first copy of a byte wins */
	memset(junk, 0x5a, sizeof(junk));
	tcp_pkt(&t, 0, 0, 0x18, a + 3, junk, b - a - 6);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, 0, s.b, a + 10);
	run_pkt(&r, &t.p);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_CONTINUE);
	/* the rest, starting 20 bytes early */
	tcp_pkt(&t, 0, 0, 0x18, b - 20, s.b + b - 20, s.n - b + 20);
	run_pkt(&r, &t.p);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
	run_end(&r);
	expect_spec(&r);

	/* a segment with sequence numbers before the stream (a keep-alive byte, a SYN's) */
	run_start(&r);
	tcp_pkt(&t, 0, 0, 0x02, (uint32_t)-1, NULL, 0);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x10, (uint32_t)-1, (const uint8_t *)"x", 1);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, 0, s.b, s.n);
	run_pkt(&r, &t.p);
	run_end(&r);
	expect_spec(&r);

	/* no handshake seen: the first data segment starts the stream */
	run_start(&r);
	tcp_pkt(&t, 1, 0, 0x18, 0, s.b, a);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 1, 0, 0x18, a, s.b + a, s.n - a);
	run_pkt(&r, &t.p);
	run_end(&r);
	expect_spec(&r);

	/* TCP Fast Open: the hello's first part in the SYN */
	run_start(&r);
	tcp_pkt(&t, 0, 0, 0x02, (uint32_t)-1, s.b, a);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 1, 0x12, (uint32_t)-1, NULL, 0);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, a, s.b + a, s.n - a);
	run_pkt(&r, &t.p);
	run_end(&r);
	expect_spec(&r);

	/* the capture missed the SYN: the SYN-ACK tells the client and its first byte */
	run_start(&r);
	tcp_pkt(&t, 0, 1, 0x12, (uint32_t)-1, NULL, 0);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, a, s.b + a, s.n - a);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 0, 0x18, 0, s.b, a);
	run_pkt(&r, &t.p);
	run_end(&r);
	expect_spec(&r);
}

/*
 * An SSL 2.0 format client hello offering TLS 1.0 (as old Skype sent): what
 * FoxIO's tools print for it (no TLS list in it), whole and in 2 segments.
 */
static void
test_ssl2(void)
{
	static struct buf h;
	static struct run r;
	uint32_t cuts[3], i;

	h.n = 0;
	put16(&h, 0x8000 | (9 + 45 + 16));
	put8(&h, 0x01);
	put16(&h, 0x0301);
	put16(&h, 45);
	put16(&h, 0);
	put16(&h, 16);
	for (i = 0; i < 15; i++)
		put24(&h, i < 9 ? spec_ciphers[i] : 0x010080 + i);
	for (i = 0; i < 16; i++)
		put8(&h, i);
	cuts[0] = 0;
	cuts[1] = 3;
	cuts[2] = h.n;
	for (i = 1; i <= 2; i++) {
		send_stream(&r, 0, &h, i == 1 ? (uint32_t[]){ 0, h.n } : cuts, i, NULL);
		CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
		run_end(&r);
		CU_ASSERT(is(&r.rec.v[0], "t10i000000_000000000000_000000000000"));
		CU_ASSERT(is(&r.rec.v[1], "t10i000000__"));
		CU_ASSERT(is(&r.rec.v[2], "t10i000000_000000000000_000000000000"));
		CU_ASSERT(is(&r.rec.v[3], "t10i000000__"));
	}
	/* an SSL 2.0 record of another message type: not a hello */
	h.b[2] = 0x02;
	send_stream(&r, 0, &h, cuts, 2, NULL);
	run_end(&r);
	expect_none(&r);
}

/* The ALPN part on the specification's examples. */
static void
test_alpn(void)
{
	static const struct {
		const char *v;
		int len;
		const char *want;
	} c[] = {
		{ "h2", 2, "h2" }, { "http/1.1", 8, "h1" }, { "h", 1, "hh" },
		{ "\xab", 1, "ab" }, { "\x20", 1, "20" }, { "\xab\xcd", 2, "ad" },
		{ "\x20\x61", 2, "21" }, { "\x30\xab", 2, "3b" }, { "\x61\x20", 2, "60" },
		{ "\x30\x31\xab\xcd", 4, "3d" }, { "\x30\xab\xcd\x31", 4, "01" },
		{ "", 0, "00" }, { NULL, -1, "00" },
	};
	static struct buf m, s;
	static struct run r;
	struct hello_opt o = { .grease = true };
	uint32_t cuts[2];
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		o.alpn = (const uint8_t *)(c[i].v != NULL ? c[i].v : "");
		o.alpn_len = c[i].len;
		hello_msg(&m, &o);
		tls_stream(&s, &m, 16384);
		cuts[0] = 0;
		cuts[1] = s.n;
		send_stream(&r, 0, &s, cuts, 1, NULL);
		run_end(&r);
		CU_ASSERT_FATAL(r.rec.v[0].set);
		CU_ASSERT(memcmp(r.rec.v[0].text + 8, c[i].want, 2) == 0);
		if (memcmp(r.rec.v[0].text + 8, c[i].want, 2) != 0)
			printf("\n  ALPN case %u: %s\n", i, r.rec.v[0].text);
		/* the rest is the specification's */
		CU_ASSERT(memcmp(r.rec.v[0].text + 10, SPEC_JA4 + 10, strlen(SPEC_JA4) - 10) == 0);
	}
}

/* Cut at every length, absurd lengths, random bytes: None or a value, never a crash. */
static void
test_hostile(void)
{
	static struct buf m, s, h;
	static struct run r;
	static struct tpkt t;
	struct hello_opt o = { .grease = true };
	uint32_t cut, i, cuts[2], k, values = 0;

	hello_msg(&m, &o);
	tls_stream(&s, &m, 16384);
	/* the stream cut short, then the client closes: nothing is complete */
	for (cut = 0; cut < s.n; cut++) {
		run_start(&r);
		tcp_pkt(&t, 0, 0, 0x02, (uint32_t)-1, NULL, 0);
		run_pkt(&r, &t.p);
		if (cut > 0) {
			tcp_pkt(&t, 0, 0, 0x18, 0, s.b, cut);
			run_pkt(&r, &t.p);
		}
		tcp_pkt(&t, 0, 0, 0x11, cut, NULL, 0);
		run_pkt(&r, &t.p);
		run_end(&r);
		expect_none(&r);
	}
	/* a handshake message cut inside a whole record: a malformed hello, None */
	for (cut = 40; cut < m.n; cut += 7) {
		h.n = 0;
		putn(&h, m.b, cut);
		tls_stream(&s, &h, 16384);
		cuts[0] = 0;
		cuts[1] = s.n;
		/* the message length still says the whole: records up to it never come */
		send_stream(&r, 0, &s, cuts, 1, NULL);
		run_end(&r);
		expect_none(&r);
		/* the message length made to agree: the body is cut inside a field */
		h.b[1] = (uint8_t)((cut - 4) >> 16);
		h.b[2] = (uint8_t)((cut - 4) >> 8);
		h.b[3] = (uint8_t)(cut - 4);
		tls_stream(&s, &h, 16384);
		cuts[1] = s.n;
		send_stream(&r, 0, &s, cuts, 1, NULL);
		run_end(&r);
		values += r.rec.v[0].set;
	}
	/* random bytes in the hello (a fixed seed): any outcome but a crash */
	srand(14);
	for (i = 0; i < 20000; i++) {
		h = m;
		for (k = 0; k < 1 + (uint32_t)rand() % 4; k++)
			h.b[4 + (uint32_t)rand() % (h.n - 4)] = (uint8_t)rand();
		tls_stream(&s, &h, i % 2 ? 16384 : 50);
		cuts[0] = 0;
		cuts[1] = s.n;
		send_stream(&r, i % 3 == 0, &s, cuts, 1, NULL);
		run_end(&r);
		values += r.rec.v[0].set;
	}
	CU_ASSERT(values > 0);
	/* random streams after a handshake byte */
	for (i = 0; i < 5000; i++) {
		h.n = 1 + (uint32_t)rand() % 600;
		for (k = 0; k < h.n; k++)
			h.b[k] = (uint8_t)rand();
		h.b[0] = 0x16;
		cuts[0] = 0;
		cuts[1] = h.n;
		send_stream(&r, 0, &h, cuts, 1, NULL);
		run_end(&r);
	}
}

/* Longer than max, not TLS, the server first, QUIC: None, and done early. */
static void
test_none(void)
{
	static struct buf m, s;
	static struct run r;
	static struct tpkt t;
	struct sp_plugin_config c;
	struct sp_plugin_option opt = { .key = "max", .value = "512" };
	struct hello_opt o = { .grease = true, .pad = 600 };
	char err[256];
	void *w2;
	uint32_t cuts[2];
	uint8_t slot[1024];

	hello_msg(&m, &o);
	tls_stream(&s, &m, 16384);
	CU_ASSERT_FATAL(s.n > 512);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_FATAL(PL.configure(&opt, 1, &c, err, sizeof(err)) == 0);
	w2 = PL.worker_init(c.conf, 0, 0, 16);
	CU_ASSERT_FATAL(w2 != NULL && c.slot_size <= sizeof(slot));
	memset(slot, 0, c.slot_size);
	tcp_pkt(&t, 0, 0, 0x18, 0, s.b, 300);
	CU_ASSERT_EQUAL(PL.on_init(w2, slot, &t.p, NULL), SP_PLUGIN_DONE);
	sp_test_rec_reset(&r.rec, c.columns, c.n_columns);
	PL.on_expire(w2, slot, NULL, &r.rec);
	expect_none(&r);
	{
		struct sp_plugin_stat st[16];
		unsigned int n = PL.stats(w2, st, 16), i;
		uint64_t too_large = 0;

		for (i = 0; i < n; i++)
			if (strcmp(st[i].name, "hellos_too_large") == 0)
				too_large = st[i].value;
		CU_ASSERT_EQUAL(too_large, 1);
	}
	PL.worker_fini(w2);
	PL.deconfigure(c.conf);

	/* raw=64: the raw forms do not fit their column and are None (counted), not cut */
	opt.key = "raw";
	opt.value = "64";
	memset(&c, 0, sizeof(c));
	CU_ASSERT_FATAL(PL.configure(&opt, 1, &c, err, sizeof(err)) == 0);
	CU_ASSERT_EQUAL(c.columns[1].max, 64);
	CU_ASSERT_EQUAL(c.columns[3].max, 64);
	CU_ASSERT_EQUAL(c.columns[0].max, cfg.columns[0].max);
	w2 = PL.worker_init(c.conf, 0, 0, 16);
	CU_ASSERT_FATAL(w2 != NULL && c.slot_size <= sizeof(r.slot));
	o.pad = 0;
	hello_msg(&m, &o);
	tls_stream(&s, &m, 16384);
	memset(r.slot, 0, c.slot_size);
	tcp_pkt(&t, 0, 0, 0x18, 0, s.b, s.n);
	CU_ASSERT_EQUAL(PL.on_init(w2, r.slot, &t.p, NULL), SP_PLUGIN_DONE);
	sp_test_rec_reset(&r.rec, c.columns, c.n_columns);
	PL.on_expire(w2, r.slot, NULL, &r.rec);
	CU_ASSERT(is(&r.rec.v[0], SPEC_JA4));
	CU_ASSERT(is(&r.rec.v[2], SPEC_JA4_O));
	CU_ASSERT(!r.rec.v[1].set && !r.rec.v[3].set);
	CU_ASSERT_EQUAL(r.rec.cut, 0);
	CU_ASSERT_EQUAL(stat_of(w2, "raw_too_long"), 2);
	PL.worker_fini(w2);
	PL.deconfigure(c.conf);

	/* plain HTTP: done at its first bytes */
	cuts[0] = 0;
	cuts[1] = 18;
	memcpy(m.b, "GET / HTTP/1.1\r\n\r\n", 18);
	send_stream(&r, 0, &m, cuts, 1, NULL);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
	CU_ASSERT_EQUAL(r.pkts, 4);
	run_end(&r);
	expect_none(&r);

	/* the server speaks first (SMTP, and STARTTLS is not followed) */
	run_start(&r);
	tcp_pkt(&t, 0, 0, 0x02, (uint32_t)-1, NULL, 0);
	run_pkt(&r, &t.p);
	tcp_pkt(&t, 0, 1, 0x18, 0, (const uint8_t *)"220 mx\r\n", 8);
	run_pkt(&r, &t.p);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
	run_end(&r);
	expect_none(&r);

	/* QUIC from a 1-RTT packet (the flow's start missed): not fingerprinted */
	{
		uint8_t *ip = t.b;

		memset(t.b, 0, 28 + 1200);
		ip[0] = 0x45;
		ip[2] = (uint8_t)((28 + 1200) >> 8);
		ip[3] = (uint8_t)(28 + 1200);
		ip[9] = 17;
		ip[23] = 0xbb;
		ip[22] = 0x01;
		ip[24] = (uint8_t)((8 + 1200) >> 8);
		ip[25] = (uint8_t)(8 + 1200);
		ip[28] = 0x43;	/* short header */
		memset(&t.p, 0, sizeof(t.p));
		t.p.ip_version = 4;
		t.p.protocol = 17;
		t.p.ip = t.b;
		t.p.ip_len = 28 + 1200;
		t.p.payload_offset = 28;
		run_start(&r);
		run_pkt(&r, &t.p);
		CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
		run_end(&r);
		expect_none(&r);
	}
}

/* DTLS: the hello in one datagram gives 'd'. */
static void
test_dtls(void)
{
	static struct buf m, d;
	static struct run r;
	static struct tpkt t;
	struct hello_opt o = { .grease = true, .dtls = true };
	uint8_t *ip = t.b;
	uint32_t ml;
	char want[512];

	hello_msg(&m, &o);
	/* DTLS handshake header: type, length, message_seq, fragment offset, fragment length */
	ml = m.n - 4;
	d.n = 0;
	put8(&d, 0x16);
	put16(&d, 0xfefd);
	put16(&d, 0);
	put24(&d, 0);
	put24(&d, 0);
	put16(&d, 12 + ml);
	put8(&d, 0x01);
	put24(&d, ml);
	put16(&d, 0);
	put24(&d, 0);
	put24(&d, ml);
	putn(&d, m.b + 4, ml);
	memset(t.b, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + d.n) >> 8);
	ip[3] = (uint8_t)(28 + d.n);
	ip[9] = 17;
	ip[22] = 0x11;
	ip[23] = 0x5c;
	ip[24] = (uint8_t)((8 + d.n) >> 8);
	ip[25] = (uint8_t)(8 + d.n);
	memcpy(t.b + 28, d.b, d.n);
	memset(&t.p, 0, sizeof(t.p));
	t.p.ip_version = 4;
	t.p.protocol = 17;
	t.p.ip = t.b;
	t.p.ip_len = 28 + d.n;
	t.p.payload_offset = 28;
	run_start(&r);
	run_pkt(&r, &t.p);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
	run_end(&r);
	/*
	 * the specification's lists; supported_versions holds 0xfefd (DTLS 1.2)
	 * and 0xfeff (DTLS 1.0): the highest value is 0xfeff, d1, as FoxIO's code
	 */
	CU_ASSERT(is(&r.rec.v[0], "dd1d1516h2_8daaf6152771_e5627efa2ab1"));
	snprintf(want, sizeof(want), "dd1%s", SPEC_JA4_RO + 3);
	CU_ASSERT(is(&r.rec.v[3], want));
	/* a fragment of a hello: not reassembled, None */
	t.b[28 + 13 + 8] = 1;	/* fragment offset 1 */
	run_start(&r);
	run_pkt(&r, &t.p);
	run_end(&r);
	expect_none(&r);
}

/* ---- QUIC ---- */

/* RFC 9001 A.1 and RFC 9369 A.1: the client's Initial keys for DCID 0x8394c8f03e515708. */
static const uint8_t rfc_dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
struct qkeys {
	uint32_t version;
	const char *key, *iv, *hp;
};
static const struct qkeys rfc_v1 = { 0x00000001, "1f369613dd76d5467730efcbe3b1a22d",
	"fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2" };
static const struct qkeys rfc_v2 = { 0x6b3343cf, "8b1a0bc121284290a29e0971b5cd045d",
	"91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9" };

static void
unhex(const char *h, uint8_t *out)
{
	unsigned int i, v;

	for (i = 0; h[2 * i] != '\0'; i++) {
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* A CRYPTO frame of the message's bytes [off, off + n). */
static void
crypto_frame(struct buf *f, const struct buf *m, uint32_t off, uint32_t n)
{
	put8(f, 0x06);
	put16(f, 0x4000 | off);
	put16(f, 0x4000 | n);
	putn(f, m->b + off, n);
}

/*
 * A client Initial datagram of 1200 bytes (RFC 9000 14.1) holding the
 * frames, protected with the keys (RFC 9001 5.3, 5.4). dir 1: the server's.
 */
static void
quic_dgram(struct tpkt *t, int v6, uint8_t dir, const struct qkeys *k, uint32_t pn,
	   const struct buf *frames)
{
	uint8_t key[16], iv[12], hp[16], mask[16], *d;
	uint32_t ih = v6 ? 40 : 20, pos = 0, pn_off, plen, i, n = 1200;
	gcry_cipher_hd_t c;

	unhex(k->key, key);
	unhex(k->iv, iv);
	unhex(k->hp, hp);
	memset(t->b, 0, sizeof(t->b));
	d = t->b + ih + 8;
	/* long header, Initial (v2: type 1), a 2-byte packet number */
	d[pos++] = (uint8_t)(0xc0 | ((k->version == 0x6b3343cf ? 1 : 0) << 4) | 1);
	d[pos++] = (uint8_t)(k->version >> 24);
	d[pos++] = (uint8_t)(k->version >> 16);
	d[pos++] = (uint8_t)(k->version >> 8);
	d[pos++] = (uint8_t)k->version;
	d[pos++] = 8;
	memcpy(d + pos, rfc_dcid, 8);
	pos += 8;
	d[pos++] = 0;		/* SCID */
	d[pos++] = 0;		/* token */
	plen = n - pos - 2 - 2 - 16;	/* length field, packet number, tag */
	d[pos++] = (uint8_t)(0x40 | ((plen + 2 + 16) >> 8));
	d[pos++] = (uint8_t)(plen + 2 + 16);
	pn_off = pos;
	d[pos++] = (uint8_t)(pn >> 8);
	d[pos++] = (uint8_t)pn;
	memset(d + pos, 0, plen);	/* PADDING after the frames */
	memcpy(d + pos, frames->b, frames->n);
	for (i = 0; i < 12; i++)
		iv[i] ^= i == 10 ? (uint8_t)(pn >> 8) : i == 11 ? (uint8_t)pn : 0;
	CU_ASSERT_FATAL(gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0) == 0);
	gcry_cipher_setkey(c, key, 16);
	gcry_cipher_setiv(c, iv, 12);
	gcry_cipher_authenticate(c, d, pos);
	gcry_cipher_encrypt(c, d + pos, plen, NULL, 0);
	gcry_cipher_gettag(c, d + pos + plen, 16);
	gcry_cipher_close(c);
	CU_ASSERT_FATAL(gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0) == 0);
	gcry_cipher_setkey(c, hp, 16);
	gcry_cipher_encrypt(c, mask, 16, d + pn_off + 4, 16);
	gcry_cipher_close(c);
	d[0] ^= mask[0] & 0x0f;
	d[pn_off] ^= mask[1];
	d[pn_off + 1] ^= mask[2];
	/* IP and UDP */
	if (v6) {
		t->b[0] = 0x60;
		t->b[4] = (uint8_t)((8 + n) >> 8);
		t->b[5] = (uint8_t)(8 + n);
		t->b[6] = 17;
		t->b[8] = 0x20;
		t->b[23] = dir ? 2 : 1;
		t->b[24] = 0x20;
		t->b[39] = dir ? 1 : 2;
	} else {
		t->b[0] = 0x45;
		t->b[2] = (uint8_t)((ih + 8 + n) >> 8);
		t->b[3] = (uint8_t)(ih + 8 + n);
		t->b[9] = 17;
		t->b[15] = dir ? 2 : 1;
		t->b[19] = dir ? 1 : 2;
	}
	t->b[ih + 0] = dir ? 0x01 : 0xc3;
	t->b[ih + 1] = dir ? 0xbb : 0x50;
	t->b[ih + 2] = dir ? 0xc3 : 0x01;
	t->b[ih + 3] = dir ? 0x50 : 0xbb;
	t->b[ih + 4] = (uint8_t)((8 + n) >> 8);
	t->b[ih + 5] = (uint8_t)(8 + n);
	memset(&t->p, 0, sizeof(t->p));
	t->p.direction = dir;
	t->p.ip_version = v6 ? 6 : 4;
	t->p.protocol = 17;
	t->p.ip = t->b;
	t->p.ip_len = ih + 8 + n;
	t->p.payload_offset = ih + 8;
}

static uint64_t
stat_of(void *w, const char *name)
{
	struct sp_plugin_stat st[32];
	unsigned int n = PL.stats(w, st, 32), i;

	for (i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].value;
	return UINT64_MAX;
}

static void
expect_q(const struct run *r)
{
	char want[4][1024];
	const char *spec[4] = { SPEC_JA4, SPEC_JA4_R, SPEC_JA4_O, SPEC_JA4_RO };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		snprintf(want[i], sizeof(want[i]), "q%s", spec[i] + 1);
		CU_ASSERT(is(&r->rec.v[i], want[i]));
	}
	if (!is(&r->rec.v[0], want[0]))
		printf("\n  got '%s'\n", r->rec.v[0].set ? r->rec.v[0].text : "None");
}

/* Versions 1 and 2, one packet; the hello over two packets, out of order, with other frames. */
static void
test_quic(void)
{
	static struct buf m, f;
	static struct run r;
	static struct tpkt t;
	struct hello_opt o = { .grease = true };
	const struct qkeys *ks[2] = { &rfc_v1, &rfc_v2 };
	uint64_t undec;
	uint32_t a, b, c, cut;
	int v6, kv;

	hello_msg(&m, &o);
	CU_ASSERT_FATAL(m.n < 1000);
	for (kv = 0; kv < 2; kv++)
		for (v6 = 0; v6 < 2; v6++) {
			f.n = 0;
			crypto_frame(&f, &m, 0, m.n);
			quic_dgram(&t, v6, 0, ks[kv], 0, &f);
			run_start(&r);
			run_pkt(&r, &t.p);
			CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
			run_end(&r);
			expect_q(&r);
		}
	/*
	 * Chrome's way: CRYPTO frames out of order among PING and PADDING, the
	 * hello over two packets; a packet that does not decrypt, and the
	 * server's packets, between them.
	 */
	a = m.n / 4;
	b = m.n / 2;
	c = 3 * m.n / 4;
	for (kv = 0; kv < 2; kv++) {
		undec = stat_of(wctx, "quic_undecryptable");
		run_start(&r);
		f.n = 0;
		put8(&f, 0x01);				/* PING */
		crypto_frame(&f, &m, c, m.n - c);
		put8(&f, 0x00);				/* PADDING */
		put8(&f, 0x00);
		crypto_frame(&f, &m, a, b - a);
		quic_dgram(&t, 1, 0, ks[kv], 0, &f);
		run_pkt(&r, &t.p);
		CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_CONTINUE);
		/* the server's Initial (other keys in truth; not read) */
		quic_dgram(&t, 1, 1, ks[kv], 0, &f);
		run_pkt(&r, &t.p);
		/* a packet whose tag is wrong: skipped, counted */
		f.n = 0;
		crypto_frame(&f, &m, 0, m.n);
		quic_dgram(&t, 1, 0, ks[kv], 1, &f);
		t.b[t.p.ip_len - 1] ^= 1;
		run_pkt(&r, &t.p);
		CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_CONTINUE);
		CU_ASSERT_EQUAL(stat_of(wctx, "quic_undecryptable"), undec + 1);
		/* the rest, after an ACK frame (largest 0, delay 0, 1 range, first range 0) */
		f.n = 0;
		putn(&f, "\x02\x00\x00\x01\x00\x00\x00", 7);
		crypto_frame(&f, &m, b, c - b);
		crypto_frame(&f, &m, 0, a);
		put8(&f, 0x01);
		quic_dgram(&t, 1, 0, ks[kv], 2, &f);
		run_pkt(&r, &t.p);
		CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
		run_end(&r);
		expect_q(&r);
	}
	/* the Initial cut at every length: None, no crash */
	f.n = 0;
	crypto_frame(&f, &m, 0, m.n);
	for (cut = 0; cut < 1200; cut += 3) {
		quic_dgram(&t, 0, 0, &rfc_v1, 0, &f);
		t.p.ip_len = 28 + cut;
		t.b[2] = (uint8_t)((28 + cut) >> 8);
		t.b[3] = (uint8_t)(28 + cut);
		run_start(&r);
		run_pkt(&r, &t.p);
		run_end(&r);
		expect_none(&r);
	}
	/* decrypted frames of random bytes, or CRYPTO frames of random offsets and lengths */
	srand(9001);
	for (cut = 0; cut < 4000; cut++) {
		uint32_t k, len = 1 + (uint32_t)rand() % 1100;

		f.n = 0;
		if (cut % 2) {
			put8(&f, 0x06);
			put16(&f, 0x4000 | ((uint32_t)rand() % 0x3fff));
			put16(&f, 0x4000 | ((uint32_t)rand() % 0x3fff));
		}
		for (k = 0; k < len && f.n < 1100; k++)
			put8(&f, (uint32_t)rand());
		quic_dgram(&t, cut % 3 == 0, 0, cut % 5 ? &rfc_v1 : &rfc_v2, cut, &f);
		run_start(&r);
		run_pkt(&r, &t.p);
		run_end(&r);
	}
	/* a version this plugin does not know: not fingerprinted */
	quic_dgram(&t, 0, 0, &rfc_v1, 0, &f);
	t.b[28 + 4] = 0x7f;
	run_start(&r);
	run_pkt(&r, &t.p);
	CU_ASSERT_EQUAL(r.verdict, SP_PLUGIN_DONE);
	run_end(&r);
	expect_none(&r);
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("tls_fingerprint", suite_init, suite_clean);

	if (s == NULL ||
	    CU_add_test(s, "interface: columns, options", test_config) == NULL ||
	    CU_add_test(s, "the specification's example, IPv4 and IPv6, GREASE",
			test_spec_example) == NULL ||
	    CU_add_test(s, "hello over 2-5 segments, any order, several records",
			test_reassembly) == NULL ||
	    CU_add_test(s, "retransmitted and overlapping segments", test_retransmit) == NULL ||
	    CU_add_test(s, "ALPN characters and the hex rule", test_alpn) == NULL ||
	    CU_add_test(s, "SSL 2.0 format hello", test_ssl2) == NULL ||
	    CU_add_test(s, "cut, corrupted and random hellos: no crash", test_hostile) == NULL ||
	    CU_add_test(s, "too large, not TLS, server first, QUIC 1-RTT: None",
			test_none) == NULL ||
	    CU_add_test(s, "DTLS", test_dtls) == NULL ||
	    CU_add_test(s, "QUIC Initial packets (RFC 9001, RFC 9369 keys)", test_quic) == NULL)
		return -1;
	return 0;
}
