/*
 * The local cloud's subcommands (src/cli/cmd_dev.c, cmd_event.c), declared
 * here so that cli.h stays the check command's. Conventions as in cli.h: argv
 * starts at the subcommand's name, the result is the exit code.
 */
#ifndef SLUICE_CLI_LOCAL_H
#define SLUICE_CLI_LOCAL_H

#include <stddef.h>
#include <stdio.h>

/*
 * `sluice dev [--template FILE] [--port N] [--aws-port N] [--stage NAME]
 * [--data-dir DIR] [--build-dir DIR] [--parameter-overrides K=V ...]
 * [--access-key-id ID] [--secret-access-key KEY] [--no-watch]`: the local
 * cloud (src/local/dev.h) until SIGINT/SIGTERM.
 */
int cmd_dev(int argc, char **argv);

/* `sluice invoke FUNCTION [--event FILE|-]` plus dev's template options. */
int cmd_invoke(int argc, char **argv);

/* `sluice event apigw-v1|apigw-v2 --method M --path P [--body B] [--query Q] [--header K:V]`. */
int cmd_event(int argc, char **argv);

/*
 * `sluice migrate status|plan|up [--dir DIR] [--stage NAME] [--data-dir DIR]
 * [--database NAME]`: the migrator (src/app/migrate.h) against a stage's
 * local PostgreSQL or libpq's environment (cmd_migrate.c).
 */
int cmd_migrate(int argc, char **argv);

/*
 * Apply the pending migrations of folder `dir` to the database `conninfo`
 * names: the migrator `sluice dev` runs at start (struct dev_options.migrate).
 * One line to `out` when something was applied. 0, or an error with `why`.
 */
int cli_migrate_up(void *ctx, const char *conninfo, const char *dir, FILE *out, char *why,
		   size_t why_len);

/*
 * `sluice logs [--function F] [--request-id ID] [--level L] [--since 10m]
 * [--follow] [--stage S]`: the functions' logs through the CloudWatch Logs
 * API, from `sluice dev` (AWS_ENDPOINT_URL) or AWS (src/cli/cmd_logs.c).
 */
int cmd_logs(int argc, char **argv);

#endif
