"""Who may assume which deploy role: the trust policies of infra/bootstrap.yaml
evaluated against the claims that CI jobs present.

The template is read as CloudFormation would read it (cfn-lint's loader for
the tags, then Ref, Sub, If, GetAtt and the Conditions resolved for a set of
test parameters), and each trust policy is judged by a small evaluator of the
IAM condition operators it uses: StringEquals, StringLike, their IfExists
forms, ForAnyValue:, IpAddress. A job is a principal (the OIDC provider that
issued its token, or an IAM user) and a request context (the claims, as IAM
names them: <issuer>:sub, <issuer>:aud, ...).

What is asserted, for GitHub Actions, GitLab CI and CircleCI alike: a job of
the default branch may assume the deploy role, a pull or merge request job
only the preview role, a fork's job neither; and the GitLab runner fallback
user may assume the GitLab deploy role only from the runners' range.
"""

import fnmatch
import ipaddress
import json
import os
import unittest

from cfnlint.decode import decode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCOUNT = "123456789012"
ORG = "11111111-2222-3333-4444-555555555555"
PROJECT = "66666666-7777-8888-9999-000000000000"
CONTEXT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
PARAMS = {
    "GitHubOrg": "example-org", "GitHubRepo": "sluice",
    "GitLabProjectPath": "example-group/sluice", "GitLabRunnerUser": "true",
    "GitLabRunnerCidr": "203.0.113.0/24",
    "CircleCiOrgId": ORG, "CircleCiProjectId": PROJECT, "CircleCiProductionContextId": CONTEXT,
}


