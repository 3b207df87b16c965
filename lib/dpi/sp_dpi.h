/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_DPI_H
#define SP_DPI_H

/**
 * @file
 * The nDPI stage: application detection with NFStream's exact call
 * sequence (docs/nfstream-semantics.md §7), as a per-flow hook (struct sp_flow_ops).
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
 *  - slot: SP_DPI_SLOT_SIZE (24) bytes for every flow of the table, or
 *    SP_DPI_SLOT_SIZE_RISKS (32) with params.risks;
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
 * counters, so several workers never share a written cache line). Inside
 * the hooks, requests up to 4 KiB come from the worker's heap (struct
 * sp_dpi_heap: size-class free lists over slabs mapped 64 KiB..2 MiB at a
 * time, no lock, freed blocks reused while the worker runs); elsewhere, and
 * for larger requests, from libc.
 *
 * nDPI is the run's first plugin (lib/plugin registers it): its columns
 * (sp_dpi_columns(): NFStream's nine, then those of params.risks and
 * params.extra, docs/columns.md) are registry columns like any plugin's,
 * written at expire into the first cells of the record's plugin area.
 *
 * Thread safety: sp_dpi_configure(), sp_dpi_ops(), sp_dpi_prepare() and
 * worker_init run on one thread, before the workers start; the modules are
 * made on one thread at a time (nDPI initialises libgcrypt in the first):
 * sp_dpi_prepare()'s, which worker_init joins, or worker_init's.
 * The hooks run on their worker's lcore only. sp_dpi_get_stats() and
 * sp_dpi_format_stats() may run on any lcore; per-worker values they read
 * may be slightly stale.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sp_flow.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of the hook's per-flow slot (struct sp_flow_ops.slot_size). */
#define SP_DPI_SLOT_SIZE 24

/** The same with params.risks (the flow's risk bitmask is kept too). */
#define SP_DPI_SLOT_SIZE_RISKS 32

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
	/**
	 * Collect DNS query type / response code and TLS version / cipher
	 * (the --ndpi-extra columns).
	 */
	bool extra;
	/**
	 * Collect the flow's nDPI risks and their score (the --ndpi-risks
	 * columns). The slot is then
	 * SP_DPI_SLOT_SIZE_RISKS bytes (see sp_dpi_ops()).
	 */
	bool risks;
	/**
	 * nDPI flow states per worker, 0 for one per flow of the table. A
	 * smaller value saves memory; a flow that starts when none is free is
	 * not dissected (its columns keep "Unknown"/"Unspecified" and it is
	 * counted in flows_undissected).
	 */
	uint32_t max_states;
};

/** Counters of a worker's heap for nDPI (sp_dpi_heap_get_stats()). */
struct sp_dpi_heap_stats {
	uint64_t allocs;	/**< blocks handed out */
	uint64_t frees;		/**< blocks given back */
	/** Requests sent to malloc() instead: larger than 4 KiB, or no slab. */
	uint64_t large;
	int64_t bytes;		/**< class sizes of the blocks in use */
	int64_t bytes_peak;
	uint64_t slab_bytes;	/**< mapped for the heap (never returned before the end) */
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
	/**
	 * Sum over lcores of each lcore's peak of the bytes it holds. Exact
	 * as long as memory is freed on the lcore that allocated it (nDPI's
	 * modules live on the main lcore, flows on their worker's), else an
	 * upper bound of the process-wide peak.
	 */
	int64_t ndpi_bytes_peak;
	uint64_t ndpi_allocs;		/**< allocations made */
	uint64_t ndpi_frees;		/**< allocations freed */
	/* Sizes, for turning counts into bytes. */
	uint32_t bytes_per_state;	/**< one nDPI flow state in the region */
	uint32_t bytes_per_chunk;	/**< one string chunk */
	uint32_t slot_size;		/**< per flow of the table (0 without a context) */
	/**
	 * What nDPI allocated on the worker's lcore, now and at its peak: its
	 * flows' own allocations (HTTP strings, TLS reassembly, ...). 0 until
	 * the worker has seen its first flow.
	 */
	int64_t worker_ndpi_bytes;
	int64_t worker_ndpi_bytes_peak;
	/** The worker's heap (zero without a context); in the line as heap_*. */
	struct sp_dpi_heap_stats heap;
};

/**
 * Set the stage's parameters and route nDPI's allocator through the
 * counting wrapper. Call once, before the first worker is created; without
 * it the stage runs with n_dissections 20 and no files.
 *
 * @return 0; -EINVAL (NULL, n_dissections 0), -ENAMETOOLONG, or -errno
 *   when a file cannot be read.
 */
int sp_dpi_configure(const struct sp_dpi_params *p);

/**
 * The hook to register with the worker (static, never NULL). Call it after
 * sp_dpi_configure(): its slot_size is SP_DPI_SLOT_SIZE_RISKS when the
 * configuration has risks, else SP_DPI_SLOT_SIZE. A worker keeps the
 * layout of the table it was given even if the stage is configured again.
 */
const struct sp_flow_ops *sp_dpi_ops(void);

