/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One input of --pcap: a file, standard input ("-"), a FIFO or any other
 * readable descriptor, plain or compressed (gzip, xz, zstd), opened once.
 *
 * Why once: an input was opened by name three times before (libpcap to
 * check it and learn its link type at start-up, libpcap again to judge its
 * header, then open() for the read), so a pipe, a FIFO or /dev/stdin lost
 * its first bytes to the check and read as "unknown file format". Now the
 * descriptor is opened at start-up and its first bytes are read once and
 * kept (the "peek"): exactly as many as libpcap needs to judge the header
 * (24 bytes of a classic pcap; a pcapng's section header and blocks up to
 * its first interface), so a live producer (tcpdump -w -) is not waited on
 * for more. libpcap judges them from memory (fmemopen()); every reader
 * then serves the kept bytes first and reads on from where the peek
 * stopped: the own walk (file.c) through capture_input_read(), libpcap
 * (pcapng, old or damaged files, the PMD's shadow, the replay) through a
 * stdio stream over the same function (fopencookie()).
 *
 * Compressed inputs are known by their magic bytes, never by name, and
 * decompressed here, inside capture_input_read(): the own walk decompresses
 * straight into its ring (with read-ahead, on the read-ahead thread's CPU)
 * and libpcap's stdio stream gets decompressed bytes. A decompressing
 * thread writing into a pipe would have cost a thread per input, a copy
 * through the kernel and a second read path; here a plain file's read is
 * the same read() into the ring as before, behind one branch per 256 KiB.
 *
 * A compressed regular file is not kept decompressing between start-up and
 * its turn (an xz decoder holds its dictionary, up to 64 MiB, and a
 * directory may hold hundreds of files): its decoder is freed after the
 * peek and restarted at its turn from the start of the same descriptor,
 * dropping the bytes the peek already holds. A pipe cannot be read again,
 * so its decoder stays.
 *
 * Interfaces of a pcapng: libpcap (1.10) takes one link type per file. At
 * the block describing an interface of another link type (or snapshot
 * length) pcap_next_ex() fails ("an interface has a type N different from
 * the type of the first interface") without saying which interface, and
 * then fails at every packet of that interface ("a packet arrived on
 * interface N, but there's no Interface Description Block for that
 * interface"), while the other interfaces' packets keep coming. NFStream
 * calls pcap_next_ex() again after an error (its meter loop passes over
 * -1), so it reads the first interface's packets and never sees the
 * others'. capture_input_next() does the same, and counts the packets it
 * passes over. The bytes handed to libpcap are followed block by block
 * (the block headers only) so that the warning can name the interface.
 */
#define _GNU_SOURCE	/* fopencookie() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "capture_private.h"

#define INPUT_ZBUF (256u << 10)	/* compressed bytes per read() */
/* The peek is never larger: a pcapng whose blocks before the first
 * interface need more is judged by libpcap on the stream itself. */
#define INPUT_PEEK_MAX (1u << 20)
/* libpcap's stdio buffer: with the default one (st_blksize, 4 KiB)
 * reading mix.pcap took ~480 k read() calls. */
#define INPUT_STDIO_BUF (1u << 20)

#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 1u
#define NG_BOM 0x1A2B3C4Du

static uint32_t
input_rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? rte_bswap32(v) : v;
}

static const char *
input_codec_name(enum capture_codec c)
{
	switch (c) {
	case CAPTURE_GZIP:
		return "gzip";
	case CAPTURE_XZ:
		return "xz";
	case CAPTURE_ZSTD:
		return "zstd";
	default:
		return "plain";
	}
}

const char *
capture_input_kind(const struct capture_input *in)
{
	if (in->codec != CAPTURE_PLAIN)
		return input_codec_name(in->codec);
	return in->regular ? "file" : "pipe";
}

/*
 * How many bytes of the start of a capture libpcap needs to judge it: 24
 * for a classic pcap; for a pcapng, its blocks up to and including the
 * first interface description; have bytes are at hand. Never less than
 * have + 1 until it is known.
 */
static size_t
input_need(const uint8_t *p, size_t have)
{
	size_t off, len;
	uint32_t magic, type;
	bool swapped;

	if (have < 4)
		return 4;
	memcpy(&magic, p, 4);
	if (magic != NG_SHB)
		return 24;	/* classic (or unknown: libpcap needs its 24 to say so) */
	if (have < 12)
		return 12;
	swapped = input_rd32(p + 8, false) != NG_BOM;
	off = 0;
	for (;;) {
		if (have < off + 8)
			return off + 8;
		type = input_rd32(p + off, swapped);
		len = input_rd32(p + off + 4, swapped);
		if (len < 12 || off + len > INPUT_PEEK_MAX)
			return off + 8;	/* libpcap will say what is wrong */
		if (have < off + len)
			return off + len;
		off += len;
		if (type == NG_IDB)
			return off;
	}
}

/* Follow the pcapng blocks in the bytes handed to libpcap (see above). */
static void
input_ng_scan(struct capture_input *in, const uint8_t *p, size_t n)
{
	struct capture_ng_scan *s = &in->ng;
	uint32_t type, len;
	uint16_t lt16;
	size_t k;
	int lt;

	while (n > 0 && !s->dead) {
		if (s->skip > 0) {
			k = RTE_MIN(s->skip, n);
			s->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		k = RTE_MIN(sizeof(s->hdr) - s->have, n);
		memcpy(s->hdr + s->have, p, k);
		s->have += (unsigned int)k;
		p += k;
		n -= k;
		if (s->have < sizeof(s->hdr))
			break;
		/* every block is at least 12 bytes: its type, its length and
		 * the first 4 bytes of its body (an SHB's byte order, an
		 * IDB's link type) */
		s->have = 0;
		type = input_rd32(s->hdr, s->swapped);
		if (type == NG_SHB) {
			s->swapped = input_rd32(s->hdr + 8, false) != NG_BOM;
			s->section++;
			s->n_if = 0;
		}
		len = input_rd32(s->hdr + 4, s->swapped);
		if (len < sizeof(s->hdr)) {
			s->dead = true;	/* damaged: libpcap says so */
			break;
		}
		s->skip = len - sizeof(s->hdr);
		if (type != NG_IDB)
			continue;
		memcpy(&lt16, s->hdr + 8, sizeof(lt16));
		lt = s->swapped ? rte_bswap16(lt16) : lt16;
		if (s->first_lt < 0)
			s->first_lt = lt;
		else if (lt != s->first_lt && s->bad_if < 0) {
			s->bad_if = (int)s->n_if;
			s->bad_lt = lt;
			s->bad_section = s->section;
		}
		s->n_if++;
	}
}

/* A pcapng link type's name: its DLT's, which is the same number but for
 * LINKTYPE_RAW (101, DLT_RAW's number differs between systems). */
static const char *
input_lt_name(int lt)
{
	return lt == 101 ? "RAW" : pcap_datalink_val_to_name(lt);
}

/* The first interface libpcap rejected, as a phrase: "pcapng interface 1
 * has link type 101 (RAW), interface 0 has 1 (EN10MB)"; or libpcap's own
 * words when it was not for its link type (its snapshot length). */
static void
input_rejected(const struct capture_input *in, char *msg, size_t len, const char *pcap_msg)
{
	const struct capture_ng_scan *s = &in->ng;
	const char *a, *b;
	char sect[32] = "";

	if (s->bad_if < 0) {
		snprintf(msg, len, "%s", pcap_msg);
		return;
	}
	a = input_lt_name(s->bad_lt);
	b = input_lt_name(s->first_lt);
	if (s->bad_section > 1)
		snprintf(sect, sizeof(sect), " of section %u", s->bad_section);
	snprintf(msg, len, "pcapng interface %d%s has link type %d (%s), interface 0 has %d (%s)",
		 s->bad_if, sect, s->bad_lt, a != NULL ? a : "unknown", s->first_lt,
		 b != NULL ? b : "unknown");
}

int
capture_input_next(struct capture_input *in, pcap_t *pc, struct pcap_pkthdr **h,
		   const u_char **data)
{
	const char *e;
	char msg[256];
	int r;

	for (;;) {
		r = pcap_next_ex(pc, h, data);
		if (likely(r != PCAP_ERROR) || !in->pcapng)
			return r;
		e = pcap_geterr(pc);
		if (strncmp(e, "an interface has a ", 19) == 0) {
			in->passed++;
			/* once per rejected interface, not per packet */
			if (in->rejected++ == 0) {
				input_rejected(in, msg, sizeof(msg), e);
				fprintf(stderr, "streamprobe: warning: %s: %s; libpcap, which NFStream "
					"reads files with, takes one link type per file: the packets "
					"of that interface are skipped\n", in->name, msg);
			}
			continue;
		}
		if (in->rejected > 0 && strncmp(e, "a packet arrived on interface ", 30) == 0) {
			in->passed++;
			in->skipped++;
			continue;
		}
		return r;
	}
}

void
capture_input_done(struct capture_input *in)
{
	char msg[256];

	if (in->rejected == 0)
		return;
	input_rejected(in, msg, sizeof(msg), "an interface with another snapshot length");
	fprintf(stderr, "streamprobe: warning: %s: %" PRIu64 " packets skipped, of %u pcapng "
		"interface%s libpcap rejected (the first: %s)\n", in->name, in->skipped,
		in->rejected, in->rejected > 1 ? "s" : "", msg);
	in->rejected = 0;	/* said once */
}

static int
input_fail(struct capture_input *in, const char *what)
{
	snprintf(in->error, sizeof(in->error), "%s: %s", input_codec_name(in->codec), what);
	errno = EIO;
	return -1;
}

#define XZ(in) ((lzma_stream *)(in)->xz)

static int
input_dec_init(struct capture_input *in)
{
	lzma_stream ls = LZMA_STREAM_INIT;

	switch (in->codec) {
	case CAPTURE_GZIP:
		in->gz = calloc(1, sizeof(*in->gz));
		/* 32: a gzip (or zlib) header, detected */
		if (in->gz == NULL || inflateInit2(in->gz, 15 + 32) != Z_OK) {
			free(in->gz);
			in->gz = NULL;
			return -1;
		}
		return 0;
	case CAPTURE_XZ:
		in->xz = malloc(sizeof(lzma_stream));
		if (in->xz == NULL)
			return -1;
		*XZ(in) = ls;
		/* concatenated streams, as xz -dc reads them */
		if (lzma_stream_decoder(XZ(in), UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			free(in->xz);
			in->xz = NULL;
			return -1;
		}
		return 0;
	case CAPTURE_ZSTD:
		in->zs = ZSTD_createDStream();
		return in->zs != NULL ? 0 : -1;
	default:
		return 0;
	}
}

static void
input_dec_end(struct capture_input *in)
{
	if (in->gz != NULL) {
		inflateEnd(in->gz);
		free(in->gz);
		in->gz = NULL;
	}
	if (in->xz != NULL) {
		lzma_end(XZ(in));
		free(in->xz);
		in->xz = NULL;
	}
	if (in->zs != NULL) {
		ZSTD_freeDStream(in->zs);
		in->zs = NULL;
	}
}

/* read() that counts what it read, for the progress. */
static ssize_t
input_raw_read(struct capture_input *in, void *buf, size_t n)
{
	ssize_t got;

	do
		got = read(in->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got > 0)
		__atomic_store_n(&in->raw, in->raw + (uint64_t)got, __ATOMIC_RELAXED);
	return got;
}

/* One decoding step from the compressed bytes at hand into out. Returns
 * the bytes produced (maybe 0), or -1 with the message in in->error. */
static ssize_t
input_dec_step(struct capture_input *in, uint8_t *out, size_t n)
{
	size_t avail = in->zlen - in->zoff;
	ZSTD_outBuffer zo = { out, n, 0 };
	ZSTD_inBuffer zi = { in->zbuf + in->zoff, avail, 0 };
	size_t zr;
	int r;

	switch (in->codec) {
	case CAPTURE_GZIP:
		in->gz->next_in = in->zbuf + in->zoff;
		in->gz->avail_in = (uInt)avail;
		in->gz->next_out = out;
		in->gz->avail_out = (uInt)n;
		r = inflate(in->gz, Z_NO_FLUSH);
		in->zoff = in->zlen - in->gz->avail_in;
		if (avail != in->gz->avail_in)
			in->mid = true;
		if (r == Z_STREAM_END) {
			/* a member ends; another may follow (gzip a b > ab) */
			in->mid = false;
			inflateReset(in->gz);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return input_fail(in, in->gz->msg != NULL ? in->gz->msg : "bad data");
		}
		return (ssize_t)(n - in->gz->avail_out);
	case CAPTURE_XZ:
		XZ(in)->next_in = in->zbuf + in->zoff;
		XZ(in)->avail_in = avail;
		XZ(in)->next_out = out;
		XZ(in)->avail_out = n;
		r = lzma_code(XZ(in), in->zeof && avail == 0 ? LZMA_FINISH : LZMA_RUN);
		in->zoff = in->zlen - XZ(in)->avail_in;
		in->mid = r != LZMA_STREAM_END;
		if (r == LZMA_MEM_ERROR)
			return input_fail(in, "out of memory");
		if (r == LZMA_BUF_ERROR && in->zeof && avail == 0)
			return input_fail(in, "compressed data is truncated");
		if (r != LZMA_OK && r != LZMA_STREAM_END && r != LZMA_BUF_ERROR)
			return input_fail(in, "compressed data is corrupt");
		in->xz_done = r == LZMA_STREAM_END;
		return (ssize_t)(n - XZ(in)->avail_out);
	case CAPTURE_ZSTD:
		zr = ZSTD_decompressStream(in->zs, &zo, &zi);
		in->zoff += zi.pos;
		if (ZSTD_isError(zr))
			return input_fail(in, ZSTD_getErrorName(zr));
		/* 0: a frame is decoded and flushed in full */
		if (zi.pos > 0 || zo.pos > 0)
			in->mid = zr != 0;
		return (ssize_t)zo.pos;
	default:
		return 0;
	}
}

/* The compressed buffer, consumed, refilled from the file. Returns 0, or
 * -1 with errno. */
static int
input_zfill(struct capture_input *in)
{
	ssize_t got;

	in->zoff = in->zlen = 0;
	got = input_raw_read(in, in->zbuf, INPUT_ZBUF);
	if (got < 0)
		return -1;
	in->zlen = (size_t)got;
	in->zeof = got == 0;
	return 0;
}

/* Decompressed bytes into buf: > 0, 0 at the end, -1 with errno. */
static ssize_t
input_decode(struct capture_input *in, uint8_t *buf, size_t n)
{
	uint8_t skip[4096];
	ssize_t got;

	if (unlikely(!in->decoding)) {
		/* a suspended regular file: its turn (see above) */
		if (in->zbuf == NULL)
			in->zbuf = malloc(INPUT_ZBUF);
		if (in->zbuf == NULL || input_dec_init(in) != 0)
			return input_fail(in, "out of memory for the decoder");
		in->decoding = true;
	}
	while (in->resume > 0) {
		got = input_dec_step(in, skip, RTE_MIN(in->resume, sizeof(skip)));
		if (got < 0)
			return -1;
		in->resume -= (size_t)got;
		if (got == 0 && in->zoff == in->zlen) {
			if (in->zeof)
				return input_fail(in, "the file changed since start-up");
			if (input_zfill(in) < 0)
				return -1;
		}
	}
	for (;;) {
		if (in->zoff == in->zlen && !in->zeof && input_zfill(in) < 0)
			return -1;
		if (in->xz_done)
			return 0;
		got = input_dec_step(in, buf, n);
		if (got != 0)
			return got;
		if (in->zoff == in->zlen && in->zeof) {
			if (in->codec == CAPTURE_XZ && !in->xz_done)
				continue;	/* LZMA_FINISH says the rest */
			if (in->mid)
				return input_fail(in, "compressed data is truncated");
			return 0;
		}
	}
}

ssize_t
capture_input_read(struct capture_input *in, void *buf, size_t n)
{
	size_t k;

	if (unlikely(in->peek_off < in->peek_len)) {
		k = RTE_MIN(n, in->peek_len - in->peek_off);
		memcpy(buf, in->peek + in->peek_off, k);
		in->peek_off += k;
		return (ssize_t)k;
	}
	if (likely(in->codec == CAPTURE_PLAIN))
		return input_raw_read(in, buf, n);
	return input_decode(in, buf, n);
}

/* libpcap's stdio stream over the input. */
static ssize_t
input_cookie_read(void *cookie, char *buf, size_t n)
{
	struct capture_input *in = cookie;
	ssize_t got = capture_input_read(in, buf, n);

	if (got > 0 && in->pcapng)
		input_ng_scan(in, (const uint8_t *)buf, (size_t)got);
	return got;
}

pcap_t *
capture_input_pcap(struct capture_input *in, char *errbuf)
{
	cookie_io_functions_t io = { .read = input_cookie_read };
	FILE *fp;

	if (in->pc != NULL)
		return in->pc;
	fp = fopencookie(in, "r", io);
	if (fp == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		return NULL;
	}
	in->pc_buf = malloc(INPUT_STDIO_BUF);
	if (in->pc_buf != NULL)
		setvbuf(fp, in->pc_buf, _IOFBF, INPUT_STDIO_BUF);
	in->pc = pcap_fopen_offline(fp, errbuf);
	if (in->pc == NULL) {
		fclose(fp);
		free(in->pc_buf);
		in->pc_buf = NULL;
	}
	return in->pc;
}

int
capture_input_unread(struct capture_input *in, const void *a, size_t alen, const void *b,
		     size_t blen)
{
	uint8_t *p = malloc(alen + blen);

	if (p == NULL)
		return -ENOMEM;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	free(in->peek);
	in->peek = p;
	in->peek_len = alen + blen;
	in->peek_off = 0;
	return 0;
}

/* Read the start of the input (decompressed) up to what libpcap needs. */
static int
input_peek(struct capture_input *in, char *err, size_t errlen)
{
	static const uint8_t gz[] = { 0x1f, 0x8b }, xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 },
			     zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	uint8_t magic[6];
	size_t have = 0, need;
	ssize_t got = 0;
	uint8_t *p;

	while (have < sizeof(magic) &&
	       (got = input_raw_read(in, magic + have, sizeof(magic) - have)) > 0)
		have += (size_t)got;
	if (have < sizeof(magic) && got < 0)
		goto rd_err;
	if (have >= sizeof(gz) && memcmp(magic, gz, sizeof(gz)) == 0)
		in->codec = CAPTURE_GZIP;
	else if (have >= sizeof(xz) && memcmp(magic, xz, sizeof(xz)) == 0)
		in->codec = CAPTURE_XZ;
	else if (have >= sizeof(zst) && memcmp(magic, zst, sizeof(zst)) == 0)
		in->codec = CAPTURE_ZSTD;
	if (in->codec != CAPTURE_PLAIN) {
		in->zbuf = malloc(INPUT_ZBUF);
		if (in->zbuf == NULL || input_dec_init(in) != 0) {
			snprintf(err, errlen, "%s: out of memory for the decoder", in->name);
			return -ENOMEM;
		}
		memcpy(in->zbuf, magic, have);
		in->zlen = have;
		in->zeof = have < sizeof(magic);
		in->decoding = true;
	}
	in->peek = malloc(INPUT_PEEK_MAX);
	if (in->peek == NULL) {
		snprintf(err, errlen, "%s: out of memory", in->name);
		return -ENOMEM;
	}
	if (in->codec == CAPTURE_PLAIN) {
		memcpy(in->peek, magic, have);
		in->peek_len = have;
		in->at_end = have < sizeof(magic);
	}
	/* exactly what is needed (a classic pcap's peek is its header) */
	while ((need = input_need(in->peek, in->peek_len)) > in->peek_len &&
	       need <= INPUT_PEEK_MAX) {
		if (in->at_end)
			break;	/* the whole input is shorter than its magic */
		got = in->codec == CAPTURE_PLAIN ?
		      input_raw_read(in, in->peek + in->peek_len, need - in->peek_len) :
		      input_decode(in, in->peek + in->peek_len, need - in->peek_len);
		if (got < 0)
			goto rd_err;
		if (got == 0) {
			in->at_end = true;
			break;
		}
		in->peek_len += (size_t)got;
	}
	p = realloc(in->peek, RTE_MAX(in->peek_len, (size_t)1));
	if (p != NULL)
		in->peek = p;
	return 0;
rd_err:
	if (in->error[0] != '\0')
		snprintf(err, errlen, "%s: %s", in->name, in->error);
	else
		snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
	return -EIO;
}

/* libpcap's verdict on the header, from the peek; or, when the peek cannot
 * tell (libpcap wants more than it holds), from the input itself. */
static int
input_judge(struct capture_input *in, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = NULL;
	uint32_t magic = 0;
	FILE *fp;

	fp = in->peek_len > 0 ? fmemopen(in->peek, in->peek_len, "r") : NULL;
	if (fp != NULL) {
		pc = pcap_fopen_offline(fp, errbuf);
		if (pc == NULL)
			fclose(fp);
	} else {
		snprintf(errbuf, sizeof(errbuf), "truncated dump file; tried to read 4 file "
			 "header bytes, only got 0");
	}
	if (in->peek_len >= 4)
		memcpy(&magic, in->peek, 4);
	in->pcapng = magic == NG_SHB;
	in->ng.first_lt = -1;
	in->ng.bad_if = -1;
	if (pc == NULL && !in->at_end && in->peek_len > 0) {
		/* libpcap wants more than the peek: let it read the input */
		pc = capture_input_pcap(in, errbuf);
		if (pc != NULL) {
			in->dlt = pcap_datalink(pc);
			return 0;
		}
	}
	if (pc == NULL) {
		snprintf(err, errlen, "%s: not a readable pcap/pcapng file (%s)", in->name,
			 errbuf);
		return -EINVAL;
	}
	in->dlt = pcap_datalink(pc);
	in->major = pcap_major_version(pc);
	in->minor = pcap_minor_version(pc);
	in->snap = (uint32_t)pcap_snapshot(pc);
	in->swapped = pcap_is_swapped(pc) == 1;
	in->magic = in->swapped ? rte_bswap32(magic) : magic;
	in->judged = true;
	pcap_close(pc);
	return 0;
}

struct capture_input *
capture_input_open(const char *path, char *err, size_t errlen)
{
	struct capture_input *in;
	struct stat sb;
	int ret;

	in = calloc(1, sizeof(*in));
	if (in == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	in->fd = -1;
	in->name = strdup(strcmp(path, "-") == 0 ? "standard input" : path);
	if (in->name == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(in);
		return NULL;
	}
	in->fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
		goto fail;
	}
	if (fstat(in->fd, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", in->name, strerror(EISDIR));
		goto fail;
	}
	in->regular = S_ISREG(sb.st_mode);
	in->size = in->regular ? (uint64_t)sb.st_size : 0;
	if (in->regular)
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	ret = input_peek(in, err, errlen);
	if (ret == 0)
		ret = input_judge(in, err, errlen);
	if (ret != 0)
		goto fail;
	if (in->codec != CAPTURE_PLAIN && in->regular && in->pc == NULL &&
	    lseek(in->fd, 0, SEEK_SET) == 0) {
		/* suspended until its turn (see above) */
		input_dec_end(in);
		free(in->zbuf);
		in->zbuf = NULL;
		in->decoding = false;
		in->resume = in->peek_len;	/* decoded again, dropped */
		in->zoff = in->zlen = 0;
		in->zeof = false;
		in->mid = false;
		in->xz_done = false;
		__atomic_store_n(&in->raw, 0, __ATOMIC_RELAXED);
	}
	return in;
fail:
	capture_input_close(in);
	return NULL;
}

void
capture_input_close(struct capture_input *in)
{
	if (in == NULL)
		return;
	if (in->pc != NULL)
		pcap_close(in->pc);	/* closes its stdio stream */
	free(in->pc_buf);
	input_dec_end(in);
	if (in->fd >= 0)
		close(in->fd);
	free(in->zbuf);
	free(in->peek);
	free(in->name);
	free(in);
}
