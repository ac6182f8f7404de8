/*
 * The local RDS Proxy (see pg_proxy.h): one struct pg_client per client
 * connection, moving through STARTUP -> PASSWORD -> CONNECTING -> RELAY on
 * libevent bufferevents. In RELAY the client's bytes are framed message by
 * message on their way to the backend (to check the SQL they carry); the
 * backend's bytes go to the client untouched. Either side closing ends both.
 */
#include "core/common.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include "aws/rds_token.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/postgres/pg_proxy.h"
#include "local/postgres/pg_watch.h"
#include "local/postgres/pg_wire.h"

/* The most of a statement a pinning warning quotes. */
#define PIN_QUOTE_MAX 200

enum client_state { S_STARTUP, S_PASSWORD, S_CONNECTING, S_RELAY, S_CLOSING };

struct pg_client {
	struct pg_proxy *proxy;
	uint64_t id;
	enum client_state state;
	struct bufferevent *client, *backend;
	struct event *reaper; /* frees a closing client from the loop, never from a callee */
	uint8_t *startup;     /* the client's startup packet, replayed to the backend */
	size_t startup_len;
	char user[RDS_TOKEN_MAX_USER + 1];
	char database[64];
	uint16_t port;		/* the client's end of the connection */
	struct pg_watch *watch; /* its statements, when the proxy has an observer */
	LIST_ENTRY(pg_client) link;
};

struct pg_proxy {
	struct event_base *base;
	struct evconnlistener *listener;
	char *address, *region, *akid, *secret;
	struct sockaddr_un backend;
	uint16_t port;
	uint64_t next_id;
	struct pg_proxy_stats stats;
	struct pg_proxy_observer obs;
	LIST_HEAD(, pg_client) clients;
};

static void client_free(struct pg_client *c)
{
	LIST_REMOVE(c, link);
	if (c->client)
		bufferevent_free(c->client);
	if (c->backend)
		bufferevent_free(c->backend);
	if (c->reaper)
		event_free(c->reaper);
	free(c->startup);
	free(c->watch);
	free(c);
}

