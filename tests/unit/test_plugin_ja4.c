/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shipped ja4 plugin (lib/plugins/ja4.c) against NFStream's JA4().
 *
 * Without arguments: the plugin's interface, and hand-built flows (TLS
 * hellos, whole, cut at many points, with corrupted bytes and absurd
 * lengths) whose udps.ja4 / udps.ja4s were computed by running NFStream's
 * own ja4.py on the same packets (tests/helpers/ja4_cases.py), plus random
 * garbage that must give a defined value without a crash.
 *
 * With --corpus (the plugin_ja4-corpus test): every capture of
 * ../shared/corpus that has NFStream's output with its plugins
 * (expected-plugins/), read with libpcap and lib/parse, grouped into flows
 * as NFStream does (5-tuple both ways, first packet gives src, idle 120 s and
 * active 1800 s), the plugin driven packet by packet, and both columns
 * compared with NFStream's for every flow; exit 77 (meson: SKIP) without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "sp_parse.h"
#include "sp_plugin.h"
#include "sp_test.h"
#include "sp_test_ja4_rec.h"
#include "test_plugin_ja4_cases.h"

extern const struct sp_plugin sp_plugin_ja4;

/* a CSV cell of NFStream's, plenty for these columns */
#define JA4S_CELL 8192

static struct sp_plugin_config cfg;
static void *wctx;

