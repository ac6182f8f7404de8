/*
 * Unit tests for the front of the local DynamoDB (src/local/dynamodb/
 * ddb_server.c): dispatch by X-Amz-Target, and the error convention end to
 * end. Every class of the client's mistakes gets its exact __type and
 * message with 400; every failure of ours (a corrupt table description, a
 * SQLite statement or commit that fails, an allocation that fails, an
 * answer too large for its buffer) gets exactly InternalServerError with
 * 500, and leaves nothing written. SQLite failures are injected by
 * interposing sqlite3_step() and sqlite3_exec(); allocation failures
 * through jansson's allocator hooks.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <sqlite3.h>

#include <event2/event.h>

#include "apptest.h"
#include "core/buf.h"
#include "ddbtest.h"
#include "local/dynamodb/ddb_int.h"
#include "local/dynamodb/ddb_server.h"

#define PUT_A "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}}}"
#define GET_A "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}}}"

/* ----- SQLite failures on demand ------------------------------------------------- */

/* Statements whose SQL starts with this fail with SQLITE_IOERR; NULL: none. */
static const char *fail_sql;

int sqlite3_step(sqlite3_stmt *stmt)
{
	static int (*real)(sqlite3_stmt *);
	const char *sql = sqlite3_sql(stmt);
	if (fail_sql && sql && !strncmp(sql, fail_sql, strlen(fail_sql)))
		return SQLITE_IOERR;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_step");
	return real(stmt);
}

int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *arg,
		 char **errmsg)
{
	static int (*real)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
			   char **);
	if (fail_sql && sql && !strncmp(sql, fail_sql, strlen(fail_sql)))
		return SQLITE_IOERR;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_exec");
	return real(db, sql, cb, arg, errmsg);
}

/* ----- allocation failures on demand ---------------------------------------------- */

/* jansson allocations left before they fail; -1: no limit. */
static long allocs_left = -1;

static void *failing_malloc(size_t n)
{
	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	return malloc(n);
}

/* ----- helpers --------------------------------------------------------------------- */

static void create_hsh(struct ddb_server *s)
{
	json_decref(ddbtest_call(
		s, "CreateTable",
		"{\"TableName\":\"Hsh\",\"BillingMode\":\"PAY_PER_REQUEST\","
		"\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
		"\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
		"\"GlobalSecondaryIndexes\":[{\"IndexName\":\"ByG\",\"KeySchema\":"
		"[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
		"\"Projection\":{\"ProjectionType\":\"INCLUDE\",\"NonKeyAttributes\":[\"v\"]}}]}",
		200));
}

/* Call `op` with the response buffer capped at `cap`: status and body. */
static int call_capped(struct ddb_server *s, const char *op, const char *body, size_t cap,
		       struct buf *out)
{
	int status = 0;
	buf_init(out, cap);
	ddb_server_handle(s, op, body, strlen(body), &status, out);
	return status;
}

/* ----- the client's mistakes ------------------------------------------------------- */

static void test_error_kinds(void **state)
{
	static const struct {
		enum ddb_err_kind kind;
		const char *type;
		int err;
	} want[] = {
		{DDB_E_VALIDATION, "ValidationException", ERR_INVAL},
		{DDB_E_SERIALIZATION, "SerializationException", ERR_PARSE},
		{DDB_E_UNKNOWN_OPERATION, "UnknownOperationException", ERR_UNSUPPORTED},
		{DDB_E_NOT_FOUND, "ResourceNotFoundException", ERR_NOTFOUND},
		{DDB_E_IN_USE, "ResourceInUseException", ERR_EXISTS},
		{DDB_E_CONDITION, "ConditionalCheckFailedException", ERR_PRECONDITION},
		{DDB_E_CANCELED, "TransactionCanceledException", ERR_PRECONDITION},
		{DDB_E_IDEMPOTENCY, "IdempotentParameterMismatchException", ERR_EXISTS},
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct ddb_err e = {0};
		char msg[16];
		snprintf(msg, sizeof(msg), "n=%zu", i);
		assert_int_equal(ddb_fail(&e, want[i].kind, "n=%zu", i), want[i].err);
		assert_string_equal(e.type, want[i].type);
		assert_string_equal(e.msg, msg);
	}
	struct ddb_err e = {0};
	assert_int_equal(ddb_invalid(&e, "bad %s", "thing"), ERR_INVAL);
	assert_string_equal(e.type, "ValidationException");
	assert_string_equal(e.msg, "bad thing");
	assert_int_equal(ddb_wrong_type(&e), ERR_PARSE);
	assert_string_equal(e.type, "SerializationException");
	assert_string_equal(e.msg, "Unexpected value type in payload");
	/* Messages are cut, never overflow. */
	char big[2 * DDB_ERR_MSG];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ddb_invalid(&e, "%s", big), ERR_INVAL);
	assert_int_equal(strlen(e.msg), DDB_ERR_MSG - 1);
}

