/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model: a trained tree ensemble labels each flow inside the probe.
 *
 *   --plugin model:file=M[,at=N][,name=PREFIX]
 *
 * M is a model in streamprobe's model format (docs/model-format.md), which
 * tools/sp-model-export writes from scikit-learn decision trees, random
 * forests, extra trees and gradient boosting, and from XGBoost's JSON. Its
 * features are column names, resolved against the run's columns at
 * configure (sp_plugin_column_ref(): core, SPLT positions, nDPI's, earlier
 * plugins'); inference walks flat node arrays in C.
 *
 * Without at, the model predicts at the flow's end from its record. With
 * at=N it predicts when the flow reaches its N-th packet, from the values
 * the record would hold if the flow ended there (as a FlowSlicer(N) flow
 * has them: models for early classification are trained on such flows),
 * and a flow that ends before is predicted at its end, as the slicer's
 * would be. Columns: udps.PREFIX_label and udps.PREFIX_proba (the predicted
 * class's probability) for a classifier, udps.PREFIX_score for a regressor.
 *
 * Exactness: scikit-learn casts features to float32 and goes left when
 * (double)x32 <= threshold; XGBoost goes left when x32 < split in float32
 * and sums its trees in float32. Both are reproduced ("compare" and
 * "arithmetic" of the file), and the trees are summed in the file's order,
 * which is the library's.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_plugin.h>

#define MODEL_MAX_FEATURES 65536u
#define MODEL_MAX_OUTPUTS 4096u
#define MODEL_MAX_TREES 1000000u
#define MODEL_MAX_NODES (1u << 28)	/* all trees; 16 bytes each */
#define MODEL_MAX_LABEL 255u
#define MODEL_MAX_PREFIX 64u
#define NODE_LEAF 0x7fffffffu		/* model_node.feat of a leaf */
#define NODE_MISSING_LEFT 0x80000000u	/* model_node.feat: a NaN goes left */

enum { LINK_NONE, LINK_SIGMOID, LINK_SOFTMAX };

/*
 * A node: 16 bytes, four a cache line (a forest of 100 trees of depth 12
 * is 13 MB of them: the walk's cost is its cache misses). The threshold is
 * a float32 the feature (a float32) is compared with by <=, whatever the
 * file's compare: for a float x, (double)x <= t holds exactly when x <= the
 * largest float not above t, and (double)x < t when x <= the largest float
 * below t (see node_thr()), so one float compare reproduces both libraries.
 */
struct model_node {
	float thr;
	uint32_t feat;		/* feature index, or NODE_LEAF; | NODE_MISSING_LEFT */
	uint32_t left;		/* leaf: offset of its values */
	uint32_t right;
};

struct model {
	bool classifier;
	bool lt;		/* x < t (XGBoost), else x <= t (scikit-learn) */
	bool f32;		/* sum in float32 (XGBoost) */
	bool mean;		/* average of the trees' leaf vectors, else init + sum */
	int link;
	uint32_t n_out;
	double *init;
	uint32_t n_feat;
	char **feat;
	int32_t *refs;
	uint32_t n_class;
	char **label;
	uint32_t n_tree;
	uint32_t *root;		/* first node of each tree */
	int32_t *out;		/* output each tree adds to; -1: all n_out */
	struct model_node *node;
	uint32_t n_node;
	double *val;
	size_t n_val;
	size_t cap_val;
	/* run options */
	uint64_t at;
	char names[2][MODEL_MAX_PREFIX + 16];	/* the columns' names */
	struct sp_plugin_column cols[2];
};

struct model_slot {
	uint8_t done;		/* predicted at the N-th packet */
	uint8_t pad;
	uint16_t cls;
	uint32_t pad2;
	double v;		/* probability or score */
};

struct model_worker {
	const struct model *m;
	double *x;		/* the features as read */
	float *xv;		/* as compared: the features in float32 */
	double *acc;
	float *accf;
	double *proba;
	uint64_t predicted;
	uint64_t predicted_at;
	uint64_t missing;
};

/* ------------------------------------------------------------------------ */
/* The file                                                                 */

struct parser {
	const char *path;
	FILE *f;
	char *line;
	size_t cap;
	unsigned int lineno;
	bool again;		/* next_line() gives the same line again */
	bool eof;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3)))
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "model file '%s' line %u: ", p->path, p->lineno);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The next line that is neither blank nor a comment, its newline cut;
 * NULL at the end of the file (p->line then ""). */
