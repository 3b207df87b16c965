/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture: pcap files written here with libpcap (truncated records, jumbo
 * frames, nanosecond timestamps, several files) are read back through each
 * input (the own reader, with and without its read-ahead thread, and the
 * real net_pcap PMD), and every packet must come out with its original
 * wire length, its timestamp and its file's link type, in file order.
 * Files written byte by byte (swapped, old versions, oversized and cut
 * records, pcapng, random times) must give through the own reader exactly
 * what libpcap gives, errors included; so must the same files compressed
 * (gzip, xz, zstd), through a FIFO or standard input. A directory reads
 * as its files in name order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <lzma.h>
#include <pcap/pcap.h>
#include <zlib.h>
#include <zstd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sp_capture.h"
#include "sp_test.h"
#include "sp_test_eal.h"

static struct rte_mempool *pool;
static char dir[64];

/* The input the shared tests read through. */
enum input { OWN, OWN_AHEAD, PMD };
static enum input input;

static void
set_input(struct sp_capture_params *p)
{
	p->pmd = input == PMD;
	p->read_ahead = input == OWN_AHEAD;
}

struct rec {
	uint32_t caplen;
	uint32_t len;
	uint64_t ts_ns;
};

static void
write_pcap(const char *path, int dlt, int precision, const struct rec *r, unsigned int n)
{
	static uint8_t frame[65536];
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *p;
	unsigned int i;

	p = pcap_open_dead_with_tstamp_precision(dlt, 65535, precision);
	CU_ASSERT_FATAL(p != NULL);
	d = pcap_dump_open(p, path);
	CU_ASSERT_FATAL(d != NULL);
	for (i = 0; i < n; i++) {
		memset(frame, (int)i, r[i].caplen);
		h.caplen = r[i].caplen;
		h.len = r[i].len;
		h.ts.tv_sec = r[i].ts_ns / 1000000000;
		h.ts.tv_usec = precision == PCAP_TSTAMP_PRECISION_NANO ?
			r[i].ts_ns % 1000000000 : (r[i].ts_ns % 1000000000) / 1000;
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* Cut the last n bytes of a file: its last record ends mid-way. */
static void
cut_tail(const char *path, long n)
{
	struct stat sb;

	CU_ASSERT_FATAL(stat(path, &sb) == 0);
	CU_ASSERT_EQUAL(truncate(path, sb.st_size - n), 0);
}

/* Read everything; returns the packet count and fills info (up to max). */
static unsigned int
read_all(struct sp_capture *c, struct sp_rx_info *out, unsigned int max, uint32_t *caplens)
{
	struct rte_mbuf *pkts[8];
	struct sp_rx_info info[8];
	unsigned int total = 0, i, spins = 0;
	int n;

	while ((n = sp_capture_rx(c, pkts, info, 8)) != -ENODATA) {
		if (n == 0 && ++spins > 1000000)
			break;
		for (i = 0; i < (unsigned int)n; i++) {
			if (total < max) {
				out[total] = info[i];
				caplens[total] = rte_pktmbuf_pkt_len(pkts[i]);
			}
			total++;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return total;
}

/* A file cut in its second record: the first packet is read, then the
 * error is reported, naming the file; nothing crashes. */
static void
expect_cut(const struct sp_capture_params *p, const char *name)
{
	struct sp_capture_stats st;
	struct sp_rx_info info[4];
	uint32_t caplen[4];
	struct sp_capture *c;
	char err[256];

	c = sp_capture_open(p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(read_all(c, info, 4, caplen), 1);
	sp_capture_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.read_error, -EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.error, name));
	sp_capture_close(c);
}

static void
test_wire_length_restored(void)
{
	static const struct rec r[] = {
		{ 60, 60, 1000000000ull },
		{ 100, 1514, 1000500000ull },	/* snaplen-truncated */
		{ 9000, 9000, 1001000000ull },	/* multi-segment mbuf */
		{ 64, 65000, 1002000000ull },
		{ 64, 64, 1002000000ull },	/* same ts as previous */
		{ 1514, 1514, 999000000ull },	/* time going back */
	};
	char path[128];
	const char *files[1] = { path };
	struct sp_capture_params p = { .files = files, .n_files = 1 };
	struct sp_capture_stats st;
	struct sp_rx_info info[8];
	uint32_t caplen[8];
	struct sp_capture *c;
	char err[256];
	unsigned int i, n;

	snprintf(path, sizeof(path), "%s/trunc.pcap", dir);
	write_pcap(path, 1, PCAP_TSTAMP_PRECISION_MICRO, r, RTE_DIM(r));
	p.pool = pool;
	set_input(&p);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	n = read_all(c, info, 8, caplen);
	CU_ASSERT_EQUAL(n, RTE_DIM(r));
	for (i = 0; i < n && i < RTE_DIM(r); i++) {
		CU_ASSERT_EQUAL(caplen[i], r[i].caplen);
		CU_ASSERT_EQUAL(info[i].wire_len, r[i].len);
		CU_ASSERT_EQUAL(info[i].ts_ms, r[i].ts_ns / 1000000);
		CU_ASSERT_EQUAL(info[i].dlt, 1);
	}
	sp_capture_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.received, RTE_DIM(r));
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(st.unmatched, 0);
	CU_ASSERT_EQUAL(st.read_error, 0);
	sp_capture_close(c);
}

static void
test_files_in_order_and_nanoseconds(void)
{
	static const struct rec a[] = { { 60, 70, 5000000999ull }, { 60, 60, 5000001999ull } };
	static const struct rec b[] = { { 40, 40, 6123456789ull } };
	char pa[128], pb[128];
	const char *files[2] = { pa, pb };
	struct sp_capture_params p = { .files = files, .n_files = 2 };
	struct sp_rx_info info[8];
	uint32_t caplen[8];
	struct sp_capture *c;
	char err[256];
	unsigned int n;

	snprintf(pa, sizeof(pa), "%s/a.pcap", dir);
	snprintf(pb, sizeof(pb), "%s/b.pcap", dir);
	write_pcap(pa, 1, PCAP_TSTAMP_PRECISION_NANO, a, RTE_DIM(a));
	write_pcap(pb, 228, PCAP_TSTAMP_PRECISION_MICRO, b, RTE_DIM(b));
	p.pool = pool;
	set_input(&p);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(sp_capture_file_dlt(c, 0), 1);
	CU_ASSERT_EQUAL(sp_capture_file_dlt(c, 1), 228);
	n = read_all(c, info, 8, caplen);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	/* nanoseconds are truncated to microseconds by libpcap, then to ms */
	CU_ASSERT_EQUAL(info[0].ts_ms, 5000ull);
	CU_ASSERT_EQUAL(info[0].wire_len, 70);
	CU_ASSERT_EQUAL(info[1].ts_ms, 5000ull);
	CU_ASSERT_EQUAL(info[2].ts_ms, 6123ull);
	CU_ASSERT_EQUAL(info[2].dlt, 228);
	sp_capture_close(c);
}

/* A corrupt record with tv_usec >= 2^31: libpcap reads it as negative and
 * NFStream divides it with C's truncating division (fuzz pcaps have it). */
static void
test_negative_usec(void)
{
	static uint8_t frame[60];
	char path[128];
	const char *files[1] = { path };
	struct sp_capture_params p = { .files = files, .n_files = 1 };
	struct pcap_pkthdr h;
	struct sp_rx_info info[2];
	uint32_t caplen[2];
	struct sp_capture *c;
	pcap_dumper_t *d;
	pcap_t *pd;
	char err[256];

	snprintf(path, sizeof(path), "%s/negusec.pcap", dir);
	pd = pcap_open_dead(1, 65535);
	d = pcap_dump_open(pd, path);
	CU_ASSERT_FATAL(d != NULL);
	h.caplen = h.len = sizeof(frame);
	h.ts.tv_sec = 1000;
	h.ts.tv_usec = -1404616;
	pcap_dump((u_char *)d, &h, frame);
	pcap_dump_close(d);
	pcap_close(pd);
	p.pool = pool;
	set_input(&p);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL_FATAL(read_all(c, info, 2, caplen), 1);
	CU_ASSERT_EQUAL(info[0].ts_ms, 1000000ull - 1404);
	sp_capture_close(c);
}

static void
test_bad_files(void)
{
	char good[128], bad[128], trunc[128];
	const char *files[2];
	struct sp_capture_params p = { .files = files, .n_files = 2 };
	static const struct rec r[] = { { 60, 60, 1000000ull }, { 200, 200, 2000000ull } };
	struct sp_capture *c;
	char err[256];
	FILE *f;

	p.pool = pool;
	set_input(&p);
	snprintf(good, sizeof(good), "%s/good.pcap", dir);
	write_pcap(good, 1, PCAP_TSTAMP_PRECISION_MICRO, r, 1);
	snprintf(bad, sizeof(bad), "%s/bad.pcap", dir);
	f = fopen(bad, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("this is not a capture file at all, not even close", f);
	fclose(f);

	/* missing file: named in the error */
	files[0] = good;
	files[1] = "/nonexistent/x.pcap";
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.pcap"));
	/* bad magic */
	files[1] = bad;
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, bad));

	/* record cut in the middle: the first packet is read, the error is
	 * reported, nothing crashes */
	snprintf(trunc, sizeof(trunc), "%s/cut.pcap", dir);
	write_pcap(trunc, 1, PCAP_TSTAMP_PRECISION_MICRO, r, 2);
	cut_tail(trunc, 50);
	files[0] = trunc;
	p.n_files = 1;
	expect_cut(&p, "cut.pcap");
}

/* Replay: every record comes out of memory as an mbuf, copied in when it
 * fits the mbuf's buffer, else attached to the loaded frame, as a chain
 * beyond one mbuf's 16-bit length, and the second pass shifted by the span + gap + 1 ms; every mbuf
 * goes back to the pool. */
static void
test_replay_passes(void)
{
	static const struct rec r[] = {
		{ 60, 60, 1000000000000ull },
		{ 100, 1514, 1000500000000ull },	/* truncated: wire length kept */
		{ 9000, 9000, 1001000000000ull },
		{ 40000, 40000, 1002000000000ull },	/* two segments */
		{ 1514, 1514, 999000000000ull },	/* time going back */
	};
	const uint64_t shift = (1002000 - 999000) + 5000 + 1;
	char path[128];
	const char *files[1] = { path };
	struct sp_capture_params p = { .files = files, .n_files = 1, .replay = true,
				       .replay_loops = 2, .replay_gap_ms = 5000 };
	unsigned int avail = rte_mempool_avail_count(pool), total = 0, i, k;
	struct sp_capture_stats st;
	struct rte_mbuf *pkts[3];
	struct sp_rx_info info[3];
	struct sp_capture *c;
	uint8_t last, tmp;
	char err[256];
	int n;

	snprintf(path, sizeof(path), "%s/replay.pcap", dir);
	write_pcap(path, 1, PCAP_TSTAMP_PRECISION_MICRO, r, RTE_DIM(r));
	p.pool = pool;
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	while ((n = sp_capture_rx(c, pkts, info, RTE_DIM(pkts))) != -ENODATA) {
		CU_ASSERT_FATAL(n > 0);
		for (i = 0; i < (unsigned int)n; i++, total++) {
			k = total % RTE_DIM(r);
			CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(pkts[i]), r[k].caplen);
			CU_ASSERT_EQUAL(pkts[i]->nb_segs, r[k].caplen > 32768 ? 2 : 1);
			CU_ASSERT_EQUAL(RTE_MBUF_HAS_EXTBUF(pkts[i]) != 0,
					r[k].caplen > (uint32_t)rte_pktmbuf_data_room_size(pool) -
						      RTE_PKTMBUF_HEADROOM);
			CU_ASSERT_EQUAL(info[i].wire_len, r[k].len);
			CU_ASSERT_EQUAL(info[i].dlt, 1);
			CU_ASSERT_EQUAL(info[i].ts_ms, r[k].ts_ns / 1000000 +
				       (total >= RTE_DIM(r) ? shift : 0));
			/* write_pcap fills record k with the byte k */
			CU_ASSERT_EQUAL(*rte_pktmbuf_mtod(pkts[i], uint8_t *), k);
			last = *(const uint8_t *)rte_pktmbuf_read(pkts[i], r[k].caplen - 1, 1,
								   &tmp);
			CU_ASSERT_EQUAL(last, k);
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	CU_ASSERT_EQUAL(total, 2 * RTE_DIM(r));
	sp_capture_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.received, 2 * RTE_DIM(r));
	CU_ASSERT_EQUAL(st.replay_loaded, RTE_DIM(r));
	CU_ASSERT_EQUAL(st.replay_passes, 2);
	CU_ASSERT_EQUAL(st.read_error, 0);
	CU_ASSERT_EQUAL(sp_capture_progress(c), 1.0);
	sp_capture_close(c);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), avail);
}

