/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX exporter (RFC 7011) of RFC 5103 biflow records, over UDP, TCP or
 * into a file (RFC 5655).
 *
 * Records are encoded straight into the message that will leave: into the
 * UDP datagram buffer, the file buffer or the TCP queue. Each template is
 * compiled at open into a list of field operations, so a record costs one
 * pass over its columns with no per-field lookup. libfixbuf was measured
 * for the same records (tests/bench/bench_export.c) and reaches about half
 * the required rate, hence this encoder; the decoders in the tests are
 * libfixbuf's ipfixDump, nfdump and Wireshark, none of them ours.
 *
 * Nothing here blocks for long: this runs on the management lcore.
 *  - UDP: non-blocking sends; a message the socket refuses is dropped and
 *    counted. Templates go again every template_refresh_ms (RFC 7011 §8.4).
 *  - TCP: non-blocking connect, exponential backoff between attempts, and
 *    a bounded queue of messages. A message stays queued until the kernel
 *    reports it acknowledged (SIOCOUTQ), so what a dying connection
 *    swallowed is sent again after the reconnect, after the templates.
 *  - File: buffered write(2)s, templates at the head of every file,
 *    optional rotation by size or age.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* POLLRDHUP */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "ipfix_private.h"

enum transport {
	TR_UDP = 0,
	TR_TCP,
	TR_FILE,
};

enum tcp_state {
	TCP_DOWN = 0,
	TCP_CONNECTING,
	TCP_UP,
};

/* Why records were lost: the cause the export set's warning names. */
enum loss_kind {
	LOSS_NONE = 0,
	LOSS_UNREACHABLE,	/* TCP not connected, UDP refused (ICMP) */
	LOSS_SOCKET,		/* UDP socket buffer full */
	LOSS_QUEUE,		/* TCP connected but the collector reads too slowly */
	LOSS_RATE,		/* UDP over the rate for longer than the batch holds */
	LOSS_FILE,		/* a write failed */
};

/* One field of a compiled template. */
struct ipfix_op {
	uint32_t off;		/* value's offset in struct sp_flow_record */
	uint16_t len;		/* BYTES, RAW: bytes; STR: array size */
	uint8_t enc;		/* enum sp_ipfix_enc */
	uint16_t item_id;	/* lists: listed element id, enterprise bit set */
	uint16_t item_len;
	const struct sp_plugins_column *pc;	/* SP_IPFIX_ENC_PLUGIN_*: the column */
};

struct ipfix_tmpl {
	uint16_t tid;
	unsigned int nops;
	size_t rec_max;			/* largest encoded record */
	size_t trec_len;		/* template record bytes */
	uint8_t *trec;			/* 4 + 8 bytes a field */
	struct ipfix_op *ops;		/* one a field */
};

/* Header of a TCP queue entry; the message follows. */
struct qent {
	uint32_t len;
	uint32_t nrec;
};

#define FILE_BUF (1u << 20)
#define UDP_MAX_V4 (65535u - 20 - 8)
#define UDP_MAX_V6 (65535u - 8)
#define TMSG_MAX 2	/* template messages: one with both, or one each */
/*
 * Datagrams per sendmmsg(2): the per-call cost is a large part of a UDP
 * send (4.5 us alone, 2.8 us batched, measured on loopback here).
 */
#define UDP_BATCH 32
#define NS_PER_S 1000000000ull

struct ipfix_exporter {
	struct sp_exporter base;	/* first: the export set only sees this */
	uint8_t transport;
	struct sp_ipfix_params p;	/* defaults resolved */
	uint16_t splt_n;
	int first_err;
	struct sp_ipfix_stats st;
	struct ipfix_tmpl t[2];		/* [0] IPv4, [1] IPv6 */

	/* Template messages, built once; seq and time patched when sent. */
	uint8_t *tmsg;
	size_t tmsg_len[TMSG_MAX];
	unsigned int n_tmsg;
	size_t tmsg_total;

	/* The message being built. */
	uint8_t *msg;			/* NULL: none open */
	size_t msg_len;
	size_t msg_limit;		/* wanted largest message */
	size_t msg_cap;			/* room at msg (UDP: more, for a lone large record) */
	size_t set_off;			/* open data set header, 0: none */
	uint16_t set_tid;
	uint32_t msg_nrec;
	uint32_t seq;			/* data records before the current message */
	uint8_t *scratch;		/* one record that may not fit the message */
	uint8_t *strtmp;		/* UTF-8 cleaning of a non-ASCII string */
	uint8_t *spare;			/* a whole message when no room is left in place */

	int fd;

	/* UDP: finished datagrams wait in a batch for one sendmmsg(2). */
	uint8_t *dgram;			/* a lone oversize record's message */
	uint8_t *ubuf;			/* UDP_BATCH slots of msg_limit bytes */
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	uint32_t unrec[UDP_BATCH];
	unsigned int nb;
	uint64_t refresh_at_ms;
	uint32_t msgs_since_tmpl;
	uint64_t pace_ns;		/* rate: when the next records may leave */
	uint64_t pace_credit_ns;	/* rate: how far the pace may lag (one batch) */

	/* Losses: the latest one's cause, and what was reported of them. */
	uint8_t loss_kind;		/* enum loss_kind */
	int loss_err;
	uint64_t reported_records;
	uint64_t reported_refused;
	uint64_t report_at_ms;

	/* TCP */
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

	/* File */
	char *path;
	bool rotate;
	bool file_dead;			/* a write failed: drop until the next file */
	uint32_t file_no;
	uint8_t *fbuf;
	size_t flen;
	uint32_t fbuf_nrec;		/* records in fbuf not yet written */
	uint64_t file_bytes;
	uint64_t file_start_ms;
};

static const struct sp_exporter_ops ipfix_ops;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, 2);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static inline uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
set_err(struct ipfix_exporter *x, int err)
{
	if (x->first_err == 0)
		x->first_err = err;
}

/* A message that will never reach the collector, and why. */
static void
lose(struct ipfix_exporter *x, uint32_t nrec, uint8_t kind, int err)
{
	x->st.messages_dropped++;
	x->st.records_dropped += nrec;
	x->loss_kind = kind;
	x->loss_err = err;
}

