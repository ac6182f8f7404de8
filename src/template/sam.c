/*
 * The part of the SAM transform (AWS::Serverless-2016-10-31) that matters
 * for checking and running a template locally, applied to the raw tree
 * before intrinsics are resolved, so that what SAM generates goes through
 * the same resolver as what the user wrote:
 * - Globals merged into functions, APIs, HTTP APIs and simple tables (maps
 *   merge key by key, lists concatenate, the resource's own value wins);
 * - a function without Role gets "<Fn>Role", an AWS::IAM::Role trusting
 *   lambda.amazonaws.com with AWSLambdaBasicExecutionRole and its Policies
 *   expanded: managed policy names and ARNs, inline documents, and policy
 *   templates turned into the statements SAM generates, scoped as SAM
 *   scopes them (a Fn::Sub on the template's ARN pattern);
 * - FunctionUrlConfig gives "<Fn>Url" (and the public permission SAM adds
 *   for AuthType NONE); Api/HttpApi events without an explicit API give
 *   "ServerlessRestApi"/"ServerlessHttpApi";
 * - a SimpleTable becomes the AWS::DynamoDB::Table SAM would create.
 * Generated values carry TVAL_F_IMPLICIT and the position of their origin.
 */
#include "core/common.h"

#include "template/template_int.h"

#define PT_MAX_STMTS 2

/* A SAM policy template: parameters, and per statement its actions and
 * resource ARN patterns (space-separated; "${Param}" is the parameter). */
struct policy_tpl {
	const char *name;
	const char *params;
	struct {
		const char *actions;
		const char *resources;
	} st[PT_MAX_STMTS];
};

#define DDB  "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
#define S3B  "arn:${AWS::Partition}:s3:::${BucketName}"
#define SQSQ "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}"
#define SNST "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${TopicName}"
#define KMSK "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}"
#define KIN  "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/"

