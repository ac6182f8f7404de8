// The site in a real browser: Debian's chromium driven by playwright-core,
// headless and kept off the network, against a `sluice dev` this script
// starts on free ports (and stops, also when it fails or times out).
//
//   node tests/e2e/site.mjs            (make test runs it through
//                                       tests/protocol/test_web_browser.py)
//
// Environment: SLUICE_BUILD (default build: build/sluice and the function
// binaries), E2E_OUT (default build/test-logs/e2e: screenshots,
// results.json). The site must be built (make web). Each scenario prints
// "ok - name" or "not ok - name: why"; the last line is "e2e: N passed, N failed".
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const BUILD = resolve(ROOT, process.env.SLUICE_BUILD || "build");
const OUT = resolve(ROOT, process.env.E2E_OUT || join(BUILD, "test-logs", "e2e"));
const DEADLINE_MS = 90_000; // the whole suite; it stops everything past this
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
  "--disable-default-apps", "--disable-extensions", "--no-pings",
];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const assert = (cond, why) => {
  if (!cond) throw new Error(why);
};

/* One `sluice dev`, started and stopped by the suite. */
class Sluice {
  constructor(ports, dataDir) {
    this.ports = ports;
    this.dataDir = dataDir;
    this.proc = null;
    this.log = "";
  }

  async start() {
    const { api, aws, web } = this.ports;
    this.proc = spawn(join(BUILD, "sluice"), [
      "dev", "--port", String(api), "--aws-port", String(aws), "--web-port", String(web),
      "--data-dir", this.dataDir, "--build-dir", BUILD, "--no-watch",
      "--parameter-overrides", `LocalSiteOrigin=http://127.0.0.1:${web}`,
    ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const proc = this.proc;
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("sluice dev did not start:\n" + this.log)), 20_000);
      const seen = (chunk) => {
        this.log += chunk;
        if (this.log.includes("sluice dev: ready")) {
          clearTimeout(timer);
          ok();
        }
      };
      proc.stdout.on("data", seen);
      proc.stderr.on("data", (c) => { this.log += c; });
      proc.on("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`sluice dev exited (${code}):\n${this.log}`));
      });
    });
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    this.proc = null;
    await new Promise((ok) => {
      p.once("exit", ok);
      p.kill("SIGTERM");
      setTimeout(() => p.kill("SIGKILL"), 5_000).unref();
    });
  }
}

const ports = { api: await freePort(), aws: await freePort(), web: await freePort() };
const SITE = `http://127.0.0.1:${ports.web}`;
const API = `http://127.0.0.1:${ports.api}`;
const work = await mkdtemp(join(tmpdir(), "sluice-e2e-"));
const sluice = new Sluice(ports, join(work, "data"));
let context = null;

async function cleanup() {
  await context?.close().catch(() => {});
  await sluice.stop();
  await rm(work, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  console.log(`not ok - the suite passed its ${DEADLINE_MS / 1000} s deadline`);
  await cleanup();
  process.exit(2);
}, DEADLINE_MS);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, async () => { await cleanup(); process.exit(1); });

