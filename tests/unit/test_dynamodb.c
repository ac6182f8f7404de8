/*
 * aws/dynamodb.c against a scripted server thread on 127.0.0.1: the exact
 * request (POST /, X-Amz-Target, Content-Type, body) and its SigV4 signature
 * (verified with sigv4_verify()), the helpers' request shapes, error mapping
 * from __type and message, retries (which errors, how many, the same body
 * each time), the deadline, transport errors and the endpoint variables.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/dynamodb.h"
#include "aws/sigv4.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "script_server.h"

#define MAX_SCRIPT 8
#define HANG	   SCRIPT_HANG
#define AKID	   "AKIDEXAMPLE"
#define SECRET	   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static FILE *quiet; /* the log output between tests: the retry warnings go nowhere */

/* An HTTP answer with a JSON body (NULL: none) and the request id header. */
static char *answer(int status, const char *body)
{
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	assert_int_equal(buf_addf(&b,
				  "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.0\r\n"
				  "x-amzn-RequestId: RID%d\r\nContent-Length: %zu\r\n\r\n%s",
				  status, status, body ? strlen(body) : 0, body ? body : ""),
			 0);
	return buf_detach(&b, NULL);
}

/* An error answer of type `type` (without the namespace) and a "message". */
static char *error_answer(int status, const char *type, const char *message)
{
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"__type\":\"com.amazonaws.dynamodb.v20120810#%s\",\"message\":\"%s\"}", type,
		 message);
	return answer(status, body);
}

/* Fixture: a server (script filled by the test before client()) and a client on it. */
struct fixture {
	struct script_server srv;
	char *answers[MAX_SCRIPT]; /* the script (heap strings; HANG is NULL) */
	size_t n_answers;
	struct ddb_client *c;
};

/* Start the server on the answers scripted so far. */
static void server_start(struct fixture *f)
{
	script_server_start(&f->srv, (const char *const *)f->answers, f->n_answers);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ddb_client_free(f->c);
	script_server_stop(&f->srv);
	for (size_t i = 0; i < f->n_answers; i++)
		free(f->answers[i]);
	free(f);
	return 0;
}

static void script(struct fixture *f, char *a)
{
	assert_true(f->n_answers < MAX_SCRIPT);
	f->answers[f->n_answers++] = a;
}

static void client(struct fixture *f)
{
	char ep[64];
	struct aws_config cfg = {.access_key_id = AKID,
				 .secret_access_key = SECRET,
				 .region = "eu-west-1",
				 .dynamodb_endpoint = ep};

	server_start(f);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", (unsigned)f->srv.port);
	assert_int_equal(ddb_client_new_with_config(&f->c, &cfg), 0);
}

static const char *lookup(void *ctx, struct str id)
{
	return str_eq_cstr(id, AKID) ? SECRET : NULL;
}

