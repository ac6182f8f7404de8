/*
 * The CloudWatch APIs over HTTP (cw.h): which protocol a request speaks,
 * its SigV4 signature (service "logs" or "monitoring", the local
 * credentials), the operation, and the answer in the request's protocol:
 *
 *   Logs JSON 1.1    application/x-amz-json-1.1, errors {"__type","message"}
 *   metrics CBOR     application/cbor and smithy-protocol: rpc-v2-cbor, errors
 *                    {"__type","message"} in CBOR
 *   metrics JSON 1.0 application/x-amz-json-1.0, errors as JSON 1.1
 *   metrics query    text/xml, errors <ErrorResponse>
 *
 * CloudWatch metrics is "query compatible": the JSON and CBOR errors also
 * carry x-amzn-query-error "<Code>;Sender", which botocore reads to give
 * the same error codes the query protocol has (InvalidParameterValue...).
 */
#include "core/common.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "aws/sigv4.h"
#include "core/json.h"
#include "core/uuid.h"
#include "http/server.h"
#include "local/cloudwatch/cw_cbor.h"
#include "local/cloudwatch/cw_int.h"

#define CW_LOGS_TARGET "Logs_20140328."
#define CW_MON_TARGET  "GraniteServiceVersion20100801."
#define CW_CBOR_PATH   "/service/GraniteServiceVersion20100801/operation/"
#define CW_DASH_PREFIX "/_sluice"
#define CW_BODY_MAX    ((size_t)1 << 20) /* PutMetricData and PutLogEvents take 1 MB */
#define CW_ANSWER_MAX  ((size_t)16 << 20)
#define CW_OP_NAME_MAX 64

static bool has_prefix(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* "Credential=AKID/20240101/us-east-1/monitoring/aws4_request": the service is "monitoring". */
static bool signed_for(const char *authorization, const char *service)
{
	const char *c = authorization ? strstr(authorization, "Credential=") : NULL;
	char want[64];

	if (!c)
		return false;
	snprintf(want, sizeof(want), "/%s/aws4_request", service);
	c = strstr(c, want);
	return c != NULL;
}

enum cw_service cw_classify(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *uri = evhttp_request_get_uri(req);
	const char *target = evhttp_find_header(h, "X-Amz-Target");
	const char *ct = evhttp_find_header(h, "Content-Type");

	if (uri && has_prefix(uri, CW_DASH_PREFIX) &&
	    (uri[8] == '\0' || uri[8] == '/' || uri[8] == '?'))
		return CW_DASHBOARD;
	if (has_prefix(target, CW_LOGS_TARGET))
		return CW_LOGS;
	if (has_prefix(target, CW_MON_TARGET) || has_prefix(uri, CW_CBOR_PATH))
		return CW_MONITORING;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_POST && uri &&
	    (!strcmp(uri, "/") || has_prefix(uri, "/?")) &&
	    has_prefix(ct, "application/x-www-form-urlencoded")) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t len = evbuffer_get_length(in);
		const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";

		if (signed_for(evhttp_find_header(h, "Authorization"), "monitoring") ||
		    (body && memmem(body, len, "Version=2010-08-01", 18)))
			return CW_MONITORING;
	}
	return CW_NONE;
}

/* ---- answers ---- */

struct cw_call_ctx {
	struct evhttp_request *req;
	enum cw_service svc;
	enum cw_proto proto;
	char op[CW_OP_NAME_MAX];
	char request_id[UUID_STR_LEN + 1];
};

static const char *content_type(enum cw_proto p)
{
	switch (p) {
	case CW_PROTO_JSON11:
		return "application/x-amz-json-1.1";
	case CW_PROTO_JSON10:
		return "application/x-amz-json-1.0";
	case CW_PROTO_CBOR:
		return "application/cbor";
	default:
		return "text/xml";
	}
}

static void send_answer(struct cw_call_ctx *c, int status, const struct buf *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(h, "Content-Type", content_type(c->proto));
	evhttp_add_header(h, "x-amzn-RequestId", c->request_id);
	if (c->proto == CW_PROTO_CBOR)
		evhttp_add_header(h, "smithy-protocol", "rpc-v2-cbor");
	if (out && body->len)
		evbuffer_add(out, body->ptr, body->len);
	evhttp_send_reply(c->req, status, status == 200 ? "OK" : "Bad Request", out);
	if (out)
		evbuffer_free(out);
}

/* A JSON or CBOR body of `v`. */
static int encode(enum cw_proto p, const json_t *v, struct buf *b)
{
	static const struct cw_cbor_opts opts = {cw_is_time_key};

	if (p == CW_PROTO_CBOR)
		return cw_cbor_encode(v, &opts, b);
	return jsonx_dump(v, b, 0);
}