static void
loss_cause(const struct ipfix_exporter *x, char *buf, size_t len)
{
	const char *err = x->loss_err != 0 ? strerror(x->loss_err) : "not connected";

	switch (x->loss_kind) {
	case LOSS_UNREACHABLE:
		snprintf(buf, len, "collector unreachable: %s", err);
		break;
	case LOSS_SOCKET:
		snprintf(buf, len, "socket send buffer full: %s", err);
		break;
	case LOSS_QUEUE:
		snprintf(buf, len, "collector too slow: the %zu-byte buffer is full",
			 x->p.buffer_size);
		break;
	case LOSS_RATE:
		snprintf(buf, len, "over the rate of %u records/s for longer than %u datagrams "
			 "of queue", x->p.rate, UDP_BATCH);
		break;
	case LOSS_FILE:
		snprintf(buf, len, "write failed: %s", err);
		break;
	default:
		snprintf(buf, len, "%s", "");
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Templates.                                                               */

static size_t
op_max_len(const struct ipfix_op *o, uint16_t splt_n)
{
	switch (o->enc) {
	case SP_IPFIX_ENC_U8:
	case SP_IPFIX_ENC_END_REASON:
		return 1;
	case SP_IPFIX_ENC_U16:
	case SP_IPFIX_ENC_U8_U16:
		return 2;
	case SP_IPFIX_ENC_U64:
		return 8;
	case SP_IPFIX_ENC_STR:
		return 3 + (size_t)o->len;
	case SP_IPFIX_ENC_LIST_I8:
	case SP_IPFIX_ENC_LIST_I32:
	case SP_IPFIX_ENC_LIST_I64:
		return 3 + 9 + (size_t)splt_n * o->item_len;
	case SP_IPFIX_ENC_PLUGIN_NUM:
		return 8;
	case SP_IPFIX_ENC_PLUGIN_STR:
		return 3 + (size_t)o->pc->c.max;
	case SP_IPFIX_ENC_PLUGIN_LIST_I64:
		return 3 + 9 + 8 * (size_t)o->pc->c.max;
	case SP_IPFIX_ENC_PLUGIN_LIST_STR:
		return 3 + 9 + (size_t)o->pc->c.max * (3 + (size_t)o->pc->c.max_str);
	default:
		return o->len;
	}
}

static int
compile_template(struct ipfix_exporter *x, const struct sp_columns *cols, bool v6)
{
	struct ipfix_tmpl *t = &x->t[v6];
	unsigned int i, n, max = sp_ipfix_max_fields(cols);
	struct sp_ipfix_field *f;
	uint8_t *p;

	/* sized to the run's columns: plugins add any number */
	f = calloc(max, sizeof(*f));
	t->trec = malloc(4 + 8 * (size_t)max);
	t->ops = calloc(max, sizeof(*t->ops));
	if (f == NULL || t->trec == NULL || t->ops == NULL) {
		free(f);
		return -ENOMEM;
	}
	p = t->trec + 4;
	n = sp_ipfix_fields(cols, v6, x->p.pen, f);
	t->tid = v6 ? SP_IPFIX_TID_V6 : SP_IPFIX_TID_V4;
	t->nops = n;
	t->rec_max = 0;
	put16(t->trec, t->tid);
	put16(t->trec + 2, (uint16_t)n);
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = &f[i].ie;
		struct ipfix_op *o = &t->ops[i];

		put16(p, ie->id | (ie->pen != 0 ? SP_IPFIX_ENTERPRISE_BIT : 0));
		put16(p + 2, ie->len);
		p += 4;
		if (ie->pen != 0) {
			put32(p, ie->pen);
			p += 4;
		}
		o->off = f[i].col->offset;
		o->enc = f[i].enc;
		o->len = ie->len;
		if (o->enc == SP_IPFIX_ENC_STR || o->enc == SP_IPFIX_ENC_RAW)
			o->len = f[i].col->size;
		o->item_id = (uint16_t)(f[i].item.id | SP_IPFIX_ENTERPRISE_BIT);
		o->item_len = f[i].item.len;
		o->pc = f[i].col->plugin;
		t->rec_max += op_max_len(o, x->splt_n);
	}
	t->trec_len = (size_t)(p - t->trec);
	free(f);
	return 0;
}

/* A varlen field's length prefix (RFC 7011 §7). */
static inline uint8_t *
put_varlen(uint8_t *p, size_t n)
{
	if (n < 255) {
		*p++ = (uint8_t)n;
	} else {
		*p++ = 255;
		put16(p, (uint16_t)n);
		p += 2;
	}
	return p;
}

/* A plugin column's value. IPFIX has no None: numbers are 0 (NaN for a
 * float), strings empty, lists empty (docs/plugins.md). */
static uint8_t *
put_plugin(struct ipfix_exporter *x, uint8_t *p, const struct ipfix_op *o,
	   const struct sp_flow_record *r)
{
	const struct sp_plugins_column *pc = o->pc;
	const struct sp_plugins_cell *h = sp_plugins_cell(r, pc);
	const uint8_t *v = (const uint8_t *)(h + 1);
	uint16_t n = h->set ? h->n : 0, i, l;
	uint8_t *start;
	uint64_t w;
	size_t len;

	switch (o->enc) {
	case SP_IPFIX_ENC_PLUGIN_NUM:
		if (h->set) {
			memcpy(&w, v, 8);
		} else if (pc->c.type == SP_PLUGIN_DOUBLE) {
			double nan = NAN;

			memcpy(&w, &nan, 8);
		} else {
			w = 0;
		}
		w = rte_cpu_to_be_64(w);
		memcpy(p, &w, 8);
		return p + 8;
	case SP_IPFIX_ENC_PLUGIN_STR:
		/* RFC 7011 strings are UTF-8: invalid sequences dropped as in the CSV */
		len = sp_export_fmt_utf8((char *)x->strtmp, (const char *)v, n);
		p = put_varlen(p, len);
		memcpy(p, x->strtmp, len);
		return p + len;
	default:
		break;
	}
	/* basicList: the length is known once the elements are written, so
	 * the 3-byte form is always used for it */
	start = p;
	*p++ = 255;
	p += 2;
	*p++ = SP_IPFIX_LIST_ORDERED;
	put16(p, o->item_id);
	put16(p + 2, o->enc == SP_IPFIX_ENC_PLUGIN_LIST_I64 ? 8 : SP_IPFIX_VARLEN);
	put32(p + 4, x->p.pen);
	p += 8;
	for (i = 0; i < n; i++) {
		if (o->enc == SP_IPFIX_ENC_PLUGIN_LIST_I64) {
			memcpy(&w, v + 8u * i, 8);
			w = rte_cpu_to_be_64(w);
			memcpy(p, &w, 8);
			p += 8;
			continue;
		}
		memcpy(&l, v + (size_t)i * SP_PLUGINS_STR_ELT(pc->c.max_str), 2);
		len = sp_export_fmt_utf8((char *)x->strtmp, (const char *)v +
					 (size_t)i * SP_PLUGINS_STR_ELT(pc->c.max_str) + 2, l);
		p = put_varlen(p, len);
		memcpy(p, x->strtmp, len);
		p += len;
	}
	put16(start + 1, (uint16_t)(p - start - 3));
	return p;
}

static void
msg_header(uint8_t *m, size_t len, uint32_t seq, uint32_t domain)
{
	put16(m, SP_IPFIX_VERSION);
	put16(m + 2, (uint16_t)len);
	put32(m + 4, (uint32_t)time(NULL));
	put32(m + 8, seq);
	put32(m + 12, domain);
}

/* The template messages: both templates in one set if they fit, else one message each. */
static int
build_template_msgs(struct ipfix_exporter *x, size_t limit)
{
	size_t both = SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + x->t[0].trec_len +
		      x->t[1].trec_len;
	uint8_t *p;
	unsigned int i;

	x->tmsg = malloc(both + SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN);
	if (x->tmsg == NULL)
		return -ENOMEM;
	p = x->tmsg;
	x->n_tmsg = both <= limit ? 1 : 2;
	for (i = 0; i < x->n_tmsg; i++) {
		size_t len = SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN;
		uint8_t *set = p + SP_IPFIX_MSG_HDR_LEN;
		unsigned int k;

		for (k = 0; k < 2; k++) {
			if (x->n_tmsg == 2 && k != i)
				continue;
			memcpy(p + len, x->t[k].trec, x->t[k].trec_len);
			len += x->t[k].trec_len;
		}
		put16(set, SP_IPFIX_SET_TEMPLATE);
		put16(set + 2, (uint16_t)(len - SP_IPFIX_MSG_HDR_LEN));
		msg_header(p, len, 0, x->p.domain_id);
		x->tmsg_len[i] = len;
		p += len;
	}
	x->tmsg_total = (size_t)(p - x->tmsg);
	return 0;
}

/* Stamp the template messages with the current time and a sequence number. */
static void
stamp_templates(struct ipfix_exporter *x, uint32_t seq)
{
	uint8_t *p = x->tmsg;
	unsigned int i;

	for (i = 0; i < x->n_tmsg; i++) {
		msg_header(p, x->tmsg_len[i], seq, x->p.domain_id);
		p += x->tmsg_len[i];
	}
}

/* ------------------------------------------------------------------------ */
/* Record encoding.                                                         */

/*
 * An application string as the CSV has it (invalid UTF-8 dropped, as
 * Python's decode(errors='ignore') does): RFC 7011 strings are UTF-8.
 * ASCII, the usual case, is copied as is.
 */
static uint8_t *
put_str(struct ipfix_exporter *x, uint8_t *p, const char *s, uint16_t size)
{
	size_t n = strnlen(s, size), i, m;
	uint8_t hi = 0;
	const uint8_t *src = (const uint8_t *)s;

	for (i = 0; i < n; i++)
		hi |= src[i];
	if (unlikely(hi & 0x80)) {
		/* sp_export_fmt_pystr() escapes '"' as '\"': undo that. */
		size_t l = sp_export_fmt_pystr((char *)x->strtmp, s, size), o = 0;

		for (i = 0; i < l; i++) {
			if (x->strtmp[i] == '\\' && i + 1 < l && x->strtmp[i + 1] == '"')
				i++;
			x->strtmp[o++] = x->strtmp[i];
		}
		src = x->strtmp;
		n = o;
	}
	m = n;
	if (m < 255) {
		*p++ = (uint8_t)m;
	} else {
		*p++ = 255;
		put16(p, (uint16_t)m);
		p += 2;
	}
	memcpy(p, src, n);
	return p + n;
}

static uint8_t *
put_list(const struct ipfix_exporter *x, uint8_t *p, const struct ipfix_op *o,
	 const struct sp_flow_record *r)
{
	uint16_t n = r->splt_n, i;
	size_t total = 1 + 2 + 2 + 4 + (size_t)n * o->item_len;

	if (total < 255) {
		*p++ = (uint8_t)total;
	} else {
		*p++ = 255;
		put16(p, (uint16_t)total);
		p += 2;
	}
	*p++ = SP_IPFIX_LIST_ORDERED;
	put16(p, o->item_id);
	put16(p + 2, o->item_len);
	put32(p + 4, x->p.pen);
	p += 8;
	switch (o->enc) {
	case SP_IPFIX_ENC_LIST_I8:
		memcpy(p, sp_record_splt_direction(r), n);
		p += n;
		break;
	case SP_IPFIX_ENC_LIST_I32: {
		const int32_t *v = sp_record_splt_ps(r);

		for (i = 0; i < n; i++, p += 4)
			put32(p, (uint32_t)v[i]);
		break;
	}
	default: {
		const int64_t *v = sp_record_splt_piat(r);

		for (i = 0; i < n; i++, p += 8) {
			uint64_t b = rte_cpu_to_be_64((uint64_t)v[i]);

			memcpy(p, &b, 8);
		}
		break;
	}
	}
	return p;
}

static size_t
encode_record(struct ipfix_exporter *x, const struct ipfix_tmpl *t,
	      const struct sp_flow_record *r, uint8_t *dst)
{
	const uint8_t *base = (const uint8_t *)r;
	uint8_t *p = dst;
	unsigned int i;

	for (i = 0; i < t->nops; i++) {
		const struct ipfix_op *o = &t->ops[i];
		const uint8_t *v = base + o->off;

		switch (o->enc) {
		case SP_IPFIX_ENC_U8:
			*p++ = *v;
			break;
		case SP_IPFIX_ENC_U16: {
			uint16_t w;

			memcpy(&w, v, 2);
			put16(p, w);
			p += 2;
			break;
		}
		case SP_IPFIX_ENC_U8_U16:
			*p++ = 0;
			*p++ = *v;
			break;
		case SP_IPFIX_ENC_U64: {
			uint64_t w;

			memcpy(&w, v, 8);
			w = rte_cpu_to_be_64(w);
			memcpy(p, &w, 8);
			p += 8;
			break;
		}
		case SP_IPFIX_ENC_BYTES:
		case SP_IPFIX_ENC_RAW:
			memcpy(p, v, o->len);
			p += o->len;
			break;
		case SP_IPFIX_ENC_STR:
			p = put_str(x, p, (const char *)v, o->len);
			break;
		case SP_IPFIX_ENC_END_REASON:
			*p++ = sp_ipfix_end_reason(*(const int8_t *)v);
			break;
		case SP_IPFIX_ENC_PLUGIN_NUM:
		case SP_IPFIX_ENC_PLUGIN_STR:
		case SP_IPFIX_ENC_PLUGIN_LIST_I64:
		case SP_IPFIX_ENC_PLUGIN_LIST_STR:
			p = put_plugin(x, p, o, r);
			break;
		default:
			p = put_list(x, p, o, r);
			break;
		}
	}
	return (size_t)(p - dst);
}

/* ------------------------------------------------------------------------ */
/* UDP.                                                                     */

/*
 * Pacing: may nrec more records leave now? With rate_wait, waits for their
 * turn. The pace may lag the clock by one batch (pace_credit_ns): a late
 * wake-up is made up for, and after an idle spell the collector still gets
 * no more than two batches at once, which its receive buffer has to hold.
 */
static bool
udp_pace(struct ipfix_exporter *x, uint32_t nrec)
{
	uint64_t now;

	if (x->p.rate == 0 || nrec == 0)
		return true;
	now = mono_ns();
	if (now < x->pace_ns) {
		struct timespec ts = {
			.tv_sec = (time_t)(x->pace_ns / NS_PER_S),
			.tv_nsec = (long)(x->pace_ns % NS_PER_S),
		};

		if (!x->p.rate_wait)
			return false;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = x->pace_ns;
	}
	x->pace_ns = RTE_MAX(x->pace_ns, now - RTE_MIN(now, x->pace_credit_ns)) +
		     (uint64_t)nrec * NS_PER_S / x->p.rate;
	return true;
}

/*
 * ECONNREFUSED reports an ICMP error an earlier datagram met: it, at least,
 * never reached a collector. Reporting clears the error, so the datagram
 * at hand may go now.
 */
static void
udp_refused(struct ipfix_exporter *x)
{
	x->st.refused++;
	x->loss_kind = LOSS_UNREACHABLE;
	x->loss_err = ECONNREFUSED;
}

/* Send one message now. */
static void
udp_send(struct ipfix_exporter *x, const uint8_t *m, size_t len, uint32_t nrec)
{
	bool retried = false;

	if (!udp_pace(x, nrec)) {
		lose(x, nrec, LOSS_RATE, 0);
		return;
	}
	for (;;) {
		ssize_t w = send(x->fd, m, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w == (ssize_t)len) {
			x->st.messages++;
			x->st.bytes += len;
			return;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == ECONNREFUSED && !retried) {
			udp_refused(x);
			retried = true;
			continue;
		}
		/* EAGAIN/ENOBUFS: the socket is full and the message is lost. */
		lose(x, nrec, w < 0 && errno == ECONNREFUSED ? LOSS_UNREACHABLE : LOSS_SOCKET,
		     w < 0 ? errno : EMSGSIZE);
		return;
	}
}

/* Send datagrams [i, end) of the batch: what the socket refuses is dropped, as with udp_send(). */
static void
udp_send_batch(struct ipfix_exporter *x, unsigned int i, unsigned int end)
{
	bool retried = false;

	while (i < end) {
		int k = sendmmsg(x->fd, x->mm + i, end - i, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k > 0) {
			for (; k > 0; k--, i++) {
				x->st.messages++;
				x->st.bytes += x->iov[i].iov_len;
			}
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == ECONNREFUSED && !retried) {
			udp_refused(x);
			retried = true;
			continue;
		}
		lose(x, x->unrec[i], k < 0 && errno == ECONNREFUSED ? LOSS_UNREACHABLE :
		     LOSS_SOCKET, k < 0 ? errno : EIO);
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
udp_flush_batch(struct ipfix_exporter *x)
{
	unsigned int end = x->nb, j;

	if (x->p.rate == 0 || x->nb == 0) {
		udp_send_batch(x, 0, x->nb);
		x->nb = 0;
		return;
	}
	if (x->p.rate_wait) {
		for (j = 0; j < x->nb; j++) {
			udp_pace(x, x->unrec[j]);
			udp_send_batch(x, j, j + 1);
		}
		x->nb = 0;
		return;
	}
	for (end = 0; end < x->nb && udp_pace(x, x->unrec[end]); end++)
		;
	udp_send_batch(x, 0, end);
	/* Held back by the pace: to the front, in order. */
	for (j = 0; end + j < x->nb; j++) {
		uint8_t *slot = x->ubuf + (size_t)j * x->msg_limit;

		memmove(slot, x->iov[end + j].iov_base, x->iov[end + j].iov_len);
		x->iov[j].iov_base = slot;
		x->iov[j].iov_len = x->iov[end + j].iov_len;
		x->unrec[j] = x->unrec[end + j];
	}
	x->nb -= end;
}

static void
udp_queue(struct ipfix_exporter *x, uint8_t *m, size_t len, uint32_t nrec)
{
	if (m == x->dgram) {
		udp_flush_batch(x);
		udp_send(x, m, len, nrec);
		return;
	}
	x->iov[x->nb].iov_base = m;
	x->iov[x->nb].iov_len = len;
	x->unrec[x->nb] = nrec;
	x->nb++;
	/* Paced without waiting: what the pace allows leaves now, the rest waits. */
	if (x->nb == UDP_BATCH || (x->p.rate != 0 && !x->p.rate_wait))
		udp_flush_batch(x);
	if (x->nb == UDP_BATCH) {
		/* Over the rate for longer than the batch can hold: the newest goes. */
		x->nb--;
		lose(x, x->unrec[x->nb], LOSS_RATE, 0);
	}
}

static void
udp_templates(struct ipfix_exporter *x, uint64_t now)
{
	const uint8_t *p = x->tmsg;
	unsigned int i;

	udp_flush_batch(x);	/* what was built before goes before */
	stamp_templates(x, x->seq);
	for (i = 0; i < x->n_tmsg; i++) {
		udp_send(x, p, x->tmsg_len[i], 0);
		p += x->tmsg_len[i];
	}
	x->st.template_sends++;
	x->refresh_at_ms = now + x->p.template_refresh_ms;
	x->msgs_since_tmpl = 0;
}

/* ------------------------------------------------------------------------ */
/* TCP.                                                                     */

static size_t
q_used(const struct ipfix_exporter *x)
{
	return x->q_tail - x->q_head;
}

static struct qent
q_entry(const struct ipfix_exporter *x, size_t off)
{
	struct qent e;

	memcpy(&e, x->q + off, sizeof(e));
	return e;
}

/* Move the queue to the start of its buffer. Only with no message open in place. */
static void
q_compact(struct ipfix_exporter *x)
{
	size_t h = x->q_head;

	if (h == 0)
		return;
	memmove(x->q, x->q + h, x->q_tail - h);
	x->q_tail -= h;
	x->q_send -= h;
	x->q_head = 0;
}

static void
tcp_backoff(struct ipfix_exporter *x, uint64_t now)
{
	x->retry_at_ms = now + x->backoff_ms;
	x->backoff_ms = RTE_MIN(x->backoff_ms * 2, x->p.reconnect_max_ms);
}

/* The connection is gone: what was not acknowledged goes again on the next one. */
static void
tcp_down(struct ipfix_exporter *x, uint64_t now)
{
	size_t off;

	if (x->tcp_state == TCP_UP)
		x->st.disconnects++;
	close(x->fd);
	x->fd = -1;
	x->tcp_state = TCP_DOWN;
	for (off = x->q_head; off < x->q_send; off += sizeof(struct qent) + q_entry(x, off).len)
		x->st.resent_messages++;
	if (x->q_sent > 0)
		x->st.resent_messages++;
	x->q_send = x->q_head;
	x->q_sent = 0;
	x->inflight = 0;
	x->tmpl_pending = true;
	x->tmpl_sent = 0;
	x->tmpl_unacked = 0;
	tcp_backoff(x, now);
}

static void
tcp_up(struct ipfix_exporter *x)
{
	uint32_t seq = x->seq;

	x->tcp_state = TCP_UP;
	x->st.connects++;
	x->conn_err = 0;
	x->backoff_ms = x->p.reconnect_min_ms;
	/*
	 * A new Transport Session: templates first, numbered like the first
	 * message that follows them (RFC 7011 §3.1), which may be an old one
	 * the previous session did not get acknowledged.
	 */
	if (x->q_head != x->q_tail)
		seq = get32(x->q + x->q_head + sizeof(struct qent) + 8);
	stamp_templates(x, seq);
	x->tmpl_pending = true;
	x->tmpl_sent = 0;
	x->tmpl_unacked = 0;
	x->st.template_sends++;
}

static void
tcp_connect(struct ipfix_exporter *x, uint64_t now)
{
	int fd;

	fd = socket(x->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		x->conn_err = errno;
		tcp_backoff(x, now);
		return;
	}
	x->fd = fd;
	if (connect(fd, (struct sockaddr *)&x->addr, x->addrlen) == 0) {
		tcp_up(x);
		return;
	}
	if (errno == EINPROGRESS) {
		x->tcp_state = TCP_CONNECTING;
		return;
	}
	x->conn_err = errno;
	close(fd);
	x->fd = -1;
	tcp_backoff(x, now);
}

/* Release what the peer acknowledged: templates first, then whole entries. */
static void
tcp_release(struct ipfix_exporter *x)
{
	int outq = 0;
	size_t acked, t;

	if (x->inflight == 0 && x->tmpl_unacked == 0)
		return;
	if (ioctl(x->fd, SIOCOUTQ, &outq) != 0 || outq < 0)
		return;
	acked = x->inflight + x->tmpl_unacked - RTE_MIN((size_t)outq,
							x->inflight + x->tmpl_unacked);
	t = RTE_MIN(acked, x->tmpl_unacked);
	x->tmpl_unacked -= t;
	acked -= t;
	while (x->q_head < x->q_send) {
		struct qent e = q_entry(x, x->q_head);

		if (e.len > acked)
			break;
		acked -= e.len;
		x->inflight -= e.len;
		x->q_head += sizeof(e) + e.len;
	}
	if (x->q_head == x->q_tail && x->msg == NULL) {
		x->q_head = x->q_send = x->q_tail = 0;
	}
}

/* Collectors never talk back: readable means closed (or garbage to drop). */
static bool
tcp_peer_gone(struct ipfix_exporter *x)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN | POLLRDHUP };
	uint8_t junk[512];

	if (poll(&pfd, 1, 0) <= 0)
		return false;
	if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return true;
	for (;;) {
		ssize_t r = recv(x->fd, junk, sizeof(junk), MSG_DONTWAIT);

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
tcp_pump(struct ipfix_exporter *x)
{
	uint64_t now = mono_ms();

	if (x->tcp_state == TCP_DOWN) {
		if (now < x->retry_at_ms)
			return;
		tcp_connect(x, now);
	}
	if (x->tcp_state == TCP_CONNECTING) {
		struct pollfd pfd = { .fd = x->fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);

		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			x->conn_err = err != 0 ? err : errno;
			tcp_down(x, now);
			return;
		}
		tcp_up(x);
	}
	if (tcp_peer_gone(x)) {
		x->conn_err = ECONNRESET;
		tcp_down(x, now);
		return;
	}
	while (x->tmpl_pending) {
		ssize_t w = send(x->fd, x->tmsg + x->tmpl_sent, x->tmsg_total - x->tmpl_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				x->conn_err = errno;
				tcp_down(x, now);
			}
			return;
		}
		x->tmpl_sent += (size_t)w;
		x->tmpl_unacked += (size_t)w;
		if (x->tmpl_sent == x->tmsg_total) {
			x->tmpl_pending = false;
			x->st.messages += x->n_tmsg;
			x->st.bytes += x->tmsg_total;
		}
	}
	while (x->q_send < x->q_tail) {
		struct qent e = q_entry(x, x->q_send);
		const uint8_t *m = x->q + x->q_send + sizeof(e);
		ssize_t w = send(x->fd, m + x->q_sent, e.len - x->q_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				x->conn_err = errno;
				tcp_down(x, now);
			}
			break;
		}
		x->q_sent += (size_t)w;
		x->inflight += (size_t)w;
		if (x->q_sent == e.len) {
			x->q_send += sizeof(e) + e.len;
			x->q_sent = 0;
			x->st.messages++;
			x->st.bytes += e.len;
		}
	}
	if (x->tcp_state == TCP_UP)
		tcp_release(x);
}

