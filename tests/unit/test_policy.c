/*
 * Unit tests for the policy engine (src/policy/policy.c, config.c) and the
 * rule helpers: the catalogue's shape, findings and their order, undecided
 * Fn::If, suppressions from Metadata (sluice, cfn_nag, checkov), the
 * .sluice-check.yaml file, and the --fail-on threshold.
 */
#include "core/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/rules/rules.h"

static struct template *load(const char *yaml)
{
	struct template *t = NULL;
	struct template_diag diag;
	int err = template_load_string("t.yaml", yaml, strlen(yaml), NULL, &t, &diag);

	if (err)
		fprintf(stderr, "load: %s\n", diag.msg);
	assert_int_equal(err, 0);
	return t;
}

/* Run the rules over `yaml`; the report is sorted. */
static void check(struct policy_report *rep, const char *yaml, const struct policy_config *cfg)
{
	struct template *t = load(yaml);

	policy_report_init(rep);
	assert_int_equal(policy_check_template(rep, t, cfg), 0);
	policy_report_sort(rep);
	template_free(t);
}

static const struct policy_finding *find(const struct policy_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->items[i].rule->id, id))
			return &rep->items[i];
	return NULL;
}

static void test_catalogue_shape(void **state)
{
	size_t n;
	const struct policy_rule *all = policy_rules(&n);

	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++) {
		const char *dash = strchr(all[i].id, '-');

		assert_non_null(dash);
		assert_int_equal(strlen(dash), 4);
		assert_non_null(all[i].title);
		assert_non_null(all[i].why);
		assert_non_null(all[i].fix);
		assert_non_null(all[i].check);
		assert_true(all[i].severity == POLICY_ERROR || all[i].severity == POLICY_WARNING);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(all[i].id, all[k].id);
	}
	assert_ptr_equal(policy_rule_find("S3-009"), &all[8]);
	assert_null(policy_rule_find("S3-999"));
	assert_null(policy_rule_find(NULL));
}

static void test_id_lists_and_glob(void **state)
{
	assert_true(policy_id_in_list("CKV_AWS_53,CKV_AWS_54", "CKV_AWS_54"));
	assert_true(policy_id_in_list("W35", "w35"));
	assert_false(policy_id_in_list("CKV_AWS_53,CKV_AWS_54", "CKV_AWS_5"));
	assert_false(policy_id_in_list(NULL, "W35"));
	assert_true(pr_glob("iam:Pass*", "iam:PassRole"));
	assert_true(pr_glob("*", "s3:GetObject"));
	assert_true(pr_glob("s3:*Object", "S3:getobject"));
	assert_false(pr_glob("s3:Get*", "s3:PutObject"));
	assert_true(pr_glob("a*b*c", "axxbyyc"));
	assert_false(pr_glob("a*b*c", "axxbyy"));
	assert_true(pr_secret_name("db_password"));
	assert_true(pr_secret_name("GitHubToken"));
	assert_false(pr_secret_name("TABLE_NAME"));
	assert_false(policy_severity_parse("fatal"));
	assert_int_equal(policy_severity_parse("warning"), POLICY_WARNING);
}

static const char *const bucket =
	"Resources:\n"
	"  Logs:\n"
	"    Type: AWS::S3::Bucket\n"
	"    Metadata:\n"
	"      sluice:\n"
	"        suppress:\n"
	"          - {id: S3-005, reason: written by the logging service only}\n"
	"          - {id: S3-001}\n"
	"      cfn_nag:\n"
	"        rules_to_suppress: [{id: W35, reason: the log bucket}]\n"
	"      checkov:\n"
	"        skip: [{id: CKV_AWS_21, comment: immutable logs}]\n";

static void test_findings_sorted_with_positions(void **state)
{
	struct policy_report rep;

	check(&rep, bucket, NULL);
	assert_true(rep.n >= 6);
	for (size_t i = 1; i < rep.n; i++) {
		const struct policy_finding *a = &rep.items[i - 1], *b = &rep.items[i];

		assert_true(a->line < b->line || (a->line == b->line && a->col <= b->col));
	}
	assert_string_equal(find(&rep, "S3-002")->file, "t.yaml");
	assert_int_equal(find(&rep, "S3-002")->line, 2);
	assert_int_equal(find(&rep, "S3-002")->col, 3);
	assert_string_equal(find(&rep, "S3-002")->resource, "Logs");
	assert_string_equal(find(&rep, "S3-002")->message,
			    "bucket 'Logs' declares no public access block; set "
			    "PublicAccessBlockConfiguration with all four flags true");
	policy_report_release(&rep);
}

