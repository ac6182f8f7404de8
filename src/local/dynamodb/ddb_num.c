/*
 * DynamoDB's Number type: decimal, up to 38 significant digits, magnitudes
 * from 1E-130 to 9.99...E+125, exact (no binary floating point anywhere).
 * Values are kept normalised (no leading or trailing zero digits) so that
 * equality is structural; key bytes are built so that memcmp() order is
 * numeric order, which lets SQLite's BLOB ordering sort the sort keys.
 */
#include "core/common.h"

#include "local/dynamodb/ddb_int.h"

#define WIDE_MIN (DDB_NUM_MIN_EXP - DDB_NUM_DIGITS - 4) /* lowest digit position */
#define WIDE_MAX (DDB_NUM_MAX_EXP + 4)			/* highest digit position */
#define WIDE_LEN (WIDE_MAX - WIDE_MIN + 1)

static int bad_number(struct ddb_err *e, const char *s, size_t len)
{
	return ddb_invalid(e, "The parameter cannot be converted to a numeric value: %.*s",
			   (int)MIN(len, 64), s);
}

/* Range and precision checks shared by parse and add. */
static int num_check(const struct ddb_num *a, struct ddb_err *e)
{
	if (a->n == 0)
		return 0;
	if (a->exp > DDB_NUM_MAX_EXP)
		return ddb_invalid(e, "Number overflow. Attempting to store a number with "
				      "magnitude larger than supported range");
	if (a->exp < DDB_NUM_MIN_EXP)
		return ddb_invalid(e, "Number underflow. Attempting to store a number with "
				      "magnitude smaller than supported range");
	return 0;
}

static int too_many_digits(struct ddb_err *e)
{
	return ddb_invalid(e, "Attempting to store more than 38 significant digits in a Number");
}

/* A number's text taken apart: its digits as written, zeros included. */
struct num_text {
	uint8_t digits[DDB_NUM_MAX_TEXT];
	size_t nd, before_point;
	bool neg;
	long long ex; /* the exponent written, clamped to +-100000 */
};

