/*
 * Intrinsic functions and conditions, evaluated the way CloudFormation would
 * before deployment: what is known now (parameters, literal strings,
 * mappings, the partition) is computed; what only exists at deploy time
 * (attributes, imports, the account) becomes a TVAL_UNKNOWN that says what
 * it refers to. Fn::If on a condition that cannot be decided keeps both
 * branches as a TVAL_CHOICE. Arguments are checked as CloudFormation checks
 * them, so a template that would fail to deploy fails to load, with the
 * position of the faulty intrinsic.
 */
#include "core/common.h"

#include "core/buf.h"
#include "template/template_int.h"

#define SUB_MAX_BYTES (1u << 20) /* the result of one Fn::Sub or Fn::Join */

static int resolve_in(struct tctx *c, const struct tval *raw, struct tval **out);

/* ----- names ----- */

static bool is_sam_generated(struct tctx *c, const char *id)
{
	size_t i;

	if (!c->t->sam)
		return false;
	if (!strncmp(id, "ServerlessRestApi", 17) || !strncmp(id, "ServerlessHttpApi", 17))
		return true;
	/* <Function>Role, <Api>ProdStage, <Function>Aliaslive, <Function>.Version ... */
	for (i = 0; i < c->t->nres; i++) {
		const struct template_resource *r = &c->t->res[i];
		size_t n = strlen(r->id);

		if ((!strncmp(r->type, "AWS::Serverless::", 17) || r->sam_type) &&
		    !strncmp(id, r->id, n) && id[n])
			return true;
	}
	return false;
}

bool tresolve_known_id(struct tctx *c, const char *id, bool params_too)
{
	if (template_resource(c->t, id))
		return true;
	if (params_too && template_param(c->t, id))
		return true;
	return is_sam_generated(c, id);
}

/* ----- small helpers ----- */

static const struct tval *arg_of(const struct tval *call)
{
	return call->pairs[0].val;
}

static int bad_args(struct tctx *c, const struct tval *call, const char *expect)
{
	return tctx_fail(c, call->pos, ERR_PARSE, "%s expects %s", call->pairs[0].key, expect);
}

static struct tval *absent_node(struct tctx *c, struct tpos pos)
{
	struct tval *v = tv_new(c, TVAL_NULL, pos);

	if (v)
		v->flags |= TVAL_F_ABSENT;
	return v;
}

