"""The template and workflow gates: cfn-lint and `sluice check` on every
infra/*.yaml template, and the GitHub Actions workflows parsed by
@actions/workflow-parser (scripts/check-workflows.mjs).
"""

import glob
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
SLUICE = os.path.join(BUILD, "sluice")
TEMPLATES = sorted(glob.glob(os.path.join(ROOT, "infra", "*.yaml")))


def run(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, **kw)


def sluice_has_check():
    """True when build/sluice exists and knows the `check` subcommand."""
    if not os.access(SLUICE, os.X_OK):
        return False
    result = run([SLUICE, "check", "--help"])
    return result.returncode == 0 and "check" in (result.stdout + result.stderr)


class CfnLintTest(unittest.TestCase):
    def test_templates_exist(self):
        names = [os.path.basename(t) for t in TEMPLATES]
        for name in ("template.yaml", "bootstrap.yaml", "pipeline.yaml", "network.yaml",
                     "database.yaml"):
            self.assertIn(name, names)

    def test_zero_errors(self):
        for template in TEMPLATES:
            with self.subTest(template=os.path.basename(template)):
                # cfn-lint exits 0 when clean; 2 errors, 4 warnings, 8 informational.
                result = run(["cfn-lint", "--format", "parseable", template])
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


@unittest.skipUnless(sluice_has_check(),
                     "%s has no `check` subcommand yet (run make once it is built)" % SLUICE)
class SluiceCheckTest(unittest.TestCase):
    def test_no_unsuppressed_findings(self):
        result = run([SLUICE, "check", "infra/"])
        self.assertEqual(result.returncode, 0,
                         "sluice check infra/ reported findings:\n" + result.stdout + result.stderr)

    def test_with_aws_parameters(self):
        """Resources behind conditions (the GitLab and CircleCI identities, the
        runner fallback, the API domain, prod's standby and third zone) are
        judged too, with the parameters that turn them on: zero errors, and
        every suppression carries its reason."""
        params = os.path.join(ROOT, "tests", "fixtures", "params")
        for template, values in (("bootstrap.yaml", "bootstrap-all.json"),
                                 ("template.yaml", "template-aws.json"),
                                 ("database.yaml", "database-prod.json"),
                                 ("network.yaml", "network-prod.json")):
            with self.subTest(template=template):
                result = run([SLUICE, "check", "--show-suppressed", "--parameters",
                              os.path.join(params, values), os.path.join("infra", template)])
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("0 errors", result.stdout)
        result = run([SLUICE, "check", "--show-suppressed", "--parameters",
                      os.path.join(params, "bootstrap-all.json"), "infra/bootstrap.yaml"])
        for rule in ("IAM-009", "SM-002"):
            self.assertIn("suppressed " + rule, result.stdout)

    def test_sarif_report(self):
        result = run([SLUICE, "check", "--format", "sarif", "infra/"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"version"', result.stdout)
        self.assertIn("2.1.0", result.stdout)


NODE_MODULES = os.path.join(ROOT, "node_modules", "@actions", "workflow-parser")


@unittest.skipUnless(os.path.isdir(NODE_MODULES) and shutil.which("node"),
                     "no node_modules/@actions/workflow-parser: run make deps (npm ci)")
class WorkflowsTest(unittest.TestCase):
    def test_workflows_parse(self):
        result = run(["node", "scripts/check-workflows.mjs"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for name in ("pr.yml", "cleanup.yml", "main.yml"):
            self.assertIn(".github/workflows/%s: ok" % name, result.stdout)
        self.assertIn("3 files, 0 errors", result.stdout)

    def test_checker_catches_mistakes(self):
        with open(os.path.join(ROOT, ".github/workflows/pr.yml")) as f:
            good = f.read()
        cases = {
            "typo": (good.replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1),
                     "Unexpected value 'runs_on'"),
            "unpinned": (good.replace("actions/checkout@v4.2.2", "actions/checkout@main", 1),
                         "action not pinned: actions/checkout@main"),
            "permissions": (good.replace("permissions: {}\n", "", 1),
                            "no top-level permissions"),
        }
        with tempfile.TemporaryDirectory() as tmp:
            for name, (text, message) in cases.items():
                with self.subTest(case=name):
                    self.assertNotEqual(text, good)
                    path = os.path.join(tmp, name + ".yml")
                    with open(path, "w") as f:
                        f.write(text)
                    result = run(["node", "scripts/check-workflows.mjs", path])
                    self.assertNotEqual(result.returncode, 0)
                    self.assertIn(message, result.stdout)


if __name__ == "__main__":
    unittest.main()
