/**
 * IPv6 beside IPv4: the same 10,000 Services (default; 10 endpoints each,
 * every tenth a NodePort on UDP/53) as iptables and as ip6tables rules, and
 * as kube-proxy's proxier of each family. Run with
 *   node --expose-gc -r ./bench/register.js bench/netfilter-ipv6.ts [services]
 * (or `npm run bench -- netfilter-ipv6`).
 *
 * For each family: parse of the full-sync restore text (median of 3), the
 * first packet of new connections traced in sample mode (pod to a Service
 * near the start and near the end of KUBE-SERVICES, and a miss; median over
 * targets and 3 rounds, by CPU time), kube-proxy's full sync on a fresh
 * proxier (median of 3), and a node's full sync as the cluster runs it: the
 * proxier's sync loaded into the node's ruleset of that family over the
 * kubelet's chains (`loadSync`, as KubeProxyController does for each family;
 * median of 3). Each round measures both families, in alternating order, so
 * that the load of a shared machine falls on both alike. Then IPv6 / IPv4 for
 * each: the target is at most 1.5x (IPv6 addresses are bigints; IPv4 keeps
 * its integer arithmetic).
 */
import { ManualClock } from '../src/common/clock';
import { SeededRandom } from '../src/common/random';
import { tryParseIPv6 } from '../src/ipam/ipv6';
import { KUBELET_IP6TABLES, KUBELET_IPTABLES } from '../src/cluster/controllers/kubelet-iptables';
import { Proxier } from '../src/kube-proxy/proxier';
import { loadSync } from '../src/kube-proxy/ruleset-loader';
import { LABEL_SERVICE_NAME, type EndpointSlice, type Service } from '../src/kube-proxy/types';
import { NetfilterEngine } from '../src/netfilter/engine';
import type { TraceInput } from '../src/netfilter/trace-input';
import { Host } from '../src/netfilter/host';
import { parseRuleset, restoreRuleset } from '../src/netfilter/iptables-text.parser';
import { Ruleset } from '../src/netfilter/ruleset';
import { restoreText, service, type BenchFamily } from './support/kube-proxy-rules';
import { median, timed } from './support/timing';

const gc = (globalThis as { gc?: () => void }).gc;
const N = Number(process.argv[2] ?? 10000);
const FAMILIES: readonly BenchFamily[] = ['ipv4', 'ipv6'];

const line = (what: string, figure: string) => process.stdout.write(`netfilter ipv6: ${what}: ${figure}\n`);
const fmt = (x: number) => (x < 10 ? `${x.toFixed(2)} ms` : `${Math.round(x)} ms`);


const JUMPS = [
  '*nat',
  '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  'COMMIT',
  '*filter',
  '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  'COMMIT',
  '',
].join('\n');

const HOSTS: Record<BenchFamily, Host> = {
  ipv4: Host.create({
    interfaces: [
      { name: 'eth0', addresses: ['192.168.0.10/24'] },
      { name: 'cni0', addresses: ['10.244.0.1/24'] },
    ],
    routes: [{ destination: 'default', via: '192.168.0.1' }],
  }),
  ipv6: Host.create({
    interfaces: [
      { name: 'eth0', addresses: ['2001:db8::10/64'] },
      { name: 'cni0', addresses: ['fd00:10:244::1/64'] },
    ],
    routes: [{ destination: 'default', via: '2001:db8::1' }],
  }),
};

interface Figures {
  parse: number;
  trace: number;
  sync: number;
  node: number;
}

/** Rounds per figure; each round measures both families, in alternating order, so a change of load falls on both. */
const ROUNDS = 3;

/** One family's measurement, a round at a time. */
interface Bench {
  round(): void;
}

function interleaved(benches: readonly Bench[]): void {
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? benches : [...benches].reverse();
    for (const b of order) b.round();
  }
}

function parseBench(family: BenchFamily): Bench & { times: number[]; lines: number; ruleset: Ruleset } {
  const text = restoreText(N, undefined, family);
  const bench = {
    times: [] as number[],
    lines: text.split('\n').length - 1,
    ruleset: parseRuleset(text, { family }),
    round() {
      bench.ruleset = undefined as never;
      gc?.();
      const t = timed(() => parseRuleset(text, { family }));
      bench.ruleset = t.result;
      bench.times.push(t.cpu);
    },
  };
  return bench;
}

/** Microseconds of CPU per first packet (a new connection each time), per target and round. */
function traceBench(family: BenchFamily, ruleset: Ruleset): Bench & { perTarget: number[] } {
  restoreRuleset(ruleset, JUMPS, { noflush: true });
  const clock = new ManualClock();
  const engine = new NetfilterEngine({ ruleset, host: HOSTS[family], clock, random: new SeededRandom(7) });
  const v6 = family === 'ipv6';
  const podBase = v6 ? tryParseIPv6('fd00:10:244::2')! : 0x0af40002;
  // Sources as the engine holds them in both families (a number, a bigint), so neither pays for text.
  const source = (i: number): TraceInput['source'] => (v6 ? (podBase as bigint) + BigInt(i % 250) : (podBase as number) + (i % 250));
  const targets = [service(0, family), service(N - 2, family), { protocol: 'tcp' as const, clusterIP: v6 ? 'fd00:10:96::fafa' : '10.96.250.250', port: 80 }];
  const packet = (t: (typeof targets)[number], i: number): TraceInput => ({
    hook: 'PREROUTING',
    inInterface: 'cni0',
    protocol: t.protocol,
    source: source(i),
    sourcePort: 1024 + (Math.floor(i / 250) % 64000),
    destination: t.clusterIP,
    destinationPort: t.port,
  });
  for (let i = 0; i < 14000; i++) {
    clock.advance(10);
    engine.sample(packet(targets[1], i));
  }
  let n = 1_000_000;
  const bench = {
    perTarget: [] as number[],
    round() {
      for (const t of targets) {
        const count = 20000;
        const m = timed(() => {
          for (let k = 0; k < count; k++) {
            clock.advance(10);
            engine.sample(packet(t, n++));
          }
        });
        bench.perTarget.push((m.cpu / count) * 1000);
      }
    },
  };
  return bench;
}