static int
suite_init(void)
{
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	if (sp_plugin_ja4.configure(NULL, 0, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ja4 configure: %s\n", err);
		return -1;
	}
	wctx = sp_plugin_ja4.worker_init(cfg.conf, 0, 0, 1024);
	return wctx == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	sp_plugin_ja4.worker_fini(wctx);
	sp_plugin_ja4.deconfigure(cfg.conf);
	return 0;
}

/* An IPv4/TCP packet as the core hands it: ip, ip_len, payload_offset, flags. */
struct tpkt {
	uint8_t b[20 + 20 + 4096];
	struct sp_plugin_packet p;
};

static void
tpkt_build(struct tpkt *t, uint8_t dir, uint8_t flags, const uint8_t *pl, uint32_t n)
{
	uint8_t *ip = t->b, *tcp = t->b + 20;
	uint32_t tot = 40 + n;

	memset(t->b, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[5] = 1;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10;
	ip[15] = 1;
	ip[16] = 10;
	ip[19] = 2;
	tcp[0] = 50000 >> 8;
	tcp[1] = 50000 & 0xff;
	tcp[3] = 443 & 0xff;
	tcp[2] = 443 >> 8;
	tcp[7] = 1;
	tcp[11] = 1;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	if (n > 0)
		memcpy(t->b + 40, pl, n);
	memset(&t->p, 0, sizeof(t->p));
	t->p.direction = dir;
	t->p.ip_version = 4;
	t->p.protocol = 6;
	t->p.tcp_flags = flags;
	t->p.ip = t->b;
	t->p.ip_len = tot;
	t->p.payload_offset = 40;
	t->p.payload_size = (uint16_t)n;
	t->p.ip_size = (uint16_t)tot;
}

/* Sets the IP total length to cover n payload bytes, whatever is captured. */
static void
tpkt_tot(struct tpkt *t, uint32_t n)
{
	t->b[2] = (uint8_t)((40 + n) >> 8);
	t->b[3] = (uint8_t)(40 + n);
	t->p.ip_size = (uint16_t)(40 + n);
	t->p.payload_size = (uint16_t)n;
}

/*
 * The case's client or server payload after its mutations (ja4_cases.py
 * mutate()); *pad: how many bytes after it are captured beyond the IP total
 * length (Ethernet padding, op 4).
 */
static uint32_t
mutated(uint8_t *dst, uint32_t cap, const uint8_t *src, uint32_t n, const struct ja4_mut *m,
	unsigned int nm, uint32_t *pad)
{
	unsigned int i, k;
	uint32_t full = n;

	memcpy(dst, src, n);
	*pad = 0;
	for (i = 0; i < nm; i++) {
		if (m[i].op == 1 && m[i].a < n)
			n = m[i].a;
		else if (m[i].op == 4)
			*pad = full - n;	/* dst still holds the cut bytes */
		/* op 5 is applied to the packet by hdr_mutate() */
		else if (m[i].op == 2 && m[i].a < n)
			dst[m[i].a] = (uint8_t)m[i].b;
		else if (m[i].op == 3)
			for (k = 0; k < m[i].b && n < cap; k++)
				dst[n++] = (uint8_t)m[i].a;
	}
	return n;
}

/* Mutations of the IP and TCP headers (op 5: byte a of the IP packet = b). */
static void
hdr_mutate(struct tpkt *t, const struct ja4_mut *m, unsigned int nm)
{
	unsigned int i;

	for (i = 0; i < nm; i++)
		if (m[i].op == 5 && m[i].a < t->p.ip_len)
			t->b[m[i].a] = (uint8_t)m[i].b;
}

/* Runs one flow of packets through the plugin; the record gets its columns. */
static void
run_flow(struct tpkt *pk, unsigned int n, struct sp_plugin_record *rec)
{
	struct sp_plugin_flow fl;
	uint8_t slot[1024];
	unsigned int i;
	int v = SP_PLUGIN_CONTINUE;

	CU_ASSERT_FATAL(cfg.slot_size <= sizeof(slot));
	memset(&fl, 0, sizeof(fl));
	memset(slot, 0, cfg.slot_size);
	for (i = 0; i < n; i++) {
		if (i == 0)
			v = sp_plugin_ja4.on_init(wctx, slot, &pk[i].p, &fl);
		else if (v == SP_PLUGIN_CONTINUE)
			v = sp_plugin_ja4.on_update(wctx, slot, &pk[i].p, &fl);
		CU_ASSERT(v == SP_PLUGIN_CONTINUE || v == SP_PLUGIN_DONE);
	}
	sp_test_rec_reset(rec, cfg.columns, cfg.n_columns);
	sp_plugin_ja4.on_expire(wctx, slot, &fl, rec);
}

/* A value against NFStream's (NULL: None), the column's cut included. */
static bool
same(const struct sp_test_rec_value *v, const char *want, uint16_t max)
{
	size_t n;

	if (want == NULL)
		return !v->set;
	n = strlen(want);
	if (n > max)
		n = max;
	return v->set && v->len == n && memcmp(v->text, want, n) == 0;
}

static void
test_config(void)
{
	struct sp_plugin_option o = { "x", "1" };
	struct sp_plugin_config c;
	char err[128] = "";

	CU_ASSERT_EQUAL(sp_plugin_ja4.abi_version, SP_PLUGIN_ABI_VERSION);
	CU_ASSERT_STRING_EQUAL(sp_plugin_ja4.name, "ja4");
	CU_ASSERT_EQUAL(sp_plugin_ja4.configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "'x'") != NULL);
	CU_ASSERT_EQUAL_FATAL(cfg.n_columns, 2);
	CU_ASSERT_STRING_EQUAL(cfg.columns[0].name, "udps.ja4");
	CU_ASSERT_STRING_EQUAL(cfg.columns[1].name, "udps.ja4s");
	CU_ASSERT_EQUAL(cfg.columns[0].type, SP_PLUGIN_STRING);
	CU_ASSERT_EQUAL(cfg.columns[1].type, SP_PLUGIN_STRING);
	CU_ASSERT(cfg.slot_size > 0 && cfg.slot_size <= 256);
}

/* Every case of ja4_cases.py: the values NFStream's ja4.py gave. */
static void
test_nfstream_cases(void)
{
	static struct tpkt pk[8];
	static struct sp_plugin_record rec;
	static uint8_t cb[4096], sb[4096];
	unsigned int i, k, ok = 0, bad = 0, valued = 0;
	uint32_t cn, sn, cpad, spad;

	for (i = 0; i < sizeof(ja4_cases) / sizeof(ja4_cases[0]); i++) {
		const struct ja4_case *c = &ja4_cases[i];

		cn = mutated(cb, sizeof(cb), ja4_payloads[c->client].b, ja4_payloads[c->client].n,
			     c->cm, c->nc, &cpad);
		sn = mutated(sb, sizeof(sb), ja4_payloads[c->server].b, ja4_payloads[c->server].n,
			     c->sm, c->ns, &spad);
		for (k = 0; k < ja4_scenario_len[c->scenario]; k++) {
			const int8_t *s = ja4_scenarios[c->scenario][k];

			if (s[2] == -2) {
				/* the IP total length covers cn bytes; cpad more are captured */
				tpkt_build(&pk[k], (uint8_t)s[0], (uint8_t)s[1], cb, cn + cpad);
				tpkt_tot(&pk[k], cn);
				hdr_mutate(&pk[k], c->cm, c->nc);
			} else if (s[2] == -3) {
				tpkt_build(&pk[k], (uint8_t)s[0], (uint8_t)s[1], sb, sn + spad);
				tpkt_tot(&pk[k], sn);
				hdr_mutate(&pk[k], c->sm, c->ns);
			} else if (s[2] >= 0)
				tpkt_build(&pk[k], (uint8_t)s[0], (uint8_t)s[1],
					   ja4_payloads[s[2]].b, ja4_payloads[s[2]].n);
			else
				tpkt_build(&pk[k], (uint8_t)s[0], (uint8_t)s[1], NULL, 0);
		}
		run_flow(pk, ja4_scenario_len[c->scenario], &rec);
		if (same(&rec.v[0], c->ja4, cfg.columns[0].max) &&
		    same(&rec.v[1], c->ja4s, cfg.columns[1].max)) {
			ok++;
		} else {
			bad++;
			printf("\n  case %u: ja4 %s (NFStream %s), ja4s %s (NFStream %s)", i,
			       rec.v[0].set ? rec.v[0].text : "None", c->ja4 ? c->ja4 : "None",
			       rec.v[1].set ? rec.v[1].text : "None", c->ja4s ? c->ja4s : "None");
		}
		valued += c->ja4 != NULL;
	}
	printf("\n  %u cases (%u with a ja4), %u as NFStream, %u differ\n", ok + bad, valued, ok,
	       bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(valued > 100 && ok + bad > 600);
}

/* Outside the fingerprinted flows: IPv6, no SYN first, a SYN+ACK first. */
static void
test_not_eligible(void)
{
	struct tpkt pk[5];
	struct sp_plugin_record rec;
	struct sp_plugin_flow fl;
	uint8_t slot[256];
	unsigned int i;

	tpkt_build(&pk[0], 0, 0x02, NULL, 0);
	tpkt_build(&pk[1], 1, 0x12, NULL, 0);
	tpkt_build(&pk[2], 0, 0x10, NULL, 0);
	tpkt_build(&pk[3], 0, 0x18, ja4_payloads[0].b, ja4_payloads[0].n);
	tpkt_build(&pk[4], 1, 0x18, ja4_payloads[2].b, ja4_payloads[2].n);
	run_flow(pk, 5, &rec);
	CU_ASSERT(rec.v[0].set && rec.v[1].set);
	/* the same flow as IPv6 (NFStream's get_protocol: None) is done at once */
	memset(&fl, 0, sizeof(fl));
	memset(slot, 0, sizeof(slot));
	for (i = 0; i < 5; i++)
		pk[i].p.ip_version = 6;
	CU_ASSERT_EQUAL(sp_plugin_ja4.on_init(wctx, slot, &pk[0].p, &fl), SP_PLUGIN_DONE);
	sp_test_rec_reset(&rec, cfg.columns, cfg.n_columns);
	sp_plugin_ja4.on_expire(wctx, slot, &fl, &rec);
	CU_ASSERT(!rec.v[0].set && !rec.v[1].set);
	/* first packet a SYN+ACK: never eligible */
	for (i = 0; i < 5; i++)
		pk[i].p.ip_version = 4;
	memset(slot, 0, sizeof(slot));
	CU_ASSERT_EQUAL(sp_plugin_ja4.on_init(wctx, slot, &pk[1].p, &fl), SP_PLUGIN_DONE);
	/* done once both hellos are read */
	memset(slot, 0, sizeof(slot));
	CU_ASSERT_EQUAL(sp_plugin_ja4.on_init(wctx, slot, &pk[0].p, &fl), SP_PLUGIN_CONTINUE);
	for (i = 1; i < 4; i++)
		CU_ASSERT_EQUAL(sp_plugin_ja4.on_update(wctx, slot, &pk[i].p, &fl),
				SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(sp_plugin_ja4.on_update(wctx, slot, &pk[4].p, &fl), SP_PLUGIN_DONE);
}

/*
 * Hostile input: random bytes and random corruptions of the hellos, short
 * and inconsistent IP and TCP headers. No crash (worth running under
 * -Db_sanitize=address,undefined: clean when written), values within their
 * column, and the same input twice gives the same value.
 */
static void
test_hostile(void)
{
	static struct tpkt pk[5];
	static struct sp_plugin_record rec, rec2;
	static uint8_t b[4096];
	unsigned int it, k, n, valued = 0;
	uint32_t seed = 12345;

	for (it = 0; it < 20000; it++) {
		unsigned int np = sizeof(ja4_payloads) / sizeof(ja4_payloads[0]);

		n = ja4_payloads[it % np].n;
		memcpy(b, ja4_payloads[it % np].b, n);
		for (k = 0; k < 1 + it % 6; k++) {
			seed = seed * 1103515245u + 12345u;
			b[(seed >> 8) % n] = (uint8_t)(seed >> 24);
		}
		if (it % 5 == 0) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 8) % n;
		}
		if (it % 97 == 0)
			for (k = 0; k < n; k++) {
				seed = seed * 1103515245u + 12345u;
				b[k] = (uint8_t)(seed >> 16);
			}
		tpkt_build(&pk[0], 0, 0x02, NULL, 0);
		tpkt_build(&pk[1], 1, 0x12, NULL, 0);
		tpkt_build(&pk[2], 0, 0x10, NULL, 0);
		tpkt_build(&pk[3], 0, 0x18, it % 2 ? b : ja4_payloads[0].b,
			   it % 2 ? n : ja4_payloads[0].n);
		tpkt_build(&pk[4], 1, 0x18, b, n);
		if (it % 13 == 0)	/* captured bytes shorter than the IP length */
			pk[3].p.ip_len = pk[4].p.ip_len = 20 + it % 40;
		if (it % 17 == 0)	/* a TCP data offset past the end */
			pk[3].b[32] = pk[4].b[32] = 0xf0;
		if (it % 19 == 0)	/* an IP header length below 20 */
			pk[4].b[0] = 0x41;
		if (it % 23 == 0)	/* total length 0 (TSO) or below the header */
			pk[3].b[2] = pk[3].b[3] = pk[4].b[3] = 0;
		run_flow(pk, 5, &rec);
		run_flow(pk, 5, &rec2);
		CU_ASSERT(rec.v[0].len <= cfg.columns[0].max && rec.v[1].len <= cfg.columns[1].max);
		CU_ASSERT(rec.v[0].set == rec2.v[0].set && rec.v[1].set == rec2.v[1].set &&
			  strcmp(rec.v[0].text, rec2.v[0].text) == 0 &&
			  strcmp(rec.v[1].text, rec2.v[1].text) == 0);
		CU_ASSERT(!rec.v[0].set || rec.v[0].text[0] == 't');
		valued += rec.v[1].set;
	}
	printf("\n  20000 hostile flows, %u with a ja4s\n", valued);
}

/* ---- the corpus ---- */

static bool
corpus_dir(char *dir, size_t len)
{
	const char *env = getenv("SP_CORPUS");

	if (env != NULL && env[0] != '\0')
		snprintf(dir, len, "%s", env);
	else
		snprintf(dir, len, "%s/../shared/corpus", SP_TEST_SOURCE_ROOT);
	return access(dir, R_OK) == 0;
}

/* One row of NFStream's CSV: the match key and the two plugin cells. */
struct exp_flow {
	char a[64], b[64];	/* "ip|port" of each end, ordered */
	uint8_t protocol;
	uint16_t vlan;
	uint8_t tunnel;
	uint64_t first_seen;
	char ja4[JA4S_CELL];
	char ja4s[JA4S_CELL];
	bool matched;
};

/* NFStream's CSV dialect: quoted strings, \" inside, no doubled quotes. */
static int
csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line, *w;

	while (n < max) {
		if (*p == '"') {
			p++;
			f[n++] = w = p;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				*w++ = *p++;
			}
			if (*p == '"')
				p++;
			*w = '\0';
			if (*p == ',')
				p++;
			else
				break;
			*(w) = '\0';
		} else {
			f[n++] = p;
			while (*p != '\0' && *p != ',' && *p != '\n' && *p != '\r')
				p++;
			if (*p != ',') {
				*p = '\0';
				break;
			}
			*p++ = '\0';
		}
	}
	return n;
}