static struct tval *unknown_fmt(struct tctx *c, struct tpos pos, enum tval_unknown u,
				const char *ref, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct tval *unknown_fmt(struct tctx *c, struct tpos pos, enum tval_unknown u,
				const char *ref, const char *attr, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return tv_unknown(c, pos, u, ref, attr, desc);
}

/* A known scalar's text, or NULL (unknown, partial, containers). */
static const char *known_text(const struct tval *v)
{
	if (!v || (v->flags & TVAL_F_PARTIAL))
		return NULL;
	return tval_scalar(v);
}

/* ----- Ref ----- */

static int ref_pseudo(struct tctx *c, const struct tval *call, const char *name, struct tval **out)
{
	static const char *const unknown[] = {
		"AWS::Region",	"AWS::AccountId",	 "AWS::StackName",
		"AWS::StackId", "AWS::NotificationARNs",
	};
	size_t i;

	if (!strcmp(name, "AWS::NoValue")) {
		*out = NULL;
		return 0;
	}
	if (!strcmp(name, "AWS::Partition") || !strcmp(name, "AWS::URLSuffix")) {
		*out = tv_cstr(c, call->pos, name[5] == 'P' ? "aws" : "amazonaws.com");
		if (*out)
			(*out)->flags |= TVAL_F_INTRINSIC;
		return *out ? 0 : c->err;
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		if (!strcmp(name, unknown[i])) {
			*out = unknown_fmt(c, call->pos, TUNK_PSEUDO, name, NULL, "!Ref %s", name);
			return *out ? 0 : c->err;
		}
	}
	return tctx_fail(c, call->pos, ERR_PARSE, "Ref to unknown pseudo parameter %s", name);
}

/* The value of a name as Ref (and Fn::Sub) sees it. */
static int ref_name(struct tctx *c, const struct tval *call, const char *name, struct tval **out)
{
	const struct template_param *p;

	if (!strncmp(name, "AWS::", 5))
		return ref_pseudo(c, call, name, out);
	p = template_param(c->t, name);
	if (p) {
		if (!p->value) {
			*out = unknown_fmt(c, call->pos, TUNK_PARAM, name, NULL, "!Ref %s", name);
			if (*out && p->no_echo)
				(*out)->flags |= TVAL_F_NOECHO;
			return *out ? 0 : c->err;
		}
		*out = tv_copy(c, p->value);
		if (!*out)
			return c->err;
		(*out)->pos = call->pos;
		(*out)->param = p->name;
		(*out)->flags |= TVAL_F_PARAM | TVAL_F_INTRINSIC;
		if (!p->overridden)
			(*out)->flags |= TVAL_F_DEFAULT;
		if (p->no_echo)
			(*out)->flags |= TVAL_F_NOECHO;
		return 0;
	}
	if (tresolve_known_id(c, name, false)) {
		*out = unknown_fmt(c, call->pos, TUNK_REF, name, NULL, "!Ref %s", name);
		return *out ? 0 : c->err;
	}
	return tctx_fail(c, call->pos, ERR_PARSE,
			 "Ref to %s, which is neither a parameter nor a resource", name);
}

static int fn_ref(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);

	if (a->kind != TVAL_STRING || !a->len)
		return bad_args(c, call, "the name of a parameter or resource");
	/* SAM's "Ref: MyFunction.Alias" / ".Version" */
	if (c->t->sam && strchr(a->text, '.') && strncmp(a->text, "AWS::", 5) != 0) {
		char id[256];
		size_t n = (size_t)(strchr(a->text, '.') - a->text);

		if (n < sizeof(id)) {
			memcpy(id, a->text, n);
			id[n] = '\0';
			if (tresolve_known_id(c, id, false)) {
				*out = unknown_fmt(c, call->pos, TUNK_REF, a->text, NULL, "!Ref %s",
						   a->text);
				return *out ? 0 : c->err;
			}
		}
	}
	return ref_name(c, call, a->text, out);
}

/* ----- Fn::GetAtt ----- */

static int getatt_make(struct tctx *c, const struct tval *call, const char *id, const char *attr,
		       struct tval **out)
{
	if (!*id || !*attr)
		return bad_args(c, call, "[resource, attribute] or \"resource.attribute\"");
	if (!tresolve_known_id(c, id, false))
		return tctx_fail(c, call->pos, ERR_PARSE, "Fn::GetAtt names no resource %s", id);
	*out = unknown_fmt(c, call->pos, TUNK_GETATT, id, attr, "!GetAtt %s.%s", id, attr);
	return *out ? 0 : c->err;
}

static int fn_getatt(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);
	char id[256];

	if (a->kind == TVAL_STRING) {
		const char *dot = strchr(a->text, '.');
		size_t n;

		if (!dot)
			return bad_args(c, call, "[resource, attribute] or \"resource.attribute\"");
		n = (size_t)(dot - a->text);
		if (n >= sizeof(id))
			return bad_args(c, call, "a shorter resource name");
		memcpy(id, a->text, n);
		id[n] = '\0';
		return getatt_make(c, call, id, dot + 1, out);
	}
	if (a->kind == TVAL_SEQ && a->n == 2 && a->items[0]->kind == TVAL_STRING) {
		struct tval *attr;
		int err = resolve_in(c, a->items[1], &attr);

		if (err)
			return err;
		if (!known_text(attr) || attr->kind != TVAL_STRING) {
			if (!tresolve_known_id(c, a->items[0]->text, false))
				return tctx_fail(c, call->pos, ERR_PARSE,
						 "Fn::GetAtt names no resource %s",
						 a->items[0]->text);
			*out = unknown_fmt(c, call->pos, TUNK_GETATT, a->items[0]->text, NULL,
					   "!GetAtt %s.?", a->items[0]->text);
			return *out ? 0 : c->err;
		}
		return getatt_make(c, call, a->items[0]->text, attr->text, out);
	}
	return bad_args(c, call, "[resource, attribute] or \"resource.attribute\"");
}

/* ----- Fn::Sub and Fn::Join: strings from parts ----- */

struct strb {
	struct buf b;
	unsigned flags;
};