/* Replay for a duration: whole passes and a partial one until the deadline;
 * a cut file keeps its good records and reports the damage; neither a
 * number of passes nor a duration is refused. */
static void
test_replay_time_and_errors(void)
{
	static const struct rec r[] = { { 60, 60, 1000000ull }, { 200, 200, 2000000ull } };
	char path[128];
	const char *files[1] = { path };
	struct sp_capture_params p = { .files = files, .n_files = 1, .replay = true,
				       .replay_ms = 30 };
	struct sp_capture_stats st;
	struct sp_rx_info info[64];
	uint32_t caplen[64];
	struct sp_capture *c;
	char err[256];

	p.pool = pool;
	snprintf(path, sizeof(path), "%s/replay2.pcap", dir);
	write_pcap(path, 1, PCAP_TSTAMP_PRECISION_MICRO, r, 2);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT(read_all(c, info, 64, caplen) >= 2);
	sp_capture_get_stats(c, &st);
	CU_ASSERT(st.replay_passes >= 1);
	CU_ASSERT(st.replay_feed_s >= 0.029);
	sp_capture_close(c);

	cut_tail(path, 50);
	p.replay_ms = 0;
	p.replay_loops = 1;
	expect_cut(&p, "replay2.pcap");

	p.replay_loops = 0;
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
}

