/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit runner shared by every unit-test binary: each tests/unit/test_<mod>.c
 * defines sp_test_register(), which adds its suite(s). The exit code is
 * non-zero when any assertion failed or the registry could not be built, so
 * meson (and CI) cannot mistake a failing suite for a passing one.
 */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "sp_test.h"

int sp_test_argc;
char **sp_test_argv;

int
main(int argc, char **argv)
{
	unsigned int failures, run;

	sp_test_argc = argc;
	sp_test_argv = argv;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (sp_test_register() != 0 || CU_get_error() != CUE_SUCCESS) {
		fprintf(stderr, "test registration failed: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (run == 0) {
		fprintf(stderr, "no test ran\n");
		return 2;
	}
	return failures == 0 ? 0 : 1;
}
