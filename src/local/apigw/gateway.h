/*
 * The API Gateway emulator of `sluice dev`: one evhttp server on 127.0.0.1
 * that matches each request against the routes of the template (REST APIs
 * with payload 1.0, HTTP APIs with payload 2.0), checks AWS_IAM routes'
 * SigV4 signatures (service execute-api) against the local credentials,
 * turns the request into an API Gateway event (lambda/apigw.h), invokes the
 * function's worker pool (pool.h) and turns what the function returned back
 * into an HTTP answer, with API Gateway's own answers where it has them:
 *
 *   no route                      REST 403 {"message":"Missing Authentication Token"}
 *                                 HTTP 404 {"message":"Not Found"}
 *   AWS_IAM, unsigned             REST 403 {"message":"Missing Authentication Token"}
 *                                 HTTP 403 {"message":"Forbidden"}
 *   AWS_IAM, bad signature        403 {"message":"The request signature we calculated
 *                                 does not match ..."} (REST adds the canonical request)
 *   body over GATEWAY_BODY_MAX    REST 413 {"message": "Request Too Long"}
 *                                 HTTP 413 {"message":"Request Entity Too Large"}
 *   head over GATEWAY_HEAD_MAX    431 {"message":"HTTP header is larger than 10240 bytes."}
 *   framing HTTP/1.1 refuses      400 {"message":"Bad Request"}, 501 for a transfer coding
 *                                 (these four from the framing guard, http/guard.h, at once)
 *   function error, bad response  REST 502 {"message": "Internal server error"}
 *                                 HTTP 500 {"message":"Internal Server Error"}
 *   integration timeout           REST 504 {"message": "Endpoint request timed out"}
 *                                 HTTP 503 {"message":"Service Unavailable"}
 *   pool throttled                429 {"message":"Too Many Requests"}
 *
 * Stages: every route answers at its path ("/objects") and, when its API has
 * a named stage ("dev", "Prod"; not "$default"), under "/<stage>" as well
 * ("/dev/objects"), so that the URL of a deployed stage works locally too.
 * How a route is chosen is gw_routes.h's.
 *
 * Routes live in a table (struct gateway_routes, gw_routes.h) that is not
 * changed once handed to the gateway. gateway_set_routes() swaps tables
 * atomically: requests already running keep the table they started with (it
 * is reference-counted), new ones see the new table.
 *
 * Inside: gateway.c (the server, API Gateway's answers), gw_routes.c,
 * gw_cors.c and gw_iam.c; gw_int.h joins them.
 *
 * Everything runs on the caller's event_base. Logs go through core/log.h:
 * one line per refused or failed request saying which route, which function,
 * and the function's errorType and errorMessage.
 */
#ifndef SLUICE_LOCAL_GATEWAY_H
#define SLUICE_LOCAL_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "local/apigw/gw_routes.h"

struct event_base;
struct gateway;

/* API Gateway's limits, named once. */
#define GATEWAY_BODY_MAX	(10u << 20) /* request payload: 10 MB */
#define GATEWAY_HEAD_MAX	10240	    /* request line + header values (the quota's words) */
#define GATEWAY_REST_TIMEOUT_MS 29000	    /* REST API integration timeout */
#define GATEWAY_HTTP_TIMEOUT_MS 30000	    /* HTTP API integration timeout */
#define GATEWAY_MAX_HEADERS	256	    /* request headers considered */
#define GATEWAY_DEFAULT_PORT	3000

/* The whole head, field names and line ends included: as much again as the values, at most. */
#define GATEWAY_HEAD_RAW_MAX ((size_t)2 * GATEWAY_HEAD_MAX)

struct gateway_config {
	const char *address;	   /* NULL: "127.0.0.1" */
	uint16_t port;		   /* 0: ephemeral (see gateway_port()) */
	const char *access_key_id; /* the local credentials AWS_IAM routes accept */
	const char *secret_access_key;
	const char *region;	  /* NULL: "us-east-1"; AWS_IAM routes want signatures for it */
	uint32_t rest_timeout_ms; /* 0: GATEWAY_REST_TIMEOUT_MS */
	uint32_t http_timeout_ms; /* 0: GATEWAY_HTTP_TIMEOUT_MS */
};

/*
 * Start the gateway on `base` with route table `routes` (ownership passes to
 * the gateway, also on failure). Strings of `cfg` are copied. Returns 0 and
 * *out, or ERR_INVAL (NULL base/cfg/out), ERR_IO (cannot bind), ERR_NOMEM.
 */
int gateway_new(struct event_base *base, const struct gateway_config *cfg,
		struct gateway_routes *routes, struct gateway **out /* OUT */);

/*
 * Serve `routes` from now on (ownership passes to the gateway). The previous
 * table is freed once the last request using it has been answered.
 */
void gateway_set_routes(struct gateway *gw, struct gateway_routes *routes);

/* The port bound (after port 0); 0 for NULL. */
uint16_t gateway_port(const struct gateway *gw);

/*
 * Who watches the requests (the local CloudWatch; src/local/dev_obs.c):
 * `begin` when a request arrives, with its id (API Gateway's request id,
 * which the function also gets as its invocation id), method and path
 * (the query cut off); `invoke` when it goes to a function, with the route
 * and the event; `end` once its answer, any answer, is sent. Strings are
 * borrowed for the call; any callback may be NULL. A request whose
 * connection breaks before its answer is written gets no `end`.
 */
struct gateway_observer {
	void *arg;
	void (*begin)(void *arg, const char *id, const char *method, const char *path);
	void (*invoke)(void *arg, const char *id, const struct gateway_route_spec *route,
		       const char *route_key, const char *event, size_t len);
	void (*end)(void *arg, const char *id, int status);
};

/* Observe the gateway from now on (NULL stops); `obs` is copied. */
void gateway_set_observer(struct gateway *gw, const struct gateway_observer *obs);

/*
 * Stop listening and free the gateway. Requests still waiting for their
 * function are answered 503 first. Call it before freeing the pools. NULL is
 * a no-op.
 */
void gateway_free(struct gateway *gw);

#endif
