/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_EXPORT_H
#define SP_EXPORT_H

/**
 * @file
 * Exporters: turn finished flow records into output. They run on the
 * management lcore, never on a worker, so formatting costs no packet time.
 *
 * Every exporter is an ops table (struct sp_exporter_ops); a run's export
 * set (sp_export_set.h) opens the ones the user asked for and hands each
 * record to all of them.
 *
 * Thread safety: an exporter instance is used by one lcore at a time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sp_features.h>

struct sp_plugins_column;
struct sp_plugins;

#ifdef __cplusplus
extern "C" {
#endif

/** Which columns a run produces (NFStream's column set rules, docs/nfstream-semantics.md §2). */
struct sp_columns {
	bool tunnel_id;		/**< decode_tunnels: the tunnel_id column exists */
	bool statistical;	/**< the 48 ps/piat/flag columns */
	uint16_t splt_n;	/**< 0: no SPLT columns; else 3 columns of n values */
	/**
	 * The plugins' columns, after every other (sp_plugins_columns()); 0:
	 * none. nDPI's (NFStream's nine application columns, then those of
	 * --ndpi-risks and --ndpi-extra) are the first when it is loaded.
	 */
	const struct sp_plugins_column *plugin_cols;
	unsigned int n_plugin_cols;
};

/**
 * The column set's parts that come from the run's plugins (lib/plugin):
 * nDPI's columns when the loader registered nDPI, then every plugin's
 * columns. The rest of cols is left as it is. The exporters then walk the registry in this order:
 * the core columns, nDPI's, each plugin's in --plugin order
 * (sp_export_columns_all()).
 *
 * @param ps  the run's plugins; NULL: no nDPI and no plugin columns
 */
void sp_export_columns_plugins(struct sp_columns *cols, const struct sp_plugins *ps);

/** An exporter instance (its format's state opaque to the export set). */
struct sp_exporter;

