/*
 * The gateway's route table and matching (see gw_routes.h). A route keeps
 * its path split into segments (literal, {param}, greedy {proxy+}) that
 * point into its own copy of the path; a request path is split the same
 * way, into slices of the caller's string, and compared with every route,
 * keeping the most specific that matches. Tables hold a few dozen routes, so
 * a linear scan per request costs less than building an index would.
 *
 * The one constraint: nothing a match returns may move. Each route is
 * allocated on its own and the table grows an array of pointers to them;
 * spec.cors points into the route itself.
 */
#include "core/common.h"

#include "core/buf.h"
#include "core/grow.h"
#include "lambda/apigw.h"
#include "local/apigw/gw_routes.h"

/*
 * A request path of more segments matches no route (API Gateway's own
 * resource paths are far shorter); the segments sit on the stack of a match.
 */
#define GW_PATH_SEGS_MAX 128

/* The order is the priority: a literal beats a {param}, which beats a greedy {proxy+}. */
enum seg_kind { SEG_GREEDY = 1, SEG_PARAM = 2, SEG_LIT = 3 };

struct gw_seg {
	enum seg_kind kind;
	struct str text; /* literal bytes, or the parameter name; into spec.path */
};

struct gw_route {
	struct gateway_route_spec spec; /* strings owned by `strings` below */
	struct gateway_cors cors;	/* spec.cors points here when the route has CORS */
	char *strings[12];		/* everything this route allocated */
	size_t nstrings;
	const char *route_key; /* 2.0 "POST /objects"; 1.0 resource "/objects"; "$default" */
	struct gw_seg *segs;
	size_t nsegs;
	bool catch_all; /* HTTP API "$default" */
};

struct gateway_routes {
	int refs;
	struct gw_route **routes; /* each allocated on its own: never moves */
	size_t n, alloc;
	bool has_http;
};

/* ---- building ---- */

static char *route_strdup(struct gw_route *r, const char *s)
{
	char *d;

	if (!s || r->nstrings >= ARRAY_SIZE(r->strings))
		return NULL;
	d = strdup(s);
	if (d)
		r->strings[r->nstrings++] = d;
	return d;
}

static void route_free(struct gw_route *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->segs);
	free(r);
}

/* One segment of a route's path, `len` bytes at `p`, into `s`. */
static int parse_segment(const char *p, size_t len, bool last, struct gw_seg *s)
{
	if (len >= 3 && p[0] == '{' && p[len - 1] == '}') {
		bool greedy = p[len - 2] == '+';

		s->kind = greedy ? SEG_GREEDY : SEG_PARAM;
		s->text = str_make(p + 1, len - 2 - greedy);
		if (s->text.len == 0 || (greedy && !last))
			return ERR_INVAL;
		return 0;
	}
	if (memchr(p, '{', len) || memchr(p, '}', len))
		return ERR_INVAL;
	s->kind = SEG_LIT;
	s->text = str_make(p, len);
	return 0;
}

/* Split r->spec.path, "/a/{b}/{c+}", into segments pointing into that string (owned by r). */
static int route_parse_path(struct gw_route *r)
{
	const char *path = r->spec.path;
	size_t n = 0, cap = 1;
	int err;

	for (const char *p = path; *p; p++)
		cap += *p == '/';
	r->segs = calloc(cap, sizeof(*r->segs));
	if (!r->segs)
		return ERR_NOMEM;
	if (!strcmp(path, "/"))
		return 0;
	for (const char *p = path + 1;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if ((err = parse_segment(p, len, !end, &r->segs[n++])) != 0)
			return err;
		if (!end)
			break;
		p = end + 1;
	}
	r->nsegs = n;
	return 0;
}

/* Copy the CORS block; a block with neither origins nor methods is no CORS. */
static int route_copy_cors(struct gw_route *r, const struct gateway_cors *c)
{
	r->cors.max_age = c->max_age;
	r->cors.allow_credentials = c->allow_credentials;
	if ((c->allow_origins && !(r->cors.allow_origins = route_strdup(r, c->allow_origins))) ||
	    (c->allow_methods && !(r->cors.allow_methods = route_strdup(r, c->allow_methods))) ||
	    (c->allow_headers && !(r->cors.allow_headers = route_strdup(r, c->allow_headers))) ||
	    (c->expose_headers && !(r->cors.expose_headers = route_strdup(r, c->expose_headers))))
		return ERR_NOMEM;
	if (r->cors.allow_origins || r->cors.allow_methods)
		r->spec.cors = &r->cors;
	return 0;
}