static char *
next_line(struct parser *p)
{
	ssize_t n;

	if (p->again) {
		p->again = false;
		return p->eof ? NULL : p->line;
	}
	for (;;) {
		char *s;

		n = getline(&p->line, &p->cap, p->f);
		if (n < 0) {
			if (!p->eof)
				p->lineno++;	/* errors name the line after the last */
			p->eof = true;
			return NULL;
		}
		p->lineno++;
		while (n > 0 && (p->line[n - 1] == '\n' || p->line[n - 1] == '\r'))
			p->line[--n] = '\0';
		if (strlen(p->line) != (size_t)n)
			return p->line;	/* a NUL byte: the keyword check says so */
		for (s = p->line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		return p->line;
	}
}

/* A line "KEYWORD rest": rest, or NULL (error set) when it is not there. */
static char *
expect(struct parser *p, const char *kw)
{
	size_t l = strlen(kw);
	char *s = next_line(p);

	if (s == NULL) {
		perr(p, "the file ends where '%s' is expected", kw);
		return NULL;
	}
	if (strncmp(s, kw, l) == 0 &&
	    (s[l] == ' ' || s[l] == '\0')) {
		s += l;
		while (*s == ' ')
			s++;
		return s;
	}
	perr(p, "'%s' expected, found '%.40s'", kw, s);
	return NULL;
}

static int
parse_u32(struct parser *p, char **s, const char *what, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	while (**s == ' ')
		(*s)++;
	if (**s < '0' || **s > '9')
		return perr(p, "%s: a number expected, found '%.20s'", what, *s);
	errno = 0;
	x = strtoull(*s, &end, 10);
	if (errno != 0 || x > max || (*end != ' ' && *end != '\0'))
		return perr(p, "%s: '%.20s' is not a count of at most %" PRIu32, what, *s, max);
	*v = (uint32_t)x;
	*s = end;
	return 0;
}

static int
parse_double(struct parser *p, char **s, const char *what, double *v)
{
	char *end;

	while (**s == ' ')
		(*s)++;
	if (**s == '\0')
		return perr(p, "%s: a value expected", what);
	errno = 0;
	*v = strtod(*s, &end);
	if (end == *s || (*end != ' ' && *end != '\0'))
		return perr(p, "%s: '%.30s' is not a number", what, *s);
	if (!isfinite(*v))
		return perr(p, "%s: '%.30s' is not finite", what, *s);
	*s = end;
	return 0;
}

static int
line_end(struct parser *p, char *s)
{
	while (*s == ' ')
		s++;
	return *s == '\0' ? 0 : perr(p, "unexpected '%.30s' at the end of the line", s);
}

/* One of words (NULL-terminated), the whole rest of the line. */
static int
parse_word(struct parser *p, const char *kw, const char *const *words, int *v)
{
	char *s = expect(p, kw);
	int i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0) {
			*v = i;
			return 0;
		}
	return perr(p, "%s '%.30s': not %s%s%s%s%s", kw, s, words[0],
		    words[1] != NULL ? " nor " : "", words[1] != NULL ? words[1] : "",
		    words[1] != NULL && words[2] != NULL ? " nor " : "",
		    words[1] != NULL && words[2] != NULL ? words[2] : "");
}

static void
model_free(struct model *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	if (m->feat != NULL)
		for (i = 0; i < m->n_feat; i++)
			free(m->feat[i]);
	if (m->label != NULL)
		for (i = 0; i < m->n_class; i++)
			free(m->label[i]);
	free(m->feat);
	free(m->refs);
	free(m->label);
	free(m->init);
	free(m->root);
	free(m->out);
	free(m->node);
	free(m->val);
	free(m);
}

