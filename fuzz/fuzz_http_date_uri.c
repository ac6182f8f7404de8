/*
 * Fuzz the timestamp parsers and the percent-decoder of src/core. Whatever a
 * time parser accepts must format back to the same instant (the SigV4 form
 * byte for byte, the HTTP date but for the unchecked day name); whatever
 * uri_decode accepts must survive uri_encode and decode again unchanged.
 */
#include "core/common.h"

#include "core/enc.h"
#include "core/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[32];
	int64_t ms, ms2;
	time_t t;
	struct buf dec, enc, dec2;

	if (!time_parse_rfc3339(s, size, &ms) && ms >= 0 && ms < 253402300800000LL) {
		time_rfc3339(out, ms, 1); /* years 1970..9999 format as RFC 3339 */
		if (time_parse_rfc3339(out, strlen(out), &ms2) || ms2 != ms)
			abort();
	}
	if (!time_parse_amz(s, size, &t) && (time_amz(out, t), memcmp(out, s, 16) != 0))
		abort();
	if (!time_parse_http(s, size, &t) && (time_http(out, t), memcmp(out + 3, s + 3, 26) != 0))
		abort();
	buf_init(&dec, BUF_NOCAP);
	buf_init(&enc, BUF_NOCAP);
	buf_init(&dec2, BUF_NOCAP);
	if (!uri_decode(&dec, s, size, size && s[0] == '+') &&
	    (uri_encode(&enc, dec.ptr, dec.len, size & 1) ||
	     uri_decode(&dec2, enc.ptr, enc.len, false) || dec2.len != dec.len ||
	     memcmp(dec2.ptr, dec.ptr, dec.len) != 0))
		abort();
	buf_release(&dec);
	buf_release(&enc);
	buf_release(&dec2);
	return 0;
}