/* A closing client that hung up or failed: nothing more to flush. */
static void on_client_closed(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_client_drained(struct bufferevent *bev, void *arg)
{
	struct pg_client *c = arg;

	if (c->state == S_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct pg_client *c = arg;

	on_client_drained(c->client, c);
}

/*
 * Stop reading, let what was written reach the client, then close. The
 * client is never freed here: callers may still look at it. A zero timer
 * frees it from the loop when nothing is left to write.
 */
static void close_after_flush(struct pg_client *c)
{
	static const struct timeval now = {0, 0};

	if (c->state == S_CLOSING)
		return;
	c->state = S_CLOSING;
	if (c->backend) {
		bufferevent_free(c->backend);
		c->backend = NULL;
	}
	bufferevent_disable(c->client, EV_READ);
	bufferevent_setwatermark(c->client, EV_WRITE, 0, 0);
	bufferevent_setcb(c->client, NULL, on_client_drained, on_client_closed, c);
	c->reaper = evtimer_new(c->proxy->base, on_reap, c);
	if (c->reaper)
		evtimer_add(c->reaper, &now);
}

/* Send `b` (a built message) to the client; a failed build closes the connection. */
static void send_to_client(struct pg_client *c, struct buf *b)
{
	if (!buf_error(b))
		bufferevent_write(c->client, b->ptr, b->len);
	buf_release(b);
}

static void fail_client(struct pg_client *c, const char *code, const char *message)
{
	struct buf b;

	buf_init(&b, 4096);
	pg_put_error(&b, "FATAL", code, message);
	send_to_client(c, &b);
	close_after_flush(c);
}

/* ---- Pinning ---------------------------------------------------------------------------- */

static void log_pin(struct pg_client *c, const char *reason, struct str sql)
{
	char quote[PIN_QUOTE_MAX + 4];
	size_t n = MIN(sql.len, (size_t)PIN_QUOTE_MAX);

	for (size_t i = 0; i < n; i++)
		quote[i] = sql.ptr[i] == '\n' || sql.ptr[i] == '\r' || sql.ptr[i] == '\t'
				   ? ' '
				   : sql.ptr[i];
	memcpy(quote + n, sql.len > n ? "..." : "", sql.len > n ? 4 : 1);
	c->proxy->stats.pins++;
	log_emit(LVL_WARN, "rds-proxy: this would pin the session on RDS Proxy",
		 json_pack("{s:I,s:s,s:s,s:s}", "client", (json_int_t)c->id, "user", c->user,
			   "reason", reason, "statement", quote));
}

/* Check one client message on its way to the backend, and follow it. */
static void inspect(struct pg_client *c, const struct pg_message *m)
{
	struct str sql = STR_NULL, name;
	const char *why = NULL;

	if ((m->type == 'Q' || m->type == 'P') && pg_statement(m, &sql, &name) == 0) {
		why = name.len ? "a named prepared statement (Parse with a name)"
			       : pg_pin_reason(sql.ptr, sql.len);
		if (why)
			log_pin(c, why, sql);
	}
	if (c->watch)
		pg_watch_client(c->watch, m->type, sql, why, time_now_ms(), time_mono_ns());
}

static void on_statement(void *arg, const struct pg_statement *s, double duration_ms)
{
	struct pg_client *c = arg;
	struct pg_proxy *p = c->proxy;
	struct pg_proxy_statement r = {
		.client = c->id,
		.client_port = c->port,
		.proxy_port = p->port,
		.user = c->user,
		.database = c->database,
		.verb = s->verb,
		.text = s->text,
		.pin = s->pin,
		.sqlstate = s->sqlstate,
		.start_ms = s->start_ms,
		.duration_ms = duration_ms,
	};

	if (p->obs.statement)
		p->obs.statement(p->obs.arg, &r);
}

/* The backend's bytes on their way to the client: the watch sees each ReadyForQuery. */
static void watch_backend(struct pg_client *c, struct evbuffer *in)
{
	struct evbuffer_iovec v[8];
	int n = evbuffer_peek(in, -1, NULL, v, ARRAY_SIZE(v));
	int64_t now = time_mono_ns();

	if (n > (int)ARRAY_SIZE(v)) { /* more chunks than fit: make it one */
		if (!evbuffer_pullup(in, -1))
			return;
		n = evbuffer_peek(in, -1, NULL, v, ARRAY_SIZE(v));
	}
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(v); i++)
		pg_watch_backend(c->watch, v[i].iov_base, v[i].iov_len, now, on_statement, c);
}

/* ---- Relay ------------------------------------------------------------------------------ */

/* Move every complete client message to the backend, checking each. */
static void relay_client(struct pg_client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->client);
	struct evbuffer *out = bufferevent_get_output(c->backend);

	for (;;) {
		uint8_t hdr[5];
		struct pg_message m;
		size_t total;

		if (evbuffer_copyout(in, hdr, 5) < 5)
			return;
		total = pg_frame_length(hdr);
		if (total == 0 || total > PG_PROXY_MAX_MESSAGE) {
			log_msg(LVL_WARN, "rds-proxy: client %" PRIu64 " sent a malformed message",
				c->id);
			fail_client(c, "08P01", "invalid message length");
			return;
		}
		if (evbuffer_get_length(in) < total)
			return;
		if (hdr[0] == 'Q' || hdr[0] == 'P') {
			const uint8_t *p = evbuffer_pullup(in, (ssize_t)total);

			if (p && pg_frame(p, total, PG_PROXY_MAX_MESSAGE, &m) > 0)
				inspect(c, &m);
		} else if (c->watch) { /* its type is all the watch needs */
			m.type = (char)hdr[0];
			m.body = STR_NULL;
			inspect(c, &m);
		}
		evbuffer_remove_buffer(in, out, total);
		if (evbuffer_get_length(out) > PG_PROXY_HIGH_WATER) {
			bufferevent_disable(c->client, EV_READ);
			return;
		}
	}
}