/* Append a resolved part; unknown parts are written "${desc}". */
static int strb_part(struct tctx *c, struct strb *s, const struct tval *v, const char *name)
{
	const char *t = known_text(v);
	int err;

	if (t && v->kind != TVAL_NULL) {
		err = buf_add(&s->b, t, strlen(t));
		s->flags |= v->flags & (TVAL_F_NOECHO | TVAL_F_DEFAULT | TVAL_F_PARAM);
	} else {
		s->flags |= TVAL_F_PARTIAL;
		if (v && v->kind == TVAL_UNKNOWN && v->ref)
			err = buf_addf(&s->b, "${%s%s%s}", v->ref, v->attr ? "." : "",
				       v->attr ? v->attr : "");
		else if (name)
			err = buf_addf(&s->b, "${%s}", name);
		else
			err = buf_adds(&s->b, "${?}");
	}
	if (err)
		return tctx_fail(c, v ? v->pos : (struct tpos){c->file, 0, 0}, err,
				 "string built by an intrinsic function is too long");
	return 0;
}

static int strb_finish(struct tctx *c, struct strb *s, struct tpos pos, unsigned flag,
		       struct tval **out)
{
	*out = tv_string(c, pos, s->b.ptr, s->b.len);
	buf_release(&s->b);
	if (!*out)
		return c->err;
	(*out)->flags |= s->flags | flag | TVAL_F_INTRINSIC;
	if (!((*out)->flags & TVAL_F_PARAM))
		(*out)->flags &= ~TVAL_F_DEFAULT;
	(*out)->flags &= ~TVAL_F_PARAM;
	return 0;
}

/* The value of ${name} in a Fn::Sub. */
static int sub_var(struct tctx *c, const struct tval *call, const struct tval *vars,
		   const char *name, struct tval **out)
{
	const struct tval *raw = tval_get(vars, name);
	const char *dot;

	if (raw)
		return resolve_in(c, raw, out);
	if (!strncmp(name, "AWS::", 5))
		return ref_pseudo(c, call, name, out);
	dot = strchr(name, '.');
	if (dot) {
		char id[256];
		size_t n = (size_t)(dot - name);

		if (n < sizeof(id)) {
			memcpy(id, name, n);
			id[n] = '\0';
			if (tresolve_known_id(c, id, false))
				return getatt_make(c, call, id, dot + 1, out);
		}
	} else if (tresolve_known_id(c, name, true)) {
		return ref_name(c, call, name, out);
	}
	return tctx_fail(c, call->pos, ERR_PARSE,
			 "Fn::Sub variable ${%s} names no parameter, resource or variable", name);
}

static int fn_sub(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call), *tmpl = a, *vars = NULL;
	struct strb s = {.flags = 0};
	const char *p, *end;
	int err = 0;

	if (a->kind == TVAL_SEQ) {
		if (a->n != 2 || a->items[1]->kind != TVAL_MAP)
			return bad_args(c, call, "a string or [string, {variables}]");
		tmpl = a->items[0];
		vars = a->items[1];
	}
	if (tmpl->kind != TVAL_STRING)
		return bad_args(c, call, "a string or [string, {variables}]");
	buf_init(&s.b, SUB_MAX_BYTES);
	p = tmpl->text;
	end = p + tmpl->len;
	while (!err && p < end) {
		const char *open = strstr(p, "${"), *close;

		if (!open) {
			err = buf_add(&s.b, p, (size_t)(end - p));
			break;
		}
		err = buf_add(&s.b, p, (size_t)(open - p));
		if (err)
			break;
		close = strchr(open + 2, '}');
		if (!close) {
			err = buf_add(&s.b, open, (size_t)(end - open));
			break;
		}
		if (open[2] == '!') { /* ${!Literal} is written ${Literal} */
			err = buf_adds(&s.b, "${");
			p = open + 3;
			continue;
		} else {
			char name[256];
			size_t n = (size_t)(close - open - 2);
			struct tval *v;

			if (n == 0 || n >= sizeof(name)) {
				buf_release(&s.b);
				return tctx_fail(c, call->pos, ERR_PARSE,
						 "Fn::Sub has an empty or overlong variable");
			}
			memcpy(name, open + 2, n);
			name[n] = '\0';
			err = sub_var(c, call, vars, name, &v);
			if (err) {
				buf_release(&s.b);
				return err;
			}
			/* sub_var() sets v whenever it returns 0 (tctx_fail() never does) */
			// NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage)
			err = strb_part(c, &s, v, name);
			if (err) {
				buf_release(&s.b);
				return err;
			}
			p = close + 1;
		}
	}
	if (err) {
		buf_release(&s.b);
		return tctx_fail(c, call->pos, err, "Fn::Sub result is too long");
	}
	/* Variables are resolved for their errors even when not used. */
	if (vars) {
		size_t i;
		struct tval *v;

		for (i = 0; i < vars->n; i++) {
			err = resolve_in(c, vars->pairs[i].val, &v);
			if (err) {
				buf_release(&s.b);
				return err;
			}
		}
	}
	return strb_finish(c, &s, call->pos, TVAL_F_SUB, out);
}

