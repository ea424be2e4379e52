/**
 * Rule compilation and what each statement does to a packet: small rulesets
 * (one input chain) traced through the netfilter engine, in both families,
 * and the compiler's refusals.
 */
import { ManualClock } from '../common/clock';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from '../netfilter/engine';
import type { TraceInput } from '../netfilter/trace-input';
import { DEFAULT_HOST6_SPEC, Host } from '../netfilter/host';
import { Ruleset } from '../netfilter/ruleset';
import { compileText, NftCompileError, tokenize } from './compile';
import { loadNftText } from './load';

/**
 * The verdicts (and rejects) of a packet to the node's port 22, through `input` rules in an
 * `inet` table (after `decls`, sets and maps of that table).
 */
function verdict(rules: string[], packet: Partial<TraceInput> = {}, family: 'ipv4' | 'ipv6' = 'ipv4', decls: string[] = []): string {
  const text = ['add table inet t', 'add chain inet t in { type filter hook input priority 0 ; policy accept ; }', ...decls, ...rules.map((r) => `add rule inet t in ${r}`)].join('\n');
  const v6 = family === 'ipv6';
  const engine = new NetfilterEngine({
    ruleset: new Ruleset(family),
    host: v6 ? Host.create(DEFAULT_HOST6_SPEC) : Host.defaultNode(),
    clock: new ManualClock(0),
    random: new SeededRandom(3),
    nftables: loadNftText(text).hooks,
  });
  const input: TraceInput = {
    hook: 'PREROUTING',
    inInterface: 'eth0',
    protocol: 'tcp',
    source: v6 ? '2001:db8::9' : '192.168.0.9',
    sourcePort: 40000,
    destination: v6 ? '2001:db8::2' : '192.168.0.2',
    destinationPort: 22,
    ...packet,
  } as TraceInput;
  return engine
    .enumerate(input)
    .map((o) => (o.verdict === 'REJECT' ? `REJECT ${o.rejectWith}` : `${o.verdict} ${o.probability}`))
    .sort()
    .join(', ');
}

describe('nft statements, traced', () => {
  it('matches addresses by prefix, range and anonymous set, and negates', () => {
    expect(verdict(['ip saddr 192.168.0.0/24 drop'])).toBe('DROP 1');
    expect(verdict(['ip saddr 192.168.0.10-192.168.0.20 drop'])).toBe('ACCEPT 1');
    expect(verdict(['ip saddr != { 10.0.0.0/8, 192.168.0.9 } drop'])).toBe('ACCEPT 1');
    expect(verdict(['ip saddr != { 10.0.0.0/8, 172.16.0.0/12 } drop'])).toBe('DROP 1');
  });

  it('reads ports, protocols, concatenations and vmaps (named and anonymous)', () => {
    expect(verdict(['tcp dport 22 drop'])).toBe('DROP 1');
    expect(verdict(['udp dport 22 drop'])).toBe('ACCEPT 1');
    expect(verdict(['th dport 20-30 meta l4proto tcp drop'])).toBe('DROP 1');
    expect(verdict(['ip daddr . meta l4proto . th dport vmap { 192.168.0.2 . tcp . 22 : drop }'])).toBe('DROP 1');
    const vmap = ['meta l4proto . th dport vmap @m'];
    expect(verdict(vmap, {}, 'ipv4', ['add map inet t m { type inet_proto . inet_service : verdict ; }', 'add element inet t m { tcp . 22 : drop }'])).toBe('DROP 1');
    expect(verdict(vmap, {}, 'ipv4', ['add map inet t m { type inet_proto . inet_service : verdict ; flags interval ; }', 'add element inet t m { tcp . 20-30 : drop }'])).toBe('DROP 1');
    expect(verdict(vmap, {}, 'ipv4', ['add map inet t m { type inet_proto . inet_service : verdict ; }', 'add element inet t m { tcp . 23 : drop }'])).toBe('ACCEPT 1');
  });

  it('takes the list form of masks and mark statements', () => {
    expect(verdict(['meta mark set meta mark | 0x00004000', 'meta mark & 0x00004000 == 0x00000000 accept', 'drop'])).toBe('DROP 1');
    expect(verdict(['mark set mark or 0x4000', 'mark set mark xor 0x4000', 'mark and 0x4000 == 0 accept', 'drop'])).toBe('ACCEPT 1');
  });

  it('reads ct state lists, interface names with a wildcard, fib types', () => {
    expect(verdict(['ct state established,related accept', 'ct state new drop'])).toBe('DROP 1');
    expect(verdict(['ct state { new, established } drop'])).toBe('DROP 1');
    expect(verdict(['iifname "eth*" drop'])).toBe('DROP 1');
    expect(verdict(['iifname != eth0 drop'])).toBe('ACCEPT 1');
    expect(verdict(['fib daddr type local drop'])).toBe('DROP 1');
    expect(verdict(['fib saddr type local drop'])).toBe('ACCEPT 1');
  });

  it('rejects with the given type, icmpx and tcp reset in the packet\'s family', () => {
    expect(verdict(['reject'])).toBe('REJECT icmp-port-unreachable');
    expect(verdict(['reject with icmp type host-prohibited'])).toBe('REJECT icmp-host-prohibited');
    expect(verdict(['reject with icmpx admin-prohibited'])).toBe('REJECT icmp-admin-prohibited');
    expect(verdict(['reject with tcp reset'])).toBe('REJECT tcp-reset');
    expect(verdict(['reject with icmpx admin-prohibited'], {}, 'ipv6')).toBe('REJECT icmp6-adm-prohibited');
  });

  it('sees IPv6 packets in inet tables with ip6 selectors, and not with ip ones', () => {
    expect(verdict(['ip6 saddr 2001:db8::/64 drop'], {}, 'ipv6')).toBe('DROP 1');
    expect(verdict(['ip saddr 0.0.0.0/0 drop'], {}, 'ipv6')).toBe('ACCEPT 1');
  });

  it('forks numgen with the kernel\'s buckets; a bucket without an element leaves the rule unmatched', () => {
    // 0: drop; 1 and 2: accept (a range key); 3: no element, the chain's policy accepts.
    expect(verdict(['numgen random mod 4 vmap { 0 : drop, 1-2 : accept }'])).toBe('ACCEPT 0.25, ACCEPT 0.25, ACCEPT 0.25, DROP 0.25');
  });
});

