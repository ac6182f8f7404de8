/*
 * DynamoDB expressions: condition (ConditionExpression, FilterExpression,
 * KeyConditionExpression), update (SET/REMOVE/ADD/DELETE) and projection,
 * parsed by recursive descent into nodes held in a struct ddb_expression, then
 * evaluated against items in wire form. Precedence follows the DynamoDB
 * developer guide ("Comparison operator and function reference"):
 * comparators, IN, BETWEEN, functions, parentheses, NOT, AND, OR.
 * Every limit is a named constant; input longer than DDB_EXPR_MAX or nested
 * deeper than DDB_MAX_DEPTH is rejected, never crashes.
 */
#include "core/common.h"

#include "local/dynamodb/ddb_int.h"

enum tok {
	T_END = 0,
	T_IDENT,
	T_NAME,	 /* #name */
	T_VALUE, /* :value */
	T_INT,
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_COMMA,
	T_DOT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_PLUS,
	T_MINUS,
	T_BAD,
};

struct parser {
	struct ddb_expression *x;
	const char *s;
	size_t len, pos;
	enum tok tok;
	struct str text; /* the current token */
	const char *what;
	struct ddb_err *e;
	int depth;
};

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static void next(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
	size_t start = p->pos;
	p->text = str_make(p->s + start, 0);
	if (p->pos >= p->len) {
		p->tok = T_END;
		return;
	}
	char c = p->s[p->pos++];
	char d = p->pos < p->len ? p->s[p->pos] : 0;
	if (is_ident_start(c) || c == '#' || c == ':') {
		while (p->pos < p->len && is_ident(p->s[p->pos]))
			p->pos++;
		p->tok = c == '#' ? T_NAME : c == ':' ? T_VALUE : T_IDENT;
		if (c != '#' && c != ':' ? false : p->pos == start + 1)
			p->tok = T_BAD;
	} else if (c >= '0' && c <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		p->tok = T_INT;
	} else if (c == '<' && d == '>') {
		p->pos++;
		p->tok = T_NE;
	} else if ((c == '<' || c == '>') && d == '=') {
		p->pos++;
		p->tok = c == '<' ? T_LE : T_GE;
	} else {
		const char *ops = "()[],.=<>+-";
		const enum tok toks[] = {T_LP, T_RP, T_LB, T_RB,   T_COMMA, T_DOT,
					 T_EQ, T_LT, T_GT, T_PLUS, T_MINUS};
		const char *hit = strchr(ops, c);
		p->tok = c && hit ? toks[hit - ops] : T_BAD;
	}
	p->text.len = p->pos - start;
}

static int syntax(struct parser *p)
{
	if (p->e->type)
		return -1;
	size_t from = p->text.ptr - p->s, near_len = MIN(p->len - from, 16);
	if (p->tok == T_END)
		return ddb_invalid(p->e,
				   "Invalid %s: Syntax error; token: \"<EOF>\", near: "
				   "\"%.*s\"",
				   p->what, (int)MIN(p->len, 16), p->s + p->len - MIN(p->len, 16));
	return ddb_invalid(p->e, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"",
			   p->what, (int)MIN(p->text.len, 64), p->text.ptr, (int)near_len,
			   p->s + from);
}

static bool tok_is_word(const struct parser *p, const char *w)
{
	return p->tok == T_IDENT && str_ieq_cstr(p->text, w);
}

static struct ddb_node *new_node(struct parser *p, enum ddb_node_kind k)
{
	if (p->x->nnodes >= DDB_EXPR_MAX_NODES) {
		ddb_invalid(p->e, "Invalid %s: The expression has too many operators", p->what);
		return NULL;
	}
	struct ddb_node *n = &p->x->nodes[p->x->nnodes++];
	memset(n, 0, sizeof(*n));
	n->kind = k;
	return n;
}

static void mark_used(json_t *set, struct str s)
{
	json_object_setn(set, s.ptr, s.len, json_true());
}

/* One element name of a path: an identifier or a #name substituted. */
static int path_name(struct parser *p, struct ddb_path_elem *el)
{
	if (p->tok == T_IDENT) {
		el->name = p->text;
	} else if (p->tok == T_NAME) {
		json_t *v = p->x->names ? json_object_getn(p->x->names, p->text.ptr, p->text.len)
					: NULL;
		if (!json_is_string(v))
			return ddb_invalid(p->e,
					   "Invalid %s: An expression attribute name used "
					   "in the document path is not defined; attribute "
					   "name: %.*s",
					   p->what, (int)p->text.len, p->text.ptr);
		mark_used(p->x->used_names, p->text);
		el->name = str_make(json_string_value(v), json_string_length(v));
	} else {
		return syntax(p);
	}
	el->index = -1;
	next(p);
	return 0;
}

