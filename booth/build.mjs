// Bundles the booth with esbuild into src/strikevote/web/static/booth/ (served by the vote server as
// /static/booth/…). Run by scripts/bootstrap.sh; `node build.mjs` by hand after editing booth/src.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
await build({
  absWorkingDir: here,
  entryPoints: [
    { in: "src/booth.js", out: "booth" },
    { in: "src/worker.js", out: "booth-worker" },
    { in: "src/booth.css", out: "booth" },
  ],
  outdir: "../src/strikevote/web/static/booth",
  bundle: true,
  format: "iife",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  logLevel: "warning",
});
