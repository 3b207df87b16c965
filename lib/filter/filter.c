/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "sp_filter.h"

/* NFStream compiles with optimize=1 and netmask 0xFFFFFF00
 * (lib_engine.c capture_set_filter); keep both so that expressions using
 * the netmask ("ip broadcast") behave the same. */
#define FILTER_NETMASK 0xFFFFFF00u
#define FILTER_SNAPLEN 262144

/*
 * rte_bpf_convert() maps classic BPF's A to R0, X to R7 and its scratch
 * register to R8 (lib/bpf/bpf_convert.c); R9 is never used, so the repairs
 * below may take it.
 */
#define FILTER_REG_A EBPF_REG_0
#define FILTER_REG_CTX EBPF_REG_6
#define FILTER_REG_X EBPF_REG_7
#define FILTER_REG_FREE EBPF_REG_9

/* The dynfield holding the wire length, registered by the first filter reading it. */
static const struct rte_mbuf_dynfield filter_wire_len_desc = {
	.name = "streamprobe_filter_wire_len",
	.size = sizeof(uint32_t),
	.align = __alignof__(uint32_t),
};

static bool
filter_is_jump(const struct ebpf_insn *ins)
{
	return BPF_CLASS(ins->code) == BPF_JMP && BPF_OP(ins->code) != EBPF_CALL &&
	       BPF_OP(ins->code) != EBPF_EXIT;
}

/*
 * The x86-64 JIT of DPDK 22.11 (and of its main branch, 2026) emits `jset
 * reg, #k` as `test r/m64, imm` with a one-byte immediate whenever k fits in
 * an int8, but that opcode (F7 /0) only has a four-byte form: the CPU takes
 * the next three bytes of code as the rest of the immediate and runs from
 * the middle of the following instruction (the segfault of
 * `tcp[tcpflags] & tcp-syn != 0`; `ether multicast` just answers wrongly).
 */
static bool
filter_is_jset_imm8(const struct ebpf_insn *ins)
{
	return ins->code == (BPF_JMP | BPF_JSET | BPF_K) && ins->imm == (int8_t)ins->imm;
}

/* A shift of A by X, which classic BPF defines for every X. */
static bool
filter_is_shift_x(const struct ebpf_insn *ins)
{
	return ins->code == (BPF_ALU | BPF_LSH | BPF_X) || ins->code == (BPF_ALU | BPF_RSH | BPF_X);
}

/* Instructions old instruction ins becomes. */
static uint32_t
filter_group_len(const struct ebpf_insn *ins)
{
	if (filter_is_jset_imm8(ins))
		return 2;
	if (filter_is_shift_x(ins))
		return 4;
	return 1;
}

/*
 * Repair what rte_bpf_convert() hands over, into a new program (*out,
 * malloc'd, *n_out instructions). Each fix is in the eBPF program, so the
 * JIT and the interpreter both run every filter; none needs libpcap's
 * interpreter at run time.
 *
 * - An indirect load `ld{b,h,w} [x + k]` must index with X (R7). The
 *   converter takes the index register from BPF_SRC(code), which for a load
 *   is a bit of the size field: only BPF_H (0x08) equals BPF_X, so byte and
 *   word loads index with A (R0) instead: `tcp[13]`, `tcp[tcpflags]`,
 *   `tcp[4:4]` read from the wrong place, usually past the end (no match).
 *   Fixed in place: src_reg = R7, no cost.
 * - `jset A, #k` with a one-byte k (above) becomes `mov r9, #k; jset A, r9`,
 *   which the JIT emits correctly.
 * - A shift by X of 32 or more gives 0 in classic BPF (libpcap's
 *   bpf_filter()); eBPF takes the count modulo 32 (x86's shl/shr, and C's
 *   undefined shift in the interpreter): `(ip[1] << (ip[9] & 0x3f)) != 0`
 *   matched packets libpcap rejects. It becomes `jgt x, #31, +2; <shift>;
 *   ja +1; mov32 a, #0`.
 * - The length (`len`, `greater`, `less`) is loaded from mbuf->pkt_len,
 *   the captured length, where libpcap (and so NFStream) compares the wire
 *   length: it is loaded from a dynfield instead, which sp_filter_match()
 *   fills with the record's wire length (one 4-byte store per packet, only
 *   for such programs). Without it a frame cut by the snaplen compares its
 *   captured length.
 *
 * The two rewrites that add instructions shift the jumps, which are
 * recomputed. Their cost, in instructions per packet of sp-genpcap's
 * mixed.pcap (1024 frames), the filter call and the loop included, counted
 * by callgrind with the command in tests/unit/test_filter.c (test_timing):
 * `tcp[13] & 2 != 0` (jset #2, rewritten) 76.1 on the JIT against 73.8 for
 * `tcp[13] & 0x102 != 0` (the same test with jset #0x102, not rewritten):
 * the mov on each jset run, and saving R9's host register in the JIT's
 * prologue; `(ip[1] << (ip[9] & 0x3f)) != 0` 68.9 against 68.3 with a `*`
 * for the `<<` (no rewrite). `len > 1000` is 36.8. libpcap's own
 * interpreter (pcap_offline_filter()) takes 140.2, 140.2, 156.9, 155.0 and
 * 83.2 on these, rte_bpf's interpreter about 300: repairing the program
 * keeps the JIT at about half of what falling back to libpcap would cost.
 *
 * Not repaired: the JIT's call to __rte_pktmbuf_read() (a load beyond the
 * first segment or past the end) is made with the stack 16-byte aligned or
 * not depending on the program (fixed in DPDK in 2026, 6d0e6b5e3a, after
 * 22.11.11). Debian's build of that function makes no aligned stack access
 * (objdump), and test_filter's cut chains take that call for every
 * expression, with and without R9.
 */