static const struct policy_tpl policy_tpls[] = {
	{"SQSPollerPolicy",
	 "QueueName",
	 {{"sqs:ChangeMessageVisibility sqs:ChangeMessageVisibilityBatch sqs:DeleteMessage "
	   "sqs:DeleteMessageBatch sqs:GetQueueAttributes sqs:ReceiveMessage",
	   SQSQ}}},
	{"SQSSendMessagePolicy", "QueueName", {{"sqs:SendMessage*", SQSQ}}},
	{"LambdaInvokePolicy",
	 "FunctionName",
	 {{"lambda:InvokeFunction", "arn:${AWS::Partition}:lambda:${AWS::Region}:"
				    "${AWS::AccountId}:function:${FunctionName}*"}}},
	{"CloudWatchPutMetricPolicy", "", {{"cloudwatch:PutMetricData", "*"}}},
	{"CloudWatchDashboardPolicy",
	 "",
	 {{"cloudwatch:GetDashboard cloudwatch:ListDashboards cloudwatch:PutDashboard "
	   "cloudwatch:ListMetrics",
	   "*"}}},
	{"EC2DescribePolicy", "", {{"ec2:DescribeRegions ec2:DescribeInstances", "*"}}},
	{"VPCAccessPolicy",
	 "",
	 {{"ec2:CreateNetworkInterface ec2:DeleteNetworkInterface "
	   "ec2:DescribeNetworkInterfaces ec2:DetachNetworkInterface",
	   "*"}}},
	{"DynamoDBCrudPolicy",
	 "TableName",
	 {{"dynamodb:GetItem dynamodb:DeleteItem dynamodb:PutItem dynamodb:Scan dynamodb:Query "
	   "dynamodb:UpdateItem dynamodb:BatchWriteItem dynamodb:BatchGetItem "
	   "dynamodb:DescribeTable dynamodb:ConditionCheckItem",
	   DDB " " DDB "/index/*"}}},
	{"DynamoDBReadPolicy",
	 "TableName",
	 {{"dynamodb:GetItem dynamodb:Scan dynamodb:Query dynamodb:BatchGetItem "
	   "dynamodb:DescribeTable",
	   DDB " " DDB "/index/*"}}},
	{"DynamoDBWritePolicy",
	 "TableName",
	 {{"dynamodb:PutItem dynamodb:UpdateItem dynamodb:BatchWriteItem",
	   DDB " " DDB "/index/*"}}},
	{"DynamoDBStreamReadPolicy",
	 "TableName StreamName",
	 {{"dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator",
	   DDB "/stream/${StreamName}"},
	  {"dynamodb:ListStreams", DDB "/stream/*"}}},
	{"S3ReadPolicy",
	 "BucketName",
	 {{"s3:GetObject s3:ListBucket s3:GetBucketLocation s3:GetObjectVersion "
	   "s3:GetLifecycleConfiguration",
	   S3B " " S3B "/*"}}},
	{"S3CrudPolicy",
	 "BucketName",
	 {{"s3:GetObject s3:ListBucket s3:GetBucketLocation s3:GetObjectVersion s3:PutObject "
	   "s3:PutObjectAcl s3:GetLifecycleConfiguration s3:PutLifecycleConfiguration "
	   "s3:DeleteObject",
	   S3B " " S3B "/*"}}},
	{"S3WritePolicy",
	 "BucketName",
	 {{"s3:PutObject s3:PutObjectAcl s3:PutLifecycleConfiguration", S3B " " S3B "/*"}}},
	{"S3FullAccessPolicy",
	 "BucketName",
	 {{"s3:GetObject s3:GetObjectAcl s3:GetObjectVersion s3:PutObject s3:PutObjectAcl "
	   "s3:DeleteObject s3:DeleteObjectTagging s3:DeleteObjectVersionTagging "
	   "s3:GetObjectTagging s3:GetObjectVersionTagging s3:PutObjectTagging "
	   "s3:PutObjectVersionTagging",
	   S3B "/*"},
	  {"s3:ListBucket s3:GetBucketLocation s3:GetLifecycleConfiguration "
	   "s3:PutLifecycleConfiguration",
	   S3B}}},
	{"SNSPublishMessagePolicy", "TopicName", {{"sns:Publish", SNST}}},
	{"SNSCrudPolicy",
	 "TopicName",
	 {{"sns:ListSubscriptionsByTopic sns:CreateTopic sns:SetTopicAttributes sns:Subscribe "
	   "sns:Publish",
	   SNST "*"}}},
	{"KMSDecryptPolicy", "KeyId", {{"kms:Decrypt", KMSK}}},
	{"KMSEncryptPolicy", "KeyId", {{"kms:Encrypt", KMSK}}},
	{"SSMParameterReadPolicy",
	 "ParameterName",
	 {{"ssm:DescribeParameters", "*"},
	  {"ssm:GetParameters ssm:GetParameter ssm:GetParametersByPath",
	   "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"
	   "${ParameterName}"}}},
	{"AWSSecretsManagerGetSecretValuePolicy",
	 "SecretArn",
	 {{"secretsmanager:GetSecretValue", "${SecretArn}"}}},
	{"StepFunctionsExecutionPolicy",
	 "StateMachineName",
	 {{"states:StartExecution", "arn:${AWS::Partition}:states:${AWS::Region}:"
				    "${AWS::AccountId}:stateMachine:${StateMachineName}"}}},
	{"EventBridgePutEventsPolicy",
	 "EventBusName",
	 {{"events:PutEvents", "arn:${AWS::Partition}:events:${AWS::Region}:"
			       "${AWS::AccountId}:event-bus/${EventBusName}"}}},
	{"KinesisStreamReadPolicy",
	 "StreamName",
	 {{"kinesis:ListStreams kinesis:DescribeLimits", KIN "*"},
	  {"kinesis:DescribeStream kinesis:DescribeStreamSummary kinesis:GetRecords "
	   "kinesis:GetShardIterator",
	   KIN "${StreamName}"}}},
	{"SESCrudPolicy",
	 "IdentityName",
	 {{"ses:GetIdentityVerificationAttributes ses:SendEmail ses:SendRawEmail "
	   "ses:VerifyEmailIdentity",
	   "arn:${AWS::Partition}:ses:${AWS::Region}:"
	   "${AWS::AccountId}:identity/${IdentityName}"}}},
	{"TextractPolicy", "", {{"textract:*", "*"}}},
};

/* Managed policies SAM finds under service-role/. */
static const char *const service_role_policies[] = {
	"AWSLambdaBasicExecutionRole",	  "AWSLambdaVPCAccessExecutionRole",
	"AWSLambdaSQSQueueExecutionRole", "AWSLambdaKinesisExecutionRole",
	"AWSLambdaDynamoDBExecutionRole", "AWSLambdaRole",
	"AWSLambdaENIManagementAccess",
};

/* A map under construction. */
struct mb {
	struct tval *v;
	size_t alloc;
};

static int mb_init(struct tctx *c, struct mb *b, struct tpos pos)
{
	b->alloc = 0;
	b->v = tv_new(c, TVAL_MAP, pos);
	if (!b->v)
		return c->err;
	b->v->flags |= TVAL_F_IMPLICIT;
	return 0;
}

static int mb_put(struct tctx *c, struct mb *b, const char *key, struct tval *val)
{
	if (!val)
		return c->err ? c->err : ERR_NOMEM;
	return tv_put(c, b->v, &b->alloc, key, b->v->pos, val);
}

