/*
 * Unit tests for the tables of the local DynamoDB (src/local/dynamodb/
 * ddb_table.c): CreateTable with global secondary indexes (the stored
 * description, member by member, and its schema at work in queries),
 * DescribeTable with live counts, ListTables paging, DeleteTable (items and
 * index entries gone), the validation messages, and template tables
 * (ddb_server_create_table_from_spec()).
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "ddbtest.h"
#include "local/dynamodb/ddb_server.h"

#define ORDERS                                                                              \
	"{\"TableName\":\"Orders\",\"AttributeDefinitions\":["                              \
	"{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"                               \
	"{\"AttributeName\":\"at\",\"AttributeType\":\"N\"},"                               \
	"{\"AttributeName\":\"cust\",\"AttributeType\":\"S\"},"                             \
	"{\"AttributeName\":\"st\",\"AttributeType\":\"B\"}],"                              \
	"\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"},"                   \
	"{\"AttributeName\":\"at\",\"KeyType\":\"RANGE\"}],"                                \
	"\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":7},"     \
	"\"GlobalSecondaryIndexes\":["                                                      \
	"{\"IndexName\":\"ByCustomer\",\"KeySchema\":[{\"AttributeName\":\"cust\","         \
	"\"KeyType\":\"HASH\"},{\"AttributeName\":\"at\",\"KeyType\":\"RANGE\"}],"          \
	"\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"total\"]}," \
	"\"ProvisionedThroughput\":{\"ReadCapacityUnits\":2,\"WriteCapacityUnits\":3}},"    \
	"{\"IndexName\":\"ByState\",\"KeySchema\":[{\"AttributeName\":\"st\","              \
	"\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"},"         \
	"\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,\"WriteCapacityUnits\":1}}]}"

#define HSH                                                                                   \
	"{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\",\"AttributeDefinitions\":" \
	"[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],\"KeySchema\":"                 \
	"[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}"

static const char *str_at(const json_t *v, const char *path)
{
	const char *s = json_string_value(ddbtest_get(v, path));
	if (!s)
		fail_msg("no string at %s", path);
	return s;
}

static json_int_t int_at(const json_t *v, const char *path)
{
	json_t *n = ddbtest_get(v, path);
	if (!json_is_integer(n))
		fail_msg("no integer at %s", path);
	return json_integer_value(n);
}

static void create_hsh(struct ddb_server *s, const char *name)
{
	char body[512];
	snprintf(body, sizeof(body), HSH, name);
	json_decref(ddbtest_call(s, "CreateTable", body, 200));
}

static void test_create_with_gsis(void **state)
{
	struct ddbtest *f = *state;
	json_t *req = json_loads(ORDERS, 0, NULL);
	json_t *r = ddbtest_call(f->s, "CreateTable", ORDERS, 200);
	json_t *d = json_object_get(r, "TableDescription");
	assert_string_equal(str_at(d, "TableName"), "Orders");
	assert_string_equal(str_at(d, "TableStatus"), "ACTIVE");
	assert_string_equal(str_at(d, "TableArn"),
			    "arn:aws:dynamodb:us-east-1:123456789012:table/Orders");
	assert_int_equal(strlen(str_at(d, "TableId")), 36);
	assert_true(json_equal(json_object_get(d, "KeySchema"), json_object_get(req, "KeySchema")));
	assert_true(json_equal(json_object_get(d, "AttributeDefinitions"),
			       json_object_get(req, "AttributeDefinitions")));
	assert_int_equal(int_at(d, "ProvisionedThroughput/ReadCapacityUnits"), 5);
	assert_int_equal(int_at(d, "ProvisionedThroughput/WriteCapacityUnits"), 7);
	assert_string_equal(str_at(d, "BillingModeSummary/BillingMode"), "PROVISIONED");
	assert_null(ddbtest_get(d, "BillingModeSummary/LastUpdateToPayPerRequestDateTime"));
	assert_int_equal(int_at(d, "ItemCount"), 0);
	assert_int_equal(int_at(d, "TableSizeBytes"), 0);
	assert_true(json_is_real(json_object_get(d, "CreationDateTime")));

	assert_int_equal(json_array_size(json_object_get(d, "GlobalSecondaryIndexes")), 2);
	assert_string_equal(str_at(d, "GlobalSecondaryIndexes/0/IndexName"), "ByCustomer");
	assert_string_equal(
		str_at(d, "GlobalSecondaryIndexes/0/IndexArn"),
		"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/ByCustomer");
	assert_string_equal(str_at(d, "GlobalSecondaryIndexes/0/IndexStatus"), "ACTIVE");
	assert_true(json_equal(ddbtest_get(d, "GlobalSecondaryIndexes/0/KeySchema"),
			       ddbtest_get(req, "GlobalSecondaryIndexes/0/KeySchema")));
	assert_true(json_equal(ddbtest_get(d, "GlobalSecondaryIndexes/0/Projection"),
			       ddbtest_get(req, "GlobalSecondaryIndexes/0/Projection")));
	assert_int_equal(
		int_at(d, "GlobalSecondaryIndexes/0/ProvisionedThroughput/WriteCapacityUnits"), 3);
	assert_string_equal(str_at(d, "GlobalSecondaryIndexes/1/IndexName"), "ByState");
	assert_string_equal(str_at(d, "GlobalSecondaryIndexes/1/Projection/ProjectionType"),
			    "KEYS_ONLY");
	/* The stored description is what DescribeTable returns. */
	json_t *again = ddbtest_call(f->s, "DescribeTable", "{\"TableName\":\"Orders\"}", 200);
	assert_true(json_equal(json_object_get(again, "Table"), d));
	json_decref(again);
	json_decref(r);
	json_decref(req);
}