/** Operations every exporter implements. */
struct sp_exporter_ops {
	const char *name;
	/** Write one record. 0 or -errno (-EIO, -ENOSPC, ...). */
	int (*write)(struct sp_exporter *e, const struct sp_flow_record *r);
	/** Push buffered output out. 0 or -errno (-EPIPE: the reader is gone for good). */
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
 * Open a CSV exporter writing NFStream's to_csv() format (docs/nfstream-semantics.md §9): header
 * line from the column set, then one line per record.
 *
 * @param path
 *   Output path ("-" for standard output). The file is created (truncated)
 *   and the header written at once, so that an unwritable path fails here,
 *   not at the first flow, and a run without a flow still gives a header.
 * @param cols
 *   The run's column set.
 * @return
 *   The exporter, or NULL with rte_errno set (errno of the failed open).
 */
struct sp_exporter *sp_export_csv_open(const char *path, const struct sp_columns *cols);

/** Bytes of the anonymization key (NFStream: secrets.token_bytes(64)). */
#define SP_EXPORT_CSV_KEY_LEN 64
/** Most columns one CSV exporter anonymizes. */
#define SP_EXPORT_CSV_MAX_ANON 95

/**
 * The rest of NFStream's to_csv() parameters (docs/csv.md). A zero field
 * keeps to_csv()'s default; a NULL params pointer keeps them all.
 */
struct sp_csv_params {
	/**
	 * columns_to_anonymize: each value of these columns is replaced by
	 * blake2b(str(value), digest_size=64, key=KEY).hexdigest(), written
	 * as a string ("..."). Names that are columns but not of this column
	 * set are skipped (NFStream: a warning); unknown names fail the open.
	 */
	const char *const *anonymize;
	unsigned int n_anonymize;
	/** The BLAKE2b key (SP_EXPORT_CSV_KEY_LEN bytes); NULL: random per open, like NFStream. */
	const uint8_t *anonymize_key;
	/**
	 * flows_per_file: after this many rows start a new file, each with
	 * the header. File k is the path with every "csv" of its file name
	 * replaced by "k.csv" (flows.csv: flows.0.csv, flows.1.csv, ...),
	 * which the file name must therefore contain. 0: one file.
	 */
	uint64_t flows_per_file;
	/** rotate_files: with flows_per_file, file k is named after k % rotate_files. */
	uint32_t rotate_files;
};

/**
 * Open a CSV exporter with NFStream's to_csv() parameters.
 *
 * Unlike to_csv(), the header is written at once, so that a run without a
 * flow still gives a CSV that readers accept (header only).
 *
 * @return
 *   The exporter, or NULL with rte_errno set: EINVAL for an unknown column
 *   to anonymize, flows_per_file with "-" or with no "csv" in the file
 *   name, or rotate_files without flows_per_file; ENOMEM; the errno of a
 *   failed open(2) or getrandom(2).
 */
struct sp_exporter *sp_export_csv_open_params(const char *path, const struct sp_columns *cols,
					      const struct sp_csv_params *p);

/**
 * The anonymization part of struct sp_csv_params as the command line
 * gives it, parsed (sp_export_csv_anon_parse()): params points into it.
 */
struct sp_csv_anon {
	const char *names[SP_EXPORT_CSV_MAX_ANON];
	uint8_t key[SP_EXPORT_CSV_KEY_LEN];
	char list[1024];
};

/**
 * Fill the anonymization fields of p from a comma-separated list of
 * column names (--csv-anonymize) and a key file (--csv-anonymize-key), as
 * NFStream's to_csv() takes them: an unknown name is an error; a column
 * this run does not produce is skipped with a warning on standard error,
 * as NFStream warns. Call sp_export_csv_anon_clear() once the exporter is
 * open.
 *
 * @param list  the names, or NULL for none (then key_path is not read)
 * @param key_path  the key file, or NULL for a random key per open
 * @param a  storage p points into afterwards
 * @param err  the message ("--csv-anonymize: ...") on failure
 * @return 0, -EINVAL (a bad name, too many, a bad key file: a usage
 *   error), -errno reading the key.
 */
int sp_export_csv_anon_parse(const char *list, const char *key_path,
			     const struct sp_columns *cols, struct sp_csv_anon *a,
			     struct sp_csv_params *p, char *err, size_t errlen);

/** Wipe the key out of a's memory. */
void sp_export_csv_anon_clear(struct sp_csv_anon *a);

/**
 * Read an anonymization key: a file of exactly SP_EXPORT_CSV_KEY_LEN bytes
 * (head -c 64 /dev/urandom > KEYFILE), so that several runs hash a value
 * alike and their datasets stay joinable.
 *
 * @return 0, -EINVAL when the file is not 64 bytes long, or -errno of open/read.
 */
int sp_export_csv_load_key(const char *path, uint8_t key[SP_EXPORT_CSV_KEY_LEN]);

/**
 * Where a column name stands for a column set.
 *
 * @return 0 when the set has the column, -ENOENT when the column exists but
 *   not in this set, -EINVAL when no column has that name.
 */
int sp_export_column_find(const char *name, const struct sp_columns *cols);

/* ------------------------------------------------------------------------ */
/* IPFIX (RFC 7011) with RFC 5103 biflow records. Elements: docs/ipfix.md.  */

/**
 * Default PEN of the enterprise-specific elements: 32473, the PEN RFC 5612
 * reserves for documentation and examples. streamprobe has no PEN of its
 * own; a deployment that mixes several enterprise vocabularies should set
 * sp_ipfix_params::pen to one it owns.
 */
#define SP_IPFIX_PEN_DEFAULT 32473u

/** IANA-registered IPFIX port (RFC 7011 §10.3.4), the usual collector port. */
#define SP_IPFIX_PORT 4739

/** Defaults taken by zero fields of struct sp_ipfix_params. */
#define SP_IPFIX_DEFAULT_MTU 1500
#define SP_IPFIX_DEFAULT_REFRESH_MS 60000
#define SP_IPFIX_DEFAULT_RECONNECT_MIN_MS 250
#define SP_IPFIX_DEFAULT_RECONNECT_MAX_MS 30000
#define SP_IPFIX_DEFAULT_BUFFER (16u << 20)
#define SP_IPFIX_DEFAULT_LINGER_MS 2000

/**
 * IPFIX exporter settings. A zero field takes the default named after it;
 * a NULL params pointer takes every default.
 */
struct sp_ipfix_params {
	uint32_t domain_id;	/**< Observation Domain ID of the messages (0 is valid) */
	uint32_t pen;		/**< PEN of the enterprise elements (SP_IPFIX_PEN_DEFAULT) */
	/** UDP: path MTU; a message is at most mtu - IP - UDP headers (1500). */
	uint16_t mtu;
	/** UDP: templates are sent again at least this often, ms (RFC 7011 §8.4; 60000). */
	uint32_t template_refresh_ms;
	/** UDP: and also before every N-th message (0: by time only). */
	uint32_t template_refresh_msgs;
	/** TCP: first reconnect delay, doubled after each failure (250 ms) ... */
	uint32_t reconnect_min_ms;
	/** ... up to this (30000 ms). */
	uint32_t reconnect_max_ms;
	/**
	 * TCP: bytes of messages kept while the collector is away or slow,
	 * and until the kernel reports them acknowledged (16 MiB). Records
	 * that do not fit are dropped and counted.
	 */
	size_t buffer_size;
	/** TCP: close() waits at most this long for the backlog to be acknowledged (2000). */
	uint32_t linger_ms;
	/** File: start a new file when this many bytes were written (0: never). */
	uint64_t rotate_bytes;
	/** File: start a new file every this many seconds (0: never). */
	uint32_t rotate_s;
	/**
	 * UDP: records per second at most (0: unpaced). Datagrams leave in
	 * batches of up to 32, spaced so that the average stays at the rate: a
	 * collector's socket buffer then only has to hold one batch.
	 */
	uint32_t rate;
	/**
	 * UDP with a rate: wait for the pace (offline input, where holding the
	 * caller up loses nothing) instead of queueing up to 32 datagrams and
	 * dropping, and counting, what does not fit (live input).
	 */
	bool rate_wait;
};

/** Longest cause of a loss (struct sp_ipfix_stats::loss_cause), NUL included. */
#define SP_IPFIX_CAUSE_LEN 96

/** IPFIX exporter counters (sp_export_ipfix_get_stats()). */
struct sp_ipfix_stats {
	uint64_t records;		/**< data records encoded */
	uint64_t records_dropped;	/**< of those, lost: never handed to the transport */
	uint64_t messages;		/**< messages handed over, templates included */
	uint64_t messages_dropped;	/**< messages lost (UDP send failure, TCP buffer full) */
	uint64_t bytes;			/**< bytes handed to the transport */
	uint64_t template_sends;	/**< template sends (open, refresh, reconnect, file) */
	uint64_t oversize;		/**< UDP records too large for the MTU, sent alone */
	uint64_t connects;		/**< TCP connections established */
	uint64_t disconnects;		/**< TCP connections lost */
	uint64_t resent_messages;	/**< TCP messages sent again after a reconnect */
	uint64_t buffered_bytes;	/**< TCP bytes held now (unsent or unacknowledged) */
	uint64_t files;			/**< files opened (1 + rotations) */
	/**
	 * UDP: ICMP errors (port or host unreachable) the socket reported. Each
	 * means that one earlier datagram or more never reached the collector;
	 * how many records they held is unknown.
	 */
	uint64_t refused;
	bool connected;			/**< TCP: a connection is up now */
	/** Why the latest loss happened ("collector unreachable: ..."), "" when none. */
	char loss_cause[SP_IPFIX_CAUSE_LEN];
};

/** Losses not reported yet (sp_export_ipfix_poll_loss()). */
struct sp_ipfix_loss {
	uint64_t records;	/**< records dropped since the last report */
	uint64_t refused;	/**< UDP ICMP errors since the last report (see sp_ipfix_stats) */
	char cause[SP_IPFIX_CAUSE_LEN];	/**< why the latest of them happened */
};

/**
 * Open an IPFIX exporter.
 *
 * Templates 256 (IPv4 flows) and 257 (IPv6 flows) carry every column of the
 * set, one element per column (docs/ipfix.md). Writes never block for
 * long: UDP sends are non-blocking and a message the socket refuses is
 * dropped and counted (with a rate and rate_wait, a write waits for the
 * pace instead: offline input only); TCP connects and sends without
 * blocking, reconnects with exponential backoff and holds records in a
 * bounded buffer meanwhile. Losses and their cause: sp_export_ipfix_poll_loss().
 * The caller should call sp_export_flush() every 100 ms to 1 s so that
 * partial messages leave and a TCP exporter makes progress while idle.
 *
 * @param uri
 *   "udp://HOST:PORT", "tcp://HOST:PORT" (HOST a name, an IPv4 address or
 *   [IPv6]) or "file:PATH". With rotation a file is PATH.000000,
 *   PATH.000001, ...; without, PATH.
 * @param cols
 *   The run's column set.
 * @param p
 *   Settings, or NULL for the defaults.
 * @return
 *   The exporter, or NULL with rte_errno set: EINVAL for a malformed URI or
 *   bad settings, EADDRNOTAVAIL when HOST does not resolve, E2BIG when a
 *   record of this column set cannot fit an IPFIX message (SPLT too long),
 *   the errno of a failed open(2) or socket(2), ENOMEM.
 */
struct sp_exporter *sp_export_ipfix_open(const char *uri, const struct sp_columns *cols,
					 const struct sp_ipfix_params *p);

/**
 * Read an IPFIX exporter's counters.
 *
 * @return 0, or -EINVAL when e is not an IPFIX exporter.
 */
int sp_export_ipfix_get_stats(const struct sp_exporter *e, struct sp_ipfix_stats *st);

/**
 * Close an IPFIX exporter like sp_export_close(), first reading its final
 * counters: records a TCP exporter could not get acknowledged within
 * linger_ms count as dropped.
 *
 * @param st  filled with the final counters (may be NULL)
 * @return as sp_export_close(); -EINVAL (nothing closed) when e is not an
 *   IPFIX exporter.
 */
int sp_export_ipfix_close(struct sp_exporter *e, struct sp_ipfix_stats *st);

/**
 * The losses of an exporter since its last report, for a warning while
 * running that is neither silent nor a flood: the first loss is reported
 * at the first call after it, later ones at most once per interval.
 *
 * @param interval_ms  least time between two reports; 0 reports whatever
 *   is pending (the last call before closing)
 * @param l  filled when there is something to report
 * @return 1 when l holds a report, 0 when there is none now, -EINVAL when e
 *   is not an IPFIX exporter.
 */
int sp_export_ipfix_poll_loss(struct sp_exporter *e, uint32_t interval_ms,
			      struct sp_ipfix_loss *l);

/** Formats of the published element list (sp_export_ipfix_elements()). */
enum sp_ipfix_elements_format {
	/** libfixbuf/ipfixDump --element-file XML (IANA registry schema + cert:enterpriseId). */
	SP_IPFIX_ELEMENTS_XML = 0,
	/** IANA registry CSV layout with EnterpriseId and NFStream column fields. */
	SP_IPFIX_ELEMENTS_CSV,
	/** python3-ipfix / ipfix2csv -s lines: name(PEN/ID)<type>[len]. */
	SP_IPFIX_ELEMENTS_IESPEC,
	/** Markdown table: every CSV column and its element (docs/ipfix.md). */
	SP_IPFIX_ELEMENTS_MARKDOWN,
};

/**
 * Write the elements of a column set in a form collectors load.
 *
 * @param cols  the column set, or NULL for every column
 * @param pen   PEN of the enterprise elements (0: SP_IPFIX_PEN_DEFAULT)
 * @return 0, -EINVAL on a bad format, -ENOMEM, -EIO when writing failed.
 */
int sp_export_ipfix_elements(FILE *f, enum sp_ipfix_elements_format fmt,
			     const struct sp_columns *cols, uint32_t pen);

/**
 * The format of that name ("xml", "csv", "iespec", "markdown", as
 * --ipfix-elements takes), or -EINVAL.
 */
int sp_export_ipfix_elements_format(const char *name);

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
