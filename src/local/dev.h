/*
 * `sluice dev`: the local cloud in one process. dev_app_load() reads the
 * template through the model (src/template/template.h) into what the local
 * cloud runs: the functions (binary, handler, limits, environment resolved to
 * the local resources), the routes and the buckets. dev_run() then starts the
 * local AWS endpoint (creating the buckets), one worker pool per function, the
 * gateway, watches the build outputs and the template, and runs the event
 * loop until SIGINT or SIGTERM.
 *
 * Local names are those CloudFormation would give the stack "sluice-<stage>":
 * a bucket without BucketName is "<stack>-<logical id>-<12 characters>",
 * lowercase, 63 at most, the suffix a stable hash of the stack name and the
 * logical id, so that a stage keeps its bucket from one run to the next and
 * two stages never share one. A table (AWS::DynamoDB::Table, or a SAM
 * SimpleTable) without TableName is "<stack>-<logical id>-<12 characters>",
 * case kept, the suffix upper case as CloudFormation makes it, stable in the
 * same way; the tables are created in the local DynamoDB endpoint at start
 * (an existing one keeps its items). Functions are named by their logical
 * id.
 *
 * Build outputs: with --build-dir DIR a provided.* function runs
 * DIR/<basename of its Metadata.sluice.build, or "bootstrap">; without, its
 * Metadata.sluice.build (relative to the working directory), else the
 * bootstrap of its code location (dev_code.h), else build/bootstrap. Node.js
 * and Python functions run their runtime's bootstrap in their code folder
 * (dev_fn.h, dev_runtime.h).
 *
 * Reload: the template and every function binary are watched with inotify
 * (their directories, so that an editor's rename or a linker's unlink and
 * create are seen). After DEV_QUIET_MS without a change, a changed binary is
 * reloaded with pool_reload(); a changed template is loaded again and, when it
 * loads, its routes replace the old ones in one swap (pools are reloaded,
 * created or kept); when it does not, the old routes stay and the log says
 * why.
 */
#ifndef SLUICE_LOCAL_DEV_H
#define SLUICE_LOCAL_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "template/template.h"

#define DEV_DEFAULT_TEMPLATE "infra/template.yaml"
#define DEV_DEFAULT_STAGE    "dev"
#define DEV_DEFAULT_DATA_DIR ".sluice"
#define DEV_DEFAULT_BINARY   "build/bootstrap"
#define DEV_QUIET_MS	     300 /* quiet time before a reload */
#define DEV_MAX_FUNCTIONS    64
#define DEV_MAX_BUCKETS	     64
#define DEV_MAX_TABLES	     64
#define DEV_TABLE_NAME_MAX   255 /* DynamoDB's limit */
#define DEV_MAX_ENV	     256 /* environment variables of one function */
#define DEV_STAGE_MAX	     64	 /* characters in a stage name */

/*
 * Test hooks, read from the environment by dev_run() (not options: nobody
 * should need them outside tests). SLUICE_DEV_INTEGRATION_TIMEOUT_MS replaces
 * API Gateway's integration timeouts (29 s REST, 30 s HTTP API) with one value
 * in ms, so that a test sees 504/503 without waiting half a minute;
 * SLUICE_DEV_QUEUE_MAX replaces the length of each function's queue of waiting
 * invocations (POOL_DEFAULT_QUEUE_MAX), so that a test reaches 429 with a few
 * requests. Unset, empty or invalid: the defaults.
 */
#define DEV_ENV_INTEGRATION_TIMEOUT_MS "SLUICE_DEV_INTEGRATION_TIMEOUT_MS"
#define DEV_ENV_QUEUE_MAX	       "SLUICE_DEV_QUEUE_MAX"

