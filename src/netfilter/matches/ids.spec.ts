/** `-m helper`, `-m realm` and `-m devgroup`: what the host has none of (helpers, realms, device groups) decides them. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';

const verdict = (chain: string, rule: string) =>
  new NetfilterEngine({
    ruleset: parseRuleset(`*filter\n-A ${chain} ${rule} -j DROP\nCOMMIT\n`),
    host: Host.defaultNode(),
    clock: new ManualClock(),
    random: new SeededRandom(1),
  }).enumerate({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 })[0].verdict;
const saved = (rule: string) => printIptablesSave(parseRuleset(`*filter\n:X - [0:0]\n-A X ${rule}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (chain: string, rule: string) => () => parseRuleset(`*filter\n-A ${chain} ${rule}\nCOMMIT\n`);

describe('-m helper', () => {
  it('no connection is expected by a helper: the match fails, its negation holds', () => {
    expect(verdict('INPUT', '-m helper --helper ftp')).toBe('ACCEPT');
    expect(verdict('INPUT', '-m helper ! --helper ftp')).toBe('DROP');
    expect(saved('-m helper --helper ""')).toBe('-A X -m helper --helper ""');
    expect(refused('INPUT', '-m helper')).toThrow('helper: option "--helper" must be specified');
  });
});

describe('-m realm', () => {
  it('every route has realm 0', () => {
    expect(verdict('INPUT', '-m realm --realm 0')).toBe('DROP');
    expect(verdict('INPUT', '-m realm --realm 0x10')).toBe('ACCEPT');
    expect(verdict('INPUT', '-m realm ! --realm 0x10/0xff')).toBe('DROP');
  });

  it('prints hex, or the rt_realms name when the mask is all ones; not before routing', () => {
    expect(saved('-m realm --realm 5')).toBe('-A X -m realm --realm 0x5');
    expect(saved('-m realm --realm 0')).toBe('-A X -m realm --realm cosmos');
    expect(saved('-m realm --realm 0x10/0xff')).toBe('-A X -m realm --realm 0x10/0xff');
    expect(() => parseRuleset('*mangle\n-A PREROUTING -m realm --realm 1\nCOMMIT\n')).toThrow(/reachable from PREROUTING/);
  });
});

describe('-m devgroup', () => {
  it('every interface is in group 0', () => {
    expect(verdict('INPUT', '-m devgroup --src-group default')).toBe('DROP');
    expect(verdict('INPUT', '-m devgroup --src-group 1')).toBe('ACCEPT');
    expect(verdict('INPUT', '-m devgroup ! --src-group 0x2/0xff')).toBe('DROP');
  });

  it('--src-group needs an input device, --dst-group an output device', () => {
    expect(refused('OUTPUT', '-m devgroup --src-group 0')).toThrow(/reachable from OUTPUT/);
    expect(refused('INPUT', '-m devgroup --dst-group 0')).toThrow(/reachable from INPUT/);
    expect(refused('INPUT', '-m devgroup')).toThrow("devgroup match: You must specify either '--src-group' or '--dst-group'");
    expect(saved('-m devgroup --src-group 0 --dst-group 0xff')).toBe('-A X -m devgroup --src-group default --dst-group 0xff');
  });
});
