"""What a careless or hostile client on the same machine can send to the local
cloud's HTTP servers (issue 10, items 2, 3 and 6), sent as such a client would,
byte for byte on a socket, against a `sluice dev` started on free ports.

Each case asserts the answer AWS gives (or, where AWS documents none, the one
docs/security.md chose) and that nothing else changed: the count of messages,
a victim object in S3, the server answering the next request, and the memory
of `sluice` (VmRSS) after oversized requests.

  gateway (:port)       API Gateway's JSON; REST answers on tests/protocol/local_errors.yaml
  AWS endpoint          S3's XML errors, DynamoDB's JSON errors
  Runtime API           the Runtime API's JSON error
  signed requests       SigV4 verified by size, not by a count of headers
"""

import json
import os
import socket
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integ"))

from test_local_dev import ERRORS_TEMPLATE, KEY_ID, SECRET, LocalCloud, needs_build  # noqa: E402

try:
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover
    SigV4Auth = None

import shutil  # noqa: E402
import tempfile  # noqa: E402

GATEWAY_HEAD_MAX = 10240          # API Gateway: request line + header values
GATEWAY_BODY_MAX = 10 * 1024 * 1024
ENDPOINT_HEAD_MAX = 64 * 1024     # the AWS endpoint's header section
ENDPOINT_BODY_MAX = 64 * 1024 * 1024
RUNTIME_BODY_MAX = 16 * 1024 * 1024
MiB = 1024 * 1024


class Answer:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.reason, self.body[:300])


def parse_answers(data):
    """Every complete HTTP/1.1 answer in `data` (framed by Content-Length), in order."""
    answers = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return answers, data
        lines = data[:end].decode("latin-1").split("\r\n")
        _, status, reason = (lines[0].split(" ", 2) + [""])[:3]
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        if len(data) < end + 4 + n:
            return answers, data
        answers.append(Answer(int(status), reason, headers, data[end + 4:end + 4 + n]))
        data = data[end + 4 + n:]


