/*
 * The CloudWatch Logs operations of the local endpoint (JSON 1.1), over
 * the store of cw_logs.h. Names, members, limits and error types are the
 * service's (API reference, "Actions"); what each returns is what awscli,
 * boto3's paginators and `aws logs tail` read:
 *
 *   FilterLogEvents   events of all (or some) streams in timestamp order,
 *                     `limit` (10,000) or 1 MB at a time; nextToken
 *                     "<timestamp>-<event id>" of the last event returned
 *   GetLogEvents      one stream; the newest `limit` events unless
 *                     startFromHead; f/ and b/ tokens that repeat at the end
 *                     of the stream, as the service's do (boto3 stops there)
 *   Describe*         sorted by name (streams: or by LastEventTime), 50 a page
 */
#include "core/common.h"

#include <ctype.h>

#include "core/json.h"
#include "core/timeutil.h"
#include "local/cloudwatch/cw_int.h"

#define CW_ACCOUNT	    "123456789012"
#define CW_FILTER_LIMIT_MAX 10000
#define CW_FILTER_BYTES_MAX ((size_t)1 << 20)
#define CW_DESCRIBE_MAX	    50
#define CW_PUT_EVENTS_MAX   10000
#define CW_STREAM_NAMES_MAX 100
#define CW_PAST_MS	    (14LL * 24 * 3600 * 1000)
#define CW_FUTURE_MS	    (2LL * 3600 * 1000)

static const int retention_values[] = {1,    3,	   5,	 7,    14,   30,  60,  90,
				       120,  150,  180,	 365,  400,  545, 731, 1096,
				       1827, 2192, 2557, 2922, 3288, 3653};

static int not_found(struct cw_error *e, const char *what)
{
	return cw_fail(e, "ResourceNotFoundException", "The specified %s does not exist.", what);
}

/* The group named by logGroupName or logGroupIdentifier (a name or an ARN). */
static struct cw_group *find_group(struct cloudwatch *cw, const json_t *in, struct cw_error *e)
{
	const char *name = jsonx_str(in, "logGroupName");
	const char *id = jsonx_str(in, "logGroupIdentifier");
	char buf[CW_LOGS_NAME_MAX + 1];
	struct cw_group *g;

	if (!name && id) {
		const char *p = strstr(id, ":log-group:");

		if (p) {
			p += strlen(":log-group:");
			snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, ":"), p);
			name = buf;
		} else {
			name = id;
		}
	}
	if (!name) {
		cw_fail(e, "InvalidParameterException",
			"Either logGroupName or logGroupIdentifier must be given.");
		return NULL;
	}
	g = cw_logs_group(cw->logs, name);
	if (!g)
		not_found(e, "log group");
	return g;
}

static json_t *group_json(const struct cloudwatch *cw, const struct cw_group *g)
{
	long nf = 0;
	json_t *o;

	for (long i = cw_mfilter_next(cw, g->name, 0); i >= 0;
	     i = cw_mfilter_next(cw, g->name, (size_t)i + 1))
		nf++;
	o = json_pack("{s:s,s:I,s:I,s:s++++,s:s+++,s:I,s:s}", "logGroupName", g->name,
		      "creationTime", (json_int_t)g->created, "metricFilterCount", (json_int_t)nf,
		      "arn", "arn:aws:logs:", cw->region, ":" CW_ACCOUNT ":log-group:", g->name,
		      ":*", "logGroupArn", "arn:aws:logs:", cw->region,
		      ":" CW_ACCOUNT ":log-group:", g->name, "storedBytes", (json_int_t)g->bytes,
		      "logGroupClass", "STANDARD");
	if (o && g->retention_days)
		json_object_set_new(o, "retentionInDays", json_integer(g->retention_days));
	return o;
}

static int op_create_group(struct cloudwatch *cw, const json_t *in, json_t **out,
			   struct cw_error *e)
{
	const char *name = cw_in_str(in, "logGroupName", true, e);
	bool created;

