/*
 * Fuzz CloudWatch Logs filter patterns (src/local/cloudwatch/cw_filter.c).
 * The input is a pattern, then a NUL, then an event: the pattern is parsed
 * and, when it parses, matched against the event and a fixed JSON event, and
 * asked for a metric value; nothing may crash, leak or read out of bounds.
 */
#include "core/common.h"

#include "local/cloudwatch/cw_filter.h"

static const char json_event[] = "{\"level\":\"ERROR\",\"status\":503,\"a\":{\"b\":[1,\"x\"]},"
				 "\"t\":true,\"n\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nul = memchr(p, '\0', size);
	size_t plen = nul ? (size_t)(nul - p) : size;
	const char *ev = nul ? nul + 1 : "";
	size_t elen = nul ? size - plen - 1 : 0;
	struct cw_filter *f = NULL;
	char why[256];
	double v;

	if (cw_filter_parse(p, plen, &f, why, sizeof(why)))
		return 0;
	cw_filter_match(f, ev, elen);
	cw_filter_match(f, json_event, strlen(json_event));
	cw_filter_value(f, "$.status", json_event, strlen(json_event), &v);
	cw_filter_value(f, "$a", ev, elen, &v);
	cw_filter_free(f);
	return 0;
}