static struct ddb_path *parse_path(struct parser *p)
{
	struct ddb_path *path;
	if (p->x->npaths >= DDB_EXPR_MAX_PATHS) {
		ddb_invalid(p->e, "Invalid %s: The expression has too many paths", p->what);
		return NULL;
	}
	path = &p->x->paths[p->x->npaths++];
	path->n = 0;
	path->e = &p->x->elems[p->x->nelems];
	for (;;) {
		if (p->x->nelems + 2 > DDB_EXPR_MAX_ELEMS) {
			ddb_invalid(p->e, "Invalid %s: The expression has too many path elements",
				    p->what);
			return NULL;
		}
		if (path->n >= DDB_MAX_DEPTH) {
			ddb_invalid(p->e,
				    "Invalid %s: The document path has too many nesting "
				    "levels; nesting levels: %d",
				    p->what, path->n + 1);
			return NULL;
		}
		p->x->nelems++;
		if (path_name(p, &path->e[path->n++]))
			return NULL;
		while (p->tok == T_LB) {
			long long idx;
			next(p);
			if (p->tok != T_INT || str_to_i64(p->text, 0, INT32_MAX, &idx)) {
				syntax(p);
				return NULL;
			}
			next(p);
			if (p->tok != T_RB) {
				syntax(p);
				return NULL;
			}
			next(p);
			if (path->n >= DDB_MAX_DEPTH || p->x->nelems >= DDB_EXPR_MAX_ELEMS) {
				ddb_invalid(p->e,
					    "Invalid %s: The document path has too many "
					    "nesting levels",
					    p->what);
				return NULL;
			}
			p->x->nelems++;
			path->e[path->n].name = str_make(NULL, 0);
			path->e[path->n++].index = (long)idx;
		}
		if (p->tok != T_DOT)
			return path;
		next(p);
	}
}

static struct ddb_node *parse_value(struct parser *p)
{
	json_t *v = p->x->values ? json_object_getn(p->x->values, p->text.ptr, p->text.len) : NULL;
	if (!v) {
		ddb_invalid(p->e,
			    "Invalid %s: An expression attribute value used in expression "
			    "is not defined; attribute value: %.*s",
			    p->what, (int)p->text.len, p->text.ptr);
		return NULL;
	}
	struct ddb_node *n = new_node(p, DN_VALUE);
	if (!n)
		return NULL;
	mark_used(p->x->used_values, p->text);
	n->value = v;
	n->vname = p->text;
	next(p);
	return n;
}

static struct ddb_node *parse_path_node(struct parser *p)
{
	struct ddb_node *n = new_node(p, DN_PATH);
	if (n && !(n->path = parse_path(p)))
		return NULL;
	return n;
}

static int expect(struct parser *p, enum tok t)
{
	if (p->tok != t)
		return syntax(p);
	next(p);
	return 0;
}

static struct ddb_node *parse_cond(struct parser *p);
static struct ddb_node *parse_set_value(struct parser *p);

/* An operand of a condition: path, :value or size(path). */
static struct ddb_node *parse_operand(struct parser *p)
{
	if (p->tok == T_VALUE)
		return parse_value(p);
	if (p->tok == T_IDENT && str_eq_cstr(p->text, "size")) {
		size_t save = p->pos;
		struct str t = p->text;
		next(p);
		if (p->tok == T_LP) {
			struct ddb_node *n = new_node(p, DN_SIZE);
			next(p);
			if (!n || !(n->a = parse_path_node(p)) || expect(p, T_RP))
				return NULL;
			return n;
		}
		p->pos = save; /* an attribute called "size" */
		p->text = t;
		p->tok = T_IDENT;
	}
	if (p->tok == T_IDENT || p->tok == T_NAME)
		return parse_path_node(p);
	syntax(p);
	return NULL;
}

static const struct {
	const char *name;
	enum ddb_node_kind kind;
	int args;
} cond_funcs[] = {
	{"attribute_exists", DN_EXISTS, 1}, {"attribute_not_exists", DN_NOT_EXISTS, 1},
	{"attribute_type", DN_TYPE, 2},	    {"begins_with", DN_BEGINS_WITH, 2},
	{"contains", DN_CONTAINS, 2},
};

