/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_CAPTURE_PRIVATE_H
#define SP_CAPTURE_PRIVATE_H

/* The sources behind sp_capture: the own file reader (file.c) and the
 * replay (replay.c); used by capture.c only. */

#include <pcap/pcap.h>

#include "sp_capture.h"

/*
 * A record's time as NFStream computes it: tv_sec * 1000 + tv_usec / 1000,
 * with C's signed division (libpcap reads tv_usec as a signed 32-bit value,
 * so a corrupt record can make it negative; docs/nfstream-semantics.md §3).
 */
static inline uint64_t
capture_ts_ms(const struct pcap_pkthdr *h)
{
	return (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)(int64_t)(h->ts.tv_usec / 1000);
}

/*
 * streamprobe's own reader of one capture file (file.c). rx() fills up to
 * n mbufs from the pool with the next records, each copied in (chained
 * beyond one mbuf's buffer), with their facts in info (dlt: the file's
 * link type). It returns the number filled; 0 when nothing is read yet or
 * the pool is empty (try again); -ENODATA at the end of the file; -EIO on
 * a read error, with the message in capture_file_error(). read_ahead: a
 * control thread does the reading (see file.c).
 */
struct capture_file;

/* A libpcap reader of path on a stdio stream with a large buffer (*buf,
 * to free after pcap_close()); NULL with the reason in errbuf. The shadow
 * reader and the own reader's libpcap path both read this way. */
pcap_t *capture_pcap_open(const char *path, char **buf, char *errbuf);

struct capture_file *capture_file_open(const char *path, bool read_ahead, char *err,
				       size_t errlen);
int capture_file_rx(struct capture_file *f, struct rte_mempool *pool, int dlt,
		    struct rte_mbuf **pkts, struct sp_rx_info *info, uint16_t n);
uint64_t capture_file_offset(const struct capture_file *f);
const char *capture_file_error(const struct capture_file *f);
void capture_file_close(struct capture_file *f);

struct capture_replay;

/*
 * Load every file into memory. dlt[i] is the link type of file i; the
 * array must outlive the replay. Returns NULL with rte_errno set and a
 * message in err.
 */
struct capture_replay *capture_replay_load(const struct sp_capture_params *p, const int *dlt,
					   char *err, size_t errlen);

/* Same contract as sp_capture_rx(). */
int capture_replay_rx(struct capture_replay *r, struct rte_mbuf **pkts, struct sp_rx_info *info,
		      uint16_t n);

void capture_replay_stats(const struct capture_replay *r, struct sp_capture_stats *s);

double capture_replay_progress(const struct capture_replay *r);

void capture_replay_free(struct capture_replay *r);

#endif /* SP_CAPTURE_PRIVATE_H */
