"""The objects API suite, shared by the local cloud and a deployed stack.

A test class mixes ObjectsSuite into unittest.TestCase and sets, in setUpClass:
  api_url      base URL of the API stage ("http://127.0.0.1:3000" or
               "https://<id>.execute-api.<region>.amazonaws.com/<stage>")
  bucket       the data bucket's name
  s3           a boto3 S3 client that can read that bucket
  credentials  botocore Credentials that AWS_IAM routes accept
  region       the API's region
  local        True against `sluice dev` (enables checks of local details)

Requests go through http.client, not urllib3, so that paths are sent exactly
as written (urllib3 would resolve "..") and AWS_IAM routes are signed with
botocore's own SigV4 signer (service execute-api), as an AWS SDK would.
"""

import http.client
import json
import urllib.parse
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

# API Gateway's own answers (the service's are {"error": {...}}).
FORBIDDEN = {"message": "Forbidden"}
NOT_FOUND = {"message": "Not Found"}
BAD_SIGNATURE_PREFIX = ("The request signature we calculated does not match the signature "
                        "you provided. Check your AWS Secret Access Key and signing method.")
# API Gateway's payload limit, and a body past it.
GATEWAY_BODY_MAX = 10 * 1024 * 1024


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


def http_request(api_url, method, path, body=b"", headers=None, credentials=None,
                 region="us-east-1", tamper=False, timeout=30):
    """Send one request to api_url + path; sign it when credentials are given."""
    base = urllib.parse.urlsplit(api_url)
    full_path = base.path.rstrip("/") + path
    headers = dict(headers or {})
    if isinstance(body, str):
        body = body.encode()
    if credentials is not None:
        url = "%s://%s%s" % (base.scheme, base.netloc, full_path)
        req = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(credentials, "execute-api", region).add_auth(req)
        headers = dict(req.headers.items())
        if tamper:
            auth = headers["Authorization"]
            sig = auth[-64:]
            flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
            headers["Authorization"] = auth[:-64] + flipped
    conn_cls = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(base.netloc, timeout=timeout)
    try:
        conn.request(method, full_path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


class ObjectsSuite:
    """Assertions about the objects API; see the module docstring for the attributes."""

    local = False

    # ---- helpers ----

    def call(self, method, path, body=b"", headers=None, sign=True, tamper=False):
        return http_request(self.api_url, method, path, body, headers,
                            self.credentials if sign else None, self.region, tamper)

    def post_object(self, name, content, **extra):
        doc = {"name": name, "content": content}
        doc.update(extra)
        return self.call("POST", "/objects", json.dumps(doc),
                         {"Content-Type": "application/json"})

    def unique(self, stem="obj"):
        return "integ/%s-%s.txt" % (stem, uuid.uuid4().hex[:12])

    def s3_body(self, key):
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    # ---- the happy path ----

    def test_health_is_open(self):
        r = self.call("GET", "/health", sign=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "ok")

    def test_post_stores_object_under_its_name(self):
        name = self.unique("post")
        r = self.post_object(name, "hello from the integration suite")
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertEqual(doc["key"], name)
        self.assertEqual(doc["bucket"], self.bucket)
        self.assertEqual(doc["size"], len("hello from the integration suite"))
        self.assertEqual(self.s3_body(name), b"hello from the integration suite")
        head = self.s3.head_object(Bucket=self.bucket, Key=name)
        self.assertEqual(head["ETag"].strip('"'), doc["etag"])

    def test_post_echoes_the_event(self):
        name = self.unique("echo")
        r = self.post_object(name, "echo")
        self.assertEqual(r.status, 201, r)
        event = r.json()["event"]
        self.assertEqual(event["version"], "2.0")
        self.assertEqual(event["routeKey"], "POST /objects")
        self.assertEqual(event["requestContext"]["http"]["method"], "POST")
        self.assertTrue(event["rawPath"].endswith("/objects"))
        self.assertEqual(event["headers"]["authorization"], "[redacted]")
        self.assertEqual(json.loads(event["body"])["name"], name)
        iam = event["requestContext"]["authorizer"]["iam"]
        self.assertEqual(iam["accessKey"], self.credentials.access_key)

    def test_put_get_delete_roundtrip(self):
        name = self.unique("put") + "/nested name é"
        path = "/objects/" + urllib.parse.quote(name)
        r = self.call("PUT", path, b"\x00\x01binary\xff", {"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.s3_body(name), b"\x00\x01binary\xff")
        r = self.call("GET", path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"\x00\x01binary\xff")
        self.assertEqual(r.headers["content-type"], "application/octet-stream")
        r = self.call("DELETE", path)
        self.assertEqual(r.status, 204, r)
        r = self.call("GET", path)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["code"], "NotFound")

    def test_list_finds_stored_object(self):
        name = self.unique("list")
        self.assertEqual(self.post_object(name, "x").status, 201)
        # Encoded as SigV4 canonicalises it ('/' too): botocore signs a URL's query as given.
        r = self.call("GET", "/objects?prefix=" + urllib.parse.quote(name, safe=""))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([i["key"] for i in r.json()["items"]], [name])

    # ---- bad input: exact status and body ----

    def assert_invalid_name(self, name):
        r = self.post_object(name, "x")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "InvalidName")

    def test_dotdot_names_refused(self):
        for name in ("../escape.txt", "a/../../b", "..", "a/./b"):
            with self.subTest(name=name):
                self.assert_invalid_name(name)

    def test_dotdot_in_path_refused(self):
        r = self.call("PUT", "/objects/a/%2E%2E/b", b"x")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "InvalidName")

    def test_control_characters_refused(self):
        for name in ("a\x01b", "tab\there", "del\x7f", "nl\nx"):
            with self.subTest(name=repr(name)):
                self.assert_invalid_name(name)

    def test_bad_json(self):
        r = self.call("POST", "/objects", b'{"name": "x", "content": ',
                      {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "InvalidJson")

    def test_huge_body_413(self):
        r = self.call("POST", "/objects", b"x" * (GATEWAY_BODY_MAX + 1),
                      {"Content-Type": "application/json"}, sign=False)
        self.assertEqual(r.status, 413, r)

    def test_wrong_method_has_no_route(self):
        r = self.call("PATCH", "/objects", b"{}", {"Content-Type": "application/json"})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json(), NOT_FOUND)
        r = self.call("DELETE", "/health", sign=False)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json(), NOT_FOUND)

    def test_wrong_method_on_object_is_405(self):
        r = self.call("PATCH", "/objects/some-name", b"x")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.json()["error"]["code"], "MethodNotAllowed")

    def test_unknown_route(self):
        r = self.call("GET", "/no/such/route", sign=False)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json(), NOT_FOUND)

    def test_unsigned_request_forbidden(self):
        name = self.unique("unsigned")
        r = self.call("POST", "/objects", json.dumps({"name": name, "content": "x"}),
                      {"Content-Type": "application/json"}, sign=False)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json(), FORBIDDEN)
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket=self.bucket, Key=name)

    def test_tampered_signature_forbidden(self):
        name = self.unique("tampered")
        r = self.call("POST", "/objects", json.dumps({"name": name, "content": "x"}),
                      {"Content-Type": "application/json"}, tamper=True)
        self.assertEqual(r.status, 403, r)
        self.assertTrue(r.json()["message"].startswith(BAD_SIGNATURE_PREFIX), r)
        with self.assertRaises(self.s3.exceptions.ClientError):
            self.s3.head_object(Bucket=self.bucket, Key=name)

    def test_body_changed_after_signing_forbidden(self):
        name = self.unique("swapped")
        base = urllib.parse.urlsplit(self.api_url)
        body = json.dumps({"name": name, "content": "x"}).encode()
        req = AWSRequest(method="POST", url="%s://%s%s/objects" % (
            base.scheme, base.netloc, base.path.rstrip("/")), data=body,
            headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials, "execute-api", self.region).add_auth(req)
        other = body.replace(b'"x"', b'"y"')
        r = http_request(self.api_url, "POST", "/objects", other, dict(req.headers.items()))
        self.assertEqual(r.status, 403, r)
        self.assertTrue(r.json()["message"].startswith(BAD_SIGNATURE_PREFIX), r)
