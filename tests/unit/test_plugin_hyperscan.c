/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shipped hyperscan plugin (lib/plugins/hyperscan.c): rules that must
 * and must not match generated payloads, matches split across 2 to 5
 * packets in both directions and across interleaved flows, the i and s
 * flags, the bytes=N limit, the done verdict, end-of-data matches, labels,
 * and the one-line errors of bad rule files. A random test compares the
 * plugin with a plain substring search over each direction's first N bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "sp_test.h"
#include "sp_test_plugin_rec.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))
#define HDR 20		/* bytes before the payload in the fake IP packet */

extern const struct sp_plugin sp_plugin_hyperscan;

static const struct sp_plugin *PL = &sp_plugin_hyperscan;
static char cell[1 << 14];
static char dir_tmpl[] = "/tmp/sp_test_hs.XXXXXX";
static char *TMP;

/* A configured plugin and one worker. */
struct inst {
	struct sp_plugin_config cfg;
	void *w;
	struct sp_plugin_record *r;
	char err[512];
};

struct tflow {
	struct sp_plugin_flow f;
	uint8_t *slot;
	bool started, done;
	int last;		/* last verdict */
};

static const char *
rules_file(const char *name, const char *text)
{
	static char path[4][256];
	static unsigned int k;
	char *p = path[k++ % DIM(path)];
	FILE *f;

	snprintf(p, 256, "%s/%s", TMP, name);
	f = fopen(p, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	return p;
}

/* configure with "rules=<text in a file>" and the extra options; 0 or -errno */
static int
inst_open(struct inst *in, const char *text, const char *bytes, const char *state)
{
	struct sp_plugin_option o[3];
	unsigned int n = 0;
	int ret;

	memset(in, 0, sizeof(*in));
	o[n++] = (struct sp_plugin_option){ "rules", rules_file("r.rules", text) };
	if (bytes != NULL)
		o[n++] = (struct sp_plugin_option){ "bytes", bytes };
	if (state != NULL)
		o[n++] = (struct sp_plugin_option){ "state", state };
	ret = PL->configure(o, n, &in->cfg, in->err, sizeof(in->err));
	if (ret != 0)
		return ret;
	in->w = PL->worker_init(in->cfg.conf, 0, 0, 1024);
	CU_ASSERT_FATAL(in->w != NULL);
	in->r = sp_test_rec_new(in->cfg.columns, in->cfg.n_columns);
	return 0;
}

static void
inst_close(struct inst *in)
{
	if (in->w != NULL)
		PL->worker_fini(in->w);
	if (in->cfg.conf != NULL)
		PL->deconfigure(in->cfg.conf);
	sp_test_rec_free(in->r);
	memset(in, 0, sizeof(*in));
}

static void
flow_new(struct inst *in, struct tflow *t)
{
	memset(t, 0, sizeof(*t));
	t->slot = calloc(1, in->cfg.slot_size);
	CU_ASSERT_FATAL(t->slot != NULL);
	t->f.ip_version = 4;
	t->f.protocol = 6;
}

/* One packet of direction dir with this payload; returns the verdict (-1: not called). */
static int
feed(struct inst *in, struct tflow *t, unsigned int dir, const void *pl, size_t n)
{
	static uint8_t buf[HDR + 65536];
	struct sp_plugin_packet p;

	memset(&p, 0, sizeof(p));
	memset(buf, 0xee, HDR);
	memcpy(buf + HDR, pl, n);
	p.direction = (uint8_t)dir;
	p.ip_version = 4;
	p.protocol = 6;
	p.ip = buf;
	p.ip_len = (uint32_t)(HDR + n);
	p.payload_offset = HDR;
	p.payload_size = (uint16_t)n;
	t->f.packets[0]++;
	t->f.packets[1 + dir]++;
	if (t->done)
		return -1;
	if (!t->started) {
		t->started = true;
		t->last = PL->on_init(in->w, t->slot, &p, &t->f);
	} else {
		t->last = PL->on_update(in->w, t->slot, &p, &t->f);
	}
	if (t->last == SP_PLUGIN_DONE)
		t->done = true;
	return t->last;
}

static int
feed_s(struct inst *in, struct tflow *t, unsigned int dir, const char *s)
{
	return feed(in, t, dir, s, strlen(s));
}

/* Ends the flow; col's CSV text in cell. */
static void
flow_end(struct inst *in, struct tflow *t)
{
	sp_test_rec_clear(in->r);
	PL->on_expire(in->w, t->slot, &t->f, in->r);
	free(t->slot);
	t->slot = NULL;
}

static const char *
col(struct inst *in, unsigned int c)
{
	sp_test_rec_csv(in->r, c, cell, sizeof(cell));
	return cell;
}

static uint64_t
stat(struct inst *in, const char *name)
{
	struct sp_plugin_stat s[16];
	unsigned int n = PL->stats(in->w, s, DIM(s));

	for (unsigned int i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return s[i].value;
	CU_FAIL("no such counter");
	return 0;
}

enum { C_LABELS, C_IDS, C_FIRST, C_S2D, C_D2S };

static int
suite_init(void)
{
	TMP = mkdtemp(dir_tmpl);
	return TMP == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", TMP);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_columns(void)
{
	static const char *names[] = { "udps.hs_labels", "udps.hs_ids", "udps.hs_first_packet",
				       "udps.hs_ids_src2dst", "udps.hs_ids_dst2src" };
	static const enum sp_plugin_type types[] = { SP_PLUGIN_STRING_LIST, SP_PLUGIN_INT_LIST,
		SP_PLUGIN_INT, SP_PLUGIN_INT_LIST, SP_PLUGIN_INT_LIST };
	struct sp_plugin_option o[2];
	struct sp_plugin_config cfg;
	struct inst in;
	struct tflow t;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/abc/\n", NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(in.cfg.n_columns, DIM(names));
	for (unsigned int i = 0; i < DIM(names); i++) {
		CU_ASSERT_STRING_EQUAL(in.cfg.columns[i].name, names[i]);
		CU_ASSERT_EQUAL(in.cfg.columns[i].type, types[i]);
	}
	/* a flow without payload: empty lists, no first packet */
	flow_new(&in, &t);
	CU_ASSERT_EQUAL(feed(&in, &t, 0, "", 0), SP_PLUGIN_CONTINUE);
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"[]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "");
	CU_ASSERT_STRING_EQUAL(col(&in, C_S2D), "\"[]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_D2S), "\"[]\"");
	inst_close(&in);

	/* options */
	CU_ASSERT_EQUAL(PL->configure(NULL, 0, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rules=FILE is required"));
	o[0] = (struct sp_plugin_option){ "rule", "x" };
	CU_ASSERT_EQUAL(PL->configure(o, 1, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown option 'rule'"));
	o[0] = (struct sp_plugin_option){ "rules", rules_file("o.rules", "1:/a/\n") };
	o[1] = (struct sp_plugin_option){ "bytes", "0" };
	CU_ASSERT_EQUAL(PL->configure(o, 2, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bytes '0'"));
	o[1] = (struct sp_plugin_option){ "max", "x" };
	CU_ASSERT_EQUAL(PL->configure(o, 2, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "max 'x'"));
	o[1] = (struct sp_plugin_option){ "state", "3" };
	CU_ASSERT_EQUAL(PL->configure(o, 2, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "state '3'"));
	o[0] = (struct sp_plugin_option){ "rules", "/nonexistent/x.rules" };
	CU_ASSERT_EQUAL(PL->configure(o, 1, &cfg, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rules file '/nonexistent/x.rules': No such file"));
}

/* Every bad file: one line naming file:line and the cause. */
static void
test_bad_rules(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "1:/abc/\n# c\n\n2:/ab(c/\n", "r.rules:4: rule 2: Hyperscan: Missing close "
		  "parenthesis for group started at index 2." },
		{ "1:/abc/iz\n", "r.rules:1: rule 1: unsupported flag 'z' (Hyperscan's flags: "
		  "ismHV8WPLCQ)" },
		{ "7:/a/\n8:/b/x\n", "r.rules:2: rule 8: unsupported flag 'x'" },
		{ "1:/a/{min_offset=3}\n", "r.rules:1: rule 1: extended parameters {...} are not "
		  "supported" },
		{ "1:/abc\n", "r.rules:1: rule 1: the regex is not between two '/'" },
		{ "1:abc/\n", "r.rules:1: rule 1: the regex is not between two '/'" },
		{ "x:/abc/\n", "r.rules:1: not a rule ID:/regex/flags" },
		{ "/abc/\n", "r.rules:1: not a rule ID:/regex/flags" },
		{ "4294967296:/abc/\n", "r.rules:1: not a rule ID:/regex/flags" },
		{ "1:/a/\n2:/b/\n1:/c/\n", "r.rules:3: rule id 1 is also line 1's" },
		{ "# nothing\n\n", "has no rule" },
		{ "1:/a/ label=\n", "r.rules:1: label '' is not 1 to 63 characters" },
		{ "1:/a/ label=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "is not 1 to 63 characters" },
		/* an empty regex needs V (allow empty) */
		{ "1:/a/\n2://\n", "r.rules:2: rule 2: Hyperscan: Pattern matches empty buffer; use "
		  "HS_FLAG_ALLOWEMPTY to enable support." },
		{ "1:/\\1(a)/\n", "r.rules:1: rule 1: Hyperscan: " },
		/* a combination naming an id that is not there */
		{ "1:/a/Q\n3:/1 & 2/C\n", "r.rules:2: rule 3: the combination names rule 2, "
		  "which is not in the file" },
		{ "1:/a/Q\n3:/1 & 1 | (!1)/C\n4:/(1 | 9)/C\n", "r.rules:3: rule 4: the "
		  "combination names rule 9" },
	};
	struct inst in;

	for (unsigned int i = 0; i < DIM(cases); i++) {
		int ret = inst_open(&in, cases[i].text, NULL, NULL);

		CU_ASSERT_EQUAL(ret, -EINVAL);
		if (ret != 0 && strstr(in.err, cases[i].want) == NULL)
			printf("\ncase %u: got '%s', want '%s'\n", i, in.err, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(in.err, cases[i].want));
		CU_ASSERT_PTR_NULL(strchr(in.err, '\n'));
		if (ret == 0)
			inst_close(&in);
	}
	/* every flag Hyperscan's pattern files take compiles; the label after white space */
	CU_ASSERT_EQUAL(inst_open(&in, "1:/abc/Q\n2:/def/Q\n3:/1 & 2/C\tlabel=both\n"
				  "4:/x.y/smi\n5:/a{2,5}/L\n6:/\\w+\xc3\xa9/8W\n7:/(a|b)*c/P\n"
				  "8:/z*/V\n9:/q/H label=q \t\r\n# 10:/(/\n11:/ label=x/ \n",
				  NULL, NULL), 0);
	if (in.err[0] != '\0')
		printf("\n%s\n", in.err);
	inst_close(&in);
}

/* Must and must not match, labels once in first-match order, the first packet. */
static void
test_match(void)
{
	struct inst in;
	struct tflow t;

	CU_ASSERT_EQUAL_FATAL(inst_open(&in,
		"10:/GET \\/index\\.html HTTP\\/1\\.[01]/ label=http\n"
		"11:/^POST / label=http\n"
		"12:/User-Agent: [^\\r\\n]*curl/ label=curl\n"
		"13:/\\x16\\x03[\\x00-\\x03]/ label=tls\n"
		"14:/never-here/ label=nope\n"
		"15:/Host: example\\.com/\n", NULL, NULL), 0);
	flow_new(&in, &t);
	CU_ASSERT_EQUAL(feed_s(&in, &t, 0, ""), SP_PLUGIN_CONTINUE);	/* the SYN */
	CU_ASSERT_EQUAL(feed_s(&in, &t, 1, ""), SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(feed_s(&in, &t, 0, "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
			       "User-Agent: curl/8.0\r\n\r\n"), SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(feed_s(&in, &t, 1, "HTTP/1.1 200 OK\r\nX: POST /\r\n\r\n\x16\x03\x01"),
			SP_PLUGIN_CONTINUE);
	flow_end(&in, &t);
	/* 10, 15, 12 end in that order in packet 3; 11 is anchored at the start */
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[10, 15, 12, 13]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['http', 'curl', 'tls']\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "3");
	CU_ASSERT_STRING_EQUAL(col(&in, C_S2D), "\"[10, 15, 12]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_D2S), "\"[13]\"");
	CU_ASSERT_EQUAL(in.r->bad + in.r->cut, 0);

	/* the same rule in both directions, matched many times: once */
	flow_new(&in, &t);
	for (int i = 0; i < 5; i++) {
		feed_s(&in, &t, 1, "POST / \x16\x03\x02 POST / \x16\x03\x03");
		feed(&in, &t, 0, "POST / \x16\x03\x00", 10);
	}
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[11, 13]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['http', 'tls']\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "1");
	CU_ASSERT_STRING_EQUAL(col(&in, C_S2D), "\"[11, 13]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_D2S), "\"[11, 13]\"");
	inst_close(&in);

	/* "label=" inside a regex is the regex's; a label is after the last '/' */
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/ label=x/\n2:/y/i\tlabel=lab  \n", NULL,
					NULL), 0);
	flow_new(&in, &t);
	feed_s(&in, &t, 0, "a label=x Y");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1, 2]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['lab']\"");
	inst_close(&in);

	/* a logical combination (C) of quiet rules (Q), its parts in two packets */
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/abc/Q\n2:/def/Q\n3:/1 & 2/C label=both\n"
					"4:/1 & !2/C label=abc-only\n", NULL, NULL), 0);
	flow_new(&in, &t);
	feed_s(&in, &t, 0, "xxabcxx");
	feed_s(&in, &t, 0, "yydefyy");
	flow_end(&in, &t);
	/* Hyperscan evaluates a combination as the data goes: where 1 matched, 2 had
	 * not yet, so 1 & !2 held there (in one packet or two alike) */
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[4, 3]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['abc-only', 'both']\"");
	flow_new(&in, &t);
	feed_s(&in, &t, 0, "xxabcxxdef");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[4, 3]\"");
	flow_new(&in, &t);
	feed_s(&in, &t, 1, "xxabcxx");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[4]\"");
	inst_close(&in);
}

/* Case-insensitive and dot-all, with their counterparts without the flag. */
static void
test_flags(void)
{
	static const struct {
		const char *payload, *ids;
	} cases[] = {
		{ "say HeLLo", "\"[1]\"" },
		{ "say hello", "\"[1, 2]\"" },
		{ "a\nb", "\"[3]\"" },
		{ "a-b", "\"[3, 4]\"" },
		{ "A\nB", "\"[3]\"" },
		{ "c\nd", "\"[]\"" },
		{ "C\nd", "\"[]\"" },
		{ "cxD", "\"[5]\"" },
		{ "line1\nstart here", "\"[6]\"" },
	};
	struct inst in;
	struct tflow t;

	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/hello/i\n2:/hello/\n3:/a.b/si\n4:/a.b/i\n"
					"5:/c.d/i\n6:/^start/m\n", NULL, NULL), 0);
	for (unsigned int i = 0; i < DIM(cases); i++) {
		flow_new(&in, &t);
		feed_s(&in, &t, i % 2, cases[i].payload);
		flow_end(&in, &t);
		if (strcmp(col(&in, C_IDS), cases[i].ids) != 0)
			printf("\n'%s': %s, want %s\n", cases[i].payload, cell, cases[i].ids);
		CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), cases[i].ids);
	}
	inst_close(&in);
}

