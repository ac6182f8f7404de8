/*
 * Reading CloudWatch Embedded Metric Format documents out of log events, as
 * CloudWatch Logs does for a function's log group. A document is checked
 * whole against the rules of the specification before any metric is taken
 * from it; like CloudWatch, an invalid document stays a log event and
 * publishes nothing. The rules checked:
 *
 *   - the event is one JSON object, nothing before or after it;
 *   - `_aws` is an object with `Timestamp` (a number, epoch milliseconds,
 *     from two weeks before now to two hours after) and `CloudWatchMetrics`
 *     (an array of directives);
 *   - a directive has `Namespace` (1 to 255 characters, not starting with
 *     ':'), `Dimensions` (an array of dimension sets, each an array of at
 *     most 30 names, each naming a root member whose value is a string of 1
 *     to 1024 characters) and `Metrics` (an array of at most 100
 *     definitions);
 *   - a definition has `Name` (1 to 1024 characters) naming a root member
 *     that is a number or an array of at most 100 numbers, an optional
 *     `Unit` among CloudWatch's standard units, an optional
 *     `StorageResolution` of 1 or 60; a name appears once per directive.
 *
 * Each (directive, dimension set, metric, value) becomes one datapoint.
 */
#ifndef SLUICE_LOCAL_CW_EMF_H
#define SLUICE_LOCAL_CW_EMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "local/cloudwatch/cw_metrics.h"

#define CW_EMF_METRICS_MAX 100
#define CW_EMF_VALUES_MAX  100
#define CW_EMF_PAST_MS	   (14LL * 24 * 3600 * 1000)
#define CW_EMF_FUTURE_MS   (2LL * 3600 * 1000)

/* One datapoint taken from a document; everything is borrowed for the callback. */
struct cw_emf_datum {
	const char *ns, *name, *unit; /* unit "None" when not given */
	const struct cw_dim *dims;
	size_t ndims;
	double value;
	int64_t ts;
	int resolution; /* 1 or 60 */
};

typedef void (*cw_emf_fn)(void *arg, const struct cw_emf_datum *d);

/* True when `unit` is one of CloudWatch's standard unit names. */
bool cw_unit_valid(const char *unit);

/*
 * Cheap test: could `msg` be an EMF document (an object with an `_aws`
 * member)? Used to skip the parse for ordinary log lines.
 */
bool cw_emf_candidate(const char *msg, size_t len);

/*
 * Check `len` bytes of `msg` against the rules above (timestamps against
 * `now_ms`) and, when it passes, call `fn` for each datapoint. Returns 0,
 * ERR_NOTFOUND when the event is not an EMF document (not an object, or
 * no `_aws` member), ERR_INVAL with the broken rule in `why` (no datapoint
 * is published then), ERR_NOMEM.
 */
int cw_emf_extract(const char *msg, size_t len, int64_t now_ms, cw_emf_fn fn, void *arg, char *why,
		   size_t why_len);

#endif
