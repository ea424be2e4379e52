/**
 * `-m conntrack`'s tuple, status, expiry and direction options, parsed,
 * printed and evaluated on the engine's connections.
 */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import { replyTo, type TraceInput } from '../trace-input';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { parseResolverAddress } from './conntrack-options';

const HOST = Host.create({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
});

/** A node that DNATs 10.96.0.10:53 to a pod and marks, in filter FORWARD, what each rule under test sees. */
function node(forwardRules: string[]) {
  const clock = new ManualClock();
  const text = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    '-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.180.0.5:5353',
    'COMMIT',
    '*filter',
    ':FORWARD DROP [0:0]',
    ...forwardRules.map((r) => `-A FORWARD ${r} -j ACCEPT`),
    'COMMIT',
    '',
  ].join('\n');
  const e = new NetfilterEngine({ ruleset: parseRuleset(text), host: HOST, clock, random: new SeededRandom(1) });
  return { e, clock };
}

const query: TraceInput = {
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'udp',
  source: '192.168.0.77',
  sourcePort: 40000,
  destination: '10.96.0.10',
  destinationPort: 53,
};

function verdict(rule: string, run: (e: NetfilterEngine, clock: ManualClock) => string): string {
  const { e, clock } = node([rule]);
  return run(e, clock);
}

const first = (e: NetfilterEngine) => e.sample(query).verdict;
/** The first packet (sampled, so the connection is confirmed), then the pod's answer. */
const answer = (e: NetfilterEngine) => {
  const out = e.sample(query);
  return e.sample(replyTo(out.packet, { hook: 'PREROUTING', inInterface: 'cni0' })).verdict;
};

