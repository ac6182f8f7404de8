"""The site in a real browser (tests/e2e/site.mjs): Debian's chromium,
headless and off the network, driven by playwright-core against a
`sluice dev` that the script starts on free ports and stops. The script
runs once; each of its scenarios is one test here, so that `make test`
counts them. Screenshots and results.json go to build/test-logs/e2e/.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from browser_suite import OUT, BrowserSuite, needs_browser  # noqa: E402
from test_local_dev import ROOT, needs_build  # noqa: E402

SCENARIOS = {
    "loads": "loads with no console error, no CSP violation, and the security headers",
    "post": "posting a message adds one to the count and reads it back by id",
    "deep_link": "a deep link /messages/<id> survives a reload; an unknown id shows the API's 404",
    "boundary": "4,096 characters of multi-byte text post; 4,097 are refused before sending",
    "keyboard": "keyboard only: the form can be filled and sent",
    "api_down": "with the API stopped the failure shows and the text stays; retry works once it is back",
}


@needs_build
@needs_browser
class BrowserTest(BrowserSuite, unittest.TestCase):
    SCRIPT = "tests/e2e/site.mjs"
    RESULTS = "results.json"
    BUILT = ("web/dist/index.html",)
    SCENARIOS = SCENARIOS

    def test_loads(self):
        self.scenario("loads")

    def test_post(self):
        self.scenario("post")

    def test_deep_link(self):
        self.scenario("deep_link")

    def test_boundary(self):
        self.scenario("boundary")

    def test_keyboard(self):
        self.scenario("keyboard")

    def test_api_down(self):
        self.scenario("api_down")

    def test_suite_and_screenshots(self):
        self.assert_suite_passed()
        for view in ("home", "message", "not-found", "api-down"):
            for width in (1280, 320):
                self.assertTrue(os.path.getsize(os.path.join(OUT, "%s-%d.png" % (view, width))) > 0)


@unittest.skipUnless(shutil.which("node") and os.path.isdir(os.path.join(ROOT, "node_modules", "esbuild")),
                     "needs node_modules: run make deps")
class BundleTest(unittest.TestCase):
    def test_bundle_under_20_kb_gzipped(self):
        import gzip
        import tempfile
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(["node", "web/build.mjs", "--outdir", out], cwd=ROOT, check=True,
                           capture_output=True, timeout=120)
            assets = os.path.join(out, "assets")
            js = [f for f in os.listdir(assets) if f.endswith(".js")]
            self.assertEqual(len(js), 1, js)
            self.assertRegex(js[0], r"^main-[A-Z0-9]{8}\.js$")  # content-hashed
            with open(os.path.join(assets, js[0]), "rb") as f:
                self.assertLess(len(gzip.compress(f.read(), 9)), 20 * 1024)
            with open(os.path.join(out, "index.html")) as f:
                html = f.read()
            self.assertIn("/assets/" + js[0], html)
            self.assertNotIn("<style", html)  # no inline style or script: a strict CSP holds
            self.assertNotIn("style=", html)
            self.assertNotRegex(html, r"<script(?![^>]*\ssrc=)")


if __name__ == "__main__":
    unittest.main()