/*
 * A match split across 2 to 5 packets, at every cut of the pattern into k
 * pieces (k = 2, 3) and at random ones (k = 4, 5), in either direction,
 * with packets of the other direction and of another flow in between: the
 * state of each flow direction carries over.
 */
static void
test_split(void)
{
	static const char pat[] = "X-Secret-Token: 0123456789";
	static const char pre[] = "abcdefgh", post[] = "zz";
	char whole[128];
	struct inst in;
	struct tflow t, other;
	unsigned int runs = 0;
	size_t L;

	snprintf(whole, sizeof(whole), "%s%s%s", pre, pat, post);
	L = strlen(whole);
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/X-Secret-Token: \\d{10}/ label=token\n"
					"2:/\\d{10}zz/i\n3:/Token.{2}0/s\n", NULL, NULL), 0);
	srand(7);
	for (unsigned int k = 2; k <= 5; k++)
		for (unsigned int trial = 0; trial < (k <= 3 ? 400 : 300); trial++) {
			size_t cut[6];
			unsigned int dir = trial % 2;
			char want[64];

			/* k pieces: cuts inside the pattern (k = 2: every cut, k = 3: pairs) */
			cut[0] = 0;
			cut[k] = L;
			if (k == 2) {
				cut[1] = strlen(pre) + 1 + trial % (strlen(pat) - 1);
			} else {
				for (unsigned int j = 1; j < k; j++)
					cut[j] = strlen(pre) + 1 +
						 (size_t)rand() % (strlen(pat) - 1);
				for (unsigned int a = 1; a < k; a++)	/* sort */
					for (unsigned int b = a + 1; b < k; b++)
						if (cut[b] < cut[a]) {
							size_t x = cut[a];

							cut[a] = cut[b];
							cut[b] = x;
						}
			}
			flow_new(&in, &t);
			flow_new(&in, &other);
			feed_s(&in, &other, 0, "X-Secret-To");
			for (unsigned int j = 0; j < k; j++) {
				/* empty pieces (equal cuts) are packets without payload */
				CU_ASSERT_EQUAL(feed(&in, &t, dir, whole + cut[j],
						     cut[j + 1] - cut[j]), SP_PLUGIN_CONTINUE);
				if (j % 2 == 0)
					feed_s(&in, &t, !dir, "X-Secret-Token: ");
				if (j == 1)
					feed_s(&in, &other, 0, "XXXX");
			}
			flow_end(&in, &t);
			snprintf(want, sizeof(want), "\"[%s]\"", "3, 1, 2");
			CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), want);
			CU_ASSERT_STRING_EQUAL(col(&in, dir ? C_D2S : C_S2D), want);
			CU_ASSERT_STRING_EQUAL(col(&in, dir ? C_S2D : C_D2S), "\"[]\"");
			CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['token']\"");
			/* the first match is in the packet holding the pattern's "0" after
			 * "Token: ": packet numbers count both directions */
			{
				size_t at = strlen(pre) + strlen("X-Secret-Token: ");
				unsigned int pkt = 0, j;

				for (j = 0; j < k; j++) {
					pkt++;
					if (cut[j] <= at && at < cut[j + 1])
						break;
					if (j % 2 == 0)
						pkt++;
				}
				snprintf(want, sizeof(want), "%u", pkt);
				if (strcmp(col(&in, C_FIRST), want) != 0)
					printf("\nk %u trial %u: first %s want %s\n", k, trial, cell,
					       want);
				CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), want);
			}
			/* the other flow, interleaved: its own bytes alone */
			feed_s(&in, &other, 0, "ken: 0123456789zz");
			flow_end(&in, &other);
			CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[2]\"");
			runs++;
		}
	CU_ASSERT_EQUAL(runs, 1400);
	/* interleaved: the states come back from the slots */
	CU_ASSERT(stat(&in, "expands") > 1400);
	CU_ASSERT_EQUAL(stat(&in, "state_cut"), 0);
	CU_ASSERT_EQUAL(stat(&in, "scan_errors"), 0);
	inst_close(&in);
}

