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
#include <stdbool.h>
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

/* What serve_json_body() accepts besides Content-Type application/json. */
struct serve_body_rules {
	const char *what;      /* the route, "POST /messages", for the 415 message */
	size_t max_len;	       /* 413 beyond this many bytes; 0: no cap of its own */
	const char *too_large; /* the 413 message */
	bool utf8;	       /* check UTF-8 first, for its own 400 message */
};

/*
 * Read the request's body as JSON. A 4xx goes into `call->resp` and `*doc`
 * stays NULL when the media type (before any parameters) is not
 * application/json (415 UnsupportedMediaType), when the body passes
 * `rules->max_len` (413 PayloadTooLarge), is not UTF-8 (400 InvalidJson,
 * with `rules->utf8`) or does not parse (400 InvalidJson with the parser's
 * reason). Otherwise `*doc` is the parsed document, which the caller
 * decrefs. Returns 0 in both cases; an error code only when writing the 4xx
 * failed (ERR_NOMEM, ERR_TOOLARGE).
 */
int serve_json_body(struct serve_call *call, const struct serve_body_rules *rules,
		    json_t **doc /* OUT */);

/*
 * Answer a store failure `err` that has no meaning of the handler's own:
 * ERR_THROTTLED is a 503 StorageThrottled with Retry-After `retry_after`
 * (seconds, as text), ERR_TIMEOUT a 502 "did not answer in time", anything
 * else a 502 StorageError; ERR_NOMEM is returned as is, with no answer.
 * Returns 0, or the error of writing the answer.
 */
int serve_store_failure(struct serve_call *call, int err, const char *retry_after);

/*
 * The deadline to give a remote call: the invocation's deadline less
 * `margin_ms`, so that there is time left to answer; 0 (none) without a
 * deadline.
 */
int64_t serve_deadline_ms(const struct serve_call *call, int64_t margin_ms);

#endif