static void test_dispatch_errors(void **state)
{
	struct ddbtest *f = *state;
	ddbtest_expect(f->s, "Frobnicate", "{}", 400,
		       "{\"__type\":\"" DDBTEST_CORAL "UnknownOperationException\","
		       "\"message\":\"\"}");
	ddbtest_expect(f->s, "DynamoDB_20120810.UpdateTable", "{}", 400,
		       "{\"__type\":\"" DDBTEST_VE "\",\"message\":\"The operation UpdateTable is "
		       "not supported by the local DynamoDB endpoint\"}");
	ddbtest_expect(f->s, "DynamoDB_20120810.ListTables", "{}", 200, "{\"TableNames\":[]}");
	ddbtest_expect(f->s, "GetItem", "{bad", 400,
		       "{\"__type\":\"" DDBTEST_CORAL "SerializationException\",\"message\":"
		       "\"Start of structure or map found where not expected\"}");
	ddbtest_expect_error(f->s, "GetItem", "[1]", DDBTEST_CORAL "SerializationException");
	ddbtest_expect(f->s, "GetItem", "{\"TableName\":1,\"Key\":{}}", 400,
		       "{\"__type\":\"" DDBTEST_VE "\",\"message\":\"1 validation error detected: "
		       "Value null at 'tableName' failed to satisfy constraint: Member must not "
		       "be null\"}");

	/* No target, no body; a body over DynamoDB's 16 MB (never read). */
	int status = 0;
	struct buf out;
	buf_init(&out, DDB_MAX_ANSWER);
	ddb_server_handle(f->s, NULL, NULL, 0, &status, &out);
	assert_int_equal(status, 400);
	assert_string_equal(out.ptr, "{\"__type\":\"" DDBTEST_CORAL "UnknownOperationException\","
				     "\"message\":\"\"}");
	buf_reset(&out);
	ddb_server_handle(f->s, "GetItem", "{}", DDB_MAX_REQUEST + 1, &status, &out);
	assert_int_equal(status, 400);
	assert_string_equal(out.ptr, "{\"__type\":\"" DDBTEST_CORAL "SerializationException\","
				     "\"message\":\"Request body is too large\"}");
	buf_release(&out);
}

