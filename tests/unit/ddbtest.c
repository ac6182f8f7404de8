/*
 * Helpers of ddbtest.h for the local DynamoDB's unit tests.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/buf.h"
#include "ddbtest.h"
#include "local/dynamodb/ddb_server.h"

int ddbtest_setup(void **state)
{
	struct ddbtest *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ddb-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/dynamodb.sqlite", f->dir);
	if (ddb_server_new(f->path, &f->s))
		return -1;
	*state = f;
	return 0;
}

int ddbtest_teardown(void **state)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	struct ddbtest *f = *state;
	char p[160];
	ddb_server_free(f->s);
	for (size_t i = 0; i < ARRAY_SIZE(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

json_t *ddbtest_call(struct ddb_server *s, const char *op, const char *body, int want_status)
{
	struct buf out;
	int status = 0;
	buf_init(&out, DDB_MAX_ANSWER);
	ddb_server_handle(s, op, body, strlen(body), &status, &out);
	if (status != want_status)
		fail_msg("%s %s: status %d, want %d: %s", op, body, status, want_status, out.ptr);
	json_t *v = json_loads(out.ptr, 0, NULL);
	if (!v)
		fail_msg("%s %s: the answer is not JSON: %s", op, body, out.ptr);
	buf_release(&out);
	return v;
}

void ddbtest_expect(struct ddb_server *s, const char *op, const char *body, int want_status,
		    const char *want)
{
	json_t *got = ddbtest_call(s, op, body, want_status), *w = json_loads(want, 0, NULL);
	assert_non_null(w);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("%s %s:\n got  %s\n want %s", op, body, g, want);
	}
	json_decref(got);
	json_decref(w);
}

void ddbtest_expect_error(struct ddb_server *s, const char *op, const char *body, const char *type)
{
	json_t *got = ddbtest_call(s, op, body, 400);
	const char *t = json_string_value(json_object_get(got, "__type"));
	if (!t || strcmp(t, type))
		fail_msg("%s %s: __type %s, want %s (%s)", op, body, t ? t : "none", type,
			 json_string_value(json_object_get(got, "message")));
	json_decref(got);
}

json_t *ddbtest_get(const json_t *v, const char *path)
{
	const char *p = path;
	while (v && *p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)len, p);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(key, NULL, 10));
		else
			v = json_object_get(v, key);
		p += len + (end != NULL);
	}
	return (json_t *)v;
}
