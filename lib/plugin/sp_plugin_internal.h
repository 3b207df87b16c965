/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PLUGIN_INTERNAL_H
#define SP_PLUGIN_INTERNAL_H

/**
 * @file
 * What streamprobe's internal plugins (nDPI, lib/dpi) share with the loader
 * beyond the public interface (sp_plugin.h, ABI 2), and what is therefore
 * not part of that ABI: a column's exact IPFIX element, and the record's
 * plugin area cells written without the setters' checks.
 *
 * An internal plugin's columns are registry columns like any plugin's: the
 * exporters walk them in the same list, read them from the same cells and
 * print them in the CSV as any plugin's. What a shared object cannot say,
 * an internal column can: its IPFIX element may be an IANA one (PEN 0) or
 * one of streamprobe's own enterprise ids outside the plugins' range, with
 * a width other than 8 bytes (NFStream's nDPI columns have kept their
 * elements since the first IPFIX exporter: collectors' element files name
 * them).
 *
 * Header only: lib/dpi includes it without linking lib/plugin.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sp_plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Head of a column's cell in the plugin area (sp_plugins.h has the layout). */
struct sp_plugins_cell {
	uint16_t set;		/**< 0: None */
	uint16_t n;		/**< string bytes, list elements */
	uint32_t reserved;
};

/** Bytes of one element of a STRING_LIST cell. */
#define SP_PLUGINS_STR_ELT(max_str) (2u + (unsigned int)(max_str))

/** Bytes of a column's cell, head included (8-aligned). */
static inline uint32_t
sp_plugins_cell_bytes(const struct sp_plugin_column *c)
{
	uint32_t h = sizeof(struct sp_plugins_cell);

	switch (c->type) {
	case SP_PLUGIN_STRING:
		return h + ((c->max + 7u) & ~7u);
	case SP_PLUGIN_INT_LIST:
		return h + 8u * c->max;
	case SP_PLUGIN_STRING_LIST:
		return h + ((c->max * SP_PLUGINS_STR_ELT(c->max_str) + 7u) & ~7u);
	default:
		return h + 8;
	}
}

/**
 * An internal column's exact IPFIX element. Numbers are IANA's registries':
 * type the abstract data type (RFC 7012 §3.1: 1 unsigned8, 2 unsigned16,
 * 5 signed8, 13 string, ...), semantics and units theirs. An INT or UINT
 * column is sent in the type's width (its value must fit); a STRING column
 * as a string.
 */
struct sp_plugin_ie {
	/** IANA element name (PEN 0); NULL: streamprobe's enterprise element
	 * under the run's PEN, named as the column in camelCase. */
	const char *iana_name;
	uint16_t id;		/**< IANA id, or the enterprise id (any, fixed) */
	uint8_t type;
	uint8_t semantics;
	uint16_t units;
	/** Description, then ". NFStream column NAME."; NULL: that sentence only. */
	const char *desc;
};

/** An internal plugin's column: the public description and its element. */
struct sp_plugin_icolumn {
	struct sp_plugin_column c;
	struct sp_plugin_ie ie;
};

/*
 * Writing a cell directly, at its offset in the record's plugin area
 * (sp_record_ext()): what sp_plugin_set_int/_string do, without the type
 * and index checks an internal plugin does not need on its own columns.
 */
static inline void
sp_plugins_cell_put_int(uint8_t *area, uint32_t off, int64_t v)
{
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)(area + off);

	memcpy(h + 1, &v, 8);
	h->set = 1;
	h->n = 1;
}

/** len must be at most the column's max (the caller bounds its strings). */
static inline void
sp_plugins_cell_put_str(uint8_t *area, uint32_t off, const char *s, size_t len)
{
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)(area + off);

	memcpy(h + 1, s, len);
	h->set = 1;
	h->n = (uint16_t)len;
}

/** A string cell's bytes, to be filled by the caller before put_len. */
static inline char *
sp_plugins_cell_str(uint8_t *area, uint32_t off)
{
	return (char *)(void *)(area + off + sizeof(struct sp_plugins_cell));
}

static inline void
sp_plugins_cell_put_len(uint8_t *area, uint32_t off, size_t len)
{
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)(area + off);

	h->set = 1;
	h->n = (uint16_t)len;
}

#ifdef __cplusplus
}
#endif

#endif /* SP_PLUGIN_INTERNAL_H */