static void test_operation_errors(void **state)
{
	struct ddbtest *f = *state;
	ddbtest_expect(f->s, "GetItem", GET_A, 400,
		       "{\"__type\":\"" DDBTEST_RNF "\",\"message\":\"Requested resource not "
		       "found\"}");
	create_hsh(f->s);
	json_decref(ddbtest_call(f->s, "PutItem", PUT_A, 200));
	ddbtest_expect(f->s, "PutItem",
		       "{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"}},"
		       "\"ConditionExpression\":\"attribute_not_exists(id)\","
		       "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}",
		       400,
		       "{\"__type\":\"" DDBTEST_PREFIX "ConditionalCheckFailedException\","
		       "\"message\":\"The conditional request failed\","
		       "\"Item\":{\"id\":{\"S\":\"a\"}}}");
	ddbtest_expect(
		f->s, "TransactWriteItems",
		"{\"TransactItems\":[{\"ConditionCheck\":{\"TableName\":\"Hsh\",\"Key\":{\"id\":"
		"{\"S\":\"a\"}},\"ConditionExpression\":\"attribute_not_exists(id)\"}},"
		"{\"Put\":{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"b\"}}}}]}",
		400,
		"{\"__type\":\"" DDBTEST_PREFIX "TransactionCanceledException\",\"message\":"
		"\"Transaction cancelled, please refer cancellation reasons for specific reasons "
		"[ConditionalCheckFailed, None]\",\"CancellationReasons\":[{\"Code\":"
		"\"ConditionalCheckFailed\",\"Message\":\"The conditional request failed\"},"
		"{\"Code\":\"None\"}]}");
	const char *txn = "{\"ClientRequestToken\":\"tok\",\"TransactItems\":[{\"Put\":{"
			  "\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"c\"}}}}]}";
	ddbtest_expect(f->s, "TransactWriteItems", txn, 200, "{}");
	ddbtest_expect(f->s, "TransactWriteItems", txn, 200, "{}"); /* the same: idempotent */
	ddbtest_expect(f->s, "TransactWriteItems",
		       "{\"ClientRequestToken\":\"tok\",\"TransactItems\":[{\"Put\":{"
		       "\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"d\"}}}}]}",
		       400,
		       "{\"__type\":\"" DDBTEST_PREFIX "IdempotentParameterMismatchException\","
		       "\"message\":\"Request token has been used with different parameters\"}");
	ddbtest_expect(f->s, "GetItem",
		       "{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}},"
		       "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"1\"}}}",
		       400,
		       "{\"__type\":\"" DDBTEST_VE "\",\"message\":\"Value provided in "
		       "ExpressionAttributeValues unused in expressions: keys: {:v}\"}");
}

/* ----- our failures -------------------------------------------------------------------- */

static void test_corrupt_table(void **state)
{
	struct ddbtest *f = *state;
	json_t *bad = json_pack("{s:s}", "TableName", "Hsh"); /* no KeySchema */
	assert_int_equal(ddb_store_table_put(f->s->st, "Hsh", bad), 0);
	json_decref(bad);
	ddbtest_expect(f->s, "GetItem", GET_A, 500, DDBTEST_INTERNAL);
	ddbtest_expect(f->s, "PutItem", PUT_A, 500, DDBTEST_INTERNAL);
	ddbtest_expect(f->s, "DescribeTable", "{\"TableName\":\"Hsh\"}", 500, DDBTEST_INTERNAL);
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Hsh\"}", 500, DDBTEST_INTERNAL);
}

static void test_write_failure(void **state)
{
	struct ddbtest *f = *state;
	FILE *log;
	char *text;
	size_t len;
	create_hsh(f->s);
	apptest_logs_capture(&log, &text, &len);
	fail_sql = "INSERT OR REPLACE INTO ddb_items";
	ddbtest_expect(f->s, "PutItem", PUT_A, 500, DDBTEST_INTERNAL);
	ddbtest_expect(f->s, "TransactWriteItems",
		       "{\"TransactItems\":[{\"Put\":{\"TableName\":\"Hsh\",\"Item\":"
		       "{\"id\":{\"S\":\"t\"}}}}]}",
		       500, DDBTEST_INTERNAL);
	fail_sql = "INSERT OR REPLACE INTO ddb_index"; /* the item row is written first */
	ddbtest_expect(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"i\"},\"g\":{\"S\":\"x\"}}}", 500,
		DDBTEST_INTERNAL);
	fail_sql = NULL;
	fflush(log);
	assert_non_null(strstr(text, "dynamodb: PutItem: internal error: input/output error"));
	apptest_logs_release(log, &text);
	/* Nothing of the failed writes was kept. */
	ddbtest_expect(f->s, "Scan", "{\"TableName\":\"Hsh\"}", 200,
		       "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	ddbtest_expect(f->s, "PutItem", PUT_A, 200, "{}");
}

struct answer {
	int n;
	int status[4];
	char body[4][256];
};

static void on_answer(void *arg, int status, const struct buf *resp)
{
	struct answer *a = arg;
	if (a->n < 4) {
		a->status[a->n] = status;
		snprintf(a->body[a->n], sizeof(a->body[0]), "%s", resp->ptr);
	}
	a->n++;
}

static void test_group_commit_failure(void **state)
{
	struct ddbtest *f = *state;
	struct event_base *base = event_base_new();
	struct answer a = {0};
	FILE *log;
	char *text;
	size_t len;
	create_hsh(f->s);
	assert_int_equal(ddb_server_use_event_base(f->s, base), 0);
	ddb_server_submit(f->s, "PutItem", PUT_A, strlen(PUT_A), on_answer, &a);
	ddb_server_submit(f->s, "GetItem", GET_A, strlen(GET_A), on_answer, &a);
	assert_int_equal(a.n, 0);
	apptest_logs_capture(&log, &text, &len);
	fail_sql = "COMMIT";
	event_base_loop(base, EVLOOP_ONCE);
	fail_sql = NULL;
	apptest_logs_release(log, &text);
	/* The whole group was rolled back: no answer may say otherwise. */
	assert_int_equal(a.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a.status[i], 500);
		assert_string_equal(a.body[i], DDBTEST_INTERNAL);
	}
	ddbtest_expect(f->s, "GetItem", GET_A, 200, "{}");
	ddb_server_free(f->s);
	f->s = NULL;
	event_base_free(base);
	assert_int_equal(ddb_server_new(f->path, &f->s), 0);
}

