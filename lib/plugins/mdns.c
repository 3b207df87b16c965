/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NFStream's MDNS() plugin (nfstream/plugins/mdns.py), with its output
 * exactly: udps.mdns_ptr, the PTR names of the answers of the flow's
 * packets, in order, each once, ',' written as ' ' (docs/plugins.md).
 *
 * Only flows whose first packet goes to port 5353 are looked at; each
 * packet of such a flow is decoded as dpkt.dns.DNS does: the whole message
 * (questions, answers, authority, additional) must decode, or the packet
 * gives nothing: dpkt 1.9.8 knows the record types A, NS, CNAME, SOA, NULL,
 * PTR, HINFO, MX, TXT, AAAA, SRV and OPT and rejects the others (NSEC, ...),
 * follows only compression pointers that go backwards, and rejects names
 * longer than 255 bytes. Names that are not UTF-8 make dpkt raise an
 * exception NFStream does not catch; here the packet gives nothing and is
 * counted.
 *
 * Memory: the slot is 4 bytes (an index); an mDNS flow's names live in a
 * per-worker pool of entries sized at start (option `flows`), taken at its
 * first PTR answer and given back at its end. Nothing is allocated per
 * packet. A flow keeps at most MDNS_MAX_NAMES names (more are counted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_plugin.h>

#include "nf_dpkt.h"
#include "nf_pool.h"

#define MDNS_PORT 5353
#define MDNS_FLOWS_DEFAULT 1024u
#define MDNS_FLOWS_MAX (1u << 20)
#define MDNS_MAX_NAMES 32
/* dpkt: the labels and their length bytes at most 255, so a name (the
 * labels joined with '.') is at most 254 bytes */
#define MDNS_NAME_MAX 255

static const struct sp_plugin_column mdns_columns[] = {
	{ .name = "udps.mdns_ptr", .type = SP_PLUGIN_STRING_LIST, .max = MDNS_MAX_NAMES,
	  .max_str = MDNS_NAME_MAX },
};

enum { DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_SOA = 6, DNS_NULL = 10, DNS_PTR = 12,
	DNS_HINFO = 13, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_SRV = 33, DNS_OPT = 41 };

struct mdns_name {
	uint8_t len;
	char b[MDNS_NAME_MAX];
};

struct mdns_entry {
	uint32_t n;
	struct mdns_name names[MDNS_MAX_NAMES];
};

struct mdns_slot {
	uint32_t entry;			/* 1 + pool index; 0: none; SLOT_LOST */
};

/* The pool was empty when the flow needed an entry: it keeps no value at
 * all (rather than the later ones only), so that its row is plainly empty. */
#define SLOT_LOST UINT32_MAX

struct mdns_conf {
	uint32_t flows;
};

enum { ST_PACKETS, ST_NOT_DECODED, ST_RAISES, ST_OTHER_PROTO, ST_POOL_FULL, ST_NAMES_CUT,
	N_STATS };

static const char *const stat_names[N_STATS] = {
	[ST_PACKETS] = "mdns_packets",
	[ST_NOT_DECODED] = "not_decoded",
	[ST_RAISES] = "nfstream_raises",
	[ST_OTHER_PROTO] = "other_protocol",
	[ST_POOL_FULL] = "pool_full",
	[ST_NAMES_CUT] = "names_cut",
};


/*
 * Names. dpkt.dns.unpack_name() follows a compression pointer only when it
 * points before the start of the labels being read, so a name ends, but a
 * chain of pointers each to the one before makes every name that uses it
 * cost the chain's length: a 64 KiB message could make a worker walk
 * hundreds of millions of pointers. What a name gives from a pointer
 * target on (its labels' length, whether it decodes, its first label) does
 * not depend on how it was reached, so it is worked out once per target
 * and packet (targets are below 2^14) and every name costs its own labels.
 */
#define MEMO_N 16384u
#define MEMO_NONE 0xffffu

enum { M_BAD = 1, M_UTF8_BAD = 2 };

struct mdns_memo {
	uint32_t gen;			/* the packet's number */
	uint32_t seen[MEMO_N];		/* gen when worked out */
	uint16_t units[MEMO_N];		/* label bytes and length bytes from here */
	uint16_t first[MEMO_N];		/* the first label from here, or MEMO_NONE */
	uint8_t flags[MEMO_N];		/* M_BAD: dpkt fails; M_UTF8_BAD: not UTF-8 */
	uint16_t stack[MEMO_N];
};

/* One message being decoded. */
struct dns_msg {
	const uint8_t *b;
	uint32_t len;
	struct mdns_memo *m;
};

/* The end of a name's segment: the 0 or a pointer. */
#define SEG_END 0xffffffffu

/*
 * The labels from o to the name's end or its next pointer, as dpkt reads
 * them when the current labels started at s: their units (length bytes
 * included), whether they decode as UTF-8 (joined with '.', which is
 * ASCII, a name decodes when each label does), the pointer's target (or
 * SEG_END) and the offset after the segment.
 * @return 0, or -1 where dpkt raises NeedData/UnpackError.
 */
static int
dns_segment(const struct dns_msg *d, uint32_t o, uint32_t s, uint32_t *units, bool *utf8,
	    uint32_t *ptr, uint32_t *after)
{
	*units = 0;
	*utf8 = true;
	for (;;) {
		uint8_t n;

		if (o >= d->len)
			return -1;			/* NeedData */
		n = d->b[o];
		if (n == 0) {
			*ptr = SEG_END;
			*after = o + 1;
			return 0;
		}
		if ((n & 0xc0) == 0xc0) {
			if (d->len - o < 2)
				return -1;		/* struct.error -> UnpackError */
			*ptr = nf_be16(d->b + o) & 0x3fff;
			if (*ptr >= s)
				return -1;		/* "Invalid label compression pointer" */
			*after = o + 2;
			return 0;
		}
		if ((n & 0xc0) != 0)
			return -1;			/* "Invalid label length" */
		o++;
		*units += n + 1u;
		if (*units > 255)
			return -1;			/* "name longer than 255 bytes" */
		/* a label cut by the end fails at the next turn (off >= len) */
		if (d->len - o < n)
			return -1;
		if (!nf_utf8_valid(d->b + o, n))
			*utf8 = false;
		o += n;
	}
}

struct mdns_worker {
	struct mdns_entry *pool;
	struct nf_pool free;		/* which of pool[] are free */
	uint64_t stats[N_STATS];
	struct mdns_memo memo;
};

/* Work out the name from pointer target q on (and the targets it uses). */
static void
memo_get(const struct dns_msg *d, uint32_t q)
{
	struct mdns_memo *m = d->m;
	uint32_t sp = 0;

	if (m->seen[q] == m->gen)
		return;
	m->stack[sp++] = (uint16_t)q;
	while (sp > 0) {
		uint32_t p = m->stack[sp - 1], units, ptr, after;
		bool utf8;
		uint8_t fl = 0;
		uint16_t first = MEMO_NONE;

		/* reached by a jump: the labels being read start at p */
		if (dns_segment(d, p, p, &units, &utf8, &ptr, &after) != 0) {
			fl = M_BAD;
		} else {
			if (units > 0)
				first = (uint16_t)p;
			if (ptr != SEG_END) {
				if (m->seen[ptr] != m->gen) {
					/* ptr < p: the stack is at most MEMO_N deep */
					m->stack[sp++] = (uint16_t)ptr;
					continue;
				}
				fl = m->flags[ptr];
				if (!(fl & M_BAD) && units + m->units[ptr] > 255)
					fl = M_BAD;
				units += m->units[ptr];
				if (first == MEMO_NONE)
					first = m->first[ptr];
			}
			if (!utf8)
				fl |= M_UTF8_BAD;
		}
		m->units[p] = (uint16_t)(units > 256 ? 256 : units);
		m->flags[p] = fl;
		m->first[p] = first;
		m->seen[p] = m->gen;
		sp--;
	}
}

/*
 * dpkt.dns.unpack_name(buf, off): whether the name at off decodes, and the
 * offset after it.
 */
static enum nf_rc
dns_name(const struct dns_msg *d, uint32_t off, uint32_t *next)
{
	uint32_t units, ptr, after;
	bool utf8;

	if (dns_segment(d, off, off, &units, &utf8, &ptr, &after) != 0)
		return NF_CAUGHT;
	if (ptr != SEG_END) {
		memo_get(d, ptr);
		if ((d->m->flags[ptr] & M_BAD) || units + d->m->units[ptr] > 255)
			return NF_CAUGHT;
		if (d->m->flags[ptr] & M_UTF8_BAD)
			utf8 = false;
	}
	/* codecs.decode(name, "utf-8"): UnicodeDecodeError escapes */
	if (!utf8)
		return NF_RAISES;
	*next = after;
	return NF_OK;
}

/*
 * The text of a name dns_name() took: its labels joined with '.', each
 * pointer followed to the first label after it (at most 254 bytes).
 */
static uint8_t
dns_name_text(const struct dns_msg *d, uint32_t o, char *out)
{
	uint32_t n_out = 0;

	while (o != MEMO_NONE && o < d->len && d->b[o] != 0) {
		uint8_t n = d->b[o];

		if ((n & 0xc0) == 0xc0) {
			o = d->m->first[nf_be16(d->b + o) & 0x3fff];
			continue;
		}
		if (n_out > 0)
			out[n_out++] = '.';
		memcpy(out + n_out, d->b + o + 1, n);
		n_out += n;
		o += 1u + n;
	}
	return (uint8_t)n_out;
}

/* DNS.RR.unpack_rdata: whether the record's data decodes. */
static enum nf_rc
dns_rdata(const struct dns_msg *d, uint16_t type, uint32_t off, uint16_t rdlen)
{
	const uint8_t *b = d->b;
	uint32_t len = d->len;
	/* rdata = buf[off:off + rdlen], cut at the end */
	uint32_t rl = off >= len ? 0 : (len - off < rdlen ? len - off : rdlen);
	uint32_t next;
	enum nf_rc rc;

	switch (type) {
	case DNS_A:
	case DNS_AAAA:
	case DNS_NULL:
	case DNS_OPT:
		return NF_OK;
	case DNS_NS:
	case DNS_CNAME:
	case DNS_PTR:
		/* the name is read from the whole message, not only rdata */
		return dns_name(d, off, &next);
	case DNS_SOA:
		rc = dns_name(d, off, &off);
		if (rc == NF_OK)
			rc = dns_name(d, off, &off);
		if (rc == NF_OK && (off >= len || len - off < 20))
			rc = NF_CAUGHT;		/* struct.unpack('>IIIII') */
		return rc;
	case DNS_MX:
		if (rl < 2)
			return NF_CAUGHT;
		return dns_name(d, off + 2, &next);
	case DNS_SRV:
		if (rl < 6)
			return NF_CAUGHT;
		return dns_name(d, off + 6, &next);
	case DNS_TXT:
	case DNS_HINFO: {
		const uint8_t *t = b + off;
		uint32_t i = 0;

		/* each string decoded as UTF-8: UnicodeDecodeError escapes */
		while (i < rl) {
			uint32_t n = t[i];
			uint32_t sl = rl - i - 1 < n ? rl - i - 1 : n;

			if (!nf_utf8_valid(t + i + 1, sl))
				return NF_RAISES;
			i += 1 + n;
		}
		return NF_OK;
	}
	default:
		return NF_CAUGHT;		/* "RR type %s is not supported" */
	}
}

/*
 * dpkt.dns.DNS(buf): whether the message decodes. With add: the PTR
 * answers' names, in order (the message is known to decode).
 */
static enum nf_rc
dns_walk(const struct dns_msg *d, void (*add)(void *ctx, const char *name, uint8_t n),
	 void *ctx)
{
	const uint8_t *b = d->b;
	uint32_t off = 12, len = d->len;
	enum nf_rc rc;

	if (len < 12)
		return NF_CAUGHT;			/* NeedData */
	for (uint32_t q = nf_be16(b + 4); q > 0; q--) {
		rc = dns_name(d, off, &off);
		if (rc != NF_OK)
			return rc;
		if (off >= len || len - off < 4)
			return NF_CAUGHT;		/* struct.unpack('>HH') */
		off += 4;
	}
	for (unsigned int sec = 0; sec < 3; sec++) {
		for (uint32_t c = nf_be16(b + 6 + 2 * sec); c > 0; c--) {
			uint16_t type, rdlen;

			rc = dns_name(d, off, &off);
			if (rc != NF_OK)
				return rc;
			if (off >= len || len - off < 10)
				return NF_CAUGHT;	/* struct.unpack('>HHIH') */
			type = nf_be16(b + off);
			rdlen = nf_be16(b + off + 8);
			off += 10;
			rc = dns_rdata(d, type, off, rdlen);
			if (rc != NF_OK)
				return rc;
			if (add != NULL && sec == 0 && type == DNS_PTR) {
				char name[MDNS_NAME_MAX];

				add(ctx, name, dns_name_text(d, off, name));
			}
			/* off += rdlen, past the end too: the next read fails */
			off += rdlen;
		}
	}
	return NF_OK;
}

struct mdns_add_ctx {
	struct mdns_worker *w;
	struct mdns_slot *s;
};

static struct mdns_entry *
entry_get(struct mdns_worker *w, struct mdns_slot *s)
{
	struct mdns_entry *e;

	if (s->entry == SLOT_LOST)
		return NULL;
	if (s->entry != 0)
		return &w->pool[s->entry - 1];
	s->entry = nf_pool_get(&w->free);
	if (s->entry == 0) {
		w->stats[ST_POOL_FULL]++;
		s->entry = SLOT_LOST;
		return NULL;
	}
	e = &w->pool[s->entry - 1];
	e->n = 0;
	return e;
}

/* `ptr = answer.ptrname.replace(",", " ")`, appended unless already there. */
static void
mdns_add(void *ctx, const char *name, uint8_t n)
{
	struct mdns_add_ctx *a = ctx;
	struct mdns_entry *e;
	char ptr[MDNS_NAME_MAX];

	for (uint8_t i = 0; i < n; i++)
		ptr[i] = name[i] == ',' ? ' ' : name[i];
	e = entry_get(a->w, a->s);
	if (e == NULL)
		return;
	for (uint32_t i = 0; i < e->n; i++)
		if (e->names[i].len == n && memcmp(e->names[i].b, ptr, n) == 0)
			return;
	if (e->n == MDNS_MAX_NAMES) {
		a->w->stats[ST_NAMES_CUT]++;
		return;
	}
	e->names[e->n].len = n;
	memcpy(e->names[e->n].b, ptr, n);
	e->n++;
}

static int
mdns_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
	       const struct sp_plugin_flow *f)
{
	struct mdns_worker *w = wctx;
	struct mdns_add_ctx a = { .w = w, .s = slot };
	struct dns_msg d;
	const uint8_t *pl = NULL;
	uint32_t pl_len = 0;
	enum nf_rc rc;

	(void)f;
	w->stats[ST_PACKETS]++;
	rc = nf_dpkt_l4_payload(p->ip, p->ip_len, &pl, &pl_len);
	d.b = pl;
	d.len = pl_len;
	d.m = &w->memo;
	/* a new packet: the memo's entries are stale */
	if (++w->memo.gen == 0) {
		memset(w->memo.seen, 0, sizeof(w->memo.seen));
		w->memo.gen = 1;
	}
	if (rc == NF_OK)
		rc = dns_walk(&d, NULL, NULL);
	if (rc != NF_OK) {
		w->stats[rc == NF_CAUGHT ? ST_NOT_DECODED :
			 rc == NF_RAISES ? ST_RAISES : ST_OTHER_PROTO]++;
		return SP_PLUGIN_CONTINUE;
	}
	/* decodes whole: now take its PTR answers (a second walk, same result) */
	(void)dns_walk(&d, mdns_add, &a);
	return SP_PLUGIN_CONTINUE;
}

