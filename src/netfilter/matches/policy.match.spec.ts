/** `-m policy`: no IPsec is simulated, so `--pol none` always holds and `--pol ipsec` never does. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';

const trace = (rules: string) =>
  new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) })
    .enumerate({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 })
    .map((o) => o.verdict);
const refused = (rule: string) => () => parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`);

describe('-m policy', () => {
  it('--pol none matches every packet, --pol ipsec (the default) none, whatever the element says', () => {
    expect(trace('*filter\n-A INPUT -m policy --dir in --pol none -j DROP\nCOMMIT\n')).toEqual(['DROP']);
    expect(trace('*filter\n-A INPUT -m policy --dir in --pol ipsec -j DROP\nCOMMIT\n')).toEqual(['ACCEPT']);
    expect(trace('*filter\n-A INPUT -m policy --dir in -j DROP\nCOMMIT\n')).toEqual(['ACCEPT']);
    expect(trace('*filter\n-A INPUT -m policy --dir in --pol ipsec ! --reqid 1 -j DROP\nCOMMIT\n')).toEqual(['ACCEPT']);
  });

  it('--dir in only from PREROUTING, INPUT, FORWARD; --dir out only from FORWARD, OUTPUT, POSTROUTING', () => {
    expect(refused('-m policy --dir out --pol none')).toThrow('-m policy in chain "INPUT" is reachable from INPUT, but only allowed in FORWARD, OUTPUT, POSTROUTING');
    expect(() => parseRuleset('*filter\n-A OUTPUT -m policy --dir in --pol none\nCOMMIT\n')).toThrow(/reachable from OUTPUT/);
  });

  it('prints the element as iptables-save does (and drops it for --pol none)', () => {
    const saved = (rule: string) => printIptablesSave(parseRuleset(`*filter\n:X - [0:0]\n-A X ${rule}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
    expect(saved('-m policy --dir in --pol none --reqid 1')).toBe('-A X -m policy --dir in --pol none');
    expect(saved('-m policy --dir in --pol ipsec --spi 256 --reqid 0x10 --proto 50 --mode tunnel --tunnel-src 10.1 ! --tunnel-dst 10.1.2.3/255.255.0.0')).toBe(
      '-A X -m policy --dir in --pol ipsec --reqid 16 --spi 0x100 --proto esp --mode tunnel ! --tunnel-dst 10.1.2.3/16 --tunnel-src 10.0.0.1',
    );
  });

  it('refuses what iptables refuses, with its words', () => {
    expect(refused('-m policy --pol none')).toThrow('policy match: neither --dir in nor --dir out specified');
    expect(refused('-m policy --dir IN')).toThrow('policy_match: invalid dir "IN"');
    expect(refused('-m policy --dir in --pol foo')).toThrow('policy match: invalid policy "foo"');
    expect(refused('-m policy --dir in --pol none --strict')).toThrow('policy match: policy none but --strict given');
    expect(refused('-m policy --dir in --pol ipsec --strict')).toThrow(/empty policy element 0/);
    expect(refused('-m policy --dir in --proto udp')).toThrow('policy match: protocol must be ah/esp/ipcomp');
    expect(refused('-m policy --dir in --proto ESP')).toThrow('unknown protocol "ESP" specified');
    expect(refused('-m policy --dir in --mode foo')).toThrow('policy match: invalid mode "foo"');
    expect(refused('-m policy --dir in --tunnel-src 10.0.0.1')).toThrow('policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode');
    expect(refused('-m policy --dir in --strict --reqid 1 --next --reqid 2')).toThrow(/`--next` is a real option of the iptables policy match that kube-netsim does not model/);
  });
});