/* Check the last request's line, protocol headers and signature; return its body. */
static const char *check_request(struct fixture *f, const char *op)
{
	struct sigv4_header h[32];
	size_t n = 0;
	char want[128];
	const char *line = strstr(f->srv.last_head, "\r\n") + 2;

	assert_true(strncmp(f->srv.last_head, "POST / HTTP/1.1\r\n", 17) == 0);
	snprintf(want, sizeof(want), "\r\nX-Amz-Target: DynamoDB_20120810.%s\r\n", op);
	assert_non_null(strstr(f->srv.last_head, want));
	assert_non_null(
		strstr(f->srv.last_head, "\r\nContent-Type: application/x-amz-json-1.0\r\n"));
	assert_non_null(strstr(f->srv.last_head, "/eu-west-1/dynamodb/aws4_request, "
						 "SignedHeaders=content-type;host;x-amz-date;"
						 "x-amz-target, Signature="));
	while (*line != '\r' && n < ARRAY_SIZE(h)) {
		const char *colon = strchr(line, ':'), *eol = strstr(line, "\r\n");
		struct str value = str_trim(str_make(colon + 1, (size_t)(eol - colon - 1)));
		h[n++] = (struct sigv4_header){str_make(line, (size_t)(colon - line)), value};
		line = eol + 2;
	}
	struct sigv4_request req = {.method = "POST",
				    .path = STR_LIT("/"),
				    .headers = h,
				    .n_headers = n,
				    .body = f->srv.last_body,
				    .body_len = strlen(f->srv.last_body)};
	struct sigv4_verify_params vp = {
		.region = "eu-west-1", .service = "dynamodb", .now = time(NULL), .lookup = lookup};
	struct sigv4_result r;
	sigv4_result_init(&r);
	assert_int_equal(sigv4_verify(&req, &vp, &r), 0);
	assert_string_equal(sigv4_status_name(r.status), "OK");
	sigv4_result_release(&r);
	return f->srv.last_body;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static void test_get_item(void **state)
{
	struct fixture *f = *state;
	struct ddb_error e;
	json_t *key = json_pack("{s:{s:s}}", "pk", "S", "MSG#1"), *item = NULL;

	script(f, answer(200, "{\"Item\":{\"pk\":{\"S\":\"MSG#1\"},\"n\":{\"N\":\"7\"}}}"));
	script(f, answer(200, "{}"));
	client(f);
	assert_int_equal(ddb_get_item(f->c, "t1", key, true, NULL, NULL, 0, &item, &e), 0);
	assert_string_equal(check_request(f, "GetItem"),
			    "{\"TableName\":\"t1\",\"Key\":{\"pk\":{\"S\":\"MSG#1\"}},"
			    "\"ConsistentRead\":true}");
	assert_string_equal(json_string_value(json_object_get(jsonx_obj(item, "n"), "N")), "7");
	assert_int_equal(e.status, 0);
	json_decref(item);

	/* No item: success with NULL. A projection travels with its names. */
	json_t *names = json_pack("{s:s}", "#c", "count");
	assert_int_equal(ddb_get_item(f->c, "t1", key, false, "#c", names, 0, &item, &e), 0);
	assert_null(item);
	assert_string_equal(check_request(f, "GetItem"),
			    "{\"TableName\":\"t1\",\"Key\":{\"pk\":{\"S\":\"MSG#1\"}},"
			    "\"ConsistentRead\":false,\"ProjectionExpression\":\"#c\","
			    "\"ExpressionAttributeNames\":{\"#c\":\"count\"}}");
	json_decref(names);
	json_decref(key);
}

static void test_write_helpers(void **state)
{
	struct fixture *f = *state;
	json_t *key = json_pack("{s:{s:s}}", "pk", "S", "COUNTER");
	json_t *values = json_pack("{s:{s:s}}", ":one", "N", "1");
	json_t *attrs = NULL, *resp = NULL, *desc = NULL;
	struct ddb_expr x = {.condition = "attribute_not_exists(pk)"};

	script(f, answer(200, "{}"));
	script(f, answer(200, "{}"));
	script(f, answer(200, "{\"Attributes\":{\"count\":{\"N\":\"3\"}}}"));
	script(f, answer(200, "{\"Count\":0,\"Items\":[],\"ScannedCount\":0}"));
	script(f, answer(200, "{}"));
	script(f, answer(200, "{\"Table\":{\"TableName\":\"t1\",\"TableStatus\":\"ACTIVE\"}}"));
	script(f, answer(200, "{\"Count\":2}"));
	client(f);

	assert_int_equal(ddb_put_item(f->c, "t1", key, &x, 0, NULL), 0);
	assert_string_equal(check_request(f, "PutItem"),
			    "{\"TableName\":\"t1\",\"Item\":{\"pk\":{\"S\":\"COUNTER\"}},"
			    "\"ConditionExpression\":\"attribute_not_exists(pk)\"}");
	assert_int_equal(ddb_delete_item(f->c, "t1", key, NULL, 0, NULL), 0);
	assert_string_equal(check_request(f, "DeleteItem"),
			    "{\"TableName\":\"t1\",\"Key\":{\"pk\":{\"S\":\"COUNTER\"}}}");
	x = (struct ddb_expr){.values = values};
	assert_int_equal(ddb_update_item(f->c, "t1", key, "ADD n :one", &x, 0, &attrs, NULL), 0);
	assert_string_equal(check_request(f, "UpdateItem"),
			    "{\"TableName\":\"t1\",\"Key\":{\"pk\":{\"S\":\"COUNTER\"}},"
			    "\"UpdateExpression\":\"ADD n :one\",\"ExpressionAttributeValues\":"
			    "{\":one\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_NEW\"}");
	assert_string_equal(json_string_value(json_object_get(jsonx_obj(attrs, "count"), "N")),
			    "3");
	json_decref(attrs);

	json_t *q = json_pack("{s:s,s:o}", "KeyConditionExpression", "pk = :one",
			      "ExpressionAttributeValues", json_incref(values));
	assert_int_equal(ddb_query(f->c, "t1", q, 0, &resp, NULL), 0);
	assert_string_equal(check_request(f, "Query"),
			    "{\"TableName\":\"t1\",\"KeyConditionExpression\":\"pk = :one\","
			    "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}");
	assert_int_equal(json_integer_value(json_object_get(resp, "ScannedCount")), 0);
	json_decref(resp);
	json_decref(q);

	json_t *items =
		json_pack("[{s:{s:s,s:o}}]", "Put", "TableName", "t1", "Item", json_incref(key));
	assert_int_equal(ddb_transact_write_items(f->c, items,
						  "0123456789abcdef0123456789abcdef0123", 0, NULL),
			 0);
	assert_string_equal(check_request(f, "TransactWriteItems"),
			    "{\"TransactItems\":[{\"Put\":{\"TableName\":\"t1\",\"Item\":{\"pk\":"
			    "{\"S\":\"COUNTER\"}}}}],\"ClientRequestToken\":"
			    "\"0123456789abcdef0123456789abcdef0123\"}");
	/* A token longer than DynamoDB takes is refused before sending. */
	assert_int_equal(ddb_transact_write_items(f->c, items,
						  "0123456789abcdef0123456789abcdef01234", 0, NULL),
			 ERR_INVAL);
	json_decref(items);

	assert_int_equal(ddb_describe_table(f->c, "t1", 0, &desc, NULL), 0);
	assert_string_equal(check_request(f, "DescribeTable"), "{\"TableName\":\"t1\"}");
	assert_string_equal(jsonx_str(desc, "TableStatus"), "ACTIVE");
	json_decref(desc);

	json_t *sc = json_pack("{s:s}", "Select", "COUNT");
	assert_int_equal(ddb_scan(f->c, "t1", sc, 0, &resp, NULL), 0);
	assert_string_equal(check_request(f, "Scan"),
			    "{\"TableName\":\"t1\",\"Select\":\"COUNT\"}");
	assert_int_equal(json_integer_value(json_object_get(resp, "Count")), 2);
	json_decref(resp);
	json_decref(sc);

	/* Refused before sending: bad operation names, no table, no key. */
	assert_int_equal(ddb_call(f->c, "Get Item", key, 0, NULL, NULL), ERR_INVAL);
	assert_int_equal(ddb_call(f->c, "", key, 0, NULL, NULL), ERR_INVAL);
	assert_int_equal(ddb_call(f->c, "GetItem", NULL, 0, NULL, NULL), ERR_INVAL);
	assert_int_equal(ddb_put_item(f->c, "", key, NULL, 0, NULL), ERR_INVAL);
	assert_int_equal(ddb_get_item(f->c, "t1", NULL, true, NULL, NULL, 0, &attrs, NULL),
			 ERR_INVAL);
	assert_int_equal(f->srv.served, 7);
	json_decref(values);
	json_decref(key);
}

/* ---- Errors ------------------------------------------------------------------------------ */

static void test_error_mapping(void **state)
{
	struct fixture *f = *state;
	json_t *req = json_pack("{s:s}", "TableName", "t1"), *resp = NULL;
	struct ddb_error e;

	script(f, error_answer(400, "ConditionalCheckFailedException",
			       "The conditional request failed"));
	script(f, answer(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
			      "ResourceNotFoundException\",\"Message\":\"Requested resource not "
			      "found\"}"));
	script(f,
	       answer(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
			   "TransactionCanceledException\",\"Message\":\"Transaction cancelled\","
			   "\"CancellationReasons\":[{\"Code\":\"None\"},{\"Code\":"
			   "\"ConditionalCheckFailed\",\"Message\":\"The conditional request "
			   "failed\"}]}"));
	script(f, error_answer(400, "ValidationException",
			       "One or more parameter values were "
			       "invalid"));
	script(f, error_answer(400, "UnrecognizedClientException", "The security token is bad"));
	script(f, error_answer(400, "IdempotentParameterMismatchException", "token reused"));
	script(f, strdup("HTTP/1.1 413 X\r\nx-amzn-ErrorType: RequestEntityTooLarge:http://x\r\n"
			 "Content-Length: 4\r\n\r\noops"));
	script(f, answer(200, "[1]"));
	client(f);

	assert_int_equal(ddb_call(f->c, "PutItem", req, 0, &resp, &e), ERR_PRECONDITION);
	assert_null(resp);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.type, "ConditionalCheckFailedException");
	assert_string_equal(e.message, "The conditional request failed");
	assert_string_equal(e.request_id, "RID400");
	assert_string_equal(e.reasons, "");

	assert_int_equal(ddb_call(f->c, "GetItem", req, 0, &resp, &e), ERR_NOTFOUND);
	assert_string_equal(e.type, "ResourceNotFoundException");
	assert_string_equal(e.message, "Requested resource not found");

	assert_int_equal(ddb_call(f->c, "TransactWriteItems", req, 0, NULL, &e), ERR_PRECONDITION);
	assert_string_equal(e.type, "TransactionCanceledException");
	assert_string_equal(e.reasons, "None,ConditionalCheckFailed");

	assert_int_equal(ddb_call(f->c, "PutItem", req, 0, NULL, &e), ERR_REMOTE);
	assert_string_equal(e.type, "ValidationException");
	assert_int_equal(ddb_call(f->c, "PutItem", req, 0, NULL, &e), ERR_AUTH);
	assert_int_equal(ddb_call(f->c, "TransactWriteItems", req, 0, NULL, &e), ERR_EXISTS);

	/* No JSON: the type comes from x-amzn-ErrorType, the status decides the code. */
	assert_int_equal(ddb_call(f->c, "PutItem", req, 0, NULL, &e), ERR_REMOTE);
	assert_int_equal(e.status, 413);
	assert_string_equal(e.type, "RequestEntityTooLarge");
	assert_string_equal(e.message, "");

	/* A 200 whose body is not a JSON object. */
	assert_int_equal(ddb_call(f->c, "GetItem", req, 0, &resp, &e), ERR_PARSE);
	assert_null(resp);
	assert_int_equal(f->srv.served, 8); /* none of these was retried */
	json_decref(req);
}

