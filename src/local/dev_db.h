/*
 * The database side of `sluice dev`: when the template asks for one, the
 * stage's PostgreSQL (local/postgres/pg_server.h), its pending migrations
 * applied at start, and the local RDS Proxy in front of it
 * (local/postgres/pg_proxy.h); then the template parameters that point the
 * functions at them.
 *
 * A template asks with a template-level Metadata entry:
 *
 *   Metadata:
 *     sluice:
 *       database:
 *         migrations: ../db/migrations   # relative to the template's folder
 *
 * The database's name and the functions' user are the values of the
 * parameters DatabaseName and DatabaseUser (defaults "sluice" and
 * "sluice_app"). The local cloud then fills, unless --parameter-overrides
 * names them, the parameters the template declares among:
 *   DatabaseProxyEndpoint  127.0.0.1 (the local RDS Proxy)
 *   DatabaseProxyPort      its port
 *   DatabaseEndpoint       the Unix socket folder of the direct connection
 *   DatabasePort           PostgreSQL's own port
 *   DatabaseSslMode        disable (the local proxy speaks no TLS)
 * so that the functions get the same variables as on AWS, the token code
 * path included.
 */
#ifndef SLUICE_LOCAL_DEV_DB_H
#define SLUICE_LOCAL_DEV_DB_H

#include <stdbool.h>
#include <stdio.h>

#include "local/dev.h"
#include "template/template.h"

struct event_base;
struct dev_db;
struct pg_proxy;

#define DEV_DB_DEFAULT_NAME "sluice"
#define DEV_DB_DEFAULT_USER "sluice_app"

/* What the template asks for. */
struct dev_db_spec {
	bool enabled;
	char migrations[4096]; /* resolved against the template's folder */
	char name[64];
	char user[64];
};

/*
 * Read the template of `o` for its database (see above) into `spec`.
 * Returns 0 (spec->enabled false when it asks for none), or the template's
 * error with `why`.
 */
int dev_db_probe(const struct dev_options *o, struct dev_db_spec *spec /* OUT */, char *why,
		 size_t why_len);

/*
 * Start the stage's PostgreSQL in `stage_dir`, create the database, apply
 * the migrations through o->migrate, and start the proxy on o->db_port.
 * Returns 0 and `*out`, or an error with `why` (everything started is
 * stopped again).
 */
int dev_db_start(struct event_base *base, const struct dev_options *o, const char *stage_dir,
		 const struct dev_db_spec *spec, struct dev_db **out /* OUT */, char *why,
		 size_t why_len);

/* Add the parameters listed above to `p` (the caller's overrides win). 0 or ERR_NOMEM. */
int dev_db_params(const struct dev_db *db, struct template_params *p);

/* The banner's lines: the proxy's endpoint, the database, a psql line for the direct connection. */
void dev_db_banner(const struct dev_db *db, FILE *f);

/* The local RDS Proxy (NULL for a NULL `db`), for an observer (dev_obs_proxy()). */
struct pg_proxy *dev_db_proxy(const struct dev_db *db);

/* Stop the proxy and PostgreSQL (a fast shutdown). NULL is a no-op. */
void dev_db_free(struct dev_db *db);

#endif
