/*
 * Evaluation of parsed DynamoDB expressions (ddb_expr_parse.c) against items
 * in wire form: conditions, the actions of an update, and projections.
 * Operands are computed on the item *before* an update, as DynamoDB does,
 * and removals of list elements run last, from the highest index down, so
 * that every index names a position of the old list. Values here were
 * checked when the request was read, so their shape is trusted; what can
 * still fail is the client's (a type error, a path that leads nowhere, a
 * number out of range: ValidationException) or ours (out of memory).
 */
#include "core/common.h"

#include "core/enc.h"
#include "local/dynamodb/ddb_int.h"

json_t *ddb_path_get(const json_t *item, const struct ddb_path *path)
{
	json_t *v = NULL;
	for (int i = 0; item && i < path->n; i++) {
		const struct ddb_path_elem *el = &path->e[i];
		if (i == 0)
			v = el->index >= 0 ? NULL
					   : json_object_getn(item, el->name.ptr, el->name.len);
		else if (el->index >= 0)
			v = ddb_type_of(v) == DDB_T_L
				    ? json_array_get(ddb_payload(v), (size_t)el->index)
				    : NULL;
		else
			v = ddb_type_of(v) == DDB_T_M
				    ? json_object_getn(ddb_payload(v), el->name.ptr, el->name.len)
				    : NULL;
		if (!v)
			return NULL;
	}
	return v;
}

static int type_error(struct ddb_err *e, const char *op, enum ddb_type t)
{
	return ddb_invalid(e,
			   "An operand in the update expression has an incorrect data type"
			   "; operator or function: %s, operand type: %s",
			   op, ddb_type_name(t));
}

/* ----- operands ----------------------------------------------------------------- */

/* size(): characters of S, bytes of B, elements of sets, lists and maps.
 * *out NULL for a type that has no size. */
static int size_of(const json_t *v, json_t **out)
{
	json_t *p = ddb_payload(v);
	struct ddb_num n;
	uint64_t size;
	*out = NULL;
	switch (ddb_type_of(v)) {
	case DDB_T_S:
		size = utf8_count(json_string_value(p), json_string_length(p));
		break;
	case DDB_T_B:
		size = ddb_value_size(v); /* the decoded length */
		break;
	case DDB_T_M:
		size = json_object_size(p);
		break;
	case DDB_T_L:
	case DDB_T_SS:
	case DDB_T_NS:
	case DDB_T_BS:
		size = json_array_size(p);
		break;
	default:
		return 0;
	}
	ddb_num_from_u64(&n, size);
	return (*out = ddb_value_from_num(&n)) ? 0 : ERR_NOMEM;
}

static int list_append(const json_t *a, const json_t *b, json_t **out, struct ddb_err *e)
{
	json_t *list;
	if (ddb_type_of(a) != DDB_T_L || ddb_type_of(b) != DDB_T_L)
		return type_error(e, "list_append",
				  ddb_type_of(a) != DDB_T_L ? ddb_type_of(a) : ddb_type_of(b));
	list = json_copy(ddb_payload(a));
	if (!list || json_array_extend(list, ddb_payload(b))) {
		json_decref(list);
		return ERR_NOMEM;
	}
	return (*out = json_pack("{s:o}", "L", list)) ? 0 : ERR_NOMEM;
}

static int arithmetic(const json_t *a, const json_t *b, bool minus, json_t **out, struct ddb_err *e)
{
	struct ddb_num x, y, r;
	int err;
	if (ddb_type_of(a) != DDB_T_N || ddb_type_of(b) != DDB_T_N)
		return type_error(e, minus ? "-" : "+",
				  ddb_type_of(a) != DDB_T_N ? ddb_type_of(a) : ddb_type_of(b));
	ddb_value_num(a, &x);
	ddb_value_num(b, &y);
	if ((err = ddb_num_add(&x, &y, minus, &r, e)))
		return err;
	return (*out = ddb_value_from_num(&r)) ? 0 : ERR_NOMEM;
}

static int eval_operand(const struct ddb_node *n, const json_t *item, json_t **out,
			struct ddb_err *e);

