/*
 * Fuzz the CloudFront Function reader (src/local/web/cf_function.c): any
 * bytes are either the known SPA function, with a rewrite target that is a
 * path, or refused with an error and no rule; the rule, applied to the
 * input itself as a URI, never returns anything but its target.
 */
#include "core/common.h"

#include "local/web/cf_function.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_rule r;
	int err = cf_function_read((const char *)data, size, &r);
	const char *to;

	if (err && r.kind != CF_RULE_NONE)
		abort();
	if (!err && (r.kind != CF_RULE_SPA || r.uri[0] != '/'))
		abort();
	to = cf_rule_apply(&r, str_make((const char *)data, size));
	if (to && (err || to != r.uri))
		abort();
	return 0;
}
