/**
 * Kernel agreement: for every ruleset in fixtures/netfilter/, the real Linux
 * netfilter and our engine must send packets to the same places.
 *
 * Per fixture: build namespaces (support/topology.ts), load the ruleset with
 * the real `iptables-restore`, check that the kernel's `iptables-save` is
 * byte for byte our printing, then send real TCP connections and UDP
 * datagrams (probes.ts) from a pod, from the node and from outside. Listeners
 * in every namespace record where each connection arrived (the kernel's DNAT)
 * and from which address (its SNAT / masquerade); the sending socket tells a
 * REJECT (refused) from a DROP (timeout). The set of places must equal the
 * set of the engine's enumerated outcomes, and when the engine forks on
 * `statistic --mode random`, the counts must fit its probabilities
 * (chi-square, p = 0.001).
 *
 * Needs root, iptables (nf_tables), iproute2 and nfacct. Elsewhere the suite
 * is skipped and says why; NSIM_KERNEL_REQUIRED=1 turns that into a failure.
 *
 *   npm run test:kernel      (jest --config test/kernel/jest-kernel.config.js)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock';
import { cidrContains, tryParseIPv4, tryParseIPv4Cidr } from '../../src/common/ipv4';
import { SeededRandom } from '../../src/common/random';
import { NetfilterEngine, type TraceInput, type TraceOutcome } from '../../src/netfilter/engine';
import { Host } from '../../src/netfilter/host';
import { printIptablesSave } from '../../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../../src/netfilter/iptables-text.parser';
import { IpsetStore } from '../../src/netfilter/ipset/ipset-store';
import { printIpsetSave, restoreIpsets } from '../../src/netfilter/ipset/ipset-text';
import { rejectAnswer } from '../../src/netfilter/reject-answer';
import { hardwareAddressOf } from '../../src/netfilter/matches/mac.match';
import { PROBES, type Probe } from './probes';
import { echoAnswerers, ping } from './support/ping';
import { formatIp } from '../../src/netfilter/address';
import {
  BRIDGE_IP,
  ENGINE_HOST,
  GATEWAY_IP,
  NODE_IP,
  ONLINK_CLIENT_IP,
  OUTSIDE_MAC,
  POD_NET,
  Topology,
  kernelSuiteUnavailable,
  type ClientResult,
  type ListenerRecord,
} from './support/topology';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'netfilter');
const NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.rules'))
  .map((f) => f.slice(0, -'.rules'.length))
  .sort();

const unavailable = kernelSuiteUnavailable();
if (unavailable !== undefined) {
  const message = `kernel agreement suite SKIPPED: ${unavailable}`;
  if (process.env.NSIM_KERNEL_REQUIRED === '1') throw new Error(message);
  process.stderr.write(`\n*** ${message} ***\n\n`);
}
const describeKernel = unavailable === undefined ? describe : describe.skip;

/** Chi-square critical values at p = 0.001, by degrees of freedom. */
const CHI2_CRITICAL = [NaN, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59];

const POD_CIDR = tryParseIPv4Cidr(POD_NET)!;
const NODE_ADDRESSES = new Set([NODE_IP, BRIDGE_IP]);

/** Which namespace owns an address, as the listeners label themselves. */
function ownerOf(address: string, pods: ReadonlySet<string>): string {
  if (NODE_ADDRESSES.has(address) || address.startsWith('127.')) return 'node';
  if (pods.has(address)) return `pod:${address}`;
  return 'out';
}