/* a + b, a - b, list_append(a, b): both operands must exist. */
static int eval_binary(const struct ddb_node *n, const json_t *item, json_t **out,
		       struct ddb_err *e)
{
	json_t *a = NULL, *b = NULL;
	int err = eval_operand(n->a, item, &a, e);
	if (!err)
		err = eval_operand(n->b, item, &b, e);
	if (!err && (!a || !b))
		err = ddb_invalid(e, "The provided expression refers to an attribute that does "
				     "not exist in the item");
	if (!err)
		err = n->kind == DN_LIST_APPEND ? list_append(a, b, out, e)
						: arithmetic(a, b, n->kind == DN_MINUS, out, e);
	json_decref(a);
	json_decref(b);
	return err;
}

/* *out: a new reference, or NULL when the operand has no value. */
static int eval_operand(const struct ddb_node *n, const json_t *item, json_t **out,
			struct ddb_err *e)
{
	json_t *v;
	*out = NULL;
	switch (n->kind) {
	case DN_PATH:
		*out = json_incref(ddb_path_get(item, n->path));
		return 0;
	case DN_VALUE:
		*out = json_incref(n->value);
		return 0;
	case DN_SIZE:
		v = ddb_path_get(item, n->a->path);
		return v ? size_of(v, out) : 0;
	case DN_IF_NOT_EXISTS:
		*out = json_incref(ddb_path_get(item, n->a->path));
		return *out ? 0 : eval_operand(n->b, item, out, e);
	case DN_LIST_APPEND:
	case DN_PLUS:
	case DN_MINUS:
		return eval_binary(n, item, out, e);
	default:
		return ddb_invalid(e, "Invalid expression: unexpected operand");
	}
}

/* ----- conditions ---------------------------------------------------------------- */

/* begins_with on S (by bytes) or B (by decoded bytes); false on any other. */
static bool begins_with(const json_t *a, const json_t *b)
{
	enum ddb_type t = ddb_type_of(a);
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b);
	struct buf x, y;
	bool r = false;
	if (t != ddb_type_of(b) || (t != DDB_T_S && t != DDB_T_B))
		return false;
	if (t == DDB_T_S)
		return json_string_length(pb) <= json_string_length(pa) &&
		       !memcmp(json_string_value(pa), json_string_value(pb),
			       json_string_length(pb));
	buf_init(&x, DDB_BINARY_MAX);
	buf_init(&y, DDB_BINARY_MAX);
	if (!ddb_b64(json_string_value(pa), json_string_length(pa), &x) &&
	    !ddb_b64(json_string_value(pb), json_string_length(pb), &y))
		r = y.len <= x.len && !memcmp(x.ptr, y.ptr, y.len);
	buf_release(&x);
	buf_release(&y);
	return r;
}

static bool contains(const json_t *a, const json_t *b)
{
	enum ddb_type ta = ddb_type_of(a), tb = ddb_type_of(b);
	json_t *pa = ddb_payload(a), *pb = ddb_payload(b), *v;
	size_t i;
	if (ta == DDB_T_S && tb == DDB_T_S)
		return json_string_length(pb) == 0 ||
		       memmem(json_string_value(pa), json_string_length(pa), json_string_value(pb),
			      json_string_length(pb)) != NULL;
	if ((ta == DDB_T_SS && tb == DDB_T_S) || (ta == DDB_T_NS && tb == DDB_T_N) ||
	    (ta == DDB_T_BS && tb == DDB_T_B)) {
		/* Set elements and the value are canonical: equal means equal strings. */
		json_array_foreach(pa, i, v)
		{
			if (json_equal(v, pb))
				return true;
		}
		return false;
	}
	json_array_foreach(ta == DDB_T_L ? pa : NULL, i, v)
	{
		if (ddb_value_eq(v, b))
			return true;
	}
	return false;
}

static bool compare(enum ddb_cmp_op op, const json_t *a, const json_t *b)
{
	int c;
	if (op == DC_EQ)
		return a && b && ddb_value_eq(a, b);
	if (op == DC_NE)
		return !(a && b && ddb_value_eq(a, b));
	if (!a || !b || !ddb_value_cmp(a, b, &c))
		return false;
	switch (op) {
	case DC_LT:
		return c < 0;
	case DC_LE:
		return c <= 0;
	case DC_GT:
		return c > 0;
	case DC_GE:
		return c >= 0;
	default:
		return false;
	}
}

