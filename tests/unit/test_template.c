/*
 * The template model (src/template/): positions, every intrinsic in short
 * and long form, conditions and undecided Fn::If, parameter overrides and
 * files, the SAM expansion (Globals, implicit role with policy templates,
 * implicit APIs and routes, SimpleTable), and the exact message of each
 * unreadable template. Fixtures are in tests/fixtures/templates/.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "template/template.h"

#define DIR "tests/fixtures/templates/"

static struct template *load(const char *file, const struct template_params *p)
{
	struct template_diag d;
	struct template *t = NULL;
	int err = template_load(file, p, &t, &d);

	if (err)
		fail_msg("%s: %s (%s)", file, d.msg, err_name(err));
	return t;
}

static const struct tval *prop(const struct template *t, const char *id, const char *path)
{
	const struct template_resource *r = template_resource(t, id);

	assert_non_null(r);
	return tval_get_path(r->props, path);
}

static void assert_str(const struct tval *v, const char *s)
{
	assert_non_null(v);
	assert_int_equal(v->kind, TVAL_STRING);
	assert_string_equal(v->text, s);
}

static void test_positions(void **state)
{
	struct template *t = load(DIR "intrinsics.yaml", NULL);
	const struct template_resource *r = template_resource(t, "Data");
	const struct tval_pair *p = tval_get_pair(r->props, "BucketName");

	(void)state;
	assert_string_equal(r->pos.file, DIR "intrinsics.yaml");
	assert_int_equal(r->pos.line, 32);
	assert_int_equal(r->pos.col, 3);
	assert_string_equal(r->type, "AWS::S3::Bucket");
	assert_string_equal(r->deletion_policy, "Retain");
	assert_int_equal(p->key_pos.line, 36);
	assert_int_equal(p->key_pos.col, 7);
	/* The value's position is the !Sub tag's. */
	assert_int_equal(p->val->pos.line, 36);
	assert_int_equal(p->val->pos.col, 19);
	assert_int_equal(template_param(t, "Env")->pos.line, 4);
	assert_int_equal(t->nres, 3);
	assert_string_equal(t->res[1].id, "Queue");
	assert_string_equal(t->res[2].id, "Topic");
	assert_int_equal(t->res[2].ndepends, 1);
	assert_string_equal(t->res[2].depends_on[0], "Data");
	template_free(t);
}

static void test_intrinsics(void **state)
{
	struct template *t = load(DIR "intrinsics.yaml", NULL);
	const struct tval *v;
	long long n;

	(void)state;
	v = prop(t, "Data", "BucketName");
	assert_str(v, "${AWS::StackName}-data-dev");
	assert_true(v->flags & TVAL_F_PARTIAL);
	assert_true(v->flags & TVAL_F_SUB);
	v = prop(t, "Data", "Literal");
	assert_str(v, "${NotAVar}-aws.amazonaws.com");
	assert_false(v->flags & TVAL_F_PARTIAL);
	assert_str(prop(t, "Data", "SubList"), "arn:aws:s3:::dev/*");
	assert_str(prop(t, "Data", "Joined"), "a-dev-subnet-b");
	v = prop(t, "Data", "LongJoin");
	assert_str(v, "x:${Data}");
	assert_true(v->flags & TVAL_F_JOIN);
	assert_str(prop(t, "Data", "Selected"), "p");
	assert_str(prop(t, "Data", "Size"), "small");
	v = prop(t, "Data", "Imported");
	assert_int_equal(v->kind, TVAL_UNKNOWN);
	assert_int_equal(v->unk, TUNK_IMPORT);
	assert_string_equal(v->ref, "shared-vpc");
	assert_str(prop(t, "Data", "Encoded"), "hello");
	assert_int_equal(prop(t, "Data", "Zones")->unk, TUNK_GETAZS);
	v = prop(t, "Data", "Arn");
	assert_int_equal(v->unk, TUNK_GETATT);
	assert_string_equal(v->ref, "Queue");
	assert_string_equal(v->attr, "Arn");
	assert_string_equal(v->text, "!GetAtt Queue.Arn");
	v = prop(t, "Data", "ArnList");
	assert_string_equal(v->ref, "Queue");
	assert_string_equal(v->attr, "QueueName");
	assert_null(prop(t, "Data", "Dropped")); /* AWS::NoValue */
	v = prop(t, "Data", "Password");	 /* NoEcho, no default */
	assert_int_equal(v->kind, TVAL_UNKNOWN);
	assert_int_equal(v->unk, TUNK_PARAM);
	assert_true(v->flags & TVAL_F_NOECHO);
	v = prop(t, "Data", "Days");
	assert_int_equal(tval_int(v, &n), 0);
	assert_int_equal(n, 30);
	assert_true(v->flags & TVAL_F_PARAM);
	assert_true(v->flags & TVAL_F_DEFAULT);
	assert_string_equal(v->param, "Retention");
	v = t->outputs[0].value;
	assert_int_equal(v->unk, TUNK_GETATT);
	assert_string_equal(t->outputs[0].export_name, "dev-bucket");
	template_free(t);
}