static int
mdns_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	     const struct sp_plugin_flow *f)
{
	/* mdns.py tests flow.dst_port, fixed by the first packet */
	if (sp_plugin_flow_dst_port(f) != MDNS_PORT)
		return SP_PLUGIN_DONE;
	return mdns_on_update(wctx, slot, p, f);
}

static void
mdns_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f,
	       struct sp_plugin_record *r)
{
	struct mdns_worker *w = wctx;
	struct mdns_slot *s = slot;
	struct mdns_entry *e;

	(void)f;
	/* mdns.py's on_init: mdns_ptr = [] on every flow */
	sp_plugin_list_clear(r, 0);
	if (s->entry == 0 || s->entry == SLOT_LOST) {
		s->entry = 0;
		return;
	}
	e = &w->pool[s->entry - 1];
	for (uint32_t i = 0; i < e->n; i++)
		sp_plugin_list_add_string(r, 0, e->names[i].b, e->names[i].len);
	nf_pool_put(&w->free, s->entry);
	s->entry = 0;
}

static int
mdns_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	       struct sp_plugin_config *out, char *err, size_t errlen)
{
	struct mdns_conf *c;
	uint32_t flows = MDNS_FLOWS_DEFAULT;

	for (unsigned int i = 0; i < n_opts; i++) {
		char *end;
		unsigned long v;

		if (strcmp(opts[i].key, "flows") != 0) {
			snprintf(err, errlen, "unknown option '%s' (mdns takes flows=N)",
				 opts[i].key);
			return -EINVAL;
		}
		errno = 0;
		v = strtoul(opts[i].value, &end, 10);
		if (opts[i].value[0] < '0' || opts[i].value[0] > '9' || *end != '\0' ||
		    errno != 0 || v < 1 || v > MDNS_FLOWS_MAX) {
			snprintf(err, errlen, "flows: '%s' is not in 1..%u", opts[i].value,
				 MDNS_FLOWS_MAX);
			return -EINVAL;
		}
		flows = (uint32_t)v;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->flows = flows;
	out->slot_size = sizeof(struct mdns_slot);
	out->columns = mdns_columns;
	out->n_columns = 1;
	out->conf = c;
	return 0;
}

static void
mdns_deconfigure(void *conf)
{
	free(conf);
}

static void *
mdns_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct mdns_conf *c = conf;
	struct mdns_worker *w;
	uint32_t n;

	(void)worker_id;
	(void)socket_id;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	n = max_flows != 0 && max_flows < c->flows ? max_flows : c->flows;
	w->pool = calloc(n, sizeof(*w->pool));
	if (w->pool == NULL || nf_pool_init(&w->free, n) != 0) {
		free(w->pool);
		free(w);
		return NULL;
	}
	return w;
}

static void
mdns_worker_fini(void *wctx)
{
	struct mdns_worker *w = wctx;

	if (w == NULL)
		return;
	nf_pool_fini(&w->free);
	free(w->pool);
	free(w);
}

static unsigned int
mdns_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct mdns_worker *w = wctx;
	unsigned int i;

	for (i = 0; i < N_STATS && i < max; i++) {
		out[i].name = stat_names[i];
		out[i].value = w->stats[i];
	}
	return i;
}

const struct sp_plugin sp_plugin_mdns = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "mdns",
	.version = "1.0",
	.description = "NFStream's MDNS(): the PTR answers of mDNS flows (udps.mdns_ptr)",
	.configure = mdns_configure,
	.deconfigure = mdns_deconfigure,
	.worker_init = mdns_worker_init,
	.worker_fini = mdns_worker_fini,
	.on_init = mdns_on_init,
	.on_update = mdns_on_update,
	.on_expire = mdns_on_expire,
	.stats = mdns_stats,
};
