/*
 * PostgreSQL statements on the dashboard: the local RDS Proxy reports each
 * statement it relayed (pg_proxy.h, pg_proxy_set_observer()) with the
 * client's TCP port; this finds the function invocation that sent it and
 * adds the statement to that request's calls (cloudwatch/cw.h,
 * cw_request_call()), with its pinning warning.
 *
 * A statement carries no trace header, so the request is found through
 * the process: the pools say which worker process runs which invocation
 * (dev_sql_start(), dev_sql_done(), from dev_obs.c's pool observer), and
 * the client's port leads to the process holding the connection
 * (dev_peer.h: /proc/net/tcp, then the workers' descriptors and those of
 * their children, so that a psql a function runs is found too). The
 * worker found is remembered per connection, since a connection never
 * changes hands; each statement then goes to the invocation its worker
 * runs at that moment. A connection no running worker holds is looked up
 * again only after another invocation has started, so that a client from
 * elsewhere costs the /proc reads (about a millisecond) once. A statement no running worker sent (a
 * developer's psql) is on no request's list; its pinning warning is still in the log.
 */
#ifndef SLUICE_LOCAL_DEV_SQL_H
#define SLUICE_LOCAL_DEV_SQL_H

#include <sys/types.h>

struct cloudwatch;
struct dev_sql;
struct pg_proxy;

#define DEV_SQL_WORKERS 256 /* invocations running at once that are followed */
#define DEV_SQL_CONNS	256 /* connections whose worker is remembered */
#define DEV_SQL_DEPTH	3   /* generations of a worker's children searched */

/* Report into `cw`, reading `proc` (NULL: "/proc"). 0 and *out, or ERR_NOMEM. */
int dev_sql_new(struct cloudwatch *cw, const char *proc, struct dev_sql **out /* OUT */);

/* NULL is a no-op. Stop the proxy's reports (dev_sql_observe(NULL)) first. */
void dev_sql_free(struct dev_sql *s);

/* Worker process `pid` started invocation `request_id` with trace header `trace`. */
void dev_sql_start(struct dev_sql *s, pid_t pid, const char *request_id, const char *trace);

/* Invocation `request_id` ended. */
void dev_sql_done(struct dev_sql *s, const char *request_id);

/* Take the statements of `proxy` (NULL: none). */
void dev_sql_observe(struct dev_sql *s, struct pg_proxy *proxy);

#endif
