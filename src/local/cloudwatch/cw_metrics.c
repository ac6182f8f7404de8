/*
 * The metrics store (cw_metrics.h). Series are found by a key made of the
 * namespace, the name and the sorted dimensions, through an open-addressing
 * hash table (a gateway request records a dozen datapoints). Statistics are
 * computed from the raw datapoints of the period asked: a local stage holds
 * thousands of them, not billions.
 */
#include "core/common.h"

#include <math.h>

#include "core/buf.h"
#include "core/grow.h"
#include "local/cloudwatch/cw_metrics.h"

#define CW_METRICS_KEY_MAX ((size_t)32 * 1024)
/* Statistic sets one roll-up can merge into at once; past half of them it starts afresh. */
#define CW_METRICS_ROLL_SLOTS 1024
#define CW_METRICS_MINUTE_MS  60000

struct cw_metrics {
	struct cw_series **all;
	size_t n, alloc;
	size_t *table; /* indexes + 1 into `all`; 0 is empty */
	size_t tsize;  /* a power of two, over twice `n` */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int cmp_dim(const void *a, const void *b)
{
	return strcmp(((const struct cw_dim *)a)->name, ((const struct cw_dim *)b)->name);
}

/* The key of a series; `dims` sorted. NULL when too long or out of memory. */
static char *make_key(const char *ns, const char *name, const struct cw_dim *dims, size_t n)
{
	struct buf b;

	/* Pieces appended, not printed: this runs for each of a request's ~20 data points. */
	buf_init(&b, CW_METRICS_KEY_MAX);
	buf_puts(&b, ns);
	buf_putc(&b, '\x1f');
	buf_puts(&b, name);
	for (size_t i = 0; i < n; i++) {
		buf_putc(&b, '\x1f');
		buf_puts(&b, dims[i].name);
		buf_putc(&b, '=');
		buf_puts(&b, dims[i].value);
	}
	if (buf_error(&b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* ASCII, 1 to `max` characters, no control characters (the API's rules for names and values). */
static bool api_string(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static size_t *slot(struct cw_metrics *m, const char *key)
{
	size_t mask = m->tsize - 1, i = (size_t)fnv1a(key) & mask;

	while (m->table[i] && strcmp(m->all[m->table[i] - 1]->key, key))
		i = (i + 1) & mask;
	return &m->table[i];
}

static int rehash(struct cw_metrics *m)
{
	size_t size = m->tsize ? m->tsize * 2 : 256;
	size_t *t = calloc(size, sizeof(*t));

	if (!t)
		return ERR_NOMEM;
	free(m->table);
	m->table = t;
	m->tsize = size;
	for (size_t i = 0; i < m->n; i++)
		*slot(m, m->all[i]->key) = i + 1;
	return 0;
}

int cw_metrics_new(struct cw_metrics **out)
{
	struct cw_metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m || rehash(m)) {
		free(m);
		return ERR_NOMEM;
	}
	*out = m;
	return 0;
}

static void series_free(struct cw_series *s)
{
	for (size_t i = 0; i < s->ndims; i++) {
		free((char *)s->dims[i].name);
		free((char *)s->dims[i].value);
	}
	free(s->dims);
	free(s->pts);
	free(s->ns);
	free(s->name);
	free(s->unit);
	free(s->key);
	free(s);
}

void cw_metrics_free(struct cw_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		series_free(m->all[i]);
	free(m->all);
	free(m->table);
	free(m);
}

/* Sort a copy of `dims` into `sorted` (at most CW_METRICS_DIMS_MAX). */
static int sort_dims(const struct cw_dim *dims, size_t n, struct cw_dim *sorted)
{
	if (n > CW_METRICS_DIMS_MAX)
		return ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!api_string(dims[i].name, 255) || !api_string(dims[i].value, 1024) ||
		    dims[i].name[0] == ':')
			return ERR_INVAL;
		sorted[i] = dims[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_dim);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(sorted[i - 1].name, sorted[i].name))
			return ERR_INVAL;
	return 0;
}

struct cw_series *cw_metrics_find(struct cw_metrics *m, const char *ns, const char *name,
				  const struct cw_dim *dims, size_t ndims)
{
	struct cw_dim sorted[CW_METRICS_DIMS_MAX];
	struct cw_series *s = NULL;
	char *key;
	size_t *at;

	if (!ns || !name || sort_dims(dims, ndims, sorted))
		return NULL;
	key = make_key(ns, name, sorted, ndims);
	if (key && *(at = slot(m, key)))
		s = m->all[*at - 1];
	free(key);
	return s;
}

static struct cw_series *series_new(const char *ns, const char *name, const struct cw_dim *sorted,
				    size_t n, const char *unit, char *key)
{
	struct cw_series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ns = strdup(ns);
	s->name = strdup(name);
	s->unit = strdup(unit);
	s->dims = n ? calloc(n, sizeof(*s->dims)) : NULL;
	if (!s->ns || !s->name || !s->unit || (n && !s->dims)) {
		series_free(s);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		s->dims[i].name = strdup(sorted[i].name);
		s->dims[i].value = strdup(sorted[i].value);
		s->ndims++;
		if (!s->dims[i].name || !s->dims[i].value) {
			series_free(s);
			return NULL;
		}
	}
	s->key = key; /* owned from here: on failure the caller still has it */
	return s;
}

/*
 * Whether `p`, a single value, equals `last`, a value counted once or more,
 * within the same second: counting it into `last` changes no statistic.
 */
static bool same_value_second(const struct cw_point *last, const struct cw_point *p)
{
	return p->count == 1 && p->min == p->max && p->sum == p->min && last->min == last->max &&
	       last->min == p->min && last->ts / 1000 == p->ts / 1000;
}

int cw_metrics_put(struct cw_metrics *m, const char *ns, const char *name,
		   const struct cw_dim *dims, size_t ndims, const char *unit,
		   const struct cw_point *p)
{
	struct cw_dim sorted[CW_METRICS_DIMS_MAX];
	struct cw_series *s;
	size_t *at;
	char *key;
	int err;

	if (!api_string(ns, 255) || ns[0] == ':' || !api_string(name, 255) || p->count < 1 ||
	    !isfinite(p->sum) || !isfinite(p->min) || !isfinite(p->max))
		return ERR_INVAL;
	if ((err = sort_dims(dims, ndims, sorted)))
		return err;
	if (!unit || !*unit)
		unit = "None";
	if (!(key = make_key(ns, name, sorted, ndims)))
		return ERR_NOMEM;
	at = slot(m, key);
	if (*at) {
		free(key);
		s = m->all[*at - 1];
	} else {
		if (m->n == CW_METRICS_SERIES_MAX) {
			free(key);
			return ERR_TOOLARGE;
		}
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): the elements are pointers */
		if (ALLOC_GROW(m->all, m->n + 1, m->alloc) ||
		    !(s = series_new(ns, name, sorted, ndims, unit, key))) {
			free(key);
			return ERR_NOMEM;
		}
		m->all[m->n++] = s;
		if (m->n * 2 > m->tsize && rehash(m))
			return ERR_NOMEM;
		*slot(m, s->key) = m->n;
	}
	if (s->n > MAX(s->head, s->rolled) && same_value_second(&s->pts[s->n - 1], p)) {
		s->pts[s->n - 1].sum += p->sum;
		s->pts[s->n - 1].count += p->count;
		s->last_ts = MAX(s->last_ts, p->ts);
		return 0;
	}
	if (s->n - s->head >= CW_METRICS_POINTS_MAX)
		s->head++;
	s->rolled = MAX(s->rolled, s->head);
	if (s->head > 4096 && s->head > s->n / 2) {
		memmove(s->pts, s->pts + s->head, (s->n - s->head) * sizeof(*s->pts));
		s->n -= s->head;
		s->rolled -= s->head;
		s->head = 0;
	}
	if (ALLOC_GROW(s->pts, s->n + 1, s->alloc))
		return ERR_NOMEM;
	s->pts[s->n++] = *p;
	s->last_ts = MAX(s->last_ts, p->ts);
	return 0;
}

struct cw_series *const *cw_metrics_all(struct cw_metrics *m, size_t *n)
{
	*n = m->n;
	return m->all;
}

/* A point's value class: sign, exponent and the top CW_METRICS_CLASS_BITS of its mean's mantissa.
 */
static uint64_t value_class(const struct cw_point *p)
{
	double mean = p->sum / p->count;
	uint64_t bits;

	memcpy(&bits, &mean, sizeof(bits));
	return bits >> (52 - CW_METRICS_CLASS_BITS);
}

struct roll_slot {
	int64_t minute;
	uint64_t cls;
	size_t at; /* index + 1 of the statistic set; 0 is empty */
};

/*
 * Roll the raw points of `s` older than `cutoff` (a minute boundary) up into
 * one statistic set per minute and value class, written over the points
 * themselves; the raw points after them move down.
 */
static void roll_up(struct cw_series *s, int64_t cutoff)
{
	struct roll_slot tab[CW_METRICS_ROLL_SLOTS]; /* 24 KB */
	size_t end = s->rolled, w = s->rolled, used = 0;

	while (end < s->n && s->pts[end].ts < cutoff)
		end++;
	if (end == s->rolled)
		return;
	memset(tab, 0, sizeof(tab));
	for (size_t r = s->rolled; r < end; r++) {
		struct cw_point p = s->pts[r];
		int64_t minute = p.ts - ((p.ts % CW_METRICS_MINUTE_MS) + CW_METRICS_MINUTE_MS) %
						CW_METRICS_MINUTE_MS;
		uint64_t cls = value_class(&p);
		size_t i = (size_t)(((uint64_t)minute * 31 + cls) * 0x9e3779b97f4a7c15ull >> 54) &
			   (CW_METRICS_ROLL_SLOTS - 1);
		struct cw_point *q;

		while (tab[i].at && (tab[i].minute != minute || tab[i].cls != cls))
			i = (i + 1) & (CW_METRICS_ROLL_SLOTS - 1);
		if (!tab[i].at) {
			if (used == CW_METRICS_ROLL_SLOTS / 2) {
				memset(tab, 0, sizeof(tab));
				used = 0;
				r--; /* again, in the fresh table */
				continue;
			}
			p.ts = minute;
			s->pts[w++] = p;
			tab[i] = (struct roll_slot){minute, cls, w};
			used++;
			continue;
		}
		q = &s->pts[tab[i].at - 1];
		q->sum += p.sum;
		q->count += p.count;
		q->min = MIN(q->min, p.min);
		q->max = MAX(q->max, p.max);
	}
	memmove(s->pts + w, s->pts + end, (s->n - end) * sizeof(*s->pts));
	s->n -= end - w;
	s->rolled = w;
}

void cw_metrics_maintain(struct cw_metrics *m, int64_t now_ms)
{
	int64_t cutoff = (now_ms - CW_METRICS_RAW_MS) / CW_METRICS_MINUTE_MS * CW_METRICS_MINUTE_MS;

	for (size_t i = 0; i < m->n; i++) {
		struct cw_series *s = m->all[i];

		while (s->head < s->n && s->pts[s->head].ts < now_ms - CW_METRICS_RETENTION_MS)
			s->head++;
		s->rolled = MAX(s->rolled, s->head);
		roll_up(s, cutoff);
	}
}

bool cw_stat_parse(const char *s, enum cw_stat *kind, double *pct)
{
	static const struct {
		const char *name;
		enum cw_stat kind;
	} names[] = {{"SampleCount", CW_SAMPLES},
		     {"Sum", CW_SUM},
		     {"Average", CW_AVG},
		     {"Minimum", CW_MIN},
		     {"Maximum", CW_MAX}};
	char *end;

	*pct = 0;
	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name)) {
			*kind = names[i].kind;
			return true;
		}
	if (!s || (s[0] != 'p' && s[0] != 'P') || !s[1])
		return false;
	errno = 0;
	*pct = strtod(s + 1, &end);
	if (*end || errno || *pct < 0 || *pct > 100 || s[1] == '-' || s[1] == '+')
		return false;
	*kind = CW_PCT;
	return true;
}

