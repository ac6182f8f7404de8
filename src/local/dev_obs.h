/*
 * Observability in `sluice dev`: the wiring between the rooms that makes
 * the local CloudWatch (src/local/cloudwatch/cw.h) see what AWS would.
 *
 *   from the template   log groups (their local names and RetentionInDays),
 *                       each function's group (LoggingConfig.LogGroup, else
 *                       /aws/lambda/<function>), metric filters, alarms, the
 *                       HTTP API's access log (AccessLogSettings: its group
 *                       and Format), aliases (AutoPublishAlias)
 *   from the pools      each worker's lines in its function's group, one
 *                       stream per worker named as Lambda names them
 *                       ("2026/01/15/[$LATEST]<32 hex>"), START/END/REPORT
 *                       among them; AWS/Lambda metrics (Invocations, Errors,
 *                       Throttles, Duration, ConcurrentExecutions) per
 *                       FunctionName, and per FunctionName and Resource
 *                       "<function>:<alias>" for a function with an alias
 *   from the gateway    AWS/ApiGateway metrics as an HTTP API records them
 *                       (Count, 4xx, 5xx, Latency, IntegrationLatency per
 *                       ApiId, ApiId and Stage, ApiId, Stage and Route) or a
 *                       REST API (4XXError, 5XXError... per ApiName, Stage,
 *                       Method and Resource), the access log line, and each
 *                       request for the dashboard
 *   from the RDS Proxy   each statement a function's worker sent, in its
 *                       request's calls, with its pinning warning
 *                       (dev_sql.h)
 *
 * Local names follow dev_app_resolve(): a Ref to an API is
 * "<stack>-<logical id>", to a function its logical id, to a log group
 * without LogGroupName "<stack>-<logical id>", so that an alarm's
 * dimensions written with !Ref match what is recorded.
 */
#ifndef SLUICE_LOCAL_DEV_OBS_H
#define SLUICE_LOCAL_DEV_OBS_H

#include "local/dev.h"

struct cloudwatch;
struct dev_obs;
struct gateway;
struct pg_proxy;
struct pool;

/* The folder of the dashboard page: SLUICE_DASHBOARD_DIR, else web/dashboard/dist near the
 * executable. */
#define DEV_ENV_DASHBOARD_DIR "SLUICE_DASHBOARD_DIR"

/* Observe into `cw`. Returns 0 and *out, or ERR_NOMEM. */
int dev_obs_new(struct cloudwatch *cw, struct dev_obs **out /* OUT */);
void dev_obs_free(struct dev_obs *o);

/*
 * Read what the template says about logs, metric filters and alarms, at
 * start and after each reload (alarms keep their state across a reload).
 * What cannot be used is logged with the resource's name.
 */
void dev_obs_load(struct dev_obs *o, const struct dev_app *app, const char *region);

/* Observe function `id`'s pool (call it right after pool_new(), before any worker starts). */
void dev_obs_pool(struct dev_obs *o, struct pool *p);

/* Observe the gateway. */
void dev_obs_gateway(struct dev_obs *o, struct gateway *gw);

/*
 * Show the statements `proxy` relays (NULL: none) in the requests that made
 * them (dev_sql.h). The proxy must be freed before `o`.
 */
void dev_obs_proxy(struct dev_obs *o, struct pg_proxy *proxy);

#endif
