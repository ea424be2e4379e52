/**
 * ip6tables against the kernel: kube-proxy's IPv6 rules for a small node
 * (a ClusterIP Service with a local and a remote endpoint, also a NodePort;
 * a NodePort Service with externalTrafficPolicy Local; a Service without
 * endpoints) are loaded with the real `ip6tables-restore` in network
 * namespaces (support/topology6.ts); the real `ip6tables-save` must print
 * what our printer prints, and for each probe the places the kernel sends
 * TCP connections (which namespace, which address and port, from which
 * source) must be the places the engine predicts: DNAT, masquerade, eTP
 * Local, REJECT. The ip6tables golden files are checked the same way.
 *
 * ICMPv6: the real `ping -6` between two namespaces through ip6tables rules
 * that test `-m icmp6` types and `--ctstate` (Neighbour Discovery UNTRACKED,
 * echo-request NEW, echo-reply ESTABLISHED) and REJECT `icmp6-*`: what ping
 * sees and the kernel's conntrack table are what the engine predicts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KUBELET_IP6TABLES } from '../../src/cluster/controllers/kubelet-iptables';
import { ManualClock } from '../../src/common/clock';
import { SeededRandom } from '../../src/common/random';
import { renderRules } from '../../src/kube-proxy/render';
import { loadSync } from '../../src/kube-proxy/ruleset-loader';
import { formatIp } from '../../src/netfilter/address';
import { NetfilterEngine } from '../../src/netfilter/engine';
import { outcomeView, type TraceOutcome } from '../../src/netfilter/outcome';
import { Host } from '../../src/netfilter/host';
import { printIptablesSave } from '../../src/netfilter/iptables-save.printer';
import { parseRuleset, restoreRuleset } from '../../src/netfilter/iptables-text.parser';
import { IpsetStore } from '../../src/netfilter/ipset/ipset-store';
import { restoreIpsets } from '../../src/netfilter/ipset/ipset-text';
import { rejectAnswer } from '../../src/netfilter/reject-answer';
import { Ruleset } from '../../src/netfilter/ruleset';
import { addNamespace, deleteNamespace, kernelDescribe, kernelSuiteUnavailable, missingTool, namespaceStem, run, savedRules, type ClientResult, type ListenerRecord } from './support/netns';
import { BRIDGE_IP6, ENGINE_HOST6, NODE_IP6, Topology6 } from './support/topology6';

const describeKernel = kernelDescribe('kernel agreement suite (ip6tables)', kernelSuiteUnavailable() ?? missingTool(['ip6tables-restore']));

const LOCAL_A = 'fd00:10:180::2';
const LOCAL_B = 'fd00:10:180::3';
const REMOTE_A = 'fd00:10:180:1::5';
const REMOTE_B = 'fd00:10:180:1::6';
const CLIENT = '2600:5200::1';

const svc = (name: string, clusterIP: string, port: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'ns1', name },
  spec: { type: 'ClusterIP', clusterIP, ipFamilies: ['IPv6'], ports: [{ name: 'p', port, protocol: 'TCP', ...(extra.nodePort ? { nodePort: extra.nodePort } : {}) }], ...extra.spec as object },
});

const slice = (service: string, endpoints: readonly { ip: string; node: string }[]) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'ns1', name: `${service}-1`, labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv6',
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, nodeName: e.node })),
  ports: [{ name: 'p', port: 8080, protocol: 'TCP' }],
});

/** kube-proxy's ip6tables rules for the node, as the node holds them (restore text, then the jump rules). */
function nodeRules(): string {
  const request = {
    config: { clusterCIDR: 'fd00:10:180::/56', detectLocalMode: 'ClusterCIDR' },
    node: { name: 'node', addresses: [NODE_IP6], interfaces: ENGINE_HOST6.interfaces.map((i) => ({ name: i.name, addresses: [...(i.addresses ?? [])] })) },
    family: 'IPv6',
    emulation: { nfacctInvalidDropped: false, nfacctLocalhostNodePorts: false },
    objects: [
      svc('both', 'fd00:10:96::a', 80, { nodePort: 30080, spec: { type: 'NodePort' } }),
      slice('both', [
        { ip: LOCAL_A, node: 'node' },
        { ip: REMOTE_A, node: 'other' },
      ]),
      svc('local', 'fd00:10:96::b', 80, { nodePort: 30081, spec: { type: 'NodePort', externalTrafficPolicy: 'Local' } }),
      slice('local', [
        { ip: LOCAL_B, node: 'node' },
        { ip: REMOTE_B, node: 'other' },
      ]),
      svc('none', 'fd00:10:96::c', 80),
    ],
  };
  // As a node of the cluster holds them: the kubelet's ip6tables chains, then kube-proxy's sync.
  const ruleset = new Ruleset('ipv6');
  restoreRuleset(ruleset, KUBELET_IP6TABLES, { noflush: true });
  loadSync(ruleset, renderRules(request as never));
  return printIptablesSave(ruleset, { comments: false });
}

