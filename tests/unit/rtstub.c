/*
 * The stand-in Runtime API (rtstub.h). Deliberately small: it parses just
 * enough HTTP/1.1 (request line, Content-Length, the blank line) to serve
 * one well-behaved client, keeps the connection open between requests so
 * that keep-alive can be counted, and never answers more than it was told.
 */
#include "core/common.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rtstub.h"

#define STUB_HEAD_MAX	  (64 * 1024)
#define STUB_BODY_MAX	  (16 * 1024 * 1024)
#define STUB_FAR_DEADLINE "4102444800000" /* 2100-01-01, in epoch ms */

struct conn_buf {
	char *p;
	size_t len, alloc;
};

int64_t rtstub_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rtstub_lock(struct rtstub *s)
{
	pthread_mutex_lock(&s->mu);
}

void rtstub_unlock(struct rtstub *s)
{
	pthread_mutex_unlock(&s->mu);
}

void rtstub_address(const struct rtstub *s, char out[32])
{
	snprintf(out, 32, "127.0.0.1:%u", (unsigned)s->port);
}

static int write_all(int fd, const char *head, size_t head_len, const char *body, size_t len)
{
	struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, len}};
	int n = 2, i = 0;

	while (i < n) {
		ssize_t w = writev(fd, iov + i, n - i);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (i < n && (size_t)w >= iov[i].iov_len)
			w -= (ssize_t)iov[i++].iov_len;
		if (i < n) {
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int respond(int fd, int status, const char *extra, const char *body, size_t len)
{
	size_t cap = (extra ? strlen(extra) : 0) + 256;
	char *head = malloc(cap);
	int n, rc;

	if (!head)
		return -1;
	n = snprintf(head, cap,
		     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n%s\r\n",
		     status, len, extra ? extra : "");
	rc = write_all(fd, head, (size_t)n, body, len);
	free(head);
	return rc;
}

/* Answer `next` from the script or the generator; -1 closes the connection. */
static int serve_next(struct rtstub *s, int fd)
{
	struct rtstub_event ev = {0};
	char gen_headers[256];
	unsigned long gen;

	pthread_mutex_lock(&s->mu);
	s->nexts++;
	if (!s->first_next_ns)
		s->first_next_ns = rtstub_now_ns();
	if (s->served < s->script_len) {
		ev = s->script[s->served++];
	} else if (s->served - s->script_len < s->generate) {
		gen = ++s->served - s->script_len;
		snprintf(gen_headers, sizeof(gen_headers),
			 "Lambda-Runtime-Aws-Request-Id: gen-%lu\r\n"
			 "Lambda-Runtime-Deadline-Ms: " STUB_FAR_DEADLINE "\r\n"
			 "Lambda-Runtime-Invoked-Function-Arn: "
			 "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
			 "Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;"
			 "Sampled=1\r\n",
			 gen);
		ev.headers = gen_headers;
		ev.body = s->generate_body ? s->generate_body : "{}";
	} else {
		if (s->hold) {
			s->holding = true;
			pthread_cond_broadcast(&s->cv);
			while (!s->stopping)
				pthread_cond_wait(&s->cv, &s->mu);
		}
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	pthread_mutex_unlock(&s->mu);
	if (ev.body && !ev.body_len)
		ev.body_len = strlen(ev.body);
	return respond(fd, ev.status ? ev.status : 200, ev.headers, ev.body ? ev.body : "",
		       ev.body_len);
}

static int serve_post(struct rtstub *s, int fd, const char *path, const char *headers,
		      size_t headers_len, const char *body, size_t body_len)
{
	static const char ok[] = "{\"status\":\"OK\"}";
	struct rtstub_post *p;

	pthread_mutex_lock(&s->mu);
	s->posts_total++;
	if (s->n_posts < RTSTUB_POSTS_MAX) {
		p = &s->posts[s->n_posts++];
		snprintf(p->path, sizeof(p->path), "%s", path);
		if (!s->record_bodies_off) {
			p->headers = calloc(1, headers_len + 1);
			p->body = calloc(1, body_len + 1);
			if (p->headers)
				memcpy(p->headers, headers, headers_len);
			if (p->body)
				memcpy(p->body, body, body_len);
			p->body_len = body_len;
		}
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return respond(fd, 202, NULL, ok, sizeof(ok) - 1);
}

/* Content-Length from a header block, 0 when absent; -1 when unusable. */
static long content_length(const char *h, size_t len)
{
	static const char name[] = "\ncontent-length:";
	size_t i, n = sizeof(name) - 1;

	for (i = 0; i + n <= len; i++) {
		if (strncasecmp(h + i, name, n) == 0) {
			char *end;
			long v = strtol(h + i + n, &end, 10);

			return v < 0 || v > STUB_BODY_MAX ? -1 : v;
		}
	}
	return 0;
}

/* Make `b` hold at least `want` bytes read from `fd`; -1 on EOF or error. */
static int fill(int fd, struct conn_buf *b, size_t want)
{
	while (b->len < want) {
		ssize_t r;

		if (b->alloc - b->len < 65536) {
			size_t na = b->alloc ? b->alloc * 2 : 131072;
			char *np = realloc(b->p, na);

			if (!np)
				return -1;
			b->p = np;
			b->alloc = na;
		}
		r = read(fd, b->p + b->len, b->alloc - b->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b->len += (size_t)r;
	}
	return 0;
}

/* Serve requests on one connection until the client closes it. */
static void serve_conn(struct rtstub *s, int fd, struct conn_buf *b)
{
	b->len = 0;
	for (;;) {
		char method[8] = "", path[256] = "";
		char *end = NULL, *line_end;
		size_t head_len, line_len;
		long clen;
		int rc;

		while (!b->len || !(end = memmem(b->p, b->len, "\r\n\r\n", 4))) {
			if (b->len > STUB_HEAD_MAX || fill(fd, b, b->len + 1))
				return;
		}
		head_len = (size_t)(end - b->p) + 4;
		line_end = memmem(b->p, head_len, "\r\n", 2);
		if (sscanf(b->p, "%7s %255s", method, path) != 2)
			return;
		line_len = (size_t)(line_end - b->p);
		clen = content_length(line_end, head_len - line_len);
		/* fill() may move the buffer: only offsets survive it. */
		if (clen < 0 || fill(fd, b, head_len + (size_t)clen))
			return;
		line_end = b->p + line_len;
		if (!strcmp(method, "GET") && strstr(path, "/runtime/invocation/next"))
			rc = serve_next(s, fd);
		else if (!strcmp(method, "POST"))
			rc = serve_post(s, fd, path, line_end + 2,
					head_len - (size_t)(line_end + 2 - b->p), b->p + head_len,
					(size_t)clen);
		else
			rc = respond(fd, 404, NULL, "{}", 2);
		if (rc)
			return;
		memmove(b->p, b->p + head_len + (size_t)clen, b->len - head_len - (size_t)clen);
		b->len -= head_len + (size_t)clen;
	}
}

static void *serve(void *arg)
{
	struct rtstub *s = arg;
	struct conn_buf b = {0};
	int one = 1;

	for (;;) {
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			break;
		pthread_mutex_lock(&s->mu);
		if (s->stopping) {
			pthread_mutex_unlock(&s->mu);
			close(fd);
			break;
		}
		s->conn_fd = fd;
		s->connections++;
		pthread_mutex_unlock(&s->mu);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		serve_conn(s, fd, &b);
		pthread_mutex_lock(&s->mu);
		s->conn_fd = -1;
		pthread_mutex_unlock(&s->mu);
		close(fd);
	}
	free(b.p);
	return NULL;
}

int rtstub_start(struct rtstub *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	s->conn_fd = -1;
	s->posts = calloc(RTSTUB_POSTS_MAX, sizeof(*s->posts));
	if (s->listen_fd < 0 || !s->posts)
		goto fail;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->listen_fd, 16) ||
	    getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl))
		goto fail;
	s->port = ntohs(sa.sin_port);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, serve, s)) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		goto fail;
	}
	return 0;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	free(s->posts);
	s->posts = NULL;
	return -1;
}

void rtstub_stop(struct rtstub *s)
{
	size_t i;

	if (s->listen_fd < 0)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	shutdown(s->listen_fd, SHUT_RDWR);
	if (s->conn_fd >= 0)
		shutdown(s->conn_fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	s->listen_fd = -1;
	for (i = 0; i < s->n_posts; i++) {
		free(s->posts[i].headers);
		free(s->posts[i].body);
	}
	free(s->posts);
	s->posts = NULL;
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
}
