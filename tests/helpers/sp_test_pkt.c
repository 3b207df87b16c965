/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builder for the unit tests: see sp_test_pkt.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_test_pkt.h"

enum fix_kind {
	FIX_IPV4,	/* tot_len = bytes from the header on; then the checksum */
	FIX_IPV6,	/* payload_len = bytes after the 40-byte header */
	FIX_UDP,	/* length = bytes from the header on */
	FIX_GTPU,	/* length = bytes after the 8-byte mandatory header */
	FIX_PPPOE,	/* length = bytes after the 6-byte PPPoE header */
	FIX_8023,	/* length = bytes after the 14-byte MAC header */
};

const uint8_t SP_TEST_MAC_A[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t SP_TEST_MAC_B[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };

static void
fail(const char *what)
{
	fprintf(stderr, "sp_test_pkt: %s\n", what);
	abort();
}

struct sp_test_pkt *
sp_test_pkt_new(void)
{
	struct sp_test_pkt *p = calloc(1, sizeof(*p));

	if (p == NULL)
		fail("out of memory");
	return p;
}

void
sp_test_pkt_free(struct sp_test_pkt *p)
{
	free(p);
}

void
sp_test_pkt_reset(struct sp_test_pkt *p)
{
	p->len = 0;
	p->nfix = 0;
	memset(p->buf, 0, sizeof(p->buf));
}

static uint8_t *
grow(struct sp_test_pkt *p, uint32_t len, uint32_t *off)
{
	if (len > SP_TEST_PKT_MAX - p->len)
		fail("frame larger than SP_TEST_PKT_MAX");
	*off = p->len;
	p->len += len;
	return p->buf + *off;
}

static void
add_fix(struct sp_test_pkt *p, uint32_t off, enum fix_kind kind)
{
	if (p->nfix == SP_TEST_PKT_FIXUPS)
		fail("too many length fields");
	p->fix[p->nfix].off = off;
	p->fix[p->nfix].kind = kind;
	p->nfix++;
}

void
sp_test_wr_be16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

void
sp_test_wr_be32(uint8_t *b, uint32_t v)
{
	sp_test_wr_be16(b, (uint16_t)(v >> 16));
	sp_test_wr_be16(b + 2, (uint16_t)v);
}

uint32_t
sp_test_pkt_put(struct sp_test_pkt *p, const void *data, uint32_t len)
{
	uint32_t off;
	uint8_t *b = grow(p, len, &off);

	if (data != NULL)
		memcpy(b, data, len);
	else
		memset(b, 0, len);
	return off;
}

uint32_t
sp_test_pkt_payload(struct sp_test_pkt *p, uint32_t len, uint8_t fill)
{
	uint32_t off;

	memset(grow(p, len, &off), fill, len);
	return off;
}

uint32_t
sp_test_pkt_u8(struct sp_test_pkt *p, uint8_t v)
{
	return sp_test_pkt_put(p, &v, 1);
}

uint32_t
sp_test_pkt_be16(struct sp_test_pkt *p, uint16_t v)
{
	uint32_t off;

	sp_test_wr_be16(grow(p, 2, &off), v);
	return off;
}

uint32_t
sp_test_pkt_be32(struct sp_test_pkt *p, uint32_t v)
{
	uint32_t off;

	sp_test_wr_be32(grow(p, 4, &off), v);
	return off;
}

void
sp_test_pkt_set_be16(struct sp_test_pkt *p, uint32_t off, uint16_t v)
{
	if (off + 2 > SP_TEST_PKT_MAX)
		fail("set_be16 out of range");
	sp_test_wr_be16(p->buf + off, v);
}

uint32_t
sp_test_pkt_eth(struct sp_test_pkt *p, const uint8_t dst[6], const uint8_t src[6],
		uint16_t ethertype)
{
	uint32_t off;
	uint8_t *b = grow(p, 14, &off);

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	sp_test_wr_be16(b + 12, ethertype);
	return off;
}

uint32_t
sp_test_pkt_eth_8023(struct sp_test_pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	uint32_t off = sp_test_pkt_eth(p, dst, src, 0);

	add_fix(p, off, FIX_8023);
	return off;
}

uint32_t
sp_test_pkt_llc(struct sp_test_pkt *p, uint8_t dsap, uint8_t ssap, uint8_t ctrl)
{
	uint8_t b[3] = { dsap, ssap, ctrl };

	return sp_test_pkt_put(p, b, sizeof(b));
}

uint32_t
sp_test_pkt_llc_snap(struct sp_test_pkt *p, uint16_t proto)
{
	uint32_t off = sp_test_pkt_llc(p, 0xAA, 0xAA, 0x03);

	sp_test_pkt_put(p, NULL, 3);
	sp_test_pkt_be16(p, proto);
	return off;
}

uint32_t
sp_test_pkt_vlan(struct sp_test_pkt *p, uint16_t tci, uint16_t ethertype)
{
	uint32_t off = sp_test_pkt_be16(p, tci);

	sp_test_pkt_be16(p, ethertype);
	return off;
}

uint32_t
sp_test_pkt_mpls(struct sp_test_pkt *p, uint32_t label, uint8_t tc, bool bottom, uint8_t ttl)
{
	return sp_test_pkt_be32(p, (label & 0xFFFFF) << 12 | (uint32_t)(tc & 7) << 9 |
				(bottom ? 1u << 8 : 0) | ttl);
}

uint32_t
sp_test_pkt_pppoe(struct sp_test_pkt *p, uint16_t session, uint16_t ppp_proto)
{
	uint32_t off = sp_test_pkt_u8(p, 0x11);	/* version 1, type 1 */

	sp_test_pkt_u8(p, 0x00);			/* code: session data */
	sp_test_pkt_be16(p, session);
	sp_test_pkt_be16(p, 0);
	sp_test_pkt_be16(p, ppp_proto);
	add_fix(p, off, FIX_PPPOE);
	return off;
}

uint32_t
sp_test_pkt_sll(struct sp_test_pkt *p, uint16_t pkttype, const uint8_t src[6], uint16_t proto)
{
	uint32_t off = sp_test_pkt_be16(p, pkttype);

	sp_test_pkt_be16(p, 1);		/* ARPHRD_ETHER */
	sp_test_pkt_be16(p, 6);
	sp_test_pkt_put(p, src, 6);
	sp_test_pkt_put(p, NULL, 2);
	sp_test_pkt_be16(p, proto);
	return off;
}

uint32_t
sp_test_pkt_null(struct sp_test_pkt *p, uint32_t family, bool big_endian)
{
	uint8_t b[4];

	if (big_endian) {
		sp_test_wr_be32(b, family);
	} else {
		b[0] = (uint8_t)family;
		b[1] = (uint8_t)(family >> 8);
		b[2] = (uint8_t)(family >> 16);
		b[3] = (uint8_t)(family >> 24);
	}
	return sp_test_pkt_put(p, b, sizeof(b));
}

uint32_t
sp_test_pkt_chdlc(struct sp_test_pkt *p, uint8_t addr, uint16_t proto)
{
	uint32_t off = sp_test_pkt_u8(p, addr);

	sp_test_pkt_u8(p, 0);
	sp_test_pkt_be16(p, proto);
	return off;
}

uint32_t
sp_test_pkt_ppp(struct sp_test_pkt *p, uint16_t proto)
{
	return sp_test_pkt_be16(p, proto);
}

uint32_t
sp_test_pkt_radiotap(struct sp_test_pkt *p, uint16_t len, uint8_t flags)
{
	uint32_t off;
	uint8_t *b;

	if (len < 17)
		fail("radiotap header shorter than 17 bytes");
	b = grow(p, len, &off);
	memset(b, 0, len);
	b[2] = (uint8_t)len;
	b[3] = (uint8_t)(len >> 8);
	b[4] = 0x03;			/* present: TSFT, FLAGS */
	b[16] = flags;
	return off;
}

uint32_t
sp_test_pkt_wifi(struct sp_test_pkt *p, uint16_t fc, const uint8_t a1[6], const uint8_t a2[6],
		 const uint8_t a3[6])
{
	uint32_t off;
	uint8_t *b = grow(p, 24, &off);

	memset(b, 0, 24);
	b[0] = (uint8_t)fc;
	b[1] = (uint8_t)(fc >> 8);
	memcpy(b + 4, a1, 6);
	memcpy(b + 10, a2, 6);
	memcpy(b + 16, a3, 6);
	return off;
}

uint32_t
sp_test_pkt_ipv4_ex(struct sp_test_pkt *p, uint32_t src, uint32_t dst, uint8_t proto,
		    uint8_t ihl, uint16_t frag)
{
	uint32_t off, hlen = ihl >= 5 ? ihl * 4u : 20u;
	uint8_t *b = grow(p, hlen, &off);

	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | (ihl & 0x0F));
	sp_test_wr_be16(b + 6, frag);
	b[8] = 64;
	b[9] = proto;
	sp_test_wr_be32(b + 12, src);
	sp_test_wr_be32(b + 16, dst);
	add_fix(p, off, FIX_IPV4);
	return off;
}

