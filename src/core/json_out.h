/*
 * JSON text written straight into a struct buf, for the hot builders that do
 * not need a tree: the API Gateway event that `sluice dev` sends with every
 * invocation was a jansson tree built and dumped, which cost more than the
 * rest of the gateway's request. The caller writes the punctuation and the
 * keys it knows as literals and each string once through the escaper.
 *
 * The output is byte for byte what jansson's json_dumps() gives with
 * JSON_COMPACT for the same values in the same order: '"', '\\' and the
 * control characters escaped (\b \f \n \r \t, others as \u00XX in upper
 * case), everything else (DEL, non-ASCII) as is. Strings must be UTF-8.
 *
 * Errors are sticky in the writer (not in the buf): append freely, check
 * json_out_finish() once, which leaves the buf as it was before
 * json_out_init() when anything failed. Never send what a failed writer left.
 */
#ifndef SLUICE_CORE_JSON_OUT_H
#define SLUICE_CORE_JSON_OUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

/* A writer appending to `b`; `start` is where it began, `err` its first failure. */
struct json_out {
	struct buf *b;
	size_t start;
	int err;
};

/* Start writing at the end of `b` (borrowed: it must outlive the writer). */
void json_out_init(struct json_out *o, struct buf *b);

/* Append `len` bytes as they are (punctuation, keys known to need no escape). */
void json_out_raw(struct json_out *o, const char *s, size_t len);

/* json_out_raw() of a string literal, its length taken at compile time. */
#define JSON_OUT_LIT(o, lit) json_out_raw((o), "" lit, sizeof(lit) - 1)

/*
 * Append `len` bytes of `s` (NUL bytes allowed) escaped as the inside of a
 * JSON string, without the quotes; ASCII letters lowercased when `lower`.
 * Text that is not UTF-8 fails the writer with ERR_PARSE. `s` may be NULL
 * when `len` is 0.
 */
void json_out_chars(struct json_out *o, const char *s, size_t len, bool lower);

/* Append `s` as a quoted JSON string (json_out_chars() between quotes). */
void json_out_str(struct json_out *o, const char *s, size_t len);

/* As json_out_str() for a C string; NULL is written as "". */
void json_out_cstr(struct json_out *o, const char *s);

/* Append `v` in decimal, as jansson prints a json_integer. */
void json_out_int(struct json_out *o, int64_t v);

/* Append the standard base64 of `data` as a quoted string. */
void json_out_b64(struct json_out *o, const void *data, size_t len);

/* Append the compact text of a jansson value (jsonx_dump(), no extra flags). */
void json_out_value(struct json_out *o, const json_t *v);

/*
 * The writer's first error (ERR_PARSE, ERR_TOOLARGE past the buf's cap,
 * ERR_NOMEM, or the buf's own sticky error), or 0. On error the buf is cut
 * back to where json_out_init() found it.
 */
int json_out_finish(struct json_out *o);

#endif
