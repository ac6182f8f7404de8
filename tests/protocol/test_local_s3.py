"""The local S3 endpoint (src/local/s3/) against moto's S3.

One boto3 suite runs against both servers; its answers (status codes, error
codes, listed keys, ETags, bodies) must agree, except for the differences
listed in KNOWN_DIFFERENCES with a reason. Signature checks, aws-chunked
bodies, virtual-host addressing, the on-disk layout and awscli run against
the local endpoint only (moto does not verify signatures).
"""
import binascii
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import zlib

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

BUILD = os.environ.get("SLUICE_BUILD", "build")
BINARY = os.path.join(BUILD, "tests", "aws_endpoint_main")
AKID, SECRET = "sluice", "sluice-local"
MIB = 1 << 20

# Answers where moto and S3 (which we follow) disagree.
KNOWN_DIFFERENCES = {
    # S3 in us-east-1 returns 409 BucketAlreadyOwnedByYou ... moto answers 200 there.
    "create_again": "moto accepts re-creating an owned bucket in us-east-1",
    # moto does not check bucket names on CreateBucket.
    "invalid_bucket_name": "moto does not validate bucket names",
    # S3 documents that Quiet mode returns only the keys that failed; moto lists all.
    "delete_objects_quiet": "moto ignores Quiet in DeleteObjects",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def client(endpoint, akid=AKID, secret=SECRET, style="path", sigv="s3v4"):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=akid, aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1},
                      signature_version=sigv))


def outcome(fn):
    """(status, error code or None, value) of one call."""
    try:
        value = fn()
        return (value.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
                if isinstance(value, dict) else 200, None, value)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Code"), None)


KEYS = ["plain.txt", "with space.txt", "unicod\u00e9/\u043a\u043b\u044e\u0447.txt", "a+b", "100%",
        "tilde~x", "../../escape", "dir/sub/a", "dir/sub/b", "dir/c", "emoji \U0001F389",
        "q?x=1&y", "#hash"]


