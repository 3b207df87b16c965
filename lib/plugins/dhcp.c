/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NFStream's DHCP() plugin (nfstream/plugins/dhcp.py), with its output
 * exactly: the same columns in the same order, the same values and the
 * same flow ends (docs/plugins.md, "Shipped plugins").
 *
 * Only flows whose first packet goes to port 67 are looked at; every packet
 * of such a flow, both directions, is decoded as dpkt does it (nf_dpkt.h)
 * and its options folded into the flow's values as dhcp.py does. A flow
 * ends (verdict expire: expiration_id -1) on an ACK, NACK, INFORM or
 * DECLINE, or on any DHCP packet of a flow from 0.0.0.0.
 *
 * Memory: most flows carry no DHCP, so the per-flow slot is 4 bytes (an
 * index) and a DHCP flow's values live in a per-worker pool of entries
 * sized at start (option `flows`), taken at its first DHCP packet and given
 * back at its end. Values are kept raw (at most 255 bytes, an option's
 * length) and formatted in on_expire. Nothing is allocated per packet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_plugin.h>

#include "nf_dpkt.h"
#include "nf_pool.h"

#define DHCP_PORT 67
#define DHCP_HDR_LEN 240		/* dpkt.dhcp.DHCP.__hdr_len__ */
#define DHCP_FLOWS_DEFAULT 4096u
#define DHCP_FLOWS_MAX (1u << 20)
/* dhcp_options: codes of one REQUEST kept; beyond, cut and counted */
#define DHCP_MAX_OPTIONS 64

enum {
	COL_12, COL_50, COL_55, COL_57, COL_60, COL_77, COL_OPTIONS, COL_ADDR, COL_MSG_TYPE,
	COL_OUI, N_COLS
};

/* NFStream's columns, in the order dhcp.py's on_init sets them. */
static const struct sp_plugin_column dhcp_columns[N_COLS] = {
	/* hostname decoded with U+FFFD for bad UTF-8: up to 3 bytes per byte */
	[COL_12] = { .name = "udps.dhcp_12", .type = SP_PLUGIN_STRING, .max = 765 },
	/* an IPv4 address, or an IPv6 one for a long option */
	[COL_50] = { .name = "udps.dhcp_50", .type = SP_PLUGIN_STRING, .max = 39 },
	/* "1,3,6": up to 255 codes of up to 3 digits and a comma */
	[COL_55] = { .name = "udps.dhcp_55", .type = SP_PLUGIN_STRING, .max = 1019 },
	[COL_57] = { .name = "udps.dhcp_57", .type = SP_PLUGIN_UINT },
	[COL_60] = { .name = "udps.dhcp_60", .type = SP_PLUGIN_STRING, .max = 255 },
	[COL_77] = { .name = "udps.dhcp_77", .type = SP_PLUGIN_STRING, .max = 255 },
	[COL_OPTIONS] = { .name = "udps.dhcp_options", .type = SP_PLUGIN_INT_LIST,
			  .max = DHCP_MAX_OPTIONS },
	[COL_ADDR] = { .name = "udps.dhcp_addr", .type = SP_PLUGIN_STRING, .max = 15 },
	[COL_MSG_TYPE] = { .name = "udps.dhcp_msg_type", .type = SP_PLUGIN_STRING, .max = 16 },
	[COL_OUI] = { .name = "udps.dhcp_oui", .type = SP_PLUGIN_STRING, .max = 8 },
};

/* dhcp.py's MsgType, as str() of the enum shows it */
static const char *const msg_type_repr[9] = {
	"0", "MsgType.DISCOVER", "MsgType.OFFER", "MsgType.REQUEST", "MsgType.DECLINE",
	"MsgType.ACK", "MsgType.NACK", "MsgType.RELEASE", "MsgType.INFORM",
};

enum { MT_REQUEST = 3, MT_DECLINE = 4, MT_ACK = 5, MT_NACK = 6, MT_INFORM = 8 };

/* Which values of a flow are set (not None). */
enum {
	HAS_12 = 1 << 0, HAS_50 = 1 << 1, HAS_55 = 1 << 2, HAS_57 = 1 << 3, HAS_60 = 1 << 4,
	HAS_77 = 1 << 5, HAS_OPTIONS = 1 << 6, HAS_ADDR = 1 << 7, HAS_MSG_TYPE = 1 << 8,
	HAS_OUI = 1 << 9, HAS_57_BIG = 1 << 10,
};

