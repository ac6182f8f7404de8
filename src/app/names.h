/*
 * Object names: the rules a name must follow before it becomes an S3 key.
 *
 * A name is the `name` of POST /objects or the greedy path parameter of
 * /objects/{name+}. S3 itself accepts almost any key, but a key that cannot be
 * written back as a path (an empty, "." or ".." segment), that hides bytes a
 * terminal or a log would interpret (control characters) or that is not text
 * at all (invalid UTF-8) makes every client's life harder and opens
 * path-traversal bugs in tools that mirror a bucket to disk. So the service
 * refuses them with a 400 that says which rule was broken.
 *
 * The rules, in the order they are checked:
 *   1. 1 to NAME_MAX_BYTES bytes;
 *   2. valid UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 *      past U+10FFFF, no truncated sequence;
 *   3. no control character: C0 (U+0000..U+001F), DEL (U+007F), C1
 *      (U+0080..U+009F);
 *   4. no leading '/';
 *   5. no empty segment ("a//b", a trailing '/'), no "." or ".." segment.
 */
#ifndef SLUICE_APP_NAMES_H
#define SLUICE_APP_NAMES_H

#include <stddef.h>

/* The longest name, in bytes (S3's own limit on a key). */
#define NAME_MAX_BYTES 1024

/*
 * Check the `len` bytes at `name` against the rules above. Returns 0 when the
 * name is acceptable, ERR_INVAL otherwise with `*reason` (when `reason` is not
 * NULL) set to a static sentence for the 400 body, e.g. "name contains a
 * control character". `name` may hold any bytes, NUL included; NULL is taken
 * as the empty name.
 */
int name_validate(const char *name, size_t len, const char **reason /* OUT */);

#endif
