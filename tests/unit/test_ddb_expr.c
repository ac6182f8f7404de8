/* Unit tests for DynamoDB expressions (src/local/dynamodb/ddb_expr_parse.c and
 * ddb_expr_eval.c): condition parsing and evaluation (comparators, BETWEEN, IN, functions,
 * AND/OR/NOT, nested paths), update application (SET arithmetic, if_not_exists, list_append,
 * REMOVE, ADD, DELETE), projections, and the syntax errors.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/dynamodb/ddb_int.h"

static json_t *J(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);
	if (!v)
		fail_msg("bad JSON in test: %s", text);
	return v;
}

static const char *item_text =
	"{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"5\"},\"f\":{\"N\":\"-1.5\"},"
	"\"b\":{\"B\":\"AAEC\"},\"ok\":{\"BOOL\":true},\"z\":{\"NULL\":true},"
	"\"tags\":{\"SS\":[\"x\",\"y\"]},\"nums\":{\"NS\":[\"1\",\"2\"]},"
	"\"m\":{\"M\":{\"a\":{\"L\":[{\"S\":\"p\"},{\"M\":{\"c\":{\"N\":\"7\"}}}]}}},"
	"\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"}]},\"name\":{\"S\":\"hello world\"}}";

static const char *values_text =
	"{\":five\":{\"N\":\"5\"},\":six\":{\"N\":\"6\"},\":one\":{\"N\":\"1\"},"
	"\":abc\":{\"S\":\"abc\"},\":ab\":{\"S\":\"ab\"},\":x\":{\"S\":\"x\"},"
	"\":N\":{\"S\":\"N\"},\":SS\":{\"S\":\"SS\"},\":two\":{\"S\":\"two\"},"
	"\":seven\":{\"N\":\"7.0\"},\":hello\":{\"S\":\"hello\"},\":b\":{\"B\":\"AA==\"},"
	"\":l1\":{\"N\":\"1\"},\":bad\":{\"S\":\"XX\"}}";

/* Evaluate `cond` on the test item; fails the test on a parse error. */
static bool eval(const char *cond)
{
	json_t *item = J(item_text), *values = J(values_text), *names = J("{\"#n\":\"n\"}");
	const char *k;
	json_t *v;
	struct ddb_err e = {0};
	struct ddb_expression *x = malloc(sizeof(*x));
	bool out = false;
	json_object_foreach(values, k, v) assert_int_equal(ddb_value_check(v, 0, &e), 0);
	assert_int_equal(ddb_expr_init(x, names, values), 0);
	if (ddb_expr_parse_condition(x, cond, strlen(cond), "ConditionExpression", &e))
		fail_msg("parse \"%s\": %s", cond, e.msg);
	if (ddb_expr_eval(x, x->root, item, &out, &e))
		fail_msg("eval \"%s\": %s", cond, e.msg);
	ddb_expr_release(x);
	free(x);
	json_decref(item);
	json_decref(values);
	json_decref(names);
	return out;
}

static void test_conditions(void **state)
{
	assert_true(eval("n = :five"));
	assert_true(eval("#n = :five"));
	assert_false(eval("n <> :five"));
	assert_true(eval("missing <> :five")); /* a missing attribute is not equal */
	assert_false(eval("missing = :five"));
	assert_true(eval("n < :six AND n <= :five AND n > :one AND n >= :five"));
	assert_false(eval("n < :abc")); /* different types never compare */
	assert_true(eval("n BETWEEN :one AND :six"));
	assert_true(eval("id IN (:x, :abc)"));
	assert_false(eval("id IN (:x, :ab)"));
	assert_true(eval("attribute_exists(m.a[1].c) AND attribute_not_exists(m.a[2])"));
	assert_true(eval("m.a[1].c = :seven")); /* 7.0 == 7 */
	assert_true(eval("attribute_type(n, :N) AND attribute_type(tags, :SS)"));
	assert_true(eval("begins_with(id, :ab) AND NOT begins_with(id, :x)"));
	assert_true(eval("begins_with(b, :b)"));
	assert_true(eval("contains(tags, :x) AND contains(name, :hello) AND contains(l, :two)"));
	assert_true(eval("contains(nums, :l1)"));
	assert_false(eval("contains(id, :x)"));
	assert_true(eval("size(id) > :one AND size(tags) < :five AND size(l) = size(nums)"));
	assert_true(eval("size(name) > :five"));
	assert_true(eval("n = :one OR (n = :five AND NOT (id = :x))"));
	assert_true(eval("NOT n = :one"));
	assert_true(eval("n=:five and id=:abc"));		 /* keywords are case-insensitive */
	assert_false(eval("n = :five AND id = :x OR n = :one")); /* AND binds tighter */
	assert_true(eval("n = :one OR n = :five AND id = :abc"));
	assert_true(eval("ok = ok AND z = z"));
}

