/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which IPFIX information element each output column becomes, and the
 * published lists of those elements. The rules, in order:
 *
 *  1. Columns with an IANA element use it (known[] below), addresses by
 *     their type: sourceIPv4Address or sourceIPv6Address per template.
 *  2. RFC 5103 biflows: a dst2src_X column is the reverse of src2dst_X. For
 *     an IANA element that is PEN 29305 with the same id, for one of ours
 *     the same PEN with id | 0x4000 (RFC 5103 §6.2).
 *  3. Every other column is an enterprise element under the configured PEN,
 *     typed from the column's storage type. Its id is fixed in known[] for
 *     the columns that exist today, so collectors' element files stay valid;
 *     a column added to the table later gets an id from a hash of its name
 *     (probed past collisions, in table order), so it is exported at once
 *     without any change here.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_export.h>

#include "ipfix_private.h"

#define T_AUTO 0xff	/* type from the column's storage type */

struct known_ie {
	const char *col;	/* column name; directional ones under their src2dst_ name */
	const char *iana_name;	/* NULL: enterprise element */
	uint16_t id;		/* IANA id, or enterprise id of the forward element */
	uint8_t type;		/* enum sp_ipfix_type, or T_AUTO */
	uint8_t semantics;
	uint16_t units;
	const char *desc;	/* NULL: built from the name (scoped counters) */
};

#define IANA(c, n, i, t, s, u, d) { c, n, i, SP_IPFIX_T_ ## t, SP_IPFIX_S_ ## s, \
	SP_IPFIX_U_ ## u, d }
#define ENT(c, i, t, s, u, d) { c, NULL, i, SP_IPFIX_T_ ## t, SP_IPFIX_S_ ## s, \
	SP_IPFIX_U_ ## u, d }
#define ENTA(c, i, s, u) { c, NULL, i, T_AUTO, SP_IPFIX_S_ ## s, SP_IPFIX_U_ ## u, NULL }

/* Scoped statistics: the same four for bidirectional and src2dst (dst2src reverses). */
#define STAT_PS(p, i) \
	ENTA(p "_min_ps", (i), QUANTITY, OCTETS), \
	ENTA(p "_mean_ps", (i) + 1, QUANTITY, OCTETS), \
	ENTA(p "_stddev_ps", (i) + 2, QUANTITY, OCTETS), \
	ENTA(p "_max_ps", (i) + 3, QUANTITY, OCTETS)
#define STAT_PIAT(p, i) \
	ENTA(p "_min_piat_ms", (i), QUANTITY, MILLISECONDS), \
	ENTA(p "_mean_piat_ms", (i) + 1, QUANTITY, MILLISECONDS), \
	ENTA(p "_stddev_piat_ms", (i) + 2, QUANTITY, MILLISECONDS), \
	ENTA(p "_max_piat_ms", (i) + 3, QUANTITY, MILLISECONDS)
#define STAT_FLAGS(p, i) \
	ENTA(p "_syn_packets", (i), DELTA, PACKETS), \
	ENTA(p "_cwr_packets", (i) + 1, DELTA, PACKETS), \
	ENTA(p "_ece_packets", (i) + 2, DELTA, PACKETS), \
	ENTA(p "_urg_packets", (i) + 3, DELTA, PACKETS), \
	ENTA(p "_ack_packets", (i) + 4, DELTA, PACKETS), \
	ENTA(p "_psh_packets", (i) + 5, DELTA, PACKETS), \
	ENTA(p "_rst_packets", (i) + 6, DELTA, PACKETS), \
	ENTA(p "_fin_packets", (i) + 7, DELTA, PACKETS)

/*
 * The enterprise ids below are an interface: collectors keep them in their
 * element files. Never renumber; give a new column a new id (or let it
 * take a hashed one).
 */
