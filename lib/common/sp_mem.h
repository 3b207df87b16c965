/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_MEM_H
#define SP_MEM_H

/**
 * @file
 * Large per-lcore tables (flow state arrays, hook slots, DPI state areas).
 *
 * They are sized for the worst case (the table's capacity) but mostly left
 * untouched. With hugepages they come from the DPDK heap (rte_malloc, on
 * the lcore's socket, TLB-friendly). Without hugepages (--no-huge, the
 * default offline setup) the DPDK heap clears memory when it is freed,
 * which writes every page of a table that was never used: measured at
 * 1 M flows, 880 MB of page faults and 4.7 s at exit. There they come from
 * anonymous mmap instead, which costs only the pages really used.
 *
 * Reading files, every table is anonymous memory even with hugepages
 * (sp_mem_set_anonymous()): the flow tables' capacity then follows
 * --max-memory (millions of flows), reserved up front and paid for only as
 * flows use it, which a heap allocation would take whole.
 *
 * Both return zeroed memory.
 */

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Take every later allocation from anonymous memory (on), whether or not
 * the EAL has hugepages. Call before the first sp_mem_alloc().
 */
void sp_mem_set_anonymous(bool on);

/** Zeroed, cache-line aligned area of size bytes; NULL with rte_errno = ENOMEM. */
void *sp_mem_alloc(const char *name, size_t size, int socket_id);

/**
 * Commit [p, p + len) now, in one call, instead of one page fault per 4 KiB
 * page as it is first written (MADV_POPULATE_WRITE, Linux >= 5.14; a no-op
 * where the kernel lacks it, and for heap memory, which is committed).
 * For memory about to be used: growing tables commit a step ahead of use.
 */
void sp_mem_populate(void *p, size_t len);

/** Release an area from sp_mem_alloc() of the same size; NULL is a no-op. */
void sp_mem_free(void *p, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SP_MEM_H */
