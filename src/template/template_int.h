/*
 * Internals of the template loader, shared by its files and nobody else:
 * the load context, value builders and the stages of a load
 * (YAML -> raw tree -> SAM expansion -> resolution).
 */
#ifndef SLUICE_TEMPLATE_INT_H
#define SLUICE_TEMPLATE_INT_H

#include "template/template.h"

/* Condition evaluation states, per condition. */
enum tcond_state { TCS_NEW, TCS_BUSY, TCS_DONE };

struct tctx {
	struct template *t;
	struct arena *a;
	const char *file;
	struct template_diag *diag;
	const struct template_params *params;
	size_t nodes;		      /* values built, against TEMPLATE_MAX_NODES */
	int err;		      /* the first error, 0 while all is well */
	unsigned depth;		      /* resolution depth */
	unsigned char *cond_state;    /* enum tcond_state per t->conds */
	const struct tval *raw_conds; /* the Conditions map as written */
	size_t nres_alloc;
	size_t nroutes_alloc;
	size_t nnotes_alloc;
	struct tval *trust_policy; /* SAM's execution role trust policy, parsed once (sam.c) */
};

/* Record the first error: fills the diag with "file:line:col: message". Returns `err`. */
int tctx_fail(struct tctx *c, struct tpos pos, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Builders; all return NULL (with c->err set) when out of memory or nodes. */
struct tval *tv_new(struct tctx *c, enum tval_kind k, struct tpos pos);
struct tval *tv_string(struct tctx *c, struct tpos pos, const char *s, size_t len);
struct tval *tv_cstr(struct tctx *c, struct tpos pos, const char *s);
struct tval *tv_copy(struct tctx *c, const struct tval *v); /* shallow */
struct tval *tv_unknown(struct tctx *c, struct tpos pos, enum tval_unknown u, const char *ref,
			const char *attr, const char *desc);
/* Append to a SEQ/CHOICE or put into a MAP (growing in the arena); 0 or error. */
int tv_push(struct tctx *c, struct tval *seq, size_t *alloc, struct tval *item);
int tv_put(struct tctx *c, struct tval *map, size_t *alloc, const char *key, struct tpos kpos,
	   struct tval *val);
/* A one-key map {key: val} at `pos`, e.g. {"Ref": "X"}. */
struct tval *tv_map1(struct tctx *c, struct tpos pos, const char *key, struct tval *val);

/* True when `v` is a one-key map whose key is "Ref", "Condition" or starts with "Fn::". */
bool tv_is_intrinsic(const struct tval *v);

/* YAML/JSON text -> raw tree (long-form intrinsics). */
int tyaml_parse(struct tctx *c, const char *data, size_t len, struct tval **root);

/*
 * AWS::LanguageExtensions: `sec` (Resources, Conditions or Outputs) with
 * every Fn::ForEach loop at or below it expanded; `*out` is `sec` itself
 * when it holds none. Loops over a collection known only at deploy time
 * are dropped. 0 or an error (a malformed loop, a key made twice).
 */
int tforeach_expand(struct tctx *c, const struct tval *sec, const struct tval **out);

/* Conditions: evaluate every entry of t->conds. */
int tresolve_conditions(struct tctx *c);
/* Resolve a raw value; *out NULL means absent (AWS::NoValue). */
int tresolve(struct tctx *c, const struct tval *raw, struct tval **out);
/* Evaluate a condition expression (Fn::Equals, ..., Condition, bool). */
int tresolve_cond_expr(struct tctx *c, const struct tval *raw, enum template_cond_value *out);
/* Is `id` a name Ref/GetAtt may use (resource, parameter or SAM-generated)? */
bool tresolve_known_id(struct tctx *c, const char *id, bool params_too);

/* Add a resource to t->res (copying the struct). */
int tmodel_add_resource(struct tctx *c, const struct template_resource *r);
/* Make room for `n` resources in all, so that adding them copies nothing. */
int tmodel_reserve(struct tctx *c, size_t n);

/* SAM: expand raw resources (Globals, implicit resources, SimpleTable). */
int tsam_expand(struct tctx *c);
/* SAM: routes from the resolved functions' events. */
int tsam_routes(struct tctx *c);
/*
 * Routes of plain CloudFormation APIs and OpenAPI bodies (template_routes.c);
 * after topenapi_ops(), whose operations it turns into routes.
 */
int troutes_read(struct tctx *c);

/*
 * The logical id of the function an integration URI (or Target) invokes:
 * a !Ref/!GetAtt, an "...functions/${Fn.Arn}/invocations" text, a literal
 * function ARN matched by FunctionName, through an alias or a version.
 * NULL when it names no function of the template.
 */
const char *troutes_uri_function(struct tctx *c, const struct tval *uri);
/* OpenAPI definitions in DefinitionBody/Body: t->api_ops. */
int topenapi_ops(struct tctx *c);

#endif
