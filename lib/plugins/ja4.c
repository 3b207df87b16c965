/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ja4: NFStream's JA4() plugin (nfstream/plugins/ja4.py), columns udps.ja4
 * and udps.ja4s, with NFStream's exact output.
 *
 * NFStream's plugin is not FoxIO's reference JA4: it works on the hex text
 * of one TCP segment's payload with no reassembly, only on IPv4 flows whose
 * first packet is a SYN, only from the packets up to the one right after the
 * handshake's last ACK, and its Python has quirks that show in the values
 * (a GREASE value right after another one is kept, a server hello the code
 * cannot read clears the client's ja4, ...). Users compare these columns
 * with NFStream's, so every quirk is reproduced; each is named where it is
 * implemented. docs/plugins.md ("### ja4") lists them.
 *
 * The Python's outcome for one packet is one of three: a value, None (the
 * packet is not the hello wanted: an AssertionError inside get_ja4), or an
 * exception that escapes get_ja4 (IndexError, ValueError, TypeError, an
 * AssertionError raised after the hello check) and that on_update catches.
 * The three differ in effect (an exception in the server hello phase clears
 * ja4), so every parsing step below returns which one the Python reaches.
 *
 * The JA4S part (udps.ja4s) is JA4+ material under the FoxIO License 1.1;
 * JA4 itself (udps.ja4) is BSD-3-Clause. See docs/plugins.md.
 */
#define _GNU_SOURCE	/* newlocale, towlower_l */
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <gcrypt.h>

#include "sp_plugin.h"
#include "tls_common.h"

/*
 * Column sizes. A client fingerprint is at most 46 bytes: "t", two version
 * numbers of at most 3 characters each (a byte minus 1 or 2), "d"/"i", two
 * 2-digit counts, two ALPN characters of at most 4 bytes each in UTF-8
 * (U+0130 lowercases to 3 bytes), and 1 + 12 + 1 + 12. A server one is
 * 35 bytes unless its supported_versions extension holds more than 2 bytes:
 * the Python then prints the whole extension as one decimal number (up to
 * 4,300 digits, Python's limit); such values are cut at JA4S_MAX (counted).
 */
#define JA4_MAX 48
#define JA4S_MAX 64

/* Python's sys.int_info.default_max_str_digits: str() of a longer int raises. */
#define PY_INT_MAX_STR_DIGITS 4300

/* Two-byte items of a list in one transport payload (at most 65,535 bytes). */
#define JA4_MAX_ITEMS 32768
/* Extension keys: 2-byte ones, then 1-byte ones (a key cut by the payload end). */
#define JA4_KEY_SPACE (65536 + 256)
#define JA4_MAX_EXTS 16385

enum ja4_res {
	JA4_NONE = 0,	/* get_ja4 returned (None, None) */
	JA4_VALUE = 1,	/* get_ja4 returned a fingerprint */
	JA4_EXC = 2,	/* get_ja4 raised; on_update's except clause runs */
};

enum ja4_hello {
	HELLO_CLIENT = 1,
	HELLO_SERVER = 2,
};

/* Per flow: NFStream's udps of the plugin. */
struct ja4_slot {
	uint8_t eligible;	/* udps._ja4_eligible */
	uint8_t syn;		/* udps.tcp_syn_flag */
	uint8_t syn_synack;	/* udps.tcp_syn_synack_flag */
	uint8_t synack_ack;	/* udps.tcp_synack_ack_flag */
	uint8_t ja4_len;	/* 0: None */
	uint8_t ja4s_len;
	char ja4[JA4_MAX];
	char ja4s[JA4S_MAX];
};

struct ja4_conf {
	locale_t utf8;		/* for lowercasing non-ASCII ALPN characters; 0: none */
};

/* A slice of the payload, as the Python's lists of hex bytes. */
struct fld {
	uint32_t off;
	uint32_t len;
	bool none;		/* make_entry returned None (a length of 0) */
};

/* An item of a list: a value and its width (the last one may be 1 byte). */
#define ITEM_ONE 0x10000u	/* flag: a 1-byte item (2 hex characters) */
#define ITEM_VAL(it) ((it) & 0xffffu)

struct ja4_ext {
	uint32_t key;		/* an item */
	struct fld data;
};

struct ja4_worker {
	gcry_md_hd_t md;
	locale_t utf8;
	uint32_t gen;		/* key_gen[] entries of the current hello */
	uint32_t *key_gen;
	uint32_t *key_pos;
	struct ja4_ext *ext;
	uint32_t n_ext;
	uint32_t *items;
	uint64_t *sort;
	uint32_t *limbs;	/* a big number in base 10^9, for the server version */
	char *digits;
	/* counters (read by stats() from another lcore) */
	uint64_t client_hellos;
	uint64_t server_hellos;
	uint64_t exceptions;
	uint64_t cut;
};

