/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX exporter (RFC 7011) of RFC 5103 biflow records: the encoder. Its
 * transports, behind struct sp_ipfix_transport_ops (ipfix_private.h), are
 * ipfix_udp.c, ipfix_tcp.c and ipfix_file.c (RFC 5655), as libfixbuf
 * separates fBuf (messages) from fbExporter (where they go).
 *
 * Here: the templates, compiled at open into a list of field operations so
 * that a record costs one pass over its columns with no per-field lookup;
 * record encoding (RFC 5103 biflows, RFC 6313 basicLists, plugin columns);
 * messages, their sets and sequence numbers; statistics and the loss
 * accounting the export set reports. Records are encoded straight into the
 * message that will leave, in the room the transport gives (a UDP batch
 * slot, the file buffer, the TCP queue's tail); the transport is called
 * once a message, never once a record. libfixbuf was measured for the same
 * records (tests/bench/bench_export.c) and reaches about half the required
 * rate, hence this encoder; the decoders in the tests are libfixbuf's
 * ipfixDump, nfdump and Wireshark, none of them ours.
 *
 * Nothing blocks for long: this runs on the management lcore.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "ipfix_private.h"

static const struct sp_exporter_ops ipfix_ops;

void
sp_ipfix_set_err(struct sp_ipfix_exporter *x, int err)
{
	if (x->first_err == 0)
		x->first_err = err;
}

/* A message that will never reach the collector, and why. */
void
sp_ipfix_lose(struct sp_ipfix_exporter *x, uint32_t nrec, uint8_t kind, int err)
{
	x->st.messages_dropped++;
	x->st.records_dropped += nrec;
	x->loss_kind = kind;
	x->loss_err = err;
}

static void
loss_cause(const struct sp_ipfix_exporter *x, char *buf, size_t len)
{
	const char *err = x->loss_err != 0 ? strerror(x->loss_err) : "not connected";

	switch (x->loss_kind) {
	case SP_IPFIX_LOSS_UNREACHABLE:
		snprintf(buf, len, "collector unreachable: %s", err);
		break;
	case SP_IPFIX_LOSS_SOCKET:
		snprintf(buf, len, "socket send buffer full: %s", err);
		break;
	case SP_IPFIX_LOSS_QUEUE:
		snprintf(buf, len, "collector too slow: the %zu-byte buffer is full",
			 x->p.buffer_size);
		break;
	case SP_IPFIX_LOSS_RATE:
		snprintf(buf, len, "over the rate of %u records/s for longer than %u datagrams "
			 "of queue", x->p.rate, SP_IPFIX_UDP_BATCH);
		break;
	case SP_IPFIX_LOSS_FILE:
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
op_max_len(const struct sp_ipfix_op *o, uint16_t splt_n)
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
	case SP_IPFIX_ENC_LIST_I8:
	case SP_IPFIX_ENC_LIST_I32:
	case SP_IPFIX_ENC_LIST_I64:
		return 3 + 9 + (size_t)splt_n * o->item_len;
	case SP_IPFIX_ENC_PLUGIN_NUM:
		return o->len;
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
compile_template(struct sp_ipfix_exporter *x, const struct sp_columns *cols, bool v6)
{
	struct sp_ipfix_tmpl *t = &x->t[v6];
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
	sp_ipfix_put16(t->trec, t->tid);
	sp_ipfix_put16(t->trec + 2, (uint16_t)n);
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = &f[i].ie;
		struct sp_ipfix_op *o = &t->ops[i];

		sp_ipfix_put16(p, ie->id | (ie->pen != 0 ? SP_IPFIX_ENTERPRISE_BIT : 0));
		sp_ipfix_put16(p + 2, ie->len);
		p += 4;
		if (ie->pen != 0) {
			sp_ipfix_put32(p, ie->pen);
			p += 4;
		}
		o->off = f[i].col->offset;
		o->enc = f[i].enc;
		o->len = ie->len;
		if (o->enc == SP_IPFIX_ENC_RAW)
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
		sp_ipfix_put16(p, (uint16_t)n);
		p += 2;
	}
	return p;
}

/* A plugin column's value. IPFIX has no None: numbers are 0 (NaN for a
 * float), strings empty, lists empty (docs/plugins.md). */
static uint8_t *
put_plugin(struct sp_ipfix_exporter *x, uint8_t *p, const struct sp_ipfix_op *o,
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
		/* an internal column's element may be narrower (its value fits) */
		if (o->len == 1) {
			*p = (uint8_t)w;
			return p + 1;
		}
		if (o->len == 2) {
			sp_ipfix_put16(p, (uint16_t)w);
			return p + 2;
		}
		if (o->len == 4) {
			sp_ipfix_put32(p, (uint32_t)w);
			return p + 4;
		}
		w = rte_cpu_to_be_64(w);
		memcpy(p, &w, 8);
		return p + 8;
	case SP_IPFIX_ENC_PLUGIN_STR:
		/* RFC 7011 strings are UTF-8: invalid sequences dropped as in the CSV */
		len = sp_export_fmt_utf8_bytes((char *)x->strtmp, (const char *)v, n);
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
	sp_ipfix_put16(p, o->item_id);
	sp_ipfix_put16(p + 2, o->enc == SP_IPFIX_ENC_PLUGIN_LIST_I64 ? 8 : SP_IPFIX_VARLEN);
	sp_ipfix_put32(p + 4, x->p.pen);
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
		len = sp_export_fmt_utf8_bytes((char *)x->strtmp, (const char *)v +
					       (size_t)i * SP_PLUGINS_STR_ELT(pc->c.max_str) + 2, l);
		p = put_varlen(p, len);
		memcpy(p, x->strtmp, len);
		p += len;
	}
	sp_ipfix_put16(start + 1, (uint16_t)(p - start - 3));
	return p;
}

static void
msg_header(uint8_t *m, size_t len, uint32_t seq, uint32_t domain)
{
	sp_ipfix_put16(m, SP_IPFIX_VERSION);
	sp_ipfix_put16(m + 2, (uint16_t)len);
	sp_ipfix_put32(m + 4, (uint32_t)time(NULL));
	sp_ipfix_put32(m + 8, seq);
	sp_ipfix_put32(m + 12, domain);
}

/* The template messages: both templates in one set if they fit, else one message each. */
int
sp_ipfix_tmpl_build(struct sp_ipfix_exporter *x, size_t limit)
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
		sp_ipfix_put16(set, SP_IPFIX_SET_TEMPLATE);
		sp_ipfix_put16(set + 2, (uint16_t)(len - SP_IPFIX_MSG_HDR_LEN));
		msg_header(p, len, 0, x->p.domain_id);
		x->tmsg_len[i] = len;
		p += len;
	}
	x->tmsg_total = (size_t)(p - x->tmsg);
	return 0;
}

