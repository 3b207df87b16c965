/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hyperscan: payload rules -> flow labels.
 *
 *   --plugin hyperscan:rules=FILE[,bytes=N][,max=M][,state=S]
 *
 * FILE is Hyperscan's pattern file, as its hsbench and hscollider tools read
 * it: one rule a line, `ID:/regex/flags`, '#' lines and blank lines skipped;
 * streamprobe adds an optional trailing `label=NAME` (after white space) per
 * rule. All rules are compiled once, in configure(), into one streaming
 * database (hs_compile_multi, HS_MODE_STREAM) that every worker reads; each
 * worker has its own scratch (hs_clone_scratch) and one working stream.
 *
 * Each flow direction is one Hyperscan stream over its first N payload
 * bytes (bytes=N, default 4096), in packet order, so a match split across
 * packets is found. Columns: the matched rules' labels and ids in the order
 * of their first match, the packet of the first match, the ids per
 * direction. The plugin is done with a flow once both directions are past N.
 *
 * Where the stream state lives. Hyperscan 5.4 allocates a stream in
 * hs_open_stream() and has no call to place one in memory of the caller's;
 * the plugin interface gives each flow a slot and no allocation on the
 * packet path. Two ways fit: a per-worker pool of open streams, each taken by
 * a flow at its first payload byte (no copy per packet, but a flow that
 * finds the pool empty is not scanned, and the pool, at hs_stream_size() per
 * entry, is sized for a guess of the concurrent flows), or the compressed
 * stream (hs_compress_stream) in the slot, expanded into the worker's
 * working stream for each packet (hs_reset_and_expand_stream) and
 * compressed back after it. This plugin does the latter: every flow is
 * scanned, whatever the number of flows, and nothing is allocated past
 * configure/worker_init. Measured with 1,000 generated rules (literals and
 * regexes; hs_stream_size 1,004 bytes): expand + compress cost 165 ns a
 * packet, a 100-byte scan 290 ns; a compressed stream took 39 to 54 bytes.
 * The expand is skipped when the working stream still holds the flow
 * direction's state (the next packet is the same flow's, same direction:
 * bulk transfers), recognised by a per-worker sequence number kept in the
 * slot. The slot reserves hs_stream_size() bytes per direction by default
 * (at most 65,535): the size of an open stream, which its compressed form
 * has never come near in any test (it leaves out what the stream's engines
 * do not use in its current state); state=S reserves S instead (less memory
 * per flow; a direction whose state does not fit stops being scanned,
 * counted as state_cut, never written past the slot).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "sp_plugin.h"

#define HSP_BYTES_DEFAULT 4096u
#define HSP_MAX_DEFAULT 16u
#define HSP_MAX_MAX 1024u
#define HSP_LABEL_MAX 64u
#define HSP_STATE_MAX 65535u	/* clen is 16 bits */
/* match[] entries: rule index and the directions it matched in */
#define HSP_DIR0 (1u << 30)
#define HSP_DIR1 (1u << 31)
#define HSP_IDX_MASK (HSP_DIR0 - 1)

enum {
	COL_LABELS = 0,
	COL_IDS,
	COL_FIRST,
	COL_IDS_S2D,
	COL_IDS_D2S,
	N_COLS
};

struct hsp_rule {
	unsigned int id;	/* the file's ID */
	unsigned int line;
	int label;		/* index in labels[], -1: none */
};

struct hsp_conf {
	hs_database_t *db;
	hs_scratch_t *scratch;	/* the prototype workers clone */
	struct hsp_rule *rules;	/* in file order */
	unsigned int n_rules;
	/* (id, rule index) sorted by id: a match's id to its rule */
	uint64_t *by_id;
	char (*labels)[HSP_LABEL_MAX];
	uint8_t *label_len;
	unsigned int n_labels;
	uint32_t bytes;		/* N */
	uint32_t max;		/* matches kept per flow */
	uint32_t state;		/* compressed state bytes per direction */
	size_t stream_size;
	size_t match_off;	/* offsets in the slot */
	size_t state_off;
	struct sp_plugin_column cols[N_COLS];
};

