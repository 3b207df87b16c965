/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Filter: each expression of a list (protocols, hosts, nets, ports and
 * ranges, TCP flags in every spelling, 1-, 2- and 4-byte loads of ip[],
 * ip6[], tcp[], udp[], len/greater/less, vlan, mpls, pppoes, arithmetic,
 * and/or/not) must select, through sp_filter with rte_bpf's JIT and with
 * its interpreter, exactly the packets libpcap's own pcap_offline_filter()
 * selects: on captures tools/sp-genpcap.py writes at test time (always)
 * and, in the filter-corpus test, on every capture of the corpus when it
 * is there. Each packet is given twice: in one mbuf (a frame over 2 KiB is
 * a chain, as a PMD would hand it over) and as a chain cut inside its
 * headers, so that the loads also take rte_bpf's slow path
 * (rte_pktmbuf_read() across segments). The wire length is the record's,
 * so `len` on a frame cut by the snaplen is covered too.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <CUnit/Basic.h>

#include <sp_common.h>
#include <pcap/pcap.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sp_filter.h"
#include "sp_test.h"
#include "sp_test_eal.h"

#ifndef SP_TEST_SOURCE_ROOT
#define SP_TEST_SOURCE_ROOT "."
#endif

/* As lib/filter compiles them (NFStream's optimize=1 and netmask). */
#define REF_NETMASK 0xFFFFFF00u
#define REF_SNAPLEN 262144
#define SEG_ROOM 2048u

static const char *const exprs[] = {
	/* protocols */
	"ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6", "ip proto 47", "ip proto \\udp",
	"ip6 proto 58", "sctp", "igmp",
	/* hosts and nets, IPv4 and IPv6, link-layer classes */
	"host 10.0.0.1", "src host 10.0.0.2", "dst host 192.168.115.8",
	"host 192.168.1.13 and host 178.62.197.130", "net 10.0.0.0/8", "src net 192.168.0.0/16",
	"dst net 172.16.0.0/12", "net 192.168.115.0 mask 255.255.255.0", "host 2001:db8::1",
	"net 2001:db8::/32", "src net 2a00::/12", "ip6 dst net fe80::/10", "ether broadcast",
	"ether multicast", "ip multicast", "ip6 multicast", "ip broadcast",
	/* ports and ranges */
	"port 53", "tcp port 443", "udp port 53", "src port 443", "dst port 80",
	"tcp src port 443 or udp dst port 53", "portrange 1-1023", "tcp portrange 8000-9000",
	"udp dst portrange 40000-65535", "port 2152", "udp port 37008", "ip6 and tcp port 443",
	/* TCP flags: named offsets and values, numeric, == and = */
	"tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
	"tcp[tcpflags] & tcp-fin != 0", "tcp[tcpflags] & tcp-rst != 0",
	"tcp[tcpflags] & tcp-push != 0", "tcp[tcpflags] & tcp-urg != 0",
	"tcp[tcpflags] & (tcp-ece|tcp-cwr) != 0", "tcp[tcpflags] == tcp-ack",
	"tcp[13] = 0x10", "tcp[13] & 2 != 0", "tcp[13] & tcp-syn != 0", "tcp[13] & 0x12 = 0x12",
	"tcp[13] & 0x102 != 0", "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack = 0",
	/* tcp[] loads of 1, 2 and 4 bytes */
	"tcp[12] > 0", "tcp[12] >> 4 > 5", "tcp[0:2] = 443", "tcp[2:2] = 443", "tcp[4:4] != 0",
	"tcp[8:4] = 0", "tcp[14:2] > 1000",
	/* ip[] */
	"ip[8] < 64", "ip[0] & 0xf > 5", "ip[6] & 0x40 != 0", "ip[6:2] & 0x1fff != 0",
	"ip[2:2] > 1000", "ip[12:4] = 0x0a000001", "ip[16:4] & 0xffff0000 = 0xc0a80000",
	"ip[1] & 0xfc != 0", "ip[9] = 17",
	/* ip6[] */
	"ip6[6] = 6", "ip6[7] < 64", "ip6[4:2] > 100", "ip6[0:4] & 0x0ff00000 != 0",
	"ip6[8:4] = 0x20010db8", "ip6[40] = 128",
	/* udp[], icmp[] */
	"udp[0:2] = 53", "udp[2:2] = 53", "udp[4:2] > 100", "udp[6:2] = 0", "udp[8] & 0x80 != 0",
	"udp[8:4] != 0", "icmp[icmptype] = icmp-echo", "icmp[0] = 0",
	/* wire length */
	"len > 100", "len <= 64", "greater 1000", "less 100", "len = 60", "len - 14 > ip[2:2]",
	/* vlan, mpls, pppoe */
	"vlan", "vlan 100", "vlan 200", "vlan and ip", "vlan and udp", "mpls", "mpls 100",
	"mpls and ip", "mpls and ip6", "vlan and mpls", "pppoes", "pppoes and ip6",
	/* and/or/not */
	"not ip", "not tcp and not udp", "tcp or udp", "(tcp or udp) and not port 53",
	"ip and not (net 10.0.0.0/8 or net 192.168.0.0/16)", "not (tcp[tcpflags] & tcp-ack != 0)",
	"icmp or (udp and len < 100)",
	/* arithmetic, variable shifts and divisors, constants with bit 31 set;
	 * libpcap refuses a shift by 33 and so must sp_filter_create() */
	"(tcp[12] >> 4) * 4 > 20", "ip[2:2] - ((ip[0] & 0xf) << 2) > 40", "udp[4:2] / 2 > 50",
	"udp[4:2] % 4 = 0", "(ip[1] << (ip[9] & 0x3f)) != 0", "(ip[8] >> (ip[9] & 0x3f)) != 0",
	"ip[ip[0] & 0xf] != 0", "(ip[0] << 33) != 0", "udp[4:2] / (ip[1] & 1) > 0",
	"udp[4:2] % (ip[1] & 3) > 0", "ip[2:2] - 2000 > 0", "ip[12:4] = 0xc0a87308",
	"ip[16:4] > 0x80000000", "-ip[8] & 0xff < 0x80",
};
#define N_EXPRS RTE_DIM(exprs)

