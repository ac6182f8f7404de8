/*
 * The local AWS endpoint (see aws_endpoint.h): one evhttp server on the
 * caller's event loop. It tells services apart by the X-Amz-Target header
 * (DynamoDB's JSON protocol names its operation there) and hands everything
 * else to the S3 server. evhttp reads whole bodies into memory, so the body
 * size is capped (S3_MAX_BODY), and so is the head: the framing guard
 * (http/guard.h) reads every request first and refuses beyond the caps, at
 * once, in the words of the service the request was for (on_refused()).
 *
 * DynamoDB requests are verified here (SigV4, service "dynamodb") and then
 * submitted to the DynamoDB server, whose group commit answers them once
 * their transaction is committed, possibly in a later callback: the evhttp
 * request is owned meanwhile (evhttp_request_own()), so that a client
 * hanging up cannot free it under us; answering it frees it.
 */
#include "core/common.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/sigv4.h"
#include "core/buf.h"
#include "http/guard.h"
#include "http/server.h"
#include "core/log.h"
#include "core/uuid.h"
#include "local/cloudwatch/cw.h"
#include "local/endpoint.h"
#include "local/endpoint_calls.h"
#include "local/dynamodb/ddb_server.h"
#include "local/s3/s3_notify.h"
#include "local/s3/s3_server.h"
#include "local/s3/s3_store.h"

#define ENDPOINT_MAX_HEADERS	 (64u << 10) /* bytes of one request's header block */
#define ENDPOINT_TIMEOUT_SECONDS 120	     /* idle connection / slow upload */
#define DDB_DB_FILE		 "dynamodb.sqlite"

/* DynamoDB's error type prefix for errors raised before the service (auth). */
#define CORAL "com.amazon.coral.service#"

struct aws_endpoint {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct s3_server *s3;
	struct cloudwatch *cw;	/* CloudWatch Logs and metrics, the /_sluice/ dashboard */
	struct ddb_server *ddb; /* opened on first use */
	bool ddb_failed;	/* opening it failed: not tried again */
	bool fsync;
	char *ddb_path;
	char *access_key_id;
	char *secret;
	char *region;
	uint16_t port;
	/* Reads every request before evhttp does (http/guard.h). */
	struct http_guard *guard;
};

/* ---- DynamoDB -------------------------------------------------------------------------- */

/* The DynamoDB server, opened on first use. NULL when it cannot be. */
static struct ddb_server *ddb_get(struct aws_endpoint *ep)
{
	if (ep->ddb || ep->ddb_failed)
		return ep->ddb;
	if (ddb_server_new(ep->ddb_path, &ep->ddb) ||
	    ddb_server_use_event_base(ep->ddb, ep->base) ||
	    ddb_server_set_fsync(ep->ddb, ep->fsync)) {
		log_msg(LVL_ERROR,
			"dynamodb: cannot open %s (is another sluice using this data "
			"directory?); DynamoDB requests fail until a restart",
			ep->ddb_path);
		ddb_server_free(ep->ddb);
		ep->ddb = NULL;
		ep->ddb_failed = true;
	}
	return ep->ddb;
}

static void ddb_headers(struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	char id[UUID_STR_LEN + 1] = "00000000-0000-4000-8000-000000000000";

	uuid_v4(id);
	evhttp_add_header(out, "Content-Type", DDB_CONTENT_TYPE);
	evhttp_add_header(out, "x-amzn-RequestId", id);
}

static const char *reason_phrase(int status)
{
	return http_status_phrase(status);
}

/* The answer of ddb_server_submit(): sending it frees the (owned) request. */
static void ddb_done(void *arg, int status, const struct buf *resp)
{
	struct evhttp_request *req = arg;
	struct evbuffer *b = evbuffer_new();

	ddb_headers(req);
	if (b && resp->len)
		evbuffer_add(b, resp->ptr, resp->len);
	evhttp_send_reply(req, status, reason_phrase(status), b);
	if (b)
		evbuffer_free(b);
}

/* A DynamoDB error answered by the endpoint itself (authentication, storage). */
static void ddb_error(struct evhttp_request *req, int status, const char *type, const char *msg)
{
	json_t *j = json_pack("{s:s+,s:s}", "__type", CORAL, type, "message", msg);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct evbuffer *b = evbuffer_new();

	ddb_headers(req);
	if (b && text)
		evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, status, reason_phrase(status), b);
	if (b)
		evbuffer_free(b);
	free(text);
	json_decref(j);
}