/* The slot's fixed part; then match[max], then state[2][state]. */
struct hsp_slot {
	uint64_t tag[2];	/* the worker's sequence number of state[d]; 0: none */
	uint32_t seen[2];	/* payload bytes scanned */
	uint32_t last_pkt[2];	/* packet number of the direction's last scanned packet */
	uint32_t first_pkt;	/* of the first match; 0: none */
	uint16_t clen[2];	/* compressed state bytes; 0: stream not started */
	uint16_t n;		/* match[] entries */
	uint8_t fin;		/* bit d: direction d is past N (or its state was lost) */
	uint8_t pad[5];
};

struct hsp_worker {
	const struct hsp_conf *c;
	hs_scratch_t *scratch;
	hs_stream_t *ws;	/* the working stream */
	uint64_t seq;		/* last tag given */
	uint64_t loaded;	/* tag of the state ws holds; 0: none */
	/* counters (read by stats() from another lcore) */
	uint64_t packets_scanned;
	uint64_t bytes_scanned;
	uint64_t matches;
	uint64_t expands;	/* states expanded from a slot */
	uint64_t state_reuses;	/* expands saved: the working stream held the state */
	uint64_t matches_cut;
	uint64_t state_cut;
	uint64_t payload_cut;
	uint64_t scan_errors;
};

/* What the match callback needs. */
struct hsp_ctx {
	const struct hsp_conf *c;
	struct hsp_worker *w;
	struct hsp_slot *s;
	uint32_t dir_bit;
	uint32_t pkt;
};

static const char HSP_FLAG_CHARS[] = "ismHV8WPLCQ";
static const unsigned int HSP_FLAG_VALUES[] = {
	HS_FLAG_CASELESS, HS_FLAG_DOTALL, HS_FLAG_MULTILINE, HS_FLAG_SINGLEMATCH,
	HS_FLAG_ALLOWEMPTY, HS_FLAG_UTF8, HS_FLAG_UCP, HS_FLAG_PREFILTER,
	HS_FLAG_SOM_LEFTMOST, HS_FLAG_COMBINATION, HS_FLAG_QUIET,
};

static inline uint32_t *
slot_match(const struct hsp_conf *c, struct hsp_slot *s)
{
	return (uint32_t *)((char *)s + c->match_off);
}

static inline char *
slot_state(const struct hsp_conf *c, struct hsp_slot *s, unsigned int d)
{
	return (char *)s + c->state_off + (size_t)d * c->state;
}

static void
conf_free(struct hsp_conf *c)
{
	if (c == NULL)
		return;
	hs_free_scratch(c->scratch);
	hs_free_database(c->db);
	free(c->rules);
	free(c->by_id);
	free(c->labels);
	free(c->label_len);
	free(c);
}

static int
parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long x;
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end != '\0' || errno != 0 || x < lo || x > hi)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static bool
label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.' || ch == ':';
}

