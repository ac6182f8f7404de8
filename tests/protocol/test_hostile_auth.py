"""What a careless or hostile client on the same machine can do to `sluice dev`
(hardening, items 1, 5, 9 and 10): each request is sent as such a client
would send it, and the test asserts AWS's answer and that nothing else
changed (the victim object is intact, the worker still serves).

- a NUL in a path parameter reaches the function whole and is refused, never
  cut into another object's name;
- a signature for another region is refused by the gateway, S3 and DynamoDB,
  each in its own words;
- a worker's Runtime API path cannot be guessed: a wrong one is 404 and the
  real worker keeps serving;
- DynamoDB answers POST only.
"""

import http.client
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import KEY_ID, SECRET, LocalCloud, boto3, needs_build  # noqa: E402

if boto3 is not None:
    from botocore.auth import SigV4Auth
    from botocore.config import Config
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

CREDS = Credentials(KEY_ID, SECRET) if boto3 is not None else None


def send(base, method, path, body=b"", headers=None, service=None, region="us-east-1"):
    """One request to base (http://host:port) + path, SigV4-signed for `service` when given."""
    headers = dict(headers or {})
    if service:
        req = AWSRequest(method=method, url=base + path, data=body, headers=headers)
        SigV4Auth(CREDS, service, region).add_auth(req)
        headers = dict(req.headers.items())
    conn = http.client.HTTPConnection(base[len("http://"):], timeout=20)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


def environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        pairs = [e.split(b"=", 1) for e in f.read().split(b"\0") if b"=" in e]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


