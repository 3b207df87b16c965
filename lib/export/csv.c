/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV exporter: NFStream's to_csv() byte for byte (streamer.py to_csv,
 * utils.py csv_converter). Rows are formatted straight into one large
 * buffer that is written out with write(2) when it cannot hold another
 * worst-case row, so a record costs no system call and no stdio.
 *
 * Also to_csv()'s other parameters: columns_to_anonymize (anonymizer.py:
 * keyed BLAKE2b-512 of str(value), hex, through libgcrypt) and
 * flows_per_file / rotate_files (utils.py open_file naming).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <gcrypt.h>
#include <rte_errno.h>

#include "export_private.h"

/* Large enough that a write(2) moves thousands of typical rows at once. */
#define CSV_BUF_MIN (256u * 1024)

/* BLAKE2b-512 digest as hex, the text of an anonymized value. */
#define CSV_ANON_HEX (2 * 64)

/*
 * Room after a row's worst case: values are copied and formatted with
 * whole-word stores (a cached IPv6 text: 48 bytes at once), whose bytes
 * past the value the next value overwrites; after the last one they land
 * here.
 */
#define CSV_SLACK 64

/* Integers from 10^8 up (timestamps in ms: 13 digits) reuse the text of v / 1000. */
#define CSV_BIG 100000000u

/* Entries of the IPv6 address text cache (direct-mapped; a power of two). */
#define CSV_IP6_CACHE 256

/*
 * Row program ops beside enum sp_export_col_type: four contiguous U64
 * columns; n U64 columns in a row (no dispatch between them); the 13
 * identity columns every column set starts with (id .. vlan_id).
 */
#define CSV_OP_U64X4 0xf0
#define CSV_OP_U64RUN 0xf1
#define CSV_OP_HEAD 0xf2
#define CSV_HEAD_COLS 13

/*
 * The text of a value, kept from the row that had it: the next row with
 * the same key copies it instead of formatting (U64 columns from CSV_BIG up:
 * key v / 1000, the text of the key's digits; MAC / OUI columns: key the
 * address bytes, the quoted text). UINT64_MAX is no key: no U64's v / 1000
 * and no 48-bit address is.
 */
struct csv_text {
	uint64_t key;
	uint32_t len;
	char text[SP_EXPORT_INT_WIDE_LEN];
};

/* One IPv6 address's text (unquoted), in the direct-mapped cache. */
struct csv_ip6 {
	uint8_t addr[16];
	uint32_t len;		/* 0: empty slot */
	char text[48];		/* SP_EXPORT_IP_MAX_LEN and the copy's width */
};

/* One column of the row program: what format_row_fast() does for it. */
struct csv_op {
	uint32_t offset;	/* of the value in the record */
	uint8_t type;		/* enum sp_export_col_type or a CSV_OP_ */
	uint8_t n;		/* CSV_OP_U64RUN: columns */
};

#define HEAD_COL(f, t) { offsetof(struct sp_flow_record, f), SP_EXPORT_COLT_ ## t, 0 }

/* What CSV_OP_HEAD stands for: the column table's first columns, checked at open. */
static const struct csv_op csv_head[CSV_HEAD_COLS] = {
	HEAD_COL(id, U64), HEAD_COL(expiration_id, I8), HEAD_COL(st.src_ip, SRC_IP),
	HEAD_COL(st.src_mac, MAC), HEAD_COL(st.src_mac, OUI), HEAD_COL(st.src_port, U16),
	HEAD_COL(st.dst_ip, DST_IP), HEAD_COL(st.dst_mac, MAC), HEAD_COL(st.dst_mac, OUI),
	HEAD_COL(st.dst_port, U16), HEAD_COL(st.protocol, U8), HEAD_COL(st.ip_version, U8),
	HEAD_COL(st.vlan_id, U16),
};

struct csv_exporter {
	struct sp_exporter base;	/* first: the export set only sees this */
	int fd;				/* -1 between two files of a rotation */
	bool own_fd;			/* false for standard output */
	off_t committed;		/* bytes of the file written: whole rows */
	int first_err;			/* first -errno, reported again by close */
	uint16_t splt_n;
	unsigned int ncols;
	size_t header_len;		/* newline included */
	size_t row_max;			/* upper bound of one row, newline included */
	size_t len;			/* bytes waiting in buf */
	size_t cap;
	char *buf;
	char *header;
	/* flows_per_file / rotate_files */
	uint64_t flows_per_file;
	uint32_t rotate_files;
	uint64_t file_rows;		/* rows in the current file */
	uint64_t file_idx;		/* NFStream's chunk_idx of the current file */
	char *path;			/* as given: the names are made from it */
	char *name;			/* the current file's name */
	/* columns_to_anonymize */
	bool *anon;			/* per column */
	gcry_md_hd_t md;		/* NULL: nothing to anonymize */
	char *scratch;			/* str(value) before hashing */
	uint8_t key[SP_EXPORT_CSV_KEY_LEN];
	const struct sp_export_column **col;	/* sp_export_columns_all() */
	/* Without anonymization: the row program and the reused texts. */
	struct csv_op *op;		/* per column */
	struct csv_text *text;		/* per column */
	struct csv_ip6 *ip6;		/* CSV_IP6_CACHE */
};

