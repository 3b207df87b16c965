/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The export set: one run's exporters fed as one (sp_export_set.h).
 * Messages are said on standard error when the failure happens: a full
 * disk seen an hour into a live run should not wait for the report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>

#include "sp_export_set.h"

/* Least time between two IPFIX loss warnings while running. */
#define SET_LOSS_INTERVAL_MS 10000

struct set_output {
	struct sp_exporter *e;
	const char *name;
	bool ipfix;		/* counts and retries its own losses */
	int error;		/* the first failure (-errno), 0 while working */
};

struct sp_export_set {
	struct sp_export_set_params p;
	unsigned int n;
	struct set_output out[SP_EXPORT_SET_MAX];
	uint64_t next_id;
	uint64_t skipped;
	uint64_t flush_tsc;	/* TSC of the last periodic flush */
	bool stopping;		/* the set asked the input to stop */
	bool input_stopped;	/* the input stopped anyway */
};

struct sp_export_set *
sp_export_set_create(const struct sp_export_set_params *p)
{
	struct sp_export_set *s;

	if (p == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s->p = *p;
	return s;
}

/* The CSV exporter of the params, anonymization included. */
static int
set_open_csv(struct sp_export_set *s, const struct sp_export_set_params *p, char *err,
	     size_t errlen)
{
	struct sp_csv_params cp = p->csv;
	struct sp_csv_anon *anon;
	struct sp_exporter *e;
	int ret;

	anon = calloc(1, sizeof(*anon));
	if (anon == NULL) {
		snprintf(err, errlen, "%s: %s", p->csv_path, strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = sp_export_csv_anon_parse(p->csv_anonymize, p->csv_anonymize_key, &p->cols, anon,
				       &cp, err, errlen);
	if (ret != 0) {
		free(anon);
		return -EINVAL;
	}
	e = sp_export_csv_open_params(p->csv_path, &p->cols, &cp);
	/* the exporter keeps its own copies of the names and the key */
	sp_export_csv_anon_clear(anon);
	free(anon);
	if (e == NULL) {
		ret = -rte_errno;
		snprintf(err, errlen, "%s: %s", p->csv_path, strerror(-ret));
		return ret;
	}
	return sp_export_set_add(s, e, p->csv_path);
}

struct sp_export_set *
sp_export_set_open(const struct sp_export_set_params *p, char *err, size_t errlen)
{
	struct sp_export_set *s = sp_export_set_create(p);
	struct sp_exporter *e;
	unsigned int i;
	int ret = 0;

	if (s == NULL) {
		snprintf(err, errlen, "exporters: %s", rte_strerror(rte_errno));
		return NULL;
	}
	if (p->csv_path != NULL)
		ret = set_open_csv(s, p, err, errlen);
	for (i = 0; ret == 0 && i < p->n_ipfix; i++) {
		e = sp_export_ipfix_open(p->ipfix[i], &p->cols, &p->ipfix_params);
		if (e == NULL) {
			ret = -rte_errno;
			snprintf(err, errlen, "--ipfix %s: %s", p->ipfix[i], ret == -EADDRNOTAVAIL ?
				 "the host name does not resolve to an address" : strerror(-ret));
			break;
		}
		ret = sp_export_set_add(s, e, p->ipfix[i]);
	}
	if (ret != 0) {
		if (ret == -ENOSPC)
			snprintf(err, errlen, "exporters: more than %d", SP_EXPORT_SET_MAX);
		sp_export_set_free(s);
		rte_errno = -ret;
		return NULL;
	}
	return s;
}

int
sp_export_set_add(struct sp_export_set *s, struct sp_exporter *e, const char *name)
{
	struct sp_ipfix_stats st;

	if (s == NULL || e == NULL || name == NULL) {
		sp_export_close(e);
		return -EINVAL;
	}
	if (s->n == SP_EXPORT_SET_MAX) {
		sp_export_close(e);
		return -ENOSPC;
	}
	s->out[s->n].e = e;
	s->out[s->n].name = name;
	s->out[s->n].ipfix = sp_export_ipfix_get_stats(e, &st) == 0;
	s->out[s->n].error = 0;
	s->n++;
	return 0;
}

unsigned int
sp_export_set_count(const struct sp_export_set *s)
{
	return s->n;
}

/* A message starts on a line of its own when a status line may be there. */
static const char *
set_nl(const struct sp_export_set *s)
{
	return s->p.status_line && isatty(STDERR_FILENO) ? "\n" : "";
}

/* An output failed: say so now and write nothing more to it. */
static void
set_failed(struct sp_export_set *s, unsigned int i, int ret)
{
	unsigned int k, failed = 0;

	if (s->out[i].error != 0)
		return;
	s->out[i].error = ret;
	if (ret == -EPIPE) {
		fprintf(stderr, "%sstreamprobe: %s: the reader closed the pipe; stopping the "
			"input\n", set_nl(s), s->out[i].name);
		s->stopping = true;
		return;
	}
	fprintf(stderr, "%sstreamprobe: error: %s: %s\n", set_nl(s), s->out[i].name,
		strerror(-ret));
	for (k = 0; k < s->n; k++)
		failed += s->out[k].error != 0;
	if (failed == s->n && !s->stopping && !s->input_stopped) {
		fprintf(stderr, "streamprobe: no output left: stopping the input\n");
		s->stopping = true;
	}
}

int
sp_export_set_write(struct sp_export_set *s, struct sp_flow_record *r)
{
	unsigned int i;
	int ret;

	if (s->p.max_nflows != 0 && s->next_id >= s->p.max_nflows) {
		s->skipped++;
		return -ENOSPC;
	}
	r->id = s->next_id++;
	for (i = 0; i < s->n; i++) {
		if (s->out[i].error != 0)
			continue;
		ret = sp_export_write(s->out[i].e, r);
		if (ret != 0)
			set_failed(s, i, ret);
	}
	/* NFStream stops after the flow with id max_nflows - 1. */
	if (s->p.max_nflows != 0 && s->next_id == s->p.max_nflows)
		s->stopping = true;
	return 0;
}

unsigned int
sp_export_set_drain(struct sp_export_set *s, struct rte_ring *ring, struct rte_mempool *pool)
{
	void *recs[SP_EXPORT_SET_BURST];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(ring, recs, SP_EXPORT_SET_BURST, NULL);
	for (i = 0; i < n; i++)
		sp_export_set_write(s, recs[i]);
	if (n > 0)
		rte_mempool_put_bulk(pool, recs, n);
	return n;
}

bool
sp_export_set_stopping(const struct sp_export_set *s)
{
	return s->stopping;
}

void
sp_export_set_input_stopped(struct sp_export_set *s)
{
	s->input_stopped = true;
}

/* An IPFIX exporter's losses, as a warning while running or an error at the end. */
static void
set_ipfix_loss(const char *level, const char *uri, uint64_t records, uint64_t refused,
	       const char *cause)
{
	fprintf(stderr, "streamprobe: %s: ipfix %s: ", level, uri);
	if (records != 0)
		fprintf(stderr, "%" PRIu64 " records dropped%s", records, refused != 0 ? ", " : "");
	if (refused != 0)
		fprintf(stderr, "%" PRIu64 " ICMP errors (datagrams lost)", refused);
	fprintf(stderr, " (%s)\n", cause);
}

void
sp_export_set_tick(struct sp_export_set *s)
{
	uint64_t now = rte_get_tsc_cycles();
	struct sp_ipfix_loss l;
	unsigned int i;
	int ret;

	if (now - s->flush_tsc < rte_get_tsc_hz() / 1000 * s->p.flush_interval_ms)
		return;
	s->flush_tsc = now;
	for (i = 0; i < s->n; i++) {
		if (s->out[i].error != 0)
			continue;
		ret = sp_export_flush(s->out[i].e);
		/* a CSV write error (a full disk) is said now; IPFIX
		 * exporters count and retry their own losses */
		if (ret != 0 && (!s->out[i].ipfix || ret == -EPIPE))
			set_failed(s, i, ret);
		if (s->out[i].ipfix &&
		    sp_export_ipfix_poll_loss(s->out[i].e, SET_LOSS_INTERVAL_MS, &l) > 0)
			set_ipfix_loss("warning", s->out[i].name, l.records, l.refused, l.cause);
	}
}

void
sp_export_set_flush(struct sp_export_set *s)
{
	unsigned int i;
	int ret;

	/* as the tick: an IPFIX exporter's failure is a counted loss, said
	 * once by the close with its count and cause */
	for (i = 0; i < s->n; i++)
		if (s->out[i].error == 0 && (ret = sp_export_flush(s->out[i].e)) != 0 &&
		    (!s->out[i].ipfix || ret == -EPIPE))
			set_failed(s, i, ret);
}

void
sp_export_set_get_stats(const struct sp_export_set *s, struct sp_export_set_stats *st)
{
	st->exported = s->next_id;
	st->skipped = s->skipped;
}

int
sp_export_set_close(struct sp_export_set *s)
{
	struct set_output *o;
	unsigned int i;
	int ret, rc = 0;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->n; i++) {
		o = &s->out[i];
		if (o->ipfix) {
			struct sp_ipfix_stats st;

			ret = sp_export_ipfix_close(o->e, &st);
			fprintf(stderr, "ipfix %s: records=%" PRIu64 " records_dropped=%" PRIu64
				" messages=%" PRIu64 " messages_dropped=%" PRIu64 " connects=%"
				PRIu64 " disconnects=%" PRIu64 "\n", o->name, st.records,
				st.records_dropped, st.messages, st.messages_dropped, st.connects,
				st.disconnects);
			/* A known loss fails the run, as a failed CSV write does. */
			if (st.records_dropped != 0 || st.refused != 0) {
				set_ipfix_loss("error", o->name, st.records_dropped, st.refused,
					       st.loss_cause);
				rc = -EIO;
				/* the cause was in that line: not a second one */
				if (ret != -EPIPE)
					ret = 0;
			}
		} else {
			ret = sp_export_close(o->e);
		}
		o->e = NULL;
		if (o->error == -EPIPE) {
			/* said when it happened; not a failure */
		} else if (o->error != 0) {
			rc = -EIO;	/* said when it happened */
		} else if (ret == -EPIPE) {
			fprintf(stderr, "streamprobe: %s: the reader closed the pipe\n", o->name);
		} else if (ret != 0) {
			fprintf(stderr, "streamprobe: error: %s: %s\n", o->name, strerror(-ret));
			rc = -EIO;
		}
	}
	free(s);
	return rc;
}

void
sp_export_set_free(struct sp_export_set *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		sp_export_close(s->out[i].e);
	free(s);
}
