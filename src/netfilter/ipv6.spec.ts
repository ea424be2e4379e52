/**
 * IPv6 in the engine: ip6tables rulesets read as ip6tables reads them
 * (addresses, family-only modules, REJECT types, NAT66 ranges), and IPv6
 * packets traced through them (header matches, routing, conntrack, DNAT,
 * MASQUERADE, reverse NAT on replies).
 */
import { ManualClock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { SeededRandom } from '../common/random';
import { tryParseIPv6 } from '../ipam/ipv6';
import { NetfilterEngine } from './engine';
import { replyTo, type TraceInput } from './trace-input';
import { Host, type HostSpec } from './host';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset } from './iptables-text.parser';
import { rangeAddress } from './nat';

function problem(text: string, family?: 'ipv4' | 'ipv6'): string {
  try {
    parseRuleset(text, { family });
  } catch (e) {
    if (e instanceof DomainError) return e.message;
    throw e;
  }
  throw new Error('accepted');
}

const filter = (rule: string) => `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`;
const nat = (rule: string) => `*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT ${rule}\nCOMMIT\n`;

describe('ip6tables text', () => {
  it.each([
    ['an IPv4 address in an ip6tables rule', filter('-s 10.0.0.1 -j ACCEPT'), 'ipv6', "host/network `10.0.0.1' not found"],
    ['an IPv6 address in an iptables rule', filter('-d fd00::1/64 -j ACCEPT'), 'ipv4', "host/network `fd00::1' not found"],
    ['-m icmp in ip6tables', filter('-p icmp -m icmp --icmp-type 8 -j ACCEPT'), 'ipv6', "Couldn't load match `icmp':No such file or directory"],
    ['-m ttl in ip6tables', filter('-m ttl --ttl-eq 3'), 'ipv6', "Couldn't load match `ttl':No such file or directory"],
    ['-m hl in iptables', filter('-m hl --hl-eq 3'), 'ipv4', "Couldn't load match `hl':No such file or directory"],
    ['-m frag in iptables', filter('-m frag --fragid 1'), 'ipv4', "Couldn't load match `frag':No such file or directory"],
    ['-f in ip6tables', filter('-f -j DROP'), 'ipv6', "`-f' is not supported in IPv6, use -m frag instead"],
    ['an IPv4 reject type in ip6tables', filter('-j REJECT --reject-with icmp-port-unreachable'), 'ipv6', 'unknown reject type "icmp-port-unreachable"'],
    ['an IPv6 reject type in iptables', filter('-j REJECT --reject-with icmp6-adm-prohibited'), 'ipv4', 'unknown reject type "icmp6-adm-prohibited"'],
    ['an IPv4 DNAT address in ip6tables', nat('-p tcp -j DNAT --to-destination 10.0.0.1:80'), 'ipv6', 'Bad IP address "10.0.0.1:80"'],
    ['a bracketed IPv4 DNAT address in ip6tables', nat('-p tcp -j DNAT --to-destination [10.0.0.1]:80'), 'ipv6', 'Bad IP address "10.0.0.1"'],
    ['an unknown ICMPv6 type', filter('-p ipv6-icmp -m icmp6 --icmpv6-type any'), 'ipv6', "Unknown ICMPv6 type `any'"],
    ['icmp6 without -p ipv6-icmp', filter('-m icmp6 --icmpv6-type 128'), 'ipv6', 'icmp6 match requires "-p ipv6-icmp"'],
    ['a module modelled for IPv4 only', filter('-m recent --name x --set'), 'ipv6', '-m recent is not modelled for IPv6'],
    ['a conntrack address test in ip6tables', filter('-m conntrack --ctorigsrc 10.0.0.1 -j ACCEPT'), 'ipv6', 'conntrack: --ctorigsrc is not modelled for IPv6'],
  ] as const)('refuses %s, naming the line', (_what, text, family, message) => {
    const m = problem(text, family);
    expect(m).toContain('line 3');
    expect(m).toContain(message);
  });

  it('reads upper-case and uncompressed addresses and prints them as ip6tables-save does', () => {
    const r = parseRuleset(filter('-s 2001:DB8:0:0:0:0:0:1/64 -d ::1 -j ACCEPT'), { family: 'ipv6' });
    expect(printIptablesSave(r, { comments: false })).toContain('-A INPUT -s 2001:db8::/64 -d ::1/128 -j ACCEPT');
  });

  it('drops -s ::/0 as ip6tables does, and refuses ! -s ::/0', () => {
    expect(printIptablesSave(parseRuleset(filter('-s ::/0 -j ACCEPT'), { family: 'ipv6' }), { comments: false })).toContain('-A INPUT -j ACCEPT');
    expect(problem(filter('! -s ::/0 -j ACCEPT'), 'ipv6')).toContain('would match nothing');
  });
});

