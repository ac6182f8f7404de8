/*
 * aws/config.c: the environment variables, their precedence, validation, the
 * S3 addressing styles and that secrets never appear in the description.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "aws/config.h"

static const char *const all_vars[] = {
	"AWS_ACCESS_KEY_ID",   "AWS_SECRET_ACCESS_KEY",	    "AWS_SESSION_TOKEN",
	"AWS_REGION",	       "AWS_DEFAULT_REGION",	    "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB",
};

static int clear_env(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_vars); i++)
		unsetenv(all_vars[i]);
	return 0;
}

static void test_defaults(void **state)
{
	struct aws_config cfg;

	assert_int_equal(aws_config_init(&cfg), 0);
	assert_null(cfg.access_key_id);
	assert_null(cfg.secret_access_key);
	assert_null(cfg.session_token);
	assert_string_equal(cfg.region, "us-east-1");
	assert_null(cfg.s3_endpoint);
	assert_null(cfg.dynamodb_endpoint);
	assert_false(aws_config_has_credentials(&cfg));
	aws_config_release(&cfg);
}

static void test_credentials_and_region_order(void **state)
{
	struct aws_config cfg;

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_SESSION_TOKEN", "", 1); /* empty counts as unset */
	setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	assert_string_equal(cfg.access_key_id, "AKIDEXAMPLE");
	assert_string_equal(cfg.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_null(cfg.session_token);
	assert_string_equal(cfg.region, "eu-west-3");
	assert_true(aws_config_has_credentials(&cfg));
	aws_config_release(&cfg);

	setenv("AWS_REGION", "ap-south-1", 1);
	setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLETOKEN", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	assert_string_equal(cfg.region, "ap-south-1");
	assert_string_equal(cfg.session_token, "FQoGZXIvYXdzEXAMPLETOKEN");
	aws_config_release(&cfg);
	assert_null(cfg.region);
}

static void test_bad_region(void **state)
{
	struct aws_config cfg;

	setenv("AWS_REGION", "us-east-1.evil.com/", 1);
	assert_int_equal(aws_config_init(&cfg), ERR_CONFIG);
	setenv("AWS_REGION", "US-EAST-1", 1);
	assert_int_equal(aws_config_init(&cfg), ERR_CONFIG);
}

static void test_endpoint_order(void **state)
{
	struct aws_config cfg;

	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	assert_string_equal(cfg.s3_endpoint, "http://127.0.0.1:4566");
	assert_string_equal(cfg.dynamodb_endpoint, "http://127.0.0.1:4566");
	aws_config_release(&cfg);

	setenv("AWS_ENDPOINT_URL_S3", "https://s3.local.test:9000", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000//", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	assert_string_equal(cfg.s3_endpoint, "https://s3.local.test:9000");
	assert_string_equal(cfg.dynamodb_endpoint, "http://localhost:8000");
	aws_config_release(&cfg);
}

static void test_bad_endpoints(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1:4566",   "ftp://host",	 "http://",
		"http:///path",	    "http://a b",	 "http://host/?x=1",
		"http://user@host", "http://host/#frag", "http://ho\nst",
	};
	struct aws_config cfg;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		setenv("AWS_ENDPOINT_URL_S3", bad[i], 1);
		assert_int_equal(aws_config_init(&cfg), ERR_CONFIG);
	}
}

static void test_s3_addressing(void **state)
{
	struct aws_config cfg;
	struct buf base, host;

	setenv("AWS_REGION", "eu-central-1", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	buf_init(&base, 1024);
	buf_init(&host, 1024);

	/* AWS, DNS-safe bucket: virtual-hosted. */
	assert_int_equal(aws_config_s3_base(&cfg, "my-bucket", &base, &host), 0);
	assert_string_equal(base.ptr, "https://my-bucket.s3.eu-central-1.amazonaws.com");
	assert_string_equal(host.ptr, "my-bucket.s3.eu-central-1.amazonaws.com");

	/* AWS, dotted bucket: path-style so the TLS certificate matches. */
	buf_reset(&base);
	buf_reset(&host);
	assert_int_equal(aws_config_s3_base(&cfg, "my.bucket", &base, &host), 0);
	assert_string_equal(base.ptr, "https://s3.eu-central-1.amazonaws.com/my.bucket");
	assert_string_equal(host.ptr, "s3.eu-central-1.amazonaws.com");

	assert_int_equal(aws_config_s3_base(&cfg, "", &base, &host), ERR_INVAL);
	aws_config_release(&cfg);

	/* Override: path-style, Host keeps the port. */
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	buf_reset(&base);
	buf_reset(&host);
	assert_int_equal(aws_config_s3_base(&cfg, "my-bucket", &base, &host), 0);
	assert_string_equal(base.ptr, "http://127.0.0.1:4566/my-bucket");
	assert_string_equal(host.ptr, "127.0.0.1:4566");

	buf_reset(&base);
	buf_reset(&host);
	assert_int_equal(aws_config_dynamodb_endpoint(&cfg, &base, &host), 0);
	assert_string_equal(base.ptr, "https://dynamodb.eu-central-1.amazonaws.com");
	assert_string_equal(host.ptr, "dynamodb.eu-central-1.amazonaws.com");

	buf_release(&base);
	buf_release(&host);
	aws_config_release(&cfg);
}

static void test_copy(void **state)
{
	struct aws_config cfg, copy;

	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	assert_int_equal(aws_config_copy(&copy, &cfg), 0);
	aws_config_release(&cfg);
	assert_string_equal(copy.access_key_id, "AKID");
	assert_string_equal(copy.secret_access_key, "SECRET");
	assert_null(copy.session_token);
	assert_string_equal(copy.region, "us-east-1");
	assert_null(copy.s3_endpoint);
	assert_string_equal(copy.dynamodb_endpoint, "http://localhost:8000");
	aws_config_release(&copy);
}

static void test_describe_hides_secrets(void **state)
{
	struct aws_config cfg;
	struct buf out;

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "topsecretvalue", 1);
	setenv("AWS_SESSION_TOKEN", "sessiontokenvalue", 1);
	assert_int_equal(aws_config_init(&cfg), 0);
	buf_init(&out, 4096);
	assert_int_equal(aws_config_describe(&cfg, &out), 0);
	assert_non_null(strstr(out.ptr, "access_key_id=AKIDEXAMPLE"));
	assert_non_null(strstr(out.ptr, "secret=***"));
	assert_non_null(strstr(out.ptr, "session_token=***"));
	assert_null(strstr(out.ptr, "topsecretvalue"));
	assert_null(strstr(out.ptr, "sessiontokenvalue"));
	buf_release(&out);
	aws_config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clear_env),
		cmocka_unit_test_setup(test_credentials_and_region_order, clear_env),
		cmocka_unit_test_setup(test_bad_region, clear_env),
		cmocka_unit_test_setup(test_endpoint_order, clear_env),
		cmocka_unit_test_setup(test_bad_endpoints, clear_env),
		cmocka_unit_test_setup(test_s3_addressing, clear_env),
		cmocka_unit_test_setup(test_copy, clear_env),
		cmocka_unit_test_setup(test_describe_hides_secrets, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
