/*
 * The sluice dev dashboard (/_sluice/ on the AWS endpoint's port): live
 * requests, one request's event, log lines and AWS calls as a waterfall,
 * requests, errors and latency per route, alarm states and the website's
 * client errors. Everything comes from the local CloudWatch's API
 * (src/local/cloudwatch/cw_dash.c) on the same origin: the list at start,
 * then server-sent events (/_sluice/api/events) as each request is answered,
 * so a row appears without polling. No library, nothing from elsewhere.
 */
import "./dashboard.css";

interface RequestRow {
  id: string;
  method: string;
  path: string;
  route?: string;
  function?: string;
  start: number;
  status: number;
  latencyMs: number;
  durationMs: number;
  coldStart: boolean;
  errorType?: string;
  done: boolean;
}

interface Call {
  service: string;
  operation: string;
  target: string;
  status: number;
  start: number;
  durationMs: number;
  warning?: string | null;
  /* A PostgreSQL statement through the local RDS Proxy: its text without values, its SQLSTATE. */
  text?: string | null;
  error?: string | null;
}

interface Detail extends RequestRow {
  event: unknown;
  lines: { t: number; group: string; message: string }[];
  calls: Call[];
  traceId: string;
  initMs: number;
}

interface Alarm {
  name: string;
  state: string;
  reason: string;
  updated: number;
  description?: string;
}

interface RoutePoint {
  t: number;
  requests: number;
  "4xx": number;
  "5xx": number;
  p50: number;
  p99: number;
}

const MAX_ROWS = 200;
const API = "/_sluice/api";

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no #${id}`);
  return el;
}

function el(tag: string, text = "", cls = ""): HTMLElement {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(API + path, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/* ---- requests ---- */

const rows = new Map<string, HTMLTableRowElement>();
let selected: string | null = null;

function requestRow(r: RequestRow): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.tabIndex = 0;
  tr.dataset["id"] = r.id;
  const cells: [string, string][] = [
    [time(r.start), ""],
    [r.method, ""],
    [r.path, "path"],
    [r.done ? String(r.status) : "…", `s${Math.floor(r.status / 100)}`],
    [r.done ? r.latencyMs.toFixed(1) : "", ""],
    [r.function ?? "", ""],
    [r.coldStart ? "cold" : "", "cold"],
  ];
  for (const [text, cls] of cells) tr.append(el("td", text, cls));
  tr.title = r.route ? `${r.route}${r.errorType ? ` (${r.errorType})` : ""}` : "no route";
  tr.addEventListener("click", () => void open(r.id));
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter") void open(r.id);
  });
  return tr;
}

function addRequest(r: RequestRow, atTop: boolean): void {
  const body = document.querySelector("#requests tbody") as HTMLTableSectionElement;
  const tr = requestRow(r);
  const old = rows.get(r.id);
  if (old) old.replaceWith(tr);
  else if (atTop) body.prepend(tr);
  else body.append(tr);
  rows.set(r.id, tr);
  if (r.id === selected) tr.classList.add("selected");
  while (body.rows.length > MAX_ROWS) {
    const last = body.rows[body.rows.length - 1];
    if (!last) break;
    rows.delete(last.dataset["id"] ?? "");
    last.remove();
  }
  document.body.dataset["requests"] = String(body.rows.length);
}

/* ---- one request ---- */

function bar(label: string, start: number, ms: number, from: number, span: number, cls: string): HTMLElement {
  const row = el("div", "", "bar-row");
  const track = el("div", "", "bar-track");
  const b = el("div", "", `bar ${cls}`);
  const left = Math.min(100, (100 * Math.max(0, start - from)) / span);
  b.style.left = `${left}%`;
  b.style.width = `${Math.min(100 - left, Math.max(0.5, (100 * ms) / span))}%`;
  b.title = `${label}: ${ms.toFixed(1)} ms`;
  track.append(b);
  row.append(el("span", `${label} ${ms.toFixed(1)} ms`), track);
  return row;
}