static const char *lookup_secret(void *ctx, struct str akid)
{
	struct aws_endpoint *ep = ctx;

	return str_eq_cstr(akid, ep->access_key_id) ? ep->secret : NULL;
}

/* SigV4 as DynamoDB checks it; answers and returns false on refusal. */
static bool ddb_authenticate(struct aws_endpoint *ep, struct evhttp_request *req, const char *body,
			     size_t len)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	/* As many headers as came: the guard capped the head's size. */
	struct sigv4_header *hs = calloc(http_header_count(in) + 1, sizeof(*hs));
	const char *uri = evhttp_request_get_uri(req), *q;
	struct sigv4_result res;
	struct evkeyval *kv;
	size_t n = 0;
	bool ok = false;

	if (!hs) {
		ddb_error(req, 500, "InternalFailure", "The request processing has failed.");
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
		.method = "POST", /* ddb_request() lets nothing else through */
		.path = q ? str_make(uri, (size_t)(q - uri)) : str_from(uri),
		.query = q ? str_from(q + 1) : str_from(""),
		.headers = hs,
		.n_headers = n,
		.body = body,
		.body_len = len,
	};
	struct sigv4_verify_params vp = {
		.region = ep->region,
		.service = "dynamodb",
		.now = time(NULL),
		.lookup = lookup_secret,
		.lookup_ctx = ep,
	};
	sigv4_result_init(&res);
	if (sigv4_verify(&sr, &vp, &res)) {
		ddb_error(req, 500, "InternalFailure", "The request processing has failed.");
		goto out;
	}
	switch (res.status) {
	case SIGV4_OK:
		ok = true;
		break;
	case SIGV4_MISSING:
		ddb_error(req, 400, "MissingAuthenticationTokenException",
			  "Request is missing Authentication Token");
		break;
	case SIGV4_MALFORMED:
		ddb_error(req, 400, "IncompleteSignatureException", res.message);
		break;
	case SIGV4_WRONG_REGION: {
		char msg[128 + SIGV4_MAX_REGION_LEN];

		/* DynamoDB's words; the trailing space is theirs. */
		snprintf(msg, sizeof(msg),
			 "Credential should be scoped to a valid region, not '%s'. ",
			 res.scope_region);
		ddb_error(req, 400, "InvalidSignatureException", msg);
		break;
	}
	case SIGV4_UNKNOWN_KEY:
		ddb_error(req, 400, "UnrecognizedClientException",
			  "The security token included in the request is invalid.");
		break;
	case SIGV4_SKEW:
	case SIGV4_EXPIRED:
		ddb_error(req, 400, "InvalidSignatureException",
			  "Signature expired: the request time is more than 15 minutes from "
			  "the current time.");
		break;
	case SIGV4_MISMATCH:
	case SIGV4_HASH_MISMATCH:
	case SIGV4_UNSIGNED_HEADER:
		ddb_error(req, 400, "InvalidSignatureException",
			  "The request signature we calculated does not match the signature you "
			  "provided. Check your AWS Secret Access Key and signing method. Consult "
			  "the service documentation for details.");
		break;
	}
out:
	sigv4_result_release(&res);
	free(hs);
	return ok;
}

static void ddb_request(struct aws_endpoint *ep, struct evhttp_request *req, const char *target)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
	struct ddb_server *ddb;

	if (len && !body) {
		ddb_error(req, 500, "InternalFailure", "The request processing has failed.");
		return;
	}
	/* DynamoDB serves its API over POST only; other methods find no operation. */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		ddb_error(req, 404, "UnknownOperationException",
			  "DynamoDB operations are called with POST.");
		return;
	}
	if (!ddb_authenticate(ep, req, body, len))
		return;
	ddb = ddb_get(ep);
	if (!ddb) {
		ddb_error(req, 500, "InternalFailure",
			  "The local DynamoDB database could not be opened (see the sluice log).");
		return;
	}
	evhttp_request_own(req);
	ddb_server_submit(ddb, target, body, len, ddb_done, req);
}

/* ---- Dispatch -------------------------------------------------------------------------- */

/* Fields of a refused request the answer needs: which service, which bucket. */
static const char *const guard_keep[] = {"X-Amz-Target", "Host", NULL};

