/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: rte_hash for key → index (with its extendable bucket table,
 * so that a table of N flows really holds N), the accounting state in
 * arrays indexed by the hash position, and an intrusive doubly linked list
 * in creation order.
 *
 * The list is NFStream's cache order: its OrderedDict appends new flows and
 * never moves them on update, so scans and the final flush go oldest first.
 * Reproducing that order is what makes export order, and the order of nDPI
 * calls at give-up, the same as NFStream's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include <sp_mem.h>

#include "sp_flow.h"

#define FLOW_NONE (-1)

struct flow_link {
	int32_t prev;
	int32_t next;
	uint32_t hash;		/* kept to delete without rehashing */
};

struct sp_flow_table {
	struct rte_hash *hash;
	struct sp_flow_state *state;
	struct sp_flow_stats *stats;	/* NULL without statistical analysis */
	uint8_t *splt;			/* NULL without SPLT */
	size_t splt_size;
	struct flow_link *link;
	int32_t head;			/* oldest */
	int32_t tail;			/* newest */
	uint32_t count;
	uint32_t max_flows;
	uint64_t idle_ms;
	uint64_t active_ms;
};

struct sp_flow_table *
sp_flow_table_create(const struct sp_flow_table_params *p)
{
	struct rte_hash_parameters hp;
	struct sp_flow_table *t;
	char name[RTE_HASH_NAMESIZE];

	if (p == NULL || p->name == NULL || p->features == NULL || p->max_flows < 8) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sp_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(name, sizeof(name), "%s", p->name);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = p->max_flows;
	hp.key_len = sizeof(struct sp_flow_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = p->socket_id;
	/* Extendable buckets: no insert fails before max_flows keys. */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	t->max_flows = p->max_flows;
	t->hash = rte_hash_create(&hp);
	if (t->hash == NULL)
		goto fail;
	t->state = sp_mem_alloc("sp_flow_state", sizeof(*t->state) * p->max_flows,
				p->socket_id);
	t->link = sp_mem_alloc("sp_flow_link", sizeof(*t->link) * p->max_flows, p->socket_id);
	if (t->state == NULL || t->link == NULL)
		goto nomem;
	if (p->features->statistical) {
		t->stats = sp_mem_alloc("sp_flow_stats", sizeof(*t->stats) * p->max_flows,
					p->socket_id);
		if (t->stats == NULL)
			goto nomem;
	}
	t->splt_size = sp_features_splt_size(p->features->splt_n);
	if (t->splt_size > 0) {
		t->splt = sp_mem_alloc("sp_flow_splt", t->splt_size * p->max_flows,
				       p->socket_id);
		if (t->splt == NULL)
			goto nomem;
	}
	t->head = t->tail = FLOW_NONE;
	t->idle_ms = p->idle_timeout_ms;
	t->active_ms = p->active_timeout_ms;
	return t;

nomem:
	rte_errno = ENOMEM;
fail:
	sp_flow_table_free(t);
	return NULL;
}

void
sp_flow_table_free(struct sp_flow_table *t)
{
	int err = rte_errno;

	if (t == NULL)
		return;
	rte_hash_free(t->hash);
	sp_mem_free(t->state, sizeof(*t->state) * t->max_flows);
	sp_mem_free(t->stats, sizeof(*t->stats) * t->max_flows);
	sp_mem_free(t->splt, t->splt_size * t->max_flows);
	sp_mem_free(t->link, sizeof(*t->link) * t->max_flows);
	rte_free(t);
	rte_errno = err;
}

int32_t
sp_flow_lookup(struct sp_flow_table *t, const struct sp_flow_key *k, uint32_t hash)
{
	return rte_hash_lookup_with_hash(t->hash, k, hash);
}

int32_t
sp_flow_add(struct sp_flow_table *t, const struct sp_flow_key *k, uint32_t hash)
{
	int32_t idx = rte_hash_add_key_with_hash(t->hash, k, hash);
	struct flow_link *l;

	if (idx < 0)
		return idx;
	l = &t->link[idx];
	l->hash = hash;
	l->next = FLOW_NONE;
	l->prev = t->tail;
	if (t->tail != FLOW_NONE)
		t->link[t->tail].next = idx;
	else
		t->head = idx;
	t->tail = idx;
	t->count++;
	return idx;
}

static inline void
flow_unlink(struct sp_flow_table *t, struct flow_link *l)
{
	if (l->prev != FLOW_NONE)
		t->link[l->prev].next = l->next;
	else
		t->head = l->next;
	if (l->next != FLOW_NONE)
		t->link[l->next].prev = l->prev;
	else
		t->tail = l->prev;
}

void
sp_flow_touch(struct sp_flow_table *t, int32_t idx)
{
	struct flow_link *l = &t->link[idx];

	if (t->tail == idx)
		return;
	flow_unlink(t, l);
	l->prev = t->tail;
	l->next = FLOW_NONE;
	t->link[t->tail].next = idx;
	t->tail = idx;
}

void
sp_flow_remove(struct sp_flow_table *t, int32_t idx)
{
	struct flow_link *l = &t->link[idx];
	void *key;

	if (rte_hash_get_key_with_position(t->hash, idx, &key) == 0)
		rte_hash_del_key_with_hash(t->hash, key, l->hash);
	flow_unlink(t, l);
	t->count--;
}

struct sp_flow_state *
sp_flow_state_at(struct sp_flow_table *t, int32_t idx)
{
	return &t->state[idx];
}

struct sp_flow_stats *
sp_flow_stats_at(struct sp_flow_table *t, int32_t idx)
{
	return t->stats != NULL ? &t->stats[idx] : NULL;
}

void *
sp_flow_splt_at(struct sp_flow_table *t, int32_t idx)
{
	return t->splt != NULL ? t->splt + (size_t)idx * t->splt_size : NULL;
}

uint32_t
sp_flow_count(const struct sp_flow_table *t)
{
	return t->count;
}

int32_t
sp_flow_oldest(const struct sp_flow_table *t)
{
	return t->head;
}

enum sp_flow_expiry
sp_flow_check_expiry(struct sp_flow_table *t, int32_t idx, uint64_t now_ms)
{
	const struct sp_flow_state *st = &t->state[idx];

	/* uint64 arithmetic as in NFStream; now is never behind last_seen
	 * because packet time is forced monotonic before it gets here. */
	if (now_ms - st->last_seen_ms[SP_BI] >= t->idle_ms)
		return SP_FLOW_IDLE;
	if (now_ms - st->first_seen_ms[SP_BI] >= t->active_ms)
		return SP_FLOW_ACTIVE;
	return SP_FLOW_ALIVE;
}

unsigned int
sp_flow_scan_idle(struct sp_flow_table *t, uint64_t now_ms, unsigned int budget,
		  sp_flow_expire_cb cb, void *arg)
{
	unsigned int n = 0;
	int32_t idx;

	/* meter.py is_idle: tick - idle_timeout >= last_seen, written without
	 * the subtraction so that it cannot wrap. */
	while (n < budget && (idx = t->head) != FLOW_NONE &&
	       now_ms >= t->state[idx].last_seen_ms[SP_BI] + t->idle_ms) {
		cb(t, idx, 0, arg);
		sp_flow_remove(t, idx);
		n++;
	}
	return n;
}

unsigned int
sp_flow_flush(struct sp_flow_table *t, sp_flow_expire_cb cb, void *arg)
{
	unsigned int n = 0;
	int32_t idx;

	while ((idx = t->head) != FLOW_NONE) {
		cb(t, idx, 0, arg);
		sp_flow_remove(t, idx);
		n++;
	}
	return n;
}
