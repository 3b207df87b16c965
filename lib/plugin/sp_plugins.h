/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PLUGINS_H
#define SP_PLUGINS_H

/**
 * @file
 * The run's side of the plugins (sp_plugin.h is the plugins' side): the
 * `--plugin` specs parsed, the plugins found (shipped ones by name, others
 * by path with dlopen) and configured, each turned into a per-flow hook of
 * the worker (struct sp_flow_ops), and their columns laid out in the
 * record's plugin area for the exporters.
 *
 * The plugin area follows a record's SPLT arrays (sp_record_ext()). Each
 * column has a cell there: a struct sp_plugins_cell, then its value:
 *   INT, UINT, DOUBLE   8 bytes (int64, uint64, double)
 *   STRING              max bytes (cell.n of them used)
 *   INT_LIST            max int64 (cell.n of them used)
 *   STRING_LIST         max elements of SP_PLUGINS_STR_ELT(max_str) bytes:
 *                       a uint16 length, then the bytes
 * A cell whose `set` is 0 is None (an empty CSV field, no IPFIX value).
 *
 * Thread safety: load, unload and the queries run on the main lcore; the
 * hooks on the workers (struct sp_flow_ops rules).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sp_dpi.h>
#include <sp_features.h>
#include <sp_flow.h>
#include <sp_plugin.h>
#include <sp_plugin_internal.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most --plugin plugins in a run (nDPI and they share the worker's 16 hooks). */
#define SP_PLUGINS_MAX 15
/** Most columns of one plugin. */
#define SP_PLUGINS_MAX_COLUMNS 256
/** Most options in one spec. */
#define SP_PLUGINS_MAX_OPTIONS 32
/** Enterprise element ids given to plugin columns without an ipfix_id. */
#define SP_PLUGINS_IPFIX_ID_MIN 0x1000u
#define SP_PLUGINS_IPFIX_ID_MAX 0x1fffu

/** A plugin column of the run, laid out in the plugin area. */
struct sp_plugins_column {
	struct sp_plugin_column c;	/**< as declared; name owned by the run */
	uint32_t offset;		/**< of the cell in the plugin area */
	uint32_t size;			/**< bytes of the cell, head included */
	uint16_t ipfix_id;		/**< the declared id, or the one given in the range */
	uint16_t plugin;		/**< index of its plugin in the run; SP_PLUGINS_DPI: nDPI */
	/** An internal plugin's exact IPFIX element (nDPI's columns); NULL: the
	 * plugins' rule (an enterprise element of the run's PEN, 8-byte numbers). */
	const struct sp_plugin_ie *ie;
};

/** sp_plugins_column.plugin of nDPI's columns. */
#define SP_PLUGINS_DPI UINT16_MAX
/** Most columns of nDPI (sp_dpi_columns(): 15 with every option). */
#define SP_PLUGINS_DPI_MAX_COLUMNS 16

/** One `--plugin` spec split: NAME and its options (pointing into buf). */
struct sp_plugins_spec {
	const char *name;
	struct sp_plugin_option opt[SP_PLUGINS_MAX_OPTIONS];
	unsigned int n_opts;
	char buf[512];
};

/**
 * Split `NAME[:key=value,...]`. A value may not contain ','; a bare key
 * has the value "". A path may contain ':' (in a directory name): when
 * the first ':' follows a '/', the name ends at the first ".so:", or is the
 * whole spec when that ends in ".so"; otherwise the options start at the
 * first ':'.
 *
 * @return 0, or -EINVAL with the reason in err ("--plugin NAME: ...").
 */
int sp_plugins_spec_parse(const char *spec, struct sp_plugins_spec *out, char *err,
			  size_t errlen);

/**
 * Whether a plugin name is a path to load: it contains '/'. Any other name
 * is a shipped plugin's; a bare "x.so" is never searched for (dlopen()
 * would search LD_LIBRARY_PATH and the system directories).
 */
bool sp_plugins_is_path(const char *name);

/** The plugins shipped with streamprobe (NULL-terminated list of names). */
const char *const *sp_plugins_shipped(void);

/** A shipped plugin by name, or NULL. */
const struct sp_plugin *sp_plugins_find_shipped(const char *name);

/** The plugins of a run. */
struct sp_plugins;

