/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_TEST_H
#define SP_TEST_H

/** Defined by each tests/unit/test_<mod>.c: add its suites; 0 or -1. */
int sp_test_register(void);

/** The runner's argv, for suites that start the EAL themselves. */
extern int sp_test_argc;
extern char **sp_test_argv;

#endif