/* ---- the own reader against libpcap, on files written byte by byte ---- */

struct raw_file {
	FILE *f;
	bool swap;
};

static void
raw_u32(struct raw_file *w, uint32_t v)
{
	if (w->swap)
		v = __builtin_bswap32(v);
	CU_ASSERT_FATAL(fwrite(&v, 4, 1, w->f) == 1);
}

static void
raw_header(struct raw_file *w, uint32_t magic, uint16_t major, uint16_t minor,
	   uint32_t snaplen, uint32_t linktype)
{
	uint16_t v[2] = { major, minor };

	raw_u32(w, magic);
	if (w->swap) {
		v[0] = __builtin_bswap16(v[0]);
		v[1] = __builtin_bswap16(v[1]);
	}
	CU_ASSERT_FATAL(fwrite(v, 2, 2, w->f) == 2);
	raw_u32(w, 0);
	raw_u32(w, 0);
	raw_u32(w, snaplen);
	raw_u32(w, linktype);
}

/* A record whose bytes are (its index + offset) & 0xff. */
static void
raw_record(struct raw_file *w, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
	   uint32_t index)
{
	static uint8_t data[300000];
	uint32_t i;

	raw_u32(w, sec);
	raw_u32(w, frac);
	raw_u32(w, caplen);
	raw_u32(w, len);
	for (i = 0; i < caplen && i < sizeof(data); i++)
		data[i] = (uint8_t)(index + i);
	CU_ASSERT_FATAL(fwrite(data, 1, RTE_MIN(caplen, (uint32_t)sizeof(data)), w->f) ==
			RTE_MIN(caplen, (uint32_t)sizeof(data)));
}

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Every record of path, read through the capture from input (path itself,
 * or its bytes compressed, or through a FIFO; own reader, read-ahead as
 * asked; or replayed) and through libpcap from path: the same count,
 * lengths, times, bytes and the same error. */
