/*
 * Unit tests for the keys of the local DynamoDB (src/local/dynamodb/
 * ddb_key.c): the key bytes of items and Key parameters, DynamoDB's
 * messages for a key missing, mistyped, empty or too large (caught by the
 * capped key buffers), and sparse index keys.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "local/dynamodb/ddb_int.h"

static const struct ddb_key_schema table_key = {"pk", "sk", DDB_T_S, DDB_T_N};
static const struct ddb_index index_gk = {"ByG", {"g", "r", DDB_T_S, DDB_T_B}, "ALL", NULL};

struct keys {
	struct buf pk, sk;
	struct ddb_err e;
};

static void keys_init(struct keys *k)
{
	memset(k, 0, sizeof(*k));
	buf_init(&k->pk, DDB_PK_BUF);
	buf_init(&k->sk, DDB_SK_BUF);
}

static void keys_release(struct keys *k)
{
	buf_release(&k->pk);
	buf_release(&k->sk);
}

/* ddb_item_key() on `text` must fail with ERR_INVAL and `msg`. */
static void expect_key_error(const char *text, bool exact, const char *msg)
{
	struct keys k;
	json_t *item = json_loads(text, 0, NULL);
	assert_non_null(item);
	keys_init(&k);
	assert_int_equal(ddb_item_key(&table_key, item, exact, NULL, &k.pk, &k.sk, &k.e),
			 ERR_INVAL);
	assert_string_equal(k.e.type, "ValidationException");
	assert_string_equal(k.e.msg, msg);
	keys_release(&k);
	json_decref(item);
}

static void test_item_key(void **state)
{
	struct keys k;
	json_t *item = json_loads("{\"pk\":{\"S\":\"ab\"},\"sk\":{\"N\":\"-1.5\"},"
				  "\"x\":{\"S\":\"y\"}}",
				  0, NULL);
	keys_init(&k);
	assert_int_equal(ddb_item_key(&table_key, item, false, NULL, &k.pk, &k.sk, &k.e), 0);
	assert_int_equal(k.pk.len, 2);
	assert_memory_equal(k.pk.ptr, "ab", 2);
	/* A negative number: 0x7F, the inverted exponent, inverted digits, 0xFF. */
	assert_int_equal(k.sk.len, 5);
	assert_int_equal((uint8_t)k.sk.ptr[0], 0x7F);
	assert_int_equal((uint8_t)k.sk.ptr[4], 0xFF);
	/* As a Key parameter the extra attribute is refused. */
	assert_int_equal(ddb_item_key(&table_key, item, true, NULL, &k.pk, &k.sk, &k.e), ERR_INVAL);
	assert_string_equal(k.e.msg, "The provided key element does not match the schema");
	json_t *key = ddb_key_of(&table_key, item);
	assert_int_equal(json_object_size(key), 2);
	assert_null(json_object_get(key, "x"));
	json_decref(key);
	keys_release(&k);
	json_decref(item);
}

static void test_item_key_errors(void **state)
{
	expect_key_error("{\"sk\":{\"N\":\"1\"}}", false,
			 "One or more parameter values were invalid: Missing the key pk in the "
			 "item");
	expect_key_error("{\"pk\":{\"S\":\"a\"}}", false,
			 "One or more parameter values were invalid: Missing the key sk in the "
			 "item");
	expect_key_error("{\"pk\":{\"N\":\"1\"},\"sk\":{\"N\":\"1\"}}", false,
			 "One or more parameter values were invalid: Type mismatch for key pk "
			 "expected: S actual: N");
	expect_key_error("{\"pk\":{\"N\":\"1\"},\"sk\":{\"N\":\"1\"}}", true,
			 "The provided key element does not match the schema");
	expect_key_error("{\"pk\":{\"S\":\"\"},\"sk\":{\"N\":\"1\"}}", false,
			 "One or more parameter values are not valid. The AttributeValue for a key "
			 "attribute cannot contain an empty string value. Key: pk");

	/* The caps are DynamoDB's limits: 2048 bytes fit, 2049 do not. */
	char text[4200];
	snprintf(text, sizeof(text), "{\"pk\":{\"S\":\"%2048d\"},\"sk\":{\"N\":\"1\"}}", 7);
	struct keys k;
	json_t *item = json_loads(text, 0, NULL);
	keys_init(&k);
	assert_int_equal(ddb_item_key(&table_key, item, false, NULL, &k.pk, &k.sk, &k.e), 0);
	assert_int_equal(k.pk.len, DDB_KEY_MAX);
	keys_release(&k);
	json_decref(item);
	snprintf(text, sizeof(text), "{\"pk\":{\"S\":\"%2049d\"},\"sk\":{\"N\":\"1\"}}", 7);
	expect_key_error(text, false,
			 "One or more parameter values were invalid: Size of hashkey has exceeded "
			 "the maximum size limit of2048 bytes");
}

static void test_index_key(void **state)
{
	struct keys k;
	bool in;
	json_t *full = json_loads("{\"g\":{\"S\":\"x\"},\"r\":{\"B\":\"AAE=\"}}", 0, NULL);
	json_t *half = json_loads("{\"g\":{\"S\":\"x\"}}", 0, NULL);
	json_t *none = json_loads("{\"other\":{\"S\":\"x\"}}", 0, NULL);
	json_t *bad = json_loads("{\"r\":{\"S\":\"x\"}}", 0, NULL);
	keys_init(&k);
	assert_int_equal(ddb_index_key(&index_gk, full, &k.pk, &k.sk, &in, &k.e), 0);
	assert_true(in);
	assert_int_equal(k.sk.len, 2); /* the decoded bytes 00 01 */
	assert_int_equal(ddb_index_key(&index_gk, half, &k.pk, &k.sk, &in, &k.e), 0);
	assert_false(in);
	assert_int_equal(ddb_index_key(&index_gk, none, &k.pk, &k.sk, &in, &k.e), 0);
	assert_false(in);
	assert_null(k.e.type);
	/* Absent hash key: not in the index, whatever the sort key is. */
	assert_int_equal(ddb_index_key(&index_gk, bad, &k.pk, &k.sk, &in, &k.e), 0);
	assert_false(in);
	json_object_set_new(bad, "g", json_pack("{s:s}", "N", "1"));
	assert_int_equal(ddb_index_key(&index_gk, bad, &k.pk, &k.sk, &in, &k.e), ERR_INVAL);
	assert_string_equal(k.e.msg, "One or more parameter values were invalid: Type mismatch "
				     "for Index Key g Expected: S Actual: N IndexName: ByG");
	keys_release(&k);
	json_decref(full);
	json_decref(half);
	json_decref(none);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item_key),
		cmocka_unit_test(test_item_key_errors),
		cmocka_unit_test(test_index_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
