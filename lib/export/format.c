/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text formatting of column values exactly as NFStream's CSV has them:
 * integers as Python str(int), floats as Python repr(float), addresses as
 * glibc inet_ntop(), strings as Python's UTF-8 decode with errors='ignore'.
 *
 * Everything here runs once per column per record on the exporter lcore,
 * so it avoids stdio except for the rare floats outside the range the
 * exact integer algorithm covers.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_private.h"

static const char hexdig[16] = "0123456789abcdef";

uint64_t sp_export_txt1000[1000];

/* Before main(): the exporters may open from any thread. */
static void __attribute__((constructor))
txt1000_init(void)
{
	unsigned int v;

	for (v = 0; v < 1000; v++) {
		uint64_t z = (uint64_t)('0' + v / 100) | (uint64_t)('0' + v / 10 % 10) << 8 |
			     (uint64_t)('0' + v % 10) << 16;
		unsigned int n = v >= 100 ? 3 : v >= 10 ? 2 : 1;

		/* the digits without leading zeros: drop 3 - n low bytes */
		sp_export_txt1000[v] = (z >> (8 * (3 - n))) | (uint64_t)n << 24 | z << 32;
	}
}

size_t
sp_export_fmt_u64(char *dst, uint64_t v)
{
	char t[SP_EXPORT_INT_WIDE_LEN];
	size_t n = sp_export_put_u64(t, v);

	memcpy(dst, t, n);
	return n;
}

size_t
sp_export_fmt_i64(char *dst, int64_t v)
{
	char t[SP_EXPORT_INT_WIDE_LEN];
	size_t n = sp_export_put_i64(t, v);

	memcpy(dst, t, n);
	return n;
}

/* Stores up to 3 bytes past the text (4-byte stores from the table). */
static size_t
fmt_ipv4(char *dst, const uint8_t *ip)
{
	char *p = dst;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t t = sp_export_txt1000[ip[i]];

		memcpy(p, &t, 4);
		p += (t >> 24) & 0xff;
		*p++ = '.';
	}
	return (size_t)(p - dst) - 1;
}

