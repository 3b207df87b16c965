/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_EXPORT_SET_H
#define SP_EXPORT_SET_H

/**
 * @file
 * The export set: the exporters of one run, fed as one.
 *
 *   export rings → [max_nflows] → record id → every exporter still working
 *
 * It gives each record its id (NFStream's, 0.. in the order records are
 * handed over), stops at max_nflows, flushes every exporter each flush
 * interval, and says a failed output at once instead of after the run:
 *
 * - -EPIPE: the reader of "--csv -" (head, a closed pipe) is gone; like any
 *   stage of a pipeline the run stops then, and it is not a failure;
 * - another write error (a full disk): said at once, that exporter gets
 *   nothing more; with every output gone the input stops too;
 * - IPFIX losses: a warning while running (the first at once, then at most
 *   every 10 s), an error that fails the run at the end.
 *
 * The set never stops the input itself: the run asks sp_export_set_stopping()
 * after handing records over and stops its input and workers then.
 *
 * Thread safety: one lcore (the management lcore) uses a set.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include <sp_export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most exporters in one set: a CSV and the IPFIX ones. */
#define SP_EXPORT_SET_MAX 9

/** Records taken off an export ring at a time (sp_export_set_drain()). */
#define SP_EXPORT_SET_BURST 64

struct sp_export_set_params {
	/** Records exported at most (NFStream's max_nflows), 0 for no limit. */
	uint64_t max_nflows;
	/** sp_export_set_tick() flushes every exporter at least this often, ms. */
	uint32_t flush_interval_ms;
	/**
	 * A status line may be on standard error (no --quiet): a message then
	 * starts on a line of its own when standard error is a terminal.
	 */
	bool status_line;
	/* What sp_export_set_open() opens (sp_export_set_create() ignores it). */
	struct sp_columns cols;		/**< the run's column set */
	const char *csv_path;		/**< a CSV first ("-": standard output), NULL: none */
	struct sp_csv_params csv;	/**< its files (anonymization: the next two) */
	const char *csv_anonymize;	/**< columns to anonymize, comma-separated, or NULL */
	const char *csv_anonymize_key;	/**< their key file, or NULL */
	const char *const *ipfix;	/**< then an IPFIX exporter per URI */
	unsigned int n_ipfix;
	struct sp_ipfix_params ipfix_params;	/**< for all of them */
};

struct sp_export_set_stats {
	uint64_t exported;	/**< records given an id (the next id) */
	uint64_t skipped;	/**< records beyond max_nflows, not exported */
};

struct sp_export_set;

/** @return the set, empty, or NULL with rte_errno set (EINVAL, ENOMEM). */
struct sp_export_set *sp_export_set_create(const struct sp_export_set_params *p);

/**
 * Create a set and open its exporters: the CSV, then each IPFIX URI.
 *
 * @param err  on failure, the message naming the output and the cause
 *   ("--ipfix URI: ...", "PATH: ...", "--csv-anonymize: ...")
 * @return the set, or NULL with rte_errno set: EINVAL for a wrong setting
 *   (a usage error: a malformed URI, a column to anonymize that does not
 *   exist, a bad key file), EADDRNOTAVAIL when an IPFIX host does not
 *   resolve, else the errno of the failed open (sp_export_csv_open_params(),
 *   sp_export_ipfix_open()). What was opened is closed again.
 */
struct sp_export_set *sp_export_set_open(const struct sp_export_set_params *p, char *err,
					 size_t errlen);

/**
 * Add an exporter; records go to the exporters in the order they were
 * added. The set closes it from now on (sp_export_set_close()), also when
 * this fails.
 *
 * @param name  what messages call it (the path, the URI); kept, not copied
 * @return 0, -EINVAL (NULL argument), -ENOSPC (SP_EXPORT_SET_MAX reached)
 */
int sp_export_set_add(struct sp_export_set *s, struct sp_exporter *e, const char *name);

/** Number of exporters in the set. */
unsigned int sp_export_set_count(const struct sp_export_set *s);

/**
 * Hand one record to every working exporter with the next id, or skip it
 * (counted) once max_nflows records were exported. Write errors are said
 * and remembered as described above.
 *
 * @return 0 when exported, -ENOSPC when skipped beyond max_nflows.
 */
int sp_export_set_write(struct sp_export_set *s, struct sp_flow_record *r);

/**
 * Take up to SP_EXPORT_SET_BURST records off a worker's export ring, write
 * them (sp_export_set_write()) in ring order and put them back in their pool.
 *
 * @return the number taken off the ring.
 */
unsigned int sp_export_set_drain(struct sp_export_set *s, struct rte_ring *ring,
				 struct rte_mempool *pool);

/**
 * Whether the input should stop: max_nflows records were exported, the
 * reader of a pipe is gone, or no output is left.
 */
bool sp_export_set_stopping(const struct sp_export_set *s);

/**
 * Tell the set that the input stopped for another reason (a signal, its
 * end): a later failure of the last output then stops nothing and is not
 * said to ("no output left").
 */
void sp_export_set_input_stopped(struct sp_export_set *s);

/**
 * Housekeeping, to call often: every flush interval, busy or not, what
 * every exporter holds leaves (a live CSV shows its flows, partial IPFIX
 * messages go), TCP exporters reconnect even while no flow ends, and
 * IPFIX losses are warned about.
 */
void sp_export_set_tick(struct sp_export_set *s);

/**
 * Flush every working exporter now (end of the run, before the report),
 * so that a write error is said when it happens, not after the report.
 */
void sp_export_set_flush(struct sp_export_set *s);

void sp_export_set_get_stats(const struct sp_export_set *s, struct sp_export_set_stats *st);

/**
 * Close every exporter and free the set; NULL is a no-op. Each IPFIX
 * exporter's counters are printed ("ipfix URI: records=..."), its losses
 * said as an error; a close error not said before is said.
 *
 * @return 0, or -EIO when an output failed (a write error, an IPFIX loss):
 *   the run must fail. A closed pipe is not a failure.
 */
int sp_export_set_close(struct sp_export_set *s);

/**
 * Close every exporter without a word and free the set (a run that never
 * started: setup failed); NULL is a no-op.
 */
void sp_export_set_free(struct sp_export_set *s);

#ifdef __cplusplus
}
#endif

#endif /* SP_EXPORT_SET_H */