/* 2.0 "POST /objects"; 1.0 the resource path; the catch-all "$default". */
static int route_set_key(struct gw_route *r)
{
	struct buf key;
	int err;

	buf_init(&key, GATEWAY_ROUTE_KEY_MAX);
	if (r->spec.version == APIGW_V2 && !r->catch_all)
		buf_putf(&key, "%s %s", r->spec.method, r->spec.path);
	else
		buf_puts(&key, r->spec.path);
	err = buf_error(&key);
	if (!err && !(r->route_key = route_strdup(r, key.ptr)))
		err = ERR_NOMEM;
	buf_release(&key);
	return err;
}

/* A route from `spec`, every string copied; ERR_INVAL for a bad path. */
static int route_new(const struct gateway_route_spec *spec, struct gw_route **out)
{
	struct gw_route *r = calloc(1, sizeof(*r));
	int err = ERR_NOMEM;

	*out = NULL;
	if (!r)
		return ERR_NOMEM;
	r->spec = *spec;
	r->spec.cors = NULL;
	r->catch_all = !strcmp(spec->path, "$default");
	if (spec->stage && (!*spec->stage || !strcmp(spec->stage, "$default")))
		r->spec.stage = NULL;
	if (!(r->spec.method = route_strdup(r, spec->method)) ||
	    !(r->spec.path = route_strdup(r, spec->path)) ||
	    !(r->spec.function = route_strdup(r, spec->function)) ||
	    (spec->api && !(r->spec.api = route_strdup(r, spec->api))) ||
	    (r->spec.stage && !(r->spec.stage = route_strdup(r, spec->stage))))
		goto fail;
	if ((spec->cors && (err = route_copy_cors(r, spec->cors))) || (err = route_set_key(r)) ||
	    (!r->catch_all && (err = route_parse_path(r))))
		goto fail;
	*out = r;
	return 0;
fail:
	route_free(r);
	return err;
}

int gateway_routes_new(struct gateway_routes **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return ERR_NOMEM;
	(*out)->refs = 1;
	return 0;
}

int gateway_routes_add(struct gateway_routes *rt, const struct gateway_route_spec *spec)
{
	struct gw_route *r;
	int err;

	if (!rt || !spec || (spec->version != APIGW_V1 && spec->version != APIGW_V2) ||
	    !spec->method || !*spec->method || !spec->function || !spec->path)
		return ERR_INVAL;
	if (rt->n >= GATEWAY_MAX_ROUTES)
		return ERR_TOOLARGE;
	if (strcmp(spec->path, "$default") && spec->path[0] != '/')
		return ERR_INVAL;
	if ((err = route_new(spec, &r)))
		return err;
	/* An array of pointers: sizeof(*rt->routes) is a pointer's size, as meant. */
	/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
	if ((err = ALLOC_GROW(rt->routes, rt->n + 1, rt->alloc))) {
		route_free(r);
		return err;
	}
	rt->routes[rt->n++] = r;
	if (spec->version == APIGW_V2)
		rt->has_http = true;
	return 0;
}

size_t gateway_routes_count(const struct gateway_routes *rt)
{
	return rt ? rt->n : 0;
}

bool gateway_routes_has_http(const struct gateway_routes *rt)
{
	return rt && rt->has_http;
}

const struct gateway_route_spec *gateway_routes_first_cors(const struct gateway_routes *rt)
{
	for (size_t i = 0; rt && i < rt->n; i++)
		if (rt->routes[i]->spec.cors)
			return &rt->routes[i]->spec;
	return NULL;
}

struct gateway_routes *gateway_routes_ref(struct gateway_routes *rt)
{
	if (rt)
		rt->refs++;
	return rt;
}

void gateway_routes_unref(struct gateway_routes *rt)
{
	if (rt && --rt->refs == 0)
		gateway_routes_free(rt);
}

void gateway_routes_free(struct gateway_routes *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n; i++)
		route_free(rt->routes[i]);
	free(rt->routes);
	free(rt);
}

/* ---- matching ---- */

/* "/a/b/" into "a", "b", ""; "/" into nothing. False past `max` segments. */
static bool split_path(const char *path, struct str *segs, size_t max, size_t *n)
{
	*n = 0;
	if (!strcmp(path, "/"))
		return true;
	for (const char *p = path + 1;;) {
		const char *end = strchr(p, '/');

		if (*n == max)
			return false;
		segs[(*n)++] = str_make(p, end ? (size_t)(end - p) : strlen(p));
		if (!end)
			return true;
		p = end + 1;
	}
}

static void add_param(struct gateway_match *m, size_t *np, struct str name, struct str value)
{
	if (*np >= ARRAY_SIZE(m->params))
		return;
	m->params[*np].name = name;
	m->params[*np].value = value;
	(*np)++;
}