static int
val_add(struct parser *p, struct model *m, double v)
{
	if (m->n_val == m->cap_val) {
		size_t cap = m->cap_val != 0 ? m->cap_val * 2 : 1024;
		double *n = realloc(m->val, cap * sizeof(*n));

		if (n == NULL || cap > UINT32_MAX)
			return perr(p, "out of memory for the leaf values");
		m->val = n;
		m->cap_val = cap;
	}
	m->val[m->n_val++] = v;
	return 0;
}

/*
 * The float32 threshold of a split at t: the largest float not above t
 * (compare le: scikit-learn's (double)x <= t), or below t (compare lt:
 * XGBoost's x < t, t a float32 there). Beyond the float range, FLT_MAX
 * keeps every finite float on the left and a feature cast to +inf on the
 * right, as the double compare does.
 */
static float
node_thr(double t, bool lt)
{
	float f = (float)t;

	if (lt ? (double)f >= t : (double)f > t)
		f = nextafterf(f, -INFINITY);
	return f;
}

static int
parse_tree(struct parser *p, struct model *m, uint32_t t, uint32_t *nodes_cap)
{
	uint32_t n, i, first = m->n_node, width;
	int32_t out;
	char *s = expect(p, "tree"), *end;
	long o;
	int ret;

	if (s == NULL)
		return -EINVAL;
	ret = parse_u32(p, &s, "tree: node count", MODEL_MAX_NODES, &n);
	if (ret != 0)
		return ret;
	if (n == 0)
		return perr(p, "tree %" PRIu32 " has no node", t);
	while (*s == ' ')
		s++;
	errno = 0;
	o = strtol(s, &end, 10);
	if (end == s || errno != 0 || o < -1 || o >= (long)m->n_out || line_end(p, end) != 0)
		return perr(p, "tree %" PRIu32 ": output '%.20s' is not -1 nor an output "
			    "0..%" PRIu32, t, s, m->n_out - 1);
	out = (int32_t)o;
	if (m->mean && out != -1)
		return perr(p, "tree %" PRIu32 ": aggregate mean takes trees of output -1 "
			    "(leaves of %" PRIu32 " values)", t, m->n_out);
	width = out == -1 ? m->n_out : 1;
	if (n > MODEL_MAX_NODES - m->n_node)
		return perr(p, "more than %u nodes in all", MODEL_MAX_NODES);
	if (m->n_node + n > *nodes_cap) {
		uint32_t cap = *nodes_cap != 0 ? *nodes_cap : 1024;
		struct model_node *nn;

		while (cap < m->n_node + n)
			cap = cap > MODEL_MAX_NODES / 2 ? MODEL_MAX_NODES : cap * 2;
		nn = realloc(m->node, (size_t)cap * sizeof(*nn));
		if (nn == NULL)
			return perr(p, "out of memory for %" PRIu32 " nodes", cap);
		m->node = nn;
		*nodes_cap = cap;
	}
	m->root[t] = first;
	m->out[t] = out;
	for (i = 0; i < n; i++) {
		struct model_node *nd = &m->node[first + i];
		char *l = next_line(p);
		double thr;
		uint32_t k;

		if (l == NULL)
			return perr(p, "the file ends in tree %" PRIu32 " (node %" PRIu32 " of %"
				    PRIu32 ")", t, i, n);
		memset(nd, 0, sizeof(*nd));
		if (strncmp(l, "leaf ", 5) == 0) {
			nd->feat = NODE_LEAF;
			nd->left = (uint32_t)m->n_val;
			s = l + 5;
			for (k = 0; k < width; k++) {
				double v;

				ret = parse_double(p, &s, "leaf value", &v);
				if (ret == 0)
					ret = val_add(p, m, v);
				if (ret != 0)
					return ret;
			}
			ret = line_end(p, s);
			if (ret != 0)
				return perr(p, "tree %" PRIu32 ": a leaf has %" PRIu32 " value%s "
					    "here", t, width, width > 1 ? "s" : "");
			continue;
		}
		if (strncmp(l, "node ", 5) != 0)
			return perr(p, "tree %" PRIu32 ": 'node' or 'leaf' expected (node %" PRIu32
				    " of %" PRIu32 "), found '%.30s'", t, i, n, l);
		s = l + 5;
		if (parse_u32(p, &s, "node: feature", m->n_feat - 1, &k) != 0)
			return -EINVAL;
		nd->feat = k;
		if (parse_double(p, &s, "node: threshold", &thr) != 0)
			return -EINVAL;
		nd->thr = node_thr(thr, m->lt);
		if (parse_u32(p, &s, "node: left child", n - 1, &nd->left) != 0 ||
		    parse_u32(p, &s, "node: right child", n - 1, &nd->right) != 0)
			return -EINVAL;
		/* children after their parent: every walk ends */
		if (nd->left <= i || nd->right <= i)
			return perr(p, "tree %" PRIu32 " node %" PRIu32 ": children must come "
				    "after their node", t, i);
		nd->left += first;
		nd->right += first;
		while (*s == ' ')
			s++;
		if (strcmp(s, "left") == 0)
			nd->feat |= NODE_MISSING_LEFT;
		else if (strcmp(s, "right") != 0)
			return perr(p, "tree %" PRIu32 " node %" PRIu32 ": missing values go "
				    "'left' or 'right', found '%.20s'", t, i, s);
	}
	m->n_node += n;
	return 0;
}

