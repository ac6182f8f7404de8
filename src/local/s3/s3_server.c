/*
 * The front of the local S3 endpoint (s3_server.h, s3_int.h): one request
 * becomes one struct s3_req (the addressing from a path-style or
 * virtual-host-style URL, the decoded query, the verified signature), is
 * routed to one s3_op_*(), and ends in exactly one reply. The replies and
 * S3's error answers live here too, so that every answer goes out through
 * one place that checks the sticky error of the buffer it was built in.
 *
 * Error bodies follow S3's shape: <Error><Code/><Message/>...the fields S3
 * adds for that code...<Resource/><RequestId/><HostId/></Error>. If even an
 * error answer cannot be built, a fixed 500 body goes out; that path builds
 * nothing, so it cannot fail the same way in turn.
 */
#include "core/common.h"

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/enc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xml.h"
#include "http/query.h"
#include "local/s3/s3_int.h"

/* What goes out when not even an error answer could be built. */
#define FALLBACK_ERROR                                                                          \
	XML_DECL "<Error><Code>InternalError</Code><Message>We encountered an internal error. " \
		 "Please try again.</Message></Error>"

/* Percent-encoding writes at most 3 bytes a byte: the cap of a key under encoding-type=url. */
#define URI_ENCODED_MAX(n) (3 * (n))

/* ---- replies ---- */

