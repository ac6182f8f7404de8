/*
 * Compression of the local CloudFront front: gzip (zlib) and Brotli
 * (libbrotlienc), for the responses CloudFront compresses (web_req.h:
 * web_compressible_type(), 1,000 to 10,000,000 bytes).
 */
#ifndef SLUICE_LOCAL_WEB_COMPRESS_H
#define SLUICE_LOCAL_WEB_COMPRESS_H

#include <stddef.h>

#include "core/buf.h"
#include "local/web/web_req.h"

#define WEB_COMPRESS_MIN 1000	  /* CloudFront compresses from 1,000 bytes ... */
#define WEB_COMPRESS_MAX 10000000 /* ... up to 10,000,000 bytes */

/*
 * Append `len` bytes of `data` compressed with `enc` (gzip or br) to `out`.
 * Returns 0, ERR_INVAL (identity, or `len` outside the range above),
 * ERR_TOOLARGE (past the cap of `out`), ERR_NOMEM. On error `out` is as it
 * was.
 */
int web_compress(enum web_encoding enc, const void *data, size_t len, struct buf *out);

#endif
