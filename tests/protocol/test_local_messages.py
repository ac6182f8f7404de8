"""The messages API (issue 6) end to end through `sluice dev`: the real
function (build/bootstrap, handler "messages") on the local DynamoDB endpoint,
with the table the template declares (MessagesTable, named as CloudFormation
would name it in stack sluice-dev) and MESSAGES_TABLE resolved to it.

Checked: create, get, count and bad input through the gateway; 50 concurrent
POSTs leave the count exact; boto3's DynamoDB client and awscli against the
local endpoint see the message items and the counter item; DynamoDB's own
authentication errors; and a `kill -9` of sluice dev right after acknowledged
POSTs loses none of them (a restart on the same data directory serves every
message and the exact count).

Uses the LocalCloud harness of test_local_dev.py (free ports, a temporary
working directory, always stopped).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import KEY_ID, SECRET, LocalCloud, boto3, needs_build  # noqa: E402

if boto3 is not None:
    from botocore.exceptions import ClientError

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def call(base, method, path, body=None, content_type="application/json", timeout=20):
    """One request; returns (status, headers, parsed JSON or raw bytes)."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None and content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, headers, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, raw = e.code, e.headers, e.read()
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw


def table_name(cloud, logical_id="MessagesTable"):
    for line in cloud.banner.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "Table" and parts[1] == logical_id:
            return parts[3]
    raise KeyError(logical_id)


