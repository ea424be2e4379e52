/**
 * Kernel agreement for probes through one host's rules (the cluster suites' agreement is
 * agreement.ts), the parts every probing suite shares: a probe as the
 * engine's packet, where an engine outcome and where the kernel sent a
 * connection (in the same words), the topology a set of probes needs, and
 * one probe run against the kernel and checked against the engine's
 * enumerated outcomes (the same places; frequencies that fit the
 * probabilities, chi-square at p = 0.001; or, for sequential probes, the
 * engine following the kernel connection by connection).
 */
import { cidrContains, tryParseIPv4, tryParseIPv4Cidr } from '../../../src/common/ipv4';
import type { NetfilterEngine } from '../../../src/netfilter/engine';
import type { TraceInput } from '../../../src/netfilter/trace-input';
import type { TraceOutcome } from '../../../src/netfilter/outcome';
import { formatIp } from '../../../src/netfilter/address';
import { hardwareAddressOf } from '../../../src/netfilter/matches/mac.match';
import { rejectAnswer } from '../../../src/netfilter/reject-answer';
import type { Probe } from '../probes';
import { BRIDGE_IP, GATEWAY_IP, NODE_IP, ONLINK_CLIENT_IP, OUTSIDE_MAC, POD_NET, type ClientResult, type ListenerRecord, type Topology } from './topology';

/** Chi-square critical values at p = 0.001, by degrees of freedom. */
export const CHI2_CRITICAL = [NaN, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59];

const POD_CIDR = tryParseIPv4Cidr(POD_NET)!;
export const NODE_ADDRESSES = new Set([NODE_IP, BRIDGE_IP]);

/** Which namespace owns an address, as the listeners label themselves. */
function ownerOf(address: string, pods: ReadonlySet<string>): string {
  if (NODE_ADDRESSES.has(address) || address.startsWith('127.')) return 'node';
  if (pods.has(address)) return `pod:${address}`;
  return 'out';
}

export function traceInput(probe: Probe, sourcePort: number): TraceInput {
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
export function placeOf(o: TraceOutcome, protocol: Probe['protocol'], pods: ReadonlySet<string>, engine?: NetfilterEngine): string {
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
export function kernelPlace(result: ClientResult, record: ListenerRecord | undefined, protocol: Probe['protocol']): string {
  if (record) return `${record.ns} ${record.local}:${record.localPort} from ${record.remote}`;
  if (protocol === 'tcp' && (result.result === 'refused' || result.result === 'unreachable')) return 'rejected';
  if (result.result === 'timeout' || (protocol === 'udp' && result.result !== 'answered')) return 'dropped';
  return `unexplained (${result.result})`;
}

export interface Prediction {
  /** Place -> probability. */
  readonly places: Map<string, number>;
  readonly outcomes: TraceOutcome[];
}

export function predict(engine: NetfilterEngine, probe: Probe, pods: ReadonlySet<string>): Prediction {
  const outcomes = engine.enumerate(traceInput(probe, 40000));
  const places = new Map<string, number>();
  for (const o of outcomes) {
    const place = placeOf(o, probe.protocol, pods, engine);
    places.set(place, (places.get(place) ?? 0) + o.probability);
  }
  return { places, outcomes };
}

/** Addresses the topology must hold so that every predicted destination exists. */
export function topologyFor(makeEngine: () => NetfilterEngine, probes: readonly Probe[]): { pods: string[]; outsideAddresses: string[]; ports: number[] } {
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
    for (const o of makeEngine().enumerate(traceInput(probe, 40000))) {
      if (probe.protocol !== 'icmp') ports.add(o.packet.destinationPort);
      if (o.verdict === 'ACCEPT' && o.delivery === 'forward') add(formatIp(o.packet.destination));
    }
  }
  return { pods: [...pods].sort(), outsideAddresses: [...outside].sort(), ports: [...ports].sort((a, b) => a - b) };
}

/** How many connections a probe sends: enough for a chi-square when the engine forks. */
function connectionsFor(prediction: Prediction): number {
  const k = prediction.places.size;
  if (k > 1) return Math.min(600, 120 * k);
  return prediction.places.has('dropped') ? 4 : 16;
}

/** Sends the probe's connections from its namespace and checks where the kernel sent them against the engine's prediction. */
export function checkProbe(t: Topology, probe: Probe, prediction: Prediction, idPrefix: string, pods: ReadonlySet<string>, makeEngine: () => NetfilterEngine): void {
  if (probe.protocol === 'icmp') throw new Error('checkProbe sends connections and datagrams; an echo probe is pinged');
  const sequential = probe.sequential !== undefined;
  const count = probe.sequential ?? connectionsFor(prediction);
  const ids = Array.from({ length: count }, (_, i) => `${idPrefix}c${i}`);
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
    const engine = makeEngine();
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
  expectFrequenciesFit(counts, prediction.places, places.length);
}

/** The kernel's counts per place fit the engine's probabilities (chi-square at p = 0.001; nothing to test with one place). */
export function expectFrequenciesFit(counts: ReadonlyMap<string, number>, probabilities: ReadonlyMap<string, number>, total: number): void {
  if (probabilities.size < 2) return;
  let chi2 = 0;
  for (const [place, p] of probabilities) {
    const expected = p * total;
    chi2 += ((counts.get(place) ?? 0) - expected) ** 2 / expected;
  }
  expect(chi2).toBeLessThan(CHI2_CRITICAL[probabilities.size - 1]);
}

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
