/*
 * The S3 client (see s3.h). Every operation goes through s3_call(): build the
 * URL from the configured endpoint, sign with SigV4 under S3's rules (a fresh
 * signature per attempt, since the date is part of it), send, and turn the
 * answer into a return code. Retries follow AWS's "exponential backoff and
 * jitter" (full jitter): before retry n, sleep uniform [0, min(cap, base*2^n)).
 */
#include "core/common.h"

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "core/arena.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "http/client.h"

/* Bytes of header strings one signed request may need (the Authorization value dominates). */
#define S3_CALL_ARENA	     (64u << 10)
#define S3_MAX_EXTRA_HEADERS 4

struct s3_client {
	struct aws_config cfg;
	struct http_client *http;
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

int s3_client_new_with_config(struct s3_client **out, const struct aws_config *cfg)
{
	struct s3_client *c;
	int err;

	if (!aws_config_has_credentials(cfg))
		return ERR_CONFIG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	if ((err = aws_config_copy(&c->cfg, cfg)))
		goto fail;
	if ((err = http_client_new(&c->http)))
		goto fail;
	*out = c;
	return 0;
fail:
	s3_client_free(c);
	return err;
}

int s3_client_new(struct s3_client **out)
{
	struct aws_config cfg;
	int err = aws_config_init(&cfg);

	if (err)
		return err;
	err = s3_client_new_with_config(out, &cfg);
	aws_config_release(&cfg);
	return err;
}

void s3_client_free(struct s3_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	aws_config_release(&c->cfg);
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

	if ((err = aws_config_s3_base(&c->cfg, call->bucket, url, host)))
		return err;
	if ((err = buf_addch(url, '/')))
		return err;
	if (call->key && (err = uri_encode(url, call->key, strlen(call->key), true)))
		return err;
	if (call->query && *call->query)
		err = buf_addf(url, "?%s", call->query);
	return err;
}

/* The path and query of `url` as they go on the wire, for the signer. */
static void split_url(const char *url, struct str *path, struct str *query)
{
	const char *p = strstr(url, "://");
	const char *q;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?");
	q = strchr(p, '?');
	*path = q ? str_make(p, (size_t)(q - p)) : str_from(p);
	*query = q ? str_from(q + 1) : STR_NULL;
}

/*
 * Sign the call and lay out the final header list in `a`: Host, the call's
 * own headers, then the signer's (X-Amz-Date, token, content hash, Authorization).
 */
static int sign(const struct s3_client *c, const struct s3_call *call, const char *url,
		const char *host, struct arena *a, struct http_header **out, size_t *n_out)
{
	struct sigv4_header sh[1 + S3_MAX_EXTRA_HEADERS];
	struct sigv4_request req = {.method = call->method,
				    .headers = sh,
				    .body = call->body,
				    .body_len = call->body_len};
	struct sigv4_params p = {
		.access_key_id = c->cfg.access_key_id,
		.secret_access_key = c->cfg.secret_access_key,
		.session_token = c->cfg.session_token,
		.region = c->cfg.region,
		.service = "s3",
		.now = time(NULL),
		.s3 = true,
	};
	struct sigv4_signed sig;
	struct http_header *h;
	size_t n = 0;
	int err;

	split_url(url, &req.path, &req.query);
	sh[n++] = (struct sigv4_header){STR_LIT("Host"), str_from(host)};
	for (size_t i = 0; i < call->n_extra; i++)
		sh[n++] = (struct sigv4_header){str_from(call->extra[i].name),
						str_from(call->extra[i].value)};
	req.n_headers = n;
	sigv4_signed_init(&sig);
	if ((err = sigv4_sign_headers(&req, &p, &sig)))
		goto done;
	h = arena_alloc(a, (n + sig.n_headers) * sizeof(*h));
	if (!h) {
		err = ERR_NOMEM;
		goto done;
	}
	h[0] = (struct http_header){"Host", host};
	for (size_t i = 0; i < call->n_extra; i++)
		h[1 + i] = call->extra[i];
	for (size_t i = 0; i < sig.n_headers; i++) {
		h[n + i].name = arena_strndup(a, sig.headers[i].name.ptr, sig.headers[i].name.len);
		h[n + i].value =
			arena_strndup(a, sig.headers[i].value.ptr, sig.headers[i].value.len);
		if (!h[n + i].name || !h[n + i].value) {
			err = ERR_NOMEM;
			goto done;
		}
	}
	*out = h;
	*n_out = n + sig.n_headers;
done:
	sigv4_signed_release(&sig);
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

static bool retryable(int err, int status)
{
	return err == ERR_HTTP || (err == 0 && (status == 500 || status == 503));
}

/*
 * Sleep before retry number `attempt` (1 for the first retry) with full
 * jitter. False, without sleeping, when the sleep would reach the deadline.
 */
static bool backoff(int attempt, int64_t deadline_ms)
{
	int64_t ceiling = MIN((int64_t)S3_BACKOFF_CAP_MS, (int64_t)S3_BACKOFF_BASE_MS << attempt);
	uint32_t r = 0;
	int64_t delay;
	struct timespec ts;

	if (random_bytes(&r, sizeof(r)))
		r = (uint32_t)time_mono_ns();
	delay = (int64_t)(r % (uint32_t)ceiling);
	if (deadline_ms > 0 && time_now_ms() + delay >= deadline_ms)
		return false;
	ts.tv_sec = delay / 1000;
	ts.tv_nsec = (delay % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return true;
}

static int send_once(struct s3_client *c, const struct s3_call *call, const char *url,
		     const char *host, struct http_response *resp)
{
	struct arena a;
	struct http_header *headers = NULL;
	size_t n = 0;
	int err;

	arena_init(&a, S3_CALL_ARENA);
	err = sign(c, call, url, host, &a, &headers, &n);
	if (!err) {
		struct http_request req = {
			.method = call->method,
			.url = url,
			.headers = headers,
			.n_headers = n,
			.body = call->body,
			.body_len = call->body_len,
			.deadline_ms = call->deadline_ms,
			.max_body = call->max_body,
			.max_error_body = S3_MAX_XML_BODY,
		};
		err = http_client_do(c->http, &req, resp);
	}
	arena_release(&a);
	return err;
}

/*
 * Send `call` with retries. 0 with a 2xx answer in `resp`; otherwise the
 * return code of s3.h with `e` filled when S3 answered.
 */
static int s3_call(struct s3_client *c, const struct s3_call *call, struct http_response *resp,
		   struct s3_error *e)
{
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
	for (int attempt = 1;; attempt++) {
		err = send_once(c, call, url.ptr, host.ptr, resp);
		if (!err && resp->status >= 200 && resp->status < 300) {
			memset(e, 0, sizeof(*e));
			break;
		}
		if (!err)
			read_error(resp, e);
		else
			memset(e, 0, sizeof(*e));
		if (attempt >= S3_MAX_ATTEMPTS || !retryable(err, resp->status) ||
		    !backoff(attempt, call->deadline_ms)) {
			if (!err)
				err = status_to_err(e);
			break;
		}
		log_msg(LVL_WARN, "s3 %s: retrying after %s (status %d %s), attempt %d", call->op,
			err ? http_client_last_error(c->http) : "error answer", resp->status,
			e->code, attempt + 1);
	}
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

	error_clear(err);
	if (result)
		memset(result, 0, sizeof(*result));
	if (!key || check_args(c, bucket, key) || (len && !data))
		return ERR_INVAL;
	if (content_type)
		call.extra[call.n_extra++] = (struct http_header){"Content-Type", content_type};
	if (if_none_match_star)
		call.extra[call.n_extra++] = (struct http_header){"If-None-Match", "*"};
	http_response_init(&resp);
	rc = s3_call(c, &call, &resp, err);
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

int s3_get_object(struct s3_client *c, const char *bucket, const char *key, struct buf *body,
		  int64_t deadline_ms, struct s3_object_info *info, struct s3_error *err)
{
	struct s3_call call = {.op = "GetObject",
			       .method = "GET",
			       .bucket = bucket,
			       .key = key,
			       .deadline_ms = deadline_ms};
	struct http_response resp;
	int rc;

	error_clear(err);
	if (info)
		memset(info, 0, sizeof(*info));
	if (!key || !body || check_args(c, bucket, key))
		return ERR_INVAL;
	call.max_body = body->cap - MIN(body->len, body->cap);
	http_response_init(&resp);
	rc = s3_call(c, &call, &resp, err);
	if (!rc && info)
		read_info(&resp, info);
	if (!rc)
		rc = take_body(body, &resp);
	if (rc && info)
		memset(info, 0, sizeof(*info));
	http_response_release(&resp);
	return rc;
}

int s3_head_object(struct s3_client *c, const char *bucket, const char *key, int64_t deadline_ms,
		   struct s3_object_info *info, struct s3_error *err)
{
	struct s3_call call = {.op = "HeadObject",
			       .method = "HEAD",
			       .bucket = bucket,
			       .key = key,
			       .deadline_ms = deadline_ms};
	struct http_response resp;
	int rc;

	error_clear(err);
	if (info)
		memset(info, 0, sizeof(*info));
	if (!key || check_args(c, bucket, key))
		return ERR_INVAL;
	http_response_init(&resp);
	rc = s3_call(c, &call, &resp, err);
	if (!rc && info)
		read_info(&resp, info);
	http_response_release(&resp);
	return rc;
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

	error_clear(err);
	if (!key || check_args(c, bucket, key))
		return ERR_INVAL;
	http_response_init(&resp);
	rc = s3_call(c, &call, &resp, err);
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
