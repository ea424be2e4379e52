// Builds the browser UI (ui/) into dist/ui/: esbuild bundles ui/src/main.tsx
// with Preact and dagre into one minified script, beside index.html and
// style.css. Nothing is fetched at run time: the page loads only these files,
// which the server reads once at start-up (src/api/ui/ui-assets.ts).
// Run by `npm run build`, by `npm start`'s stale check and before the browser
// specs in `npm test`.
/* global process, console */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'ui');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
try {
  const result = await build({
    entryPoints: [path.join(root, 'ui', 'src', 'main.tsx')],
    outfile: path.join(out, 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(path.join(root, 'ui', file), path.join(out, file));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`kube-netsim: UI built in dist/ui (app.js ${bytes} bytes)`);
} catch (e) {
  console.error(`kube-netsim: the UI did not build: ${e.message}`);
  process.exit(1);
}
