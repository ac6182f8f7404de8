/*
 * Preferences documents (see preferences_doc.h) on the pull scanner of
 * preferences_json.h. Unknown members are collected and reported together
 * at the end, so that a client learns every one of them from one answer.
 */
#include "core/common.h"

#include "app/preferences_doc.h"
#include "app/preferences_json.h"
#include "core/timeutil.h"

/* The message naming unknown members is cut here (a body may hold thousands). */
#define UNKNOWN_LIST_MAX 400

static const struct {
	const char *name;
	enum prefs_member bit;
} members[] = {
	{"userId", PREFS_USER_ID},
	{"purposes", PREFS_PURPOSES},
	{"vendors", PREFS_VENDORS},
	{"updatedAt", PREFS_UPDATED_AT},
};

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

bool prefs_user_id_valid(const char *s, size_t len)
{
	if (len == 0 || len > PREFS_USER_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '@' || c == '-'))
			return false;
	}
	return true;
}

/* An id as written in a member name: decimal, no sign or leading zero, 1..PREFS_MAX_ID. */
static bool parse_id(const struct jstring *name, uint32_t *id)
{
	char text[16];
	long n = jscan_decode(name, text, sizeof(text));
	long long v;

	if (n <= 0 || text[0] == '0' || text[0] == '+' || text[0] == '-')
		return false;
	if (str_to_i64(str_make(text, (size_t)n), 1, PREFS_MAX_ID, &v))
		return false;
	*id = (uint32_t)v;
	return true;
}

static int cmp_choice(const void *a, const void *b)
{
	uint32_t x = ((const struct prefs_choice *)a)->id, y = ((const struct prefs_choice *)b)->id;

	return (x > y) - (x < y);
}

/* Read {"<id>": bool, ...} into doc->store from `*used` on. */
static int read_choices(struct jscan *s, struct prefs_doc *doc, size_t *used, const char *what,
			struct prefs_choice **out, size_t *n, char *why, size_t why_len)
{
	struct jstring name;
	bool first = true;
	size_t start = *used;
	int r;

	if (jscan_peek(s) != '{') {
		say(why, why_len, "\"%ss\" must be an object of \"<id>\": true or false", what);
		return ERR_INVAL;
	}
	jscan_object_begin(s);
	while ((r = jscan_object_next(s, &name, &first)) == 1) {
		struct prefs_choice *c = &doc->store[*used];

		if (!parse_id(&name, &c->id)) {
			say(why, why_len, "%s id \"%.*s\" is not an integer from 1 to %d", what,
			    (int)MIN(name.raw.len, (size_t)40), name.raw.ptr, PREFS_MAX_ID);
			return ERR_INVAL;
		}
		if (jscan_peek(s) != 't' && jscan_peek(s) != 'f' && !s->err) {
			say(why, why_len, "%s %u must be true or false", what, (unsigned)c->id);
			return ERR_INVAL;
		}
		if (!jscan_bool(s, &c->granted))
			return ERR_PARSE;
		if (++*used == PREFS_MAX_IDS) {
			say(why, why_len, "more than %d purpose and vendor ids", PREFS_MAX_IDS - 1);
			return ERR_INVAL;
		}
	}
	if (r < 0)
		return ERR_PARSE;
	*out = &doc->store[start];
	*n = *used - start;
	qsort(*out, *n, sizeof(**out), cmp_choice);
	for (size_t i = 1; i < *n; i++) {
		if ((*out)[i].id == (*out)[i - 1].id) {
			say(why, why_len, "%s %u is given twice", what, (unsigned)(*out)[i].id);
			return ERR_INVAL;
		}
	}
	return 0;
}

static int read_user_id(struct jscan *s, struct prefs_doc *doc, char *why, size_t why_len)
{
	struct jstring js;
	long n;

	if (jscan_peek(s) != '"' && !s->err) {
		say(why, why_len, "\"userId\" must be a string");
		return ERR_INVAL;
	}
	if (!jscan_string(s, &js))
		return ERR_PARSE;
	n = jscan_decode(&js, doc->user_id, sizeof(doc->user_id));
	if (n < 0 || !prefs_user_id_valid(doc->user_id, (size_t)n)) {
		say(why, why_len,
		    "\"userId\" must be 1 to %d characters of A-Z a-z 0-9 and . _ : @ -",
		    PREFS_USER_ID_MAX);
		return ERR_INVAL;
	}
	doc->user_id_len = (size_t)n;
	return 0;
}

static int read_updated_at(struct jscan *s, struct prefs_doc *doc, char *why, size_t why_len)
{
	struct jstring js;
	char text[64];
	long n;

	if (jscan_peek(s) != '"' && !s->err) {
		say(why, why_len, "\"updatedAt\" must be a string");
		return ERR_INVAL;
	}
	if (!jscan_string(s, &js))
		return ERR_PARSE;
	n = jscan_decode(&js, text, sizeof(text));
	if (n < 0 || time_parse_rfc3339(text, (size_t)n, &doc->updated_at_ms)) {
		say(why, why_len, "\"updatedAt\" is not an RFC 3339 date-time");
		return ERR_INVAL;
	}
	return 0;
}

