"""The preferences service (issue 13) through `sluice dev`, on the real
PostgreSQL the local cloud runs, behind its local RDS Proxy.

- LocalPreferencesApiTest: every row of the API table (PUT, GET, history,
  DELETE, imports, vendors), If-Match, 422 naming unknown ids, erasure, bad
  input; the proxy's token checks (28P01 for a bad, expired, foreign-host or
  foreign-user token) and its pinning warnings; an import of 200,000 lines
  with 1% bad lines (exact counts and line numbers); the same object created
  twice changes nothing the second time; the vendor list fetched with gzip,
  kept for max-age, revalidated (304), and served stale through 500s and a
  slow answer while the circuit is open, then recovered.
- LocalPreferencesWithoutVendorListTest: no copy of the vendor list at all:
  PUT answers 503, GET still works, and PUT recovers with the host.
- LocalMigrationsTest: `sluice migrate` against a running stage: ten
  concurrent `up` apply each migration once; `up` killed with SIGKILL in the
  middle of a migration, then `up` again; a changed file refused with both
  checksums; `plan` changes nothing.
- LocalPostgresLifecycleTest: `sluice dev` killed with SIGKILL, started again
  on the same stage (one postmaster, the data intact); two stages apart.
"""

import concurrent.futures
import datetime
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import SLUICE, LocalCloud, needs_build  # noqa: E402
from prefs_harness import (MIGRATIONS, PgClient, VendorListHost, call, direct,  # noqa: E402
                           iam_token, proxy_port, test_template)