static void
compare_input(const char *input, const char *path, bool ahead, bool replay)
{
	const char *files[1] = { input };
	struct sp_capture_params p = { .files = files, .n_files = 1, .read_ahead = ahead,
				       .replay = replay, .replay_loops = 1 };
	struct stat sb;
	bool pipe_in;
	char err[256], errbuf[PCAP_ERRBUF_SIZE];
	struct rte_mbuf *pkts[16];
	struct sp_rx_info info[16];
	struct sp_capture_stats st;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct sp_capture *c;
	uint8_t tmp[2];
	unsigned int i, got = 0, bad = 0, spins = 0;
	int n, r = 1;
	pcap_t *pc;

	p.pool = pool;
	pipe_in = strcmp(input, "-") == 0 || (stat(input, &sb) == 0 && S_ISFIFO(sb.st_mode));
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	/* a pipe's size is unknown */
	if (!replay) {
		double done = sp_capture_progress(c);

		CU_ASSERT(pipe_in ? done == -1.0 : done >= 0.0 && done <= 1.0);
	}
	pc = pcap_open_offline(path, errbuf);
	CU_ASSERT_FATAL(pc != NULL);
	while ((n = sp_capture_rx(c, pkts, info, RTE_DIM(pkts))) != -ENODATA) {
		if (n == 0) {
			if (++spins > 100000000) {
				CU_FAIL("the capture gave nothing for too long");
				break;
			}
			continue;
		}
		for (i = 0; i < (unsigned int)n; i++, got++) {
			uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
			const uint8_t *b;

			r = pcap_next_ex(pc, &h, &data);
			if (r != 1) {
				bad++;
				continue;
			}
			if (len != h->caplen || info[i].wire_len != h->len ||
			    info[i].ts_ms != (uint64_t)h->ts.tv_sec * 1000 +
					     (uint64_t)(int64_t)(h->ts.tv_usec / 1000) ||
			    info[i].dlt != pcap_datalink(pc)) {
				bad++;
				continue;
			}
			if (len > 0) {
				b = rte_pktmbuf_read(pkts[i], 0, 1, tmp);
				bad += *b != data[0];
				b = rte_pktmbuf_read(pkts[i], len - 1, 1, tmp);
				bad += *b != data[len - 1];
			}
		}
		rte_pktmbuf_free_bulk(pkts, n);
	}
	CU_ASSERT_EQUAL(bad, 0);
	r = pcap_next_ex(pc, &h, &data);
	CU_ASSERT_EQUAL(r == 1, false);		/* libpcap has no record left either */
	sp_capture_get_stats(c, &st);
	CU_ASSERT_EQUAL(st.received, got);
	CU_ASSERT_EQUAL(st.read_error != 0, r == PCAP_ERROR);
	if (r == PCAP_ERROR)
		CU_ASSERT_PTR_NOT_NULL(strstr(st.error, pcap_geterr(pc)));
	CU_ASSERT_EQUAL(sp_capture_progress(c), replay || !pipe_in ? 1.0 : -1.0);
	if (!replay && pipe_in)
		CU_ASSERT(sp_capture_bytes_read(c) > 0);
	pcap_close(pc);
	sp_capture_close(c);
}

static void
compare_with_libpcap(const char *path, bool ahead)
{
	compare_input(path, path, ahead, false);
}

static void
compare_both(const char *path)
{
	compare_with_libpcap(path, false);
	compare_with_libpcap(path, true);
}

static FILE *
raw_open(struct raw_file *w, char *path, size_t len, const char *name, bool swap)
{
	snprintf(path, len, "%s/%s", dir, name);
	w->f = fopen(path, "wb");
	w->swap = swap;
	CU_ASSERT_FATAL(w->f != NULL);
	return w->f;
}

/* A little-endian microsecond file, version 2.4, Ethernet. */
static void
raw_plain(struct raw_file *w, char *path, size_t len, const char *name, uint32_t snaplen)
{
	raw_open(w, path, len, name, false);
	raw_header(w, 0xa1b2c3d4, 2, 4, snaplen, 1);
}