/* Does `r` match these segments of a path ending at `path_end`? Fills the params of `m`. */
static bool route_matches(const struct gw_route *r, const char *path_end, const struct str *segs,
			  size_t n, struct gateway_match *m)
{
	size_t np = 0;

	if (r->catch_all) {
		m->nparams = 0;
		return true;
	}
	for (size_t i = 0; i < r->nsegs; i++) {
		const struct gw_seg *s = &r->segs[i];

		if (s->kind == SEG_GREEDY) {
			/* {proxy+} takes the rest of the path, slashes included: one byte at least.
			 */
			if (i >= n || path_end == segs[i].ptr)
				return false;
			add_param(m, &np, s->text,
				  str_make(segs[i].ptr, (size_t)(path_end - segs[i].ptr)));
			m->nparams = np;
			return true;
		}
		if (i >= n)
			return false;
		if (s->kind == SEG_LIT) {
			if (!str_eq(s->text, segs[i]))
				return false;
		} else {
			if (segs[i].len == 0)
				return false;
			add_param(m, &np, s->text, segs[i]);
		}
	}
	if (r->nsegs != n)
		return false;
	m->nparams = np;
	return true;
}

/* > 0 when `a` is more specific than `b` (API Gateway's route priority). */
static int route_cmp(const struct gw_route *a, const struct gw_route *b)
{
	bool a_any, b_any;

	if (a->catch_all != b->catch_all)
		return a->catch_all ? -1 : 1;
	for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++)
		if (a->segs[i].kind != b->segs[i].kind)
			return (int)a->segs[i].kind - (int)b->segs[i].kind;
	if (a->nsegs != b->nsegs)
		return a->nsegs > b->nsegs ? 1 : -1;
	a_any = !strcmp(a->spec.method, "ANY");
	b_any = !strcmp(b->spec.method, "ANY");
	if (a_any != b_any)
		return a_any ? -1 : 1;
	return 0;
}

/* A NULL `method` accepts every route (the path alone decides). */
static bool method_ok(const struct gw_route *r, const char *method)
{
	return !method || !strcmp(r->spec.method, "ANY") || !strcmp(r->spec.method, method);
}

/* The best route for `path`, among those of `stage` when it is not empty. */
static bool match_in(const struct gateway_routes *rt, const char *method, const char *path,
		     struct str stage, struct gateway_match *m)
{
	struct str segs[GW_PATH_SEGS_MAX];
	struct gateway_match cur;
	const struct gw_route *best = NULL;
	const char *end = path + strlen(path);
	size_t n;

	if (!split_path(path, segs, ARRAY_SIZE(segs), &n))
		return false;
	for (size_t i = 0; i < rt->n; i++) {
		const struct gw_route *r = rt->routes[i];

		if (stage.len && (!r->spec.stage || !str_eq_cstr(stage, r->spec.stage)))
			continue;
		if (!method_ok(r, method))
			continue;
		memset(&cur, 0, sizeof(cur));
		if (!route_matches(r, end, segs, n, &cur))
			continue;
		if (!best || route_cmp(r, best) > 0) {
			best = r;
			*m = cur;
		}
	}
	if (!best)
		return false;
	m->route = &best->spec;
	m->route_key = best->route_key;
	return true;
}

static bool routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			 struct gateway_match *m)
{
	memset(m, 0, sizeof(*m));
	if (!rt || !path || path[0] != '/')
		return false;
	/* "/<stage>/rest": the routes of the APIs deployed to that stage. */
	if (path[1]) {
		const char *slash = strchr(path + 1, '/');
		struct str first =
			str_make(path + 1, slash ? (size_t)(slash - path - 1) : strlen(path + 1));

		for (size_t i = 0; first.len && i < rt->n; i++) {
			const char *st = rt->routes[i]->spec.stage;

			if (st && str_eq_cstr(first, st)) {
				if (match_in(rt, method, slash ? slash : "/", first, m)) {
					m->stage = st;
					return true;
				}
				break;
			}
		}
	}
	return match_in(rt, method, path, STR_NULL, m);
}

bool gateway_routes_match(const struct gateway_routes *rt, const char *method, const char *path,
			  struct gateway_match *m)
{
	if (!method) {
		memset(m, 0, sizeof(*m));
		return false;
	}
	return routes_match(rt, method, path, m);
}

bool gateway_routes_match_path(const struct gateway_routes *rt, const char *path,
			       struct gateway_match *m)
{
	return routes_match(rt, NULL, path, m);
}
