/* Unit tests for the item operations of the local DynamoDB (src/local/dynamodb/
 * ddb_ops.c and ddb_query.c, with ddb_key.c through them): every operation
 * through ddb_server_handle() on a temporary SQLite file, asserting the exact
 * JSON answers and error __type values. Tables are tested in test_ddb_table.c,
 * dispatch and the error answers in test_ddb_server.c.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include <event2/event.h>

#include "ddbtest.h"
#include "local/dynamodb/ddb_server.h"

static void create_tables(struct ddb_server *s)
{
	json_t *r = ddbtest_call(
		s, "CreateTable",
		"{\"TableName\":\"Tbl\",\"BillingMode\":\"PAY_PER_REQUEST\","
		"\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},"
		"{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
		"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
		"{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
		"\"GlobalSecondaryIndexes\":[{\"IndexName\":\"Gix\",\"KeySchema\":"
		"[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
		"\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}]}",
		200);
	json_t *d = json_object_get(r, "TableDescription");
	assert_string_equal(json_string_value(json_object_get(d, "TableStatus")), "ACTIVE");
	assert_string_equal(json_string_value(json_object_get(d, "TableArn")),
			    "arn:aws:dynamodb:us-east-1:123456789012:table/Tbl");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(d, "BillingModeSummary"), "BillingMode")),
			    "PAY_PER_REQUEST");
	json_decref(r);
	r = ddbtest_call(
		s, "DynamoDB_20120810.CreateTable",
		"{\"TableName\":\"Hsh\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
		"\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\","
		"\"KeyType\":\"HASH\"}],\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"
		"\"WriteCapacityUnits\":5}}",
		200);
	json_decref(r);
}

static void test_put_get_delete(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	ddbtest_expect(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"0010.50\"},"
		"\"s\":{\"SS\":[\"x\"]},\"b\":{\"B\":\"AAE=\"},\"e\":{\"S\":\"\"}}}",
		200, "{}");
	ddbtest_expect(
		f->s, "GetItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}}}", 200,
		"{\"Item\":{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"10.5\"},\"s\":{\"SS\":[\"x\"]},"
		"\"b\":{\"B\":\"AAE=\"},\"e\":{\"S\":\"\"}}}");
	ddbtest_expect(
		f->s, "GetItem",
		"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}},"
		"\"ProjectionExpression\":\"#n\",\"ExpressionAttributeNames\":{\"#n\":\"n\"}}",
		200, "{\"Item\":{\"n\":{\"N\":\"10.5\"}}}");
	ddbtest_expect(f->s, "GetItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"zz\"}}}",
		       200, "{}");
	/* Conditional put failing, with the old item returned on request. */
	ddbtest_expect(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}},"
		"\"ConditionExpression\":\"attribute_not_exists(id)\","
		"\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
		400,
		"{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
		"\"message\":\"The conditional request failed\",\"Item\":{\"id\":{\"S\":\"a\"},"
		"\"n\":{\"N\":\"10.5\"},\"s\":{\"SS\":[\"x\"]},\"b\":{\"B\":\"AAE=\"},"
		"\"e\":{\"S\":\"\"}}}");
	ddbtest_expect(f->s, "PutItem",
		       "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}},"
		       "\"ReturnValues\":\"ALL_OLD\",\"ConditionExpression\":\"n = :n\","
		       "\"ExpressionAttributeValues\":{\":n\":{\"N\":\"10.50\"}}}",
		       200,
		       "{\"Attributes\":{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"10.5\"},"
		       "\"s\":{\"SS\":[\"x\"]},\"b\":{\"B\":\"AAE=\"},\"e\":{\"S\":\"\"}}}");
	ddbtest_expect(
		f->s, "DeleteItem",
		"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}},\"ReturnValues\":\"ALL_"
		"OLD\"}",
		200, "{\"Attributes\":{\"id\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}");
	ddbtest_expect(f->s, "DeleteItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}}}",
		       200, "{}");
	/* Validation. */
	ddbtest_expect(f->s, "PutItem", "{\"TableName\":\"Hsh\",\"Item\":{\"x\":{\"S\":\"a\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"One or more parameter values were invalid: "
		       "Missing the key id in the item\"}");
	ddbtest_expect(f->s, "PutItem", "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"N\":\"1\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"One or more parameter values were invalid: "
		       "Type mismatch for key id expected: S actual: N\"}");
	ddbtest_expect(f->s, "GetItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"},"
		       "\"x\":{\"S\":\"b\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"The provided key element does not match the "
		       "schema\"}");
	ddbtest_expect_error(f->s, "PutItem",
			     "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"\"}}}", DDBTEST_VE);
	ddbtest_expect_error(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"s\":{\"SS\":[]}}}",
		DDBTEST_VE);
	ddbtest_expect_error(f->s, "PutItem",
			     "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},"
			     "\"s\":{\"NS\":[\"1\",\"1.0\"]}}}",
			     DDBTEST_VE);
	ddbtest_expect_error(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"1E126\"}}}",
		DDBTEST_VE);
	ddbtest_expect_error(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"b\":{\"B\":\"!!\"}}}",
		DDBTEST_VE);
	ddbtest_expect_error(f->s, "PutItem",
			     "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},"
			     "\"x\":{\"S\":\"a\",\"N\":\"1\"}}}",
			     DDBTEST_VE);
	ddbtest_expect_error(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"z\":{\"NULL\":false}}}",
		DDBTEST_VE);
	ddbtest_expect_error(f->s, "PutItem",
			     "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}},"
			     "\"Expected\":{}}",
			     DDBTEST_VE);
	ddbtest_expect_error(f->s, "PutItem",
			     "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}},"
			     "\"ReturnValues\":\"ALL_NEW\"}",
			     DDBTEST_VE);
	ddbtest_expect_error(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"x\":{\"Q\":\"a\"}}}",
		"com.amazon.coral.service#SerializationException");
}