static const struct known_ie known[] = {
	IANA("id", "flowId", 148, U64, IDENTIFIER, NONE,
	     "NFStream id: flow number in export order, from 0"),
	IANA("expiration_id", "flowEndReason", 136, U8, IDENTIFIER, NONE,
	     "NFStream expiration_id 0 (idle timeout or end of capture) is 1 idleTimeout, "
	     "1 (active timeout) is 2 activeTimeout, -1 (custom) is 3 endOfFlowDetected"),
	IANA("src_mac", "sourceMacAddress", 56, MAC, IDENTIFIER, NONE,
	     "Source MAC address of the flow's first packet"),
	ENT("src_oui", 1, OCTETS, IDENTIFIER, NONE,
	    "OUI of src_mac: its first 3 bytes"),
	IANA("src_port", "sourceTransportPort", 7, U16, IDENTIFIER, NONE,
	     "Source port of the flow's first packet (0 without ports)"),
	IANA("dst_mac", "destinationMacAddress", 80, MAC, IDENTIFIER, NONE,
	     "Destination MAC address of the flow's first packet"),
	ENT("dst_oui", 2, OCTETS, IDENTIFIER, NONE,
	    "OUI of dst_mac: its first 3 bytes"),
	IANA("dst_port", "destinationTransportPort", 11, U16, IDENTIFIER, NONE,
	     "Destination port of the flow's first packet (0 without ports)"),
	IANA("protocol", "protocolIdentifier", 4, U8, IDENTIFIER, NONE,
	     "IP protocol number"),
	IANA("ip_version", "ipVersion", 60, U8, IDENTIFIER, NONE, "IP version, 4 or 6"),
	IANA("vlan_id", "vlanId", 58, U16, IDENTIFIER, NONE,
	     "VLAN id of the flow (0 without VLAN)"),
	ENT("tunnel_id", 3, U8, IDENTIFIER, NONE,
	    "NFStream tunnel_id: 0 none, 1 GTP-U, 2 CAPWAP, 3 TZSP"),
	IANA("bidirectional_first_seen_ms", "flowStartMilliseconds", 152, DT_MS, DEFAULT,
	     MILLISECONDS, NULL),
	IANA("bidirectional_last_seen_ms", "flowEndMilliseconds", 153, DT_MS, DEFAULT,
	     MILLISECONDS, NULL),
	ENT("bidirectional_duration_ms", 4, U64, QUANTITY, MILLISECONDS, NULL),
	ENT("bidirectional_packets", 5, U64, DELTA, PACKETS, NULL),
	ENT("bidirectional_bytes", 6, U64, DELTA, OCTETS, NULL),
	ENT("src2dst_first_seen_ms", 7, DT_MS, DEFAULT, MILLISECONDS, NULL),
	ENT("src2dst_last_seen_ms", 8, DT_MS, DEFAULT, MILLISECONDS, NULL),
	ENT("src2dst_duration_ms", 9, U64, QUANTITY, MILLISECONDS, NULL),
	IANA("src2dst_packets", "packetDeltaCount", 2, U64, DELTA, PACKETS, NULL),
	IANA("src2dst_bytes", "octetDeltaCount", 1, U64, DELTA, OCTETS, NULL),
	STAT_PS("bidirectional", 10),
	STAT_PS("src2dst", 14),
	STAT_PIAT("bidirectional", 18),
	STAT_PIAT("src2dst", 22),
	STAT_FLAGS("bidirectional", 26),
	STAT_FLAGS("src2dst", 34),
	ENT("splt_direction", 42, I8, IDENTIFIER, NONE,
	    "SPLT: direction of each of the first packets, 0 src2dst, 1 dst2src, -1 none"),
	ENT("splt_ps", 43, I32, QUANTITY, OCTETS,
	    "SPLT: size of each of the first packets (accounting mode), -1 none"),
	ENT("splt_piat_ms", 44, I64, QUANTITY, MILLISECONDS,
	    "SPLT: inter-arrival time of each of the first packets, ms, -1 none"),
	/* 45..49: nDPI's columns (lib/dpi declares their elements); never reuse */
	/* The fields that are no column (extra_cols[]). */
	IANA("observation_time_ms", "observationTimeMilliseconds", 323, DT_MS, DEFAULT,
	     MILLISECONDS, "Time of the flow's first packet, as bidirectional_first_seen_ms: "
	     "the time nfdump's default view (NSEL build, as in Debian) shows"),
	IANA("src2dst_tcp_flags", "tcpControlBits", 6, U16, FLAGS, NONE,
	     "OR of the TCP flags (the header's 8 flag bits) of the direction's packets, "
	     "0 for other protocols"),
};

/*
 * Fields that are no CSV column, after the columns in every template. The
 * CSV is NFStream's and has none of them; collectors that only read IANA
 * elements (nfdump) need them for a flow's TCP flags and, in nfdump's NSEL
 * build, the time its default view shows. The reverse flags come before the
 * forward ones: nfdump 1.7 reads 29305/6 as 6 itself, and keeps the later.
 */
#define XCOL(n, f, t) { \
	.name = (n), \
	.offset = offsetof(struct sp_flow_record, f), \
	.size = sizeof(((struct sp_flow_record *)0)->f), \
	.type = SP_EXPORT_COLT_ ## t, \
	.group = SP_EXPORT_COLG_CORE, \
}

static const struct sp_export_column extra_cols[] = {
	XCOL("observation_time_ms", st.first_seen_ms[SP_BI], U64),
	XCOL("dst2src_tcp_flags", st.tcp_flags[1], U8),
	XCOL("src2dst_tcp_flags", st.tcp_flags[0], U8),
};

_Static_assert(RTE_DIM(extra_cols) == SP_IPFIX_EXTRA_FIELDS, "extra fields");

static bool
is_extra(const struct sp_export_column *c)
{
	return c >= extra_cols && c < extra_cols + RTE_DIM(extra_cols);
}

bool
sp_ipfix_field_is_extra(const struct sp_ipfix_field *f)
{
	return is_extra(f->col);
}

/* What a scoped counter or statistic is, by the part of its name after the scope. */
static const struct {
	const char *suffix;
	const char *what;
} scoped_what[] = {
	{ "first_seen_ms", "Time of the first packet, ms since the Unix epoch" },
	{ "last_seen_ms", "Time of the last packet, ms since the Unix epoch" },
	{ "duration_ms", "last_seen_ms minus first_seen_ms" },
	{ "packets", "Packets" },
	{ "bytes", "Bytes, counted per the accounting mode" },
	{ "min_ps", "Smallest packet size (accounting mode)" },
	{ "mean_ps", "Mean packet size" },
	{ "stddev_ps", "Standard deviation of the packet size" },
	{ "max_ps", "Largest packet size" },
	{ "min_piat_ms", "Smallest packet inter-arrival time, ms" },
	{ "mean_piat_ms", "Mean packet inter-arrival time, ms" },
	{ "stddev_piat_ms", "Standard deviation of the packet inter-arrival time, ms" },
	{ "max_piat_ms", "Largest packet inter-arrival time, ms" },
};