static struct tval *str_node(struct tctx *c, struct tpos pos, const char *s)
{
	struct tval *v = tv_cstr(c, pos, s);

	if (v)
		v->flags |= TVAL_F_IMPLICIT;
	return v;
}

/* A SEQ of strings from a space-separated list. */
static struct tval *words(struct tctx *c, struct tpos pos, const char *list)
{
	struct tval *s = tv_new(c, TVAL_SEQ, pos);
	size_t alloc = 0;

	if (!s)
		return NULL;
	s->flags |= TVAL_F_IMPLICIT;
	while (*list) {
		size_t n = strcspn(list, " ");
		struct tval *w = tv_string(c, pos, list, n);

		if (!w || tv_push(c, s, &alloc, w))
			return NULL;
		w->flags |= TVAL_F_IMPLICIT;
		list += n;
		while (*list == ' ')
			list++;
	}
	return s;
}

/* ----- Globals ----- */

static struct tval *merge(struct tctx *c, const struct tval *g, const struct tval *l)
{
	struct tval *m;
	size_t i, alloc = 0;

	if (!g)
		return (struct tval *)l;
	if (!l)
		return (struct tval *)g;
	if (g->kind == TVAL_SEQ && l->kind == TVAL_SEQ) {
		m = tv_new(c, TVAL_SEQ, l->pos);
		for (i = 0; m && i < g->n + l->n; i++)
			if (tv_push(c, m, &alloc, i < g->n ? g->items[i] : l->items[i - g->n]))
				return NULL;
		return m;
	}
	if (g->kind != TVAL_MAP || l->kind != TVAL_MAP || tv_is_intrinsic(g) || tv_is_intrinsic(l))
		return (struct tval *)l;
	m = tv_new(c, TVAL_MAP, l->pos);
	for (i = 0; m && i < g->n; i++) {
		const struct tval_pair *lp = tval_get_pair(l, g->pairs[i].key);
		struct tval *v = lp ? merge(c, g->pairs[i].val, lp->val) : g->pairs[i].val;

		if (!v || tv_put(c, m, &alloc, g->pairs[i].key,
				 lp ? lp->key_pos : g->pairs[i].key_pos, v))
			return NULL;
	}
	for (i = 0; m && i < l->n; i++) {
		if (tval_get_pair(g, l->pairs[i].key))
			continue;
		if (tv_put(c, m, &alloc, l->pairs[i].key, l->pairs[i].key_pos, l->pairs[i].val))
			return NULL;
	}
	return m;
}

static int apply_globals(struct tctx *c, struct template_resource *r, const char *section)
{
	const struct tval *g = tval_get(c->t->globals, section);
	struct tval *m;

	if (!g || g->kind != TVAL_MAP)
		return 0;
	m = merge(c, g, r->props);
	if (!m)
		return c->err ? c->err : ERR_NOMEM;
	r->props = m;
	return 0;
}

/* ----- the execution role ----- */

static int managed_arn(struct tctx *c, struct mb *arns, size_t *alloc, struct tpos pos,
		       const char *name)
{
	char arn[512];
	const char *dir = "";
	size_t i;
	struct tval *v;

	for (i = 0; i < ARRAY_SIZE(service_role_policies); i++)
		if (!strcmp(name, service_role_policies[i]))
			dir = "service-role/";
	if (!strncmp(name, "arn:", 4))
		snprintf(arn, sizeof(arn), "%s", name);
	else
		snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s%s", dir, name);
	v = str_node(c, pos, arn);
	if (!v)
		return c->err;
	return tv_push(c, arns->v, alloc, v);
}

static const struct policy_tpl *find_tpl(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(policy_tpls); i++)
		if (!strcmp(policy_tpls[i].name, name))
			return &policy_tpls[i];
	return NULL;
}

/* The statements of a policy template, as a PolicyDocument. */
static int expand_tpl(struct tctx *c, const struct policy_tpl *pt, const struct tval *entry,
		      struct tval **doc)
{
	const struct tval *args = entry->pairs[0].val;
	struct tpos pos = entry->pos;
	struct mb vars, d;
	struct tval *stmts;
	size_t i, salloc = 0;
	const char *p;
	int err;

