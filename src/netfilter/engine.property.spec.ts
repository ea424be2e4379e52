/**
 * The rule index must never change an answer: over random rulesets and
 * packets, the indexed engine and a plain linear walk give the same
 * outcomes (paths, steps, probabilities) in enumerate mode, and the same
 * sampled paths and side effects (counters, recent lists, conntrack) in
 * sample mode.
 */
import fc from 'fast-check';
import { ManualClock } from '../common/clock';
import { SeededRandom } from '../common/random';
import { chainIndex } from './chain-index';
import { NetfilterEngine } from './engine';
import type { TraceInput } from './trace-input';
import { outcomeView } from './outcome';
import { Host } from './host';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset } from './iptables-text.parser';

const ADDRESSES = ['10.96.0.1', '10.96.0.2', '10.96.0.3', '10.180.0.5', '192.168.0.2', '203.0.113.9'];
const PORTS = [53, 80, 443, 8080];
const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;

const address = fc.constantFrom(...ADDRESSES);
const port = fc.constantFrom(...PORTS);

/** The conditions of a rule, as restore text (always valid together with the protocol). */
function conditions(protocol: string | undefined) {
  const destination = fc.option(
    fc.oneof(
      address.map((a) => `-d ${a}`),
      address.map((a) => `-d ${a}`),
      address.map((a) => `! -d ${a}`),
      fc.constant('-d 10.96.0.0/24'),
    ),
  );
  const source = fc.option(fc.constantFrom('-s 10.180.0.0/16', '! -s 10.0.0.0/8'));
  const matches = fc.uniqueArray(
    fc.constantFrom(
      '-m mark --mark 0x1/0x1',
      '-m mark ! --mark 0x2/0x2',
      '-m comment --comment "x y"',
      '-m statistic --mode random --probability 0.5',
      '-m statistic --mode random --probability 0.3333333333',
      '-m recent --name L --set',
      '-m recent --name L --rcheck --seconds 60',
      '-m addrtype --dst-type LOCAL',
      '-m conntrack --ctstate NEW',
      '-m conntrack --ctstate DNAT',
      '-m statistic --mode nth --every 3 --packet 0',
    ),
    { maxLength: 2 },
  );
  const ports =
    protocol === 'tcp' || protocol === 'udp'
      ? fc.option(
          fc.oneof(
            port.map((p) => `-m ${protocol} --dport ${p}`),
            port.map((p) => `-m ${protocol} --dport ${p}`),
            port.map((p) => `-m ${protocol} ! --dport ${p}`),
            fc.constantFrom(`-m ${protocol} --dport 50:100`, `-m ${protocol} --sport 1024:65535`),
            // A stateful match before the port test: the index must not skip it.
            port.map((p) => `-m statistic --mode random --probability 0.25 -m ${protocol} --dport ${p}`),
            port.map((p) => `-m recent --name M --set -m ${protocol} --dport ${p}`),
            port.map((p) => `-m statistic --mode nth --every 2 --packet 1 -m ${protocol} --dport ${p}`),
          ),
        )
      : fc.constant(null);
  return fc
    .tuple(destination, source, matches, ports, fc.boolean())
    .map(([d, s, m, p, portsFirst]) => [d, s, ...(portsFirst ? [p, ...m] : [...m, p])].filter((x) => x !== null && x !== '').join(' '));
}

const protocolPart = fc.constantFrom<(string | undefined)[]>(undefined, 'tcp', 'tcp', 'udp', 'icmp');

function targets(table: 'nat' | 'filter', chains: readonly string[]) {
  const common = [
    fc.constantFrom('-j ACCEPT', '-j RETURN', '-j MARK --or-mark 0x1', '-j MARK --set-xmark 0x2/0x2', '-j LOG', ''),
    fc.constantFrom(...chains.map((c) => `-j ${c}`)),
    fc.constantFrom(...chains.map((c) => `-g ${c}`)),
  ];
  if (table === 'filter') common.push(fc.constantFrom('-j DROP', '-j REJECT'));
  return fc.oneof(...common);
}

function ruleLine(chain: string, table: 'nat' | 'filter', callable: readonly string[]) {
  return protocolPart.chain((protocol) =>
    fc
      .tuple(conditions(protocol), targets(table, callable), fc.option(address), fc.option(port))
      .map(([cond, target, natAddress, natPort]) => {
        const p = protocol ? `-p ${protocol}` : '';
        let t = target;
        if (table === 'nat' && natAddress !== null && chain !== 'POSTROUTING-CHAIN') {
          t = natPort !== null && protocol && protocol !== 'icmp' ? `-j DNAT --to-destination ${natAddress}:${natPort}` : `-j DNAT --to-destination ${natAddress}`;
        }
        return `-A ${chain} ${p} ${cond} ${t}`.replace(/\s+/g, ' ').trim();
      }),
  );
}

