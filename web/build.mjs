// Builds the dashboard into ../api/static: app.js, app.css, index.html, favicon.svg.
// The output is committed, so the Python package ships it and nobody needs Node to
// run the API. Usage: npm run build
import { copyFile, mkdir, rm } from "node:fs/promises";
import { build } from "esbuild";

const out = new URL("../api/static/", import.meta.url);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outdir: out.pathname,
  legalComments: "eof",
  logLevel: "info",
});
await build({
  entryPoints: { app: "src/styles.css" },
  bundle: true,
  minify: true,
  outdir: out.pathname,
  logLevel: "info",
});
for (const file of ["index.html", "favicon.svg"]) {
  await copyFile(new URL(`src/${file}`, import.meta.url), new URL(file, out));
}
