/*
 * Fuzzes the trailer reader of aws-chunked bodies (s3_trailer_read): the
 * first byte picks the trailer wanted and whether the canonical form a
 * trailer signature covers is built; the rest is the trailer lines. Every
 * slice must lie inside the input, and the canonical form must fit the cap
 * s3_int.h gives it and end with a newline.
 */
#include "core/common.h"

#include "local/s3/s3_int.h"

static void inside(struct str s, const char *in, size_t len)
{
	if (s.len && (s.ptr < in || s.ptr + s.len > in + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const wants[] = {"", "x-amz-checksum-crc32", "X-AMZ-CHECKSUM-SHA256",
					    "a"};
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	struct s3_trailer t;
	struct buf canon;

	buf_init(&canon, len + 2);
	int rc = s3_trailer_read(str_make(in, len), str_from(wants[data[0] & 3]), &t,
				 data[0] & 4 ? &canon : NULL);
	if (rc == 0) {
		inside(t.value, in, len);
		inside(t.signature, in, len);
		if ((t.found && !wants[data[0] & 3][0]) ||
		    ((data[0] & 4) && (canon.len > len + 1 || canon.ptr[canon.len - 1] != '\n')))
			abort();
	}
	buf_release(&canon);
	return 0;
}
