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

#define MAX_SEGMENTS 1000000 /* TotalSegments, as DynamoDB bounds it */

/* The key condition of a Query, as bounds on the key bytes. */
struct key_cond {
	struct buf pk;		   /* capped at DDB_PK_BUF */
	struct buf lo, hi, prefix; /* capped at DDB_SK_BUF */
	bool has_lo, has_hi, has_prefix, lo_incl, hi_incl;
};

/* One Query or Scan page being read. */
struct page {
	bool is_query;
	struct ddb_table t;
	const struct ddb_index *ix; /* NULL: the table itself */
	struct ddb_expression *x;
	const struct ddb_node *filter;
	bool count_only;
	json_int_t limit; /* 0: none */
	json_int_t segment, segments;
	struct key_cond kc;
	struct buf start[4]; /* ExclusiveStartKey, in the order of the read */
	bool has_start;
	json_t *items;
	json_int_t count, scanned;
	size_t bytes;
	json_t *last; /* the item last read (its keys make LastEvaluatedKey) */
	struct ddb_err *e;
};

static void page_init(struct page *p, bool is_query, struct ddb_err *e)
{
	memset(p, 0, sizeof(*p));
	p->is_query = is_query;
	p->e = e;
	buf_init(&p->kc.pk, DDB_PK_BUF);
	buf_init(&p->kc.lo, DDB_SK_BUF);
	buf_init(&p->kc.hi, DDB_SK_BUF);
	buf_init(&p->kc.prefix, DDB_SK_BUF);
	/* (pk, sk) of the table, or (ipk, isk, pk, sk) of an index: caps alternate. */
	for (int i = 0; i < 4; i++)
		buf_init(&p->start[i], i % 2 ? DDB_SK_BUF : DDB_PK_BUF);
}

static void page_release(struct page *p)
{
	json_decref(p->items);
	json_decref(p->last);
	ddb_expr_free(p->x);
	ddb_table_release(&p->t);
	buf_release(&p->kc.pk);
	buf_release(&p->kc.lo);
	buf_release(&p->kc.hi);
	buf_release(&p->kc.prefix);
	for (int i = 0; i < 4; i++)
		buf_release(&p->start[i]);
}

/* ----- KeyConditionExpression ------------------------------------------------- */

static int unsupported_condition(struct ddb_err *e)
{
	return ddb_invalid(e, "Invalid KeyConditionExpression: Query key condition not supported");
}

static bool is_path(const struct ddb_node *n, const char *attr)
{
	return n && n->kind == DN_PATH && n->path->n == 1 && n->path->e[0].index < 0 &&
	       str_eq_cstr(n->path->e[0].name, attr);
}

/* The key bytes of the :value `n` into `out`, whose cap is the key's limit. */
static int value_bytes(const struct ddb_node *n, enum ddb_type want, struct buf *out,
		       struct ddb_err *e)
{
	int err;
	if (!n || n->kind != DN_VALUE)
		return unsupported_condition(e);
	if (ddb_type_of(n->value) != want)
		return ddb_invalid(e, "One or more parameter values were invalid: Condition "
				      "parameter type does not match schema type");
	buf_reset(out);
	err = ddb_key_bytes(n->value, out);
	if (err == ERR_TOOLARGE && out->cap == DDB_PK_BUF)
		return ddb_invalid(e, "One or more parameter values were invalid: Size of hashkey "
				      "has exceeded the maximum size limit of2048 bytes");
	if (err == ERR_TOOLARGE)
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Aggregated size "
				   "of all range keys has exceeded the size limit of 1024 bytes");
	return err;
}

/* `sk` op :v, as lower and upper bounds. */
static int range_cmp(const struct ddb_key_schema *ks, const struct ddb_node *n, struct key_cond *kc,
		     struct ddb_err *e)
{
	bool lo = n->op == DC_EQ || n->op == DC_GT || n->op == DC_GE;
	bool hi = n->op == DC_EQ || n->op == DC_LT || n->op == DC_LE;
	int err = 0;
	if (n->kind != DN_CMP || n->op == DC_NE)
		return unsupported_condition(e);
	if (lo) {
		kc->has_lo = true;
		kc->lo_incl = n->op != DC_GT;
		err = value_bytes(n->b, ks->rtype, &kc->lo, e);
	}
	if (!err && hi) {
		kc->has_hi = true;
		kc->hi_incl = n->op != DC_LT;
		err = value_bytes(n->b, ks->rtype, &kc->hi, e);
	}
	return err;
}

