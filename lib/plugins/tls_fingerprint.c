/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tls-fingerprint: FoxIO's JA4 TLS client fingerprint (BSD-3-Clause; the
 * specification is technical_details/JA4.md in FoxIO-LLC/ja4), in its four
 * forms: udps.tls_ja4 (sorted, hashed), udps.tls_ja4_r (sorted, raw),
 * udps.tls_ja4_o (original order, hashed), udps.tls_ja4_ro (original order,
 * raw). Only JA4 itself: the other JA4+ methods are under the FoxIO License
 * 1.1 and are not implemented.
 *
 * Unlike the ja4 plugin (NFStream's, one packet, IPv4), the client hello
 * is taken from TLS over TCP on IPv4 and IPv6, reassembled from the
 * client's segments in sequence order (out of order and retransmitted
 * segments included, the first copy of a byte wins) into the flow's slot,
 * up to max bytes; from QUIC ('q': versions 1, 2 and draft-29), its client
 * Initial packets decrypted (RFC 9001 section 5: HKDF-SHA256, AES-128-GCM,
 * AES header protection, with libgcrypt) and the CRYPTO frames' bytes
 * reassembled by offset the same way; and from DTLS over UDP ('d') when
 * the hello is in one datagram.
 *
 * The plugin is done with a flow once the hello is complete, or once it is
 * clear there will be none in max bytes; the fingerprint is made from the
 * slot's bytes at the flow's end (on_expire), so nothing but the bytes is
 * kept per flow, and nothing is allocated.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "sp_plugin.h"
#include "tls_common.h"

#define TFP_MAX_DEFAULT 4096
#define TFP_MAX_MIN 512
#define TFP_MAX_MAX 16384
#define TFP_PACKETS_DEFAULT 32
/* Disjoint byte ranges of the hello held while earlier bytes are missing. */
#define TFP_RANGES 6
/* The hashed forms: "t13d1516h2_" + 12 + "_" + 12. */
#define TFP_HASHED_MAX 40
/*
 * The raw forms' column: a typical one is 200-400 bytes, a hello of 350
 * ciphers writes 1,800. A longer one is left None (counted) rather than cut.
 */
#define TFP_RAW_DEFAULT 1024
#define TFP_RAW_MIN 64
#define TFP_RAW_MAX 65535

enum tfp_state {
	ST_WAIT = 0,	/* no client byte yet */
	ST_COLLECT,	/* collecting the hello */
	ST_HELLO,	/* a complete hello in buf */
	ST_NONE,	/* no hello: the columns stay None */
};

/* Per flow; buf is max bytes (the option). */
struct tfp_slot {
	uint8_t state;
	uint8_t kind;		/* 't' (TCP), 'q' (QUIC) or 'd' (DTLS) */
	uint8_t client_dir;
	uint8_t base_known;	/* base is the sequence number of the first client byte */
	uint8_t n_ranges;
	uint8_t pad;
	uint16_t packets;	/* the flow's packets seen while collecting */
	uint32_t base;
	uint16_t range[TFP_RANGES][2];	/* [start, end) in buf, sorted, disjoint */
	uint16_t len;		/* buf's bytes: TLS records, QUIC CRYPTO data, a DTLS record */
	/* QUIC: the client's Initial keys, from its first Initial's DCID */
	uint32_t quic_version;	/* 0: no key yet */
	uint8_t qkey[16], qiv[12], qhp[16];
	uint8_t buf[];
};

enum tfp_stat {
	S_HELLOS,		/* client hellos fingerprinted (all kinds) */
	S_DTLS,			/* of them DTLS */
	S_QUIC,			/* of them QUIC */
	S_QUIC_UNDECRYPTABLE,	/* client Initial packets that do not decrypt */
	S_SSL2,			/* of them SSL 2.0 format hellos */
	S_MALFORMED,		/* a complete hello that does not parse: None */
	S_TOO_LARGE,		/* a hello longer than max: None */
	S_NOT_TLS,		/* TCP flows whose client bytes are not a TLS hello */
	S_GAVE_UP,		/* still incomplete after the packets option */
	S_OUT_OF_ORDER,		/* client segments ahead of a gap */
	S_RETRANSMITTED,	/* client segments bringing no new byte */
	S_RANGES_FULL,		/* segments dropped: too many gaps at once */
	S_FRAGMENTS,		/* IP fragments (not reassembled): skipped */
	S_RAW_TOO_LONG,		/* raw forms longer than the raw option: None */
	S_COUNT
};

static const char *const stat_names[S_COUNT] = {
	[S_HELLOS] = "client_hellos",
	[S_DTLS] = "dtls_hellos",
	[S_QUIC] = "quic_hellos",
	[S_QUIC_UNDECRYPTABLE] = "quic_undecryptable",
	[S_SSL2] = "ssl2_format_hellos",
	[S_MALFORMED] = "malformed_hellos",
	[S_TOO_LARGE] = "hellos_too_large",
	[S_NOT_TLS] = "not_tls",
	[S_GAVE_UP] = "incomplete_hellos",
	[S_OUT_OF_ORDER] = "out_of_order_segments",
	[S_RETRANSMITTED] = "retransmitted_segments",
	[S_RANGES_FULL] = "segments_dropped",
	[S_FRAGMENTS] = "ip_fragments",
	[S_RAW_TOO_LONG] = "raw_too_long",
};

struct tfp_conf {
	uint32_t max;
	uint32_t packets;
	uint32_t raw;
	struct sp_plugin_column columns[4];
};

struct tfp_worker {
	uint32_t max;
	uint32_t packets;
	uint32_t raw;
	uint8_t *hs;		/* the handshake message, records removed */
	uint16_t *ciphers, *exts, *sigs, *sorted;
	char *text;		/* a raw form being written */
	size_t text_cap;
	gcry_md_hd_t hmac;	/* HMAC-SHA256 for HKDF */
	gcry_cipher_hd_t gcm;	/* AES-128-GCM: the Initial's payload */
	gcry_cipher_hd_t ecb;	/* AES-128-ECB: its header protection */
	uint8_t *plain;		/* a decrypted Initial payload */
	uint64_t stat[S_COUNT];
};