/* The label's number, interned (rules sharing a label share it). */
static int
label_intern(struct hsp_conf *c, const char *l, size_t n)
{
	unsigned int i;

	for (i = 0; i < c->n_labels; i++)
		if (c->label_len[i] == n && memcmp(c->labels[i], l, n) == 0)
			return (int)i;
	memcpy(c->labels[c->n_labels], l, n);
	c->label_len[c->n_labels] = (uint8_t)n;
	return (int)c->n_labels++;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The rule index of an id, or -1. */
static int
bsearch_id(const struct hsp_conf *c, unsigned int id)
{
	uint64_t key = (uint64_t)id << 32;
	unsigned int lo = 0, hi = c->n_rules;

	while (lo < hi) {	/* the first entry >= (id, 0) */
		unsigned int mid = (lo + hi) / 2;

		if (c->by_id[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n_rules || c->by_id[lo] >> 32 != id)
		return -1;
	return (int)(uint32_t)c->by_id[lo];
}

/*
 * One line `ID:/regex/flags[ label=NAME]`, cut in place (the regex is left
 * NUL-terminated in line). @return 0, or -EINVAL with the reason in err.
 */
static int
parse_rule(struct hsp_conf *c, const char *file, unsigned int ln, char *line,
	   struct hsp_rule *r, char **expr, unsigned int *flags, char *err, size_t errlen)
{
	size_t n = strlen(line);
	char *colon, *first, *last, *end = NULL, *p;
	unsigned long long id;

	/* a trailing label=NAME: NAME has no '/' and no white space, so it
	 * cannot be the end of a regex's /.../flags */
	r->label = -1;
	for (p = line + n; p > line && label_char(p[-1]); p--)
		;
	if (p - line >= 7 && memcmp(p - 6, "label=", 6) == 0 &&
	    (p[-7] == ' ' || p[-7] == '\t')) {
		size_t l = (size_t)(line + n - p);

		if (l == 0 || l >= HSP_LABEL_MAX) {
			snprintf(err, errlen, "%s:%u: label '%s' is not 1 to %u characters",
				 file, ln, p, HSP_LABEL_MAX - 1);
			return -EINVAL;
		}
		r->label = label_intern(c, p, l);
		p -= 7;
		while (p > line && (p[-1] == ' ' || p[-1] == '\t'))
			p--;
		*p = '\0';
	}
	colon = strchr(line, ':');
	errno = 0;
	id = colon != NULL && line[0] >= '0' && line[0] <= '9' ? strtoull(line, &end, 10) : 0;
	if (colon == NULL || line[0] < '0' || line[0] > '9' || end != colon || errno != 0 ||
	    id > UINT32_MAX) {
		snprintf(err, errlen, "%s:%u: not a rule ID:/regex/flags (ID a number up to "
			 "4294967295)", file, ln);
		return -EINVAL;
	}
	first = colon + 1;
	last = strrchr(first, '/');
	if (first[0] != '/' || last == first) {
		snprintf(err, errlen, "%s:%u: rule %llu: the regex is not between two '/' "
			 "(ID:/regex/flags)", file, ln, id);
		return -EINVAL;
	}
	*flags = 0;
	for (p = last + 1; *p != '\0'; p++) {
		const char *f = strchr(HSP_FLAG_CHARS, *p);

		if (*p == '{') {
			snprintf(err, errlen, "%s:%u: rule %llu: extended parameters {...} are "
				 "not supported (flags only: %s)", file, ln, id, HSP_FLAG_CHARS);
			return -EINVAL;
		}
		if (f == NULL || *p == '\0') {
			snprintf(err, errlen, "%s:%u: rule %llu: unsupported flag '%c' (Hyperscan's "
				 "flags: %s)", file, ln, id, *p, HSP_FLAG_CHARS);
			return -EINVAL;
		}
		*flags |= HSP_FLAG_VALUES[f - HSP_FLAG_CHARS];
	}
	*last = '\0';
	*expr = first + 1;
	r->id = (unsigned int)id;
	r->line = ln;
	return 0;
}

/* Reads and compiles FILE into c. */
static int
load_rules(struct hsp_conf *c, const char *file, char *err, size_t errlen)
{
	char *line = NULL, **exprs = NULL, **lines = NULL;
	unsigned int *flags = NULL, *ids = NULL, cap = 0, ln = 0, i;
	hs_compile_error_t *cerr = NULL;
	unsigned int mode = HS_MODE_STREAM;
	size_t lcap = 0;
	ssize_t got;
	int ret = -EINVAL;
	FILE *f;

	f = fopen(file, "r");
	if (f == NULL) {
		snprintf(err, errlen, "rules file '%s': %s", file, strerror(errno));
		return -EINVAL;
	}
	while ((got = getline(&line, &lcap, f)) >= 0) {
		size_t n = (size_t)got;
		const char *q;

		ln++;
		/* the line break, and white space after the flags or the label */
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
				 line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (strlen(line) != n) {
			snprintf(err, errlen, "%s:%u: a NUL byte in the line (write it \\x00)",
				 file, ln);
			goto out;
		}
		for (q = line; *q == ' ' || *q == '\t'; q++)
			;
		if (*q == '\0' || line[0] == '#')
			continue;
		if (c->n_rules == cap) {
			unsigned int nc = cap ? cap * 2 : 64;
			void *a = realloc(c->rules, nc * sizeof(*c->rules));

			if (a != NULL)
				c->rules = a;
			a = a != NULL ? realloc(exprs, nc * sizeof(*exprs)) : NULL;
			if (a != NULL)
				exprs = a;
			a = a != NULL ? realloc(lines, nc * sizeof(*lines)) : NULL;
			if (a != NULL)
				lines = a;
			a = a != NULL ? realloc(flags, nc * sizeof(*flags)) : NULL;
			if (a != NULL)
				flags = a;
			a = a != NULL ? realloc(ids, nc * sizeof(*ids)) : NULL;
			if (a != NULL)
				ids = a;
			a = a != NULL ? realloc(c->labels, nc * sizeof(*c->labels)) : NULL;
			if (a != NULL)
				c->labels = a;
			a = a != NULL ? realloc(c->label_len, nc) : NULL;
			if (a == NULL) {
				snprintf(err, errlen, "out of memory reading '%s'", file);
				ret = -ENOMEM;
				goto out;
			}
			c->label_len = a;
			cap = nc;
		}
		lines[c->n_rules] = strdup(line);
		if (lines[c->n_rules] == NULL) {
			snprintf(err, errlen, "out of memory reading '%s'", file);
			ret = -ENOMEM;
			goto out;
		}
		c->n_rules++;
		if (parse_rule(c, file, ln, lines[c->n_rules - 1], &c->rules[c->n_rules - 1],
			       &exprs[c->n_rules - 1], &flags[c->n_rules - 1], err, errlen) != 0)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "rules file '%s': %s", file, strerror(errno));
		goto out;
	}
	if (c->n_rules == 0) {
		snprintf(err, errlen, "rules file '%s' has no rule (ID:/regex/flags)", file);
		goto out;
	}
	c->by_id = malloc(c->n_rules * sizeof(*c->by_id));
	if (c->by_id == NULL) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < c->n_rules; i++) {
		c->by_id[i] = (uint64_t)c->rules[i].id << 32 | i;
		ids[i] = c->rules[i].id;
		/*
		 * Each rule is reported once per flow and direction: Hyperscan's
		 * single-match mode drops a rule's later matches inside the
		 * engine, so a rule matching on every byte costs one callback.
		 * Hyperscan does not take it with leftmost start of match.
		 */
		if ((flags[i] & HS_FLAG_SOM_LEFTMOST) != 0)
			mode |= HS_MODE_SOM_HORIZON_LARGE;
		else
			flags[i] |= HS_FLAG_SINGLEMATCH;
	}
	qsort(c->by_id, c->n_rules, sizeof(*c->by_id), cmp_u64);
	for (i = 1; i < c->n_rules; i++)
		if (c->by_id[i] >> 32 == c->by_id[i - 1] >> 32) {
			const struct hsp_rule *a = &c->rules[(uint32_t)c->by_id[i - 1]];
			const struct hsp_rule *b = &c->rules[(uint32_t)c->by_id[i]];

			snprintf(err, errlen, "%s:%u: rule id %u is also line %u's", file,
				 a->line > b->line ? a->line : b->line, a->id,
				 a->line > b->line ? b->line : a->line);
			goto out;
		}
	/*
	 * A logical combination names other rules by id; Hyperscan's error for
	 * an unknown one names no expression, so check here, naming the line.
	 */
	for (i = 0; i < c->n_rules; i++) {
		const char *q = exprs[i];

		if ((flags[i] & HS_FLAG_COMBINATION) == 0)
			continue;
		while ((q = strpbrk(q, "0123456789")) != NULL) {
			unsigned long long ref = strtoull(q, (char **)&q, 10);

			if (ref > UINT32_MAX || bsearch_id(c, (unsigned int)ref) < 0) {
				snprintf(err, errlen, "%s:%u: rule %u: the combination names rule "
					 "%llu, which is not in the file", file, c->rules[i].line,
					 c->rules[i].id, ref);
				goto out;
			}
		}
	}
	if (hs_compile_multi((const char *const *)exprs, flags, ids, c->n_rules, mode, NULL,
			     &c->db, &cerr) != HS_SUCCESS) {
		if (cerr != NULL && cerr->expression >= 0 &&
		    (unsigned int)cerr->expression < c->n_rules)
			snprintf(err, errlen, "%s:%u: rule %u: Hyperscan: %s", file,
				 c->rules[cerr->expression].line, c->rules[cerr->expression].id,
				 cerr->message);
		else
			snprintf(err, errlen, "%s: Hyperscan: %s", file,
				 cerr != NULL ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		c->db = NULL;
		goto out;
	}
	ret = 0;
out:
	for (i = 0; lines != NULL && i < c->n_rules; i++)
		free(lines[i]);
	free(lines);
	free(exprs);
	free(flags);
	free(ids);
	free(line);
	fclose(f);
	return ret;
}

static int
hsp_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	      struct sp_plugin_config *out, char *err, size_t errlen)
{
	const char *file = NULL;
	uint32_t bytes = HSP_BYTES_DEFAULT, max = HSP_MAX_DEFAULT, state = 0;
	struct hsp_conf *c;
	hs_stream_t *st = NULL;
	size_t used;
	unsigned int i;
	int ret;

	for (i = 0; i < n_opts; i++) {
		const char *k = opts[i].key, *v = opts[i].value;

		if (strcmp(k, "rules") == 0) {
			if (v[0] == '\0') {
				snprintf(err, errlen, "rules= needs a file (rules=FILE)");
				return -EINVAL;
			}
			file = v;
		} else if (strcmp(k, "bytes") == 0) {
			if (parse_u32(v, 1, INT32_MAX, &bytes) != 0) {
				snprintf(err, errlen, "bytes '%s' is not a byte count 1..%d", v,
					 INT32_MAX);
				return -EINVAL;
			}
		} else if (strcmp(k, "max") == 0) {
			if (parse_u32(v, 1, HSP_MAX_MAX, &max) != 0) {
				snprintf(err, errlen, "max '%s' is not a rule count 1..%u", v,
					 HSP_MAX_MAX);
				return -EINVAL;
			}
		} else if (strcmp(k, "state") == 0) {
			if (parse_u32(v, 16, HSP_STATE_MAX, &state) != 0) {
				snprintf(err, errlen, "state '%s' is not a byte count 16..%u", v,
					 HSP_STATE_MAX);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s' (hyperscan takes rules=FILE, "
				 "bytes=N, max=M, state=S)", k);
			return -EINVAL;
		}
	}
	if (file == NULL) {
		snprintf(err, errlen, "rules=FILE is required (hyperscan:rules=FILE)");
		return -EINVAL;
	}
	if (hs_valid_platform() != HS_SUCCESS) {
		snprintf(err, errlen, "this CPU lacks SSSE3, which Hyperscan needs");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = load_rules(c, file, err, errlen);
	if (ret != 0)
		goto fail;
	if (hs_stream_size(c->db, &c->stream_size) != HS_SUCCESS ||
	    hs_alloc_scratch(c->db, &c->scratch) != HS_SUCCESS ||
	    hs_open_stream(c->db, 0, &st) != HS_SUCCESS) {
		snprintf(err, errlen, "%s: Hyperscan could not allocate a stream or scratch", file);
		ret = -ENOMEM;
		goto fail;
	}
	/* the smallest state there is, that of a stream before any byte */
	hs_compress_stream(st, NULL, 0, &used);
	hs_close_stream(st, NULL, NULL, NULL);
	if (state == 0)
		state = c->stream_size < HSP_STATE_MAX ? (uint32_t)c->stream_size : HSP_STATE_MAX;
	if (state < used) {
		snprintf(err, errlen, "state %u is below the %zu bytes a new stream of these "
			 "rules takes", state, used);
		ret = -EINVAL;
		goto fail;
	}
	c->bytes = bytes;
	c->max = max;
	c->state = state;
	c->match_off = sizeof(struct hsp_slot);
	c->state_off = c->match_off + (((size_t)max * sizeof(uint32_t) + 7) & ~(size_t)7);
	c->cols[COL_LABELS] = (struct sp_plugin_column){ .name = "udps.hs_labels",
		.type = SP_PLUGIN_STRING_LIST, .max = (uint16_t)max, .max_str = HSP_LABEL_MAX };
	c->cols[COL_IDS] = (struct sp_plugin_column){ .name = "udps.hs_ids",
		.type = SP_PLUGIN_INT_LIST, .max = (uint16_t)max };
	c->cols[COL_FIRST] = (struct sp_plugin_column){ .name = "udps.hs_first_packet",
		.type = SP_PLUGIN_INT };
	c->cols[COL_IDS_S2D] = (struct sp_plugin_column){ .name = "udps.hs_ids_src2dst",
		.type = SP_PLUGIN_INT_LIST, .max = (uint16_t)max };
	c->cols[COL_IDS_D2S] = (struct sp_plugin_column){ .name = "udps.hs_ids_dst2src",
		.type = SP_PLUGIN_INT_LIST, .max = (uint16_t)max };
	out->slot_size = c->state_off + 2 * (size_t)state;
	out->columns = c->cols;
	out->n_columns = N_COLS;
	out->conf = c;
	return 0;
fail:
	conf_free(c);
	return ret;
}

static void
hsp_deconfigure(void *conf)
{
	conf_free(conf);
}

static void *
hsp_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	const struct hsp_conf *c = conf;
	struct hsp_worker *w;

	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->c = c;
	if (hs_clone_scratch(c->scratch, &w->scratch) != HS_SUCCESS ||
	    hs_open_stream(c->db, 0, &w->ws) != HS_SUCCESS) {
		hs_free_scratch(w->scratch);
		free(w);
		return NULL;
	}
	return w;
}

static void
hsp_worker_fini(void *wctx)
{
	struct hsp_worker *w = wctx;

	if (w == NULL)
		return;
	hs_close_stream(w->ws, NULL, NULL, NULL);
	hs_free_scratch(w->scratch);
	free(w);
}

/* A rule matched: keep it once, in first-match order, with its directions. */
static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *arg)
{
	struct hsp_ctx *x = arg;
	const struct hsp_conf *c = x->c;
	uint32_t *m = slot_match(c, x->s);
	int found = bsearch_id(c, id);
	uint32_t idx;
	unsigned int i;

	(void)from;
	(void)to;
	(void)flags;
	if (found < 0)
		return 0;	/* not a rule's id: cannot happen */
	idx = (uint32_t)found;
	x->w->matches++;
	if (x->s->first_pkt == 0)
		x->s->first_pkt = x->pkt;
	for (i = 0; i < x->s->n; i++)
		if ((m[i] & HSP_IDX_MASK) == idx) {
			m[i] |= x->dir_bit;
			return 0;
		}
	if (x->s->n < c->max)
		m[x->s->n++] = idx | x->dir_bit;
	else
		x->w->matches_cut++;
	return 0;
}