static void check_syntax_error(const char *cond, const char *msg_part)
{
	json_t *values = J(values_text);
	struct ddb_err e = {0};
	struct ddb_expression *x = malloc(sizeof(*x));
	assert_int_equal(ddb_expr_init(x, NULL, values), 0);
	assert_int_equal(ddb_expr_parse_condition(x, cond, strlen(cond), "ConditionExpression", &e),
			 ERR_INVAL);
	assert_string_equal(e.type, "ValidationException");
	if (!strstr(e.msg, msg_part))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cond, e.msg, msg_part);
	ddb_expr_release(x);
	free(x);
	json_decref(values);
}

static void test_syntax_errors(void **state)
{
	check_syntax_error("", "can not be empty");
	check_syntax_error("n =", "Syntax error; token: \"<EOF>\"");
	check_syntax_error("n = :five AND", "Syntax error");
	check_syntax_error("n == :five", "Syntax error; token: \"=\"");
	check_syntax_error("(n = :five", "Syntax error");
	check_syntax_error("n = :nope", "attribute value: :nope");
	check_syntax_error("#nope = :five", "attribute name: #nope");
	check_syntax_error("n BETWEEN :six AND :one", "BETWEEN");
	check_syntax_error("a[x] = :five", "Syntax error");
	check_syntax_error("n = :five $", "Syntax error; token: \"$\"");
	check_syntax_error("n", "Syntax error");
	check_syntax_error("attribute_exists(:five)", "Syntax error");
	char deep[400];
	memset(deep, '(', 200);
	memcpy(deep + 200, "n = :five", 10);
	check_syntax_error(deep, "nested too deeply");
}

/* Apply `update` to the test item and compare attribute `attr` with `want`
 * (NULL: the attribute must be gone). */
static void check_update(const char *update, const char *attr, const char *want)
{
	json_t *item = J(item_text), *values = J(values_text), *names = J("{\"#n\":\"n\"}");
	json_t *upd = json_deep_copy(item), *vals = J("{\":l\":{\"L\":[{\"S\":\"z\"}]},"
						      "\":s\":{\"SS\":[\"x\",\"q\"]},"
						      "\":ns\":{\"NS\":[\"2\"]}}");
	const char *k;
	json_t *v;
	struct ddb_err e = {0};
	struct ddb_expression *x = malloc(sizeof(*x));
	json_object_update(values, vals);
	json_decref(vals);
	json_object_foreach(values, k, v) assert_int_equal(ddb_value_check(v, 0, &e), 0);
	assert_int_equal(ddb_expr_init(x, names, values), 0);
	if (ddb_expr_parse_update(x, update, strlen(update), &e))
		fail_msg("parse \"%s\": %s", update, e.msg);
	if (ddb_expr_apply_update(x, item, upd, &e))
		fail_msg("apply \"%s\": %s", update, e.msg);
	json_t *got = json_object_get(upd, attr);
	if (!want) {
		assert_null(got);
	} else {
		json_t *w = J(want);
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!got || !json_equal(got, w))
			fail_msg("\"%s\": %s = %s, want %s", update, attr, g ? g : "null", want);
		free(g);
		json_decref(w);
	}
	ddb_expr_release(x);
	free(x);
	json_decref(item);
	json_decref(upd);
	json_decref(values);
	json_decref(names);
}

