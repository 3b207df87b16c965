/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test and benchmark fixture: a plugin that is done with every flow at its
 * first packet, with no slot and no column. It has an on_update, so the
 * worker keeps it in the flow's mask until on_init says done: what a
 * finished plugin costs per packet (sp-bench's "plugins" rows load it 8
 * times). on_update counts its calls: the worker must make none.
 */
#include <stdint.h>
#include <stdlib.h>

#include <sp_plugin.h>

struct done_worker {
	uint64_t flows;		/* on_init calls */
	uint64_t updates;	/* on_update calls: 0 when the worker honours done */
};

static void *
done_worker_init(const void *conf, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	(void)conf;
	(void)worker_id;
	(void)socket_id;
	(void)max_flows;
	return calloc(1, sizeof(struct done_worker));
}

static void
done_worker_fini(void *wctx)
{
	free(wctx);
}

static int
done_on_init(void *wctx, void *slot, const struct sp_plugin_packet *p,
	     const struct sp_plugin_flow *f)
{
	struct done_worker *w = wctx;

	(void)slot;
	(void)p;
	(void)f;
	w->flows++;
	return SP_PLUGIN_DONE;
}

static int
done_on_update(void *wctx, void *slot, const struct sp_plugin_packet *p,
	       const struct sp_plugin_flow *f)
{
	struct done_worker *w = wctx;

	(void)slot;
	(void)p;
	(void)f;
	w->updates++;
	return SP_PLUGIN_DONE;
}

static unsigned int
done_stats(const void *wctx, struct sp_plugin_stat *out, unsigned int max)
{
	const struct done_worker *w = wctx;

	if (max < 2)
		return 0;
	out[0].name = "flows";
	out[0].value = __atomic_load_n(&w->flows, __ATOMIC_RELAXED);
	out[1].name = "updates";
	out[1].value = __atomic_load_n(&w->updates, __ATOMIC_RELAXED);
	return 2;
}

static const struct sp_plugin done_plugin = {
	.abi_version = SP_PLUGIN_ABI_VERSION,
	.name = "done",
	.version = "1",
	.description = "done with every flow at its first packet; no slot, no column",
	.worker_init = done_worker_init,
	.worker_fini = done_worker_fini,
	.on_init = done_on_init,
	.on_update = done_on_update,
	.stats = done_stats,
};
SP_PLUGIN_REGISTER(done_plugin)
