/*
 * Metric math (cw_int.h): a recursive-descent evaluator over series of
 * (timestamp, value). Arithmetic between two series keeps the timestamps
 * both have, as CloudWatch does; with a scalar, every value. FILL(x, v)
 * gives a value at every timestamp of any series of the query. Enough for
 * rates and shares (errors / requests * 100), which is what dashboards and
 * alarms here ask; SEARCH, METRICS(), ANOMALY_DETECTION_BAND and the other
 * functions are refused with their name.
 */
#include "core/common.h"

#include <ctype.h>
#include <math.h>

#include "core/grow.h"
#include "local/cloudwatch/cw_int.h"

#define CW_MATH_DEPTH_MAX 32
#define CW_MATH_LIST_MAX  16

struct mval {
	bool scalar;
	double s;
	struct cw_values x; /* owned when !scalar */
};

struct mparse {
	const char *p;
	const struct cw_math_env *env;
	char *why;
	size_t why_len;
	int err;
	int depth;
};

static int merr(struct mparse *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int merr(struct mparse *m, const char *fmt, ...)
{
	va_list ap;

	if (!m->err) {
		m->err = ERR_PARSE;
		va_start(ap, fmt);
		vsnprintf(m->why, m->why_len, fmt, ap);
		va_end(ap);
	}
	return m->err;
}

static void mval_release(struct mval *v)
{
	if (!v->scalar)
		cw_values_release(&v->x);
	memset(v, 0, sizeof(*v));
	v->scalar = true;
}

static int push(struct cw_values *x, size_t *alloc, int64_t ts, double v)
{
	size_t a = *alloc;

	if (ALLOC_GROW(x->ts, x->n + 1, a) || ALLOC_GROW(x->v, x->n + 1, *alloc))
		return ERR_NOMEM;
	x->ts[x->n] = ts;
	x->v[x->n++] = v;
	return 0;
}

static int copy_values(const struct cw_values *from, struct cw_values *to)
{
	size_t alloc = 0;

	memset(to, 0, sizeof(*to));
	for (size_t i = 0; i < from->n; i++)
		if (push(to, &alloc, from->ts[i], from->v[i]))
			return ERR_NOMEM;
	return 0;
}

static double apply(char op, double a, double b, bool *none)
{
	*none = false;
	switch (op) {
	case '+':
		return a + b;
	case '-':
		return a - b;
	case '*':
		return a * b;
	default:
		if (b == 0) {
			*none = true;
			return 0;
		}
		return a / b;
	}
}

/* a op b into a (which takes the result); b is released. */
static int combine(struct mval *a, char op, struct mval *b)
{
	struct cw_values r = {0};
	size_t alloc = 0, i = 0, j = 0;
	bool none;
	int err = 0;

	if (a->scalar && b->scalar) {
		double v = apply(op, a->s, b->s, &none);

		a->s = none ? NAN : v;
		return 0;
	}
	if (a->scalar || b->scalar) {
		const struct cw_values *x = a->scalar ? &b->x : &a->x;

		for (size_t k = 0; !err && k < x->n; k++) {
			double v = a->scalar ? apply(op, a->s, x->v[k], &none)
					     : apply(op, x->v[k], b->s, &none);
			if (!none)
				err = push(&r, &alloc, x->ts[k], v);
		}
	} else {
		while (!err && i < a->x.n && j < b->x.n) {
			if (a->x.ts[i] < b->x.ts[j]) {
				i++;
			} else if (a->x.ts[i] > b->x.ts[j]) {
				j++;
			} else {
				double v = apply(op, a->x.v[i], b->x.v[j], &none);

				if (!none)
					err = push(&r, &alloc, a->x.ts[i], v);
				i++;
				j++;
			}
		}
	}
	mval_release(a);
	mval_release(b);
	a->scalar = false;
	a->x = r;
	return err;
}

static void skip(struct mparse *m)
{
	while (*m->p == ' ' || *m->p == '\t')
		m->p++;
}

/* Take `c` (after spaces); false, with nothing taken, when something else is there. */
static bool take(struct mparse *m, char c)
{
	skip(m);
	if (*m->p != c)
		return false;
	m->p++;
	return true;
}

static int expr(struct mparse *m, struct mval *out);

/* Every timestamp of the query's series, sorted, for FILL. */
static int all_timestamps(const struct cw_math_env *env, struct cw_values *out)
{
	size_t alloc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t q = 0; q < env->n; q++)
		for (size_t i = 0; i < env->values[q].n; i++) {
			bool seen = false;

			for (size_t k = 0; k < out->n && !seen; k++)
				seen = out->ts[k] == env->values[q].ts[i];
			if (!seen && push(out, &alloc, env->values[q].ts[i], 0))
				return ERR_NOMEM;
		}
	for (size_t i = 1; i < out->n; i++)
		for (size_t k = i; k > 0 && out->ts[k - 1] > out->ts[k]; k--) {
			int64_t t = out->ts[k];

			out->ts[k] = out->ts[k - 1];
			out->ts[k - 1] = t;
		}
	return 0;
}

