/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port profiles (INI, errors naming file/section/key) and the symmetric RSS
 * key: with it, and with the software dispatch hash, both directions of a
 * flow go to the same queue/worker. Live capture: the snapshot length cut,
 * the af_packet ring devargs, and an interface's flags left as found.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "sp_dispatch.h"
#include "sp_flow.h"
#include "sp_port.h"
#include "sp_test.h"
#include "sp_test_eal.h"
#include "sp_test_pkt.h"

static char dir[64];

static void
write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void
test_profile_layers(void)
{
	struct sp_port_profile p;
	char err[256];

	write_file("default.ini", "[port]\nrx_desc = 512\n[rss]\nhash = ip\n");
	write_file("net_test.ini", "; comment\n[port]\nmbufs_per_queue = 4096\npromiscuous = no\n"
		   "[rss]\nkey_len = 52\n[offloads]\nrx_timestamp = 1\n");
	CU_ASSERT_EQUAL_FATAL(sp_port_profile_for_driver(dir, "net_test", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.rx_desc, 512);		/* from default.ini */
	CU_ASSERT_EQUAL(p.mbufs_per_queue, 4096);	/* from the driver's file */
	CU_ASSERT_FALSE(p.promiscuous);
	CU_ASSERT_EQUAL(p.rss_key_len, 52);
	CU_ASSERT_EQUAL(p.rss_key[50], 0x6d);
	CU_ASSERT_EQUAL(p.rss_key[51], 0x5a);
	CU_ASSERT_EQUAL(p.rss_hf, RTE_ETH_RSS_IP);
	CU_ASSERT_TRUE(p.rx_timestamp);
	/* a driver without a file: default.ini only */
	CU_ASSERT_EQUAL(sp_port_profile_for_driver(dir, "net_other", &p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p.mbufs_per_queue, 8192);
	CU_ASSERT_TRUE(p.promiscuous);
}

static void
test_profile_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[port]\nrx_desc = lots\n", "[port] rx_desc: bad value 'lots'" },
		{ "[port]\nrx_desk = 64\n", "[port] rx_desk: unknown key" },
		{ "[rss]\nhash = ip, quic\n", "[rss] hash: bad value" },
		{ "[rss]\nkey = 0102zz\n", "[rss] key: bad value" },
		{ "[ports]\nrx_desc = 64\n", "[ports]: unknown section" },
		{ "[port]\nmtu = 99999\n", "[port] mtu: bad value" },
	};
	struct sp_port_profile p;
	char err[256], path[128];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/bad.ini", dir);
	for (i = 0; i < RTE_DIM(cases); i++) {
		write_file("bad.ini", cases[i].text);
		sp_port_profile_defaults(&p);
		err[0] = '\0';
		CU_ASSERT_EQUAL(sp_port_profile_load(path, &p, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].want));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.ini"));
	}
	CU_ASSERT_EQUAL(sp_port_profile_load("/nonexistent/x.ini", &p, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.ini"));
}

static void
test_repo_profiles_load(void)
{
	static const char *const drivers[] = { "net_i40e", "net_ice", "net_ixgbe", "net_mlx5",
		"net_af_packet", "net_pcap", "net_ring", "net_null", "default" };
	struct sp_port_profile p;
	char err[256];
	unsigned int i;

	for (i = 0; i < RTE_DIM(drivers); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(sp_port_profile_for_driver(SP_DRIVERS_CONFIG_SRC_DIR, drivers[i], &p,
							   err, sizeof(err)), 0);
		if (err[0] != '\0')
			fprintf(stderr, "%s\n", err);
	}
}

/* For generated flows both directions give the same RSS hash with the
 * symmetric key, hence the same queue through any RETA, and the same
 * worker through the software dispatch. */
static void
test_symmetric_rss(void)
{
	uint8_t key[52], key_be[52];
	uint32_t t[3], r[3], h1, h2, i;
	struct sp_pkt_meta m;
	struct sp_flow_key k1, k2;
	unsigned int len, n;

	for (len = 40; len <= 52; len += 12) {
		sp_port_symmetric_key(key, len);
		rte_convert_rss_key((const uint32_t *)key, (uint32_t *)key_be, len);
		srand(7);
		for (i = 0; i < 2000; i++) {
			t[0] = (uint32_t)rand();
			t[1] = (uint32_t)rand();
			t[2] = ((uint32_t)rand() & 0xffff) << 16 | ((uint32_t)rand() & 0xffff);
			r[0] = t[1];
			r[1] = t[0];
			r[2] = (t[2] >> 16) | (t[2] << 16);
			h1 = rte_softrss(t, 3, key);
			h2 = rte_softrss(r, 3, key);
			CU_ASSERT_EQUAL(h1, h2);
			CU_ASSERT_EQUAL(rte_softrss_be(t, 3, key_be), rte_softrss_be(r, 3, key_be));
			for (n = 1; n <= 8; n++)
				CU_ASSERT_EQUAL((h1 % 128) % n, (h2 % 128) % n);
		}
	}
	/* the driver's default-style key is not symmetric: the test can fail */
	for (i = 0; i < 40; i++)
		key[i] = (uint8_t)(i * 37 + 11);
	t[0] = 0x0a000001;
	t[1] = 0x0a000002;
	t[2] = 1234u << 16 | 80;
	r[0] = t[1];
	r[1] = t[0];
	r[2] = 80u << 16 | 1234;
	CU_ASSERT_NOT_EQUAL(rte_softrss(t, 3, key), rte_softrss(r, 3, key));

	/* software dispatch: same worker both ways */
	srand(11);
	for (i = 0; i < 2000; i++) {
		memset(&m, 0, sizeof(m));
		m.src_ip[0] = (uint8_t)rand();
		m.src_ip[3] = (uint8_t)rand();
		m.dst_ip[1] = (uint8_t)rand();
		m.src_port = (uint16_t)rand();
		m.dst_port = (uint16_t)rand();
		m.protocol = 6;
		sp_flow_key_make(&m, &k1);
		memcpy(m.src_ip, k1.ip_hi, 16);
		memcpy(m.dst_ip, k1.ip_lo, 16);
		m.src_port = k1.port_hi;
		m.dst_port = k1.port_lo;
		sp_flow_key_make(&m, &k2);
		for (n = 1; n <= 8; n++)
			CU_ASSERT_EQUAL(sp_dispatch_worker_of(sp_flow_key_hash(&k1), n),
					sp_dispatch_worker_of(sp_flow_key_hash(&k2), n));
	}
}

/* One direction of a flow as a frame: IPv4 or IPv6, TCP or UDP, an
 * optional VLAN tag, an optional fragment (IPv4 MF / IPv6 fragment header). */
struct rss_flow {
	bool v6, udp, vlan, frag;
	uint8_t a[16], b[16];
	uint16_t pa, pb;
};

static void
rss_frame(struct sp_test_pkt *p, const struct rss_flow *f, bool reverse)
{
	const uint8_t *src = reverse ? f->b : f->a, *dst = reverse ? f->a : f->b;
	uint16_t sport = reverse ? f->pb : f->pa, dport = reverse ? f->pa : f->pb;
	uint8_t proto = f->udp ? 17 : 6;
	uint32_t s4 = (uint32_t)src[0] << 24 | src[1] << 16 | src[2] << 8 | src[3];
	uint32_t d4 = (uint32_t)dst[0] << 24 | dst[1] << 16 | dst[2] << 8 | dst[3];

	sp_test_pkt_reset(p);
	if (f->vlan) {
		sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x8100);
		sp_test_pkt_vlan(p, 42, f->v6 ? 0x86dd : 0x0800);
	} else {
		sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, f->v6 ? 0x86dd : 0x0800);
	}
	if (f->v6) {
		sp_test_pkt_ipv6(p, src, dst, f->frag ? 44 : proto);
		if (f->frag)
			sp_test_pkt_ipv6_frag(p, proto, 0, true, 7);
	} else {
		sp_test_pkt_ipv4_ex(p, s4, d4, proto, 5, f->frag ? 0x2000 : 0);
	}
	if (f->udp)
		sp_test_pkt_udp(p, sport, dport);
	else
		sp_test_pkt_tcp(p, sport, dport, 0x10, 5);
	sp_test_pkt_payload(p, 16, 0xab);
	sp_test_pkt_finish(p);
}

