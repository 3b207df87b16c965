/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PORT_H
#define SP_PORT_H

/**
 * @file
 * Live ports: NIC setup driven by a profile from drivers-config/, chosen by
 * the port's driver name (dev_info.driver_name), so NIC quirks are data.
 *
 * A profile is an INI file (rte_cfgfile) with sections [port], [rss] and
 * [offloads]; drivers-config/README.md documents every key. A bad key or
 * value is an error naming the file, the section and the key.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_RSS_KEY_MAX 52

struct sp_port_profile {
	char file[256];			/**< where it was read from */
	uint16_t rx_desc;		/**< RX descriptors per queue */
	uint32_t mbufs_per_queue;	/**< pool sizing */
	uint16_t mbuf_cache;
	bool promiscuous;
	uint16_t mtu;			/**< 0: leave the port's */
	bool rss;			/**< hardware RSS over the worker queues */
	_Alignas(4) uint8_t rss_key[SP_RSS_KEY_MAX]; /**< 4-byte aligned: rte_softrss() reads it in words */
	uint8_t rss_key_len;		/**< 0: the driver's default key */
	uint64_t rss_hf;		/**< RTE_ETH_RSS_* */
	/**
	 * The port does not hash: its RX queues arrive already spread by an
	 * RSS computed upstream (net_pcap with one rx_pcap file per queue
	 * from tools/sp-rss-split), one worker per queue.
	 */
	bool rss_emulated;
	bool rx_timestamp;		/**< request the RX timestamp offload if offered */
	/**
	 * Packet time from the mbuf's RX timestamp (the rte_mbuf_timestamp
	 * dynfield, UNIX time in rx_timestamp_per_ms ticks per ms) instead
	 * of the TSC.
	 */
	bool time_from_rx_timestamp;
	uint32_t rx_timestamp_per_ms;	/**< 1000 (us) or 1000000 (ns) */
};

/** Defaults used for anything a profile leaves out. */
void sp_port_profile_defaults(struct sp_port_profile *p);

/**
 * Read a profile file over p (keys it does not set keep their value).
 * @return 0, or -EINVAL/-ENOENT with "FILE: [section] key: reason" in err.
 */
int sp_port_profile_load(const char *path, struct sp_port_profile *p, char *err, size_t errlen);

/**
 * Defaults, then DIR/default.ini, then DIR/<driver>.ini when it exists.
 * @return 0 or -errno with err set.
 */
int sp_port_profile_for_driver(const char *dir, const char *driver, struct sp_port_profile *p,
			       char *err, size_t errlen);

/**
 * The symmetric Toeplitz key (0x6d5a repeated): with it the RSS hash of a
 * flow is the same in both directions, so both land on one worker.
 */
void sp_port_symmetric_key(uint8_t *key, size_t len);

/**
 * Configure and start a port with n_queues RX queues (one per worker) from
 * the profile; promiscuous mode, MTU and RSS as it says.
 * @return 0 or -errno with err set.
 */
int sp_port_start(uint16_t port_id, uint16_t n_queues, struct rte_mempool *pool,
		  const struct sp_port_profile *p, char *err, size_t errlen);

/**
 * The RETA sp_port_start() programs: entry i sends to queue i % n_queues,
 * and a packet goes to entry hash % reta_size (the hash's low bits for
 * the power-of-two sizes NICs have).
 */
static inline uint16_t
sp_port_reta_queue(uint32_t hash, uint32_t reta_size, uint16_t n_queues)
{
	return (uint16_t)((hash % reta_size) % n_queues);
}

/** The fields a NIC's RSS hashed a frame on (sp_port_rss_hash()). */
enum sp_port_rss_fields {
	SP_PORT_RSS_NONE,	/**< not hashed (not IP, or a type the profile leaves out) */
	SP_PORT_RSS_L3,		/**< the IP addresses */
	SP_PORT_RSS_L4,		/**< the addresses and the TCP/UDP/SCTP ports */
};

/**
 * The RSS hash a NIC set up by the profile computes for an Ethernet frame:
 * the Toeplitz hash (rte_softrss) with the profile's key over the outer
 * IPv4/IPv6 addresses (after up to two VLAN tags) and, for a TCP, UDP or
 * SCTP packet that is not a fragment and whose type the profile's hash
 * list has, the ports; over the addresses alone for a fragment or another
 * protocol when the list has the IP type. IPv6 hop-by-hop, routing and
 * destination options headers are walked; a fragment header makes a
 * fragment. A tuple cut short by the capture is hashed on what is there
 * (the addresses, or nothing).
 *
 * @param hash  set to the hash, 0 when nothing is hashed (the NIC's queue 0)
 * @return the fields hashed
 */