/* Parse the file into a model; err names the file and the line. */
static struct model *
model_load(const char *path, char *err, size_t errlen)
{
	static const char *const types[] = { "classifier", "regressor", NULL };
	static const char *const cmps[] = { "le", "lt", NULL };
	static const char *const ariths[] = { "double", "float", NULL };
	static const char *const aggs[] = { "mean", "sum", NULL };
	static const char *const links[] = { "none", "sigmoid", "softmax", NULL };
	struct parser p = { .path = path, .err = err, .errlen = errlen };
	struct model *m = calloc(1, sizeof(*m));
	uint32_t i, nodes_cap = 0;
	char *s;
	int v, ret = -EINVAL;

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p.f = fopen(path, "r");
	if (p.f == NULL) {
		snprintf(err, errlen, "model file '%s': %s", path, strerror(errno));
		free(m);
		return NULL;
	}
	s = expect(&p, "streamprobe-model");
	if (s == NULL)
		goto out;
	if (strcmp(s, "1") != 0) {
		perr(&p, "format version '%.20s', this streamprobe reads 1", s);
		goto out;
	}
	if (parse_word(&p, "type", types, &v) != 0)
		goto out;
	m->classifier = v == 0;
	/* source: free text, optional */
	s = next_line(&p);
	if (s == NULL || strncmp(s, "source", 6) != 0 || (s[6] != ' ' && s[6] != '\0'))
		p.again = true;
	if (parse_word(&p, "compare", cmps, &v) != 0)
		goto out;
	m->lt = v == 1;
	if (parse_word(&p, "arithmetic", ariths, &v) != 0)
		goto out;
	m->f32 = v == 1;
	if (parse_word(&p, "aggregate", aggs, &v) != 0)
		goto out;
	m->mean = v == 0;
	if (parse_word(&p, "link", links, &m->link) != 0)
		goto out;
	s = expect(&p, "outputs");
	if (s == NULL || parse_u32(&p, &s, "outputs", MODEL_MAX_OUTPUTS, &m->n_out) != 0 ||
	    line_end(&p, s) != 0)
		goto out;
	if (m->n_out == 0) {
		perr(&p, "outputs must be at least 1");
		goto out;
	}
	m->init = calloc(m->n_out, sizeof(*m->init));
	if (m->init == NULL)
		goto oom;
	if (!m->mean) {
		s = expect(&p, "init");
		if (s == NULL)
			goto out;
		for (i = 0; i < m->n_out; i++)
			if (parse_double(&p, &s, "init", &m->init[i]) != 0)
				goto out;
		if (line_end(&p, s) != 0)
			goto out;
	}
	s = expect(&p, "features");
	if (s == NULL || parse_u32(&p, &s, "features", MODEL_MAX_FEATURES, &m->n_feat) != 0 ||
	    line_end(&p, s) != 0)
		goto out;
	if (m->n_feat == 0) {
		perr(&p, "a model needs at least one feature");
		goto out;
	}
	m->feat = calloc(m->n_feat, sizeof(*m->feat));
	m->refs = calloc(m->n_feat, sizeof(*m->refs));
	if (m->feat == NULL || m->refs == NULL)
		goto oom;
	for (i = 0; i < m->n_feat; i++) {
		s = expect(&p, "feature");
		if (s == NULL)
			goto out;
		if (*s == '\0' || strchr(s, ' ') != NULL) {
			perr(&p, "feature %" PRIu32 ": a column name without spaces expected", i);
			goto out;
		}
		m->feat[i] = strdup(s);
		if (m->feat[i] == NULL)
			goto oom;
		/* the line, for the column resolution's errors */
		m->refs[i] = (int32_t)p.lineno;
	}
	if (m->classifier) {
		s = expect(&p, "classes");
		if (s == NULL ||
		    parse_u32(&p, &s, "classes", MODEL_MAX_OUTPUTS, &m->n_class) != 0 ||
		    line_end(&p, s) != 0)
			goto out;
		if (m->n_class < 2) {
			perr(&p, "a classifier needs at least 2 classes");
			goto out;
		}
		m->label = calloc(m->n_class, sizeof(*m->label));
		if (m->label == NULL)
			goto oom;
		for (i = 0; i < m->n_class; i++) {
			s = next_line(&p);
			if (s == NULL || strncmp(s, "class ", 6) != 0) {
				perr(&p, "'class LABEL' expected (class %" PRIu32 " of %"
				     PRIu32 ")", i, m->n_class);
				goto out;
			}
			if (strlen(s + 6) == 0 || strlen(s + 6) > MODEL_MAX_LABEL) {
				perr(&p, "class %" PRIu32 ": a label of 1 to %u bytes expected", i,
				     MODEL_MAX_LABEL);
				goto out;
			}
			m->label[i] = strdup(s + 6);
			if (m->label[i] == NULL)
				goto oom;
		}
		/* what the outputs are */
		if ((m->link == LINK_NONE && m->n_out != m->n_class) ||
		    (m->link == LINK_SOFTMAX && m->n_out != m->n_class) ||
		    (m->link == LINK_SIGMOID && (m->n_out != 1 || m->n_class != 2))) {
			perr(&p, "a classifier with link %s and %" PRIu32 " outputs cannot have %"
			     PRIu32 " classes (none, softmax: one output a class; sigmoid: 1 "
			     "output, 2 classes)", links[m->link], m->n_out, m->n_class);
			goto out;
		}
	} else if (m->n_out != 1 || m->link == LINK_SOFTMAX) {
		perr(&p, "a regressor has 1 output and link none or sigmoid");
		goto out;
	}
	s = expect(&p, "trees");
	if (s == NULL || parse_u32(&p, &s, "trees", MODEL_MAX_TREES, &m->n_tree) != 0 ||
	    line_end(&p, s) != 0)
		goto out;
	if (m->n_tree == 0) {
		perr(&p, "a model needs at least one tree");
		goto out;
	}
	m->root = calloc(m->n_tree, sizeof(*m->root));
	m->out = calloc(m->n_tree, sizeof(*m->out));
	if (m->root == NULL || m->out == NULL)
		goto oom;
	for (i = 0; i < m->n_tree; i++)
		if (parse_tree(&p, m, i, &nodes_cap) != 0)
			goto out;
	s = expect(&p, "end");
	if (s == NULL || line_end(&p, s) != 0)
		goto out;
	if (next_line(&p) != NULL) {
		perr(&p, "'%.30s' after 'end'", p.line);
		goto out;
	}
	if (ferror(p.f)) {
		snprintf(err, errlen, "model file '%s': read error", path);
		goto out;
	}
	ret = 0;
	goto out;
oom:
	perr(&p, "out of memory");
out:
	free(p.line);
	fclose(p.f);
	if (ret != 0) {
		model_free(m);
		return NULL;
	}
	return m;
}

