/*
 * Unit tests for where a function's code is (src/local/dev_code.c) and which
 * runtimes run (src/local/dev_runtime.c): CodeUri folders relative to the
 * template, zips unpacked once by content with their executable bits, inline
 * code, CDK's asset metadata and manifest, the Serverless Framework's zips,
 * and the refusals (S3, images, inline code for a compiled runtime, Java).
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/dev_code.h"
#include "local/dev_runtime.h"

static char dir[PATH_MAX];

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* A shell command built from a literal format. */
#define RUN(...)                                           \
	do {                                               \
		char cmd_[PATH_MAX * 3];                   \
		snprintf(cmd_, sizeof(cmd_), __VA_ARGS__); \
		assert_int_equal(system(cmd_), 0);         \
	} while (0)

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/dev-code-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	RUN("mkdir -p %s/fn %s/cdk.out/asset.abc", dir, dir);
	return 0;
}

static int teardown(void **state)
{
	RUN("rm -rf %s", dir);
	return 0;
}

/* Locate the code of resource `id` of `yaml` (a template in `dir`). */
static int locate(const char *yaml, const char *id, const char *ext, struct dev_code *c, char *why,
		  size_t why_len)
{
	char name[PATH_MAX + 32], cache[PATH_MAX + 32];
	struct template *t = NULL;
	struct template_diag d;
	int err;

	snprintf(name, sizeof(name), "%s/template.yaml", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	assert_int_equal(template_load_string(name, yaml, strlen(yaml), NULL, &t, &d), 0);
	why[0] = '\0';
	err = dev_code_locate(t, template_resource(t, id), ext, cache, c, why, why_len);
	template_free(t);
	return err;
}

#define SAM                                                         \
	"Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n" \
	"    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: provided.al2023\n"
#define CFN "Resources:\n  F:\n    Type: AWS::Lambda::Function\n"

static void test_folder_and_zip(void **state)
{
	struct dev_code c, c2;
	char why[512], path[PATH_MAX + 64];
	struct stat st;

	write_file("fn/bootstrap", "#!/bin/sh\n", 0755);
	assert_int_equal(locate(SAM "      CodeUri: fn/\n", "F", NULL, &c, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/fn", dir);
	assert_string_equal(c.dir, path);
	assert_string_equal(c.watch, path);
	assert_string_equal(c.from, "CodeUri");
	dev_code_release(&c);

	RUN("cd %s/fn && zip -q ../fn.zip bootstrap", dir);
	assert_int_equal(locate(SAM "      CodeUri: fn.zip\n", "F", NULL, &c, why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/bootstrap", c.dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_mode & S_IXUSR); /* the executable bit survives */
	assert_int_equal(strlen(strrchr(c.dir, '/') + 1), 32);
	assert_int_equal(locate(SAM "      CodeUri: fn.zip\n", "F", NULL, &c2, why, sizeof(why)),
			 0);
	assert_string_equal(c.dir, c2.dir); /* the same content, the same folder */
	dev_code_release(&c);
	dev_code_release(&c2);

	assert_int_equal(locate(SAM "      CodeUri: missing/\n", "F", NULL, &c, why, sizeof(why)),
			 ERR_IO);
	assert_non_null(strstr(why, "missing: No such file or directory"));
	assert_null(c.dir);
	write_file("bad.zip", "not a zip", 0644);
	assert_int_equal(locate(SAM "      CodeUri: bad.zip\n", "F", NULL, &c, why, sizeof(why)),
			 ERR_IO);
	assert_non_null(strstr(why, "unzip failed"));
}

static void test_inline_and_refusals(void **state)
{
	struct dev_code c;
	char why[512], path[PATH_MAX + 64];
	FILE *f;

	assert_int_equal(locate(CFN
				"    Properties: {Code: {ZipFile: 'def handler(e, c): pass'}}\n",
				"F", ".py", &c, why, sizeof(why)),
			 0);
	snprintf(path, sizeof(path), "%s/index.py", c.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	fclose(f);
	dev_code_release(&c);
	assert_int_equal(locate(SAM "      InlineCode: x\n", "F", NULL, &c, why, sizeof(why)),
			 ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "F: inline code"));
	assert_int_equal(
		locate(SAM "      CodeUri: s3://b/k.zip\n", "F", NULL, &c, why, sizeof(why)),
		ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "F: its code is in S3 (s3://b/k.zip)"));
	assert_int_equal(
		locate(SAM "      CodeUri: {Bucket: b, Key: k}\n", "F", NULL, &c, why, sizeof(why)),
		ERR_UNSUPPORTED);
	assert_int_equal(locate(SAM "      PackageType: Image\n      ImageUri: x\n", "F", NULL, &c,
				why, sizeof(why)),
			 ERR_UNSUPPORTED);
	assert_non_null(strstr(why, "container image"));
	assert_int_equal(locate(CFN "    Properties: {Code: {S3Bucket: b, S3Key: k.zip}}\n", "F",
				NULL, &c, why, sizeof(why)),
			 ERR_UNSUPPORTED);
	assert_int_equal(locate(SAM, "F", NULL, &c, why, sizeof(why)), ERR_NOTFOUND);
}

static void test_cdk_and_serverless(void **state)
{
	struct dev_code c;
	char why[512], path[PATH_MAX + 64];

	/* CDK: the metadata, else the assets manifest by objectKey. */
	assert_int_equal(locate(CFN "    Metadata: {aws:asset:path: cdk.out/asset.abc}\n"
				    "    Properties: {Code: {S3Bucket: b, S3Key: abc.zip}}\n",
				"F", NULL, &c, why, sizeof(why)),
			 0);
	assert_string_equal(c.from, "aws:asset:path");
	dev_code_release(&c);
	write_file("App.assets.json",
		   "{\"files\": {\"abc\": {\"source\": {\"path\": \"cdk.out/asset.abc\", "
		   "\"packaging\": \"zip\"}, \"destinations\": {\"d\": {\"objectKey\": "
		   "\"abc.zip\"}}}}}",
		   0644);
	assert_int_equal(locate(CFN "    Properties: {Code: {S3Bucket: !Sub 'x-${AWS::Region}', "
				    "S3Key: abc.zip}}\n",
				"F", NULL, &c, why, sizeof(why)),
			 0);
	snprintf(path, sizeof(path), "%s/cdk.out/asset.abc", dir);
	assert_string_equal(c.dir, path);
	dev_code_release(&c);

	/* Serverless: the S3Key's file name beside the template, else the state file's. */
	RUN("cd %s/fn && zip -q ../svc.zip bootstrap", dir);
	assert_int_equal(
		locate(CFN "    Properties: {Code: {S3Bucket: !Ref B, S3Key: "
			   "serverless/svc/dev/1-2/svc.zip}}\n  B:\n    Type: AWS::S3::Bucket\n",
		       "F", NULL, &c, why, sizeof(why)),
		0);
	assert_string_equal(c.from, "the Serverless package");
	dev_code_release(&c);
	write_file(
		"serverless-state.json",
		"{\"service\": {\"package\": {\"artifact\": \"/elsewhere/.serverless/svc.zip\"}}}",
		0644);
	assert_int_equal(
		locate(CFN "    Properties: {Code: {S3Bucket: !Ref B, S3Key: !Ref K}}\n"
			   "  B:\n    Type: AWS::S3::Bucket\nParameters:\n  K: {Type: String}\n",
		       "F", NULL, &c, why, sizeof(why)),
		0);
	dev_code_release(&c);
}

static void test_template_dir_and_runtimes(void **state)
{
	char out[64], why[256];

	assert_int_equal(dev_code_template_dir("template.yaml", out, sizeof(out)), 0);
	assert_string_equal(out, ".");
	assert_int_equal(dev_code_template_dir("cdk.out/App.template.json", out, sizeof(out)), 0);
	assert_string_equal(out, "cdk.out");
	assert_int_equal(dev_code_template_dir("/t.yaml", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(dev_code_template_dir("a/b/c/t.yaml", out, 3), ERR_TOOLARGE);

	assert_int_equal(dev_runtime_lang("provided.al2023", why, sizeof(why)), DEV_LANG_PROVIDED);
	assert_int_equal(dev_runtime_lang("nodejs18.x", why, sizeof(why)), DEV_LANG_NODE);
	assert_int_equal(dev_runtime_lang("nodejs22.x", why, sizeof(why)), DEV_LANG_NODE);
	assert_int_equal(dev_runtime_lang("python3.9", why, sizeof(why)), DEV_LANG_PYTHON);
	assert_int_equal(dev_runtime_lang("python3.13", why, sizeof(why)), DEV_LANG_PYTHON);
	assert_int_equal(dev_runtime_lang("java21", why, sizeof(why)), DEV_LANG_NONE);
	assert_string_equal(why,
			    "Runtime java21 cannot run here: Java runs on the JVM, which the local "
			    "cloud does not run");
	assert_int_equal(dev_runtime_lang("dotnet8", why, sizeof(why)), DEV_LANG_NONE);
	assert_int_equal(dev_runtime_lang("ruby3.3", why, sizeof(why)), DEV_LANG_NONE);
	assert_int_equal(dev_runtime_lang("nodejs16.x", why, sizeof(why)), DEV_LANG_NONE);
	assert_int_equal(dev_runtime_lang(NULL, why, sizeof(why)), DEV_LANG_NONE);
	assert_string_equal(dev_runtime_inline_ext(DEV_LANG_PYTHON), ".py");
	assert_null(dev_runtime_inline_ext(DEV_LANG_PROVIDED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_and_zip),
		cmocka_unit_test(test_inline_and_refusals),
		cmocka_unit_test(test_cdk_and_serverless),
		cmocka_unit_test(test_template_dir_and_runtimes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
