/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A NIC's RSS in software (sp_port_rss_hash()): what a port set up by a
 * profile hashes a frame on, and the Toeplitz hash of it with the profile's
 * key, through DPDK's own rte_thash so that the result is the one the
 * NIC's hardware gives for the same key (DPDK's RSS tests check rte_softrss
 * against the NICs). tools/sp-rss-split spreads a capture over per-queue
 * files with it; the unit tests prove the symmetric key symmetric with it.
 * Not on the packet path.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include "sp_port.h"

#define RSS_ETH_VLAN	0x8100
#define RSS_ETH_QINQ	0x88a8
#define RSS_ETH_QINQ_OLD 0x9100
#define RSS_ETH_IPV4	0x0800
#define RSS_ETH_IPV6	0x86dd

/* The RSS types of a TCP/UDP/SCTP packet that is not a fragment. */
static uint64_t
rss_l4_type(uint8_t proto, bool v6)
{
	switch (proto) {
	case IPPROTO_TCP:
		return v6 ? RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6_TCP_EX :
			RTE_ETH_RSS_NONFRAG_IPV4_TCP;
	case IPPROTO_UDP:
		return v6 ? RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV6_UDP_EX :
			RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	case IPPROTO_SCTP:
		return v6 ? RTE_ETH_RSS_NONFRAG_IPV6_SCTP : RTE_ETH_RSS_NONFRAG_IPV4_SCTP;
	default:
		return 0;
	}
}

/*
 * Which fields: the ports when the packet's L4 type is in the list and the
 * ports were captured; else the addresses when the list has the IP type
 * (generic RTE_ETH_RSS_IPV4/IPV6: every packet of that family, as mlx5 and
 * ixgbe read it) or the fragment/other type the packet is.
 */
static enum sp_port_rss_fields
rss_fields(uint64_t hf, uint8_t proto, bool frag, bool v6, bool ports)
{
	uint64_t l4 = frag ? 0 : rss_l4_type(proto, v6);
	uint64_t l3 = v6 ? RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX : RTE_ETH_RSS_IPV4;

	if (frag)
		l3 |= v6 ? RTE_ETH_RSS_FRAG_IPV6 : RTE_ETH_RSS_FRAG_IPV4;
	else if (l4 == 0)
		l3 |= v6 ? RTE_ETH_RSS_NONFRAG_IPV6_OTHER : RTE_ETH_RSS_NONFRAG_IPV4_OTHER;
	if ((hf & l4) != 0 && ports)
		return SP_PORT_RSS_L4;
	return (hf & l3) != 0 ? SP_PORT_RSS_L3 : SP_PORT_RSS_NONE;
}

static bool
rss_ipv6_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

enum sp_port_rss_fields
sp_port_rss_hash(const struct sp_port_profile *p, const uint8_t *frame, uint32_t len,
		 uint32_t *hash)
{
	union rte_thash_tuple t;
	enum sp_port_rss_fields f = SP_PORT_RSS_NONE;
	uint32_t off = 12, l4 = 0, words = 0;
	uint16_t type;
	unsigned int tags;
	bool frag = false;
	uint8_t proto;

	*hash = 0;
	memset(&t, 0, sizeof(t));
	if (len < off + 2)
		return SP_PORT_RSS_NONE;
	type = (uint16_t)(frame[off] << 8 | frame[off + 1]);
	for (tags = 0; tags < 2 && (type == RSS_ETH_VLAN || type == RSS_ETH_QINQ ||
				    type == RSS_ETH_QINQ_OLD); tags++) {
		off += 4;
		if (len < off + 2)
			return SP_PORT_RSS_NONE;
		type = (uint16_t)(frame[off] << 8 | frame[off + 1]);
	}
	off += 2;
	if (type == RSS_ETH_IPV4) {
		struct rte_ipv4_hdr ip4, *ip = &ip4;
		uint32_t ihl;

		/* a copy: the header need not be aligned in a capture */
		if (len < off + sizeof(ip4))
			return SP_PORT_RSS_NONE;
		memcpy(&ip4, frame + off, sizeof(ip4));
		if ((ip->version_ihl >> 4) != 4)
			return SP_PORT_RSS_NONE;
		ihl = (ip->version_ihl & 0xf) * 4u;
		frag = (rte_be_to_cpu_16(ip->fragment_offset) &
			(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
		proto = ip->next_proto_id;
		l4 = off + ihl;
		f = rss_fields(p->rss_hf, proto, frag, false, ihl >= 20 && len >= l4 + 4);
		if (f == SP_PORT_RSS_NONE)
			return f;
		t.v4.src_addr = rte_be_to_cpu_32(ip->src_addr);
		t.v4.dst_addr = rte_be_to_cpu_32(ip->dst_addr);
		words = RTE_THASH_V4_L3_LEN;
		if (f == SP_PORT_RSS_L4) {
			t.v4.sport = (uint16_t)(frame[l4] << 8 | frame[l4 + 1]);
			t.v4.dport = (uint16_t)(frame[l4 + 2] << 8 | frame[l4 + 3]);
			words = RTE_THASH_V4_L4_LEN;
		}
	} else if (type == RSS_ETH_IPV6) {
		struct rte_ipv6_hdr ip6, *ip = &ip6;
		unsigned int ext;

		if (len < off + sizeof(ip6) || (frame[off] >> 4) != 6)
			return SP_PORT_RSS_NONE;
		memcpy(&ip6, frame + off, sizeof(ip6));
		proto = ip->proto;
		l4 = off + sizeof(*ip);
		/* a bounded walk: a NIC's parser gives up on long chains too */
		for (ext = 0; ext < 8 && rss_ipv6_ext(proto) && len >= l4 + 2; ext++) {
			proto = frame[l4];
			l4 += (frame[l4 + 1] + 1u) * 8;
		}
		if (proto == IPPROTO_FRAGMENT)
			frag = true;
		f = rss_fields(p->rss_hf, proto, frag, true, !rss_ipv6_ext(proto) &&
			       len >= l4 + 4);
		if (f == SP_PORT_RSS_NONE)
			return f;
		rte_thash_load_v6_addrs(ip, &t);
		words = RTE_THASH_V6_L3_LEN;
		if (f == SP_PORT_RSS_L4) {
			t.v6.sport = (uint16_t)(frame[l4] << 8 | frame[l4 + 1]);
			t.v6.dport = (uint16_t)(frame[l4 + 2] << 8 | frame[l4 + 3]);
			words = RTE_THASH_V6_L4_LEN;
		}
	} else {
		return SP_PORT_RSS_NONE;
	}
	*hash = rte_softrss((uint32_t *)&t, words, p->rss_key);
	return f;
}
