/*
 * The item operations of the local DynamoDB: PutItem, GetItem, DeleteItem,
 * UpdateItem, BatchGetItem, BatchWriteItem, TransactWriteItems and
 * TransactGetItems. Every write is split in two steps: prepare (parse and
 * validate everything, no storage access) and execute (inside a SQLite
 * transaction: read the old item, check the condition, write). A single
 * write is one transaction; BatchWriteItem and TransactWriteItems run all
 * their writes in one, rolled back as a whole when any of them fails, so
 * nothing is ever left in UnprocessedItems.
 */
#include "core/common.h"

#include "core/enc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "local/dynamodb/ddb_int.h"

/* The list of reason codes in a TransactionCanceledException's message:
 * one "ConditionalCheckFailed, " (the longest) per action at most. */
#define CANCEL_CODES_MAX (DDB_TXN_MAX * sizeof("ConditionalCheckFailed, "))

enum write_kind { W_PUT = 1, W_DELETE, W_UPDATE, W_CHECK };

struct write_op {
	enum write_kind kind;
	json_t *req; /* borrowed */
	struct ddb_table t;
	struct ddb_expression *x;
	bool has_cond;
	json_t *item;	 /* PutItem's item, borrowed from req */
	json_t *key;	 /* borrowed from req, or owned for puts */
	struct buf pk;	 /* capped at DDB_PK_BUF */
	struct buf sk;	 /* capped at DDB_SK_BUF */
	const char *ret; /* ReturnValues */
};

/* ----- expressions of a request --------------------------------------------- */

static const char *const legacy[] = {
	"Expected",   "AttributesToGet",  "KeyConditions",	 "QueryFilter",
	"ScanFilter", "AttributeUpdates", "ConditionalOperator",
};

static int check_expr_params(const json_t *req, const json_t *names, const json_t *values,
			     struct ddb_err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++)
		if (json_object_get(req, legacy[i]))
			return ddb_invalid(e,
					   "The legacy parameter %s is not supported by the local "
					   "DynamoDB endpoint; use expressions",
					   legacy[i]);
	if ((names && !json_is_object(names)) || (values && !json_is_object(values)))
		return ddb_wrong_type(e);
	if (values && json_object_size(values) == 0)
		return ddb_invalid(e, "ExpressionAttributeValues must not be empty");
	if (names && json_object_size(names) == 0)
		return ddb_invalid(e, "ExpressionAttributeNames must not be empty");
	return 0;
}

/* Validate (and normalise) the values, and check that the names are strings. */
static int check_expr_members(json_t *names, json_t *values, struct ddb_err *e)
{
	const char *k;
	json_t *v;
	int err;
	json_object_foreach(values, k, v)
	{
		if ((err = ddb_value_check(v, 0, e))) {
			size_t n = strlen(e->msg);
			if (e->type)
				snprintf(e->msg + n, sizeof(e->msg) - n, " for key %s", k);
			return err;
		}
	}
	json_object_foreach(names, k, v)
	{
		if (!json_is_string(v))
			return ddb_wrong_type(e);
	}
	return 0;
}

int ddb_expr_new_for(json_t *req, struct ddb_expression **out, struct ddb_err *e)
{
	json_t *names = json_object_get(req, "ExpressionAttributeNames");
	json_t *values = json_object_get(req, "ExpressionAttributeValues");
	struct ddb_expression *x;
	int err;
	*out = NULL;
	if ((err = check_expr_params(req, names, values, e)) ||
	    (err = check_expr_members(names, values, e)))
		return err;
	if (!(x = malloc(sizeof(*x))))
		return ERR_NOMEM;
	if ((err = ddb_expr_init(x, names, values))) {
		free(x);
		return err;
	}
	*out = x;
	return 0;
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
		return ddb_wrong_type(e);
	if (projection)
		return ddb_expr_parse_projection(x, json_string_value(v), json_string_length(v), e);
	return ddb_expr_parse_condition(x, json_string_value(v), json_string_length(v), param, e);
}

/* ----- prepare a write -------------------------------------------------------- */

static void write_init(struct write_op *w, enum write_kind kind, json_t *req)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->req = req;
	buf_init(&w->pk, DDB_PK_BUF);
	buf_init(&w->sk, DDB_SK_BUF);
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
		return ddb_wrong_type(e);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (strcmp(w->ret, all[i]))
			continue;
		if (w->kind == W_UPDATE || i < 2)
			return 0;
	}
	return ddb_invalid(e, "Return values set to invalid value");
}

