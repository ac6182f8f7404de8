"""Integrity checks of the local S3 endpoint (src/local/s3/) against hostile and sloppy clients.

S3 verifies every digest a request carries (Content-MD5, x-amz-checksum-*,
a checksum trailer after an aws-chunked body) and refuses a payload that does
not match before it stores anything. Current SDKs send a CRC32 with every
upload, so this is the common path. Each refusal is asserted as S3 words it
(status, Code, Message, from test suites run against AWS: OpenStack Swift's
s3api tests, Ceph's s3-tests, versitygw), and so is what did not change: the
object that was there before, and the files of the store.

The requests are boto3's own where boto3 can send them (its default checksum
behaviour included), otherwise signed by hand with botocore's SigV4 signer:
wrong and garbage values, and aws-chunked bodies with trailers as the SDKs
frame them (STREAMING-UNSIGNED-PAYLOAD-TRAILER with botocore's own
AwsChunkedWrapper, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER with chunk and
trailer signatures).

The last class holds error answers to the XML they claim to be: a key with
a NUL or invalid UTF-8 (S3's own InvalidURI embeds those bytes raw, which no
XML parser reads) and a garbage header that an error echoes.
"""
import base64
import hashlib
import hmac
import http.client
import io
import os
import shutil
import socket
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
import zlib

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.httpchecksum
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

BUILD = os.environ.get("SLUICE_BUILD", "build")
BINARY = os.path.join(BUILD, "tests", "aws_endpoint_main")
AKID, SECRET = "sluice", "sluice-local"
MIB = 1 << 20
CHECK = b"123456789"
OLD = b"the old, verified value"

# The checksums of "123456789", as S3 writes them, and a wrong value of each.
GOOD = {"CRC32": "y/Q5Jg==", "CRC32C": "4waSgw==", "CRC64NVME": "rosUhgp5mIg=",
        "SHA1": "98O8HYCOBHMq32eZZczDTKeuNEE=",
        "SHA256": "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="}
BAD = {"CRC32": "z/Q5Jg==", "CRC32C": "5waSgw==", "CRC64NVME": "sosUhgp5mIg=",
       "SHA1": "+8O8HYCOBHMq32eZZczDTKeuNEE=",
       "SHA256": "GeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="}

MALFORMED_TRAILER = ("The request contained trailing data that was not well-formed or did not "
                     "conform to our published schema.")


def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C, _CRC64NVME = _crc_table(0x82F63B78), _crc_table(0x9A6C9329AC4BC9B5)


def _crc(table, mask, data):
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def checksum(alg, data):
    """The raw checksum S3 computes with `alg` (its big-endian bytes)."""
    if alg == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if alg == "CRC32C":
        return _crc(_CRC32C, 0xFFFFFFFF, data).to_bytes(4, "big")
    if alg == "CRC64NVME":
        return _crc(_CRC64NVME, (1 << 64) - 1, data).to_bytes(8, "big")
    return hashlib.new(alg.lower(), data).digest()


def b64(raw):
    return base64.b64encode(raw).decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def error_of(body):
    """(Code, Message, the element tree) of an S3 error body; it must be XML."""
    root = ET.fromstring(body)
    return root.findtext("Code"), root.findtext("Message"), root


