/*
 * The scripted PostgreSQL backend of the database unit tests (pgstub.h):
 * protocol 3.0 as chapter 55 of PostgreSQL's manual describes it, just
 * enough of it for libpq. One connection at a time, blocking reads with a
 * timeout, so that a test that goes wrong fails rather than hangs.
 */
#include "core/common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "pgstub.h"
#include "script_server.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool read_n(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Append one message: `type`, a length, `len` bytes of `body`. */
static void put(uint8_t *out, size_t *at, char type, const void *body, size_t len)
{
	uint32_t n = htonl((uint32_t)(len + 4));

	out[(*at)++] = (uint8_t)type;
	memcpy(out + *at, &n, 4);
	memcpy(out + *at + 4, body, len);
	*at += 4 + len;
}

static void put_param(uint8_t *out, size_t *at, const char *name, const char *value)
{
	char b[128];
	size_t n = strlen(name) + 1, m = strlen(value) + 1;

	memcpy(b, name, n);
	memcpy(b + n, value, m);
	put(out, at, 'S', b, n + m);
}

/* SSLRequest and GSSENCRequest get 'N'; the startup packet gets the login. */
static bool login(int fd)
{
	uint8_t hdr[8], body[10000], out[512];
	size_t at = 0;
	static const uint8_t zero[4], ready = 'I';
	static const uint8_t key[8] = {0, 0, 0, 42, 0, 0, 0, 7};

	for (;;) {
		uint32_t len;

		if (!read_n(fd, hdr, 8) || (len = be32(hdr)) < 8 || len - 8 > sizeof(body) ||
		    !read_n(fd, body, len - 8))
			return false;
		if (be32(hdr + 4) == 196608)
			break;
		if (write(fd, "N", 1) != 1)
			return false;
	}
	put(out, &at, 'R', zero, 4);
	put_param(out, &at, "server_version", "16.0");
	put_param(out, &at, "client_encoding", "UTF8");
	put_param(out, &at, "standard_conforming_strings", "on");
	put(out, &at, 'K', key, 8);
	put(out, &at, 'Z', &ready, 1);
	return write(fd, out, at) == (ssize_t)at;
}

static bool answer(struct pgstub *s, int fd, bool simple)
{
	const struct pgstub_step ok = {PGSTUB_OK, NULL};
	const struct pgstub_step *st = s->step < s->n_script ? &s->script[s->step] : &ok;
	static const uint8_t ready = 'I';
	uint8_t out[512];
	char e[128];
	size_t at = 0, n;

	s->step++;
	if (st->action == PGSTUB_CLOSE)
		return false;
	if (!simple) {
		put(out, &at, '1', "", 0);
		put(out, &at, '2', "", 0);
	}
	if (st->action == PGSTUB_ERROR) {
		n = (size_t)snprintf(e, sizeof(e), "SERROR%cVERROR%cC%s%cMboom%c", 0, 0,
				     st->sqlstate, 0, 0);
		put(out, &at, 'E', e, n + 1);
	} else {
		if (!simple)
			put(out, &at, 'n', "", 0);
		put(out, &at, 'C', "INSERT 0 1", 11);
	}
	put(out, &at, 'Z', &ready, 1);
	return write(fd, out, at) == (ssize_t)at;
}

/* Serve one connection until it ends or the script closes it. */
static void session(struct pgstub *s, int fd)
{
	const size_t cap = (size_t)1 << 20;
	uint8_t hdr[5], *body = malloc(cap);

	if (!body || !login(fd)) {
		free(body);
		return;
	}
	while (!s->stop && read_n(fd, hdr, 5)) {
		uint32_t len = be32(hdr + 1);
		const char *sql = (const char *)body;

		if (len < 4 || len - 4 > cap - 1 || !read_n(fd, body, len - 4))
			break;
		body[len - 4] = '\0';
		if (hdr[0] == 'P')
			sql += strlen(sql) + 1; /* past the statement's name */
		if ((hdr[0] == 'P' || hdr[0] == 'Q') && s->nsql < PGSTUB_MAX_STATEMENTS)
			snprintf(s->sql[s->nsql++], PGSTUB_SQL_MAX, "%s", sql);
		if ((hdr[0] == 'S' || hdr[0] == 'Q') && !answer(s, fd, hdr[0] == 'Q'))
			break;
		if (hdr[0] == 'X')
			break;
	}
	free(body);
}

static void *serve(void *arg)
{
	struct pgstub *s = arg;
	struct timeval tv = {5, 0};

	while (!s->stop) {
		struct pollfd p = {s->listen_fd, POLLIN, 0};
		int fd;

		if (poll(&p, 1, 50) <= 0 || (fd = accept(s->listen_fd, NULL, NULL)) < 0)
			continue;
		s->accepts++;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		session(s, fd);
		close(fd);
	}
	return NULL;
}

void pgstub_start(struct pgstub *s, const struct pgstub_step *script, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->script = script;
	s->n_script = n;
	s->listen_fd = script_server_listen(&s->port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void pgstub_stop(struct pgstub *s)
{
	s->stop = true;
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}