/* Each index key attribute the item has must be valid for its index. */
static int check_index_keys(const struct ddb_table *t, const json_t *item, struct ddb_err *e)
{
	struct buf a, b;
	int err = 0;
	buf_init(&a, DDB_PK_BUF);
	buf_init(&b, DDB_SK_BUF);
	for (int i = 0; !err && i < t->nindexes; i++) {
		bool in_index;
		err = ddb_index_key(&t->indexes[i], item, &a, &b, &in_index, e);
	}
	buf_release(&a);
	buf_release(&b);
	return err;
}

static int prepare_put(struct write_op *w, struct ddb_err *e)
{
	int err;
	w->item = json_object_get(w->req, "Item");
	if (!json_is_object(w->item))
		return ddb_invalid(e, "1 validation error detected: Value null at 'item' failed to "
				      "satisfy constraint: Member must not be null");
	if ((err = ddb_item_check(w->item, e)) ||
	    (err = ddb_item_key(&w->t.key, w->item, false, NULL, &w->pk, &w->sk, e)))
		return err;
	if (ddb_item_size(w->item) > DDB_ITEM_MAX)
		return ddb_invalid(e, "Item size has exceeded the maximum allowed size");
	if ((err = check_index_keys(&w->t, w->item, e)))
		return err;
	w->key = ddb_key_of(&w->t.key, w->item);
	return w->key ? 0 : ERR_NOMEM;
}

