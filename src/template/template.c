/*
 * template_load(): the stages of reading a template, in order. Read the
 * file; parse YAML/JSON into the raw tree; decide whether it is a
 * CloudFormation template at all; collect parameters (overrides, then
 * defaults); expand Fn::ForEach loops (foreach.c); collect conditions and
 * resources; let SAM expand its resources; then evaluate conditions and
 * resolve every resource's Properties and every output; last, read the
 * routes of SAM events and of OpenAPI definitions (openapi.c). The first
 * error stops the load and becomes the one message the user sees, with
 * its file:line:col.
 */
#include "core/common.h"

#include <sys/stat.h>

#include "template/template_int.h"

#define SAM_TRANSFORM	    "AWS::Serverless-2016-10-31"
#define LANGUAGE_EXTENSIONS "AWS::LanguageExtensions"

int tctx_fail(struct tctx *c, struct tpos pos, int err, const char *fmt, ...)
{
	struct template_diag *d = c->diag;
	va_list ap;

	if (c->err)
		return c->err;
	c->err = err;
	if (!d)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->text, sizeof(d->text), fmt, ap);
	va_end(ap);
	snprintf(d->file, sizeof(d->file), "%s", pos.file ? pos.file : c->file);
	d->line = pos.line;
	d->col = pos.col;
	if (pos.line > 0)
		snprintf(d->msg, sizeof(d->msg), "%s:%d:%d: %s", d->file, d->line, d->col, d->text);
	else
		snprintf(d->msg, sizeof(d->msg), "%s: %s", d->file, d->text);
	return err;
}

/* ----- lookups ----- */

struct res_index {
	size_t mask;
	size_t *slot; /* resource index + 1; 0 is empty */
};

static size_t hash_id(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int build_index(struct tctx *c)
{
	struct template *t = c->t;
	struct res_index *ix;
	size_t size = 16, i;

	while (size < 2 * t->nres)
		size *= 2;
	ix = arena_zalloc(c->a, sizeof(*ix));
	if (ix)
		ix->slot = arena_zalloc(c->a, size * sizeof(*ix->slot));
	if (!ix || !ix->slot)
		return tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_NOMEM, "out of memory");
	ix->mask = size - 1;
	for (i = 0; i < t->nres; i++) {
		size_t h = hash_id(t->res[i].id) & ix->mask;

		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = i + 1;
	}
	t->index_ = ix;
	return 0;
}

const struct template_resource *template_resource(const struct template *t, const char *id)
{
	const struct res_index *ix;
	size_t i;

	if (!t || !id)
		return NULL;
	ix = t->index_;
	if (ix) {
		for (i = hash_id(id) & ix->mask; ix->slot[i]; i = (i + 1) & ix->mask)
			if (!strcmp(t->res[ix->slot[i] - 1].id, id))
				return &t->res[ix->slot[i] - 1];
		return NULL;
	}
	for (i = 0; i < t->nres; i++)
		if (!strcmp(t->res[i].id, id))
			return &t->res[i];
	return NULL;
}

const struct template_param *template_param(const struct template *t, const char *name)
{
	size_t i;

	if (!t || !name)
		return NULL;
	for (i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return &t->params[i];
	return NULL;
}

const struct template_condition *template_condition(const struct template *t, const char *name)
{
	size_t i;

	if (!t || !name)
		return NULL;
	for (i = 0; i < t->nconds; i++)
		if (!strcmp(t->conds[i].name, name))
			return &t->conds[i];
	return NULL;
}

int tmodel_reserve(struct tctx *c, size_t n)
{
	struct template *t = c->t;
	struct template_resource *res;

	if (n <= c->nres_alloc)
		return 0;
	res = arena_alloc(c->a, n * sizeof(*res));
	if (!res)
		return tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_NOMEM, "out of memory");
	if (t->nres)
		memcpy(res, t->res, t->nres * sizeof(*res));
	t->res = res;
	c->nres_alloc = n;
	return 0;
}

