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
	    CU_add_test(s, "symmetric RSS and dispatch", test_symmetric_rss) == NULL)
		return -1;
	live = CU_add_suite("port live", live_init, live_clean);
	if (live == NULL || CU_add_test(live, "snapshot length cut", test_snap) == NULL ||
	    CU_add_test(live, "af_packet ring devargs", test_iface_devargs) == NULL ||
	    CU_add_test(live, "iface open, bind, close", test_iface_open_close) == NULL)
		return -1;
	return 0;
}