@unittest.skipUnless(os.path.exists(BINARY), "needs " + BINARY)
class HostileS3Base(unittest.TestCase):
    bucket = "hostile"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-hostile-s3-")
        cls.data = os.path.join(cls.tmp, "data")
        cls.port = free_port()
        cls.proc = subprocess.Popen(
            [BINARY, "--port", str(cls.port), "--data-dir", cls.data, "--access-key-id", AKID,
             "--secret-access-key", SECRET, "--max-seconds", "600", "--bucket", cls.bucket],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        cls.proc.stdout.readline()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        # boto3 as it comes: request_checksum_calculation and response_checksum_validation
        # are "when_supported", so every upload carries a CRC32 and GetObject asks for one.
        cls.s3 = boto3.client(
            "s3", endpoint_url=cls.endpoint, aws_access_key_id=AKID,
            aws_secret_access_key=SECRET, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    @classmethod
    def tearDownClass(cls):
        cls.proc.stdin.close()
        try:
            cls.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            cls.proc.wait()
        cls.proc.stdout.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if cls.proc.returncode not in (0, None):
            raise AssertionError("endpoint exited with %d" % cls.proc.returncode)

    # ---- requests ----

    def signed(self, method, path, body=b"", headers=None, payload=None, seal=None,
               unsigned=None):
        """Send a request signed with botocore's SigV4 signer; (status, headers, body).

        `payload` replaces the payload hash (STREAMING-*); `seal(request)` may
        rebuild the body once the headers are signed (signed chunks need the
        seed signature); `unsigned` headers are added after signing, sent as
        latin-1 bytes (botocore would sign them as UTF-8).
        """
        req = botocore.awsrequest.AWSRequest(method=method, url=self.endpoint + path,
                                             data=body, headers=dict(headers or {}))

        class Auth(botocore.auth.S3SigV4Auth):
            def payload(self, request):
                return payload or super().payload(request)

        Auth(botocore.credentials.Credentials(AKID, SECRET), "s3", "us-east-1").add_auth(req)
        hdrs = dict(req.headers.items())
        hdrs.update(unsigned or {})
        if seal:
            body = seal(req)
            hdrs["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    # ---- what must not change ----

    def store_files(self):
        """Every file of the bucket's directory, uploads included, relative."""
        root = os.path.join(self.data, "s3", self.bucket)
        out = set()
        for d, _, files in os.walk(root):
            out.update(os.path.relpath(os.path.join(d, f), root) for f in files)
        return out

    def assert_store_sane(self):
        """No temporaries, and every data file named by one sidecar (no orphan bytes)."""
        files = self.store_files()
        self.assertEqual([f for f in files if ".tmp" in f], [])
        top = [f for f in files if "/" not in f]
        self.assertEqual(len([f for f in top if f.endswith(".data")]),
                         len([f for f in top if f.endswith(".json")]), top)

    def put_old(self, key):
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=OLD)

    def assert_error(self, got, status, code, message):
        st, _, body = got
        self.assertEqual(st, status, body)
        c, m, _ = error_of(body)
        self.assertEqual((c, m), (code, message))

    def assert_client_error(self, fn, status, code, message):
        with self.assertRaises(ClientError) as cm:
            fn()
        r = cm.exception.response
        self.assertEqual((r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"],
                          r["Error"]["Message"]), (status, code, message))
        return r

    def refused(self, key, send, status, code, message):
        """`send()` overwrites `key` and is refused as S3 refuses it; nothing changes."""
        self.put_old(key)
        before = self.store_files()
        got = send()
        if isinstance(got, tuple):
            self.assert_error(got, status, code, message)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read(), OLD)
        self.assertEqual(self.store_files(), before)
        self.assert_store_sane()

    def refused_boto3(self, key, call, status, code, message):
        def send():
            self.assert_client_error(call, status, code, message)
        self.refused(key, send, status, code, message)

    def checksum_headers(self, key, extra=None):
        st, h, _ = self.signed("HEAD", "/%s/%s" % (self.bucket, key), headers=extra)
        self.assertEqual(st, 200)
        return {k: v for k, v in h.items() if k.startswith("x-amz-checksum")}


class HostileS3ChecksumsTest(HostileS3Base):
    """PutObject with Content-MD5 and x-amz-checksum-* headers."""

    def test_sdk_default_crc32_is_verified_stored_and_returned(self):
        body = os.urandom(70000)
        crc = b64(checksum("CRC32", body))
        r = self.s3.put_object(Bucket=self.bucket, Key="default", Body=body)
        self.assertEqual((r.get("ChecksumCRC32"), r.get("ChecksumType")), (crc, "FULL_OBJECT"))
        # boto3 asks for the checksum on GET (x-amz-checksum-mode: ENABLED) and checks the body.
        g = self.s3.get_object(Bucket=self.bucket, Key="default")
        self.assertEqual(g["Body"].read(), body)
        self.assertEqual((g["ChecksumCRC32"], g["ChecksumType"]), (crc, "FULL_OBJECT"))
        h = self.s3.head_object(Bucket=self.bucket, Key="default", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumCRC32"], h["ChecksumType"]), (crc, "FULL_OBJECT"))
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="default")["Contents"][0]
        self.assertEqual((listed["ChecksumAlgorithm"], listed["ChecksumType"]),
                         (["CRC32"], "FULL_OBJECT"))
        # Only when asked, and only for the whole object (a range that is all of it counts).
        self.assertEqual(self.checksum_headers("default"), {})
        on = {"x-amz-checksum-mode": "ENABLED"}
        self.assertEqual(self.checksum_headers("default", on),
                         {"x-amz-checksum-crc32": crc, "x-amz-checksum-type": "FULL_OBJECT"})
        part = self.signed("GET", "/hostile/default", headers=dict(on, Range="bytes=0-9"))
        self.assertEqual(part[0], 206)
        self.assertNotIn("x-amz-checksum-crc32", part[1])
        whole = self.signed("GET", "/hostile/default",
                            headers=dict(on, Range="bytes=0-%d" % (len(body) - 1)))
        self.assertEqual((whole[0], whole[1].get("x-amz-checksum-crc32")), (206, crc))
        self.assert_error(self.signed("GET", "/hostile/default",
                                      headers={"x-amz-checksum-mode": "enabled!"}),
                          400, "InvalidRequest", "Value for x-amz-checksum-mode header is invalid.")

    def test_sdk_computed_sha1_and_sha256(self):
        for alg in ("SHA1", "SHA256"):
            r = self.s3.put_object(Bucket=self.bucket, Key="sdk-" + alg, Body=CHECK,
                                   ChecksumAlgorithm=alg)
            self.assertEqual(r["Checksum" + alg], GOOD[alg])
            h = self.s3.head_object(Bucket=self.bucket, Key="sdk-" + alg, ChecksumMode="ENABLED")
            self.assertEqual(h["Checksum" + alg], GOOD[alg])

    def test_an_object_without_a_checksum_gets_crc64nvme(self):
        """S3 gives every object uploaded without a checksum a CRC64NVME one."""
        st, _, body = self.signed("PUT", "/hostile/plain", body=CHECK)
        self.assertEqual(st, 200, body)
        self.assertEqual(self.checksum_headers("plain", {"x-amz-checksum-mode": "ENABLED"}),
                         {"x-amz-checksum-crc64nvme": GOOD["CRC64NVME"],
                          "x-amz-checksum-type": "FULL_OBJECT"})

    def test_content_md5(self):
        put = lambda md5: lambda: self.s3.put_object(  # noqa: E731
            Bucket=self.bucket, Key="md5", Body=CHECK, ContentMD5=md5)
        self.refused_boto3("md5", put("garbage"), 400, "InvalidDigest",
                           "The Content-MD5 you specified was invalid.")
        self.refused_boto3("md5", put(b64(b"short")), 400, "InvalidDigest",
                           "The Content-MD5 you specified was invalid.")
        wrong = hashlib.md5(b"not the body").digest()
        r = None

        def send():
            nonlocal r
            r = self.assert_client_error(
                put(b64(wrong)), 400, "BadDigest",
                "The Content-MD5 you specified did not match what we received.")
        self.refused("md5", send, 400, "BadDigest", "")
        # AWS reflects the expected digest in hex (Swift s3api's tests).
        self.assertEqual(r["Error"]["ExpectedDigest"], wrong.hex())
        self.assertEqual(r["Error"]["CalculatedDigest"], b64(hashlib.md5(CHECK).digest()))
        put(b64(hashlib.md5(CHECK).digest()))()
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="md5")["Body"].read(), CHECK)

    def test_wrong_checksum_of_each_algorithm(self):
        for alg in GOOD:
            key = "wrong-" + alg
            call = lambda a=alg, k=key, v=BAD[alg]: self.s3.put_object(  # noqa: E731
                Bucket=self.bucket, Key=k, Body=CHECK, **{"Checksum" + a: v})
            self.refused_boto3(key, call, 400, "BadDigest",
                               "The %s you specified did not match the calculated checksum."
                               % alg)
            r = self.s3.put_object(Bucket=self.bucket, Key=key, Body=CHECK,
                                   **{"Checksum" + alg: GOOD[alg]})
            self.assertEqual(r["Checksum" + alg], GOOD[alg])
            self.assertEqual(self.checksum_headers(key, {"x-amz-checksum-mode": "ENABLED"}),
                             {"x-amz-checksum-" + alg.lower(): GOOD[alg],
                              "x-amz-checksum-type": "FULL_OBJECT"})

    def test_malformed_values(self):
        # Ceph's s3-tests against AWS: bad base64, wrong lengths, padding bits that are not zero.
        for value in ["y/Q5Jh==", "shrt", "toolong=", "^^^^^^==", "y^/^Q5^J^g==", ""]:
            call = lambda v=value: self.s3.put_object(  # noqa: E731
                Bucket=self.bucket, Key="malformed", Body=CHECK, ChecksumCRC32=v)
            self.refused_boto3("malformed", call, 400, "InvalidRequest",
                               "Value for x-amz-checksum-crc32 header is invalid.")
        call = lambda: self.s3.put_object(  # noqa: E731
            Bucket=self.bucket, Key="malformed", Body=CHECK, ChecksumSHA1=GOOD["CRC32"])
        self.refused_boto3("malformed", call, 400, "InvalidRequest",
                           "Value for x-amz-checksum-sha1 header is invalid.")

    def test_conflicting_and_unknown_declarations(self):
        key, path = "conflict", "/hostile/conflict"
        send = lambda h: lambda: self.signed("PUT", path, body=CHECK, headers=h)  # noqa: E731
        cases = [
            ({"x-amz-checksum-crc32": GOOD["CRC32"], "x-amz-checksum-sha1": GOOD["SHA1"]},
             "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
             "allowed."),
            ({"x-amz-sdk-checksum-algorithm": "SHA1", "x-amz-checksum-crc32": GOOD["CRC32"]},
             "Value for x-amz-sdk-checksum-algorithm header is invalid."),
            ({"x-amz-sdk-checksum-algorithm": "MD4", "x-amz-checksum-crc32": GOOD["CRC32"]},
             "Value for x-amz-sdk-checksum-algorithm header is invalid."),
            ({"x-amz-sdk-checksum-algorithm": "CRC32"},
             "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
             "or x-amz-trailer headers were found."),
            ({"x-amz-checksum-crc33": GOOD["CRC32"]},
             "The algorithm type you specified in x-amz-checksum- header is invalid."),
            ({"x-amz-checksum-crc32": GOOD["CRC32"], "x-amz-trailer": "x-amz-checksum-crc32"},
             "Expecting a single x-amz-checksum- header"),
        ]
        for headers, message in cases:
            self.refused(key, send(headers), 400, "InvalidRequest", message)
        # The SDK's name may be in any case when it agrees.
        st, _, body = send({"x-amz-sdk-checksum-algorithm": "crc32",
                            "x-amz-checksum-crc32": GOOD["CRC32"]})()
        self.assertEqual(st, 200, body)
        # A trailer on a body that cannot carry one.
        self.refused(key, send({"x-amz-trailer": "x-amz-checksum-crc32"}), 400,
                     "MalformedTrailerError", MALFORMED_TRAILER)
        # An algorithm S3 has and this endpoint does not compute is not passed off as valid.
        got = send({"x-amz-checksum-sha512": b64(hashlib.sha512(CHECK).digest())})()
        self.assertEqual((got[0], error_of(got[2])[0]), (501, "NotImplemented"))

    def test_delete_objects_with_a_wrong_digest_deletes_nothing(self):
        self.put_old("keep")
        doc = b"<Delete><Object><Key>keep</Key></Object></Delete>"
        for headers, code, message in [
                ({"Content-MD5": b64(hashlib.md5(b"other").digest())}, "BadDigest",
                 "The Content-MD5 you specified did not match what we received."),
                ({"x-amz-checksum-crc32": b64(checksum("CRC32", b"other"))}, "BadDigest",
                 "The CRC32 you specified did not match the calculated checksum.")]:
            self.assert_error(self.signed("POST", "/hostile?delete", body=doc, headers=headers),
                              400, code, message)
            self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="keep")["Body"].read(),
                             OLD)
        # boto3's own DeleteObjects (with its CRC32) still works.
        d = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "keep"}]})
        self.assertEqual([x["Key"] for x in d["Deleted"]], ["keep"])


