"""The sluice dev dashboard (/_sluice/) in a real browser (tests/e2e/dashboard.mjs):
Debian's chromium, headless and off the network, driven by playwright-core
against a `sluice dev` that the script starts on free ports and stops. Each
scenario is one test here; the update latency it measures (from an answer
reaching the client to its row in the page) is checked against the goal of
100 ms and kept in build/test-logs/e2e/dashboard-results.json.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from browser_suite import BrowserSuite, needs_browser  # noqa: E402
from test_local_dev import needs_build  # noqa: E402

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
@needs_browser
class DashboardBrowserTest(BrowserSuite, unittest.TestCase):
    SCRIPT = "tests/e2e/dashboard.mjs"
    RESULTS = "dashboard-results.json"
    BUILT = ("web/dist/index.html", "web/dashboard/dist/index.html")
    SCENARIOS = SCENARIOS

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
        self.assert_suite_passed()


if __name__ == "__main__":
    unittest.main()
