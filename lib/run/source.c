/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sources (sp_source.h): an ops table per kind of input, in the manner of
 * testpmd's forwarding engines, so that the run's loops read packets the
 * same way whatever they come from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <sp_common.h>
#include <sp_parse.h>
#include <sp_port.h>

#include "sp_source.h"

struct source_ops {
	int (*rx)(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts,
		  struct sp_rx_info *info);
	double (*progress)(const struct sp_source *s, uint64_t *bytes_read);
	void (*get_stats)(const struct sp_source *s, struct sp_capture_stats *st);
};

struct sp_source {
	const struct source_ops *ops;
	bool live;
	/* files */
	struct sp_capture *cap;
	/* live */
	uint16_t port_id;
	uint32_t snaplen;
	uint64_t base_ms;	/* realtime at base_tsc */
	uint64_t base_tsc;
	uint64_t tsc_per_ms;
};

/* --- files ---------------------------------------------------------------- */

static int
files_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	(void)queue;
	return sp_capture_rx(s->cap, pkts, info, SP_BURST);
}

static double
files_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	if (bytes_read != NULL)
		*bytes_read = sp_capture_bytes_read(s->cap);
	return sp_capture_progress(s->cap);
}

static void
files_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	sp_capture_get_stats(s->cap, st);
}

static const struct source_ops files_ops = {
	.rx = files_rx,
	.progress = files_progress,
	.get_stats = files_get_stats,
};

/* --- live ----------------------------------------------------------------- */

uint64_t
sp_source_now_ms(const struct sp_source *s, uint64_t tsc)
{
	if (!s->live)
		return 0;
	return s->base_ms + (tsc - s->base_tsc) / s->tsc_per_ms;
}

/* One burst from a live queue, stamped on arrival: one clock read per
 * burst, not per packet (a burst is microseconds, a timestamp ms). */
static int
live_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts, struct sp_rx_info *info)
{
	uint16_t n, i;
	uint64_t now;

	n = rte_eth_rx_burst(s->port_id, queue, pkts, SP_BURST);
	if (n == 0)
		return 0;
	now = sp_source_now_ms(s, rte_rdtsc());
	for (i = 0; i < n; i++) {
		info[i].ts_ms = now;
		info[i].wire_len = rte_pktmbuf_pkt_len(pkts[i]);
		info[i].dlt = SP_DLT_EN10MB;
		if (unlikely(info[i].wire_len > s->snaplen))
			sp_port_snap(pkts[i], s->snaplen);
	}
	return n;
}

static double
live_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	(void)s;
	if (bytes_read != NULL)
		*bytes_read = 0;
	return -1.0;
}

static void
live_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	/* Losses before the workers saw the packets: the NIC had no
	 * descriptor (imissed) or no mbuf (rx_nombuf). */
	if (rte_eth_stats_get(s->port_id, &es) == 0)
		st->lost = es.imissed + es.rx_nombuf;
}

static const struct source_ops live_ops = {
	.rx = live_rx,
	.progress = live_progress,
	.get_stats = live_get_stats,
};

/* --- the interface -------------------------------------------------------- */

struct sp_source *
sp_source_files_create(struct sp_capture *cap)
{
	struct sp_source *s;

	if (cap == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s->ops = &files_ops;
	s->cap = cap;
	return s;
}

struct sp_source *
sp_source_live_create(uint16_t port_id, uint32_t snaplen)
{
	struct sp_source *s;
	struct timespec ts;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s->ops = &live_ops;
	s->live = true;
	s->port_id = port_id;
	s->snaplen = snaplen;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->base_tsc = rte_rdtsc();
	s->base_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	s->tsc_per_ms = rte_get_tsc_hz() / 1000;
	return s;
}

void
sp_source_free(struct sp_source *s)
{
	free(s);
}

int
sp_source_rx(struct sp_source *s, uint16_t queue, struct rte_mbuf **pkts,
	     struct sp_rx_info *info)
{
	return s->ops->rx(s, queue, pkts, info);
}

bool
sp_source_is_live(const struct sp_source *s)
{
	return s->live;
}

double
sp_source_progress(const struct sp_source *s, uint64_t *bytes_read)
{
	return s->ops->progress(s, bytes_read);
}

void
sp_source_get_stats(const struct sp_source *s, struct sp_capture_stats *st)
{
	s->ops->get_stats(s, st);
}
