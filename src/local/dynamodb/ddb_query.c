/*
 * Query and Scan of the local DynamoDB, on the table or on a global
 * secondary index. A KeyConditionExpression is reduced to a partition key
 * value and a sort key range or prefix, which the store reads in key order
 * (memcmp order of the key bytes, which is DynamoDB's order). Limit counts
 * items read before the FilterExpression, and a page also ends after
 * DDB_PAGE_MAX bytes read, as in DynamoDB; LastEvaluatedKey is then the key
 * of the last item read.
 */
#include "core/common.h"

#include "core/json.h"
#include "local/dynamodb/ddb_int.h"

struct page {
	const struct ddb_table *t;
	const struct ddb_index *ix;
	struct ddb_expression *x;
	const struct ddb_node *filter;
	bool count_only;
	json_int_t limit; /* 0: none */
	json_int_t segment, segments;
	json_t *items;
	json_int_t count, scanned;
	size_t bytes;
	json_t *last; /* the item last read (its keys make LastEvaluatedKey) */
	struct ddb_err *e;
};

static int key_type_error(struct ddb_err *e)
{
	return ddb_invalid(e, "One or more parameter values were invalid: Condition parameter "
			      "type does not match schema type");
}

static bool is_path(const struct ddb_node *n, const char *attr)
{
	return n && n->kind == DN_PATH && n->path->n == 1 && n->path->e[0].index < 0 &&
	       str_eq_cstr(n->path->e[0].name, attr);
}

struct key_cond {
	json_t *hash;
	struct buf pk, lo, hi, prefix;
	bool has_lo, has_hi, has_prefix, lo_incl, hi_incl;
};

static int value_bytes(const struct ddb_node *n, enum ddb_type want, struct buf *out,
		       struct ddb_err *e)
{
	if (!n || n->kind != DN_VALUE)
		return ddb_invalid(e, "Invalid KeyConditionExpression: Query key condition not "
				      "supported");
	if (ddb_type_of(n->value) != want)
		return key_type_error(e);
	buf_reset(out);
	return ddb_key_bytes(n->value, out) ? ddb_internal(e) : 0;
}

static int range_cond(const struct ddb_key_schema *ks, const struct ddb_node *n,
		      struct key_cond *kc, struct ddb_err *e)
{
	if (!ks->range || !is_path(n->a, ks->range))
		return ddb_invalid(e, "Query condition missed key schema element: %s",
				   ks->range ? ks->range : ks->hash);
	if (n->kind == DN_BEGINS_WITH) {
		if (ks->rtype == DDB_T_N)
			return ddb_invalid(e, "Invalid KeyConditionExpression: Incorrect operand "
					      "type for operator or function; operator or "
					      "function: begins_with, operand type: N");
		kc->has_prefix = true;
		return value_bytes(n->b, ks->rtype, &kc->prefix, e);
	}
	if (n->kind == DN_BETWEEN) {
		kc->has_lo = kc->has_hi = kc->lo_incl = kc->hi_incl = true;
		return value_bytes(n->b, ks->rtype, &kc->lo, e) ||
		       value_bytes(n->c, ks->rtype, &kc->hi, e);
	}
	if (n->kind != DN_CMP || n->op == DC_NE)
		return ddb_invalid(e, "Invalid KeyConditionExpression: Query key condition not "
				      "supported");
	bool lo = n->op == DC_EQ || n->op == DC_GT || n->op == DC_GE;
	bool hi = n->op == DC_EQ || n->op == DC_LT || n->op == DC_LE;
	if (lo) {
		kc->has_lo = true;
		kc->lo_incl = n->op != DC_GT;
		if (value_bytes(n->b, ks->rtype, &kc->lo, e))
			return -1;
	}
	if (hi) {
		kc->has_hi = true;
		kc->hi_incl = n->op != DC_LT;
		if (value_bytes(n->b, ks->rtype, &kc->hi, e))
			return -1;
	}
	return 0;
}

