/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX exporter: the bytes it writes, read back by a small decoder written
 * here from RFC 7011 / RFC 6313 (it shares nothing with the encoder), for a
 * record whose every field is spelled out below; templates for IPv4 and
 * IPv6; variable-length strings (1- and 3-byte lengths, UTF-8 cleaning);
 * SPLT basicLists; UDP messages within the MTU, template refresh by count
 * and by time; the TCP queue bound with its dropped count, reconnection;
 * file rotation, also through the transport ops alone; a failed file
 * write; the element mapping rules; bad URIs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <rte_errno.h>

#include "sp_test.h"
#include "sp_test_eal.h"
#include <sp_export.h>
#include "ipfix_private.h"

#define PEN SP_IPFIX_PEN_DEFAULT
#define REV 29305u
#define E 0x8000u

/* ------------------------------------------------------------------------ */
/* An IPFIX decoder, independent of the encoder.                            */

#define D_FIELDS 128
#define D_TMPL 8

struct dfield {
	uint16_t id;	/* without the enterprise bit */
	uint16_t len;
	uint32_t pen;
};

struct dtmpl {
	uint16_t tid;
	unsigned int n;
	struct dfield f[D_FIELDS];
};

struct dval {
	const uint8_t *p;
	uint16_t len;
};

struct drec {
	uint16_t tid;
	unsigned int n;
	uint32_t msg;		/* index of its message */
	struct dval v[D_FIELDS];
	const struct dtmpl *t;
};

struct dmsg {
	uint16_t len;
	uint32_t time;
	uint32_t seq;
	uint32_t domain;
	unsigned int n_tmpl;	/* template records in it */
	unsigned int n_data;	/* data records in it */
};

struct decoded {
	struct dtmpl t[D_TMPL];
	unsigned int nt;
	struct drec *r;
	unsigned int nr;
	struct dmsg m[4096];
	unsigned int nm;
	unsigned int errors;
	unsigned int seq_errors;	/* a message whose seq is not the records before it */
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static struct dtmpl *
d_find(struct decoded *d, uint16_t tid)
{
	unsigned int i;

	for (i = 0; i < d->nt; i++)
		if (d->t[i].tid == tid)
			return &d->t[i];
	return NULL;
}

/* Decode concatenated messages; every inconsistency counts in d->errors. */
static void
decode(const uint8_t *buf, size_t len, struct decoded *d, bool check_seq)
{
	size_t off = 0;
	uint32_t expect = 0;
	bool first = true;

	memset(d, 0, sizeof(*d));
	d->r = calloc(100000, sizeof(*d->r));
	while (off < len) {
		const uint8_t *m = buf + off;
		struct dmsg *dm = &d->m[d->nm];
		size_t mlen, so;

		if (len - off < 16 || be16(m) != 10 || be16(m + 2) < 16 ||
		    be16(m + 2) > len - off || d->nm == RTE_DIM(d->m)) {
			d->errors++;
			return;
		}
		mlen = be16(m + 2);
		dm->len = (uint16_t)mlen;
		dm->time = be32(m + 4);
		dm->seq = be32(m + 8);
		dm->domain = be32(m + 12);
		if (check_seq && !first && dm->seq != expect)
			d->seq_errors++;
		first = false;
		expect = dm->seq;
		for (so = 16; so < mlen;) {
			const uint8_t *s = m + so;
			uint16_t sid, slen;
			size_t p;

			if (mlen - so < 4 || be16(s + 2) < 4 || be16(s + 2) > mlen - so) {
				d->errors++;
				return;
			}
			sid = be16(s);
			slen = be16(s + 2);
			p = 4;
			if (sid == 2) {
				while (p + 4 <= slen) {
					struct dtmpl *t = &d->t[d->nt];
					uint16_t tid = be16(s + p), n = be16(s + p + 2), i;
					struct dtmpl *old = d_find(d, tid);

					if (old != NULL)
						t = old;
					else if (d->nt < D_TMPL)
						d->nt++;
					else {
						d->errors++;
						return;
					}
					t->tid = tid;
					t->n = n;
					p += 4;
					for (i = 0; i < n; i++) {
						uint16_t id = be16(s + p);

						t->f[i].id = id & 0x7fff;
						t->f[i].len = be16(s + p + 2);
						t->f[i].pen = 0;
						p += 4;
						if (id & 0x8000) {
							t->f[i].pen = be32(s + p);
							p += 4;
						}
					}
					dm->n_tmpl++;
				}
				if (p != slen)
					d->errors++;
			} else if (sid >= 256) {
				const struct dtmpl *t = d_find(d, sid);

				if (t == NULL) {
					d->errors++;
					return;
				}
				while (p < slen) {
					struct drec *r = &d->r[d->nr++];
					unsigned int i;

					r->tid = sid;
					r->t = t;
					r->n = t->n;
					r->msg = d->nm;
					for (i = 0; i < t->n; i++) {
						uint16_t l = t->f[i].len;

						if (l == 65535) {
							l = s[p++];
							if (l == 255) {
								l = be16(s + p);
								p += 2;
							}
						}
						r->v[i].p = s + p;
						r->v[i].len = l;
						p += l;
					}
					if (p > slen)
						d->errors++;
					dm->n_data++;
					expect++;
				}
			} else {
				d->errors++;
			}
			so += slen;
		}
		d->nm++;
		off += mlen;
	}
}

static void
d_free(struct decoded *d)
{
	free(d->r);
	d->r = NULL;
}

/* The value of element pen/id in a record, NULL if the template lacks it. */
static const struct dval *
d_get(const struct drec *r, uint32_t pen, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->t->f[i].pen == pen && r->t->f[i].id == id)
			return &r->v[i];
	return NULL;
}

static uint64_t
d_u64(const struct drec *r, uint32_t pen, uint16_t id)
{
	const struct dval *v = d_get(r, pen, id);

	CU_ASSERT_FATAL(v != NULL);
	if (v->len == 8)
		return be64(v->p);
	if (v->len == 2)
		return be16(v->p);
	if (v->len == 1)
		return v->p[0];
	return be32(v->p);
}

/* ------------------------------------------------------------------------ */
/* Helpers.                                                                 */

/* Records with room for a plugin area of any nDPI column set. */
#define REC_AREA 4096
#define REC_BYTES(splt_n) sp_record_size_ext((splt_n), REC_AREA)

static const struct sp_columns core_cols = { 0 };
/* nDPI's nine are the run's first plugin columns (suite_init()). */
static struct sp_columns full_cols = { .tunnel_id = true, .statistical = true, .splt_n = 3 };
static struct sp_plugins *ndpi_run;

/* A run with nDPI and no --plugin. */
static struct sp_plugins *
ndpi_load(bool risks, bool extra)
{
	struct sp_plugins_params p;
	char err[256];

	memset(&p, 0, sizeof(p));
	p.dpi.n_dissections = 20;
	p.dpi.risks = risks;
	p.dpi.extra = extra;
	return sp_plugins_load_run(&p, err, sizeof(err));
}

/* Set an nDPI string column of r through the plugins' setter, len bytes
 * of s (cut to the column's max: the number of cuts is returned). */