def ddb_client(cloud, key=KEY_ID, secret=SECRET):
    return boto3.client("dynamodb", endpoint_url=cloud.aws_url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


class MessagesMixin:
    def post(self, message, **kw):
        return call(self.cloud.api_url, "POST", "/messages", json.dumps({"message": message}),
                    **kw)

    def count(self):
        status, _, body = call(self.cloud.api_url, "GET", "/messages")
        self.assertEqual(status, 200, body)
        self.assertEqual(list(body), ["count"])
        return body["count"]


@needs_build
class LocalMessagesApiTest(MessagesMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-msgs-test-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.table = table_name(cls.cloud)
        cls.ddb = ddb_client(cls.cloud)

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def test_table_named_like_cloudformation(self):
        self.assertRegex(self.table, r"^sluice-dev-MessagesTable-[A-Z0-9]{12}$")
        self.assertIn("AWS endpoint   %s (S3, DynamoDB)" % self.cloud.aws_url,
                      self.cloud.banner)
        self.assertIn(self.table, self.ddb.list_tables()["TableNames"])
        t = self.ddb.describe_table(TableName=self.table)["Table"]
        self.assertEqual(t["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"}])
        self.assertEqual(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(t["TableArn"],
                         "arn:aws:dynamodb:us-east-1:123456789012:table/" + self.table)

    def test_create_then_get(self):
        status, headers, body = self.post("hello, world")
        self.assertEqual(status, 201, body)
        self.assertEqual(sorted(body), ["createdAt", "id", "message"])
        self.assertRegex(body["id"], UUID4)
        self.assertEqual(body["message"], "hello, world")
        self.assertRegex(body["createdAt"], RFC3339_MS)
        self.assertEqual(headers["Location"], "/messages/" + body["id"])
        status, _, got = call(self.cloud.api_url, "GET", "/messages/" + body["id"])
        self.assertEqual(status, 200, got)
        self.assertEqual(got, body)
        # Upper-case hex is the same UUID.
        status, _, got = call(self.cloud.api_url, "GET", "/messages/" + body["id"].upper())
        self.assertEqual((status, got), (200, body))

    def test_unicode_and_limits(self):
        text = "\u00e9" * 4096  # 4096 characters, 8192 bytes: at the limit
        status, _, body = self.post(text)
        self.assertEqual(status, 201, body)
        status, _, got = call(self.cloud.api_url, "GET", "/messages/" + body["id"])
        self.assertEqual((status, got["message"]), (200, text))
        status, _, body = self.post("x" * 4097)
        self.assertEqual(status, 400, body)

    def test_unknown_and_bad_ids(self):
        status, _, body = call(self.cloud.api_url, "GET",
                               "/messages/3f1c2b7e-0d4a-4c5b-9e8f-1a2b3c4d5e6f")
        self.assertEqual(status, 404, body)
        for bad in ("not-a-uuid", "3f1c2b7e0d4a4c5b9e8f1a2b3c4d5e6f", "1234"):
            status, _, body = call(self.cloud.api_url, "GET", "/messages/" + bad)
            self.assertEqual(status, 400, (bad, body))

    def test_bad_input(self):
        before = self.count()
        api = self.cloud.api_url
        cases = [
            (json.dumps({"message": ""}), "application/json", 400),
            (json.dumps({"message": "x" * 4097}), "application/json", 400),
            ("{not json", "application/json", 400),
            ("", "application/json", 400),
            (json.dumps({"message": 42}), "application/json", 400),
            (json.dumps({"message": None}), "application/json", 400),
            (json.dumps({"message": ["a"]}), "application/json", 400),
            (json.dumps({}), "application/json", 400),
            (json.dumps(["hello"]), "application/json", 400),
            (json.dumps({"message": "hi", "extra": 1}), "application/json", 400),
            (json.dumps({"message": "hi"}), "text/plain", 415),
            (json.dumps({"message": "hi"}), None, 415),
        ]
        for body, ctype, want in cases:
            status, _, got = call(api, "POST", "/messages", body, content_type=ctype)
            self.assertEqual(status, want, (body[:40], ctype, got))
            self.assertIsInstance(got, dict, got)
        self.assertEqual(self.count(), before)

    def test_count_is_exact(self):
        before = self.count()
        for i in range(3):
            self.assertEqual(self.post("count %d" % i)[0], 201)
        self.assertEqual(self.count(), before + 3)

    def test_concurrent_posts_keep_the_count_exact(self):
        before = self.count()
        results = [None] * 50

        def post(i):
            results[i] = self.post("concurrent %d" % i)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        statuses = [r[0] if r else None for r in results]
        self.assertEqual(statuses, [201] * 50)
        self.assertEqual(len({r[2]["id"] for r in results}), 50)
        self.assertEqual(self.count(), before + 50)

    def test_boto3_sees_items_and_counter(self):
        status, _, msg = self.post("seen by boto3")
        self.assertEqual(status, 201, msg)
        item = self.ddb.get_item(TableName=self.table, Key={"pk": {"S": "MSG#" + msg["id"]}},
                                 ConsistentRead=True)["Item"]
        self.assertEqual(item, {"pk": {"S": "MSG#" + msg["id"]}, "id": {"S": msg["id"]},
                                "message": {"S": "seen by boto3"},
                                "createdAt": {"S": msg["createdAt"]}})
        counter = self.ddb.get_item(TableName=self.table, Key={"pk": {"S": "COUNTER"}},
                                    ConsistentRead=True)["Item"]
        n = self.count()
        self.assertEqual(counter, {"pk": {"S": "COUNTER"}, "count": {"N": str(n)}})
        # Every item is a message but the counter.
        scanned = self.ddb.scan(TableName=self.table, Select="COUNT")
        self.assertEqual(scanned["Count"], n + 1)

    @unittest.skipUnless(shutil.which("aws"), "needs awscli")
    def test_awscli_scan_count(self):
        self.assertEqual(self.post("seen by awscli")[0], 201)
        n = self.count()
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_ENDPOINT_URL=self.cloud.aws_url)
        r = subprocess.run(["aws", "dynamodb", "scan", "--table-name", self.table,
                            "--select", "COUNT", "--output", "json"],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["Count"], n + 1)

    def test_dynamodb_authentication_errors(self):
        cases = [
            (ddb_client(self.cloud, key="nobody"), "UnrecognizedClientException",
             "The security token included in the request is invalid."),
            (ddb_client(self.cloud, secret="wrong"), "InvalidSignatureException",
             "The request signature we calculated does not match the signature you provided. "
             "Check your AWS Secret Access Key and signing method. Consult the service "
             "documentation for details."),
        ]
        for client, code, message in cases:
            with self.assertRaises(ClientError) as cm:
                client.describe_table(TableName=self.table)
            err = cm.exception.response
            self.assertEqual(err["Error"]["Code"], code)
            self.assertEqual(err["Error"]["Message"], message)
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
            self.assertEqual(err["ResponseMetadata"]["HTTPHeaders"]["content-type"],
                             "application/x-amz-json-1.0")
        # Unsigned: DynamoDB's answer, in its JSON shape.
        req = urllib.request.Request(self.cloud.aws_url + "/", data=b"{}", method="POST",
                                     headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                              "Content-Type": "application/x-amz-json-1.0"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 400)
        self.assertRegex(cm.exception.headers["x-amzn-RequestId"], r"^[0-9a-f-]{36}$")
        self.assertEqual(json.loads(cm.exception.read()), {
            "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
            "message": "Request is missing Authentication Token"})


@needs_build
class LocalMessagesCrashTest(MessagesMixin, unittest.TestCase):
    """kill -9 right after acknowledged POSTs; a restart keeps every message and the count."""

    def test_kill_9_loses_no_acknowledged_write(self):
        tmp = tempfile.mkdtemp(prefix="sluice-msgs-crash-")
        data = os.path.join(tmp, "data")
        self.cloud = None
        try:
            self.cloud = LocalCloud(tmp, data_dir=data)
            table = table_name(self.cloud)
            ids = {}
            results = [None] * 20

            def post(i):
                results[i] = self.post("survivor %d" % i)

            threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            for status, _, body in results:
                self.assertEqual(status, 201, body)
                ids[body["id"]] = body
            status, _, last = self.post("the last one")
            self.assertEqual(status, 201, last)
            ids[last["id"]] = last
            # No clean stop: the process dies right after its last answer.
            self.cloud.proc.send_signal(signal.SIGKILL)
            self.cloud.proc.wait(timeout=10)
            self.assertEqual(self.cloud.proc.returncode, -signal.SIGKILL)

            self.cloud = LocalCloud(tmp, data_dir=data)
            self.assertEqual(table_name(self.cloud), table)
            self.assertEqual(self.count(), len(ids))
            for mid, body in ids.items():
                status, _, got = call(self.cloud.api_url, "GET", "/messages/" + mid)
                self.assertEqual((status, got), (200, body))
            scanned = ddb_client(self.cloud).scan(TableName=table, Select="COUNT")
            self.assertEqual(scanned["Count"], len(ids) + 1)
        finally:
            if self.cloud:
                self.cloud.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
