/*
 * The preferences function (see preferences.h). The handlers decide; the
 * statements are preferences_store.c's, the rules of a document
 * preferences_doc.c's, the vendor list vendor_list_cache.c's. The function's
 * state (one database connection, one vendor list, one parsed document)
 * lives as long as the execution environment.
 */
#include "core/common.h"

#include "app/preferences.h"
#include "app/preferences_doc.h"
#include "app/preferences_store.h"
#include "app/serve.h"
#include "app/vendor_list_cache.h"
#include "aws/request.h"
#include "aws/sigv4.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "lambda/metrics.h"

struct prefs_state {
	struct db db;
	struct vendor_cache vendors;
	struct aws_config aws;
	bool aws_ok;
	char *bucket;
	struct prefs_doc doc;
};

enum {
	R_IMPORT_CREATE,
	R_IMPORT_GET,
	R_PUT,
	R_GET,
	R_DELETE,
	R_HISTORY,
	R_VENDOR,
};

/* Literal routes first: "imports" is not a user. */
static const struct route prefs_routes[] = {
	{"POST", "/preferences/imports", R_IMPORT_CREATE},
	{"GET", "/preferences/imports/{importId}", R_IMPORT_GET},
	{"PUT", "/preferences/{userId}", R_PUT},
	{"GET", "/preferences/{userId}", R_GET},
	{"DELETE", "/preferences/{userId}", R_DELETE},
	{"GET", "/preferences/{userId}/history", R_HISTORY},
	{"GET", "/vendors/{vendorId}", R_VENDOR},
};

/* ---- Answers ----------------------------------------------------------------------------- */

/* A database failure: unavailable (503, Retry-After) or refused (500). */
static int answer_db_failure(struct serve_call *call, int err)
{
	if (err == ERR_NOMEM)
		return err;
	if (err == ERR_REMOTE || err == ERR_INVAL)
		return serve_error(call, 500, "InternalError", "the database refused the request");
	err = apigw_response_add_header(&call->resp, "Retry-After", PREFS_RETRY_AFTER_S);
	return err ? err
		   : serve_error(call, 503, "DatabaseUnavailable",
				 "the database is not available; retry later");
}

static int answer_record(struct serve_call *call, int status, json_t *record, long long version)
{
	char etag[32];
	int err;

	snprintf(etag, sizeof(etag), "\"%lld\"", version);
	err = apigw_response_add_header(&call->resp, "ETag", etag);
	if (err) {
		json_decref(record);
		return err;
	}
	return serve_json(call, status, record);
}

/* The userId of the path, percent-decoded and checked; false after answering 400. */
static bool path_user(struct serve_call *call, char out[PREFS_USER_ID_MAX + 1], int *err)
{
	struct str raw = route_param(&call->match, "userId");
	struct buf b;
	bool ok;

	buf_init(&b, PREFS_USER_ID_MAX);
	ok = raw.len && !uri_decode(&b, raw.ptr, raw.len, false) &&
	     prefs_user_id_valid(b.ptr, b.len);
	if (ok)
		memcpy(out, b.ptr, b.len + 1);
	buf_release(&b);
	if (!ok)
		*err = serve_error(
			call, 400, "InvalidUserId",
			"userId must be 1 to 128 characters of A-Z a-z 0-9 and . _ : @ -");
	return ok;
}

/* Check the media type and size of the body; false after answering 415 or 413. */
static bool json_body(struct serve_call *call, const char *what, int *err)
{
	const char *ct = apigw_header(&call->req, "Content-Type");
	struct str type;
	char msg[160];

	str_split(str_from(ct), ';', &type, NULL);
	if (!ct || !str_ieq_cstr(str_trim(type), "application/json")) {
		snprintf(msg, sizeof(msg), "%s takes a body of type application/json", what);
		*err = serve_error(call, 415, "UnsupportedMediaType", msg);
		return false;
	}
	if (call->req.body_len > PREFS_BODY_MAX) {
		*err = serve_error(call, 413, "PayloadTooLarge", "the body is larger than 64 KiB");
		return false;
	}
	return true;
}

/* ---- PUT --------------------------------------------------------------------------------- */

/*
 * If-Match: -1 when absent, 0 for "*", the version for "<digits>"; -2 for
 * anything else (no version can match it).
 */