enum scope {
	SCOPE_NONE = 0,
	SCOPE_BI,
	SCOPE_FWD,
	SCOPE_REV,
};

static const char *
scope_split(const char *name, enum scope *sc)
{
	static const struct {
		const char *prefix;
		enum scope sc;
	} pfx[] = {
		{ "bidirectional_", SCOPE_BI },
		{ "src2dst_", SCOPE_FWD },
		{ "dst2src_", SCOPE_REV },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(pfx); i++) {
		size_t l = strlen(pfx[i].prefix);

		if (strncmp(name, pfx[i].prefix, l) == 0) {
			*sc = pfx[i].sc;
			return name + l;
		}
	}
	*sc = SCOPE_NONE;
	return name;
}

/* The column's name with dst2src_ read as src2dst_: both share one entry and id. */
static void
canonical_name(const char *col, char *buf, size_t len)
{
	enum scope sc;
	const char *rest = scope_split(col, &sc);

	if (sc == SCOPE_REV)
		snprintf(buf, len, "src2dst_%s", rest);
	else
		snprintf(buf, len, "%s", col);
}

static const struct known_ie *
known_find(const char *canon)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(known); i++)
		if (strcmp(known[i].col, canon) == 0)
			return &known[i];
	return NULL;
}

/* FNV-1a: stable across builds and machines, which is all the ids need. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

#define ID_SPACE SP_IPFIX_REVERSE_BIT

/*
 * Enterprise ids that internal plugins' columns hold (nDPI's, lib/dpi
 * dpi_columns[]): a column hashed here never takes one, whatever the run.
 * The hashed ones were given to nDPI's --ndpi-risks/--ndpi-extra columns
 * when they were in the table above.
 */
static const uint16_t internal_ids[] = {
	45, 46, 47, 48, 49, 8850, 10604, 11014, 12657, 15052, 15288,
};

/*
 * Enterprise id of every column of the whole table (0: IANA element). Done
 * over the full table, not the run's column set, so that an id never
 * depends on which options a run has.
 */
static void
enterprise_ids(const struct sp_export_column *tab, unsigned int n, uint16_t *ids)
{
	uint8_t used[ID_SPACE / 8];
	unsigned int i, j;
	char canon[SP_IPFIX_NAME_LEN];

	memset(used, 0, sizeof(used));
	used[0] |= 1;	/* id 0 is reserved (RFC 7012 §4) */
	for (i = 0; i < RTE_DIM(known); i++)
		if (known[i].iana_name == NULL)
			used[known[i].id / 8] |= (uint8_t)(1u << (known[i].id % 8));
	for (i = 0; i < RTE_DIM(internal_ids); i++)
		used[internal_ids[i] / 8] |= (uint8_t)(1u << (internal_ids[i] % 8));
	for (i = 0; i < n; i++) {
		const struct known_ie *k;
		uint32_t span = ID_SPACE - SP_IPFIX_HASH_ID_MIN, id;

		canonical_name(tab[i].name, canon, sizeof(canon));
		k = known_find(canon);
		if (k != NULL) {
			ids[i] = k->iana_name != NULL ? 0 : k->id;
			continue;
		}
		if (tab[i].type == SP_EXPORT_COLT_SRC_IP || tab[i].type == SP_EXPORT_COLT_DST_IP) {
			ids[i] = 0;
			continue;
		}
		/* A dst2src column takes the id of its src2dst twin when there is one. */
		for (j = 0; j < i; j++) {
			char other[SP_IPFIX_NAME_LEN];

			canonical_name(tab[j].name, other, sizeof(other));
			if (strcmp(other, canon) == 0)
				break;
		}
		if (j < i) {
			ids[i] = ids[j];
			continue;
		}
		id = SP_IPFIX_HASH_ID_MIN + name_hash(canon) % span;
		while (used[id / 8] & (1u << (id % 8)))
			id = SP_IPFIX_HASH_ID_MIN + (id - SP_IPFIX_HASH_ID_MIN + 1) % span;
		used[id / 8] |= (uint8_t)(1u << (id % 8));
		ids[i] = (uint16_t)id;
	}
}

const char *
sp_ipfix_type_name(uint8_t type)
{
	switch (type) {
	case SP_IPFIX_T_OCTETS: return "octetArray";
	case SP_IPFIX_T_U8: return "unsigned8";
	case SP_IPFIX_T_U16: return "unsigned16";
	case SP_IPFIX_T_U32: return "unsigned32";
	case SP_IPFIX_T_U64: return "unsigned64";
	case SP_IPFIX_T_I8: return "signed8";
	case SP_IPFIX_T_I16: return "signed16";
	case SP_IPFIX_T_I32: return "signed32";
	case SP_IPFIX_T_I64: return "signed64";
	case SP_IPFIX_T_F32: return "float32";
	case SP_IPFIX_T_F64: return "float64";
	case SP_IPFIX_T_BOOL: return "boolean";
	case SP_IPFIX_T_MAC: return "macAddress";
	case SP_IPFIX_T_STRING: return "string";
	case SP_IPFIX_T_DT_S: return "dateTimeSeconds";
	case SP_IPFIX_T_DT_MS: return "dateTimeMilliseconds";
	case SP_IPFIX_T_IPV4: return "ipv4Address";
	case SP_IPFIX_T_IPV6: return "ipv6Address";
	case SP_IPFIX_T_BASICLIST: return "basicList";
	default: return "octetArray";
	}
}

