/*
 * A small HTTP/1.1 client on libcurl for the AWS clients and the Lambda
 * Runtime API: one request at a time over one reused easy handle, so that
 * the connection stays alive between requests (a Lambda function calls the
 * same S3 endpoint on every invocation; the TLS handshake is paid once).
 *
 * The URL's path goes out exactly as given: dot segments ("/a/./b/../c") are
 * not resolved, because in S3 they are part of the key.
 *
 * What it does not do: redirects, cookies, proxies from the environment
 * other than libcurl's own, or `Expect: 100-continue` (it waits a round trip
 * for nothing on every upload; AWS does not need it). Response bodies land in
 * a struct buf whose cap the caller chooses per request.
 *
 * A client is not thread-safe; use one per thread.
 */
#ifndef SLUICE_HTTP_CLIENT_H
#define SLUICE_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Caps on what a server can make us hold besides the body. */
#define HTTP_MAX_RESPONSE_HEADERS 128
#define HTTP_MAX_HEADER_BYTES	  (64u << 10) /* all response header lines together */
/* Connecting gives up after this long even when the deadline is further. */
#define HTTP_CONNECT_TIMEOUT_MS 10000

struct http_client;

/* One header, NUL-terminated name and value (borrowed in requests, owned in responses). */
struct http_header {
	const char *name;
	const char *value;
};

/*
 * A request; everything is borrowed for the duration of the call.
 *
 * `method` is any token ("GET", "PUT", "HEAD", "POST", "DELETE"); HEAD reads
 * no body. `headers` are sent as given, after removing the ones libcurl would
 * add on its own (Expect, and Content-Type for bodies, unless given here);
 * Host is derived from the URL by libcurl unless given. `body` may be NULL
 * when body_len is 0; for PUT and POST a Content-Length is always sent.
 *
 * `deadline_ms` is an absolute epoch time in milliseconds (0: none); the
 * transfer is aborted when it passes. `max_body` caps the body of a 2xx
 * answer, `max_error_body` that of any other status (0: same as max_body).
 */
struct http_request {
	const char *method;
	const char *url;
	const struct http_header *headers;
	size_t n_headers;
	const void *body;
	size_t body_len;
	int64_t deadline_ms;
	size_t max_body;
	size_t max_error_body;
	/*
	 * Ask for a gzip-compressed body (Accept-Encoding: gzip) and hand back the
	 * decoded bytes; max_body then caps the decoded size.
	 */
	bool accept_gzip;
};

/*
 * A response: status, headers (owned, in the order received; for a 1xx
 * interim answer or a redirect only the final answer's are kept) and body.
 * Initialise with http_response_init(), release with http_response_release().
 */
struct http_response {
	int status;
	struct http_header *headers;
	size_t n_headers;
	struct buf body;
	struct buf header_store; /* internal: where header names and values live */
};

/*
 * Create a client. ERR_NOMEM, or ERR_HTTP when libcurl fails to initialise.
 * `*out` is set only on success; free with http_client_free().
 */
int http_client_new(struct http_client **out /* OUT */);

/* Close the connection and free the client. NULL is a no-op. */
void http_client_free(struct http_client *c);

/* Make `r` empty. Allocates nothing. */
void http_response_init(struct http_response *r);

/* Free headers and body; `r` is empty again. */
void http_response_release(struct http_response *r);

/*
 * Perform `req` and fill `resp` (reset first; it must have been initialised).
 * Any status the server sends is a success here: the caller interprets it.
 *
 * Returns 0; ERR_TIMEOUT when the deadline had passed before sending or
 * passed during the transfer; ERR_TOOLARGE when the body passed its cap
 * (checked against Content-Length first; the connection is then dropped);
 * ERR_HTTP for transport failures (DNS, refused, reset, TLS, malformed
 * answer, too many or too long headers); ERR_INVAL for a NULL method or URL;
 * ERR_NOMEM. On error `resp->status` is what was received so far (0 when
 * nothing) and the body is incomplete.
 */
int http_client_do(struct http_client *c, const struct http_request *req,
		   struct http_response *resp /* OUT */);

/*
 * libcurl's description of the last transport failure ("Failed to connect to
 * 127.0.0.1 port 1: Connection refused"), "" when the last request succeeded.
 * Valid until the next request. Safe to log: it never contains headers.
 */
const char *http_client_last_error(const struct http_client *c);

/*
 * The value of the first response header named `name` (ASCII
 * case-insensitive), or NULL. The string belongs to `resp`.
 */
const char *http_response_header(const struct http_response *resp, const char *name);

#endif