static void
end_key(char *dst, size_t n, const char *ip, const char *port)
{
	snprintf(dst, n, "%.46s|%.7s", ip, port);
}

static void
order_ends(char *a, char *b)
{
	char t[64];

	if (strcmp(a, b) > 0) {
		memcpy(t, a, 64);
		memcpy(a, b, 64);
		memcpy(b, t, 64);
	}
}

/* Reads expected-plugins/<name>.csv.gz; returns the number of rows (or -1). */
static int
read_expected(const char *path, struct exp_flow **out)
{
	static char line[1 << 20];
	char *f[128];
	int idx[11] = { -1, -1, -1, -1, -1, -1, -1, -1, -1 }, nf, i, n = 0, cap = 0;
	const char *want[] = { "src_ip", "src_port", "dst_ip", "dst_port", "protocol", "vlan_id",
			       "tunnel_id", "bidirectional_first_seen_ms" };
	struct exp_flow *e = NULL, *x;
	gzFile gz = gzopen(path, "rb");

	*out = NULL;
	if (gz == NULL)
		return -1;
	if (gzgets(gz, line, sizeof(line)) == NULL) {
		gzclose(gz);
		return 0;
	}
	nf = csv_split(line, f, 128);
	for (i = 0; i < nf; i++)
		for (int k = 0; k < 8; k++)
			if (strcmp(f[i], want[k]) == 0)
				idx[k] = i;
	CU_ASSERT_FATAL(nf >= 2 && strcmp(f[nf - 2], "udps.ja4") == 0 &&
			strcmp(f[nf - 1], "udps.ja4s") == 0);
	for (i = 0; i < 8; i++)
		CU_ASSERT_FATAL(idx[i] >= 0);
	while (gzgets(gz, line, sizeof(line)) != NULL) {
		int m = csv_split(line, f, 128);

		if (m != nf)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			e = realloc(e, (size_t)cap * sizeof(*e));
			CU_ASSERT_FATAL(e != NULL);
		}
		x = &e[n++];
		memset(x, 0, sizeof(*x));
		end_key(x->a, sizeof(x->a), f[idx[0]], f[idx[1]]);
		end_key(x->b, sizeof(x->b), f[idx[2]], f[idx[3]]);
		order_ends(x->a, x->b);
		x->protocol = (uint8_t)atoi(f[idx[4]]);
		x->vlan = (uint16_t)atoi(f[idx[5]]);
		x->tunnel = (uint8_t)atoi(f[idx[6]]);
		x->first_seen = strtoull(f[idx[7]], NULL, 10);
		snprintf(x->ja4, sizeof(x->ja4), "%s", f[nf - 2]);
		snprintf(x->ja4s, sizeof(x->ja4s), "%s", f[nf - 1]);
	}
	gzclose(gz);
	*out = e;
	return n;
}