/* ------------------------------------------------------------------------ */
/* Inference                                                                */

/* The leaf a tree gives for the features in float32. */
static inline const double *
tree_leaf(const struct model *m, uint32_t t, const float *xv)
{
	const struct model_node *nd = &m->node[m->root[t]];
	uint32_t f;

	while ((f = nd->feat & ~NODE_MISSING_LEFT) != NODE_LEAF) {
		float v = xv[f];
		/* a NaN (a None value) compares false: it goes left only when told */
		bool left = v <= nd->thr || (isnan(v) && (nd->feat & NODE_MISSING_LEFT));

		nd = &m->node[left ? nd->left : nd->right];
	}
	return &m->val[nd->left];
}

/* Predict from w->x: the class (classifier) and its probability, or the score. */
static void
model_predict(struct model_worker *w, uint16_t *cls, double *v)
{
	const struct model *m = w->m;
	uint32_t i, k, best = 0;

	for (i = 0; i < m->n_feat; i++) {
		/* scikit-learn and XGBoost read features as float32 */
		w->xv[i] = (float)w->x[i];
		w->missing += isnan(w->x[i]);
	}
	if (m->f32) {
		/* XGBoost: a float32 sum from the base margin, tree by tree */
		for (k = 0; k < m->n_out; k++)
			w->accf[k] = (float)m->init[k];
		for (i = 0; i < m->n_tree; i++) {
			const double *l = tree_leaf(m, i, w->xv);

			if (m->out[i] >= 0)
				w->accf[m->out[i]] += (float)l[0];
			else
				for (k = 0; k < m->n_out; k++)
					w->accf[k] += (float)l[k];
		}
		if (m->link == LINK_SIGMOID) {
			float p = 1.0f / (1.0f + expf(-w->accf[0]));

			w->proba[0] = (double)(1.0f - p);
			w->proba[1] = (double)p;
			w->acc[0] = (double)p;
		} else if (m->link == LINK_SOFTMAX) {
			float mx = w->accf[0];
			double sum = 0;

			for (k = 1; k < m->n_out; k++)
				mx = w->accf[k] > mx ? w->accf[k] : mx;
			for (k = 0; k < m->n_out; k++) {
				w->accf[k] = expf(w->accf[k] - mx);
				sum += w->accf[k];
			}
			for (k = 0; k < m->n_out; k++)
				w->proba[k] = (double)(w->accf[k] / (float)sum);
		} else {
			for (k = 0; k < m->n_out; k++) {
				w->acc[k] = (double)w->accf[k];
				w->proba[k] = w->acc[k];
			}
		}
	} else {
		if (m->mean) {
			/* scikit-learn's forests: the trees' vectors summed in
			 * order, then divided by their number */
			for (k = 0; k < m->n_out; k++)
				w->acc[k] = 0;
			for (i = 0; i < m->n_tree; i++) {
				const double *l = tree_leaf(m, i, w->xv);

				for (k = 0; k < m->n_out; k++)
					w->acc[k] += l[k];
			}
			for (k = 0; k < m->n_out; k++)
				w->acc[k] /= (double)m->n_tree;
		} else {
			/* gradient boosting: init, then each tree's (scaled) leaf */
			for (k = 0; k < m->n_out; k++)
				w->acc[k] = m->init[k];
			for (i = 0; i < m->n_tree; i++) {
				const double *l = tree_leaf(m, i, w->xv);

				if (m->out[i] >= 0)
					w->acc[m->out[i]] += l[0];
				else
					for (k = 0; k < m->n_out; k++)
						w->acc[k] += l[k];
			}
		}
		if (m->link == LINK_SIGMOID) {
			/* scipy's expit */
			double p = 1.0 / (1.0 + exp(-w->acc[0]));

			w->proba[0] = 1.0 - p;
			w->proba[1] = p;
			w->acc[0] = p;
		} else if (m->link == LINK_SOFTMAX) {
			/* exp(raw - logsumexp(raw)), as scikit-learn */
			double mx = w->acc[0], sum = 0, lse;

			for (k = 1; k < m->n_out; k++)
				mx = w->acc[k] > mx ? w->acc[k] : mx;
			for (k = 0; k < m->n_out; k++)
				sum += exp(w->acc[k] - mx);
			lse = mx + log(sum);
			for (k = 0; k < m->n_out; k++)
				w->proba[k] = exp(w->acc[k] - lse);
		} else {
			for (k = 0; k < m->n_out; k++)
				w->proba[k] = w->acc[k];
		}
	}
	w->predicted++;
	if (!m->classifier) {
		*cls = 0;
		*v = w->acc[0];
		return;
	}
	/* numpy's argmax: the first of equal ones */
	for (k = 1; k < m->n_class; k++)
		if (w->proba[k] > w->proba[best])
			best = k;
	*cls = (uint16_t)best;
	*v = w->proba[best];
}