static int key_condition(const struct ddb_key_schema *ks, const struct ddb_node *n,
			 struct key_cond *kc, struct ddb_err *e)
{
	const struct ddb_node *h = n, *r = NULL;
	if (n->kind == DN_AND) {
		h = n->a;
		r = n->b;
		if (!(h->kind == DN_CMP && is_path(h->a, ks->hash) && h->op == DC_EQ)) {
			h = n->b;
			r = n->a;
		}
	}
	if (h->kind != DN_CMP && h->kind != DN_BETWEEN && h->kind != DN_BEGINS_WITH)
		return ddb_invalid(e, "Invalid KeyConditionExpression: Query key condition not "
				      "supported");
	if (!is_path(h->a, ks->hash) || h->kind != DN_CMP)
		return ddb_invalid(e, "Query condition missed key schema element: %s", ks->hash);
	if (h->op != DC_EQ)
		return ddb_invalid(e, "Query key condition not supported");
	if (value_bytes(h->b, ks->htype, &kc->pk, e))
		return -1;
	kc->hash = h->b->value;
	if (r && (r->kind == DN_AND || r->kind == DN_OR || r->kind == DN_NOT))
		return ddb_invalid(e, "Invalid KeyConditionExpression: Query key condition not "
				      "supported");
	return r ? range_cond(ks, r, kc, e) : 0;
}

/* DynamoDB rejects a Query FilterExpression on the key being queried. */
static int filter_uses_key(const struct ddb_node *n, const struct ddb_key_schema *ks,
			   struct ddb_err *e)
{
	if (!n)
		return 0;
	if (n->kind == DN_PATH) {
		const char *keys[2] = {ks->hash, ks->range};
		for (int i = 0; i < 2; i++)
			if (keys[i] && str_eq_cstr(n->path->e[0].name, keys[i]))
				return ddb_invalid(e,
						   "Filter Expression can only contain non-primary "
						   "key attributes: Primary key attribute: %s",
						   keys[i]);
		return 0;
	}
	for (int i = 0; i < n->nlist; i++)
		if (filter_uses_key(n->list[i], ks, e))
			return -1;
	return filter_uses_key(n->a, ks, e) || filter_uses_key(n->b, ks, e) ||
			       filter_uses_key(n->c, ks, e)
		       ? -1
		       : 0;
}

/* The item as an index holds it (its projection). New reference. */
static json_t *index_view(const struct page *p, json_t *item)
{
	const struct ddb_index *ix = p->ix;
	if (!ix || !strcmp(ix->projection, "ALL"))
		return json_incref(item);
	json_t *out = ddb_key_of(&p->t->key, item), *v;
	const char *k[2] = {ix->key.hash, ix->key.range};
	size_t i;
	for (int j = 0; j < 2; j++)
		if (k[j] && json_object_get(item, k[j]))
			json_object_set(out, k[j], json_object_get(item, k[j]));
	if (!strcmp(ix->projection, "INCLUDE"))
		json_array_foreach(ix->non_key, i,
				   v) if (json_is_string(v) &&
					  json_object_get(item, json_string_value(v)))
			json_object_set(out, json_string_value(v),
					json_object_get(item, json_string_value(v)));
	return out;
}

static uint32_t fnv1a(const struct buf *b)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < b->len; i++)
		h = (h ^ (uint8_t)b->ptr[i]) * 16777619u;
	return h;
}

static int on_row(void *arg, json_t *item, const struct buf *keys)
{
	struct page *p = arg;
	bool ok = true;
	if (p->segments > 1 &&
	    (json_int_t)(fnv1a(&keys[p->ix ? 2 : 0]) % p->segments) != p->segment)
		return 0;
	json_t *view = index_view(p, item);
	p->scanned++;
	p->bytes += ddb_item_size(item);
	json_decref(p->last);
	p->last = json_incref(item);
	if (p->filter && ddb_expr_eval(p->x, p->filter, view, &ok, p->e)) {
		json_decref(view);
		return -1;
	}
	if (ok) {
		p->count++;
		if (!p->count_only)
			json_array_append_new(
				p->items, p->x->nproj ? ddb_project(view, p->x->proj, p->x->nproj)
						      : json_incref(view));
	}
	json_decref(view);
	if ((p->limit && p->scanned >= p->limit) || p->bytes >= DDB_PAGE_MAX)
		return 1;
	json_decref(p->last);
	p->last = NULL;
	return 0;
}