int tmodel_add_resource(struct tctx *c, const struct template_resource *r)
{
	struct template *t = c->t;

	if (t->nres == c->nres_alloc) {
		size_t na = c->nres_alloc ? 2 * c->nres_alloc : 16;
		struct template_resource *n = arena_alloc(c->a, na * sizeof(*n));

		if (!n)
			return tctx_fail(c, r->pos, ERR_NOMEM, "out of memory");
		if (t->nres)
			memcpy(n, t->res, t->nres * sizeof(*n));
		t->res = n;
		c->nres_alloc = na;
	}
	t->res[t->nres++] = *r;
	t->index_ = NULL;
	return 0;
}

/* ----- sections ----- */

static const struct tval *section(struct tctx *c, const struct tval *root, const char *name,
				  int *err)
{
	const struct tval_pair *p = tval_get_pair(root, name);

	if (!p || p->val->kind == TVAL_NULL)
		return NULL;
	if (p->val->kind != TVAL_MAP) {
		*err = tctx_fail(c, p->val->pos, ERR_PARSE, "%s must be a map", name);
		return NULL;
	}
	return p->val;
}

static bool is_list_type(const char *type)
{
	return !strcmp(type, "CommaDelimitedList") || !strncmp(type, "List<", 5);
}

/* The value of parameter `p`: its override, else its Default. */
static int param_value(struct tctx *c, struct template_param *p, const char *over)
{
	const struct tval *d = p->dflt;
	struct tpos pos = d ? d->pos : p->pos;
	const char *text = over;
	struct tval *v;
	size_t alloc = 0;

	if (!strncmp(p->type, "AWS::SSM::Parameter::Value<", 27))
		return 0; /* looked up in SSM at deploy time */
	if (!text && d && d->kind == TVAL_SEQ && is_list_type(p->type)) {
		p->value = d;
		return 0;
	}
	if (!text && d)
		text = tval_scalar(d) ? tval_scalar(d) : (d->kind == TVAL_NULL ? "" : NULL);
	if (!text)
		return 0;
	if (!is_list_type(p->type)) {
		v = tv_cstr(c, pos, text);
		p->value = v;
		return v ? 0 : c->err;
	}
	v = tv_new(c, TVAL_SEQ, pos);
	if (!v)
		return c->err;
	while (*text) {
		const char *comma = strchr(text, ',');
		size_t n = comma ? (size_t)(comma - text) : strlen(text);
		struct tval *item = tv_string(c, pos, text, n);

		if (!item || tv_push(c, v, &alloc, item))
			return c->err;
		text += n + (comma ? 1 : 0);
	}
	p->value = v;
	return 0;
}

static const char *override_of(const struct template_params *ps, const char *name)
{
	size_t i;

	for (i = 0; ps && i < ps->n; i++)
		if (!strcmp(ps->items[i].name, name))
			return ps->items[i].value;
	return NULL;
}

static int load_params(struct tctx *c, const struct tval *sec)
{
	struct template *t = c->t;
	size_t i;
	int err;

	if (!sec)
		return 0;
	t->params = arena_zalloc(c->a, (sec->n + 1) * sizeof(*t->params));
	if (!t->params)
		return tctx_fail(c, sec->pos, ERR_NOMEM, "out of memory");
	for (i = 0; i < sec->n; i++) {
		const struct tval_pair *pp = &sec->pairs[i];
		struct template_param *p = &t->params[t->nparams++];
		const char *over;

		if (pp->val->kind != TVAL_MAP)
			return tctx_fail(c, pp->key_pos, ERR_PARSE, "parameter %s must be a map",
					 pp->key);
		p->name = pp->key;
		p->pos = pp->key_pos;
		p->type = tval_str(tval_get(pp->val, "Type"));
		if (!p->type)
			return tctx_fail(c, pp->key_pos, ERR_PARSE, "parameter %s has no Type",
					 pp->key);
		p->dflt = tval_get(pp->val, "Default");
		p->no_echo = tval_is_true(tval_get(pp->val, "NoEcho"));
		over = override_of(c->params, p->name);
		p->overridden = over != NULL;
		err = param_value(c, p, over);
		if (err)
			return err;
	}
	return 0;
}