/** A ruleset: a big indexed chain in nat and in filter, small leaf chains, built-in chains jumping in. */
const rulesetText = fc
  .record({
    natBig: fc.integer({ min: 16, max: 60 }),
    filterBig: fc.integer({ min: 16, max: 60 }),
    leaf: fc.integer({ min: 0, max: 4 }),
  })
  .chain(({ natBig, filterBig, leaf }) => {
    const leafNat = fc.array(ruleLine('LEAF', 'nat', ['MARKER']), { minLength: leaf, maxLength: leaf });
    const leafFilter = fc.array(ruleLine('LEAF', 'filter', ['MARKER']), { minLength: leaf, maxLength: leaf });
    const bigNat = fc.array(ruleLine('BIG', 'nat', ['LEAF', 'MARKER']), { minLength: natBig, maxLength: natBig });
    const bigFilter = fc.array(ruleLine('BIG', 'filter', ['LEAF', 'MARKER']), { minLength: filterBig, maxLength: filterBig });
    const policy = fc.constantFrom('ACCEPT', 'DROP');
    return fc.tuple(leafNat, leafFilter, bigNat, bigFilter, policy, fc.boolean()).map(([ln, lf, bn, bf, pol, masq]) =>
      [
        '*nat',
        ':MARKER - [0:0]',
        ':LEAF - [0:0]',
        ':BIG - [0:0]',
        '-A PREROUTING -j BIG',
        '-A OUTPUT -j BIG',
        masq ? '-A POSTROUTING -m mark --mark 0x1/0x1 -j MASQUERADE' : '-A POSTROUTING -s 10.180.0.0/16 -j SNAT --to-source 192.168.0.2',
        '-A MARKER -j MARK --or-mark 0x4',
        ...ln,
        ...bn,
        'COMMIT',
        '*filter',
        `:FORWARD ${pol} [0:0]`,
        ':MARKER - [0:0]',
        ':LEAF - [0:0]',
        ':BIG - [0:0]',
        '-A INPUT -j BIG',
        '-A FORWARD -j BIG',
        '-A OUTPUT -j BIG',
        '-A MARKER -j MARK --or-mark 0x8',
        ...lf,
        ...bf,
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

const packet: fc.Arbitrary<TraceInput> = fc
  .record({
    out: fc.boolean(),
    protocol: fc.constantFrom(...PROTOCOLS),
    source: fc.constantFrom('10.180.0.5', '10.180.0.7', '203.0.113.50', '198.51.100.1'),
    destination: address,
    sport: fc.constantFrom(1000, 40000, 40001),
    dport: port,
    mark: fc.constantFrom(0, 1, 2, 3),
  })
  .map(({ out, protocol, source, destination, sport, dport, mark }) => ({
    hook: out ? 'OUTPUT' : 'PREROUTING',
    inInterface: out ? undefined : source.startsWith('10.180.') ? 'cni0' : 'eth0',
    protocol,
    source: out ? undefined : source,
    sourcePort: sport,
    destination,
    destinationPort: dport,
    mark,
  }));

const HOST = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.1/16'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
};

function pair(text: string, seed: number) {
  const make = (linear: boolean) => {
    const clock = new ManualClock();
    return {
      clock,
      engine: new NetfilterEngine({ ruleset: parseRuleset(text), host: Host.create(HOST), clock, random: new SeededRandom(seed), linear }),
    };
  };
  return { indexed: make(false), linear: make(true) };
}

function views(e: NetfilterEngine, input: TraceInput) {
  return e.enumerate(input).map(outcomeView);
}

describe('the rule index agrees with a linear walk', () => {
  it('is really used by the generated rulesets', () => {
    const text = fc.sample(rulesetText, { numRuns: 1, seed: 3 })[0];
    const big = parseRuleset(text).table('nat')!.chain('BIG')!;
    expect(chainIndex(big)).toBeDefined();
  });

  it('enumerate mode: the same outcomes, steps and exact probabilities', () => {
    fc.assert(
      fc.property(rulesetText, fc.array(packet, { minLength: 1, maxLength: 8 }), (text, packets) => {
        const { indexed, linear } = pair(text, 1);
        for (const p of packets) {
          const a = views(indexed.engine, p);
          const b = views(linear.engine, p);
          expect(a).toEqual(b);
          const sum = a.reduce((s, o) => s + o.probability, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('sample mode: the same paths, counters, recent lists and connections, packet after packet', () => {
    fc.assert(
      fc.property(rulesetText, fc.array(packet, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 1000 }), (text, packets, seed) => {
        const { indexed, linear } = pair(text, seed);
        for (const p of packets) {
          expect(outcomeView(indexed.engine.sample(p))).toEqual(outcomeView(linear.engine.sample(p)));
          // Later packets of the same flows meet the connections made so far.
          expect(views(indexed.engine, p)).toEqual(views(linear.engine, p));
          indexed.clock.advance(7000);
          linear.clock.advance(7000);
        }
        expect(printIptablesSave(indexed.engine.ruleset, { counters: true })).toBe(printIptablesSave(linear.engine.ruleset, { counters: true }));
        expect(indexed.engine.recent.snapshot()).toEqual(linear.engine.recent.snapshot());
        expect(indexed.engine.conntrack.list().map((c) => c.text)).toEqual(linear.engine.conntrack.list().map((c) => c.text));
      }),
      { numRuns: 100 },
    );
  });
});
