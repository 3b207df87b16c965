/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test doubles of the run's side of sp_plugin.h (record setters, flow
 * getters), NFStream's CSV text of the values, and a small NFStream-like
 * meter over corpus captures to compare plugin columns with NFStream's own
 * output (sp_test_plugin_rec.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <zlib.h>

#include "sp_test_plugin_rec.h"

/* ---- record ---- */

struct sp_plugin_record *
sp_test_rec_new(const struct sp_plugin_column *cols, unsigned int n)
{
	struct sp_plugin_record *r = calloc(1, sizeof(*r));

	if (r == NULL || n > SP_TEST_REC_COLS)
		abort();
	r->cols = cols;
	r->n = n;
	for (unsigned int c = 0; c < n; c++)
		for (unsigned int e = 0; e < SP_TEST_REC_ELTS; e++)
			if ((r->v[c].strs[e] = malloc(SP_TEST_REC_STR)) == NULL)
				abort();
	return r;
}

void
sp_test_rec_free(struct sp_plugin_record *r)
{
	if (r == NULL)
		return;
	for (unsigned int c = 0; c < r->n; c++)
		for (unsigned int e = 0; e < SP_TEST_REC_ELTS; e++)
			free(r->v[c].strs[e]);
	free(r);
}

void
sp_test_rec_clear(struct sp_plugin_record *r)
{
	for (unsigned int c = 0; c < r->n; c++) {
		r->v[c].set = false;
		r->v[c].n = 0;
	}
	r->cut = r->bad = 0;
}

static struct sp_test_rec_val *
val(struct sp_plugin_record *r, unsigned int col, enum sp_plugin_type t)
{
	if (col >= r->n || r->cols[col].type != t) {
		r->bad++;
		return NULL;
	}
	return &r->v[col];
}

void
sp_plugin_set_int(struct sp_plugin_record *r, unsigned int col, int64_t v)
{
	struct sp_test_rec_val *x = val(r, col, SP_PLUGIN_INT);

	if (x != NULL) {
		x->set = true;
		x->i = v;
	}
}

void
sp_plugin_set_uint(struct sp_plugin_record *r, unsigned int col, uint64_t v)
{
	struct sp_test_rec_val *x = val(r, col, SP_PLUGIN_UINT);

	if (x != NULL) {
		x->set = true;
		x->u = v;
	}
}

void
sp_plugin_set_double(struct sp_plugin_record *r, unsigned int col, double v)
{
	struct sp_test_rec_val *x = val(r, col, SP_PLUGIN_DOUBLE);

	if (x != NULL) {
		x->set = true;
		x->d = v;
	}
}

void
sp_plugin_set_string(struct sp_plugin_record *r, unsigned int col, const char *s, size_t len)
{
	struct sp_test_rec_val *x = val(r, col, SP_PLUGIN_STRING);

	if (x == NULL)
		return;
	if (len > r->cols[col].max || len > SP_TEST_REC_STR) {
		r->cut++;
		len = r->cols[col].max < SP_TEST_REC_STR ? r->cols[col].max : SP_TEST_REC_STR;
	}
	x->set = true;
	memcpy(x->str, s, len);
	x->n = (uint32_t)len;
}

static struct sp_test_rec_val *
list_val(struct sp_plugin_record *r, unsigned int col, enum sp_plugin_type t)
{
	struct sp_test_rec_val *x = val(r, col, t);

	if (x == NULL)
		return NULL;
	x->set = true;
	if (x->n >= r->cols[col].max || x->n >= SP_TEST_REC_ELTS) {
		r->cut++;
		return NULL;
	}
	return x;
}

void
sp_plugin_list_add_int(struct sp_plugin_record *r, unsigned int col, int64_t v)
{
	struct sp_test_rec_val *x = list_val(r, col, SP_PLUGIN_INT_LIST);

	if (x != NULL)
		x->ints[x->n++] = v;
}

void
sp_plugin_list_add_string(struct sp_plugin_record *r, unsigned int col, const char *s,
			  size_t len)
{
	struct sp_test_rec_val *x = list_val(r, col, SP_PLUGIN_STRING_LIST);

	if (x == NULL)
		return;
	if (len > r->cols[col].max_str) {
		r->cut++;
		len = r->cols[col].max_str;
	}
	memcpy(x->strs[x->n], s, len);
	x->slen[x->n++] = (uint16_t)len;
}

void
sp_plugin_list_clear(struct sp_plugin_record *r, unsigned int col)
{
	if (col >= r->n || (r->cols[col].type != SP_PLUGIN_INT_LIST &&
			    r->cols[col].type != SP_PLUGIN_STRING_LIST)) {
		r->bad++;
		return;
	}
	r->v[col].set = true;
	r->v[col].n = 0;
}

void
sp_plugin_set_none(struct sp_plugin_record *r, unsigned int col)
{
	if (col >= r->n) {
		r->bad++;
		return;
	}
	r->v[col].set = false;
	r->v[col].n = 0;
}

/* ---- flow ---- */

uint64_t
sp_plugin_flow_packets(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->packets[s];
}

uint64_t
sp_plugin_flow_bytes(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->bytes[s];
}

uint64_t
sp_plugin_flow_first_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->first_ms[s];
}

