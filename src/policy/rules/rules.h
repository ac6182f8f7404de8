/*
 * What the rule files share, and nothing else includes: the per-service
 * catalogue tables that policy.c gathers, and small readers over resolved
 * template values that look through undecided Fn::If (TVAL_CHOICE) the way
 * every rule must: a value is "bad" when any alternative is.
 *
 * Values known only at deploy time (TVAL_UNKNOWN, a Ref to a resource, a
 * GetAtt) are given the benefit of the doubt: predicates named pr_not_*
 * treat them as fine, since a rule cannot tell what they will be.
 */
#ifndef SLUICE_POLICY_RULES_RULES_H
#define SLUICE_POLICY_RULES_RULES_H

#include <stdbool.h>

#include "policy/policy.h"

/* One table per service file, each ending with an entry whose id is NULL. */
extern const struct policy_rule policy_rules_s3[];
extern const struct policy_rule policy_rules_iam[];
extern const struct policy_rule policy_rules_lambda[];
extern const struct policy_rule policy_rules_apigw[];
extern const struct policy_rule policy_rules_dynamodb[];
extern const struct policy_rule policy_rules_rds[];
extern const struct policy_rule policy_rules_kms[];
extern const struct policy_rule policy_rules_sns_sqs[];
extern const struct policy_rule policy_rules_logs[];
extern const struct policy_rule policy_rules_ec2[];
extern const struct policy_rule policy_rules_codebuild[];
extern const struct policy_rule policy_rules_secretsmanager[];
extern const struct policy_rule policy_rules_cloudtrail[];
extern const struct policy_rule policy_rules_credentials[];
extern const struct policy_rule policy_rules_cloudfront[];
extern const struct policy_rule policy_rules_acm[];
extern const struct policy_rule policy_rules_elb[];
extern const struct policy_rule policy_rules_containers[];
extern const struct policy_rule policy_rules_analytics[];
extern const struct policy_rule policy_rules_databases[];
extern const struct policy_rule policy_rules_other[];
extern const struct policy_rule policy_rules_sluice[];

/* ----- lookups across resources (policy_index.c) ----- */

/*
 * The resources of type `type`, in document order; `*n` gets the count
 * (0, with NULL returned, when there is none). Valid during the check run.
 */
const struct template_resource *const *pr_of_type(struct policy_ctx *cx, const char *type,
						  size_t *n /* OUT */);

/*
 * Call `fn` for each resource of type `type` whose value at `path` names
 * `target`: a Ref or GetAtt of that logical id, or a plain string equal to
 * it (a bucket named in the template), in any alternative and at any depth
 * (the items of a Roles list). Stops and returns true when `fn` does. The
 * first query of a (type, path) pair indexes all its resources; later ones
 * are a binary search, so relating every bucket to its policies is
 * O(n log n), not O(n^2).
 */
bool pr_referrers(struct policy_ctx *cx, const char *type, const char *path, const char *target,
		  bool (*fn)(const struct template_resource *ref, void *arg), void *arg);

/* True when some resource of `type` names `target` at `path` (see above). */
bool pr_referred(struct policy_ctx *cx, const char *type, const char *path, const char *target);

/*
 * True when the boolean setting at `path` under `props` may be off once
 * deployed, in some alternative: missing, known and not true, or taken from
 * a parameter that has no value here and whose AllowedValues do not rule
 * out false (the deployer chooses). `*hit` gets that alternative (NULL when
 * missing). Unlike pr_not_true(), a parameter gets no benefit of the doubt.
 */
bool pr_may_be_off(const struct template *t, const struct tval *props, const char *path,
		   const struct tval **hit /* OUT */);

/* ----- table-driven checks ----- */

/*
 * What a table-driven check wants of the value at its path. "Missing" is
 * an absent key or an AWS::NoValue branch; values known only at deploy
 * time pass every test (the benefit of the doubt of pr_not_*).
 */
enum pr_want {
	PR_WANT_TRUE,	  /* true; missing fails */
	PR_WANT_FALSE,	  /* false; missing fails */
	PR_WANT_NOT_TRUE, /* not true; missing passes */
	PR_WANT_SET,	  /* present and not empty */
	PR_WANT_ONE_OF,	  /* one of `values`; missing fails */
	PR_WANT_NONE_OF,  /* none of `values`; missing passes */
	PR_WANT_AT_LEAST, /* an integer >= `min`; missing counts as `dflt` */
};

/*
 * A check that one property of a resource has a safe value: the common
 * shape of "encryption on", "not public", "logging set". The rule's `spec`
 * points at one; its `check` is pr_check_spec. The finding reads
 * "<noun> '<id>' <problem>; <fix>" and is reported at the offending value,
 * or at the resource when the property is missing. `xw_type`, when set, is
 * the one resource type the rule's crosswalk ids apply to (checkov checks
 * OpenSearch domains under another id than Elasticsearch ones, say).
 */