/* A raw option value (Python bytes). */
struct dhcp_bytes {
	uint8_t len;
	uint8_t b[255];
};

/* One DHCP flow's values, raw. */
struct dhcp_entry {
	uint32_t has;
	uint8_t msg_type;		/* the first packet's: 0 (no option 53) or 1..8 */
	uint8_t oui[3];
	uint32_t addr;			/* ciaddr, host order */
	uint64_t v57;
	uint8_t v50[16];		/* the option as a 128-bit big-endian number */
	uint8_t v50_v6;			/* 1: >= 2^32, written as IPv6 */
	uint8_t n_options;
	uint8_t options[DHCP_MAX_OPTIONS];
	struct dhcp_bytes v12, v55, v60, v77;
};

struct dhcp_slot {
	uint32_t entry;			/* 1 + pool index; 0: none; SLOT_LOST */
};

/* The pool was empty when the flow needed an entry: it keeps no value at
 * all (rather than the later ones only), so that its row is plainly empty. */
#define SLOT_LOST UINT32_MAX

struct dhcp_conf {
	uint32_t flows;
};

enum {
	ST_PACKETS, ST_NOT_DECODED, ST_RAISES, ST_OTHER_PROTO, ST_POOL_FULL, ST_OPTIONS_CUT,
	ST_57_TOO_BIG, ST_EXPIRED, N_STATS
};

static const char *const stat_names[N_STATS] = {
	[ST_PACKETS] = "dhcp_packets",
	[ST_NOT_DECODED] = "not_dhcp",
	[ST_RAISES] = "nfstream_raises",
	[ST_OTHER_PROTO] = "other_protocol",
	[ST_POOL_FULL] = "pool_full",
	[ST_OPTIONS_CUT] = "options_cut",
	[ST_57_TOO_BIG] = "dhcp_57_above_uint64",
	[ST_EXPIRED] = "flows_ended",
};

struct dhcp_worker {
	struct dhcp_entry *pool;
	struct nf_pool free;		/* which of pool[] are free */
	uint64_t stats[N_STATS];
};

/* What one packet says, before anything is applied (a packet that would
 * stop NFStream changes nothing). */
struct dhcp_pkt {
	unsigned int msg_type;
	const uint8_t *o12, *o50, *o55, *o57, *o60, *o77;
	uint8_t l12, l50, l55, l57, l60, l77;
	unsigned int n_options;
	uint8_t options[DHCP_MAX_OPTIONS];
	unsigned int options_cut;
};

/* int.from_bytes(b, "big") <= limit bytes: the value's significant bytes. */
static uint32_t
significant_bytes(const uint8_t *b, uint32_t n, const uint8_t **first)
{
	while (n > 0 && *b == 0) {
		b++;
		n--;
	}
	*first = b;
	return n;
}

/*
 * dpkt.dhcp.DHCP(payload) and dhcp.py's _process_options(), checking what
 * Python would raise on.
 */
