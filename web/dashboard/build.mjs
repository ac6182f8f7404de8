// Build the sluice dev dashboard into web/dashboard/dist: index.html and
// assets/dashboard.js and .css (fixed names: sluice serves them from its
// own port, revalidated, not from a CDN). Run by `make web`.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
await mkdir(join(out, "assets"), { recursive: true });
await build({
  entryPoints: { dashboard: join(here, "src/dashboard.ts") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: join(out, "assets"),
  legalComments: "none",
  logLevel: "warning",
});
await copyFile(join(here, "favicon.svg"), join(out, "assets", "favicon.svg"));
await copyFile(join(here, "index.html"), join(out, "index.html"));
console.log("dashboard: web/dashboard/dist");
