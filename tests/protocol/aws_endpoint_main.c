/*
 * Runs only the local AWS endpoint, for tests/protocol/test_local_s3.py:
 *   aws_endpoint_main --port N --data-dir DIR [--access-key-id ID]
 *                     [--secret-access-key KEY] [--max-seconds S] [--bucket NAME]...
 * Prints "port N" on stdout once listening, and exits when stdin closes or
 * after --max-seconds (default 300), so a crashed test never leaves it behind.
 */
#include "core/common.h"

#include <event2/event.h>
#include <unistd.h>

#include "core/log.h"
#include "core/str.h"
#include "local/endpoint.h"

#define MAX_BUCKETS 16

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	char tmp[256];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		event_base_loopbreak(arg);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	const char *data_dir = NULL, *buckets[MAX_BUCKETS];
	struct aws_endpoint_credentials creds = {0};
	long long port = 0, max_seconds = 300;
	size_t n_buckets = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--port") && !str_to_i64(str_from(v), 0, 65535, &port))
			continue;
		if (!strcmp(k, "--max-seconds") && !str_to_i64(str_from(v), 1, 86400, &max_seconds))
			continue;
		if (!strcmp(k, "--data-dir"))
			data_dir = v;
		else if (!strcmp(k, "--access-key-id"))
			creds.access_key_id = v;
		else if (!strcmp(k, "--secret-access-key"))
			creds.secret_access_key = v;
		else if (!strcmp(k, "--bucket") && n_buckets < MAX_BUCKETS)
			buckets[n_buckets++] = v;
		else {
			fprintf(stderr, "usage: %s --port N --data-dir DIR ...\n", argv[0]);
			return 2;
		}
	}
	if (!data_dir) {
		fprintf(stderr, "--data-dir is required\n");
		return 2;
	}
	log_configure(LVL_WARN, false);
	struct event_base *base = event_base_new();
	struct aws_endpoint *ep = NULL;
	int rc = base ? aws_endpoint_new(base, "127.0.0.1", (uint16_t)port, &creds, data_dir, &ep)
		      : ERR_NOMEM;
	for (size_t i = 0; !rc && i < n_buckets; i++)
		rc = aws_endpoint_create_bucket(ep, buckets[i]);
	if (rc) {
		fprintf(stderr, "aws endpoint: %s\n", err_str(rc));
		aws_endpoint_free(ep);
		if (base)
			event_base_free(base);
		return 1;
	}
	printf("port %u\n", aws_endpoint_port(ep));
	fflush(stdout);
	struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
	struct event *tm = evtimer_new(base, on_timeout, base);
	struct timeval tv = {.tv_sec = (time_t)max_seconds};
	event_add(in, NULL);
	evtimer_add(tm, &tv);
	event_base_dispatch(base);
	event_free(in);
	event_free(tm);
	aws_endpoint_free(ep);
	event_base_free(base);
	return 0;
}
