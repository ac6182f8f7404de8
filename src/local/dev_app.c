/*
 * From the template to what `sluice dev` runs (dev.h: dev_app_load()): the
 * functions with their environment resolved to the local resources, the
 * routes of their Api/HttpApi events with their API's stage and CORS, and the
 * buckets and DynamoDB tables under the names CloudFormation would give them
 * in stack "sluice-<stage>" (tables with the CreateTable request that makes
 * them in the local endpoint). How each function runs (its runtime, its code)
 * is dev_fn.h's; a function that cannot run here is left out and named.
 */
#include "core/common.h"

#include <ctype.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/enc.h"
#include "core/grow.h"
#include "core/json.h"
#include "core/log.h"
#include "lambda/apigw.h"
#include "local/dev.h"
#include "local/dev_fn.h"
#include "local/lambda/pool.h"

static void dev_function_release(struct dev_function *f);
static int dev_app_not_running(struct dev_app *app, const char *why);

/* The resolution context of one load. */
struct resolver {
	const struct template *t;
	const struct dev_app *app;
	const char *region;
	const char *fn_id;	/* the function whose environment is resolved, for messages */
	const char *api_origin; /* the local gateway's origin, or NULL (see api_url_len()) */
};

static void fail_at(char *why, size_t len, const struct tpos *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_at(char *why, size_t len, const struct tpos *pos, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (pos && pos->line)
		n = snprintf(why, len, "%s:%d: ", pos->file, pos->line);
	else if (pos)
		n = snprintf(why, len, "%s: ", pos->file);
	if (n < 0 || (size_t)n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(why + n, len - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * The 12-character suffix CloudFormation-style names end with: a stable hash
 * of `kind`, the stack and the logical id, in the alphabet `digits` (36).
 */
static int name_suffix(const char *kind, const char *stack, const char *logical_id,
		       const char *digits, char suffix[13])
{
	uint8_t h[SHA256_LEN];
	struct buf in;

	buf_init(&in, strlen(kind) + strlen(stack) + strlen(logical_id) + 1);
	buf_putf(&in, "%s%s/%s", kind, stack, logical_id);
	int err = buf_error(&in);
	if (err) {
		buf_release(&in);
		return err;
	}
	sha256(in.ptr, in.len, h);
	buf_release(&in);
	for (size_t i = 0; i < 12; i++)
		suffix[i] = digits[h[i] % 36];
	suffix[12] = '\0';
	return 0;
}

int dev_bucket_name(const char *stack, const char *logical_id, char out[64])
{
	char suffix[13];
	char prefix[63 - 1 - 12 + 1]; /* what fits before "-<suffix>", and the NUL */
	size_t n = 0, max;
	int err =
		name_suffix("", stack, logical_id, "0123456789abcdefghijklmnopqrstuvwxyz", suffix);

	if (err)
		return err;
	/* CloudFormation shortens the stack name and logical id to fit 63. */
	max = 63 - 1 - 12;
	for (const char *s = stack; *s && n < max; s++)
		prefix[n++] = (char)tolower((unsigned char)*s);
	if (n < max)
		prefix[n++] = '-';
	for (const char *s = logical_id; *s && n < max; s++)
		prefix[n++] = (char)tolower((unsigned char)*s);
	prefix[n] = '\0';
	snprintf(out, 64, "%s-%s", prefix, suffix);
	return 0;
}

int dev_table_name(const char *stack, const char *logical_id, char out[DEV_TABLE_NAME_MAX + 1])
{
	const size_t max = DEV_TABLE_NAME_MAX - 1 - 12; /* what fits before "-<suffix>" */
	char suffix[13];
	size_t n = 0;
	int err = name_suffix("dynamodb:", stack, logical_id,
			      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", suffix);

	if (err)
		return err;
	for (const char *s = stack; *s && n < max; s++)
		out[n++] = *s;
	if (n < max)
		out[n++] = '-';
	for (const char *s = logical_id; *s && n < max; s++)
		out[n++] = *s;
	out[n++] = '-';
	memcpy(out + n, suffix, sizeof(suffix));
	return 0;
}

/* A template value as JSON; NULL for what has no local value (unknown, undecided). */
static json_t *tval_json(const struct tval *v)
{
	json_t *j = NULL, *item;
	long long i;

	if (!v)
		return NULL;
	switch (v->kind) {
	case TVAL_STRING:
		return json_string(v->text);
	case TVAL_BOOL:
		return json_boolean(v->b);
	case TVAL_NUMBER:
		if (!str_to_i64(str_from(v->text), INT64_MIN, INT64_MAX, &i))
			return json_integer((json_int_t)i);
		return json_real(v->num);
	case TVAL_SEQ:
		j = json_array();
		for (size_t k = 0; j && k < v->n; k++)
			if ((item = tval_json(v->items[k])))
				json_array_append_new(j, item);
		return j;
	case TVAL_MAP:
		j = json_object();
		for (size_t k = 0; j && k < v->n; k++)
			if ((item = tval_json(v->pairs[k].val)))
				json_object_set_new(j, v->pairs[k].key, item);
		return j;
	default:
		return NULL;
	}
}

/* ReadCapacityUnits: "5" (CloudFormation takes strings) becomes 5. */
static void numbers_in_throughput(json_t *pt)
{
	static const char *const keys[] = {"ReadCapacityUnits", "WriteCapacityUnits"};
	long long n;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(pt, keys[i]);

		if (json_is_string(v) &&
		    !str_to_i64(str_from(json_string_value(v)), 0, INT64_MAX, &n))
			json_object_set_new(pt, keys[i], json_integer((json_int_t)n));
	}
}

json_t *dev_table_spec(const char *logical_id, const char *name, const struct tval *props)
{
	static const char *const copied[] = {"KeySchema", "AttributeDefinitions", "BillingMode",
					     "ProvisionedThroughput", "GlobalSecondaryIndexes"};
	json_t *req = json_pack("{s:s}", "TableName", name), *g;
	size_t i;

	if (!req)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(copied); i++) {
		json_t *v = tval_json(tval_get(props, copied[i]));

		if (v && json_object_set_new(req, copied[i], v)) {
			json_decref(req);
			return NULL;
		}
	}
	if (!json_object_get(req, "BillingMode") && !json_object_get(req, "ProvisionedThroughput"))
		json_object_set_new(req, "BillingMode", json_string("PAY_PER_REQUEST"));
	numbers_in_throughput(json_object_get(req, "ProvisionedThroughput"));
	json_array_foreach(json_object_get(req, "GlobalSecondaryIndexes"), i, g)
	{
		if (jsonx_str(req, "BillingMode") &&
		    !strcmp(jsonx_str(req, "BillingMode"), "PAY_PER_REQUEST"))
			json_object_del(g, "ProvisionedThroughput");
		numbers_in_throughput(json_object_get(g, "ProvisionedThroughput"));
	}
	if (tval_get(props, "LocalSecondaryIndexes"))
		log_msg(LVL_WARN,
			"%s: LocalSecondaryIndexes are not emulated locally; the table is "
			"created without them (queries on them fail)",
			logical_id);
	if (tval_is_true(tval_get(tval_get(props, "StreamSpecification"), "StreamEnabled")) ||
	    tval_get(tval_get(props, "StreamSpecification"), "StreamViewType"))
		log_msg(LVL_WARN, "%s: DynamoDB Streams are not emulated locally", logical_id);
	return req;
}

/* Append the local value of `ref` (.`attr`); ERR_NOTFOUND when it has none. */
static int resolve_ref(const struct resolver *rs, const char *ref, const char *attr,
		       struct buf *out)
{
	const struct template_resource *r;
	const struct template_param *p;

	if (!ref)
		return ERR_NOTFOUND;
	if (!strcmp(ref, "AWS::Region"))
		return buf_adds(out, rs->region);
	if (!strcmp(ref, "AWS::AccountId"))
		return buf_adds(out, LOCAL_ACCOUNT_ID);
	if (!strcmp(ref, "AWS::StackName"))
		return buf_adds(out, rs->app->stack_name);
	if (!strcmp(ref, "AWS::Partition"))
		return buf_adds(out, "aws");
	if (!strcmp(ref, "AWS::URLSuffix"))
		return buf_adds(out, "amazonaws.com");
	if (!strcmp(ref, "AWS::StackId"))
		return buf_addf(out,
				"arn:aws:cloudformation:%s:%s:stack/%s/00000000-0000-4000-8000-"
				"000000000000",
				rs->region, LOCAL_ACCOUNT_ID, rs->app->stack_name);
	p = template_param(rs->t, ref);
	if (p)
		return p->value && tval_scalar(p->value) ? buf_adds(out, tval_scalar(p->value))
							 : ERR_NOTFOUND;
	for (size_t i = 0; i < rs->app->nbuckets; i++) {
		const char *name = rs->app->buckets[i];

		if (strcmp(rs->app->bucket_ids[i], ref))
			continue;
		if (!attr)
			return buf_adds(out, name);
		if (!strcmp(attr, "Arn"))
			return buf_addf(out, "arn:aws:s3:::%s", name);
		if (!strcmp(attr, "DomainName") || !strcmp(attr, "RegionalDomainName"))
			return buf_addf(out, "%s.s3.amazonaws.com", name);
		return ERR_NOTFOUND;
	}
	for (size_t i = 0; i < rs->app->ntables; i++) {
		const char *name = rs->app->tables[i];

		if (strcmp(rs->app->table_ids[i], ref))
			continue;
		if (!attr)
			return buf_adds(out, name);
		if (!strcmp(attr, "Arn"))
			return buf_addf(out, "arn:aws:dynamodb:%s:%s:table/%s", rs->region,
					LOCAL_ACCOUNT_ID, name);
		if (!strcmp(attr, "StreamArn"))
			return buf_addf(out,
					"arn:aws:dynamodb:%s:%s:table/%s/stream/"
					"1970-01-01T00:00:00.000",
					rs->region, LOCAL_ACCOUNT_ID, name);
		return ERR_NOTFOUND;
	}
	r = template_resource(rs->t, ref);
	if (!r)
		return ERR_NOTFOUND;
	if (!strcmp(r->type, "AWS::Serverless::Function") ||
	    !strcmp(r->type, "AWS::Lambda::Function")) {
		if (!attr)
			return buf_adds(out, r->id);
		if (!strcmp(attr, "Arn"))
			return buf_addf(out, "arn:aws:lambda:%s:%s:function:%s", rs->region,
					LOCAL_ACCOUNT_ID, r->id);
		return ERR_NOTFOUND;
	}
	if (!attr)
		return buf_addf(out, "%s-%s", rs->app->stack_name, r->id);
	return ERR_NOTFOUND;
}

static bool is_api(const struct template *t, const char *id, size_t len)
{
	static const char *const types[] = {"AWS::Serverless::HttpApi", "AWS::Serverless::Api",
					    "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi"};
	char name[256];
	const struct template_resource *r;

	if (len >= sizeof(name))
		return false;
	memcpy(name, id, len);
	name[len] = '\0';
	r = template_resource(t, name);
	for (size_t i = 0; r && i < ARRAY_SIZE(types); i++)
		if (!strcmp(r->type, types[i]))
			return true;
	return false;
}

/* Skip `what` at *p: true and *p advanced when it is there. */
static bool skip(const char **p, const char *what)
{
	size_t n = strlen(what);

	if (strncmp(*p, what, n))
		return false;
	*p += n;
	return true;
}

/*
 * An API's deployed origin at `p` in a partial string,
 * "https://${Api}.execute-api.<region>.<URL suffix>" with the region and
 * the suffix written as pseudo parameters or literally: its length, or 0.
 * With an api_origin in the resolver such an origin is the local gateway's
 * (the site's CSP names the API so).
 */
static size_t api_url_len(const struct resolver *rs, const char *p)
{
	const char *q = p, *close;

	if (!rs->api_origin || !skip(&q, "https://${") || !(close = strchr(q, '}')) ||
	    !is_api(rs->t, q, (size_t)(close - q)))
		return 0;
	q = close + 1;
	if (!skip(&q, ".execute-api."))
		return 0;
	if (!skip(&q, "${AWS::Region}"))
		while (*q && (isalnum((unsigned char)*q) || *q == '-'))
			q++;
	if (!skip(&q, ".") || !(skip(&q, "${AWS::URLSuffix}") || skip(&q, "amazonaws.com.cn") ||
				skip(&q, "amazonaws.com")))
		return 0;
	return (size_t)(q - p);
}

/* "${X}" and "${X.Attr}" in a partly known Fn::Sub result, filled in. */
static int resolve_partial(const struct resolver *rs, const char *s, struct buf *out)
{
	while (*s) {
		const char *open = strstr(s, "${"), *close, *dot;
		char *name;
		size_t api;
		int err;

		if (!open)
			return buf_adds(out, s);
		api = open - s >= 8 ? api_url_len(rs, open - 8) : 0;
		if (api) {
			if ((err = buf_add(out, s, (size_t)(open - 8 - s))) ||
			    (err = buf_adds(out, rs->api_origin)))
				return err;
			s = open - 8 + api;
			continue;
		}
		if ((err = buf_add(out, s, (size_t)(open - s))))
			return err;
		close = strchr(open, '}');
		if (!close)
			return buf_adds(out, open);
		name = strndup(open + 2, (size_t)(close - open - 2));
		if (!name)
			return ERR_NOMEM;
		dot = strchr(name, '.');
		if (dot && strncmp(name, "AWS::", 5)) {
			*(char *)dot = '\0';
			err = resolve_ref(rs, name, dot + 1, out);
		} else {
			err = resolve_ref(rs, name, NULL, out);
		}
		if (err == ERR_NOTFOUND) {
			log_msg(LVL_WARN, "%s: ${%s} has no local value; left empty", rs->fn_id,
				name);
			err = 0;
		}
		free(name);
		if (err)
			return err;
		s = close + 1;
	}
	return 0;
}

static int resolve_value(const struct resolver *rs, const char *key, const struct tval *v,
			 struct buf *out)
{
	int err = 0;

	switch (v->kind) {
	case TVAL_STRING:
		if (v->flags & TVAL_F_PARTIAL)
			return resolve_partial(rs, v->text, out);
		return buf_adds(out, v->text);
	case TVAL_NUMBER:
	case TVAL_BOOL:
		return buf_adds(out, v->text);
	case TVAL_UNKNOWN:
		err = resolve_ref(rs, v->ref, v->unk == TUNK_GETATT ? v->attr : NULL, out);
		if (err == ERR_NOTFOUND) {
			log_msg(LVL_WARN,
				"%s: environment variable %s (%s) has no local value; "
				"left empty",
				rs->fn_id, key, v->text);
			err = 0;
		}
		return err;
	default:
		log_msg(LVL_WARN, "%s: environment variable %s is a %s; left empty", rs->fn_id, key,
			tval_kind_name(v->kind));
		return 0;
	}
}

/* One "K=V" entry of a function's environment (Lambda caps them all at 4 KB together). */
#define DEV_ENV_ENTRY_MAX (64u << 10)

static int add_env(char ***env, size_t *n, size_t *alloc, const char *k, const char *v)
{
	struct buf kv;
	int err;

	if (*n + 2 > DEV_MAX_ENV)
		return ERR_TOOLARGE;
	if ((err = ALLOC_GROW(*env, *n + 2, *alloc)))
		return err;
	buf_init(&kv, DEV_ENV_ENTRY_MAX);
	if ((err = buf_addf(&kv, "%s=%s", k, v)))
		return err;
	if (!((*env)[*n] = buf_detach(&kv, NULL)))
		return ERR_NOMEM;
	(*env)[++*n] = NULL;
	return 0;
}

static const char *build_meta(const struct template_resource *r)
{
	return tval_str(tval_get_path(r->metadata, "sluice.build"));
}

static char *binary_path(const struct dev_options *o, const struct template_resource *r)
{
	const char *meta = build_meta(r);
	struct buf p;

	buf_init(&p, PATH_MAX);
	if (o->build_dir) {
		const char *base = meta ? strrchr(meta, '/') : NULL;

		base = base ? base + 1 : (meta ? meta : "bootstrap");
		buf_putf(&p, "%s/%s", o->build_dir, base);
	} else {
		buf_puts(&p, meta ? meta : DEV_DEFAULT_BINARY);
	}
	if (buf_error(&p)) {
		buf_release(&p);
		return NULL;
	}
	return buf_detach(&p, NULL);
}

static int load_function(const struct dev_options *o, const struct resolver *rs0,
			 const struct template_resource *r, const char *aws_url,
			 struct dev_function *f, char *why, size_t why_len)
{
	struct template_function tf;
	struct resolver rs = *rs0;
	size_t nenv = 0, env_alloc = 0;
	struct dev_fn_env extra;
	char *legacy = NULL;
	struct buf val;
	int err;

	rs.fn_id = r->id;
	if (template_function_info(r, &tf))
		return ERR_INVAL;
	f->id = strdup(r->id);
	f->handler = strdup(tf.handler ? tf.handler : "");
	f->line = r->pos.line;
	if (!f->id || !f->handler)
		return ERR_NOMEM;
	/* The code and the runtime, as SAM, CloudFormation, CDK and Serverless say (dev_fn.h). */
	if (o->build_dir || build_meta(r))
		legacy = binary_path(o, r);
	err = dev_fn_resolve(o, rs.t, r, tf.runtime, legacy, f, &extra, why, why_len);
	free(legacy);
	if (err)
		return err;
	f->timeout_ms = tf.timeout > 0 && tf.timeout <= 900 ? (uint32_t)tf.timeout * 1000 : 0;
	f->memory_mb = tf.memory_size > 0 && tf.memory_size <= 10240 ? (uint32_t)tf.memory_size : 0;
	f->max_workers = tf.reserved_concurrency > 0 && tf.reserved_concurrency <= 1000
				 ? (uint32_t)tf.reserved_concurrency
				 : 0;
	if (tf.environment && tf.environment->kind == TVAL_MAP) {
		for (size_t i = 0; i < tf.environment->n; i++) {
			const struct tval_pair *p = &tf.environment->pairs[i];

			buf_init(&val, DEV_ENV_ENTRY_MAX);
			err = resolve_value(&rs, p->key, p->val, &val);
			if (!err)
				err = add_env(&f->env, &nenv, &env_alloc, p->key, val.ptr);
			buf_release(&val);
			if (err) {
				fail_at(why, why_len, &p->key_pos,
					"%s: environment variable %s: %s", r->id, p->key,
					err_str(err));
				return err;
			}
		}
	}
	if ((err = add_env(&f->env, &nenv, &env_alloc, "AWS_ENDPOINT_URL_S3", aws_url)) ||
	    (err = add_env(&f->env, &nenv, &env_alloc, "AWS_ENDPOINT_URL_DYNAMODB", aws_url)) ||
	    (err = add_env(&f->env, &nenv, &env_alloc, "AWS_ENDPOINT_URL", aws_url)))
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(extra.v) && extra.v[i].key[0]; i++)
		if ((err = add_env(&f->env, &nenv, &env_alloc, extra.v[i].key, extra.v[i].value)))
			return err;
	if (!f->argv && access(f->binary, X_OK))
		log_msg(LVL_WARN,
			"%s: its binary %s is not there yet (build it: make); "
			"requests will fail until it is",
			r->id, f->binary);
	return 0;
}

static char *unquote(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
		return strndup(s + 1, n - 2);
	return strdup(s);
}

/* A CORS list joined with commas (API Gateway caps a CORS configuration far below this). */
#define DEV_CORS_LIST_MAX 16384

static char *join_list(const struct tval *v)
{
	const struct tval *items[64];
	size_t n = tval_as_list(v, items, ARRAY_SIZE(items));
	struct buf b;

	if (!n)
		return NULL;
	buf_init(&b, DEV_CORS_LIST_MAX);
	for (size_t i = 0; i < n; i++)
		if (tval_scalar(items[i]))
			buf_putf(&b, "%s%s", b.len ? "," : "", tval_scalar(items[i]));
	if (buf_error(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* The CORS of API `api` (its resource, else Globals), into `r`. */
static void load_cors(const struct template *t, const char *api, int version, struct dev_route *r)
{
	const struct template_resource *res = template_resource(t, api);
	const char *key = version == APIGW_V2 ? "CorsConfiguration" : "Cors";
	const struct tval *c = res ? tval_get(res->props, key) : NULL;
	long long age;

	if (!c)
		c = tval_get(tval_get(t->globals, version == APIGW_V2 ? "HttpApi" : "Api"), key);
	r->cors.max_age = -1;
	if (!c || tval_is_false(c))
		return;
	r->has_cors = true;
	if (tval_is_true(c)) {
		r->cors.allow_origins = strdup("*");
		r->cors.allow_methods = strdup("*");
		r->cors.allow_headers = strdup("*");
		return;
	}
	if (version == APIGW_V1 && c->kind == TVAL_STRING) {
		r->cors.allow_origins = unquote(c->text);
		return;
	}
	if (version == APIGW_V2) {
		r->cors.allow_origins = join_list(tval_get(c, "AllowOrigins"));
		r->cors.allow_methods = join_list(tval_get(c, "AllowMethods"));
		r->cors.allow_headers = join_list(tval_get(c, "AllowHeaders"));
		r->cors.expose_headers = join_list(tval_get(c, "ExposeHeaders"));
		r->cors.allow_credentials = tval_is_true(tval_get(c, "AllowCredentials"));
		if (!tval_int(tval_get(c, "MaxAge"), &age))
			r->cors.max_age = (long)age;
	} else {
		char *a;

		r->cors.allow_origins = unquote(tval_str(tval_get(c, "AllowOrigin")));
		r->cors.allow_methods = unquote(tval_str(tval_get(c, "AllowMethods")));
		r->cors.allow_headers = unquote(tval_str(tval_get(c, "AllowHeaders")));
		r->cors.allow_credentials = tval_is_true(tval_get(c, "AllowCredentials"));
		a = unquote(tval_scalar(tval_get(c, "MaxAge")));
		if (a && !str_to_i64(str_from(a), 0, (int64_t)86400 * 365, &age))
			r->cors.max_age = (long)age;
		free(a);
	}
	if (!r->cors.allow_origins && !r->cors.allow_methods)
		r->has_cors = false;
}

static char *api_stage(const struct template *t, const char *api, int version)
{
	const struct template_resource *res = template_resource(t, api);
	const char *s = res ? tval_scalar(tval_get(res->props, "StageName")) : NULL;

	if (!s)
		return version == APIGW_V1 ? strdup("Prod") : NULL;
	if (!strcmp(s, "$default"))
		return NULL;
	return strdup(s);
}

static int load_routes(const struct template *t, struct dev_app *app, char *why, size_t why_len)
{
	app->routes = calloc(t->nroutes + 1, sizeof(*app->routes));
	if (!app->routes)
		return ERR_NOMEM;
	for (size_t i = 0; i < t->nroutes; i++) {
		const struct template_route *tr = &t->routes[i];
		struct dev_route *r = &app->routes[app->nroutes];
		int fi = dev_app_function(app, tr->function);

		if (fi < 0)
			continue; /* a function that does not run here (condition false) */
		r->version = tr->kind == TAPI_HTTP ? APIGW_V2 : APIGW_V1;
		/* Routes of plain CloudFormation and OpenAPI say their payload and stage. */
		if (tr->payload_version)
			r->version = strcmp(tr->payload_version, "1.0") ? APIGW_V2 : APIGW_V1;
		r->api = strdup(tr->api ? tr->api : "");
		r->method = strdup(tr->method);
		r->path = strdup(tr->path);
		r->function = (size_t)fi;
		r->iam = tr->authorizer && !strcmp(tr->authorizer, "AWS_IAM");
		if (tr->payload_version)
			r->stage = tr->stage ? strdup(tr->stage) : NULL;
		else
			r->stage = api_stage(t, r->api ? r->api : "", r->version);
		app->nroutes++;
		if (!r->api || !r->method || !r->path)
			return ERR_NOMEM;
		load_cors(t, r->api, r->version, r);
		if (tr->authorizer && !r->iam)
			log_msg(LVL_WARN,
				"%s:%d: %s: authorizer %s is not emulated locally; the "
				"route is open",
				tr->pos.file, tr->pos.line, tr->event, tr->authorizer);
	}
	(void)why;
	(void)why_len;
	return 0;
}

static int load_buckets(const struct template *t, struct dev_app *app)
{
	for (size_t i = 0; i < t->nres; i++) {
		const struct template_resource *r = &t->res[i];
		const char *name;
		char gen[64];

		if (strcmp(r->type, "AWS::S3::Bucket") || r->cond_value == TCOND_FALSE)
			continue;
		if (app->nbuckets == DEV_MAX_BUCKETS)
			return ERR_TOOLARGE;
		name = tval_str(tval_get(r->props, "BucketName"));
		if (name && (tval_get(r->props, "BucketName")->flags & TVAL_F_PARTIAL))
			name = NULL;
		if (!name) {
			int err = dev_bucket_name(app->stack_name, r->id, gen);
			if (err)
				return err;
			name = gen;
		}
		app->buckets[app->nbuckets] = strdup(name);
		app->bucket_ids[app->nbuckets] = strdup(r->id);
		app->nbuckets++;
		if (!app->buckets[app->nbuckets - 1] || !app->bucket_ids[app->nbuckets - 1])
			return ERR_NOMEM;
	}
	return 0;
}

/* The template's tables, named; after the resolver is ready (TableName may be a !Sub). */
static int load_tables(const struct resolver *rs, struct dev_app *app)
{
	for (size_t i = 0; i < rs->t->nres; i++) {
		const struct template_resource *r = &rs->t->res[i];
		const struct tval *tn = tval_get(r->props, "TableName");
		char gen[DEV_TABLE_NAME_MAX + 1];
		struct buf name;
		int err = 0;

		if (strcmp(r->type, "AWS::DynamoDB::Table") || r->cond_value == TCOND_FALSE)
			continue;
		if (app->ntables == DEV_MAX_TABLES)
			return ERR_TOOLARGE;
		buf_init(&name, DEV_TABLE_NAME_MAX + 1);
		if (tn && tn->kind == TVAL_STRING && (tn->flags & TVAL_F_PARTIAL))
			err = resolve_partial(rs, tn->text, &name);
		else if (tn && tn->kind == TVAL_STRING)
			err = buf_adds(&name, tn->text);
		if (err || !name.len) {
			if (tn)
				log_msg(LVL_WARN,
					"%s: TableName %s has no local value; named as "
					"CloudFormation names a table without one",
					r->id, tn->text ? tn->text : "");
			buf_reset(&name);
			err = dev_table_name(app->stack_name, r->id, gen);
			if (!err)
				err = buf_adds(&name, gen);
		}
		app->tables[app->ntables] = err ? NULL : buf_detach(&name, NULL);
		buf_release(&name);
		app->table_ids[app->ntables] = strdup(r->id);
		app->ntables++;
		if (!app->tables[app->ntables - 1] || !app->table_ids[app->ntables - 1])
			return ERR_NOMEM;
		app->table_specs[app->ntables - 1] =
			dev_table_spec(r->id, app->tables[app->ntables - 1], r->props);
		if (!app->table_specs[app->ntables - 1])
			return ERR_NOMEM;
	}
	return 0;
}

int dev_stage_check(const char *stage, char *why, size_t why_len)
{
	size_t n = strlen(stage);
	bool ok = n > 0 && n <= DEV_STAGE_MAX && isalnum((unsigned char)stage[0]);

	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)stage[i]) || stage[i] == '-' || stage[i] == '_';
	if (ok)
		return 0;
	snprintf(why, why_len,
		 "stage name '%s': use 1 to %d letters, digits, '-' or '_', "
		 "starting with a letter or digit",
		 stage, DEV_STAGE_MAX);
	return ERR_INVAL;
}

/*
 * Load the template, giving its Stage parameter the --stage value unless
 * --parameter-overrides names it (an override of a parameter the template
 * does not declare is ignored by the model).
 */
static int load_template(const struct dev_options *o, const char *stage, struct template **t,
			 char *why, size_t why_len)
{
	const char *path = o->template_path ? o->template_path : dev_fn_default_template();
	struct template_params p;
	struct template_diag d;
	bool stage_given = false;
	int err;

	template_params_init(&p);
	for (size_t i = 0; o->params && i < o->params->n; i++) {
		template_params_set(&p, o->params->items[i].name, o->params->items[i].value);
		stage_given |= strcmp(o->params->items[i].name, "Stage") == 0;
	}
	if (!stage_given)
		template_params_set(&p, "Stage", stage);
	/* What the local cloud fills in (dev_db.h), unless the command line said otherwise. */
	for (size_t i = 0; o->local_params && i < o->local_params->n; i++) {
		bool given = false;

		for (size_t j = 0; o->params && j < o->params->n; j++)
			given |= !strcmp(o->params->items[j].name, o->local_params->items[i].name);
		if (!given)
			template_params_set(&p, o->local_params->items[i].name,
					    o->local_params->items[i].value);
	}
	err = template_load(path, &p, t, &d);
	if (err)
		snprintf(why, why_len, "%s", d.msg);
	template_params_release(&p);
	return err;
}

int dev_app_load(const struct dev_options *o, const char *aws_url, struct dev_app *app, char *why,
		 size_t why_len)
{
	const char *stage = o->stage ? o->stage : DEV_DEFAULT_STAGE;
	struct resolver rs;
	struct buf stack;
	int err;

	memset(app, 0, sizeof(*app));
	err = dev_stage_check(stage, why, why_len);
	if (err)
		return err;
	err = load_template(o, stage, &app->t, why, why_len);
	if (err)
		return err;
	buf_init(&stack, DEV_STAGE_MAX + 16);
	buf_putf(&stack, "sluice-%s", stage);
	app->stack_name = buf_error(&stack) ? NULL : buf_detach(&stack, NULL);
	buf_release(&stack);
	err = ERR_NOMEM;
	if (!app->stack_name || (err = load_buckets(app->t, app))) {
		snprintf(why, why_len, "%s: %s", app->t->path, err_str(err));
		goto fail;
	}
	rs.t = app->t;
	rs.app = app;
	rs.region = o->region ? o->region : "us-east-1";
	rs.fn_id = "";
	rs.api_origin = NULL;
	if ((err = load_tables(&rs, app))) {
		snprintf(why, why_len, "%s: %s", app->t->path, err_str(err));
		goto fail;
	}
	for (size_t i = 0; i < app->t->nres; i++) {
		const struct template_resource *r = &app->t->res[i];

		if ((strcmp(r->type, "AWS::Serverless::Function") &&
		     strcmp(r->type, "AWS::Lambda::Function")) ||
		    r->cond_value == TCOND_FALSE)
			continue;
		if (app->nfns == DEV_MAX_FUNCTIONS) {
			fail_at(why, why_len, &r->pos, "more than %d functions", DEV_MAX_FUNCTIONS);
			err = ERR_TOOLARGE;
			goto fail;
		}
		err = load_function(o, &rs, r, aws_url, &app->fns[app->nfns++], why, why_len);
		if (err == ERR_UNSUPPORTED) {
			/* One line names it; the other functions still serve. */
			err = dev_app_not_running(app, why);
			dev_function_release(&app->fns[--app->nfns]);
			if (!err)
				continue;
		}
		if (err) {
			if (err == ERR_NOMEM)
				snprintf(why, why_len, "%s", err_str(err));
			goto fail;
		}
	}
	if (!app->nfns) {
		snprintf(why, why_len, "%s: no function that runs here%s%s", app->t->path,
			 app->nnot_running ? "; " : "",
			 app->nnot_running ? app->not_running[0] : "");
		err = ERR_UNSUPPORTED;
		goto fail;
	}
	for (size_t i = 0; !err && i < app->t->nroute_notes; i++)
		err = dev_app_not_running(app, app->t->route_notes[i]);
	if (!err)
		err = load_routes(app->t, app, why, why_len);
	if (err) {
		snprintf(why, why_len, "%s", err_str(err));
		goto fail;
	}
	return 0;
fail:
	dev_app_release(app);
	return err;
}

int dev_app_resolve(const struct dev_app *app, const char *region, const char *api_origin,
		    const struct tval *v, struct buf *out)
{
	struct resolver rs = {app->t, app, region ? region : "us-east-1", "site", api_origin};

	return v ? resolve_value(&rs, "value", v, out) : ERR_NOTFOUND;
}

int dev_app_function(const struct dev_app *app, const char *id)
{
	for (size_t i = 0; i < app->nfns; i++)
		if (!strcmp(app->fns[i].id, id))
			return (int)i;
	return -1;
}

static void dev_function_release(struct dev_function *f)
{
	free(f->id);
	free(f->binary);
	free(f->handler);
	for (size_t j = 0; f->env && f->env[j]; j++)
		free(f->env[j]);
	free(f->env);
	for (size_t j = 0; f->argv && f->argv[j]; j++)
		free(f->argv[j]);
	free(f->argv);
	free(f->task_root);
	free(f->watch);
	memset(f, 0, sizeof(*f));
}

/* Remember what does not run, for the banner, and say it once in the log. */
static int dev_app_not_running(struct dev_app *app, const char *why)
{
	log_msg(LVL_WARN, "not running %s", why);
	if (app->nnot_running == ARRAY_SIZE(app->not_running))
		return 0;
	app->not_running[app->nnot_running] = strdup(why);
	return app->not_running[app->nnot_running++] ? 0 : ERR_NOMEM;
}

void dev_app_release(struct dev_app *app)
{
	if (!app)
		return;
	for (size_t i = 0; i < app->nfns; i++)
		dev_function_release(&app->fns[i]);
	for (size_t i = 0; i < app->nnot_running; i++)
		free(app->not_running[i]);
	for (size_t i = 0; i < app->nroutes; i++) {
		struct dev_route *r = &app->routes[i];

		free(r->api);
		free(r->stage);
		free(r->method);
		free(r->path);
		free(r->cors.allow_origins);
		free(r->cors.allow_methods);
		free(r->cors.allow_headers);
		free(r->cors.expose_headers);
	}
	free(app->routes);
	for (size_t i = 0; i < app->nbuckets; i++) {
		free(app->buckets[i]);
		free(app->bucket_ids[i]);
	}
	for (size_t i = 0; i < app->ntables; i++) {
		free(app->tables[i]);
		free(app->table_ids[i]);
		json_decref(app->table_specs[i]);
	}
	free(app->stack_name);
	template_free(app->t);
	memset(app, 0, sizeof(*app));
}