static char *
fmt_hex16(char *p, unsigned int w)
{
	int shift = 12;

	while (shift > 0 && ((w >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hexdig[(w >> shift) & 0xf];
	return p;
}

/* glibc inet_ntop6(): the longest run (first on a tie) of >= 2 zero words becomes "::". */
static size_t
fmt_ipv6(char *dst, const uint8_t *ip)
{
	unsigned int words[8];
	int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
	char *p = dst;
	int i;

	for (i = 0; i < 8; i++) {
		words[i] = ((unsigned int)ip[2 * i] << 8) | ip[2 * i + 1];
		if (words[i] == 0) {
			if (cur_base == -1) {
				cur_base = i;
				cur_len = 1;
			} else {
				cur_len++;
			}
		} else if (cur_base != -1) {
			if (best_base == -1 || cur_len > best_len) {
				best_base = cur_base;
				best_len = cur_len;
			}
			cur_base = -1;
		}
	}
	if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
		best_base = cur_base;
		best_len = cur_len;
	}
	if (best_base != -1 && best_len < 2)
		best_base = -1;

	for (i = 0; i < 8; i++) {
		if (best_base != -1 && i >= best_base && i < best_base + best_len) {
			if (i == best_base)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		/* IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d). */
		if (i == 6 && best_base == 0 &&
		    (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			p += fmt_ipv4(p, ip + 12);
			return (size_t)(p - dst);
		}
		p = fmt_hex16(p, words[i]);
	}
	if (best_base != -1 && best_base + best_len == 8)
		*p++ = ':';
	return (size_t)(p - dst);
}

size_t
sp_export_fmt_ip(char *dst, const uint8_t ip[16], bool v4)
{
	return v4 ? fmt_ipv4(dst, ip) : fmt_ipv6(dst, ip);
}

size_t
sp_export_fmt_mac(char *dst, const uint8_t *mac, unsigned int n)
{
	char *p = dst;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hexdig[mac[i] >> 4];
		*p++ = hexdig[mac[i] & 0xf];
	}
	return (size_t)(p - dst);
}

/*
 * Length of the well-formed UTF-8 sequence starting at s (Unicode Table 3-7,
 * which is what Python's decoder accepts: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0 if none starts there. With errors='ignore'
 * Python drops exactly the bytes that start no such sequence: the bytes of a
 * maximal invalid subpart are a lead byte and continuation bytes, and a
 * continuation byte never starts a sequence, so dropping one byte at a time
 * gives the same text.
 */
static unsigned int
utf8_seq_len(const uint8_t *s, size_t avail)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	unsigned int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Shared by the CSV field text and the anonymizer's str(value); inlined
 * into each so that the CSV path keeps its constant escape test. cstr: the
 * text ends at a NUL, as nDPI's C strings do when NFStream reads them with
 * ffi.string(); a plugin's value is a Python str, whose NULs NFStream
 * writes out like any other character. */
static inline __attribute__((always_inline)) size_t
fmt_utf8(char *dst, const char *src, size_t len, bool escape_quotes, bool cstr)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t n = cstr ? strnlen(src, len) : len;
	char *p = dst;
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		unsigned int l;

		if (likely(c < 0x80)) {
			if (escape_quotes && c == '"')
				*p++ = '\\';
			*p++ = (char)c;
			i++;
			continue;
		}
		l = utf8_seq_len(s + i, n - i);
		if (l == 0) {
			i++;
			continue;
		}
		memcpy(p, s + i, l);
		p += l;
		i += l;
	}
	return (size_t)(p - dst);
}

size_t
sp_export_fmt_pystr(char *dst, const char *src, size_t len)
{
	return fmt_utf8(dst, src, len, true, true);
}

size_t
sp_export_fmt_utf8(char *dst, const char *src, size_t len)
{
	return fmt_utf8(dst, src, len, false, true);
}

size_t
sp_export_fmt_utf8_bytes(char *dst, const char *src, size_t len)
{
	return fmt_utf8(dst, src, len, false, false);
}

/* ------------------------------------------------------------------------ */
/* Python float repr.                                                       */

/*
 * Lay out value = digits * 10^e10 the way Python's float_repr_style 'short'
 * does (format_float_short): with decpt the position of the decimal point
 * relative to the first digit, exponent notation iff decpt <= -4 or
 * decpt > 16, the exponent signed with at least two digits, and positional
 * numbers always with a fractional part.
 */
static size_t
py_layout(char *dst, bool neg, uint64_t digits, int e10)
{
	char d[SP_EXPORT_INT_WIDE_LEN];
	char *p = dst;
	size_t nd;
	int decpt;

	while (digits % 10 == 0) {
		digits /= 10;
		e10++;
	}
	nd = sp_export_put_u64(d, digits);
	decpt = (int)nd + e10;
	if (neg)
		*p++ = '-';
	if (decpt <= -4 || decpt > 16) {
		int ex = decpt - 1;

		*p++ = d[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, d + 1, nd - 1);
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = ex < 0 ? '-' : '+';
		if (ex < 0)
			ex = -ex;
		if (ex < 10)
			*p++ = '0';
		p += sp_export_fmt_u64(p, (uint64_t)ex);
	} else if (decpt <= 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)-decpt);
		p += -decpt;
		memcpy(p, d, nd);
		p += nd;
	} else if ((size_t)decpt >= nd) {
		memcpy(p, d, nd);
		p += nd;
		memset(p, '0', (size_t)decpt - nd);
		p += (size_t)decpt - nd;
		*p++ = '.';
		*p++ = '0';
	} else {
		memcpy(p, d, (size_t)decpt);
		p += decpt;
		*p++ = '.';
		memcpy(p, d + decpt, nd - (size_t)decpt);
		p += nd - (size_t)decpt;
	}
	return (size_t)(p - dst);
}

