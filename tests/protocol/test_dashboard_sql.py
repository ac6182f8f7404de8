"""PostgreSQL statements in the dashboard's request detail (issue 16).

The local RDS Proxy follows each statement a function's worker sends, and
the dashboard (/_sluice/api/requests/<id>, what the page's waterfall draws)
lists it among that request's calls: service "postgres", the statement's
verb, its database, its text without values, its duration, its SQLSTATE
when it failed, and a warning when it would pin an RDS Proxy session.

- PUT /preferences/{userId} through `sluice dev` on the service's own
  template: its statements are in its request, without the values sent
  (the user id is a parameter, never in the text), and none pins.
- A Python function added to the template for the test runs psql (a child
  of the worker, which the attribution must find) through the proxy with a
  SET and a failing statement: the SET carries the pinning warning, the
  failure its SQLSTATE.
- A psql run outside any function: its statements are on no request, and
  its pinning warning is still logged.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import LocalCloud, needs_build  # noqa: E402
from prefs_harness import VendorListHost, call, iam_token, proxy_port, test_template  # noqa: E402

PIN_FUNCTION = """
  PinTestFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: pin.handler
      CodeUri: %s
      Timeout: 30
      Environment:
        Variables:
          PGHOST: !Ref DatabaseProxyEndpoint
          PGPORT: !Ref DatabaseProxyPort
      Events:
        Pin:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Method: GET
            Path: /test/pin
            Auth:
              Authorizer: AWS_IAM

"""

PIN_CODE = '''
import os
import subprocess

import boto3


def handler(event, context):
    host, port = os.environ["PGHOST"], int(os.environ["PGPORT"])
    rds = boto3.client("rds", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    token = rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername="sluice_app")
    run = subprocess.run(
        ["psql", "-X", "-At", "-c", "SET work_mem = '8MB'", "-c", "SELECT 42",
         "-c", "SELECT * FROM no_such_table WHERE id = 'secret-value'",
         "host=%s port=%d dbname=sluice user=sluice_app sslmode=disable" % (host, port)],
        env=dict(os.environ, PGPASSWORD=token), capture_output=True, text=True, timeout=20)
    return {"statusCode": 200, "body": run.stdout + run.stderr}
'''


def wait_for(predicate, timeout=20, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


@needs_build
@unittest.skipUnless(shutil.which("psql"), "psql is not installed")
class DashboardStatementsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-dash-sql-")
        code = os.path.join(cls.tmp, "pinfn")
        os.makedirs(code)
        with open(os.path.join(code, "pin.py"), "w") as f:
            f.write(PIN_CODE)
        path = test_template(cls.tmp)
        with open(path) as f:
            text = f.read()
        text = text.replace("\nOutputs:\n", PIN_FUNCTION % code + "Outputs:\n", 1)
        with open(path, "w") as f:
            f.write(text)
        cls.vendors = VendorListHost(max_age=60)
        cls.cloud = LocalCloud(cls.tmp, template=path,
                               args=["--parameter-overrides", "VendorListUrl=" + cls.vendors.url])
        cls.api = cls.cloud.api_url

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        cls.vendors.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def detail(self, request_id):
        url = "%s/_sluice/api/requests/%s" % (self.cloud.aws_url, request_id)
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())

    def statements(self, request_id, n):
        """The request's postgres calls, once it is done and has at least n."""
        def ready():
            d = self.detail(request_id)
            calls = [c for c in d["calls"] if c["service"] == "postgres"]
            return d["done"] and len(calls) >= n and calls
        return wait_for(ready)

    def test_put_preferences_shows_its_statements(self):
        r = call(self.api, "PUT", "/preferences/dash-user-7",
                 {"purposes": {"1": True}, "vendors": {"755": True}})
        self.assertEqual(r.status, 200, r)
        rid = r.headers["apigw-requestid"]
        calls = self.statements(rid, 1)
        write = [c for c in calls if c["operation"] == "INSERT"]
        self.assertTrue(write, calls)
        c = write[0]
        self.assertEqual(c["target"], "sluice")
        self.assertIn("INSERT INTO preferences", c["text"])
        self.assertIn("$1", c["text"])
        self.assertNotIn("dash-user-7", json.dumps(calls))  # a parameter, never shown
        self.assertGreater(c["durationMs"], 0)
        self.assertLess(c["durationMs"], 5000)
        self.assertIsNone(c["error"])
        for c in calls:  # the service's own statements pin nothing
            self.assertIsNone(c["warning"], c)
        # The statement lies within the request, on the waterfall's clock.
        d = self.detail(rid)
        self.assertGreaterEqual(c["start"], d["start"] - 5)
        self.assertLessEqual(c["start"], d["start"] + d["latencyMs"] + 5)

    def test_psql_in_a_function_shows_the_pinning_warning(self):
        r = call(self.api, "GET", "/test/pin")
        self.assertEqual(r.status, 200, r)
        self.assertIn("42", r.body.decode())
        calls = self.statements(r.headers["apigw-requestid"], 3)
        by_verb = {c["operation"]: c for c in calls}
        self.assertEqual(set(by_verb) >= {"SET", "SELECT"}, True, calls)
        pinned = by_verb["SET"]
        self.assertRegex(pinned["warning"], r"would pin the RDS Proxy session: a SET")
        self.assertEqual(pinned["text"], "SET work_mem = ?")
        failed = [c for c in calls if c.get("error")]
        self.assertEqual([c["error"] for c in failed], ["42P01"], calls)
        self.assertEqual(failed[0]["text"], "SELECT * FROM no_such_table WHERE id = ?")
        self.assertNotIn("secret-value", json.dumps(calls))
        self.assertIsNone([c for c in calls if c["text"] == "SELECT ?"][0]["warning"])

    def test_psql_outside_the_functions_is_on_no_request(self):
        port = proxy_port(self.cloud.banner)
        before = self.list_ids()
        run = subprocess.run(
            ["psql", "-X", "-At", "-c", "SET search_path TO public", "-c", "SELECT 7",
             "host=127.0.0.1 port=%d dbname=sluice user=sluice_app sslmode=disable" % port],
            env=dict(os.environ, PGPASSWORD=iam_token(port)), capture_output=True, text=True,
            timeout=20)
        self.assertEqual(run.stdout.split(), ["SET", "7"], run.stderr)
        wait_for(lambda: "SET search_path TO public" in self.cloud.stderr())
        self.assertRegex(self.cloud.stderr(), r"would pin the session.*SET search_path TO public")
        for rid in self.list_ids() - before:
            self.assertNotIn("search_path", json.dumps(self.detail(rid)["calls"]))

    def list_ids(self):
        with urllib.request.urlopen(self.cloud.aws_url + "/_sluice/api/requests", timeout=10) as r:
            body = json.loads(r.read())
        rows = body["requests"]
        return {row["id"] for row in rows}


if __name__ == "__main__":
    unittest.main()
