/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_IPFIX_PRIVATE_H
#define SP_IPFIX_PRIVATE_H

/**
 * @file
 * IPFIX internals shared by ipfix.c (the exporter: templates, record
 * encoding, messages, sequence numbers, loss accounting), its transports
 * ipfix_udp.c, ipfix_tcp.c and ipfix_file.c (behind struct
 * sp_ipfix_transport_ops), ipfix_ie.c (which information element each
 * column becomes, and the published element lists) and the unit tests.
 * Never included outside lib/export and tests.
 *
 * Every field of a template comes from one entry of the column table
 * (columns.c) through sp_ipfix_fields(): the CSV and IPFIX exporters can
 * therefore never disagree about which columns exist. A few IANA elements
 * that no column has (the time and TCP flags nfdump reads) follow them.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "export_private.h"

/** IPFIX protocol constants (RFC 7011). */
#define SP_IPFIX_VERSION 10
#define SP_IPFIX_MSG_HDR_LEN 16
#define SP_IPFIX_SET_HDR_LEN 4
#define SP_IPFIX_SET_TEMPLATE 2
#define SP_IPFIX_MSG_MAX 65535u
#define SP_IPFIX_VARLEN 65535u
#define SP_IPFIX_ENTERPRISE_BIT 0x8000u

/** RFC 5103: reverse IANA elements live under this PEN, with the same id. */
#define SP_IPFIX_PEN_REVERSE 29305u
/** RFC 5103 §6.2: the reverse of an enterprise element sets this id bit. */
#define SP_IPFIX_REVERSE_BIT 0x4000u

/**
 * Fields that follow the columns in every template and are no CSV column
 * (ipfix_ie.c: what nfdump and its kind read for a flow's time and TCP
 * flags), and the most fields a template has.
 */
#define SP_IPFIX_EXTRA_FIELDS 3
#define SP_IPFIX_MAX_FIELDS (SP_EXPORT_MAX_COLUMNS + SP_IPFIX_EXTRA_FIELDS)

/** Template ids: one per address family (RFC 7011 §3.4.1: >= 256). */
#define SP_IPFIX_TID_V4 256
#define SP_IPFIX_TID_V6 257

/** RFC 6313 §4.5.1 list semantic "ordered". */
#define SP_IPFIX_LIST_ORDERED 0x04

/**
 * Enterprise element ids of columns the table does not know yet are taken
 * from a hash of the name in [SP_IPFIX_HASH_ID_MIN, SP_IPFIX_REVERSE_BIT).
 */
#define SP_IPFIX_HASH_ID_MIN 0x2000u

/** Abstract data types, numbered as in RFC 5610 informationElementDataType. */
enum sp_ipfix_type {
	SP_IPFIX_T_OCTETS = 0,
	SP_IPFIX_T_U8 = 1,
	SP_IPFIX_T_U16 = 2,
	SP_IPFIX_T_U32 = 3,
	SP_IPFIX_T_U64 = 4,
	SP_IPFIX_T_I8 = 5,
	SP_IPFIX_T_I16 = 6,
	SP_IPFIX_T_I32 = 7,
	SP_IPFIX_T_I64 = 8,
	SP_IPFIX_T_F32 = 9,
	SP_IPFIX_T_F64 = 10,
	SP_IPFIX_T_BOOL = 11,
	SP_IPFIX_T_MAC = 12,
	SP_IPFIX_T_STRING = 13,
	SP_IPFIX_T_DT_S = 14,
	SP_IPFIX_T_DT_MS = 15,
	SP_IPFIX_T_IPV4 = 18,
	SP_IPFIX_T_IPV6 = 19,
	SP_IPFIX_T_BASICLIST = 20,
};

/** Data type semantics, numbered as in RFC 5610 informationElementSemantics. */
enum sp_ipfix_semantics {
	SP_IPFIX_S_DEFAULT = 0,
	SP_IPFIX_S_QUANTITY = 1,
	SP_IPFIX_S_TOTAL = 2,
	SP_IPFIX_S_DELTA = 3,
	SP_IPFIX_S_IDENTIFIER = 4,
	SP_IPFIX_S_FLAGS = 5,
	SP_IPFIX_S_LIST = 6,
};

/** Units, numbered as in RFC 5610 informationElementUnits. */
enum sp_ipfix_units {
	SP_IPFIX_U_NONE = 0,
	SP_IPFIX_U_OCTETS = 2,
	SP_IPFIX_U_PACKETS = 3,
	SP_IPFIX_U_MILLISECONDS = 6,
};