uint64_t
sp_plugin_flow_last_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return f->last_ms[s];
}

const uint8_t *
sp_plugin_flow_src_ip(const struct sp_plugin_flow *f)
{
	return f->src_ip;
}

const uint8_t *
sp_plugin_flow_dst_ip(const struct sp_plugin_flow *f)
{
	return f->dst_ip;
}

uint16_t
sp_plugin_flow_src_port(const struct sp_plugin_flow *f)
{
	return f->src_port;
}

uint16_t
sp_plugin_flow_dst_port(const struct sp_plugin_flow *f)
{
	return f->dst_port;
}

uint8_t
sp_plugin_flow_protocol(const struct sp_plugin_flow *f)
{
	return f->protocol;
}

uint8_t
sp_plugin_flow_ip_version(const struct sp_plugin_flow *f)
{
	return f->ip_version;
}

uint16_t
sp_plugin_flow_vlan_id(const struct sp_plugin_flow *f)
{
	return f->vlan_id;
}

/* ---- NFStream's text ---- */

/* Code points str.isprintable() rejects, beyond ASCII controls (the ones
 * a test may meet: C1, spaces other than ' ', format characters). */
static bool
py_unprintable(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0xa0) || cp == 0xad || (cp >= 0x600 && cp <= 0x605) ||
	       cp == 0x61c || cp == 0x1680 || cp == 0x180e || (cp >= 0x2000 && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202f) || (cp >= 0x205f && cp <= 0x2064) ||
	       cp == 0x3000 || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

size_t
sp_test_py_repr(const char *s, size_t n, char *out, size_t cap)
{
	const uint8_t *b = (const uint8_t *)s;
	bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
	char q = sq && !dq ? '"' : '\'';
	size_t o = 0;

#define PUT(...) (o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__))
	PUT("%c", q);
	for (size_t i = 0; i < n;) {
		uint32_t cp = b[i];
		size_t k = 1;

		if (cp >= 0xf0 && i + 3 < n) {
			cp = ((cp & 7u) << 18) | ((b[i + 1] & 0x3fu) << 12) |
			     ((b[i + 2] & 0x3fu) << 6) | (b[i + 3] & 0x3fu);
			k = 4;
		} else if (cp >= 0xe0 && i + 2 < n) {
			cp = ((cp & 0xfu) << 12) | ((b[i + 1] & 0x3fu) << 6) | (b[i + 2] & 0x3fu);
			k = 3;
		} else if (cp >= 0xc0 && i + 1 < n) {
			cp = ((cp & 0x1fu) << 6) | (b[i + 1] & 0x3fu);
			k = 2;
		}
		if (cp == '\\' || cp == (uint32_t)q)
			PUT("\\%c", (char)cp);
		else if (cp == '\t')
			PUT("\\t");
		else if (cp == '\n')
			PUT("\\n");
		else if (cp == '\r')
			PUT("\\r");
		else if (cp < 0x20 || cp == 0x7f ||
			 (cp >= 0x80 && cp < 0x100 && py_unprintable(cp)))
			PUT("\\x%02x", cp);
		else if (cp >= 0x100 && py_unprintable(cp))
			PUT("\\u%04x", cp);
		else
			PUT("%.*s", (int)k, s + i);
		i += k;
	}
	PUT("%c", q);
#undef PUT
	return o;
}

