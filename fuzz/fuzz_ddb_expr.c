/*
 * Fuzz the DynamoDB expression parser and evaluator (src/local/dynamodb/
 * ddb_expr_parse.c and ddb_expr_eval.c). The first byte picks the grammar (condition, update,
 * projection), the rest is the expression; whatever parses is then evaluated or applied to a fixed
 * item, which must never crash and must leave a valid item behind.
 */
#include "core/common.h"

#include "local/dynamodb/ddb_int.h"

static const char names_text[] = "{\"#a\":\"a\",\"#b\":\"b\",\"#m\":\"m\"}";
static const char values_text[] =
	"{\":n\":{\"N\":\"1\"},\":s\":{\"S\":\"x\"},\":l\":{\"L\":[{\"N\":\"2\"}]},"
	"\":ss\":{\"SS\":[\"x\",\"y\"]},\":t\":{\"S\":\"N\"},\":b\":{\"B\":\"AA==\"}}";
static const char item_text[] =
	"{\"a\":{\"N\":\"5\"},\"b\":{\"S\":\"xyz\"},\"m\":{\"M\":{\"l\":{\"L\":[{\"N\":\"1\"},"
	"{\"M\":{\"c\":{\"SS\":[\"x\"]}}}]}}},\"ss\":{\"SS\":[\"x\"]},\"n\":{\"N\":\"9E125\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_expression *x = malloc(sizeof(*x));
	json_t *names = json_loads(names_text, 0, NULL), *values = json_loads(values_text, 0, NULL);
	json_t *item = json_loads(item_text, 0, NULL), *copy = json_deep_copy(item);
	struct ddb_err e = {0};
	bool out;
	if (!x || !names || !values || !item || !copy || size < 1 ||
	    ddb_expr_init(x, names, values))
		goto done;
	const char *text = (const char *)data + 1;
	if (data[0] % 3 == 0) {
		if (!ddb_expr_parse_condition(x, text, size - 1, "ConditionExpression", &e))
			ddb_expr_eval(x, x->root, item, &out, &e);
	} else if (data[0] % 3 == 1) {
		if (!ddb_expr_parse_update(x, text, size - 1, &e) &&
		    !ddb_expr_apply_update(x, item, copy, &e) && ddb_item_check(copy, &e))
			abort(); /* an update must leave a valid item */
	} else if (!ddb_expr_parse_projection(x, text, size - 1, &e)) {
		json_decref(ddb_project(item, x->proj, x->nproj));
	}
	ddb_expr_check_unused(x, &e);
	ddb_expr_release(x);
done:
	free(x);
	json_decref(names);
	json_decref(values);
	json_decref(item);
	json_decref(copy);
	return 0;
}