static int fn_join(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);
	struct tval *list;
	const char *delim;
	struct strb s = {.flags = 0};
	size_t i;
	int err;

	if (a->kind != TVAL_SEQ || a->n != 2 || a->items[0]->kind != TVAL_STRING)
		return bad_args(c, call, "[delimiter, [values]]");
	delim = a->items[0]->text;
	err = resolve_in(c, a->items[1], &list);
	if (err)
		return err;
	if (!list || list->kind != TVAL_SEQ) {
		if (list && (list->kind == TVAL_UNKNOWN || list->kind == TVAL_CHOICE)) {
			*out = unknown_fmt(c, call->pos, TUNK_OTHER, NULL, NULL, "!Join [%s, %s]",
					   delim, list->kind == TVAL_UNKNOWN ? list->text : "!If");
			return *out ? 0 : c->err;
		}
		return bad_args(c, call, "[delimiter, [values]]");
	}
	buf_init(&s.b, SUB_MAX_BYTES);
	for (i = 0; i < list->n; i++) {
		if (i && buf_adds(&s.b, delim)) {
			buf_release(&s.b);
			return tctx_fail(c, call->pos, ERR_TOOLARGE, "Fn::Join result is too long");
		}
		if (list->items[i]->kind == TVAL_SEQ || list->items[i]->kind == TVAL_MAP) {
			buf_release(&s.b);
			return bad_args(c, call, "a list of strings to join");
		}
		err = strb_part(c, &s, list->items[i], NULL);
		if (err) {
			buf_release(&s.b);
			return err;
		}
	}
	return strb_finish(c, &s, call->pos, TVAL_F_JOIN, out);
}

/* ----- Fn::If, Fn::Select, Fn::Split, Fn::FindInMap, others ----- */

static int cond_by_name(struct tctx *c, const struct tval *at, const char *name,
			enum template_cond_value *out);

static int fn_if(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);
	enum template_cond_value cv = TCOND_UNKNOWN;
	struct tval *yes, *no, *v;
	int err;

	if (a->kind != TVAL_SEQ || a->n != 3 || a->items[0]->kind != TVAL_STRING)
		return bad_args(c, call, "[condition, value if true, value if false]");
	err = cond_by_name(c, call, a->items[0]->text, &cv);
	if (!err)
		err = resolve_in(c, a->items[1], &yes);
	if (!err)
		err = resolve_in(c, a->items[2], &no);
	if (err)
		return err;
	if (cv == TCOND_TRUE) {
		*out = yes;
		return 0;
	}
	if (cv == TCOND_FALSE) {
		*out = no;
		return 0;
	}
	if (!yes && !no) {
		*out = NULL;
		return 0;
	}
	v = tv_new(c, TVAL_CHOICE, call->pos);
	if (!v)
		return c->err;
	v->items = arena_alloc(c->a, 2 * sizeof(struct tval *));
	if (!yes)
		yes = absent_node(c, call->pos);
	if (!no)
		no = absent_node(c, call->pos);
	if (!v->items || !yes || !no)
		return tctx_fail(c, call->pos, ERR_NOMEM, "out of memory");
	v->items[0] = yes;
	v->items[1] = no;
	v->n = 2;
	v->cond = a->items[0]->text;
	v->flags |= TVAL_F_INTRINSIC;
	*out = v;
	return 0;
}

