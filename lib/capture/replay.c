/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay from memory: the benchmark input that leaves the disk, libpcap and
 * the pcap PMD's per-packet copy out of the measurement, so that what is
 * timed is the probe's own work on mbufs, as on a NIC.
 *
 * Loading reads every record once through libpcap (so pcapng, swapped and
 * nanosecond files all work) into one anonymous mapping, each frame at a
 * cache-line boundary. Feeding takes mbufs from the pool and fills them as
 * a NIC does: a frame that fits the mbuf's own buffer is copied into it
 * (as the pcap PMD's infinite_rx does, so streamprobe's replay and
 * testpmd's replay ceiling cost the same per frame; a direct mbuf also
 * frees faster: on small64, 16.1 Mpps copying vs 14.7 Mpps attaching every
 * frame); a larger one is attached as an external buffer, chained when
 * beyond an mbuf's 16-bit length. Each attached mbuf's own (unused) data
 * room holds the shared-info block of its attachment, so no state is
 * shared between the feeding lcore and the workers that free the mbufs.
 *
 * Passes: the records are fed again and again, each pass shifted in time
 * past the previous one by the capture's span plus a gap (the idle
 * timeout), so every pass is new traffic: its flows are created, dissected
 * and expired again rather than hitting flows that already finished DPI.
 */
#define _GNU_SOURCE	/* mremap() */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <pcap/pcap.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sp_common.h"
#include "capture_private.h"

/* Frames start at cache-line boundaries, as NIC-written ones do. */
#define REPLAY_ALIGN 64
/* mbuf buf_len is 16 bits: larger frames become chains of this size. */
#define REPLAY_SEG_MAX 32768u

struct replay_rec {
	uint64_t off;		/* frame offset in the arena */
	uint64_t ts_ms;		/* NFStream's ms time of the record */
	uint32_t caplen;
	uint32_t wire_len;
};

struct capture_replay {
	uint8_t *arena;
	size_t arena_size;
	size_t used;
	struct replay_rec *rec;
	uint64_t n;
	uint64_t *file_end;	/* index of the first record after file i */
	const int *dlt;
	unsigned int n_files;
	struct rte_mempool *pool;
	/* feeding */
	uint64_t next;		/* next record of the current pass */
	unsigned int file;	/* file of rec[next] */
	uint64_t pass;
	uint64_t loops;		/* 0: until the deadline */
	uint64_t run_ms;	/* 0: until the loops are done */
	uint64_t period_ms;	/* time shift between passes */
	uint64_t max_ts;	/* latest record time, unshifted */
	bool clock_end;		/* stopped: the next pass would wrap the clock */
	uint64_t shift_ms;
	uint64_t start_tsc;
	uint64_t end_tsc;
	uint64_t deadline_tsc;
	bool started;
	bool done;
	double load_s;
	int read_error;		/* as the PMD path: records before it are kept */
	char error[320];
	uint64_t bytes;
	uint64_t fed_wire;
	uint64_t skipped;	/* of rejected pcapng interfaces */
};

/* Make the arena hold at least need bytes: a compressed file or a pipe
 * holds more than its size said (or none was known). Records keep offsets,
 * so the arena may move. */
static int
replay_grow(struct capture_replay *r, size_t need)
{
	size_t size = r->arena_size;
	void *p;

	while (size < need)
		size *= 2;
	p = mremap(r->arena, r->arena_size, size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -ENOMEM;
	r->arena = p;
	r->arena_size = size;
	return 0;
}

/* Append one input's records. Returns 0 or -errno with err set. */
static int
replay_load_file(struct capture_replay *r, struct capture_input *in, uint64_t *cap,
		 uint64_t *min_ts, uint64_t *max_ts, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *file = in->name;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct replay_rec *rec;
	pcap_t *pc;
	size_t off;
	int ret;

	pc = capture_input_pcap(in, errbuf);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", file, errbuf);
		return -EIO;
	}
	while ((ret = capture_input_next(in, pc, &hdr, &data)) == 1) {
		off = RTE_ALIGN_CEIL(r->used, REPLAY_ALIGN);
		if (off + hdr->caplen > r->arena_size && replay_grow(r, off + hdr->caplen) != 0) {
			snprintf(err, errlen, "%s: replay memory exhausted", file);
			return -ENOMEM;
		}
		if (r->n == *cap) {
			*cap = *cap ? *cap * 2 : 65536;
			rec = realloc(r->rec, sizeof(*rec) * *cap);
			if (rec == NULL) {
				snprintf(err, errlen, "%s: out of memory for the replay index", file);
				return -ENOMEM;
			}
			r->rec = rec;
		}
		memcpy(r->arena + off, data, hdr->caplen);
		rec = &r->rec[r->n++];
		rec->off = off;
		rec->ts_ms = capture_ts_ms(hdr);
		rec->caplen = hdr->caplen;
		rec->wire_len = hdr->len;
		r->used = off + hdr->caplen;
		r->bytes += hdr->caplen;
		*min_ts = RTE_MIN(*min_ts, rec->ts_ms);
		*max_ts = RTE_MAX(*max_ts, rec->ts_ms);
	}
	if (ret == PCAP_ERROR && r->read_error == 0) {
		/* Like a file read through the PMD: the records before the
		 * damage count, the error is reported at the end. */
		r->read_error = -EIO;
		snprintf(r->error, sizeof(r->error), "%s: read error: %s", file,
			 in->error[0] != '\0' ? in->error : pcap_geterr(pc));
	}
	capture_input_done(in);
	r->skipped += in->skipped;
	return 0;
}

