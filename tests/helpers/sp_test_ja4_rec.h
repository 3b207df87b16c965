/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_TEST_JA4_REC_H
#define SP_TEST_JA4_REC_H

/*
 * A test double of the core's side of lib/plugin/sp_plugin.h: the
 * sp_plugin_set_* / sp_plugin_list_* calls write into a record the test
 * reads back, the sp_plugin_flow_* calls read a flow the test fills. The
 * rules are the header's: a type mismatch or a bad index is ignored and
 * counted, text longer than the column's max is cut and counted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_plugin.h"

#define SP_TEST_REC_COLS 16
#define SP_TEST_REC_TEXT 8192

struct sp_test_rec_value {
	bool set;		/* false: None */
	int64_t i;
	uint64_t u;
	double d;
	char text[SP_TEST_REC_TEXT];	/* strings as given; lists as Python's repr */
	size_t len;
	unsigned int elems;
};

struct sp_plugin_record {
	const struct sp_plugin_column *cols;
	unsigned int ncols;
	struct sp_test_rec_value v[SP_TEST_REC_COLS];
	uint64_t ignored;	/* bad index or type */
	uint64_t cut;		/* values longer than their column */
};

struct sp_plugin_flow {
	uint64_t packets[3];
	uint64_t bytes[3];
	uint64_t first_seen_ms[3];
	uint64_t last_seen_ms[3];
	uint8_t src_ip[16];
	uint8_t dst_ip[16];
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t protocol;
	uint8_t ip_version;
	uint16_t vlan_id;
};

/** Every column None, for the plugin's columns. */
void sp_test_rec_reset(struct sp_plugin_record *r, const struct sp_plugin_column *cols,
		       unsigned int ncols);

#endif