/** How the encoder turns a column's value into the field's bytes. */
enum sp_ipfix_enc {
	SP_IPFIX_ENC_U8 = 0,	/**< 1 byte (uint8 or int8) */
	SP_IPFIX_ENC_U16,	/**< host uint16 → big endian */
	SP_IPFIX_ENC_U8_U16,	/**< uint8 → unsigned16 (tcpControlBits) */
	SP_IPFIX_ENC_U64,	/**< host uint64 / double bits → big endian */
	SP_IPFIX_ENC_BYTES,	/**< copy len bytes (addresses, MAC, OUI) */
	SP_IPFIX_ENC_END_REASON, /**< int8 expiration_id → flowEndReason */
	SP_IPFIX_ENC_LIST_I8,	/**< SPLT direction → basicList of signed8 */
	SP_IPFIX_ENC_LIST_I32,	/**< SPLT sizes → basicList of signed32 */
	SP_IPFIX_ENC_LIST_I64,	/**< SPLT piat → basicList of signed64 */
	SP_IPFIX_ENC_RAW,	/**< a column type unknown here: its raw bytes */
	SP_IPFIX_ENC_PLUGIN_NUM,	/**< plugin int/uint/double: 8 bytes, or an internal
					 * column's element width (None: 0, NaN) */
	SP_IPFIX_ENC_PLUGIN_STR,	/**< plugin string → varlen UTF-8 (None: "") */
	SP_IPFIX_ENC_PLUGIN_LIST_I64,	/**< plugin int list → basicList of signed64 */
	SP_IPFIX_ENC_PLUGIN_LIST_STR,	/**< plugin string list → basicList of string */
};

/** flowEndReason values (IANA 136, RFC 5102). */
#define SP_IPFIX_END_IDLE 1
#define SP_IPFIX_END_ACTIVE 2
#define SP_IPFIX_END_DETECTED 3
#define SP_IPFIX_END_FORCED 4

/** Longest generated element name and description (NUL included). */
#define SP_IPFIX_NAME_LEN 64
#define SP_IPFIX_DESC_LEN 224

/** An information element as it is published. */
struct sp_ipfix_ie {
	char name[SP_IPFIX_NAME_LEN];	/**< IANA's name, or lowerCamelCase of the column */
	char desc[SP_IPFIX_DESC_LEN];
	uint32_t pen;		/**< 0 IANA, 29305 RFC 5103 reverse, else the enterprise PEN */
	uint16_t id;		/**< without the enterprise bit */
	uint16_t len;		/**< on the wire; SP_IPFIX_VARLEN for variable length */
	uint8_t type;		/**< enum sp_ipfix_type */
	uint8_t semantics;	/**< enum sp_ipfix_semantics */
	uint16_t units;		/**< enum sp_ipfix_units */
	bool enterprise;	/**< defined by us (pen is the configured PEN) */
	bool reverse;		/**< the reverse (dst2src) of another element */
};

/**
 * One field of a template: a column and the element it is sent as. A
 * plugin column's col points at pcol in the same field: fields are not
 * copied by value.
 */
struct sp_ipfix_field {
	const struct sp_export_column *col;
	struct sp_export_column pcol;	/**< a plugin column's (col->plugin set) */
	struct sp_ipfix_ie ie;		/**< basicList (291) for the SPLT columns */
	struct sp_ipfix_ie item;	/**< the listed element of a basicList */
	uint8_t enc;			/**< enum sp_ipfix_enc */
};

/** Room sp_ipfix_fields() needs for a column set (NULL: the built-in columns). */
static inline unsigned int
sp_ipfix_max_fields(const struct sp_columns *cols)
{
	return SP_IPFIX_MAX_FIELDS + (cols != NULL ? cols->n_plugin_cols : 0);
}

/**
 * The fields of one template: one per column of the set, in column order,
 * then the SP_IPFIX_EXTRA_FIELDS that are no column (their col is not in
 * the column table; sp_ipfix_field_is_extra()).
 *
 * @param cols  the run's column set
 * @param v6    IPv6 template (addresses as sourceIPv6Address, ...)
 * @param pen   PEN of the enterprise elements
 * @param out   room for sp_ipfix_max_fields(cols) fields
 * @return number of fields
 */
unsigned int sp_ipfix_fields(const struct sp_columns *cols, bool v6, uint32_t pen,
			     struct sp_ipfix_field *out);

/**
 * sp_ipfix_fields() over another column table than columns.c's (the unit
 * tests check with it what a column added later becomes).
 *
 * @return number of fields, 0 when out of memory
 */
