"""The S3 client (src/aws/s3.c) against moto's S3 server, checked with boto3.

A small C driver (tests/protocol/s3_client_driver.c) runs the real client:
it reads the standard AWS_* variables and prints one JSON object per command.
boto3 is the reference: what the driver stores must be found under the exact
same key, byte for byte, and what boto3 stores must read back the same.

The driver comes from $SLUICE_BUILD/tests/s3_client_driver when the build made
it, otherwise it is compiled here against $SLUICE_BUILD/libsluice.a.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("SLUICE_BUILD", "build"))
DRIVER_SRC = os.path.join(ROOT, "tests", "protocol", "s3_client_driver.c")
PKGS = ["jansson", "libcurl", "expat", "libcrypto"]
BUCKET = "sluice-s3-client"
REGION = "us-east-1"

# Keys that an encoder gets wrong if it can: spaces, '+' (a space in forms),
# '%' (an escape), '~' (unreserved, must stay), unicode, '/' runs and dot segments.
ODD_KEYS = [
    "with space.txt",
    "plus+sign.txt",
    "100%.txt",
    "%41%2F-not-decoded",
    "tilde~name",
    "dir/sub dir/ünïcödé-日本語.txt",
    "emoji-😀.bin",
    "mixed /+%~ü=&;,:@!$'()*.bin",
    "double//slash",
    "a/./b/../c",
]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("moto.server exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto.server did not listen on port %d" % port)


def pkg_config(flag):
    out = subprocess.run(["pkg-config", flag] + PKGS, check=True, capture_output=True, text=True)
    return out.stdout.split()


def build_driver(tmpdir):
    """The driver binary: the build's own, or compiled here like the library."""
    prebuilt = os.path.join(BUILD, "tests", "s3_client_driver")
    if os.access(prebuilt, os.X_OK):
        return prebuilt
    lib = os.path.join(BUILD, "libsluice.a")
    if not os.path.exists(lib):
        raise unittest.SkipTest("no %s: build the library first (make)" % lib)
    out = os.path.join(tmpdir, "s3_client_driver")
    base = [os.environ.get("CC", "gcc"), "-std=c11", "-D_GNU_SOURCE", "-I" + os.path.join(ROOT, "src"),
            "-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wformat=2", "-Wno-unused-parameter",
            "-O1", "-g"] + pkg_config("--cflags")
    tail = [DRIVER_SRC, lib, "-o", out] + pkg_config("--libs") + ["-lm", "-lpthread"]
    # A sanitized library needs the sanitizer runtime at link time.
    errors = []
    for extra in ([], ["-fsanitize=address,undefined"]):
        res = subprocess.run(base + extra + tail, capture_output=True, text=True)
        if res.returncode == 0:
            return out
        errors.append(res.stderr[-2000:])
    raise RuntimeError("cannot build the driver:\n" + "\n".join(errors))