static int prepare_key(struct write_op *w, struct ddb_err *e)
{
	int err;
	w->key = json_object_get(w->req, "Key");
	if (!json_is_object(w->key))
		return ddb_invalid(e, "1 validation error detected: Value null at 'key' failed to "
				      "satisfy constraint: Member must not be null");
	if ((err = ddb_item_check(w->key, e)))
		return err;
	return ddb_item_key(&w->t.key, w->key, true, NULL, &w->pk, &w->sk, e);
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

static int prepare_update(struct write_op *w, struct ddb_err *e)
{
	json_t *ue = json_object_get(w->req, "UpdateExpression");
	int err;
	if (!ue)
		return 0;
	if (!json_is_string(ue))
		return ddb_wrong_type(e);
	if ((err = ddb_expr_parse_update(w->x, json_string_value(ue), json_string_length(ue), e)))
		return err;
	return check_update_keys(w, e);
}

static int prepare_condition(struct write_op *w, struct ddb_err *e)
{
	int err;
	w->has_cond = json_object_get(w->req, "ConditionExpression") != NULL;
	if (w->kind == W_CHECK && !w->has_cond)
		return ddb_invalid(e, "1 validation error detected: Value null at "
				      "'conditionExpression' failed to satisfy constraint: Member "
				      "must not be null");
	if ((err = ddb_parse_param(w->x, w->req, "ConditionExpression", false, e)))
		return err;
	return ddb_expr_check_unused(w->x, e);
}

/* Parse and validate one write of `kind`; release `w` after, whatever the result. */
static int write_prepare(struct ddb_server *s, enum write_kind kind, json_t *req,
			 struct write_op *w, struct ddb_err *e)
{
	int err;
	write_init(w, kind, req);
	if (!json_is_object(req))
		return ddb_wrong_type(e);
	if ((err = ddb_table_load(s, json_object_get(req, "TableName"), &w->t, e)) ||
	    (err = ddb_expr_new_for(req, &w->x, e)))
		return err;
	if (kind != W_CHECK && (err = check_return_values(w, e)))
		return err;
	err = kind == W_PUT ? prepare_put(w, e) : prepare_key(w, e);
	if (!err && kind == W_UPDATE)
		err = prepare_update(w, e);
	return err ? err : prepare_condition(w, e);
}

/* ----- execute a write --------------------------------------------------------- */

/* The item an update makes of `old` (or of the bare key when there is none). */
static int updated_item(const struct write_op *w, const json_t *old, json_t **out,
			struct ddb_err *e)
{
	json_t *item = json_deep_copy(old ? old : w->key);
	int err = item ? ddb_expr_apply_update(w->x, old, item, e) : ERR_NOMEM;
	if (!err && ddb_item_size(item) > DDB_ITEM_MAX)
		err = ddb_invalid(e, "Item size to update has exceeded the maximum allowed size");
	if (err) {
		json_decref(item);
		return err;
	}
	*out = item;
	return 0;
}

/*
 * Run a prepared write inside the caller's transaction. *old_out and
 * *new_out are new references (NULL when there is none). A false condition
 * is ERR_PRECONDITION (ConditionalCheckFailedException), with *old_out set
 * for ReturnValuesOnConditionCheckFailure.
 */
static int write_execute(struct ddb_server *s, struct write_op *w, json_t **old_out,
			 json_t **new_out, struct ddb_err *e)
{
	json_t *old = NULL, *item = NULL;
	bool ok = true;
	int err;
	*old_out = *new_out = NULL;
	if ((err = ddb_store_item_get(s->st, w->t.name, &w->pk, &w->sk, &old)))
		return err;
	if (w->has_cond && (err = ddb_expr_eval(w->x, w->x->root, old, &ok, e)))
		goto fail;
	if (!ok) {
		*old_out = old;
		return ddb_fail(e, DDB_E_CONDITION, "The conditional request failed");
	}
	if (w->kind == W_PUT)
		item = json_incref(w->item);
	else if (w->kind == W_UPDATE && (err = updated_item(w, old, &item, e)))
		goto fail;
	if (w->kind != W_CHECK && (err = ddb_write(s, &w->t, &w->pk, &w->sk, item, e)))
		goto fail;
	*old_out = old;
	*new_out = item;
	return 0;
fail:
	json_decref(old);
	json_decref(item);
	return err;
}

/* ----- PutItem, UpdateItem, DeleteItem ------------------------------------------ */

/* The ConditionalCheckFailedException's Item when asked for (ALL_OLD). */
static int attach_old_on_failure(const struct write_op *w, json_t *old, int err, struct ddb_err *e)
{
	const char *r = jsonx_str(w->req, "ReturnValuesOnConditionCheckFailure");
	if (err != ERR_PRECONDITION || !old || !r || strcmp(r, "ALL_OLD"))
		return err;
	e->extra = json_pack("{s:O}", "Item", old);
	return e->extra ? err : ERR_NOMEM;
}

/* One prepared write in a transaction of its own. */
static int run_single(struct ddb_server *s, struct write_op *w, json_t **old, json_t **item,
		      struct ddb_err *e)
{
	int err = ddb_store_begin(s->st);
	if (err)
		return err;
	if ((err = write_execute(s, w, old, item, e))) {
		ddb_store_rollback(s->st);
		return attach_old_on_failure(w, *old, err, e);
	}
	if ((err = ddb_store_commit(s->st)))
		ddb_store_rollback(s->st);
	return err;
}

/* Attributes named by the update's paths (UPDATED_OLD / UPDATED_NEW). */
static json_t *updated_part(const struct write_op *w, const json_t *item)
{
	struct ddb_path *paths[DDB_EXPR_MAX_PATHS];
	for (int i = 0; i < w->x->nactions; i++)
		paths[i] = w->x->actions[i].path;
	return ddb_project(item, paths, w->x->nactions);
}

/* The answer's Attributes as ReturnValues asks: *out NULL for none. */
static int return_values(const struct write_op *w, json_t *old, json_t *item, json_t **out)
{
	*out = NULL;
	if (!strcmp(w->ret, "ALL_OLD"))
		*out = json_incref(old);
	else if (!strcmp(w->ret, "ALL_NEW"))
		*out = json_incref(item);
	else if (!strcmp(w->ret, "UPDATED_OLD") && old)
		return (*out = updated_part(w, old)) ? 0 : ERR_NOMEM;
	else if (!strcmp(w->ret, "UPDATED_NEW"))
		return (*out = updated_part(w, item)) ? 0 : ERR_NOMEM;
	return 0;
}

/* {"Attributes": attrs}, or {} when there are none; NULL on allocation failure. */
static json_t *write_answer(json_t *attrs)
{
	if (!attrs || !json_object_size(attrs))
		return json_object();
	return json_pack("{s:O}", "Attributes", attrs);
}

static int single_write(struct ddb_server *s, enum write_kind kind, json_t *req, json_t **resp,
			struct ddb_err *e)
{
	struct write_op w;
	json_t *old = NULL, *item = NULL, *attrs = NULL;
	int err = write_prepare(s, kind, req, &w, e);
	if (!err)
		err = run_single(s, &w, &old, &item, e);
	if (!err)
		err = return_values(&w, old, item, &attrs);
	if (!err)
		*resp = write_answer(attrs);
	json_decref(attrs);
	json_decref(old);
	json_decref(item);
	write_release(&w);
	return err;
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

/* ----- GetItem ---------------------------------------------------------------- */

/* The projection and key of a read, checked. */
static int read_prepare(json_t *req, const struct ddb_table *t, struct ddb_expression **x,
			struct buf *pk, struct buf *sk, struct ddb_err *e)
{
	json_t *key = json_object_get(req, "Key");
	int err;
	if ((err = ddb_expr_new_for(req, x, e)) ||
	    (err = ddb_parse_param(*x, req, "ProjectionExpression", true, e)) ||
	    (err = ddb_expr_check_unused(*x, e)) || (err = ddb_item_check(key, e)))
		return err;
	return ddb_item_key(&t->key, key, true, NULL, pk, sk, e);
}

/* One key read with an optional projection: *out the item or NULL. */
static int read_one(struct ddb_server *s, json_t *req, json_t **out, struct ddb_err *e)
{
	struct ddb_table t;
	struct ddb_expression *x = NULL;
	struct buf pk, sk;
	json_t *item = NULL;
	*out = NULL;
	buf_init(&pk, DDB_PK_BUF);
	buf_init(&sk, DDB_SK_BUF);
	int err = ddb_table_load(s, json_object_get(req, "TableName"), &t, e);
	if (!err)
		err = read_prepare(req, &t, &x, &pk, &sk, e);
	if (!err)
		err = ddb_store_item_get(s->st, t.name, &pk, &sk, &item);
	if (!err && item && x->nproj) {
		*out = ddb_project(item, x->proj, x->nproj);
		err = *out ? 0 : ERR_NOMEM;
		json_decref(item);
	} else if (!err) {
		*out = item;
	}
	ddb_expr_free(x);
	ddb_table_release(&t);
	buf_release(&pk);
	buf_release(&sk);
	return err;
}

int ddb_op_get_item(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *item;
	int err = read_one(s, req, &item, e);
	if (err)
		return err;
	*resp = item ? json_pack("{s:o}", "Item", item) : json_object();
	return 0;
}

/* ----- BatchGetItem ----------------------------------------------------------- */

/* A Key or Item of a batch, as the request object of a single operation;
 * NULL on allocation failure. */
static json_t *sub_request(const char *table, const json_t *spec, const char *member,
			   const json_t *value)
{
	json_t *r = spec ? json_deep_copy(spec) : json_object();
	if (r)
		json_object_del(r, "Keys");
	if (r && (json_object_set_new(r, "TableName", json_string(table)) ||
		  (value && json_object_set(r, member, (json_t *)value)))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

static int no_request_items(struct ddb_err *e)
{
	return ddb_invalid(e, "1 validation error detected: Value null at 'requestItems' failed "
			      "to satisfy constraint: Member must have length greater than or "
			      "equal to 1");
}

/* Read key `k` of `table` as `spec` asks (ProjectionExpression...) into `items`. */
static int batch_get_one(struct ddb_server *s, const char *table, const json_t *spec,
			 const json_t *k, json_t *items, struct ddb_err *e)
{
	json_t *sub = sub_request(table, spec, "Key", k), *item = NULL;
	int err = sub ? read_one(s, sub, &item, e) : ERR_NOMEM;
	json_decref(sub);
	if (!err && item && json_array_append(items, item))
		err = ERR_NOMEM;
	json_decref(item);
	return err;
}

static int batch_get_table(struct ddb_server *s, const char *table, const json_t *spec,
			   json_t *responses, struct ddb_err *e)
{
	json_t *keys = json_object_get(spec, "Keys"), *items = json_array(), *k;
	size_t i;
	int err = 0;
	if (!items || json_object_set_new(responses, table, items))
		return ERR_NOMEM;
	if (!json_is_array(keys) || json_array_size(keys) == 0)
		return ddb_invalid(e,
				   "1 validation error detected: Value at "
				   "'requestItems.%s.member.keys' failed to satisfy constraint: "
				   "Member must have length greater than or equal to 1",
				   table);
	json_array_foreach(keys, i, k)
	{
		for (size_t j = 0; j < i; j++)
			if (json_equal(k, json_array_get(keys, j)))
				return ddb_invalid(e, "Provided list of item keys contains "
						      "duplicates");
		if ((err = batch_get_one(s, table, spec, k, items, e)))
			return err;
	}
	return 0;
}

int ddb_op_batch_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *ri = json_object_get(req, "RequestItems"), *spec, *responses;
	const char *table;
	size_t total = 0;
	int err = 0;
	if (!json_is_object(ri) || json_object_size(ri) == 0)
		return no_request_items(e);
	json_object_foreach(ri, table, spec) total +=
		json_array_size(json_object_get(spec, "Keys"));
	if (total > DDB_BATCH_GET_MAX)
		return ddb_invalid(e, "Too many items requested for the BatchGetItem call");
	if (!(responses = json_object()))
		return ERR_NOMEM;
	json_object_foreach(ri, table, spec)
	{
		if ((err = batch_get_table(s, table, spec, responses, e)))
			break;
	}
	if (err) {
		json_decref(responses);
		return err;
	}
	*resp = json_pack("{s:o,s:{}}", "Responses", responses, "UnprocessedKeys");
	return 0;
}

/* ----- BatchWriteItem and TransactWriteItems: many writes in one transaction --- */

static bool buf_eq(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
}

/* True when one of ws[0..n) writes the item ws[n] writes (n <= 100: quadratic is fine). */
static bool same_item_before(const struct write_op *ws, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ws[i].t.name, ws[n].t.name) && buf_eq(&ws[i].pk, &ws[n].pk) &&
		    buf_eq(&ws[i].sk, &ws[n].sk))
			return true;
	return false;
}

/* Execute prepared writes in one transaction, all or nothing. */
static int run_all(struct ddb_server *s, struct write_op *ws, size_t n, struct ddb_err *e)
{
	int err = ddb_store_begin(s->st);
	for (size_t i = 0; !err && i < n; i++) {
		json_t *old, *item;
		err = write_execute(s, &ws[i], &old, &item, e);
		json_decref(old);
		json_decref(item);
	}
	if (!err)
		err = ddb_store_commit(s->st);
	if (err)
		ddb_store_rollback(s->st);
	return err;
}

/* The prepared writes of a BatchWriteItem, into ws[*n...]. */
static int batch_write_prepare(struct ddb_server *s, const char *table, const json_t *list,
			       struct write_op *ws, size_t *n, json_t *subs, struct ddb_err *e)
{
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r)
	{
		json_t *put = json_object_get(r, "PutRequest"),
		       *del = json_object_get(r, "DeleteRequest");
		int err;
		if (!!put == !!del)
			return ddb_invalid(e, "Supplied AttributeValue has more than one datatypes "
					      "set, must contain exactly one of the supported "
					      "datatypes");
		json_t *sub = put ? sub_request(table, NULL, "Item", json_object_get(put, "Item"))
				  : sub_request(table, NULL, "Key", json_object_get(del, "Key"));
		if (json_array_append_new(subs, sub))
			return ERR_NOMEM;
		if ((err = write_prepare(s, put ? W_PUT : W_DELETE, sub, &ws[(*n)++], e)))
			return err;
		if (same_item_before(ws, *n - 1))
			return ddb_invalid(e, "Provided list of item keys contains duplicates");
	}
	return 0;
}