/**
 * Find, check and configure the plugins of `--plugin` specs, in order.
 *
 * @param specs   the raw specs (struct sp_config.plugins)
 * @param err     on failure the one-line reason, "--plugin NAME: reason"
 *                (without the "streamprobe: " prefix)
 * @return the run's plugins (possibly none), or NULL with rte_errno set
 *   (EINVAL: bad spec, unknown plugin, ABI mismatch, missing symbol,
 *   configure refused; ENOMEM).
 */
struct sp_plugins *sp_plugins_load(const char *const *specs, unsigned int n, char *err,
				   size_t errlen);

/**
 * sp_plugins_load() with a resolver asked first for names that are not
 * paths (the unit tests' fake plugins); NULL: the shipped ones only.
 */
struct sp_plugins *sp_plugins_load_with(const char *const *specs, unsigned int n,
					const struct sp_plugin *(*resolve)(const char *name),
					char *err, size_t errlen);

/**
 * What a run loads: nDPI first, whenever dpi.n_dissections > 0, then the
 * `--plugin` specs in order. nDPI is registered here like the plugins: its
 * hook is the run's first (sp_plugins_hook()), its columns come right after
 * the core's (sp_export_columns_plugins()), so that the app names no stage.
 *
 * nDPI is an internal plugin: its columns are registry columns like any
 * plugin's (the run's first, sp_dpi_columns()), its values cells of the
 * record's plugin area, exported by the same code. Two things set it apart,
 * both internal (sp_plugin_internal.h, not the public ABI): its columns
 * carry their exact IPFIX elements (IANA applicationName 96,
 * applicationCategoryName 372, httpUserAgent 468, httpContentType 469,
 * streamprobe's enterprise ids 45..49 in one byte, ...), and it keeps its
 * own worker hook (lib/dpi's struct sp_flow_ops) rather than the
 * sp_plugin.h adapter, because that hook reads only the IP packet and its
 * time: it is not handed the packet view the adapter builds per call, and
 * writes its cells without the setters' checks.
 */
struct sp_plugins_params {
	const char *const *specs;	/**< the raw specs (struct sp_config.plugins) */
	unsigned int n_specs;
	/**
	 * nDPI's stage (--n-dissections, --ndpi-protos, --ndpi-categories,
	 * --ndpi-risks, --ndpi-extra); n_dissections 0: no nDPI. The file names
	 * are read during the load only.
	 */
	struct sp_dpi_params dpi;
	/** Asked first for names that are not paths (tests); NULL: the shipped ones. */
	const struct sp_plugin *(*resolve)(const char *name);
	/** What the core accounts (--statistical-analysis, --splt-analysis): the
	 * core columns a plugin may read (sp_plugin_column_ref()). */
	struct sp_features_params features;
};

/**
 * Configure nDPI (when asked) and load the plugins of a run.
 *
 * @param err  on failure the one-line reason (without "streamprobe: "):
 *   "nDPI: reason (check --ndpi-protos)" or "--plugin NAME: reason"
 * @return the run's plugins, or NULL with rte_errno set (EINVAL, ENOMEM, or
 *   the errno of an nDPI file that cannot be read).
 */
struct sp_plugins *sp_plugins_load_run(const struct sp_plugins_params *p, char *err,
				       size_t errlen);

/**
 * The run's worker hooks, in order: nDPI's when it is loaded, then each
 * plugin's (sp_plugins_ops()). NULL ps: none.
 */
unsigned int sp_plugins_n_hooks(const struct sp_plugins *ps);
const struct sp_flow_ops *sp_plugins_hook(const struct sp_plugins *ps, unsigned int i);

/** nDPI's configuration in the run, or NULL when nDPI is not loaded (or ps is NULL). */
const struct sp_dpi_params *sp_plugins_dpi(const struct sp_plugins *ps);

/**
 * Whether name is a column of an internal plugin (nDPI's, with any of its
 * options), loaded in the run or not: a column some run has, which a run
 * without it skips (--csv-anonymize) rather than refuses.
 */
bool sp_plugins_internal_column(const char *name);

/** Deconfigure and unload (after the workers are freed). NULL is a no-op. */
void sp_plugins_unload(struct sp_plugins *ps);

/** Number of --plugin plugins loaded (nDPI not counted: see sp_plugins_n_hooks()). */
unsigned int sp_plugins_count(const struct sp_plugins *ps);