static int fn_select(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);
	struct tval *idx, *list;
	bool known_idx;
	long long i;
	int err;

	if (a->kind != TVAL_SEQ || a->n != 2)
		return bad_args(c, call, "[index, [values]]");
	err = resolve_in(c, a->items[0], &idx);
	if (!err)
		err = resolve_in(c, a->items[1], &list);
	if (err)
		return err;
	known_idx = known_text(idx) != NULL;
	if (!idx || (known_idx && tval_int(idx, &i)))
		return bad_args(c, call, "a numeric index");
	if (!known_idx || !list || list->kind != TVAL_SEQ) {
		if (list && list->kind != TVAL_SEQ && list->kind != TVAL_UNKNOWN &&
		    list->kind != TVAL_CHOICE)
			return bad_args(c, call, "[index, [values]]");
		*out = unknown_fmt(c, call->pos, TUNK_OTHER, NULL, NULL, "!Select [%s, %s]",
				   known_idx ? idx->text : "?",
				   list && list->kind == TVAL_UNKNOWN ? list->text : "...");
		return *out ? 0 : c->err;
	}
	if (i < 0 || (size_t)i >= list->n)
		return tctx_fail(c, call->pos, ERR_PARSE,
				 "Fn::Select index %lld is out of range (%zu values)", i, list->n);
	*out = list->items[i];
	return 0;
}

static int fn_split(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call);
	struct tval *src, *seq;
	const char *delim, *p, *hit;
	size_t dlen, alloc = 0;
	int err;

	if (a->kind != TVAL_SEQ || a->n != 2 || a->items[0]->kind != TVAL_STRING ||
	    !a->items[0]->len)
		return bad_args(c, call, "[delimiter, string]");
	delim = a->items[0]->text;
	dlen = a->items[0]->len;
	err = resolve_in(c, a->items[1], &src);
	if (err)
		return err;
	if (!known_text(src) || src->kind != TVAL_STRING) {
		if (src && (src->kind == TVAL_SEQ || src->kind == TVAL_MAP))
			return bad_args(c, call, "[delimiter, string]");
		*out = unknown_fmt(c, call->pos, TUNK_OTHER, NULL, NULL, "!Split [%s, %s]", delim,
				   src && src->kind == TVAL_UNKNOWN ? src->text : "...");
		return *out ? 0 : c->err;
	}
	seq = tv_new(c, TVAL_SEQ, call->pos);
	if (!seq)
		return c->err;
	for (p = src->text;; p = hit + dlen) {
		struct tval *item;

		hit = strstr(p, delim);
		item = tv_string(c, call->pos, p, hit ? (size_t)(hit - p) : strlen(p));
		if (!item || tv_push(c, seq, &alloc, item))
			return c->err;
		if (!hit)
			break;
	}
	seq->flags |= TVAL_F_INTRINSIC;
	*out = seq;
	return 0;
}

/* A copy of mapping data with the position of the Fn::FindInMap. */
static int fn_findinmap(struct tctx *c, const struct tval *call, struct tval **out)
{
	const struct tval *a = arg_of(call), *m, *lvl;
	struct tval *keys[3];
	size_t i;
	int err;

	if (a->kind != TVAL_SEQ || (a->n != 3 && a->n != 4))
		return bad_args(c, call, "[mapping, top-level key, second-level key]");
	for (i = 0; i < 3; i++) {
		err = resolve_in(c, a->items[i], &keys[i]);
		if (err)
			return err;
	}
	if (!known_text(keys[0]))
		return bad_args(c, call, "a mapping name");
	m = tval_get(c->t->mappings, keys[0]->text);
	if (!m)
		return tctx_fail(c, call->pos, ERR_PARSE, "Fn::FindInMap names no mapping %s",
				 keys[0]->text);
	if (!known_text(keys[1]) || !known_text(keys[2])) {
		*out = unknown_fmt(c, call->pos, TUNK_OTHER, NULL, NULL, "!FindInMap [%s, ...]",
				   keys[0]->text);
		return *out ? 0 : c->err;
	}
	lvl = tval_get(tval_get(m, keys[1]->text), keys[2]->text);
	if (!lvl) {
		if (a->n == 4) /* AWS::LanguageExtensions' DefaultValue */
			return resolve_in(c, a->items[3], out);
		return tctx_fail(c, call->pos, ERR_PARSE, "Fn::FindInMap: mapping %s has no %s.%s",
				 keys[0]->text, keys[1]->text, keys[2]->text);
	}
	err = resolve_in(c, lvl, out);
	if (!err && *out) {
		*out = tv_copy(c, *out);
		if (!*out)
			return c->err;
		(*out)->pos = call->pos;
		(*out)->flags |= TVAL_F_INTRINSIC;
	}
	return err;
}

