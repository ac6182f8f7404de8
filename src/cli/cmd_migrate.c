/*
 * `sluice migrate status|plan|up`: the migrator of src/app/migrate.h from the
 * command line, against the local database of a stage (--stage, as `sluice
 * dev` takes it: the stage's running PostgreSQL, or one started for the
 * command when no `sluice dev` runs) or against the database libpq's
 * standard environment names (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGPASSWORD, ...). It connects directly, never through a proxy.
 *
 * Exit codes: 0 done; 1 a migration failed, a file changed after it was
 * applied, or the database could not be reached; 2 usage.
 */
#include "core/common.h"

#include <getopt.h>
#include <sys/stat.h>

#include "app/migrate.h"
#include "cli/cli.h"
#include "cli/local.h"
#include "core/buf.h"
#include "core/log.h"
#include "local/dev.h"
#include "local/postgres/pg_server.h"

#define MIGRATE_DEFAULT_DIR	 "db/migrations"
#define MIGRATE_DEFAULT_DATABASE "sluice"

enum { OPT_DIR = 256, OPT_STAGE, OPT_DATA_DIR, OPT_DATABASE };

static const struct option migrate_longopts[] = {
	{"dir", required_argument, NULL, OPT_DIR},
	{"stage", required_argument, NULL, OPT_STAGE},
	{"data-dir", required_argument, NULL, OPT_DATA_DIR},
	{"database", required_argument, NULL, OPT_DATABASE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void migrate_usage(FILE *out)
{
	fputs("usage: sluice migrate status|plan|up [options]\n\n"
	      "Apply db/migrations to a PostgreSQL database, each once, in order.\n"
	      "  status   what is applied, pending, or changed since it was applied\n"
	      "  plan     print the SQL `up` would run; change nothing\n"
	      "  up       apply what is pending (concurrent runs wait for each other)\n\n"
	      "  --dir DIR          the migrations (default db/migrations)\n"
	      "  --stage NAME       the local database of a stage of `sluice dev`\n"
	      "  --data-dir DIR     where stages live (default .sluice)\n"
	      "  --database NAME    the database of the stage (default sluice)\n"
	      "Without --stage, libpq's environment names the database (PGHOST, PGPORT,\n"
	      "PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, ...).\n",
	      out);
}

struct migrate_args {
	const char *command, *dir, *stage, *data_dir, *database;
};

static int parse_args(int argc, char **argv, struct migrate_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->dir = MIGRATE_DEFAULT_DIR;
	a->data_dir = DEV_DEFAULT_DATA_DIR;
	a->database = MIGRATE_DEFAULT_DATABASE;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", migrate_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			a->dir = optarg;
			break;
		case OPT_STAGE:
			a->stage = optarg;
			break;
		case OPT_DATA_DIR:
			a->data_dir = optarg;
			break;
		case OPT_DATABASE:
			a->database = optarg;
			break;
		case 'h':
			migrate_usage(stdout);
			return -1;
		default:
			fprintf(stderr, "sluice migrate: bad option near '%s'\n", argv[optind - 1]);
			migrate_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "status") && strcmp(argv[optind], "plan") &&
				   strcmp(argv[optind], "up"))) {
		migrate_usage(stderr);
		return EXIT_USAGE;
	}
	a->command = argv[optind];
	return 0;
}

static int run(PGconn *conn, const struct migrate_args *a, const struct migration_set *set)
{
	struct migrate_result res;
	char why[2048] = "";
	int err;

	if (!strcmp(a->command, "status"))
		err = migrate_status(conn, set, stdout, &res, why, sizeof(why));
	else if (!strcmp(a->command, "plan"))
		err = migrate_print_plan(conn, set, stdout, &res, why, sizeof(why));
	else
		err = migrate_up(conn, set, stdout, &res, why, sizeof(why));
	fflush(stdout);
	if (err)
		fprintf(stderr, "sluice migrate: %s\n", why[0] ? why : err_str(err));
	return err ? 1 : 0;
}

/* The connection string of the stage's database: its running server, or one started now. */
static int stage_conninfo(const struct migrate_args *a, struct pg_server **started,
			  struct buf *conninfo)
{
	char stage_dir[4096], why[1024], sock[PATH_MAX];
	struct pg_server_options po = {0};
	uint16_t port;
	int err;

	*started = NULL;
	if (dev_stage_check(a->stage, why, sizeof(why))) {
		fprintf(stderr, "sluice migrate: %s\n", why);
		return ERR_INVAL;
	}
	snprintf(stage_dir, sizeof(stage_dir), "%s/%s", a->data_dir, a->stage);
	if (pg_server_find(stage_dir, &port, sock) == 0) {
		return pg_conninfo(sock, port, a->database, NULL, conninfo);
	}
	if ((mkdir(a->data_dir, 0700) && errno != EEXIST) ||
	    (mkdir(stage_dir, 0700) && errno != EEXIST)) {
		fprintf(stderr, "sluice migrate: cannot create %s: %s\n", stage_dir,
			strerror(errno));
		return ERR_IO;
	}
	po.stage_dir = stage_dir;
	err = pg_server_start(&po, started, why, sizeof(why));
	if (!err)
		err = pg_server_ensure_database(*started, a->database, why, sizeof(why));
	if (!err)
		err = pg_server_conninfo(*started, a->database, NULL, conninfo);
	if (err)
		fprintf(stderr, "sluice migrate: the local PostgreSQL of stage %s: %s\n", a->stage,
			why);
	return err;
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_args a;
	struct migration_set set;
	struct pg_server *started = NULL;
	struct buf conninfo;
	char why[2048];
	PGconn *conn = NULL;
	int rc;

	log_configure(LVL_WARN, false);
	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	migrate_set_init(&set);
	buf_init(&conninfo, (size_t)4 * PATH_MAX);
	rc = 1;
	if (migrate_set_load_dir(&set, a.dir, why, sizeof(why))) {
		fprintf(stderr, "sluice migrate: %s\n", why);
		goto done;
	}
	if (a.stage && stage_conninfo(&a, &started, &conninfo))
		goto done;
	if (migrate_connect(conninfo.ptr, NULL, &conn, why, sizeof(why))) {
		fprintf(stderr, "sluice migrate: %s\n", why);
		goto done;
	}
	rc = run(conn, &a, &set);
done:
	if (conn)
		PQfinish(conn);
	pg_server_stop(started);
	buf_release(&conninfo);
	migrate_set_release(&set);
	return rc;
}

int cli_migrate_up(void *ctx, const char *conninfo, const char *dir, FILE *out, char *why,
		   size_t why_len)
{
	struct migration_set set;
	struct migrate_result res = {0};
	PGconn *conn = NULL;
	int err;

	migrate_set_init(&set);
	err = migrate_set_load_dir(&set, dir, why, why_len);
	if (!err)
		err = migrate_connect(conninfo, NULL, &conn, why, why_len);
	if (!err)
		err = migrate_up(conn, &set, NULL, &res, why, why_len);
	if (!err && res.applied && out)
		fprintf(out, "sluice dev: %ld migrations applied, database at version %ld\n",
			res.applied, res.version);
	else if (!err && res.applied)
		log_msg(LVL_INFO, "postgres: %ld migrations applied, database at version %ld",
			res.applied, res.version);
	if (conn)
		PQfinish(conn);
	migrate_set_release(&set);
	return err;
}
