/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sp-pktgen: a paced DPDK sender for live benchmarks without a NIC.
 *
 * dpdk-testpmd (22.11) cannot pace: txonly and io send as fast as the
 * core allows, and the only rate limit it offers (`set port .. queue ..
 * rate`) needs the PMD's rte_eth_set_queue_rate_limit(), which
 * net_memif lacks. So a probe's loss-free rate cannot be found with it:
 * at any rate the probe cannot exceed, testpmd overruns the ring and
 * drops. This sender transmits at a set rate on one TX queue of one port
 * (a net_memif client facing streamprobe `--port` as the server, in
 * tools/sp-bench's live section and tests/integration/test_memif.py):
 * synthetic UDP frames of one size over N flows, or the records of an
 * Ethernet capture in a loop (as net_pcap's infinite_rx), due at
 * t0 + i / rate by the TSC and sent in bursts of the packets due.
 *
 * A packet the port does not take (the memif ring is full: the receiver
 * fell behind) is not retried: it is counted as ring_full, the loss a
 * NIC would count as imissed. The frames are built once and pinned by
 * their reference count, so the sender's cost per packet is the PMD's
 * (memif's copy into the shared ring) and its own bookkeeping.
 * If the sender itself falls behind its schedule (descheduled on a
 * shared CPU) by more than --max-lag-us, the packets beyond that are not
 * sent at all (skipped): a stall then makes a burst of at most that
 * length, not a catch-up burst the receiver's ring could never hold;
 * offered_pps shows the rate really offered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_udp.h>

#define GEN_MAX_BURST 512
#define GEN_RX_POOL 1024
/* a pinned segment's reference count is put back up to GEN_REF_HIGH when
 * it falls to GEN_REF_LOW: the PMD's frees never reach 1 (the free that
 * would give the mbuf back to its pool), and the sender writes the count
 * without an atomic operation of its own */
#define GEN_REF_HIGH 60000
#define GEN_REF_LOW 4

static const char usage[] =
	"usage: sp-pktgen [EAL options] -- --seconds S [--rate PPS] [--port ID] [--size B]\n"
	"                 [--flows N] [--pcap FILE] [--burst N] [--max-lag-us U]\n"
	"                 [--linger-ms MS] [--wait-link S]\n"
	"Send on TX queue 0 of port ID (default 0) for S seconds at PPS packets/s (0 or\n"
	"absent: as fast as the port takes them), then keep the port up MS ms (default\n"
	"500) so that the peer drains what was sent. Prints one line:\n"
	"  streamprobe: sp-pktgen: offered=N sent=N ring_full=N skipped=N seconds=S\n"
	"  offered_pps=R sent_pps=R lag_max_us=U\n"
	"  --size B         synthetic UDP/IPv4 frames of B bytes, 60..2048 (default 64)\n"
	"  --flows N        over N flows (source address and port), 1..65536 (default 256)\n"
	"  --pcap FILE      the records of this Ethernet capture instead, in a loop\n"
	"  --burst N        packets per transmit call at most, 1..512 (default 32)\n"
	"  --max-lag-us U   packets due longer than U us ago are skipped (default 50)\n"
	"  --wait-link S    wait at most S seconds for the link (default 10)\n";

static volatile sig_atomic_t gen_stop;

static void
gen_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "streamprobe: sp-pktgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int
parse_num(const char *s, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= min && *out <= max ? 0 : -EINVAL;
}

struct gen {
	uint16_t port;
	double rate;
	double seconds;
	unsigned int size;
	unsigned int flows;
	const char *pcap;
	unsigned int burst;
	double max_lag_us;
	double linger_ms;
	double wait_link;
	struct rte_mbuf **pkts;	/* the frames, pinned */
	unsigned int n_pkts;
};

/* One synthetic frame: UDP over IPv4, flow f from 10.0.f/16:(1024 + f) to
 * 10.255.0.1:9, zero padded to the size; the IPv4 checksum is right so
 * that nothing on the way can call the frame broken. */
static void
gen_frame(uint8_t *p, unsigned int size, unsigned int f)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memset(p, 0, size);
	memcpy(p, macs, sizeof(macs));
	p[12] = 0x08;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(size - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32((10u << 24) | (f & 0xffff));
	ip->dst_addr = rte_cpu_to_be_32((10u << 24) | (255u << 16) | 1);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (f & 0x7fff)));
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(size - 14 - 20));
}

