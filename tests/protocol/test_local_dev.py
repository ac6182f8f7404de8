"""`sluice dev` end to end: the objects suite (tests/integ/objects_suite.py)
through the local gateway, boto3 against the local S3 endpoint, stages side by
side, API Gateway's own error answers, and reload under load.

Each class starts its own `$SLUICE_BUILD/sluice dev` on free ports with a
temporary working directory holding the data directory and a copy of the
function binary (so that rebuilds can be simulated without touching the build).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integ"))

from objects_suite import ObjectsSuite, http_request  # noqa: E402

BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
SLUICE = os.path.join(BUILD, "sluice")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
TEMPLATE = os.path.join(ROOT, "infra", "template.yaml")
ERRORS_TEMPLATE = os.path.join(ROOT, "tests", "protocol", "local_errors.yaml")
KEY_ID, SECRET = "sluice", "sluice-local"

try:
    import boto3
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover
    boto3 = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCloud:
    """One `sluice dev` process in its own working directory."""

    def __init__(self, workdir, stage="dev", template=TEMPLATE, data_dir=None, args=(), env=None):
        self.workdir = workdir
        self.stage = stage
        self.port = free_port()
        self.aws_port = free_port()
        self.build_dir = os.path.join(workdir, "build")
        os.makedirs(self.build_dir, exist_ok=True)
        if not os.path.exists(os.path.join(self.build_dir, "bootstrap")):
            shutil.copy2(BOOTSTRAP, os.path.join(self.build_dir, "bootstrap"))
        self.data_dir = data_dir or os.path.join(workdir, "data")
        self.stdout_path = os.path.join(workdir, "dev-%s.out" % stage)
        self.stderr_path = os.path.join(workdir, "dev-%s.err" % stage)
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                [SLUICE, "dev", "--template", template, "--port", str(self.port),
                 "--aws-port", str(self.aws_port), "--stage", stage, "--data-dir", self.data_dir,
                 "--build-dir", self.build_dir] + list(args),
                cwd=workdir, stdout=out, stderr=err,
                env=dict(os.environ, **env) if env else None)
        self.api_url = "http://127.0.0.1:%d" % self.port
        self.aws_url = "http://127.0.0.1:%d" % self.aws_port
        self.banner = self._wait_ready()

    def _wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sluice dev exited %d: %s" % (self.proc.returncode, self.stderr()))
            with open(self.stdout_path) as f:
                text = f.read()
            if "sluice dev: ready" in text:
                return text
            time.sleep(0.05)
        raise RuntimeError("sluice dev did not start: " + self.stderr())

    def bucket(self, logical_id="DataBucket"):
        for line in self.banner.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "Bucket" and parts[1] == logical_id:
                return parts[3]
        raise KeyError(logical_id)

    def s3(self):
        return boto3.client("s3", endpoint_url=self.aws_url, region_name="us-east-1",
                            aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                            config=Config(s3={"addressing_style": "path"}))

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


needs_build = unittest.skipUnless(
    boto3 is not None and os.access(SLUICE, os.X_OK) and os.access(BOOTSTRAP, os.X_OK),
    "needs %s, %s and boto3" % (SLUICE, BOOTSTRAP))


@needs_build
class LocalObjectsApiTest(ObjectsSuite, unittest.TestCase):
    """The shared suite through the local gateway, plus local-only checks."""

    local = True

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-dev-test-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.api_url = cls.cloud.api_url
        cls.bucket = cls.cloud.bucket()
        cls.s3 = cls.cloud.s3()
        cls.region = "us-east-1"
        cls.credentials = Credentials(KEY_ID, SECRET)

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def test_bucket_named_like_cloudformation(self):
        self.assertRegex(self.bucket, r"^sluice-dev-databucket-[a-z0-9]{12}$")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn(self.bucket, names)

    def test_banner_prints_urls_credentials_routes(self):
        banner = self.cloud.banner
        self.assertIn(self.api_url, banner)
        self.assertIn("export AWS_ENDPOINT_URL=" + self.cloud.aws_url, banner)
        self.assertIn("export AWS_ACCESS_KEY_ID=sluice", banner)
        self.assertRegex(banner, r"POST\s+/objects\s+-> ObjectsFunction\s+\(AWS_IAM\)")

    def test_gateway_headers(self):
        r = self.call("GET", "/health", sign=False)
        self.assertRegex(r.headers["apigw-requestid"], r"^[0-9a-f-]{36}$")
        self.assertEqual(r.headers["content-type"], "application/json")

    def test_stage_prefix_matches_routes(self):
        # The API's stage ("dev") also prefixes every route, as in the deployed URL.
        r = self.call("GET", "/dev/no/such/route", sign=False)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"message": "Not Found"})
        r = self.call("POST", "/dev/objects", b"{}", {"Content-Type": "application/json"},
                      sign=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json(), {"message": "Forbidden"})

    def test_unknown_access_key_forbidden(self):
        r = http_request(self.api_url, "GET", "/objects", credentials=Credentials("nobody", "x"))
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(),
                         {"message": "The security token included in the request is invalid."})

    def test_nothing_written_outside_data_dir(self):
        for name in ("../../../outside.txt", "a/../../outside2.txt"):
            self.post_object(name, "x")
        self.call("PUT", "/objects/..%2F..%2Foutside3.txt", b"x")
        data = os.path.realpath(self.cloud.data_dir)
        allowed = {os.path.realpath(p) for p in (self.cloud.stdout_path, self.cloud.stderr_path)}
        for dirpath, dirnames, filenames in os.walk(self.tmp):
            real = os.path.realpath(dirpath)
            if real == data or real.startswith(data + os.sep):
                continue
            if real == os.path.realpath(self.cloud.build_dir):
                self.assertEqual(filenames, ["bootstrap"])
                continue
            for f in filenames:
                self.assertIn(os.path.realpath(os.path.join(dirpath, f)), allowed)
        stage_dir = os.path.join(data, "dev")
        self.assertTrue(os.path.isdir(stage_dir))
        self.assertEqual(sorted(os.listdir(data)), ["dev"])


@needs_build
class LocalStagesTest(unittest.TestCase):
    """`--stage pr-42` beside dev: separate buckets, separate data."""

    def test_two_stages_do_not_share_data(self):
        tmp = tempfile.mkdtemp(prefix="sluice-stages-")
        data = os.path.join(tmp, "data")
        dev = pr = None
        try:
            dev = LocalCloud(tmp, "dev", data_dir=data)
            pr = LocalCloud(tmp, "pr-42", data_dir=data)
            self.assertRegex(pr.bucket(), r"^sluice-pr-42-databucket-[a-z0-9]{12}$")
            self.assertNotEqual(dev.bucket(), pr.bucket())
            creds = Credentials(KEY_ID, SECRET)
            body = json.dumps({"name": "only-in-dev.txt", "content": "dev"})
            r = http_request(dev.api_url, "POST", "/objects", body,
                             {"Content-Type": "application/json"}, creds)
            self.assertEqual(r.status, 201, r)
            body = json.dumps({"name": "only-in-pr.txt", "content": "pr"})
            r = http_request(pr.api_url, "POST", "/objects", body,
                             {"Content-Type": "application/json"}, creds)
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.json()["bucket"], pr.bucket())
            dev_s3, pr_s3 = dev.s3(), pr.s3()
            self.assertEqual([b["Name"] for b in pr_s3.list_buckets()["Buckets"]
                              if b["Name"].startswith("sluice-dev")], [])
            keys = [o["Key"] for o in pr_s3.list_objects_v2(Bucket=pr.bucket()).get("Contents", [])]
            self.assertEqual(keys, ["only-in-pr.txt"])
            keys = [o["Key"] for o in dev_s3.list_objects_v2(Bucket=dev.bucket()).get("Contents", [])]
            self.assertEqual(keys, ["only-in-dev.txt"])
            self.assertEqual(sorted(os.listdir(data)), ["dev", "pr-42"])
        finally:
            for c in (dev, pr):
                if c:
                    c.stop()
            shutil.rmtree(tmp, ignore_errors=True)


@needs_build
class LocalErrorsTest(unittest.TestCase):
    """API Gateway's answers for failing functions, REST routes, CORS, bad templates."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-errors-")
        cls.cloud = LocalCloud(cls.tmp, template=ERRORS_TEMPLATE)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_http_api_function_failure_is_500(self):
        r = http_request(self.cloud.api_url, "GET", "/broken")
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.body, b'{"message":"Internal Server Error"}')
        log = self.cloud.stderr()
        self.assertIn("route=\"GET /broken\"", log)
        self.assertIn("function=BrokenFunction", log)

    def test_rest_function_failure_is_502(self):
        r = http_request(self.cloud.api_url, "GET", "/rest-broken")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(r.body, b'{"message": "Internal server error"}')
        self.assertIn("x-amzn-requestid", r.headers)

    def test_rest_route_works_under_its_stage(self):
        r = http_request(self.cloud.api_url, "GET", "/Prod/health")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "ok")

    def test_rest_unsigned_is_missing_token(self):
        r = http_request(self.cloud.api_url, "GET", "/objects/x")
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), {"message": "Missing Authentication Token"})
        self.assertEqual(r.headers["x-amzn-errortype"], "MissingAuthenticationTokenException")

    def test_rest_bad_signature_shows_canonical_request(self):
        r = http_request(self.cloud.api_url, "GET", "/objects/x",
                         credentials=Credentials(KEY_ID, SECRET), tamper=True)
        self.assertEqual(r.status, 403, r)
        self.assertIn("The Canonical String for this request should have been\n'GET\n/objects/x",
                      r.json()["message"])

    def test_cors_preflight(self):
        r = http_request(self.cloud.api_url, "OPTIONS", "/anything", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        self.assertEqual(r.headers["access-control-allow-methods"], "GET,PUT")
        self.assertEqual(r.headers["access-control-max-age"], "600")

    def test_unsupported_runtime_is_one_clear_error(self):
        # Python and Node.js run (test_local_projects.py); Java does not. With
        # nothing else to run, the one line is the error.
        bad = os.path.join(self.tmp, "java.yaml")
        with open(bad, "w") as f:
            f.write("Transform: AWS::Serverless-2016-10-31\nResources:\n"
                    "  JavaFunction:\n    Type: AWS::Serverless::Function\n"
                    "    Properties:\n      Runtime: java21\n      Handler: app.Handler\n")
        p = subprocess.run([SLUICE, "dev", "--template", bad, "--port", "0", "--aws-port", "0",
                            "--data-dir", os.path.join(self.tmp, "data")],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertIn(bad + ": no function that runs here; JavaFunction: Runtime java21 cannot "
                      "run here: Java runs on the JVM", p.stderr)


@needs_build
class LocalReloadTest(unittest.TestCase):
    """Five rebuilds of the bootstrap while requests flow: zero non-2xx."""

    def test_reload_under_load(self):
        tmp = tempfile.mkdtemp(prefix="sluice-reload-")
        cloud = LocalCloud(tmp)
        stop = threading.Event()
        results, lock = [], threading.Lock()
        creds = Credentials(KEY_ID, SECRET)

        def load(n):
            i = 0
            while not stop.is_set():
                i += 1
                if i % 2:
                    r = http_request(cloud.api_url, "GET", "/health", timeout=10)
                else:
                    body = json.dumps({"name": "reload/%d-%d.txt" % (n, i), "content": "x"})
                    r = http_request(cloud.api_url, "POST", "/objects", body,
                                     {"Content-Type": "application/json"}, creds, timeout=10)
                with lock:
                    results.append(r.status)

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        try:
            for t in threads:
                t.start()
            binary = os.path.join(cloud.build_dir, "bootstrap")
            for _ in range(5):
                time.sleep(1.0)
                # A rebuild as a linker makes it: a new file renamed into place.
                shutil.copy2(BOOTSTRAP, binary + ".new")
                os.replace(binary + ".new", binary)
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=20)
            cloud.stop()
            log = cloud.stderr()
            shutil.rmtree(tmp, ignore_errors=True)
        bad = [s for s in results if not 200 <= s < 300]
        self.assertGreater(len(results), 100)
        self.assertEqual(bad, [], "non-2xx during reloads: %r" % bad[:20])
        # Every function built from the same binary reloads once per rebuild.
        self.assertEqual(log.count("ObjectsFunction: reloaded, the new build serves"), 5,
                         log[-3000:])


@needs_build
class LocalCommandsTest(unittest.TestCase):
    """`sluice event` and `sluice invoke`."""

    def test_event_v2(self):
        p = subprocess.run([SLUICE, "event", "apigw-v2", "--method", "POST", "--path", "/objects",
                            "--body", '{"name":"a"}'], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        ev = json.loads(p.stdout)
        self.assertEqual(ev["version"], "2.0")
        self.assertEqual(ev["routeKey"], "POST /objects")
        self.assertEqual(ev["requestContext"]["http"]["method"], "POST")
        self.assertEqual(ev["body"], '{"name":"a"}')

    def test_event_v1_with_route(self):
        p = subprocess.run([SLUICE, "event", "apigw-v1", "--method", "GET", "--path",
                            "/objects/a/b.txt", "--route", "/objects/{name+}"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        ev = json.loads(p.stdout)
        self.assertEqual(ev["httpMethod"], "GET")
        self.assertEqual(ev["resource"], "/objects/{name+}")
        self.assertEqual(ev["pathParameters"], {"name": "a/b.txt"})

    def test_invoke_health(self):
        tmp = tempfile.mkdtemp(prefix="sluice-invoke-")
        try:
            ev = subprocess.run([SLUICE, "event", "apigw-v2", "--path", "/health"],
                                capture_output=True, timeout=10).stdout
            p = subprocess.run([SLUICE, "invoke", "ObjectsFunction", "--event", "-",
                                "--template", TEMPLATE, "--build-dir", BUILD,
                                "--data-dir", os.path.join(tmp, "data")],
                               input=ev, capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            resp = json.loads(p.stdout)
            self.assertEqual(resp["statusCode"], 200)
            self.assertEqual(json.loads(resp["body"])["status"], "ok")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