/* A page that records console errors, uncaught errors and CSP violations. */
async function newPage(width = 1280) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.problems = [];
  page.on("console", (m) => { if (m.type() === "error") page.problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => page.problems.push("page error: " + e.message));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

async function count(page) {
  await page.waitForFunction(() => /^[0-9,]+$/.test(document.getElementById("count")?.textContent ?? ""));
  return Number((await page.textContent("#count")).replace(/,/g, ""));
}

async function shot(page, name) {
  for (const width of [1280, 320]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(OUT, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function postThroughForm(page, text) {
  await page.fill("#message", text);
  await page.click("#post-button");
  await page.waitForURL(/\/messages\/[0-9a-f-]{36}$/);
  await page.waitForSelector("#message-result .message-text");
  return page.url().split("/").pop();
}

const figures = {};
const scenarios = [];
const scenario = (name, fn) => scenarios.push({ name, fn });

scenario("loads with no console error, no CSP violation, and the security headers", async () => {
  const page = await newPage();
  const res = await page.goto(SITE + "/");
  const h = res.headers();
  assert(res.status() === 200, `GET / answered ${res.status()}`);
  const csp = h["content-security-policy"] || "";
  for (const part of ["default-src 'self'", `connect-src 'self' ${API}`, "frame-ancestors 'none'"])
    assert(csp.includes(part), `CSP ${JSON.stringify(csp)} lacks ${part}`);
  assert(/max-age=\d+/.test(h["strict-transport-security"] || ""), "no Strict-Transport-Security");
  assert(h["x-content-type-options"] === "nosniff", "no X-Content-Type-Options: nosniff");
  assert(h["referrer-policy"], "no Referrer-Policy");
  assert(h["x-frame-options"] === "DENY", "no X-Frame-Options: DENY");
  await count(page);
  const fcp = await page.evaluate(() =>
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null);
  const ready = await page.evaluate(() => performance.now());
  figures.firstContentfulPaintMs = fcp === null ? null : Math.round(fcp);
  figures.countShownMs = Math.round(ready);
  const wide = await page.evaluate(() => {
    return document.documentElement.scrollWidth;
  });
  assert(wide <= 1280, "horizontal scroll at 1280 px");
  await page.setViewportSize({ width: 320, height: 900 });
  const narrow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(narrow <= 320, `the page is ${narrow} px wide at 320 px`);
  await shot(page, "home");
  assert(page.problems.length === 0, page.problems.join("\n"));
  await page.close();
});

let posted = null;
scenario("posting a message adds one to the count and reads it back by id", async () => {
  const page = await newPage();
  await page.goto(SITE + "/");
  const before = await count(page);
  const text = "Hello from the browser: café, 東京, 🚀";
  const id = await postThroughForm(page, text);
  assert(await page.textContent("#message-result .message-text") === text, "the message read back differs");
  await page.waitForFunction((n) => document.getElementById("count")?.textContent === String(n), before + 1);
  assert(await page.inputValue("#message") === "", "the form was not cleared after the post");
  posted = { id, text };
  await shot(page, "message");
  assert(page.problems.length === 0, page.problems.join("\n"));
  await page.close();
});

scenario("a deep link /messages/<id> survives a reload; an unknown id shows the API's 404", async () => {
  assert(posted, "needs the message posted by the previous scenario");
  const page = await newPage();
  const res = await page.goto(`${SITE}/messages/${posted.id}`);
  assert(res.status() === 200 && res.headers()["content-type"].startsWith("text/html"),
    `the deep link answered ${res.status()} ${res.headers()["content-type"]}`);
  await page.waitForSelector("#message-result .message-text");
  assert(await page.textContent("#message-result .message-text") === posted.text, "wrong message");
  await page.reload();
  await page.waitForSelector("#message-result .message-text");
  assert(await page.textContent("#message-result .message-text") === posted.text, "wrong message after reload");
  await page.goto(`${SITE}/messages/00000000-0000-4000-8000-000000000000`);
  await page.waitForSelector("#read-status .error");
  const err = await page.textContent("#read-status .error");
  assert(err.includes("no message has this id") && err.includes("404"), `the 404 reads ${JSON.stringify(err)}`);
  await shot(page, "not-found");
  // The only console error allowed is the browser's own line for the 404 fetch.
  const others = page.problems.filter((p) => !/status of 404/.test(p));
  assert(others.length === 0, others.join("\n"));
  await page.close();
});

scenario("4,096 characters of multi-byte text post; 4,097 are refused before sending", async () => {
  const page = await newPage();
  await page.goto(SITE + "/");
  const before = await count(page);
  const text = "é".repeat(1024) + "€".repeat(1024) + "😀".repeat(2048); // 2-, 3- and 4-byte UTF-8
  await page.fill("#message", text);
  assert((await page.textContent("#message-length")).startsWith("4,096 of 4,096"), "counter at 4,096");
  const id = await postThroughForm(page, text);
  assert(await page.textContent("#message-result .message-text") === text, "4,096 characters read back differ");
  await page.waitForFunction((n) => document.getElementById("count")?.textContent === String(n), before + 1);
  const requests = [];
  page.on("request", (r) => { if (r.method() === "POST") requests.push(r.url()); });
  await page.fill("#message", text + "😀");
  const counter = await page.textContent("#message-length");
  assert(counter.includes("4,097 of 4,096") && counter.includes("1 too many"), `counter reads ${counter}`);
  assert(await page.getAttribute("#message", "aria-invalid") === "true", "not marked invalid");
  await page.click("#post-button");
  await page.waitForSelector("#post-status .error");
  assert((await page.textContent("#post-status .error")).includes("too long"), "no too-long message");
  assert(requests.length === 0, "a 4,097-character message was sent");
  assert(await page.inputValue("#message") === text + "😀", "the form lost its text");
  // The API draws the same line: 4,097 four-byte characters are refused with its message.
  const r = await page.evaluate(async (api) => {
    const res = await fetch(api + "/messages", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "😀".repeat(4097) }) });
    return [res.status, await res.text()];
  }, API + "/dev");
  assert(r[0] === 400 && r[1].includes("longer than 4096"), `the API answered ${r}`);
  void id;
  await page.close();
});

scenario("keyboard only: the form can be filled and sent", async () => {
  const page = await newPage();
  await page.goto(SITE + "/");
  await count(page);
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(() => document.activeElement?.id) === "message") break;
  }
  assert(await page.evaluate(() => document.activeElement?.id) === "message", "Tab never reached the message");
  assert(await page.evaluate(() => document.querySelector("label[for=message]")?.textContent) === "Message",
    "the textarea has no label");
  await page.keyboard.type("typed by keyboard alone");
  await page.keyboard.press("Tab");
  assert(await page.evaluate(() => document.activeElement?.id) === "post-button", "Tab did not reach Post");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/messages\/[0-9a-f-]{36}$/);
  await page.waitForSelector("#message-result .message-text");
  assert(await page.textContent("#message-result .message-text") === "typed by keyboard alone", "not posted");
  assert(await page.evaluate(() => document.activeElement?.id) === "message-heading", "focus did not move to the message");
  await page.close();
});