/* bytes=N: a match must end within each direction's first N payload bytes. */
static void
test_limit(void)
{
	char buf[200];
	struct inst in;
	struct tflow t;

	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/MARK/\n2:/TAIL/\n", "100", NULL), 0);
	/* MARK at 90..93 (inside), TAIL at 98..101 (across the limit) */
	memset(buf, '.', sizeof(buf));
	memcpy(buf + 90, "MARK", 4);
	memcpy(buf + 98, "TAIL", 4);
	for (size_t piece = 1; piece <= 60; piece += 7) {
		flow_new(&in, &t);
		for (size_t off = 0; off < sizeof(buf); off += piece) {
			size_t n = sizeof(buf) - off < piece ? sizeof(buf) - off : piece;
			int v = feed(&in, &t, 1, buf + off, n);

			/* continue while the direction is under N, the other not started */
			CU_ASSERT(v == SP_PLUGIN_CONTINUE);
		}
		flow_end(&in, &t);
		CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1]\"");
	}
	/* the pattern wholly past N, in a later packet */
	flow_new(&in, &t);
	feed(&in, &t, 0, buf + 100, 100);
	feed_s(&in, &t, 0, "MARK");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[]\"");
	/* ending exactly at byte N */
	memcpy(buf + 96, "TAIL", 4);
	flow_new(&in, &t);
	feed(&in, &t, 0, buf + 50, 50);
	feed(&in, &t, 0, buf + 50, 50);
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1, 2]\"");
	CU_ASSERT(stat(&in, "bytes_scanned") > 0);
	/* one flow's packets in a row: its state stays in the worker's stream */
	CU_ASSERT(stat(&in, "state_reuses") > 10);
	inst_close(&in);
}

