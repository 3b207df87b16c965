/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shipped mdns plugin (lib/plugins/mdns.c): NFStream's MDNS() value,
 * udps.mdns_ptr as NFStream's CSV writes it, on DNS messages built here
 * (values worked out from nfstream/plugins/mdns.py and dpkt 1.9.8's
 * dns.py), on hostile messages (no crash, defined output), and with
 * --corpus on the corpus's captures against expected-plugins/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "sp_test.h"
#include "sp_test_pkt.h"
#include "sp_test_plugin_rec.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

extern const struct sp_plugin sp_plugin_mdns;

static const struct sp_plugin *PL = &sp_plugin_mdns;
static struct sp_plugin_config CFG;
static void *W;
static struct sp_plugin_record *R;
static struct sp_test_pkt *P;
static char cell[1 << 14];

#define HOST SP_TEST_IP4(192, 168, 2, 1)
#define GRP SP_TEST_IP4(224, 0, 0, 251)

struct tflow {
	struct sp_plugin_flow f;
	uint8_t slot[64];
	bool started, done;
};

/* A DNS message under construction. */
struct msg {
	uint8_t b[4096];
	size_t n;
};

static void
m_hdr(struct msg *m, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	memset(m->b, 0, 12);
	m->b[2] = 0x84;			/* response, authoritative */
	sp_test_wr_be16(m->b + 4, qd);
	sp_test_wr_be16(m->b + 6, an);
	sp_test_wr_be16(m->b + 8, ns);
	sp_test_wr_be16(m->b + 10, ar);
	m->n = 12;
}