static void test_parse_error(void **state)
{
	struct ddb_error e = {.status = 400};
	const char *b = "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}";

	assert_int_equal(ddb_parse_error(b, strlen(b), &e), ERR_THROTTLED);
	assert_string_equal(e.type, "ThrottlingException"); /* no '#': taken whole */
	assert_string_equal(e.message, "Rate exceeded");
	assert_int_equal(ddb_parse_error("nope", 4, &e), ERR_REMOTE);
	assert_string_equal(e.type, "");
	e.status = 503;
	assert_int_equal(ddb_parse_error("", 0, &e), ERR_REMOTE);
	b = "{\"__type\":\"x#TransactionCanceledException\",\"CancellationReasons\":"
	    "[{\"Code\":\"TransactionConflict\"},{\"Code\":\"None\"}]}";
	e.status = 400;
	assert_int_equal(ddb_parse_error(b, strlen(b), &e), ERR_THROTTLED);
	assert_string_equal(e.reasons, "TransactionConflict,None");
	b = "{\"__type\":\"x#TransactionCanceledException\",\"CancellationReasons\":"
	    "[{\"Code\":\"ValidationError\"}]}";
	assert_int_equal(ddb_parse_error(b, strlen(b), &e), ERR_REMOTE);
}

/* ---- Retries ----------------------------------------------------------------------------- */

