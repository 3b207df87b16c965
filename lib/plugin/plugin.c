/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plugins: the --plugin specs, the loader (shipped plugins by name, shared
 * objects by path), and the adapter that makes each plugin a per-flow hook
 * of the worker (struct sp_flow_ops), so that nDPI and the plugins share
 * one mechanism: slots indexed by flow, a per-flow mask of the hooks still
 * listening, verdicts that end a flow with expiration_id -1.
 *
 * The plugin area of a record is laid out here once per run; on_expire
 * writes into it through the sp_plugin_set_*() functions, which the
 * executable exports (meson export_dynamic) so that a .so resolves them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "sp_plugins.h"
#include "plugins_shipped.h"

/* The record view on_expire writes through. */
struct sp_plugin_record {
	uint8_t *area;
	const struct sp_plugins_column *cols;
	unsigned int n;
	uint64_t *cut;
	uint64_t *bad;
	uint64_t own_cut;		/* counters of a view made by sp_plugins_record_new() */
	uint64_t own_bad;
	/* the whole record and the run's columns, for sp_plugin_record_numbers()
	 * (NULL in a view of sp_plugins_record_new(): every value NaN) */
	const struct sp_flow_record *full;
	const struct sp_plugins_column *all;
};

/* A plugin's hook on one worker. */
struct plugin_entry;

struct plugin_ctx {
	void *wctx;			/* what the plugin's worker_init returned */
	/* the plugin's hooks, copied here: one load from the context */
	int (*on_init)(void *wctx, void *slot, const struct sp_plugin_packet *p,
		       const struct sp_plugin_flow *f);
	int (*on_update)(void *wctx, void *slot, const struct sp_plugin_packet *p,
			 const struct sp_plugin_flow *f);
	size_t slot_size;
	const struct plugin_entry *e;
	uint64_t cut;			/* values cut to a column's max */
	uint64_t bad;			/* setter calls with a bad column or type */
	struct sp_plugin_record rec;
};

struct plugin_entry {
	struct sp_flow_ops ops;		/* first: ops.arg points back here */
	struct sp_plugins *run;
	const struct sp_plugin *p;
	void *handle;			/* dlopen() handle, NULL when shipped */
	char *name;			/* as given to --plugin */
	void *conf;			/* what configure() made */
	bool configured;
	unsigned int index;
	unsigned int first_col;		/* its columns in the run's list */
	unsigned int n_cols;
};

struct sp_plugins {
	struct plugin_entry e[SP_PLUGINS_MAX];
	unsigned int n;
	/* nDPI, the run's first hook when loaded (sp_plugins_params) */
	bool dpi;
	struct sp_dpi_params dpi_params;	/* file names cleared after the load */
	/* nDPI's columns' elements, which cols[].ie point at: the run's own
	 * copy (lib/dpi's changes when it is configured again) */
	struct sp_plugin_ie dpi_ie[SP_PLUGINS_DPI_MAX_COLUMNS];
	struct sp_plugins_column *cols;
	unsigned int n_cols;
	size_t area;
	/* set by a worker_init that failed (written before the worker is
	 * reported as failed, read on the main lcore after) */
	int failed;
	/* what the core accounts: the core columns sp_plugin_column_ref() has */
	struct sp_features_params fp;
};

/* The run whose plugin is in configure() (main lcore, during the load
 * only): sp_plugin_column_ref() has no other argument to find it by. */
static struct sp_plugins *plugins_configuring;

/* printf-checked: a plugin's reason or a spec is an argument, never the format */
static int __rte_format_printf(4, 5)
plugins_err(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "--plugin %s: ", name);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Specs                                                                    */

/*
 * Only a name with a '/' is loaded from a file: dlopen() would look for a
 * bare "x.so" in LD_LIBRARY_PATH, the executable's RUNPATH and the system
 * directories, so whoever controls those would choose the code we run.
 */
bool
sp_plugins_is_path(const char *name)
{
	return strchr(name, '/') != NULL;
}