/* One frame into a chain of segments of the pool's data room. */
static struct rte_mbuf *
gen_mbuf(struct rte_mempool *mp, const uint8_t *data, uint32_t len)
{
	uint16_t room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0, n;

	do {
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		n = RTE_MIN(len - off, (uint32_t)room);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), data + off, n);
		m->data_len = (uint16_t)n;
		m->pkt_len = n;
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		off += n;
	} while (off < len);
	return head;
}

static int
gen_load_pcap(struct gen *g, int socket)
{
	char errbuf[PCAP_ERRBUF_SIZE], name[32];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned long long segs = 0, recs = 0;
	struct rte_mempool *mp;
	pcap_t *in;
	int r, pass;

	/* two passes: the pool is sized to the file's segments */
	for (pass = 0; pass < 2; pass++) {
		in = pcap_open_offline(g->pcap, errbuf);
		if (in == NULL)
			return fail("--pcap: %s", errbuf);
		if (pcap_datalink(in) != DLT_EN10MB) {
			pcap_close(in);
			return fail("--pcap %s: not an Ethernet capture", g->pcap);
		}
		if (pass == 1) {
			snprintf(name, sizeof(name), "gen_pkts");
			mp = rte_pktmbuf_pool_create(name, (unsigned int)segs, 0, 0,
						     RTE_MBUF_DEFAULT_BUF_SIZE, socket);
			g->pkts = calloc(recs, sizeof(*g->pkts));
			if (mp == NULL || g->pkts == NULL) {
				pcap_close(in);
				return fail("--pcap %s: no memory for %llu frames (%llu segments of "
					    "%u B): give the EAL more (-m)", g->pcap, recs, segs,
					    RTE_MBUF_DEFAULT_BUF_SIZE);
			}
		}
		while ((r = pcap_next_ex(in, &hdr, &data)) == 1) {
			if (hdr->caplen == 0)
				continue;
			if (pass == 0) {
				segs += (hdr->caplen + RTE_MBUF_DEFAULT_DATAROOM - 1) /
					RTE_MBUF_DEFAULT_DATAROOM;
				recs++;
				continue;
			}
			g->pkts[g->n_pkts] = gen_mbuf(mp, data, hdr->caplen);
			if (g->pkts[g->n_pkts] == NULL) {
				pcap_close(in);
				return fail("--pcap %s: frame %u: no mbuf", g->pcap, g->n_pkts + 1);
			}
			g->n_pkts++;
		}
		if (r == -1) {
			fail("--pcap %s: %s", g->pcap, pcap_geterr(in));
			pcap_close(in);
			return 1;
		}
		pcap_close(in);
		if (recs == 0)
			return fail("--pcap %s: no packets", g->pcap);
	}
	return 0;
}

static int
gen_make_frames(struct gen *g, int socket)
{
	struct rte_mempool *mp;
	uint8_t frame[2048];
	unsigned int f;

	if (g->pcap != NULL)
		return gen_load_pcap(g, socket);
	mp = rte_pktmbuf_pool_create("gen_pkts", g->flows, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     socket);
	g->pkts = calloc(g->flows, sizeof(*g->pkts));
	if (mp == NULL || g->pkts == NULL)
		return fail("no memory for %u frames: give the EAL more (-m)", g->flows);
	for (f = 0; f < g->flows; f++) {
		gen_frame(frame, g->size, f);
		g->pkts[f] = gen_mbuf(mp, frame, g->size);
		if (g->pkts[f] == NULL)
			return fail("no mbuf for frame %u", f);
	}
	g->n_pkts = g->flows;
	return 0;
}

