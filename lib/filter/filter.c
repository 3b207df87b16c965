/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "sp_filter.h"

/* NFStream compiles with optimize=1 and netmask 0xFFFFFF00
 * (lib_engine.c capture_set_filter); keep both so that expressions using
 * the netmask ("ip broadcast") behave the same. */
#define FILTER_NETMASK 0xFFFFFF00u
#define FILTER_SNAPLEN 262144

static int
filter_compile(struct sp_filter_prog *fp, const char *expr, int dlt, char *err, size_t errlen)
{
	struct bpf_program bprog;
	struct rte_bpf_prm *prm;
	struct rte_bpf_jit jit;
	pcap_t *dead;

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
	prm = rte_bpf_convert(&bprog);
	pcap_freecode(&bprog);
	if (prm == NULL) {
		snprintf(err, errlen, "--bpf-filter: '%s' cannot be converted to eBPF (%s)",
			 expr, rte_strerror(rte_errno));
		return -ENOTSUP;
	}
	fp->bpf = rte_bpf_load(prm);
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