static int range_cond(const struct ddb_key_schema *ks, const struct ddb_node *n,
		      struct key_cond *kc, struct ddb_err *e)
{
	int err;
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
		if ((err = value_bytes(n->b, ks->rtype, &kc->lo, e)))
			return err;
		return value_bytes(n->c, ks->rtype, &kc->hi, e);
	}
	return range_cmp(ks, n, kc, e);
}

static int key_condition(const struct ddb_key_schema *ks, const struct ddb_node *n,
			 struct key_cond *kc, struct ddb_err *e)
{
	const struct ddb_node *h = n, *r = NULL;
	int err;
	if (n->kind == DN_AND) {
		h = n->a;
		r = n->b;
		if (!(h->kind == DN_CMP && is_path(h->a, ks->hash) && h->op == DC_EQ)) {
			h = n->b;
			r = n->a;
		}
	}
	if (h->kind != DN_CMP && h->kind != DN_BETWEEN && h->kind != DN_BEGINS_WITH)
		return unsupported_condition(e);
	if (!is_path(h->a, ks->hash) || h->kind != DN_CMP)
		return ddb_invalid(e, "Query condition missed key schema element: %s", ks->hash);
	if (h->op != DC_EQ)
		return ddb_invalid(e, "Query key condition not supported");
	if ((err = value_bytes(h->b, ks->htype, &kc->pk, e)))
		return err;
	if (r && (r->kind == DN_AND || r->kind == DN_OR || r->kind == DN_NOT))
		return unsupported_condition(e);
	return r ? range_cond(ks, r, kc, e) : 0;
}

/* DynamoDB rejects a Query FilterExpression on the key being queried. */
static int filter_uses_key(const struct ddb_node *n, const struct ddb_key_schema *ks,
			   struct ddb_err *e)
{
	const char *keys[2] = {ks->hash, ks->range};
	const struct ddb_node *kids[3] = {n ? n->a : NULL, n ? n->b : NULL, n ? n->c : NULL};
	int err = 0;
	if (!n)
		return 0;
	if (n->kind == DN_PATH) {
		for (int i = 0; i < 2; i++)
			if (keys[i] && str_eq_cstr(n->path->e[0].name, keys[i]))
				return ddb_invalid(e,
						   "Filter Expression can only contain non-primary "
						   "key attributes: Primary key attribute: %s",
						   keys[i]);
		return 0;
	}
	for (int i = 0; !err && i < n->nlist; i++)
		err = filter_uses_key(n->list[i], ks, e);
	for (int i = 0; !err && i < 3; i++)
		err = filter_uses_key(kids[i], ks, e);
	return err;
}

/* ----- the request ------------------------------------------------------------ */

static int check_select(const json_t *req, struct page *p, struct ddb_err *e)
{
	const char *select = jsonx_str(req, "Select");
	if (select && strcmp(select, "ALL_ATTRIBUTES") && strcmp(select, "COUNT") &&
	    strcmp(select, "SPECIFIC_ATTRIBUTES") && strcmp(select, "ALL_PROJECTED_ATTRIBUTES"))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%.32s' at 'select' failed "
				   "to satisfy constraint: Member must satisfy enum value set: "
				   "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
				   "ALL_PROJECTED_ATTRIBUTES]",
				   select);
	p->count_only = select && !strcmp(select, "COUNT");
	if (select && !strcmp(select, "ALL_ATTRIBUTES") && p->ix &&
	    strcmp(p->ix->projection, "ALL"))
		return ddb_invalid(e,
				   "One or more parameter values were invalid: Select type "
				   "ALL_ATTRIBUTES is not supported for global secondary index %s "
				   "because its projection type is not ALL",
				   p->ix->name);
	return 0;
}

/* IndexName, Limit and Select. */
static int check_params(const json_t *req, struct page *p, struct ddb_err *e)
{
	const char *index = jsonx_str(req, "IndexName");
	json_t *limit = json_object_get(req, "Limit");
	if (index && !(p->ix = ddb_table_index(&p->t, index)))
		return ddb_invalid(e, "The table does not have the specified index: %s", index);
	if (limit && (!json_is_integer(limit) || json_integer_value(limit) < 1))
		return ddb_invalid(e,
				   "1 validation error detected: Value '%" JSON_INTEGER_FORMAT
				   "' at 'limit' failed to satisfy constraint: Member must have "
				   "value greater than or equal to 1",
				   json_integer_value(limit));
	p->limit = limit ? json_integer_value(limit) : 0;
	return check_select(req, p, e);
}

static const struct ddb_key_schema *read_key(const struct page *p)
{
	return p->ix ? &p->ix->key : &p->t.key;
}