/* The hello's fields, as lists without GREASE. */
struct tfp_hello {
	char kind;
	uint16_t version;	/* the highest of supported_versions, or the hello's */
	bool sni;
	uint8_t alpn[2];	/* the two characters of part A; "00" without */
	uint32_t n_ciphers, n_exts, n_sigs;
};

/* The raw columns' max is the raw option's. */
static const struct sp_plugin_column tfp_columns[4] = {
	{ .name = "udps.tls_ja4", .type = SP_PLUGIN_STRING, .max = TFP_HASHED_MAX },
	{ .name = "udps.tls_ja4_r", .type = SP_PLUGIN_STRING, .max = TFP_RAW_DEFAULT },
	{ .name = "udps.tls_ja4_o", .type = SP_PLUGIN_STRING, .max = TFP_HASHED_MAX },
	{ .name = "udps.tls_ja4_ro", .type = SP_PLUGIN_STRING, .max = TFP_RAW_DEFAULT },
};

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(((uint32_t)b[0] << 8) | b[1]);
}

static inline uint32_t
rd24(const uint8_t *b)
{
	return ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2];
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* ---- the hello's fields ---- */

/* Appends the non-GREASE 2-byte items of b[0..n) to out; returns how many. */
static uint32_t
items(const uint8_t *b, uint32_t n, uint16_t *out)
{
	uint32_t i, k = 0;

	for (i = 0; i + 1 < n; i += 2)
		if (!tls_is_grease(rd16(b + i)))
			out[k++] = rd16(b + i);
	return k;
}

static bool
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * The ALPN part: first and last character of the first value; when either
 * is not an ASCII letter or digit, the first and last hex digits of the
 * value's bytes instead (the specification's "0x30 0xAB" -> "3b").
 */
static int
alpn_chars(const uint8_t *d, uint32_t n, uint8_t out[2])
{
	uint32_t l;
	uint8_t f, e;

	out[0] = out[1] = '0';
	if (n < 2 || rd16(d) != n - 2)
		return -1;
	if (n == 2)
		return 0;	/* no value */
	l = d[2];
	if (l + 3 > n)
		return -1;
	if (l == 0)
		return 0;	/* an empty first value */
	f = d[3];
	e = d[3 + l - 1];
	if (alnum(f) && alnum(e)) {
		out[0] = f;
		out[1] = e;
	} else {
		out[0] = (uint8_t)TLS_HEXD[f >> 4];
		out[1] = (uint8_t)TLS_HEXD[e & 15];
	}
	return 0;
}

/*
 * The client hello's body (after the handshake header) into h and the
 * worker's lists. Any length that overruns its container: -1 (None).
 */
static int
parse_hello(struct tfp_worker *w, const uint8_t *b, uint32_t n, char kind, struct tfp_hello *h)
{
	uint32_t pos = 0, l, end, t, el;
	bool seen_sig = false, seen_alpn = false, seen_sv = false;

	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->alpn[0] = h->alpn[1] = '0';
	if (n < 2 + 32 + 1)
		return -1;
	h->version = rd16(b);
	pos = 2 + 32;
	l = b[pos++];			/* session id */
	if (pos + l > n)
		return -1;
	pos += l;
	if (kind == 'd') {
		if (pos + 1 > n)
			return -1;
		l = b[pos++];		/* cookie */
		if (pos + l > n)
			return -1;
		pos += l;
	}
	if (pos + 2 > n)
		return -1;
	l = rd16(b + pos);		/* cipher suites */
	pos += 2;
	if (pos + l > n || (l & 1) != 0)
		return -1;
	h->n_ciphers = items(b + pos, l, w->ciphers);
	pos += l;
	if (pos + 1 > n)
		return -1;
	l = b[pos++];			/* compression methods */
	if (pos + l > n)
		return -1;
	pos += l;
	if (pos == n)
		return 0;		/* no extensions (SSL 3.0, early TLS) */
	if (pos + 2 > n)
		return -1;
	l = rd16(b + pos);
	pos += 2;
	if (pos + l > n)
		return -1;
	end = pos + l;
	while (pos < end) {
		if (end - pos < 4)
			return -1;
		t = rd16(b + pos);
		el = rd16(b + pos + 2);
		pos += 4;
		if (pos + el > end)
			return -1;
		if (!tls_is_grease((uint16_t)t))
			w->exts[h->n_exts++] = (uint16_t)t;
		if (t == 0x0000) {
			h->sni = true;
		} else if (t == 0x0010 && !seen_alpn) {
			seen_alpn = true;
			if (alpn_chars(b + pos, el, h->alpn) != 0)
				return -1;
		} else if (t == 0x000d && !seen_sig) {
			seen_sig = true;
			if (el < 2 || rd16(b + pos) != el - 2 || (el & 1) != 0)
				return -1;
			h->n_sigs = items(b + pos + 2, el - 2, w->sigs);
		} else if (t == 0x002b && !seen_sv) {
			uint32_t i, best = 0;
			bool any = false;

			seen_sv = true;
			if (el < 1 || b[pos] != el - 1 || ((el - 1) & 1) != 0)
				return -1;
			/*
			 * "the highest value", as a number, as FoxIO's own code
			 * does, DTLS included (where 0xfeff, DTLS 1.0, is above
			 * 0xfefd, DTLS 1.2)
			 */
			for (i = 0; i + 1 < el - 1; i += 2) {
				uint16_t v = rd16(b + pos + 1 + i);

				if (tls_is_grease(v))
					continue;
				if (!any || v > best)
					best = v;
				any = true;
			}
			if (any)
				h->version = (uint16_t)best;
		}
		pos += el;
	}
	return 0;
}