static uint64_t
app_setn(struct sp_flow_record *r, const char *name, const char *s, size_t len)
{
	struct sp_plugin_record *pr;
	unsigned int i;
	uint64_t cut;

	pr = sp_plugins_record_new(full_cols.plugin_cols, full_cols.n_plugin_cols,
				   sp_record_ext(r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr);
	for (i = 0; i < full_cols.n_plugin_cols; i++)
		if (strcmp(full_cols.plugin_cols[i].c.name, name) == 0)
			break;
	CU_ASSERT_FATAL(i < full_cols.n_plugin_cols);
	if (s != NULL)
		sp_plugin_set_string(pr, i, s, len);
	else
		sp_plugin_set_uint(pr, i, len);
	CU_ASSERT_EQUAL(sp_plugins_record_bad(pr), 0);
	cut = sp_plugins_record_cut(pr);
	sp_plugins_record_free(pr);
	return cut;
}

static void
app_set(struct sp_flow_record *r, const char *name, const char *s)
{
	CU_ASSERT_EQUAL(app_setn(r, name, s, strlen(s)), 0);
}

static void
fill_record(struct sp_flow_record *r, uint16_t splt_n, bool v6)
{
	static const uint8_t smac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
	uint16_t i;

	memset(r, 0, REC_BYTES(splt_n));
	r->splt_n = splt_n;	/* first: the plugin area follows the SPLT arrays */
	r->id = 7;
	r->expiration_id = 1;
	if (v6) {
		inet_pton(AF_INET6, "2001:db8::1", r->st.src_ip);
		inet_pton(AF_INET6, "2001:db8:ff::2", r->st.dst_ip);
		r->st.ip_version = 6;
	} else {
		inet_pton(AF_INET, "192.0.2.1", r->st.src_ip);
		inet_pton(AF_INET, "198.51.100.2", r->st.dst_ip);
		r->st.ip_version = 4;
	}
	memcpy(r->st.src_mac, smac, 6);
	memcpy(r->st.dst_mac, dmac, 6);
	r->st.src_port = 1234;
	r->st.dst_port = 443;
	r->st.protocol = 6;
	r->st.vlan_id = 10;
	r->st.tunnel_id = 0;
	r->st.first_seen_ms[SP_BI] = 1704067200000ull;
	r->st.last_seen_ms[SP_BI] = 1704067200250ull;
	r->st.first_seen_ms[SP_S2D] = 1704067200000ull;
	r->st.last_seen_ms[SP_S2D] = 1704067200200ull;
	r->st.first_seen_ms[SP_D2S] = 1704067200050ull;
	r->st.last_seen_ms[SP_D2S] = 1704067200250ull;
	r->duration_ms[SP_BI] = 250;
	r->duration_ms[SP_S2D] = 200;
	r->duration_ms[SP_D2S] = 200;
	r->st.packets[SP_BI] = 5;
	r->st.packets[SP_S2D] = 3;
	r->st.packets[SP_D2S] = 2;
	r->st.bytes[SP_BI] = 700;
	r->st.bytes[SP_S2D] = 400;
	r->st.bytes[SP_D2S] = 300;
	r->mean_ps[SP_S2D] = 133.5;
	r->stddev_piat_ms[SP_D2S] = 0.1;
	r->flags[SP_D2S][7] = 1;	/* dst2src_fin_packets */
	r->st.tcp_flags[0] = 0x1b;	/* FIN, SYN, PSH, ACK */
	r->st.tcp_flags[1] = 0x13;	/* FIN, SYN, ACK */
	r->min_ps[SP_BI] = 60;
	app_set(r, "application_name", "TLS.Google");
	app_set(r, "application_category_name", "Web");
	app_setn(r, "application_is_guessed", NULL, 0);
	app_setn(r, "application_confidence", NULL, 6);
	app_set(r, "requested_server_name", "");
	app_set(r, "client_fingerprint", "");
	app_set(r, "server_fingerprint", "");
	app_set(r, "user_agent", "");
	app_set(r, "content_type", "");
	for (i = 0; i < splt_n; i++) {
		sp_record_splt_direction(r)[i] = i < 2 ? (int8_t)i : -1;
		sp_record_splt_ps(r)[i] = i < 2 ? 60 + 1000 * i : -1;
		sp_record_splt_piat(r)[i] = i < 2 ? (int64_t)(i * 50) : -1;
	}
}

static char tmpdir[] = "/tmp/sp-ipfix-XXXXXX";

static int
suite_init(void)
{
	ndpi_run = ndpi_load(false, false);
	if (ndpi_run == NULL)
		return -1;
	sp_export_columns_plugins(&full_cols, ndpi_run);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[128];

	sp_plugins_unload(ndpi_run);
	ndpi_run = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Export records into a file and read the file back. */
static uint8_t *
export_to_file(const char *name, const struct sp_columns *cols,
	       struct sp_flow_record *const *recs, unsigned int n, size_t *len)
{
	char path[256], uri[300];
	struct sp_exporter *e;
	unsigned int i;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(uri, sizeof(uri), "file:%s", path);
	e = sp_export_ipfix_open(uri, cols, NULL);
	CU_ASSERT_FATAL(e != NULL);
	for (i = 0; i < n; i++)
		CU_ASSERT(sp_export_write(e, recs[i]) == 0);
	CU_ASSERT(sp_export_close(e) == 0);
	return (uint8_t *)sp_test_slurp(path, len);
}

/* A byte builder for expected encodings. */
struct bb {
	uint8_t b[4096];
	size_t n;
};

static void
bb_u8(struct bb *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static void
bb_u16(struct bb *b, uint16_t v)
{
	bb_u8(b, (uint8_t)(v >> 8));
	bb_u8(b, (uint8_t)v);
}

static void
bb_u32(struct bb *b, uint32_t v)
{
	bb_u16(b, (uint16_t)(v >> 16));
	bb_u16(b, (uint16_t)v);
}

static void
bb_u64(struct bb *b, uint64_t v)
{
	bb_u32(b, (uint32_t)(v >> 32));
	bb_u32(b, (uint32_t)v);
}

static void
bb_bytes(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* The core template as docs/ipfix.md lists it: {id | E, length, PEN}. */
static const struct {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
} core_v4[] = {
	{ 148, 8, 0 }, { 136, 1, 0 }, { 8, 4, 0 }, { 56, 6, 0 }, { 1 | E, 3, PEN },
	{ 7, 2, 0 }, { 12, 4, 0 }, { 80, 6, 0 }, { 2 | E, 3, PEN }, { 11, 2, 0 },
	{ 4, 1, 0 }, { 60, 1, 0 }, { 58, 2, 0 },
	{ 152, 8, 0 }, { 153, 8, 0 }, { 4 | E, 8, PEN }, { 5 | E, 8, PEN }, { 6 | E, 8, PEN },
	{ 7 | E, 8, PEN }, { 8 | E, 8, PEN }, { 9 | E, 8, PEN }, { 2, 8, 0 }, { 1, 8, 0 },
	{ 0x4007 | E, 8, PEN }, { 0x4008 | E, 8, PEN }, { 0x4009 | E, 8, PEN },
	{ 2 | E, 8, REV }, { 1 | E, 8, REV },
	/* No column: observationTimeMilliseconds, reverse and forward tcpControlBits. */
	{ 323, 8, 0 }, { 6 | E, 2, REV }, { 6, 2, 0 },
};

/* ------------------------------------------------------------------------ */
/* Encoding.                                                                */

static void
test_core_template_and_record_bytes(void)
{
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct decoded d;
	struct bb tb = { .n = 0 }, rb = { .n = 0 };
	uint8_t *buf;
	size_t len, off;
	unsigned int i;

	CU_ASSERT_FATAL(r != NULL);
	fill_record(r, 0, false);
	buf = export_to_file("core.ipfix", &core_cols, &r, 1, &len);
	CU_ASSERT_FATAL(buf != NULL);

	/* Template message: header, one template set with 256 then 257. */
	bb_u16(&tb, 256);
	bb_u16(&tb, RTE_DIM(core_v4));
	for (i = 0; i < RTE_DIM(core_v4); i++) {
		bb_u16(&tb, core_v4[i].id);
		bb_u16(&tb, core_v4[i].len);
		if (core_v4[i].id & E)
			bb_u32(&tb, core_v4[i].pen);
	}
	CU_ASSERT_FATAL(len > 20 + tb.n);
	CU_ASSERT(be16(buf) == 10);
	CU_ASSERT(be32(buf + 8) == 0);		/* sequence */
	CU_ASSERT(be32(buf + 12) == 0);		/* domain */
	CU_ASSERT(be16(buf + 16) == 2);		/* template set */
	CU_ASSERT(memcmp(buf + 20, tb.b, tb.n) == 0);
	/* The v6 template differs in the addresses only. */
	CU_ASSERT(be16(buf + 20 + tb.n) == 257);
	CU_ASSERT(be16(buf + 20 + tb.n + 4 + 2 * 4) == 27);
	CU_ASSERT(be16(buf + 20 + tb.n + 4 + 6 * 4 + 4) == 28);
	CU_ASSERT(be16(buf + 18) == 4 + 2 * tb.n);	/* set length */
	off = be16(buf + 2);
	CU_ASSERT(off == 16 + 4 + 2 * tb.n);

	/* The data record, field by field. */
	bb_u64(&rb, 7);				/* flowId */
	bb_u8(&rb, 2);				/* flowEndReason: active timeout */
	bb_bytes(&rb, "\xc0\x00\x02\x01", 4);
	bb_bytes(&rb, "\x02\x00\x5e\x10\x00\x01", 6);
	bb_bytes(&rb, "\x02\x00\x5e", 3);	/* src_oui */
	bb_u16(&rb, 1234);
	bb_bytes(&rb, "\xc6\x33\x64\x02", 4);
	bb_bytes(&rb, "\x02\x00\x5e\x10\x00\x02", 6);
	bb_bytes(&rb, "\x02\x00\x5e", 3);
	bb_u16(&rb, 443);
	bb_u8(&rb, 6);
	bb_u8(&rb, 4);
	bb_u16(&rb, 10);
	bb_u64(&rb, 1704067200000ull);
	bb_u64(&rb, 1704067200250ull);
	bb_u64(&rb, 250);
	bb_u64(&rb, 5);
	bb_u64(&rb, 700);
	bb_u64(&rb, 1704067200000ull);
	bb_u64(&rb, 1704067200200ull);
	bb_u64(&rb, 200);
	bb_u64(&rb, 3);
	bb_u64(&rb, 400);
	bb_u64(&rb, 1704067200050ull);
	bb_u64(&rb, 1704067200250ull);
	bb_u64(&rb, 200);
	bb_u64(&rb, 2);
	bb_u64(&rb, 300);
	bb_u64(&rb, 1704067200000ull);		/* observationTimeMilliseconds: first seen */
	bb_u16(&rb, 0x13);			/* reverseTcpControlBits */
	bb_u16(&rb, 0x1b);			/* tcpControlBits */
	CU_ASSERT_FATAL(len == off + 16 + 4 + rb.n);
	CU_ASSERT(be16(buf + off + 2) == 16 + 4 + rb.n);
	CU_ASSERT(be32(buf + off + 8) == 0);	/* no data record before it */
	CU_ASSERT(be16(buf + off + 16) == 256);
	CU_ASSERT(be16(buf + off + 18) == 4 + rb.n);
	CU_ASSERT(memcmp(buf + off + 20, rb.b, rb.n) == 0);

	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.seq_errors == 0);
	CU_ASSERT(d.nm == 2);
	CU_ASSERT(d.nt == 2);
	CU_ASSERT_FATAL(d.nr == 1);
	CU_ASSERT(d_u64(&d.r[0], REV, 2) == 2);	/* reversePacketDeltaCount */
	CU_ASSERT(d_u64(&d.r[0], 0, 1) == 400);	/* octetDeltaCount */
	CU_ASSERT(d_u64(&d.r[0], PEN, 0x4008) == 1704067200250ull);
	CU_ASSERT(d_u64(&d.r[0], 0, 6) == 0x1b);
	CU_ASSERT(d_u64(&d.r[0], REV, 6) == 0x13);
	CU_ASSERT(d.m[1].time >= (uint32_t)time(NULL) - 60 && d.m[1].time <= time(NULL));
	d_free(&d);
	free(buf);
	free(r);
}

static void
test_v4_v6_templates(void)
{
	struct sp_flow_record *r[3];
	struct decoded d;
	uint8_t *buf;
	size_t len;
	const struct dval *v;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		r[i] = calloc(1, REC_BYTES(0));
		CU_ASSERT_FATAL(r[i] != NULL);
		fill_record(r[i], 0, i == 1);
		r[i]->id = i;
	}
	buf = export_to_file("v46.ipfix", &core_cols, r, 3, &len);
	CU_ASSERT_FATAL(buf != NULL);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.seq_errors == 0);
	CU_ASSERT_FATAL(d.nr == 3);
	/* One message, three sets: 256, 257, 256. */
	CU_ASSERT(d.nm == 2);
	CU_ASSERT(d.r[0].tid == 256 && d.r[1].tid == 257 && d.r[2].tid == 256);
	v = d_get(&d.r[1], 0, 27);
	CU_ASSERT_FATAL(v != NULL && v->len == 16);
	CU_ASSERT(memcmp(v->p, r[1]->st.src_ip, 16) == 0);
	v = d_get(&d.r[1], 0, 28);
	CU_ASSERT_FATAL(v != NULL && v->len == 16);
	CU_ASSERT(memcmp(v->p, r[1]->st.dst_ip, 16) == 0);
	CU_ASSERT(d_get(&d.r[1], 0, 8) == NULL);
	CU_ASSERT(d_get(&d.r[0], 0, 27) == NULL);
	CU_ASSERT(d_u64(&d.r[1], 0, 60) == 6);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == i);
		free(r[i]);
	}
	d_free(&d);
	free(buf);
}