class HostileS3TrailersTest(HostileS3Base):
    """aws-chunked bodies with checksum trailers, framed as the SDKs frame them."""

    def sdk_chunked(self, data, alg="CRC32", chunk=65536):
        """The body botocore sends with a trailer (its AwsChunkedWrapper)."""
        cls = {"CRC32": botocore.httpchecksum.Crc32Checksum,
               "SHA1": botocore.httpchecksum.Sha1Checksum,
               "SHA256": botocore.httpchecksum.Sha256Checksum}[alg]
        wrapper = botocore.httpchecksum.AwsChunkedWrapper(
            io.BytesIO(data), checksum_cls=cls, checksum_name="x-amz-checksum-" + alg.lower(),
            chunk_size=chunk)
        return wrapper.read()

    @staticmethod
    def chunked(data, trailer_lines, chunk=65536):
        """An unsigned aws-chunked body with the trailer lines given (bytes each)."""
        out = b""
        for i in range(0, len(data), chunk):
            piece = data[i:i + chunk]
            out += b"%x\r\n" % len(piece) + piece + b"\r\n"
        return out + b"0\r\n" + b"".join(line + b"\r\n" for line in trailer_lines) + b"\r\n"

    def unsigned(self, key, body, size, trailer="x-amz-checksum-crc32", extra=None):
        headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(size)}
        if trailer is not None:
            headers["x-amz-trailer"] = trailer
        headers.update(extra or {})
        return self.signed("PUT", "/hostile/" + key, body=body, headers=headers,
                           payload="STREAMING-UNSIGNED-PAYLOAD-TRAILER")

    def test_unsigned_trailer_as_botocore_sends_it(self):
        data = os.urandom(150000)
        for alg in ("CRC32", "SHA1", "SHA256"):
            key = "sdk-trailer-" + alg
            st, h, body = self.unsigned(key, self.sdk_chunked(data, alg), len(data),
                                        "x-amz-checksum-" + alg.lower())
            self.assertEqual(st, 200, body)
            want = b64(checksum(alg, data))
            self.assertEqual(h.get("x-amz-checksum-" + alg.lower()), want)
            g = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(g["Body"].read(), data)
            self.assertEqual(g["Checksum" + alg], want)

    def test_crc32c_and_crc64nvme_trailers(self):
        data = os.urandom(5000)
        for alg in ("CRC32C", "CRC64NVME"):
            name = "x-amz-checksum-" + alg.lower()
            body = self.chunked(data, [b"%s:%s" % (name.encode(), b64(checksum(alg, data))
                                                   .encode())])
            st, _, text = self.unsigned("t-" + alg, body, len(data), name)
            self.assertEqual(st, 200, text)
            self.assertEqual(self.checksum_headers("t-" + alg, {"x-amz-checksum-mode": "ENABLED"})
                             [name], b64(checksum(alg, data)))

    def test_refused_trailers(self):
        data = os.urandom(70000)
        crc = b64(checksum("CRC32", data)).encode()
        wrong = b64(checksum("CRC32", data[:-1])).encode()
        cases = [
            # Swift s3api's input-error tests, run against AWS, for each.
            ([b"x-amz-checksum-crc32:" + wrong], "x-amz-checksum-crc32", None, 400, "BadDigest",
             "The CRC32 you specified did not match the calculated checksum."),
            ([], "x-amz-checksum-crc32", None, 400, "MalformedTrailerError", MALFORMED_TRAILER),
            ([b"x-amz-checksum-crc32c:" + crc], "x-amz-checksum-crc32", None, 400,
             "MalformedTrailerError", MALFORMED_TRAILER),
            ([b"x-amz-checksum-crc32:" + crc, b"bonus:trailer"], "x-amz-checksum-crc32", None,
             400, "MalformedTrailerError", MALFORMED_TRAILER),
            ([b"x-amz-checksum-crc32:" + crc], None, None, 400, "MalformedTrailerError",
             MALFORMED_TRAILER),
            ([b"x-amz-checksum-crc32:" + crc, b"x-amz-trailer-signature:" + b"0" * 64],
             "x-amz-checksum-crc32", None, 400, "MalformedTrailerError", MALFORMED_TRAILER),
            ([b"x-amz-checksum-crc32:not=base-64"], "x-amz-checksum-crc32", None, 400,
             "InvalidRequest", "Value for x-amz-checksum-crc32 trailing header is invalid."),
            ([b"x-amz-checksum-crc32:" + crc], "x-amz-checksum-crc32, x-amz-checksum-sha256",
             None, 400, "InvalidRequest",
             "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
             "allowed."),
            ([b"x-amz-foo:bar"], "x-amz-foo", None, 400, "InvalidRequest",
             "The value specified in the x-amz-trailer header is not supported"),
            ([b"x-amz-checksum-crc32:" + crc], "x-amz-checksum-crc32",
             {"x-amz-sdk-checksum-algorithm": "SHA256"}, 400, "InvalidRequest",
             "Value for x-amz-sdk-checksum-algorithm header is invalid."),
        ]
        for lines, trailer, extra, status, code, message in cases:
            with self.subTest(lines=lines, trailer=trailer):
                body = self.chunked(data, lines)
                self.refused("refused-trailer",
                             lambda b=body, t=trailer, e=extra: self.unsigned(
                                 "refused-trailer", b, len(data), t, e),
                             status, code, message)

    def test_trailer_leniency_of_s3(self):
        """What AWS accepts: spaces around the value, the last of a repeated trailer, no final
        empty line."""
        data = os.urandom(1000)
        crc = b64(checksum("CRC32", data)).encode()
        bad = b64(checksum("CRC32", b"x")).encode()
        for body in (self.chunked(data, [b"x-amz-checksum-crc32: " + crc + b" "]),
                     self.chunked(data, [b"x-amz-checksum-crc32:" + bad,
                                         b"x-amz-checksum-crc32:" + crc]),
                     self.chunked(data, [b"x-amz-checksum-crc32:" + crc])[:-2]):
            st, _, text = self.unsigned("lenient", body, len(data), "x-amz-checksum-crc32,")
            self.assertEqual(st, 200, text)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="lenient")["Body"].read(),
                         data)

    def signed_trailer_put(self, key, data, checksum_value, tamper=None):
        """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER upload: chunk signatures chained from
        the seed, then the trailer and its signature (S3 API, "Signature calculations for
        trailing headers"). `tamper` is "signature" or "no-signature"."""
        headers = {"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
                   "x-amz-decoded-content-length": str(len(data))}

        def seal(req):
            date = req.headers["X-Amz-Date"]
            authz = req.headers["Authorization"]
            prev = authz.split("Signature=")[1]
            scope = authz.split("Credential=")[1].split(",")[0].split("/", 1)[1]
            k = ("AWS4" + SECRET).encode()
            for part in scope.split("/"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            sign = lambda sts: hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()  # noqa
            out = b""
            for piece in [data[:65536], data[65536:], b""]:
                prev = sign("\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, prev,
                                       hashlib.sha256(b"").hexdigest(),
                                       hashlib.sha256(piece).hexdigest()]))
                out += b"%x;chunk-signature=%s\r\n" % (len(piece), prev.encode()) + piece
                out += b"\r\n" if piece else b""
            canonical = "x-amz-checksum-crc32:%s\n" % checksum_value
            tsig = sign("\n".join(["AWS4-HMAC-SHA256-TRAILER", date, scope, prev,
                                   hashlib.sha256(canonical.encode()).hexdigest()]))
            if tamper == "signature":
                tsig = "0" * 64
            out += canonical.replace("\n", "\r\n").encode()
            if tamper != "no-signature":
                out += b"x-amz-trailer-signature:%s\r\n" % tsig.encode()
            return out + b"\r\n"

        return self.signed("PUT", "/hostile/" + key, body=b"P", headers=headers,
                           payload="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", seal=seal)

    def test_signed_trailer(self):
        data = os.urandom(100000)
        crc = b64(checksum("CRC32", data))
        st, h, body = self.signed_trailer_put("signed-trailer", data, crc)
        self.assertEqual((st, h.get("x-amz-checksum-crc32")), (200, crc), body)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="signed-trailer")["Body"]
                         .read(), data)
        wrong = b64(checksum("CRC32", b"x"))
        self.refused("signed-trailer-2",
                     lambda: self.signed_trailer_put("signed-trailer-2", data, wrong),
                     400, "BadDigest",
                     "The CRC32 you specified did not match the calculated checksum.")
        mismatch = ("The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method.")
        for tamper in ("signature", "no-signature"):
            self.refused("signed-trailer-3",
                         lambda t=tamper: self.signed_trailer_put("signed-trailer-3", data, crc,
                                                                  t),
                         403, "SignatureDoesNotMatch", mismatch)


