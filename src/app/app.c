/*
 * The table of the service's functions, which the bootstrap searches by
 * _HANDLER (see app.h). Adding a function is one line here.
 */
#include "core/common.h"

#include "app/app.h"
#include "app/health.h"
#include "app/import.h"
#include "app/messages.h"
#include "app/migrate.h"
#include "app/objects.h"
#include "app/preferences.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.1.0"
#endif

static const struct lambda_function *const app_functions[] = {
	&objects_function, &health_function,	  &messages_function,
	&migrate_function, &preferences_function, &import_function,
};

const struct lambda_function *app_function_find(const char *handler)
{
	for (size_t i = 0; handler && i < ARRAY_SIZE(app_functions); i++) {
		if (strcmp(app_functions[i]->name, handler) == 0)
			return app_functions[i];
	}
	return NULL;
}

const char *app_function_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t used = 0;
		for (size_t i = 0; i < ARRAY_SIZE(app_functions); i++) {
			int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 app_functions[i]->name);
			if (n < 0 || (size_t)n >= sizeof(names) - used)
				break;
			used += (size_t)n;
		}
	}
	return names;
}

const char *app_version(void)
{
	return SLUICE_VERSION;
}