int
sp_plugins_spec_parse(const char *spec, struct sp_plugins_spec *out, char *err, size_t errlen)
{
	char *colon, *p, *next;
	size_t l = strlen(spec);

	memset(out, 0, sizeof(*out));
	if (l >= sizeof(out->buf))
		return plugins_err(err, errlen, spec, "longer than %zu bytes",
				   sizeof(out->buf) - 1);
	memcpy(out->buf, spec, l + 1);
	/* A path may hold ':' (in a directory name). When the first ':'
	 * follows a '/', the name ends at the first ".so:", or is the whole
	 * spec when that ends in ".so"; otherwise the options start at the
	 * first ':'. */
	colon = strchr(out->buf, ':');
	if (colon != NULL && memchr(out->buf, '/', (size_t)(colon - out->buf)) != NULL) {
		p = strstr(out->buf, ".so:");
		if (p != NULL)
			colon = p + 3;
		else if (l > 3 && strcmp(out->buf + l - 3, ".so") == 0)
			colon = NULL;
	}
	out->name = out->buf;
	if (colon == NULL)
		return 0;
	*colon = '\0';
	if (out->name[0] == '\0')
		return plugins_err(err, errlen, spec, "no plugin name before ':'");
	p = colon + 1;
	if (*p == '\0')
		return plugins_err(err, errlen, out->name, "nothing after ':' "
				   "(NAME:key=value,...)");
	for (; p != NULL; p = next) {
		char *eq;

		next = strchr(p, ',');
		if (next != NULL)
			*next++ = '\0';
		if (*p == '\0')
			return plugins_err(err, errlen, out->name, "empty option in '%s' "
					   "(key=value,key=value)", spec);
		if (out->n_opts == SP_PLUGINS_MAX_OPTIONS)
			return plugins_err(err, errlen, out->name, "more than %d options",
					   SP_PLUGINS_MAX_OPTIONS);
		eq = strchr(p, '=');
		if (eq == p)
			return plugins_err(err, errlen, out->name, "option '%s' has no key", p);
		if (eq != NULL)
			*eq++ = '\0';
		out->opt[out->n_opts].key = p;
		out->opt[out->n_opts].value = eq != NULL ? eq : "";
		out->n_opts++;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Shipped plugins                                                          */

const char *const *
sp_plugins_shipped(void)
{
	return sp_plugins_shipped_names;
}

const struct sp_plugin *
sp_plugins_find_shipped(const char *name)
{
	unsigned int i;

	for (i = 0; sp_plugins_shipped_names[i] != NULL; i++)
		if (strcmp(sp_plugins_shipped_names[i], name) == 0)
			return sp_plugins_shipped_table[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The record's plugin area                                                 */

uint32_t
sp_plugins_cell_size(const struct sp_plugin_column *c)
{
	return sp_plugins_cell_bytes(c);
}

size_t
sp_plugins_layout(struct sp_plugins_column *cols, unsigned int n)
{
	uint16_t next_id = SP_PLUGINS_IPFIX_ID_MIN;
	size_t off = 0;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		cols[i].offset = (uint32_t)off;
		cols[i].size = sp_plugins_cell_size(&cols[i].c);
		off += cols[i].size;
		if (cols[i].ie != NULL) {
			cols[i].ipfix_id = cols[i].ie->id;
			continue;
		}
		if (cols[i].c.ipfix_id != 0) {
			cols[i].ipfix_id = cols[i].c.ipfix_id;
			continue;
		}
		/* the next id of the range no column declared */
		for (;;) {
			for (j = 0; j < n; j++)
				if (cols[j].ie == NULL && cols[j].c.ipfix_id == next_id)
					break;
			if (j == n)
				break;
			next_id++;
		}
		cols[i].ipfix_id = next_id++;
	}
	return off;
}

static inline uint8_t *
rec_cell(struct sp_plugin_record *r, unsigned int col, enum sp_plugin_type t,
	 const struct sp_plugins_column **c)
{
	if (unlikely(r == NULL))
		return NULL;
	if (unlikely(col >= r->n || r->cols[col].c.type != t)) {
		(*r->bad)++;
		return NULL;
	}
	*c = &r->cols[col];
	return r->area + r->cols[col].offset;
}

static inline void
set_scalar(struct sp_plugin_record *r, unsigned int col, enum sp_plugin_type t, const void *v)
{
	const struct sp_plugins_column *c;
	uint8_t *cell = rec_cell(r, col, t, &c);
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)cell;

	if (cell == NULL)
		return;
	memcpy(cell + sizeof(*h), v, 8);
	h->set = 1;
	h->n = 1;
}

void
sp_plugin_set_int(struct sp_plugin_record *r, unsigned int col, int64_t v)
{
	set_scalar(r, col, SP_PLUGIN_INT, &v);
}

void
sp_plugin_set_uint(struct sp_plugin_record *r, unsigned int col, uint64_t v)
{
	set_scalar(r, col, SP_PLUGIN_UINT, &v);
}

void
sp_plugin_set_double(struct sp_plugin_record *r, unsigned int col, double v)
{
	set_scalar(r, col, SP_PLUGIN_DOUBLE, &v);
}

void
sp_plugin_set_string(struct sp_plugin_record *r, unsigned int col, const char *s, size_t len)
{
	const struct sp_plugins_column *c;
	uint8_t *cell = rec_cell(r, col, SP_PLUGIN_STRING, &c);
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)cell;

	if (cell == NULL)
		return;
	if (s == NULL)
		len = 0;
	if (len > c->c.max) {
		len = c->c.max;
		(*r->cut)++;
	}
	if (len > 0)
		memcpy(cell + sizeof(*h), s, len);
	h->n = (uint16_t)len;
	h->set = 1;
}

void
sp_plugin_list_clear(struct sp_plugin_record *r, unsigned int col)
{
	const struct sp_plugins_column *c;
	struct sp_plugins_cell *h;

	if (r == NULL)
		return;
	if (col >= r->n || (r->cols[col].c.type != SP_PLUGIN_INT_LIST &&
			    r->cols[col].c.type != SP_PLUGIN_STRING_LIST)) {
		(*r->bad)++;
		return;
	}
	c = &r->cols[col];
	h = (struct sp_plugins_cell *)(void *)(r->area + c->offset);
	h->set = 1;
	h->n = 0;
}

void
sp_plugin_list_add_int(struct sp_plugin_record *r, unsigned int col, int64_t v)
{
	const struct sp_plugins_column *c;
	uint8_t *cell = rec_cell(r, col, SP_PLUGIN_INT_LIST, &c);
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)cell;

	if (cell == NULL)
		return;
	if (!h->set) {
		h->set = 1;
		h->n = 0;
	}
	if (h->n >= c->c.max) {
		(*r->cut)++;
		return;
	}
	memcpy(cell + sizeof(*h) + 8u * h->n, &v, 8);
	h->n++;
}

void
sp_plugin_list_add_string(struct sp_plugin_record *r, unsigned int col, const char *s,
			  size_t len)
{
	const struct sp_plugins_column *c;
	uint8_t *cell = rec_cell(r, col, SP_PLUGIN_STRING_LIST, &c);
	struct sp_plugins_cell *h = (struct sp_plugins_cell *)(void *)cell;
	uint8_t *elt;
	uint16_t l;

	if (cell == NULL)
		return;
	if (!h->set) {
		h->set = 1;
		h->n = 0;
	}
	if (h->n >= c->c.max) {
		(*r->cut)++;
		return;
	}
	if (s == NULL)
		len = 0;
	if (len > c->c.max_str) {
		len = c->c.max_str;
		(*r->cut)++;
	}
	l = (uint16_t)len;
	elt = cell + sizeof(*h) + (size_t)h->n * SP_PLUGINS_STR_ELT(c->c.max_str);
	memcpy(elt, &l, 2);
	if (l > 0)
		memcpy(elt + 2, s, l);
	h->n++;
}

void
sp_plugin_set_none(struct sp_plugin_record *r, unsigned int col)
{
	struct sp_plugins_cell *h;

	if (r == NULL)
		return;
	if (col >= r->n) {
		(*r->bad)++;
		return;
	}
	h = (struct sp_plugins_cell *)(void *)(r->area + r->cols[col].offset);
	h->set = 0;
	h->n = 0;
}

static void
record_clear(struct sp_plugin_record *r)
{
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		struct sp_plugins_cell *h =
			(struct sp_plugins_cell *)(void *)(r->area + r->cols[i].offset);

		h->set = 0;
		h->n = 0;
	}
}

struct sp_plugin_record *
sp_plugins_record_new(const struct sp_plugins_column *cols, unsigned int n, uint8_t *area)
{
	struct sp_plugin_record *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->area = area;
	r->cols = cols;
	r->n = n;
	r->cut = &r->own_cut;
	r->bad = &r->own_bad;
	return r;
}

void
sp_plugins_record_free(struct sp_plugin_record *r)
{
	free(r);
}

void
sp_plugins_record_set_area(struct sp_plugin_record *r, uint8_t *area)
{
	r->area = area;
}

void
sp_plugins_record_set_full(struct sp_plugin_record *r, const struct sp_flow_record *full,
			   const struct sp_plugins_column *all)
{
	r->full = full;
	r->all = all;
}

