/*
 * IAM authentication token figures (bench/database.sh builds and runs this):
 * the time to sign one token (src/aws/rds_token.c), a cache hit, and the
 * proxy's verification of one (rds_token_verify.c), each the median of
 * batches. Prints figures; fails only when a measurement cannot be made.
 */
#include "core/common.h"

#include "aws/rds_token.h"
#include "core/timeutil.h"

#define BATCH	1000
#define BATCHES 21

static const char *secret_for(void *ctx, struct str akid)
{
	return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	struct rds_token_params p = {
		.host = "sluice-prod.proxy-c0ffee123456.us-east-1.rds.amazonaws.com",
		.port = 5432,
		.user = "sluice_app",
		.region = "us-east-1",
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.session_token = "IQoJb3JpZ2luX2VjEXAMPLE-a-session-token-of-some-length-"
				 "IQoJb3JpZ2luX2VjEXAMPLE-a-session-token-of-some-length",
		.now = time(NULL),
	};
	struct rds_token_expect e = {
		.host = p.host,
		.port = p.port,
		.user = p.user,
		.region = p.region,
		.now = p.now,
		.lookup = secret_for,
	};
	double sign[BATCHES], hit[BATCHES], verify[BATCHES];
	struct rds_token_cache cache;
	struct buf token;
	const char *t;

	buf_init(&token, RDS_TOKEN_MAX);
	rds_token_cache_init(&cache);
	for (int b = 0; b < BATCHES; b++) {
		int64_t t0 = time_mono_ns();
		for (int i = 0; i < BATCH; i++) {
			buf_reset(&token);
			if (rds_token_generate(&p, &token))
				return 1;
		}
		int64_t t1 = time_mono_ns();
		for (int i = 0; i < BATCH; i++)
			if (rds_token_cache_get(&cache, &p, &t))
				return 1;
		int64_t t2 = time_mono_ns();
		for (int i = 0; i < BATCH; i++) {
			enum rds_token_status st;
			if (rds_token_verify(token.ptr, token.len, &e, &st, NULL, 0) ||
			    st != RDS_TOKEN_OK)
				return 1;
		}
		int64_t t3 = time_mono_ns();
		sign[b] = (double)(t1 - t0) / BATCH / 1000.0;
		hit[b] = (double)(t2 - t1) / BATCH / 1000.0;
		verify[b] = (double)(t3 - t2) / BATCH / 1000.0;
	}
	qsort(sign, BATCHES, sizeof(double), cmp_double);
	qsort(hit, BATCHES, sizeof(double), cmp_double);
	qsort(verify, BATCHES, sizeof(double), cmp_double);
	printf("IAM token: sign %.1f us, cache hit %.2f us, verify (local proxy) %.1f us "
	       "(medians of %d x %d; %zu bytes)\n",
	       sign[BATCHES / 2], hit[BATCHES / 2], verify[BATCHES / 2], BATCHES, BATCH, token.len);
	buf_release(&token);
	rds_token_cache_release(&cache);
	return 0;
}