static int load_conditions(struct tctx *c, const struct tval *sec)
{
	struct template *t = c->t;
	size_t i;

	if (!sec)
		return 0;
	c->raw_conds = sec;
	t->conds = arena_zalloc(c->a, (sec->n + 1) * sizeof(*t->conds));
	c->cond_state = arena_zalloc(c->a, sec->n + 1);
	if (!t->conds || !c->cond_state)
		return tctx_fail(c, sec->pos, ERR_NOMEM, "out of memory");
	for (i = 0; i < sec->n; i++) {
		t->conds[i].name = sec->pairs[i].key;
		t->conds[i].pos = sec->pairs[i].key_pos;
		t->conds[i].value = TCOND_UNKNOWN;
	}
	t->nconds = sec->n;
	return 0;
}

static const char *scalar_attr(struct tctx *c, const struct tval *body, const char *key, int *err)
{
	const struct tval *v = tval_get(body, key);

	if (!v)
		return NULL;
	/*
	 * With the AWS::LanguageExtensions transform, DeletionPolicy and
	 * UpdateReplacePolicy may be intrinsics (!If [IsProd, Retain, Delete]);
	 * resolve_policy_attr() decides them once conditions are known.
	 */
	if (tv_is_intrinsic(v) &&
	    (!strcmp(key, "DeletionPolicy") || !strcmp(key, "UpdateReplacePolicy")))
		return NULL;
	if (v->kind != TVAL_STRING) {
		*err = tctx_fail(c, v->pos, ERR_PARSE, "%s must be a string", key);
		return NULL;
	}
	return v->text;
}

static int load_resources(struct tctx *c, const struct tval *sec)
{
	size_t i;
	int err = tmodel_reserve(c, sec->n);

	for (i = 0; !err && i < sec->n; i++) {
		const struct tval_pair *rp = &sec->pairs[i];
		const struct tval *body = rp->val, *props;
		struct template_resource r;

		if (!strncmp(rp->key, "Fn::ForEach", 11))
			continue; /* a loop over a collection known at deploy time */
		if (body->kind != TVAL_MAP)
			return tctx_fail(c, rp->key_pos, ERR_PARSE, "resource %s must be a map",
					 rp->key);
		memset(&r, 0, sizeof(r));
		r.id = rp->key;
		r.pos = rp->key_pos;
		r.raw = body;
		r.type = scalar_attr(c, body, "Type", &err);
		if (!r.type && !err)
			err = tctx_fail(c, rp->key_pos, ERR_PARSE, "resource %s has no Type",
					rp->key);
		r.condition = scalar_attr(c, body, "Condition", &err);
		r.deletion_policy = scalar_attr(c, body, "DeletionPolicy", &err);
		r.update_replace_policy = scalar_attr(c, body, "UpdateReplacePolicy", &err);
		r.metadata = tval_get(body, "Metadata");
		props = tval_get(body, "Properties");
		if (props && props->kind != TVAL_MAP && props->kind != TVAL_NULL && !err)
			err = tctx_fail(c, props->pos, ERR_PARSE, "Properties of %s must be a map",
					rp->key);
		r.props = props && props->kind == TVAL_MAP ? props : NULL;
		if (err)
			return err;
		err = tmodel_add_resource(c, &r);
	}
	return err;
}

static int check_depends(struct tctx *c, struct template_resource *r)
{
	const struct tval *d = tval_get(r->raw, "DependsOn");
	const struct tval *one[1];
	const char **ids;
	size_t i, n;

	if (!d || r->implicit)
		return 0;
	n = d->kind == TVAL_SEQ ? d->n : 1;
	ids = arena_zalloc(c->a, (n + 1) * sizeof(*ids));
	if (!ids)
		return tctx_fail(c, d->pos, ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct tval *v = d->kind == TVAL_SEQ ? d->items[i] : (one[0] = d, one[0]);

		if (v->kind != TVAL_STRING)
			return tctx_fail(c, v->pos, ERR_PARSE, "DependsOn must name resources");
		if (!tresolve_known_id(c, v->text, false))
			return tctx_fail(c, v->pos, ERR_PARSE, "DependsOn names no resource %s",
					 v->text);
		ids[i] = v->text;
	}
	r->depends_on = ids;
	r->ndepends = n;
	return 0;
}