/* ------------------------------------------------------------------------ */
/* File.                                                                    */

static int
file_open_next(struct ipfix_exporter *x)
{
	char name[PATH_MAX];
	const char *path = x->path;

	if (x->rotate) {
		if ((size_t)snprintf(name, sizeof(name), "%s.%06u", x->path, x->file_no) >=
		    sizeof(name))
			return -ENAMETOOLONG;
		path = name;
	}
	x->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (x->fd < 0)
		return -errno;
	x->file_no++;
	x->st.files++;
	x->file_dead = false;
	x->file_bytes = 0;
	x->file_start_ms = mono_ms();
	/* Each file is a Transport Session of its own (RFC 5655 §6). */
	x->seq = 0;
	stamp_templates(x, 0);
	memcpy(x->fbuf + x->flen, x->tmsg, x->tmsg_total);
	x->flen += x->tmsg_total;
	x->file_bytes += x->tmsg_total;
	x->st.messages += x->n_tmsg;
	x->st.bytes += x->tmsg_total;
	x->st.template_sends++;
	return 0;
}

/* Write the buffer out. A failure leaves the file cut short: nothing more goes to it. */
static int
file_drain(struct ipfix_exporter *x)
{
	size_t off = 0;
	int ret = 0;

	while (off < x->flen && !x->file_dead && x->fd >= 0) {
		ssize_t w = write(x->fd, x->fbuf + off, x->flen - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = w < 0 ? -errno : -ENOSPC;
			x->file_dead = true;
			break;
		}
		off += (size_t)w;
	}
	if (ret < 0 || x->file_dead || x->fd < 0) {
		if (x->fbuf_nrec > 0) {
			x->st.records_dropped += x->fbuf_nrec;
			x->loss_kind = LOSS_FILE;
			x->loss_err = ret < 0 ? -ret : -x->first_err;
		}
		if (ret < 0)
			set_err(x, ret);
		else if (x->flen > 0)
			ret = x->first_err != 0 ? x->first_err : -EIO;
	}
	x->flen = 0;
	x->fbuf_nrec = 0;
	return ret;
}

