/*
 * One file over HTTP with validators (see static_file.h), on evhttp. The
 * content is read on each request whose file's mtime or size changed since
 * the last read; it is small and requests are rare (the function caches).
 */
#include "core/common.h"

#include <netinet/in.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/timeutil.h"
#include "local/static_file.h"

struct static_file {
	struct evhttp *http;
	char *path, *url_path;
	char url[128];
	long max_age;
	struct buf content;
	char etag[24];
	time_t mtime;
	off_t size;
};

/* Read the file again when it changed. 0, or ERR_NOTFOUND / ERR_IO / ERR_TOOLARGE. */
static int refresh(struct static_file *s)
{
	struct stat st;
	char chunk[65536], hex[2 * SHA256_LEN + 1];
	FILE *f;
	size_t n;
	int err = 0;

	if (stat(s->path, &st))
		return ERR_NOTFOUND;
	if (s->content.len && st.st_mtime == s->mtime && st.st_size == s->size)
		return 0;
	f = fopen(s->path, "rb");
	if (!f)
		return ERR_NOTFOUND;
	buf_reset(&s->content);
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_add(&s->content, chunk, n);
	fclose(f);
	if (err)
		return err;
	sha256_hex(s->content.ptr, s->content.len, hex);
	snprintf(s->etag, sizeof(s->etag), "\"%.16s\"", hex);
	s->mtime = st.st_mtime;
	s->size = st.st_size;
	return 0;
}

/* True when the request's validators say the client's copy is current. */
static bool not_modified(const struct static_file *s, struct evkeyvalq *in)
{
	const char *inm = evhttp_find_header(in, "If-None-Match");
	const char *ims = evhttp_find_header(in, "If-Modified-Since");
	time_t since;

	if (inm)
		return strstr(inm, s->etag) != NULL || !strcmp(inm, "*");
	return ims && !time_parse_http(ims, strlen(ims), &since) && since >= s->mtime;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct static_file *s = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char cache[48], modified[32];
	struct evbuffer *body;

	if (!path || strcmp(path, s->url_path)) {
		evhttp_send_error(req, 404, "Not Found");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	if (refresh(s)) {
		evhttp_send_error(req, 500, "Internal Server Error");
		return;
	}
	snprintf(cache, sizeof(cache), "max-age=%ld", s->max_age);
	time_http(modified, s->mtime);
	evhttp_add_header(out, "Cache-Control", cache);
	evhttp_add_header(out, "ETag", s->etag);
	evhttp_add_header(out, "Last-Modified", modified);
	if (not_modified(s, evhttp_request_get_input_headers(req))) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	evhttp_add_header(out, "Content-Type", "application/json");
	body = evbuffer_new();
	if (body && cmd == EVHTTP_REQ_GET)
		evbuffer_add(body, s->content.ptr, s->content.len);
	evhttp_send_reply(req, 200, "OK", body);
	if (body)
		evbuffer_free(body);
}

int static_file_new(struct event_base *base, const char *path, const char *url_path, uint16_t port,
		    long max_age, struct static_file **out)
{
	struct static_file *s = calloc(1, sizeof(*s));
	struct evhttp_bound_socket *sock;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int err;

	*out = NULL;
	if (!s)
		return ERR_NOMEM;
	buf_init(&s->content, STATIC_FILE_MAX);
	s->max_age = max_age;
	s->path = strdup(path);
	s->url_path = strdup(url_path);
	s->http = evhttp_new(base);
	if (!s->path || !s->url_path || !s->http) {
		static_file_free(s);
		return ERR_NOMEM;
	}
	if ((err = refresh(s))) {
		static_file_free(s);
		return err;
	}
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(s->http, on_request, s);
	sock = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", port);
	memset(&sin, 0, sizeof(sin));
	if (!sock || getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &sl)) {
		static_file_free(s);
		return ERR_IO;
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u%s", (unsigned)ntohs(sin.sin_port),
		 s->url_path);
	*out = s;
	return 0;
}

const char *static_file_url(const struct static_file *s)
{
	return s->url;
}

void static_file_free(struct static_file *s)
{
	if (!s)
		return;
	if (s->http)
		evhttp_free(s->http);
	buf_release(&s->content);
	free(s->path);
	free(s->url_path);
	free(s);
}