/* Longest text of a column's value, quotes included (not the separator). */
static size_t
column_max_len(const struct sp_export_column *c, uint16_t splt_n)
{
	switch (c->type) {
	case SP_EXPORT_COLT_U8:
		return 3;
	case SP_EXPORT_COLT_I8:
		return 4;
	case SP_EXPORT_COLT_U16:
		return 5;
	case SP_EXPORT_COLT_U64:
		return SP_EXPORT_INT_MAX_LEN;
	case SP_EXPORT_COLT_F64:
		return SP_EXPORT_FLOAT_MAX_LEN;
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
		return SP_EXPORT_IP_MAX_LEN + 2;
	case SP_EXPORT_COLT_MAC:
		return 17 + 2;
	case SP_EXPORT_COLT_OUI:
		return 8 + 2;
	case SP_EXPORT_COLT_SPLT_DIR:
		return 4 + (size_t)splt_n * (4 + 2);
	case SP_EXPORT_COLT_SPLT_PS:
		return 4 + (size_t)splt_n * (11 + 2);
	case SP_EXPORT_COLT_SPLT_PIAT:
		return 4 + (size_t)splt_n * (SP_EXPORT_INT_MAX_LEN + 2);
	case SP_EXPORT_COLT_PLUGIN:
		return sp_export_plugin_max_len(&c->plugin->c);
	default:
		return 0;
	}
}

/* Python's str(list of int): "[a, b, c]", inside the field's quotes. */
static char *
put_splt(char *p, const struct sp_flow_record *r, uint8_t type)
{
	uint16_t i, n = r->splt_n;

	*p++ = '"';
	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		if (type == SP_EXPORT_COLT_SPLT_DIR)
			p += sp_export_fmt_i64(p, sp_record_splt_direction(r)[i]);
		else if (type == SP_EXPORT_COLT_SPLT_PS)
			p += sp_export_fmt_i64(p, sp_record_splt_ps(r)[i]);
		else
			p += sp_export_fmt_i64(p, sp_record_splt_piat(r)[i]);
	}
	*p++ = ']';
	*p++ = '"';
	return p;
}

/*
 * One value as to_csv() writes it, or with raw (the anonymizer's
 * str(value)) without the quotes and the '"' escaping.
 */
static inline __attribute__((always_inline)) char *
put_value(char *p, const struct sp_export_column *col, const struct sp_flow_record *r,
	  bool raw)
{
	const void *v = (const uint8_t *)r + col->offset;
	bool v4 = r->st.ip_version == 4;	/* lib_engine.c: anything else is IPv6 */
	char *start = p;

	switch (col->type) {
	case SP_EXPORT_COLT_U8:
		return p + sp_export_fmt_u64(p, *(const uint8_t *)v);
	case SP_EXPORT_COLT_I8:
		return p + sp_export_fmt_i64(p, *(const int8_t *)v);
	case SP_EXPORT_COLT_U16:
		return p + sp_export_fmt_u64(p, *(const uint16_t *)v);
	case SP_EXPORT_COLT_U64:
		return p + sp_export_fmt_u64(p, *(const uint64_t *)v);
	case SP_EXPORT_COLT_F64:
		return p + sp_export_fmt_pyfloat(p, *(const double *)v);
	case SP_EXPORT_COLT_PLUGIN:
		return p + sp_export_fmt_plugin(p, col->plugin, r, raw);
	default:
		break;
	}
	if (!raw)
		*p++ = '"';
	switch (col->type) {
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
		p += sp_export_fmt_ip(p, v, v4);
		break;
	case SP_EXPORT_COLT_MAC:
		p += sp_export_fmt_mac(p, v, 6);
		break;
	case SP_EXPORT_COLT_OUI:
		p += sp_export_fmt_mac(p, v, 3);
		break;
	default:
		/* put_splt() brings its own quotes. */
		p = put_splt(start, r, col->type);
		if (raw) {
			memmove(start, start + 1, (size_t)(p - start) - 2);
			p -= 2;
		}
		return p;
	}
	if (!raw)
		*p++ = '"';
	return p;
}