static int
file_rotate_if_due(struct ipfix_exporter *x)
{
	bool due = false;
	int ret;

	if (!x->rotate)
		return 0;
	if (x->p.rotate_bytes != 0 && x->file_bytes >= x->p.rotate_bytes)
		due = true;
	if (x->p.rotate_s != 0 && mono_ms() - x->file_start_ms >= x->p.rotate_s * 1000ull)
		due = true;
	if (!due)
		return 0;
	ret = file_drain(x);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	ret = file_open_next(x);
	if (ret < 0) {
		set_err(x, ret);
		x->file_dead = true;
	}
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Messages.                                                                */

static void
begin_message(struct ipfix_exporter *x)
{
	switch (x->transport) {
	case TR_UDP: {
		uint64_t now = mono_ms();

		if (now >= x->refresh_at_ms || (x->p.template_refresh_msgs != 0 &&
		    x->msgs_since_tmpl >= x->p.template_refresh_msgs))
			udp_templates(x, now);
		x->msg = x->ubuf + (size_t)x->nb * x->msg_limit;
		break;
	}
	case TR_FILE:
		if (FILE_BUF - x->flen < x->msg_limit)
			file_drain(x);
		x->msg = x->fbuf + x->flen;
		break;
	default: {
		size_t need = sizeof(struct qent) + x->msg_limit;

		if (x->q_cap - x->q_tail < need)
			q_compact(x);
		/* Built in place when there is room; commit decides whether it stays. */
		x->msg = x->q_cap - x->q_tail >= need ? x->q + x->q_tail + sizeof(struct qent) :
			 x->spare;
		break;
	}
	}
	x->msg_len = SP_IPFIX_MSG_HDR_LEN;
	x->set_off = 0;
	x->msg_nrec = 0;
}

static void
commit_tcp(struct ipfix_exporter *x)
{
	struct qent e = { .len = (uint32_t)x->msg_len, .nrec = x->msg_nrec };
	size_t need = sizeof(e) + x->msg_len;

	if (q_used(x) + need > x->q_cap) {
		/* Full: a collector that is away, or one that reads too slowly. */
		lose(x, x->msg_nrec, x->tcp_state == TCP_UP ? LOSS_QUEUE : LOSS_UNREACHABLE,
		     x->conn_err);
		return;
	}
	if (x->msg == x->spare) {
		if (x->q_cap - x->q_tail < need)
			q_compact(x);
		memcpy(x->q + x->q_tail + sizeof(e), x->spare, x->msg_len);
	}
	memcpy(x->q + x->q_tail, &e, sizeof(e));
	x->q_tail += need;
}

/* Close the message and hand it to the transport. */
static void
finish_message(struct ipfix_exporter *x)
{
	uint8_t *m = x->msg;

	if (m == NULL)
		return;
	if (x->msg_nrec == 0) {
		x->msg = NULL;
		return;
	}
	put16(m + x->set_off + 2, (uint16_t)(x->msg_len - x->set_off));
	msg_header(m, x->msg_len, x->seq, x->p.domain_id);
	x->seq += x->msg_nrec;
	switch (x->transport) {
	case TR_UDP:
		udp_queue(x, m, x->msg_len, x->msg_nrec);
		x->msgs_since_tmpl++;
		break;
	case TR_FILE:
		if (x->file_dead || x->fd < 0) {
			lose(x, x->msg_nrec, LOSS_FILE, -x->first_err);
			break;
		}
		x->flen += x->msg_len;
		x->fbuf_nrec += x->msg_nrec;
		x->file_bytes += x->msg_len;
		x->st.messages++;
		x->st.bytes += x->msg_len;
		break;
	default:
		commit_tcp(x);
		break;
	}
	x->msg = NULL;
	if (x->transport == TR_TCP)
		tcp_pump(x);
	else if (x->transport == TR_FILE)
		file_rotate_if_due(x);
}

static int
ipfix_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct ipfix_exporter *x = (struct ipfix_exporter *)e;
	const struct ipfix_tmpl *t = &x->t[r->st.ip_version != 4];
	size_t hdr, len;
	uint8_t *dst;

	if (unlikely(r->splt_n != x->splt_n))
		return -EINVAL;
	if (x->msg == NULL)
		begin_message(x);
	hdr = x->set_off != 0 && x->set_tid == t->tid ? 0 : SP_IPFIX_SET_HDR_LEN;
	if (likely(x->msg_len + hdr + t->rec_max <= x->msg_limit)) {
		dst = x->msg + x->msg_len + hdr;
		len = encode_record(x, t, r, dst);
	} else {
		/* It may not fit: encode aside, then place it. */
		len = encode_record(x, t, r, x->scratch);
		if (x->msg_len + hdr + len > x->msg_limit && x->msg_nrec > 0) {
			finish_message(x);
			begin_message(x);
			hdr = SP_IPFIX_SET_HDR_LEN;
		}
		if (x->msg_len + hdr + len > x->msg_limit) {
			/*
			 * Alone and still too large: only UDP has a limit below
			 * 64 KiB. The record goes in a datagram of its own, which
			 * IP fragments.
			 */
			x->st.oversize++;
			x->msg = x->dgram;
		}
		dst = x->msg + x->msg_len + hdr;
		memcpy(dst, x->scratch, len);
	}
	if (hdr != 0) {
		if (x->set_off != 0)
			put16(x->msg + x->set_off + 2, (uint16_t)(x->msg_len - x->set_off));
		x->set_off = x->msg_len;
		x->set_tid = t->tid;
		put16(x->msg + x->set_off, t->tid);
		x->msg_len += SP_IPFIX_SET_HDR_LEN;
	}
	x->msg_len += len;
	x->msg_nrec++;
	x->st.records++;
	/* A lone oversize UDP record leaves at once. */
	if (unlikely(x->msg_len > x->msg_limit))
		finish_message(x);
	if (x->transport == TR_FILE && x->first_err != 0 && x->file_dead)
		return x->first_err;
	return 0;
}