/* ------------------------------------------------------------------------ */
/* The plugin                                                               */

static int
model_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
		struct sp_plugin_config *out, char *err, size_t errlen)
{
	const char *file = NULL, *prefix = "model";
	uint64_t at = 0;
	struct model *m;
	size_t maxl = 1;
	unsigned int i;

	for (i = 0; i < n_opts; i++) {
		const char *k = opts[i].key, *v = opts[i].value;

		if (strcmp(k, "file") == 0) {
			if (v[0] == '\0') {
				snprintf(err, errlen, "file: a model file expected (file=M)");
				return -EINVAL;
			}
			file = v;
		} else if (strcmp(k, "at") == 0) {
			char *end;

			errno = 0;
			at = strtoull(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || at == 0) {
				snprintf(err, errlen, "at '%s' is not a packet count >= 1", v);
				return -EINVAL;
			}
		} else if (strcmp(k, "name") == 0) {
			size_t j, l = strlen(v);

			/* the prefix goes into column names: a word */
			for (j = 0; j < l; j++) {
				char ch = v[j];

				if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				      (ch >= '0' && ch <= '9') || ch == '_'))
					break;
			}
			if (l == 0 || l > MODEL_MAX_PREFIX || j < l) {
				snprintf(err, errlen, "name '%s': 1 to %u letters, digits or '_'",
					 v, MODEL_MAX_PREFIX);
				return -EINVAL;
			}
			prefix = v;
		} else {
			snprintf(err, errlen, "unknown option '%s' (model takes file=M, at=N, "
				 "name=PREFIX)", k);
			return -EINVAL;
		}
	}
	if (file == NULL) {
		snprintf(err, errlen, "file=M is required (model:file=M[,at=N][,name=PREFIX])");
		return -EINVAL;
	}
	m = model_load(file, err, errlen);
	if (m == NULL)
		return -EINVAL;
	m->at = at;
	/* features: columns of the run (the core's alone when read mid-flow) */
	for (i = 0; i < m->n_feat; i++) {
		char why[200];
		unsigned int line = (unsigned int)m->refs[i];
		int r = sp_plugin_column_ref(m->feat[i], at > 0 ? SP_PLUGIN_REF_LIVE : 0, why,
					     sizeof(why));

		if (r < 0) {
			snprintf(err, errlen, "model file '%s' line %u: feature %u: %s%s", file,
				 line, i, why, r == -EINVAL && at > 0 ? " (with at=N)" : "");
			model_free(m);
			return -EINVAL;
		}
		m->refs[i] = r;
	}
	for (i = 0; i < m->n_class; i++)
		maxl = strlen(m->label[i]) > maxl ? strlen(m->label[i]) : maxl;
	if (m->classifier) {
		snprintf(m->names[0], sizeof(m->names[0]), "udps.%s_label", prefix);
		snprintf(m->names[1], sizeof(m->names[1]), "udps.%s_proba", prefix);
		m->cols[0] = (struct sp_plugin_column){ .name = m->names[0],
			.type = SP_PLUGIN_STRING, .max = (uint16_t)maxl };
		m->cols[1] = (struct sp_plugin_column){ .name = m->names[1],
			.type = SP_PLUGIN_DOUBLE };
		out->n_columns = 2;
	} else {
		snprintf(m->names[0], sizeof(m->names[0]), "udps.%s_score", prefix);
		m->cols[0] = (struct sp_plugin_column){ .name = m->names[0],
			.type = SP_PLUGIN_DOUBLE };
		out->n_columns = 1;
	}
	out->columns = m->cols;
	out->slot_size = at > 0 ? sizeof(struct model_slot) : 0;
	out->conf = m;
	return 0;
}

