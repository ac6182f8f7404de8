/*
 * Unit tests for SigV4 (src/aws/sigv4.c). Two golden sets drive most of it:
 * AWS's signing test suite (../shared/fixtures/aws-sigv4-test-suite/v4, found
 * through $SLUICE_SHARED or ../shared) and our S3 cases produced by botocore
 * (tests/fixtures/sigv4-s3, see generate.py there). For every case and form
 * (header, query) we compare the canonical request, string to sign and
 * signature with the files, verify our signed request and the reference
 * signed request, and check that tampering is refused for the right reason.
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

#define MAX_TEST_HEADERS 64
#define SECRET		 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* ---- helpers ------------------------------------------------------------ */

struct keyring {
	const char *akid, *secret;
};

static const char *lookup(void *ctx, struct str akid)
{
	const struct keyring *k = ctx;
	return str_eq_cstr(akid, k->akid) ? k->secret : NULL;
}

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
	struct keyring keys;
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
		.lookup = lookup,
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

	struct keyring wrong = {tc->keys.akid, "not-the-secret"}, none = {"nobody", "x"};
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
	expect_status(tc, &p, &vp, SIGV4_MALFORMED);
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

/* ---- focused tests ------------------------------------------------------ */

static void test_signing_key(void **state)
{
	/* The worked example of AWS's "derive a signing key" documentation. */
	unsigned char key[32];
	char hex[65];
	assert_int_equal(sigv4_signing_key(SECRET, STR_LIT("20120215"), STR_LIT("us-east-1"),
					   STR_LIT("iam"), key),
			 0);
	hex_lower(hex, key, sizeof(key));
	assert_string_equal(hex,
			    "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");

	char long_secret[SIGV4_MAX_SECRET_LEN + 2];
	memset(long_secret, 'a', sizeof(long_secret) - 1);
	long_secret[sizeof(long_secret) - 1] = '\0';
	assert_int_equal(sigv4_signing_key(long_secret, STR_LIT("20120215"), STR_LIT("r"),
					   STR_LIT("s"), key),
			 ERR_INVAL);
	assert_int_equal(
		sigv4_signing_key(NULL, STR_LIT("20120215"), STR_LIT("r"), STR_LIT("s"), key),
		ERR_INVAL);
}

static void test_parse_authorization(void **state)
{
	struct sigv4_authz a;
	const char *why = NULL;
	struct str v = STR_LIT("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
			       "service/aws4_request, SignedHeaders=host;x-amz-date, "
			       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d"
			       "763fbf31");

	assert_int_equal(sigv4_parse_authorization(v, &a, &why), 0);
	assert_true(str_eq_cstr(a.access_key_id, "AKIDEXAMPLE"));
	assert_true(
		str_eq_cstr(a.credential, "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"));
	assert_true(str_eq_cstr(a.scope, "20150830/us-east-1/service/aws4_request"));
	assert_true(str_eq_cstr(a.date, "20150830"));
	assert_true(str_eq_cstr(a.region, "us-east-1"));
	assert_true(str_eq_cstr(a.service, "service"));
	assert_true(str_eq_cstr(a.signed_headers, "host;x-amz-date"));
	assert_true(str_eq_cstr(a.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8"
					     "aae1d763fbf31"));

	/* Any order, no spaces after commas. */
	struct str w = STR_LIT("AWS4-HMAC-SHA256 Signature=5fa00fa31553b73ebf1942676e86291e8372"
			       "ff2a2260956d9b8aae1d763fbf31,SignedHeaders=host,Credential=AKID/"
			       "20150830/us-east-1/s3/aws4_request");
	assert_int_equal(sigv4_parse_authorization(w, &a, &why), 0);
	assert_true(str_eq_cstr(a.service, "s3"));
	assert_true(str_eq_cstr(a.signed_headers, "host"));
}

#define SIG64 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
#define CRED  "Credential=AKID/20150830/us-east-1/service/aws4_request"