class HostileS3MultipartTest(HostileS3Base):
    """Part checksums and the object checksums S3 gives a completed upload."""

    def create(self, key, **kw):
        return self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, **kw)["UploadId"]

    def part(self, key, up, n, data, **kw):
        return self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=up, PartNumber=n,
                                   Body=data, **kw)

    def test_upload_file_gets_a_composite_crc32(self):
        """boto3's transfer manager, as it comes: CRC32 on create, on each part, on complete."""
        data = os.urandom(11 * MIB + 7)
        path = os.path.join(self.tmp, "upload.bin")
        with open(path, "wb") as f:
            f.write(data)
        self.s3.upload_file(path, self.bucket, "transfer",
                            Config=TransferConfig(multipart_threshold=5 * MIB,
                                                  multipart_chunksize=5 * MIB))
        parts = [data[i:i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
        want = "%s-%d" % (b64(checksum("CRC32", b"".join(checksum("CRC32", p) for p in parts))),
                          len(parts))
        h = self.s3.head_object(Bucket=self.bucket, Key="transfer", ChecksumMode="ENABLED")
        self.assertEqual((h["ChecksumCRC32"], h["ChecksumType"]), (want, "COMPOSITE"))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="transfer")["Body"].read(),
                         data)

    def test_composite_upload_refusals(self):
        key = "composite"
        up = self.create(key, ChecksumAlgorithm="CRC32")
        big, tail = os.urandom(5 * MIB), b"tail of it"
        # A part with a wrong checksum is not kept, nor is one of another algorithm.
        before = self.store_files()
        self.assert_client_error(lambda: self.part(key, up, 1, big, ChecksumCRC32=BAD["CRC32"]),
                                 400, "BadDigest",
                                 "The CRC32 you specified did not match the calculated checksum.")
        self.assert_client_error(
            lambda: self.part(key, up, 1, big, ChecksumSHA256=b64(checksum("SHA256", big))),
            400, "InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: "
            "crc32, actual checksum Type: sha256")
        self.assertEqual(self.store_files(), before)
        self.assertNotIn("Parts", self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=up))
        p1 = self.part(key, up, 1, big)
        p2 = self.part(key, up, 2, tail)
        self.assertEqual(p1["ChecksumCRC32"], b64(checksum("CRC32", big)))
        lp = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=up)
        self.assertEqual((lp["ChecksumAlgorithm"], lp["ChecksumType"]), ("CRC32", "COMPOSITE"))
        self.assertEqual([p["ChecksumCRC32"] for p in lp["Parts"]],
                         [p1["ChecksumCRC32"], p2["ChecksumCRC32"]])
        good = [{"PartNumber": 1, "ETag": p1["ETag"], "ChecksumCRC32": p1["ChecksumCRC32"]},
                {"PartNumber": 2, "ETag": p2["ETag"], "ChecksumCRC32": p2["ChecksumCRC32"]}]
        complete = lambda parts, **kw: lambda: self.s3.complete_multipart_upload(  # noqa
            Bucket=self.bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts}, **kw)
        before = self.store_files()
        self.assert_client_error(
            complete([{k: v for k, v in p.items() if k != "ChecksumCRC32"} for p in good]),
            400, "InvalidRequest", "The upload was created using a crc32 checksum. The complete "
            "request must include the checksum for each part. It was missing for part 1 in the "
            "request.")
        r = self.assert_client_error(
            complete([good[0], dict(good[1], ChecksumCRC32=p1["ChecksumCRC32"])]), 400,
            "InvalidPart", "One or more of the specified parts could not be found.  The part may "
            "not have been uploaded, or the specified entity tag may not match the part's "
            "entity tag.")
        self.assertEqual(r["Error"]["PartNumber"], "2")
        r = self.assert_client_error(
            complete([good[0], dict(good[1], ChecksumCRC32="y/Q5Jh==")]), 400,
            "InvalidArgument", "Invalid Base64 or multiple checksums present in request")
        self.assertEqual(r["Error"]["ArgumentValue"], "CRC32:y/Q5Jh==;")
        self.assert_client_error(
            complete([good[0], dict(good[1], ChecksumSHA1=GOOD["SHA1"])]), 400,
            "InvalidArgument", "Invalid Base64 or multiple checksums present in request")
        composite = b64(checksum("CRC32", checksum("CRC32", big) + checksum("CRC32", tail)))
        self.assert_client_error(complete(good, ChecksumCRC32=BAD["CRC32"]), 400, "BadDigest",
                                 "The crc32 you specified did not match the calculated "
                                 "checksum.")
        self.assert_client_error(complete(good, ChecksumCRC32=composite + "-3"), 400, "BadDigest",
                                 "The crc32 you specified did not match the calculated "
                                 "checksum.")
        self.assert_client_error(complete(good, ChecksumCRC32=composite + "-a"), 400,
                                 "InvalidRequest",
                                 "Value for x-amz-checksum-crc32 header is invalid.")
        # Nothing was committed by the refusals: no object, and the upload is still there.
        self.assertEqual(self.store_files(), before)
        self.assert_client_error(lambda: self.s3.head_object(Bucket=self.bucket, Key=key), 404,
                                 "404", "Not Found")
        done = complete(good, ChecksumCRC32=composite)()
        self.assertEqual((done["ChecksumCRC32"], done["ChecksumType"]),
                         (composite + "-2", "COMPOSITE"))
        h = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumCRC32"], composite + "-2")
        self.assert_store_sane()

    def test_full_object_upload(self):
        key, data = "full", os.urandom(5 * MIB + 100)
        up = self.create(key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
        a = self.part(key, up, 1, data[:5 * MIB])
        b = self.part(key, up, 2, data[5 * MIB:])
        crc = b64(checksum("CRC32", data))
        parts = [{"PartNumber": 1, "ETag": a["ETag"]}, {"PartNumber": 2, "ETag": b["ETag"]}]
        self.assert_client_error(
            lambda: self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts},
                ChecksumCRC32=b64(checksum("CRC32", data[:-1]))),
            400, "BadDigest", "The crc32 you specified did not match the calculated checksum.")
        done = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts},
            ChecksumCRC32=crc)
        self.assertEqual((done["ChecksumCRC32"], done["ChecksumType"]), (crc, "FULL_OBJECT"))
        g = self.s3.get_object(Bucket=self.bucket, Key=key)  # boto3 verifies the CRC32 itself
        self.assertEqual(g["Body"].read(), data)
        self.assertEqual(g["ChecksumCRC32"], crc)

    def test_upload_without_an_algorithm(self):
        """Parts may carry any checksum; the object gets CRC64NVME, full-object, as on S3."""
        key = "no-algorithm"
        up = self.create(key)
        p = self.part(key, up, 1, CHECK, ChecksumCRC32C=GOOD["CRC32C"])
        self.assertEqual(p["ChecksumCRC32C"], GOOD["CRC32C"])
        self.assert_client_error(
            lambda: self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=up, MultipartUpload={"Parts": [
                    {"PartNumber": 1, "ETag": p["ETag"], "ChecksumCRC32C": GOOD["CRC32C"]}]}),
            400, "InvalidPart", "One or more of the specified parts could not be found.  The "
            "part may not have been uploaded, or the specified entity tag may not match the "
            "part's entity tag.")
        done = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]})
        self.assertEqual((done["ChecksumCRC64NVME"], done["ChecksumType"]),
                         (GOOD["CRC64NVME"], "FULL_OBJECT"))

    def test_create_refusals(self):
        cases = [
            ({"ChecksumAlgorithm": "nope"}, "Checksum algorithm provided is unsupported. Please "
             "try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"),
            ({"ChecksumAlgorithm": "CRC32,CRC32C"},
             "Invalid types are specified in x-amz-checksum-algorithm header."),
            ({"ChecksumType": "COMPOSITE"}, "The x-amz-checksum-type header can only be used "
             "with the x-amz-checksum-algorithm header."),
            ({"ChecksumAlgorithm": "CRC32", "ChecksumType": "TEST"},
             "Value for x-amz-checksum-type header is invalid."),
            ({"ChecksumAlgorithm": "SHA1", "ChecksumType": "FULL_OBJECT"},
             "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."),
            ({"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"},
             "The COMPOSITE checksum type cannot be used with the crc64nvme checksum "
             "algorithm."),
        ]
        for kw, message in cases:
            self.assert_client_error(lambda k=kw: self.create("refused-create", **k), 400,
                                     "InvalidRequest", message)
        r = self.s3.create_multipart_upload(Bucket=self.bucket, Key="created",
                                            ChecksumAlgorithm="CRC64NVME")
        self.assertEqual((r["ChecksumAlgorithm"], r["ChecksumType"]), ("CRC64NVME", "FULL_OBJECT"))


