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
	uint32_t next_free;
	uint32_t n;
	struct mdns_name names[MDNS_MAX_NAMES];
};

struct mdns_slot {
	uint32_t entry;			/* 1 + pool index; 0: none */
};

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

struct mdns_worker {
	struct mdns_entry *pool;
	uint32_t n;
	uint32_t free_head;
	uint64_t stats[N_STATS];
};

/*
 * dpkt.dns.unpack_name(buf, off): the name at off (out, its bytes, may be
 * NULL) and the offset after it. Pointers must point before the start of
 * the labels being read, so each one moves strictly backwards: the loop
 * ends within len steps.
 */
static enum nf_rc
dns_name(const uint8_t *b, uint32_t len, uint32_t off, uint32_t *next, char *out, uint8_t *olen)
{
	uint32_t saved = 0, start = off, name_len = 0, o = 0;
	bool first = true;
	char tmp[MDNS_NAME_MAX];

	for (;;) {
		uint8_t n;

		if (off >= len)
			return NF_CAUGHT;		/* NeedData */
		n = b[off];
		if (n == 0) {
			off++;
			break;
		}
		if ((n & 0xc0) == 0xc0) {
			uint32_t ptr;

			if (len - off < 2)
				return NF_CAUGHT;	/* struct.error -> UnpackError */
			ptr = nf_be16(b + off) & 0x3fff;
			if (ptr >= start)
				return NF_CAUGHT;	/* "Invalid label compression pointer" */
			off += 2;
			if (saved == 0)
				saved = off;
			start = off = ptr;
		} else if ((n & 0xc0) == 0) {
			off++;
			name_len += n + 1u;
			if (name_len > 255)
				return NF_CAUGHT;	/* "name longer than 255 bytes" */
			/* a label cut by the end fails at the next turn (off >= len) */
			if (len - off < n)
				return NF_CAUGHT;
			if (!first)
				tmp[o++] = '.';
			memcpy(tmp + o, b + off, n);
			o += n;
			first = false;
			off += n;
		} else {
			return NF_CAUGHT;		/* "Invalid label length" */
		}
	}
	if (saved == 0)
		saved = off;
	/* codecs.decode(name, "utf-8"): UnicodeDecodeError escapes */
	if (!nf_utf8_valid((const uint8_t *)tmp, o))
		return NF_RAISES;
	if (out != NULL) {
		memcpy(out, tmp, o);
		*olen = (uint8_t)o;
	}
	*next = saved;
	return NF_OK;
}

/* DNS.RR.unpack_rdata: whether the record's data decodes. */
static enum nf_rc
dns_rdata(const uint8_t *b, uint32_t len, uint16_t type, uint32_t off, uint16_t rdlen)
{
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
		return dns_name(b, len, off, &next, NULL, NULL);
	case DNS_SOA:
		rc = dns_name(b, len, off, &off, NULL, NULL);
		if (rc == NF_OK)
			rc = dns_name(b, len, off, &off, NULL, NULL);
		if (rc == NF_OK && (off >= len || len - off < 20))
			rc = NF_CAUGHT;		/* struct.unpack('>IIIII') */
		return rc;
	case DNS_MX:
		if (rl < 2)
			return NF_CAUGHT;
		return dns_name(b, len, off + 2, &next, NULL, NULL);
	case DNS_SRV:
		if (rl < 6)
			return NF_CAUGHT;
		return dns_name(b, len, off + 6, &next, NULL, NULL);
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
 * dpkt.dns.DNS(buf). With w NULL: whether it decodes. With w: the PTR
 * answers' names, in order, given to add() (the message is known to decode).
 */
static enum nf_rc
dns_walk(const uint8_t *b, uint32_t len,
	 void (*add)(void *ctx, const char *name, uint8_t n), void *ctx)
{
	uint32_t off = 12;
	enum nf_rc rc;

	if (len < 12)
		return NF_CAUGHT;			/* NeedData */
	for (uint32_t q = nf_be16(b + 4); q > 0; q--) {
		rc = dns_name(b, len, off, &off, NULL, NULL);
		if (rc != NF_OK)
			return rc;
		if (off >= len || len - off < 4)
			return NF_CAUGHT;
		off += 4;
	}
	for (unsigned int sec = 0; sec < 3; sec++) {
		for (uint32_t c = nf_be16(b + 6 + 2 * sec); c > 0; c--) {
			uint16_t type, rdlen;

			rc = dns_name(b, len, off, &off, NULL, NULL);
			if (rc != NF_OK)
				return rc;
			if (off >= len || len - off < 10)
				return NF_CAUGHT;
			type = nf_be16(b + off);
			rdlen = nf_be16(b + off + 8);
			off += 10;
			rc = dns_rdata(b, len, type, off, rdlen);
			if (rc != NF_OK)
				return rc;
			if (add != NULL && sec == 0 && type == DNS_PTR) {
				char name[MDNS_NAME_MAX];
				uint8_t n;
				uint32_t next;

				if (dns_name(b, len, off, &next, name, &n) == NF_OK)
					add(ctx, name, n);
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

	if (s->entry != 0)
		return &w->pool[s->entry - 1];
	if (w->free_head == 0) {
		w->stats[ST_POOL_FULL]++;
		return NULL;
	}
	s->entry = w->free_head;
	e = &w->pool[s->entry - 1];
	w->free_head = e->next_free;
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
	const uint8_t *pl;
	uint32_t pl_len;
	enum nf_rc rc;

	(void)f;
	w->stats[ST_PACKETS]++;
	rc = nf_dpkt_l4_payload(p->ip, p->ip_len, &pl, &pl_len);
	if (rc == NF_OK)
		rc = dns_walk(pl, pl_len, NULL, NULL);
	if (rc != NF_OK) {
		w->stats[rc == NF_CAUGHT ? ST_NOT_DECODED :
			 rc == NF_RAISES ? ST_RAISES : ST_OTHER_PROTO]++;
		return SP_PLUGIN_CONTINUE;
	}
	/* decodes whole: now take its PTR answers (a second walk, same result) */
	(void)dns_walk(pl, pl_len, mdns_add, &a);
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
	if (s->entry == 0)
		return;
	e = &w->pool[s->entry - 1];
	for (uint32_t i = 0; i < e->n; i++)
		sp_plugin_list_add_string(r, 0, e->names[i].b, e->names[i].len);
	e->next_free = w->free_head;
	w->free_head = s->entry;
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

	(void)worker_id;
	(void)socket_id;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->n = max_flows != 0 && max_flows < c->flows ? max_flows : c->flows;
	w->pool = calloc(w->n, sizeof(*w->pool));
	if (w->pool == NULL) {
		free(w);
		return NULL;
	}
	for (uint32_t i = 0; i < w->n; i++)
		w->pool[i].next_free = i + 2 <= w->n ? i + 2 : 0;
	w->free_head = 1;
	return w;
}

static void
mdns_worker_fini(void *wctx)
{
	struct mdns_worker *w = wctx;

	if (w == NULL)
		return;
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