static void test_answer_too_large(void **state)
{
	struct ddbtest *f = *state;
	struct buf out;
	create_hsh(f->s);
	/* The description does not fit, InternalServerError does. */
	assert_int_equal(call_capped(f->s, "DescribeTable", "{\"TableName\":\"Hsh\"}",
				     strlen(DDBTEST_INTERNAL), &out),
			 500);
	assert_string_equal(out.ptr, DDBTEST_INTERNAL);
	buf_release(&out);
	/* Not even that fits: 500 and nothing appended, never part of an answer. */
	assert_int_equal(call_capped(f->s, "DescribeTable", "{\"TableName\":\"Hsh\"}", 16, &out),
			 500);
	assert_string_equal(out.ptr, "");
	buf_release(&out);
	/* A client error too long for the buffer is ours as well. */
	assert_int_equal(call_capped(f->s, "GetItem", "{}", 40, &out), 500);
	assert_string_equal(out.ptr, "");
	buf_release(&out);
}

/*
 * Fail the n-th jansson allocation of one call, for every n until the call
 * succeeds: each answer is then the right one or exactly InternalServerError,
 * never a partial answer or a client error. Returns how many failed.
 */
static int fail_each_allocation(struct ddb_server *s, const char *op, const char *body,
				int want_status, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	int failed = 0;
	assert_non_null(w);
	for (long n = 0;; n++) {
		struct buf out;
		int status = 0;
		buf_init(&out, DDB_MAX_ANSWER);
		json_set_alloc_funcs(failing_malloc, free);
		allocs_left = n;
		ddb_server_handle(s, op, body, strlen(body), &status, &out);
		bool exhausted = allocs_left == 0;
		allocs_left = -1;
		json_set_alloc_funcs(malloc, free);
		json_t *got = json_loads(out.ptr, 0, NULL);
		if (status == 500 && !strcmp(out.ptr, DDBTEST_INTERNAL)) {
			failed++;
		} else if (status != want_status || !json_equal(got, w)) {
			fail_msg("%s after %ld allocations: %d %s", op, n, status, out.ptr);
		} else if (!exhausted) {
			json_decref(got);
			buf_release(&out);
			break; /* every allocation succeeded */
		}
		json_decref(got);
		buf_release(&out);
	}
	json_decref(w);
	return failed;
}

