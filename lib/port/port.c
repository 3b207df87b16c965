/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include <rte_cfgfile.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "sp_port.h"

/* Ports whose promiscuous mode sp_port_start() turned on. */
static bool port_promisc_set[RTE_MAX_ETHPORTS];

void
sp_port_profile_defaults(struct sp_port_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->rx_desc = 1024;
	p->mbufs_per_queue = 8192;
	p->mbuf_cache = 256;
	p->promiscuous = true;
	p->rss = true;
	p->rss_key_len = 40;
	sp_port_symmetric_key(p->rss_key, p->rss_key_len);
	p->rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
	p->rx_timestamp_per_ms = 1000000;
}

void
sp_port_symmetric_key(uint8_t *key, size_t len)
{
	size_t i;

	/* Period of 16 bits: swapping the 32-bit addresses and the 16-bit
	 * ports of a tuple leaves the Toeplitz hash unchanged. */
	for (i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

static int
profile_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || *s == '-')
		return -EINVAL;
	v = strtoull(s, &end, 0);
	if (*end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
profile_bool(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
	    !strcasecmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "off") ||
		 !strcasecmp(s, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
profile_rss_key(const char *s, struct sp_port_profile *p)
{
	size_t n = strlen(s), i;
	unsigned int b;

	if (!strcasecmp(s, "symmetric")) {
		if (p->rss_key_len == 0)
			p->rss_key_len = 40;
		sp_port_symmetric_key(p->rss_key, p->rss_key_len);
		return 0;
	}
	if (!strcasecmp(s, "default")) {
		p->rss_key_len = 0;
		return 0;
	}
	if (n % 2 != 0 || n / 2 > SP_RSS_KEY_MAX || n == 0)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		p->rss_key[i] = (uint8_t)b;
	}
	p->rss_key_len = (uint8_t)(n / 2);
	return 0;
}

static const struct {
	const char *name;
	uint64_t hf;
} profile_hash_names[] = {
	{ "ip", RTE_ETH_RSS_IP },
	{ "ipv4", RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER },
	{ "ipv6", RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER },
	{ "tcp", RTE_ETH_RSS_TCP },
	{ "udp", RTE_ETH_RSS_UDP },
	{ "sctp", RTE_ETH_RSS_SCTP },
	{ "tunnel", RTE_ETH_RSS_TUNNEL },
};

static int
profile_rss_hash(const char *s, uint64_t *hf)
{
	char buf[256], *tok, *save;
	unsigned int i;

	snprintf(buf, sizeof(buf), "%s", s);
	*hf = 0;
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		for (i = 0; i < RTE_DIM(profile_hash_names); i++)
			if (!strcasecmp(tok, profile_hash_names[i].name))
				break;
		if (i == RTE_DIM(profile_hash_names))
			return -EINVAL;
		*hf |= profile_hash_names[i].hf;
	}
	return *hf != 0 ? 0 : -EINVAL;
}

/* One key: returns 0, -EINVAL (bad value) or -ENOENT (unknown key). */
static int
profile_set(struct sp_port_profile *p, const char *sec, const char *key, const char *val)
{
	uint64_t v = 0;
	int ret;

	if (!strcmp(sec, "port")) {
		if (!strcmp(key, "rx_desc")) {
			ret = profile_uint(val, 32, 32768, &v);
			p->rx_desc = (uint16_t)v;
		} else if (!strcmp(key, "mbufs_per_queue")) {
			ret = profile_uint(val, 1024, 1u << 24, &v);
			p->mbufs_per_queue = (uint32_t)v;
		} else if (!strcmp(key, "mbuf_cache")) {
			ret = profile_uint(val, 0, RTE_MEMPOOL_CACHE_MAX_SIZE, &v);
			p->mbuf_cache = (uint16_t)v;
		} else if (!strcmp(key, "promiscuous")) {
			ret = profile_bool(val, &p->promiscuous);
		} else if (!strcmp(key, "mtu")) {
			ret = profile_uint(val, 0, 16384, &v);
			p->mtu = (uint16_t)v;
		} else {
			return -ENOENT;
		}
		return ret;
	}
	if (!strcmp(sec, "rss")) {
		if (!strcmp(key, "enabled"))
			return profile_bool(val, &p->rss);
		if (!strcmp(key, "key"))
			return profile_rss_key(val, p);
		if (!strcmp(key, "key_len")) {
			ret = profile_uint(val, 40, SP_RSS_KEY_MAX, &v);
			if (ret == 0) {
				p->rss_key_len = (uint8_t)v;
				sp_port_symmetric_key(p->rss_key, p->rss_key_len);
			}
			return ret;
		}
		if (!strcmp(key, "hash"))
			return profile_rss_hash(val, &p->rss_hf);
		if (!strcmp(key, "emulated"))
			return profile_bool(val, &p->rss_emulated);
		return -ENOENT;
	}
	if (!strcmp(sec, "offloads")) {
		if (!strcmp(key, "rx_timestamp"))
			return profile_bool(val, &p->rx_timestamp);
		if (!strcmp(key, "packet_time")) {
			if (strcmp(val, "tsc") && strcmp(val, "rx_timestamp"))
				return -EINVAL;
			p->time_from_rx_timestamp = !strcmp(val, "rx_timestamp");
			return 0;
		}
		if (!strcmp(key, "rx_timestamp_unit")) {
			if (!strcmp(val, "ns"))
				p->rx_timestamp_per_ms = 1000000;
			else if (!strcmp(val, "us"))
				p->rx_timestamp_per_ms = 1000;
			else
				return -EINVAL;
			return 0;
		}
		return -ENOENT;
	}
	return -ENOENT;
}

int
sp_port_profile_load(const char *path, struct sp_port_profile *p, char *err, size_t errlen)
{
	static const char *const sections[] = { "port", "rss", "offloads" };
	struct rte_cfgfile_entry *ent;
	struct rte_cfgfile *cf;
	char *names[16], namebuf[16][CFG_NAME_LEN];
	int ns, ne, i, j, ret = 0;
	unsigned int k;

	cf = rte_cfgfile_load(path, 0);
	if (cf == NULL) {
		snprintf(err, errlen, "%s: %s", path, access(path, R_OK) != 0 ?
			 strerror(errno) : "not a valid INI file");
		return access(path, R_OK) != 0 ? -ENOENT : -EINVAL;
	}
	for (i = 0; i < 16; i++)
		names[i] = namebuf[i];
	ns = rte_cfgfile_sections(cf, names, 16);
	for (i = 0; i < ns && ret == 0; i++) {
		for (k = 0; k < RTE_DIM(sections); k++)
			if (!strcmp(names[i], sections[k]))
				break;
		if (k == RTE_DIM(sections)) {
			snprintf(err, errlen, "%s: [%s]: unknown section (port, rss, offloads)",
				 path, names[i]);
			ret = -EINVAL;
			break;
		}
		ne = rte_cfgfile_section_num_entries(cf, names[i]);
		ent = calloc(ne > 0 ? ne : 1, sizeof(*ent));
		if (ent == NULL) {
			ret = -ENOMEM;
			break;
		}
		ne = rte_cfgfile_section_entries(cf, names[i], ent, ne);
		for (j = 0; j < ne; j++) {
			ret = profile_set(p, names[i], ent[j].name, ent[j].value);
			if (ret == -ENOENT) {
				snprintf(err, errlen, "%s: [%s] %s: unknown key", path, names[i],
					 ent[j].name);
				ret = -EINVAL;
				break;
			}
			if (ret != 0) {
				snprintf(err, errlen, "%s: [%s] %s: bad value '%s'", path, names[i],
					 ent[j].name, ent[j].value);
				break;
			}
		}
		free(ent);
	}
	rte_cfgfile_close(cf);
	if (ret == 0)
		snprintf(p->file, sizeof(p->file), "%s", path);
	return ret;
}

int
sp_port_profile_for_driver(const char *dir, const char *driver, struct sp_port_profile *p,
			   char *err, size_t errlen)
{
	char path[512];
	int ret;

	sp_port_profile_defaults(p);
	snprintf(path, sizeof(path), "%s/default.ini", dir);
	if (access(path, R_OK) == 0) {
		ret = sp_port_profile_load(path, p, err, errlen);
		if (ret != 0)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/%s.ini", dir, driver);
	if (access(path, R_OK) == 0)
		return sp_port_profile_load(path, p, err, errlen);
	return 0;
}

/* The redirection table as sp_port_reta_queue() says, so that where a
 * flow lands is known (tools/sp-rss-split emulates it) rather than each
 * driver's default, which is the same round robin for the drivers with a
 * profile here but is nowhere promised. */
static int
port_reta_set(uint16_t port_id, uint16_t reta_size, uint16_t n_queues)
{
	struct rte_eth_rss_reta_entry64 *reta;
	unsigned int i, groups;
	int ret;

	if (reta_size == 0)
		return 0;
	groups = (reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	reta = calloc(groups, sizeof(*reta));
	if (reta == NULL)
		return -ENOMEM;
	for (i = 0; i < reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= RTE_BIT64(i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			sp_port_reta_queue(i, reta_size, n_queues);
	}
	ret = rte_eth_dev_rss_reta_update(port_id, reta, reta_size);
	free(reta);
	/* a driver that cannot change it keeps its own (round robin) */
	return ret == -ENOTSUP ? 0 : ret;
}

int
sp_port_start(uint16_t port_id, uint16_t n_queues, struct rte_mempool *pool,
	      const struct sp_port_profile *p, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t q, nb_rxd, nb_txd;
	int ret, sock;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret != 0) {
		snprintf(err, errlen, "port %u: no device info (%s)", port_id, strerror(-ret));
		return ret;
	}
	if (n_queues > info.max_rx_queues) {
		snprintf(err, errlen, "port %u (%s): %u workers but the port has at most %u RX "
			 "queues", port_id, info.driver_name, n_queues, info.max_rx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	if (p->rss && n_queues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = p->rss_hf & info.flow_type_rss_offloads;
		if (p->rss_key_len > 0) {
			conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)p->rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = p->rss_key_len;
		}
	}
	if ((p->rx_timestamp || p->time_from_rx_timestamp) &&
	    (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	ret = rte_eth_dev_configure(port_id, n_queues, 1, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): configure failed (%s; profile %s)", port_id,
			 info.driver_name, strerror(-ret), p->file[0] ? p->file : "defaults");
		return ret;
	}
	nb_rxd = p->rx_desc;
	nb_txd = 512;
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	sock = rte_eth_dev_socket_id(port_id);
	if (sock < 0)
		sock = SOCKET_ID_ANY;
	for (q = 0; q < n_queues && ret == 0; q++)
		ret = rte_eth_rx_queue_setup(port_id, q, nb_rxd, sock, NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port_id, 0, nb_txd, sock, NULL);
	if (ret == 0 && p->mtu != 0)
		ret = rte_eth_dev_set_mtu(port_id, p->mtu);
	if (ret == 0)
		ret = rte_eth_dev_start(port_id);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s): cannot start (%s)", port_id, info.driver_name,
			 strerror(-ret));
		return ret;
	}
	if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		ret = port_reta_set(port_id, info.reta_size, n_queues);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): cannot set the RSS redirection table "
				 "(%s)", port_id, info.driver_name, strerror(-ret));
			rte_eth_dev_stop(port_id);
			return ret;
		}
	}
	/* set by us, so cleared by sp_port_stop(): a kernel-backed port
	 * (af_packet, tap) keeps the flag past the process otherwise */
	if (p->promiscuous && rte_eth_promiscuous_get(port_id) == 0)
		port_promisc_set[port_id] = rte_eth_promiscuous_enable(port_id) == 0;
	return 0;
}