static long long if_match(const struct serve_call *call)
{
	const char *v = apigw_header(&call->req, "If-Match");
	struct str s;
	long long n;

	if (!v)
		return -1;
	s = str_trim(str_from(v));
	if (str_eq_cstr(s, "*"))
		return 0;
	if (s.len >= 2 && s.ptr[0] == '"' && s.ptr[s.len - 1] == '"' &&
	    !str_to_i64(str_make(s.ptr + 1, s.len - 2), 1, INT64_MAX, &n))
		return n;
	return -2;
}

/* The vendor list, or an answer of 503 (`*answered`). */
static const struct vendor_list *vendor_list(struct prefs_state *st, struct serve_call *call,
					     int *err, bool *answered)
{
	const struct vendor_list *vl;
	bool stale;

	*answered = false;
	if (vendor_cache_get(&st->vendors, time_now_ms(),
			     serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS), &vl, &stale) == 0)
		return vl;
	*answered = true;
	*err = apigw_response_add_header(&call->resp, "Retry-After", "30");
	if (!*err)
		*err = serve_error(call, 503, "VendorListUnavailable",
				   "the IAB Global Vendor List cannot be fetched and no copy is "
				   "cached, so vendor ids cannot be checked; retry later");
	return NULL;
}

/* 422 naming every id of `doc` the list does not have; false when there is none. */
static bool unknown_ids(struct serve_call *call, const struct vendor_list *vl,
			const struct prefs_doc *doc, int *err)
{
	json_t *up = json_array(), *uv = json_array(), *body;
	struct buf msg;
	int64_t now = time_now_ms();

	buf_init(&msg, 32 << 10);
	for (size_t i = 0; i < doc->npurposes; i++)
		if (!vendor_list_has_purpose(vl, doc->purposes[i].id))
			json_array_append_new(up, json_integer(doc->purposes[i].id));
	for (size_t i = 0; i < doc->nvendors; i++)
		if (!vendor_list_usable(vl, doc->vendors[i].id, now))
			json_array_append_new(uv, json_integer(doc->vendors[i].id));
	if (json_array_size(up) == 0 && json_array_size(uv) == 0) {
		json_decref(up);
		json_decref(uv);
		buf_release(&msg);
		return false;
	}
	buf_puts(&msg, "not in the IAB Global Vendor List:");
	for (size_t i = 0; i < json_array_size(up); i++)
		buf_putf(&msg, "%s%lld", i ? ", " : " purposes ",
			 (long long)json_integer_value(json_array_get(up, i)));
	for (size_t i = 0; i < json_array_size(uv); i++)
		buf_putf(&msg, "%s%lld",
			 i		       ? ", "
			 : json_array_size(up) ? "; vendors "
					       : " vendors ",
			 (long long)json_integer_value(json_array_get(uv, i)));
	body = json_pack("{s:{s:s,s:s,s:o,s:o}}", "error", "code", "UnknownIds", "message",
			 buf_error(&msg) ? "ids not in the IAB Global Vendor List" : msg.ptr,
			 "unknownPurposes", up, "unknownVendors", uv);
	buf_release(&msg);
	*err = serve_json(call, 422, body);
	return true;
}