int ddb_op_batch_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *ri = json_object_get(req, "RequestItems"), *list, *subs;
	struct write_op *ws;
	const char *table;
	size_t total = 0, n = 0;
	int err = 0;
	if (!json_is_object(ri) || json_object_size(ri) == 0)
		return no_request_items(e);
	json_object_foreach(ri, table, list) total += json_array_size(list);
	if (total == 0 || total > DDB_BATCH_WRITE_MAX)
		return ddb_invalid(e, "1 validation error detected: Value at 'requestItems' failed "
				      "to satisfy constraint: Member must have length less than or "
				      "equal to 25");
	ws = calloc(total, sizeof(*ws));
	subs = json_array();
	if (!ws || !subs)
		err = ERR_NOMEM;
	json_object_foreach(ri, table, list)
	{
		if (!err)
			err = batch_write_prepare(s, table, list, ws, &n, subs, e);
	}
	if (!err && !(err = run_all(s, ws, n, e)))
		*resp = json_pack("{s:{}}", "UnprocessedItems");
	for (size_t i = 0; i < n; i++)
		write_release(&ws[i]);
	free(ws);
	json_decref(subs);
	return err;
}

/* ----- TransactWriteItems ------------------------------------------------------ */

static const struct {
	const char *member;
	enum write_kind kind;
} txn_kinds[] = {
	{"Put", W_PUT},
	{"Delete", W_DELETE},
	{"Update", W_UPDATE},
	{"ConditionCheck", W_CHECK},
};

