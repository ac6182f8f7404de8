/*
 * Fuzz the local front's Range reader (src/local/web/web_req.c). The first
 * two bytes pick the object's size; the rest is the header. A satisfiable
 * range must lie inside the object, first <= last.
 */
#include "core/common.h"

#include "local/web/web_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t objsize;
	struct web_range r;

	if (size < 2)
		return 0;
	objsize = ((uint64_t)data[0] << 8 | data[1]) * 977u;
	r = web_range_parse(str_make((const char *)data + 2, size - 2), objsize);
	if (r.kind == WEB_RANGE_OK && (r.first > r.last || r.last >= objsize))
		abort();
	if (r.kind == WEB_RANGE_UNSATISFIABLE && r.first)
		abort();
	return 0;
}
