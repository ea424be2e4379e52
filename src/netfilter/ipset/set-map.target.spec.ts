/**
 * `-j SET --map-set NAME FLAGS --map-mark|--map-prio|--map-queue`: the
 * element's skbinfo copied onto the packet (mangle only; priority and queue
 * only from FORWARD, OUTPUT, POSTROUTING), as the kernel does; printed as
 * iptables-save 1.8.9 prints it.
 */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { printIptablesSave } from '../iptables-save.printer';
import { restoreRuleset } from '../iptables-text.parser';
import { Ruleset } from '../ruleset';
import { IpsetStore } from './ipset-store';
import { restoreIpsets } from './ipset-text';

const SETS = `create tenants hash:net family inet hashsize 1024 maxelem 65536 skbinfo bucketsize 12 initval 0x00000001
add tenants 203.0.113.0/24 skbmark 0x10/0xff skbprio 1:10 skbqueue 2
add tenants 198.51.100.0/24
create plain hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000002
add plain 192.0.2.7
`;

function load(rules: string) {
  const ipsets = new IpsetStore();
  restoreIpsets(ipsets, SETS, { now: 0 });
  const ruleset = new Ruleset();
  restoreRuleset(ruleset, `*mangle\n${rules}\nCOMMIT\n`, { ipsets });
  return { ruleset, engine: new NetfilterEngine({ ruleset, clock: new ManualClock(), random: new SeededRandom(1), ipsets }) };
}

const arriving = (source: string, mark = 0): TraceInput => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination: '192.168.0.2', destinationPort: 80, mark });

describe('-j SET --map-set', () => {
  const rules = '-A PREROUTING -j SET --map-set tenants src --map-mark\n-A PREROUTING -j SET --map-set plain src --map-mark';

  it("sets the mark from the element's skbmark under its mask; an element without skbinfo, or no element, keeps the mark", () => {
    const { engine } = load(rules);
    const mark = (source: string, given = 0) => engine.enumerate(arriving(source, given)).map((o) => o.packet.mark);
    expect(mark('203.0.113.5', 0xabcd00ff)).toEqual([0xabcd0010]);
    expect(mark('198.51.100.9', 0x7)).toEqual([0x7]);
    expect(mark('192.0.2.7', 0x7)).toEqual([0x7]);
    expect(mark('10.0.0.1', 0x7)).toEqual([0x7]);
  });

  it('says in the trace what it mapped, and that priority and queue are not simulated', () => {
    const { engine } = load('-A POSTROUTING -j SET --map-set tenants src --map-mark --map-prio --map-queue');
    const out = engine.enumerate({ hook: 'OUTPUT', protocol: 'tcp', source: '192.168.0.2', sourcePort: 40000, destination: '203.0.113.5', destinationPort: 80 });
    // The set is looked up by the packet's source, here the node: not in the set.
    expect(out[0].steps.find((s) => s.chain === 'POSTROUTING' && s.ruleNumber === 1)?.action).toBe('SET: not in set tenants: nothing mapped');
    const { engine: byDestination } = load('-A POSTROUTING -j SET --map-set tenants dst --map-mark --map-prio --map-queue');
    const mapped = byDestination.enumerate({ hook: 'OUTPUT', protocol: 'tcp', source: '192.168.0.2', sourcePort: 40000, destination: '203.0.113.5', destinationPort: 80 });
    expect(mapped[0].packet.mark).toBe(0x10);
    expect(mapped[0].steps.find((s) => s.chain === 'POSTROUTING' && s.ruleNumber === 1)?.action).toBe(
      'SET: mark 0x0 -> 0x10; skbmark 0x10/0xff from set tenants; priority 1:10 (not simulated); queue 2 (not simulated)',
    );
  });

  it('prints as iptables-save does: add, del, then map with its flags in a fixed order', () => {
    const { ruleset } = load('-A POSTROUTING -j SET --map-set tenants src,dst --map-queue --map-prio --map-mark\n-A POSTROUTING -j SET --add-set plain src --exist --timeout 5 --del-set plain dst --map-set tenants dst --map-mark');
    expect(
      printIptablesSave(ruleset)
        .split('\n')
        .filter((l) => l.startsWith('-A')),
    ).toEqual([
      '-A POSTROUTING -j SET --map-set tenants src,dst --map-mark --map-prio --map-queue',
      '-A POSTROUTING -j SET --add-set plain src --exist --timeout 5 --del-set plain dst --map-set tenants dst --map-mark',
    ]);
  });

  it('refuses what iptables or the kernel refuses', () => {
    expect(() => load('-A PREROUTING -j SET --map-set tenants src')).toThrow("You must specify flags `--map-mark' or '--map-prio` or `--map-queue'");
    expect(() => load('-A PREROUTING -j SET --map-mark --add-set plain src')).toThrow("Flag `--map-mark' can be used with `--map-set' only");
    expect(() => load('-A PREROUTING -j SET --map-set nosuch src --map-mark')).toThrow("Set nosuch doesn't exist.");
    expect(() => load('-A PREROUTING -j SET --map-set tenants src --map-prio')).toThrow('SET in chain "PREROUTING" is reachable from PREROUTING, but only allowed in FORWARD, OUTPUT, POSTROUTING');
    const ipsets = new IpsetStore();
    restoreIpsets(ipsets, SETS, { now: 0 });
    expect(() => restoreRuleset(new Ruleset(), '*filter\n-A INPUT -j SET --map-set tenants src --map-mark\nCOMMIT\n', { ipsets })).toThrow(
      'SET --map-set: only valid in the mangle table, not filter (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))',
    );
  });
});