/* What the command line says. Strings are borrowed. */
struct dev_options {
	const char *template_path; /* NULL: DEV_DEFAULT_TEMPLATE */
	const char *address;	   /* NULL: "127.0.0.1" */
	uint16_t port;		   /* the gateway (0: ephemeral) */
	uint16_t aws_port;	   /* the AWS endpoint (0: ephemeral) */
	/*
	 * The local CloudFront front (src/local/web/), when the template has a
	 * distribution: WEB_DEFAULT_PORT unless --web-port was given. A port
	 * that cannot be bound is an error when given, and a warning (no site)
	 * when it is the default, so that several stages can run side by side.
	 */
	uint16_t web_port;
	bool web_port_given;
	const char *stage;	   /* NULL: DEV_DEFAULT_STAGE */
	const char *data_dir;	   /* NULL: DEV_DEFAULT_DATA_DIR; data goes to <data_dir>/<stage> */
	const char *build_dir;	   /* NULL: see above */
	const char *access_key_id; /* NULL: "sluice" */
	const char *secret_access_key;	      /* NULL: "sluice-local" */
	const char *region;		      /* NULL: "us-east-1" */
	const struct template_params *params; /* --parameter-overrides; may be NULL */
	bool no_watch;			      /* do not watch for changes */
	bool no_prewarm;		      /* start no worker before the first request */
	/*
	 * --fsync: S3 writes are fsync'd (file, then directory) and DynamoDB
	 * commits are synced (SQLite synchronous=FULL) before they are
	 * answered, so they survive a power loss or an OS crash. Without it
	 * (the default) an S3 write is still atomic (temporary file + rename),
	 * so a killed sluice leaves the old object or the new one, never half,
	 * and a DynamoDB commit is in SQLite's WAL (synchronous=NORMAL) before
	 * it is answered, so a killed sluice loses no acknowledged write.
	 */
	bool fsync;
	FILE *out; /* the banner (URLs, credentials, routes); NULL: stdout */
	/* ---- The database (dev_db.h) and the vendor list ---- */
	uint16_t db_port;	 /* --db-port: the local RDS Proxy; 0: a free port */
	const char *vendor_list; /* --vendor-list FILE: served locally; VendorListUrl names it */
	/*
	 * Apply the migrations of folder `dir` to the database `conninfo` names,
	 * saying what it applied on `out` (NULL: in the log; `sluice invoke`
	 * keeps stdout for the function's answer); non-zero stops the start,
	 * with `why`.
	 * cmd_dev.c passes the migrator of src/app/migrate.h, which the local
	 * cloud does not link. NULL: migrations are not applied.
	 */
	int (*migrate)(void *ctx, const char *conninfo, const char *dir, FILE *out, char *why,
		       size_t why_len);
	void *migrate_ctx;
	/*
	 * Set by dev_run() on its own copy of the options: the parameters the
	 * local cloud fills (database endpoints, VendorListUrl), which
	 * --parameter-overrides may still override.
	 */
	const struct template_params *local_params;
};

/* One function as the local cloud runs it. */
struct dev_function {
	char *id;     /* logical id, also its local function name */
	char *binary; /* the executable; for Node.js and Python, the interpreter */
	char *handler;
	/* Node.js and Python: interpreter and bootstrap (dev_runtime.h); NULL: provided.* */
	char **argv;
	char *task_root; /* the code folder (dev_code.h); NULL: the binary's folder */
	char *watch;	 /* a code folder or .zip whose change reloads the template; or NULL */
	char **env;	 /* "K=V", NULL-terminated */
	uint32_t timeout_ms;
	uint32_t memory_mb;
	uint32_t max_workers; /* ReservedConcurrentExecutions, 0 for the default */
	int line;	      /* where it is declared */
};

/* One route; `function` indexes dev_app.fns. */
struct dev_route {
	int version; /* APIGW_V1 / APIGW_V2 */
	char *api;
	char *stage; /* NULL for $default */
	char *method;
	char *path;
	size_t function;
	bool iam;
	bool has_cors;
	struct {
		char *allow_origins, *allow_methods, *allow_headers, *expose_headers;
		long max_age;
		bool allow_credentials;
	} cors;
};

/* What the template gives the local cloud. Everything is owned. */
struct dev_app {
	struct template *t;
	char *stack_name; /* "sluice-<stage>" */
	struct dev_function fns[DEV_MAX_FUNCTIONS];
	size_t nfns;
	struct dev_route *routes;
	size_t nroutes;
	char *buckets[DEV_MAX_BUCKETS];	   /* local bucket names */
	char *bucket_ids[DEV_MAX_BUCKETS]; /* their logical ids */
	size_t nbuckets;
	char *tables[DEV_MAX_TABLES];	     /* local table names */
	char *table_ids[DEV_MAX_TABLES];     /* their logical ids */
	json_t *table_specs[DEV_MAX_TABLES]; /* their CreateTable requests */
	size_t ntables;
	/*
	 * What the template has that does not run here, one sentence each
	 * ("Fn: Runtime java21 cannot run here: ..."), for the banner: functions
	 * (the others still serve) and APIs of a type the local cloud lacks.
	 */
	char *not_running[DEV_MAX_FUNCTIONS];
	size_t nnot_running;
};

