/*
 * Clocks and the three timestamp formats of timeutil.h. Parsers are strict
 * (fixed widths, ranges checked, February 29 only in leap years) and never
 * read past `len`; calendar arithmetic is left to timegm() and gmtime_r().
 */
#include "core/common.h"

#include "core/timeutil.h"

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* gmtime_r, falling back to the epoch for times it cannot represent. */
static void utc_tm(time_t t, struct tm *tm)
{
	time_t zero = 0;
	if (!gmtime_r(&t, tm) && !gmtime_r(&zero, tm))
		memset(tm, 0, sizeof(*tm));
}

void time_rfc3339(char out[32], int64_t epoch_ms, int with_millis)
{
	struct tm tm;
	int64_t sec = epoch_ms / 1000, ms = epoch_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		sec -= 1;
	}
	utc_tm((time_t)sec, &tm);
	int n;
	if (with_millis)
		n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	else
		n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0)
		out[0] = '\0';
}

void time_amz(char out[17], time_t t)
{
	struct tm tm;
	utc_tm(t, &tm);
	/* Years past 9999 do not fit the format; clamp rather than truncate oddly. */
	int year = MIN(MAX(tm.tm_year + 1900, 0), 9999);
	int n = snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0)
		out[0] = '\0';
}

void time_http(char out[32], time_t t)
{
	struct tm tm;
	utc_tm(t, &tm);
	int n = snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday % 7],
			 tm.tm_mday, month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
			 tm.tm_min, tm.tm_sec);
	if (n < 0)
		out[0] = '\0';
}

/* Exactly `n` decimal digits at s[*i]; advances *i. -1 when not digits. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0;
	if (len - *i < (size_t)n)
		return -1;
	for (int k = 0; k < n; k++) {
		char c = s[*i + (size_t)k];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	return v;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

static int days_in_month(int year, int mon /* 1-12 */)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return mon == 2 && leap ? 29 : days[mon - 1];
}

/* Check the fields and convert with timegm(). 0 or ERR_PARSE. */
static int civil_to_time(int year, int mon, int day, int h, int m, int sec, time_t *out)
{
	if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || h < 0 ||
	    h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return ERR_PARSE;
	struct tm tm = {0};
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return 0;
}

/* RFC 3339 section 5.6 date-time. A leap second (:60) is rejected. */
int time_parse_rfc3339(const char *s, size_t len, int64_t *out_ms)
{
	size_t i = 0;
	int ms = 0, off = 0;

	if (!s)
		return ERR_PARSE;
	int year = digits(s, len, &i, 4);
	if (year < 0 || !expect(s, len, &i, '-'))
		return ERR_PARSE;
	int mon = digits(s, len, &i, 2);
	if (mon < 0 || !expect(s, len, &i, '-'))
		return ERR_PARSE;
	int day = digits(s, len, &i, 2);
	if (day < 0 || !(expect(s, len, &i, 'T') || expect(s, len, &i, 't')))
		return ERR_PARSE;
	int h = digits(s, len, &i, 2);
	if (h < 0 || !expect(s, len, &i, ':'))
		return ERR_PARSE;
	int m = digits(s, len, &i, 2);
	if (m < 0 || !expect(s, len, &i, ':'))
		return ERR_PARSE;
	int sec = digits(s, len, &i, 2);
	if (sec < 0)
		return ERR_PARSE;
	if (expect(s, len, &i, '.')) {
		/* 1 to 9 fraction digits; milliseconds keep the first three. */
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 9) {
			if (i - start < 3)
				ms = ms * 10 + (s[i] - '0');
			i++;
		}
		size_t nd = i - start;
		if (nd == 0 || (i < len && s[i] >= '0' && s[i] <= '9'))
			return ERR_PARSE;
		for (size_t k = nd; k < 3; k++)
			ms *= 10;
	}
	if (expect(s, len, &i, 'Z') || expect(s, len, &i, 'z')) {
		off = 0;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;
		i++;
		int oh = digits(s, len, &i, 2);
		if (oh < 0 || oh > 23 || !expect(s, len, &i, ':'))
			return ERR_PARSE;
		int om = digits(s, len, &i, 2);
		if (om < 0 || om > 59)
			return ERR_PARSE;
		off = sign * (oh * 60 + om) * 60;
	} else {
		return ERR_PARSE;
	}
	if (i != len)
		return ERR_PARSE;
	time_t t;
	if (civil_to_time(year, mon, day, h, m, sec, &t))
		return ERR_PARSE;
	*out_ms = ((int64_t)t - off) * 1000 + ms;
	return 0;
}

int time_parse_amz(const char *s, size_t len, time_t *out)
{
	size_t i = 0;

	if (!s || len != 16)
		return ERR_PARSE;
	int year = digits(s, len, &i, 4);
	int mon = digits(s, len, &i, 2);
	int day = digits(s, len, &i, 2);
	if (year < 0 || mon < 0 || day < 0 || !expect(s, len, &i, 'T'))
		return ERR_PARSE;
	int h = digits(s, len, &i, 2);
	int m = digits(s, len, &i, 2);
	int sec = digits(s, len, &i, 2);
	if (h < 0 || m < 0 || sec < 0 || !expect(s, len, &i, 'Z'))
		return ERR_PARSE;
	return civil_to_time(year, mon, day, h, m, sec, out);
}

/* Index of the 3-letter name at s[*i] in `names`, advancing *i; -1 when none. */
static int name3(const char *s, size_t len, size_t *i, const char *const *names, int n)
{
	if (len - *i < 3)
		return -1;
	for (int k = 0; k < n; k++) {
		if (memcmp(s + *i, names[k], 3) == 0) {
			*i += 3;
			return k;
		}
	}
	return -1;
}

/* RFC 9110 section 5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
int time_parse_http(const char *s, size_t len, time_t *out)
{
	size_t i = 0;

	if (!s || len != 29)
		return ERR_PARSE;
	if (name3(s, len, &i, day_names, 7) < 0 || !expect(s, len, &i, ',') ||
	    !expect(s, len, &i, ' '))
		return ERR_PARSE;
	int day = digits(s, len, &i, 2);
	if (day < 0 || !expect(s, len, &i, ' '))
		return ERR_PARSE;
	int mon = name3(s, len, &i, month_names, 12);
	if (mon < 0 || !expect(s, len, &i, ' '))
		return ERR_PARSE;
	int year = digits(s, len, &i, 4);
	if (year < 0 || !expect(s, len, &i, ' '))
		return ERR_PARSE;
	int h = digits(s, len, &i, 2);
	if (h < 0 || !expect(s, len, &i, ':'))
		return ERR_PARSE;
	int m = digits(s, len, &i, 2);
	if (m < 0 || !expect(s, len, &i, ':'))
		return ERR_PARSE;
	int sec = digits(s, len, &i, 2);
	if (sec < 0 || len - i != 4 || memcmp(s + i, " GMT", 4) != 0)
		return ERR_PARSE;
	return civil_to_time(year, mon + 1, day, h, m, sec, out);
}
