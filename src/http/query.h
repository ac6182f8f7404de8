/*
 * The one splitter for raw query strings ("a=1&b=&c"), shared by SigV4's
 * canonical query, the gateway's event and the S3 endpoint. It hands out
 * slices into the raw text, still percent-encoded: each caller decodes as its
 * protocol says (SigV4 keeps '+', HTML forms would not), so that the bytes of
 * a value, a NUL included, are never cut by the splitting.
 */
#ifndef SLUICE_HTTP_QUERY_H
#define SLUICE_HTTP_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

/*
 * Take the next non-empty segment between '&' bytes from `*rest` and split it
 * at its first '=': `*name` gets what comes before, `*value` what comes after
 * (empty, with a NULL `ptr`, when there is no '='). Empty segments ("a&&b",
 * a trailing '&') are skipped. Returns false, leaving `*name` and `*value`
 * untouched, when nothing is left; `*rest` then is empty.
 */
bool query_next(struct str *rest, struct str *name /* OUT */, struct str *value /* OUT */);

/* The number of segments query_next() would hand out for `q`. */
size_t query_count(struct str q);

#endif