static int cmp_point_value(const void *a, const void *b)
{
	const struct cw_point *x = a, *y = b;
	double u = x->sum / x->count, v = y->sum / y->count;

	return (u > v) - (u < v);
}

/* The nearest-rank percentile, each datapoint weighing its count at its mean. */
static double percentile(struct cw_point *v, size_t n, double pct)
{
	double total = 0, rank, seen = 0;

	qsort(v, n, sizeof(*v), cmp_point_value);
	for (size_t i = 0; i < n; i++)
		total += v[i].count;
	rank = ceil(pct / 100.0 * total);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < n; i++) {
		seen += v[i].count;
		if (seen >= rank)
			return v[i].sum / v[i].count;
	}
	return v[n - 1].sum / v[n - 1].count;
}

bool cw_series_stat(const struct cw_series *s, int64_t from, int64_t to, enum cw_stat kind,
		    double pct, const char *unit, double *out)
{
	double sum = 0, count = 0, mn = INFINITY, mx = -INFINITY;
	struct cw_point *sel = NULL;
	size_t nsel = 0, asel = 0;

	if (unit && *unit && strcmp(unit, s->unit))
		return false;
	for (size_t i = s->head; i < s->n; i++) {
		const struct cw_point *p = &s->pts[i];

		if (p->ts < from || p->ts >= to)
			continue;
		sum += p->sum;
		count += p->count;
		mn = MIN(mn, p->min);
		mx = MAX(mx, p->max);
		if (kind == CW_PCT && !ALLOC_GROW(sel, nsel + 1, asel))
			sel[nsel++] = *p;
	}
	if (count == 0) {
		free(sel);
		return false;
	}
	switch (kind) {
	case CW_SAMPLES:
		*out = count;
		break;
	case CW_SUM:
		*out = sum;
		break;
	case CW_AVG:
		*out = sum / count;
		break;
	case CW_MIN:
		*out = mn;
		break;
	case CW_MAX:
		*out = mx;
		break;
	case CW_PCT:
		*out = nsel ? percentile(sel, nsel, pct) : sum / count;
		break;
	}
	free(sel);
	return true;
}