static int parse_key_condition(const json_t *req, struct page *p, struct ddb_err *e)
{
	int err;
	if (!json_is_string(json_object_get(req, "KeyConditionExpression")))
		return ddb_invalid(e, "Either the KeyConditions or KeyConditionExpression "
				      "parameter must be specified in the request.");
	if ((err = ddb_parse_param(p->x, req, "KeyConditionExpression", false, e)) ||
	    (err = key_condition(read_key(p), p->x->root, &p->kc, e)))
		return err;
	p->x->root = NULL; /* the FilterExpression, if any, is parsed next */
	return 0;
}

static int check_segments(const json_t *req, struct page *p, struct ddb_err *e)
{
	json_t *seg = json_object_get(req, "Segment"), *tot = json_object_get(req, "TotalSegments");
	json_int_t s = json_integer_value(seg), n = json_integer_value(tot);
	if (!!seg != !!tot || (tot && (n < 1 || n > MAX_SEGMENTS || s < 0 || s >= n)))
		return ddb_invalid(e, "The Segment parameter is zero-based and must be less than "
				      "parameter TotalSegments");
	p->segment = s;
	p->segments = tot ? n : 0;
	return 0;
}

/* FilterExpression and ProjectionExpression, after the key condition. */
static int parse_filter(const json_t *req, struct page *p, struct ddb_err *e)
{
	int err;
	if ((err = ddb_parse_param(p->x, req, "FilterExpression", false, e)) ||
	    (err = ddb_parse_param(p->x, req, "ProjectionExpression", true, e)) ||
	    (err = ddb_expr_check_unused(p->x, e)))
		return err;
	if (p->count_only && p->x->nproj)
		return ddb_invalid(e,
				   "Cannot specify the ProjectionExpression when choosing to get "
				   "only the Count");
	p->filter = p->x->root;
	if (p->is_query && p->filter)
		return filter_uses_key(p->filter, read_key(p), e);
	return 0;
}

#define BAD_START_KEY                                                                        \
	"The provided starting key is invalid: The provided key element does not match the " \
	"schema"

/* How many distinct key attributes an ExclusiveStartKey holds: the table's and the index's. */
static size_t start_key_size(const struct page *p)
{
	const char *names[4] = {p->t.key.hash, p->t.key.range, p->ix ? p->ix->key.hash : NULL,
				p->ix ? p->ix->key.range : NULL};
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		bool dup = !names[i];
		for (int j = 0; j < i && !dup; j++)
			dup = names[j] && !strcmp(names[i], names[j]);
		n += !dup;
	}
	return n;
}

/* ExclusiveStartKey into the range's start keys. */
static int start_key(const json_t *req, struct page *p, struct ddb_err *e)
{
	json_t *esk = json_object_get(req, "ExclusiveStartKey");
	const struct ddb_index *ix = p->ix;
	int err = 0;
	if (!esk)
		return 0;
	if (!json_is_object(esk))
		return ddb_invalid(e, "The provided starting key is invalid");
	if ((err = ddb_item_check(esk, e)))
		return e->type ? ddb_invalid(e, "The provided starting key is invalid") : err;
	if (ix)
		err = ddb_item_key(&ix->key, esk, false, ix->name, &p->start[0], &p->start[1], e);
	if (!err && json_object_size(esk) != start_key_size(p))
		return ddb_invalid(e, BAD_START_KEY);
	if (!err)
		err = ddb_item_key(&p->t.key, esk, false, NULL, &p->start[ix ? 2 : 0],
				   &p->start[ix ? 3 : 1], e);
	if (err)
		return e->type ? ddb_invalid(e, BAD_START_KEY) : err;
	p->has_start = true;
	return 0;
}

/* ----- reading ------------------------------------------------------------------ */

/* The item as an index holds it (its projection). New reference, NULL on OOM. */
static json_t *index_view(const struct page *p, json_t *item)
{
	const struct ddb_index *ix = p->ix;
	const char *k[2] = {ix ? ix->key.hash : NULL, ix ? ix->key.range : NULL};
	size_t i;
	json_t *out, *v;
	if (!ix || !strcmp(ix->projection, "ALL"))
		return json_incref(item);
	if (!(out = ddb_key_of(&p->t.key, item)))
		return NULL;
	for (int j = 0; j < 2; j++)
		if (k[j] && json_object_get(item, k[j]) &&
		    json_object_set(out, k[j], json_object_get(item, k[j])))
			goto fail;
	json_array_foreach(!strcmp(ix->projection, "INCLUDE") ? ix->non_key : NULL, i, v)
	{
		const char *name = json_string_value(v);
		if (name && json_object_get(item, name) &&
		    json_object_set(out, name, json_object_get(item, name)))
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static uint32_t fnv1a(const struct buf *b)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < b->len; i++)
		h = (h ^ (uint8_t)b->ptr[i]) * 16777619u;
	return h;
}

