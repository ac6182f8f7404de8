/*
 * The messages site: the count, a form to post a message, and a message by
 * id (also at /messages/<id>). The page's structure is in index.html, so it
 * renders before this script runs; the script fills it in and wires the
 * forms. Every failure is shown where it happened, with the API's own
 * message, and a network failure offers a retry; the form keeps its text
 * until a post succeeds.
 */
import "./style.css";
import { Api, ApiError, Message, NetworkError, loadConfig } from "./api";
import { MESSAGE_MAX, countChars, describeLength } from "./chars";
import { reportTo, watchHealth } from "./health";
import { Route, messagePath, parseRoute } from "./route";

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

const ui = {
  count: $<HTMLElement>("count"),
  countStatus: $<HTMLElement>("count-status"),
  postForm: $<HTMLFormElement>("post-form"),
  text: $<HTMLTextAreaElement>("message"),
  length: $<HTMLElement>("message-length"),
  postButton: $<HTMLButtonElement>("post-button"),
  postStatus: $<HTMLElement>("post-status"),
  readForm: $<HTMLFormElement>("read-form"),
  readId: $<HTMLInputElement>("message-id"),
  readStatus: $<HTMLElement>("read-status"),
  result: $<HTMLElement>("message-result"),
};

let api: Api | null = null;

/* Replace the children of `where` with `nodes`. */
function show(where: HTMLElement, ...nodes: (Node | string)[]): void {
  where.replaceChildren(...nodes);
}

function el(tag: string, text: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/*
 * Show `err` in `where`: the API's message for an answer, "could not reach"
 * with a Retry button (that runs `retry`) for no answer at all.
 */
function showError(where: HTMLElement, what: string, err: unknown, retry: () => void): void {
  const p = el("p", "", "error");
  p.setAttribute("role", "alert");
  if (err instanceof ApiError) {
    p.textContent = `${what}: ${err.message} (HTTP ${err.status})`;
    show(where, p);
    return;
  }
  p.textContent = err instanceof NetworkError
    ? `${what}: ${err.message} Check your connection, then retry.`
    : `${what}: ${String(err)}`;
  const b = el("button", "Retry", "retry") as HTMLButtonElement;
  b.type = "button";
  b.addEventListener("click", () => {
    show(where);
    retry();
  });
  show(where, p, b);
}

async function refreshCount(): Promise<void> {
  if (!api) return;
  ui.count.setAttribute("aria-busy", "true");
  try {
    const n = await api.count();
    ui.count.textContent = new Intl.NumberFormat("en-US").format(n);
    show(ui.countStatus);
  } catch (err) {
    ui.count.textContent = "?";
    showError(ui.countStatus, "Could not count the messages", err, () => void refreshCount());
  } finally {
    ui.count.removeAttribute("aria-busy");
  }
}

function updateLength(): boolean {
  const d = describeLength(countChars(ui.text.value));
  ui.length.textContent = d.text;
  ui.length.classList.toggle("over", d.over);
  ui.text.setAttribute("aria-invalid", d.over ? "true" : "false");
  return !d.over;
}

async function post(): Promise<void> {
  if (!api) return;
  const text = ui.text.value;
  const n = countChars(text);
  if (n === 0 || n > MESSAGE_MAX) {
    const p = el("p", n === 0 ? "Write a message first."
      : `The message is too long: ${describeLength(n).text}.`, "error");
    p.setAttribute("role", "alert");
    show(ui.postStatus, p);
    ui.text.focus();
    return;
  }
  ui.postButton.disabled = true;
  show(ui.postStatus, el("p", "Posting…"));
  try {
    const m = await api.post(text);
    ui.text.value = "";
    updateLength();
    const link = el("a", "read it back") as HTMLAnchorElement;
    link.href = messagePath(m.id);
    const done = el("p", "Posted: ");
    done.append(link, ".");
    show(ui.postStatus, done);
    void refreshCount();
    navigate(messagePath(m.id), m);
  } catch (err) {
    showError(ui.postStatus, "The message was not posted", err, () => void post());
  } finally {
    ui.postButton.disabled = false;
  }
}

function renderMessage(m: Message): void {
  const h = el("h3", "Message");
  h.id = "message-heading";
  h.tabIndex = -1;
  const dl = document.createElement("dl");
  const rows: [string, string][] = [["Id", m.id], ["Posted", m.createdAt]];
  for (const [k, v] of rows) dl.append(el("dt", k), el("dd", v));
  const body = el("p", m.message, "message-text");
  show(ui.result, h, dl, body);
}

async function read(id: string, known?: Message): Promise<void> {
  if (!api) return;
  ui.readId.value = id;
  show(ui.readStatus);
  if (known) {
    renderMessage(known);
    return;
  }
  show(ui.result, el("p", "Loading…"));
  try {
    renderMessage(await api.get(id));
  } catch (err) {
    show(ui.result);
    showError(ui.readStatus, `Could not read message ${id}`, err, () => void read(id));
  }
}

function render(route: Route, known?: Message): void {
  if (route.view === "message") {
    void read(route.id, known);
  } else {
    show(ui.result);
    show(ui.readStatus);
  }
}

/* Go to `path` in the address bar without reloading (SPA routing). */
function navigate(path: string, known?: Message): void {
  if (location.pathname !== path) history.pushState(null, "", path);
  render(parseRoute(path), known);
  document.getElementById("message-heading")?.focus();
}

function wire(): void {
  ui.text.addEventListener("input", updateLength);
  ui.postForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void post();
  });
  ui.readForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = ui.readId.value.trim();
    if (id) navigate(messagePath(id));
  });
  document.addEventListener("click", (e) => {
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.origin !== location.origin || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    navigate(a.pathname);
  });
  window.addEventListener("popstate", () => render(parseRoute(location.pathname)));
  updateLength();
}

async function start(): Promise<void> {
  try {
    const { apiUrl } = await loadConfig();
    api = new Api(apiUrl);
    reportTo(apiUrl); /* the site's own health: health.ts */
  } catch (err) {
    showError(ui.countStatus, "Could not load the site's configuration", err, () => void start());
    return;
  }
  document.body.dataset["api"] = "ready";
  void refreshCount();
  render(parseRoute(location.pathname));
}

watchHealth();
wire();
void start();