/* The outcome of one action of a transaction. */
struct txn_result {
	int err;
	struct ddb_err e;
	json_t *old; /* for ReturnValuesOnConditionCheckFailure */
};

/* The one action of TransactItems element `ti`: *sub its request. */
static int txn_action(const json_t *ti, json_t **sub, enum write_kind *kind, struct ddb_err *e)
{
	*sub = NULL;
	for (size_t k = 0; k < ARRAY_SIZE(txn_kinds); k++) {
		json_t *v = json_object_get(ti, txn_kinds[k].member);
		if (v && *sub) {
			*sub = NULL;
			break;
		}
		if (v) {
			*sub = v;
			*kind = txn_kinds[k].kind;
		}
	}
	if (!*sub)
		return ddb_invalid(e, "TransactItems can only contain one of Check, Put, Update or "
				      "Delete");
	return 0;
}

static int txn_prepare(struct ddb_server *s, const json_t *items, struct write_op *ws, size_t *n,
		       struct ddb_err *e)
{
	size_t i;
	json_t *ti;
	json_array_foreach(items, i, ti)
	{
		json_t *sub;
		enum write_kind kind = W_CHECK;
		int err = txn_action(ti, &sub, &kind, e);
		if (err || (err = write_prepare(s, kind, sub, &ws[(*n)++], e)))
			return err;
		if (same_item_before(ws, *n - 1))
			return ddb_invalid(e, "Transaction request cannot include multiple "
					      "operations on one item");
	}
	return 0;
}

