/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table of output columns. Order and names are NFStream's
 * NFlow.__slots__ (flow.py): every exporter walks this table, so a column
 * is added or moved here and nowhere else. The columns of the run's
 * plugins follow it (sp_export_columns_all()): nDPI's first (NFStream's
 * nine application columns, then streamprobe's --ndpi-risks/--ndpi-extra
 * ones), then the --plugin ones.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "export_private.h"

#define REC_SIZE(f) sizeof(((struct sp_flow_record *)0)->f)

#define COL(n, f, t, g) { \
	.name = (n), \
	.offset = offsetof(struct sp_flow_record, f), \
	.size = REC_SIZE(f), \
	.type = SP_EXPORT_COLT_ ## t, \
	.group = SP_EXPORT_COLG_ ## g, \
}

/* The SPLT arrays follow the record (sp_record_splt_*()); their length is splt_n. */
#define SPLT_COL(n, t) { \
	.name = (n), \
	.offset = offsetof(struct sp_flow_record, splt), \
	.size = 0, \
	.type = SP_EXPORT_COLT_ ## t, \
	.group = SP_EXPORT_COLG_SPLT, \
}

/* The five counters every scope has (state, always present). */
#define SCOPE_COUNTERS(p, s) \
	COL(p "_first_seen_ms", st.first_seen_ms[s], U64, CORE), \
	COL(p "_last_seen_ms", st.last_seen_ms[s], U64, CORE), \
	COL(p "_duration_ms", duration_ms[s], U64, CORE), \
	COL(p "_packets", st.packets[s], U64, CORE), \
	COL(p "_bytes", st.bytes[s], U64, CORE)

#define SCOPE_PS(p, s) \
	COL(p "_min_ps", min_ps[s], U16, STAT), \
	COL(p "_mean_ps", mean_ps[s], F64, STAT), \
	COL(p "_stddev_ps", stddev_ps[s], F64, STAT), \
	COL(p "_max_ps", max_ps[s], U16, STAT)

#define SCOPE_PIAT(p, s) \
	COL(p "_min_piat_ms", min_piat_ms[s], U64, STAT), \
	COL(p "_mean_piat_ms", mean_piat_ms[s], F64, STAT), \
	COL(p "_stddev_piat_ms", stddev_piat_ms[s], F64, STAT), \
	COL(p "_max_piat_ms", max_piat_ms[s], U64, STAT)

/* Same order as sp_flow_record::flags[][]. */
#define SCOPE_FLAGS(p, s) \
	COL(p "_syn_packets", flags[s][0], U64, STAT), \
	COL(p "_cwr_packets", flags[s][1], U64, STAT), \
	COL(p "_ece_packets", flags[s][2], U64, STAT), \
	COL(p "_urg_packets", flags[s][3], U64, STAT), \
	COL(p "_ack_packets", flags[s][4], U64, STAT), \
	COL(p "_psh_packets", flags[s][5], U64, STAT), \
	COL(p "_rst_packets", flags[s][6], U64, STAT), \
	COL(p "_fin_packets", flags[s][7], U64, STAT)

