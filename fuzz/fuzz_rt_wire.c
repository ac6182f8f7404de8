/*
 * Fuzzes the Runtime API's answer reader (src/lambda/rt_wire.c): the input
 * after two bytes is read whole and in pieces of 1 + data[0] % 13 bytes,
 * with a body cap of data[1] * 4 bytes, then closed; both must agree on
 * every outcome and body byte (but `extra`, which depends on what one read
 * brought), and respect the caps. The head parser alone must return spans
 * inside the input.
 */
#include "core/common.h"

#include "lambda/rt_wire.h"

#define FUZZ_BODY_UNIT 4

struct outcome {
	int err;
	bool done, truncated;
	int status;
	size_t head_len, body_len;
	uint64_t digest;
};

static void read_stream(struct buf *in, const char *p, size_t len, size_t step, size_t body_max,
			struct outcome *o)
{
	struct rt_wire_reader r;
	size_t i;

	memset(o, 0, sizeof(*o));
	rt_wire_reader_init(&r, in, body_max);
	while (len && !r.done && !o->err) {
		char *at;
		size_t room, n;
		bool exact;

		o->err = rt_wire_reader_space(&r, &at, &room, &exact);
		if (o->err)
			break;
		n = MIN(MIN(room, step), len);
		memcpy(at, p, n);
		o->err = rt_wire_reader_got(&r, n);
		p += n;
		len -= n;
	}
	if (!o->err && !r.done)
		o->err = rt_wire_reader_eof(&r);
	o->done = r.done;
	if (!r.done)
		return;
	if (r.body_len > body_max || r.head_len > RT_WIRE_HEAD_MAX ||
	    rt_wire_reader_body(&r)[r.body_len] != '\0')
		abort();
	o->truncated = r.truncated;
	o->status = r.head.status;
	o->head_len = r.head_len;
	o->body_len = r.body_len;
	for (i = 0; i < r.body_len; i++)
		o->digest = o->digest * 31 + (unsigned char)rt_wire_reader_body(&r)[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;
	struct rt_wire_head h;
	struct buf in;
	size_t body_max, f;
	ssize_t n;

	if (size < 2)
		return 0;
	body_max = (size_t)data[1] * FUZZ_BODY_UNIT;
	n = rt_wire_parse_head((const char *)data + 2, size - 2, &h);
	if (n > 0)
		for (f = 0; f < RT_WIRE_FIELDS; f++)
			if (h.field[f].off + h.field[f].len > (size_t)n)
				abort();
	buf_init(&in, RT_WIRE_HEAD_MAX + body_max + RT_WIRE_READ_CHUNK);
	read_stream(&in, (const char *)data + 2, size - 2, size, body_max, &whole);
	read_stream(&in, (const char *)data + 2, size - 2, 1 + data[0] % 13, body_max, &pieces);
	buf_release(&in);
	if (whole.err != pieces.err || whole.done != pieces.done ||
	    whole.truncated != pieces.truncated || whole.status != pieces.status ||
	    whole.head_len != pieces.head_len || whole.body_len != pieces.body_len ||
	    whole.digest != pieces.digest)
		abort();
	return 0;
}
