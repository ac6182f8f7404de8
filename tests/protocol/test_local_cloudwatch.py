"""The local CloudWatch of `sluice dev` (src/local/cloudwatch/) through the
clients people use: boto3 and awscli for CloudWatch Logs (JSON 1.1) and for
CloudWatch metrics (botocore speaks Smithy RPC v2 CBOR to it), JSON 1.0 and
query-protocol requests signed by hand for the older SDKs, the AWS SDK for
JavaScript v3 when SLUICE_JS_SDK_DIR points at an install of it (JSON 1.0;
not a dependency of the project), and moto as a second opinion on the Logs
API's shapes.

Checked: the template's log groups (local names, retention), one stream per
worker named as Lambda names them, START / the function's JSON lines with
Powertools' keys / EMF / END / REPORT in order, filter patterns, paging as
`aws logs tail` pages, the access log and its metric filter, metrics
recorded as API Gateway and Lambda record them and taken from EMF, metric
math, PutMetricData and GetMetricStatistics, alarms evaluated locally (a
state change logged, DescribeAlarms and DescribeAlarmHistory showing it),
authentication refusals, and logs kept across a restart.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_local_dev import BUILD, KEY_ID, ROOT, SECRET, LocalCloud, boto3, needs_build  # noqa: E402

if boto3 is not None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.exceptions import ClientError

FAKE = os.path.join(BUILD, "tests", "fake_runtime")
OBS_TEMPLATE = os.path.join(ROOT, "tests", "protocol", "local_observability.yaml")
STREAM = re.compile(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$")
NOW = datetime.datetime.now(datetime.timezone.utc)


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.headers.get("apigw-requestid"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("apigw-requestid"), e.read()


def client(cloud, service, key=KEY_ID, secret=SECRET):
    return boto3.client(service, endpoint_url=cloud.aws_url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def signed(cloud, service, body, headers, path="/"):
    """A request signed as the SDKs sign it; (status, headers, body)."""
    req = AWSRequest(method="POST", url=cloud.aws_url + path, data=body, headers=headers)
    SigV4Auth(Credentials(KEY_ID, SECRET), service, "us-east-1").add_auth(req)
    r = urllib.request.Request(req.url, data=body, method="POST", headers=dict(req.headers))
    try:
        with urllib.request.urlopen(r, timeout=20) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_for(fn, timeout=10):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.1)


@needs_build
class LocalCloudWatchTest(unittest.TestCase):
    """sluice dev on infra/template.yaml, after a few requests."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-cw-test-")
        cls.cloud = LocalCloud(cls.tmp, env={"SLUICE_DEV_ALARM_EVAL_MS": "300"})
        api = cls.cloud.api_url
        cls.health = [call(api, "GET", "/health")[1] for _ in range(3)]
        cls.posts = [call(api, "POST", "/messages", {"message": "m%d" % i})[1] for i in range(2)]
        cls.bad = call(api, "POST", "/messages", {"message": ""})[1]
        cls.client_event = call(api, "POST", "/client-events",
                                {"events": [{"type": "error", "message": "TypeError: t", "page": "/"}]})
        cls.logs = client(cls.cloud, "logs")
        cls.cw = client(cls.cloud, "cloudwatch")
        time.sleep(0.3)

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def events(self, group, **kw):
        out = []
        for page in self.logs.get_paginator("filter_log_events").paginate(logGroupName=group, **kw):
            out.extend(page["events"])
        return out

    # ---- Logs ----

    def test_log_groups_from_the_template(self):
        groups = {g["logGroupName"]: g for g in self.logs.describe_log_groups()["logGroups"]}
        for name in ("sluice-dev-ObjectsLogs", "sluice-dev-MessagesLogs", "sluice-dev-ApiAccessLogs"):
            self.assertIn(name, groups)
            self.assertEqual(groups[name]["retentionInDays"], 30)
            self.assertEqual(groups[name]["arn"],
                             "arn:aws:logs:us-east-1:123456789012:log-group:%s:*" % name)
        self.assertEqual(groups["sluice-dev-ApiAccessLogs"]["metricFilterCount"], 1)

    def test_one_stream_per_worker_named_as_lambda_names_it(self):
        streams = self.logs.describe_log_streams(logGroupName="sluice-dev-MessagesLogs")["logStreams"]
        self.assertGreaterEqual(len(streams), 1)
        for s in streams:
            self.assertRegex(s["logStreamName"], STREAM)
            self.assertLessEqual(s["firstEventTimestamp"], s["lastEventTimestamp"])
        by_time = self.logs.describe_log_streams(logGroupName="sluice-dev-MessagesLogs",
                                                 orderBy="LastEventTime", descending=True)
        self.assertEqual(len(by_time["logStreams"]), len(streams))

    def test_an_invocation_reads_as_on_lambda(self):
        rid = self.posts[0]
        evs = [e["message"] for e in self.events("sluice-dev-MessagesLogs", filterPattern='"%s"' % rid)]
        self.assertTrue(evs[0].startswith("START RequestId: %s Version: $LATEST" % rid), evs)
        line = json.loads(next(m for m in evs if m.startswith("{\"timestamp\"")))
        self.assertEqual(line["message"], "request")
        self.assertEqual(line["function_name"], "MessagesFunction")
        self.assertEqual(line["function_request_id"], rid)
        self.assertEqual(line["correlation_id"], rid)
        self.assertEqual(line["service"], "sluice")
        self.assertRegex(line["xray_trace_id"], r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
        self.assertIn(line["cold_start"], (True, False))
        self.assertTrue(evs[-2].startswith("END RequestId: %s" % rid))
        self.assertTrue(evs[-1].startswith("REPORT RequestId: %s\tDuration: " % rid))
        # The EMF document of the same invocation sits between them (no request id in it).
        stream = self.events("sluice-dev-MessagesLogs", filterPattern='"%s"' % rid)[0]["logStreamName"]
        whole = self.logs.get_log_events(logGroupName="sluice-dev-MessagesLogs", logStreamName=stream,
                                         startFromHead=True)["events"]
        texts = [e["message"] for e in whole]
        start = texts.index(evs[0])
        end = texts.index(evs[-2])
        emf = [json.loads(t) for t in texts[start:end] if t.startswith('{"_aws"')]
        self.assertIn("MessagesCreated", [d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for d in emf])

    def test_filter_patterns(self):
        bad = self.events("sluice-dev-MessagesLogs", filterPattern="{ $.status = 400 }")
        self.assertEqual([json.loads(e["message"])["function_request_id"] for e in bad], [self.bad])
        warn = self.events("sluice-dev-MessagesLogs",
                           filterPattern='{ $.level = "WARN" && $.message = "client error" }')
        self.assertEqual(len(warn), 1)
        self.assertEqual(json.loads(warn[0]["message"])["clientEvent"]["text"], "TypeError: t")
        reports = self.events("sluice-dev-ObjectsLogs", filterPattern="REPORT -Init")
        self.assertEqual(len(reports), 2)  # three invocations, the first a cold start
        with self.assertRaises(ClientError) as cm:
            self.logs.filter_log_events(logGroupName="sluice-dev-ObjectsLogs", filterPattern="{ $.x = ")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterException")

    def test_tail_pages_and_follows(self):
        """What `aws logs tail [--follow]` does: interleaved pages from a start time, then
        polls from the newest timestamp seen, leaving out the event ids already shown."""
        group = "sluice-dev-ObjectsLogs"
        start = int((time.time() - 600) * 1000)
        pages = list(self.logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, startTime=start, interleaved=True, PaginationConfig={"PageSize": 3}))
        self.assertGreater(len(pages), 2)
        seen = [e for p in pages for e in p["events"]]
        self.assertEqual(len({e["eventId"] for e in seen}), len(seen))
        self.assertEqual(seen, sorted(seen, key=lambda e: e["timestamp"]))
        newest = max(e["timestamp"] for e in seen)
        again = self.logs.filter_log_events(logGroupName=group, startTime=newest, interleaved=True)
        shown = {e["eventId"] for e in seen}
        self.assertEqual([e for e in again["events"] if e["eventId"] not in shown], [])
        rid = call(self.cloud.api_url, "GET", "/health")[1]
        fresh = wait_for(lambda: [e for e in self.logs.filter_log_events(
            logGroupName=group, startTime=newest, interleaved=True)["events"]
            if e["eventId"] not in shown])
        self.assertTrue(any(rid in e["message"] for e in fresh))

    def test_awscli(self):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=self.cloud.aws_url)
        rid = self.health[1]
        out = subprocess.run(["aws", "logs", "filter-log-events", "--log-group-name",
                              "sluice-dev-ObjectsLogs", "--filter-pattern", '"%s"' % rid],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        msgs = [e["message"] for e in json.loads(out.stdout)["events"]]
        self.assertEqual(len(msgs), 4, msgs)  # START, the request line, END, REPORT
        out = subprocess.run(["aws", "cloudwatch", "describe-alarms", "--alarm-name-prefix",
                              "sluice-dev-Api"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(json.loads(out.stdout)["MetricAlarms"]), 3)

    def test_access_log_and_its_metric_filter(self):
        lines = [json.loads(e["message"]) for e in self.events("sluice-dev-ApiAccessLogs")]
        by_id = {l["requestId"]: l for l in lines}
        self.assertEqual(by_id[self.bad]["status"], 400)
        self.assertEqual(by_id[self.bad]["routeKey"], "POST /messages")
        self.assertEqual(by_id[self.posts[0]]["integrationError"], "-")
        dims = self.cw.list_metrics(Namespace="sluice/sluice-dev", MetricName="Api5xx")["Metrics"]
        self.assertEqual(len(dims), 1)

    def test_auth_refusals(self):
        req = urllib.request.Request(self.cloud.aws_url + "/", data=b"{}", method="POST", headers={
            "X-Amz-Target": "Logs_20140328.DescribeLogGroups",
            "Content-Type": "application/x-amz-json-1.1"})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 400)
        self.assertEqual(json.loads(cm.exception.read())["__type"], "MissingAuthenticationTokenException")
        with self.assertRaises(ClientError) as cm:
            client(self.cloud, "logs", key="nobody").describe_log_groups()
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnrecognizedClientException")
        with self.assertRaises(ClientError) as cm:
            client(self.cloud, "cloudwatch", secret="wrong").list_metrics()
        self.assertEqual(cm.exception.response["Error"]["Code"], "SignatureDoesNotMatch")

    # ---- Metrics ----

    def sum_of(self, ns, name, dims, stat="Sum"):
        r = self.cw.get_metric_data(MetricDataQueries=[{
            "Id": "m", "MetricStat": {"Metric": {"Namespace": ns, "MetricName": name, "Dimensions": [
                {"Name": k, "Value": v} for k, v in dims.items()]}, "Period": 3600, "Stat": stat}}],
            StartTime=NOW - datetime.timedelta(hours=1), EndTime=NOW + datetime.timedelta(hours=1))
        return sum(r["MetricDataResults"][0]["Values"])

    def test_lambda_and_api_gateway_metrics(self):
        self.assertEqual(self.sum_of("AWS/Lambda", "Invocations", {"FunctionName": "ObjectsFunction"}), 3)
        self.assertEqual(self.sum_of("AWS/Lambda", "Errors", {"FunctionName": "MessagesFunction"}), 0)
        # The alias the template publishes (AutoPublishAlias: live) has its own dimension set.
        self.assertEqual(self.sum_of("AWS/Lambda", "Invocations", {
            "FunctionName": "MessagesFunction", "Resource": "MessagesFunction:live"}), 4)
        api = {"ApiId": "sluice-dev-HttpApi", "Stage": "dev", "Route": "POST /messages"}
        self.assertEqual(self.sum_of("AWS/ApiGateway", "Count", api), 3)
        self.assertEqual(self.sum_of("AWS/ApiGateway", "4xx", api), 1)
        self.assertGreater(self.sum_of("AWS/ApiGateway", "Latency", api, "Maximum"), 0)

    def test_emf_metrics(self):
        ns = "sluice/sluice-dev"
        self.assertEqual(self.sum_of(ns, "MessagesCreated", {"service": "sluice"}), 2)
        self.assertEqual(self.sum_of(ns, "ClientErrors", {"service": "sluice"}), 1)
        self.assertEqual(self.sum_of(ns, "ColdStart", {"service": "sluice", "function_name": "ObjectsFunction"}), 1)

    def test_metric_math(self):
        r = self.cw.get_metric_data(MetricDataQueries=[
            {"Id": "bad", "ReturnData": False, "MetricStat": {"Metric": {
                "Namespace": "AWS/ApiGateway", "MetricName": "4xx", "Dimensions": [
                    {"Name": "ApiId", "Value": "sluice-dev-HttpApi"}]}, "Period": 3600, "Stat": "Sum"}},
            {"Id": "all", "ReturnData": False, "MetricStat": {"Metric": {
                "Namespace": "AWS/ApiGateway", "MetricName": "Count", "Dimensions": [
                    {"Name": "ApiId", "Value": "sluice-dev-HttpApi"}]}, "Period": 3600, "Stat": "Sum"}},
            {"Id": "rate", "Expression": "100 * bad / all", "Label": "4xx rate"}],
            StartTime=NOW - datetime.timedelta(hours=1), EndTime=NOW + datetime.timedelta(hours=1))
        (res,) = r["MetricDataResults"]
        self.assertEqual(res["Label"], "4xx rate")
        self.assertGreater(sum(res["Values"]), 0)

    def test_put_metric_data_and_statistics(self):
        ts = NOW.replace(second=0, microsecond=0)
        self.cw.put_metric_data(Namespace="Test/Put", MetricData=[
            {"MetricName": "Latency", "Dimensions": [{"Name": "Route", "Value": "GET /x"}],
             "Timestamp": ts, "Values": [10, 20, 30], "Counts": [1, 1, 2], "Unit": "Milliseconds"}])
        r = self.cw.get_metric_statistics(
            Namespace="Test/Put", MetricName="Latency", Dimensions=[{"Name": "Route", "Value": "GET /x"}],
            StartTime=ts - datetime.timedelta(minutes=5), EndTime=ts + datetime.timedelta(minutes=5),
            Period=60, Statistics=["SampleCount", "Sum", "Maximum"], ExtendedStatistics=["p50"])
        (dp,) = r["Datapoints"]
        self.assertEqual(dp["SampleCount"], 4)
        self.assertEqual(dp["Sum"], 90)
        self.assertEqual(dp["Maximum"], 30)
        self.assertEqual(dp["ExtendedStatistics"]["p50"], 20)
        self.assertEqual(dp["Unit"], "Milliseconds")
        self.assertEqual(dp["Timestamp"], ts)
        with self.assertRaises(ClientError) as cm:
            self.cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{"MetricName": "x", "Value": 1}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValue")

    def test_json_and_query_protocols(self):
        """The same ListMetrics in JSON 1.0 and in the query protocol (XML), and an error in each."""
        status, _, body = signed(self.cloud, "monitoring", json.dumps(
            {"Namespace": "sluice/sluice-dev", "MetricName": "MessagesCreated"}).encode(), {
            "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
            "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)["Metrics"]), 1)
        status, _, body = signed(self.cloud, "monitoring",
                                 b"Action=ListMetrics&Version=2010-08-01&Namespace=sluice%2Fsluice-dev"
                                 b"&MetricName=MessagesCreated",
                                 {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 200)
        self.assertIn(b"<ListMetricsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">", body)
        self.assertIn(b"<MetricName>MessagesCreated</MetricName>", body)
        status, headers, body = signed(self.cloud, "monitoring", b"{}", {
            "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData",
            "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 400)
        self.assertEqual(headers["x-amzn-query-error"], "MissingParameter;Sender")
        status, _, body = signed(self.cloud, "monitoring", b"Action=Nope&Version=2010-08-01",
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>InvalidAction</Code>", body)

    @unittest.skipUnless(os.path.isdir(os.path.join(os.environ.get("SLUICE_JS_SDK_DIR", "/nonexistent"),
                                                    "node_modules", "@aws-sdk", "client-cloudwatch")),
                         "set SLUICE_JS_SDK_DIR to a folder with @aws-sdk/client-cloudwatch(-logs) installed")
    def test_javascript_sdk_v3(self):
        env = dict(os.environ, ENDPOINT=self.cloud.aws_url, KEY_ID=KEY_ID, SECRET=SECRET)
        r = subprocess.run(["node", os.path.join(ROOT, "tests", "e2e", "cloudwatch_sdk.mjs")], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertGreater(seen["lambdaMetrics"], 0)
        self.assertEqual(seen["values"], [3])
        self.assertIn("sluice-dev-FunctionErrorsAlarm", seen["alarms"])
        self.assertIn("sluice-dev-ObjectsLogs", seen["groups"])
        self.assertGreater(seen["infoLines"], 0)
        self.assertEqual((seen["error"], seen["errorStatus"]), ("InvalidParameterValueException", 400))

    def test_template_alarms(self):
        alarms = {a["AlarmName"]: a for a in self.cw.describe_alarms()["MetricAlarms"]}
        # The template's alarms but the database's own (HasDatabaseAlarms: a stage with
        # an instance on AWS), which a local stage does not create.
        self.assertEqual(len(alarms), 12)
        self.assertIn("sluice-dev-ImportErrorsAlarm", alarms)
        self.assertIn("sluice-dev-VendorListBreakerAlarm", alarms)
        self.assertNotIn("sluice-dev-DatabaseCpuAlarm", alarms)
        self.assertEqual(alarms["sluice-dev-FunctionErrorsAlarm"]["Dimensions"],
                         [{"Name": "FunctionName", "Value": "ObjectsFunction"}])
        ok = wait_for(lambda: all(a["StateValue"] == "OK" for n, a in (
            (a["AlarmName"], a) for a in self.cw.describe_alarms()["MetricAlarms"])
            if n != "sluice-dev-CanaryFailedAlarm"))
        self.assertTrue(ok)
        canary = alarms["sluice-dev-CanaryFailedAlarm"]
        self.assertEqual(canary["StateValue"], "INSUFFICIENT_DATA")
        self.assertIn("Not evaluated locally", canary["StateReason"])
        rate = alarms["sluice-dev-ClientErrorRateAlarm"]
        self.assertEqual([m["Id"] for m in rate["Metrics"]], ["errors", "loads", "rate"])


@needs_build
@unittest.skipUnless(os.access(FAKE, os.X_OK), "needs %s" % FAKE)
class LocalAlarmsTest(unittest.TestCase):
    """Alarms evaluated locally on tests/protocol/local_observability.yaml."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sluice-alarms-test-")
        os.makedirs(os.path.join(cls.tmp, "build"))
        shutil.copy2(FAKE, os.path.join(cls.tmp, "build", "fake_runtime"))
        cls.cloud = LocalCloud(cls.tmp, template=OBS_TEMPLATE, env={"SLUICE_DEV_ALARM_EVAL_MS": "200"})
        cls.cw = client(cls.cloud, "cloudwatch")
        cls.logs = client(cls.cloud, "logs")

    @classmethod
    def tearDownClass(cls):
        cls.cloud.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def states(self):
        return {a["AlarmName"]: a["StateValue"] for a in self.cw.describe_alarms()["MetricAlarms"]}

    def test_alarms_fire_and_say_so(self):
        self.assertTrue(wait_for(lambda: self.states()["fail-errors"] == "OK"))
        self.assertEqual(self.states()["not-local"], "INSUFFICIENT_DATA")
        for _ in range(2):
            self.assertEqual(call(self.cloud.api_url, "GET", "/fail")[0], 500)
        self.assertEqual(call(self.cloud.api_url, "GET", "/echo")[0], 200)
        fired = wait_for(lambda: all(self.states()[n] == "ALARM" for n in (
            "fail-errors", "sluice-dev-FiveXxAlarm", "error-rate")), timeout=10)
        self.assertTrue(fired, self.states())
        self.assertTrue(wait_for(lambda: "alarm state changed alarm=fail-errors from=OK to=ALARM"
                                 in self.cloud.stderr()), self.cloud.stderr()[-2000:])
        hist = self.cw.describe_alarm_history(AlarmName="fail-errors")["AlarmHistoryItems"]
        self.assertEqual(hist[0]["HistorySummary"], "Alarm updated from OK to ALARM")
        self.cw.set_alarm_state(AlarmName="fail-errors", StateValue="OK", StateReason="test")
        # The function's own group (LoggingConfig.LogGroup), its retention, and the failure in it.
        groups = {g["logGroupName"]: g for g in self.logs.describe_log_groups()["logGroups"]}
        self.assertEqual(groups["/custom/fail"]["retentionInDays"], 14)
        self.assertEqual(groups["sluice-dev-AccessLogs"]["retentionInDays"], 7)
        self.assertIn("/aws/lambda/EchoFunction", groups)
        reports = self.logs.filter_log_events(logGroupName="/custom/fail",
                                              filterPattern='"Status: error"')["events"]
        self.assertEqual(len(reports), 2)


@needs_build
class LogsKeptAcrossRestartTest(unittest.TestCase):
    def test_restart_keeps_logs(self):
        tmp = tempfile.mkdtemp(prefix="sluice-cw-restart-")
        try:
            cloud = LocalCloud(tmp)
            rid = call(cloud.api_url, "GET", "/health")[1]
            time.sleep(0.2)
            cloud.stop()
            cloud = LocalCloud(tmp)
            try:
                evs = client(cloud, "logs").filter_log_events(
                    logGroupName="sluice-dev-ObjectsLogs", filterPattern='"%s"' % rid)["events"]
                self.assertEqual(len(evs), 4)
            finally:
                cloud.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
