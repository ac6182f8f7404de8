/*
 * The S3 client (see s3.h). Every operation goes through s3_call(): build the
 * URL from the configured endpoint and hand the request to aws_request_send()
 * (aws/request.h), which signs each attempt under S3's rules, sends it and
 * retries with full jitter; reading S3's <Error> answers is ours.
 */
#include "core/common.h"

#include "aws/request.h"
#include "aws/s3.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"

#define S3_MAX_EXTRA_HEADERS 4

static const struct aws_retry s3_retry = {S3_MAX_ATTEMPTS, S3_BACKOFF_BASE_MS, S3_BACKOFF_CAP_MS};

struct s3_client {
	struct aws_client aws;
};

/* One S3 operation, as s3_call() sends it. */
struct s3_call {
	const char *op; /* "PutObject", for logs */
	const char *method;
	const char *bucket;
	const char *key;   /* NULL for bucket-level operations (ListObjectsV2) */
	const char *query; /* encoded query without '?', or NULL */
	struct http_header extra[S3_MAX_EXTRA_HEADERS];
	size_t n_extra;
	const void *body;
	size_t body_len;
	size_t max_body; /* cap on a 2xx body */
	int64_t deadline_ms;
};

/* A client from `cfg`, or from the environment when `cfg` is NULL. */
static int client_new(struct s3_client **out, const struct aws_config *cfg)
{
	struct s3_client *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return ERR_NOMEM;
	err = aws_client_init(&c->aws, cfg);
	if (err) {
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

int s3_client_new_with_config(struct s3_client **out, const struct aws_config *cfg)
{
	return client_new(out, cfg);
}

int s3_client_new(struct s3_client **out)
{
	return client_new(out, NULL);
}

void s3_client_free(struct s3_client *c)
{
	if (!c)
		return;
	aws_client_release(&c->aws);
	free(c);
}

static void error_clear(struct s3_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

static void copy_cstr(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The URL of the call into `url` and the Host header value into `host`. */
static int build_url(const struct s3_client *c, const struct s3_call *call, struct buf *url,
		     struct buf *host)
{
	int err;

	if ((err = aws_config_s3_base(&c->aws.cfg, call->bucket, url, host)))
		return err;
	if ((err = buf_addch(url, '/')))
		return err;
	if (call->key && (err = uri_encode(url, call->key, strlen(call->key), true)))
		return err;
	if (call->query && *call->query)
		err = buf_addf(url, "?%s", call->query);
	return err;
}

/* Fill `e` from an error answer: the XML body when there is one, else the status. */
static void read_error(const struct http_response *resp, struct s3_error *e)
{
	const char *rid;

	memset(e, 0, sizeof(*e));
	e->status = resp->status;
	if (resp->body.len == 0 || s3_parse_error(resp->body.ptr, resp->body.len, e)) {
		const char *code = resp->status == 404	 ? "NotFound"
				   : resp->status == 412 ? "PreconditionFailed"
				   : resp->status == 403 ? "Forbidden"
				   : resp->status == 503 ? "SlowDown"
							 : "";
		copy_cstr(e->code, sizeof(e->code), code);
	}
	rid = http_response_header(resp, "x-amz-request-id");
	if (!e->request_id[0] && rid)
		copy_cstr(e->request_id, sizeof(e->request_id), rid);
}

static int status_to_err(const struct s3_error *e)
{
	if (e->status == 404)
		return ERR_NOTFOUND;
	if (e->status == 412)
		return ERR_PRECONDITION;
	if (e->status == 503 || strcmp(e->code, "SlowDown") == 0)
		return ERR_THROTTLED;
	return ERR_REMOTE;
}

/* The aws_fail_fn of s3_call(): read S3's answer into the caller's struct s3_error. */
static int on_failure(void *ctx, int err, const struct http_response *resp, bool *retry,
		      const char **detail)
{
	struct s3_error *e = ctx;

	if (err) {
		memset(e, 0, sizeof(*e));
		*retry = err == ERR_HTTP;
		return err;
	}
	read_error(resp, e);
	*retry = resp->status == 500 || resp->status == 503;
	*detail = e->code;
	return status_to_err(e);
}

/*
 * Send `call` with retries. 0 with a 2xx answer in `resp`; otherwise the
 * return code of s3.h with `e` filled when S3 answered.
 */
static int s3_call(struct s3_client *c, const struct s3_call *call, struct http_response *resp,
		   struct s3_error *e)
{
	struct http_header headers[1 + S3_MAX_EXTRA_HEADERS];
	struct aws_request req;
	struct s3_error local;
	struct buf url, host;
	int err;

	if (!e)
		e = &local;
	memset(e, 0, sizeof(*e));
	buf_init(&url, 16384);
	buf_init(&host, 1024);
	if ((err = build_url(c, call, &url, &host)))
		goto done;
	headers[0] = (struct http_header){"Host", host.ptr};
	for (size_t i = 0; i < call->n_extra; i++)
		headers[1 + i] = call->extra[i];
	req = (struct aws_request){
		.service = "s3",
		.op = call->op,
		.s3 = true,
		.method = call->method,
		.url = url.ptr,
		.headers = headers,
		.n_headers = 1 + call->n_extra,
		.body = call->body,
		.body_len = call->body_len,
		.max_body = call->max_body,
		.max_error_body = S3_MAX_XML_BODY,
		.deadline_ms = call->deadline_ms,
	};
	err = aws_request_send(&c->aws, &req, &s3_retry, on_failure, e, resp);
	if (!err)
		memset(e, 0, sizeof(*e));
done:
	buf_release(&url);
	buf_release(&host);
	return err;
}

static int check_args(struct s3_client *c, const char *bucket, const char *key)
{
	if (!c || !bucket || !*bucket)
		return ERR_INVAL;
	if (key && (!*key || strlen(key) > S3_MAX_KEY_LEN))
		return ERR_INVAL;
	return 0;
}

/*
 * Send an object-level `call` (a key is required; a body of len > 0 needs
 * its bytes) into `resp`, which the caller has initialised and releases.
 */
static int object_call(struct s3_client *c, const struct s3_call *call, struct http_response *resp,
		       struct s3_error *err)
{
	error_clear(err);
	if (!call->key || check_args(c, call->bucket, call->key) || (call->body_len && !call->body))
		return ERR_INVAL;
	return s3_call(c, call, resp, err);
}

int s3_put_object(struct s3_client *c, const char *bucket, const char *key, const void *data,
		  size_t len, const char *content_type, bool if_none_match_star,
		  int64_t deadline_ms, struct s3_put_result *result, struct s3_error *err)
{
	struct s3_call call = {.op = "PutObject",
			       .method = "PUT",
			       .bucket = bucket,
			       .key = key,
			       .body = data,
			       .body_len = len,
			       .max_body = S3_MAX_XML_BODY,
			       .deadline_ms = deadline_ms};
	struct http_response resp;
	int rc;

	if (result)
		memset(result, 0, sizeof(*result));
	if (content_type)
		call.extra[call.n_extra++] = (struct http_header){"Content-Type", content_type};
	if (if_none_match_star)
		call.extra[call.n_extra++] = (struct http_header){"If-None-Match", "*"};
	http_response_init(&resp);
	rc = object_call(c, &call, &resp, err);
	if (!rc && result) {
		copy_cstr(result->etag, sizeof(result->etag), http_response_header(&resp, "ETag"));
		copy_cstr(result->version_id, sizeof(result->version_id),
			  http_response_header(&resp, "x-amz-version-id"));
	}
	http_response_release(&resp);
	return rc;
}

static void read_info(const struct http_response *resp, struct s3_object_info *info)
{
	const char *v;
	long long n;
	time_t t;

	memset(info, 0, sizeof(*info));
	copy_cstr(info->content_type, sizeof(info->content_type),
		  http_response_header(resp, "Content-Type"));
	copy_cstr(info->etag, sizeof(info->etag), http_response_header(resp, "ETag"));
	copy_cstr(info->version_id, sizeof(info->version_id),
		  http_response_header(resp, "x-amz-version-id"));
	v = http_response_header(resp, "Content-Length");
	if (v && str_to_i64(str_from(v), 0, INT64_MAX, &n) == 0)
		info->size = (uint64_t)n;
	v = http_response_header(resp, "Last-Modified");
	if (v && time_parse_http(v, strlen(v), &t) == 0)
		info->last_modified_ms = (int64_t)t * 1000;
}

/* Hand the response body to the caller's buffer, moving it when that one is empty. */
static int take_body(struct buf *body, struct http_response *resp)
{
	if (resp->body.len > body->cap - MIN(body->len, body->cap))
		return ERR_TOOLARGE;
	if (body->len == 0) {
		size_t cap = body->cap;
		buf_release(body);
		*body = resp->body;
		body->cap = cap;
		buf_init(&resp->body, BUF_NOCAP);
		return 0;
	}
	return buf_add(body, resp->body.ptr, resp->body.len);
}

/*
 * GetObject (`get`: the bytes go to `body`, which must not be NULL) and
 * HeadObject: the answer's metadata into `info` (may be NULL; zeroed unless
 * the call succeeds).
 */
static int object_read(struct s3_client *c, struct s3_call *call, bool get, struct buf *body,
		       struct s3_object_info *info, struct s3_error *err)
{
	struct http_response resp;
	int rc;

	if (info)
		memset(info, 0, sizeof(*info));
	if (get && body)
		call->max_body = body->cap - MIN(body->len, body->cap);
	http_response_init(&resp);
	if (get && !body) {
		error_clear(err);
		rc = ERR_INVAL;
	} else {
		rc = object_call(c, call, &resp, err);
	}
	if (!rc && info)
		read_info(&resp, info);
	if (!rc && get)
		rc = take_body(body, &resp);
	if (rc && info)
		memset(info, 0, sizeof(*info));
	http_response_release(&resp);
	return rc;
}

int s3_get_object(struct s3_client *c, const char *bucket, const char *key, struct buf *body,
		  int64_t deadline_ms, struct s3_object_info *info, struct s3_error *err)
{
	struct s3_call call = {.op = "GetObject",
			       .method = "GET",
			       .bucket = bucket,
			       .key = key,
			       .deadline_ms = deadline_ms};

	return object_read(c, &call, true, body, info, err);
}

int s3_head_object(struct s3_client *c, const char *bucket, const char *key, int64_t deadline_ms,
		   struct s3_object_info *info, struct s3_error *err)
{
	struct s3_call call = {.op = "HeadObject",
			       .method = "HEAD",
			       .bucket = bucket,
			       .key = key,
			       .deadline_ms = deadline_ms};

	return object_read(c, &call, false, NULL, info, err);
}

int s3_delete_object(struct s3_client *c, const char *bucket, const char *key, int64_t deadline_ms,
		     struct s3_error *err)
{
	struct s3_call call = {.op = "DeleteObject",
			       .method = "DELETE",
			       .bucket = bucket,
			       .key = key,
			       .max_body = S3_MAX_XML_BODY,
			       .deadline_ms = deadline_ms};
	struct http_response resp;
	int rc;

	http_response_init(&resp);
	rc = object_call(c, &call, &resp, err);
	http_response_release(&resp);
	return rc;
}

/* "continuation-token=..&encoding-type=url&list-type=2&max-keys=..&prefix=..", sorted. */
static int list_query(struct buf *q, const char *prefix, const char *token, int max_keys)
{
	int err = 0;

	if (token && *token)
		if ((err = buf_adds(q, "continuation-token=")) ||
		    (err = uri_encode(q, token, strlen(token), false)) || (err = buf_addch(q, '&')))
			return err;
	if ((err = buf_adds(q, "encoding-type=url&list-type=2")))
		return err;
	if (max_keys > 0 && (err = buf_addf(q, "&max-keys=%d", MIN(max_keys, S3_MAX_LIST_KEYS))))
		return err;
	if (prefix && *prefix)
		if ((err = buf_adds(q, "&prefix=")) ||
		    (err = uri_encode(q, prefix, strlen(prefix), false)))
			return err;
	return 0;
}

int s3_list_objects_v2(struct s3_client *c, const char *bucket, const char *prefix,
		       const char *continuation_token, int max_keys, int64_t deadline_ms,
		       struct s3_list_result *out, struct s3_error *err)
{
	struct s3_call call = {.op = "ListObjectsV2",
			       .method = "GET",
			       .bucket = bucket,
			       .max_body = S3_MAX_XML_BODY,
			       .deadline_ms = deadline_ms};
	struct http_response resp;
	struct buf q;
	int rc;

	error_clear(err);
	memset(out, 0, sizeof(*out));
	out->key_count = -1;
	if (check_args(c, bucket, NULL) || max_keys < 0)
		return ERR_INVAL;
	if ((prefix && strlen(prefix) > S3_MAX_KEY_LEN) ||
	    (continuation_token && strlen(continuation_token) > S3_MAX_KEY_LEN * 4))
		return ERR_INVAL;
	buf_init(&q, 16384);
	http_response_init(&resp);
	if ((rc = list_query(&q, prefix, continuation_token, max_keys)))
		goto done;
	call.query = q.ptr;
	if ((rc = s3_call(c, &call, &resp, err)))
		goto done;
	rc = s3_parse_list(resp.body.ptr, resp.body.len, out);
	if (rc)
		log_msg(LVL_ERROR, "s3 ListObjectsV2: unreadable answer (%s)", err_name(rc));
done:
	http_response_release(&resp);
	buf_release(&q);
	return rc;
}
