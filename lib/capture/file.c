/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * streamprobe's own reader of one capture file: the default input of
 * --pcap (the pcap PMD path stays available with --pcap-pmd).
 *
 * Why not the pcap PMD: net_pcap reads through libpcap's stdio stream,
 * whose buffer is the file system's block size (4 KiB here), so mix.pcap
 * (1.9 GB) costs ~480 k read() calls; it also drops each record's wire
 * length, which NFStream counts, so a second libpcap reader of the same
 * file (the "shadow") had to follow it. Reading and walking the file
 * here, in 256 KiB read() calls, and copying each frame into an mbuf as the
 * PMD does, took mix from 1.75 s to 0.97 s with DPI off, and to 0.71 s
 * with the read-ahead thread below (BENCHMARKS.md). read() rather than
 * mmap(): mmap walked mix ~10 % faster in a test program, but a file
 * truncated while mapped raises SIGBUS, which must not crash the probe.
 *
 * The file comes through its input (input.c), opened once at start-up
 * with its header already read: read() for a plain file, decompressed
 * bytes for a compressed one, a pipe's bytes as they come; nothing is ever
 * read twice or sought, so pipes and standard input work alike.
 *
 * The file is read into a ring mapped twice in a row (the same pages at
 * ring and ring + size), so a record that wraps around the end is still
 * contiguous and is never copied to be walked. With read_ahead, a control
 * thread does the read() calls, up to the ring's size ahead: the kernel's
 * copy out of the page cache (~0.2 s of mix) then runs on another CPU
 * than the lcore walking the records. Otherwise that lcore fills the ring
 * itself when it runs short.
 *
 * Only the plain case is walked here: a classic pcap file, version 2.4,
 * native byte order (or swapped with a link type that has no pseudo-header
 * libpcap would swap), every record complete and within the file's
 * snapshot length. Everything else is libpcap's, read through its own
 * API so that its rules (pcapng, old versions with swapped lengths,
 * oversized or cut records and their error messages) hold exactly:
 * a file that is not plain is read by libpcap from the start, and the
 * first record that is not plain hands the file over to libpcap from
 * that record's offset.
 *
 * Record times follow libpcap 1.10 opened at microsecond precision, as
 * NFStream opens it: tv_sec and tv_usec are signed 32-bit values in a file
 * of the machine's byte order but unsigned ones in a swapped file (its
 * byte swap yields unsigned values), and a nanosecond file's fraction is
 * divided by 1000 with C's truncating division. The tests hold every
 * record against libpcap's.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <pcap/pcap.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "capture_private.h"

#define FILE_BUF_SIZE (256u << 10)	/* a read() into the ring */
/* A power of 2. 8 MiB is ~7 ms of mix with DPI on: the read-ahead thread
 * shares the main lcore's CPU, and a 2 MiB ring still ran dry when it was
 * not scheduled for a while (~10^6 empty polls per run; none at 8 MiB). */
#define FILE_RING_SIZE (8u << 20)
/* the read-ahead thread's naps while the ring is full (file_reader()) */
#define FILE_NAP_MIN_NS 50000L
#define FILE_NAP_MAX_NS 1000000L
/* Frames are copied up to this many bytes (Ethernet's largest snapshot
 * length in libpcap): only link types the parser ignores anyway (D-Bus,
 * USB) have larger records, and a 128 MiB record would not fit the pool. */
#define FILE_FRAME_MAX 262144u
#define FILE_REC_HDR 16u
#define FILE_HDR 24u

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du

struct capture_file {
	struct capture_input *in;	/* the caller's */
	uint8_t hdr[FILE_HDR];	/* the file header, for a handover to libpcap */
	/* own walk */
	uint8_t *ring;		/* FILE_RING_SIZE bytes, mapped twice in a row */
	uint64_t head;		/* bytes of records consumed, from FILE_HDR on */
	uint64_t tail;		/* bytes read into the ring (the filler's) */
	int end;		/* the filler's last word: 0, 1 (EOF) or -errno */
	bool ahead;		/* the thread below fills the ring */
	bool stop;		/* tells it to stop */
	pthread_t thread;
	bool swapped;
	bool nsec;
	bool failed;		/* an error was reported: nothing more */
	uint32_t snap;
	/* libpcap, once it has the file (the input's) */
	pcap_t *pc;
	/* the record under the cursor */
	bool have;
	size_t rec_size;	/* own walk: header + caplen */
	struct pcap_pkthdr h;
	const uint8_t *data;
	char error[256];
};

