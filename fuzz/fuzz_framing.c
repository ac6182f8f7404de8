/*
 * Fuzzes the request framing reader (src/http/framing.c): the input after
 * the first byte is fed whole and in pieces of 1 + data[0] % 7 bytes; both
 * must end the same heads and requests at the same offsets, with the same
 * request line and framing fields, and refuse at the same one (whole lines
 * take the fast paths, pieces the byte by byte one); every result must
 * respect the caps.
 */
#include "core/common.h"

#include "http/framing.h"

static const struct http_framing_limits lim = {
	.head_max = 256, .head_raw_max = 512, .body_max = 64};

static uint64_t mix(uint64_t digest, uint64_t v)
{
	return digest * 31 + v;
}

/* Feed `in` in pieces of `step`; a digest of what was read. */
static uint64_t read_stream(const char *in, size_t len, size_t step)
{
	struct http_framing f;
	uint64_t d = 0, at = 0;

	http_framing_init(&f, &lim);
	while (at < len) {
		ssize_t n = http_framing_feed(&f, in + at, MIN(step, len - at));
		if (n <= 0)
			return n ? mix(mix(d, f.reason), f.pos) : d;
		if (f.head_len > lim.head_raw_max || f.content_length > lim.body_max ||
		    f.decoded > lim.body_max || f.target.off + f.target.len > f.pos)
			abort();
		at += (uint64_t)n;
		if (f.head_done) {
			d = mix(mix(mix(d, at), f.body), f.method.len);
			d = mix(mix(mix(d, f.target.off), f.target.len), f.expect_continue);
			d = mix(mix(d, f.n_te), f.n_te ? f.te[f.n_te - 1].off + f.te[0].len : 0);
		}
		if (f.message_done)
			d = mix(d, at * 2 + 1);
	}
	return d;
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
