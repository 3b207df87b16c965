/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_EXPORT_PRIVATE_H
#define SP_EXPORT_PRIVATE_H

/**
 * @file
 * Internals shared by the exporters of lib/export only (never included by
 * another module): the one table of NFStream columns, which drives the CSV
 * header and rows and the IPFIX templates alike, and the text helpers the
 * CSV writer is made of, exposed so that the unit tests check the very
 * code the exporters run.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sp_export.h>
#include <sp_plugins.h>

/** Column groups: which part of the column set a column belongs to
 * (docs/nfstream-semantics.md §2). */
enum sp_export_col_group {
	SP_EXPORT_COLG_CORE = 0,	/**< always present */
	SP_EXPORT_COLG_TUNNEL,		/**< sp_columns::tunnel_id */
	SP_EXPORT_COLG_STAT,		/**< sp_columns::statistical (48 columns) */
	SP_EXPORT_COLG_SPLT,		/**< sp_columns::splt_n > 0 (3 columns) */
	SP_EXPORT_COLG_PLUGIN,		/**< sp_columns::plugin_cols (after every other) */
	SP_EXPORT_COLG_COUNT
};

/** How a column's value is stored in struct sp_flow_record. */
enum sp_export_col_type {
	SP_EXPORT_COLT_U8 = 0,
	SP_EXPORT_COLT_I8,
	SP_EXPORT_COLT_U16,
	SP_EXPORT_COLT_U64,
	SP_EXPORT_COLT_F64,
	SP_EXPORT_COLT_SRC_IP,		/**< st.src_ip, family from st.ip_version */
	SP_EXPORT_COLT_DST_IP,		/**< st.dst_ip, family from st.ip_version */
	SP_EXPORT_COLT_MAC,		/**< uint8_t[6] */
	SP_EXPORT_COLT_OUI,		/**< first 3 bytes of a uint8_t[6] */
	SP_EXPORT_COLT_SPLT_DIR,	/**< int8 list from the SPLT area */
	SP_EXPORT_COLT_SPLT_PS,		/**< int32 list */
	SP_EXPORT_COLT_SPLT_PIAT,	/**< int64 list */
	SP_EXPORT_COLT_PLUGIN,		/**< a plugin column's cell in the plugin area */
};

/** One output column. */
struct sp_export_column {
	const char *name;	/**< NFStream's column name */
	uint32_t offset;	/**< of the value in struct sp_flow_record */
	uint16_t size;		/**< bytes of the value (array size for strings) */
	uint8_t type;		/**< enum sp_export_col_type */
	uint8_t group;		/**< enum sp_export_col_group */
	/** SP_EXPORT_COLT_PLUGIN: the column in the run's plugin area. */
	const struct sp_plugins_column *plugin;
};

/**
 * Number of NFStream's columns (every NFStream group on): the built-in
 * table's, then nDPI's nine (its first plugin columns, sp_dpi_columns()).
 */
#define SP_EXPORT_NFSTREAM_COLUMNS 89

/**
 * Number of columns in the built-in table (every group on). A run has
 * these plus its plugins' columns, nDPI's included, however many:
 * sp_export_columns_all().
 */
#define SP_EXPORT_MAX_COLUMNS 80

/**
 * All columns NFStream can produce (udps/system columns aside) but nDPI's
 * (a plugin's), in its column order.
 *
 * @param n
 *   Set to the number of entries.
 */
const struct sp_export_column *sp_export_columns_table(unsigned int *n);

/** True when the column is part of the column set. */
bool sp_export_column_enabled(const struct sp_export_column *c, const struct sp_columns *cols);

/**
 * The columns of a column set, in output order.
 *
 * @param out
 *   Room for SP_EXPORT_MAX_COLUMNS pointers.
 * @return
 *   Number of columns stored.
 */
unsigned int sp_export_columns_select(const struct sp_columns *cols,
				      const struct sp_export_column **out);

