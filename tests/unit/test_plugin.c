/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/plugin: the --plugin spec parser, the loader's checks and one-line
 * reasons (in-process plugins through sp_plugins_load_with(), the shipped
 * slicer, a missing .so), the record's plugin area and its setters, and
 * the text the CSV writer makes of each type (NFStream's csv_converter of
 * Python values: the expected strings are Python's own str() output).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <rte_errno.h>

#include <sp_plugins.h>

#include "export_private.h"
#include "sp_test.h"

/* ------------------------------------------------------------------------ */
/* Specs                                                                    */

static void
test_spec(void)
{
	struct sp_plugins_spec sp;
	char err[256];

	CU_ASSERT_EQUAL(sp_plugins_spec_parse("slicer", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "slicer");
	CU_ASSERT_EQUAL(sp.n_opts, 0);

	CU_ASSERT_EQUAL(sp_plugins_spec_parse("slicer:limit=3", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "slicer");
	CU_ASSERT_EQUAL_FATAL(sp.n_opts, 1);
	CU_ASSERT_STRING_EQUAL(sp.opt[0].key, "limit");
	CU_ASSERT_STRING_EQUAL(sp.opt[0].value, "3");

	/* a bare key, an empty value, '=' inside a value */
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("x:a=1,b,c=,d=e=f", &sp, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(sp.n_opts, 4);
	CU_ASSERT_STRING_EQUAL(sp.opt[1].key, "b");
	CU_ASSERT_STRING_EQUAL(sp.opt[1].value, "");
	CU_ASSERT_STRING_EQUAL(sp.opt[2].key, "c");
	CU_ASSERT_STRING_EQUAL(sp.opt[2].value, "");
	CU_ASSERT_STRING_EQUAL(sp.opt[3].key, "d");
	CU_ASSERT_STRING_EQUAL(sp.opt[3].value, "e=f");

	/* a ':' in a directory is part of the path */
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("./a:b/p.so:k=v", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "./a:b/p.so");
	CU_ASSERT_EQUAL_FATAL(sp.n_opts, 1);
	CU_ASSERT_STRING_EQUAL(sp.opt[0].key, "k");

	CU_ASSERT_EQUAL(sp_plugins_spec_parse("./a:b/p.so", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "./a:b/p.so");
	CU_ASSERT_EQUAL(sp.n_opts, 0);
	/* a '/' in a value */
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("/x/p.so:rules=/etc/r", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "/x/p.so");
	CU_ASSERT_EQUAL_FATAL(sp.n_opts, 1);
	CU_ASSERT_STRING_EQUAL(sp.opt[0].value, "/etc/r");
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("x:path=/a/b.so", &sp, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(sp.name, "x");

	CU_ASSERT_EQUAL(sp_plugins_spec_parse(":a=1", &sp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--plugin :a=1: no plugin name before ':'");
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("x:", &sp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--plugin x: nothing after ':' (NAME:key=value,...)");
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("x:a=1,,b", &sp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--plugin x: empty option in 'x:a=1,,b' (key=value,key=value)");
	CU_ASSERT_EQUAL(sp_plugins_spec_parse("x:=3", &sp, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--plugin x: option '=3' has no key");

	CU_ASSERT(sp_plugins_is_path("./x.so"));
	/* a bare name is never searched for (LD_LIBRARY_PATH, the system's) */
	CU_ASSERT_FALSE(sp_plugins_is_path("x.so"));
	CU_ASSERT(sp_plugins_is_path("/usr/lib/x"));
	CU_ASSERT_FALSE(sp_plugins_is_path("slicer"));
	CU_ASSERT_FALSE(sp_plugins_is_path("so"));
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */

static const struct sp_plugin_column ok_cols[] = {
	{ .name = "udps.a", .type = SP_PLUGIN_INT },
	{ .name = "udps.b", .type = SP_PLUGIN_STRING, .max = 10, .ipfix_id = 4096 },
};
static int deconfigured;

static int
ok_configure(const struct sp_plugin_option *o, unsigned int n, struct sp_plugin_config *out,
	     char *err, size_t errlen)
{
	if (n > 0 && strcmp(o[0].key, "fail") == 0) {
		snprintf(err, errlen, "option 'fail': told to fail");
		return -EINVAL;
	}
	out->slot_size = 3;
	out->columns = ok_cols;
	out->n_columns = RTE_DIM(ok_cols);
	out->conf = &deconfigured;
	return 0;
}

static void
ok_deconfigure(void *conf)
{
	(*(int *)conf)++;
}

static int
any_init(void *w, void *slot, const struct sp_plugin_packet *p, const struct sp_plugin_flow *f)
{
	return SP_PLUGIN_CONTINUE;
}

static const struct sp_plugin_column bad_max_cols[] = {
	{ .name = "udps.s", .type = SP_PLUGIN_STRING },
};

static int
bad_max_configure(const struct sp_plugin_option *o, unsigned int n, struct sp_plugin_config *out,
		  char *err, size_t errlen)
{
	out->columns = bad_max_cols;
	out->n_columns = 1;
	return 0;
}

static const struct sp_plugin_column bad_id_cols[] = {
	{ .name = "udps.x", .type = SP_PLUGIN_INT, .ipfix_id = 100 },
};

static int
bad_id_configure(const struct sp_plugin_option *o, unsigned int n, struct sp_plugin_config *out,
		 char *err, size_t errlen)
{
	out->columns = bad_id_cols;
	out->n_columns = 1;
	return 0;
}

/* A column named as one of nDPI's. */
static const struct sp_plugin_column dup_app_cols[] = {
	{ .name = "user_agent", .type = SP_PLUGIN_STRING, .max = 8 },
};

static int
dup_app_configure(const struct sp_plugin_option *o, unsigned int n,
		  struct sp_plugin_config *out, char *err, size_t errlen)
{
	out->columns = dup_app_cols;
	out->n_columns = 1;
	return 0;
}

static const struct sp_plugin dupapp_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "dupapp", .configure = dup_app_configure,
	.on_init = any_init,
};

static const struct sp_plugin badid_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "badid", .configure = bad_id_configure,
	.on_init = any_init,
};

static const struct sp_plugin ok_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "ok", .configure = ok_configure,
	.deconfigure = ok_deconfigure, .on_init = any_init,
};
static const struct sp_plugin old_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION + 1, .name = "old", .on_init = any_init,
};
static const struct sp_plugin noconf_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "noconf", .on_init = any_init,
};
static const struct sp_plugin badmax_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "badmax", .configure = bad_max_configure,
	.on_init = any_init,
};

static const struct sp_plugin *
resolve(const char *name)
{
	static const struct sp_plugin *const all[] = {
		&ok_plugin, &old_plugin, &noconf_plugin, &badmax_plugin, &badid_plugin,
		&dupapp_plugin,
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

/* The one-line reason of a failed load. */
static const char *
load_err(const char *spec)
{
	static char err[512];
	struct sp_plugins *ps;

	err[0] = '\0';
	ps = sp_plugins_load_with(&spec, 1, resolve, err, sizeof(err));
	CU_ASSERT_PTR_NULL(ps);
	sp_plugins_unload(ps);
	return err;
}

static void
test_load(void)
{
	const char *specs[] = { "ok", "slicer:limit=3" };
	const struct sp_plugins_column *c;
	struct sp_plugins *ps;
	unsigned int n;
	char err[256];
	const char *s;

	deconfigured = 0;
	ps = sp_plugins_load_with(specs, 2, resolve, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_EQUAL(sp_plugins_count(ps), 2);
	CU_ASSERT_STRING_EQUAL(sp_plugins_name(ps, 1), "slicer");
	CU_ASSERT_PTR_EQUAL(sp_plugins_plugin(ps, 1), sp_plugins_find_shipped("slicer"));
	/* the slot rounded up to 8 bytes; the slicer has no on_expire nor columns */
	CU_ASSERT_EQUAL(sp_plugins_ops(ps, 0)->slot_size, 8);
	CU_ASSERT_EQUAL(sp_plugins_ops(ps, 1)->slot_size, 0);
	CU_ASSERT_PTR_NOT_NULL(sp_plugins_ops(ps, 1)->flow_update);
	CU_ASSERT_PTR_NULL(sp_plugins_ops(ps, 0)->flow_update);	/* no on_update */
	/* the slicer has no on_expire and no column: no call at the flow's end */
	CU_ASSERT_PTR_NULL(sp_plugins_ops(ps, 1)->flow_expire);
	CU_ASSERT_PTR_NOT_NULL(sp_plugins_ops(ps, 0)->flow_expire);
	c = sp_plugins_columns(ps, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(c[0].c.name, "udps.a");
	/* ids: declared, or the first free one of the plugins' range */
	CU_ASSERT_EQUAL(c[1].ipfix_id, 4096);
	CU_ASSERT_EQUAL(c[0].ipfix_id, 4097);
	CU_ASSERT_EQUAL(c[0].offset, 0);
	CU_ASSERT_EQUAL(c[1].offset, sizeof(struct sp_plugins_cell) + 8);
	CU_ASSERT_EQUAL(sp_plugins_area_size(ps), 2 * sizeof(struct sp_plugins_cell) + 8 + 16);
	CU_ASSERT_PTR_NULL(sp_plugins_init_failure(ps));
	sp_plugins_unload(ps);
	CU_ASSERT_EQUAL(deconfigured, 1);

	/* the shipped list grows as plugins are added: slicer is in it */
	s = load_err("nosuch");
	CU_ASSERT_EQUAL(strncmp(s, "--plugin nosuch: no such plugin (shipped: ", 42), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "slicer"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "; load another by path, e.g. ./nosuch.so)"));
	CU_ASSERT_STRING_EQUAL(load_err("old"), "--plugin old: ABI version 3, this streamprobe "
			       "has 2 (rebuild the plugin against its sp_plugin.h)");
	CU_ASSERT_STRING_EQUAL(load_err("ok:fail"), "--plugin ok: option 'fail': told to fail");
	CU_ASSERT_STRING_EQUAL(load_err("noconf:x=1"), "--plugin noconf: option 'x': the plugin "
			       "takes no options");
	CU_ASSERT_STRING_EQUAL(load_err("badmax"), "--plugin badmax: column 'udps.s': max must "
			       "be > 0 for a string or a list");
	/* an IPFIX id outside the plugins' range would clash with streamprobe's own */
	CU_ASSERT_STRING_EQUAL(load_err("badid"), "--plugin badid: column 'udps.x': ipfix_id 100 "
			       "is not in the plugins' range 4096..8191");
	CU_ASSERT_STRING_EQUAL(load_err("slicer"), "--plugin slicer: limit=N is required "
			       "(slicer:limit=N)");
	CU_ASSERT_STRING_EQUAL(load_err("slicer:limit=0"), "--plugin slicer: limit '0' is not a "
			       "packet count >= 1");
	CU_ASSERT_STRING_EQUAL(load_err("slicer:limits=2"), "--plugin slicer: unknown option "
			       "'limits' (slicer takes limit=N)");
	CU_ASSERT_EQUAL(strncmp(load_err("./nosuch-plugin.so"), "--plugin ./nosuch-plugin.so: "
				"cannot load: ", 41), 0);

	/* the same column twice in a run */
	specs[1] = "ok";
	CU_ASSERT_PTR_NULL(sp_plugins_load_with(specs, 2, resolve, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin ok: column 'udps.a' is also plugin ok's");
	/* as many plugins as the worker has hooks besides nDPI's, not one more */
	{
		const char *many[16];
		unsigned int i;

		for (i = 0; i < RTE_DIM(many); i++)
			many[i] = "slicer:limit=1000000";
		ps = sp_plugins_load_with(many, 15, resolve, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
		CU_ASSERT_EQUAL(sp_plugins_count(ps), 15);
		CU_ASSERT_PTR_NOT_NULL(sp_plugins_ops(ps, 14)->flow_update);
		sp_plugins_unload(ps);
		CU_ASSERT_PTR_NULL(sp_plugins_load_with(many, 16, resolve, err, sizeof(err)));
		CU_ASSERT_STRING_EQUAL(err, "--plugin: at most 15 plugins");
	}
	/* --plugin-info: each plugin's slot and cells, then the total */
	{
		const char *two[] = { "ok", "slicer:limit=3" };
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		ps = sp_plugins_load_with(two, 2, resolve, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
		CU_ASSERT_EQUAL(sp_plugins_info(ps, f), 0);
		fclose(f);
		CU_ASSERT_STRING_EQUAL(text,
			"plugin ok: slot_bytes=8 record_bytes=40 on_update=no columns=udps.a,udps.b\n"
			"plugin slicer: slot_bytes=0 record_bytes=0 on_update=yes columns=\n"
			"plugins: n=2 slot_bytes=8 record_bytes=40\n");
		free(text);
		sp_plugins_unload(ps);
	}
	/* no plugin at all: an empty run */
	ps = sp_plugins_load(NULL, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_EQUAL(sp_plugins_count(ps), 0);
	CU_ASSERT_EQUAL(sp_plugins_area_size(ps), 0);
	sp_plugins_unload(ps);
}

/* nDPI, the internal plugin: registered by the loader whenever
 * n_dissections > 0, its hook lib/dpi's and the run's first, its columns in
 * the registry right after the core's and before the plugins'. */
static void
test_dpi_registered(void)
{
	const char *specs[] = { "ok" };
	const struct sp_export_column **all;
	struct sp_plugins_params p;
	struct sp_plugins *ps;
	struct sp_columns cols;
	unsigned int n;
	char err[256];

	memset(&p, 0, sizeof(p));
	p.specs = specs;
	p.n_specs = 1;
	p.resolve = resolve;
	p.dpi.n_dissections = 20;
	p.dpi.risks = true;
	ps = sp_plugins_load_run(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_EQUAL(sp_plugins_count(ps), 1);	/* the --plugin ones */
	CU_ASSERT_EQUAL_FATAL(sp_plugins_n_hooks(ps), 2);
	CU_ASSERT_PTR_EQUAL(sp_plugins_hook(ps, 0), sp_dpi_ops());
	CU_ASSERT_EQUAL(sp_plugins_hook(ps, 0)->slot_size, SP_DPI_SLOT_SIZE_RISKS);
	CU_ASSERT_PTR_EQUAL(sp_plugins_hook(ps, 1), sp_plugins_ops(ps, 0));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sp_plugins_dpi(ps));
	CU_ASSERT_EQUAL(sp_plugins_dpi(ps)->n_dissections, 20);
	CU_ASSERT(sp_plugins_dpi(ps)->risks && !sp_plugins_dpi(ps)->extra);
	memset(&cols, 0, sizeof(cols));
	sp_export_columns_plugins(&cols, ps);
	/* nDPI's columns are the run's first plugin columns, with their own
	 * IPFIX elements; the plugin's keep the plugins' range */
	CU_ASSERT_EQUAL_FATAL(cols.n_plugin_cols, 9 + 2 + 2);
	CU_ASSERT_EQUAL(cols.plugin_cols[0].plugin, SP_PLUGINS_DPI);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cols.plugin_cols[0].ie);
	CU_ASSERT_EQUAL(cols.plugin_cols[0].ipfix_id, 96);
	CU_ASSERT_EQUAL(cols.plugin_cols[0].offset, 0);
	CU_ASSERT_EQUAL(cols.plugin_cols[2].ipfix_id, 45);
	CU_ASSERT_EQUAL(cols.plugin_cols[10].ipfix_id, 10604);
	CU_ASSERT_EQUAL(cols.plugin_cols[11].plugin, 0);
	CU_ASSERT_PTR_NULL(cols.plugin_cols[11].ie);
	CU_ASSERT_EQUAL(cols.plugin_cols[11].ipfix_id, SP_PLUGINS_IPFIX_ID_MIN + 1);
	CU_ASSERT_EQUAL(cols.plugin_cols[11].offset, sp_dpi_area_size());
	CU_ASSERT_EQUAL(sp_plugins_area_size(ps), sp_dpi_area_size() + 16 + 24);
	all = sp_export_columns_all(&cols, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	/* core (28 columns without tunnel, statistics nor SPLT), nDPI's 9 and
	 * its 2 risk columns, then the plugin's 2 */
	CU_ASSERT_EQUAL_FATAL(n, 28 + 9 + 2 + 2);
	CU_ASSERT_STRING_EQUAL(all[0]->name, "id");
	CU_ASSERT_STRING_EQUAL(all[27]->name, "dst2src_bytes");
	CU_ASSERT_STRING_EQUAL(all[28]->name, "application_name");
	CU_ASSERT_STRING_EQUAL(all[36]->name, "content_type");
	CU_ASSERT_STRING_EQUAL(all[37]->name, "application_risks");
	CU_ASSERT_STRING_EQUAL(all[38]->name, "application_risk_score");
	CU_ASSERT_STRING_EQUAL(all[39]->name, "udps.a");
	CU_ASSERT_STRING_EQUAL(all[40]->name, "udps.b");
	free(all);
	sp_plugins_unload(ps);

	/* without nDPI: the plugins' hooks only, no application column */
	p.dpi.n_dissections = 0;
	ps = sp_plugins_load_run(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	CU_ASSERT_EQUAL(sp_plugins_n_hooks(ps), 1);
	CU_ASSERT_PTR_EQUAL(sp_plugins_hook(ps, 0), sp_plugins_ops(ps, 0));
	CU_ASSERT_PTR_NULL(sp_plugins_dpi(ps));
	sp_export_columns_plugins(&cols, ps);
	CU_ASSERT_EQUAL_FATAL(cols.n_plugin_cols, 2);
	CU_ASSERT_STRING_EQUAL(cols.plugin_cols[0].c.name, "udps.a");
	CU_ASSERT_EQUAL(cols.plugin_cols[0].offset, 0);
	sp_plugins_unload(ps);
	CU_ASSERT_EQUAL(sp_plugins_n_hooks(NULL), 0);
	CU_ASSERT_PTR_NULL(sp_plugins_dpi(NULL));

	/* nDPI's columns are the run's: a plugin may not name one of them
	 * (the CSV would have it twice); without nDPI it may */
	specs[0] = "dupapp";
	p.dpi.n_dissections = 20;
	CU_ASSERT_PTR_NULL(sp_plugins_load_run(&p, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin dupapp: column 'user_agent' is also nDPI's");
	p.dpi.n_dissections = 0;
	ps = sp_plugins_load_run(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(ps);
	sp_plugins_unload(ps);

	/* an nDPI file that cannot be read: the reason names the option */
	p.dpi.n_dissections = 20;
	p.dpi.protos_file = "/nonexistent/streamprobe-protos.txt";
	err[0] = '\0';
	CU_ASSERT_PTR_NULL(sp_plugins_load_run(&p, err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "nDPI: No such file or directory (check --ndpi-protos)");
}

/* ------------------------------------------------------------------------ */
/* The plugin area: setters and the CSV text                                */

enum { C_INT, C_UINT, C_DBL, C_STR, C_ILIST, C_SLIST, C_N };

struct area {
	struct sp_plugins_column cols[C_N];
	struct sp_flow_record *rec;
	struct sp_plugin_record *r;
};

static void
area_new(struct area *a)
{
	static const struct sp_plugin_column c[C_N] = {
		{ .name = "udps.i", .type = SP_PLUGIN_INT },
		{ .name = "udps.u", .type = SP_PLUGIN_UINT },
		{ .name = "udps.d", .type = SP_PLUGIN_DOUBLE },
		{ .name = "udps.s", .type = SP_PLUGIN_STRING, .max = 6 },
		{ .name = "udps.il", .type = SP_PLUGIN_INT_LIST, .max = 3 },
		{ .name = "udps.sl", .type = SP_PLUGIN_STRING_LIST, .max = 12, .max_str = 8 },
	};
	unsigned int i;
	size_t size;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < C_N; i++)
		a->cols[i].c = c[i];
	size = sp_plugins_layout(a->cols, C_N);
	a->rec = calloc(1, sp_record_size_ext(3, size));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a->rec);
	a->rec->splt_n = 3;	/* the area follows the SPLT arrays */
	memset(a->rec->splt, 0x5a, (size_t)3 * 13);
	a->r = sp_plugins_record_new(a->cols, C_N, sp_record_ext(a->rec));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a->r);
	CU_ASSERT_EQUAL((uintptr_t)sp_record_ext(a->rec) % 8, 0);
	CU_ASSERT(sp_record_ext(a->rec) >= a->rec->splt + 3 * 13);
}

static void
area_free(struct area *a)
{
	sp_plugins_record_free(a->r);
	free(a->rec);
}

/* The CSV text of column i (and, raw, str(value)). */
static const char *
csv(struct area *a, unsigned int i, bool raw)
{
	static char buf[4096];
	size_t n;

	CU_ASSERT_FATAL(sp_export_plugin_max_len(&a->cols[i].c) < sizeof(buf));
	n = sp_export_fmt_plugin(buf, &a->cols[i], a->rec, raw);
	CU_ASSERT(n <= sp_export_plugin_max_len(&a->cols[i].c));
	buf[n] = '\0';
	return buf;
}

static void
test_setters(void)
{
	struct area a;
	unsigned int i;

	area_new(&a);
	/* every value starts as None: an empty field */
	for (i = 0; i < C_N; i++)
		CU_ASSERT_STRING_EQUAL(csv(&a, i, false), "");
	sp_plugin_set_int(a.r, C_INT, -42);
	sp_plugin_set_uint(a.r, C_UINT, UINT64_MAX);
	sp_plugin_set_double(a.r, C_DBL, 0.1);
	sp_plugin_set_string(a.r, C_STR, "ab\"cdefgh", 9);	/* cut to 6 */
	sp_plugin_list_add_int(a.r, C_ILIST, 1);
	sp_plugin_list_add_int(a.r, C_ILIST, -2);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_INT, false), "-42");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_UINT, false), "18446744073709551615");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_DBL, false), "0.1");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_STR, false), "\"ab\\\"cde\"");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_STR, true), "ab\"cde");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_ILIST, false), "\"[1, -2]\"");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_ILIST, true), "[1, -2]");
	CU_ASSERT_EQUAL(sp_plugins_record_cut(a.r), 1);
	/* beyond max elements: cut and counted */
	sp_plugin_list_add_int(a.r, C_ILIST, 3);
	sp_plugin_list_add_int(a.r, C_ILIST, 4);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_ILIST, false), "\"[1, -2, 3]\"");
	CU_ASSERT_EQUAL(sp_plugins_record_cut(a.r), 2);
	/* wrong type or column: ignored and counted */
	sp_plugin_set_int(a.r, C_UINT, 5);
	sp_plugin_set_double(a.r, C_N, 1.0);
	sp_plugin_list_add_int(a.r, C_SLIST, 1);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_UINT, false), "18446744073709551615");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_SLIST, false), "");
	CU_ASSERT_EQUAL(sp_plugins_record_bad(a.r), 3);
	/* floats as Python's repr */
	sp_plugin_set_double(a.r, C_DBL, 1e16);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_DBL, false), "1e+16");
	sp_plugin_set_double(a.r, C_DBL, 54.0);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_DBL, false), "54.0");
	/* an empty list is "[]", not None; set_none goes back to None */
	sp_plugin_list_clear(a.r, C_SLIST);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_SLIST, false), "\"[]\"");
	sp_plugin_set_none(a.r, C_SLIST);
	sp_plugin_set_none(a.r, C_INT);
	CU_ASSERT_STRING_EQUAL(csv(&a, C_SLIST, false), "");
	CU_ASSERT_STRING_EQUAL(csv(&a, C_INT, false), "");
	/* a clear (each record, before on_expire) makes every value None */
	sp_plugins_record_clear(a.r);
	for (i = 0; i < C_N; i++)
		CU_ASSERT_STRING_EQUAL(csv(&a, i, false), "");
	/* the SPLT arrays before the area are untouched */
	for (i = 0; i < 3 * 13; i++)
		CU_ASSERT_EQUAL(a.rec->splt[i], 0x5a);
	area_free(&a);
}