/**
 * Make the detection modules of workers 0..n_workers-1 ahead, on a thread
 * of their own, so that their initialisation (~25 ms each, nDPI 4.2)
 * overlaps what the caller does meanwhile: streamprobe calls it from
 * inside rte_eal_init() (sp_eal_init()'s hook), during the EAL's 100 ms TSC
 * calibration sleep. Needs no EAL. Not before the EAL's driver loading: a
 * dlopen() in a process with a second thread makes glibc keep the old
 * scope arrays (memcheck: definitely lost). Call after sp_dpi_configure(),
 * before the first worker_init and at most once; worker_init waits for the
 * thread and takes the worker's module (a worker beyond n_workers makes its
 * own). A file nDPI will not load is said by worker_init, as without this
 * call.
 *
 * @return 0, or -errno when the thread could not start (worker_init then
 *   makes each module itself).
 */
int sp_dpi_prepare(unsigned int n_workers);

/**
 * sp_dpi_prepare()'s thread (--startup-times): how long it took to make the
 * modules (0 before worker_init joined it), and how long worker_init waited
 * for it (0: the modules were ready in time). Zeros without a prepare.
 */
void sp_dpi_prepare_times(double *made_s, double *waited_s);

/**
 * Wait for sp_dpi_prepare()'s thread and free the modules no worker took
 * (a run that ended before its workers were made). Safe without a prepare.
 */
void sp_dpi_prepare_release(void);

struct sp_plugin_icolumn;

/**
 * nDPI's columns in the configured run (sp_dpi_configure()), in output
 * order: NFStream's nine, then --ndpi-risks' two, then --ndpi-extra's
 * four, each with its IPFIX element (sp_plugin_internal.h). The loader
 * makes them the run's first plugin columns.
 *
 * @param n  set to the number of columns
 */
const struct sp_plugin_icolumn *sp_dpi_columns(unsigned int *n);

/** Whether name is one of nDPI's columns with any options (configured or not). */
bool sp_dpi_is_column(const char *name);

/**
 * Bytes of the record's plugin area that nDPI's cells take, from offset 0
 * (their layout is sp_plugins_layout()'s for these columns first): the
 * hook writes every one of them at expire.
 */
size_t sp_dpi_area_size(void);

/**
 * Read the counters.
 *
 * @param ctx
 *   A worker's context (what worker_init returned), or NULL for the
 *   process-wide counters only.
 */
void sp_dpi_get_stats(void *ctx, struct sp_dpi_stats *s);

/**
 * The counters as one line of key=value pairs (no newline), for a
 * benchmark or an exit report, e.g. "dpi: flows_dissected=N ... slot_bytes=24
 * states_in_use=N states_peak=N states_max=N bytes_per_state=704 ...
 * worker_ndpi_bytes_peak=N ndpi_bytes=N ndpi_bytes_peak=N ...". Keys are
 * the struct sp_dpi_stats field names (slot_size as slot_bytes); with a
 * NULL context only the process-wide and size figures.
 *
 * DPI memory of a flow while detecting is bytes_per_state plus its share of
 * worker_ndpi_bytes; after release, its string chunks (chunks_in_use *
 * bytes_per_chunk over the flows holding them) and slot_bytes.
 *
 * @param ctx  a worker's context, or NULL
 * @param len  SP_DPI_STATS_LINE_MAX always suffices
 * @return the length of the line (without the NUL); -EINVAL (buf NULL or
 *   len 0), -ENOSPC when it did not fit (buf then holds a truncated line).
 */
int sp_dpi_format_stats(void *ctx, char *buf, size_t len);

/** Room for any sp_dpi_format_stats() line with its NUL (every figure at 20 digits). */
#define SP_DPI_STATS_LINE_MAX 912

/**
 * @internal A heap for nDPI's allocations made by one thread at a time.
 * Each worker context has its own; exposed for the tests.
 */
struct sp_dpi_heap;

/** A new empty heap (its slabs are mapped when used); NULL, rte_errno ENOMEM. */
struct sp_dpi_heap *sp_dpi_heap_create(void);

/**
 * Unmap the heap's slabs and free it (NULL is ignored). When blocks are still
 * in use the slabs are left mapped: a late free or read stays valid.
 */
void sp_dpi_heap_destroy(struct sp_dpi_heap *h);

/**
 * Make h the calling thread's heap for sp_dpi_malloc() (NULL: libc).
 * @return the thread's previous heap.
 */
struct sp_dpi_heap *sp_dpi_heap_use(struct sp_dpi_heap *h);

/**
 * The allocator given to nDPI (set_ndpi_malloc()): from the thread's heap
 * for requests up to 4 KiB, else malloc(). Blocks are 16-byte aligned.
 */
void *sp_dpi_malloc(size_t size);

/**
 * The free given to nDPI (set_ndpi_free()), on any thread: a heap block goes
 * back to its heap's free list (that heap's thread must not be running it at
 * the same time), anything else, e.g. a strdup()ed string, to free().
 */
void sp_dpi_free(void *p);

/** Read a heap's counters (all zero for NULL). */
void sp_dpi_heap_get_stats(const struct sp_dpi_heap *h, struct sp_dpi_heap_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* SP_DPI_H */