/**
 * The columns of a column set in output order, plugin columns included
 * (each as an SP_EXPORT_COLT_PLUGIN column after the built-in ones).
 *
 * @param n  set to the number of columns
 * @return an array to free() with free(), or NULL (ENOMEM).
 */
const struct sp_export_column **sp_export_columns_all(const struct sp_columns *cols,
						      unsigned int *n);

/* ------------------------------------------------------------------------ */
/* Text helpers (format.c). Each writes at dst, which must have room for the */
/* documented maximum, and returns the number of bytes written (no NUL).     */

/** Longest output of sp_export_fmt_u64 / _i64. */
#define SP_EXPORT_INT_MAX_LEN 20
/** Longest output of sp_export_fmt_ip (IPv6 with embedded IPv4). */
#define SP_EXPORT_IP_MAX_LEN 45
/** Longest output of sp_export_pyfloat (without the NUL). */
#define SP_EXPORT_FLOAT_MAX_LEN 24

size_t sp_export_fmt_u64(char *dst, uint64_t v);
size_t sp_export_fmt_i64(char *dst, int64_t v);

/**
 * Bytes sp_export_put_u64() / _i64() may store at dst: the text, then
 * bytes of no meaning up to max(text, 8) + 1, which the next value
 * overwrites. A buffer that takes them needs this much room at the end.
 */
#define SP_EXPORT_INT_WIDE_LEN 24

/**
 * Text of 0..999 (sp_export_txt1000[v]): bytes 0-2 the digits without
 * leading zeros, byte 3 their count, bytes 4-6 three digits with leading
 * zeros. Filled before main() (format.c).
 */
extern uint64_t sp_export_txt1000[1000];

/**
 * The eight decimal digits of v < 10^8 as byte values 0-9, the most
 * significant in the lowest byte (a little-endian store writes them in
 * order): two 4-digit halves in the two 32-bit lanes, split into 2-digit
 * then 1-digit lanes by multiply-and-shift reciprocals (x * 10486 >> 20 is
 * x / 100 for x < 10^4, x * 103 >> 10 is x / 10 for x < 100; checked for
 * every v by the unit test). No division, no table, no branch.
 */
static inline uint64_t
sp_export_digits8(uint32_t v)
{
	uint64_t merged = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
	uint64_t top = ((merged * 10486) >> 20) & ((0x7fULL << 32) | 0x7f);
	uint64_t bot = merged - 100 * top;
	uint64_t hundreds = (bot << 16) + top;
	uint64_t tens = (hundreds * 103) >> 10;

	tens &= (0xfULL << 48) | (0xfULL << 32) | (0xfULL << 16) | 0xf;
	tens += (hundreds - 10 * tens) << 8;
	return tens;
}

#define SP_EXPORT_ASCII8 0x3030303030303030ULL

/* v < 10^8 without leading zeros; stores 8 bytes (4 below 1000). */
static inline size_t
sp_export_put_u27(char *dst, uint32_t v)
{
	uint64_t d;
	unsigned int lz;

	if (v < 1000) {
		d = sp_export_txt1000[v];
		memcpy(dst, &d, 4);
		return (d >> 24) & 0xff;
	}
	d = sp_export_digits8(v);
	/* leading zero digits: the zero low bytes (v >= 1000: at most 4) */
	lz = (unsigned int)__builtin_ctzll(d) >> 3;
	d = (d + SP_EXPORT_ASCII8) >> (8 * lz);
	memcpy(dst, &d, 8);
	return 8 - lz;
}

/* Exactly 8 digits, leading zeros kept (v < 10^8). */
static inline void
sp_export_put_digits8(char *dst, uint32_t v)
{
	uint64_t d = sp_export_digits8(v) + SP_EXPORT_ASCII8;

	memcpy(dst, &d, 8);
}

/**
 * Python's str(int) of v at dst, like sp_export_fmt_u64(), but storing
 * whole words: dst needs SP_EXPORT_INT_WIDE_LEN bytes, and the bytes after
 * the returned length are left undefined. The CSV row is built with this
 * (callgrind, csv_write per record, manyflows' first 200 k packets, DPI
 * off, default columns, LTO: 2,388 -> 1,307 Ir with it and the reused
 * texts; integer formatting had been 1,148 of the 2,388).
 */