static const char *
version_text(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static void
heap_down(uint16_t *a, uint32_t i, uint32_t n)
{
	uint32_t c;
	uint16_t t;

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

/* In place, without libc's qsort (which may allocate). */
static void
sort16(uint16_t *a, uint32_t n)
{
	uint32_t i;
	uint16_t t;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		heap_down(a, i, n);
	for (i = n - 1; i > 0; i--) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		heap_down(a, 0, i);
	}
}

/* Writes ",".join(4-hex-digit items) at t; returns its length. */
static size_t
join(char *t, const uint16_t *v, uint32_t n)
{
	size_t k = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			t[k++] = ',';
		t[k++] = TLS_HEXD[v[i] >> 12];
		t[k++] = TLS_HEXD[(v[i] >> 8) & 15];
		t[k++] = TLS_HEXD[(v[i] >> 4) & 15];
		t[k++] = TLS_HEXD[v[i] & 15];
	}
	return k;
}

/* SHA-256 of t[0..n), its first 12 hex digits at out. */
static void
hash12(const char *t, size_t n, char *out)
{
	unsigned char d[32];
	int i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, d, t, n);
	for (i = 0; i < 6; i++) {
		out[2 * i] = TLS_HEXD[d[i] >> 4];
		out[2 * i + 1] = TLS_HEXD[d[i] & 15];
	}
}

/* A raw form, or None (counted) when it is longer than its column: a cut one would mislead. */
static void
set_raw(struct tfp_worker *w, struct sp_plugin_record *r, unsigned int col, const char *t,
	size_t n)
{
	if (n > w->raw) {
		w->stat[S_RAW_TOO_LONG]++;
		return;
	}
	sp_plugin_set_string(r, col, t, n);
}

/*
 * The four forms into the record. The cipher hash is twelve zeros when
 * there is no cipher; the extension hash when the sorted extension string
 * (SNI and ALPN left out, then "_" and the signature algorithms when there
 * are any) is empty, in both the sorted and the original form, as FoxIO's
 * reference does.
 */
static void
write_forms(struct tfp_worker *w, const struct tfp_hello *h, struct sp_plugin_record *r)
{
	char a[11], hs[TFP_HASHED_MAX], *t = w->text;
	uint32_t i, ns = 0;
	size_t na, k, kc, ke;
	const char *ver = version_text(h->version);
	bool ciphers = h->n_ciphers > 0;
	bool sorted_empty;

	a[0] = h->kind;
	a[1] = ver[0];
	a[2] = ver[1];
	a[3] = h->sni ? 'd' : 'i';
	a[4] = (char)('0' + (h->n_ciphers > 99 ? 99 : h->n_ciphers) / 10);
	a[5] = (char)('0' + (h->n_ciphers > 99 ? 99 : h->n_ciphers) % 10);
	a[6] = (char)('0' + (h->n_exts > 99 ? 99 : h->n_exts) / 10);
	a[7] = (char)('0' + (h->n_exts > 99 ? 99 : h->n_exts) % 10);
	a[8] = (char)h->alpn[0];
	a[9] = (char)h->alpn[1];
	na = 10;

	/* sorted: ciphers, then extensions without SNI and ALPN, then signatures */
	for (i = 0; i < h->n_exts; i++)
		if (w->exts[i] != 0x0000 && w->exts[i] != 0x0010)
			w->sorted[ns++] = w->exts[i];
	sort16(w->sorted, ns);
	sorted_empty = ns == 0 && h->n_sigs == 0;

	/* ja4_r: a _ sorted ciphers _ sorted extensions [_ signatures] */
	memcpy(t, a, na);
	k = na;
	t[k++] = '_';
	memcpy(w->sorted + ns, w->ciphers, h->n_ciphers * sizeof(uint16_t));
	sort16(w->sorted + ns, h->n_ciphers);
	kc = k;
	k += join(t + k, w->sorted + ns, h->n_ciphers);
	t[k++] = '_';
	ke = k;
	k += join(t + k, w->sorted, ns);
	if (h->n_sigs > 0) {
		t[k++] = '_';
		k += join(t + k, w->sigs, h->n_sigs);
	}
	set_raw(w, r, 1, t, k);
	/* ja4 */
	memcpy(hs, a, na);
	hs[na] = '_';
	if (ciphers)
		hash12(t + kc, ke - 1 - kc, hs + na + 1);
	else
		memset(hs + na + 1, '0', 12);
	hs[na + 13] = '_';
	if (!sorted_empty)
		hash12(t + ke, k - ke, hs + na + 14);
	else
		memset(hs + na + 14, '0', 12);
	sp_plugin_set_string(r, 0, hs, na + 26);

	/* ja4_ro: a _ ciphers _ extensions (all) [_ signatures], in the hello's order */
	k = na + 1;
	kc = k;
	k += join(t + k, w->ciphers, h->n_ciphers);
	t[k++] = '_';
	ke = k;
	k += join(t + k, w->exts, h->n_exts);
	if (h->n_sigs > 0) {
		t[k++] = '_';
		k += join(t + k, w->sigs, h->n_sigs);
	}
	set_raw(w, r, 3, t, k);
	/* ja4_o */
	if (ciphers)
		hash12(t + kc, ke - 1 - kc, hs + na + 1);
	if (!sorted_empty)
		hash12(t + ke, k - ke, hs + na + 14);
	sp_plugin_set_string(r, 2, hs, na + 26);
}

/*
 * TLS: the handshake message from the records in buf (a hello may span
 * records); its body and length. -1 when it is not a whole client hello.
 */
static int
tls_message(struct tfp_worker *w, const struct tfp_slot *s, const uint8_t **body, uint32_t *n)
{
	uint32_t pos = 0, got = 0, need = 0, rl;

	while (pos + 5 <= s->len) {
		rl = rd16(s->buf + pos + 3);
		if (s->buf[pos] != 0x16 || pos + 5 + rl > s->len)
			return -1;
		memcpy(w->hs + got, s->buf + pos + 5, rl);
		got += rl;
		pos += 5 + rl;
		if (got >= 4) {
			need = 4 + rd24(w->hs + 1);
			if (got >= need)
				break;
		}
	}
	if (got < 4 || w->hs[0] != 0x01 || got < need)
		return -1;
	*body = w->hs + 4;
	*n = need - 4;
	return 0;
}