static void test_item_size(void **state)
{
	struct ddbtest *f = *state;
	struct buf body;
	create_tables(f->s);
	buf_init(&body, BUF_NOCAP);
	/* name "id"(2) + "a"(1) + name "v"(1) + value: 409600 - 4 = exactly the limit. */
	buf_puts(&body, "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"v\":{\"S\":\"");
	for (size_t i = 0; i < 409600 - 4; i++)
		buf_putc(&body, 'x');
	buf_puts(&body, "\"}}}");
	assert_int_equal(buf_error(&body), 0);
	json_decref(ddbtest_call(f->s, "PutItem", body.ptr, 200));
	buf_truncate(&body, body.len - 4);
	assert_int_equal(buf_adds(&body, "x\"}}}"), 0);
	ddbtest_expect(f->s, "PutItem", body.ptr, 400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Item size has exceeded the maximum allowed "
		       "size\"}");
	buf_release(&body);
}

static void test_update(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	ddbtest_expect(
		f->s, "UpdateItem",
		"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		"\"UpdateExpression\":\"SET n = if_not_exists(n, :z) + :one, l = :l ADD s :s\","
		"\"ExpressionAttributeValues\":{\":z\":{\"N\":\"0\"},\":one\":{\"N\":\"1\"},"
		"\":l\":{\"L\":[]},\":s\":{\"NS\":[\"3\"]}},\"ReturnValues\":\"ALL_NEW\"}",
		200,
		"{\"Attributes\":{\"id\":{\"S\":\"c\"},\"n\":{\"N\":\"1\"},\"l\":{\"L\":[]},"
		"\"s\":{\"NS\":[\"3\"]}}}");
	ddbtest_expect(f->s, "UpdateItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		       "\"UpdateExpression\":\"SET n = n + :d REMOVE l\","
		       "\"ExpressionAttributeValues\":{\":d\":{\"N\":\"0.25\"}},"
		       "\"ReturnValues\":\"UPDATED_OLD\"}",
		       200, "{\"Attributes\":{\"n\":{\"N\":\"1\"},\"l\":{\"L\":[]}}}");
	ddbtest_expect(f->s, "UpdateItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		       "\"UpdateExpression\":\"SET n = n - :d\",\"ConditionExpression\":\"n > :d\","
		       "\"ExpressionAttributeValues\":{\":d\":{\"N\":\"0.25\"}},"
		       "\"ReturnValues\":\"UPDATED_NEW\"}",
		       200, "{\"Attributes\":{\"n\":{\"N\":\"1\"}}}");
	ddbtest_expect(
		f->s, "UpdateItem",
		"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		"\"UpdateExpression\":\"SET n = :d\",\"ConditionExpression\":\"n > :d\","
		"\"ExpressionAttributeValues\":{\":d\":{\"N\":\"5\"}}}",
		400,
		"{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
		"\"message\":\"The conditional request failed\"}");
	ddbtest_expect(f->s, "UpdateItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		       "\"UpdateExpression\":\"SET id = :d\","
		       "\"ExpressionAttributeValues\":{\":d\":{\"S\":\"x\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"One or more parameter values were invalid: "
		       "Cannot update attribute id. This attribute is part of the key\"}");
	ddbtest_expect(f->s, "UpdateItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		       "\"UpdateExpression\":\"SET n = :d\","
		       "\"ExpressionAttributeValues\":{\":d\":{\"N\":\"1\"},\":u\":{\"N\":\"1\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Value provided in ExpressionAttributeValues "
		       "unused in expressions: keys: {:u}\"}");
	ddbtest_expect(f->s, "UpdateItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}},"
		       "\"UpdateExpression\":\"SET n = n +\"}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Invalid UpdateExpression: Syntax error; "
		       "token: \\\"<EOF>\\\", near: \\\"SET n = n +\\\"\"}");
	ddbtest_expect(
		f->s, "GetItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"c\"}}}", 200,
		"{\"Item\":{\"id\":{\"S\":\"c\"},\"n\":{\"N\":\"1\"},\"s\":{\"NS\":[\"3\"]}}}");
}

