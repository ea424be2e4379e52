/** `-m string`: read and printed as iptables does; a trace forks at it, since payloads are not simulated. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import { outcomeView } from '../outcome';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { parseHexString } from './string.match';

const saved = (rule: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (rule: string) => () => parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`);

describe('-m string', () => {
  it('forks a trace both ways and says why, each outcome naming the rule it depends on', () => {
    const rules = '*filter\n-A INPUT -p tcp -m tcp --dport 80 -m string --string "GET /admin" --algo bm -j DROP\nCOMMIT\n';
    const e = new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) });
    const outcomes = e
      .enumerate({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 80 })
      .map(outcomeView);
    expect(outcomes.map((o) => [o.verdict, o.dependsOn?.map((d) => [d.line, d.matches])])).toEqual([
      ['DROP', [[2, true]]],
      ['ACCEPT', [[2, false]]],
    ]);
    expect(outcomes[0].steps.map((s) => s.action)).toContain('the payload is not simulated: taken as matching (the outcome depends on it)');
    // Where the rest of the rule cannot match, nothing forks.
    const other = e.enumerate({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 });
    expect(other.map((o) => o.verdict)).toEqual(['ACCEPT']);
  });

  it('prints printable patterns as --string, others as --hex-string, defaults left out', () => {
    expect(saved('-m string --algo kmp --string foo --from 10 --to 100 --icase')).toBe('-A INPUT -m string --string "foo" --algo kmp --from 10 --to 100 --icase');
    expect(saved('-m string --hex-string "|41 42|C" --algo bm --from 0 --to 65535')).toBe('-A INPUT -m string --string "ABC" --algo bm');
    expect(saved('-m string ! --string "a\\"b\\\\c" --algo bm')).toBe('-A INPUT -m string ! --string "a\\"b\\\\c" --algo bm');
    expect(saved('-m string --hex-string "a|0d 0a|b" --algo bm')).toBe('-A INPUT -m string --hex-string "|610d0a62|" --algo bm');
    expect([...parseHexString('x\\|y|09|')]).toEqual([0x78, 0x7c, 0x79, 0x09]);
  });

  it('refuses what iptables or the kernel refuses', () => {
    expect(refused('-m string --string foo')).toThrow('string: option "--algo" must be specified');
    expect(refused('-m string --algo bm')).toThrow("STRING match: You must specify `--string' or `--hex-string'");
    expect(refused('-m string --hex-string "|4|" --algo bm')).toThrow('Invalid hex block');
    expect(refused('-m string --hex-string "|zz|" --algo bm')).toThrow("Invalid hex char 'z'");
    expect(refused('-m string --string foo --algo bm --to 70000')).toThrow('string: bad value for option "--to", or out of range (0-65535).');
    expect(refused('-m string --string foo --algo xyz')).toThrow(/No such file or directory/);
  });
});