static void on_backend_read(struct bufferevent *bev, void *arg)
{
	struct pg_client *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->client);

	if (c->watch)
		watch_backend(c, bufferevent_get_input(bev));
	evbuffer_add_buffer(out, bufferevent_get_input(bev));
	if (evbuffer_get_length(out) > PG_PROXY_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

/* The client took what we wrote: read from the backend again. */
static void on_client_write(struct bufferevent *bev, void *arg)
{
	struct pg_client *c = arg;

	if (c->backend)
		bufferevent_enable(c->backend, EV_READ);
}

/* The backend took what we wrote: read from the client again. */
static void on_backend_write(struct bufferevent *bev, void *arg)
{
	struct pg_client *c = arg;

	if (c->state == S_RELAY) {
		bufferevent_enable(c->client, EV_READ);
		relay_client(c);
	}
}

static void on_backend_event(struct bufferevent *bev, short what, void *arg)
{
	struct pg_client *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		c->state = S_RELAY;
		bufferevent_write(bev, c->startup, c->startup_len);
		bufferevent_enable(bev, EV_READ);
		bufferevent_enable(c->client, EV_READ);
		relay_client(c);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->state == S_CONNECTING) {
		log_msg(LVL_ERROR, "rds-proxy: cannot reach the local PostgreSQL at %s",
			c->proxy->backend.sun_path);
		fail_client(c, "08006", "the database is not available");
		return;
	}
	/* The backend ended the session: give the client what is left, then close. */
	evbuffer_add_buffer(bufferevent_get_output(c->client), bufferevent_get_input(bev));
	close_after_flush(c);
}

static void start_backend(struct pg_client *c)
{
	struct pg_proxy *p = c->proxy;

	c->state = S_CONNECTING;
	bufferevent_disable(c->client, EV_READ);
	c->backend = bufferevent_socket_new(p->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->backend) {
		fail_client(c, "53000", "out of memory");
		return;
	}
	bufferevent_setcb(c->backend, on_backend_read, on_backend_write, on_backend_event, c);
	bufferevent_setwatermark(c->backend, EV_WRITE, PG_PROXY_HIGH_WATER / 2, 0);
	if (bufferevent_socket_connect(c->backend, (struct sockaddr *)&p->backend,
				       sizeof(p->backend)) < 0)
		on_backend_event(c->backend, BEV_EVENT_ERROR, c);
}

/* ---- Admission -------------------------------------------------------------------------- */

static const char *lookup_secret(void *ctx, struct str akid)
{
	struct pg_proxy *p = ctx;

	return str_eq_cstr(akid, p->akid) ? p->secret : NULL;
}

static void check_password(struct pg_client *c, struct str password)
{
	struct pg_proxy *p = c->proxy;
	struct rds_token_expect e = {
		.host = p->address,
		.port = p->port,
		.user = c->user,
		.region = p->region,
		.now = time(NULL),
		.lookup = lookup_secret,
		.lookup_ctx = p,
	};
	enum rds_token_status st = RDS_TOKEN_MALFORMED;
	char why[256] = "", msg[160];

	if (rds_token_verify(password.ptr, password.len, &e, &st, why, sizeof(why)) == 0 &&
	    st == RDS_TOKEN_OK) {
		p->stats.admitted++;
		if (p->obs.statement && (c->watch = malloc(sizeof(*c->watch))))
			pg_watch_init(c->watch);
		log_msg(LVL_DEBUG, "rds-proxy: client %" PRIu64 " admitted as %s (IAM token)",
			c->id, c->user);
		start_backend(c);
		return;
	}
	p->stats.refused++;
	log_msg(LVL_WARN, "rds-proxy: client %" PRIu64 " refused for user %s: %s (%s)", c->id,
		c->user, why, rds_token_status_name(st));
	snprintf(msg, sizeof(msg), "password authentication failed for user \"%s\"", c->user);
	fail_client(c, "28P01", msg);
}

