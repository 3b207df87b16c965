/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_DPI_H
#define SP_DPI_H

/**
 * @file
 * The nDPI stage: application detection with NFStream's exact call
 * sequence (shared spec §7), as a per-flow hook (struct sp_flow_ops).
 *
 * Each worker owns one nDPI detection module. A flow gets an nDPI flow state
 * on its first packet; nDPI sees at most n_dissections packets of it (more
 * only in NFStream's n_dissections == 1 quirk, see dpi.c). The moment the
 * flow's detection is complete its nine application fields are collected
 * into a few bytes and the state (and what nDPI allocated for it) is
 * released, so a long flow costs no DPI memory after its first packets.
 * Flows still detecting when they end get NFStream's give-up with guessing.
 *
 * Memory per flow (nDPI 4.2, x86-64):
 *  - slot: SP_DPI_SLOT_SIZE (24) bytes for every flow of the table;
 *  - while detecting: one nDPI flow state of 704 bytes (688 rounded up to a
 *    cache line) from a per-worker region of max_states states, plus what
 *    nDPI allocates for the flow itself (HTTP strings, TLS reassembly; see
 *    sp_dpi_stats.ndpi_bytes);
 *  - after detection: 0 bytes when the flow has no string field, else its
 *    strings packed in 64-byte chunks (56 payload bytes each): typically 1
 *    for DNS, 2 for TLS, 2 to 6 for HTTP. The chunk region holds
 *    SP_DPI_CHUNKS_PER_FLOW chunks per flow; when it runs dry a flow keeps
 *    its nDPI state until export instead (still exact, only bigger).
 * Both regions are reserved at worker_init and handed out from a bump
 * pointer, so memory that was never used is never written (an rte_mempool
 * writes every element when it is created).
 * Per worker, besides: the nDPI module itself, about 4.9 MB (nDPI 4.2,
 * all protocols, no files), and a bit per state.
 *
 * nDPI's own allocations go through a counting allocator (per-lcore
 * counters, so several workers never share a written cache line).
 *
 * Thread safety: sp_dpi_configure() and worker_init run on one thread
 * (nDPI initialises libgcrypt there), before the workers start. The hooks
 * run on their worker's lcore only. sp_dpi_get_stats() may run
 * on any lcore; per-worker values it reads may be slightly stale.
 */

#include <stdbool.h>
#include <stdint.h>

#include <sp_flow.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of the hook's per-flow slot (struct sp_flow_ops.slot_size). */
#define SP_DPI_SLOT_SIZE 24

/** String chunks reserved per flow of the table (see the file comment). */
#define SP_DPI_CHUNKS_PER_FLOW 2

/** How the stage runs, fixed for a run. */
struct sp_dpi_params {
	/** Packets per flow given to nDPI (NFStream n_dissections), 1..255. */
	uint8_t n_dissections;
	/** nDPI protocols file (ndpiReader -p), NULL for none. */
	const char *protos_file;
	/** nDPI custom categories file (ndpiReader -c), NULL for none. */
	const char *categories_file;
	/** Reserved for extra metadata columns; must be false. */
	bool extra;
	/**
	 * nDPI flow states per worker, 0 for one per flow of the table. A
	 * smaller value saves memory; a flow that starts when none is free is
	 * not dissected (its columns keep "Unknown"/"Unspecified" and it is
	 * counted in flows_undissected).
	 */
	uint32_t max_states;
};

/** Counters of the stage. */
struct sp_dpi_stats {
	/* Per worker (zero when sp_dpi_get_stats() is given a NULL context). */
	uint64_t flows_dissected;	/**< flows that got an nDPI state */
	uint64_t flows_undissected;	/**< flows that found no free state */
	uint64_t states_released;	/**< states released when detection completed */
	uint64_t states_kept;		/**< completed flows that kept their state (no chunk) */
	uint32_t states_in_use;		/**< nDPI flow states held now */
	uint32_t states_peak;
	uint32_t states_max;		/**< capacity */
	uint32_t chunks_in_use;		/**< string chunks held by completed flows */
	uint32_t chunks_peak;
	uint32_t chunks_max;
	/* Process-wide: every nDPI allocation, all workers and modules. */
	int64_t ndpi_bytes;		/**< bytes held now (malloc usable sizes) */
	uint64_t ndpi_allocs;		/**< allocations made */
	uint64_t ndpi_frees;		/**< allocations freed */
};

/**
 * Set the stage's parameters and route nDPI's allocator through the
 * counting wrapper. Call once, before the first worker is created; without
 * it the stage runs with n_dissections 20 and no files.
 *
 * @return 0; -EINVAL (NULL, n_dissections 0), -ENOTSUP (extra),
 *   -ENAMETOOLONG, or -errno when a file cannot be read.
 */
int sp_dpi_configure(const struct sp_dpi_params *p);

/** The hook to register with the worker (static, never NULL). */
const struct sp_flow_ops *sp_dpi_ops(void);

/**
 * Read the counters.
 *
 * @param ctx
 *   A worker's context (what worker_init returned), or NULL for the
 *   process-wide counters only.
 */
void sp_dpi_get_stats(void *ctx, struct sp_dpi_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* SP_DPI_H */