uint16_t
sp_ipfix_type_len(uint8_t type)
{
	switch (type) {
	case SP_IPFIX_T_U8:
	case SP_IPFIX_T_I8:
	case SP_IPFIX_T_BOOL:
		return 1;
	case SP_IPFIX_T_U16:
	case SP_IPFIX_T_I16:
		return 2;
	case SP_IPFIX_T_U32:
	case SP_IPFIX_T_I32:
	case SP_IPFIX_T_F32:
	case SP_IPFIX_T_DT_S:
	case SP_IPFIX_T_IPV4:
		return 4;
	case SP_IPFIX_T_U64:
	case SP_IPFIX_T_I64:
	case SP_IPFIX_T_F64:
	case SP_IPFIX_T_DT_MS:
		return 8;
	case SP_IPFIX_T_MAC:
		return 6;
	case SP_IPFIX_T_IPV6:
		return 16;
	default:
		return SP_IPFIX_VARLEN;
	}
}

/* "src2dst_min_ps" → "src2dstMinPs". */
static void
camel_name(const char *col, char *buf, size_t len)
{
	size_t o = 0;
	bool up = false;

	for (; *col != '\0' && o + 1 < len; col++) {
		if (*col == '_') {
			up = true;
			continue;
		}
		buf[o++] = up && *col >= 'a' && *col <= 'z' ? (char)(*col - 'a' + 'A') : *col;
		up = false;
	}
	buf[o] = '\0';
}

/* RFC 5103 names a reverse element "reverse" + the name with a capital. */
static void
reverse_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "reverse%c%s",
		 name[0] >= 'a' && name[0] <= 'z' ? name[0] - 'a' + 'A' : name[0], name + 1);
}

static void
describe(const struct sp_export_column *c, const struct known_ie *k, char *buf, size_t len)
{
	static const char *const scope_txt[] = {
		[SCOPE_BI] = "both directions",
		[SCOPE_FWD] = "src2dst direction (RFC 5103 forward)",
		[SCOPE_REV] = "dst2src direction (RFC 5103 reverse)",
	};
	enum scope sc;
	const char *rest = scope_split(c->name, &sc);
	unsigned int i;

	if (k != NULL && k->desc != NULL) {
		if (is_extra(c))
			snprintf(buf, len, "%s. Not a CSV column.", k->desc);
		else
			snprintf(buf, len, "%s. NFStream column %s.", k->desc, c->name);
		return;
	}
	if (sc != SCOPE_NONE) {
		const char *what = NULL;
		size_t l = strlen(rest);

		for (i = 0; i < RTE_DIM(scoped_what); i++)
			if (strcmp(rest, scoped_what[i].suffix) == 0)
				what = scoped_what[i].what;
		if (what != NULL) {
			snprintf(buf, len, "%s, %s. NFStream column %s.", what, scope_txt[sc],
				 c->name);
			return;
		}
		/* <flag>_packets: TCP flag counters. */
		if (l > 8 && strcmp(rest + l - 8, "_packets") == 0 && l - 8 <= 3) {
			char flag[4];

			for (i = 0; i < l - 8; i++)
				flag[i] = (char)(rest[i] - 'a' + 'A');
			flag[i] = '\0';
			snprintf(buf, len, "Packets with the TCP %s flag, %s. NFStream column %s.",
				 flag, scope_txt[sc], c->name);
			return;
		}
	}
	snprintf(buf, len, "NFStream column %s.", c->name);
}

/* Element type of a column from its storage type (rule 3). */
static uint8_t
type_of_column(const struct sp_export_column *c)
{
	switch ((enum sp_export_col_type)c->type) {
	case SP_EXPORT_COLT_U8:
		return SP_IPFIX_T_U8;
	case SP_EXPORT_COLT_I8:
		return SP_IPFIX_T_I8;
	case SP_EXPORT_COLT_U16:
		return SP_IPFIX_T_U16;
	case SP_EXPORT_COLT_U64:
		return SP_IPFIX_T_U64;
	case SP_EXPORT_COLT_F64:
		return SP_IPFIX_T_F64;
	case SP_EXPORT_COLT_MAC:
		return SP_IPFIX_T_MAC;
	case SP_EXPORT_COLT_OUI:
		return SP_IPFIX_T_OCTETS;
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
		return SP_IPFIX_T_IPV4;
	case SP_EXPORT_COLT_SPLT_DIR:
		return SP_IPFIX_T_I8;
	case SP_EXPORT_COLT_SPLT_PS:
		return SP_IPFIX_T_I32;
	case SP_EXPORT_COLT_SPLT_PIAT:
		return SP_IPFIX_T_I64;
	case SP_EXPORT_COLT_PLUGIN:
		break;	/* make_plugin_field() */
	}
	return SP_IPFIX_T_OCTETS;	/* a storage type added later: raw bytes */
}