/*
 * Bring direction d's state into the working stream: nothing when it is
 * there already (same tag), a reset for a direction not started, else the
 * slot's compressed state expanded.
 */
static int
state_load(struct hsp_worker *w, struct hsp_slot *s, unsigned int d)
{
	const struct hsp_conf *c = w->c;

	if (s->tag[d] != 0 && s->tag[d] == w->loaded) {
		w->state_reuses++;
		return 0;
	}
	w->loaded = 0;
	if (s->clen[d] == 0)
		return hs_reset_stream(w->ws, 0, NULL, NULL, NULL) == HS_SUCCESS ? 0 : -1;
	w->expands++;
	return hs_reset_and_expand_stream(w->ws, slot_state(c, s, d), s->clen[d], NULL, NULL,
					  NULL) == HS_SUCCESS ? 0 : -1;
}

/* Direction d ends: end-of-data matches ($), no more scanning. */
static void
dir_finish(struct hsp_worker *w, struct hsp_slot *s, unsigned int d, struct hsp_ctx *x)
{
	x->pkt = s->last_pkt[d];
	if (hs_reset_stream(w->ws, 0, w->scratch, on_match, x) != HS_SUCCESS)
		w->scan_errors++;
	w->loaded = 0;
	s->tag[d] = 0;
	s->fin |= (uint8_t)(1u << d);
}