static struct ddb_node *parse_func(struct parser *p, enum ddb_node_kind kind, int args)
{
	struct ddb_node *n = new_node(p, kind);
	if (!n)
		return NULL;
	next(p); /* the name; '(' follows */
	next(p);
	if (kind == DN_EXISTS || kind == DN_NOT_EXISTS || kind == DN_TYPE) {
		if (!(n->a = parse_path_node(p)))
			return NULL;
	} else if (!(n->a = parse_operand(p))) {
		return NULL;
	}
	if (args == 2) {
		if (expect(p, T_COMMA) || !(n->b = parse_operand(p)))
			return NULL;
		if (kind == DN_TYPE && n->b->kind != DN_VALUE) {
			ddb_invalid(p->e,
				    "Invalid %s: Incorrect operand type for operator or "
				    "function; operator or function: attribute_type, operand "
				    "type: PATH",
				    p->what);
			return NULL;
		}
	}
	if (expect(p, T_RP))
		return NULL;
	return n;
}

static int cmp_op(enum tok t)
{
	switch (t) {
	case T_EQ:
		return DC_EQ;
	case T_NE:
		return DC_NE;
	case T_LT:
		return DC_LT;
	case T_LE:
		return DC_LE;
	case T_GT:
		return DC_GT;
	case T_GE:
		return DC_GE;
	default:
		return 0;
	}
}

static struct ddb_node *parse_predicate(struct parser *p)
{
	struct ddb_node *n, *a;
	if (p->tok == T_LP) {
		next(p);
		n = parse_cond(p);
		if (!n || expect(p, T_RP))
			return NULL;
		return n;
	}
	if (p->tok == T_IDENT) {
		for (size_t i = 0; i < ARRAY_SIZE(cond_funcs); i++) {
			if (!str_eq_cstr(p->text, cond_funcs[i].name))
				continue;
			size_t k = p->pos;
			while (k < p->len && strchr(" \t\r\n", p->s[k]) && p->s[k])
				k++;
			if (k < p->len && p->s[k] == '(')
				return parse_func(p, cond_funcs[i].kind, cond_funcs[i].args);
		}
	}
	if (!(a = parse_operand(p)))
		return NULL;
	if (cmp_op(p->tok)) {
		if (!(n = new_node(p, DN_CMP)))
			return NULL;
		n->op = cmp_op(p->tok);
		n->a = a;
		next(p);
		if (!(n->b = parse_operand(p)))
			return NULL;
		return n;
	}
	if (tok_is_word(p, "BETWEEN")) {
		if (!(n = new_node(p, DN_BETWEEN)))
			return NULL;
		n->a = a;
		next(p);
		if (!(n->b = parse_operand(p)))
			return NULL;
		if (!tok_is_word(p, "AND")) {
			syntax(p);
			return NULL;
		}
		next(p);
		if (!(n->c = parse_operand(p)))
			return NULL;
		int c;
		if (n->b->kind == DN_VALUE && n->c->kind == DN_VALUE &&
		    ddb_value_cmp(n->b->value, n->c->value, &c) && c > 0) {
			ddb_invalid(p->e,
				    "Invalid %s: The BETWEEN operator requires upper bound to "
				    "be greater than or equal to lower bound",
				    p->what);
			return NULL;
		}
		return n;
	}
	if (tok_is_word(p, "IN")) {
		if (!(n = new_node(p, DN_IN)))
			return NULL;
		n->a = a;
		next(p);
		if (expect(p, T_LP))
			return NULL;
		n->list = &p->x->lists[p->x->nlists];
		for (;;) {
			struct ddb_node *o = parse_operand(p);
			if (!o)
				return NULL;
			if (p->x->nlists >= DDB_EXPR_MAX_NODES || n->nlist >= 100) {
				ddb_invalid(p->e,
					    "Invalid %s: The IN operator takes at most 100 "
					    "operands",
					    p->what);
				return NULL;
			}
			p->x->lists[p->x->nlists++] = o;
			n->nlist++;
			if (p->tok == T_RP)
				break;
			if (expect(p, T_COMMA))
				return NULL;
		}
		next(p);
		return n;
	}
	if (a->kind == DN_SIZE || a->kind == DN_VALUE || a->kind == DN_PATH)
		syntax(p);
	return NULL;
}

static struct ddb_node *parse_not(struct parser *p)
{
	if (++p->depth > DDB_MAX_DEPTH * 2) {
		ddb_invalid(p->e, "Invalid %s: The expression is nested too deeply", p->what);
		return NULL;
	}
	struct ddb_node *n;
	if (tok_is_word(p, "NOT")) {
		if (!(n = new_node(p, DN_NOT)))
			return NULL;
		next(p);
		n->a = parse_not(p);
		p->depth--;
		return n->a ? n : NULL;
	}
	n = parse_predicate(p);
	p->depth--;
	return n;
}

