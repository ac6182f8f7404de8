/*
 * The local CloudWatch metrics store: a time series per metric (namespace,
 * name, and the set of dimensions, compared exactly as CloudWatch does),
 * each a list of datapoints kept raw (a value, or a statistic set from
 * PutMetricData), so that any period and any statistic, percentiles
 * included, can be computed when asked. In memory only: a restart of
 * `sluice dev` starts with no metrics (logs are kept on disk, metrics are
 * recomputed by nobody). Datapoints older than CW_METRICS_RETENTION_MS or
 * past CW_METRICS_POINTS_MAX per series are dropped, oldest first.
 *
 * Memory (issue 11): a request through the gateway records ~20 datapoints,
 * so at 1,100 requests a second the store held 1.4 million raw points
 * (56 MB, twice that with the arrays' slack) after one minute of wrk and
 * grew until each series reached its cap. Two things bound it now:
 *  - a value equal to the series' last one within the same second is
 *    counted into it (Count, 4xx, Invocations: always 1 or 0), which no
 *    statistic can tell apart (CloudWatch's finest resolution is a second);
 *  - once a minute, the points of whole minutes older than
 *    CW_METRICS_RAW_MS are rolled up into one statistic set per minute and
 *    value class (CW_METRICS_CLASS_BITS of mantissa: values within 1/64 of
 *    each other), so that Sum, SampleCount, Minimum and Maximum stay exact
 *    and a percentile of older data is within ~1.6% (CloudWatch's own
 *    percentiles are approximate too). Periods under a minute are exact
 *    for the last CW_METRICS_RAW_MS only, as CloudWatch keeps sub-minute
 *    data for a shorter time than minute data.
 */
#ifndef SLUICE_LOCAL_CW_METRICS_H
#define SLUICE_LOCAL_CW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_METRICS_RETENTION_MS (24LL * 3600 * 1000)
#define CW_METRICS_POINTS_MAX	200000
#define CW_METRICS_RAW_MS	(60LL * 1000) /* points kept raw, then rolled up */
#define CW_METRICS_CLASS_BITS	6	      /* a value class: 1/64 of a power of two */
#define CW_METRICS_SERIES_MAX	10000
#define CW_METRICS_DIMS_MAX	30 /* CloudWatch's limit per metric */

/* A dimension: both strings are borrowed by calls, copied by the store. */
struct cw_dim {
	const char *name;
	const char *value;
};

/* One datapoint: a value is count 1 and sum = min = max = value. */
struct cw_point {
	int64_t ts;
	double sum, min, max, count;
};

struct cw_series {
	char *ns, *name, *unit;
	struct cw_dim *dims; /* owned, sorted by name */
	size_t ndims;
	/*
	 * pts[head..n): pts[head..rolled) are rolled-up statistic sets, one per
	 * minute and value class, by time; pts[rolled..n) raw, by arrival.
	 */
	struct cw_point *pts;
	size_t head, rolled, n, alloc;
	char *key;
	int64_t last_ts;
};

struct cw_metrics;

int cw_metrics_new(struct cw_metrics **out /* OUT */);
void cw_metrics_free(struct cw_metrics *m);

/*
 * Record a datapoint. `unit` NULL or "" is "None". Returns 0, ERR_INVAL
 * (a name or dimension CloudWatch refuses, more than CW_METRICS_DIMS_MAX
 * dimensions, a count below 1), ERR_TOOLARGE (CW_METRICS_SERIES_MAX series
 * already), ERR_NOMEM.
 */
int cw_metrics_put(struct cw_metrics *m, const char *ns, const char *name,
		   const struct cw_dim *dims, size_t ndims, const char *unit,
		   const struct cw_point *p);

/* The series of exactly these dimensions, or NULL. */
struct cw_series *cw_metrics_find(struct cw_metrics *m, const char *ns, const char *name,
				  const struct cw_dim *dims, size_t ndims);

/* All series, in creation order; the array belongs to the store. */
struct cw_series *const *cw_metrics_all(struct cw_metrics *m, size_t *n /* OUT */);

/*
 * Drop what is past the retention, and roll up the points of whole minutes
 * older than CW_METRICS_RAW_MS (see above). Called once a minute.
 */
void cw_metrics_maintain(struct cw_metrics *m, int64_t now_ms);

/*
 * A statistic as CloudWatch names it: "SampleCount", "Sum", "Average",
 * "Minimum", "Maximum", "pNN" or "pNN.N" (a percentile). Parsed into
 * *kind and *pct (the percentile); false when it is none of those.
 */
enum cw_stat { CW_SAMPLES, CW_SUM, CW_AVG, CW_MIN, CW_MAX, CW_PCT };
bool cw_stat_parse(const char *s, enum cw_stat *kind /* OUT */, double *pct /* OUT */);

/*
 * The statistic of the datapoints of `s` in [from, to) (epoch ms). False
 * when there is none (no datapoint: CloudWatch returns no value for the
 * period). `unit` non-NULL and different from the series' unit: none.
 */
bool cw_series_stat(const struct cw_series *s, int64_t from, int64_t to, enum cw_stat kind,
		    double pct, const char *unit, double *out /* OUT */);

#endif
