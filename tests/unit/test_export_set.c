/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The export set (lib/export/export_set.c) with fake exporters that record
 * what they are given and fail when told to: record ids in order to every
 * exporter, the stop at max_nflows, a closed pipe (a quiet stop, not a
 * failure), a write error said at once and the stop when no output is
 * left, the periodic flush, the draining of an export ring back into its
 * pool, and a real IPFIX file exporter's counters at close. What the set
 * says on standard error is captured and compared word for word: the
 * integration tests and users read those lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <sp_export_set.h>

#include "sp_test.h"
#include "sp_test_eal.h"

#define FAKE_MAX 64

/* A fake exporter: what it was given, and the error it answers with. */
struct fake {
	struct sp_exporter base;	/* first: the set sees a struct sp_exporter */
	uint64_t ids[FAKE_MAX];
	uint16_t ports[FAKE_MAX];	/* st.src_port of each record */
	unsigned int n;
	unsigned int flushes;
	int fail_write_at;		/* the write (1..) that fails, 0: none */
	int write_err;
	int flush_err;
	int close_err;
	bool *closed;			/* set at close */
};

static int
fake_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	struct fake *f = (struct fake *)e;

	if (f->fail_write_at != 0 && (int)f->n + 1 >= f->fail_write_at)
		return f->write_err;
	if (f->n < FAKE_MAX) {
		f->ids[f->n] = r->id;
		f->ports[f->n] = r->st.src_port;
	}
	f->n++;
	return 0;
}

static int
fake_flush(struct sp_exporter *e)
{
	struct fake *f = (struct fake *)e;

	f->flushes++;
	return f->flush_err;
}

static int
fake_close(struct sp_exporter *e)
{
	struct fake *f = (struct fake *)e;

	if (f->closed != NULL)
		*f->closed = true;
	return f->close_err;
}

static const struct sp_exporter_ops fake_ops = {
	.name = "fake", .write = fake_write, .flush = fake_flush, .close = fake_close,
};

static struct fake fakes[2];
static struct sp_flow_record *recs;	/* FAKE_MAX records */

/* --- standard error, captured ------------------------------------------- */

static FILE *cap_file;
static int saved_stderr = -1;

static void
cap_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cap_file);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(cap_file), STDERR_FILENO);
}

/* Stop capturing; what was said, in a static buffer. */
static const char *
cap_end(void)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(cap_file);
	n = fread(buf, 1, sizeof(buf) - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	return buf;
}

/* A set of the two fakes, "A" and "B", reset. */
static struct sp_export_set *
set_new(uint64_t max_nflows, uint32_t flush_ms)
{
	struct sp_export_set_params p;
	struct sp_export_set *s;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.max_nflows = max_nflows;
	p.flush_interval_ms = flush_ms;
	s = sp_export_set_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(fakes, 0, sizeof(fakes));
	for (i = 0; i < 2; i++)
		fakes[i].base.ops = &fake_ops;
	CU_ASSERT_EQUAL(sp_export_set_add(s, &fakes[0].base, "A"), 0);
	CU_ASSERT_EQUAL(sp_export_set_add(s, &fakes[1].base, "B"), 0);
	CU_ASSERT_EQUAL(sp_export_set_count(s), 2);
	return s;
}

/* Every record goes to every exporter, with ids 0, 1, ... in order. */
static void
test_ids_in_order(void)
{
	struct sp_export_set *s = set_new(0, 1000);
	struct sp_export_set_stats st;
	unsigned int i, k;

	for (i = 0; i < 5; i++) {
		recs[i].id = 99;
		CU_ASSERT_EQUAL(sp_export_set_write(s, &recs[i]), 0);
		CU_ASSERT_EQUAL(recs[i].id, i);
	}
	for (k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL_FATAL(fakes[k].n, 5);
		for (i = 0; i < 5; i++)
			CU_ASSERT_EQUAL(fakes[k].ids[i], i);
	}
	sp_export_set_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.exported, 5);
	CU_ASSERT_EQUAL(st.skipped, 0);
	CU_ASSERT_FALSE(sp_export_set_stopping(s));
	cap_start();
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);
	CU_ASSERT_STRING_EQUAL(cap_end(), "");
}