static int fn_opaque(struct tctx *c, const struct tval *call, enum tval_unknown u,
		     struct tval **out)
{
	const char *key = call->pairs[0].key;
	struct tval *arg;
	int err = resolve_in(c, arg_of(call), &arg);

	if (err)
		return err;
	if (!strcmp(key, "Fn::Base64")) {
		/* CloudFormation encodes at deploy time; rules read the text. */
		if (arg && arg->kind == TVAL_STRING) {
			*out = arg;
			return 0;
		}
	}
	if (!strcmp(key, "Fn::ImportValue")) {
		const char *name = known_text(arg);

		*out = unknown_fmt(c, call->pos, TUNK_IMPORT, name, NULL, "!ImportValue %s",
				   name ? name : "...");
		return *out ? 0 : c->err;
	}
	*out = unknown_fmt(c, call->pos, u, NULL, NULL, "!%s", key + 4);
	return *out ? 0 : c->err;
}

/* ----- conditions ----- */

static int cond_expr(struct tctx *c, const struct tval *raw, enum template_cond_value *out);

static int cond_by_name(struct tctx *c, const struct tval *at, const char *name,
			enum template_cond_value *out)
{
	size_t i;
	int err;

	for (i = 0; i < c->t->nconds; i++) {
		if (strcmp(c->t->conds[i].name, name))
			continue;
		if (c->cond_state[i] == TCS_DONE) {
			*out = c->t->conds[i].value;
			return 0;
		}
		if (c->cond_state[i] == TCS_BUSY)
			return tctx_fail(c, at->pos, ERR_PARSE, "condition %s depends on itself",
					 name);
		c->cond_state[i] = TCS_BUSY;
		err = cond_expr(c, c->raw_conds->pairs[i].val, &c->t->conds[i].value);
		if (err)
			return err;
		c->cond_state[i] = TCS_DONE;
		*out = c->t->conds[i].value;
		return 0;
	}
	return tctx_fail(c, at->pos, ERR_PARSE, "no condition named %s", name);
}

static int cond_equals(struct tctx *c, const struct tval *call, enum template_cond_value *out)
{
	const struct tval *a = arg_of(call);
	struct tval *x, *y;
	const char *tx, *ty;
	int err;

	if (a->kind != TVAL_SEQ || a->n != 2)
		return bad_args(c, call, "[value, value]");
	err = resolve_in(c, a->items[0], &x);
	if (!err)
		err = resolve_in(c, a->items[1], &y);
	if (err)
		return err;
	tx = known_text(x);
	ty = known_text(y);
	if (x && y && x->kind == TVAL_SEQ && y->kind == TVAL_SEQ) {
		*out = TCOND_UNKNOWN;
		return 0;
	}
	*out = tx && ty ? (strcmp(tx, ty) ? TCOND_FALSE : TCOND_TRUE) : TCOND_UNKNOWN;
	return 0;
}

static int cond_logic(struct tctx *c, const struct tval *call, enum template_cond_value *out)
{
	const char *key = call->pairs[0].key;
	const struct tval *a = arg_of(call);
	bool is_and = !strcmp(key, "Fn::And"), is_not = !strcmp(key, "Fn::Not");
	bool any_unknown = false, decided = false;
	size_t i;

	if (a->kind != TVAL_SEQ || (is_not ? a->n != 1 : (a->n < 2 || a->n > 10)))
		return bad_args(c, call, is_not ? "[condition]" : "a list of 2 to 10 conditions");
	for (i = 0; i < a->n; i++) {
		enum template_cond_value v;
		int err = cond_expr(c, a->items[i], &v);

		if (err)
			return err;
		if (v == TCOND_UNKNOWN)
			any_unknown = true;
		else if (is_not)
			*out = v == TCOND_TRUE ? TCOND_FALSE : TCOND_TRUE;
		else if ((v == TCOND_FALSE) == is_and)
			decided = true; /* false in an And, true in an Or */
	}
	if (is_not) {
		if (any_unknown)
			*out = TCOND_UNKNOWN;
		return 0;
	}
	if (decided)
		*out = is_and ? TCOND_FALSE : TCOND_TRUE;
	else if (any_unknown)
		*out = TCOND_UNKNOWN;
	else
		*out = is_and ? TCOND_TRUE : TCOND_FALSE;
	return 0;
}