static const struct dval *
field_of(const struct drec *r, const char *col)
{
	struct sp_ipfix_field f[SP_IPFIX_MAX_FIELDS + 16];	/* nDPI's too */
	unsigned int i, n = sp_ipfix_fields(&full_cols, r->tid == 257, PEN, f);

	CU_ASSERT_FATAL(n == r->n);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].col->name, col) == 0)
			return &r->v[i];
	CU_FAIL_FATAL("no such column");
	return NULL;
}

static void
test_strings_and_lists(void)
{
	struct sp_flow_record *r[4];
	struct decoded d;
	const struct dval *v;
	uint8_t *buf;
	size_t len;
	unsigned int i;
	double dv;
	uint64_t bits;
	char big[300];

	for (i = 0; i < 4; i++) {
		r[i] = calloc(1, REC_BYTES(3));
		CU_ASSERT_FATAL(r[i] != NULL);
		fill_record(r[i], 3, false);
	}
	/* 255 bytes: the 3-byte length form. Longer: cut to the column's 255
	 * (NFStream's 256-byte field less its NUL), as nDPI's hook bounds it. */
	memset(big, 'a', sizeof(big));
	CU_ASSERT(app_setn(r[0], "user_agent", big, 255) == 0);
	memset(big, 'b', sizeof(big));
	CU_ASSERT(app_setn(r[1], "user_agent", big, sizeof(big)) == 1);
	memset(big, 'c', sizeof(big));
	CU_ASSERT(app_setn(r[2], "user_agent", big, 254) == 0);	/* 254 < 255: one byte */
	memset(big, 'd', sizeof(big));
	CU_ASSERT(app_setn(r[1], "content_type", big, 64) == 1);	/* 63 kept */
	/* Invalid UTF-8 is dropped as in the CSV; valid multibyte and quotes are kept. */
	app_set(r[2], "requested_server_name", "a\xff" "b\xc3\xa9\"q\"");
	app_set(r[3], "client_fingerprint", "x,\"y\"");
	/* A value set through the plugin setter is bytes: a NUL is kept (a
	 * plugin's Python str, e.g. a DHCP hostname); nDPI's hook never
	 * passes one (its C strings end there). */
	CU_ASSERT(app_setn(r[3], "server_fingerprint", "a\0b\xff", 4) == 0);
	buf = export_to_file("str.ipfix", &full_cols, r, 4, &len);
	CU_ASSERT_FATAL(buf != NULL);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT_FATAL(d.nr == 4);

	v = field_of(&d.r[0], "user_agent");
	CU_ASSERT(v->len == 255 && v->p[-3] == 255 && be16(v->p - 2) == 255);
	CU_ASSERT(v->p[0] == 'a' && v->p[254] == 'a');
	v = field_of(&d.r[1], "user_agent");
	CU_ASSERT(v->len == 255 && v->p[-3] == 255 && v->p[254] == 'b');
	v = field_of(&d.r[2], "user_agent");
	CU_ASSERT(v->len == 254 && v->p[-1] == 254 && v->p[253] == 'c');
	v = field_of(&d.r[1], "content_type");
	CU_ASSERT(v->len == 63 && v->p[-1] == 63);
	CU_ASSERT(v->p[62] == 'd');
	v = field_of(&d.r[2], "requested_server_name");
	CU_ASSERT(v->len == 7 && memcmp(v->p, "ab\xc3\xa9\"q\"", 7) == 0);
	v = field_of(&d.r[3], "client_fingerprint");
	CU_ASSERT(v->len == 5 && memcmp(v->p, "x,\"y\"", 5) == 0);
	v = field_of(&d.r[0], "server_fingerprint");
	CU_ASSERT(v->len == 0 && v->p[-1] == 0);	/* empty string: length 0 */
	v = field_of(&d.r[3], "server_fingerprint");
	CU_ASSERT(v->len == 3 && memcmp(v->p, "a\0b", 3) == 0);
	v = field_of(&d.r[0], "application_name");
	CU_ASSERT(v->len == 10 && memcmp(v->p, "TLS.Google", 10) == 0);
	CU_ASSERT(d.r[0].t->f[v - d.r[0].v].id == 96 && d.r[0].t->f[v - d.r[0].v].pen == 0);
	/* nDPI's numbers in their elements' widths: unsigned8 under the PEN */
	v = field_of(&d.r[0], "application_confidence");
	CU_ASSERT(v->len == 1 && v->p[0] == 6);
	CU_ASSERT(d.r[0].t->f[v - d.r[0].v].id == 46 && d.r[0].t->f[v - d.r[0].v].pen == PEN);
	v = field_of(&d.r[0], "application_is_guessed");
	CU_ASSERT(v->len == 1 && v->p[0] == 0);

	/* SPLT as RFC 6313 basicLists: semantic, element id | E, length, PEN, values. */
	v = field_of(&d.r[0], "splt_direction");
	CU_ASSERT_FATAL(v->len == 9 + 3);
	CU_ASSERT(v->p[0] == SP_IPFIX_LIST_ORDERED && be16(v->p + 1) == (42 | E) &&
		  be16(v->p + 3) == 1 && be32(v->p + 5) == PEN);
	CU_ASSERT(v->p[9] == 0 && v->p[10] == 1 && v->p[11] == 0xff);
	v = field_of(&d.r[0], "splt_ps");
	CU_ASSERT_FATAL(v->len == 9 + 12);
	CU_ASSERT(be16(v->p + 1) == (43 | E) && be16(v->p + 3) == 4);
	CU_ASSERT(be32(v->p + 9) == 60 && be32(v->p + 13) == 1060 &&
		  be32(v->p + 17) == 0xffffffffu);
	v = field_of(&d.r[0], "splt_piat_ms");
	CU_ASSERT_FATAL(v->len == 9 + 24);
	CU_ASSERT(be16(v->p + 1) == (44 | E) && be16(v->p + 3) == 8);
	CU_ASSERT(be64(v->p + 9) == 0 && be64(v->p + 17) == 50 &&
		  be64(v->p + 25) == UINT64_MAX);
	CU_ASSERT(d.r[0].t->f[v - d.r[0].v].id == 291);

	/* Floats are IEEE 754 binary64, big endian; statistics are enterprise elements. */
	v = field_of(&d.r[0], "src2dst_mean_ps");
	bits = be64(v->p);
	memcpy(&dv, &bits, 8);
	CU_ASSERT(v->len == 8 && dv == 133.5);
	CU_ASSERT(d.r[0].t->f[v - d.r[0].v].pen == PEN && d.r[0].t->f[v - d.r[0].v].id == 15);
	v = field_of(&d.r[0], "dst2src_stddev_piat_ms");
	bits = be64(v->p);
	memcpy(&dv, &bits, 8);
	CU_ASSERT(dv == 0.1);
	CU_ASSERT(d.r[0].t->f[v - d.r[0].v].id == (24 | SP_IPFIX_REVERSE_BIT));
	v = field_of(&d.r[0], "dst2src_fin_packets");
	CU_ASSERT(be64(v->p) == 1 && d.r[0].t->f[v - d.r[0].v].id == (41 | 0x4000));
	v = field_of(&d.r[0], "bidirectional_min_ps");
	CU_ASSERT(v->len == 2 && be16(v->p) == 60);
	v = field_of(&d.r[0], "tunnel_id");
	CU_ASSERT(v->len == 1 && d.r[0].t->f[v - d.r[0].v].id == 3);

	for (i = 0; i < 4; i++)
		free(r[i]);
	d_free(&d);
	free(buf);
}