/* The schema read back from the description drives writes and index reads. */
static void test_gsi_schema_at_work(void **state)
{
	struct ddbtest *f = *state;
	json_decref(ddbtest_call(f->s, "CreateTable", ORDERS, 200));
	json_decref(
		ddbtest_call(f->s, "PutItem",
			     "{\"TableName\":\"Orders\",\"Item\":{\"id\":{\"S\":\"o1\"},"
			     "\"at\":{\"N\":\"2\"},\"cust\":{\"S\":\"c\"},\"total\":{\"N\":\"9\"},"
			     "\"note\":{\"S\":\"n\"}}}",
			     200));
	/* INCLUDE: the keys of the table and the index, and `total`. */
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Orders\",\"IndexName\":\"ByCustomer\","
		       "\"KeyConditionExpression\":\"cust = :c\","
		       "\"ExpressionAttributeValues\":{\":c\":{\"S\":\"c\"}}}",
		       200,
		       "{\"Items\":[{\"id\":{\"S\":\"o1\"},\"at\":{\"N\":\"2\"},\"cust\":{\"S\":"
		       "\"c\"},\"total\":{\"N\":\"9\"}}],\"Count\":1,\"ScannedCount\":1}");
	/* An item without `st` is not in the sparse index ByState. */
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Orders\",\"IndexName\":\"ByState\"}", 200,
		       "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	/* The index key types are the defined ones. */
	ddbtest_expect(f->s, "PutItem",
		       "{\"TableName\":\"Orders\",\"Item\":{\"id\":{\"S\":\"o2\"},"
		       "\"at\":{\"N\":\"1\"},\"st\":{\"S\":\"x\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE "\",\"message\":\"One or more parameter values "
		       "were invalid: Type mismatch for Index Key st Expected: B Actual: S "
		       "IndexName: ByState\"}");
}

static void test_create_pay_per_request(void **state)
{
	struct ddbtest *f = *state;
	json_t *r = ddbtest_call(
		f->s, "CreateTable",
		"{\"TableName\":\"Ppr\",\"BillingMode\":\"PAY_PER_REQUEST\","
		"\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"g\",\"AttributeType\":\"N\"}],"
		"\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
		"\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByG\",\"KeySchema\":"
		"[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}]}]}",
		200);
	json_t *d = json_object_get(r, "TableDescription");
	assert_string_equal(str_at(d, "BillingModeSummary/BillingMode"), "PAY_PER_REQUEST");
	assert_true(json_is_real(
		ddbtest_get(d, "BillingModeSummary/LastUpdateToPayPerRequestDateTime")));
	/* Projection defaults to ALL; no throughput on the index. */
	assert_string_equal(str_at(d, "GlobalSecondaryIndexes/0/Projection/ProjectionType"), "ALL");
	assert_null(ddbtest_get(d, "GlobalSecondaryIndexes/0/ProvisionedThroughput"));
	json_decref(r);
}

static void expect_invalid(struct ddb_server *s, const char *body, const char *message)
{
	json_t *got = ddbtest_call(s, "CreateTable", body, 400);
	assert_string_equal(str_at(got, "__type"), DDBTEST_VE);
	assert_string_equal(str_at(got, "message"), message);
	json_decref(got);
}

