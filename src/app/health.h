/*
 * The health check: GET /health answers 200 {"status":"ok","version":"..."}.
 * It is a route of the objects function and also a function of its own,
 * "health", which needs no AWS at all: the runtime's benchmarks and smoke
 * tests run it to measure the loop and the codec without S3 in the way.
 */
#ifndef SLUICE_APP_HEALTH_H
#define SLUICE_APP_HEALTH_H

#include "app/serve.h"
#include "lambda/runtime.h"

/* The "health" function: GET (and HEAD) /health; anything else is 404 or 405. */
extern const struct lambda_function health_function;

/* Answer `call` with the health body (app_version()). Returns 0 or ERR_NOMEM. */
int health_respond(struct serve_call *call);

#endif