/* Sign, digits and point from s[*i]; false when there is no digit. */
static bool read_mantissa(const char *s, size_t len, size_t *i, struct num_text *t)
{
	bool point = false;
	if (s[*i] == '-' || s[*i] == '+')
		t->neg = s[(*i)++] == '-';
	for (; *i < len; (*i)++) {
		if (s[*i] >= '0' && s[*i] <= '9') {
			t->digits[t->nd++] = (uint8_t)(s[*i] - '0');
			t->before_point += !point;
		} else if (s[*i] == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	return t->nd > 0;
}

/* An optional exponent from s[*i]; false when 'E' has no digits. */
static bool read_exponent(const char *s, size_t len, size_t *i, struct num_text *t)
{
	bool neg = false;
	size_t start;
	if (*i >= len || (s[*i] != 'e' && s[*i] != 'E'))
		return true;
	(*i)++;
	if (*i < len && (s[*i] == '-' || s[*i] == '+'))
		neg = s[(*i)++] == '-';
	for (start = *i; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++)
		if (t->ex < 100000)
			t->ex = t->ex * 10 + (s[*i] - '0');
	if (neg)
		t->ex = -t->ex;
	return *i > start;
}

/* Drop leading and trailing zeros: the normalised number of `t`. */
static int normalise(const struct num_text *t, struct ddb_num *out, struct ddb_err *e)
{
	size_t first = 0, last;
	long long ex;
	while (first < t->nd && t->digits[first] == 0)
		first++;
	if (first == t->nd)
		return 0; /* zero, whatever its sign and exponent */
	last = t->nd - 1;
	while (t->digits[last] == 0)
		last--;
	if (last - first + 1 > DDB_NUM_DIGITS)
		return too_many_digits(e);
	out->neg = t->neg;
	out->n = (int)(last - first + 1);
	memcpy(out->d, t->digits + first, (size_t)out->n);
	ex = t->ex + (long long)t->before_point - (long long)first;
	out->exp = (int)MAX(MIN(ex, 100000), -100000);
	return num_check(out, e);
}

int ddb_num_parse(const char *s, size_t len, struct ddb_num *out, struct ddb_err *e)
{
	struct num_text t = {.nd = 0};
	size_t i = 0;
	memset(out, 0, sizeof(*out));
	if (!s || len == 0 || len > DDB_NUM_MAX_TEXT)
		return bad_number(e, s ? s : "", len);
	if (!read_mantissa(s, len, &i, &t) || !read_exponent(s, len, &i, &t) || i != len)
		return bad_number(e, s, len);
	return normalise(&t, out, e);
}

static int mag_cmp(const struct ddb_num *a, const struct ddb_num *b)
{
	if (a->exp != b->exp)
		return a->exp < b->exp ? -1 : 1;
	for (int i = 0; i < MAX(a->n, b->n); i++) {
		int x = i < a->n ? a->d[i] : 0, y = i < b->n ? b->d[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

int ddb_num_cmp(const struct ddb_num *a, const struct ddb_num *b)
{
	int sa = a->n == 0 ? 0 : a->neg ? -1 : 1;
	int sb = b->n == 0 ? 0 : b->neg ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	return sa * mag_cmp(a, b);
}

/* Spread the digits of `a` into a wide array indexed by power of ten. */
static void widen(const struct ddb_num *a, int8_t w[WIDE_LEN])
{
	memset(w, 0, WIDE_LEN);
	for (int i = 0; i < a->n; i++)
		w[a->exp - 1 - i - WIDE_MIN] = (int8_t)a->d[i];
}

/* x = x + y, or x - y with `sub` (then x >= y), digit by digit. */
static void add_wide(int8_t x[WIDE_LEN], const int8_t y[WIDE_LEN], bool sub)
{
	int carry = 0;
	for (int i = 0; i < WIDE_LEN; i++) {
		int v = sub ? x[i] - y[i] - carry : x[i] + y[i] + carry;
		carry = 0;
		if (v < 0) {
			v += 10;
			carry = 1;
		} else if (v > 9) {
			v -= 10;
			carry = 1;
		}
		x[i] = (int8_t)v;
	}
}

/* The normalised number of the wide digits `x` with sign `neg`. */
static int narrow(const int8_t x[WIDE_LEN], bool neg, struct ddb_num *out, struct ddb_err *e)
{
	int hi = -1, lo = -1;
	for (int i = 0; i < WIDE_LEN; i++) {
		if (x[i]) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
	}
	if (hi < 0)
		return 0; /* exact zero */
	if (hi - lo + 1 > DDB_NUM_DIGITS)
		return too_many_digits(e);
	out->neg = neg;
	out->n = hi - lo + 1;
	out->exp = hi + WIDE_MIN + 1;
	for (int i = 0; i < out->n; i++)
		out->d[i] = (uint8_t)x[hi - i];
	return num_check(out, e);
}

int ddb_num_add(const struct ddb_num *a, const struct ddb_num *b, bool negate_b,
		struct ddb_num *out, struct ddb_err *e)
{
	int8_t x[WIDE_LEN], y[WIDE_LEN];
	struct ddb_num bb = *b;
	if (negate_b && bb.n)
		bb.neg = !bb.neg;
	memset(out, 0, sizeof(*out));
	if (a->n == 0 || bb.n == 0) {
		*out = a->n == 0 ? bb : *a;
		return 0;
	}
	/* Put the larger magnitude in x: then x - y never goes negative. */
	bool swap = mag_cmp(a, &bb) < 0;
	const struct ddb_num *big = swap ? &bb : a, *small = swap ? a : &bb;
	widen(big, x);
	widen(small, y);
	add_wide(x, y, big->neg != small->neg);
	return narrow(x, big->neg, out, e);
}

int ddb_num_format(const struct ddb_num *a, struct buf *out)
{
	if (a->n == 0) {
		buf_putc(out, '0');
		return buf_error(out);
	}
	if (a->neg)
		buf_putc(out, '-');
	if (a->exp <= 0) {
		buf_puts(out, "0.");
		for (int i = 0; i < -a->exp; i++)
			buf_putc(out, '0');
		for (int i = 0; i < a->n; i++)
			buf_putc(out, (char)('0' + a->d[i]));
		return buf_error(out);
	}
	for (int i = 0; i < MAX(a->n, a->exp); i++) {
		if (i == a->exp)
			buf_putc(out, '.');
		buf_putc(out, (char)('0' + (i < a->n ? a->d[i] : 0)));
	}
	return buf_error(out);
}

/*
 * Key bytes: 0x80 for zero; positives 0x81, the exponent biased to one
 * byte, then the digits (a shorter mantissa is a prefix, hence smaller);
 * negatives 0x7F, the exponent inverted, the digits inverted and 0xFF last
 * (so that a longer mantissa, a larger magnitude, sorts first).
 */
int ddb_num_key(const struct ddb_num *a, struct buf *out)
{
	uint8_t ex = (uint8_t)(a->exp - DDB_NUM_MIN_EXP);
	if (a->n == 0) {
		buf_putc(out, (char)0x80);
		return buf_error(out);
	}
	buf_putc(out, (char)(a->neg ? 0x7F : 0x81));
	buf_putc(out, (char)(a->neg ? 255 - ex : ex));
	for (int i = 0; i < a->n; i++)
		buf_putc(out, (char)(a->neg ? '9' - a->d[i] : '0' + a->d[i]));
	if (a->neg)
		buf_putc(out, (char)0xFF);
	return buf_error(out);
}

void ddb_num_from_u64(struct ddb_num *out, uint64_t v)
{
	uint8_t tmp[24];
	int n = 0;
	memset(out, 0, sizeof(*out));
	while (v) {
		tmp[n++] = (uint8_t)(v % 10);
		v /= 10;
	}
	out->exp = n;
	while (n > 0 && tmp[0] == 0) {
		memmove(tmp, tmp + 1, (size_t)--n);
	}
	for (int i = 0; i < n; i++)
		out->d[i] = tmp[n - 1 - i];
	out->n = n;
	if (n == 0)
		out->exp = 0;
}

size_t ddb_num_size(const struct ddb_num *a)
{
	return 1 + ((size_t)a->n + 1) / 2;
}
