/*
 * Sign and send one AWS request with retries: what the S3 and DynamoDB
 * clients (aws/s3.h, aws/dynamodb.h) have in common below their own request
 * shapes and error mapping.
 *
 * A struct aws_client holds a copy of the configuration and one kept-alive
 * HTTP connection (http/client.h). aws_request_send() signs each attempt
 * afresh with SigV4 (the date is part of the signature), sends it, and on a
 * failure asks the caller's `fail` function what the failure means and
 * whether another attempt may succeed. Retries follow AWS's "exponential
 * backoff and jitter" (full jitter): before retry n (1-based), sleep uniform
 * in [0, min(cap, base * 2^n)), never past the deadline.
 *
 * Each client keeps its own error mapping (S3's XML <Error>, DynamoDB's
 * __type): this module only knows "2xx or not".
 */
#ifndef SLUICE_AWS_REQUEST_H
#define SLUICE_AWS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/config.h"
#include "core/str.h"
#include "http/client.h"

/* The most headers a request may bring of its own (Host included), before the signer's. */
#define AWS_REQUEST_MAX_HEADERS 8
/* Bytes of header strings one signed request may need (the Authorization value dominates). */
#define AWS_REQUEST_ARENA (64u << 10)

/* A configuration and a connection; not thread-safe, like the clients built on it. */
struct aws_client {
	struct aws_config cfg;
	struct http_client *http;
};

/*
 * Fill `c` from `cfg` (copied), or from the environment (aws_config_init())
 * when `cfg` is NULL, and open an HTTP client. Fails with ERR_CONFIG when
 * the access key id or the secret key is missing (or the environment is
 * invalid), ERR_NOMEM, ERR_HTTP when libcurl cannot start; `c` then holds
 * nothing, but aws_client_release() on it is still safe.
 */
int aws_client_init(struct aws_client *c /* OUT */, const struct aws_config *cfg);

/* Close the connection and free the configuration; `c` is zeroed. NULL is a no-op. */
void aws_client_release(struct aws_client *c);

/* One request; everything is borrowed for the duration of aws_request_send(). */
struct aws_request {
	const char *service; /* signing name ("s3", "dynamodb"), also the log prefix */
	const char *op;	     /* "PutObject", for logs */
	bool s3;	     /* S3's signing rules (sigv4_params.s3) */
	const char *method;
	const char *url; /* complete, with the encoded query; sent as is */
	/* Our own headers, Host first, at most AWS_REQUEST_MAX_HEADERS: signed and
	 * sent in this order, followed by the signer's. */
	const struct http_header *headers;
	size_t n_headers;
	const void *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	size_t max_body;       /* cap on a 2xx body */
	size_t max_error_body; /* cap on any other body */
	int64_t deadline_ms;   /* epoch ms; 0: none */
};

/* How many attempts, and the backoff between them. */
struct aws_retry {
	int max_attempts; /* the first included */
	int base_ms;
	int cap_ms;
};

/*
 * What a failed attempt means, for the client to say. `err` is the transport
 * error (http_client_do()'s code: `resp` holds what arrived, if anything) or
 * 0 for an answer that is not 2xx (`resp` holds it). Returns the code the
 * call fails with if it is not tried again, sets `*retry` (false on entry)
 * when another attempt may succeed, and may point `*detail` ("" on entry) at
 * a short name of the error for the log line (a string of `ctx`).
 */
typedef int (*aws_fail_fn)(void *ctx, int err, const struct http_response *resp, bool *retry,
			   const char **detail);

/*
 * Sign and send `req` until it gets a 2xx answer, `fail` says not to retry,
 * `policy->max_attempts` are spent, or the next backoff would reach the
 * deadline. Returns 0 with the 2xx answer in `resp` (initialised by the
 * caller; reset by each attempt), or the code of the last `fail` call (a
 * signing error, ERR_INVAL or ERR_NOMEM, reaches `fail` as a transport error
 * that was never sent). Each retry is logged at WARN level with the
 * service, the operation and `*detail`; the whole call is one DEBUG line
 * ("aws call": service, operation, status, attempts, durationMs,
 * awsRequestId, error), and every attempt carries the X-Amzn-Trace-Id of
 * the invocation (_X_AMZN_TRACE_ID), unsigned, as the AWS SDKs send it.
 */
int aws_request_send(struct aws_client *c, const struct aws_request *req,
		     const struct aws_retry *policy, aws_fail_fn fail, void *ctx,
		     struct http_response *resp /* OUT */);

/*
 * Sleep before retry number `attempt` (1 for the first retry) for a random
 * time in [0, min(cap_ms, base_ms * 2^attempt)) (full jitter). False,
 * without sleeping, when the sleep would reach `deadline_ms` (0: none).
 */
bool aws_backoff(const struct aws_retry *policy, int attempt, int64_t deadline_ms);

/*
 * The path and the query (after '?', STR_NULL when none) of `url` as they go
 * on the wire, slices of `url`; the path is empty when the URL has none.
 * `query` may be NULL.
 */
void aws_url_split(const char *url, struct str *path /* OUT */, struct str *query /* OUT */);

#endif