/** The i-th plugin's name (as in its spec) and its struct. */
const char *sp_plugins_name(const struct sp_plugins *ps, unsigned int i);
const struct sp_plugin *sp_plugins_plugin(const struct sp_plugins *ps, unsigned int i);

/** The i-th --plugin plugin's hook for the worker (after nDPI's). */
const struct sp_flow_ops *sp_plugins_ops(const struct sp_plugins *ps, unsigned int i);

/**
 * Every plugin column of the run: nDPI's first when it is loaded, then in
 * --plugin order, each plugin's own order. NULL ps: none.
 */
const struct sp_plugins_column *sp_plugins_columns(const struct sp_plugins *ps,
						   unsigned int *n);

/** Bytes of the plugin area of a record (0 without plugin columns). */
size_t sp_plugins_area_size(const struct sp_plugins *ps);

/**
 * Print what each plugin costs in memory and adds (--plugin-info), one line
 * a plugin, then the total:
 *   plugin NAME: slot_bytes=N record_bytes=N on_update=yes|no columns=C1,C2
 *   plugins: n=N slot_bytes=N record_bytes=N
 * slot_bytes: per flow of the table (its capacity per worker: --max-flows,
 * or what --max-memory pays for; touched as the flows use them);
 * record_bytes: its columns' cells in each flow record.
 * @return 0, or -EIO when f has a write error.
 */
int sp_plugins_info(const struct sp_plugins *ps, FILE *f);

/**
 * After a worker could not be created: the plugin whose worker_init
 * returned NULL, so that the app says "--plugin NAME: worker_init failed".
 * @return its name, or NULL when no plugin failed.
 */
const char *sp_plugins_init_failure(const struct sp_plugins *ps);

/**
 * The counters a plugin's hook has on one worker: the plugin's own
 * (stats callback), then "values_cut" and "bad_set" counted by the
 * setters.
 *
 * @param ctx  the hook's context on that worker (sp_worker_hook_ctx())
 * @return the number written to out (at most max).
 */
unsigned int sp_plugins_worker_stats(const struct sp_plugins *ps, unsigned int i,
				     const void *ctx, struct sp_plugin_stat *out,
				     unsigned int max);

/* ------------------------------------------------------------------------ */
/* The record's plugin area (the adapter and the exporters).                 */

/** The cell of a column in a record. */
static inline const struct sp_plugins_cell *
sp_plugins_cell(const struct sp_flow_record *r, const struct sp_plugins_column *c)
{
	return (const struct sp_plugins_cell *)(const void *)(sp_record_ext(r) + c->offset);
}

/** Bytes of a column's cell (sp_plugins_cell_bytes()). */
uint32_t sp_plugins_cell_size(const struct sp_plugin_column *c);

/**
 * A record view for tests and tools: set values of column col (of all the
 * run's columns) in area as on_expire would. r must be released with
 * sp_plugins_record_free().
 */
struct sp_plugin_record *sp_plugins_record_new(const struct sp_plugins_column *cols,
					       unsigned int n, uint8_t *area);
void sp_plugins_record_free(struct sp_plugin_record *r);
/** Point such a view at another record's area (its counters kept). */
void sp_plugins_record_set_area(struct sp_plugin_record *r, uint8_t *area);
/** Point such a view at a whole record and the run's columns, which
 * sp_plugin_record_numbers() reads (NULL full: every value NaN). */
void sp_plugins_record_set_full(struct sp_plugin_record *r, const struct sp_flow_record *full,
				const struct sp_plugins_column *all);
/** Clear every cell of the record's columns to None. */
void sp_plugins_record_clear(struct sp_plugin_record *r);
/** Values cut / bad calls counted through this record view. */
uint64_t sp_plugins_record_cut(const struct sp_plugin_record *r);
uint64_t sp_plugins_record_bad(const struct sp_plugin_record *r);

/**
 * Lay out columns (tests): offsets and sizes, ipfix ids numbered from
 * SP_PLUGINS_IPFIX_ID_MIN for those without one (a column with an exact
 * element, ie, keeps that element's id and takes none of the range).
 * @return the area size.
 */
size_t sp_plugins_layout(struct sp_plugins_column *cols, unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* SP_PLUGINS_H */