/*
 * anonymizer.py: blake2b(str(value).encode(), digest_size=64,
 * key=secret).hexdigest(), which csv_converter() then quotes as a string.
 * gcry_md_setkey() starts a keyed hash afresh (a reset would drop the key).
 */
static char *
put_anonymized(char *p, const struct csv_exporter *c, const struct sp_export_column *col,
	       const struct sp_flow_record *r)
{
	static const char hex[16] = "0123456789abcdef";
	size_t n;
	const uint8_t *d;
	unsigned int i;

	/* NFAnonymizer leaves None as None: an empty field */
	if (col->type == SP_EXPORT_COLT_PLUGIN && !sp_plugins_cell(r, col->plugin)->set)
		return p;
	n = (size_t)(put_value(c->scratch, col, r, true) - c->scratch);
	gcry_md_setkey(c->md, c->key, sizeof(c->key));
	gcry_md_write(c->md, c->scratch, n);
	d = gcry_md_read(c->md, GCRY_MD_BLAKE2B_512);
	*p++ = '"';
	for (i = 0; i < CSV_ANON_HEX / 2; i++) {
		*p++ = hex[d[i] >> 4];
		*p++ = hex[d[i] & 15];
	}
	*p++ = '"';
	return p;
}

/* A U64 column's value; a large one reuses the text of v / 1000 from an earlier row. */
static inline __attribute__((always_inline)) char *
put_u64_col(char *p, struct csv_text *t, uint64_t v)
{
	uint64_t hi;
	uint32_t lo;

	if (v < CSV_BIG)
		return p + sp_export_put_u27(p, (uint32_t)v);
	hi = v / 1000;
	if (hi != t->key) {
		t->len = (uint32_t)sp_export_put_u64(t->text, hi);
		t->key = hi;
	}
	memcpy(p, t->text, sizeof(t->text));
	p += t->len;
	/* three digits, leading zeros kept */
	lo = (uint32_t)(sp_export_txt1000[v - hi * 1000] >> 32);
	memcpy(p, &lo, 4);
	return p + 3;
}

/* A MAC (n = 6) or OUI (n = 3) column, quoted; its text reused while the address repeats. */
static inline __attribute__((always_inline)) char *
put_mac_col(char *p, struct csv_text *t, const uint8_t *mac, unsigned int n)
{
	uint64_t key = 0;

	memcpy(&key, mac, n);
	if (key != t->key) {
		t->text[0] = '"';
		t->len = (uint32_t)sp_export_fmt_mac(t->text + 1, mac, n) + 2;
		t->text[t->len - 1] = '"';
		t->key = key;
	}
	memcpy(p, t->text, sizeof(t->text));
	return p + t->len;
}

/*
 * An IPv6 address's text from the cache. IPv4 is not cached: its table
 * formatting (four 4-byte stores) costs about what a lookup does.
 */
static inline __attribute__((always_inline)) char *
put_ip6(char *p, struct csv_ip6 *cache, const uint8_t *ip)
{
	uint64_t a, b;
	struct csv_ip6 *e;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	e = &cache[((a ^ b) * 0x9e3779b97f4a7c15ULL) >> (64 - 8)];
	RTE_BUILD_BUG_ON(CSV_IP6_CACHE != 1 << 8);
	if (e->len == 0 || memcmp(e->addr, ip, 16) != 0) {
		memcpy(e->addr, ip, 16);
		e->len = (uint32_t)sp_export_fmt_ip(e->text, ip, false);
	}
	memcpy(p, e->text, sizeof(e->text));
	return p + e->len;
}

/* A 0..999 value from the table: one 4-byte store. */
static inline __attribute__((always_inline)) char *
put_u10(char *p, unsigned int v)
{
	uint64_t u = sp_export_txt1000[v];
	uint32_t w = (uint32_t)u;

	memcpy(p, &w, 4);
	return p + ((u >> 24) & 0xff);
}

/* An IP column, quoted. */
static inline __attribute__((always_inline)) char *
put_ip_col(char *p, struct csv_ip6 *cache, const uint8_t *ip, bool v4)
{
	*p++ = '"';
	if (v4)
		p += sp_export_fmt_ip(p, ip, true);
	else
		p = put_ip6(p, cache, ip);
	*p++ = '"';
	return p;
}

/*
 * A plugin column (nDPI's application columns among them). Strings of ASCII
 * without '"' (application and category names, most server names and
 * fingerprints) are copied 8 bytes at a time, which the cell allows (8-
 * aligned, its value bytes rounded up to 8); any other byte, and the other
 * types but integers, go through sp_export_fmt_plugin() from the start.
 */
