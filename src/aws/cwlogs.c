/*
 * The CloudWatch Logs client (cwlogs.h): the request path of aws/request.h
 * with Logs' headers and Logs' JSON errors.
 */
#include "core/common.h"

#include "aws/cwlogs.h"
#include "aws/request.h"
#include "core/buf.h"
#include "core/json.h"

#define CWLOGS_TARGET_PREFIX "Logs_20140328."
#define CWLOGS_CONTENT_TYPE  "application/x-amz-json-1.1"
#define CWLOGS_URL_MAX	     1024
#define CWLOGS_BODY_MAX	     ((size_t)1 << 20)	/* PutLogEvents' limit; requests here are small */
#define CWLOGS_ANSWER_MAX    ((size_t)16 << 20) /* FilterLogEvents returns at most 1 MB of events */
#define CWLOGS_DEADLINE_MS   30000

struct cwlogs_client {
	struct aws_client aws;
	char url[CWLOGS_URL_MAX];
	char host[CWLOGS_URL_MAX];
};

static const struct aws_retry cwlogs_retry = {3, 100, 2000};

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int cwlogs_client_new(const char *endpoint, struct cwlogs_client **out)
{
	struct cwlogs_client *c = calloc(1, sizeof(*c));
	const char *host;
	int err;

	*out = NULL;
	if (!c)
		return ERR_NOMEM;
	if ((err = aws_client_init(&c->aws, NULL))) {
		free(c);
		return err;
	}
	if (!endpoint)
		endpoint = env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
	if (!endpoint)
		endpoint = env("AWS_ENDPOINT_URL");
	if (endpoint)
		snprintf(c->url, sizeof(c->url), "%.*s", (int)strcspn(endpoint, "?#"), endpoint);
	else
		snprintf(c->url, sizeof(c->url), "https://logs.%s.amazonaws.com",
			 c->aws.cfg.region);
	while (strlen(c->url) > 8 && c->url[strlen(c->url) - 1] == '/')
		c->url[strlen(c->url) - 1] = '\0';
	host = strstr(c->url, "://");
	if (strncmp(c->url, "http://", 7) && strncmp(c->url, "https://", 8)) {
		cwlogs_client_free(c);
		return ERR_CONFIG;
	}
	snprintf(c->host, sizeof(c->host), "%.*s", (int)strcspn(host + 3, "/"), host + 3);
	*out = c;
	return 0;
}

void cwlogs_client_free(struct cwlogs_client *c)
{
	if (!c)
		return;
	aws_client_release(&c->aws);
	free(c);
}

const char *cwlogs_endpoint(const struct cwlogs_client *c)
{
	return c->url;
}

/* Logs' error answer: {"__type":"[namespace#]Type","message":"..."}. */
static void read_error(const struct http_response *resp, struct cwlogs_error *e)
{
	json_t *doc = jsonx_parse(resp->body.ptr, resp->body.len, NULL, 0);
	const char *type = jsonx_str(doc, "__type"), *msg = jsonx_str(doc, "message");

	if (!msg)
		msg = jsonx_str(doc, "Message");
	if (type && strchr(type, '#'))
		type = strchr(type, '#') + 1;
	snprintf(e->type, sizeof(e->type), "%s", type ? type : "UnknownError");
	snprintf(e->message, sizeof(e->message), "%s", msg ? msg : "");
	json_decref(doc);
}

static int on_failure(void *ctx, int err, const struct http_response *resp, bool *retry,
		      const char **detail)
{
	struct cwlogs_error *e = ctx;

	memset(e, 0, sizeof(*e));
	if (err) {
		*retry = err == ERR_HTTP;
		snprintf(e->message, sizeof(e->message), "%s", err_str(err));
		return err;
	}
	e->status = resp->status;
	read_error(resp, e);
	*detail = e->type;
	if (!strcmp(e->type, "ThrottlingException") || resp->status == 429) {
		*retry = true;
		return ERR_THROTTLED;
	}
	*retry = resp->status >= 500;
	return ERR_REMOTE;
}

int cwlogs_call(struct cwlogs_client *c, const char *op, const json_t *request, json_t **response,
		struct cwlogs_error *e)
{
	char target[128];
	const struct http_header headers[] = {
		{"Host", c->host},
		{"Content-Type", CWLOGS_CONTENT_TYPE},
		{"X-Amz-Target", target},
	};
	struct http_response resp;
	struct buf body;
	int err;

	*response = NULL;
	memset(e, 0, sizeof(*e));
	snprintf(target, sizeof(target), CWLOGS_TARGET_PREFIX "%s", op);
	buf_init(&body, CWLOGS_BODY_MAX);
	if ((err = jsonx_dump(request, &body, 0))) {
		buf_release(&body);
		return err;
	}
	const struct aws_request req = {
		.service = "logs",
		.op = op,
		.method = "POST",
		.url = c->url,
		.headers = headers,
		.n_headers = ARRAY_SIZE(headers),
		.body = body.ptr,
		.body_len = body.len,
		.max_body = CWLOGS_ANSWER_MAX,
		.max_error_body = 1u << 20,
		.deadline_ms = 0,
	};
	http_response_init(&resp);
	err = aws_request_send(&c->aws, &req, &cwlogs_retry, on_failure, e, &resp);
	if (!err) {
		*response = resp.body.len ? jsonx_parse(resp.body.ptr, resp.body.len, NULL, 0)
					  : json_object();
		if (!json_is_object(*response)) {
			json_decref(*response);
			*response = NULL;
			err = ERR_PARSE;
		}
	}
	http_response_release(&resp);
	buf_release(&body);
	return err;
}
