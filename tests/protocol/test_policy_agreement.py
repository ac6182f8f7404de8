"""Agreement of `sluice check` with checkov on checkov's CloudFormation checks.

checkov cannot be installed here, so its verdicts are written down: each
resource of a tests/policy/checkov-<service>/template.yaml says, in
Metadata.agreement, which checkov ids checkov fails it on and which it
passes, as read from each check's source and documented intent:

    Metadata:
      agreement:
        fail: [CKV_AWS_19]          # checkov reports it
        pass: [CKV_AWS_21]          # checkov does not
        differ: [CKV_AWS_27]        # a documented, deliberate difference

The test runs sluice on each template and compares, per (resource, id):
recall is the share of expected failures that sluice reports under that
id (a finding carries the ids of the condition that failed); the false
positive rate is the share of expected passes that sluice flags under it.
`differ` pairs are listed in docs/policy.md and counted apart. It prints
both figures per service and overall, and fails below 95% recall or above
3% false positives.

It also holds the crosswalk to docs/policy.md: every checkov id of a rule
appears there, every CloudFormation check listed as implemented is some
rule's and has both a failing and a passing case, and at least 110 of
checkov's CloudFormation checks are crosswalked.
"""

import json
import os
import re
import subprocess
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = os.path.join(ROOT, "tests", "policy")
DOC = os.path.join(ROOT, "docs", "policy.md")
BUILD = os.environ.get("SLUICE_BUILD", "build")
SLUICE = os.path.join(BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD), "sluice")

MIN_RECALL = 0.95
MAX_FALSE_POSITIVES = 0.03
MIN_CROSSWALKED = 110


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) read as plain nodes."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TemplateLoader.add_multi_constructor("!", _any_tag)


def agreement_cases():
    for name in sorted(os.listdir(CASES)):
        if name.startswith("checkov-") and os.path.isdir(os.path.join(CASES, name)):
            yield name[len("checkov-"):], os.path.join(CASES, name, "template.yaml")


def expectations(template_path):
    """{resource: {"fail": set, "pass": set, "differ": set}} from Metadata.agreement."""
    with open(template_path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=_TemplateLoader)
    out = {}
    for rid, res in (doc.get("Resources") or {}).items():
        agreement = ((res or {}).get("Metadata") or {}).get("agreement")
        if agreement:
            out[rid] = {k: set(agreement.get(k) or []) for k in ("fail", "pass", "differ")}
    return out


def flagged(template_path):
    """{resource: set of checkov ids sluice reports}, suppressed findings included."""
    proc = subprocess.run([SLUICE, "check", "--format", "json", os.path.basename(template_path)],
                          cwd=os.path.dirname(template_path), capture_output=True, text=True,
                          timeout=60, check=False)
    if proc.returncode not in (0, 1):
        raise AssertionError("sluice check failed on %s: %s" % (template_path, proc.stderr))
    out = {}
    for finding in json.loads(proc.stdout)["findings"]:
        out.setdefault(finding["resource"], set()).update(finding["checkov"])
    return out


def crosswalk_table():
    """The checkov CloudFormation checks docs/policy.md lists: {id: status}."""
    table = {}
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(CKV2?_AWS_\d+)\s*\|[^|]*\|[^|]*\|\s*([^|]+?)\s*\|", line)
            if m:
                table[m.group(1)] = m.group(2)
    return table


def catalogue_checkov_ids():
    """{checkov id: [rule ids]} from --list-rules."""
    listing = subprocess.run([SLUICE, "check", "--list-rules"], capture_output=True, text=True,
                             check=True).stdout
    ids, rule = {}, None
    for line in listing.splitlines():
        if line.startswith("  ") and not line.startswith("      "):
            rule = line.split()[0]
        for m in re.finditer(r"checkov ([A-Z0-9_,]+)", line):
            for cid in m.group(1).split(","):
                ids.setdefault(cid, []).append(rule)
    return ids


class AgreementTest(unittest.TestCase):
    def test_recall_and_false_positives(self):
        rows, totals = [], {"fail": 0, "caught": 0, "pass": 0, "flagged": 0, "differ": 0}
        misses = []
        for service, path in agreement_cases():
            want, got = expectations(path), flagged(path)
            counts = {"fail": 0, "caught": 0, "pass": 0, "flagged": 0, "differ": 0}
            for rid, verdicts in want.items():
                reported = got.get(rid, set())
                for cid in verdicts["fail"]:
                    counts["fail"] += 1
                    if cid in reported:
                        counts["caught"] += 1
                    else:
                        misses.append("%s: %s %s not reported" % (service, rid, cid))
                for cid in verdicts["pass"]:
                    counts["pass"] += 1
                    if cid in reported:
                        counts["flagged"] += 1
                        misses.append("%s: %s %s reported, checkov passes it" % (service, rid, cid))
                counts["differ"] += len(verdicts["differ"])
            rows.append((service, counts))
            for k in totals:
                totals[k] += counts[k]
        self.assertGreater(totals["fail"], 100)
        print("\nagreement with checkov (tests/policy/checkov-*):")
        print("  %-12s %7s %7s %9s %7s %7s %9s %7s" % ("service", "fails", "caught", "recall",
                                                    "passes", "flagged", "FP rate", "differ"))
        for service, c in rows + [("overall", totals)]:
            recall = c["caught"] / c["fail"] if c["fail"] else 1.0
            fp = c["flagged"] / c["pass"] if c["pass"] else 0.0
            print("  %-12s %7d %7d %8.1f%% %7d %7d %8.1f%% %7d" % (
                service, c["fail"], c["caught"], 100 * recall, c["pass"], c["flagged"], 100 * fp,
                c["differ"]))
        for m in misses:
            print("  " + m)
        recall = totals["caught"] / totals["fail"]
        fp = totals["flagged"] / totals["pass"]
        self.assertGreaterEqual(recall, MIN_RECALL, "recall below 95%:\n" + "\n".join(misses))
        self.assertLessEqual(fp, MAX_FALSE_POSITIVES, "false positives above 3%:\n" +
                             "\n".join(misses))

    def test_crosswalk_is_documented(self):
        table, rules = crosswalk_table(), catalogue_checkov_ids()
        implemented = {cid for cid, status in table.items() if status.startswith("implemented")}
        self.assertGreaterEqual(len(table), MIN_CROSSWALKED)
        # Every id a rule names is either a CloudFormation check in the table
        # or one of checkov's Terraform-only checks listed under it.
        with open(DOC, encoding="utf-8") as f:
            doc = f.read()
        for cid, rule_ids in rules.items():
            self.assertIn(cid, doc, "%s (%s) is not in docs/policy.md" % (cid, rule_ids))
        for cid in implemented:
            self.assertIn(cid, rules, "%s is listed as implemented, but no rule names it" % cid)
        for cid, status in table.items():
            if not status.startswith("implemented"):
                self.assertNotIn(cid, rules, "%s has a rule but is listed as not implemented"
                                 % cid)

    def test_every_implemented_check_has_both_verdicts(self):
        table = crosswalk_table()
        implemented = {cid for cid, status in table.items() if status.startswith("implemented")}
        fails, passes = set(), set()
        for _, path in agreement_cases():
            for verdicts in expectations(path).values():
                fails |= verdicts["fail"]
                passes |= verdicts["pass"]
        self.assertEqual([], sorted(implemented - fails), "implemented checks without a failing case")
        self.assertEqual([], sorted(implemented - passes), "implemented checks without a passing case")


if __name__ == "__main__":
    unittest.main()
