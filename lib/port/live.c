/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A live port ready to read (sp_port_live_open()): the port found or
 * attached, its profile read, its RX queues started over a pool sized by
 * the profile; and closed again leaving the interface as found.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_spinlock.h>
#include <rte_version.h>

#include "sp_port.h"

/* The af_packet vdev an --iface is read through. */
#define LIVE_VDEV "net_af_packet_sp"
/* af_packet ring sockets read for their counters: one per queue pair */
#define LIVE_KFD_MAX 16

struct sp_port_live {
	uint16_t port_id;
	uint16_t n_queues;
	bool started;
	bool vdev_attached;
	bool iface_was_down;
	bool dispatched;		/* one queue for several workers, or asked */
	struct sp_port_iface *iface;	/* --iface: its flags, restored at close */
	struct rte_mempool *pool;
	/* packet time from the RX timestamp dynfield (profile packet_time) */
	bool rx_ts;
	int ts_off;
	uint64_t ts_flag;
	uint32_t ts_per_ms;
	/* net_af_packet's ring sockets, whose kernel counters the port reads
	 * (live_kernel_find()), and their sums: a read resets them */
	int kfd[LIVE_KFD_MAX];
	unsigned int n_kfd;
	rte_spinlock_t k_lock;	/* main lcore and telemetry thread read them */
	uint64_t k_drops;	/* tp_drops: the ring was full */
	uint64_t k_packets;	/* tp_packets: put in the ring, or dropped */
};

/* Find the port: attach an af_packet vdev to the interface, or check the
 * port the EAL options gave. Returns 0 or -1 with err set. */
static int
live_find_port(struct sp_port_live *l, const struct sp_port_live_params *p, uint16_t *room,
	       char *err, size_t errlen)
{
	char ierr[256], args[192];
	uint32_t frame;
	uint16_t pid;
	int ret;

	if (p->iface == NULL) {
		if (p->port_id < 0 || !rte_eth_dev_is_valid_port((uint16_t)p->port_id)) {
			snprintf(err, errlen, "--port %d: no such port (%u available; give the "
				 "device with EAL options)", p->port_id, rte_eth_dev_count_avail());
			return -1;
		}
		l->port_id = (uint16_t)p->port_id;
		return 0;
	}
	l->iface = sp_port_iface_open(p->iface, ierr, sizeof(ierr));
	if (l->iface == NULL) {
		snprintf(err, errlen, "--iface %s", ierr);
		return -1;
	}
	l->iface_was_down = !sp_port_iface_was_up(l->iface);
	/* one socket: af_packet's kernel fanout hashes outer headers only,
	 * so the workers are fed by the software dispatch instead */
	frame = sp_port_af_packet_frame(sp_port_iface_mtu(l->iface));
	*room = sp_port_af_packet_mbuf_room(frame);
	ret = sp_port_iface_devargs(p->iface, frame, p->ring_bytes, args, sizeof(args));
	if (ret == 0)
		ret = rte_eal_hotplug_add("vdev", LIVE_VDEV, args);
	if (ret < 0) {
		snprintf(err, errlen, "--iface %s: cannot open it (%s)", p->iface,
			 rte_strerror(-ret));
		return -1;
	}
	l->vdev_attached = true;
	if (rte_eth_dev_get_port_by_name(LIVE_VDEV, &pid) != 0) {
		snprintf(err, errlen, "--iface %s: no port", p->iface);
		return -1;
	}
	l->port_id = pid;
	return 0;
}

/* Add the kernel's counters of the ring sockets since their last read (a
 * read resets them) to the port's sums. Under k_lock. */
static void
live_kernel_read(struct sp_port_live *l)
{
	struct tpacket_stats ks;
	socklen_t len;
	unsigned int i;

	for (i = 0; i < l->n_kfd; i++) {
		len = sizeof(ks);
		if (getsockopt(l->kfd[i], SOL_PACKET, PACKET_STATISTICS, &ks, &len) != 0)
			continue;
		/* TPACKET_V2: tp_packets already includes tp_drops */
		l->k_drops += ks.tp_drops;
		l->k_packets += ks.tp_packets;
	}
}

/*
 * net_af_packet before DPDK 25.03 reports no imissed: a packet that comes
 * while its ring is full is counted by the kernel alone, in the socket's
 * PACKET_STATISTICS (tp_drops), which that PMD never reads. So the port
 * finds the PMD's ring sockets among the process's descriptors (AF_PACKET,
 * TPACKET_V2, bound to the interface; the promiscuity membership socket is
 * neither bound nor V2) and reads them itself. Later PMDs read them in
 * rte_eth_stats_get() as imissed, and a read resets them: left alone there.
 */