static const uint64_t pow5[28] = {
	1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL,
	1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL,
	6103515625ULL, 30517578125ULL, 152587890625ULL, 762939453125ULL,
	3814697265625ULL, 19073486328125ULL, 95367431640625ULL, 476837158203125ULL,
	2384185791015625ULL, 11920928955078125ULL, 59604644775390625ULL,
	298023223876953125ULL, 1490116119384765625ULL, 7450580596923828125ULL,
};

#define POW10_17 100000000000000000ULL
#define POW10_19 10000000000000000000ULL

/* floor(n * 2^e2 * 10^t) for 0 <= t <= 27 with n < 2^56; *exact when no remainder. */
static unsigned __int128
scale_exact(uint64_t n, int e2, int t, bool *exact)
{
	unsigned __int128 p = (unsigned __int128)n * pow5[t];
	int sh = e2 + t;

	if (sh >= 0) {
		*exact = true;
		/* Callers only reach here for values below 2^64. */
		return p << sh;
	}
	*exact = (p & (((unsigned __int128)1 << -sh) - 1)) == 0;
	return p >> -sh;
}

/* floor(b * log10(2)) for |b| <= 1650 (Ryu's log10Pow2 constant). */
static int
floor_log10_pow2(int b)
{
	if (b >= 0)
		return (int)(((uint32_t)b * 78913) >> 18);
	/* b * log10(2) is never an integer for b != 0, so floor(-y) = -floor(y) - 1. */
	return -(int)(((uint32_t)-b * 78913) >> 18) - 1;
}

/*
 * Shortest round-trip digits of a positive normal double, Python's dtoa mode 0:
 * the fewest digits that read back as x, and of those the closest to x (ties
 * to an even last digit). This is Ryu's digit-removal step, but fed with exact
 * bounds: x = f * 2^e, its rounding interval in units of 2^(e-2) is
 * [4f - 2 (or 4f - 1 at a power of two), 4f + 2], closed when f is even
 * (strtod rounds ties to even), and the three ends are scaled by 10^t so that
 * x * 10^t has 18 or 19 digits, computed exactly in 128 bits. That is only
 * possible for 0 <= t <= 27, i.e. about 1e-10 <= x < 1e18; false outside.
 */
