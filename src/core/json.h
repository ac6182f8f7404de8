/*
 * Small helpers on jansson: typed lookups that return NULL or a default
 * instead of failing, and serialisation into a capped struct buf.
 * jansson validates UTF-8 strictly and reports line and column on errors.
 */
#ifndef SLUICE_CORE_JSON_H
#define SLUICE_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/str.h"

/*
 * The string at `key` of `obj`, or NULL when `obj` is not an object (NULL
 * included) or the value is missing or not a string. Borrowed from `obj`.
 */
const char *jsonx_str(const json_t *obj, const char *key);

/* The object/array at `key`, or NULL when missing or of another type. */
json_t *jsonx_obj(const json_t *obj, const char *key);
json_t *jsonx_arr(const json_t *obj, const char *key);

/* The boolean at `key`, or `dflt` when missing or not a boolean. */
bool jsonx_bool(const json_t *obj, const char *key, bool dflt);

/* A new JSON string from a slice (NUL bytes allowed), or NULL when not UTF-8. */
json_t *jsonx_strn(struct str s);

/*
 * Append the compact JSON text of `v`, any value, to `out` (JSON_COMPACT and
 * JSON_ENCODE_ANY plus `flags`, e.g. JSON_SORT_KEYS). Returns 0, ERR_INVAL
 * for a NULL `v`, ERR_TOOLARGE past the buffer's cap, or ERR_NOMEM; `out` is
 * unchanged on error.
 */
int jsonx_dump(const json_t *v, struct buf *out, size_t flags);

/*
 * Parse `len` bytes of JSON (any value at the top). Returns NULL on error and,
 * when `err` is given, "line L column C: reason" in it.
 */
json_t *jsonx_parse(const char *s, size_t len, char *err, size_t err_len);

/*
 * As jsonx_parse(), but strings may hold "\u0000" (jansson's JSON_ALLOW_NUL).
 * Only for a reader that takes every string with its length
 * (json_string_length()) or refuses the ones with a NUL: json_string_value()
 * of such a string is cut at the NUL. jsonx_parse() refuses them outright.
 */
json_t *jsonx_parse_nul(const char *s, size_t len, char *err, size_t err_len);

#endif
