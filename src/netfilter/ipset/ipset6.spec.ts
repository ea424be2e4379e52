/**
 * `family inet6` sets: what `ipset restore` refuses in them (ipset 7.17's
 * words, checked against the real tool), `-m set` and `-j SET` in ip6tables
 * rules through the engine, and the family check iptables makes when a rule
 * names a set of the other family.
 */
import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { DEFAULT_HOST6_SPEC, Host } from '../host';
import { restoreRuleset } from '../iptables-text.parser';
import { Ruleset } from '../ruleset';
import { IpsetStore } from './ipset-store';
import { printIpsetSave, restoreIpsets } from './ipset-text';

const SETS = `create bad6 hash:net family inet6 hashsize 1024 maxelem 65536 counters bucketsize 12 initval 0x00000001
add bad6 2001:db8::/32
add bad6 2001:db8:1::/48 nomatch
create svc6 hash:ip,port family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000002
add svc6 2001:db8::2,tcp:80
add svc6 2001:db8::2,ipv6-icmp:echo-request
create pair6 hash:ip,port,net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000003
add pair6 2001:db8::2,tcp:80,fd00:10::/64
create seen6 hash:ip family inet6 hashsize 1024 maxelem 65536 timeout 60 bucketsize 12 initval 0x00000005
create v4 hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000006
add v4 10.0.0.1
create both list:set size 8
add both v4
add both bad6
create web bitmap:port range 0-1024
add web 80
`;

function setup(rules: string, family: 'ipv4' | 'ipv6' = 'ipv6') {
  const clock = new ManualClock();
  const ipsets = new IpsetStore();
  restoreIpsets(ipsets, SETS, { now: clock.now() });
  const ruleset = new Ruleset(family);
  restoreRuleset(ruleset, `*filter\n:INPUT DROP [0:0]\n${rules}\nCOMMIT\n`, { ipsets });
  const host = family === 'ipv6' ? Host.create(DEFAULT_HOST6_SPEC) : Host.defaultNode();
  const engine = new NetfilterEngine({ ruleset, host, clock, random: new SeededRandom(1), ipsets });
  return { clock, ipsets, engine };
}

function arriving(source: string, over: Partial<TraceInput> = {}): TraceInput {
  return { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination: '2001:db8::2', destinationPort: 80, ...over };
}

function verdict(engine: NetfilterEngine, input: TraceInput): string {
  const outcomes = engine.enumerate(input);
  expect(outcomes).toHaveLength(1);
  return outcomes[0].verdict;
}

function refusal(text: string): string {
  try {
    restoreIpsets(new IpsetStore(), text, { now: 0 });
  } catch (e) {
    if (e instanceof DomainError) return e.message.replace(/^line \d+: /, '');
    throw e;
  }
  return 'accepted';
}

const create6 = (type: string) => `create s ${type} family inet6 hashsize 64 maxelem 65536 bucketsize 12 initval 0x12345678\n`;