static const char *const bad_authz[][2] = {
	{"", "must start with"},
	{"AWS AKID:abc", "must start with"},
	{"AWS4-HMAC-SHA256", "must start with"},
	{"AWS4-HMAC-SHA1 " CRED ", SignedHeaders=host, Signature=" SIG64, "must start with"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host", "lacks Signature"},
	{"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" SIG64, "lacks Credential"},
	{"AWS4-HMAC-SHA256 " CRED ", Signature=" SIG64, "lacks SignedHeaders"},
	{"AWS4-HMAC-SHA256 " CRED ", " CRED ", SignedHeaders=host, Signature=" SIG64, "repeats"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" SIG64 ", Foo=bar",
	 "unknown component"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature", "without '='"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" SIG64 "0", "64 lowercase"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=5FA00FA31553B73EBF1942676E8629"
	 "1E8372FF2A2260956D9B8AAE1D763FBF31",
	 "64 lowercase"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date;host, Signature=" SIG64,
	 "sorted and unique"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;host, Signature=" SIG64,
	 "sorted and unique"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=Host, Signature=" SIG64, "invalid name"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;;x, Signature=" SIG64, "invalid name"},
	{"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=, Signature=" SIG64, "is empty"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, SignedHeaders=host, "
	 "Signature=" SIG64,
	 "AKID/date/region/service/aws4_request"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request/x, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "more than five"},
	{"AWS4-HMAC-SHA256 Credential=AKID/2015083/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "8 digits"},
	{"AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "access key id"},
	{"AWS4-HMAC-SHA256 Credential=AK ID/20150830/us-east-1/service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "access key id"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830//service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "invalid region"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/Service/aws4_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "invalid service"},
	{"AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws5_request, "
	 "SignedHeaders=host, Signature=" SIG64,
	 "aws4_request"},
};

static void test_parse_authorization_rejects(void **state)
{
	struct sigv4_authz a;

	for (size_t i = 0; i < ARRAY_SIZE(bad_authz); i++) {
		const char *why = NULL;
		int err = sigv4_parse_authorization(str_from(bad_authz[i][0]), &a, &why);
		if (err != ERR_PARSE || !why || !strstr(why, bad_authz[i][1]))
			fail_msg("case %zu (%s): err %d, reason '%s'", i, bad_authz[i][0], err,
				 why ? why : "(none)");
		assert_null(a.signature.ptr);
	}
	/* Too long, and too many signed headers. */
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_adds(&b, "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host"), 0);
	for (int i = 0; i < SIGV4_MAX_SIGNED_HEADERS; i++)
		assert_int_equal(buf_addf(&b, ";x-%03d", i), 0);
	assert_int_equal(buf_adds(&b, ", Signature=" SIG64), 0);
	const char *why = NULL;
	assert_int_equal(sigv4_parse_authorization(str_make(b.ptr, b.len), &a, &why), ERR_PARSE);
	assert_non_null(strstr(why, "too many"));
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host"), 0);
	while (b.len <= SIGV4_MAX_AUTHZ_LEN)
		assert_int_equal(buf_adds(&b, ";zzzzzzzz"), 0);
	assert_int_equal(sigv4_parse_authorization(str_make(b.ptr, b.len), &a, &why), ERR_PARSE);
	assert_non_null(strstr(why, "too long"));
	buf_release(&b);
}

/* A GET to example.amazonaws.com at the suite's time, with the suite's key. */
static struct sigv4_params base_params(bool s3)
{
	struct sigv4_params p = {
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = SECRET,
		.region = "us-east-1",
		.service = s3 ? "s3" : "service",
		.now = 1440938160, /* 2015-08-30T12:36:00Z */
		.s3 = s3,
		.expires = 3600,
	};
	return p;
}

static const struct sigv4_header host_header[] = {
	{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
};

/* Line `n` (0-based) of a canonical request. */
static struct str line_of(const struct buf *b, int n)
{
	struct str rest = str_make(b->ptr, b->len), line = STR_NULL;
	for (int i = 0; i <= n; i++)
		rest = str_split(rest, '\n', &line, NULL);
	return line;
}

static void test_canonical_uri_and_query(void **state)
{
	struct sigv4_params p = base_params(false);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/a%20b/./c//d/../e"),
		.query = STR_LIT("b=2&a=3&&a=1&c&%41=x+y&sp=%20~%7e"),
		.headers = host_header,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);

	/* Other services: normalised, then encoded a second time. */
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%2520b/c/e"));
	/* Decoded then encoded; '+' is a plus; sorted by key then value; bare key gets '='. */
	assert_true(
		str_eq_cstr(line_of(&s.canonical_request, 2), "A=x%2By&a=1&a=3&b=2&c=&sp=%20~~"));
	/* S3: the path keeps its segments and is encoded once. */
	p = base_params(true);
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%20b/./c//d/../e"));
	/* No normalisation for a non-S3 service that asks for none. */
	p = base_params(false);
	p.no_normalize_path = true;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/a%2520b/./c//d/../e"));
	/* Empty path is "/"; "/.." stays at the root. */
	req.path = STR_NULL;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/"));
	p.no_normalize_path = false;
	req.path = STR_LIT("/../../x/");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_true(str_eq_cstr(line_of(&s.canonical_request, 1), "/x/"));
	/* A bad escape in the query is the caller's error. */
	req.query = STR_LIT("a=%zz");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	assert_int_equal(s.canonical_request.len, 0);
	sigv4_signed_release(&s);
}

static void test_sign_headers_output(void **state)
{
	struct sigv4_params p = base_params(true);
	p.session_token = "TOKEN/+=";
	const struct sigv4_header hs[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("User-Agent"), STR_LIT("curl/8")},
		{STR_LIT("X-Amz-Date"), STR_LIT("19990101T000000Z")},
		{STR_LIT("Content-Type"), STR_LIT(" text/plain ")},
	};
	struct sigv4_request req = {
		.method = "PUT",
		.path = STR_LIT("/k"),
		.headers = hs,
		.n_headers = 4,
		.body = "hi",
		.body_len = 2,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), 0);
	assert_int_equal(s.n_headers, 4);
	assert_true(str_eq_cstr(s.headers[0].name, "X-Amz-Date"));
	assert_true(str_eq_cstr(s.headers[0].value, "20150830T123600Z"));
	assert_true(str_eq_cstr(s.headers[1].name, "X-Amz-Security-Token"));
	assert_true(str_eq_cstr(s.headers[1].value, "TOKEN/+="));
	assert_true(str_eq_cstr(s.headers[2].name, "x-amz-content-sha256"));
	assert_true(str_eq_cstr(s.headers[2].value, "8f434346648f6b96df89dda901c5176b10a6d83961dd"
						    "3c1ac88b59b2dc327aa4"));
	assert_true(str_eq_cstr(s.headers[3].name, "Authorization"));
	assert_string_equal(
		s.signed_headers.ptr,
		"content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
	char want[512];
	snprintf(want, sizeof(want),
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
		 "SignedHeaders=%s, Signature=%s",
		 s.signed_headers.ptr, s.signature);
	assert_true(str_eq_cstr(s.headers[3].value, want));
	/* The caller's X-Amz-Date and User-Agent are not signed; values are trimmed. */
	assert_non_null(strstr(s.canonical_request.ptr, "\ncontent-type:text/plain\n"));
	assert_null(strstr(s.canonical_request.ptr, "19990101"));
	assert_null(strstr(s.canonical_request.ptr, "user-agent"));

	/* Argument checks. */
	req.path = STR_LIT("/k?x=1");
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	req.path = STR_LIT("/k");
	p.region = NULL;
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	p.region = "us/east";
	assert_int_equal(sigv4_sign_headers(&req, &p, &s), ERR_INVAL);
	sigv4_signed_release(&s);
}

static void test_presign_limits(void **state)
{
	struct sigv4_params p = base_params(true);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/k"),
		.headers = host_header,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	sigv4_signed_init(&s);
	p.expires = 0;
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	p.expires = SIGV4_MAX_EXPIRES_SECONDS + 1;
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	p.expires = 60;
	req.query = STR_LIT("a=1&X-Amz-Signature=00");
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_INVAL);
	req.query = STR_LIT("a=1");
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	assert_true(str_has_prefix(str_make(s.query.ptr, s.query.len),
				   STR_LIT("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
					   "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&"
					   "X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&"
					   "X-Amz-SignedHeaders=host&a=1&X-Amz-Signature=")));
	assert_string_equal(s.payload_hash, "UNSIGNED-PAYLOAD");
	assert_int_equal(s.n_headers, 0);
	sigv4_signed_release(&s);
}

/* Sign `hs` with S3 rules and return the full header list to verify in `out`. */
static size_t signed_s3_request(struct sigv4_signed *s, const struct sigv4_header *hs, size_t n,
				struct sigv4_header *out, time_t now)
{
	struct sigv4_params p = base_params(true);
	p.now = now;
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = hs,
		.n_headers = n,
	};
	assert_int_equal(sigv4_sign_headers(&req, &p, s), 0);
	memcpy(out, hs, n * sizeof(*hs));
	memcpy(out + n, s->headers, s->n_headers * sizeof(*hs));
	return n + s->n_headers;
}