enum sp_port_rss_fields sp_port_rss_hash(const struct sp_port_profile *p, const uint8_t *frame,
					 uint32_t len, uint32_t *hash);

/** Stop and close the port, with promiscuous mode off if sp_port_start() set it. */
void sp_port_stop(uint16_t port_id);

/**
 * The directory of the NIC profiles (drivers-config/): $STREAMPROBE_DRIVERS_CONFIG
 * if set; else, for a binary run from its build tree, the source tree's;
 * else the installed one beside the binary (<bindir>/../share/streamprobe/
 * drivers-config with the default layout).
 *
 * @return buf, holding the path (not checked for existence).
 */
const char *sp_port_profile_dir(char *buf, size_t len);

/** libpcap's ring size on Linux when NFStream's socket_buffer_size is 0. */
#define SP_PORT_RING_DEFAULT (2u << 20)

/**
 * Cut a received packet to snaplen bytes, as libpcap cuts a frame to the
 * snapshot length: the parser and nDPI see the first snaplen bytes, while
 * the caller keeps the length on the wire for the size features (NFStream's
 * raw_size is the header's len, not caplen). Frees the segments past the
 * cut; allocates nothing.
 */
static inline void
sp_port_snap(struct rte_mbuf *m, uint32_t snaplen)
{
	struct rte_mbuf *s = m, *rest;
	uint32_t left = snaplen;
	uint16_t segs = 1;

	if (rte_pktmbuf_pkt_len(m) <= snaplen)
		return;
	while (s->data_len < left) {
		left -= s->data_len;
		s = s->next;
		segs++;
	}
	s->data_len = (uint16_t)left;
	rest = s->next;
	s->next = NULL;
	if (rest != NULL)
		rte_pktmbuf_free(rest);
	m->nb_segs = segs;
	m->pkt_len = snaplen;
}

/**
 * A Linux interface captured through the net_af_packet vdev, and the state
 * it was found in. The PMD's promiscuous mode is an IFF_PROMISC ioctl that
 * outlives the process, so the capture is made promiscuous the way libpcap
 * (hence NFStream) does it instead: a PACKET_MR_PROMISC membership on a
 * socket of our own, which the kernel counts and drops when the socket is
 * closed, even by a crash.
 */
struct sp_port_iface;

/**
 * Check that the interface exists and record its flags.
 * @return the handle, or NULL with rte_errno set and "NAME: reason" in err.
 */
struct sp_port_iface *sp_port_iface_open(const char *name, char *err, size_t errlen);

/** Whether the interface was up when opened. */
bool sp_port_iface_was_up(const struct sp_port_iface *ifc);

/** The interface's MTU when opened. */
uint32_t sp_port_iface_mtu(const struct sp_port_iface *ifc);

/** The largest MTU whose frames the af_packet ring frames hold whole. */
#define SP_PORT_AF_PACKET_MTU_MAX 9216u

/**
 * The af_packet ring frame for an interface MTU. The PMD gives a frame's
 * captured length as its length, so for sizes to be the wire's, the ring
 * frame holds a whole frame (the MTU, the Ethernet header, a VLAN tag, and
 * the 66 bytes TPACKET_V2 puts before it): the PMD's 2048 when that is
 * enough, else whole pages, for an MTU up to SP_PORT_AF_PACKET_MTU_MAX
 * (and frames an mbuf can hold).
 */
uint32_t sp_port_af_packet_frame(uint32_t mtu);

/** The mbuf data room (headroom included) the PMD requires for that frame. */
uint16_t sp_port_af_packet_mbuf_room(uint32_t frame);

/**
 * The net_af_packet devargs: one queue pair, ring frames of `frame` bytes,
 * a ring of about ring_bytes (NFStream's socket_buffer_size, which libpcap
 * makes its ring size; 0: libpcap's SP_PORT_RING_DEFAULT) in whole blocks
 * of pages.
 * @return 0, -EINVAL for a frame that does not tile whole pages (the kernel
 * or the PMD would refuse it), -ENOSPC when buf is too small.
 */
int sp_port_iface_devargs(const char *name, uint32_t frame, uint32_t ring_bytes, char *buf,
			  size_t len);

