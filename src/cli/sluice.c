/*
 * The `sluice` command: a table of subcommands and nothing else. Each
 * subcommand parses its own options (see cli.h); main() only picks one.
 */
#include "core/common.h"

#include "cli/cli.h"
#include "cli/local.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"check", cmd_check, "validate CloudFormation/SAM templates against security policies"},
	{"dev", cmd_dev, "run the service locally: API Gateway, Lambda workers, S3"},
	{"invoke", cmd_invoke, "run one invocation of a function, like sam local invoke"},
	{"event", cmd_event, "print a sample API Gateway event"},
	{"migrate", cmd_migrate, "apply db/migrations to PostgreSQL (status, plan, up)"},
	{"logs", cmd_logs, "print the functions' logs from CloudWatch Logs (local or AWS)"},
};

static void usage(FILE *out)
{
	fputs("usage: sluice <command> [options]\n"
	      "       sluice --help | --version\n\ncommands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'sluice <command> --help' for a command's options.\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("sluice %s\n", SLUICE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sluice: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