unsigned int sp_ipfix_fields_of(const struct sp_export_column *tab, unsigned int n,
				const struct sp_columns *cols, bool v6, uint32_t pen,
				struct sp_ipfix_field *out);

/** True for the fields that follow the columns and are no CSV column. */
bool sp_ipfix_field_is_extra(const struct sp_ipfix_field *f);

/** flowEndReason for an NFStream expiration_id (documented in docs/ipfix.md). */
static inline uint8_t
sp_ipfix_end_reason(int8_t expiration_id)
{
	switch (expiration_id) {
	case 0:
		return SP_IPFIX_END_IDLE;	/* idle timeout, or end of capture */
	case 1:
		return SP_IPFIX_END_ACTIVE;
	case -1:
		return SP_IPFIX_END_DETECTED;	/* a plugin ended the flow */
	default:
		return SP_IPFIX_END_FORCED;
	}
}

/** Name of an abstract data type as in the IANA registry ("unsigned64"). */
const char *sp_ipfix_type_name(uint8_t type);

/** Fixed wire length of a type, or SP_IPFIX_VARLEN. */
uint16_t sp_ipfix_type_len(uint8_t type);

/* ------------------------------------------------------------------------ */
/* The exporter and its transports.                                         */

/*
 * As libfixbuf separates fBuf (messages) from fbExporter (where they go):
 * ipfix.c encodes records into messages and owns everything a message
 * carries (templates, sequence numbers, statistics, the loss accounting);
 * a transport decides where a message is built, and what becomes of it
 * once finished: UDP batches datagrams and paces them, TCP queues them
 * until acknowledged and reconnects, a file buffers and rotates. The
 * exporter calls the transport once a message, never once a record.
 */

/** Why records were lost: the cause the export set's warning names. */
enum sp_ipfix_loss_kind {
	SP_IPFIX_LOSS_NONE = 0,
	SP_IPFIX_LOSS_UNREACHABLE,	/**< TCP not connected, UDP refused (ICMP) */
	SP_IPFIX_LOSS_SOCKET,		/**< UDP socket buffer full */
	SP_IPFIX_LOSS_QUEUE,		/**< TCP connected but the collector reads too slowly */
	SP_IPFIX_LOSS_RATE,		/**< UDP over the rate for longer than the batch holds */
	SP_IPFIX_LOSS_FILE,		/**< a write failed */
};

/** Datagrams per sendmmsg(2) (ipfix_udp.c), also named in the loss cause. */
#define SP_IPFIX_UDP_BATCH 32
/** Template messages: one with both templates, or one each. */
#define SP_IPFIX_TMSG_MAX 2
#define SP_IPFIX_NS_PER_S 1000000000ull

/** One field of a compiled template. */
struct sp_ipfix_op {
	uint32_t off;		/**< value's offset in struct sp_flow_record */
	uint16_t len;		/**< BYTES, RAW, PLUGIN_NUM: bytes */
	uint8_t enc;		/**< enum sp_ipfix_enc */
	uint16_t item_id;	/**< lists: listed element id, enterprise bit set */
	uint16_t item_len;
	const struct sp_plugins_column *pc;	/**< SP_IPFIX_ENC_PLUGIN_*: the column */
};

/** A template compiled at open: its record and one operation a field. */
struct sp_ipfix_tmpl {
	uint16_t tid;
	unsigned int nops;
	size_t rec_max;			/**< largest encoded record */
	size_t trec_len;		/**< template record bytes */
	uint8_t *trec;			/**< 4 + 8 bytes a field */
	struct sp_ipfix_op *ops;	/**< one a field */
};

struct sp_ipfix_transport_ops;

/**
 * The exporter's state. A transport's own state follows it: each transport
 * defines a struct that starts with this one, and the exporter allocates
 * sp_ipfix_transport_ops.size bytes.
 */
struct sp_ipfix_exporter {
	struct sp_exporter base;	/**< first: the export set only sees this */
	const struct sp_ipfix_transport_ops *tr;
	struct sp_ipfix_params p;	/**< defaults resolved */
	uint16_t splt_n;
	int first_err;
	struct sp_ipfix_stats st;
	struct sp_ipfix_tmpl t[2];	/**< [0] IPv4, [1] IPv6 */

	/* Template messages, built once at open; seq and time patched when sent. */
	uint8_t *tmsg;
	size_t tmsg_len[SP_IPFIX_TMSG_MAX];
	unsigned int n_tmsg;
	size_t tmsg_total;

