/** `-m connlimit`: live connections per masked address, counted in the engine's conntrack table. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { TCP_FLAGS } from '../types';

function engine(...rule: string[]) {
  const clock = new ManualClock();
  const rules = `*filter\n:INPUT ACCEPT [0:0]\n${rule.map((r) => `-A INPUT ${r}\n`).join('')}COMMIT\n`;
  return { e: new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.defaultNode(), clock, random: new SeededRandom(1) }), clock };
}

const udp = (source: string, sourcePort: number): TraceInput => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source, sourcePort, destination: '192.168.0.2', destinationPort: 53 });
const syn = (source: string, sourcePort: number): TraceInput => ({ ...udp(source, sourcePort), protocol: 'tcp', destinationPort: 22, tcpFlags: TCP_FLAGS.SYN });

describe('-m connlimit', () => {
  it('--connlimit-above counts the live connections from the source, this one included', () => {
    const { e } = engine('-p udp -m connlimit --connlimit-above 2 -j DROP');
    expect([1, 2, 3, 4].map((k) => e.sample(udp('203.0.113.2', 1000 + k)).verdict)).toEqual(['ACCEPT', 'ACCEPT', 'DROP', 'DROP']);
    expect(e.sample(udp('203.0.113.3', 1000)).verdict).toBe('ACCEPT');
  });

  it('a later packet of a counted connection adds nothing', () => {
    const { e } = engine('-p udp -m connlimit --connlimit-above 1 -j DROP');
    expect(e.sample(udp('203.0.113.2', 1000)).verdict).toBe('ACCEPT');
    expect(e.sample(udp('203.0.113.2', 1000)).verdict).toBe('ACCEPT');
    expect(e.sample(udp('203.0.113.2', 1001)).verdict).toBe('DROP');
  });

  it('connections that expire or close stop counting', () => {
    const { e, clock } = engine('-p udp -m connlimit --connlimit-above 1 -j DROP');
    expect(e.sample(udp('203.0.113.2', 1000)).verdict).toBe('ACCEPT');
    expect(e.sample(udp('203.0.113.2', 1001)).verdict).toBe('DROP');
    clock.advance(31_000); // udp_timeout: the first connection is gone
    expect(e.sample(udp('203.0.113.2', 1001)).verdict).toBe('ACCEPT');
    const tcp = engine('-p tcp -m conntrack --ctstate NEW -m connlimit --connlimit-above 1 -j DROP').e;
    expect(tcp.sample(syn('203.0.113.2', 1000)).verdict).toBe('ACCEPT');
    expect(tcp.sample(syn('203.0.113.2', 1001)).verdict).toBe('DROP');
    tcp.sample({ ...syn('203.0.113.2', 1000), tcpFlags: TCP_FLAGS.RST }); // the first one is reset: CLOSE
    expect(tcp.sample(syn('203.0.113.2', 1002)).verdict).toBe('ACCEPT');
  });

  it('--connlimit-mask groups sources; --connlimit-daddr counts per destination; --connlimit-upto is the negation', () => {
    const masked = engine('-p udp -m connlimit --connlimit-above 1 --connlimit-mask 24 -j DROP').e;
    expect([masked.sample(udp('203.0.113.2', 1000)).verdict, masked.sample(udp('203.0.113.99', 1000)).verdict]).toEqual(['ACCEPT', 'DROP']);
    const byDestination = engine('-p udp -m connlimit --connlimit-above 1 --connlimit-daddr -j DROP').e;
    expect([byDestination.sample(udp('203.0.113.2', 1000)).verdict, byDestination.sample(udp('198.51.100.7', 1000)).verdict]).toEqual(['ACCEPT', 'DROP']);
    const upto = engine('-p udp -m connlimit --connlimit-upto 1 -j ACCEPT', '-p udp -j DROP').e;
    expect([upto.sample(udp('203.0.113.2', 1000)).verdict, upto.sample(udp('203.0.113.2', 1001)).verdict]).toEqual(['ACCEPT', 'DROP']);
    // A connection dropped on its first packet is never confirmed: it does not count.
    expect(upto.sample(udp('203.0.113.2', 1002)).verdict).toBe('DROP');
    const dropped = engine('-p udp -m connlimit --connlimit-upto 1 -j DROP').e;
    expect([dropped.sample(udp('203.0.113.2', 1000)).verdict, dropped.sample(udp('203.0.113.2', 1001)).verdict]).toEqual(['DROP', 'DROP']);
  });

  it('a trace that enumerates counts the packet but records nothing', () => {
    const { e } = engine('-p udp -m connlimit --connlimit-above 1 -j DROP');
    expect(e.enumerate(udp('203.0.113.2', 1000)).map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect(e.enumerate(udp('203.0.113.2', 1001)).map((o) => o.verdict)).toEqual(['ACCEPT']);
  });

  it('prints as iptables-save does, and refuses what iptables refuses', () => {
    const saved = (rule: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
    expect(saved('-m connlimit ! --connlimit-above 3 --connlimit-daddr')).toBe('-A INPUT -m connlimit --connlimit-upto 3 --connlimit-mask 32 --connlimit-daddr');
    expect(saved('-m connlimit --connlimit-upto 0x10 --connlimit-mask 255.255.0.0')).toBe('-A INPUT -m connlimit --connlimit-upto 16 --connlimit-mask 16 --connlimit-saddr');
    expect(saved('-m connlimit --connlimit-upto 3 --connlimit-mask 33')).toBe('-A INPUT -m connlimit --connlimit-upto 3 --connlimit-mask 32 --connlimit-saddr');
    const refused = (rule: string) => () => parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`);
    expect(refused('-m connlimit')).toThrow('You must specify "--connlimit-above" or "--connlimit-upto".');
    expect(refused('-m connlimit --connlimit-above abc')).toThrow('connlimit: bad value for option "--connlimit-above", or out of range (0-4294967295).');
    expect(refused('-m connlimit --connlimit-above 3 --connlimit-upto 2')).toThrow(/cannot be used together/);
    expect(refused('-m connlimit --connlimit-above 3 --connlimit-saddr --connlimit-daddr')).toThrow(/cannot be used together/);
  });
});