static void test_create_errors(void **state)
{
	struct ddbtest *f = *state;
	expect_invalid(f->s,
		       "{\"TableName\":\"x\",\"BillingMode\":\"PAY_PER_REQUEST\","
		       "\"AttributeDefinitions\":[],\"KeySchema\":[]}",
		       "1 validation error detected: Value 'x' at 'tableName' failed to satisfy "
		       "constraint: Member must satisfy regular expression pattern: "
		       "[a-zA-Z0-9_.-]+ and have length between 3 and 255");
	expect_invalid(f->s, "{}",
		       "1 validation error detected: Value null at 'tableName' failed to satisfy "
		       "constraint: Member must not be null");
	expect_invalid(
		f->s,
		"{\"TableName\":\"Bad1\",\"BillingMode\":\"PAY_PER_REQUEST\","
		"\"AttributeDefinitions\":"
		"[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},{\"AttributeName\":\"u\","
		"\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":"
		"\"HASH\"}]}",
		"One or more parameter values were invalid: Some AttributeDefinitions are not "
		"used. AttributeDefinitions: u");
	expect_invalid(f->s,
		       "{\"TableName\":\"Bad2\",\"BillingMode\":\"PAY_PER_REQUEST\","
		       "\"AttributeDefinitions\":[],\"KeySchema\":[{\"AttributeName\":\"k\","
		       "\"KeyType\":\"HASH\"}]}",
		       "One or more parameter values were invalid: Some index key attributes are "
		       "not defined in AttributeDefinitions. Keys: [k]");
	expect_invalid(
		f->s,
		"{\"TableName\":\"Bad3\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
		"\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\","
		"\"KeyType\":\"HASH\"}]}",
		"One or more parameter values were invalid: ReadCapacityUnits and "
		"WriteCapacityUnits must both be specified when BillingMode is "
		"PROVISIONED");
	expect_invalid(f->s,
		       "{\"TableName\":\"Bad4\",\"BillingMode\":\"PAY_PER_REQUEST\","
		       "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
		       "\"S\"},{\"AttributeName\":\"r\",\"AttributeType\":\"S\"}],\"KeySchema\":"
		       "[{\"AttributeName\":\"r\",\"KeyType\":\"RANGE\"},{\"AttributeName\":\"id\","
		       "\"KeyType\":\"HASH\"}]}",
		       "One or more parameter values were invalid: Invalid KeySchema: the first "
		       "element must be HASH, the second RANGE");
	expect_invalid(f->s,
		       "{\"TableName\":\"Bad5\",\"BillingMode\":\"PAY_PER_REQUEST\","
		       "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
		       "\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
		       "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"G\",\"KeySchema\":[{"
		       "\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}]}",
		       "One or more parameter values were invalid: Invalid GlobalSecondaryIndexes");
	expect_invalid(f->s,
		       "{\"TableName\":\"Bad6\",\"BillingMode\":\"PAY_PER_REQUEST\","
		       "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
		       "\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
		       "\"LocalSecondaryIndexes\":[]}",
		       "LocalSecondaryIndexes are not supported by the local DynamoDB endpoint");
	expect_invalid(f->s,
		       "{\"TableName\":\"Bad7\",\"BillingMode\":\"ON_DEMAND\","
		       "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
		       "\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}",
		       "1 validation error detected: Value 'ON_DEMAND' at 'billingMode' failed to "
		       "satisfy constraint: Member must satisfy enum value set: [PROVISIONED, "
		       "PAY_PER_REQUEST]");
	create_hsh(f->s, "Hsh");
	char body[512];
	snprintf(body, sizeof(body), HSH, "Hsh");
	ddbtest_expect(f->s, "CreateTable", body, 400,
		       "{\"__type\":\"" DDBTEST_PREFIX "ResourceInUseException\","
		       "\"message\":\"Table already exists: Hsh\"}");
	ddbtest_expect(f->s, "ListTables", "{}", 200, "{\"TableNames\":[\"Hsh\"]}");
}

static void test_describe(void **state)
{
	struct ddbtest *f = *state;
	ddbtest_expect(f->s, "DescribeTable", "{\"TableName\":\"nope\"}", 400,
		       "{\"__type\":\"" DDBTEST_RNF "\",\"message\":\"Requested resource not "
		       "found: Table: nope not found\"}");
	create_hsh(f->s, "Hsh");
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}}}", 200));
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"bb\"},"
				 "\"n\":{\"N\":\"12345\"}}}",
				 200));
	json_t *d = ddbtest_call(f->s, "DescribeTable", "{\"TableName\":\"Hsh\"}", 200);
	assert_int_equal(int_at(d, "Table/ItemCount"), 2);
	/* "id"+"a" = 3; "id"+"bb" + "n" + 12345 (1 + 3 bytes) = 9. */
	assert_int_equal(int_at(d, "Table/TableSizeBytes"), 12);
	json_decref(d);
}

