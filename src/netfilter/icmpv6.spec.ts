/**
 * ICMPv6 through the engine (nf_conntrack_proto_icmpv6): its numbers,
 * Neighbour Discovery and MLD untracked, errors (types below 128) RELATED to
 * the connection they quote, `-m icmp6` rules and REJECT's `icmp6-*` answers.
 * Echo 128/129 as a connection (its reply, its timeout, its NAT66) is
 * icmp-echo.spec.ts's, one table for both families.
 */
import { ManualClock } from '../common/clock';
import { tryParseIPv6 } from '../ipam/ipv6';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from './engine';
import { outcomeView } from './outcome';
import type { TraceInput } from './trace-input';
import { Host, type HostSpec } from './host';
import { icmpInverse, icmpTuplePorts, icmpTypeText, isIcmpError, isIcmpUntracked, rejectIcmp, requestedIcmpType } from './icmp';
import { parseRuleset } from './iptables-text.parser';
import { IpsetStore } from './ipset/ipset-store';
import { restoreIpsets } from './ipset/ipset-text';
import { rejectAnswer } from './reject-answer';

const NODE6: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['::1/128'] },
    { name: 'eth0', addresses: ['2001:db8::2/64'] },
    { name: 'cni0', addresses: ['fd00:10:244:1::1/64'] },
  ],
  routes: [{ destination: 'default', via: '2001:db8::1' }],
};

/** Everything accepted; the one `-m state` rule makes the kernel track connections. */
const ACCEPT_ALL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\nCOMMIT\n';

function engine(rules: string, ipsets?: IpsetStore) {
  const clock = new ManualClock();
  const e = new NetfilterEngine({ ruleset: parseRuleset(rules, { family: 'ipv6', ipsets }), host: Host.create(NODE6), clock, random: new SeededRandom(1), ipsets });
  return { e, clock };
}

/** A pod on cni0 pings an address beyond eth0. */
const ping = (over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'cni0',
  protocol: 'icmpv6',
  source: 'fd00:10:244:1::9',
  destination: '2001:db8:ffff::9',
  icmpType: 128,
  icmpId: 7,
  ...over,
});

/** The echo reply coming back on eth0. */
const pong = (over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'icmpv6',
  source: '2001:db8:ffff::9',
  destination: 'fd00:10:244:1::9',
  icmpType: 129,
  icmpId: 7,
  ...over,
});

describe('ICMPv6 numbers', () => {
  it('pairs echo 128/129 and node information 139/140; every type below 128 is an error; ND and MLD are untracked', () => {
    expect(icmpInverse(128, 'icmpv6')).toBe(129);
    expect(icmpInverse(140, 'icmpv6')).toBe(139);
    expect(icmpInverse(8, 'icmpv6')).toBeUndefined();
    expect(icmpTuplePorts(128, 0, 7, 'icmpv6')).toEqual({ sourcePort: 7, destinationPort: 128 << 8 });
    expect(icmpTuplePorts(129, 0, 7, 'icmpv6')).toEqual({ sourcePort: 128 << 8, destinationPort: 7 });
    expect([1, 2, 3, 4, 100, 127].every((t) => isIcmpError(t, 'icmpv6'))).toBe(true);
    expect(isIcmpError(128, 'icmpv6')).toBe(false);
    expect([130, 131, 132, 133, 134, 135, 136, 143, 151, 152].filter((t) => isIcmpUntracked(t, 'icmpv6'))).toHaveLength(10);
    expect([128, 129, 137, 139, 142, 144, 153].some((t) => isIcmpUntracked(t, 'icmpv6'))).toBe(false);
    expect(isIcmpUntracked(135, 'icmp')).toBe(false);
  });

  it('names types as ip6tables does, by name and number, and REJECT types as they are sent', () => {
    expect(icmpTypeText(128, 0, 'icmpv6')).toBe('echo-request');
    expect(icmpTypeText(1, 4, 'icmpv6')).toBe('port-unreachable');
    expect(icmpTypeText(1, 1, 'icmpv6')).toBe('communication-prohibited');
    expect(icmpTypeText(135, 0, 'icmpv6')).toBe('neighbour-solicitation');
    expect(icmpTypeText(200, 1, 'icmpv6')).toBe('type 200 code 1');
    expect(rejectIcmp('icmp6-no-route')).toEqual({ type: 1, code: 0 });
    expect(rejectIcmp('icmp6-adm-prohibited')).toEqual({ type: 1, code: 1 });
    expect(rejectIcmp('icmp6-addr-unreachable')).toEqual({ type: 1, code: 3 });
    expect(rejectIcmp('icmp6-port-unreachable')).toEqual({ type: 1, code: 4 });
    expect(requestedIcmpType('ping', 'packet.icmpType', 'icmpv6')).toEqual({ type: 128 });
    expect(requestedIcmpType('port-unreachable', 'packet.icmpType', 'icmpv6')).toEqual({ type: 1, code: 4 });
    expect(requestedIcmpType('neighbor-solicitation', 'packet.icmpType', 'icmpv6')).toEqual({ type: 135 });
    expect(() => requestedIcmpType('source-quench', 'packet.icmpType', 'icmpv6')).toThrow('packet.icmpType: "source-quench" is not an ICMPv6 type');
  });
});