void
sp_port_stop(uint16_t port_id)
{
	if (port_id < RTE_MAX_ETHPORTS && port_promisc_set[port_id]) {
		rte_eth_promiscuous_disable(port_id);
		port_promisc_set[port_id] = false;
	}
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}

/* The PMD's default ring frame: 2 KiB, two per 4 KiB block. */
#define SP_AF_PACKET_FRAME 2048u
/* TPACKET_V2 puts the Ethernet header at TPACKET_ALIGN(52 + 16) - 14 = 66
 * bytes into the ring frame; the PMD copies from 32 bytes in, so it wants
 * mbufs with room for frame - 32 bytes. */
#define SP_AF_PACKET_MACOFF 66u
#define SP_AF_PACKET_COPYOFF 32u

struct sp_port_iface {
	char name[IF_NAMESIZE];
	int index;
	int fd;			/* for the ioctls */
	int member_fd;		/* AF_PACKET, protocol 0: holds the membership */
	short flags;		/* SIOCGIFFLAGS when opened */
	uint32_t mtu;
};

/* The flags we may restore: the ones the af_packet PMD or a capture can
 * change. */
#define SP_IFACE_RESTORE (IFF_UP | IFF_PROMISC)

static int
iface_flags(int fd, const char *name, short *flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		return -errno;
	*flags = ifr.ifr_flags;
	return 0;
}

