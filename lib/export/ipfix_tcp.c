/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX over TCP (RFC 7011 §10.4): the transport behind "tcp://HOST:PORT".
 *
 * Non-blocking connect, exponential backoff between attempts
 * (--ipfix-reconnect), and a bounded queue of messages (--ipfix-buffer):
 * messages are built in place at its tail. A message stays queued until
 * the kernel reports it acknowledged (SIOCOUTQ), so what a dying connection
 * swallowed is sent again after the reconnect, after the templates. Beyond
 * the bound, messages are dropped and counted. Nothing here waits, but the
 * close, which gives the backlog up to linger_ms.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* POLLRDHUP */
#endif
#include <errno.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipfix_private.h"

enum tcp_state {
	TCP_DOWN = 0,
	TCP_CONNECTING,
	TCP_UP,
};

/* Header of a queue entry; the message follows. */
struct qent {
	uint32_t len;
	uint32_t nrec;
};

struct tcp_exporter {
	struct sp_ipfix_exporter x;	/* first: the exporter allocates this */
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t tcp_state;
	bool tmpl_pending;		/* templates not yet (fully) sent on this connection */
	size_t tmpl_sent;		/* bytes of them sent */
	size_t tmpl_unacked;		/* bytes of them not yet acknowledged */
	uint64_t retry_at_ms;
	uint32_t backoff_ms;
	int conn_err;			/* why the last connection failed or ended (0: unknown) */
	uint8_t *q;			/* entries: struct qent + message */
	size_t q_cap;
	size_t q_head;			/* first entry not acknowledged */
	size_t q_send;			/* entry being sent */
	size_t q_sent;			/* bytes of it sent */
	size_t q_tail;
	size_t inflight;		/* entry bytes handed to the kernel, not released */
	uint8_t *spare;			/* a whole message when no room is left in place */
};

static inline struct tcp_exporter *
tcp_of(struct sp_ipfix_exporter *x)
{
	return (struct tcp_exporter *)x;
}

static size_t
q_used(const struct tcp_exporter *c)
{
	return c->q_tail - c->q_head;
}

static struct qent
q_entry(const struct tcp_exporter *c, size_t off)
{
	struct qent e;

	memcpy(&e, c->q + off, sizeof(e));
	return e;
}

/* Move the queue to the start of its buffer. Only with no message open in place. */
static void
q_compact(struct tcp_exporter *c)
{
	size_t h = c->q_head;

	if (h == 0)
		return;
	memmove(c->q, c->q + h, c->q_tail - h);
	c->q_tail -= h;
	c->q_send -= h;
	c->q_head = 0;
}

static void
tcp_backoff(struct tcp_exporter *c, uint64_t now)
{
	c->retry_at_ms = now + c->backoff_ms;
	c->backoff_ms = RTE_MIN(c->backoff_ms * 2, c->x.p.reconnect_max_ms);
}

/* The connection is gone: what was not acknowledged goes again on the next one. */
static void
tcp_down(struct tcp_exporter *c, uint64_t now)
{
	size_t off;

	if (c->tcp_state == TCP_UP)
		c->x.st.disconnects++;
	close(c->fd);
	c->fd = -1;
	c->tcp_state = TCP_DOWN;
	for (off = c->q_head; off < c->q_send; off += sizeof(struct qent) + q_entry(c, off).len)
		c->x.st.resent_messages++;
	if (c->q_sent > 0)
		c->x.st.resent_messages++;
	c->q_send = c->q_head;
	c->q_sent = 0;
	c->inflight = 0;
	c->tmpl_pending = true;
	c->tmpl_sent = 0;
	c->tmpl_unacked = 0;
	tcp_backoff(c, now);
}

static void
tcp_up(struct tcp_exporter *c)
{
	uint32_t seq = c->x.seq;

	c->tcp_state = TCP_UP;
	c->x.st.connects++;
	c->conn_err = 0;
	c->backoff_ms = c->x.p.reconnect_min_ms;
	/*
	 * A new Transport Session: templates first, numbered like the first
	 * message that follows them (RFC 7011 §3.1), which may be an old one
	 * the previous session did not get acknowledged.
	 */
	if (c->q_head != c->q_tail)
		seq = sp_ipfix_get32(c->q + c->q_head + sizeof(struct qent) + 8);
	sp_ipfix_tmpl_stamp(&c->x, seq);
	c->tmpl_pending = true;
	c->tmpl_sent = 0;
	c->tmpl_unacked = 0;
	c->x.st.template_sends++;
}