static void
live_kernel_find(struct sp_port_live *l, const struct rte_eth_dev_info *info)
{
#if RTE_VERSION < RTE_VERSION_NUM(25, 3, 0, 0)
	struct sockaddr_ll sll;
	struct dirent *de;
	struct stat st;
	socklen_t len;
	int fd, v;
	DIR *d;

	if (info->driver_name == NULL || strcmp(info->driver_name, "net_af_packet") != 0 ||
	    info->if_index == 0)
		return;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && l->n_kfd < LIVE_KFD_MAX) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) != 0 || v != AF_PACKET)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &len) != 0 || v != TPACKET_V2)
			continue;
		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) != 0 ||
		    sll.sll_ifindex != (int)info->if_index)
			continue;
		l->kfd[l->n_kfd++] = fd;
	}
	closedir(d);
#else
	(void)l;
	(void)info;
#endif
}

/* The port's profile: by its driver from the installed profiles, then the
 * user's file. Returns 0, -1 (no profiles) or -EINVAL (a bad profile). */
static int
live_profile(const struct sp_port_live *l, const struct sp_port_live_params *p,
	     struct rte_eth_dev_info *info, struct sp_port_profile *prof, char *err,
	     size_t errlen)
{
	char dir[PATH_MAX];
	int ret;

	sp_port_profile_dir(dir, sizeof(dir));
	if (access(dir, R_OK | X_OK) != 0) {
		snprintf(err, errlen, "NIC profiles: %s: %s (they are installed with the binary; "
			 "STREAMPROBE_DRIVERS_CONFIG names another directory)", dir,
			 strerror(errno));
		return -1;
	}
	ret = rte_eth_dev_info_get(l->port_id, info);
	if (ret == 0)
		ret = sp_port_profile_for_driver(dir, info->driver_name, prof, err, errlen);
	if (ret == 0 && p->port_config != NULL) {
		char why[512];

		/* the user's file: the message names the option too */
		ret = sp_port_profile_load(p->port_config, prof, why, sizeof(why));
		if (ret != 0)
			snprintf(err, errlen, "--config %s", why);
	}
	return ret != 0 ? -EINVAL : 0;
}

struct sp_port_live *
sp_port_live_open(const struct sp_port_live_params *p, char *err, size_t errlen)
{
	struct sp_port_profile prof;
	struct rte_eth_dev_info info;
	struct sp_port_live *l;
	uint16_t room = RTE_MBUF_DEFAULT_BUF_SIZE;
	int ret, code = ENODEV;

	if (p == NULL || p->n_workers == 0) {
		snprintf(err, errlen, "live port: bad parameters");
		rte_errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "live port: %s", strerror(ENOMEM));
		rte_errno = ENOMEM;
		return NULL;
	}
	rte_spinlock_init(&l->k_lock);
	if (live_find_port(l, p, &room, err, errlen) != 0)
		goto fail;
	memset(&info, 0, sizeof(info));
	ret = live_profile(l, p, &info, &prof, err, errlen);
	if (ret != 0) {
		code = ret == -EINVAL ? EINVAL : ENODEV;
		goto fail;
	}
	if (p->promiscuous >= 0)
		prof.promiscuous = p->promiscuous;
	if (l->iface != NULL) {
		ret = sp_port_iface_bind(l->iface, l->port_id, &prof);
		if (ret != 0) {
			snprintf(err, errlen, "--iface %s: cannot set promiscuous mode (%s)",
				 p->iface, strerror(-ret));
			goto fail;
		}
	}
	/* Several workers need RSS over as many queues; otherwise (af_packet,
	 * pcap, ring, a one-queue NIC) one queue is read by the management
	 * lcore and spread in software by the flow key, inner headers
	 * included, which hardware RSS and kernel fanout do not look at. */
	l->n_queues = (uint16_t)p->n_workers;
	if (prof.rss && prof.rss_emulated &&
	    (info.max_rx_queues != p->n_workers || (p->dispatch && p->n_workers > 1))) {
		/* each queue is an input of its own: one left unread is lost */
		snprintf(err, errlen, "port %u (%s): its %u RX queues arrive already spread ([rss] "
			 "emulated = 1 in %s): give --workers %u, one per queue, without "
			 "--dispatch", l->port_id,
			 info.driver_name, info.max_rx_queues, prof.file[0] ? prof.file :
			 "the profile", info.max_rx_queues);
		code = EINVAL;
		goto fail;
	}
	if ((p->n_workers > 1 && (!prof.rss || info.max_rx_queues < p->n_workers)) ||
	    p->dispatch)
		l->n_queues = 1;
	l->dispatched = p->dispatch || (p->n_workers > 1 && l->n_queues == 1);
	l->pool = rte_pktmbuf_pool_create("sp_mbufs", prof.mbufs_per_queue * p->n_workers,
					  prof.mbuf_cache,
					  l->dispatched ? p->dispatch_priv_size : 0,
					  room, p->socket_id);
	if (l->pool == NULL) {
		snprintf(err, errlen, "mbuf pool: %s", rte_strerror(rte_errno));
		code = ENOMEM;
		goto fail;
	}
	ret = sp_port_start(l->port_id, l->n_queues, l->pool, &prof, err, errlen);
	if (ret != 0) {
		code = EIO;
		goto fail;
	}
	l->started = true;
	if (prof.time_from_rx_timestamp) {
		/* Registered by the PMD when it stamps: at probe (net_pcap,
		 * always) or at queue setup with the offload on (NICs). */
		int flag = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);

		l->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
		if (l->ts_off < 0 || flag < 0) {
			snprintf(err, errlen, "port %u (%s): [offloads] packet_time = rx_timestamp "
				 "in %s, but the port gives no RX timestamps", l->port_id,
				 info.driver_name, prof.file[0] ? prof.file : "the profile");
			code = EINVAL;
			goto fail;
		}
		l->rx_ts = true;
		l->ts_flag = RTE_BIT64(flag);
		l->ts_per_ms = prof.rx_timestamp_per_ms;
	}
	live_kernel_find(l, &info);
	return l;
