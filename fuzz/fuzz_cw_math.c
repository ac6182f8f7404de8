/*
 * Fuzz metric math (src/local/cloudwatch/cw_math.c): any expression over
 * two fixed series either fails with a reason or gives a series whose
 * timestamps are in order.
 */
#include "core/common.h"

#include "local/cloudwatch/cw_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t ts1[] = {60000, 120000, 180000}, ts2[] = {120000, 240000};
	double v1[] = {1, 0, 3}, v2[] = {2, -1};
	struct cw_values vals[2] = {{ts1, v1, 3}, {ts2, v2, 2}}, out;
	const char *ids[] = {"a", "m1"};
	struct cw_math_env env = {ids, vals, 2};
	char *expr = strndup((const char *)data, size), why[256];

	if (expr && cw_math_eval(expr, &env, &out, why, sizeof(why)) == 0) {
		for (size_t i = 1; i < out.n; i++)
			if (out.ts[i - 1] > out.ts[i])
				abort();
		cw_values_release(&out);
	}
	free(expr);
	return 0;
}
