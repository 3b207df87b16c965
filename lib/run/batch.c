/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batch (sp_batch.h): captures spread over the workers, one output each.
 *
 * Worker lcore:  take capture k → reset (not before its first) → open →
 *                [begin k] → records → flush → [end k] → take the next
 * Main lcore:    drain each worker's export ring in order: begin opens
 *                k's export set, a record goes to the set of the capture
 *                its worker is on, end closes it and counts k.
 *
 * The markers are the addresses of two bytes of the capture's own entry
 * (batch_cap), which no record pointer can equal; what the worker wrote
 * in the entry before an end marker is visible to the main lcore when it
 * dequeues the marker (the ring's release/acquire).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <sp_capture.h>
#include <sp_common.h>
#include <sp_filter.h>
#include <sp_parse.h>

#include "sp_batch.h"
#include "sp_run.h"
#include "sp_source.h"

#define BATCH_ERR_LEN 768

/* One capture: its names, what its worker wrote at its end, what the main
 * lcore made of its output. */
struct batch_cap {
	char *path;			/* as listed */
	const char *name;		/* its base name, in path */
	char *out;			/* out_dir/<name>.csv */
	/* the markers (their addresses) */
	uint8_t begin_mark;
	uint8_t end_mark;
	/* written by the worker before the end marker */
	unsigned int worker;
	bool opened;			/* the capture opened: an output was made */
	int status;			/* 0, or -errno: not opened, or a read error */
	char err[BATCH_ERR_LEN];
	struct sp_worker_stats ws;
	struct sp_capture_stats cs;
	/* the main lcore's */
	bool ended;			/* its end marker came */
	int out_status;			/* 0, or -errno: its output failed */
	struct sp_export_set_stats es;
};

struct batch_worker {
	struct sp_batch *b;
	struct sp_worker *w;
	unsigned int id;
	unsigned int lcore;
	struct rte_mempool *pool;	/* its own reader's mbufs */
	bool used;			/* read a capture: reset before the next */
	int reset_error;		/* sp_worker_reset() failed: the worker stopped */
	/* main lcore → worker: 1 + the capture to stop reading (max_nflows
	 * reached, its output failed), 0: none */
	uint32_t stop_cap;
	volatile bool done;		/* no capture left for it, its ring has all */
	/* the main lcore's */
	struct batch_cap *cur;		/* the capture whose output is open */
	struct sp_export_set *set;	/* that output, NULL when it failed */
	bool stop_asked;
};

struct sp_batch {
	struct sp_batch_params p;
	struct batch_cap *caps;
	unsigned int n;
	uint32_t next;			/* the next capture to take (atomic) */
	volatile bool stop;
	struct batch_worker bw[SP_MAX_WORKERS];
	struct sp_worker *w[SP_MAX_WORKERS];	/* bw[i].w, for the idle wait */
	unsigned int n_ended;
	double launch_s, joined_s;
	uint64_t status_tsc;
	bool tty;			/* a status line is on standard error */
};

size_t
sp_batch_heap_size(unsigned int n_workers)
{
	return (size_t)n_workers * sp_source_mbufs_heap_size(SP_SOURCE_MBUFS_OWN_READER);
}

/* --- the list of captures and their outputs ------------------------------ */

static int
batch_add(struct sp_batch *b, unsigned int *cap, const char *dir, const char *file)
{
	struct batch_cap *c;
	size_t len = strlen(file) + (dir != NULL ? strlen(dir) + 1 : 0) + 1;

	if (b->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		c = realloc(b->caps, sizeof(*c) * *cap);
		if (c == NULL)
			return -ENOMEM;
		b->caps = c;
	}
	c = &b->caps[b->n];
	memset(c, 0, sizeof(*c));
	c->path = malloc(len);
	if (c->path == NULL)
		return -ENOMEM;
	if (dir != NULL)
		snprintf(c->path, len, "%s/%s", dir, file);
	else
		snprintf(c->path, len, "%s", file);
	c->name = strrchr(c->path, '/') != NULL ? strrchr(c->path, '/') + 1 : c->path;
	b->n++;
	return 0;
}

/* Byte order, whatever the locale, as the capture module lists a directory. */
static int
batch_dirent_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
batch_dirent_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Each input a capture, a directory its regular files (symbolic links to
 * them included), as --pcap reads a directory. */
static int
batch_list(struct sp_batch *b, char *err, size_t errlen)
{
	const struct sp_config *cfg = b->p.cfg;
	struct dirent **list;
	unsigned int i, cap = 0, before;
	char path[PATH_MAX];
	struct stat sb;
	int n, j, ret = 0;

	for (i = 0; i < cfg->n_pcaps && ret == 0; i++) {
		const char *f = cfg->pcaps[i];
		/* trailing slashes would make an empty base name */
		char dir[PATH_MAX];
		size_t len;

		if (stat(f, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			ret = batch_add(b, &cap, NULL, f);	/* opened (or not) by its worker */
			continue;
		}
		snprintf(dir, sizeof(dir), "%s", f);
		len = strlen(dir);
		while (len > 1 && dir[len - 1] == '/')
			dir[--len] = '\0';
		n = scandir(dir, &list, batch_dirent_visible, batch_dirent_cmp);
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", f, strerror(errno));
			return -errno;
		}
		before = b->n;
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", dir, list[j]->d_name);
			if (ret == 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
				ret = batch_add(b, &cap, dir, list[j]->d_name);
			free(list[j]);
		}
		free(list);
		if (ret == 0 && b->n == before) {
			snprintf(err, errlen, "%s %s: a directory without capture files (it reads "
				 "the regular files not starting with '.')",
				 cfg->pcap_dir != NULL && strcmp(f, cfg->pcap_dir) == 0 ?
				 "--pcap-dir" : "--pcap", f);
			return -ENOENT;
		}
	}
	if (ret != 0)
		snprintf(err, errlen, "out of memory for the list of captures");
	return ret;
}

/* A file's identity, to find an output that is an input. */
struct batch_file_id {
	dev_t dev;
	ino_t ino;
	unsigned int cap;
};

static int
batch_id_cmp(const void *a, const void *b)
{
	const struct batch_file_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int
batch_name_cmp(const void *a, const void *b)
{
	const struct batch_cap *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* The outputs: out_dir made if absent; no two captures of one name (their
 * outputs would be one file), none over an input, none over an existing
 * file without --overwrite. All before anything is read: a batch of
 * thousands must not stop at the 900th. */
static int
batch_outputs(struct sp_batch *b, char *err, size_t errlen)
{
	const struct sp_config *cfg = b->p.cfg;
	struct batch_file_id *ids;
	struct batch_cap **by_name;
	struct stat sb, si;
	unsigned int i, k;
	size_t len;

	if (mkdir(cfg->out_dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--out-dir %s: %s", cfg->out_dir, strerror(errno));
		return -errno;
	}
	if (stat(cfg->out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "--out-dir %s: not a directory", cfg->out_dir);
		return -EINVAL;
	}
	for (i = 0; i < b->n; i++) {
		struct batch_cap *c = &b->caps[i];

		len = strlen(cfg->out_dir) + 1 + strlen(c->name) + sizeof(".csv");
		c->out = malloc(len);
		if (c->out == NULL) {
			snprintf(err, errlen, "out of memory for the list of captures");
			return -ENOMEM;
		}
		snprintf(c->out, len, "%s/%s.csv", cfg->out_dir, c->name);
	}
	by_name = malloc(sizeof(*by_name) * b->n);
	if (by_name == NULL) {
		snprintf(err, errlen, "out of memory for the list of captures");
		return -ENOMEM;
	}
	for (i = 0; i < b->n; i++)
		by_name[i] = &b->caps[i];
	qsort(by_name, b->n, sizeof(*by_name), batch_name_cmp);
	for (i = 1; i < b->n; i++)
		if (strcmp(by_name[i - 1]->name, by_name[i]->name) == 0) {
			snprintf(err, errlen, "--out-dir: %s and %s would both be written to %s",
				 by_name[i - 1]->path, by_name[i]->path, by_name[i]->out);
			free(by_name);
			return -EINVAL;
		}
	free(by_name);
	/* the inputs by identity, sorted: each existing output looked up once
	 * (a re-run with --overwrite over thousands of captures) */
	ids = malloc(sizeof(*ids) * b->n);
	if (ids == NULL) {
		snprintf(err, errlen, "out of memory for the list of captures");
		return -ENOMEM;
	}
	for (i = 0, k = 0; i < b->n; i++)
		if (stat(b->caps[i].path, &si) == 0)
			ids[k++] = (struct batch_file_id){ si.st_dev, si.st_ino, i };
	qsort(ids, k, sizeof(*ids), batch_id_cmp);
	for (i = 0; i < b->n; i++) {
		struct batch_cap *c = &b->caps[i];
		struct batch_file_id key, *in;

		if (lstat(c->out, &sb) != 0)
			continue;
		in = NULL;
		if (stat(c->out, &sb) == 0) {	/* what a link points to */
			key = (struct batch_file_id){ sb.st_dev, sb.st_ino, 0 };
			in = bsearch(&key, ids, k, sizeof(*ids), batch_id_cmp);
		}
		if (in != NULL) {
			snprintf(err, errlen, "--out-dir: the output of %s, %s, is an input (%s); "
				 "it would be overwritten", c->path, c->out, b->caps[in->cap].path);
			free(ids);
			return -EINVAL;
		}
		if (!cfg->overwrite) {
			snprintf(err, errlen, "--out-dir: %s exists (the output of %s); give "
				 "--overwrite to replace the outputs that exist", c->out, c->path);
			free(ids);
			return -EINVAL;
		}
	}
	free(ids);
	return 0;
}

void
sp_batch_set_workers(struct sp_batch *b, struct sp_worker *const *workers,
		     const unsigned int *lcores)
{
	unsigned int i;

	for (i = 0; i < b->p.n_workers; i++) {
		b->bw[i].w = workers[i];
		b->w[i] = workers[i];
		b->bw[i].lcore = lcores[i];
	}
}

struct sp_batch *
sp_batch_create(const struct sp_batch_params *p, char *err, size_t errlen)
{
	struct sp_batch *b;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int i;
	int ret;

	if (p == NULL || p->cfg == NULL || p->cfg->out_dir == NULL || p->n_workers == 0 ||
	    p->n_workers > SP_MAX_WORKERS) {
		snprintf(err, errlen, "batch: %s", strerror(EINVAL));
		rte_errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		snprintf(err, errlen, "batch: %s", strerror(ENOMEM));
		rte_errno = ENOMEM;
		return NULL;
	}
	b->p = *p;
	b->tty = !p->cfg->quiet && isatty(STDERR_FILENO);
	if (p->cfg->bpf_filter != NULL) {
		/* A wrong expression is wrong for every capture: said once, up
		 * front, as a run says it (compiled for Ethernet here, then per
		 * capture for its own link type by its worker). */
		int en10mb = SP_DLT_EN10MB;
		struct sp_filter *f = sp_filter_create(p->cfg->bpf_filter, &en10mb, 1, err,
						       errlen);

		if (f == NULL) {
			free(b);
			rte_errno = EINVAL;
			return NULL;
		}
		sp_filter_free(f);
	}
	ret = batch_list(b, err, errlen);
	if (ret == 0)
		ret = batch_outputs(b, err, errlen);
	for (i = 0; ret == 0 && i < p->n_workers; i++) {
		struct batch_worker *bw = &b->bw[i];

		bw->b = b;
		bw->id = i;
		snprintf(name, sizeof(name), "sp_bmbufs_%u", i);
		bw->pool = rte_pktmbuf_pool_create(name, SP_SOURCE_MBUFS_OWN_READER,
						   SP_SOURCE_MBUF_CACHE, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, p->socket_id);
		if (bw->pool == NULL) {
			snprintf(err, errlen, "worker %u: mbuf pool: %s", i,
				 rte_strerror(rte_errno));
			ret = -ENOMEM;
		}
	}
	if (ret != 0) {
		sp_batch_free(b);
		rte_errno = -ret;
		return NULL;
	}
	return b;
}

void
sp_batch_free(struct sp_batch *b)
{
	unsigned int i;

	if (b == NULL)
		return;
	for (i = 0; i < b->p.n_workers; i++) {
		sp_export_set_free(b->bw[i].set);
		rte_mempool_free(b->bw[i].pool);
	}
	for (i = 0; i < b->n; i++) {
		free(b->caps[i].path);
		free(b->caps[i].out);
	}
	free(b->caps);
	free(b);
}

void
sp_batch_stop(struct sp_batch *b)
{
	b->stop = true;
}

/* --- the workers ---------------------------------------------------------- */

/* A marker into the worker's export ring, after every record before it. A
 * worker is its ring's only producer; the main lcore drains it. */
static void
batch_mark(struct batch_worker *bw, uint8_t *mark)
{
	struct rte_ring *ring = sp_worker_export_ring(bw->w);

	if (rte_ring_sp_enqueue(ring, mark) != 0) {
		/* full: the main lcore is woken once and drains it */
		sp_worker_export_notify(bw->w);
		while (rte_ring_sp_enqueue(ring, mark) != 0)
			rte_pause();
	}
	/* the main lcore opens or closes an output now, not at its next wake-up */
	sp_worker_export_notify(bw->w);
}

/* One capture, as one worker reading its file does it. */
static void
batch_read(struct batch_worker *bw, uint32_t k)
{
	struct sp_batch *b = bw->b;
	struct batch_cap *c = &b->caps[k];
	struct rte_mbuf *pkts[SP_BURST];
	struct sp_rx_info info[SP_BURST];
	const char *files[1] = { c->path };
	struct sp_capture_params cp = { .files = files, .n_files = 1, .pool = bw->pool,
		/* one worker: the main lcore's CPU has time for the reads */
		.read_ahead = b->p.n_workers == 1 && !b->p.cfg->no_read_ahead };
	struct sp_filter *filter = NULL;
	struct sp_capture *cap;
	int n;

	c->worker = bw->id;
	cap = sp_capture_open(&cp, c->err, sizeof(c->err));
	if (cap == NULL) {
		c->status = rte_errno != 0 ? -rte_errno : -EIO;
		batch_mark(bw, &c->end_mark);
		return;
	}
	if (b->p.cfg->bpf_filter != NULL) {
		/* Compiled for this capture's link type, as its own run compiles
		 * it for its input's: any number of link types over the batch,
		 * and one the filter cannot take fails this capture only (no
		 * output: its run stops before opening one). */
		int dlt = sp_capture_file_dlt(cap, 0);
		char ferr[BATCH_ERR_LEN];
		int off;

		filter = sp_filter_create(b->p.cfg->bpf_filter, &dlt, 1, ferr, sizeof(ferr));
		if (filter == NULL) {
			/* named by the capture, as the others' errors are */
			off = snprintf(c->err, sizeof(c->err), "%s: ", c->path);
			if (off > 0 && (size_t)off < sizeof(c->err)) {
				size_t len = strnlen(ferr, sizeof(c->err) - (size_t)off - 1);

				memcpy(c->err + off, ferr, len);
				c->err[(size_t)off + len] = '\0';
			}
			c->status = -EINVAL;
			sp_capture_close(cap);
			batch_mark(bw, &c->end_mark);
			return;
		}
		sp_worker_set_filter(bw->w, filter);
	}
	c->opened = true;
	batch_mark(bw, &c->begin_mark);
	n = 0;
	while (!b->stop) {
		if (__atomic_load_n(&bw->stop_cap, __ATOMIC_RELAXED) == k + 1) {
			sp_worker_stop_export(bw->w);
			break;
		}
		n = sp_capture_rx(cap, pkts, info, SP_BURST);
		if (n == -ENODATA)
			break;
		if (n > 0)
			sp_worker_process_burst(bw->w, pkts, info, (uint16_t)n);
	}
	sp_worker_flush(bw->w);
	sp_worker_set_filter(bw->w, NULL);
	sp_filter_free(filter);
	sp_capture_get_stats(cap, &c->cs);
	sp_capture_close(cap);
	sp_worker_get_stats(bw->w, &c->ws);
	if (c->cs.read_error != 0) {
		c->status = c->cs.read_error;
		snprintf(c->err, sizeof(c->err), "%s", c->cs.error);
	} else if (n != -ENODATA && b->stop) {
		/* cut by a signal: its output is not the capture's */
		c->status = -EINTR;
		snprintf(c->err, sizeof(c->err), "%s: stopped before its end (a signal)",
			 c->path);
	}
	batch_mark(bw, &c->end_mark);
}

static int
batch_worker_main(void *arg)
{
	struct batch_worker *bw = arg;
	struct sp_batch *b = bw->b;
	uint32_t k;
	int ret;

	while (!b->stop) {
		k = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
		if (k >= b->n)
			break;
		/* Before the capture, not after the last one: the reset's
		 * cost (nDPI's module made anew) is then paid only between
		 * two captures. */
		if (bw->used && (ret = sp_worker_reset(bw->w)) != 0) {
			/* the capture taken goes back to no one: said as not read */
			bw->reset_error = ret;
			break;
		}
		batch_read(bw, k);
		/* a capture that did not open left the worker as it was */
		bw->used |= b->caps[k].opened;
	}
	__atomic_store_n(&bw->done, true, __ATOMIC_RELEASE);
	sp_worker_export_notify(bw->w);
	return 0;
}

/* --- the main lcore ------------------------------------------------------- */

static const char *
batch_nl(const struct sp_batch *b)
{
	return b->tty ? "\r\033[K" : "";
}

/* The accounting of one capture: received = in flows + ignored + filtered
 * + dropped, as a run's report has it (reading a file with the own reader
 * nothing is lost before the worker; a full table drops nothing offline,
 * but counted all the same). */
static void
batch_acct(const struct batch_cap *c, uint64_t *received, uint64_t *dropped)
{
	*received = c->ws.packets + c->cs.lost;
	*dropped = c->cs.lost + c->ws.dropped_table_full;
}

/* A capture's output opens: its own export set, ids from 0. */
static void
batch_begin(struct sp_batch *b, struct batch_worker *bw, struct batch_cap *c)
{
	struct sp_export_set_params sp = b->p.exports;
	char err[BATCH_ERR_LEN];

	bw->cur = c;
	bw->stop_asked = false;
	sp.csv_path = c->out;
	bw->set = sp_export_set_open(&sp, err, sizeof(err));
	if (bw->set == NULL) {
		c->out_status = rte_errno != 0 ? -rte_errno : -EIO;
		fprintf(stderr, "%sstreamprobe: error: %s\n", batch_nl(b), err);
		/* nothing to write to: the worker need not read on */
		bw->stop_asked = true;
		__atomic_store_n(&bw->stop_cap, (uint32_t)(c - b->caps) + 1, __ATOMIC_RELAXED);
	}
}

/* A capture ended: its output closed, its errors said, its line. */
static void
batch_end(struct sp_batch *b, struct batch_worker *bw, struct batch_cap *c)
{
	uint64_t received, dropped;

	if (bw->cur == c && bw->set != NULL) {
		sp_export_set_flush(bw->set);
		sp_export_set_input_stopped(bw->set);
		sp_export_set_get_stats(bw->set, &c->es);
		if (sp_export_set_close(bw->set) != 0 && c->out_status == 0)
			c->out_status = -EIO;	/* said by the set */
	}
	bw->set = NULL;
	bw->cur = NULL;
	c->ended = true;
	b->n_ended++;
	if (!c->opened) {
		fprintf(stderr, "%sstreamprobe: error: %s (no output for it)\n", batch_nl(b),
			c->err);
		return;
	}
	if (c->status != 0)
		fprintf(stderr, "%sstreamprobe: error: %s (the flows up to there are in %s)\n",
			batch_nl(b), c->err, c->out);
	if (b->p.cfg->quiet)
		return;
	batch_acct(c, &received, &dropped);
	fprintf(stderr, "%scapture %s: received=%" PRIu64 " in_flows=%" PRIu64 " ignored=%"
		PRIu64 " filtered=%" PRIu64 " dropped=%" PRIu64 " flows=%" PRIu64 " worker=%u\n",
		batch_nl(b), c->name, received, c->ws.in_flows, sp_worker_stats_ignored(&c->ws),
		c->ws.filtered, dropped, c->es.exported, c->worker);
}

/* One burst off a worker's export ring, in its order. */
static unsigned int
batch_drain(struct sp_batch *b, struct batch_worker *bw)
{
	void *objs[SP_EXPORT_SET_BURST], *recs[SP_EXPORT_SET_BURST];
	uintptr_t lo = (uintptr_t)b->caps, hi = (uintptr_t)(b->caps + b->n);
	unsigned int n, i, n_rec = 0;

	sp_worker_records_grow(bw->w);	/* a worker waiting on an empty pool */
	n = rte_ring_sc_dequeue_burst(sp_worker_export_ring(bw->w), objs, RTE_DIM(objs), NULL);
	for (i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)objs[i];

		if (a >= lo && a < hi) {
			struct batch_cap *c = &b->caps[(a - lo) / sizeof(*c)];

			if (objs[i] == &c->begin_mark)
				batch_begin(b, bw, c);
			else
				batch_end(b, bw, c);
			continue;
		}
		recs[n_rec++] = objs[i];
		if (bw->set == NULL)
			continue;	/* its output failed: said, counted at its end */
		sp_export_set_write(bw->set, objs[i]);
		/* max_nflows reached, or no output left: the worker stops
		 * reading this capture, as a run of its own stops its input */
		if (!bw->stop_asked && sp_export_set_stopping(bw->set)) {
			bw->stop_asked = true;
			__atomic_store_n(&bw->stop_cap, (uint32_t)(bw->cur - b->caps) + 1,
					 __ATOMIC_RELAXED);
		}
	}
	if (n_rec > 0)
		rte_mempool_put_bulk(sp_worker_record_pool(bw->w), recs, n_rec);
	return n;
}

/* Once a second on a terminal: how far the batch is. */
static void
batch_status(struct sp_batch *b, bool final)
{
	uint64_t now = rte_get_tsc_cycles();

	if (!b->tty || (!final && now - b->status_tsc < rte_get_tsc_hz()))
		return;
	b->status_tsc = now;
	fprintf(stderr, "\r%u/%u captures   ", b->n_ended, b->n);
	if (final)
		fprintf(stderr, "\n");
}

int
sp_batch_run(struct sp_batch *b)
{
	uint32_t wait_us = 10;
	unsigned int i, busy, done;
	bool worked = false;
	int ret, rc = 0;

	b->launch_s = sp_now_s();
	for (i = 0; i < b->p.n_workers; i++) {
		ret = rte_eal_remote_launch(batch_worker_main, &b->bw[i], b->bw[i].lcore);
		if (ret != 0) {
			fprintf(stderr, "streamprobe: cannot launch worker %u: %s\n", i,
				strerror(-ret));
			b->stop = true;
			rc = ret;
			/* never launched: nothing of theirs to wait for */
			for (; i < b->p.n_workers; i++)
				b->bw[i].done = true;
			break;
		}
	}
	for (;;) {
		busy = done = 0;
		for (i = 0; i < b->p.n_workers; i++) {
			/* done read before draining: the worker's last marker
			 * is in its ring by the time it says so */
			done += __atomic_load_n(&b->bw[i].done, __ATOMIC_ACQUIRE);
			busy += batch_drain(b, &b->bw[i]);
			if (b->bw[i].set != NULL)
				sp_export_set_tick(b->bw[i].set);
		}
		batch_status(b, false);
		if (busy) {
			worked = true;
			continue;
		}
		if (done == b->p.n_workers)
			break;
		wait_us = sp_run_idle_next_us(wait_us, worked);
		worked = false;
		/* until a worker writes its eventfd or wait_us passed */
		sp_worker_wait_exports(b->w, b->p.n_workers, wait_us);
	}
	rte_eal_mp_wait_lcore();
	b->joined_s = sp_now_s();
	batch_status(b, true);
	return rc;
}

int
sp_batch_report(struct sp_batch *b)
{
	struct sp_worker_stats tot;
	uint64_t received = 0, dropped = 0, lost = 0, exported = 0, skipped = 0, r, d;
	unsigned int i, k, failed = 0, not_read = 0, written = 0;
	double input;
	int rc = 0;

	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < b->n; i++) {
		const struct batch_cap *c = &b->caps[i];

		if (!c->ended) {
			not_read++;
			continue;
		}
		if (c->status != 0 || c->out_status != 0)
			failed++;
		if (!c->opened)
			continue;
		written += c->out_status == 0;
		batch_acct(c, &r, &d);
		if (r != c->ws.in_flows + sp_worker_stats_ignored(&c->ws) + c->ws.filtered + d) {
			fprintf(stderr, "streamprobe: error: %s: packet accounting does not add "
				"up\n", c->name);
			rc = -EIO;
		}
		received += r;
		dropped += d;
		lost += c->cs.lost;
		exported += c->es.exported;
		skipped += c->es.skipped;
		tot.in_flows += c->ws.in_flows;
		tot.filtered += c->ws.filtered;
		for (k = 0; k < SP_PARSE_RESULTS; k++)
			tot.ignored[k] += c->ws.ignored[k];
		tot.dropped_table_full += c->ws.dropped_table_full;
		tot.flows_evicted += c->ws.flows_evicted;
		tot.records_dropped += c->ws.records_dropped;
		tot.flows_active += c->ws.flows_active;
	}
	for (i = 0; i < b->p.n_workers; i++)
		if (b->bw[i].reset_error != 0)
			fprintf(stderr, "streamprobe: error: worker %u: cannot make its hooks anew "
				"for its next capture (%s); it stopped\n", i,
				strerror(-b->bw[i].reset_error));
	if (not_read > 0) {
		fprintf(stderr, "streamprobe: error: %u of %u captures not read (%s):", not_read,
			b->n, b->stop ? "stopped" : "no worker left");
		for (i = 0, k = 0; i < b->n && k < 5; i++)
			if (!b->caps[i].ended) {
				fprintf(stderr, " %s", b->caps[i].name);
				k++;
			}
		fprintf(stderr, "%s\n", not_read > k ? " ..." : "");
	}
	fprintf(stderr, "batch: captures=%u written=%u failed=%u not_read=%u out_dir=%s\n",
		b->n, written, failed, not_read, b->p.cfg->out_dir);
	fprintf(stderr, "accounting: received=%" PRIu64 " in_flows=%" PRIu64 " ignored=%" PRIu64
		" filtered=%" PRIu64 " dropped=%" PRIu64 "\n", received, tot.in_flows,
		sp_worker_stats_ignored(&tot), tot.filtered, dropped);
	fprintf(stderr, "ignored:");
	for (k = 1; k < SP_PARSE_RESULTS; k++)
		fprintf(stderr, " %s=%" PRIu64, sp_parse_result_name(k), tot.ignored[k]);
	fprintf(stderr, "\ndropped: missed=0 nombuf=0 unread=0 undelivered=%" PRIu64 " table_full=%"
		PRIu64 " ring_full=0", lost, tot.dropped_table_full);
	fprintf(stderr, "\nflows: exported=%" PRIu64 " evicted_table_full=%" PRIu64
		" not_exported_max_nflows=%" PRIu64 " records_dropped=%" PRIu64 "\n", exported,
		tot.flows_evicted, skipped + tot.flows_active, tot.records_dropped);
	if (tot.flows_evicted != 0)
		fprintf(stderr, "streamprobe: warning: a flow table was full: older flows were "
			"ended early (evicted_table_full), so those captures' records differ from "
			"a run with more memory; raise --max-memory (shared by the workers)\n");
	input = b->joined_s - b->launch_s;
	if (b->launch_s > 0)
		fprintf(stderr, "time: start-up %.3f s, captures %.3f s (%.1f captures/s, %.3f M "
			"packets/s)\n", b->launch_s - b->p.start_s, input,
			input > 0 ? b->n_ended / input : 0.0,
			input > 0 ? (double)received / input / 1e6 : 0.0);
	if (received != tot.in_flows + sp_worker_stats_ignored(&tot) + tot.filtered + dropped) {
		fprintf(stderr, "streamprobe: error: packet accounting does not add up\n");
		rc = -EIO;
	}
	if (failed > 0 || not_read > 0)
		rc = -EIO;
	return rc;
}