static bool
shortest_exact(uint64_t bits, uint64_t *out, int *out_e10)
{
	uint64_t mant = bits & ((1ULL << 52) - 1);
	unsigned int bexp = (unsigned int)(bits >> 52) & 0x7ff;
	uint64_t f = mant | (1ULL << 52);
	int e = (int)bexp - 1075;
	bool accept_bounds = (f & 1) == 0;
	bool vr_tz, vp_exact, vm_tz;
	uint64_t mv = 4 * f;
	uint64_t mp = mv + 2;
	uint64_t mm = mv - 1 - (mant != 0 || bexp <= 1);
	uint64_t vr, vp, vm, output;
	unsigned __int128 v;
	uint8_t last_removed = 0;
	int removed = 0;
	int t;

	if (bexp == 0)
		return false;
	/* x in [2^(e+52), 2^(e+53)), so this is floor(log10 x) or one less. */
	t = 17 - floor_log10_pow2(e + 52);
	if (t < 0 || t > 27)
		return false;
	v = scale_exact(mv, e - 2, t, &vr_tz);
	if (v < POW10_17 || v >= POW10_19)
		return false;
	vr = (uint64_t)v;
	/*
	 * x * 10^t is an integer: vr's digits are x's exact decimal expansion.
	 * With at most 15 significant digits that expansion is the answer the
	 * removal loop below reaches: no other decimal of <= 15 digits reads
	 * back as x (DBL_DIG: such a decimal survives decimal -> double ->
	 * 15 digits, and x to 15 digits is its expansion), and it is exact,
	 * so the closest. Means of 2^k values are such (187.5, 99.25): for them
	 * the loop removed ~15 digits one division at a time (callgrind,
	 * manyflows 200 k, statistics, LTO: sp_export_fmt_pyfloat 1,891 -> 1,567 Ir
	 * per row of 12 floats).
	 */
	if (vr_tz) {
		uint64_t sd = vr;
		int z = 0;

		if (sd % 10000000000000000ULL == 0) {
			sd /= 10000000000000000ULL;
			z += 16;
		}
		if (sd % 100000000 == 0) {
			sd /= 100000000;
			z += 8;
		}
		if (sd % 10000 == 0) {
			sd /= 10000;
			z += 4;
		}
		if (sd % 100 == 0) {
			sd /= 100;
			z += 2;
		}
		if (sd % 10 == 0) {
			sd /= 10;
			z += 1;
		}
		if (sd < 1000000000000000ULL) {
			*out = sd;
			*out_e10 = z - t;
			return true;
		}
	}
	vp = (uint64_t)scale_exact(mp, e - 2, t, &vp_exact);
	vm = (uint64_t)scale_exact(mm, e - 2, t, &vm_tz);
	/* vm counts as in the interval only if exact and bounds are accepted. */
	vm_tz = vm_tz && accept_bounds;
	if (vp_exact && !accept_bounds)
		vp--;

	/* Remove digits while a shorter number still lies in (vm, vp]. */
	for (;;) {
		uint64_t vp10 = vp / 10, vm10 = vm / 10, vr10;

		if (vp10 <= vm10)
			break;
		vr10 = vr / 10;
		vm_tz &= vm - vm10 * 10 == 0;
		vr_tz &= last_removed == 0;
		last_removed = (uint8_t)(vr - vr10 * 10);
		vr = vr10;
		vp = vp10;
		vm = vm10;
		removed++;
	}
	/* The lower bound itself is allowed: it may be shorter still. */
	if (vm_tz) {
		for (;;) {
			uint64_t vm10 = vm / 10, vr10;

			if (vm - vm10 * 10 != 0)
				break;
			vr10 = vr / 10;
			vr_tz &= last_removed == 0;
			last_removed = (uint8_t)(vr - vr10 * 10);
			vr = vr10;
			vp /= 10;
			vm = vm10;
			removed++;
		}
	}
	/* Exactly halfway between two candidates: round to even. */
	if (vr_tz && last_removed == 5 && vr % 2 == 0)
		last_removed = 4;
	output = vr + ((vr == vm && !vm_tz) || last_removed >= 5);
	*out = output;
	*out_e10 = removed - t;
	return true;
}

/*
 * Shortest digits by trial: for each precision p, the correctly rounded
 * p-digit decimal (printf) and its neighbour on the other side of x are the
 * only p-digit candidates that can read back as x; the first p where one of
 * them does gives the shortest, and the correctly rounded one is the closest
 * (printf breaks exact ties to even, as dtoa does). Slow, used only where
 * shortest_exact() cannot go (tiny, huge and subnormal values).
 */
static void
shortest_search(double x, uint64_t *out, int *out_e10)
{
	char buf[48];
	int p;

	for (p = 1; p <= 17; p++) {
		uint64_t m = 0, m2;
		const char *c;
		double y;
		int ex;

		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		for (c = buf; *c != 'e'; c++)
			if (*c != '.')
				m = m * 10 + (uint64_t)(*c - '0');
		ex = atoi(c + 1) - (p - 1);
		y = strtod(buf, NULL);
		/* 17 significant digits always read back: p == 17 ends the loop. */
		if (y == x || p == 17) {
			*out = m;
			*out_e10 = ex;
			return;
		}
		m2 = y > x ? m - 1 : m + 1;
		if (m2 == 0)
			continue;
		snprintf(buf, sizeof(buf), "%" PRIu64 "e%d", m2, ex);
		if (strtod(buf, NULL) == x) {
			*out = m2;
			*out_e10 = ex;
			return;
		}
	}
}