static void test_conditions(void **state)
{
	struct template *t = load(DIR "intrinsics.yaml", NULL);

	(void)state;
	assert_int_equal(template_condition(t, "IsProd")->value, TCOND_FALSE);
	assert_int_equal(template_condition(t, "IsDev")->value, TCOND_TRUE);
	assert_int_equal(template_condition(t, "NotProd")->value, TCOND_TRUE);
	assert_int_equal(template_condition(t, "InUsEast")->value, TCOND_UNKNOWN);
	assert_int_equal(template_condition(t, "ProdOrEast")->value, TCOND_UNKNOWN);
	assert_int_equal(template_condition(t, "DevAndEast")->value, TCOND_UNKNOWN);
	assert_int_equal(template_resource(t, "Queue")->cond_value, TCOND_FALSE);
	assert_int_equal(template_resource(t, "Topic")->cond_value, TCOND_UNKNOWN);
	assert_int_equal(template_resource(t, "Data")->cond_value, TCOND_TRUE);
	/* Fn::If on a false condition with NoValue removes the key. */
	assert_null(prop(t, "Data", "Versioning"));
	template_free(t);
}

static int collect(const struct tval *alt, void *ctx)
{
	const char **out = ctx;

	while (*out)
		out++;
	*out = alt ? alt->text : "(absent)";
	return 0;
}

static void test_if_choice(void **state)
{
	struct template *t = load(DIR "intrinsics.yaml", NULL);
	const struct tval *v = prop(t, "Data", "Owner"), *alts[4];
	const char *seen[8] = {0};

	(void)state;
	assert_int_equal(v->kind, TVAL_CHOICE);
	assert_string_equal(v->cond, "InUsEast");
	assert_int_equal(tval_alts(v, alts, 4), 2);
	assert_string_equal(alts[0]->text, "east");
	assert_string_equal(alts[1]->text, "other");
	assert_null(tval_get_path(t->res[0].props, "Owner.x"));
	/* A list item present in one branch only. */
	v = prop(t, "Data", "Items");
	assert_int_equal(v->n, 2);
	assert_str(v->items[0], "one");
	assert_int_equal(tval_each(v, "1", collect, seen), 0);
	assert_string_equal(seen[0], "(absent)");
	assert_string_equal(seen[1], "three");
	assert_null(seen[2]);
	assert_true(tval_is_absent(v->items[1]->items[0]));
	template_free(t);
}

