/*
 * The item operations of the local DynamoDB: PutItem, GetItem, DeleteItem,
 * UpdateItem, BatchGetItem, BatchWriteItem, TransactWriteItems and
 * TransactGetItems. Every write is split in two steps: prepare (parse and
 * validate everything, no storage access) and execute (inside a SQLite
 * transaction: read the old item, check the condition, write). A single
 * write is one transaction; TransactWriteItems runs all its writes in one,
 * rolled back as a whole when any condition fails.
 */
#include "core/common.h"

#include "core/enc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "local/dynamodb/ddb_int.h"

enum write_kind { W_PUT = 1, W_DELETE, W_UPDATE, W_CHECK };

struct write_op {
	enum write_kind kind;
	json_t *req; /* borrowed */
	struct ddb_table t;
	struct ddb_expression *x;
	bool has_cond;
	json_t *item; /* PutItem's item, borrowed from req */
	json_t *key;  /* borrowed from req, or owned (key_owned) for puts */
	struct buf pk, sk;
	const char *ret; /* ReturnValues */
};

static const char *const legacy[] = {
	"Expected",   "AttributesToGet",  "KeyConditions",	 "QueryFilter",
	"ScanFilter", "AttributeUpdates", "ConditionalOperator",
};

struct ddb_expression *ddb_expr_new_for(json_t *req, struct ddb_err *e)
{
	json_t *names = json_object_get(req, "ExpressionAttributeNames");
	json_t *values = json_object_get(req, "ExpressionAttributeValues"), *v;
	const char *k;
	struct ddb_expression *x;
	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++)
		if (json_object_get(req, legacy[i])) {
			ddb_invalid(e,
				    "The legacy parameter %s is not supported by the local "
				    "DynamoDB endpoint; use expressions",
				    legacy[i]);
			return NULL;
		}
	if ((names && !json_is_object(names)) || (values && !json_is_object(values))) {
		ddb_fail(e, "SerializationException", "Unexpected value type in payload");
		return NULL;
	}
	if (values && json_object_size(values) == 0) {
		ddb_invalid(e, "ExpressionAttributeValues must not be empty");
		return NULL;
	}
	if (names && json_object_size(names) == 0) {
		ddb_invalid(e, "ExpressionAttributeNames must not be empty");
		return NULL;
	}
	json_object_foreach(values, k, v)
	{
		if (ddb_value_check(v, 0, e)) {
			size_t n = strlen(e->msg);
			snprintf(e->msg + n, sizeof(e->msg) - n, " for key %s", k);
			return NULL;
		}
	}
	json_object_foreach(names, k, v) if (!json_is_string(v))
	{
		ddb_fail(e, "SerializationException", "Unexpected value type in payload");
		return NULL;
	}
	x = malloc(sizeof(*x));
	if (!x || ddb_expr_init(x, names, values)) {
		free(x);
		ddb_internal(e);
		return NULL;
	}
	return x;
}

void ddb_expr_free(struct ddb_expression *x)
{
	if (!x)
		return;
	ddb_expr_release(x);
	free(x);
}

int ddb_parse_param(struct ddb_expression *x, const json_t *req, const char *param, bool projection,
		    struct ddb_err *e)
{
	json_t *v = json_object_get(req, param);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	if (projection)
		return ddb_expr_parse_projection(x, json_string_value(v), json_string_length(v), e);
	return ddb_expr_parse_condition(x, json_string_value(v), json_string_length(v), param, e);
}

static void write_release(struct write_op *w)
{
	ddb_table_release(&w->t);
	ddb_expr_free(w->x);
	w->x = NULL;
	buf_release(&w->pk);
	buf_release(&w->sk);
	if (w->kind == W_PUT)
		json_decref(w->key);
	w->key = NULL;
}

static int check_return_values(struct write_op *w, struct ddb_err *e)
{
	static const char *const all[] = {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW",
					  "UPDATED_NEW"};
	json_t *rv = json_object_get(w->req, "ReturnValues");
	w->ret = rv ? json_string_value(rv) : "NONE";
	if (!w->ret)
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (strcmp(w->ret, all[i]))
			continue;
		if (w->kind == W_UPDATE || i < 2)
			return 0;
	}
	return ddb_invalid(e, "Return values set to invalid value");
}

