/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX over UDP (RFC 7011 §10.3): the transport behind "udp://HOST:PORT".
 *
 * Messages are built in place in a batch of MTU-sized slots and leave by one
 * sendmmsg(2) a batch. Sends never block: a message the socket refuses is
 * dropped and counted, an ICMP error an earlier datagram met is counted as
 * refused. Templates go again every template_refresh_ms (RFC 7011 §8.4) or
 * every template_refresh_msgs messages. With a rate (--ipfix-rate) the
 * datagrams are paced: waiting for their turn (files) or, live, held up to
 * one batch and dropped beyond.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sendmmsg(2) */
#endif
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipfix_private.h"

#define UDP_MAX_V4 (65535u - 20 - 8)
#define UDP_MAX_V6 (65535u - 8)
/*
 * Datagrams per sendmmsg(2): the per-call cost is a large part of a UDP
 * send (4.5 us alone, 2.8 us batched, measured on loopback here).
 */
#define UDP_BATCH SP_IPFIX_UDP_BATCH
#define NS_PER_S SP_IPFIX_NS_PER_S

struct udp_exporter {
	struct sp_ipfix_exporter x;	/* first: the exporter allocates this */
	int fd;
	/* Finished datagrams wait in a batch for one sendmmsg(2). */
	uint8_t *ubuf;			/* UDP_BATCH slots of msg_limit bytes */
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	uint32_t unrec[UDP_BATCH];
	unsigned int nb;
	uint64_t refresh_at_ms;
	uint32_t msgs_since_tmpl;
	uint64_t pace_ns;		/* rate: when the next records may leave */
	uint64_t pace_credit_ns;	/* rate: how far the pace may lag (one batch) */
};