/* The tuple rte_softrss hashes for a flow's a->b direction, built here from
 * the flow's fields rather than from the frame: it checks which fields
 * sp_port_rss_hash() takes from where. */
static uint32_t
rss_expected(const struct sp_port_profile *prof, const struct rss_flow *f, bool ports)
{
	uint32_t t[RTE_THASH_V6_L4_LEN], n, i;

	memset(t, 0, sizeof(t));
	if (f->v6) {
		for (i = 0; i < 4; i++) {
			t[i] = (uint32_t)f->a[4 * i] << 24 | f->a[4 * i + 1] << 16 |
				f->a[4 * i + 2] << 8 | f->a[4 * i + 3];
			t[4 + i] = (uint32_t)f->b[4 * i] << 24 | f->b[4 * i + 1] << 16 |
				f->b[4 * i + 2] << 8 | f->b[4 * i + 3];
		}
		n = RTE_THASH_V6_L3_LEN;
	} else {
		t[0] = (uint32_t)f->a[0] << 24 | f->a[1] << 16 | f->a[2] << 8 | f->a[3];
		t[1] = (uint32_t)f->b[0] << 24 | f->b[1] << 16 | f->b[2] << 8 | f->b[3];
		n = RTE_THASH_V4_L3_LEN;
	}
	if (ports)
		t[n++] = (uint32_t)f->pa << 16 | f->pb;
	return rte_softrss(t, n, prof->rss_key);
}