static void test_metadata_suppressions(void **state)
{
	struct policy_report rep;
	const struct policy_finding *f;

	check(&rep, bucket, NULL);
	f = find(&rep, "S3-005");
	assert_true(f->suppressed);
	assert_string_equal(f->suppressed_by, "sluice");
	assert_string_equal(f->reason, "written by the logging service only");
	f = find(&rep, "S3-009");
	assert_true(f->suppressed);
	assert_string_equal(f->suppressed_by, "cfn_nag W35");
	f = find(&rep, "S3-008");
	assert_true(f->suppressed);
	assert_string_equal(f->suppressed_by, "checkov CKV_AWS_21");
	assert_string_equal(f->reason, "immutable logs");
	/* The entry without a reason suppresses, and is a finding itself. */
	assert_true(find(&rep, "S3-001")->suppressed);
	f = find(&rep, "SLUICE-001");
	assert_false(f->suppressed);
	assert_int_equal(f->line, 8);
	assert_false(find(&rep, "S3-002")->suppressed);
	assert_true(policy_report_fails(&rep, POLICY_ERROR));
	assert_int_equal(policy_report_count(&rep, POLICY_ERROR, true), 4);
	policy_report_release(&rep);
}

static void test_undecided_if_checks_both_branches(void **state)
{
	struct policy_report rep;
	static const char *const yaml =
		"Parameters:\n"
		"  Env: {Type: String}\n"
		"Conditions:\n"
		"  Prod: !Equals [!Ref Env, prod]\n"
		"Resources:\n"
		"  Fn:\n"
		"    Type: AWS::Lambda::Function\n"
		"    Properties:\n"
		"      Runtime: !If [Prod, python3.13, nodejs12.x]\n"
		"      ReservedConcurrentExecutions: !If [Prod, 5, !Ref AWS::NoValue]\n"
		"  Key:\n"
		"    Type: AWS::KMS::Key\n"
		"    Properties:\n"
		"      EnableKeyRotation: !If [Prod, true, true]\n";

	check(&rep, yaml, NULL);
	assert_non_null(find(&rep, "LAMBDA-001"));
	assert_int_equal(find(&rep, "LAMBDA-001")->line, 9);
	assert_non_null(strstr(find(&rep, "LAMBDA-001")->message, "nodejs12.x"));
	assert_non_null(find(&rep, "LAMBDA-005"));
	assert_null(find(&rep, "KMS-001"));
	policy_report_release(&rep);
}

static void test_false_condition_skips_resource(void **state)
{
	struct policy_report rep;
	static const char *const yaml = "Parameters:\n"
					"  Env: {Type: String, Default: dev}\n"
					"Conditions:\n"
					"  Prod: !Equals [!Ref Env, prod]\n"
					"Resources:\n"
					"  Topic:\n"
					"    Type: AWS::SNS::Topic\n"
					"    Condition: Prod\n";

	check(&rep, yaml, NULL);
	assert_int_equal(rep.n, 0);
	assert_false(policy_report_fails(&rep, POLICY_WARNING));
	policy_report_release(&rep);
}