static void put_range_items(struct ddb_server *s)
{
	char body[256];
	for (int i = 0; i < 6; i++) {
		snprintf(body, sizeof(body),
			 "{\"TableName\":\"Tbl\",\"Item\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"%"
			 "d\"},"
			 "\"v\":{\"N\":\"%d\"}%s}}",
			 i * 5 - 10, i, i % 2 ? ",\"g\":{\"S\":\"odd\"}" : "");
		json_decref(ddbtest_call(s, "PutItem", body, 200));
	}
	json_decref(ddbtest_call(
		s, "PutItem",
		"{\"TableName\":\"Tbl\",\"Item\":{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"0\"}}}",
		200));
}

static void test_query(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	put_range_items(f->s);
	/* sort keys: -10 -5 0 5 10 15 */
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :p AND sk > :a\","
		       "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"5\"}},"
		       "\"ProjectionExpression\":\"v\"}",
		       200,
		       "{\"Items\":[{\"v\":{\"N\":\"4\"}},{\"v\":{\"N\":\"5\"}}],\"Count\":2,"
		       "\"ScannedCount\":2}");
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"sk <= :a AND pk = :p\","
		       "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"-5\"}},"
		       "\"ScanIndexForward\":false,\"ProjectionExpression\":\"v\"}",
		       200,
		       "{\"Items\":[{\"v\":{\"N\":\"1\"}},{\"v\":{\"N\":\"0\"}}],\"Count\":2,"
		       "\"ScannedCount\":2}");
	ddbtest_expect(
		f->s, "Query",
		"{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :p AND sk BETWEEN :a "
		"AND :b\",\"FilterExpression\":\"v <> :two\",\"ExpressionAttributeValues\":"
		"{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"-5\"},\":b\":{\"N\":\"5\"},"
		"\":two\":{\"N\":\"2\"}},\"Limit\":2,\"ProjectionExpression\":\"v\"}",
		200,
		"{\"Items\":[{\"v\":{\"N\":\"1\"}}],\"Count\":1,\"ScannedCount\":2,"
		"\"LastEvaluatedKey\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"0\"}}}");
	ddbtest_expect(
		f->s, "Query",
		"{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :p AND sk BETWEEN :a "
		"AND :b\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},"
		"\":a\":{\"N\":\"-5\"},\":b\":{\"N\":\"5\"}},\"Limit\":2,"
		"\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"0\"}},"
		"\"Select\":\"COUNT\"}",
		200, "{\"Count\":1,\"ScannedCount\":1}");
	/* The KEYS_ONLY index: sparse (only items with g), keys projected. */
	ddbtest_expect(
		f->s, "Query",
		"{\"TableName\":\"Tbl\",\"IndexName\":\"Gix\",\"KeyConditionExpression\":\"g = "
		":g\","
		"\"ExpressionAttributeValues\":{\":g\":{\"S\":\"odd\"}},\"Limit\":2}",
		200,
		"{\"Items\":[{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"-5\"},\"g\":{\"S\":\"odd\"}},"
		"{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"5\"},\"g\":{\"S\":\"odd\"}}],\"Count\":2,"
		"\"ScannedCount\":2,\"LastEvaluatedKey\":{\"pk\":{\"S\":\"p\"},"
		"\"sk\":{\"N\":\"5\"},\"g\":{\"S\":\"odd\"}}}");
	ddbtest_expect(
		f->s, "Query",
		"{\"TableName\":\"Tbl\",\"IndexName\":\"Gix\",\"KeyConditionExpression\":\"g = "
		":g\","
		"\"ExpressionAttributeValues\":{\":g\":{\"S\":\"odd\"}},\"ExclusiveStartKey\":"
		"{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"5\"},\"g\":{\"S\":\"odd\"}}}",
		200,
		"{\"Items\":[{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"15\"},\"g\":{\"S\":\"odd\"}}],"
		"\"Count\":1,\"ScannedCount\":1}");
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"sk = :a\","
		       "\"ExpressionAttributeValues\":{\":a\":{\"N\":\"5\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Query condition missed key schema element: "
		       "pk\"}");
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :a\","
		       "\"ExpressionAttributeValues\":{\":a\":{\"N\":\"5\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"One or more parameter values were invalid: "
		       "Condition parameter type does not match schema type\"}");
	ddbtest_expect_error(
		f->s, "Query",
		"{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :p OR sk = :a\","
		"\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"5\"}}}",
		DDBTEST_VE);
	ddbtest_expect_error(f->s, "Query",
			     "{\"TableName\":\"Tbl\",\"IndexName\":\"nope\","
			     "\"KeyConditionExpression\":\"pk = :p\","
			     "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}",
			     DDBTEST_VE);
	ddbtest_expect_error(f->s, "Query", "{\"TableName\":\"Tbl\"}", DDBTEST_VE);
	ddbtest_expect(f->s, "Query",
		       "{\"TableName\":\"Tbl\",\"KeyConditionExpression\":\"pk = :p\","
		       "\"FilterExpression\":\"v > :a OR sk = :a\",\"ExpressionAttributeValues\":"
		       "{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"5\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Filter Expression can only contain "
		       "non-primary key attributes: Primary key attribute: sk\"}");
}