/*
 * The shipped profiles' keys are symmetric as sp_port_rss_hash() uses them
 * (the hash tools/sp-rss-split spreads a capture with): for IPv4 and IPv6,
 * TCP and UDP, with and without a VLAN tag, both directions of a random
 * flow hash alike, over the ports, and land on the same queue for any
 * queue count; fragments hash alike over the addresses. The hash is
 * rte_softrss over the tuple the NIC reads. A non-symmetric key fails.
 */
static void
test_rss_profiles_symmetric(void)
{
	static const char *const drivers[] = { "default", "net_i40e", "net_ice", "net_ixgbe",
		"net_mlx5" };
	struct sp_test_pkt *p = sp_test_pkt_new();
	struct sp_port_profile prof;
	enum sp_port_rss_fields fa, fb;
	struct rss_flow f;
	uint32_t ha, hb, i, k, asym = 0;
	char err[256];
	unsigned int d, n;

	for (d = 0; d < RTE_DIM(drivers); d++) {
		CU_ASSERT_EQUAL_FATAL(sp_port_profile_for_driver(SP_DRIVERS_CONFIG_SRC_DIR,
								 drivers[d], &prof, err,
								 sizeof(err)), 0);
		CU_ASSERT_TRUE(prof.rss);
		CU_ASSERT_TRUE(prof.rss_key_len >= 40);
		srand(13 + d);
		for (i = 0; i < 4000; i++) {
			memset(&f, 0, sizeof(f));
			f.v6 = i & 1;
			f.udp = (i >> 1) & 1;
			f.vlan = (i % 7) == 0;
			f.frag = (i % 11) == 0;
			for (k = 0; k < 16; k++) {
				f.a[k] = (uint8_t)rand();
				f.b[k] = (uint8_t)rand();
			}
			f.pa = (uint16_t)rand();
			f.pb = (uint16_t)rand();
			rss_frame(p, &f, false);
			fa = sp_port_rss_hash(&prof, p->buf, p->len, &ha);
			rss_frame(p, &f, true);
			fb = sp_port_rss_hash(&prof, p->buf, p->len, &hb);
			CU_ASSERT_EQUAL(fa, f.frag ? SP_PORT_RSS_L3 : SP_PORT_RSS_L4);
			CU_ASSERT_EQUAL(fb, fa);
			CU_ASSERT_EQUAL(ha, hb);
			CU_ASSERT_EQUAL(ha, rss_expected(&prof, &f, !f.frag));
			for (n = 1; n <= 16; n++) {
				CU_ASSERT_EQUAL(sp_port_reta_queue(ha, 128, (uint16_t)n),
						sp_port_reta_queue(hb, 128, (uint16_t)n));
				CU_ASSERT_EQUAL(sp_port_reta_queue(ha, 512, (uint16_t)n),
						sp_port_reta_queue(hb, 512, (uint16_t)n));
			}
		}
	}
	/* the same check does catch a key that is not symmetric */
	for (k = 0; k < prof.rss_key_len; k++)
		prof.rss_key[k] = (uint8_t)(k * 37 + 11);
	for (i = 0; i < 100; i++) {
		memset(&f, 0, sizeof(f));
		f.v6 = i & 1;
		f.udp = (i >> 1) & 1;
		for (k = 0; k < 16; k++) {
			f.a[k] = (uint8_t)rand();
			f.b[k] = (uint8_t)rand();
		}
		f.pa = (uint16_t)rand();
		f.pb = (uint16_t)rand();
		rss_frame(p, &f, false);
		sp_port_rss_hash(&prof, p->buf, p->len, &ha);
		rss_frame(p, &f, true);
		sp_port_rss_hash(&prof, p->buf, p->len, &hb);
		asym += ha != hb;
	}
	CU_ASSERT(asym > 90);
	sp_test_pkt_free(p);
}