static void
m_raw(struct msg *m, const void *d, size_t n)
{
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

static void
m_u16(struct msg *m, uint16_t v)
{
	sp_test_wr_be16(m->b + m->n, v);
	m->n += 2;
}

/* A name in labels from "a.b.c" (no compression); returns its offset. */
static size_t
m_name(struct msg *m, const char *dotted)
{
	size_t at = m->n;
	const char *p = dotted;

	while (*p != '\0') {
		const char *e = strchr(p, '.');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		m->b[m->n++] = (uint8_t)l;
		m_raw(m, p, l);
		p += l + (e ? 1 : 0);
	}
	m->b[m->n++] = 0;
	return at;
}

static void
m_ptr(struct msg *m, size_t off)
{
	m_u16(m, (uint16_t)(0xc000 | off));
}

/* An RR's type, class, TTL and rdlength (its name just written). */
static void
m_rr(struct msg *m, uint16_t type, uint16_t rdlen)
{
	m_u16(m, type);
	m_u16(m, 1);
	m_u16(m, 0);
	m_u16(m, 120);
	m_u16(m, rdlen);
}

/* A PTR answer owner -> target, names written out. */
static void
m_ptr_rr(struct msg *m, const char *owner, const char *target)
{
	size_t l = strlen(target) + 2;

	m_name(m, owner);
	m_rr(m, 12, (uint16_t)l);
	m_name(m, target);
}

static int feed_payload(struct tflow *t, const uint8_t *pl, size_t pl_len, bool v6,
			uint16_t sport, uint16_t dport, uint32_t cut);

static int
feed_msg(struct tflow *t, const struct msg *m, bool v6, uint16_t sport, uint16_t dport,
	 uint32_t cut)
{
	return feed_payload(t, m->b, m->n, v6, sport, dport, cut);
}

static int
feed_raw(struct tflow *t, const uint8_t *pl, size_t n)
{
	return feed_payload(t, pl, n, false, 5353, 5353, 0);
}

static int
feed_payload(struct tflow *t, const uint8_t *pl, size_t pl_len, bool v6, uint16_t sport,
	     uint16_t dport, uint32_t cut)
{
	static const uint8_t S6[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t D6[16] = { 0xff, 0x02, [15] = 0xfb };
	struct sp_plugin_packet p;
	uint32_t ip, len;
	uint8_t *copy;
	int v;

	sp_test_pkt_reset(P);
	sp_test_pkt_eth(P, SP_TEST_MAC_B, SP_TEST_MAC_A, v6 ? 0x86dd : 0x0800);
	ip = v6 ? sp_test_pkt_ipv6(P, S6, D6, 17) : sp_test_pkt_ipv4(P, HOST, GRP, 17);
	sp_test_pkt_udp(P, sport, dport);
	sp_test_pkt_put(P, pl, (uint32_t)pl_len);
	sp_test_pkt_finish(P);
	len = P->len - ip - cut;
	copy = malloc(len ? len : 1);
	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, P->buf + ip, len);
	memset(&p, 0, sizeof(p));
	p.ip_version = v6 ? 6 : 4;
	p.protocol = 17;
	p.src_port = sport;
	p.dst_port = dport;
	p.src_ip = v6 ? S6 : P->buf + ip + 12;
	p.dst_ip = v6 ? D6 : P->buf + ip + 16;
	p.ip = copy;
	p.ip_len = len;
	if (!t->started) {
		memset(t, 0, sizeof(*t));
		memcpy(t->f.src_ip, p.src_ip, v6 ? 16 : 4);
		memcpy(t->f.dst_ip, p.dst_ip, v6 ? 16 : 4);
		t->f.src_port = sport;
		t->f.dst_port = dport;
		t->f.protocol = 17;
		t->f.ip_version = p.ip_version;
		t->started = true;
		v = PL->on_init(W, t->slot, &p, &t->f);
	} else {
		CU_ASSERT(!t->done);
		v = PL->on_update(W, t->slot, &p, &t->f);
	}
	free(copy);
	if (v == SP_PLUGIN_DONE)
		t->done = true;
	return v;
}

static int
feed(struct tflow *t, const struct msg *m)
{
	return feed_msg(t, m, false, 5353, 5353, 0);
}

static const char *
expire(struct tflow *t)
{
	sp_test_rec_clear(R);
	PL->on_expire(W, t->slot, &t->f, R);
	CU_ASSERT_EQUAL(R->bad, 0);
	CU_ASSERT_EQUAL(R->cut, 0);
	sp_test_rec_csv(R, 0, cell, sizeof(cell));
	t->started = false;
	return cell;
}

/* A single message in a flow of its own: the cell. */
static const char *
alone(const struct msg *m)
{
	struct tflow t = { 0 };

	CU_ASSERT_EQUAL(feed(&t, m), SP_PLUGIN_CONTINUE);
	return expire(&t);
}

static uint64_t
stat_of(const char *name)
{
	struct sp_plugin_stat st[32];
	unsigned int n = PL->stats(W, st, 32);

	for (unsigned int i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].value;
	CU_FAIL("no such counter");
	return 0;
}

static int
suite_init(void)
{
	char err[128];

	P = sp_test_pkt_new();
	if (PL->configure(NULL, 0, &CFG, err, sizeof(err)) != 0)
		return -1;
	W = PL->worker_init(CFG.conf, 0, 0, 1u << 20);
	R = sp_test_rec_new(CFG.columns, CFG.n_columns);
	return W == NULL || CFG.slot_size > sizeof(((struct tflow *)0)->slot) ? -1 : 0;
}

static int
suite_clean(void)
{
	PL->worker_fini(W);
	PL->deconfigure(CFG.conf);
	sp_test_rec_free(R);
	sp_test_pkt_free(P);
	return 0;
}

static void
test_columns(void)
{
	struct sp_plugin_option o = { "flows", "0" };
	struct sp_plugin_config c;
	char err[128];

	CU_ASSERT_EQUAL(PL->abi_version, SP_PLUGIN_ABI_VERSION);
	CU_ASSERT_STRING_EQUAL(PL->name, "mdns");
	CU_ASSERT_EQUAL_FATAL(CFG.n_columns, 1);
	CU_ASSERT_STRING_EQUAL(CFG.columns[0].name, "udps.mdns_ptr");
	CU_ASSERT_EQUAL(CFG.columns[0].type, SP_PLUGIN_STRING_LIST);
	/* dpkt's longest name: 255 bytes of labels and lengths, 254 joined */
	CU_ASSERT(CFG.columns[0].max_str >= 254);
	CU_ASSERT_EQUAL(PL->configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "flows") != NULL);
	o.key = "limit";
	CU_ASSERT_EQUAL(PL->configure(&o, 1, &c, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "'limit'") != NULL);
}

