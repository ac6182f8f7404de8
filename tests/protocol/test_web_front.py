"""The local CloudFront front of `sluice dev` (src/local/web/, docs/web.md)
over HTTP, on infra/template.yaml with the site's content in a folder of the
test's own: what the distribution answers for the bucket's objects, with
the response headers policy on every answer; the SPA function's rewrite;
S3's 404 for a missing file (never index.html); CloudFront's 403 for a
method the behaviour refuses; ETag and If-None-Match, If-Modified-Since,
Range, gzip and Brotli; config.json naming the local API; a rebuild that
shows on the next request without a restart.
"""

import gzip
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import ROOT, LocalCloud, free_port, needs_build  # noqa: E402

try:
    import brotli  # Debian's python3-brotli, when present
except ImportError:
    brotli = None

INDEX = ("<!doctype html><html lang=en><head><title>test</title>"
         "<script type=module src=/assets/app-1.js></script></head>"
         "<body>" + "<p>padding so that CloudFront would compress this page</p>" * 30 +
         "</body></html>")


def site_template(workdir, content):
    """infra/template.yaml with the site's content folder set to `content`
    (and the migrations folder, relative to the template, where it is)."""
    with open(os.path.join(ROOT, "infra", "template.yaml")) as f:
        text = f.read()
    assert "content: web/dist" in text and "migrations: ../db/migrations" in text
    text = text.replace("content: web/dist", "content: " + content)
    text = text.replace("migrations: ../db/migrations",
                        "migrations: " + os.path.join(ROOT, "db", "migrations"))
    path = os.path.join(workdir, "template.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def write_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.rename(path + ".tmp", path)


@needs_build
class WebFrontTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-web-")
        cls.content = os.path.join(cls.tmp, "site")
        write_atomic(os.path.join(cls.content, "assets", "app-1.js"), "console.log('x');\n" * 100)
        write_atomic(os.path.join(cls.content, "assets", "data.bin"), bytes(range(256)) * 8)
        write_atomic(os.path.join(cls.content, "index.html"), INDEX)
        cls.web_port = free_port()
        try:
            cls.cloud = LocalCloud(cls.tmp, template=site_template(cls.tmp, cls.content),
                                   args=["--web-port", str(cls.web_port)])
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, method="GET", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=10)
        try:
            c.request(method, path, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def assertSecurityHeaders(self, h):
        csp = h["content-security-policy"]
        self.assertIn("default-src 'self'", csp)
        self.assertIn("connect-src 'self' %s;" % self.cloud.api_url, csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(h["strict-transport-security"], "max-age=63072000; includeSubDomains")
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["x-frame-options"], "DENY")
        self.assertEqual(h["referrer-policy"], "no-referrer")
        self.assertIn("cloudfront.net (CloudFront)", h["via"])
        self.assertRegex(h["x-amz-cf-id"], r"^[A-Za-z0-9_-]{56}$")

    def test_banner_names_the_site(self):
        self.assertIn("Site           http://127.0.0.1:%d (SiteDistribution" % self.web_port,
                      self.cloud.banner)
        self.assertIn("SPA function SiteSpaFunction", self.cloud.banner)

    def test_root_is_the_default_root_object(self):
        status, h, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(body.decode(), INDEX)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        self.assertRegex(h["etag"], r'^"[0-9a-f]{32}"$')
        self.assertEqual(h["x-cache"], "Miss from cloudfront")
        self.assertSecurityHeaders(h)

    def test_spa_routes_get_index_html(self):
        for path in ("/messages/0b7e0ad2-0000-4000-8000-000000000000", "/messages/", "/a.b/c"):
            with self.subTest(path=path):
                status, h, body = self.get(path)
                self.assertEqual((status, body.decode()), (200, INDEX))

    def test_missing_file_is_s3s_404_not_index(self):
        status, h, body = self.get("/assets/missing-2.js")
        self.assertEqual(status, 404)
        self.assertEqual(h["content-type"], "application/xml")
        self.assertEqual(h["x-cache"], "Error from cloudfront")
        self.assertIn(b"<Code>NoSuchKey</Code>", body)
        self.assertIn(b"<Key>assets/missing-2.js</Key>", body)
        self.assertSecurityHeaders(h)
        status, h, body = self.get("/assets/missing-2.js", method="HEAD")
        self.assertEqual((status, body), (404, b""))

    def test_refused_method_is_cloudfronts_403(self):
        for method in ("POST", "PUT", "DELETE", "OPTIONS"):
            with self.subTest(method=method):
                status, h, body = self.get("/index.html", method=method)
                self.assertEqual(status, 403)
                self.assertIn(b"not configured to allow the HTTP request method", body)
                self.assertSecurityHeaders(h)

    def test_config_json_names_the_local_api(self):
        status, h, body = self.get("/config.json")
        self.assertEqual((status, h["content-type"]), (200, "application/json"))
        self.assertEqual(json.loads(body), {"apiUrl": self.cloud.api_url + "/dev"})

    def test_etag_and_conditionals(self):
        _, h, _ = self.get("/assets/app-1.js")
        etag = h["etag"]
        status, h304, body = self.get("/assets/app-1.js", headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(h304["etag"], etag)
        self.assertSecurityHeaders(h304)
        # A compressed answer's weak ETag matches too (weak comparison).
        status, _, _ = self.get("/assets/app-1.js", headers={"If-None-Match": 'W/"x", W/' + etag})
        self.assertEqual(status, 304)
        status, _, _ = self.get("/assets/app-1.js", headers={"If-None-Match": '"other"'})
        self.assertEqual(status, 200)
        status, _, _ = self.get("/assets/app-1.js",
                                headers={"If-Modified-Since": h["last-modified"]})
        self.assertEqual(status, 304)

    def test_range(self):
        status, h, body = self.get("/assets/data.bin", headers={"Range": "bytes=10-19"})
        self.assertEqual((status, body), (206, bytes(range(10, 20))))
        self.assertEqual(h["content-range"], "bytes 10-19/2048")
        status, h, body = self.get("/assets/data.bin", headers={"Range": "bytes=-3"})
        self.assertEqual((status, body), (206, bytes([253, 254, 255])))
        status, h, body = self.get("/assets/data.bin", headers={"Range": "bytes=4096-"})
        self.assertEqual(status, 416)
        self.assertEqual(h["content-range"], "bytes */2048")
        self.assertIn(b"<Code>InvalidRange</Code>", body)
        status, _, body = self.get("/assets/data.bin", headers={"Range": "bytes=1-2,5-6"})
        self.assertEqual((status, len(body)), (200, 2048))  # several ranges: ignored, as S3

    def test_gzip_and_brotli(self):
        status, h, body = self.get("/", headers={"Accept-Encoding": "gzip, deflate"})
        self.assertEqual((status, h["content-encoding"], h["vary"]), (200, "gzip", "Accept-Encoding"))
        self.assertTrue(h["etag"].startswith('W/"'))
        self.assertEqual(gzip.decompress(body).decode(), INDEX)
        status, h, body = self.get("/", headers={"Accept-Encoding": "gzip, br"})
        self.assertEqual(h["content-encoding"], "br")  # both accepted: Brotli
        if brotli:
            self.assertEqual(brotli.decompress(body).decode(), INDEX)
        status, h, body = self.get("/", headers={"Accept-Encoding": "br;q=0, gzip"})
        self.assertEqual(h["content-encoding"], "gzip")
        # Not a compressible type, or too small (config.json is under 1,000 bytes).
        for path in ("/assets/data.bin", "/config.json"):
            status, h, _ = self.get(path, headers={"Accept-Encoding": "gzip, br"})
            self.assertNotIn("content-encoding", h, path)

    def wait_for_index(self, needle):
        deadline = time.time() + 5
        while time.time() < deadline:
            _, _, body = self.get("/messages/x")
            if needle in body:
                return body
            time.sleep(0.1)
        return body

    def test_rebuild_shows_without_restart(self):
        path = os.path.join(self.content, "index.html")
        try:
            write_atomic(os.path.join(self.content, "assets", "app-2.js"), "console.log(2);\n")
            write_atomic(path, INDEX.replace("app-1.js", "app-2.js"))
            self.assertIn(b"app-2.js", self.wait_for_index(b"app-2.js"))
            self.assertEqual(self.get("/assets/app-2.js")[0], 200)
            self.assertEqual(self.get("/assets/app-1.js")[0], 200)  # old assets stay
        finally:
            write_atomic(path, INDEX)
            self.wait_for_index(b"app-1.js")


if __name__ == "__main__":
    unittest.main()