struct pr_spec {
	const char *path; /* as tval_each(): "EncryptionAtRestOptions.Enabled" */
	enum pr_want want;
	const char *values; /* ONE_OF / NONE_OF: "TLS_1_2|TLS_1_3", exact match */
	long long min;	    /* AT_LEAST */
	long long dflt;	    /* AT_LEAST: the value AWS uses when missing */
	const char *noun;   /* "file system" */
	const char *problem;
	const char *fix;
	const char *xw_type;
};

void pr_check_spec(struct policy_ctx *cx, const struct template_resource *r);

/*
 * True when `s` (of `len` bytes) holds a credential: an AWS access key id,
 * a 40-character secret access key (mixed case and digits), a private key
 * block or an "aws_secret_access_key = ..." assignment. `what` gets a short
 * description for the message ("an AWS access key id").
 */
bool pr_credential_in(const char *s, size_t len, const char **what /* OUT */);

/* A predicate over one alternative; `v` is NULL when the value is missing. */
typedef bool (*pr_pred)(const struct tval *v);

/*
 * Look at every alternative of the value at `path` under `v` (see
 * tval_each()) and return true when `pred` holds for one; `*hit` (may be
 * NULL) gets that alternative, NULL when it is a missing value.
 */
bool pr_any(const struct tval *v, const char *path, pr_pred pred, const struct tval **hit);

/* Predicates for pr_any(). Unknown values satisfy none of the "bad" ones. */
bool pr_missing(const struct tval *v);	/* missing or AWS::NoValue */
bool pr_not_true(const struct tval *v); /* missing, or known and not true */
bool pr_is_true(const struct tval *v);	/* known true */
bool pr_is_false(const struct tval *v); /* known false */

/*
 * The position to report a value at: the value's own when it has one, else
 * the resource's logical id.
 */
const struct tpos *pr_pos(const struct tval *v, const struct template_resource *r);

/*
 * True for a string written in the template as plain text: not from a
 * parameter, not built by an intrinsic, not a dynamic reference
 * ("{{resolve:...}}"). Empty strings are not literals here.
 */
bool pr_literal(const struct tval *v);

/*
 * Call `fn` for every statement of the policy document `doc` (a map with
 * Statement as one map or a list), every alternative of an undecided Fn::If
 * at any level included. Missing alternatives are skipped.
 */
void pr_statements(const struct tval *doc, void (*fn)(const struct tval *stmt, void *arg),
		   void *arg);

/* The statement's Effect is "Allow" (any alternative) / "Deny". */
bool pr_allow(const struct tval *stmt);
bool pr_deny(const struct tval *stmt);

/*
 * Glob match, ASCII case-insensitive, where '*' is any run and '?' one
 * character: IAM's matching of actions ("s3:Get*" against "s3:GetObject").
 */
bool pr_glob(const char *pattern, const char *s);

/*
 * True when one string of `list` (a string or a list, any alternative) is,
 * as an IAM pattern, matching `action`: "*", "iam:*", "iam:Pass*" all cover
 * "iam:PassRole".
 */
bool pr_covers(const struct tval *list, const char *action);

/* True when a string of `list` (a string or a list) equals `s` exactly. */
bool pr_has(const struct tval *list, const char *s);

/*
 * A principal that is anyone: "*", {"AWS": "*"} or an AWS list holding
 * "*" (any alternative).
 */
bool pr_principal_star(const struct tval *principal);

/* Call `fn` with each alternative of each item of the list at `path`. */
void pr_items(const struct tval *v, const char *path,
	      void (*fn)(const struct tval *item, void *arg), void *arg);

/*
 * True when `name` looks like it names a secret: it contains PASSWORD,
 * PASSWD, SECRET, TOKEN, API_KEY/APIKEY, PRIVATE_KEY, ACCESS_KEY or
 * CREDENTIAL, ignoring case and '_'/'-'.
 */
bool pr_secret_name(const char *name);

/*
 * True when the pair `name` = `v` is a secret in plain text: `name` looks
 * secret (pr_secret_name()), `v` is a literal (pr_literal()) of at least 4
 * characters, and neither the name (..._ARN, ..._NAME, ..._ID, ..._TABLE,
 * ..._PATH, ..._PARAM, ..._URL, ..._TTL) nor the value ("arn:...", an SSM
 * path "/...") says it is a pointer to a secret rather than the secret.
 */
bool pr_plaintext_secret(const char *name, const struct tval *v);

/* True when the resource `r`'s logical id is what `v` refers to (Ref/GetAtt). */
bool pr_refers_to(const struct tval *v, const char *id);

#endif
