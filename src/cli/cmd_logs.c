/*
 * `sluice logs`: the functions' logs, through the CloudWatch Logs API, so
 * that one command reads `sluice dev` (AWS_ENDPOINT_URL, which its banner
 * prints) and a deployed stack (real credentials, no endpoint) alike.
 *
 * Which log groups: the template's functions (--function F, or all), each
 * function's LoggingConfig.LogGroup or Lambda's /aws/lambda/<name>. Their
 * names are found as CloudFormation makes them: a LogGroupName as written,
 * else the stack's "<stack>-<logical id>-<suffix>" (found by prefix with
 * DescribeLogGroups; locally the suffix is absent), and for Lambda's own
 * groups "/aws/lambda/<function>" (the local name) or the stack's
 * "/aws/lambda/<stack>-<logical id>-<suffix>".
 *
 * Then FilterLogEvents on each, from --since, with a pattern made of
 * --request-id (the request's id as a quoted term: every line that names
 * it, START/END/REPORT included) and --level (JSON lines at that level or
 * above), merged by time. --follow polls as `aws logs tail --follow` does:
 * from the newest timestamp seen, leaving out the event ids already shown.
 */
#include "core/common.h"

#include <getopt.h>
#include <signal.h>

#include "aws/cwlogs.h"
#include "cli/cli.h"
#include "cli/local.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/dev.h"
#include "local/dev_fn.h"
#include "template/template.h"

#define LOGS_GROUPS_MAX	    64
#define LOGS_PATTERN_MAX    1024
#define LOGS_SEEN_MAX	    10000
#define LOGS_LOCAL_POLL_MS  1000
#define LOGS_REMOTE_POLL_MS 5000

struct logs_group {
	char *name;
	char *label; /* the function, for the output */
};

struct logs_opts {
	const char *function, *group, *request_id, *level, *since, *stage, *template_path;
	const char *endpoint, *format;
	bool follow;
	long interval_ms;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void logs_usage(FILE *out)
{
	fputs("usage: sluice logs [options]\n\n"
	      "Print the functions' logs from CloudWatch Logs: `sluice dev`'s (with\n"
	      "AWS_ENDPOINT_URL set, as its banner prints) or a deployed stack's.\n\n"
	      "  --function F        one function of the template (default: all of them)\n"
	      "  --group NAME        a log group by name, instead of the template's\n"
	      "  --request-id ID     only the lines that name this request (Lambda or API id)\n"
	      "  --level L           only JSON lines at level L or above (DEBUG, INFO, WARN, "
	      "ERROR)\n"
	      "  --since D           from D ago (30s, 10m, 2h, 1d) or an RFC 3339 time; default "
	      "10m\n"
	      "  --follow            keep printing new lines until Ctrl-C\n"
	      "  --stage S           the stack sluice-S (default dev)\n"
	      "  --template FILE     the template (default: as sluice dev finds it)\n"
	      "  --endpoint-url URL  the CloudWatch Logs endpoint (default: AWS_ENDPOINT_URL_\n"
	      "                      CLOUDWATCH_LOGS, AWS_ENDPOINT_URL, else AWS)\n"
	      "  --format F          short (time, function, message; the default) or json\n"
	      "  --interval MS       how often --follow asks (default 1000 local, 5000 AWS)\n",
	      out);
}

/* "10m" ago, or an RFC 3339 time, as epoch ms; -1 when neither. */
static int64_t parse_since(const char *s, int64_t now)
{
	char *end;
	long long n;
	int64_t ms;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end != s && !errno && n >= 0 && end[0] && !end[1]) {
		switch (end[0]) {
		case 's':
			return now - n * 1000;
		case 'm':
			return now - n * 60000;
		case 'h':
			return now - n * 3600000;
		case 'd':
			return now - n * 86400000;
		case 'w':
			return now - n * 7 * 86400000;
		}
	}
	return time_parse_rfc3339(s, strlen(s), &ms) ? -1 : ms;
}

