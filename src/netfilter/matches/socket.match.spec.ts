/** `-m socket`: whether a local socket takes the packet, from `packet.localSocket`, with the kernel's wildcard and transparent rules. */
import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';

const text = (match: string, table = 'mangle', chain = 'PREROUTING') => `*${table}\n-A ${chain} -p tcp -m tcp --dport 8080 ${match} -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n`;
const arriving = (localSocket?: TraceInput['localSocket']): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: 8080,
  ...(localSocket ? { localSocket } : {}),
});
const marked = (match: string, localSocket?: TraceInput['localSocket']) =>
  new NetfilterEngine({ ruleset: parseRuleset(text(match)), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) })
    .enumerate(arriving(localSocket))
    .map((o) => o.packet.mark);

describe('-m socket', () => {
  it('matches when a local socket takes the packet, not when none does', () => {
    expect(marked('-m socket', {})).toEqual([1]);
    expect(marked('-m socket')).toEqual([0]);
  });

  it('ignores a listener bound to 0.0.0.0 unless --nowildcard, as the kernel does', () => {
    expect(marked('-m socket', { wildcard: true })).toEqual([0]);
    expect(marked('-m socket --nowildcard', { wildcard: true })).toEqual([1]);
  });

  it('with --transparent, counts only a socket with IP_TRANSPARENT', () => {
    expect(marked('-m socket --transparent', {})).toEqual([0]);
    expect(marked('-m socket --transparent', { transparent: true })).toEqual([1]);
    expect(marked('-m socket --transparent --nowildcard', { transparent: true, wildcard: true })).toEqual([1]);
  });

  it('prints its flags as iptables-save does, and refuses what the kernel refuses', () => {
    const saved = printIptablesSave(parseRuleset(text('-m socket --restore-skmark --nowildcard --transparent'))).split('\n').find((l) => l.startsWith('-A'));
    expect(saved).toBe('-A PREROUTING -p tcp -m tcp --dport 8080 -m socket --transparent --nowildcard --restore-skmark -j MARK --set-xmark 0x1/0xffffffff');
    expect(() => parseRuleset(text('-m socket', 'mangle', 'OUTPUT'))).toThrow('-m socket in chain "OUTPUT" is reachable from OUTPUT, but only allowed in PREROUTING, INPUT');
    expect(() => parseRuleset(text('-m socket ! --transparent'))).toThrow('socket: option "--transparent" cannot be inverted.');
  });

  it('refuses a localSocket on a packet sent by a local process', () => {
    const e = new NetfilterEngine({ ruleset: parseRuleset(text('-m socket')), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) });
    let caught: unknown;
    try {
      e.enumerate({ hook: 'OUTPUT', protocol: 'tcp', sourcePort: 1, destination: '203.0.113.2', destinationPort: 80, localSocket: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).causes.map((c) => c.field)).toEqual(['packet.localSocket']);
  });
});