static int
gen_port_start(struct gen *g, int socket)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	struct rte_mempool *rx;
	uint64_t until;
	int ret;

	if (!rte_eth_dev_is_valid_port(g->port))
		return fail("--port %u: no such port (EAL options: --vdev ...)", g->port);
	memset(&conf, 0, sizeof(conf));
	/* an RX queue too: some PMDs (memif's client) need one; never read */
	rx = rte_pktmbuf_pool_create("gen_rx", GEN_RX_POOL, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     socket);
	if (rx == NULL)
		return fail("no memory for the RX pool: %s", rte_strerror(rte_errno));
	if ((ret = rte_eth_dev_configure(g->port, 1, 1, &conf)) != 0 ||
	    (ret = rte_eth_rx_queue_setup(g->port, 0, 512, socket, NULL, rx)) != 0 ||
	    (ret = rte_eth_tx_queue_setup(g->port, 0, 1024, socket, NULL)) != 0 ||
	    (ret = rte_eth_dev_start(g->port)) != 0)
		return fail("--port %u: setting it up failed: %s", g->port, rte_strerror(-ret));
	until = rte_get_tsc_cycles() + (uint64_t)(g->wait_link * rte_get_tsc_hz());
	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(g->port, &link) == 0 && link.link_status)
			return 0;
		if (rte_get_tsc_cycles() > until || gen_stop)
			return fail("--port %u: the link did not come up in %g s (--wait-link; "
				    "for net_memif: is the server there?)", g->port, g->wait_link);
		rte_delay_ms(10);
	}
}

/* Makes every segment of m good for one more free by the PMD. */
static inline void
gen_pin(struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (rte_mbuf_refcnt_read(m) < GEN_REF_LOW)
			rte_mbuf_refcnt_set(m, GEN_REF_HIGH);
}

static void
gen_send(struct gen *g)
{
	struct rte_mbuf *bufs[GEN_MAX_BURST];
	uint64_t hz = rte_get_tsc_hz(), t0, now, end, due;
	uint64_t offered = 0, sent = 0, full = 0, skipped = 0, lag_max = 0, pos, lag, lag_cap;
	unsigned int k = 0, i, n;
	uint16_t tx;
	double secs;

	/* lag_cap: the packets of --max-lag-us at the rate, at least a burst */
	lag_cap = (uint64_t)(g->rate * g->max_lag_us / 1e6);
	lag_cap = RTE_MAX(lag_cap, (uint64_t)g->burst);
	t0 = now = rte_rdtsc();
	end = t0 + (uint64_t)(g->seconds * hz);
	pos = 0;		/* schedule position: offered + skipped */
	while (!gen_stop && (now = rte_rdtsc()) < end) {
		if (g->rate > 0) {
			due = (uint64_t)((unsigned __int128)(now - t0) * (uint64_t)g->rate / hz);
			if (due <= pos) {
				rte_pause();
				continue;
			}
			lag = due - pos;
			lag_max = RTE_MAX(lag_max, lag);
			if (lag > lag_cap) {
				skipped += lag - lag_cap;
				pos += lag - lag_cap;
				lag = lag_cap;
			}
			n = (unsigned int)RTE_MIN(lag, (uint64_t)g->burst);
		} else {
			n = g->burst;
		}
		for (i = 0; i < n; i++) {
			bufs[i] = g->pkts[k];
			gen_pin(bufs[i]);
			if (++k == g->n_pkts)
				k = 0;
		}
		tx = rte_eth_tx_burst(g->port, 0, bufs, (uint16_t)n);
		/* not taken: lost, as a NIC's full RX ring loses them; the next
		 * packets are the next frames (k is not rewound) */
		sent += tx;
		full += n - tx;
		offered += n;
		pos += n;
	}
	secs = (double)(now - t0) / hz;
	printf("streamprobe: sp-pktgen: offered=%" PRIu64 " sent=%" PRIu64 " ring_full=%"
	       PRIu64 " skipped=%" PRIu64 " seconds=%.6f offered_pps=%.0f sent_pps=%.0f "
	       "lag_max_us=%.1f\n", offered, sent, full, skipped, secs,
	       secs > 0 ? offered / secs : 0.0, secs > 0 ? sent / secs : 0.0,
	       g->rate > 0 ? lag_max * 1e6 / g->rate : 0.0);
	fflush(stdout);
}