def exchange(port, payload, answers=1, timeout=10, pieces=1 << 20):
    """Send `payload` (bytes, or an iterable of bytes) on a new connection and read
    `answers` answers, or until the server closes. A server that answers and
    closes while the client is still sending is what some cases expect: sending
    stops, reading goes on. Returns (answers, seconds, closed)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    start = time.monotonic()
    try:
        for chunk in ([payload] if isinstance(payload, bytes) else payload):
            for i in range(0, len(chunk), pieces):
                sock.sendall(chunk[i:i + pieces])
    except (BrokenPipeError, ConnectionResetError):
        pass
    data, closed = b"", False
    while True:
        got, _ = parse_answers(data)
        if len(got) >= answers:
            break
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            more = b""
        if not more:
            closed = True
            break
        data += more
    got, _ = parse_answers(data)
    if not closed:
        sock.settimeout(0.5)
        try:
            closed = sock.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            pass
    sock.close()
    return got, time.monotonic() - start, closed


def one(port, payload, **kw):
    got, seconds, closed = exchange(port, payload, **kw)
    if not got:
        raise AssertionError("no answer in %.1f s" % seconds)
    return got[0]


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def runtime_api_address(pid):
    """AWS_LAMBDA_RUNTIME_API of one of the workers of `sluice dev` (its children)."""
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        children = f.read().split()
    for child in children:
        try:
            with open("/proc/%s/environ" % child, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        for kv in env:
            if kv.startswith(b"AWS_LAMBDA_RUNTIME_API="):
                return kv.split(b"=", 1)[1].decode()
    raise AssertionError("no worker with AWS_LAMBDA_RUNTIME_API")


def request(method, target, headers=(), body=b"", host="127.0.0.1"):
    head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, target, host)
    head += "".join("%s: %s\r\n" % kv for kv in headers)
    return head.encode() + b"\r\n" + body


def chunked(*pieces, trailer=b""):
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailer + b"\r\n"


@needs_build
class GatewayFramingTest(unittest.TestCase):
    """The local API Gateway (infra/template.yaml, HTTP API)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-framing-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.port = cls.cloud.port

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def count(self):
        a = one(self.port, request("GET", "/messages", [("Connection", "close")]))
        self.assertEqual(a.status, 200, a)
        return a.json()["count"]

    def post_message(self, headers, body):
        return one(self.port, request("POST", "/messages",
                                      [("Content-Type", "application/json")] + headers, body))

    def assert_api_gateway(self, a, status, message):
        self.assertEqual(a.status, status, a)
        self.assertEqual(a.json(), {"message": message})
        self.assertEqual(a.headers["content-type"], "application/json")
        self.assertRegex(a.headers["apigw-requestid"], r"^[0-9a-f-]{36}$")
        self.assertEqual(a.headers.get("connection"), "close")

    def assert_still_serving(self):
        a = one(self.port, request("GET", "/health", [("Connection", "close")]))
        self.assertEqual(a.status, 200, a)

    def test_two_content_lengths_is_400(self):
        before = self.count()
        body = b'{"message":"hello"}'
        for lengths in ((len(body), 40), (len(body), len(body))):
            a = self.post_message([("Content-Length", str(n)) for n in lengths], body)
            self.assert_api_gateway(a, 400, "Bad Request")
        self.assertEqual(self.count(), before)

    def test_content_length_over_the_cap_is_413_at_once(self):
        a, seconds, closed = exchange(self.port, request(
            "POST", "/messages", [("Content-Length", str(GATEWAY_BODY_MAX + 1))]))
        self.assertLess(seconds, 2)
        self.assert_api_gateway(a[0], 413, "Request Entity Too Large")
        self.assertTrue(closed)
        self.assert_still_serving()

    def test_body_over_the_cap_is_413_json(self):
        before = self.count()
        body = b"x" * (GATEWAY_BODY_MAX + 1)
        a = self.post_message([("Content-Length", str(len(body)))], body)
        self.assert_api_gateway(a, 413, "Request Entity Too Large")
        # As the objects suite sends it (http.client, the whole body, then the answer).
        from objects_suite import http_request
        r = http_request(self.cloud.api_url, "POST", "/messages", body,
                         {"Content-Type": "application/json"})
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json(), {"message": "Request Entity Too Large"})
        self.assertEqual(self.count(), before)

    def test_malformed_chunk_sizes_are_400(self):
        before = self.count()
        for size in (b"zz", b"0x13", b" 13", b"-13", b""):
            body = size + b"\r\n" + b'{"message":"hello"}' + b"\r\n0\r\n\r\n"
            a = self.post_message([("Transfer-Encoding", "chunked")], body)
            self.assert_api_gateway(a, 400, "Bad Request")
        self.assertEqual(self.count(), before)

    def test_chunked_body_over_the_cap_is_413_at_once(self):
        a, seconds, _ = exchange(self.port, request(
            "POST", "/messages", [("Transfer-Encoding", "chunked")],
            b"%x\r\n" % (GATEWAY_BODY_MAX + 1)))
        self.assertLess(seconds, 2)
        self.assert_api_gateway(a[0], 413, "Request Entity Too Large")

    def test_chunked_body_is_read_whole(self):
        before = self.count()
        a = self.post_message([("Transfer-Encoding", "chunked")],
                              chunked(b'{"message":', b'"chunked"}', trailer=b"X-T: v\r\n")
                              .replace(b"\r\n", b";ext=1\r\n", 1))
        self.assertEqual(a.status, 201, a)
        self.assertEqual(a.json()["message"], "chunked")
        self.assertEqual(self.count(), before + 1)

    def test_content_length_with_transfer_encoding_is_400(self):
        body = chunked(b'{"message":"x"}')
        a = self.post_message([("Content-Length", str(len(body))),
                               ("Transfer-Encoding", "chunked")], body)
        self.assert_api_gateway(a, 400, "Bad Request")

    def test_other_transfer_codings(self):
        a = self.post_message([("Transfer-Encoding", "gzip, chunked")], chunked(b"x"))
        self.assert_api_gateway(a, 501, "Not Implemented")
        a = self.post_message([("Transfer-Encoding", "gzip")], b"")
        self.assert_api_gateway(a, 400, "Bad Request")

    def test_header_section_over_10240_bytes_is_431(self):
        line = len("GET /health HTTP/1.1") + len("127.0.0.1") + len("close")
        fits = request("GET", "/health", [("Connection", "close"),
                                          ("X-Big", "a" * (GATEWAY_HEAD_MAX - line))])
        self.assertEqual(one(self.port, fits).status, 200)
        over = request("GET", "/health", [("Connection", "close"),
                                          ("X-Big", "a" * (GATEWAY_HEAD_MAX - line + 1))])
        a = one(self.port, over)
        self.assert_api_gateway(a, 431, "HTTP header is larger than 10240 bytes.")
        self.assertEqual(a.reason, "Request Header Fields Too Large")

    def test_malformed_heads_are_400(self):
        for head in (b"\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /health HTTP/1.1\r\nHost : x\r\n\r\n",
                     b"GET /health HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                     b"GET /health HTTP/1.1\r\nX: a\x00b\r\n\r\n",
                     b"HEAD /health HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /"):
            with self.subTest(head=head):
                self.assert_api_gateway(one(self.port, head), 400, "Bad Request")

    def test_pipelined_requests_are_followed(self):
        good = request("GET", "/health")
        body = b'{"message":"pipelined"}'
        post = request("POST", "/messages", [("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))], body)
        bad = request("POST", "/messages", [("Content-Length", "1"), ("Content-Length", "2")],
                      b"ab")
        answers, _, closed = exchange(self.port, good + post + good + bad + good, answers=5)
        self.assertEqual([a.status for a in answers], [200, 201, 200, 400], answers)
        self.assertEqual(answers[1].json()["message"], "pipelined")
        self.assertTrue(closed)

    def test_memory_is_returned_after_large_bodies(self):
        # Bodies under the cap are read whole; once their connections end, the
        # memory goes back to the system (glibc kept about 15 MiB before).
        body = b"x" * (GATEWAY_BODY_MAX - 1)
        self.assert_still_serving()
        before = vm_rss_kb(self.cloud.proc.pid)

        def post(out, i):
            out[i] = one(self.port, request("POST", "/objects", [
                ("Content-Length", str(len(body))), ("Connection", "close")], body), timeout=60)

        for _ in range(2):
            results = [None] * 4
            threads = [threading.Thread(target=post, args=(results, i)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            self.assertEqual([a.status for a in results], [403] * 4)  # unsigned, read whole
        time.sleep(0.5)
        grown = vm_rss_kb(self.cloud.proc.pid) - before
        self.assertLess(grown, 4 * 1024, "sluice kept %d KiB" % grown)

    def test_oversized_heads_keep_memory_bounded(self):
        s3 = self.cloud.s3()
        bucket = self.cloud.bucket()
        s3.put_object(Bucket=bucket, Key="victim.txt", Body=b"intact")
        self.assert_still_serving()
        before = vm_rss_kb(self.cloud.proc.pid)

        def flood(out, i):
            head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Flood: "
            out[i] = one(self.port, [head] + [b"a" * MiB] * 64, timeout=60)

        results = [None] * 4
        threads = [threading.Thread(target=flood, args=(results, i)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for a in results:
            self.assertIsNotNone(a)
            self.assert_api_gateway(a, 431, "HTTP header is larger than 10240 bytes.")
        self.assert_still_serving()
        grown = vm_rss_kb(self.cloud.proc.pid) - before
        self.assertLess(grown, 16 * 1024, "sluice grew by %d KiB" % grown)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="victim.txt")["Body"].read(),
                         b"intact")


@needs_build
class RestApiFramingTest(unittest.TestCase):
    """REST API routes (tests/protocol/local_errors.yaml) answer in REST's words."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-framing-rest-")
        cls.cloud = LocalCloud(cls.tmp, template=ERRORS_TEMPLATE)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_rest_answers(self):
        port = self.cloud.port
        a = one(port, request("GET", "/health", [("Content-Length", str(GATEWAY_BODY_MAX + 1))]))
        self.assertEqual(a.status, 413, a)
        self.assertEqual(a.body, b'{"message": "Request Too Long"}')
        self.assertEqual(a.headers["x-amzn-errortype"], "BadRequestException")
        self.assertRegex(a.headers["x-amzn-requestid"], r"^[0-9a-f-]{36}$")
        a = one(port, request("GET", "/Prod/health", [("X-Big", "a" * GATEWAY_HEAD_MAX)]))
        self.assertEqual(a.status, 431, a)
        self.assertIn("x-amzn-requestid", a.headers)
        a = one(port, request("GET", "/health", [("Content-Length", "1"), ("Content-Length", "1")],
                              b"a"))
        self.assertEqual((a.status, a.json()), (400, {"message": "Bad Request"}))
        self.assertIn("x-amzn-requestid", a.headers)


@needs_build
class EndpointFramingTest(unittest.TestCase):
    """The local AWS endpoint: S3 and DynamoDB refuse as themselves."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-framing-aws-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.port = cls.cloud.aws_port
        cls.bucket = cls.cloud.bucket()

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_s3_error(self, a, status, code):
        self.assertEqual(a.status, status, a)
        self.assertEqual(a.headers["content-type"], "application/xml")
        self.assertIn(b"<Code>%s</Code>" % code.encode(), a.body)
        self.assertIn(b"<RequestId>", a.body)
        return a.body.decode()

    def test_s3_refusals(self):
        path = "/%s/framing.txt" % self.bucket
        a = one(self.port, request("PUT", path, [("Content-Length", "2"), ("Content-Length", "3")],
                                   b"abc"))
        body = self.assert_s3_error(a, 400, "InvalidRequest")
        self.assertIn("<Resource>%s</Resource>" % path, body)
        a, seconds, _ = exchange(self.port, request(
            "PUT", path, [("Content-Length", str(ENDPOINT_BODY_MAX + 1))]))
        self.assertLess(seconds, 2)
        body = self.assert_s3_error(a[0], 400, "MaxMessageLengthExceeded")
        self.assertIn("<MaxSizeAllowed>%d</MaxSizeAllowed>" % ENDPOINT_BODY_MAX, body)
        a = one(self.port, request("PUT", path, [("Transfer-Encoding", "gzip, chunked")],
                                   chunked(b"x")))
        body = self.assert_s3_error(a, 501, "NotImplemented")
        self.assertIn("<Header>Transfer-Encoding</Header>", body)
        a = one(self.port, request("GET", path, [("X-Big", "a" * ENDPOINT_HEAD_MAX)]))
        body = self.assert_s3_error(a, 400, "RequestHeaderSectionTooLarge")
        self.assertIn("<MaxSizeAllowed>%d</MaxSizeAllowed>" % ENDPOINT_HEAD_MAX, body)
        s3 = self.cloud.s3()
        with self.assertRaises(s3.exceptions.NoSuchKey):
            s3.get_object(Bucket=self.bucket, Key="framing.txt")

    def test_dynamodb_refusal(self):
        a = one(self.port, request("POST", "/", [
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Length", "2"), ("Content-Length", "3")], b"{}x"))
        self.assertEqual(a.status, 400, a)
        self.assertEqual(a.headers["content-type"], "application/x-amz-json-1.0")
        self.assertEqual(a.json()["__type"], "com.amazon.coral.service#SerializationException")
        self.assertIn("x-amzn-requestid", a.headers)

    @unittest.skipIf(SigV4Auth is None, "needs botocore")
    def test_signed_chunked_put_is_stored(self):
        url = "%s/%s/chunked.txt" % (self.cloud.aws_url, self.bucket)
        content = b"sent in chunks, stored whole"
        req = AWSRequest(method="PUT", url=url, data=content)
        S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", "us-east-1").add_auth(req)
        headers = [(k, v) for k, v in req.headers.items() if k.lower() != "content-length"]
        a = one(self.port, request("PUT", "/%s/chunked.txt" % self.bucket,
                                   headers + [("Transfer-Encoding", "chunked")],
                                   chunked(content[:7], content[7:]),
                                   host=urllib.parse.urlsplit(url).netloc))
        self.assertEqual(a.status, 200, a)
        got = self.cloud.s3().get_object(Bucket=self.bucket, Key="chunked.txt")["Body"].read()
        self.assertEqual(got, content)


@needs_build
class RuntimeApiFramingTest(unittest.TestCase):
    """The Runtime API the workers call."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-framing-rt-")
        cls.cloud = LocalCloud(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_runtime_api_refusals(self):
        self.assertEqual(one(self.cloud.port, request("GET", "/health")).status, 200)
        address = runtime_api_address(self.cloud.proc.pid)
        host_port, _, prefix = address.partition("/")
        port = int(host_port.rsplit(":", 1)[1])
        target = "/%s/2018-06-01/runtime/invocation/x/response" % prefix
        a = one(port, request("POST", target, [("Content-Length", "1"), ("Content-Length", "2")],
                              b"ab"))
        self.assertEqual((a.status, a.json()["errorType"]), (400, "InvalidRequest"), a)
        a, seconds, _ = exchange(port, request("POST", target,
                                               [("Content-Length", str(RUNTIME_BODY_MAX + 1))]))
        self.assertLess(seconds, 2)
        self.assertEqual((a[0].status, a[0].json()["errorType"]), (413, "RequestEntityTooLarge"))
        self.assertEqual(a[0].headers["content-type"], "application/json")
        self.assertEqual(one(self.cloud.port, request("GET", "/health")).status, 200)


@needs_build
@unittest.skipIf(SigV4Auth is None, "needs botocore")
class SignedManyHeadersTest(unittest.TestCase):
    """SigV4 is limited by size, as AWS limits it, not by a count of headers."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-framing-sig-")
        cls.cloud = LocalCloud(cls.tmp)
        cls.creds = Credentials(KEY_ID, SECRET)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def signed(self, auth, method, url, body, extra):
        headers = {"X-Test-%03d" % i: "v%d" % i for i in range(200)}
        headers.update(extra)
        req = AWSRequest(method=method, url=url, data=body, headers=headers)
        auth.add_auth(req)
        target = urllib.parse.urlsplit(url)
        return one(target.port, request(method, target.path, list(req.headers.items()), body,
                                        host=target.netloc))

    def test_gateway_accepts_200_signed_headers(self):
        body = json.dumps({"name": "many-headers.txt", "content": "ok"}).encode()
        a = self.signed(SigV4Auth(self.creds, "execute-api", "us-east-1"), "POST",
                        self.cloud.api_url + "/objects", body,
                        {"Content-Type": "application/json", "Content-Length": str(len(body))})
        self.assertEqual(a.status, 201, a)

    def test_s3_accepts_200_signed_headers(self):
        url = "%s/%s/many-headers.txt" % (self.cloud.aws_url, self.cloud.bucket())
        a = self.signed(S3SigV4Auth(self.creds, "s3", "us-east-1"), "PUT", url, b"ok",
                        {"Content-Length": "2"})
        self.assertEqual(a.status, 200, a)

    def test_dynamodb_accepts_200_signed_headers(self):
        body = b"{}"
        a = self.signed(SigV4Auth(self.creds, "dynamodb", "us-east-1"), "POST",
                        self.cloud.aws_url + "/", body,
                        {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                         "Content-Type": "application/x-amz-json-1.0",
                         "Content-Length": str(len(body))})
        self.assertEqual(a.status, 200, a)
        self.assertIn("TableNames", a.json())


if __name__ == "__main__":
    unittest.main()