/* Read the startup packet (after any SSL/GSS request); false when the connection ended. */
static bool read_startup(struct pg_client *c, struct evbuffer *in)
{
	struct pg_startup s;
	size_t avail = evbuffer_get_length(in);
	const uint8_t *data = evbuffer_pullup(in, (ssize_t)MIN(avail, (size_t)PG_MAX_STARTUP));
	long n = data ? pg_parse_startup(data, MIN(avail, (size_t)PG_MAX_STARTUP), &s) : 0;
	struct str user, options;
	struct buf b;

	if (n == 0)
		return false;
	if (n < 0 || s.kind == PG_STARTUP_OTHER) {
		fail_client(c, n < 0 ? "08P01" : "0A000",
			    n < 0 ? "invalid startup packet layout"
				  : "unsupported frontend protocol");
		return false;
	}
	if (s.kind == PG_STARTUP_CANCEL) {
		log_msg(LVL_WARN, "rds-proxy: a CancelRequest was ignored: RDS Proxy does not "
				  "support canceling a query");
		close_after_flush(c);
		return false;
	}
	if (s.kind == PG_STARTUP_SSL || s.kind == PG_STARTUP_GSSENC) {
		evbuffer_drain(in, (size_t)n);
		buf_init(&b, 8);
		pg_put_byte(&b, 'N');
		send_to_client(c, &b);
		return true; /* the real startup packet follows */
	}
	user = pg_startup_param(&s, "user");
	if (user.len == 0 || user.len > RDS_TOKEN_MAX_USER) {
		fail_client(c, "28000", "no valid PostgreSQL user name in the startup packet");
		return false;
	}
	memcpy(c->user, user.ptr, user.len);
	c->user[user.len] = '\0';
	struct str db = pg_startup_param(&s, "database");
	if (!db.len) /* PostgreSQL's default: the user's name */
		db = user;
	snprintf(c->database, sizeof(c->database), "%.*s", STR_FMT(db));
	options = pg_startup_param(&s, "options");
	if (options.len)
		log_pin(c, "session settings in the startup packet (options)", options);
	c->startup = malloc((size_t)n);
	if (!c->startup) {
		fail_client(c, "53000", "out of memory");
		return false;
	}
	evbuffer_remove(in, c->startup, (size_t)n);
	c->startup_len = (size_t)n;
	c->state = S_PASSWORD;
	buf_init(&b, 16);
	pg_put_auth_cleartext(&b);
	send_to_client(c, &b);
	return false;
}

static void read_password(struct pg_client *c, struct evbuffer *in)
{
	uint8_t hdr[5];
	struct pg_message m;
	struct str password;
	size_t total;

	if (evbuffer_copyout(in, hdr, 5) < 5)
		return;
	total = pg_frame_length(hdr);
	if (hdr[0] != 'p' || total == 0 || total > RDS_TOKEN_MAX + 6) {
		fail_client(c, "08P01", "expected a password message");
		return;
	}
	if (evbuffer_get_length(in) < total)
		return;
	const uint8_t *p = evbuffer_pullup(in, (ssize_t)total);
	if (!p || pg_frame(p, total, total, &m) <= 0 || pg_password(&m, &password)) {
		fail_client(c, "08P01", "malformed password message");
		return;
	}
	check_password(c, password);
	/* The token is a credential: do not leave it in the input buffer. */
	if (c->state == S_CONNECTING)
		evbuffer_drain(in, total);
}