/* The hello being read. */
struct ja4_msg {
	const uint8_t *b;
	uint32_t n;
	enum ja4_hello type;
	struct fld ver;		/* the handshake's legacy version */
	struct fld cs;		/* client: cypher_suites; server: cypher_suite */
	struct fld ext;		/* extensions */
};

/* An output string with a bound; what does not fit is cut. */
struct out {
	char *p;
	size_t len;
	size_t max;
	bool cut;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	size_t room = o->max - o->len;

	if (n > room) {
		n = room;
		o->cut = true;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_int(struct out *o, long v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%ld", v);

	out_put(o, t, (size_t)n);
}

/* make_entry with a fixed length: the next n bytes, fewer at the end. */
static struct fld
take(uint32_t *pos, uint32_t total, uint32_t n)
{
	struct fld f = { .off = *pos, .len = 0, .none = false };

	f.len = total - *pos < n ? total - *pos : n;
	*pos += f.len;
	return f;
}

/* int("".join(bytes), 16) of a 1- or 2-byte field (never empty here). */
static uint32_t
be(const uint8_t *b, const struct fld *f)
{
	return f->len == 1 ? b[f->off] : ((uint32_t)b[f->off] << 8) | b[f->off + 1];
}

/*
 * make_entry with a length given by an earlier field: None when that field
 * is empty or 0, else the next bytes, fewer at the end (no length check).
 */
static struct fld
take_ref(const uint8_t *b, uint32_t *pos, uint32_t total, const struct fld *lenf)
{
	struct fld f = { .off = *pos, .len = 0, .none = true };
	uint32_t n;

	if (lenf->len == 0)
		return f;
	n = be(b, lenf);
	if (n == 0)
		return f;
	return take(pos, total, n);
}

/* The items of a byte list cut in pairs (make_cipher_list and the like). */
static uint32_t
chunks(const uint8_t *b, uint32_t off, uint32_t len, uint32_t *items)
{
	uint32_t i, n = 0;

	for (i = 0; i < len; i += 2)
		items[n++] = len - i >= 2 ? ((uint32_t)b[off + i] << 8) | b[off + i + 1] :
			ITEM_ONE | b[off + i];
	return n;
}

/*
 * is_grease: asserts a 4-character string (a 1-byte item raises), then
 * both bytes equal with 0xa as their low nibble.
 */
static int
is_grease(uint32_t it)
{
	if (it & ITEM_ONE)
		return -1;
	return (it >> 8) == (it & 0xff) && (it & 0x0f) == 0x0a;
}

/*
 * remove_grease deletes from the list it enumerates, so the element right
 * after a deleted one is never looked at, and stays (GREASE or not).
 * Returns -1 when is_grease raises.
 */
static int
remove_grease(uint32_t *items, uint32_t *n)
{
	uint32_t j = 0, w = 0;
	int g;

	while (j < *n) {
		g = is_grease(items[j]);
		if (g < 0)
			return -1;
		if (g) {
			j++;
			if (j < *n)
				items[w++] = items[j++];
		} else {
			items[w++] = items[j++];
		}
	}
	*n = w;
	return 0;
}

/* get_nongrease_num: counts up to 99 and stops looking there. */
static int
nongrease_num(const uint32_t *items, uint32_t n)
{
	uint32_t i;
	int num = 0, g;

	for (i = 0; i < n; i++) {
		g = is_grease(items[i]);
		if (g < 0)
			return -1;
		if (!g)
			num++;
		if (num == 99)
			break;
	}
	return num;
}

static void
heap_down(uint64_t *a, uint32_t i, uint32_t n)
{
	uint64_t t;
	uint32_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

/*
 * list.sort(key=lambda h: int(h, 16)): stable, so the key is the value then
 * the position. A heap sort, as libc's qsort may allocate.
 */
static void
sort_items(struct ja4_worker *w, uint32_t *items, uint32_t n)
{
	uint64_t *a = w->sort, t;
	uint32_t i;

	if (n < 2)
		return;
	for (i = 0; i < n; i++)
		a[i] = ((uint64_t)ITEM_VAL(items[i]) << 40) | ((uint64_t)i << 20) |
			(items[i] & ITEM_ONE);
	for (i = n / 2; i-- > 0;)
		heap_down(a, i, n);
	for (i = n - 1; i > 0; i--) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		heap_down(a, 0, i);
	}
	for (i = 0; i < n; i++)
		items[i] = (uint32_t)(a[i] >> 40) | (uint32_t)(a[i] & ITEM_ONE);
}

static const char hexd[] = "0123456789abcdef";

/* The text of an item: 4 hex characters, 2 for a 1-byte one. */
static size_t
item_hex(uint32_t it, char *t)
{
	uint32_t v = ITEM_VAL(it);

	if (it & ITEM_ONE) {
		t[0] = hexd[v >> 4];
		t[1] = hexd[v & 15];
		return 2;
	}
	t[0] = hexd[v >> 12];
	t[1] = hexd[(v >> 8) & 15];
	t[2] = hexd[(v >> 4) & 15];
	t[3] = hexd[v & 15];
	return 4;
}

/* Feeds ",".join(items) to the hash; returns the bytes fed. */
static size_t
hash_join(gcry_md_hd_t md, const uint32_t *items, uint32_t n, bool lead_sep)
{
	char buf[512];
	size_t len = 0, total = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (len > sizeof(buf) - 5) {
			gcry_md_write(md, buf, len);
			total += len;
			len = 0;
		}
		if (i > 0 || lead_sep)
			buf[len++] = ',';
		len += item_hex(items[i], buf + len);
	}
	gcry_md_write(md, buf, len);
	return total + len;
}

/* hexdigest()[:12] of what was fed, or twelve zeros when nothing was. */
static void
hash_end(gcry_md_hd_t md, size_t fed, struct out *o)
{
	const unsigned char *d;
	char t[12];
	int i;

	if (fed == 0) {
		out_put(o, "000000000000", 12);
		return;
	}
	d = gcry_md_read(md, GCRY_MD_SHA256);
	for (i = 0; i < 6; i++) {
		t[2 * i] = hexd[d[i] >> 4];
		t[2 * i + 1] = hexd[d[i] & 15];
	}
	out_put(o, t, 12);
}

/*
 * get_protocol: dpkt's view of the packet. The IP header is parsed again
 * here, as dpkt.ip.IP does, rather than taken from the core's offsets:
 * dpkt trims the payload to the IP total length (0: to the capture end),
 * leaves a non-first fragment unparsed, and raises on short headers.
 */
static enum ja4_res
get_protocol(const struct sp_plugin_packet *p, const uint8_t **pl, uint32_t *pl_len)
{
	const uint8_t *ip = p->ip;
	/* NFStream's ip_content_len is a uint16_t (caplen - ip_offset) */
	uint32_t len = p->ip_len & 0xffff, hl, end, tot, thl;

	if (p->ip_version != 4)
		return JA4_NONE;
	if (ip == NULL || len < 20)
		return JA4_EXC;		/* dpkt NeedData */
	hl = (ip[0] & 0x0f) * 4u;
	if (hl < 20)
		return JA4_EXC;		/* dpkt UnpackError('invalid header length') */
	tot = ((uint32_t)ip[2] << 8) | ip[3];
	/* Python's buf[hl:tot] (buf[hl:] when tot is 0): clamped, empty when reversed */
	if (hl > len)
		hl = len;
	end = tot != 0 && tot < len ? tot : len;
	if (end < hl)
		end = hl;
	if (ip[9] == 6) {
		/* a non-first fragment or a short TCP header: no ip.tcp, AttributeError */
		if ((((uint32_t)ip[6] << 8 | ip[7]) & 0x1fff) != 0 || end - hl < 20)
			return JA4_EXC;
		thl = (ip[hl + 12] >> 4) * 4u;
		if (thl < 20)
			return JA4_EXC;
		*pl = ip + hl + (thl < end - hl ? thl : end - hl);
		*pl_len = thl < end - hl ? end - hl - thl : 0;
		return JA4_VALUE;
	}
	if (ip[9] == 17) {
		uint32_t dport;

		if ((((uint32_t)ip[6] << 8 | ip[7]) & 0x1fff) != 0 || end - hl < 8)
			return JA4_EXC;
		dport = ((uint32_t)ip[hl + 2] << 8) | ip[hl + 3];
		/* any other port: get_protocol returns a bare None, unpacking raises */
		if (dport != 443 && dport != 80)
			return JA4_EXC;
		*pl = ip + hl + 8;
		*pl_len = end - hl - 8;
		return JA4_VALUE;
	}
	return JA4_NONE;
}

/* The hello's header checks (check_cs_hello) and fields (make_tls_dict). */
static enum ja4_res
read_hello(const uint8_t *b, uint32_t n, enum ja4_hello want, struct ja4_msg *m)
{
	struct fld rec, hs, f;
	uint32_t pos = 0;

	rec = take(&pos, n, 5);
	hs = take(&pos, n, 4);
	m->ver = take(&pos, n, 2);
	if (rec.len < 2 || b[0] != 0x16 || b[1] != 0x03)
		return JA4_NONE;
	if (hs.len == 0)
		return JA4_EXC;		/* handshake_header[0]: IndexError */
	if (b[hs.off] != 1 && b[hs.off] != 2)
		return JA4_NONE;
	if (m->ver.len == 0)
		return JA4_EXC;		/* tls_version[0]: IndexError */
	if (b[m->ver.off] != 0x03 || b[hs.off] != want)
		return JA4_NONE;
	m->b = b;
	m->n = n;
	m->type = want;
	take(&pos, n, 32);		/* random */
	f = take(&pos, n, 1);		/* session_id_len */
	take_ref(b, &pos, n, &f);	/* session_id */
	if (want == HELLO_CLIENT) {
		f = take(&pos, n, 2);
		m->cs = take_ref(b, &pos, n, &f);
		f = take(&pos, n, 1);
		take_ref(b, &pos, n, &f);	/* compression_methods */
	} else {
		m->cs = take(&pos, n, 2);
		take(&pos, n, 1);
	}
	f = take(&pos, n, 2);
	m->ext = take_ref(b, &pos, n, &f);
	return JA4_VALUE;
}

/*
 * make_extensions_dict: a dict, so a repeated type keeps its first place and
 * takes the last data. A type or length cut by the payload's end is read as
 * the bytes left (a 1-byte type; a missing length raises).
 */
static int
read_extensions(struct ja4_worker *w, const struct ja4_msg *m)
{
	const uint8_t *b = m->b;
	uint32_t pos, end, key, idx, k, want;
	struct fld d;

	w->n_ext = 0;
	if (m->ext.none || m->ext.len == 0)
		return 0;
	if (++w->gen == 0) {
		memset(w->key_gen, 0, JA4_KEY_SPACE * sizeof(*w->key_gen));
		w->gen = 1;
	}
	pos = m->ext.off;
	end = m->ext.off + m->ext.len;
	while (pos < end) {
		if (end - pos >= 2) {
			key = ((uint32_t)b[pos] << 8) | b[pos + 1];
			idx = key;
			pos += 2;
		} else {
			key = ITEM_ONE | b[pos];
			idx = 65536 + b[pos];
			pos += 1;
		}
		d.none = false;
		d.len = 0;
		if (end - pos >= 2 && b[pos] == 0 && b[pos + 1] == 0) {
			d.none = true;
			pos += 2;
		} else if (end - pos == 0) {
			return -1;	/* int("", 16): ValueError */
		} else {
			k = end - pos >= 2 ? 2 : 1;
			want = k == 2 ? ((uint32_t)b[pos] << 8) | b[pos + 1] : b[pos];
			pos += k;
			d.len = end - pos < want ? end - pos : want;
		}
		d.off = pos;
		pos += d.len;
		if (w->key_gen[idx] == w->gen) {
			w->ext[w->key_pos[idx]].data = d;
		} else {
			w->key_gen[idx] = w->gen;
			w->key_pos[idx] = w->n_ext;
			w->ext[w->n_ext].key = key;
			w->ext[w->n_ext].data = d;
			w->n_ext++;
		}
	}
	return 0;
}

static const struct fld *
ext_find(const struct ja4_worker *w, uint32_t key)
{
	if (w->n_ext == 0 || w->key_gen[key] != w->gen)
		return NULL;
	return &w->ext[w->key_pos[key]].data;
}

/*
 * A length-prefixed list inside an extension (supported versions, ALPN,
 * signature algorithms): None raises (TypeError), an empty prefix raises
 * (int("")), and the prefix must equal the bytes left (assert). lenw is the
 * prefix's width. On success, off and len hold the bytes after the prefix.
 */
static int
prefixed(const uint8_t *b, const struct fld *d, uint32_t lenw, uint32_t *off, uint32_t *len)
{
	struct fld p;

	if (d->none || d->len == 0)
		return -1;
	p.off = d->off;
	p.len = d->len < lenw ? d->len : lenw;
	*off = d->off + p.len;
	*len = d->len - p.len;
	return be(b, &p) == *len ? 0 : -1;
}

/* The decimal text of the big-endian number b[0..n) minus 1, as Python prints it. */
static int
big_minus_one(struct ja4_worker *w, const uint8_t *b, uint32_t n, struct out *o)
{
	uint32_t *l = w->limbs, nl = 0, i, j, k, nd = 0, first;
	uint64_t carry;
	bool borrow = true;
	char *dg = w->digits;

	/* leading zero bytes do not count; beyond 1,800 bytes it has > 4,300 digits */
	while (n > 0 && *b == 0) {
		b++;
		n--;
	}
	if (n == 0) {
		out_put(o, "-1", 2);
		return 0;
	}
	if (n > 1800)
		return -1;
	/*
	 * Base 10^9 limbs, most significant first: multiply in up to 4 bytes at
	 * a time (limb * 2^32 + carry stays below 2^64). Quadratic, but a value
	 * is read at most a few times per flow and the length is bounded above.
	 */
	for (i = 0; i < n; i += k) {
		k = i == 0 && n % 4 != 0 ? n % 4 : 4;
		carry = 0;
		for (j = 0; j < k; j++)
			carry = carry << 8 | b[i + j];
		for (j = nl; j-- > 0;) {
			carry += (uint64_t)l[j] << (8 * k);
			l[j] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
		while (carry > 0) {
			memmove(l + 1, l, nl * sizeof(*l));
			l[0] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
			nl++;
		}
	}
	/* minus one (the number is at least 1) */
	for (j = nl; j-- > 0 && borrow;) {
		if (l[j] > 0) {
			l[j]--;
			borrow = false;
		} else {
			l[j] = 999999999u;
		}
	}
	first = 0;
	while (first + 1 < nl && l[first] == 0)
		first++;
	nd = (uint32_t)snprintf(dg, 16, "%u", l[first]);
	for (j = first + 1; j < nl; j++) {
		snprintf(dg + nd, 16, "%09u", l[j]);
		nd += 9;
		if (nd > PY_INT_MAX_STR_DIGITS)
			return -1;	/* str(int): ValueError */
	}
	out_put(o, dg, nd);
	return 0;
}

/* get_tls_version */
static int
tls_version(struct ja4_worker *w, const struct ja4_msg *m, struct out *o)
{
	const uint8_t *b = m->b;
	const struct fld *sv = ext_find(w, 0x002b);
	uint32_t off, len, n, i, pick;

	if (sv == NULL) {
		/* "".join(tls_version) of the header: 1 byte leaves int("") */
		if (m->ver.len < 2)
			return -1;
		out_int(o, (long)b[m->ver.off] - 2);
		out_int(o, (long)b[m->ver.off + 1] - 1);
		return 0;
	}
	if (m->type == HELLO_SERVER) {
		/* the whole extension, whatever its length, as one version */
		if (sv->none || sv->len < 2)
			return -1;
		out_int(o, (long)b[sv->off] - 2);
		return big_minus_one(w, b + sv->off + 1, sv->len - 1, o);
	}
	if (prefixed(b, sv, 1, &off, &len) != 0)
		return -1;
	n = chunks(b, off, len, w->items);
	if (remove_grease(w->items, &n) != 0 || n == 0)
		return -1;
	/* the last of a stable sort: the last of the greatest */
	pick = 0;
	for (i = 1; i < n; i++)
		if (ITEM_VAL(w->items[i]) >= ITEM_VAL(w->items[pick]))
			pick = i;
	if (w->items[pick] & ITEM_ONE)
		return -1;
	out_int(o, (long)(ITEM_VAL(w->items[pick]) >> 8) - 2);
	out_int(o, (long)(ITEM_VAL(w->items[pick]) & 0xff) - 1);
	return 0;
}

/* One code point of strict UTF-8 (Python's decode("utf-8")); -1 when invalid. */
static int
utf8_next(const uint8_t *s, uint32_t n, uint32_t *i, uint32_t *cp)
{
	uint32_t c = s[*i], need, min, k;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		min = 0x10000;
		c &= 0x07;
	} else {
		return -1;
	}
	if (n - *i - 1 < need)
		return -1;
	for (k = 1; k <= need; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	*i += need + 1;
	return 0;
}

static void
out_utf8(struct out *o, uint32_t c)
{
	char t[4];
	size_t n;

	if (c < 0x80) {
		t[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		t[0] = (char)(0xc0 | (c >> 6));
		t[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		t[0] = (char)(0xe0 | (c >> 12));
		t[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		t[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		t[0] = (char)(0xf0 | (c >> 18));
		t[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		t[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		t[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	out_put(o, t, n);
}

static bool
is_cased(locale_t loc, uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	return loc != 0 && (towlower_l((wint_t)c, loc) != (wint_t)c ||
			    towupper_l((wint_t)c, loc) != (wint_t)c);
}

/*
 * One character of the fingerprint through Python's str.lower(): Unicode
 * lowercase mapping (glibc's C.UTF-8 tables), with Python's special cases
 * that can occur here: U+0130 becomes "i" + U+0307, and a capital sigma
 * ending the ALPN after a cased character is a final sigma.
 */
static void
out_lower(struct out *o, locale_t loc, uint32_t c, bool final_pos, uint32_t prev)
{
	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		out_utf8(o, c);
	} else if (c == 0x130) {
		out_utf8(o, 'i');
		out_utf8(o, 0x307);
	} else if (c == 0x3a3) {
		out_utf8(o, final_pos && is_cased(loc, prev) ? 0x3c2 : 0x3c3);
	} else {
		out_utf8(o, loc != 0 ? (uint32_t)towlower_l((wint_t)c, loc) : c);
	}
}

/*
 * get_alpn_value: the first and last characters of the first ALPN name,
 * "00" without the extension or with an empty list. The list's length must
 * match; the name must be UTF-8 and not empty.
 */
static int
alpn_value(struct ja4_worker *w, const struct ja4_msg *m, struct out *o)
{
	const uint8_t *b = m->b;
	const struct fld *d = ext_find(w, 0x0010);
	uint32_t off, len, nl, i, c, first = 0, last = 0, count = 0;

	if (d == NULL) {
		out_put(o, "00", 2);
		return 0;
	}
	if (prefixed(b, d, 2, &off, &len) != 0)
		return -1;
	if (len == 0) {
		out_put(o, "00", 2);
		return 0;
	}
	nl = b[off];
	off++;
	len--;
	if (nl < len)
		len = nl;
	for (i = 0; i < len;) {
		if (utf8_next(b + off, len, &i, &c) != 0)
			return -1;	/* UnicodeDecodeError */
		if (count++ == 0)
			first = c;
		last = c;
	}
	if (count == 0)
		return -1;	/* ""[0]: IndexError */
	out_lower(o, w->utf8, first, false, 0);
	out_lower(o, w->utf8, last, true, first);
	return 0;
}

/* make_ja4_c */
static int
ja4_c(struct ja4_worker *w, const struct ja4_msg *m, struct out *o)
{
	uint32_t n = 0, i, off, len, ns;
	const struct fld *sig;
	size_t fed;

	for (i = 0; i < w->n_ext; i++)
		w->items[n++] = w->ext[i].key;
	gcry_md_reset(w->md);
	if (m->type == HELLO_SERVER) {
		hash_end(w->md, hash_join(w->md, w->items, n, false), o);
		return 0;
	}
	if (remove_grease(w->items, &n) != 0)
		return -1;
	/* SNI and ALPN are already in part A */
	for (i = 0, ns = 0; i < n; i++)
		if (w->items[i] != 0x0000 && w->items[i] != 0x0010)
			w->items[ns++] = w->items[i];
	n = ns;
	sort_items(w, w->items, n);
	fed = hash_join(w->md, w->items, n, false);
	sig = ext_find(w, 0x000d);
	if (sig != NULL) {
		if (prefixed(m->b, sig, 2, &off, &len) != 0)
			return -1;
		n = chunks(m->b, off, len, w->items);
		if (n > 0) {
			if (remove_grease(w->items, &n) != 0)
				return -1;
			/* "_" then the list, even when GREASE removal left it empty */
			gcry_md_write(w->md, "_", 1);
			fed += 1 + hash_join(w->md, w->items, n, false);
		}
	}
	hash_end(w->md, fed, o);
	return 0;
}

/* get_ja4 from the packet's transport payload: the fingerprint into o. */
static enum ja4_res
get_ja4(struct ja4_worker *w, const struct sp_plugin_packet *p, enum ja4_hello want,
	struct out *o)
{
	struct ja4_msg m;
	const uint8_t *pl = NULL;
	uint32_t pl_len = 0, n, i, cnt;
	enum ja4_res r;
	int ne;

	r = get_protocol(p, &pl, &pl_len);
	if (r != JA4_VALUE)
		return r;
	memset(&m, 0, sizeof(m));
	r = read_hello(pl, pl_len, want, &m);
	if (r != JA4_VALUE)
		return r;
	if (read_extensions(w, &m) != 0)
		return JA4_EXC;
	/* part A */
	out_put(o, "t", 1);
	if (tls_version(w, &m, o) != 0)
		return JA4_EXC;
	if (want == HELLO_CLIENT) {
		out_put(o, ext_find(w, 0x0000) != NULL ? "d" : "i", 1);
		if (m.cs.none)
			return JA4_EXC;		/* len(None): TypeError */
		n = chunks(pl, m.cs.off, m.cs.len, w->items);
		ne = nongrease_num(w->items, n);
		if (ne < 0)
			return JA4_EXC;
		out_put(o, (char[]){ (char)('0' + ne / 10), (char)('0' + ne % 10) }, 2);
	}
	for (i = 0; i < w->n_ext; i++)
		w->items[i] = w->ext[i].key;
	ne = nongrease_num(w->items, w->n_ext);
	if (ne < 0)
		return JA4_EXC;
	out_put(o, (char[]){ (char)('0' + ne / 10), (char)('0' + ne % 10) }, 2);
	if (alpn_value(w, &m, o) != 0)
		return JA4_EXC;
	out_put(o, "_", 1);
	/* part B: the server's cipher as is, the client's sorted and hashed */
	if (want == HELLO_SERVER) {
		char t[4];

		for (i = 0; i < m.cs.len; i++) {
			t[2 * i] = hexd[pl[m.cs.off + i] >> 4];
			t[2 * i + 1] = hexd[pl[m.cs.off + i] & 15];
		}
		out_put(o, t, 2 * m.cs.len);
	} else {
		cnt = chunks(pl, m.cs.off, m.cs.len, w->items);
		if (remove_grease(w->items, &cnt) != 0)
			return JA4_EXC;
		sort_items(w, w->items, cnt);
		gcry_md_reset(w->md);
		hash_end(w->md, hash_join(w->md, w->items, cnt, false), o);
	}
	out_put(o, "_", 1);
	/* part C */
	if (ja4_c(w, &m, o) != 0)
		return JA4_EXC;
	return JA4_VALUE;
}

/* Runs get_ja4 into dst (of size max); the length written, 0 unless a value. */
static enum ja4_res
fingerprint(struct ja4_worker *w, const struct sp_plugin_packet *p, enum ja4_hello want,
	    char *dst, size_t max, uint8_t *len)
{
	struct out o = { .p = dst, .len = 0, .max = max, .cut = false };
	enum ja4_res r = get_ja4(w, p, want, &o);

	if (r == JA4_EXC)
		w->exceptions++;
	if (r != JA4_VALUE) {
		*len = 0;
		return r;
	}
	if (o.cut)
		w->cut++;
	if (want == HELLO_CLIENT)
		w->client_hellos++;
	else
		w->server_hellos++;
	*len = (uint8_t)o.len;
	return r;
}

static const struct sp_plugin_column ja4_columns[] = {
	{ .name = "udps.ja4", .type = SP_PLUGIN_STRING, .max = JA4_MAX },
	{ .name = "udps.ja4s", .type = SP_PLUGIN_STRING, .max = JA4S_MAX },
};

static int
ja4_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	      struct sp_plugin_config *out, char *err, size_t errlen)
{
	struct ja4_conf *c;

	if (n_opts > 0) {
		snprintf(err, errlen, "ja4 takes no options (got '%s')", opts[0].key);
		return -EINVAL;
	}
	if (tls_gcrypt_init() != 0) {
		snprintf(err, errlen, "ja4: libgcrypt cannot be initialised");
		return -ENOTSUP;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "ja4: out of memory");
		return -ENOMEM;
	}
	/* without C.UTF-8, non-ASCII ALPN characters are kept as they are */
	c->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	out->slot_size = sizeof(struct ja4_slot);
	out->columns = ja4_columns;
	out->n_columns = sizeof(ja4_columns) / sizeof(ja4_columns[0]);
	out->conf = c;
	return 0;
}

static void
ja4_deconfigure(void *conf)
{
	struct ja4_conf *c = conf;

	if (c == NULL)
		return;
	if (c->utf8 != (locale_t)0)
		freelocale(c->utf8);
	free(c);
}

static void
ja4_worker_fini(void *wctx)
{
	struct ja4_worker *w = wctx;

	if (w == NULL)
		return;
	if (w->md != NULL)
		gcry_md_close(w->md);
	free(w->key_gen);
	free(w->key_pos);
	free(w->ext);
	free(w->items);
	free(w->sort);
	free(w->limbs);
	free(w->digits);
	free(w);
}

/*
 * The scratch space of the largest hello a payload can hold (65,535 bytes),
 * made once per worker, so that reading a hello allocates nothing: about
 * 1.2 MB per worker.
 */
static void *
ja4_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct ja4_conf *c = conf;
	struct ja4_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->utf8 = c != NULL ? c->utf8 : (locale_t)0;
	w->key_gen = calloc(JA4_KEY_SPACE, sizeof(*w->key_gen));
	w->key_pos = calloc(JA4_KEY_SPACE, sizeof(*w->key_pos));
	w->ext = calloc(JA4_MAX_EXTS, sizeof(*w->ext));
	w->items = calloc(JA4_MAX_ITEMS + 1, sizeof(*w->items));
	w->sort = calloc(JA4_MAX_ITEMS + 1, sizeof(*w->sort));
	/* 1,800 bytes are at most 480 limbs of 9 digits */
	w->limbs = calloc(512, sizeof(*w->limbs));
	w->digits = calloc(PY_INT_MAX_STR_DIGITS + 32, 1);
	if (w->key_gen == NULL || w->key_pos == NULL || w->ext == NULL || w->items == NULL ||
	    w->sort == NULL || w->limbs == NULL || w->digits == NULL ||
	    gcry_md_open(&w->md, GCRY_MD_SHA256, 0) != 0) {
		ja4_worker_fini(w);
		return NULL;
	}
	return w;
}

/* on_init: only a flow opened by a SYN (without ACK) is eligible. */
static int
ja4_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	    const struct sp_plugin_flow *f)
{
	struct ja4_slot *s = slot;
	bool syn = (p->tcp_flags & 0x02) != 0, ack = (p->tcp_flags & 0x10) != 0;

	s->eligible = syn && !ack;
	s->syn = s->eligible;
	/*
	 * NFStream's get_protocol returns None for any IP version but 4, so
	 * such a flow never gets a value: nothing more to look at.
	 */
	if (!s->eligible || p->ip_version != 4)
		return SP_PLUGIN_DONE;
	return SP_PLUGIN_CONTINUE;
}

/*
 * on_update, statement by statement: the client hello is looked for in
 * every packet (either direction) until one reads, then the server hello in
 * every packet after it (either direction, no check that it is the
 * server's). Once the handshake's last ACK has been seen, a packet that
 * still brings no client fingerprint ends the search: so the client hello
 * counts only on that ACK or the packet right after it.
 */
static int
ja4_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
	      const struct sp_plugin_flow *f)
{
	struct ja4_worker *w = wctx;
	struct ja4_slot *s = slot;
	bool syn = (p->tcp_flags & 0x02) != 0, ack = (p->tcp_flags & 0x10) != 0;

	if (!s->eligible)
		return SP_PLUGIN_DONE;
	if (s->ja4_len == 0) {
		fingerprint(w, p, HELLO_CLIENT, s->ja4, JA4_MAX, &s->ja4_len);
	} else {
		/* the except clause of this branch clears ja4, not ja4s */
		if (fingerprint(w, p, HELLO_SERVER, s->ja4s, JA4S_MAX, &s->ja4s_len) == JA4_EXC)
			s->ja4_len = 0;
		if (s->ja4s_len != 0)
			s->eligible = 0;
	}
	if (s->synack_ack && s->eligible && s->ja4_len == 0)
		s->eligible = 0;
	if (s->eligible) {
		if (!s->syn) {
			if (syn && !ack)
				s->syn = 1;
		} else if (!s->syn_synack) {
			if (syn && ack)
				s->syn_synack = 1;
		} else if (!s->synack_ack) {
			if (ack && !syn)
				s->synack_ack = 1;
		}
	}
	return s->eligible ? SP_PLUGIN_CONTINUE : SP_PLUGIN_DONE;
}

static void
ja4_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	const struct ja4_slot *s = slot;

	if (s->ja4_len != 0)
		sp_plugin_set_string(r, 0, s->ja4, s->ja4_len);
	if (s->ja4s_len != 0)
		sp_plugin_set_string(r, 1, s->ja4s, s->ja4s_len);
}

static unsigned int
ja4_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct ja4_worker *w = wctx;
	const struct sp_plugin_stat all[] = {
		{ "client_hellos", w->client_hellos },
		{ "server_hellos", w->server_hellos },
		/* packets whose reading raised in NFStream's code (its except clause) */
		{ "unreadable_hellos", w->exceptions },
		/* values longer than their column (only absurd server versions) */
		{ "values_cut", w->cut },
	};
	unsigned int i, n = sizeof(all) / sizeof(all[0]);

	for (i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return i;
}

const struct sp_plugin sp_plugin_ja4 = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "ja4",
	.version = "1.0",
	.description = "NFStream's JA4(): TLS client (udps.ja4) and server (udps.ja4s) "
		"fingerprints, as NFStream computes them",
	.configure = ja4_configure,
	.deconfigure = ja4_deconfigure,
	.worker_init = ja4_worker_init,
	.worker_fini = ja4_worker_fini,
	.on_init = ja4_on_init,
	.on_update = ja4_on_update,
	.on_expire = ja4_on_expire,
	.stats = ja4_stats,
};