/* A flow of the test's own table. */
struct tflow {
	struct sp_pkt_meta key;	/* the first packet's */
	uint64_t first_seen, last_seen;
	int verdict;
	bool live;
	uint8_t slot[256];
	struct tflow *next;
};

#define TF_BUCKETS 4096

struct corpus_stats {
	unsigned int captures, flows, matched, unmatched_nfs, unmatched_ours, unmatched_tcp,
		valued_ja4, valued_ja4s, differ;
};

static bool
same_flow(const struct sp_pkt_meta *k, const struct sp_pkt_meta *m, uint8_t *dir)
{
	if (k->protocol != m->protocol || k->vlan_id != m->vlan_id ||
	    k->tunnel_id != m->tunnel_id || k->ip_version != m->ip_version)
		return false;
	if (memcmp(k->src_ip, m->src_ip, 16) == 0 && memcmp(k->dst_ip, m->dst_ip, 16) == 0 &&
	    k->src_port == m->src_port && k->dst_port == m->dst_port) {
		*dir = 0;
		return true;
	}
	if (memcmp(k->src_ip, m->dst_ip, 16) == 0 && memcmp(k->dst_ip, m->src_ip, 16) == 0 &&
	    k->src_port == m->dst_port && k->dst_port == m->src_port) {
		*dir = 1;
		return true;
	}
	return false;
}