/* The pattern of --request-id and --level: 0, or ERR_INVAL for an unknown level. */
static int make_pattern(const struct logs_opts *o, char *out, size_t cap)
{
	static const char *const levels[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
	char lv[512] = "";
	int min = o->level ? log_level_parse(o->level) : -1;

	out[0] = '\0';
	if (o->level && min < 0)
		return ERR_INVAL;
	for (int i = min < 0 ? 6 : min; i < 6; i++) {
		size_t n = strlen(lv);
		snprintf(lv + n, sizeof(lv) - n, "%s$.level = \"%s\"", n ? " || " : "", levels[i]);
	}
	if (o->request_id && strpbrk(o->request_id, "\"\\"))
		return ERR_INVAL;
	if (o->request_id && lv[0])
		snprintf(
			out, cap,
			"{ (%s) && ($.function_request_id = \"%s\" || $.correlation_id = \"%s\") }",
			lv, o->request_id, o->request_id);
	else if (o->request_id)
		snprintf(out, cap, "\"%s\"", o->request_id);
	else if (lv[0])
		snprintf(out, cap, "{ %s }", lv);
	return 0;
}

/* ---- finding the groups ---- */

/* The name of the group that is `name`, or the first that starts with `prefix` "-". */
static char *find_group(struct cwlogs_client *c, const char *name, const char *prefix)
{
	const char *probe = name ? name : prefix;
	json_t *req = json_pack("{s:s,s:i}", "logGroupNamePrefix", probe, "limit", 50),
	       *resp = NULL;
	struct cwlogs_error e;
	char *found = NULL;

	if (req && cwlogs_call(c, "DescribeLogGroups", req, &resp, &e) == 0) {
		json_t *gs = json_object_get(resp, "logGroups");

		for (size_t i = 0; !found && i < json_array_size(gs); i++) {
			const char *g = jsonx_str(json_array_get(gs, i), "logGroupName");
			size_t n = strlen(probe);

			if (g &&
			    (!strcmp(g, probe) || (!name && !strncmp(g, probe, n) && g[n] == '-')))
				found = strdup(g);
		}
	}
	json_decref(req);
	json_decref(resp);
	return found;
}

static char *function_group(struct cwlogs_client *c, const struct template *t, const char *stack,
			    const struct template_resource *fn)
{
	const struct tval *lg = tval_get_path(fn->props, "LoggingConfig.LogGroup");
	char prefix[512];
	char *g;

	if (lg && tval_str(lg) && !(lg->flags & TVAL_F_PARTIAL))
		return strdup(tval_str(lg));
	if (lg && lg->kind == TVAL_UNKNOWN && lg->ref) {
		const struct template_resource *r = template_resource(t, lg->ref);
		const struct tval *name = r ? tval_get(r->props, "LogGroupName") : NULL;

		if (name && tval_str(name) && !(name->flags & TVAL_F_PARTIAL))
			return strdup(tval_str(name));
		snprintf(prefix, sizeof(prefix), "%s-%s", stack, lg->ref);
		return find_group(c, NULL, prefix);
	}
	snprintf(prefix, sizeof(prefix), "/aws/lambda/%s", fn->id);
	if ((g = find_group(c, prefix, NULL)))
		return g;
	snprintf(prefix, sizeof(prefix), "/aws/lambda/%s-%s", stack, fn->id);
	return find_group(c, NULL, prefix);
}

/* The groups to read: --group, or the template's functions'. 0, or an exit code. */
static int resolve_groups(struct cwlogs_client *c, const struct logs_opts *o,
			  struct logs_group *out, size_t *n)
{
	const char *path = o->template_path ? o->template_path : dev_fn_default_template();
	struct template *t = NULL;
	struct template_diag d;
	char stack[128];
	int found = 0;

	*n = 0;
	if (o->group) {
		out[0].name = strdup(o->group);
		out[0].label = strdup(o->group);
		*n = 1;
		return 0;
	}
	memset(&d, 0, sizeof(d));
	if (template_load(path, NULL, &t, &d)) {
		fprintf(stderr, "sluice logs: %s (give --group NAME without a template)\n",
			d.msg[0] ? d.msg : path);
		return EXIT_USAGE;
	}
	snprintf(stack, sizeof(stack), "sluice-%s", o->stage ? o->stage : DEV_DEFAULT_STAGE);
	for (size_t i = 0; i < t->nres && *n < LOGS_GROUPS_MAX; i++) {
		const struct template_resource *r = &t->res[i];
		char *g;

		if (strcmp(r->type, "AWS::Serverless::Function") &&
		    strcmp(r->type, "AWS::Lambda::Function"))
			continue;
		if (o->function && strcmp(o->function, r->id))
			continue;
		found++;
		if (!(g = function_group(c, t, stack, r))) {
			fprintf(stderr,
				"sluice logs: %s has no log group at %s yet (has it run?)\n", r->id,
				cwlogs_endpoint(c));
			continue;
		}
		out[*n].name = g;
		out[*n].label = strdup(r->id);
		(*n)++;
	}
	template_free(t);
	if (o->function && !found) {
		fprintf(stderr, "sluice logs: no function %s in %s\n", o->function, path);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- reading ---- */

struct event {
	int64_t ts;
	char *id, *message;
	const char *label, *stream;
	json_t *raw;
};

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* What --follow has shown at the newest timestamp (aws logs tail's rule). */
struct seen {
	int64_t ts;
	char **ids;
	size_t n, alloc;
};

static bool seen_has(const struct seen *s, int64_t ts, const char *id)
{
	for (size_t i = 0; ts == s->ts && i < s->n; i++)
		if (!strcmp(s->ids[i], id))
			return true;
	return false;
}

static void seen_add(struct seen *s, int64_t ts, const char *id)
{
	if (ts > s->ts) {
		for (size_t i = 0; i < s->n; i++)
			free(s->ids[i]);
		s->n = 0;
		s->ts = ts;
	}
	if (ts == s->ts && s->n < LOGS_SEEN_MAX && !ALLOC_GROW(s->ids, s->n + 1, s->alloc) &&
	    (s->ids[s->n] = strdup(id)))
		s->n++;
}

/* Every page of FilterLogEvents on one group from `from`, appended to `evs`. */
static int read_group(struct cwlogs_client *c, const struct logs_group *g, int64_t from,
		      const char *pattern, struct event **evs, size_t *n, size_t *alloc)
{
	json_t *req = json_pack("{s:s,s:I,s:b}", "logGroupName", g->name, "startTime",
				(json_int_t)from, "interleaved", 1);
	struct cwlogs_error e;
	int err = req ? 0 : ERR_NOMEM;

	if (req && pattern[0])
		json_object_set_new(req, "filterPattern", json_string(pattern));
	while (!err) {
		json_t *resp = NULL, *list;
		const char *tok;

		err = cwlogs_call(c, "FilterLogEvents", req, &resp, &e);
		if (err) {
			fprintf(stderr, "sluice logs: %s: %s%s%s\n", g->name,
				e.type[0] ? e.type : err_str(err), e.message[0] ? ": " : "",
				e.message);
			break;
		}
		list = json_object_get(resp, "events");
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *ev = json_array_get(list, i);

			if (ALLOC_GROW(*evs, *n + 1, *alloc)) {
				err = ERR_NOMEM;
				break;
			}
			(*evs)[*n] = (struct event){
				json_integer_value(json_object_get(ev, "timestamp")),
				strdup(jsonx_str(ev, "eventId") ? jsonx_str(ev, "eventId") : ""),
				strdup(jsonx_str(ev, "message") ? jsonx_str(ev, "message") : ""),
				g->label,
				NULL,
				json_incref(ev)};
			(*evs)[*n].stream = jsonx_str(ev, "logStreamName");
			(*n)++;
		}
		tok = jsonx_str(resp, "nextToken");
		if (tok && !err)
			json_object_set_new(req, "nextToken", json_string(tok));
		json_decref(resp);
		if (!tok)
			break;
	}
	json_decref(req);
	return err;
}

static void print_event(const struct logs_opts *o, const struct event *ev)
{
	char ts[32];

	if (o->format && !strcmp(o->format, "json")) {
		json_t *j = json_pack("{s:s,s:O}", "function", ev->label, "event", ev->raw);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(j);
		return;
	}
	time_rfc3339(ts, ev->ts, 1);
	printf("%s %s %s\n", ts, ev->label, ev->message);
}

/* One round: every group from `from`, merged by time, printed unless seen. Returns the errors. */
static int round_trip(struct cwlogs_client *c, const struct logs_opts *o,
		      const struct logs_group *gs, size_t ng, int64_t from, const char *pattern,
		      struct seen *seen)
{
	struct event *evs = NULL;
	size_t n = 0, alloc = 0;
	int failures = 0;

	for (size_t i = 0; i < ng; i++)
		failures += read_group(c, &gs[i], from, pattern, &evs, &n, &alloc) != 0;
	if (n)
		qsort(evs, n, sizeof(*evs), cmp_event);
	for (size_t i = 0; i < n; i++) {
		if (!seen_has(seen, evs[i].ts, evs[i].id))
			print_event(o, &evs[i]);
		seen_add(seen, evs[i].ts, evs[i].id);
		free(evs[i].id);
		free(evs[i].message);
		json_decref(evs[i].raw);
	}
	free(evs);
	fflush(stdout);
	return failures;
}

static int parse_args(int argc, char **argv, struct logs_opts *o)
{
	static const struct option longs[] = {
		{"function", required_argument, NULL, 'f'},
		{"group", required_argument, NULL, 'g'},
		{"request-id", required_argument, NULL, 'r'},
		{"level", required_argument, NULL, 'l'},
		{"since", required_argument, NULL, 's'},
		{"follow", no_argument, NULL, 'F'},
		{"stage", required_argument, NULL, 'S'},
		{"template", required_argument, NULL, 't'},
		{"endpoint-url", required_argument, NULL, 'e'},
		{"format", required_argument, NULL, 'o'},
		{"interval", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->since = "10m";
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:g:r:l:s:FS:t:e:o:i:h", longs, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->function = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'r':
			o->request_id = optarg;
			break;
		case 'l':
			o->level = optarg;
			break;
		case 's':
			o->since = optarg;
			break;
		case 'F':
			o->follow = true;
			break;
		case 'S':
			o->stage = optarg;
			break;
		case 't':
			o->template_path = optarg;
			break;
		case 'e':
			o->endpoint = optarg;
			break;
		case 'o':
			o->format = optarg;
			break;
		case 'i':
			o->interval_ms = strtol(optarg, NULL, 10);
			break;
		case 'h':
			logs_usage(stdout);
			return -1;
		default:
			logs_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc ||
	    (o->format && strcmp(o->format, "short") && strcmp(o->format, "json"))) {
		logs_usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	struct logs_opts o;
	struct logs_group gs[LOGS_GROUPS_MAX];
	struct cwlogs_client *c = NULL;
	struct seen seen = {0};
	char pattern[LOGS_PATTERN_MAX];
	size_t ng = 0;
	int64_t from;
	int rc = parse_args(argc, argv, &o), err;

	if (rc)
		return rc < 0 ? 0 : rc;
	if ((from = parse_since(o.since, time_now_ms())) < 0 ||
	    make_pattern(&o, pattern, sizeof(pattern))) {
		fprintf(stderr,
			"sluice logs: --since takes 10m, 2h, 1d or an RFC 3339 time; --level a "
			"log level; a request id has no quotes\n");
		return EXIT_USAGE;
	}
	if ((err = cwlogs_client_new(o.endpoint, &c))) {
		fprintf(stderr,
			"sluice logs: %s (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must "
			"be set; the endpoint must be http:// or https://)\n",
			err_str(err));
		return EXIT_USAGE;
	}
	if ((rc = resolve_groups(c, &o, gs, &ng)) || ng == 0) {
		cwlogs_client_free(c);
		return rc ? rc : EXIT_FINDINGS;
	}
	if (!o.interval_ms)
		o.interval_ms = strstr(cwlogs_endpoint(c), "amazonaws.com") ? LOGS_REMOTE_POLL_MS
									    : LOGS_LOCAL_POLL_MS;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = round_trip(c, &o, gs, ng, from, pattern, &seen) ? EXIT_FINDINGS : 0;
	while (o.follow && !stop) {
		struct timespec ts = {o.interval_ms / 1000, (o.interval_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		if (!stop)
			round_trip(c, &o, gs, ng, seen.ts ? seen.ts : from, pattern, &seen);
	}
	for (size_t i = 0; i < ng; i++) {
		free(gs[i].name);
		free(gs[i].label);
	}
	for (size_t i = 0; i < seen.n; i++)
		free(seen.ids[i]);
	free(seen.ids);
	cwlogs_client_free(c);
	return rc;
}
