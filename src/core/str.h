/*
 * A borrowed slice of bytes (aws-c-common's byte_cursor, h2o's iovec):
 * parsers return these pointing into their input instead of copying. A slice
 * is valid only as long as the storage it points into; it is not
 * NUL-terminated. `ptr` may be NULL only when `len` is 0.
 */
#ifndef SLUICE_CORE_STR_H
#define SLUICE_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
	const char *ptr;
	size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
#define STR_NULL   ((struct str){NULL, 0})
/* printf("%.*s", STR_FMT(s)) */
#define STR_FMT(s) (int)(s).len, (s).ptr

static inline struct str str_make(const char *p, size_t len)
{
	struct str s = {p, len};
	return s;
}

/* A slice over a NUL-terminated string; NULL gives the empty slice. */
static inline struct str str_from(const char *s)
{
	struct str r = {s, s ? strlen(s) : 0};
	return r;
}

/* Byte-for-byte equality. */
bool str_eq(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *b);

/* ASCII case-insensitive equality (HTTP header names). */
bool str_ieq(struct str a, struct str b);
bool str_ieq_cstr(struct str a, const char *b);

bool str_has_prefix(struct str s, struct str prefix);
bool str_has_suffix(struct str s, struct str suffix);

/* Index of the first `c` in `s`, or -1. */
long str_index(struct str s, char c);

/* Without leading and trailing spaces and tabs (RFC 9110 OWS). */
struct str str_trim(struct str s);

/*
 * Split at the first `sep`: `*head` gets what comes before it, the return
 * value what comes after. Without `sep`, `*head` is all of `s` and the result
 * is STR_NULL with `*found` false. `found` may be NULL.
 */
struct str str_split(struct str s, char sep, struct str *head, bool *found);

/*
 * Parse a whole slice as a decimal integer in [min, max] (no sign unless min
 * < 0, no spaces, no trailing bytes). Returns 0 or ERR_PARSE.
 */
int str_to_i64(struct str s, long long min, long long max, long long *out /* OUT */);

/* A NUL-terminated heap copy; NULL when allocation fails. */
char *str_dup(struct str s);

#endif