static int
hsp_packet(void *wctx, void *slot, const struct sp_plugin_packet *p,
	   const struct sp_plugin_flow *f)
{
	struct hsp_worker *w = wctx;
	const struct hsp_conf *c = w->c;
	struct hsp_slot *s = slot;
	unsigned int d = p->direction & 1;
	struct hsp_ctx x = { .c = c, .w = w, .s = s, .dir_bit = d ? HSP_DIR1 : HSP_DIR0 };
	uint32_t len = p->payload_size, room, cap;
	size_t used;

	if ((s->fin & (1u << d)) != 0 || len == 0)
		goto out;
	/* the captured bytes only (a capture cut by its snap length) */
	cap = p->payload_offset <= p->ip_len ? p->ip_len - p->payload_offset : 0;
	if (len > cap) {
		w->payload_cut++;
		len = cap;
	}
	room = c->bytes - s->seen[d];
	if (len > room)
		len = room;
	if (len == 0)
		goto out;
	x.pkt = (uint32_t)sp_plugin_flow_packets(f, SP_PLUGIN_BIDIRECTIONAL);
	if (state_load(w, s, d) != 0 ||
	    hs_scan_stream(w->ws, (const char *)p->ip + p->payload_offset, len, 0, w->scratch,
			   on_match, &x) != HS_SUCCESS) {
		/* only a corrupted state or scratch gets here: stop, counted */
		w->scan_errors++;
		w->loaded = 0;
		s->tag[d] = 0;
		s->fin |= (uint8_t)(1u << d);
		goto out;
	}
	w->packets_scanned++;
	w->bytes_scanned += len;
	s->seen[d] += len;
	s->last_pkt[d] = x.pkt;
	if (s->seen[d] >= c->bytes) {
		dir_finish(w, s, d, &x);
		goto out;
	}
	if (hs_compress_stream(w->ws, slot_state(c, s, d), c->state, &used) != HS_SUCCESS) {
		w->state_cut++;
		dir_finish(w, s, d, &x);
		goto out;
	}
	s->clen[d] = (uint16_t)used;
	s->tag[d] = w->loaded = ++w->seq;
out:
	return s->fin == 3 ? SP_PLUGIN_DONE : SP_PLUGIN_CONTINUE;
}