static void test_param_overrides(void **state)
{
	struct template_params p;
	struct template *t;
	const struct tval *v;

	(void)state;
	template_params_init(&p);
	assert_int_equal(template_params_set_kv(&p, "Env=prod"), 0);
	assert_int_equal(template_params_set_kv(&p, "Subnets=x,y"), 0);
	assert_int_equal(template_params_set_kv(&p, "novalue"), ERR_INVAL);
	t = load(DIR "intrinsics.yaml", &p);
	assert_int_equal(template_condition(t, "IsProd")->value, TCOND_TRUE);
	assert_int_equal(template_resource(t, "Queue")->cond_value, TCOND_TRUE);
	assert_str(prop(t, "Data", "Size"), "large");
	assert_str(prop(t, "Data", "Joined"), "a-prod-y");
	assert_str(prop(t, "Data", "Versioning.Status"), "Enabled");
	v = prop(t, "Data", "SubList");
	assert_str(v, "arn:aws:s3:::prod/*");
	assert_true(template_param(t, "Env")->overridden);
	assert_false(template_param(t, "Retention")->overridden);
	assert_true(prop(t, "Data", "BucketName")->flags & TVAL_F_PARTIAL);
	template_free(t);
	template_params_release(&p);
}

static void test_json_template(void **state)
{
	struct template *t = load(DIR "cfn.json", NULL);
	const struct template_resource *r = template_resource(t, "Key");
	const struct tval *v = tval_get(r->props, "EnableKeyRotation");

	(void)state;
	assert_int_equal(r->pos.line, 12);
	assert_int_equal(r->pos.col, 6);
	assert_int_equal(v->kind, TVAL_CHOICE);
	assert_true(tval_is_true(v->items[0]));
	assert_true(tval_is_false(v->items[1]));
	assert_str(tval_get(r->props, "Description"), "key for dev");
	assert_int_equal(template_resource(t, "Logs")->cond_value, TCOND_FALSE);
	assert_string_equal(tval_scalar(prop(t, "Logs", "RetentionInDays")), "7");
	template_free(t);
}

static void check_params_file(const char *file)
{
	struct template_params p;
	struct template_diag d;
	struct template *t;
	long long days;
	const struct tval *v;

	template_params_init(&p);
	assert_int_equal(template_params_load_file(&p, file, &d), 0);
	assert_int_equal(p.n, 2);
	t = load(DIR "cfn.json", &p);
	assert_int_equal(template_condition(t, "IsProd")->value, TCOND_TRUE);
	assert_int_equal(tval_int(prop(t, "Logs", "RetentionInDays"), &days), 0);
	assert_int_equal(days, 365);
	v = template_param(t, "Cidrs")->value;
	assert_int_equal(v->kind, TVAL_SEQ);
	assert_int_equal(v->n, 2);
	assert_str(v->items[1], "10.2.0.0/16");
	template_free(t);
	template_params_release(&p);
}

static void test_params_files(void **state)
{
	struct template_params p;
	struct template_diag d;

	(void)state;
	check_params_file(DIR "params-cfn.json");
	check_params_file(DIR "params-plain.json");
	template_params_init(&p);
	assert_int_equal(template_params_load_file(&p, DIR "params-bad.json", &d), ERR_PARSE);
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.msg, DIR "params-bad.json:2:"));
	assert_int_equal(template_params_load_file(&p, DIR "absent.json", &d), ERR_NOTFOUND);
	assert_string_equal(d.msg, DIR "absent.json: no such file");
	template_params_release(&p);
}

static void test_sam_globals(void **state)
{
	struct template *t = load(DIR "sam.yaml", NULL);
	struct template_function f;
	const struct tval *env;

	(void)state;
	assert_true(t->sam);
	assert_int_equal(template_function_info(template_resource(t, "ObjectsFunction"), &f), 0);
	assert_string_equal(f.runtime, "provided.al2023");
	assert_string_equal(f.handler, "bootstrap");
	assert_string_equal(f.code_uri, "build/objects/");
	assert_int_equal(f.timeout, 30);      /* its own value wins */
	assert_int_equal(f.memory_size, 256); /* from Globals */
	assert_int_equal(f.reserved_concurrency, 5);
	env = f.environment;
	assert_int_equal(env->n, 3);
	assert_str(tval_get(env, "STAGE"), "dev");
	assert_int_equal(tval_get(env, "BUCKET")->unk, TUNK_REF);
	assert_string_equal(tval_get(env, "BUCKET")->ref, "Bucket");
	/* A Globals value keeps the position where Globals sets it. */
	assert_int_equal(
		tval_get(template_resource(t, "ObjectsFunction")->props, "MemorySize")->pos.line,
		12);
	assert_int_equal(template_function_info(template_resource(t, "AdminFunction"), &f), 0);
	assert_int_equal(f.timeout, 10);
	assert_int_equal(f.reserved_concurrency, -1);
	assert_int_equal(template_function_info(template_resource(t, "Bucket"), &f), ERR_INVAL);
	template_free(t);
}

