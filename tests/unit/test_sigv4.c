/*
 * SigV4 as a whole (src/aws/sigv4_*.c) against two golden sets: AWS's
 * signing test suite (../shared/fixtures/aws-sigv4-test-suite/v4, found
 * through $SLUICE_SHARED or ../shared) and our S3 cases produced by botocore
 * (tests/fixtures/sigv4-s3, see generate.py there). For every case and form
 * (header, query) we compare the canonical request, string to sign and
 * signature with the files, verify our signed request and the reference
 * signed request, and check that tampering is refused for the right reason.
 * The focused tests of each file are in test_sigv4_canon.c,
 * test_sigv4_sign.c and test_sigv4_verify.c.
 */
#include "core/common.h"

#include <dirent.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <jansson.h>

#include "aws/sigv4.h"
#include "core/enc.h"
#include "core/timeutil.h"
#include "sigv4_fixture.h"

#define MAX_TEST_HEADERS 64

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, 1 << 20);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	return buf_detach(&b, len);
}

/* A request as written in request.txt / *-signed-request.txt. */
struct parsed {
	char *text;
	char method[16];
	struct str path, query, body;
	struct sigv4_header h[MAX_TEST_HEADERS];
	size_t n;
};

/* "METHOD target HTTP/1.1", header lines (continuations start with a space), blank, body. */
static void parse_request(char *text, size_t len, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	p->text = text;
	const char *end = text + len, *nl = memchr(text, '\n', len);
	const char *line_end = nl ? nl : end;
	const char *sp = memchr(text, ' ', (size_t)(line_end - text));
	assert_non_null(sp);
	assert_true((size_t)(sp - text) < sizeof(p->method));
	memcpy(p->method, text, (size_t)(sp - text));
	const char *target = sp + 1, *tend = line_end;
	while (tend > target && memcmp(tend - 1, " HTTP/", 6) != 0)
		tend--;
	tend--; /* at the space before HTTP/ */
	struct str t = str_make(target, (size_t)(tend - target));
	bool q;
	p->query = str_split(t, '?', &p->path, &q);
	const char *pos = nl ? nl + 1 : end;
	while (pos < end) {
		const char *e = memchr(pos, '\n', (size_t)(end - pos));
		const char *le = e ? e : end;
		if (le == pos) {
			p->body = str_make(pos + 1, (size_t)(end - pos - 1));
			break;
		}
		if (*pos == ' ' || *pos == '\t') {
			assert_true(p->n > 0);
			struct str *v = &p->h[p->n - 1].value;
			v->len = (size_t)(le - v->ptr);
		} else {
			const char *colon = memchr(pos, ':', (size_t)(le - pos));
			assert_non_null(colon);
			assert_true(p->n < MAX_TEST_HEADERS);
			p->h[p->n].name = str_make(pos, (size_t)(colon - pos));
			p->h[p->n].value = str_make(colon + 1, (size_t)(le - colon - 1));
			p->n++;
		}
		pos = e ? e + 1 : end;
	}
}

static void set_header(struct parsed *p, const char *name, const char *value)
{
	for (size_t i = 0; i < p->n; i++) {
		if (str_ieq_cstr(p->h[i].name, name)) {
			p->h[i].value = str_from(value);
			return;
		}
	}
	fail_msg("no header %s", name);
}

/* Compare with a golden file, ignoring one trailing newline in the file. */
static void expect_text(const char *dir, const char *file, const char *actual, size_t len)
{
	size_t elen;
	char *expected = slurp(dir, file, &elen);
	assert_non_null(expected);
	if (elen && expected[elen - 1] == '\n')
		expected[--elen] = '\0';
	if (elen != len || memcmp(expected, actual, len) != 0) {
		print_error("%s/%s differs.\n--- expected\n%s\n--- actual\n%.*s\n", dir, file,
			    expected, (int)len, actual);
		free(expected);
		fail();
	}
	free(expected);
}

