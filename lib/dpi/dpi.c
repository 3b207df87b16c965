/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nDPI stage. The call sequence is NFStream's (lib_engine.c
 * flow_init_bidirectional_dissection, flow_update_bidirectional_dissection,
 * meter_expire_flow, flow_bidirectional_dissection_collect_info; docs/nfstream-semantics.md §7),
 * because nDPI keeps LRU caches shared by all flows of a module: the same
 * calls in the same packet and export order give the same columns.
 *
 * One difference in *when*, not in what: NFStream notices that a flow is
 * complete ("known and no extra dissection possible") when its next packet
 * arrives, and copies the fields out at export. Here the same test runs
 * right after the packet that made it true, and the fields are copied out
 * then. Both are exact because ndpi_extra_dissection_possible() only reads
 * the flow's own state (and a module setting fixed at init), and nothing
 * touches that state once the flow is complete: the values at completion
 * are the values at export. Names
 * (protocol, category) are derived from the protocol ids at export, from a
 * module that does not change after initialisation.
 *
 * NFStream's n_dissections == 1 quirk is kept: its packet-count test is
 * "== n_dissections", which packet 1 never reaches through the update path,
 * so a flow known on packet 1 keeps being dissected while nDPI wants more.
 *
 * Beyond NFStream (--ndpi-risks, --ndpi-extra): the flow's risk bitmask,
 * and DNS query type / response code or TLS version / cipher, are read from
 * the nDPI state at the same moments as NFStream's fields (completion, or
 * export while still detecting), kept in the slot, and turned into text at
 * export. The risk bitmask needs 8 more bytes of slot, so that variant has
 * its own ops table with a 32-byte slot: runs without it keep 24 bytes.
 *
 * nDPI 4.2 API: ndpi_detection_process_packet() takes 5 arguments (NFStream
 * passes a NULL input_info to the 4.7 one, which is the same);
 * ndpi_flow_struct fields: host_server_name[80], http.{content_type,
 * user_agent} (char *, content_type being the response's),
 * protos.tls_quic.ja3_{client,server}[33], protos.ssh.hassh_{client,
 * server}[33], protos.dhcp.fingerprint[48], confidence.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include <sp_common.h>
#include <sp_mem.h>

#include <ndpi_api.h>

#include <sp_plugin_internal.h>

#include "sp_dpi.h"

/* Log type "sp.dpi" (init and configuration only: never on packets). */
#define RTE_LOG_DEFAULT_LOGTYPE sp
RTE_LOG_REGISTER_SUFFIX(sp_logtype_dpi, dpi, NOTICE);
#define DPI_LOG(level, ...) \
	rte_log(RTE_LOG_ ## level, sp_logtype_dpi, \
		RTE_FMT("streamprobe: dpi: " RTE_FMT_HEAD(__VA_ARGS__,) "\n", \
			RTE_FMT_TAIL(__VA_ARGS__,)))

#define DPI_DEFAULT_N_DISSECTIONS 20
/* NFStream truncates the category name to this many bytes. */
#define DPI_CATEGORY_COPY 24

/* ------------------------------------------------------------------------ */
/* Counting nDPI's allocations.                                             */

/* One counter set per lcore, each on its own cache line, so workers never
 * write a shared line; the last entry is for threads that are not EAL
 * lcores, which share it through atomics. Frees may land on another lcore
 * than their allocation: only the sum is meaningful. */
struct dpi_alloc_count {
	int64_t bytes;
	int64_t peak;		/* highest value of bytes */
	uint64_t allocs;
	uint64_t frees;
} __rte_cache_aligned;

static struct dpi_alloc_count dpi_count[RTE_MAX_LCORE + 1];

static inline void
dpi_count_add(int64_t bytes, bool alloc)
{
	unsigned int lc = rte_lcore_id();
	struct dpi_alloc_count *c;
	int64_t now, peak;

	if (likely(lc < RTE_MAX_LCORE)) {
		/* Single writer: relaxed stores keep readers untorn. */
		c = &dpi_count[lc];
		now = c->bytes + bytes;
		__atomic_store_n(&c->bytes, now, __ATOMIC_RELAXED);
		if (alloc) {
			__atomic_store_n(&c->allocs, c->allocs + 1, __ATOMIC_RELAXED);
			if (now > c->peak)
				__atomic_store_n(&c->peak, now, __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(&c->frees, c->frees + 1, __ATOMIC_RELAXED);
		}
		return;
	}
	c = &dpi_count[RTE_MAX_LCORE];
	now = __atomic_add_fetch(&c->bytes, bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(alloc ? &c->allocs : &c->frees, 1, __ATOMIC_RELAXED);
	peak = __atomic_load_n(&c->peak, __ATOMIC_RELAXED);
	while (now > peak && !__atomic_compare_exchange_n(&c->peak, &peak, now, true,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ------------------------------------------------------------------------ */
/* Per-worker heap for nDPI's allocations.                                  */

/*
 * nDPI allocates per flow while it detects (strdup()ed HTTP fields, TLS
 * reassembly buffers): through glibc each worker got its own arena, grown a
 * page at a time with mprotect() (issue 15: 340,849 calls on a many-flows
 * run) and taken under the arena lock. A worker's heap instead hands out
 * size classes from free lists over slabs mmap()ed 64 KiB at first, doubling
 * to 2 MiB; a freed block goes back on its class's list and is reused while
 * the worker runs, and the slabs are unmapped when the worker ends.
 *
 * The callbacks nDPI takes are process-wide, so the heap is found through a
 * thread-local pointer that the hooks set on entry and clear on return:
 * whatever nDPI allocates outside them (module init on the main lcore,
 * ndpi_exit_detection_module() in worker_fini) goes to libc as before.
 *
 * Which allocator owns a pointer given to free comes from its address, not
 * from a header: nDPI 4.2 frees a few strdup()ed strings (trusted issuer
 * DNs) with ndpi_free(), and nothing before a libc block can be trusted not
 * to look like a header. Slabs are 64 KiB-aligned and each 64 KiB granule of
 * a slab is entered in a two-level map (47-bit addresses, 31-bit granule
 * numbers) as its heap's address ORed with the slab's size class. A pointer
 * whose granule has no entry came from libc and goes to free().
 *
 * No lock: a heap is only used by one thread at a time, its worker while it
 * runs; worker_fini frees into it on another thread after the worker
 * stopped. The map is written when a slab is mapped or unmapped, with
 * atomics, and read by any thread. *
 * Measured 2026-12-07 against the libc wrapper it replaced (same commit
 * otherwise; shared 2-vCPU VM):
 *  - a 200,000-flow manyflows capture (make-bench-pcaps.sh's generator),
 *    DPI on, strace -c -f: mprotect 34,107 -> 198 calls, all of
 *    mprotect/mmap/munmap/brk 35,103 -> 1,404; worker-thread CPU
 *    (schedstat, 5 alternated pairs) median 1.454 s -> 1.428 s, paired
 *    ratio median 0.96 (0.91..0.98);
 *  - callgrind, mix first 100k/200k packets, n_dissections 20: the
 *    allocator (nDPI's malloc/free wrappers and libc under them) 17.2 -> 8.7
 *    instructions per packet; the whole worker 2,363 -> 2,357 per packet
 *    not counting worker_expire, whose count moves by millions between
 *    runs of the same binary (the end flush waits on the export ring);
 *  - memory per flow while detecting is what nDPI asks for, unchanged:
 *    704 B of state + 919 B (heap peak 137.9 MB over 150,012 states;
 *    slabs mapped 139.0 MB), mostly the 2,048-byte TLS reassembly buffer
 *    nDPI 4.2 allocates on a flow's first TLS payload.
 */

#define DPI_GRAIN_SHIFT 16			/* 64 KiB */
#define DPI_GRAIN ((size_t)1 << DPI_GRAIN_SHIFT)
#define DPI_SLAB_MAX ((size_t)2 << 20)
#define DPI_MAP_LEAF_BITS 16
#define DPI_MAP_TOP_BITS (47 - DPI_GRAIN_SHIFT - DPI_MAP_LEAF_BITS)
/* Larger requests (nDPI's LRU caches, long reassembly buffers) are rare:
 * they go to malloc(). */
#define DPI_HEAP_MAX 4096
/* 16..128 in steps of 16, then four classes per doubling up to 4096. */
#define DPI_NCLASS 28

struct dpi_heap_class {
	void *free_list;	/* freed blocks, linked through their first word */
	uint8_t *bump;		/* next never-used block of the current slab */
	uint8_t *end;
	size_t next_slab;	/* size of the class's next slab */
};

/* The first bytes of each slab: the heap's list of slabs, for destroy. */
struct dpi_slab_hdr {
	struct dpi_slab_hdr *next;
	size_t len;
};

struct sp_dpi_heap {
	struct dpi_heap_class cls[DPI_NCLASS];
	struct dpi_slab_hdr *slabs;
	/* Written by the thread using the heap; read by the stats (relaxed). */
	uint64_t allocs;
	uint64_t frees;
	uint64_t large;		/* requests > DPI_HEAP_MAX or no slab: malloc() */
	int64_t bytes;		/* class sizes of the blocks in use */
	int64_t peak;
	uint64_t slab_bytes;	/* mapped */
} __rte_cache_aligned;

static uintptr_t *dpi_map[(size_t)1 << DPI_MAP_TOP_BITS];
static __thread struct sp_dpi_heap *dpi_tls_heap;

static inline unsigned int
dpi_class_of(size_t size)
{
	unsigned int b;

	if (size <= 128)
		return size == 0 ? 0 : (unsigned int)((size - 1) >> 4);
	b = 63 - (unsigned int)__builtin_clzll(size - 1);	/* 2^b < size <= 2^(b+1) */
	return 8 + (b - 7) * 4 + (unsigned int)(((size - 1) >> (b - 2)) & 3);
}

static const uint16_t dpi_class_size[DPI_NCLASS] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
	448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096,
};

static inline uintptr_t
dpi_map_get(const void *p)
{
	uintptr_t g = (uintptr_t)p >> DPI_GRAIN_SHIFT;
	uintptr_t *leaf;

	if (unlikely(g >> (DPI_MAP_TOP_BITS + DPI_MAP_LEAF_BITS)))
		return 0;
	leaf = __atomic_load_n(&dpi_map[g >> DPI_MAP_LEAF_BITS], __ATOMIC_ACQUIRE);
	if (leaf == NULL)
		return 0;
	return __atomic_load_n(&leaf[g & (((uintptr_t)1 << DPI_MAP_LEAF_BITS) - 1)],
			       __ATOMIC_RELAXED);
}

/* Enter (v != 0) or remove (v == 0) the granules of [p, p + len). */
static int
dpi_map_set(const void *p, size_t len, uintptr_t v)
{
	uintptr_t g = (uintptr_t)p >> DPI_GRAIN_SHIFT;
	uintptr_t n = len >> DPI_GRAIN_SHIFT;
	size_t leaf_len = sizeof(uintptr_t) << DPI_MAP_LEAF_BITS;
	uintptr_t *leaf, *none;

	if ((g + n) >> (DPI_MAP_TOP_BITS + DPI_MAP_LEAF_BITS))
		return -ERANGE;
	for (; n > 0; g++, n--) {
		leaf = __atomic_load_n(&dpi_map[g >> DPI_MAP_LEAF_BITS], __ATOMIC_ACQUIRE);
		if (leaf == NULL) {
			if (v == 0)
				continue;
			/* Leaves are never freed: 512 KiB per 4 GiB of address space. */
			leaf = mmap(NULL, leaf_len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (leaf == MAP_FAILED)
				return -ENOMEM;
			none = NULL;
			if (!__atomic_compare_exchange_n(&dpi_map[g >> DPI_MAP_LEAF_BITS], &none,
							 leaf, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE)) {
				munmap(leaf, leaf_len);
				leaf = none;
			}
		}
		__atomic_store_n(&leaf[g & (((uintptr_t)1 << DPI_MAP_LEAF_BITS) - 1)], v,
				 __ATOMIC_RELEASE);
	}
	return 0;
}

/* A new slab for class k, DPI_GRAIN-aligned (trimmed from a larger map). */
static int
dpi_heap_grow(struct sp_dpi_heap *h, unsigned int k)
{
	struct dpi_heap_class *cl = &h->cls[k];
	size_t len = cl->next_slab;
	/* The largest slabs are huge-page aligned and asked for as
	 * transparent huge pages (see sp_mem.h's MEM_HUGE_SIZE). */
	size_t align = DPI_GRAIN;
	size_t map_len = len + align;
	uint8_t *m, *s;
	struct dpi_slab_hdr *hdr;

	m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	s = (uint8_t *)RTE_ALIGN_CEIL((uintptr_t)m, align);
	if (s > m)
		munmap(m, (size_t)(s - m));
	if (m + map_len > s + len)
		munmap(s + len, (size_t)(m + map_len - (s + len)));
	/* Committed now: a slab is used from its start, block after block
	 * (sp_mem_populate() says what that saves). */
	sp_mem_populate(s, len);
	if (dpi_map_set(s, len, (uintptr_t)h | k) != 0) {
		munmap(s, len);
		return -ENOMEM;
	}
	hdr = (struct dpi_slab_hdr *)s;
	hdr->next = h->slabs;
	hdr->len = len;
	h->slabs = hdr;
	/* The header takes 16 bytes: blocks stay 16-byte aligned, as malloc's. */
	cl->bump = s + sizeof(*hdr);
	cl->end = s + len;
	if (cl->next_slab < DPI_SLAB_MAX)
		cl->next_slab *= 2;
	__atomic_store_n(&h->slab_bytes, h->slab_bytes + len, __ATOMIC_RELAXED);
	return 0;
}

struct sp_dpi_heap *
sp_dpi_heap_create(void)
{
	struct sp_dpi_heap *h;
	unsigned int k;

	RTE_BUILD_BUG_ON(DPI_NCLASS > RTE_CACHE_LINE_SIZE);	/* class in the low bits */
	RTE_BUILD_BUG_ON(sizeof(struct dpi_slab_hdr) != 16);
	h = rte_zmalloc("sp_dpi_heap", sizeof(*h), RTE_CACHE_LINE_SIZE);
	if (h == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	for (k = 0; k < DPI_NCLASS; k++)
		h->cls[k].next_slab = DPI_GRAIN;
	return h;
}

void
sp_dpi_heap_destroy(struct sp_dpi_heap *h)
{
	struct dpi_slab_hdr *s, *next;

	if (h == NULL)
		return;
	if (dpi_tls_heap == h)
		dpi_tls_heap = NULL;
	/* A block still in use would be read or freed after the unmap (nDPI
	 * keeping memory past ndpi_exit_detection_module()): leak the slabs,
	 * and the heap their map entries name, instead. */
	if (__atomic_load_n(&h->bytes, __ATOMIC_RELAXED) != 0) {
		DPI_LOG(DEBUG, "heap destroyed with %" PRId64 " bytes in use: slabs kept",
			h->bytes);
		return;
	}
	for (s = h->slabs; s != NULL; s = next) {
		next = s->next;
		dpi_map_set(s, s->len, 0);
		munmap(s, s->len);
	}
	rte_free(h);
}

struct sp_dpi_heap *
sp_dpi_heap_use(struct sp_dpi_heap *h)
{
	struct sp_dpi_heap *old = dpi_tls_heap;

	dpi_tls_heap = h;
	return old;
}

void
sp_dpi_heap_get_stats(const struct sp_dpi_heap *h, struct sp_dpi_heap_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (h == NULL)
		return;
	s->allocs = __atomic_load_n(&h->allocs, __ATOMIC_RELAXED);
	s->frees = __atomic_load_n(&h->frees, __ATOMIC_RELAXED);
	s->large = __atomic_load_n(&h->large, __ATOMIC_RELAXED);
	s->bytes = __atomic_load_n(&h->bytes, __ATOMIC_RELAXED);
	s->bytes_peak = __atomic_load_n(&h->peak, __ATOMIC_RELAXED);
	s->slab_bytes = __atomic_load_n(&h->slab_bytes, __ATOMIC_RELAXED);
}

/* nDPI's malloc: from the calling thread's heap when it has one (inside a
 * worker's hooks), else libc's, counted by malloc_usable_size(). */
void *
sp_dpi_malloc(size_t size)
{
	struct sp_dpi_heap *h = dpi_tls_heap;
	struct dpi_heap_class *cl;
	unsigned int k;
	size_t csize;
	int64_t now;
	void *p;

	if (h == NULL || size > DPI_HEAP_MAX)
		goto libc;
	k = dpi_class_of(size);
	csize = dpi_class_size[k];
	cl = &h->cls[k];
	p = cl->free_list;
	if (p != NULL) {
		cl->free_list = *(void **)p;
	} else {
		if (unlikely((size_t)(cl->end - cl->bump) < csize) && dpi_heap_grow(h, k) != 0)
			goto libc;
		p = cl->bump;
		cl->bump += csize;
	}
	/* One writer at a time: relaxed stores keep the stats' reads untorn. */
	now = h->bytes + (int64_t)csize;
	__atomic_store_n(&h->bytes, now, __ATOMIC_RELAXED);
	__atomic_store_n(&h->allocs, h->allocs + 1, __ATOMIC_RELAXED);
	if (now > h->peak)
		__atomic_store_n(&h->peak, now, __ATOMIC_RELAXED);
	dpi_count_add((int64_t)csize, true);
	return p;
libc:
	if (h != NULL)
		__atomic_store_n(&h->large, h->large + 1, __ATOMIC_RELAXED);
	p = malloc(size);
	if (p != NULL)
		dpi_count_add((int64_t)malloc_usable_size(p), true);
	return p;
}

/* nDPI's free: the owner comes from the address (see above), so libc's
 * blocks, strdup()ed ones included, go back to free(). */
void
sp_dpi_free(void *p)
{
	struct sp_dpi_heap *h;
	unsigned int k;
	uintptr_t e;

	if (p == NULL)
		return;
	e = dpi_map_get(p);
	if (e == 0) {
		dpi_count_add(-(int64_t)malloc_usable_size(p), false);
		free(p);
		return;
	}
	h = (struct sp_dpi_heap *)(e & ~(uintptr_t)(RTE_CACHE_LINE_SIZE - 1));
	k = (unsigned int)(e & (RTE_CACHE_LINE_SIZE - 1));
	*(void **)p = h->cls[k].free_list;
	h->cls[k].free_list = p;
	__atomic_store_n(&h->bytes, h->bytes - dpi_class_size[k], __ATOMIC_RELAXED);
	__atomic_store_n(&h->frees, h->frees + 1, __ATOMIC_RELAXED);
	dpi_count_add(-(int64_t)dpi_class_size[k], false);
}

static void
dpi_alloc_install(void)
{
	static bool installed;

	if (installed)
		return;
	/* ndpi_flow_malloc() (unused here) then counts too; ndpi_flow_free()
	 * keeps its default, ndpi_free_flow(), which frees through sp_dpi_free. */
	set_ndpi_malloc(sp_dpi_malloc);
	set_ndpi_free(sp_dpi_free);
	set_ndpi_flow_malloc(sp_dpi_malloc);
	installed = true;
}

/* ------------------------------------------------------------------------ */
/* Run parameters.                                                          */

static void dpi_layout_make(bool risks, bool extra);

static struct {
	uint8_t n_dissections;
	bool extra;
	bool risks;
	uint32_t max_states;
	char protos_file[PATH_MAX];
	char categories_file[PATH_MAX];
} dpi_conf = { .n_dissections = DPI_DEFAULT_N_DISSECTIONS };

/* 0 when path is NULL (no file) or names a readable file, else -errno. */
static int
dpi_conf_check(const char *path)
{
	size_t n;

	if (path == NULL)
		return 0;
	n = strlen(path);
	if (n == 0)
		return -EINVAL;
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	return access(path, R_OK) == 0 ? 0 : -errno;
}

int
sp_dpi_configure(const struct sp_dpi_params *p)
{
	const char *bad;
	int rc;

	if (p == NULL || p->n_dissections == 0)
		return -EINVAL;
	bad = p->protos_file;
	rc = dpi_conf_check(bad);
	if (rc == 0) {
		bad = p->categories_file;
		rc = dpi_conf_check(bad);
	}
	if (rc != 0) {
		DPI_LOG(ERR, "cannot use nDPI file '%s': %s", bad, strerror(-rc));
		return rc;
	}
	dpi_conf.n_dissections = p->n_dissections;
	dpi_conf.extra = p->extra;
	dpi_conf.risks = p->risks;
	dpi_conf.max_states = p->max_states;
	snprintf(dpi_conf.protos_file, PATH_MAX, "%s", p->protos_file != NULL ? p->protos_file : "");
	snprintf(dpi_conf.categories_file, PATH_MAX, "%s",
		 p->categories_file != NULL ? p->categories_file : "");
	dpi_layout_make(p->risks, p->extra);
	dpi_alloc_install();
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Fixed-size element regions.                                              */

/* A region of n elements of one size, reserved at worker_init. Elements
 * are handed out from the free list, else from a bump index, so a page is
 * first written when an element on it is first used (an rte_mempool would
 * write a header on every element and fill its ring when created). */
struct dpi_slab {
	uint8_t *base;
	void *free_list;	/* freed elements, linked through their first word */
	size_t elt_size;
	uint32_t n;
	uint32_t bump;		/* elements from here on were never handed out */
	uint32_t in_use;
	uint32_t peak;
	size_t ready;		/* bytes from base committed (sp_mem_populate) */
};

/* Elements are handed out from the start: commit the region a step ahead
 * of the bump index instead of a page fault per 4 KiB (see sp_mem.h). */
#define DPI_SLAB_STEP ((size_t)2 << 20)

static __rte_noinline void
dpi_slab_commit(struct dpi_slab *sl, size_t end)
{
	size_t total = (size_t)sl->n * sl->elt_size;
	size_t upto = RTE_MIN(RTE_ALIGN_CEIL(end, DPI_SLAB_STEP), total);

	sp_mem_populate(sl->base + sl->ready, upto - sl->ready);
	sl->ready = upto;
}

static int
dpi_slab_init(struct dpi_slab *sl, const char *name, size_t elt_size, uint32_t n,
	      int socket_id)
{
	memset(sl, 0, sizeof(*sl));
	sl->elt_size = elt_size;
	sl->n = n;
	if (n == 0)
		return 0;
	sl->base = sp_mem_alloc(name, elt_size * n, socket_id);
	return sl->base != NULL ? 0 : -ENOMEM;
}

static inline void *
dpi_slab_get(struct dpi_slab *sl)
{
	void *e;

	if (sl->free_list != NULL) {
		e = sl->free_list;
		sl->free_list = *(void **)e;
	} else if (sl->bump < sl->n) {
		e = sl->base + (size_t)sl->bump * sl->elt_size;
		sl->bump++;
		if (unlikely((size_t)sl->bump * sl->elt_size > sl->ready))
			dpi_slab_commit(sl, (size_t)sl->bump * sl->elt_size);
	} else {
		return NULL;
	}
	if (++sl->in_use > sl->peak)
		sl->peak = sl->in_use;
	return e;
}

static inline void
dpi_slab_put(struct dpi_slab *sl, void *e)
{
	*(void **)e = sl->free_list;
	sl->free_list = e;
	sl->in_use--;
}

static inline uint32_t
dpi_slab_index(const struct dpi_slab *sl, const void *e)
{
	return (uint32_t)(((const uint8_t *)e - sl->base) / sl->elt_size);
}

/* ------------------------------------------------------------------------ */
/* Per-flow slot and collected strings.                                     */

enum dpi_state {
	DPI_NONE = 0,		/* no nDPI state: the record keeps its defaults */
	DPI_DETECTING,		/* u.nf in use, detection not complete */
	DPI_KEPT,		/* complete, but u.nf kept: no chunk was free */
	DPI_DONE,		/* complete, fields in u.strs (NULL: all empty) */
};

#define DPI_CHUNK_SIZE 64
#define DPI_CHUNK_DATA (DPI_CHUNK_SIZE - sizeof(void *))

struct dpi_chunk {
	struct dpi_chunk *next;
	char data[DPI_CHUNK_DATA];
};

struct dpi_slot {
	union {
		struct ndpi_flow_struct *nf;
		struct dpi_chunk *strs;
	} u;
	/* The last ndpi_protocol nDPI returned (NFStream detected_protocol). */
	uint16_t master;
	uint16_t app;
	uint16_t category;
	uint16_t pkts;		/* packets seen while detecting, saturating */
	uint8_t state;		/* enum dpi_state */
	uint8_t guessed;
	uint8_t confidence;
	/* --ndpi-extra, once collected (dpi_collect()); which member is
	 * meant follows from the protocol ids, all zero when neither. The
	 * bytes were padding, so the extras cost no memory. */
	union {
		struct {
			uint16_t qtype;
			uint8_t rcode1;	/* RCODE + 1, 0 = no response */
		} dns;
		struct {
			uint16_t version;
			uint16_t cipher;
		} tls;
	} x;
};

/* The slot of the --ndpi-risks variant. */
struct dpi_slot_risk {
	struct dpi_slot s;
	uint64_t risk;		/* ndpi_risk bitmask, once collected */
};

static_assert(sizeof(struct dpi_slot) == SP_DPI_SLOT_SIZE, "slot size");
static_assert(sizeof(struct dpi_slot_risk) == SP_DPI_SLOT_SIZE_RISKS, "risk slot size");
static_assert(NDPI_MAX_RISK <= 64, "risks in 64 bits");
static_assert(sizeof(struct dpi_chunk) == DPI_CHUNK_SIZE, "chunk size");
static_assert(NDPI_PROTOCOL_NUM_CATEGORIES <= UINT16_MAX, "category in 16 bits");

/* The string columns, in the order they are packed. */
enum {
	STR_SERVER_NAME,
	STR_CLIENT_FP,
	STR_SERVER_FP,
	STR_CONTENT_TYPE,
	STR_USER_AGENT,
	DPI_NSTR,
};

/* Buffer sizes of NFStream's fields (NUL included): a value keeps at most
 * one byte less. */
#define DPI_NAME_LEN 40
#define DPI_CATEGORY_LEN 40
#define DPI_SERVER_NAME_LEN 80
#define DPI_FINGERPRINT_LEN 48
#define DPI_CONTENT_TYPE_LEN 64
#define DPI_USER_AGENT_LEN 256
#define DPI_RISKS_LEN 256
#define DPI_TLS_VERSION_LEN 16
#define DPI_TLS_CIPHER_LEN 48

static const size_t dpi_str_cap[DPI_NSTR] = {
	DPI_SERVER_NAME_LEN,
	DPI_FINGERPRINT_LEN,
	DPI_FINGERPRINT_LEN,
	DPI_CONTENT_TYPE_LEN,
	DPI_USER_AGENT_LEN,
};

/* ------------------------------------------------------------------------ */
/* Columns: registry columns as any plugin's, with their IPFIX elements.    */

enum dpi_col {
	COL_NAME,
	COL_CATEGORY,
	COL_GUESSED,
	COL_CONFIDENCE,
	COL_SERVER_NAME,
	COL_CLIENT_FP,
	COL_SERVER_FP,
	COL_USER_AGENT,
	COL_CONTENT_TYPE,
	COL_RISKS,		/* --ndpi-risks */
	COL_RISK_SCORE,
	COL_DNS_QTYPE,		/* --ndpi-extra */
	COL_DNS_RCODE,
	COL_TLS_VERSION,
	COL_TLS_CIPHER,
	DPI_NCOLS,
};

#define DPI_NFSTREAM_COLS (COL_CONTENT_TYPE + 1)

/* IANA abstract data types (RFC 7012 §3.1) and semantics the columns use. */
#define IE_U8 1
#define IE_U16 2
#define IE_I8 5
#define IE_STRING 13
#define IE_S_DEFAULT 0
#define IE_S_IDENTIFIER 4

#define STR_COL(n, len) { .name = (n), .type = SP_PLUGIN_STRING, .max = (len) - 1 }
#define UINT_COL(n) { .name = (n), .type = SP_PLUGIN_UINT }
#define INT_COL(n) { .name = (n), .type = SP_PLUGIN_INT }
#define IANA_IE(nm, i, d) { .iana_name = (nm), .id = (i), .type = IE_STRING, \
	.semantics = IE_S_DEFAULT, .desc = (d) }
#define ENT_IE(i, t, s, d) { .id = (i), .type = IE_ ## t, .semantics = IE_S_ ## s, .desc = (d) }

/*
 * NFStream's nine, then streamprobe's own. The elements are an interface
 * (collectors' element files keep them, docs/ipfix.md): never renumber.
 * The ids of the --ndpi-risks/--ndpi-extra columns are the ones the
 * exporter's name hash gave them when they were record fields.
 */
static const struct sp_plugin_icolumn dpi_columns[DPI_NCOLS] = {
	[COL_NAME] = { STR_COL("application_name", DPI_NAME_LEN),
		IANA_IE("applicationName", 96,
			"nDPI application name (master.app), NFStream application_name") },
	[COL_CATEGORY] = { STR_COL("application_category_name", DPI_CATEGORY_LEN),
		IANA_IE("applicationCategoryName", 372, "nDPI category name") },
	[COL_GUESSED] = { UINT_COL("application_is_guessed"),
		ENT_IE(45, U8, IDENTIFIER,
		       "1 when nDPI guessed the application (no dissector matched)") },
	[COL_CONFIDENCE] = { UINT_COL("application_confidence"),
		ENT_IE(46, U8, IDENTIFIER,
		       "nDPI confidence of the classification (ndpi_confidence_t)") },
	[COL_SERVER_NAME] = { STR_COL("requested_server_name", DPI_SERVER_NAME_LEN),
		ENT_IE(47, STRING, DEFAULT, "Server name the client asked for: TLS/QUIC SNI, "
		       "HTTP Host, DNS query, ...") },
	[COL_CLIENT_FP] = { STR_COL("client_fingerprint", DPI_FINGERPRINT_LEN),
		ENT_IE(48, STRING, DEFAULT,
		       "Client fingerprint (TLS JA3 client hash, SSH HASSH client)") },
	[COL_SERVER_FP] = { STR_COL("server_fingerprint", DPI_FINGERPRINT_LEN),
		ENT_IE(49, STRING, DEFAULT,
		       "Server fingerprint (TLS JA3S hash, SSH HASSH server)") },
	[COL_USER_AGENT] = { STR_COL("user_agent", DPI_USER_AGENT_LEN),
		IANA_IE("httpUserAgent", 468, "HTTP User-Agent seen by nDPI") },
	[COL_CONTENT_TYPE] = { STR_COL("content_type", DPI_CONTENT_TYPE_LEN),
		IANA_IE("httpContentType", 469, "HTTP Content-Type seen by nDPI") },
	[COL_RISKS] = { STR_COL("application_risks", DPI_RISKS_LEN),
		ENT_IE(8850, STRING, DEFAULT, NULL) },
	[COL_RISK_SCORE] = { UINT_COL("application_risk_score"),
		ENT_IE(10604, U16, IDENTIFIER, NULL) },
	[COL_DNS_QTYPE] = { UINT_COL("dns_query_type"), ENT_IE(15288, U16, IDENTIFIER, NULL) },
	[COL_DNS_RCODE] = { INT_COL("dns_response_code"), ENT_IE(11014, I8, IDENTIFIER, NULL) },
	[COL_TLS_VERSION] = { STR_COL("tls_version", DPI_TLS_VERSION_LEN),
		ENT_IE(12657, STRING, DEFAULT, NULL) },
	[COL_TLS_CIPHER] = { STR_COL("tls_cipher", DPI_TLS_CIPHER_LEN),
		ENT_IE(15052, STRING, DEFAULT, NULL) },
};

/* The strings of dpi_strings() by column. */
static const uint8_t dpi_str_col[DPI_NSTR] = {
	[STR_SERVER_NAME] = COL_SERVER_NAME,
	[STR_CLIENT_FP] = COL_CLIENT_FP,
	[STR_SERVER_FP] = COL_SERVER_FP,
	[STR_CONTENT_TYPE] = COL_CONTENT_TYPE,
	[STR_USER_AGENT] = COL_USER_AGENT,
};

/* The run's columns (sp_dpi_configure()) and their cells' offsets in the
 * record's plugin area: nDPI's columns are the run's first, so that the
 * loader's layout (lib/plugin) gives them these same offsets from 0. */
static struct {
	struct sp_plugin_icolumn cols[DPI_NCOLS];
	unsigned int n_cols;
	uint32_t off[DPI_NCOLS];	/* by enum dpi_col; UINT32_MAX: not in the run */
	size_t area;
} dpi_layout;

static void
dpi_layout_make(bool risks, bool extra)
{
	uint32_t off = 0;
	unsigned int i;

	dpi_layout.n_cols = 0;
	for (i = 0; i < DPI_NCOLS; i++) {
		dpi_layout.off[i] = UINT32_MAX;
		if ((i == COL_RISKS || i == COL_RISK_SCORE) && !risks)
			continue;
		if (i >= COL_DNS_QTYPE && !extra)
			continue;
		dpi_layout.cols[dpi_layout.n_cols++] = dpi_columns[i];
		dpi_layout.off[i] = off;
		off += sp_plugins_cell_bytes(&dpi_columns[i].c);
	}
	dpi_layout.area = off;
}

const struct sp_plugin_icolumn *
sp_dpi_columns(unsigned int *n)
{
	*n = dpi_layout.n_cols;
	return dpi_layout.cols;
}

bool
sp_dpi_is_column(const char *name)
{
	unsigned int i;

	for (i = 0; i < DPI_NCOLS; i++)
		if (strcmp(dpi_columns[i].c.name, name) == 0)
			return true;
	return false;
}

size_t
sp_dpi_area_size(void)
{
	return dpi_layout.area;
}

struct dpi_strs {
	const char *s[DPI_NSTR];
	uint16_t len[DPI_NSTR];
};

struct dpi_ctx {
	struct ndpi_detection_module_struct *mod;
	uint8_t n_dissections;
	bool extra;			/* the --ndpi-extra DNS/TLS columns */
	bool risks;			/* slots are struct dpi_slot_risk */
	size_t slot_size;
	uint32_t off[DPI_NCOLS];	/* the columns' cells (dpi_layout) */
	unsigned int lcore;		/* the worker's, from its first flow; for stats */
	struct dpi_slab states;		/* struct ndpi_flow_struct */
	struct dpi_slab chunks;		/* struct dpi_chunk */
	uint64_t *state_map;		/* bit per state in use, for worker_fini */
	struct sp_dpi_heap *heap;	/* nDPI's allocations inside the hooks */
	uint64_t flows_dissected;
	uint64_t flows_undissected;
	uint64_t states_released;
	uint64_t states_kept;
};

static inline bool
dpi_is_proto(const struct dpi_slot *s, uint16_t id)
{
	return s->master == id || s->app == id;
}

/* NFStream copies a string either with memcpy of its buffer size (and reads
 * it up to its NUL) or with snprintf("%s"): both keep at most cap - 1 bytes
 * up to the first NUL. Its 48-byte memcpy of a 33-byte JA3/hassh field reads
 * on into the next field, but nDPI writes those with snprintf, so the NUL is
 * always within the field: bounding by the field gives the same string. */
static inline void
dpi_str_set(struct dpi_strs *t, int i, const char *src, size_t field_size)
{
	if (src == NULL) {
		t->s[i] = "";
		t->len[i] = 0;
		return;
	}
	t->s[i] = src;
	t->len[i] = (uint16_t)strnlen(src, RTE_MIN(field_size, dpi_str_cap[i] - 1));
}

#define DPI_FIELD(t, i, f) dpi_str_set(t, i, f, sizeof(f))
#define DPI_PTR(t, i, p) dpi_str_set(t, i, p, SIZE_MAX)

/* flow_bidirectional_dissection_collect_info: the first matching branch. */
static void
dpi_strings(const struct dpi_slot *s, const struct ndpi_flow_struct *nf, struct dpi_strs *t)
{
	int i;

	for (i = 0; i < DPI_NSTR; i++)
		DPI_PTR(t, i, NULL);
	DPI_FIELD(t, STR_SERVER_NAME, nf->host_server_name);
	if (dpi_is_proto(s, NDPI_PROTOCOL_DHCP)) {
		DPI_FIELD(t, STR_CLIENT_FP, nf->protos.dhcp.fingerprint);
	} else if (dpi_is_proto(s, NDPI_PROTOCOL_HTTP)) {
		DPI_PTR(t, STR_CONTENT_TYPE, nf->http.content_type);
		DPI_PTR(t, STR_USER_AGENT, nf->http.user_agent);
	} else if (dpi_is_proto(s, NDPI_PROTOCOL_SSH)) {
		DPI_FIELD(t, STR_CLIENT_FP, nf->protos.ssh.hassh_client);
		DPI_FIELD(t, STR_SERVER_FP, nf->protos.ssh.hassh_server);
	} else if (dpi_is_proto(s, NDPI_PROTOCOL_TLS) || dpi_is_proto(s, NDPI_PROTOCOL_DTLS) ||
		   dpi_is_proto(s, NDPI_PROTOCOL_MAIL_SMTPS) ||
		   dpi_is_proto(s, NDPI_PROTOCOL_MAIL_IMAPS) ||
		   dpi_is_proto(s, NDPI_PROTOCOL_MAIL_POPS) ||
		   dpi_is_proto(s, NDPI_PROTOCOL_QUIC)) {
		DPI_PTR(t, STR_USER_AGENT, nf->http.user_agent);
		DPI_FIELD(t, STR_CLIENT_FP, nf->protos.tls_quic.ja3_client);
		DPI_FIELD(t, STR_SERVER_FP, nf->protos.tls_quic.ja3_server);
	}
}

/* ------------------------------------------------------------------------ */
/* Metadata beyond NFStream (--ndpi-risks, --ndpi-extra).                   */

/* The protocols whose dissector fills protos.dns: in nDPI 4.2 dns.c
 * detects all three (there is no separate mDNS/LLMNR dissector). */
static inline bool
dpi_is_dns(const struct dpi_slot *s)
{
	return dpi_is_proto(s, NDPI_PROTOCOL_DNS) || dpi_is_proto(s, NDPI_PROTOCOL_MDNS) ||
	       dpi_is_proto(s, NDPI_PROTOCOL_LLMNR);
}

/* The protocols whose state is protos.tls_quic (nDPI ndpi_free_flow_data()). */
static inline bool
dpi_is_tls(const struct dpi_slot *s)
{
	return dpi_is_proto(s, NDPI_PROTOCOL_TLS) || dpi_is_proto(s, NDPI_PROTOCOL_DTLS) ||
	       dpi_is_proto(s, NDPI_PROTOCOL_MAIL_SMTPS) ||
	       dpi_is_proto(s, NDPI_PROTOCOL_MAIL_IMAPS) ||
	       dpi_is_proto(s, NDPI_PROTOCOL_MAIL_POPS) || dpi_is_proto(s, NDPI_PROTOCOL_QUIC);
}

/* Copy what the extra columns need out of the nDPI state, at the moments
 * NFStream's fields are read. protos is a union that any dissector may have
 * written while it tried the flow, so it is only read when the protocol's
 * own dissector recognised the flow: a DNS or TLS family id, not guessed.
 * nDPI 4.2 keeps the last query's type, the last response's code (with
 * is_query telling whether the last valid DNS packet was a response), the
 * ServerHello's supported_versions or else the ClientHello's version, and
 * the ServerHello's cipher. */
static void
dpi_collect(const struct dpi_ctx *c, struct dpi_slot *s, const struct ndpi_flow_struct *nf)
{
	if (c->risks)
		((struct dpi_slot_risk *)s)->risk = nf->risk;
	if (!c->extra)
		return;
	memset(&s->x, 0, sizeof(s->x));
	if (s->guessed)
		return;
	if (dpi_is_dns(s)) {
		s->x.dns.qtype = nf->protos.dns.query_type;
		if (!nf->protos.dns.is_query)
			s->x.dns.rcode1 = (uint8_t)(nf->protos.dns.reply_code + 1);
	} else if (dpi_is_tls(s)) {
		s->x.tls.version = nf->protos.tls_quic.ssl_version;
		s->x.tls.cipher = nf->protos.tls_quic.server_cipher;
	}
}

/* Risk names in risk-number order, ';'-separated, whole names only (a set
 * too long for the column loses its last names; the score keeps them all). */
static void
dpi_risks_text(const struct dpi_ctx *c, uint64_t risk, uint8_t *area)
{
	char *out = sp_plugins_cell_str(area, c->off[COL_RISKS]);
	uint16_t cli, srv;
	size_t off = 0, n;
	unsigned int i;
	const char *name;

	sp_plugins_cell_put_int(area, c->off[COL_RISK_SCORE],
				risk != 0 ? ndpi_risk2score(risk, &cli, &srv) : 0);
	/* Bit 0 is NDPI_NO_RISK, never set; ndpi_risk2str() would format it
	 * in a static buffer that several workers would share. */
	for (i = 1; i < NDPI_MAX_RISK; i++) {
		if (!(risk & (UINT64_C(1) << i)))
			continue;
		name = ndpi_risk2str((ndpi_risk_enum)i);
		n = strlen(name);
		if (off + (off > 0) + n >= DPI_RISKS_LEN)
			break;
		if (off > 0)
			out[off++] = ';';
		memcpy(out + off, name, n);
		off += n;
	}
	sp_plugins_cell_put_len(area, c->off[COL_RISKS], off);
}

/* ndpi_cipher2str() formats an unknown cipher in a static buffer shared by
 * all workers; its known names all start with "TLS_", so the unknown case
 * is formatted here instead, the same way ("0X%04X"). */
static void
dpi_cipher_text(uint16_t cipher, char *buf, size_t len)
{
	const char *name;

	if (cipher == 0) {
		buf[0] = '\0';
		return;
	}
	name = ndpi_cipher2str(cipher);
	if (strncmp(name, "TLS_", 4) == 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "0X%04X", cipher);
}

/* The extra columns from a slot (all zero: the defaults). */
static void
dpi_extra_export(const struct dpi_ctx *c, const struct dpi_slot *s, uint8_t *area)
{
	uint16_t qtype = 0;
	int8_t rcode = -1;
	char *ver, *cipher;

	if (c->risks)
		dpi_risks_text(c, ((const struct dpi_slot_risk *)s)->risk, area);
	if (!c->extra)
		return;
	ver = sp_plugins_cell_str(area, c->off[COL_TLS_VERSION]);
	cipher = sp_plugins_cell_str(area, c->off[COL_TLS_CIPHER]);
	ver[0] = '\0';
	cipher[0] = '\0';
	if (dpi_is_dns(s)) {
		qtype = s->x.dns.qtype;
		rcode = (int8_t)(s->x.dns.rcode1 - 1);
	} else if (dpi_is_tls(s)) {
		if (s->x.tls.version != 0)
			ndpi_ssl_version2str(ver, DPI_TLS_VERSION_LEN, s->x.tls.version, NULL);
		dpi_cipher_text(s->x.tls.cipher, cipher, DPI_TLS_CIPHER_LEN);
	}
	sp_plugins_cell_put_int(area, c->off[COL_DNS_QTYPE], qtype);
	sp_plugins_cell_put_int(area, c->off[COL_DNS_RCODE], rcode);
	sp_plugins_cell_put_len(area, c->off[COL_TLS_VERSION],
				strnlen(ver, DPI_TLS_VERSION_LEN - 1));
	sp_plugins_cell_put_len(area, c->off[COL_TLS_CIPHER],
				strnlen(cipher, DPI_TLS_CIPHER_LEN - 1));
}

/* Pack the strings, each with its NUL, into a chain of chunks. Nothing
 * changes (and false is returned) when there are not enough free chunks. */
static bool
dpi_pack(struct dpi_ctx *c, struct dpi_slot *s, const struct dpi_strs *t)
{
	struct dpi_chunk *head = NULL, **link = &head, *ch;
	size_t total = 0, need, off, k, n;
	int i;

	for (i = 0; i < DPI_NSTR; i++)
		total += t->len[i];
	if (total == 0) {
		s->u.strs = NULL;
		return true;
	}
	total += DPI_NSTR;
	need = (total + DPI_CHUNK_DATA - 1) / DPI_CHUNK_DATA;
	if (c->chunks.n - c->chunks.in_use < need)
		return false;
	for (k = 0; k < need; k++) {
		ch = dpi_slab_get(&c->chunks);
		*link = ch;
		link = &ch->next;
	}
	*link = NULL;

	ch = head;
	off = 0;
	for (i = 0; i < DPI_NSTR; i++) {
		const char *src = t->s[i];
		size_t left = (size_t)t->len[i] + 1;	/* with the NUL */

		while (left > 0) {
			if (off == DPI_CHUNK_DATA) {
				ch = ch->next;
				off = 0;
			}
			n = RTE_MIN(left, DPI_CHUNK_DATA - off);
			if (left - n == 0) {
				/* the last piece ends with the NUL */
				memcpy(ch->data + off, src, n - 1);
				ch->data[off + n - 1] = '\0';
			} else {
				memcpy(ch->data + off, src, n);
			}
			src += n;
			off += n;
			left -= n;
		}
	}
	s->u.strs = head;
	return true;
}

/* Copy packed strings into the record's cells and free their chunks. */
static void
dpi_unpack(struct dpi_ctx *c, struct dpi_chunk *head, uint8_t *area)
{
	struct dpi_chunk *ch = head, *next;
	size_t off = 0, len;
	char *dst;
	int i;

	for (i = 0; i < DPI_NSTR; i++) {
		dst = sp_plugins_cell_str(area, c->off[dpi_str_col[i]]);
		len = 0;
		for (;;) {
			if (off == DPI_CHUNK_DATA) {
				ch = ch->next;
				off = 0;
			}
			dst[len] = ch->data[off++];
			if (dst[len] == '\0')
				break;
			len++;
		}
		sp_plugins_cell_put_len(area, c->off[dpi_str_col[i]], len);
	}
	for (ch = head; ch != NULL; ch = next) {
		next = ch->next;
		dpi_slab_put(&c->chunks, ch);
	}
}

/* ------------------------------------------------------------------------ */
/* nDPI flow states.                                                        */

static inline struct ndpi_flow_struct *
dpi_state_get(struct dpi_ctx *c)
{
	/* A state never handed out is still the zeroed memory the region
	 * was made of (sp_mem_alloc()): only a reused one is cleared. On
	 * manyflows, where nearly every state is new, the clear of 704 bytes
	 * was most of dpi_flow_init's 5.1 % of the worker (perf, sp-bench
	 * ndpi-floor), all of it write misses. */
	bool reused = c->states.free_list != NULL;
	struct ndpi_flow_struct *nf = dpi_slab_get(&c->states);
	uint32_t i;

	if (nf == NULL)
		return NULL;
	i = dpi_slab_index(&c->states, nf);
	c->state_map[i / 64] |= UINT64_C(1) << (i % 64);
	if (reused)
		memset(nf, 0, SIZEOF_FLOW_STRUCT);
	return nf;
}

static inline void
dpi_state_put(struct dpi_ctx *c, struct ndpi_flow_struct *nf)
{
	uint32_t i = dpi_slab_index(&c->states, nf);

	/* Not ndpi_free_flow(): the state itself belongs to the region. */
	ndpi_free_flow_data(nf);
	c->state_map[i / 64] &= ~(UINT64_C(1) << (i % 64));
	dpi_slab_put(&c->states, nf);
}

static inline void
dpi_store(struct dpi_slot *s, ndpi_protocol p)
{
	s->master = p.master_protocol;
	s->app = p.app_protocol;
	s->category = (uint16_t)p.category;
}

static inline ndpi_protocol
dpi_proto(const struct dpi_slot *s)
{
	ndpi_protocol p;

	memset(&p, 0, sizeof(p));
	p.master_protocol = s->master;
	p.app_protocol = s->app;
	p.category = (ndpi_protocol_category_t)s->category;
	return p;
}

/* Detection is complete: keep the fields, release the state. */
static void
dpi_complete(struct dpi_ctx *c, struct dpi_slot *s)
{
	struct ndpi_flow_struct *nf = s->u.nf;
	struct dpi_strs t;

	s->confidence = (uint8_t)nf->confidence;
	dpi_collect(c, s, nf);
	dpi_strings(s, nf, &t);
	if (!dpi_pack(c, s, &t)) {
		s->state = DPI_KEPT;
		c->states_kept++;
		return;
	}
	s->state = DPI_DONE;
	dpi_state_put(c, nf);
	c->states_released++;
}

/* NFStream's give-up: guess, and take whatever nDPI returns. */
static inline void
dpi_giveup(struct dpi_ctx *c, struct dpi_slot *s)
{
	dpi_store(s, ndpi_detection_giveup(c->mod, s->u.nf, 1, &s->guessed));
}

/* ------------------------------------------------------------------------ */
/* Hooks.                                                                   */

static void dpi_worker_fini(void *ctx);

static size_t
dpi_state_map_size(uint32_t n_states)
{
	return ((size_t)n_states + 63) / 64 * sizeof(uint64_t) + 8;
}

/* What worker_init reserves per flow of max_flows besides the slot: a
 * state, its string chunks and its bit. */
static size_t
dpi_flow_mem(const void *arg)
{
	RTE_SET_USED(arg);
	return RTE_ALIGN_CEIL(SIZEOF_FLOW_STRUCT, RTE_CACHE_LINE_SIZE) +
	       SP_DPI_CHUNKS_PER_FLOW * DPI_CHUNK_SIZE + 1;
}

/* ------------------------------------------------------------------------ */
/* Detection modules.                                                       */

/* A detection module as NFStream's: every protocol, then the files. NULL
 * when it failed, *bad naming the file nDPI would not load (NULL: memory). */
static struct ndpi_detection_module_struct *
dpi_module_create(const char **bad)
{
	struct ndpi_detection_module_struct *mod;
	NDPI_PROTOCOL_BITMASK all;

	*bad = NULL;
	mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (mod == NULL)
		return NULL;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(mod, &all);
	/* Files load between the bitmask and finalisation, as ndpiReader. */
	if (dpi_conf.protos_file[0] != '\0' &&
	    ndpi_load_protocols_file(mod, dpi_conf.protos_file) != 0)
		*bad = dpi_conf.protos_file;
	else if (dpi_conf.categories_file[0] != '\0' &&
		 ndpi_load_categories_file(mod, dpi_conf.categories_file) < 0)
		*bad = dpi_conf.categories_file;
	if (*bad != NULL) {
		ndpi_exit_detection_module(mod);
		return NULL;
	}
	ndpi_finalize_initialization(mod);
	return mod;
}

/*
 * The workers' modules made ahead (sp_dpi_prepare()) on a thread of their
 * own. A module takes ~25 ms (nDPI 4.2 filling its host and IP trees, the
 * largest part of streamprobe's own start-up): made during the EAL's TSC
 * calibration sleep, it costs no wall time (docs/startup.md). The thread only touches dpi_pre and libc's
 * allocator (dpi_tls_heap is NULL there, so nDPI's allocations go to libc,
 * as they did on the main lcore), and worker_init joins it before taking a
 * module; a failure is kept and said by the worker_init that meets it, on
 * the main lcore, as when the module was made there.
 */
static struct {
	pthread_t thread;
	bool running;		/* the thread is to be joined */
	unsigned int n;		/* modules asked for */
	struct ndpi_detection_module_struct **mod;
	unsigned int failed_at;	/* the first module that failed, n if none */
	const char *bad;	/* its file, NULL: out of memory */
	double made_s;		/* the thread's time making them */
	double waited_s;	/* worker_init's wait for the thread */
} dpi_pre;

static void *
dpi_prepare_main(void *arg)
{
	double t0 = sp_now_s();
	unsigned int i;

	RTE_SET_USED(arg);
	for (i = 0; i < dpi_pre.n; i++) {
		dpi_pre.mod[i] = dpi_module_create(&dpi_pre.bad);
		if (dpi_pre.mod[i] == NULL) {
			dpi_pre.failed_at = i;
			break;
		}
	}
	dpi_pre.made_s = sp_now_s() - t0;
	return NULL;
}

int
sp_dpi_prepare(unsigned int n_workers)
{
	sigset_t all, old;
	int ret;

	if (dpi_pre.mod != NULL || n_workers == 0)
		return -EINVAL;
	dpi_pre.mod = calloc(n_workers, sizeof(*dpi_pre.mod));
	if (dpi_pre.mod == NULL)
		return -ENOMEM;
	dpi_pre.n = n_workers;
	dpi_pre.failed_at = n_workers;
	/* Signals stay the main thread's: the thread starts with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&dpi_pre.thread, NULL, dpi_prepare_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret != 0) {
		free(dpi_pre.mod);
		memset(&dpi_pre, 0, sizeof(dpi_pre));
		return -ret;
	}
	dpi_pre.running = true;
	return 0;
}

static void
dpi_prepare_join(void)
{
	double t0;

	if (dpi_pre.running) {
		t0 = sp_now_s();
		pthread_join(dpi_pre.thread, NULL);
		dpi_pre.running = false;
		dpi_pre.waited_s = sp_now_s() - t0;
	}
}

void
sp_dpi_prepare_times(double *made_s, double *waited_s)
{
	*made_s = dpi_pre.running ? 0 : dpi_pre.made_s;
	*waited_s = dpi_pre.waited_s;
}

void
sp_dpi_prepare_release(void)
{
	unsigned int i;

	dpi_prepare_join();
	for (i = 0; i < dpi_pre.n; i++)
		if (dpi_pre.mod[i] != NULL)
			ndpi_exit_detection_module(dpi_pre.mod[i]);
	free(dpi_pre.mod);
	memset(&dpi_pre, 0, sizeof(dpi_pre));
}

/* The worker's module: made ahead, or now. NULL after saying why. */
static struct ndpi_detection_module_struct *
dpi_module_take(unsigned int worker_id)
{
	struct ndpi_detection_module_struct *mod = NULL;
	const char *bad = NULL;

	if (worker_id < dpi_pre.n) {
		dpi_prepare_join();
		mod = dpi_pre.mod[worker_id];
		dpi_pre.mod[worker_id] = NULL;
		if (mod == NULL && worker_id >= dpi_pre.failed_at)
			bad = dpi_pre.bad;
	}
	if (mod == NULL && bad == NULL)
		mod = dpi_module_create(&bad);
	if (mod != NULL)
		return mod;
	if (bad != NULL) {
		DPI_LOG(ERR, "cannot load %s file %s",
			bad == dpi_conf.protos_file ? "protocols" : "categories", bad);
		rte_errno = EINVAL;
	} else {
		DPI_LOG(ERR, "worker %u: nDPI module initialisation failed", worker_id);
		rte_errno = ENOMEM;
	}
	return NULL;
}

static void *
dpi_worker_init_common(unsigned int worker_id, int socket_id, uint32_t max_flows, bool risks)
{
	struct dpi_ctx *c;
	char name[32];
	uint32_t n_states;
	uint64_t n_chunks;

	dpi_alloc_install();
	c = rte_zmalloc_socket("sp_dpi_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE, socket_id);
	if (c == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	c->n_dissections = dpi_conf.n_dissections;
	c->extra = dpi_conf.extra;
	/* From the ops table the worker holds, not from the configuration:
	 * the worker sized the slots by that table. */
	c->risks = risks;
	c->slot_size = risks ? sizeof(struct dpi_slot_risk) : sizeof(struct dpi_slot);
	memcpy(c->off, dpi_layout.off, sizeof(c->off));
	c->lcore = RTE_MAX_LCORE;
	/* Before the module: worker_fini destroys it after ndpi_exit. */
	c->heap = sp_dpi_heap_create();
	if (c->heap == NULL) {
		DPI_LOG(ERR, "worker %u: no memory for the nDPI heap", worker_id);
		goto fail;	/* rte_errno set */
	}

	c->mod = dpi_module_take(worker_id);
	if (c->mod == NULL)
		goto fail;	/* said, rte_errno set */

	n_states = max_flows;
	if (dpi_conf.max_states != 0 && dpi_conf.max_states < max_flows)
		n_states = dpi_conf.max_states;
	n_chunks = RTE_MIN((uint64_t)max_flows * SP_DPI_CHUNKS_PER_FLOW, (uint64_t)UINT32_MAX);
	snprintf(name, sizeof(name), "sp_dpi_states_%u", worker_id);
	if (dpi_slab_init(&c->states, name, RTE_ALIGN_CEIL(SIZEOF_FLOW_STRUCT,
							    RTE_CACHE_LINE_SIZE),
			  n_states, socket_id) != 0)
		goto nomem;
	snprintf(name, sizeof(name), "sp_dpi_chunks_%u", worker_id);
	if (dpi_slab_init(&c->chunks, name, DPI_CHUNK_SIZE, (uint32_t)n_chunks, socket_id) != 0)
		goto nomem;
	/* With the states (sp_mem): reading files n_states follows
	 * --max-memory, and only the words of states used are touched. */
	c->state_map = sp_mem_alloc("sp_dpi_state_map", dpi_state_map_size(n_states),
				    socket_id);
	if (c->state_map == NULL)
		goto nomem;
	return c;
nomem:
	DPI_LOG(ERR, "worker %u: no memory for %u nDPI states and %" PRIu64 " string chunks",
		worker_id, n_states, n_chunks);
	rte_errno = ENOMEM;
fail:
	dpi_worker_fini(c);
	return NULL;
}

static void *
dpi_worker_init(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	return dpi_worker_init_common(worker_id, socket_id, max_flows, false);
}

static void *
dpi_worker_init_risks(const void *arg, unsigned int worker_id, int socket_id, uint32_t max_flows)
{
	return dpi_worker_init_common(worker_id, socket_id, max_flows, true);
}

static void
dpi_worker_fini(void *ctx)
{
	struct dpi_ctx *c = ctx;
	uint32_t i;

	if (c == NULL)
		return;
	/* States of flows that never expired still own nDPI allocations. */
	if (c->state_map != NULL)
		for (i = 0; i < c->states.bump; i++)
			if (c->state_map[i / 64] & (UINT64_C(1) << (i % 64)))
				ndpi_free_flow_data((struct ndpi_flow_struct *)
						    (c->states.base + (size_t)i * c->states.elt_size));
	if (c->mod != NULL)
		ndpi_exit_detection_module(c->mod);
	/* After everything nDPI allocated on the worker went back to it. */
	sp_dpi_heap_destroy(c->heap);
	sp_mem_free(c->state_map, dpi_state_map_size(c->states.n));
	sp_mem_free(c->states.base, c->states.elt_size * c->states.n);
	sp_mem_free(c->chunks.base, c->chunks.elt_size * c->chunks.n);
	rte_free(c);
}

/* flow_init_bidirectional_dissection. Done once detection ended: the
 * flow's later packets then skip nDPI without a call. */
static int
dpi_flow_init_heap(struct dpi_ctx *c, struct dpi_slot *s, struct sp_hook_pkt *p);

/* The hooks route nDPI's allocations to the worker's heap while they run
 * (sp_dpi_malloc()), and restore what the thread had on return. */
static int
dpi_flow_init(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	struct dpi_ctx *c = ctx;
	struct sp_dpi_heap *prev = dpi_tls_heap;
	int rc;

	RTE_SET_USED(st);
	dpi_tls_heap = c->heap;
	rc = dpi_flow_init_heap(c, slot, p);
	dpi_tls_heap = prev;
	return rc;
}

static int
dpi_flow_init_heap(struct dpi_ctx *c, struct dpi_slot *s, struct sp_hook_pkt *p)
{
	struct ndpi_flow_struct *nf;

	memset(s, 0, c->slot_size);
	/* Read by sp_dpi_get_stats() on another lcore. */
	if (unlikely(c->lcore == RTE_MAX_LCORE))
		__atomic_store_n(&c->lcore, rte_lcore_id(), __ATOMIC_RELAXED);
	nf = dpi_state_get(c);
	if (unlikely(nf == NULL)) {
		c->flows_undissected++;
		return SP_HOOK_DONE;
	}
	c->flows_dissected++;
	s->u.nf = nf;
	s->state = DPI_DETECTING;
	s->pkts = 1;
	dpi_store(s, ndpi_detection_process_packet(c->mod, nf, p->ip, p->ip_len, p->t_ms));
	if (s->app == NDPI_PROTOCOL_UNKNOWN) {
		if (c->n_dissections == 1) {
			dpi_giveup(c, s);
			dpi_complete(c, s);
		}
	} else if (!ndpi_extra_dissection_possible(c->mod, nf)) {
		dpi_complete(c, s);
	}
	return s->state == DPI_DETECTING ? SP_HOOK_CONTINUE : SP_HOOK_DONE;
}

/* flow_update_bidirectional_dissection, with the completion test moved
 * from the next packet to this one (see the file comment). */
static int
dpi_flow_update(void *ctx, void *slot, struct sp_hook_pkt *p, const struct sp_flow_state *st)
{
	struct dpi_ctx *c = ctx;
	struct dpi_slot *s = slot;

	struct sp_dpi_heap *prev;

	if (s->state != DPI_DETECTING)
		return SP_HOOK_DONE;
	if (s->pkts < UINT16_MAX)
		s->pkts++;
	prev = dpi_tls_heap;
	dpi_tls_heap = c->heap;
	dpi_store(s, ndpi_detection_process_packet(c->mod, s->u.nf, p->ip, p->ip_len, p->t_ms));
	if (s->pkts == c->n_dissections) {
		if (s->app == NDPI_PROTOCOL_UNKNOWN)
			dpi_giveup(c, s);
		dpi_complete(c, s);
	} else if (s->app != NDPI_PROTOCOL_UNKNOWN &&
		   !ndpi_extra_dissection_possible(c->mod, s->u.nf)) {
		dpi_complete(c, s);
	}
	dpi_tls_heap = prev;
	return s->state == DPI_DETECTING ? SP_HOOK_CONTINUE : SP_HOOK_DONE;
}

/* meter_expire_flow + flow_bidirectional_dissection_collect_info. Every
 * column of the run is written: records are reused. */
static void
dpi_flow_expire(void *ctx, void *slot, const struct sp_flow_state *st,
		struct sp_flow_record *rec)
{
	struct dpi_ctx *c = ctx;
	struct dpi_slot *s = slot;
	uint8_t *area = sp_record_ext(rec);
	const char *cat;
	char *name;
	struct dpi_strs t;
	struct sp_dpi_heap *prev;
	size_t n;
	int i;

	RTE_SET_USED(st);
	switch (s->state) {
	case DPI_NONE:
		/* Not dissected: NFStream's values for a flow nDPI never
		 * labelled; the slot is all zero, the extras' defaults. */
		sp_plugins_cell_put_str(area, c->off[COL_NAME], "Unknown", 7);
		sp_plugins_cell_put_str(area, c->off[COL_CATEGORY], "Unspecified", 11);
		sp_plugins_cell_put_int(area, c->off[COL_GUESSED], 0);
		sp_plugins_cell_put_int(area, c->off[COL_CONFIDENCE], 0);
		for (i = 0; i < DPI_NSTR; i++)
			sp_plugins_cell_put_len(area, c->off[dpi_str_col[i]], 0);
		dpi_extra_export(c, s, area);
		return;
	case DPI_DETECTING:
		/* Give-up guessing may allocate: the worker's heap too. */
		prev = dpi_tls_heap;
		dpi_tls_heap = c->heap;
		if (s->app == NDPI_PROTOCOL_UNKNOWN)
			dpi_giveup(c, s);
		dpi_tls_heap = prev;
		s->confidence = (uint8_t)s->u.nf->confidence;
		dpi_collect(c, s, s->u.nf);
		/* fall through */
	case DPI_KEPT:
		dpi_strings(s, s->u.nf, &t);
		for (i = 0; i < DPI_NSTR; i++)
			sp_plugins_cell_put_str(area, c->off[dpi_str_col[i]], t.s[i], t.len[i]);
		dpi_state_put(c, s->u.nf);
		break;
	case DPI_DONE:
		if (s->u.strs != NULL)
			dpi_unpack(c, s->u.strs, area);
		else
			for (i = 0; i < DPI_NSTR; i++)
				sp_plugins_cell_put_len(area, c->off[dpi_str_col[i]], 0);
		break;
	}
	/* straight into the cell: it holds DPI_NAME_LEN bytes (max rounded to 8) */
	name = sp_plugins_cell_str(area, c->off[COL_NAME]);
	ndpi_protocol2name(c->mod, dpi_proto(s), name, DPI_NAME_LEN);
	sp_plugins_cell_put_len(area, c->off[COL_NAME], strnlen(name, DPI_NAME_LEN - 1));
	cat = ndpi_category_get_name(c->mod, (ndpi_protocol_category_t)s->category);
	n = strnlen(cat, DPI_CATEGORY_COPY);
	sp_plugins_cell_put_str(area, c->off[COL_CATEGORY], cat, n);
	sp_plugins_cell_put_int(area, c->off[COL_GUESSED], s->guessed);
	sp_plugins_cell_put_int(area, c->off[COL_CONFIDENCE], s->confidence);
	dpi_extra_export(c, s, area);
	s->state = DPI_NONE;
	s->u.nf = NULL;
}

static const struct sp_flow_ops dpi_ops = {
	.name = "dpi",
	.slot_size = sizeof(struct dpi_slot),
	.worker_init = dpi_worker_init,
	.worker_fini = dpi_worker_fini,
	.flow_init = dpi_flow_init,
	.flow_update = dpi_flow_update,
	.flow_expire = dpi_flow_expire,
	.flow_mem = dpi_flow_mem,
};

/* Same hooks, 8 bytes more per flow for the risk bitmask. */
static const struct sp_flow_ops dpi_ops_risks = {
	.name = "dpi",
	.slot_size = sizeof(struct dpi_slot_risk),
	.worker_init = dpi_worker_init_risks,
	.worker_fini = dpi_worker_fini,
	.flow_init = dpi_flow_init,
	.flow_update = dpi_flow_update,
	.flow_expire = dpi_flow_expire,
	.flow_mem = dpi_flow_mem,
};

const struct sp_flow_ops *
sp_dpi_ops(void)
{
	return dpi_conf.risks ? &dpi_ops_risks : &dpi_ops;
}

void
sp_dpi_get_stats(void *ctx, struct sp_dpi_stats *s)
{
	const struct dpi_ctx *c = ctx;
	unsigned int i, lc;

	memset(s, 0, sizeof(*s));
	for (i = 0; i <= RTE_MAX_LCORE; i++) {
		s->ndpi_bytes += __atomic_load_n(&dpi_count[i].bytes, __ATOMIC_RELAXED);
		s->ndpi_bytes_peak += __atomic_load_n(&dpi_count[i].peak, __ATOMIC_RELAXED);
		s->ndpi_allocs += __atomic_load_n(&dpi_count[i].allocs, __ATOMIC_RELAXED);
		s->ndpi_frees += __atomic_load_n(&dpi_count[i].frees, __ATOMIC_RELAXED);
	}
	s->bytes_per_state = (uint32_t)RTE_ALIGN_CEIL(SIZEOF_FLOW_STRUCT, RTE_CACHE_LINE_SIZE);
	s->bytes_per_chunk = DPI_CHUNK_SIZE;
	if (c == NULL)
		return;
	s->slot_size = (uint32_t)c->slot_size;
	lc = __atomic_load_n(&c->lcore, __ATOMIC_RELAXED);
	if (lc < RTE_MAX_LCORE) {
		s->worker_ndpi_bytes = __atomic_load_n(&dpi_count[lc].bytes, __ATOMIC_RELAXED);
		s->worker_ndpi_bytes_peak = __atomic_load_n(&dpi_count[lc].peak,
							    __ATOMIC_RELAXED);
	}
	sp_dpi_heap_get_stats(c->heap, &s->heap);
	s->flows_dissected = c->flows_dissected;
	s->flows_undissected = c->flows_undissected;
	s->states_released = c->states_released;
	s->states_kept = c->states_kept;
	s->states_in_use = c->states.in_use;
	s->states_peak = c->states.peak;
	s->states_max = c->states.n;
	s->chunks_in_use = c->chunks.in_use;
	s->chunks_peak = c->chunks.peak;
	s->chunks_max = c->chunks.n;
}

int
sp_dpi_format_stats(void *ctx, char *buf, size_t len)
{
	struct sp_dpi_stats s;
	int n;

	if (buf == NULL || len == 0)
		return -EINVAL;
	sp_dpi_get_stats(ctx, &s);
	if (ctx == NULL)
		n = snprintf(buf, len,
			     "dpi: bytes_per_state=%" PRIu32 " bytes_per_chunk=%" PRIu32
			     " ndpi_bytes=%" PRId64 " ndpi_bytes_peak=%" PRId64
			     " ndpi_allocs=%" PRIu64 " ndpi_frees=%" PRIu64,
			     s.bytes_per_state, s.bytes_per_chunk, s.ndpi_bytes, s.ndpi_bytes_peak,
			     s.ndpi_allocs, s.ndpi_frees);
	else
		n = snprintf(buf, len,
			     "dpi: flows_dissected=%" PRIu64 " flows_undissected=%" PRIu64
			     " slot_bytes=%" PRIu32
			     " states_in_use=%" PRIu32 " states_peak=%" PRIu32
			     " states_max=%" PRIu32 " bytes_per_state=%" PRIu32
			     " states_released=%" PRIu64 " states_kept=%" PRIu64
			     " chunks_in_use=%" PRIu32 " chunks_peak=%" PRIu32
			     " chunks_max=%" PRIu32 " bytes_per_chunk=%" PRIu32
			     " worker_ndpi_bytes=%" PRId64 " worker_ndpi_bytes_peak=%" PRId64
			     " ndpi_bytes=%" PRId64 " ndpi_bytes_peak=%" PRId64
			     " ndpi_allocs=%" PRIu64 " ndpi_frees=%" PRIu64
			     " heap_allocs=%" PRIu64 " heap_frees=%" PRIu64 " heap_large=%" PRIu64
			     " heap_bytes=%" PRId64 " heap_bytes_peak=%" PRId64
			     " heap_slab_bytes=%" PRIu64,
			     s.flows_dissected, s.flows_undissected, s.slot_size,
			     s.states_in_use, s.states_peak, s.states_max, s.bytes_per_state,
			     s.states_released, s.states_kept,
			     s.chunks_in_use, s.chunks_peak, s.chunks_max, s.bytes_per_chunk,
			     s.worker_ndpi_bytes, s.worker_ndpi_bytes_peak,
			     s.ndpi_bytes, s.ndpi_bytes_peak, s.ndpi_allocs, s.ndpi_frees,
			     s.heap.allocs, s.heap.frees, s.heap.large, s.heap.bytes,
			     s.heap.bytes_peak, s.heap.slab_bytes);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? n : -ENOSPC;
}
