/*
 * The request pipeline every HTTP function of the service shares: parse the
 * API Gateway event (either payload version), route it, call the handler,
 * answer 404/405 for what no route takes, turn the response into the JSON of
 * the same payload version, and write one log line.
 *
 * A handler sees a struct serve_call: the parsed request, the route match and
 * a response to fill, with serve_json() and serve_error() for the common
 * shapes. Handlers never write the Lambda response themselves, so every
 * answer goes through the same size check and the same log line.
 *
 * The log line (INFO, ERROR for 5xx) is {"message":"request", "method",
 * "route" ("GET /objects/{name+}", null when none matched), "status",
 * "durationMs", "apiRequestId" (API Gateway's id)} plus the Lambda request id
 * that core/log.h stamps. It never holds a body, a header, a query or the
 * path, so neither content nor secrets reach the logs.
 */
#ifndef SLUICE_APP_SERVE_H
#define SLUICE_APP_SERVE_H

#include <jansson.h>
#include <stddef.h>

#include "app/router.h"
#include "lambda/apigw.h"
#include "lambda/runtime.h"

/* One invocation, as a handler sees it. */
struct serve_call {
	struct apigw_request req;	  /* the parsed event */
	struct route_match match;	  /* the route that matched, with path parameters */
	struct apigw_response resp;	  /* to fill: status 200, no headers, no body at first */
	const struct lambda_context *ctx; /* may be NULL (tests) */
};

/*
 * A handler: fill `call->resp` for the matched route. Returns 0, or an error
 * code for a failure of ours, which the pipeline answers with a 500
 * (whatever the handler had put in the response is discarded).
 */
struct serve_handler {
	int (*handle)(void *state, struct serve_call *call);
	void *state;
};

/*
 * Serve one Lambda invocation: `event` (`event_len` bytes) through `routes`
 * to `h`, appending the API Gateway response JSON to `response`.
 *
 * An event that does not parse gets a 400 "InvalidEvent" response (payload
 * format 2.0 when the event says "version":"2.0", else 1.0). A response that
 * does not fit in `response` (Lambda's 6 MB) is replaced by a 500
 * "ResponseTooLarge". HEAD responses keep their headers but lose their body.
 * Returns 0 with a response appended, or non-zero with `err` filled (out of
 * memory, or no room even for an error response): a function error.
 */
int serve_event(const struct route *routes, size_t nroutes, const struct serve_handler *h,
		const char *event, size_t event_len, const struct lambda_context *ctx,
		struct buf *response, struct lambda_error *err);

/*
 * Make `call->resp` a `status` response with `body` as compact JSON and
 * Content-Type application/json. The reference to `body` is stolen (NULL
 * gives ERR_NOMEM, so json_pack() results can be passed directly). Headers
 * already added stay. Returns 0, ERR_NOMEM or ERR_TOOLARGE.
 */
int serve_json(struct serve_call *call, int status, json_t *body);

/*
 * Make `call->resp` an error response: `status` and the body
 * {"error":{"code":"<code>","message":"<message>"}} (router_error_json()).
 * Headers already added stay. Returns 0, ERR_NOMEM or ERR_TOOLARGE.
 */
int serve_error(struct serve_call *call, int status, const char *code, const char *message);

/*
 * The deadline to give a remote call: the invocation's deadline less
 * `margin_ms`, so that there is time left to answer; 0 (none) without a
 * deadline.
 */
int64_t serve_deadline_ms(const struct serve_call *call, int64_t margin_ms);

#endif
