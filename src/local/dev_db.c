/*
 * The database side of `sluice dev` (see dev_db.h): wires the postgres room
 * (server and proxy) to the template and to the migrator the command line
 * hands in. The room knows nothing of templates; this file is the
 * orchestration between them.
 */
#include "core/common.h"

#include <libgen.h>

#include "core/buf.h"
#include "core/log.h"
#include "local/dev_db.h"
#include "local/endpoint.h"
#include "local/postgres/pg_proxy.h"
#include "local/postgres/pg_server.h"

struct dev_db {
	struct dev_db_spec spec;
	struct pg_server *server;
	struct pg_proxy *proxy;
	char proxy_port[8], pg_port[8];
};

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/* The value of parameter `name` as the template resolves it, or `dflt`. */
static const char *param_value(const struct template *t, const char *name, const char *dflt)
{
	const struct template_param *p = template_param(t, name);
	const char *v = p && p->value ? tval_scalar(p->value) : NULL;

	return v && *v ? v : dflt;
}

int dev_db_probe(const struct dev_options *o, struct dev_db_spec *spec, char *why, size_t why_len)
{
	const char *path = o->template_path ? o->template_path : DEV_DEFAULT_TEMPLATE;
	const struct tval *db;
	struct template_params p;
	struct template_diag d;
	struct template *t = NULL;
	const char *rel;
	char dir[4096];
	int err;

	memset(spec, 0, sizeof(*spec));
	template_params_init(&p);
	for (size_t i = 0; o->params && i < o->params->n; i++)
		template_params_set(&p, o->params->items[i].name, o->params->items[i].value);
	err = template_load(path, &p, &t, &d);
	template_params_release(&p);
	if (err) {
		say(why, why_len, "%s", d.msg);
		return err;
	}
	db = tval_get_path(t->root, "Metadata.sluice.database");
	if (db && db->kind == TVAL_MAP) {
		spec->enabled = true;
		rel = tval_str(tval_get(db, "migrations"));
		snprintf(dir, sizeof(dir), "%s", path);
		if (!rel)
			rel = "../db/migrations";
		if (rel[0] == '/')
			snprintf(spec->migrations, sizeof(spec->migrations), "%s", rel);
		else
			snprintf(spec->migrations, sizeof(spec->migrations), "%.2000s/%.2000s",
				 dirname(dir), rel);
		snprintf(spec->name, sizeof(spec->name), "%s",
			 param_value(t, "DatabaseName", DEV_DB_DEFAULT_NAME));
		snprintf(spec->user, sizeof(spec->user), "%s",
			 param_value(t, "DatabaseUser", DEV_DB_DEFAULT_USER));
	}
	template_free(t);
	return 0;
}

static int migrate(const struct dev_options *o, struct dev_db *db, char *why, size_t why_len)
{
	struct buf ci;
	int err;

	if (!o->migrate) {
		log_msg(LVL_WARN, "postgres: no migrator given; migrations not applied");
		return 0;
	}
	buf_init(&ci, 8192);
	err = pg_server_conninfo(db->server, db->spec.name, NULL, &ci);
	if (!err)
		err = o->migrate(o->migrate_ctx, ci.ptr, db->spec.migrations, NULL, why, why_len);
	buf_release(&ci);
	return err;
}

int dev_db_start(struct event_base *base, const struct dev_options *o, const char *stage_dir,
		 const struct dev_db_spec *spec, struct dev_db **out, char *why, size_t why_len)
{
	struct dev_db *db = calloc(1, sizeof(*db));
	struct pg_server_options so = {.stage_dir = stage_dir, .fsync = o->fsync};
	int err;

	*out = NULL;
	if (!db)
		return ERR_NOMEM;
	db->spec = *spec;
	err = pg_server_start(&so, &db->server, why, why_len);
	if (!err)
		err = pg_server_ensure_database(db->server, spec->name, why, why_len);
	if (!err)
		err = migrate(o, db, why, why_len);
	if (!err) {
		struct pg_proxy_config pc = {
			.address = "127.0.0.1",
			.port = o->db_port,
			.backend_socket = pg_server_socket_dir(db->server),
			.backend_port = pg_server_port(db->server),
			.region = o->region,
			.access_key_id = o->access_key_id ? o->access_key_id
							  : AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID,
			.secret_access_key = o->secret_access_key ? o->secret_access_key
								  : AWS_ENDPOINT_DEFAULT_SECRET,
		};
		err = pg_proxy_new(base, &pc, &db->proxy);
		if (err)
			say(why, why_len, "cannot start the local RDS Proxy on port %u: %s",
			    (unsigned)o->db_port, err_str(err));
	}
	if (err) {
		dev_db_free(db);
		return err;
	}
	snprintf(db->proxy_port, sizeof(db->proxy_port), "%u", (unsigned)pg_proxy_port(db->proxy));
	snprintf(db->pg_port, sizeof(db->pg_port), "%u", (unsigned)pg_server_port(db->server));
	log_msg(LVL_INFO, "postgres: %s in %.0f ms%s", pg_server_data_dir(db->server),
		pg_server_start_ms(db->server),
		pg_server_initialised(db->server) ? " (initdb included)" : "");
	*out = db;
	return 0;
}

int dev_db_params(const struct dev_db *db, struct template_params *p)
{
	int err = 0;

	if (!db)
		return 0;
	err |= template_params_set(p, "DatabaseProxyEndpoint", "127.0.0.1");
	err |= template_params_set(p, "DatabaseProxyPort", db->proxy_port);
	err |= template_params_set(p, "DatabaseEndpoint", pg_server_socket_dir(db->server));
	err |= template_params_set(p, "DatabasePort", db->pg_port);
	err |= template_params_set(p, "DatabaseSslMode", "disable");
	return err ? ERR_NOMEM : 0;
}

void dev_db_banner(const struct dev_db *db, FILE *f)
{
	if (!db)
		return;
	fprintf(f, "  RDS Proxy      127.0.0.1:%s (IAM token as password; database %s, user %s)\n",
		db->proxy_port, db->spec.name, db->spec.user);
	fprintf(f, "  PostgreSQL     psql \"host=%s port=%s dbname=%s user=%s\"\n",
		pg_server_socket_dir(db->server), db->pg_port, db->spec.name, PG_SERVER_SUPERUSER);
}

struct pg_proxy *dev_db_proxy(const struct dev_db *db)
{
	return db ? db->proxy : NULL;
}

void dev_db_free(struct dev_db *db)
{
	if (!db)
		return;
	pg_proxy_free(db->proxy);
	pg_server_stop(db->server);
	free(db);
}