/* Semantics and units of a column no entry describes, from its name. */
static void
guess_semantics(const char *name, uint8_t type, struct sp_ipfix_ie *ie)
{
	size_t l = strlen(name);

#define ENDS(s) (l >= sizeof(s) - 1 && strcmp(name + l - (sizeof(s) - 1), s) == 0)
	ie->semantics = SP_IPFIX_S_DEFAULT;
	ie->units = SP_IPFIX_U_NONE;
	if (ENDS("_packets")) {
		ie->semantics = SP_IPFIX_S_DELTA;
		ie->units = SP_IPFIX_U_PACKETS;
	} else if (ENDS("_bytes")) {
		ie->semantics = SP_IPFIX_S_DELTA;
		ie->units = SP_IPFIX_U_OCTETS;
	} else if (ENDS("_ms")) {
		ie->semantics = SP_IPFIX_S_QUANTITY;
		ie->units = SP_IPFIX_U_MILLISECONDS;
	} else if (type == SP_IPFIX_T_F64) {
		ie->semantics = SP_IPFIX_S_QUANTITY;
	} else if (type <= SP_IPFIX_T_I64 && type != SP_IPFIX_T_OCTETS) {
		ie->semantics = SP_IPFIX_S_IDENTIFIER;
	}
#undef ENDS
}

static uint8_t
enc_of(const struct sp_export_column *c)
{
	switch ((enum sp_export_col_type)c->type) {
	case SP_EXPORT_COLT_U8:
	case SP_EXPORT_COLT_I8:
		return SP_IPFIX_ENC_U8;
	case SP_EXPORT_COLT_U16:
		return SP_IPFIX_ENC_U16;
	case SP_EXPORT_COLT_U64:
	case SP_EXPORT_COLT_F64:
		return SP_IPFIX_ENC_U64;
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
	case SP_EXPORT_COLT_MAC:
	case SP_EXPORT_COLT_OUI:
		return SP_IPFIX_ENC_BYTES;
	case SP_EXPORT_COLT_SPLT_DIR:
		return SP_IPFIX_ENC_LIST_I8;
	case SP_EXPORT_COLT_SPLT_PS:
		return SP_IPFIX_ENC_LIST_I32;
	case SP_EXPORT_COLT_SPLT_PIAT:
		return SP_IPFIX_ENC_LIST_I64;
	case SP_EXPORT_COLT_PLUGIN:
		break;	/* make_plugin_field() */
	}
	return SP_IPFIX_ENC_RAW;
}

static bool
is_list(const struct sp_export_column *c)
{
	return c->type == SP_EXPORT_COLT_SPLT_DIR || c->type == SP_EXPORT_COLT_SPLT_PS ||
	       c->type == SP_EXPORT_COLT_SPLT_PIAT;
}

/* The field of column c (index i of the table) for one template. */
static void
make_field(const struct sp_export_column *c, uint16_t ent_id, bool v6, uint32_t pen,
	   struct sp_ipfix_field *f)
{
	char canon[SP_IPFIX_NAME_LEN];
	const struct known_ie *k;
	struct sp_ipfix_ie *ie;
	enum scope sc;
	uint8_t type;

	memset(f, 0, sizeof(*f));
	f->col = c;
	f->enc = enc_of(c);
	canonical_name(c->name, canon, sizeof(canon));
	k = known_find(canon);
	scope_split(c->name, &sc);
	/* A list column is a basicList (RFC 6313) of the element we define. */
	ie = is_list(c) ? &f->item : &f->ie;

	if (c->type == SP_EXPORT_COLT_SRC_IP || c->type == SP_EXPORT_COLT_DST_IP) {
		bool src = c->type == SP_EXPORT_COLT_SRC_IP;

		snprintf(ie->name, sizeof(ie->name), "%s%s", src ? "source" : "destination",
			 v6 ? "IPv6Address" : "IPv4Address");
		ie->id = v6 ? (src ? 27 : 28) : (src ? 8 : 12);
		ie->type = v6 ? SP_IPFIX_T_IPV6 : SP_IPFIX_T_IPV4;
		ie->semantics = SP_IPFIX_S_IDENTIFIER;
		snprintf(ie->desc, sizeof(ie->desc), "%s address of the flow's first packet. "
			 "NFStream column %s.", src ? "Source" : "Destination", c->name);
	} else if (k != NULL && k->iana_name != NULL) {
		if (sc == SCOPE_REV) {
			reverse_name(k->iana_name, ie->name, sizeof(ie->name));
			ie->pen = SP_IPFIX_PEN_REVERSE;
			ie->reverse = true;
		} else {
			snprintf(ie->name, sizeof(ie->name), "%s", k->iana_name);
		}
		ie->id = k->id;
		ie->type = k->type;
		if (ie->id == 136)	/* flowEndReason: NFStream's code mapped to IANA's */
			f->enc = SP_IPFIX_ENC_END_REASON;
		else if (k->type == SP_IPFIX_T_U16 && f->enc == SP_IPFIX_ENC_U8)
			f->enc = SP_IPFIX_ENC_U8_U16;	/* tcpControlBits: 8 bits kept */
		ie->semantics = k->semantics;
		ie->units = k->units;
		describe(c, k, ie->desc, sizeof(ie->desc));
	} else {
		type = k != NULL && k->type != T_AUTO ? k->type : type_of_column(c);
		camel_name(c->name, ie->name, sizeof(ie->name));
		ie->enterprise = true;
		ie->pen = pen;
		ie->id = ent_id;
		if (sc == SCOPE_REV) {
			ie->id |= SP_IPFIX_REVERSE_BIT;
			ie->reverse = true;
		}
		ie->type = type;
		if (k != NULL) {
			ie->semantics = k->semantics;
			ie->units = k->units;
		} else {
			guess_semantics(c->name, type, ie);
		}
		describe(c, k, ie->desc, sizeof(ie->desc));
	}
	ie->len = sp_ipfix_type_len(ie->type);
	if (c->type == SP_EXPORT_COLT_OUI)
		ie->len = 3;
	else if (f->enc == SP_IPFIX_ENC_RAW)
		ie->len = c->size;
	if (is_list(c)) {
		snprintf(f->ie.name, sizeof(f->ie.name), "basicList");
		snprintf(f->ie.desc, sizeof(f->ie.desc), "RFC 6313 basicList (ordered) of %s. "
			 "NFStream column %s.", f->item.name, c->name);
		f->ie.id = 291;
		f->ie.len = SP_IPFIX_VARLEN;
		f->ie.type = SP_IPFIX_T_BASICLIST;
		f->ie.semantics = SP_IPFIX_S_LIST;
	}
}