/* Done once both directions are past N; not before; nothing scanned after. */
static void
test_done(void)
{
	char buf[64];
	struct inst in;
	struct tflow t;
	uint64_t scanned;

	memset(buf, 'a', sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/a{10}/\n2:/b/\n", "64", NULL), 0);
	flow_new(&in, &t);
	CU_ASSERT_EQUAL(feed(&in, &t, 0, buf, 63), SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(feed(&in, &t, 0, buf, 1), SP_PLUGIN_CONTINUE);	/* 0 past N */
	CU_ASSERT_EQUAL(feed(&in, &t, 0, "bbbb", 4), SP_PLUGIN_CONTINUE);	/* not scanned */
	CU_ASSERT_EQUAL(feed(&in, &t, 1, buf, 30), SP_PLUGIN_CONTINUE);
	scanned = stat(&in, "bytes_scanned");
	CU_ASSERT_EQUAL(feed(&in, &t, 1, buf, 64), SP_PLUGIN_DONE);	/* 34 of 64 scanned */
	CU_ASSERT_EQUAL(stat(&in, "bytes_scanned"), scanned + 34);
	CU_ASSERT_EQUAL(feed(&in, &t, 1, "b", 1), -1);	/* no more calls */
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "1");
	/* done at the first packet when it fills both... it cannot: one direction each */
	flow_new(&in, &t);
	CU_ASSERT_EQUAL(feed(&in, &t, 1, buf, 64), SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(feed(&in, &t, 0, "b", 1), SP_PLUGIN_CONTINUE);
	CU_ASSERT_EQUAL(feed(&in, &t, 0, buf, 64), SP_PLUGIN_DONE);
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1, 2]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_D2S), "\"[1]\"");
	/* per direction: in the flow's first-match order */
	CU_ASSERT_STRING_EQUAL(col(&in, C_S2D), "\"[1, 2]\"");
	inst_close(&in);
}

