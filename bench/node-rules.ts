/**
 * Node rules benchmark. Run with
 *   npm run bench -- node-rules
 *
 * The cluster of bench/traffic (100 nodes, 1,000 Services of 3 pods each,
 * every controller running). On node-0:
 * 1. `GET /netsim/v1/nodes/node-0/iptables/diff` of kube-proxy's own rules
 *    (nothing differs): render kube-proxy for the node from the store, read
 *    both rulesets back per Service port, compare;
 * 2. the same with imported rules (PUT): the node's dump with 100 Services
 *    removed by hand, after 100 pods were deleted (100 stale endpoints);
 * 3. (2) with `unified=true` (a `diff -u` of the two texts besides);
 * 4. loading the dump as PUT does (parse, check, load).
 * Median CPU time of 5 runs after a warm-up, wall time beside.
 */
import { performance } from 'node:perf_hooks';
import { diffNodeRules } from '../src/cluster/node-rules-diff';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
import { printIptablesSave } from '../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../src/netfilter/iptables-text.parser';
import { buildTrafficCluster, SERVICES } from './support/traffic-cluster';

const gc = (globalThis as { gc?: () => void }).gc;
const RUNS = 5;

function line(what: string, figure: string): void {
  process.stdout.write(`node rules: ${what}: ${figure}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timed(run: () => void): string {
  run();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    gc?.();
    const start = performance.now();
    const used = process.cpuUsage();
    run();
    const spent = process.cpuUsage(used);
    wall.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return `${Math.round(median(cpu))} ms CPU (runs: ${cpu.map(Math.round).join(', ')}), ${Math.round(median(wall))} ms wall`;
}

const cluster = buildTrafficCluster();
cluster.clock.advance(60_000);
const node = 'node-0';
const own = printIptablesSave(cluster.kubeProxies.proxy(node).ruleset);
line('the node', `${SERVICES} Services, ${own.split('\n').length} lines of iptables-save`);

let findings = 0;
line("diff of kube-proxy's own rules", timed(() => (findings = diffNodeRules(cluster, node).findings.length)));
line("  findings", String(findings));

// 100 Services removed by hand from the dump (their rules and chains); 100 pods deleted after it was taken.
const removed = new Set<string>();
for (let i = 0; i < 100; i++) {
  const svc = new RegExp(`"default/svc-${i * 10}:http cluster IP" .* -j (KUBE-SVC-\\w+)`).exec(own)![1];
  removed.add(svc);
  for (const m of own.matchAll(new RegExp(`-A ${svc} .*-j (KUBE-SEP-\\w+)`, 'g'))) removed.add(m[1]);
}
const dump = own
  .split('\n')
  .filter((l) => !l.split(' ').some((word) => removed.has(word.replace(/^:/, ''))))
  .join('\n');
let loaded = parseRuleset(dump);
line('loading the dump (PUT)', timed(() => (loaded = parseRuleset(dump))));
cluster.kubeProxies.importRules(node, loaded, { rules: 0, kept: 0 });
for (let i = 0; i < 100; i++) cluster.store.delete(resourceTypeByKey('pods')!, 'default', `pod-${i * 30 + 4}`);
cluster.clock.advance(60_000);

let summary = {};
line('diff of imported rules (100 missing Services, stale endpoints)', timed(() => (summary = diffNodeRules(cluster, node).summary)));
line('  summary', JSON.stringify(summary));
let unifiedLines = 0;
line('the same with unified=true', timed(() => (unifiedLines = diffNodeRules(cluster, node, { unified: true }).unified!.split('\n').length)));
line('  unified diff', `${unifiedLines} lines`);
