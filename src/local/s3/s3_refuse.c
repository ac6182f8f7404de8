/*
 * S3's answers to the requests the framing guard refuses (http/guard.h),
 * with the codes S3 documents in its error list: a header section past the
 * endpoint's cap is RequestHeaderSectionTooLarge (400, with MaxSizeAllowed),
 * a body past S3_MAX_BODY MaxMessageLengthExceeded (400; the cap is the
 * local endpoint's, S3's own objects go to 5 GiB), a transfer coding S3
 * does not decode NotImplemented (501), any other framing fault
 * InvalidRequest (400).
 */
#include "core/common.h"

#include <event2/http.h>

#include "core/log.h"
#include "core/xml.h"
#include "http/guard.h"
#include "local/s3/s3_int.h"

void s3_server_refuse(struct s3_server *srv, struct evhttp_request *req,
		      const struct http_guard_refusal *g)
{
	const char *uri = evhttp_request_get_uri(req);
	struct s3_req r;
	struct buf b;
	int status = 400;

	if (s3_req_init(&r, srv, req)) {
		evhttp_send_error(req, 500, NULL);
		s3_req_release(&r);
		return;
	}
	uri = uri ? uri : "/";
	/* The resource of the answer; one that does not parse is left out. */
	(void)s3_parse_target(&r, str_make(uri, strcspn(uri, "?#")));
	switch (g->kind) {
	case HTTP_REFUSAL_HEAD_TOO_LARGE:
		s3_error_begin(&r, &b, "RequestHeaderSectionTooLarge",
			       "Your request header section exceeds the maximum allowed size.");
		buf_putf(&b, "<MaxSizeAllowed>%zu</MaxSizeAllowed>", g->head_max);
		break;
	case HTTP_REFUSAL_BODY_TOO_LARGE:
		s3_error_begin(&r, &b, "MaxMessageLengthExceeded", "Your request was too big.");
		buf_putf(&b, "<MaxSizeAllowed>%" PRIu64 "</MaxSizeAllowed>", g->body_max);
		break;
	case HTTP_REFUSAL_NOT_IMPLEMENTED:
		s3_error_begin(
			&r, &b, "NotImplemented",
			"A header you provided implies functionality that is not implemented");
		xml_els(&b, "Header", "Transfer-Encoding");
		status = 501;
		break;
	default:
		s3_error_begin(&r, &b, "InvalidRequest", http_framing_reason_text(g->reason));
		break;
	}
	log_msg(LVL_WARN, "s3: refused %s %s: %s", *g->method ? g->method : "-", uri,
		http_framing_reason_text(g->reason));
	s3_error_send(&r, status, &b);
	s3_req_release(&r);
}
