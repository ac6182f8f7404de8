/*
 * Unit tests for RDS IAM authentication tokens (src/aws/rds_token.c and
 * rds_token_verify.c): the tokens of tests/fixtures/rds-token/cases.json,
 * which botocore's generate_db_auth_token() produced (generate.py there), are
 * reproduced byte for byte and accepted by the verifier; the verifier refuses
 * every way a token can be wrong; the cache reuses a token until shortly
 * before it expires.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "aws/rds_token.h"

#define CASES "tests/fixtures/rds-token/cases.json"

static const char *secret_for(void *ctx, struct str akid)
{
	return str_eq_cstr(akid, "AKIDEXAMPLE") ? (const char *)ctx : NULL;
}

static json_t *load_cases(void)
{
	json_error_t jerr;
	json_t *doc = json_load_file(CASES, 0, &jerr);

	if (!doc)
		fail_msg("%s: %s", CASES, jerr.text);
	return doc;
}

static struct rds_token_params params_of(const json_t *c)
{
	struct rds_token_params p = {
		.host = json_string_value(json_object_get(c, "host")),
		.port = (unsigned)json_integer_value(json_object_get(c, "port")),
		.user = json_string_value(json_object_get(c, "user")),
		.region = json_string_value(json_object_get(c, "region")),
		.access_key_id = json_string_value(json_object_get(c, "access_key_id")),
		.secret_access_key = json_string_value(json_object_get(c, "secret_access_key")),
		.session_token = json_string_value(json_object_get(c, "session_token")),
		.now = (time_t)json_integer_value(json_object_get(c, "time")),
	};
	return p;
}

static enum rds_token_status verify(const char *token, const struct rds_token_params *p, time_t now,
				    const char *host, unsigned port, const char *user)
{
	struct rds_token_expect e = {
		.host = host ? host : p->host,
		.port = port ? port : p->port,
		.user = user ? user : p->user,
		.region = p->region,
		.now = now,
		.lookup = secret_for,
		.lookup_ctx = (void *)p->secret_access_key,
	};
	enum rds_token_status st = RDS_TOKEN_OK;
	char why[256];

	assert_int_equal(rds_token_verify(token, strlen(token), &e, &st, why, sizeof(why)), 0);
	assert_non_null(strlen(why) ? why : NULL);
	return st;
}

static void test_same_tokens_as_botocore(void **state)
{
	json_t *doc = load_cases(), *c;
	size_t i;

	assert_true(json_array_size(json_object_get(doc, "cases")) >= 5);
	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		struct rds_token_params p = params_of(c);
		struct buf out;

		buf_init(&out, RDS_TOKEN_MAX);
		assert_int_equal(rds_token_generate(&p, &out), 0);
		assert_string_equal(out.ptr, json_string_value(json_object_get(c, "token")));
		buf_release(&out);
	}
	json_decref(doc);
}

static void test_verifier_accepts_botocore_tokens(void **state)
{
	json_t *doc = load_cases(), *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		struct rds_token_params p = params_of(c);
		const char *token = json_string_value(json_object_get(c, "token"));

		assert_int_equal(verify(token, &p, p.now, NULL, 0, NULL), RDS_TOKEN_OK);
		assert_int_equal(verify(token, &p, p.now + 899, NULL, 0, NULL), RDS_TOKEN_OK);
		/* 15 minutes and one second later, RDS refuses it. */
		assert_int_equal(verify(token, &p, p.now + 901, NULL, 0, NULL), RDS_TOKEN_EXPIRED);
	}
	json_decref(doc);
}

/* A fresh token for the local proxy, for the refusal cases. */
static char *local_token(struct rds_token_params *p, const char *token_override)
{
	struct buf out;

	p->host = "127.0.0.1";
	p->port = 6543;
	p->user = "sluice_app";
	p->region = "us-east-1";
	p->access_key_id = "AKIDEXAMPLE";
	p->secret_access_key = "secret";
	p->session_token = token_override;
	p->now = 1800000000;
	buf_init(&out, RDS_TOKEN_MAX);
	assert_int_equal(rds_token_generate(p, &out), 0);
	return buf_detach(&out, NULL);
}