static int
ipfix_flush(struct sp_exporter *e)
{
	struct ipfix_exporter *x = (struct ipfix_exporter *)e;
	int ret = 0;

	finish_message(x);
	switch (x->transport) {
	case TR_UDP:
		udp_flush_batch(x);
		break;
	case TR_TCP:
		tcp_pump(x);
		break;
	case TR_FILE:
		ret = file_drain(x);
		if (ret == 0)
			ret = file_rotate_if_due(x);
		break;
	default:
		break;
	}
	return ret;
}

static uint32_t
queued_records(const struct ipfix_exporter *x)
{
	uint32_t n = 0;
	size_t off;

	for (off = x->q_head; off < x->q_tail; off += sizeof(struct qent) +
	     q_entry(x, off).len)
		n += q_entry(x, off).nrec;
	return n;
}

static int
ipfix_close_stats(struct ipfix_exporter *x, struct sp_ipfix_stats *st)
{
	int ret;

	finish_message(x);
	switch (x->transport) {
	case TR_TCP: {
		uint64_t end = mono_ms() + x->p.linger_ms;

		/* Bounded wait for the backlog to be acknowledged. */
		for (;;) {
			tcp_pump(x);
			if (x->q_head == x->q_tail || mono_ms() >= end)
				break;
			if (x->fd >= 0) {
				struct pollfd pfd = { .fd = x->fd, .events = POLLOUT };

				poll(&pfd, 1, 10);
			} else {
				usleep(10000);
			}
		}
		if (x->q_head != x->q_tail) {
			size_t off;

			for (off = x->q_head; off < x->q_tail; off += sizeof(struct qent) +
			     q_entry(x, off).len)
				x->st.messages_dropped++;
			x->st.records_dropped += queued_records(x);
			x->loss_kind = x->tcp_state == TCP_UP ? LOSS_QUEUE : LOSS_UNREACHABLE;
			x->loss_err = x->conn_err;
		}
		break;
	}
	case TR_FILE:
		file_drain(x);
		break;
	default: {
		uint64_t end = mono_ms() + x->p.linger_ms;

		/* Paced without waiting: what the pace holds may take linger_ms to leave. */
		for (;;) {
			udp_flush_batch(x);
			if (x->nb == 0 || mono_ms() >= end)
				break;
			usleep(1000);
		}
		while (x->nb > 0)
			lose(x, x->unrec[--x->nb], LOSS_RATE, 0);
		break;
	}
	}
	if (x->fd >= 0 && close(x->fd) != 0 && x->transport == TR_FILE)
		set_err(x, -errno);
	x->fd = -1;
	if (st != NULL)
		sp_export_ipfix_get_stats(&x->base, st);
	ret = x->first_err;
	free(x->t[0].trec);
	free(x->t[0].ops);
	free(x->t[1].trec);
	free(x->t[1].ops);
	free(x->tmsg);
	free(x->scratch);
	free(x->strtmp);
	free(x->spare);
	free(x->dgram);
	free(x->ubuf);
	free(x->q);
	free(x->fbuf);
	free(x->path);
	free(x);
	return ret;
}