static void
model_deconfigure(void *conf)
{
	model_free(conf);
}

static void
model_worker_fini(void *wctx)
{
	struct model_worker *w = wctx;

	if (w == NULL)
		return;
	free(w->x);
	free(w->xv);
	free(w->acc);
	free(w->accf);
	free(w->proba);
	free(w);
}

static void *
model_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct model *m = conf;
	struct model_worker *w = calloc(1, sizeof(*w));

	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	if (w == NULL)
		return NULL;
	w->m = m;
	/* every buffer of a prediction, here: none on the packet path */
	w->x = calloc(m->n_feat, sizeof(*w->x));
	w->xv = calloc(m->n_feat, sizeof(*w->xv));
	w->acc = calloc(m->n_out, sizeof(*w->acc));
	w->accf = calloc(m->n_out, sizeof(*w->accf));
	w->proba = calloc(m->n_out > 2 ? m->n_out : 2, sizeof(*w->proba));
	if (w->x == NULL || w->xv == NULL || w->acc == NULL || w->accf == NULL ||
	    w->proba == NULL) {
		model_worker_fini(w);
		return NULL;
	}
	return w;
}

/* at=N: the N-th packet's prediction, kept in the slot for on_expire. */
static int
model_at(struct model_worker *w, struct model_slot *s, const struct sp_plugin_packet *p,
	 const struct sp_plugin_flow *f)
{
	sp_plugin_flow_numbers(p, f, w->m->refs, w->m->n_feat, w->x);
	model_predict(w, &s->cls, &s->v);
	s->done = 1;
	w->predicted_at++;
	return SP_PLUGIN_DONE;
}

