"""What the browser tests share (test_web_browser.py, test_dashboard_browser.py):
a node script in tests/e2e/ runs its scenarios once in Debian's chromium and
writes its results; each scenario is one test here, so that `make test`
counts them.
"""

import json
import os
import shutil
import subprocess
import unittest

from test_local_dev import ROOT

BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
OUT = os.path.join(BUILD, "test-logs", "e2e")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT = os.path.join(ROOT, "node_modules", "playwright-core")
SUITE_TIMEOUT_S = 180
WEB_BUILD_TIMEOUT_S = 180

needs_browser = unittest.skipUnless(
    os.access(CHROMIUM, os.X_OK) and os.path.isdir(PLAYWRIGHT) and shutil.which("node"),
    "needs chromium and node_modules/playwright-core: run make deps")


class BrowserSuite:
    """Mixed into a TestCase: SCRIPT (tests/e2e/...), RESULTS (its file in OUT),
    BUILT (files of the web build it needs) and SCENARIOS (key -> name)."""

    SCRIPT = RESULTS = None
    BUILT = ()
    SCENARIOS = {}

    @classmethod
    def setUpClass(cls):
        if not all(os.path.exists(os.path.join(ROOT, b)) for b in cls.BUILT):
            subprocess.run(["npm", "run", "-s", "build:web"], cwd=ROOT, check=True,
                           timeout=WEB_BUILD_TIMEOUT_S)
        env = dict(os.environ, SLUICE_BUILD=BUILD, E2E_OUT=OUT, CHROMIUM=CHROMIUM)
        cls.run_ = subprocess.run(["node", cls.SCRIPT], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=SUITE_TIMEOUT_S)
        try:
            with open(os.path.join(OUT, cls.RESULTS)) as f:
                cls.report = json.load(f)
        except (OSError, ValueError):
            cls.report = {"results": [], "figures": {}}
        cls.results = {r["name"]: r for r in cls.report["results"]}

    def scenario(self, key):
        r = self.results.get(self.SCENARIOS[key])
        self.assertIsNotNone(r, "scenario did not run:\n" + self.run_.stdout + self.run_.stderr)
        self.assertTrue(r["ok"], r.get("error"))

    def assert_suite_passed(self):
        self.assertEqual(self.run_.returncode, 0, self.run_.stdout + self.run_.stderr)
        self.assertEqual(len(self.results), len(self.SCENARIOS))
        self.assertLess(self.report["figures"]["suiteSeconds"], 60)
