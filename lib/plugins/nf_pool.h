/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef NF_POOL_H
#define NF_POOL_H

/*
 * A worker's pool of per-flow value entries for the shipped plugins (dhcp,
 * mdns): the flows that need room take an entry at their first matching
 * packet and give it back at expiry, so the per-flow slot stays a 4-byte
 * handle and nothing is allocated on the packet path. This is the free
 * list of entry numbers (1 + index; 0: none); the entries themselves are
 * the plugin's array of n.
 */

#include <stdint.h>
#include <stdlib.h>

struct nf_pool {
	uint32_t *next;		/* next[i]: the free entry after entry i + 1, or 0 */
	uint32_t n;
	uint32_t free_head;	/* 1 + index; 0: the pool is empty */
};

/* n entries, all free. Returns 0, or -1 when out of memory. */
static inline int
nf_pool_init(struct nf_pool *p, uint32_t n)
{
	p->next = calloc(n != 0 ? n : 1, sizeof(*p->next));
	if (p->next == NULL)
		return -1;
	p->n = n;
	for (uint32_t i = 0; i < n; i++)
		p->next[i] = i + 2 <= n ? i + 2 : 0;
	p->free_head = n != 0 ? 1 : 0;
	return 0;
}

static inline void
nf_pool_fini(struct nf_pool *p)
{
	free(p->next);
	p->next = NULL;
}

/* An entry's number (1 + its index), or 0 when every entry is taken. */
static inline uint32_t
nf_pool_get(struct nf_pool *p)
{
	uint32_t id = p->free_head;

	if (id != 0)
		p->free_head = p->next[id - 1];
	return id;
}

/* Give entry id (from nf_pool_get()) back. */
static inline void
nf_pool_put(struct nf_pool *p, uint32_t id)
{
	p->next[id - 1] = p->free_head;
	p->free_head = id;
}

#endif /* NF_POOL_H */
