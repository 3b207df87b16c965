/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fuzz targets without libFuzzer (the normal, gcc, build): replay every
 * file of the directories (or the files) given through the target's entry
 * point, in name order, so that each crasher the fuzzer found and each seed
 * stays a test. A sanitizer report or a broken invariant aborts, as under
 * the fuzzer; exit 0 when every input ran, 77 (SKIP) when there was none.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "sp_test_eal.h"

static unsigned long n_inputs;

static int
replay_file(const char *path)
{
	size_t len = 0;
	char *buf = sp_test_slurp(path, &len);

	if (buf == NULL) {
		fprintf(stderr, "streamprobe: fuzz-regress: %s: cannot read\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	n_inputs++;
	return 0;
}

static int
replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	struct stat sb;
	int n, i, ret = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "streamprobe: fuzz-regress: %s: cannot list\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (ret == 0 && ents[i]->d_name[0] != '.' && stat(path, &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			ret = replay_file(path);
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	int i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) != 0)
			continue;	/* a target without regression inputs yet */
		if ((S_ISDIR(sb.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i])) != 0)
			return 1;
	}
	/* stderr: a target may have silenced stdout (config: --help) */
	fprintf(stderr, "streamprobe: fuzz-regress %s: %lu inputs replayed\n", argv[0], n_inputs);
	return n_inputs > 0 ? 0 : 77;
}