/* A plugin column: an enterprise element under the run's PEN, its id the
 * column's ipfix_id or the one the plugin range gave it; lists as
 * basicLists of that element, like the SPLT columns. An internal plugin's
 * column may name its exact element instead (sp_plugin_internal.h). */
static void
make_plugin_field(const struct sp_plugins_column *pc, uint32_t pen, struct sp_ipfix_field *f)
{
	struct sp_ipfix_ie *ie;
	bool list = pc->c.type == SP_PLUGIN_INT_LIST || pc->c.type == SP_PLUGIN_STRING_LIST;
	size_t o = 0;
	const char *s;
	bool up = false;

	memset(f, 0, sizeof(*f));
	f->pcol.name = pc->c.name;
	f->pcol.offset = pc->offset;
	f->pcol.type = SP_EXPORT_COLT_PLUGIN;
	f->pcol.group = SP_EXPORT_COLG_PLUGIN;
	f->pcol.plugin = pc;
	f->col = &f->pcol;
	ie = list ? &f->item : &f->ie;
	/* "udps.dns_name" → "udpsDnsName": '.', '_' and '-' start a capital */
	for (s = pc->c.name; *s != '\0' && o + 1 < sizeof(ie->name); s++) {
		if (*s == '_' || *s == '.' || *s == '-') {
			up = o > 0;
			continue;
		}
		ie->name[o++] = up && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
		up = false;
	}
	ie->name[o] = '\0';
	ie->enterprise = true;
	ie->pen = pen;
	ie->id = pc->ipfix_id;
	switch (pc->c.type) {
	case SP_PLUGIN_INT:
	case SP_PLUGIN_INT_LIST:
		ie->type = SP_IPFIX_T_I64;
		break;
	case SP_PLUGIN_UINT:
		ie->type = SP_IPFIX_T_U64;
		break;
	case SP_PLUGIN_DOUBLE:
		ie->type = SP_IPFIX_T_F64;
		break;
	default:
		ie->type = SP_IPFIX_T_STRING;
		break;
	}
	ie->len = sp_ipfix_type_len(ie->type);
	guess_semantics(pc->c.name, ie->type, ie);
	snprintf(ie->desc, sizeof(ie->desc), "streamprobe plugin column %s%s.", pc->c.name,
		 pc->c.type <= SP_PLUGIN_DOUBLE ? " (None is sent as 0, NaN for a float)" :
		 pc->c.type == SP_PLUGIN_STRING ? " (None is sent as an empty string)" : "");
	switch (pc->c.type) {
	case SP_PLUGIN_INT_LIST:
		f->enc = SP_IPFIX_ENC_PLUGIN_LIST_I64;
		break;
	case SP_PLUGIN_STRING_LIST:
		f->enc = SP_IPFIX_ENC_PLUGIN_LIST_STR;
		break;
	case SP_PLUGIN_STRING:
		f->enc = SP_IPFIX_ENC_PLUGIN_STR;
		break;
	default:
		f->enc = SP_IPFIX_ENC_PLUGIN_NUM;
		break;
	}
	if (pc->ie != NULL && !list) {
		/* an internal plugin's column (nDPI's): its own element, width
		 * and words, as they were when its columns were record fields */
		const struct sp_plugin_ie *x = pc->ie;

		if (x->iana_name != NULL) {
			snprintf(ie->name, sizeof(ie->name), "%s", x->iana_name);
			ie->enterprise = false;
			ie->pen = 0;
		}
		ie->id = x->id;
		ie->type = x->type;
		ie->len = sp_ipfix_type_len(x->type);
		ie->semantics = x->semantics;
		ie->units = x->units;
		if (x->desc != NULL)
			snprintf(ie->desc, sizeof(ie->desc), "%s. NFStream column %s.", x->desc,
				 pc->c.name);
		else
			snprintf(ie->desc, sizeof(ie->desc), "NFStream column %s.", pc->c.name);
	}
	if (list) {
		snprintf(f->ie.name, sizeof(f->ie.name), "basicList");
		snprintf(f->ie.desc, sizeof(f->ie.desc), "RFC 6313 basicList (ordered) of %s. "
			 "streamprobe plugin column %s (None is sent as an empty list).",
			 f->item.name, pc->c.name);
		f->ie.id = 291;
		f->ie.len = SP_IPFIX_VARLEN;
		f->ie.type = SP_IPFIX_T_BASICLIST;
		f->ie.semantics = SP_IPFIX_S_LIST;
	}
}

