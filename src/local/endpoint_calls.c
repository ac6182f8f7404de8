/*
 * Following a function's AWS calls through the local endpoint
 * (endpoint_calls.h).
 */
#include "core/common.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/timeutil.h"
#include "local/cloudwatch/cw.h"
#include "local/endpoint_calls.h"

#define CALL_TRACE_MAX	64
#define CALL_TARGET_MAX 128

struct call_slot {
	uint32_t gen;
	struct cloudwatch *cw;
	int64_t start_ms, start_ns;
	char trace[CALL_TRACE_MAX];
	char service[16];
	char op[64];
	char target[CALL_TARGET_MAX];
};

static struct call_slot slots[ENDPOINT_CALLS_MAX];
static uint32_t next_slot, next_gen;

static bool has_query(const char *uri, const char *name)
{
	const char *q = strchr(uri, '?');
	size_t n = strlen(name);

	for (const char *p = q; p && *p; p = strchr(p + 1, '&'))
		if (!strncmp(p + 1, name, n) &&
		    (p[1 + n] == '\0' || p[1 + n] == '=' || p[1 + n] == '&'))
			return true;
	return false;
}

/* The bucket and whether a key follows, path-style (/bucket/key) or from the Host name. */
static void bucket_of(struct evhttp_request *req, char *bucket, size_t cap, bool *has_key)
{
	const char *uri = evhttp_request_get_uri(req);
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	const char *dot = host ? strstr(host, ".localhost") : NULL;
	const char *p = uri ? uri + 1 : "";
	size_t n = strcspn(p, "/?");

	if (dot) {
		snprintf(bucket, cap, "%.*s", (int)(dot - host), host);
		*has_key = n > 0;
		return;
	}
	snprintf(bucket, cap, "%.*s", (int)n, p);
	*has_key = p[n] == '/' && p[n + 1] && p[n + 1] != '?';
}

const char *endpoint_s3_operation(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	char bucket[CALL_TARGET_MAX];
	bool key;

	uri = uri ? uri : "/";
	bucket_of(req, bucket, sizeof(bucket), &key);
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		if (!bucket[0])
			return "ListBuckets";
		if (!key)
			return has_query(uri, "list-type") ? "ListObjectsV2"
			       : has_query(uri, "uploads") ? "ListMultipartUploads"
							   : "ListObjects";
		return has_query(uri, "uploadId") ? "ListParts" : "GetObject";
	case EVHTTP_REQ_HEAD:
		return key ? "HeadObject" : "HeadBucket";
	case EVHTTP_REQ_PUT:
		if (!key)
			return "CreateBucket";
		if (has_query(uri, "partNumber"))
			return "UploadPart";
		return evhttp_find_header(evhttp_request_get_input_headers(req),
					  "x-amz-copy-source")
			       ? "CopyObject"
			       : "PutObject";
	case EVHTTP_REQ_DELETE:
		if (!key)
			return "DeleteBucket";
		return has_query(uri, "uploadId") ? "AbortMultipartUpload" : "DeleteObject";
	case EVHTTP_REQ_POST:
		if (has_query(uri, "delete"))
			return "DeleteObjects";
		if (has_query(uri, "uploads"))
			return "CreateMultipartUpload";
		return has_query(uri, "uploadId") ? "CompleteMultipartUpload" : "PostObject";
	default:
		return "S3";
	}
}

static void call_end(struct evhttp_request *req, void *arg)
{
	uintptr_t tag = (uintptr_t)arg;
	struct call_slot *s = &slots[tag % ENDPOINT_CALLS_MAX];
	struct cw_call c = {0};

	if (s->gen != (uint32_t)(tag / ENDPOINT_CALLS_MAX) || !s->cw)
		return;
	c.trace_root = s->trace;
	c.service = s->service;
	c.operation = s->op;
	c.target = s->target;
	c.status = evhttp_request_get_response_code(req);
	c.start_ms = s->start_ms;
	c.duration_ms = (double)(time_mono_ns() - s->start_ns) / 1e6;
	cw_request_call(s->cw, &c);
	s->cw = NULL;
}

void endpoint_call_begin(struct cloudwatch *cw, struct evhttp_request *req, const char *service)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *trace = evhttp_find_header(h, "X-Amzn-Trace-Id"), *root;
	uint32_t i = next_slot++ % ENDPOINT_CALLS_MAX;
	struct call_slot *s = &slots[i];
	bool key;
	size_t n;

	if (!cw || !trace || !(root = strstr(trace, "Root=")))
		return;
	root += 5;
	n = strcspn(root, ";");
	if (n >= sizeof(s->trace))
		return;
	memset(s, 0, sizeof(*s));
	s->gen = ++next_gen;
	s->cw = cw;
	s->start_ms = time_now_ms();
	s->start_ns = time_mono_ns();
	memcpy(s->trace, root, n);
	snprintf(s->service, sizeof(s->service), "%s", service);
	if (!strcmp(service, "s3")) {
		snprintf(s->op, sizeof(s->op), "%s", endpoint_s3_operation(req));
		bucket_of(req, s->target, sizeof(s->target), &key);
	} else {
		const char *t = evhttp_find_header(h, "X-Amz-Target");
		const char *dot = t ? strchr(t, '.') : NULL;

		snprintf(s->op, sizeof(s->op), "%s", dot ? dot + 1 : "?");
	}
	evhttp_request_set_on_complete_cb(req, call_end,
					  (void *)((uintptr_t)s->gen * ENDPOINT_CALLS_MAX + i));
}
