/*
 * The HTTP client (see client.h) on one libcurl easy handle. curl_easy_reset()
 * between requests clears the options but keeps the connection cache, so
 * consecutive requests to one host reuse the connection. Response headers are
 * collected as "name\0value\0" pairs in one buffer and turned into an array
 * of pointers once the transfer is over (the buffer may move while growing).
 */
#include "core/common.h"

#include <curl/curl.h>
#include <pthread.h>

#include "core/str.h"
#include "core/timeutil.h"
#include "http/client.h"

struct http_client {
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
};

/* What the callbacks of one transfer share. */
struct transfer {
	const struct http_request *req;
	struct http_response *resp;
	size_t n_headers;
	bool too_large;	  /* the body (or its announced length) passed the cap */
	bool bad_headers; /* too many, too long, or malformed header lines */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_client_new(struct http_client **out)
{
	struct http_client *c;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return ERR_HTTP;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ERR_NOMEM;
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		return ERR_HTTP;
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	free(c);
}

const char *http_client_last_error(const struct http_client *c)
{
	return c->errbuf;
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, BUF_NOCAP);
	buf_init(&r->header_store, HTTP_MAX_HEADER_BYTES);
}

void http_response_release(struct http_response *r)
{
	free(r->headers);
	buf_release(&r->body);
	buf_release(&r->header_store);
	r->headers = NULL;
	r->n_headers = 0;
	r->status = 0;
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	}
	return NULL;
}

static size_t body_cap(const struct transfer *t)
{
	const struct http_request *req = t->req;
	if (t->resp->status >= 200 && t->resp->status < 300)
		return req->max_body;
	return req->max_error_body ? req->max_error_body : req->max_body;
}

/* "HTTP/1.1 200 OK" or "HTTP/2 200": a new answer starts; forget the previous one's headers. */
static void on_status_line(struct transfer *t, struct str line)
{
	struct str version, code, rest;
	long long v = 0;

	rest = str_split(line, ' ', &version, NULL);
	str_split(rest, ' ', &code, NULL);
	if (str_to_i64(str_trim(code), 100, 999, &v))
		t->bad_headers = true;
	t->resp->status = (int)v;
	buf_reset(&t->resp->header_store);
	t->n_headers = 0;
}

/* Check an announced Content-Length against the cap before any byte of the body arrives. */
static void check_length(struct transfer *t, struct str value)
{
	long long n;

	if (strcmp(t->req->method, "HEAD") == 0)
		return;
	if (str_to_i64(value, 0, LLONG_MAX, &n) == 0 && (unsigned long long)n > body_cap(t))
		t->too_large = true;
}

static void on_header_line(struct transfer *t, struct str line)
{
	struct buf *store = &t->resp->header_store;
	struct str name, value;
	bool found;

	if (line.ptr[0] == ' ' || line.ptr[0] == '\t') {
		/* obs-fold (RFC 9112 section 5.2): join to the previous value with a space. */
		if (t->n_headers == 0 || store->len == 0) {
			t->bad_headers = true;
			return;
		}
		buf_truncate(store, store->len - 1);
		value = str_trim(line);
		if (buf_addch(store, ' ') || buf_add(store, value.ptr, value.len) ||
		    buf_addch(store, '\0'))
			t->bad_headers = true;
		return;
	}
	value = str_split(line, ':', &name, &found);
	if (!found || name.len == 0 || t->n_headers >= HTTP_MAX_RESPONSE_HEADERS) {
		t->bad_headers = true;
		return;
	}
	value = str_trim(value);
	if (buf_add(store, name.ptr, name.len) || buf_addch(store, '\0') ||
	    buf_add(store, value.ptr, value.len) || buf_addch(store, '\0')) {
		t->bad_headers = true;
		return;
	}
	t->n_headers++;
	if (str_ieq_cstr(name, "content-length"))
		check_length(t, value);
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	struct str line = str_make(data, n);

	while (line.len && (line.ptr[line.len - 1] == '\n' || line.ptr[line.len - 1] == '\r'))
		line.len--;
	if (line.len == 0)
		return n; /* the blank line closing a header block */
	if (line.len >= 5 && memcmp(line.ptr, "HTTP/", 5) == 0)
		on_status_line(t, line);
	else
		on_header_line(t, line);
	if (t->bad_headers || t->too_large)
		return 0; /* aborts the transfer */
	return n;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	struct buf *body = &t->resp->body;

	if (n > body_cap(t) - MIN(body->len, body_cap(t)) || body->len > body_cap(t)) {
		t->too_large = true;
		return 0;
	}
	if (buf_add(body, data, n))
		return 0;
	return n;
}

/* Turn the "name\0value\0" pairs into the header array. */
static int finish_headers(struct transfer *t)
{
	struct http_response *resp = t->resp;
	const char *p = resp->header_store.ptr;

	free(resp->headers);
	resp->headers = NULL;
	resp->n_headers = 0;
	if (t->n_headers == 0)
		return 0;
	resp->headers = calloc(t->n_headers, sizeof(*resp->headers));
	if (!resp->headers)
		return ERR_NOMEM;
	for (size_t i = 0; i < t->n_headers; i++) {
		resp->headers[i].name = p;
		p += strlen(p) + 1;
		resp->headers[i].value = p;
		p += strlen(p) + 1;
	}
	resp->n_headers = t->n_headers;
	return 0;
}