/* $ matches at a direction's end of data: at N, or at the flow's end. */
static void
test_end_of_data(void)
{
	struct inst in;
	struct tflow t;

	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/bye$/ label=end\n2:/^hi/\n", "20", NULL), 0);
	flow_new(&in, &t);
	feed_s(&in, &t, 0, "hi bye");
	feed_s(&in, &t, 1, "bye bye");
	feed_s(&in, &t, 1, " hi");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[2, 1]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_S2D), "\"[2, 1]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_D2S), "\"[]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "1");
	/* at N: "...bye" ends at byte 20 exactly */
	flow_new(&in, &t);
	feed_s(&in, &t, 1, "x");
	feed_s(&in, &t, 0, "0123456789abcdebye");
	feed_s(&in, &t, 0, "!!bye");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[]\"");
	flow_new(&in, &t);
	feed_s(&in, &t, 1, "x");
	feed_s(&in, &t, 0, "0123456789abcdefgbye");
	feed_s(&in, &t, 0, "more");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[1]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_FIRST), "2");
	inst_close(&in);
}

/* max=M rules kept per flow; the rest counted. */
static void
test_max(void)
{
	struct sp_plugin_option o[2];
	struct inst in;
	struct tflow t;

	memset(&in, 0, sizeof(in));
	o[0] = (struct sp_plugin_option){ "rules", rules_file("m.rules",
		"1:/a/ label=x\n2:/b/ label=y\n3:/c/ label=x\n4:/d/\n") };
	o[1] = (struct sp_plugin_option){ "max", "2" };
	CU_ASSERT_EQUAL_FATAL(PL->configure(o, 2, &in.cfg, in.err, sizeof(in.err)), 0);
	in.w = PL->worker_init(in.cfg.conf, 0, 0, 16);
	in.r = sp_test_rec_new(in.cfg.columns, in.cfg.n_columns);
	flow_new(&in, &t);
	feed_s(&in, &t, 0, "dcba");
	flow_end(&in, &t);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[4, 3]\"");
	CU_ASSERT_STRING_EQUAL(col(&in, C_LABELS), "\"['x']\"");
	CU_ASSERT_EQUAL(stat(&in, "matches_cut"), 2);
	CU_ASSERT_EQUAL(in.r->cut, 0);
	inst_close(&in);
}