/** A fixture's ipsets (`NAME.ipset` beside `NAME.rules`, loaded first with the real `ipset restore`), as text. */
function ipsetTextOf(name: string): string | undefined {
  const file = join(FIXTURES, `${name}.ipset`);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function ipsetStore(text: string | undefined): IpsetStore | undefined {
  if (text === undefined) return undefined;
  const store = new IpsetStore();
  restoreIpsets(store, text, { now: 0 });
  return store;
}

function engineFor(rules: string, ipsetText?: string): NetfilterEngine {
  const ipsets = ipsetStore(ipsetText);
  return new NetfilterEngine({ ruleset: parseRuleset(rules, { ipsets }), host: Host.create(ENGINE_HOST), clock: new ManualClock(), random: new SeededRandom(1), ipsets });
}

function traceInput(probe: Probe, sourcePort: number): TraceInput {
  // An echo's id stands where the source port is.
  const base =
    probe.protocol === 'icmp'
      ? { protocol: probe.protocol, icmpType: 8, icmpId: sourcePort, destination: probe.destination }
      : { protocol: probe.protocol, sourcePort, destination: probe.destination, destinationPort: probe.port };
  if (probe.from.kind === 'host') return { hook: 'OUTPUT', ...base, socket: probe.user };
  // The frame's source MAC as the topology sets it (`-m mac`); a TCP connection to the node meets its listener, bound to 0.0.0.0 (`-m socket`).
  const localSocket = probe.protocol === 'tcp' && NODE_ADDRESSES.has(probe.destination) ? { wildcard: true } : undefined;
  if (probe.from.kind === 'pod') return { hook: 'PREROUTING', inInterface: 'cni0', source: probe.from.ip, sourceMac: hardwareAddressOf(tryParseIPv4(probe.from.ip)!), localSocket, ...base };
  return { hook: 'PREROUTING', inInterface: 'eth0', source: probe.from.ip, sourceMac: OUTSIDE_MAC, localSocket, ...base };
}

/** Where an engine outcome says the connection ends, in the words the kernel side uses. */
function placeOf(o: TraceOutcome, protocol: Probe['protocol'], pods: ReadonlySet<string>, engine?: NetfilterEngine): string {
  // A TTL that expires in forwarding is answered with ICMP time exceeded: a TCP client sees "unreachable".
  if (o.verdict === 'DROP' && o.reason === 'ttl-exceeded') return protocol === 'tcp' ? 'rejected' : 'dropped';
  if (o.verdict === 'DROP') return 'dropped';
  if (o.verdict === 'REJECT') {
    // The REJECT's ICMP error must get out of the node (OUTPUT, as RELATED) for the client to see it.
    const answer = engine === undefined ? undefined : rejectAnswer(o, (a) => engine.host.isLocal(a));
    if (answer !== undefined && engine!.enumerate(answer).some((e) => e.verdict !== 'ACCEPT')) return 'dropped';
    return protocol === 'udp' ? 'dropped' : 'rejected';
  }
  const p = o.packet;
  if (protocol === 'icmp') return `echo answered by ${formatIp(p.destination)}`;
  const destination = formatIp(p.destination);
  const owner = o.delivery === 'local' ? 'node' : ownerOf(destination, pods);
  return `${owner} ${destination}:${p.destinationPort} from ${formatIp(p.source)}`;
}

/** Where the kernel sent one connection. */
function kernelPlace(result: ClientResult, record: ListenerRecord | undefined, protocol: Probe['protocol']): string {
  if (record) return `${record.ns} ${record.local}:${record.localPort} from ${record.remote}`;
  if (protocol === 'tcp' && (result.result === 'refused' || result.result === 'unreachable')) return 'rejected';
  if (result.result === 'timeout' || (protocol === 'udp' && result.result !== 'answered')) return 'dropped';
  return `unexplained (${result.result})`;
}

interface Prediction {
  /** Place -> probability. */
  readonly places: Map<string, number>;
  readonly outcomes: TraceOutcome[];
}

function predict(rules: string, probe: Probe, pods: ReadonlySet<string>, ipsetText?: string): Prediction {
  const engine = engineFor(rules, ipsetText);
  const outcomes = engine.enumerate(traceInput(probe, 40000));
  const places = new Map<string, number>();
  for (const o of outcomes) {
    const place = placeOf(o, probe.protocol, pods, engine);
    places.set(place, (places.get(place) ?? 0) + o.probability);
  }
  return { places, outcomes };
}

/** Addresses the topology must hold so that every predicted destination exists. */
function topologyFor(rules: string, probes: readonly Probe[], ipsetText?: string) {
  const pods = new Set<string>();
  const outside = new Set<string>();
  const ports = new Set<number>();
  const add = (address: string) => {
    const n = tryParseIPv4(address)!;
    if (NODE_ADDRESSES.has(address) || address.startsWith('127.') || address === GATEWAY_IP || address === ONLINK_CLIENT_IP) return;
    if (cidrContains(POD_CIDR, n)) pods.add(address);
    else outside.add(address);
  };
  for (const probe of probes) {
    if (probe.protocol !== 'icmp') ports.add(probe.port);
    if (probe.from.kind !== 'host') add(probe.from.ip);
    // A pod an echo is sent to exists, even when a rule keeps the echo from it.
    if (probe.protocol === 'icmp' && cidrContains(POD_CIDR, tryParseIPv4(probe.destination)!)) add(probe.destination);
    // Every place any outcome forwards to must exist (enumerate with no pods known yet: owners do not matter here).
    for (const o of engineFor(rules, ipsetText).enumerate(traceInput(probe, 40000))) {
      if (probe.protocol !== 'icmp') ports.add(o.packet.destinationPort);
      if (o.verdict === 'ACCEPT' && o.delivery === 'forward') add(formatIp(o.packet.destination));
    }
  }
  const nfacct = [...rules.matchAll(/--nfacct-name\s+("?)([^\s"]+)\1/g)].map((m) => m[2]);
  return { pods: [...pods].sort(), outsideAddresses: [...outside].sort(), ports: [...ports].sort((a, b) => a - b), nfacct: [...new Set(nfacct)] };
}

