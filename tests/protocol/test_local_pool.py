"""The worker pool of `sluice dev` and its Lambda Runtime API (issue 4, sections 3-5).

Each test runs tests/protocol/pool_driver (a pool over an event loop, commands
on stdin, one JSON result per line on stdout) with tests/protocol/fake_runtime
as the function: a runtime that misbehaves as FAKE_MODE says. With FAKE_ONCE
the misbehaviour happens in the first worker only, so each test can check that
the invocation after the misbehaving one succeeds.

The pool's log (START/END/REPORT lines, "Task timed out", the pool's notes)
and the workers' own stderr (fake_runtime prints what the Runtime API answered
it) go to the driver's stderr, which the tests read back from a file.
"""

import json
import os
import re
import select
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
DRIVER = os.path.join(BUILD, "tests", "pool_driver")
FAKE = os.path.join(BUILD, "tests", "fake_runtime")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
WAIT_S = 30


class Driver:
    """One pool_driver process; stopped by close()."""

    def __init__(self, tmp, env=(), parent_env=None, **opts):
        self.log_path = os.path.join(tmp, "pool-%d.log" % time.monotonic_ns())
        self.log_file = open(self.log_path, "wb")
        args = [DRIVER, "--binary", opts.pop("binary", FAKE)]
        for key, value in opts.items():
            args += ["--" + key.replace("_", "-"), str(value)]
        for item in env:
            args += ["--env", item]
        penv = dict(os.environ)
        penv.update(parent_env or {})
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log_file,
            env=penv)
        self.pending = b""
        self.lines = []
        self.wait_for(lambda o: o.get("ready"))

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def _read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("pool_driver gave no answer in time; log:\n" + self.log())
        ready, _, _ = select.select([self.proc.stdout], [], [], left)
        if not ready:
            return
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            raise AssertionError("pool_driver exited; log:\n" + self.log())
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            self.lines.append(json.loads(line))

    def poll(self):
        """Read what the driver has written so far, without waiting."""
        ready, _, _ = select.select([self.proc.stdout], [], [], 0)
        if ready:
            self._read_some(time.monotonic() + 1)

    def take(self, pred):
        """The output objects read so far that match `pred` (consumed)."""
        found = [o for o in self.lines if pred(o)]
        self.lines = [o for o in self.lines if not pred(o)]
        return found

    def wait_for(self, pred, count=1, timeout=WAIT_S):
        """The first `count` output objects matching `pred` (consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [o for o in self.lines if pred(o)]
            if len(found) >= count:
                found = found[:count]
                self.lines = [o for o in self.lines if not any(o is f for f in found)]
                return found
            self._read_some(deadline)

    def invoke(self, rid, event=None):
        self.send("invoke %s %s" % (rid, json.dumps(event or {"n": rid})))
        return self.wait_for(lambda o: o.get("id") == rid)[0]

    def stats(self):
        self.send("stats")
        return self.wait_for(lambda o: "stats" in o)[0]["stats"]

    def wait_log(self, pattern, timeout=10):
        """The log once `pattern` is in it (workers write after the driver answers)."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if re.search(pattern, log) or time.monotonic() > deadline:
                return log
            time.sleep(0.02)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close(self):
        try:
            self.send("quit")
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.log_file.close()


@unittest.skipUnless(os.access(DRIVER, os.X_OK) and os.access(FAKE, os.X_OK),
                     "build pool_driver and fake_runtime first")
class PoolTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.drivers = []

    def tearDown(self):
        for d in self.drivers:
            d.close()
        try:
            for d in self.drivers:
                log = d.log()
                for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                    self.assertNotIn(marker, log)
                self.assertEqual(d.proc.returncode, 0, log[-2000:])
        finally:
            self.tmp.cleanup()

    def driver(self, *env, once=True, **opts):
        env = list(env)
        if once:
            env.append("FAKE_ONCE=" + os.path.join(self.tmp.name, "once-%d" % len(self.drivers)))
        d = Driver(self.tmp.name, env, **opts)
        self.drivers.append(d)
        return d

    def assert_next_ok(self, d, rid="after"):
        r = d.invoke(rid, {"after": True})
        self.assertEqual(r["kind"], "OK", r)
        self.assertEqual(json.loads(r["payload"]), {"after": True})
        return r


