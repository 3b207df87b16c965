/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_CAPTURE_PRIVATE_H
#define SP_CAPTURE_PRIVATE_H

/* The sources behind sp_capture: the inputs (input.c), the own file reader
 * (file.c) and the replay (replay.c); used by capture.c only. */

#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include <pcap/pcap.h>

#include <rte_mbuf.h>

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
 * One input of --pcap, opened once (input.c): a file, standard input ("-"),
 * a FIFO or pipe, plain or compressed. Its first bytes are read at open
 * (the peek: what libpcap needs to judge the header) and served again to
 * whichever reader reads it at its turn.
 */
enum capture_codec { CAPTURE_PLAIN, CAPTURE_GZIP, CAPTURE_XZ, CAPTURE_ZSTD };

/* pcapng blocks followed on their way to libpcap (input.c). */
struct capture_ng_scan {
	uint64_t skip;		/* bytes left of the current block */
	uint8_t hdr[12];	/* the current block's first bytes */
	unsigned int have;
	bool swapped;
	bool dead;		/* damaged: libpcap reports it */
	unsigned int section;
	unsigned int n_if;	/* interfaces of the section so far */
	int first_lt;		/* the file's first interface's link type */
	int bad_if;		/* the first one with another, -1: none */
	int bad_lt;
	unsigned int bad_section;
};

struct capture_input {
	char *name;		/* as given; "standard input" for "-" */
	int fd;
	bool regular;		/* a regular file: its size is known */
	uint64_t size;
	uint64_t raw;		/* bytes read from fd so far (progress) */
	enum capture_codec codec;
	/* decoder (compressed): one of these */
	struct z_stream_s *gz;
	void *xz;		/* lzma_stream */
	struct ZSTD_DCtx_s *zs;
	bool decoding;		/* false: suspended until its turn */
	bool mid;		/* inside a compressed stream (its end would cut it) */
	bool xz_done;
	uint8_t *zbuf;		/* compressed bytes read */
	size_t zlen, zoff;
	bool zeof;
	size_t resume;		/* decoded bytes to drop: the peek's */
	/* the peek: served before anything read on */
	uint8_t *peek;
	size_t peek_len, peek_off;
	bool at_end;		/* the peek holds the whole input */
	/* libpcap's verdict on the header (judged: from the peek) */
	bool judged;
	bool pcapng;
	int dlt;
	int major, minor;
	uint32_t snap;
	uint32_t magic;
	bool swapped;
	/* libpcap reading the input, on a stdio stream over it */
	pcap_t *pc;
	char *pc_buf;
	struct capture_ng_scan ng;
	unsigned int rejected;	/* pcapng interfaces libpcap rejected */
	uint64_t skipped;	/* their packets, passed over */
	uint64_t passed;	/* libpcap errors passed over: both */
	char error[160];	/* a decompression error */
};

/* NULL with a one-line message naming the input in err. */
struct capture_input *capture_input_open(const char *path, char *err, size_t errlen);
/* The input from where it is: > 0 bytes, 0 at its end, -1 with errno (and
 * in->error set when it is a decompression error). */
ssize_t capture_input_read(struct capture_input *in, void *buf, size_t n);
/* libpcap on the input from where it is (the peek first); kept in in->pc,
 * closed with the input. NULL with the reason in errbuf. */
pcap_t *capture_input_pcap(struct capture_input *in, char *errbuf);
/* Serve a then b before reading on (the own walk hands libpcap the bytes
 * it read ahead). 0 or -ENOMEM. */
int capture_input_unread(struct capture_input *in, const void *a, size_t alen, const void *b,
			 size_t blen);
/* pcap_next_ex() on the input's libpcap reader pc, passing over what
 * NFStream passes over in a pcapng: the description of an interface libpcap
 * rejects (another link type; warned of once, naming it) and that
 * interface's packets (counted in in->skipped). */
int capture_input_next(struct capture_input *in, pcap_t *pc, struct pcap_pkthdr **h,
		       const u_char **data);
/* The input is read: say how many packets capture_input_next() skipped,
 * if it rejected an interface. */
void capture_input_done(struct capture_input *in);
/* "file", "pipe", "gzip", "xz" or "zstd". */
const char *capture_input_kind(const struct capture_input *in);
void capture_input_close(struct capture_input *in);

/*
 * streamprobe's own reader of one capture file (file.c). rx() fills up to
 * n mbufs from the pool with the next records, each copied in (chained
 * beyond one mbuf's buffer), with their facts in info (dlt: the file's
 * link type). It returns the number filled; 0 when nothing is read yet or
 * the pool is empty (try again); -ENODATA at the end of the file; -EIO on
 * a read error, with the message in capture_file_error(). read_ahead: a
 * control thread does the reading (see file.c). The input stays the
 * caller's.
 */
struct capture_file;

struct capture_file *capture_file_open(struct capture_input *in, bool read_ahead, char *err,
				       size_t errlen);
int capture_file_rx(struct capture_file *f, struct rte_mempool *pool, int dlt,
		    struct rte_mbuf **pkts, struct sp_rx_info *info, uint16_t n);
const char *capture_file_error(const struct capture_file *f);
void capture_file_close(struct capture_file *f);

struct capture_replay;

/*
 * Load every input into memory (in[i] is read to its end here). dlt[i] is
 * the link type of input i; the array must outlive the replay. Returns NULL with rte_errno set and a
 * message in err.
 */
struct capture_replay *capture_replay_load(const struct sp_capture_params *p,
					   struct capture_input *const *in, unsigned int n,
					   const int *dlt, char *err, size_t errlen);

/* Same contract as sp_capture_rx(). */
int capture_replay_rx(struct capture_replay *r, struct rte_mbuf **pkts, struct sp_rx_info *info,
		      uint16_t n);

void capture_replay_stats(const struct capture_replay *r, struct sp_capture_stats *s);

double capture_replay_progress(const struct capture_replay *r);

void capture_replay_free(struct capture_replay *r);

/* Copy len bytes of a frame into m, chaining more mbufs from the pool
 * beyond its buffer. Returns 0, or -ENOBUFS (m may then hold a partial
 * chain, which rte_pktmbuf_free() releases whole).
 * memcpy(), not rte_memcpy(): Debian's DPDK is built for the baseline
 * x86-64, so rte_memcpy() is its SSE version, while glibc picks its AVX2
 * copy at run time: the worker's instructions on mix with DPI on fell from
 * 2,418.5 to 2,345.5 a packet (callgrind, first 100 k -> 200 k packets). */
static inline int
capture_copy_frame(struct rte_mempool *pool, struct rte_mbuf *m, const uint8_t *data,
		   uint32_t len)
{
	struct rte_mbuf *last = m, *seg;
	uint32_t n;

	n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
	memcpy(rte_pktmbuf_mtod(m, void *), data, n);
	m->data_len = (uint16_t)n;
	m->pkt_len = len;
	while (unlikely(n < len)) {
		seg = rte_pktmbuf_alloc(pool);
		if (seg == NULL)
			return -ENOBUFS;
		last->next = seg;
		last = seg;
		m->nb_segs++;
		seg->data_len = (uint16_t)RTE_MIN(len - n, (uint32_t)rte_pktmbuf_tailroom(seg));
		memcpy(rte_pktmbuf_mtod(seg, void *), data + n, seg->data_len);
		n += seg->data_len;
	}
	return 0;
}

#endif /* SP_CAPTURE_PRIVATE_H */