/* DTLS: the record's unfragmented client hello body. */
static int
dtls_message(const struct tfp_slot *s, const uint8_t **body, uint32_t *n)
{
	const uint8_t *b = s->buf;
	uint32_t rl, ml;

	if (s->len < 13 + 12)
		return -1;
	rl = rd16(b + 11);
	ml = rd24(b + 14);
	if (13 + rl > s->len || rl < 12 || b[13] != 0x01 || rd24(b + 19) != 0 ||
	    rd24(b + 22) != ml || 12 + ml > rl)
		return -1;
	*body = b + 25;
	*n = ml;
	return 0;
}

/* ---- reassembly ---- */

/*
 * Whether the collected bytes from 0 hold a whole hello: 1 yes, 0 not yet,
 * -1 never (not a TLS handshake record, or a hello longer than max).
 */
static int
tls_complete(const struct tfp_slot *s, uint32_t contig, uint32_t max, struct tfp_worker *w)
{
	uint32_t pos = 0, got = 0, rl, avail, need = 0, i;
	uint8_t hdr[4];

	if (contig >= 1 && (s->buf[0] & 0x80) != 0) {
		/* an SSL 2.0 format client hello: a 2-byte length with the top bit set */
		if (contig >= 3 && s->buf[2] != 0x01)
			return -1;
		if (contig < 2)
			return 0;
		need = 2 + (((uint32_t)s->buf[0] & 0x7f) << 8 | s->buf[1]);
		if (need > max) {
			w->stat[S_TOO_LARGE]++;
			return -1;
		}
		return contig >= need && need >= 5 ? 1 : contig >= need ? -1 : 0;
	}
	if ((contig >= 1 && s->buf[0] != 0x16) || (contig >= 2 && s->buf[1] != 0x03))
		return -1;
	while (pos + 5 <= contig) {
		/* a record of another type before the hello is whole: no hello */
		if (s->buf[pos] != 0x16)
			return -1;
		rl = rd16(s->buf + pos + 3);
		avail = contig - pos - 5 < rl ? contig - pos - 5 : rl;
		/* the handshake header's 4 bytes, wherever the records cut them */
		for (i = 0; i < avail && got + i < 4; i++)
			hdr[got + i] = s->buf[pos + 5 + i];
		if (got < 4 && got + avail >= 4) {
			if (hdr[0] != 0x01)
				return -1;
			need = 4 + rd24(hdr + 1);
		}
		if (need != 0 && got + rl >= need) {
			/* the hello ends in this record, which must fit */
			if (pos + 5 + rl > max) {
				w->stat[S_TOO_LARGE]++;
				return -1;
			}
			return pos + 5 + rl <= contig ? 1 : 0;
		}
		if (pos + 5 + rl >= max) {
			w->stat[S_TOO_LARGE]++;
			return -1;
		}
		if (pos + 5 + rl > contig)
			return 0;
		got += rl;
		pos += 5 + rl;
	}
	return 0;
}

/*
 * Puts bytes [off, off + n) of the client's stream into buf, where no byte
 * is yet (the first copy wins); keeps the ranges sorted and merged.
 * Returns the number of new bytes, or -1 when the ranges are full.
 */
static int
put_bytes(struct tfp_slot *s, uint32_t off, const uint8_t *d, uint32_t n)
{
	uint32_t i, j, st, en, cur = off, fresh = 0, e = off + n;
	uint16_t nr[TFP_RANGES + 1][2];
	uint32_t k = 0;
	bool placed = false;

	/* copy into the gaps */
	for (i = 0; i <= s->n_ranges && cur < e; i++) {
		st = i < s->n_ranges ? s->range[i][0] : UINT32_MAX;
		en = i < s->n_ranges ? s->range[i][1] : UINT32_MAX;
		if (cur < st) {
			uint32_t stop = e < st ? e : st;

			memcpy(s->buf + cur, d + (cur - off), stop - cur);
			fresh += stop - cur;
			cur = stop;
		}
		if (cur < en)
			cur = en;
	}
	if (fresh == 0)
		return 0;
	/* merge [off, e) into the ranges */
	for (i = 0; i < s->n_ranges; i++) {
		if (s->range[i][1] < off) {
			nr[k][0] = s->range[i][0];
			nr[k][1] = s->range[i][1];
			k++;
		} else if (s->range[i][0] > e) {
			if (!placed) {
				nr[k][0] = (uint16_t)off;
				nr[k][1] = (uint16_t)e;
				k++;
				placed = true;
			}
			nr[k][0] = s->range[i][0];
			nr[k][1] = s->range[i][1];
			k++;
		} else {
			if (s->range[i][0] < off)
				off = s->range[i][0];
			if (s->range[i][1] > e)
				e = s->range[i][1];
		}
	}
	if (!placed) {
		nr[k][0] = (uint16_t)off;
		nr[k][1] = (uint16_t)e;
		k++;
	}
	if (k > TFP_RANGES) {
		/* the bytes copied are not marked as held: a later copy of them is taken */
		return -1;
	}
	for (j = 0; j < k; j++) {
		s->range[j][0] = nr[j][0];
		s->range[j][1] = nr[j][1];
	}
	s->n_ranges = (uint8_t)k;
	return (int)fresh;
}

/* ---- QUIC (RFC 9000, RFC 9001; version 2: RFC 9369) ---- */

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define QUIC_DRAFT29 0xff00001du
/* a datagram's Initial packet at most (RFC 9000 allows more; 1200..1500 in practice) */
#define QUIC_MAX_PACKET 65535

static const uint8_t quic_salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
static const uint8_t quic_salt_v2[20] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};
static const uint8_t quic_salt_d29[20] = {
	0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99,
};

/* A QUIC variable-length integer at b[*pos], within n bytes; -1 when cut. */
static int
varint(const uint8_t *b, uint32_t n, uint32_t *pos, uint64_t *v)
{
	uint32_t len, i;

	if (*pos >= n)
		return -1;
	len = 1u << (b[*pos] >> 6);
	if (n - *pos < len)
		return -1;
	*v = b[*pos] & 0x3f;
	for (i = 1; i < len; i++)
		*v = (*v << 8) | b[*pos + i];
	*pos += len;
	return 0;
}