describe('ipset family inet6', () => {
  it.each([
    ['an IPv4 address in an inet6 set', `${create6('hash:ip')}add s 10.0.0.1`, 'Syntax error: cannot parse 10.0.0.1: resolving to IPv6 address failed'],
    ['an IPv6 address in an inet set', 'create s hash:ip family inet\nadd s fd00::1', 'Syntax error: cannot parse fd00::1: resolving to IPv4 address failed'],
    ['an address range in a host type', `${create6('hash:ip')}add s fd00::1-fd00::3`, 'Syntax error: plain IP address must be supplied: fd00::1-fd00::3'],
    ['a CIDR in a host type', `${create6('hash:ip')}add s fd00::/120`, 'Syntax error: plain IP address must be supplied: fd00::/120'],
    ['an address range in a net type', `${create6('hash:net')}add s fd00::1-fd00::3`, 'Syntax error: IP address or IP/cidr must be specified: fd00::1-fd00::3'],
    ['a /0 network', `${create6('hash:net')}add s fd00::/0`, 'The value of the CIDR parameter of the IP address is invalid'],
    ['a prefix past 128', `${create6('hash:net')}add s fd00::/129`, "Syntax error: '129' is out of range 0-128"],
    ['a prefix that is not a number', `${create6('hash:net')}add s fd00::/x`, "Syntax error: 'x' is invalid as number"],
    ['a bad address', `${create6('hash:ip')}add s fd00::g`, 'Syntax error: cannot parse fd00::g: resolving to IPv6 address failed'],
    ['ICMP in an inet6 set', `${create6('hash:ip,port')}add s fd00::1,icmp:echo-request`, 'Syntax error: Protocol ICMP can be used with family inet only'],
    ['ICMPv6 in an inet set', 'create s hash:ip,port family inet\nadd s 10.0.0.1,icmpv6:echo-request', 'Syntax error: Protocol ICMPv6 can be used with family inet6 only'],
    ['an unknown ICMPv6 name', `${create6('hash:ip,port')}add s fd00::1,icmpv6:bogus`, 'Cannot parse bogus as an ICMPv6 type/code.'],
    ['an ICMPv6 type number alone', `${create6('hash:ip,port')}add s fd00::1,ipv6-icmp:128`, 'Cannot parse 128 as an ICMPv6 type/code.'],
    ['an ICMPv6 code past 255', `${create6('hash:ip,port')}add s fd00::1,icmpv6:1/300`, "Syntax error: '300' is out of range 0-255"],
    ['an unknown family', 'create s hash:ip family inet7', 'Syntax error: unknown inet family inet7'],
    ['family twice', 'create s hash:ip family inet6 family inet', 'Syntax error: family already specified'],
    ['netmask past 128', 'create s hash:ip family inet6 netmask 130', "Syntax error: '130' is out of range 1-128"],
    ['netmask past 32 in an inet set', 'create s hash:ip family inet netmask 33', "Syntax error: '33' is out of range 1-32"],
    ['netmask twice', 'create s hash:ip family inet6 netmask 64 netmask 32', 'Syntax error: netmask already specified'],
    ['family on a bitmap:port', 'create s bitmap:port range 1-100 family inet6', "Unknown argument: `family'"],
    ['family on a list:set', 'create s list:set family inet6', "Unknown argument: `family'"],
  ])('refuses %s as ipset does', (_what, text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('reads IPv6 elements as ipset stores them: host bits of a network and past a netmask cleared, /128 printed bare, ICMPv6 by its first name', () => {
    const store = new IpsetStore();
    restoreIpsets(
      store,
      `${create6('hash:net')}add s fd00::1/64\nadd s fd00:1::/128\ncreate m hash:ip family inet6 hashsize 64 maxelem 65536 netmask 64 bucketsize 12 initval 0x1\nadd m fd00:1:2:3:4::1\n` +
        'create p hash:ip,port family inet6 hashsize 64 maxelem 65536 bucketsize 12 initval 0x1\nadd p fd00::5,icmpv6:neigbour-solicitation\nadd p fd00::6,58:1/4\n',
      { now: 0 },
    );
    const save = printIpsetSave(store, 0);
    expect(save).toContain('add s fd00::/64\n');
    expect(save).toContain('add s fd00:1::\n');
    expect(save).toContain('create m hash:ip family inet6 hashsize 64 maxelem 65536 netmask 64 bucketsize 12 initval 0x00000001\nadd m fd00:1:2:3::\n');
    expect(save).toContain('add p fd00::5,ipv6-icmp:neighbour-solicitation\n');
    expect(save).toContain('add p fd00::6,ipv6-icmp:port-unreachable\n');
  });
});

describe('-m set and -j SET in ip6tables', () => {
  it('hash:net inet6: the longest prefix decides, a nomatch element answers no', () => {
    const { engine } = setup('-A INPUT -m set --match-set bad6 src -j ACCEPT');
    expect(verdict(engine, arriving('2001:db8:2::1'))).toBe('ACCEPT');
    expect(verdict(engine, arriving('2001:db8:1::1'))).toBe('DROP');
    expect(verdict(engine, arriving('2001:db9::1'))).toBe('DROP');
  });

  it('hash:ip,port inet6 matches address and port; hash:ip,port,net its third part by prefix', () => {
    const ports = setup('-A INPUT -m set --match-set svc6 dst,dst -j ACCEPT').engine;
    expect(verdict(ports, arriving('2600::1'))).toBe('ACCEPT');
    expect(verdict(ports, arriving('2600::1', { destinationPort: 81 }))).toBe('DROP');
    expect(verdict(ports, arriving('2600::1', { protocol: 'udp' }))).toBe('DROP');
    const pairs = setup('-A INPUT -m set --match-set pair6 dst,dst,src -j ACCEPT').engine;
    expect(verdict(pairs, arriving('fd00:10::99'))).toBe('ACCEPT');
    expect(verdict(pairs, arriving('fd00:11::99'))).toBe('DROP');
  });

  it('a list:set holding sets of both families tests each packet against the members of its family; bitmap:port takes both', () => {
    const six = setup('-A INPUT -m set --match-set both src -j ACCEPT\n-A INPUT -m set --match-set web dst -j REJECT');
    expect(verdict(six.engine, arriving('2001:db8:2::1'))).toBe('ACCEPT');
    expect(verdict(six.engine, arriving('2600::1'))).toBe('REJECT');
    const four = setup('-A INPUT -m set --match-set both src -j ACCEPT', 'ipv4');
    expect(verdict(four.engine, { ...arriving('10.0.0.1'), destination: '192.168.0.2' })).toBe('ACCEPT');
    expect(verdict(four.engine, { ...arriving('10.0.0.2'), destination: '192.168.0.2' })).toBe('DROP');
  });

  it('-j SET --add-set puts an IPv6 source in an inet6 set', () => {
    const { engine, ipsets, clock } = setup('-A INPUT -j SET --add-set seen6 src\n-A INPUT -m set --match-set seen6 src -j ACCEPT');
    expect(engine.sample(arriving('2600::7')).verdict).toBe('ACCEPT');
    expect(printIpsetSave(ipsets, clock.now())).toContain('add seen6 2600::7 timeout 60\n');
  });

  it.each([
    ['ip6tables', 'ipv6', '-m set --match-set v4 src -j DROP', 'The protocol family of set v4 is IPv4, which is not applicable.'],
    ['iptables', 'ipv4', '-m set --match-set bad6 src -j DROP', 'The protocol family of set bad6 is IPv6, which is not applicable.'],
    ['ip6tables (-j SET)', 'ipv6', '-j SET --add-set v4 src', 'The protocol family of set v4 is IPv4, which is not applicable.'],
  ] as const)('%s refuses a rule naming a set of the other family, as the real tool does', (_tool, family, rule, message) => {
    expect(() => setup(`-A INPUT ${rule}`, family)).toThrow(message);
  });

  it('ip6tables refuses a bitmap:ip set (IPv4 in the kernel) and takes a bitmap:port set (no family), as ip6tables 1.8.9 does', () => {
    const ipsets = new IpsetStore();
    restoreIpsets(ipsets, 'create bm bitmap:ip range 10.0.0.0/24\ncreate bp bitmap:port range 0-1024\n', { now: 0 });
    const load = (rule: string) => restoreRuleset(new Ruleset('ipv6'), `*filter\n:INPUT DROP [0:0]\n-A INPUT ${rule}\nCOMMIT\n`, { ipsets });
    expect(() => load('-m set --match-set bm src -j DROP')).toThrow('The protocol family of set bm is IPv4, which is not applicable.');
    expect(() => load('-m set --match-set bp dst -j DROP')).not.toThrow();
  });
});
