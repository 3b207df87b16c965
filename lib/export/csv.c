/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CSV exporter: NFStream's to_csv() byte for byte (streamer.py to_csv,
 * utils.py csv_converter). Rows are formatted straight into one large
 * buffer that is written out with write(2) when it cannot hold another
 * worst-case row, so a record costs no system call and no stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>

#include "export_private.h"

/* Large enough that a write(2) moves thousands of typical rows at once. */
#define CSV_BUF_MIN (256u * 1024)

struct csv_exporter {
	struct sp_exporter base;	/* first: the app only sees this */
	int fd;
	bool own_fd;			/* false for standard output */
	bool header_done;
	int first_err;			/* first -errno, reported again by close */
	uint16_t splt_n;
	unsigned int ncols;
	size_t header_len;
	size_t row_max;			/* upper bound of one row, newline included */
	size_t len;			/* bytes waiting in buf */
	size_t cap;
	char *buf;
	const struct sp_export_column *col[SP_EXPORT_MAX_COLUMNS];
};

/* Longest text of a column's value, quotes included (not the separator). */
static size_t
column_max_len(const struct sp_export_column *c, uint16_t splt_n)
{
	switch (c->type) {
	case SP_EXPORT_COLT_U8:
		return 3;
	case SP_EXPORT_COLT_I8:
		return 4;
	case SP_EXPORT_COLT_U16:
		return 5;
	case SP_EXPORT_COLT_U64:
		return SP_EXPORT_INT_MAX_LEN;
	case SP_EXPORT_COLT_F64:
		return SP_EXPORT_FLOAT_MAX_LEN;
	case SP_EXPORT_COLT_SRC_IP:
	case SP_EXPORT_COLT_DST_IP:
		return SP_EXPORT_IP_MAX_LEN + 2;
	case SP_EXPORT_COLT_MAC:
		return 17 + 2;
	case SP_EXPORT_COLT_OUI:
		return 8 + 2;
	case SP_EXPORT_COLT_STR:
		return 2 * (size_t)c->size + 2;
	case SP_EXPORT_COLT_SPLT_DIR:
		return 4 + (size_t)splt_n * (4 + 2);
	case SP_EXPORT_COLT_SPLT_PS:
		return 4 + (size_t)splt_n * (11 + 2);
	case SP_EXPORT_COLT_SPLT_PIAT:
		return 4 + (size_t)splt_n * (SP_EXPORT_INT_MAX_LEN + 2);
	default:
		return 0;
	}
}

/* Python's str(list of int): "[a, b, c]", inside the field's quotes. */
static char *
put_splt(char *p, const struct sp_flow_record *r, uint8_t type)
{
	uint16_t i, n = r->splt_n;

	*p++ = '"';
	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i > 0) {
			*p++ = ',';
			*p++ = ' ';
		}
		if (type == SP_EXPORT_COLT_SPLT_DIR)
			p += sp_export_fmt_i64(p, sp_record_splt_direction(r)[i]);
		else if (type == SP_EXPORT_COLT_SPLT_PS)
			p += sp_export_fmt_i64(p, sp_record_splt_ps(r)[i]);
		else
			p += sp_export_fmt_i64(p, sp_record_splt_piat(r)[i]);
	}
	*p++ = ']';
	*p++ = '"';
	return p;
}

/* One row, newline included; dst has row_max bytes. */
static size_t
format_row(const struct csv_exporter *c, const struct sp_flow_record *r, char *dst)
{
	const uint8_t *base = (const uint8_t *)r;
	bool v4 = r->st.ip_version == 4;	/* lib_engine.c: anything else is IPv6 */
	char *p = dst;
	unsigned int i;

	for (i = 0; i < c->ncols; i++) {
		const struct sp_export_column *col = c->col[i];
		const void *v = base + col->offset;

		switch (col->type) {
		case SP_EXPORT_COLT_U8:
			p += sp_export_fmt_u64(p, *(const uint8_t *)v);
			break;
		case SP_EXPORT_COLT_I8:
			p += sp_export_fmt_i64(p, *(const int8_t *)v);
			break;
		case SP_EXPORT_COLT_U16:
			p += sp_export_fmt_u64(p, *(const uint16_t *)v);
			break;
		case SP_EXPORT_COLT_U64:
			p += sp_export_fmt_u64(p, *(const uint64_t *)v);
			break;
		case SP_EXPORT_COLT_F64:
			p += sp_export_fmt_pyfloat(p, *(const double *)v);
			break;
		case SP_EXPORT_COLT_SRC_IP:
		case SP_EXPORT_COLT_DST_IP:
			*p++ = '"';
			p += sp_export_fmt_ip(p, v, v4);
			*p++ = '"';
			break;
		case SP_EXPORT_COLT_MAC:
			*p++ = '"';
			p += sp_export_fmt_mac(p, v, 6);
			*p++ = '"';
			break;
		case SP_EXPORT_COLT_OUI:
			*p++ = '"';
			p += sp_export_fmt_mac(p, v, 3);
			*p++ = '"';
			break;
		case SP_EXPORT_COLT_STR:
			*p++ = '"';
			p += sp_export_fmt_pystr(p, v, col->size);
			*p++ = '"';
			break;
		default:
			p = put_splt(p, r, col->type);
			break;
		}
		*p++ = ',';
	}
	p[-1] = '\n';
	return (size_t)(p - dst);
}

