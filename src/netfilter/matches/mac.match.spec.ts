/** `-m mac`: the frame's Ethernet source, as the kernel tests it, and where it may be used. */
import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { tryParseIPv4 } from '../../common/ipv4';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { hardwareAddressOf, parseMacAddress } from './mac.match';

const rules = (body: string, table = 'filter') => `*${table}\n${body}\nCOMMIT\n`;
const saved = (rule: string) => printIptablesSave(parseRuleset(rules(`-A INPUT ${rule}`))).split('\n').find((l) => l.startsWith('-A'));
const engine = (text: string) => new NetfilterEngine({ ruleset: parseRuleset(text), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) });
const ssh = (sourceMac?: string): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: 22,
  ...(sourceMac !== undefined ? { sourceMac } : {}),
});

describe('-m mac', () => {
  const allowOne = rules('-A INPUT -p tcp -m tcp --dport 22 -m mac --mac-source 58:94:6B:17:41:7C -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j DROP');
  const denyOthers = rules('-A INPUT -p tcp -m tcp --dport 22 -m mac ! --mac-source 58:94:6b:17:41:7c -j DROP');

  it('matches the frame whose source is the given address, in any case, and not another', () => {
    expect(engine(allowOne).enumerate(ssh('58:94:6b:17:41:7c')).map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect(engine(allowOne).enumerate(ssh('58:94:6B:17:41:7C')).map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect(engine(allowOne).enumerate(ssh('0a:58:cb:00:71:02')).map((o) => o.verdict)).toEqual(['DROP']);
    expect(engine(denyOthers).enumerate(ssh('0a:58:cb:00:71:02')).map((o) => o.verdict)).toEqual(['DROP']);
    expect(engine(denyOthers).enumerate(ssh('58:94:6b:17:41:7c')).map((o) => o.verdict)).toEqual(['ACCEPT']);
  });

  it('matches neither way a packet without an Ethernet source, as the kernel does', () => {
    expect(engine(allowOne).enumerate(ssh()).map((o) => o.verdict)).toEqual(['DROP']);
    expect(engine(denyOthers).enumerate(ssh()).map((o) => o.verdict)).toEqual(['ACCEPT']);
  });

  it('prints the address in lower case, two digits a byte, as iptables-save does', () => {
    expect(saved('-m mac --mac-source 58:94:6B:17:41:7C -j RETURN')).toBe('-A INPUT -m mac --mac-source 58:94:6b:17:41:7c -j RETURN');
    expect(saved('-m mac ! --mac-source 5:9:6b:17::7c')).toBe('-A INPUT -m mac ! --mac-source 05:09:6b:17:00:7c');
  });

  it('refuses what iptables refuses, and the hooks the kernel refuses', () => {
    for (const bad of ['58:94:6b:17:41', 'zz:94:6b:17:41:7c', '058:94:6b:17:41:7c', '58-94-6b-17-41-7c', '58:94:6b:17:41:7c:']) {
      expect(() => parseRuleset(rules(`-A INPUT -m mac --mac-source ${bad}`))).toThrow('Invalid MAC address specified.');
    }
    expect(() => parseRuleset(rules('-A INPUT -m mac'))).toThrow('mac: option "--mac-source" must be specified');
    expect(() => parseRuleset(rules('-A OUTPUT -m mac --mac-source 58:94:6b:17:41:7c'))).toThrow('-m mac in chain "OUTPUT" is reachable from OUTPUT, but only allowed in PREROUTING, INPUT, FORWARD');
    expect(() => parseRuleset(rules('-A POSTROUTING -m mac --mac-source 58:94:6b:17:41:7c', 'mangle'))).toThrow('reachable from POSTROUTING');
    expect(() => parseRuleset(rules('-A FORWARD -m mac --mac-source 58:94:6b:17:41:7c -j ACCEPT'))).not.toThrow();
  });

  it('refuses a trace whose sourceMac is not an address, or is given for a locally sent packet', () => {
    const e = engine(allowOne);
    const refusal = (input: TraceInput) => {
      try {
        e.enumerate(input);
      } catch (err) {
        return err instanceof DomainError ? [err.message, err.causes.map((c) => c.field)] : err;
      }
      return 'accepted';
    };
    expect(refusal(ssh('not-a-mac'))).toEqual(['packet.sourceMac: "not-a-mac" is not a MAC address (six hex bytes separated by colons)', ['packet.sourceMac']]);
    expect(refusal({ hook: 'OUTPUT', protocol: 'tcp', sourcePort: 1, destination: '203.0.113.2', destinationPort: 22, sourceMac: '58:94:6b:17:41:7c' })).toEqual([
      'packet.sourceMac: only a packet arriving on an interface (hook PREROUTING) has an Ethernet source',
      ['packet.sourceMac'],
    ]);
  });

  it('reads addresses as iptables does and gives an IPv4 holder the CNI bridge plugin hardware address', () => {
    expect(parseMacAddress('A:b:C:d:E:f')).toBe('0a:0b:0c:0d:0e:0f');
    expect(parseMacAddress('::::: ')).toBeUndefined();
    expect(hardwareAddressOf(tryParseIPv4('10.180.0.2')!)).toBe('0a:58:0a:b4:00:02');
  });
});
