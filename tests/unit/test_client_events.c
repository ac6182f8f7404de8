/*
 * Unit tests for POST /client-events (src/app/client_events.c) through the
 * messages function: errors become WARN "client error" lines, loads INFO
 * lines, both EMF metrics (checked against the spec's rules by the local
 * reader); the bounds (events, text, body), unknown types dropped, no
 * request data in the lines, and the refusals.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apptest.h"
#include "app/app.h"
#include "app/client_events.h"
#include "app/messages.h"
#include "app/messages_store.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "lambda/metrics.h"
#include "local/cloudwatch/cw_emf.h"

struct fixture {
	void *state;
	struct messages_store store;
	char *log_text;
	size_t log_len;
	FILE *log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct buf b;

	assert_non_null(f);
	assert_int_equal(messages_store_mem_init(&f->store), 0);
	assert_int_equal(messages_state_new("t", &f->store, &f->state), 0);
	apptest_logs_capture(&f->log, &f->log_text, &f->log_len);
	metrics_configure("ns", "sluice", "MessagesFunction");
	buf_init(&b, BUF_NOCAP);
	(void)metrics_render(&b, 0); /* nothing left from another test */
	buf_release(&b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	messages_state_free(f->state);
	apptest_logs_release(f->log, &f->log_text);
	free(f);
	return 0;
}

/* POST `body` to /client-events; the parsed Lambda response. */
static json_t *post(struct fixture *f, const char *body, const char *content_type)
{
	json_t *ev = json_pack(
		"{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:{s:s,s:s,s:s},s:s,s:s},s:s,s:b}", "version",
		"2.0", "routeKey", "POST /client-events", "rawPath", "/client-events",
		"rawQueryString", "", "headers", "content-type", content_type, "user-agent",
		"Mozilla/5.0 (secret browser)", "requestContext", "requestId", "api-1", "http",
		"method", "POST", "path", "/client-events", "sourceIp", "203.0.113.9", "stage",
		"$default", "routeKey", "POST /client-events", "body", body, "isBase64Encoded", 0);
	char *text = json_dumps(ev, JSON_COMPACT);
	const struct lambda_context ctx = {"lambda-1", "", "", 0};
	json_t *r = apptest_invoke(app_function_find("messages"), f->state, text, &ctx);

	free(text);
	json_decref(ev);
	return r;
}

static int status(const json_t *r)
{
	return (int)json_integer_value(json_object_get(r, "statusCode"));
}

static json_t *body(const json_t *r)
{
	const char *b = jsonx_str(r, "body");
	return jsonx_parse(b, strlen(b), NULL, 0);
}

struct seen {
	int errors, loads, events;
	double load_ms, page_loads;
};

static void collect(void *arg, const struct cw_emf_datum *d)
{
	struct seen *s = arg;

	if (!strcmp(d->name, "ClientErrors"))
		s->errors += (int)d->value;
	else if (!strcmp(d->name, "PageLoadTime")) {
		s->loads++;
		s->load_ms = d->value;
	} else if (!strcmp(d->name, "PageLoads"))
		s->page_loads += d->value;
	else if (!strcmp(d->name, "ClientEvents"))
		s->events += (int)d->value;
}

static struct seen metrics(void)
{
	struct seen s = {0};
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	assert_int_equal(metrics_render(&b, time_now_ms()), 0);
	for (char *line = b.ptr, *nl; (nl = strchr(line, '\n')); line = nl + 1)
		assert_int_equal(cw_emf_extract(line, (size_t)(nl - line), time_now_ms(), collect,
						&s, NULL, 0),
				 0);
	buf_release(&b);
	return s;
}

/* A load the site sampled stands for 1/sample loads, so errors per load stay a rate. */
static void test_sampled_loads(void **state)
{
	struct fixture *f = *state;
	json_t *r = post(f,
			 "{\"events\":[{\"type\":\"load\",\"page\":\"/\",\"loadMs\":500,"
			 "\"sample\":0.25},{\"type\":\"load\",\"page\":\"/\",\"loadMs\":600,"
			 "\"sample\":5},{\"type\":\"load\",\"page\":\"/\",\"loadMs\":700,"
			 "\"sample\":0}]}",
			 "application/json");
	struct seen s;

	assert_int_equal(status(r), 202);
	s = metrics();
	assert_int_equal(s.loads, 3);
	/* 4 for the quarter sample; a share out of (0.001, 1] counts as 1. */
	assert_true(s.page_loads == 6);
	json_decref(r);
}

