/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_PLUGIN_H
#define SP_PLUGIN_H

/**
 * @file
 * streamprobe's plugin interface: NFStream's NFPlugin model in C.
 *
 * A plugin adds per-flow columns. It is called on the worker lcores with
 * each flow's packets, keeps its per-flow state in a slot the worker holds
 * for it (indexed by flow: nothing is allocated per flow or per packet),
 * and writes its columns into the flow's record when the flow ends. The
 * same code runs on files and on live traffic.
 *
 * Life cycle, for a run with `--plugin NAME[:key=value,...]`:
 *   1. configure(): once, on the main lcore, with the plugin's options.
 *      It rejects bad ones with a message, and says how large its per-flow
 *      slot is and which columns it adds (both may depend on the options,
 *      or on work done here: a rule set compiled, a model loaded).
 *   2. worker_init(): once per worker lcore, with the configuration from
 *      step 1; returns the worker's context (no process-wide globals).
 *   3. on_init() with a flow's first packet, on_update() with each later
 *      one, on_expire() when the flow ends: NFStream's on_init, on_update
 *      and on_expire. on_init/on_update return a verdict: continue, done
 *      (no more on_update calls for this flow, so a finished plugin costs
 *      nothing per packet) or expire (the flow ends now with expiration_id
 *      -1, as when an NFPlugin sets flow.expiration_id = -1).
 *   4. worker_fini(), then deconfigure() at exit.
 *
 * Threading: configure/deconfigure on the main lcore before/after the
 * workers run; everything else on one worker lcore, for that worker's
 * context and flows only. Hooks must not block, log or allocate: count
 * what goes wrong instead (the stats callback shows the counters).
 *
 * A plugin is a shared object exporting `sp_plugin_entry` (use
 * SP_PLUGIN_REGISTER), built against this header with
 * `pkg-config --cflags streamprobe-plugin`, and loaded by path:
 * `--plugin ./myplugin.so:key=value`. The plugins shipped with streamprobe
 * use the same interface and are loaded by name. The ABI version is
 * checked at load.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Bumped on any change of the structures or calls below. 2 added the
 * column readers (sp_plugin_column_ref() and the number readers) and
 * changed nothing else: streamprobe also loads plugins built for 1.
 */
#define SP_PLUGIN_ABI_VERSION 2

/** What on_init/on_update want next for the flow. */
enum sp_plugin_verdict {
	SP_PLUGIN_CONTINUE = 0,	/**< call on_update with the flow's next packet */
	SP_PLUGIN_DONE = 1,	/**< no more on_update for this flow (on_expire still comes) */
	SP_PLUGIN_EXPIRE = 2,	/**< end the flow after this packet, expiration_id -1 */
};

/** The type of a column, and how it is written (NFStream's CSV text). */
enum sp_plugin_type {
	SP_PLUGIN_INT = 0,	/**< int64, decimal */
	SP_PLUGIN_UINT,		/**< uint64, decimal */
	SP_PLUGIN_DOUBLE,	/**< Python's repr of a float */
	SP_PLUGIN_STRING,	/**< text in quotes, at most max bytes */
	SP_PLUGIN_INT_LIST,	/**< "[1, 2, 3]", at most max elements */
	SP_PLUGIN_STRING_LIST,	/**< "['a', 'b']" (Python's repr), max elements of max_str bytes */
};

/** A column a plugin adds. Every value starts as None (an empty CSV field). */
struct sp_plugin_column {
	/** Header text: NFStream names user columns "udps.<name>". */
	const char *name;
	enum sp_plugin_type type;
	/** STRING: bytes; lists: elements. Longer values are cut (and counted). */
	uint16_t max;
	/** STRING_LIST: bytes of each element. */
	uint16_t max_str;
	/**
	 * IPFIX: the element id under the run's enterprise number (--ipfix-pen),
	 * in the plugins' range 4096..8191 (streamprobe's own elements use the
	 * others); 0 lets streamprobe number it there.
	 */
	uint16_t ipfix_id;
};

/** One `key=value` of `--plugin NAME:key=value,...`. */
struct sp_plugin_option {
	const char *key;
	const char *value;	/**< "" for a bare key */
};

/** What configure() decides. */
struct sp_plugin_config {
	/** Per-flow state in bytes (0: none), handed to the hooks as `slot`. */
	size_t slot_size;
	/** The plugin's columns, in the order they appear after the core's. */
	const struct sp_plugin_column *columns;
	unsigned int n_columns;
	/** The plugin's own configuration, handed to worker_init and deconfigure. */
	void *conf;
};

