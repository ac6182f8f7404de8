/*
 * The site reports its own health to the API (POST /client-events, which
 * src/app/client_events.h reads): script errors, unhandled rejections and
 * CSP violations, and the page load's timings. The function turns them into
 * log lines and CloudWatch metrics (ClientErrors, PageLoadTime, PageLoads), so the
 * site's trouble shows on the stage's dashboard and its alarms.
 *
 * No third-party script (the CSP stays as it is: the API's origin is
 * already in connect-src) and no personal data: a page is reported as its
 * route ("/messages/:id", never an id or a query), a script as its path,
 * texts are cut at 256 characters, and nothing else is sent.
 *
 * Bounded: events wait in a queue sent every few seconds and when the page
 * is hidden (fetch with keepalive), at most MAX_BATCH a request and
 * MAX_PER_PAGE for the page's life; errors are always reported, page loads
 * for a sample of them (LOAD_SAMPLE, or sessionStorage "sluice.healthSample"
 * for tests), each saying which share was sampled so that the function can
 * count every load (PageLoads) and the error rate stays a rate. A failed report is dropped, never retried, never an error.
 */
import { parseRoute } from "./route";

const MAX_BATCH = 20;
const MAX_PER_PAGE = 50;
const MAX_TEXT = 256;
const FLUSH_MS = 5000;
const LOAD_SAMPLE = 0.25;

type ClientEvent =
  | { type: "error" | "rejection" | "csp"; message: string; source?: string; line?: number; column?: number; page: string }
  | { type: "load"; page: string; loadMs: number; fcpMs?: number; sample: number };

const queue: ClientEvent[] = [];
let sent = 0;
let endpoint: string | null = null;
let timer: number | undefined;

/* The route of a path, as the API's dashboard groups them: "/" or "/messages/:id". */
export function pageOf(pathname: string): string {
  return parseRoute(pathname).view === "message" ? "/messages/:id" : "/";
}

function cut(s: unknown): string {
  const text = typeof s === "string" ? s : String(s);
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}

/* A script's URL as its path on this site, or its origin elsewhere (never a query). */
function sourceOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url, location.href);
    return u.origin === location.origin ? u.pathname : u.origin;
  } catch {
    return undefined;
  }
}

function push(ev: ClientEvent): void {
  if (sent + queue.length >= MAX_PER_PAGE) return;
  queue.push(ev);
  if (endpoint && timer === undefined) timer = window.setTimeout(() => flush(false), FLUSH_MS);
}

/* Send what waits, at most MAX_BATCH events a request. */
export function flush(leaving: boolean): void {
  if (timer !== undefined) {
    window.clearTimeout(timer);
    timer = undefined;
  }
  while (endpoint && queue.length) {
    const events = queue.splice(0, MAX_BATCH);
    sent += events.length;
    fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events }),
      keepalive: leaving,
      credentials: "omit",
    }).catch(() => undefined);
  }
}

function sampleRate(): number {
  try {
    const v = Number(sessionStorage.getItem("sluice.healthSample"));
    return v > 0 && v <= 1 ? v : LOAD_SAMPLE;
  } catch {
    return LOAD_SAMPLE;
  }
}

function reportLoad(): void {
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const sample = sampleRate();
  if (!nav || nav.loadEventEnd <= 0 || Math.random() >= sample) return;
  const ev: ClientEvent = { type: "load", page: pageOf(location.pathname), loadMs: Math.round(nav.loadEventEnd), sample };
  if (fcp) ev.fcpMs = Math.round(fcp.startTime);
  push(ev);
}

/* Listen from the start: errors before the API is known wait in the queue. */
export function watchHealth(): void {
  window.addEventListener("error", (e: ErrorEvent) => {
    const ev: ClientEvent = { type: "error", message: cut(e.message || "script error"), page: pageOf(location.pathname) };
    const source = sourceOf(e.filename);
    if (source) ev.source = source;
    if (e.lineno) ev.line = e.lineno;
    if (e.colno) ev.column = e.colno;
    push(ev);
  });
  window.addEventListener("unhandledrejection", (e: PromiseRejectionEvent) => {
    const r: unknown = e.reason;
    push({ type: "rejection", message: cut(r instanceof Error ? `${r.name}: ${r.message}` : r), page: pageOf(location.pathname) });
  });
  window.addEventListener("securitypolicyviolation", (e: SecurityPolicyViolationEvent) => {
    push({ type: "csp", message: cut(`${e.effectiveDirective} blocked ${sourceOf(e.blockedURI) ?? e.blockedURI}`), page: pageOf(location.pathname) });
  });
  if (document.readyState === "complete") setTimeout(reportLoad, 0);
  else window.addEventListener("load", () => setTimeout(reportLoad, 0), { once: true });
  window.addEventListener("pagehide", () => flush(true));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush(true);
  });
}

/* The API is known: what waits goes out soon, and so does what comes later. */
export function reportTo(apiUrl: string): void {
  endpoint = `${apiUrl}/client-events`;
  if (queue.length && timer === undefined) timer = window.setTimeout(() => flush(false), FLUSH_MS);
}