/** An IPv6 kube-proxy node: pods in fd00:10:244:1::/64 on cni0, other nodes' pods via eth0. */
const NODE6: HostSpec = {
  interfaces: [
    { name: 'eth0', addresses: ['2001:db8::2/64'] },
    { name: 'cni0', addresses: ['fd00:10:244:1::1/64'] },
  ],
  routes: [
    { destination: 'default', via: '2001:db8::1' },
    { destination: 'fd00:10:244:2::/64', via: '2001:db8::3' },
  ],
};

const RULES6 = `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d fd00:10:96::a/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00:10:244:2::5]:8080
-A OUTPUT -d fd00:10:96::a/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00:10:244:2::5]:8080
-A POSTROUTING -s fd00:10:244::/56 ! -d fd00:10:244::/56 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -d fd00:10:244:2::6/128 -p udp -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -m hl --hl-lt 10 -j DROP
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP
COMMIT
`;

function engine6(rules = RULES6) {
  return new NetfilterEngine({ ruleset: parseRuleset(rules, { family: 'ipv6' }), host: Host.create(NODE6), clock: new ManualClock(), random: new SeededRandom(1) });
}

const fromPod6 = (destination: string, port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'cni0',
  protocol: 'tcp',
  source: 'fd00:10:244:1::9',
  sourcePort: 40000,
  destination,
  destinationPort: port,
  ...over,
});