static void
test_end_reason_and_splt_mismatch(void)
{
	struct sp_flow_record *r[4];
	struct sp_exporter *e;
	struct decoded d;
	uint8_t *buf;
	size_t len;
	static const int8_t exp[] = { 0, 1, -1, 5 };
	static const uint8_t reason[] = { 1, 2, 3, 4 };
	unsigned int i;
	char uri[300];

	for (i = 0; i < 4; i++) {
		r[i] = calloc(1, REC_BYTES(0));
		CU_ASSERT_FATAL(r[i] != NULL);
		fill_record(r[i], 0, false);
		r[i]->expiration_id = exp[i];
	}
	buf = export_to_file("reason.ipfix", &core_cols, r, 4, &len);
	CU_ASSERT_FATAL(buf != NULL);
	decode(buf, len, &d, true);
	CU_ASSERT_FATAL(d.nr == 4);
	for (i = 0; i < 4; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 136) == reason[i]);
	d_free(&d);
	free(buf);
	/* A record of another SPLT length than the column set is refused. */
	snprintf(uri, sizeof(uri), "file:%s/splt.ipfix", tmpdir);
	e = sp_export_ipfix_open(uri, &full_cols, NULL);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT(sp_export_write(e, r[0]) == -EINVAL);
	CU_ASSERT(e->errors == 1);
	CU_ASSERT(sp_export_close(e) == 0);
	for (i = 0; i < 4; i++)
		free(r[i]);
}

/* ------------------------------------------------------------------------ */
/* UDP.                                                                     */

static int
udp_listener(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 8 << 20;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Every datagram waiting: concatenated into buf, their sizes in sizes[]. */
static size_t
udp_drain(int fd, uint8_t *buf, size_t cap, size_t *sizes, unsigned int *n)
{
	size_t len = 0;

	*n = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 200) <= 0)
			break;
		r = recv(fd, buf + len, cap - len, 0);
		if (r <= 0)
			break;
		sizes[(*n)++] = (size_t)r;
		len += (size_t)r;
	}
	return len;
}

static void
test_udp_mtu(void)
{
	static uint8_t buf[4 << 20];
	static size_t sizes[8192];
	struct sp_ipfix_params p = { .mtu = 576, .domain_id = 42 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(3));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	struct decoded d;
	char ua[255];
	unsigned int i, n, port_i;
	int fd, port;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	fd = udp_listener(&port);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 100; i++) {
		r->id = i;
		r->st.ip_version = i % 3 == 0 ? 6 : 4;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	CU_ASSERT(sp_export_flush(e) == 0);
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	CU_ASSERT(st.records == 100 && st.records_dropped == 0 && st.oversize == 0);
	CU_ASSERT(st.messages == n);
	/* One template message (both fit 548 bytes), then data, 3 records a datagram. */
	CU_ASSERT_FATAL(n > 1 + 100 / 4);
	for (i = 0; i < n; i++)
		CU_ASSERT(sizes[i] <= 576 - 28);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.seq_errors == 0);
	CU_ASSERT(d.m[0].n_tmpl == 2 && d.m[1].n_tmpl == 0);
	CU_ASSERT(d.m[0].domain == 42 && d.m[n - 1].domain == 42);
	CU_ASSERT_FATAL(d.nr == 100);
	for (i = 0; i < 100; i++) {
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == i);
		CU_ASSERT(d.r[i].tid == (i % 3 == 0 ? 257 : 256));
	}
	d_free(&d);
	CU_ASSERT(sp_export_close(e) == 0);

	/* A record larger than the MTU leaves alone, and is counted. */
	e = sp_export_ipfix_open(uri, &full_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 3, false);
	for (i = 0; i < 3; i++) {
		memset(ua, 'u', sizeof(ua));
		app_setn(r, "user_agent", ua, 200 + 20 * i);
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	CU_ASSERT(sp_export_flush(e) == 0);
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT(st.oversize == 3);
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0 && d.seq_errors == 0);
	CU_ASSERT_FATAL(d.nr == 3);
	port_i = 0;
	for (i = 0; i < d.nm; i++)
		if (d.m[i].n_data > 0) {
			CU_ASSERT(d.m[i].n_data == 1);
			port_i++;
		}
	CU_ASSERT(port_i == 3);
	d_free(&d);
	CU_ASSERT(sp_export_close(e) == 0);
	close(fd);
	free(r);
}

static void
test_udp_template_refresh(void)
{
	static uint8_t buf[1 << 20];
	static size_t sizes[4096];
	struct sp_ipfix_params p = { .template_refresh_msgs = 3 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	struct decoded d;
	unsigned int i, n, since = 0, tmsgs = 0;
	int fd, port;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	fd = udp_listener(&port);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
	/* By count: templates again before every 3rd data message. */
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 10; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
		CU_ASSERT(sp_export_flush(e) == 0);	/* one data message per record */
	}
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0 && d.seq_errors == 0);
	CU_ASSERT(d.nr == 10);
	CU_ASSERT_FATAL(d.nm >= 1);
	CU_ASSERT(d.m[0].n_tmpl == 2);
	for (i = 0; i < d.nm; i++) {
		if (d.m[i].n_tmpl > 0) {
			CU_ASSERT(since == 0 || since == 3);
			since = 0;
			tmsgs++;
			/* A template message carries the number of the next data message. */
			if (i + 1 < d.nm) {
				CU_ASSERT(d.m[i].seq == d.m[i + 1].seq);
			}
		} else {
			since++;
		}
	}
	CU_ASSERT(tmsgs == 4);	/* at open, then before data messages 4, 7, 10 */
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT(st.template_sends == 4);
	d_free(&d);
	CU_ASSERT(sp_export_close(e) == 0);

	/* By time: a 50 ms interval. */
	p.template_refresh_msgs = 0;
	p.template_refresh_ms = 50;
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	for (i = 0; i < 3; i++) {
		CU_ASSERT(sp_export_write(e, r) == 0);
		CU_ASSERT(sp_export_flush(e) == 0);
	}
	usleep(80 * 1000);
	CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_flush(e) == 0);
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT_FATAL(d.nm == 6);
	CU_ASSERT(d.m[0].n_tmpl == 2 && d.m[4].n_tmpl == 2);
	CU_ASSERT(d.m[1].n_data == 1 && d.m[2].n_data == 1 && d.m[3].n_data == 1 &&
		  d.m[5].n_data == 1);
	d_free(&d);
	CU_ASSERT(sp_export_close(e) == 0);
	close(fd);
	free(r);
}

/* ------------------------------------------------------------------------ */
/* TCP.                                                                     */

static int
tcp_listener(int port, int *out_port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		close(fd);
		return -1;
	}
	if (out_port != NULL)
		*out_port = ntohs(a.sin_port);
	return fd;
}

/* Read what arrives on c until it is quiet for quiet_ms, flushing e meanwhile. */
static size_t
tcp_collect(int c, struct sp_exporter *e, uint8_t *buf, size_t cap, int quiet_ms)
{
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = c, .events = POLLIN };
		ssize_t r;

		if (e != NULL)
			sp_export_flush(e);
		if (poll(&pfd, 1, quiet_ms) <= 0)
			break;
		r = recv(c, buf + len, cap - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	return len;
}

/* Flush e until a connection is pending on ls, then accept it. */
static int
tcp_accept(int ls, struct sp_exporter *e)
{
	unsigned int i;

	for (i = 0; i < 300; i++) {
		struct pollfd pfd = { .fd = ls, .events = POLLIN };

		sp_export_flush(e);
		if (poll(&pfd, 1, 10) > 0)
			return accept(ls, NULL, NULL);
	}
	return -1;
}

