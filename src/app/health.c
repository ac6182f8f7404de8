/*
 * The "health" function and the /health answer it shares with the objects
 * function (see health.h). It has no state and no init, so it starts as fast
 * as the runtime loop itself.
 */
#include "core/common.h"

#include "app/app.h"
#include "app/health.h"

enum { HEALTH_ROUTE };

static const struct route health_routes[] = {
	{"GET", "/health", HEALTH_ROUTE},
};

int health_respond(struct serve_call *call)
{
	return serve_json(call, 200,
			  json_pack("{s:s,s:s}", "status", "ok", "version", app_version()));
}

static int health_dispatch(void *state, struct serve_call *call)
{
	return health_respond(call);
}

static int health_handle(void *state, const char *event, size_t event_len,
			 const struct lambda_context *ctx, struct buf *response,
			 struct lambda_error *err)
{
	static const struct serve_handler h = {health_dispatch, NULL};

	return serve_event(health_routes, ARRAY_SIZE(health_routes), &h, event, event_len, ctx,
			   response, err);
}

const struct lambda_function health_function = {
	.name = "health",
	.init = NULL,
	.handle = health_handle,
	.fini = NULL,
};