static void
hsp_on_expire(void *wctx, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	struct hsp_worker *w = wctx;
	const struct hsp_conf *c = w->c;
	struct hsp_slot *s = slot;
	uint32_t *m = slot_match(c, s);
	uint64_t seen_labels[(HSP_MAX_MAX + 63) / 64];
	unsigned int d, i;

	(void)f;
	/* the flow ends before N: its directions' end-of-data matches */
	for (d = 0; d < 2; d++)
		if ((s->fin & (1u << d)) == 0 && s->clen[d] != 0) {
			struct hsp_ctx x = { .c = c, .w = w, .s = s,
					     .dir_bit = d ? HSP_DIR1 : HSP_DIR0 };

			if (state_load(w, s, d) != 0) {
				w->scan_errors++;
				continue;
			}
			dir_finish(w, s, d, &x);
		}
	sp_plugin_list_clear(r, COL_LABELS);
	sp_plugin_list_clear(r, COL_IDS);
	sp_plugin_list_clear(r, COL_IDS_S2D);
	sp_plugin_list_clear(r, COL_IDS_D2S);
	memset(seen_labels, 0, sizeof(seen_labels));
	for (i = 0; i < s->n; i++) {
		const struct hsp_rule *rule = &c->rules[m[i] & HSP_IDX_MASK];

		sp_plugin_list_add_int(r, COL_IDS, rule->id);
		if ((m[i] & HSP_DIR0) != 0)
			sp_plugin_list_add_int(r, COL_IDS_S2D, rule->id);
		if ((m[i] & HSP_DIR1) != 0)
			sp_plugin_list_add_int(r, COL_IDS_D2S, rule->id);
		if (rule->label < 0)
			continue;
		/* a label once, even when several of its rules matched; the
		 * labels are interned, so their numbers say which were written.
		 * At most max labels are written: a label's number past the
		 * bitmap's range is compared with those written so far. */
		if ((unsigned int)rule->label < HSP_MAX_MAX) {
			uint64_t bit = 1ull << (rule->label % 64);

			if ((seen_labels[rule->label / 64] & bit) != 0)
				continue;
			seen_labels[rule->label / 64] |= bit;
		} else {
			unsigned int k;

			for (k = 0; k < i; k++)
				if (c->rules[m[k] & HSP_IDX_MASK].label == rule->label)
					break;
			if (k < i)
				continue;
		}
		sp_plugin_list_add_string(r, COL_LABELS, c->labels[rule->label],
					  c->label_len[rule->label]);
	}
	if (s->first_pkt != 0)
		sp_plugin_set_int(r, COL_FIRST, s->first_pkt);
}

static unsigned int
hsp_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct hsp_worker *w = wctx;
	const struct sp_plugin_stat all[] = {
		{ "packets_scanned", w->packets_scanned },
		{ "bytes_scanned", w->bytes_scanned },
		{ "matches", w->matches },
		{ "expands", w->expands },
		{ "state_reuses", w->state_reuses },
		{ "matches_cut", w->matches_cut },
		{ "state_cut", w->state_cut },
		{ "payload_cut", w->payload_cut },
		{ "scan_errors", w->scan_errors },
	};
	unsigned int i, n = sizeof(all) / sizeof(all[0]);

	for (i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return i;
}

const struct sp_plugin sp_plugin_hyperscan = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "hyperscan",
	.version = "1",
	.description = "Hyperscan payload rules: matched labels and rule ids per flow",
	.configure = hsp_configure,
	.deconfigure = hsp_deconfigure,
	.worker_init = hsp_worker_init,
	.worker_fini = hsp_worker_fini,
	.on_init = hsp_packet,
	.on_update = hsp_packet,
	.on_expire = hsp_on_expire,
	.stats = hsp_stats,
};