/* csv_converter: str(value) with '"' as '\"', in quotes */
static size_t
csv_quote(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	if (o < cap)
		out[o++] = '"';
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		if (s[i] == '"')
			out[o++] = '\\';
		out[o++] = s[i];
	}
	if (o < cap)
		out[o++] = '"';
	return o;
}

size_t
sp_test_rec_csv(const struct sp_plugin_record *r, unsigned int col, char *out, size_t cap)
{
	const struct sp_test_rec_val *x = &r->v[col];
	char *tmp;
	size_t o = 0, n;

	if (!x->set) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	switch (r->cols[col].type) {
	case SP_PLUGIN_INT:
		return (size_t)snprintf(out, cap, "%lld", (long long)x->i);
	case SP_PLUGIN_UINT:
		return (size_t)snprintf(out, cap, "%llu", (unsigned long long)x->u);
	case SP_PLUGIN_DOUBLE:
		return (size_t)snprintf(out, cap, "%.17g", x->d);
	case SP_PLUGIN_STRING:
		n = csv_quote(x->str, x->n, out, cap);
		break;
	case SP_PLUGIN_INT_LIST:
	case SP_PLUGIN_STRING_LIST:
		tmp = malloc(1 << 20);
		if (tmp == NULL)
			abort();
		o += (size_t)snprintf(tmp + o, (1 << 20) - o, "[");
		for (uint32_t e = 0; e < x->n; e++) {
			if (e)
				o += (size_t)snprintf(tmp + o, (1 << 20) - o, ", ");
			if (r->cols[col].type == SP_PLUGIN_INT_LIST)
				o += (size_t)snprintf(tmp + o, (1 << 20) - o, "%lld",
						      (long long)x->ints[e]);
			else
				o += sp_test_py_repr(x->strs[e], x->slen[e], tmp + o,
						     (1 << 20) - o);
		}
		o += (size_t)snprintf(tmp + o, (1 << 20) - o, "]");
		n = csv_quote(tmp, o, out, cap);
		free(tmp);
		break;
	default:
		n = 0;
	}
	if (n < cap)
		out[n] = '\0';
	return n;
}

/* ---- corpus ---- */

bool
sp_test_corpus_dir(char *dir, size_t len)
{
	const char *env = getenv("SP_CORPUS");
	char probe[4096];

	if (env != NULL && env[0] != '\0')
		snprintf(dir, len, "%s", env);
	else
		snprintf(dir, len, "%s/../shared/corpus", SP_TEST_SOURCE_ROOT);
	snprintf(probe, sizeof(probe), "%s/expected-plugins", dir);
	return access(probe, R_OK) == 0;
}

/* The expected CSV, split into raw cells (the exact text between commas). */
struct csv_tab {
	char *text;
	char ***rows;			/* rows[i][c]: NUL-terminated raw cells */
	unsigned int n_rows, n_cols;
	char **header;
	bool *used;
};

static char *
gz_slurp(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 1 << 20, n = 0;
	char *b;
	int k;

	if (g == NULL)
		return NULL;
	b = malloc(cap + 1);
	while (b != NULL && (k = gzread(g, b + n, (unsigned int)(cap - n))) > 0) {
		n += (size_t)k;
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
	}
	gzclose(g);
	if (b != NULL)
		b[n] = '\0';
	*len = n;
	return b;
}

/* NFStream's dialect: fields in quotes with '\' escaping the next byte. */
static char **
csv_row(char **pp, unsigned int *n_cells)
{
	char *p = *pp, **cells = NULL;
	unsigned int n = 0, cap = 0;

	if (*p == '\0')
		return NULL;
	for (;;) {
		char *start = p;
		bool q = false;

		while (*p != '\0' && (q || (*p != ',' && *p != '\n'))) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				q = !q;
			p++;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			cells = realloc(cells, cap * sizeof(*cells));
		}
		cells[n++] = start;
		if (*p == ',') {
			*p++ = '\0';
			continue;
		}
		if (*p == '\n')
			*p++ = '\0';
		break;
	}
	*pp = p;
	*n_cells = n;
	return cells;
}