/* ExclusiveStartKey into the range's start keys. */
static int start_key(const struct page *p, const json_t *esk, struct buf b[4], struct ddb_err *e)
{
	if (!json_is_object(esk) || ddb_item_check((json_t *)esk, e))
		return ddb_invalid(e, "The provided starting key is invalid");
	const char *names[4] = {p->t->key.hash, p->t->key.range, p->ix ? p->ix->key.hash : NULL,
				p->ix ? p->ix->key.range : NULL};
	size_t want = 0;
	for (int i = 0; i < 4; i++) {
		bool dup = !names[i];
		for (int j = 0; j < i && !dup; j++)
			dup = names[j] && !strcmp(names[i], names[j]);
		want += !dup;
	}
	if (p->ix && ddb_item_key(&p->ix->key, esk, false, false, p->ix->name, &b[0], &b[1], e))
		goto bad;
	if (json_object_size(esk) != want || ddb_item_key(&p->t->key, esk, false, false, NULL,
							  &b[p->ix ? 2 : 0], &b[p->ix ? 3 : 1], e))
		goto bad;
	return 0;
bad:
	return ddb_invalid(e, "The provided starting key is invalid: The provided key element "
			      "does not match the schema");
}

static json_t *last_key(const struct page *p)
{
	json_t *k = ddb_key_of(&p->t->key, p->last);
	if (p->ix) {
		json_object_set(k, p->ix->key.hash, json_object_get(p->last, p->ix->key.hash));
		if (p->ix->key.range)
			json_object_set(k, p->ix->key.range,
					json_object_get(p->last, p->ix->key.range));
	}
	return k;
}