unsigned int
sp_ipfix_fields_of(const struct sp_export_column *tab, unsigned int n,
		   const struct sp_columns *cols, bool v6, uint32_t pen, struct sp_ipfix_field *out)
{
	uint16_t *ids = calloc(n + 1, sizeof(*ids));
	unsigned int i, k = 0;

	if (ids == NULL)
		return 0;
	enterprise_ids(tab, n, ids);
	for (i = 0; i < n; i++) {
		if (cols != NULL && !sp_export_column_enabled(&tab[i], cols))
			continue;
		make_field(&tab[i], ids[i], v6, pen, &out[k++]);
	}
	for (i = 0; cols != NULL && i < cols->n_plugin_cols; i++)
		make_plugin_field(&cols->plugin_cols[i], pen, &out[k++]);
	for (i = 0; i < RTE_DIM(extra_cols); i++)
		make_field(&extra_cols[i], 0, v6, pen, &out[k++]);
	free(ids);
	return k;
}

unsigned int
sp_ipfix_fields(const struct sp_columns *cols, bool v6, uint32_t pen, struct sp_ipfix_field *out)
{
	const struct sp_export_column *tab;
	unsigned int n;

	tab = sp_export_columns_table(&n);
	return sp_ipfix_fields_of(tab, n, cols, v6, pen, out);
}

/* ------------------------------------------------------------------------ */
/* Published element lists.                                                 */

static const char *
semantics_name(uint8_t s)
{
	static const char *const names[] = {
		"default", "quantity", "totalCounter", "deltaCounter", "identifier", "flags",
		"list",
	};

	return s < RTE_DIM(names) ? names[s] : "default";
}

static const char *
units_name(uint16_t u)
{
	switch (u) {
	case SP_IPFIX_U_OCTETS: return "octets";
	case SP_IPFIX_U_PACKETS: return "packets";
	case SP_IPFIX_U_MILLISECONDS: return "milliseconds";
	default: return "";
	}
}

static void
xml_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

static void
csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * Every element of the column set once: the v4 template's fields, then the
 * v6 addresses, the listed elements right after their basicList field.
 * Returns the count; out[] entries point into the two field arrays.
 */
struct elem_ref {
	const struct sp_ipfix_ie *ie;
	const struct sp_ipfix_field *field;
	const struct sp_ipfix_field *field6;	/* the v6 template's field of the column */
	bool item;				/* ie is a basicList's listed element */
	bool v6extra;				/* ie is a v6 address element */
};

static unsigned int
collect(const struct sp_ipfix_field *f4, const struct sp_ipfix_field *f6, unsigned int n,
	struct elem_ref *out)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		out[k++] = (struct elem_ref){ &f4[i].ie, &f4[i], &f6[i], false, false };
		if (f4[i].ie.type == SP_IPFIX_T_BASICLIST)
			out[k++] = (struct elem_ref){ &f4[i].item, &f4[i], &f6[i], true, false };
	}
	for (i = 0; i < n; i++)
		if (f6[i].ie.id != f4[i].ie.id)
			out[k++] = (struct elem_ref){ &f6[i].ie, &f6[i], &f6[i], false, true };
	return k;
}

static void
write_xml(FILE *f, const struct elem_ref *e, unsigned int n, uint32_t pen)
{
	unsigned int i;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<!-- streamprobe enterprise IPFIX elements: generated by "
		"sp_export_ipfix_elements(), see docs/ipfix.md.\n"
		"     Load with: ipfixDump --element-file THIS_FILE -->\n"
		"<registry xmlns=\"http://www.iana.org/assignments\"\n"
		"          xmlns:cert=\"http://www.cert.org/ipfix\" id=\"streamprobe\">\n"
		"  <title>streamprobe (NFStream columns) IPFIX elements, PEN %u</title>\n"
		"  <registry id=\"streamprobe-information-elements\">\n"
		"    <title>streamprobe Enterprise IPFIX Elements (PEN %u)</title>\n", pen, pen);
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = e[i].ie;

		if (!ie->enterprise)
			continue;
		fprintf(f, "    <record>\n      <name>%s</name>\n      <dataType>%s</dataType>\n",
			ie->name, sp_ipfix_type_name(ie->type));
		fprintf(f, "      <dataTypeSemantics>%s</dataTypeSemantics>\n",
			semantics_name(ie->semantics));
		if (ie->units != SP_IPFIX_U_NONE)
			fprintf(f, "      <units>%s</units>\n", units_name(ie->units));
		fprintf(f, "      <cert:enterpriseId>%u</cert:enterpriseId>\n"
			"      <elementId>%u</elementId>\n"
			"      <cert:reversible>false</cert:reversible>\n"
			"      <status>current</status>\n"
			"      <description><paragraph>", ie->pen, ie->id);
		xml_text(f, ie->desc);
		fprintf(f, "</paragraph></description>\n    </record>\n");
	}
	fprintf(f, "  </registry>\n</registry>\n");
}

static void
write_csv(FILE *f, const struct elem_ref *e, unsigned int n)
{
	unsigned int i;

	fprintf(f, "EnterpriseId,ElementID,Name,Abstract Data Type,Data Type Semantics,Units,"
		"Length,Status,Description,Column\n");
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = e[i].ie;

		fprintf(f, "%u,%u,%s,%s,%s,%s,", ie->pen, ie->id, ie->name,
			sp_ipfix_type_name(ie->type), semantics_name(ie->semantics),
			units_name(ie->units));
		if (ie->len == SP_IPFIX_VARLEN)
			fprintf(f, "variable,");
		else
			fprintf(f, "%u,", ie->len);
		fprintf(f, "current,");
		csv_text(f, ie->desc);
		fprintf(f, ",%s\n", e[i].field->col->name);
	}
}