static void test_scan(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	put_range_items(f->s);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Tbl\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":7,\"ScannedCount\":7}");
	ddbtest_expect(f->s, "Scan",
		       "{\"TableName\":\"Tbl\",\"FilterExpression\":\"v >= :four\","
		       "\"ExpressionAttributeValues\":{\":four\":{\"N\":\"4\"}},"
		       "\"ProjectionExpression\":\"v\"}",
		       200,
		       "{\"Items\":[{\"v\":{\"N\":\"4\"}},{\"v\":{\"N\":\"5\"}}],\"Count\":2,"
		       "\"ScannedCount\":7}");
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Tbl\",\"Limit\":6,\"Select\":\"COUNT\"}",
		       200,
		       "{\"Count\":6,\"ScannedCount\":6,\"LastEvaluatedKey\":{\"pk\":{\"S\":\"p\"},"
		       "\"sk\":{\"N\":\"15\"}}}");
	ddbtest_expect(f->s, "Scan",
		       "{\"TableName\":\"Tbl\",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"},"
		       "\"sk\":{\"N\":\"15\"}}}",
		       200,
		       "{\"Items\":[{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"0\"}}],\"Count\":1,"
		       "\"ScannedCount\":1}");
	ddbtest_expect_error(f->s, "Scan", "{\"TableName\":\"Tbl\",\"Limit\":0}", DDBTEST_VE);
	ddbtest_expect_error(f->s, "Scan", "{\"TableName\":\"Tbl\",\"ScanFilter\":{}}", DDBTEST_VE);
}