static int eval_in(const struct ddb_node *n, const json_t *item, const json_t *a, bool *out,
		   struct ddb_err *e)
{
	for (int i = 0; i < n->nlist && !*out; i++) {
		json_t *o = NULL;
		int err = eval_operand(n->list[i], item, &o, e);
		if (err)
			return err;
		*out = compare(DC_EQ, a, o);
		json_decref(o);
	}
	return 0;
}

static int eval_type(const json_t *a, const json_t *b, bool *out, struct ddb_err *e)
{
	const char *t = json_string_value(ddb_payload(b));
	if (ddb_type_of(b) != DDB_T_S || ddb_type_parse(t) == DDB_T_NONE)
		return ddb_invalid(e,
				   "Invalid ConditionExpression: Invalid attribute type name found "
				   "in type function; type: %s",
				   t ? t : "");
	*out = a && ddb_type_of(a) == ddb_type_parse(t);
	return 0;
}

/* A predicate on the values of its operands a, b, c (NULL when absent). */
static int eval_predicate(const struct ddb_node *n, const json_t *item, const json_t *a,
			  const json_t *b, const json_t *c, bool *out, struct ddb_err *e)
{
	switch (n->kind) {
	case DN_CMP:
		*out = compare(n->op, a, b);
		return 0;
	case DN_BETWEEN:
		*out = compare(DC_GE, a, b) && compare(DC_LE, a, c);
		return 0;
	case DN_IN:
		return eval_in(n, item, a, out, e);
	case DN_TYPE:
		return eval_type(a, b, out, e);
	case DN_BEGINS_WITH:
		*out = a && b && begins_with(a, b);
		return 0;
	case DN_CONTAINS:
		*out = a && b && contains(a, b);
		return 0;
	default:
		return ddb_invalid(e, "Invalid expression: a value is not a condition");
	}
}

/* AND, OR and NOT, short-circuited as DynamoDB does. */
static int eval_logic(const struct ddb_expression *x, const struct ddb_node *n, const json_t *item,
		      bool *out, struct ddb_err *e)
{
	bool l;
	int err = ddb_expr_eval(x, n->a, item, &l, e);
	if (err)
		return err;
	if (n->kind == DN_NOT) {
		*out = !l;
		return 0;
	}
	if (n->kind == DN_AND ? !l : l) {
		*out = l;
		return 0;
	}
	return ddb_expr_eval(x, n->b, item, out, e);
}

int ddb_expr_eval(const struct ddb_expression *x, const struct ddb_node *n, const json_t *item,
		  bool *out, struct ddb_err *e)
{
	json_t *a = NULL, *b = NULL, *c = NULL;
	int err;
	*out = false;
	if (n->kind == DN_AND || n->kind == DN_OR || n->kind == DN_NOT)
		return eval_logic(x, n, item, out, e);
	if (n->kind == DN_EXISTS || n->kind == DN_NOT_EXISTS) {
		*out = (ddb_path_get(item, n->a->path) != NULL) == (n->kind == DN_EXISTS);
		return 0;
	}
	err = eval_operand(n->a, item, &a, e);
	if (!err && n->b)
		err = eval_operand(n->b, item, &b, e);
	if (!err && n->c)
		err = eval_operand(n->c, item, &c, e);
	if (!err)
		err = eval_predicate(n, item, a, b, c, out, e);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return err;
}

/* ----- updates ----------------------------------------------------------------------- */

static int invalid_path(struct ddb_err *e)
{
	return ddb_invalid(e, "The document path provided in the update expression is invalid "
			      "for update");
}

/* The container holding the last element of `path`: an object (the item or
 * a map's payload) or an array (a list's payload). NULL when absent. */
static json_t *parent_of(json_t *item, const struct ddb_path *path)
{
	struct ddb_path head = *path;
	json_t *v;
	if (path->n == 1)
		return item;
	head.n--;
	v = ddb_path_get(item, &head);
	if (!v)
		return NULL;
	enum ddb_type t = ddb_type_of(v);
	bool want_list = path->e[path->n - 1].index >= 0;
	if ((want_list && t != DDB_T_L) || (!want_list && t != DDB_T_M))
		return NULL;
	return ddb_payload(v);
}

