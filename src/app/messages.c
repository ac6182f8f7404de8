/*
 * The messages function (see messages.h for the API it implements). As in
 * objects.c, the handlers only decide: they read the request through
 * lambda/apigw.h, call the store through struct messages_store, and answer
 * through app/serve.h. Nothing here knows DynamoDB.
 *
 * A user's mistake is a 4xx written into the response and a return of 0;
 * only failures of ours (out of memory) travel back as error codes.
 */
#include "core/common.h"

#include "app/client_events.h"
#include "app/messages.h"
#include "app/serve.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"

/* Domain separation of the id derivation from the token's. */
#define MESSAGES_ID_SALT "sluice-message-id:"

struct messages_state {
	char *table;
	struct messages_store store;
};

enum { R_CREATE, R_COUNT, R_GET, R_CLIENT_EVENTS };

static const struct route messages_routes[] = {
	{"POST", "/messages", R_CREATE},
	{"GET", "/messages", R_COUNT},
	{"GET", "/messages/{id}", R_GET},
	{"POST", "/client-events", R_CLIENT_EVENTS}, /* the website's health: client_events.h */
};

/* POST /messages bodies: at most 64 KiB of UTF-8 JSON. */
static const struct serve_body_rules messages_body_rules = {
	.what = "POST /messages",
	.max_len = MESSAGES_BODY_MAX,
	.too_large = "the body is larger than 64 KiB",
	.utf8 = true,
};

/* ---- Derivations --------------------------------------------------------------------- */

void messages_request_token(const char *request_id, char out[MESSAGES_TOKEN_LEN + 1])
{
	char hex[2 * SHA256_LEN + 1];

	out[0] = '\0';
	if (!request_id || !*request_id)
		return;
	sha256_hex(request_id, strlen(request_id), hex);
	memcpy(out, hex, MESSAGES_TOKEN_LEN);
	out[MESSAGES_TOKEN_LEN] = '\0';
}

