/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the capture reader (lib/capture), a whole file per input:
 * classic pcap (walked by streamprobe's own reader, file.c), pcapng and
 * anything not plain (handed to libpcap), compressed inputs (input.c).
 *
 * The input is written to a memory file and read through the public API
 * (sp_capture_open/rx/close) to its end, counting records. It is then read
 * a second time in replay mode, which loads every record through libpcap
 * itself: when both reads end without an error they must give the same
 * records (time, wire length, captured length), the reader's promise that
 * walking a file itself changes nothing of what libpcap gives.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sp_capture.h>

#include "fuzz.h"

#define FRAME_MAX 262144u	/* the reader's copy limit (file.c FILE_FRAME_MAX) */
#define KEEP 8192u		/* records compared between the two reads */
#define SPIN_MAX 100000u	/* empty polls in a row: the reader stalls */

struct rec {
	uint64_t ts_ms;
	uint32_t wire_len;
	uint32_t caplen;
};

static struct rte_mempool *pool;
static struct rec own[KEEP];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_eal_init("fuzz_reader", 128);
	pool = rte_pktmbuf_pool_create("fuzz_mbufs", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL)
		fuzz_fail("reader", "no mbuf pool");
	return 0;
}

/* Read c to its end; with keep, record each packet in own[] (else compare
 * with it). Returns the packet count. */
static uint64_t
read_all(struct sp_capture *c, bool keep, uint64_t n_own)
{
	struct rte_mbuf *pkts[32];
	struct sp_rx_info info[32];
	uint64_t total = 0;
	unsigned int spins = 0, i;
	int n;

	while ((n = sp_capture_rx(c, pkts, info, RTE_DIM(pkts))) != -ENODATA) {
		if (n < 0)
			fuzz_fail("reader", "sp_capture_rx returned an error other than -ENODATA");
		if (n == 0 && ++spins > SPIN_MAX)
			fuzz_fail("reader", "the reader stalls: no packet and no end");
		if (n > 0)
			spins = 0;
		for (i = 0; i < (unsigned int)n; i++, total++) {
			struct rec r = { info[i].ts_ms, info[i].wire_len,
					 rte_pktmbuf_pkt_len(pkts[i]) };

			if ((keep && r.caplen > FRAME_MAX) || rte_mbuf_check(pkts[i], 1, NULL) != 0)
				fuzz_fail("reader", "an mbuf beyond the frame limit, or inconsistent");
			if (keep && total < KEEP)
				own[total] = r;
			if (!keep && total < KEEP && total < n_own &&
			    (own[total].ts_ms != r.ts_ms || own[total].wire_len != r.wire_len ||
			     own[total].caplen != RTE_MIN(r.caplen, FRAME_MAX)))
				fuzz_fail("reader", "own reader and libpcap (replay) differ");
		}
		rte_pktmbuf_free_bulk(pkts, (unsigned int)n);
	}
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *files[1] = { fuzz_memfile(data, size) };
	struct sp_capture_params p = { .files = files, .n_files = 1 };
	struct sp_capture_stats st, rst;
	struct sp_capture *c;
	uint64_t n, rn;
	char err[512];

	p.pool = pool;
	c = sp_capture_open(&p, err, sizeof(err));
	if (c == NULL) {
		if (err[0] == '\0')
			fuzz_fail("reader", "open refused without a message");
		return 0;
	}
	n = read_all(c, true, 0);
	sp_capture_get_stats(c, &st);
	sp_capture_close(c);
	if (st.received != n)
		fuzz_fail("reader", "received counter differs from the packets handed out");
	if (st.read_error != 0 && st.error[0] == '\0')
		fuzz_fail("reader", "a read error without a message");
	if (rte_mempool_in_use_count(pool) != 0)
		fuzz_fail("reader", "mbufs left in use after the close");

	p.replay = true;
	p.replay_loops = 1;
	c = sp_capture_open(&p, err, sizeof(err));
	if (c == NULL)
		return 0;	/* libpcap refuses what the own reader read up to an error */
	rn = read_all(c, false, n);
	sp_capture_get_stats(c, &rst);
	sp_capture_close(c);
	if (st.read_error == 0 && rst.read_error == 0 && rn != n)
		fuzz_fail("reader", "own reader and libpcap (replay) give different record counts");
	return 0;
}
