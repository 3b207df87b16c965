/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slicer: NFStream's FlowSlicer (nfstream/plugins/slicer.py). A flow ends
 * (expiration_id -1) at its limit-th packet, counted both ways; the next
 * packet of the same 5-tuple starts a new flow. No columns.
 *
 *   --plugin slicer:limit=N      N >= 1
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_plugin.h>

struct slicer_conf {
	uint64_t limit;
};

static int
slicer_configure(const struct sp_plugin_option *opts, unsigned int n_opts,
		 struct sp_plugin_config *out, char *err, size_t errlen)
{
	struct slicer_conf *c;
	uint64_t limit = 0;
	bool have = false;
	unsigned int i;

	for (i = 0; i < n_opts; i++) {
		char *end;

		if (strcmp(opts[i].key, "limit") != 0) {
			snprintf(err, errlen, "unknown option '%s' (slicer takes limit=N)",
				 opts[i].key);
			return -EINVAL;
		}
		errno = 0;
		limit = strtoull(opts[i].value, &end, 10);
		if (opts[i].value[0] < '0' || opts[i].value[0] > '9' || *end != '\0' ||
		    errno != 0 || limit == 0) {
			snprintf(err, errlen, "limit '%s' is not a packet count >= 1",
				 opts[i].value);
			return -EINVAL;
		}
		have = true;
	}
	if (!have) {
		snprintf(err, errlen, "limit=N is required (slicer:limit=N)");
		return -EINVAL;
	}
	c = malloc(sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->limit = limit;
	out->slot_size = 0;
	out->columns = NULL;
	out->n_columns = 0;
	out->conf = c;
	return 0;
}

static void
slicer_deconfigure(void *conf)
{
	free(conf);
}

static void *
slicer_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return (void *)(uintptr_t)conf;	/* nothing per worker: the limit is all */
}

/* on_init: a limit of 1 ends every flow at its first packet. */
static int
slicer_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	       const struct sp_plugin_flow *f)
{
	const struct slicer_conf *c = wctx;

	(void)slot;
	(void)p;
	(void)f;
	return c->limit == 1 ? SP_PLUGIN_EXPIRE : SP_PLUGIN_CONTINUE;
}

/* on_update: the flow's counters include this packet, as NFStream's do. */
static int
slicer_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
		 const struct sp_plugin_flow *f)
{
	const struct slicer_conf *c = wctx;

	(void)slot;
	(void)p;
	return sp_plugin_flow_packets(f, SP_PLUGIN_BIDIRECTIONAL) == c->limit ?
	       SP_PLUGIN_EXPIRE : SP_PLUGIN_CONTINUE;
}

const struct sp_plugin sp_plugin_slicer = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "slicer",
	.version = "1",
	.description = "NFStream's FlowSlicer: end a flow at its limit-th packet",
	.configure = slicer_configure,
	.deconfigure = slicer_deconfigure,
	.worker_init = slicer_worker_init,
	.on_init = slicer_on_init,
	.on_update = slicer_on_update,
};