static enum nf_rc
dhcp_decode(const uint8_t *d, uint32_t len, struct dhcp_pkt *k)
{
	const uint8_t *o = d + DHCP_HDR_LEN;
	uint32_t n, i = 0;

	if (len < DHCP_HDR_LEN)
		return NF_CAUGHT;		/* NeedData */
	n = len - DHCP_HDR_LEN;
	memset(k, 0, sizeof(*k));
	while (i < n) {
		uint8_t t = o[i], l;
		const uint8_t *v;
		uint32_t vl;

		if (t == 0xff)
			break;
		if (t == 0) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return NF_RAISES;	/* buf[1]: IndexError */
		l = o[i + 1];
		v = o + i + 2;
		/* buf[2:2 + n]: cut at the end of the packet */
		vl = n - (i + 2) < l ? n - (i + 2) : l;
		i += 2u + l;

		switch (t) {
		case 12:
			if (vl > 0) {		/* hostname kept when not empty */
				k->o12 = v;
				k->l12 = (uint8_t)vl;
			}
			break;
		case 53: {
			const uint8_t *s;
			uint32_t sn = significant_bytes(v, vl, &s);

			/* MsgType(int): ValueError outside 1..8 */
			if (sn != 1 || s[0] < 1 || s[0] > 8)
				return NF_RAISES;
			k->msg_type = s[0];
			break;
		}
		case 60:
		case 77:
			/* .decode("utf-8"): UnicodeDecodeError on bad UTF-8 */
			if (!nf_utf8_valid(v, vl))
				return NF_RAISES;
			if (t == 60) {
				k->o60 = v;
				k->l60 = (uint8_t)vl;
			} else {
				k->o77 = v;
				k->l77 = (uint8_t)vl;
			}
			break;
		case 57:
			k->o57 = v;
			k->l57 = (uint8_t)vl;
			break;
		case 55:
			k->o55 = v;
			k->l55 = (uint8_t)vl;
			break;
		case 50: {
			const uint8_t *s;

			/* ipaddress.ip_address(int): ValueError from 2^128 up */
			if (significant_bytes(v, vl, &s) > 16)
				return NF_RAISES;
			k->o50 = v;
			k->l50 = (uint8_t)vl;
			break;
		}
		default:
			break;
		}
		if (k->n_options < DHCP_MAX_OPTIONS)
			k->options[k->n_options++] = t;
		else
			k->options_cut++;
	}
	/* struct.unpack("BBBBBB", chaddr[:hln]) on a REQUEST: hln must be 6 */
	if (k->msg_type == MT_REQUEST && d[2] != 6)
		return NF_RAISES;
	return NF_OK;
}

static void
bytes_keep(struct dhcp_bytes *dst, const uint8_t *v, uint8_t l)
{
	dst->len = l;
	memcpy(dst->b, v, l);
}

static struct dhcp_entry *
entry_get(struct dhcp_worker *w, struct dhcp_slot *s)
{
	struct dhcp_entry *e;

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
	memset(e, 0, sizeof(*e));
	return e;
}

static int
dhcp_packet(void *wctx, void *slot, const struct sp_plugin_packet *p,
	    const struct sp_plugin_flow *f)
{
	struct dhcp_worker *w = wctx;
	struct dhcp_slot *s = slot;
	struct dhcp_entry *e;
	struct dhcp_pkt k;
	const uint8_t *pl, *src;
	uint32_t pl_len;
	enum nf_rc rc;
	bool expire;

	w->stats[ST_PACKETS]++;
	rc = nf_dpkt_l4_payload(p->ip, p->ip_len, &pl, &pl_len);
	if (rc == NF_OK)
		rc = dhcp_decode(pl, pl_len, &k);
	if (rc != NF_OK) {
		w->stats[rc == NF_CAUGHT ? ST_NOT_DECODED :
			 rc == NF_RAISES ? ST_RAISES : ST_OTHER_PROTO]++;
		return SP_PLUGIN_CONTINUE;
	}
	src = sp_plugin_flow_src_ip(f);
	expire = k.msg_type == MT_ACK || k.msg_type == MT_NACK || k.msg_type == MT_INFORM ||
		 k.msg_type == MT_DECLINE ||
		 (sp_plugin_flow_ip_version(f) == 4 && src[0] == 0 && src[1] == 0 &&
		  src[2] == 0 && src[3] == 0);
	if (expire)
		w->stats[ST_EXPIRED]++;
	e = entry_get(w, s);
	if (e == NULL)
		return expire ? SP_PLUGIN_EXPIRE : SP_PLUGIN_CONTINUE;

	if (k.o12 != NULL) {
		bytes_keep(&e->v12, k.o12, k.l12);
		e->has |= HAS_12;
	}
	if (k.o60 != NULL) {
		bytes_keep(&e->v60, k.o60, k.l60);
		e->has |= HAS_60;
	}
	if (k.o77 != NULL) {
		bytes_keep(&e->v77, k.o77, k.l77);
		e->has |= HAS_77;
	}
	if (k.o57 != NULL) {
		const uint8_t *b;
		uint32_t sn = significant_bytes(k.o57, k.l57, &b);

		e->has &= ~(uint32_t)(HAS_57 | HAS_57_BIG);
		if (sn > 8) {
			/* a Python int beyond the column's uint64: left None */
			e->has |= HAS_57_BIG;
			w->stats[ST_57_TOO_BIG]++;
		} else {
			e->v57 = 0;
			for (uint32_t j = 0; j < sn; j++)
				e->v57 = (e->v57 << 8) | b[j];
			e->has |= HAS_57;
		}
	}
	if (k.msg_type == MT_REQUEST) {
		const uint8_t *chaddr = pl + 28;
		uint32_t ciaddr = nf_be32(pl + 12);

		memcpy(e->oui, chaddr, 3);
		e->has |= HAS_OUI | HAS_OPTIONS;
		memcpy(e->options, k.options, k.n_options);
		e->n_options = (uint8_t)k.n_options;
		if (k.options_cut)
			w->stats[ST_OPTIONS_CUT]++;
		/* dhcp_55 and dhcp_50 follow the last REQUEST, None included */
		e->has &= ~(uint32_t)(HAS_55 | HAS_50);
		if (k.o55 != NULL) {
			bytes_keep(&e->v55, k.o55, k.l55);
			e->has |= HAS_55;
		}
		if (k.o50 != NULL) {
			const uint8_t *b;
			uint32_t sn = significant_bytes(k.o50, k.l50, &b);

			memset(e->v50, 0, sizeof(e->v50));
			memcpy(e->v50 + 16 - sn, b, sn);
			e->v50_v6 = sn > 4;
			e->has |= HAS_50;
		}
		if (ciaddr != 0) {
			e->addr = ciaddr;
			e->has |= HAS_ADDR;
		}
	}
	if (!(e->has & HAS_MSG_TYPE)) {
		e->msg_type = (uint8_t)k.msg_type;
		e->has |= HAS_MSG_TYPE;
	}
	return expire ? SP_PLUGIN_EXPIRE : SP_PLUGIN_CONTINUE;
}