static struct ddb_node *parse_binary(struct parser *p, bool is_or)
{
	struct ddb_node *l = is_or ? parse_binary(p, false) : parse_not(p);
	while (l && tok_is_word(p, is_or ? "OR" : "AND")) {
		struct ddb_node *n = new_node(p, is_or ? DN_OR : DN_AND);
		if (!n)
			return NULL;
		next(p);
		n->a = l;
		n->b = is_or ? parse_binary(p, false) : parse_not(p);
		if (!n->b)
			return NULL;
		l = n;
	}
	return l;
}

static struct ddb_node *parse_cond(struct parser *p)
{
	if (++p->depth > DDB_MAX_DEPTH * 2) {
		ddb_invalid(p->e, "Invalid %s: The expression is nested too deeply", p->what);
		return NULL;
	}
	struct ddb_node *n = parse_binary(p, true);
	p->depth--;
	return n;
}

static int start(struct parser *p, struct ddb_expression *x, const char *text, size_t len,
		 const char *what, struct ddb_err *e)
{
	memset(p, 0, sizeof(*p));
	p->x = x;
	p->s = text ? text : "";
	p->len = text ? len : 0;
	p->what = what;
	p->e = e;
	if (p->len == 0)
		return ddb_invalid(e, "Invalid %s: The expression can not be empty;", what);
	if (p->len > DDB_EXPR_MAX)
		return ddb_invalid(e,
				   "Invalid %s: Expression size has exceeded the maximum "
				   "allowed size; expression size: %zu",
				   what, p->len);
	next(p);
	return 0;
}

int ddb_expr_parse_condition(struct ddb_expression *x, const char *text, size_t len,
			     const char *what, struct ddb_err *e)
{
	struct parser p;
	if (start(&p, x, text, len, what, e))
		return -1;
	x->root = parse_cond(&p);
	if (!x->root)
		return e->type ? -1 : syntax(&p);
	if (p.tok != T_END)
		return syntax(&p);
	return 0;
}

/* An operand of SET: path, :value, if_not_exists(path, v), list_append(a, b). */
static struct ddb_node *parse_set_operand(struct parser *p)
{
	bool ine = tok_is_word(p, "if_not_exists"), la = tok_is_word(p, "list_append");
	if ((ine || la) && p->pos < p->len) {
		size_t k = p->pos;
		while (k < p->len && strchr(" \t\r\n", p->s[k]) && p->s[k])
			k++;
		if (k < p->len && p->s[k] == '(') {
			if (++p->depth > DDB_MAX_DEPTH) {
				ddb_invalid(p->e, "Invalid %s: The expression is nested too deeply",
					    p->what);
				return NULL;
			}
			struct ddb_node *n = new_node(p, ine ? DN_IF_NOT_EXISTS : DN_LIST_APPEND);
			if (!n)
				return NULL;
			next(p);
			next(p);
			n->a = ine ? parse_path_node(p) : parse_set_value(p);
			if (!n->a || expect(p, T_COMMA) || !(n->b = parse_set_value(p)) ||
			    expect(p, T_RP))
				return NULL;
			p->depth--;
			return n;
		}
	}
	if (p->tok == T_VALUE)
		return parse_value(p);
	if (p->tok == T_IDENT || p->tok == T_NAME)
		return parse_path_node(p);
	syntax(p);
	return NULL;
}

static struct ddb_node *parse_set_value(struct parser *p)
{
	struct ddb_node *a = parse_set_operand(p), *n;
	if (!a || (p->tok != T_PLUS && p->tok != T_MINUS))
		return a;
	if (!(n = new_node(p, p->tok == T_PLUS ? DN_PLUS : DN_MINUS)))
		return NULL;
	next(p);
	n->a = a;
	if (!(n->b = parse_set_operand(p)))
		return NULL;
	return n;
}

static bool path_overlap(const struct ddb_path *a, const struct ddb_path *b)
{
	for (int i = 0; i < MIN(a->n, b->n); i++) {
		if (a->e[i].index != b->e[i].index)
			return false;
		if (a->e[i].index < 0 && !str_eq(a->e[i].name, b->e[i].name))
			return false;
	}
	return true;
}

static int add_action(struct parser *p, enum ddb_action kind)
{
	struct ddb_update_action *a;
	if (p->x->nactions >= DDB_EXPR_MAX_PATHS)
		return ddb_invalid(p->e, "Invalid UpdateExpression: too many actions");
	a = &p->x->actions[p->x->nactions];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (!(a->path = parse_path(p)))
		return -1;
	if (kind == DA_SET) {
		if (expect(p, T_EQ) || !(a->value = parse_set_value(p)))
			return -1;
	} else if (kind == DA_ADD || kind == DA_DELETE) {
		if (p->tok != T_VALUE)
			return syntax(p);
		if (!(a->value = parse_value(p)))
			return -1;
	}
	for (int i = 0; i < p->x->nactions; i++) {
		if (path_overlap(p->x->actions[i].path, a->path)) {
			struct buf one, two;
			buf_init(&one, 256);
			buf_init(&two, 256);
			ddb_path_text(p->x->actions[i].path, &one);
			ddb_path_text(a->path, &two);
			ddb_invalid(p->e,
				    "Invalid UpdateExpression: Two document paths overlap "
				    "with each other; must remove or rewrite one of these "
				    "paths; path one: [%s], path two: [%s]",
				    one.ptr, two.ptr);
			buf_release(&one);
			buf_release(&two);
			return -1;
		}
	}
	p->x->nactions++;
	return 0;
}