/* Microsoft's RSS verification suite (the NIC specification's vectors, as
 * in DPDK's test_thash.c): sp_port_rss_hash() gives what the NICs give. */
static void
test_rss_ms_vectors(void)
{
	static const uint8_t ms_key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d,
		0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b,
		0xbe, 0xac, 0x01, 0xfa,
	};
	static const uint8_t s6[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
		0, 0, 0, 0, 0, 0, 0, 7 };
	static const uint8_t d6[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
		0, 0, 0, 0, 0, 0, 0, 1 };
	struct sp_test_pkt *p = sp_test_pkt_new();
	struct sp_port_profile prof;
	uint32_t h;

	sp_port_profile_defaults(&prof);
	memcpy(prof.rss_key, ms_key, sizeof(ms_key));
	prof.rss_key_len = sizeof(ms_key);
	sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0800);
	sp_test_pkt_ipv4(p, SP_TEST_IP4(66, 9, 149, 187), SP_TEST_IP4(161, 142, 100, 80), 6);
	sp_test_pkt_tcp(p, 2794, 1766, 0x02, 5);
	sp_test_pkt_finish(p);
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L4);
	CU_ASSERT_EQUAL(h, 0x51ccc178);
	prof.rss_hf = RTE_ETH_RSS_IP;
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L3);
	CU_ASSERT_EQUAL(h, 0x323e8fc2);
	sp_test_pkt_reset(p);
	sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x86dd);
	sp_test_pkt_ipv6(p, s6, d6, 6);
	sp_test_pkt_tcp(p, 2794, 1766, 0x02, 5);
	sp_test_pkt_finish(p);
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L3);
	CU_ASSERT_EQUAL(h, 0x2cc18cd5);
	prof.rss_hf |= RTE_ETH_RSS_TCP;
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L4);
	CU_ASSERT_EQUAL(h, 0x40207d3d);
	sp_test_pkt_free(p);
}

