/*
 * The scripted HTTP server of the client unit tests (see script_server.h).
 * Everything it keeps lives in the struct: no globals, so several servers
 * may run at once.
 */
#include "core/common.h"

#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "script_server.h"

/* Read one request (head and Content-Length body). False when the peer went away. */
static bool read_request(struct script_server *s, int fd)
{
	size_t len = 0, head_len = 0, body_len = 0;
	char *req = s->req;
	const char *end;

	for (;;) {
		ssize_t n = read(fd, req + len, SCRIPT_SERVER_MAX_REQ - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		req[len] = '\0';
		if (!head_len && (end = strstr(req, "\r\n\r\n"))) {
			const char *cl = strcasestr(req, "\r\ncontent-length:");
			head_len = (size_t)(end - req) + 4;
			if (cl && cl < end)
				body_len = strtoul(cl + 17, NULL, 10);
			snprintf(s->last_head, sizeof(s->last_head), "%.*s", (int)head_len, req);
		}
		if (head_len && len >= head_len + body_len) {
			memcpy(s->last_body, req + head_len, body_len);
			s->last_body[body_len] = '\0';
			s->last_body_len = body_len;
			if (s->served == 0)
				memcpy(s->first_body, s->last_body, body_len + 1);
			return true;
		}
	}
}

static void *serve(void *arg)
{
	struct script_server *s = arg;

	while (!s->stop) {
		struct pollfd p = {s->listen_fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		s->accepts++;
		while (!s->stop && read_request(s, fd)) {
			const char *answer =
				s->served < s->n_script ? s->script[s->served] : SCRIPT_HANG;
			s->served++;
			if (answer == SCRIPT_HANG) {
				while (!s->stop)
					usleep(10000);
				break;
			}
			if (write(fd, answer, strlen(answer)) < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

int script_server_listen(unsigned short *port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

void script_server_start(struct script_server *s, const char *const *script, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->script = script;
	s->n_script = n;
	s->req = malloc(SCRIPT_SERVER_MAX_REQ);
	s->last_body = calloc(1, SCRIPT_SERVER_MAX_REQ);
	s->first_body = calloc(1, SCRIPT_SERVER_MAX_REQ);
	assert_true(s->req && s->last_body && s->first_body);
	s->listen_fd = script_server_listen(&s->port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void script_server_stop(struct script_server *s)
{
	s->stop = true;
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	free(s->req);
	free(s->last_body);
	free(s->first_body);
	s->req = s->last_body = s->first_body = NULL;
}