/*
 * Resolve an intrinsic DeletionPolicy/UpdateReplacePolicy. When a condition
 * leaves both branches open, the one that keeps the resource wins ("Retain",
 * "RetainExceptOnCreate", "Snapshot" over "Delete"), since rules about
 * retained resources must consider it.
 */
static int resolve_policy_attr(struct tctx *c, const struct template_resource *r, const char *key,
			       const char **out)
{
	const struct tval *raw = tval_get(r->raw, key);
	const struct tval *alts[16];
	struct tval *v = NULL;
	size_t i, n;
	int err;

	if (*out || !raw || !tv_is_intrinsic(raw))
		return 0;
	err = tresolve(c, raw, &v);
	if (err)
		return err;
	if (!v)
		return 0;
	n = tval_alts(v, alts, ARRAY_SIZE(alts));
	for (i = 0; i < n && i < ARRAY_SIZE(alts); i++) {
		const char *s = alts[i] ? tval_str(alts[i]) : NULL;

		if (!s)
			return tctx_fail(c, raw->pos, ERR_PARSE, "%s of %s must be a string", key,
					 r->id);
		if (!*out || !strcmp(*out, "Delete"))
			*out = s;
	}
	return 0;
}

static int resolve_resources(struct tctx *c)
{
	struct template *t = c->t;
	size_t i;
	int err;

	for (i = 0; i < t->nres; i++) {
		struct template_resource *r = &t->res[i];
		struct tval *props;

		r->cond_value = TCOND_TRUE;
		if (r->condition) {
			const struct template_condition *cd = template_condition(t, r->condition);

			if (!cd)
				return tctx_fail(c,
						 tval_get(r->raw, "Condition")
							 ? tval_get(r->raw, "Condition")->pos
							 : r->pos,
						 ERR_PARSE, "resource %s names no condition %s",
						 r->id, r->condition);
			r->cond_value = cd->value;
		}
		err = check_depends(c, r);
		if (!err)
			err = resolve_policy_attr(c, r, "DeletionPolicy", &r->deletion_policy);
		if (!err)
			err = resolve_policy_attr(c, r, "UpdateReplacePolicy",
						  &r->update_replace_policy);
		if (err)
			return err;
		props = NULL;
		if (r->props) {
			err = tresolve(c, r->props, &props);
			if (err)
				return err;
		}
		if (props && props->kind != TVAL_MAP && props->kind != TVAL_CHOICE)
			return tctx_fail(c, props->pos, ERR_PARSE, "Properties of %s must be a map",
					 r->id);
		if (!props) {
			props = tv_new(c, TVAL_MAP, r->pos);
			if (!props)
				return c->err;
		}
		r->props = props;
	}
	return 0;
}

static int load_outputs(struct tctx *c, const struct tval *sec)
{
	struct template *t = c->t;
	size_t i;
	int err = 0;

	if (!sec)
		return 0;
	t->outputs = arena_zalloc(c->a, (sec->n + 1) * sizeof(*t->outputs));
	if (!t->outputs)
		return tctx_fail(c, sec->pos, ERR_NOMEM, "out of memory");
	for (i = 0; i < sec->n; i++) {
		const struct tval_pair *op = &sec->pairs[i];
		struct template_output *o = &t->outputs[t->noutputs++];
		const struct tval *raw;
		struct tval *v = NULL;

		o->name = op->key;
		o->pos = op->key_pos;
		if (op->val->kind != TVAL_MAP)
			return tctx_fail(c, op->key_pos, ERR_PARSE, "output %s must be a map",
					 op->key);
		raw = tval_get(op->val, "Value");
		if (!raw)
			return tctx_fail(c, op->key_pos, ERR_PARSE, "output %s has no Value",
					 op->key);
		o->condition = scalar_attr(c, op->val, "Condition", &err);
		if (!err && o->condition && !template_condition(t, o->condition))
			err = tctx_fail(c, op->key_pos, ERR_PARSE,
					"output %s names no condition %s", op->key, o->condition);
		if (!err)
			err = tresolve(c, raw, &v);
		if (err)
			return err;
		o->value = v;
		raw = tval_get_path(op->val, "Export.Name");
		if (raw) {
			err = tresolve(c, raw, &v);
			if (err)
				return err;
			o->export_name = v && v->kind == TVAL_STRING && !(v->flags & TVAL_F_PARTIAL)
						 ? v->text
						 : NULL;
		}
	}
	return 0;
}