static int
ipfix_close(struct sp_exporter *e)
{
	return ipfix_close_stats((struct ipfix_exporter *)e, NULL);
}

static const struct sp_exporter_ops ipfix_ops = {
	.name = "ipfix",
	.write = ipfix_write,
	.flush = ipfix_flush,
	.close = ipfix_close,
};

int
sp_export_ipfix_get_stats(const struct sp_exporter *e, struct sp_ipfix_stats *st)
{
	const struct ipfix_exporter *x = (const struct ipfix_exporter *)e;

	if (e == NULL || st == NULL || e->ops != &ipfix_ops)
		return -EINVAL;
	*st = x->st;
	st->buffered_bytes = x->transport == TR_TCP ? x->q_tail - x->q_head : 0;
	st->connected = x->transport == TR_TCP && x->tcp_state == TCP_UP;
	loss_cause(x, st->loss_cause, sizeof(st->loss_cause));
	return 0;
}

int
sp_export_ipfix_poll_loss(struct sp_exporter *e, uint32_t interval_ms, struct sp_ipfix_loss *l)
{
	struct ipfix_exporter *x = (struct ipfix_exporter *)e;
	uint64_t now;

	if (e == NULL || l == NULL || e->ops != &ipfix_ops)
		return -EINVAL;
	if (x->st.records_dropped == x->reported_records && x->st.refused == x->reported_refused)
		return 0;
	now = mono_ms();
	if (interval_ms != 0 && now < x->report_at_ms)
		return 0;
	l->records = x->st.records_dropped - x->reported_records;
	l->refused = x->st.refused - x->reported_refused;
	loss_cause(x, l->cause, sizeof(l->cause));
	x->reported_records = x->st.records_dropped;
	x->reported_refused = x->st.refused;
	x->report_at_ms = now + interval_ms;
	return 1;
}