static void send_error(struct cw_call_ctx *c, const struct cw_error *e)
{
	struct buf b;
	int err;

	buf_init(&b, CW_ANSWER_MAX);
	if (c->proto == CW_PROTO_QUERY) {
		err = cw_query_error(e, c->request_id, &b);
	} else {
		json_t *j = json_pack("{s:s,s:s}", "__type", e->code, "message", e->message);

		err = j ? encode(c->proto, j, &b) : ERR_NOMEM;
		json_decref(j);
		if (c->svc == CW_MONITORING) {
			char q[96];

			snprintf(q, sizeof(q), "%s;%s", e->code,
				 e->receiver ? "Receiver" : "Sender");
			evhttp_add_header(evhttp_request_get_output_headers(c->req),
					  "x-amzn-query-error", q);
		}
	}
	if (err) {
		evhttp_send_error(c->req, 500, NULL);
	} else {
		send_answer(c, e->status ? e->status : 400, &b);
	}
	buf_release(&b);
}

static void send_result(struct cw_call_ctx *c, const json_t *out)
{
	struct buf b;
	int err;

	buf_init(&b, CW_ANSWER_MAX);
	err = c->proto == CW_PROTO_QUERY ? cw_query_encode(c->op, out, c->request_id, &b)
					 : encode(c->proto, out, &b);
	if (err) {
		struct cw_error e = {.status = 500, .receiver = true};

		cw_fail(&e, "InternalServiceError", "The answer could not be written: %s.",
			err_str(err));
		e.status = 500;
		send_error(c, &e);
	} else {
		send_answer(c, 200, &b);
	}
	buf_release(&b);
}

/* ---- authentication ---- */

static const char *lookup_secret(void *ctx, struct str akid)
{
	struct cloudwatch *cw = ctx;

	return str_eq_cstr(akid, cw->akid) ? cw->secret : NULL;
}

/* The error of a refused signature, in the words of the API (JSON coral or query). */
static void auth_error(const struct cw_call_ctx *c, const struct sigv4_result *res,
		       struct cw_error *e)
{
	bool query = c->svc == CW_MONITORING;

	switch (res->status) {
	case SIGV4_MISSING:
		cw_fail(e,
			query ? "MissingAuthenticationToken"
			      : "MissingAuthenticationTokenException",
			"Request is missing Authentication Token");
		break;
	case SIGV4_MALFORMED:
		cw_fail(e, query ? "IncompleteSignature" : "IncompleteSignatureException", "%s",
			res->message);
		break;
	case SIGV4_UNKNOWN_KEY:
		cw_fail(e, query ? "InvalidClientTokenId" : "UnrecognizedClientException",
			"The security token included in the request is invalid.");
		break;
	case SIGV4_WRONG_REGION:
		cw_fail(e, query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
			"Credential should be scoped to a valid region, not '%s'.",
			res->scope_region);
		break;
	case SIGV4_SKEW:
	case SIGV4_EXPIRED:
		cw_fail(e, query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
			"Signature expired: the request time is more than 15 minutes from the "
			"current time.");
		break;
	default:
		cw_fail(e, query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
			"The request signature we calculated does not match the signature you "
			"provided. Check your AWS Secret Access Key and signing method. Consult "
			"the "
			"service documentation for details.");
		break;
	}
	e->status = query ? (res->status == SIGV4_MALFORMED ? 400 : 403) : 400;
}

static bool authenticate(struct cloudwatch *cw, struct cw_call_ctx *c, const char *body, size_t len,
			 struct cw_error *e)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	/* As many headers as came: the guard in front of the endpoint capped the head's size. */
	struct sigv4_header *hs = calloc(http_header_count(in) + 1, sizeof(*hs));
	const char *uri = evhttp_request_get_uri(c->req), *q;
	struct sigv4_result res;
	struct evkeyval *kv;
	size_t n = 0;
	bool ok = false;

	if (!hs) {
		cw_fail(e, "InternalFailure", "The request processing has failed.");
		e->status = 500;
		return false;
	}
	TAILQ_FOREACH(kv, in, next)
	{
		hs[n].name = str_from(kv->key);
		hs[n].value = str_from(kv->value);
		n++;
	}
	uri = uri ? uri : "/";
	q = strchr(uri, '?');
	struct sigv4_request sr = {
		.method = "POST",
		.path = q ? str_make(uri, (size_t)(q - uri)) : str_from(uri),
		.query = q ? str_from(q + 1) : str_from(""),
		.headers = hs,
		.n_headers = n,
		.body = body,
		.body_len = len,
	};
	struct sigv4_verify_params vp = {
		.region = cw->region,
		.service = c->svc == CW_LOGS ? "logs" : "monitoring",
		.now = time(NULL),
		.lookup = lookup_secret,
		.lookup_ctx = cw,
	};
	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		cw_fail(e, "InternalFailure", "The request processing has failed.");
		e->status = 500;
	} else if (res.status == SIGV4_OK) {
		ok = true;
	} else {
		auth_error(c, &res, e);
	}
	sigv4_result_release(&res);
	free(hs);
	return ok;
}