describe('-m conntrack tuple options', () => {
  it('--ctorigdst and --ctorigdstport see the Service address before DNAT; --ctrepl* the pod', () => {
    expect(verdict('-m conntrack --ctorigdst 10.96.0.10 --ctorigdstport 53', first)).toBe('ACCEPT');
    expect(verdict('-d 10.180.0.5/32 -m conntrack --ctorigdst 10.96.0.10', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctreplsrc 10.180.0.5 --ctreplsrcport 5353 --ctrepldst 192.168.0.77 --ctrepldstport 40000', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctorigdst 10.180.0.5', first)).toBe('DROP');
    expect(verdict('-m conntrack ! --ctorigdst 10.96.0.0/12', first)).toBe('DROP');
    expect(verdict('-m conntrack --ctorigsrc 192.168.0.0/24 --ctorigsrcport 39000:41000', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctorigsrcport 41000:39000', first)).toBe('DROP');
  });

  it('--ctproto compares the connection protocol', () => {
    expect(verdict('-m conntrack --ctproto udp', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctproto tcp', first)).toBe('DROP');
    expect(verdict('-m conntrack ! --ctproto tcp', first)).toBe('ACCEPT');
  });

  it('--ctdir tells the first packet (ORIGINAL) from the answer (REPLY)', () => {
    expect(verdict('-m conntrack --ctdir ORIGINAL', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctdir REPLY', first)).toBe('DROP');
    const { e } = node(['-m conntrack --ctdir REPLY']);
    expect(e.sample(query).verdict).toBe('DROP');
    // The first packet was dropped, so nothing was confirmed: ask again with ORIGINAL allowed.
    const both = node(['-m conntrack --ctdir ORIGINAL', '-m conntrack --ctdir REPLY --ctorigdst 10.96.0.10']);
    expect(answer(both.e)).toBe('ACCEPT');
  });

  it('--ctstatus: the first packet is neither confirmed nor replied to; the answer has SEEN_REPLY and CONFIRMED', () => {
    expect(verdict('-m conntrack --ctstatus CONFIRMED', first)).toBe('DROP');
    expect(verdict('-m conntrack ! --ctstatus SEEN_REPLY,CONFIRMED', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctstatus NONE', first)).toBe('DROP');
    const { e } = node(['-m conntrack --ctdir ORIGINAL', '-m conntrack --ctstatus SEEN_REPLY --ctdir REPLY']);
    expect(answer(e)).toBe('ACCEPT');
    const confirmed = node(['-m conntrack --ctdir ORIGINAL', '-m conntrack --ctstatus CONFIRMED --ctdir REPLY']);
    expect(answer(confirmed.e)).toBe('ACCEPT');
    const expected = node(['-m conntrack --ctdir ORIGINAL', '-m conntrack --ctstatus EXPECTED --ctdir REPLY']);
    expect(answer(expected.e)).toBe('DROP');
  });

  it('--ctexpire counts whole seconds left on the simulated clock; 0 before the entry is confirmed', () => {
    // The first packet's entry is not confirmed yet: no timer runs (as on Linux).
    expect(verdict('-m conntrack --ctexpire 0', first)).toBe('ACCEPT');
    expect(verdict('-m conntrack --ctexpire 1:30', first)).toBe('DROP');
    const { e, clock } = node(['-m conntrack --ctdir ORIGINAL --ctexpire 0', '-m conntrack --ctdir ORIGINAL --ctexpire 20', '-m conntrack --ctdir REPLY --ctexpire 120']);
    const out = e.sample(query);
    expect(out.verdict).toBe('ACCEPT');
    clock.advance(9500);
    // A trace of the next packet changes nothing: 20.5 s are left of udp_timeout's 30.
    const again = e.enumerate(query);
    expect(again.map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect(again[0].steps.some((s) => s.rule?.includes('--ctexpire 20 '))).toBe(true);
    // The answer refreshes the entry to udp_timeout_stream (120 s) before the tables see it.
    expect(e.sample(replyTo(out.packet, { hook: 'PREROUTING', inInterface: 'cni0' })).verdict).toBe('ACCEPT');
  });

  it('a packet without a connection matches only when --ctstate is given and holds', () => {
    const invalid: TraceInput = { ...query, protocol: 'tcp', tcpFlags: 0x04 /* RST */ };
    const check = (rule: string) => node([rule]).e.sample(invalid).verdict;
    expect(check('-m conntrack ! --ctorigsrc 1.2.3.4')).toBe('DROP');
    expect(check('-m conntrack --ctstatus NONE')).toBe('DROP');
    expect(check('-m conntrack --ctstate INVALID --ctorigsrc 1.2.3.4')).toBe('ACCEPT');
    expect(check('-m conntrack --ctstate NEW --ctorigsrc 1.2.3.4')).toBe('DROP');
  });
});

describe('-m conntrack option text', () => {
  const saved = (rule: string) => {
    const text = printIptablesSave(parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`));
    return text.split('\n').find((l) => l.startsWith('-A INPUT'))!.slice('-A INPUT '.length);
  };
  const refused = (rule: string) => () => parseRuleset(`*filter\n-A INPUT ${rule}\nCOMMIT\n`);

  it('prints options in iptables order, whatever order they came in', () => {
    expect(saved('-m conntrack --ctdir reply --ctexpire 5:9 --ctstatus assured,none --ctrepldstport 80 --ctorigsrc 10.1/16 --ctproto tcp --ctstate new')).toBe(
      '-m conntrack --ctstate NEW --ctproto 6 --ctorigsrc 10.0.0.1/16 --ctrepldstport 80 --ctstatus ASSURED --ctexpire 5:9 --ctdir REPLY',
    );
  });

  it('reads addresses as the resolver does, ports modulo 65536 or by service name', () => {
    expect(parseResolverAddress('10.1')).toBe(0x0a000001);
    expect(parseResolverAddress('10.1.2')).toBe(0x0a010002);
    expect(parseResolverAddress('167772161')).toBe(0x0a000001);
    expect(parseResolverAddress('10.256.0.1')).toBeUndefined();
    expect(saved('-m conntrack --ctorigdstport 65537:https')).toBe('-m conntrack --ctorigdstport 1:443');
  });

  it("refuses bad values with iptables' texts", () => {
    expect(refused('-m conntrack --ctstatus FOO')).toThrow('Bad ctstatus "FOO"');
    expect(refused('-m conntrack --ctdir up')).toThrow('conntrack: Bad value for "--ctdir" option: "up"');
    expect(refused('-m conntrack --ctorigsrcport abc')).toThrow('Port "abc" does not resolve to anything.');
    expect(refused('-m conntrack --ctorigsrcport 0x10')).toThrow('Port "0x10" does not resolve to anything.');
    expect(refused('-m conntrack --ctorigsrcport 1:2:3')).toThrow('conntrack: Too many components for option "--ctorigsrcport" (max: 2)');
    expect(refused('-m conntrack --ctexpire abc')).toThrow('conntrack: bad value for option "--ctexpire" near "abc", or out of range (0-4294967295).');
    expect(refused('-m conntrack --ctproto foo')).toThrow('unknown protocol "foo" specified');
    expect(refused('-m conntrack ! --ctdir REPLY')).toThrow('conntrack: option "--ctdir" cannot be inverted.');
  });
});
