/*
 * The Lambda Runtime API client loop (custom runtime, provided.al2023).
 *
 * The loop asks for the next invocation, hands its event to the function's
 * handler, and posts the handler's response or error back. It is the only
 * place that speaks the Runtime API, so a function is a plain C callback that
 * can be unit-tested without any HTTP at all.
 *
 * Every request goes over the same kept-alive TCP connection to the Runtime
 * API, spoken by a small HTTP/1.1 client of its own (rt_conn.h, rt_wire.h),
 * not libcurl: the loop needs no curl_global_init(), though the bootstrap
 * still runs it for the AWS clients.
 *
 * https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
 */
#ifndef SLUICE_LAMBDA_RUNTIME_H
#define SLUICE_LAMBDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/*
 * Lambda's limit on a synchronous response payload (6 MB as the Runtime API
 * counts it). A larger response is not sent: the invocation fails with
 * errorType "Function.ResponseSizeTooLarge", as Lambda reports it.
 */
#define LAMBDA_RESPONSE_MAX 6291556

/* Lambda's limit on a synchronous invocation's request payload (6 MB). */
#define LAMBDA_REQUEST_MAX ((size_t)6 << 20)

/*
 * The cap of the response buffer handed to a handler: room above
 * LAMBDA_RESPONSE_MAX so that an oversized response can be measured and
 * reported with its size. An append past it fails with ERR_TOOLARGE.
 */
#define LAMBDA_RESPONSE_BUF_MAX ((size_t)2 * LAMBDA_RESPONSE_MAX)

/*
 * The largest event the loop accepts from `next` (Lambda's own limit is 6 MB
 * for synchronous invocations). A larger event is drained and the invocation
 * fails with errorType "Runtime.EventTooLarge" without calling the handler.
 */
#define LAMBDA_EVENT_MAX (8 << 20)

/*
 * What the Runtime API told us about one invocation. Strings are "" when
 * absent (or longer than the loop keeps) and are never NULL; they stay valid
 * until the handler returns.
 */
struct lambda_context {
	const char *request_id;	  /* Lambda-Runtime-Aws-Request-Id */
	const char *function_arn; /* Lambda-Runtime-Invoked-Function-Arn */
	const char *trace_id;	  /* Lambda-Runtime-Trace-Id, also exported as _X_AMZN_TRACE_ID */
	int64_t deadline_ms; /* Lambda-Runtime-Deadline-Ms, epoch milliseconds; 0 when absent */
};

/* Milliseconds left before the deadline (negative once past; INT64_MAX without a deadline). */
int64_t lambda_remaining_ms(const struct lambda_context *ctx);

/* A function error as Lambda reports it: {"errorMessage","errorType","stackTrace":[]}. */
struct lambda_error {
	char type[128]; /* e.g. "Runtime.ConfigError", "Function.Unhandled" */
	char message[1024];
};

/*
 * Fill `err` with `type` (truncated to fit; NULL or "" gives
 * "Function.Unhandled") and the printf-formatted message (truncated to fit).
 * Returns 1, so that a handler can `return lambda_fail(err, ...);`.
 */
int lambda_fail(struct lambda_error *err, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * One function of the service, chosen by _HANDLER.
 *
 * init:   called once before the first `next`; on failure it fills `err` and
 *         returns non-zero, and the loop reports it to /runtime/init/error
 *         (an unfilled `err` as "Runtime.InitError") and returns. `*state`
 *         (NULL on entry) is handed to every call of handle. May be NULL.
 * handle: turns `event` (JSON, `event_len` bytes, NUL-terminated) into a
 *         response appended to `response` (empty on entry, capped at
 *         LAMBDA_RESPONSE_BUF_MAX; anything over LAMBDA_RESPONSE_MAX becomes a
 *         Function.ResponseSizeTooLarge error). Returns 0 on success; non-zero
 *         with `err` filled for a function error (an unfilled `err` is
 *         reported as "Function.Unhandled"). `event`, `ctx` and `response`
 *         belong to the loop and are only valid during the call.
 * fini:   frees `state` when the loop ends. May be NULL.
 */
struct lambda_function {
	const char *name;
	int (*init)(void **state, struct lambda_error *err);
	int (*handle)(void *state, const char *event, size_t event_len,
		      const struct lambda_context *ctx, struct buf *response,
		      struct lambda_error *err);
	void (*fini)(void *state);
};

/*
 * Run the loop against AWS_LAMBDA_RUNTIME_API ("host:port") until the Runtime
 * API goes away (or, when `max_invocations` > 0, after that many invocations;
 * tests use it). `fn` and its `handle` must not be NULL.
 *
 * For each invocation the loop starts the log's invocation keys
 * (log_invocation_begin(): request id, trace id, cold start) and the
 * _X_AMZN_TRACE_ID environment variable (unset when the invocation has no
 * trace id), counts a cold start (metrics_cold_start()) on the first, and
 * writes the invocation's metrics (metrics_flush()) before its result.
 * An answer to `next` without a usable request id is logged and asked
 * again. `next` waits without a timeout, as Lambda requires.
 *
 * An idle connection the Runtime API closed is reopened once.
 *
 * Returns 0 when `max_invocations` were served, ERR_CONFIG when
 * AWS_LAMBDA_RUNTIME_API is missing or malformed, ERR_HTTP when the Runtime
 * API cannot be reached (or drops the connection, or answers with something
 * that is not strict HTTP/1.1 within rt_wire.h's caps), ERR_REMOTE when it answers
 * `next` with an error status or any request with 500 (a container error: the
 * runtime must exit), ERR_INVAL after an init error was reported, ERR_NOMEM.
 * fn->fini runs on every return after a successful init.
 */
int lambda_run(const struct lambda_function *fn, long max_invocations);

#endif
