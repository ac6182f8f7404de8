/*
 * The query protocol of CloudWatch metrics (cw_int.h): a form body becomes
 * the same JSON object the JSON and CBOR protocols carry, and an answer's
 * JSON object becomes the XML the query protocol returns. The form's names
 * say the shape ("A.member.2.B" is member B of the second item of list A),
 * so no model of the service is needed; values stay text, and the
 * operations read numbers and booleans from text as well (cw_in_*()).
 */
#include "core/common.h"

#include "core/enc.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "core/xml.h"
#include "http/query.h"
#include "local/cloudwatch/cw_int.h"

#define CW_QUERY_MAX	   ((size_t)1 << 20) /* a form body */
#define CW_QUERY_INDEX_MAX 1000		     /* ".member.N": no list is longer */
#define CW_QUERY_DEPTH_MAX 12
#define CW_XMLNS	   "http://monitoring.amazonaws.com/doc/2010-08-01/"

static const char *const time_keys[] = {
	"Timestamp",
	"Timestamps",
	"StateUpdatedTimestamp",
	"StateTransitionedTimestamp",
	"AlarmConfigurationUpdatedTimestamp",
	"StartTime",
	"EndTime",
};

bool cw_is_time_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(time_keys); i++)
		if (!strcmp(key, time_keys[i]))
			return true;
	return false;
}

int cw_fail(struct cw_error *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (!e->status)
		e->status = 400;
	snprintf(e->code, sizeof(e->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- reading inputs ---- */

static bool num_of(const json_t *v, double *out)
{
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	if (!json_is_string(v) || !json_string_length(v))
		return false;
	errno = 0;
	*out = strtod(json_string_value(v), &end);
	return !*end && !errno;
}

bool cw_in_num(const json_t *in, const char *key, double *out)
{
	return num_of(json_object_get(in, key), out);
}

int cw_in_int(const json_t *in, const char *key, long long lo, long long hi, long long dflt,
	      long long *out, struct cw_error *e)
{
	const json_t *v = json_object_get(in, key);
	double d;

	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!num_of(v, &d) || d != (double)(long long)d || d < (double)lo || d > (double)hi)
		return cw_fail(e, "InvalidParameterValue",
			       "The parameter %s must be an integer from %lld to %lld.", key, lo,
			       hi);
	*out = (long long)d;
	return 0;
}

int cw_in_time(const json_t *in, const char *key, int64_t dflt, int64_t *out_ms, struct cw_error *e)
{
	const json_t *v = json_object_get(in, key);
	int64_t ms;

	if (!v || json_is_null(v)) {
		*out_ms = dflt;
		return 0;
	}
	if (json_is_number(v)) {
		*out_ms = (int64_t)(json_number_value(v) * 1000.0);
		return 0;
	}
	if (json_is_string(v) &&
	    time_parse_rfc3339(json_string_value(v), json_string_length(v), &ms) == 0) {
		*out_ms = ms;
		return 0;
	}
	return cw_fail(e, "InvalidParameterValue", "The parameter %s must be a timestamp.", key);
}

bool cw_in_bool(const json_t *in, const char *key, bool dflt)
{
	const json_t *v = json_object_get(in, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v))
		return !strcasecmp(json_string_value(v), "true");
	return dflt;
}

const char *cw_in_str(const json_t *in, const char *key, bool required, struct cw_error *e)
{
	const json_t *v = json_object_get(in, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (!v && required)
		cw_fail(e, "MissingParameter", "The parameter %s is required.", key);
	else if (v && !json_is_null(v))
		cw_fail(e, "InvalidParameterValue", "The parameter %s must be a string.", key);
	return NULL;
}

/* ---- query forms ---- */

static bool index_of(struct str s, size_t *out)
{
	long long n;

	if (str_to_i64(s, 1, CW_QUERY_INDEX_MAX, &n))
		return false;
	*out = (size_t)n - 1;
	return true;
}

/* Place `value` at the dotted `name` under `root`, building objects and ".member.N" lists. */
static int place(json_t *root, struct str name, json_t *value)
{
	struct str seg[CW_QUERY_DEPTH_MAX * 3];
	size_t nseg = 0;
	json_t *node = root;
	bool more = true;

	while (more) {
		struct str head;
		bool found;

		if (nseg == ARRAY_SIZE(seg))
			return ERR_PARSE;
		name = str_split(name, '.', &head, &found);
		seg[nseg++] = head;
		more = found;
	}
	for (size_t i = 0; i < nseg; i++) {
		char key[256];
		json_t *child;
		size_t idx;

		if (seg[i].len == 0 || seg[i].len >= sizeof(key) || !json_is_object(node))
			return ERR_PARSE;
		memcpy(key, seg[i].ptr, seg[i].len);
		key[seg[i].len] = '\0';
		if (i + 2 < nseg && str_eq_cstr(seg[i + 1], "member") &&
		    index_of(seg[i + 2], &idx)) {
			json_t *arr = json_object_get(node, key);

			if (!arr && (json_object_set_new(node, key, arr = json_array()) || !arr))
				return ERR_NOMEM;
			if (!json_is_array(arr))
				return ERR_PARSE;
			while (json_array_size(arr) <= idx)
				if (json_array_append_new(arr, json_null()))
					return ERR_NOMEM;
			if (i + 3 == nseg)
				return json_array_set(arr, idx, value) ? ERR_NOMEM : 0;
			child = json_array_get(arr, idx);
			if (json_is_null(child)) {
				if (json_array_set_new(arr, idx, child = json_object()) || !child)
					return ERR_NOMEM;
			}
			node = child;
			i += 2;
			continue;
		}
		if (i + 1 == nseg)
			return json_object_set(node, key, value) ? ERR_NOMEM : 0;
		child = json_object_get(node, key);
		if (!child && (json_object_set_new(node, key, child = json_object()) || !child))
			return ERR_NOMEM;
		node = child;
	}
	return ERR_PARSE;
}

/* A list whose members were sparse ("member.3" without 1 and 2) keeps nulls: drop them. */
static void compact(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) compact(x);
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v);) {
			if (json_is_null(json_array_get(v, i))) {
				json_array_remove(v, i);
				continue;
			}
			compact(json_array_get(v, i));
			i++;
		}
	}
}