void s3_add_header(struct s3_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

void s3_set_etag(struct s3_req *r, const char *etag)
{
	char q[S3_ETAG_MAX + 2];

	snprintf(q, sizeof(q), "\"%s\"", etag);
	s3_add_header(r, "ETag", q);
}

/* Send `len` bytes of `data` (none when 0) as the answer, once. */
static void send_answer(struct s3_req *r, int status, const char *reason, const char *data,
			size_t len, const char *content_type)
{
	if (r->replied)
		return;
	r->replied = true;
	s3_add_header(r, "x-amz-request-id", r->request_id);
	s3_add_header(r, "x-amz-id-2", r->request_id);
	s3_add_header(r, "Server", "sluice");
	if (len) {
		s3_add_header(r, "Content-Type", content_type ? content_type : "application/xml");
		if (evbuffer_add(r->out, data, len)) {
			evhttp_send_error(r->req, 500, NULL);
			return;
		}
	}
	evhttp_send_reply(r->req, status, reason, r->out);
}

void s3_reply(struct s3_req *r, int status, const char *reason, const struct buf *body,
	      const char *content_type)
{
	send_answer(r, status, reason, body ? body->ptr : NULL, body ? body->len : 0, content_type);
}

void s3_reply_xml(struct s3_req *r, int status, const struct buf *body)
{
	if (buf_error(body)) {
		s3_internal_error(r, buf_error(body));
		return;
	}
	s3_reply(r, status, status == 200 ? "OK" : NULL, body, "application/xml");
}

void s3_reply_empty(struct s3_req *r, int status, const char *reason)
{
	s3_add_header(r, "Content-Length", "0");
	s3_reply(r, status, reason, NULL, NULL);
}

void s3_error_begin(struct s3_req *r, struct buf *b, const char *code, const char *message)
{
	buf_init(b, S3_ERROR_ANSWER_CAP);
	r->error_code = code;
	buf_puts(b, XML_DECL "<Error>");
	xml_els(b, "Code", code);
	xml_els(b, "Message", message);
}

void s3_error_send(struct s3_req *r, int status, struct buf *b)
{
	xml_el(b, "Resource", r->resource.ptr, r->resource.len);
	xml_els(b, "RequestId", r->request_id);
	xml_els(b, "HostId", r->request_id);
	xml_close(b, "Error");
	log_msg(LVL_DEBUG, "s3: %d %s %s", status, r->error_code, r->resource.ptr);
	if (r->method == EVHTTP_REQ_HEAD) {
		/* S3 answers HEAD errors with the status alone. */
		s3_reply(r, status, NULL, NULL, NULL);
	} else if (buf_error(b)) {
		log_msg(LVL_ERROR, "s3: cannot build the %s answer: %s", r->error_code,
			err_name(buf_error(b)));
		send_answer(r, 500, NULL, FALLBACK_ERROR, sizeof(FALLBACK_ERROR) - 1,
			    "application/xml");
	} else {
		s3_reply(r, status, NULL, b, "application/xml");
	}
	buf_release(b);
}

void s3_reply_error(struct s3_req *r, int status, const char *code, const char *message)
{
	struct buf b;

	s3_error_begin(r, &b, code, message);
	s3_error_send(r, status, &b);
}

void s3_no_such_bucket(struct s3_req *r)
{
	struct buf b;

	s3_error_begin(r, &b, "NoSuchBucket", "The specified bucket does not exist");
	xml_el(&b, "BucketName", r->bucket.ptr, r->bucket.len);
	s3_error_send(r, 404, &b);
}

void s3_no_such_key(struct s3_req *r)
{
	struct buf b;

	s3_error_begin(r, &b, "NoSuchKey", "The specified key does not exist.");
	xml_el(&b, "Key", r->key.ptr, r->key.len);
	s3_error_send(r, 404, &b);
}

void s3_precondition_failed(struct s3_req *r, const char *condition)
{
	struct buf b;

	s3_error_begin(r, &b, "PreconditionFailed",
		       "At least one of the pre-conditions you specified did not hold");
	xml_els(&b, "Condition", condition);
	s3_error_send(r, 412, &b);
}

void s3_malformed_xml(struct s3_req *r)
{
	s3_reply_error(r, 400, "MalformedXML",
		       "The XML you provided was not well-formed or did not validate against our "
		       "published schema");
}

static void method_not_allowed(struct s3_req *r)
{
	s3_reply_error(r, 405, "MethodNotAllowed",
		       "The specified method is not allowed against this resource.");
}

void s3_not_implemented(struct s3_req *r, const char *what)
{
	char msg[256];

	/* `what` is a parameter or header name; a long one is cut, not overflowed. */
	snprintf(msg, sizeof(msg), "%.160s is not implemented by the sluice local endpoint", what);
	s3_reply_error(r, 501, "NotImplemented", msg);
}

void s3_internal_error(struct s3_req *r, int err)
{
	log_msg(LVL_ERROR, "s3: internal error %s on %s", err_name(err), r->resource.ptr);
	s3_reply_error(r, 500, "InternalError",
		       "We encountered an internal error. Please try again.");
}

void s3_xml_key(struct buf *b, const char *tag, const char *s, size_t n, bool url)
{
	struct buf e;
	int err;

	if (!url) {
		xml_el(b, tag, s, n);
		return;
	}
	buf_init(&e, URI_ENCODED_MAX(n));
	if ((err = uri_encode(&e, s, n, true)))
		buf_set_error(b, err);
	else
		xml_el(b, tag, e.ptr, e.len);
	buf_release(&e);
}

void s3_iso_time(char out[32], int64_t ms)
{
	time_rfc3339(out, ms, 1);
}

/* ---- request parsing ---- */

const char *s3_header(const struct s3_req *r, const char *name)
{
	return evhttp_find_header(r->in, name);
}

const char *s3_qget(const struct s3_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_query; i++)
		if (!strcmp(r->query[i].name, name))
			return r->query[i].value;
	return NULL;
}

bool s3_qhas(const struct s3_req *r, const char *name)
{
	return s3_qget(r, name) != NULL;
}

/* Decode one query name or value into a new string; '+' stays a plus. */
static int decode_part(struct str s, size_t cap, char **out)
{
	struct buf b;
	int err;

	buf_init(&b, cap);
	if ((err = uri_decode(&b, s.ptr, s.len, false))) {
		buf_release(&b);
		return err;
	}
	*out = buf_detach(&b, NULL);
	return *out ? 0 : ERR_NOMEM;
}

int s3_parse_query(struct s3_req *r, struct str q)
{
	struct str name, value;
	int err;

	while (query_next(&q, &name, &value)) {
		struct s3_qparam *p;

		if (r->n_query == S3_MAX_QUERY_PARAMS)
			return ERR_TOOLARGE;
		p = &r->query[r->n_query];
		if ((err = decode_part(name, S3_QUERY_NAME_CAP, &p->name)))
			return err;
		if ((err = decode_part(value, S3_QUERY_VALUE_CAP, &p->value))) {
			free(p->name);
			p->name = NULL;
			return err;
		}
		r->n_query++;
	}
	return 0;
}