struct capture_replay *
capture_replay_load(const struct sp_capture_params *p, struct capture_input *const *in,
		    unsigned int n, const int *dlt, char *err, size_t errlen)
{
	uint64_t cap = 0, min_ts = UINT64_MAX, max_ts = 0;
	struct capture_replay *r;
	size_t total = 0;
	double t0 = sp_now_s();
	unsigned int i;
	int ret;

	if (p->replay_loops == 0 && p->replay_ms == 0) {
		snprintf(err, errlen, "replay: needs a number of passes or a duration");
		rte_errno = EINVAL;
		return NULL;
	}
	if (rte_pktmbuf_data_room_size(p->pool) < sizeof(struct rte_mbuf_ext_shared_info)) {
		snprintf(err, errlen, "replay: the mbufs' data room is too small");
		rte_errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto nomem;
	r->file_end = calloc(n, sizeof(*r->file_end));
	if (r->file_end == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		total += (size_t)in[i]->size;
	/* A record takes at least 16 header bytes in the file and at most
	 * REPLAY_ALIGN - 1 bytes of padding here: 4x plain files always fits
	 * (compressed ones and pipes grow it, replay_grow()). Only what is
	 * written gets committed (MAP_NORESERVE). */
	r->arena_size = RTE_MAX(total * 4 + REPLAY_ALIGN, (size_t)1 << 24);
	r->arena = mmap(NULL, r->arena_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->arena == MAP_FAILED) {
		r->arena = NULL;
		goto nomem;
	}
	for (i = 0; i < n; i++) {
		ret = replay_load_file(r, in[i], &cap, &min_ts, &max_ts, err, errlen);
		if (ret != 0) {
			capture_replay_free(r);
			rte_errno = -ret;
			return NULL;
		}
		r->file_end[i] = r->n;
	}
	r->dlt = dlt;
	r->n_files = n;
	r->pool = p->pool;
	r->loops = p->replay_loops;
	r->run_ms = p->replay_ms;
	r->period_ms = r->n > 0 ? max_ts - min_ts + p->replay_gap_ms + 1 : 0;
	r->max_ts = r->n > 0 ? max_ts : 0;
	r->load_s = sp_now_s() - t0;
	return r;

nomem:
	snprintf(err, errlen, "replay: out of memory");
	capture_replay_free(r);
	rte_errno = ENOMEM;
	return NULL;
}

/* The frames live as long as the replay: nothing to free per mbuf. */
static void
replay_extbuf_free(void *addr, void *opaque)
{
	RTE_SET_USED(addr);
	RTE_SET_USED(opaque);
}

/* Attach m to len bytes at frame. The shared-info block goes in the mbuf's
 * own data room, which is unused while the mbuf is attached. */
static inline void
replay_attach(struct rte_mbuf *m, uint8_t *frame, uint16_t len)
{
	struct rte_mbuf_ext_shared_info *sh = m->buf_addr;

	sh->free_cb = replay_extbuf_free;
	sh->fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(sh, 1);
	rte_pktmbuf_attach_extbuf(m, frame, RTE_BAD_IOVA, len, sh);
	m->data_len = len;
	m->pkt_len = len;
}

/* A frame larger than one mbuf can describe: a chain. Returns 0, or
 * -ENOBUFS (m is then left holding the first segment only). */
static int
replay_attach_chain(struct rte_mempool *pool, struct rte_mbuf *m, uint8_t *frame,
		    uint32_t caplen)
{
	uint32_t off = REPLAY_SEG_MAX;
	struct rte_mbuf *seg;

	replay_attach(m, frame, REPLAY_SEG_MAX);
	while (off < caplen) {
		uint32_t len = RTE_MIN(caplen - off, REPLAY_SEG_MAX);

		seg = rte_pktmbuf_alloc(pool);
		if (seg == NULL)
			return -ENOBUFS;
		replay_attach(seg, frame + off, (uint16_t)len);
		if (rte_pktmbuf_chain(m, seg) != 0) {
			rte_pktmbuf_free(seg);
			return -ENOBUFS;
		}
		off += len;
	}
	return 0;
}

int
capture_replay_rx(struct capture_replay *r, struct rte_mbuf **pkts, struct sp_rx_info *info,
		  uint16_t n)
{
	const struct replay_rec *rec;
	uint64_t now;
	uint16_t nb, i;
	uint32_t room;

	if (r->done)
		return -ENODATA;
	now = rte_rdtsc();
	if (!r->started) {
		r->started = true;
		r->start_tsc = now;
		if (r->run_ms != 0)
			r->deadline_tsc = now + r->run_ms * (rte_get_tsc_hz() / 1000);
	}
	if (r->next == r->n) {
		r->pass++;
		r->next = 0;
		r->file = 0;
		if (r->n == 0 || (r->loops != 0 && r->pass >= r->loops))
			goto end;
		/* A capture stamped far apart (a pcapng with a wild time: the
		 * corpus has one 150000 years ahead) fits only so many passes
		 * in the 64-bit ms clock. Past it the times would wrap back,
		 * the monotonic forcing would hold every later packet at the
		 * last time, and flows would neither end nor start again. */
		if (r->period_ms > UINT64_MAX - r->max_ts - r->shift_ms) {
			r->clock_end = true;
			goto end;
		}
		r->shift_ms += r->period_ms;
	}
	if (r->deadline_tsc != 0 && now >= r->deadline_tsc)
		goto end;
	nb = (uint16_t)RTE_MIN((uint64_t)n, r->n - r->next);
	if (rte_pktmbuf_alloc_bulk(r->pool, pkts, nb) != 0)
		return 0;	/* pool empty: the workers still hold them */
	room = rte_pktmbuf_tailroom(pkts[0]);
	for (i = 0; i < nb; i++) {
		rec = &r->rec[r->next + i];
		while (r->next + i >= r->file_end[r->file])
			r->file++;
		if (likely(rec->caplen <= room)) {
			memcpy(rte_pktmbuf_mtod(pkts[i], void *), r->arena + rec->off,
			       rec->caplen);
			pkts[i]->data_len = (uint16_t)rec->caplen;
			pkts[i]->pkt_len = rec->caplen;
		} else if (rec->caplen <= REPLAY_SEG_MAX) {
			replay_attach(pkts[i], r->arena + rec->off, (uint16_t)rec->caplen);
		} else if (replay_attach_chain(r->pool, pkts[i], r->arena + rec->off,
					       rec->caplen) != 0) {
			/* out of mbufs mid-chain: hand out what is complete,
			 * this record comes again on the next call */
			rte_pktmbuf_free_bulk(&pkts[i], nb - i);
			nb = i;
			break;
		}
		info[i].ts_ms = rec->ts_ms + r->shift_ms;
		info[i].wire_len = rec->wire_len;
		info[i].dlt = r->dlt[r->file];
		r->fed_wire += rec->wire_len;
	}
	r->next += nb;
	return nb;

end:
	r->done = true;
	r->end_tsc = now;
	return -ENODATA;
}

void
capture_replay_stats(const struct capture_replay *r, struct sp_capture_stats *s)
{
	uint64_t end = r->done ? r->end_tsc : rte_rdtsc();

	s->replay_loaded = r->n;
	s->replay_bytes = r->bytes;
	s->replay_load_s = r->load_s;
	s->replay_passes = r->pass;	/* complete ones */
	s->replay_feed_s = r->started ? (double)(end - r->start_tsc) / (double)rte_get_tsc_hz()
				      : 0.0;
	s->replay_wire_bytes = r->fed_wire;
	s->replay_clock_end = r->clock_end;
	s->replay_period_ms = r->period_ms;
	s->read_error = r->read_error;
	memcpy(s->error, r->error, sizeof(s->error));
	s->files_done = r->done ? r->n_files : 0;
	s->skipped = r->skipped;
}

double
capture_replay_progress(const struct capture_replay *r)
{
	double p;

	if (r->done)
		return 1.0;
	if (!r->started)
		return 0.0;
	if (r->run_ms != 0)
		p = (double)(rte_rdtsc() - r->start_tsc) /
		    ((double)r->run_ms * (double)rte_get_tsc_hz() / 1000.0);
	else
		p = ((double)r->pass + (double)r->next / (double)r->n) / (double)r->loops;
	return p > 1.0 ? 1.0 : p;
}

void
capture_replay_free(struct capture_replay *r)
{
	if (r == NULL)
		return;
	if (r->arena != NULL)
		munmap(r->arena, r->arena_size);
	free(r->rec);
	free(r->file_end);
	free(r);
}