/* HMAC-SHA256(key, d1 || d2) into out (32 bytes). */
static int
hmac256(struct tfp_worker *w, const uint8_t *key, size_t kl, const uint8_t *d1, size_t n1,
	const uint8_t *d2, size_t n2, uint8_t *out)
{
	const unsigned char *r;

	gcry_md_reset(w->hmac);
	if (gcry_md_setkey(w->hmac, key, kl) != 0)
		return -1;
	gcry_md_write(w->hmac, d1, n1);
	if (n2 > 0)
		gcry_md_write(w->hmac, d2, n2);
	r = gcry_md_read(w->hmac, GCRY_MD_SHA256);
	if (r == NULL)
		return -1;
	memcpy(out, r, 32);
	return 0;
}

/* TLS 1.3's HKDF-Expand-Label with an empty context, n <= 32 bytes (one block). */
static int
expand_label(struct tfp_worker *w, const uint8_t *secret, const char *label, uint8_t *out,
	     size_t n)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1], t[32];
	size_t ll = strlen(label), k = 0;

	info[k++] = 0;
	info[k++] = (uint8_t)n;
	info[k++] = (uint8_t)(6 + ll);
	memcpy(info + k, "tls13 ", 6);
	k += 6;
	memcpy(info + k, label, ll);
	k += ll;
	info[k++] = 0;		/* context */
	info[k++] = 1;		/* the block counter */
	if (hmac256(w, secret, 32, info, k, NULL, 0, t) != 0)
		return -1;
	memcpy(out, t, n);
	return 0;
}

/* The client's Initial keys of a version from the DCID (RFC 9001 section 5.2). */
static int
quic_keys(struct tfp_worker *w, struct tfp_slot *s, uint32_t version, const uint8_t *dcid,
	  uint32_t dl)
{
	const uint8_t *salt = version == QUIC_V2 ? quic_salt_v2 :
		version == QUIC_DRAFT29 ? quic_salt_d29 : quic_salt_v1;
	bool v2 = version == QUIC_V2;
	uint8_t init[32], client[32];

	if (hmac256(w, salt, 20, dcid, dl, NULL, 0, init) != 0 ||
	    expand_label(w, init, "client in", client, 32) != 0 ||
	    expand_label(w, client, v2 ? "quicv2 key" : "quic key", s->qkey, 16) != 0 ||
	    expand_label(w, client, v2 ? "quicv2 iv" : "quic iv", s->qiv, 12) != 0 ||
	    expand_label(w, client, v2 ? "quicv2 hp" : "quic hp", s->qhp, 16) != 0)
		return -1;
	s->quic_version = version;
	return 0;
}

/* A QUIC long header packet of a version this plugin decrypts, Initial type. */
static bool
quic_initial(const uint8_t *d, uint32_t n, uint32_t *version)
{
	uint32_t v;

	if (n < 7 || (d[0] & 0xc0) != 0xc0)
		return false;
	v = rd32(d + 1);
	if (v != QUIC_V1 && v != QUIC_V2 && v != QUIC_DRAFT29)
		return false;
	*version = v;
	/* the Initial type: 0b00, in version 2 0b01 */
	return ((d[0] >> 4) & 3) == (v == QUIC_V2 ? 1u : 0u);
}

/*
 * A client Initial packet at the start of datagram d: removes header
 * protection, decrypts and authenticates it, and puts its CRYPTO frames'
 * bytes into the slot by offset. Returns 0, or -1 when it does not decrypt.
 */
