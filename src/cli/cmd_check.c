/*
 * `sluice check [PATH...]`: find the templates under the given files and
 * folders (infra/ by default), load each through the template model, run
 * the policy rules, and write one report in the chosen format.
 *
 * Folders are walked recursively in name order (so output is stable) for
 * *.yaml, *.yml, *.json and *.template files, skipping hidden folders
 * (.git, .aws-sam build output) and node_modules. A YAML/JSON file that is
 * not a CloudFormation template is skipped with a note on stderr. A
 * template that cannot be read is reported as file:line: message on stderr
 * and makes the exit code 2, after the readable ones were checked.
 */
#include "core/common.h"

#include <dirent.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/grow.h"
#include "policy/policy.h"
#include "policy/report.h"
#include "template/template.h"

#define CHECK_MAX_FILES	   10000 /* templates one run looks at */
#define CHECK_MAX_DEPTH	   32	 /* folder nesting walked */
#define CHECK_DEFAULT_PATH "infra"

enum check_format { FMT_TEXT, FMT_JSON, FMT_SARIF, FMT_JUNIT };

struct check_opts {
	enum check_format format;
	const char *output;
	enum policy_severity fail_on;
	const char *parameters;
	bool show_suppressed;
	bool list_rules;
};

struct file_list {
	char **v;
	size_t n, alloc;
};

void cmd_check_usage(FILE *out)
{
	fputs("usage: sluice check [options] [PATH...]\n"
	      "\n"
	      "Validate CloudFormation/SAM templates against security policies. PATH is a\n"
	      "template or a folder searched for *.yaml, *.yml, *.json and *.template\n"
	      "(default: infra/).\n"
	      "\n"
	      "  --format text|json|sarif|junit  report format (default text)\n"
	      "  --output FILE                   write the report to FILE\n"
	      "  --fail-on error|warning         exit 1 at or above this severity (default error)\n"
	      "  --parameters FILE               parameter values: [{ParameterKey, "
	      "ParameterValue}]\n"
	      "                                  or {\"Key\": \"Value\"}\n"
	      "  --show-suppressed               list suppressed findings and their reasons\n"
	      "  --list-rules                    print the rule catalogue and exit\n"
	      "  -h, --help                      this text\n"
	      "\n"
	      "Suppress a finding in the resource's Metadata:\n"
	      "  sluice: {suppress: [{id: S3-009, reason: \"...\"}]}\n"
	      "or for the repository in .sluice-check.yaml (current folder or above PATH):\n"
	      "  rules: [{id: S3-009, enabled: false, reason: \"...\"}]\n"
	      "\n"
	      "Exit: 0 clean, 1 findings at or above --fail-on, 2 usage error or unreadable "
	      "input.\n",
	      out);
}

static int list_add(struct file_list *l, const char *path)
{
	int err;

	if (l->n >= CHECK_MAX_FILES)
		return ERR_TOOLARGE;
	err = ALLOC_GROW(l->v, l->n + 1, l->alloc);
	if (err)
		return err;
	l->v[l->n] = strdup(path);
	if (!l->v[l->n])
		return ERR_NOMEM;
	l->n++;
	return 0;
}

static void list_release(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool template_name(const char *name)
{
	static const char *const exts[] = {".yaml", ".yml", ".json", ".template"};
	size_t n = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		size_t e = strlen(exts[i]);

		if (n > e && strcasecmp(name + n - e, exts[i]) == 0)
			return true;
	}
	return false;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk_dir(struct file_list *l, const char *dir, int depth)
{
	struct dirent **names;
	int n, err = 0;

	if (depth > CHECK_MAX_DEPTH)
		return 0;
	n = scandir(dir, &names, NULL, name_cmp);
	if (n < 0)
		return ERR_IO;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[4096];
		struct stat st;

		if (!err && name[0] != '.' && strcmp(name, "node_modules")) {
			snprintf(path, sizeof(path), "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/", name);
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
				err = walk_dir(l, path, depth + 1);
			else if (S_ISREG(st.st_mode) && template_name(name))
				err = list_add(l, path);
		}
		free(names[i]);
	}
	free(names);
	return err;
}

static int parse_args(int argc, char **argv, struct check_opts *o)
{
	static const struct option longs[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"fail-on", required_argument, NULL, 'F'},
		{"parameters", required_argument, NULL, 'p'},
		{"show-suppressed", no_argument, NULL, 's'},
		{"list-rules", no_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const formats[] = {"text", "json", "sarif", "junit"};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->format = (enum check_format) - 1;
			for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
				if (!strcmp(optarg, formats[i]))
					o->format = (enum check_format)i;
			if ((int)o->format < 0) {
				fprintf(stderr, "sluice check: unknown format '%s'\n", optarg);
				return ERR_INVAL;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'F':
			o->fail_on = policy_severity_parse(optarg);
			if (o->fail_on == POLICY_NONE) {
				fprintf(stderr, "sluice check: --fail-on is error or warning\n");
				return ERR_INVAL;
			}
			break;
		case 'p':
			o->parameters = optarg;
			break;
		case 's':
			o->show_suppressed = true;
			break;
		case 'l':
			o->list_rules = true;
			break;
		case 'h':
			cmd_check_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "sluice check: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			return ERR_INVAL;
		}
	}
	return 0;
}

