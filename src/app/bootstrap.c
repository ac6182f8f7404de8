/*
 * build/bootstrap: the service's one binary, run by Lambda (provided.al2023)
 * and by `sluice dev` alike. _HANDLER names the function (app.c lists them);
 * everything else comes from the environment through the Runtime API loop.
 *
 * A missing or unknown _HANDLER is not a crash: it is reported to
 * /runtime/init/error as Runtime.InvalidEntrypoint, which is what Lambda
 * shows for a function it cannot start, so the cause is in the invoke error
 * and not only in the logs.
 */
#include "core/common.h"

#include <curl/curl.h>

#include "app/app.h"
#include "core/log.h"
#include "lambda/runtime.h"

/* Why no function could be chosen; read by invalid_init() during lambda_run(). */
static char entrypoint_error[512];

static int invalid_init(void **state, struct lambda_error *err)
{
	return lambda_fail(err, "Runtime.InvalidEntrypoint", "%s", entrypoint_error);
}

static int invalid_handle(void *state, const char *event, size_t event_len,
			  const struct lambda_context *ctx, struct buf *response,
			  struct lambda_error *err)
{
	return lambda_fail(err, "Runtime.InvalidEntrypoint", "%s", entrypoint_error);
}

/* Stands in for the function when _HANDLER names none: its init always fails. */
static const struct lambda_function invalid_entrypoint = {
	.name = "invalid-entrypoint",
	.init = invalid_init,
	.handle = invalid_handle,
};

int main(void)
{
	const struct lambda_function *fn = NULL;
	const char *handler;
	int err;

	log_init_from_env();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_msg(LVL_FATAL, "curl_global_init failed");
		return 1;
	}
	handler = getenv("_HANDLER");
	if (!handler || !handler[0])
		snprintf(entrypoint_error, sizeof(entrypoint_error),
			 "_HANDLER is not set; expected one of: %s", app_function_names());
	else if (!(fn = app_function_find(handler)))
		snprintf(entrypoint_error, sizeof(entrypoint_error),
			 "_HANDLER names no function: \"%.64s\"; expected one of: %s", handler,
			 app_function_names());
	if (!fn) {
		log_msg(LVL_FATAL, "%s", entrypoint_error);
		fn = &invalid_entrypoint;
	}

	err = lambda_run(fn, 0);
	if (err && err != ERR_INVAL)
		log_msg(LVL_FATAL, "runtime loop ended: %s", err_str(err));
	curl_global_cleanup();
	return err ? 1 : 0;
}