@needs_build
class HostileClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-hostile-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.api = cls.cloud.api_url
        cls.bucket = cls.cloud.bucket()
        cls.s3 = cls.cloud.s3()

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def victim(self, name):
        status, _, _ = send(self.api, "PUT", "/objects/" + name, b"precious",
                            {"Content-Type": "text/plain"}, service="execute-api")
        self.assertIn(status, (200, 201))

    def assert_intact(self, name):
        got = self.s3.get_object(Bucket=self.bucket, Key=name)
        self.assertEqual(got["Body"].read(), b"precious")

    # Item 1: a NUL in a path parameter.

    def test_nul_in_name_is_refused_and_the_victim_kept(self):
        self.victim("victim.txt")
        status, _, body = send(self.api, "PUT", "/objects/victim.txt%00.x", b"evil",
                               {"Content-Type": "text/plain"}, service="execute-api")
        self.assertEqual(status, 400, body)
        err = json.loads(body)["error"]
        self.assertEqual(err["code"], "InvalidName")
        self.assertIn("control", err["message"])
        self.assert_intact("victim.txt")
        status, _, body = send(self.api, "DELETE", "/objects/victim.txt%00y",
                               service="execute-api")
        self.assertEqual(status, 400, body)
        self.assert_intact("victim.txt")
        status, _, body = send(self.api, "GET", "/objects/victim.txt%00", service="execute-api")
        self.assertEqual(status, 400, body)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.assertFalse([k for k in keys if k.startswith("victim.txt") and k != "victim.txt"])

    def test_nul_in_list_prefix_is_refused(self):
        status, _, body = send(self.api, "GET", "/objects?prefix=vic%00tim", service="execute-api")
        self.assertEqual(status, 400, body)
        self.assertIn("NUL", json.loads(body)["error"]["message"])

    # Item 5: the region of the signature.

    def test_gateway_refuses_another_region(self):
        for region in ("us-west-2", "bogus-region"):
            status, _, body = send(self.api, "GET", "/objects", service="execute-api",
                                   region=region)
            self.assertEqual(status, 403, body)
            self.assertEqual(json.loads(body)["message"],
                             "Credential should be scoped to a valid region, not '%s'. " % region)
        status, _, _ = send(self.api, "GET", "/objects", service="execute-api")
        self.assertEqual(status, 200)

    def test_s3_refuses_another_region(self):
        status, _, body = send(self.cloud.aws_url, "GET", "/" + self.bucket, service="s3",
                               region="us-west-2",
                               headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>AuthorizationHeaderMalformed</Code>", body)
        self.assertIn(b"the region &apos;us-west-2&apos; is wrong; expecting &apos;us-east-1&apos;",
                      body)
        self.assertIn(b"<Region>us-east-1</Region>", body)
        # boto3 configured for another region is refused first, reads <Region> and
        # retries there, as it does against S3 (botocore's S3RegionRedirector).
        other = boto3.client("s3", endpoint_url=self.cloud.aws_url, region_name="eu-west-1",
                             aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        attempts = []
        other.meta.events.register("needs-retry.s3.PutObject",
                                   lambda response=None, **kw: attempts.append(
                                       response[1]["Error"]["Code"] if response and
                                       response[1].get("Error") else "OK"))
        other.put_object(Bucket=self.bucket, Key="from-elsewhere", Body=b"x")
        self.assertEqual(attempts[0], "AuthorizationHeaderMalformed")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="from-elsewhere")["Body"].read(),
                         b"x")

    def test_s3_presigned_for_another_region(self):
        other = boto3.client("s3", endpoint_url=self.cloud.aws_url, region_name="us-west-2",
                             aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                             config=Config(signature_version="s3v4"))
        url = other.generate_presigned_url("get_object",
                                           Params={"Bucket": self.bucket, "Key": "k"})
        path = url[len(self.cloud.aws_url):]
        status, _, body = send(self.cloud.aws_url, "GET", path)
        self.assertEqual(status, 400, body)
        self.assertIn(b"<Code>AuthorizationQueryParametersError</Code>", body)
        self.assertIn(b"<Region>us-east-1</Region>", body)

    def test_dynamodb_refuses_another_region(self):
        ddb = boto3.client("dynamodb", endpoint_url=self.cloud.aws_url, region_name="ap-south-1",
                           aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        with self.assertRaises(ddb.exceptions.ClientError) as cm:
            ddb.list_tables()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "InvalidSignatureException")
        self.assertEqual(err["Message"],
                         "Credential should be scoped to a valid region, not 'ap-south-1'. ")

    # Item 10: DynamoDB speaks POST only.

    def test_dynamodb_refuses_a_put_signed_as_post(self):
        body = b"{}"
        headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                   "Content-Type": "application/x-amz-json-1.0"}
        req = AWSRequest(method="POST", url=self.cloud.aws_url + "/", data=body, headers=headers)
        SigV4Auth(CREDS, "dynamodb", "us-east-1").add_auth(req)
        signed = dict(req.headers.items())
        status, _, _ = send(self.cloud.aws_url, "POST", "/", body, signed)
        self.assertEqual(status, 200)
        for method in ("PUT", "GET", "DELETE", "PATCH"):
            status, _, answer = send(self.cloud.aws_url, method, "/", body, signed)
            self.assertEqual(status, 404, (method, answer))
            self.assertEqual(json.loads(answer)["__type"],
                             "com.amazon.coral.service#UnknownOperationException")

    # Item 9: workers' Runtime API paths.

    def test_worker_path_cannot_be_guessed(self):
        status, _, _ = send(self.api, "GET", "/health")
        self.assertEqual(status, 200)
        # The children are Lambda workers and, with a database, the stage's PostgreSQL.
        workers = [p for p in children(self.cloud.proc.pid)
                   if "AWS_LAMBDA_RUNTIME_API" in environ(p)]
        self.assertTrue(workers)
        api = environ(workers[0])["AWS_LAMBDA_RUNTIME_API"]
        host, path = api.split("/", 1)
        wid, token = path[len("w/"):].split(".")
        self.assertRegex(token, "^[0-9a-f]{32}$")
        base = "http://" + host
        for guess in ("/w/%s" % wid, "/w/1", "/w/%s.%s" % (wid, "0" * 32),
                      "/w/%s.%s" % (wid, token[:-1])):
            for _ in range(3):
                status, _, body = send(base, "GET", guess + "/2018-06-01/runtime/invocation/next")
                self.assertEqual(status, 404, (guess, body))
            status, _, _ = send(base, "POST", guess + "/2018-06-01/runtime/init/error", b"{}")
            self.assertEqual(status, 404)
        # Nothing was retired or taken: the same workers serve.
        for _ in range(5):
            status, _, _ = send(self.api, "GET", "/health")
            self.assertEqual(status, 200)
        self.assertIn(workers[0], children(self.cloud.proc.pid))


if __name__ == "__main__":
    unittest.main()