static void test_batches(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	ddbtest_expect(
		f->s, "BatchWriteItem",
		"{\"RequestItems\":{\"Hsh\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"1\"}}}},"
		"{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"2\"}}}}]}}",
		200, "{\"UnprocessedItems\":{}}");
	ddbtest_expect(
		f->s, "BatchWriteItem",
		"{\"RequestItems\":{\"Hsh\":[{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"1\"}}}}]}"
		"}",
		200, "{\"UnprocessedItems\":{}}");
	ddbtest_expect(f->s, "BatchGetItem",
		       "{\"RequestItems\":{\"Hsh\":{\"Keys\":[{\"id\":{\"S\":\"1\"}},{\"id\":{"
		       "\"S\":\"2\"}}"
		       "]}}}",
		       200,
		       "{\"Responses\":{\"Hsh\":[{\"id\":{\"S\":\"2\"}}]},\"UnprocessedKeys\":{}}");
	ddbtest_expect(
		f->s, "BatchWriteItem",
		"{\"RequestItems\":{\"Hsh\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"3\"}}}},"
		"{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"3\"}}}}]}}",
		400,
		"{\"__type\":\"" DDBTEST_VE "\",\"message\":\"Provided list of item keys contains "
		"duplicates\"}");
	/* A rejected batch writes nothing. */
	ddbtest_expect_error(
		f->s, "BatchWriteItem",
		"{\"RequestItems\":{\"Hsh\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"4\"}}}},"
		"{\"PutRequest\":{\"Item\":{\"id\":{\"N\":\"5\"}}}}]}}",
		DDBTEST_VE);
	ddbtest_expect(f->s, "GetItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"4\"}}}",
		       200, "{}");
}

static const char *txn_ok = "{\"ClientRequestToken\":\"tok\",\"TransactItems\":["
			    "{\"Put\":{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"m1\"}},"
			    "\"ConditionExpression\":\"attribute_not_exists(id)\"}},"
			    "{\"Update\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"count\"}},"
			    "\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":"
			    "{\":one\":{\"N\":\"1\"}}}}]}";

static void test_transactions(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	ddbtest_expect(f->s, "TransactWriteItems", txn_ok, 200, "{}");
	ddbtest_expect(f->s, "TransactWriteItems", txn_ok, 200,
		       "{}"); /* same token: applied once */
	ddbtest_expect(f->s, "GetItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"count\"}}}", 200,
		       "{\"Item\":{\"id\":{\"S\":\"count\"},\"n\":{\"N\":\"1\"}}}");
	ddbtest_expect_error(
		f->s, "TransactWriteItems",
		"{\"ClientRequestToken\":\"tok\",\"TransactItems\":[{\"ConditionCheck\":"
		"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"m1\"}},"
		"\"ConditionExpression\":\"attribute_exists(id)\"}}]}",
		"com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException");
	/* A failing condition cancels everything, with one reason per action. */
	ddbtest_expect(
		f->s, "TransactWriteItems",
		"{\"TransactItems\":[{\"Update\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":"
		"\"count\"}},\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":"
		"{\":one\":{\"N\":\"1\"}}}},{\"Put\":{\"TableName\":\"Hsh\",\"Item\":{\"id\":{"
		"\"S\":"
		"\"m1\"},\"x\":{\"S\":\"y\"}},\"ConditionExpression\":\"attribute_not_exists(id)\","
		"\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}}]}",
		400,
		"{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\","
		"\"message\":\"Transaction cancelled, please refer cancellation reasons for "
		"specific reasons [None, ConditionalCheckFailed]\",\"CancellationReasons\":["
		"{\"Code\":\"None\"},{\"Code\":\"ConditionalCheckFailed\",\"Message\":\"The "
		"conditional request failed\",\"Item\":{\"id\":{\"S\":\"m1\"}}}]}");
	ddbtest_expect(
		f->s, "TransactGetItems",
		"{\"TransactItems\":[{\"Get\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":"
		"\"count\"}}}},{\"Get\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"none\"}}}}]"
		"}",
		200,
		"{\"Responses\":[{\"Item\":{\"id\":{\"S\":\"count\"},\"n\":{\"N\":\"1\"}}},{}]}");
	ddbtest_expect(f->s, "TransactWriteItems",
		       "{\"TransactItems\":[{\"Put\":{\"TableName\":\"Hsh\",\"Item\":{\"id\":{"
		       "\"S\":\"d\"}}"
		       "}},"
		       "{\"Delete\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"d\"}}}}]}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE
		       "\",\"message\":\"Transaction request cannot include multiple "
		       "operations on one item\"}");
	ddbtest_expect_error(f->s, "TransactWriteItems", "{\"TransactItems\":[]}", DDBTEST_VE);
}