static int
iface_mtu(int fd, const char *name, uint32_t *mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) != 0)
		return -errno;
	*mtu = ifr.ifr_mtu > 0 ? (uint32_t)ifr.ifr_mtu : 0;
	return 0;
}

struct sp_port_iface *
sp_port_iface_open(const char *name, char *err, size_t errlen)
{
	struct sp_port_iface *ifc;
	unsigned int idx;
	int ret;

	/* glibc says ENODEV for a name too long as for an unknown one */
	idx = if_nametoindex(name);
	if (idx == 0) {
		ret = errno;
		snprintf(err, errlen, "%s: %s", name,
			 ret == ENODEV ? "no such device" : strerror(ret));
		rte_errno = ret;
		return NULL;
	}
	ifc = calloc(1, sizeof(*ifc));
	if (ifc == NULL) {
		snprintf(err, errlen, "%s: %s", name, strerror(ENOMEM));
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->index = (int)idx;
	ifc->member_fd = -1;
	ifc->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = ifc->fd < 0 ? errno : -iface_flags(ifc->fd, ifc->name, &ifc->flags);
	if (ret == 0)
		ret = -iface_mtu(ifc->fd, ifc->name, &ifc->mtu);
	if (ret != 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(ret));
		if (ifc->fd >= 0)
			close(ifc->fd);
		free(ifc);
		rte_errno = ret;
		return NULL;
	}
	return ifc;
}