/* Steals `value` (which may be NULL: out of memory already). */
static int set_path(json_t *item, const struct ddb_path *path, json_t *value, struct ddb_err *e)
{
	const struct ddb_path_elem *last = &path->e[path->n - 1];
	json_t *parent = parent_of(item, path);
	int rc;
	if (!value)
		return ERR_NOMEM;
	if (!parent || (path->n == 1 && last->index >= 0)) {
		json_decref(value);
		return invalid_path(e);
	}
	if (last->index < 0)
		rc = json_object_setn_new(parent, last->name.ptr, last->name.len, value);
	else if ((size_t)last->index < json_array_size(parent))
		rc = json_array_set_new(parent, (size_t)last->index, value);
	else
		rc = json_array_append_new(parent, value);
	return rc ? ERR_NOMEM : 0;
}

/* Remove what `path` names, if it is there. */
static void remove_path(json_t *item, const struct ddb_path *path)
{
	const struct ddb_path_elem *last = &path->e[path->n - 1];
	json_t *parent = parent_of(item, path);
	if (parent && last->index < 0)
		json_object_deln(parent, last->name.ptr, last->name.len);
	else if (parent)
		json_array_remove(parent, (size_t)last->index);
}

static bool array_has(const json_t *arr, const json_t *s)
{
	size_t i;
	json_t *w;
	json_array_foreach(arr, i, w)
	{
		if (json_equal(s, w))
			return true;
	}
	return false;
}

/* Append the elements of `src` that are not in `exclude` (NULL: none is). */
static int append_except(json_t *out, const json_t *src, const json_t *exclude)
{
	size_t i;
	json_t *s;
	json_array_foreach(src, i, s)
	{
		if ((!exclude || !array_has(exclude, s)) && json_array_append(out, s))
			return ERR_NOMEM;
	}
	return 0;
}

/* ADD and DELETE on sets: union or difference of canonical strings, into
 * *out; an empty set is json_null(): the attribute goes. */
static int set_op(const json_t *cur, const json_t *v, bool add, json_t **out)
{
	json_t *pc = ddb_payload(cur), *pv = ddb_payload(v), *arr = json_array();
	int err = arr ? 0 : ERR_NOMEM;
	if (!err)
		err = append_except(arr, pc, add ? NULL : pv);
	if (!err && add)
		err = append_except(arr, pv, pc);
	if (!err && json_array_size(arr) == 0) {
		json_decref(arr);
		*out = json_null();
		return 0;
	}
	if (!err && !(*out = json_pack("{s:O}", ddb_type_name(ddb_type_of(cur)), arr)))
		err = ERR_NOMEM;
	json_decref(arr);
	return err;
}

static bool is_set(enum ddb_type t)
{
	return t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
}

static int add_numbers(const struct ddb_update_action *act, const json_t *cur, const json_t *v,
		       json_t *item, struct ddb_err *e)
{
	struct ddb_num x, y, s;
	int err;
	ddb_value_num(cur, &x);
	ddb_value_num(v, &y);
	if ((err = ddb_num_add(&x, &y, false, &s, e)))
		return err;
	return set_path(item, act->path, ddb_value_from_num(&s), e);
}

static int apply_add_delete(const struct ddb_update_action *act, const json_t *old, json_t *item,
			    struct ddb_err *e)
{
	const char *op = act->kind == DA_ADD ? "ADD" : "DELETE";
	json_t *v = act->value->value, *cur = ddb_path_get(old, act->path), *r;
	enum ddb_type tv = ddb_type_of(v), tc = ddb_type_of(cur);
	int err;
	if (act->kind == DA_ADD ? (tv != DDB_T_N && !is_set(tv)) : !is_set(tv))
		return ddb_invalid(e,
				   "Invalid UpdateExpression: Incorrect operand type for "
				   "operator or function; operator: %s, operand type: %s",
				   op, ddb_type_name(tv));
	if (!cur)
		return act->kind == DA_ADD ? set_path(item, act->path, json_deep_copy(v), e) : 0;
	if (tc != tv)
		return type_error(e, op, tc);
	if (tv == DDB_T_N)
		return add_numbers(act, cur, v, item, e);
	if ((err = set_op(cur, v, act->kind == DA_ADD, &r)))
		return err;
	if (json_is_null(r)) {
		remove_path(item, act->path);
		return 0;
	}
	return set_path(item, act->path, r, e);
}