int cw_query_decode(const char *body, size_t len, json_t **out, char *action, size_t action_len,
		    char *why, size_t why_len)
{
	struct str rest = str_make(body, len), name, value;
	json_t *root;
	struct buf n, v;
	int err = 0;

	*out = NULL;
	action[0] = '\0';
	if (len > CW_QUERY_MAX) {
		snprintf(why, why_len, "the request is larger than 1 MB");
		return ERR_PARSE;
	}
	if (!(root = json_object()))
		return ERR_NOMEM;
	buf_init(&n, CW_QUERY_MAX);
	buf_init(&v, CW_QUERY_MAX);
	while (!err && query_next(&rest, &name, &value)) {
		json_t *s;

		buf_reset(&n);
		buf_reset(&v);
		if (uri_decode(&n, name.ptr, name.len, true) ||
		    uri_decode(&v, value.ptr ? value.ptr : "", value.len, true) ||
		    !utf8_valid(v.ptr, v.len)) {
			snprintf(why, why_len, "a parameter is not valid percent-encoded UTF-8");
			err = ERR_PARSE;
			break;
		}
		if (!strcmp(n.ptr, "Action")) {
			snprintf(action, action_len, "%s", v.ptr);
			continue;
		}
		if (!strcmp(n.ptr, "Version"))
			continue;
		s = json_stringn(v.ptr, v.len);
		err = s ? place(root, str_make(n.ptr, n.len), s) : ERR_NOMEM;
		json_decref(s);
		if (err == ERR_PARSE)
			snprintf(why, why_len, "the parameter %s does not fit the others", n.ptr);
	}
	buf_release(&n);
	buf_release(&v);
	if (err) {
		json_decref(root);
		return err;
	}
	compact(root);
	*out = root;
	return 0;
}

/* ---- XML answers ---- */

static void put_scalar(struct buf *b, const json_t *v, bool is_time)
{
	char ts[32];

	if (json_is_string(v)) {
		xml_text(b, json_string_value(v), json_string_length(v));
	} else if (is_time && json_is_number(v)) {
		time_rfc3339(ts, (int64_t)(json_number_value(v) * 1000.0), 1);
		buf_puts(b, ts);
	} else if (json_is_integer(v)) {
		buf_putf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		buf_putf(b, "%.17g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		buf_puts(b, json_is_true(v) ? "true" : "false");
	}
}

static void put_value(struct buf *b, const char *tag, const json_t *v, bool is_time, int depth)
{
	if (depth > CW_QUERY_DEPTH_MAX) {
		buf_set_error(b, ERR_TOOLARGE);
		return;
	}
	xml_open(b, tag);
	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach((json_t *)v, k, x)
			put_value(b, k, x, cw_is_time_key(k), depth + 1);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			put_value(b, "member", json_array_get(v, i), is_time, depth + 1);
	} else {
		put_scalar(b, v, is_time);
	}
	xml_close(b, tag);
}

int cw_query_encode(const char *op, const json_t *out, const char *request_id, struct buf *b)
{
	char tag[128];

	buf_puts(b, XML_DECL);
	buf_putf(b, "<%sResponse xmlns=\"" CW_XMLNS "\">", op);
	snprintf(tag, sizeof(tag), "%sResult", op);
	if (out && json_object_size(out))
		put_value(b, tag, out, false, 0);
	xml_open(b, "ResponseMetadata");
	xml_els(b, "RequestId", request_id);
	xml_close(b, "ResponseMetadata");
	buf_putf(b, "</%sResponse>", op);
	return buf_error(b);
}

int cw_query_error(const struct cw_error *e, const char *request_id, struct buf *b)
{
	buf_puts(b, XML_DECL);
	buf_puts(b, "<ErrorResponse xmlns=\"" CW_XMLNS "\">");
	xml_open(b, "Error");
	xml_els(b, "Type", e->receiver ? "Receiver" : "Sender");
	xml_els(b, "Code", e->code);
	xml_els(b, "Message", e->message);
	xml_close(b, "Error");
	xml_els(b, "RequestId", request_id);
	buf_puts(b, "</ErrorResponse>");
	return buf_error(b);
}
