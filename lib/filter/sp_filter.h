/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_FILTER_H
#define SP_FILTER_H

/**
 * @file
 * Packet filter: a libpcap expression (NFStream's bpf_filter) compiled with
 * libpcap, converted to eBPF with rte_bpf_convert() and run by rte_bpf (JIT
 * where the CPU allows) on each mbuf before parsing.
 *
 * The classic BPF program depends on the link type, so one filter holds a
 * compiled program per link type it was prepared for.
 *
 * The program reads the mbuf, which holds the captured bytes; `len`,
 * `greater` and `less` compare the wire length given to sp_filter_match(),
 * as libpcap does on a file (filter.c: the program is repaired on load for
 * this and for two DPDK 22.11 defects).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_bpf.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SP_FILTER_MAX_DLTS 8

struct sp_filter_prog {
	int dlt;
	struct rte_bpf *bpf;
	uint64_t (*jit)(void *ctx);	/**< NULL when the JIT is not available */
	int wire_len_ofs;		/**< mbuf dynfield the program reads `len` from, or -1 */
};

/** Compiled programs of one expression; read-only once prepared. */
struct sp_filter {
	char *expr;
	unsigned int n;
	struct sp_filter_prog prog[SP_FILTER_MAX_DLTS];
};

/**
 * Compile expr for each link type in dlts (duplicates are fine).
 *
 * @return the filter, or NULL with rte_errno set (EINVAL: bad expression,
 *   message in err naming it; ENOMEM; ENOTSUP: rte_bpf cannot load it).
 */
struct sp_filter *sp_filter_create(const char *expr, const int *dlts, unsigned int n_dlts,
				   char *err, size_t errlen);

/** The program for a link type, or NULL if it was not prepared. */
static inline const struct sp_filter_prog *
sp_filter_prog(const struct sp_filter *f, int dlt)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (f->prog[i].dlt == dlt)
			return &f->prog[i];
	return NULL;
}

/**
 * True when the packet passes the program.
 *
 * @param wire_len
 *   The frame's length on the wire (the pcap record's len), which `len`,
 *   `greater` and `less` compare; the mbuf holds the captured bytes.
 */
static inline bool
sp_filter_match(const struct sp_filter_prog *p, struct rte_mbuf *m, uint32_t wire_len)
{
	if (p->wire_len_ofs >= 0)
		*RTE_MBUF_DYNFIELD(m, p->wire_len_ofs, uint32_t *) = wire_len;
	if (p->jit != NULL)
		return p->jit(m) != 0;
	return rte_bpf_exec(p->bpf, m) != 0;
}

/** NULL is a no-op. */
void sp_filter_free(struct sp_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* SP_FILTER_H */