/*
 * Random flows against a plain search: literal rules (some caseless),
 * payloads over a small alphabet that make them match often, cut into
 * random packets in random directions, many flows interleaved on one
 * worker. Rule r matches a direction iff its text is in the direction's
 * first N bytes. state=S small enough makes some states not fit: those
 * directions stop being scanned, counted; with the default, none.
 */
static void
test_random(void)
{
	enum { NR = 14, NF = 40, BYTES = 300 };
	char rules[4096], lit[NR][8];
	size_t o = 0;
	struct inst in;
	struct tflow t[NF];
	char data[NF][2][BYTES + 64];
	size_t dl[NF][2];
	unsigned int flows = 0, matched = 0;

	srand(11);
	for (unsigned int r = 0; r < NR; r++) {
		unsigned int n = 3 + (unsigned int)rand() % 4;

		for (unsigned int j = 0; j < n; j++)
			lit[r][j] = "abcAB"[rand() % 5];
		lit[r][n] = '\0';
		o += (size_t)snprintf(rules + o, sizeof(rules) - o, "%u:/%s/%s\n", 100 + r,
				      lit[r], r % 3 == 0 ? "i" : "");
	}
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, rules, "300", NULL), 0);
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < NF; i++) {
			flow_new(&in, &t[i]);
			dl[i][0] = dl[i][1] = 0;
		}
		for (unsigned int step = 0; step < NF * 16; step++) {
			unsigned int i = (unsigned int)rand() % NF, d = (unsigned int)rand() % 2;
			size_t n = (size_t)rand() % 40;
			char pl[64];

			if (dl[i][d] + n > BYTES + 40)
				continue;
			for (size_t j = 0; j < n; j++)
				pl[j] = "abcABx"[rand() % 6];
			memcpy(data[i][d] + dl[i][d], pl, n);
			dl[i][d] += n;
			feed(&in, &t[i], d, pl, n);
		}
		for (unsigned int i = 0; i < NF; i++) {
			flow_end(&in, &t[i]);
			for (unsigned int d = 0; d < 2; d++) {
				size_t n = dl[i][d] < BYTES ? dl[i][d] : BYTES;
				uint32_t want = 0, got = 0;
				const char *p;

				for (unsigned int r = 0; r < NR; r++) {
					size_t L = strlen(lit[r]);

					for (size_t a = 0; a + L <= n; a++)
						if (r % 3 == 0 ?
						    strncasecmp(data[i][d] + a, lit[r], L) == 0 :
						    memcmp(data[i][d] + a, lit[r], L) == 0) {
							want |= 1u << r;
							break;
						}
				}
				col(&in, d ? C_D2S : C_S2D);
				for (p = cell; (p = strpbrk(p, "0123456789")) != NULL;) {
					unsigned long id = strtoul(p, (char **)&p, 10);

					CU_ASSERT_FATAL(id >= 100 && id < 100 + NR);
					CU_ASSERT_EQUAL(got & (1u << (id - 100)), 0);	/* once */
					got |= 1u << (id - 100);
				}
				if (got != want)
					printf("\nflow %u dir %u: %s, want mask %x\n", i, d, cell,
					       want);
				CU_ASSERT_EQUAL(got, want);
				matched += (unsigned int)__builtin_popcount(got);
			}
			flows++;
		}
	}
	CU_ASSERT_EQUAL(flows, 20 * NF);
	CU_ASSERT(matched > 1000);
	CU_ASSERT_EQUAL(stat(&in, "state_cut"), 0);
	CU_ASSERT_EQUAL(stat(&in, "scan_errors"), 0);
	inst_close(&in);
}

