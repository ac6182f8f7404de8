/*
 * The DynamoDB client (see dynamodb.h). Every operation goes through
 * ddb_call(): serialise the request once, then hand it to aws_request_send()
 * (aws/request.h), which signs each attempt afresh, POSTs it and retries with
 * full jitter as the S3 client does; the error mapping from __type is ours.
 */
#include "core/common.h"

#include "aws/dynamodb.h"
#include "aws/request.h"
#include "core/json.h"
#include "core/str.h"

/* Room for the X-Amz-Target value. */
#define DDB_TARGET_MAX (sizeof(DDB_TARGET_PREFIX) + DDB_MAX_OP_LEN)

static const struct aws_retry ddb_retry = {DDB_MAX_ATTEMPTS, DDB_BACKOFF_BASE_MS,
					   DDB_BACKOFF_CAP_MS};

struct ddb_client {
	struct aws_client aws;
	struct buf url;	 /* the endpoint with the path, "https://dynamodb.../" */
	struct buf host; /* the Host header value */
};

/* A client from `cfg`, or from the environment when `cfg` is NULL. */
static int client_new(struct ddb_client **out, const struct aws_config *cfg)
{
	struct ddb_client *c;
	struct str path;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	buf_init(&c->url, 8192);
	buf_init(&c->host, 1024);
	if ((err = aws_client_init(&c->aws, cfg)))
		goto fail;
	if ((err = aws_config_dynamodb_endpoint(&c->aws.cfg, &c->url, &c->host)))
		goto fail;
	/* The JSON protocol posts to the endpoint's root (or to its own path, if it has one). */
	aws_url_split(c->url.ptr, &path, NULL);
	if (path.len == 0 && (err = buf_addch(&c->url, '/')))
		goto fail;
	*out = c;
	return 0;
fail:
	ddb_client_free(c);
	return err;
}

int ddb_client_new_with_config(struct ddb_client **out, const struct aws_config *cfg)
{
	return client_new(out, cfg);
}

int ddb_client_new(struct ddb_client **out)
{
	return client_new(out, NULL);
}

void ddb_client_free(struct ddb_client *c)
{
	if (!c)
		return;
	aws_client_release(&c->aws);
	buf_release(&c->url);
	buf_release(&c->host);
	free(c);
}

/* ---- Errors ------------------------------------------------------------------------- */

static void copy_cstr(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Exception names, as the part of __type after '#', and what they mean to a caller. */
static const struct {
	const char *type;
	int err;
	bool retry;
} ddb_types[] = {
	{"ConditionalCheckFailedException", ERR_PRECONDITION, false},
	{"ResourceNotFoundException", ERR_NOTFOUND, false},
	{"IdempotentParameterMismatchException", ERR_EXISTS, false},
	{"ResourceInUseException", ERR_EXISTS, false},
	{"ProvisionedThroughputExceededException", ERR_THROTTLED, true},
	{"ThrottlingException", ERR_THROTTLED, true},
	{"RequestLimitExceeded", ERR_THROTTLED, true},
	{"InternalServerError", ERR_REMOTE, true},
	{"TransactionInProgressException", ERR_THROTTLED, true},
	{"UnrecognizedClientException", ERR_AUTH, false},
	{"InvalidSignatureException", ERR_AUTH, false},
	{"AccessDeniedException", ERR_AUTH, false},
	{"MissingAuthenticationTokenException", ERR_AUTH, false},
	{"MissingAuthenticationToken", ERR_AUTH, false},
	{"IncompleteSignatureException", ERR_AUTH, false},
	{"ExpiredTokenException", ERR_AUTH, false},
};

/* Does `reasons` (comma-separated codes) contain `code`? */
static bool has_reason(const char *reasons, const char *code)
{
	struct str rest = str_from(reasons), item;
	bool more = true;

	while (more) {
		rest = str_split(rest, ',', &item, &more);
		if (str_eq_cstr(item, code))
			return true;
	}
	return false;
}

/* A cancelled transaction is retryable when it lost a race or was throttled, and nothing else. */
static bool transient_cancel(const char *reasons)
{
	struct str rest = str_from(reasons), item;
	bool more = true, transient = false;

	while (more) {
		rest = str_split(rest, ',', &item, &more);
		if (str_eq_cstr(item, "TransactionConflict") ||
		    str_eq_cstr(item, "ThrottlingError") ||
		    str_eq_cstr(item, "ProvisionedThroughputExceeded"))
			transient = true;
		else if (!str_eq_cstr(item, "None") && item.len)
			return false;
	}
	return transient;
}

/* The return code for a classified error, and whether another attempt may succeed. */
static int classify(const struct ddb_error *e, bool *retry)
{
	*retry = e->status >= 500;
	if (strcmp(e->type, "TransactionCanceledException") == 0) {
		if (has_reason(e->reasons, "ConditionalCheckFailed"))
			return ERR_PRECONDITION;
		if (transient_cancel(e->reasons)) {
			*retry = true;
			return ERR_THROTTLED;
		}
		return ERR_REMOTE;
	}
	for (size_t i = 0; e->type[0] && i < ARRAY_SIZE(ddb_types); i++) {
		if (strcmp(e->type, ddb_types[i].type) == 0) {
			*retry = *retry || ddb_types[i].retry;
			return ddb_types[i].err;
		}
	}
	return ERR_REMOTE;
}

/* The CancellationReasons codes, comma-separated, truncated to fit `out`. */
static void read_reasons(const json_t *doc, char *out, size_t size)
{
	json_t *reasons = jsonx_arr(doc, "CancellationReasons");
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		const char *code = jsonx_str(json_array_get(reasons, i), "Code");
		int n = snprintf(out + used, size - used, "%s%s", i ? "," : "",
				 code ? code : "None");
		if (n < 0 || (size_t)n >= size - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)n;
	}
}