static inline size_t
sp_export_put_u64(char *dst, uint64_t v)
{
	uint64_t hi;
	size_t n;

	if (v < 100000000)
		return sp_export_put_u27(dst, (uint32_t)v);
	hi = v / 100000000;
	if (hi < 100000000) {
		n = sp_export_put_u27(dst, (uint32_t)hi);
	} else {
		n = sp_export_put_u27(dst, (uint32_t)(hi / 100000000));
		sp_export_put_digits8(dst + n, (uint32_t)(hi % 100000000));
		n += 8;
	}
	sp_export_put_digits8(dst + n, (uint32_t)(v - hi * 100000000));
	return n + 8;
}

/** sp_export_put_u64() of a signed value. */
static inline size_t
sp_export_put_i64(char *dst, int64_t v)
{
	if (v >= 0)
		return sp_export_put_u64(dst, (uint64_t)v);
	*dst = '-';
	/* 0 - (uint64_t)v is |v| even for INT64_MIN. */
	return 1 + sp_export_put_u64(dst + 1, 0 - (uint64_t)v);
}

/** glibc inet_ntop() text of an address: IPv4 from ip[0..3] when v4, else IPv6. */
size_t sp_export_fmt_ip(char *dst, const uint8_t ip[16], bool v4);

/** "xx:xx:xx:xx:xx:xx", lowercase; with n = 3 the OUI "xx:xx:xx". */
size_t sp_export_fmt_mac(char *dst, const uint8_t *mac, unsigned int n);

/**
 * Copy a C string of at most len bytes as NFStream puts it in a CSV field:
 * invalid UTF-8 dropped (Python's decode('utf-8', errors='ignore')), every
 * '"' turned into '\"', no surrounding quotes. dst needs 2 * len bytes.
 */
size_t sp_export_fmt_pystr(char *dst, const char *src, size_t len);

/**
 * The same text without the escaping: Python's str of the decoded value,
 * what the anonymizer hashes. dst needs len bytes.
 */
size_t sp_export_fmt_utf8(char *dst, const char *src, size_t len);

/**
 * sp_export_fmt_utf8() of len bytes that are not a C string (a plugin's
 * value): a NUL among them is a character like any other. dst needs len
 * bytes.
 */
size_t sp_export_fmt_utf8_bytes(char *dst, const char *src, size_t len);

/** sp_export_pyfloat() into a buffer of SP_EXPORT_FLOAT_MAX_LEN bytes. */
size_t sp_export_fmt_pyfloat(char *dst, double x);

/**
 * Longest text of a plugin column's value in a CSV field (quotes and
 * escapes included).
 */
size_t sp_export_plugin_max_len(const struct sp_plugin_column *c);

/**
 * A plugin column's value as NFStream's to_csv() writes a udps value
 * (csv_converter: str() of it, '"' as '\"', in quotes; ints and floats
 * bare): int decimal, float Python's repr, string as sp_export_fmt_pystr(),
 * lists Python's str() ("[1, 2]", "['a', 'b']" with repr() of each
 * string), None empty. With raw, str(value) alone (no quotes, no '"'
 * escaping: what the anonymizer hashes). dst needs
 * sp_export_plugin_max_len() bytes.
 * @return bytes written.
 */
size_t sp_export_fmt_plugin(char *dst, const struct sp_plugins_column *c,
			    const struct sp_flow_record *r, bool raw);

/**
 * Python's repr() of a str made of the UTF-8 bytes src[0..len) (invalid
 * sequences dropped first, as decode(errors='ignore')): quotes chosen as
 * Python does, backslash escapes for the quote, '\\', \t \n \r and
 * the non-printable characters (\xNN, \uNNNN).
 * dst needs 6 * len + 2 bytes.
 */
size_t sp_export_fmt_pyrepr(char *dst, const char *src, size_t len);

#endif /* SP_EXPORT_PRIVATE_H */