class S3ClientAgainstMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-s3-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.driver = build_driver(cls.tmp)
        cls.port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % cls.port
        cls.moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cls.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.addClassCleanup(cls.stop_moto)
        wait_listening(cls.port, cls.moto)
        cls.env = dict(os.environ)
        for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            cls.env.pop(name, None)
        cls.env.update({
            "AWS_ACCESS_KEY_ID": "AKIDSLUICETEST",
            "AWS_SECRET_ACCESS_KEY": "sluice/secret+key",
            "AWS_SESSION_TOKEN": "sluice-session-token",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": cls.endpoint,
        })
        cls.s3 = boto3.client(
            "s3", endpoint_url=cls.endpoint, region_name=REGION,
            aws_access_key_id="AKIDSLUICETEST", aws_secret_access_key="sluice/secret+key",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        cls.s3.create_bucket(Bucket=BUCKET)

    @classmethod
    def stop_moto(cls):
        cls.moto.terminate()
        try:
            cls.moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.moto.kill()
            cls.moto.wait()

    def run_driver(self, *args, env=None):
        res = subprocess.run([self.driver] + list(args), capture_output=True,
                             env=env or self.env, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        return json.loads(res.stdout)

    def put_file(self, key, data, *flags):
        path = os.path.join(self.tmp, "body")
        with open(path, "wb") as f:
            f.write(data)
        return self.run_driver("put", BUCKET, key, path, *flags)

    def test_odd_keys_land_under_their_exact_names(self):
        for i, key in enumerate(ODD_KEYS):
            body = ("body %d of %s" % (i, key)).encode()
            with self.subTest(key=key):
                out = self.put_file("odd/" + key, body, "--content-type", "text/plain")
                self.assertEqual(out["rc"], "OK", out)
                got = self.s3.get_object(Bucket=BUCKET, Key="odd/" + key)
                self.assertEqual(got["Body"].read(), body)
                self.assertEqual(got["ContentType"], "text/plain")
                self.assertEqual(got["ETag"], out["etag"])
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/")
        self.assertEqual(sorted(o["Key"] for o in listed["Contents"]),
                         sorted("odd/" + k for k in ODD_KEYS))
        # And the driver's own list decodes them to the same names.
        mine = self.run_driver("list", BUCKET, "--prefix", "odd/")
        self.assertEqual(mine["rc"], "OK", mine)
        self.assertEqual([o["key"] for o in mine["items"]],
                         [o["Key"] for o in listed["Contents"]])

    def test_reads_what_boto3_wrote(self):
        key = "from-boto3/ü b+c%.json"
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"a":1}',
                           ContentType="application/json")
        out_path = os.path.join(self.tmp, "boto3-out")
        got = self.run_driver("get", BUCKET, key, "--out", out_path)
        self.assertEqual(got["rc"], "OK", got)
        with open(out_path, "rb") as f:
            self.assertEqual(f.read(), b'{"a":1}')
        self.assertEqual(got["content_type"], "application/json")
        self.assertEqual(got["size"], 7)
        self.assertEqual(got["length"], 7)
        head = self.s3.head_object(Bucket=BUCKET, Key=key)
        self.assertEqual(got["etag"], head["ETag"])
        self.assertEqual(got["last_modified_ms"] // 1000,
                         int(head["LastModified"].timestamp()))
        mine = self.run_driver("head", BUCKET, key)
        self.assertEqual(mine["rc"], "OK", mine)
        self.assertEqual(mine["size"], 7)
        self.assertEqual(mine["etag"], head["ETag"])
        self.assertEqual(mine["content_type"], "application/json")

    def test_five_mib_object_round_trip(self):
        data = os.urandom(5 * 1024 * 1024)
        out = self.put_file("big/five-mib.bin", data)
        self.assertEqual(out["rc"], "OK", out)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="big/five-mib.bin")["Body"].read(),
                         data)
        out_path = os.path.join(self.tmp, "big-out")
        got = self.run_driver("get", BUCKET, "big/five-mib.bin", "--out", out_path)
        self.assertEqual(got["rc"], "OK", got)
        self.assertEqual(got["length"], len(data))
        with open(out_path, "rb") as f:
            self.assertEqual(f.read(), data)
        # One byte short of the object: refused, not truncated.
        small = self.run_driver("get", BUCKET, "big/five-mib.bin", "--max", str(len(data) - 1))
        self.assertEqual(small["rc"], "TOOLARGE")
        exact = self.run_driver("get", BUCKET, "big/five-mib.bin", "--max", str(len(data)))
        self.assertEqual(exact["rc"], "OK")

    def test_empty_object(self):
        out = self.run_driver("put", BUCKET, "empty", "-")
        self.assertEqual(out["rc"], "OK", out)
        self.assertEqual(self.s3.head_object(Bucket=BUCKET, Key="empty")["ContentLength"], 0)
        got = self.run_driver("get", BUCKET, "empty")
        self.assertEqual((got["rc"], got["length"]), ("OK", 0))

    def test_if_none_match_star(self):
        first = self.put_file("once/only", b"first", "--if-none-match")
        self.assertEqual(first["rc"], "OK", first)
        second = self.put_file("once/only", b"second", "--if-none-match")
        self.assertEqual(second["rc"], "PRECONDITION", second)
        self.assertEqual(second["status"], 412)
        self.assertEqual(second["code"], "PreconditionFailed")
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="once/only")["Body"].read(),
                         b"first")
        # Without the condition the write goes through.
        third = self.put_file("once/only", b"third")
        self.assertEqual(third["rc"], "OK", third)
        self.assertEqual(self.s3.get_object(Bucket=BUCKET, Key="once/only")["Body"].read(),
                         b"third")

    def test_list_prefix_and_continuation(self):
        keys = ["paged/%d é+x" % i for i in range(5)]
        for k in keys:
            self.s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
        self.s3.put_object(Bucket=BUCKET, Key="pagedness", Body=b"not under the prefix")
        seen, token, pages = [], None, 0
        while True:
            args = ["list", BUCKET, "--prefix", "paged/", "--max-keys", "2"]
            if token:
                args += ["--token", token]
            page = self.run_driver(*args)
            self.assertEqual(page["rc"], "OK", page)
            pages += 1
            self.assertLessEqual(len(page["items"]), 2)
            self.assertEqual(page["key_count"], len(page["items"]))
            for item in page["items"]:
                self.assertEqual(item["size"], len(item["key"].encode()))
                self.assertTrue(item["etag"].startswith('"'), item)
                self.assertGreater(item["last_modified_ms"], 0)
            seen += [item["key"] for item in page["items"]]
            if not page["truncated"]:
                self.assertIsNone(page["next_token"])
                break
            self.assertTrue(page["next_token"])
            token = page["next_token"]
        self.assertEqual(pages, 3)
        self.assertEqual(seen, sorted(keys))

    def test_missing_objects(self):
        got = self.run_driver("get", BUCKET, "no/such key")
        self.assertEqual((got["rc"], got["status"], got["code"]), ("NOTFOUND", 404, "NoSuchKey"))
        self.assertTrue(got["request_id"])
        head = self.run_driver("head", BUCKET, "no/such key")
        self.assertEqual((head["rc"], head["status"], head["code"]), ("NOTFOUND", 404, "NotFound"))
        nobucket = self.run_driver("get", "sluice-no-such-bucket", "k")
        self.assertEqual((nobucket["rc"], nobucket["code"]), ("NOTFOUND", "NoSuchBucket"))
        listed = self.run_driver("list", "sluice-no-such-bucket")
        self.assertEqual((listed["rc"], listed["code"]), ("NOTFOUND", "NoSuchBucket"))

    def test_delete(self):
        self.s3.put_object(Bucket=BUCKET, Key="del/me now", Body=b"x")
        out = self.run_driver("delete", BUCKET, "del/me now")
        self.assertEqual(out["rc"], "OK", out)
        with self.assertRaises(ClientError) as ctx:
            self.s3.head_object(Bucket=BUCKET, Key="del/me now")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        # S3 answers 204 for a key that is not there.
        again = self.run_driver("delete", BUCKET, "del/me now")
        self.assertEqual(again["rc"], "OK", again)

    def test_connection_refused_is_a_transport_error(self):
        env = dict(self.env, AWS_ENDPOINT_URL_S3="http://127.0.0.1:%d" % free_port())
        start = time.monotonic()
        out = self.run_driver("get", BUCKET, "k", env=env)
        self.assertEqual(out["rc"], "HTTP")
        self.assertNotIn("status", out)
        # Three attempts with full-jitter backoff stay well under a second here.
        self.assertLess(time.monotonic() - start, 5)

    def test_missing_credentials(self):
        env = dict(self.env)
        del env["AWS_SECRET_ACCESS_KEY"]
        out = self.run_driver("get", BUCKET, "k", env=env)
        self.assertEqual(out["rc"], "CONFIG")


