/*
 * The local PostgreSQL of a stage: Debian's server (postgresql, installed by
 * `make deps`), one cluster per stage in <stage dir>/postgres, supervised by
 * `sluice dev` (and started for a moment by `sluice migrate --stage` when no
 * `sluice dev` runs).
 *
 * - First start: initdb into <stage dir>/postgres.init, renamed to
 *   <stage dir>/postgres once it succeeded, so a killed initdb never leaves
 *   a half cluster behind (the next start removes the leftover and runs it
 *   again). Superuser "postgres", trust authentication, UTF8, locale C.
 * - Every start: the postmaster listens on its Unix socket in the cluster's
 *   folder (or a short folder in /tmp when that path is too long for a
 *   socket) and on 127.0.0.1:<port>, with fsync, synchronous_commit and
 *   full_page_writes off unless asked (`--fsync`): a stage survives a kill of
 *   any process, not a power cut. Its log goes to <stage dir>/postgres.log.
 * - A postmaster left behind by a `sluice dev` that was killed (kill -9)
 *   is stopped cleanly (SIGINT: fast shutdown, then SIGQUIT, then SIGKILL
 *   if it will not go) before a new one starts, so there are never two on
 *   one cluster and the cluster is never damaged. The child also carries
 *   PR_SET_PDEATHSIG(SIGINT), so it shuts itself down when its supervisor
 *   dies.
 * - As root (CI), initdb and postgres refuse to run, so both run as the
 *   user "postgres" (Debian's package creates it), else "nobody", which
 *   owns the cluster's folder. They keep one capability,
 *   CAP_DAC_READ_SEARCH, as an ambient capability, so that they can reach a
 *   cluster inside folders only root may enter (/root/..., mkdtemp's 0700
 *   folders); they can write only where that user can.
 *
 * All calls block (initdb takes about a second); they run at start and stop,
 * before and after the event loop serves anything. Children are reaped with
 * waitpid() on their own pid, as the worker pools do.
 */
#ifndef SLUICE_LOCAL_PG_SERVER_H
#define SLUICE_LOCAL_PG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PG_SERVER_SUPERUSER  "postgres"
#define PG_SERVER_DIR	     "postgres"
#define PG_SERVER_LOG	     "postgres.log"
#define PG_SERVER_READY_MS   30000 /* how long a start may take before it is a failure */
#define PG_SERVER_STOP_MS    15000 /* fast shutdown, before SIGQUIT */
#define PG_SERVER_BINDIR_ENV "SLUICE_PG_BINDIR"

struct pg_server;

struct pg_server_options {
	const char *stage_dir; /* ".sluice/dev": the cluster goes to <stage_dir>/postgres */
	uint16_t port;	       /* TCP port on 127.0.0.1; 0: a free one */
	bool fsync;	       /* fsync and synchronous commits, for surviving a power cut */
};

/*
 * Make sure the cluster exists and run its postmaster, as described above.
 * Returns 0 and `*out`, or an error with a sentence in `why`: ERR_NOTFOUND
 * (no PostgreSQL server installed: run make deps), ERR_IO (initdb failed,
 * the postmaster did not start or become ready in PG_SERVER_READY_MS; `why`
 * quotes the end of its log), ERR_NOMEM.
 */
int pg_server_start(const struct pg_server_options *o, struct pg_server **out /* OUT */, char *why,
		    size_t why_len);

/*
 * Create database `name` when it does not exist. 0, or ERR_REMOTE with the
 * server's reason in `why`.
 */
int pg_server_ensure_database(struct pg_server *s, const char *name, char *why, size_t why_len);

/* Where the Unix socket is, the TCP port, the cluster's folder, the postmaster's pid. */
const char *pg_server_socket_dir(const struct pg_server *s);
uint16_t pg_server_port(const struct pg_server *s);
const char *pg_server_data_dir(const struct pg_server *s);
int pg_server_pid(const struct pg_server *s);

/* Milliseconds the last start took, initdb included, and whether it ran initdb. */
double pg_server_start_ms(const struct pg_server *s);
bool pg_server_initialised(const struct pg_server *s);

/*
 * Append the libpq connection string of the direct connection to database
 * `dbname` as `user` (NULL: the superuser) through the Unix socket:
 * "host=<socket dir> port=<port> dbname=<dbname> user=<user>", values
 * quoted as libpq wants. 0, ERR_TOOLARGE or ERR_NOMEM.
 */
int pg_server_conninfo(const struct pg_server *s, const char *dbname, const char *user,
		       struct buf *out);

/* The same for a server known by its socket folder and port (pg_server_find()). */
int pg_conninfo(const char *socket_dir, uint16_t port, const char *dbname, const char *user,
		struct buf *out);

/*
 * True while the postmaster runs; reaps it (and says how it ended in the log)
 * when it has exited.
 */
bool pg_server_alive(struct pg_server *s);

/* Stop the postmaster (fast shutdown, waited for) and free `s`. NULL is a no-op. */
void pg_server_stop(struct pg_server *s);

/*
 * Find the postmaster that runs the cluster of `stage_dir` (a `sluice dev` of
 * that stage), from its postmaster.pid: its port and socket folder. Returns 0
 * with `port` and `socket_dir` (PATH_MAX bytes) filled, or ERR_NOTFOUND when
 * none runs.
 */
int pg_server_find(const char *stage_dir, uint16_t *port /* OUT */, char *socket_dir /* OUT */);

/* The folder of Debian's PostgreSQL programs ($SLUICE_PG_BINDIR, else the newest installed). */
int pg_server_bindir(char *out, size_t len);

#endif