size_t
sp_export_fmt_pyfloat(char *dst, double x)
{
	uint64_t bits, digits;
	bool neg;
	int e10;

	memcpy(&bits, &x, sizeof(bits));
	neg = (bits >> 63) != 0;
	if (unlikely(!isfinite(x))) {
		if (isnan(x)) {
			memcpy(dst, "nan", 3);
			return 3;
		}
		if (neg) {
			memcpy(dst, "-inf", 4);
			return 4;
		}
		memcpy(dst, "inf", 3);
		return 3;
	}
	if (x == 0) {
		if (neg) {
			memcpy(dst, "-0.0", 4);
			return 4;
		}
		memcpy(dst, "0.0", 3);
		return 3;
	}
	if (neg)
		x = -x;
	/* Integers below 2^53 read back from their own digits, and none is shorter. */
	if (x < 9007199254740992.0 && x == (double)(uint64_t)x) {
		size_t n = 0;

		if (neg)
			dst[n++] = '-';
		/* at most 17 bytes stored: the buffer holds them */
		n += sp_export_put_u64(dst + n, (uint64_t)x);
		dst[n++] = '.';
		dst[n++] = '0';
		return n;
	}
	memcpy(&bits, &x, sizeof(bits));
	if (!shortest_exact(bits, &digits, &e10))
		shortest_search(x, &digits, &e10);
	return py_layout(dst, neg, digits, e10);
}

size_t
sp_export_pyfloat(double x, char *buf, size_t len)
{
	char tmp[SP_EXPORT_FLOAT_MAX_LEN];
	size_t n = sp_export_fmt_pyfloat(tmp, x);

	if (len < n + 1)
		return 0;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

/* ------------------------------------------------------------------------ */
/* Plugin values (NFStream's udps columns).                                 */

/* A character of a value, with csv_converter's '"' escaping when csv. */
#define PUT(p, ch, csv) do { \
	if ((csv) && (ch) == '"') \
		*(p)++ = '\\'; \
	*(p)++ = (char)(ch); \
} while (0)

static const char hexd[16] = "0123456789abcdef";

/* Code point of a valid UTF-8 sequence of l bytes. */
static uint32_t
utf8_cp(const uint8_t *s, unsigned int l)
{
	switch (l) {
	case 2:
		return ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
	case 3:
		return ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
	default:
		return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
		       (s[3] & 0x3fu);
	}
}

/* Python's str.isprintable() for the code points above ASCII that are
 * commonly met: the C1 controls, the no-break and format spaces, the line
 * and paragraph separators, the BOM and private-use areas are not. */
static bool
py_printable(uint32_t cp)
{
	if (cp <= 0xa0 || cp == 0xad)
		return false;
	if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
	    (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe000 && cp <= 0xf8ff) ||
	    cp >= 0xf0000)
		return false;
	return true;
}

static char *
repr_into(char *p, const char *src, size_t len, bool csv)
{
	const uint8_t *s = (const uint8_t *)src;
	bool sq = false, dq = false;
	size_t i;
	char q;

	for (i = 0; i < len; i++) {
		sq |= s[i] == '\'';
		dq |= s[i] == '"';
	}
	q = sq && !dq ? '"' : '\'';
	PUT(p, q, csv);
	for (i = 0; i < len;) {
		uint8_t c = s[i];
		unsigned int l;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			if (c == (uint8_t)q || c == '\\') {
				*p++ = '\\';
				PUT(p, c, csv);
			} else if (c == '\t') {
				*p++ = '\\';
				*p++ = 't';
			} else if (c == '\n') {
				*p++ = '\\';
				*p++ = 'n';
			} else if (c == '\r') {
				*p++ = '\\';
				*p++ = 'r';
			} else if (c < 0x20 || c == 0x7f) {
				*p++ = '\\';
				*p++ = 'x';
				*p++ = hexd[c >> 4];
				*p++ = hexd[c & 15];
			} else {
				PUT(p, c, csv);
			}
			continue;
		}
		l = utf8_seq_len(s + i, len - i);
		if (l == 0) {
			i++;	/* decode(errors='ignore') */
			continue;
		}
		cp = utf8_cp(s + i, l);
		if (py_printable(cp)) {
			memcpy(p, s + i, l);
			p += l;
		} else if (cp <= 0xff) {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hexd[cp >> 4];
			*p++ = hexd[cp & 15];
		} else {
			int k, nd = cp <= 0xffff ? 4 : 8;

			*p++ = '\\';
			*p++ = nd == 4 ? 'u' : 'U';
			for (k = nd - 1; k >= 0; k--)
				*p++ = hexd[(cp >> (4 * k)) & 15];
		}
		i += l;
	}
	PUT(p, q, csv);
	return p;
}

