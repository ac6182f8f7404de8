/*
 * Fuzzes the request framing reader (src/http/framing.c): the input after
 * the first byte is fed whole and in pieces of 1 + data[0] % 7 bytes; both
 * must end the same heads and requests at the same offsets and refuse at
 * the same one, and every result must respect the caps.
 */
#include "core/common.h"

#include "http/framing.h"

static const struct http_framing_limits lim = {
	.head_max = 256, .head_raw_max = 512, .body_max = 64};

/* Feed `in` in pieces of `step`; a digest of what was read. */
static uint64_t read_stream(const char *in, size_t len, size_t step)
{
	struct http_framing f;
	uint64_t digest = 0, at = 0;

	http_framing_init(&f, &lim);
	while (at < len) {
		ssize_t n = http_framing_feed(&f, in + at, MIN(step, len - at));
		if (n <= 0)
			return n ? digest * 31 + f.reason * 7919 + f.pos : digest;
		if (f.head_len > lim.head_raw_max || f.content_length > lim.body_max ||
		    f.decoded > lim.body_max || f.target.off + f.target.len > f.pos)
			abort();
		at += (uint64_t)n;
		if (f.head_done)
			digest = digest * 31 + at * 2 + f.body;
		if (f.message_done)
			digest = digest * 31 + at * 2 + 1;
	}
	return digest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	if (read_stream(in, size - 1, size) != read_stream(in, size - 1, 1 + data[0] % 7))
		abort();
	return 0;
}