int
sp_export_ipfix_close(struct sp_exporter *e, struct sp_ipfix_stats *st)
{
	if (e == NULL || e->ops != &ipfix_ops)
		return -EINVAL;
	return ipfix_close_stats((struct ipfix_exporter *)e, st);
}

/* ------------------------------------------------------------------------ */
/* Opening.                                                                 */

/* "HOST:PORT" or "[V6]:PORT" → resolved address. */
static int
resolve(const char *hp, int socktype, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port[8];
	const char *colon;
	struct addrinfo hints, *res;
	size_t hl;
	char *end;
	unsigned long pv;

	if (hp[0] == '[') {
		const char *rb = strchr(hp, ']');

		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		hl = (size_t)(rb - hp - 1);
		hp++;
		colon = rb + 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL)
			return -EINVAL;
		hl = (size_t)(colon - hp);
		if (memchr(hp, ':', hl) != NULL)
			return -EINVAL;	/* a bare IPv6 address needs brackets */
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	errno = 0;
	pv = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || pv == 0 ||
	    pv > 65535)
		return -EINVAL;
	snprintf(port, sizeof(port), "%lu", pv);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		return -EADDRNOTAVAIL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
resolve_params(struct sp_ipfix_params *p, const struct sp_ipfix_params *in)
{
	if (in != NULL)
		*p = *in;
	else
		memset(p, 0, sizeof(*p));
	if (p->pen == 0)
		p->pen = SP_IPFIX_PEN_DEFAULT;
	if (p->mtu == 0)
		p->mtu = SP_IPFIX_DEFAULT_MTU;
	if (p->template_refresh_ms == 0)
		p->template_refresh_ms = SP_IPFIX_DEFAULT_REFRESH_MS;
	if (p->reconnect_min_ms == 0)
		p->reconnect_min_ms = SP_IPFIX_DEFAULT_RECONNECT_MIN_MS;
	if (p->reconnect_max_ms == 0)
		p->reconnect_max_ms = SP_IPFIX_DEFAULT_RECONNECT_MAX_MS;
	if (p->reconnect_max_ms < p->reconnect_min_ms)
		p->reconnect_max_ms = p->reconnect_min_ms;
	if (p->buffer_size == 0)
		p->buffer_size = SP_IPFIX_DEFAULT_BUFFER;
	if (p->linger_ms == 0)
		p->linger_ms = SP_IPFIX_DEFAULT_LINGER_MS;
}

