/*
 * Helpers for the unit tests of the service's functions (test_objects,
 * test_messages) and of the log lines (test_log, test_db, ...): capture the
 * log lines and read them back, build the body member of an API
 * Gateway event, invoke a function's handle() and parse the Lambda response,
 * and check an error answer. cmocka assertions fail the test on the spot.
 */
#ifndef SLUICE_TESTS_APPTEST_H
#define SLUICE_TESTS_APPTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lambda/runtime.h"

/*
 * Send the log lines (INFO and up, JSON) to a memory stream: `*out` is the
 * stream, `*text` and `*len` its contents after fflush(). Undo with
 * apptest_logs_release().
 */
void apptest_logs_capture(FILE **out, char **text, size_t *len);

/* Send the log lines back to stderr, close `out` and free `*text` (which fclose() updates). */
void apptest_logs_release(FILE *out, char **text);

/* What the capture holds since the last take, as a string the caller frees; it then starts empty.
 */
char *apptest_logs_take(FILE *out, char **text, size_t *len);

/*
 * The lines captured since the last take, each asserted to be one JSON
 * object ending in a newline, parsed: those whose "message" is `message`,
 * or all of them for NULL. None may contain a string of `never` (a NULL-
 * terminated list, or NULL). The caller decrefs the array.
 */
json_t *apptest_logs_lines(FILE *out, char **text, size_t *len, const char *message,
			   const char *const *never);

/* The "body" member of an event: `len` bytes of `body`, base64-encoded if asked; null for NULL. */
json_t *apptest_body_value(const void *body, size_t len, bool base64);

/*
 * Call fn->handle() on `state` with `event` (a NUL-terminated JSON text) and
 * `ctx`, assert that it succeeded, and return the parsed Lambda response
 * (statusCode, headers, body, ...), which the caller decrefs.
 */
json_t *apptest_invoke(const struct lambda_function *fn, void *state, const char *event,
		       const struct lambda_context *ctx);

/*
 * Assert an error answer: `status` is `want_status`, `body` is exactly
 * {"error":{"code":"<code>","message":"<message>"}} and `content_type` is
 * application/json.
 */
void apptest_assert_error(int status, const char *body, const char *content_type, int want_status,
			  const char *code, const char *message);

#endif