// Echo as a connection, its timeout and its NAT66: icmp-echo.spec.ts, for both families.
describe('ICMPv6 connections (nf_conntrack_proto_icmpv6)', () => {
  it.each([
    [133, 'router-solicitation'],
    [134, 'router-advertisement'],
    [135, 'neighbour-solicitation'],
    [136, 'neighbour-advertisement'],
    [130, 'type 130 code 0'],
    [143, 'type 143 code 0'],
  ])('type %i (%s) is UNTRACKED: no entry, --ctstate UNTRACKED matches, no NAT', (type, name) => {
    const rules = '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT\nCOMMIT\n';
    const { e } = engine(rules);
    const o = e.sample({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'icmpv6', source: 'fe80::1', destination: '2001:db8::2', icmpType: type });
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(o.conntrack.state).toBe('UNTRACKED');
    expect(outcomeView(o).steps.map((s) => s.action)).toContain(`UNTRACKED: conntrack never tracks ICMPv6 ${name} (nf_conntrack_icmpv6 noct_valid_new)`);
    expect(e.conntrack.size).toBe(0);
  });

  it('an error (port-unreachable, packet-too-big) about a known connection is RELATED, about none INVALID', () => {
    const { e } = engine(ACCEPT_ALL);
    e.sample({ hook: 'PREROUTING', inInterface: 'cni0', protocol: 'udp', source: 'fd00:10:244:1::9', sourcePort: 40000, destination: '2001:db8:ffff::9', destinationPort: 53 });
    const related = { protocol: 'udp' as const, source: 'fd00:10:244:1::9', sourcePort: 40000, destination: '2001:db8:ffff::9', destinationPort: 53 };
    const error = (over: Partial<TraceInput>): TraceInput => ({ ...pong(), icmpType: 1, icmpCode: 4, icmpId: undefined, related, ...over });
    const [unreach] = e.enumerate(error({}));
    expect(unreach.conntrack).toMatchObject({ state: 'RELATED', direction: 'reply' });
    expect(outcomeView(unreach).packet).toMatchObject({ icmpType: 1, icmpCode: 4, embedded: 'udp [fd00:10:244:1::9]:40000 > [2001:db8:ffff::9]:53' });
    expect(e.enumerate(error({ icmpType: 2, icmpCode: 0 }))[0].conntrack.state).toBe('RELATED');
    expect(e.enumerate(error({ related: { ...related, sourcePort: 40001 } }))[0].conntrack.state).toBe('INVALID');
  });
});