static const struct tval *policy_stmt(const struct tval *role, size_t policy)
{
	const struct tval *p = tval_get(role, "Policies");

	assert_non_null(p);
	assert_true(policy < p->n);
	return tval_get_path(p->items[policy], "PolicyDocument.Statement.0");
}

static void test_sam_role(void **state)
{
	struct template *t = load(DIR "sam.yaml", NULL);
	const struct template_resource *r = template_resource(t, "ObjectsFunctionRole");
	const struct tval *arns, *st, *res;

	(void)state;
	assert_non_null(r);
	assert_true(r->implicit);
	assert_string_equal(r->origin, "ObjectsFunction");
	assert_string_equal(r->type, "AWS::IAM::Role");
	assert_int_equal(r->pos.line, 23);
	/* It follows its function in document order. */
	assert_string_equal(t->res[1].id, "ObjectsFunctionRole");
	assert_str(
		tval_get_path(r->props, "AssumeRolePolicyDocument.Statement.0.Principal.Service.0"),
		"lambda.amazonaws.com");
	arns = tval_get(r->props, "ManagedPolicyArns");
	assert_int_equal(arns->n, 4);
	assert_str(arns->items[0],
		   "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole");
	assert_str(arns->items[1], "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
	assert_str(arns->items[2], "arn:aws:iam::123456789012:policy/Custom");
	assert_str(arns->items[3], "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess");
	/* S3CrudPolicy: SAM's actions, scoped to the bucket and its objects. */
	st = policy_stmt(r->props, 0);
	assert_str(tval_get(st, "Effect"), "Allow");
	assert_int_equal(tval_get(st, "Action")->n, 9);
	assert_str(tval_get_path(st, "Action.4"), "s3:PutObject");
	res = tval_get(st, "Resource");
	assert_str(res->items[0], "arn:aws:s3:::${Bucket}");
	assert_str(res->items[1], "arn:aws:s3:::${Bucket}/*");
	assert_int_equal(res->items[0]->pos.line, 34); /* the policy template entry */
	/* DynamoDBReadPolicy on the table and its indexes. */
	st = policy_stmt(r->props, 1);
	assert_int_equal(tval_get(st, "Action")->n, 5);
	assert_str(tval_get_path(st, "Resource.1"),
		   "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Messages}/index/*");
	st = policy_stmt(r->props, 2);
	assert_str(tval_get_path(st, "Action.0"), "sqs:SendMessage*");
	assert_str(tval_get(st, "Resource"),
		   "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}");
	/* The inline statement is kept with its own positions. */
	st = policy_stmt(r->props, 3);
	assert_str(tval_get(st, "Resource"), "*");
	assert_int_equal(tval_get(st, "Resource")->pos.line, 45);
	assert_str(tval_get_path(r->props, "Policies.3.PolicyName"), "ObjectsFunctionRolePolicy5");
	/* A function with Role gets no implicit role. */
	assert_null(template_resource(t, "AdminFunctionRole"));
	assert_str(prop(t, "AdminFunctionUrl", "AuthType"), "NONE");
	assert_str(prop(t, "AdminFunctionUrlPublicPermissions", "Principal"), "*");
	assert_int_equal(t->outputs[1].value->unk, TUNK_GETATT);
	template_free(t);
}

static void test_sam_routes(void **state)
{
	struct template *t = load(DIR "sam.yaml", NULL);
	const struct template_route *r = t->routes;

	(void)state;
	assert_int_equal(t->nroutes, 4);
	assert_int_equal(r[0].kind, TAPI_REST);
	assert_string_equal(r[0].method, "GET");
	assert_string_equal(r[0].path, "/objects/{key}");
	assert_string_equal(r[0].api, "ServerlessRestApi");
	assert_string_equal(r[0].authorizer, "AWS_IAM"); /* Globals.Api DefaultAuthorizer */
	assert_string_equal(r[0].function, "ObjectsFunction");
	assert_string_equal(r[0].event, "GetObject");
	assert_int_equal(r[0].pos.line, 47);
	assert_string_equal(r[1].method, "OPTIONS");
	assert_null(r[1].authorizer); /* Authorizer: NONE */
	assert_int_equal(r[2].kind, TAPI_HTTP);
	assert_string_equal(r[2].api, "ServerlessHttpApi");
	assert_string_equal(r[2].path, "/health");
	assert_null(r[2].authorizer);
	assert_string_equal(r[3].path, "$default");
	assert_string_equal(r[3].method, "ANY");
	assert_string_equal(r[3].function, "AdminFunction");
	assert_true(template_resource(t, "ServerlessRestApi")->implicit);
	assert_str(prop(t, "ServerlessRestApi", "StageName"), "Prod");
	assert_string_equal(template_resource(t, "ServerlessHttpApi")->type,
			    "AWS::Serverless::HttpApi");
	assert_str(t->outputs[0].value,
		   "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/");
	template_free(t);
}

static void test_sam_simple_table(void **state)
{
	struct template *t = load(DIR "sam.yaml", NULL);
	const struct template_resource *r = template_resource(t, "Messages");

	(void)state;
	assert_string_equal(r->type, "AWS::DynamoDB::Table");
	assert_string_equal(r->sam_type, "AWS::Serverless::SimpleTable");
	assert_false(r->implicit);
	assert_str(tval_get_path(r->props, "KeySchema.0.AttributeName"), "pk");
	assert_str(tval_get_path(r->props, "KeySchema.0.KeyType"), "HASH");
	assert_str(tval_get_path(r->props, "AttributeDefinitions.0.AttributeType"), "S");
	assert_str(tval_get(r->props, "BillingMode"), "PAY_PER_REQUEST");
	assert_str(tval_get_path(r->props, "Tags.0.Key"), "team");
	assert_str(tval_get_path(r->props, "Tags.0.Value"), "core");
	template_free(t);
}

static const struct {
	const char *file;
	const char *msg;
} bad[] = {
	{"unknown-tag.yaml", "6:19: unknown intrinsic function !Concat"},
	{"unknown-fn.json", "5:36: unknown intrinsic function Fn::Concat"},
	{"duplicate-key.yaml", "6:7: duplicate key 'BucketName'"},
	{"duplicate-key.json", "3:4: duplicate key 'Bucket'"},
	{"missing-ref.yaml",
	 "5:18: Ref to QueueNameParam, which is neither a parameter nor a resource"},
	{"missing-sub-var.yaml",
	 "8:18: Fn::Sub variable ${Service} names no parameter, resource or variable"},
	{"missing-getatt.yaml", "6:30: Fn::GetAtt names no resource DeadLetters"},
	{"join-arity.yaml", "5:18: Fn::Join expects [delimiter, [values]]"},
	{"if-arity.yaml", "7:18: Fn::If expects [condition, value if true, value if false]"},
	{"not-yaml.yaml",
	 "4:30: not valid YAML or JSON: double-quoted scalar without closing quote"},
	{"no-type.yaml", "2:3: resource Queue has no Type"},
	{"sam-template-param.yaml", "8:11: SAM policy template S3ReadPolicy needs BucketName"},
};

static void test_unreadable(void **state)
{
	char path[256], want[512];
	struct template_diag d;
	struct template *t;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(path, sizeof(path), DIR "bad/%s", bad[i].file);
		snprintf(want, sizeof(want), "%s:%s", path, bad[i].msg);
		t = (struct template *)1;
		assert_int_equal(template_load(path, NULL, &t, &d), ERR_PARSE);
		assert_null(t);
		assert_string_equal(d.msg, want);
		assert_string_equal(d.file, path);
		assert_true(d.line > 0);
	}
	assert_int_equal(template_load(DIR "not-a-template.yaml", NULL, &t, &d), ERR_UNSUPPORTED);
	assert_string_equal(d.msg, DIR "not-a-template.yaml: not a CloudFormation template");
	assert_int_equal(d.line, 0);
	assert_int_equal(template_load(DIR "nope.yaml", NULL, &t, &d), ERR_NOTFOUND);
	assert_string_equal(d.msg, DIR "nope.yaml: no such file");
}