static inline __attribute__((always_inline)) char *
put_plugin_col(char *p, const struct sp_plugins_column *pc, const struct sp_flow_record *r)
{
	const struct sp_plugins_cell *h = sp_plugins_cell(r, pc);
	const uint8_t *v = (const uint8_t *)(h + 1);
	uint64_t w, x, bad = 0;
	unsigned int n, k;
	int64_t i64;

	if (!h->set)
		return p;	/* None: an empty field */
	switch (pc->c.type) {
	case SP_PLUGIN_STRING:
		n = h->n;
		*p = '"';
		for (k = 0; k < n; k += 8) {
			memcpy(&w, v + k, 8);
			if (n - k < 8)
				w &= (1ULL << (8 * (n - k))) - 1;	/* NULs: plain ASCII */
			x = w ^ 0x2222222222222222ULL;		/* '"' -> 0 */
			/* a zero byte in x (can also flag one above it: then the slow way) */
			bad |= (w | ((x - 0x0101010101010101ULL) & ~x)) & 0x8080808080808080ULL;
			memcpy(p + 1 + k, &w, 8);
		}
		if (unlikely(bad != 0))
			break;
		p[1 + n] = '"';
		return p + n + 2;
	case SP_PLUGIN_INT:
	case SP_PLUGIN_UINT:
		memcpy(&i64, v, 8);
		return p + (pc->c.type == SP_PLUGIN_INT ? sp_export_put_i64(p, i64) :
			    sp_export_put_u64(p, (uint64_t)i64));
	default:
		break;
	}
	return p + sp_export_fmt_plugin(p, pc, r, false);
}

/*
 * The 13 identity columns as straight-line code, separators included: the
 * per-column dispatch (loop, op load, switch, separator: ~16 instructions a
 * column) was a third of a default row. The OUI is the start of the MAC
 * text just written.
 */
static inline __attribute__((always_inline)) char *
put_head(char *p, struct csv_exporter *c, const struct sp_flow_record *r, bool v4)
{
	char *m;

	p = put_u64_col(p, &c->text[0], r->id);
	*p++ = ',';
	p += sp_export_put_i64(p, r->expiration_id);
	*p++ = ',';
	p = put_ip_col(p, c->ip6, r->st.src_ip, v4);
	*p++ = ',';
	m = p;
	p = put_mac_col(p, &c->text[3], r->st.src_mac, 6);
	*p++ = ',';
	memcpy(p, m, 16);
	p[9] = '"';
	p += 10;
	*p++ = ',';
	p += sp_export_put_u27(p, r->st.src_port);
	*p++ = ',';
	p = put_ip_col(p, c->ip6, r->st.dst_ip, v4);
	*p++ = ',';
	m = p;
	p = put_mac_col(p, &c->text[7], r->st.dst_mac, 6);
	*p++ = ',';
	memcpy(p, m, 16);
	p[9] = '"';
	p += 10;
	*p++ = ',';
	p += sp_export_put_u27(p, r->st.dst_port);
	*p++ = ',';
	p = put_u10(p, r->st.protocol);
	*p++ = ',';
	p = put_u10(p, r->st.ip_version);
	*p++ = ',';
	return p + sp_export_put_u27(p, r->st.vlan_id);
}

/*
 * One row without anonymized columns, from the row program: whole-word
 * stores, reused texts, four small counters in one store. The output is
 * format_row()'s byte for byte (the unit tests compare them).
 */
