/*
 * What the local CloudFront front reads from a viewer's request, as pure
 * functions over borrowed slices (no I/O, no allocation but the key): the S3
 * key a URI path names, the Range header, Accept-Encoding, and the
 * If-None-Match list. Each follows what CloudFront does with an S3 origin
 * (docs/web.md, "How the local front mirrors CloudFront"), not every corner
 * of RFC 9110 that CloudFront itself ignores.
 */
#ifndef SLUICE_LOCAL_WEB_REQ_H
#define SLUICE_LOCAL_WEB_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

/* Longest URI path the front reads (CloudFront caps a request URL at 8,192 bytes). */
#define WEB_PATH_MAX 8192

/*
 * The S3 key of URI path `path` ("/assets/a%20b.js" gives "assets/a b.js"):
 * percent-decoded, the leading '/' removed. Appends to `key` (whose cap the
 * caller chooses; S3_MAX_KEY_LEN is what S3 accepts). Returns 0, ERR_PARSE
 * when the path does not start with '/', holds a bad %XY or decodes to a NUL
 * or to bytes that are not UTF-8 (CloudFront answers 400), ERR_TOOLARGE
 * (past WEB_PATH_MAX or the cap of `key`). On error `key` is as it was.
 * The path "/" gives the empty key.
 */
int web_key_from_path(struct str path, struct buf *key);

enum web_range_kind {
	WEB_RANGE_NONE,		 /* no Range, or one to ignore: answer the whole object (200) */
	WEB_RANGE_OK,		 /* one satisfiable range: 206 with [first, last] */
	WEB_RANGE_UNSATISFIABLE, /* 416 */
};

struct web_range {
	enum web_range_kind kind;
	uint64_t first, last; /* inclusive, last < size, for WEB_RANGE_OK */
};

/*
 * Read Range header `h` (NULL ptr: none) for an object of `size` bytes, as
 * S3 does behind CloudFront: "bytes=a-b", "bytes=a-" and "bytes=-n" (the
 * last n bytes); b past the end is cut to the end. A header S3 ignores
 * (another unit, a syntax error, several ranges) gives WEB_RANGE_NONE; a
 * first byte at or past the end, or "bytes=-0", gives
 * WEB_RANGE_UNSATISFIABLE. Never fails.
 */
struct web_range web_range_parse(struct str h, uint64_t size);

enum web_encoding {
	WEB_ENC_IDENTITY,
	WEB_ENC_GZIP,
	WEB_ENC_BR,
};

/*
 * The encoding CloudFront answers with for Accept-Encoding `h`: br when it
 * is accepted and `br_ok` (the cache policy caches Brotli), else gzip when
 * accepted, else identity. Codings are compared without case; one with
 * q=0 is refused; "*" accepts both. Other codings (deflate, zstd) are
 * dropped, as CloudFront drops them. Never fails.
 */
enum web_encoding web_accept_encoding(struct str h, bool br_ok);

/* "gzip", "br" or NULL for identity. */
const char *web_encoding_name(enum web_encoding e);

/*
 * True when CloudFront compresses a response of Content-Type `type`
 * (parameters after ';' ignored, case ignored): its published list of
 * types (text/html, text/css, application/javascript, application/json,
 * image/svg+xml, ...).
 */
bool web_compressible_type(const char *type);

/*
 * True when If-None-Match value `h` matches entity tag `etag` (given
 * without quotes) by the weak comparison of RFC 9110 section 13.1.2: "*",
 * or a list member "etag" or W/"etag". A malformed list matches nothing.
 */
bool web_etag_matches(struct str h, const char *etag);

#endif