static void
tcp_connect(struct tcp_exporter *c, uint64_t now)
{
	int fd;

	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		c->conn_err = errno;
		tcp_backoff(c, now);
		return;
	}
	c->fd = fd;
	if (connect(fd, (struct sockaddr *)&c->addr, c->addrlen) == 0) {
		tcp_up(c);
		return;
	}
	if (errno == EINPROGRESS) {
		c->tcp_state = TCP_CONNECTING;
		return;
	}
	c->conn_err = errno;
	close(fd);
	c->fd = -1;
	tcp_backoff(c, now);
}

/* Release what the peer acknowledged: templates first, then whole entries. */
static void
tcp_release_acked(struct tcp_exporter *c)
{
	int outq = 0;
	size_t acked, t;

	if (c->inflight == 0 && c->tmpl_unacked == 0)
		return;
	if (ioctl(c->fd, SIOCOUTQ, &outq) != 0 || outq < 0)
		return;
	acked = c->inflight + c->tmpl_unacked - RTE_MIN((size_t)outq,
							c->inflight + c->tmpl_unacked);
	t = RTE_MIN(acked, c->tmpl_unacked);
	c->tmpl_unacked -= t;
	acked -= t;
	while (c->q_head < c->q_send) {
		struct qent e = q_entry(c, c->q_head);

		if (e.len > acked)
			break;
		acked -= e.len;
		c->inflight -= e.len;
		c->q_head += sizeof(e) + e.len;
	}
	/* Empty, and no message built in place at the tail: start over at the front. */
	if (c->q_head == c->q_tail && c->x.msg == NULL) {
		c->q_head = c->q_send = c->q_tail = 0;
	}
}

/* Collectors never talk back: readable means closed (or garbage to drop). */
static bool
tcp_peer_gone(struct tcp_exporter *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	uint8_t junk[512];

	if (poll(&pfd, 1, 0) <= 0)
		return false;
	if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return true;
	for (;;) {
		ssize_t r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (r > 0)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (r < 0 && errno == EINTR)
			continue;
		return true;
	}
}

/* Move bytes: connect when due, then templates, then the queue. Never waits. */
static void
tcp_pump(struct tcp_exporter *c)
{
	struct sp_ipfix_exporter *x = &c->x;
	uint64_t now = sp_ipfix_mono_ms();

	if (c->tcp_state == TCP_DOWN) {
		if (now < c->retry_at_ms)
			return;
		tcp_connect(c, now);
	}
	if (c->tcp_state == TCP_CONNECTING) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);

		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			c->conn_err = err != 0 ? err : errno;
			tcp_down(c, now);
			return;
		}
		tcp_up(c);
	}
	if (tcp_peer_gone(c)) {
		c->conn_err = ECONNRESET;
		tcp_down(c, now);
		return;
	}
	while (c->tmpl_pending) {
		ssize_t w = send(c->fd, x->tmsg + c->tmpl_sent, x->tmsg_total - c->tmpl_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->conn_err = errno;
				tcp_down(c, now);
			}
			return;
		}
		c->tmpl_sent += (size_t)w;
		c->tmpl_unacked += (size_t)w;
		if (c->tmpl_sent == x->tmsg_total) {
			c->tmpl_pending = false;
			x->st.messages += x->n_tmsg;
			x->st.bytes += x->tmsg_total;
		}
	}
	while (c->q_send < c->q_tail) {
		struct qent e = q_entry(c, c->q_send);
		const uint8_t *m = c->q + c->q_send + sizeof(e);
		ssize_t w = send(c->fd, m + c->q_sent, e.len - c->q_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->conn_err = errno;
				tcp_down(c, now);
			}
			break;
		}
		c->q_sent += (size_t)w;
		c->inflight += (size_t)w;
		if (c->q_sent == e.len) {
			c->q_send += sizeof(e) + e.len;
			c->q_sent = 0;
			x->st.messages++;
			x->st.bytes += e.len;
		}
	}
	if (c->tcp_state == TCP_UP)
		tcp_release_acked(c);
}