static void test_retries_then_success(void **state)
{
	struct fixture *f = *state;
	json_t *items = json_pack("[{s:{s:s,s:{s:{s:s}}}}]", "Put", "TableName", "t1", "Item", "pk",
				  "S", "a");
	struct ddb_error e;

	script(f, error_answer(500, "InternalServerError", "Internal server error"));
	script(f, error_answer(400, "ThrottlingException", "Rate exceeded"));
	script(f, error_answer(400, "ProvisionedThroughputExceededException", "slow down"));
	script(f, answer(400, "{\"__type\":\"x#TransactionCanceledException\",\"Message\":\"c\","
			      "\"CancellationReasons\":[{\"Code\":\"TransactionConflict\"}]}"));
	script(f, answer(200, "{}"));
	client(f);
	assert_int_equal(ddb_transact_write_items(f->c, items, "tok-1", time_now_ms() + 10000, &e),
			 0);
	assert_int_equal(f->srv.served, 5);
	assert_int_equal(e.status, 0);
	assert_string_equal(e.type, "");
	/* Every attempt carried the same body, token included, and a valid signature. */
	assert_string_equal(f->srv.first_body, f->srv.last_body);
	assert_non_null(
		strstr(check_request(f, "TransactWriteItems"), "\"ClientRequestToken\":\"tok-1\""));
	json_decref(items);
}

