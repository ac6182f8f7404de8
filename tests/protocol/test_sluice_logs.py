"""`sluice logs` (src/cli/cmd_logs.c) against `sluice dev` and against moto
(standing in for AWS: log groups named as CloudFormation names them, found by
prefix), and the local Logs API compared with moto's on the operations both
implement.

Checked: every function's lines, merged by time and labelled; one request's
lines by its id (START to REPORT); --level on JSON lines; --format json;
--follow printing a request made after it started; --group; a template
function with no log group yet; the answers of CreateLogGroup, PutLogEvents,
DescribeLogGroups/Streams, GetLogEvents and FilterLogEvents (terms and
phrases) being the same locally and in moto.
"""

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import KEY_ID, ROOT, SECRET, SLUICE, LocalCloud, boto3, needs_build  # noqa: E402
from test_local_cloudwatch import call, client, wait_for  # noqa: E402

try:
    from moto.server import ThreadedMotoServer
except ImportError:  # pragma: no cover
    ThreadedMotoServer = None

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request


def read(path):
    with open(path) as f:
        return f.read()


def sluice_logs(endpoint, *args, timeout=60):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint)
    env.pop("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", None)
    return subprocess.run([SLUICE, "logs", "--template", os.path.join(ROOT, "infra", "template.yaml")]
                          + list(args), env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@needs_build
class SluiceLogsLocalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-logs-test-")
        cls.cloud = LocalCloud(cls.tmp)
        api = cls.cloud.api_url
        cls.health = call(api, "GET", "/health")[1]
        cls.post = call(api, "POST", "/messages", {"message": "hello"})[1]
        call(api, "POST", "/client-events", {"events": [{"type": "csp", "message": "script-src"}]})
        time.sleep(0.3)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_function(self):
        r = sluice_logs(self.cloud.aws_url, "--since", "5m")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        labels = {l.split(" ")[1] for l in lines}
        self.assertEqual(labels, {"ObjectsFunction", "MessagesFunction"})
        times = [l.split(" ")[0] for l in lines]
        self.assertEqual(times, sorted(times))

    def test_one_request(self):
        r = sluice_logs(self.cloud.aws_url, "--request-id", self.post, "--function", "MessagesFunction")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("START RequestId: %s" % self.post, lines[0])
        self.assertIn("REPORT RequestId: %s" % self.post, lines[-1])
        self.assertTrue(all(self.post in l for l in lines))

    def test_level_and_json(self):
        r = sluice_logs(self.cloud.aws_url, "--level", "WARN", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        (line,) = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(line["function"], "MessagesFunction")
        msg = json.loads(line["event"]["message"])
        self.assertEqual((msg["level"], msg["message"]), ("WARN", "client error"))
        r = sluice_logs(self.cloud.aws_url, "--level", "ERROR", "--request-id", self.post)
        self.assertEqual((r.returncode, r.stdout), (0, ""))
        r = sluice_logs(self.cloud.aws_url, "--level", "LOUD")
        self.assertEqual(r.returncode, 2)

    def test_follow(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=self.cloud.aws_url)
        out_path = os.path.join(self.tmp, "follow.out")
        with open(out_path, "w") as out:
            p = subprocess.Popen([SLUICE, "logs", "--follow", "--interval", "200", "--function",
                                  "ObjectsFunction", "--since", "1m"], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_for(lambda: self.health in read(out_path)))
            rid = call(self.cloud.api_url, "GET", "/health")[1]
            self.assertTrue(wait_for(lambda: "REPORT RequestId: %s" % rid in read(out_path)))
        finally:
            p.terminate()
            p.wait(timeout=10)
        err = p.stderr.read()
        p.stderr.close()
        self.assertEqual(p.returncode, 0, err)
        text = read(out_path)
        self.assertEqual(text.count("START RequestId: %s" % self.health), 1)  # nothing twice

    def test_group_and_missing_function(self):
        r = sluice_logs(self.cloud.aws_url, "--group", "sluice-dev-ApiAccessLogs", "--request-id",
                        self.health)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"status":200', r.stdout)
        r = sluice_logs(self.cloud.aws_url, "--function", "NoSuchFunction")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no function NoSuchFunction", r.stderr)


@needs_build
@unittest.skipUnless(ThreadedMotoServer is not None, "needs moto")
class SluiceLogsMotoTest(unittest.TestCase):
    """moto as AWS: the stack's groups have CloudFormation's random suffixes."""

    @classmethod
    def setUpClass(cls):
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        cls.server.start()
        host, port = cls.server.get_host_and_port()
        cls.url = "http://%s:%d" % (host, port)
        cls.logs = boto3.client("logs", endpoint_url=cls.url, region_name="us-east-1",
                                aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        now = int(time.time() * 1000)
        for group, lines in (
                ("sluice-dev-ObjectsLogs-1Q2W3E4R5T6Y", ["START RequestId: r-1 Version: $LATEST",
                                                         '{"level":"INFO","message":"request","function_request_id":"r-1"}',
                                                         "REPORT RequestId: r-1\tDuration: 1.00 ms"]),
                ("sluice-dev-MessagesLogs-ZXCVBNM12345", ["START RequestId: r-2 Version: $LATEST"]),
                ("sluice-prod-ObjectsLogs-POIUYTREWQ00", ["START RequestId: prod Version: $LATEST"])):
            cls.logs.create_log_group(logGroupName=group)
            cls.logs.create_log_stream(logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc")
            cls.logs.put_log_events(logGroupName=group, logStreamName="2026/01/01/[$LATEST]abc",
                                    logEvents=[{"timestamp": now + i, "message": m}
                                               for i, m in enumerate(lines)])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_stage_groups_found_by_prefix(self):
        r = sluice_logs(self.url, "--since", "10m")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ObjectsFunction START RequestId: r-1", r.stdout)
        self.assertIn("MessagesFunction START RequestId: r-2", r.stdout)
        self.assertNotIn("prod", r.stdout)
        r = sluice_logs(self.url, "--stage", "prod", "--function", "ObjectsFunction")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("RequestId: prod", r.stdout)

    def test_request_id(self):
        r = sluice_logs(self.url, "--request-id", "r-1", "--function", "ObjectsFunction")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 3)

    def test_follow(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=self.url)
        p = subprocess.Popen([SLUICE, "logs", "--follow", "--interval", "200", "--function",
                              "MessagesFunction", "--template", os.path.join(ROOT, "infra", "template.yaml")],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.logs.put_log_events(logGroupName="sluice-dev-MessagesLogs-ZXCVBNM12345",
                                     logStreamName="2026/01/01/[$LATEST]abc",
                                     logEvents=[{"timestamp": int(time.time() * 1000), "message": "later"}])
            time.sleep(1.5)
        finally:
            p.terminate()
            out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out.count("START RequestId: r-2"), 1)
        self.assertIn("MessagesFunction later", out)


@needs_build
@unittest.skipUnless(ThreadedMotoServer is not None, "needs moto")
class LogsApiAgainstMotoTest(unittest.TestCase):
    """One scenario, run against moto and against the local endpoint: same answers."""

    def scenario(self, logs):
        now = int(time.time() * 1000)
        logs.create_log_group(logGroupName="/aws/lambda/Compare")
        logs.create_log_stream(logGroupName="/aws/lambda/Compare", logStreamName="s1")
        logs.create_log_stream(logGroupName="/aws/lambda/Compare", logStreamName="s2")
        logs.put_log_events(logGroupName="/aws/lambda/Compare", logStreamName="s1", logEvents=[
            {"timestamp": now, "message": "ERROR disk full"},
            {"timestamp": now + 1, "message": "INFO all good"},
            {"timestamp": now + 3, "message": "Task timed out after 3.00 seconds"}])
        logs.put_log_events(logGroupName="/aws/lambda/Compare", logStreamName="s2", logEvents=[
            {"timestamp": now + 2, "message": "ERROR again"}])
        try:
            logs.create_log_group(logGroupName="/aws/lambda/Compare")
            dup = None
        except Exception as e:  # noqa: BLE001
            dup = e.response["Error"]["Code"]
        groups = [g["logGroupName"] for g in
                  logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/Comp")["logGroups"]]
        streams = [s["logStreamName"] for s in
                   logs.describe_log_streams(logGroupName="/aws/lambda/Compare")["logStreams"]]
        head = logs.get_log_events(logGroupName="/aws/lambda/Compare", logStreamName="s1",
                                   startFromHead=True)
        tail = logs.get_log_events(logGroupName="/aws/lambda/Compare", logStreamName="s1", limit=1)
        end = logs.get_log_events(logGroupName="/aws/lambda/Compare", logStreamName="s1",
                                  nextToken=head["nextForwardToken"])
        terms = logs.filter_log_events(logGroupName="/aws/lambda/Compare", filterPattern="ERROR")
        phrase = logs.filter_log_events(logGroupName="/aws/lambda/Compare",
                                        filterPattern='"Task timed out"')
        one = logs.filter_log_events(logGroupName="/aws/lambda/Compare", logStreamNames=["s2"])
        return {
            "duplicate": dup,
            "groups": groups,
            "streams": streams,
            "head": [e["message"] for e in head["events"]],
            "head_keys": sorted(head["events"][0]),
            "tail": [e["message"] for e in tail["events"]],
            "end": [e["message"] for e in end["events"]],
            "end_token_repeats": end["nextForwardToken"] == head["nextForwardToken"],
            "terms": [e["message"] for e in terms["events"]],
            "terms_keys": sorted(k for k in terms["events"][0] if k != "eventId"),
            "phrase": [e["message"] for e in phrase["events"]],
            "one": [(e["logStreamName"], e["message"]) for e in one["events"]],
        }

    def test_same_answers(self):
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        tmp = tempfile.mkdtemp(prefix="sluice-logs-moto-")
        cloud = None
        try:
            host, port = server.get_host_and_port()
            moto_logs = boto3.client("logs", endpoint_url="http://%s:%d" % (host, port),
                                     region_name="us-east-1", aws_access_key_id=KEY_ID,
                                     aws_secret_access_key=SECRET)
            cloud = LocalCloud(tmp)
            expected = self.scenario(moto_logs)
            got = self.scenario(client(cloud, "logs"))
            self.assertEqual(got, expected)
            self.assertEqual(expected["terms"], ["ERROR disk full", "ERROR again"])
        finally:
            if cloud:
                cloud.stop()
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
