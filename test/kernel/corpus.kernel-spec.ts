/**
 * Kernel agreement for the real-dump corpus (fixtures/netfilter-corpus/): for
 * every public dump, Linux and our engine must send the manifest's probes to
 * the same places.
 *
 * Per dump: build the network its manifest entry describes (support/corpus-
 * topology.ts: the node with interfaces named as in the dump, one namespace
 * behind each), load the dump with the real `iptables-restore` (the ipsets and
 * nfacct objects it names created first, empty), check that the kernel's
 * `iptables-save` is the recorded NAME.expected, then send each probe's real
 * TCP connections or UDP datagrams. Listeners record where each arrived (the
 * kernel's DNAT) and from where (its SNAT / masquerade); the sending socket
 * tells a REJECT from a DROP.
 *
 * The engine loads the dump as the unit spec does (with `unsupported: 'keep'`
 * where the manifest says it must) and enumerates each probe. Where no path
 * depends on a kept rule, the set of places must equal the kernel's (and fit
 * the engine's probabilities, chi-square p = 0.001, when it forks on
 * `statistic`). Where paths depend on kept rules, the engine forks on them:
 * every place the kernel chose must be one the engine lists; where a path
 * stops at a kept target (verdict UNKNOWN), which could end anywhere, the
 * probe's `linux` in the manifest says where Linux sends it, and that is checked.
 * A dump the engine refuses even with `unsupported: 'keep'` (manifest
 * `refused`) has its probes skipped, and says so.
 *
 * Needs root, iptables (nf_tables), iproute2, ipset and nfacct. Elsewhere the
 * suite is skipped and says why; NSIM_KERNEL_REQUIRED=1 turns that into a failure.
 *
 *   npm run test:kernel -- corpus
 */
import { corpusIpsetNames, corpusIpsets } from '../support/corpus-ipsets';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock';
import { tryParseIPv4 } from '../../src/common/ipv4';
import { SeededRandom } from '../../src/common/random';
import { NetfilterEngine } from '../../src/netfilter/engine';
import type { TraceInput } from '../../src/netfilter/trace-input';
import type { TraceOutcome } from '../../src/netfilter/outcome';
import { Host } from '../../src/netfilter/host';
import { parseRuleset } from '../../src/netfilter/iptables-text.parser';
import { CorpusTopology, corpusHost, type CorpusInterface, type CorpusTopologySpec } from './support/corpus-topology';
import { expectFrequenciesFit } from './support/probe-agreement';
import { kernelDescribe, kernelSuiteUnavailable, savedRules, type ClientResult, type ListenerRecord } from './support/netns';
import { formatIp } from '../../src/netfilter/address';

const CORPUS = join(__dirname, '..', '..', 'fixtures', 'netfilter-corpus');

interface CorpusProbe {
  /** `host` (from the node itself) or `IFACE:ADDRESS` (from that address behind that interface). */
  readonly from: string;
  readonly protocol: 'tcp' | 'udp';
  readonly destination: string;
  readonly port: number;
  readonly why: string;
  /**
   * Where Linux sends it, for a probe whose path stops at a kept target (verdict
   * UNKNOWN): the engine cannot say, so the manifest does, and this spec checks it.
   */
  readonly linux?: string;
}

interface CorpusEntry {
  readonly keep: readonly number[];
  readonly refused?: readonly number[];
  readonly topology: readonly CorpusInterface[];
  readonly defaultVia?: string;
  readonly ports?: readonly number[];
  readonly probes: readonly CorpusProbe[];
}

const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { dumps: Record<string, CorpusEntry> };
const NAMES = Object.keys(manifest.dumps).sort();

const describeKernel = kernelDescribe('kernel corpus suite', kernelSuiteUnavailable());

/** What an engine path that stops at a kept target (UNKNOWN) is written as. */
const ANY = 'any (stops at a kept rule kube-netsim does not model)';

