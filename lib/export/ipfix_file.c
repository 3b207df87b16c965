/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX files (RFC 5655): the transport behind "file:PATH".
 *
 * Messages are built in place in a 1 MiB buffer that leaves by write(2)
 * when full, on flush and at close. Each file starts with the templates and
 * is a Transport Session of its own (sequence numbers from 0). With
 * --ipfix-rotate-size or --ipfix-rotate-time, PATH.000000, PATH.000001, ...
 * follow one another. A failed write cuts the file short, at its last
 * whole message: what follows is dropped (and counted) until the next
 * file, and the error is what write, flush and close return.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipfix_private.h"

#define FILE_BUF (1u << 20)

struct file_exporter {
	struct sp_ipfix_exporter x;	/* first: the exporter allocates this */
	int fd;
	char *path;
	bool rotate;
	uint32_t file_no;
	uint8_t *fbuf;
	size_t flen;
	uint32_t fbuf_nrec;		/* records in fbuf not yet written */
	uint64_t file_bytes;
	uint64_t written;		/* bytes of the file written: whole messages */
	uint64_t file_start_ms;
};

static inline struct file_exporter *
file_of(struct sp_ipfix_exporter *x)
{
	return (struct file_exporter *)x;
}

static int
file_open_next(struct file_exporter *f)
{
	struct sp_ipfix_exporter *x = &f->x;
	char name[PATH_MAX];
	const char *path = f->path;

	if (f->rotate) {
		if ((size_t)snprintf(name, sizeof(name), "%s.%06u", f->path, f->file_no) >=
		    sizeof(name))
			return -ENAMETOOLONG;
		path = name;
	}
	/* 0666: the user's umask decides who may read the flows */
	f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (f->fd < 0)
		return -errno;
	f->written = 0;
	f->file_no++;
	x->st.files++;
	x->dead = false;
	f->file_bytes = 0;
	f->file_start_ms = sp_ipfix_mono_ms();
	/* Each file is a Transport Session of its own (RFC 5655 §6). */
	x->seq = 0;
	sp_ipfix_tmpl_stamp(x, 0);
	memcpy(f->fbuf + f->flen, x->tmsg, x->tmsg_total);
	f->flen += x->tmsg_total;
	f->file_bytes += x->tmsg_total;
	x->st.messages += x->n_tmsg;
	x->st.bytes += x->tmsg_total;
	x->st.template_sends++;
	return 0;
}

/*
 * Whole messages at the start of fbuf[0, n), n < flen: the bytes they span
 * and the data records in them: the sequence number of the first message
 * left out less the first one's (each counts the records before it, RFC
 * 7011 §3.1; fbuf holds whole messages of one file).
 */
static size_t
file_whole_msgs(const struct file_exporter *f, size_t n, uint32_t *nrec)
{
	size_t off = 0, len;

	while (off + SP_IPFIX_MSG_HDR_LEN <= n) {
		len = ((size_t)f->fbuf[off + 2] << 8) | f->fbuf[off + 3];
		if (len < SP_IPFIX_MSG_HDR_LEN || off + len > n)
			break;
		off += len;
	}
	*nrec = off > 0 ? sp_ipfix_get32(f->fbuf + off + 8) - sp_ipfix_get32(f->fbuf + 8) : 0;
	return off;
}

/*
 * Write the buffer out. A failure leaves the file cut short, at the end of
 * its last whole message (a collector reading it would otherwise fail on
 * the half one, and lose the file): nothing more goes to it.
 */
static int
file_drain(struct file_exporter *f)
{
	struct sp_ipfix_exporter *x = &f->x;
	size_t off = 0, keep;
	uint32_t kept = 0;
	int ret = 0;

	while (off < f->flen && !x->dead && f->fd >= 0) {
		ssize_t w = write(f->fd, f->fbuf + off, f->flen - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = w < 0 ? -errno : -ENOSPC;
			x->dead = true;
			break;
		}
		off += (size_t)w;
	}
	if (ret < 0 && off > 0) {
		keep = file_whole_msgs(f, off, &kept);
		if (keep < off && ftruncate(f->fd, (off_t)(f->written + keep)) != 0)
			keep = off, kept = 0;	/* cannot cut: counted lost all the same */
		f->written += keep;
		f->fbuf_nrec -= kept;
	} else {
		f->written += off;
	}
	if (ret < 0 || x->dead || f->fd < 0) {
		if (f->fbuf_nrec > 0) {
			x->st.records_dropped += f->fbuf_nrec;
			x->loss_kind = SP_IPFIX_LOSS_FILE;
			x->loss_err = ret < 0 ? -ret : -x->first_err;
		}
		if (ret < 0)
			sp_ipfix_set_err(x, ret);
		else if (f->flen > 0)
			ret = x->first_err != 0 ? x->first_err : -EIO;
	}
	f->flen = 0;
	f->fbuf_nrec = 0;
	return ret;
}