/* ---- dispatch ---- */

/* The protocol, the operation and the input of a request; 1 with `e` when unreadable. */
static int read_request(struct cw_call_ctx *c, const char *body, size_t len, json_t **in,
			struct cw_error *e)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(c->req);
	const char *target = evhttp_find_header(h, "X-Amz-Target");
	const char *uri = evhttp_request_get_uri(c->req);
	char why[256] = "";
	int err;

	*in = NULL;
	if (c->proto == CW_PROTO_QUERY) {
		err = cw_query_decode(body, len, in, c->op, sizeof(c->op), why, sizeof(why));
	} else if (c->proto == CW_PROTO_CBOR) {
		snprintf(c->op, sizeof(c->op), "%.*s",
			 (int)strcspn(uri + strlen(CW_CBOR_PATH), "?/"),
			 uri + strlen(CW_CBOR_PATH));
		err = len ? cw_cbor_decode(body, len, in, why, sizeof(why))
			  : ((*in = json_object()) ? 0 : ERR_NOMEM);
	} else {
		snprintf(c->op, sizeof(c->op), "%s", strchr(target, '.') + 1);
		*in = len ? jsonx_parse(body, len, why, sizeof(why)) : json_object();
		err = *in ? 0 : ERR_PARSE;
	}
	if (!err && !json_is_object(*in)) {
		snprintf(why, sizeof(why), "the body is not an object");
		err = ERR_PARSE;
	}
	if (err == ERR_NOMEM)
		return err;
	if (err) {
		json_decref(*in);
		*in = NULL;
		return cw_fail(
			e, c->svc == CW_LOGS ? "SerializationException" : "InvalidQueryParameter",
			"The request could not be read: %s", why);
	}
	return 0;
}

void cw_handle(struct cloudwatch *cw, struct evhttp_request *req, enum cw_service svc)
{
	struct evbuffer *inbuf = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(inbuf);
	const char *body = len ? (const char *)evbuffer_pullup(inbuf, -1) : "";
	const char *target =
		evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");
	struct cw_call_ctx c = {.req = req, .svc = svc};
	struct cw_error e = {0};
	json_t *in = NULL, *out = NULL;
	cw_op_fn op;
	int rc;

	if (svc == CW_DASHBOARD) {
		cw_dash_handle(cw->dash, req);
		return;
	}
	uuid_v4(c.request_id);
	c.proto = svc == CW_LOGS					  ? CW_PROTO_JSON11
		  : has_prefix(target, CW_MON_TARGET)			  ? CW_PROTO_JSON10
		  : has_prefix(evhttp_request_get_uri(req), CW_CBOR_PATH) ? CW_PROTO_CBOR
									  : CW_PROTO_QUERY;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		cw_fail(&e, "UnknownOperationException",
			"CloudWatch operations are called with POST.");
		e.status = 404;
		send_error(&c, &e);
		return;
	}
	if (len > CW_BODY_MAX || (len && !body)) {
		cw_fail(&e, svc == CW_LOGS ? "InvalidParameterException" : "RequestEntityTooLarge",
			"The request is larger than 1 MB.");
		e.status = 413;
		send_error(&c, &e);
		return;
	}
	if (!authenticate(cw, &c, body, len, &e)) {
		send_error(&c, &e);
		return;
	}
	rc = read_request(&c, body, len, &in, &e);
	if (rc == 0) {
		op = svc == CW_LOGS ? cw_logs_op(c.op) : cw_mon_op(c.op);
		if (!op)
			rc = cw_fail(&e,
				     svc == CW_LOGS ? "UnknownOperationException" : "InvalidAction",
				     "The operation %s is not supported by the local CloudWatch "
				     "(docs/local-cloud.md lists what is).",
				     c.op[0] ? c.op : "(none)");
		else
			rc = op(cw, in, &out, &e);
	}
	if (rc == 0 && !out && !(out = json_object()))
		rc = ERR_NOMEM;
	if (rc == 0)
		send_result(&c, out);
	else if (rc == 1)
		send_error(&c, &e);
	else
		evhttp_send_error(req, 500, NULL);
	json_decref(in);
	json_decref(out);
}