function waterfall(d: Detail): HTMLElement[] {
  const from = d.start;
  const end = Math.max(d.start + d.latencyMs, ...d.calls.map((c) => c.start + c.durationMs));
  const span = Math.max(1, end - from);
  const out = [bar(`${d.method} ${d.path} → ${d.status}`, from, d.latencyMs, from, span, "request")];
  /* The invocation (a cold start's init ran when the worker started, before the request). */
  if (d.function) out.push(bar(`${d.function}${d.coldStart ? " (cold)" : ""}`, from, d.durationMs, from, span, d.errorType ? "function failed" : "function"));
  for (const c of d.calls) {
    /* A statement has no HTTP status: it worked, or it failed with a SQLSTATE. */
    const outcome = c.service === "postgres" ? (c.error ? `SQLSTATE ${c.error}` : "ok") : String(c.status);
    const name = `${c.service} ${c.operation}${c.target ? " " + c.target : ""} → ${outcome}`;
    const row = bar(name, c.start, c.durationMs, from, span, c.status >= 400 || c.error ? "failed" : "");
    row.classList.add("call");
    if (c.text) row.append(el("code", c.text, "sql"));
    if (c.warning) row.append(el("span", `⚠ ${c.warning}`, "warning"));
    out.push(row);
  }
  return out;
}

async function open(id: string): Promise<void> {
  selected = id;
  for (const [rid, tr] of rows) tr.classList.toggle("selected", rid === id);
  const d = await getJson<Detail>(`/requests/${encodeURIComponent(id)}`);
  if (selected !== id) return;
  $("detail").hidden = false;
  $("detail-summary").textContent =
    `${d.method} ${d.path} → ${d.status} in ${d.latencyMs.toFixed(1)} ms` +
    (d.route ? `, route ${d.route}` : ", no route") +
    (d.function ? `, ${d.function} ${d.durationMs.toFixed(1)} ms${d.coldStart ? ` after a cold start of ${d.initMs.toFixed(1)} ms` : ""}` : "") +
    (d.errorType ? `, ${d.errorType}` : "") +
    (d.traceId ? ` (trace ${d.traceId})` : "") + `; request id ${d.id}`;
  $("waterfall").replaceChildren(...waterfall(d));
  $("detail-lines").textContent = d.lines.map((l) => `${time(l.t)} ${l.message}`).join("\n") || "(none)";
  $("detail-event").textContent = d.event === null ? "(no function was invoked)" : JSON.stringify(d.event, null, 2);
  document.body.dataset["detail"] = id;
}

/* ---- routes ---- */

function sparkline(points: RoutePoint[], key: keyof RoutePoint, max: number, color: string): string {
  if (!points.length || max <= 0) return "";
  const t0 = points[0]?.t ?? 0;
  const span = Math.max(60000, (points[points.length - 1]?.t ?? t0) - t0);
  const xy = points.map((p) => `${(100 * (p.t - t0)) / span},${60 - (55 * Number(p[key])) / max}`);
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" vector-effect="non-scaling-stroke" points="${xy.join(" ")}"/>`;
}

