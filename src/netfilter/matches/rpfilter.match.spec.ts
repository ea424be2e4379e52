/** `-m rpfilter`: the reverse path check against the host's routes. */
import { tryParseIPv4 } from '../../common/ipv4';
import { SeededRandom } from '../../common/random';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { parseRuleSpec } from '../rule-spec.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { InMemoryRecentStore, MapMatchState } from '../recent-store';
import { Table } from '../table';
import type { MatchContext, Packet } from '../types';

const ip = (text: string): number => tryParseIPv4(text)!;
const host = Host.create({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [
    { destination: 'default', via: '192.168.0.1' },
    { destination: '198.51.100.0/24', type: 'blackhole' },
  ],
});
const ctx: MatchContext = { now: 0, random: new SeededRandom(1), host, recent: new InMemoryRecentStore(), state: new MapMatchState() };
const arriving = (inInterface: string, source: string, destination = '192.168.0.2'): Packet => ({
  protocol: 'tcp',
  source: ip(source),
  destination: ip(destination),
  sourcePort: 40000,
  destinationPort: 22,
  mark: 0,
  ctstate: 'NEW',
  inInterface,
});
const matches = (spec: string, p: Packet) => parseRuleSpec(spec, new Table('raw')).matchesPacket(p, ctx);

describe('-m rpfilter', () => {
  it('passes a packet whose source is routed back out of the interface it came in on', () => {
    expect(matches('-m rpfilter', arriving('eth0', '203.0.113.2'))).toBe(true);
    expect(matches('-m rpfilter', arriving('cni0', '10.180.0.9'))).toBe(true);
    expect(matches('-m rpfilter', arriving('eth0', '10.180.0.9'))).toBe(false); // spoofed: the way back is cni0
    expect(matches('-m rpfilter --loose', arriving('eth0', '10.180.0.9'))).toBe(true);
  });

  it('fails a source with no unicast route back; a local source only with --accept-local', () => {
    expect(matches('-m rpfilter --loose', arriving('eth0', '198.51.100.7'))).toBe(false); // blackhole
    expect(matches('-m rpfilter', arriving('eth0', '192.168.0.2'))).toBe(false);
    expect(matches('-m rpfilter --accept-local', arriving('eth0', '192.168.0.2'))).toBe(true);
    expect(matches('-m rpfilter --accept-local', arriving('cni0', '192.168.0.2'))).toBe(false);
  });

  it('always passes loopback traffic and DHCP discovery from 0.0.0.0', () => {
    expect(matches('-m rpfilter', arriving('lo', '10.180.0.9'))).toBe(true);
    expect(matches('-m rpfilter', arriving('eth0', '0.0.0.0', '255.255.255.255'))).toBe(true);
  });

  it('--invert turns the answer round', () => {
    expect(matches('-m rpfilter --invert', arriving('eth0', '10.180.0.9'))).toBe(true);
    expect(matches('-m rpfilter --invert', arriving('eth0', '203.0.113.2'))).toBe(false);
  });

  it('is valid in raw and mangle PREROUTING only, and prints its flags in a fixed order', () => {
    expect(() => parseRuleset('*filter\n-A INPUT -m rpfilter -j DROP\nCOMMIT\n')).toThrow(/only valid in the raw or mangle table, not filter/);
    expect(() => parseRuleset('*mangle\n-A INPUT -m rpfilter -j DROP\nCOMMIT\n')).toThrow('-m rpfilter in chain "INPUT" is reachable from INPUT, but only allowed in PREROUTING');
    expect(() => parseRuleset('*raw\n-A PREROUTING -m rpfilter ! --loose -j DROP\nCOMMIT\n')).toThrow('rpfilter: option "--loose" cannot be inverted.');
    const saved = printIptablesSave(parseRuleset('*raw\n-A PREROUTING -m rpfilter --invert --accept-local --validmark --loose -j DROP\nCOMMIT\n'));
    expect(saved).toContain('-A PREROUTING -m rpfilter --loose --validmark --accept-local --invert -j DROP\n');
  });
});