/* Answers in order, each name once over the flow, ',' as ' ', compression. */
static void
test_answers(void)
{
	struct tflow t = { 0 };
	struct msg m;
	size_t local, tcp;

	m_hdr(&m, 1, 4, 0, 1);
	local = m_name(&m, "_tcp.local");		/* question */
	m_u16(&m, 12);
	m_u16(&m, 1);
	tcp = local;
	/* PTR _services -> "skynet,1._workstation._tcp.local" (a ',' in a label) */
	m_name(&m, "_services._dns-sd._udp.local");
	m_rr(&m, 12, 0);
	{
		size_t at = m.n - 2, start = m.n;

		m.b[m.n++] = 8;
		m_raw(&m, "skynet,1", 8);
		m.b[m.n++] = 12;
		m_raw(&m, "_workstation", 12);
		m_ptr(&m, tcp);
		sp_test_wr_be16(m.b + at, (uint16_t)(m.n - start));
	}
	/* an A record, then the same PTR again (kept once), then an SRV */
	m_name(&m, "skynet.local");
	m_rr(&m, 1, 4);
	m_raw(&m, "\x0a\x00\x00\x01", 4);
	m_ptr_rr(&m, "_services._dns-sd._udp.local", "b._ipp._tcp.local");
	m_name(&m, "skynet.local");
	m_rr(&m, 33, 8);
	m_raw(&m, "\0\0\0\0\x02\x30", 6);
	m_ptr(&m, local);
	/* additional: TXT, valid UTF-8 */
	m_name(&m, "x.local");
	m_rr(&m, 16, 5);
	m_raw(&m, "\x04L\xc3\xa9o", 5);
	CU_ASSERT_EQUAL(feed(&t, &m), SP_PLUGIN_CONTINUE);
	/* a second packet: one name already there, one new with an apostrophe */
	m_hdr(&m, 0, 2, 0, 0);
	m_ptr_rr(&m, "_ipp._tcp.local", "b._ipp._tcp.local");
	m_ptr_rr(&m, "_x.local", "Luca\xe2\x80\x99s iMac._companion-link._tcp.local");
	CU_ASSERT_EQUAL(feed(&t, &m), SP_PLUGIN_CONTINUE);
	CU_ASSERT_STRING_EQUAL(expire(&t),
			       "\"['skynet 1._workstation._tcp.local', 'b._ipp._tcp.local', "
			       "'Luca\xe2\x80\x99s iMac._companion-link._tcp.local']\"");
	/* a quote in a name: Python's repr switches quotes, the CSV escapes '"' */
	m_hdr(&m, 0, 1, 0, 0);
	m_ptr_rr(&m, "_x.local", "it's.local");
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"[\\\"it's.local\\\"]\"");
	/* answers of other types only: [] */
	m_hdr(&m, 0, 1, 0, 0);
	m_name(&m, "a.local");
	m_rr(&m, 28, 16);
	m_raw(&m, "0123456789abcdef", 16);
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"[]\"");
	/* a PTR in the authority or additional section is not an answer */
	m_hdr(&m, 0, 0, 1, 1);
	m_ptr_rr(&m, "_x.local", "ns.local");
	m_ptr_rr(&m, "_x.local", "ar.local");
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"[]\"");
}