static void test_verifier_refusals(void **state)
{
	struct rds_token_params p;
	char *t = local_token(&p, NULL);
	char *bad;

	assert_int_equal(verify(t, &p, p.now + 1, NULL, 0, NULL), RDS_TOKEN_OK);
	/* Another host, port or user than the proxy's own. */
	assert_int_equal(verify(t, &p, p.now, "localhost", 0, NULL), RDS_TOKEN_WRONG_TARGET);
	assert_int_equal(verify(t, &p, p.now, NULL, 6544, NULL), RDS_TOKEN_WRONG_TARGET);
	assert_int_equal(verify(t, &p, p.now, NULL, 0, "postgres"), RDS_TOKEN_WRONG_TARGET);
	/* Expired; or from the future, past the clock skew SigV4 allows. */
	assert_int_equal(verify(t, &p, p.now + 3600, NULL, 0, NULL), RDS_TOKEN_EXPIRED);
	assert_int_equal(verify(t, &p, p.now - 3600, NULL, 0, NULL), RDS_TOKEN_BAD_SIGNATURE);
	/* A signature changed in its last digit. */
	bad = strdup(t);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(verify(bad, &p, p.now, NULL, 0, NULL), RDS_TOKEN_BAD_SIGNATURE);
	free(bad);
	/* Not a token at all. */
	assert_int_equal(verify("hunter2", &p, p.now, NULL, 0, NULL), RDS_TOKEN_MALFORMED);
	assert_int_equal(verify("127.0.0.1:6543/?Action=connect", &p, p.now, NULL, 0, NULL),
			 RDS_TOKEN_MALFORMED);
	assert_int_equal(verify("", &p, p.now, NULL, 0, NULL), RDS_TOKEN_MALFORMED);
	free(t);

	/* Signed with a key the proxy does not know. */
	p.access_key_id = "AKIDOTHER";
	{
		struct buf out;

		buf_init(&out, RDS_TOKEN_MAX);
		assert_int_equal(rds_token_generate(&p, &out), 0);
		p.access_key_id = "AKIDEXAMPLE";
		assert_int_equal(verify(out.ptr, &p, p.now, NULL, 0, NULL),
				 RDS_TOKEN_BAD_SIGNATURE);
		buf_release(&out);
	}
}

static void test_generate_rejects_bad_input(void **state)
{
	struct rds_token_params p;
	char *t = local_token(&p, "");
	struct buf out;

	free(t);
	buf_init(&out, RDS_TOKEN_MAX);
	p.port = 0;
	assert_int_equal(rds_token_generate(&p, &out), ERR_INVAL);
	p.port = 70000;
	assert_int_equal(rds_token_generate(&p, &out), ERR_INVAL);
	p.port = 5432;
	p.host = "a/b";
	assert_int_equal(rds_token_generate(&p, &out), ERR_INVAL);
	p.host = "127.0.0.1";
	p.user = "";
	assert_int_equal(rds_token_generate(&p, &out), ERR_INVAL);
	p.user = "x\ny";
	assert_int_equal(rds_token_generate(&p, &out), ERR_INVAL);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	/* Too small a buffer leaves it as it was. */
	p.user = "sluice_app";
	buf_init(&out, 16);
	assert_int_equal(rds_token_generate(&p, &out), ERR_TOOLARGE);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_cache_reuses_until_near_expiry(void **state)
{
	struct rds_token_params p;
	struct rds_token_cache c;
	const char *a, *b;
	char *first;

	free(local_token(&p, NULL));
	rds_token_cache_init(&c);
	assert_int_equal(rds_token_cache_get(&c, &p, &a), 0);
	first = strdup(a);
	p.now += RDS_TOKEN_EXPIRES_SECONDS - RDS_TOKEN_REFRESH_MARGIN - 1;
	assert_int_equal(rds_token_cache_get(&c, &p, &b), 0);
	assert_string_equal(b, first); /* still the same token */
	p.now += 1;
	assert_int_equal(rds_token_cache_get(&c, &p, &b), 0);
	assert_string_not_equal(b, first); /* signed again, at the new time */
	free(first);
	first = strdup(b);
	p.user = "other";
	assert_int_equal(rds_token_cache_get(&c, &p, &b), 0);
	assert_string_not_equal(b, first); /* another user: another token */
	assert_non_null(strstr(b, "DBUser=other&"));
	free(first);
	rds_token_cache_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_tokens_as_botocore),
		cmocka_unit_test(test_verifier_accepts_botocore_tokens),
		cmocka_unit_test(test_verifier_refusals),
		cmocka_unit_test(test_generate_rejects_bad_input),
		cmocka_unit_test(test_cache_reuses_until_near_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