/* NFStream stops after the flow with id max_nflows - 1: the stop is asked
 * with that record, later ones are skipped and counted. */
static void
test_max_nflows(void)
{
	struct sp_export_set *s = set_new(3, 1000);
	struct sp_export_set_stats st;
	unsigned int i;

	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(sp_export_set_write(s, &recs[i]), 0);
	CU_ASSERT_FALSE(sp_export_set_stopping(s));
	CU_ASSERT_EQUAL(sp_export_set_write(s, &recs[2]), 0);
	CU_ASSERT_TRUE(sp_export_set_stopping(s));
	CU_ASSERT_EQUAL(sp_export_set_write(s, &recs[3]), -ENOSPC);
	CU_ASSERT_EQUAL(sp_export_set_write(s, &recs[4]), -ENOSPC);
	CU_ASSERT_EQUAL(fakes[0].n, 3);
	CU_ASSERT_EQUAL(fakes[1].n, 3);
	sp_export_set_get_stats(s, &st);
	CU_ASSERT_EQUAL(st.exported, 3);
	CU_ASSERT_EQUAL(st.skipped, 2);
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);
}

/* The reader of a pipe went away: said once, that output gets nothing
 * more, the input is asked to stop, and the run does not fail. */
static void
test_epipe(void)
{
	struct sp_export_set *s = set_new(0, 1000);
	unsigned int i;

	fakes[0].fail_write_at = 2;
	fakes[0].write_err = -EPIPE;
	cap_start();
	for (i = 0; i < 4; i++)
		sp_export_set_write(s, &recs[i]);
	CU_ASSERT_STRING_EQUAL(cap_end(),
			       "streamprobe: A: the reader closed the pipe; stopping the input\n");
	CU_ASSERT_TRUE(sp_export_set_stopping(s));
	CU_ASSERT_EQUAL(fakes[0].n, 1);
	CU_ASSERT_EQUAL(fakes[0].base.errors, 1);	/* no write after the failure */
	CU_ASSERT_EQUAL(fakes[1].n, 4);			/* the other output goes on */
	cap_start();
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);
	CU_ASSERT_STRING_EQUAL(cap_end(), "");
}

/* A write error is said at once; the input goes on while an output is
 * left, stops when none is; the run fails. */
static void
test_write_errors(void)
{
	struct sp_export_set *s = set_new(0, 1000);

	fakes[0].fail_write_at = 1;
	fakes[0].write_err = -ENOSPC;
	cap_start();
	sp_export_set_write(s, &recs[0]);
	CU_ASSERT_STRING_EQUAL(cap_end(), "streamprobe: error: A: No space left on device\n");
	CU_ASSERT_FALSE(sp_export_set_stopping(s));
	fakes[1].fail_write_at = 2;
	fakes[1].write_err = -EIO;
	cap_start();
	sp_export_set_write(s, &recs[1]);
	sp_export_set_write(s, &recs[2]);
	CU_ASSERT_STRING_EQUAL(cap_end(), "streamprobe: error: B: Input/output error\n"
			       "streamprobe: no output left: stopping the input\n");
	CU_ASSERT_TRUE(sp_export_set_stopping(s));
	CU_ASSERT_EQUAL(fakes[0].base.errors, 1);
	CU_ASSERT_EQUAL(fakes[1].base.errors, 1);
	cap_start();
	CU_ASSERT_EQUAL(sp_export_set_close(s), -EIO);
	CU_ASSERT_STRING_EQUAL(cap_end(), "");	/* said when it happened */
}

/* Once the input has stopped anyway (a signal, its end), losing the last
 * output stops nothing and is not announced as such. */