static void test_list_paging(void **state)
{
	struct ddbtest *f = *state;
	static const char *const names[] = {"Tab-e", "Tab-a", "Tab-c", "Tab-b", "Tab-d"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		create_hsh(f->s, names[i]);
	ddbtest_expect(
		f->s, "ListTables", "{\"Limit\":2}", 200,
		"{\"TableNames\":[\"Tab-a\",\"Tab-b\"],\"LastEvaluatedTableName\":\"Tab-b\"}");
	ddbtest_expect(
		f->s, "ListTables", "{\"Limit\":2,\"ExclusiveStartTableName\":\"Tab-b\"}", 200,
		"{\"TableNames\":[\"Tab-c\",\"Tab-d\"],\"LastEvaluatedTableName\":\"Tab-d\"}");
	ddbtest_expect(f->s, "ListTables", "{\"Limit\":2,\"ExclusiveStartTableName\":\"Tab-d\"}",
		       200, "{\"TableNames\":[\"Tab-e\"]}");
	/* Exactly Limit left: no page follows. */
	ddbtest_expect(f->s, "ListTables", "{\"Limit\":5}", 200,
		       "{\"TableNames\":[\"Tab-a\",\"Tab-b\",\"Tab-c\",\"Tab-d\",\"Tab-e\"]}");
	ddbtest_expect(f->s, "ListTables", "{\"ExclusiveStartTableName\":\"Tab-e\"}", 200,
		       "{\"TableNames\":[]}");
	ddbtest_expect(f->s, "ListTables", "{\"Limit\":101}", 400,
		       "{\"__type\":\"" DDBTEST_VE "\",\"message\":\"1 validation error detected: "
		       "Value '101' at 'limit' failed to satisfy constraint: Member must have "
		       "value less than or equal to 100\"}");
	ddbtest_expect_error(f->s, "ListTables", "{\"Limit\":0}", DDBTEST_VE);
	ddbtest_expect_error(f->s, "ListTables", "{\"Limit\":\"2\"}", DDBTEST_VE);
}

static void test_delete(void **state)
{
	struct ddbtest *f = *state;
	json_decref(ddbtest_call(f->s, "CreateTable", ORDERS, 200));
	create_hsh(f->s, "Keep");
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Orders\",\"Item\":{\"id\":{\"S\":\"o1\"},"
				 "\"at\":{\"N\":\"1\"},\"cust\":{\"S\":\"c\"}}}",
				 200));
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Keep\",\"Item\":{\"id\":{\"S\":\"k\"}}}", 200));
	json_t *d = ddbtest_call(f->s, "DeleteTable", "{\"TableName\":\"Orders\"}", 200);
	assert_string_equal(str_at(d, "TableDescription/TableName"), "Orders");
	assert_string_equal(str_at(d, "TableDescription/TableStatus"), "DELETING");
	assert_int_equal(int_at(d, "TableDescription/ItemCount"), 1);
	json_decref(d);
	ddbtest_expect(f->s, "DeleteTable", "{\"TableName\":\"Orders\"}", 400,
		       "{\"__type\":\"" DDBTEST_RNF "\",\"message\":\"Requested resource not "
		       "found: Table: Orders not found\"}");
	ddbtest_expect(f->s, "ListTables", "{}", 200, "{\"TableNames\":[\"Keep\"]}");
	/* A new table of the same name starts empty: items and index entries went. */
	json_decref(ddbtest_call(f->s, "CreateTable", ORDERS, 200));
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Orders\"}", 200,
		       "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Orders\",\"IndexName\":\"ByCustomer\"}", 200,
		       "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Keep\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":1,\"ScannedCount\":1}");
}

static void test_from_spec(void **state)
{
	struct ddbtest *f = *state;
	char body[512];
	snprintf(body, sizeof(body), HSH, "Tpl");
	json_t *spec = json_loads(body, 0, NULL);
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), 0);
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Tpl\",\"Item\":{\"id\":{\"S\":\"k\"}}}", 200));
	/* Again at the next start: the table and its data stay. */
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), 0);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Tpl\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":1,\"ScannedCount\":1}");
	json_object_set_new(spec, "TableName", json_string("x"));
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), ERR_INVAL);
	assert_int_equal(ddb_server_create_table_from_spec(f->s, NULL), ERR_INVAL);
	assert_int_equal(ddb_server_create_table_from_spec(NULL, spec), ERR_INVAL);
	json_decref(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_with_gsis, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_gsi_schema_at_work, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_create_pay_per_request, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_describe, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_list_paging, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_delete, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_from_spec, ddbtest_setup, ddbtest_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
