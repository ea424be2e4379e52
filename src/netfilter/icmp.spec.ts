/**
 * ICMP through the engine: tuples and names, `--icmp-type` rules, the ids NAT
 * picks, and errors RELATED to their connection with their embedded header
 * rewritten as the kernel rewrites it. Echo as a connection (its reply, its
 * timeout, its NAT) is icmp-echo.spec.ts's, one table for both families.
 */
import { ManualClock } from '../common/clock';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from './engine';
import { outcomeView } from './outcome';
import type { TraceInput } from './trace-input';
import { Host, type HostSpec } from './host';
import { icmpTuplePorts, icmpTypeText, rejectIcmp } from './icmp';
import { parseRuleset } from './iptables-text.parser';
import { chooseMapping } from './nat';

const NODE: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
};

function engine(rules: string) {
  const clock = new ManualClock();
  const e = new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.create(NODE), clock, random: new SeededRandom(1) });
  return { e, clock };
}

/** Everything accepted; the one `-m state` rule makes the kernel track connections (conntrack-users.ts). */
const ACCEPT_ALL = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\nCOMMIT\n';

/** A pod on cni0 pings an address beyond eth0. */
const ping = (over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'cni0',
  protocol: 'icmp',
  source: '10.180.0.9',
  destination: '203.0.113.9',
  icmpType: 8,
  icmpId: 7,
  ...over,
});

describe('ICMP tuples', () => {
  it('keeps a query in its request orientation, so that the reply tuple is the swap', () => {
    expect(icmpTuplePorts(8, 0, 7)).toEqual({ sourcePort: 7, destinationPort: 8 << 8 });
    expect(icmpTuplePorts(0, 0, 7)).toEqual({ sourcePort: 8 << 8, destinationPort: 7 });
    expect(icmpTuplePorts(13, 0, 9)).toEqual({ sourcePort: 9, destinationPort: 13 << 8 });
    expect(icmpTuplePorts(14, 0, 9)).toEqual({ sourcePort: 13 << 8, destinationPort: 9 });
  });

  it('names types and codes as iptables does, and REJECT types as they are sent', () => {
    expect(icmpTypeText(8)).toBe('echo-request');
    expect(icmpTypeText(3, 3)).toBe('port-unreachable');
    expect(icmpTypeText(3, 13)).toBe('communication-prohibited');
    expect(icmpTypeText(11)).toBe('time-exceeded');
    expect(icmpTypeText(42, 1)).toBe('type 42 code 1');
    expect(rejectIcmp('icmp-port-unreachable')).toEqual({ type: 3, code: 3 });
    expect(rejectIcmp('icmp-admin-prohibited')).toEqual({ type: 3, code: 13 });
    expect(rejectIcmp('tcp-reset')).toBeUndefined();
  });
});

// Echo as a connection, its timeout and its NAT: icmp-echo.spec.ts, for both families.
describe('ICMP connections (nf_conntrack_proto_icmp)', () => {
  it('-p icmp --icmp-type echo-request -j DROP drops the request, not other types', () => {
    const { e } = engine('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP\nCOMMIT\n');
    const [dropped] = e.enumerate(ping());
    expect(dropped.verdict).toBe('DROP');
    expect(dropped.steps.at(-1)).toMatchObject({ chain: 'FORWARD', ruleNumber: 1, rule: '-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP', action: 'DROP' });
    expect(e.enumerate(ping({ icmpType: 13 }))[0].verdict).toBe('ACCEPT');
  });

  it('validation names the field', () => {
    const { e } = engine(ACCEPT_ALL);
    expect(() => e.enumerate(ping({ icmpType: 256 }))).toThrow('packet.icmpType: 256 is not between 0 and 255');
    expect(() => e.enumerate(ping({ icmpId: 70000 }))).toThrow('packet.icmpId: 70000 is not between 0 and 65535');
    expect(() => e.enumerate(ping({ icmpCode: -1 }))).toThrow('packet.icmpCode');
  });
});

describe('NAT of ICMP echo', () => {
  it("chooses a DNAT id from 0 on a clash and a source NAT id from a random offset, as get_unique_tuple's ICMP case", () => {
    const tuple = { protocol: 'icmp' as const, source: 1, sourcePort: 7, destination: 2, destinationPort: 8 << 8 };
    const dnat = { type: 'DNAT' as const, range: { minAddress: 5, maxAddress: 5 }, random: false, randomFully: false, persistent: false };
    expect(chooseMapping(dnat, 'DST', tuple, () => false, undefined)).toMatchObject({ address: 5, port: 7 });
    const taken = (t: { destinationPort: number }) => t.destinationPort === 7;
    expect(chooseMapping(dnat, 'DST', tuple, taken, undefined)).toMatchObject({ address: 5, port: 0, portRandom: false });
    const snat = { ...dnat, type: 'SNAT' as const };
    expect(chooseMapping(snat, 'SRC', tuple, taken, undefined)).toMatchObject({ address: 5, port: 8, portRandom: true });
  });
});