/* Update paths may not touch key attributes. */
static int check_update_keys(const struct write_op *w, struct ddb_err *e)
{
	for (int i = 0; i < w->x->nactions; i++) {
		const struct ddb_path_elem *el = &w->x->actions[i].path->e[0];
		const char *keys[2] = {w->t.key.hash, w->t.key.range};
		for (int k = 0; k < 2; k++)
			if (keys[k] && str_eq_cstr(el->name, keys[k]))
				return ddb_invalid(e,
						   "One or more parameter values were invalid: "
						   "Cannot update attribute %s. This attribute is "
						   "part of the key",
						   keys[k]);
	}
	return 0;
}

static int write_prepare(struct ddb_server *s, enum write_kind kind, json_t *req,
			 struct write_op *w, struct ddb_err *e)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->req = req;
	buf_init(&w->pk, BUF_NOCAP);
	buf_init(&w->sk, BUF_NOCAP);
	if (!json_is_object(req))
		return ddb_fail(e, "SerializationException", "Unexpected value type in payload");
	if (ddb_table_load(s, json_object_get(req, "TableName"), &w->t, e))
		return -1;
	if (!(w->x = ddb_expr_new_for(req, e)))
		return -1;
	if (kind != W_CHECK && check_return_values(w, e))
		return -1;
	if (kind == W_PUT) {
		w->item = json_object_get(req, "Item");
		if (!json_is_object(w->item))
			return ddb_invalid(e,
					   "1 validation error detected: Value null at 'item' "
					   "failed to satisfy constraint: Member must not be null");
		if (ddb_item_check(w->item, e) ||
		    ddb_item_key(&w->t.key, w->item, false, false, NULL, &w->pk, &w->sk, e))
			return -1;
		if (ddb_item_size(w->item) > DDB_ITEM_MAX)
			return ddb_invalid(e, "Item size has exceeded the maximum allowed size");
		for (int i = 0; i < w->t.nindexes; i++) {
			struct buf a, b;
			buf_init(&a, BUF_NOCAP);
			buf_init(&b, BUF_NOCAP);
			int rc = ddb_item_key(&w->t.indexes[i].key, w->item, false, true,
					      w->t.indexes[i].name, &a, &b, e);
			buf_release(&a);
			buf_release(&b);
			if (rc < 0)
				return -1;
		}
		w->key = ddb_key_of(&w->t.key, w->item);
	} else {
		w->key = json_object_get(req, "Key");
		if (!json_is_object(w->key))
			return ddb_invalid(e,
					   "1 validation error detected: Value null at 'key' "
					   "failed to satisfy constraint: Member must not be null");
		if (ddb_item_check(w->key, e) ||
		    ddb_item_key(&w->t.key, w->key, true, false, NULL, &w->pk, &w->sk, e))
			return -1;
	}
	if (kind == W_UPDATE) {
		json_t *ue = json_object_get(req, "UpdateExpression");
		if (ue && !json_is_string(ue))
			return ddb_fail(e, "SerializationException", "Unexpected value type");
		if (ue && (ddb_expr_parse_update(w->x, json_string_value(ue),
						 json_string_length(ue), e) ||
			   check_update_keys(w, e)))
			return -1;
	}
	w->has_cond = json_object_get(req, "ConditionExpression") != NULL;
	if (kind == W_CHECK && !w->has_cond)
		return ddb_invalid(e, "1 validation error detected: Value null at "
				      "'conditionExpression' failed to satisfy constraint: Member "
				      "must not be null");
	if (ddb_parse_param(w->x, req, "ConditionExpression", false, e))
		return -1;
	return ddb_expr_check_unused(w->x, e);
}

/* Attributes named by the update's paths (UPDATED_OLD / UPDATED_NEW). */
static json_t *updated_part(const struct write_op *w, const json_t *item)
{
	struct ddb_path *paths[DDB_EXPR_MAX_PATHS];
	for (int i = 0; i < w->x->nactions; i++)
		paths[i] = w->x->actions[i].path;
	return ddb_project(item, paths, w->x->nactions);
}

/*
 * Run a prepared write inside the caller's transaction. Returns 0, -1 with
 * `e` (a ConditionalCheckFailedException when the condition is false; then
 * *old_out holds the old item for ReturnValuesOnConditionCheckFailure).
 * *old_out and *new_out are new references (NULL when there is none).
 */
