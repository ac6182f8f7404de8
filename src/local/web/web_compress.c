/*
 * gzip and Brotli for the local front (web_compress.h). Levels: gzip 6 and
 * Brotli 5, a local server's trade of size for speed on every request; the
 * bytes differ from CloudFront's, the encoding and its headers do not.
 */
#include "core/common.h"

#include <brotli/encode.h>
#include <zlib.h>

#include "local/web/web_compress.h"

static int gzip_into(const void *data, size_t len, struct buf *out)
{
	z_stream z = {0};
	size_t bound, before = out->len;
	int rc;

	/* windowBits 15 + 16: a gzip wrapper (RFC 1952) rather than zlib's. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return ERR_NOMEM;
	bound = deflateBound(&z, (uLong)len);
	if ((rc = buf_grow(out, bound))) {
		deflateEnd(&z);
		return rc;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->ptr + before;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
		return ERR_NOMEM;
	out->len = before + z.total_out;
	out->ptr[out->len] = '\0';
	return 0;
}

static int br_into(const void *data, size_t len, struct buf *out)
{
	size_t bound = BrotliEncoderMaxCompressedSize(len), n, before = out->len;
	int err;

	if (!bound)
		return ERR_TOOLARGE;
	if ((err = buf_grow(out, bound)))
		return err;
	n = bound;
	if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, len, data, &n,
				   (uint8_t *)out->ptr + before))
		return ERR_NOMEM;
	out->len = before + n;
	out->ptr[out->len] = '\0';
	return 0;
}

int web_compress(enum web_encoding enc, const void *data, size_t len, struct buf *out)
{
	if (len < WEB_COMPRESS_MIN || len > WEB_COMPRESS_MAX)
		return ERR_INVAL;
	if (enc == WEB_ENC_GZIP)
		return gzip_into(data, len, out);
	if (enc == WEB_ENC_BR)
		return br_into(data, len, out);
	return ERR_INVAL;
}
