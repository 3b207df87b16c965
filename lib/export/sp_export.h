/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_EXPORT_H
#define SP_EXPORT_H

/**
 * @file
 * Exporters: turn finished flow records into output. They run on the
 * management lcore, never on a worker, so formatting costs no packet time.
 *
 * Every exporter is an ops table (struct sp_exporter_ops); the app opens the
 * ones the user asked for and hands each record to all of them.
 *
 * Thread safety: an exporter instance is used by one lcore at a time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sp_features.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which columns a run produces (NFStream's column set rules, spec §2). */
struct sp_columns {
	bool tunnel_id;		/**< decode_tunnels: the tunnel_id column exists */
	bool statistical;	/**< the 48 ps/piat/flag columns */
	uint16_t splt_n;	/**< 0: no SPLT columns; else 3 columns of n values */
	bool app;		/**< n_dissections > 0: the 9 application columns */
	/* Beyond NFStream, after its columns; both need app. */
	bool ndpi_risks;	/**< application_risks, application_risk_score */
	bool ndpi_extra;	/**< dns_query_type, dns_response_code, tls_version, tls_cipher */
};

/** An exporter instance (opaque to the app). */
struct sp_exporter;

/** Operations every exporter implements. */
struct sp_exporter_ops {
	const char *name;
	/** Write one record. 0 or -errno (-EIO, -ENOSPC, ...). */
	int (*write)(struct sp_exporter *e, const struct sp_flow_record *r);
	/** Push buffered output out. 0 or -errno. */
	int (*flush)(struct sp_exporter *e);
	/** Flush, release everything. 0 or -errno of the last failure. NULL: no-op. */
	int (*close)(struct sp_exporter *e);
};

/** Common head of every exporter instance. */
struct sp_exporter {
	const struct sp_exporter_ops *ops;
	uint64_t records;	/**< records written */
	uint64_t errors;	/**< write failures (records lost) */
};

/**
 * Open a CSV exporter writing NFStream's to_csv() format (spec §9): header
 * line from the column set, then one line per record.
 *
 * @param path
 *   Output path ("-" for standard output). The file is created (truncated)
 *   at once so that an unwritable path fails here, not at the first flow.
 * @param cols
 *   The run's column set.
 * @return
 *   The exporter, or NULL with rte_errno set (errno of the failed open).
 */
struct sp_exporter *sp_export_csv_open(const char *path, const struct sp_columns *cols);

/** Helpers calling through the ops table. */
static inline int
sp_export_write(struct sp_exporter *e, const struct sp_flow_record *r)
{
	int ret = e->ops->write(e, r);

	if (ret == 0)
		e->records++;
	else
		e->errors++;
	return ret;
}

static inline int
sp_export_flush(struct sp_exporter *e)
{
	return e->ops->flush(e);
}

/** Close and free; NULL is a no-op. Returns 0 or the first -errno seen. */
int sp_export_close(struct sp_exporter *e);

/**
 * Format a double as Python's repr() (str()) does: shortest round-trip
 * digits, positional for 1e-4 <= |x| < 1e16 with at least one fractional
 * digit ("54.0"), scientific otherwise ("1e-05", "1.5e+16"); also "inf",
 * "-inf", "nan", "-0.0".
 *
 * @return number of characters written (without the NUL), or 0 if len is
 *   too small (32 bytes always suffice).
 */
size_t sp_export_pyfloat(double x, char *buf, size_t len);

/**
 * Write the column names of a column set, comma-separated, no newline.
 * @return characters written (without NUL), or 0 if len is too small.
 */
size_t sp_export_csv_header(const struct sp_columns *cols, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SP_EXPORT_H */
