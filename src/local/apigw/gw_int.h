/*
 * The insides of the local API Gateway (gateway.h), shared by its files and
 * by nothing else:
 *
 *   gateway.c    the server: reading a request, the calls to the pool, and
 *                API Gateway's own answers (gw_send_*)
 *   gw_routes.c  the route table and matching (gw_routes.h; no libevent)
 *   gw_cors.c    CORS: preflights answered by the gateway, and the headers
 *                added to a function's answer
 *   gw_iam.c     the AWS_IAM authorizer: SigV4 (service execute-api) against
 *                the local credentials, and API Gateway's refusals
 *   gw_guard.c   API Gateway's answers to what the framing guard refuses
 *
 * Everything runs on the gateway's event_base, single-threaded.
 */
#ifndef SLUICE_LOCAL_GW_INT_H
#define SLUICE_LOCAL_GW_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/sigv4.h"
#include "core/log.h"
#include "lambda/apigw.h"
#include "local/apigw/gateway.h"

struct evhttp_request;
struct evkeyvalq;
struct http_guard_refusal;

/*
 * Everything one request borrows while it is checked and its event built.
 * Heap-allocated per request (about 12 KB of header slots).
 */
struct gw_req {
	const char *method;
	char *path;	   /* the raw path, no query or fragment; a heap copy */
	const char *query; /* the raw query, after the NUL of `path`; "" when none */
	struct apigw_pair headers[GATEWAY_MAX_HEADERS]; /* borrowed from evhttp */
	struct sigv4_header sheaders[GATEWAY_MAX_HEADERS];
	size_t nheaders;
	const char *body; /* NULL when empty */
	size_t body_len;
};

/* The local credentials that AWS_IAM routes accept. */
struct gw_creds {
	char *access_key_id;
	char *secret;
	char *region; /* the region a signature's scope must name */
};

/* ---- gateway.c: API Gateway's answers ---- */

/* The request id headers of API Gateway: x-amzn-RequestId (REST) or apigw-requestid (HTTP). */
void gw_add_common_headers(struct evhttp_request *req, int version, const char *request_id);

/* Answer `status` with the JSON `body` and, when not NULL, x-amzn-ErrorType. */
void gw_send_json(struct evhttp_request *req, int version, const char *request_id, int status,
		  const char *error_type, const char *body);

/* Answer {"message":"<text>"}, the text JSON-escaped. */
void gw_send_message(struct evhttp_request *req, int version, const char *request_id, int status,
		     const char *error_type, const char *text);

/* 502 {"message": "Internal server error"} (REST) or 500 {"message":"Internal Server Error"}. */
void gw_send_internal_error(struct evhttp_request *req, int version, const char *request_id);

/*
 * One log line for a refused or failed request: method, path and status;
 * the route key and function when `route` is not NULL; the function's
 * errorType and errorMessage when not NULL or empty.
 */
void gw_log_refusal(enum log_level lvl, const char *method, const char *path,
		    const struct gateway_route_spec *route, const char *route_key, int status,
		    const char *why, const char *error_type, const char *error_message);

/* ---- gw_cors.c ---- */

/*
 * Is `origin` allowed by `list` ("*", or origins separated by commas, each
 * compared whole after trimming spaces)? False for a NULL list.
 */
bool gw_cors_origin_allowed(const char *list, const char *origin);

/*
 * Answer a CORS preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) from the configuration of the API that owns
 * the path, as HTTP APIs do. Returns true when `req` has been answered (204),
 * false when it is not a preflight or no route has CORS: it is then an
 * ordinary request.
 */
bool gw_cors_preflight(const struct gateway_routes *rt, struct evhttp_request *req,
		       const struct gw_req *g, const char *request_id);

/*
 * The CORS headers of a function's answer (Access-Control-Allow-Origin and
 * friends) into `h`, unless the function set Access-Control-Allow-Origin
 * itself. No-op when `cors` or `origin` is NULL or the origin is not allowed.
 */
void gw_cors_add_headers(struct evkeyvalq *h, const struct gateway_cors *cors, const char *origin);

/* ---- gw_iam.c ---- */

/*
 * The AWS_IAM authorizer for a request to `route`. Returns true, with the
 * caller's access key id in `access_key` (`ak_cap` bytes), when the SigV4
 * signature is good; otherwise `req` has been answered as API Gateway
 * refuses (403, or 500 when the check itself failed) and the refusal logged.
 */
bool gw_iam_check(const struct gw_creds *creds, struct evhttp_request *req,
		  const struct gateway_route_spec *route, const char *route_key, const char *rid,
		  const struct gw_req *g, char *access_key /* OUT */, size_t ak_cap);

/* ---- gw_guard.c ---- */

/*
 * Answer a request the framing guard refused (http/guard.h) as API Gateway
 * does, for the API of the route it matches in `rt` (else the default one),
 * and log the refusal.
 */
void gw_guard_answer(const struct gateway_routes *rt, struct evhttp_request *req,
		     const struct http_guard_refusal *r);

#endif