describe('compileText', () => {
  it('splits words, braces and commas, keeping quoted strings whole', () => {
    expect(tokenize('ip saddr != { 10.0.0.0/8,1.2.3.4 } drop')).toEqual(['ip', 'saddr', '!=', '{', '10.0.0.0/8', ',', '1.2.3.4', '}', 'drop']);
    expect(tokenize('log prefix "a b" drop')).toEqual(['log', 'prefix', '"a b"', 'drop']);
  });

  it('reads NAT targets with ports and flags', () => {
    const nat = (t: string) => compileText(t).ops.find((o) => o.op === 'nat');
    expect(nat('meta l4proto tcp dnat to 10.0.0.1:8080')).toMatchObject({ action: { type: 'DNAT', range: { minAddress: 0x0a000001, minPort: 8080, maxPort: 8080 } } });
    expect(nat('dnat ip6 to [fd00::1]:80')).toMatchObject({ action: { type: 'DNAT', range: { minAddress: 0xfd000000000000000000000000000001n, minPort: 80 } } });
    expect(nat('masquerade fully-random')).toMatchObject({ action: { type: 'MASQUERADE', randomFully: true } });
    expect(nat('snat to 192.168.0.2:1000-2000 persistent')).toMatchObject({ action: { type: 'SNAT', persistent: true, range: { minPort: 1000, maxPort: 2000 } } });
  });

  it('refuses what it does not model, saying what', () => {
    const refused = (t: string) => {
      try {
        compileText(t);
      } catch (e) {
        expect(e).toBeInstanceOf(NftCompileError);
        return (e as Error).message;
      }
      return 'compiled';
    };
    expect(refused('quota over 1 mbytes drop')).toBe('"quota" is not a statement kube-netsim models');
    expect(refused('ip ttl 1 drop')).toBe('"ip ttl" is not modelled');
    expect(refused('ip saddr 10.0.0.300 drop')).toBe('"10.0.0.300" is not an IPv4 address');
    expect(refused('ct state bogus drop')).toBe('"bogus" is not a ct state');
    expect(refused('dnat to nowhere')).toBe('"nowhere" is not an address to dnat to');
    expect(refused('ip daddr . th dport vmap { 1.2.3.4 : drop }')).toBe('"1.2.3.4" has 1 parts where the key has 2');
  });
});