	err = mb_init(c, &vars, pos);
	if (err)
		return err;
	for (p = pt->params; *p;) {
		char name[64];
		size_t n = strcspn(p, " ");
		const struct tval *v;

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		v = tval_get(args, name);
		if (!v)
			return tctx_fail(c, pos, ERR_PARSE, "SAM policy template %s needs %s",
					 pt->name, name);
		err = mb_put(c, &vars, arena_strdup(c->a, name), (struct tval *)v);
		if (err)
			return err;
		p += n;
		while (*p == ' ')
			p++;
	}
	stmts = tv_new(c, TVAL_SEQ, pos);
	if (!stmts)
		return c->err;
	for (i = 0; i < PT_MAX_STMTS && pt->st[i].actions; i++) {
		struct mb st;
		struct tval *res = words(c, pos, pt->st[i].resources);
		size_t j;

		if (!res)
			return c->err;
		for (j = 0; j < res->n; j++) {
			struct tval *sub, *args2;
			size_t a2 = 0;

			if (!strcmp(res->items[j]->text, "*"))
				continue;
			args2 = tv_new(c, TVAL_SEQ, pos);
			if (!args2 || tv_push(c, args2, &a2, res->items[j]) ||
			    tv_push(c, args2, &a2, vars.v))
				return c->err;
			sub = tv_map1(c, pos, "Fn::Sub", args2);
			if (!sub)
				return c->err;
			res->items[j] = sub;
		}
		err = mb_init(c, &st, pos);
		if (!err)
			err = mb_put(c, &st, "Effect", str_node(c, pos, "Allow"));
		if (!err)
			err = mb_put(c, &st, "Action", words(c, pos, pt->st[i].actions));
		if (!err)
			err = mb_put(c, &st, "Resource", res->n == 1 ? res->items[0] : res);
		if (!err)
			err = tv_push(c, stmts, &salloc, st.v);
		if (err)
			return err;
	}
	err = mb_init(c, &d, pos);
	if (!err)
		err = mb_put(c, &d, "Version", str_node(c, pos, "2012-10-17"));
	if (!err)
		err = mb_put(c, &d, "Statement", stmts);
	*doc = d.v;
	return err;
}

static int inline_policy(struct tctx *c, struct tval *list, size_t *alloc, const char *fn,
			 size_t idx, struct tval *doc)
{
	struct mb p;
	char name[300];
	int err;

	snprintf(name, sizeof(name), "%sRolePolicy%zu", fn, idx);
	/* Every caller passes a document; expand_tpl() sets it whenever it returns 0. */
	// NOLINTNEXTLINE(clang-analyzer-core.NullDereference)
	err = mb_init(c, &p, doc->pos);
	if (!err)
		err = mb_put(c, &p, "PolicyName", str_node(c, doc->pos, name));
	if (!err)
		err = mb_put(c, &p, "PolicyDocument", doc);
	if (!err)
		err = tv_push(c, list, alloc, p.v);
	return err;
}

struct role_parts {
	struct mb arns;
	size_t arns_alloc;
	struct tval *policies;
	size_t pol_alloc;
};

static int add_policy_entry(struct tctx *c, const struct template_resource *fn,
			    struct role_parts *rp, const struct tval *e, size_t idx)
{
	const struct policy_tpl *pt;
	struct tval *doc = NULL;
	int err;

	if (e->kind == TVAL_STRING)
		return managed_arn(c, &rp->arns, &rp->arns_alloc, e->pos, e->text);
	if (e->kind != TVAL_MAP)
		return tctx_fail(c, e->pos, ERR_PARSE, "Policies of %s: unexpected %s", fn->id,
				 tval_kind_name(e->kind));
	if (tval_get(e, "Statement"))
		return inline_policy(c, rp->policies, &rp->pol_alloc, fn->id, idx,
				     (struct tval *)e);
	if (tv_is_intrinsic(e)) /* !Ref PolicyArn, !Sub arn:..., !If ... */
		return tv_push(c, rp->arns.v, &rp->arns_alloc, (struct tval *)e);
	if (e->n != 1)
		return tctx_fail(c, e->pos, ERR_PARSE,
				 "Policies of %s: a policy template is a map with one key", fn->id);
	pt = find_tpl(e->pairs[0].key);
	if (!pt) {
		/* A template we do not know: keep it visible as an unknown document. */
		char desc[300];

		snprintf(desc, sizeof(desc), "SAM policy template %s", e->pairs[0].key);
		doc = tv_unknown(c, e->pos, TUNK_OTHER, e->pairs[0].key, NULL, desc);
		if (!doc)
			return c->err;
		doc->flags |= TVAL_F_IMPLICIT;
		return inline_policy(c, rp->policies, &rp->pol_alloc, fn->id, idx, doc);
	}
	err = expand_tpl(c, pt, e, &doc);
	if (err)
		return err;
	return inline_policy(c, rp->policies, &rp->pol_alloc, fn->id, idx, doc);
}

/* Managed policies SAM attaches for the function's settings and event sources. */
static int feature_policies(struct tctx *c, const struct template_resource *fn,
			    struct role_parts *rp)
{
	const struct tval *ev = tval_get(fn->props, "Events");
	size_t i;
	int err = 0;