/* Which known member `name` is, or 0. */
static unsigned member_bit(const struct jstring *name)
{
	char text[16];

	if (jscan_decode(name, text, sizeof(text)) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(members); i++)
		if (!strcmp(text, members[i].name))
			return members[i].bit;
	return 0;
}

static void list_members(char *out, size_t len, unsigned set)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		if (!(set & members[i].bit))
			continue;
		int w = snprintf(out + used, len - used, "%s\"%s\"", used ? ", " : "",
				 members[i].name);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

/* The value of a known member. */
static int read_member(struct jscan *s, unsigned bit, struct prefs_doc *doc, size_t *used,
		       char *why, size_t why_len)
{
	switch (bit) {
	case PREFS_USER_ID:
		return read_user_id(s, doc, why, why_len);
	case PREFS_PURPOSES:
		return read_choices(s, doc, used, "purpose", &doc->purposes, &doc->npurposes, why,
				    why_len);
	case PREFS_VENDORS:
		return read_choices(s, doc, used, "vendor", &doc->vendors, &doc->nvendors, why,
				    why_len);
	default:
		return read_updated_at(s, doc, why, why_len);
	}
}

int prefs_parse(const char *json, size_t len, unsigned allowed, unsigned required,
		struct prefs_doc *doc, char *why, size_t why_len)
{
	char unknown[UNKNOWN_LIST_MAX + 8] = "", names[128];
	struct jscan s;
	struct jstring name;
	size_t used = 0, nunknown = 0, ulen = 0;
	bool first = true;
	int r, err = 0;

	doc->present = 0;
	doc->user_id[0] = '\0';
	doc->user_id_len = 0;
	doc->npurposes = doc->nvendors = 0;
	doc->purposes = doc->vendors = doc->store;
	doc->updated_at_ms = 0;
	jscan_init(&s, json, len);
	if (jscan_peek(&s) != '{') {
		char c = jscan_peek(&s);

		if (!c) {
			say(why, why_len, "the document is empty");
			return ERR_PARSE;
		}
		if (!strchr("[\"-0123456789tfn", c)) {
			say(why, why_len, "not valid JSON: column %zu: expected a value",
			    (size_t)(s.p - s.start) + 1);
			return ERR_PARSE;
		}
		say(why, why_len, "the document must be a JSON object");
		return ERR_INVAL;
	}
	jscan_object_begin(&s);
	while (!err && (r = jscan_object_next(&s, &name, &first)) == 1) {
		unsigned bit = member_bit(&name);

		if (!bit || !(allowed & bit)) {
			if (nunknown++ < 16 && ulen < UNKNOWN_LIST_MAX) {
				int w = snprintf(unknown + ulen, sizeof(unknown) - ulen,
						 "%s\"%.*s\"", ulen ? ", " : "",
						 (int)MIN(name.raw.len, (size_t)64), name.raw.ptr);
				ulen = w > 0 ? MIN(ulen + (size_t)w, sizeof(unknown) - 1) : ulen;
			}
			if (!jscan_skip(&s))
				err = ERR_PARSE;
			continue;
		}
		if (doc->present & bit) {
			say(why, why_len, "\"%.*s\" is given twice", (int)name.raw.len,
			    name.raw.ptr);
			return ERR_INVAL;
		}
		doc->present |= bit;
		err = read_member(&s, bit, doc, &used, why, why_len);
	}
	if (!err && r >= 0 && !jscan_at_end(&s))
		jscan_fail(&s, "unexpected text after the object");
	if (!err && (r < 0 || s.err))
		err = ERR_PARSE;
	if (err == ERR_PARSE || s.err) {
		say(why, why_len, "not valid JSON: column %zu: %s", s.err_at + 1,
		    s.err ? s.err : "malformed");
		return ERR_PARSE;
	}
	if (err)
		return err;
	if (nunknown) {
		list_members(names, sizeof(names), allowed);
		say(why, why_len, "unknown member%s: %s%s (allowed: %s)", nunknown > 1 ? "s" : "",
		    unknown, nunknown > 16 ? ", ..." : "", names);
		return ERR_INVAL;
	}
	if ((doc->present & required) != required) {
		list_members(names, sizeof(names), required & ~doc->present);
		say(why, why_len, "missing: %s", names);
		return ERR_INVAL;
	}
	return 0;
}

void prefs_put_choices(struct buf *out, const struct prefs_choice *c, size_t n)
{
	buf_putc(out, '{');
	for (size_t i = 0; i < n; i++)
		buf_putf(out, "%s\"%u\":%s", i ? "," : "", (unsigned)c[i].id,
			 c[i].granted ? "true" : "false");
	buf_putc(out, '}');
}