/* The request's digest for ClientRequestToken idempotency. */
static int request_digest(const json_t *req, char out[2 * SHA256_LEN + 1])
{
	char *text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return ERR_NOMEM;
	sha256_hex(text, strlen(text), out);
	free(text);
	return 0;
}

static json_t *cancel_reason(const struct write_op *w, const struct txn_result *r, const char *code)
{
	const char *rv = jsonx_str(w->req, "ReturnValuesOnConditionCheckFailure");
	json_t *reason = json_pack("{s:s}", "Code", code);
	if (reason && r->err && json_object_set_new(reason, "Message", json_string(r->e.msg)))
		goto fail;
	if (reason && r->err && r->old && rv && !strcmp(rv, "ALL_OLD") &&
	    json_object_set(reason, "Item", r->old))
		goto fail;
	return reason;
fail:
	json_decref(reason);
	return NULL;
}

/* The TransactionCanceledException: one CancellationReason per action. */
static int txn_cancel(const struct write_op *ws, const struct txn_result *res, size_t n,
		      struct ddb_err *e)
{
	json_t *reasons = json_array();
	struct buf codes;
	int err = reasons ? 0 : ERR_NOMEM;
	buf_init(&codes, CANCEL_CODES_MAX);
	for (size_t i = 0; !err && i < n; i++) {
		const char *code = res[i].err == ERR_PRECONDITION ? "ConditionalCheckFailed"
				   : res[i].err			  ? "ValidationError"
								  : "None";
		if (json_array_append_new(reasons, cancel_reason(&ws[i], &res[i], code)))
			err = ERR_NOMEM;
		buf_putf(&codes, "%s%s", i ? ", " : "", code);
	}
	if (!err)
		err = buf_error(&codes);
	if (!err && !(e->extra = json_pack("{s:O}", "CancellationReasons", reasons)))
		err = ERR_NOMEM;
	if (!err)
		err = ddb_fail(e, DDB_E_CANCELED,
			       "Transaction cancelled, please refer cancellation reasons for "
			       "specific reasons [%s]",
			       codes.ptr);
	json_decref(reasons);
	buf_release(&codes);
	return err;
}