int ddb_parse_error(const char *body, size_t len, struct ddb_error *e)
{
	json_t *doc = len ? jsonx_parse(body, len, NULL, 0) : NULL;
	const char *type = jsonx_str(doc, "__type");
	const char *msg = jsonx_str(doc, "message");
	bool retry;
	int err;

	e->type[0] = e->message[0] = e->reasons[0] = '\0';
	if (type) {
		const char *hash = strrchr(type, '#');
		copy_cstr(e->type, sizeof(e->type), hash ? hash + 1 : type);
	}
	copy_cstr(e->message, sizeof(e->message), msg ? msg : jsonx_str(doc, "Message"));
	read_reasons(doc, e->reasons, sizeof(e->reasons));
	json_decref(doc);
	err = classify(e, &retry);
	return err;
}

/* Fill `e` from an error answer: the JSON body, else the x-amzn-ErrorType header. */
static int read_error(const struct http_response *resp, struct ddb_error *e)
{
	const char *v;
	bool retry;

	memset(e, 0, sizeof(*e));
	e->status = resp->status;
	ddb_parse_error(resp->body.ptr, resp->body.len, e);
	v = http_response_header(resp, "x-amzn-ErrorType");
	if (!e->type[0] && v) /* "ValidationException:http://internal.amazon.com/..." */
		snprintf(e->type, sizeof(e->type), "%.*s", (int)strcspn(v, ":"), v);
	copy_cstr(e->request_id, sizeof(e->request_id),
		  http_response_header(resp, "x-amzn-RequestId"));
	return classify(e, &retry);
}

/* ---- Sending ------------------------------------------------------------------------ */

/* The aws_fail_fn of ddb_call(): classify the failure into the caller's struct ddb_error. */
static int on_failure(void *ctx, int err, const struct http_response *resp, bool *retry,
		      const char **detail)
{
	struct ddb_error *e = ctx;

	if (err) {
		memset(e, 0, sizeof(*e));
		*retry = err == ERR_HTTP;
		return err;
	}
	err = read_error(resp, e);
	classify(e, retry);
	*detail = e->type;
	return err;
}

static bool op_valid(const char *op)
{
	size_t len = op ? strlen(op) : 0;

	if (len == 0 || len > DDB_MAX_OP_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!((op[i] >= 'A' && op[i] <= 'Z') || (op[i] >= 'a' && op[i] <= 'z')))
			return false;
	}
	return true;
}

/* The answer of a 2xx: a JSON object ({} when the body is empty). */
static int read_answer(const struct http_response *resp, json_t **response)
{
	json_t *doc;

	if (!response)
		return 0;
	doc = resp->body.len ? jsonx_parse(resp->body.ptr, resp->body.len, NULL, 0) : json_object();
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ERR_PARSE;
	}
	*response = doc;
	return 0;
}