/* What is hashed follows the profile's hash list, as a NIC's types do. */
static void
test_rss_hash_types(void)
{
	struct sp_test_pkt *p = sp_test_pkt_new();
	struct sp_port_profile prof;
	struct rss_flow f;
	uint32_t h;

	memset(&f, 0, sizeof(f));
	f.a[0] = 10;
	f.a[3] = 1;
	f.b[0] = 10;
	f.b[3] = 2;
	f.pa = 40000;
	f.pb = 443;
	sp_port_profile_defaults(&prof);
	prof.rss_hf = RTE_ETH_RSS_IP;		/* no L4 types: addresses only */
	rss_frame(p, &f, false);
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L3);
	CU_ASSERT_EQUAL(h, rss_expected(&prof, &f, false));
	prof.rss_hf = RTE_ETH_RSS_UDP;		/* TCP not in the list, nor IPv4 */
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_NONE);
	CU_ASSERT_EQUAL(h, 0);
	f.udp = true;
	rss_frame(p, &f, false);
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_L4);
	CU_ASSERT_EQUAL(h, rss_expected(&prof, &f, true));
	/* ports cut off by the capture: the addresses, if the list has IP */
	prof.rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, 14 + 20 + 2, &h), SP_PORT_RSS_L3);
	CU_ASSERT_EQUAL(h, rss_expected(&prof, &f, false));
	/* not IP: the NIC's queue 0 */
	sp_test_pkt_reset(p);
	sp_test_pkt_eth(p, SP_TEST_MAC_B, SP_TEST_MAC_A, 0x0806);
	sp_test_pkt_payload(p, 28, 0);
	sp_test_pkt_finish(p);
	CU_ASSERT_EQUAL(sp_port_rss_hash(&prof, p->buf, p->len, &h), SP_PORT_RSS_NONE);
	CU_ASSERT_EQUAL(sp_port_reta_queue(h, 128, 4), 0);
	sp_test_pkt_free(p);
}

/* The keys of packet time and of the emulated RSS, and their errors. */
static void
test_profile_time_keys(void)
{
	struct sp_port_profile p;
	char err[256], path[128];

	sp_port_profile_defaults(&p);
	CU_ASSERT_FALSE(p.time_from_rx_timestamp);
	CU_ASSERT_FALSE(p.rss_emulated);
	CU_ASSERT_EQUAL(p.rx_timestamp_per_ms, 1000000);
	snprintf(path, sizeof(path), "%s/t.ini", dir);
	write_file("t.ini", "[rss]\nemulated = 1\n[offloads]\npacket_time = rx_timestamp\n"
		   "rx_timestamp_unit = us\n");
	CU_ASSERT_EQUAL_FATAL(sp_port_profile_load(path, &p, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(p.rss_emulated);
	CU_ASSERT_TRUE(p.time_from_rx_timestamp);
	CU_ASSERT_EQUAL(p.rx_timestamp_per_ms, 1000);
	write_file("t.ini", "[offloads]\npacket_time = nic\n");
	CU_ASSERT_EQUAL(sp_port_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[offloads] packet_time: bad value 'nic'"));
	write_file("t.ini", "[offloads]\nrx_timestamp_unit = ms\n");
	CU_ASSERT_EQUAL(sp_port_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "[offloads] rx_timestamp_unit: bad value 'ms'"));
	/* the shipped net_pcap profile: packet time from its records, in us */
	CU_ASSERT_EQUAL(sp_port_profile_for_driver(SP_DRIVERS_CONFIG_SRC_DIR, "net_pcap", &p,
						   err, sizeof(err)), 0);
	CU_ASSERT_TRUE(p.time_from_rx_timestamp);
	CU_ASSERT_EQUAL(p.rx_timestamp_per_ms, 1000);
	CU_ASSERT_FALSE(p.rss);
}

static int
suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sp_test_port_XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct rte_mempool *live_pool;

static struct rte_mbuf *
seg(uint16_t len, uint8_t fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(live_pool);

	CU_ASSERT_FATAL(m != NULL);
	memset(rte_pktmbuf_append(m, len), fill, len);
	return m;
}

static void
test_snap(void)
{
	struct rte_mbuf *m, *m2;
	unsigned int avail = rte_mempool_avail_count(live_pool);

	/* shorter than the snapshot length: untouched */
	m = seg(60, 1);
	sp_port_snap(m, 1536);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 60);
	sp_port_snap(m, 60);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 60);
	/* one segment */
	sp_port_snap(m, 20);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 20);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), 20);
	rte_pktmbuf_free(m);
	/* a chain 100 + 100 + 100 cut at 150: the third segment is freed */
	m = seg(100, 1);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, seg(100, 2)), 0);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, seg(100, 3)), 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(live_pool), avail - 3);
	sp_port_snap(m, 150);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 150);
	CU_ASSERT_EQUAL(m->nb_segs, 2);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m->next), 50);
	CU_ASSERT_PTR_NULL(m->next->next);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(live_pool), avail - 2);
	CU_ASSERT_EQUAL(rte_mbuf_check(m, 1, NULL), 0);
	/* a cut exactly at a segment's end keeps that segment whole */
	sp_port_snap(m, 100);
	CU_ASSERT_EQUAL(m->nb_segs, 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), 100);
	CU_ASSERT_PTR_NULL(m->next);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(live_pool), avail - 1);
	rte_pktmbuf_free(m);
	m2 = seg(10, 4);
	sp_port_snap(m2, 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m2), 1);
	rte_pktmbuf_free(m2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(live_pool), avail);
}

