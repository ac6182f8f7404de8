/*
 * Parsing of DynamoDB expressions: condition (ConditionExpression,
 * FilterExpression, KeyConditionExpression), update (SET/REMOVE/ADD/DELETE)
 * and projection, by recursive descent into the nodes of a struct
 * ddb_expression, which ddb_expr_eval.c then evaluates. Precedence follows
 * the DynamoDB developer guide ("Comparison operator and function
 * reference"): comparators, IN, BETWEEN, functions, parentheses, NOT, AND,
 * OR. Nodes and paths come from fixed pools in the expression, and every
 * limit is a named constant: input longer than DDB_EXPR_MAX or nested
 * deeper than DDB_MAX_DEPTH is refused with a message, never crashes. The
 * first error of a parse wins; later ones only unwind.
 */
#include "core/common.h"

#include "local/dynamodb/ddb_int.h"

/* Each of the two paths quoted in an overlap message; a longer one is cut. */
#define PATH_TEXT_MAX (DDB_ERR_MSG / 4)

/* The list of unused names or values in a message; a longer one is cut. */
#define UNUSED_LIST_MAX (DDB_ERR_MSG / 2)

#define IN_MAX 100 /* operands of IN, as DynamoDB bounds them */

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
	int err; /* the first error; 0 while all is well */
	int depth;
};

/* ----- errors ------------------------------------------------------------------ */

/* A ValidationException "Invalid <what>: <message>", unless one is recorded. */
__attribute__((format(printf, 2, 3))) static int invalid(struct parser *p, const char *fmt, ...)
{
	char msg[DDB_ERR_MSG];
	va_list ap;
	if (p->err)
		return p->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = ddb_invalid(p->e, "Invalid %s: %s", p->what, msg);
	return p->err;
}

static int nomem(struct parser *p)
{
	if (!p->err)
		p->err = ERR_NOMEM;
	return p->err;
}

/* A syntax error at the current token (unless an error is recorded). */
static int syntax(struct parser *p)
{
	if (p->err)
		return p->err;
	size_t from = p->text.ptr - p->s, near_len = MIN(p->len - from, 16);
	if (p->tok == T_END)
		return invalid(p, "Syntax error; token: \"<EOF>\", near: \"%.*s\"",
			       (int)MIN(p->len, 16), p->s + p->len - MIN(p->len, 16));
	return invalid(p, "Syntax error; token: \"%.*s\", near: \"%.*s\"",
		       (int)MIN(p->text.len, 64), p->text.ptr, (int)near_len, p->s + from);
}

/* ----- tokens ------------------------------------------------------------------ */

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static size_t skip_space(const struct parser *p, size_t k)
{
	while (k < p->len && p->s[k] && strchr(" \t\r\n", p->s[k]))
		k++;
	return k;
}

/* An operator or punctuation character `c` (followed by `d`) at p->pos. */
static enum tok punct(struct parser *p, char c, char d)
{
	static const char ops[] = "()[],.=<>+-";
	static const enum tok toks[] = {T_LP, T_RP, T_LB, T_RB,	  T_COMMA, T_DOT,
					T_EQ, T_LT, T_GT, T_PLUS, T_MINUS};
	const char *hit = c ? strchr(ops, c) : NULL;
	if (c == '<' && d == '>') {
		p->pos++;
		return T_NE;
	}
	if ((c == '<' || c == '>') && d == '=') {
		p->pos++;
		return c == '<' ? T_LE : T_GE;
	}
	return hit ? toks[hit - ops] : T_BAD;
}

static void next(struct parser *p)
{
	p->pos = skip_space(p, p->pos);
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
		if ((c == '#' || c == ':') && p->pos == start + 1)
			p->tok = T_BAD; /* a lone '#' or ':' */
	} else if (c >= '0' && c <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		p->tok = T_INT;
	} else {
		p->tok = punct(p, c, d);
	}
	p->text.len = p->pos - start;
}

static bool tok_is_word(const struct parser *p, const char *w)
{
	return p->tok == T_IDENT && str_ieq_cstr(p->text, w);
}