fail:
	sp_port_live_close(l);
	rte_errno = code;
	return NULL;
}

bool
sp_port_live_dispatched(const struct sp_port_live *l)
{
	return l->dispatched;
}

bool
sp_port_live_rx_timestamp(const struct sp_port_live *l, int *ts_off, uint64_t *ts_flag,
			  uint32_t *per_ms)
{
	if (!l->rx_ts)
		return false;
	*ts_off = l->ts_off;
	*ts_flag = l->ts_flag;
	*per_ms = l->ts_per_ms;
	return true;
}

uint16_t
sp_port_live_id(const struct sp_port_live *l)
{
	return l->port_id;
}

uint16_t
sp_port_live_queues(const struct sp_port_live *l)
{
	return l->n_queues;
}

int
sp_port_live_losses(struct sp_port_live *l, uint64_t *missed, uint64_t *nombuf)
{
	struct rte_eth_stats es;
	int ret;

	ret = rte_eth_stats_get(l->port_id, &es);
	if (ret != 0)
		return ret;
	rte_spinlock_lock(&l->k_lock);
	live_kernel_read(l);
	*missed = es.imissed + l->k_drops;
	rte_spinlock_unlock(&l->k_lock);
	*nombuf = es.rx_nombuf;
	return 0;
}

uint64_t
sp_port_live_unread(struct sp_port_live *l)
{
	struct rte_eth_stats es;
	uint64_t ringed;

	/* the PMD's count first: the kernel's can only have grown since */
	if (l->n_kfd == 0 || rte_eth_stats_get(l->port_id, &es) != 0)
		return 0;
	rte_spinlock_lock(&l->k_lock);
	live_kernel_read(l);
	ringed = l->k_packets - l->k_drops;
	rte_spinlock_unlock(&l->k_lock);
	return ringed > es.ipackets ? ringed - es.ipackets : 0;
}

bool
sp_port_live_iface_was_down(const struct sp_port_live *l)
{
	return l->iface_was_down;
}

int
sp_port_live_close(struct sp_port_live *l)
{
	int ret;

	if (l == NULL)
		return 0;
	l->n_kfd = 0;	/* the PMD closes them */
	if (l->started)
		sp_port_stop(l->port_id);
	if (l->vdev_attached)
		rte_eal_hotplug_remove("vdev", LIVE_VDEV);
	/* after the PMD let go of it: its flags as found */
	ret = sp_port_iface_close(l->iface);
	rte_mempool_free(l->pool);
	free(l);
	return ret;
}
