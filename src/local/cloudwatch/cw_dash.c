/*
 * The /_sluice/ dashboard (cw_int.h): a page of static files, a small JSON
 * API over the room's stores, and a stream of server-sent events that
 * carries each request as soon as it is answered, each AWS call, and alarm
 * and client-error changes, so that the page updates without polling.
 *
 *   GET /_sluice/                      the page (index.html of the files' folder)
 *   GET /_sluice/assets/<file>         its scripts and styles
 *   GET /_sluice/api/requests          the last requests, newest first
 *   GET /_sluice/api/requests/<id>     one request: event, lines, AWS calls
 *   GET /_sluice/api/routes            per route and minute of the last 30:
 *                                      requests, errors, p50 and p99 latency
 *   GET /_sluice/api/alarms            every alarm's state
 *   GET /_sluice/api/client-errors     what the website reported
 *   GET /_sluice/api/events            text/event-stream
 *
 * It is a local tool: requests must come to 127.0.0.1 or localhost by name
 * (a Host check against DNS rebinding), everything is GET, nothing is
 * fetched from anywhere else, and the secrets of events (Authorization,
 * Cookie...) are hidden before they are shown.
 */
#include "core/common.h"

#include <fcntl.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

#define CW_DASH_STREAMS_MAX  32
#define CW_DASH_KEEPALIVE_MS 15000
#define CW_DASH_FILE_MAX     ((size_t)4 << 20)
#define CW_DASH_MINUTES	     30
#define CW_DASH_LIST_DEFAULT 100

struct stream {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct cw_dash *d;
};

struct cw_dash {
	struct cloudwatch *cw;
	char *dir;
	struct stream streams[CW_DASH_STREAMS_MAX];
	struct event *keepalive;
	uint64_t seq;
};

/* ---- server-sent events ---- */

static void stream_drop(struct stream *s)
{
	if (s->conn)
		evhttp_connection_set_closecb(s->conn, NULL, NULL);
	memset(s, 0, sizeof(*s));
}

static void stream_closed(struct evhttp_connection *conn, void *arg)
{
	struct stream *s = arg;

	memset(s, 0, sizeof(*s)); /* evhttp frees the request itself */
}

static void send_text(struct stream *s, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (!b)
		return;
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

void cw_dash_publish(struct cw_dash *d, const char *type, json_t *data)
{
	struct buf b;
	char *text;

	size_t open = 0;

	if (!d || !data) {
		json_decref(data);
		return;
	}
	for (size_t i = 0; i < CW_DASH_STREAMS_MAX; i++)
		open += d->streams[i].req != NULL;
	if (!open) {
		/* Nobody watches: the event keeps its id, and is not dumped (36,000 instructions).
		 */
		++d->seq;
		json_decref(data);
		return;
	}
	text = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (!text)
		return;
	buf_init(&b, BUF_NOCAP);
	buf_putf(&b, "id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", ++d->seq, type, text);
	free(text);
	for (size_t i = 0; !buf_error(&b) && i < CW_DASH_STREAMS_MAX; i++)
		if (d->streams[i].req)
			send_text(&d->streams[i], b.ptr, b.len);
	buf_release(&b);
}

static void keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct cw_dash *d = arg;

	for (size_t i = 0; i < CW_DASH_STREAMS_MAX; i++)
		if (d->streams[i].req)
			send_text(&d->streams[i], ": keepalive\n\n", 13);
}

static void open_stream(struct cw_dash *d, struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct stream *s = NULL;

	for (size_t i = 0; i < CW_DASH_STREAMS_MAX && !s; i++)
		if (!d->streams[i].req)
			s = &d->streams[i];
	if (!s) {
		evhttp_send_error(req, 503, "Too many dashboard streams");
		return;
	}
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	s->req = req;
	s->d = d;
	s->conn = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(s->conn, stream_closed, s);
	evhttp_send_reply_start(req, 200, "OK");
	send_text(s, "retry: 1000\n\n", 13);
}