async function loadRoutes(): Promise<void> {
  const { routes } = await getJson<{ routes: { route: string; minutes: RoutePoint[] }[] }>("/routes");
  const out: HTMLElement[] = [];
  for (const r of routes.sort((a, b) => a.route.localeCompare(b.route))) {
    const pts = r.minutes;
    const total = pts.reduce((s, p) => s + p.requests, 0);
    const errors = pts.reduce((s, p) => s + p["4xx"] + p["5xx"], 0);
    const last = pts[pts.length - 1];
    const box = el("div", "", "route");
    box.dataset["route"] = r.route;
    box.append(el("strong", r.route), el("span", ` ${total} requests, ${errors} errors` + (last ? `, last minute p50 ${last.p50.toFixed(1)} ms, p99 ${last.p99.toFixed(1)} ms` : "")));
    const maxReq = Math.max(1, ...pts.map((p) => p.requests));
    const maxLat = Math.max(1, ...pts.map((p) => p.p99));
    const label = r.route.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const svg = `<svg viewBox="0 0 100 60" preserveAspectRatio="none" role="img" aria-label="${label}">` +
      sparkline(pts, "requests", maxReq, "#0969da") + sparkline(pts, "5xx", maxReq, "#cf222e") +
      sparkline(pts, "p50", maxLat, "#1a7f37") + sparkline(pts, "p99", maxLat, "#8250df") + "</svg>";
    const holder = el("div");
    holder.innerHTML = svg;
    box.append(holder);
    out.push(box);
  }
  $("routes").replaceChildren(...(out.length ? out : [el("p", "No requests yet.")]));
}

let routesTimer: number | undefined;
function refreshRoutesSoon(): void {
  if (routesTimer === undefined) routesTimer = window.setTimeout(() => { routesTimer = undefined; void loadRoutes(); }, 1000);
}

/* ---- alarms and client errors ---- */

const alarms = new Map<string, Alarm>();

function renderAlarms(): void {
  const items = [...alarms.values()].sort((a, b) => a.name.localeCompare(b.name)).map((a) => {
    const li = el("li");
    li.dataset["alarm"] = a.name;
    li.dataset["state"] = a.state;
    li.append(el("span", a.state, `state-${a.state}`), el("span", ` ${a.name}`));
    li.title = `${a.description ?? ""}\n${a.reason}`;
    return li;
  });
  $("alarms").replaceChildren(...(items.length ? items : [el("li", "The template has no alarms.")]));
}

function addClientError(e: { timestamp?: string; clientEvent?: { type?: string; text?: string; page?: string; source?: string } }): void {
  const c = e.clientEvent ?? {};
  const li = el("li", `${e.timestamp ?? ""} ${c.type ?? "error"} on ${c.page ?? "?"}: ${c.text ?? ""}${c.source ? ` (${c.source})` : ""}`);
  $("client-errors").prepend(li);
}

/* ---- start ---- */

function connect(): void {
  const live = $("live");
  const es = new EventSource(`${API}/events`);
  es.addEventListener("open", () => {
    live.textContent = "live";
    live.classList.add("on");
    document.body.dataset["live"] = "connected";
  });
  es.addEventListener("error", () => {
    live.textContent = "disconnected; retrying…";
    live.classList.remove("on");
    document.body.dataset["live"] = "retrying";
  });
  es.addEventListener("request", (m) => {
    addRequest(JSON.parse((m as MessageEvent<string>).data) as RequestRow, true);
    refreshRoutesSoon();
  });
  es.addEventListener("call", (m) => {
    const { id } = JSON.parse((m as MessageEvent<string>).data) as { id: string };
    if (id === selected) void open(id);
  });
  es.addEventListener("alarm", (m) => {
    const a = JSON.parse((m as MessageEvent<string>).data) as Alarm;
    alarms.set(a.name, { ...alarms.get(a.name), ...a });
    renderAlarms();
  });
  es.addEventListener("client", (m) => addClientError(JSON.parse((m as MessageEvent<string>).data)));
}

async function start(): Promise<void> {
  connect();
  const [{ requests }, alarmList, clients] = await Promise.all([
    getJson<{ requests: RequestRow[] }>("/requests"),
    getJson<{ alarms: Alarm[] }>("/alarms"),
    getJson<{ errors: Parameters<typeof addClientError>[0][] }>("/client-errors"),
  ]);
  for (const r of requests) if (!rows.has(r.id)) addRequest(r, false);
  for (const a of alarmList.alarms) alarms.set(a.name, a);
  renderAlarms();
  for (const c of clients.errors) addClientError(c);
  await loadRoutes();
  document.body.dataset["ready"] = "yes";
}

void start();
