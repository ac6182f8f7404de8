// Parse .circleci/config.yml with CircleCI's own config parser
// (@circleci/circleci-config-parser: the config SDK's parser, validating each
// component against CircleCI's schemas) and print what it read as JSON:
// the jobs, and for each workflow its jobs with their requires, contexts
// and branch filters. Exits 1, printing the parser's error, when the file
// does not parse; tests/protocol/test_pipelines.py asserts on the JSON.
//   node scripts/check-circleci.mjs [FILE]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parseConfig } = require("@circleci/circleci-config-parser");

const file = process.argv[2] ?? ".circleci/config.yml";
let config;
try {
  config = parseConfig(readFileSync(file, "utf8"));
} catch (e) {
  console.log(`${file}: ${e?.message ?? e}`);
  process.exit(1);
}

const workflows = {};
for (const wf of config.workflows) {
  // generate() gives the workflow back as CircleCI reads it: one entry per
  // job, a name or { name: { requires, context, filters, ... } }.
  const [[name, body]] = Object.entries(wf.generate());
  workflows[name] = body.jobs.map((entry) => {
    if (typeof entry === "string") return { job: entry, name: entry, requires: [] };
    const [[job, opts]] = Object.entries(entry);
    return {
      job,
      name: opts.name ?? job,
      requires: opts.requires ?? [],
      context: opts.context ?? [],
      branches: opts.filters?.branches ?? null,
    };
  });
}
console.log(JSON.stringify({ jobs: config.jobs.map((j) => j.name).sort(), workflows }, null, 1));