static int write_execute(struct ddb_server *s, struct write_op *w, json_t **old_out,
			 json_t **new_out, struct ddb_err *e)
{
	json_t *old = NULL, *item = NULL;
	bool ok = true;
	*old_out = *new_out = NULL;
	if (ddb_store_item_get(s->st, w->t.name, &w->pk, &w->sk, &old))
		return ddb_internal(e);
	if (w->has_cond && ddb_expr_eval(w->x, w->x->root, old, &ok, e))
		goto fail;
	if (!ok) {
		*old_out = old;
		return ddb_fail(e, "ConditionalCheckFailedException",
				"The conditional request failed");
	}
	switch (w->kind) {
	case W_PUT:
		item = json_incref(w->item);
		break;
	case W_UPDATE:
		item = old ? json_deep_copy(old) : json_deep_copy(w->key);
		if (!item)
			goto internal;
		if (ddb_expr_apply_update(w->x, old, item, e))
			goto fail;
		if (ddb_item_size(item) > DDB_ITEM_MAX) {
			ddb_invalid(e, "Item size to update has exceeded the maximum allowed size");
			goto fail;
		}
		break;
	default:
		break;
	}
	if (w->kind != W_CHECK && ddb_write(s, &w->t, &w->pk, &w->sk, item, e))
		goto fail;
	*old_out = old;
	*new_out = item;
	return 0;
internal:
	ddb_internal(e);
fail:
	json_decref(old);
	json_decref(item);
	return -1;
}

/* The ConditionalCheckFailedException's Item when asked for (ALL_OLD). */
static void attach_old_on_failure(const struct write_op *w, json_t *old, struct ddb_err *e)
{
	const char *r = jsonx_str(w->req, "ReturnValuesOnConditionCheckFailure");
	if (old && r && !strcmp(r, "ALL_OLD") && e->type &&
	    !strcmp(e->type, "ConditionalCheckFailedException"))
		e->extra = json_pack("{s:O}", "Item", old);
}

static int single_write(struct ddb_server *s, enum write_kind kind, json_t *req, json_t **resp,
			struct ddb_err *e)
{
	struct write_op w;
	json_t *old = NULL, *item = NULL, *attrs = NULL;
	int rc = -1;
	if (write_prepare(s, kind, req, &w, e))
		goto done;
	if (ddb_store_begin(s->st)) {
		ddb_internal(e);
		goto done;
	}
	if (write_execute(s, &w, &old, &item, e)) {
		ddb_store_rollback(s->st);
		attach_old_on_failure(&w, old, e);
		goto done;
	}
	if (ddb_store_commit(s->st)) {
		ddb_store_rollback(s->st);
		ddb_internal(e);
		goto done;
	}
	if (!strcmp(w.ret, "ALL_OLD"))
		attrs = json_incref(old);
	else if (!strcmp(w.ret, "ALL_NEW"))
		attrs = json_incref(item);
	else if (!strcmp(w.ret, "UPDATED_OLD"))
		attrs = old ? updated_part(&w, old) : NULL;
	else if (!strcmp(w.ret, "UPDATED_NEW"))
		attrs = updated_part(&w, item);
	*resp = json_object();
	if (attrs && json_object_size(attrs))
		json_object_set(*resp, "Attributes", attrs);
	rc = 0;
done:
	json_decref(attrs);
	json_decref(old);
	json_decref(item);
	write_release(&w);
	return rc;
}

int ddb_op_put_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return single_write(s, W_PUT, req, resp, e);
}

int ddb_op_delete_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return single_write(s, W_DELETE, req, resp, e);
}

int ddb_op_update_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return single_write(s, W_UPDATE, req, resp, e);
}

/* One key read with an optional projection: *out the item or NULL. */
static int read_one(struct ddb_server *s, json_t *req, json_t **out, struct ddb_err *e)
{
	struct ddb_table t;
	struct ddb_expression *x = NULL;
	struct buf pk, sk;
	json_t *key = json_object_get(req, "Key"), *item = NULL;
	int rc = -1;
	*out = NULL;
	buf_init(&pk, BUF_NOCAP);
	buf_init(&sk, BUF_NOCAP);
	if (ddb_table_load(s, json_object_get(req, "TableName"), &t, e))
		goto done;
	if (!(x = ddb_expr_new_for(req, e)) ||
	    ddb_parse_param(x, req, "ProjectionExpression", true, e) || ddb_expr_check_unused(x, e))
		goto done;
	if (ddb_item_check(key, e) || ddb_item_key(&t.key, key, true, false, NULL, &pk, &sk, e))
		goto done;
	if (ddb_store_item_get(s->st, t.name, &pk, &sk, &item)) {
		ddb_internal(e);
		goto done;
	}
	if (item && x->nproj) {
		*out = ddb_project(item, x->proj, x->nproj);
		json_decref(item);
	} else {
		*out = item;
	}
	rc = 0;
done:
	ddb_expr_free(x);
	ddb_table_release(&t);
	buf_release(&pk);
	buf_release(&sk);
	return rc;
}