static int cond_expr(struct tctx *c, const struct tval *raw, enum template_cond_value *out)
{
	const char *key;
	int err;

	if (++c->depth > TEMPLATE_MAX_DEPTH) {
		c->depth--;
		return tctx_fail(c, raw->pos, ERR_TOOLARGE, "conditions nested too deep");
	}
	if (tval_is_true(raw) || tval_is_false(raw)) {
		*out = tval_is_true(raw) ? TCOND_TRUE : TCOND_FALSE;
		err = 0;
	} else if (!tv_is_intrinsic(raw)) {
		err = tctx_fail(
			c, raw->pos, ERR_PARSE,
			"a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition");
	} else {
		key = raw->pairs[0].key;
		if (!strcmp(key, "Condition")) {
			const struct tval *n = arg_of(raw);

			err = n->kind == TVAL_STRING ? cond_by_name(c, raw, n->text, out)
						     : bad_args(c, raw, "a condition name");
		} else if (!strcmp(key, "Fn::Equals")) {
			err = cond_equals(c, raw, out);
		} else if (!strcmp(key, "Fn::And") || !strcmp(key, "Fn::Or") ||
			   !strcmp(key, "Fn::Not")) {
			err = cond_logic(c, raw, out);
		} else {
			err = tctx_fail(c, raw->pos, ERR_PARSE, "%s cannot be used in a condition",
					key);
		}
	}
	c->depth--;
	return err;
}

int tresolve_cond_expr(struct tctx *c, const struct tval *raw, enum template_cond_value *out)
{
	return cond_expr(c, raw, out);
}

int tresolve_conditions(struct tctx *c)
{
	size_t i;
	enum template_cond_value v;
	int err;

	for (i = 0; i < c->t->nconds; i++) {
		err = cond_by_name(c, c->raw_conds->pairs[i].val, c->t->conds[i].name, &v);
		if (err)
			return err;
	}
	return 0;
}

/* ----- dispatch ----- */

static int resolve_intrinsic(struct tctx *c, const struct tval *call, struct tval **out)
{
	const char *k = call->pairs[0].key;
	enum template_cond_value cv = TCOND_UNKNOWN;
	int err;

	if (!strcmp(k, "Ref"))
		return fn_ref(c, call, out);
	if (!strcmp(k, "Fn::Sub"))
		return fn_sub(c, call, out);
	if (!strcmp(k, "Fn::GetAtt"))
		return fn_getatt(c, call, out);
	if (!strcmp(k, "Fn::Join"))
		return fn_join(c, call, out);
	if (!strcmp(k, "Fn::If"))
		return fn_if(c, call, out);
	if (!strcmp(k, "Fn::Select"))
		return fn_select(c, call, out);
	if (!strcmp(k, "Fn::Split"))
		return fn_split(c, call, out);
	if (!strcmp(k, "Fn::FindInMap"))
		return fn_findinmap(c, call, out);
	if (!strcmp(k, "Fn::Base64") || !strcmp(k, "Fn::ImportValue") || !strcmp(k, "Fn::Cidr") ||
	    !strcmp(k, "Fn::Transform") || !strcmp(k, "Fn::Length") ||
	    !strcmp(k, "Fn::ToJsonString"))
		return fn_opaque(c, call, TUNK_OTHER, out);
	if (!strcmp(k, "Fn::GetAZs")) {
		err = fn_opaque(c, call, TUNK_GETAZS, out);
		if (!err && *out)
			(*out)->text = "!GetAZs", (*out)->len = 7;
		return err;
	}
	if (!strcmp(k, "Fn::Equals") || !strcmp(k, "Fn::And") || !strcmp(k, "Fn::Or") ||
	    !strcmp(k, "Fn::Not")) {
		err = cond_expr(c, call, &cv);
		if (err)
			return err;
		if (cv == TCOND_UNKNOWN) {
			*out = unknown_fmt(c, call->pos, TUNK_OTHER, NULL, NULL, "!%s", k + 4);
		} else {
			*out = tv_cstr(c, call->pos, cv == TCOND_TRUE ? "true" : "false");
			if (*out)
				(*out)->kind = TVAL_BOOL, (*out)->b = cv == TCOND_TRUE;
		}
		return *out ? 0 : c->err;
	}
	if (!strcmp(k, "Condition")) /* a plain key named Condition (IAM statements) */
		return 1;
	return tctx_fail(c, call->pos, ERR_PARSE, "unknown intrinsic function %s", k);
}