static void
test_tcp_buffer_bound(void)
{
	static uint8_t buf[1 << 20];
	struct sp_ipfix_params p = { .buffer_size = 16384, .reconnect_min_ms = 5,
				     .reconnect_max_ms = 20, .linger_ms = 500 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	struct decoded d;
	unsigned int i;
	int ls, port, c;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	/* A free port, nobody listening on it yet. */
	ls = tcp_listener(0, &port);
	CU_ASSERT_FATAL(ls >= 0);
	close(ls);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 1000; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	CU_ASSERT(sp_export_flush(e) == 0);
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT(!st.connected);
	CU_ASSERT(st.records == 1000);
	CU_ASSERT(st.records_dropped > 0 && st.records_dropped < 1000);
	CU_ASSERT(st.buffered_bytes > 0 && st.buffered_bytes <= 16384);
	CU_ASSERT(st.messages == 0);

	/* The collector comes: the kept records arrive, after the templates. */
	ls = tcp_listener(port, NULL);
	CU_ASSERT_FATAL(ls >= 0);
	c = tcp_accept(ls, e);
	CU_ASSERT_FATAL(c >= 0);
	len = tcp_collect(c, e, buf, sizeof(buf), 200);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.seq_errors == 0);
	CU_ASSERT(d.m[0].n_tmpl == 2 && d.m[0].seq == 0);
	CU_ASSERT(d.nr == 1000 - st.records_dropped);
	/* What was kept is the oldest: the queue refuses new messages when full. */
	for (i = 0; i < d.nr; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == i);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.connects == 1 && st.records_dropped == 1000 - d.nr);
	CU_ASSERT(st.buffered_bytes == 0);
	d_free(&d);
	close(c);
	close(ls);
	free(r);
}

static void
test_tcp_reconnect(void)
{
	static uint8_t buf[1 << 20];
	struct sp_ipfix_params p = { .reconnect_min_ms = 5, .reconnect_max_ms = 20 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	struct decoded d;
	unsigned int i;
	int ls, port, c;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	ls = tcp_listener(0, &port);
	CU_ASSERT_FATAL(ls >= 0);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	c = tcp_accept(ls, e);
	CU_ASSERT_FATAL(c >= 0);
	fill_record(r, 0, false);
	for (i = 0; i < 100; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	len = tcp_collect(c, e, buf, sizeof(buf), 200);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0 && d.nr == 100);
	d_free(&d);
	/* The collector restarts: its connection closes, a new one is accepted. */
	close(c);
	for (i = 100; i < 200; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	c = tcp_accept(ls, e);
	CU_ASSERT_FATAL(c >= 0);
	len = tcp_collect(c, e, buf, sizeof(buf), 200);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.seq_errors == 0);
	CU_ASSERT(d.m[0].n_tmpl == 2);	/* a new session starts with the templates */
	CU_ASSERT(d.m[0].seq == 100);
	CU_ASSERT_FATAL(d.nr == 100);
	for (i = 0; i < 100; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == 100 + i);
	d_free(&d);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.connects == 2 && st.disconnects == 1 && st.records_dropped == 0);
	close(c);
	close(ls);
	free(r);
}

/* ------------------------------------------------------------------------ */
/* File rotation, errors, elements.                                         */

static void
test_file_rotation(void)
{
	struct sp_ipfix_params p = { .rotate_bytes = 4000 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	unsigned int i, total = 0, f;
	char uri[300], path[300];

	CU_ASSERT_FATAL(r != NULL);
	snprintf(uri, sizeof(uri), "file:%s/rot.ipfix", tmpdir);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 200; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
		if (i % 10 == 9)
			CU_ASSERT(sp_export_flush(e) == 0);
	}
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.files > 3 && st.records_dropped == 0);
	for (f = 0; f < st.files; f++) {
		struct decoded d;
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/rot.ipfix.%06u", tmpdir, f);
		buf = (uint8_t *)sp_test_slurp(path, &len);
		CU_ASSERT_FATAL(buf != NULL);
		decode(buf, len, &d, true);
		/* Each file stands alone: templates first, numbered from 0. */
		CU_ASSERT(d.errors == 0 && d.seq_errors == 0);
		CU_ASSERT(d.m[0].n_tmpl == 2 && d.m[0].seq == 0);
		for (i = 0; i < d.nr; i++)
			CU_ASSERT(d_u64(&d.r[i], 0, 148) == total + i);
		total += d.nr;
		if (f + 1 < st.files) {
			CU_ASSERT(len >= 4000);
		}
		d_free(&d);
		free(buf);
	}
	CU_ASSERT(total == 200);
	snprintf(path, sizeof(path), "%s/rot.ipfix", tmpdir);
	CU_ASSERT(access(path, F_OK) != 0);
	free(r);
}

static void
test_file_rotation_by_time(void)
{
	struct sp_ipfix_params p = { .rotate_s = 1 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	unsigned int f, total = 0;
	char uri[300], path[300];

	CU_ASSERT_FATAL(r != NULL);
	snprintf(uri, sizeof(uri), "file:%s/time.ipfix", tmpdir);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_flush(e) == 0);
	usleep(1100 * 1000);
	CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_flush(e) == 0);	/* the first file is 1 s old: rotate */
	CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.files == 2);
	for (f = 0; f < 2; f++) {
		struct decoded d;
		uint8_t *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s/time.ipfix.%06u", tmpdir, f);
		buf = (uint8_t *)sp_test_slurp(path, &len);
		CU_ASSERT_FATAL(buf != NULL);
		decode(buf, len, &d, true);
		CU_ASSERT(d.errors == 0 && d.m[0].n_tmpl == 2);
		total += d.nr;
		d_free(&d);
		free(buf);
	}
	CU_ASSERT(total == 3);
	free(r);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Losses are reported with their cause: the first at once, later ones at
 * most once per interval, whatever is pending with interval 0; the final
 * counters carry the cause too. A collector that never listens loses
 * everything.
 */
static void
test_loss_reports(void)
{
	struct sp_ipfix_params p = { .buffer_size = 16384, .reconnect_min_ms = 5,
				     .reconnect_max_ms = 20, .linger_ms = 50 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_ipfix_loss l;
	struct sp_exporter *e;
	uint64_t first;
	unsigned int i;
	int ls, port;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	ls = tcp_listener(0, &port);
	CU_ASSERT_FATAL(ls >= 0);
	close(ls);
	snprintf(uri, sizeof(uri), "tcp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	/* Let a connection attempt fail first. */
	for (i = 0; i < 20; i++) {
		sp_export_flush(e);
		usleep(2000);
	}
	CU_ASSERT(sp_export_ipfix_poll_loss(e, 10000, &l) == 0);	/* nothing lost yet */
	fill_record(r, 0, false);
	for (i = 0; i < 1000; i++)
		CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT_FATAL(st.records_dropped > 0);
	CU_ASSERT(strcmp(st.loss_cause, "collector unreachable: Connection refused") == 0);
	CU_ASSERT_FATAL(sp_export_ipfix_poll_loss(e, 10000, &l) == 1);
	CU_ASSERT(l.records == st.records_dropped && l.refused == 0);
	CU_ASSERT(strcmp(l.cause, "collector unreachable: Connection refused") == 0);
	first = l.records;
	/* More losses within the interval: not reported yet... */
	for (i = 0; i < 1000; i++)
		CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_ipfix_poll_loss(e, 10000, &l) == 0);
	/* ... but pending, and interval 0 says them. */
	CU_ASSERT_FATAL(sp_export_ipfix_poll_loss(e, 0, &l) == 1);
	CU_ASSERT(l.records > 0 && first + l.records <= 2000);
	CU_ASSERT(sp_export_ipfix_poll_loss(e, 0, &l) == 0);
	/* Closing: what was still queued is lost as well, all 2000. */
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.records == 2000 && st.records_dropped == 2000 && st.connects == 0);
	CU_ASSERT(st.messages_dropped > 0);
	CU_ASSERT(strcmp(st.loss_cause, "collector unreachable: Connection refused") == 0);
	free(r);
}

/* UDP to a port nobody listens on: the ICMP errors are counted, with their cause. */
static void
test_udp_refused(void)
{
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_ipfix_loss l;
	struct sp_exporter *e;
	unsigned int i;
	int fd, port;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	fd = udp_listener(&port);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, NULL);	/* the templates go at once */
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 5; i++) {
		usleep(10000);		/* the ICMP error of the previous datagram arrives */
		CU_ASSERT(sp_export_write(e, r) == 0);
		CU_ASSERT(sp_export_flush(e) == 0);
	}
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT(st.refused >= 4);
	/* a collector that starts gets the templates before the next data:
	 * they went again after each error, not only at open */
	CU_ASSERT(st.template_sends >= 4);
	CU_ASSERT(strcmp(st.loss_cause, "collector unreachable: Connection refused") == 0);
	CU_ASSERT_FATAL(sp_export_ipfix_poll_loss(e, 10000, &l) == 1);
	CU_ASSERT(l.refused == st.refused && l.records == st.records_dropped);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.refused >= 4);
	free(r);
}