static int
csv_load(const char *path, struct csv_tab *t)
{
	size_t len;
	char *p;
	unsigned int n, cap = 0;

	memset(t, 0, sizeof(*t));
	t->text = gz_slurp(path, &len);
	if (t->text == NULL)
		return -1;
	p = t->text;
	t->header = csv_row(&p, &t->n_cols);
	if (t->header == NULL)
		return -1;
	for (char **row; (row = csv_row(&p, &n)) != NULL;) {
		if (n != t->n_cols) {
			fprintf(stderr, "%s: a row of %u cells, %u in the header\n", path, n,
				t->n_cols);
			free(row);
			return -1;
		}
		if (t->n_rows == cap) {
			cap = cap ? cap * 2 : 256;
			t->rows = realloc(t->rows, cap * sizeof(*t->rows));
		}
		t->rows[t->n_rows++] = row;
	}
	t->used = calloc(t->n_rows + 1, sizeof(bool));
	return 0;
}

static void
csv_free(struct csv_tab *t)
{
	for (unsigned int i = 0; i < t->n_rows; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->header);
	free(t->used);
	free(t->text);
}

static int
csv_col(const struct csv_tab *t, const char *name)
{
	for (unsigned int c = 0; c < t->n_cols; c++)
		if (strcmp(t->header[c], name) == 0)
			return (int)c;
	return -1;
}

/* A flow as NFStream meters it. */
struct meter_flow {
	bool live;
	uint8_t lo[16], hi[16];
	uint16_t lo_port, hi_port;
	uint8_t proto, ipv;
	uint16_t vlan;
	bool done, expired;
	uint64_t first, last;
	struct sp_plugin_flow f;
	void *slot;
};

struct meter {
	const struct sp_plugin *pl;
	struct sp_plugin_config cfg;
	void *w;
	struct sp_plugin_record *rec;
	struct meter_flow *flows;
	unsigned int n, cap;
	struct csv_tab tab;
	int c_key[7], c_exp, c_cols[SP_TEST_REC_COLS];
	uint16_t port;
	bool compare;
	const char *capture;
	struct sp_test_corpus_res *res;
};

/* An address as the CSV has it: in quotes. */
static void
ip_text(uint8_t ipv, const uint8_t *a, char *out, size_t cap)
{
	out[0] = '"';
	inet_ntop(ipv == 4 ? AF_INET : AF_INET6, a, out + 1, (socklen_t)(cap - 2));
	strcat(out, "\"");
}