	/* The message being built. */
	uint8_t *msg;			/**< NULL: none open */
	size_t msg_len;
	size_t msg_limit;		/**< wanted largest message (set by the transport's open) */
	size_t msg_cap;			/**< largest message (UDP: more, for a lone large record) */
	uint8_t *lone;			/**< msg_cap bytes when msg_cap > msg_limit (UDP), else NULL */
	size_t set_off;			/**< open data set header, 0: none */
	uint16_t set_tid;
	uint32_t msg_nrec;
	uint32_t seq;			/**< data records before the current message */
	bool dead;			/**< the transport takes nothing (file: a write failed) */
	uint8_t *scratch;		/**< one record that may not fit the message */
	uint8_t *strtmp;		/**< UTF-8 cleaning of a non-ASCII string */

	/* Losses: the latest one's cause, and what was reported of them. */
	uint8_t loss_kind;		/**< enum sp_ipfix_loss_kind */
	int loss_err;
	uint64_t reported_records;
	uint64_t reported_refused;
	uint64_t report_at_ms;
};

/**
 * A transport: where messages are built and where they go. All but stats
 * are called by ipfix.c, which never looks inside the transport's state.
 */
struct sp_ipfix_transport_ops {
	const char *scheme;	/**< URI prefix: "udp://", "tcp://", "file:" */
	size_t size;		/**< of the transport's struct (starts with sp_ipfix_exporter) */
	/**
	 * Open what follows the scheme in the URI. Sets msg_limit and msg_cap
	 * (and lone), builds the template messages (sp_ipfix_tmpl_build()) and
	 * sends them where the transport sends them at once.
	 * @return 0 or -errno; release is called after a failure.
	 */
	int (*open)(struct sp_ipfix_exporter *x, const char *where);
	/** Room for the next message: msg_limit bytes. */
	uint8_t *(*begin)(struct sp_ipfix_exporter *x);
	/**
	 * A finished message (headers set, seq counted; x->msg already NULL):
	 * sent, queued or written as the transport does, counted in st, or lost
	 * through sp_ipfix_lose(). m is the begin's room or x->lone.
	 */
	void (*write)(struct sp_ipfix_exporter *x, uint8_t *m, size_t len, uint32_t nrec);
	/** Push out what waits (sp_export_flush()). @return 0 or -errno. */
	int (*flush)(struct sp_ipfix_exporter *x);
	/** The end: waits up to p.linger_ms for what waits, counts the rest lost, closes. */
	void (*close)(struct sp_ipfix_exporter *x);
	/** Free the transport's resources (after close, or after a failed open). */
	void (*release)(struct sp_ipfix_exporter *x);
	/** The transport's part of the statistics (buffered_bytes, connected); may be NULL. */
	void (*stats)(const struct sp_ipfix_exporter *x, struct sp_ipfix_stats *st);
};

extern const struct sp_ipfix_transport_ops sp_ipfix_udp;
extern const struct sp_ipfix_transport_ops sp_ipfix_tcp;
extern const struct sp_ipfix_transport_ops sp_ipfix_file;

/** The transport of a URI, by its scheme; NULL for none. */
const struct sp_ipfix_transport_ops *sp_ipfix_transport(const char *uri);

/** Remember the first error (what close returns). */
void sp_ipfix_set_err(struct sp_ipfix_exporter *x, int err);

/** A message that will never reach the collector, and why. */
void sp_ipfix_lose(struct sp_ipfix_exporter *x, uint32_t nrec, uint8_t kind, int err);

/**
 * Build the template messages: both templates in one message when that is
 * within limit bytes, else one message each.
 * @return 0 or -ENOMEM
 */
int sp_ipfix_tmpl_build(struct sp_ipfix_exporter *x, size_t limit);

/** Stamp the template messages with the current time and a sequence number. */
void sp_ipfix_tmpl_stamp(struct sp_ipfix_exporter *x, uint32_t seq);

/** "HOST:PORT" or "[V6]:PORT" → resolved address. @return 0 or -errno */
int sp_ipfix_resolve(const char *hp, int socktype, struct sockaddr_storage *ss, socklen_t *len);

/** The largest record of either template. */
static inline size_t
sp_ipfix_rec_max(const struct sp_ipfix_exporter *x)
{
	return RTE_MAX(x->t[0].rec_max, x->t[1].rec_max);
}

static inline uint64_t
sp_ipfix_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void
sp_ipfix_put16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, 2);
}

static inline void
sp_ipfix_put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static inline uint32_t
sp_ipfix_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

#endif /* SP_IPFIX_PRIVATE_H */