if __name__ == "__main__":
    unittest.main()


class S3ClientSignaturesVerifiedByMoto(unittest.TestCase):
    """moto checks SigV4 (with botocore's signer) once INITIAL_NO_AUTH_ACTION_COUNT
    actions have run: the first ones create an IAM user whose key the client uses.
    moto's own check mis-handles spaces or '%' in keys and '/' in query values
    (boto3 fails it too), so the names here are plain; the odd keys are covered
    by the class above, where moto does not check signatures."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-s3-auth-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.driver = build_driver(cls.tmp)
        port = free_port()
        cls.endpoint = "http://127.0.0.1:%d" % port
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="4")
        cls.moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        cls.addClassCleanup(S3ClientAgainstMoto.stop_moto.__func__, cls)
        wait_listening(port, cls.moto)
        anon = dict(endpoint_url=cls.endpoint, region_name=REGION,
                    aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        # Exactly four unauthenticated actions.
        iam = boto3.client("iam", **anon)
        iam.create_user(UserName="sluice")
        iam.put_user_policy(UserName="sluice", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="sluice")["AccessKey"]
        boto3.client("s3", **anon).create_bucket(Bucket=BUCKET)
        cls.env = dict(os.environ)
        for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            cls.env.pop(name, None)
        cls.env.update({
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": cls.endpoint,
        })

    run_driver = S3ClientAgainstMoto.run_driver

    def test_signed_operations_are_accepted(self):
        path = os.path.join(self.tmp, "body")
        with open(path, "wb") as f:
            f.write(b"signed body")
        for i in range(3):
            out = self.run_driver("put", BUCKET, "signed-key-%d_x.txt" % i, path,
                                  "--content-type", "text/plain", "--if-none-match")
            self.assertEqual(out["rc"], "OK", out)
        got = self.run_driver("get", BUCKET, "signed-key-0_x.txt")
        self.assertEqual((got["rc"], got["length"]), ("OK", 11), got)
        head = self.run_driver("head", BUCKET, "signed-key-1_x.txt")
        self.assertEqual((head["rc"], head["size"]), ("OK", 11), head)
        first = self.run_driver("list", BUCKET, "--prefix", "signed-", "--max-keys", "2")
        self.assertEqual(first["rc"], "OK", first)
        self.assertTrue(first["truncated"])
        rest = self.run_driver("list", BUCKET, "--prefix", "signed-", "--max-keys", "2",
                               "--token", first["next_token"])
        self.assertEqual(rest["rc"], "OK", rest)
        self.assertEqual([i["key"] for i in first["items"] + rest["items"]],
                         ["signed-key-%d_x.txt" % i for i in range(3)])
        out = self.run_driver("delete", BUCKET, "signed-key-2_x.txt")
        self.assertEqual(out["rc"], "OK", out)

    def test_wrong_secret_is_refused(self):
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="not-the-secret")
        out = self.run_driver("get", BUCKET, "signed-key-0_x.txt", env=env)
        self.assertEqual((out["rc"], out["status"], out["code"]),
                         ("REMOTE", 403, "SignatureDoesNotMatch"))