static inline uint32_t
file_rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? rte_bswap32(v) : v;
}

/* libpcap swaps pseudo-headers of some link types in byte-swapped files;
 * the own walk takes swapped files only for link types without one. */
static bool
file_swap_safe(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_RAW || dlt == 228 /* IPV4 */ ||
	       dlt == 229 /* IPV6 */ || dlt == 101 /* LINKTYPE_RAW */;
}

/* The ring: FILE_RING_SIZE bytes of a memfd mapped twice, back to back. */
static uint8_t *
file_ring_map(void)
{
	uint8_t *base;
	int mfd;

	mfd = memfd_create("sp_capture_ring", MFD_CLOEXEC);
	if (mfd < 0)
		return NULL;
	base = ftruncate(mfd, FILE_RING_SIZE) == 0 ?
	       mmap(NULL, 2 * (size_t)FILE_RING_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0) : MAP_FAILED;
	if (base != MAP_FAILED &&
	    (mmap(base, FILE_RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd,
		  0) == MAP_FAILED ||
	     mmap(base + FILE_RING_SIZE, FILE_RING_SIZE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)) {
		munmap(base, 2 * (size_t)FILE_RING_SIZE);
		base = MAP_FAILED;
	}
	close(mfd);
	return base == MAP_FAILED ? NULL : base;
}

/* Bytes of the ring the filler may write: what the walker has consumed. */
static inline uint64_t
file_room(struct capture_file *f)
{
	return FILE_RING_SIZE - (__atomic_load_n(&f->tail, __ATOMIC_RELAXED) -
				 __atomic_load_n(&f->head, __ATOMIC_ACQUIRE));
}

/* One read() into the ring, of up to FILE_BUF_SIZE bytes of its room.
 * At the end of the file or on an error (not EINTR) it sets f->end, the
 * filler's last word. Called by one filler at a time. */
static void
file_fill(struct capture_file *f)
{
	uint64_t tail = __atomic_load_n(&f->tail, __ATOMIC_RELAXED);
	uint64_t room = file_room(f);
	ssize_t got;

	if (room == 0)
		return;
	/* a plain input's read() here; a compressed one decompresses into
	 * the ring (input.c) */
	got = capture_input_read(f->in, f->ring + (tail & (FILE_RING_SIZE - 1)),
				 RTE_MIN(room, FILE_BUF_SIZE));
	if (got > 0)
		__atomic_store_n(&f->tail, tail + (uint64_t)got, __ATOMIC_RELEASE);
	else if (got == 0)
		__atomic_store_n(&f->end, 1, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&f->end, -errno, __ATOMIC_RELEASE);
}

/* The read-ahead thread: keeps the ring full until the end of the file. */
static void *
file_reader(void *arg)
{
	struct capture_file *f = arg;
	struct timespec nap = { .tv_nsec = FILE_NAP_MIN_NS };

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&f->end, __ATOMIC_RELAXED) == 0) {
		/* While the ring is full the thread naps, twice as long each
		 * time it is still full, up to FILE_NAP_MAX_NS; a read brings
		 * the nap back to its shortest. A fixed 50 us nap woke the
		 * thread ~70 times per read on manyflows DPI on (the walker
		 * takes ~70 KiB per ms there): 5.5 s of CPU over a 50 s run on
		 * the CPU the management lcore shares. The walker takes at most
		 * ~1.1 MiB per ms (mix, DPI off), so a 1 ms nap leaves the 8 MiB
		 * ring more than 6 MiB ahead of it. */
		if (file_room(f) < FILE_BUF_SIZE) {
			nanosleep(&nap, NULL);
			nap.tv_nsec = RTE_MIN(nap.tv_nsec * 2, FILE_NAP_MAX_NS);
		} else {
			file_fill(f);
			nap.tv_nsec = FILE_NAP_MIN_NS;
		}
	}
	return NULL;
}

/* Stop the read-ahead thread and release the ring. */
static void
file_own_close(struct capture_file *f)
{
	if (f->ahead) {
		__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
		pthread_join(f->thread, NULL);
		f->ahead = false;
	}
	if (f->ring != NULL) {
		munmap(f->ring, 2 * (size_t)FILE_RING_SIZE);
		f->ring = NULL;
	}
}

/* Hand the file to libpcap: from its start when the own walk never had it,
 * else from the record under the cursor. The input may be a pipe, so
 * nothing is read again: libpcap gets the file header and what the ring
 * holds from the cursor on, then the input from where the walk left it. */