describe('ICMPv6 rules', () => {
  // The INPUT rule makes the kernel track connections (conntrack-users.ts).
  const forward = (rule: string) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\n-A FORWARD ${rule}\nCOMMIT\n`;

  it.each([
    ['-p ipv6-icmp -j DROP', 128, 0, 'DROP'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP', 128, 0, 'DROP'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP', 139, 0, 'ACCEPT'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j DROP', 128, 0, 'DROP'],
    ['-p ipv6-icmp -m icmp6 ! --icmpv6-type echo-request -j DROP', 128, 0, 'ACCEPT'],
    ['-p ipv6-icmp -m icmp6 ! --icmpv6-type echo-request -j DROP', 139, 0, 'DROP'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j DROP', 1, 4, 'DROP'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j DROP', 1, 3, 'ACCEPT'],
    ['-p ipv6-icmp -m icmp6 --icmpv6-type destination-unreachable -j DROP', 1, 3, 'DROP'],
    ['-p icmpv6 -m icmp6 --icmpv6-type port-unreachable -j DROP', 1, 4, 'DROP'],
    ['-p 58 -j DROP', 128, 0, 'DROP'],
    ['-p tcp -j DROP', 128, 0, 'ACCEPT'],
  ] as const)('%s: type %i code %i is %s', (rule, icmpType, icmpCode, verdict) => {
    const { e } = engine(forward(rule));
    expect(e.enumerate(ping({ icmpType, icmpCode }))[0].verdict).toBe(verdict);
  });

  it('matches an ipset ipv6-icmp:TYPE element (hash:ip,port) by type and code', () => {
    const ipsets = new IpsetStore();
    restoreIpsets(ipsets, 'create echo6 hash:ip,port family inet6\nadd echo6 2001:db8:ffff::9,ipv6-icmp:echo-request\nadd echo6 2001:db8:ffff::9,ipv6-icmp:1/4\n', { now: 0 });
    const { e } = engine(forward('-m set --match-set echo6 dst,dst -j DROP'), ipsets);
    expect(e.enumerate(ping())[0].verdict).toBe('DROP');
    expect(e.enumerate(ping({ icmpType: 139 }))[0].verdict).toBe('ACCEPT');
    expect(e.enumerate(ping({ icmpType: 1, icmpCode: 4, icmpId: undefined }))[0].verdict).toBe('DROP');
    expect(e.enumerate(ping({ icmpType: 1, icmpCode: 3, icmpId: undefined }))[0].verdict).toBe('ACCEPT');
  });

  it('answers REJECT --reject-with icmp6-* with an ICMPv6 destination-unreachable RELATED to the refused packet', () => {
    for (const [rejectWith, code] of [
      ['icmp6-adm-prohibited', 1],
      ['icmp6-port-unreachable', 4],
      ['icmp6-no-route', 0],
      ['icmp6-addr-unreachable', 3],
    ] as const) {
      const { e } = engine(forward(`-p ipv6-icmp -j REJECT --reject-with ${rejectWith}`));
      const [rejected] = e.enumerate(ping());
      expect(rejected).toMatchObject({ verdict: 'REJECT', rejectWith });
      const answer = rejectAnswer(rejected, (a) => e.host.isLocal(a))!;
      expect(answer).toMatchObject({ hook: 'OUTPUT', protocol: 'icmpv6', icmpType: 1, icmpCode: code, destination: tryParseIPv6('fd00:10:244:1::9') });
      const [back] = e.enumerate(answer);
      expect(back.conntrack).toMatchObject({ state: 'RELATED', direction: 'reply' });
      expect(outcomeView(back).packet).toMatchObject({ protocol: 'icmpv6', icmpType: 1, icmpCode: code, embedded: 'icmpv6 fd00:10:244:1::9 > 2001:db8:ffff::9 echo-request id 7' });
    }
  });

  it('answers no ICMPv6 error with another', () => {
    const { e } = engine(forward('-p ipv6-icmp -j REJECT --reject-with icmp6-adm-prohibited'));
    const [rejected] = e.enumerate(ping({ icmpType: 1, icmpCode: 4, icmpId: undefined }));
    expect(rejectAnswer(rejected, (a) => e.host.isLocal(a))).toBeUndefined();
  });
});

describe('ICMPv6 trace requests', () => {
  it('refuses icmpv6 for an iptables ruleset and icmp for an ip6tables one, naming the field', () => {
    expect(() => engine(ACCEPT_ALL).e.enumerate(ping({ protocol: 'icmp', icmpType: 8 }))).toThrow(/packet.protocol: icmp is an IPv4 protocol; an IPv6 packet is icmpv6/);
    const v4 = new NetfilterEngine({ ruleset: parseRuleset(''), clock: new ManualClock() });
    expect(() => v4.enumerate({ hook: 'OUTPUT', protocol: 'icmpv6', destination: '10.0.0.1' })).toThrow(/packet.protocol: icmpv6 is an IPv6 protocol/);
  });

  it('an ICMPv6 packet defaults to echo-request 128 with id 0', () => {
    const [o] = engine(ACCEPT_ALL).e.enumerate({ hook: 'OUTPUT', protocol: 'icmpv6', destination: '2001:db8:ffff::9' });
    expect(outcomeView(o).packet).toMatchObject({ protocol: 'icmpv6', icmpType: 128, icmpCode: 0, icmpId: 0 });
  });
});