def wait_for(predicate, timeout=60, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def start_cloud(tmp, template, vendor_url, stage="dev", data_dir=None, extra=()):
    return LocalCloud(tmp, stage=stage, template=template, data_dir=data_dir,
                      args=["--parameter-overrides", "VendorListUrl=" + vendor_url] + list(extra),
                      env={"SLUICE_DEV_ASYNC_RETRY_MS": "500"})


@needs_build
class LocalPreferencesApiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-prefs-test-")
        cls.vendors = VendorListHost(max_age=2)
        cls.cloud = start_cloud(cls.tmp, test_template(cls.tmp), cls.vendors.url)
        cls.api = cls.cloud.api_url
        cls.port = proxy_port(cls.cloud.banner)

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        cls.vendors.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def put(self, user, purposes=None, vendors=None, headers=None):
        return call(self.api, "PUT", "/preferences/" + user,
                    {"purposes": purposes or {}, "vendors": vendors or {}}, headers)

    # ---- the API ----

    def test_put_get_versions(self):
        r = self.put("alice", {"1": True, "3": False}, {"755": True})
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(sorted(body), ["purposes", "updatedAt", "userId", "vendors", "version"])
        self.assertEqual(body["userId"], "alice")
        self.assertEqual(body["purposes"], {"1": True, "3": False})
        self.assertEqual(body["vendors"], {"755": True})
        self.assertRegex(body["updatedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(r.headers["etag"], '"%d"' % body["version"])
        first = body["version"]
        r = self.put("alice", {"1": False}, {})
        self.assertEqual(r.json()["version"], first + 1)
        self.assertGreater(r.json()["updatedAt"], body["updatedAt"])
        r = call(self.api, "GET", "/preferences/alice")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["purposes"], {"1": False})
        self.assertEqual(r.headers["etag"], '"%d"' % (first + 1))
        r = call(self.api, "GET", "/preferences/nobody-here")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["code"], "NotFound")

    def test_if_match(self):
        v = self.put("bob", {"1": True}).json()["version"]
        r = self.put("bob", {"1": False}, headers={"If-Match": '"%d"' % (v + 5)})
        self.assertEqual(r.status, 412, r)
        self.assertEqual(r.json()["error"]["code"], "PreconditionFailed")
        r = self.put("bob", {"1": False}, headers={"If-Match": '"%d"' % v})
        self.assertEqual((r.status, r.json()["version"]), (200, v + 1), r)
        r = self.put("bob", {"1": True}, headers={"If-Match": '"%d"' % v})  # stale now
        self.assertEqual(r.status, 412, r)
        r = self.put("bob", {}, headers={"If-Match": "*"})
        self.assertEqual(r.status, 200, r)
        r = self.put("never-existed", {}, headers={"If-Match": "*"})
        self.assertEqual(r.status, 412, r)
        self.assertEqual(call(self.api, "GET", "/preferences/never-existed").status, 404)

    def test_unknown_ids_are_named(self):
        r = self.put("carol", {"1": True, "99": True, "42": False},
                     {"755": True, "9999": True, "1000": True, "4": False})
        self.assertEqual(r.status, 422, r)
        err = r.json()["error"]
        self.assertEqual(err["code"], "UnknownIds")
        self.assertEqual(err["unknownPurposes"], [42, 99])
        self.assertEqual(err["unknownVendors"], [4, 1000, 9999])  # 1000 is deleted
        for i in ("42", "99", "4", "1000", "9999"):
            self.assertIn(i, err["message"])
        self.assertEqual(call(self.api, "GET", "/preferences/carol").status, 404)

    def test_history_newest_first_with_cursor(self):
        for i in range(5):
            self.assertEqual(self.put("dave", {"1": i % 2 == 0}).status, 200)
        r = call(self.api, "GET", "/preferences/dave/history?limit=2")
        self.assertEqual(r.status, 200, r)
        page = r.json()
        self.assertEqual([i["version"] for i in page["items"]], [5, 4])
        self.assertEqual(sorted(page["items"][0]),
                         ["changedAt", "purposes", "source", "vendors", "version"])
        self.assertEqual(page["items"][0]["source"], "api")
        self.assertEqual(page["items"][0]["purposes"], {"1": True})
        versions = [5, 4]
        while page["cursor"]:
            page = call(self.api, "GET",
                        "/preferences/dave/history?limit=2&cursor=" + page["cursor"]).json()
            versions += [i["version"] for i in page["items"]]
        self.assertEqual(versions, [5, 4, 3, 2, 1])
        self.assertEqual(call(self.api, "GET", "/preferences/nobody/history").status, 404)
        for q in ("limit=0", "limit=101", "limit=x", "cursor=abc"):
            self.assertEqual(call(self.api, "GET", "/preferences/dave/history?" + q).status, 400, q)

    def test_erasure(self):
        self.put("erin", {"1": True})
        self.put("erin", {"1": False})
        r = call(self.api, "DELETE", "/preferences/erin")
        self.assertEqual((r.status, r.body), (204, b""))
        self.assertEqual(call(self.api, "GET", "/preferences/erin").status, 404)
        self.assertEqual(call(self.api, "GET", "/preferences/erin/history").status, 404)
        self.assertEqual(call(self.api, "DELETE", "/preferences/erin").status, 204)
        # Nothing of erin is left in the database, history included.
        pg = self.login()
        self.assertEqual(pg.query("SELECT count(*) FROM preference_history WHERE user_id = 'erin'"),
                         [["0"]])
        pg.close()

    def test_bad_input(self):
        cases = [
            ('{"purposes":{},"vendors":{},"extra":1,"more":[]}', 400, "InvalidRequest",
             '"extra", "more"'),
            ('{"purposes":{}}', 400, "InvalidRequest", '"vendors"'),
            ("{not json", 400, "InvalidJson", "column"),
            ('{"purposes":{"x":true},"vendors":{}}', 400, "InvalidRequest", "x"),
            ('{"purposes":{"1":"yes"},"vendors":{}}', 400, "InvalidRequest", "true or false"),
        ]
        for body, status, code, word in cases:
            r = call(self.api, "PUT", "/preferences/frank", body,
                     {"Content-Type": "application/json"})
            self.assertEqual(r.status, status, (body, r))
            self.assertEqual(r.json()["error"]["code"], code, body)
            self.assertIn(word, r.json()["error"]["message"], body)
        r = call(self.api, "PUT", "/preferences/frank", '{"purposes":{},"vendors":{}}',
                 {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415, r)
        big = '{"purposes":{},"vendors":{},"pad":"%s"}' % ("x" * 70000)
        r = call(self.api, "PUT", "/preferences/frank", big, {"Content-Type": "application/json"})
        self.assertEqual(r.status, 413, r)
        for user in ("a%20b", "x" * 129, "caf%C3%A9"):
            r = self.put(user)
            self.assertEqual((r.status, r.json()["error"]["code"]), (400, "InvalidUserId"), user)
        self.assertEqual(self.put("a%40b.c").status, 200)  # '@' percent-encoded
        self.assertEqual(call(self.api, "GET", "/preferences/a@b.c").status, 200)
        r = call(self.api, "GET", "/preferences/alice", sign=False)
        self.assertEqual(r.status, 403, r)

    def test_vendors(self):
        r = call(self.api, "GET", "/vendors/755")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"id": 755, "name": "Example Advertising Inc.",
                                    "purposes": [1, 2, 3, 4, 7, 9, 10], "legIntPurposes": [],
                                    "features": [1, 2, 3]})
        r = call(self.api, "GET", "/vendors/1000")
        self.assertEqual(r.json()["deletedDate"], "2025-01-01T00:00:00Z")
        for v in ("3", "0", "70000", "abc"):
            self.assertEqual(call(self.api, "GET", "/vendors/" + v).status, 404, v)

    # ---- the proxy ----

    def login(self, password=None, user="sluice_app"):
        pg = PgClient(self.port, user=user)
        err = pg.login(password or iam_token(self.port, user=user))
        self.assertIsNone(err)
        return pg

    def assert_refused(self, password, user="sluice_app"):
        pg = PgClient(self.port, user=user)
        err = pg.login(password)
        pg.close()
        self.assertIsNotNone(err)
        self.assertEqual(err["C"], "28P01", err)
        self.assertEqual(err["S"], "FATAL")
        self.assertEqual(err["M"], 'password authentication failed for user "%s"' % user)

    def test_proxy_admits_valid_tokens_only(self):
        pg = self.login()
        self.assertEqual(pg.query("SELECT current_user"), [["sluice_app"]])
        # Timeouts come from the role (the migration), not from the session.
        self.assertEqual(pg.query("SHOW statement_timeout"), [["5s"]])
        pg.close()
        self.assert_refused("hunter2")
        self.assert_refused(iam_token(self.port, host="db.example.com"))  # foreign host
        self.assert_refused(iam_token(self.port + 1))  # another port
        self.assert_refused(iam_token(self.port, user="postgres"))  # another user
        self.assert_refused(iam_token(self.port, secret="not-the-secret"))
        self.assert_refused(iam_token(self.port, key="AKIDUNKNOWN"))
        past = datetime.datetime.utcnow() - datetime.timedelta(minutes=16)
        with mock.patch("botocore.auth.get_current_datetime", return_value=past):
            expired = iam_token(self.port)
        self.assert_refused(expired)
        log = self.cloud.stderr()
        self.assertIn("refused for user sluice_app", log)
        self.assertNotIn(expired, log)  # never the token itself

    def test_proxy_logs_what_would_pin(self):
        pg = self.login()
        pg.query("SET search_path TO public")
        pg.query("SELECT 1")
        pg.query("SELECT pg_try_advisory_lock(42)")
        pg.close()
        log = wait_for(lambda: "pg_try_advisory_lock" in self.cloud.stderr() and
                       self.cloud.stderr())
        self.assertRegex(log, r"would pin the session.*SET or RESET.*SET search_path TO public")
        self.assertRegex(log, r"would pin the session.*advisory lock.*pg_try_advisory_lock\(42\)")
        self.assertNotRegex(log, r"would pin the session.*statement=\"SELECT 1\"")
        # The service's own traffic pins nothing.
        self.put("pinless", {"1": True})
        call(self.api, "GET", "/preferences/pinless/history")
        self.assertNotRegex(self.cloud.stderr(), r"would pin.*(preferences|imports)")

    # ---- imports ----

    def wait_import(self, import_id, timeout=120):
        def done():
            r = call(self.api, "GET", "/preferences/imports/" + import_id)
            return r.status == 200 and r.json()["state"] in ("done", "failed") and r.json()
        return wait_for(done, timeout, 0.3)

    def test_import_200000_lines(self):
        lines, bad = [], []
        for i in range(200000):
            if i % 100 == 50:
                lines.append('{"userId":"big%d","purposes":{"1":true}}' % i)  # no vendors
                bad.append(i + 1)
            else:
                lines.append(json.dumps({"userId": "big%d" % i, "purposes": {"1": True, "7": i % 2 == 0},
                                         "vendors": {"755": True, "2": False},
                                         "updatedAt": "2026-01-02T03:04:05.678Z"}))
        data = ("\n".join(lines) + "\n").encode()
        s3 = self.cloud.s3()
        started = time.time()
        s3.put_object(Bucket=self.cloud.bucket(), Key="imports/big-200k.ndjson", Body=data)
        status = self.wait_import("big-200k")
        elapsed = time.time() - started
        self.assertEqual(status["state"], "done", status)
        self.assertEqual(status["rowsRead"], 200000)
        self.assertEqual(status["rowsRejected"], 2000)
        self.assertEqual(status["rowsWritten"], 198000)
        self.assertEqual(status["bytesRead"], len(data))
        self.assertEqual(len(status["errors"]), 100)
        self.assertEqual([e["line"] for e in status["errors"]], bad[:100])
        self.assertIn('"vendors"', status["errors"][0]["message"])
        r = call(self.api, "GET", "/preferences/big1/history")
        self.assertEqual([(i["version"], i["source"]) for i in r.json()["items"]],
                         [(1, "import:big-200k")])
        self.assertLess(elapsed, 120)

        # The same object created again (S3 delivers at least once): nothing changes.
        s3.put_object(Bucket=self.cloud.bucket(), Key="imports/big-200k.ndjson", Body=data)
        wait_for(lambda: self.cloud.stderr().count("import big-200k: done already") >= 1, 30)
        again = call(self.api, "GET", "/preferences/imports/big-200k").json()
        self.assertEqual(again, status)
        r = call(self.api, "GET", "/preferences/big1/history")
        self.assertEqual(len(r.json()["items"]), 1)

    def test_import_through_the_api(self):
        r = call(self.api, "POST", "/preferences/imports", {"format": "ndjson"})
        self.assertEqual(r.status, 201, r)
        imp = r.json()
        self.assertEqual(sorted(imp), ["expiresAt", "importId", "key", "uploadUrl"])
        self.assertEqual(imp["key"], "imports/%s.ndjson" % imp["importId"])
        self.assertEqual(r.headers["location"], "/preferences/imports/" + imp["importId"])
        r = call(self.api, "GET", "/preferences/imports/" + imp["importId"])
        self.assertEqual(r.json()["state"], "waiting")
        older = {"userId": "gina", "purposes": {"1": False}, "vendors": {},
                 "updatedAt": "2020-01-01T00:00:00Z"}
        newer = dict(older, purposes={"1": True}, updatedAt="2099-01-01T00:00:00Z")
        self.put("gina", {"1": True})
        body = "\n".join([json.dumps(older), "", json.dumps(newer), "  \r"]).encode()
        import urllib.request
        with urllib.request.urlopen(urllib.request.Request(imp["uploadUrl"], data=body,
                                                           method="PUT")) as resp:
            self.assertEqual(resp.status, 200)
        status = self.wait_import(imp["importId"])
        # The older line loses to the API's record; the future one is refused.
        self.assertEqual((status["state"], status["rowsRead"], status["rowsWritten"],
                          status["rowsRejected"]), ("done", 2, 0, 1), status)
        self.assertEqual(status["errors"], [{"line": 3, "message": "\"updatedAt\" is in the future"}])
        self.assertEqual(call(self.api, "GET", "/preferences/gina").json()["version"], 1)
        for body in ('{"format":"csv"}', '{"format":"ndjson","x":1}', "{}"):
            r = call(self.api, "POST", "/preferences/imports", body,
                     {"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, body)
        self.assertEqual(call(self.api, "GET", "/preferences/imports/no-such").status, 404)

    # ---- the vendor list ----

    def test_vendor_list_cache_and_breaker(self):
        host = self.vendors
        self.put("warm", {"1": True})  # make sure a copy is held
        time.sleep(host.max_age + 0.2)
        n = host.count()
        self.assertEqual(self.put("v1", {"1": True}).status, 200)  # revalidates: 304
        self.assertEqual(host.count(), n + 1)
        headers, status = host.requests[-1]
        self.assertEqual(status, 304)
        self.assertEqual(headers.get("If-None-Match"), host.etag)
        self.assertIn("gzip", headers.get("Accept-Encoding", ""))
        self.assertEqual(self.put("v2", {"1": True}).status, 200)  # fresh: no request
        self.assertEqual(host.count(), n + 1)
        self.assertTrue(any(s == 200 for _, s in host.requests))

        # The host fails: three failures open the circuit; the stale copy serves.
        host.mode = "error"
        time.sleep(host.max_age + 0.2)
        for i in range(3):
            self.assertEqual(self.put("v3", {"1": True}).status, 200)
        self.assertEqual(host.count(), n + 4)
        self.assertEqual(self.put("v3", {"1": True}).status, 200)  # open: no request
        self.assertEqual(host.count(), n + 4)
        self.assertIn("circuit open", self.cloud.stderr())
        self.assertIn("serving a stale copy", self.cloud.stderr())

        # A slow answer after the cool-down: the fetch gives up at its budget.
        host.mode = "slow"
        time.sleep(1.6)
        started = time.time()
        self.assertEqual(self.put("v4", {"1": True}).status, 200)
        self.assertLess(time.time() - started, 2.5)

        # The host is back: after the cool-down the next use fetches again.
        host.mode = "ok"
        time.sleep(1.6)
        self.assertEqual(self.put("v5", {"1": True}).status, 200)
        self.assertEqual(host.requests[-1][1], 304)
        count = host.count()
        self.assertEqual(self.put("v6", {"1": True}).status, 200)
        self.assertEqual(host.count(), count)


@needs_build
class LocalPreferencesWithoutVendorListTest(unittest.TestCase):

    def test_no_copy_at_all(self):
        tmp = tempfile.mkdtemp(prefix="sluice-prefs-novl-")
        host = VendorListHost()
        host.mode = "error"
        cloud = start_cloud(tmp, test_template(tmp), host.url)
        try:
            r = call(cloud.api_url, "PUT", "/preferences/x", {"purposes": {}, "vendors": {}})
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json()["error"]["code"], "VendorListUnavailable")
            self.assertIn("no copy", r.json()["error"]["message"])
            self.assertEqual(call(cloud.api_url, "GET", "/preferences/x").status, 404)
            self.assertEqual(call(cloud.api_url, "GET", "/vendors/755").status, 503)
            host.mode = "ok"
            time.sleep(1.6)  # past the cool-down, if the circuit opened
            r = call(cloud.api_url, "PUT", "/preferences/x", {"purposes": {}, "vendors": {}})
            self.assertEqual(r.status, 200, r)
        finally:
            rc = cloud.stop()
            host.stop()
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(rc, 0)


@needs_build
class LocalMigrationsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-migrate-test-")
        cls.migrations = os.path.join(cls.tmp, "migrations")
        shutil.copytree(MIGRATIONS, cls.migrations)
        cls.vendors = VendorListHost()
        cls.cloud = start_cloud(cls.tmp, test_template(cls.tmp, cls.migrations), cls.vendors.url)
        sock, port = direct(cls.cloud.banner)
        cls.pg_port = port

    @classmethod
    def tearDownClass(cls):
        rc = cls.cloud.stop()
        cls.vendors.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sluice dev exited %r on SIGTERM" % rc

    def migrate(self, *args, **kw):
        return subprocess.run([SLUICE, "migrate"] + list(args) +
                              ["--stage", "dev", "--data-dir", self.cloud.data_dir,
                               "--dir", self.migrations], capture_output=True, text=True,
                              timeout=kw.get("timeout", 60))

    def write(self, name, sql):
        with open(os.path.join(self.migrations, name), "w") as f:
            f.write(sql)

    def superuser(self):
        pg = PgClient(self.pg_port, user="postgres")
        self.assertIsNone(pg.login(None))
        return pg

    def applied(self):
        pg = self.superuser()
        rows = pg.query("SELECT version FROM schema_migrations ORDER BY version")
        pg.close()
        return [int(r[0]) for r in rows]

    def test_a_ten_at_once_apply_each_once(self):
        self.assertEqual(self.applied(), [1, 2, 3, 4])
        self.write("0005_concurrent.sql", "CREATE TABLE conc_t (x int);\nSELECT pg_sleep(0.3);\n")
        self.write("0006_more.sql", "ALTER TABLE conc_t ADD y int;\n")
        with concurrent.futures.ThreadPoolExecutor(10) as ex:
            runs = list(ex.map(lambda _: self.migrate("up"), range(10)))
        for r in runs:
            self.assertEqual(r.returncode, 0, r.stderr)
        out = "".join(r.stdout for r in runs)
        self.assertEqual(out.count("0005_concurrent.sql applied"), 1, out)
        self.assertEqual(out.count("0006_more.sql applied"), 1, out)
        self.assertEqual(self.applied(), [1, 2, 3, 4, 5, 6])

    def test_b_killed_in_the_middle(self):
        self.write("0007_slow.sql", "CREATE TABLE slow_t (x int);\nSELECT pg_sleep(60);\n")
        proc = subprocess.Popen([SLUICE, "migrate", "up", "--stage", "dev", "--data-dir",
                                 self.cloud.data_dir, "--dir", self.migrations],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pg = self.superuser()
        wait_for(lambda: pg.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                  "'%pg_sleep(60)%' AND state = 'active' AND pid <> "
                                  "pg_backend_pid()") == [["1"]], 30)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Nothing to clean by hand: the next run waits for the dead run's lock and applies it.
        self.write("0007_slow.sql", "CREATE TABLE slow_t (x int);\n")
        started = time.time()
        r = self.migrate("up")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.time() - started, 15)
        self.assertIn("0007_slow.sql applied", r.stdout)
        self.assertEqual(pg.query("SELECT count(*) FROM pg_class WHERE relname = 'slow_t'"), [["1"]])
        self.assertEqual(self.applied()[-1], 7)
        pg.close()

    def test_c_changed_file_is_refused(self):
        path = os.path.join(self.migrations, "0002_preferences.sql")
        with open(path) as f:
            original = f.read()
        try:
            self.write("0002_preferences.sql", original + "-- edited\n")
            r = self.migrate("up")
            self.assertEqual(r.returncode, 1)
            self.assertIn("0002_preferences.sql was changed after it was applied", r.stderr)
            self.assertRegex(r.stderr, r"applied sha256 [0-9a-f]{64}, file sha256 [0-9a-f]{64}")
            r = self.migrate("status")
            self.assertIn("CHANGED", r.stdout)
        finally:
            self.write("0002_preferences.sql", original)

    def preview_command(self, command, database, expect_error=None, expect=None):
        """The migrate function (build/bootstrap, Handler migrate) under the
        Runtime API stand-in, against the local instance as the pipeline's
        preview step runs it."""
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        args = [sys.executable, os.path.join(root, "scripts", "runtime-standin.py"),
                "--handler", "migrate", "--event", json.dumps({"command": command})]
        for kv in ("PGHOST=127.0.0.1", "PGPORT=%d" % self.pg_port, "PGUSER=postgres",
                   "PGDATABASE=" + database, "PGSSLMODE=disable", "AWS_REGION=us-east-1",
                   "AWS_ACCESS_KEY_ID=sluice", "AWS_SECRET_ACCESS_KEY=sluice-local",
                   "MIGRATIONS_DIR=" + self.migrations):
            args += ["--env", kv]
        if expect_error:
            args += ["--expect-error", expect_error]
        if expect:
            args += ["--expect-response", expect]
        args += ["--", os.path.join(self.cloud.build_dir, "bootstrap")]
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    def databases(self):
        pg = self.superuser()
        rows = pg.query("SELECT datname FROM pg_database WHERE datname LIKE 'sluice_pr_%'")
        pg.close()
        return sorted(r[0] for r in rows)

    def test_e_preview_database_created_and_dropped(self):
        # The second run finds it there (or gone) and changes nothing.
        for changed in ("true", "false"):
            r = self.preview_command("create-database", "sluice_pr_7",
                                     expect='"changed":%s' % changed)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.databases(), ["sluice_pr_7"])
        for changed in ("true", "false"):
            r = self.preview_command("drop-database", "sluice_pr_7",
                                     expect='"changed":%s' % changed)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.databases(), [])
        # A database that is not a preview's is never touched, whatever the setting says.
        for name in ("sluice", "postgres", "sluice_pr_", "sluice_pr_7;drop"):
            r = self.preview_command("drop-database", name, expect_error="Migrate.BadDatabase")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.applied()[:4], [1, 2, 3, 4])

    def test_d_plan_changes_nothing(self):
        self.write("0008_plan.sql", "CREATE TABLE plan_t (x int);\n")
        self.write("0009_index.sql", "-- sluice:no-transaction\n"
                   "CREATE INDEX CONCURRENTLY plan_i ON plan_t (x);\n")
        before = self.applied()
        r = self.migrate("plan")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("-- 0008_plan.sql: in one transaction\nCREATE TABLE plan_t (x int);",
                      r.stdout)
        self.assertIn("-- 0009_index.sql: statement by statement, outside a transaction",
                      r.stdout)
        self.assertEqual(self.applied(), before)
        r = self.migrate("status")
        self.assertIn("0008 plan", r.stdout)
        self.assertIn("pending", r.stdout)
        r = self.migrate("up")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("0009_index.sql applied", r.stdout)
        self.assertEqual(self.applied()[-2:], [8, 9])


