/*
 * The messages store over DynamoDB (aws/dynamodb.h). One table, one string
 * partition key "pk":
 *
 *   pk "MSG#<id>"   {id, message, createdAt}   one item per message
 *   pk "COUNTER"    {count: N}                 the number of messages
 *
 * create() is one TransactWriteItems: a Put of the message with
 * attribute_not_exists(pk), and an Update of the counter with ADD (which
 * creates the item at 1 the first time), under the caller's
 * ClientRequestToken. The count is therefore exact, read with one
 * consistent GetItem, and never needs a Scan. "count" is a DynamoDB reserved
 * word, hence the #count placeholder.
 */
#include "core/common.h"

#include "app/messages_store.h"
#include "aws/dynamodb.h"
#include "core/json.h"
#include "core/log.h"

/* The longest count accepted from the counter item (a uint64 has 20 digits). */
#define COUNT_DIGITS_MAX 20

/* Log a DynamoDB failure with what DynamoDB said (never the message text, never credentials). */
static int ddb_failed(const char *op, int err, const struct ddb_error *e)
{
	log_emit(err == ERR_THROTTLED ? LVL_WARN : LVL_ERROR, "DynamoDB request failed",
		 json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "operation", op, "error", err_name(err),
			   "ddbStatus", e->status, "ddbType", e->type, "ddbMessage", e->message,
			   "ddbReasons", e->reasons, "ddbRequestId", e->request_id));
	return err;
}

/* The key {"pk": {"S": "<prefix><id>"}}. */
static json_t *key_of(const char *prefix, const char *id)
{
	char pk[sizeof(MESSAGES_PK_PREFIX) + UUID_STR_LEN + 16];

	snprintf(pk, sizeof(pk), "%s%s", prefix, id);
	return json_pack("{s:{s:s}}", "pk", "S", pk);
}

/* The two writes of create(), as TransactItems. */
static json_t *create_items(const char *table, const struct message *m)
{
	char pk[sizeof(MESSAGES_PK_PREFIX) + UUID_STR_LEN];

	snprintf(pk, sizeof(pk), "%s%s", MESSAGES_PK_PREFIX, m->id);
	return json_pack("[{s:{s:s,s:{s:{s:s},s:{s:s},s:{s:s%},s:{s:s}},s:s}},"
			 "{s:{s:s,s:{s:{s:s}},s:s,s:{s:s},s:{s:{s:s}}}}]",
			 "Put", "TableName", table, "Item", "pk", "S", pk, "id", "S", m->id,
			 "message", "S", m->text, m->text_len, "createdAt", "S", m->created_at,
			 "ConditionExpression", "attribute_not_exists(pk)", "Update", "TableName",
			 table, "Key", "pk", "S", MESSAGES_PK_COUNTER, "UpdateExpression",
			 "ADD #count :one", "ExpressionAttributeNames", "#count", "count",
			 "ExpressionAttributeValues", ":one", "N", "1");
}

static int ddbs_create(void *ctx, const char *table, const struct message *m, const char *token,
		       int64_t deadline_ms)
{
	struct ddb_error e;
	json_t *items = create_items(table, m);
	int err;

	if (!items)
		return ERR_NOMEM;
	err = ddb_transact_write_items(ctx, items, token, deadline_ms, &e);
	json_decref(items);
	if (err == ERR_PRECONDITION || err == ERR_EXISTS)
		return err; /* answers the handler deals with, not failures */
	return err ? ddb_failed("TransactWriteItems", err, &e) : 0;
}

/* The string value {"S": "..."} of attribute `name`, or NULL. */
static json_t *attr_s(const json_t *item, const char *name)
{
	json_t *v = json_object_get(jsonx_obj(item, name), "S");
	return json_is_string(v) ? v : NULL;
}

static int read_message(const json_t *item, struct message *out)
{
	json_t *id = attr_s(item, "id"), *text = attr_s(item, "message");
	json_t *created = attr_s(item, "createdAt");

	if (!id || !text || !created || json_string_length(id) != UUID_STR_LEN ||
	    json_string_length(created) >= sizeof(out->created_at))
		return ERR_PARSE;
	memcpy(out->id, json_string_value(id), UUID_STR_LEN + 1);
	memcpy(out->created_at, json_string_value(created), json_string_length(created) + 1);
	out->text_len = json_string_length(text);
	out->text = malloc(out->text_len + 1);
	if (!out->text)
		return ERR_NOMEM;
	memcpy(out->text, json_string_value(text), out->text_len + 1);
	return 0;
}

static int ddbs_get(void *ctx, const char *table, const char *id, int64_t deadline_ms,
		    struct message *out)
{
	struct ddb_error e;
	json_t *key = key_of(MESSAGES_PK_PREFIX, id), *item = NULL;
	int err;

	memset(out, 0, sizeof(*out));
	if (!key)
		return ERR_NOMEM;
	err = ddb_get_item(ctx, table, key, true, NULL, NULL, deadline_ms, &item, &e);
	json_decref(key);
	if (err)
		return ddb_failed("GetItem", err == ERR_NOTFOUND ? ERR_REMOTE : err, &e);
	if (!item)
		return ERR_NOTFOUND;
	err = read_message(item, out);
	json_decref(item);
	if (err == ERR_PARSE)
		log_msg(LVL_ERROR, "DynamoDB GetItem: the item of message %s is malformed", id);
	if (err)
		messages_message_release(out);
	return err;
}

static int ddbs_count(void *ctx, const char *table, int64_t deadline_ms, uint64_t *out)
{
	struct ddb_error e;
	json_t *key = key_of(MESSAGES_PK_COUNTER, ""), *names, *item = NULL;
	const char *n;
	long long v;
	int err;

	names = json_pack("{s:s}", "#count", "count");
	if (!key || !names) {
		err = ERR_NOMEM;
		goto done;
	}
	err = ddb_get_item(ctx, table, key, true, "#count", names, deadline_ms, &item, &e);
	if (err) {
		err = ddb_failed("GetItem", err == ERR_NOTFOUND ? ERR_REMOTE : err, &e);
		goto done;
	}
	*out = 0;
	n = json_string_value(json_object_get(jsonx_obj(item, "count"), "N"));
	if (n && (strlen(n) > COUNT_DIGITS_MAX || str_to_i64(str_from(n), 0, INT64_MAX, &v) != 0)) {
		log_msg(LVL_ERROR, "DynamoDB GetItem: the counter item is malformed");
		err = ERR_PARSE;
	} else if (n) {
		*out = (uint64_t)v;
	}
done:
	json_decref(item);
	json_decref(names);
	json_decref(key);
	return err;
}

static void ddbs_release(void *ctx)
{
	ddb_client_free(ctx);
}

int messages_store_ddb_init(struct messages_store *store)
{
	struct ddb_client *c = NULL;
	int err = ddb_client_new(&c);

	if (err)
		return err;
	memset(store, 0, sizeof(*store));
	store->ctx = c;
	store->create = ddbs_create;
	store->get = ddbs_get;
	store->count = ddbs_count;
	store->release = ddbs_release;
	return 0;
}