static int
filter_repair(const struct ebpf_insn *in, uint32_t n, int wire_len_ofs, struct ebpf_insn **out,
	      uint32_t *n_out)
{
	struct ebpf_insn *prog;
	uint32_t *pos;
	uint32_t i, j, target;
	int32_t off;

	pos = malloc((n + 1) * sizeof(*pos));
	if (pos == NULL)
		return -ENOMEM;
	/* pos[i]: where the group old instruction i becomes starts */
	pos[0] = 0;
	for (i = 0; i < n; i++)
		pos[i + 1] = pos[i] + filter_group_len(&in[i]);
	prog = malloc(pos[n] * sizeof(*prog));
	if (prog == NULL) {
		free(pos);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		/* j: the old instruction's own place in its group */
		j = pos[i] + (filter_group_len(&in[i]) > 1);
		prog[j] = in[i];
		if (filter_is_jset_imm8(&in[i])) {
			prog[j - 1] = (struct ebpf_insn){
				.code = EBPF_ALU64 | EBPF_MOV | BPF_K,
				.dst_reg = FILTER_REG_FREE,
				.imm = in[i].imm,
			};
			prog[j].code = BPF_JMP | BPF_JSET | BPF_X;
			prog[j].src_reg = FILTER_REG_FREE;
			prog[j].imm = 0;
		} else if (filter_is_shift_x(&in[i])) {
			if (in[i].dst_reg != FILTER_REG_A || in[i].src_reg != FILTER_REG_X)
				goto bad;
			prog[j - 1] = (struct ebpf_insn){
				.code = BPF_JMP | BPF_JGT | BPF_K,
				.dst_reg = FILTER_REG_X,
				.off = 2,
				.imm = 31,
			};
			prog[j + 1] = (struct ebpf_insn){ .code = BPF_JMP | BPF_JA, .off = 1 };
			prog[j + 2] = (struct ebpf_insn){
				.code = BPF_ALU | EBPF_MOV | BPF_K,
				.dst_reg = FILTER_REG_A,
				.imm = 0,
			};
		}
		if (filter_is_jump(&in[i])) {
			target = i + 1 + in[i].off;
			if (target > n)
				goto bad;
			off = (int32_t)pos[target] - (int32_t)j - 1;
			if (off != (int16_t)off)
				goto bad;
			prog[j].off = off;
		} else if (BPF_CLASS(in[i].code) == BPF_LD && BPF_MODE(in[i].code) == BPF_IND) {
			prog[j].src_reg = FILTER_REG_X;
		} else if (in[i].code == (BPF_LDX | BPF_MEM | BPF_W) &&
			   in[i].src_reg == FILTER_REG_CTX &&
			   in[i].off == offsetof(struct rte_mbuf, pkt_len)) {
			if (wire_len_ofs < 0)
				goto bad;
			prog[j].off = wire_len_ofs;
		}
	}
	*out = prog;
	*n_out = pos[n];
	free(pos);
	return 0;
bad:
	free(pos);
	free(prog);
	return -ENOTSUP;
}