function k8sService(i: number, family: BenchFamily): Service {
  const nodePort = i % 10 === 0;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: `ns${i % 100}`, name: `svc-${i}` },
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP: family === 'ipv6' ? `fd00:10:96::${i.toString(16)}` : `10.96.${(i >> 8) & 255}.${i & 255}`,
      ports: [nodePort ? { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30000 + ((i / 10) % 2768) } : { name: 'http', port: 80, protocol: 'TCP' }],
    },
  } as Service;
}

function slice(i: number, family: BenchFamily): EndpointSlice {
  const nodePort = i % 10 === 0;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: `ns${i % 100}`, name: `svc-${i}-abcde`, labels: { [LABEL_SERVICE_NAME]: `svc-${i}` } },
    addressType: family === 'ipv6' ? 'IPv6' : 'IPv4',
    endpoints: Array.from({ length: 10 }, (_, k) => {
      const n = i * 10 + k;
      return {
        addresses: [family === 'ipv6' ? `fd00:10:64:${((n >> 16) & 63).toString(16)}::${(n & 0xffff).toString(16)}` : `10.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`],
        conditions: { ready: true },
        nodeName: `node-${n % 50}`,
      };
    }),
    ports: [nodePort ? { name: 'dns', port: 53, protocol: 'UDP' } : { name: 'http', port: 8080, protocol: 'TCP' }],
  } as EndpointSlice;
}

function syncBench(family: BenchFamily): Bench & { sync: number[]; node: number[]; lines: number } {
  const services = Array.from({ length: N }, (_, i) => k8sService(i, family));
  const slices = Array.from({ length: N }, (_, i) => slice(i, family));
  const bench = {
    sync: [] as number[],
    node: [] as number[],
    lines: 0,
    round() {
      gc?.();
      const proxier = new Proxier({
        node: { name: 'node-0', addresses: [family === 'ipv6' ? '2001:db8::10' : '192.168.0.10'] },
        clock: new ManualClock(),
        family: family === 'ipv6' ? 'IPv6' : 'IPv4',
        config: { clusterCIDR: family === 'ipv6' ? 'fd00:10:64::/56' : '10.64.0.0/10' },
        emulation: { nfacctInvalidDropped: false, nfacctLocalhostNodePorts: false },
      });
      for (const s of services) proxier.onServiceAdd(s);
      for (const s of slices) proxier.onEndpointSliceAdd(s);
      const t = timed(() => proxier.sync());
      bench.lines = t.result.lines;
      bench.sync.push(t.cpu);
      // The node's tables of this family, as the kubelet leaves them, then the sync loaded into them.
      const ruleset = new Ruleset(family);
      restoreRuleset(ruleset, family === 'ipv6' ? KUBELET_IP6TABLES : KUBELET_IPTABLES, { noflush: true });
      const result = t.result;
      gc?.();
      bench.node.push(t.cpu + timed(() => loadSync(ruleset, result)).cpu);
    },
  };
  return bench;
}

const parses = FAMILIES.map(parseBench);
interleaved(parses);
const traces = FAMILIES.map((family, i) => traceBench(family, parses[i].ruleset));
interleaved(traces);
const syncs = FAMILIES.map(syncBench);
interleaved(syncs);

const figures = new Map<BenchFamily, Figures>();
FAMILIES.forEach((family, i) => {
  const trace = median(traces[i].perTarget);
  const f: Figures = { parse: median(parses[i].times), trace, sync: median(syncs[i].sync), node: median(syncs[i].node) };
  line(`${family} parse (${parses[i].lines} lines, CPU median of ${ROUNDS})`, fmt(f.parse));
  line(`${family} first packet, sample mode (pod to Service, new connections; CPU median)`, `${trace.toFixed(1)} µs per trace (${Math.round(1e6 / trace).toLocaleString('en-US')}/s)`);
  line(`${family} kube-proxy full sync (${syncs[i].lines} lines, CPU median of ${ROUNDS})`, fmt(f.sync));
  line(`${family} node full sync: the sync loaded into the node's ${family === 'ipv6' ? 'ip6tables' : 'iptables'} ruleset (CPU median of ${ROUNDS})`, fmt(f.node));
  figures.set(family, f);
});
const v4 = figures.get('ipv4')!;
const v6 = figures.get('ipv6')!;
let met = true;
const NAMES: Record<keyof Figures, string> = { parse: 'parse', trace: 'first packet', sync: 'kube-proxy full sync', node: 'node full sync (sync + load)' };
for (const key of ['parse', 'trace', 'sync', 'node'] as const) {
  const ratio = v6[key] / v4[key];
  if (ratio > 1.5) met = false;
  line(`IPv6 / IPv4, ${NAMES[key]}`, `${ratio.toFixed(2)}x`);
}
line('target (IPv6 within 1.5x of IPv4 for each)', met ? 'met' : 'MISSED');