static int
file_to_libpcap(struct capture_file *f)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t tail;
	int ret = 0;

	if (f->ring != NULL) {
		if (f->ahead) {
			__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
			pthread_join(f->thread, NULL);
			f->ahead = false;
		}
		tail = __atomic_load_n(&f->tail, __ATOMIC_ACQUIRE);
		ret = capture_input_unread(f->in, f->hdr, FILE_HDR,
					   f->ring + (f->head & (FILE_RING_SIZE - 1)),
					   (size_t)(tail - f->head));
		file_own_close(f);
		if (ret != 0) {
			snprintf(f->error, sizeof(f->error), "%s: out of memory", f->in->name);
			return ret;
		}
	}
	f->pc = capture_input_pcap(f->in, errbuf);
	if (f->pc == NULL) {
		snprintf(f->error, sizeof(f->error), "%s: %.200s", f->in->name, errbuf);
		return -EIO;
	}
	return 0;
}

struct capture_file *
capture_file_open(struct capture_input *in, bool read_ahead, char *err, size_t errlen)
{
	struct capture_file *f;
	bool plain;

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "%s: out of memory", in->name);
		return NULL;
	}
	f->in = in;
	/* libpcap judged the file header at open (and gave the snapshot
	 * length as it adjusts it); the walk only needs to know it is plain.
	 * A classic pcap's peek is its header, exactly. */
	f->swapped = in->swapped;
	f->snap = in->snap;
	f->nsec = in->magic == PCAP_MAGIC_NS;
	plain = in->judged && !in->pcapng && in->peek_len == FILE_HDR && in->peek_off == 0 &&
		(in->magic == PCAP_MAGIC_US || in->magic == PCAP_MAGIC_NS) &&
		in->major == 2 && in->minor == 4 &&
		f->snap + FILE_REC_HDR <= FILE_RING_SIZE / 2 &&
		(!f->swapped || file_swap_safe(in->dlt));
	if (plain)
		f->ring = file_ring_map();
	if (f->ring != NULL) {
		memcpy(f->hdr, in->peek, FILE_HDR);
		in->peek_off = FILE_HDR;
		/* without the thread (none could start, or not asked for),
		 * the walker fills the ring itself */
		f->ahead = read_ahead &&
			   rte_ctrl_thread_create(&f->thread, "sp-read-ahead", NULL, file_reader,
						  f) == 0;
		return f;
	}
	if (file_to_libpcap(f) != 0) {
		snprintf(err, errlen, "%s", f->error);
		capture_file_close(f);
		return NULL;
	}
	return f;
}

static int
file_peek_libpcap(struct capture_file *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	r = capture_input_next(f->in, f->pc, &h, &data);
	if (r == 1) {
		f->h = *h;
		f->data = data;
		f->have = true;
		return 1;
	}
	if (r == PCAP_ERROR_BREAK)
		return 0;
	snprintf(f->error, sizeof(f->error), "%s: read error: %s", f->in->name,
		 f->in->error[0] != '\0' ? f->in->error : pcap_geterr(f->pc));
	return -EIO;
}

/* The ring does not hold the whole next record: wait for the filler, fill
 * it here, or see the end. Returns 1 when it now does, -EAGAIN (ahead:
 * not read yet), 0 (clean end), or whatever libpcap says of the rest. */
static int
file_short(struct capture_file *f)
{
	uint64_t avail, need;
	uint32_t caplen;
	int end;

	for (;;) {
		avail = __atomic_load_n(&f->tail, __ATOMIC_ACQUIRE) - f->head;
		if (avail >= FILE_REC_HDR) {
			caplen = file_rd32(f->ring + (f->head & (FILE_RING_SIZE - 1)) + 8,
					   f->swapped);
			/* oversized: libpcap decides (it is no use waiting for
			 * a record the ring might not hold) */
			if (caplen > f->snap)
				break;
			need = FILE_REC_HDR + caplen;
		} else {
			need = FILE_REC_HDR;
		}
		if (avail >= need)
			return 1;
		end = __atomic_load_n(&f->end, __ATOMIC_ACQUIRE);
		if (end < 0) {
			if (f->in->error[0] != '\0')
				snprintf(f->error, sizeof(f->error), "%s: read error: %s",
					 f->in->name, f->in->error);
			else
				snprintf(f->error, sizeof(f->error), "%s: read error: error "
					 "reading dump file: %s", f->in->name, strerror(-end));
			return -EIO;
		}
		if (end > 0) {
			/* the tail is final once the end is set */
			if (__atomic_load_n(&f->tail, __ATOMIC_ACQUIRE) - f->head > avail)
				continue;
			if (avail == 0)
				return 0;
			break;	/* a cut record: libpcap's message */
		}
		if (f->ahead) {
			/* Nothing to do until the thread has read more: give
			 * up the CPU rather than spin, in case the thread needs
			 * it (one CPU, or valgrind, which runs one thread at a
			 * time: a spinning walker starved the reader there);
			 * on a CPU of its own this returns at once. */
			sched_yield();
			return -EAGAIN;
		}
		file_fill(f);
	}
	if (file_to_libpcap(f) != 0)
		return -EIO;
	return file_peek_libpcap(f);
}