scenario("with the API stopped the failure shows and the text stays; retry works once it is back", async () => {
  const page = await newPage();
  await page.goto(SITE + "/");
  const before = await count(page);
  await sluice.stop();
  const text = "written while the API was down";
  await page.fill("#message", text);
  await page.click("#post-button");
  await page.waitForSelector("#post-status .error");
  const err = await page.textContent("#post-status .error");
  assert(err.includes("Could not reach the API"), `the failure reads ${JSON.stringify(err)}`);
  assert(await page.inputValue("#message") === text, "the form lost its text");
  await shot(page, "api-down");
  await sluice.start();
  await page.click("#post-status button.retry");
  await page.waitForURL(/\/messages\/[0-9a-f-]{36}$/);
  await page.waitForSelector("#message-result .message-text");
  assert(await page.textContent("#message-result .message-text") === text, "the retried post differs");
  await page.waitForFunction((n) => document.getElementById("count")?.textContent === String(n), before + 1);
  await page.close();
});

let failed = 0;
const results = [];
const t0 = Date.now();
try {
  await mkdir(OUT, { recursive: true });
  await sluice.start();
  context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    serviceWorkers: "block",
  });
  for (const s of scenarios) {
    const start = Date.now();
    try {
      await s.fn();
      results.push({ name: s.name, ok: true, ms: Date.now() - start });
      console.log(`ok - ${s.name} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      results.push({ name: s.name, ok: false, ms: Date.now() - start, error: String(e.stack || e) });
      console.log(`not ok - ${s.name}: ${e.stack || e}`);
      if (!sluice.proc) await sluice.start().catch(() => {});
    }
  }
} catch (e) {
  failed = scenarios.length;
  console.log(`not ok - the suite could not start: ${e.stack || e}`);
} finally {
  figures.suiteSeconds = (Date.now() - t0) / 1000;
  await writeFile(join(OUT, "results.json"), JSON.stringify({ results, figures }, null, 2));
  await cleanup();
  clearTimeout(watchdog);
}
console.log(`figures: ${JSON.stringify(figures)}`);
console.log(`e2e: ${scenarios.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