/* The bucket of a virtual-host-style Host ("bucket.localhost[:port]"), else empty. */
static struct str host_bucket(const char *host)
{
	struct str h = str_from(host);
	long colon;

	if (!host)
		return STR_NULL;
	colon = str_index(h, ':');
	if (colon >= 0)
		h.len = (size_t)colon;
	if (!str_has_suffix(h, STR_LIT(".localhost")))
		return STR_NULL;
	return str_make(h.ptr, h.len - strlen(".localhost"));
}

int s3_parse_target(struct s3_req *r, struct str path)
{
	struct str vb = host_bucket(s3_header(r, "Host"));
	struct str rest = path;
	int err;

	if (rest.len && rest.ptr[0] == '/')
		rest = str_make(rest.ptr + 1, rest.len - 1);
	if (!vb.len) {
		bool found;

		rest = str_split(rest, '/', &vb, &found);
		r->has_key = found && rest.len > 0;
	} else {
		r->has_key = rest.len > 0;
	}
	if (vb.len >= sizeof(r->bucket_buf))
		return ERR_TOOLARGE;
	memcpy(r->bucket_buf, vb.ptr, vb.len);
	r->bucket_buf[vb.len] = '\0';
	r->bucket = str_make(r->bucket_buf, vb.len);
	if (r->has_key && (err = uri_decode(&r->key, rest.ptr, rest.len, false)))
		return err;
	buf_putc(&r->resource, '/');
	buf_put(&r->resource, r->bucket.ptr, r->bucket.len);
	if (r->has_key) {
		buf_putc(&r->resource, '/');
		buf_put(&r->resource, r->key.ptr, r->key.len);
	}
	return buf_error(&r->resource);
}

bool s3_only_params(struct s3_req *r, const char *const *allowed)
{
	for (size_t i = 0; i < r->n_query; i++) {
		const char *n = r->query[i].name;
		bool ok = !strncmp(n, "X-Amz-", 6) || !strcmp(n, "x-id");

		for (size_t j = 0; allowed && allowed[j] && !ok; j++)
			ok = !strcmp(n, allowed[j]);
		if (!ok) {
			char what[160];

			snprintf(what, sizeof(what), "The '%.100s' parameter", n);
			s3_not_implemented(r, what);
			return false;
		}
	}
	return true;
}

struct s3_bucket *s3_need_bucket(struct s3_req *r)
{
	struct s3_bucket *b = s3_store_bucket(r->srv->store, r->bucket);

	if (!b)
		s3_no_such_bucket(r);
	return b;
}

/*
 * A key is UTF-8 without NUL, whatever the operation: S3 answers InvalidURI
 * for any other, and so do we, before the key is looked up (a GET of one is
 * not a NoSuchKey). S3's own answer puts the raw bytes in its Resource, which
 * no XML parser reads (boto3 fails on it); ours goes through the XML writer,
 * which shows them as U+FFFD.
 */
static bool key_decodes(struct s3_req *r)
{
	if (memchr(r->key.ptr, '\0', r->key.len) || !utf8_valid(r->key.ptr, r->key.len)) {
		s3_reply_error(r, 400, "InvalidURI", "Couldn't parse the specified URI.");
		return false;
	}
	return true;
}

bool s3_key_ok(struct s3_req *r)
{
	if (r->key.len > S3_MAX_KEY_LEN) {
		s3_reply_error(r, 400, "KeyTooLongError", "Your key is too long");
		return false;
	}
	return key_decodes(r);
}

