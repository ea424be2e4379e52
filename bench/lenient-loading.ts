/**
 * Lenient loading benchmark. Run with
 *   npm run bench -- lenient
 *
 * 1. The largest iptables dump under fixtures/ (any *.rules or *.save file;
 *    the biggest wins, so a corpus of real dumps is picked up when it lands),
 *    loaded with `unsupported: 'keep'`: median time per load.
 * 2. kube-proxy's 10,000-Service full-sync text (434,023 lines), as bench/
 *    netfilter-parse.ts generates it, loaded as it is (refuse, the default)
 *    and with `keep` (what keeping costs when nothing is kept); then the same
 *    text with one rule kube-netsim does not model (`-m quota --quota N`: Linux has it, kube-netsim does not model it)
 *    after every 100th endpoint DNAT rule, loaded with `keep`, and refused
 *    (the time to list every one of them in one error).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DomainError } from '../src/common/domain-error';
import { parseRuleset } from '../src/netfilter/iptables-text.parser';
import { restoreText } from './support/kube-proxy-rules';

const gc = (globalThis as { gc?: () => void }).gc;
const ROOT = join(__dirname, '..');

function line(what: string, figure: string): void {
  process.stdout.write(`lenient loading: ${what}: ${figure}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Milliseconds of `run`, median of `times` runs (after one warm-up): by the
 * process's CPU time (steadier on a shared machine), wall-clock time beside.
 */
function timed(times: number, run: () => void): { median: number; runs: number[]; wall: number } {
  run();
  const runs: number[] = [];
  const walls: number[] = [];
  for (let k = 0; k < times; k++) {
    gc?.();
    const start = performance.now();
    const cpu = process.cpuUsage();
    run();
    const used = process.cpuUsage(cpu);
    walls.push(performance.now() - start);
    runs.push((used.user + used.system) / 1000);
  }
  return { median: median(runs), runs, wall: median(walls) };
}

const figure = (t: { median: number; runs: number[]; wall: number }): string =>
  `${Math.round(t.median)} ms CPU (runs: ${t.runs.map(Math.round).join(', ')}), ${Math.round(t.wall)} ms wall`;

function dumps(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...dumps(path));
    else if (entry.endsWith('.rules') || entry.endsWith('.save')) found.push(path);
  }
  return found;
}

// 1. The largest dump fixture.
const largest = dumps(join(ROOT, 'fixtures')).sort((a, b) => statSync(b).size - statSync(a).size)[0];
const dump = readFileSync(largest, 'utf8');
const small = timed(200, () => parseRuleset(dump, { unsupported: 'keep' }));
line(
  `largest dump fixture (${relative(ROOT, largest)}, ${dump.split('\n').length - 1} lines, ${(Buffer.byteLength(dump) / 1024).toFixed(1)} KiB), keep`,
  `${small.median.toFixed(2)} ms CPU per load (median of 200), ${small.wall.toFixed(2)} ms wall`,
);

// 2. At kube-proxy's largest scale.
const text = restoreText(10000);
const lines = text.split('\n');
line('generated text', `${lines.length - 1} lines, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`);
const refuse = timed(3, () => parseRuleset(text));
line('as it is, refuse (default), median of 3', figure(refuse));
const keep = timed(3, () => parseRuleset(text, { unsupported: 'keep' }));
line('as it is, keep, median of 3', figure(keep));

const mixed: string[] = [];
let dnat = 0;
let added = 0;
for (const l of lines) {
  mixed.push(l);
  if (l.includes(' -j DNAT ') && ++dnat % 100 === 0) {
    mixed.push(`${l.slice(0, l.indexOf(' ', 3))} -m quota --quota 1048576 -j ACCEPT`);
    added++;
  }
}
const withKept = mixed.join('\n');
const keptLoad = timed(3, () => parseRuleset(withKept, { unsupported: 'keep' }));
line(`with ${added} unmodelled rules, keep, median of 3`, figure(keptLoad));
let causes = 0;
const refused = timed(3, () => {
  try {
    parseRuleset(withKept);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    causes = e.causes.length;
  }
});
line(`with ${added} unmodelled rules, refused (every one a cause), median of 3`, `${figure(refused)}; ${causes} causes`);
// A module that lands makes these rules modelled: then the figures above measure nothing kept, so say so loudly.
if (causes !== added) throw new Error(`expected ${added} causes, got ${causes}: pick a module kube-netsim still does not model`);
