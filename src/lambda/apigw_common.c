/*
 * What both halves of the API Gateway codec use (apigw.h): the response model
 * (struct apigw_response and its setters, through which the function builds
 * its answer and the gateway reads a function's answer, so that both apply
 * the same checks on header text and the same caps), the text/binary rule
 * for bodies, and the helpers of apigw_int.h (JSON grouping of pairs, the
 * query splitter over http/query.h).
 *
 * The function binary links this file with apigw_fn.c; nothing here may call
 * into apigw_gw.c.
 */
#include "core/common.h"

#include "lambda/apigw_int.h"

#include "core/grow.h"
#include "http/query.h"

int apigw_failf(char *why, size_t why_len, int err, const char *fmt, ...)
{
	if (why && why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* ---- the response model ------------------------------------------------- */

void apigw_response_init(struct apigw_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	buf_init(&resp->body, APIGW_EVENT_MAX);
	arena_init(&resp->arena, APIGW_ARENA_MAX);
}

void apigw_response_release(struct apigw_response *resp)
{
	if (!resp)
		return;
	free(resp->headers);
	free(resp->cookies);
	buf_release(&resp->body);
	arena_release(&resp->arena);
	apigw_response_init(resp);
}

static bool header_text_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n") && utf8_valid(s, strlen(s));
}

int apigw_response_add_cookie(struct apigw_response *resp, const char *cookie)
{
	int err;

	if (!header_text_ok(cookie))
		return ERR_INVAL;
	if (resp->n_cookies >= APIGW_COOKIES_MAX)
		return ERR_TOOLARGE;
	err = ALLOC_GROW(resp->cookies, resp->n_cookies + 1, resp->cookies_alloc);
	if (err)
		return err;
	const char *copy = arena_strdup(&resp->arena, cookie);
	if (!copy)
		return ERR_NOMEM;
	resp->cookies[resp->n_cookies++] = copy;
	return 0;
}

int apigw_response_add_header(struct apigw_response *resp, const char *name, const char *value)
{
	int err;

	if (!name || !*name || !header_text_ok(name) || strchr(name, ':') || !header_text_ok(value))
		return ERR_INVAL;
	if (!strcasecmp(name, "set-cookie"))
		return apigw_response_add_cookie(resp, value);
	if (resp->n_headers >= APIGW_HEADERS_MAX)
		return ERR_TOOLARGE;
	err = ALLOC_GROW(resp->headers, resp->n_headers + 1, resp->headers_alloc);
	if (err)
		return err;
	struct apigw_pair *h = &resp->headers[resp->n_headers];
	h->name = arena_strdup(&resp->arena, name);
	h->value = arena_strdup(&resp->arena, value);
	h->value_len = 0;
	if (!h->name || !h->value)
		return ERR_NOMEM;
	resp->n_headers++;
	return 0;
}

int apigw_response_set_body(struct apigw_response *resp, const void *data, size_t len)
{
	buf_reset(&resp->body);
	return len ? buf_add(&resp->body, data, len) : 0;
}

const char *apigw_response_header(const struct apigw_response *resp, const char *name)
{
	return resp ? find_pair(resp->headers, resp->n_headers, name, true) : NULL;
}

/* A media type API Gateway would pass as text: text/..., *json*, *xml*, *javascript*. */
static bool textual_type(const char *content_type)
{
	struct str t = str_trim(str_from(content_type)), type;
	char low[128];
	size_t n;

	str_split(t, ';', &type, NULL);
	type = str_trim(type);
	if (!type.len)
		return true;
	n = MIN(type.len, sizeof(low) - 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((type.ptr[i] >= 'A' && type.ptr[i] <= 'Z') ? type.ptr[i] + 32
									   : type.ptr[i]);
	low[n] = '\0';
	return !strncmp(low, "text/", 5) || strstr(low, "json") || strstr(low, "xml") ||
	       strstr(low, "javascript") || !strcmp(low, "application/x-www-form-urlencoded");
}

bool apigw_body_is_binary(const char *content_type, const void *body, size_t len)
{
	if (!len)
		return false;
	if (!utf8_valid(body, len))
		return true;
	return content_type ? !textual_type(content_type) : false;
}

/* ---- JSON helpers ------------------------------------------------------- */

/* True when pairs `a` and `b` have the same name under the grouping rule. */
static bool same_name(const struct apigw_pair *a, const struct apigw_pair *b, bool icase)
{
	return icase ? !strcasecmp(a->name, b->name) : !strcmp(a->name, b->name);
}

void apigw_group_pairs(int *err, const struct apigw_pair *v, size_t n, bool icase, bool lower,
		       json_t *multi, json_t *single, enum apigw_single mode, const char *skip)
{
	struct buf joined, key;

	buf_init(&joined, BUF_NOCAP);
	buf_init(&key, BUF_NOCAP);
	for (size_t i = 0; i < n && !*err; i++) {
		size_t j, last = i;
		for (j = 0; j < i; j++)
			if (same_name(&v[j], &v[i], icase))
				break;
		if (j < i || (skip && !strcasecmp(v[i].name, skip)))
			continue;
		buf_reset(&key);
		buf_puts(&key, v[i].name);
		for (size_t k = 0; lower && k < key.len; k++)
			if (key.ptr[k] >= 'A' && key.ptr[k] <= 'Z')
				key.ptr[k] = (char)(key.ptr[k] + 32);
		json_t *arr = multi ? json_array() : NULL;
		buf_reset(&joined);
		for (size_t k = i; k < n; k++) {
			if (!same_name(&v[k], &v[i], icase))
				continue;
			struct str value = apigw_pair_value(&v[k]);

			last = k;
			if (arr)
				append(err, arr, jstr(err, value.ptr, value.len));
			if (joined.len)
				buf_putc(&joined, ',');
			buf_put(&joined, value.ptr, value.len);
		}
		if (buf_error(&key) || buf_error(&joined)) {
			json_decref(arr);
			*err = ERR_NOMEM;
			break;
		}
		if (multi)
			put(err, multi, key.ptr, arr);
		if (!single)
			continue;
		if (mode == APIGW_SINGLE_JOIN)
			put(err, single, key.ptr, jstr(err, joined.ptr, joined.len));
		else {
			struct str one =
				apigw_pair_value(&v[mode == APIGW_SINGLE_FIRST ? i : last]);

			put(err, single, key.ptr, jstr(err, one.ptr, one.len));
		}
	}
	buf_release(&joined);
	buf_release(&key);
}

json_t *apigw_body_json(int *err, const char *body, size_t len, bool binary)
{
	struct buf b;
	json_t *s;

	if (!binary)
		return jstr(err, body, len);
	buf_init(&b, BUF_NOCAP);
	if (b64_encode(&b, body, len)) {
		buf_release(&b);
		return NULL;
	}
	s = json_stringn(b.ptr, b.len);
	buf_release(&b);
	return s;
}

/* ---- queries ------------------------------------------------------------ */

/*
 * `s` percent-decoded ('+' is a space) into the arena with its length in
 * `*len`, so that a value's "%00" is never cut; as sent when it does not
 * decode and `strict` is false (ERR_PARSE when it is true), or when it
 * decodes to a NUL and `len` is NULL (a name, looked up as a C string).
 */
static int decode_dup(struct arena *a, struct str s, bool strict, const char **out, size_t *len)
{
	const char *text = s.ptr ? s.ptr : "";
	struct buf b;
	int err;

	buf_init(&b, s.len + 1);
	err = uri_decode(&b, text, s.len, true);
	if (err && (err != ERR_PARSE || strict)) {
		buf_release(&b);
		return err;
	}
	if (!err && (len || !memchr(b.ptr, '\0', b.len))) {
		*out = arena_strndup(a, b.ptr, b.len);
		if (len)
			*len = b.len;
	} else {
		*out = arena_strndup(a, text, s.len);
		if (len)
			*len = s.len;
	}
	buf_release(&b);
	return *out ? 0 : ERR_NOMEM;
}

int apigw_split_query(struct arena *a, struct str raw, size_t cap, bool strict,
		      struct apigw_pair **out, size_t *n)
{
	struct str name, value;
	size_t count = query_count(raw), i = 0;
	int err;

	*out = NULL;
	*n = 0;
	if (count > cap)
		return ERR_TOOLARGE;
	if (!count)
		return 0;
	struct apigw_pair *items = arena_alloc(a, count * sizeof(*items));
	if (!items)
		return ERR_NOMEM;
	while (query_next(&raw, &name, &value)) {
		if ((err = decode_dup(a, name, strict, &items[i].name, NULL)) ||
		    (err = decode_dup(a, value, strict, &items[i].value, &items[i].value_len)))
			return err;
		i++;
	}
	*out = items;
	*n = i;
	return 0;
}