static int handle_put(struct prefs_state *st, struct serve_call *call)
{
	char user[PREFS_USER_ID_MAX + 1], why[512];
	int64_t deadline = serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS);
	const struct vendor_list *vl;
	struct buf purposes, vendors;
	long long match = if_match(call), version = 0;
	json_t *record = NULL;
	bool answered;
	int err = 0, rc;

	if (!path_user(call, user, &err) || !json_body(call, "PUT /preferences/{userId}", &err))
		return err;
	rc = prefs_parse(call->req.body, call->req.body_len, PREFS_PURPOSES | PREFS_VENDORS,
			 PREFS_PURPOSES | PREFS_VENDORS, &st->doc, why, sizeof(why));
	if (rc)
		return serve_error(call, 400, rc == ERR_PARSE ? "InvalidJson" : "InvalidRequest",
				   why);
	if (match == -2)
		return serve_error(call, 412, "PreconditionFailed",
				   "If-Match must be \"<version>\" or *");
	vl = vendor_list(st, call, &err, &answered);
	if (answered || unknown_ids(call, vl, &st->doc, &err))
		return err;
	buf_init(&purposes, 64 << 10);
	buf_init(&vendors, 64 << 10);
	prefs_put_choices(&purposes, st->doc.purposes, st->doc.npurposes);
	prefs_put_choices(&vendors, st->doc.vendors, st->doc.nvendors);
	err = buf_error(&purposes) ? buf_error(&purposes) : buf_error(&vendors);
	if (!err)
		err = prefs_store_put(&st->db, user, purposes.ptr, vendors.ptr, match, deadline,
				      &record, &version);
	buf_release(&purposes);
	buf_release(&vendors);
	if (err == ERR_PRECONDITION)
		return serve_error(call, 412, "PreconditionFailed",
				   match == 0 ? "there are no preferences for this user yet"
					      : "the version in If-Match is not the current one");
	if (err)
		return answer_db_failure(call, err);
	metrics_count("PreferencesUpdated"); /* EMF, lambda/metrics.h */
	return answer_record(call, 200, record, version);
}

/* ---- GET, DELETE, history ---------------------------------------------------------------- */

static int handle_get(struct prefs_state *st, struct serve_call *call)
{
	char user[PREFS_USER_ID_MAX + 1];
	long long version = 0;
	json_t *record = NULL;
	int err = 0;

	if (!path_user(call, user, &err))
		return err;
	err = prefs_store_get(&st->db, user, serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS),
			      &record, &version);
	if (err == ERR_NOTFOUND)
		return serve_error(call, 404, "NotFound", "there are no preferences for this user");
	if (err)
		return answer_db_failure(call, err);
	return answer_record(call, 200, record, version);
}

static int handle_delete(struct prefs_state *st, struct serve_call *call)
{
	char user[PREFS_USER_ID_MAX + 1];
	bool erased = false;
	int err = 0;

	if (!path_user(call, user, &err))
		return err;
	err = prefs_store_delete(&st->db, user, serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS),
				 &erased);
	if (err)
		return answer_db_failure(call, err);
	if (erased)
		metrics_count("PreferencesErased"); /* EMF, lambda/metrics.h */
	call->resp.status = 204;
	return 0;
}

static int handle_history(struct prefs_state *st, struct serve_call *call)
{
	const char *limit_s = apigw_query(&call->req, "limit");
	const char *cursor_s = apigw_query(&call->req, "cursor");
	char user[PREFS_USER_ID_MAX + 1], next_s[24];
	long long limit = PREFS_HISTORY_DEFAULT, before = 0, next = 0;
	json_t *items = NULL;
	int err = 0;

	if (!path_user(call, user, &err))
		return err;
	if (limit_s && str_to_i64(str_from(limit_s), 1, PREFS_HISTORY_MAX_LIMIT, &limit))
		return serve_error(call, 400, "InvalidLimit",
				   "limit must be an integer from 1 to 100");
	if (cursor_s && (str_to_i64(str_from(cursor_s), 2, INT64_MAX, &before)))
		return serve_error(call, 400, "InvalidCursor",
				   "cursor must be a value an earlier page returned");
	err = prefs_store_history(&st->db, user, before, (int)limit,
				  serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS), &items, &next);
	if (err == ERR_NOTFOUND)
		return serve_error(call, 404, "NotFound", "there are no preferences for this user");
	if (err)
		return answer_db_failure(call, err);
	snprintf(next_s, sizeof(next_s), "%lld", next);
	return serve_json(call, 200,
			  json_pack("{s:o,s:s?}", "items", items, "cursor", next ? next_s : NULL));
}

/* ---- Imports ----------------------------------------------------------------------------- */

