/*
 * The checksums S3 computes over object data (S3 User Guide, "Checking
 * object integrity"): CRC-32 (the ISO-HDLC CRC of zlib and Ethernet),
 * CRC-32C (Castagnoli), CRC-64/NVME, SHA-1 and SHA-256, behind one streaming
 * interface, with the text form S3 sends them in (base64 of the big-endian
 * bytes) and the combination of CRCs of consecutive pieces that S3's
 * full-object multipart checksums need.
 *
 * CRC-32C and CRC-64/NVME are table-driven, slicing-by-8 (eight 256-entry
 * tables per polynomial, built once on first use, thread-safe); CRC-32 is
 * zlib's, which is faster still: a checksum over every upload is on the hot
 * path of the local S3 endpoint. The SHAs go through libcrypto's EVP
 * interface, as core/enc.h's digests do.
 *
 * Check values for the nine bytes "123456789" (Williams's CRC catalogue):
 * CRC-32 0xcbf43926, CRC-32C 0xe3069283, CRC-64/NVME 0xae8b14860a799888.
 */
#ifndef SLUICE_CORE_CHECKSUM_H
#define SLUICE_CORE_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* The algorithms, in the order S3 lists them (alphabetical). */
enum checksum_alg {
	CHECKSUM_NONE = 0,
	CHECKSUM_CRC32,
	CHECKSUM_CRC32C,
	CHECKSUM_CRC64NVME,
	CHECKSUM_SHA1,
	CHECKSUM_SHA256,
};

#define CHECKSUM_ALG_LAST CHECKSUM_SHA256
/* Bytes of the longest checksum (SHA-256). */
#define CHECKSUM_MAX_LEN 32
/* Base64 text of the longest checksum (44 characters) and a NUL. */
#define CHECKSUM_B64_MAX 45

/*
 * Continue a CRC over `len` bytes of `data` (NULL allowed when `len` is 0).
 * `crc` is the CRC of the bytes so far, 0 for none, as zlib's crc32() takes
 * it: crc32_update(0, "123456789", 9) is 0xcbf43926.
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);
uint32_t crc32c_update(uint32_t crc, const void *data, size_t len);
uint64_t crc64nvme_update(uint64_t crc, const void *data, size_t len);

/*
 * A checksum being computed. `alg` CHECKSUM_NONE computes nothing (updates
 * are no-ops and the result is empty). A SHA holds a libcrypto context
 * (`md`), so every checksum_init() needs a checksum_release().
 */
struct checksum {
	enum checksum_alg alg;
	uint64_t crc; /* the CRC so far, in the convention of crc*_update() */
	void *md;     /* EVP_MD_CTX of a SHA, else NULL */
};

/* Start `c` for `alg`. Returns 0, ERR_INVAL (not an algorithm) or ERR_NOMEM. */
int checksum_init(struct checksum *c, enum checksum_alg alg);

/* Add `len` bytes of `data`. Aborts, as core/enc.h does, should libcrypto fail. */
void checksum_update(struct checksum *c, const void *data, size_t len);

/*
 * The checksum of everything added, big-endian, into `out`; returns its
 * length (checksum_len()). Call it once: a SHA's context is finished.
 */
size_t checksum_final(struct checksum *c, uint8_t out[CHECKSUM_MAX_LEN]);

/* Free what checksum_init() took; `c` may be released twice. */
void checksum_release(struct checksum *c);

/* The checksum of `len` bytes of `data` in one call; returns its length. */
size_t checksum_of(enum checksum_alg alg, const void *data, size_t len,
		   uint8_t out[CHECKSUM_MAX_LEN]);

/* Bytes of a checksum of `alg` (4, 8, 20 or 32), 0 for CHECKSUM_NONE. */
size_t checksum_len(enum checksum_alg alg);

/* True for the CRCs, which checksum_combine() can join. */
bool checksum_is_crc(enum checksum_alg alg);

/* S3's name of `alg` ("CRC32", "CRC64NVME", "SHA256"), NULL for CHECKSUM_NONE. */
const char *checksum_name(enum checksum_alg alg);

/* The algorithm named `name` in any case ("crc32c", "SHA1"), CHECKSUM_NONE when none is. */
enum checksum_alg checksum_from_name(struct str name);

/*
 * Decode the base64 text `text` (strict: padded, canonical, nothing around
 * it) of a checksum of `alg` into `out`. Returns 0, or ERR_PARSE when it is
 * not base64 or not exactly checksum_len(alg) bytes.
 */
int checksum_decode(enum checksum_alg alg, struct str text, uint8_t out[CHECKSUM_MAX_LEN]);

/*
 * The base64 text of the checksum `raw` of `alg` into `out`, NUL-terminated.
 * Returns 0, ERR_INVAL (CHECKSUM_NONE) or ERR_NOMEM; `out` is "" on failure.
 */
int checksum_encode(enum checksum_alg alg, const uint8_t *raw, char out[CHECKSUM_B64_MAX]);

/*
 * The CRC of the concatenation A B from the CRC `a` of A, the CRC `b` of B
 * and B's length, without the bytes (zlib's crc32_combine(), in GF(2) for
 * any of the three CRCs). `a`, `b` and `out` are big-endian; `out` may be
 * `a` or `b`. Returns 0, or ERR_INVAL when `alg` is not a CRC.
 */
int checksum_combine(enum checksum_alg alg, const uint8_t *a, const uint8_t *b, uint64_t len_b,
		     uint8_t *out);

#endif