/*
 * 0 for a stage name sluice dev accepts (1 to DEV_STAGE_MAX letters, digits,
 * '-' or '_', starting with a letter or digit, so it is safe as a directory
 * name); ERR_INVAL with a sentence for the user in `why` otherwise.
 */
int dev_stage_check(const char *stage, char *why, size_t why_len);

/*
 * Read the template of `o` into `app` (which needs no initialisation). The
 * AWS endpoint at `aws_url` ("http://127.0.0.1:4566") is given to the
 * functions as AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB and
 * AWS_ENDPOINT_URL. Returns 0, or an
 * error with one sentence for the user in `why` ("file:line: ..."):
 * ERR_NOTFOUND, ERR_PARSE, ERR_UNSUPPORTED (a runtime the local cloud cannot
 * run, no function), ERR_INVAL (a bad stage name), ERR_NOMEM. `app` holds
 * nothing on error. Release it with dev_app_release() after success.
 */
int dev_app_load(const struct dev_options *o, const char *aws_url, struct dev_app *app /* OUT */,
		 char *why, size_t why_len);

/* Free everything `app` holds. Safe on a zeroed app. */
void dev_app_release(struct dev_app *app);

/*
 * Resolve template value `v` to its local text as a function's environment
 * is resolved (buckets, tables, parameters, pseudo parameters), appended to
 * `out`; an API's deployed origin written
 * "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}" becomes
 * `api_origin` (the local gateway's "http://127.0.0.1:3000") when it is not
 * NULL. A value with no local value is left empty with a warning. Returns 0
 * or a buffer error.
 */
int dev_app_resolve(const struct dev_app *app, const char *region, const char *api_origin,
		    const struct tval *v, struct buf *out);

/* The index of function `id` in `app`, or -1. */
int dev_app_function(const struct dev_app *app, const char *id);

/*
 * The local name of bucket `logical_id` in stack `stack`, as described above,
 * into `out` (64 bytes). Returns 0 or ERR_NOMEM. Exposed for tests.
 */
int dev_bucket_name(const char *stack, const char *logical_id, char out[64]);

/*
 * The local name of table `logical_id` in stack `stack`, as described above
 * ("<stack>-<logical id>-<12 of [A-Z0-9]>", at most DEV_TABLE_NAME_MAX
 * characters), into `out`. Returns 0 or ERR_NOMEM. Exposed for tests.
 */
int dev_table_name(const char *stack, const char *logical_id, char out[DEV_TABLE_NAME_MAX + 1]);

/*
 * The CreateTable request for the properties `props` of an
 * AWS::DynamoDB::Table named `name`: TableName, KeySchema,
 * AttributeDefinitions, BillingMode (PAY_PER_REQUEST when neither it nor
 * ProvisionedThroughput is given), ProvisionedThroughput (numbers written
 * as strings become numbers), GlobalSecondaryIndexes. What the local
 * endpoint does not emulate (LocalSecondaryIndexes, streams) is left out
 * with a warning naming `logical_id`. Returns a new reference, or NULL when
 * out of memory.
 */
json_t *dev_table_spec(const char *logical_id, const char *name, const struct tval *props);

/*
 * Run the local cloud until SIGINT/SIGTERM. Returns 0 after a clean stop, or
 * an error after printing why to stderr (template, ports, data directory).
 */
int dev_run(const struct dev_options *o);

/*
 * `sluice invoke`: one invocation of function `id` with `event` (`len`
 * bytes), like `sam local invoke`. The function's payload is written to
 * `out`. Returns 0 when the function answered, ERR_REMOTE when it failed (its
 * error document is written to `out` and the reason to stderr), or another
 * error after printing why.
 */
int dev_invoke(const struct dev_options *o, const char *id, const char *event, size_t len,
	       FILE *out);

#endif