json_t *s3_user_meta(const struct s3_req *r)
{
	json_t *m = json_object();
	struct evkeyval *kv;

	if (!m)
		return NULL;
	TAILQ_FOREACH(kv, r->in, next)
	{
		char *name;

		if (strncasecmp(kv->key, "x-amz-meta-", 11) || !kv->key[11] ||
		    !utf8_valid(kv->value, strlen(kv->value)))
			continue;
		if (!(name = strdup(kv->key + 11)))
			goto fail;
		for (char *p = name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if (json_object_set_new(m, name, json_string(kv->value))) {
			free(name);
			goto fail;
		}
		free(name);
	}
	return m;
fail:
	json_decref(m);
	return NULL;
}

/* ---- routing ---- */

static void route_bucket(struct s3_req *r)
{
	switch (r->method) {
	case EVHTTP_REQ_PUT:
		s3_op_create_bucket(r);
		return;
	case EVHTTP_REQ_HEAD:
		s3_op_head_bucket(r);
		return;
	case EVHTTP_REQ_DELETE:
		s3_op_delete_bucket(r);
		return;
	case EVHTTP_REQ_GET:
		if (s3_qhas(r, "location") && r->n_query == 1)
			s3_op_bucket_location(r);
		else if (s3_qhas(r, "list-type") && !strcmp(s3_qget(r, "list-type"), "2"))
			s3_op_list_objects(r, true);
		else if (s3_qhas(r, "list-type"))
			s3_reply_error(r, 400, "InvalidArgument", "Invalid List Type specified");
		else
			s3_op_list_objects(r, false);
		return;
	case EVHTTP_REQ_POST:
		if (s3_qhas(r, "delete"))
			s3_op_delete_objects(r);
		else
			s3_not_implemented(r, "This bucket POST operation");
		return;
	default:
		break;
	}
	method_not_allowed(r);
}

static void route_object(struct s3_req *r)
{
	const char *src = s3_header(r, "x-amz-copy-source");

	if (!key_decodes(r))
		return;
	if (s3_qhas(r, "versionId")) {
		s3_not_implemented(r, "Object versioning (versionId)");
		return;
	}
	switch (r->method) {
	case EVHTTP_REQ_PUT:
		if (s3_qhas(r, "partNumber") || s3_qhas(r, "uploadId"))
			s3_op_upload_part(r);
		else if (src)
			s3_op_copy_object(r, src);
		else
			s3_op_put_object(r);
		return;
	case EVHTTP_REQ_GET:
		if (s3_qhas(r, "uploadId"))
			s3_op_list_parts(r);
		else
			s3_op_get_object(r, false);
		return;
	case EVHTTP_REQ_HEAD:
		s3_op_get_object(r, true);
		return;
	case EVHTTP_REQ_DELETE:
		if (s3_qhas(r, "uploadId"))
			s3_op_abort_upload(r);
		else
			s3_op_delete_object(r);
		return;
	case EVHTTP_REQ_POST:
		if (s3_qhas(r, "uploads"))
			s3_op_create_upload(r);
		else if (s3_qhas(r, "uploadId"))
			s3_op_complete_upload(r);
		else
			s3_not_implemented(r, "This object POST operation");
		return;
	default:
		break;
	}
	method_not_allowed(r);
}

static void dispatch(struct s3_req *r)
{
	if (!r->bucket.len) {
		if (r->method == EVHTTP_REQ_GET)
			s3_op_list_buckets(r);
		else
			method_not_allowed(r);
		return;
	}
	if (!s3_bucket_name_valid(r->bucket) && !(r->method == EVHTTP_REQ_PUT && !r->has_key)) {
		/* S3 answers unknown invalid names as missing buckets */
		s3_no_such_bucket(r);
		return;
	}
	if (r->has_key)
		route_object(r);
	else
		route_bucket(r);
}

/* ---- requests ---- */

int s3_req_init(struct s3_req *r, struct s3_server *srv, struct evhttp_request *req)
{
	unsigned char rnd[8];

	memset(r, 0, sizeof(*r));
	r->srv = srv;
	r->req = req;
	r->body = "";
	buf_init(&r->key, S3_KEY_BUF_CAP);
	buf_init(&r->resource, S3_RESOURCE_CAP);
	if (random_bytes(rnd, sizeof(rnd)))
		memset(rnd, 0, sizeof(rnd));
	hex_lower(r->request_id, rnd, sizeof(rnd));
	for (char *p = r->request_id; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	if (!req)
		return 0;
	r->method = evhttp_request_get_command(req);
	r->in = evhttp_request_get_input_headers(req);
	r->out = evbuffer_new();
	return r->out ? 0 : ERR_NOMEM;
}

void s3_req_release(struct s3_req *r)
{
	for (size_t i = 0; i < r->n_query; i++) {
		free(r->query[i].name);
		free(r->query[i].value);
	}
	r->n_query = 0;
	buf_release(&r->key);
	buf_release(&r->resource);
	if (r->out)
		evbuffer_free(r->out);
	r->out = NULL;
}

/* Point r->body at the whole request body, made contiguous. 0 or ERR_NOMEM. */
static int read_body(struct s3_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);

	r->body_len = evbuffer_get_length(in);
	if (!r->body_len)
		return 0;
	r->body = (const char *)evbuffer_pullup(in, -1);
	return r->body ? 0 : ERR_NOMEM;
}

void s3_server_handle(struct s3_server *srv, struct evhttp_request *req)
{
	struct s3_req r;
	struct str path, query;
	long hash;

	if (s3_req_init(&r, srv, req)) {
		evhttp_send_error(req, 500, NULL);
		goto out;
	}
	if (read_body(&r)) {
		s3_internal_error(&r, ERR_NOMEM);
		goto out;
	}
	query = str_split(str_from(evhttp_request_get_uri(req)), '?', &path, NULL);
	hash = str_index(query, '#');
	if (hash >= 0)
		query.len = (size_t)hash;
	if (s3_parse_query(&r, query) || s3_parse_target(&r, path)) {
		s3_reply_error(&r, 400, "InvalidURI", "Couldn't parse the specified URI.");
		goto out;
	}
	if (!s3_authenticate(&r, path, query))
		goto out;
	dispatch(&r);
	if (!r.replied)
		s3_internal_error(&r, ERR_INVAL);
out:
	s3_req_release(&r);
}

/* ---- the server ---- */

int s3_server_new(const char *root, const char *access_key_id, const char *secret,
		  struct s3_server **out)
{
	struct s3_server *srv;
	int err;

	if (!root || !access_key_id || !secret || !out)
		return ERR_INVAL;
	*out = NULL;
	if (!(srv = calloc(1, sizeof(*srv))))
		return ERR_NOMEM;
	srv->access_key_id = strdup(access_key_id);
	srv->secret = strdup(secret);
	snprintf(srv->region, sizeof(srv->region), "%s", "us-east-1");
	err = srv->access_key_id && srv->secret ? s3_store_open(root, &srv->store) : ERR_NOMEM;
	if (err) {
		s3_server_free(srv);
		return err;
	}
	*out = srv;
	return 0;
}

void s3_server_on_created(struct s3_server *srv, s3_created_fn fn, void *ctx)
{
	if (!srv)
		return;
	srv->on_created = fn;
	srv->on_created_ctx = ctx;
}

void s3_notify_created(struct s3_req *r, struct s3_bucket *bk, const struct s3_object *o,
		       const char *event_name)
{
	char seq[17];
	struct s3_created ev = {
		.event_name = event_name,
		.bucket = s3_bucket_name(bk),
		.key = o->key,
		.key_len = o->key_len,
		.size = o->size,
		.etag = o->etag,
		.sequencer = seq,
		.request_id = r->request_id,
		.time_ms = o->last_modified_ms,
	};

	if (!r->srv->on_created)
		return;
	s3_notify_sequencer(seq);
	r->srv->on_created(r->srv->on_created_ctx, &ev);
}

int s3_server_set_region(struct s3_server *srv, const char *region)
{
	if (!srv || !region || !*region || strlen(region) >= sizeof(srv->region))
		return ERR_INVAL;
	memcpy(srv->region, region, strlen(region) + 1);
	return 0;
}

void s3_server_free(struct s3_server *srv)
{
	if (!srv)
		return;
	s3_store_close(srv->store);
	free(srv->access_key_id);
	free(srv->secret);
	free(srv);
}

void s3_server_set_fsync(struct s3_server *srv, bool on)
{
	if (srv)
		s3_store_set_fsync(srv->store, on);
}

struct s3_store *s3_server_store(struct s3_server *srv)
{
	return srv ? srv->store : NULL;
}

int s3_server_create_bucket(struct s3_server *srv, const char *name)
{
	int err;

	if (!srv || !name)
		return ERR_INVAL;
	err = s3_store_create_bucket(srv->store, str_from(name));
	return err == ERR_EXISTS ? 0 : err;
}