class RuntimeApiTest(PoolTestCase):
    def test_echo_cold_then_warm_with_start_end_report(self):
        d = self.driver("FAKE_MODE=echo", memory=256)
        first = d.invoke("a", {"hello": "world"})
        second = d.invoke("b", {"x": 2})
        self.assertEqual(first["kind"], "OK")
        self.assertEqual(json.loads(first["payload"]), {"hello": "world"})
        self.assertGreater(first["initMs"], 0)
        self.assertEqual(second["initMs"], 0)
        log = d.log()
        starts = re.findall(r"^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST$", log, re.M)
        ends = re.findall(r"^END RequestId: ([0-9a-f-]{36})$", log, re.M)
        reports = re.findall(
            r"^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\t"
            r"Billed Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: (\d+) MB\t"
            r"(Init Duration: \d+\.\d\d ms\t)?$", log, re.M)
        self.assertEqual(len(starts), 2, log)
        self.assertEqual(starts, ends)
        self.assertEqual([r[0] for r in reports], starts)
        self.assertTrue(reports[0][2], "the cold start reports its Init Duration")
        self.assertFalse(reports[1][2], "a warm invocation has no Init Duration")
        self.assertGreater(int(reports[0][1]), 0, "Max Memory Used comes from VmHWM")
        self.assertEqual(d.stats()["coldStarts"], 1)

    def test_worker_environment_is_clean(self):
        d = self.driver("FAKE_MODE=env", "GREETING=hi there", "AWS_REGION=eu-west-1",
                        once=False, parent_env={"PARENT_SECRET": "must-not-leak"},
                        timeout_ms=2500, memory=512)
        r = d.invoke("env")
        self.assertEqual(r["kind"], "OK", r)
        env = dict(e.split("=", 1) for e in json.loads(r["payload"])["env"])
        self.assertRegex(env.pop("AWS_LAMBDA_RUNTIME_API"), r"^127\.0\.0\.1:\d+/w/\d+\.[0-9a-f]{32}$")
        self.assertEqual(env, {
            "_HANDLER": "fake.handler",
            "AWS_LAMBDA_FUNCTION_NAME": "fake",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": "us-east-1",  # reserved: the template cannot override it
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "sluice",
            "AWS_SECRET_ACCESS_KEY": "sluice-local",
            "AWS_LAMBDA_LOG_FORMAT": "Text",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": os.path.dirname(os.path.realpath(FAKE)),
            "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
            "GREETING": "hi there",
            "FAKE_MODE": "env",
        })

    def test_function_error(self):
        d = self.driver("FAKE_MODE=error")
        r = d.invoke("e")
        self.assertEqual(r["kind"], "FUNCTION_ERROR")
        self.assertEqual(r["errorType"], "Function.Custom")
        self.assertEqual(r["errorMessage"], "boom")
        self.assertEqual(json.loads(r["payload"])["errorMessage"], "boom")
        self.assertRegex(d.log(), r"REPORT RequestId: .*Status: error\tError Type: Function.Custom")

    def test_wrong_request_id_gets_400(self):
        d = self.driver("FAKE_MODE=wrong_id")
        r = d.invoke("w", {"w": 1})
        self.assertEqual(r["kind"], "OK", r)
        pattern = r"fake_runtime: wrong-id -> 400 \{.*\"errorType\": ?\"InvalidRequestID\""
        self.assertRegex(d.wait_log(pattern), pattern)
        self.assert_next_ok(d)

    def test_second_response_gets_403(self):
        d = self.driver("FAKE_MODE=two_responses")
        r = d.invoke("t", {"t": 1})
        self.assertEqual(r["kind"], "OK")
        self.assertEqual(json.loads(r["payload"]), {"t": 1})
        self.assert_next_ok(d)
        pattern = (r"fake_runtime: second-response -> 403 "
                   r"\{.*\"errorType\": ?\"InvalidStateTransition\"")
        self.assertRegex(d.wait_log(pattern), pattern)

    def test_calls_out_of_turn(self):
        d = self.driver("FAKE_MODE=probe")
        r = d.invoke("p", {"p": 1})
        self.assertEqual(r["kind"], "OK", r)
        log = d.wait_log(r"other-worker -> ")
        self.assertRegex(log, r"next-while-busy -> 403 .*InvalidStateTransition")
        self.assertRegex(log, r"post-next -> 405 ")
        self.assertRegex(log, r"other-worker -> 404 ")
        self.assert_next_ok(d)

    def test_crash_mid_invocation_costs_one_request(self):
        d = self.driver("FAKE_MODE=crash")
        r = d.invoke("c")
        self.assertEqual(r["kind"], "EXIT")
        self.assertEqual(r["errorType"], "Runtime.ExitError")
        self.assertIn("Runtime exited with error: signal: aborted", r["errorMessage"])
        after = self.assert_next_ok(d)
        self.assertGreater(after["initMs"], 0, "the crashed worker was replaced")
        log = d.log()
        self.assertIn("Runtime.ExitError", log)
        self.assertRegex(log, r"Error: Runtime exited with error: signal: aborted")

    def test_exit_mid_invocation_reports_status(self):
        d = self.driver("FAKE_MODE=exit_mid")
        r = d.invoke("x")
        self.assertEqual(r["kind"], "EXIT")
        self.assertIn("exit status 2", r["errorMessage"])
        self.assert_next_ok(d)

    def test_timeout_kills_and_replaces_the_worker(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=5000", timeout_ms=1000)
        t0 = time.monotonic()
        r = d.invoke("slow")
        self.assertLess(time.monotonic() - t0, 4)
        self.assertEqual(r["kind"], "TIMEOUT")
        self.assertEqual(r["errorMessage"], "Task timed out after 1.00 seconds")
        self.assertGreaterEqual(r["durationMs"], 990)
        self.assert_next_ok(d)
        log = d.log()
        self.assertRegex(log, r"\S+Z [0-9a-f-]{36} Task timed out after 1\.00 seconds")
        self.assertRegex(log, r"REPORT RequestId: .*Status: timeout")

    def test_oversized_response_gets_413(self):
        d = self.driver("FAKE_MODE=oversized")
        r = d.invoke("big")
        self.assertEqual(r["kind"], "TOO_LARGE")
        self.assertEqual(r["errorType"], "Function.ResponseSizeTooLarge")
        self.assertIn("7000000 bytes", r["errorMessage"])
        pattern = r"fake_runtime: oversized -> 413 \{.*\"errorType\": ?\"RequestEntityTooLarge\""
        self.assertRegex(d.wait_log(pattern), pattern)
        after = self.assert_next_ok(d)
        self.assertEqual(after["initMs"], 0, "the same worker carries on")

    def test_init_error_fails_the_first_invocation(self):
        d = self.driver("FAKE_MODE=init_error")
        r = d.invoke("i")
        self.assertEqual(r["kind"], "INIT_ERROR")
        self.assertEqual(r["errorType"], "Runtime.ConfigError")
        self.assertEqual(r["errorMessage"], "missing TABLE_NAME")
        pattern = r"fake_runtime: init-error -> 202 \{\"status\": ?\"OK\"\}"
        self.assertRegex(d.wait_log(pattern), pattern)
        self.assert_next_ok(d)

    def test_exit_before_next_is_an_init_error(self):
        d = self.driver("FAKE_MODE=exit_before_next")
        r = d.invoke("i")
        self.assertEqual(r["kind"], "INIT_ERROR")
        self.assertEqual(r["errorType"], "Runtime.ExitError")
        self.assertIn("exit status 3", r["errorMessage"])
        self.assert_next_ok(d)

    def test_missing_binary(self):
        d = self.driver(binary=os.path.join(self.tmp.name, "no-such-bootstrap"))
        r = d.invoke("m")
        self.assertEqual(r["kind"], "INIT_ERROR")
        self.assertEqual(r["errorType"], "Runtime.InvalidEntrypoint")


class ConcurrencyTest(PoolTestCase):
    def test_twenty_concurrent_with_four_workers(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=100", once=False, max_workers=4)
        d.send("burst 20 {\"c\":1}")
        results = d.wait_for(lambda o: str(o.get("id", "")).startswith("b"), count=20)
        self.assertEqual({r["kind"] for r in results}, {"OK"})
        stats = d.stats()
        self.assertLessEqual(stats["peak"], 4)
        self.assertEqual(stats["peak"], 4)
        self.assertEqual(stats["coldStarts"], 4)

    def test_over_the_limit_and_queue_is_throttled(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=300", once=False,
                        max_workers=2, queue_max=2)
        d.send("burst 20 {\"c\":1}")
        results = d.wait_for(lambda o: str(o.get("id", "")).startswith("b"), count=20)
        kinds = [r["kind"] for r in results]
        self.assertEqual(kinds.count("OK"), 4, kinds)
        self.assertEqual(kinds.count("THROTTLED"), 16, kinds)
        throttled = next(r for r in results if r["kind"] == "THROTTLED")
        self.assertEqual(throttled["errorType"], "TooManyRequestsException")
        self.assertLessEqual(d.stats()["peak"], 2)
        self.assert_next_ok(d)

    def test_idle_workers_are_reaped_keeping_one(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=100", once=False,
                        max_workers=4, idle_ms=300)
        d.send("burst 8 {\"c\":1}")
        d.wait_for(lambda o: str(o.get("id", "")).startswith("b"), count=8)
        self.assertEqual(d.stats()["peak"], 4)
        deadline = time.monotonic() + 5
        while d.stats()["workers"] > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(d.stats()["workers"], 1)
        r = d.invoke("warm")
        self.assertEqual(r["initMs"], 0, "one worker was kept warm")


class ReloadTest(PoolTestCase):
    def test_five_reloads_under_load_fail_nothing(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=5", once=False, max_workers=4)
        sent = 0
        reloads = 0
        outcomes = []
        t_next_reload = time.monotonic() + 0.2
        # Each reload is asked for once the previous one is done (as rebuilds come),
        # at least 250 ms apart; a slow machine then stretches the test instead of
        # superseding a generation that is still starting (PRECONDITION).
        while reloads < 5 or sent < 150:
            d.send("invoke r%d {\"i\":%d}" % (sent, sent))
            sent += 1
            d.poll()
            outcomes += d.take(lambda o: "reload" in o)
            if (reloads < 5 and len(outcomes) == reloads
                    and time.monotonic() >= t_next_reload):
                d.send("reload FAKE_MODE=slow_init FAKE_INIT_MS=50 FAKE_SLEEP_MS=5 GEN=%d"
                       % (reloads + 2))
                reloads += 1
                t_next_reload = time.monotonic() + 0.25
            time.sleep(0.005)
        results = d.wait_for(lambda o: str(o.get("id", "")).startswith("r"), count=sent)
        bad = [r for r in results if r["kind"] != "OK"]
        self.assertEqual(bad, [])
        outcomes += d.wait_for(lambda o: "reload" in o, count=5 - len(outcomes))
        self.assertEqual([o["reload"] for o in outcomes], ["OK"] * 5)
        self.assertEqual(d.stats()["generation"], 6)
        self.assertEqual(len(re.findall(r"generation \d+ serving", d.log())), 5)

    def test_reload_to_a_failing_init_keeps_the_old_generation(self):
        d = self.driver("FAKE_MODE=echo", once=False)
        self.assertEqual(d.invoke("before")["kind"], "OK")
        d.send("reload FAKE_MODE=init_error")
        outcome = d.wait_for(lambda o: "reload" in o)[0]
        self.assertEqual(outcome["reload"], "CONFIG")
        self.assertIn("Runtime.ConfigError: missing TABLE_NAME", outcome["why"])
        self.assertRegex(d.log(), r"reload failed: Runtime.ConfigError: missing TABLE_NAME; "
                         r"generation 1 keeps serving")
        r = self.assert_next_ok(d)
        self.assertEqual(r["initMs"], 0, "still the warm worker of generation 1")
        self.assertEqual(d.stats()["generation"], 1)

    def test_reload_that_exits_or_hangs_keeps_the_old_generation(self):
        d = self.driver("FAKE_MODE=echo", once=False, start_timeout_ms=500)
        d.send("reload FAKE_MODE=exit_before_next")
        outcome = d.wait_for(lambda o: "reload" in o)[0]
        self.assertEqual(outcome["reload"], "IO")
        self.assertIn("exit status 3", outcome["why"])
        d.send("reload FAKE_MODE=slow_init FAKE_INIT_MS=3000")
        outcome = d.wait_for(lambda o: "reload" in o)[0]
        self.assertEqual(outcome["reload"], "TIMEOUT")
        self.assertIn("no next within 500 ms", outcome["why"])
        self.assert_next_ok(d)
        self.assertEqual(d.stats()["generation"], 1)

    def test_reload_while_invocations_are_held(self):
        d = self.driver("FAKE_MODE=sleep", "FAKE_SLEEP_MS=400", once=False, max_workers=2)
        d.send("burst 2 {\"held\":1}")
        time.sleep(0.1)
        d.send("reload FAKE_MODE=echo")
        outcome = d.wait_for(lambda o: "reload" in o)[0]
        self.assertEqual(outcome["reload"], "OK")
        held = d.wait_for(lambda o: str(o.get("id", "")).startswith("b"), count=2)
        self.assertEqual([r["kind"] for r in held], ["OK", "OK"])
        t0 = time.monotonic()
        self.assert_next_ok(d)
        self.assertLess(time.monotonic() - t0, 0.3, "served by the new (echo) generation")
        deadline = time.monotonic() + 5
        while d.stats()["workers"] > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(d.stats()["workers"], 1, "the old generation was stopped")


class BootstrapTest(PoolTestCase):
    """The service's own bootstrap behind the pool: the health function."""

    HEALTH_EVENT = {
        "version": "2.0", "routeKey": "GET /health", "rawPath": "/health",
        "rawQueryString": "", "headers": {"host": "127.0.0.1"},
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "127.0.0.1",
            "http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "gw-1", "routeKey": "GET /health", "stage": "$default",
            "timeEpoch": 1741616400000},
        "isBase64Encoded": False,
    }

    @unittest.skipUnless(os.access(BOOTSTRAP, os.X_OK), "no bootstrap built")
    def test_health_through_the_pool(self):
        d = self.driver(once=False, binary=BOOTSTRAP, name="health", handler="health")
        first = d.invoke("h1", self.HEALTH_EVENT)
        if "is not host:port" in d.log():
            self.skipTest("src/lambda/runtime.c rejects AWS_LAMBDA_RUNTIME_API with a "
                          "path prefix (host:port/w/<id>)")
        second = d.invoke("h2", self.HEALTH_EVENT)
        for r in (first, second):
            self.assertEqual(r["kind"], "OK", r)
            self.assertEqual(json.loads(r["payload"])["statusCode"], 200)
        self.assertGreater(first["initMs"], 0)
        self.assertEqual(second["initMs"], 0)


if __name__ == "__main__":
    unittest.main()