/**
 * Before sp_port_start(): if p->promiscuous, make the capture promiscuous
 * by the membership (needs CAP_NET_RAW); clear p->promiscuous, so that
 * sp_port_start() leaves the PMD's ioctl alone; and give the port the
 * promiscuous state the interface was found in, so that ethdev's start,
 * which replays it, never changes IFF_PROMISC.
 * @return 0 or -errno.
 */
int sp_port_iface_bind(struct sp_port_iface *ifc, uint16_t port_id, struct sp_port_profile *p);

/**
 * After the vdev is removed: drop the membership and set IFF_UP and
 * IFF_PROMISC back to what they were when opened, if anything changed
 * them. Frees the handle (NULL is a no-op).
 * @return 0 or -errno of the failed ioctl.
 */
int sp_port_iface_close(struct sp_port_iface *ifc);

/* ------------------------------------------------------------------------ */
/* A live port ready to read: what a run captures from.                     */

struct sp_port_live_params {
	/** An interface read through an af_packet vdev, or NULL for port_id. */
	const char *iface;
	int port_id;			/**< without iface: a port the EAL options gave */
	const char *port_config;	/**< a profile read over the driver's, or NULL */
	int promiscuous;		/**< 0/1 over the profile's, -1: the profile's */
	uint32_t ring_bytes;		/**< iface: the af_packet ring (SP_PORT_RING_DEFAULT) */
	unsigned int n_workers;
	/**
	 * Spread packets in software even when the port has RSS (one queue,
	 * read by the management lcore): the workers are then "dispatched".
	 */
	bool dispatch;
	/** Private area of the pool's mbufs when dispatched (SP_MBUF_PRIV_SIZE). */
	uint16_t dispatch_priv_size;
	int socket_id;			/**< of the pool */
};

struct sp_port_live;

/**
 * Find or attach the port, read its profile (drivers-config/ by driver
 * name, then port_config), start one RX queue per worker when it has RSS
 * over that many queues and dispatch is not asked for, else one queue,
 * over a pool sized by the profile.
 *
 * @return the port, or NULL with rte_errno set and the message, "--iface
 *   NAME: ..." style, in err: EINVAL when a profile is bad (a usage error);
 *   otherwise ENODEV (no such port or interface, no profiles), ENOMEM (the
 *   pool), EIO (the port did not start).
 */
struct sp_port_live *sp_port_live_open(const struct sp_port_live_params *p, char *err,
				       size_t errlen);

uint16_t sp_port_live_id(const struct sp_port_live *l);

/** RX queues started: n_workers (each worker polls its own) or 1. */
uint16_t sp_port_live_queues(const struct sp_port_live *l);

/** Whether one queue feeds several workers through the software dispatch. */
bool sp_port_live_dispatched(const struct sp_port_live *l);

/**
 * Where packet time comes from, as the profile said and the started port
 * allows (read once at start-up).
 *
 * @return true when from the mbuf's RX timestamp: *ts_off, *ts_flag and
 *   *per_ms are then the dynfield's offset, its valid flag and its ticks
 *   per ms; false: from the TSC.
 */
bool sp_port_live_rx_timestamp(const struct sp_port_live *l, int *ts_off, uint64_t *ts_flag,
			       uint32_t *per_ms);

/** iface: it was down when opened (packets come once it is up). */
bool sp_port_live_iface_was_down(const struct sp_port_live *l);

/**
 * What the port lost before the workers saw it, since it was attached:
 * `missed`, the port's imissed (no descriptor), plus, for net_af_packet
 * before DPDK 25.03, which reports none, the kernel's drops of its ring
 * (PACKET_STATISTICS tp_drops: the ring was full); `nombuf`, its rx_nombuf.
 * Thread-safe: the telemetry thread reads it too.
 * @return 0 or -errno from rte_eth_stats_get().
 */
int sp_port_live_losses(struct sp_port_live *l, uint64_t *missed, uint64_t *nombuf);

/**
 * net_af_packet (where the ring is read as above): packets the kernel put
 * in the ring that the PMD has not read. Once the queues are no longer
 * polled, the packets the run received but never processed. 0 for other
 * ports: a NIC's filled descriptors cannot be counted.
 */
uint64_t sp_port_live_unread(struct sp_port_live *l);

/**
 * Stop and close the port, detach the vdev, put the interface's flags back
 * as found, free the pool. NULL is a no-op.
 *
 * @return 0, or -errno when the interface's flags could not be restored.
 */
int sp_port_live_close(struct sp_port_live *l);

#ifdef __cplusplus
}
#endif

#endif /* SP_PORT_H */