/* Generated: everything these scenarios write (VLAN, MPLS, PPPoE, IPv6 with
 * extension headers, fragments, tunnels, truncated frames, every link type). */
static const char *const gen_scenarios[] = {
	"tcp_fin_rst", "truncated", "icmp", "vlan", "mpls_pppoe", "ipv4_frag", "ipv6_ext", "ipip",
	"gtp", "tzsp", "capwap", "linktypes", "malformed", "accounting", "bpf", "mixed",
};

static struct rte_mempool *pool;
static char gen_dir[64];

static int
suite_init(void)
{
	if (sp_test_eal_init("filter", 256) != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("filter", 2048, 0, 0, SEG_ROOM + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	if (gen_dir[0] != '\0')
		sp_dir_remove(gen_dir);	/* files, then the folder */
	rte_mempool_free(pool);
	return sp_test_eal_cleanup();
}

/*
 * The frame as a chain: the first segment holds first bytes (all of a
 * short frame), the others SEG_ROOM each. NULL when the pool is empty.
 */
static struct rte_mbuf *
make_chain(const uint8_t *data, uint32_t caplen, uint32_t first)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0, n;

	do {
		n = RTE_MIN(caplen - off, off == 0 ? RTE_MIN(first, SEG_ROOM) : SEG_ROOM);
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			goto fail;
		memcpy(rte_pktmbuf_append(m, n), data + off, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			goto fail;
		off += n;
	} while (off < caplen);
	return head;
fail:
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(head);
	return NULL;
}

/* One expression on one capture. */
struct row {
	struct sp_filter *f;		/* NULL: does not compile for this link type */
	struct sp_filter_prog jit;	/* the prepared program, JIT on */
	struct sp_filter_prog interp;	/* the same, JIT off: rte_bpf_exec() */
	struct bpf_program ref;
	unsigned int sel, sel_jit, sel_interp;
	unsigned int bad_jit, bad_interp;
};

static struct row rows[N_EXPRS];

static bool
prepare_rows(int dlt, const char *name)
{
	char err[512];
	pcap_t *dead;
	unsigned int i;
	bool ok = true;

	dead = pcap_open_dead(dlt, REF_SNAPLEN);
	CU_ASSERT_FATAL(dead != NULL);
	for (i = 0; i < N_EXPRS; i++) {
		struct row *r = &rows[i];
		const struct sp_filter_prog *p;

		memset(r, 0, sizeof(*r));
		r->f = sp_filter_create(exprs[i], &dlt, 1, err, sizeof(err));
		if (pcap_compile(dead, &r->ref, exprs[i], 1, REF_NETMASK) != 0) {
			/* e.g. vlan on a link type without it: both must refuse */
			if (r->f != NULL) {
				printf("\n%s: '%s' compiles here but not in libpcap (%s)", name,
				       exprs[i], pcap_geterr(dead));
				ok = false;
			} else if (rte_errno != EINVAL) {
				printf("\n%s: '%s': rte_errno %d, not EINVAL", name, exprs[i],
				       rte_errno);
				ok = false;
			}
			sp_filter_free(r->f);
			r->f = NULL;
			continue;
		}
		if (r->f == NULL) {
			printf("\n%s: '%s' refused: %s", name, exprs[i], err);
			ok = false;
			pcap_freecode(&r->ref);
			continue;
		}
		p = sp_filter_prog(r->f, dlt);
		CU_ASSERT_FATAL(p != NULL);
#if defined(RTE_ARCH_X86_64) || defined(RTE_ARCH_ARM64)
		/* rte_bpf has a JIT here: the JIT column must not be the interpreter */
		if (p->jit == NULL) {
			printf("\n%s: '%s': no JIT", name, exprs[i]);
			ok = false;
		}
#endif
		r->jit = *p;
		r->interp = *p;
		r->interp.jit = NULL;
	}
	pcap_close(dead);
	return ok;
}

static void
free_rows(void)
{
	unsigned int i;

	for (i = 0; i < N_EXPRS; i++) {
		if (rows[i].f == NULL)
			continue;
		sp_filter_free(rows[i].f);
		pcap_freecode(&rows[i].ref);
	}
}

/* Totals over every capture, for the summary. */
static unsigned long total_checks, total_bad, total_packets;

static void
diff_capture(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	struct pcap_pkthdr *h;
	struct rte_mbuf *m[2];
	const u_char *data;
	unsigned int i, v, n = 0, shown = 0, bad = 0;
	pcap_t *pc;
	int dlt, rc;
	bool ok;

	pc = pcap_open_offline(path, errbuf);
	CU_ASSERT_FATAL(pc != NULL);
	dlt = pcap_datalink(pc);
	ok = prepare_rows(dlt, name);
	CU_ASSERT(ok);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		n++;
		m[0] = make_chain(data, h->caplen, SEG_ROOM);
		/* cut at 14..63: in the link, IP or L4 header */
		m[1] = make_chain(data, h->caplen, 14 + n % 50);
		CU_ASSERT_FATAL(m[0] != NULL && m[1] != NULL);
		for (i = 0; i < N_EXPRS; i++) {
			struct row *r = &rows[i];
			bool want, got_jit, got_interp;

			if (r->f == NULL)
				continue;
			want = pcap_offline_filter(&r->ref, h, data) != 0;
			r->sel += want;
			for (v = 0; v < 2; v++) {
				got_jit = sp_filter_match(&r->jit, m[v], h->len);
				got_interp = sp_filter_match(&r->interp, m[v], h->len);
				if (v == 0) {
					r->sel_jit += got_jit;
					r->sel_interp += got_interp;
				}
				r->bad_jit += got_jit != want;
				r->bad_interp += got_interp != want;
				total_checks += 2;
				if ((got_jit != want || got_interp != want) && shown++ < 10)
					printf("\n  %s packet %u (caplen %u len %u, %s): '%s'"
					       " libpcap %d jit %d interpreter %d", name, n,
					       h->caplen, h->len,
					       v == 0 ? "one mbuf" : "cut chain", exprs[i], want,
					       got_jit, got_interp);
			}
		}
		rte_pktmbuf_free(m[0]);
		rte_pktmbuf_free(m[1]);
	}
	/* a capture cut inside a record is compared up to there, as libpcap reads it */
	if (rc != PCAP_ERROR_BREAK)
		printf("\n  %s: libpcap stops after packet %u: %s", name, n, pcap_geterr(pc));
	pcap_close(pc);
	total_packets += n;

	printf("\n  %s (link type %d, %u packets): selected by libpcap / JIT / interpreter",
	       name, dlt, n);
	for (i = 0; i < N_EXPRS; i++) {
		const struct row *r = &rows[i];

		if (r->f == NULL) {
			printf("\n    %6s  %-13s  %-13s  %s", "-", "n/a", "n/a", exprs[i]);
			continue;
		}
		printf("\n    %6u  %6u %-6s  %6u %-6s  %s", r->sel, r->sel_jit,
		       r->bad_jit == 0 ? "agree" : "DIFFER", r->sel_interp,
		       r->bad_interp == 0 ? "agree" : "DIFFER", exprs[i]);
		bad += r->bad_jit + r->bad_interp;
	}
	total_bad += bad;
	CU_ASSERT(bad == 0);
	free_rows();
}

static void
run_genpcap(void)
{
	const char *argv[2 * RTE_DIM(gen_scenarios) + 4];
	char tool[PATH_MAX];
	unsigned int i, n = 0;
	int status;
	pid_t pid;

	snprintf(tool, sizeof(tool), "%s/tools/sp-genpcap.py", SP_TEST_SOURCE_ROOT);
	argv[n++] = "python3";
	argv[n++] = tool;
	for (i = 0; i < RTE_DIM(gen_scenarios); i++) {
		argv[n++] = "--only";
		argv[n++] = gen_scenarios[i];
	}
	argv[n++] = gen_dir;
	argv[n] = NULL;
	fflush(stdout);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("\n%s failed (status %d)", tool, status);
	CU_ASSERT_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Every capture (.pcap, .pcapng) of dir, in name order. One libpcap cannot
 * open has no reference to compare with: a generated one fails the test, a
 * corpus one (none today) is named and left out. The number compared.
 */
static unsigned int
diff_dir(const char *dir, bool generated)
{
	char path[PATH_MAX], errbuf[PCAP_ERRBUF_SIZE];
	char *names[1024];
	unsigned int i, n = 0, done = 0;
	struct dirent *e;
	pcap_t *pc;
	DIR *d;

	d = opendir(dir);
	CU_ASSERT_FATAL(d != NULL);
	while ((e = readdir(d)) != NULL && n < RTE_DIM(names)) {
		size_t len = strlen(e->d_name);

		if ((len > 5 && strcmp(e->d_name + len - 5, ".pcap") == 0) ||
		    (len > 7 && strcmp(e->d_name + len - 7, ".pcapng") == 0))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		pc = pcap_open_offline(path, errbuf);
		if (pc == NULL) {
			printf("\n  %s: libpcap cannot read it (%s): not compared", names[i],
			       errbuf);
			CU_ASSERT(!generated);
		} else {
			pcap_close(pc);
			diff_capture(path);
			done++;
		}
		free(names[i]);
	}
	return done;
}

static void
ensure_generated(void)
{
	if (gen_dir[0] != '\0')
		return;
	snprintf(gen_dir, sizeof(gen_dir), "/tmp/sp_test_filter_XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(gen_dir) != NULL);
	run_genpcap();
}

static void
test_generated(void)
{
	unsigned int n;

	ensure_generated();
	n = diff_dir(gen_dir, true);
	/* every scenario wrote at least one capture */
	CU_ASSERT(n >= RTE_DIM(gen_scenarios));
	printf("\n  generated: %zu expressions, %u captures, %lu packets, %lu comparisons,"
	       " %lu differ\n", N_EXPRS, n, total_packets, total_checks, total_bad);
}

static bool
corpus_dir(char *dir, size_t len)
{
	const char *env = getenv("SP_CORPUS");

	if (env != NULL && env[0] != '\0')
		snprintf(dir, len, "%s/pcaps", env);
	else
		snprintf(dir, len, "%s/../shared/corpus/pcaps", SP_TEST_SOURCE_ROOT);
	return access(dir, R_OK) == 0;
}

/*
 * The whole corpus: its 187 captures (93,000 packets, 45 million
 * comparisons) take about 3 s here, so no subset is needed.
 */
static void
test_corpus(void)
{
	char dir[PATH_MAX];
	unsigned int n;

	CU_ASSERT_FATAL(corpus_dir(dir, sizeof(dir)));
	n = diff_dir(dir, false);
	CU_ASSERT(n > 0);
	printf("\n  corpus: %u captures, %lu packets, %lu comparisons, %lu differ\n", n,
	       total_packets, total_checks, total_bad);
}

/* Packets for the timing: whole frames, one mbuf each. */
struct timing_set {
	unsigned int n;
	struct pcap_pkthdr *hs;
	uint8_t **frames;
	struct rte_mbuf **ms;
};

/*
 * One engine (0 JIT, 1 interpreter, 2 libpcap) over the set, reps times: the
 * packets it selects. A function of its own so that callgrind can count its
 * instructions (see test_timing).
 */
static __rte_noinline unsigned long
timing_pass(unsigned int engine, const struct sp_filter_prog *p, const struct bpf_program *ref,
	    const struct timing_set *t, unsigned int reps)
{
	unsigned long hits = 0;
	unsigned int r, i;

	for (r = 0; r < reps; r++)
		for (i = 0; i < t->n; i++)
			hits += engine < 2 ? sp_filter_match(p, t->ms[i], t->hs[i].len) :
				pcap_offline_filter(ref, &t->hs[i], t->frames[i]) != 0;
	return hits;
}

/*
 * Cost per packet of each engine on sp-genpcap's mixed.pcap: ns per packet,
 * the best of 5 rounds (printed, not asserted: the machine is shared). The
 * instruction counts quoted in lib/filter/filter.c come from the same
 * passes under callgrind, one dump per pass, in the printed order:
 *   valgrind --tool=callgrind --toggle-collect=timing_pass \
 *     --dump-after=timing_pass --callgrind-out-file=/tmp/cg.%p \
 *     build/tests/test_filter --timing
 * (each dump's "summary:" over packets x reps).
 */
static void
test_timing(void)
{
	static const char *const timed[] = {
		"tcp port 443", "tcp[13] & 2 != 0", "tcp[13] & 0x102 != 0",
		"(ip[1] << (ip[9] & 0x3f)) != 0", "(ip[1] * (ip[9] & 0x3f)) != 0",
		"ip[2:2] > 1000", "len > 1000", "vlan and udp",
	};
	char errbuf[PCAP_ERRBUF_SIZE], path[PATH_MAX + 16], err[256];
	struct timing_set t = { 0 };
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int i, e, k, round, reps, cap;
	int dlt = DLT_EN10MB;
	pcap_t *pc, *dead;

	ensure_generated();
	snprintf(path, sizeof(path), "%s/mixed.pcap", gen_dir);
	pc = pcap_open_offline(path, errbuf);
	CU_ASSERT_FATAL(pc != NULL);
	cap = rte_mempool_avail_count(pool) / 2;
	t.ms = calloc(cap, sizeof(*t.ms));
	t.hs = calloc(cap, sizeof(*t.hs));
	t.frames = calloc(cap, sizeof(*t.frames));
	CU_ASSERT_FATAL(t.ms != NULL && t.hs != NULL && t.frames != NULL);
	while (t.n < cap && pcap_next_ex(pc, &h, &data) == 1) {
		if (h->caplen > SEG_ROOM)
			continue;
		t.hs[t.n] = *h;
		t.frames[t.n] = malloc(h->caplen);
		CU_ASSERT_FATAL(t.frames[t.n] != NULL);
		memcpy(t.frames[t.n], data, h->caplen);
		t.ms[t.n] = make_chain(data, h->caplen, SEG_ROOM);
		CU_ASSERT_FATAL(t.ms[t.n] != NULL);
		t.n++;
	}
	pcap_close(pc);
	CU_ASSERT_FATAL(t.n > 0);
	reps = 100000 / t.n + 1;
	dead = pcap_open_dead(dlt, REF_SNAPLEN);
	printf("\n  ns per packet over %u packets of mixed.pcap (x%u, best of 5):", t.n, reps);
	printf("\n    %8s %12s %8s  %s", "JIT", "interpreter", "libpcap", "expression");
	for (e = 0; e < RTE_DIM(timed); e++) {
		struct sp_filter *f = sp_filter_create(timed[e], &dlt, 1, err, sizeof(err));
		struct sp_filter_prog p[2];
		struct bpf_program ref;
		unsigned long hits[3];
		struct timespec t0, t1;
		double ns[3];

		CU_ASSERT_FATAL(f != NULL);
		CU_ASSERT_FATAL(pcap_compile(dead, &ref, timed[e], 1, REF_NETMASK) == 0);
		p[0] = *sp_filter_prog(f, dlt);
		p[1] = p[0];
		p[1].jit = NULL;
		for (k = 0; k < 3; k++) {
			ns[k] = 1e9;
			for (round = 0; round < 5; round++) {
				clock_gettime(CLOCK_MONOTONIC, &t0);
				hits[k] = timing_pass(k, &p[RTE_MIN(k, 1u)], &ref, &t, reps);
				clock_gettime(CLOCK_MONOTONIC, &t1);
				ns[k] = RTE_MIN(ns[k], ((t1.tv_sec - t0.tv_sec) * 1e9 +
							(t1.tv_nsec - t0.tv_nsec)) /
						       ((double)t.n * reps));
			}
		}
		CU_ASSERT(hits[0] == hits[2] && hits[1] == hits[2]);
		printf("\n    %8.1f %12.1f %8.1f  %s", ns[0], ns[1], ns[2], timed[e]);
		pcap_freecode(&ref);
		sp_filter_free(f);
	}
	printf("\n");
	pcap_close(dead);
	for (i = 0; i < t.n; i++) {
		rte_pktmbuf_free(t.ms[i]);
		free(t.frames[i]);
	}
	free(t.ms);
	free(t.hs);
	free(t.frames);
}

/* The API's own contract: link types, errors, duplicates. */
static void
test_create(void)
{
	const int dlts[] = { DLT_EN10MB, DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL };
	char err[256];
	struct sp_filter *f;

	f = sp_filter_create("tcp[tcpflags] & tcp-syn != 0", dlts, RTE_DIM(dlts), err,
			     sizeof(err));
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(f->n == 3);
	CU_ASSERT(sp_filter_prog(f, DLT_EN10MB) != NULL);
	CU_ASSERT(sp_filter_prog(f, DLT_RAW) != NULL);
	CU_ASSERT(sp_filter_prog(f, DLT_PPP) == NULL);
	/* only programs that read the length carry the wire-length field */
	CU_ASSERT(sp_filter_prog(f, DLT_RAW)->wire_len_ofs < 0);
	sp_filter_free(f);
	f = sp_filter_create("greater 100", dlts, 1, err, sizeof(err));
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(f->prog[0].wire_len_ofs >= 0);
	sp_filter_free(f);

	f = sp_filter_create("port port port", dlts, 1, err, sizeof(err));
	CU_ASSERT(f == NULL && rte_errno == EINVAL);
	CU_ASSERT(strstr(err, "--bpf-filter") == err && strstr(err, "port port port") != NULL);
	sp_filter_free(NULL);
}

/*
 * Without arguments: the API, the generated captures and the timing. With
 * --corpus (the filter-corpus test): the corpus, or exit 77 (meson: SKIP)
 * when there is no corpus. With --timing: the timing alone.
 */
int
sp_test_register(void)
{
	bool corpus = sp_test_argc > 1 && strcmp(sp_test_argv[1], "--corpus") == 0;
	bool timing = sp_test_argc > 1 && strcmp(sp_test_argv[1], "--timing") == 0;
	char dir[PATH_MAX];
	CU_pSuite s;

	if (corpus && !corpus_dir(dir, sizeof(dir))) {
		printf("filter-corpus: no corpus at %s (set SP_CORPUS): skipped\n", dir);
		exit(77);
	}
	s = CU_add_suite(corpus ? "filter_corpus" : "filter", suite_init, suite_clean);
	if (s == NULL)
		return -1;
	if (corpus)
		return CU_add_test(s, "corpus captures: rte_bpf JIT and interpreter = libpcap",
				   test_corpus) == NULL ? -1 : 0;
	if (timing)
		return CU_add_test(s, "cost per packet of each engine", test_timing) == NULL ?
			-1 : 0;
	if (CU_add_test(s, "create: link types, errors", test_create) == NULL ||
	    CU_add_test(s, "generated captures: rte_bpf JIT and interpreter = libpcap",
			test_generated) == NULL ||
	    CU_add_test(s, "cost per packet of each engine", test_timing) == NULL)
		return -1;
	return 0;
}
