/**
 * IPv6 ipsets against the kernel: `family inet6` sets are loaded with the
 * real `ipset restore` into a node namespace (support/topology6.ts) and
 * ip6tables rules that test them (`-m set`) with the real
 * `ip6tables-restore`; the real `ipset save` and `ip6tables-save` must print
 * what we print, and for each probe the place the kernel sends a TCP
 * connection (which namespace, or refused) must be the place the engine
 * predicts. The real tool's refusal of a rule naming a set of the other
 * family must be ours, word for word.
 */
import { spawnSync } from 'node:child_process';
import { ManualClock } from '../../src/common/clock';
import { SeededRandom } from '../../src/common/random';
import { formatIp } from '../../src/netfilter/address';
import { NetfilterEngine } from '../../src/netfilter/engine';
import type { TraceOutcome } from '../../src/netfilter/outcome';
import { Host } from '../../src/netfilter/host';
import { printIptablesSave } from '../../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../../src/netfilter/iptables-text.parser';
import { IpsetStore } from '../../src/netfilter/ipset/ipset-store';
import { printIpsetSave, restoreIpsets } from '../../src/netfilter/ipset/ipset-text';
import { kernelDescribe, kernelSuiteUnavailable, missingTool, run, savedRules, type ClientResult, type ListenerRecord } from './support/netns';
import { ENGINE_HOST6, NODE_IP6, Topology6 } from './support/topology6';

const describeKernel = kernelDescribe('kernel agreement suite (IPv6 ipsets)', kernelSuiteUnavailable() ?? missingTool(['ip6tables-restore']));

const POD = 'fd00:10:180::2';
const BLOCKED = '2600:5200::1';
const EXEMPT = '2600:5200::2';
const OTHER = '2600:5300::1';

const SETS = `create blocked6 hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000001
add blocked6 2600:5200::/64
add blocked6 ${EXEMPT} nomatch
create closed6 hash:ip,port family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000002
add closed6 ${NODE_IP6},tcp:81
add closed6 ${POD},tcp:8081
create v4 hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000003
add v4 10.0.0.1
create any list:set size 8
add any v4
add any blocked6
`;

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m set --match-set closed6 dst,dst -j REJECT --reject-with tcp-reset
-A FORWARD -m set --match-set any src -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -p tcp -m set --match-set closed6 dst,dst -j REJECT --reject-with tcp-reset
COMMIT
`;

interface Probe {
  readonly name: string;
  readonly source: string;
  readonly destination: string;
  readonly port: number;
  readonly expected: string;
}

const PROBES: readonly Probe[] = [
  { name: 'a source in the blocked network (via a list:set of both families) is refused', source: BLOCKED, destination: POD, port: 8080, expected: 'rejected' },
  { name: 'a nomatch element exempts one address of the blocked network', source: EXEMPT, destination: POD, port: 8080, expected: `pod:${POD} [${POD}]:8080 from ${EXEMPT}` },
  { name: 'a source outside every set reaches the pod', source: OTHER, destination: POD, port: 8080, expected: `pod:${POD} [${POD}]:8080 from ${OTHER}` },
  { name: 'a forwarded address and port in a hash:ip,port set is reset', source: OTHER, destination: POD, port: 8081, expected: 'rejected' },
  { name: 'the node: port 81, in the set, is reset', source: OTHER, destination: NODE_IP6, port: 81, expected: 'rejected' },
  { name: 'the node: port 80 is open', source: OTHER, destination: NODE_IP6, port: 80, expected: `node [${NODE_IP6}]:80 from ${OTHER}` },
];

function ourSets(): IpsetStore {
  const store = new IpsetStore();
  restoreIpsets(store, SETS, { now: 0 });
  return store;
}

function placeOf(o: TraceOutcome): string {
  if (o.verdict === 'REJECT') return 'rejected';
  if (o.verdict !== 'ACCEPT') return 'dropped';
  const destination = formatIp(o.packet.destination);
  return `${o.delivery === 'local' ? 'node' : `pod:${destination}`} [${destination}]:${o.packet.destinationPort} from ${formatIp(o.packet.source)}`;
}

function kernelPlace(result: ClientResult, record: ListenerRecord | undefined): string {
  if (record) return `${record.ns} [${record.local}]:${record.localPort} from ${record.remote}`;
  if (result.result === 'refused' || result.result === 'unreachable') return 'rejected';
  if (result.result === 'timeout') return 'dropped';
  return `unexplained (${result.result})`;
}

describeKernel('IPv6 ipsets: the Linux kernel agrees with the engine', () => {
  let topology: Topology6;
  beforeAll(async () => {
    topology = await Topology6.create([POD], [BLOCKED, EXEMPT, OTHER], [80, 81, 8080, 8081]);
    run(['ip', 'netns', 'exec', topology.node, 'ipset', 'restore'], SETS);
    topology.restore(RULES);
  });
  afterAll(() => topology?.destroy());

  it('the real ipset save prints what we print', () => {
    expect(run(['ip', 'netns', 'exec', topology.node, 'ipset', 'save'])).toBe(printIpsetSave(ourSets(), 0));
  });

  it('the real ip6tables-save prints what we print', () => {
    expect(savedRules(topology.save())).toEqual(savedRules(printIptablesSave(parseRuleset(RULES, { family: 'ipv6', ipsets: ourSets() }))));
  });

  PROBES.forEach((probe, k) => {
    it(probe.name, () => {
      const ipsets = ourSets();
      const engine = new NetfilterEngine({ ruleset: parseRuleset(RULES, { family: 'ipv6', ipsets }), host: Host.create(ENGINE_HOST6), clock: new ManualClock(), random: new SeededRandom(1), ipsets });
      const predicted = engine.enumerate({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: probe.source, sourcePort: 40000, destination: probe.destination, destinationPort: probe.port }).map(placeOf);
      expect(predicted).toEqual([probe.expected]);
      const ids = Array.from({ length: 3 }, (_, i) => `s6p${k}-${i}`);
      const results = topology.client(topology.out, { protocol: 'tcp', destination: probe.destination, port: probe.port, source: probe.source, ids, concurrency: 3, timeoutMs: 1500 });
      const records = new Map(topology.records().map((r) => [r.id, r]));
      expect([...new Set(results.map((r) => kernelPlace(r, records.get(r.id))))]).toEqual(predicted);
    });
  });

  it.each([
    ['ip6tables-restore', 'ip6tables', 'v4', 'The protocol family of set v4 is IPv4, which is not applicable.'],
    ['iptables-restore', 'iptables', 'blocked6', 'The protocol family of set blocked6 is IPv6, which is not applicable.'],
  ] as const)('%s refuses a rule naming a set of the other family, in the words we use', (tool, family, set, message) => {
    const rules = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set ${set} src -j DROP\nCOMMIT\n`;
    const real = spawnSync('ip', ['netns', 'exec', topology.node, tool], { input: rules, encoding: 'utf8' });
    expect(real.status).not.toBe(0);
    expect(real.stderr).toContain(message);
    expect(() => parseRuleset(rules, { family: family === 'ip6tables' ? 'ipv6' : 'ipv4', ipsets: ourSets() })).toThrow(message);
  });
});