static char *write_config(const char *text)
{
	static char path[] = "/tmp/sluice-test-policy-XXXXXX";
	int fd;

	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_disables_and_overrides(void **state)
{
	struct policy_config cfg;
	struct policy_report rep;
	char err[512] = "";
	char *path = write_config("rules:\n"
				  "  - {id: LOGS-001, enabled: false, reason: kept by the SIEM}\n"
				  "  - {id: LOGS-002, severity: error, reason: KMS everywhere}\n");

	policy_config_init(&cfg);
	assert_int_equal(policy_config_load(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(cfg.n, 2);
	check(&rep, "Resources:\n  L:\n    Type: AWS::Logs::LogGroup\n", &cfg);
	assert_true(find(&rep, "LOGS-001")->suppressed);
	assert_string_equal(find(&rep, "LOGS-001")->suppressed_by, ".sluice-check.yaml");
	assert_string_equal(find(&rep, "LOGS-001")->reason, "kept by the SIEM");
	assert_int_equal(find(&rep, "LOGS-002")->severity, POLICY_ERROR);
	assert_int_equal(policy_report_count(&rep, POLICY_ERROR, false), 1);
	policy_report_release(&rep);
	policy_config_release(&cfg);
	unlink(path);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"rules:\n  - id: S3-009\n    enabled: false\n", ":2: S3-009 needs a reason"},
		{"rules:\n  - {id: S3-999, enabled: false, reason: x}\n",
		 ":2: no such rule: S3-999"},
		{"rules:\n  - {id: S3-009, severity: fatal, reason: x}\n", "severity is error or"},
		{"rules:\n  - {id: S3-009, disabled: true, reason: x}\n", "unknown key 'disabled'"},
		{"rules: {S3-009: off}\n", "expected a map with a list 'rules'"},
		{"rules: [unclosed\n", "not valid YAML"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct policy_config cfg;
		char err[512] = "";
		char *path = write_config(cases[i].text);

		policy_config_init(&cfg);
		assert_int_equal(policy_config_load(&cfg, path, err, sizeof(err)), ERR_PARSE);
		assert_non_null(strstr(err, cases[i].msg));
		assert_int_equal(cfg.n, 0);
		policy_config_release(&cfg);
		unlink(path);
	}
}

static void test_implicit_role_suppressed_on_function(void **state)
{
	struct policy_report rep;
	static const char *const yaml =
		"Transform: AWS::Serverless-2016-10-31\n"
		"Resources:\n"
		"  Fn:\n"
		"    Type: AWS::Serverless::Function\n"
		"    Metadata:\n"
		"      sluice: {suppress: [{id: IAM-003, reason: tagging job}]}\n"
		"    Properties:\n"
		"      Runtime: python3.13\n"
		"      Handler: app.handler\n"
		"      CodeUri: src/\n"
		"      ReservedConcurrentExecutions: 1\n"
		"      Tracing: Active\n"
		"      DeadLetterQueue: {Type: SQS, TargetArn: arn:aws:sqs:eu-west-1:1:dlq}\n"
		"      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}\n"
		"      Policies:\n"
		"        - Statement:\n"
		"            - {Effect: Allow, Action: ec2:RebootInstances, Resource: '*'}\n";
	const struct policy_finding *f;

	check(&rep, yaml, NULL);
	f = find(&rep, "IAM-003");
	assert_non_null(f);
	assert_string_equal(f->resource, "FnRole");
	assert_true(f->suppressed);
	assert_string_equal(f->reason, "tagging job");
	assert_non_null(strstr(f->message, "(generated by SAM for 'Fn')"));
	assert_false(policy_report_fails(&rep, POLICY_WARNING));
	policy_report_release(&rep);
}

/* A finding carries the crosswalk ids of the condition that failed, and a
 * checkov skip of one id leaves the rule's other conditions reported. */
static void test_ids_per_condition(void **state)
{
	static const char *const yaml =
		"Resources:\n"
		"  Data:\n"
		"    Type: AWS::S3::Bucket\n"
		"    Metadata:\n"
		"      checkov:\n"
		"        skip: [{id: CKV_AWS_55, comment: ignored ACLs are fine here}]\n"
		"    Properties:\n"
		"      PublicAccessBlockConfiguration:\n"
		"        BlockPublicAcls: false\n"
		"        IgnorePublicAcls: false\n"
		"        BlockPublicPolicy: true\n"
		"        RestrictPublicBuckets: true\n";
	struct policy_report rep;
	size_t s3_002 = 0;

	(void)state;
	check(&rep, yaml, NULL);
	for (size_t i = 0; i < rep.n; i++) {
		const struct policy_finding *f = &rep.items[i];

		if (strcmp(f->rule->id, "S3-002"))
			continue;
		s3_002++;
		if (!strcmp(f->checkov, "CKV_AWS_53")) {
			assert_false(f->suppressed);
			assert_int_equal(f->line, 9);
		} else {
			assert_string_equal(f->checkov, "CKV_AWS_55");
			assert_true(f->suppressed);
			assert_string_equal(f->suppressed_by, "checkov CKV_AWS_55");
		}
		assert_string_equal(f->cfn_nag, "");
	}
	assert_int_equal(s3_002, 2);
	policy_report_release(&rep);
}

/* The stricter rules say so in the catalogue. */
static void test_stricter_rules(void **state)
{
	(void)state;
	assert_true(policy_rule_find("LAMBDA-001")->stricter);
	assert_non_null(strstr(policy_rule_find("LAMBDA-001")->why, "Stricter than checkov"));
	assert_true(policy_rule_find("EC2-005")->stricter);
	assert_false(policy_rule_find("S3-002")->stricter);
}

static void test_credential_patterns(void **state)
{
	static const char key_id[] = "export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n";
	static const char pem[] = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n";
	static const char arn[] = "arn:aws:iam::123456789012:role/AKIAlike";
	const char *what = NULL;

	(void)state;
	assert_true(pr_credential_in(key_id, strlen(key_id), &what));
	assert_non_null(what);
	assert_true(pr_credential_in(pem, strlen(pem), &what));
	assert_false(pr_credential_in(arn, strlen(arn), &what));
	assert_false(pr_credential_in("", 0, &what));
}

/* SECRET-001 to 004 share one walk; each finding names its own rule. */
static void test_secret_rules_share_a_walk(void **state)
{
	static const char *const yaml = "Parameters:\n"
					"  DbPassword: {Type: String, Default: hunter2}\n"
					"Resources:\n"
					"  Doc:\n"
					"    Type: AWS::SSM::Parameter\n"
					"    Properties:\n"
					"      Value: AKIAABCDEFGHIJKLMNOP\n"
					"      Description: \"-----BEGIN PRIVATE KEY-----\"\n";
	struct policy_report rep;

	(void)state;
	check(&rep, yaml, NULL);
	assert_non_null(find(&rep, "SECRET-001"));
	assert_non_null(find(&rep, "SECRET-003"));
	assert_int_equal(find(&rep, "SECRET-003")->line, 2);
	assert_non_null(find(&rep, "SECRET-004"));
	assert_ptr_equal(find(&rep, "SECRET-004")->rule, policy_rule_find("SECRET-004"));
	assert_null(find(&rep, "SECRET-002"));
	policy_report_release(&rep);
}

/* A boolean from a parameter may be off unless AllowedValues rule it out. */
static void test_may_be_off(void **state)
{
	static const char *const yaml =
		"Parameters:\n"
		"  Free: {Type: String}\n"
		"  OnlyTrue: {Type: String, AllowedValues: [\"true\"]}\n"
		"Resources:\n"
		"  A: {Type: T, Properties: {X: !Ref Free, Y: !Ref OnlyTrue, Z: true, W: false}}\n";
	struct template *t = load(yaml);
	const struct tval *props = template_resource(t, "A")->props, *hit;

	(void)state;
	assert_true(pr_may_be_off(t, props, "X", &hit));
	assert_false(pr_may_be_off(t, props, "Y", &hit));
	assert_false(pr_may_be_off(t, props, "Z", &hit));
	assert_true(pr_may_be_off(t, props, "W", &hit));
	assert_true(pr_may_be_off(t, props, "Missing", &hit));
	assert_null(hit);
	template_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue_shape),
		cmocka_unit_test(test_id_lists_and_glob),
		cmocka_unit_test(test_findings_sorted_with_positions),
		cmocka_unit_test(test_metadata_suppressions),
		cmocka_unit_test(test_undecided_if_checks_both_branches),
		cmocka_unit_test(test_false_condition_skips_resource),
		cmocka_unit_test(test_config_disables_and_overrides),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_implicit_role_suppressed_on_function),
		cmocka_unit_test(test_ids_per_condition),
		cmocka_unit_test(test_stricter_rules),
		cmocka_unit_test(test_credential_patterns),
		cmocka_unit_test(test_secret_rules_share_a_walk),
		cmocka_unit_test(test_may_be_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
