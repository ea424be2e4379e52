// `npm start`'s prestart: builds dist/ with `nest build` only when it is
// missing or older than what it is built from (src/, the tsconfig files,
// nest-cli.json, package.json), so a second start runs at once; and the
// browser UI (dist/ui, scripts/build-ui.mjs) likewise from ui/ (and after
// every `nest build`, which empties dist/). No dependency: the file times are
// compared with node:fs.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = path.join(root, 'dist', 'main.js');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json'];

/** The newest modification time (ms) under `p`, a file or a directory. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs; // a deleted file changes its directory's time
  for (const entry of readdirSync(p)) max = Math.max(max, newest(path.join(p, entry)));
  return max;
}

const UI_OUTPUT = path.join(root, 'dist', 'ui', 'index.html');
const UI_INPUTS = ['ui', 'scripts/build-ui.mjs', 'package.json'];

const built = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0;
const sources = Math.max(...INPUTS.map((p) => newest(path.join(root, p))));
if (built < sources) {
  console.log(built ? 'kube-netsim: src/ changed since the last build, building dist/ ...' : 'kube-netsim: no dist/ yet, building it once ...');
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const uiBuilt = existsSync(UI_OUTPUT) ? statSync(UI_OUTPUT).mtimeMs : 0;
const uiSources = Math.max(...UI_INPUTS.map((p) => newest(path.join(root, p))));
if (uiBuilt < uiSources) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-ui.mjs')], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