static int
model_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	      const struct sp_plugin_flow *f)
{
	struct model_worker *w = wctx;

	if (w->m->at == 0)
		return SP_PLUGIN_DONE;	/* at the end only: nothing per packet */
	if (w->m->at == 1)
		return model_at(w, slot, p, f);
	return SP_PLUGIN_CONTINUE;
}

static int
model_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
		const struct sp_plugin_flow *f)
{
	struct model_worker *w = wctx;

	if (sp_plugin_flow_packets(f, SP_PLUGIN_BIDIRECTIONAL) < w->m->at)
		return SP_PLUGIN_CONTINUE;
	return model_at(w, slot, p, f);
}

static void
model_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f,
		struct sp_plugin_record *r)
{
	struct model_worker *w = wctx;
	const struct model *m = w->m;
	const struct model_slot *s = slot;
	uint16_t cls;
	double v;

	(void)f;
	if (s != NULL && s->done) {
		cls = s->cls;
		v = s->v;
	} else {
		/* at the end; with at=N, a flow shorter than N packets */
		sp_plugin_record_numbers(r, m->refs, m->n_feat, w->x);
		model_predict(w, &cls, &v);
	}
	if (m->classifier) {
		sp_plugin_set_string(r, 0, m->label[cls], strlen(m->label[cls]));
		sp_plugin_set_double(r, 1, v);
	} else {
		sp_plugin_set_double(r, 0, v);
	}
}

static unsigned int
model_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct model_worker *w = wctx;
	unsigned int n = 0;

	if (n < max)
		out[n++] = (struct sp_plugin_stat){ "predicted", w->predicted };
	if (n < max)
		out[n++] = (struct sp_plugin_stat){ "predicted_at_n", w->predicted_at };
	if (n < max)
		out[n++] = (struct sp_plugin_stat){ "missing_values", w->missing };
	return n;
}

const struct sp_plugin sp_plugin_model = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "model",
	.version = "1",
	.description = "a trained tree ensemble (scikit-learn, XGBoost) labels each flow",
	.configure = model_configure,
	.deconfigure = model_deconfigure,
	.worker_init = model_worker_init,
	.worker_fini = model_worker_fini,
	.on_init = model_on_init,
	.on_update = model_on_update,
	.on_expire = model_on_expire,
	.stats = model_stats,
};