/* Expand the PATH arguments; explicit files are taken whatever their name. */
static int collect(int argc, char **argv, struct file_list *files, const char **first)
{
	char *deflt[] = {CHECK_DEFAULT_PATH};
	char **paths = optind < argc ? argv + optind : deflt;
	int n = optind < argc ? argc - optind : 1;

	*first = paths[0];
	for (int i = 0; i < n; i++) {
		struct stat st;
		int err;

		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "sluice check: %s: no such file or folder\n", paths[i]);
			return ERR_NOTFOUND;
		}
		err = S_ISDIR(st.st_mode) ? walk_dir(files, paths[i], 0)
					  : list_add(files, paths[i]);
		if (err) {
			fprintf(stderr, "sluice check: %s: %s\n", paths[i], err_str(err));
			return err;
		}
	}
	return 0;
}

/* Load and check every file; returns true when one could not be read. */
static bool check_files(const struct file_list *files, const struct template_params *params,
			const struct policy_config *cfg, struct policy_report *rep)
{
	bool unreadable = false;

	for (size_t i = 0; i < files->n; i++) {
		struct template_diag diag;
		struct template *t = NULL;
		int err = template_load(files->v[i], params, &t, &diag);

		if (err == ERR_UNSUPPORTED) {
			fprintf(stderr, "note: skipped %s: not a CloudFormation template\n",
				files->v[i]);
			policy_report_add_file(rep, files->v[i], "not a CloudFormation template");
			continue;
		}
		if (err) {
			fprintf(stderr, "%s\n", diag.msg);
			unreadable = true;
			continue;
		}
		err = policy_report_add_file(rep, files->v[i], NULL);
		if (!err)
			err = policy_check_template(rep, t, cfg);
		if (err) {
			fprintf(stderr, "sluice check: %s: %s\n", files->v[i], err_str(err));
			unreadable = true;
		}
		template_free(t);
	}
	return unreadable;
}

/* Colour on a terminal unless NO_COLOR is set to something (no-color.org). */
static bool use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

static int write_report(const struct check_opts *o, const struct policy_report *rep)
{
	FILE *out = stdout;
	struct report_opts ro = {
		.show_suppressed = o->show_suppressed,
		.fail_on = o->fail_on,
		.version = SLUICE_VERSION,
	};
	int err;

	if (o->output) {
		out = fopen(o->output, "w");
		if (!out) {
			fprintf(stderr, "sluice check: %s: %s\n", o->output, strerror(errno));
			return ERR_IO;
		}
	}
	ro.color = !o->output && use_color();
	switch (o->format) {
	case FMT_JSON:
		err = report_json(out, rep, &ro);
		break;
	case FMT_SARIF:
		err = report_sarif(out, rep, &ro);
		break;
	case FMT_JUNIT:
		err = report_junit(out, rep, &ro);
		break;
	default:
		err = report_text(out, rep, &ro);
	}
	if (fflush(out) && !err)
		err = ERR_IO;
	if (out != stdout && fclose(out) && !err)
		err = ERR_IO;
	if (err)
		fprintf(stderr, "sluice check: writing the report: %s\n", err_str(err));
	return err;
}

static bool checked_any(const struct policy_report *rep)
{
	for (size_t i = 0; i < rep->nfiles; i++)
		if (rep->files[i].checked)
			return true;
	return false;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = {.format = FMT_TEXT, .fail_on = POLICY_ERROR};
	struct file_list files = {0};
	struct template_params params;
	struct policy_config cfg;
	struct policy_report rep;
	struct template_diag diag;
	char cfg_err[1200];
	const char *first = NULL;
	int rc = EXIT_USAGE, err;
	bool unreadable;

	template_params_init(&params);
	policy_config_init(&cfg);
	policy_report_init(&rep);
	err = parse_args(argc, argv, &o);
	if (err) {
		rc = err > 0 ? 0 : EXIT_USAGE;
		if (err < 0)
			fputs("Run 'sluice check --help' for the options.\n", stderr);
		goto out;
	}
	if (o.list_rules) {
		rc = report_rules(stdout, use_color()) ? EXIT_USAGE : 0;
		goto out;
	}
	if (o.parameters && template_params_load_file(&params, o.parameters, &diag)) {
		fprintf(stderr, "%s\n", diag.msg);
		goto out;
	}
	if (collect(argc, argv, &files, &first))
		goto out;
	if (policy_config_discover(&cfg, first, cfg_err, sizeof(cfg_err))) {
		fprintf(stderr, "%s\n", cfg_err);
		goto out;
	}
	unreadable = check_files(&files, &params, &cfg, &rep);
	policy_report_sort(&rep);
	/* Nothing checked and something unreadable: the messages are the report. */
	if (unreadable && !checked_any(&rep))
		goto out;
	if (write_report(&o, &rep) || unreadable)
		goto out;
	rc = policy_report_fails(&rep, o.fail_on) ? EXIT_FINDINGS : 0;
out:
	list_release(&files);
	policy_report_release(&rep);
	policy_config_release(&cfg);
	template_params_release(&params);
	return rc;
}