static void test_updates(void **state)
{
	check_update("SET n = n + :one", "n", "{\"N\":\"6\"}");
	check_update("SET #n = :six - #n", "n", "{\"N\":\"1\"}");
	check_update("SET f = f - :one", "f", "{\"N\":\"-2.5\"}");
	check_update("SET c = if_not_exists(c, :five)", "c", "{\"N\":\"5\"}");
	check_update("SET n = if_not_exists(n, :one) + :one", "n", "{\"N\":\"6\"}");
	check_update("SET l = list_append(l, :l)", "l",
		     "{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},{\"S\":\"z\"}]}");
	check_update("SET l = list_append(:l, l)", "l",
		     "{\"L\":[{\"S\":\"z\"},{\"N\":\"1\"},{\"S\":\"two\"}]}");
	check_update("SET l[0] = :x", "l", "{\"L\":[{\"S\":\"x\"},{\"S\":\"two\"}]}");
	check_update("SET l[9] = :x", "l", "{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},{\"S\":\"x\"}]}");
	check_update("SET m.a[1].c = :one", "m",
		     "{\"M\":{\"a\":{\"L\":[{\"S\":\"p\"},{\"M\":{\"c\":{\"N\":\"1\"}}}]}}}");
	check_update("REMOVE n, name", "n", NULL);
	check_update("REMOVE l[0], l[1]", "l", "{\"L\":[]}");
	check_update("REMOVE m.a[0]", "m",
		     "{\"M\":{\"a\":{\"L\":[{\"M\":{\"c\":{\"N\":\"7\"}}}]}}}");
	check_update("ADD n :five", "n", "{\"N\":\"10\"}");
	check_update("ADD newn :five", "newn", "{\"N\":\"5\"}");
	check_update("ADD tags :s", "tags", "{\"SS\":[\"x\",\"y\",\"q\"]}");
	check_update("DELETE tags :s", "tags", "{\"SS\":[\"y\"]}");
	check_update("DELETE nums :ns", "nums", "{\"NS\":[\"1\"]}");
	check_update("SET a = :one, b2 = :two REMOVE z ADD n :one", "n", "{\"N\":\"6\"}");
	check_update("set a = :one remove z", "z", NULL);
}

static void check_update_error(const char *update, const char *msg_part)
{
	json_t *item = J(item_text), *values = J(values_text);
	json_t *upd = json_deep_copy(item);
	struct ddb_err e = {0};
	struct ddb_expression *x = malloc(sizeof(*x));
	assert_int_equal(ddb_expr_init(x, NULL, values), 0);
	int rc = ddb_expr_parse_update(x, update, strlen(update), &e);
	if (!rc)
		rc = ddb_expr_apply_update(x, item, upd, &e);
	assert_int_equal(rc, ERR_INVAL);
	assert_string_equal(e.type, "ValidationException");
	if (!strstr(e.msg, msg_part))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", update, e.msg, msg_part);
	ddb_expr_release(x);
	free(x);
	json_decref(item);
	json_decref(upd);
	json_decref(values);
}

static void test_update_errors(void **state)
{
	check_update_error("SET n = id + :one", "incorrect data type");
	check_update_error("SET n = missing + :one", "does not exist");
	check_update_error("SET a = :one, a = :five", "overlap");
	check_update_error("SET m.a = :one REMOVE m", "overlap");
	check_update_error("SET a = :one SET b = :one", "only be used once");
	check_update_error("ADD tags :one", "incorrect data type");
	check_update_error("DELETE n :one", "Incorrect operand type");
	check_update_error("SET nope.deeper = :one", "document path provided");
	check_update_error("SET l = list_append(l, :one)", "incorrect data type");
	check_update_error("PUT a = :one", "Syntax error");
	check_update_error("SET a :one", "Syntax error");
}

static void test_projection(void **state)
{
	json_t *item = J(item_text), *names = J("{\"#n\":\"name\"}");
	struct ddb_err e = {0};
	struct ddb_expression *x = malloc(sizeof(*x));
	const char *p = "id, #n, m.a[1].c, nope";
	assert_int_equal(ddb_expr_init(x, names, NULL), 0);
	assert_int_equal(ddb_expr_parse_projection(x, p, strlen(p), &e), 0);
	json_t *got = ddb_project(item, x->proj, x->nproj);
	json_t *want = J("{\"id\":{\"S\":\"abc\"},\"name\":{\"S\":\"hello world\"},"
			 "\"m\":{\"M\":{\"a\":{\"L\":[{\"M\":{\"c\":{\"N\":\"7\"}}}]}}}}");
	assert_true(json_equal(got, want));
	assert_int_equal(ddb_expr_check_unused(x, &e), 0);
	ddb_expr_release(x);
	json_decref(got);
	json_decref(want);

	/* Unused names are an error, as in DynamoDB. */
	json_t *more = J("{\"#n\":\"name\",\"#u\":\"unused\"}");
	assert_int_equal(ddb_expr_init(x, more, NULL), 0);
	assert_int_equal(ddb_expr_parse_projection(x, "#n", 2, &e), 0);
	assert_int_equal(ddb_expr_check_unused(x, &e), ERR_INVAL);
	assert_non_null(strstr(e.msg, "#u"));
	ddb_expr_release(x);
	free(x);
	json_decref(more);
	json_decref(item);
	json_decref(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions), cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_updates),	   cmocka_unit_test(test_update_errors),
		cmocka_unit_test(test_projection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