size_t
sp_export_fmt_pyrepr(char *dst, const char *src, size_t len)
{
	return (size_t)(repr_into(dst, src, len, false) - dst);
}

size_t
sp_export_plugin_max_len(const struct sp_plugin_column *c)
{
	switch (c->type) {
	case SP_PLUGIN_INT:
	case SP_PLUGIN_UINT:
		return SP_EXPORT_INT_MAX_LEN;
	case SP_PLUGIN_DOUBLE:
		return SP_EXPORT_FLOAT_MAX_LEN;
	case SP_PLUGIN_STRING:
		return 2 * (size_t)c->max + 2;
	case SP_PLUGIN_INT_LIST:
		return 4 + (size_t)c->max * (SP_EXPORT_INT_MAX_LEN + 2);
	case SP_PLUGIN_STRING_LIST:
		/* each byte at worst "\xNN"; the quotes escaped */
		return 4 + (size_t)c->max * (4 * (size_t)c->max_str + 6);
	default:
		return 0;
	}
}

size_t
sp_export_fmt_plugin(char *dst, const struct sp_plugins_column *c,
		     const struct sp_flow_record *r, bool raw)
{
	const struct sp_plugins_cell *h = sp_plugins_cell(r, c);
	const uint8_t *v = (const uint8_t *)(h + 1);
	char *p = dst;
	int64_t i64;
	uint64_t u64;
	double d;
	uint16_t i, l;

	if (!h->set)
		return 0;	/* None: an empty field */
	switch (c->c.type) {
	case SP_PLUGIN_INT:
		memcpy(&i64, v, 8);
		return sp_export_fmt_i64(dst, i64);
	case SP_PLUGIN_UINT:
		memcpy(&u64, v, 8);
		return sp_export_fmt_u64(dst, u64);
	case SP_PLUGIN_DOUBLE:
		memcpy(&d, v, 8);
		return sp_export_fmt_pyfloat(dst, d);
	default:
		break;
	}
	if (!raw)
		*p++ = '"';
	switch (c->c.type) {
	case SP_PLUGIN_STRING:
		p += fmt_utf8(p, (const char *)v, h->n, !raw, false);
		break;
	case SP_PLUGIN_INT_LIST:
		*p++ = '[';
		for (i = 0; i < h->n; i++) {
			if (i > 0) {
				*p++ = ',';
				*p++ = ' ';
			}
			memcpy(&i64, v + 8u * i, 8);
			p += sp_export_fmt_i64(p, i64);
		}
		*p++ = ']';
		break;
	case SP_PLUGIN_STRING_LIST:
		*p++ = '[';
		for (i = 0; i < h->n; i++) {
			const uint8_t *e = v + (size_t)i * SP_PLUGINS_STR_ELT(c->c.max_str);

			if (i > 0) {
				*p++ = ',';
				*p++ = ' ';
			}
			memcpy(&l, e, 2);
			p = repr_into(p, (const char *)e + 2, l, !raw);
		}
		*p++ = ']';
		break;
	default:
		break;
	}
	if (!raw)
		*p++ = '"';
	return (size_t)(p - dst);
}