static void test_load_string(void **state)
{
	static const char ok[] = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
				 "    Properties: {Flag: \"True\", N: 0x1F, Q: '42', L: [a]}\n";
	static const char cyc[] = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n"
				  "Resources:\n  X: {Type: T}\n";
	static const char alias[] = "a: &x 1\nResources: {B: {Type: T, P: *x}}\n";
	static const char pif[] = "Conditions: {E: !Equals [!Ref AWS::Region, x]}\nResources:\n"
				  "  B:\n    Type: AWS::S3::Bucket\n    Properties: !If [E, "
				  "{Versioning: {Status: Enabled}}, {}]\n";
	const char *seen[8] = {0};
	struct template_diag d;
	struct template *t;
	const struct tval *v, *list[4];
	long long n;

	(void)state;
	assert_int_equal(template_load_string("mem.yaml", ok, strlen(ok), NULL, &t, &d), 0);
	assert_string_equal(t->path, "mem.yaml");
	v = prop(t, "B", "Flag");
	assert_true(tval_is_true(v)); /* the string "True" counts */
	v = prop(t, "B", "N");
	assert_int_equal(v->kind, TVAL_NUMBER);
	assert_true(v->num == 31.0);
	v = prop(t, "B", "Q");
	assert_int_equal(v->kind, TVAL_STRING); /* quoted stays a string */
	assert_int_equal(tval_int(v, &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(tval_as_list(prop(t, "B", "L"), list, 4), 1);
	assert_int_equal(tval_as_list(prop(t, "B", "Q"), list, 4), 1);
	assert_ptr_equal(list[0], v);
	template_free(t);
	assert_int_equal(template_load_string(NULL, cyc, strlen(cyc), NULL, &t, &d), ERR_PARSE);
	assert_string_equal(d.msg, "<string>:3:12: condition A depends on itself");
	assert_int_equal(template_load_string("b", "\x01\xff{[", 4, NULL, &t, &d), ERR_PARSE);
	assert_int_equal(template_load_string("u", "a: 1\n%x: \x80\n", 11, NULL, &t, &d),
			 ERR_PARSE);
	assert_string_equal(d.msg, "u:2:5: not valid YAML or JSON: invalid UTF-8");
	assert_int_equal(template_load_string("n", "a: \0", 4, NULL, &t, &d), ERR_PARSE);
	assert_string_equal(d.msg, "n:1:4: not valid YAML or JSON: control character 0x00");
	assert_int_equal(template_load_string("p", pif, strlen(pif), NULL, &t, &d), 0);
	v = t->res[0].props; /* Properties: !If on an undecided condition */
	assert_int_equal(v->kind, TVAL_CHOICE);
	assert_int_equal(tval_each(v, "Versioning.Status", collect, seen), 0);
	assert_string_equal(seen[0], "Enabled");
	assert_string_equal(seen[1], "(absent)");
	template_free(t);
	assert_int_equal(template_load_string("e", "", 0, NULL, &t, &d), ERR_UNSUPPORTED);
	assert_int_equal(template_load_string("a", alias, strlen(alias), NULL, &t, &d), ERR_PARSE);
	assert_string_equal(d.text, "YAML aliases are not supported by CloudFormation");
}

static struct template *load_str(const char *yaml)
{
	struct template_diag d;
	struct template *t = NULL;

	if (template_load_string("mem.yaml", yaml, strlen(yaml), NULL, &t, &d))
		fail_msg("%s", d.msg);
	return t;
}

/* Fn::ForEach: literal and parameter collections, &{}, Ref and Sub of the identifier, nesting. */
static void test_foreach(void **state)
{
	static const char loops[] =
		"Transform: AWS::LanguageExtensions\n"
		"Parameters:\n  Names: {Type: CommaDelimitedList, Default: \"a,b\"}\n"
		"  Later: {Type: CommaDelimitedList}\n"
		"Resources:\n"
		"  Fn::ForEach::Topics:\n"
		"    - N\n"
		"    - [x-1, y]\n"
		"    - Topic&{N}:\n"
		"        Type: AWS::SNS::Topic\n"
		"        Properties: {TopicName: !Sub \"${N}-t\", DisplayName: !Ref N}\n"
		"  Fn::ForEach::Outer:\n"
		"    - O\n"
		"    - !Ref Names\n"
		"    - Fn::ForEach::Inner:\n"
		"        - I\n"
		"        - [\"1\", \"2\"]\n"
		"        - Q${O}${I}:\n"
		"            Type: AWS::SQS::Queue\n"
		"            Properties:\n"
		"              Tags:\n"
		"                Fn::ForEach::Tags: [K, [k1], {\"${K}\": !Sub \"${O}\"}]\n"
		"  Fn::ForEach::Skip: [S, !Ref Later, {\"B${S}\": {Type: AWS::S3::Bucket}}]\n"
		"  Plain: {Type: AWS::S3::Bucket}\n";
	static const char twice[] = "Transform: AWS::LanguageExtensions\nResources:\n"
				    "  Fn::ForEach::A: [N, [a], {Xa: {Type: T}}]\n";
	static const char dup[] = "Transform: AWS::LanguageExtensions\nResources:\n"
				  "  Xa: {Type: T}\n"
				  "  Fn::ForEach::A: [N, [a], {\"X${N}\": {Type: T}}]\n";
	static const char short_loop[] = "Transform: [AWS::LanguageExtensions]\nResources:\n  "
					 "Fn::ForEach::A: [N, {Type: T}]\n";
	static const char no_transform[] = "Resources:\n"
					   "  Fn::ForEach::A: [N, [a], {\"X${N}\": {Type: T}}]\n"
					   "  P: {Type: T}\n";
	struct template *t = load_str(loops);
	const struct template_resource *r;
	struct template_diag d;

	(void)state;
	assert_int_equal(t->nres, 7);
	assert_str(prop(t, "Topicx1", "TopicName"), "x-1-t");
	assert_str(prop(t, "Topicx1", "DisplayName"), "x-1");
	assert_str(prop(t, "Topicy", "TopicName"), "y-t");
	r = template_resource(t, "Topicy");
	assert_int_equal(r->pos.line, 9); /* the loop's output key */
	assert_int_equal(r->pos.col, 7);
	assert_str(prop(t, "Qa1", "Tags.k1"), "a");
	assert_str(prop(t, "Qb2", "Tags.k1"), "b");
	assert_non_null(template_resource(t, "Qa2"));
	assert_non_null(template_resource(t, "Qb1"));
	assert_non_null(template_resource(t, "Plain"));
	assert_null(template_resource(t, "Bx")); /* a collection known at deploy time */
	template_free(t);
	assert_int_equal(template_load_string("m", twice, strlen(twice), NULL, &t, &d), ERR_PARSE);
	assert_string_equal(d.msg, "m:3:29: Fn::ForEach::A: the key Xa must contain ${N} or &{N}");
	assert_int_equal(template_load_string("m", dup, strlen(dup), NULL, &t, &d), ERR_PARSE);
	assert_string_equal(d.msg, "m:4:30: Fn::ForEach makes the key Xa a second time");
	assert_int_equal(template_load_string("m", short_loop, strlen(short_loop), NULL, &t, &d),
			 ERR_PARSE);
	assert_string_equal(d.text,
			    "Fn::ForEach::A expects [identifier, collection, {key: value}]");
	/* Without AWS::LanguageExtensions a loop is not CloudFormation's to expand. */
	t = load_str(no_transform);
	assert_int_equal(t->nres, 1);
	assert_null(template_resource(t, "Xa"));
	template_free(t);
}

/* OpenAPI operations from DefinitionBody and Body, with their authorization. */
static void test_openapi(void **state)
{
	static const char doc[] =
		"Transform: AWS::Serverless-2016-10-31\n"
		"Resources:\n"
		"  Fn: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.13, "
		"Handler: a.h, CodeUri: s/}}\n"
		"  Api:\n"
		"    Type: AWS::Serverless::Api\n"
		"    Properties:\n"
		"      StageName: prod\n"
		"      Auth: {DefaultAuthorizer: Pool, ApiKeyRequired: true}\n"
		"      DefinitionBody:\n"
		"        swagger: '2.0'\n"
		"        securityDefinitions:\n"
		"          Key: {type: apiKey, name: x-api-key, in: header}\n"
		"          Sig: {type: apiKey, name: Authorization, in: header, "
		"x-amazon-apigateway-authtype: awsSigv4}\n"
		"        paths:\n"
		"          /a:\n"
		"            get:\n"
		"              x-amazon-apigateway-integration:\n"
		"                uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/"
		"2015-03-31/functions/${Fn.Arn}/invocations'\n"
		"            post: {security: [{Key: []}]}\n"
		"            put: {security: [{Sig: []}]}\n"
		"            delete: {security: []}\n"
		"            x-amazon-apigateway-any-method: {x-amazon-apigateway-auth: {type: "
		"AWS_IAM}}\n"
		"            parameters: []\n"
		"  Http:\n"
		"    Type: AWS::ApiGatewayV2::Api\n"
		"    Properties:\n"
		"      Body:\n"
		"        openapi: 3.0.1\n"
		"        security: [{jwt: []}, {}]\n"
		"        paths: {/b: {get: {x-amazon-apigateway-integration: {uri: !GetAtt "
		"Fn.Arn}}}}\n";
	struct template *t = load_str(doc);
	const struct template_api_op *op = t->api_ops;

	(void)state;
	assert_int_equal(t->napi_ops, 6);
	assert_string_equal(op[0].api, "Api");
	assert_int_equal(op[0].kind, TAPI_REST);
	assert_string_equal(op[0].method, "GET");
	assert_string_equal(op[0].path, "/a");
	assert_string_equal(op[0].function, "Fn");
	assert_string_equal(op[0].authorizer, "Pool"); /* SAM's DefaultAuthorizer */
	assert_true(op[0].api_key_required);
	assert_int_equal(op[0].pos.line, 16);
	assert_null(op[1].authorizer); /* an API key alone */
	assert_string_equal(op[2].authorizer, "AWS_IAM");
	assert_null(op[3].authorizer); /* security: [] */
	assert_string_equal(op[4].method, "ANY");
	assert_string_equal(op[4].authorizer, "AWS_IAM");
	assert_string_equal(op[5].api, "Http");
	assert_int_equal(op[5].kind, TAPI_HTTP);
	assert_string_equal(op[5].function, "Fn");
	assert_null(op[5].authorizer); /* an anonymous alternative */
	template_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positions),	 cmocka_unit_test(test_intrinsics),
		cmocka_unit_test(test_conditions),	 cmocka_unit_test(test_if_choice),
		cmocka_unit_test(test_param_overrides),	 cmocka_unit_test(test_json_template),
		cmocka_unit_test(test_params_files),	 cmocka_unit_test(test_sam_globals),
		cmocka_unit_test(test_sam_role),	 cmocka_unit_test(test_sam_routes),
		cmocka_unit_test(test_sam_simple_table), cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_load_string),	 cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_openapi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
