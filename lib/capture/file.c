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
 * here, in 1 MiB read() calls, and copying each frame into an mbuf as the
 * PMD does, took mix from 1.75 s to 1.0 s with DPI off (BENCHMARKS.md).
 * read() rather than mmap(): mmap walked mix ~10 % faster in a test
 * program, but a file truncated while mapped raises SIGBUS, and read()
 * also works on pipes.
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
 * Record times follow libpcap opened at microsecond precision, as NFStream
 * opens it: tv_sec and tv_usec are signed 32-bit values, and a nanosecond
 * file's fraction is divided by 1000 with C's truncating division.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include <pcap/pcap.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "capture_private.h"

#define FILE_BUF_SIZE (1u << 20)
#define FILE_REC_HDR 16u
#define FILE_HDR 24u

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du

struct capture_file {
	char path[PATH_MAX];
	/* own walk */
	int fd;
	uint8_t *buf;
	size_t len;		/* bytes valid in buf */
	size_t off;		/* current record in buf */
	uint64_t buf_pos;	/* file offset of buf[0] */
	bool swapped;
	bool nsec;
	bool eof;		/* read() returned 0 */
	bool failed;		/* an error was reported: nothing more */
	uint32_t snap;
	/* libpcap, once it has the file */
	pcap_t *pc;
	FILE *fp;
	char *fp_buf;
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

/* Hand the file to libpcap, positioned at pos (0: from its start). */
static int
file_to_libpcap(struct capture_file *f, uint64_t pos)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	f->fp = fopen(f->path, "rb");
	if (f->fp == NULL) {
		snprintf(f->error, sizeof(f->error), "%s: %s", f->path, strerror(errno));
		return -EIO;
	}
	/* as the shadow reader: a large stdio buffer, not st_blksize */
	f->fp_buf = malloc(FILE_BUF_SIZE);
	if (f->fp_buf != NULL)
		setvbuf(f->fp, f->fp_buf, _IOFBF, FILE_BUF_SIZE);
	f->pc = pcap_fopen_offline(f->fp, errbuf);
	if (f->pc == NULL) {
		fclose(f->fp);
		f->fp = NULL;
		snprintf(f->error, sizeof(f->error), "%s: %s", f->path, errbuf);
		return -EIO;
	}
	if (pos != 0 && fseeko(f->fp, (off_t)pos, SEEK_SET) != 0) {
		snprintf(f->error, sizeof(f->error), "%s: seek: %s", f->path, strerror(errno));
		return -EIO;
	}
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	free(f->buf);
	f->buf = NULL;
	return 0;
}

struct capture_file *
capture_file_open(const char *path, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capture_file *f;
	uint8_t hdr[FILE_HDR];
	uint32_t magic;
	bool plain = false;
	ssize_t got;
	pcap_t *pc;
	int dlt = -1, major = 0, minor = 0;

	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	f->fd = -1;
	snprintf(f->path, sizeof(f->path), "%s", path);
	/* libpcap judges the file header (and gives the snapshot length as
	 * it adjusts it); the walk only needs to know it is plain */
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", path, errbuf);
		free(f);
		return NULL;
	}
	dlt = pcap_datalink(pc);
	major = pcap_major_version(pc);
	minor = pcap_minor_version(pc);
	f->snap = (uint32_t)pcap_snapshot(pc);
	f->swapped = pcap_is_swapped(pc) == 1;
	pcap_close(pc);

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd >= 0) {
		got = read(f->fd, hdr, sizeof(hdr));
		if (got == (ssize_t)sizeof(hdr)) {
			magic = file_rd32(hdr, false);
			if (f->swapped)
				magic = rte_bswap32(magic);
			f->nsec = magic == PCAP_MAGIC_NS;
			plain = (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) &&
				major == 2 && minor == 4 &&
				f->snap + FILE_REC_HDR <= FILE_BUF_SIZE / 2 &&
				(!f->swapped || file_swap_safe(dlt));
		}
	}
	if (plain) {
		f->buf = malloc(FILE_BUF_SIZE);
		plain = f->buf != NULL;
	}
	if (plain) {
		posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		f->buf_pos = FILE_HDR;
		return f;
	}
	if (file_to_libpcap(f, 0) != 0) {
		snprintf(err, errlen, "%s", f->error);
		capture_file_close(f);
		return NULL;
	}
	return f;
}

/* Move the unread tail to the front and fill the buffer. */
static int
file_refill(struct capture_file *f)
{
	size_t rest = f->len - f->off;
	ssize_t got;

	memmove(f->buf, f->buf + f->off, rest);
	f->buf_pos += f->off;
	f->len = rest;
	f->off = 0;
	while (f->len < FILE_BUF_SIZE && !f->eof) {
		got = read(f->fd, f->buf + f->len, FILE_BUF_SIZE - f->len);
		if (got > 0) {
			f->len += (size_t)got;
		} else if (got == 0) {
			f->eof = true;
		} else if (errno != EINTR) {
			snprintf(f->error, sizeof(f->error), "%s: read error: error reading dump "
				 "file: %s", f->path, strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static int
file_peek_libpcap(struct capture_file *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	r = pcap_next_ex(f->pc, &h, &data);
	if (r == 1) {
		f->h = *h;
		f->data = data;
		f->have = true;
		return 1;
	}
	if (r == PCAP_ERROR_BREAK)
		return 0;
	snprintf(f->error, sizeof(f->error), "%s: read error: %s", f->path, pcap_geterr(f->pc));
	return -EIO;
}

int
capture_file_peek(struct capture_file *f, struct pcap_pkthdr *h, const uint8_t **data)
{
	const uint8_t *p;
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
	if (f->len - f->off < FILE_REC_HDR ||
	    f->len - f->off < FILE_REC_HDR + file_rd32(f->buf + f->off + 8, f->swapped)) {
		if (f->eof && f->len == f->off)
			return 0;
		ret = file_refill(f);
		if (ret != 0)
			goto done;
		if (f->len == 0)
			return 0;
	}
	p = f->buf + f->off;
	caplen = f->len - f->off >= FILE_REC_HDR ? file_rd32(p + 8, f->swapped) : UINT32_MAX;
	if (unlikely(caplen > f->snap || f->len - f->off < FILE_REC_HDR + caplen)) {
		/* not plain (oversized, or cut by the end of the file):
		 * libpcap decides, from this record on */
		ret = file_to_libpcap(f, f->buf_pos + f->off);
		if (ret == 0)
			ret = file_peek_libpcap(f);
		goto done;
	}
	f->h.ts.tv_sec = (int32_t)file_rd32(p, f->swapped);
	f->h.ts.tv_usec = (int32_t)file_rd32(p + 4, f->swapped);
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
	f->failed = ret < 0;
	return ret;
}

void
capture_file_consume(struct capture_file *f)
{
	if (!f->have)
		return;
	f->have = false;
	if (f->pc == NULL)
		f->off += f->rec_size;
}

uint64_t
capture_file_offset(const struct capture_file *f)
{
	off_t pos;

	if (f->fp != NULL) {
		pos = ftello(f->fp);
		return pos > 0 ? (uint64_t)pos : 0;
	}
	return f->buf_pos + f->off;
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
	if (f->pc != NULL)
		pcap_close(f->pc);	/* closes fp */
	else if (f->fp != NULL)
		fclose(f->fp);
	free(f->fp_buf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f);
}
