/*
 * Fuzz the EMF reader (src/local/cloudwatch/cw_emf.c): any log event is
 * checked against the specification's rules and, when it keeps them, its
 * datapoints are handed out; each must have a namespace, a name, a unit
 * CloudWatch knows and a finite value.
 */
#include "core/common.h"

#include <math.h>

#include "local/cloudwatch/cw_emf.h"

static void check(void *arg, const struct cw_emf_datum *d)
{
	if (!d->ns || !d->name || !cw_unit_valid(d->unit) || !isfinite(d->value) ||
	    d->ndims > CW_METRICS_DIMS_MAX)
		abort();
	for (size_t i = 0; i < d->ndims; i++)
		if (!d->dims[i].name || !d->dims[i].value)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	cw_emf_extract((const char *)data, size, 1700000000000LL, check, NULL, why, sizeof(why));
	return 0;
}
