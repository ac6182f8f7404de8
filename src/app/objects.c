/*
 * The objects function (see objects.h for the API it implements). The
 * handlers here only decide: they read the request through lambda/apigw.h,
 * call the store through struct objects_store, and answer through
 * app/serve.h, which also routes, renders and logs. Nothing here knows S3,
 * so tests drive every path with an in-memory store.
 *
 * A user's mistake is a 4xx written into the response and a return of 0;
 * only failures of ours (out of memory) travel back as error codes, which the
 * pipeline turns into a 500.
 */
#include "core/common.h"

#include "app/health.h"
#include "app/names.h"
#include "app/objects.h"
#include "app/serve.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "http/query.h"
#include "lambda/metrics.h"

/* The longest Content-Type we store (S3 would take more; nobody needs it). */
#define OBJECTS_CONTENT_TYPE_MAX 255
/* Content types given to objects whose writer named none. */
#define OBJECTS_TYPE_TEXT   "text/plain; charset=utf-8"
#define OBJECTS_TYPE_BINARY "application/octet-stream"

struct objects_state {
	char *bucket;
	struct objects_store store;
};

enum { R_HEALTH, R_LIST, R_CREATE, R_GET, R_PUT, R_DELETE };

static const struct route objects_routes[] = {
	{"GET", "/health", R_HEALTH},		  /* health_respond() */
	{"GET", "/objects", R_LIST},		  /* ?prefix=&limit=&cursor= */
	{"POST", "/objects", R_CREATE},		  /* JSON description */
	{"GET", "/objects/{name+}", R_GET},	  /* and HEAD */
	{"PUT", "/objects/{name+}", R_PUT},	  /* raw body */
	{"DELETE", "/objects/{name+}", R_DELETE}, /* 204 even when absent */
};

/* Headers whose values the echoed event hides, compared case-insensitively. */
static const char *const secret_headers[] = {
	"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Amz-Security-Token",
};

/*
 * Query parameters that carry a presigned request's credentials (SigV4's
 * query form), hidden like the headers above; compared case-insensitively
 * after percent-decoding the name, so that an encoded name does not slip by.
 */
static const char *const secret_params[] = {
	"X-Amz-Signature",
	"X-Amz-Credential",
	"X-Amz-Security-Token",
};

/* The longest raw query we rewrite: API Gateway caps the request line at 10 KB. */
#define OBJECTS_QUERY_MAX (64u << 10)

/* ---- The echoed event ---------------------------------------------------------------- */

static bool is_secret_header(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(secret_headers); i++) {
		if (strcasecmp(name, secret_headers[i]) == 0)
			return true;
	}
	return false;
}

static bool is_secret_param(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(secret_params); i++) {
		if (strcasecmp(name, secret_params[i]) == 0)
			return true;
	}
	return false;
}

/* Whether the raw (still encoded) query name `n` decodes to a secret parameter. */
static bool is_secret_raw_param(struct str n)
{
	struct buf name;
	bool secret;

	buf_init(&name, 64); /* longer than any secret name: not one of them */
	secret = !uri_decode(&name, n.ptr, n.len, true) && is_secret_param(name.ptr);
	buf_release(&name);
	return secret;
}