/* dpkt reads a PTR's name from the message, whatever its rdlength says. */
static void
test_ptr_past_rdata(void)
{
	struct msg m;

	m_hdr(&m, 0, 2, 0, 0);
	m_name(&m, "_x.local");
	m_rr(&m, 12, 0);			/* rdlength 0: the name read is the next owner */
	m_ptr_rr(&m, "next.local", "t.local");
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"['next.local', 't.local']\"");
}

/* Flows not to 5353, IPv6: "[]". */
static void
test_other_flows(void)
{
	struct tflow t = { 0 };
	struct msg m;

	m_hdr(&m, 0, 1, 0, 0);
	m_ptr_rr(&m, "_x.local", "a.local");
	CU_ASSERT_EQUAL(feed_msg(&t, &m, false, 5353, 53, 0), SP_PLUGIN_DONE);
	CU_ASSERT_STRING_EQUAL(expire(&t), "\"[]\"");
	CU_ASSERT_EQUAL(feed_msg(&t, &m, true, 5353, 5353, 0), SP_PLUGIN_CONTINUE);
	CU_ASSERT_STRING_EQUAL(expire(&t), "\"[]\"");
	CU_ASSERT_EQUAL(feed_msg(&t, &m, false, 5353, 5353, 0), SP_PLUGIN_CONTINUE);
	CU_ASSERT_STRING_EQUAL(expire(&t), "\"['a.local']\"");
}

/*
 * Messages dpkt rejects as a whole: the PTR answer before the fault is not
 * kept. Those that raise past NFStream's except are counted apart. Each
 * case adds one record (the second answer) to a message that decodes, and
 * most have a twin without the fault that decodes, so that the test checks
 * the fault and not something else.
 */
static struct msg base;

static struct msg *
with_rec(struct msg *m)
{
	*m = base;
	m->b[7] = 2;
	return m;
}

static void
test_rejected(void)
{
	static const char kept[] = "\"['kept.local']\"";
	uint64_t raises = stat_of("nfstream_raises"), nd = stat_of("not_decoded");
	unsigned int n_raise = 0, n_caught = 0;
	struct msg m;

	m_hdr(&base, 0, 1, 0, 0);
	m_ptr_rr(&base, "_x.local", "kept.local");
	CU_ASSERT_STRING_EQUAL(alone(&base), kept);

#define REJECT(raise) do { \
		CU_ASSERT_STRING_EQUAL(alone(&m), "\"[]\""); \
		if (raise) n_raise++; else n_caught++; \
	} while (0)