int ddb_op_get_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *item;
	if (read_one(s, req, &item, e))
		return -1;
	*resp = json_object();
	if (item)
		json_object_set_new(*resp, "Item", item);
	return 0;
}

/* ----- batches ------------------------------------------------------------ */

/* A Key or Item of a batch, as the request object of a single operation. */
static json_t *sub_request(const char *table, const json_t *spec, const char *member,
			   const json_t *value)
{
	json_t *r = spec ? json_deep_copy(spec) : json_object();
	json_object_del(r, "Keys");
	json_object_set_new(r, "TableName", json_string(table));
	json_object_set(r, member, (json_t *)value);
	return r;
}

int ddb_op_batch_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *ri = json_object_get(req, "RequestItems"), *spec, *responses, *k;
	const char *table;
	size_t total = 0, i;
	if (!json_is_object(ri) || json_object_size(ri) == 0)
		return ddb_invalid(e,
				   "1 validation error detected: Value null at 'requestItems' "
				   "failed to satisfy constraint: Member must have length greater "
				   "than or equal to 1");
	json_object_foreach(ri, table, spec) total +=
		json_array_size(json_object_get(spec, "Keys"));
	if (total > DDB_BATCH_GET_MAX)
		return ddb_invalid(e, "Too many items requested for the BatchGetItem call");
	responses = json_object();
	json_object_foreach(ri, table, spec)
	{
		json_t *keys = json_object_get(spec, "Keys"), *items = json_array();
		json_object_set_new(responses, table, items);
		if (!json_is_array(keys) || json_array_size(keys) == 0) {
			json_decref(responses);
			return ddb_invalid(e,
					   "1 validation error detected: Value at "
					   "'requestItems.%s.member.keys' failed to satisfy "
					   "constraint: Member must have length greater than or "
					   "equal to 1",
					   table);
		}
		json_array_foreach(keys, i, k)
		{
			for (size_t j = 0; j < i; j++)
				if (json_equal(k, json_array_get(keys, j))) {
					json_decref(responses);
					return ddb_invalid(e, "Provided list of item keys contains "
							      "duplicates");
				}
			json_t *sub = sub_request(table, spec, "Key", k), *item;
			int rc = read_one(s, sub, &item, e);
			json_decref(sub);
			if (rc) {
				json_decref(responses);
				return -1;
			}
			if (item)
				json_array_append_new(items, item);
		}
	}
	*resp = json_pack("{s:o,s:{}}", "Responses", responses, "UnprocessedKeys");
	return 0;
}

static int key_seen(json_t *seen, const struct write_op *w)
{
	struct buf id;
	buf_init(&id, BUF_NOCAP);
	buf_adds(&id, w->t.name);
	buf_addch(&id, 0);
	hex_encode(&id, w->pk.ptr, w->pk.len);
	buf_addch(&id, '/');
	hex_encode(&id, w->sk.ptr, w->sk.len);
	bool dup = json_object_getn(seen, id.ptr, id.len) != NULL;
	json_object_setn(seen, id.ptr, id.len, json_true());
	buf_release(&id);
	return dup;
}