static inline struct udp_exporter *
udp_of(struct sp_ipfix_exporter *x)
{
	return (struct udp_exporter *)x;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * Pacing: may nrec more records leave now? With rate_wait, waits for their
 * turn. The pace may lag the clock by one batch (pace_credit_ns): a late
 * wake-up is made up for, and after an idle spell the collector still gets
 * no more than two batches at once, which its receive buffer has to hold.
 */
static bool
udp_pace(struct udp_exporter *u, uint32_t nrec)
{
	const struct sp_ipfix_params *p = &u->x.p;
	uint64_t now;

	if (p->rate == 0 || nrec == 0)
		return true;
	now = mono_ns();
	if (now < u->pace_ns) {
		struct timespec ts = {
			.tv_sec = (time_t)(u->pace_ns / NS_PER_S),
			.tv_nsec = (long)(u->pace_ns % NS_PER_S),
		};

		if (!p->rate_wait)
			return false;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = u->pace_ns;
	}
	u->pace_ns = RTE_MAX(u->pace_ns, now - RTE_MIN(now, u->pace_credit_ns)) +
		     (uint64_t)nrec * NS_PER_S / p->rate;
	return true;
}

/*
 * ECONNREFUSED reports an ICMP error an earlier datagram met: it, at least,
 * never reached a collector. Reporting clears the error, so the datagram
 * at hand may go now. No collector listened: one that starts, or restarts,
 * has no templates, so they go again with the next message rather than at
 * the next refresh (a minute of data it could not decode).
 */
static void
udp_refused(struct udp_exporter *u)
{
	u->x.st.refused++;
	u->x.loss_kind = SP_IPFIX_LOSS_UNREACHABLE;
	u->x.loss_err = ECONNREFUSED;
	u->refresh_at_ms = 0;
}

/* Send one message now. */
static void
udp_send(struct udp_exporter *u, const uint8_t *m, size_t len, uint32_t nrec)
{
	bool retried = false;

	if (!udp_pace(u, nrec)) {
		sp_ipfix_lose(&u->x, nrec, SP_IPFIX_LOSS_RATE, 0);
		return;
	}
	for (;;) {
		ssize_t w = send(u->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w == (ssize_t)len) {
			u->x.st.messages++;
			u->x.st.bytes += len;
			return;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == ECONNREFUSED && !retried) {
			udp_refused(u);
			retried = true;
			continue;
		}
		/* EAGAIN/ENOBUFS: the socket is full and the message is lost. */
		sp_ipfix_lose(&u->x, nrec, w < 0 && errno == ECONNREFUSED ?
			      SP_IPFIX_LOSS_UNREACHABLE : SP_IPFIX_LOSS_SOCKET,
			      w < 0 ? errno : EMSGSIZE);
		return;
	}
}

/* Send datagrams [i, end) of the batch: what the socket refuses is dropped, as with udp_send(). */
static void
udp_send_batch(struct udp_exporter *u, unsigned int i, unsigned int end)
{
	bool retried = false;

	while (i < end) {
		int k = sendmmsg(u->fd, u->mm + i, end - i, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k > 0) {
			for (; k > 0; k--, i++) {
				u->x.st.messages++;
				u->x.st.bytes += u->iov[i].iov_len;
			}
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == ECONNREFUSED && !retried) {
			udp_refused(u);
			retried = true;
			continue;
		}
		sp_ipfix_lose(&u->x, u->unrec[i], k < 0 && errno == ECONNREFUSED ?
			      SP_IPFIX_LOSS_UNREACHABLE : SP_IPFIX_LOSS_SOCKET, k < 0 ? errno : EIO);
		i++;
	}
}

/*
 * Send the batch. With a rate and rate_wait, each datagram waits for its
 * turn, so that the collector's receive buffer never has to hold a burst;
 * without rate_wait, what the pace does not allow yet stays, moved to the
 * front.
 */
static void
udp_flush_batch(struct udp_exporter *u)
{
	unsigned int end = u->nb, j;

	if (u->x.p.rate == 0 || u->nb == 0) {
		udp_send_batch(u, 0, u->nb);
		u->nb = 0;
		return;
	}
	if (u->x.p.rate_wait) {
		for (j = 0; j < u->nb; j++) {
			udp_pace(u, u->unrec[j]);
			udp_send_batch(u, j, j + 1);
		}
		u->nb = 0;
		return;
	}
	for (end = 0; end < u->nb && udp_pace(u, u->unrec[end]); end++)
		;
	udp_send_batch(u, 0, end);
	/* Held back by the pace: to the front, in order. */
	for (j = 0; end + j < u->nb; j++) {
		uint8_t *slot = u->ubuf + (size_t)j * u->x.msg_limit;

		memmove(slot, u->iov[end + j].iov_base, u->iov[end + j].iov_len);
		u->iov[j].iov_base = slot;
		u->iov[j].iov_len = u->iov[end + j].iov_len;
		u->unrec[j] = u->unrec[end + j];
	}
	u->nb -= end;
}

static void
udp_templates(struct udp_exporter *u, uint64_t now)
{
	const uint8_t *p = u->x.tmsg;
	unsigned int i;

	udp_flush_batch(u);	/* what was built before goes before */
	sp_ipfix_tmpl_stamp(&u->x, u->x.seq);
	for (i = 0; i < u->x.n_tmsg; i++) {
		udp_send(u, p, u->x.tmsg_len[i], 0);
		p += u->x.tmsg_len[i];
	}
	u->x.st.template_sends++;
	u->refresh_at_ms = now + u->x.p.template_refresh_ms;
	u->msgs_since_tmpl = 0;
}

static int
udp_open(struct sp_ipfix_exporter *x, const char *hp)
{
	struct udp_exporter *u = udp_of(x);
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int sndbuf = 4 << 20, ret;
	size_t hdrs, cap;

	u->fd = -1;
	ret = sp_ipfix_resolve(hp, SOCK_DGRAM, &addr, &addrlen);
	if (ret < 0)
		return ret;
	/* IP and UDP headers: the message is what is left of the path MTU. */
	hdrs = addr.ss_family == AF_INET6 ? 40 + 8 : 20 + 8;
	if (x->p.mtu < hdrs + SP_IPFIX_MSG_HDR_LEN + 64)
		return -EINVAL;
	x->msg_limit = x->p.mtu - hdrs;
	cap = addr.ss_family == AF_INET6 ? UDP_MAX_V6 : UDP_MAX_V4;
	x->msg_cap = RTE_MIN(cap, (size_t)SP_IPFIX_MSG_MAX);
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + sp_ipfix_rec_max(x) > x->msg_cap)
		return -E2BIG;
	x->lone = malloc(x->msg_cap);
	u->ubuf = malloc(UDP_BATCH * x->msg_limit);
	if (x->lone == NULL || u->ubuf == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < UDP_BATCH; i++) {
		u->mm[i].msg_hdr.msg_iov = &u->iov[i];
		u->mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* The pace may lag by one batch of the largest records, no more. */
	if (x->p.rate != 0) {
		size_t per_msg = x->msg_limit / sp_ipfix_rec_max(x);

		u->pace_credit_ns = (uint64_t)UDP_BATCH * RTE_MAX((size_t)1, per_msg) * NS_PER_S /
				    x->p.rate;
	}
	u->fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return -errno;
	/* Best effort: a deeper socket absorbs bursts that would be drops. */
	setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (connect(u->fd, (struct sockaddr *)&addr, addrlen) != 0)
		return -errno;
	ret = sp_ipfix_tmpl_build(x, x->msg_limit);
	if (ret < 0)
		return ret;
	udp_templates(u, sp_ipfix_mono_ms());
	return 0;
}

/* The next slot of the batch, after the templates when they are due again. */
static uint8_t *
udp_begin(struct sp_ipfix_exporter *x)
{
	struct udp_exporter *u = udp_of(x);
	uint64_t now = sp_ipfix_mono_ms();

	if (now >= u->refresh_at_ms || (x->p.template_refresh_msgs != 0 &&
	    u->msgs_since_tmpl >= x->p.template_refresh_msgs))
		udp_templates(u, now);
	return u->ubuf + (size_t)u->nb * x->msg_limit;
}

static void
udp_write(struct sp_ipfix_exporter *x, uint8_t *m, size_t len, uint32_t nrec)
{
	struct udp_exporter *u = udp_of(x);

	if (m == x->lone) {
		udp_flush_batch(u);
		udp_send(u, m, len, nrec);
	} else {
		u->iov[u->nb].iov_base = m;
		u->iov[u->nb].iov_len = len;
		u->unrec[u->nb] = nrec;
		u->nb++;
		/* Paced without waiting: what the pace allows leaves now, the rest waits. */
		if (u->nb == UDP_BATCH || (x->p.rate != 0 && !x->p.rate_wait))
			udp_flush_batch(u);
		if (u->nb == UDP_BATCH) {
			/* Over the rate for longer than the batch can hold: the newest goes. */
			u->nb--;
			sp_ipfix_lose(x, u->unrec[u->nb], SP_IPFIX_LOSS_RATE, 0);
		}
	}
	u->msgs_since_tmpl++;
}

static int
udp_flush(struct sp_ipfix_exporter *x)
{
	udp_flush_batch(udp_of(x));
	return 0;
}

static void
udp_close(struct sp_ipfix_exporter *x)
{
	struct udp_exporter *u = udp_of(x);
	uint64_t end = sp_ipfix_mono_ms() + x->p.linger_ms;

	/* Paced without waiting: what the pace holds may take linger_ms to leave. */
	for (;;) {
		udp_flush_batch(u);
		if (u->nb == 0 || sp_ipfix_mono_ms() >= end)
			break;
		usleep(1000);
	}
	while (u->nb > 0)
		sp_ipfix_lose(x, u->unrec[--u->nb], SP_IPFIX_LOSS_RATE, 0);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

static void
udp_release(struct sp_ipfix_exporter *x)
{
	struct udp_exporter *u = udp_of(x);

	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	free(x->lone);
	free(u->ubuf);
}

const struct sp_ipfix_transport_ops sp_ipfix_udp = {
	.scheme = "udp://",
	.size = sizeof(struct udp_exporter),
	.open = udp_open,
	.begin = udp_begin,
	.write = udp_write,
	.flush = udp_flush,
	.close = udp_close,
	.release = udp_release,
	.stats = NULL,
};