int messages_id_from_request(const char *request_id, char out[UUID_STR_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	char hex[33];
	struct buf in;

	if (!request_id || !*request_id)
		return uuid_v4(out);
	buf_init(&in, BUF_NOCAP);
	if (buf_adds(&in, MESSAGES_ID_SALT) || buf_adds(&in, request_id)) {
		buf_release(&in);
		return ERR_NOMEM;
	}
	sha256(in.ptr, in.len, d);
	buf_release(&in);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x40); /* version 4 */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* variant 10 (RFC 9562 section 4.1) */
	hex_lower(hex, d, 16);
	snprintf(out, UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return 0;
}

/* ---- Helpers ------------------------------------------------------------------------- */

static json_t *message_json(const struct message *m)
{
	return json_pack("{s:s,s:s%,s:s}", "id", m->id, "message", m->text, m->text_len,
			 "createdAt", m->created_at);
}

/* The "message" member of a POST body; NULL with the code and reason of a 400 otherwise. */
static json_t *read_message_member(json_t *doc, const char **code, const char **why)
{
	json_t *text;
	size_t chars;

	*code = "InvalidRequest";
	if (!json_is_object(doc)) {
		*why = "the body must be a JSON object";
		return NULL;
	}
	text = json_object_get(doc, "message");
	if (!text) {
		*why = "\"message\" is required";
		return NULL;
	}
	if (!json_is_string(text)) {
		*why = "\"message\" must be a string";
		return NULL;
	}
	if (json_object_size(doc) != 1) {
		*why = "the body has an unknown member (expected only \"message\")";
		return NULL;
	}
	chars = utf8_count(json_string_value(text), json_string_length(text));
	*code = "InvalidMessage";
	if (chars == 0) {
		*why = "\"message\" must not be empty";
		return NULL;
	}
	if (chars > MESSAGES_TEXT_MAX) {
		*why = "\"message\" is longer than 4096 characters";
		return NULL;
	}
	return text;
}

/* ---- Handlers ------------------------------------------------------------------------ */

/* 201 with Location and the message. */
static int answer_created(struct serve_call *call, const struct message *m)
{
	char loc[sizeof("/messages/") + UUID_STR_LEN];
	int err;

	snprintf(loc, sizeof(loc), "/messages/%s", m->id);
	err = apigw_response_add_header(&call->resp, "Location", loc);
	return err ? err : serve_json(call, 201, message_json(m));
}

/*
 * The id exists already and our token did not cover it (its window passed,
 * or there was none): a replay of the same request finds its own message,
 * anything else is a conflict.
 */
static int answer_existing(struct messages_state *st, struct serve_call *call,
			   const struct message *m, int64_t deadline)
{
	struct message old;
	int err = st->store.get(st->store.ctx, st->table, m->id, deadline, &old);

	if (!err && old.text_len == m->text_len && memcmp(old.text, m->text, m->text_len) == 0)
		err = answer_created(call, &old);
	else if (!err || err == ERR_NOTFOUND)
		err = serve_error(call, 409, "Conflict", "a message with this id exists already");
	else
		err = serve_store_failure(call, err, MESSAGES_RETRY_AFTER_S);
	messages_message_release(&old);
	return err;
}

/* POST /messages. */
static int handle_create(struct messages_state *st, struct serve_call *call)
{
	const char *rid = call->req.ctx.request_id;
	int64_t deadline = serve_deadline_ms(call, MESSAGES_DEADLINE_MARGIN_MS);
	int64_t when =
		call->req.ctx.time_epoch_ms > 0 ? call->req.ctx.time_epoch_ms : time_now_ms();
	char token[MESSAGES_TOKEN_LEN + 1];
	const char *code, *why;
	struct message m;
	json_t *doc, *text;
	int err;

	err = serve_json_body(call, &messages_body_rules, &doc);
	if (err || !doc)
		return err;
	text = read_message_member(doc, &code, &why);
	if (!text) {
		err = serve_error(call, 400, code, why);
		goto done;
	}
	memset(&m, 0, sizeof(m));
	if ((err = messages_id_from_request(rid, m.id)))
		goto done;
	time_rfc3339(m.created_at, when, 1);
	m.text = (char *)json_string_value(text); /* borrowed: create() only reads it */
	m.text_len = json_string_length(text);
	messages_request_token(rid, token);
	err = st->store.create(st->store.ctx, st->table, &m, token, deadline);
	if (!err)
		metrics_count("MessagesCreated"); /* EMF, lambda/metrics.h */
	if (!err)
		err = answer_created(call, &m);
	else if (err == ERR_PRECONDITION)
		err = answer_existing(st, call, &m, deadline);
	else if (err == ERR_EXISTS)
		err = serve_error(call, 409, "Conflict",
				  "this request id was already used for another message");
	else
		err = serve_store_failure(call, err, MESSAGES_RETRY_AFTER_S);
done:
	json_decref(doc);
	return err;
}

/* GET /messages. */
static int handle_count(struct messages_state *st, struct serve_call *call)
{
	uint64_t n = 0;
	int err = st->store.count(st->store.ctx, st->table,
				  serve_deadline_ms(call, MESSAGES_DEADLINE_MARGIN_MS), &n);

	if (err)
		return serve_store_failure(call, err, MESSAGES_RETRY_AFTER_S);
	return serve_json(call, 200, json_pack("{s:I}", "count", (json_int_t)n));
}

/* GET /messages/{id}. */
static int handle_get(struct messages_state *st, struct serve_call *call)
{
	struct str raw = route_param(&call->match, "id");
	char id[UUID_STR_LEN + 1];
	struct message m;
	int err;

	if (!uuid_valid(raw.ptr, raw.len))
		return serve_error(call, 400, "InvalidId", "the id is not a UUID");
	for (size_t i = 0; i < UUID_STR_LEN; i++)
		id[i] = (char)((raw.ptr[i] >= 'A' && raw.ptr[i] <= 'F') ? raw.ptr[i] + 32
									: raw.ptr[i]);
	id[UUID_STR_LEN] = '\0';
	err = st->store.get(st->store.ctx, st->table, id,
			    serve_deadline_ms(call, MESSAGES_DEADLINE_MARGIN_MS), &m);
	if (err == ERR_NOTFOUND)
		err = serve_error(call, 404, "NotFound", "no message has this id");
	else if (err)
		err = serve_store_failure(call, err, MESSAGES_RETRY_AFTER_S);
	else
		err = serve_json(call, 200, message_json(&m));
	messages_message_release(&m);
	return err;
}

/* ---- The function -------------------------------------------------------------------- */

static int messages_dispatch(void *state, struct serve_call *call)
{
	struct messages_state *st = state;

	if (!st)
		return ERR_CONFIG; /* handle() without a successful init() */
	switch (call->match.route->id) {
	case R_CREATE:
		return handle_create(st, call);
	case R_COUNT:
		return handle_count(st, call);
	case R_GET:
		return handle_get(st, call);
	case R_CLIENT_EVENTS:
		return client_events_handle(call);
	default:
		return ERR_INVAL;
	}
}

static int messages_handle(void *state, const char *event, size_t event_len,
			   const struct lambda_context *ctx, struct buf *response,
			   struct lambda_error *err)
{
	const struct serve_handler h = {messages_dispatch, state};

	return serve_event(messages_routes, ARRAY_SIZE(messages_routes), &h, event, event_len, ctx,
			   response, err);
}

int messages_state_new(const char *table, const struct messages_store *store, void **state)
{
	struct messages_state *st;

	if (!table || !table[0] || !store)
		return ERR_INVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return ERR_NOMEM;
	st->table = strdup(table);
	if (!st->table) {
		free(st);
		return ERR_NOMEM;
	}
	st->store = *store;
	*state = st;
	return 0;
}

void messages_state_free(void *state)
{
	struct messages_state *st = state;

	if (!st)
		return;
	if (st->store.release)
		st->store.release(st->store.ctx);
	free(st->table);
	free(st);
}

static int messages_init(void **state, struct lambda_error *lerr)
{
	const char *table = getenv("MESSAGES_TABLE");
	struct messages_store store;
	int err;

	if (!table || !table[0])
		return lambda_fail(lerr, "Runtime.ConfigError", "MESSAGES_TABLE is not set");
	err = messages_store_ddb_init(&store);
	if (err)
		return lambda_fail(lerr, "Runtime.ConfigError",
				   "cannot create the DynamoDB client: %s", err_str(err));
	err = messages_state_new(table, &store, state);
	if (err) {
		store.release(store.ctx);
		return lambda_fail(lerr, "Runtime.InitError", "%s", err_str(err));
	}
	return 0;
}

const struct lambda_function messages_function = {
	.name = "messages",
	.init = messages_init,
	.handle = messages_handle,
	.fini = messages_state_free,
};