uint32_t
sp_test_pkt_ipv4(struct sp_test_pkt *p, uint32_t src, uint32_t dst, uint8_t proto)
{
	return sp_test_pkt_ipv4_ex(p, src, dst, proto, 5, 0);
}

uint32_t
sp_test_pkt_ipv6(struct sp_test_pkt *p, const uint8_t src[16], const uint8_t dst[16], uint8_t nxt)
{
	uint32_t off;
	uint8_t *b = grow(p, 40, &off);

	memset(b, 0, 40);
	b[0] = 0x60;
	b[6] = nxt;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	add_fix(p, off, FIX_IPV6);
	return off;
}

uint32_t
sp_test_pkt_ipv6_ext(struct sp_test_pkt *p, uint8_t nxt, uint8_t hdr_ext_len)
{
	uint32_t off, len = (hdr_ext_len + 1u) * 8u;
	uint8_t *b = grow(p, len, &off);

	memset(b, 0, len);
	b[0] = nxt;
	b[1] = hdr_ext_len;
	return off;
}

uint32_t
sp_test_pkt_ipv6_frag(struct sp_test_pkt *p, uint8_t nxt, uint16_t offset, bool more, uint32_t id)
{
	uint32_t off;
	uint8_t *b = grow(p, 8, &off);

	b[0] = nxt;
	b[1] = 0;
	sp_test_wr_be16(b + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	sp_test_wr_be32(b + 4, id);
	return off;
}

uint32_t
sp_test_pkt_tcp(struct sp_test_pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t doff)
{
	uint32_t off, hlen = doff >= 5 ? doff * 4u : 20u;
	uint8_t *b = grow(p, hlen, &off);

	memset(b, 0, hlen);
	sp_test_wr_be16(b, sport);
	sp_test_wr_be16(b + 2, dport);
	sp_test_wr_be32(b + 4, 1);			/* sequence */
	b[12] = (uint8_t)(doff << 4);
	b[13] = flags;
	sp_test_wr_be16(b + 14, 65535);
	return off;
}

uint32_t
sp_test_pkt_udp(struct sp_test_pkt *p, uint16_t sport, uint16_t dport)
{
	uint32_t off = sp_test_pkt_be16(p, sport);

	sp_test_pkt_be16(p, dport);
	sp_test_pkt_be32(p, 0);
	add_fix(p, off, FIX_UDP);
	return off;
}

uint32_t
sp_test_pkt_icmp(struct sp_test_pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint32_t off = sp_test_pkt_u8(p, type);

	sp_test_pkt_u8(p, code);
	sp_test_pkt_be16(p, 0);
	sp_test_pkt_be16(p, id);
	sp_test_pkt_be16(p, seq);
	return off;
}

uint32_t
sp_test_pkt_gtpu(struct sp_test_pkt *p, uint8_t flags, uint8_t msg_type, uint32_t teid,
		 uint8_t next_ext)
{
	uint32_t off = sp_test_pkt_u8(p, flags);

	sp_test_pkt_u8(p, msg_type);
	sp_test_pkt_be16(p, 0);
	sp_test_pkt_be32(p, teid);
	if (flags & 0x07) {
		sp_test_pkt_be16(p, 0);
		sp_test_pkt_u8(p, 0);
		sp_test_pkt_u8(p, next_ext);
	}
	add_fix(p, off, FIX_GTPU);
	return off;
}

uint32_t
sp_test_pkt_gtpu_ext(struct sp_test_pkt *p, uint8_t len, uint8_t next_ext)
{
	uint32_t off, n = len ? len * 4u : 4u;
	uint8_t *b = grow(p, n, &off);

	memset(b, 0, n);
	b[0] = len;
	b[n - 1] = next_ext;
	return off;
}

uint32_t
sp_test_pkt_tzsp(struct sp_test_pkt *p, uint8_t version, uint8_t type, uint16_t encap)
{
	uint32_t off = sp_test_pkt_u8(p, version);

	sp_test_pkt_u8(p, type);
	sp_test_pkt_be16(p, encap);
	return off;
}

uint32_t
sp_test_pkt_capwap(struct sp_test_pkt *p, uint8_t preamble, uint8_t hlen)
{
	uint32_t off, n = hlen >= 2 ? hlen * 4u : 8u;
	uint8_t *b = grow(p, n, &off);

	memset(b, 0, n);
	b[0] = preamble;
	b[1] = (uint8_t)(hlen << 3);
	b[2] = 0x03;			/* WBID 1 (IEEE 802.11), T: native frame */
	return off;
}

static void
ipv4_checksum(uint8_t *b, uint32_t hlen)
{
	uint32_t sum = 0, i;

	b[10] = b[11] = 0;
	for (i = 0; i + 1 < hlen; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	sp_test_wr_be16(b + 10, (uint16_t)~sum);
}

void
sp_test_pkt_finish(struct sp_test_pkt *p)
{
	unsigned int i;

	for (i = 0; i < p->nfix; i++) {
		uint32_t off = p->fix[i].off, n = p->len - off;
		uint8_t *b = p->buf + off;

		switch (p->fix[i].kind) {
		case FIX_IPV4: {
			uint32_t hlen = (b[0] & 0x0F) * 4u;

			sp_test_wr_be16(b + 2, (uint16_t)n);
			ipv4_checksum(b, hlen < 20 ? 20 : hlen);
			break;
		}
		case FIX_IPV6:
			sp_test_wr_be16(b + 4, (uint16_t)(n - 40));
			break;
		case FIX_UDP:
			sp_test_wr_be16(b + 4, (uint16_t)n);
			break;
		case FIX_GTPU:
			sp_test_wr_be16(b + 2, (uint16_t)(n - 8));
			break;
		case FIX_PPPOE:
			sp_test_wr_be16(b + 4, (uint16_t)(n - 6));
			break;
		case FIX_8023:
			sp_test_wr_be16(b + 12, (uint16_t)(n - 14));
			break;
		}
	}
}

FILE *
sp_test_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen)
{
	/* Native byte order: readers detect it from the magic. */
	const uint32_t hdr[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, snaplen, linktype };
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return NULL;
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1) {
		fclose(f);
		return NULL;
	}
	return f;
}

int
sp_test_pcap_write(FILE *f, uint64_t ts_us, const uint8_t *data, uint32_t caplen,
		   uint32_t wire_len)
{
	const uint32_t rec[4] = {
		(uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), caplen, wire_len,
	};

	if (fwrite(rec, sizeof(rec), 1, f) != 1)
		return -1;
	if (caplen > 0 && fwrite(data, caplen, 1, f) != 1)
		return -1;
	return 0;
}

int
sp_test_pcap_close(FILE *f)
{
	return fclose(f) == 0 ? 0 : -1;
}