static void
test_iface_devargs(void)
{
	unsigned int page = (unsigned int)getpagesize(), blk;
	char buf[192], want[192];

	/* ring frames hold whole frames (MTU + 14 + 4 + 66): 2 KiB, or pages */
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(1500), 2048);	/* the PMD's default */
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(1964), 2048);	/* 1964 + 84 = 2048 */
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(1965), RTE_ALIGN_CEIL(2049u, page));
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(9000), RTE_ALIGN_CEIL(9084u, page));
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(9216), RTE_ALIGN_CEIL(9300u, page));
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(65536), RTE_ALIGN_CEIL(9300u, page));
	CU_ASSERT_EQUAL(sp_port_af_packet_frame(UINT32_MAX), RTE_ALIGN_CEIL(9300u, page));
	/* the PMD wants mbufs with frame - 32 bytes after the headroom */
	CU_ASSERT_EQUAL(sp_port_af_packet_mbuf_room(2048), RTE_MBUF_DEFAULT_BUF_SIZE);
	CU_ASSERT_EQUAL(sp_port_af_packet_mbuf_room(12288), 12288 - 32 + RTE_PKTMBUF_HEADROOM);

	/* 0: libpcap's 2 MiB ring; 2 KiB frames, as many as a page holds */
	blk = RTE_MAX(page, 2048u);
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 2048, 0, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "iface=eth1,qpairs=1,blocksz=%u,framesz=2048,framecnt=%u",
		 blk, (2u << 20) / blk * (blk / 2048));
	CU_ASSERT_STRING_EQUAL(buf, want);
	/* whole blocks: 3,000,000 bytes are 732 blocks of 4 KiB */
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 2048, 3000000, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "iface=eth1,qpairs=1,blocksz=%u,framesz=2048,framecnt=%u",
		 blk, 3000000 / blk * (blk / 2048));
	CU_ASSERT_STRING_EQUAL(buf, want);
	/* less than a block: one block */
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 2048, 1, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "iface=eth1,qpairs=1,blocksz=%u,framesz=2048,framecnt=%u",
		 blk, blk / 2048);
	CU_ASSERT_STRING_EQUAL(buf, want);
	/* jumbo: one frame of whole pages per block */
	blk = sp_port_af_packet_frame(9000);
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", blk, 0, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "iface=eth1,qpairs=1,blocksz=%u,framesz=%u,framecnt=%u",
		 blk, blk, (2u << 20) / blk);
	CU_ASSERT_STRING_EQUAL(buf, want);
	/* frames that leave gaps in a block: the PMD would misread the ring */
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 9088, 0, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 2048, 0, buf, 20), -ENOSPC);
	CU_ASSERT_EQUAL(sp_port_iface_devargs("eth1", 2050, 0, buf, sizeof(buf)), -EINVAL);
}

