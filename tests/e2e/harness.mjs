// What the browser suites (site.mjs, dashboard.mjs) share: where the build
// and the results are, Debian's chromium kept off the network, one
// `sluice dev` on free ports that the suite starts and always stops, and the
// scenario runner with its deadline, its results file and its last line
// "e2e: N passed, N failed".
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const ROOT = resolve(new URL("../..", import.meta.url).pathname);
export const BUILD = resolve(ROOT, process.env.SLUICE_BUILD || "build");
export const OUT = resolve(ROOT, process.env.E2E_OUT || join(BUILD, "test-logs", "e2e"));
const DEADLINE_MS = 90_000; // a whole suite; it stops everything past this
const START_MS = 20_000; // sluice dev's "ready"
const KILL_AFTER_MS = 5_000; // SIGTERM, then SIGKILL
const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
  "--disable-default-apps", "--disable-extensions", "--no-pings",
];

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export const assert = (cond, why) => {
  if (!cond) throw new Error(why);
};

/* The suite's ports (API, AWS endpoint, website) and its scratch folder. */
export async function suitePlace(prefix) {
  const ports = { api: await freePort(), aws: await freePort(), web: await freePort() };
  return { ports, work: await mkdtemp(join(tmpdir(), prefix)) };
}

/* One `sluice dev`, started and stopped by the suite; `env` adds to the environment. */
export class Sluice {
  constructor(ports, dataDir, env = {}) {
    this.ports = ports;
    this.dataDir = dataDir;
    this.env = env;
    this.proc = null;
    this.log = "";
  }

  async start() {
    const { api, aws, web } = this.ports;
    this.proc = spawn(join(BUILD, "sluice"), [
      "dev", "--port", String(api), "--aws-port", String(aws), "--web-port", String(web),
      "--data-dir", this.dataDir, "--build-dir", BUILD, "--no-watch",
      "--parameter-overrides", `LocalSiteOrigin=http://127.0.0.1:${web}`,
    ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...this.env } });
    const proc = this.proc;
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error("sluice dev did not start:\n" + this.log)), START_MS);
      proc.stdout.on("data", (chunk) => {
        this.log += chunk;
        if (this.log.includes("sluice dev: ready")) {
          clearTimeout(timer);
          ok();
        }
      });
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
      setTimeout(() => p.kill("SIGKILL"), KILL_AFTER_MS).unref();
    });
  }
}

/*
 * The browser of the running suite: `browser.context` once runSuite() has
 * launched it. A page from newPage() records console errors, uncaught
 * errors, HTTP errors, CSP violations (page.problems) and requests to
 * anything but loopback (page.elsewhere).
 */
export const browser = { context: null };

export async function newPage(width = 1280) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.problems = [];
  page.elsewhere = [];
  page.on("console", (m) => { if (m.type() === "error") page.problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => page.problems.push("page error: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith("http://127.0.0.1:")) page.elsewhere.push(r.url()); });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return page;
}

/*
 * Run `scenarios` ({name, fn}) against `sluice` in chromium, write
 * {results, figures} to OUT/`resultsFile`, stop everything (also on the
 * deadline, SIGINT and SIGTERM) and exit 0 when all passed. A scenario
 * that failed and took sluice dev down gets it started again for the next.
 */
export async function runSuite({ scenarios, figures, sluice, work, resultsFile }) {
  const cleanup = async () => {
    await browser.context?.close().catch(() => {});
    await sluice.stop();
    await rm(work, { recursive: true, force: true });
  };
  const watchdog = setTimeout(async () => {
    console.log(`not ok - the suite passed its ${DEADLINE_MS / 1000} s deadline`);
    await cleanup();
    process.exit(2);
  }, DEADLINE_MS);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, async () => { await cleanup(); process.exit(1); });

  let failed = 0;
  const results = [];
  const t0 = Date.now();
  try {
    await mkdir(OUT, { recursive: true });
    await sluice.start();
    browser.context = await chromium.launchPersistentContext(join(work, "profile"), {
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
    await writeFile(join(OUT, resultsFile), JSON.stringify({ results, figures }, null, 2));
    await cleanup();
    clearTimeout(watchdog);
  }
  console.log(`figures: ${JSON.stringify(figures)}`);
  console.log(`e2e: ${scenarios.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
