/*
 * `sluice event apigw-v1|apigw-v2 --method M --path P [--body B]
 * [--query Q] [--header "Name: value" ...]`: print a sample API Gateway event
 * like `sam local generate-event`, built by the same codec the local gateway
 * uses (lambda/apigw.h), so a saved sample is exactly what `sluice dev`
 * would send. Pipe it into `sluice invoke FUNCTION --event -`.
 */
#include "core/common.h"

#include <getopt.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/local.h"
#include "core/buf.h"
#include "lambda/apigw.h"

#define EVENT_MAX_HEADERS 64

static void event_usage(FILE *out)
{
	fputs("usage: sluice event apigw-v1|apigw-v2 --method M --path P [options]\n\n"
	      "Print a sample API Gateway event (REST payload 1.0 or HTTP API 2.0).\n\n"
	      "  --method M              HTTP method (default GET)\n"
	      "  --path P                raw path, e.g. /objects/a.txt (default /)\n"
	      "  --route R               route: '/objects/{name+}' (path parameters follow)\n"
	      "  --body B                request body\n"
	      "  --query Q               raw query string without '?'\n"
	      "  --header 'Name: value'  a header (repeatable)\n"
	      "  --stage S               stage (default $default for v2, Prod for v1)\n",
	      out);
}

/* Path parameters of `route` ("/objects/{name+}") taken from `path`. */
static size_t route_params(const char *route, const char *path, struct apigw_pair *out,
			   char **owned, size_t max)
{
	size_t n = 0;
	const char *r = route, *p = path;

	while (*r == '/' && *p == '/' && n < max) {
		const char *re = strchrnul(r + 1, '/'), *pe = strchrnul(p + 1, '/');

		if (r[1] == '{' && re[-1] == '}') {
			bool greedy = re[-2] == '+';
			size_t nl = (size_t)(re - r - 3 - greedy);

			owned[2 * n] = strndup(r + 2, nl);
			owned[2 * n + 1] =
				greedy ? strdup(p + 1) : strndup(p + 1, (size_t)(pe - p - 1));
			out[n].name = owned[2 * n];
			out[n].value = owned[2 * n + 1];
			out[n].value_len = 0;
			n++;
			if (greedy)
				break;
		}
		r = re;
		p = pe;
	}
	return n;
}

int cmd_event(int argc, char **argv)
{
	static const struct option opts[] = {
		{"method", required_argument, NULL, 'm'},
		{"path", required_argument, NULL, 'p'},
		{"body", required_argument, NULL, 'b'},
		{"query", required_argument, NULL, 'q'},
		{"header", required_argument, NULL, 'H'},
		{"stage", required_argument, NULL, 's'},
		{"route", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct apigw_pair headers[EVENT_MAX_HEADERS], params[16];
	char *owned_h[EVENT_MAX_HEADERS] = {0}, *owned_p[32] = {0};
	struct apigw_http_request in = {.method = "GET", .path = "/", .source_ip = "127.0.0.1"};
	const char *route = NULL, *body = NULL;
	struct buf out;
	int c, version, rc = 0, err;
	size_t nh = 0;

	if (argc < 2 || (strcmp(argv[1], "apigw-v1") && strcmp(argv[1], "apigw-v2"))) {
		event_usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
	}
	version = !strcmp(argv[1], "apigw-v1") ? APIGW_V1 : APIGW_V2;
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			in.method = optarg;
			break;
		case 'p':
			in.path = optarg;
			break;
		case 'b':
			body = optarg;
			break;
		case 'q':
			in.raw_query = optarg;
			break;
		case 's':
			in.stage = optarg;
			break;
		case 'r':
			route = optarg;
			break;
		case 'H': {
			const char *colon = strchr(optarg, ':');

			if (!colon || nh == EVENT_MAX_HEADERS) {
				fprintf(stderr, "sluice event: --header wants 'Name: value'\n");
				rc = EXIT_USAGE;
				goto out;
			}
			owned_h[nh] = strndup(optarg, (size_t)(colon - optarg));
			headers[nh].name = owned_h[nh];
			headers[nh].value = colon + 1 + strspn(colon + 1, " \t");
			headers[nh].value_len = 0;
			nh++;
			break;
		}
		case 'h':
			event_usage(stdout);
			goto out;
		default:
			event_usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!in.stage)
		in.stage = version == APIGW_V1 ? "Prod" : "$default";
	in.headers = headers;
	in.n_headers = nh;
	in.body = body;
	in.body_len = body ? strlen(body) : 0;
	if (route) {
		in.n_path_params =
			route_params(route, in.path, params, owned_p, ARRAY_SIZE(params));
		in.path_params = params;
	}
	buf_init(&out, APIGW_EVENT_MAX);
	{
		struct buf key;

		buf_init(&key, 4096);
		err = buf_addf(&key, "%s %s", in.method, route ? route : in.path);
		in.route = version == APIGW_V2 ? key.ptr : (route ? route : in.path);
		if (!err)
			err = apigw_event_from_http(&in, version, &out);
		if (!err) {
			json_t *j = json_loadb(out.ptr, out.len, 0, NULL);
			char *pretty =
				j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

			puts(pretty ? pretty : out.ptr);
			free(pretty);
			json_decref(j);
		} else {
			fprintf(stderr, "sluice event: %s\n", err_str(err));
			rc = EXIT_USAGE;
		}
		buf_release(&key);
	}
	buf_release(&out);
out:
	for (size_t i = 0; i < nh; i++)
		free(owned_h[i]);
	for (size_t i = 0; i < ARRAY_SIZE(owned_p); i++)
		free(owned_p[i]);
	return rc;
}