void
sp_plugins_record_clear(struct sp_plugin_record *r)
{
	record_clear(r);
}

uint64_t
sp_plugins_record_cut(const struct sp_plugin_record *r)
{
	return *r->cut;
}

uint64_t
sp_plugins_record_bad(const struct sp_plugin_record *r)
{
	return *r->bad;
}

/* ------------------------------------------------------------------------ */
/* The flow view: a plugin sees the flow's state through these.              */

static inline const struct sp_flow_state *
flow_st(const struct sp_plugin_flow *f)
{
	return (const struct sp_flow_state *)(const void *)f;
}

static inline unsigned int
scope_of(enum sp_plugin_scope s)
{
	/* SP_PLUGIN_* are numbered as SP_BI, SP_S2D, SP_D2S */
	return (unsigned int)s < SP_SCOPES ? (unsigned int)s : SP_BI;
}

uint64_t
sp_plugin_flow_packets(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return flow_st(f)->packets[scope_of(s)];
}

uint64_t
sp_plugin_flow_bytes(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return flow_st(f)->bytes[scope_of(s)];
}

uint64_t
sp_plugin_flow_first_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return flow_st(f)->first_seen_ms[scope_of(s)];
}

uint64_t
sp_plugin_flow_last_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s)
{
	return flow_st(f)->last_seen_ms[scope_of(s)];
}

const uint8_t *
sp_plugin_flow_src_ip(const struct sp_plugin_flow *f)
{
	return flow_st(f)->src_ip;
}

const uint8_t *
sp_plugin_flow_dst_ip(const struct sp_plugin_flow *f)
{
	return flow_st(f)->dst_ip;
}

uint16_t
sp_plugin_flow_src_port(const struct sp_plugin_flow *f)
{
	return flow_st(f)->src_port;
}

uint16_t
sp_plugin_flow_dst_port(const struct sp_plugin_flow *f)
{
	return flow_st(f)->dst_port;
}

uint8_t
sp_plugin_flow_protocol(const struct sp_plugin_flow *f)
{
	return flow_st(f)->protocol;
}

uint8_t
sp_plugin_flow_ip_version(const struct sp_plugin_flow *f)
{
	return flow_st(f)->ip_version;
}

uint16_t
sp_plugin_flow_vlan_id(const struct sp_plugin_flow *f)
{
	return flow_st(f)->vlan_id;
}

/* ------------------------------------------------------------------------ */
/* Reading other columns (sp_plugin_column_ref(), ABI 2)                     */

/* A reference: its kind in the high byte, an index below. */
enum ref_kind {
	REF_CORE = 1,		/* index in core_numbers[] */
	REF_SPLT_PS,		/* index: the SPLT position */
	REF_SPLT_PIAT,
	REF_SPLT_DIR,
	REF_PLUGIN,		/* index in the run's columns */
};
#define REF(k, i) ((int32_t)(((uint32_t)(k) << 24) | (uint32_t)(i)))
#define REF_KIND(r) ((uint32_t)(r) >> 24)
#define REF_INDEX(r) ((uint32_t)(r) & 0xffffffu)

enum core_type { CT_I8, CT_U8, CT_U16, CT_U64, CT_F64 };

/* The core's numeric columns: the names of lib/export/columns.c (the
 * export table, which lib/plugin cannot link: export links it), minus id
 * (numbered by the exporting side, after the hooks). test_model checks
 * this table against the export table, name by name and value by value. */
struct core_number {
	const char *name;
	uint32_t offset;	/* in struct sp_flow_record */
	uint8_t type;
	bool stat;		/* needs --statistical-analysis */
};

#define CN(n, f, t, st) { (n), offsetof(struct sp_flow_record, f), CT_ ## t, (st) }
#define CN_SCOPE(p, s) \
	CN(p "_first_seen_ms", st.first_seen_ms[s], U64, false), \
	CN(p "_last_seen_ms", st.last_seen_ms[s], U64, false), \
	CN(p "_duration_ms", duration_ms[s], U64, false), \
	CN(p "_packets", st.packets[s], U64, false), \
	CN(p "_bytes", st.bytes[s], U64, false)
#define CN_STATS(p, s) \
	CN(p "_min_ps", min_ps[s], U16, true), \
	CN(p "_mean_ps", mean_ps[s], F64, true), \
	CN(p "_stddev_ps", stddev_ps[s], F64, true), \
	CN(p "_max_ps", max_ps[s], U16, true), \
	CN(p "_min_piat_ms", min_piat_ms[s], U64, true), \
	CN(p "_mean_piat_ms", mean_piat_ms[s], F64, true), \
	CN(p "_stddev_piat_ms", stddev_piat_ms[s], F64, true), \
	CN(p "_max_piat_ms", max_piat_ms[s], U64, true), \
	CN(p "_syn_packets", flags[s][0], U64, true), \
	CN(p "_cwr_packets", flags[s][1], U64, true), \
	CN(p "_ece_packets", flags[s][2], U64, true), \
	CN(p "_urg_packets", flags[s][3], U64, true), \
	CN(p "_ack_packets", flags[s][4], U64, true), \
	CN(p "_psh_packets", flags[s][5], U64, true), \
	CN(p "_rst_packets", flags[s][6], U64, true), \
	CN(p "_fin_packets", flags[s][7], U64, true)

static const struct core_number core_numbers[] = {
	CN("expiration_id", expiration_id, I8, false),
	CN("src_port", st.src_port, U16, false),
	CN("dst_port", st.dst_port, U16, false),
	CN("protocol", st.protocol, U8, false),
	CN("ip_version", st.ip_version, U8, false),
	CN("vlan_id", st.vlan_id, U16, false),
	CN("tunnel_id", st.tunnel_id, U8, false),
	CN_SCOPE("bidirectional", SP_BI),
	CN_SCOPE("src2dst", SP_S2D),
	CN_SCOPE("dst2src", SP_D2S),
	CN_STATS("bidirectional", SP_BI),
	CN_STATS("src2dst", SP_S2D),
	CN_STATS("dst2src", SP_D2S),
};

/* printf-checked: a column name is an argument, never the format */
static void __rte_format_printf(3, 4)
ref_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "splt_ps[12]": the kind and the position, or 0 when name is not one. */
static int
ref_splt(const char *name, uint32_t *pos)
{
	static const struct { const char *p; int kind; } k[] = {
		{ "splt_ps[", REF_SPLT_PS },
		{ "splt_piat_ms[", REF_SPLT_PIAT },
		{ "splt_direction[", REF_SPLT_DIR },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(k); i++) {
		size_t l = strlen(k[i].p);
		const char *d = name + l;
		uint32_t v = 0;

		if (strncmp(name, k[i].p, l) != 0)
			continue;
		if (*d < '0' || *d > '9')
			return -1;
		while (*d >= '0' && *d <= '9' && v < 100000)
			v = v * 10 + (uint32_t)(*d++ - '0');
		if (*d != ']' || d[1] != '\0')
			return -1;
		*pos = v;
		return k[i].kind;
	}
	return 0;
}