static void
test_input_stopped(void)
{
	struct sp_export_set *s = set_new(0, 1000);

	sp_export_set_input_stopped(s);
	fakes[0].fail_write_at = fakes[1].fail_write_at = 1;
	fakes[0].write_err = fakes[1].write_err = -ENOSPC;
	cap_start();
	sp_export_set_write(s, &recs[0]);
	CU_ASSERT_STRING_EQUAL(cap_end(), "streamprobe: error: A: No space left on device\n"
			       "streamprobe: error: B: No space left on device\n");
	CU_ASSERT_FALSE(sp_export_set_stopping(s));
	CU_ASSERT_EQUAL(sp_export_set_close(s), -EIO);
}

/* Errors first seen at close: said then; a closed pipe is no failure. */
static void
test_close_errors(void)
{
	struct sp_export_set *s = set_new(0, 1000);
	bool closed[2] = { false, false };

	fakes[0].close_err = -EPIPE;
	fakes[1].close_err = -EIO;
	fakes[0].closed = &closed[0];
	fakes[1].closed = &closed[1];
	cap_start();
	CU_ASSERT_EQUAL(sp_export_set_close(s), -EIO);
	CU_ASSERT_STRING_EQUAL(cap_end(), "streamprobe: A: the reader closed the pipe\n"
			       "streamprobe: error: B: Input/output error\n");
	CU_ASSERT_TRUE(closed[0] && closed[1]);
	/* free: closed without a word, whatever they answer */
	s = set_new(0, 1000);
	closed[0] = closed[1] = false;
	fakes[0].closed = &closed[0];
	fakes[1].closed = &closed[1];
	fakes[1].close_err = -EIO;
	cap_start();
	sp_export_set_free(s);
	CU_ASSERT_STRING_EQUAL(cap_end(), "");
	CU_ASSERT_TRUE(closed[0] && closed[1]);
}

/* The tick flushes every working output once per interval; a flush error
 * of a non-IPFIX output is said at once and that output is left alone. */
static void
test_tick_flush(void)
{
	struct sp_export_set *s = set_new(0, 1000);

	sp_export_set_tick(s);
	sp_export_set_tick(s);
	CU_ASSERT_EQUAL(fakes[0].flushes, 1);	/* the second tick is too soon */
	CU_ASSERT_EQUAL(fakes[1].flushes, 1);
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);

	s = set_new(0, 0);
	fakes[1].flush_err = -ENOSPC;
	cap_start();
	sp_export_set_tick(s);
	sp_export_set_tick(s);
	CU_ASSERT_STRING_EQUAL(cap_end(), "streamprobe: error: B: No space left on device\n");
	CU_ASSERT_EQUAL(fakes[0].flushes, 2);
	CU_ASSERT_EQUAL(fakes[1].flushes, 1);	/* failed: no more flushes */
	sp_export_set_flush(s);			/* the final flush too */
	CU_ASSERT_EQUAL(fakes[0].flushes, 3);
	CU_ASSERT_EQUAL(fakes[1].flushes, 1);
	CU_ASSERT_EQUAL(sp_export_set_close(s), -EIO);
}

/* Records come off an export ring in ring order, in bursts, and go back
 * to their pool. */