#define ACCEPT() do { CU_ASSERT_STRING_EQUAL(alone(&m), kept); } while (0)

	/* an NSEC record (47): "RR type 47 is not supported"; OPT (41) is known */
	m_name(with_rec(&m), "a.local");
	m_rr(&m, 47, 2);
	m_raw(&m, "\0\0", 2);
	REJECT(false);
	m.b[m.n - 12] = 0;
	m.b[m.n - 11] = 41;
	ACCEPT();
	/* a pointer to itself, forward, and back */
	m_ptr(with_rec(&m), base.n);
	m_rr(&m, 1, 0);
	REJECT(false);
	m_ptr(with_rec(&m), base.n + 2);
	m.b[m.n++] = 0;
	m_rr(&m, 1, 0);
	REJECT(false);
	m_ptr(with_rec(&m), 12);
	m_rr(&m, 1, 0);
	ACCEPT();
	/* label types 01 and 10 */
	with_rec(&m)->b[m.n++] = 0x41;
	m.b[m.n++] = 0;
	m_rr(&m, 1, 0);
	REJECT(false);
	with_rec(&m)->b[m.n++] = 0x80;
	m.b[m.n++] = 0;
	m_rr(&m, 1, 0);
	REJECT(false);
	/* labels and lengths over 255 bytes (4 x 63 + 4 bytes), and 255 */
	for (int over = 1; over >= 0; over--) {
		with_rec(&m);
		for (int i = 0; i < 4; i++) {
			uint8_t l = i == 3 ? (uint8_t)(62 + over) : 63;

			m.b[m.n++] = l;
			memset(m.b + m.n, 'a', l);
			m.n += l;
		}
		m.b[m.n++] = 0;
		m_rr(&m, 1, 0);
		if (over)
			REJECT(false);
		else
			ACCEPT();
	}
	/* the record header cut; a pointer's second byte missing */
	m_name(with_rec(&m), "a.local");
	m_raw(&m, "\0\x01\0", 3);
	REJECT(false);
	with_rec(&m)->b[m.n++] = 0xc0;
	REJECT(false);
	/* a label cut by the end */
	with_rec(&m)->b[m.n++] = 10;
	m_raw(&m, "abc", 3);
	REJECT(false);
	/* rdlength past the end: fine when last, not with a record after */
	m_name(with_rec(&m), "a.local");
	m_rr(&m, 1, 400);
	ACCEPT();
	m.b[7] = 3;
	REJECT(false);
	/* counts far beyond the message */
	m = base;
	m.b[4] = m.b[5] = 0xff;
	REJECT(false);
	m = base;
	m.b[10] = m.b[11] = 0xff;
	REJECT(false);
	/* MX, SRV with short rdata; SOA without its 20 bytes; and whole */
	for (int ok = 0; ok < 2; ok++) {
		m_name(with_rec(&m), "a.local");
		m_rr(&m, 15, (uint16_t)(1 + ok * 3));
		m_raw(&m, "\0\0\xc0\x0c", (size_t)(1 + ok * 3));
		if (ok)
			ACCEPT();
		else
			REJECT(false);
		m_name(with_rec(&m), "a.local");
		m_rr(&m, 33, (uint16_t)(5 + ok * 3));
		m_raw(&m, "\0\0\0\0\0\0\xc0\x0c", (size_t)(5 + ok * 3));
		if (ok)
			ACCEPT();
		else
			REJECT(false);
		m_name(with_rec(&m), "a.local");
		m_rr(&m, 6, (uint16_t)(4 + 19 + ok));
		m_ptr(&m, 12);
		m_ptr(&m, 12);
		memset(m.b + m.n, 0, (size_t)(19 + ok));
		m.n += (size_t)(19 + ok);
		if (ok)
			ACCEPT();
		else
			REJECT(false);
	}
	/* under 12 bytes */
	m_hdr(&m, 0, 0, 0, 0);
	m.n = 11;
	REJECT(false);
	/* not UTF-8: a name; a TXT string (UnicodeDecodeError); and valid */
	with_rec(&m)->b[m.n++] = 2;
	m_raw(&m, "\xc3\x28", 2);
	m.b[m.n++] = 0;
	m_rr(&m, 1, 0);
	REJECT(true);
	m.b[base.n + 2] = 0xa9;
	ACCEPT();
	m_name(with_rec(&m), "a.local");
	m_rr(&m, 16, 3);
	m_raw(&m, "\x02\xed\xa0", 3);
	REJECT(true);
	m.b[m.n - 2] = 0xc3;
	m.b[m.n - 1] = 0xa9;
	ACCEPT();
	/* a UTF-8 sequence split by a label boundary: bad once joined */
	with_rec(&m)->b[m.n++] = 1;
	m.b[m.n++] = 0xc3;
	m.b[m.n++] = 1;
	m.b[m.n++] = 0xa9;
	m.b[m.n++] = 0;
	m_rr(&m, 1, 0);
	REJECT(true);
#undef REJECT
#undef ACCEPT
	CU_ASSERT_EQUAL(stat_of("nfstream_raises"), raises + n_raise);
	CU_ASSERT_EQUAL(stat_of("not_decoded"), nd + n_caught);
}

