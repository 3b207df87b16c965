/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE	/* memfd_create() */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_common.h>

#include <sp_parse.h>

#include "fuzz.h"
#include "sp_test_eal.h"

const int fuzz_dlts[] = {
	SP_DLT_EN10MB, SP_DLT_NULL, SP_DLT_PPP, SP_DLT_RAW, SP_DLT_PPP_SERIAL, SP_DLT_C_HDLC,
	SP_DLT_LINUX_SLL, SP_DLT_IEEE802_11_RADIO, SP_DLT_IPV4, SP_DLT_IPV6,
	276 /* LINUX_SLL2 */, 189 /* USB_LINUX */,
};
const unsigned int fuzz_n_dlts = RTE_DIM(fuzz_dlts);

static void
fuzz_eal_cleanup(void)
{
	sp_test_eal_cleanup();
}

void
fuzz_eal_init(const char *name, unsigned int mem_mb)
{
	if (sp_test_eal_init(name, mem_mb) != 0) {
		fprintf(stderr, "streamprobe: fuzz %s: EAL initialisation failed\n", name);
		abort();
	}
	atexit(fuzz_eal_cleanup);
}

const char *
fuzz_memfile(const void *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("sp_fuzz", 0);
		if (fd < 0) {
			perror("streamprobe: fuzz: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("streamprobe: fuzz: writing the memory file");
		abort();
	}
	return path;
}

void
fuzz_fail(const char *target, const char *what)
{
	fprintf(stderr, "streamprobe: fuzz %s: %s\n", target, what);
	abort();
}