static size_t
format_row_fast(struct csv_exporter *c, const struct sp_flow_record *r, char *dst)
{
	bool v4 = r->st.ip_version == 4;	/* lib_engine.c: anything else is IPv6 */
	char *p = dst;
	unsigned int i;

	for (i = 0; i < c->ncols; i++) {
		const struct csv_op *op = &c->op[i];
		const uint8_t *v = (const uint8_t *)r + op->offset;
		uint64_t u, a, b, d, e;
		unsigned int k;

		switch (op->type) {
		case CSV_OP_HEAD:
			p = put_head(p, c, r, v4);
			i += CSV_HEAD_COLS - 1;
			break;
		case CSV_OP_U64RUN:
			for (k = 0; k < op->n; k++) {
				memcpy(&u, (const uint8_t *)r + op[k].offset, 8);
				p = put_u64_col(p, &c->text[i + k], u);
				*p++ = ',';
			}
			i += op->n - 1;
			p--;	/* the loop's separator follows */
			break;
		case SP_EXPORT_COLT_U8:
			p = put_u10(p, *v);
			break;
		case SP_EXPORT_COLT_I8:
			p += sp_export_put_i64(p, *(const int8_t *)v);
			break;
		case SP_EXPORT_COLT_U16:
			p += sp_export_put_u27(p, *(const uint16_t *)v);
			break;
		case SP_EXPORT_COLT_U64:
			memcpy(&u, v, 8);
			p = put_u64_col(p, &c->text[i], u);
			break;
		case CSV_OP_U64X4:
			memcpy(&a, v, 8);
			memcpy(&b, v + 8, 8);
			memcpy(&d, v + 16, 8);
			memcpy(&e, v + 24, 8);
			/* the OR below 10: each is one digit (flag counters mostly are) */
			if ((a | b | d | e) < 10) {
				u = 0x2c302c302c302c30ULL | a | b << 16 | d << 32 | e << 48;
				memcpy(p, &u, 8);
				p += 7;
			} else {
				p = put_u64_col(p, &c->text[i], a);
				*p++ = ',';
				p = put_u64_col(p, &c->text[i + 1], b);
				*p++ = ',';
				p = put_u64_col(p, &c->text[i + 2], d);
				*p++ = ',';
				p = put_u64_col(p, &c->text[i + 3], e);
			}
			i += 3;
			break;
		case SP_EXPORT_COLT_F64:
			p += sp_export_fmt_pyfloat(p, *(const double *)v);
			break;
		case SP_EXPORT_COLT_SRC_IP:
		case SP_EXPORT_COLT_DST_IP:
			p = put_ip_col(p, c->ip6, v, v4);
			break;
		case SP_EXPORT_COLT_MAC:
			p = put_mac_col(p, &c->text[i], v, 6);
			break;
		case SP_EXPORT_COLT_OUI:
			p = put_mac_col(p, &c->text[i], v, 3);
			break;
		case SP_EXPORT_COLT_PLUGIN:
			p = put_plugin_col(p, c->col[i]->plugin, r);
			break;
		default:
			p = put_value(p, c->col[i], r, false);
			break;
		}
		*p++ = ',';
	}
	p[-1] = '\n';
	return (size_t)(p - dst);
}

/* One row, newline included; dst has row_max bytes. */
static size_t
format_row(const struct csv_exporter *c, const struct sp_flow_record *r, char *dst)
{
	char *p = dst;
	unsigned int i;

	for (i = 0; i < c->ncols; i++) {
		if (unlikely(c->md != NULL && c->anon[i]))
			p = put_anonymized(p, c, c->col[i], r);
		else
			p = put_value(p, c->col[i], r, false);
		*p++ = ',';
	}
	p[-1] = '\n';
	return (size_t)(p - dst);
}

static size_t
format_header(const struct sp_export_column *const *col, unsigned int n, char *dst)
{
	char *p = dst;
	unsigned int i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(col[i]->name);

		if (i > 0)
			*p++ = ',';
		memcpy(p, col[i]->name, l);
		p += l;
	}
	return (size_t)(p - dst);
}

/*
 * The last row end in buf[0, n): the byte after the last newline outside
 * quotes (a string value may hold a newline; '"' inside one is doubled, so
 * counting quotes is enough). buf starts at a row, since rows go in whole.
 */
static size_t
csv_last_row_end(const char *buf, size_t n)
{
	size_t i, end = 0;
	bool quoted = false;

	for (i = 0; i < n; i++) {
		if (buf[i] == '"')
			quoted = !quoted;
		else if (buf[i] == '\n' && !quoted)
			end = i + 1;
	}
	return end;
}

/*
 * Write out the whole buffer. On failure the unwritten tail is kept for a
 * retry; a file of our own is cut back to the last whole row first, so a
 * full disk never leaves half a row behind (a reader would take it for a
 * row; standard output may be shared with others and is left as it is).
 */