/* A capture cut at every length: nothing read past ip_len, no crash. */
static void
test_cuts(void)
{
	struct tflow t = { 0 };
	struct msg m;

	m_hdr(&m, 0, 2, 0, 0);
	m_ptr_rr(&m, "_x.local", "a.local");
	m_ptr_rr(&m, "_x.local", "b.local");
	for (uint32_t c = 1; c < m.n + 28; c++) {
		CU_ASSERT_EQUAL(feed_msg(&t, &m, false, 5353, 5353, c), SP_PLUGIN_CONTINUE);
		CU_ASSERT_STRING_EQUAL(expire(&t), "\"[]\"");
	}
}

/* More names than the column holds: the first kept, the rest counted. */
static void
test_many_names(void)
{
	struct tflow t = { 0 };
	struct msg m;
	char name[32], want[4096];
	size_t w = 0;
	uint64_t cut = stat_of("names_cut");
	unsigned int max = CFG.columns[0].max;

	for (unsigned int i = 0; i < max + 8; i++) {
		m_hdr(&m, 0, 1, 0, 0);
		snprintf(name, sizeof(name), "n%u.local", i);
		m_ptr_rr(&m, "_x.local", name);
		feed(&t, &m);
		if (i < max)
			w += (size_t)snprintf(want + w, sizeof(want) - w, "%s'%s'",
					      i ? ", " : "\"[", name);
	}
	snprintf(want + w, sizeof(want) - w, "]\"");
	CU_ASSERT_STRING_EQUAL(expire(&t), want);
	CU_ASSERT_EQUAL(stat_of("names_cut"), cut + 8);
	/* the longest name dpkt takes: 254 bytes joined */
	m_hdr(&m, 0, 1, 0, 0);
	m_name(&m, "_x.local");
	m_rr(&m, 12, 256);
	for (int i = 0; i < 3; i++) {
		m.b[m.n++] = 63;
		memset(m.b + m.n, 'a' + i, 63);
		m.n += 63;
	}
	m.b[m.n++] = 62;
	memset(m.b + m.n, 'z', 62);
	m.n += 62;
	m.b[m.n++] = 0;
	CU_ASSERT_EQUAL(strlen(alone(&m)), 254 + 6);
}

/*
 * A chain of 1000 pointers, each to the one before (dpkt follows pointers
 * that go backwards): in the rdata of a NULL record, then a PTR answer
 * whose owner and target are the chain's last pointer.
 */
static void
test_pointer_chain(void)
{
	struct msg m;
	size_t prev, rd;

	m_hdr(&m, 0, 2, 0, 0);
	prev = m_name(&m, "deep.local");
	m_rr(&m, 10, 2000);
	rd = m.n;
	for (int i = 0; i < 1000; i++) {
		size_t at = m.n;

		m_ptr(&m, prev);
		prev = at;
	}
	CU_ASSERT_EQUAL(m.n - rd, 2000);
	m_ptr(&m, prev);
	m_rr(&m, 12, 2);
	m_ptr(&m, prev);
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"['deep.local']\"");
	/* the same chain with one pointer forward in the middle: rejected */
	m.b[rd + 2 * 500] = (uint8_t)(0xc0 | ((rd + 2 * 600) >> 8));
	m.b[rd + 2 * 500 + 1] = (uint8_t)(rd + 2 * 600);
	CU_ASSERT_STRING_EQUAL(alone(&m), "\"[]\"");
}

/*
 * The costliest message for names: a chain of 16,000 pointers, then as
 * many answers as fit (2,390) whose owner and target are the chain's top.
 * Walking each name down the chain (dpkt's way) costs ~200 ms of CPU per
 * packet; names worked out once per pointer target cost under 1 ms. Ten
 * packets must take less than 0.25 s of CPU (a 100-fold margin).
 */
