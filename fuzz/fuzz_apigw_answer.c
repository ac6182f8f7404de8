/*
 * Fuzz the fast path of reading a function's answer (apigw_gw_fast.c)
 * against the full parser (jansson): whatever the fast path takes, the full
 * parser must take too and read into the same status, headers, cookies and
 * body; and apigw_parse_function_response() (fast path first) must give the
 * full parser's result, refusals and reasons included.
 */
#include "core/common.h"

#include "lambda/apigw_gw_int.h"

static bool same(const struct apigw_response *a, const struct apigw_response *b)
{
	if (a->status != b->status || a->binary != b->binary || a->n_headers != b->n_headers ||
	    a->n_cookies != b->n_cookies || a->body.len != b->body.len ||
	    memcmp(a->body.ptr, b->body.ptr, a->body.len))
		return false;
	for (size_t i = 0; i < a->n_headers; i++)
		if (strcmp(a->headers[i].name, b->headers[i].name) ||
		    strcmp(a->headers[i].value, b->headers[i].value))
			return false;
	for (size_t i = 0; i < a->n_cookies; i++)
		if (strcmp(a->cookies[i], b->cookies[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct apigw_response fast, full;
	char why_fast[256], why_full[256];

	for (int version = APIGW_V1; version <= APIGW_V2; version++) {
		apigw_response_init(&fast);
		int taken = apigw_response_fast(json, size, version, &fast) == 0;
		apigw_response_release(&fast);
		int err_fast = apigw_parse_function_response(json, size, version, &fast, why_fast,
							     sizeof(why_fast));
		int err_full = apigw_parse_response_tree(json, size, version, &full, why_full,
							 sizeof(why_full));
		if (err_fast != err_full || strcmp(why_fast, why_full) || (taken && err_full) ||
		    (!err_full && !same(&fast, &full)))
			abort();
		apigw_response_release(&fast);
		apigw_response_release(&full);
	}
	return 0;
}
