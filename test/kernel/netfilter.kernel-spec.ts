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
import { SeededRandom } from '../../src/common/random';
import { NetfilterEngine } from '../../src/netfilter/engine';
import { Host } from '../../src/netfilter/host';
import { printIptablesSave } from '../../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../../src/netfilter/iptables-text.parser';
import { IpsetStore } from '../../src/netfilter/ipset/ipset-store';
import { printIpsetSave, restoreIpsets } from '../../src/netfilter/ipset/ipset-text';
import { PROBES } from './probes';
import { checkProbe, predict, topologyFor } from './support/probe-agreement';
import { echoAnswerers, ping } from './support/ping';
import { ENGINE_HOST, Topology } from './support/topology';
import { kernelDescribe, kernelSuiteUnavailable, savedRules } from './support/netns';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'netfilter');
const NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.rules'))
  .map((f) => f.slice(0, -'.rules'.length))
  .sort();

const describeKernel = kernelDescribe('kernel agreement suite', kernelSuiteUnavailable());

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
        const nfacct = [...rules.matchAll(/--nfacct-name\s+("?)([^\s"]+)\1/g)].map((m) => m[2]);
        const spec = { ...topologyFor(() => engineFor(rules, ipsetText), probes), nfacct: [...new Set(nfacct)] };
        pods = new Set(spec.pods);
        topology = await Topology.create(spec);
        if (ipsetText !== undefined) topology.restoreIpsets(ipsetText);
        topology.restore(rules);
      });

      afterAll(() => {
        topology?.destroy();
      });

      it("the kernel's iptables-save is our printing", () => {
        const ours = savedRules(printIptablesSave(parseRuleset(rules, { ipsets: ipsetStore(ipsetText) })));
        expect(savedRules(topology!.save())).toEqual(ours);
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
          const prediction = predict(engineFor(rules, ipsetText), probe, pods);
          if (probe.protocol === 'icmp') {
            // Three echoes from one ping: all answered (by whom, the node's conntrack says), an error, or silence.
            const seen = ping(t.namespaceOf(probe.from), probe.destination, 3, probe.from.kind === 'outside' ? probe.from.ip : undefined);
            const kernel = seen === 'answered' ? echoAnswerers(t.node, probe.destination).map((a) => `echo answered by ${a}`) : [seen === 'error' ? 'rejected' : 'dropped'];
            expect(kernel).toEqual([...prediction.places.keys()].sort());
            return;
          }
          checkProbe(t, probe, prediction, `f${fixtureIndex}p${probeIndex}`, pods, () => engineFor(rules, ipsetText));
        });
      });
    });
  });

  afterAll(() => {
    process.stderr.write(`kernel agreement: ${NAMES.length} fixtures, ${probeCount} probes run\n`);
  });
});