def run_suite(s3, tmp):
    """Run the shared cases; returns {case: comparable answer}."""
    r = {}
    bucket = "suite-bucket"
    r["create"] = outcome(lambda: s3.create_bucket(Bucket=bucket))[:2]
    r["create_again"] = outcome(lambda: s3.create_bucket(Bucket=bucket))[:2]
    r["invalid_bucket_name"] = outcome(lambda: s3.create_bucket(Bucket="Bad_Name"))[:2]
    r["head_bucket"] = outcome(lambda: s3.head_bucket(Bucket=bucket))[:2]
    r["head_missing_bucket"] = outcome(lambda: s3.head_bucket(Bucket="no-such-bucket"))[:2]
    r["list_buckets"] = bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    etags = {}
    for i, k in enumerate(KEYS):
        body = ("body of %s #%d" % (k, i)).encode()
        etags[k] = s3.put_object(Bucket=bucket, Key=k, Body=body, ContentType="text/plain",
                                 Metadata={"index": str(i)})["ETag"]
    r["etags"] = etags
    got = {}
    for k in KEYS:
        o = s3.get_object(Bucket=bucket, Key=k)
        got[k] = (o["Body"].read(), o["ETag"], o["ContentType"], o["Metadata"],
                  o["ContentLength"])
    r["get"] = got
    r["head"] = {k: (h["ContentLength"], h["ETag"]) for k in KEYS
                 for h in [s3.head_object(Bucket=bucket, Key=k)]}
    big = random.Random(5).randbytes(5 * MIB)  # the same bytes for both servers
    r["big_put"] = s3.put_object(Bucket=bucket, Key="big", Body=big)["ETag"]
    r["big_get"] = hashlib.sha256(s3.get_object(Bucket=bucket, Key="big")["Body"].read()
                                  ).hexdigest() == hashlib.sha256(big).hexdigest()
    ranges = {}
    for rg in ["bytes=0-9", "bytes=10-", "bytes=-5", "bytes=5242870-9999999"]:
        o = s3.get_object(Bucket=bucket, Key="big", Range=rg)
        ranges[rg] = (o["ResponseMetadata"]["HTTPStatusCode"], o["ContentRange"],
                      o["Body"].read())
    r["ranges"] = ranges
    r["range_unsatisfiable"] = outcome(
        lambda: s3.get_object(Bucket=bucket, Key="big", Range="bytes=99999999-"))[:2]
    r["list_all"] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    lst = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    r["list_delim"] = ([o["Key"] for o in lst.get("Contents", [])],
                       [p["Prefix"] for p in lst.get("CommonPrefixes", [])], lst["KeyCount"])
    lst = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    r["list_prefix_delim"] = ([o["Key"] for o in lst.get("Contents", [])],
                              [p["Prefix"] for p in lst.get("CommonPrefixes", [])])
    pages, token = [], None
    for _ in range(20):
        kw = {"Bucket": bucket, "Delimiter": "/", "MaxKeys": 2}
        if token:
            kw["ContinuationToken"] = token
        p = s3.list_objects_v2(**kw)
        pages.append(([o["Key"] for o in p.get("Contents", [])],
                      [c["Prefix"] for c in p.get("CommonPrefixes", [])],
                      p["KeyCount"], p["IsTruncated"]))
        token = p.get("NextContinuationToken")
        if not p["IsTruncated"]:
            break
    r["list_pages"] = pages
    r["list_start_after"] = [o["Key"] for o in s3.list_objects_v2(
        Bucket=bucket, StartAfter="dir/sub/a").get("Contents", [])]
    r["list_v1"] = [o["Key"] for o in s3.list_objects(Bucket=bucket, Prefix="dir/")["Contents"]]
    r["missing_key"] = outcome(lambda: s3.get_object(Bucket=bucket, Key="no/such/key"))[:2]
    r["head_missing_key"] = outcome(lambda: s3.head_object(Bucket=bucket, Key="nope"))[:2]
    r["missing_bucket"] = outcome(lambda: s3.get_object(Bucket="no-such-bucket", Key="k"))[:2]
    r["list_missing_bucket"] = outcome(
        lambda: s3.list_objects_v2(Bucket="no-such-bucket"))[:2]
    r["if_none_match_put"] = outcome(lambda: s3.put_object(
        Bucket=bucket, Key="plain.txt", Body=b"x", IfNoneMatch="*"))[:2]
    r["if_none_match_get"] = outcome(lambda: s3.get_object(
        Bucket=bucket, Key="plain.txt", IfNoneMatch=etags["plain.txt"]))[:2]
    r["if_match_get"] = outcome(lambda: s3.get_object(
        Bucket=bucket, Key="plain.txt", IfMatch='"0123"'))[:2]
    c = s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket,
                                                                "Key": "with space.txt"})
    r["copy"] = (c["CopyObjectResult"]["ETag"],
                 s3.get_object(Bucket=bucket, Key="copied")["Body"].read())
    r["copy_missing"] = outcome(lambda: s3.copy_object(
        Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "nope"}))[:2]
    d = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copied"},
                                                             {"Key": "never-there"}]})
    r["delete_objects"] = sorted(x["Key"] for x in d.get("Deleted", []))
    d = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a+b"}], "Quiet": True})
    r["delete_objects_quiet"] = (d.get("Deleted", []), d.get("Errors", []))
    r["delete_object"] = outcome(lambda: s3.delete_object(Bucket=bucket, Key="100%"))[:2]
    r["after_delete"] = outcome(lambda: s3.get_object(Bucket=bucket, Key="100%"))[:2]
    path = os.path.join(tmp, "multi.bin")
    data = random.Random(12).randbytes(12 * MIB + 1234)
    with open(path, "wb") as f:
        f.write(data)
    s3.upload_file(path, bucket, "multi.bin",
                   Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB))
    h = s3.head_object(Bucket=bucket, Key="multi.bin")
    r["multipart_head"] = (h["ContentLength"], h["ETag"])
    r["multipart_body"] = s3.get_object(Bucket=bucket, Key="multi.bin")["Body"].read() == data
    up = s3.create_multipart_upload(Bucket=bucket, Key="parts")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="parts", UploadId=up, PartNumber=1,
                        Body=b"x" * (5 * MIB))["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="parts", UploadId=up, PartNumber=2, Body=b"tail")["ETag"]
    lp = s3.list_parts(Bucket=bucket, Key="parts", UploadId=up)
    r["list_parts"] = [(p["PartNumber"], p["ETag"], p["Size"]) for p in lp["Parts"]]
    r["complete_bad_part"] = outcome(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="parts", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e2}]}))[:2]
    cm = s3.complete_multipart_upload(Bucket=bucket, Key="parts", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    r["complete"] = cm["ETag"]
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    r["abort"] = outcome(lambda: s3.abort_multipart_upload(Bucket=bucket, Key="aborted",
                                                           UploadId=up2))[:2]
    r["list_parts_aborted"] = outcome(lambda: s3.list_parts(Bucket=bucket, Key="aborted",
                                                            UploadId=up2))[:2]
    r["delete_nonempty_bucket"] = outcome(lambda: s3.delete_bucket(Bucket=bucket))[:2]
    s3.create_bucket(Bucket="empty-bucket")
    r["delete_empty_bucket"] = outcome(lambda: s3.delete_bucket(Bucket="empty-bucket"))[:2]
    r["delete_missing_bucket"] = outcome(lambda: s3.delete_bucket(Bucket="empty-bucket"))[:2]
    return r


class Servers:
    """Starts the local endpoint and moto; stop() always ends both."""

    def __init__(self, tmp):
        self.data = os.path.join(tmp, "server", "data")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--data-dir", self.data, "--access-key-id", AKID,
             "--secret-access-key", SECRET, "--max-seconds", "600"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.proc.stdout.readline()
        self.moto = None

    def start_moto(self):
        self.moto_port = free_port()
        self.moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.moto_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.moto_port, self.moto)

    def stop(self):
        for p in (self.proc, self.moto):
            if p is None:
                continue
            if p is self.proc:
                p.stdin.close()
            else:
                p.terminate()
            try:
                p.wait(timeout=10)
                if p.stdout:
                    p.stdout.close()
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@unittest.skipUnless(os.path.exists(BINARY), "needs " + BINARY)
class LocalS3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-s3-")
        os.mkdir(os.path.join(cls.tmp, "server"))
        cls.servers = Servers(cls.tmp)
        cls.endpoint = "http://127.0.0.1:%d" % cls.servers.port

    @classmethod
    def tearDownClass(cls):
        cls.servers.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if cls.servers.proc.returncode not in (0, None):
            raise AssertionError("endpoint exited with %d" % cls.servers.proc.returncode)

    def s3(self, **kw):
        return client(self.endpoint, **kw)

    def test_same_answers_as_moto(self):
        ours = run_suite(self.s3(), self.tmp)
        try:
            self.servers.start_moto()
            theirs = run_suite(client("http://127.0.0.1:%d" % self.servers.moto_port), self.tmp)
        finally:
            self.servers.stop_moto = None
            if self.servers.moto:
                self.servers.moto.terminate()
                self.servers.moto.wait(timeout=10)
                self.servers.moto = None
        diffs = {case: (ours[case], theirs[case]) for case in ours
                 if case not in KNOWN_DIFFERENCES and ours[case] != theirs[case]}
        self.assertEqual(diffs, {}, "cases that differ from moto (ours, moto's)")
        # Our own answers, asserted on values (not only "same as moto").
        self.assertEqual(ours["create_again"], (409, "BucketAlreadyOwnedByYou"))
        self.assertEqual(ours["invalid_bucket_name"], (400, "InvalidBucketName"))
        self.assertEqual(ours["missing_key"], (404, "NoSuchKey"))
        self.assertEqual(ours["missing_bucket"], (404, "NoSuchBucket"))
        self.assertEqual(ours["range_unsatisfiable"], (416, "InvalidRange"))
        self.assertEqual(ours["if_none_match_put"], (412, "PreconditionFailed"))
        self.assertEqual(ours["delete_nonempty_bucket"], (409, "BucketNotEmpty"))
        self.assertEqual(ours["list_parts_aborted"], (404, "NoSuchUpload"))
        self.assertEqual(ours["complete_bad_part"], (400, "InvalidPart"))
        self.assertTrue(ours["multipart_head"][1].endswith('-3"'))
        self.assertTrue(ours["complete"].endswith('-2"'))
        self.assertEqual(ours["list_all"], sorted(ours["list_all"], key=lambda k: k.encode()))
        self.assertEqual(ours["etags"]["plain.txt"],
                         '"%s"' % hashlib.md5(b"body of plain.txt #0").hexdigest())

    def test_bad_signature(self):
        s3 = self.s3(secret="wrong-secret")
        with self.assertRaises(ClientError) as cm:
            s3.list_objects_v2(Bucket="whatever")
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "SignatureDoesNotMatch")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertTrue(err["StringToSign"].startswith("AWS4-HMAC-SHA256\n"))
        self.assertTrue(err["CanonicalRequest"].startswith("GET\n/whatever\n"))

    def test_unknown_key(self):
        with self.assertRaises(ClientError) as cm:
            self.s3(akid="AKIDUNKNOWN").list_buckets()
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidAccessKeyId")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def test_unsigned_is_denied(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(self.endpoint + "/")
        self.assertEqual(cm.exception.code, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", cm.exception.read())

    def test_presigned_url(self):
        s3 = self.s3()
        s3.create_bucket(Bucket="presign-bucket")
        s3.put_object(Bucket="presign-bucket", Key="k y", Body=b"presigned body")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "presign-bucket",
                                                              "Key": "k y"}, ExpiresIn=60)
        self.assertEqual(urllib.request.urlopen(url).read(), b"presigned body")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"))
        self.assertEqual(cm.exception.code, 403)

    def test_list_caps_max_keys_at_1000(self):
        """S3 answers at most 1,000 keys a page, whatever MaxKeys asks for.

        Real S3 (and Scality's and Swift's S3 layers, which copy it) lists
        1,000 keys, says IsTruncated and echoes the MaxKeys that was asked for.
        moto returns every key, so this runs against the local endpoint only.
        """
        s3 = self.s3()
        s3.create_bucket(Bucket="many-keys")
        keys = sorted("k%04d" % i for i in range(1100))
        for k in keys:
            s3.put_object(Bucket="many-keys", Key=k, Body=b"")

        v2 = s3.list_objects_v2(Bucket="many-keys", MaxKeys=5000)
        self.assertEqual([o["Key"] for o in v2["Contents"]], keys[:1000])
        self.assertEqual(v2["KeyCount"], 1000)
        self.assertTrue(v2["IsTruncated"])
        self.assertEqual(v2["MaxKeys"], 5000)
        rest = s3.list_objects_v2(Bucket="many-keys", MaxKeys=5000,
                                  ContinuationToken=v2["NextContinuationToken"])
        self.assertEqual([o["Key"] for o in rest["Contents"]], keys[1000:])
        self.assertFalse(rest["IsTruncated"])

        v1 = s3.list_objects(Bucket="many-keys", MaxKeys=5000)
        self.assertEqual([o["Key"] for o in v1["Contents"]], keys[:1000])
        self.assertTrue(v1["IsTruncated"])
        self.assertEqual(v1["MaxKeys"], 5000)
        rest = s3.list_objects(Bucket="many-keys", MaxKeys=5000, Marker=keys[999])
        self.assertEqual([o["Key"] for o in rest["Contents"]], keys[1000:])
        self.assertFalse(rest["IsTruncated"])

        # Without MaxKeys the page is 1,000 keys as well.
        self.assertEqual(s3.list_objects_v2(Bucket="many-keys")["KeyCount"], 1000)

    def raw(self, method, path, host=None, body=b"", headers=None, payload_hash=None):
        """Send a SigV4-signed request by hand; returns (status, headers, body)."""
        url = self.endpoint + path
        headers = dict(headers or {})
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
        if host:
            req.headers["Host"] = host
        creds = botocore.credentials.Credentials(AKID, SECRET)

        class Auth(botocore.auth.S3SigV4Auth):
            def payload(self, request):
                return payload_hash or super().payload(request)

        auth = Auth(creds, "s3", "us-east-1")
        auth.add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.servers.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=dict(req.headers.items()))
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read(), req
        finally:
            conn.close()

    def test_virtual_host_style(self):
        self.s3().create_bucket(Bucket="vhost-bucket")
        host = "vhost-bucket.localhost:%d" % self.servers.port
        st, _, _, _ = self.raw("PUT", "/dir/v%20key", host=host, body=b"virtual")
        self.assertEqual(st, 200)
        got = self.s3().get_object(Bucket="vhost-bucket", Key="dir/v key")["Body"].read()
        self.assertEqual(got, b"virtual")

    def test_streaming_signed_chunks(self):
        self.s3().create_bucket(Bucket="chunk-bucket")
        payload = os.urandom(70000)
        sizes = [65536, len(payload) - 65536, 0]

        def body_for(seed, date, scope, key, tamper=False):
            out, prev, off = b"", seed, 0
            for n in sizes:
                chunk = payload[off:off + n]
                off += n
                sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, prev,
                                 hashlib.sha256(b"").hexdigest(),
                                 hashlib.sha256(chunk).hexdigest()])
                sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
                if tamper and n == 0:
                    sig = "0" * 64
                out += b"%x;chunk-signature=%s\r\n" % (n, sig.encode()) + chunk + b"\r\n"
                prev = sig
            return out

        for tamper in (False, True):
            placeholder = b"P" * len(body_for("0" * 64, "", "", b"k"))  # length is fixed
            # Sign the headers first (the seed signature), then build the body.
            headers = {"x-amz-decoded-content-length": str(len(payload)),
                       "Content-Encoding": "aws-chunked"}
            url = self.endpoint + "/chunk-bucket/chunked"
            req = botocore.awsrequest.AWSRequest(method="PUT", url=url, data=placeholder,
                                                 headers=headers)

            class Auth(botocore.auth.S3SigV4Auth):
                def payload(self, request):
                    return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

            Auth(botocore.credentials.Credentials(AKID, SECRET), "s3", "us-east-1").add_auth(req)
            date = req.headers["X-Amz-Date"]
            authz = req.headers["Authorization"]
            seed = authz.split("Signature=")[1]
            scope = authz.split("Credential=")[1].split(",")[0].split("/", 1)[1]
            k = ("AWS4" + SECRET).encode()
            for part in scope.split("/"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            body = body_for(seed, date, scope, k, tamper)
            self.assertEqual(len(body), len(placeholder))
            conn = http.client.HTTPConnection("127.0.0.1", self.servers.port, timeout=30)
            try:
                hdrs = dict(req.headers.items())
                hdrs["Content-Length"] = str(len(body))
                conn.request("PUT", "/chunk-bucket/chunked", body=body, headers=hdrs)
                resp = conn.getresponse()
                text = resp.read()
            finally:
                conn.close()
            if tamper:
                self.assertEqual(resp.status, 403, text)
                self.assertIn(b"SignatureDoesNotMatch", text)
            else:
                self.assertEqual(resp.status, 200, text)
                self.assertEqual(resp.getheader("ETag"),
                                 '"%s"' % hashlib.md5(payload).hexdigest())
        got = self.s3().get_object(Bucket="chunk-bucket", Key="chunked")["Body"].read()
        self.assertEqual(got, payload)

    def test_streaming_unsigned_trailer(self):
        self.s3().create_bucket(Bucket="trailer-bucket")
        payload = b"trailer payload " * 1000
        crc = binascii.b2a_base64(zlib.crc32(payload).to_bytes(4, "big"), newline=False)
        body = (b"%x\r\n" % 8192 + payload[:8192] + b"\r\n" +
                b"%x\r\n" % (len(payload) - 8192) + payload[8192:] + b"\r\n" +
                b"0\r\nx-amz-checksum-crc32:" + crc + b"\r\n\r\n")
        st, hdrs, text, _ = self.raw(
            "PUT", "/trailer-bucket/t", body=body,
            headers={"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
                     "x-amz-decoded-content-length": str(len(payload))},
            payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        self.assertEqual(st, 200, text)
        got = self.s3().get_object(Bucket="trailer-bucket", Key="t")["Body"].read()
        self.assertEqual(got, payload)
        # A body cut short is refused and leaves the old object in place.
        st, _, text, _ = self.raw(
            "PUT", "/trailer-bucket/t", body=body[:5000],
            headers={"x-amz-decoded-content-length": str(len(payload))},
            payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        self.assertEqual(st, 400, text)
        got = self.s3().get_object(Bucket="trailer-bucket", Key="t")["Body"].read()
        self.assertEqual(got, payload)

    def test_unsupported_is_not_implemented(self):
        s3 = self.s3()
        s3.create_bucket(Bucket="ni-bucket")
        with self.assertRaises(ClientError) as cm:
            s3.get_bucket_versioning(Bucket="ni-bucket")
        self.assertEqual(cm.exception.response["Error"]["Code"], "NotImplemented")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 501)

    def test_dynamodb_target(self):
        """X-Amz-Target DynamoDB_* goes to DynamoDB: SigV4 first, DynamoDB's JSON errors."""
        conn = http.client.HTTPConnection("127.0.0.1", self.servers.port, timeout=10)
        try:
            conn.request("POST", "/", body=b"{}", headers={
                "X-Amz-Target": "DynamoDB_20120810.ListTables"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 400)
            self.assertEqual(resp.getheader("Content-Type"), "application/x-amz-json-1.0")
            self.assertEqual(json.loads(resp.read()), {
                "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                "message": "Request is missing Authentication Token"})
        finally:
            conn.close()
        ddb = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id=AKID, aws_secret_access_key=SECRET)
        r = ddb.list_tables()
        self.assertIsInstance(r["TableNames"], list)
        self.assertRegex(r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"],
                         r"^[0-9a-f-]{36}$")

    def test_nothing_outside_data_dir(self):
        s3 = self.s3()
        s3.create_bucket(Bucket="escape-bucket")
        before = set(os.listdir(self.tmp))  # the client side's files live here
        for k in ["../../../outside", "/abs/path", "..", "a/../../b", "x" * 1024]:
            s3.put_object(Bucket="escape-bucket", Key=k, Body=b"contained")
            self.assertEqual(s3.get_object(Bucket="escape-bucket", Key=k)["Body"].read(),
                             b"contained")
        with self.assertRaises(ClientError) as cm:
            s3.put_object(Bucket="escape-bucket", Key="y" * 1025, Body=b"x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "KeyTooLongError")
        self.assertEqual(set(os.listdir(self.tmp)) - before, set())
        self.assertEqual(os.listdir(os.path.join(self.tmp, "server")), ["data"])
        bdir = os.path.join(self.servers.data, "s3", "escape-bucket")
        for name in os.listdir(bdir):
            self.assertRegex(name, r"^(o-[0-9a-f]{64}\.json|o-[0-9a-f]{16}\.data|\.uploads)$")
        for root, _, files in os.walk(os.path.join(self.tmp, "server")):
            for f in files:
                real = os.path.realpath(os.path.join(root, f))
                self.assertTrue(real.startswith(os.path.realpath(self.servers.data)), real)

    def test_restart_keeps_objects(self):
        """A second endpoint on the same data dir lists what the first stored."""
        s3 = self.s3()
        s3.create_bucket(Bucket="persist-bucket")
        for k in ["b", "a", "c/d"]:
            s3.put_object(Bucket="persist-bucket", Key=k, Body=k.encode())
        # Leftovers of a killed write: a temporary file and an orphan data file.
        bdir = os.path.join(self.servers.data, "s3", "persist-bucket")
        for name in (".tmp-abcdef", "o-" + "0" * 64 + "-" + "1" * 16 + ".data"):
            with open(os.path.join(bdir, name), "wb") as f:
                f.write(b"half")
        port = free_port()
        p = subprocess.Popen([BINARY, "--port", str(port), "--data-dir", self.servers.data,
                              "--max-seconds", "60"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        try:
            p.stdout.readline()
            other = client("http://127.0.0.1:%d" % port)
            keys = [o["Key"] for o in other.list_objects_v2(Bucket="persist-bucket")["Contents"]]
            self.assertEqual(keys, ["a", "b", "c/d"])
            self.assertEqual(other.get_object(Bucket="persist-bucket", Key="c/d")["Body"].read(),
                             b"c/d")
        finally:
            p.stdin.close()
            p.wait(timeout=10)
            p.stdout.close()
        self.assertEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(bdir, ".tmp-abcdef")))
        self.assertFalse(os.path.exists(os.path.join(bdir, "o-" + "0" * 64 + "-" + "1" * 16 +
                                                     ".data")))

    def aws(self, *args):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        return subprocess.run(["aws", "--endpoint-url", self.endpoint] + list(args), env=env,
                              capture_output=True, text=True, timeout=300)

    @unittest.skipUnless(shutil.which("aws"), "needs awscli")
    def test_awscli(self):
        self.s3().create_bucket(Bucket="cli-bucket")
        src = os.path.join(self.tmp, "cli-src.bin")
        dst = os.path.join(self.tmp, "cli-dst.bin")
        data = os.urandom(20 * 1000 * 1000)
        with open(src, "wb") as f:
            f.write(data)
        r = self.aws("s3", "cp", src, "s3://cli-bucket/dir/big file.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws("s3", "cp", "s3://cli-bucket/dir/big file.bin", dst)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), data)
        r = self.aws("s3", "ls", "s3://cli-bucket/dir/")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("20000000 big file.bin", r.stdout)
        r = self.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "dir/big file.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"ContentLength": 20000000', r.stdout)
        self.assertRegex(r.stdout, r'"ETag": "\\"[0-9a-f]{32}-3\\""')
        r = self.aws("s3", "rm", "s3://cli-bucket/dir/big file.bin")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.aws("s3", "ls", "s3://cli-bucket/dir/")
        self.assertNotIn("big file.bin", r.stdout)


if __name__ == "__main__":
    unittest.main()
