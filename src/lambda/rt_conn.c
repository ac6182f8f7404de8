/*
 * The Runtime API's connection (rt_conn.h): blocking sockets, one sendmsg()
 * per request, answers framed by rt_wire.c. The per-request path makes no
 * allocation once the answer buffer has grown to the usual event size, and
 * three system calls: sendmsg, recv (the whole answer, usually), and recv
 * again only when an answer comes in pieces.
 */
#include "core/common.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "lambda/rt_conn.h"

#define RT_CONN_HEAD_MAX     2048 /* request line and fields: a path, a host, an error type */
#define RT_CONN_PORT_DIGITS  5
#define RT_CONN_PORT_MAX     65535
#define RT_CONN_ATTEMPTS_MAX 2	/* a request is sent again once, on a new connection */
#define RT_CONN_DECIMAL_MAX  24 /* a size_t in decimal, and its NUL */

/* AWS_LAMBDA_RUNTIME_API's bytes: no controls, spaces or URL delimiters we do not expect. */
static bool api_bytes_ok(const char *api)
{
	size_t i;

	for (i = 0; api[i]; i++) {
		unsigned char ch = (unsigned char)api[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '?' || ch == '#' || ch == '@' || ch == '\\' ||
		    (i == 0 && ch == '/'))
			return false;
	}
	return true;
}

/* "[v6]" or "name" or "v4", then optionally ":port"; fills host and port. */
static bool split_authority(struct rt_conn *c, const char *a, size_t len)
{
	const char *colon, *host = a;
	size_t host_len, port_len, i;
	unsigned long port = 0;

	if (len && a[0] == '[') {
		const char *close = memchr(a, ']', len);

		if (!close || close == a + 1)
			return false;
		host = a + 1;
		host_len = (size_t)(close - host);
		colon = close + 1 < a + len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = memchr(a, ':', len);
		host_len = colon ? (size_t)(colon - a) : len;
		if (colon && memchr(colon + 1, ':', len - host_len - 1))
			return false; /* an IPv6 literal needs its brackets */
	}
	if (!host_len || memchr(host, '[', host_len) || memchr(host, ']', host_len))
		return false;
	memcpy(c->host, host, host_len);
	c->host[host_len] = '\0';
	if (!colon) {
		snprintf(c->port, sizeof(c->port), "%s", RT_CONN_PORT_DEFAULT);
		return true;
	}
	port_len = len - (size_t)(colon + 1 - a);
	if (!port_len || port_len > RT_CONN_PORT_DIGITS)
		return false;
	for (i = 0; i < port_len; i++) {
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return false;
		port = port * 10 + (unsigned long)(colon[1 + i] - '0');
	}
	if (!port || port > RT_CONN_PORT_MAX)
		return false;
	snprintf(c->port, sizeof(c->port), "%lu", port);
	return true;
}

int rt_conn_init(struct rt_conn *c, const char *api, size_t in_max)
{
	const char *slash;
	size_t alen;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	buf_init(&c->in, in_max);
	if (!api || !api[0] || strlen(api) > RT_CONN_API_MAX) {
		log_msg(LVL_FATAL, "AWS_LAMBDA_RUNTIME_API is missing or too long");
		return ERR_CONFIG;
	}
	/*
	 * host:port, optionally followed by a path prefix: `sluice dev` runs
	 * many workers behind one Runtime API port and tells them apart by
	 * "/w/<id>".
	 */
	slash = strchr(api, '/');
	alen = slash ? (size_t)(slash - api) : strlen(api);
	if (!api_bytes_ok(api) || !split_authority(c, api, alen)) {
		log_msg(LVL_FATAL, "AWS_LAMBDA_RUNTIME_API is not host:port[/prefix]");
		return ERR_CONFIG;
	}
	memcpy(c->authority, api, alen);
	c->authority[alen] = '\0';
	snprintf(c->prefix, sizeof(c->prefix), "%s", slash ? slash : "");
	return 0;
}

void rt_conn_close(struct rt_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->used = false;
}

void rt_conn_release(struct rt_conn *c)
{
	rt_conn_close(c);
	buf_release(&c->in);
}

/* Connect `fd` to `ai` within RT_CONN_CONNECT_TIMEOUT_MS; 0 or an errno. */
static int connect_within(int fd, const struct addrinfo *ai)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	socklen_t sl = sizeof(int);
	int rc, soerr = 0;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	do
		rc = poll(&pfd, 1, RT_CONN_CONNECT_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return ETIMEDOUT;
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		return errno;
	return soerr;
}

/* Open the connection: every address of the host in turn. 0 or an errno. */
static int conn_open(struct rt_conn *c)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV},
			*res, *ai;
	int rc, e = ECONNREFUSED, one = 1;

	rc = getaddrinfo(c->host, c->port, &hints, &res);
	if (rc) {
		log_msg(LVL_ERROR, "Runtime API host %s: %s", c->host, gai_strerror(rc));
		return rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);

		if (fd < 0) {
			e = errno;
			continue;
		}
		e = connect_within(fd, ai);
		if (!e && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
			e = errno;
		if (e) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->connects++;
		break;
	}
	freeaddrinfo(res);
	return c->fd >= 0 ? 0 : e;
}