	if (tval_str_eq(tval_get(fn->props, "Tracing"), "Active"))
		err = managed_arn(c, &rp->arns, &rp->arns_alloc, fn->pos, "AWSXrayWriteOnlyAccess");
	if (!err && tval_get(fn->props, "VpcConfig"))
		err = managed_arn(c, &rp->arns, &rp->arns_alloc, fn->pos,
				  "AWSLambdaVPCAccessExecutionRole");
	for (i = 0; !err && ev && ev->kind == TVAL_MAP && i < ev->n; i++) {
		const char *type = tval_str(tval_get(ev->pairs[i].val, "Type"));
		const char *pol = NULL;

		if (!type)
			continue;
		if (!strcmp(type, "SQS"))
			pol = "AWSLambdaSQSQueueExecutionRole";
		else if (!strcmp(type, "Kinesis"))
			pol = "AWSLambdaKinesisExecutionRole";
		else if (!strcmp(type, "DynamoDB"))
			pol = "AWSLambdaDynamoDBExecutionRole";
		if (pol)
			err = managed_arn(c, &rp->arns, &rp->arns_alloc, ev->pairs[i].key_pos, pol);
	}
	return err;
}

static const char trust_policy[] =
	"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Action\": [\"sts:AssumeRole\"], "
	"\"Effect\": \"Allow\", \"Principal\": {\"Service\": [\"lambda.amazonaws.com\"]}}]}";

/* A copy of `v` whose every node has the origin's position, marked implicit. */
static struct tval *clone_at(struct tctx *c, const struct tval *v, struct tpos pos)
{
	struct tval *n = tv_copy(c, v);