int ddb_expr_parse_update(struct ddb_expression *x, const char *text, size_t len, struct ddb_err *e)
{
	static const char *const words[] = {"SET", "REMOVE", "ADD", "DELETE"};
	bool seen[4] = {false};
	struct parser p;
	if (start(&p, x, text, len, "UpdateExpression", e))
		return -1;
	while (p.tok != T_END) {
		int k = -1;
		for (int i = 0; i < 4; i++)
			if (tok_is_word(&p, words[i]))
				k = i;
		if (k < 0)
			return syntax(&p);
		if (seen[k])
			return ddb_invalid(e,
					   "Invalid UpdateExpression: The \"%s\" section can "
					   "only be used once in an update expression;",
					   words[k]);
		seen[k] = true;
		next(&p);
		do {
			if (add_action(&p, (enum ddb_action)(k + 1)))
				return -1;
		} while (p.tok == T_COMMA && (next(&p), true));
	}
	return 0;
}

int ddb_expr_parse_projection(struct ddb_expression *x, const char *text, size_t len,
			      struct ddb_err *e)
{
	struct parser p;
	if (start(&p, x, text, len, "ProjectionExpression", e))
		return -1;
	for (;;) {
		struct ddb_path *path = parse_path(&p);
		if (!path)
			return -1;
		for (int i = 0; i < x->nproj; i++)
			if (path_overlap(x->proj[i], path))
				return ddb_invalid(e, "Invalid ProjectionExpression: Two document "
						      "paths overlap with each other; must remove "
						      "or rewrite one of these paths");
		x->proj[x->nproj++] = path;
		if (p.tok == T_END)
			return 0;
		if (expect(&p, T_COMMA))
			return -1;
	}
}

int ddb_expr_init(struct ddb_expression *x, json_t *names, json_t *values)
{
	memset(x, 0, offsetof(struct ddb_expression, nodes));
	x->nnodes = x->npaths = x->nlists = x->nelems = 0;
	x->names = names;
	x->values = values;
	x->used_names = json_object();
	x->used_values = json_object();
	if (!x->used_names || !x->used_values) {
		ddb_expr_release(x);
		return ERR_NOMEM;
	}
	return 0;
}

void ddb_expr_release(struct ddb_expression *x)
{
	json_decref(x->used_names);
	json_decref(x->used_values);
	x->used_names = x->used_values = NULL;
}

static int unused(json_t *given, json_t *used, const char *what, struct ddb_err *e)
{
	const char *k;
	json_t *v;
	struct buf list;
	int rc = 0;
	buf_init(&list, 256);
	json_object_foreach(given, k, v)
	{
		if (!json_object_get(used, k)) {
			buf_addf(&list, "%s%s", list.len ? ", " : "", k);
			rc = -1;
		}
	}
	if (rc)
		ddb_invalid(e, "Value provided in %s unused in expressions: keys: {%s}", what,
			    list.ptr);
	buf_release(&list);
	return rc;
}

int ddb_expr_check_unused(struct ddb_expression *x, struct ddb_err *e)
{
	if (x->names && unused(x->names, x->used_names, "ExpressionAttributeNames", e))
		return -1;
	if (x->values && unused(x->values, x->used_values, "ExpressionAttributeValues", e))
		return -1;
	return 0;
}

/* ----- evaluation -------------------------------------------------------- */

json_t *ddb_path_get(const json_t *item, const struct ddb_path *path)
{
	json_t *v = NULL;
	for (int i = 0; item && i < path->n; i++) {
		const struct ddb_path_elem *el = &path->e[i];
		if (i == 0) {
			v = el->index >= 0 ? NULL
					   : json_object_getn(item, el->name.ptr, el->name.len);
		} else if (el->index >= 0) {
			v = ddb_type_of(v) == DDB_T_L
				    ? json_array_get(ddb_payload(v), (size_t)el->index)
				    : NULL;
		} else {
			v = ddb_type_of(v) == DDB_T_M
				    ? json_object_getn(ddb_payload(v), el->name.ptr, el->name.len)
				    : NULL;
		}
		if (!v)
			return NULL;
	}
	return v;
}

