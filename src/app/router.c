/*
 * The route table matcher (see router.h). Routes are few (a handful per
 * function), so patterns are interpreted on every match instead of being
 * compiled: a linear scan over short strings costs well under a microsecond
 * and keeps route tables plain static arrays.
 */
#include "core/common.h"

#include "app/router.h"
#include "core/json.h"

/* The most distinct methods one path can list in Allow. */
#define ALLOW_MAX_METHODS 16

static void add_param(struct route_match *m, const char *name, size_t name_len, struct str path,
		      size_t from, size_t to)
{
	m->params[m->nparams].name = str_make(name, name_len);
	m->params[m->nparams].value = str_make(path.ptr + from, to - from);
	m->nparams++;
}

/*
 * One segment of a pattern, `seg` of `len` bytes, against the path bytes
 * [xi, xe). Returns 1 when it matched and consumed the segment, 2 when a
 * greedy parameter consumed the rest of the path, 0 when it did not match.
 */
static int match_segment(const char *seg, size_t len, bool last, struct str path, size_t xi,
			 size_t xe, struct route_match *m)
{
	if (len >= 2 && seg[0] == '{' && seg[len - 1] == '}') {
		bool greedy = len >= 3 && seg[len - 2] == '+';
		size_t name_len = len - 2 - (greedy ? 1 : 0);
		if (name_len == 0 || memchr(seg + 1, '{', len - 2) || memchr(seg + 1, '}', len - 2))
			return 0;
		if (m->nparams == ROUTER_MAX_PARAMS)
			return 0;
		if (greedy) {
			if (!last || xi >= path.len)
				return 0;
			add_param(m, seg + 1, name_len, path, xi, path.len);
			return 2;
		}
		if (xe == xi)
			return 0;
		add_param(m, seg + 1, name_len, path, xi, xe);
		return 1;
	}
	if (memchr(seg, '{', len) || memchr(seg, '}', len))
		return 0;
	return xe - xi == len && memcmp(seg, path.ptr + xi, len) == 0;
}

/* True when `pattern` matches all of `path`; the parameters go to `m`. */
static bool match_path(const char *pattern, struct str path, struct route_match *m)
{
	size_t pi = 1, xi = 1;

	m->nparams = 0;
	if (!pattern || pattern[0] != '/' || path.len == 0 || path.ptr[0] != '/')
		return false;
	for (;;) {
		const char *seg = pattern + pi;
		size_t len = strcspn(seg, "/");
		bool last = seg[len] == '\0';
		size_t xe = xi;
		while (xe < path.len && path.ptr[xe] != '/')
			xe++;
		int r = match_segment(seg, len, last, path, xi, xe, m);
		if (r == 0)
			return false;
		if (r == 2)
			return true;
		if (last)
			return xe == path.len;
		if (xe == path.len)
			return false;
		pi += len + 1;
		xi = xe + 1;
	}
}

static bool method_matches(const char *route_method, struct str method)
{
	if (strcmp(route_method, "ANY") == 0 || str_eq_cstr(method, route_method))
		return true;
	return strcmp(route_method, "GET") == 0 && str_eq_cstr(method, "HEAD");
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Write the sorted, de-duplicated `methods` into `m->allow`. */
static void format_allow(const char **methods, size_t n, struct route_match *m)
{
	size_t used = 0;

	qsort(methods, n, sizeof(*methods), cmp_cstr);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(methods[i], methods[i - 1]) == 0)
			continue;
		int w = snprintf(m->allow + used, sizeof(m->allow) - used, "%s%s", used ? ", " : "",
				 methods[i]);
		if (w < 0 || (size_t)w >= sizeof(m->allow) - used) {
			m->allow[used] = '\0'; /* drop what does not fit whole */
			return;
		}
		used += (size_t)w;
	}
}

enum router_result router_match(const struct route *routes, size_t nroutes, struct str method,
				struct str path, struct route_match *m)
{
	const char *allowed[ALLOW_MAX_METHODS];
	size_t nallowed = 0;
	struct route_match tmp;

	memset(m, 0, sizeof(*m));
	if (method.len == 0)
		return ROUTER_NOT_FOUND;
	for (size_t i = 0; i < nroutes; i++) {
		memset(&tmp, 0, sizeof(tmp));
		if (!routes[i].method || !match_path(routes[i].pattern, path, &tmp))
			continue;
		if (method_matches(routes[i].method, method)) {
			*m = tmp;
			m->route = &routes[i];
			return ROUTER_FOUND;
		}
		if (nallowed < ALLOW_MAX_METHODS)
			allowed[nallowed++] = routes[i].method;
		if (strcmp(routes[i].method, "GET") == 0 && nallowed < ALLOW_MAX_METHODS)
			allowed[nallowed++] = "HEAD";
	}
	if (nallowed == 0)
		return ROUTER_NOT_FOUND;
	format_allow(allowed, nallowed, m);
	return ROUTER_BAD_METHOD;
}

struct str route_param(const struct route_match *m, const char *name)
{
	for (size_t i = 0; m && name && i < m->nparams; i++) {
		if (str_eq_cstr(m->params[i].name, name))
			return m->params[i].value;
	}
	return STR_NULL;
}

int router_error_json(struct buf *out, const char *code, const char *message)
{
	json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : "InternalError",
			      "message", message ? message : "");
	if (!v)
		v = json_pack("{s:{s:s,s:s}}", "error", "code", "InternalError", "message",
			      "the error could not be described");
	if (!v)
		return ERR_NOMEM;
	int err = jsonx_dump(v, out, 0);
	json_decref(v);
	return err;
}

int router_reject(enum router_result r, const struct route_match *m, int *status, struct buf *body)
{
	switch (r) {
	case ROUTER_NOT_FOUND:
		*status = 404;
		return router_error_json(body, "NotFound", "no route matches the request path");
	case ROUTER_BAD_METHOD:
		*status = 405;
		return router_error_json(body, "MethodNotAllowed",
					 m && m->allow[0]
						 ? "the method is not allowed on this path; "
						   "see the Allow header"
						 : "the method is not allowed on this path");
	default:
		return ERR_INVAL;
	}
}
