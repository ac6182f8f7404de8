/*
 * Encodings and digests: base64, hex, percent-encoding, SHA-256, HMAC-SHA256
 * and MD5 (OpenSSL libcrypto underneath), and a constant-time comparison.
 * The checksums S3 verifies (CRCs, SHA-1) are in core/checksum.h.
 * Appending functions write to a struct buf and leave it unchanged on error.
 */
#ifndef SLUICE_CORE_ENC_H
#define SLUICE_CORE_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SHA256_LEN 32
#define SHA1_LEN   20
#define MD5_LEN	   16

/* Append the standard base64 (RFC 4648 section 4, padded) of `data`. */
int b64_encode(struct buf *out, const void *data, size_t len);

/*
 * Append the bytes that the standard, padded base64 text `s` encodes.
 * Whitespace, a missing or misplaced '=', characters outside the alphabet and
 * non-zero trailing bits give ERR_PARSE. Empty input appends nothing.
 * ERR_TOOLARGE when the decoded bytes pass the cap. `out` is unchanged on error.
 */
int b64_decode(struct buf *out, const char *s, size_t len);

/* Write 2*len lowercase hex digits and a NUL to `out` (2*len+1 bytes). */
void hex_lower(char *out, const void *data, size_t len);

/* Append lowercase hex. */
int hex_encode(struct buf *out, const void *data, size_t len) __attribute__((warn_unused_result));

/* The value of one hex digit (either case), or -1 for any other byte. */
int hex_digit(char c);

/*
 * Decode exactly 2*`n` hex digits (either case) of `s` into `n` bytes of
 * `out`. Returns 0, or ERR_PARSE when `len` is not 2*`n` or a byte is not a
 * hex digit (`out` may then hold part of the result).
 */
int hex_decode(uint8_t *out, size_t n, const char *s, size_t len);

/*
 * Append `s` percent-encoded as RFC 3986 and SigV4 want it: unreserved
 * characters (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XY with
 * uppercase hex; '/' stays when `keep_slash` is true.
 */
int uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash);

/*
 * Append `s` with %XY sequences decoded; '+' becomes a space when
 * `plus_is_space` (form and query encoding). A '%' not followed by two hex
 * digits gives ERR_PARSE.
 */
int uri_decode(struct buf *out, const char *s, size_t len, bool plus_is_space);

/*
 * One-shot digests of `len` bytes of `data` (NULL allowed when `len` is 0):
 * SHA-256 (FIPS 180-4), MD5 (RFC 1321, for Content-MD5 and ETags only) and
 * HMAC-SHA256 (RFC 2104; any key length, an empty key included). They cannot
 * fail on input; should libcrypto itself fail, the process aborts rather than
 * return a predictable digest.
 */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
void md5(const void *data, size_t len, uint8_t out[MD5_LEN]);
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		 uint8_t out[SHA256_LEN]);

/* Lowercase hex SHA-256 of `data` into `out` (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t len, char out[2 * SHA256_LEN + 1]);

/* True when the `len` bytes at `a` and `b` are equal, in time independent of their content. */
bool ct_equal(const void *a, const void *b, size_t len);

/* Fill `out` with `len` bytes from getrandom(2). Returns 0 or ERR_IO. */
int random_bytes(void *out, size_t len);

/*
 * Decode the UTF-8 sequence at the start of `s` (`len` > 0 bytes available)
 * as RFC 3629 section 4 allows it: no overlong forms, no surrogates, nothing
 * past U+10FFFF. Returns its length (1 to 4) and sets `*cp`, or 0 when the
 * bytes do not begin a well-formed sequence (`*cp` is then untouched).
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp /* OUT */);

/* True when `s` is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
bool utf8_valid(const char *s, size_t len);

/* The number of code points in `s`, which must be valid UTF-8 (lead bytes are counted). */
size_t utf8_count(const char *s, size_t len);

#endif