/* The record under the cursor (1), the same one until file_consume();
 * -EAGAIN when it is not read yet; 0 at the end of the file; or -EIO with
 * the message in f->error. Inline: the walk's per-record step. */
static __rte_always_inline int
file_peek(struct capture_file *f, struct pcap_pkthdr *h, const uint8_t **data)
{
	const uint8_t *p;
	uint64_t avail;
	uint32_t caplen;
	int ret;

	if (f->have)
		goto out;
	if (unlikely(f->failed))
		return -EIO;
	if (f->pc != NULL) {
		ret = file_peek_libpcap(f);
		goto done;
	}
	p = f->ring + (f->head & (FILE_RING_SIZE - 1));
	avail = __atomic_load_n(&f->tail, __ATOMIC_ACQUIRE) - f->head;
	if (unlikely(avail < FILE_REC_HDR ||
		     avail < FILE_REC_HDR + (uint64_t)file_rd32(p + 8, f->swapped) ||
		     file_rd32(p + 8, f->swapped) > f->snap)) {
		ret = file_short(f);
		if (ret != 1 || f->pc != NULL)
			goto done;
	}
	caplen = file_rd32(p + 8, f->swapped);
	if (likely(!f->swapped)) {
		f->h.ts.tv_sec = (int32_t)file_rd32(p, false);
		f->h.ts.tv_usec = (int32_t)file_rd32(p + 4, false);
	} else {
		f->h.ts.tv_sec = file_rd32(p, true);
		f->h.ts.tv_usec = file_rd32(p + 4, true);
	}
	if (f->nsec)
		f->h.ts.tv_usec /= 1000;
	f->h.caplen = caplen;
	f->h.len = file_rd32(p + 12, f->swapped);
	f->data = p + FILE_REC_HDR;
	f->rec_size = FILE_REC_HDR + caplen;
	f->have = true;
out:
	*h = f->h;
	*data = f->data;
	return 1;
done:
	if (ret == 1)
		goto out;
	f->failed = ret < 0 && ret != -EAGAIN;
	return ret;
}

static __rte_always_inline void
file_consume(struct capture_file *f)
{
	if (!f->have)
		return;
	f->have = false;
	if (f->pc == NULL)
		__atomic_store_n(&f->head, f->head + f->rec_size, __ATOMIC_RELEASE);
}

int
capture_file_rx(struct capture_file *f, struct rte_mempool *pool, int dlt,
		struct rte_mbuf **pkts, struct sp_rx_info *info, uint16_t n)
{
	struct pcap_pkthdr h;
	const uint8_t *data;
	uint16_t i;
	int r;

	/* nothing read yet (read-ahead behind), end or error: no mbuf taken */
	r = file_peek(f, &h, &data);
	if (r != 1)
		return r == -EAGAIN ? 0 : r == 0 ? -ENODATA : r;
	if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0)
		return 0;	/* pool empty: the workers still hold them */
	for (i = 0; i < n; i++) {
		if (i > 0 && file_peek(f, &h, &data) != 1)
			break;	/* the end, an error or a wait: seen on the next call */
		if (capture_copy_frame(pool, pkts[i], data, RTE_MIN(h.caplen, FILE_FRAME_MAX)) != 0)
			break;	/* this record comes again on the next call */
		info[i].ts_ms = capture_ts_ms(&h);
		info[i].wire_len = h.len;
		info[i].dlt = dlt;
		file_consume(f);
	}
	if (i < n)
		rte_pktmbuf_free_bulk(&pkts[i], n - i);
	return i;
}

const char *
capture_file_error(const struct capture_file *f)
{
	return f->error;
}

void
capture_file_close(struct capture_file *f)
{
	if (f == NULL)
		return;
	file_own_close(f);
	free(f);
}