static const struct sp_export_column columns[] = {
	COL("id", id, U64, CORE),
	COL("expiration_id", expiration_id, I8, CORE),
	COL("src_ip", st.src_ip, SRC_IP, CORE),
	COL("src_mac", st.src_mac, MAC, CORE),
	COL("src_oui", st.src_mac, OUI, CORE),
	COL("src_port", st.src_port, U16, CORE),
	COL("dst_ip", st.dst_ip, DST_IP, CORE),
	COL("dst_mac", st.dst_mac, MAC, CORE),
	COL("dst_oui", st.dst_mac, OUI, CORE),
	COL("dst_port", st.dst_port, U16, CORE),
	COL("protocol", st.protocol, U8, CORE),
	COL("ip_version", st.ip_version, U8, CORE),
	COL("vlan_id", st.vlan_id, U16, CORE),
	COL("tunnel_id", st.tunnel_id, U8, TUNNEL),
	SCOPE_COUNTERS("bidirectional", SP_BI),
	SCOPE_COUNTERS("src2dst", SP_S2D),
	SCOPE_COUNTERS("dst2src", SP_D2S),
	SCOPE_PS("bidirectional", SP_BI),
	SCOPE_PS("src2dst", SP_S2D),
	SCOPE_PS("dst2src", SP_D2S),
	SCOPE_PIAT("bidirectional", SP_BI),
	SCOPE_PIAT("src2dst", SP_S2D),
	SCOPE_PIAT("dst2src", SP_D2S),
	SCOPE_FLAGS("bidirectional", SP_BI),
	SCOPE_FLAGS("src2dst", SP_S2D),
	SCOPE_FLAGS("dst2src", SP_D2S),
	SPLT_COL("splt_direction", SPLT_DIR),
	SPLT_COL("splt_ps", SPLT_PS),
	SPLT_COL("splt_piat_ms", SPLT_PIAT),
};

_Static_assert(RTE_DIM(columns) == SP_EXPORT_MAX_COLUMNS, "column table size");

const struct sp_export_column *
sp_export_columns_table(unsigned int *n)
{
	*n = RTE_DIM(columns);
	return columns;
}

bool
sp_export_column_enabled(const struct sp_export_column *c, const struct sp_columns *cols)
{
	switch (c->group) {
	case SP_EXPORT_COLG_TUNNEL:
		return cols->tunnel_id;
	case SP_EXPORT_COLG_STAT:
		return cols->statistical;
	case SP_EXPORT_COLG_SPLT:
		return cols->splt_n > 0;
	default:
		return true;
	}
}

unsigned int
sp_export_columns_select(const struct sp_columns *cols, const struct sp_export_column **out)
{
	unsigned int i, n = 0;

	for (i = 0; i < RTE_DIM(columns); i++)
		if (sp_export_column_enabled(&columns[i], cols))
			out[n++] = &columns[i];
	return n;
}

int
sp_export_column_find(const char *name, const struct sp_columns *cols)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(columns); i++)
		if (strcmp(columns[i].name, name) == 0)
			return sp_export_column_enabled(&columns[i], cols) ? 0 : -ENOENT;
	for (i = 0; i < cols->n_plugin_cols; i++)
		if (strcmp(cols->plugin_cols[i].c.name, name) == 0)
			return 0;
	/* nDPI's, in a run without it (--n-dissections 0) */
	return sp_plugins_internal_column(name) ? -ENOENT : -EINVAL;
}

void
sp_export_columns_plugins(struct sp_columns *cols, const struct sp_plugins *ps)
{
	/* nDPI's columns are the first of them when the loader registered it */
	cols->plugin_cols = sp_plugins_columns(ps, &cols->n_plugin_cols);
}

const struct sp_export_column **
sp_export_columns_all(const struct sp_columns *cols, unsigned int *n)
{
	unsigned int i, k, np = cols->n_plugin_cols;
	const struct sp_export_column **out;
	struct sp_export_column *pc;

	/* one block: the pointers, then the plugin columns they point at */
	out = malloc((RTE_DIM(columns) + np) * sizeof(*out) + np * sizeof(*pc));
	if (out == NULL)
		return NULL;
	pc = (struct sp_export_column *)(void *)(out + RTE_DIM(columns) + np);
	k = sp_export_columns_select(cols, out);
	for (i = 0; i < np; i++) {
		memset(&pc[i], 0, sizeof(pc[i]));
		pc[i].name = cols->plugin_cols[i].c.name;
		pc[i].offset = cols->plugin_cols[i].offset;
		pc[i].type = SP_EXPORT_COLT_PLUGIN;
		pc[i].group = SP_EXPORT_COLG_PLUGIN;
		pc[i].plugin = &cols->plugin_cols[i];
		out[k++] = &pc[i];
	}
	*n = k;
	return out;
}