static bool has_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return true;
	}
	return false;
}

/*
 * The header list for libcurl. A value that is empty is sent as "Name;"
 * (libcurl's way of sending an empty header; "Name:" would remove it).
 * CR or LF in a name or value would split the request: ERR_INVAL.
 */
static int build_headers(const struct http_request *req, bool sends_body, struct curl_slist **out)
{
	struct curl_slist *list = NULL, *tmp;
	struct buf line;
	int err = 0;

	buf_init(&line, HTTP_MAX_HEADER_BYTES);
	for (size_t i = 0; i < req->n_headers && !err; i++) {
		const struct http_header *h = &req->headers[i];
		if (!h->name || !h->value || !*h->name || strpbrk(h->name, "\r\n:") ||
		    strpbrk(h->value, "\r\n")) {
			err = ERR_INVAL;
			break;
		}
		buf_reset(&line);
		err = *h->value ? buf_addf(&line, "%s: %s", h->name, h->value)
				: buf_addf(&line, "%s;", h->name);
		if (err)
			break;
		tmp = curl_slist_append(list, line.ptr);
		if (!tmp)
			err = ERR_NOMEM;
		else
			list = tmp;
	}
	/* No Expect: 100-continue; no form Content-Type that libcurl adds to POSTFIELDS. */
	if (!err && !(tmp = curl_slist_append(list, "Expect:")))
		err = ERR_NOMEM;
	else if (!err)
		list = tmp;
	if (!err && sends_body && !has_header(req, "Content-Type")) {
		if (!(tmp = curl_slist_append(list, "Content-Type:")))
			err = ERR_NOMEM;
		else
			list = tmp;
	}
	buf_release(&line);
	if (err) {
		curl_slist_free_all(list);
		return err;
	}
	*out = list;
	return 0;
}

static void set_method(CURL *e, const struct http_request *req, bool *sends_body)
{
	const char *m = req->method;

	*sends_body = false;
	if (strcmp(m, "GET") == 0 && req->body_len == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	if (req->body_len > 0 || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0) {
		*sends_body = true;
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
	}
}

/* Set the options of one transfer; `*list` receives the header list to free afterwards. */
static int setup(struct http_client *c, const struct http_request *req, struct transfer *t,
		 int64_t remaining_ms, struct curl_slist **list)
{
	CURL *e = c->easy;
	bool sends_body;
	int err;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Dot segments are part of S3 keys: libcurl must not resolve them (RFC 3986 5.2.4). */
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "sluice/1");
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	if (remaining_ms > 0) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)MIN(remaining_ms, (int64_t)LONG_MAX));
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)MIN(remaining_ms, (int64_t)HTTP_CONNECT_TIMEOUT_MS));
	} else {
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_CONNECT_TIMEOUT_MS);
	}
	if (req->accept_gzip)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
	set_method(e, req, &sends_body);
	if ((err = build_headers(req, sends_body, list)))
		return err;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *list);
	return 0;
}

static int map_curl_error(CURLcode rc, const struct transfer *t, int64_t deadline_ms)
{
	if (t->too_large)
		return ERR_TOOLARGE;
	if (rc == CURLE_OUT_OF_MEMORY)
		return ERR_NOMEM;
	if (rc == CURLE_OPERATION_TIMEDOUT && deadline_ms > 0 && time_now_ms() >= deadline_ms - 5)
		return ERR_TIMEOUT;
	return ERR_HTTP;
}

int http_client_do(struct http_client *c, const struct http_request *req,
		   struct http_response *resp)
{
	struct transfer t = {.req = req, .resp = resp};
	struct curl_slist *list = NULL;
	int64_t remaining = 0;
	CURLcode rc;
	int err;

	c->errbuf[0] = '\0';
	free(resp->headers);
	resp->headers = NULL;
	resp->n_headers = 0;
	resp->status = 0;
	buf_reset(&resp->body);
	buf_reset(&resp->header_store);
	if (!req->method || !req->url || !*req->method)
		return ERR_INVAL;
	if (req->deadline_ms > 0) {
		remaining = req->deadline_ms - time_now_ms();
		if (remaining <= 0)
			return ERR_TIMEOUT;
	}
	if ((err = setup(c, req, &t, remaining, &list)))
		goto done;
	rc = curl_easy_perform(c->easy);
	if (rc != CURLE_OK) {
		if (!c->errbuf[0])
			snprintf(c->errbuf, sizeof(c->errbuf), "%s", curl_easy_strerror(rc));
		err = map_curl_error(rc, &t, req->deadline_ms);
		goto done;
	}
	if (t.bad_headers) {
		err = ERR_HTTP;
		goto done;
	}
	err = finish_headers(&t);
done:
	/* The header list must outlive the transfer; drop libcurl's pointer to it. */
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	return err;
}