static int
csv_drain(struct csv_exporter *c)
{
	size_t off = 0, keep;
	int ret = 0;

	while (off < c->len) {
		ssize_t w = write(c->fd, c->buf + off, c->len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (w == 0) {
			/* A regular file that accepts nothing is full. */
			ret = -ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (ret < 0 && c->own_fd && off > 0) {
		keep = csv_last_row_end(c->buf, off);
		if (keep < off && (ftruncate(c->fd, c->committed + (off_t)keep) != 0 ||
				   lseek(c->fd, c->committed + (off_t)keep, SEEK_SET) < 0))
			keep = off;	/* cannot cut: as written */
		off = keep;
	}
	if (off > 0 && off < c->len)
		memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	c->committed += (off_t)off;
	if (ret < 0 && c->first_err == 0)
		c->first_err = ret;
	return ret;
}

/*
 * The name of file k of a flows_per_file run: utils.py open_file() does
 * path.replace("csv", "{}.csv".format(k)). Done on the file name only, so
 * that a directory named after "csv" stays where it is.
 */
static void
file_name(const struct csv_exporter *c, uint64_t k, char *out)
{
	const char *base = strrchr(c->path, '/');
	const char *s, *hit;
	char num[SP_EXPORT_INT_MAX_LEN];
	size_t nl;

	base = base != NULL ? base + 1 : c->path;
	memcpy(out, c->path, (size_t)(base - c->path));
	out += base - c->path;
	nl = sp_export_fmt_u64(num, k);
	for (s = base; (hit = strstr(s, "csv")) != NULL; s = hit + 3) {
		memcpy(out, s, (size_t)(hit - s));
		out += hit - s;
		memcpy(out, num, nl);
		out += nl;
		memcpy(out, ".csv", 4);
		out += 4;
	}
	strcpy(out, s);
}

/* Open the current file (file_idx) and queue its header. 0 or -errno. */
static int
csv_open_file(struct csv_exporter *c)
{
	const char *name = c->path;

	if (c->flows_per_file > 0) {
		file_name(c, c->rotate_files > 0 ? c->file_idx % c->rotate_files : c->file_idx,
			  c->name);
		name = c->name;
	}
	/* 0666: the user's umask decides who may read the flows */
	c->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (c->fd < 0)
		return -errno;
	c->committed = 0;
	/* The buffer was drained before the previous file was closed. */
	memcpy(c->buf + c->len, c->header, c->header_len);
	c->len += c->header_len;
	c->file_rows = 0;
	return 0;
}

/* flows_per_file rows are in the current file: close it, open the next. */
static int
csv_next_file(struct csv_exporter *c)
{
	int ret;

	if (c->fd >= 0) {
		ret = csv_drain(c);
		if (ret < 0)
			return ret;
		if (close(c->fd) != 0 && c->first_err == 0)
			c->first_err = -errno;
		c->fd = -1;
		c->file_idx++;
	}
	/* A failed open is tried again by the next record. */
	ret = csv_open_file(c);
	if (ret < 0 && c->first_err == 0)
		c->first_err = ret;
	return ret;
}

static int
csv_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct csv_exporter *c = (struct csv_exporter *)e;
	int ret;

	/* The row bound was computed for the run's SPLT length. */
	if (unlikely(r->splt_n != c->splt_n))
		return -EINVAL;
	/* The reader of a pipe is gone: nothing will be read any more. */
	if (unlikely(c->first_err == -EPIPE))
		return -EPIPE;
	if (unlikely(c->flows_per_file > 0 &&
		     (c->fd < 0 || c->file_rows == c->flows_per_file))) {
		ret = csv_next_file(c);
		if (ret < 0)
			return ret;
	}
	if (c->cap - c->len < c->row_max) {
		ret = csv_drain(c);
		if (ret < 0)
			return ret;
	}
	if (c->md == NULL)
		c->len += format_row_fast(c, r, c->buf + c->len);
	else
		c->len += format_row(c, r, c->buf + c->len);
	c->file_rows++;
	return 0;
}

static int
csv_flush(struct sp_exporter *e)
{
	struct csv_exporter *c = (struct csv_exporter *)e;

	if (c->fd < 0)
		return c->first_err;
	return csv_drain(c);
}

static void
csv_free(struct csv_exporter *c)
{
	if (c->md != NULL)
		gcry_md_close(c->md);
	explicit_bzero(c->key, sizeof(c->key));
	free(c->scratch);
	free(c->ip6);
	free(c->text);
	free(c->op);
	free(c->anon);
	free(c->col);
	free(c->header);
	free(c->path);
	free(c->name);
	free(c->buf);
	free(c);
}

static int
csv_close(struct sp_exporter *e)
{
	struct csv_exporter *c = (struct csv_exporter *)e;
	int ret;

	if (c->fd >= 0) {
		csv_drain(c);
		if (c->own_fd && close(c->fd) != 0 && c->first_err == 0)
			c->first_err = -errno;
	}
	ret = c->first_err;
	csv_free(c);
	return ret;
}

static const struct sp_exporter_ops csv_ops = {
	.name = "csv",
	.write = csv_write,
	.flush = csv_flush,
	.close = csv_close,
};

/* libgcrypt wants initialising once before use; nDPI may have done it. */
static int
csv_gcrypt_init(void)
{
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (gcry_check_version(NULL) == NULL)
			return -ENOTSUP;
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	return 0;
}

/* columns_to_anonymize: mark the columns, make the key and the hash. */
static int
csv_anon_setup(struct csv_exporter *c, const struct sp_columns *cols,
	       const struct sp_csv_params *p)
{
	unsigned int i, k;
	bool any = false;
	ssize_t got;

	for (k = 0; k < p->n_anonymize; k++) {
		if (p->anonymize[k] == NULL)
			return -EINVAL;
		for (i = 0; i < c->ncols; i++)
			if (strcmp(c->col[i]->name, p->anonymize[k]) == 0)
				break;
		if (i < c->ncols) {
			c->anon[i] = true;
			any = true;
		} else if (sp_export_column_find(p->anonymize[k], cols) == -EINVAL) {
			return -EINVAL;
		}
	}
	if (!any)
		return 0;
	if (p->anonymize_key != NULL) {
		memcpy(c->key, p->anonymize_key, sizeof(c->key));
	} else {
		/* secrets.token_bytes(64): a new key per run. */
		got = getrandom(c->key, sizeof(c->key), 0);
		if (got != (ssize_t)sizeof(c->key))
			return got < 0 ? -errno : -EIO;
	}
	if (csv_gcrypt_init() != 0 ||
	    gcry_md_open(&c->md, GCRY_MD_BLAKE2B_512, 0) != 0) {
		c->md = NULL;
		return -ENOTSUP;
	}
	c->scratch = malloc(c->row_max);
	return c->scratch == NULL ? -ENOMEM : 0;
}

/* The row program of format_row_fast() and its caches (a run without anonymization). */
static int
csv_program(struct csv_exporter *c)
{
	unsigned int i, k;

	if (c->md != NULL)
		return 0;
	c->op = calloc(c->ncols, sizeof(*c->op));
	c->text = malloc(c->ncols * sizeof(*c->text));
	c->ip6 = calloc(CSV_IP6_CACHE, sizeof(*c->ip6));
	if (c->op == NULL || c->text == NULL || c->ip6 == NULL)
		return -ENOMEM;
	for (i = 0; i < c->ncols; i++) {
		c->op[i].offset = c->col[i]->offset;
		c->op[i].type = c->col[i]->type;
		c->text[i].key = UINT64_MAX;
		c->text[i].len = 0;
	}
	/*
	 * Four U64 columns side by side in the record (the flag counters):
	 * one op, one store when all four are single digits.
	 */
	for (i = 0; i + 4 <= c->ncols; i++) {
		for (k = 0; k < 4; k++)
			if (c->op[i + k].type != SP_EXPORT_COLT_U64 ||
			    c->op[i + k].offset != c->op[i].offset + 8 * k)
				break;
		if (k == 4) {
			c->op[i].type = CSV_OP_U64X4;
			i += 3;
		}
	}
	/* U64 columns one after the other (the 15 scope counters): one op. */
	for (i = 0; i < c->ncols; i += k) {
		for (k = 0; i + k < c->ncols && k < UINT8_MAX &&
		     c->op[i + k].type == SP_EXPORT_COLT_U64; k++)
			;
		if (k >= 2) {
			c->op[i].type = CSV_OP_U64RUN;
			c->op[i].n = (uint8_t)k;
		}
		k = RTE_MAX(k, 1u);
	}
	/* The identity columns, when they are the table's (they always are). */
	for (k = 0; k < CSV_HEAD_COLS && k < c->ncols; k++)
		if (c->col[k]->offset != csv_head[k].offset ||
		    c->col[k]->type != csv_head[k].type)
			break;
	if (k == CSV_HEAD_COLS)
		c->op[0].type = CSV_OP_HEAD;
	return 0;
}

struct sp_exporter *
sp_export_csv_open_params(const char *path, const struct sp_columns *cols,
			  const struct sp_csv_params *p)
{
	static const struct sp_csv_params defaults;
	struct csv_exporter *c;
	size_t row = 0, hdr = 0;
	const char *base;
	unsigned int i;
	int ret;

	if (p == NULL)
		p = &defaults;
	if (path == NULL || cols == NULL || (p->n_anonymize > 0 && p->anonymize == NULL)) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* File names come from "csv" in the file name; stdout has none. */
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if ((p->flows_per_file > 0 && (strcmp(path, "-") == 0 || strstr(base, "csv") == NULL)) ||
	    (p->rotate_files > 0 && p->flows_per_file == 0)) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->base.ops = &csv_ops;
	c->fd = -1;
	c->splt_n = cols->splt_n;
	c->flows_per_file = p->flows_per_file;
	c->rotate_files = p->rotate_files;
	c->col = sp_export_columns_all(cols, &c->ncols);
	c->anon = c->col != NULL ? calloc(c->ncols, sizeof(*c->anon)) : NULL;
	if (c->anon == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < c->ncols; i++) {
		row += RTE_MAX(column_max_len(c->col[i], cols->splt_n),
			       (size_t)CSV_ANON_HEX + 2) + 1;
		hdr += strlen(c->col[i]->name) + 1;
	}
	c->row_max = row + CSV_SLACK;
	c->header_len = hdr;
	/* Twice the worst case so that huge SPLT rows still share a write. */
	c->cap = RTE_MAX((size_t)CSV_BUF_MIN, 2 * (row + hdr + 1));
	c->buf = malloc(c->cap);
	c->header = malloc(hdr);
	c->path = strdup(path);
	/* Each "csv" of the file name grows by the digits of k and a dot. */
	c->name = malloc(strlen(path) * (SP_EXPORT_INT_MAX_LEN + 2) + 1);
	if (c->buf == NULL || c->header == NULL || c->path == NULL || c->name == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	format_header(c->col, c->ncols, c->header);
	c->header[hdr - 1] = '\n';
	ret = csv_anon_setup(c, cols, p);
	if (ret < 0)
		goto fail;
	ret = csv_program(c);
	if (ret < 0)
		goto fail;
	if (strcmp(path, "-") == 0) {
		c->fd = STDOUT_FILENO;
		memcpy(c->buf, c->header, c->header_len);
		c->len = c->header_len;
	} else {
		/* Here, not at the first flow: an unwritable path fails the open. */
		ret = csv_open_file(c);
		if (ret < 0)
			goto fail;
		c->own_fd = true;
	}
	return &c->base;
fail:
	csv_free(c);
	rte_errno = -ret;
	return NULL;
}

struct sp_exporter *
sp_export_csv_open(const char *path, const struct sp_columns *cols)
{
	return sp_export_csv_open_params(path, cols, NULL);
}

int
sp_export_csv_load_key(const char *path, uint8_t key[SP_EXPORT_CSV_KEY_LEN])
{
	uint8_t buf[SP_EXPORT_CSV_KEY_LEN + 1];
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte more than a key: a longer file is refused, not cut. */
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (ret == 0 && len != SP_EXPORT_CSV_KEY_LEN)
		ret = -EINVAL;
	if (ret == 0)
		memcpy(key, buf, SP_EXPORT_CSV_KEY_LEN);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

size_t
sp_export_csv_header(const struct sp_columns *cols, char *buf, size_t len)
{
	const struct sp_export_column **col;
	unsigned int i, n;
	size_t need = 0;

	col = sp_export_columns_all(cols, &n);
	if (col == NULL)
		return 0;
	for (i = 0; i < n; i++)
		need += strlen(col[i]->name) + (i > 0);
	if (len < need + 1) {
		free(col);
		return 0;
	}
	format_header(col, n, buf);
	buf[need] = '\0';
	free(col);
	return need;
}

int
sp_export_csv_anon_parse(const char *list, const char *key_path,
			 const struct sp_columns *cols, struct sp_csv_anon *a,
			 struct sp_csv_params *p, char *err, size_t errlen)
{
	char *tok, *save = NULL;
	int ret;

	p->anonymize = NULL;
	p->n_anonymize = 0;
	p->anonymize_key = NULL;
	if (list == NULL)
		return 0;
	if (snprintf(a->list, sizeof(a->list), "%s", list) >= (int)sizeof(a->list)) {
		snprintf(err, errlen, "--csv-anonymize: list too long");
		return -EINVAL;
	}
	for (tok = strtok_r(a->list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		ret = sp_export_column_find(tok, cols);
		if (ret == -EINVAL) {
			snprintf(err, errlen, "--csv-anonymize: '%s' is not a column "
				 "(docs/columns.md)", tok);
			return -EINVAL;
		}
		/* NFStream warns and goes on: the same list serves runs with
		 * other column sets */
		if (ret == -ENOENT)
			fprintf(stderr, "streamprobe: --csv-anonymize: this run has no column "
				"'%s'; nothing to anonymize there\n", tok);
		if (p->n_anonymize == RTE_DIM(a->names)) {
			snprintf(err, errlen, "--csv-anonymize: more than %u names",
				 (unsigned int)RTE_DIM(a->names));
			return -EINVAL;
		}
		a->names[p->n_anonymize++] = tok;
	}
	p->anonymize = a->names;
	if (key_path == NULL)
		return 0;
	ret = sp_export_csv_load_key(key_path, a->key);
	if (ret != 0) {
		snprintf(err, errlen, "--csv-anonymize-key: %s: %s", key_path, ret == -EINVAL ?
			 "not a key: the file must hold exactly 64 bytes "
			 "(head -c 64 /dev/urandom > FILE)" : strerror(-ret));
		return ret == -EINVAL ? -EINVAL : ret;
	}
	p->anonymize_key = a->key;
	return 0;
}

void
sp_export_csv_anon_clear(struct sp_csv_anon *a)
{
	explicit_bzero(a->key, sizeof(a->key));
}