	if (!name)
		return 1;
	if (!cw_logs_name_valid(name))
		return cw_fail(
			e, "InvalidParameterException",
			"1 validation error detected: Value '%s' at 'logGroupName' failed to "
			"satisfy constraint: Member must satisfy regular expression pattern: "
			"[\\.\\-_/#A-Za-z0-9]+",
			name);
	if (!cw_logs_group_ensure(cw->logs, name, time_now_ms(), &created))
		return ERR_NOMEM;
	if (!created)
		return cw_fail(e, "ResourceAlreadyExistsException",
			       "The specified log group already exists");
	return 0;
}

static int op_delete_group(struct cloudwatch *cw, const json_t *in, json_t **out,
			   struct cw_error *e)
{
	const char *name = cw_in_str(in, "logGroupName", true, e);

	if (!name)
		return 1;
	if (cw_logs_group_delete(cw->logs, name))
		return not_found(e, "log group");
	while (cw_mfilter_next(cw, name, 0) >= 0)
		cw_mfilter_delete(cw, name, cw->mfilters[cw_mfilter_next(cw, name, 0)].name);
	return 0;
}

static int op_describe_groups(struct cloudwatch *cw, const json_t *in, json_t **out,
			      struct cw_error *e)
{
	const char *prefix = jsonx_str(in, "logGroupNamePrefix");
	const char *pattern = jsonx_str(in, "logGroupNamePattern");
	const char *token = jsonx_str(in, "nextToken");
	long long limit;
	size_t n, shown = 0;
	struct cw_group *const *gs = cw_logs_groups(cw->logs, &n);
	json_t *list = json_array();

	if (cw_in_int(in, "limit", 1, CW_DESCRIBE_MAX, CW_DESCRIBE_MAX, &limit, e)) {
		json_decref(list);
		return 1;
	}
	*out = json_pack("{s:o}", "logGroups", list);
	if (!*out)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct cw_group *g = gs[i];

		if (token && strcmp(g->name, token) <= 0)
			continue;
		if (prefix && strncmp(g->name, prefix, strlen(prefix)))
			continue;
		if (pattern && !strstr(g->name, pattern))
			continue;
		if (shown == (size_t)limit) {
			json_object_set_new(*out, "nextToken", json_string(gs[i - 1]->name));
			break;
		}
		json_array_append_new(list, group_json(cw, g));
		shown++;
	}
	return 0;
}

static int op_put_retention(struct cloudwatch *cw, const json_t *in, json_t **out,
			    struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	long long days;
	bool ok = false;

	if (!g)
		return 1;
	if (cw_in_int(in, "retentionInDays", 1, 3653, 0, &days, e))
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(retention_values); i++)
		ok |= retention_values[i] == days;
	if (!ok)
		return cw_fail(
			e, "InvalidParameterException",
			"retentionInDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
			"180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.");
	cw_logs_set_retention(cw->logs, g, (int)days);
	return 0;
}

static int op_delete_retention(struct cloudwatch *cw, const json_t *in, json_t **out,
			       struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);

	if (!g)
		return 1;
	cw_logs_set_retention(cw->logs, g, 0);
	return 0;
}

static int op_create_stream(struct cloudwatch *cw, const json_t *in, json_t **out,
			    struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *name = g ? cw_in_str(in, "logStreamName", true, e) : NULL;

	if (!name)
		return 1;
	if (!*name || strchr(name, ':') || strchr(name, '*') || strlen(name) > CW_LOGS_NAME_MAX)
		return cw_fail(e, "InvalidParameterException",
			       "A log stream name is 1 to 512 characters without ':' or '*'.");
	if (cw_logs_stream(g, name, false, 0) >= 0)
		return cw_fail(e, "ResourceAlreadyExistsException",
			       "The specified log stream already exists");
	return cw_logs_stream(g, name, true, time_now_ms()) < 0 ? ERR_NOMEM : 0;
}

