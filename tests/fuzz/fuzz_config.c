/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the command line (lib/config), as the app takes it: the EAL
 * part split off at "--" (sp_config_split_eal), the rest parsed onto the
 * defaults (sp_config_parse), each --plugin spec split as lib/plugin does
 * at load (sp_plugins_spec_parse).
 *
 * Input: the arguments after the program name, separated by NUL or
 * newline bytes (at most 64). Several parses run in one process, as in the
 * unit tests, so state left by one parse (getopt's) must not leak into the
 * next: each input is parsed twice and must give the same result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sp_config.h>
#include <sp_plugins.h>

#include "fuzz.h"

#define MAX_ARGS 64

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help and --version write to stdout: not the fuzzer's output */
	if (freopen("/dev/null", "w", stdout) == NULL)
		fuzz_fail("config", "cannot silence stdout");
	return 0;
}

/* Parse the argument copy in buf (n bytes, NUL-separated); returns the result. */
static int
parse(const char *data, size_t size, struct sp_config *cfg, char *err, size_t errlen)
{
	char *buf = malloc(size + 1), *argv_store[MAX_ARGS + 2], **argv = argv_store;
	char *eal[MAX_ARGS + 2];
	struct sp_plugins_spec spec;
	char perr[256];
	int argc = 1, ret;
	size_t i, start = 0;
	unsigned int k;

	if (buf == NULL)
		fuzz_fail("config", "out of memory");
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "streamprobe";
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0' || buf[i] == '\n') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	sp_config_defaults(cfg);
	err[0] = '\0';
	ret = sp_config_split_eal(&argc, &argv, eal, MAX_ARGS);
	if (ret >= 0) {
		if (ret > 0 && (strcmp(eal[0], "streamprobe") != 0 || eal[ret] != NULL))
			fuzz_fail("config", "EAL arguments split wrongly");
		ret = sp_config_parse(cfg, argc, argv, err, errlen);
	}
	if (ret < 0 && ret != -E2BIG && err[0] == '\0')
		fuzz_fail("config", "an option refused without a message");
	if (ret == 0)
		for (k = 0; k < cfg->n_plugins; k++)
			if (sp_plugins_spec_parse(cfg->plugins[k], &spec, perr, sizeof(perr)) != 0 &&
			    strncmp(perr, "--plugin", 8) != 0)
				fuzz_fail("config", "a --plugin spec refused without naming --plugin");
	free(buf);	/* cfg's strings point into buf: only the result is used now */
	return ret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_config a, b;
	char err_a[512], err_b[512];
	int ra, rb;

	if (size > 4096)
		return 0;
	ra = parse((const char *)data, size, &a, err_a, sizeof(err_a));
	rb = parse((const char *)data, size, &b, err_b, sizeof(err_b));
	if (ra != rb || strcmp(err_a, err_b) != 0)
		fuzz_fail("config", "the same command line parsed twice gives different results");
	return 0;
}