static int read_page(struct ddb_server *s, json_t *req, bool is_query, json_t **resp,
		     struct ddb_err *e)
{
	struct ddb_table t;
	struct page p = {0};
	struct key_cond kc = {0};
	struct ddb_range r = {0};
	struct buf start[4];
	const char *select = jsonx_str(req, "Select"), *index = jsonx_str(req, "IndexName");
	json_t *limit = json_object_get(req, "Limit"),
	       *esk = json_object_get(req, "ExclusiveStartKey");
	int rc = -1;
	buf_init(&kc.pk, BUF_NOCAP);
	buf_init(&kc.lo, BUF_NOCAP);
	buf_init(&kc.hi, BUF_NOCAP);
	buf_init(&kc.prefix, BUF_NOCAP);
	for (int i = 0; i < 4; i++)
		buf_init(&start[i], BUF_NOCAP);
	p.e = e;
	if (ddb_table_load(s, json_object_get(req, "TableName"), &t, e))
		goto done;
	p.t = &t;
	if (index && !(p.ix = ddb_table_index(&t, index))) {
		ddb_invalid(e, "The table does not have the specified index: %s", index);
		goto done;
	}
	if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 1)) {
		ddb_invalid(e,
			    "1 validation error detected: Value '%" JSON_INTEGER_FORMAT "' at "
			    "'limit' failed to satisfy constraint: Member must have value "
			    "greater than or equal to 1",
			    json_integer_value(limit));
		goto done;
	}
	p.limit = limit ? json_integer_value(limit) : 0;
	if (select && strcmp(select, "ALL_ATTRIBUTES") && strcmp(select, "COUNT") &&
	    strcmp(select, "SPECIFIC_ATTRIBUTES") && strcmp(select, "ALL_PROJECTED_ATTRIBUTES")) {
		ddb_invalid(e,
			    "1 validation error detected: Value '%.32s' at 'select' failed to "
			    "satisfy constraint: Member must satisfy enum value set: "
			    "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
			    "ALL_PROJECTED_ATTRIBUTES]",
			    select);
		goto done;
	}
	p.count_only = select && !strcmp(select, "COUNT");
	if (select && !strcmp(select, "ALL_ATTRIBUTES") && p.ix &&
	    strcmp(p.ix->projection, "ALL")) {
		ddb_invalid(e,
			    "One or more parameter values were invalid: Select type "
			    "ALL_ATTRIBUTES is not supported for global secondary index %s "
			    "because its projection type is not ALL",
			    p.ix->name);
		goto done;
	}
	if (!(p.x = ddb_expr_new_for(req, e)))
		goto done;
	if (is_query) {
		if (!json_is_string(json_object_get(req, "KeyConditionExpression"))) {
			ddb_invalid(e, "Either the KeyConditions or KeyConditionExpression "
				       "parameter must be specified in the request.");
			goto done;
		}
		if (ddb_parse_param(p.x, req, "KeyConditionExpression", false, e) ||
		    key_condition(p.ix ? &p.ix->key : &t.key, p.x->root, &kc, e))
			goto done;
		p.x->root = NULL;
	} else {
		json_t *seg = json_object_get(req, "Segment"),
		       *tot = json_object_get(req, "TotalSegments");
		if (!!seg != !!tot ||
		    (tot && (json_integer_value(tot) < 1 || json_integer_value(tot) > 1000000 ||
			     json_integer_value(seg) < 0 ||
			     json_integer_value(seg) >= json_integer_value(tot)))) {
			ddb_invalid(e, "The Segment parameter is zero-based and must be less than "
				       "parameter TotalSegments");
			goto done;
		}
		p.segment = json_integer_value(seg);
		p.segments = tot ? json_integer_value(tot) : 0;
	}
	if (ddb_parse_param(p.x, req, "FilterExpression", false, e) ||
	    ddb_parse_param(p.x, req, "ProjectionExpression", true, e) ||
	    ddb_expr_check_unused(p.x, e))
		goto done;
	if (p.count_only && p.x->nproj) {
		ddb_invalid(e, "Cannot specify the ProjectionExpression when choosing to get only "
			       "the Count");
		goto done;
	}
	p.filter = p.x->root;
	if (is_query && p.filter && filter_uses_key(p.filter, p.ix ? &p.ix->key : &t.key, e))
		goto done;
	if (esk && start_key(&p, esk, start, e))
		goto done;
	p.items = json_array();
	r.table = t.name;
	r.index = p.ix ? p.ix->name : NULL;
	r.pk = is_query ? &kc.pk : NULL;
	r.lo = kc.has_lo ? &kc.lo : NULL;
	r.lo_incl = kc.lo_incl;
	r.hi = kc.has_hi ? &kc.hi : NULL;
	r.hi_incl = kc.hi_incl;
	r.prefix = kc.has_prefix ? &kc.prefix : NULL;
	r.forward = jsonx_bool(req, "ScanIndexForward", true) || !is_query;
	for (int i = 0; esk && i < 4; i++)
		r.start[i] = &start[i];
	if (ddb_store_range(s->st, &r, on_row, &p)) {
		if (!e->type)
			ddb_internal(e);
		goto done;
	}
	*resp = json_pack("{s:I,s:I}", "Count", p.count, "ScannedCount", p.scanned);
	if (!p.count_only)
		json_object_set(*resp, "Items", p.items);
	if (p.last)
		json_object_set_new(*resp, "LastEvaluatedKey", last_key(&p));
	rc = 0;
done:
	json_decref(p.items);
	json_decref(p.last);
	ddb_expr_free(p.x);
	ddb_table_release(&t);
	buf_release(&kc.pk);
	buf_release(&kc.lo);
	buf_release(&kc.hi);
	buf_release(&kc.prefix);
	for (int i = 0; i < 4; i++)
		buf_release(&start[i]);
	return rc;
}

int ddb_op_query(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return read_page(s, req, true, resp, e);
}

int ddb_op_scan(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return read_page(s, req, false, resp, e);
}
