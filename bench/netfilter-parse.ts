/**
 * Netfilter text benchmark. Run with
 *   node --expose-gc -r ./bench/register.js bench/netfilter-parse.ts [services]
 * (or `node bench/run-all.js netfilter`).
 *
 * Generates kube-proxy's full-sync restore text for N ClusterIP Services
 * (default 10,000) with 10 endpoints each, every tenth one a NodePort on
 * UDP/53, as in /work/shared/reference/performance-anchors.md (large-cluster
 * mode: no comments on the endpoint rules; no nfacct). For N = 10,000 that
 * is 434,023 lines, 111,010 chains and 323,009 rules. Then it measures:
 * parsing it into a Ruleset, the heap the Ruleset holds, printing it as
 * iptables-save, a partial (--noflush) sync that rewrites the top-level
 * chains and one Service, and, when iptables and root are available,
 * `iptables-restore --test` on the same file in a throwaway network namespace.
 *
 * Targets: parse well under 1.9 s (the anchors' floor for reading and
 * splitting is 0.44 s; iptables-restore --test takes 7.56 s); save well under 1 s.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { printIptablesSave } from '../src/netfilter/iptables-save.printer';
import { parseRuleset, restoreRuleset } from '../src/netfilter/iptables-text.parser';
import { restoreText } from './support/kube-proxy-rules';

const gc = (globalThis as { gc?: () => void }).gc;
const services = Number(process.argv[2] ?? 10000);

function line(what: string, figure: string): void {
  process.stdout.write(`netfilter: ${what}: ${figure}\n`);
}

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function ms(start: number): number {
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// ---------------------------------------------------------------------------

let start = performance.now();
const text = restoreText(services);
const lines = text.split('\n').length - 1;
line(`generated restore text (${services} Services)`, `${lines} lines, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB in ${Math.round(ms(start))} ms`);

const heapBefore = heapUsed();
const parseTimes: number[] = [];
let ruleset = parseRuleset(text);
for (let run = 0; run < 5; run++) {
  ruleset = undefined as never;
  heapUsed();
  start = performance.now();
  ruleset = parseRuleset(text);
  parseTimes.push(ms(start));
}
const parseMs = median(parseTimes);
line('parse (median of 5)', `${Math.round(parseMs)} ms (runs: ${parseTimes.map((t) => Math.round(t)).join(', ')})`);

const tables = ruleset.tables();
const chains = tables.reduce((n, t) => n + t.userChains().length, 0);
const rules = tables.reduce((n, t) => n + t.ruleCount(), 0);
line('user chains / rules', `${chains} / ${rules}`);
line('heap held by the parsed ruleset', mib(heapUsed() - heapBefore));

const saveTimes: number[] = [];
let saved = '';
for (let run = 0; run < 3; run++) {
  start = performance.now();
  saved = printIptablesSave(ruleset);
  saveTimes.push(ms(start));
}
line('print iptables-save (median of 3)', `${Math.round(median(saveTimes))} ms, ${(Buffer.byteLength(saved) / 1e6).toFixed(1)} MB`);

const partial = restoreText(services, Math.floor(services / 2));
const partialTimes: number[] = [];
for (let run = 0; run < 5; run++) {
  start = performance.now();
  restoreRuleset(ruleset, partial, { noflush: true });
  partialTimes.push(ms(start));
}
line(
  `partial sync, --noflush (${partial.split('\n').length - 1} lines, median of 5)`,
  `${Math.round(median(partialTimes))} ms`,
);

// The real iptables-restore --test, in a throwaway namespace.
const hasIptables = spawnSync('iptables-restore', ['--version']).status === 0;
if (!hasIptables || process.getuid?.() !== 0) {
  line('iptables-restore --test', 'skipped (needs iptables and root)');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'nsim-bench-'));
  const file = join(dir, 'restore.rules');
  writeFileSync(file, text);
  const ns = `nsim-bench-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    start = performance.now();
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', `iptables-restore --test < ${file}`], { stdio: 'inherit' });
    const realMs = ms(start);
    line('iptables-restore --test (same file)', `${Math.round(realMs)} ms; ours is ${(realMs / parseMs).toFixed(1)}x faster`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}