static int
open_udp(struct ipfix_exporter *x, const char *hp)
{
	int sndbuf = 4 << 20, ret;
	size_t hdrs, cap;

	ret = resolve(hp, SOCK_DGRAM, &x->addr, &x->addrlen);
	if (ret < 0)
		return ret;
	/* IP and UDP headers: the message is what is left of the path MTU. */
	hdrs = x->addr.ss_family == AF_INET6 ? 40 + 8 : 20 + 8;
	if (x->p.mtu < hdrs + SP_IPFIX_MSG_HDR_LEN + 64)
		return -EINVAL;
	x->msg_limit = x->p.mtu - hdrs;
	cap = x->addr.ss_family == AF_INET6 ? UDP_MAX_V6 : UDP_MAX_V4;
	x->msg_cap = RTE_MIN(cap, (size_t)SP_IPFIX_MSG_MAX);
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + RTE_MAX(x->t[0].rec_max,
	    x->t[1].rec_max) > x->msg_cap)
		return -E2BIG;
	x->dgram = malloc(x->msg_cap);
	x->ubuf = malloc(UDP_BATCH * x->msg_limit);
	if (x->dgram == NULL || x->ubuf == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < UDP_BATCH; i++) {
		x->mm[i].msg_hdr.msg_iov = &x->iov[i];
		x->mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* The pace may lag by one batch of the largest records, no more. */
	if (x->p.rate != 0) {
		size_t per_msg = x->msg_limit / RTE_MAX(x->t[0].rec_max, x->t[1].rec_max);

		x->pace_credit_ns = (uint64_t)UDP_BATCH * RTE_MAX((size_t)1, per_msg) * NS_PER_S /
				    x->p.rate;
	}
	x->fd = socket(x->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return -errno;
	/* Best effort: a deeper socket absorbs bursts that would be drops. */
	setsockopt(x->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (connect(x->fd, (struct sockaddr *)&x->addr, x->addrlen) != 0)
		return -errno;
	ret = build_template_msgs(x, x->msg_limit);
	if (ret < 0)
		return ret;
	udp_templates(x, mono_ms());
	return 0;
}

static int
open_tcp(struct ipfix_exporter *x, const char *hp)
{
	int ret;

	ret = resolve(hp, SOCK_STREAM, &x->addr, &x->addrlen);
	if (ret < 0)
		return ret;
	ret = build_template_msgs(x, SP_IPFIX_MSG_MAX);
	if (ret < 0)
		return ret;
	x->q_cap = x->p.buffer_size;
	/* Messages small enough that several fit the queue. */
	x->msg_limit = RTE_MIN((size_t)SP_IPFIX_MSG_MAX, x->q_cap / 4);
	x->msg_cap = x->msg_limit;
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + RTE_MAX(x->t[0].rec_max,
	    x->t[1].rec_max) > x->msg_limit)
		return x->q_cap / 4 >= SP_IPFIX_MSG_MAX ? -E2BIG : -EINVAL;
	x->q = malloc(x->q_cap);
	x->spare = malloc(x->msg_limit);
	if (x->q == NULL || x->spare == NULL)
		return -ENOMEM;
	x->fd = -1;
	x->backoff_ms = x->p.reconnect_min_ms;
	x->tcp_state = TCP_DOWN;
	x->retry_at_ms = 0;
	tcp_pump(x);
	return 0;
}

static int
open_file(struct ipfix_exporter *x, const char *path)
{
	int ret;

	if (path[0] == '\0')
		return -EINVAL;
	x->path = strdup(path);
	if (x->path == NULL)
		return -ENOMEM;
	x->rotate = x->p.rotate_bytes != 0 || x->p.rotate_s != 0;
	x->msg_limit = SP_IPFIX_MSG_MAX;
	x->msg_cap = SP_IPFIX_MSG_MAX;
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + RTE_MAX(x->t[0].rec_max,
	    x->t[1].rec_max) > x->msg_limit)
		return -E2BIG;
	ret = build_template_msgs(x, SP_IPFIX_MSG_MAX);
	if (ret < 0)
		return ret;
	x->fbuf = malloc(FILE_BUF);
	if (x->fbuf == NULL)
		return -ENOMEM;
	x->fd = -1;
	return file_open_next(x);
}

struct sp_exporter *
sp_export_ipfix_open(const char *uri, const struct sp_columns *cols,
		     const struct sp_ipfix_params *p)
{
	struct ipfix_exporter *x;
	size_t str_max = 0;
	unsigned int i;
	int ret;

	if (uri == NULL || cols == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	x->base.ops = &ipfix_ops;
	x->fd = -1;
	resolve_params(&x->p, p);
	x->splt_n = cols->splt_n;
	if (compile_template(x, cols, false) != 0 || compile_template(x, cols, true) != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < x->t[0].nops; i++) {
		const struct ipfix_op *o = &x->t[0].ops[i];

		if (o->enc == SP_IPFIX_ENC_STR)
			str_max = RTE_MAX(str_max, (size_t)o->len);
		else if (o->enc == SP_IPFIX_ENC_PLUGIN_STR)
			str_max = RTE_MAX(str_max, (size_t)o->pc->c.max);
		else if (o->enc == SP_IPFIX_ENC_PLUGIN_LIST_STR)
			str_max = RTE_MAX(str_max, (size_t)o->pc->c.max_str);
	}
	x->scratch = malloc(RTE_MAX(x->t[0].rec_max, x->t[1].rec_max));
	x->strtmp = malloc(2 * str_max + 1);
	if (x->scratch == NULL || x->strtmp == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if (strncmp(uri, "udp://", 6) == 0) {
		x->transport = TR_UDP;
		ret = open_udp(x, uri + 6);
	} else if (strncmp(uri, "tcp://", 6) == 0) {
		x->transport = TR_TCP;
		ret = open_tcp(x, uri + 6);
	} else if (strncmp(uri, "file:", 5) == 0) {
		x->transport = TR_FILE;
		ret = open_file(x, uri + 5);
	} else {
		ret = -EINVAL;
	}
	if (ret == 0)
		return &x->base;
fail:
	if (x->fd >= 0)
		close(x->fd);
	free(x->t[0].trec);
	free(x->t[0].ops);
	free(x->t[1].trec);
	free(x->t[1].ops);
	free(x->tmsg);
	free(x->scratch);
	free(x->strtmp);
	free(x->spare);
	free(x->dgram);
	free(x->ubuf);
	free(x->q);
	free(x->fbuf);
	free(x->path);
	free(x);
	rte_errno = -ret;
	return NULL;
}