static int
file_rotate_if_due(struct file_exporter *f)
{
	const struct sp_ipfix_params *p = &f->x.p;
	bool due = false;
	int ret;

	if (!f->rotate)
		return 0;
	if (p->rotate_bytes != 0 && f->file_bytes >= p->rotate_bytes)
		due = true;
	if (p->rotate_s != 0 && sp_ipfix_mono_ms() - f->file_start_ms >= p->rotate_s * 1000ull)
		due = true;
	if (!due)
		return 0;
	ret = file_drain(f);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	ret = file_open_next(f);
	if (ret < 0) {
		sp_ipfix_set_err(&f->x, ret);
		f->x.dead = true;
	}
	return ret;
}

static int
file_open(struct sp_ipfix_exporter *x, const char *path)
{
	struct file_exporter *f = file_of(x);
	int ret;

	f->fd = -1;
	if (path[0] == '\0')
		return -EINVAL;
	f->path = strdup(path);
	if (f->path == NULL)
		return -ENOMEM;
	f->rotate = x->p.rotate_bytes != 0 || x->p.rotate_s != 0;
	x->msg_limit = SP_IPFIX_MSG_MAX;
	x->msg_cap = SP_IPFIX_MSG_MAX;
	if (SP_IPFIX_MSG_HDR_LEN + SP_IPFIX_SET_HDR_LEN + sp_ipfix_rec_max(x) > x->msg_limit)
		return -E2BIG;
	ret = sp_ipfix_tmpl_build(x, SP_IPFIX_MSG_MAX);
	if (ret < 0)
		return ret;
	f->fbuf = malloc(FILE_BUF);
	if (f->fbuf == NULL)
		return -ENOMEM;
	return file_open_next(f);
}

static uint8_t *
file_begin(struct sp_ipfix_exporter *x)
{
	struct file_exporter *f = file_of(x);

	if (FILE_BUF - f->flen < x->msg_limit)
		file_drain(f);
	return f->fbuf + f->flen;
}

static void
file_write(struct sp_ipfix_exporter *x, uint8_t *m, size_t len, uint32_t nrec)
{
	struct file_exporter *f = file_of(x);

	(void)m;	/* built in place at fbuf + flen */
	if (x->dead || f->fd < 0) {
		sp_ipfix_lose(x, nrec, SP_IPFIX_LOSS_FILE, -x->first_err);
	} else {
		f->flen += len;
		f->fbuf_nrec += nrec;
		f->file_bytes += len;
		x->st.messages++;
		x->st.bytes += len;
	}
	file_rotate_if_due(f);
}

static int
file_flush(struct sp_ipfix_exporter *x)
{
	struct file_exporter *f = file_of(x);
	int ret;

	ret = file_drain(f);
	if (ret == 0)
		ret = file_rotate_if_due(f);
	return ret;
}

static void
file_close(struct sp_ipfix_exporter *x)
{
	struct file_exporter *f = file_of(x);

	file_drain(f);
	if (f->fd >= 0 && close(f->fd) != 0)
		sp_ipfix_set_err(x, -errno);
	f->fd = -1;
}

static void
file_release(struct sp_ipfix_exporter *x)
{
	struct file_exporter *f = file_of(x);

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->fbuf);
	free(f->path);
}

const struct sp_ipfix_transport_ops sp_ipfix_file = {
	.scheme = "file:",
	.size = sizeof(struct file_exporter),
	.open = file_open,
	.begin = file_begin,
	.write = file_write,
	.flush = file_flush,
	.close = file_close,
	.release = file_release,
	.stats = NULL,
};