interface Probe6 {
  readonly name: string;
  readonly from: { kind: 'pod'; ip: string } | { kind: 'outside'; ip: string };
  readonly destination: string;
  readonly port: number;
  /** Where the engine says the connections go (what the kernel must then do). */
  readonly expected: readonly string[];
}

const PROBES: readonly Probe6[] = [
  {
    name: 'pod to ClusterIP (a local and a remote endpoint, no masquerade)',
    from: { kind: 'pod', ip: LOCAL_B },
    destination: 'fd00:10:96::a',
    port: 80,
    expected: [`out [${REMOTE_A}]:8080 from ${LOCAL_B}`, `pod:${LOCAL_A} [${LOCAL_A}]:8080 from ${LOCAL_B}`],
  },
  {
    name: 'outside to NodePort (masqueraded to the out interface address)',
    from: { kind: 'outside', ip: CLIENT },
    destination: NODE_IP6,
    port: 30080,
    expected: [`out [${REMOTE_A}]:8080 from ${NODE_IP6}`, `pod:${LOCAL_A} [${LOCAL_A}]:8080 from ${BRIDGE_IP6}`],
  },
  {
    name: 'outside to NodePort, externalTrafficPolicy Local (local endpoint, source kept)',
    from: { kind: 'outside', ip: CLIENT },
    destination: NODE_IP6,
    port: 30081,
    expected: [`pod:${LOCAL_B} [${LOCAL_B}]:8080 from ${CLIENT}`],
  },
  { name: 'pod to a Service without endpoints (REJECT)', from: { kind: 'pod', ip: LOCAL_A }, destination: 'fd00:10:96::c', port: 80, expected: ['rejected'] },
];

function engineFor(rules: string): NetfilterEngine {
  return new NetfilterEngine({ ruleset: parseRuleset(rules, { family: 'ipv6' }), host: Host.create(ENGINE_HOST6), clock: new ManualClock(), random: new SeededRandom(1) });
}

const PODS = new Set([LOCAL_A, LOCAL_B]);
const NODE_ADDRESSES = new Set([NODE_IP6, BRIDGE_IP6]);

function owner(address: string): string {
  if (NODE_ADDRESSES.has(address)) return 'node';
  return PODS.has(address) ? `pod:${address}` : 'out';
}

function placeOf(o: TraceOutcome): string {
  if (o.verdict === 'REJECT') return 'rejected';
  if (o.verdict !== 'ACCEPT') return 'dropped';
  // The packet as it leaves: after DNAT and masquerade.
  const p = o.packet;
  const destination = formatIp(p.destination);
  return `${o.delivery === 'local' ? 'node' : owner(destination)} [${destination}]:${p.destinationPort} from ${formatIp(p.source)}`;
}

function kernelPlace(result: ClientResult, record: ListenerRecord | undefined): string {
  if (record) return `${record.ns} [${record.local}]:${record.localPort} from ${record.remote}`;
  if (result.result === 'refused' || result.result === 'unreachable') return 'rejected';
  if (result.result === 'timeout') return 'dropped';
  return `unexplained (${result.result})`;
}

