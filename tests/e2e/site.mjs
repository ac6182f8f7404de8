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
import { join } from "node:path";
import { assert, newPage, OUT, runSuite, Sluice, suitePlace } from "./harness.mjs";

const { ports, work } = await suitePlace("sluice-e2e-");
const SITE = `http://127.0.0.1:${ports.web}`;
const API = `http://127.0.0.1:${ports.api}`;
const sluice = new Sluice(ports, join(work, "data"));

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

await runSuite({ scenarios, figures, sluice, work, resultsFile: "results.json" });