static int
dhcp_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	     const struct sp_plugin_flow *f)
{
	/* dhcp.py tests flow.dst_port, fixed by the first packet */
	if (sp_plugin_flow_dst_port(f) != DHCP_PORT)
		return SP_PLUGIN_DONE;
	return dhcp_packet(wctx, slot, p, f);
}

/*
 * str(ipaddress.IPv6Address) (CPython 3.11): hextets in lowercase hex, the
 * longest run of two or more zero hextets (the first of equal ones) as "::".
 */
static size_t
format_ipv6(char *dst, size_t cap, const uint8_t a[16])
{
	unsigned int h[8], best = 8, best_len = 0, run_len = 0;
	size_t o = 0;

	for (unsigned int j = 0; j < 8; j++) {
		h[j] = (unsigned int)(a[2 * j] << 8) | a[2 * j + 1];
		run_len = h[j] == 0 ? run_len + 1 : 0;
		if (run_len > best_len) {
			best_len = run_len;
			best = j + 1 - run_len;
		}
	}
	if (best_len < 2)
		best = 8;
	for (unsigned int j = 0; j < 8; j++) {
		if (j == best) {
			o += (size_t)snprintf(dst + o, cap - o, "::");
			j += best_len - 1;
			continue;
		}
		o += (size_t)snprintf(dst + o, cap - o, "%s%x",
				      j > 0 && j != best + best_len ? ":" : "", h[j]);
	}
	return o;
}

static void
dhcp_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f,
	       struct sp_plugin_record *r)
{
	struct dhcp_worker *w = wctx;
	struct dhcp_slot *s = slot;
	struct dhcp_entry *e;
	char txt[1024];
	size_t n;

