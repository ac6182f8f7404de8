/*
 * The `sluice` command's subcommands. sluice.c holds only main(), which
 * dispatches on the first argument; each subcommand lives in its own file
 * and gets argv starting at its own name (argv[0] == "check").
 *
 * Exit codes shared by every subcommand: 0 success, 1 the command ran and
 * found what it reports as failure (findings at or above the threshold),
 * 2 usage errors and unusable input.
 */
#ifndef SLUICE_CLI_CLI_H
#define SLUICE_CLI_CLI_H

#include <stdio.h>

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.1.0"
#endif

#define EXIT_FINDINGS 1
#define EXIT_USAGE    2

/*
 * `sluice check [PATH...]`: validate CloudFormation/SAM templates against
 * the security rules (src/policy/). Returns the process exit code.
 */
int cmd_check(int argc, char **argv);

/* The usage text of `sluice check`, for `sluice check --help` and errors. */
void cmd_check_usage(FILE *out);

#endif