static void test_persistence(void **state)
{
	struct ddbtest *f = *state;
	create_tables(f->s);
	json_decref(ddbtest_call(f->s, "PutItem",
				 "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"k\"}}}", 200));
	ddb_server_free(f->s);
	assert_int_equal(ddb_server_new(f->path, &f->s), 0);
	ddbtest_expect(f->s, "GetItem", "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"k\"}}}",
		       200, "{\"Item\":{\"id\":{\"S\":\"k\"}}}");
	/* Template tables: creating an existing one keeps its data. */
	json_t *spec = json_loads("{\"TableName\":\"Hsh\",\"BillingMode\":\"PAY_PER_REQUEST\","
				  "\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
				  "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":"
				  "\"id\",\"KeyType\":\"HASH\"}]}",
				  0, NULL);
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), 0);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Hsh\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":1,\"ScannedCount\":1}");
	json_object_set_new(spec, "TableName", json_string("New"));
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), 0);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"New\"}", 200,
		       "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	json_object_set_new(spec, "TableName", json_string("x"));
	assert_int_equal(ddb_server_create_table_from_spec(f->s, spec), ERR_INVAL);
	json_decref(spec);
	struct ddb_server *none = f->s;
	assert_int_equal(ddb_server_new(NULL, &none), ERR_INVAL);
	assert_null(none);
}

struct answers {
	int n;
	int status[8];
};

static void on_answer(void *arg, int status, const struct buf *resp)
{
	struct answers *a = arg;
	if (a->n < 8)
		a->status[a->n] = status;
	a->n++;
}

static void test_group_commit(void **state)
{
	struct ddbtest *f = *state;
	struct answers a = {0};
	const char *put = "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"g1\"}}}";
	const char *put2 = "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"g2\"}},"
			   "\"ConditionExpression\":\"attribute_exists(id)\"}";
	const char *put3 = "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"g3\"}}}";
	create_tables(f->s);
	/* Without an event base: answered at once. */
	ddb_server_submit(f->s, "PutItem", put, strlen(put), on_answer, &a);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.status[0], 200);

	struct event_base *base = event_base_new();
	assert_non_null(base);
	assert_int_equal(ddb_server_use_event_base(f->s, base), 0);
	a.n = 0;
	ddb_server_submit(f->s, "PutItem", put3, strlen(put3), on_answer, &a);
	ddb_server_submit(f->s, "PutItem", put2, strlen(put2), on_answer, &a);
	const char *get = "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"g3\"}}}";
	ddb_server_submit(f->s, "GetItem", get, strlen(get), on_answer, &a);
	assert_int_equal(a.n, 0); /* nothing answered before the commit */
	event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.status[0], 200);
	assert_int_equal(a.status[1], 400); /* its condition failed: only it rolled back */
	assert_int_equal(a.status[2], 200);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Hsh\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":2,\"ScannedCount\":2}");
	/* Pending answers are delivered by ddb_server_free() too. */
	a.n = 0;
	ddb_server_submit(f->s, "PutItem", put, strlen(put), on_answer, &a);
	ddb_server_free(f->s);
	assert_int_equal(a.n, 1);
	assert_int_equal(ddb_server_new(f->path, &f->s), 0);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Hsh\",\"Select\":\"COUNT\"}", 200,
		       "{\"Count\":2,\"ScannedCount\":2}");
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get_delete, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_item_size, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_update, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_query, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_scan, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_batches, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_transactions, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_persistence, ddbtest_setup, ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, ddbtest_setup, ddbtest_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
