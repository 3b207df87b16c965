/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "sp_mem.h"

/* Set once, before the first allocation (sp_mem_free() must take the same
 * path as the sp_mem_alloc() it undoes). */
static bool mem_anonymous;

void
sp_mem_set_anonymous(bool on)
{
	mem_anonymous = on;
}

static bool
mem_from_heap(void)
{
	return !mem_anonymous && rte_eal_has_hugepages();
}

void *
sp_mem_alloc(const char *name, size_t size, int socket_id)
{
	void *p;

	if (size == 0)
		size = 1;
	if (mem_from_heap()) {
		p = rte_zmalloc_socket(name, size, RTE_CACHE_LINE_SIZE, socket_id);
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
	}
	if (p == NULL)
		rte_errno = ENOMEM;
	return p;
}

void
sp_mem_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size == 0)
		size = 1;
	if (mem_from_heap())
		rte_free(p);
	else
		munmap(p, size);
}
