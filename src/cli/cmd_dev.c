/*
 * `sluice dev` and `sluice invoke`: command-line parsing for the local cloud
 * (src/local/dev.h does the work). Both take the same template options, so
 * that `sluice invoke` runs a function exactly as `sluice dev` would.
 */
#include "core/common.h"

#include <getopt.h>

#include "cli/cli.h"
#include "cli/local.h"
#include "core/buf.h"
#include "core/log.h"
#include "lambda/runtime.h"
#include "local/dev.h"
#include "local/dev_fn.h"

#define EVENT_FILE_MAX LAMBDA_REQUEST_MAX

enum {
	OPT_TEMPLATE = 256,
	OPT_PORT,
	OPT_AWS_PORT,
	OPT_STAGE,
	OPT_DATA_DIR,
	OPT_BUILD_DIR,
	OPT_PARAMS,
	OPT_AKID,
	OPT_SECRET,
	OPT_NO_WATCH,
	OPT_EVENT,
	OPT_REGION,
	OPT_NO_PREWARM,
	OPT_FSYNC,
	OPT_WEB_PORT,
	OPT_DB_PORT,
	OPT_VENDOR_LIST,
};

static const struct option dev_longopts[] = {
	{"template", required_argument, NULL, OPT_TEMPLATE},
	{"port", required_argument, NULL, OPT_PORT},
	{"aws-port", required_argument, NULL, OPT_AWS_PORT},
	{"web-port", required_argument, NULL, OPT_WEB_PORT},
	{"stage", required_argument, NULL, OPT_STAGE},
	{"data-dir", required_argument, NULL, OPT_DATA_DIR},
	{"build-dir", required_argument, NULL, OPT_BUILD_DIR},
	{"parameter-overrides", required_argument, NULL, OPT_PARAMS},
	{"access-key-id", required_argument, NULL, OPT_AKID},
	{"secret-access-key", required_argument, NULL, OPT_SECRET},
	{"region", required_argument, NULL, OPT_REGION},
	{"no-watch", no_argument, NULL, OPT_NO_WATCH},
	{"no-prewarm", no_argument, NULL, OPT_NO_PREWARM},
	{"fsync", no_argument, NULL, OPT_FSYNC},
	{"db-port", required_argument, NULL, OPT_DB_PORT},
	{"vendor-list", required_argument, NULL, OPT_VENDOR_LIST},
	{"event", required_argument, NULL, OPT_EVENT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void dev_usage(FILE *out, bool invoke)
{
	if (invoke)
		fputs("usage: sluice invoke FUNCTION [--event FILE|-] [options]\n\n"
		      "Run one invocation of FUNCTION (its logical id) like `sam local invoke`\n"
		      "and print its response. The event is read from FILE, or stdin with '-'\n"
		      "(default: {}).\n\n",
		      out);
	else
		fputs("usage: sluice dev [options]\n\n"
		      "Run the service locally: API Gateway on --port, the functions' workers,\n"
		      "and S3 and DynamoDB endpoints on --aws-port, from the template.\n\n",
		      out);
	fputs("  -t, --template FILE              the template (default infra/template.yaml,\n"
	      "                                   .aws-sam/build/template.yaml or template.yaml)\n"
	      "  --port N                         API port (default 3000)\n"
	      "  --aws-port N                     AWS endpoint port (default 4566)\n"
	      "  --web-port N                     the site, as the template's CloudFront\n"
	      "                                   distribution serves it (default 8080)\n"
	      "  --stage NAME                     stage; data in DATA-DIR/NAME (default dev)\n"
	      "  --data-dir DIR                   where data lives (default .sluice)\n"
	      "  --build-dir DIR                  where the function binaries are\n"
	      "  --parameter-overrides K=V ...    template parameters\n"
	      "  --access-key-id ID               local credentials (default sluice)\n"
	      "  --secret-access-key KEY          (default sluice-local)\n"
	      "  --no-watch                       do not reload on rebuilds\n"
	      "  --fsync                          S3, DynamoDB and PostgreSQL writes survive a\n"
	      "                                   power loss (slower)\n"
	      "  --db-port N                      the local RDS Proxy (default: a free port)\n"
	      "  --vendor-list FILE               serve FILE as the vendor list (VendorListUrl)\n"
	      "  -h, --help                       this text\n",
	      out);
}

static int parse_port(const char *s, uint16_t *out)
{
	long long v;

	if (str_to_i64(str_from(s), 0, 65535, &v))
		return ERR_INVAL;
	*out = (uint16_t)v;
	return 0;
}

/* Parse the shared options; extra positional arguments go to `pos`. */
static int parse_opts(int argc, char **argv, struct dev_options *o, struct template_params *p,
		      const char **event, char **pos, int *npos, bool invoke)
{
	int c;

	o->port = 3000;
	o->aws_port = 4566;
	*npos = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-t:h", dev_longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			/* A positional after --parameter-overrides is one more K=V. */
			if (strchr(optarg, '=') && *npos == (invoke ? 1 : 0) && p->n) {
				if (template_params_set_kv(p, optarg))
					goto bad;
			} else if (*npos < 4) {
				pos[(*npos)++] = optarg;
			} else {
				goto bad;
			}
			break;
		case 't':
		case OPT_TEMPLATE:
			o->template_path = optarg;
			break;
		case OPT_PORT:
			if (parse_port(optarg, &o->port))
				goto bad;
			break;
		case OPT_AWS_PORT:
			if (parse_port(optarg, &o->aws_port))
				goto bad;
			break;
		case OPT_WEB_PORT:
			if (parse_port(optarg, &o->web_port))
				goto bad;
			o->web_port_given = true;
			break;
		case OPT_STAGE:
			o->stage = optarg;
			break;
		case OPT_DATA_DIR:
			o->data_dir = optarg;
			break;
		case OPT_BUILD_DIR:
			o->build_dir = optarg;
			break;
		case OPT_PARAMS:
			if (template_params_set_kv(p, optarg)) {
				fprintf(stderr,
					"sluice: --parameter-overrides wants K=V, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_AKID:
			o->access_key_id = optarg;
			break;
		case OPT_SECRET:
			o->secret_access_key = optarg;
			break;
		case OPT_REGION:
			o->region = optarg;
			break;
		case OPT_NO_WATCH:
			o->no_watch = true;
			break;
		case OPT_NO_PREWARM:
			o->no_prewarm = true;
			break;
		case OPT_FSYNC:
			o->fsync = true;
			break;
		case OPT_DB_PORT:
			if (parse_port(optarg, &o->db_port))
				goto bad;
			break;
		case OPT_VENDOR_LIST:
			o->vendor_list = optarg;
			break;
		case OPT_EVENT:
			if (!invoke)
				goto bad;
			*event = optarg;
			break;
		case 'h':
			dev_usage(stdout, invoke);
			return -1;
		default:
			goto bad;
		}
	}
	o->params = p;
	o->migrate = cli_migrate_up;
	return 0;
bad:
	fprintf(stderr, "sluice: bad option or value near '%s'\n",
		optind > 0 && optind <= argc ? argv[optind - 1] : "?");
	dev_usage(stderr, invoke);
	return EXIT_USAGE;
}

int cmd_dev(int argc, char **argv)
{
	struct dev_options o = {0};
	struct template_params p;
	char *pos[4];
	int npos, rc;

	template_params_init(&p);
	log_configure(LVL_INFO, false);
	rc = parse_opts(argc, argv, &o, &p, NULL, pos, &npos, false);
	/* `sluice dev TEMPLATE` works too (scripts/integ-local.sh calls it so). */
	if (rc == 0 && npos == 1 && !o.template_path)
		o.template_path = pos[0];
	else if (rc == 0 && npos) {
		fprintf(stderr, "sluice dev: unexpected argument '%s'\n", pos[0]);
		rc = EXIT_USAGE;
	}
	if (!o.template_path)
		o.template_path = dev_fn_default_template();
	if (rc == 0)
		rc = dev_run(&o) ? 1 : 0;
	template_params_release(&p);
	return rc < 0 ? 0 : rc;
}

static int read_event(const char *path, struct buf *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t n;
	int err = 0;

	if (!f) {
		fprintf(stderr, "sluice invoke: %s: %s\n", path, strerror(errno));
		return ERR_NOTFOUND;
	}
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_add(out, chunk, n);
	if (f != stdin)
		fclose(f);
	if (err)
		fprintf(stderr, "sluice invoke: %s: larger than %zu bytes\n", path,
			(size_t)EVENT_FILE_MAX);
	return err;
}

int cmd_invoke(int argc, char **argv)
{
	struct dev_options o = {0};
	struct template_params p;
	const char *event = NULL;
	struct buf ev;
	char *pos[4];
	int npos, rc;

	template_params_init(&p);
	buf_init(&ev, EVENT_FILE_MAX);
	log_configure(LVL_WARN, false);
	rc = parse_opts(argc, argv, &o, &p, &event, pos, &npos, true);
	if (rc == 0 && npos != 1) {
		fprintf(stderr, "sluice invoke: name one function (its logical id)\n");
		dev_usage(stderr, true);
		rc = EXIT_USAGE;
	}
	if (rc == 0 && event && read_event(event, &ev))
		rc = EXIT_USAGE;
	if (rc == 0 && !event && buf_adds(&ev, "{}"))
		rc = EXIT_FAILURE;
	o.no_watch = true;
	o.no_prewarm = true;
	if (!o.template_path)
		o.template_path = dev_fn_default_template();
	if (rc == 0) {
		int err = dev_invoke(&o, pos[0], ev.ptr, ev.len, stdout);

		rc = err == 0 ? 0 : err == ERR_REMOTE ? 1 : EXIT_USAGE;
	}
	buf_release(&ev);
	template_params_release(&p);
	return rc < 0 ? 0 : rc;
}