class Template:
    """A CloudFormation template with its intrinsics resolved for `params`."""

    def __init__(self, path, params):
        self.doc, matches = decode(path)
        assert not matches, matches
        self.params = {k: v.get("Default") for k, v in self.doc.get("Parameters", {}).items()}
        self.params.update(params)
        self.params.update({"AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
                            "AWS::Region": "us-east-1", "AWS::StackName": "sluice-bootstrap",
                            "AWS::URLSuffix": "amazonaws.com"})
        self.conditions = {}

    def arn(self, name):
        """The ARN a resource of this template would get."""
        kind = self.doc["Resources"][name]["Type"]
        if kind == "AWS::IAM::OIDCProvider":
            url = self.resolve(self.doc["Resources"][name]["Properties"]["Url"])
            return "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, url.split("://", 1)[1])
        if kind == "AWS::IAM::User":
            return "arn:aws:iam::%s:user/%s" % (ACCOUNT, name)
        return "arn:aws:iam::%s:role/sluice-bootstrap-%s-ABC" % (ACCOUNT, name)

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.doc["Conditions"][name]))
        return self.conditions[name]

    def ref(self, name):
        if name in self.params:
            return self.params[name]
        return self.arn(name)

    def sub(self, text, names):
        out, i = [], 0
        while True:
            j = text.find("${", i)
            if j < 0:
                return "".join(out) + text[i:]
            k = text.index("}", j)
            out.append(text[i:j])
            name = text[j + 2:k]
            if name in names:
                out.append(str(names[name]))
            elif "." in name and name.split(".")[0] in self.doc["Resources"]:
                out.append(self.arn(name.split(".")[0]))
            else:
                out.append(str(self.ref(name)))
            i = k + 1

    def resolve(self, v):
        if isinstance(v, list):
            return [x for x in (self.resolve(x) for x in v) if x is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if fn == "Fn::Sub":
                if isinstance(arg, list):
                    names = {k: self.resolve(x) for k, x in arg[1].items()}
                    return self.sub(arg[0], names)
                return self.sub(arg, {})
            if fn == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if fn == "Fn::GetAtt":
                return self.arn(arg[0] if isinstance(arg, list) else arg.split(".")[0])
            if fn == "Fn::Equals":
                a, b = self.resolve(arg)
                return str(a) == str(b)
            if fn == "Fn::Not":
                return not self.resolve(arg[0])
            if fn == "Fn::And":
                return all(self.resolve(x) for x in arg)
            if fn == "Fn::Or":
                return any(self.resolve(x) for x in arg)
            if fn == "Condition":
                return self.condition(arg)
        return {k: x for k, x in ((k, self.resolve(x)) for k, x in v.items()) if x is not NO_VALUE}

    def trust_policy(self, role):
        res = self.doc["Resources"][role]
        if "Condition" in res and not self.condition(res["Condition"]):
            return None
        doc = self.resolve(res["Properties"]["AssumeRolePolicyDocument"])
        return json.loads(doc) if isinstance(doc, str) else doc


NO_VALUE = object()


def values(v):
    return v if isinstance(v, list) else [v]


def match(op, want, have):
    if op == "StringEquals":
        return have == want
    if op == "StringLike":
        return fnmatch.fnmatchcase(have, want)
    if op == "IpAddress":
        return ipaddress.ip_address(have) in ipaddress.ip_network(want)
    if op == "Bool":
        return have.lower() == want.lower()
    raise AssertionError("operator %s is not modelled" % op)


def condition_holds(operator, key, want, context):
    """One key of one condition operator, as IAM evaluates it."""
    quantifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op[:-len("IfExists")] if if_exists else op
    if key not in context:
        return if_exists
    have = values(context[key])
    if quantifier == "ForAnyValue":
        return any(match(op, w, h) for h in have for w in values(want))
    if quantifier == "ForAllValues":
        return all(any(match(op, w, h) for w in values(want)) for h in have)
    assert len(have) == 1, "a single-valued operator on the multi-valued key " + key
    return any(match(op, w, have[0]) for w in values(want))


def may_assume(policy, action, principal, context):
    """True when one Allow statement admits the request (no Deny is used)."""
    for st in values(policy["Statement"]):
        if st["Effect"] != "Allow" or action not in values(st["Action"]):
            continue
        kind, who = principal
        if who not in values(st["Principal"].get(kind, [])):
            continue
        if all(condition_holds(op, key, want, context)
               for op, keys in st.get("Condition", {}).items() for key, want in keys.items()):
            return True
    return False


WEB = "sts:AssumeRoleWithWebIdentity"


class TrustPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = Template(os.path.join(ROOT, "infra", "bootstrap.yaml"), PARAMS)

    def roles(self, *names):
        return {n: self.t.trust_policy(n) for n in names}

    def who_may(self, roles, principal, context, action=WEB):
        return sorted(n for n, p in roles.items() if may_assume(p, action, principal, context))

    # ---- GitHub Actions
    def github(self, sub, repo_owner="example-org"):
        issuer = "token.actions.githubusercontent.com"
        return (("Federated", self.t.arn("GitHubOidcProvider")),
                {issuer + ":aud": "sts.amazonaws.com", issuer + ":sub": sub})

    def test_github(self):
        roles = self.roles("DeployRole", "PreviewRole")
        cases = {
            "repo:example-org/sluice:ref:refs/heads/main": ["DeployRole"],
            "repo:example-org/sluice:environment:production": ["DeployRole"],
            "repo:example-org/sluice:pull_request": ["PreviewRole"],
            "repo:example-org/sluice:ref:refs/heads/feature-x": [],
            # A fork's own workflow: its repository is not ours.
            "repo:attacker/sluice:ref:refs/heads/main": [],
            "repo:attacker/sluice:pull_request": [],
        }
        for sub, want in cases.items():
            with self.subTest(sub=sub):
                self.assertEqual(self.who_may(roles, *self.github(sub)), want)
        principal, context = self.github("repo:example-org/sluice:ref:refs/heads/main")
        context["token.actions.githubusercontent.com:aud"] = "https://github.com/attacker"
        self.assertEqual(self.who_may(roles, principal, context), [], "aud is pinned")

    # ---- GitLab CI
    def gitlab(self, project, ref, protected, aud="sts.amazonaws.com"):
        issuer = "gitlab.com"
        return (("Federated", self.t.arn("GitLabOidcProvider")),
                {issuer + ":aud": aud,
                 issuer + ":sub": "project_path:%s:ref_type:branch:ref:%s" % (project, ref),
                 issuer + ":ref_protected": "true" if protected else "false"})

    def test_gitlab(self):
        roles = self.roles("GitLabDeployRole", "GitLabPreviewRole")
        cases = {
            "main-branch job": (("example-group/sluice", "main", True),
                                ["GitLabDeployRole", "GitLabPreviewRole"]),
            "merge request job": (("example-group/sluice", "feature-x", False),
                                  ["GitLabPreviewRole"]),
            "fork's job": (("attacker/sluice", "main", True), []),
            "fork's merge request job": (("attacker/sluice", "feature-x", False), []),
            # A fork's branch named main, run in our project for its merge
            # request: the sub matches main, ref_protected does not.
            "fork's branch main in our project": (("example-group/sluice", "main", False),
                                                  ["GitLabPreviewRole"]),
        }
        for name, (claims, want) in cases.items():
            with self.subTest(job=name):
                self.assertEqual(self.who_may(roles, *self.gitlab(*claims)), want)
        self.assertEqual(self.who_may(roles, *self.gitlab("example-group/sluice", "main", True,
                                                          aud="https://gitlab.com")), [],
                         "aud is pinned")

    def test_gitlab_without_ref_protected_in_the_context(self):
        """Where STS does not pass ref_protected, the deploy role still binds
        to aud and the default branch, and is never locked out."""
        roles = self.roles("GitLabDeployRole")
        principal, context = self.gitlab("example-group/sluice", "main", True)
        del context["gitlab.com:ref_protected"]
        self.assertEqual(self.who_may(roles, principal, context), ["GitLabDeployRole"])

    def test_gitlab_runner_user(self):
        roles = self.roles("GitLabDeployRole", "GitLabPreviewRole", "DeployRole")
        user = ("AWS", self.t.arn("GitLabRunner"))
        inside, outside = {"aws:SourceIp": "203.0.113.7"}, {"aws:SourceIp": "198.51.100.7"}
        self.assertEqual(self.who_may(roles, user, inside, "sts:AssumeRole"), ["GitLabDeployRole"])
        self.assertEqual(self.who_may(roles, user, outside, "sts:AssumeRole"), [])
        # Its one permission, on the group: sts:AssumeRole on the GitLab deploy role.
        group = self.t.resolve(self.t.doc["Resources"]["GitLabRunnerGroup"]["Properties"])
        (policy,) = group["Policies"]
        (st,) = policy["PolicyDocument"]["Statement"]
        self.assertEqual((st["Effect"], st["Action"]), ("Allow", "sts:AssumeRole"))
        self.assertTrue(fnmatch.fnmatchcase(self.t.arn("GitLabDeployRole"), st["Resource"]))
        self.assertFalse(fnmatch.fnmatchcase(self.t.arn("DeployRole"), st["Resource"]))
        self.assertEqual(st["Condition"], {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
        self.assertNotIn("Policies", self.t.doc["Resources"]["GitLabRunner"]["Properties"])

    def test_gitlab_runner_user_is_off_by_default(self):
        t = Template(os.path.join(ROOT, "infra", "bootstrap.yaml"),
                     dict(PARAMS, GitLabRunnerUser="false"))
        policy = t.trust_policy("GitLabDeployRole")
        self.assertEqual([st["Action"] for st in policy["Statement"]], [WEB])
        self.assertFalse(t.condition("HasGitLabUser"))

    # ---- CircleCI
    def circleci(self, project, contexts, org=ORG):
        issuer = "oidc.circleci.com/org/" + org
        context = {issuer + ":aud": org,
                   issuer + ":sub": "org/%s/project/%s/user/0000-user" % (org, project)}
        if contexts is not None:
            context[issuer + ":oidc.circleci.com/context-ids"] = contexts
        provider = "arn:aws:iam::%s:oidc-provider/%s" % (ACCOUNT, issuer)
        return ("Federated", provider), context

    def test_circleci(self):
        roles = self.roles("CircleCiDeployRole", "CircleCiPreviewRole")
        self.assertEqual(self.t.arn("CircleCiOidcProvider"), self.circleci(PROJECT, None)[0][1])
        cases = {
            "main job in the production context": ((PROJECT, [CONTEXT]),
                                                   ["CircleCiDeployRole", "CircleCiPreviewRole"]),
            "pull request job": ((PROJECT, None), ["CircleCiPreviewRole"]),
            "pull request job in another context": ((PROJECT, ["bbbbbbbb-0000-0000-0000-000000000000"]),
                                                    ["CircleCiPreviewRole"]),
            "another project's job, even in the context": (
                ("99999999-0000-0000-0000-000000000000", [CONTEXT]), []),
            "another organization's job": ((PROJECT, [CONTEXT], "22222222-2222-3333-4444-555555555555"), []),
        }
        for name, (claims, want) in cases.items():
            with self.subTest(job=name):
                self.assertEqual(self.who_may(roles, *self.circleci(*claims)), want)

    # ---- Across CI systems
    def test_tokens_do_not_cross_providers(self):
        """A token is only good for roles that trust its own issuer."""
        roles = self.roles("DeployRole", "PreviewRole", "GitLabDeployRole", "GitLabPreviewRole",
                           "CircleCiDeployRole", "CircleCiPreviewRole")
        principal, context = self.gitlab("example-group/sluice", "main", True)
        self.assertEqual(self.who_may(roles, principal, context),
                         ["GitLabDeployRole", "GitLabPreviewRole"])
        principal, context = self.github("repo:example-org/sluice:ref:refs/heads/main")
        self.assertEqual(self.who_may(roles, principal, context), ["DeployRole"])

    def test_evaluator(self):
        """The evaluator itself, on IAM's documented semantics."""
        self.assertTrue(condition_holds("StringEqualsIfExists", "k", "v", {}))
        self.assertFalse(condition_holds("StringEquals", "k", "v", {}))
        self.assertFalse(condition_holds("ForAnyValue:StringEquals", "k", "v", {}))
        self.assertTrue(condition_holds("ForAnyValue:StringEquals", "k", "v", {"k": ["x", "v"]}))
        self.assertTrue(condition_holds("StringLike", "k", "a:*", {"k": "a:b:c"}))
        self.assertFalse(condition_holds("StringLike", "k", "a:*", {"k": "b:a"}))
        self.assertTrue(condition_holds("StringEquals", "k", ["x", "v"], {"k": "v"}))
        self.assertTrue(condition_holds("IpAddress", "k", "10.0.0.0/8", {"k": "10.1.2.3"}))
        self.assertFalse(condition_holds("IpAddress", "k", "10.0.0.0/8", {"k": "11.1.2.3"}))


if __name__ == "__main__":
    unittest.main()
