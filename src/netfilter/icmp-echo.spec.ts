/**
 * ICMP and ICMPv6 echo through the engine, one table a family: the request
 * and its reply as one connection keyed by the id (nf_conntrack_proto_icmp,
 * nf_conntrack_proto_icmpv6), replies nobody asked for, the 30 s timeout,
 * and NAT of echo (the id as the "port"). What only one family has stays in
 * icmp.spec.ts and icmpv6.spec.ts.
 */
import { ManualClock } from '../common/clock';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from './engine';
import { outcomeView } from './outcome';
import { replyTo, type TraceInput } from './trace-input';
import { Host, type HostSpec } from './host';
import { parseRuleset } from './iptables-text.parser';

/** Everything accepted; the one `-m state` rule makes the kernel track connections (conntrack-users.ts). */
const ACCEPT_ALL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\nCOMMIT\n';
const NAT_HEAD = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';

interface Family {
  readonly name: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly protocol: 'icmp' | 'icmpv6';
  /** How conntrack -L begins the line: protocol name and number. */
  readonly conntrack: string;
  readonly request: number;
  readonly reply: number;
  /** A type that starts no connection (no answer exists to it), and another query type, which does. */
  readonly unanswered: number;
  readonly otherQuery: number;
  /** The node: lo, eth0 (the node's address), cni0 (the pods'), a default route beyond eth0. */
  readonly node: HostSpec;
  readonly nodeAddress: string;
  readonly nodeHost: string;
  /** Pods behind cni0, an address beyond eth0, and a client on eth0's network. */
  readonly pod: readonly [string, string, string];
  readonly beyond: string;
  readonly client: string;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'ICMP',
    family: 'ipv4',
    protocol: 'icmp',
    conntrack: 'icmp     1',
    request: 8,
    reply: 0,
    unanswered: 9,
    otherQuery: 13,
    node: {
      interfaces: [
        { name: 'lo', addresses: ['127.0.0.1/8'] },
        { name: 'eth0', addresses: ['192.168.0.2/24'] },
        { name: 'cni0', addresses: ['10.180.0.254/24'] },
      ],
      routes: [{ destination: 'default', via: '192.168.0.1' }],
    },
    nodeAddress: '192.168.0.2',
    nodeHost: '192.168.0.2/32',
    pod: ['10.180.0.9', '10.180.0.7', '10.180.0.8'],
    beyond: '203.0.113.9',
    client: '192.168.0.77',
  },
  {
    name: 'ICMPv6',
    family: 'ipv6',
    protocol: 'icmpv6',
    conntrack: 'icmpv6   58',
    request: 128,
    reply: 129,
    unanswered: 137,
    otherQuery: 139,
    node: {
      interfaces: [
        { name: 'lo', addresses: ['::1/128'] },
        { name: 'eth0', addresses: ['2001:db8::2/64'] },
        { name: 'cni0', addresses: ['fd00:10:244:1::1/64'] },
      ],
      routes: [{ destination: 'default', via: '2001:db8::1' }],
    },
    nodeAddress: '2001:db8::2',
    nodeHost: '2001:db8::2/128',
    pod: ['fd00:10:244:1::9', 'fd00:10:244:1::7', 'fd00:10:244:1::8'],
    beyond: '2001:db8:ffff::9',
    client: '2001:db8::77',
  },
];

