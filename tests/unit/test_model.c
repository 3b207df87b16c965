/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model plugin's file parser and options (lib/plugins/model.c), through
 * the real loader: every bad file is refused with the file, the line and
 * the cause; good ones give their columns, side by side under name=.
 * And the core columns a plugin reads (sp_plugin_column_ref(), lib/plugin)
 * against the export's column table: every numeric column of the CSV is
 * there, under its name, read from the record field the CSV writes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_common.h>

#include <sp_plugins.h>

#include "export_private.h"
#include "sp_test.h"

static char tmpdir[] = "/tmp/sp-test-model-XXXXXX";
static char path[128];

/* A classifier of two features and one tree; line numbers below are its. */
static const char good[] =
	"streamprobe-model 1\n"		/* 1 */
	"type classifier\n"		/* 2 */
	"source unit test\n"		/* 3 */
	"compare le\n"			/* 4 */
	"arithmetic double\n"		/* 5 */
	"aggregate mean\n"		/* 6 */
	"link none\n"			/* 7 */
	"outputs 2\n"			/* 8 */
	"features 2\n"			/* 9 */
	"feature bidirectional_packets\n"	/* 10 */
	"# a comment, and a blank line, are skipped\n"
	"\n"
	"feature splt_ps[1]\n"		/* 13 */
	"classes 2\n"			/* 14 */
	"class web\n"			/* 15 */
	"class dns server\n"		/* 16 */
	"trees 1\n"			/* 17 */
	"tree 3 -1\n"			/* 18 */
	"node 0 2.5 1 2 right\n"	/* 19 */
	"leaf 1 0\n"			/* 20 */
	"leaf 0.25 0.75\n"		/* 21 */
	"end\n";			/* 22 */

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Load "model:file=path" + opts (after another spec when first is set);
 * the run's plugins, or NULL with err. */
static struct sp_plugins *
load(const char *first, const char *opts, char *err, size_t errlen)
{
	char spec[256], spec0[256];
	const char *specs[2];
	struct sp_plugins_params p;
	unsigned int n = 0;

	memset(&p, 0, sizeof(p));
	if (first != NULL) {
		snprintf(spec0, sizeof(spec0), "model:file=%s%s", path, first);
		specs[n++] = spec0;
	}
	snprintf(spec, sizeof(spec), "model:file=%s%s", path, opts);
	specs[n++] = spec;
	p.specs = specs;
	p.n_specs = n;
	p.features.statistical = true;
	p.features.splt_n = 4;
	err[0] = '\0';
	return sp_plugins_load_run(&p, err, errlen);
}

/* The text with the first `from` replaced by `to`, written, then loaded:
 * the reason must be "--plugin model: model file 'PATH' line LINE: why". */
