"""The sluice dev dashboard (/_sluice/) in a real browser (tests/e2e/dashboard.mjs):
Debian's chromium, headless and off the network, driven by playwright-core
against a `sluice dev` that the script starts on free ports and stops. Each
scenario is one test here; the update latency it measures (from an answer
reaching the client to its row in the page) is checked against the goal of
100 ms and kept in build/test-logs/e2e/dashboard-results.json.
"""

import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import ROOT, needs_build  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
OUT = os.path.join(BUILD, "test-logs", "e2e")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT = os.path.join(ROOT, "node_modules", "playwright-core")
SCENARIOS = {
    "loads": "the dashboard loads from sluice dev alone, with no console error and no CSP violation",
    "live": "requests appear live, each within 100 ms of its answer (median)",
    "detail": "a request opens with its event, its log lines and its DynamoDB call",
    "statement": "a request opens with its PostgreSQL statement, its text without values",
    "routes": "routes are charted with requests, errors and latency",
    "alarms": "the template's alarms are listed with their states",
    "client_errors": "an error thrown in the website reaches the dashboard through /client-events",
}


@needs_build
@unittest.skipUnless(os.access(CHROMIUM, os.X_OK) and os.path.isdir(PLAYWRIGHT) and shutil.which("node"),
                     "needs chromium and node_modules/playwright-core: run make deps")
class DashboardBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for built in ("web/dist/index.html", "web/dashboard/dist/index.html"):
            if not os.path.exists(os.path.join(ROOT, built)):
                subprocess.run(["npm", "run", "-s", "build:web"], cwd=ROOT, check=True, timeout=180)
                break
        env = dict(os.environ, SLUICE_BUILD=BUILD, E2E_OUT=OUT, CHROMIUM=CHROMIUM)
        cls.run_ = subprocess.run(["node", "tests/e2e/dashboard.mjs"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=180)
        try:
            with open(os.path.join(OUT, "dashboard-results.json")) as f:
                cls.report = json.load(f)
        except (OSError, ValueError):
            cls.report = {"results": [], "figures": {}}
        cls.results = {r["name"]: r for r in cls.report["results"]}

    def scenario(self, key):
        r = self.results.get(SCENARIOS[key])
        self.assertIsNotNone(r, "scenario did not run:\n" + self.run_.stdout + self.run_.stderr)
        self.assertTrue(r["ok"], r.get("error"))

    def test_loads(self):
        self.scenario("loads")

    def test_live_updates(self):
        self.scenario("live")
        figures = self.report["figures"]
        self.assertEqual(figures["updateSamples"], 20)
        self.assertLessEqual(figures["updateAfterAnswerMedianMs"], 100)

    def test_request_detail(self):
        self.scenario("detail")

    def test_request_statement(self):
        self.scenario("statement")

    def test_routes(self):
        self.scenario("routes")

    def test_alarms(self):
        self.scenario("alarms")

    def test_client_errors(self):
        self.scenario("client_errors")

    def test_suite(self):
        self.assertEqual(self.run_.returncode, 0, self.run_.stdout + self.run_.stderr)
        self.assertLess(self.report["figures"]["suiteSeconds"], 60)


if __name__ == "__main__":
    unittest.main()