/* A rate with rate_wait: nothing lost, and it takes the time the rate says. */
static void
test_udp_pace_wait(void)
{
	static uint8_t buf[4 << 20];
	static size_t sizes[8192];
	struct sp_ipfix_params p = { .rate = 4000, .rate_wait = true };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	struct decoded d;
	unsigned int i, n;
	int fd, port;
	double t0, dt;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	fd = udp_listener(&port);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	t0 = now_s();
	for (i = 0; i < 2000; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	CU_ASSERT(sp_export_flush(e) == 0);
	dt = now_s() - t0;
	/* 2000 records at 4000/s: 0.5 s, less the one batch the pace may lag by. */
	CU_ASSERT(dt >= 0.35);
	CU_ASSERT(dt < 3.0);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	CU_ASSERT(st.records == 2000 && st.records_dropped == 0 && st.messages_dropped == 0);
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	CU_ASSERT(n == st.messages);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0 && d.seq_errors == 0);
	CU_ASSERT_FATAL(d.nr == 2000);
	for (i = 0; i < 2000; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == i);
	d_free(&d);
	close(fd);
	free(r);
}

/*
 * A rate without rate_wait (live input): writes never wait, one batch of
 * datagrams is held, what does not fit is dropped and counted; the held
 * ones still leave, in order, by the end.
 */
static void
test_udp_pace_drop(void)
{
	static uint8_t buf[4 << 20];
	static size_t sizes[8192];
	struct sp_ipfix_params p = { .rate = 2000, .linger_ms = 3000 };
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_ipfix_loss l;
	struct sp_exporter *e;
	struct decoded d;
	unsigned int i, n;
	int fd, port;
	double t0;
	size_t len;
	char uri[64];

	CU_ASSERT_FATAL(r != NULL);
	fd = udp_listener(&port);
	CU_ASSERT_FATAL(fd >= 0);
	snprintf(uri, sizeof(uri), "udp://127.0.0.1:%d", port);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	t0 = now_s();
	for (i = 0; i < 5000; i++) {
		r->id = i;
		CU_ASSERT(sp_export_write(e, r) == 0);
	}
	CU_ASSERT(sp_export_flush(e) == 0);
	CU_ASSERT(now_s() - t0 < 0.5);		/* never waited for the pace */
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == 0);
	CU_ASSERT(st.records_dropped > 0);
	CU_ASSERT(strncmp(st.loss_cause, "over the rate of 2000 records/s", 31) == 0);
	CU_ASSERT_FATAL(sp_export_ipfix_poll_loss(e, 10000, &l) == 1);
	CU_ASSERT(strcmp(l.cause, st.loss_cause) == 0);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	len = udp_drain(fd, buf, sizeof(buf), sizes, &n);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0);
	CU_ASSERT(d.nr > 0 && d.nr + st.records_dropped == 5000);
	for (i = 1; i < d.nr; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 148) > d_u64(&d.r[i - 1], 0, 148));
	d_free(&d);
	close(fd);
	free(r);
}

/* What columns added to the table later become, with no change to the IPFIX code. */
static void
test_new_columns(void)
{
	const struct sp_export_column *real;
	struct sp_export_column tab[SP_EXPORT_MAX_COLUMNS + 6], tab2[SP_EXPORT_MAX_COLUMNS + 6];
	struct sp_ipfix_field f[SP_IPFIX_MAX_FIELDS + 6], g[SP_IPFIX_MAX_FIELDS + 6];
	struct sp_ipfix_field base[SP_IPFIX_MAX_FIELDS];
	const struct sp_export_column extra[] = {
		{ "ndpi_risk", offsetof(struct sp_flow_record, id), 8, SP_EXPORT_COLT_U64,
		  SP_EXPORT_COLG_CORE, NULL },
		{ "src2dst_retrans_packets", offsetof(struct sp_flow_record, id), 8,
		  SP_EXPORT_COLT_U64, SP_EXPORT_COLG_STAT, NULL },
		{ "dst2src_retrans_packets", offsetof(struct sp_flow_record, id), 8,
		  SP_EXPORT_COLT_U64, SP_EXPORT_COLG_STAT, NULL },
		{ "bidirectional_retrans_bytes", offsetof(struct sp_flow_record, id), 8,
		  SP_EXPORT_COLT_U64, SP_EXPORT_COLG_STAT, NULL },
		{ "plugin_blob", offsetof(struct sp_flow_record, id), 5, 99, SP_EXPORT_COLG_CORE, NULL },
	};
	struct sp_columns all = { .tunnel_id = true, .statistical = true, .splt_n = 1 };
	unsigned int n, i, k, m;
	uint8_t seen[0x8000 / 8];

	real = sp_export_columns_table(&n);
	CU_ASSERT_FATAL(n == SP_EXPORT_MAX_COLUMNS);
	CU_ASSERT(sp_ipfix_fields(&all, false, PEN, base) == n + SP_IPFIX_EXTRA_FIELDS);
	/* The new columns at the end; then the same ones first, in reverse order. */
	memcpy(tab, real, n * sizeof(*tab));
	memcpy(tab + n, extra, sizeof(extra));
	for (i = 0; i < RTE_DIM(extra); i++)
		tab2[i] = extra[RTE_DIM(extra) - 1 - i];
	memcpy(tab2 + RTE_DIM(extra), real, n * sizeof(*tab2));
	m = n + RTE_DIM(extra);
	CU_ASSERT_FATAL(sp_ipfix_fields_of(tab, m, &all, false, PEN, f) ==
			m + SP_IPFIX_EXTRA_FIELDS);
	CU_ASSERT_FATAL(sp_ipfix_fields_of(tab2, m, &all, false, PEN, g) ==
			m + SP_IPFIX_EXTRA_FIELDS);
	/* The fields that are no column stay last, after the new columns. */
	CU_ASSERT(sp_ipfix_field_is_extra(&f[m]) && !sp_ipfix_field_is_extra(&f[m - 1]));
	/* The existing columns keep their elements. */
	for (i = 0; i < n; i++) {
		CU_ASSERT(f[i].ie.id == base[i].ie.id && f[i].ie.pen == base[i].ie.pen);
		CU_ASSERT(g[RTE_DIM(extra) + i].ie.id == base[i].ie.id);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < m; i++) {
		const struct sp_ipfix_ie *ie = f[i].ie.type == SP_IPFIX_T_BASICLIST ?
					       &f[i].item : &f[i].ie;

		if (!ie->enterprise)
			continue;
		CU_ASSERT(!(seen[ie->id / 8] & (1u << (ie->id % 8))));
		seen[ie->id / 8] |= (uint8_t)(1u << (ie->id % 8));
	}
	for (i = n; i < m; i++) {
		const struct sp_ipfix_ie *ie = &f[i].ie;
		unsigned int j = RTE_DIM(extra) - 1 - (i - n);	/* the same column in tab2 */

		CU_ASSERT(strcmp(g[j].col->name, f[i].col->name) == 0);
		/* An id from the name, not from the position. */
		CU_ASSERT(g[j].ie.id == ie->id);
		CU_ASSERT(ie->enterprise && ie->pen == PEN);
		if (strncmp(f[i].col->name, "dst2src_", 8) != 0) {
			CU_ASSERT(ie->id >= SP_IPFIX_HASH_ID_MIN && ie->id < SP_IPFIX_REVERSE_BIT);
		}
	}
	k = n;
	CU_ASSERT(strcmp(f[k].ie.name, "ndpiRisk") == 0 && f[k].ie.type == SP_IPFIX_T_U64 &&
		  f[k].ie.len == 8 && f[k].enc == SP_IPFIX_ENC_U64);
	CU_ASSERT(f[k + 1].ie.semantics == SP_IPFIX_S_DELTA &&
		  f[k + 1].ie.units == SP_IPFIX_U_PACKETS);
	CU_ASSERT(f[k + 2].ie.id == (f[k + 1].ie.id | SP_IPFIX_REVERSE_BIT) &&
		  f[k + 2].ie.reverse);
	CU_ASSERT(f[k + 3].ie.units == SP_IPFIX_U_OCTETS && !f[k + 3].ie.reverse &&
		  f[k + 3].ie.id != f[k + 1].ie.id);
	CU_ASSERT(f[k + 4].ie.type == SP_IPFIX_T_OCTETS && f[k + 4].ie.len == 5 &&
		  f[k + 4].enc == SP_IPFIX_ENC_RAW);
	CU_ASSERT(strcmp(f[k + 4].ie.desc, "NFStream column plugin_blob.") == 0);
}

/*
 * The transport table, and the file transport driven through its ops
 * alone, as the exporter drives it: begin gives room for a message at the
 * buffer's end, write takes it and rotates once the file is over the size,
 * each file starting with the templates numbered from 0.
 */
