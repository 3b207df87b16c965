/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TLS_COMMON_H
#define TLS_COMMON_H

/*
 * What the shipped TLS plugins (ja4: NFStream's plugin, tls-fingerprint:
 * FoxIO's JA4) share. Little: ja4.c reproduces NFStream's Python with its
 * quirks (its own GREASE test, its own hello reader), tls-fingerprint the
 * standard; only libgcrypt's set-up and the hex digits are the same.
 */

#include <errno.h>
#include <stdint.h>

#include <gcrypt.h>

#define TLS_HEXD "0123456789abcdef"

/* libgcrypt wants initialising once before use; nDPI or the CSV exporter may have done it. */
static inline int
tls_gcrypt_init(void)
{
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		if (gcry_check_version(NULL) == NULL)
			return -ENOTSUP;
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	return 0;
}

/* GREASE (RFC 8701): 0x?a?a with both bytes equal. */
static inline int
tls_is_grease(uint16_t v)
{
	return (v >> 8) == (v & 0xff) && (v & 0x0f) == 0x0a;
}

#endif /* TLS_COMMON_H */
