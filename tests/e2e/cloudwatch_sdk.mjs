// The local CloudWatch through the AWS SDK for JavaScript v3 (its metrics
// client speaks JSON 1.0, awsQueryCompatible; its Logs client JSON 1.1).
// Not a dependency of the project: run by tests/protocol/
// test_local_cloudwatch.py only when SLUICE_JS_SDK_DIR names a folder whose
// node_modules has @aws-sdk/client-cloudwatch and -logs. Prints one JSON
// object of what it saw.
//
//   SLUICE_JS_SDK_DIR=/tmp/sdk ENDPOINT=http://127.0.0.1:4566 node tests/e2e/cloudwatch_sdk.mjs
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.SLUICE_JS_SDK_DIR, "package.json"));
const m = require("@aws-sdk/client-cloudwatch");
const l = require("@aws-sdk/client-cloudwatch-logs");

const cfg = {
  endpoint: process.env.ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET },
};
const cw = new m.CloudWatchClient(cfg);
const logs = new l.CloudWatchLogsClient(cfg);
const out = {};

await cw.send(new m.PutMetricDataCommand({
  Namespace: "js/sdk",
  MetricData: [{ MetricName: "Hits", Value: 3, Unit: "Count", Timestamp: new Date() }],
}));
out.lambdaMetrics = (await cw.send(new m.ListMetricsCommand({ Namespace: "AWS/Lambda" }))).Metrics.length;
const data = await cw.send(new m.GetMetricDataCommand({
  StartTime: new Date(Date.now() - 600e3),
  EndTime: new Date(Date.now() + 60e3),
  MetricDataQueries: [{ Id: "h", MetricStat: { Metric: { Namespace: "js/sdk", MetricName: "Hits" }, Period: 60, Stat: "Sum" } }],
}));
out.values = data.MetricDataResults[0].Values;
out.alarms = (await cw.send(new m.DescribeAlarmsCommand({}))).MetricAlarms.map((a) => a.AlarmName);
out.groups = (await logs.send(new l.DescribeLogGroupsCommand({}))).logGroups.map((g) => g.logGroupName);
out.infoLines = (await logs.send(new l.FilterLogEventsCommand({
  logGroupName: "sluice-dev-ObjectsLogs",
  filterPattern: '{ $.level = "INFO" }',
}))).events.length;
try {
  await cw.send(new m.DescribeAlarmsCommand({ MaxRecords: 0 }));
  out.error = "none";
} catch (e) {
  out.error = e.name;
  out.errorStatus = e.$metadata.httpStatusCode;
}
console.log(JSON.stringify(out));