static json_t *stream_json(const struct cloudwatch *cw, const struct cw_group *g,
			   const struct cw_stream *s)
{
	json_t *o = json_pack("{s:s,s:I,s:s+++++,s:I}", "logStreamName", s->name, "creationTime",
			      (json_int_t)s->created, "arn", "arn:aws:logs:", cw->region,
			      ":" CW_ACCOUNT ":log-group:", g->name, ":log-stream:", s->name,
			      "storedBytes", (json_int_t)s->bytes);

	if (o && s->events) {
		json_object_set_new(o, "firstEventTimestamp", json_integer(s->first));
		json_object_set_new(o, "lastEventTimestamp", json_integer(s->last));
		json_object_set_new(o, "lastIngestionTime", json_integer(s->last_ingest));
		json_object_set_new(o, "uploadSequenceToken", json_string("1"));
	}
	return o;
}

static const struct cw_group *sort_group;
static bool sort_by_time;

static int cmp_stream(const void *a, const void *b)
{
	const struct cw_stream *x = &sort_group->streams[*(const size_t *)a];
	const struct cw_stream *y = &sort_group->streams[*(const size_t *)b];

	if (sort_by_time && x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int op_describe_streams(struct cloudwatch *cw, const json_t *in, json_t **out,
			       struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *prefix = jsonx_str(in, "logStreamNamePrefix");
	const char *order = jsonx_str(in, "orderBy");
	bool desc = cw_in_bool(in, "descending", false);
	long long limit, start;
	size_t *idx;
	json_t *list;

	if (!g || cw_in_int(in, "limit", 1, CW_DESCRIBE_MAX, CW_DESCRIBE_MAX, &limit, e))
		return 1;
	if (order && strcmp(order, "LogStreamName") && strcmp(order, "LastEventTime"))
		return cw_fail(e, "InvalidParameterException",
			       "orderBy must be LogStreamName or LastEventTime.");
	if (order && !strcmp(order, "LastEventTime") && prefix)
		return cw_fail(e, "InvalidParameterException",
			       "Cannot order by LastEventTime with a logStreamNamePrefix.");
	start = 0;
	if (jsonx_str(in, "nextToken")) {
		const char *t = jsonx_str(in, "nextToken");
		char *after;

		errno = 0;
		start = strtoll(t, &after, 10);
		if (errno || after == t || *after || start < 0)
			return cw_fail(e, "InvalidParameterException",
				       "The specified nextToken is invalid.");
	}
	if (!(idx = calloc(g->nstreams + 1, sizeof(*idx))))
		return ERR_NOMEM;
	for (size_t i = 0; i < g->nstreams; i++)
		idx[i] = i;
	sort_group = g;
	sort_by_time = order && !strcmp(order, "LastEventTime");
	qsort(idx, g->nstreams, sizeof(*idx), cmp_stream);
	list = json_array();
	*out = json_pack("{s:o}", "logStreams", list);
	if (!*out) {
		free(idx);
		return ERR_NOMEM;
	}
	long long seen = 0, shown = 0;
	for (size_t k = 0; k < g->nstreams; k++) {
		const struct cw_stream *s = &g->streams[idx[desc ? g->nstreams - 1 - k : k]];

		if (prefix && strncmp(s->name, prefix, strlen(prefix)))
			continue;
		if (seen++ < start)
			continue;
		if (shown == limit) {
			char t[32];

			snprintf(t, sizeof(t), "%lld", start + shown);
			json_object_set_new(*out, "nextToken", json_string(t));
			break;
		}
		json_array_append_new(list, stream_json(cw, g, s));
		shown++;
	}
	free(idx);
	return 0;
}

static int op_put_events(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *sname = g ? cw_in_str(in, "logStreamName", true, e) : NULL;
	const json_t *evs = json_object_get(in, "logEvents");
	int64_t now = time_now_ms(), prev = INT64_MIN;
	long s;
	json_t *rejected = NULL;
	size_t bytes = 0;

	if (!sname)
		return 1;
	if ((s = cw_logs_stream(g, sname, false, 0)) < 0)
		return not_found(e, "log stream");
	if (!json_is_array(evs) || json_array_size(evs) == 0 ||
	    json_array_size(evs) > CW_PUT_EVENTS_MAX)
		return cw_fail(e, "InvalidParameterException",
			       "logEvents must hold 1 to 10,000 events.");
	for (size_t i = 0; i < json_array_size(evs); i++) {
		const json_t *ev = json_array_get(evs, i);
		double ts;

		if (!cw_in_num(ev, "timestamp", &ts) ||
		    !json_is_string(json_object_get(ev, "message")))
			return cw_fail(e, "InvalidParameterException",
				       "Each log event needs a timestamp and a message.");
		if ((int64_t)ts < prev)
			return cw_fail(e, "InvalidParameterException",
				       "Log events in a single PutLogEvents request must be in "
				       "chronological order.");
		prev = (int64_t)ts;
		bytes += json_string_length(json_object_get(ev, "message")) + 26;
	}
	if (bytes > CW_FILTER_BYTES_MAX)
		return cw_fail(e, "InvalidParameterException", "The batch is larger than 1 MB.");
	for (size_t i = 0; i < json_array_size(evs); i++) {
		const json_t *ev = json_array_get(evs, i), *m = json_object_get(ev, "message");
		double ts;
		const char *why = NULL;

		cw_in_num(ev, "timestamp", &ts);
		if ((int64_t)ts < now - CW_PAST_MS ||
		    (g->retention_days && (int64_t)ts < now - g->retention_days * 86400000LL))
			why = "tooOldLogEventEndIndex";
		else if ((int64_t)ts > now + CW_FUTURE_MS)
			why = "tooNewLogEventStartIndex";
		if (why) {
			if (!rejected)
				rejected = json_object();
			if (rejected && (!strcmp(why, "tooOldLogEventEndIndex") ||
					 !json_object_get(rejected, why)))
				json_object_set_new(rejected, why, json_integer((json_int_t)i));
			continue;
		}
		cw_ingest(cw, g, s, (int64_t)ts, json_string_value(m), json_string_length(m));
	}
	*out = json_object();
	if (*out && rejected)
		json_object_set_new(*out, "rejectedLogEventsInfo", rejected);
	else
		json_decref(rejected);
	return *out ? 0 : ERR_NOMEM;
}

/* "f/<ts>-<seq>" and "b/<ts>-<seq>" for GetLogEvents; "<ts>-<seq>" for FilterLogEvents. */
static bool read_token(const char *t, char *dir, int64_t *ts, uint64_t *seq)
{
	long long a;
	unsigned long long b;
	char *after;

	*dir = 0;
	if (t && (t[0] == 'f' || t[0] == 'b') && t[1] == '/') {
		*dir = t[0];
		t += 2;
	}
	if (!t || !*t)
		return false;
	errno = 0;
	a = strtoll(t, &after, 10);
	if (errno || after == t || *after != '-' || !isdigit((unsigned char)after[1]))
		return false;
	t = after + 1;
	b = strtoull(t, &after, 10);
	if (errno || *after)
		return false;
	*ts = a;
	*seq = b;
	return true;
}

static json_t *token(char dir, const struct cw_event *ev)
{
	char t[64];

	if (dir)
		snprintf(t, sizeof(t), "%c/%" PRId64 "-%" PRIu64, dir, ev->ts, ev->seq);
	else
		snprintf(t, sizeof(t), "%" PRId64 "-%" PRIu64, ev->ts, ev->seq);
	return json_string(t);
}

static int op_get_events(struct cloudwatch *cw, const json_t *in, json_t **out, struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *sname = g ? cw_in_str(in, "logStreamName", true, e) : NULL;
	const char *tok = jsonx_str(in, "nextToken");
	bool head = cw_in_bool(in, "startFromHead", false);
	long long limit;
	int64_t from, to, tts = 0;
	uint64_t tseq = 0;
	char dir = 0;
	size_t lo, hi, first = SIZE_MAX, last = SIZE_MAX, count = 0;
	long s;
	json_t *list;

	if (!sname ||
	    cw_in_int(in, "limit", 1, CW_FILTER_LIMIT_MAX, CW_FILTER_LIMIT_MAX, &limit, e) ||
	    cw_in_time(in, "startTime", 0, &from, e) ||
	    cw_in_time(in, "endTime", INT64_MAX, &to, e))
		return 1;
	from = json_is_number(json_object_get(in, "startTime"))
		       ? (int64_t)json_number_value(json_object_get(in, "startTime"))
		       : from;
	to = json_is_number(json_object_get(in, "endTime"))
		     ? (int64_t)json_number_value(json_object_get(in, "endTime"))
		     : to;
	if ((s = cw_logs_stream(g, sname, false, 0)) < 0)
		return not_found(e, "log stream");
	if (tok && !read_token(tok, &dir, &tts, &tseq))
		return cw_fail(e, "InvalidParameterException",
			       "The specified nextToken is invalid.");
	lo = cw_logs_lower_bound(g, from, 0);
	hi = to == INT64_MAX ? g->nev : cw_logs_lower_bound(g, to, 0);
	if (dir == 'f') {
		lo = MAX(lo, cw_logs_lower_bound(g, tts, tseq + 1));
		head = true;
	} else if (dir == 'b') {
		hi = MIN(hi, cw_logs_lower_bound(g, tts, tseq));
		head = false;
	}
	/* The first `limit` events from the head, or the last `limit` before `hi`. */
	if (head) {
		for (size_t i = lo; i < hi && count < (size_t)limit; i++)
			if (g->ev[i].stream == (uint32_t)s) {
				if (first == SIZE_MAX)
					first = i;
				last = i;
				count++;
			}
	} else {
		for (size_t i = hi; i > lo && count < (size_t)limit; i--)
			if (g->ev[i - 1].stream == (uint32_t)s) {
				if (last == SIZE_MAX)
					last = i - 1;
				first = i - 1;
				count++;
			}
	}
	list = json_array();
	*out = json_pack("{s:o}", "events", list);
	if (!*out)
		return ERR_NOMEM;
	for (size_t i = first; count && i <= last; i++) {
		const struct cw_event *ev = &g->ev[i];

		if (ev->stream == (uint32_t)s)
			json_array_append_new(
				list, json_pack("{s:I,s:s%,s:I}", "timestamp", (json_int_t)ev->ts,
						"message", ev->msg, (size_t)ev->len,
						"ingestionTime", (json_int_t)ev->ingest));
	}
	if (count) {
		json_object_set_new(*out, "nextForwardToken", token('f', &g->ev[last]));
		json_object_set_new(*out, "nextBackwardToken", token('b', &g->ev[first]));
	} else {
		/* At the end: the token given (or one at the range's edge) comes back. */
		struct cw_event edge = {.ts = tok ? tts : from, .seq = tok ? tseq : 0};

		json_object_set_new(*out, "nextForwardToken", token('f', &edge));
		json_object_set_new(*out, "nextBackwardToken", token('b', &edge));
	}
	return 0;
}

/* Which streams of `g` FilterLogEvents reads; `use` has one flag per stream. */
static int filter_streams(const struct cw_group *g, const json_t *in, bool *use, struct cw_error *e)
{
	const json_t *names = json_object_get(in, "logStreamNames");
	const char *prefix = jsonx_str(in, "logStreamNamePrefix");

	if (names && prefix)
		return cw_fail(e, "InvalidParameterException",
			       "logStreamNames and logStreamNamePrefix cannot both be given.");
	if (names && (!json_is_array(names) || json_array_size(names) > CW_STREAM_NAMES_MAX))
		return cw_fail(e, "InvalidParameterException",
			       "logStreamNames holds 1 to 100 names.");
	for (size_t i = 0; i < g->nstreams; i++) {
		use[i] = !names && !prefix;
		if (prefix && !strncmp(g->streams[i].name, prefix, strlen(prefix)))
			use[i] = true;
		for (size_t k = 0; names && k < json_array_size(names); k++)
			if (json_is_string(json_array_get(names, k)) &&
			    !strcmp(json_string_value(json_array_get(names, k)),
				    g->streams[i].name))
				use[i] = true;
	}
	return 0;
}

static int op_filter_events(struct cloudwatch *cw, const json_t *in, json_t **out,
			    struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *pattern = jsonx_str(in, "filterPattern"), *tok = jsonx_str(in, "nextToken");
	struct cw_filter *f = NULL;
	long long limit;
	int64_t from = 0, to = INT64_MAX, tts;
	uint64_t tseq;
	size_t count = 0, bytes = 0, i;
	bool *use;
	char why[256], dir;
	json_t *list, *searched;
	int rc;

	if (!g || cw_in_int(in, "limit", 1, CW_FILTER_LIMIT_MAX, CW_FILTER_LIMIT_MAX, &limit, e))
		return 1;
	if (json_object_get(in, "startTime") && !cw_in_num(in, "startTime", &(double){0}))
		return cw_fail(e, "InvalidParameterException", "startTime must be a number.");
	if (json_is_number(json_object_get(in, "startTime")))
		from = (int64_t)json_number_value(json_object_get(in, "startTime"));
	if (json_is_number(json_object_get(in, "endTime")))
		to = (int64_t)json_number_value(json_object_get(in, "endTime"));
	rc = cw_filter_parse(pattern ? pattern : "", pattern ? strlen(pattern) : 0, &f, why,
			     sizeof(why));
	if (rc == ERR_NOMEM)
		return rc;
	if (rc)
		return cw_fail(e, "InvalidParameterException", "Invalid filter pattern: %s", why);
	if (!(use = calloc(g->nstreams + 1, sizeof(*use)))) {
		cw_filter_free(f);
		return ERR_NOMEM;
	}
	if ((rc = filter_streams(g, in, use, e)))
		goto done;
	if (tok && (!read_token(tok, &dir, &tts, &tseq) || dir)) {
		rc = cw_fail(e, "InvalidParameterException", "The specified nextToken is invalid.");
		goto done;
	}
	list = json_array();
	searched = json_array();
	*out = json_pack("{s:o,s:o}", "events", list, "searchedLogStreams", searched);
	rc = ERR_NOMEM;
	if (!*out)
		goto done;
	i = tok ? cw_logs_lower_bound(g, tts, tseq + 1) : cw_logs_lower_bound(g, from, 0);
	i = MAX(i, cw_logs_lower_bound(g, from, 0));
	for (; i < g->nev && g->ev[i].ts <= to; i++) {
		const struct cw_event *ev = &g->ev[i];
		char id[24];

		if (!use[ev->stream] || !cw_filter_match(f, ev->msg, ev->len))
			continue;
		if (count == (size_t)limit || bytes + ev->len > CW_FILTER_BYTES_MAX) {
			json_object_set_new(*out, "nextToken", token(0, &g->ev[i - 1]));
			break;
		}
		snprintf(id, sizeof(id), "%" PRIu64, ev->seq);
		json_array_append_new(list, json_pack("{s:s,s:I,s:s%,s:I,s:s}", "logStreamName",
						      g->streams[ev->stream].name, "timestamp",
						      (json_int_t)ev->ts, "message", ev->msg,
						      (size_t)ev->len, "ingestionTime",
						      (json_int_t)ev->ingest, "eventId", id));
		count++;
		bytes += ev->len;
	}
	for (size_t k = 0; k < g->nstreams; k++)
		if (use[k])
			json_array_append_new(searched, json_pack("{s:s,s:b}", "logStreamName",
								  g->streams[k].name,
								  "searchedCompletely", 1));
	rc = 0;
done:
	free(use);
	cw_filter_free(f);
	return rc;
}

/* ---- metric filters ---- */

static int op_put_metric_filter(struct cloudwatch *cw, const json_t *in, json_t **out,
				struct cw_error *e)
{
	struct cw_group *g = find_group(cw, in, e);
	const char *name = g ? cw_in_str(in, "filterName", true, e) : NULL;
	const char *pattern = name ? cw_in_str(in, "filterPattern", true, e) : NULL;
	const json_t *ts = json_object_get(in, "metricTransformations"), *t;
	double dflt;

	if (!pattern)
		return 1;
	if (!json_is_array(ts) || json_array_size(ts) != 1)
		return cw_fail(e, "InvalidParameterException",
			       "metricTransformations holds exactly one transformation.");
	t = json_array_get(ts, 0);
	if (json_object_get(t, "dimensions"))
		return cw_fail(e, "InvalidParameterException",
			       "Dimensions of metric filters are not supported locally.");
	return cw_mfilter_put(cw, g->name, name, pattern, jsonx_str(t, "metricNamespace"),
			      jsonx_str(t, "metricName"), jsonx_str(t, "metricValue"),
			      cw_in_num(t, "defaultValue", &dflt) ? &dflt : NULL,
			      jsonx_str(t, "unit"), e);
}

static int op_describe_metric_filters(struct cloudwatch *cw, const json_t *in, json_t **out,
				      struct cw_error *e)
{
	const char *group = jsonx_str(in, "logGroupName");
	const char *prefix = jsonx_str(in, "filterNamePrefix");
	json_t *list = json_array();

	*out = json_pack("{s:o}", "metricFilters", list);
	if (!*out)
		return ERR_NOMEM;
	for (long i = cw_mfilter_next(cw, group, 0); i >= 0;
	     i = cw_mfilter_next(cw, group, (size_t)i + 1)) {
		const struct cw_mfilter *f = &cw->mfilters[i];
		json_t *t = json_pack("{s:s,s:s,s:s}", "metricName", f->metric, "metricNamespace",
				      f->ns, "metricValue", f->value);

		if (prefix && strncmp(f->name, prefix, strlen(prefix))) {
			json_decref(t);
			continue;
		}
		if (t && f->has_default)
			json_object_set_new(t, "defaultValue", json_real(f->dflt));
		json_array_append_new(list, json_pack("{s:s,s:s,s:[o],s:s}", "filterName", f->name,
						      "filterPattern", f->pattern_text,
						      "metricTransformations", t, "logGroupName",
						      f->group));
	}
	return 0;
}

static int op_delete_metric_filter(struct cloudwatch *cw, const json_t *in, json_t **out,
				   struct cw_error *e)
{
	const char *group = cw_in_str(in, "logGroupName", true, e);
	const char *name = group ? cw_in_str(in, "filterName", true, e) : NULL;

	if (!name)
		return 1;
	return cw_mfilter_delete(cw, group, name) ? 0 : not_found(e, "metric filter");
}

static const struct {
	const char *name;
	cw_op_fn fn;
} ops[] = {
	{"CreateLogGroup", op_create_group},
	{"DeleteLogGroup", op_delete_group},
	{"DescribeLogGroups", op_describe_groups},
	{"PutRetentionPolicy", op_put_retention},
	{"DeleteRetentionPolicy", op_delete_retention},
	{"CreateLogStream", op_create_stream},
	{"DescribeLogStreams", op_describe_streams},
	{"PutLogEvents", op_put_events},
	{"GetLogEvents", op_get_events},
	{"FilterLogEvents", op_filter_events},
	{"PutMetricFilter", op_put_metric_filter},
	{"DescribeMetricFilters", op_describe_metric_filters},
	{"DeleteMetricFilter", op_delete_metric_filter},
};

cw_op_fn cw_logs_op(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i].name, name))
			return ops[i].fn;
	return NULL;
}