/* Send every byte of `iov`; 0 or an errno. */
static int send_all(int fd, struct iovec *iov, size_t n)
{
	struct msghdr m = {0};

	while (n) {
		ssize_t w;

		m.msg_iov = iov;
		m.msg_iovlen = n;
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Read one answer into `r`. 0, ERR_HTTP (OUT: `*sys`, an errno or 0 for a close), ERR_PARSE. */
static int recv_answer(struct rt_conn *c, struct rt_wire_reader *r, int *sys)
{
	*sys = 0;
	while (!r->done) {
		char *at;
		size_t room;
		bool exact;
		ssize_t n;
		int err = rt_wire_reader_space(r, &at, &room, &exact);

		if (err)
			return err;
		n = recv(c->fd, at, room, exact ? MSG_WAITALL : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*sys = errno;
			return ERR_HTTP;
		}
		err = n ? rt_wire_reader_got(r, (size_t)n) : rt_wire_reader_eof(r);
		if (err)
			return err;
	}
	return 0;
}

static void log_failure(const struct rt_conn *c, const char *path, int err, int sys)
{
	char url[3 * RT_CONN_API_MAX + RT_CONN_HEAD_MAX];
	const char *why = sys		     ? strerror(sys)
			  : err == ERR_PARSE ? "malformed or oversized answer"
			  : err == ERR_HTTP  ? "connection closed"
					     : err_str(err);

	snprintf(url, sizeof(url), "http://%s%s%s", c->authority, c->prefix, path);
	log_emit(LVL_ERROR, "Runtime API unreachable",
		 json_pack("{s:s,s:s}", "url", url, "error", why));
}

/* One attempt on the current connection (opened if needed). */
static int attempt(struct rt_conn *c, struct iovec *iov, size_t n, struct rt_wire_reader *r,
		   size_t body_max, int *sys)
{
	struct iovec copy[2];
	int after_send_failed; /* the send's errno is the one to report */

	rt_wire_reader_init(r, &c->in, body_max);
	*sys = c->fd < 0 ? conn_open(c) : 0;
	if (*sys)
		return ERR_HTTP;
	memcpy(copy, iov, n * sizeof(*iov)); /* send_all advances its iovec */
	*sys = send_all(c->fd, copy, n);
	/* A peer may answer (a 413, say) and close before it has read all we send. */
	return recv_answer(c, r, *sys ? &after_send_failed : sys);
}

/* A request head being written into a fixed array; `full` once a piece did not fit. */
struct head_out {
	char *at;
	const char *end;
	bool full;
};

static void put(struct head_out *h, const char *s)
{
	size_t n = strlen(s);

	if (h->full || (size_t)(h->end - h->at) < n) {
		h->full = true;
		return;
	}
	memcpy(h->at, s, n);
	h->at += n;
}

/* `v` in decimal, in `buf`; returns where the digits start. */
static const char *decimal(size_t v, char buf[RT_CONN_DECIMAL_MAX])
{
	size_t i = RT_CONN_DECIMAL_MAX - 1;

	buf[i] = '\0';
	do
		buf[--i] = (char)('0' + v % 10);
	while (v /= 10);
	return buf + i;
}

/*
 * The request line and fields (RFC 9112 3, 5), by copies rather than
 * snprintf: this runs twice per invocation. A GET carries no body fields.
 */
static int build_head(const struct rt_conn *c, char head[RT_CONN_HEAD_MAX], const char *method,
		      const char *path, const char *error_type, size_t len, size_t *out_len)
{
	struct head_out h = {head, head + RT_CONN_HEAD_MAX, false};
	char num[RT_CONN_DECIMAL_MAX];
	bool get = !strcmp(method, "GET");

	put(&h, method), put(&h, " "), put(&h, c->prefix), put(&h, path);
	put(&h, " HTTP/1.1\r\nHost: "), put(&h, c->authority);
	if (!get) {
		put(&h, "\r\nContent-Type: application/json\r\nContent-Length: ");
		put(&h, decimal(len, num));
	}
	if (!get && error_type)
		put(&h, "\r\nLambda-Runtime-Function-Error-Type: "), put(&h, error_type);
	put(&h, "\r\n\r\n");
	if (h.full)
		return ERR_TOOLARGE;
	*out_len = (size_t)(h.at - head);
	return 0;
}

int rt_conn_request(struct rt_conn *c, const char *method, const char *path, const char *error_type,
		    const void *body, size_t len, size_t body_max, struct rt_wire_reader *r)
{
	char head[RT_CONN_HEAD_MAX];
	struct iovec iov[2];
	size_t hl;
	int err = 0, sys = 0, i;

	err = build_head(c, head, method, path, error_type, len, &hl);
	if (err)
		return err;
	iov[0] = (struct iovec){head, hl};
	iov[1] = (struct iovec){(void *)body, len};
	for (i = 0; i < RT_CONN_ATTEMPTS_MAX; i++) {
		bool reused = c->fd >= 0 && c->used;

		err = attempt(c, iov, len ? 2 : 1, r, body_max, &sys);
		if (!err)
			break;
		rt_conn_close(c);
		/* Only an idle connection the peer had closed is worth a second try. */
		if (err != ERR_HTTP || !reused || r->received)
			break;
	}
	if (err) {
		log_failure(c, path, err, sys);
		return err == ERR_NOMEM ? ERR_NOMEM : ERR_HTTP;
	}
	c->used = true;
	if (r->head.close || r->until_close || r->extra || sys)
		rt_conn_close(c);
	return 0;
}
