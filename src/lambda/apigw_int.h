/*
 * Internals of the API Gateway codec, shared by its three files and nobody
 * else: apigw_fn.c (the function's half), apigw_gw.c (the gateway's half) and
 * apigw_common.c (what both halves use). Nothing here may name a function of
 * apigw_gw.c: the function binary links apigw_fn.o and apigw_common.o only,
 * and tests/protocol/test_binary_halves.py checks that it stays so.
 *
 * The small helpers are static inline, so that the parsers and builders keep
 * the code they had when the codec was one file; they keep the short names of
 * file-local helpers. What is out of line is a symbol of the library and
 * carries the apigw_ prefix.
 */
#ifndef SLUICE_LAMBDA_APIGW_INT_H
#define SLUICE_LAMBDA_APIGW_INT_H

#include "lambda/apigw.h"

#include "core/enc.h"
#include "core/str.h"

/*
 * Write "fmt ..." into `why` (when `why` is not NULL and `why_len` not 0) and
 * return `err`: the one way both parsers report a reason.
 */
int apigw_failf(char *why, size_t why_len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Member `key` of `obj` with JSON null read as absent; NULL when `obj` is not an object. */
static inline json_t *member(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

/* The first pair named `name` (ASCII case-insensitive when `icase`), or NULL. */
static inline const struct apigw_pair *find_pair_at(const struct apigw_pair *v, size_t n,
						    const char *name, bool icase)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (icase ? !strcasecmp(v[i].name, name) : !strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* The first value named `name`, as a C string, or NULL. */
static inline const char *find_pair(const struct apigw_pair *v, size_t n, const char *name,
				    bool icase)
{
	const struct apigw_pair *p = find_pair_at(v, n, name, icase);
	return p ? p->value : NULL;
}

/*
 * JSON builders with a sticky error: each takes `err`, records the first
 * failure there (ERR_NOMEM, or ERR_PARSE for text that is not UTF-8), and the
 * caller checks it once when the tree is built. jansson's *_new setters
 * accept a NULL value and fail, so a failed constructor needs no check of its
 * own at the call site.
 */
static inline void put(int *err, json_t *obj, const char *key, json_t *v)
{
	if ((!v || json_object_set_new(obj, key, v)) && !*err)
		*err = ERR_NOMEM;
}

static inline void append(int *err, json_t *arr, json_t *v)
{
	if ((!v || json_array_append_new(arr, v)) && !*err)
		*err = ERR_NOMEM;
}

/* A JSON string, or NULL with *err = ERR_PARSE when `s` is not UTF-8. */
static inline json_t *jstr(int *err, const char *s, size_t len)
{
	if (!utf8_valid(s, len)) {
		if (!*err)
			*err = ERR_PARSE;
		return NULL;
	}
	return json_stringn(s, len);
}

/* As jstr() for a C string; NULL is "". */
static inline json_t *jcstr(int *err, const char *s)
{
	return jstr(err, s ? s : "", s ? strlen(s) : 0);
}

/* What apigw_group_pairs() puts in the single-valued map for a repeated name. */
enum apigw_single { APIGW_SINGLE_FIRST, APIGW_SINGLE_LAST, APIGW_SINGLE_JOIN };

/*
 * Group `n` pairs by name (ASCII case-insensitively when `icase`, under the
 * first spelling, lowercased when `lower`) into `multi` ({name: [values]})
 * and `single` ({name: first | last | comma-joined}); either may be NULL.
 * Pairs named `skip` (any case; NULL for none) are left out. Errors go to
 * `err` as for put().
 */
void apigw_group_pairs(int *err, const struct apigw_pair *v, size_t n, bool icase, bool lower,
		       json_t *multi, json_t *single, enum apigw_single mode, const char *skip);

/* A body as a JSON string, base64 when `binary`; NULL with `err` set on failure. */
json_t *apigw_body_json(int *err, const char *body, size_t len, bool binary);

/*
 * Split a raw query ("a=1&b=2&a") with http/query.h into pairs allocated in
 * `a`, at most `cap` of them (else ERR_TOOLARGE, before anything is
 * allocated). Names and values are percent-decoded with '+' as a space. A
 * name or value that decodes to a NUL byte is kept as sent; one that does not
 * decode is kept as sent too, unless `strict`, which fails with ERR_PARSE
 * instead. `*out` is NULL when there are no pairs. Returns 0, ERR_TOOLARGE,
 * ERR_PARSE (strict only) or ERR_NOMEM.
 */
int apigw_split_query(struct arena *a, struct str raw, size_t cap, bool strict,
		      struct apigw_pair **out /* OUT */, size_t *n /* OUT */);

#endif