static void
test_pointer_chain_cost(void)
{
	static uint8_t buf[70000];
	struct tflow t = { 0 };
	struct timespec t0, t1;
	size_t n = 12, prev = 12, rd, top;
	unsigned int answers = 0;
	double cpu;

	memset(buf, 0, 12);
	memcpy(buf + n, "\x01" "a\x00\x00\x0a\x00\x01\x00\x00\x00\x00\x00\x00", 13);
	n += 13;
	rd = n;
	for (int i = 0; i < 16000; i++) {
		sp_test_wr_be16(buf + n, (uint16_t)(0xc000 | prev));
		prev = n;
		n += 2;
	}
	sp_test_wr_be16(buf + rd - 2, (uint16_t)(n - rd));
	top = prev;
	while (n + 14 + 28 + 20 < 65535) {
		sp_test_wr_be16(buf + n, (uint16_t)(0xc000 | top));
		memcpy(buf + n + 2, "\x00\x0c\x00\x01\x00\x00\x00\x00\x00\x02", 10);
		sp_test_wr_be16(buf + n + 12, (uint16_t)(0xc000 | top));
		n += 14;
		answers++;
	}
	sp_test_wr_be16(buf + 6, (uint16_t)(answers + 1));
	CU_ASSERT_FATAL(n <= sizeof(buf));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (int i = 0; i < 10; i++)
		feed_raw(&t, buf, n);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("\n  %u answers through a 16,000-pointer chain, 10 packets: %.3f s CPU\n",
	       answers, cpu);
	CU_ASSERT(cpu < 0.25);
	CU_ASSERT_STRING_EQUAL(expire(&t), "\"['a']\"");
}

/* Random messages: no crash, no bad setter call. */
static void
test_fuzz(void)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	for (unsigned int i = 0; i < 20000; i++) {
		struct tflow t = { 0 };
		struct msg m;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		m_hdr(&m, (uint16_t)(x % 3), (uint16_t)((x >> 8) % 5), (uint16_t)((x >> 16) % 2),
		      (uint16_t)((x >> 24) % 3));
		m.n = 12 + (x >> 32) % 400;
		for (size_t k = 12; k < m.n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* short labels, pointers back, PTR types */
			m.b[k] = (uint8_t)(x % 5 == 0 ? 0xc0 : x % 5 == 1 ? 12 : x % 5 == 2 ?
				 (x >> 8) % 12 : x % 5 == 3 ? 0 : x >> 8);
		}
		feed(&t, &m);
		expire(&t);
	}
	CU_ASSERT(stat_of("not_decoded") > 0);
}

/* A pool of one: the second concurrent flow keeps nothing, counted. */
static void
test_pool_full(void)
{
	struct sp_plugin_option o = { "flows", "1" };
	struct sp_plugin_config c;
	struct tflow a = { 0 }, b = { 0 };
	struct msg m;
	void *w0 = W;
	char err[128];

	CU_ASSERT_FATAL(PL->configure(&o, 1, &c, err, sizeof(err)) == 0);
	W = PL->worker_init(c.conf, 0, 0, 1000);
	CU_ASSERT_FATAL(W != NULL);
	m_hdr(&m, 0, 1, 0, 0);
	m_ptr_rr(&m, "_x.local", "a.local");
	feed(&a, &m);
	feed_msg(&b, &m, false, 5354, 5353, 0);
	CU_ASSERT_EQUAL(stat_of("pool_full"), 1);
	/* a flow that found the pool empty keeps nothing, even once it is not */
	CU_ASSERT_STRING_EQUAL(expire(&a), "\"['a.local']\"");
	feed_msg(&b, &m, false, 5354, 5353, 0);
	CU_ASSERT_STRING_EQUAL(expire(&b), "\"[]\"");
	feed(&b, &m);
	CU_ASSERT_STRING_EQUAL(expire(&b), "\"['a.local']\"");
	PL->worker_fini(W);
	PL->deconfigure(c.conf);
	W = w0;
}