void ddb_path_text(const struct ddb_path *p, struct buf *out)
{
	for (int i = 0; i < p->n; i++) {
		if (p->e[i].index >= 0)
			buf_addf(out, "[%ld]", p->e[i].index);
		else
			buf_addf(out, "%s%.*s", i ? ", " : "", (int)p->e[i].name.len,
				 p->e[i].name.ptr);
	}
}

static int type_error(struct ddb_err *e, const char *op, enum ddb_type t)
{
	return ddb_invalid(e,
			   "An operand in the update expression has an incorrect data type"
			   "; operator or function: %s, operand type: %s",
			   op, ddb_type_name(t));
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* size(): characters of S, bytes of B, elements of sets, lists and maps. */
static json_t *size_of(const json_t *v)
{
	json_t *p = ddb_payload(v);
	struct ddb_num n;
	uint64_t size;
	switch (ddb_type_of(v)) {
	case DDB_T_S:
		size = utf8_chars(json_string_value(p), json_string_length(p));
		break;
	case DDB_T_B: {
		struct buf b;
		buf_init(&b, BUF_NOCAP);
		ddb_b64(json_string_value(p), json_string_length(p), &b);
		size = b.len;
		buf_release(&b);
		break;
	}
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
		return NULL;
	}
	ddb_num_from_u64(&n, size);
	return ddb_value_from_num(&n);
}

/* *out: a new reference, or NULL when the operand has no value. */
static int eval_operand(const struct ddb_node *n, const json_t *item, json_t **out,
			struct ddb_err *e)
{
	json_t *a = NULL, *b = NULL;
	*out = NULL;
	switch (n->kind) {
	case DN_PATH:
		*out = json_incref(ddb_path_get(item, n->path));
		return 0;
	case DN_VALUE:
		*out = json_incref(n->value);
		return 0;
	case DN_SIZE: {
		json_t *v = ddb_path_get(item, n->a->path);
		*out = v ? size_of(v) : NULL;
		return 0;
	}
	case DN_IF_NOT_EXISTS:
		*out = json_incref(ddb_path_get(item, n->a->path));
		return *out ? 0 : eval_operand(n->b, item, out, e);
	case DN_LIST_APPEND:
	case DN_PLUS:
	case DN_MINUS:
		break;
	default:
		return ddb_invalid(e, "Invalid expression: unexpected operand");
	}
	const char *op = n->kind == DN_LIST_APPEND ? "list_append" : n->kind == DN_PLUS ? "+" : "-";
	if (eval_operand(n->a, item, &a, e) || eval_operand(n->b, item, &b, e))
		goto fail;
	if (!a || !b) {
		ddb_invalid(e, "The provided expression refers to an attribute that does not exist "
			       "in the item");
		goto fail;
	}
	if (n->kind == DN_LIST_APPEND) {
		if (ddb_type_of(a) != DDB_T_L || ddb_type_of(b) != DDB_T_L) {
			type_error(e, op,
				   ddb_type_of(a) != DDB_T_L ? ddb_type_of(a) : ddb_type_of(b));
			goto fail;
		}
		json_t *list = json_copy(ddb_payload(a));
		if (!list || json_array_extend(list, ddb_payload(b))) {
			json_decref(list);
			ddb_fail(e, "InternalServerError", "out of memory");
			goto fail;
		}
		*out = json_pack("{s:o}", "L", list);
	} else {
		struct ddb_num x, y, r;
		if (ddb_type_of(a) != DDB_T_N || ddb_type_of(b) != DDB_T_N) {
			type_error(e, op,
				   ddb_type_of(a) != DDB_T_N ? ddb_type_of(a) : ddb_type_of(b));
			goto fail;
		}
		ddb_value_num(a, &x);
		ddb_value_num(b, &y);
		if (ddb_num_add(&x, &y, n->kind == DN_MINUS, &r, e))
			goto fail;
		*out = ddb_value_from_num(&r);
	}
	json_decref(a);
	json_decref(b);
	return *out ? 0 : ddb_fail(e, "InternalServerError", "out of memory");
fail:
	json_decref(a);
	json_decref(b);
	return -1;
}

static bool bytes_prefix(const json_t *a, const json_t *b)
{
	struct buf x, y;
	bool r = false;
	buf_init(&x, BUF_NOCAP);
	buf_init(&y, BUF_NOCAP);
	if (!ddb_key_bytes(a, &x) && !ddb_key_bytes(b, &y))
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
		return memmem(json_string_value(pa), json_string_length(pa), json_string_value(pb),
			      json_string_length(pb)) != NULL ||
		       json_string_length(pb) == 0;
	if ((ta == DDB_T_SS && tb == DDB_T_S) || (ta == DDB_T_NS && tb == DDB_T_N) ||
	    (ta == DDB_T_BS && tb == DDB_T_B)) {
		json_array_foreach(pa, i,
				   v) if (json_string_length(v) == json_string_length(pb) &&
					  !memcmp(json_string_value(v), json_string_value(pb),
						  json_string_length(v))) return true;
		return false;
	}
	if (ta == DDB_T_L) {
		json_array_foreach(pa, i, v) if (ddb_value_eq(v, b)) return true;
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

int ddb_expr_eval(const struct ddb_expression *x, const struct ddb_node *n, const json_t *item,
		  bool *out, struct ddb_err *e)
{
	json_t *a = NULL, *b = NULL, *c = NULL;
	bool l, r;
	int rc = 0;
	*out = false;
	switch (n->kind) {
	case DN_AND:
	case DN_OR:
		if (ddb_expr_eval(x, n->a, item, &l, e))
			return -1;
		if (n->kind == DN_AND ? !l : l) {
			*out = l;
			return 0;
		}
		if (ddb_expr_eval(x, n->b, item, &r, e))
			return -1;
		*out = r;
		return 0;
	case DN_NOT:
		if (ddb_expr_eval(x, n->a, item, &l, e))
			return -1;
		*out = !l;
		return 0;
	case DN_EXISTS:
	case DN_NOT_EXISTS:
		*out = (ddb_path_get(item, n->a->path) != NULL) == (n->kind == DN_EXISTS);
		return 0;
	default:
		break;
	}
	if (eval_operand(n->a, item, &a, e) || (n->b && eval_operand(n->b, item, &b, e)) ||
	    (n->c && eval_operand(n->c, item, &c, e))) {
		rc = -1;
		goto done;
	}
	switch (n->kind) {
	case DN_CMP:
		*out = compare(n->op, a, b);
		break;
	case DN_BETWEEN:
		*out = compare(DC_GE, a, b) && compare(DC_LE, a, c);
		break;
	case DN_IN:
		for (int i = 0; i < n->nlist && !*out; i++) {
			json_t *o = NULL;
			if (eval_operand(n->list[i], item, &o, e)) {
				rc = -1;
				goto done;
			}
			*out = compare(DC_EQ, a, o);
			json_decref(o);
		}
		break;
	case DN_TYPE: {
		const char *t = json_string_value(ddb_payload(b));
		if (ddb_type_of(b) != DDB_T_S || ddb_type_parse(t) == DDB_T_NONE) {
			rc = ddb_invalid(e,
					 "Invalid ConditionExpression: Invalid attribute type "
					 "name found in type function; type: %s",
					 t ? t : "");
			goto done;
		}
		*out = a && ddb_type_of(a) == ddb_type_parse(t);
		break;
	}
	case DN_BEGINS_WITH:
		*out = a && b && ddb_type_of(a) == ddb_type_of(b) &&
		       (ddb_type_of(a) == DDB_T_S || ddb_type_of(a) == DDB_T_B) &&
		       bytes_prefix(a, b);
		break;
	case DN_CONTAINS:
		*out = a && b && contains(a, b);
		break;
	default:
		rc = ddb_invalid(e, "Invalid expression: a value is not a condition");
	}
done:
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return rc;
}

/* ----- update ------------------------------------------------------------- */

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

/* Steals `value`. */
static int set_path(json_t *item, const struct ddb_path *path, json_t *value, struct ddb_err *e)
{
	const struct ddb_path_elem *last = &path->e[path->n - 1];
	json_t *parent = parent_of(item, path);
	int rc;
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
	return rc ? ddb_fail(e, "InternalServerError", "out of memory") : 0;
}

static void remove_path(json_t *item, const struct ddb_path *path)
{
	const struct ddb_path_elem *last = &path->e[path->n - 1];
	json_t *parent = parent_of(item, path);
	if (!parent)
		return;
	if (last->index < 0) {
		char *k = strndup(last->name.ptr, last->name.len);
		if (k)
			json_object_del(parent, k);
		free(k);
	} else {
		json_array_remove(parent, (size_t)last->index);
	}
}

/* ADD and DELETE on sets: union or difference of canonical strings. */
static json_t *set_op(const json_t *cur, const json_t *v, bool add)
{
	json_t *out = json_array(), *s;
	size_t i;
	json_array_foreach(ddb_payload(cur), i, s)
	{
		bool in_v = false;
		size_t j;
		json_t *w;
		json_array_foreach(ddb_payload(v), j, w) if (json_equal(s, w)) in_v = true;
		if (add || !in_v)
			json_array_append(out, s);
	}
	if (add) {
		json_array_foreach(ddb_payload(v), i, s)
		{
			bool in_cur = false;
			size_t j;
			json_t *w;
			json_array_foreach(ddb_payload(cur), j, w) if (json_equal(s, w)) in_cur =
				true;
			if (!in_cur)
				json_array_append(out, s);
		}
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		return json_null(); /* an empty set: the attribute goes */
	}
	return json_pack("{s:o}", ddb_type_name(ddb_type_of(cur)), out);
}

static bool is_set(enum ddb_type t)
{
	return t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
}

static int apply_add_delete(const struct ddb_update_action *act, const json_t *old, json_t *item,
			    struct ddb_err *e)
{
	const char *op = act->kind == DA_ADD ? "ADD" : "DELETE";
	json_t *v = act->value->value, *cur = ddb_path_get(old, act->path), *r;
	enum ddb_type tv = ddb_type_of(v), tc = ddb_type_of(cur);
	if (act->kind == DA_ADD ? (tv != DDB_T_N && !is_set(tv)) : !is_set(tv))
		return ddb_invalid(e,
				   "Invalid UpdateExpression: Incorrect operand type for "
				   "operator or function; operator: %s, operand type: %s",
				   op, ddb_type_name(tv));
	if (!cur)
		return act->kind == DA_ADD ? set_path(item, act->path, json_deep_copy(v), e) : 0;
	if (tc != tv)
		return type_error(e, op, tc);
	if (tv == DDB_T_N) {
		struct ddb_num x, y, s;
		ddb_value_num(cur, &x);
		ddb_value_num(v, &y);
		if (ddb_num_add(&x, &y, false, &s, e))
			return -1;
		return set_path(item, act->path, ddb_value_from_num(&s), e);
	}
	r = set_op(cur, v, act->kind == DA_ADD);
	if (json_is_null(r)) {
		remove_path(item, act->path);
		return 0;
	}
	return set_path(item, act->path, r, e);
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
	int nremoves = 0;
	for (int i = 0; i < x->nactions; i++) {
		const struct ddb_update_action *act = &x->actions[i];
		json_t *v = NULL;
		switch (act->kind) {
		case DA_SET:
			if (eval_operand(act->value, old, &v, e))
				return -1;
			if (!v)
				return ddb_invalid(e, "The provided expression refers to an "
						      "attribute that does not exist in the item");
			if (set_path(item, act->path, v, e))
				return -1;
			break;
		case DA_REMOVE:
			removes[nremoves++] = act;
			break;
		case DA_ADD:
		case DA_DELETE:
			if (apply_add_delete(act, old, item, e))
				return -1;
			break;
		}
	}
	/* List indexes name positions before the update: remove from the end. */
	if (nremoves > 1)
		qsort(removes, (size_t)nremoves, sizeof(const struct ddb_update_action *),
		      cmp_remove);
	for (int i = 0; i < nremoves; i++)
		remove_path(item, removes[i]->path);
	return 0;
}

/* ----- projection ----------------------------------------------------------- */

/* Copy the value at `path` from `src` into `dst`, building containers. */
static void project_one(const json_t *src, json_t *dst, const struct ddb_path *path)
{
	json_t *v = ddb_path_get(src, path);
	json_t *cur = dst; /* payload container in dst: object or array */
	if (!v)
		return;
	for (int i = 0; i < path->n; i++) {
		const struct ddb_path_elem *el = &path->e[i];
		bool last = i == path->n - 1;
		struct ddb_path head = *path;
		head.n = i + 1;
		json_t *srcv = ddb_path_get(src, &head), *next_c;
		if (last) {
			if (el->index >= 0)
				json_array_append(cur, srcv);
			else
				json_object_setn(cur, el->name.ptr, el->name.len, srcv);
			return;
		}
		enum ddb_type t = ddb_type_of(srcv);
		const char *tn = ddb_type_name(t);
		if (el->index >= 0) {
			/* Lists keep the selected elements in order, compacted. */
			next_c =
				json_pack("{s:o}", tn, t == DDB_T_M ? json_object() : json_array());
			json_array_append_new(cur, next_c);
		} else {
			next_c = json_object_getn(cur, el->name.ptr, el->name.len);
			if (!next_c) {
				next_c = json_pack("{s:o}", tn,
						   t == DDB_T_M ? json_object() : json_array());
				json_object_setn_new(cur, el->name.ptr, el->name.len, next_c);
			}
		}
		cur = ddb_payload(next_c);
		if (!cur)
			return;
	}
}

json_t *ddb_project(const json_t *item, struct ddb_path *const *paths, int npaths)
{
	json_t *out = json_object();
	for (int i = 0; out && item && i < npaths; i++)
		project_one(item, out, paths[i]);
	return out;
}
