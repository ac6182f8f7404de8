/* Unit tests for the raw query splitter (src/http/query.c). */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "http/query.h"

/* "name=value;" for every segment, values left encoded. */
static void split(const char *q, char *out, size_t cap)
{
	struct str rest = str_from(q), n, v;
	size_t used = 0;

	out[0] = '\0';
	while (query_next(&rest, &n, &v))
		used += (size_t)snprintf(out + used, cap - used, "%.*s=%.*s%s;", STR_FMT(n),
					 STR_FMT(v), v.ptr ? "" : "(none)");
}

static void test_split(void **state)
{
	char out[256];

	split("a=1&b=&c&&d=x=y&", out, sizeof(out));
	assert_string_equal(out, "a=1;b=;c=(none);d=x=y;");
	split("", out, sizeof(out));
	assert_string_equal(out, "");
	split("&&&", out, sizeof(out));
	assert_string_equal(out, "");
	split("k%00=v%00x", out, sizeof(out));
	assert_string_equal(out, "k%00=v%00x;");
	assert_int_equal(query_count(STR_LIT("a&b&&c=")), 3);
	assert_int_equal(query_count(STR_NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_split)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
