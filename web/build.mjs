// Build the site into web/dist (or the folder given with --outdir):
//   assets/main-<hash>.js and .css (content-hashed, immutable once deployed),
//   the files of web/public under their own names,
//   then index.html, written last and renamed into place, so that a watcher
//   (sluice dev) that reacts to index.html sees a complete build.
// Prints the JavaScript's size, raw and gzipped (the goal: under 20 KB gzipped).
import { build } from "esbuild";
import { cp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const web = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf("--outdir");
const out = i > 0 ? process.argv[i + 1] : join(web, "dist");
const assets = join(out, "assets");

await rm(assets, { recursive: true, force: true });
await mkdir(assets, { recursive: true });
const result = await build({
  entryPoints: [join(web, "src/main.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  outdir: assets,
  entryNames: "[name]-[hash]",
  sourcemap: "linked",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
if (!entry || !entry[1].cssBundle) throw new Error("esbuild gave no entry with a CSS bundle");
const url = (p) => "/" + relative(out, p).split("\\").join("/");
const js = entry[0], css = entry[1].cssBundle;

// web/public: files served under their own names (favicon.svg).
await cp(join(web, "public"), out, { recursive: true });

const html = (await readFile(join(web, "index.html"), "utf8"))
  .replace("{{css}}", url(css)).replace("{{js}}", url(js));
await writeFile(join(out, "index.html.tmp"), html);
await rename(join(out, "index.html.tmp"), join(out, "index.html"));

const code = await readFile(js);
const style = await readFile(css);
const kb = (n) => (n / 1024).toFixed(1) + " KB";
console.log(`web: ${url(js)} ${kb(code.length)} (${kb(gzipSync(code, { level: 9 }).length)} gzipped), ` +
  `${url(css)} ${kb(style.length)} (${kb(gzipSync(style, { level: 9 }).length)} gzipped)`);