static enum sigv4_status verify_s3(const struct sigv4_header *hs, size_t n, struct str query,
				   time_t now, struct sigv4_result *r)
{
	static struct keyring keys = {"AKIDEXAMPLE", SECRET};
	struct sigv4_verify_params vp = {
		.region = "us-east-1",
		.service = "s3",
		.s3 = true,
		.now = now,
		.lookup = lookup,
		.lookup_ctx = &keys,
	};
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.query = query,
		.headers = hs,
		.n_headers = n,
	};
	assert_int_equal(sigv4_verify(&req, &vp, r), 0);
	return r->status;
}

static void test_verify_refusals(void **state)
{
	const time_t now = 1440938160;
	const struct sigv4_header hs[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("X-Custom"), STR_LIT("a")},
	};
	struct sigv4_header all[8];
	struct sigv4_signed s;
	struct sigv4_result r;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	size_t n = signed_s3_request(&s, hs, 2, all, now);

	assert_int_equal(verify_s3(all, n, STR_NULL, now, &r), SIGV4_OK);
	assert_string_equal(r.canonical_request.ptr, s.canonical_request.ptr);
	assert_string_equal(r.string_to_sign.ptr, s.string_to_sign.ptr);

	/* Unsigned headers may be added on the way; a signed one may not vanish. */
	all[n] = (struct sigv4_header){STR_LIT("Via"), STR_LIT("proxy")};
	assert_int_equal(verify_s3(all, n + 1, STR_NULL, now, &r), SIGV4_OK);
	assert_int_equal(verify_s3(all + 1, n - 1, STR_NULL, now, &r), SIGV4_MISMATCH);
	/* ...but S3 refuses an x-amz-* header outside the signature. */
	all[n] = (struct sigv4_header){STR_LIT("X-Amz-Acl"), STR_LIT("public-read")};
	assert_int_equal(verify_s3(all, n + 1, STR_NULL, now, &r), SIGV4_UNSIGNED_HEADER);
	assert_non_null(strstr(r.message, "X-Amz-Acl"));
	/* Not signed at all. */
	assert_int_equal(verify_s3(hs, 2, STR_NULL, now, &r), SIGV4_MISSING);
	/* Two mechanisms at once, or two Authorization headers. */
	assert_int_equal(verify_s3(all, n, STR_LIT("X-Amz-Algorithm=AWS4-HMAC-SHA256"), now, &r),
			 SIGV4_MALFORMED);
	all[n] = all[n - 1];
	assert_int_equal(verify_s3(all, n + 1, STR_NULL, now, &r), SIGV4_MALFORMED);
	/* A malformed header says why. */
	all[n - 1].value = STR_LIT("AWS4-HMAC-SHA256 Credential=x");
	assert_int_equal(verify_s3(all, n, STR_NULL, now, &r), SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "lacks SignedHeaders"));
	assert_int_equal(r.canonical_request.len, 0);
	sigv4_signed_release(&s);

	/* S3 needs x-amz-content-sha256 in the request. */
	n = signed_s3_request(&s, hs, 2, all, now);
	for (size_t i = 0; i < n; i++)
		if (str_ieq_cstr(all[i].name, "x-amz-content-sha256"))
			all[i].name = STR_LIT("x-amz-content-sha255");
	assert_int_equal(verify_s3(all, n, STR_NULL, now, &r), SIGV4_MALFORMED);

	/* Signed just before midnight, dated just after: scope and date disagree. */
	n = signed_s3_request(&s, hs, 2, all, 1440979190 /* 23:59:50 */);
	for (size_t i = 0; i < n; i++)
		if (str_ieq_cstr(all[i].name, "x-amz-date"))
			all[i].value = STR_LIT("20150831T000010Z");
	assert_int_equal(verify_s3(all, n, STR_NULL, 1440979210, &r), SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "credential date"));
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