static unsigned int
flow_hash(const struct sp_pkt_meta *m)
{
	unsigned int h = m->protocol * 31u + (m->src_port ^ m->dst_port), i;

	for (i = 0; i < 16; i++)
		h += (unsigned int)(m->src_ip[i] ^ m->dst_ip[i]) * (i + 7);
	return h % TF_BUCKETS;
}

static void
ip_text(const uint8_t *ip, int v, char *t, size_t n)
{
	inet_ntop(v == 4 ? AF_INET : AF_INET6, ip, t, (socklen_t)n);
}

/* The flow ends: its columns against NFStream's flow of the same key. */
static void
flow_end(struct tflow *f, struct exp_flow *e, int ne, struct corpus_stats *st, const char *name)
{
	struct sp_plugin_record *rec = malloc(sizeof(*rec));
	struct sp_plugin_flow fl;
	char a[64], b[64], ip[64], port[8];
	int i;

	CU_ASSERT_FATAL(rec != NULL);
	memset(&fl, 0, sizeof(fl));
	sp_test_rec_reset(rec, cfg.columns, cfg.n_columns);
	sp_plugin_ja4.on_expire(wctx, f->slot, &fl, rec);
	f->live = false;
	st->flows++;
	ip_text(f->key.src_ip, f->key.ip_version, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", f->key.src_port);
	end_key(a, sizeof(a), ip, port);
	ip_text(f->key.dst_ip, f->key.ip_version, ip, sizeof(ip));
	snprintf(port, sizeof(port), "%u", f->key.dst_port);
	end_key(b, sizeof(b), ip, port);
	order_ends(a, b);
	for (i = 0; i < ne; i++) {
		if (e[i].matched || e[i].first_seen != f->first_seen ||
		    e[i].protocol != f->key.protocol || e[i].vlan != f->key.vlan_id ||
		    e[i].tunnel != f->key.tunnel_id || strcmp(e[i].a, a) != 0 ||
		    strcmp(e[i].b, b) != 0)
			continue;
		e[i].matched = true;
		st->matched++;
		if (strcmp(rec->v[0].text, e[i].ja4) != 0 || strcmp(rec->v[1].text, e[i].ja4s) != 0) {
			st->differ++;
			printf("\n  %s %s-%s: ja4 '%s' ja4s '%s', NFStream '%s' '%s'", name, a, b,
			       rec->v[0].text, rec->v[1].text, e[i].ja4, e[i].ja4s);
		}
		free(rec);
		return;
	}
	if (rec->v[0].set || rec->v[1].set) {
		st->differ++;
		printf("\n  %s %s-%s: ja4 '%s' on a flow NFStream does not have", name, a, b,
		       rec->v[0].text);
	}
	st->unmatched_ours++;
	if (f->key.protocol == 6) {
		st->unmatched_tcp++;
		printf("\n  %s %s-%s: a TCP flow NFStream does not have", name, a, b);
	}
	free(rec);
}

static void
run_capture(const char *dir, const char *name, struct corpus_stats *st)
{
	char path[PATH_MAX + 64], err[PCAP_ERRBUF_SIZE];
	struct exp_flow *e;
	struct tflow **tab, *f, *all = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct sp_plugin_packet p;
	struct sp_pkt_meta m;
	uint64_t t, tick = 0;
	uint8_t dir_;
	pcap_t *pc;
	int ne, dlt, i;

	snprintf(path, sizeof(path), "%s/expected-plugins/%s.csv.gz", dir, name);
	ne = read_expected(path, &e);
	if (ne <= 0) {
		free(e);
		return;
	}
	snprintf(path, sizeof(path), "%s/pcaps/%s", dir, name);
	pc = pcap_open_offline(path, err);
	CU_ASSERT_FATAL(pc != NULL);
	dlt = pcap_datalink(pc);
	tab = calloc(TF_BUCKETS, sizeof(*tab));
	CU_ASSERT_FATAL(tab != NULL);
	st->captures++;
	while (pcap_next_ex(pc, &h, &data) == 1) {
		if (sp_parse_packet(data, h->caplen, h->len, dlt, true, &m) != SP_PARSE_OK)
			continue;
		t = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		if (t > tick)
			tick = t;
		else
			t = tick;	/* NFStream's forced monotonic clock */
		for (f = tab[flow_hash(&m)]; f != NULL; f = f->next)
			if (f->live && same_flow(&f->key, &m, &dir_))
				break;
		if (f != NULL && (t - f->last_seen >= 120000 || t - f->first_seen >= 1800000)) {
			flow_end(f, e, ne, st, name);
			f = NULL;
		}
		memset(&p, 0, sizeof(p));
		p.time_ms = t;
		p.ip_version = m.ip_version;
		p.protocol = m.protocol;
		p.tcp_flags = m.tcp_flags;
		p.ip = data + m.ip_offset;
		p.ip_len = h->caplen - m.ip_offset;
		if (f == NULL) {
			f = calloc(1, sizeof(*f));
			CU_ASSERT_FATAL(f != NULL && cfg.slot_size <= sizeof(f->slot));
			f->key = m;
			f->first_seen = t;
			f->live = true;
			f->next = tab[flow_hash(&m)];
			tab[flow_hash(&m)] = f;
			p.direction = 0;
			f->verdict = sp_plugin_ja4.on_init(wctx, f->slot, &p, NULL);
		} else {
			p.direction = dir_;
			if (f->verdict == SP_PLUGIN_CONTINUE)
				f->verdict = sp_plugin_ja4.on_update(wctx, f->slot, &p, NULL);
		}
		f->last_seen = t;
	}
	pcap_close(pc);
	/* the end of the capture ends the rest */
	for (i = 0; i < TF_BUCKETS; i++)
		while (tab[i] != NULL) {
			f = tab[i];
			tab[i] = f->next;
			if (f->live)
				flow_end(f, e, ne, st, name);
			f->next = all;
			all = f;
		}
	while (all != NULL) {
		f = all->next;
		free(all);
		all = f;
	}
	for (i = 0; i < ne; i++) {
		st->valued_ja4 += e[i].ja4[0] != '\0';
		st->valued_ja4s += e[i].ja4s[0] != '\0';
		if (e[i].matched)
			continue;
		st->unmatched_nfs++;
		if (e[i].protocol == 6) {
			st->unmatched_tcp++;
			printf("\n  %s %s-%s: NFStream's TCP flow not found here", name, e[i].a,
			       e[i].b);
		}
		if (e[i].ja4[0] != '\0' || e[i].ja4s[0] != '\0') {
			st->differ++;
			printf("\n  %s %s-%s: NFStream's ja4 '%s' on a flow not found here", name,
			       e[i].a, e[i].b, e[i].ja4);
		}
	}
	free(tab);
	free(e);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_corpus(void)
{
	char dir[PATH_MAX], cmd[PATH_MAX + 64], line[PATH_MAX], *names[512];
	struct corpus_stats st = { 0 };
	unsigned int n = 0, i;
	FILE *ls;

	CU_ASSERT_FATAL(corpus_dir(dir, sizeof(dir)));
	snprintf(cmd, sizeof(cmd), "ls '%s/pcaps'", dir);
	ls = popen(cmd, "r");
	CU_ASSERT_FATAL(ls != NULL);
	while (n < 512 && fgets(line, sizeof(line), ls) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		names[n++] = strdup(line);
	}
	pclose(ls);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		run_capture(dir, names[i], &st);
		free(names[i]);
	}
	/*
	 * NFStream's DHCP plugin, run with JA4 in expected-plugins/, ends DHCP
	 * flows early: those UDP flows are cut differently here, no TCP one.
	 */
	printf("\n  %u captures, %u flows here, %u matched NFStream's (%u of NFStream's and %u of"
	       " ours unmatched, %u of them TCP); NFStream has %u ja4 and %u ja4s values;"
	       " %u differ\n", st.captures, st.flows, st.matched, st.unmatched_nfs,
	       st.unmatched_ours, st.unmatched_tcp, st.valued_ja4, st.valued_ja4s, st.differ);
	CU_ASSERT_EQUAL(st.unmatched_tcp, 0);
	CU_ASSERT(st.captures > 100);
	CU_ASSERT(st.valued_ja4 > 300);
	CU_ASSERT_EQUAL(st.differ, 0);
}

int
sp_test_register(void)
{
	bool corpus = sp_test_argc > 1 && strcmp(sp_test_argv[1], "--corpus") == 0;
	char dir[PATH_MAX];
	CU_pSuite s;

	if (corpus && !corpus_dir(dir, sizeof(dir))) {
		printf("plugin_ja4-corpus: no corpus at %s (set SP_CORPUS): skipped\n", dir);
		exit(77);
	}
	s = CU_add_suite(corpus ? "plugin_ja4_corpus" : "plugin_ja4", suite_init, suite_clean);
	if (s == NULL)
		return -1;
	if (corpus)
		return CU_add_test(s, "corpus: udps.ja4 and udps.ja4s = NFStream's, every flow",
				   test_corpus) == NULL ? -1 : 0;
	if (CU_add_test(s, "interface: columns, options", test_config) == NULL ||
	    CU_add_test(s, "hand-built flows = NFStream's ja4.py", test_nfstream_cases) == NULL ||
	    CU_add_test(s, "flows not fingerprinted, verdicts", test_not_eligible) == NULL ||
	    CU_add_test(s, "hostile input", test_hostile) == NULL)
		return -1;
	return 0;
}