/* Run the actions; a condition or validation failure of any cancels them all. */
static int txn_run(struct ddb_server *s, struct write_op *ws, size_t n, struct ddb_err *e)
{
	struct txn_result *res = calloc(n, sizeof(*res));
	bool cancel = false;
	int err = res ? 0 : ERR_NOMEM;
	for (size_t i = 0; !err && i < n; i++) {
		json_t *item = NULL;
		res[i].err = write_execute(s, &ws[i], &res[i].old, &item, &res[i].e);
		json_decref(item);
		if (res[i].err == ERR_PRECONDITION || res[i].err == ERR_INVAL)
			cancel = true;
		else if (res[i].err)
			err = res[i].err; /* ours: no reason to give */
	}
	if (!err && cancel)
		err = txn_cancel(ws, res, n, e);
	for (size_t i = 0; res && i < n; i++)
		json_decref(res[i].old);
	free(res);
	return err;
}

/* Run the transaction unless its token was seen (then it did run already). */
static int txn_once(struct ddb_server *s, const json_t *req, struct write_op *ws, size_t n,
		    struct ddb_err *e)
{
	const char *token = jsonx_str(req, "ClientRequestToken");
	char digest[2 * SHA256_LEN + 1], *prev = NULL;
	int err = request_digest(req, digest);
	if (!err && token)
		err = ddb_store_token_get(s->st, token, time_now_ms(), &prev);
	if (!err && prev && strcmp(prev, digest))
		err = ddb_fail(e, DDB_E_IDEMPOTENCY,
			       "Request token has been used with different parameters");
	if (!err && !prev)
		err = txn_run(s, ws, n, e);
	if (!err && !prev && token)
		err = ddb_store_token_put(s->st, token, digest, time_now_ms());
	free(prev);
	return err;
}

int ddb_op_transact_write(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *items = json_object_get(req, "TransactItems");
	size_t n = json_array_size(items), done = 0;
	struct write_op *ws;
	int err;
	if (!json_is_array(items) || n == 0 || n > DDB_TXN_MAX)
		return ddb_invalid(e,
				   "1 validation error detected: Value at 'transactItems' failed "
				   "to satisfy constraint: Member must have length less than or "
				   "equal to 100");
	if (!(ws = calloc(n, sizeof(*ws))))
		return ERR_NOMEM;
	err = txn_prepare(s, items, ws, &done, e);
	if (!err)
		err = ddb_store_begin(s->st);
	if (!err) {
		if (!(err = txn_once(s, req, ws, n, e)))
			err = ddb_store_commit(s->st);
		if (err)
			ddb_store_rollback(s->st);
	}
	if (!err)
		*resp = json_object();
	for (size_t i = 0; i < done; i++)
		write_release(&ws[i]);
	free(ws);
	return err;
}

/* ----- TransactGetItems --------------------------------------------------------- */

static int transact_get_one(struct ddb_server *s, const json_t *ti, json_t *out, struct ddb_err *e)
{
	json_t *get = json_object_get(ti, "Get"), *item = NULL;
	int err;
	if (!json_is_object(get))
		return ddb_invalid(e, "TransactItems can only contain Get");
	if ((err = read_one(s, get, &item, e)))
		return err;
	if (json_array_append_new(out, item ? json_pack("{s:o}", "Item", item) : json_object()))
		return ERR_NOMEM;
	return 0;
}

int ddb_op_transact_get(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	json_t *items = json_object_get(req, "TransactItems"), *ti, *out;
	size_t i, n = json_array_size(items);
	int err;
	if (!json_is_array(items) || n == 0 || n > DDB_TXN_MAX)
		return ddb_invalid(e,
				   "1 validation error detected: Value at 'transactItems' failed "
				   "to satisfy constraint: Member must have length less than or "
				   "equal to 100");
	if (!(out = json_array()))
		return ERR_NOMEM;
	/* One read transaction: every item as of the same moment. */
	if (!(err = ddb_store_begin(s->st))) {
		json_array_foreach(items, i, ti)
		{
			if (!err)
				err = transact_get_one(s, ti, out, e);
		}
		ddb_store_rollback(s->st);
	}
	if (err) {
		json_decref(out);
		return err;
	}
	*resp = json_pack("{s:o}", "Responses", out);
	return 0;
}