static void
test_drain(void)
{
	struct sp_export_set *s = set_new(0, 1000);
	struct rte_mempool *mp;
	struct rte_ring *ring;
	unsigned int i, n = 0, got;
	void *obj;

	mp = rte_mempool_create("test_set_recs", 127, sizeof(struct sp_flow_record), 0, 0, NULL,
				NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	ring = rte_ring_create("test_set_ring", 128, SOCKET_ID_ANY,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ring);
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL_FATAL(rte_mempool_get(mp, &obj), 0);
		((struct sp_flow_record *)obj)->st.src_port = (uint16_t)(1000 + i);
		CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(ring, obj), 0);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), 27);
	while ((got = sp_export_set_drain(s, ring, mp)) > 0) {
		CU_ASSERT(got <= SP_EXPORT_SET_BURST);
		n += got;
	}
	CU_ASSERT_EQUAL(n, 100);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), 127);
	CU_ASSERT_EQUAL_FATAL(fakes[0].n, 100);
	for (i = 0; i < FAKE_MAX; i++) {
		CU_ASSERT_EQUAL(fakes[0].ids[i], i);
		CU_ASSERT_EQUAL(fakes[0].ports[i], 1000 + i);	/* ring order */
	}
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);
	rte_ring_free(ring);
	rte_mempool_free(mp);
}

/* An IPFIX exporter is recognised: its counters are said at close. And
 * sp_export_set_open() opens a CSV and the IPFIX URIs from params, or
 * names the output that failed. */
static void
test_open_ipfix(void)
{
	struct sp_export_set_params p;
	struct sp_export_set *s;
	char dir[] = "/tmp/test_export_set.XXXXXX", csv[64], uri[80], want[256], err[256];
	const char *uris[1];

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(csv, sizeof(csv), "%s/flows.csv", dir);
	snprintf(uri, sizeof(uri), "file:%s/flows.ipfix", dir);
	uris[0] = uri;
	memset(&p, 0, sizeof(p));
	p.csv_path = csv;
	p.ipfix = uris;
	p.n_ipfix = 1;
	p.flush_interval_ms = 1000;
	s = sp_export_set_open(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(sp_export_set_count(s), 2);
	cap_start();
	CU_ASSERT_EQUAL(sp_export_set_close(s), 0);
	snprintf(want, sizeof(want), "ipfix %s: records=0 records_dropped=0 messages=1 "
		 "messages_dropped=0 connects=0 disconnects=0\n", uri);
	CU_ASSERT_STRING_EQUAL(cap_end(), want);
	CU_ASSERT_EQUAL(access(csv, R_OK), 0);

	/* a malformed URI: a usage error naming it; the CSV opened is closed */
	uris[0] = "udp://";
	CU_ASSERT_PTR_NULL(sp_export_set_open(&p, err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, "--ipfix udp://: ", 16), 0);
	/* a column to anonymize that does not exist */
	p.n_ipfix = 0;
	p.csv_anonymize = "src_ip,nosuch";
	CU_ASSERT_PTR_NULL(sp_export_set_open(&p, err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--csv-anonymize: 'nosuch' is not a column (docs/columns.md)");
	snprintf(want, sizeof(want), "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(want), 0);
}

static int
suite_init(void)
{
	recs = calloc(FAKE_MAX, sizeof(*recs));
	if (recs == NULL)
		return -1;
	return sp_test_eal_init("export_set", 64);
}

static int
suite_clean(void)
{
	free(recs);
	return sp_test_eal_cleanup();
}

int
sp_test_register(void)
{
	CU_pSuite s = CU_add_suite("export_set", suite_init, suite_clean);

	if (s == NULL ||
	    CU_add_test(s, "ids in order to every exporter", test_ids_in_order) == NULL ||
	    CU_add_test(s, "max_nflows: stop and skip", test_max_nflows) == NULL ||
	    CU_add_test(s, "closed pipe: quiet stop", test_epipe) == NULL ||
	    CU_add_test(s, "write errors said, no output left", test_write_errors) == NULL ||
	    CU_add_test(s, "input stopped anyway", test_input_stopped) == NULL ||
	    CU_add_test(s, "errors at close; free", test_close_errors) == NULL ||
	    CU_add_test(s, "tick: periodic flush", test_tick_flush) == NULL ||
	    CU_add_test(s, "drain a ring into its pool", test_drain) == NULL ||
	    CU_add_test(s, "open CSV and IPFIX from params", test_open_ipfix) == NULL)
		return -1;
	return 0;
}