/* The current token is a name followed by '(': a function call. */
static bool paren_follows(const struct parser *p)
{
	size_t k = skip_space(p, p->pos);
	return p->tok == T_IDENT && k < p->len && p->s[k] == '(';
}

static int expect(struct parser *p, enum tok t)
{
	if (p->tok != t)
		return syntax(p);
	next(p);
	return 0;
}

/* ----- paths and operands -------------------------------------------------------- */

static struct ddb_node *new_node(struct parser *p, enum ddb_node_kind k)
{
	if (p->x->nnodes >= DDB_EXPR_MAX_NODES) {
		invalid(p, "The expression has too many operators");
		return NULL;
	}
	struct ddb_node *n = &p->x->nodes[p->x->nnodes++];
	memset(n, 0, sizeof(*n));
	n->kind = k;
	return n;
}

static int mark_used(struct parser *p, json_t *set, struct str s)
{
	return json_object_setn(set, s.ptr, s.len, json_true()) ? nomem(p) : 0;
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
			return invalid(p,
				       "An expression attribute name used in the document path is "
				       "not defined; attribute name: %.*s",
				       (int)p->text.len, p->text.ptr);
		if (mark_used(p, p->x->used_names, p->text))
			return p->err;
		el->name = str_make(json_string_value(v), json_string_length(v));
	} else {
		return syntax(p);
	}
	el->index = -1;
	next(p);
	return 0;
}

/* One list index "[n]" after a path element. */
static int path_index(struct parser *p, struct ddb_path *path)
{
	long long idx;
	next(p);
	if (p->tok != T_INT || str_to_i64(p->text, 0, INT32_MAX, &idx))
		return syntax(p);
	next(p);
	if (p->tok != T_RB)
		return syntax(p);
	next(p);
	if (path->n >= DDB_MAX_DEPTH || p->x->nelems >= DDB_EXPR_MAX_ELEMS)
		return invalid(p, "The document path has too many nesting levels");
	p->x->nelems++;
	path->e[path->n].name = str_make(NULL, 0);
	path->e[path->n++].index = (long)idx;
	return 0;
}

/* One element of a path: a name and its list indexes. */
static int path_elem(struct parser *p, struct ddb_path *path)
{
	int err;
	if (p->x->nelems + 2 > DDB_EXPR_MAX_ELEMS)
		return invalid(p, "The expression has too many path elements");
	if (path->n >= DDB_MAX_DEPTH)
		return invalid(p,
			       "The document path has too many nesting levels; nesting levels: %d",
			       path->n + 1);
	p->x->nelems++;
	if ((err = path_name(p, &path->e[path->n++])))
		return err;
	while (p->tok == T_LB)
		if ((err = path_index(p, path)))
			return err;
	return 0;
}

/* A document path; its elements are contiguous in the expression's pool. */
static struct ddb_path *parse_path(struct parser *p)
{
	struct ddb_path *path;
	if (p->x->npaths >= DDB_EXPR_MAX_PATHS) {
		invalid(p, "The expression has too many paths");
		return NULL;
	}
	path = &p->x->paths[p->x->npaths++];
	path->n = 0;
	path->e = &p->x->elems[p->x->nelems];
	while (!path_elem(p, path)) {
		if (p->tok != T_DOT)
			return path;
		next(p);
	}
	return NULL;
}

