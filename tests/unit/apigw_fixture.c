/* The helpers of apigw_fixture.h. */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "apigw_fixture.h"

bool apigw_fixture_read(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	buf_init(b, 4 << 20);
	if (!f)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(b, chunk, n), 0);
	fclose(f);
	return true;
}

void apigw_fixture_parse(const char *path, struct apigw_request *r)
{
	struct buf b;
	char why[256] = "";

	assert_true(apigw_fixture_read(path, &b));
	int err = apigw_parse_event(b.ptr, b.len, r, why, sizeof(why));
	if (err)
		fail_msg("%s: %s", path, why);
	buf_release(&b);
}

const char *apigw_fixture_shared_dir(const char *test, char *out, size_t len)
{
	const char *root = getenv("SLUICE_SHARED");
	struct buf probe;

	snprintf(out, len, "%s/fixtures/apigw-events", root && *root ? root : "../shared");
	snprintf(out + strlen(out), len - strlen(out), "%s", "/aws-lambda-go/apigw-request.json");
	bool ok = apigw_fixture_read(out, &probe);
	buf_release(&probe);
	snprintf(out, len, "%s/fixtures/apigw-events", root && *root ? root : "../shared");
	if (!ok) {
		printf("%s: %s absent, shared fixtures skipped\n", test, out);
		return NULL;
	}
	return out;
}

size_t apigw_fixture_query_count(const struct apigw_request *r, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_query; i++)
		n += !strcmp(r->query[i].name, name);
	return n;
}

const char *apigw_fixture_query_nth(const struct apigw_request *r, const char *name, size_t nth)
{
	for (size_t i = 0; i < r->n_query; i++)
		if (!strcmp(r->query[i].name, name) && nth-- == 0)
			return r->query[i].value;
	return NULL;
}