static size_t
format_header(const struct sp_export_column *const *col, unsigned int n, char *dst)
{
	char *p = dst;
	unsigned int i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(col[i]->name);

		if (i > 0)
			*p++ = ',';
		memcpy(p, col[i]->name, l);
		p += l;
	}
	return (size_t)(p - dst);
}

/* Write out the whole buffer. On failure the unwritten tail is kept for a retry. */
static int
csv_drain(struct csv_exporter *c)
{
	size_t off = 0;
	int ret = 0;

	while (off < c->len) {
		ssize_t w = write(c->fd, c->buf + off, c->len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (w == 0) {
			/* A regular file that accepts nothing is full. */
			ret = -ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (off > 0 && off < c->len)
		memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	if (ret < 0 && c->first_err == 0)
		c->first_err = ret;
	return ret;
}

static int
csv_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct csv_exporter *c = (struct csv_exporter *)e;
	size_t need = c->row_max;
	int ret;

	/* The row bound was computed for the run's SPLT length. */
	if (unlikely(r->splt_n != c->splt_n))
		return -EINVAL;
	if (unlikely(!c->header_done))
		need += c->header_len + 1;
	if (c->cap - c->len < need) {
		ret = csv_drain(c);
		if (ret < 0)
			return ret;
	}
	/* Like to_csv(), the header comes with the first flow: no flow, empty file. */
	if (unlikely(!c->header_done)) {
		c->len += format_header(c->col, c->ncols, c->buf + c->len);
		c->buf[c->len++] = '\n';
		c->header_done = true;
	}
	c->len += format_row(c, r, c->buf + c->len);
	return 0;
}

static int
csv_flush(struct sp_exporter *e)
{
	return csv_drain((struct csv_exporter *)e);
}

static int
csv_close(struct sp_exporter *e)
{
	struct csv_exporter *c = (struct csv_exporter *)e;
	int ret;

	csv_drain(c);
	if (c->own_fd && close(c->fd) != 0 && c->first_err == 0)
		c->first_err = -errno;
	ret = c->first_err;
	free(c->buf);
	free(c);
	return ret;
}

static const struct sp_exporter_ops csv_ops = {
	.name = "csv",
	.write = csv_write,
	.flush = csv_flush,
	.close = csv_close,
};

struct sp_exporter *
sp_export_csv_open(const char *path, const struct sp_columns *cols)
{
	struct csv_exporter *c;
	size_t row = 0, hdr = 0;
	unsigned int i;

	if (path == NULL || cols == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->base.ops = &csv_ops;
	c->splt_n = cols->splt_n;
	c->ncols = sp_export_columns_select(cols, c->col);
	for (i = 0; i < c->ncols; i++) {
		row += column_max_len(c->col[i], cols->splt_n) + 1;
		hdr += strlen(c->col[i]->name) + 1;
	}
	c->row_max = row;
	c->header_len = hdr;
	/* Twice the worst case so that huge SPLT rows still share a write. */
	c->cap = RTE_MAX((size_t)CSV_BUF_MIN, 2 * (row + hdr + 1));
	c->buf = malloc(c->cap);
	if (c->buf == NULL) {
		free(c);
		rte_errno = ENOMEM;
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		c->fd = STDOUT_FILENO;
	} else {
		c->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->fd < 0) {
			int err = errno;

			free(c->buf);
			free(c);
			rte_errno = err;
			return NULL;
		}
		c->own_fd = true;
	}
	return &c->base;
}

size_t
sp_export_csv_header(const struct sp_columns *cols, char *buf, size_t len)
{
	const struct sp_export_column *col[SP_EXPORT_MAX_COLUMNS];
	unsigned int i, n = sp_export_columns_select(cols, col);
	size_t need = 0;

	for (i = 0; i < n; i++)
		need += strlen(col[i]->name) + (i > 0);
	if (len < need + 1)
		return 0;
	format_header(col, n, buf);
	buf[need] = '\0';
	return need;
}
