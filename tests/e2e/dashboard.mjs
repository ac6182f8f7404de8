// The sluice dev dashboard (/_sluice/) in a real browser: Debian's chromium
// driven by playwright-core, headless and off the network, against a
// `sluice dev` this script starts on free ports and stops.
//
//   node tests/e2e/dashboard.mjs     (make test runs it through
//                                     tests/protocol/test_dashboard_browser.py)
//
// Scenarios: the page loads with nothing from elsewhere and no CSP
// violation; requests appear live (the time from an answer reaching the
// client to its row in the page is measured: the update latency); one
// request opens with its event, its log lines and its AWS calls; routes are
// charted; alarms are listed; an error thrown in the website reaches the
// dashboard through POST /client-events. Environment: SLUICE_BUILD, E2E_OUT
// (default build/test-logs/e2e), CHROMIUM. Results go to
// dashboard-results.json; the last line is "e2e: N passed, N failed".
import { createHash, createHmac } from "node:crypto";
import { join } from "node:path";
import { assert, newPage as harnessPage, OUT, runSuite, Sluice, suitePlace } from "./harness.mjs";

const SAMPLES = 20; // requests whose update latency is measured
const { ports, work } = await suitePlace("sluice-dash-");
const API = `http://127.0.0.1:${ports.api}`;
const DASH = `http://127.0.0.1:${ports.aws}/_sluice/`;
const SITE = `http://127.0.0.1:${ports.web}`;
const sluice = new Sluice(ports, join(work, "data"), { SLUICE_DEV_ALARM_EVAL_MS: "500" });