/*
 * The call's DEBUG line (aws/request.c): the AWS service under its own key,
 * beside Powertools' "service" (the function's), the attempts it took, the
 * service's request id, and nothing of the body.
 */
static void test_call_line(void **state)
{
	struct fixture *f = *state;
	json_t *items = json_pack("[{s:{s:s,s:{s:{s:s}}}}]", "Put", "TableName", "t1", "Item", "pk",
				  "S", "secret-item-value");
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	struct ddb_error e;
	json_t *line;

	assert_non_null(mem);
	script(f, error_answer(500, "InternalServerError", "Internal server error"));
	script(f, answer(200, "{}"));
	client(f);
	log_set_output(mem);
	log_configure(LVL_DEBUG, true);
	log_set_service("sluice", "MessagesFunction");
	assert_int_equal(ddb_transact_write_items(f->c, items, "tok-1", time_now_ms() + 10000, &e),
			 0);
	log_configure(LVL_INFO, true);
	log_set_service(NULL, NULL);
	log_set_output(quiet);
	fclose(mem);
	assert_null(strstr(out, "secret-item-value"));
	/* The last line is the call's (a WARN about the retry comes first). */
	{
		char *last = out + len - 1, *start;
		*last = '\0';
		start = strrchr(out, '\n');
		line = json_loads(start ? start + 1 : out, 0, NULL);
	}
	assert_non_null(line);
	assert_string_equal(json_string_value(json_object_get(line, "message")), "aws call");
	assert_string_equal(json_string_value(json_object_get(line, "awsService")), "dynamodb");
	assert_string_equal(json_string_value(json_object_get(line, "service")), "sluice");
	assert_string_equal(json_string_value(json_object_get(line, "operation")),
			    "TransactWriteItems");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 200);
	assert_int_equal(json_integer_value(json_object_get(line, "attempts")), 2);
	assert_string_equal(json_string_value(json_object_get(line, "awsRequestId")), "RID200");
	json_decref(line);
	json_decref(items);
	free(out);
}