static void
test_transport_ops(void)
{
	static const struct {
		const char *uri;
		const struct sp_ipfix_transport_ops *tr;
	} map[] = {
		{ "udp://127.0.0.1:4739", &sp_ipfix_udp }, { "tcp://[::1]:4739", &sp_ipfix_tcp },
		{ "file:/tmp/x.ipfix", &sp_ipfix_file }, { "file:", &sp_ipfix_file },
		{ "UDP://127.0.0.1:4739", NULL }, { "udp:/127.0.0.1:4739", NULL },
		{ "sctp://127.0.0.1:4739", NULL }, { "", NULL },
	};
	struct sp_ipfix_params p = { .rotate_bytes = 4000 };
	struct sp_ipfix_exporter *x;
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	size_t tlen, len, i;
	char uri[300], path[300];
	unsigned int k;
	uint8_t *m;

	for (k = 0; k < RTE_DIM(map); k++) {
		const struct sp_ipfix_transport_ops *tr = sp_ipfix_transport(map[k].uri);

		CU_ASSERT(tr == map[k].tr);
		if (tr == NULL)
			continue;
		CU_ASSERT(tr->size >= sizeof(struct sp_ipfix_exporter));
		CU_ASSERT(tr->open != NULL && tr->begin != NULL && tr->write != NULL &&
			  tr->flush != NULL && tr->close != NULL && tr->release != NULL);
		CU_ASSERT(strncmp(map[k].uri, tr->scheme, strlen(tr->scheme)) == 0);
	}
	CU_ASSERT(sp_ipfix_tcp.stats != NULL);	/* buffered_bytes, connected */

	snprintf(uri, sizeof(uri), "file:%s/ops.ipfix", tmpdir);
	e = sp_export_ipfix_open(uri, &core_cols, &p);
	CU_ASSERT_FATAL(e != NULL);
	x = (struct sp_ipfix_exporter *)e;
	CU_ASSERT_FATAL(x->tr == &sp_ipfix_file);
	/* What open set up: the limits, no lone buffer, the first file's templates. */
	CU_ASSERT(x->msg_limit == SP_IPFIX_MSG_MAX && x->msg_cap == SP_IPFIX_MSG_MAX);
	CU_ASSERT(x->lone == NULL && x->n_tmsg == 1);
	CU_ASSERT(x->st.files == 1 && x->st.template_sends == 1 && x->st.messages == 1);
	tlen = x->tmsg_total;
	CU_ASSERT(x->st.bytes == tlen);
	for (k = 0; k < 3; k++) {
		m = x->tr->begin(x);
		CU_ASSERT_FATAL(m != NULL);
		memset(m, 0xa0 + k, 3000);
		x->tr->write(x, m, 3000, 7);
	}
	CU_ASSERT(x->tr->flush(x) == 0);
	/* Over 4000 bytes after the second message: a second file for the third. */
	CU_ASSERT(x->st.files == 2 && x->st.template_sends == 2);
	CU_ASSERT(x->st.messages == 2 + 3 && x->st.bytes == 2 * tlen + 3 * 3000);
	CU_ASSERT(x->st.records_dropped == 0 && x->st.messages_dropped == 0);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == 0);
	for (k = 0; k < 2; k++) {
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/ops.ipfix.%06u", tmpdir, k);
		buf = (uint8_t *)sp_test_slurp(path, &len);
		CU_ASSERT_FATAL(buf != NULL);
		CU_ASSERT_FATAL(len == tlen + (k == 0 ? 6000 : 3000));
		CU_ASSERT(be16(buf) == 10 && be16(buf + 2) == tlen && be16(buf + 16) == 2);
		CU_ASSERT(be32(buf + 8) == 0);	/* a Transport Session of its own */
		for (i = tlen; i < len; i++)
			if (buf[i] != 0xa0 + 2 * k + (i - tlen) / 3000)
				break;
		CU_ASSERT(i == len);	/* the messages as written, in order */
		free(buf);
	}
}

/*
 * A file cut short by a failed write: what was buffered and what follows
 * is dropped and counted with its cause, write and close return the error.
 */
static void
test_file_write_failure(void)
{
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct sp_ipfix_loss l;
	struct sp_exporter *e;
	unsigned int i;

	CU_ASSERT_FATAL(r != NULL);
	e = sp_export_ipfix_open("file:/dev/full", &core_cols, NULL);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < 5; i++)
		CU_ASSERT(sp_export_write(e, r) == 0);
	CU_ASSERT(sp_export_flush(e) == -ENOSPC);
	CU_ASSERT(sp_export_ipfix_poll_loss(e, 0, &l) == 1);
	CU_ASSERT(l.records == 5 && l.refused == 0);
	CU_ASSERT(strcmp(l.cause, "write failed: No space left on device") == 0);
	CU_ASSERT(sp_export_write(e, r) == -ENOSPC);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == -ENOSPC);
	CU_ASSERT(st.records == 6 && st.records_dropped == 6 && st.messages_dropped == 1);
	CU_ASSERT(st.files == 1);
	CU_ASSERT(strcmp(st.loss_cause, "write failed: No space left on device") == 0);
	free(r);
}

/*
 * A file that takes only part of a drain (a disk that fills up; here
 * RLIMIT_FSIZE: a short write, then EFBIG) is cut back to its last whole
 * message; the records of the messages kept are delivered, the others
 * dropped and counted.
 */
static void
test_file_partial_write(void)
{
	struct sp_flow_record *r = calloc(1, REC_BYTES(0));
	struct sp_ipfix_stats st;
	struct rlimit old, lim;
	struct sp_exporter *e;
	void (*old_xfsz)(int);
	struct decoded d;
	unsigned int i, n = 20000;
	char uri[310], path[300];
	uint8_t *buf;
	size_t len;

	CU_ASSERT_FATAL(r != NULL);
	snprintf(path, sizeof(path), "%s/partial.ipfix", tmpdir);
	snprintf(uri, sizeof(uri), "file:%s", path);
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 200000 + 1000;	/* within the first drain, within a message */
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	e = sp_export_ipfix_open(uri, &core_cols, NULL);
	CU_ASSERT_FATAL(e != NULL);
	fill_record(r, 0, false);
	for (i = 0; i < n; i++) {
		r->id = i;
		sp_export_write(e, r);
	}
	CU_ASSERT(sp_export_ipfix_close(e, &st) == -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_xfsz);

	buf = (uint8_t *)sp_test_slurp(path, &len);
	CU_ASSERT_FATAL(buf != NULL);
	CU_ASSERT(len > 100000 && len <= 200000);
	decode(buf, len, &d, true);
	CU_ASSERT(d.errors == 0 && d.seq_errors == 0);	/* whole messages only */
	CU_ASSERT(d.nr > 0);
	for (i = 0; i < d.nr; i++)
		CU_ASSERT(d_u64(&d.r[i], 0, 148) == i);
	CU_ASSERT(st.records == n && st.records_dropped == n - d.nr);
	d_free(&d);
	free(buf);
	free(r);
}

static void
test_open_errors(void)
{
	static const char *const bad[] = {
		"", "foo", "udp://", "udp://127.0.0.1", "udp://127.0.0.1:", "udp://127.0.0.1:0",
		"udp://127.0.0.1:65536", "udp://127.0.0.1:47x", "udp://::1:4739", "udp://[::1]4739",
		"tcp://:4739", "file:", "sctp://127.0.0.1:4739",
	};
	struct sp_ipfix_params p = { .mtu = 60 };
	struct sp_ipfix_stats st;
	struct sp_exporter *e;
	unsigned int i;
	char uri[300];

	for (i = 0; i < RTE_DIM(bad); i++) {
		rte_errno = 0;
		CU_ASSERT(sp_export_ipfix_open(bad[i], &core_cols, NULL) == NULL);
		CU_ASSERT(rte_errno == EINVAL);
	}
	CU_ASSERT(sp_export_ipfix_open(NULL, &core_cols, NULL) == NULL && rte_errno == EINVAL);
	CU_ASSERT(sp_export_ipfix_open("udp://127.0.0.1:4739", NULL, NULL) == NULL);
	CU_ASSERT(sp_export_ipfix_open("udp://127.0.0.1:4739", &core_cols, &p) == NULL &&
		  rte_errno == EINVAL);
	CU_ASSERT(sp_export_ipfix_open("file:/nonexistent-dir/x.ipfix", &core_cols, NULL) ==
		  NULL && rte_errno == ENOENT);
	e = sp_export_ipfix_open("udp://[::1]:4739", &core_cols, NULL);
	CU_ASSERT(e != NULL);
	sp_export_close(e);
	/* Not an IPFIX exporter. */
	snprintf(uri, sizeof(uri), "%s/x.csv", tmpdir);
	e = sp_export_csv_open(uri, &core_cols);
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT(sp_export_ipfix_get_stats(e, &st) == -EINVAL);
	CU_ASSERT(sp_export_ipfix_close(e, &st) == -EINVAL);
	sp_export_close(e);
}