/** Names as the dump writes them after an option (unquoted words). */
function namesAfter(text: string, pattern: RegExp): string[] {
  return [...new Set([...text.matchAll(pattern)].map((m) => m[1].replace(/"/g, '')))];
}

function topologySpec(entry: CorpusEntry, text: string, ports: readonly number[]): CorpusTopologySpec {
  return {
    interfaces: entry.topology,
    defaultVia: entry.defaultVia,
    ports,
    ipsets: corpusIpsetNames(text),
    nfacct: namesAfter(text, /--nfacct-name (\S+)/g),
  };
}

function engineFor(text: string, entry: CorpusEntry): NetfilterEngine {
  const ipsets = corpusIpsets(text);
  const options = entry.keep.length > 0 ? { unsupported: 'keep' as const, ipsets } : { ipsets };
  return new NetfilterEngine({
    ipsets,
    ruleset: parseRuleset(text, options),
    host: Host.create(corpusHost({ interfaces: entry.topology, defaultVia: entry.defaultVia })),
    clock: new ManualClock(),
    random: new SeededRandom(1),
  });
}

function traceInput(probe: CorpusProbe, sourcePort: number): TraceInput {
  const base = { protocol: probe.protocol, sourcePort, destination: probe.destination, destinationPort: probe.port };
  if (probe.from === 'host') return { hook: 'OUTPUT', ...base };
  const [inInterface, source] = probe.from.split(':');
  return { hook: 'PREROUTING', inInterface, source, ...base };
}

/** Which listener owns an address: the side whose peers hold it; undefined when none does. */
function sideOf(address: string, entry: CorpusEntry): string | undefined {
  const iface = entry.topology.find((i) => i.peers.includes(address));
  return iface ? `side:${iface.name}` : undefined;
}

/** Where an engine outcome says the connection ends, in the words the kernel side uses. */
function placeOf(o: TraceOutcome, protocol: 'tcp' | 'udp', entry: CorpusEntry): string {
  if (o.verdict === 'UNKNOWN') return ANY;
  if (o.verdict === 'DROP') return 'dropped';
  if (o.verdict === 'REJECT') return protocol === 'tcp' ? 'rejected' : 'dropped';
  const p = o.packet;
  const destination = formatIp(p.destination);
  const owner = o.delivery === 'local' ? 'node' : (sideOf(destination, entry) ?? `nowhere (${destination})`);
  return `${owner} ${destination}:${p.destinationPort} from ${formatIp(p.source)}`;
}

/** Where the kernel sent one connection. */
function kernelPlace(result: ClientResult, record: ListenerRecord | undefined, protocol: 'tcp' | 'udp'): string {
  if (record) return `${record.ns} ${record.local}:${record.localPort} from ${record.remote}`;
  if (protocol === 'tcp' && (result.result === 'refused' || result.result === 'unreachable')) return 'rejected';
  if (result.result === 'timeout' || (protocol === 'udp' && result.result !== 'answered')) return 'dropped';
  return `unexplained (${result.result})`;
}

interface Prediction {
  /** Place -> probability. */
  readonly places: Map<string, number>;
  /** Some path goes through a kept rule. */
  readonly dependsOnKept: boolean;
}

function predict(engine: NetfilterEngine, probe: CorpusProbe, entry: CorpusEntry): Prediction {
  const outcomes = engine.enumerate(traceInput(probe, 40000));
  const places = new Map<string, number>();
  for (const o of outcomes) places.set(placeOf(o, probe.protocol, entry), (places.get(placeOf(o, probe.protocol, entry)) ?? 0) + o.probability);
  return { places, dependsOnKept: outcomes.some((o) => o.dependsOn.length > 0) };
}

/** Every port a listener must open: the probes', the manifest's, and each place an engine path rewrites to. */
function portsFor(entry: CorpusEntry, engine: NetfilterEngine | undefined): number[] {
  const ports = new Set<number>([...entry.probes.map((p) => p.port), ...(entry.ports ?? [])]);
  if (engine) {
    for (const probe of entry.probes) for (const o of engine.enumerate(traceInput(probe, 40000))) if (o.packet.destinationPort) ports.add(o.packet.destinationPort);
  }
  return [...ports].sort((a, b) => a - b);
}

/** How many connections a probe sends: enough for a chi-square when the engine forks on statistic. */
function connectionsFor(prediction: Prediction): number {
  const k = prediction.places.size;
  if (k > 1 && !prediction.dependsOnKept) return Math.min(600, 120 * k);
  return prediction.places.has('dropped') && k === 1 ? 4 : 16;
}

let probeCount = 0;

describeKernel('the Linux kernel agrees with the engine on the real-dump corpus', () => {
  it('covers every dump of the corpus with at least one probe, and more where it has DNAT rules', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(30);
    for (const name of NAMES) {
      const entry = manifest.dumps[name];
      const text = readFileSync(join(CORPUS, `${name}.save`), 'utf8');
      const wanted = /-j (DNAT|REDIRECT)\b/.test(text) ? 2 : 1;
      expect({ name, probes: entry.probes.length >= wanted }).toEqual({ name, probes: true });
      for (const probe of entry.probes) if (probe.from !== 'host') expect({ name, source: tryParseIPv4(probe.from.split(':')[1]) !== undefined }).toEqual({ name, source: true });
    }
  });

  NAMES.forEach((name, dumpIndex) => {
    describe(name, () => {
      const entry = manifest.dumps[name];
      const text = readFileSync(join(CORPUS, `${name}.save`), 'utf8');
      const expected = readFileSync(join(CORPUS, `${name}.expected`), 'utf8');
      const refused = (entry.refused ?? []).length > 0;
      let topology: CorpusTopology | undefined;

      beforeAll(async () => {
        const engine = refused ? undefined : engineFor(text, entry);
        topology = await CorpusTopology.create(topologySpec(entry, text, portsFor(entry, engine)));
        topology.restore(text);
      });

      afterAll(() => {
        topology?.destroy();
      });

      it('the kernel prints what NAME.expected recorded', () => {
        expect(savedRules(topology!.save())).toEqual(savedRules(expected));
      });

      entry.probes.forEach((probe, probeIndex) => {
        const title = `${probe.protocol} from ${probe.from} to ${probe.destination}:${probe.port}: ${probe.why}`;
        if (refused) {
          it.skip(`${title} (the engine refuses this dump today: manifest "refused")`, () => undefined);
          return;
        }
        it(title, () => {
          probeCount++;
          const t = topology!;
          const prediction = predict(engineFor(text, entry), probe, entry);
          const count = connectionsFor(prediction);
          const droppedOnly = prediction.places.size === 1 && prediction.places.has('dropped');
          const ids = Array.from({ length: count }, (_, i) => `c${dumpIndex}p${probeIndex}n${i}`);
          const results = t.client(t.namespaceOf(probe.from), {
            protocol: probe.protocol,
            destination: probe.destination,
            port: probe.port,
            source: probe.from === 'host' ? undefined : probe.from.split(':')[1],
            ids,
            concurrency: 32,
            timeoutMs: droppedOnly ? 1200 : 2500,
          });
          const records = new Map(t.records().map((r) => [r.id, r]));
          const counts = new Map<string, number>();
          for (const r of results) {
            const place = kernelPlace(r, records.get(r.id), probe.protocol);
            counts.set(place, (counts.get(place) ?? 0) + 1);
          }
          const kernel = [...counts.keys()].sort();
          if (process.env.NSIM_CORPUS_DEBUG) process.stderr.write(`${name} ${probe.from}->${probe.destination}:${probe.port} kernel=${JSON.stringify(kernel)} engine=${JSON.stringify([...prediction.places])} kept=${prediction.dependsOnKept}\n`);

          if (prediction.dependsOnKept) {
            // The engine forks on the kept rules; Linux took one of those paths. A path that stops
            // at a kept target can end anywhere: there the manifest says where Linux sends it.
            if (prediction.places.has(ANY)) {
              expect({ linux: probe.linux }).toEqual({ linux: expect.any(String) });
              expect(kernel).toEqual([probe.linux]);
            } else {
              expect(kernel.filter((p) => !prediction.places.has(p))).toEqual([]);
            }
            return;
          }
          expect({ linux: probe.linux }).toEqual({ linux: undefined });
          expect(kernel).toEqual([...prediction.places.keys()].sort());
          expectFrequenciesFit(counts, prediction.places, results.length);
        });
      });
    });
  });

  afterAll(() => {
    process.stderr.write(`kernel corpus agreement: ${NAMES.length} dumps, ${probeCount} probes run\n`);
  });
});