/*
 * Maps and sequences are copied only when something below them changes
 * (an intrinsic resolved, a key removed by AWS::NoValue); otherwise the
 * resolved tree shares them with the raw tree, as it shares scalars. A
 * template of literal properties then costs one tree, not two.
 */
static int resolve_map(struct tctx *c, const struct tval *raw, struct tval **out)
{
	struct tval *m = NULL, *v;
	size_t i, alloc = 0;
	int err;

	for (i = 0; i < raw->n; i++) {
		err = resolve_in(c, raw->pairs[i].val, &v);
		if (err)
			return err;
		if (!m && v == raw->pairs[i].val)
			continue;
		if (!m) { /* the first change: copy the keys before it */
			m = tv_new(c, TVAL_MAP, raw->pos);
			if (!m)
				return c->err;
			m->flags = raw->flags;
			for (size_t k = 0; k < i; k++) {
				err = tv_put(c, m, &alloc, raw->pairs[k].key, raw->pairs[k].key_pos,
					     raw->pairs[k].val);
				if (err)
					return err;
			}
		}
		if (!v)
			continue; /* AWS::NoValue removes the key */
		err = tv_put(c, m, &alloc, raw->pairs[i].key, raw->pairs[i].key_pos, v);
		if (err)
			return err;
	}
	*out = m ? m : (struct tval *)raw;
	return 0;
}

static int resolve_seq(struct tctx *c, const struct tval *raw, struct tval **out)
{
	struct tval *s = NULL, *v;
	size_t i, alloc = 0;
	int err;

	for (i = 0; i < raw->n; i++) {
		err = resolve_in(c, raw->items[i], &v);
		if (err)
			return err;
		if (!s && v == raw->items[i])
			continue;
		if (!s) {
			s = tv_new(c, TVAL_SEQ, raw->pos);
			if (!s)
				return c->err;
			s->flags = raw->flags;
			for (size_t k = 0; k < i; k++) {
				err = tv_push(c, s, &alloc, raw->items[k]);
				if (err)
					return err;
			}
		}
		if (!v)
			continue;
		err = tv_push(c, s, &alloc, v);
		if (err)
			return err;
	}
	*out = s ? s : (struct tval *)raw;
	return 0;
}

static int resolve_in(struct tctx *c, const struct tval *raw, struct tval **out)
{
	int err;

	*out = NULL;
	if (c->err)
		return c->err;
	if (++c->depth > 2 * TEMPLATE_MAX_DEPTH) {
		c->depth--;
		return tctx_fail(c, raw->pos, ERR_TOOLARGE, "intrinsic functions nested too deep");
	}
	if (tv_is_intrinsic(raw)) {
		err = resolve_intrinsic(c, raw, out);
		if (err == 1)
			err = resolve_map(c, raw, out);
	} else if (raw->kind == TVAL_MAP) {
		err = resolve_map(c, raw, out);
	} else if (raw->kind == TVAL_SEQ) {
		err = resolve_seq(c, raw, out);
	} else {
		*out = (struct tval *)raw; /* scalars are shared with the raw tree */
		err = 0;
	}
	c->depth--;
	return err;
}

int tresolve(struct tctx *c, const struct tval *raw, struct tval **out)
{
	if (!raw) {
		*out = NULL;
		return 0;
	}
	return resolve_in(c, raw, out);
}
