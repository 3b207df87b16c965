/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_TEST_PLUGIN_REC_H
#define SP_TEST_PLUGIN_REC_H

/**
 * @file
 * Test doubles of the run's side of sp_plugin.h, for unit tests of plugins
 * without the loader and the worker: the sp_plugin_set_* / list calls write
 * into an inspectable record, the sp_plugin_flow_* calls read a flow the
 * test fills, and each value can be written as NFStream's to_csv() writes
 * it (csv_converter: str() of the value, '"' as '\"', in quotes; numbers
 * bare; None empty), so that it compares with the corpus's expected cells.
 *
 * sp_test_plugin_corpus() runs a plugin over a corpus capture the way
 * NFStream meters it (flows by 5-tuple, 120 s idle, 1800 s active, a flow
 * ended by the plugin's expire verdict) and compares its columns with
 * expected-plugins/<capture>.csv.gz.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sp_plugin.h>

#define SP_TEST_REC_COLS 16
#define SP_TEST_REC_ELTS 256
#define SP_TEST_REC_STR 2048

struct sp_test_rec_val {
	bool set;
	int64_t i;
	uint64_t u;
	double d;
	uint32_t n;			/**< string bytes / list elements */
	char str[SP_TEST_REC_STR];
	int64_t ints[SP_TEST_REC_ELTS];
	uint16_t slen[SP_TEST_REC_ELTS];
	char *strs[SP_TEST_REC_ELTS];	/**< each SP_TEST_REC_STR bytes, allocated by init */
};

struct sp_plugin_record {
	const struct sp_plugin_column *cols;
	unsigned int n;
	uint64_t cut;			/**< values cut at the column's max */
	uint64_t bad;			/**< type mismatches, bad indexes */
	struct sp_test_rec_val v[SP_TEST_REC_COLS];
};

struct sp_plugin_flow {
	uint64_t packets[3], bytes[3], first_ms[3], last_ms[3];
	uint8_t src_ip[16], dst_ip[16];
	uint16_t src_port, dst_port, vlan_id;
	uint8_t protocol, ip_version;
};

/** A record for the columns (heap; free with sp_test_rec_free()). */
struct sp_plugin_record *sp_test_rec_new(const struct sp_plugin_column *cols, unsigned int n);
void sp_test_rec_free(struct sp_plugin_record *r);
/** Every value back to None. */
void sp_test_rec_clear(struct sp_plugin_record *r);
/** Column col's value as NFStream's CSV writes it. @return its length. */
size_t sp_test_rec_csv(const struct sp_plugin_record *r, unsigned int col, char *out,
		       size_t cap);
/** Python's repr() of a str given as UTF-8 bytes. @return its length. */
size_t sp_test_py_repr(const char *s, size_t n, char *out, size_t cap);

/** What sp_test_plugin_corpus() found. */
struct sp_test_corpus_res {
	unsigned int flows;		/**< flows to the port compared */
	unsigned int cells;		/**< cells compared */
	unsigned int differ;		/**< cells that differ (printed) */
	unsigned int verdicts_differ;	/**< expiration_id -1 iff expired: not so */
	unsigned int unmatched;		/**< our flows without an expected row (printed) */
	unsigned int missed;		/**< expected flows to the port we did not make */
	unsigned int with_values;	/**< flows compared with a value other than None / [] */
	unsigned int bad_calls;		/**< flows with bad or cut setter calls */
	uint64_t raises;		/**< the plugin's "nfstream_raises" counter at the end */
};

/**
 * The corpus's directory (SP_CORPUS, or ../shared/corpus next to the
 * source tree) in dir. @return whether it is there.
 */
bool sp_test_corpus_dir(char *dir, size_t len);

/**
 * Run the plugin over pcaps/<capture> and compare, for the flows whose
 * first packet goes to port, each of its columns with the cell of the same
 * header in expected-plugins/<capture>.csv.gz (exact text), and the flow's
 * end (expiration_id -1 iff the plugin said expire). Without expected
 * (a capture NFStream writes nothing for): the run alone, no comparison.
 * @return 0, or -1 when the capture or the expected file cannot be read.
 */
int sp_test_plugin_corpus(const struct sp_plugin *pl, const char *corpus, const char *capture,
			  uint16_t port, bool expected, struct sp_test_corpus_res *res);

/**
 * The differential test's driver (tests/integration/test_plugin_dpkt.py):
 * read flows from in, one per block
 *   F <ip version> <src ip hex> <dst ip hex> <src port> <dst port> <protocol>
 *   P <direction> <IP packet hex>     (any number)
 *   E
 * and write, for each P, "P <verdict> <1 if counted as raising>" ("P -"
 * after a verdict other than continue), then at E a "C <hex>" line per
 * column (its CSV text) and "E <bad calls> <values cut>".
 * @return 0, or -1 on a malformed input.
 */
#include <stdio.h>
int sp_test_plugin_replay(const struct sp_plugin *pl, FILE *in, FILE *out);

#endif