/** A packet as NFStream's NFPacket shows it to plugins. */
struct sp_plugin_packet {
	uint64_t time_ms;		/**< packet time (forced monotonic), ms */
	uint8_t direction;		/**< 0 src->dst (as the flow's first packet), 1 back */
	uint8_t ip_version;		/**< 4 or 6 */
	uint8_t protocol;		/**< transport protocol */
	uint8_t tcp_flags;		/**< 0 for non-TCP */
	uint16_t src_port;		/**< this packet's, host order (0: no ports) */
	uint16_t dst_port;
	uint16_t vlan_id;
	uint8_t tunnel_id;		/**< NFStream's tunnel_id (0: none) */
	uint8_t reserved;
	uint16_t raw_size;		/**< wire length (uint16, as NFStream) */
	uint16_t ip_size;
	uint16_t transport_size;
	uint16_t payload_size;
	const uint8_t *src_ip;		/**< 16 bytes; IPv4 in the first 4 */
	const uint8_t *dst_ip;
	const uint8_t *ip;		/**< the packet from its (innermost) IP header */
	uint32_t ip_len;		/**< captured bytes from ip */
	uint32_t payload_offset;	/**< transport payload at ip + payload_offset */
};

/** A flow's current values (NFStream's NFlow, read only). */
struct sp_plugin_flow;

/** Scopes of the per-flow counters. */
enum sp_plugin_scope {
	SP_PLUGIN_BIDIRECTIONAL = 0,
	SP_PLUGIN_SRC2DST = 1,
	SP_PLUGIN_DST2SRC = 2,
};

/** Packets of the flow so far, this packet included. */
uint64_t sp_plugin_flow_packets(const struct sp_plugin_flow *f, enum sp_plugin_scope s);
/** Bytes (under --accounting-mode) so far, this packet included. */
uint64_t sp_plugin_flow_bytes(const struct sp_plugin_flow *f, enum sp_plugin_scope s);
/** First and last packet time of a scope, ms (0: none yet). */
uint64_t sp_plugin_flow_first_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s);
uint64_t sp_plugin_flow_last_seen_ms(const struct sp_plugin_flow *f, enum sp_plugin_scope s);
/** The flow's key as its first packet gave it. */
const uint8_t *sp_plugin_flow_src_ip(const struct sp_plugin_flow *f);	/**< 16 bytes */
const uint8_t *sp_plugin_flow_dst_ip(const struct sp_plugin_flow *f);
uint16_t sp_plugin_flow_src_port(const struct sp_plugin_flow *f);
uint16_t sp_plugin_flow_dst_port(const struct sp_plugin_flow *f);
uint8_t sp_plugin_flow_protocol(const struct sp_plugin_flow *f);
uint8_t sp_plugin_flow_ip_version(const struct sp_plugin_flow *f);
uint16_t sp_plugin_flow_vlan_id(const struct sp_plugin_flow *f);

/** Where on_expire writes the plugin's columns (column i of its own). */
struct sp_plugin_record;

/*
 * Setting values: col is the index in the plugin's own column list. A
 * type mismatch or an index out of range is ignored and counted; text and
 * lists longer than the column's max are cut and counted. Strings are
 * bytes (no NUL needed): the CSV writer escapes them as NFStream does.
 */
void sp_plugin_set_int(struct sp_plugin_record *r, unsigned int col, int64_t v);
void sp_plugin_set_uint(struct sp_plugin_record *r, unsigned int col, uint64_t v);
void sp_plugin_set_double(struct sp_plugin_record *r, unsigned int col, double v);
void sp_plugin_set_string(struct sp_plugin_record *r, unsigned int col, const char *s,
			  size_t len);
/** Appends to a list column (a list with no element is written "[]"). */
void sp_plugin_list_add_int(struct sp_plugin_record *r, unsigned int col, int64_t v);
void sp_plugin_list_add_string(struct sp_plugin_record *r, unsigned int col, const char *s,
			       size_t len);
/** Makes a list column an empty list, "[]" (a list column starts as None). */
void sp_plugin_list_clear(struct sp_plugin_record *r, unsigned int col);
/** Back to None (an empty field). */
void sp_plugin_set_none(struct sp_plugin_record *r, unsigned int col);

/*
 * Reading other columns (ABI 2): a plugin that computes from the flow's
 * record, as a model does from its features, names the numeric columns it
 * reads at configure() and reads their values at on_expire, or mid-flow.
 *
 * The columns it may name: the core's numeric ones (bidirectional_packets,
 * src2dst_mean_ps, ...: not the addresses, MACs, OUIs nor id; the
 * statistical ones with --statistical-analysis), an SPLT position
 * (splt_ps[0], splt_piat_ms[3], splt_direction[1], below --splt-analysis),
 * nDPI's numeric columns, and the numeric columns of the plugins given
 * before this one (theirs are written before its on_expire runs).
 */