int ddb_op_batch_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *ri = json_object_get(req, "RequestItems"), *list, *r, *seen, *subs;
	struct write_op *ws = NULL;
	const char *table;
	size_t total = 0, n = 0, i;
	int rc = -1;
	if (!json_is_object(ri) || json_object_size(ri) == 0)
		return ddb_invalid(e,
				   "1 validation error detected: Value null at 'requestItems' "
				   "failed to satisfy constraint: Member must have length greater "
				   "than or equal to 1");
	json_object_foreach(ri, table, list) total += json_array_size(list);
	if (total == 0 || total > DDB_BATCH_WRITE_MAX)
		return ddb_invalid(e, "1 validation error detected: Value at 'requestItems' failed "
				      "to satisfy constraint: Member must have length less than or "
				      "equal to 25");
	ws = calloc(total, sizeof(*ws));
	seen = json_object();
	subs = json_array();
	if (!ws || !seen || !subs) {
		ddb_internal(e);
		goto done;
	}
	json_object_foreach(ri, table, list)
	{
		json_array_foreach(list, i, r)
		{
			json_t *put = json_object_get(r, "PutRequest");
			json_t *del = json_object_get(r, "DeleteRequest");
			if (!!put == !!del) {
				ddb_invalid(e,
					    "Supplied AttributeValue has more than one datatypes "
					    "set, must contain exactly one of the supported "
					    "datatypes");
				goto done;
			}
			json_t *sub =
				put ? sub_request(table, NULL, "Item", json_object_get(put, "Item"))
				    : sub_request(table, NULL, "Key", json_object_get(del, "Key"));
			json_array_append_new(subs, sub);
			if (write_prepare(s, put ? W_PUT : W_DELETE, sub, &ws[n++], e))
				goto done;
			if (key_seen(seen, &ws[n - 1])) {
				ddb_invalid(e, "Provided list of item keys contains duplicates");
				goto done;
			}
		}
	}
	if (ddb_store_begin(s->st)) {
		ddb_internal(e);
		goto done;
	}
	for (i = 0; i < n; i++) {
		json_t *old, *item;
		if (write_execute(s, &ws[i], &old, &item, e)) {
			json_decref(old);
			ddb_store_rollback(s->st);
			goto done;
		}
		json_decref(old);
		json_decref(item);
	}
	if (ddb_store_commit(s->st)) {
		ddb_store_rollback(s->st);
		ddb_internal(e);
		goto done;
	}
	*resp = json_pack("{s:{}}", "UnprocessedItems");
	rc = 0;
done:
	for (i = 0; ws && i < n; i++)
		write_release(&ws[i]);
	free(ws);
	json_decref(seen);
	json_decref(subs);
	return rc;
}

/* ----- transactions -------------------------------------------------------- */

static const struct {
	const char *member;
	enum write_kind kind;
} txn_kinds[] = {
	{"Put", W_PUT},
	{"Delete", W_DELETE},
	{"Update", W_UPDATE},
	{"ConditionCheck", W_CHECK},
};

/* The request's digest for ClientRequestToken idempotency. */
static void request_digest(const json_t *req, char out[2 * SHA256_LEN + 1])
{
	char *text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(text ? text : "", text ? strlen(text) : 0, out);
	free(text);
}

static json_t *cancel_reasons(struct write_op *ws, struct ddb_err *errs, json_t **olds, size_t n,
			      struct buf *codes)
{
	json_t *reasons = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *r;
		const char *code = "None";
		if (errs[i].type && !strcmp(errs[i].type, "ConditionalCheckFailedException"))
			code = "ConditionalCheckFailed";
		else if (errs[i].type)
			code = "ValidationError";
		r = json_pack("{s:s}", "Code", code);
		if (errs[i].type)
			json_object_set_new(r, "Message", json_string(errs[i].msg));
		const char *rv = jsonx_str(ws[i].req, "ReturnValuesOnConditionCheckFailure");
		if (olds[i] && rv && !strcmp(rv, "ALL_OLD") && errs[i].type)
			json_object_set(r, "Item", olds[i]);
		json_array_append_new(reasons, r);
		buf_addf(codes, "%s%s", i ? ", " : "", code);
	}
	return reasons;
}

static int txn_run(struct ddb_server *s, struct write_op *ws, size_t n, struct ddb_err *e)
{
	struct ddb_err *errs = calloc(n, sizeof(*errs));
	json_t **olds = calloc(n, sizeof(json_t *));
	bool failed = false;
	int rc = -1;
	if (!errs || !olds) {
		ddb_internal(e);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *item = NULL;
		if (write_execute(s, &ws[i], &olds[i], &item, &errs[i])) {
			if (strcmp(errs[i].type, "ConditionalCheckFailedException") &&
			    strcmp(errs[i].type, "ValidationException")) {
				*e = errs[i];
				goto done;
			}
			failed = true;
		}
		json_decref(item);
	}
	if (failed) {
		struct buf codes;
		buf_init(&codes, 8192);
		e->extra = json_pack("{s:o}", "CancellationReasons",
				     cancel_reasons(ws, errs, olds, n, &codes));
		ddb_fail(e, "TransactionCanceledException",
			 "Transaction cancelled, please refer "
			 "cancellation reasons for specific reasons [%s]",
			 codes.ptr);
		buf_release(&codes);
		goto done;
	}
	rc = 0;
done:
	for (size_t i = 0; olds && i < n; i++)
		json_decref(olds[i]);
	free(olds);
	free(errs);
	return rc;
}