/* ---- one golden case ---------------------------------------------------- */

struct tcase {
	char dir[PATH_MAX];
	json_t *ctx;
	char *req_text;
	struct parsed req;
	struct sigv4_params params;
	time_t when;
	bool omit_token;
	struct str payload_hash;
	struct sigv4_keyring keys;
};

static void load_case(struct tcase *tc, const char *dir)
{
	json_error_t jerr;
	char path[PATH_MAX + 32];
	size_t len;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->dir, sizeof(tc->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/context.json", dir);
	tc->ctx = json_load_file(path, 0, &jerr);
	if (!tc->ctx)
		fail_msg("%s: %s", path, jerr.text);
	json_t *cred = json_object_get(tc->ctx, "credentials");
	struct sigv4_params *p = &tc->params;
	p->access_key_id = json_string_value(json_object_get(cred, "access_key_id"));
	p->secret_access_key = json_string_value(json_object_get(cred, "secret_access_key"));
	p->session_token = json_string_value(json_object_get(cred, "token"));
	p->region = json_string_value(json_object_get(tc->ctx, "region"));
	p->service = json_string_value(json_object_get(tc->ctx, "service"));
	p->s3 = json_is_true(json_object_get(tc->ctx, "s3"));
	json_t *norm = json_object_get(tc->ctx, "normalize");
	p->no_normalize_path = norm && json_is_false(norm);
	p->sign_body = json_is_true(json_object_get(tc->ctx, "sign_body"));
	tc->omit_token = json_is_true(json_object_get(tc->ctx, "omit_session_token"));
	p->omit_session_token = tc->omit_token;
	p->expires = (long)json_integer_value(json_object_get(tc->ctx, "expiration_in_seconds"));
	tc->payload_hash = str_from(json_string_value(json_object_get(tc->ctx, "payload_hash")));
	const char *ts = json_string_value(json_object_get(tc->ctx, "timestamp"));
	assert_non_null(ts);
	int64_t ms;
	assert_int_equal(time_parse_rfc3339(ts, strlen(ts), &ms), 0);
	tc->when = (time_t)(ms / 1000);
	p->now = tc->when;
	tc->keys.akid = p->access_key_id;
	tc->keys.secret = p->secret_access_key;

	tc->req_text = slurp(dir, "request.txt", &len);
	assert_non_null(tc->req_text);
	parse_request(tc->req_text, len, &tc->req);
}

static void free_case(struct tcase *tc)
{
	json_decref(tc->ctx);
	free(tc->req_text);
}

static struct sigv4_request to_request(const struct parsed *p)
{
	struct sigv4_request r = {
		.method = p->method,
		.path = p->path,
		.query = p->query,
		.headers = p->h,
		.n_headers = p->n,
		.body = p->body.ptr,
		.body_len = p->body.len,
	};
	return r;
}

static struct sigv4_verify_params verify_params(struct tcase *tc, time_t now)
{
	struct sigv4_verify_params vp = {
		.region = tc->params.region,
		.service = tc->params.service,
		.s3 = tc->params.s3,
		.no_normalize_path = tc->params.no_normalize_path,
		.now = now,
		.lookup = sigv4_fixture_lookup,
		.lookup_ctx = &tc->keys,
	};
	return vp;
}

static enum sigv4_status verify_status(const struct parsed *p, const struct sigv4_verify_params *vp)
{
	struct sigv4_result r;
	struct sigv4_request req = to_request(p);
	sigv4_result_init(&r);
	assert_int_equal(sigv4_verify(&req, vp, &r), 0);
	enum sigv4_status st = r.status;
	sigv4_result_release(&r);
	return st;
}

#define expect_status(tc, p, vp, want)                                                          \
	do {                                                                                    \
		enum sigv4_status got_ = verify_status((p), (vp));                              \
		if (got_ != (want))                                                             \
			fail_msg("%s: expected %s, got %s", (tc)->dir, sigv4_status_name(want), \
				 sigv4_status_name(got_));                                      \
	} while (0)

/* Our signed request, then each tampering refused for its own reason. */
static void verify_ours(struct tcase *tc, const struct sigv4_signed *s, bool query_form)
{
	struct parsed p = tc->req;
	struct sigv4_verify_params vp = verify_params(tc, tc->when);
	bool omit_in_query = query_form && tc->omit_token && tc->params.session_token;

	if (query_form) {
		p.query = str_make(s->query.ptr, s->query.len);
	} else {
		for (size_t i = 0; i < s->n_headers; i++)
			p.h[p.n++] = s->headers[i];
	}
	/* An unsigned token in the query is part of what the verifier hashes. */
	expect_status(tc, &p, &vp, omit_in_query ? SIGV4_MISMATCH : SIGV4_OK);
	if (omit_in_query)
		return;

	struct parsed t = p;
	set_header(&t, "host", "evil.example.com");
	expect_status(tc, &t, &vp, SIGV4_MISMATCH);

	t = p;
	t.body = STR_LIT("tampered body");
	/*
	 * A declared digest is checked after the signature; UNSIGNED-PAYLOAD
	 * (declared, or implied by an S3 presigned URL) leaves the body free;
	 * otherwise the body's hash is part of the signature.
	 */
	struct str declared = STR_NULL;
	for (size_t i = 0; i < p.n; i++)
		if (str_ieq_cstr(p.h[i].name, "x-amz-content-sha256"))
			declared = p.h[i].value;
	enum sigv4_status body_status = SIGV4_MISMATCH;
	if (declared.len == 64)
		body_status = SIGV4_HASH_MISMATCH;
	else if (declared.len || tc->params.s3)
		body_status = SIGV4_OK;
	expect_status(tc, &t, &vp, body_status);

	struct sigv4_keyring wrong = {tc->keys.akid, "not-the-secret"}, none = {"nobody", "x"};
	vp.lookup_ctx = &wrong;
	expect_status(tc, &p, &vp, SIGV4_MISMATCH);
	vp.lookup_ctx = &none;
	expect_status(tc, &p, &vp, SIGV4_UNKNOWN_KEY);
	vp.lookup_ctx = &tc->keys;

	vp.now = tc->when - 16 * 60;
	expect_status(tc, &p, &vp, SIGV4_SKEW);
	if (query_form) {
		vp.now = tc->when + tc->params.expires;
		expect_status(tc, &p, &vp, SIGV4_OK);
		vp.now = tc->when + tc->params.expires + 1;
		expect_status(tc, &p, &vp, SIGV4_EXPIRED);
	} else {
		vp.now = tc->when + 15 * 60;
		expect_status(tc, &p, &vp, SIGV4_OK);
		vp.now = tc->when + 16 * 60;
		expect_status(tc, &p, &vp, SIGV4_SKEW);
	}
	vp.now = tc->when;
	vp.region = "eu-west-1";
	expect_status(tc, &p, &vp, SIGV4_WRONG_REGION);
}

/* The request signed by the reference (AWS's suite or botocore) verifies too. */
static void verify_reference(struct tcase *tc, const char *form, bool query_form)
{
	char file[64], expected[64];
	size_t len;
	struct parsed p;
	struct sigv4_result r;

	snprintf(file, sizeof(file), "%s-signed-request.txt", form);
	char *text = slurp(tc->dir, file, &len);
	if (!text)
		return;
	parse_request(text, len, &p);
	struct sigv4_request req = to_request(&p);
	struct sigv4_verify_params vp = verify_params(tc, tc->when + 60);
	sigv4_result_init(&r);
	assert_int_equal(sigv4_verify(&req, &vp, &r), 0);
	if (query_form && tc->omit_token && tc->params.session_token) {
		assert_int_equal(r.status, SIGV4_MISMATCH);
	} else {
		if (r.status != SIGV4_OK)
			fail_msg("%s/%s: %s: %s\n%s", tc->dir, file, sigv4_status_name(r.status),
				 r.message, r.canonical_request.ptr);
		assert_int_equal(r.presigned, query_form);
		assert_string_equal(r.access_key_id, tc->params.access_key_id);
		snprintf(expected, sizeof(expected), "%s-canonical-request.txt", form);
		expect_text(tc->dir, expected, r.canonical_request.ptr, r.canonical_request.len);
		snprintf(expected, sizeof(expected), "%s-string-to-sign.txt", form);
		expect_text(tc->dir, expected, r.string_to_sign.ptr, r.string_to_sign.len);
	}
	sigv4_result_release(&r);
	free(text);
}

/* Returns false when the case has no files for this form. */
static bool run_form(struct tcase *tc, bool query_form)
{
	const char *form = query_form ? "query" : "header";
	char file[64];
	struct stat st;
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s-signature.txt", tc->dir, form);
	if (stat(path, &st) != 0)
		return false;

	struct sigv4_request req = to_request(&tc->req);
	req.payload_hash = tc->payload_hash;
	struct sigv4_signed s;
	sigv4_signed_init(&s);
	int err = query_form ? sigv4_presign(&req, &tc->params, &s)
			     : sigv4_sign_headers(&req, &tc->params, &s);
	if (err)
		fail_msg("%s: signing failed: %s", tc->dir, err_str(err));
	snprintf(file, sizeof(file), "%s-canonical-request.txt", form);
	expect_text(tc->dir, file, s.canonical_request.ptr, s.canonical_request.len);
	snprintf(file, sizeof(file), "%s-string-to-sign.txt", form);
	expect_text(tc->dir, file, s.string_to_sign.ptr, s.string_to_sign.len);
	snprintf(file, sizeof(file), "%s-signature.txt", form);
	expect_text(tc->dir, file, s.signature, strlen(s.signature));

	verify_ours(tc, &s, query_form);
	sigv4_signed_release(&s);
	verify_reference(tc, form, query_form);
	return true;
}

static int dir_filter(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Run every case directory under `root`; returns the number of forms checked. */
static int run_suite(const char *root, int *cases)
{
	struct dirent **names;
	int n = scandir(root, &names, dir_filter, alphasort), forms = 0;

	assert_true(n > 0);
	*cases = 0;
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];
		struct stat st;
		snprintf(dir, sizeof(dir), "%s/%s", root, names[i]->d_name);
		free(names[i]);
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		struct tcase tc;
		load_case(&tc, dir);
		forms += run_form(&tc, false);
		forms += run_form(&tc, true);
		free_case(&tc);
		(*cases)++;
	}
	free(names);
	return forms;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_aws_suite(void **state)
{
	char root[PATH_MAX];
	const char *shared = getenv("SLUICE_SHARED");
	int cases;

	snprintf(root, sizeof(root), "%s/fixtures/aws-sigv4-test-suite/v4",
		 shared && shared[0] ? shared : "../shared");
	if (!is_dir(root)) {
		printf("test_sigv4: %s not found, AWS suite skipped\n", root);
		skip();
	}
	int forms = run_suite(root, &cases);
	printf("test_sigv4: AWS suite: %d cases, %d forms checked\n", cases, forms);
	assert_true(cases >= 38);
	assert_int_equal(forms, 2 * cases);
}

static void test_botocore_s3_cases(void **state)
{
	const char *root = "tests/fixtures/sigv4-s3";
	int cases;

	if (!is_dir(root)) {
		printf("test_sigv4: %s not found (run from the repository root)\n", root);
		skip();
	}
	int forms = run_suite(root, &cases);
	printf("test_sigv4: botocore S3 cases: %d\n", cases);
	assert_true(cases >= 12);
	assert_int_equal(forms, cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_botocore_s3_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