static int
quic_packet(struct tfp_worker *w, struct tfp_slot *s, const uint8_t *d, uint32_t n)
{
	uint8_t *hdr = w->hs, mask[16], nonce[12];
	uint32_t pos = 5, dl, sl, pn_off, pn_len, i, plen, fpos;
	uint64_t tl, len, pn = 0, off, fl, t, x, cnt;
	const uint8_t *dcid;

	dl = d[pos++];
	if (dl > 20 || pos + dl + 1 > n)
		return -1;
	dcid = d + pos;
	pos += dl;
	sl = d[pos++];
	if (sl > 20 || pos + sl > n)
		return -1;
	pos += sl;
	if (varint(d, n, &pos, &tl) != 0 || tl > n - pos)
		return -1;
	pos += (uint32_t)tl;
	if (varint(d, n, &pos, &len) != 0 || len > n - pos || len < 4 + 16)
		return -1;
	pn_off = pos;
	if (s->quic_version == 0 && quic_keys(w, s, rd32(d + 1), dcid, dl) != 0)
		return -1;
	/* the header is the AEAD's associated data, copied to w->hs (max bytes) */
	if (rd32(d + 1) != s->quic_version || pn_off + 4 + 16 > n || pn_off + 4 > w->max)
		return -1;
	/* header protection: AES-ECB of the sample 4 bytes after the packet number's start */
	if (gcry_cipher_setkey(w->ecb, s->qhp, 16) != 0 ||
	    gcry_cipher_encrypt(w->ecb, mask, 16, d + pn_off + 4, 16) != 0)
		return -1;
	memcpy(hdr, d, pn_off);
	hdr[0] ^= mask[0] & 0x0f;
	pn_len = (hdr[0] & 3) + 1u;
	for (i = 0; i < pn_len; i++) {
		hdr[pn_off + i] = d[pn_off + i] ^ mask[1 + i];
		pn = (pn << 8) | hdr[pn_off + i];
	}
	if (len < pn_len + 16)
		return -1;
	plen = (uint32_t)len - pn_len - 16;
	memcpy(nonce, s->qiv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	if (gcry_cipher_setkey(w->gcm, s->qkey, 16) != 0 ||
	    gcry_cipher_setiv(w->gcm, nonce, 12) != 0 ||
	    gcry_cipher_authenticate(w->gcm, hdr, pn_off + pn_len) != 0 ||
	    gcry_cipher_decrypt(w->gcm, w->plain, plen, d + pn_off + pn_len, plen) != 0 ||
	    gcry_cipher_checktag(w->gcm, d + pn_off + pn_len + plen, 16) != 0)
		return -1;
	/* the frames an Initial may carry (RFC 9000 section 17.2.2) */
	fpos = 0;
	while (fpos < plen) {
		if (varint(w->plain, plen, &fpos, &t) != 0)
			return 0;
		if (t == 0x00 || t == 0x01)
			continue;	/* PADDING, PING */
		if (t == 0x02 || t == 0x03) {
			/* ACK: largest, delay, range count, first range, ranges, [ECN] */
			if (varint(w->plain, plen, &fpos, &x) != 0 ||
			    varint(w->plain, plen, &fpos, &x) != 0 ||
			    varint(w->plain, plen, &fpos, &cnt) != 0 ||
			    varint(w->plain, plen, &fpos, &x) != 0 || cnt > plen)
				return 0;
			for (x = 0; x < 2 * cnt + (t == 0x03 ? 3 : 0); x++)
				if (varint(w->plain, plen, &fpos, &fl) != 0)
					return 0;
			continue;
		}
		if (t != 0x06)
			return 0;	/* CONNECTION_CLOSE, or not allowed here: stop */
		if (varint(w->plain, plen, &fpos, &off) != 0 ||
		    varint(w->plain, plen, &fpos, &fl) != 0 || fl > plen - fpos)
			return 0;
		if (fl > 0) {
			if (off >= w->max) {
				w->stat[S_TOO_LARGE]++;
				return -2;
			}
			if (put_bytes(s, (uint32_t)off, w->plain + fpos,
				      (uint32_t)(fl < w->max - off ? fl : w->max - off)) < 0)
				w->stat[S_RANGES_FULL]++;
		}
		fpos += (uint32_t)fl;
	}
	return 0;
}

/*
 * Whether the CRYPTO stream's bytes from 0 hold the whole hello: 1 yes,
 * 0 not yet, -1 never.
 */
static int
quic_complete(const struct tfp_slot *s, uint32_t contig, uint32_t max, struct tfp_worker *w)
{
	uint32_t need;

	if (contig >= 1 && s->buf[0] != 0x01)
		return -1;
	if (contig < 4)
		return 0;
	need = 4 + rd24(s->buf + 1);
	if (need > max) {
		w->stat[S_TOO_LARGE]++;
		return -1;
	}
	return contig >= need ? 1 : 0;
}

/* The transport header of p: TCP or UDP at *th, its payload end at *end. */
static int
transport(struct tfp_worker *w, const struct sp_plugin_packet *p, uint32_t *th, uint32_t *end,
	  uint8_t *proto)
{
	const uint8_t *ip = p->ip;
	uint32_t len = p->ip_len, hl, tot, nh, off;

	if (ip == NULL)
		return -1;
	if (p->ip_version == 4) {
		if (len < 20 || (ip[0] >> 4) != 4)
			return -1;
		hl = (ip[0] & 0x0f) * 4u;
		tot = rd16(ip + 2);
		if (hl < 20 || tot < hl)
			return -1;
		if ((rd16(ip + 6) & 0x3fff) != 0) {
			w->stat[S_FRAGMENTS]++;
			return -1;
		}
		*end = tot < len ? tot : len;
		*th = hl;
		*proto = ip[9];
		return *th <= *end ? 0 : -1;
	}
	if (p->ip_version != 6 || len < 40 || (ip[0] >> 4) != 6)
		return -1;
	tot = 40 + rd16(ip + 4);
	*end = rd16(ip + 4) != 0 && tot < len ? tot : len;
	nh = ip[6];
	off = 40;
	/* extension headers (a jumbogram or a fragment is not followed) */
	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 8 > *end)
				return -1;
			nh = ip[off];
			off += (ip[off + 1] + 1u) * 8u;
		} else if (nh == 51) {
			if (off + 8 > *end)
				return -1;
			nh = ip[off];
			off += (ip[off + 1] + 2u) * 4u;
		} else if (nh == 44) {
			w->stat[S_FRAGMENTS]++;
			return -1;
		} else {
			break;
		}
	}
	*th = off;
	*proto = (uint8_t)nh;
	return off <= *end ? 0 : -1;
}

static int
give_up(struct tfp_slot *s)
{
	s->state = ST_NONE;
	return SP_PLUGIN_DONE;
}

/* UDP: a QUIC client's Initial packets, or a DTLS client hello whole in one datagram. */
static int
on_udp(struct tfp_worker *w, struct tfp_slot *s, const struct sp_plugin_packet *p,
       const uint8_t *d, uint32_t n, uint32_t max)
{
	uint32_t version, contig;
	int r;

	if (n == 0)
		return SP_PLUGIN_CONTINUE;
	if (s->state == ST_WAIT && n >= 25 && d[0] == 0x16 && d[1] == 0xfe && d[13] == 0x01) {
		if (n > max) {
			w->stat[S_TOO_LARGE]++;
			return give_up(s);
		}
		memcpy(s->buf, d, n);
		s->len = (uint16_t)n;
		s->kind = 'd';
		s->state = ST_HELLO;
		return SP_PLUGIN_DONE;
	}
	if (s->state == ST_WAIT) {
		if (!quic_initial(d, n, &version))
			return give_up(s);	/* neither: no hello */
		s->client_dir = p->direction;
		s->kind = 'q';
		s->state = ST_COLLECT;
	}
	/* the server's packets, and the client's other packet types, are not read */
	if (p->direction != s->client_dir || !quic_initial(d, n, &version))
		return SP_PLUGIN_CONTINUE;
	r = quic_packet(w, s, d, n);
	if (r == -2)
		return give_up(s);
	if (r != 0) {
		w->stat[S_QUIC_UNDECRYPTABLE]++;
		return SP_PLUGIN_CONTINUE;
	}
	contig = s->n_ranges > 0 && s->range[0][0] == 0 ? s->range[0][1] : 0;
	r = quic_complete(s, contig, max, w);
	if (r < 0)
		return give_up(s);
	if (r == 0)
		return SP_PLUGIN_CONTINUE;
	s->len = (uint16_t)contig;
	s->state = ST_HELLO;
	return SP_PLUGIN_DONE;
}

