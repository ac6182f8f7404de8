/*
 * The local AWS endpoint (see aws_endpoint.h): one evhttp server on the
 * caller's event loop. It tells services apart by the X-Amz-Target header
 * (DynamoDB's JSON protocol names its operation there) and hands everything
 * else to the S3 server. evhttp reads whole bodies into memory, so the body
 * size is capped (S3_MAX_BODY); evhttp itself answers 413 beyond it.
 */
#include "core/common.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/log.h"
#include "local/aws_endpoint.h"
#include "local/s3_server.h"

#define ENDPOINT_MAX_HEADERS	 (64u << 10) /* bytes of one request's header block */
#define ENDPOINT_TIMEOUT_SECONDS 120	     /* idle connection / slow upload */

struct aws_endpoint {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct s3_server *s3;
	uint16_t port;
};

static void on_request(struct evhttp_request *req, void *arg)
{
	struct aws_endpoint *ep = arg;
	const char *target =
		evhttp_find_header(evhttp_request_get_input_headers(req), "X-Amz-Target");
	if (target && !strncmp(target, "DynamoDB_", 9)) {
		struct evbuffer *b = evbuffer_new();
		if (!b) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		evbuffer_add_printf(b, "{\"__type\":\"UnknownOperationException\"}");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/x-amz-json-1.0");
		evhttp_send_reply(req, 400, "Bad Request", b);
		evbuffer_free(b);
		return;
	}
	s3_server_handle(ep->s3, req);
}

int aws_endpoint_new(struct event_base *base, const char *address, uint16_t port,
		     const struct aws_endpoint_credentials *creds, const char *data_dir,
		     struct aws_endpoint **out)
{
	if (!base || !data_dir || !out)
		return ERR_INVAL;
	*out = NULL;
	const char *akid = creds && creds->access_key_id ? creds->access_key_id
							 : AWS_ENDPOINT_DEFAULT_ACCESS_KEY_ID;
	const char *secret = creds && creds->secret_access_key ? creds->secret_access_key
							       : AWS_ENDPOINT_DEFAULT_SECRET;
	struct aws_endpoint *ep = calloc(1, sizeof(*ep));
	struct buf root;
	int rc;
	buf_init(&root, 4096);
	if (!ep)
		return ERR_NOMEM;
	if (mkdir(data_dir, 0755) && errno != EEXIST) {
		rc = ERR_IO;
		goto fail;
	}
	if ((rc = buf_addf(&root, "%s/s3", data_dir)))
		goto fail;
	if ((rc = s3_server_new(root.ptr, akid, secret, &ep->s3)))
		goto fail;
	ep->http = evhttp_new(base);
	if (!ep->http) {
		rc = ERR_NOMEM;
		goto fail;
	}
	evhttp_set_max_body_size(ep->http, S3_MAX_BODY);
	evhttp_set_max_headers_size(ep->http, ENDPOINT_MAX_HEADERS);
	evhttp_set_timeout(ep->http, ENDPOINT_TIMEOUT_SECONDS);
	evhttp_set_default_content_type(ep->http, "application/xml");
	evhttp_set_allowed_methods(ep->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(ep->http, on_request, ep);
	ep->sock = evhttp_bind_socket_with_handle(ep->http, address ? address : "127.0.0.1", port);
	if (!ep->sock) {
		log_msg(LVL_ERROR, "aws endpoint: cannot listen on %s:%u",
			address ? address : "127.0.0.1", port);
		rc = ERR_IO;
		goto fail;
	}
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(ep->sock), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			ep->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			ep->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	buf_release(&root);
	*out = ep;
	return 0;
fail:
	buf_release(&root);
	aws_endpoint_free(ep);
	return rc;
}

int aws_endpoint_create_bucket(struct aws_endpoint *ep, const char *name)
{
	if (!ep || !name)
		return ERR_INVAL;
	return s3_server_create_bucket(ep->s3, name);
}

void aws_endpoint_set_fsync(struct aws_endpoint *ep, bool on)
{
	if (ep)
		s3_server_set_fsync(ep->s3, on);
}

uint16_t aws_endpoint_port(const struct aws_endpoint *ep)
{
	return ep ? ep->port : 0;
}

void aws_endpoint_free(struct aws_endpoint *ep)
{
	if (!ep)
		return;
	if (ep->http)
		evhttp_free(ep->http);
	s3_server_free(ep->s3);
	free(ep);
}