bool
sp_port_iface_was_up(const struct sp_port_iface *ifc)
{
	return (ifc->flags & IFF_UP) != 0;
}

uint32_t
sp_port_iface_mtu(const struct sp_port_iface *ifc)
{
	return ifc->mtu;
}

uint32_t
sp_port_af_packet_frame(uint32_t mtu)
{
	/* the MTU, the Ethernet header and a VLAN tag the kernel left in */
	uint32_t need = RTE_MIN(mtu, SP_PORT_AF_PACKET_MTU_MAX) + RTE_ETHER_HDR_LEN +
		RTE_VLAN_HLEN + SP_AF_PACKET_MACOFF;
	uint32_t page = (uint32_t)getpagesize(), frame;

	/* The PMD finds frame i at i * frame bytes into the ring, so frames
	 * must tile the blocks without a gap: the PMD's 2 KiB, or whole pages
	 * (one frame per block). */
	if (need <= SP_AF_PACKET_FRAME && page % SP_AF_PACKET_FRAME == 0)
		return SP_AF_PACKET_FRAME;
	frame = RTE_ALIGN_CEIL(need, page);
	/* an mbuf holds at most 64 KiB: with 64 KiB pages, the PMD's frames */
	if (frame - SP_AF_PACKET_COPYOFF + RTE_PKTMBUF_HEADROOM > UINT16_MAX)
		return SP_AF_PACKET_FRAME;
	return frame;
}