/* A list of strings as Python's str() of a list: repr() of each, with
 * its choice of quotes and escapes (expected: Python 3 output). */
static void
test_string_list(void)
{
	static const char *const v[] = {
		"a", "it's", "q\"x", "tab\t", "\xc3\xa9", "\x01", "\xc2\xa0", "a'b\"c", "back\\",
		"\xe2\x80\xa8", "x\xffy", "123456789",
	};
	/* str(['a', "it's", 'q"x', 'tab\t', 'é', '\x01', '\xa0', 'a\'b"c', 'back\\',
	 *      '\u2028', 'xy', '12345678']) */
	static const char *const py =
		"['a', \"it's\", 'q\"x', 'tab\\t', '\xc3\xa9', '\\x01', '\\xa0', 'a\\'b\"c', "
		"'back\\\\', '\\u2028', 'xy', '12345678']";
	char expect[512], *p = expect;
	const char *s;
	struct area a;
	unsigned int i;

	area_new(&a);
	for (i = 0; i < RTE_DIM(v); i++)
		sp_plugin_list_add_string(a.r, C_SLIST, v[i], strlen(v[i]));
	CU_ASSERT_STRING_EQUAL(csv(&a, C_SLIST, true), py);
	/* csv_converter: '"' -> '\"', in quotes */
	*p++ = '"';
	for (s = py; *s != '\0'; s++) {
		if (*s == '"')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	CU_ASSERT_STRING_EQUAL(csv(&a, C_SLIST, false), expect);
	CU_ASSERT_EQUAL(sp_plugins_record_cut(a.r), 1);		/* "123456789" */
	sp_plugin_list_add_string(a.r, C_SLIST, "z", 1);	/* a 13th: cut */
	CU_ASSERT_EQUAL(sp_plugins_record_cut(a.r), 2);
	area_free(&a);
}

/* The shipped table: generated from lib/plugins/meson.build. */
static void
test_shipped(void)
{
	const char *const *names = sp_plugins_shipped();
	const struct sp_plugin *p;
	bool slicer = false;
	unsigned int i;

	for (i = 0; names[i] != NULL; i++) {
		p = sp_plugins_find_shipped(names[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_STRING_EQUAL(p->name, names[i]);
		CU_ASSERT_EQUAL(p->abi_version, SP_PLUGIN_ABI_VERSION);
		slicer |= strcmp(names[i], "slicer") == 0;
	}
	CU_ASSERT(slicer);
	CU_ASSERT_PTR_NULL(sp_plugins_find_shipped("nosuch"));
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("plugin", NULL, NULL);

	if (s == NULL || CU_add_test(s, "spec parser", test_spec) == NULL ||
	    CU_add_test(s, "loader and its reasons", test_load) == NULL ||
	    CU_add_test(s, "nDPI registered first", test_dpi_registered) == NULL ||
	    CU_add_test(s, "setters and CSV text", test_setters) == NULL ||
	    CU_add_test(s, "string lists as Python's repr", test_string_list) == NULL ||
	    CU_add_test(s, "shipped plugins", test_shipped) == NULL)
		return -1;
	return 0;
}