int ddb_op_transact_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *items = json_object_get(req, "TransactItems"), *ti, *seen = json_object();
	const char *token = jsonx_str(req, "ClientRequestToken");
	char digest[2 * SHA256_LEN + 1], *prev = NULL;
	size_t n = json_array_size(items), done_n = 0, i;
	struct write_op *ws = NULL;
	int rc = -1;
	if (!json_is_array(items) || n == 0 || n > DDB_TXN_MAX) {
		ddb_invalid(e, "1 validation error detected: Value at 'transactItems' failed to "
			       "satisfy constraint: Member must have length less than or equal "
			       "to 100");
		goto out;
	}
	ws = calloc(n, sizeof(*ws));
	if (!ws || !seen) {
		ddb_internal(e);
		goto out;
	}
	json_array_foreach(items, i, ti)
	{
		json_t *sub = NULL;
		enum write_kind kind = 0;
		for (size_t k = 0; k < ARRAY_SIZE(txn_kinds); k++) {
			json_t *v = json_object_get(ti, txn_kinds[k].member);
			if (v && sub) {
				sub = NULL;
				break;
			}
			if (v) {
				sub = v;
				kind = txn_kinds[k].kind;
			}
		}
		if (!sub) {
			ddb_invalid(e,
				    "TransactItems can only contain one of Check, Put, Update or "
				    "Delete");
			goto out;
		}
		if (write_prepare(s, kind, sub, &ws[done_n++], e))
			goto out;
		if (key_seen(seen, &ws[done_n - 1])) {
			ddb_invalid(e, "Transaction request cannot include multiple operations on "
				       "one item");
			goto out;
		}
	}
	request_digest(req, digest);
	if (ddb_store_begin(s->st)) {
		ddb_internal(e);
		goto out;
	}
	if (token && ddb_store_token_get(s->st, token, time_now_ms(), &prev)) {
		ddb_internal(e);
		goto rollback;
	}
	if (prev && strcmp(prev, digest)) {
		ddb_fail(e, "IdempotentParameterMismatchException",
			 "Request token has been used "
			 "with different parameters");
		goto rollback;
	}
	if (!prev && (txn_run(s, ws, n, e) ||
		      (token && ddb_store_token_put(s->st, token, digest, time_now_ms()) &&
		       ddb_internal(e))))
		goto rollback;
	if (ddb_store_commit(s->st)) {
		ddb_internal(e);
		goto rollback;
	}
	*resp = json_object();
	rc = 0;
	goto out;
rollback:
	ddb_store_rollback(s->st);
out:
	free(prev);
	for (i = 0; ws && i < done_n; i++)
		write_release(&ws[i]);
	free(ws);
	json_decref(seen);
	return rc;
}

int ddb_op_transact_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *items = json_object_get(req, "TransactItems"), *ti, *out;
	size_t i, n = json_array_size(items);
	if (!json_is_array(items) || n == 0 || n > DDB_TXN_MAX)
		return ddb_invalid(e,
				   "1 validation error detected: Value at 'transactItems' failed "
				   "to satisfy constraint: Member must have length less than or "
				   "equal to 100");
	out = json_array();
	if (ddb_store_begin(s->st)) {
		json_decref(out);
		return ddb_internal(e);
	}
	json_array_foreach(items, i, ti)
	{
		json_t *get = json_object_get(ti, "Get"), *item;
		if (!json_is_object(get) || read_one(s, get, &item, e)) {
			if (!e->type)
				ddb_invalid(e, "TransactItems can only contain Get");
			ddb_store_rollback(s->st);
			json_decref(out);
			return -1;
		}
		json_array_append_new(out, item ? json_pack("{s:o}", "Item", item) : json_object());
	}
	ddb_store_rollback(s->st);
	*resp = json_pack("{s:o}", "Responses", out);
	return 0;
}
