// Parse and validate every GitHub Actions workflow in .github/workflows with
// @actions/workflow-parser (the parser behind GitHub's own editor support):
// schema errors, unknown keys, bad expressions. Then check this project's own
// rules: every job and every workflow declares `permissions:`, every `uses:`
// is pinned to a version tag or a commit, and every workflow has a
// concurrency group. Exits 1 on any error, printing file: message lines.
//   node scripts/check-workflows.mjs [FILE...]
import { readdirSync, readFileSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";

// The parser imports its JSON schema without an import attribute (it is
// written for bundlers); Node 20 refuses that, so a loader hook adds it.
register("data:text/javascript," + encodeURIComponent(`
export async function load(url, context, next) {
  if (url.endsWith(".json")) {
    const attrs = { ...(context.importAttributes ?? {}), type: "json" };
    return next(url, { ...context, importAttributes: attrs });
  }
  return next(url, context);
}`));
const { convertWorkflowTemplate, isMapping, NoOperationTraceWriter, parseWorkflow } =
  await import("@actions/workflow-parser");

// The keys of a parsed mapping token, with their value tokens.
function entries(token) {
  const out = new Map();
  if (!token || !isMapping(token)) return out;
  for (let i = 0; i < token.count; i++) {
    const pair = token.get(i);
    out.set(String(pair.key.value ?? pair.key), pair.value);
  }
  return out;
}

const dir = ".github/workflows";
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));

// An action reference must carry @vN, @vN.N.N or a 40-hex commit.
const PINNED = /@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;

let failures = 0;
function fail(file, message) {
  console.log(`${file}: ${message}`);
  failures++;
}

for (const file of files) {
  const content = readFileSync(file, "utf8");
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors();
  for (const e of errors) fail(file, e.message);
  if (errors.length || !result.value) continue;

  const template = await convertWorkflowTemplate(result.context, result.value);
  for (const e of result.context.errors.getErrors()) fail(file, e.message);
  if (template.errors) for (const e of template.errors) fail(file, e.Message ?? e.message);

  // Project rules, on the parsed document.
  const top = entries(result.value);
  if (!top.has("permissions")) fail(file, "no top-level permissions: block");
  if (!top.has("concurrency")) fail(file, "no concurrency: group");
  for (const [id, job] of entries(top.get("jobs"))) {
    if (!entries(job).has("permissions")) fail(file, `job ${id}: no permissions:`);
  }
  for (const m of content.matchAll(/^\s*(?:-\s+)?uses:\s*([^\s#]+)/gm)) {
    const ref = m[1].replace(/^["']|["']$/g, "");
    if (!ref.startsWith("./") && !PINNED.test(ref)) fail(file, `action not pinned: ${ref}`);
  }
  console.log(`${file}: ${errors.length ? "errors" : "ok"} (${(template.jobs ?? []).length} jobs)`);
}

if (!files.length) fail(dir, "no workflow files");
console.log(`check-workflows: ${files.length} files, ${failures} errors`);
process.exit(failures ? 1 : 0);