/* Close it and hold it against libpcap, with and without read-ahead. */
static void
raw_check(struct raw_file *w, const char *path)
{
	fclose(w->f);
	compare_both(path);
}

/* Many records, sizes from 0 to 64 kB, over 20 MB: the 8 MiB read ring
 * wraps, records straddle its end; times include tv_sec and tv_usec at and
 * beyond 2^31 (libpcap reads them as signed, but as unsigned in a swapped
 * file). Both byte orders, micro- and nanosecond files. */
static void
test_reader_walk(void)
{
	static const struct { const char *name; bool swap; uint32_t magic; } v[] = {
		{ "walk-le-us.pcap", false, 0xa1b2c3d4 },
		{ "walk-le-ns.pcap", false, 0xa1b23c4d },
		{ "walk-be-us.pcap", true, 0xa1b2c3d4 },
		{ "walk-be-ns.pcap", true, 0xa1b23c4d },
	};
	struct raw_file w;
	char path[128];
	unsigned int k, i;

	for (k = 0; k < RTE_DIM(v); k++) {
		raw_open(&w, path, sizeof(path), v[k].name, v[k].swap);
		raw_header(&w, v[k].magic, 2, 4, 262144, 1);
		for (i = 0; i < 4000; i++) {
			uint32_t cl = i % 7 == 0 ? 30000 + rnd() % 35000 : rnd() % 1600;
			uint32_t sec = i % 500 == 0 ? 0x80000000u + rnd() % 100 : 1000000 + i;
			uint32_t frac = i % 333 == 0 ? 0xfff00000u + rnd() % 1000 : rnd() % 999999;

			raw_record(&w, sec, frac, cl, cl + rnd() % 3 * 100, i);
		}
		fclose(w.f);
		compare_both(path);
	}
}

/* What the walk leaves to libpcap: a version 2.3 file (caplen and len may
 * be swapped), a record over the snapshot length (cut to it), a record
 * over any sane length (an error), a file that ends in a record header or
 * in a record's data, and pcapng. */
static void
test_reader_libpcap_cases(void)
{
	static const uint8_t pcapng[] = {
		/* section header block */
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		/* interface description block, Ethernet, snaplen 65535 */
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0,
		/* enhanced packet block: 4 bytes captured of 60, ts 10^6 us */
		6, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0,
		4, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3, 4, 36, 0, 0, 0,
	};
	struct raw_file w;
	char path[128];
	unsigned int i;

	raw_open(&w, path, sizeof(path), "v23.pcap", false);
	raw_header(&w, 0xa1b2c3d4, 2, 3, 65535, 1);
	raw_record(&w, 1, 0, 60, 60, 0);
	raw_record(&w, 2, 0, 1514, 100, 1);	/* caplen > len: swapped back */
	raw_check(&w, path);

	raw_plain(&w, path, sizeof(path), "oversnap.pcap", 1000);
	for (i = 0; i < 50; i++)
		raw_record(&w, 5, i, i == 20 ? 1500 : 60 + i, 1500, i);
	raw_check(&w, path);

	raw_plain(&w, path, sizeof(path), "insane.pcap", 65535);
	raw_record(&w, 5, 0, 60, 60, 0);
	raw_u32(&w, 6);
	raw_u32(&w, 0);
	raw_u32(&w, 300000);	/* beyond 262144: libpcap calls it an error */
	raw_u32(&w, 300000);
	raw_check(&w, path);

	raw_plain(&w, path, sizeof(path), "cut-header.pcap", 65535);
	raw_record(&w, 5, 0, 60, 60, 0);
	raw_u32(&w, 6);
	raw_u32(&w, 0);
	raw_check(&w, path);

	raw_plain(&w, path, sizeof(path), "cut-data.pcap", 65535);
	raw_record(&w, 5, 0, 60, 60, 0);
	raw_record(&w, 5, 1, 100, 100, 1);
	fclose(w.f);
	cut_tail(path, 30);
	compare_both(path);

	raw_plain(&w, path, sizeof(path), "empty.pcap", 65535);
	raw_check(&w, path);

	raw_open(&w, path, sizeof(path), "ng.pcapng", false);
	CU_ASSERT_FATAL(fwrite(pcapng, 1, sizeof(pcapng), w.f) == sizeof(pcapng));
	raw_check(&w, path);
}

/* ---- inputs other than a plain file ---- */

enum codec { GZ, XZ, ZST };

static void *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	FILE *f;

	CU_ASSERT_FATAL(stat(path, &sb) == 0);
	buf = malloc((size_t)sb.st_size + 1);
	f = fopen(path, "rb");
	CU_ASSERT_FATAL(buf != NULL && f != NULL);
	*len = fread(buf, 1, (size_t)sb.st_size, f);
	CU_ASSERT_FATAL(*len == (size_t)sb.st_size);
	fclose(f);
	return buf;
}

/* dst = src compressed, written with the codecs' own libraries; a name
 * that does not tell the codec: the magic bytes decide. */
