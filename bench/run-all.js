// `npm run bench`: runs every benchmark in bench/*.ts, one process each (so one
// benchmark's heap does not colour the next), and prints their figures.
// `npm run bench -- ipam` runs only the benchmarks whose file name contains "ipam".
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const filter = process.argv[2];
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n== bench/${file}\n`);
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=8192', '-r', path.join(__dirname, 'register.js'), path.join(__dirname, file)],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed++;
}
if (failed) {
  process.stderr.write(`${failed} benchmark(s) failed\n`);
  process.exit(1);
}
