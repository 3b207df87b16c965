/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_IPFIX_PRIVATE_H
#define SP_IPFIX_PRIVATE_H

/**
 * @file
 * IPFIX internals shared by ipfix.c (encoder and transports), ipfix_ie.c
 * (which information element each column becomes, and the published
 * element lists) and the unit tests. Never included outside lib/export and
 * tests.
 *
 * Every field of a template comes from one entry of the column table
 * (columns.c) through sp_ipfix_fields(): the CSV and IPFIX exporters can
 * therefore never disagree about which columns exist. A few IANA elements
 * that no column has (the time and TCP flags nfdump reads) follow them.
 */

#include <stdbool.h>
#include <stdint.h>

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
	SP_IPFIX_ENC_STR,	/**< char[size] → varlen UTF-8 string */
	SP_IPFIX_ENC_END_REASON, /**< int8 expiration_id → flowEndReason */
	SP_IPFIX_ENC_LIST_I8,	/**< SPLT direction → basicList of signed8 */
	SP_IPFIX_ENC_LIST_I32,	/**< SPLT sizes → basicList of signed32 */
	SP_IPFIX_ENC_LIST_I64,	/**< SPLT piat → basicList of signed64 */
	SP_IPFIX_ENC_RAW,	/**< a column type unknown here: its raw bytes */
	SP_IPFIX_ENC_PLUGIN_NUM,	/**< plugin int/uint/double: 8 bytes (None: 0, NaN) */
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

#endif /* SP_IPFIX_PRIVATE_H */