/* Stamp the template messages with the current time and a sequence number. */
void
sp_ipfix_tmpl_stamp(struct sp_ipfix_exporter *x, uint32_t seq)
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

static uint8_t *
put_list(const struct sp_ipfix_exporter *x, uint8_t *p, const struct sp_ipfix_op *o,
	 const struct sp_flow_record *r)
{
	uint16_t n = r->splt_n, i;
	size_t total = 1 + 2 + 2 + 4 + (size_t)n * o->item_len;

	if (total < 255) {
		*p++ = (uint8_t)total;
	} else {
		*p++ = 255;
		sp_ipfix_put16(p, (uint16_t)total);
		p += 2;
	}
	*p++ = SP_IPFIX_LIST_ORDERED;
	sp_ipfix_put16(p, o->item_id);
	sp_ipfix_put16(p + 2, o->item_len);
	sp_ipfix_put32(p + 4, x->p.pen);
	p += 8;
	switch (o->enc) {
	case SP_IPFIX_ENC_LIST_I8:
		memcpy(p, sp_record_splt_direction(r), n);
		p += n;
		break;
	case SP_IPFIX_ENC_LIST_I32: {
		const int32_t *v = sp_record_splt_ps(r);

		for (i = 0; i < n; i++, p += 4)
			sp_ipfix_put32(p, (uint32_t)v[i]);
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
encode_record(struct sp_ipfix_exporter *x, const struct sp_ipfix_tmpl *t,
	      const struct sp_flow_record *r, uint8_t *dst)
{
	const uint8_t *base = (const uint8_t *)r;
	uint8_t *p = dst;
	unsigned int i;

	for (i = 0; i < t->nops; i++) {
		const struct sp_ipfix_op *o = &t->ops[i];
		const uint8_t *v = base + o->off;

		switch (o->enc) {
		case SP_IPFIX_ENC_U8:
			*p++ = *v;
			break;
		case SP_IPFIX_ENC_U16: {
			uint16_t w;

			memcpy(&w, v, 2);
			sp_ipfix_put16(p, w);
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
/* Messages.                                                                */

static void
begin_message(struct sp_ipfix_exporter *x)
{
	x->msg = x->tr->begin(x);
	x->msg_len = SP_IPFIX_MSG_HDR_LEN;
	x->set_off = 0;
	x->msg_nrec = 0;
}

/* Close the message and hand it to the transport. */
static void
finish_message(struct sp_ipfix_exporter *x)
{
	uint8_t *m = x->msg;

	if (m == NULL)
		return;
	x->msg = NULL;
	if (x->msg_nrec == 0)
		return;
	sp_ipfix_put16(m + x->set_off + 2, (uint16_t)(x->msg_len - x->set_off));
	msg_header(m, x->msg_len, x->seq, x->p.domain_id);
	x->seq += x->msg_nrec;
	x->tr->write(x, m, x->msg_len, x->msg_nrec);
}

static int
ipfix_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct sp_ipfix_exporter *x = (struct sp_ipfix_exporter *)e;
	const struct sp_ipfix_tmpl *t = &x->t[r->st.ip_version != 4];
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
			x->msg = x->lone;
		}
		dst = x->msg + x->msg_len + hdr;
		memcpy(dst, x->scratch, len);
	}
	if (hdr != 0) {
		if (x->set_off != 0)
			sp_ipfix_put16(x->msg + x->set_off + 2, (uint16_t)(x->msg_len - x->set_off));
		x->set_off = x->msg_len;
		x->set_tid = t->tid;
		sp_ipfix_put16(x->msg + x->set_off, t->tid);
		x->msg_len += SP_IPFIX_SET_HDR_LEN;
	}
	x->msg_len += len;
	x->msg_nrec++;
	x->st.records++;
	/* A lone oversize UDP record leaves at once. */
	if (unlikely(x->msg_len > x->msg_limit))
		finish_message(x);
	/* A file cut short by a failed write: the error, until the next file. */
	if (unlikely(x->dead) && x->first_err != 0)
		return x->first_err;
	return 0;
}

static int
ipfix_flush(struct sp_exporter *e)
{
	struct sp_ipfix_exporter *x = (struct sp_ipfix_exporter *)e;

	finish_message(x);
	return x->tr->flush(x);
}

/* Free it all; the transport's part only once its open was called. */
static void
ipfix_free(struct sp_ipfix_exporter *x, bool opened)
{
	if (opened)
		x->tr->release(x);
	free(x->t[0].trec);
	free(x->t[0].ops);
	free(x->t[1].trec);
	free(x->t[1].ops);
	free(x->tmsg);
	free(x->scratch);
	free(x->strtmp);
	free(x);
}

static int
ipfix_close_stats(struct sp_ipfix_exporter *x, struct sp_ipfix_stats *st)
{
	int ret;

	finish_message(x);
	x->tr->close(x);
	if (st != NULL)
		sp_export_ipfix_get_stats(&x->base, st);
	ret = x->first_err;
	ipfix_free(x, true);
	return ret;
}

static int
ipfix_close(struct sp_exporter *e)
{
	return ipfix_close_stats((struct sp_ipfix_exporter *)e, NULL);
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
	const struct sp_ipfix_exporter *x = (const struct sp_ipfix_exporter *)e;

	if (e == NULL || st == NULL || e->ops != &ipfix_ops)
		return -EINVAL;
	*st = x->st;
	st->buffered_bytes = 0;
	st->connected = false;
	if (x->tr->stats != NULL)
		x->tr->stats(x, st);
	loss_cause(x, st->loss_cause, sizeof(st->loss_cause));
	return 0;
}

int
sp_export_ipfix_poll_loss(struct sp_exporter *e, uint32_t interval_ms, struct sp_ipfix_loss *l)
{
	struct sp_ipfix_exporter *x = (struct sp_ipfix_exporter *)e;
	uint64_t now;

	if (e == NULL || l == NULL || e->ops != &ipfix_ops)
		return -EINVAL;
	if (x->st.records_dropped == x->reported_records && x->st.refused == x->reported_refused)
		return 0;
	now = sp_ipfix_mono_ms();
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
	return ipfix_close_stats((struct sp_ipfix_exporter *)e, st);
}

/* ------------------------------------------------------------------------ */
/* Opening.                                                                 */

/* "HOST:PORT" or "[V6]:PORT" → resolved address. */
int
sp_ipfix_resolve(const char *hp, int socktype, struct sockaddr_storage *ss, socklen_t *len)
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

static const struct sp_ipfix_transport_ops *const transports[] = {
	&sp_ipfix_udp,
	&sp_ipfix_tcp,
	&sp_ipfix_file,
};

const struct sp_ipfix_transport_ops *
sp_ipfix_transport(const char *uri)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(transports); i++)
		if (strncmp(uri, transports[i]->scheme, strlen(transports[i]->scheme)) == 0)
			return transports[i];
	return NULL;
}

struct sp_exporter *
sp_export_ipfix_open(const char *uri, const struct sp_columns *cols,
		     const struct sp_ipfix_params *p)
{
	const struct sp_ipfix_transport_ops *tr;
	struct sp_ipfix_exporter *x;
	bool opened = false;
	size_t str_max = 0;
	unsigned int i;
	int ret;

	if (uri == NULL || cols == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	tr = sp_ipfix_transport(uri);
	if (tr == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* The transport's state follows the exporter's (ipfix_private.h). */
	x = calloc(1, tr->size);
	if (x == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	x->base.ops = &ipfix_ops;
	x->tr = tr;
	resolve_params(&x->p, p);
	x->splt_n = cols->splt_n;
	if (compile_template(x, cols, false) != 0 || compile_template(x, cols, true) != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < x->t[0].nops; i++) {
		const struct sp_ipfix_op *o = &x->t[0].ops[i];

		if (o->enc == SP_IPFIX_ENC_PLUGIN_STR)
			str_max = RTE_MAX(str_max, (size_t)o->pc->c.max);
		else if (o->enc == SP_IPFIX_ENC_PLUGIN_LIST_STR)
			str_max = RTE_MAX(str_max, (size_t)o->pc->c.max_str);
	}
	x->scratch = malloc(sp_ipfix_rec_max(x));
	x->strtmp = malloc(2 * str_max + 1);
	if (x->scratch == NULL || x->strtmp == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	opened = true;
	ret = tr->open(x, uri + strlen(tr->scheme));
	if (ret == 0)
		return &x->base;
fail:
	ipfix_free(x, opened);
	rte_errno = -ret;
	return NULL;
}