@needs_build
class LocalImportSameEventTwiceTest(unittest.TestCase):
    """The same S3 event delivered twice (at least once, as S3 delivers): the
    import runs from the notification, then the identical event is invoked
    twice more with `sluice invoke`; nothing changes."""

    def test_same_event_twice(self):
        tmp = tempfile.mkdtemp(prefix="sluice-import-dup-")
        host = VendorListHost()
        template = test_template(tmp)
        data = os.path.join(tmp, "data")
        cloud = start_cloud(tmp, template, host.url, data_dir=data)
        try:
            lines = [json.dumps({"userId": "dup%d" % i, "purposes": {"1": True},
                                 "vendors": {"755": True}, "updatedAt": "2026-01-01T00:00:00Z"})
                     for i in range(50)]
            bucket = cloud.bucket()
            cloud.s3().put_object(Bucket=bucket, Key="imports/dup.ndjson",
                                  Body=("\n".join(lines) + "\n").encode())
            first = wait_for(lambda: (lambda r: r.status == 200 and r.json()["state"] == "done"
                                      and r.json())(
                call(cloud.api_url, "GET", "/preferences/imports/dup")), 60, 0.2)
            self.assertEqual((first["rowsRead"], first["rowsWritten"]), (50, 50))
        finally:
            self.assertEqual(cloud.stop(), 0)
        event = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
                              "eventName": "ObjectCreated:Put", "awsRegion": "us-east-1",
                              "s3": {"bucket": {"name": bucket, "arn": "arn:aws:s3:::" + bucket},
                                     "object": {"key": "imports/dup.ndjson", "size": 1}}}]}
        path = os.path.join(tmp, "event.json")
        with open(path, "w") as f:
            json.dump(event, f)
        for _ in range(2):
            p = subprocess.run([SLUICE, "invoke", "ImportFunction", "--event", path,
                                "--template", template, "--data-dir", data, "--build-dir",
                                cloud.build_dir, "--parameter-overrides",
                                "VendorListUrl=" + host.url],
                               cwd=tmp, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            answer = json.loads(p.stdout)["imports"][0]
            self.assertEqual((answer["state"], answer["rowsWritten"]), ("done", 50))
            self.assertIn("changes nothing", p.stderr)
        cloud = start_cloud(tmp, template, host.url, data_dir=data)
        try:
            self.assertEqual(call(cloud.api_url, "GET", "/preferences/imports/dup").json(), first)
            r = call(cloud.api_url, "GET", "/preferences/dup7/history")
            self.assertEqual(len(r.json()["items"]), 1)
        finally:
            self.assertEqual(cloud.stop(), 0)
            host.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def postmasters(data_dir):
    """Pids of postgres postmasters (not backends) running on `data_dir`."""
    pids = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/postgres") and b"-D" in args:
            if args[args.index(b"-D") + 1].decode() == data_dir:
                pids.append(int(cmdline.split("/")[2]))
    return pids


@needs_build
class LocalPostgresLifecycleTest(unittest.TestCase):

    def test_kill_9_then_start_again(self):
        tmp = tempfile.mkdtemp(prefix="sluice-pg-kill-")
        host = VendorListHost()
        template = test_template(tmp)
        data = os.path.join(tmp, "data")
        cloud = start_cloud(tmp, template, host.url, data_dir=data)
        try:
            self.assertEqual(call(cloud.api_url, "PUT", "/preferences/kept",
                                  {"purposes": {"1": True}, "vendors": {}}).status, 200)
            cluster = os.path.realpath(os.path.join(data, "dev", "postgres"))
            old = postmasters(cluster)
            self.assertEqual(len(old), 1)
            cloud.proc.send_signal(signal.SIGKILL)
            cloud.proc.wait()
            cloud = start_cloud(tmp, template, host.url, data_dir=data)
            now = postmasters(cluster)
            self.assertEqual(len(now), 1, now)  # never two
            r = call(cloud.api_url, "GET", "/preferences/kept")
            self.assertEqual((r.status, r.json()["purposes"]), (200, {"1": True}))
            self.assertRegex(cloud.stderr(), r"postgres: .* in \d+ ms")
        finally:
            rc = cloud.stop()
            host.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(postmasters(cluster), [])  # stopped with sluice dev
        shutil.rmtree(tmp, ignore_errors=True)

    def test_two_stages_stay_apart(self):
        tmp = tempfile.mkdtemp(prefix="sluice-pg-stages-")
        host = VendorListHost()
        template = test_template(tmp)
        data = os.path.join(tmp, "data")
        a = start_cloud(tmp, template, host.url, stage="a", data_dir=data)
        b = start_cloud(tmp, template, host.url, stage="b", data_dir=data)
        try:
            self.assertEqual(call(a.api_url, "PUT", "/preferences/only-in-a",
                                  {"purposes": {}, "vendors": {}}).status, 200)
            self.assertEqual(call(b.api_url, "GET", "/preferences/only-in-a").status, 404)
            self.assertEqual(call(a.api_url, "GET", "/preferences/only-in-a").status, 200)
            self.assertNotEqual(proxy_port(a.banner), proxy_port(b.banner))
            self.assertTrue(os.path.isdir(os.path.join(data, "a", "postgres")))
            self.assertTrue(os.path.isdir(os.path.join(data, "b", "postgres")))
        finally:
            self.assertEqual(a.stop(), 0)
            self.assertEqual(b.stop(), 0)
            host.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
