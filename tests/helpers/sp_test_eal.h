/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_TEST_EAL_H
#define SP_TEST_EAL_H

#include <stddef.h>

/*
 * EAL for unit suites: --no-huge --no-pci --no-shconf, one lcore, a private
 * file prefix (suites run in parallel), quiet logs; the runtime directory
 * is removed again at cleanup.
 */

/** Start the EAL with mem_mb megabytes; 0 or -1. */
int sp_test_eal_init(const char *name, unsigned int mem_mb);

/** Stop the EAL and remove its runtime directory; always 0. */
int sp_test_eal_cleanup(void);

/**
 * Read a whole file into a malloc'd, NUL-terminated buffer (the NUL is not
 * counted in *len). NULL if it cannot be read.
 */
char *sp_test_slurp(const char *path, size_t *len);

#endif
