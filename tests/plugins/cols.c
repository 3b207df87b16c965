/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixture: a column of every type, values the test derives from the
 * flow's own core columns, one left None, and a counter in the stats.
 */
#include <stdlib.h>
#include <string.h>

#include <sp_plugin.h>

struct cols_ctx {
	uint64_t flows;
};

static const struct sp_plugin_column cols_columns[] = {
	{ .name = "udps.proto", .type = SP_PLUGIN_INT },
	{ .name = "udps.bytes", .type = SP_PLUGIN_UINT },
	{ .name = "udps.mean_size", .type = SP_PLUGIN_DOUBLE },
	{ .name = "udps.note", .type = SP_PLUGIN_STRING, .max = 32 },
	{ .name = "udps.ports", .type = SP_PLUGIN_INT_LIST, .max = 4 },
	{ .name = "udps.tags", .type = SP_PLUGIN_STRING_LIST, .max = 4, .max_str = 16 },
	{ .name = "udps.none", .type = SP_PLUGIN_INT },
	{ .name = "udps.payload_first", .type = SP_PLUGIN_INT, .ipfix_id = 8000 },
};

struct cols_slot {
	int64_t payload_first;	/* first payload byte of the first packet, -1: none */
};

static int
cols_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
	       struct sp_plugin_config *out, char *err, size_t errlen)
{
	(void)opts;
	(void)err;
	(void)errlen;
	(void)n_opts;
	out->slot_size = sizeof(struct cols_slot);
	out->columns = cols_columns;
	out->n_columns = sizeof(cols_columns) / sizeof(cols_columns[0]);
	return 0;
}

static void *
cols_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)conf;
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return calloc(1, sizeof(struct cols_ctx));
}

static void
cols_worker_fini(void *w)
{
	free(w);
}

static int
cols_on_init(void *w, void *slot, const struct sp_plugin_packet *p,
	     const struct sp_plugin_flow *f)
{
	struct cols_slot *s = slot;

	(void)w;
	(void)f;
	s->payload_first = p->payload_size > 0 && p->payload_offset < p->ip_len ?
			   p->ip[p->payload_offset] : -1;
	return SP_PLUGIN_DONE;
}

static void
cols_on_expire(void *w, void *slot, const struct sp_plugin_flow *f, struct sp_plugin_record *r)
{
	struct cols_ctx *c = w;
	struct cols_slot *s = slot;
	uint64_t pk = sp_plugin_flow_packets(f, SP_PLUGIN_BIDIRECTIONAL);
	uint64_t by = sp_plugin_flow_bytes(f, SP_PLUGIN_BIDIRECTIONAL);

	c->flows++;
	sp_plugin_set_int(r, 0, sp_plugin_flow_protocol(f));
	sp_plugin_set_uint(r, 1, by);
	sp_plugin_set_double(r, 2, (double)by / (double)pk);
	sp_plugin_set_string(r, 3, "say \"hi\"", 8);
	sp_plugin_list_add_int(r, 4, sp_plugin_flow_src_port(f));
	sp_plugin_list_add_int(r, 4, sp_plugin_flow_dst_port(f));
	sp_plugin_list_add_string(r, 5, "it's", 4);
	sp_plugin_list_add_string(r, 5, "a\"b", 3);
	if (s->payload_first >= 0)
		sp_plugin_set_int(r, 7, s->payload_first);
}

static unsigned int
cols_stats(const void *w, struct sp_plugin_stat *out, unsigned int max)
{
	const struct cols_ctx *c = w;

	if (max < 1)
		return 0;
	out[0].name = "flows";
	out[0].value = c->flows;
	return 1;
}

static const struct sp_plugin cols_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "cols",
	.version = "1",
	.description = "a column of each type (streamprobe's tests)",
	.configure = cols_configure,
	.worker_init = cols_worker_init,
	.worker_fini = cols_worker_fini,
	.on_init = cols_on_init,
	.on_expire = cols_on_expire,
	.stats = cols_stats,
};
SP_PLUGIN_REGISTER(cols_plugin)