static void test_retries_exhausted(void **state)
{
	struct fixture *f = *state;
	json_t *req = json_pack("{s:s}", "TableName", "t1");
	struct ddb_error e;

	for (int i = 0; i < DDB_MAX_ATTEMPTS + 1; i++)
		script(f, error_answer(400, "RequestLimitExceeded", "Too many requests"));
	client(f);
	assert_int_equal(ddb_call(f->c, "GetItem", req, 0, NULL, &e), ERR_THROTTLED);
	assert_int_equal(f->srv.served, DDB_MAX_ATTEMPTS);
	assert_string_equal(e.type, "RequestLimitExceeded");
	json_decref(req);
}

static void test_deadline(void **state)
{
	struct fixture *f = *state;
	json_t *req = json_pack("{s:s}", "TableName", "t1");
	int64_t t0 = time_now_ms();

	script(f, HANG);
	client(f);
	assert_int_equal(ddb_call(f->c, "GetItem", req, t0 + 300, NULL, NULL), ERR_TIMEOUT);
	assert_true(time_now_ms() - t0 < 2000);
	assert_int_equal(f->srv.served, 1); /* a timeout is not retried */
	/* A deadline already past sends nothing. */
	assert_int_equal(ddb_call(f->c, "GetItem", req, t0 - 1, NULL, NULL), ERR_TIMEOUT);
	json_decref(req);
}

static void test_connection_refused(void **state)
{
	struct fixture *f = *state;
	struct aws_config cfg = {.access_key_id = AKID,
				 .secret_access_key = SECRET,
				 .region = "eu-west-1",
				 .dynamodb_endpoint = "http://127.0.0.1:1"};
	json_t *req = json_pack("{s:s}", "TableName", "t1");
	struct ddb_error e;

	server_start(f); /* only so that teardown has something to stop */
	assert_int_equal(ddb_client_new_with_config(&f->c, &cfg), 0);
	assert_int_equal(ddb_call(f->c, "GetItem", req, time_now_ms() + 5000, NULL, &e), ERR_HTTP);
	assert_int_equal(e.status, 0);
	json_decref(req);
	/* No credentials: no client. */
	struct ddb_client *c = NULL;
	cfg.secret_access_key = NULL;
	assert_int_equal(ddb_client_new_with_config(&c, &cfg), ERR_CONFIG);
	assert_null(c);
}

static void test_endpoint_from_environment(void **state)
{
	struct fixture *f = *state;
	json_t *req = json_pack("{s:s}", "TableName", "t1");
	char ep[64];

	script(f, answer(200, "{}"));
	script(f, answer(200, "{}"));
	server_start(f);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%u", (unsigned)f->srv.port);
	setenv("AWS_ACCESS_KEY_ID", AKID, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	/* The service-specific variable wins over the general one. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", ep, 1);
	assert_int_equal(ddb_client_new(&f->c), 0);
	assert_int_equal(ddb_call(f->c, "DescribeTable", req, 0, NULL, NULL), 0);
	check_request(f, "DescribeTable");
	ddb_client_free(f->c);
	f->c = NULL;
	/* Without it, AWS_ENDPOINT_URL serves. */
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
	setenv("AWS_ENDPOINT_URL", ep, 1);
	assert_int_equal(ddb_client_new(&f->c), 0);
	assert_int_equal(ddb_call(f->c, "DescribeTable", req, 0, NULL, NULL), 0);
	assert_int_equal(f->srv.served, 2);
	unsetenv("AWS_ENDPOINT_URL");
	json_decref(req);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_get_item),
		T(test_write_helpers),
		T(test_error_mapping),
		cmocka_unit_test(test_parse_error),
		T(test_retries_then_success),
		T(test_call_line),
		T(test_retries_exhausted),
		T(test_deadline),
		T(test_connection_refused),
		T(test_endpoint_from_environment),
	};
	int failed;

	quiet = fopen("/dev/null", "w");
	log_set_output(quiet); /* the retry warnings */
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	log_set_output(NULL);
	fclose(quiet);
	return failed;
}
