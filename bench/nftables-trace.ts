/**
 * The nftables traversal engine's benchmark. Run with `npm run bench -- nftables-trace`
 * (or `node --expose-gc -r ./bench/register.js bench/nftables-trace.ts`).
 *
 * On kube-proxy's nftables table for N Services of 10 endpoints (the
 * kube-proxy benchmark's workload, N = 1,000 and 10,000):
 * - loading it for a trace: the `nft -f` transaction read into the model
 *   and every rule compiled (target: well under a second at 10,000);
 * - the first packet of a connection to a Service near the start, the
 *   middle and the end of the table, sampled (one path, as the kernel takes
 *   it) and enumerated (all ten endpoints): flat in N, as the kernel's verdict
 *   maps are, where iptables mode walks KUBE-SERVICES rule by rule.
 */
import { ManualClock } from '../src/common/clock';
import { SeededRandom } from '../src/common/random';
import { NftProxier } from '../src/kube-proxy/nftables/nft-proxier';
import { NetfilterEngine } from '../src/netfilter/engine';
import type { TraceInput } from '../src/netfilter/trace-input';
import { Host } from '../src/netfilter/host';
import { Ruleset } from '../src/netfilter/ruleset';
import { emptyRuleset, type NftRuleset } from '../src/nftables/model';
import { applyTransaction } from '../src/nftables/transaction';
import { parseNftTransaction } from '../src/nftables/transaction-parser';
import { nftHookEntries } from '../src/nftables/traversal';
import { service, slice } from './support/kube-proxy-workload';
import { median, ms, timed } from './support/timing';

const gc = (globalThis as { gc?: () => void }).gc;
const ruleCount = (r: NftRuleset) => [...r.tables.values()].reduce((n, t) => n + [...t.chains.values()].reduce((m, c) => m + c.rules.length, 0), 0);
const line = (what: string, figure: string) => process.stdout.write(`nftables engine: ${what}: ${figure}\n`);
const rate = (n: number, millis: number) => `${Math.round((n / millis) * 1000).toLocaleString('en-US')}/s`;

function transaction(n: number): string {
  const proxier = new NftProxier({
    node: { name: 'node-0', addresses: ['192.168.0.10'] },
    clock: new ManualClock(),
    config: { mode: 'nftables', clusterCIDR: '10.64.0.0/10' },
    serviceCIDRs: ['10.96.0.0/12'],
  });
  for (let i = 0; i < n; i++) {
    proxier.onServiceAdd(service(i));
    proxier.onEndpointSliceAdd(slice(i));
  }
  return proxier.sync().text;
}

const host = Host.create({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.10/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1', interface: 'eth0' }],
});

const perN: Record<number, number> = {};
for (const n of [1000, 10_000]) {
  const text = transaction(n);
  gc?.();
  const read = timed(() => {
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftTransaction(text));
    return ruleset;
  });
  const hooks = nftHookEntries(read.result);
  gc?.();
  const compile = timed(() => hooks.compileAll());
  line(`${n} Services: read the transaction into the model`, `${ms(read.wall)} (CPU ${ms(read.cpu)})`);
  line(`${n} Services: compile every rule (${ruleCount(read.result)} rules)`, `${ms(compile.wall)} (CPU ${ms(compile.cpu)}); target well under 1 s (a node's engine compiles lazily, rule by rule as packets reach them)`);
  const engine = new NetfilterEngine({ ruleset: new Ruleset('ipv4'), host, clock: new ManualClock(), random: new SeededRandom(1), nftables: hooks, recordSteps: false });
  // ClusterIP Services (i % 10 !== 0) near the start, in the middle and at the end.
  for (const [where, i] of [
    ['first', 1],
    ['middle', Math.floor(n / 2) + 1],
    ['last', n - 1],
  ] as const) {
    const destination = `10.96.${(i >> 8) & 255}.${i & 255}`;
    const packet = (k: number): TraceInput => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: `10.64.${(k >> 8) & 255}.${k & 255}`, sourcePort: 10000 + (k % 50000), destination, destinationPort: 80 });
    for (let k = 0; k < 2000; k++) engine.enumerate(packet(k)); // warm up
    gc?.();
    const rounds: number[] = [];
    const COUNT = 20_000;
    for (let r = 0; r < 3; r++) {
      const t = timed(() => {
        for (let k = 0; k < COUNT; k++) engine.sample(packet(r * COUNT + k));
      });
      rounds.push(t.cpu);
    }
    const enumerate = timed(() => {
      for (let k = 0; k < 2000; k++) engine.enumerate(packet(k));
    });
    const sampled = COUNT / median(rounds);
    if (where === 'last') perN[n] = sampled;
    line(`first packet, ${where} Service of ${n}`, `sampled ${rate(COUNT, median(rounds))} (CPU), enumerated (10 paths) ${rate(2000, enumerate.cpu)} (CPU)`);
  }
}
line('flatness (sampled rate, last Service: 10,000 against 1,000)', `${(perN[10_000] / perN[1000]).toFixed(2)}x (1.00x is flat; iptables mode walks KUBE-SERVICES rule by rule)`);