/* POST `body` as operation `op`, with the retries of dynamodb.h. */
static int post(struct ddb_client *c, const char *op, const struct buf *body, int64_t deadline_ms,
		struct ddb_error *e, struct http_response *resp)
{
	char target[DDB_TARGET_MAX];
	const struct http_header headers[] = {
		{"Host", c->host.ptr},
		{"Content-Type", DDB_CONTENT_TYPE},
		{"X-Amz-Target", target},
	};
	const struct aws_request req = {
		.service = "dynamodb",
		.op = op,
		.method = "POST",
		.url = c->url.ptr,
		.headers = headers,
		.n_headers = ARRAY_SIZE(headers),
		.body = body->ptr,
		.body_len = body->len,
		.max_body = DDB_MAX_RESPONSE,
		.max_error_body = 1u << 20,
		.deadline_ms = deadline_ms,
	};

	snprintf(target, sizeof(target), "%s%s", DDB_TARGET_PREFIX, op);
	return aws_request_send(&c->aws, &req, &ddb_retry, on_failure, e, resp);
}

int ddb_call(struct ddb_client *c, const char *op, json_t *request, int64_t deadline_ms,
	     json_t **response, struct ddb_error *e)
{
	struct ddb_error local;
	struct http_response resp;
	struct buf body;
	int err;

	if (!e)
		e = &local;
	memset(e, 0, sizeof(*e));
	if (response)
		*response = NULL;
	if (!c || !op_valid(op) || !json_is_object(request))
		return ERR_INVAL;
	buf_init(&body, DDB_MAX_REQUEST);
	http_response_init(&resp);
	if ((err = jsonx_dump(request, &body, 0)))
		goto done;
	err = post(c, op, &body, deadline_ms, e, &resp);
	if (!err) {
		memset(e, 0, sizeof(*e));
		err = read_answer(&resp, response);
	}
done:
	http_response_release(&resp);
	buf_release(&body);
	return err;
}

/* ---- Helpers ------------------------------------------------------------------------ */

/* Set `key` of `req` to `v` (borrowed) unless `v` is NULL. 0 or ERR_NOMEM. */
static int set_opt(json_t *req, const char *key, json_t *v)
{
	return v && json_object_set(req, key, v) ? ERR_NOMEM : 0;
}

static int set_str(json_t *req, const char *key, const char *s)
{
	return s && json_object_set_new(req, key, json_string(s)) ? ERR_NOMEM : 0;
}

/* A new request {"TableName": table}, or NULL (empty table, no memory). */
static json_t *table_request(const char *table)
{
	return table && *table ? json_pack("{s:s}", "TableName", table) : NULL;
}

static int add_expr(json_t *req, const struct ddb_expr *x)
{
	if (!x)
		return 0;
	if (set_str(req, "ConditionExpression", x->condition) ||
	    set_opt(req, "ExpressionAttributeNames", x->names) ||
	    set_opt(req, "ExpressionAttributeValues", x->values))
		return ERR_NOMEM;
	return 0;
}

/* Send `req` (stolen) as `op`; on success hand `member` of the answer to `*out`. */
static int call_and_take(struct ddb_client *c, const char *op, json_t *req, int err,
			 int64_t deadline_ms, const char *member, json_t **out, struct ddb_error *e)
{
	json_t *resp = NULL;

	if (out)
		*out = NULL;
	if (e)
		memset(e, 0, sizeof(*e));
	if (!req)
		err = ERR_INVAL;
	if (!err)
		err = ddb_call(c, op, req, deadline_ms, out ? &resp : NULL, e);
	json_decref(req);
	if (!err && out && member) {
		json_t *v = json_object_get(resp, member);
		*out = v ? json_incref(v) : NULL;
	} else if (!err && out) {
		*out = json_incref(resp);
	}
	json_decref(resp);
	return err;
}

int ddb_get_item(struct ddb_client *c, const char *table, json_t *key, bool consistent,
		 const char *projection, json_t *names, int64_t deadline_ms, json_t **item,
		 struct ddb_error *e)
{
	json_t *req = table_request(table);
	int err = 0;