static struct ddb_node *parse_value(struct parser *p)
{
	json_t *v = p->x->values ? json_object_getn(p->x->values, p->text.ptr, p->text.len) : NULL;
	struct ddb_node *n;
	if (!v) {
		invalid(p,
			"An expression attribute value used in expression is not defined; "
			"attribute value: %.*s",
			(int)p->text.len, p->text.ptr);
		return NULL;
	}
	if (!(n = new_node(p, DN_VALUE)) || mark_used(p, p->x->used_values, p->text))
		return NULL;
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

/* An operand of a condition: path, :value or size(path). */
static struct ddb_node *parse_operand(struct parser *p)
{
	struct ddb_node *n;
	if (p->tok == T_VALUE)
		return parse_value(p);
	if (str_eq_cstr(p->text, "size") && paren_follows(p)) {
		if (!(n = new_node(p, DN_SIZE)))
			return NULL;
		next(p); /* the name; '(' follows */
		next(p);
		if (!(n->a = parse_path_node(p)) || expect(p, T_RP))
			return NULL;
		return n;
	}
	if (p->tok == T_IDENT || p->tok == T_NAME)
		return parse_path_node(p);
	syntax(p);
	return NULL;
}

/* ----- conditions ------------------------------------------------------------------ */

static struct ddb_node *parse_cond(struct parser *p);

static const struct cond_func {
	const char *name;
	enum ddb_node_kind kind;
	int args;
} cond_funcs[] = {
	{"attribute_exists", DN_EXISTS, 1}, {"attribute_not_exists", DN_NOT_EXISTS, 1},
	{"attribute_type", DN_TYPE, 2},	    {"begins_with", DN_BEGINS_WITH, 2},
	{"contains", DN_CONTAINS, 2},
};

/* The condition function called at the current token, or NULL. */
static const struct cond_func *func_at(const struct parser *p)
{
	for (size_t i = 0; paren_follows(p) && i < ARRAY_SIZE(cond_funcs); i++)
		if (str_eq_cstr(p->text, cond_funcs[i].name))
			return &cond_funcs[i];
	return NULL;
}

static struct ddb_node *parse_func(struct parser *p, const struct cond_func *f)
{
	struct ddb_node *n = new_node(p, f->kind);
	bool path_arg = f->kind == DN_EXISTS || f->kind == DN_NOT_EXISTS || f->kind == DN_TYPE;
	if (!n)
		return NULL;
	next(p); /* the name; '(' follows */
	next(p);
	if (!(n->a = path_arg ? parse_path_node(p) : parse_operand(p)))
		return NULL;
	if (f->args == 2 && (expect(p, T_COMMA) || !(n->b = parse_operand(p))))
		return NULL;
	if (f->kind == DN_TYPE && n->b->kind != DN_VALUE) {
		invalid(p, "Incorrect operand type for operator or function; operator or "
			   "function: attribute_type, operand type: PATH");
		return NULL;
	}
	return expect(p, T_RP) ? NULL : n;
}

static enum ddb_cmp_op cmp_op(enum tok t)
{
	static const enum ddb_cmp_op ops[] = {[T_EQ] = DC_EQ, [T_NE] = DC_NE, [T_LT] = DC_LT,
					      [T_LE] = DC_LE, [T_GT] = DC_GT, [T_GE] = DC_GE};
	return (size_t)t < ARRAY_SIZE(ops) ? ops[t] : 0;
}

static struct ddb_node *parse_compare(struct parser *p, struct ddb_node *a)
{
	struct ddb_node *n = new_node(p, DN_CMP);
	if (!n)
		return NULL;
	n->op = cmp_op(p->tok);
	n->a = a;
	next(p);
	return (n->b = parse_operand(p)) ? n : NULL;
}

static struct ddb_node *parse_between(struct parser *p, struct ddb_node *a)
{
	struct ddb_node *n = new_node(p, DN_BETWEEN);
	int c;
	if (!n)
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
	if (n->b->kind == DN_VALUE && n->c->kind == DN_VALUE &&
	    ddb_value_cmp(n->b->value, n->c->value, &c) && c > 0) {
		invalid(p, "The BETWEEN operator requires upper bound to be greater than or "
			   "equal to lower bound");
		return NULL;
	}
	return n;
}

static struct ddb_node *parse_in(struct parser *p, struct ddb_node *a)
{
	struct ddb_node *n = new_node(p, DN_IN);
	if (!n)
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
		if (p->x->nlists >= DDB_EXPR_MAX_NODES || n->nlist >= IN_MAX) {
			invalid(p, "The IN operator takes at most 100 operands");
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

static struct ddb_node *parse_predicate(struct parser *p)
{
	const struct cond_func *f = func_at(p);
	struct ddb_node *n, *a;
	if (p->tok == T_LP) {
		next(p);
		n = parse_cond(p);
		return !n || expect(p, T_RP) ? NULL : n;
	}
	if (f)
		return parse_func(p, f);
	if (!(a = parse_operand(p)))
		return NULL;
	if (cmp_op(p->tok))
		return parse_compare(p, a);
	if (tok_is_word(p, "BETWEEN"))
		return parse_between(p, a);
	if (tok_is_word(p, "IN"))
		return parse_in(p, a);
	syntax(p);
	return NULL;
}

static struct ddb_node *parse_not(struct parser *p)
{
	struct ddb_node *n;
	if (++p->depth > DDB_MAX_DEPTH * 2) {
		invalid(p, "The expression is nested too deeply");
		return NULL;
	}
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
		invalid(p, "The expression is nested too deeply");
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
		return invalid(p, "The expression can not be empty;");
	if (p->len > DDB_EXPR_MAX)
		return invalid(p,
			       "Expression size has exceeded the maximum allowed size; expression "
			       "size: %zu",
			       p->len);
	next(p);
	return 0;
}

int ddb_expr_parse_condition(struct ddb_expression *x, const char *text, size_t len,
			     const char *what, struct ddb_err *e)
{
	struct parser p;
	int err = start(&p, x, text, len, what, e);
	if (err)
		return err;
	x->root = parse_cond(&p);
	if (!x->root || p.tok != T_END)
		return syntax(&p);
	return 0;
}

/* ----- updates -------------------------------------------------------------------- */

static struct ddb_node *parse_set_value(struct parser *p);

/* if_not_exists(path, value) or list_append(a, b), at the function's name. */
static struct ddb_node *parse_set_func(struct parser *p, bool ine)
{
	struct ddb_node *n;
	if (++p->depth > DDB_MAX_DEPTH) {
		invalid(p, "The expression is nested too deeply");
		return NULL;
	}
	if (!(n = new_node(p, ine ? DN_IF_NOT_EXISTS : DN_LIST_APPEND)))
		return NULL;
	next(p);
	next(p);
	n->a = ine ? parse_path_node(p) : parse_set_value(p);
	if (!n->a || expect(p, T_COMMA) || !(n->b = parse_set_value(p)) || expect(p, T_RP))
		return NULL;
	p->depth--;
	return n;
}

/* An operand of SET: path, :value, if_not_exists(path, v), list_append(a, b). */
static struct ddb_node *parse_set_operand(struct parser *p)
{
	bool ine = tok_is_word(p, "if_not_exists"), la = tok_is_word(p, "list_append");
	if ((ine || la) && paren_follows(p))
		return parse_set_func(p, ine);
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

void ddb_path_text(const struct ddb_path *p, struct buf *out)
{
	for (int i = 0; i < p->n; i++) {
		if (p->e[i].index >= 0)
			buf_putf(out, "[%ld]", p->e[i].index);
		else
			buf_putf(out, "%s%.*s", i ? ", " : "", (int)p->e[i].name.len,
				 p->e[i].name.ptr);
	}
}

/* DynamoDB refuses two actions on overlapping paths. */
static int check_overlap(struct parser *p, const struct ddb_path *one, const struct ddb_path *two)
{
	struct buf a, b;
	int err;
	buf_init(&a, PATH_TEXT_MAX);
	buf_init(&b, PATH_TEXT_MAX);
	ddb_path_text(one, &a);
	ddb_path_text(two, &b);
	if (buf_error(&a) == ERR_NOMEM || buf_error(&b) == ERR_NOMEM)
		err = nomem(p);
	else
		err = invalid(p,
			      "Two document paths overlap with each other; must remove or rewrite "
			      "one of these paths; path one: [%s%s], path two: [%s%s]",
			      a.ptr, buf_error(&a) ? "..." : "", b.ptr, buf_error(&b) ? "..." : "");
	buf_release(&a);
	buf_release(&b);
	return err;
}

static int add_action(struct parser *p, enum ddb_action kind)
{
	struct ddb_update_action *a;
	if (p->x->nactions >= DDB_EXPR_MAX_PATHS)
		return invalid(p, "too many actions");
	a = &p->x->actions[p->x->nactions];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	if (!(a->path = parse_path(p)))
		return syntax(p);
	if (kind == DA_SET && (expect(p, T_EQ) || !(a->value = parse_set_value(p))))
		return syntax(p);
	if (kind == DA_ADD || kind == DA_DELETE) {
		if (p->tok != T_VALUE || !(a->value = parse_value(p)))
			return syntax(p);
	}
	for (int i = 0; i < p->x->nactions; i++)
		if (path_overlap(p->x->actions[i].path, a->path))
			return check_overlap(p, p->x->actions[i].path, a->path);
	p->x->nactions++;
	return 0;
}

static const char *const clauses[] = {
	[DA_SET] = "SET", [DA_REMOVE] = "REMOVE", [DA_ADD] = "ADD", [DA_DELETE] = "DELETE"};

/* The clause keyword at the current token, or 0. */
static enum ddb_action clause_at(const struct parser *p)
{
	for (enum ddb_action k = DA_SET; k <= DA_DELETE; k++)
		if (tok_is_word(p, clauses[k]))
			return k;
	return 0;
}

int ddb_expr_parse_update(struct ddb_expression *x, const char *text, size_t len, struct ddb_err *e)
{
	bool seen[ARRAY_SIZE(clauses)] = {false};
	struct parser p;
	int err = start(&p, x, text, len, "UpdateExpression", e);
	while (!err && p.tok != T_END) {
		enum ddb_action k = clause_at(&p);
		if (!k)
			return syntax(&p);
		if (seen[k])
			return invalid(&p,
				       "The \"%s\" section can only be used once in an update "
				       "expression;",
				       clauses[k]);
		seen[k] = true;
		next(&p);
		do {
			err = add_action(&p, k);
		} while (!err && p.tok == T_COMMA && (next(&p), true));
	}
	return err;
}

/* ----- projections and the names and values used ----------------------------------- */

int ddb_expr_parse_projection(struct ddb_expression *x, const char *text, size_t len,
			      struct ddb_err *e)
{
	struct parser p;
	int err = start(&p, x, text, len, "ProjectionExpression", e);
	while (!err) {
		struct ddb_path *path = parse_path(&p);
		if (!path)
			return syntax(&p);
		for (int i = 0; i < x->nproj; i++)
			if (path_overlap(x->proj[i], path))
				return invalid(&p, "Two document paths overlap with each other; "
						   "must remove or rewrite one of these paths");
		x->proj[x->nproj++] = path;
		if (p.tok == T_END)
			return 0;
		err = expect(&p, T_COMMA);
	}
	return err;
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

/* The members of `given` that are not in `used`: a ValidationException. */
static int unused(json_t *given, json_t *used, const char *what, struct ddb_err *e)
{
	const char *k;
	json_t *v;
	struct buf list;
	int err = 0;
	buf_init(&list, UNUSED_LIST_MAX);
	json_object_foreach(given, k, v)
	{
		if (!json_object_get(used, k))
			buf_putf(&list, "%s%s", list.len ? ", " : "", k);
	}
	if (buf_error(&list) == ERR_NOMEM)
		err = ERR_NOMEM;
	else if (list.len || buf_error(&list))
		err = ddb_invalid(e, "Value provided in %s unused in expressions: keys: {%s%s}",
				  what, list.ptr,
				  !buf_error(&list) ? ""
				  : list.len	    ? ", ..."
						    : "...");
	buf_release(&list);
	return err;
}

int ddb_expr_check_unused(struct ddb_expression *x, struct ddb_err *e)
{
	int err = 0;
	if (x->names)
		err = unused(x->names, x->used_names, "ExpressionAttributeNames", e);
	if (!err && x->values)
		err = unused(x->values, x->used_values, "ExpressionAttributeValues", e);
	return err;
}