/** Save text without `#` lines, and with chain counters zeroed (packets the node sent itself may count). */
function withoutComments(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => (l.startsWith(':') ? l.replace(/ \[\d+:\d+\]$/, ' [0:0]') : l));
}

/** How many connections a probe sends: enough for a chi-square when the engine forks. */
function connectionsFor(prediction: Prediction): number {
  const k = prediction.places.size;
  if (k > 1) return Math.min(600, 120 * k);
  return prediction.places.has('dropped') ? 4 : 16;
}

let probeCount = 0;

describeKernel('the Linux kernel agrees with the engine', () => {
  it('covers at least 10 fixtures and 40 probes, every fixture probed', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(10);
    for (const name of NAMES) expect(PROBES[name]?.length ?? 0).toBeGreaterThan(0);
    const total = NAMES.reduce((n, name) => n + (PROBES[name]?.length ?? 0), 0);
    expect(total).toBeGreaterThanOrEqual(40);
  });

  NAMES.forEach((name, fixtureIndex) => {
    describe(name, () => {
      const rules = readFileSync(join(FIXTURES, `${name}.rules`), 'utf8');
      const probes = PROBES[name] ?? [];
      const ipsetText = ipsetTextOf(name);
      let topology: Topology | undefined;
      let pods: Set<string> = new Set();

      beforeAll(async () => {
        const spec = topologyFor(rules, probes, ipsetText);
        pods = new Set(spec.pods);
        topology = await Topology.create(spec);
        if (ipsetText !== undefined) topology.restoreIpsets(ipsetText);
        topology.restore(rules);
      });

      afterAll(() => {
        topology?.destroy();
      });

      it("the kernel's iptables-save is our printing", () => {
        const ours = withoutComments(printIptablesSave(parseRuleset(rules, { ipsets: ipsetStore(ipsetText) })));
        expect(withoutComments(topology!.save())).toEqual(ours);
      });

      if (ipsetText !== undefined) {
        it("the kernel's ipset save is our printing", () => {
          expect(topology!.saveIpsets().split('\n')).toEqual(printIpsetSave(ipsetStore(ipsetText)!, 0).split('\n'));
        });
      }

      probes.forEach((probe, probeIndex) => {
        const from = probe.from.kind === 'host' ? 'node' : probe.from.kind === 'pod' ? `pod ${probe.from.ip}` : `outside ${probe.from.ip}`;
        it(`${probe.protocol} from ${from} to ${probe.destination}:${probe.port}: ${probe.why}`, () => {
          probeCount++;
          const t = topology!;
          const prediction = predict(rules, probe, pods, ipsetText);
          if (probe.protocol === 'icmp') {
            // Three echoes from one ping: all answered (by whom, the node's conntrack says), an error, or silence.
            const seen = ping(t.namespaceOf(probe.from), probe.destination, 3, probe.from.kind === 'outside' ? probe.from.ip : undefined);
            const kernel = seen === 'answered' ? echoAnswerers(t.node, probe.destination).map((a) => `echo answered by ${a}`) : [seen === 'error' ? 'rejected' : 'dropped'];
            expect(kernel).toEqual([...prediction.places.keys()].sort());
            return;
          }
          const sequential = probe.sequential !== undefined;
          const count = probe.sequential ?? connectionsFor(prediction);
          const ids = Array.from({ length: count }, (_, i) => `f${fixtureIndex}p${probeIndex}c${i}`);
          const droppedOnly = prediction.places.size === 1 && prediction.places.has('dropped');
          const results = t.client(t.namespaceOf(probe.from), {
            protocol: probe.protocol,
            destination: probe.destination,
            port: probe.port,
            source: probe.from.kind === 'outside' ? probe.from.ip : undefined,
            ids,
            concurrency: sequential ? 1 : 64,
            timeoutMs: droppedOnly ? 1200 : 2500,
            uid: probe.user?.uid,
            gid: probe.user?.gid,
          });
          const records = new Map(t.records().map((r) => [r.id, r]));
          const places = results.map((r) => kernelPlace(r, records.get(r.id), probe.protocol));

          if (sequential) {
            // The engine follows the kernel connection by connection: each must be one of the
            // engine's outcomes at that point, which the engine then takes (commit).
            const engine = engineFor(rules, ipsetText);
            results.forEach((r, i) => {
              const input = traceInput(probe, r.localPort ?? 40000 + i);
              const outcomes = engine.enumerate(input);
              const byPlace = new Map(outcomes.map((o) => [placeOf(o, probe.protocol, pods), o]));
              expect({ connection: i, place: places[i] }).toEqual({ connection: i, place: expect.toBeOneOf([...byPlace.keys()]) });
              engine.commit(input, byPlace.get(places[i])!);
            });
            return;
          }

          const counts = new Map<string, number>();
          for (const place of places) counts.set(place, (counts.get(place) ?? 0) + 1);
          // The same set of places.
          expect([...counts.keys()].sort()).toEqual([...prediction.places.keys()].sort());
          // And frequencies that fit the engine's probabilities.
          if (prediction.places.size > 1) {
            let chi2 = 0;
            for (const [place, p] of prediction.places) {
              const expected = p * places.length;
              chi2 += ((counts.get(place) ?? 0) - expected) ** 2 / expected;
            }
            expect(chi2).toBeLessThan(CHI2_CRITICAL[prediction.places.size - 1]);
          }
        });
      });
    });
  });

  afterAll(() => {
    process.stderr.write(`kernel agreement: ${NAMES.length} fixtures, ${probeCount} probes run\n`);
  });
});

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toBeOneOf(values: readonly unknown[]): R;
    }
    interface Expect {
      toBeOneOf(values: readonly unknown[]): unknown;
    }
  }
}

expect.extend({
  toBeOneOf(received: unknown, values: readonly unknown[]) {
    const pass = values.includes(received);
    return {
      pass,
      message: () => `expected ${JSON.stringify(received)} ${pass ? 'not ' : ''}to be one of ${JSON.stringify(values)}`,
    };
  },
});