/*
 * The presigner counts its own signing parameters against the verifier's
 * cap: 250 request parameters plus 6 signing ones still verify, one more is
 * refused up front instead of making a URL we would reject (found by
 * fuzz/fuzz_presign).
 */
static void test_presign_param_cap(void **state)
{
	struct sigv4_params p = base_params(true);
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = host_header,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	struct sigv4_result r;
	struct buf q;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	buf_init(&q, BUF_NOCAP);
	for (int i = 0; i < SIGV4_MAX_QUERY_PARAMS - 6; i++)
		assert_int_equal(buf_addf(&q, "%sp%d=%d", i ? "&" : "", i, i), 0);
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	assert_int_equal(verify_s3(host_header, 1, str_make(s.query.ptr, s.query.len), p.now, &r),
			 SIGV4_OK);
	assert_int_equal(buf_adds(&q, "&one=more"), 0);
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_TOOLARGE);
	/* With a session token the URL carries a seventh signing parameter. */
	p.session_token = "token";
	buf_truncate(&q, q.len - strlen("&one=more"));
	req.query = str_make(q.ptr, q.len);
	assert_int_equal(sigv4_presign(&req, &p, &s), ERR_TOOLARGE);
	buf_release(&q);
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

static void test_verify_presign_window(void **state)
{
	const time_t now = 1440938160;
	struct sigv4_params p = base_params(true);
	p.expires = SIGV4_MAX_EXPIRES_SECONDS;
	struct sigv4_request req = {
		.method = "GET",
		.path = STR_LIT("/bucket/key"),
		.headers = host_header,
		.n_headers = 1,
	};
	struct sigv4_signed s;
	struct sigv4_result r;
	sigv4_signed_init(&s);
	sigv4_result_init(&r);
	assert_int_equal(sigv4_presign(&req, &p, &s), 0);
	struct str q = str_make(s.query.ptr, s.query.len);
	assert_int_equal(verify_s3(host_header, 1, q, now + 604800, &r), SIGV4_OK);
	assert_true(r.presigned);
	assert_int_equal(verify_s3(host_header, 1, q, now + 604801, &r), SIGV4_EXPIRED);
	assert_int_equal(verify_s3(host_header, 1, q, now - 901, &r), SIGV4_SKEW);
	const struct sigv4_header meta[] = {
		{STR_LIT("Host"), STR_LIT("example.amazonaws.com")},
		{STR_LIT("x-amz-meta-owner"), STR_LIT("mallory")},
	};
	assert_int_equal(verify_s3(meta, 2, q, now, &r), SIGV4_UNSIGNED_HEADER);

	/* Past the 7-day cap is malformed, whatever the signature. */
	char *edited = str_dup(q);
	char *e = strstr(edited, "X-Amz-Expires=604800");
	assert_non_null(e);
	e[strlen("X-Amz-Expires=60480")] = '1';
	assert_int_equal(verify_s3(host_header, 1, str_from(edited), now, &r), SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "604800"));
	/* A repeated parameter, or a missing one. */
	free(edited);
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(buf_addf(&b, "%s&X-Amz-Date=20150830T123600Z", s.query.ptr), 0);
	assert_int_equal(verify_s3(host_header, 1, str_make(b.ptr, b.len), now, &r),
			 SIGV4_MALFORMED);
	assert_int_equal(verify_s3(host_header, 1, STR_LIT("X-Amz-Signature=" SIG64), now, &r),
			 SIGV4_MALFORMED);
	assert_non_null(strstr(r.message, "lacks X-Amz-Algorithm"));
	buf_release(&b);
	sigv4_result_release(&r);
	sigv4_signed_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_parse_authorization),
		cmocka_unit_test(test_parse_authorization_rejects),
		cmocka_unit_test(test_canonical_uri_and_query),
		cmocka_unit_test(test_sign_headers_output),
		cmocka_unit_test(test_presign_limits),
		cmocka_unit_test(test_verify_refusals),
		cmocka_unit_test(test_verify_presign_window),
		cmocka_unit_test(test_presign_param_cap),
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_botocore_s3_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
