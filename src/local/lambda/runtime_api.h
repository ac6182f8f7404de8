/*
 * The local Lambda Runtime API of `sluice dev`: one evhttp server on
 * 127.0.0.1 shared by the workers of every function. Each worker is started
 * with AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>/w/<worker-id>.<token>, so its
 * runtime client's http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next
 * arrives here as /w/<worker-id>.<token>/2018-06-01/runtime/invocation/next
 * and is routed to that worker's state in the pool (pool.c).
 *
 * The token is 128 random bits, compared in constant time: any process on the
 * machine can reach the port, and a guessed path would let it take a worker's
 * invocations (or make the pool retire the worker). A path with an unknown
 * worker or a wrong token gets 404 and never reaches the pool.
 *
 * This file speaks HTTP only; what each call means (which invocation a
 * response belongs to, the state machine) is the pool's. The answers follow
 * the Runtime Interface Emulator: 202 {"status":"OK"} for a posted response or
 * error, 400 InvalidRequestID, 403 InvalidStateTransition, 413
 * RequestEntityTooLarge for a response past POOL_RESPONSE_MAX, 404 for an
 * unknown worker or path, 405 for a wrong method.
 *
 * Gateway code uses only runtime_api_new(), runtime_api_port() and
 * runtime_api_free(); the rest is the pool's side of the contract.
 */
#ifndef SLUICE_LOCAL_RUNTIME_API_H
#define SLUICE_LOCAL_RUNTIME_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evhttp_request;
struct runtime_api;

/*
 * The largest body the server reads from a runtime (a response or an error).
 * Bodies between POOL_RESPONSE_MAX and this are read and refused with 413 so
 * that the invocation fails as TOO_LARGE; past this the framing guard
 * (http/guard.h) answers 413 RequestEntityTooLarge before the body is read
 * and closes the connection, and the invocation ends at its timeout.
 */
#define RUNTIME_API_BODY_MAX ((size_t)16 << 20)

/*
 * Listen on `address`:`port` (NULL: "127.0.0.1"; port 0: ephemeral) on
 * `base`. Returns 0 and *out, ERR_INVAL (NULL base/out), ERR_IO (cannot bind)
 * or ERR_NOMEM; *out is NULL on failure.
 */
int runtime_api_new(struct event_base *base, const char *address, uint16_t port,
		    struct runtime_api **out /* OUT */);

/* The port bound (useful after port 0); 0 for NULL. */
uint16_t runtime_api_port(const struct runtime_api *api);

/*
 * Stop listening and free the server. Every pool using it must have been
 * freed first (their held `next` requests belong to this server). NULL is a
 * no-op.
 */
void runtime_api_free(struct runtime_api *api);

/* What the pool answers to a posted response, error or init error. */
enum runtime_api_verdict {
	RT_ACCEPTED,	  /* 202 {"status":"OK"} */
	RT_INVALID_ID,	  /* 400 InvalidRequestID */
	RT_INVALID_STATE, /* 403 InvalidStateTransition */
	RT_TOO_LARGE,	  /* 413 RequestEntityTooLarge */
};

/*
 * The calls of one worker, made by the server with the worker's `ctx`.
 *
 * next: the worker asks for an invocation. The request is held (long poll);
 *       the pool answers it later with runtime_api_answer_next() or
 *       runtime_api_answer_gone(), exactly once.
 * response / error: a posted result for `request_id` (NUL-terminated, may
 *       be ""), body borrowed for the call. `error_type` is the
 *       Lambda-Runtime-Function-Error-Type header or "" (error only). The
 *       verdict chooses the answer; `*message` (static text, may stay NULL)
 *       becomes its errorMessage.
 * init_error: /runtime/init/error, same conventions.
 */
struct runtime_api_ops {
	void (*next)(void *ctx, struct evhttp_request *req);
	enum runtime_api_verdict (*response)(void *ctx, const char *request_id, const char *body,
					     size_t len, const char **message);
	enum runtime_api_verdict (*error)(void *ctx, const char *request_id, const char *error_type,
					  const char *body, size_t len, const char **message);
	enum runtime_api_verdict (*init_error)(void *ctx, const char *error_type, const char *body,
					       size_t len, const char **message);
};

/* Room for a worker's path, "/w/<id>.<32 hex digits>" and the NUL. */
#define RUNTIME_API_PATH_MAX 64

/*
 * Route /w/<id>.<token>/... to `ops` with `ctx`. Writes the new worker id
 * (never 0) to *out_id and the path to give the worker (after
 * "127.0.0.1:<port>" in AWS_LAMBDA_RUNTIME_API) to `out_path`. Returns 0 or
 * ERR_NOMEM / ERR_INVAL / ERR_IO (no randomness for the token). `ops` is
 * borrowed for as long as the registration lasts.
 */
int runtime_api_register(struct runtime_api *api, const struct runtime_api_ops *ops, void *ctx,
			 uint64_t *out_id /* OUT */, char out_path[RUNTIME_API_PATH_MAX] /* OUT */);

/* Stop routing worker `id`; later requests for it get 404. Unknown ids are ignored. */
void runtime_api_unregister(struct runtime_api *api, uint64_t id);

/*
 * Answer a held `next` with the event and the Lambda-Runtime-* headers
 * (each only when non-empty / non-zero). Frees `req` (through evhttp).
 */
void runtime_api_answer_next(struct evhttp_request *req, const char *event, size_t len,
			     const char *request_id, int64_t deadline_ms, const char *function_arn,
			     const char *trace_id);

/* Answer a held `next` whose worker is going away (500, no event). Frees `req`. */
void runtime_api_answer_gone(struct evhttp_request *req);

/*
 * Answer `req` with `code` and {"errorMessage": message, "errorType": type}
 * (RIE's error document). Frees `req`.
 */
void runtime_api_answer_error(struct evhttp_request *req, int code, const char *type,
			      const char *message);

#endif