static void
flow_end(struct meter *m, struct meter_flow *mf)
{
	char key[6][64], cell[1 << 14];
	bool with_value = false;
	int row = -1;

	sp_test_rec_clear(m->rec);
	m->pl->on_expire(m->w, mf->slot, &mf->f, m->rec);
	mf->live = false;
	if (m->rec->bad != 0 || m->rec->cut != 0) {
		m->res->bad_calls++;
		printf("\n  %s: %llu bad setter calls, %llu values cut", m->capture,
		       (unsigned long long)m->rec->bad, (unsigned long long)m->rec->cut);
	}
	if (!m->compare || mf->f.dst_port != m->port)
		goto out;
	ip_text(mf->ipv, mf->f.src_ip, key[0], sizeof(key[0]));
	snprintf(key[1], sizeof(key[1]), "%u", mf->f.src_port);
	ip_text(mf->ipv, mf->f.dst_ip, key[2], sizeof(key[2]));
	snprintf(key[3], sizeof(key[3]), "%u", mf->f.dst_port);
	snprintf(key[4], sizeof(key[4]), "%u", mf->proto);
	snprintf(key[5], sizeof(key[5]), "%llu", (unsigned long long)mf->first);
	for (unsigned int i = 0; i < m->tab.n_rows && row < 0; i++) {
		bool eq = !m->tab.used[i];

		for (unsigned int k = 0; k < 6 && eq; k++)
			eq = strcmp(m->tab.rows[i][m->c_key[k]], key[k]) == 0;
		if (eq)
			row = (int)i;
	}
	if (row < 0) {
		m->res->unmatched++;
		printf("\n  %s: no expected flow %s:%s -> %s:%s proto %s first_seen %s",
		       m->capture, key[0], key[1], key[2], key[3], key[4], key[5]);
		goto out;
	}
	m->tab.used[row] = true;
	m->res->flows++;
	for (unsigned int c = 0; c < m->cfg.n_columns; c++) {
		const char *want = m->tab.rows[row][m->c_cols[c]];

		sp_test_rec_csv(m->rec, c, cell, sizeof(cell));
		m->res->cells++;
		if (cell[0] != '\0' && strcmp(cell, "\"[]\"") != 0)
			with_value = true;
		if (strcmp(cell, want) != 0) {
			m->res->differ++;
			printf("\n  %s: %s:%s -> %s:%s first_seen %s %s: streamprobe [%s] "
			       "NFStream [%s]", m->capture, key[0], key[1], key[2], key[3],
			       key[5], m->cfg.columns[c].name, cell, want);
		}
	}
	if (with_value)
		m->res->with_values++;
	if ((strcmp(m->tab.rows[row][m->c_exp], "-1") == 0) != mf->expired) {
		m->res->verdicts_differ++;
		printf("\n  %s: %s:%s -> %s:%s first_seen %s: expiration_id %s, plugin %s",
		       m->capture, key[0], key[1], key[2], key[3], key[5],
		       m->tab.rows[row][m->c_exp], mf->expired ? "expired" : "did not expire");
	}
out:
	free(mf->slot);
	mf->slot = NULL;
}

static void
meter_packet(struct meter *m, uint64_t t, uint8_t ipv, const uint8_t *ip, uint32_t ip_len,
	     const uint8_t *src, const uint8_t *dst, uint8_t proto, uint16_t sport,
	     uint16_t dport, uint16_t vlan, uint16_t ip_size)
{
	unsigned int alen = ipv == 4 ? 4 : 16;
	int cmp = memcmp(src, dst, alen);
	bool fwd = cmp < 0 || (cmp == 0 && sport <= dport);
	const uint8_t *lo = fwd ? src : dst, *hi = fwd ? dst : src;
	uint16_t lo_port = fwd ? sport : dport, hi_port = fwd ? dport : sport;
	struct meter_flow *mf = NULL;
	struct sp_plugin_packet p;
	int v;

	for (unsigned int i = 0; i < m->n; i++) {
		struct meter_flow *x = &m->flows[i];

		if (x->live && x->proto == proto && x->ipv == ipv && x->vlan == vlan &&
		    x->lo_port == lo_port && x->hi_port == hi_port &&
		    memcmp(x->lo, lo, alen) == 0 && memcmp(x->hi, hi, alen) == 0) {
			mf = x;
			break;
		}
	}
	if (mf != NULL && (t - mf->last >= 120000 || t - mf->first >= 1800000)) {
		flow_end(m, mf);
		mf = NULL;
	}
	memset(&p, 0, sizeof(p));
	p.time_ms = t;
	p.ip_version = ipv;
	p.protocol = proto;
	p.src_port = sport;
	p.dst_port = dport;
	p.vlan_id = vlan;
	p.src_ip = src;
	p.dst_ip = dst;
	p.ip = ip;
	p.ip_len = ip_len;
	p.ip_size = ip_size;
	if (mf == NULL) {
		unsigned int i;

		for (i = 0; i < m->n && m->flows[i].live; i++)
			;
		if (i == m->n) {
			if (m->n == m->cap) {
				m->cap = m->cap ? m->cap * 2 : 1024;
				m->flows = realloc(m->flows, m->cap * sizeof(*m->flows));
			}
			m->n++;
		}
		mf = &m->flows[i];
		memset(mf, 0, sizeof(*mf));
		mf->live = true;
		memcpy(mf->lo, lo, alen);
		memcpy(mf->hi, hi, alen);
		mf->lo_port = lo_port;
		mf->hi_port = hi_port;
		mf->proto = proto;
		mf->ipv = ipv;
		mf->vlan = vlan;
		mf->first = t;
		memcpy(mf->f.src_ip, src, alen);
		memcpy(mf->f.dst_ip, dst, alen);
		mf->f.src_port = sport;
		mf->f.dst_port = dport;
		mf->f.protocol = proto;
		mf->f.ip_version = ipv;
		mf->f.vlan_id = vlan;
		mf->slot = calloc(1, m->cfg.slot_size ? m->cfg.slot_size : 1);
		p.direction = 0;
		mf->last = t;
		mf->f.packets[0] = mf->f.packets[1] = 1;
		v = m->pl->on_init(m->w, mf->slot, &p, &mf->f);
	} else {
		p.direction = memcmp(src, mf->f.src_ip, alen) == 0 && sport == mf->f.src_port ?
			      0 : 1;
		mf->last = t;
		mf->f.packets[0]++;
		mf->f.packets[1 + p.direction]++;
		v = mf->done || m->pl->on_update == NULL ? SP_PLUGIN_DONE :
		    m->pl->on_update(m->w, mf->slot, &p, &mf->f);
	}
	if (v == SP_PLUGIN_DONE)
		mf->done = true;
	if (v == SP_PLUGIN_EXPIRE) {
		mf->expired = true;
		flow_end(m, mf);
	}
}