/* ---- answers ---- */

static void send_json(struct evhttp_request *req, int status, json_t *v)
{
	struct evbuffer *b = evbuffer_new();
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(v);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	if (b && text)
		evbuffer_add(b, text, strlen(text));
	evhttp_send_reply(req, text ? status : 500, NULL, b);
	if (b)
		evbuffer_free(b);
	free(text);
}

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml";
	if (!strcmp(dot, ".map") || !strcmp(dot, ".json"))
		return "application/json";
	return "application/octet-stream";
}

/* A file of the page: [A-Za-z0-9._-] names only, so nothing outside the folder is reachable. */
static void send_file(struct cw_dash *d, struct evhttp_request *req, const char *rel)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	struct stat st;
	char path[4096];
	int fd;

	for (const char *p = rel; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' ||
		      *p == '/') ||
		    (p[0] == '.' && p[1] == '.')) {
			evhttp_send_error(req, 404, NULL);
			return;
		}
	if (!d->dir || snprintf(path, sizeof(path), "%s/%s", d->dir, rel) >= (int)sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		evhttp_send_error(req, 404,
				  d->dir ? NULL
					 : "The dashboard page is not built "
					   "(make web)");
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > CW_DASH_FILE_MAX ||
	    !(b = evbuffer_new())) {
		close(fd);
		evhttp_send_error(req, 404, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", content_type(rel));
	/* The page's own policy: its files only, its API only. */
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'self'; object-src 'none'; base-uri 'none'; "
			  "frame-ancestors 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", strstr(rel, "assets/") ? "max-age=3600" : "no-cache");
	evbuffer_add_file(b, fd, 0, st.st_size);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* Per route: requests, errors, p50 and p99 latency for each minute of the last 30. */
static json_t *routes_json(struct cloudwatch *cw)
{
	int64_t now = time_now_ms(), end = now - now % 60000 + 60000,
		from = end - CW_DASH_MINUTES * 60000LL;
	size_t n;
	struct cw_series *const *all = cw_metrics_all(cw->metrics, &n);
	json_t *routes = json_array();

	for (size_t i = 0; routes && i < n; i++) {
		const struct cw_series *s = all[i];
		const char *route = NULL;
		struct cw_series *err4, *err5;
		json_t *pts = json_array();

		for (size_t k = 0; k < s->ndims; k++)
			if (!strcmp(s->dims[k].name, "Route"))
				route = s->dims[k].value;
		if (!route || strcmp(s->ns, "AWS/ApiGateway") || strcmp(s->name, "Latency")) {
			json_decref(pts);
			continue;
		}
		err4 = cw_metrics_find(cw->metrics, s->ns, "4xx", s->dims, s->ndims);
		err5 = cw_metrics_find(cw->metrics, s->ns, "5xx", s->dims, s->ndims);
		for (int64_t t = from; pts && t < end; t += 60000) {
			double count = 0, e4 = 0, e5 = 0, p50 = 0, p99 = 0;

			if (!cw_series_stat(s, t, t + 60000, CW_SAMPLES, 0, NULL, &count))
				continue;
			cw_series_stat(s, t, t + 60000, CW_PCT, 50, NULL, &p50);
			cw_series_stat(s, t, t + 60000, CW_PCT, 99, NULL, &p99);
			if (err4)
				cw_series_stat(err4, t, t + 60000, CW_SUM, 0, NULL, &e4);
			if (err5)
				cw_series_stat(err5, t, t + 60000, CW_SUM, 0, NULL, &e5);
			json_array_append_new(pts,
					      json_pack("{s:I,s:f,s:f,s:f,s:f,s:f}", "t",
							(json_int_t)t, "requests", count, "4xx", e4,
							"5xx", e5, "p50", p50, "p99", p99));
		}
		json_array_append_new(routes,
				      json_pack("{s:s,s:o}", "route", route, "minutes", pts));
	}
	return routes;
}

/* 127.0.0.1, localhost or [::1], with any port. */
static bool local_host(struct evhttp_request *req)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	size_t n = host ? strcspn(host, ":") : 0;

	if (host && host[0] == '[')
		return !strncmp(host, "[::1]", 5);
	return host && ((n == 9 && !strncmp(host, "127.0.0.1", 9)) ||
			(n == 9 && !strncasecmp(host, "localhost", 9)));
}

