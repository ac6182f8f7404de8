/*
 * Fuzz the strict base64 decoder (src/core/enc.c). Strictness means one text
 * per byte string, so whatever decodes must re-encode to exactly the input;
 * and any input, encoded, must decode back to itself.
 */
#include "core/common.h"

#include "core/enc.h"

#define FUZZ_B64_CAP (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf dec, enc;

	buf_init(&dec, FUZZ_B64_CAP);
	buf_init(&enc, 2 * FUZZ_B64_CAP);
	if (b64_decode(&dec, (const char *)data, size) == 0) {
		if (b64_encode(&enc, dec.ptr, dec.len) != 0 || enc.len != size ||
		    (size && memcmp(enc.ptr, data, size) != 0))
			abort();
	} else if (dec.len != 0 || dec.ptr[0] != '\0') {
		abort(); /* a failed decode must leave the buffer as it was */
	}
	buf_reset(&enc);
	buf_reset(&dec);
	if (b64_encode(&enc, data, size) != 0 || b64_decode(&dec, enc.ptr, enc.len) != 0 ||
	    dec.len != size || (size && memcmp(dec.ptr, data, size) != 0))
		abort();
	buf_release(&dec);
	buf_release(&enc);
	return 0;
}