class HostileS3ErrorXmlTest(HostileS3Base):
    """Error answers are XML a client can parse, whatever bytes the request held."""

    def test_keys_that_are_not_utf8_or_hold_nul(self):
        for path in ["/hostile/a%00b", "/hostile/a%FFb", "/hostile/%C3%28", "/hostile/x%ED%A0%80"]:
            for method in ["GET", "PUT", "DELETE", "POST"]:
                st, _, body = self.signed(method, path + ("?uploads" if method == "POST" else ""),
                                          body=b"x" if method == "PUT" else b"")
                self.assertEqual(st, 400, (method, path, body))
                code, message, root = error_of(body)  # it parses
                self.assertEqual((code, message), ("InvalidURI",
                                                   "Couldn't parse the specified URI."))
                self.assertIn("\ufffd", root.findtext("Resource"))
            st, _, body = self.signed("HEAD", path)
            self.assertEqual((st, body), (400, b""))
        r = self.assert_client_error(
            lambda: self.s3.get_object(Bucket=self.bucket, Key="a\x00b"), 400, "InvalidURI",
            "Couldn't parse the specified URI.")
        self.assertEqual(r["Error"]["Resource"], "/hostile/a\ufffdb")
        self.assert_store_sane()

    def test_an_echoed_header_of_raw_bytes(self):
        """InvalidDigest echoes the Content-MD5 as sent; bytes that are not UTF-8 become
        U+FFFD, never raw in the document. A field value with control bytes is not
        HTTP (RFC 9110 5.5): the framing guard refuses it before S3 reads it, still
        as XML a client can parse."""
        st, _, body = self.signed("PUT", "/hostile/echo", body=CHECK,
                                  unsigned={"Content-MD5": "\xff\xfegarbage"})
        self.assertEqual(st, 400, body)
        code, _, root = error_of(body)
        self.assertEqual(code, "InvalidDigest")
        self.assertEqual(root.findtext("Content-MD5"), "\ufffd\ufffdgarbage")
        st, _, body = self.signed("PUT", "/hostile/echo", body=CHECK,
                                  unsigned={"Content-MD5": "\x01\xffgarbage\x7f"})
        self.assertEqual(st, 400, body)
        code, message, _ = error_of(body)
        self.assertEqual(code, "InvalidRequest", message)
        self.assert_store_sane()


if __name__ == "__main__":
    unittest.main()