describe.each(FAMILIES)('$name echo', (f) => {
  function engine(rules: string) {
    const clock = new ManualClock();
    const e = new NetfilterEngine({ ruleset: parseRuleset(rules, { family: f.family }), host: Host.create(f.node), clock, random: new SeededRandom(1) });
    return { e, clock };
  }
  /** A pod on cni0 pings an address beyond eth0. */
  const ping = (over: Partial<TraceInput> = {}): TraceInput => ({ hook: 'PREROUTING', inInterface: 'cni0', protocol: f.protocol, source: f.pod[0], destination: f.beyond, icmpType: f.request, icmpId: 7, ...over });
  /** The echo reply coming back on eth0. */
  const pong = (over: Partial<TraceInput> = {}): TraceInput => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: f.protocol, source: f.beyond, destination: f.pod[0], icmpType: f.reply, icmpId: 7, ...over });
  const tuple = (source: string, destination: string, type: number, id: number) => `src=${source} dst=${destination} type=${type} code=0 id=${id}`;

  it(`an echo request is NEW; its reply with the same id is ESTABLISHED, never ASSURED; conntrack -L prints ${f.conntrack.replace(/ +/, ' ')} with type, code and id`, () => {
    const { e } = engine(ACCEPT_ALL);
    const request = e.sample(ping());
    expect(request).toMatchObject({ verdict: 'ACCEPT', delivery: 'forward', outInterface: 'eth0' });
    expect(request.conntrack.state).toBe('NEW');
    const original = tuple(f.pod[0], f.beyond, f.request, 7);
    const replied = tuple(f.beyond, f.pod[0], f.reply, 7);
    expect(e.conntrack.list().map((c) => c.text)).toEqual([`${f.conntrack} 30 ${original} [UNREPLIED] ${replied} mark=0 use=1`]);
    const reply = e.sample(replyTo(request.packet, { hook: 'PREROUTING', inInterface: 'eth0' }));
    expect(reply.packet).toMatchObject({ protocol: f.protocol, icmpType: f.reply, icmpId: 7 });
    expect(reply.conntrack).toMatchObject({ state: 'ESTABLISHED', direction: 'reply' });
    expect(outcomeView(reply).conntrack.original).toBe(`${f.protocol} ${f.pod[0]} -> ${f.beyond} type=${f.request} code=0 id=7`);
    // Replied, never ASSURED (the kernel marks no ICMP connection assured).
    e.sample(ping());
    expect(e.conntrack.list().map((c) => c.text)).toEqual([`${f.conntrack} 30 ${original} ${replied} mark=0 use=1`]);
    expect(e.enumerate(ping())[0].conntrack.state).toBe('ESTABLISHED');
  });

  it(`a reply nobody asked for is INVALID, and so is one with another id; type ${f.unanswered} starts nothing, query type ${f.otherQuery} does`, () => {
    const { e } = engine(ACCEPT_ALL);
    expect(e.enumerate(pong())[0].conntrack.state).toBe('INVALID');
    e.sample(ping());
    expect(e.enumerate(pong({ icmpId: 8 }))[0].conntrack.state).toBe('INVALID');
    expect(e.enumerate(pong())[0].conntrack.state).toBe('ESTABLISHED');
    expect(e.enumerate(ping({ icmpType: f.unanswered }))[0].conntrack.state).toBe('INVALID');
    expect(e.enumerate(ping({ icmpType: f.otherQuery }))[0].conntrack.state).toBe('NEW');
  });

  it('times out after 30 s of the simulated clock', () => {
    const { e, clock } = engine(ACCEPT_ALL);
    e.sample(ping());
    clock.advance(29_000);
    expect(e.enumerate(pong())[0].conntrack.state).toBe('ESTABLISHED');
    clock.advance(2_000);
    expect(e.enumerate(pong())[0].conntrack.state).toBe('INVALID');
    expect(e.conntrack.list()).toEqual([]);
  });

  it('a DNAT rule sends the echo to its target; the reply comes back from the address pinged', () => {
    const target = f.pod[1];
    const { e } = engine(`${ACCEPT_ALL}${NAT_HEAD}-A PREROUTING -d ${f.nodeHost} -p ${f.family === 'ipv6' ? 'ipv6-icmp' : 'icmp'} -j DNAT --to-destination ${target}\nCOMMIT\n`);
    const request = e.sample({ hook: 'PREROUTING', inInterface: 'eth0', protocol: f.protocol, source: f.client, destination: f.nodeAddress, icmpId: 300 });
    expect(request).toMatchObject({ verdict: 'ACCEPT', delivery: 'forward', outInterface: 'cni0', dnat: target });
    expect(request.packet).toMatchObject({ icmpType: f.request, icmpId: 300 });
    const reply = e.sample(replyTo(request.packet, { hook: 'PREROUTING', inInterface: 'cni0' }));
    expect(reply).toMatchObject({ verdict: 'ACCEPT', outInterface: 'eth0', snat: f.nodeAddress });
    expect(outcomeView(reply).packet).toMatchObject({ source: f.nodeAddress, destination: f.client, icmpType: f.reply, icmpId: 300 });
    expect(e.conntrack.list()[0].text).toBe(`${f.conntrack} 30 ${tuple(f.client, f.nodeAddress, f.request, 300)} ${tuple(target, f.client, f.reply, 300)} mark=0 use=1`);
  });

  it('MASQUERADE keeps the id while it is free, and changes it when another connection holds it', () => {
    const [, first, second] = f.pod;
    const { e } = engine(`${ACCEPT_ALL}${NAT_HEAD}-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n`);
    const a = e.sample(ping({ source: first }));
    expect(a.packet).toMatchObject({ icmpId: 7 });
    expect(a.snat).toBe(f.nodeAddress);
    const b = e.sample(ping({ source: second }));
    expect(b.snat).toBe(f.nodeAddress);
    expect(b.packet.icmpId).not.toBe(7);
    // The reply to the second id finds the second pod, with its own id back.
    const back = e.sample(pong({ destination: f.nodeAddress, icmpId: b.packet.icmpId }));
    expect(back).toMatchObject({ verdict: 'ACCEPT', outInterface: 'cni0', dnat: second });
    expect(back.packet).toMatchObject({ icmpId: 7, icmpType: f.reply });
    expect(e.sample(pong({ destination: f.nodeAddress }))).toMatchObject({ dnat: first });
  });
});
