/*
 * The service's functions, as the bootstrap finds them by _HANDLER. Each
 * lives in its own file (objects.c, ...) and is listed in app.c.
 */
#ifndef SLUICE_APP_APP_H
#define SLUICE_APP_APP_H

#include "lambda/runtime.h"

/* The function named `handler` ("objects", ...), or NULL when there is none. */
const struct lambda_function *app_function_find(const char *handler);

/* A comma-separated list of the function names, for error messages. */
const char *app_function_names(void);

/* The service version reported by /health (from the build). */
const char *app_version(void);

#endif