describe('ICMP errors', () => {
  const SERVICE = `${ACCEPT_ALL}*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.180.0.5:5353\nCOMMIT\n`;

  it("an error from the pod is RELATED; NAT rewrites its outer and its embedded header back to the Service's address", () => {
    const { e } = engine(SERVICE);
    const request = e.sample({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source: '192.168.0.77', sourcePort: 40000, destination: '10.96.0.10', destinationPort: 53 });
    expect(request.dnat).toBe('10.180.0.5:5353');
    const error = e.sample({
      hook: 'PREROUTING',
      inInterface: 'cni0',
      protocol: 'icmp',
      icmpType: 3,
      icmpCode: 3,
      source: '10.180.0.5',
      destination: '192.168.0.77',
      related: { protocol: 'udp', source: '192.168.0.77', sourcePort: 40000, destination: '10.180.0.5', destinationPort: 5353 },
    });
    expect(error.conntrack).toMatchObject({ state: 'RELATED', direction: 'reply' });
    const view = outcomeView(error);
    expect(view.packet).toMatchObject({ source: '10.96.0.10', destination: '192.168.0.77', icmpType: 3, icmpCode: 3, embedded: 'udp 192.168.0.77:40000 > 10.96.0.10:53' });
    expect(view.steps.map((s) => s.action)).toContain("the error's embedded header rewritten to udp 192.168.0.77:40000 > 10.96.0.10:53");
  });

  it("an error about an echo carries the echo's id, rewritten too", () => {
    const { e } = engine(`${ACCEPT_ALL}*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n`);
    e.sample(ping({ source: '10.180.0.7' }));
    const b = e.sample(ping({ source: '10.180.0.8' }));
    const id = b.packet.icmpId!;
    const error = e.sample({
      hook: 'PREROUTING',
      inInterface: 'eth0',
      protocol: 'icmp',
      icmpType: 11,
      source: '192.168.0.1',
      destination: '192.168.0.2',
      related: { protocol: 'icmp', source: '192.168.0.2', destination: '203.0.113.9', icmpType: 8, icmpId: id },
    });
    expect(error).toMatchObject({ verdict: 'ACCEPT', delivery: 'forward', outInterface: 'cni0' });
    expect(outcomeView(error).packet).toMatchObject({ destination: '10.180.0.8', embedded: 'icmp 10.180.0.8 > 203.0.113.9 echo-request id 7' });
  });

  it("this host's answer to a packet it REJECTed is RELATED to that packet's connection, unconfirmed as it is", () => {
    const rules =
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n' +
      '-A FORWARD -d 10.96.0.10/32 -p udp -j REJECT --reject-with icmp-port-unreachable\n' +
      '-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT\nCOMMIT\n';
    const { e } = engine(rules);
    const [rejected] = e.enumerate({ hook: 'PREROUTING', inInterface: 'cni0', protocol: 'udp', source: '10.180.0.9', sourcePort: 40000, destination: '10.96.0.10', destinationPort: 53 });
    expect(rejected).toMatchObject({ verdict: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    const error: TraceInput = {
      hook: 'OUTPUT',
      protocol: 'icmp',
      icmpType: 3,
      icmpCode: 3,
      destination: '10.180.0.9',
      related: { protocol: 'udp', source: '10.180.0.9', sourcePort: 40000, destination: '10.96.0.10', destinationPort: 53 },
      attachedTo: { connection: rejected.conntrack.connection!, direction: 'original' },
    };
    const [back] = e.enumerate(error);
    expect(back).toMatchObject({ verdict: 'ACCEPT', delivery: 'forward', outInterface: 'cni0' });
    expect(back.conntrack).toMatchObject({ state: 'RELATED', direction: 'reply' });
    expect(back.steps.at(-1)).toMatchObject({ hook: 'OUTPUT', chain: 'OUTPUT', ruleNumber: 1, action: 'ACCEPT' });
    // Without the connection it is INVALID (nothing in the table knows the refused packet), and OUTPUT's policy drops it.
    const { attachedTo: _, ...alone } = error;
    expect(e.enumerate(alone)[0]).toMatchObject({ verdict: 'DROP' });
    expect(e.conntrack.size).toBe(0);
  });
});