int
sp_plugin_column_ref(const char *name, unsigned int flags, char *err, size_t errlen)
{
	const struct sp_plugins *ps = plugins_configuring;
	uint32_t pos = 0;
	unsigned int i;
	int kind;

	if (ps == NULL) {
		ref_err(err, errlen, "column '%s': columns are referenced in configure() only",
			name);
		return -EPERM;
	}
	for (i = 0; i < RTE_DIM(core_numbers); i++) {
		if (strcmp(core_numbers[i].name, name) != 0)
			continue;
		if (core_numbers[i].stat && !ps->fp.statistical) {
			ref_err(err, errlen, "column '%s' needs --statistical-analysis", name);
			return -ENOENT;
		}
		return REF(REF_CORE, i);
	}
	kind = ref_splt(name, &pos);
	if (kind < 0) {
		ref_err(err, errlen, "column '%s': an SPLT position is written "
			"splt_ps[N], splt_piat_ms[N] or splt_direction[N]", name);
		return -ENOENT;
	}
	if (kind > 0) {
		if (pos >= ps->fp.splt_n) {
			ref_err(err, errlen, "column '%s' needs --splt-analysis %u or more "
				"(this run: %u)", name, pos + 1, ps->fp.splt_n);
			return -ENOENT;
		}
		return REF(kind, pos);
	}
	for (i = 0; i < ps->n_cols; i++) {
		const struct sp_plugins_column *c = &ps->cols[i];
		const char *owner = c->plugin == SP_PLUGINS_DPI ? "nDPI" : ps->e[c->plugin].name;

		if (strcmp(c->c.name, name) != 0)
			continue;
		if (c->c.type != SP_PLUGIN_INT && c->c.type != SP_PLUGIN_UINT &&
		    c->c.type != SP_PLUGIN_DOUBLE) {
			ref_err(err, errlen, "column '%s' (%s's) is not a number", name, owner);
			return -EINVAL;
		}
		if (flags & SP_PLUGIN_REF_LIVE) {
			ref_err(err, errlen, "column '%s' is %s's, written at the flow's end: "
				"not readable mid-flow (core and SPLT columns are)", name, owner);
			return -EINVAL;
		}
		return REF(REF_PLUGIN, i);
	}
	if (strcmp(name, "id") == 0 || strcmp(name, "src_ip") == 0 ||
	    strcmp(name, "dst_ip") == 0 || strcmp(name, "src_mac") == 0 ||
	    strcmp(name, "dst_mac") == 0 || strcmp(name, "src_oui") == 0 ||
	    strcmp(name, "dst_oui") == 0) {
		ref_err(err, errlen, "column '%s' is not a number a plugin reads", name);
		return -EINVAL;
	}
	if (sp_dpi_is_column(name))
		ref_err(err, errlen, "column '%s' is nDPI's, not in this run (its option, or "
			"--n-dissections above 0)", name);
	else
		ref_err(err, errlen, "no column '%s' in this run (core, nDPI's, or a column of "
			"a plugin given before this one)", name);
	return -ENOENT;
}

static double
ref_number(const struct sp_flow_record *r, const struct sp_plugins_column *all, int32_t ref)
{
	uint32_t i = REF_INDEX(ref);
	const uint8_t *p;

	switch (REF_KIND(ref)) {
	case REF_CORE: {
		const struct core_number *c = &core_numbers[i];
		uint64_t u64;
		uint16_t u16;
		double d;

		p = (const uint8_t *)r + c->offset;
		switch (c->type) {
		case CT_I8:
			return (double)*(const int8_t *)p;
		case CT_U8:
			return (double)*p;
		case CT_U16:
			memcpy(&u16, p, 2);
			return (double)u16;
		case CT_U64:
			memcpy(&u64, p, 8);
			return (double)u64;
		default:
			memcpy(&d, p, 8);
			return d;
		}
	}
	case REF_SPLT_PS:
		return i < r->splt_n ? (double)sp_record_splt_ps(r)[i] : NAN;
	case REF_SPLT_PIAT:
		return i < r->splt_n ? (double)sp_record_splt_piat(r)[i] : NAN;
	case REF_SPLT_DIR:
		return i < r->splt_n ? (double)sp_record_splt_direction(r)[i] : NAN;
	case REF_PLUGIN: {
		const struct sp_plugins_cell *h;
		int64_t i64;
		uint64_t u64;
		double d;

		if (all == NULL)
			return NAN;
		h = sp_plugins_cell(r, &all[i]);
		if (!h->set)
			return NAN;
		p = (const uint8_t *)(h + 1);
		switch (all[i].c.type) {
		case SP_PLUGIN_INT:
			memcpy(&i64, p, 8);
			return (double)i64;
		case SP_PLUGIN_UINT:
			memcpy(&u64, p, 8);
			return (double)u64;
		case SP_PLUGIN_DOUBLE:
			memcpy(&d, p, 8);
			return d;
		default:
			return NAN;
		}
	}
	default:
		return NAN;
	}
}

void
sp_plugin_record_numbers(const struct sp_plugin_record *r, const int32_t *refs, unsigned int n,
			 double *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		out[i] = r != NULL && r->full != NULL ? ref_number(r->full, r->all, refs[i]) : NAN;
}

void
sp_plugin_flow_numbers(const struct sp_plugin_packet *p, const struct sp_plugin_flow *f,
		       const int32_t *refs, unsigned int n, double *out)
{
	/* the packet view lives in the hook packet the worker built */
	const struct sp_hook_pkt *hp = (const struct sp_hook_pkt *)(const void *)
		((const uint8_t *)p - offsetof(struct sp_hook_pkt, view));
	const struct sp_hook_flows *fl = hp->flows;
	const struct sp_flow_state *st = (const struct sp_flow_state *)(const void *)f;
	struct sp_flow_record *snap;
	unsigned int i;
	int32_t idx;

	if (fl == NULL) {
		for (i = 0; i < n; i++)
			out[i] = NAN;
		return;
	}
	/* the flow's index: its state's place in the table's state array */
	idx = (int32_t)(st - sp_flow_state_at(fl->table, 0));
	snap = fl->snap;
	snap->splt_n = fl->fp->splt_n;
	sp_features_export(fl->fp, st, sp_flow_stats_at(fl->table, idx),
			   sp_flow_splt_at(fl->table, idx), -1, snap);
	for (i = 0; i < n; i++) {
		uint32_t k = REF_KIND(refs[i]);

		out[i] = k >= REF_CORE && k <= REF_SPLT_DIR ? ref_number(snap, NULL, refs[i]) :
			 NAN;
	}
}

