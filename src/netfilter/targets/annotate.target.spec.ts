/** NFLOG, TRACE, AUDIT, CLASSIFY (and ULOG, refused). */
import { actions, fromHost, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 22 -j TRACE',
  'COMMIT',
  '*mangle',
  ':POSTROUTING ACCEPT [0:0]',
  '-A POSTROUTING -p tcp -j CLASSIFY --set-class 1:a',
  'COMMIT',
  '*filter',
  ':INPUT DROP [0:0]',
  '-A INPUT -p tcp --dport 22 -j NFLOG --nflog-threshold 10 --nflog-group 5 --nflog-prefix "ssh in"',
  '-A INPUT -p tcp --dport 22 -j AUDIT --type ACCEPT',
  '-A INPUT -p tcp --dport 22 -j ACCEPT',
  '-A INPUT -p tcp --dport 23 -j NFLOG --nflog-range 128',
  '-A INPUT -p udp -j NFLOG --nflog-group 0 --nflog-size 0 --nflog-threshold 0',
  'COMMIT',
  '',
].join('\n');

describe('targets that only leave a note', () => {
  it('go on to the next rule, which decides; each step says what the kernel did', () => {
    const ssh = only(RULES, fromOutside(22));
    expect(ssh).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(actions(ssh)).toEqual(
      expect.arrayContaining([
        'TRACE: the kernel traces this packet from here on (xtables-monitor --trace); continue',
        'NFLOG: logged to nflog group 5 (prefix "ssh in"), continue',
        'AUDIT: audit record (type accept), continue',
        'ACCEPT',
      ]),
    );
    expect(only(RULES, fromOutside(23)).verdict).toBe('DROP');
    expect(actions(only(RULES, fromHost('203.0.113.5', 80)))).toContain('CLASSIFY: traffic-control class 0001:000a (queueing is not simulated), continue');
  });

  it('print as iptables-save 1.8.9 does (NFLOG: prefix first, defaults left out, --nflog-range dropped)', () => {
    expect(saved(RULES)).toEqual([
      '-A POSTROUTING -p tcp -j CLASSIFY --set-class 0001:000a',
      '-A PREROUTING -p tcp -m tcp --dport 22 -j TRACE',
      '-A INPUT -p tcp -m tcp --dport 22 -j NFLOG --nflog-prefix "ssh in" --nflog-group 5 --nflog-threshold 10',
      '-A INPUT -p tcp -m tcp --dport 22 -j AUDIT --type accept',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A INPUT -p tcp -m tcp --dport 23 -j NFLOG',
      '-A INPUT -p udp -j NFLOG --nflog-size 0',
    ]);
  });

  it('refuse what iptables and the kernel refuse', () => {
    expect(() => saved('*filter\n-A INPUT -j NFLOG --nflog-size 1 --nflog-range 1\nCOMMIT\n')).toThrow('NFLOG: option "--nflog-range" cannot be used together with "--nflog-size"');
    expect(() => saved('*filter\n-A INPUT -j NFLOG --nflog-group 65536\nCOMMIT\n')).toThrow('out of range (0-65535)');
    expect(() => saved('*filter\n-A INPUT -j AUDIT\nCOMMIT\n')).toThrow('AUDIT: option "--type" must be specified');
    expect(() => saved('*mangle\n-A INPUT -j CLASSIFY --set-class 1:2\nCOMMIT\n')).toThrow(/CLASSIFY/);
    expect(() => saved('*mangle\n-A OUTPUT -j CLASSIFY --set-class 1\nCOMMIT\n')).toThrow('CLASSIFY: bad class value "1"');
  });

  it('ULOG is refused: Linux removed it (3.17)', () => {
    expect(() => saved('*filter\n-A INPUT -j ULOG --ulog-nlgroup 1\nCOMMIT\n')).toThrow(/ULOG: Linux has no ULOG target since 3\.17 .* use -j NFLOG/);
  });
});
