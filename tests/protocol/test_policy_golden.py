"""Golden tests for `sluice check`: every folder of tests/policy/ is a case.

A case holds template.yaml (or the files its `args` names), an optional
`args` file (the arguments after `sluice check`, split like a shell would;
without it the argument is template.yaml) and expected.txt, the text the run
must produce. See tests/policy/README.md for the format.

SLUICE_BUILD names the build folder holding the binary (default "build").
With SLUICE_UPDATE_GOLDEN=1 the expected files are rewritten from the
current output instead of compared: read every changed file before
committing it.
"""

import os
import shlex
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = os.path.join(ROOT, "tests", "policy")
BUILD = os.environ.get("SLUICE_BUILD", "build")
SLUICE = os.path.join(BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD), "sluice")
UPDATE = os.environ.get("SLUICE_UPDATE_GOLDEN") == "1"


def run_case(case_dir):
    """Run sluice check in the case's folder and render what it produced."""
    args_file = os.path.join(case_dir, "args")
    if os.path.exists(args_file):
        with open(args_file, encoding="utf-8") as f:
            args = shlex.split(f.read())
    else:
        args = ["template.yaml"]
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run([SLUICE, "check", *args], cwd=case_dir, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    out = proc.stdout
    if proc.stderr:
        out += "--- stderr\n" + proc.stderr
    out += "--- exit %d\n" % proc.returncode
    return out


def case_dirs():
    for name in sorted(os.listdir(CASES)):
        path = os.path.join(CASES, name)
        if os.path.isdir(path):
            yield name, path


class PolicyGoldenTest(unittest.TestCase):
    def test_binary_exists(self):
        self.assertTrue(os.access(SLUICE, os.X_OK), "build %s first" % SLUICE)

    def test_cases(self):
        names = []
        for name, path in case_dirs():
            names.append(name)
            with self.subTest(case=name):
                got = run_case(path)
                expected_file = os.path.join(path, "expected.txt")
                if UPDATE:
                    with open(expected_file, "w", encoding="utf-8") as f:
                        f.write(got)
                    continue
                self.assertTrue(os.path.exists(expected_file), "%s has no expected.txt" % name)
                with open(expected_file, encoding="utf-8") as f:
                    self.assertEqual(f.read(), got)
        self.assertGreater(len(names), 30)

    def test_every_rule_fails_and_passes_somewhere(self):
        """Each rule id appears in some expected.txt as a finding, and every
        service has a *-pass case whose run is clean."""
        listing = subprocess.run([SLUICE, "check", "--list-rules"], capture_output=True,
                                 text=True, check=True).stdout
        ids = [line.split()[0] for line in listing.splitlines()
               if line.startswith("  ") and not line.startswith("      ")]
        self.assertGreater(len(ids), 50)
        seen = set()
        for _, path in case_dirs():
            expected_file = os.path.join(path, "expected.txt")
            if not os.path.exists(expected_file) or path.endswith("list-rules"):
                continue
            with open(expected_file, encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) > 2 and parts[1] in ("error", "warning", "suppressed"):
                        seen.add(parts[2])
        self.assertEqual([], [i for i in ids if i not in seen], "rules without a failing case")
        for name, path in case_dirs():
            if name.endswith("-pass"):
                with self.subTest(case=name):
                    self.assertIn("0 errors, 0 warnings", run_case(path))


if __name__ == "__main__":
    unittest.main()


class JUnitTest(unittest.TestCase):
    """`--format junit`: one suite per template, one case per rule."""

    def run_junit(self, case, *extra):
        import xml.etree.ElementTree as ET
        proc = subprocess.run([SLUICE, "check", "--format", "junit", *extra, "template.yaml"],
                              cwd=os.path.join(CASES, case), capture_output=True, text=True,
                              timeout=60, check=False)
        return proc.returncode, ET.fromstring(proc.stdout)

    def test_failures_per_rule(self):
        code, root = self.run_junit("lambda-fail")
        self.assertEqual(1, code)
        suite = root.find("testsuite")
        self.assertEqual("template.yaml", suite.get("name"))
        cases = suite.findall("testcase")
        self.assertEqual(int(suite.get("tests")), len(cases))
        failed = {c.get("name").split()[0] for c in cases if c.find("failure") is not None}
        # The warnings do not reach the default threshold.
        self.assertEqual({"LAMBDA-001", "LAMBDA-002", "LAMBDA-003", "LAMBDA-006", "LAMBDA-010"},
                         failed)
        self.assertEqual("5", suite.get("failures"))
        lambda5 = [c for c in cases if c.get("name").startswith("LAMBDA-005")][0]
        self.assertIn("reserved concurrency", lambda5.find("system-out").text)
        failure = [c for c in cases if c.get("name").startswith("LAMBDA-001")][0].find("failure")
        self.assertEqual("error", failure.get("type"))
        self.assertTrue(failure.text.startswith("template.yaml:8:16 "))

    def test_fail_on_warning_and_suppressed(self):
        _, root = self.run_junit("lambda-fail", "--fail-on", "warning")
        self.assertEqual("11", root.find("testsuite").get("failures"))
        _, root = self.run_junit("suppressions")
        skipped = [c.get("name").split()[0] for c in root.iter("testcase")
                   if c.find("skipped") is not None]
        self.assertEqual(["S3-005", "S3-008", "S3-009", "IAM-003", "LAMBDA-005"], skipped)