/* The frame's IP header, as NFStream's link layers find it. */
static const uint8_t *
frame_ip(int dlt, const uint8_t *b, uint32_t len, uint16_t *vlan)
{
	uint32_t off;
	uint16_t type;

	*vlan = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return NULL;
		type = (uint16_t)(b[12] << 8 | b[13]);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8) && off + 4 < len) {
			*vlan = (uint16_t)((b[off] << 8 | b[off + 1]) & 0xfff);
			type = (uint16_t)(b[off + 2] << 8 | b[off + 3]);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return NULL;
		type = (uint16_t)(b[14] << 8 | b[15]);
		off = 16;
		break;
	case DLT_RAW:
	case 101:
		if (len < 1)
			return NULL;
		type = (b[0] >> 4) == 6 ? 0x86dd : 0x0800;
		off = 0;
		break;
	case DLT_NULL:
		if (len < 4)
			return NULL;
		type = b[0] == 2 || b[3] == 2 ? 0x0800 : 0x86dd;
		off = 4;
		break;
	default:
		return NULL;
	}
	if ((type != 0x0800 && type != 0x86dd) || off >= len)
		return NULL;
	return b + off;
}

int
sp_test_plugin_corpus(const struct sp_plugin *pl, const char *corpus, const char *capture,
		      uint16_t port, bool expected, struct sp_test_corpus_res *res)
{
	static const char *const keys[7] = { "src_ip", "src_port", "dst_ip", "dst_port",
					     "protocol", "bidirectional_first_seen_ms", NULL };
	char path[4096], err[256], perr[PCAP_ERRBUF_SIZE];
	struct meter m;
	struct pcap_pkthdr *h;
	const u_char *b;
	pcap_t *pc;
	int dlt, rc = -1;

	memset(&m, 0, sizeof(m));
	memset(res, 0, sizeof(*res));
	m.pl = pl;
	m.port = port;
	m.capture = capture;
	m.res = res;
	m.compare = expected;
	snprintf(path, sizeof(path), "%s/expected-plugins/%s.csv.gz", corpus, capture);
	if (expected && csv_load(path, &m.tab) != 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		csv_free(&m.tab);
		return -1;
	}
	for (unsigned int k = 0; expected && keys[k] != NULL; k++)
		if ((m.c_key[k] = csv_col(&m.tab, keys[k])) < 0)
			goto out_tab;
	if (expected && (m.c_exp = csv_col(&m.tab, "expiration_id")) < 0)
		goto out_tab;
	if (pl->configure(NULL, 0, &m.cfg, err, sizeof(err)) != 0)
		goto out_tab;
	for (unsigned int c = 0; expected && c < m.cfg.n_columns; c++)
		if ((m.c_cols[c] = csv_col(&m.tab, m.cfg.columns[c].name)) < 0) {
			fprintf(stderr, "%s: no column %s\n", path, m.cfg.columns[c].name);
			goto out_conf;
		}
	m.w = pl->worker_init(m.cfg.conf, 0, 0, 1u << 20);
	m.rec = sp_test_rec_new(m.cfg.columns, m.cfg.n_columns);
	snprintf(path, sizeof(path), "%s/pcaps/%s", corpus, capture);
	pc = pcap_open_offline(path, perr);
	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", path, perr);
		goto out_w;
	}
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &b) == 1) {
		uint64_t t = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		uint16_t vlan, sport = 0, dport = 0, ip_size;
		const uint8_t *ip = frame_ip(dlt, b, h->caplen, &vlan);
		uint32_t ip_len, l4;
		uint8_t proto, ipv;

		if (ip == NULL)
			continue;
		ip_len = h->caplen - (uint32_t)(ip - b);
		ipv = ip[0] >> 4;
		if (ipv == 4) {
			if (ip_len < 20 || (ip[6] & 0x1f) != 0 || ip[7] != 0)
				continue;	/* later fragments carry no ports */
			proto = ip[9];
			l4 = (uint32_t)(ip[0] & 0xf) * 4;
			ip_size = (uint16_t)(ip[2] << 8 | ip[3]);
		} else if (ipv == 6) {
			if (ip_len < 40)
				continue;
			proto = ip[6];
			l4 = 40;
			ip_size = (uint16_t)((ip[4] << 8 | ip[5]) + 40);
		} else {
			continue;
		}
		if (proto != 6 && proto != 17)
			continue;	/* no port: no DHCP or mDNS flow */
		if (ip_len < l4 + 4)
			continue;
		sport = (uint16_t)(ip[l4] << 8 | ip[l4 + 1]);
		dport = (uint16_t)(ip[l4 + 2] << 8 | ip[l4 + 3]);
		meter_packet(&m, t, ipv, ip, ip_len, ipv == 4 ? ip + 12 : ip + 8,
			     ipv == 4 ? ip + 16 : ip + 24, proto, sport, dport, vlan, ip_size);
	}
	pcap_close(pc);
	for (unsigned int i = 0; i < m.n; i++)
		if (m.flows[i].live)
			flow_end(&m, &m.flows[i]);
	if (pl->stats != NULL) {
		struct sp_plugin_stat st[32];
		unsigned int ns = pl->stats(m.w, st, 32);

		for (unsigned int i = 0; i < ns; i++)
			if (strcmp(st[i].name, "nfstream_raises") == 0)
				res->raises = st[i].value;
	}
	for (unsigned int i = 0; expected && i < m.tab.n_rows; i++)
		if (!m.tab.used[i] && strcmp(m.tab.rows[i][m.c_key[3]], "") != 0 &&
		    (unsigned int)atoi(m.tab.rows[i][m.c_key[3]]) == port &&
		    (strcmp(m.tab.rows[i][m.c_key[4]], "17") == 0 ||
		     strcmp(m.tab.rows[i][m.c_key[4]], "6") == 0)) {
			res->missed++;
			printf("\n  %s: expected flow %s:%s -> %s:%s first_seen %s not made",
			       capture, m.tab.rows[i][m.c_key[0]], m.tab.rows[i][m.c_key[1]],
			       m.tab.rows[i][m.c_key[2]], m.tab.rows[i][m.c_key[3]],
			       m.tab.rows[i][m.c_key[5]]);
		}
	rc = 0;