/** sp_plugin_column_ref() flag: the column must be readable mid-flow
 * (sp_plugin_flow_numbers()): the core's and SPLT positions only. */
#define SP_PLUGIN_REF_LIVE 1u

/**
 * A reference to a numeric column of the run, to read its values. Only
 * during configure() (on the main lcore); the reference holds for the run.
 *
 * @param name   the column's header text ("src2dst_bytes", "splt_ps[2]",
 *               "udps.x")
 * @param flags  0 or SP_PLUGIN_REF_LIVE
 * @param err    on failure a one-line reason naming the column
 * @return a reference >= 0, or -ENOENT (no such column in this run, or not
 *   one before this plugin), -EINVAL (not numeric; mid-flow asked of a
 *   column written at the flow's end), -EPERM (outside configure()).
 */
int sp_plugin_column_ref(const char *name, unsigned int flags, char *err, size_t errlen);

/**
 * At on_expire: the values of n referenced columns in the flow's record,
 * as doubles (an integer above 2^53 rounded). A column whose value is None
 * gives NaN.
 */
void sp_plugin_record_numbers(const struct sp_plugin_record *r, const int32_t *refs,
			      unsigned int n, double *out);

/**
 * At on_init/on_update: the values the flow's record would hold if the
 * flow ended with this packet (expiration_id -1, as when a plugin ends it
 * there; durations, statistics and SPLT arrays so far). Only references
 * taken with SP_PLUGIN_REF_LIVE; any other gives NaN. p and f are the
 * hook's arguments. Exports the flow's record once a call: for a flow's
 * one prediction, not for every packet.
 */
void sp_plugin_flow_numbers(const struct sp_plugin_packet *p, const struct sp_plugin_flow *f,
			    const int32_t *refs, unsigned int n, double *out);

/** A counter for telemetry and the exit report. */
struct sp_plugin_stat {
	const char *name;
	uint64_t value;
};

/** The plugin: what `sp_plugin_entry` points at. */
struct sp_plugin {
	uint32_t abi_version;		/**< SP_PLUGIN_ABI_VERSION */
	const char *name;		/**< as given to --plugin */
	const char *version;
	const char *description;
	/**
	 * Check the options and decide the slot and columns.
	 * @return 0, or -EINVAL with a one-line reason in err (naming the key).
	 */
	int (*configure)(const struct sp_plugin_option *opts, unsigned int n_opts,
			 struct sp_plugin_config *out, char *err, size_t errlen);
	/** Release what configure() made; may be NULL. */
	void (*deconfigure)(void *conf);
	/**
	 * Per worker; returns its context, or NULL (the run stops). May be NULL.
	 * max_flows is the worker's flow table capacity: live --max-flows, and
	 * reading files what --max-memory pays for (millions): an upper bound
	 * for a pool, not a size to allocate and touch.
	 */
	void *(*worker_init)(const void *conf, unsigned int worker_id, int socket_id,
			     uint32_t max_flows);
	void (*worker_fini)(void *wctx);
	/**
	 * A flow's first packet. The slot is zeroed before the call.
	 * @return an enum sp_plugin_verdict.
	 */
	int (*on_init)(void *wctx, void *slot, const struct sp_plugin_packet *p,
		       const struct sp_plugin_flow *f);
	/** A later packet (the flow's counters include it). May be NULL. */
	int (*on_update)(void *wctx, void *slot, const struct sp_plugin_packet *p,
			 const struct sp_plugin_flow *f);
	/** The flow ends: write the columns. Also after done or expire. */
	void (*on_expire)(void *wctx, void *slot, const struct sp_plugin_flow *f,
			  struct sp_plugin_record *r);
	/**
	 * The worker's counters, at most max into out (read from another lcore:
	 * approximate). May be NULL.
	 * @return the number written.
	 */
	unsigned int (*stats)(const void *wctx, struct sp_plugin_stat *out, unsigned int max);
};

/** Declare the plugin a shared object exports. */
#define SP_PLUGIN_REGISTER(p) \
	const struct sp_plugin *sp_plugin_entry(void); \
	const struct sp_plugin *sp_plugin_entry(void) { return &(p); }

#ifdef __cplusplus
}
#endif

#endif /* SP_PLUGIN_H */