	if (req && (!json_is_object(key) || !item))
		err = ERR_INVAL;
	else if (req && (set_opt(req, "Key", key) ||
			 json_object_set_new(req, "ConsistentRead", json_boolean(consistent)) ||
			 set_str(req, "ProjectionExpression", projection) ||
			 set_opt(req, "ExpressionAttributeNames", names)))
		err = ERR_NOMEM;
	return call_and_take(c, "GetItem", req, err, deadline_ms, "Item", item, e);
}

int ddb_put_item(struct ddb_client *c, const char *table, json_t *item, const struct ddb_expr *expr,
		 int64_t deadline_ms, struct ddb_error *e)
{
	json_t *req = table_request(table);
	int err = 0;

	if (req && !json_is_object(item))
		err = ERR_INVAL;
	else if (req && (set_opt(req, "Item", item) || add_expr(req, expr)))
		err = ERR_NOMEM;
	return call_and_take(c, "PutItem", req, err, deadline_ms, NULL, NULL, e);
}

int ddb_delete_item(struct ddb_client *c, const char *table, json_t *key,
		    const struct ddb_expr *expr, int64_t deadline_ms, struct ddb_error *e)
{
	json_t *req = table_request(table);
	int err = 0;

	if (req && !json_is_object(key))
		err = ERR_INVAL;
	else if (req && (set_opt(req, "Key", key) || add_expr(req, expr)))
		err = ERR_NOMEM;
	return call_and_take(c, "DeleteItem", req, err, deadline_ms, NULL, NULL, e);
}

int ddb_update_item(struct ddb_client *c, const char *table, json_t *key, const char *update,
		    const struct ddb_expr *expr, int64_t deadline_ms, json_t **attributes,
		    struct ddb_error *e)
{
	json_t *req = table_request(table);
	int err = 0;

	if (req && (!json_is_object(key) || !update || !*update))
		err = ERR_INVAL;
	else if (req &&
		 (set_opt(req, "Key", key) || set_str(req, "UpdateExpression", update) ||
		  add_expr(req, expr) || (attributes && set_str(req, "ReturnValues", "ALL_NEW"))))
		err = ERR_NOMEM;
	return call_and_take(c, "UpdateItem", req, err, deadline_ms, "Attributes", attributes, e);
}

/* Query and Scan: a copy of `params` with TableName. */
static int table_op(struct ddb_client *c, const char *op, const char *table, json_t *params,
		    int64_t deadline_ms, json_t **response, struct ddb_error *e)
{
	json_t *req = table_request(table);
	int err = 0;

	if (req && params && !json_is_object(params))
		err = ERR_INVAL;
	else if (req && params && json_object_update_missing(req, params))
		err = ERR_NOMEM;
	return call_and_take(c, op, req, err, deadline_ms, NULL, response, e);
}

int ddb_query(struct ddb_client *c, const char *table, json_t *params, int64_t deadline_ms,
	      json_t **response, struct ddb_error *e)
{
	return table_op(c, "Query", table, params, deadline_ms, response, e);
}

int ddb_scan(struct ddb_client *c, const char *table, json_t *params, int64_t deadline_ms,
	     json_t **response, struct ddb_error *e)
{
	return table_op(c, "Scan", table, params, deadline_ms, response, e);
}

int ddb_transact_write_items(struct ddb_client *c, json_t *items, const char *token,
			     int64_t deadline_ms, struct ddb_error *e)
{
	json_t *req = json_object();
	int err = 0;

	if (!json_is_array(items) || (token && strlen(token) > DDB_TOKEN_MAX))
		err = ERR_INVAL;
	else if (!req || set_opt(req, "TransactItems", items) ||
		 (token && *token && set_str(req, "ClientRequestToken", token)))
		err = ERR_NOMEM;
	return call_and_take(c, "TransactWriteItems", req, err, deadline_ms, NULL, NULL, e);
}

int ddb_describe_table(struct ddb_client *c, const char *table, int64_t deadline_ms,
		       json_t **table_desc, struct ddb_error *e)
{
	return call_and_take(c, "DescribeTable", table_request(table), table_desc ? 0 : ERR_INVAL,
			     deadline_ms, "Table", table_desc, e);
}