static void
compress_file(const char *src, const char *dst, enum codec codec)
{
	size_t len, out_len = 0, cap;
	uint8_t *in = slurp(src, &len), *out;
	FILE *f;
	gzFile gz;

	cap = len + len / 2 + 65536;
	out = malloc(cap);
	CU_ASSERT_FATAL(out != NULL);
	switch (codec) {
	case GZ:
		gz = gzopen(dst, "wb1");
		CU_ASSERT_FATAL(gz != NULL);
		CU_ASSERT_FATAL(len == 0 || gzwrite(gz, in, (unsigned int)len) == (int)len);
		CU_ASSERT_FATAL(gzclose(gz) == Z_OK);
		free(in);
		free(out);
		return;
	case XZ:
		CU_ASSERT_FATAL(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, NULL, in, len, out,
							&out_len, cap) == LZMA_OK);
		break;
	case ZST:
		out_len = ZSTD_compress(out, cap, in, len, 1);
		CU_ASSERT_FATAL(!ZSTD_isError(out_len));
		break;
	}
	f = fopen(dst, "wb");
	CU_ASSERT_FATAL(f != NULL && fwrite(out, 1, out_len, f) == out_len);
	fclose(f);
	free(in);
	free(out);
}

/* Files written by the two tests above (the suite runs in order): a walk
 * that wraps the ring, a record over the snapshot length (the walk hands
 * the rest to libpcap mid-file), a cut record and a pcapng. */
static const char *const reread[] = {
	"walk-le-us.pcap", "walk-be-ns.pcap", "oversnap.pcap", "cut-data.pcap", "ng.pcapng",
	"empty.pcap",
};

/* Each compressed three ways: read through the own reader (with and
 * without read-ahead: the decompression runs on the thread) and the
 * replay, every record as libpcap reads the plain file. */
static void
test_compressed(void)
{
	static const char *const ext[] = { "gz", "xz", "zst" };
	char plain[128], packed[160];
	unsigned int i, k;

	for (i = 0; i < RTE_DIM(reread); i++) {
		snprintf(plain, sizeof(plain), "%s/%s", dir, reread[i]);
		for (k = 0; k < RTE_DIM(ext); k++) {
			snprintf(packed, sizeof(packed), "%s/%s-%s.cap", dir, reread[i], ext[k]);
			compress_file(plain, packed, (enum codec)k);
			compare_input(packed, plain, false, false);
			compare_input(packed, plain, true, false);
			compare_input(packed, plain, false, true);
		}
	}
}

/* A compressed file cut short or damaged: the error names the file and
 * what the decompressor found; the records before count. */
static void
test_compressed_damaged(void)
{
	static const char *const want[] = { "gzip: compressed data is truncated",
					    "xz: compressed data is truncated",
					    "zstd: compressed data is truncated" };
	char plain[128], packed[160];
	const char *files[1] = { packed };
	struct sp_capture_params p = { .files = files, .n_files = 1 };
	struct sp_rx_info info[1];
	struct sp_capture_stats st;
	struct sp_capture *c;
	uint32_t caplen[1];
	struct stat sb;
	char err[256];
	unsigned int k, n;

	p.pool = pool;
	snprintf(plain, sizeof(plain), "%s/walk-le-us.pcap", dir);
	for (k = 0; k < RTE_DIM(want); k++) {
		snprintf(packed, sizeof(packed), "%s/damaged-%u.cap", dir, k);
		compress_file(plain, packed, (enum codec)k);
		CU_ASSERT_FATAL(stat(packed, &sb) == 0);
		CU_ASSERT_FATAL(truncate(packed, sb.st_size / 2) == 0);
		c = sp_capture_open(&p, err, sizeof(err));
		CU_ASSERT_FATAL(c != NULL);
		n = read_all(c, info, 1, caplen);
		CU_ASSERT(n > 100 && n < 4000);
		sp_capture_get_stats(c, &st);
		CU_ASSERT_EQUAL(st.read_error, -EIO);
		CU_ASSERT_PTR_NOT_NULL(strstr(st.error, packed));
		CU_ASSERT_PTR_NOT_NULL(strstr(st.error, want[k]));
		sp_capture_close(c);
	}
}

struct feeder {
	pthread_t t;
	char src[160];
	char fifo[160];		/* empty: write into fd */
	int fd;
};

/* Write src into the FIFO (or the pipe) and close it; a reader that stops
 * early gets the rest dropped (EPIPE: SIGPIPE is ignored). */
static void *
feed(void *arg)
{
	struct feeder *fd = arg;
	size_t len, off = 0;
	uint8_t *buf = slurp(fd->src, &len);
	ssize_t w;
	int out = fd->fifo[0] != '\0' ? open(fd->fifo, O_WRONLY) : fd->fd;

	while (out >= 0 && off < len && (w = write(out, buf + off, len - off)) > 0)
		off += (size_t)w;
	if (out >= 0)
		close(out);
	free(buf);
	return NULL;
}

/* Through a FIFO (opened once: a second open would have lost bytes) and
 * through standard input ("-"): every record as libpcap reads the file,
 * the progress unknown (-1) until the end; compressed too. */