/* The harness's page, which here also counts any HTTP error as a problem. */
async function newPage() {
  const page = await harnessPage();
  page.on("response", (r) => { if (r.status() >= 400) page.problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  return page;
}

/* The dashboard, live: rows are timed as they are added (Date.now(), the clock node reads too). */
async function openDashboard() {
  const page = await newPage();
  await page.addInitScript(() => {
    window.__seen = {};
    new MutationObserver((muts) => {
      const now = Date.now();
      for (const m of muts)
        for (const n of m.addedNodes)
          if (n.dataset && n.dataset.id && !(n.dataset.id in window.__seen)) window.__seen[n.dataset.id] = now;
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(DASH);
  await page.waitForFunction(() => document.body.dataset.live === "connected" && document.body.dataset.ready === "yes");
  return page;
}

async function call(method, path, body) {
  const sent = Date.now();
  const r = await fetch(API + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  await r.arrayBuffer();
  return { status: r.status, id: r.headers.get("apigw-requestid"), sent, at: Date.now() };
}

/*
 * A GET signed with SigV4 for execute-api (the preferences routes use
 * AWS_IAM), with sluice dev's default local credentials.
 */
async function signedGet(path) {
  const host = new URL(API).host;
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/execute-api/aws4_request`;
  const sha = (s) => createHash("sha256").update(s).digest("hex");
  const hmac = (k, s) => createHmac("sha256", k).update(s).digest();
  const canonical = ["GET", path, "", `host:${host}`, `x-amz-date:${amzDate}`, "", "host;x-amz-date", sha("")].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha(canonical)].join("\n");
  let key = hmac("AWS4sluice-local", amzDate.slice(0, 8));
  for (const part of ["us-east-1", "execute-api", "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  const r = await fetch(API + path, {
    headers: {
      "x-amz-date": amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=sluice/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    },
  });
  await r.arrayBuffer();
  return { status: r.status, id: r.headers.get("apigw-requestid") };
}

const figures = {};
const scenarios = [];
const scenario = (name, fn) => scenarios.push({ name, fn });
let dash = null;

scenario("the dashboard loads from sluice dev alone, with no console error and no CSP violation", async () => {
  dash = await openDashboard();
  const res = await dash.goto(DASH);
  assert(res.status() === 200, `GET /_sluice/ answered ${res.status()}`);
  assert((res.headers()["content-security-policy"] || "").includes("default-src 'self'"), "no CSP on the page");
  await dash.waitForFunction(() => document.body.dataset.live === "connected" && document.body.dataset.ready === "yes");
  await dash.screenshot({ path: join(OUT, "dashboard-empty.png"), fullPage: true });
  assert(dash.elsewhere.length === 0, "requests elsewhere: " + dash.elsewhere.join(", "));
  assert(dash.problems.length === 0, dash.problems.join("\n"));
});

/*
 * The update latency: from the moment the client has its answer to the row
 * in the page (negative: the row came first), and from the moment the
 * request was sent (the request's own time included).
 */
scenario("requests appear live, each within 100 ms of its answer (median)", async () => {
  const afterAnswer = [], afterSend = [];
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (let i = 0; i < SAMPLES; i++) {
    const r = await call("GET", "/health");
    assert(r.status === 200 && r.id, `GET /health answered ${r.status}`);
    await dash.waitForFunction((id) => id in window.__seen, r.id, { polling: "raf", timeout: 5000 });
    const seen = await dash.evaluate((id) => window.__seen[id], r.id);
    afterAnswer.push(seen - r.at);
    afterSend.push(seen - r.sent);
  }
  figures.updateAfterAnswerMedianMs = median(afterAnswer);
  figures.updateAfterAnswerMaxMs = Math.max(...afterAnswer);
  figures.updateAfterSendMedianMs = median(afterSend);
  figures.updateSamples = afterAnswer.length;
  assert(figures.updateAfterAnswerMedianMs <= 100, `median update latency ${figures.updateAfterAnswerMedianMs} ms`);
  const row = await dash.textContent(`tr[data-id="${(await call("GET", "/health")).id}"]`, { timeout: 5000 }).catch(() => "");
  assert(row.includes("/health") && row.includes("200"), `the row reads ${JSON.stringify(row)}`);
});

scenario("a request opens with its event, its log lines and its DynamoDB call", async () => {
  const r = await call("POST", "/messages", { message: "from the dashboard test" });
  assert(r.status === 201, `POST /messages answered ${r.status}`);
  await dash.click(`tr[data-id="${r.id}"]`);
  await dash.waitForFunction((id) => document.body.dataset.detail === id, r.id);
  await dash.waitForFunction(() => document.querySelectorAll("#waterfall .call").length > 0, null, { timeout: 5000 });
  const event = await dash.textContent("#detail-event");
  assert(event.includes('"rawPath": "/messages"'), "the event is not shown");
  assert(event.includes("from the dashboard test"), "the event's body is not shown");
  const lines = await dash.textContent("#detail-lines");
  for (const want of [`START RequestId: ${r.id}`, '"message":"request"', "REPORT RequestId"])
    assert(lines.includes(want), `the log lines lack ${want}`);
  const calls = await dash.textContent("#waterfall");
  assert(calls.includes("dynamodb TransactWriteItems"), `the AWS calls read ${JSON.stringify(calls)}`);
  await dash.screenshot({ path: join(OUT, "dashboard-request.png"), fullPage: true });
});

scenario("a request opens with its PostgreSQL statement, its text without values", async () => {
  const r = await signedGet("/preferences/e2e-nobody");
  assert(r.status === 404, `GET /preferences/e2e-nobody answered ${r.status}`);
  await dash.click(`tr[data-id="${r.id}"]`);
  await dash.waitForFunction((id) => document.body.dataset.detail === id, r.id);
  await dash.waitForFunction(() => document.getElementById("waterfall").textContent.includes("postgres SELECT"),
    null, { timeout: 5000 });
  const calls = await dash.textContent("#waterfall");
  assert(calls.includes("postgres SELECT sluice → ok"), `the calls read ${JSON.stringify(calls)}`);
  const sql = await dash.textContent("#waterfall .call .sql");
  assert(sql.includes("FROM preferences WHERE user_id = $1"), `the statement reads ${JSON.stringify(sql)}`);
  const rows = await dash.$$eval("#waterfall .call", (els) => els.map((e) => e.textContent).join("\n"));
  assert(!rows.includes("e2e-nobody"), `a parameter's value is shown: ${JSON.stringify(rows)}`);
  await dash.screenshot({ path: join(OUT, "dashboard-statement.png"), fullPage: true });
});

scenario("routes are charted with requests, errors and latency", async () => {
  await call("GET", "/nope");
  await dash.waitForSelector('[data-route="GET /health"] svg polyline', { state: "attached", timeout: 5000 });
  const text = await dash.textContent('[data-route="GET /health"]');
  assert(/\d+ requests, \d+ errors/.test(text) && text.includes("p99"), `the route reads ${JSON.stringify(text)}`);
});

scenario("the template's alarms are listed with their states", async () => {
  await dash.waitForSelector('#alarms li[data-alarm="sluice-dev-Api5xxAlarm"]');
  const states = await dash.$$eval("#alarms li", (lis) => lis.map((li) => [li.dataset.alarm, li.dataset.state]));
  assert(states.length >= 8, `${states.length} alarms listed`);
  const canary = states.find(([n]) => n === "sluice-dev-CanaryFailedAlarm");
  assert(canary && canary[1] === "INSUFFICIENT_DATA", "the canary's alarm is evaluated locally");
});

scenario("an error thrown in the website reaches the dashboard through /client-events", async () => {
  const site = await newPage();
  await site.goto(SITE + "/");
  await site.waitForFunction(() => document.body.dataset.api === "ready");
  await site.evaluate(() => setTimeout(() => { throw new Error("e2e: thrown in the site"); }, 0));
  await site.waitForTimeout(100);
  await site.close({ runBeforeUnload: true }); // pagehide sends what waits (keepalive)
  await dash.waitForFunction(() => document.getElementById("client-errors").textContent.includes("e2e: thrown in the site"),
    null, { timeout: 10000 });
  await dash.screenshot({ path: join(OUT, "dashboard-client-error.png"), fullPage: true });
  assert(dash.problems.length === 0, dash.problems.join("\n"));
});

await runSuite({ scenarios, figures, sluice, work, resultsFile: "dashboard-results.json" });
