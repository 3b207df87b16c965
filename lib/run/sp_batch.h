/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_BATCH_H
#define SP_BATCH_H

/**
 * @file
 * Batch: many captures in one process, one output per capture (--out-dir),
 * so that turning thousands of captures into a dataset pays the start-up
 * (EAL, pools, tables) once instead of once a capture.
 *
 * Each capture is a run of its own, with the output a run of
 * `streamprobe --pcap CAPTURE --csv OUT` with the same options writes, byte
 * for byte:
 *
 * - a worker takes whole captures, the next one from a shared index (so
 *   the work balances), reads it with the project's own reader and keeps
 *   all its flows: what one worker reading one file does;
 * - before each capture but its first the worker is reset
 *   (sp_worker_reset()): clocks, counters, and every hook's context made
 *   anew (nDPI's module keeps caches between flows);
 * - the management lcore gives each capture its own export set, so record
 *   ids start at 0, and writes each worker's records to the set of the
 *   capture that worker is on. A worker's export ring is FIFO: a "begin"
 *   marker before a capture's first record opens its output, an "end"
 *   marker after its last one (after the flush) closes it, says its
 *   errors and counts it.
 *
 * A capture that cannot be read (missing, not a capture, corrupt) gets a
 * one-line error naming it and does not stop the others; one that fails
 * mid-way keeps the flows read up to there, as a run of its own would.
 */

#include <stdbool.h>
#include <stddef.h>

#include <sp_config.h>
#include <sp_export_set.h>
#include <sp_worker.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sp_batch_params {
	/** inputs (pcaps: files, or directories standing for their regular
	 * files), out_dir, overwrite, quiet, no_read_ahead */
	const struct sp_config *cfg;
	unsigned int n_workers;
	/** Each capture's export set: these, with csv_path its output. */
	struct sp_export_set_params exports;
	int socket_id;			/**< of the mbuf pools */
	double start_s;			/**< sp_now_s() when the program started */
};

struct sp_batch;

/**
 * DPDK heap memory a batch takes besides its workers (its mbuf pools: one
 * per worker, as a worker reading its own file has).
 */
size_t sp_batch_heap_size(unsigned int n_workers);

/**
 * List the captures (each --pcap file; each regular file, not starting
 * with '.', of a directory, in byte order of names), make out_dir when it
 * does not exist, and check every output before anything is read: two
 * captures of one name, an output that exists (without --overwrite) or
 * that is an input are refused. Creates each worker's mbuf pool. The
 * workers come later (sp_batch_set_workers()): with cfg->bpf_filter, each
 * takes the filter compiled for the link type of the capture it reads.
 *
 * @param err  the one-line message on failure
 * @return the batch, or NULL with rte_errno set: EINVAL for a refused
 *   output (a usage error), else the cause (ENOENT: no capture in a
 *   directory, a system error making out_dir, ENOMEM).
 */
struct sp_batch *sp_batch_create(const struct sp_batch_params *p, char *err, size_t errlen);

/** The workers (created, not owned) and their lcores; before sp_batch_run(). */
void sp_batch_set_workers(struct sp_batch *b, struct sp_worker *const *workers,
			  const unsigned int *lcores);

/**
 * Read every capture: launch the workers, write the records on this
 * (the main) lcore until every worker is done, then join them.
 *
 * @return 0, or -errno when a worker could not be launched.
 */
int sp_batch_run(struct sp_batch *b);

/** Stop (a signal): the workers end the capture they read and take no other. */
void sp_batch_stop(struct sp_batch *b);

/**
 * The report on standard error: a line per capture unless --quiet (read
 * and write errors always), then the totals, with the run's accounting
 * lines (received = in flows + ignored + filtered + dropped, per capture
 * and in total).
 *
 * @return 0, or -EIO when a capture failed (unreadable, corrupt, its
 *   output failed, not read because of a stop) or an accounting does not
 *   add up.
 */
int sp_batch_report(struct sp_batch *b);

/** NULL is a no-op. After sp_batch_run() returned, or instead of it. */
void sp_batch_free(struct sp_batch *b);

#ifdef __cplusplus
}
#endif

#endif /* SP_BATCH_H */