uint16_t
sp_port_af_packet_mbuf_room(uint32_t frame)
{
	uint32_t room = frame - SP_AF_PACKET_COPYOFF + RTE_PKTMBUF_HEADROOM;

	return (uint16_t)RTE_MIN(RTE_MAX(room, (uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE),
				 (uint32_t)UINT16_MAX);
}

int
sp_port_iface_devargs(const char *name, uint32_t frame, uint32_t ring_bytes, char *buf,
		      size_t len)
{
	unsigned int page = (unsigned int)getpagesize(), block, per_block, frames;
	int n;

	/* Blocks are whole pages and hold whole frames; and the PMD finds
	 * frame i at i * frame bytes, so they hold them without a gap. */
	if (frame < SP_AF_PACKET_FRAME || frame % 16 != 0)
		return -EINVAL;
	block = RTE_ALIGN_CEIL(frame, page);
	if (block % frame != 0)
		return -EINVAL;
	per_block = block / frame;
	if (ring_bytes == 0)
		ring_bytes = SP_PORT_RING_DEFAULT;
	/* as libpcap sizes its ring from the buffer size: whole blocks, at
	 * least one (the kernel wants frames = blocks * frames per block) */
	frames = ring_bytes / block * per_block;
	if (frames == 0)
		frames = per_block;
	n = snprintf(buf, len, "iface=%s,qpairs=1,blocksz=%u,framesz=%u,framecnt=%u", name,
		     block, frame, frames);
	return n >= 0 && (size_t)n < len ? 0 : -ENOSPC;
}

int
sp_port_iface_bind(struct sp_port_iface *ifc, uint16_t port_id, struct sp_port_profile *p)
{
	struct packet_mreq mr;
	int ret;

	if (p->promiscuous && ifc->member_fd < 0) {
		/* Protocol 0: bound to nothing, it never queues a packet */
		ifc->member_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (ifc->member_fd < 0)
			return -errno;
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = ifc->index;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(ifc->member_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) != 0)
			return -errno;
	}
	p->promiscuous = false;
	/* Only the port's flag changes: the PMD's ioctl sets IFF_PROMISC
	 * when it is set, clears it when it is clear. A port without the
	 * operation cannot change the interface either. */
	ret = (ifc->flags & IFF_PROMISC) ? rte_eth_promiscuous_enable(port_id) :
		rte_eth_promiscuous_disable(port_id);
	return ret == -ENOTSUP ? 0 : ret;
}

int
sp_port_iface_close(struct sp_port_iface *ifc)
{
	struct ifreq ifr;
	short now = 0;
	int ret;

	if (ifc == NULL)
		return 0;
	/* SIOCGIFFLAGS reports IFF_PROMISC as set by ioctl (dev_get_flags()
	 * takes it from gflags), not the membership's count: what was found
	 * is compared with what an ioctl may have changed. The membership
	 * ends with the socket. */
	ret = iface_flags(ifc->fd, ifc->name, &now);
	if (ret == 0 && ((now ^ ifc->flags) & SP_IFACE_RESTORE) != 0) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
		ifr.ifr_flags = (short)((now & ~SP_IFACE_RESTORE) | (ifc->flags & SP_IFACE_RESTORE));
		if (ioctl(ifc->fd, SIOCSIFFLAGS, &ifr) != 0)
			ret = -errno;
	}
	if (ifc->member_fd >= 0)
		close(ifc->member_fd);
	close(ifc->fd);
	free(ifc);
	return ret;
}
