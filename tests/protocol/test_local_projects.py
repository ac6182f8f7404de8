"""`sluice dev` on the projects users already have (issue 12): a SAM template
as SAM users write it, plain CloudFormation written by hand, a CDK app
synthesized with `cdk synth` and a Serverless Framework v3 service packaged
with `serverless package`, each with functions in C, Node.js and Python,
served and called through the local gateway.

Each fixture under tests/fixtures/projects/ is copied to a temporary folder
with build/bootstrap put where its C function's code goes. The outputs of
`cdk synth` and `serverless package` are cached under
$SLUICE_BUILD/project-fixtures/, keyed by the fixture's files and the
bootstrap, so a second `make test` does not run the tools again.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
SLUICE = os.path.join(BUILD, "sluice")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "projects")
NODE_BIN = os.path.join(ROOT, "node_modules", ".bin")
CACHE = os.path.join(BUILD, "project-fixtures")

# The tools must not phone home: no telemetry, notices or update checks.
TOOL_ENV = {
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
    "SLS_DEPRECATION_DISABLE": "*",
    "SLS_INTERACTIVE_SETUP_DISABLE": "1",
    "CDK_DISABLE_VERSION_CHECK": "1",
    "CDK_DISABLE_CLI_TELEMETRY": "1",
    "NODE_PATH": os.path.join(ROOT, "node_modules"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def fixture_key(src):
    """A hash of a fixture's files and of the bootstrap put into it."""
    h = hashlib.sha256()
    for base, dirs, files in sorted(os.walk(src)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            h.update(os.path.relpath(path, src).encode())
            with open(path, "rb") as f:
                h.update(f.read())
    with open(BOOTSTRAP, "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:16]


def prepared(name, bootstrap_at, tool=None, output=None):
    """The fixture `name` copied with the bootstrap, and `tool` run in it once.

    The folder is cached under CACHE by fixture_key(); `tool` is the command
    that produces `output` inside it (cdk synth, serverless package).
    """
    src = os.path.join(FIXTURES, name)
    dest = os.path.join(CACHE, "%s-%s" % (name, fixture_key(src)))
    if os.path.isdir(dest):
        return dest
    tmp = dest + ".tmp-%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    os.makedirs(os.path.dirname(os.path.join(tmp, bootstrap_at)), exist_ok=True)
    shutil.copy2(BOOTSTRAP, os.path.join(tmp, bootstrap_at))
    if tool:
        env = dict(os.environ, **TOOL_ENV)
        done = subprocess.run(tool, cwd=tmp, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=240)
        if done.returncode != 0 or not os.path.exists(os.path.join(tmp, output)):
            raise RuntimeError("%s failed:\n%s" % (" ".join(tool), done.stdout.decode()[-3000:]))
    os.makedirs(CACHE, exist_ok=True)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return dest


class Dev:
    """One `sluice dev` in `cwd` on free ports, stopped by stop()."""

    def __init__(self, cwd, template=None, env=None):
        self.port, self.aws_port = free_port(), free_port()
        self.tmp = tempfile.mkdtemp(prefix="sluice-projects-")
        self.out_path = os.path.join(self.tmp, "out")
        self.err_path = os.path.join(self.tmp, "err")
        args = [SLUICE, "dev", "--port", str(self.port), "--aws-port", str(self.aws_port),
                "--data-dir", os.path.join(self.tmp, "data")]
        if template:
            args += ["--template", template]
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err,
                                         env=dict(os.environ, **(env or {})))
        self.url = "http://127.0.0.1:%d" % self.port
        self.banner = self._wait("sluice dev: ready")

    def _wait(self, text, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sluice dev exited %d: %s" % (self.proc.returncode, self.stderr()))
            with open(self.out_path) as f:
                out = f.read()
            if text in out:
                return out
            time.sleep(0.05)
        raise RuntimeError("sluice dev did not start: " + self.stderr())

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def get(self, path, method="GET"):
        return get(self.url + path, method)

    def json(self, path):
        status, body = self.get(path)
        if status != 200:
            raise AssertionError("%s: %d %s\n%s" % (path, status, body, self.stderr()[-3000:]))
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.proc.returncode


needs_build = unittest.skipUnless(os.access(SLUICE, os.X_OK) and os.access(BOOTSTRAP, os.X_OK),
                                  "needs %s and %s" % (SLUICE, BOOTSTRAP))
needs_node = unittest.skipUnless(shutil.which("node"), "needs node")


@needs_build
@needs_node
class SamProjectTest(unittest.TestCase):
    """A SAM template found without -t, CodeUri folders and a zip, three languages."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sluice-sam-")
        shutil.copytree(os.path.join(FIXTURES, "sam"), cls.dir, dirs_exist_ok=True)
        shutil.copy2(BOOTSTRAP, os.path.join(cls.dir, "c", "bootstrap"))
        shutil.make_archive(os.path.join(cls.dir, "python"), "zip", os.path.join(cls.dir, "python"))
        cls.dev = Dev(cls.dir)  # no -t: template.yaml in the working directory

    @classmethod
    def tearDownClass(cls):
        rc = cls.dev.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert rc == 0, rc

    def test_banner_names_routes_and_what_does_not_run(self):
        b = self.dev.banner
        for line in ["GET     /health", "GET     /node/{name}", "GET     /py/{name}",
                     "GET     /zipped/{name}", "GET     /inline"]:
            self.assertIn(line, b)
        self.assertRegex(b, r"Not served +JavaFunction: Runtime java21 cannot run here: Java")
        self.assertRegex(b, r"Not served +RemoteFunction: its code is in S3 "
                            r"\(s3://some-bucket/code.zip\)")
        self.assertNotIn("/java", b.split("Not served")[0])

    def test_c_function_from_codeuri_folder(self):
        self.assertEqual(self.dev.json("/health")["status"], "ok")

    def test_node_function_http_api(self):
        body = self.dev.json("/node/bob")
        self.assertEqual((body["runtime"], body["name"], body["greeting"], body["functionName"]),
                         ("node", "bob", "hello from node", "NodeFunction"))
        self.assertRegex(body["requestId"], r"^[0-9a-f-]{36}$")
        self.assertEqual(self.dev.json("/node/ann")["pid"], body["pid"], "a warm worker is reused")

    def test_python_function_rest_api(self):
        body = self.dev.json("/py/al")
        self.assertEqual((body["runtime"], body["name"], body["resource"], body["functionName"]),
                         ("python", "al", "/py/{name}", "PythonFunction"))
        self.assertEqual(self.dev.json("/py/bo")["pid"], body["pid"])

    def test_zip_unpacked_once_into_the_cache(self):
        body = self.dev.json("/zipped/zz")
        self.assertEqual((body["runtime"], body["functionName"]), ("python", "ZippedFunction"))
        code = os.path.join(self.dev.tmp, "data", "code")
        unpacked = [d for d in os.listdir(code) if len(d) == 32]
        self.assertEqual(len(unpacked), 1, os.listdir(code))
        self.assertTrue(os.path.exists(os.path.join(code, unpacked[0], "app.py")))

    def test_inline_node_code(self):
        self.assertEqual(self.dev.get("/inline"), (200, "inline /inline"))

    def test_thrown_type_error_is_a_500_naming_it(self):
        status, body = self.dev.get("/node-fail")
        self.assertEqual((status, json.loads(body)), (500, {"message": "Internal Server Error"}))
        self.assertIn("errorType=TypeError", self.dev.stderr())

    def test_timeout_crash_and_init_error_as_for_compiled_functions(self):
        self.assertEqual(self.dev.get("/slow")[0], 500)
        self.assertEqual(self.dev.get("/crash")[0], 500)
        self.assertEqual(self.dev.get("/bad")[0], 500)
        err = self.dev.stderr()
        self.assertIn("Task timed out after 1.00 seconds", err)
        self.assertIn("Runtime.ExitError", err)
        self.assertIn("Runtime.ImportModuleError", err)
        self.assertIn("Unable to import module 'missing'", err)

    def test_rest_path_in_another_method_is_403(self):
        status, body = self.dev.get("/py/al", "POST")
        self.assertEqual((status, json.loads(body)), (403, {"message": "Missing Authentication Token"}))
        self.assertEqual(self.dev.get("/nowhere")[0], 404)

    def test_lambda_log_lines(self):
        self.dev.json("/node/log")
        err = self.dev.stderr()
        self.assertRegex(err, r"START RequestId: [0-9a-f-]{36} Version: \$LATEST")
        self.assertRegex(err, r"REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms")

    def test_zz_reload_on_change_of_the_code_folder(self):
        path = os.path.join(self.dir, "node", "app.js")
        with open(path) as f:
            src = f.read()
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write(src.replace("runtime: 'node'", "runtime: 'node, edited'"))
        os.rename(tmp, path)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.dev.json("/node/x")["runtime"] == "node, edited":
                return
            time.sleep(0.1)
        self.fail("the edit was not picked up: " + self.dev.stderr()[-2000:])


@needs_build
@needs_node
class CloudFormationProjectTest(unittest.TestCase):
    """Hand-written CloudFormation: REST and HTTP APIs, quick create, OpenAPI."""

    @classmethod
    def setUpClass(cls):
        cls.dir = prepared("cfn", "c/bootstrap")
        cls.dev = Dev(cls.dir, "template.yaml")

    @classmethod
    def tearDownClass(cls):
        assert cls.dev.stop() == 0

    def test_rest_api_from_resources_and_methods(self):
        body = self.dev.json("/rest/items/7")
        self.assertEqual(body, {"runtime": "python", "resource": "/rest/items/{id}", "id": "7",
                                "stage": "v1"})
        self.assertEqual(self.dev.json("/v1/rest/items/8")["id"], "8")

    def test_http_api_routes_integrations_and_quick_create(self):
        self.assertEqual(self.dev.json("/node/bob"),
                         {"runtime": "node", "version": "2.0", "path": "/node/bob",
                          "functionName": "NodeFunction"})
        self.assertEqual(self.dev.json("/health")["status"], "ok")
        self.assertEqual(self.dev.get("/inline"), (200, "inline python /inline"))

    def test_openapi_body(self):
        self.assertEqual(self.dev.json("/openapi/a/b")["version"], "1.0")
        self.assertEqual(self.dev.get("/openapi/x", "DELETE")[0], 200)

    def test_unsupported_apis_are_named(self):
        self.assertRegex(self.dev.banner, r"Not served +GET /rest/items \(RestApi\): "
                                          r"integration MOCK is not emulated")
        self.assertRegex(self.dev.banner, r"Not served +Chat: a WEBSOCKET API is not served")


@needs_build
@unittest.skipUnless(os.access(os.path.join(NODE_BIN, "cdk"), os.X_OK), "needs aws-cdk (npm ci)")
class CdkProjectTest(unittest.TestCase):
    """A CDK app synthesized by `cdk synth`: assets in cdk.out, RestApi and HttpApi."""

    @classmethod
    def setUpClass(cls):
        cls.dir = prepared("cdk", "c/bootstrap",
                           [os.path.join(NODE_BIN, "cdk"), "synth", "--no-notices",
                            "--no-version-reporting", "-q", "-o", "cdk.out"],
                           "cdk.out/SluiceCdkFixture.template.json")
        cls.dev = Dev(cls.dir, "cdk.out/SluiceCdkFixture.template.json")

    @classmethod
    def tearDownClass(cls):
        assert cls.dev.stop() == 0

    def test_rest_api(self):
        self.assertEqual(self.dev.json("/items"),
                         {"runtime": "python", "resource": "/items", "id": None})
        self.assertEqual(self.dev.json("/items/42")["id"], "42")
        body = self.dev.json("/node-rest")
        self.assertEqual((body["version"], body["greeting"]), ("1.0", "hello from cdk"))
        self.assertEqual(self.dev.json("/prod/items/1")["id"], "1")

    def test_http_api(self):
        body = self.dev.json("/hello/bob")
        self.assertEqual((body["runtime"], body["version"], body["path"]), ("node", "2.0", "/hello/bob"))
        self.assertEqual(self.dev.json("/health")["status"], "ok")

    def test_answers_of_each_api(self):
        self.assertEqual(self.dev.get("/items", "POST")[0], 403)
        self.assertEqual(self.dev.get("/nowhere")[0], 404)


@needs_build
@unittest.skipUnless(os.access(os.path.join(NODE_BIN, "serverless"), os.X_OK),
                     "needs serverless@3 (npm ci)")
class ServerlessProjectTest(unittest.TestCase):
    """A Serverless Framework v3 service packaged offline by `serverless package`."""

    @classmethod
    def setUpClass(cls):
        cls.dir = prepared("serverless", "bootstrap",
                           [os.path.join(NODE_BIN, "serverless"), "package"],
                           ".serverless/cloudformation-template-update-stack.json")
        cls.dev = Dev(cls.dir, ".serverless/cloudformation-template-update-stack.json")

    @classmethod
    def tearDownClass(cls):
        assert cls.dev.stop() == 0

    def test_functions_from_the_packaged_zips(self):
        body = self.dev.json("/hello/bob")
        self.assertEqual((body["runtime"], body["name"], body["greeting"]),
                         ("node", "bob", "hello from serverless"))
        self.assertEqual(self.dev.json("/py/al"),
                         {"runtime": "python", "name": "al", "resource": "/py/{name}"})
        self.assertEqual(self.dev.json("/dev/py/x")["name"], "x")
        self.assertEqual(self.dev.json("/health")["status"], "ok")


@needs_build
@needs_node
class TemplateDiscoveryTest(unittest.TestCase):
    """With no -t, the built template of `sam build` wins over the source one."""

    def test_aws_sam_build_wins(self):
        d = tempfile.mkdtemp(prefix="sluice-discovery-")
        try:
            inline = ("AWSTemplateFormatVersion: '2010-09-09'\n"
                      "Transform: AWS::Serverless-2016-10-31\n"
                      "Resources:\n  %s:\n    Type: AWS::Serverless::Function\n"
                      "    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n"
                      "      InlineCode: \"exports.handler = async () => '%s';\"\n")
            with open(os.path.join(d, "template.yaml"), "w") as f:
                f.write(inline % ("Source", "source"))
            os.makedirs(os.path.join(d, ".aws-sam", "build"))
            with open(os.path.join(d, ".aws-sam", "build", "template.yaml"), "w") as f:
                f.write(inline % ("Built", "built"))
            run = subprocess.run([SLUICE, "invoke", "Built", "--data-dir", os.path.join(d, "data")],
                                 cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            self.assertEqual(run.returncode, 0, run.stderr.decode())
            self.assertEqual(run.stdout.decode().strip(), '"built"')
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