/* The presigned PUT URL of `key` in the bucket, valid PREFS_UPLOAD_EXPIRES seconds from `now`. */
static int presign_put(struct prefs_state *st, const char *key, time_t now, struct buf *url)
{
	struct buf base, host;
	struct sigv4_signed sig;
	struct str path;
	int err;

	buf_init(&base, 4096);
	buf_init(&host, 512);
	sigv4_signed_init(&sig);
	err = aws_config_s3_base(&st->aws, st->bucket, &base, &host);
	if (!err && !(err = buf_addch(&base, '/')))
		err = uri_encode(&base, key, strlen(key), true);
	if (!err) {
		struct sigv4_header h = {STR_LIT("Host"), str_make(host.ptr, host.len)};
		struct sigv4_request req = {.method = "PUT", .headers = &h, .n_headers = 1};
		struct sigv4_params p = {
			.access_key_id = st->aws.access_key_id,
			.secret_access_key = st->aws.secret_access_key,
			.session_token = st->aws.session_token,
			.region = st->aws.region,
			.service = "s3",
			.now = now,
			.s3 = true,
			.expires = PREFS_UPLOAD_EXPIRES,
		};
		aws_url_split(base.ptr, &path, NULL);
		req.path = path;
		err = sigv4_presign(&req, &p, &sig);
	}
	if (!err)
		err = buf_addf(url, "%s?%.*s", base.ptr, (int)sig.query.len, sig.query.ptr);
	sigv4_signed_release(&sig);
	buf_release(&base);
	buf_release(&host);
	return err;
}

static int handle_import_create(struct prefs_state *st, struct serve_call *call)
{
	char id[UUID_STR_LEN + 1], key[64], loc[64], expires_s[32];
	time_t now = time(NULL);
	json_t *doc;
	struct buf url;
	int err = 0;

	if (!json_body(call, "POST /preferences/imports", &err))
		return err;
	doc = jsonx_parse(call->req.body, call->req.body_len, NULL, 0);
	if (!json_is_object(doc) || json_object_size(doc) != 1 || !jsonx_str(doc, "format") ||
	    strcmp(jsonx_str(doc, "format"), "ndjson")) {
		const char *k;
		json_t *v;
		char unknown[256] = "";

		if (json_is_object(doc)) {
			json_object_foreach(doc, k, v)
			{
				size_t u = strlen(unknown);

				if (strcmp(k, "format") && u + strlen(k) + 8 < sizeof(unknown))
					snprintf(unknown + u, sizeof(unknown) - u, "%s\"%s\"",
						 u ? ", " : "", k);
			}
		}
		json_decref(doc);
		if (unknown[0]) {
			char msg[320];
			snprintf(msg, sizeof(msg), "unknown members: %s (allowed: \"format\")",
				 unknown);
			return serve_error(call, 400, "InvalidRequest", msg);
		}
		return serve_error(call, 400, "InvalidRequest",
				   "the body must be {\"format\":\"ndjson\"}");
	}
	json_decref(doc);
	if (!st->bucket || !st->aws_ok)
		return serve_error(call, 500, "InternalError", "imports are not configured");
	if ((err = uuid_v4(id)))
		return err;
	snprintf(key, sizeof(key), PREFS_IMPORT_PREFIX "%s" PREFS_IMPORT_SUFFIX, id);
	time_rfc3339(expires_s, ((int64_t)now + PREFS_UPLOAD_EXPIRES) * 1000, 0);
	err = prefs_store_import_create(&st->db, id, key,
					((int64_t)now + PREFS_UPLOAD_EXPIRES) * 1000,
					serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS));
	if (err)
		return answer_db_failure(call, err);
	buf_init(&url, 16 << 10);
	err = presign_put(st, key, now, &url);
	if (!err) {
		snprintf(loc, sizeof(loc), "/preferences/imports/%s", id);
		err = apigw_response_add_header(&call->resp, "Location", loc);
	}
	if (!err)
		err = serve_json(call, 201,
				 json_pack("{s:s,s:s,s:s,s:s}", "importId", id, "key", key,
					   "uploadUrl", url.ptr, "expiresAt", expires_s));
	buf_release(&url);
	return err;
}