/* Count a row the filter kept and add it (or its projection) to the page. */
static int keep_row(struct page *p, json_t *view)
{
	json_t *out;
	p->count++;
	if (p->count_only)
		return 0;
	out = p->x->nproj ? ddb_project(view, p->x->proj, p->x->nproj) : json_incref(view);
	return json_array_append_new(p->items, out) ? ERR_NOMEM : 0;
}

static int on_row(void *arg, json_t *item, const struct buf *keys)
{
	struct page *p = arg;
	bool ok = true;
	int err;
	if (p->segments > 1 &&
	    (json_int_t)(fnv1a(&keys[p->ix ? 2 : 0]) % p->segments) != p->segment)
		return 0;
	json_t *view = index_view(p, item);
	if (!view)
		return ERR_NOMEM;
	p->scanned++;
	p->bytes += ddb_item_size(item);
	json_decref(p->last);
	p->last = json_incref(item);
	err = p->filter ? ddb_expr_eval(p->x, p->filter, view, &ok, p->e) : 0;
	if (!err && ok)
		err = keep_row(p, view);
	json_decref(view);
	if (err)
		return err;
	if ((p->limit && p->scanned >= p->limit) || p->bytes >= DDB_PAGE_MAX)
		return 1; /* the page is full: p->last makes LastEvaluatedKey */
	json_decref(p->last);
	p->last = NULL;
	return 0;
}

static int read_rows(struct ddb_server *s, const json_t *req, struct page *p)
{
	const struct key_cond *kc = &p->kc;
	struct ddb_range r = {
		.table = p->t.name,
		.index = p->ix ? p->ix->name : NULL,
		.pk = p->is_query ? &kc->pk : NULL,
		.lo = kc->has_lo ? &kc->lo : NULL,
		.lo_incl = kc->lo_incl,
		.hi = kc->has_hi ? &kc->hi : NULL,
		.hi_incl = kc->hi_incl,
		.prefix = kc->has_prefix ? &kc->prefix : NULL,
		.forward = jsonx_bool(req, "ScanIndexForward", true) || !p->is_query,
	};
	for (int i = 0; p->has_start && i < 4; i++)
		r.start[i] = &p->start[i];
	if (!(p->items = json_array()))
		return ERR_NOMEM;
	return ddb_store_range(s->st, &r, on_row, p);
}

static json_t *last_key(const struct page *p)
{
	const struct ddb_index *ix = p->ix;
	json_t *k = ddb_key_of(&p->t.key, p->last);
	if (k && ix &&
	    (json_object_set(k, ix->key.hash, json_object_get(p->last, ix->key.hash)) ||
	     (ix->key.range &&
	      json_object_set(k, ix->key.range, json_object_get(p->last, ix->key.range))))) {
		json_decref(k);
		return NULL;
	}
	return k;
}

/* The answer: Count, ScannedCount, Items unless counting, LastEvaluatedKey. */
static json_t *page_answer(const struct page *p)
{
	json_t *resp = json_pack("{s:I,s:I}", "Count", p->count, "ScannedCount", p->scanned);
	if (resp && !p->count_only && json_object_set(resp, "Items", p->items))
		goto fail;
	if (resp && p->last && json_object_set_new(resp, "LastEvaluatedKey", last_key(p)))
		goto fail;
	return resp;
fail:
	json_decref(resp);
	return NULL;
}

static int read_page(struct ddb_server *s, json_t *req, bool is_query, json_t **resp,
		     struct ddb_err *e)
{
	struct page p;
	page_init(&p, is_query, e);
	int err = ddb_table_load(s, json_object_get(req, "TableName"), &p.t, e);
	if (!err)
		err = check_params(req, &p, e);
	if (!err)
		err = ddb_expr_new_for(req, &p.x, e);
	if (!err)
		err = is_query ? parse_key_condition(req, &p, e) : check_segments(req, &p, e);
	if (!err)
		err = parse_filter(req, &p, e);
	if (!err)
		err = start_key(req, &p, e);
	if (!err)
		err = read_rows(s, req, &p);
	if (!err)
		*resp = page_answer(&p);
	page_release(&p);
	return err;
}

int ddb_op_query(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return read_page(s, req, true, resp, e);
}

int ddb_op_scan(struct ddb_server *s, json_t *req, json_t **resp, struct ddb_err *e)
{
	return read_page(s, req, false, resp, e);
}