	(void)f;
	/* dhcp.py's on_init: dhcp_options = [], the rest None */
	sp_plugin_list_clear(r, COL_OPTIONS);
	if (s->entry == 0 || s->entry == SLOT_LOST) {
		s->entry = 0;
		return;
	}
	e = &w->pool[s->entry - 1];
	if (e->has & HAS_12) {
		uint8_t dec[3 * 255];

		n = nf_utf8_replace(e->v12.b, e->v12.len, dec);
		sp_plugin_set_string(r, COL_12, (const char *)dec, n);
	}
	if (e->has & HAS_50) {
		if (e->v50_v6)
			n = format_ipv6(txt, sizeof(txt), e->v50);
		else
			n = (size_t)snprintf(txt, sizeof(txt), "%u.%u.%u.%u", e->v50[12],
					     e->v50[13], e->v50[14], e->v50[15]);
		sp_plugin_set_string(r, COL_50, txt, n);
	}
	if (e->has & HAS_55) {
		n = 0;
		for (unsigned int j = 0; j < e->v55.len; j++)
			n += (size_t)snprintf(txt + n, sizeof(txt) - n, "%s%u", j ? "," : "",
					      e->v55.b[j]);
		sp_plugin_set_string(r, COL_55, txt, n);
	}
	if (e->has & HAS_57)
		sp_plugin_set_uint(r, COL_57, e->v57);
	if (e->has & HAS_60)
		sp_plugin_set_string(r, COL_60, (const char *)e->v60.b, e->v60.len);
	if (e->has & HAS_77)
		sp_plugin_set_string(r, COL_77, (const char *)e->v77.b, e->v77.len);
	if (e->has & HAS_OPTIONS)
		for (unsigned int j = 0; j < e->n_options; j++)
			sp_plugin_list_add_int(r, COL_OPTIONS, e->options[j]);
	if (e->has & HAS_ADDR) {
		n = (size_t)snprintf(txt, sizeof(txt), "%u.%u.%u.%u", e->addr >> 24,
				     (e->addr >> 16) & 0xff, (e->addr >> 8) & 0xff, e->addr & 0xff);
		sp_plugin_set_string(r, COL_ADDR, txt, n);
	}
	if (e->has & HAS_MSG_TYPE) {
		const char *m = msg_type_repr[e->msg_type];

		sp_plugin_set_string(r, COL_MSG_TYPE, m, strlen(m));
	}
	if (e->has & HAS_OUI) {
		n = (size_t)snprintf(txt, sizeof(txt), "%02x:%02x:%02x", e->oui[0], e->oui[1],
				     e->oui[2]);
		sp_plugin_set_string(r, COL_OUI, txt, n);
	}
	nf_pool_put(&w->free, s->entry);
	s->entry = 0;
}

static int
dhcp_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	       struct sp_plugin_config *out, char *err, size_t errlen)
{
	struct dhcp_conf *c;
	uint32_t flows = DHCP_FLOWS_DEFAULT;

	for (unsigned int i = 0; i < n_opts; i++) {
		char *end;
		unsigned long v;

		if (strcmp(opts[i].key, "flows") != 0) {
			snprintf(err, errlen, "unknown option '%s' (dhcp takes flows=N)",
				 opts[i].key);
			return -EINVAL;
		}
		errno = 0;
		v = strtoul(opts[i].value, &end, 10);
		if (opts[i].value[0] < '0' || opts[i].value[0] > '9' || *end != '\0' ||
		    errno != 0 || v < 1 || v > DHCP_FLOWS_MAX) {
			snprintf(err, errlen, "flows: '%s' is not in 1..%u", opts[i].value,
				 DHCP_FLOWS_MAX);
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
	out->slot_size = sizeof(struct dhcp_slot);
	out->columns = dhcp_columns;
	out->n_columns = N_COLS;
	out->conf = c;
	return 0;
}

static void
dhcp_deconfigure(void *conf)
{
	free(conf);
}

static void *
dhcp_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct dhcp_conf *c = conf;
	struct dhcp_worker *w;
	uint32_t n;

	(void)worker_id;
	(void)socket_id;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	/* more entries than flows could never be used */
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
dhcp_worker_fini(void *wctx)
{
	struct dhcp_worker *w = wctx;

	if (w == NULL)
		return;
	nf_pool_fini(&w->free);
	free(w->pool);
	free(w);
}

static unsigned int
dhcp_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct dhcp_worker *w = wctx;
	unsigned int i;

	for (i = 0; i < N_STATS && i < max; i++) {
		out[i].name = stat_names[i];
		out[i].value = w->stats[i];
	}
	return i;
}

const struct sp_plugin sp_plugin_dhcp = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "dhcp",
	.version = "1.0",
	.description = "NFStream's DHCP(): client options of DHCP flows (udps.dhcp_*), "
		       "flows ended at each transaction's end",
	.configure = dhcp_configure,
	.deconfigure = dhcp_deconfigure,
	.worker_init = dhcp_worker_init,
	.worker_fini = dhcp_worker_fini,
	.on_init = dhcp_on_init,
	.on_update = dhcp_packet,
	.on_expire = dhcp_on_expire,
	.stats = dhcp_stats,
};