static void
test_element_rules(void)
{
	/* room for nDPI's columns with every option: the run's first plugin's */
	struct sp_ipfix_field f[SP_IPFIX_MAX_FIELDS + 16], g[SP_IPFIX_MAX_FIELDS + 16];
	struct sp_columns all = { .tunnel_id = true, .statistical = true, .splt_n = 1 };
	struct sp_plugins *ps = ndpi_load(true, true);
	struct sp_columns core = { .splt_n = 0 };
	uint8_t seen[0x8000 / 8];
	unsigned int i, n, k;
	char *xml = NULL;
	size_t xl = 0;
	FILE *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	sp_export_columns_plugins(&all, ps);
	CU_ASSERT_EQUAL_FATAL(all.n_plugin_cols, 15);
	n = sp_ipfix_fields(&all, false, 12345, f);
	CU_ASSERT(n == SP_IPFIX_MAX_FIELDS + 15);
	/*
	 * After the columns, in any column set: what nfdump reads for the time
	 * of its NSEL default view and for the TCP flags. The reverse flags
	 * first: nfdump 1.7 takes 29305/6 for 6 and keeps the later of the two.
	 */
	for (k = 0; k < 2; k++) {
		unsigned int nk = k == 0 ? n : sp_ipfix_fields(&core, false, 12345, g);
		const struct sp_ipfix_field *x = (k == 0 ? f : g) + nk - SP_IPFIX_EXTRA_FIELDS;

		CU_ASSERT(x[0].ie.id == 323 && x[0].ie.pen == 0 && x[0].ie.len == 8 &&
			  x[0].col->offset == offsetof(struct sp_flow_record,
						       st.first_seen_ms[SP_BI]));
		CU_ASSERT(x[1].ie.id == 6 && x[1].ie.pen == REV && x[1].ie.len == 2 &&
			  x[1].enc == SP_IPFIX_ENC_U8_U16 &&
			  strcmp(x[1].ie.name, "reverseTcpControlBits") == 0);
		CU_ASSERT(x[2].ie.id == 6 && x[2].ie.pen == 0 && x[2].ie.len == 2 &&
			  x[2].ie.semantics == SP_IPFIX_S_FLAGS &&
			  strcmp(x[2].ie.name, "tcpControlBits") == 0);
		CU_ASSERT(sp_ipfix_field_is_extra(&x[0]) && !sp_ipfix_field_is_extra(&x[-1]));
	}
	n = sp_ipfix_fields(&all, false, 12345, f);
	CU_ASSERT(sp_ipfix_fields(&all, true, 12345, g) == n);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = f[i].ie.type == SP_IPFIX_T_BASICLIST ?
					       &f[i].item : &f[i].ie;
		const char *c = f[i].col->name;

		/* Every enterprise element once, under the PEN given. */
		if (ie->enterprise) {
			CU_ASSERT(ie->pen == 12345);
			CU_ASSERT(!(seen[ie->id / 8] & (1u << (ie->id % 8))));
			seen[ie->id / 8] |= (uint8_t)(1u << (ie->id % 8));
			CU_ASSERT(ie->id != 0);
		}
		/* RFC 5103: dst2src_X is the reverse of src2dst_X. */
		if (strncmp(c, "dst2src_", 8) == 0) {
			for (k = 0; k < n; k++)
				if (strncmp(f[k].col->name, "src2dst_", 8) == 0 &&
				    strcmp(f[k].col->name + 8, c + 8) == 0)
					break;
			CU_ASSERT_FATAL(k < n);
			CU_ASSERT(ie->reverse);
			CU_ASSERT(ie->type == f[k].ie.type);
			if (f[k].ie.pen == 0) {
				CU_ASSERT(ie->pen == REV && ie->id == f[k].ie.id);
			} else {
				CU_ASSERT(ie->pen == 12345 &&
					  ie->id == (f[k].ie.id | SP_IPFIX_REVERSE_BIT));
			}
		} else {
			CU_ASSERT(!ie->reverse);
			CU_ASSERT(ie->id < SP_IPFIX_REVERSE_BIT);
		}
		/* The IPv6 template differs in the addresses only. */
		if (f[i].col->type == SP_EXPORT_COLT_SRC_IP ||
		    f[i].col->type == SP_EXPORT_COLT_DST_IP) {
			CU_ASSERT(g[i].ie.len == 16 && f[i].ie.len == 4);
		} else {
			CU_ASSERT(g[i].ie.id == f[i].ie.id && g[i].ie.pen == f[i].ie.pen);
		}
	}
	/* Ids published in docs/ipfix.md: they must not move. */
	for (i = 0; i < n; i++) {
		const char *c = f[i].col->name;

		if (strcmp(c, "requested_server_name") == 0) {
			CU_ASSERT(f[i].ie.id == 47 && f[i].ie.pen == 12345 &&
				  f[i].ie.len == SP_IPFIX_VARLEN);
		} else if (strcmp(c, "user_agent") == 0) {
			CU_ASSERT(f[i].ie.id == 468 && f[i].ie.pen == 0);
			CU_ASSERT(strcmp(f[i].ie.name, "httpUserAgent") == 0);
		} else if (strcmp(c, "application_is_guessed") == 0) {
			CU_ASSERT(f[i].ie.id == 45 && f[i].ie.pen == 12345 && f[i].ie.len == 1 &&
				  f[i].ie.type == SP_IPFIX_T_U8 &&
				  f[i].ie.semantics == SP_IPFIX_S_IDENTIFIER);
		} else if (strcmp(c, "application_risk_score") == 0) {
			CU_ASSERT(f[i].ie.id == 10604 && f[i].ie.len == 2 && f[i].ie.enterprise);
		} else if (strcmp(c, "dns_response_code") == 0) {
			CU_ASSERT(f[i].ie.id == 11014 && f[i].ie.type == SP_IPFIX_T_I8 &&
				  f[i].ie.len == 1);
		} else if (strcmp(c, "tls_cipher") == 0) {
			CU_ASSERT(f[i].ie.id == 15052 && f[i].ie.len == SP_IPFIX_VARLEN);
		} else if (strcmp(c, "bidirectional_first_seen_ms") == 0) {
			CU_ASSERT(f[i].ie.id == 152 && f[i].ie.type == SP_IPFIX_T_DT_MS);
		} else if (strcmp(c, "src_oui") == 0) {
			CU_ASSERT(f[i].ie.id == 1 && f[i].ie.len == 3);
		}
	}
	CU_ASSERT(strcmp(sp_ipfix_type_name(SP_IPFIX_T_DT_MS), "dateTimeMilliseconds") == 0);
	/* The XML names every enterprise element; errors are reported. */
	m = open_memstream(&xml, &xl);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(sp_export_ipfix_elements(m, SP_IPFIX_ELEMENTS_XML, NULL, 0) == 0);
	fclose(m);
	CU_ASSERT(strstr(xml, "<name>dst2srcFinPackets</name>") != NULL);
	CU_ASSERT(strstr(xml, "<cert:enterpriseId>32473</cert:enterpriseId>") != NULL);
	CU_ASSERT(strstr(xml, "<elementId>16425</elementId>") != NULL);
	CU_ASSERT(strstr(xml, "<name>spltPiatMs</name>") != NULL);
	CU_ASSERT(strstr(xml, "httpUserAgent") == NULL);	/* IANA's are not redefined */
	free(xml);
	CU_ASSERT(sp_export_ipfix_elements(stdout, (enum sp_ipfix_elements_format)9, NULL, 0) ==
		  -EINVAL);
	sp_plugins_unload(ps);
}

int
sp_test_register(void)
{
	CU_pSuite s;

	s = CU_add_suite("ipfix", suite_init, suite_clean);
	if (s == NULL)
		return -1;
	if (CU_add_test(s, "core template and record byte for byte",
			test_core_template_and_record_bytes) == NULL ||
	    CU_add_test(s, "IPv4 and IPv6 templates", test_v4_v6_templates) == NULL ||
	    CU_add_test(s, "varlen strings, basicLists, statistics", test_strings_and_lists) ==
	    NULL ||
	    CU_add_test(s, "flowEndReason and SPLT length check",
			test_end_reason_and_splt_mismatch) == NULL ||
	    CU_add_test(s, "UDP messages within the MTU", test_udp_mtu) == NULL ||
	    CU_add_test(s, "UDP template refresh by count and time",
			test_udp_template_refresh) == NULL ||
	    CU_add_test(s, "TCP buffer bound and dropped count", test_tcp_buffer_bound) == NULL ||
	    CU_add_test(s, "TCP reconnect resends templates", test_tcp_reconnect) == NULL ||
	    CU_add_test(s, "losses reported with their cause, rate-limited",
			test_loss_reports) == NULL ||
	    CU_add_test(s, "UDP ICMP errors counted", test_udp_refused) == NULL ||
	    CU_add_test(s, "UDP rate, waiting: all delivered, at the rate",
			test_udp_pace_wait) == NULL ||
	    CU_add_test(s, "UDP rate, not waiting: one batch held, the rest dropped",
			test_udp_pace_drop) == NULL ||
	    CU_add_test(s, "file rotation by size", test_file_rotation) == NULL ||
	    CU_add_test(s, "file rotation by time", test_file_rotation_by_time) == NULL ||
	    CU_add_test(s, "transport table; file transport through its ops",
			test_transport_ops) == NULL ||
	    CU_add_test(s, "file write failure dropped, counted, returned",
			test_file_write_failure) == NULL ||
	    CU_add_test(s, "a short file write leaves whole messages",
			test_file_partial_write) == NULL ||
	    CU_add_test(s, "columns added later", test_new_columns) == NULL ||
	    CU_add_test(s, "bad URIs and parameters", test_open_errors) == NULL ||
	    CU_add_test(s, "element mapping rules", test_element_rules) == NULL)
		return -1;
	return 0;
}