void cw_dash_handle(struct cw_dash *d, struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	char path[512];

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri, "?#"), uri);
	if (!local_host(req)) {
		evhttp_send_error(req, 403, "The dashboard answers 127.0.0.1 and localhost only");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	if (!strcmp(path, "/_sluice")) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/_sluice/");
		evhttp_send_reply(req, 301, "Moved Permanently", NULL);
	} else if (!strcmp(path, "/_sluice/") || !strcmp(path, "/_sluice/index.html")) {
		send_file(d, req, "index.html");
	} else if (!strncmp(path, "/_sluice/assets/", 16)) {
		send_file(d, req, path + 9);
	} else if (!strcmp(path, "/_sluice/api/requests")) {
		send_json(req, 200,
			  json_pack("{s:o}", "requests",
				    cw_trace_list(d->cw->trace, CW_DASH_LIST_DEFAULT)));
	} else if (!strncmp(path, "/_sluice/api/requests/", 22)) {
		json_t *one = cw_trace_detail(d->cw->trace, path + 22);

		if (one)
			send_json(req, 200, one);
		else
			send_json(req, 404,
				  json_pack("{s:s}", "message",
					    "no such request (the "
					    "dashboard keeps the last 500)"));
	} else if (!strcmp(path, "/_sluice/api/routes")) {
		send_json(req, 200, json_pack("{s:o}", "routes", routes_json(d->cw)));
	} else if (!strcmp(path, "/_sluice/api/alarms")) {
		send_json(req, 200, json_pack("{s:o}", "alarms", cw_alarms_summary(d->cw)));
	} else if (!strcmp(path, "/_sluice/api/client-errors")) {
		send_json(req, 200,
			  json_pack("{s:o}", "errors", cw_trace_client_errors(d->cw->trace)));
	} else if (!strcmp(path, "/_sluice/api/events")) {
		open_stream(d, req);
	} else {
		evhttp_send_error(req, 404, NULL);
	}
}

int cw_dash_new(struct cloudwatch *cw, const char *dir, struct cw_dash **out)
{
	struct cw_dash *d = calloc(1, sizeof(*d));
	struct timeval tv = time_tv_ms(CW_DASH_KEEPALIVE_MS);

	*out = NULL;
	if (!d || (dir && !(d->dir = strdup(dir)))) {
		free(d);
		return ERR_NOMEM;
	}
	d->cw = cw;
	if (cw->base) {
		d->keepalive = event_new(cw->base, -1, EV_PERSIST, keepalive, d);
		if (!d->keepalive || event_add(d->keepalive, &tv)) {
			cw_dash_free(d);
			return ERR_NOMEM;
		}
	}
	*out = d;
	return 0;
}

int cw_dash_set_dir(struct cw_dash *d, const char *dir)
{
	char *copy = dir ? strdup(dir) : NULL;

	if (dir && !copy)
		return ERR_NOMEM;
	free(d->dir);
	d->dir = copy;
	return 0;
}

void cw_set_dashboard_dir(struct cloudwatch *cw, const char *dir)
{
	if (cw)
		cw_dash_set_dir(cw->dash, dir);
}

void cw_dash_free(struct cw_dash *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < CW_DASH_STREAMS_MAX; i++)
		if (d->streams[i].req) {
			evhttp_send_reply_end(d->streams[i].req);
			stream_drop(&d->streams[i]);
		}
	if (d->keepalive)
		event_free(d->keepalive);
	free(d->dir);
	free(d);
}