static int fill(struct mparse *m, struct mval *x, double v)
{
	struct cw_values grid, r = {0};
	size_t alloc = 0, j = 0;
	int err;

	if (x->scalar)
		return 0;
	if ((err = all_timestamps(m->env, &grid)))
		return err;
	for (size_t i = 0; !err && i < grid.n; i++) {
		while (j < x->x.n && x->x.ts[j] < grid.ts[i])
			j++;
		err = push(&r, &alloc, grid.ts[i],
			   j < x->x.n && x->x.ts[j] == grid.ts[i] ? x->x.v[j] : v);
	}
	cw_values_release(&grid);
	mval_release(x);
	x->scalar = false;
	x->x = r;
	return err;
}

/* SUM, AVG, MIN, MAX of a list, per timestamp over the union of their timestamps. */
static int reduce(struct mparse *m, const char *fn, struct mval *items, size_t n, struct mval *out)
{
	struct cw_values grid;
	size_t alloc = 0;
	int err = all_timestamps(m->env, &grid);

	memset(out, 0, sizeof(*out));
	for (size_t t = 0; !err && t < grid.n; t++) {
		double acc = 0;
		size_t have = 0;

		for (size_t i = 0; i < n; i++) {
			double v = NAN;

			if (items[i].scalar)
				v = items[i].s;
			for (size_t k = 0; !items[i].scalar && k < items[i].x.n; k++)
				if (items[i].x.ts[k] == grid.ts[t])
					v = items[i].x.v[k];
			if (isnan(v))
				continue;
			if (!have)
				acc = v;
			else if (!strcmp(fn, "MIN"))
				acc = MIN(acc, v);
			else if (!strcmp(fn, "MAX"))
				acc = MAX(acc, v);
			else
				acc += v;
			have++;
		}
		if (have)
			err = push(&out->x, &alloc, grid.ts[t],
				   !strcmp(fn, "AVG") ? acc / have : acc);
	}
	cw_values_release(&grid);
	return err;
}

static int call(struct mparse *m, const char *fn, struct mval *out)
{
	struct mval args[CW_MATH_LIST_MAX];
	size_t n = 0;
	bool list = false;
	int err = 0;

	skip(m);
	if (*m->p == '[') {
		list = true;
		m->p++;
	}
	for (;;) {
		if (n == CW_MATH_LIST_MAX)
			return merr(m, "too many arguments");
		if ((err = expr(m, &args[n])))
			goto done;
		n++;
		skip(m);
		if (*m->p != ',')
			break;
		m->p++;
	}
	if (list && !take(m, ']'))
		err = merr(m, "a list is closed with ]");
	if (!err && !take(m, ')'))
		err = merr(m, "%s( is not closed", fn);
	if (err)
		goto done;
	if (!strcmp(fn, "FILL")) {
		if (n != 2 || !args[1].scalar)
			err = merr(m, "FILL takes a series and a number");
		else if (!(err = fill(m, &args[0], args[1].s))) {
			*out = args[0]; /* taken: args[0] becomes an empty scalar */
			args[0] = (struct mval){.scalar = true};
		}
	} else if (!strcmp(fn, "ABS") && n == 1) {
		*out = args[0];
		args[0] = (struct mval){.scalar = true};
		if (out->scalar)
			out->s = fabs(out->s);
		for (size_t i = 0; !out->scalar && i < out->x.n; i++)
			out->x.v[i] = fabs(out->x.v[i]);
	} else if (!strcmp(fn, "SUM") || !strcmp(fn, "AVG") || !strcmp(fn, "MIN") ||
		   !strcmp(fn, "MAX")) {
		err = reduce(m, fn, args, n, out);
	} else {
		err = merr(m, "the function %s is not supported locally", fn);
	}
done:
	for (size_t i = 0; i < n; i++)
		mval_release(&args[i]);
	return err;
}