out_w:
	free(m.flows);
	sp_test_rec_free(m.rec);
	if (pl->worker_fini != NULL)
		pl->worker_fini(m.w);
out_conf:
	if (pl->deconfigure != NULL)
		pl->deconfigure(m.cfg.conf);
out_tab:
	csv_free(&m.tab);
	return rc;
}

/* ---- replay (the dpkt differential test) ---- */

static int
hex_in(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (h[0] != '\0' && h[0] != '\n' && h[1] != '\0') {
		unsigned int v;

		if (n == cap || sscanf(h, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return (int)n;
}

int
sp_test_plugin_replay(const struct sp_plugin *pl, FILE *in, FILE *out)
{
	static char line[300000];
	static uint8_t pkt[70000];
	struct sp_plugin_config cfg;
	struct sp_plugin_record *rec;
	struct sp_plugin_flow f;
	uint8_t slot[256];
	char err[256], cellbuf[1 << 15];
	void *w;
	bool started = false, stopped = false;
	uint64_t raises = 0;

	if (pl->configure(NULL, 0, &cfg, err, sizeof(err)) != 0 || cfg.slot_size > sizeof(slot))
		return -1;
	w = pl->worker_init(cfg.conf, 0, 0, 1u << 20);
	rec = sp_test_rec_new(cfg.columns, cfg.n_columns);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (line[0] == 'F') {
			char s[64], d[64];
			unsigned int v, sp, dp, pr;

			if (sscanf(line, "F %u %63s %63s %u %u %u", &v, s, d, &sp, &dp, &pr) != 6)
				return -1;
			memset(&f, 0, sizeof(f));
			memset(slot, 0, sizeof(slot));
			hex_in(s, f.src_ip, 16);
			hex_in(d, f.dst_ip, 16);
			f.ip_version = (uint8_t)v;
			f.src_port = (uint16_t)sp;
			f.dst_port = (uint16_t)dp;
			f.protocol = (uint8_t)pr;
			started = stopped = false;
		} else if (line[0] == 'P') {
			struct sp_plugin_packet p;
			struct sp_plugin_stat st[32];
			unsigned int dir, ns;
			uint64_t now = 0;
			int n, vd;
			char *h = strchr(line + 2, ' ');

			if (h == NULL || sscanf(line, "P %u", &dir) != 1 ||
			    (n = hex_in(h + 1, pkt, sizeof(pkt))) < 0)
				return -1;
			if (stopped) {
				fprintf(out, "P -\n");
				continue;
			}
			memset(&p, 0, sizeof(p));
			p.direction = (uint8_t)dir;
			p.ip_version = f.ip_version;
			p.protocol = f.protocol;
			p.src_ip = dir ? f.dst_ip : f.src_ip;
			p.dst_ip = dir ? f.src_ip : f.dst_ip;
			p.src_port = dir ? f.dst_port : f.src_port;
			p.dst_port = dir ? f.src_port : f.dst_port;
			/* exactly n bytes on the heap: ASan sees any overread */
			uint8_t *copy = malloc(n ? (size_t)n : 1);

			memcpy(copy, pkt, (size_t)n);
			p.ip = copy;
			p.ip_len = (uint32_t)n;
			vd = !started ? pl->on_init(w, slot, &p, &f) :
			     pl->on_update(w, slot, &p, &f);
			free(copy);
			started = true;
			ns = pl->stats(w, st, 32);
			for (unsigned int i = 0; i < ns; i++)
				if (strcmp(st[i].name, "nfstream_raises") == 0)
					now = st[i].value;
			fprintf(out, "P %d %d\n", vd, now != raises);
			raises = now;
			if (vd != SP_PLUGIN_CONTINUE)
				stopped = true;
		} else if (line[0] == 'E') {
			sp_test_rec_clear(rec);
			pl->on_expire(w, slot, &f, rec);
			for (unsigned int c = 0; c < cfg.n_columns; c++) {
				size_t n = sp_test_rec_csv(rec, c, cellbuf, sizeof(cellbuf));

				fprintf(out, "C ");
				for (size_t k = 0; k < n; k++)
					fprintf(out, "%02x", (uint8_t)cellbuf[k]);
				fprintf(out, "\n");
			}
			fprintf(out, "E %llu %llu\n", (unsigned long long)rec->bad,
				(unsigned long long)rec->cut);
		}
	}
	sp_test_rec_free(rec);
	pl->worker_fini(w);
	pl->deconfigure(cfg.conf);
	return 0;
}
