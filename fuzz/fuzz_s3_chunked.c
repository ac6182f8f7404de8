/*
 * Fuzzes the aws-chunked body decoder of the local S3 endpoint
 * (s3_chunked_decode): the first byte picks signed or unsigned framing, the
 * rest is the body. The callback checks that every chunk lies inside the
 * input and that the decoded total respects the cap.
 */
#include "core/common.h"

#include "local/s3/s3_int.h"

#define FUZZ_MAX_DECODED (1u << 16)

struct total {
	const char *in;
	size_t len;
	uint64_t sum;
};

static int on_chunk(void *ctx, struct str data, struct str sig)
{
	struct total *t = ctx;
	if (data.len && (data.ptr < t->in || data.ptr + data.len > t->in + t->len))
		abort();
	t->sum += data.len;
	if (t->sum > FUZZ_MAX_DECODED || sig.len > t->len)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct total t = {(const char *)data + 1, size - 1, 0};
	struct str trailer;
	int rc = s3_chunked_decode(t.in, t.len, data[0] & 1, FUZZ_MAX_DECODED, on_chunk, &t,
				   &trailer);
	if (rc == 0 && trailer.len &&
	    (trailer.ptr < t.in || trailer.ptr + trailer.len > t.in + t.len))
		abort();
	return 0;
}