/* True when the classic program reads the packet length. */
static bool
filter_reads_len(const struct bpf_program *bprog)
{
	unsigned int i;

	for (i = 0; i < bprog->bf_len; i++)
		if (bprog->bf_insns[i].code == (BPF_LD | BPF_W | BPF_LEN) ||
		    bprog->bf_insns[i].code == (BPF_LDX | BPF_W | BPF_LEN))
			return true;
	return false;
}

static int
filter_compile(struct sp_filter_prog *fp, const char *expr, int dlt, char *err, size_t errlen)
{
	struct bpf_program bprog;
	struct rte_bpf_prm *prm, fixed;
	struct ebpf_insn *ins;
	struct rte_bpf_jit jit;
	pcap_t *dead;
	int ret;

	dead = pcap_open_dead(dlt, FILTER_SNAPLEN);
	if (dead == NULL) {
		snprintf(err, errlen, "--bpf-filter: cannot prepare link type %d", dlt);
		return -ENOMEM;
	}
	if (pcap_compile(dead, &bprog, expr, 1, FILTER_NETMASK) != 0) {
		snprintf(err, errlen, "--bpf-filter: bad expression '%s': %s", expr,
			 pcap_geterr(dead));
		pcap_close(dead);
		return -EINVAL;
	}
	pcap_close(dead);
	fp->wire_len_ofs = -1;
	if (filter_reads_len(&bprog)) {
		fp->wire_len_ofs = rte_mbuf_dynfield_register(&filter_wire_len_desc);
		if (fp->wire_len_ofs < 0) {
			snprintf(err, errlen,
				 "--bpf-filter: no mbuf field for the wire length (%s)",
				 rte_strerror(rte_errno));
			pcap_freecode(&bprog);
			return -rte_errno;
		}
	}
	prm = rte_bpf_convert(&bprog);
	pcap_freecode(&bprog);
	if (prm == NULL) {
		snprintf(err, errlen, "--bpf-filter: '%s' cannot be converted to eBPF (%s)",
			 expr, rte_strerror(rte_errno));
		return -ENOTSUP;
	}
	ret = filter_repair(prm->ins, prm->nb_ins, fp->wire_len_ofs, &ins, &fixed.nb_ins);
	if (ret != 0) {
		rte_free(prm);
		snprintf(err, errlen, "--bpf-filter: '%s': %s", expr, ret == -ENOMEM ?
			 "out of memory" : "unexpected eBPF from rte_bpf_convert()");
		return ret;
	}
	fixed.ins = ins;
	fixed.xsym = prm->xsym;
	fixed.nb_xsym = prm->nb_xsym;
	fixed.prog_arg = prm->prog_arg;
	/* rte_bpf_load() keeps a copy of the instructions */
	fp->bpf = rte_bpf_load(&fixed);
	free(ins);
	rte_free(prm);
	if (fp->bpf == NULL) {
		snprintf(err, errlen, "--bpf-filter: rte_bpf refused '%s' (%s)", expr,
			 rte_strerror(rte_errno));
		return -ENOTSUP;
	}
	fp->dlt = dlt;
	fp->jit = NULL;
	if (rte_bpf_get_jit(fp->bpf, &jit) == 0 && jit.func != NULL)
		fp->jit = jit.func;
	return 0;
}

struct sp_filter *
sp_filter_create(const char *expr, const int *dlts, unsigned int n_dlts, char *err,
		 size_t errlen)
{
	struct sp_filter *f;
	unsigned int i;
	int ret;

	f = calloc(1, sizeof(*f));
	if (f == NULL || (f->expr = strdup(expr)) == NULL) {
		free(f);
		snprintf(err, errlen, "--bpf-filter: out of memory");
		rte_errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < n_dlts; i++) {
		if (sp_filter_prog(f, dlts[i]) != NULL)
			continue;
		if (f->n == SP_FILTER_MAX_DLTS) {
			snprintf(err, errlen, "--bpf-filter: more than %d link types in the input",
				 SP_FILTER_MAX_DLTS);
			ret = -ENOTSUP;
			goto fail;
		}
		ret = filter_compile(&f->prog[f->n], expr, dlts[i], err, errlen);
		if (ret != 0)
			goto fail;
		f->n++;
	}
	return f;
fail:
	sp_filter_free(f);
	rte_errno = -ret;
	return NULL;
}

void
sp_filter_free(struct sp_filter *f)
{
	unsigned int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		rte_bpf_destroy(f->prog[i].bpf);
	free(f->expr);
	free(f);
}