/*
 * A request the framing guard refused, answered as the service it was for.
 * DynamoDB documents no answer for these; its JSON error, with the status
 * and a type named after it, is the closest (docs/security.md).
 */
static void on_refused(struct evhttp_request *req, const struct http_guard_refusal *r, void *arg)
{
	struct aws_endpoint *ep = arg;
	const char *target =
		evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");

	if (!target || strncmp(target, "DynamoDB_", 9)) {
		s3_server_refuse(ep->s3, req, r);
		return;
	}
	log_msg(LVL_WARN, "dynamodb: refused %s: %s", target, http_framing_reason_text(r->reason));
	ddb_error(req, r->status,
		  r->status == 413   ? "RequestEntityTooLarge"
		  : r->status == 431 ? "RequestHeaderFieldsTooLarge"
		  : r->status == 501 ? "NotImplemented"
				     : "SerializationException",
		  http_framing_reason_text(r->reason));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct aws_endpoint *ep = arg;
	const char *target =
		evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");
	enum cw_service cw = cw_classify(req);

	if (cw != CW_NONE) {
		cw_handle(ep->cw, req, cw);
		return;
	}
	if (target && !strncmp(target, "DynamoDB_", 9)) {
		endpoint_call_begin(ep->cw, req, "dynamodb"); /* the dashboard's view of calls */
		ddb_request(ep, req, target);
		return;
	}
	endpoint_call_begin(ep->cw, req, "s3");
	s3_server_handle(ep->s3, req);
}

int aws_endpoint_new(struct event_base *base, const char *address, uint16_t port,
		     const struct aws_endpoint_credentials *creds, const char *data_dir,
		     struct aws_endpoint **out)
{
	if (!base || !data_dir || !out)
		return ERR_INVAL;
	*out = NULL;
	const char *akid = creds && creds->access_key_id ? creds->access_key_id
							 : AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID;
	const char *secret = creds && creds->secret_access_key ? creds->secret_access_key
							       : AWS_ENDPOINT_DEFAULT_SECRET;
	struct aws_endpoint *ep = calloc(1, sizeof(*ep));
	struct buf root;
	int rc;
	buf_init(&root, 4096);
	if (!ep)
		return ERR_NOMEM;
	ep->base = base;
	ep->access_key_id = strdup(akid);
	ep->secret = strdup(secret);
	ep->region = strdup(creds && creds->region ? creds->region : AWS_ENDPOINT_DEFAULT_REGION);
	if (!ep->access_key_id || !ep->secret || !ep->region) {
		rc = ERR_NOMEM;
		goto fail;
	}
	if (mkdir(data_dir, 0755) && errno != EEXIST) {
		rc = ERR_IO;
		goto fail;
	}
	if ((rc = buf_addf(&root, "%s/s3", data_dir)))
		goto fail;
	if ((rc = s3_server_new(root.ptr, akid, secret, &ep->s3)) ||
	    (rc = s3_server_set_region(ep->s3, ep->region)))
		goto fail;
	buf_reset(&root);
	if ((rc = buf_addf(&root, "%s/" DDB_DB_FILE, data_dir)))
		goto fail;
	ep->ddb_path = strdup(root.ptr);
	if (!ep->ddb_path) {
		rc = ERR_NOMEM;
		goto fail;
	}
	struct cw_config cwc = {data_dir, ep->region, akid, secret, 0, NULL};
	if ((rc = cw_new(base, &cwc, &ep->cw)))
		goto fail;
	ep->http = evhttp_new(base);
	if (!ep->http) {
		rc = ERR_NOMEM;
		goto fail;
	}
	struct http_guard_config guard = {
		.base = base,
		.limits = {ENDPOINT_MAX_HEADERS, ENDPOINT_MAX_HEADERS, S3_MAX_BODY},
		.handler = on_request,
		.refuse = on_refused,
		.arg = ep,
		.keep_fields = guard_keep,
	};
	if ((rc = http_guard_new(&guard, &ep->guard)))
		goto fail;
	http_guard_attach(ep->guard, ep->http); /* its caps, bufferevents and callback */
	evhttp_set_timeout(ep->http, ENDPOINT_TIMEOUT_SECONDS);
	evhttp_set_default_content_type(ep->http, "application/xml");
	evhttp_set_allowed_methods(ep->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	ep->sock = evhttp_bind_socket_with_handle(ep->http, address ? address : "127.0.0.1", port);
	if (!ep->sock) {
		log_msg(LVL_ERROR, "aws endpoint: cannot listen on %s:%u",
			address ? address : "127.0.0.1", port);
		rc = ERR_IO;
		goto fail;
	}
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(ep->sock), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			ep->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			ep->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	buf_release(&root);
	*out = ep;
	return 0;
fail:
	buf_release(&root);
	aws_endpoint_free(ep);
	return rc;
}

int aws_endpoint_create_bucket(struct aws_endpoint *ep, const char *name)
{
	if (!ep || !name)
		return ERR_INVAL;
	return s3_server_create_bucket(ep->s3, name);
}

int aws_endpoint_create_table(struct aws_endpoint *ep, json_t *create_table_request)
{
	struct ddb_server *ddb;

	if (!ep || !create_table_request)
		return ERR_INVAL;
	ddb = ddb_get(ep);
	if (!ddb)
		return ERR_IO;
	return ddb_server_create_table_from_spec(ddb, create_table_request);
}

void aws_endpoint_set_fsync(struct aws_endpoint *ep, bool on)
{
	if (!ep)
		return;
	ep->fsync = on;
	s3_server_set_fsync(ep->s3, on);
	if (ep->ddb && ddb_server_set_fsync(ep->ddb, on))
		log_msg(LVL_ERROR, "dynamodb: cannot change the synchronous setting");
}

/* ---- Objects for the local front -------------------------------------------------------- */

int aws_endpoint_object_get(struct aws_endpoint *ep, const char *bucket, struct str key,
			    struct aws_endpoint_object *out, int *fd)
{
	struct s3_bucket *b =
		ep && bucket ? s3_store_bucket(s3_server_store(ep->s3), str_from(bucket)) : NULL;
	const struct s3_object *o;