static int
tfp_packet(void *wctx, void *slot, const struct sp_plugin_packet *p)
{
	struct tfp_worker *w = wctx;
	struct tfp_slot *s = slot;
	uint32_t th, end, thl, seq, n, off, contig;
	const uint8_t *d;
	uint8_t proto, flags;
	int r;

	if (s->state >= ST_HELLO)
		return SP_PLUGIN_DONE;
	if (++s->packets > w->packets) {
		if (s->state == ST_COLLECT)
			w->stat[S_GAVE_UP]++;
		return give_up(s);
	}
	if (transport(w, p, &th, &end, &proto) != 0)
		return SP_PLUGIN_CONTINUE;	/* a fragment or a broken header: skip it */
	if (proto == 17) {
		if (end - th < 8)
			return SP_PLUGIN_CONTINUE;
		return on_udp(w, s, p, p->ip + th + 8, end - th - 8, w->max);
	}
	if (proto != 6)
		return give_up(s);
	if (end - th < 20)
		return SP_PLUGIN_CONTINUE;
	thl = (p->ip[th + 12] >> 4) * 4u;
	if (thl < 20 || th + thl > end)
		return SP_PLUGIN_CONTINUE;
	flags = p->ip[th + 13];
	seq = rd32(p->ip + th + 4);
	d = p->ip + th + thl;
	n = end - th - thl;
	if ((flags & 0x12) == 0x02) {
		/* SYN: its sender is the client, its stream starts at ISN + 1 */
		if (s->state != ST_WAIT)
			return SP_PLUGIN_CONTINUE;
		s->client_dir = p->direction;
		s->base = seq + 1;
		s->base_known = 1;
		if (n == 0)
			return SP_PLUGIN_CONTINUE;
		/* TCP Fast Open: the hello's first bytes in the SYN, at ISN + 1 */
		seq++;
	}
	if ((flags & 0x12) == 0x12) {
		/* SYN-ACK: the client is the other side, its stream starts at the ACK number */
		if (!s->base_known) {
			s->client_dir = (uint8_t)(p->direction ^ 1);
			s->base = rd32(p->ip + th + 8);
			s->base_known = 1;
		}
		return SP_PLUGIN_CONTINUE;
	}
	if (n == 0)
		return SP_PLUGIN_CONTINUE;
	if (!s->base_known) {
		/* no handshake seen: the first data segment is the client's and starts it */
		s->client_dir = p->direction;
		s->base = seq;
		s->base_known = 1;
	}
	if (p->direction != s->client_dir) {
		/* the server speaks first: not TLS from the start (STARTTLS is not followed) */
		if (s->state == ST_WAIT)
			return give_up(s);
		return SP_PLUGIN_CONTINUE;
	}
	s->state = ST_COLLECT;
	off = seq - s->base;
	if ((int32_t)off < 0) {
		/* starts before the stream's first byte: keep what is after it */
		uint32_t skip = (uint32_t)-(int32_t)off;

		if (skip >= n) {
			w->stat[S_RETRANSMITTED]++;
			return SP_PLUGIN_CONTINUE;
		}
		d += skip;
		n -= skip;
		off = 0;
	}
	if (off >= w->max) {
		w->stat[S_TOO_LARGE]++;
		return give_up(s);
	}
	if (n > w->max - off)
		n = w->max - off;
	contig = s->n_ranges > 0 && s->range[0][0] == 0 ? s->range[0][1] : 0;
	if (off > contig)
		w->stat[S_OUT_OF_ORDER]++;
	r = put_bytes(s, off, d, n);
	if (r < 0) {
		w->stat[S_RANGES_FULL]++;
		return SP_PLUGIN_CONTINUE;
	}
	if (r == 0) {
		w->stat[S_RETRANSMITTED]++;
		return SP_PLUGIN_CONTINUE;
	}
	contig = s->n_ranges > 0 && s->range[0][0] == 0 ? s->range[0][1] : 0;
	r = tls_complete(s, contig, w->max, w);
	if (r < 0) {
		if (contig > 0 && (s->buf[0] & 0x80) == 0 &&
		    (s->buf[0] != 0x16 || (contig > 1 && s->buf[1] != 0x03)))
			w->stat[S_NOT_TLS]++;
		return give_up(s);
	}
	if (r == 0)
		return SP_PLUGIN_CONTINUE;
	s->len = (uint16_t)contig;
	s->kind = 't';
	s->state = ST_HELLO;
	return SP_PLUGIN_DONE;
}

static int
tfp_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	    const struct sp_plugin_flow *f)
{
	(void)f;
	return tfp_packet(wctx, slot, p);
}

static int
tfp_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
	      const struct sp_plugin_flow *f)
{
	(void)f;
	return tfp_packet(wctx, slot, p);
}

static void
tfp_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	struct tfp_worker *w = wctx;
	struct tfp_slot *s = slot;
	struct tfp_hello h;
	const uint8_t *body;
	uint32_t n;

	(void)f;
	if (s->state == ST_COLLECT)
		w->stat[S_GAVE_UP]++;
	if (s->state != ST_HELLO)
		return;
	if (s->kind == 't' && (s->buf[0] & 0x80) != 0) {
		/*
		 * An SSL 2.0 format hello (old clients offering SSL 3.0 or TLS 1.0
		 * this way): no TLS cipher suite, extension or ALPN list, only the
		 * version. FoxIO's tools read none either (tshark names its 3-byte
		 * cipher specs otherwise) and print t10i000000_000000000000_000000000000.
		 */
		memset(&h, 0, sizeof(h));
		h.kind = 't';
		h.version = rd16(s->buf + 3);
		h.alpn[0] = h.alpn[1] = '0';
		w->stat[S_HELLOS]++;
		w->stat[S_SSL2]++;
		write_forms(w, &h, r);
		return;
	}
	if (s->kind == 'q') {
		/* the CRYPTO stream is the handshake message itself */
		body = s->buf + 4;
		n = rd24(s->buf + 1);
	} else if ((s->kind == 'd' ? dtls_message(s, &body, &n) : tls_message(w, s, &body, &n)) !=
		   0) {
		w->stat[S_MALFORMED]++;
		return;
	}
	if (parse_hello(w, body, n, (char)s->kind, &h) != 0) {
		w->stat[S_MALFORMED]++;
		return;
	}
	w->stat[S_HELLOS]++;
	if (s->kind == 'd')
		w->stat[S_DTLS]++;
	else if (s->kind == 'q')
		w->stat[S_QUIC]++;
	write_forms(w, &h, r);
}