static int apply_set(const struct ddb_update_action *act, const json_t *old, json_t *item,
		     struct ddb_err *e)
{
	json_t *v = NULL;
	int err = eval_operand(act->value, old, &v, e);
	if (err)
		return err;
	if (!v)
		return ddb_invalid(e,
				   "The provided expression refers to an attribute that does not "
				   "exist in the item");
	return set_path(item, act->path, v, e);
}

static int cmp_remove(const void *pa, const void *pb)
{
	const struct ddb_update_action *a = *(const struct ddb_update_action *const *)pa;
	const struct ddb_update_action *b = *(const struct ddb_update_action *const *)pb;
	long ia = a->path->e[a->path->n - 1].index, ib = b->path->e[b->path->n - 1].index;
	return ia < ib ? 1 : ia > ib ? -1 : 0;
}

int ddb_expr_apply_update(const struct ddb_expression *x, const json_t *old, json_t *item,
			  struct ddb_err *e)
{
	const struct ddb_update_action *removes[DDB_EXPR_MAX_PATHS];
	int nremoves = 0, err = 0;
	for (int i = 0; !err && i < x->nactions; i++) {
		const struct ddb_update_action *act = &x->actions[i];
		if (act->kind == DA_SET)
			err = apply_set(act, old, item, e);
		else if (act->kind == DA_REMOVE)
			removes[nremoves++] = act;
		else
			err = apply_add_delete(act, old, item, e);
	}
	if (err)
		return err;
	/* List indexes name positions before the update: remove from the end. */
	if (nremoves > 1)
		qsort(removes, (size_t)nremoves, sizeof(const struct ddb_update_action *),
		      cmp_remove);
	for (int i = 0; i < nremoves; i++)
		remove_path(item, removes[i]->path);
	return 0;
}

/* ----- projection ------------------------------------------------------------------- */

/* The container in `cur` (of `dst`) for element `el`, whose source value is
 * `srcv`: found (a map member made by an earlier path) or made. The payload,
 * or NULL on allocation failure. */
static json_t *project_container(json_t *cur, const struct ddb_path_elem *el, const json_t *srcv)
{
	enum ddb_type t = ddb_type_of(srcv);
	json_t *c = el->index < 0 ? json_object_getn(cur, el->name.ptr, el->name.len) : NULL;
	if (c)
		return ddb_payload(c);
	c = json_pack("{s:o}", ddb_type_name(t), t == DDB_T_M ? json_object() : json_array());
	/* Lists keep the selected elements in order, compacted. */
	if (el->index >= 0 ? json_array_append_new(cur, c)
			   : json_object_setn_new(cur, el->name.ptr, el->name.len, c))
		return NULL;
	return ddb_payload(c);
}

/* Copy the value at `path` from `src` into `dst`, building containers. */
static int project_one(const json_t *src, json_t *dst, const struct ddb_path *path)
{
	json_t *cur = dst; /* payload container in dst: object or array */
	struct ddb_path head = *path;
	if (!ddb_path_get(src, path))
		return 0;
	for (int i = 0; i < path->n; i++) {
		const struct ddb_path_elem *el = &path->e[i];
		head.n = i + 1;
		json_t *srcv = ddb_path_get(src, &head);
		if (i < path->n - 1)
			cur = project_container(cur, el, srcv);
		else if (el->index >= 0 ? json_array_append(cur, srcv)
					: json_object_setn(cur, el->name.ptr, el->name.len, srcv))
			cur = NULL;
		if (!cur)
			return ERR_NOMEM;
	}
	return 0;
}

json_t *ddb_project(const json_t *item, struct ddb_path *const *paths, int npaths)
{
	json_t *out = json_object();
	for (int i = 0; out && item && i < npaths; i++) {
		if (project_one(item, out, paths[i])) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
