/*
 * A small pull scanner for JSON (RFC 8259), for the two parsers of the
 * preferences service that must not build a document tree: the vendor list
 * (vendor_list.c: about 1 MB, read into a compact table with bounded
 * memory) and the NDJSON lines of an import (preferences_doc.c: millions of
 * small objects, read without an allocation per line).
 *
 * The caller walks the text: jscan_object_next() hands out member names,
 * the caller reads the value it wants or jscan_skip() skips it. Strings are
 * returned raw (a slice between the quotes, escapes not decoded, UTF-8 and
 * escapes already checked) and decoded on demand with jscan_decode().
 * Errors are sticky: the first one sets `err` and its byte offset, and every
 * later call fails at once.
 */
#ifndef SLUICE_APP_PREFERENCES_JSON_H
#define SLUICE_APP_PREFERENCES_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* The deepest nesting jscan_skip() follows. */
#define JSCAN_MAX_DEPTH 64

struct jscan {
	const char *start, *p, *end;
	const char *err; /* NULL while all is well; else a static phrase */
	size_t err_at;	 /* byte offset of the error */
};

/* A raw string: the bytes between the quotes, and whether any '\' escape is among them. */
struct jstring {
	struct str raw;
	bool escaped;
};

void jscan_init(struct jscan *s, const char *text, size_t len);

/* Record error `why` at the current position (the first one wins). Returns false. */
bool jscan_fail(struct jscan *s, const char *why);

/* Skip whitespace; the next byte, or 0 at the end. */
char jscan_peek(struct jscan *s);

/* Consume `c` (after whitespace), or fail with "expected <what>". */
bool jscan_expect(struct jscan *s, char c, const char *what);

/* A string value; fails on bad escapes, control characters, invalid UTF-8. */
bool jscan_string(struct jscan *s, struct jstring *out /* OUT */);

/*
 * Decode a string's escapes into `out` (`cap` bytes with room for a NUL).
 * Returns the decoded length, or -1 when it does not fit. \u0000 decodes to a
 * NUL byte, which callers that want text refuse.
 */
long jscan_decode(const struct jstring *js, char *out, size_t cap);

/* true or false; fails on anything else, with "expected true or false". */
bool jscan_bool(struct jscan *s, bool *out /* OUT */);

/* An integer in [min, max] written without fraction or exponent. */
bool jscan_int(struct jscan *s, long long min, long long max, long long *out /* OUT */);

/* Skip one value of any type (nesting at most JSCAN_MAX_DEPTH). */
bool jscan_skip(struct jscan *s);

/*
 * Object iteration: call jscan_object_begin() at '{', then
 * jscan_object_next() until it returns 0 ('}' consumed); each 1 has read a
 * member name into `name` and the ':' after it, and the caller must consume
 * the value. -1 on error.
 */
bool jscan_object_begin(struct jscan *s);
int jscan_object_next(struct jscan *s, struct jstring *name /* OUT */, bool *first /* IN/OUT */);

/* The same for arrays: 1 before each element, 0 after ']', -1 on error. */
bool jscan_array_begin(struct jscan *s);
int jscan_array_next(struct jscan *s, bool *first /* IN/OUT */);

/* True when only whitespace is left. */
bool jscan_at_end(struct jscan *s);

/* True when the raw string equals `lit` (no escapes involved). */
bool jscan_is(const struct jstring *js, const char *lit);

#endif