static void test_out_of_memory(void **state)
{
	struct ddbtest *f = *state;
	FILE *log;
	char *text;
	size_t len;
	create_hsh(f->s);
	json_decref(ddbtest_call(
		f->s, "PutItem",
		"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"g\":{\"S\":\"x\"},"
		"\"v\":{\"L\":[{\"N\":\"1\"}]},\"w\":{\"SS\":[\"p\",\"q\"]}}}",
		200));
	apptest_logs_capture(&log, &text, &len);
	assert_true(
		fail_each_allocation(
			f->s, "PutItem",
			"{\"TableName\":\"Hsh\",\"Item\":{\"id\":{\"S\":\"a\"},\"g\":{\"S\":"
			"\"x\"},\"v\":{\"L\":[{\"N\":\"1\"}]},\"w\":{\"SS\":[\"p\",\"q\"]}},"
			"\"ConditionExpression\":\"size(w) = :two\",\"ExpressionAttributeValues"
			"\":{\":two\":{\"N\":\"2\"}},\"ReturnValues\":\"ALL_OLD\"}",
			200,
			"{\"Attributes\":{\"id\":{\"S\":\"a\"},\"g\":{\"S\":\"x\"},\"v\":{\"L\":"
			"[{\"N\":\"1\"}]},\"w\":{\"SS\":[\"p\",\"q\"]}}}") > 0);
	assert_true(
		fail_each_allocation(
			f->s, "UpdateItem",
			"{\"TableName\":\"Hsh\",\"Key\":{\"id\":{\"S\":\"a\"}},\"UpdateExpression"
			"\":\"SET v = list_append(:l, :l) ADD w :s\",\"ExpressionAttributeValues"
			"\":{\":l\":{\"L\":[{\"N\":\"1\"}]},\":s\":{\"SS\":[\"q\"]}},"
			"\"ReturnValues\":\"UPDATED_NEW\"}",
			200,
			"{\"Attributes\":{\"v\":{\"L\":[{\"N\":\"1\"},{\"N\":\"1\"}]},"
			"\"w\":{\"SS\":[\"p\",\"q\"]}}}") > 0);
	assert_true(
		fail_each_allocation(
			f->s, "Query",
			"{\"TableName\":\"Hsh\",\"IndexName\":\"ByG\",\"KeyConditionExpression\":"
			"\"g = :g\",\"ExpressionAttributeValues\":{\":g\":{\"S\":\"x\"}},"
			"\"ProjectionExpression\":\"v[1], id\",\"Limit\":1}",
			200,
			"{\"Items\":[{\"id\":{\"S\":\"a\"},\"v\":{\"L\":[{\"N\":\"1\"}]}}],"
			"\"Count\":1,\"ScannedCount\":1,\"LastEvaluatedKey\":{\"id\":{\"S\":\"a\"},"
			"\"g\":{\"S\":\"x\"}}}") > 0);
	assert_true(
		fail_each_allocation(
			f->s, "TransactWriteItems",
			"{\"TransactItems\":[{\"ConditionCheck\":{\"TableName\":\"Hsh\",\"Key\":"
			"{\"id\":{\"S\":\"a\"}},\"ConditionExpression\":\"attribute_not_exists(v)"
			"\",\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}}]}",
			400,
			"{\"__type\":\"" DDBTEST_PREFIX "TransactionCanceledException\","
			"\"message\":\"Transaction cancelled, please refer cancellation reasons "
			"for specific reasons [ConditionalCheckFailed]\",\"CancellationReasons\":"
			"[{\"Code\":\"ConditionalCheckFailed\",\"Message\":\"The conditional "
			"request failed\",\"Item\":{\"id\":{\"S\":\"a\"},\"g\":{\"S\":\"x\"},"
			"\"v\":{\"L\":[{\"N\":\"1\"},{\"N\":\"1\"}]},\"w\":{\"SS\":[\"p\",\"q\"]}}}"
			"]}") > 0);
	assert_true(fail_each_allocation(f->s, "ListTables", "{\"Limit\":1}", 200,
					 "{\"TableNames\":[\"Hsh\"]}") > 0);
	apptest_logs_release(log, &text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_kinds),
		cmocka_unit_test_setup_teardown(test_dispatch_errors, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_operation_errors, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_table, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_failure, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_answer_too_large, ddbtest_setup,
						ddbtest_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, ddbtest_setup,
						ddbtest_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