	if (!n)
		return NULL;
	n->pos = pos;
	n->flags |= TVAL_F_IMPLICIT;
	if (v->kind == TVAL_SEQ && v->n) {
		n->items = arena_alloc(c->a, v->n * sizeof(struct tval *));
		for (size_t i = 0; n->items && i < v->n; i++)
			if (!(n->items[i] = clone_at(c, v->items[i], pos)))
				return NULL;
	} else if (v->kind == TVAL_MAP && v->n) {
		n->pairs = arena_alloc(c->a, v->n * sizeof(*n->pairs));
		for (size_t i = 0; n->pairs && i < v->n; i++) {
			n->pairs[i].key = v->pairs[i].key;
			n->pairs[i].key_pos = pos;
			if (!(n->pairs[i].val = clone_at(c, v->pairs[i].val, pos)))
				return NULL;
		}
	}
	if ((v->kind == TVAL_SEQ || v->kind == TVAL_MAP) && v->n && !n->items && !n->pairs) {
		tctx_fail(c, pos, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return n;
}

/*
 * The execution role's trust policy at `pos`. The text is parsed once per
 * load and copied for every function: a parser per function cost more
 * than the function's own resolution.
 */
static int trust_snippet(struct tctx *c, const char *text, struct tpos pos, struct tval **out)
{
	int err = 0;

	if (!c->trust_policy) {
		err = tyaml_parse(c, text, strlen(text), &c->trust_policy);
		if (err)
			return err;
	}
	*out = clone_at(c, c->trust_policy, pos);
	return *out ? 0 : c->err;
}

static int add_implicit(struct tctx *c, const struct template_resource *origin, const char *id,
			const char *type, struct tval *props)
{
	struct template_resource r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.type = type;
	r.pos = origin->pos;
	r.props = props;
	r.raw = props;
	r.condition = origin->condition;
	r.implicit = true;
	r.origin = origin->id;
	return tmodel_add_resource(c, &r);
}

static int implicit_role(struct tctx *c, const struct template_resource *fn)
{
	const struct tval *pol = tval_get(fn->props, "Policies"), *one[1];
	struct role_parts rp;
	struct tval *trust;
	struct mb props;
	size_t i, n;
	int err;

	memset(&rp, 0, sizeof(rp));
	err = mb_init(c, &rp.arns, fn->pos);
	if (err)
		return err;
	rp.arns.v->kind = TVAL_SEQ;
	rp.policies = tv_new(c, TVAL_SEQ, fn->pos);
	if (!rp.policies)
		return c->err;
	err = managed_arn(c, &rp.arns, &rp.arns_alloc, fn->pos, "AWSLambdaBasicExecutionRole");
	n = !pol ? 0 : pol->kind == TVAL_SEQ ? pol->n : 1;
	for (i = 0; !err && i < n; i++) {
		const struct tval *e =
			pol->kind == TVAL_SEQ ? pol->items[i] : (one[0] = pol, one[0]);

		err = add_policy_entry(c, fn, &rp, e, i);
	}
	if (!err)
		err = feature_policies(c, fn, &rp);
	if (!err)
		err = trust_snippet(c, trust_policy, fn->pos, &trust);
	if (!err)
		err = mb_init(c, &props, fn->pos);
	if (!err)
		err = mb_put(c, &props, "AssumeRolePolicyDocument", trust);
	if (!err)
		err = mb_put(c, &props, "ManagedPolicyArns", rp.arns.v);
	if (!err && rp.policies->n)
		err = mb_put(c, &props, "Policies", rp.policies);
	if (!err && tval_get(fn->props, "PermissionsBoundary"))
		err = mb_put(c, &props, "PermissionsBoundary",
			     (struct tval *)tval_get(fn->props, "PermissionsBoundary"));
	if (err)
		return err;
	return add_implicit(c, fn, arena_printf(c->a, "%sRole", fn->id), "AWS::IAM::Role", props.v);
}

static int function_url(struct tctx *c, const struct template_resource *fn)
{
	const struct tval *cfg = tval_get(fn->props, "FunctionUrlConfig");
	struct mb props, perm;
	const char *keys[] = {"AuthType", "Cors", "InvokeMode"};
	size_t i;
	int err;

	if (!cfg || cfg->kind != TVAL_MAP)
		return 0;
	err = mb_init(c, &props, cfg->pos);
	for (i = 0; !err && i < ARRAY_SIZE(keys); i++)
		if (tval_get(cfg, keys[i]))
			err = mb_put(c, &props, keys[i], (struct tval *)tval_get(cfg, keys[i]));
	if (!err)
		err = mb_put(c, &props, "TargetFunctionArn",
			     tv_map1(c, cfg->pos, "Ref", str_node(c, cfg->pos, fn->id)));
	if (!err)
		err = add_implicit(c, fn, arena_printf(c->a, "%sUrl", fn->id), "AWS::Lambda::Url",
				   props.v);
	if (err || !tval_str_eq(tval_get(cfg, "AuthType"), "NONE"))
		return err;
	err = mb_init(c, &perm, cfg->pos);
	if (!err)
		err = mb_put(c, &perm, "Action", str_node(c, cfg->pos, "lambda:InvokeFunctionUrl"));
	if (!err)
		err = mb_put(c, &perm, "FunctionName",
			     tv_map1(c, cfg->pos, "Ref", str_node(c, cfg->pos, fn->id)));
	if (!err)
		err = mb_put(c, &perm, "Principal", str_node(c, cfg->pos, "*"));
	if (!err)
		err = mb_put(c, &perm, "FunctionUrlAuthType", str_node(c, cfg->pos, "NONE"));
	if (!err)
		err = add_implicit(c, fn, arena_printf(c->a, "%sUrlPublicPermissions", fn->id),
				   "AWS::Lambda::Permission", perm.v);
	return err;
}

/* Does this function have an event needing the implicit API of `type`? */
static bool needs_implicit_api(const struct template_resource *fn, const char *type,
			       const char *idkey)
{
	const struct tval *ev = tval_get(fn->props, "Events");
	size_t i;

	for (i = 0; ev && ev->kind == TVAL_MAP && i < ev->n; i++) {
		const struct tval *e = ev->pairs[i].val;

		if (tval_str_eq(tval_get(e, "Type"), type) &&
		    !tval_get(tval_get(e, "Properties"), idkey))
			return true;
	}
	return false;
}

static int implicit_api(struct tctx *c, const struct template_resource *fn, bool rest)
{
	const struct tval *g = tval_get(c->t->globals, rest ? "Api" : "HttpApi");
	struct mb props;
	struct tval *m;
	int err;

	err = mb_init(c, &props, fn->pos);
	if (!err && rest)
		err = mb_put(c, &props, "StageName", str_node(c, fn->pos, "Prod"));
	if (err)
		return err;
	m = g && g->kind == TVAL_MAP ? merge(c, g, props.v) : props.v;
	if (!m)
		return c->err ? c->err : ERR_NOMEM;
	return add_implicit(c, fn, rest ? "ServerlessRestApi" : "ServerlessHttpApi",
			    rest ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi", m);
}

/* ----- SimpleTable ----- */

static int simple_table(struct tctx *c, struct template_resource *r)
{
	const struct tval *p = r->props, *pk = tval_get(p, "PrimaryKey"), *v;
	const char *copy[] = {"TableName", "SSESpecification", "PointInTimeRecoverySpecification",
			      "ProvisionedThroughput"};
	struct mb props, ad, ks;
	struct tval *name, *type, *list;
	size_t i, la = 0;
	const char *t;
	int err;

	name = (struct tval *)tval_get(pk, "Name");
	if (!name)
		name = str_node(c, r->pos, "id");
	v = tval_get(pk, "Type");
	t = tval_str(v);
	if (!v || (t && !strcmp(t, "String")))
		type = str_node(c, v ? v->pos : r->pos, "S");
	else if (t && !strcmp(t, "Number"))
		type = str_node(c, v->pos, "N");
	else if (t && !strcmp(t, "Binary"))
		type = str_node(c, v->pos, "B");
	else
		type = (struct tval *)v;
	err = mb_init(c, &props, r->pos);
	if (!err)
		err = mb_init(c, &ad, r->pos);
	if (!err)
		err = mb_put(c, &ad, "AttributeName", name);
	if (!err)
		err = mb_put(c, &ad, "AttributeType", type);
	if (!err)
		err = mb_init(c, &ks, r->pos);
	if (!err)
		err = mb_put(c, &ks, "AttributeName", name);
	if (!err)
		err = mb_put(c, &ks, "KeyType", str_node(c, r->pos, "HASH"));
	if (err)
		return err;
	for (i = 0; !err && i < ARRAY_SIZE(copy); i++)
		if (tval_get(p, copy[i]))
			err = mb_put(c, &props, copy[i], (struct tval *)tval_get(p, copy[i]));
	list = tv_new(c, TVAL_SEQ, r->pos);
	if (!err && list && !tv_push(c, list, &la, ad.v))
		err = mb_put(c, &props, "AttributeDefinitions", list);
	la = 0;
	list = tv_new(c, TVAL_SEQ, r->pos);
	if (!err && list && !tv_push(c, list, &la, ks.v))
		err = mb_put(c, &props, "KeySchema", list);
	if (!err && !tval_get(p, "ProvisionedThroughput"))
		err = mb_put(c, &props, "BillingMode", str_node(c, r->pos, "PAY_PER_REQUEST"));
	if (!err && (v = tval_get(p, "Tags")) && v->kind == TVAL_MAP) {
		la = 0;
		list = tv_new(c, TVAL_SEQ, v->pos);
		for (i = 0; !err && list && i < v->n; i++) {
			struct mb tag;

			err = mb_init(c, &tag, v->pairs[i].key_pos);
			if (!err)
				err = mb_put(c, &tag, "Key",
					     str_node(c, v->pairs[i].key_pos, v->pairs[i].key));
			if (!err)
				err = mb_put(c, &tag, "Value", v->pairs[i].val);
			if (!err)
				err = tv_push(c, list, &la, tag.v);
		}
		if (!err)
			err = mb_put(c, &props, "Tags", list);
	}
	if (err || c->err)
		return err ? err : c->err;
	r->props = props.v;
	r->sam_type = "AWS::Serverless::SimpleTable";
	r->type = "AWS::DynamoDB::Table";
	return 0;
}

/* ----- the expansion ----- */

static int expand_one(struct tctx *c, struct template_resource *r, bool *rest_done, bool *http_done)
{
	int err = 0;
	size_t me;

	if (!strcmp(r->type, "AWS::Serverless::Api"))
		return apply_globals(c, r, "Api") ? c->err : tmodel_add_resource(c, r);
	if (!strcmp(r->type, "AWS::Serverless::HttpApi"))
		return apply_globals(c, r, "HttpApi") ? c->err : tmodel_add_resource(c, r);
	if (!strcmp(r->type, "AWS::Serverless::SimpleTable")) {
		err = apply_globals(c, r, "SimpleTable");
		if (!err)
			err = simple_table(c, r);
		return err ? err : tmodel_add_resource(c, r);
	}
	if (strcmp(r->type, "AWS::Serverless::Function"))
		return tmodel_add_resource(c, r);
	err = apply_globals(c, r, "Function");
	if (!err)
		err = tmodel_add_resource(c, r);
	if (err)
		return err;
	me = c->t->nres - 1;
	if (!tval_get(r->props, "Role"))
		err = implicit_role(c, &c->t->res[me]);
	if (!err)
		err = function_url(c, &c->t->res[me]);
	if (!err && !*rest_done && needs_implicit_api(&c->t->res[me], "Api", "RestApiId")) {
		*rest_done = true;
		err = implicit_api(c, &c->t->res[me], true);
	}
	if (!err && !*http_done && needs_implicit_api(&c->t->res[me], "HttpApi", "ApiId")) {
		*http_done = true;
		err = implicit_api(c, &c->t->res[me], false);
	}
	return err;
}

int tsam_expand(struct tctx *c)
{
	struct template *t = c->t;
	struct template_resource *old = t->res;
	size_t n = t->nres, i;
	bool rest = false, http = false;
	int err = 0;

	size_t sam = 0;

	for (i = 0; i < n; i++)
		sam += !strncmp(old[i].type, "AWS::Serverless::", 17);
	t->res = NULL;
	t->nres = 0;
	c->nres_alloc = 0;
	/* A SAM resource implies a few (a role, a URL and its permission, an API). */
	err = tmodel_reserve(c, n + 3 * sam + 2);
	for (i = 0; !err && i < n; i++) {
		struct template_resource r = old[i];

		err = expand_one(c, &r, &rest, &http);
	}
	return err;
}

/* ----- routes ----- */

static const char *upper(struct tctx *c, const char *s)
{
	char *u;
	size_t i;

	if (!strcasecmp(s, "any") || !strcmp(s, "x-amazon-apigateway-any-method"))
		return "ANY";
	u = arena_strdup(c->a, s);
	for (i = 0; u && u[i]; i++)
		if (u[i] >= 'a' && u[i] <= 'z')
			u[i] = (char)(u[i] - 'a' + 'A');
	return u;
}

static const char *api_id(const struct tval *v, const char *dflt)
{
	if (!v)
		return dflt;
	if (v->kind == TVAL_UNKNOWN && v->unk == TUNK_REF)
		return v->ref;
	if (v->kind == TVAL_STRING && !(v->flags & TVAL_F_PARTIAL))
		return v->text;
	return NULL;
}

static int add_route(struct tctx *c, const struct template_route *r)
{
	struct template *t = c->t;

	if (t->nroutes == c->nroutes_alloc) {
		size_t na = c->nroutes_alloc ? 2 * c->nroutes_alloc : 8;
		struct template_route *n = arena_alloc(c->a, na * sizeof(*n));

		if (!n)
			return tctx_fail(c, r->pos, ERR_NOMEM, "out of memory");
		if (t->nroutes)
			memcpy(n, t->routes, t->nroutes * sizeof(*n));
		t->routes = n;
		c->nroutes_alloc = na;
	}
	t->routes[t->nroutes++] = *r;
	return 0;
}

static int event_route(struct tctx *c, const struct template_resource *fn,
		       const struct tval_pair *ev)
{
	const char *type = tval_str(tval_get(ev->val, "Type"));
	const struct tval *p = tval_get(ev->val, "Properties");
	const struct template_resource *api;
	const char *auth, *path, *method;
	struct template_route r;
	bool rest;

	if (!type || (strcmp(type, "Api") && strcmp(type, "HttpApi")))
		return 0;
	rest = !strcmp(type, "Api");
	memset(&r, 0, sizeof(r));
	r.function = fn->id;
	r.event = ev->key;
	r.pos = ev->key_pos;
	r.kind = rest ? TAPI_REST : TAPI_HTTP;
	r.api = api_id(tval_get(p, rest ? "RestApiId" : "ApiId"),
		       rest ? "ServerlessRestApi" : "ServerlessHttpApi");
	path = tval_str(tval_get(p, "Path"));
	method = tval_str(tval_get(p, "Method"));
	if (!rest && !path && !method)
		path = "$default", method = "ANY";
	if (!path || !method)
		return 0; /* not known before deployment */
	r.path = path;
	r.method = upper(c, method);
	api = r.api ? template_resource(c->t, r.api) : NULL;
	auth = tval_str(tval_get_path(p, "Auth.Authorizer"));
	if (!auth && api)
		auth = tval_str(tval_get_path(api->props, "Auth.DefaultAuthorizer"));
	r.authorizer = auth && strcmp(auth, "NONE") ? auth : NULL;
	r.api_key_required =
		rest && (tval_is_true(tval_get_path(p, "Auth.ApiKeyRequired")) ||
			 (!tval_get_path(p, "Auth.ApiKeyRequired") && api &&
			  tval_is_true(tval_get_path(api->props, "Auth.ApiKeyRequired"))));
	if (!r.method)
		return tctx_fail(c, r.pos, ERR_NOMEM, "out of memory");
	return add_route(c, &r);
}

int tsam_routes(struct tctx *c)
{
	size_t i, j;
	int err;

	for (i = 0; i < c->t->nres; i++) {
		const struct template_resource *fn = &c->t->res[i];
		const struct tval *ev;

		if (strcmp(fn->type, "AWS::Serverless::Function"))
			continue;
		ev = tval_get(fn->props, "Events");
		for (j = 0; ev && ev->kind == TVAL_MAP && j < ev->n; j++) {
			err = event_route(c, fn, &ev->pairs[j]);
			if (err)
				return err;
		}
	}
	return 0;
}
