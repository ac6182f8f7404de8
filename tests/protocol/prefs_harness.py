"""Helpers for the preferences tests (issue 13): a copy of the service's
template with test hooks, a stand-in for the IAB vendor list's host, SigV4
calls to the API, a raw PostgreSQL client for the local RDS Proxy, and an
RDS IAM token from botocore.

The template copy differs from infra/template.yaml only where a test needs
it: absolute paths (the copy lives in a temporary folder), one worker per
function (so that one vendor-list cache is observed), and the vendor list
cache's test hooks (a short cool-down and budget).
"""

import gzip
import hashlib
import http.server
import json
import os
import re
import socket
import struct
import threading
import time

import boto3
from botocore.credentials import Credentials

from test_local_dev import KEY_ID, ROOT, SECRET, TEMPLATE  # noqa: F401
from objects_suite import http_request

VENDOR_LIST = os.path.join(ROOT, "db", "vendor-list.json")
MIGRATIONS = os.path.join(ROOT, "db", "migrations")
CREDS = Credentials(KEY_ID, SECRET)


def test_template(workdir, migrations=MIGRATIONS, cooldown_ms=1500, budget_ms=600):
    """infra/template.yaml for a test: absolute migrations, cache hooks, one worker each."""
    with open(TEMPLATE) as f:
        text = f.read()
    text = text.replace("migrations: ../db/migrations", "migrations: " + migrations)
    hooks = ('          VENDOR_LIST_COOLDOWN_MS: "%d"\n'
             '          VENDOR_LIST_BUDGET_MS: "%d"\n' % (cooldown_ms, budget_ms))
    text = text.replace("          VENDOR_LIST_URL: !Ref VendorListUrl\n",
                        "          VENDOR_LIST_URL: !Ref VendorListUrl\n" + hooks)
    text = re.sub(r"(Handler: (preferences|import)\n)(\s+)ReservedConcurrentExecutions: \d+",
                  r"\1\3ReservedConcurrentExecutions: 1", text)
    path = os.path.join(workdir, "template.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


class VendorListHost:
    """A local stand-in for vendor-list.consensu.org.

    mode: "ok" (200, gzip when asked, Cache-Control max-age, ETag; 304 for a
    matching If-None-Match), "error" (500), "slow" (answers after `delay`).
    """

    def __init__(self, path=VENDOR_LIST, max_age=2, delay=3.0):
        with open(path, "rb") as f:
            self.body = f.read()
        self.etag = '"%s"' % hashlib.sha256(self.body).hexdigest()[:16]
        self.max_age = max_age
        self.delay = delay
        self.mode = "ok"
        self.requests = []  # (headers, status) of every request
        self.lock = threading.Lock()
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                mode = host.mode
                if mode == "slow":
                    time.sleep(host.delay)
                if mode == "error":
                    status, body, extra = 500, b"oops", {}
                elif self.headers.get("If-None-Match") == host.etag:
                    status, body, extra = 304, b"", {}
                else:
                    status, body, extra = 200, host.body, {"Content-Type": "application/json"}
                    if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                        body = gzip.compress(body)
                        extra["Content-Encoding"] = "gzip"
                with host.lock:
                    host.requests.append((dict(self.headers), status))
                try:
                    self.send_response(status)
                    if status != 500:
                        self.send_header("Cache-Control", "max-age=%d" % host.max_age)
                        self.send_header("ETag", host.etag)
                    for k, v in extra.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/v3/vendor-list.json" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def call(api_url, method, path, body=None, headers=None, sign=True):
    """One API call, SigV4-signed with the local credentials; JSON bodies as dicts."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return http_request(api_url, method, path, body or b"", headers, CREDS if sign else None)


def banner_value(banner, label):
    for line in banner.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise KeyError(label)


def proxy_port(banner):
    return int(re.search(r"RDS Proxy\s+127\.0\.0\.1:(\d+)", banner).group(1))


def direct(banner):
    """(socket folder, port) of the stage's PostgreSQL from the banner's psql line."""
    m = re.search(r'psql "host=(\S+) port=(\d+) dbname=(\S+) user=(\S+)"', banner)
    return m.group(1), int(m.group(2))


def iam_token(port, user="sluice_app", host="127.0.0.1", key=KEY_ID, secret=SECRET,
              region="us-east-1"):
    rds = boto3.client("rds", region_name=region, aws_access_key_id=key,
                       aws_secret_access_key=secret)
    return rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user)


class PgClient:
    """Just enough of the PostgreSQL protocol to log in and run simple queries."""

    def __init__(self, port, user="sluice_app", database="sluice", host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""
        params = b"user\0%s\0database\0%s\0\0" % (user.encode(), database.encode())
        self.sock.sendall(struct.pack(">ii", 8 + len(params), 196608) + params)

    def _recv(self):
        while len(self.buf) < 5 or len(self.buf) < 1 + struct.unpack(">i", self.buf[1:5])[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        n = 1 + struct.unpack(">i", self.buf[1:5])[0]
        msg, self.buf = self.buf[:n], self.buf[n:]
        return msg[0:1], msg[5:]

    @staticmethod
    def fields(body):
        out = {}
        for part in body.split(b"\0"):
            if part:
                out[chr(part[0])] = part[1:].decode()
        return out

    def login(self, password):
        """None when admitted; else the ErrorResponse's fields (S, C, M, ...)."""
        kind, body = self._recv()
        if kind == b"E":
            return self.fields(body)
        assert kind == b"R", (kind, body)
        if struct.unpack(">i", body[:4])[0] == 3:  # cleartext password asked
            pw = (password or "").encode() + b"\0"
            self.sock.sendall(b"p" + struct.pack(">i", 4 + len(pw)) + pw)
        while True:
            kind, body = self._recv()
            if kind == b"E":
                return self.fields(body)
            if kind == b"Z":
                return None

    def query(self, sql):
        """Rows (lists of str or None) of a simple query; raises on an error."""
        q = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack(">i", 4 + len(q)) + q)
        rows, error = [], None
        while True:
            kind, body = self._recv()
            if kind == b"D":
                n = struct.unpack(">h", body[:2])[0]
                at, row = 2, []
                for _ in range(n):
                    size = struct.unpack(">i", body[at:at + 4])[0]
                    at += 4
                    row.append(None if size < 0 else body[at:at + size].decode())
                    at += max(size, 0)
                rows.append(row)
            elif kind == b"E":
                error = self.fields(body)
            elif kind == b"Z":
                if error:
                    raise RuntimeError(error)
                return rows

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.sock.close()