/* python3-ipfix spec lines. Only what its bundled IANA/RFC 5103 files lack. */
static void
write_iespec(FILE *f, const struct elem_ref *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct sp_ipfix_ie *ie = e[i].ie;

		/* python3-ipfix 0.9.7 knows the IANA registry up to id 433. */
		if (!ie->enterprise && !(ie->pen == 0 && ie->id > 433))
			continue;
		if (ie->pen != 0)
			fprintf(f, "%s(%u/%u)<%s>[%u]\n", ie->name, ie->pen, ie->id,
				sp_ipfix_type_name(ie->type), ie->len);
		else
			fprintf(f, "%s(%u)<%s>[%u]\n", ie->name, ie->id,
				sp_ipfix_type_name(ie->type), ie->len);
	}
}

static void
md_ie(FILE *f, const struct sp_ipfix_ie *ie, const char *pen_txt)
{
	if (ie->pen == 0)
		fprintf(f, "`%s` (%u)", ie->name, ie->id);
	else
		fprintf(f, "`%s` (%s/%u)", ie->name, pen_txt, ie->id);
}

static void
write_md(FILE *f, const struct elem_ref *e, unsigned int n)
{
	unsigned int i;

	fprintf(f, "| column | element (PEN/id) | type | length |\n| --- | --- | --- | --- |\n");
	for (i = 0; i < n; i++) {
		const struct sp_ipfix_field *fl = e[i].field;
		const struct sp_ipfix_ie *ie = e[i].ie;
		const struct sp_ipfix_ie *show = ie->type == SP_IPFIX_T_BASICLIST ? &fl->item : ie;
		char pen_txt[16];

		/* One row per column: skip the listed elements and the v6 extras. */
		if (e[i].item || e[i].v6extra)
			continue;
		snprintf(pen_txt, sizeof(pen_txt), "%s",
			 show->enterprise ? "PEN" : show->pen == SP_IPFIX_PEN_REVERSE ?
			 "29305" : "0");
		if (sp_ipfix_field_is_extra(fl))
			fprintf(f, "| (no column: `%s`) | ", fl->col->name);
		else
			fprintf(f, "| `%s` | ", fl->col->name);
		if (ie->type == SP_IPFIX_T_BASICLIST) {
			fprintf(f, "`basicList` (291) of ");
			md_ie(f, show, pen_txt);
		} else {
			md_ie(f, ie, pen_txt);
		}
		if (e[i].field6->ie.id != ie->id) {
			fprintf(f, "; IPv6: ");
			md_ie(f, &e[i].field6->ie, "0");
		}
		fprintf(f, " | %s%s", sp_ipfix_type_name(show->type),
			e[i].field6->ie.id != ie->id ? " / ipv6Address" : "");
		if (ie->type == SP_IPFIX_T_BASICLIST)
			fprintf(f, " list");
		if (ie->len == SP_IPFIX_VARLEN)
			fprintf(f, " | variable |\n");
		else if (e[i].field6->ie.len != ie->len)
			fprintf(f, " | %u / %u |\n", ie->len, e[i].field6->ie.len);
		else
			fprintf(f, " | %u |\n", ie->len);
	}
}

int
sp_export_ipfix_elements_format(const char *name)
{
	static const char *const fmts[] = {
		[SP_IPFIX_ELEMENTS_XML] = "xml",
		[SP_IPFIX_ELEMENTS_CSV] = "csv",
		[SP_IPFIX_ELEMENTS_IESPEC] = "iespec",
		[SP_IPFIX_ELEMENTS_MARKDOWN] = "markdown",
	};
	unsigned int i;

	for (i = 0; name != NULL && i < RTE_DIM(fmts); i++)
		if (strcmp(name, fmts[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int
sp_export_ipfix_elements(FILE *f, enum sp_ipfix_elements_format fmt,
			 const struct sp_columns *cols, uint32_t pen)
{
	unsigned int max = sp_ipfix_max_fields(cols);
	struct sp_ipfix_field *f4, *f6;
	struct elem_ref *e;
	unsigned int n, ne;
	int ret = 0;

	if (f == NULL)
		return -EINVAL;
	if (pen == 0)
		pen = SP_IPFIX_PEN_DEFAULT;
	f4 = calloc(2 * (size_t)max, sizeof(*f4));
	e = calloc(3 * (size_t)max, sizeof(*e));
	if (f4 == NULL || e == NULL) {
		free(f4);
		free(e);
		return -ENOMEM;
	}
	f6 = f4 + max;
	n = sp_ipfix_fields(cols, false, pen, f4);
	sp_ipfix_fields(cols, true, pen, f6);
	ne = collect(f4, f6, n, e);
	switch (fmt) {
	case SP_IPFIX_ELEMENTS_XML:
		write_xml(f, e, ne, pen);
		break;
	case SP_IPFIX_ELEMENTS_CSV:
		write_csv(f, e, ne);
		break;
	case SP_IPFIX_ELEMENTS_IESPEC:
		write_iespec(f, e, ne);
		break;
	case SP_IPFIX_ELEMENTS_MARKDOWN:
		write_md(f, e, ne);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	free(f4);
	free(e);
	if (ret == 0 && (fflush(f) != 0 || ferror(f)))
		ret = -EIO;
	return ret;
}
