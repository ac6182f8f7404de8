/*
 * One AWS request, signed and sent with retries (see request.h). The S3 and
 * DynamoDB clients differ in how they build a request and read an error
 * answer; the client set-up, signing, sending and the backoff loop are here.
 *
 * Observability: each call is one DEBUG line (service, operation, status,
 * attempts, duration, the service's request id; never a body, a header or
 * a key), which an invocation keeps for its errors (core/log.h), and each
 * attempt carries the invocation's X-Ray trace header, unsigned, as the AWS
 * SDKs send it, so that an endpoint can tell which invocation called.
 */
#include "core/common.h"

#include "aws/request.h"
#include "aws/sigv4.h"
#include "core/arena.h"
#include "core/enc.h"
#include "core/log.h"
#include "core/timeutil.h"

int aws_client_init(struct aws_client *c, const struct aws_config *cfg)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = cfg ? aws_config_copy(&c->cfg, cfg) : aws_config_init(&c->cfg);
	if (err)
		return err;
	if (!aws_config_has_credentials(&c->cfg))
		err = ERR_CONFIG;
	else
		err = http_client_new(&c->http);
	if (err)
		aws_client_release(c);
	return err;
}

void aws_client_release(struct aws_client *c)
{
	if (!c)
		return;
	http_client_free(c->http);
	aws_config_release(&c->cfg);
	memset(c, 0, sizeof(*c));
}

void aws_url_split(const char *url, struct str *path, struct str *query)
{
	const char *p = strstr(url, "://");
	const char *q;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?");
	q = strchr(p, '?');
	*path = q ? str_make(p, (size_t)(q - p)) : str_from(p);
	if (query)
		*query = q ? str_from(q + 1) : STR_NULL;
}

/* Sign one attempt and lay out its headers in `a`: the request's own, then the signer's. */
static int sign(const struct aws_client *c, const struct aws_request *r, struct arena *a,
		struct http_header **out, size_t *n_out)
{
	struct sigv4_header sh[AWS_REQUEST_MAX_HEADERS];
	struct sigv4_request req = {.method = r->method,
				    .headers = sh,
				    .n_headers = r->n_headers,
				    .body = r->body,
				    .body_len = r->body_len};
	struct sigv4_params p = {
		.access_key_id = c->cfg.access_key_id,
		.secret_access_key = c->cfg.secret_access_key,
		.session_token = c->cfg.session_token,
		.region = c->cfg.region,
		.service = r->service,
		.now = time(NULL),
		.s3 = r->s3,
	};
	struct sigv4_signed sig;
	struct http_header *h;
	size_t n = r->n_headers;
	int err;

	if (n > AWS_REQUEST_MAX_HEADERS)
		return ERR_INVAL;
	aws_url_split(r->url, &req.path, &req.query);
	for (size_t i = 0; i < n; i++)
		sh[i] = (struct sigv4_header){str_from(r->headers[i].name),
					      str_from(r->headers[i].value)};
	sigv4_signed_init(&sig);
	if ((err = sigv4_sign_headers(&req, &p, &sig)))
		goto done;
	h = arena_alloc(a, (n + sig.n_headers + 1) * sizeof(*h)); /* + X-Amzn-Trace-Id */
	if (!h) {
		err = ERR_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		h[i] = r->headers[i];
	for (size_t i = 0; i < sig.n_headers; i++) {
		struct http_header *x = &h[n + i];
		x->name = arena_strndup(a, sig.headers[i].name.ptr, sig.headers[i].name.len);
		x->value = arena_strndup(a, sig.headers[i].value.ptr, sig.headers[i].value.len);
		if (!x->name || !x->value) {
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

/*
 * The invocation's trace header (_X_AMZN_TRACE_ID, which the runtime loop
 * sets) as the last header, when it is printable ASCII. The SDKs leave it
 * out of the signature (botocore's SIGNED_HEADERS_BLACKLIST), and so do we:
 * a proxy may rewrite it.
 */
static void add_trace_header(struct http_header *h, size_t *n)
{
	const char *v = getenv("_X_AMZN_TRACE_ID");

	if (!v || !*v || strlen(v) > 256)
		return;
	for (const char *p = v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return;
	h[*n].name = "X-Amzn-Trace-Id";
	h[*n].value = v;
	(*n)++;
}

/* Sign and send one attempt. */
static int send_once(struct aws_client *c, const struct aws_request *r, struct http_response *resp)
{
	struct arena a;
	struct http_header *headers = NULL;
	size_t n = 0;
	int err;

	arena_init(&a, AWS_REQUEST_ARENA);
	err = sign(c, r, &a, &headers, &n);
	if (!err)
		add_trace_header(headers, &n);
	if (!err) {
		struct http_request req = {
			.method = r->method,
			.url = r->url,
			.headers = headers,
			.n_headers = n,
			.body = r->body,
			.body_len = r->body_len,
			.deadline_ms = r->deadline_ms,
			.max_body = r->max_body,
			.max_error_body = r->max_error_body,
		};
		err = http_client_do(c->http, &req, resp);
	}
	arena_release(&a);
	return err;
}

bool aws_backoff(const struct aws_retry *policy, int attempt, int64_t deadline_ms)
{
	int64_t ceiling = MIN((int64_t)policy->cap_ms, (int64_t)policy->base_ms << attempt);
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

/* The call's one DEBUG line: what was called and how it went, nothing of its content. */
static void log_call(const struct aws_request *req, const struct http_response *resp, int attempts,
		     int64_t t0, const char *detail)
{
	const char *rid = http_response_header(resp, "x-amzn-RequestId");
	double ms = (double)(time_mono_ns() - t0) / 1e6;

	if (!rid)
		rid = http_response_header(resp, "x-amz-request-id");
	/* "awsService", not "service": that key is Powertools' (the function's service name). */
	log_emit(LVL_DEBUG, "aws call",
		 json_pack("{s:s,s:s,s:i,s:i,s:f,s:s?,s:s?}", "awsService", req->service,
			   "operation", req->op, "status", resp->status, "attempts", attempts,
			   "durationMs", (double)(int64_t)(ms * 1000) / 1000, "awsRequestId", rid,
			   "error", detail && *detail ? detail : NULL));
}

int aws_request_send(struct aws_client *c, const struct aws_request *req,
		     const struct aws_retry *policy, aws_fail_fn fail, void *ctx,
		     struct http_response *resp)
{
	int64_t t0 = time_mono_ns();

	for (int attempt = 1;; attempt++) {
		const char *detail = "";
		bool retry = false;
		int sent = send_once(c, req, resp), err;

		if (!sent && resp->status >= 200 && resp->status < 300) {
			if (log_debug_wanted())
				log_call(req, resp, attempt, t0, NULL);
			return 0;
		}
		err = fail(ctx, sent, resp, &retry, &detail);
		if (attempt >= policy->max_attempts || !retry ||
		    !aws_backoff(policy, attempt, req->deadline_ms)) {
			if (log_debug_wanted())
				log_call(req, resp, attempt, t0, sent ? err_name(sent) : detail);
			return err;
		}
		log_msg(LVL_WARN, "%s %s: retrying after %s (status %d %s), attempt %d",
			req->service, req->op,
			sent ? http_client_last_error(c->http) : "error answer", resp->status,
			detail, attempt + 1);
	}
}
