/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NF_DPKT_H
#define NF_DPKT_H

/**
 * @file
 * What NFStream's DHCP and MDNS plugins get from dpkt 1.9.8, in C, for the
 * shipped plugins (header only: each plugin stays one object using nothing
 * but sp_plugin.h and libc).
 *
 * The plugins run `dpkt.ip.IP(packet.ip_packet).data.data` and catch only
 * dpkt.NeedData and dpkt.UnpackError. Every other exception escapes
 * NFStream's plugin and stops NFStream; streamprobe cannot stop, so such a
 * packet gives no value and is counted ("nfstream_raises"). The outcome of
 * each step is therefore one of three:
 *   NF_OK      the bytes dpkt hands on
 *   NF_CAUGHT  NeedData/UnpackError: the plugin returns, nothing changes
 *   NF_RAISES  an exception NFStream does not catch
 * Every read is bounded by the captured length; Python's slices that run
 * past the end are cut exactly as Python cuts them.
 */

#include <stdint.h>

enum nf_rc {
	NF_OK = 0,
	NF_CAUGHT = 1,
	NF_RAISES = 2,
	NF_OTHER_PROTO = 3,	/**< dpkt decodes a protocol other than UDP/TCP */
};

static inline uint16_t
nf_be16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t
nf_be32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* The protocols dpkt.ip.IP decodes (its _protosw in 1.9.8). */
static inline int
nf_dpkt_known_proto(uint8_t p)
{
	switch (p) {
	case 0: case 1: case 2: case 4: case 6: case 17: case 41: case 47: case 50:
	case 51: case 58: case 89: case 103: case 112: case 118: case 132:
		return 1;
	default:
		return 0;
	}
}

/**
 * `dpkt.ip.IP(ip).data.data`. dpkt reads the bytes as IPv4 whatever the
 * version nibble says (no version check in 1.9.8): an IPv6 header has its
 * traffic class's high nibble as "header length", below 5 for the usual
 * classes, which dpkt rejects (UnpackError); that is why NFStream's values
 * are only on IPv4 flows. Above that nibble, the bytes are read as IPv4
 * exactly as dpkt does.
 */
static inline enum nf_rc
nf_dpkt_l4_payload(const uint8_t *ip, uint32_t ip_len, const uint8_t **pl, uint32_t *pl_len)
{
	uint32_t start, end, len, tot;
	const uint8_t *d;

	if (ip == NULL || ip_len < 20)
		return NF_CAUGHT;		/* struct.error on the header: NeedData */
	if ((ip[0] & 0xf) < 5)
		return NF_CAUGHT;		/* "invalid header length" */
	start = (uint32_t)(ip[0] & 0xf) * 4;
	tot = nf_be16(ip + 2);
	/* buf[hl:len], or buf[hl:] when len is 0 (TSO), cut at the capture */
	end = tot != 0 && tot < ip_len ? tot : ip_len;
	len = end > start ? end - start : 0;
	d = ip + (len ? start : 0);
	/*
	 * A fragment after the first is left as bytes, and so is a payload its
	 * class cannot unpack (the IP unpack catches that); `.data` of bytes is
	 * then an AttributeError in the plugin.
	 */
	if ((nf_be16(ip + 6) & 0x1fff) != 0)
		return NF_RAISES;
	switch (ip[9]) {
	case 17:
		if (len < 8)
			return NF_RAISES;
		*pl = d + 8;
		*pl_len = len - 8;
		return NF_OK;
	case 6: {
		uint32_t off;

		if (len < 20 || (d[12] >> 4) < 5)
			return NF_RAISES;
		off = (uint32_t)(d[12] >> 4) * 4;
		*pl = off < len ? d + off : d + len;
		*pl_len = off < len ? len - off : 0;
		return NF_OK;
	}
	default:
		return nf_dpkt_known_proto(ip[9]) ? NF_OTHER_PROTO : NF_RAISES;
	}
}

/**
 * Python's strict UTF-8 decoding: whether b decodes (no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
static inline int
nf_utf8_valid(const uint8_t *b, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t c = b[i];
		uint32_t need;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		if (b[i + 1] < lo || b[i + 1] > hi)
			return 0;
		for (uint32_t k = 2; k <= need; k++)
			if ((b[i + k] & 0xc0) != 0x80)
				return 0;
		i += need + 1;
	}
	return 1;
}

/**
 * Python's `bytes.decode("utf-8", errors="replace")`, re-encoded: each
 * maximal ill-formed subsequence becomes one U+FFFD (EF BF BD), as CPython
 * replaces. dst needs 3 * n bytes.
 * @return bytes written.
 */
static inline uint32_t
nf_utf8_replace(const uint8_t *b, uint32_t n, uint8_t *dst)
{
	uint32_t i = 0, o = 0;

	while (i < n) {
		uint8_t c = b[i];
		uint32_t need, k;
		uint8_t lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			dst[o++] = c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			need = 0;
		}
		/* the valid prefix: lead byte, then continuation bytes in range */
		k = 1;
		if (need > 0 && i + 1 < n && b[i + 1] >= lo && b[i + 1] <= hi) {
			k = 2;
			while (k <= need && i + k < n && (b[i + k] & 0xc0) == 0x80)
				k++;
		}
		if (need > 0 && k == need + 1) {
			for (uint32_t j = 0; j < k; j++)
				dst[o++] = b[i + j];
		} else {
			dst[o++] = 0xef;
			dst[o++] = 0xbf;
			dst[o++] = 0xbd;
		}
		i += k;
	}
	return o;
}

#endif /* NF_DPKT_H */