static short
lo_flags(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	CU_ASSERT_EQUAL(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	close(fd);
	return ifr.ifr_flags;
}

static void
test_iface_open_close(void)
{
	struct sp_port_profile p;
	struct sp_port_iface *ifc;
	char err[128];
	uint16_t port;
	short before;

	err[0] = '\0';
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(sp_port_iface_open("nosuch0", err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "nosuch0: no such device");
	CU_ASSERT_PTR_NULL(sp_port_iface_open("a_name_longer_than_ifnamsiz", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "a_name_longer_than_ifnamsiz: no such device");
	CU_ASSERT_EQUAL(sp_port_iface_close(NULL), 0);

	before = lo_flags();
	ifc = sp_port_iface_open("lo", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ifc);
	CU_ASSERT_EQUAL(sp_port_iface_was_up(ifc), (before & IFF_UP) != 0);
	CU_ASSERT(sp_port_iface_mtu(ifc) >= 1500);
	/* a port that is not the interface's: only its promiscuous flag is
	 * set, to the interface's as found */
	CU_ASSERT_EQUAL_FATAL(rte_eal_hotplug_add("vdev", "net_ring_port0", ""), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_get_port_by_name("net_ring_port0", &port), 0);
	/* the opposite of lo's, so that bind has to change it */
	if (before & IFF_PROMISC) {
		CU_ASSERT_EQUAL(rte_eth_promiscuous_disable(port), 0);
	} else {
		CU_ASSERT_EQUAL(rte_eth_promiscuous_enable(port), 0);
	}
	CU_ASSERT_EQUAL(rte_eth_promiscuous_get(port), (before & IFF_PROMISC) == 0);
	/* not promiscuous: no membership (which needs CAP_NET_RAW; the live
	 * tests cover it) */
	sp_port_profile_defaults(&p);
	p.promiscuous = false;
	CU_ASSERT_EQUAL(sp_port_iface_bind(ifc, port, &p), 0);
	CU_ASSERT_FALSE(p.promiscuous);
	CU_ASSERT_EQUAL(rte_eth_promiscuous_get(port), (before & IFF_PROMISC) != 0);
	CU_ASSERT_EQUAL(lo_flags() & (IFF_UP | IFF_PROMISC), before & (IFF_UP | IFF_PROMISC));
	CU_ASSERT_EQUAL(sp_port_iface_close(ifc), 0);
	CU_ASSERT_EQUAL(lo_flags(), before);
	rte_eal_hotplug_remove("vdev", "net_ring_port0");
}

static int
live_init(void)
{
	if (sp_test_eal_init("port", 64) != 0)
		return -1;
	live_pool = rte_pktmbuf_pool_create("test_port", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return live_pool != NULL ? 0 : -1;
}

static int
live_clean(void)
{
	rte_mempool_free(live_pool);
	return sp_test_eal_cleanup();
}

int
sp_test_register(void)
{
	CU_pSuite live, s = CU_add_suite("port", suite_init, suite_clean);

	if (s == NULL || CU_add_test(s, "profile layers", test_profile_layers) == NULL ||
	    CU_add_test(s, "profile errors name file, section, key", test_profile_errors) == NULL ||
	    CU_add_test(s, "the repository's profiles load", test_repo_profiles_load) == NULL ||
	    CU_add_test(s, "symmetric RSS and dispatch", test_symmetric_rss) == NULL ||
	    CU_add_test(s, "profiles' RSS keys symmetric, IPv4/IPv6 TCP/UDP",
			test_rss_profiles_symmetric) == NULL ||
	    CU_add_test(s, "RSS hash types", test_rss_hash_types) == NULL ||
	    CU_add_test(s, "RSS: Microsoft's verification vectors", test_rss_ms_vectors) == NULL ||
	    CU_add_test(s, "packet time and emulated RSS keys", test_profile_time_keys) == NULL)
		return -1;
	live = CU_add_suite("port live", live_init, live_clean);
	if (live == NULL || CU_add_test(live, "snapshot length cut", test_snap) == NULL ||
	    CU_add_test(live, "af_packet ring devargs", test_iface_devargs) == NULL ||
	    CU_add_test(live, "iface open, bind, close", test_iface_open_close) == NULL)
		return -1;
	return 0;
}