/* ------------------------------------------------------------------------ */
/* The adapter: a plugin as a worker hook                                   */

static void *
adapter_worker_init(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct plugin_entry *e = arg;
	struct plugin_ctx *c;

	c = rte_zmalloc_socket("sp_plugin_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE, socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->e = e;
	c->on_init = e->p->on_init;
	c->on_update = e->p->on_update;
	c->slot_size = e->ops.slot_size;
	if (e->p->worker_init != NULL) {
		c->wctx = e->p->worker_init(e->conf, worker_id, socket_id, max_flows);
		if (c->wctx == NULL) {
			e->run->failed = (int)e->index + 1;
			rte_free(c);
			rte_errno = EINVAL;
			return NULL;
		}
	}
	c->rec.cols = e->run->cols + e->first_col;
	c->rec.all = e->run->cols;
	c->rec.n = e->n_cols;
	c->rec.cut = &c->cut;
	c->rec.bad = &c->bad;
	return c;
}

static void
adapter_worker_fini(void *ctx)
{
	struct plugin_ctx *c = ctx;

	if (c == NULL)
		return;
	if (c->e->p->worker_fini != NULL)
		c->e->p->worker_fini(c->wctx);
	rte_free(c);
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* NFStream's NFPacket from what parse found, built once a packet for all
 * the worker's plugins, in the hook packet's view (plugins get it const, so
 * the next plugin sees what the first did). The payload starts
 * where the IP packet's length minus the payload's puts it (the IP and
 * transport headers, IPv6 extension headers included), within the
 * captured bytes. */
static __rte_always_inline void
adapter_packet_build(struct sp_hook_pkt *hp)
{
	struct sp_plugin_packet *pk = (struct sp_plugin_packet *)(void *)hp->view;
	const struct sp_pkt_meta *m = hp->m;
	uint32_t total = 0, off;

	pk->time_ms = hp->t_ms;
	pk->direction = hp->dir != 0;
	pk->ip_version = m->ip_version;
	pk->protocol = m->protocol;
	pk->tcp_flags = m->tcp_flags;
	pk->src_port = m->src_port;
	pk->dst_port = m->dst_port;
	pk->vlan_id = m->vlan_id;
	pk->tunnel_id = m->tunnel_id;
	pk->reserved = 0;
	pk->raw_size = m->size[SP_SIZE_RAW];
	pk->ip_size = m->size[SP_SIZE_IP];
	pk->transport_size = m->size[SP_SIZE_TRANSPORT];
	pk->payload_size = m->size[SP_SIZE_PAYLOAD];
	pk->src_ip = m->src_ip;
	pk->dst_ip = m->dst_ip;
	pk->ip = hp->ip;
	pk->ip_len = hp->ip_len;
	if (m->ip_version == 4 && hp->ip_len >= 4)
		total = rd16(hp->ip + 2);
	else if (m->ip_version == 6 && hp->ip_len >= 6)
		total = 40u + rd16(hp->ip + 4);
	off = total > m->size[SP_SIZE_PAYLOAD] ? total - m->size[SP_SIZE_PAYLOAD] : 0;
	pk->payload_offset = off < hp->ip_len ? off : hp->ip_len;
	hp->view_ok = 1;
}

_Static_assert(sizeof(struct sp_plugin_packet) <= sizeof(((struct sp_hook_pkt *)0)->view),
	       "the packet view fits the hook packet's room for it");
_Static_assert(_Alignof(struct sp_plugin_packet) <= _Alignof(uint64_t), "view alignment");

#define ADAPTER_VIEW(hp) ((const struct sp_plugin_packet *)(const void *)(hp)->view)

/*
 * The per-flow calls. Each is a tail call into the plugin on its common
 * path (no slot to clear, the view built by an earlier plugin): no
 * register saves, ~10 instructions a plugin at a flow's first packet. The
 * first plugin of a packet builds the view in a function of its own that
 * needs no saves either (the build inline, then the tail call), and a slot
 * to clear goes through the slow path. One function for all of it cost a
 * done plugin ~40 instructions at a flow's first packet, ~20 of them its
 * prologue and epilogue.
 */
static __rte_noinline int
adapter_flow_init_slow(struct plugin_ctx *c, void *slot, struct sp_hook_pkt *hp,
		       const struct sp_flow_state *st)
{
	if (slot != NULL)
		memset(slot, 0, c->slot_size);
	if (c->on_init == NULL)
		return SP_HOOK_CONTINUE;
	if (!hp->view_ok)
		adapter_packet_build(hp);
	/* the verdicts have the same values (static asserts below) */
	return c->on_init(c->wctx, slot, ADAPTER_VIEW(hp),
			  (const struct sp_plugin_flow *)(const void *)st);
}

static __rte_noinline int
adapter_flow_init_build(struct plugin_ctx *c, void *slot, struct sp_hook_pkt *hp,
			const struct sp_flow_state *st)
{
	adapter_packet_build(hp);
	return c->on_init(c->wctx, slot, ADAPTER_VIEW(hp),
			  (const struct sp_plugin_flow *)(const void *)st);
}

static int
adapter_flow_init(void *ctx, void *slot, struct sp_hook_pkt *hp, const struct sp_flow_state *st)
{
	struct plugin_ctx *c = ctx;

	if (unlikely(slot != NULL || c->on_init == NULL))
		return adapter_flow_init_slow(c, slot, hp, st);
	if (unlikely(!hp->view_ok))
		return adapter_flow_init_build(c, slot, hp, st);
	return c->on_init(c->wctx, slot, ADAPTER_VIEW(hp),
			  (const struct sp_plugin_flow *)(const void *)st);
}

static __rte_noinline int
adapter_flow_update_build(struct plugin_ctx *c, void *slot, struct sp_hook_pkt *hp,
			  const struct sp_flow_state *st)
{
	adapter_packet_build(hp);
	return c->on_update(c->wctx, slot, ADAPTER_VIEW(hp),
			    (const struct sp_plugin_flow *)(const void *)st);
}

static int
adapter_flow_update(void *ctx, void *slot, struct sp_hook_pkt *hp,
		    const struct sp_flow_state *st)
{
	struct plugin_ctx *c = ctx;

	if (unlikely(!hp->view_ok))
		return adapter_flow_update_build(c, slot, hp, st);
	return c->on_update(c->wctx, slot, ADAPTER_VIEW(hp),
			    (const struct sp_plugin_flow *)(const void *)st);
}

static void
adapter_flow_expire(void *ctx, void *slot, const struct sp_flow_state *st,
		    struct sp_flow_record *rec)
{
	struct plugin_ctx *c = ctx;

	c->rec.area = sp_record_ext(rec);
	c->rec.full = rec;
	/* every value starts as None: records are reused */
	record_clear(&c->rec);
	if (c->e->p->on_expire != NULL)
		c->e->p->on_expire(c->wctx, slot, (const struct sp_plugin_flow *)(const void *)st,
				   &c->rec);
}

_Static_assert((int)SP_PLUGIN_CONTINUE == (int)SP_HOOK_CONTINUE, "verdicts");
_Static_assert((int)SP_PLUGIN_DONE == (int)SP_HOOK_DONE, "verdicts");
_Static_assert((int)SP_PLUGIN_EXPIRE == (int)SP_HOOK_EXPIRE, "verdicts");
_Static_assert((int)SP_PLUGIN_BIDIRECTIONAL == SP_BI && (int)SP_PLUGIN_SRC2DST == SP_S2D &&
	       (int)SP_PLUGIN_DST2SRC == SP_D2S, "scopes");

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */

static const struct sp_plugin *
load_path(struct plugin_entry *e, char *err, size_t errlen)
{
	const struct sp_plugin *(*entry)(void);
	const struct sp_plugin *p;
	const char *why;
	void *sym;

	/* RTLD_NOW: an unresolved symbol fails here, not in a worker later */
	e->handle = dlopen(e->name, RTLD_NOW | RTLD_LOCAL);
	if (e->handle == NULL) {
		why = dlerror();
		plugins_err(err, errlen, e->name, "cannot load: %s", why != NULL ? why : "?");
		return NULL;
	}
	dlerror();
	sym = dlsym(e->handle, "sp_plugin_entry");
	if (sym == NULL) {
		plugins_err(err, errlen, e->name, "no symbol sp_plugin_entry (declare the "
			    "plugin with SP_PLUGIN_REGISTER)");
		return NULL;
	}
	*(void **)&entry = sym;
	p = entry();
	if (p == NULL) {
		plugins_err(err, errlen, e->name, "sp_plugin_entry() returned NULL");
		return NULL;
	}
	return p;
}

static int
check_columns(struct plugin_entry *e, const struct sp_plugin_config *pc, char *err,
	      size_t errlen)
{
	unsigned int i, j;

	if (pc->n_columns > SP_PLUGINS_MAX_COLUMNS)
		return plugins_err(err, errlen, e->name, "%u columns, at most %d",
				   pc->n_columns, SP_PLUGINS_MAX_COLUMNS);
	if (pc->n_columns > 0 && pc->columns == NULL)
		return plugins_err(err, errlen, e->name, "configure() gave %u columns and no "
				   "column list", pc->n_columns);
	for (i = 0; i < pc->n_columns; i++) {
		const struct sp_plugin_column *c = &pc->columns[i];

		if (c->name == NULL || c->name[0] == '\0')
			return plugins_err(err, errlen, e->name, "column %u has no name", i);
		if (strchr(c->name, ',') != NULL || strchr(c->name, '"') != NULL ||
		    strchr(c->name, '\n') != NULL)
			return plugins_err(err, errlen, e->name, "column '%s': a name may not "
					   "hold ',', '\"' or a newline", c->name);
		if ((unsigned int)c->type > SP_PLUGIN_STRING_LIST)
			return plugins_err(err, errlen, e->name, "column '%s': unknown type %d",
					   c->name, (int)c->type);
		if (c->type >= SP_PLUGIN_STRING && c->max == 0)
			return plugins_err(err, errlen, e->name, "column '%s': max must be > 0 "
					   "for a string or a list", c->name);
		if (c->type == SP_PLUGIN_STRING_LIST && c->max_str == 0)
			return plugins_err(err, errlen, e->name, "column '%s': max_str must be "
					   "> 0 for a list of strings", c->name);
		if (c->ipfix_id != 0 && (c->ipfix_id < SP_PLUGINS_IPFIX_ID_MIN ||
					 c->ipfix_id > SP_PLUGINS_IPFIX_ID_MAX))
			return plugins_err(err, errlen, e->name, "column '%s': ipfix_id %u is "
					   "not in the plugins' range %u..%u", c->name, c->ipfix_id,
					   SP_PLUGINS_IPFIX_ID_MIN, SP_PLUGINS_IPFIX_ID_MAX);
		for (j = 0; j < i; j++) {
			if (strcmp(pc->columns[j].name, c->name) == 0)
				return plugins_err(err, errlen, e->name, "column '%s' twice",
						   c->name);
			if (c->ipfix_id != 0 && pc->columns[j].ipfix_id == c->ipfix_id)
				return plugins_err(err, errlen, e->name, "column '%s': ipfix_id "
						   "%u is also column '%s''s", c->name, c->ipfix_id,
						   pc->columns[j].name);
		}
	}
	return 0;
}

static int
load_one(struct sp_plugins *ps, const char *spec,
	 const struct sp_plugin *(*resolve)(const char *name), char *err, size_t errlen)
{
	struct plugin_entry *e = &ps->e[ps->n];
	struct sp_plugins_spec sp;
	struct sp_plugin_config pc;
	struct sp_plugins_column *cols;
	char why[256];
	unsigned int i, j;
	int ret;

	ret = sp_plugins_spec_parse(spec, &sp, err, errlen);
	if (ret != 0)
		return ret;
	memset(e, 0, sizeof(*e));
	e->run = ps;
	e->index = ps->n;
	e->name = strdup(sp.name);
	if (e->name == NULL)
		return -ENOMEM;
	ps->n++;	/* from here unload releases it */
	if (sp_plugins_is_path(sp.name)) {
		e->p = load_path(e, err, errlen);
		if (e->p == NULL)
			return -EINVAL;
	} else {
		e->p = resolve != NULL ? resolve(sp.name) : NULL;
		if (e->p == NULL)
			e->p = sp_plugins_find_shipped(sp.name);
		if (e->p == NULL) {
			char list[256];
			size_t n = 0, l;
			bool so;

			list[0] = '\0';
			for (i = 0; sp_plugins_shipped_names[i] != NULL && n < sizeof(list); i++)
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
						      i > 0 ? ", " : "",
						      sp_plugins_shipped_names[i]);
			/* "x.so" too: it is not searched for, ./x.so is loaded */
			l = strlen(sp.name);
			so = l > 3 && strcmp(sp.name + l - 3, ".so") == 0;
			return plugins_err(err, errlen, sp.name, "no such plugin (shipped: %s; "
					   "load another by path, e.g. ./%s%s)",
					   list[0] != '\0' ? list : "none", sp.name, so ? "" : ".so");
		}
	}
	/* 2 added calls only: a plugin built for 1 runs as it did */
	if (e->p->abi_version != SP_PLUGIN_ABI_VERSION && e->p->abi_version != 1)
		return plugins_err(err, errlen, e->name, "ABI version %u, this streamprobe "
				   "has %d (rebuild the plugin against its sp_plugin.h)",
				   e->p->abi_version, SP_PLUGIN_ABI_VERSION);
	if (e->p->on_expire == NULL && e->p->on_init == NULL && e->p->on_update == NULL)
		return plugins_err(err, errlen, e->name, "has no on_init, on_update nor "
				   "on_expire");
	memset(&pc, 0, sizeof(pc));
	if (e->p->configure != NULL) {
		why[0] = '\0';
		plugins_configuring = ps;	/* for sp_plugin_column_ref() */
		ret = e->p->configure(sp.opt, sp.n_opts, &pc, why, sizeof(why));
		plugins_configuring = NULL;
		if (ret != 0)
			return plugins_err(err, errlen, e->name, "%s", why[0] != '\0' ? why :
					   "configure failed");
		e->configured = true;
		e->conf = pc.conf;
	} else if (sp.n_opts > 0) {
		return plugins_err(err, errlen, e->name, "option '%s': the plugin takes no "
				   "options", sp.opt[0].key);
	}
	ret = check_columns(e, &pc, err, errlen);
	if (ret != 0)
		return ret;
	/* names and declared IPFIX ids unique across the run's plugins too */
	for (i = 0; i < pc.n_columns; i++)
		for (j = 0; j < ps->n_cols; j++) {
			if (strcmp(ps->cols[j].c.name, pc.columns[i].name) == 0)
				return plugins_err(err, errlen, e->name, "column '%s' is also "
						   "%s%s's", pc.columns[i].name,
						   ps->cols[j].plugin == SP_PLUGINS_DPI ? "" :
						   "plugin ", ps->cols[j].plugin == SP_PLUGINS_DPI ?
						   "nDPI" : ps->e[ps->cols[j].plugin].name);
			if (pc.columns[i].ipfix_id != 0 && ps->cols[j].ie == NULL &&
			    ps->cols[j].c.ipfix_id == pc.columns[i].ipfix_id)
				return plugins_err(err, errlen, e->name, "column '%s': ipfix_id "
						   "%u is also column '%s''s", pc.columns[i].name,
						   pc.columns[i].ipfix_id, ps->cols[j].c.name);
		}
	if (pc.n_columns > 0) {
		cols = realloc(ps->cols, (ps->n_cols + pc.n_columns) * sizeof(*cols));
		if (cols == NULL)
			return -ENOMEM;
		ps->cols = cols;
	}
	e->first_col = ps->n_cols;
	e->n_cols = pc.n_columns;
	for (i = 0; i < pc.n_columns; i++) {
		struct sp_plugins_column *c = &ps->cols[ps->n_cols];

		memset(c, 0, sizeof(*c));
		c->c = pc.columns[i];
		c->c.name = strdup(pc.columns[i].name);
		if (c->c.name == NULL)
			return -ENOMEM;
		c->plugin = (uint16_t)e->index;
		ps->n_cols++;
	}
	e->ops.name = e->name;
	e->ops.slot_size = (pc.slot_size + 7) & ~(size_t)7;
	e->ops.arg = e;
	e->ops.worker_init = adapter_worker_init;
	e->ops.worker_fini = adapter_worker_fini;
	e->ops.flow_init = adapter_flow_init;
	e->ops.flow_update = e->p->on_update != NULL ? adapter_flow_update : NULL;
	/* nothing to clear nor to call at a flow's end: no call per flow
	 * (a plugin done at on_init then costs its on_init alone) */
	e->ops.flow_expire = e->p->on_expire != NULL || pc.n_columns > 0 ? adapter_flow_expire :
			     NULL;
	return 0;
}

struct sp_plugins *
sp_plugins_load(const char *const *specs, unsigned int n, char *err, size_t errlen)
{
	return sp_plugins_load_with(specs, n, NULL, err, errlen);
}

struct sp_plugins *
sp_plugins_load_with(const char *const *specs, unsigned int n,
		     const struct sp_plugin *(*resolve)(const char *name), char *err,
		     size_t errlen)
{
	struct sp_plugins_params p;

	memset(&p, 0, sizeof(p));
	p.specs = specs;
	p.n_specs = n;
	p.resolve = resolve;
	return sp_plugins_load_run(&p, err, errlen);
}

/* nDPI, the internal plugin: its stage configured (process-wide, lib/dpi),
 * its hook lib/dpi's own (see sp_plugins_params for why), its columns the
 * run's first, with their IPFIX elements. */
static int
load_dpi(struct sp_plugins *ps, const struct sp_dpi_params *dp, char *err, size_t errlen)
{
	const struct sp_plugin_icolumn *dc;
	unsigned int i, n;
	int ret;

	ret = sp_dpi_configure(dp);
	if (ret != 0) {
		snprintf(err, errlen, "nDPI: %s%s%s", strerror(-ret),
			 dp->protos_file != NULL ? " (check --ndpi-protos)" : "",
			 dp->categories_file != NULL ? " (check --ndpi-categories)" : "");
		return ret;
	}
	ps->dpi = true;
	ps->dpi_params = *dp;
	/* sp_dpi_configure() copied them; the caller's strings may go */
	ps->dpi_params.protos_file = NULL;
	ps->dpi_params.categories_file = NULL;
	dc = sp_dpi_columns(&n);
	RTE_VERIFY(n <= SP_PLUGINS_DPI_MAX_COLUMNS);
	ps->cols = calloc(n, sizeof(*ps->cols));
	if (ps->cols == NULL) {
		snprintf(err, errlen, "nDPI: out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ps->cols[i].c = dc[i].c;
		ps->cols[i].c.name = strdup(dc[i].c.name);
		if (ps->cols[i].c.name == NULL) {
			snprintf(err, errlen, "nDPI: out of memory");
			return -ENOMEM;
		}
		ps->dpi_ie[i] = dc[i].ie;
		ps->cols[i].ie = &ps->dpi_ie[i];
		ps->cols[i].plugin = SP_PLUGINS_DPI;
		ps->n_cols++;
	}
	return 0;
}

struct sp_plugins *
sp_plugins_load_run(const struct sp_plugins_params *p, char *err, size_t errlen)
{
	struct sp_plugins *ps;
	unsigned int i = 0, n = p->n_specs;
	int ret = 0;

	if (n > SP_PLUGINS_MAX) {
		snprintf(err, errlen, "--plugin: at most %d plugins", SP_PLUGINS_MAX);
		rte_errno = EINVAL;
		return NULL;
	}
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		snprintf(err, errlen, "--plugin: out of memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	ps->fp = p->features;
	if (p->dpi.n_dissections > 0)
		ret = load_dpi(ps, &p->dpi, err, errlen);
	if (ret != 0) {
		sp_plugins_unload(ps);
		rte_errno = -ret;
		return NULL;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = load_one(ps, p->specs[i], p->resolve, err, errlen);
	if (ret != 0) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "--plugin %s: out of memory", p->specs[i - 1]);
		sp_plugins_unload(ps);
		rte_errno = -ret;
		return NULL;
	}
	ps->area = sp_plugins_layout(ps->cols, ps->n_cols);
	/* nDPI writes its cells at the offsets it laid out itself, from 0:
	 * the same rule over the same first columns gives the same ones */
	RTE_VERIFY(!ps->dpi || (ps->n_cols > 0 && ps->cols[0].offset == 0 &&
				sp_dpi_area_size() <= ps->area));
	return ps;
}

bool
sp_plugins_internal_column(const char *name)
{
	return sp_dpi_is_column(name);
}

void
sp_plugins_unload(struct sp_plugins *ps)
{
	unsigned int i;

	if (ps == NULL)
		return;
	if (ps->dpi)
		sp_dpi_prepare_release();
	for (i = ps->n; i-- > 0;) {
		struct plugin_entry *e = &ps->e[i];

		if (e->configured && e->p->deconfigure != NULL)
			e->p->deconfigure(e->conf);
		if (e->handle != NULL)
			dlclose(e->handle);
		free(e->name);
	}
	for (i = 0; i < ps->n_cols; i++)
		free((void *)(uintptr_t)ps->cols[i].c.name);
	free(ps->cols);
	free(ps);
}

unsigned int
sp_plugins_count(const struct sp_plugins *ps)
{
	return ps != NULL ? ps->n : 0;
}

const char *
sp_plugins_name(const struct sp_plugins *ps, unsigned int i)
{
	return ps->e[i].name;
}

const struct sp_plugin *
sp_plugins_plugin(const struct sp_plugins *ps, unsigned int i)
{
	return ps->e[i].p;
}

const struct sp_flow_ops *
sp_plugins_ops(const struct sp_plugins *ps, unsigned int i)
{
	return &ps->e[i].ops;
}

unsigned int
sp_plugins_n_hooks(const struct sp_plugins *ps)
{
	return ps != NULL ? ps->n + (ps->dpi ? 1u : 0u) : 0;
}

const struct sp_flow_ops *
sp_plugins_hook(const struct sp_plugins *ps, unsigned int i)
{
	if (ps->dpi && i == 0)
		return sp_dpi_ops();
	return &ps->e[i - (ps->dpi ? 1u : 0u)].ops;
}

const struct sp_dpi_params *
sp_plugins_dpi(const struct sp_plugins *ps)
{
	return ps != NULL && ps->dpi ? &ps->dpi_params : NULL;
}

const struct sp_plugins_column *
sp_plugins_columns(const struct sp_plugins *ps, unsigned int *n)
{
	*n = ps != NULL ? ps->n_cols : 0;
	return ps != NULL ? ps->cols : NULL;
}

size_t
sp_plugins_area_size(const struct sp_plugins *ps)
{
	return ps != NULL ? ps->area : 0;
}

int
sp_plugins_info(const struct sp_plugins *ps, FILE *f)
{
	unsigned int i, j, n = sp_plugins_count(ps), n_dpi_cols;
	size_t slots = 0, rec = 0;

	/* nDPI, the internal first plugin: its columns are the first ones,
	 * up to the first --plugin's */
	if (ps->dpi) {
		n_dpi_cols = n > 0 ? ps->e[0].first_col : ps->n_cols;
		for (j = 0; j < n_dpi_cols; j++)
			rec += ps->cols[j].size;
		slots += sp_dpi_ops()->slot_size;
		fprintf(f, "plugin ndpi (internal, --n-dissections %u): slot_bytes=%zu "
			"record_bytes=%zu on_update=yes columns=", ps->dpi_params.n_dissections,
			sp_dpi_ops()->slot_size, rec);
		for (j = 0; j < n_dpi_cols; j++)
			fprintf(f, "%s%s", j > 0 ? "," : "", ps->cols[j].c.name);
		fputc('\n', f);
	}
	for (i = 0; i < n; i++) {
		const struct plugin_entry *e = &ps->e[i];
		size_t rec = 0;

		for (j = 0; j < e->n_cols; j++)
			rec += ps->cols[e->first_col + j].size;
		slots += e->ops.slot_size;
		fprintf(f, "plugin %s: slot_bytes=%zu record_bytes=%zu on_update=%s columns=", e->name,
			e->ops.slot_size, rec, e->ops.flow_update != NULL ? "yes" : "no");
		for (j = 0; j < e->n_cols; j++)
			fprintf(f, "%s%s", j > 0 ? "," : "", ps->cols[e->first_col + j].c.name);
		fputc('\n', f);
	}
	fprintf(f, "plugins: n=%u%s slot_bytes=%zu record_bytes=%zu\n", n,
		ps->dpi ? " and ndpi" : "", slots, sp_plugins_area_size(ps));
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

const char *
sp_plugins_init_failure(const struct sp_plugins *ps)
{
	if (ps == NULL || ps->failed == 0)
		return NULL;
	return ps->e[ps->failed - 1].name;
}

unsigned int
sp_plugins_worker_stats(const struct sp_plugins *ps, unsigned int i, const void *ctx,
			struct sp_plugin_stat *out, unsigned int max)
{
	const struct plugin_ctx *c = ctx;
	unsigned int n = 0;

	if (c == NULL || i >= ps->n)
		return 0;
	if (ps->e[i].p->stats != NULL && max > 2)
		n = ps->e[i].p->stats(c->wctx, out, max - 2);
	if (n > max - 2)
		n = max - 2;
	if (n + 2 <= max) {
		out[n].name = "values_cut";
		out[n++].value = __atomic_load_n(&c->cut, __ATOMIC_RELAXED);
		out[n].name = "bad_set";
		out[n++].value = __atomic_load_n(&c->bad, __ATOMIC_RELAXED);
	}
	return n;
}