/* ---- configuration ---- */

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *e;
	unsigned long x;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtoul(v, &e, 10);
	if (errno != 0 || *e != '\0' || x < lo || x > hi)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int
tfp_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	      struct sp_plugin_config *out, char *err, size_t errlen)
{
	struct tfp_conf c = { .max = TFP_MAX_DEFAULT, .packets = TFP_PACKETS_DEFAULT,
			      .raw = TFP_RAW_DEFAULT }, *cp;
	unsigned int i;

	for (i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].key, "max") == 0) {
			if (parse_u32(opts[i].value, TFP_MAX_MIN, TFP_MAX_MAX, &c.max) != 0) {
				snprintf(err, errlen, "max='%s': want the bytes"
					 " of client hello kept per flow, %u..%u", opts[i].value,
					 TFP_MAX_MIN, TFP_MAX_MAX);
				return -EINVAL;
			}
		} else if (strcmp(opts[i].key, "packets") == 0) {
			if (parse_u32(opts[i].value, 1, 10000, &c.packets) != 0) {
				snprintf(err, errlen, "packets='%s': want the"
					 " packets a flow may take to bring its hello, 1..10000",
					 opts[i].value);
				return -EINVAL;
			}
		} else if (strcmp(opts[i].key, "raw") == 0) {
			if (parse_u32(opts[i].value, TFP_RAW_MIN, TFP_RAW_MAX, &c.raw) != 0) {
				snprintf(err, errlen, "raw='%s': want the bytes of the raw"
					 " forms' columns, %u..%u", opts[i].value, TFP_RAW_MIN,
					 TFP_RAW_MAX);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s' (options:"
				 " max, packets, raw)", opts[i].key);
			return -EINVAL;
		}
	}
	if (tls_gcrypt_init() != 0) {
		snprintf(err, errlen, "libgcrypt cannot be initialised");
		return -ENOTSUP;
	}
	cp = malloc(sizeof(*cp));
	if (cp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*cp = c;
	memcpy(cp->columns, tfp_columns, sizeof(tfp_columns));
	cp->columns[1].max = (uint16_t)c.raw;
	cp->columns[3].max = (uint16_t)c.raw;
	out->slot_size = sizeof(struct tfp_slot) + c.max;
	out->columns = cp->columns;
	out->n_columns = 4;
	out->conf = cp;
	return 0;
}

static void
tfp_deconfigure(void *conf)
{
	free(conf);
}

static void
tfp_worker_fini(void *wctx)
{
	struct tfp_worker *w = wctx;

	if (w == NULL)
		return;
	free(w->hs);
	free(w->ciphers);
	free(w->exts);
	free(w->sigs);
	free(w->sorted);
	free(w->text);
	free(w->plain);
	if (w->hmac != NULL)
		gcry_md_close(w->hmac);
	if (w->gcm != NULL)
		gcry_cipher_close(w->gcm);
	if (w->ecb != NULL)
		gcry_cipher_close(w->ecb);
	free(w);
}

/*
 * Scratch for the largest hello max allows, made once per worker: a hello
 * of max bytes has fewer than max / 2 items in any list, and a raw form
 * writes at most 5 characters per item.
 */
static void *
tfp_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct tfp_conf *c = conf;
	struct tfp_worker *w = calloc(1, sizeof(*w));
	size_t it;

	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	if (w == NULL)
		return NULL;
	w->max = c->max;
	w->packets = c->packets;
	w->raw = c->raw;
	it = c->max / 2 + 1;
	w->hs = malloc(c->max);
	w->ciphers = malloc(it * sizeof(uint16_t));
	w->exts = malloc(it * sizeof(uint16_t));
	w->sigs = malloc(it * sizeof(uint16_t));
	w->sorted = malloc(2 * it * sizeof(uint16_t));
	w->text_cap = 16 + 3 * it * 5;
	w->text = malloc(w->text_cap);
	w->plain = malloc(QUIC_MAX_PACKET);
	if (w->hs == NULL || w->ciphers == NULL || w->exts == NULL || w->sigs == NULL ||
	    w->sorted == NULL || w->text == NULL || w->plain == NULL ||
	    gcry_md_open(&w->hmac, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0 ||
	    gcry_cipher_open(&w->gcm, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_GCM, 0) != 0 ||
	    gcry_cipher_open(&w->ecb, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0) != 0) {
		tfp_worker_fini(w);
		return NULL;
	}
	return w;
}

static unsigned int
tfp_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct tfp_worker *w = wctx;
	unsigned int i;

	for (i = 0; i < S_COUNT && i < max; i++) {
		out[i].name = stat_names[i];
		out[i].value = w->stat[i];
	}
	return i;
}

const struct sp_plugin sp_plugin_tls_fingerprint = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "tls-fingerprint",
	.version = "1.0",
	.description = "FoxIO's JA4 TLS client fingerprint (BSD-3-Clause) of TLS over TCP, QUIC "
		"and DTLS, four forms: udps.tls_ja4, udps.tls_ja4_r, udps.tls_ja4_o, "
		"udps.tls_ja4_ro",
	.configure = tfp_configure,
	.deconfigure = tfp_deconfigure,
	.worker_init = tfp_worker_init,
	.worker_fini = tfp_worker_fini,
	.on_init = tfp_on_init,
	.on_update = tfp_on_update,
	.on_expire = tfp_on_expire,
	.stats = tfp_stats,
};