static void
test_pipes(void)
{
	static const char *const extra[] = { "walk-le-us.pcap-zst.cap", "ng.pcapng-xz.cap" };
	struct feeder f;
	char plain[160];
	int saved, pfd[2];
	unsigned int i, ahead;

	CU_ASSERT_FATAL(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	snprintf(f.fifo, sizeof(f.fifo), "%s/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(f.fifo, 0600) == 0);
	for (i = 0; i < RTE_DIM(reread) + RTE_DIM(extra); i++) {
		const char *name = i < RTE_DIM(reread) ? reread[i] : extra[i - RTE_DIM(reread)];

		snprintf(f.src, sizeof(f.src), "%s/%s", dir, name);
		snprintf(plain, sizeof(plain), "%s/%.*s", dir,
			 (int)(strchr(name, '-') != NULL && i >= RTE_DIM(reread) ?
			       strrchr(name, '-') - name : (long)strlen(name)), name);
		for (ahead = 0; ahead < 2; ahead++) {
			CU_ASSERT_FATAL(pthread_create(&f.t, NULL, feed, &f) == 0);
			compare_input(f.fifo, plain, ahead, false);
			pthread_join(f.t, NULL);
		}
	}
	unlink(f.fifo);

	/* standard input: a pipe in place of fd 0 for the test */
	f.fifo[0] = '\0';
	snprintf(f.src, sizeof(f.src), "%s/walk-be-ns.pcap-gz.cap", dir);
	snprintf(plain, sizeof(plain), "%s/walk-be-ns.pcap", dir);
	saved = dup(STDIN_FILENO);
	CU_ASSERT_FATAL(saved >= 0 && pipe(pfd) == 0);
	CU_ASSERT_FATAL(dup2(pfd[0], STDIN_FILENO) == STDIN_FILENO);
	close(pfd[0]);
	f.fd = pfd[1];
	CU_ASSERT_FATAL(pthread_create(&f.t, NULL, feed, &f) == 0);
	compare_input("-", plain, true, false);
	pthread_join(f.t, NULL);
	CU_ASSERT_FATAL(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
	close(saved);
}

/* The PMD opens files by name and reads them as they are: a compressed
 * file or a FIFO is refused at open, naming the option. */
static void
test_pmd_refuses(void)
{
	char packed[160];
	const char *files[1] = { packed };
	struct sp_capture_params p = { .files = files, .n_files = 1, .pmd = true };
	struct sp_capture *c;
	char err[256];

	p.pool = pool;
	snprintf(packed, sizeof(packed), "%s/ng.pcapng-gz.cap", dir);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(strncmp(err, "--pcap-pmd: ", 12), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, packed));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gzip"));
}

/* A directory: its regular files in strcmp() order (not the order they
 * were written in), hidden files and subdirectories left out, each with
 * its own link type; an empty one is an error naming it. */
static void
test_directory(void)
{
	static const struct rec a[] = { { 60, 60, 1000000000ull }, { 61, 61, 1001000000ull } };
	static const struct rec b[] = { { 40, 40, 2000000000ull } };
	char d[128], path[192];
	const char *files[1] = { d };
	struct sp_capture_params p = { .files = files, .n_files = 1 };
	struct sp_rx_info info[8];
	uint32_t caplen[8];
	struct sp_capture *c;
	char err[256];
	FILE *f;

	snprintf(d, sizeof(d), "%s/dir-%d", dir, (int)input);
	CU_ASSERT_FATAL(mkdir(d, 0700) == 0);
	snprintf(path, sizeof(path), "%s/b.pcap", d);
	write_pcap(path, 228, PCAP_TSTAMP_PRECISION_MICRO, b, RTE_DIM(b));
	snprintf(path, sizeof(path), "%s/B.pcap", d);	/* 'B' < 'b' in strcmp() */
	write_pcap(path, 1, PCAP_TSTAMP_PRECISION_MICRO, a, RTE_DIM(a));
	snprintf(path, sizeof(path), "%s/.hidden", d);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("not a capture", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sub", d);
	CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
	p.pool = pool;
	set_input(&p);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(sp_capture_n_files(c), 2);
	CU_ASSERT_EQUAL(sp_capture_file_dlt(c, 0), 1);
	CU_ASSERT_EQUAL(sp_capture_file_dlt(c, 1), 228);
	CU_ASSERT_EQUAL_FATAL(read_all(c, info, 8, caplen), 3);
	CU_ASSERT_EQUAL(caplen[0], 60);
	CU_ASSERT_EQUAL(caplen[1], 61);
	CU_ASSERT_EQUAL(caplen[2], 40);
	CU_ASSERT_EQUAL(info[2].dlt, 228);
	sp_capture_close(c);

	snprintf(d, sizeof(d), "%s/empty-dir-%d", dir, (int)input);
	CU_ASSERT_FATAL(mkdir(d, 0700) == 0);
	c = sp_capture_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, d));
}

/* A pcapng whose interface 1 is RAW, interface 0 Ethernet: libpcap rejects
 * interface 1 and fails at each of its packets; every input reads on past
 * those errors as NFStream does, so interface 0's packets (before and
 * after) all come, interface 1's are counted as skipped, and no read error
 * is left. Two of interface 1's in a row: the PMD returns empty bursts at
 * them, which must not end its file. */
static void
test_linktype_clash(void)
{
	static const uint8_t ng[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		/* interface 0: Ethernet; a packet of 4 bytes */
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0,
		6, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x42, 0x0f, 0,
		4, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3, 4, 36, 0, 0, 0,
		/* interface 1: RAW (101); two packets of it */
		1, 0, 0, 0, 20, 0, 0, 0, 101, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0,
		6, 0, 0, 0, 36, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x42, 0x0f, 0,
		4, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3, 4, 36, 0, 0, 0,
		6, 0, 0, 0, 36, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x42, 0x0f, 0,
		4, 0, 0, 0, 60, 0, 0, 0, 1, 2, 3, 4, 36, 0, 0, 0,
		/* interface 0 again: 8 bytes */
		6, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x43, 0x42, 0x0f, 0,
		8, 0, 0, 0, 70, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 40, 0, 0, 0,
	};
	char path[128];
	const char *files[1] = { path };
	struct sp_capture_params p = { .files = files, .n_files = 1, .replay_loops = 1 };
	struct sp_capture_stats st;
	struct sp_rx_info info[4];
	uint32_t caplen[4];
	struct sp_capture *c;
	char err[256];
	FILE *f;
	int replay;

	snprintf(path, sizeof(path), "%s/two-links.pcapng", dir);
	f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL && fwrite(ng, 1, sizeof(ng), f) == sizeof(ng));
	fclose(f);
	p.pool = pool;
	set_input(&p);
	for (replay = 0; replay < (input == OWN ? 2 : 1); replay++) {
		p.replay = replay;
		c = sp_capture_open(&p, err, sizeof(err));
		CU_ASSERT_FATAL(c != NULL);
		CU_ASSERT_EQUAL_FATAL(read_all(c, info, 4, caplen), 2);
		CU_ASSERT_EQUAL(caplen[0], 4);
		CU_ASSERT_EQUAL(info[0].wire_len, 60);
		CU_ASSERT_EQUAL(caplen[1], 8);
		CU_ASSERT_EQUAL(info[1].wire_len, 70);
		CU_ASSERT_EQUAL(info[1].dlt, 1);
		sp_capture_get_stats(c, &st);
		CU_ASSERT_EQUAL(st.read_error, 0);
		CU_ASSERT_EQUAL(st.skipped, 2);
		CU_ASSERT_EQUAL(st.lost, 0);
		CU_ASSERT_EQUAL(st.unmatched, 0);
		sp_capture_close(c);
	}
}