static int
tcp_open(struct sp_ipfix_exporter *x, const char *hp)
{
	struct tcp_exporter *c = tcp_of(x);
	int ret;

	c->fd = -1;
	ret = sp_ipfix_resolve(hp, SOCK_STREAM, &c->addr, &c->addrlen);
	if (ret < 0)
		return ret;
	ret = sp_ipfix_tmpl_build(x, SP_IPFIX_MSG_MAX);
	if (ret < 0)
		return ret;
	c->q_cap = x->p.buffer_size;
	/* Messages small enough that several fit the queue. */
	x->msg_limit = RTE_MIN((size_t)SP_IPFIX_MSG_MAX, c->q_cap / 4);
	x->msg_cap = x->msg_limit;
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + sp_ipfix_rec_max(x) > x->msg_limit)
		return c->q_cap / 4 >= SP_IPFIX_MSG_MAX ? -E2BIG : -EINVAL;
	c->q = malloc(c->q_cap);
	c->spare = malloc(x->msg_limit);
	if (c->q == NULL || c->spare == NULL)
		return -ENOMEM;
	c->backoff_ms = x->p.reconnect_min_ms;
	c->tcp_state = TCP_DOWN;
	c->retry_at_ms = 0;
	tcp_pump(c);
	return 0;
}

/* Built in place at the queue's tail when there is room; write decides whether it stays. */
static uint8_t *
tcp_begin(struct sp_ipfix_exporter *x)
{
	struct tcp_exporter *c = tcp_of(x);
	size_t need = sizeof(struct qent) + x->msg_limit;

	if (c->q_cap - c->q_tail < need)
		q_compact(c);
	return c->q_cap - c->q_tail >= need ? c->q + c->q_tail + sizeof(struct qent) : c->spare;
}

static void
tcp_write(struct sp_ipfix_exporter *x, uint8_t *m, size_t len, uint32_t nrec)
{
	struct tcp_exporter *c = tcp_of(x);
	struct qent e = { .len = (uint32_t)len, .nrec = nrec };
	size_t need = sizeof(e) + len;

	if (q_used(c) + need > c->q_cap) {
		/* Full: a collector that is away, or one that reads too slowly. */
		sp_ipfix_lose(x, nrec, c->tcp_state == TCP_UP ? SP_IPFIX_LOSS_QUEUE :
			      SP_IPFIX_LOSS_UNREACHABLE, c->conn_err);
	} else {
		if (m == c->spare) {
			if (c->q_cap - c->q_tail < need)
				q_compact(c);
			memcpy(c->q + c->q_tail + sizeof(e), c->spare, len);
		}
		memcpy(c->q + c->q_tail, &e, sizeof(e));
		c->q_tail += need;
	}
	tcp_pump(c);
}

static int
tcp_flush(struct sp_ipfix_exporter *x)
{
	tcp_pump(tcp_of(x));
	return 0;
}

static uint32_t
queued_records(const struct tcp_exporter *c)
{
	uint32_t n = 0;
	size_t off;

	for (off = c->q_head; off < c->q_tail; off += sizeof(struct qent) + q_entry(c, off).len)
		n += q_entry(c, off).nrec;
	return n;
}

static void
tcp_close(struct sp_ipfix_exporter *x)
{
	struct tcp_exporter *c = tcp_of(x);
	uint64_t end = sp_ipfix_mono_ms() + x->p.linger_ms;

	/* Bounded wait for the backlog to be acknowledged. */
	for (;;) {
		tcp_pump(c);
		if (c->q_head == c->q_tail || sp_ipfix_mono_ms() >= end)
			break;
		if (c->fd >= 0) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

			poll(&pfd, 1, 10);
		} else {
			usleep(10000);
		}
	}
	if (c->q_head != c->q_tail) {
		size_t off;

		for (off = c->q_head; off < c->q_tail; off += sizeof(struct qent) +
		     q_entry(c, off).len)
			x->st.messages_dropped++;
		x->st.records_dropped += queued_records(c);
		x->loss_kind = c->tcp_state == TCP_UP ? SP_IPFIX_LOSS_QUEUE :
			       SP_IPFIX_LOSS_UNREACHABLE;
		x->loss_err = c->conn_err;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
tcp_release(struct sp_ipfix_exporter *x)
{
	struct tcp_exporter *c = tcp_of(x);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->q);
	free(c->spare);
}

static void
tcp_stats(const struct sp_ipfix_exporter *x, struct sp_ipfix_stats *st)
{
	const struct tcp_exporter *c = (const struct tcp_exporter *)x;

	st->buffered_bytes = c->q_tail - c->q_head;
	st->connected = c->tcp_state == TCP_UP;
}

const struct sp_ipfix_transport_ops sp_ipfix_tcp = {
	.scheme = "tcp://",
	.size = sizeof(struct tcp_exporter),
	.open = tcp_open,
	.begin = tcp_begin,
	.write = tcp_write,
	.flush = tcp_flush,
	.close = tcp_close,
	.release = tcp_release,
	.stats = tcp_stats,
};