describe('IPv6 packets through the engine', () => {
  it('DNATs a pod to a ClusterIP and routes it to the endpoint node, without masquerade inside the pod range', () => {
    const [o] = engine6().enumerate(fromPod6('fd00:10:96::a', 80));
    expect(o.verdict).toBe('ACCEPT');
    expect(o.dnat).toBe('[fd00:10:244:2::5]:8080');
    expect(o.masquerade).toBe(false);
    expect(o.outInterface).toBe('eth0');
    expect(o.nextHop).toBe('2001:db8::3');
  });

  it('masquerades a pod leaving the cluster to the out interface address, and un-NATs the reply', () => {
    const e = engine6();
    const first = e.sample(fromPod6('2001:db8:ffff::1', 443));
    expect(first.masquerade).toBe(true);
    expect(first.snat).toBe('[2001:db8::2]:40000');
    const reply = e.sample(replyTo(first.packet, { hook: 'PREROUTING', inInterface: 'eth0' }));
    expect(reply.conntrack.state).toBe('ESTABLISHED');
    expect(reply.dnat).toBe('[fd00:10:244:1::9]:40000');
    expect(reply.outInterface).toBe('cni0');
    expect(e.conntrack.list()[0].text).toMatch(/^tcp +6 \d+ SYN_RECV src=fd00:10:244:1::9 dst=2001:db8:ffff::1 sport=40000 dport=443 src=2001:db8:ffff::1 dst=2001:db8::2 sport=443 dport=40000 /);
  });

  it('answers a REJECT with its ICMPv6 type, and applies -m hl to the hop limit', () => {
    const e = engine6();
    const [rejected] = e.enumerate(fromPod6('fd00:10:244:2::6', 53, { protocol: 'udp' }));
    expect(rejected.verdict).toBe('REJECT');
    expect(rejected.rejectWith).toBe('icmp6-adm-prohibited');
    const [low] = e.enumerate(fromPod6('fd00:10:244:2::7', 80, { ttl: 5 }));
    expect(low.verdict).toBe('DROP');
    const [high] = e.enumerate(fromPod6('fd00:10:244:2::7', 80, { ttl: 50 }));
    expect(high.verdict).toBe('ACCEPT');
  });

  it('delivers to its own address locally and drops ::1 arriving on the wire', () => {
    const e = engine6();
    expect(e.enumerate(fromPod6('fd00:10:244:1::1', 22))[0].delivery).toBe('local');
    const [martian] = e.enumerate({ ...fromPod6('::1', 22), inInterface: 'eth0', source: '2001:db8::9' });
    expect(martian.reason).toBe('martian-destination');
  });

  it('refuses an IPv4 packet for an ip6tables ruleset, naming the field (and an IPv6 one for iptables)', () => {
    expect(() => engine6().enumerate(fromPod6('10.96.0.10', 80))).toThrow(/packet.destination: "10.96.0.10" is not an IPv6 address \(the ruleset is ip6tables/);
    expect(() => engine6().enumerate({ hook: 'OUTPUT', protocol: 'icmp', destination: 'fd00::1' })).toThrow(/packet.protocol: icmp is an IPv4 protocol/);
    const v4 = new NetfilterEngine({ ruleset: parseRuleset(''), clock: new ManualClock() });
    expect(() => v4.enumerate({ hook: 'OUTPUT', protocol: 'tcp', destination: 'fd00::1', destinationPort: 80 })).toThrow(/packet.destination: "fd00::1" is not an IPv4 address/);
  });
});

describe('IPv6 hosts', () => {
  it('refuses a route whose gateway is of the other family, naming the field', () => {
    expect(() => Host.create({ interfaces: [{ name: 'eth0', addresses: ['2001:db8::2/64', '192.168.0.2/24'] }], routes: [{ destination: '10.0.0.0/8', via: '2001:db8::1' }] })).toThrow(
      /host.routes\[0\].via: inet address is expected rather than "2001:db8::1"/,
    );
  });

  it('chooses a source of the destination\'s family on a dual-stack interface', () => {
    const host = Host.create({
      interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24', '2001:db8::2/64', 'fe80::2/64'] }],
      routes: [
        { destination: 'default', via: '192.168.0.1' },
        { destination: 'default', via: '2001:db8::1' },
      ],
    });
    expect(host.describe().routes).toEqual(expect.arrayContaining(['default via 192.168.0.1 dev eth0', 'default via 2001:db8::1 dev eth0']));
    expect(host.sourceAddressFor(tryParseIPv6('2001:db8:ffff::1')!)).toBe(tryParseIPv6('2001:db8::2'));
    expect(host.sourceAddressFor(0x08080808)).toBe(0xc0a80002);
    expect(host.addressType(tryParseIPv6('ff02::1')!)).toBe('MULTICAST');
    expect(host.isLocal(tryParseIPv6('::1')!)).toBe(true);
  });
});

describe('NAT66 address ranges', () => {
  const ip6 = (t: string) => tryParseIPv6(t)!;
  const tuple = (source: string) => ({ protocol: 'tcp' as const, source: ip6(source), sourcePort: 1, destination: ip6('2001:db8::2'), destinationPort: 80 });

  it('spreads connections over the range and stays inside it', () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 64; i++) {
      const a = rangeAddress(ip6('fd00::1'), ip6('fd00::4'), tuple(`2001:db8:1::${i.toString(16)}`), false) as bigint;
      expect(a >= ip6('fd00::1') && a <= ip6('fd00::4')).toBe(true);
      seen.add(a);
    }
    expect(seen.size).toBe(4);
  });

  it('is the same for one source under --persistent whatever the destination', () => {
    const a = rangeAddress(ip6('fd00::1'), ip6('fd00::ff'), { ...tuple('2001:db8:1::7'), destination: ip6('2001:db8::2') }, true);
    const b = rangeAddress(ip6('fd00::1'), ip6('fd00::ff'), { ...tuple('2001:db8:1::7'), destination: ip6('2001:db8::99') }, true);
    expect(a).toBe(b);
  });
});