static int
suite_init(void)
{
	if (sp_test_eal_init("capture", 256) != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_cap", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	snprintf(dir, sizeof(dir), "/tmp/sp_test_capture_XXXXXX");
	if (pool == NULL || mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int
suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	rte_mempool_free(pool);
	return sp_test_eal_cleanup();
}

/* The shared tests once per input. */
#define FOR_INPUT(fn, in) \
	static void fn##_##in(void) { input = in; fn(); }
#define FOR_INPUTS(fn) FOR_INPUT(fn, OWN) FOR_INPUT(fn, OWN_AHEAD) FOR_INPUT(fn, PMD)
FOR_INPUTS(test_wire_length_restored)
FOR_INPUTS(test_files_in_order_and_nanoseconds)
FOR_INPUTS(test_negative_usec)
FOR_INPUTS(test_bad_files)
FOR_INPUTS(test_directory)
FOR_INPUTS(test_linktype_clash)

int
sp_test_register(void)
{
	static const struct { const char *name; CU_TestFunc fn; } tests[] = {
#define INPUT_TESTS(label, fn) \
		{ label ", own reader", fn##_OWN }, \
		{ label ", own reader with read-ahead", fn##_OWN_AHEAD }, \
		{ label ", pcap PMD", fn##_PMD }
		INPUT_TESTS("wire length restored", test_wire_length_restored),
		INPUT_TESTS("files in order, ns timestamps", test_files_in_order_and_nanoseconds),
		INPUT_TESTS("negative tv_usec as NFStream", test_negative_usec),
		INPUT_TESTS("missing, bad and cut files", test_bad_files),
		INPUT_TESTS("directory: files in name order", test_directory),
		INPUT_TESTS("pcapng interfaces of two link types", test_linktype_clash),
		{ "own reader = libpcap: ring wraps, swapped, ns, signed times",
		  test_reader_walk },
		{ "own reader = libpcap: v2.3, snaplen, insane, cut, empty, pcapng",
		  test_reader_libpcap_cases },
		{ "compressed (gzip, xz, zstd) = libpcap on the plain file", test_compressed },
		{ "compressed, cut: the decompressor's error", test_compressed_damaged },
		{ "FIFO and standard input = libpcap on the file", test_pipes },
		{ "pcap PMD: compressed refused", test_pmd_refuses },
		{ "replay: passes, copies, chains", test_replay_passes },
		{ "replay: duration and errors", test_replay_time_and_errors },
	};
	CU_pSuite s = CU_add_suite("capture", suite_init, suite_clean);
	unsigned int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < RTE_DIM(tests); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