/* The options after the EAL's: 0, or the exit status (-1: --help, 0). */
static int
gen_parse(int argc, char **argv, struct gen *g)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "flows", required_argument, NULL, 'f' },
		{ "pcap", required_argument, NULL, 'c' },
		{ "burst", required_argument, NULL, 'b' },
		{ "max-lag-us", required_argument, NULL, 'l' },
		{ "linger-ms", required_argument, NULL, 'g' },
		{ "wait-link", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_num(optarg, 0, RTE_MAX_ETHPORTS - 1, &v) != 0 || v != floor(v))
				return fail("--port: a port id, not '%s'", optarg);
			g->port = (uint16_t)v;
			break;
		case 'r':
			if (parse_num(optarg, 0, 1e9, &g->rate) != 0)
				return fail("--rate: packets/s, 0..1e9, not '%s'", optarg);
			g->rate = floor(g->rate);
			break;
		case 's':
			if (parse_num(optarg, 0.001, 86400, &g->seconds) != 0)
				return fail("--seconds: 0.001..86400, not '%s'", optarg);
			break;
		case 'z':
			if (parse_num(optarg, 60, 2048, &v) != 0 || v != floor(v))
				return fail("--size: frame bytes, 60..2048, not '%s'", optarg);
			g->size = (unsigned int)v;
			break;
		case 'f':
			if (parse_num(optarg, 1, 65536, &v) != 0 || v != floor(v))
				return fail("--flows: 1..65536, not '%s'", optarg);
			g->flows = (unsigned int)v;
			break;
		case 'c':
			g->pcap = optarg;
			break;
		case 'b':
			if (parse_num(optarg, 1, GEN_MAX_BURST, &v) != 0 || v != floor(v))
				return fail("--burst: 1..%d, not '%s'", GEN_MAX_BURST, optarg);
			g->burst = (unsigned int)v;
			break;
		case 'l':
			if (parse_num(optarg, 1, 1e6, &g->max_lag_us) != 0)
				return fail("--max-lag-us: 1..1000000, not '%s'", optarg);
			break;
		case 'g':
			if (parse_num(optarg, 0, 3.6e6, &g->linger_ms) != 0)
				return fail("--linger-ms: 0..3600000, not '%s'", optarg);
			break;
		case 'w':
			if (parse_num(optarg, 0, 3600, &g->wait_link) != 0)
				return fail("--wait-link: seconds, 0..3600, not '%s'", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s' (EAL options go before --)", argv[optind]);
	if (g->seconds < 0)
		return fail("--seconds is required");
	return 0;
}

int
main(int argc, char **argv)
{
	struct gen g = { .size = 64, .flows = 256, .burst = 32, .max_lag_us = 50,
			 .linger_ms = 500, .wait_link = 10, .seconds = -1 };
	uint64_t until;
	int ret, socket;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return fail("EAL: %s", rte_strerror(rte_errno));
	argc -= ret;
	argv += ret;
	if ((ret = gen_parse(argc, argv, &g)) != 0) {
		rte_eal_cleanup();
		return ret < 0 ? 0 : ret;
	}
	signal(SIGINT, gen_signal);
	signal(SIGTERM, gen_signal);
	socket = (int)rte_socket_id() == SOCKET_ID_ANY ? 0 : (int)rte_socket_id();
	if (gen_make_frames(&g, socket) != 0 || gen_port_start(&g, socket) != 0) {
		free(g.pkts);
		rte_eal_cleanup();
		return 1;
	}
	gen_send(&g);
	/* the peer reads what is still in the ring before the port goes: a
	 * memif disconnect drops the ring with whatever it holds */
	until = rte_get_tsc_cycles() + (uint64_t)(g.linger_ms / 1e3 * rte_get_tsc_hz());
	while (!gen_stop && rte_get_tsc_cycles() < until)
		rte_delay_us_sleep(1000);
	rte_eth_dev_stop(g.port);
	rte_eth_dev_close(g.port);
	free(g.pkts);	/* the frames' mbufs go with the EAL's memory */
	rte_eal_cleanup();
	return 0;
}