/* state=S too small for the states a scan leaves: counted, the direction stops. */
static void
test_state_cut(void)
{
	struct inst in;
	struct tflow t;
	char big[400];

	/* a rule with a long bounded repeat keeps a lot of state */
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/a[^z]{200}b/\n2:/zzz/\n", "4096", "16"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(in.err, "state 16 is below the"));
	CU_ASSERT_EQUAL_FATAL(inst_open(&in, "1:/a[^z]{200}b/\n2:/q[^z]{100}r/\n3:/zzz/\n",
					"4096", NULL), 0);
	{
		/* the state right after configure's check: find the smallest S that opens */
		char s[16];
		unsigned int lo;

		inst_close(&in);
		for (lo = 16; lo < 4096; lo++) {
			snprintf(s, sizeof(s), "%u", lo);
			if (inst_open(&in, "1:/a[^z]{200}b/\n2:/q[^z]{100}r/\n3:/zzz/\n", "4096",
				      s) == 0)
				break;
		}
		CU_ASSERT_FATAL(lo < 4096);
	}
	memset(big, 'a', sizeof(big));
	for (size_t i = 0; i < sizeof(big); i += 3)
		big[i] = 'q';
	flow_new(&in, &t);
	feed(&in, &t, 0, big, 150);
	feed(&in, &t, 0, big, 150);
	feed_s(&in, &t, 0, "zzz");
	flow_end(&in, &t);
	/* the state grew past S after the first packet: counted, nothing more scanned */
	CU_ASSERT(stat(&in, "state_cut") >= 1);
	CU_ASSERT_STRING_EQUAL(col(&in, C_IDS), "\"[]\"");
	inst_close(&in);
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("plugin_hyperscan", suite_init, suite_clean);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "columns, options", test_columns) == NULL ||
	    CU_add_test(s, "bad rules and flags: file:line and Hyperscan's reason",
			test_bad_rules) == NULL ||
	    CU_add_test(s, "must and must not match, labels, first packet", test_match) == NULL ||
	    CU_add_test(s, "i and s flags", test_flags) == NULL ||
	    CU_add_test(s, "a match split across 2-5 packets, both directions",
			test_split) == NULL ||
	    CU_add_test(s, "bytes=N limit", test_limit) == NULL ||
	    CU_add_test(s, "done verdict", test_done) == NULL ||
	    CU_add_test(s, "end of data ($)", test_end_of_data) == NULL ||
	    CU_add_test(s, "max=M", test_max) == NULL ||
	    CU_add_test(s, "random flows against a plain search", test_random) == NULL ||
	    CU_add_test(s, "state=S too small", test_state_cut) == NULL)
		return -1;
	return 0;
}
