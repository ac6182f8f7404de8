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
extern const struct policy_rule policy_rules_sluice[];

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