/* "[redacted]" for a value, or an array of as many "[redacted]"; null stays null. */
static json_t *redact_value(const json_t *v)
{
	if (json_is_null(v))
		return json_null();
	if (!json_is_array(v))
		return json_string("[redacted]");
	json_t *a = json_array();
	for (size_t i = 0; a && i < json_array_size(v); i++) {
		json_t *item = json_is_null(json_array_get(v, i)) ? json_null()
								  : json_string("[redacted]");
		if (json_array_append_new(a, item)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Replace `event[member]`, a header or query map, by a copy with the secret values redacted. */
static int redact_map(json_t *event, const char *member, bool (*secret)(const char *))
{
	json_t *h = json_object_get(event, member);
	json_t *copy;

	if (!json_is_object(h))
		return 0;
	copy = json_copy(h);
	if (!copy)
		return ERR_NOMEM;
	for (void *it = json_object_iter(copy); it; it = json_object_iter_next(copy, it)) {
		if (!secret(json_object_iter_key(it)))
			continue;
		if (json_object_iter_set_new(copy, it, redact_value(json_object_iter_value(it)))) {
			json_decref(copy);
			return ERR_NOMEM;
		}
	}
	return json_object_set_new(event, member, copy) ? ERR_NOMEM : 0;
}

/* 2.0's rawQueryString, with the value of each secret parameter replaced, the rest as it was. */
static int redact_raw_query(json_t *event)
{
	json_t *raw = json_object_get(event, "rawQueryString");
	struct str rest, name, value;
	const char *done;
	struct buf out;
	int err;

	if (!json_is_string(raw))
		return 0;
	rest = str_make(json_string_value(raw), json_string_length(raw));
	done = rest.ptr;
	buf_init(&out, OBJECTS_QUERY_MAX);
	while (query_next(&rest, &name, &value)) {
		if (!value.ptr || !is_secret_raw_param(name))
			continue;
		buf_put(&out, done, (size_t)(value.ptr - done));
		buf_puts(&out, "%5Bredacted%5D");
		done = value.ptr + value.len;
	}
	buf_put(&out, done, (size_t)(json_string_value(raw) + json_string_length(raw) - done));
	err = buf_error(&out);
	if (!err && json_object_set_new(event, "rawQueryString", json_stringn(out.ptr, out.len)))
		err = ERR_NOMEM;
	buf_release(&out);
	return err;
}

/* 1.0 requestContext.identity.apiKey holds the API key itself when the method requires one. */
static int redact_api_key(json_t *event)
{
	json_t *rc = json_object_get(event, "requestContext");
	json_t *id = json_object_get(rc, "identity");
	json_t *key = json_object_get(id, "apiKey");
	json_t *rc2, *id2;

	if (!json_is_string(key) || json_string_length(key) == 0)
		return 0;
	rc2 = json_copy(rc);
	id2 = json_copy(id);
	if (!rc2 || !id2 || json_object_set_new(id2, "apiKey", json_string("[redacted]")) ||
	    json_object_set_new(rc2, "identity", id2)) {
		json_decref(rc2);
		return ERR_NOMEM;
	}
	return json_object_set_new(event, "requestContext", rc2) ? ERR_NOMEM : 0;
}

static int omit_large_body(json_t *event)
{
	json_t *body = json_object_get(event, "body");
	char note[64];

	if (!json_is_string(body) || json_string_length(body) <= OBJECTS_ECHO_BODY_MAX)
		return 0;
	snprintf(note, sizeof(note), "[omitted: %zu bytes]", json_string_length(body));
	return json_object_set_new(event, "body", json_string(note)) ? ERR_NOMEM : 0;
}

json_t *objects_redact_event(json_t *event)
{
	json_t *copy;
	json_t *cookies;

	if (!json_is_object(event))
		return NULL;
	copy = json_copy(event);
	if (!copy)
		return NULL;
	cookies = json_object_get(copy, "cookies");
	if ((cookies && !json_is_null(cookies) &&
	     json_object_set_new(copy, "cookies", redact_value(cookies))) ||
	    redact_map(copy, "headers", is_secret_header) ||
	    redact_map(copy, "multiValueHeaders", is_secret_header) ||
	    redact_map(copy, "queryStringParameters", is_secret_param) ||
	    redact_map(copy, "multiValueQueryStringParameters", is_secret_param) ||
	    redact_raw_query(copy) || redact_api_key(copy) || omit_large_body(copy)) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}

/* ---- Helpers ------------------------------------------------------------------------- */

/* The entity tag without its quotes (and without a weak "W/" prefix), as a JSON string. */
static json_t *json_etag(const char *etag)
{
	size_t len = strlen(etag);
	json_t *v;

	if (len >= 2 && strncasecmp(etag, "W/", 2) == 0)
		etag += 2, len -= 2;
	if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"')
		etag++, len -= 2;
	v = json_stringn(etag, len);
	return v ? v : json_string("");
}

/* RFC 3339 with milliseconds, or null when unknown. */
static json_t *json_time(int64_t ms)
{
	char t[32];

	if (ms <= 0)
		return json_null();
	time_rfc3339(t, ms, 1);
	return json_string(t);
}

/* Translate a store failure into the response; `object_op` says a 404 means "no such object". */
static int store_failure(struct serve_call *call, int err, bool object_op)
{
	switch (err) {
	case ERR_NOTFOUND:
		if (object_op)
			return serve_error(call, 404, "NotFound", "no object has this name");
		break;
	case ERR_PRECONDITION:
		return serve_error(call, 412, "PreconditionFailed",
				   "an object with this name already exists");
	case ERR_INVAL:
		return serve_error(call, 400, "InvalidCursor",
				   "the cursor is not one this API returned");
	case ERR_TOOLARGE:
		return serve_error(call, 500, "ObjectTooLarge",
				   "the object is larger than this API can return (5 MiB)");
	default:
		break;
	}
	return serve_store_failure(call, err, OBJECTS_RETRY_AFTER_S);
}

/*
 * The object name of a /objects/{name+} request into `name` (capped at
 * NAME_MAX_BYTES): API Gateway's decoded pathParameters.name (or .key, for a
 * template route "/objects/{key+}") when the event has it, else the router's
 * slice percent-decoded (a catch-all "/{proxy+}" route, or no template). Returns 0, ERR_INVAL with
 * `*why` set for a name to refuse with 400, or ERR_NOMEM.
 */
static int object_name(struct serve_call *call, struct buf *name, const char **why)
{
	/* Every byte of the value, a decoded %00 included: the rules below refuse it. */
	struct str given = apigw_path_param_str(&call->req, "name");
	int err;

	if (!given.ptr)
		given = apigw_path_param_str(&call->req, "key");

	if (given.ptr) {
		err = buf_add(name, given.ptr, given.len);
	} else {
		struct str raw = route_param(&call->match, "name");
		err = uri_decode(name, raw.ptr, raw.len, false);
	}
	if (err == ERR_PARSE) {
		*why = "name is not validly percent-encoded";
		return ERR_INVAL;
	}
	if (err == ERR_TOOLARGE) {
		*why = "name is longer than 1024 bytes";
		return ERR_INVAL;
	}
	if (err)
		return err;
	return name_validate(name->ptr, name->len, why);
}

/* A Content-Type fit to store: 1 to OBJECTS_CONTENT_TYPE_MAX printable ASCII bytes. */
static bool content_type_ok(const char *ct, size_t len)
{
	if (len == 0 || len > OBJECTS_CONTENT_TYPE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (ct[i] < 0x20 || ct[i] > 0x7e)
			return false;
	}
	return true;
}

/* If-None-Match: 1 for "*", 0 when absent, -1 for anything else (not supported). */
static int if_none_match(const struct serve_call *call)
{
	const char *v = apigw_header(&call->req, "If-None-Match");

	if (!v)
		return 0;
	return str_eq_cstr(str_trim(str_from(v)), "*") ? 1 : -1;
}

/* ---- Writes -------------------------------------------------------------------------- */

/* The 201/200 answer of a write: Location, ETag, and {"bucket","key","size","etag","event"}. */
static int answer_stored(struct objects_state *st, struct serve_call *call, const char *name,
			 size_t size, const struct objects_meta *meta, int status)
{
	struct buf loc;
	int err;

	buf_init(&loc, 16 + 3 * NAME_MAX_BYTES);
	err = buf_adds(&loc, "/objects/");
	if (!err)
		err = uri_encode(&loc, name, strlen(name), true);
	if (!err)
		err = apigw_response_add_header(&call->resp, "Location", loc.ptr);
	buf_release(&loc);
	if (!err && meta->etag[0])
		err = apigw_response_add_header(&call->resp, "ETag", meta->etag);
	if (err)
		return err;
	return serve_json(call, status,
			  json_pack("{s:s,s:s,s:I,s:o,s:o}", "bucket", st->bucket, "key", name,
				    "size", (json_int_t)size, "etag", json_etag(meta->etag),
				    "event", objects_redact_event(call->req.event)));
}

/*
 * Store and answer, for POST (`is_put` false: 201 whether new or replaced)
 * and PUT (201 when new, 200 when replaced). PUT first asks the store to
 * create only: its refusal tells a replacement from a creation without an
 * extra HEAD, and only then is the object overwritten.
 */
static int put_and_answer(struct objects_state *st, struct serve_call *call, const char *name,
			  const void *data, size_t len, const char *content_type, bool is_put)
{
	struct objects_meta meta;
	int64_t deadline = serve_deadline_ms(call, OBJECTS_DEADLINE_MARGIN_MS);
	int cond = if_none_match(call);
	int status = 201, err;

	if (cond < 0)
		return serve_error(call, 400, "InvalidRequest",
				   "If-None-Match supports only the value \"*\"");
	memset(&meta, 0, sizeof(meta));
	err = st->store.put(st->store.ctx, st->bucket, name, data, len, content_type,
			    cond > 0 || is_put, deadline, &meta);
	if (err == ERR_PRECONDITION && cond == 0) {
		status = 200;
		memset(&meta, 0, sizeof(meta));
		err = st->store.put(st->store.ctx, st->bucket, name, data, len, content_type, false,
				    deadline, &meta);
	}
	if (err)
		return store_failure(call, err, false);
	metrics_count("ObjectsStored"); /* EMF, lambda/metrics.h */
	return answer_stored(st, call, name, len, &meta, status);
}

/* PUT /objects/{name+}: the raw body, stored with the request's Content-Type. */
static int handle_put(struct objects_state *st, struct serve_call *call)
{
	struct buf name;
	const char *why = NULL;
	const char *ct = apigw_header(&call->req, "Content-Type");
	int err;

	buf_init(&name, NAME_MAX_BYTES);
	err = object_name(call, &name, &why);
	if (err == ERR_INVAL)
		err = serve_error(call, 400, "InvalidName", why);
	else if (!err && call->req.body_len > OBJECTS_CONTENT_MAX)
		err = serve_error(call, 413, "PayloadTooLarge", "the content is larger than 5 MiB");
	else if (!err && ct && !content_type_ok(ct, strlen(ct)))
		err = serve_error(call, 400, "InvalidContentType",
				  "Content-Type must be 1 to 255 printable ASCII characters");
	else if (!err)
		err = put_and_answer(st, call, name.ptr, call->req.body, call->req.body_len,
				     ct ? ct : OBJECTS_TYPE_BINARY, true);
	buf_release(&name);
	return err;
}

/* The members of a POST /objects body, borrowed from its JSON document. */
struct create_request {
	json_t *name;
	json_t *content;
	json_t *content_type; /* NULL when absent or null */
	bool base64;
};

/* Read and check the members of a POST body; NULL, or the reason to answer 400 with. */
static const char *read_create_request(json_t *doc, struct create_request *cr)
{
	const char *key;
	json_t *v;

	memset(cr, 0, sizeof(*cr));
	if (!json_is_object(doc))
		return "the body must be a JSON object";
	json_object_foreach(doc, key, v)
	{
		if (strcmp(key, "name") == 0) {
			cr->name = v;
		} else if (strcmp(key, "content") == 0) {
			cr->content = v;
		} else if (strcmp(key, "encoding") == 0) {
			const char *enc = json_string_value(v);
			if (!json_is_null(v) &&
			    (!enc || (strcmp(enc, "utf-8") != 0 && strcmp(enc, "base64") != 0)))
				return "\"encoding\" must be \"utf-8\" or \"base64\"";
			cr->base64 = enc && strcmp(enc, "base64") == 0;
		} else if (strcmp(key, "contentType") == 0) {
			if (!json_is_null(v) && !json_is_string(v))
				return "\"contentType\" must be a string";
			cr->content_type = json_is_string(v) ? v : NULL;
		} else {
			return "the body has an unknown member (expected name, content, encoding, "
			       "contentType)";
		}
	}
	if (!cr->name)
		return "\"name\" is required";
	if (!json_is_string(cr->name))
		return "\"name\" must be a string";
	if (!cr->content)
		return "\"content\" is required";
	if (!json_is_string(cr->content))
		return "\"content\" must be a string";
	if (cr->content_type && !content_type_ok(json_string_value(cr->content_type),
						 json_string_length(cr->content_type)))
		return "\"contentType\" must be 1 to 255 printable ASCII characters";
	return NULL;
}

/* Decode the content of a checked POST body into `out` (capped at OBJECTS_CONTENT_MAX). */
static int decode_content(const struct create_request *cr, struct buf *out)
{
	const char *s = json_string_value(cr->content);
	size_t len = json_string_length(cr->content);

	return cr->base64 ? b64_decode(out, s, len) : buf_add(out, s, len);
}

/* POST /objects: a JSON description of the object. */
static int handle_create(struct objects_state *st, struct serve_call *call)
{
	static const struct serve_body_rules rules = {.what = "POST /objects"};
	struct create_request cr;
	struct buf content;
	const char *reason;
	json_t *doc;
	int err;

	err = serve_json_body(call, &rules, &doc);
	if (err || !doc)
		return err;
	buf_init(&content, OBJECTS_CONTENT_MAX);
	reason = read_create_request(doc, &cr);
	if (reason) {
		err = serve_error(call, 400, "InvalidRequest", reason);
	} else if (name_validate(json_string_value(cr.name), json_string_length(cr.name),
				 &reason)) {
		err = serve_error(call, 400, "InvalidName", reason);
	} else {
		const char *ct = cr.content_type ? json_string_value(cr.content_type)
				 : cr.base64	 ? OBJECTS_TYPE_BINARY
						 : OBJECTS_TYPE_TEXT;
		err = decode_content(&cr, &content);
		if (err == ERR_TOOLARGE)
			err = serve_error(call, 413, "PayloadTooLarge",
					  "the content is larger than 5 MiB");
		else if (err == ERR_PARSE)
			err = serve_error(call, 400, "InvalidRequest",
					  "\"content\" is not valid base64");
		else if (!err)
			err = put_and_answer(st, call, json_string_value(cr.name), content.ptr,
					     content.len, ct, false);
	}
	buf_release(&content);
	json_decref(doc);
	return err;
}

/* ---- Reads --------------------------------------------------------------------------- */

/* GET and HEAD /objects/{name+}: the content with its type, entity tag and date. */
static int handle_get(struct objects_state *st, struct serve_call *call)
{
	struct objects_meta meta;
	struct buf name, body;
	const char *why = NULL;
	bool head = strcmp(call->req.method, "HEAD") == 0;
	int64_t deadline = serve_deadline_ms(call, OBJECTS_DEADLINE_MARGIN_MS);
	int err;

	buf_init(&name, NAME_MAX_BYTES);
	buf_init(&body, OBJECTS_CONTENT_MAX);
	memset(&meta, 0, sizeof(meta));
	err = object_name(call, &name, &why);
	if (err == ERR_INVAL) {
		err = serve_error(call, 400, "InvalidName", why);
		goto done;
	}
	if (!err)
		err = head ? st->store.head(st->store.ctx, st->bucket, name.ptr, deadline, &meta)
			   : st->store.get(st->store.ctx, st->bucket, name.ptr, &body, deadline,
					   &meta);
	if (err) {
		err = err == ERR_NOMEM ? err : store_failure(call, err, true);
		goto done;
	}
	err = apigw_response_add_header(&call->resp, "Content-Type",
					meta.content_type[0] ? meta.content_type
							     : OBJECTS_TYPE_BINARY);
	if (!err && meta.etag[0])
		err = apigw_response_add_header(&call->resp, "ETag", meta.etag);
	if (!err && meta.last_modified_ms > 0) {
		char date[32];
		time_http(date, (time_t)(meta.last_modified_ms / 1000));
		err = apigw_response_add_header(&call->resp, "Last-Modified", date);
	}
	if (!err) {
		/* Hand the bytes over instead of copying up to 5 MiB. */
		buf_release(&call->resp.body);
		call->resp.body = body;
		buf_init(&body, 0);
		call->resp.status = 200;
	}
done:
	buf_release(&body);
	buf_release(&name);
	return err;
}

/* DELETE /objects/{name+}: 204 whether or not the object existed. */
static int handle_delete(struct objects_state *st, struct serve_call *call)
{
	struct buf name;
	const char *why = NULL;
	int err;

	buf_init(&name, NAME_MAX_BYTES);
	err = object_name(call, &name, &why);
	if (err == ERR_INVAL) {
		err = serve_error(call, 400, "InvalidName", why);
	} else if (!err) {
		err = st->store.delete(st->store.ctx, st->bucket, name.ptr,
				       serve_deadline_ms(call, OBJECTS_DEADLINE_MARGIN_MS));
		if (err)
			err = store_failure(call, err, false);
		else
			call->resp.status = 204;
	}
	buf_release(&name);
	return err;
}

/* A prefix is acceptable when some valid name can start with it (or it is empty). */
static bool prefix_ok(const char *prefix)
{
	char probe[NAME_MAX_BYTES + 1];
	size_t len = strlen(prefix);

	if (len == 0)
		return true;
	if (len >= NAME_MAX_BYTES)
		return len == NAME_MAX_BYTES && name_validate(prefix, len, NULL) == 0;
	memcpy(probe, prefix, len);
	probe[len] = 'x';
	return name_validate(probe, len + 1, NULL) == 0;
}

/* The query of GET /objects; NULL, or the reason to answer 400 with. */
static const char *read_list_query(struct serve_call *call, const char **prefix,
				   const char **cursor, int *limit)
{
	const char *l = apigw_query(&call->req, "limit");
	long long n = OBJECTS_LIST_DEFAULT;

	*prefix = apigw_query(&call->req, "prefix");
	*cursor = apigw_query(&call->req, "cursor");
	if (!*prefix)
		*prefix = "";
	if (*cursor && !**cursor)
		*cursor = NULL;
	/* A value cut at a NUL would list something else than asked: refuse it. */
	if (apigw_query_str(&call->req, "prefix").len != strlen(*prefix) ||
	    (*cursor && apigw_query_str(&call->req, "cursor").len != strlen(*cursor)))
		return "prefix and cursor cannot hold a NUL byte";
	if (!prefix_ok(*prefix))
		return "prefix cannot start any valid name";
	if (l && str_to_i64(str_from(l), 1, OBJECTS_LIST_MAX, &n))
		return "limit must be an integer from 1 to 1000";
	if (*cursor && strlen(*cursor) > OBJECTS_CURSOR_MAX)
		return "cursor is too long";
	*limit = (int)n;
	return NULL;
}

static json_t *list_body(const struct objects_page *page)
{
	json_t *items = json_array();

	for (size_t i = 0; items && i < page->count; i++) {
		const struct objects_item *it = &page->items[i];
		json_t *key = jsonx_strn(str_from(it->key));
		if (!key)
			continue; /* not UTF-8: no JSON can carry it (S3 never lists such keys) */
		if (json_array_append_new(items, json_pack("{s:o,s:I,s:o,s:o}", "key", key, "size",
							   (json_int_t)it->size, "etag",
							   json_etag(it->etag), "lastModified",
							   json_time(it->last_modified_ms)))) {
			json_decref(items);
			return NULL;
		}
	}
	return json_pack("{s:o,s:s?}", "items", items, "cursor", page->next_cursor);
}

/* GET /objects?prefix=&limit=&cursor=: one page of names. */
static int handle_list(struct objects_state *st, struct serve_call *call)
{
	struct objects_page page;
	const char *prefix, *cursor, *why;
	int limit = OBJECTS_LIST_DEFAULT, err;

	why = read_list_query(call, &prefix, &cursor, &limit);
	if (why)
		return serve_error(call, 400, "InvalidQuery", why);
	err = st->store.list(st->store.ctx, st->bucket, prefix, cursor, limit,
			     serve_deadline_ms(call, OBJECTS_DEADLINE_MARGIN_MS), &page);
	if (err)
		err = store_failure(call, err, false);
	else
		err = serve_json(call, 200, list_body(&page));
	objects_page_release(&page);
	return err;
}

/* ---- The function -------------------------------------------------------------------- */

void objects_page_release(struct objects_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++)
		free(p->items[i].key);
	free(p->items);
	free(p->next_cursor);
	memset(p, 0, sizeof(*p));
}

static int objects_dispatch(void *state, struct serve_call *call)
{
	struct objects_state *st = state;
	int id = call->match.route->id;

	if (id == R_HEALTH)
		return health_respond(call);
	if (!st)
		return ERR_CONFIG; /* handle() without a successful init() */
	switch (id) {
	case R_LIST:
		return handle_list(st, call);
	case R_CREATE:
		return handle_create(st, call);
	case R_GET:
		return handle_get(st, call);
	case R_PUT:
		return handle_put(st, call);
	case R_DELETE:
		return handle_delete(st, call);
	default:
		return ERR_INVAL;
	}
}

static int objects_handle(void *state, const char *event, size_t event_len,
			  const struct lambda_context *ctx, struct buf *response,
			  struct lambda_error *err)
{
	const struct serve_handler h = {objects_dispatch, state};

	return serve_event(objects_routes, ARRAY_SIZE(objects_routes), &h, event, event_len, ctx,
			   response, err);
}

int objects_state_new(const char *bucket, const struct objects_store *store, void **state)
{
	struct objects_state *st;

	if (!bucket || !bucket[0] || !store)
		return ERR_INVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	st->bucket = strdup(bucket);
	if (!st->bucket) {
		free(st);
		return ERR_NOMEM;
	}
	st->store = *store;
	*state = st;
	return 0;
}

void objects_state_free(void *state)
{
	struct objects_state *st = state;

	if (!st)
		return;
	if (st->store.release)
		st->store.release(st->store.ctx);
	free(st->bucket);
	free(st);
}

static int objects_init(void **state, struct lambda_error *lerr)
{
	const char *bucket = getenv("OBJECTS_BUCKET");
	struct objects_store store;
	int err;

	if (!bucket || !bucket[0])
		return lambda_fail(lerr, "Runtime.ConfigError", "OBJECTS_BUCKET is not set");
	err = objects_store_s3_init(&store);
	if (err)
		return lambda_fail(lerr, "Runtime.ConfigError", "cannot create the S3 client: %s",
				   err_str(err));
	err = objects_state_new(bucket, &store, state);
	if (err) {
		store.release(store.ctx);
		return lambda_fail(lerr, "Runtime.InitError", "%s", err_str(err));
	}
	return 0;
}

const struct lambda_function objects_function = {
	.name = "objects",
	.init = objects_init,
	.handle = objects_handle,
	.fini = objects_state_free,
};