/* Does the template's Transform (a name or a list of names) include `name`? */
static bool has_transform(const struct tval *tr, const char *name)
{
	size_t i;

	if (tval_str_eq(tr, name))
		return true;
	if (tr && tr->kind == TVAL_SEQ)
		for (i = 0; i < tr->n; i++)
			if (tval_str_eq(tr->items[i], name))
				return true;
	return false;
}

static int not_a_template(struct tctx *c)
{
	return tctx_fail(c, (struct tpos){c->file, 0, 0}, ERR_UNSUPPORTED,
			 "not a CloudFormation template");
}

static int build(struct tctx *c, const char *data, size_t len)
{
	struct template *t = c->t;
	struct tval *root = NULL;
	const struct tval *res, *conds = NULL, *outputs = NULL;
	int err = 0;

	err = tyaml_parse(c, data, len, &root);
	if (err)
		return err;
	if (!root || root->kind != TVAL_MAP)
		return not_a_template(c);
	t->root = root;
	res = tval_get(root, "Resources");
	if (!res && !tval_get(root, "AWSTemplateFormatVersion") && !tval_get(root, "Transform"))
		return not_a_template(c);
	if (!res || res->kind != TVAL_MAP)
		return tctx_fail(c, res ? res->pos : root->pos, ERR_PARSE,
				 res ? "Resources must be a map" : "template has no Resources");
	t->sam = has_transform(tval_get(root, "Transform"), SAM_TRANSFORM);
	t->description = tval_str(tval_get(root, "Description"));
	t->mappings = section(c, root, "Mappings", &err);
	t->globals = section(c, root, "Globals", &err);
	conds = section(c, root, "Conditions", &err);
	outputs = section(c, root, "Outputs", &err);
	if (!err)
		err = load_params(c, section(c, root, "Parameters", &err));
	/*
	 * Loops need the AWS::LanguageExtensions transform, and may iterate
	 * over a list parameter: expanded once parameters are known.
	 */
	if (!err && has_transform(tval_get(root, "Transform"), LANGUAGE_EXTENSIONS)) {
		err = tforeach_expand(c, conds, &conds);
		if (!err)
			err = tforeach_expand(c, res, &res);
		if (!err)
			err = tforeach_expand(c, outputs, &outputs);
	}
	if (!err)
		err = load_conditions(c, conds);
	if (!err)
		err = load_resources(c, res);
	if (!err && t->sam)
		err = tsam_expand(c);
	if (!err)
		err = build_index(c);
	if (!err)
		err = tresolve_conditions(c);
	if (!err)
		err = resolve_resources(c);
	if (!err)
		err = load_outputs(c, outputs);
	if (!err && t->sam)
		err = tsam_routes(c);
	if (!err)
		err = topenapi_ops(c);
	if (!err)
		err = troutes_read(c);
	return err ? err : c->err;
}

int template_load_string(const char *name, const char *data, size_t len,
			 const struct template_params *params, struct template **out,
			 struct template_diag *diag)
{
	struct template *t;
	struct tctx c;
	int err;

