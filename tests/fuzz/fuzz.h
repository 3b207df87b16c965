/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SP_FUZZ_H
#define SP_FUZZ_H

/*
 * What the fuzz targets share. Each target defines libFuzzer's two entry
 * points; the same source builds either with -fsanitize=fuzzer (clang,
 * meson -Dfuzz=true, run by tools/sp-fuzz) or with fuzz_replay.c's main,
 * which feeds it the regression inputs and seeds in the normal test suite
 * (suite 'fuzz-regress'). A target checks what must hold for any input
 * and calls fuzz_fail() when it does not, so that a wrong result is a
 * crash the fuzzer keeps, like a sanitizer report.
 */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Start the EAL once (--no-huge --no-pci, mem_mb MB), removed again at exit; aborts on failure. */
void fuzz_eal_init(const char *name, unsigned int mem_mb);

/**
 * A memory file holding exactly data[0..size): its path (/proc/self/fd/N),
 * valid until the next call. One file per process, rewritten each time.
 */
const char *fuzz_memfile(const void *data, size_t size);

/** Report a broken invariant of the target and abort (the fuzzer keeps the input). */
void fuzz_fail(const char *target, const char *what) __attribute__((noreturn));

/**
 * The link types the packet targets pick from, by an input byte: every one
 * the parser decodes, then two it must refuse (LINUX_SLL2, and USB).
 */
extern const int fuzz_dlts[];
extern const unsigned int fuzz_n_dlts;

#endif