static void
refused(const char *from, const char *to, unsigned int line, const char *why)
{
	char text[sizeof(good) + 256], err[512], want[512];
	const char *at = strstr(good, from);
	struct sp_plugins *ps;

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	write_file(text);
	ps = load(NULL, "", err, sizeof(err));
	CU_ASSERT_PTR_NULL(ps);
	sp_plugins_unload(ps);
	snprintf(want, sizeof(want), "--plugin model: model file '%s' line %u: %s", path, line,
		 why);
	if (strcmp(err, want) != 0)
		printf("\n  got:  %s\n  want: %s\n", err, want);
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void
test_good(void)
{
	const struct sp_plugins_column *c;
	struct sp_plugins *ps;
	char err[512];
	unsigned int n;

	write_file(good);
	ps = load(NULL, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	c = sp_plugins_columns(ps, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(c[0].c.name, "udps.model_label");
	CU_ASSERT_EQUAL(c[0].c.type, SP_PLUGIN_STRING);
	CU_ASSERT_EQUAL(c[0].c.max, strlen("dns server"));
	CU_ASSERT_STRING_EQUAL(c[1].c.name, "udps.model_proba");
	CU_ASSERT_EQUAL(c[1].c.type, SP_PLUGIN_DOUBLE);
	sp_plugins_unload(ps);

	/* side by side: distinct names, or the loader refuses the second */
	ps = load(",name=a", ",name=b_2,at=3", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	c = sp_plugins_columns(ps, &n);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_STRING_EQUAL(c[0].c.name, "udps.a_label");
	CU_ASSERT_STRING_EQUAL(c[3].c.name, "udps.b_2_proba");
	sp_plugins_unload(ps);
	CU_ASSERT_PTR_NULL(load("", "", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: column 'udps.model_label' is also plugin "
			       "model's");

	/* a regressor: one score column */
	write_file("streamprobe-model 1\ntype regressor\ncompare lt\narithmetic float\n"
		   "aggregate sum\nlink none\noutputs 1\ninit 0.5\nfeatures 1\n"
		   "feature dst2src_max_piat_ms\ntrees 2\ntree 1 0\nleaf 1.5\ntree 1 0\n"
		   "leaf -2\nend\n");
	ps = load(NULL, ",name=r", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	c = sp_plugins_columns(ps, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(c[0].c.name, "udps.r_score");
	sp_plugins_unload(ps);
}

static void
test_options(void)
{
	const char *specs[1];
	struct sp_plugins_params p;
	char err[512];

	write_file(good);
	CU_ASSERT_PTR_NULL(load(NULL, ",at=0", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: at '0' is not a packet count >= 1");
	CU_ASSERT_PTR_NULL(load(NULL, ",at=3x", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: at '3x' is not a packet count >= 1");
	CU_ASSERT_PTR_NULL(load(NULL, ",name=a-b", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: name 'a-b': 1 to 64 letters, digits or '_'");
	CU_ASSERT_PTR_NULL(load(NULL, ",size=3", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: unknown option 'size' (model takes file=M, "
			       "at=N, name=PREFIX)");
	memset(&p, 0, sizeof(p));
	specs[0] = "model:at=2";
	p.specs = specs;
	p.n_specs = 1;
	CU_ASSERT_PTR_NULL(sp_plugins_load_run(&p, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: file=M is required "
			       "(model:file=M[,at=N][,name=PREFIX])");
	specs[0] = "model:file=/nonexistent/m.spm";
	CU_ASSERT_PTR_NULL(sp_plugins_load_run(&p, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "--plugin model: model file '/nonexistent/m.spm': No such "
			       "file or directory");
	/* the statistical columns need --statistical-analysis */
	write_file("streamprobe-model 1\ntype regressor\ncompare le\narithmetic double\n"
		   "aggregate mean\nlink none\noutputs 1\nfeatures 1\nfeature src2dst_mean_ps\n"
		   "trees 1\ntree 1 -1\nleaf 1\nend\n");
	specs[0] = path;
	{
		char spec[200];

		snprintf(spec, sizeof(spec), "model:file=%s", path);
		specs[0] = spec;
		CU_ASSERT_PTR_NULL(sp_plugins_load_run(&p, err, sizeof(err)));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 9: feature 0: column 'src2dst_mean_ps' needs "
				      "--statistical-analysis"));
}

static void
test_bad_files(void)
{
	char want[512], err[512];

	write_file("");
	CU_ASSERT_PTR_NULL(load(NULL, "", err, sizeof(err)));
	snprintf(want, sizeof(want), "--plugin model: model file '%s' line 1: the file ends where "
		 "'streamprobe-model' is expected", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	refused("streamprobe-model 1\n", "streamprobe-model 2\n", 1,
		"format version '2', this streamprobe reads 1");
	refused("streamprobe-model 1\n", "streamprobe model 1\n", 1,
		"'streamprobe-model' expected, found 'streamprobe model 1'");
	refused("type classifier", "type classifer", 2,
		"type 'classifer': not classifier nor regressor");
	refused("compare le", "compare ge", 4, "compare 'ge': not le nor lt");
	refused("arithmetic double", "arithmetic half", 5,
		"arithmetic 'half': not double nor float");
	refused("link none", "link relu", 7, "link 'relu': not none nor sigmoid nor softmax");
	refused("outputs 2", "outputs 0", 8, "outputs must be at least 1");
	refused("outputs 2", "outputs x", 8, "outputs: a number expected, found 'x'");
	refused("outputs 2", "outputs 99999", 8, "outputs: '99999' is not a count of at most 4096");
	refused("aggregate mean", "aggregate sum", 9, "'init' expected, found 'features 2'");
	refused("feature bidirectional_packets", "feature nosuch", 10,
		"feature 0: no column 'nosuch' in this run (core, nDPI's, or a column of a plugin "
		"given before this one)");
	refused("feature bidirectional_packets", "feature src_ip", 10,
		"feature 0: column 'src_ip' is not a number a plugin reads");
	refused("feature bidirectional_packets", "feature application_confidence", 10,
		"feature 0: column 'application_confidence' is nDPI's, not in this run (its "
		"option, or --n-dissections above 0)");
	refused("feature splt_ps[1]", "feature splt_ps[4]", 13,
		"feature 1: column 'splt_ps[4]' needs --splt-analysis 5 or more (this run: 4)");
	refused("feature splt_ps[1]", "feature splt_ps[1", 13,
		"feature 1: column 'splt_ps[1': an SPLT position is written splt_ps[N], "
		"splt_piat_ms[N] or splt_direction[N]");
	refused("feature splt_ps[1]", "feature a b", 13,
		"feature 1: a column name without spaces expected");
	refused("classes 2", "classes 1", 14, "a classifier needs at least 2 classes");
	refused("class dns server\n", "klass dns\n", 16, "'class LABEL' expected (class 1 of 2)");
	refused("outputs 2", "outputs 3", 16, "a classifier with link none and 3 outputs cannot "
		"have 2 classes (none, softmax: one output a class; sigmoid: 1 output, 2 classes)");
	refused("trees 1", "trees 0", 17, "a model needs at least one tree");
	refused("tree 3 -1", "tree 3 5", 18, "tree 0: output '5' is not -1 nor an output 0..1");
	refused("tree 3 -1", "tree 0 -1", 18, "tree 0 has no node");
	refused("tree 3 -1", "tree 4 -1", 22,
		"tree 0: 'node' or 'leaf' expected (node 3 of 4), found 'end'");
	refused("node 0 2.5 1 2 right", "node 0 2.5 0 2 right", 19,
		"tree 0 node 0: children must come after their node");
	refused("node 0 2.5 1 2 right", "node 0 2.5 1 3 right", 19,
		"node: right child: '3 right' is not a count of at most 2");
	refused("node 0 2.5 1 2 right", "node 2 2.5 1 2 right", 19,
		"node: feature: '2 2.5 1 2 right' is not a count of at most 1");
	refused("node 0 2.5 1 2 right", "node 0 nan 1 2 right", 19,
		"node: threshold: 'nan 1 2 right' is not finite");
	refused("node 0 2.5 1 2 right", "node 0 2.5x 1 2 right", 19,
		"node: threshold: '2.5x 1 2 right' is not a number");
	refused("node 0 2.5 1 2 right", "node 0 2.5 1 2 up", 19,
		"tree 0 node 0: missing values go 'left' or 'right', found 'up'");
	refused("leaf 1 0\n", "leaf 1\n", 20, "leaf value: a value expected");
	refused("leaf 1 0\n", "leaf 1 0 0\n", 20, "tree 0: a leaf has 2 values here");
	refused("end\n", "", 22, "the file ends where 'end' is expected");
	refused("end\n", "end\nmore\n", 23, "'more' after 'end'");
	refused("node 0 2.5 1 2 right\nleaf 1 0\nleaf 0.25 0.75\nend\n", "node 0 2.5 1 2 right\n",
		20, "the file ends in tree 0 (node 1 of 3)");
}

/* ------------------------------------------------------------------------ */
/* Core columns: the export's table against sp_plugin_column_ref()           */

static const char *ref_names[SP_EXPORT_MAX_COLUMNS + 8];
static unsigned int n_ref_names;
static int32_t refs[SP_EXPORT_MAX_COLUMNS + 8];

static int
refs_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	       struct sp_plugin_config *out, char *err, size_t errlen)
{
	unsigned int i;

	(void)opts;
	(void)n_opts;
	(void)out;
	for (i = 0; i < n_ref_names; i++) {
		refs[i] = sp_plugin_column_ref(ref_names[i], 0, err, errlen);
		if (refs[i] < 0)
			return -EINVAL;
	}
	return 0;
}

static void
refs_expire(void *w, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	(void)w;
	(void)slot;
	(void)f;
	(void)r;
}

static const struct sp_plugin refs_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION, .name = "refs", .configure = refs_configure,
	.on_expire = refs_expire,
};

/* ABI 1 plugins still load: 2 only added calls */
static const struct sp_plugin abi1_plugin = {
	.abi_version = 1, .name = "abi1", .on_expire = refs_expire,
};

static const struct sp_plugin *
resolve(const char *name)
{
	if (strcmp(name, "refs") == 0)
		return &refs_plugin;
	return strcmp(name, "abi1") == 0 ? &abi1_plugin : NULL;
}

static void
test_core_columns(void)
{
	const struct sp_export_column *t;
	struct sp_flow_record *rec;
	struct sp_plugin_record *view;
	struct sp_plugins_params p;
	struct sp_plugins *ps;
	const char *specs[2] = { "refs", "abi1" };
	double want[SP_EXPORT_MAX_COLUMNS + 8], got[SP_EXPORT_MAX_COLUMNS + 8];
	unsigned int i, n, k = 0;
	char err[256];
	int32_t v32;
	int64_t v64;
	int8_t v8;

	rec = calloc(1, sp_record_size(4));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	rec->splt_n = 4;
	t = sp_export_columns_table(&n);
	/* every numeric column but id, with a value of its own in its field */
	for (i = 0; i < n; i++) {
		uint8_t *f = (uint8_t *)rec + t[i].offset;
		double d = 1000.0 * i + 0.25;
		uint64_t u = 1000000000000ull + i;
		uint16_t u16 = (uint16_t)(40000 + i);

		if (strcmp(t[i].name, "id") == 0)
			continue;
		switch (t[i].type) {
		case SP_EXPORT_COLT_U8:
			*f = (uint8_t)(100 + i);
			want[k] = 100 + i;
			break;
		case SP_EXPORT_COLT_I8:
			*(int8_t *)f = -1;
			want[k] = -1;
			break;
		case SP_EXPORT_COLT_U16:
			memcpy(f, &u16, 2);
			want[k] = u16;
			break;
		case SP_EXPORT_COLT_U64:
			memcpy(f, &u, 8);
			want[k] = (double)u;
			break;
		case SP_EXPORT_COLT_F64:
			memcpy(f, &d, 8);
			want[k] = d;
			break;
		default:
			continue;
		}
		ref_names[k++] = t[i].name;
	}
	CU_ASSERT(k > 60);
	/* SPLT positions */
	v32 = 1400;
	memcpy(&sp_record_splt_ps(rec)[2], &v32, 4);
	v64 = 37;
	memcpy(&sp_record_splt_piat(rec)[3], &v64, 8);
	v8 = 1;
	memcpy(&sp_record_splt_direction(rec)[1], &v8, 1);
	ref_names[k] = "splt_ps[2]";
	want[k++] = 1400;
	ref_names[k] = "splt_piat_ms[3]";
	want[k++] = 37;
	ref_names[k] = "splt_direction[1]";
	want[k++] = 1;
	n_ref_names = k;

	memset(&p, 0, sizeof(p));
	p.specs = specs;
	p.n_specs = 2;
	p.resolve = resolve;
	p.features.statistical = true;
	p.features.splt_n = 4;
	ps = sp_plugins_load_run(&p, err, sizeof(err));
	if (ps == NULL)
		printf("\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ps);
	view = sp_plugins_record_new(NULL, 0, sp_record_ext(rec));
	CU_ASSERT_PTR_NOT_NULL_FATAL(view);
	/* without the whole record: NaN */
	sp_plugin_record_numbers(view, refs, k, got);
	CU_ASSERT(isnan(got[0]));
	sp_plugins_record_set_full(view, rec, NULL);
	sp_plugin_record_numbers(view, refs, k, got);
	for (i = 0; i < k; i++) {
		if (got[i] != want[i])
			printf("\n  %s: %.17g, want %.17g\n", ref_names[i], got[i], want[i]);
		CU_ASSERT_EQUAL(got[i], want[i]);
	}
	sp_plugins_record_free(view);
	sp_plugins_unload(ps);
	/* outside configure() */
	CU_ASSERT_EQUAL(sp_plugin_column_ref("bidirectional_packets", 0, err, sizeof(err)),
			-EPERM);
	free(rec);
}

static int
suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/m.spm", tmpdir);
	return 0;
}

static int
suite_fini(void)
{
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("model", suite_init, suite_fini);

	if (s == NULL || CU_add_test(s, "good files, columns side by side", test_good) == NULL ||
	    CU_add_test(s, "options", test_options) == NULL ||
	    CU_add_test(s, "bad files: file, line, cause", test_bad_files) == NULL ||
	    CU_add_test(s, "core columns against the export table", test_core_columns) == NULL)
		return -1;
	return 0;
}