describeKernel('ip6tables: the Linux kernel agrees with the engine', () => {
  describe('golden ip6tables rulesets print identically', () => {
    const dir = join(__dirname, '..', '..', 'fixtures', 'netfilter', 'ipv6');
    const names = readdirSync(dir).filter((f) => f.endsWith('.rules'));
    it.each(names)('%s', (file) => {
      const rules = readFileSync(join(dir, file), 'utf8');
      const ns = `${namespaceStem()}-g6`;
      addNamespace(ns);
      try {
        // kube-proxy's counting rules load only when their accounting objects exist.
        for (const name of new Set([...rules.matchAll(/--nfacct-name\s+("?)([^\s"]+)\1/g)].map((m) => m[2]))) run(['ip', 'netns', 'exec', ns, 'nfacct', 'add', name]);
        run(['ip', 'netns', 'exec', ns, 'ip6tables-restore'], rules);
        const real = run(['ip', 'netns', 'exec', ns, 'ip6tables-save']);
        expect(savedRules(printIptablesSave(parseRuleset(rules, { family: 'ipv6' })))).toEqual(savedRules(real));
      } finally {
        deleteNamespace(ns);
      }
    });
  });

  describe('modules of one family only: fixtures/netfilter/family/refusals.tsv is what the real tools say', () => {
    const rows = readFileSync(join(__dirname, '..', '..', 'fixtures', 'netfilter', 'family', 'refusals.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split('\t'));
    let ns: string;
    beforeAll(() => {
      ns = `${namespaceStem()}-fam`;
      addNamespace(ns);
    });
    afterAll(() => deleteNamespace(ns));
    it.each(rows)('[%s] -A INPUT %s: %s', (family, rule, recorded) => {
      const tool = family === '6' ? 'ip6tables-restore' : 'iptables-restore';
      const real = spawnSync('ip', ['netns', 'exec', ns, tool], { input: `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`, encoding: 'utf8' });
      const said = real.status === 0 ? '(accepted)' : (real.stderr.split('\n')[0] ?? '').replace(/^ip6?tables-restore v[0-9.]+ \(nf_tables\): /, '');
      expect(said).toBe(recorded);
    });
  });

  describe("kube-proxy's IPv6 rules on a node", () => {
    const rules = nodeRules();
    let topology: Topology6;
    beforeAll(async () => {
      topology = await Topology6.create([LOCAL_A, LOCAL_B], [CLIENT, REMOTE_A, REMOTE_B], [80, 8080, 30080, 30081]);
      topology.restore(rules);
    });
    afterAll(() => topology?.destroy());

    it('the real ip6tables-save prints what we print', () => {
      expect(savedRules(topology.save())).toEqual(savedRules(printIptablesSave(parseRuleset(rules, { family: 'ipv6' }))));
    });

    it('writes no KUBE-FIREWALL localnet rule for IPv6, as upstream', () => {
      expect(rules).not.toContain('block incoming localnet connections');
    });

    PROBES.forEach((probe, k) => {
      it(probe.name, () => {
        const engine = engineFor(rules);
        const input = {
          hook: 'PREROUTING' as const,
          inInterface: probe.from.kind === 'pod' ? 'cni0' : 'eth0',
          protocol: 'tcp' as const,
          source: probe.from.ip,
          sourcePort: 40000,
          destination: probe.destination,
          destinationPort: probe.port,
        };
        const predicted = new Set(engine.enumerate(input).map(placeOf));
        expect([...predicted].sort()).toEqual([...probe.expected].sort());
        const ids = Array.from({ length: 24 }, (_, i) => `v6p${k}-${i}`);
        const results = topology.client(topology.namespaceOf(probe.from), {
          protocol: 'tcp',
          destination: probe.destination,
          port: probe.port,
          source: probe.from.kind === 'outside' ? probe.from.ip : undefined,
          ids,
          concurrency: 8,
          timeoutMs: 1500,
        });
        const records = new Map(topology.records().map((r) => [r.id, r]));
        const seen = new Set(results.map((r) => kernelPlace(r, records.get(r.id))));
        // Every place the kernel used is one the engine predicts, and (24 tries) every predicted place is used.
        expect([...seen].sort()).toEqual([...predicted].sort());
      });
    });
  });

  describe('ICMPv6: ping -6 through ip6tables rules', () => {
    const PINGER = 'fd00:99::1';
    const ANSWERER = 'fd00:99::2';
    const ANSWERER_HOST = { interfaces: [{ name: 'lo', addresses: ['::1/128'] }, { name: 's0', addresses: [`${ANSWERER}/64`] }], routes: [] };
    let client: string;
    let server: string;
    beforeAll(() => {
      const stem = namespaceStem();
      client = `${stem}-pc`;
      server = `${stem}-ps`;
      addNamespace(client);
      addNamespace(server);
      run(['ip', '-n', client, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 's0', 'netns', server]);
      for (const [ns, dev, address] of [
        [client, 'c0', PINGER],
        [server, 's0', ANSWERER],
      ]) {
        run(['ip', '-n', ns, 'addr', 'add', `${address}/64`, 'dev', dev, 'nodad']);
        run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
        run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      }
    });
    afterAll(() => {
      deleteNamespace(client);
      deleteNamespace(server);
    });

    /** Loads the answerer's rules, flushes its conntrack table and neighbours, pings once: ping's output and status. */
    function ping(rules: string): { ok: boolean; output: string } {
      run(['ip', 'netns', 'exec', server, 'ip6tables-restore'], rules);
      spawnSync('ip', ['netns', 'exec', server, 'conntrack', '-F', '-f', 'ipv6']);
      spawnSync('ip', ['-n', client, 'neigh', 'flush', 'dev', 'c0']);
      spawnSync('ip', ['-n', server, 'neigh', 'flush', 'dev', 's0']);
      const r = spawnSync('ip', ['netns', 'exec', client, 'ping', '-6', '-n', '-c', '1', '-W', '2', ANSWERER], { encoding: 'utf8' });
      return { ok: r.status === 0, output: r.stdout + r.stderr };
    }

    const engineOn = (rules: string, ipsets?: IpsetStore) =>
      new NetfilterEngine({ ruleset: parseRuleset(rules, { family: 'ipv6', ipsets }), host: Host.create(ANSWERER_HOST), clock: new ManualClock(), random: new SeededRandom(1), ipsets });
    const echo = { hook: 'PREROUTING' as const, inInterface: 's0', protocol: 'icmpv6' as const, source: PINGER, destination: ANSWERER, icmpType: 128, icmpId: 7 };

    it('Neighbour Discovery is UNTRACKED, the echo-request NEW, the echo-reply ESTABLISHED: the kernel answers and keeps the entry the engine keeps', () => {
      const rules =
        '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n' +
        '-A INPUT -p ipv6-icmp -m conntrack --ctstate UNTRACKED -j ACCEPT\n' +
        '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -m conntrack --ctstate NEW -j ACCEPT\n' +
        '-A OUTPUT -p ipv6-icmp -m conntrack --ctstate UNTRACKED -j ACCEPT\n' +
        '-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type 129 -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n';
      const engine = engineOn(rules);
      const solicitation = engine.sample({ ...echo, source: 'fe80::1', destination: 'ff02::1:ff00:2', icmpType: 135, icmpId: undefined });
      expect(solicitation.conntrack.state).toBe('UNTRACKED');
      expect(solicitation.steps.at(-1)).toMatchObject({ chain: 'INPUT', ruleNumber: 1, action: 'ACCEPT' });
      const request = engine.sample(echo);
      expect(request).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', conntrack: { state: 'NEW' } });
      const reply = engine.sample({ hook: 'OUTPUT', protocol: 'icmpv6', source: ANSWERER, destination: PINGER, icmpType: 129, icmpId: 7 });
      expect(reply).toMatchObject({ verdict: 'ACCEPT', conntrack: { state: 'ESTABLISHED' } });
      expect(reply.steps.at(-1)).toMatchObject({ chain: 'OUTPUT', ruleNumber: 2, action: 'ACCEPT' });

      const kernel = ping(rules);
      expect(kernel.output).toContain('1 received');
      expect(kernel.ok).toBe(true);
      const normalize = (line: string) => line.replace(/^(\S+ +\d+) \d+/, '$1 T').replace(/id=\d+/g, 'id=N');
      const entries = run(['ip', 'netns', 'exec', server, 'conntrack', '-L', '-f', 'ipv6'])
        .split('\n')
        .filter((l) => l.startsWith('icmpv6'));
      expect(entries.map(normalize)).toEqual(engine.conntrack.list().map((c) => normalize(c.text)));
      // Every rule the engine's paths took counted packets in the kernel.
      const counted = run(['ip', 'netns', 'exec', server, 'ip6tables-save', '-c'])
        .split('\n')
        .filter((l) => l.startsWith('['));
      expect(counted.filter((l) => !l.startsWith('[0:'))).toHaveLength(4);
    });

    it('each ICMPv6 type arrives in the conntrack state the engine gives it (UNTRACKED, NEW, INVALID), sent from a raw socket', () => {
      const types = [1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 143, 144, 151, 152, 153, 200];
      const engine = engineOn('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID\nCOMMIT\n');
      const predicted = types.map((icmpType) => [icmpType, engine.enumerate({ ...echo, icmpType, icmpId: 0 })[0].conntrack.state] as const);
      expect(new Set(predicted.map(([, state]) => state))).toEqual(new Set(['UNTRACKED', 'NEW', 'INVALID']));
      // One counting rule per type, in the state the engine predicts: the kernel must count a packet in each.
      const rules = `*filter\n:INPUT ACCEPT [0:0]\n${predicted.map(([t, state]) => `-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -m conntrack --ctstate ${state}\n`).join('')}COMMIT\n`;
      run(['ip', 'netns', 'exec', server, 'ip6tables-restore'], rules);
      spawnSync('ip', ['netns', 'exec', server, 'conntrack', '-F', '-f', 'ipv6']);
      const send = `import socket\ns = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)\nfor t in (${types.join(', ')}):\n    s.sendto(bytes([t, 0, 0, 0]) + bytes(36), ('${ANSWERER}', 0))\n`;
      run(['ip', 'netns', 'exec', client, 'python3', '-c', send]);
      const counts = () =>
        run(['ip', 'netns', 'exec', server, 'ip6tables-save', '-c'])
          .split('\n')
          .filter((l) => l.startsWith('['))
          .map((l) => `${/--icmpv6-type (\d+)/.exec(l)?.[1]} ${/--ctstate (\S+)/.exec(l)?.[1]} ${l.startsWith('[0:') ? 'missed' : 'counted'}`);
      // The packets wait for the neighbour to be resolved: read the counters until they are all in (at most 3 s).
      let seen = counts();
      for (let i = 0; i < 30 && seen.some((l) => l.endsWith('missed')); i++) {
        spawnSync('sleep', ['0.1']);
        seen = counts();
      }
      expect(seen).toEqual(predicted.map(([t, state]) => `${t} ${state} counted`));
    });

    it.each([
      ['icmp6-adm-prohibited', 'Administratively prohibited'],
      ['icmp6-port-unreachable', 'Port unreachable'],
      ['icmp6-addr-unreachable', 'Address unreachable'],
      ['icmp6-no-route', 'No route'],
    ])('REJECT --reject-with %s: ping sees the ICMPv6 error the engine sends back (RELATED)', (rejectWith, said) => {
      const rules =
        '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n' +
        `-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j REJECT --reject-with ${rejectWith}\n` +
        '-A OUTPUT -m conntrack --ctstate RELATED,UNTRACKED -j ACCEPT\nCOMMIT\n';
      const engine = engineOn(rules);
      const [rejected] = engine.enumerate(echo);
      expect(rejected).toMatchObject({ verdict: 'REJECT', rejectWith });
      const [back] = engine.enumerate(rejectAnswer(rejected, (a) => engine.host.isLocal(a))!);
      expect(back).toMatchObject({ verdict: 'ACCEPT', conntrack: { state: 'RELATED' } });
      const view = outcomeView(back).packet;
      expect(view).toMatchObject({ protocol: 'icmpv6', icmpType: 1, source: ANSWERER, destination: PINGER });

      const kernel = ping(rules);
      expect(kernel.ok).toBe(false);
      expect(kernel.output).toContain(`From ${ANSWERER} icmp_seq=1 Destination unreachable: ${said}`);
    });

    it.each([
      ['ipv6-icmp:echo-request', 'REJECT'],
      ['ipv6-icmp:echo-reply', 'ACCEPT'],
      ['icmpv6:128/0', 'REJECT'],
      ['icmpv6:128/1', 'ACCEPT'],
    ])('an inet6 ipset element %s (hash:ip,port, dst,dst): the kernel and the engine agree (%s)', (element, verdict) => {
      const sets = `create echo6 hash:ip,port family inet6\nadd echo6 ${ANSWERER},${element}\n`;
      const ipsets = new IpsetStore();
      restoreIpsets(ipsets, sets, { now: 0 });
      const rules =
        '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
        '-A INPUT -p ipv6-icmp -m set --match-set echo6 dst,dst -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n';
      expect(engineOn(rules, ipsets).enumerate(echo)[0].verdict).toBe(verdict);
      run(['ip', 'netns', 'exec', server, 'ip6tables-restore'], '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
      spawnSync('ip', ['netns', 'exec', server, 'ipset', 'destroy', 'echo6']);
      run(['ip', 'netns', 'exec', server, 'ipset', 'restore'], sets);
      const kernel = ping(rules);
      expect(kernel.ok).toBe(verdict === 'ACCEPT');
      if (verdict === 'REJECT') expect(kernel.output).toContain('Destination unreachable: Administratively prohibited');
    });
  });
});