	memset(out, 0, sizeof(*out));
	if (!b)
		return ERR_CONFIG;
	o = s3_bucket_find(b, key);
	if (!o)
		return ERR_NOTFOUND;
	out->content_type = strdup(o->content_type);
	if (!out->content_type)
		return ERR_NOMEM;
	out->size = o->size;
	snprintf(out->etag, sizeof(out->etag), "%s", o->etag);
	out->last_modified_ms = o->last_modified_ms;
	if (fd && s3_object_open(b, o, fd)) {
		free(out->content_type);
		out->content_type = NULL;
		return ERR_IO;
	}
	return 0;
}

int aws_endpoint_object_put(struct aws_endpoint *ep, const char *bucket, struct str key,
			    const char *content_type, const void *data, size_t len)
{
	struct s3_bucket *b =
		ep && bucket ? s3_store_bucket(s3_server_store(ep->s3), str_from(bucket)) : NULL;
	struct s3_writer w;
	int err;

	if (!b)
		return ERR_CONFIG;
	err = s3_writer_begin(b, &w);
	if (err)
		return err;
	err = s3_writer_write(&w, data, len);
	if (!err)
		err = s3_writer_commit(&w, key, content_type, NULL, NULL, NULL);
	if (err)
		s3_writer_abort(&w);
	return err;
}

void aws_endpoint_on_s3_created(struct aws_endpoint *ep,
				void (*fn)(void *ctx, const struct s3_created *ev), void *ctx)
{
	if (ep)
		s3_server_on_created(ep->s3, fn, ctx);
}

struct cloudwatch *aws_endpoint_cloudwatch(struct aws_endpoint *ep)
{
	return ep ? ep->cw : NULL;
}

uint16_t aws_endpoint_port(const struct aws_endpoint *ep)
{
	return ep ? ep->port : 0;
}

void aws_endpoint_free(struct aws_endpoint *ep)
{
	if (!ep)
		return;
	/* Answers the requests of an open group commit first (they are owned). */
	ddb_server_free(ep->ddb);
	cw_free(ep->cw); /* ends the dashboard's streams while their connections live */
	if (ep->http)
		evhttp_free(ep->http);
	http_guard_free(ep->guard);
	s3_server_free(ep->s3);
	free(ep->ddb_path);
	free(ep->access_key_id);
	free(ep->secret);
	free(ep->region);
	free(ep);
}