	if (!out)
		return ERR_INVAL;
	*out = NULL;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	memset(&c, 0, sizeof(c));
	c.file = name ? name : "<string>";
	c.diag = diag;
	c.params = params;
	if (!data && len)
		return tctx_fail(&c, (struct tpos){c.file, 0, 0}, ERR_INVAL, "no data");
	if (len > TEMPLATE_MAX_BYTES)
		return tctx_fail(&c, (struct tpos){c.file, 0, 0}, ERR_TOOLARGE,
				 "template is larger than %u bytes", TEMPLATE_MAX_BYTES);
	t = calloc(1, sizeof(*t));
	if (!t)
		return tctx_fail(&c, (struct tpos){c.file, 0, 0}, ERR_NOMEM, "out of memory");
	arena_init(&t->arena, TEMPLATE_ARENA_CAP);
	c.t = t;
	c.a = &t->arena;
	t->path = arena_strdup(c.a, c.file);
	if (!t->path) {
		err = tctx_fail(&c, (struct tpos){c.file, 0, 0}, ERR_NOMEM, "out of memory");
		goto fail;
	}
	c.file = t->path;
	err = build(&c, data ? data : "", len);
	if (err)
		goto fail;
	*out = t;
	return 0;
fail:
	template_free(t);
	return err;
}

/* Read a whole file with a cap; ERR_NOTFOUND, ERR_IO or ERR_TOOLARGE. */
static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t n;
	char *p;

	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_IO;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return ERR_IO;
	}
	if ((unsigned long long)st.st_size > TEMPLATE_MAX_BYTES) {
		fclose(f);
		return ERR_TOOLARGE;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		fclose(f);
		return ERR_NOMEM;
	}
	n = fread(p, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		fclose(f);
		free(p);
		return ERR_IO;
	}
	fclose(f);
	p[n] = '\0';
	*data = p;
	*len = n;
	return 0;
}

int template_load(const char *path, const struct template_params *params, struct template **out,
		  struct template_diag *diag)
{
	char *data = NULL;
	size_t len = 0;
	int err;

	if (!out || !path)
		return ERR_INVAL;
	*out = NULL;
	err = read_file(path, &data, &len);
	if (err) {
		struct tctx c;

		memset(&c, 0, sizeof(c));
		c.file = path;
		c.diag = diag;
		if (diag)
			memset(diag, 0, sizeof(*diag));
		return tctx_fail(&c, (struct tpos){path, 0, 0}, err, "%s",
				 err == ERR_NOTFOUND   ? "no such file"
				 : err == ERR_TOOLARGE ? "template file is too large"
						       : "cannot read the file");
	}
	err = template_load_string(path, data, len, params, out, diag);
	free(data);
	return err;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	arena_release(&t->arena);
	free(t);
}

/* ----- functions ----- */

static const char *str_at(const struct tval *props, const char *path)
{
	const struct tval *v = tval_get_path(props, path);

	return v && !(v->flags & TVAL_F_PARTIAL) ? tval_str(v) : NULL;
}

static long long int_at(const struct tval *props, const char *key)
{
	long long n;

	return tval_int(tval_get(props, key), &n) ? -1 : n;
}

int template_function_info(const struct template_resource *r, struct template_function *out)
{
	const struct tval *p, *env;

	if (!r || !out)
		return ERR_INVAL;
	memset(out, 0, sizeof(*out));
	if (strcmp(r->type, "AWS::Serverless::Function") &&
	    strcmp(r->type, "AWS::Lambda::Function"))
		return ERR_INVAL;
	p = r->props;
	out->res = r;
	out->code_uri = str_at(p, "CodeUri");
	out->handler = str_at(p, "Handler");
	out->runtime = str_at(p, "Runtime");
	out->architecture = str_at(p, "Architectures.0");
	out->timeout = int_at(p, "Timeout");
	out->memory_size = int_at(p, "MemorySize");
	out->reserved_concurrency = int_at(p, "ReservedConcurrentExecutions");
	env = tval_get_path(p, "Environment.Variables");
	out->environment = env && env->kind == TVAL_MAP ? env : NULL;
	return 0;
}
