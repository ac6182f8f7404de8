/*
 * Fuzz the local front's header readers (src/local/web/web_req.c):
 * Accept-Encoding and If-None-Match, on the same bytes. Whatever the input,
 * the answer is one of the encodings, Brotli only when allowed, and an
 * entity tag always matches a list made of itself alone.
 */
#include "core/common.h"

#include "local/web/web_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str h = str_make((const char *)data, size);
	enum web_encoding e = web_accept_encoding(h, false);
	char etag[64], quoted[70];
	size_t n = 0;

	if (e != WEB_ENC_IDENTITY && e != WEB_ENC_GZIP)
		abort();
	(void)web_accept_encoding(h, true);
	(void)web_etag_matches(h, "0123456789abcdef");
	for (size_t i = 0; i < size && n < sizeof(etag) - 1; i++)
		if (data[i] != '"' && data[i] >= 0x21 && data[i] < 0x7f)
			etag[n++] = (char)data[i];
	etag[n] = '\0';
	snprintf(quoted, sizeof(quoted), "\"%s\"", etag);
	if (!web_etag_matches(str_from(quoted), etag))
		abort();
	return 0;
}