static void
test_corpus(void)
{
	static const char *const caps[] = {
		"mdns.pcap", "anyconnect-vpn.pcap", "iphone.pcap", "skype.pcap",
		"skype_no_unknown.pcap", "wa_voice.pcap", "wechat.pcap",
		"whatsapp_login_chat.pcap", "1kxun.pcap", "android.pcap", "viber.pcap",
		"zoom.pcap",
	};
	struct sp_test_corpus_res r, sum = { 0 };
	char dir[4096];

	CU_ASSERT_FATAL(sp_test_corpus_dir(dir, sizeof(dir)));
	for (unsigned int i = 0; i < DIM(caps); i++) {
		CU_ASSERT_EQUAL_FATAL(sp_test_plugin_corpus(PL, dir, caps[i], 5353, true, &r), 0);
		sum.flows += r.flows;
		sum.cells += r.cells;
		sum.differ += r.differ;
		sum.verdicts_differ += r.verdicts_differ;
		sum.unmatched += r.unmatched;
		sum.missed += r.missed;
		sum.with_values += r.with_values;
		sum.bad_calls += r.bad_calls;
	}
	printf("\n  mdns: %zu captures, %u flows to port 5353 (%u with values), %u cells, "
	       "%u differ, %u ends differ, %u unmatched, %u missed\n", DIM(caps), sum.flows,
	       sum.with_values, sum.cells, sum.differ, sum.verdicts_differ, sum.unmatched,
	       sum.missed);
	CU_ASSERT(sum.flows >= 60);
	CU_ASSERT(sum.with_values >= 14);
	CU_ASSERT_EQUAL(sum.differ, 0);
	CU_ASSERT_EQUAL(sum.verdicts_differ, 0);
	CU_ASSERT_EQUAL(sum.unmatched, 0);
	CU_ASSERT_EQUAL(sum.missed, 0);
	CU_ASSERT_EQUAL(sum.bad_calls, 0);
}

int
sp_test_register(void)
{
	bool corpus = sp_test_argc > 1 && strcmp(sp_test_argv[1], "--corpus") == 0;
	char dir[4096];
	CU_pSuite s;

	/* the driver of the dpkt differential test */
	if (sp_test_argc > 1 && strcmp(sp_test_argv[1], "--replay") == 0)
		exit(sp_test_plugin_replay(PL, stdin, stdout) == 0 ? 0 : 2);
	if (corpus && !sp_test_corpus_dir(dir, sizeof(dir))) {
		printf("plugin_mdns-corpus: no corpus at %s (set SP_CORPUS): skipped\n", dir);
		exit(77);
	}
	s = CU_add_suite(corpus ? "plugin_mdns_corpus" : "plugin_mdns", suite_init, suite_clean);
	if (s == NULL)
		return -1;
	if (corpus)
		return CU_add_test(s, "corpus: udps.mdns_ptr = NFStream's", test_corpus) == NULL ?
		       -1 : 0;
	if (CU_add_test(s, "column, options", test_columns) == NULL ||
	    CU_add_test(s, "PTR answers: order, once, ',' as ' '", test_answers) == NULL ||
	    CU_add_test(s, "PTR name read past its rdata", test_ptr_past_rdata) == NULL ||
	    CU_add_test(s, "flows not to 5353, IPv6", test_other_flows) == NULL ||
	    CU_add_test(s, "messages dpkt rejects whole", test_rejected) == NULL ||
	    CU_add_test(s, "captures cut at every length", test_cuts) == NULL ||
	    CU_add_test(s, "many names, the longest name", test_many_names) == NULL ||
	    CU_add_test(s, "pointer chains", test_pointer_chain) == NULL ||
	    CU_add_test(s, "pointer chain cost", test_pointer_chain_cost) == NULL ||
	    CU_add_test(s, "pool full", test_pool_full) == NULL ||
	    CU_add_test(s, "random messages", test_fuzz) == NULL)
		return -1;
	return 0;
}
