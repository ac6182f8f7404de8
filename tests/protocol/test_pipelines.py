"""The GitLab CI and CircleCI pipelines, checked offline by their own tools.

- .gitlab-ci.yml through gitlab-ci-local (npm), which reads it as GitLab
  does (schema, rules, needs) and lists the jobs of a pipeline without
  running them (no Docker, no network): the jobs, stages and needs of a
  merge request pipeline and of a default-branch pipeline;
- .circleci/config.yml through CircleCI's config parser (npm), which
  validates each component against CircleCI's schemas
  (scripts/check-circleci.mjs prints what it read);
- both pipelines deploy only through scripts/deploy.sh and destroy only
  through make destroy, so the migrations run where every other CI runs
  them (between the stack update and the traffic shift).
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GCL = os.path.join(ROOT, "node_modules", "gitlab-ci-local", "src", "index.js")
CIRCLE = os.path.join(ROOT, "node_modules", "@circleci", "circleci-config-parser")


def run(argv, cwd=ROOT):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def json_list(out):
    """The JSON array gitlab-ci-local prints after its progress lines."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "[" or line.strip() == "[]")
    return json.loads("\n".join(lines[start:]))


@unittest.skipUnless(os.path.exists(GCL) and shutil.which("node") and shutil.which("git"),
                     "no node_modules/gitlab-ci-local: run make deps (npm ci)")
class GitLabPipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # gitlab-ci-local reads the repository it runs in (branch, remote)
        # and keeps state beside the file: a throwaway repository holds a
        # copy, so the work tree is left alone.
        cls.tmp = tempfile.mkdtemp()
        shutil.copy(os.path.join(ROOT, ".gitlab-ci.yml"), cls.tmp)
        git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
        for argv in (["git", "init", "-q", "-b", "main"], ["git", "add", ".gitlab-ci.yml"],
                     git + ["commit", "-qm", "pipeline"]):
            subprocess.run(argv, cwd=cls.tmp, check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def jobs(self, *variables):
        argv = ["node", GCL, "--list-json", "--no-color", "--home", self.tmp]
        for v in variables:
            argv += ["--variable", v]
        result = run(argv, cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        listed = json_list(result.stdout)
        return {j["name"]: j for j in listed if j["when"] != "never"}

    @staticmethod
    def needs(job):
        return sorted(n["job"] for n in job.get("needs") or [])

    def test_merge_request_pipeline(self):
        jobs = self.jobs("CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=42",
                         "CI_COMMIT_BRANCH=feature-x")
        self.assertEqual(sorted(jobs), ["build", "check", "preview", "preview-stop", "test"])
        self.assertEqual({n: j["stage"] for n, j in jobs.items()},
                         {"check": "check", "build": "build", "test": "test",
                          "preview": "preview", "preview-stop": "preview"})
        self.assertEqual(self.needs(jobs["check"]), [])
        self.assertEqual(self.needs(jobs["build"]), ["check"])
        self.assertEqual(self.needs(jobs["test"]), ["build"])
        self.assertEqual(self.needs(jobs["preview"]), ["build", "test"])
        self.assertEqual(self.needs(jobs["preview-stop"]), ["preview"])
        self.assertEqual(jobs["preview-stop"]["when"], "manual")

    def test_default_branch_pipeline(self):
        jobs = self.jobs("CI_PIPELINE_SOURCE=push", "CI_COMMIT_BRANCH=main", "CI_DEFAULT_BRANCH=main")
        self.assertEqual(sorted(jobs), ["build", "check", "production", "test"])
        self.assertEqual(jobs["production"]["stage"], "production")
        self.assertEqual(self.needs(jobs["production"]), ["build", "test"])

    def test_environments_and_identities(self):
        """The preview's environment stops through preview-stop; the AWS jobs
        ask for an id_token with the audience the roles pin, and assume the
        preview role in merge requests and the deploy role on main only."""
        result = run(["node", GCL, "--preview", "--home", self.tmp,
                      "--variable", "CI_PIPELINE_SOURCE=merge_request_event",
                      "--variable", "CI_MERGE_REQUEST_IID=42"], cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        import yaml  # PyYAML comes with cfn-lint
        doc = yaml.safe_load(result.stdout[result.stdout.index("---") if "---" in result.stdout else 0:])
        preview, stop, prod = doc["preview"], doc["preview-stop"], doc["production"]
        self.assertEqual(preview["environment"]["on_stop"], "preview-stop")
        self.assertEqual(stop["environment"]["action"], "stop")
        self.assertEqual(stop["environment"]["name"], preview["environment"]["name"])
        for job in (preview, stop, prod):
            self.assertEqual(job["id_tokens"]["AWS_ID_TOKEN"]["aud"], "sts.amazonaws.com")
        self.assertEqual(preview["variables"]["ROLE_ARN"], "$PREVIEW_ROLE_ARN")
        self.assertEqual(prod["variables"]["ROLE_ARN"], "$DEPLOY_ROLE_ARN")
        self.assertIn("scripts/deploy.sh", preview["script"])
        self.assertIn("scripts/deploy.sh", prod["script"])
        self.assertTrue(any("make destroy" in line for line in stop["script"]))
        for name, job in doc.items():
            if isinstance(job, dict) and "id_tokens" in job:
                self.assertIn(name, ("preview", "preview-stop", "production", ".aws"))


@unittest.skipUnless(os.path.isdir(CIRCLE) and shutil.which("node"),
                     "no node_modules/@circleci/circleci-config-parser: run make deps (npm ci)")
class CircleCiPipelineTest(unittest.TestCase):
    def parsed(self, path=".circleci/config.yml"):
        result = run(["node", "scripts/check-circleci.mjs", path])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return json.loads(result.stdout)

    def test_jobs_and_workflow(self):
        cfg = self.parsed()
        self.assertEqual(cfg["jobs"], ["build", "check", "destroy-preview", "preview",
                                       "production", "test"])
        flow = {j["name"]: j for j in cfg["workflows"]["gates-and-deploys"]}
        self.assertEqual(sorted(flow), ["build", "check", "preview", "production", "test"])
        self.assertEqual(flow["build"]["requires"], ["check"])
        self.assertEqual(flow["test"]["requires"], ["build"])
        self.assertEqual(flow["preview"]["requires"], ["test"])
        self.assertEqual(flow["preview"]["branches"], {"ignore": "main"})
        self.assertEqual(flow["production"]["requires"], ["test"])
        self.assertEqual(flow["production"]["branches"], {"only": "main"})
        # The deploy role trusts only jobs in this context (infra/bootstrap.yaml).
        self.assertEqual(flow["production"]["context"], ["sluice-production"])
        self.assertEqual(flow["preview"]["context"], [])
        self.assertEqual([j["name"] for j in cfg["workflows"]["destroy-preview"]],
                         ["destroy-preview"])

    def test_parser_catches_mistakes(self):
        with open(os.path.join(ROOT, ".circleci/config.yml")) as f:
            good = f.read()
        bad = good.replace("      - run: make package-check\n",
                           "      - run:\n          comand: make package-check\n", 1)
        self.assertNotEqual(bad, good)
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            f.write(bad)
            f.flush()
            result = run(["node", "scripts/check-circleci.mjs", f.name])
        self.assertNotEqual(result.returncode, 0, result.stdout)

    def test_deploys_go_through_the_scripts(self):
        with open(os.path.join(ROOT, ".circleci/config.yml")) as f:
            text = f.read()
        self.assertEqual(text.count("            scripts/deploy.sh\n"), 2)
        self.assertIn("make destroy", text)
        self.assertIn("CIRCLE_OIDC_TOKEN_V2", text)
        self.assertNotIn("AWS_SECRET_ACCESS_KEY", text)


if __name__ == "__main__":
    unittest.main()