static bool import_id_valid(struct str s)
{
	if (s.len == 0 || s.len > 128)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int handle_import_get(struct prefs_state *st, struct serve_call *call)
{
	struct str raw = route_param(&call->match, "importId");
	char id[129];
	json_t *out = NULL;
	int err;

	if (!import_id_valid(raw))
		return serve_error(call, 404, "NotFound", "no import has this id");
	memcpy(id, raw.ptr, raw.len);
	id[raw.len] = '\0';
	err = prefs_store_import_get(&st->db, id, serve_deadline_ms(call, PREFS_DEADLINE_MARGIN_MS),
				     &out);
	if (err == ERR_NOTFOUND)
		return serve_error(call, 404, "NotFound", "no import has this id");
	if (err)
		return answer_db_failure(call, err);
	return serve_json(call, 200, out);
}

/* ---- Vendors ----------------------------------------------------------------------------- */

static json_t *id_array(const uint16_t *ids, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

static int handle_vendor(struct prefs_state *st, struct serve_call *call)
{
	struct str raw = route_param(&call->match, "vendorId");
	const struct vendor_list *vl;
	const struct gvl_vendor *v;
	json_t *body;
	char deleted[32];
	long long id;
	bool answered;
	int err = 0;

	if (raw.len == 0 || raw.ptr[0] == '0' || str_to_i64(raw, 1, PREFS_MAX_ID, &id))
		return serve_error(call, 404, "NotFound", "no vendor has this id");
	vl = vendor_list(st, call, &err, &answered);
	if (answered)
		return err;
	v = vendor_list_find(vl, (uint32_t)id);
	if (!v)
		return serve_error(call, 404, "NotFound", "no vendor has this id");
	body = json_pack("{s:I,s:s,s:o,s:o,s:o}", "id", (json_int_t)v->id, "name", v->name,
			 "purposes", id_array(v->purposes, v->npurposes), "legIntPurposes",
			 id_array(v->leg_int_purposes, v->nleg_int), "features",
			 id_array(v->features, v->nfeatures));
	if (body && v->deleted_ms) {
		time_rfc3339(deleted, v->deleted_ms, 0);
		json_object_set_new(body, "deletedDate", json_string(deleted));
	}
	return serve_json(call, 200, body);
}

/* ---- The function ------------------------------------------------------------------------ */

static int prefs_dispatch(void *state, struct serve_call *call)
{
	struct prefs_state *st = state;

	switch (call->match.route->id) {
	case R_PUT:
		return handle_put(st, call);
	case R_GET:
		return handle_get(st, call);
	case R_DELETE:
		return handle_delete(st, call);
	case R_HISTORY:
		return handle_history(st, call);
	case R_IMPORT_CREATE:
		return handle_import_create(st, call);
	case R_IMPORT_GET:
		return handle_import_get(st, call);
	case R_VENDOR:
		return handle_vendor(st, call);
	default:
		return ERR_INVAL;
	}
}

static int prefs_handle(void *state, const char *event, size_t event_len,
			const struct lambda_context *ctx, struct buf *response,
			struct lambda_error *err)
{
	const struct serve_handler h = {prefs_dispatch, state};

	if (!state)
		return lambda_fail(err, "Runtime.InitError", "the function was not initialised");
	return serve_event(prefs_routes, ARRAY_SIZE(prefs_routes), &h, event, event_len, ctx,
			   response, err);
}

static void prefs_free(void *state)
{
	struct prefs_state *st = state;

	if (!st)
		return;
	db_release(&st->db);
	vendor_cache_release(&st->vendors);
	aws_config_release(&st->aws);
	free(st->bucket);
	free(st);
}

static int prefs_init(void **state, struct lambda_error *lerr)
{
	struct prefs_state *st = calloc(1, sizeof(*st));
	const char *bucket = getenv("IMPORTS_BUCKET");
	char why[256];
	int err;

	if (!st)
		return lambda_fail(lerr, "Runtime.InitError", "out of memory");
	if (db_init(&st->db, why, sizeof(why))) {
		free(st);
		return lambda_fail(lerr, "Runtime.ConfigError", "%s", why);
	}
	if ((err = vendor_cache_init(&st->vendors, NULL))) {
		db_release(&st->db);
		free(st);
		return lambda_fail(lerr, "Runtime.InitError", "vendor list: %s", err_str(err));
	}
	st->aws_ok = aws_config_init(&st->aws) == 0 && aws_config_has_credentials(&st->aws);
	st->bucket = bucket && *bucket ? strdup(bucket) : NULL;
	*state = st;
	return 0;
}

const struct lambda_function preferences_function = {
	.name = "preferences",
	.init = prefs_init,
	.handle = prefs_handle,
	.fini = prefs_free,
};
