/*
 * The website's reports (client_events.h): read, bounded, logged, counted.
 */
#include "core/common.h"

#include <math.h>

#include "app/client_events.h"
#include "core/enc.h"
#include "core/json.h"
#include "core/log.h"
#include "lambda/metrics.h"

static const struct serve_body_rules client_body_rules = {
	.what = "POST /client-events",
	.max_len = CLIENT_EVENTS_BODY_MAX,
	.too_large = "the body is larger than 16 KiB",
	.utf8 = true,
};

/* A string member cut at CLIENT_EVENTS_TEXT_MAX bytes (at a character boundary), or NULL. */
static json_t *text(const json_t *ev, const char *key)
{
	const json_t *v = json_object_get(ev, key);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (!s)
		return NULL;
	if (n > CLIENT_EVENTS_TEXT_MAX) {
		n = CLIENT_EVENTS_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return json_stringn(s, n);
}

/* A number member in [0, max], or -1. */
static double number(const json_t *ev, const char *key, double max)
{
	const json_t *v = json_object_get(ev, key);
	double d = json_is_number(v) ? json_number_value(v) : -1;

	return isfinite(d) && d >= 0 && d <= max ? d : -1;
}

static bool one_error(const json_t *ev, const char *type)
{
	json_t *msg = text(ev, "message"), *page = text(ev, "page"), *src = text(ev, "source");
	double line = number(ev, "line", 1e9), col = number(ev, "column", 1e9);
	json_t *f;

	if (!msg) {
		json_decref(page);
		json_decref(src);
		return false;
	}
	f = json_pack("{s:{s:s,s:o,s:o*,s:o*}}", "clientEvent", "type", type, "text", msg, "page",
		      page, "source", src);
	if (f && line >= 0)
		json_object_set_new(json_object_get(f, "clientEvent"), "line",
				    json_integer((json_int_t)line));
	if (f && col >= 0)
		json_object_set_new(json_object_get(f, "clientEvent"), "column",
				    json_integer((json_int_t)col));
	log_emit(LVL_WARN, "client error", f);
	metrics_count("ClientErrors");
	return true;
}

static bool one_load(const json_t *ev)
{
	double load = number(ev, "loadMs", CLIENT_EVENTS_LOAD_MAX_MS);
	double fcp = number(ev, "fcpMs", CLIENT_EVENTS_LOAD_MAX_MS);
	double sample = number(ev, "sample", 1);
	json_t *page = text(ev, "page");

	if (load < 0) {
		json_decref(page);
		return false;
	}
	if (sample < CLIENT_EVENTS_SAMPLE_MIN)
		sample = 1; /* absent or nonsense: as if every load were reported */
	log_emit(LVL_INFO, "client page load",
		 json_pack("{s:{s:s,s:o*,s:f}}", "clientEvent", "type", "load", "page", page,
			   "loadMs", load));
	metrics_add("PageLoadTime", METRICS_MILLISECONDS, load);
	/* The loads this one stands for: a rate of errors per load needs all of them. */
	metrics_add("PageLoads", METRICS_COUNT, 1 / sample);
	if (fcp >= 0)
		metrics_add("FirstContentfulPaint", METRICS_MILLISECONDS, fcp);
	return true;
}

int client_events_handle(struct serve_call *call)
{
	json_t *doc = NULL, *events;
	size_t accepted = 0, dropped = 0;
	int err = serve_json_body(call, &client_body_rules, &doc);

	if (err || !doc)
		return err;
	events = json_object_get(doc, "events");
	if (!json_is_array(events)) {
		json_decref(doc);
		return serve_error(call, 400, "InvalidRequest", "\"events\" must be an array");
	}
	for (size_t i = 0; i < json_array_size(events); i++) {
		const json_t *ev = json_array_get(events, i);
		const char *type = jsonx_str(ev, "type");
		bool ok = false;

		if (i < CLIENT_EVENTS_MAX && type &&
		    (!strcmp(type, "error") || !strcmp(type, "rejection") || !strcmp(type, "csp")))
			ok = one_error(ev, type);
		else if (i < CLIENT_EVENTS_MAX && type && !strcmp(type, "load"))
			ok = one_load(ev);
		accepted += ok;
		dropped += !ok;
	}
	if (accepted)
		metrics_add("ClientEvents", METRICS_COUNT, (double)accepted);
	json_decref(doc);
	return serve_json(call, 202,
			  json_pack("{s:I,s:I}", "accepted", (json_int_t)accepted, "dropped",
				    (json_int_t)dropped));
}