static void on_client_read(struct bufferevent *bev, void *arg)
{
	struct pg_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	switch (c->state) {
	case S_STARTUP:
		while (c->state == S_STARTUP && read_startup(c, in))
			;
		break;
	case S_PASSWORD:
		read_password(c, in);
		break;
	case S_RELAY:
		relay_client(c);
		break;
	default:
		break;
	}
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	struct pg_proxy *p = arg;
	struct pg_client *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	/*
	 * The relay writes what the backend sends as it comes: without
	 * TCP_NODELAY, Nagle holds a second write until the client's delayed ACK
	 * (up to 200 ms on Linux), a stall at the tail of every latency figure.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->proxy = p;
	c->id = ++p->next_id;
	if (sa && sa->sa_family == AF_INET)
		c->port = ntohs(((struct sockaddr_in *)sa)->sin_port);
	c->client = bufferevent_socket_new(p->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->client) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	LIST_INSERT_HEAD(&p->clients, c, link);
	p->stats.clients++;
	bufferevent_setcb(c->client, on_client_read, on_client_write, on_client_event, c);
	bufferevent_setwatermark(c->client, EV_WRITE, PG_PROXY_HIGH_WATER / 2, 0);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
}

/* ---- Lifecycle -------------------------------------------------------------------------- */

int pg_proxy_new(struct event_base *base, const struct pg_proxy_config *cfg, struct pg_proxy **out)
{
	struct pg_proxy *p = calloc(1, sizeof(*p));
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int n;

	*out = NULL;
	if (!p)
		return ERR_NOMEM;
	LIST_INIT(&p->clients);
	p->base = base;
	p->address = strdup(cfg->address ? cfg->address : "127.0.0.1");
	p->region = strdup(cfg->region ? cfg->region : "us-east-1");
	p->akid = strdup(cfg->access_key_id ? cfg->access_key_id : "");
	p->secret = strdup(cfg->secret_access_key ? cfg->secret_access_key : "");
	if (!p->address || !p->region || !p->akid || !p->secret) {
		pg_proxy_free(p);
		return ERR_NOMEM;
	}
	p->backend.sun_family = AF_UNIX;
	n = snprintf(p->backend.sun_path, sizeof(p->backend.sun_path), "%s/.s.PGSQL.%u",
		     cfg->backend_socket, (unsigned)cfg->backend_port);
	if (n < 0 || (size_t)n >= sizeof(p->backend.sun_path) ||
	    inet_pton(AF_INET, p->address, &sin.sin_addr) != 1) {
		pg_proxy_free(p);
		return ERR_INVAL;
	}
	sin.sin_port = htons(cfg->port);
	p->listener = evconnlistener_new_bind(base, on_accept, p,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						      LEV_OPT_CLOSE_ON_EXEC,
					      128, (struct sockaddr *)&sin, sizeof(sin));
	if (!p->listener) {
		log_msg(LVL_ERROR, "rds-proxy: cannot listen on %s:%u", p->address,
			(unsigned)cfg->port);
		pg_proxy_free(p);
		return ERR_IO;
	}
	if (getsockname(evconnlistener_get_fd(p->listener), (struct sockaddr *)&sin, &sl) == 0)
		p->port = ntohs(sin.sin_port);
	*out = p;
	return 0;
}

uint16_t pg_proxy_port(const struct pg_proxy *p)
{
	return p ? p->port : 0;
}

void pg_proxy_get_stats(const struct pg_proxy *p, struct pg_proxy_stats *out)
{
	if (p)
		*out = p->stats;
	else
		memset(out, 0, sizeof(*out));
}

void pg_proxy_set_observer(struct pg_proxy *p, const struct pg_proxy_observer *obs)
{
	if (!p)
		return;
	if (obs)
		p->obs = *obs;
	else
		memset(&p->obs, 0, sizeof(p->obs));
}

void pg_proxy_free(struct pg_proxy *p)
{
	if (!p)
		return;
	for (struct pg_client *c = LIST_FIRST(&p->clients), *next; c; c = next) {
		next = LIST_NEXT(c, link);
		client_free(c);
	}
	if (p->listener)
		evconnlistener_free(p->listener);
	free(p->address);
	free(p->region);
	free(p->akid);
	if (p->secret)
		explicit_bzero(p->secret, strlen(p->secret));
	free(p->secret);
	free(p);
}
