/*
 * Serves only the local DynamoDB (src/local/dynamodb/ddb_server.h) over HTTP, for
 * tests/protocol/test_local_dynamodb.py:
 *   ddb_endpoint_main --db FILE [--port N] [--max-seconds S]
 * No SigV4 check (the local AWS endpoint does that in `sluice dev`). Uses
 * group commit (ddb_server_submit()), as the local AWS endpoint should.
 * Prints "port N" once listening; exits when stdin closes or after
 * --max-seconds (default 300), so a crashed test never leaves it behind.
 */
#include "core/common.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <unistd.h>

#include "core/log.h"
#include "core/str.h"
#include "core/uuid.h"
#include "local/dynamodb/ddb_server.h"

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	char tmp[256];
	if (read(fd, tmp, sizeof(tmp)) <= 0)
		event_base_loopbreak(arg);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* The answer, sent once the group commit holding the request is done. */
static void on_done(void *arg, int status, const struct buf *resp)
{
	struct evhttp_request *req = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *reply = evbuffer_new();
	char id[UUID_STR_LEN + 1] = "00000000-0000-4000-8000-000000000000";
	uuid_v4(id);
	evhttp_add_header(out, "Content-Type", DDB_CONTENT_TYPE);
	evhttp_add_header(out, "x-amzn-RequestId", id);
	if (reply)
		evbuffer_add(reply, resp->ptr, resp->len);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Bad Request", reply);
	if (reply)
		evbuffer_free(reply);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	const char *data = (const char *)evbuffer_pullup(body, -1);
	ddb_server_submit(arg, evhttp_find_header(in, "X-Amz-Target"), data, len, on_done, req);
}

int main(int argc, char **argv)
{
	const char *db = NULL;
	long long port = 0, max_seconds = 300;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--port") && !str_to_i64(str_from(v), 0, 65535, &port))
			continue;
		if (!strcmp(k, "--max-seconds") && !str_to_i64(str_from(v), 1, 86400, &max_seconds))
			continue;
		if (!strcmp(k, "--db")) {
			db = v;
			continue;
		}
		fprintf(stderr, "usage: %s --db FILE [--port N] [--max-seconds S]\n", argv[0]);
		return 2;
	}
	if (!db) {
		fprintf(stderr, "--db is required\n");
		return 2;
	}
	log_configure(LVL_WARN, false);
	struct ddb_server *s = NULL;
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct evhttp_bound_socket *sock = NULL;
	if (!http || ddb_server_new(db, &s) || ddb_server_use_event_base(s, base) ||
	    !(sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", (uint16_t)port))) {
		fprintf(stderr, "ddb endpoint: cannot start\n");
		ddb_server_free(s);
		if (http)
			evhttp_free(http);
		if (base)
			event_base_free(base);
		return 1;
	}
	evhttp_set_max_body_size(http, DDB_MAX_REQUEST);
	evhttp_set_gencb(http, on_request, s);
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl);
	printf("port %u\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
	struct event *in = event_new(base, 0, EV_READ | EV_PERSIST, on_stdin, base);
	struct event *tm = evtimer_new(base, on_timeout, base);
	struct timeval tv = {.tv_sec = (time_t)max_seconds};
	event_add(in, NULL);
	evtimer_add(tm, &tv);
	event_base_dispatch(base);
	event_free(in);
	event_free(tm);
	evhttp_free(http);
	ddb_server_free(s);
	event_base_free(base);
	return 0;
}