static int factor(struct mparse *m, struct mval *out);

static int factor_inner(struct mparse *m, struct mval *out)
{
	char *end;

	skip(m);
	if (*m->p == '(') {
		m->p++;
		if (expr(m, out))
			return m->err;
		if (!take(m, ')')) {
			mval_release(out);
			return merr(m, "a parenthesis is not closed");
		}
	} else if (*m->p == '-') {
		m->p++;
		if (factor(m, out))
			return m->err;
		struct mval neg = {.scalar = true, .s = -1};
		return combine(out, '*', &neg);
	} else if (isdigit((unsigned char)*m->p) || *m->p == '.') {
		out->s = strtod(m->p, &end);
		m->p = end;
	} else if (isalpha((unsigned char)*m->p)) {
		char name[64];
		size_t n = 0;

		while ((isalnum((unsigned char)*m->p) || *m->p == '_') && n < sizeof(name) - 1)
			name[n++] = *m->p++;
		name[n] = '\0';
		skip(m);
		if (*m->p == '(') {
			m->p++;
			return call(m, name, out);
		}
		for (size_t i = 0; i < m->env->n; i++)
			if (m->env->ids[i] && !strcmp(m->env->ids[i], name)) {
				out->scalar = false;
				return copy_values(&m->env->values[i], &out->x);
			}
		return merr(m, "no query has the id %s", name);
	} else {
		return merr(m, "unexpected '%c'", *m->p ? *m->p : ' ');
	}
	return 0;
}

static int factor(struct mparse *m, struct mval *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->scalar = true;
	if (++m->depth > CW_MATH_DEPTH_MAX)
		return merr(m, "nested too deeply");
	err = factor_inner(m, out);
	m->depth--;
	return err;
}

static int binary(struct mparse *m, struct mval *out, const char *ops,
		  int (*sub)(struct mparse *, struct mval *))
{
	if (sub(m, out))
		return m->err;
	for (;;) {
		struct mval rhs;
		char op;

		skip(m);
		if (!*m->p || !strchr(ops, *m->p))
			return 0;
		op = *m->p++;
		if (sub(m, &rhs)) {
			mval_release(out);
			return m->err;
		}
		if (combine(out, op, &rhs))
			return m->err = ERR_NOMEM;
	}
}

static int term(struct mparse *m, struct mval *out)
{
	return binary(m, out, "*/", factor);
}

static int expr(struct mparse *m, struct mval *out)
{
	return binary(m, out, "+-", term);
}

int cw_math_eval(const char *text, const struct cw_math_env *env, struct cw_values *out, char *why,
		 size_t why_len)
{
	struct mparse m = {text, env, why, why_len, 0, 0};
	struct mval v;

	memset(out, 0, sizeof(*out));
	if (expr(&m, &v))
		return m.err;
	skip(&m);
	if (*m.p) {
		mval_release(&v);
		return merr(&m, "unexpected text: %s", m.p);
	}
	if (v.scalar) {
		/* A constant: one value per timestamp of the query. */
		struct mval c = {.scalar = false};
		int err = all_timestamps(env, &c.x);

		for (size_t i = 0; !err && i < c.x.n; i++) {
			size_t alloc = c.x.n;

			if (!c.x.v && !(c.x.v = calloc(alloc ? alloc : 1, sizeof(double))))
				err = ERR_NOMEM;
			if (!err)
				c.x.v[i] = v.s;
		}
		if (err) {
			mval_release(&c);
			return err;
		}
		*out = c.x;
		return 0;
	}
	*out = v.x;
	return 0;
}
