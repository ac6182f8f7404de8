/*
 * A small CloudWatch Logs client (JSON 1.1, X-Amz-Target Logs_20140328.*)
 * for `sluice logs`: one call sends one operation's JSON and returns the
 * answer's, signed with SigV4 (service "logs") and retried as the other
 * clients are (aws/request.h) on 5xx, throttling and connection errors.
 *
 * The endpoint: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, else AWS_ENDPOINT_URL
 * (`sluice dev` prints it; moto in tests), else
 * https://logs.<region>.amazonaws.com, as the AWS SDKs choose it.
 * Credentials and region: aws/config.h.
 */
#ifndef SLUICE_AWS_CWLOGS_H
#define SLUICE_AWS_CWLOGS_H

#include <jansson.h>
#include <stdint.h>

struct cwlogs_client;

/* What the service said when a call failed: its type and message, as text. */
struct cwlogs_error {
	int status;	/* HTTP status, 0 when no answer came */
	char type[128]; /* "ResourceNotFoundException" (without the "...#" prefix) */
	char message[512];
};

/*
 * A client from the environment, or talking to `endpoint` when it is not
 * NULL ("http://127.0.0.1:4566"). Returns 0 and *out, ERR_CONFIG (no
 * credentials, a malformed endpoint), ERR_NOMEM, ERR_HTTP.
 */
int cwlogs_client_new(const char *endpoint, struct cwlogs_client **out /* OUT */);
void cwlogs_client_free(struct cwlogs_client *c);

/* The endpoint the client talks to ("https://logs.eu-west-1.amazonaws.com"). */
const char *cwlogs_endpoint(const struct cwlogs_client *c);

/*
 * Call `op` ("FilterLogEvents") with `request` (borrowed). Returns 0 and
 * *response (a new object), or ERR_REMOTE with `e` filled (the service
 * refused), ERR_THROTTLED, ERR_HTTP (no answer), ERR_PARSE (an answer that
 * is not a JSON object), ERR_NOMEM.
 */
int cwlogs_call(struct cwlogs_client *c, const char *op, const json_t *request,
		json_t **response /* OUT */, struct cwlogs_error *e /* OUT */);

#endif