static void test_errors_and_loads(void **state)
{
	struct fixture *f = *state;
	json_t *r =
		post(f,
		     "{\"events\":[{\"type\":\"error\",\"message\":\"TypeError: x is undefined\","
		     "\"source\":\"/assets/main-A1.js\",\"line\":1,\"column\":2045,\"page\":"
		     "\"/messages/:id\"},{\"type\":\"load\",\"page\":\"/\",\"loadMs\":812,"
		     "\"fcpMs\":240},{\"type\":\"csp\",\"message\":\"connect-src\"},"
		     "{\"type\":\"unknown\"},{\"type\":\"load\"}]}",
		     "application/json");
	json_t *b = body(r), *line = NULL;
	struct seen s;

	assert_int_equal(status(r), 202);
	assert_int_equal(json_integer_value(json_object_get(b, "accepted")), 3);
	assert_int_equal(json_integer_value(json_object_get(b, "dropped")), 2);
	fflush(f->log);
	for (char *p = f->log_text; p && (p = strstr(p, "\"client error\"")); p++) {
		char *start = p;

		while (start > f->log_text && start[-1] != '\n')
			start--;
		line = jsonx_parse(start, strcspn(start, "\n"), NULL, 0);
		break;
	}
	assert_non_null(line);
	assert_string_equal(jsonx_str(line, "level"), "WARN");
	json_t *ce = json_object_get(line, "clientEvent");
	assert_string_equal(jsonx_str(ce, "text"), "TypeError: x is undefined");
	assert_string_equal(jsonx_str(ce, "page"), "/messages/:id");
	assert_int_equal(json_integer_value(json_object_get(ce, "column")), 2045);
	/* Nothing of the request: no address, no user agent. */
	assert_null(strstr(f->log_text, "203.0.113.9"));
	assert_null(strstr(f->log_text, "secret browser"));
	assert_non_null(strstr(f->log_text, "\"client page load\""));
	s = metrics();
	assert_int_equal(s.errors, 2);
	assert_int_equal(s.loads, 1);
	assert_true(s.load_ms == 812);
	assert_true(s.page_loads == 1); /* no "sample": every load was reported */
	assert_int_equal(s.events, 3);
	json_decref(line);
	json_decref(b);
	json_decref(r);
}

static void test_bounds(void **state)
{
	struct fixture *f = *state;
	struct buf doc;
	json_t *r, *b;
	char long_text[600];

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	buf_init(&doc, 1 << 20);
	buf_puts(&doc, "{\"events\":[");
	for (int i = 0; i < CLIENT_EVENTS_MAX + 5; i++)
		buf_putf(&doc, "%s{\"type\":\"error\",\"message\":\"%s\"}", i ? "," : "",
			 i == 0 ? long_text : "e");
	buf_puts(&doc, "]}");
	r = post(f, doc.ptr, "application/json");
	b = body(r);
	assert_int_equal(json_integer_value(json_object_get(b, "accepted")), CLIENT_EVENTS_MAX);
	assert_int_equal(json_integer_value(json_object_get(b, "dropped")), 5);
	/* The long message was cut. */
	fflush(f->log);
	assert_non_null(strstr(f->log_text, "xxxxx"));
	assert_null(strstr(f->log_text,
			   long_text + sizeof(long_text) - 1 - (CLIENT_EVENTS_TEXT_MAX + 1)));
	json_decref(b);
	json_decref(r);
	metrics();
	/* A body over 16 KiB is refused whole. */
	buf_reset(&doc);
	buf_puts(&doc, "{\"events\":[],\"pad\":\"");
	for (size_t i = 0; i < CLIENT_EVENTS_BODY_MAX; i++)
		buf_putc(&doc, 'p');
	buf_puts(&doc, "\"}");
	r = post(f, doc.ptr, "application/json");
	assert_int_equal(status(r), 413);
	json_decref(r);
	buf_release(&doc);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	json_t *r;

	r = post(f, "{\"events\":{}}", "application/json");
	assert_int_equal(status(r), 400);
	json_decref(r);
	r = post(f, "not json", "application/json");
	assert_int_equal(status(r), 400);
	json_decref(r);
	r = post(f, "{\"events\":[]}", "text/plain");
	assert_int_equal(status(r), 415);
	json_decref(r);
	/* A load time out of range is no datapoint. */
	r = post(f,
		 "{\"events\":[{\"type\":\"load\",\"loadMs\":1e12},{\"type\":\"load\",\"loadMs\":-"
		 "1}]}",
		 "application/json");
	json_t *b = body(r);
	assert_int_equal(json_integer_value(json_object_get(b, "accepted")), 0);
	assert_int_equal(metrics().loads, 0);
	json_decref(b);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors_and_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampled_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
