/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the drivers-config profile parser (lib/port,
 * sp_port_profile_load: DPDK's rte_cfgfile INI reader, then streamprobe's
 * sections, keys and values). The input is the profile file.
 *
 * What must hold: a refused profile has a message naming the file; an
 * accepted one has every value within the limits the parser enforces, the
 * RSS key within its buffer.
 */
#include <stdio.h>
#include <string.h>

#include <rte_mempool.h>

#include <sp_port.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_memfile(data, size);
	struct sp_port_profile p;
	char err[1024];
	int ret;

	err[0] = '\0';
	sp_port_profile_defaults(&p);
	ret = sp_port_profile_load(path, &p, err, sizeof(err));
	if (ret != 0) {
		if (strncmp(err, path, strlen(path)) != 0)
			fuzz_fail("profile", "a refused profile without a message naming the file");
		return 0;
	}
	if (p.rx_desc < 32 || p.rx_desc > 32768 || p.mbufs_per_queue < 1024 ||
	    p.mbufs_per_queue > (1u << 24) || p.mbuf_cache > RTE_MEMPOOL_CACHE_MAX_SIZE ||
	    p.mtu > 16384 || p.rss_key_len > SP_RSS_KEY_MAX || p.rss_hf == 0 ||
	    strcmp(p.file, path) != 0)
		fuzz_fail("profile", "an accepted profile holds a value out of its limits");
	return 0;
}
