"""`sluice dev`: API Gateway's answers when the function misbehaves (issue 4).

One `sluice dev` runs tests/protocol/local_gateway_errors.yaml, whose functions
are tests/protocol/fake_runtime in various FAKE_MODEs, with the test hooks
SLUICE_DEV_INTEGRATION_TIMEOUT_MS=2000 (instead of API Gateway's 29 s / 30 s)
and SLUICE_DEV_QUEUE_MAX=1 (instead of 100 waiting invocations per function).
Checked: the integration timeout (504 REST, 503 HTTP API), a function past
its Timeout and a crashing worker (502 REST, 500 HTTP API, the log line, and
the next request succeeds), throttling (429), and CORS preflights answered
from the configuration of the API that owns the path.
"""

import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import BUILD, ROOT, LocalCloud, http_request, needs_build  # noqa: E402

FAKE = os.path.join(BUILD, "tests", "fake_runtime")
TEMPLATE = os.path.join(ROOT, "tests", "protocol", "local_gateway_errors.yaml")
INTEGRATION_TIMEOUT_MS = 2000


@needs_build
@unittest.skipUnless(os.access(FAKE, os.X_OK), "build %s first" % FAKE)
class LocalGatewayErrorsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-gw-errors-")
        cls.once = os.path.join(cls.tmp, "once")
        os.makedirs(cls.once)
        os.makedirs(os.path.join(cls.tmp, "build"))
        shutil.copy2(FAKE, os.path.join(cls.tmp, "build", "fake_runtime"))
        cls.cloud = LocalCloud(
            cls.tmp, template=TEMPLATE, args=["--parameter-overrides", "OnceDir=" + cls.once],
            env={"SLUICE_DEV_INTEGRATION_TIMEOUT_MS": str(INTEGRATION_TIMEOUT_MS),
                 "SLUICE_DEV_QUEUE_MAX": "1"})

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def get(self, path, **kw):
        return http_request(self.cloud.api_url, "GET", path, timeout=20, **kw)

    def rearm(self, name):
        """Make the function misbehave once more."""
        try:
            os.unlink(os.path.join(self.once, name))
        except FileNotFoundError:
            pass

    def wait_log(self, text, count=1, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            log = self.cloud.stderr()
            if log.count(text) >= count:
                return log
            time.sleep(0.05)
        self.fail("%r not %d times in the log:\n%s" % (text, count, self.cloud.stderr()[-3000:]))

    def assert_echo(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["rawPath"], path)

    # ---- (a) integration timeout ----

    def test_integration_timeout_http_api_is_503(self):
        t0 = time.monotonic()
        r = self.get("/slow")
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.body, b'{"message":"Service Unavailable"}')
        self.assertGreaterEqual(elapsed, INTEGRATION_TIMEOUT_MS / 1000 - 0.05)
        self.assertLess(elapsed, 3.8)  # before the function (4 s) answers
        log = self.wait_log("integration timed out after 2000 ms")
        self.assertIn('route="GET /slow"', log)
        self.assertIn("function=SlowFunction", log)

    def test_integration_timeout_rest_is_504(self):
        t0 = time.monotonic()
        r = self.get("/rest-slow")
        elapsed = time.monotonic() - t0
        self.assertEqual(r.status, 504, r)
        self.assertEqual(r.body, b'{"message": "Endpoint request timed out"}')
        self.assertIn("x-amzn-requestid", r.headers)
        self.assertLess(elapsed, 3.8)

    # ---- (b) throttling ----

    def test_busy_workers_and_full_queue_is_429(self):
        # One worker (ReservedConcurrentExecutions 1), one queued invocation:
        # of four concurrent requests two run (one after the other), two get 429.
        results, lock = [], threading.Lock()
        start = threading.Barrier(4)

        def one():
            start.wait()
            r = self.get("/throttled")
            with lock:
                results.append(r)

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200, 200, 429, 429], [(r.status, r.body) for r in results])
        for r in results:
            if r.status == 429:
                self.assertEqual(r.body, b'{"message":"Too Many Requests"}')
        log = self.wait_log("function throttled", 2)
        self.assertIn("function=ThrottledFunction", log)
        self.assert_echo("/throttled")

    # ---- (c) function timeout ----

    def test_function_timeout_is_500_then_next_succeeds(self):
        self.rearm("timeout")
        r = self.get("/timeout")
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.body, b'{"message":"Internal Server Error"}')
        log = self.wait_log("Task timed out after 1.00 seconds")
        self.assertIn("Sandbox.Timedout", log)
        self.assert_echo("/timeout")
        # The same through the REST API: 502.
        self.rearm("timeout")
        r = self.get("/rest-timeout")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(r.body, b'{"message": "Internal server error"}')
        self.wait_log("Task timed out after 1.00 seconds", 2)
        self.assert_echo("/timeout")

    # ---- (d) worker crash ----

    def test_worker_crash_is_500_then_next_succeeds(self):
        self.rearm("crash")
        r = self.get("/crash")
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.body, b'{"message":"Internal Server Error"}')
        log = self.wait_log("Runtime.ExitError")
        self.assertIn("signal: aborted", log)
        self.assert_echo("/crash")
        self.rearm("crash")
        r = self.get("/rest-crash")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(r.body, b'{"message": "Internal server error"}')
        self.wait_log("route=/rest-crash function=CrashFunction errorType=Runtime.ExitError")
        self.assert_echo("/crash")

    # ---- (e) CORS of the API being called ----

    def preflight(self, path, origin, method):
        return http_request(self.cloud.api_url, "OPTIONS", path, headers={
            "Origin": origin, "Access-Control-Request-Method": method})

    def test_preflight_uses_the_called_apis_cors(self):
        r = self.preflight("/throttled", "https://other.example", "POST")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://other.example")
        self.assertEqual(r.headers["access-control-allow-methods"], "POST")
        self.assertEqual(r.headers["access-control-allow-headers"], "x-other")
        self.assertEqual(r.headers["access-control-max-age"], "60")
        # The other API's origin is not allowed here.
        r = self.preflight("/throttled", "https://app.example", "POST")
        self.assertEqual(r.status, 204, r)
        self.assertNotIn("access-control-allow-origin", r.headers)
        # And the first API keeps its own configuration.
        r = self.preflight("/slow", "https://app.example", "PUT")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(r.headers["access-control-allow-methods"], "GET,PUT")
        self.assertEqual(r.headers["access-control-max-age"], "600")
        self.assertNotIn("access-control-allow-headers", r.headers)


if __name__ == "__main__":
    unittest.main()
