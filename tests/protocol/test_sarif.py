"""`sluice check --format sarif` against the SARIF 2.1.0 schema.

No SARIF schema ships with the installed Python packages or Debian packages
and the tests run offline, so tests/fixtures/sarif-2.1.0-subset.json holds a
hand-written subset of the official schema: the objects sluice writes, with
their required properties, enums and additionalProperties false.
"""

import json
import os
import subprocess
import unittest

import jsonschema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SLUICE_BUILD", "build")
SLUICE = os.path.join(BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD), "sluice")
SCHEMA = os.path.join(ROOT, "tests", "fixtures", "sarif-2.1.0-subset.json")
CASES = os.path.join(ROOT, "tests", "policy")


def sarif_of(case):
    proc = subprocess.run([SLUICE, "check", "--format", "sarif", "template.yaml"],
                          cwd=os.path.join(CASES, case), capture_output=True, text=True,
                          timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


class SarifTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        cls.validator = jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)

    def test_valid_for_failing_passing_and_suppressed_cases(self):
        for case in ("s3-fail", "s3-pass", "sam-shorthand", "suppressions", "iam-fail"):
            with self.subTest(case=case):
                _, log = sarif_of(case)
                errors = sorted(self.validator.iter_errors(log), key=str)
                self.assertEqual([], [e.message for e in errors])

    def test_catalogue_and_results(self):
        code, log = sarif_of("s3-fail")
        self.assertEqual(1, code)
        self.assertEqual("2.1.0", log["version"])
        run = log["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        listing = subprocess.run([SLUICE, "check", "--list-rules"], capture_output=True,
                                 text=True, check=True).stdout
        self.assertIn("%d rules" % len(rules), listing)
        by_id = {r["id"]: r for r in rules}
        s3_009 = by_id["S3-009"]
        self.assertEqual("BucketWithoutAccessLogging", s3_009["name"])
        self.assertEqual("CKV_AWS_18", s3_009["properties"]["checkov"][0])
        self.assertEqual(["W35"], s3_009["properties"]["cfn_nag"])
        self.assertEqual("8.0", s3_009["properties"]["security-severity"])
        self.assertIn("Fix:", s3_009["help"]["text"])
        results = run["results"]
        self.assertEqual(15, len(results))
        for res in results:
            self.assertEqual(rules[res["ruleIndex"]]["id"], res["ruleId"])
            loc = res["locations"][0]["physicalLocation"]
            self.assertEqual("template.yaml", loc["artifactLocation"]["uri"])
            self.assertGreaterEqual(loc["region"]["startLine"], 1)
        first = results[0]
        self.assertEqual("S3-001", first["ruleId"])
        self.assertEqual("error", first["level"])
        self.assertEqual({"startLine": 6, "startColumn": 3},
                         first["locations"][0]["physicalLocation"]["region"])

    def test_suppressed_results_carry_justification(self):
        _, log = sarif_of("suppressions")
        supp = [r for r in log["runs"][0]["results"] if "suppressions" in r]
        self.assertEqual(5, len(supp))
        w35 = [r for r in supp if r["ruleId"] == "S3-009"][0]
        self.assertEqual([{"kind": "inSource", "justification": "this is the access-log bucket"}],
                         w35["suppressions"])


if __name__ == "__main__":
    unittest.main()
