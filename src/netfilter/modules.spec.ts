/**
 * What each match decides and what each target answers, on packets. (The
 * traversal engine builds on exactly these calls.)
 */
import { SeededRandom, type Random } from '../common/random';
import { tryParseIPv4 } from '../common/ipv4';
import { StaticHostView } from './host-view';
import { parseRuleSpec } from './rule-spec.parser';
import { InMemoryRecentStore } from './recent-store';
import type { Rule } from './rule';
import { Table } from './table';
import type { MatchContext, MatchStateStore, Packet, TableName, TargetOutcome } from './types';

const ip = (text: string): number => tryParseIPv4(text)!;

const packet = (over: Partial<Packet> = {}): Packet => ({
  protocol: 'tcp',
  source: ip('10.0.0.5'),
  destination: ip('10.96.0.1'),
  sourcePort: 40000,
  destinationPort: 80,
  mark: 0,
  ctstate: 'NEW',
  ...over,
});

class MapState implements MatchStateStore {
  private readonly map = new Map<object, unknown>();
  get(key: object): unknown {
    return this.map.get(key);
  }
  set(key: object, value: unknown): void {
    this.map.set(key, value);
  }
}

function context(over: Partial<MatchContext> = {}): MatchContext {
  return {
    now: 1_000_000,
    random: new SeededRandom(1),
    host: new StaticHostView([
      { name: 'lo', addresses: [{ network: ip('127.0.0.1'), prefix: 8 }] },
      { name: 'eth0', addresses: [{ network: ip('192.168.0.2'), prefix: 24 }] },
    ]),
    recent: new InMemoryRecentStore(),
    state: new MapState(),
    ...over,
  };
}

function rule(spec: string, table: TableName = 'filter'): Rule {
  const t = new Table(table);
  t.createChain('KUBE-SVC-X');
  return parseRuleSpec(spec, t);
}

const matches = (spec: string, p: Packet, ctx = context()): boolean => rule(spec).matchesPacket(p, ctx);

describe('matches', () => {
  it('checks the IP header fields', () => {
    expect(matches('-s 10.0.0.0/8 -d 10.96.0.1', packet())).toBe(true);
    expect(matches('! -s 10.0.0.0/8', packet())).toBe(false);
    expect(matches('-d 10.96.0.2', packet())).toBe(false);
    expect(matches('-p tcp', packet())).toBe(true);
    expect(matches('-p udp', packet())).toBe(false);
    expect(matches('! -p udp', packet())).toBe(true);
    expect(matches('-i eth+', packet({ inInterface: 'eth0' }))).toBe(true);
    expect(matches('-i eth+', packet({ inInterface: 'veth0' }))).toBe(false);
    expect(matches('-i eth0', packet())).toBe(false); // no input interface (locally generated)
    expect(matches('! -o cni0', packet({ outInterface: 'cni0' }))).toBe(false);
    expect(matches('-f', packet())).toBe(false);
    expect(matches('! -f', packet())).toBe(true);
  });

  it('tcp / udp / sctp: ports and flags', () => {
    expect(matches('-p tcp --dport 80', packet())).toBe(true);
    expect(matches('-p tcp --dport 1:79', packet())).toBe(false);
    expect(matches('-p tcp ! --dport 1:79', packet())).toBe(true);
    expect(matches('-p tcp --sport 40000:', packet())).toBe(true);
    expect(matches('-p tcp --syn', packet({ tcpFlags: 0x02 }))).toBe(true);
    expect(matches('-p tcp --syn', packet({ tcpFlags: 0x12 }))).toBe(false);
    expect(matches('-p udp --dport 53', packet({ protocol: 'udp', destinationPort: 53 }))).toBe(true);
    expect(matches('-p sctp --dport 80', packet({ protocol: 'sctp' }))).toBe(true);
  });

  it('icmp types and codes', () => {
    const echo = packet({ protocol: 'icmp', sourcePort: 0, destinationPort: 0, icmpType: 8, icmpCode: 0 });
    expect(matches('-p icmp --icmp-type echo-request', echo)).toBe(true);
    expect(matches('-p icmp --icmp-type 3/3', echo)).toBe(false);
    expect(matches('-p icmp --icmp-type any', echo)).toBe(true);
    expect(matches('-p icmp ! --icmp-type any', echo)).toBe(false);
    expect(matches('-p icmp --icmp-type port-unreachable', { ...echo, icmpType: 3, icmpCode: 3 })).toBe(true);
  });

  it('mark and connmark', () => {
    expect(matches('-m mark --mark 0x4000/0x4000', packet({ mark: 0x4001 }))).toBe(true);
    expect(matches('-m mark ! --mark 0x4000/0x4000', packet({ mark: 0x4001 }))).toBe(false);
    expect(matches('-m mark --mark 0x4000', packet({ mark: 0x4001 }))).toBe(false);
    expect(matches('-m connmark --mark 1', packet({ ctmark: 1 }))).toBe(true);
  });

  it('conntrack and state, with the SNAT / DNAT virtual states', () => {
    expect(matches('-m conntrack --ctstate NEW', packet())).toBe(true);
    expect(matches('-m conntrack --ctstate RELATED,ESTABLISHED', packet({ ctstate: 'ESTABLISHED' }))).toBe(true);
    expect(matches('-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', packet({ ctDnat: true }))).toBe(false);
    expect(matches('-m conntrack --ctstate DNAT', packet({ ctDnat: true }))).toBe(true);
    expect(matches('-m conntrack --ctstate SNAT', packet({ ctDnat: true }))).toBe(false);
    expect(matches('-m state --state INVALID', packet({ ctstate: 'INVALID' }))).toBe(true);
    expect(matches('-m conntrack --ctstate UNTRACKED', packet({ ctstate: 'UNTRACKED', ctDnat: true }))).toBe(true);
  });

  it('addrtype asks the host', () => {
    expect(matches('-m addrtype --dst-type LOCAL', packet({ destination: ip('192.168.0.2') }))).toBe(true);
    expect(matches('-m addrtype --dst-type LOCAL', packet())).toBe(false);
    expect(matches('-m addrtype ! --dst-type LOCAL', packet())).toBe(true);
    expect(matches('-m addrtype --src-type LOCAL', packet({ source: ip('127.0.0.1') }))).toBe(true);
    expect(matches('-m addrtype --dst-type BROADCAST', packet({ destination: ip('192.168.0.255') }))).toBe(true);
    expect(matches('-m addrtype --dst-type MULTICAST', packet({ destination: ip('224.0.0.1') }))).toBe(true);
    const local = packet({ destination: ip('192.168.0.2'), inInterface: 'lo' });
    expect(matches('-m addrtype --dst-type LOCAL --limit-iface-in', local)).toBe(false);
    expect(matches('-m addrtype --dst-type LOCAL --limit-iface-in', { ...local, inInterface: 'eth0' })).toBe(true);
  });

  it('multiport', () => {
    expect(matches('-p tcp -m multiport --dports 443,80', packet())).toBe(true);
    expect(matches('-p tcp -m multiport --dports 8000:8100', packet())).toBe(false);
    expect(matches('-p tcp -m multiport --ports 40000', packet())).toBe(true);
    expect(matches('-p tcp -m multiport ! --sports 40000', packet())).toBe(false);
  });

  it('physdev', () => {
    const bridged = packet({ bridged: true, physInInterface: 'veth1', physOutInterface: 'veth2' });
    expect(matches('-m physdev --physdev-is-bridged', bridged)).toBe(true);
    expect(matches('-m physdev --physdev-in veth+ ! --physdev-out veth1', bridged)).toBe(true);
    expect(matches('-m physdev --physdev-is-bridged', packet())).toBe(false);
    expect(matches('-m physdev ! --physdev-is-in', packet())).toBe(true);
  });

  it('comment and nfacct always match; nfacct counts', () => {
    const counted: Array<[string, number, number]> = [];
    const ctx = context({ accounting: { count: (name, p, b) => counted.push([name, p, b]) } });
    expect(matches('-m comment --comment x -m nfacct --nfacct-name n', packet({ length: 60 }), ctx)).toBe(true);
    expect(counted).toEqual([['n', 1, 60]]);
  });

  describe('statistic', () => {
    it('exposes the kernel probability of a random match for enumeration', () => {
      const m = rule('-m statistic --mode random --probability 0.3333333333').matches[0];
      expect(m.probability).toBe(715827883 / 2 ** 31);
      expect(rule('-m statistic --mode random ! --probability 0.25').matches[0].probability).toBe(0.75);
      expect(rule('-m statistic --mode nth --every 2 --packet 0').matches[0].probability).toBeUndefined();
    });

    it('samples from the injected random source', () => {
      const r = rule('-m statistic --mode random --probability 0.5');
      const draws = (value: number): Random => ({ int: (n) => Math.floor(value * n), float: () => value });
      expect(r.matchesPacket(packet(), context({ random: draws(0.49) }))).toBe(true);
      expect(r.matchesPacket(packet(), context({ random: draws(0.5) }))).toBe(false);
      let hits = 0;
      const ctx = context({ random: new SeededRandom(7) });
      for (let i = 0; i < 10000; i++) if (r.matchesPacket(packet(), ctx)) hits++;
      expect(hits).toBeGreaterThan(4800);
      expect(hits).toBeLessThan(5200);
    });

    it('nth mode matches every n-th packet, starting from --packet', () => {
      const ctx = context();
      const every3 = rule('-m statistic --mode nth --every 3 --packet 0');
      expect([1, 2, 3, 4, 5, 6].map(() => every3.matchesPacket(packet(), ctx))).toEqual([false, false, true, false, false, true]);
      const first = rule('-m statistic --mode nth --every 3 --packet 2');
      expect([1, 2, 3, 4].map(() => first.matchesPacket(packet(), ctx))).toEqual([true, false, false, true]);
    });
  });

  describe('recent', () => {
    it('is kube-proxy session affinity: --set in the SEP chain, --rcheck --seconds --reap in the SVC chain', () => {
      const ctx = context();
      const set = rule('-m recent --name KUBE-SEP-A --set');
      const check = rule('-m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap');
      expect(check.matchesPacket(packet(), ctx)).toBe(false);
      expect(set.matchesPacket(packet(), ctx)).toBe(true);
      expect(check.matchesPacket(packet(), ctx)).toBe(true);
      expect(check.matchesPacket(packet({ source: ip('10.0.0.6') }), ctx)).toBe(false);
      const later = { ...ctx, now: ctx.now + 10801 * 1000 };
      expect(check.matchesPacket(packet(), later)).toBe(false);
    });

    it('--update refreshes, --hitcount counts, --remove forgets, --rdest and --mask pick the key', () => {
      const ctx = context();
      const update = rule('-m recent --name ssh --update --seconds 60 --hitcount 3');
      const set = rule('-m recent --name ssh --set');
      set.matchesPacket(packet(), ctx);
      expect(update.matchesPacket(packet(), ctx)).toBe(false); // 1 hit
      set.matchesPacket(packet(), ctx);
      expect(update.matchesPacket(packet(), ctx)).toBe(false); // 2 hits
      set.matchesPacket(packet(), ctx);
      expect(update.matchesPacket(packet(), ctx)).toBe(true); // 3 hits, and refreshed
      expect(rule('-m recent --name ssh --remove').matchesPacket(packet(), ctx)).toBe(true);
      expect(rule('-m recent --name ssh --rcheck').matchesPacket(packet(), ctx)).toBe(false);

      rule('-m recent --name d --set --rdest --mask 255.255.255.0').matchesPacket(packet(), ctx);
      expect(ctx.recent.get('d', ip('10.96.0.0'))).toBeDefined();
      expect(rule('-m recent --name d --rcheck --rdest --mask 255.255.255.0').matchesPacket(packet({ destination: ip('10.96.0.9') }), ctx)).toBe(true);
      expect(rule('-m recent ! --rcheck --name d --rdest --mask 255.255.255.0').matchesPacket(packet(), ctx)).toBe(false);
    });
  });
});

describe('targets', () => {
  const apply = (spec: string, p = packet(), table: TableName = 'filter'): TargetOutcome =>
    rule(spec, table).target!.apply(p, { now: 0 });

  it('standard verdicts, jumps and gotos', () => {
    expect(apply('-j ACCEPT')).toEqual({ kind: 'verdict', verdict: 'ACCEPT' });
    expect(apply('-j DROP')).toEqual({ kind: 'verdict', verdict: 'DROP' });
    expect(apply('-j RETURN')).toEqual({ kind: 'return' });
    expect(apply('-j KUBE-SVC-X')).toEqual({ kind: 'jump', chain: 'KUBE-SVC-X' });
    expect(apply('-g KUBE-SVC-X')).toEqual({ kind: 'goto', chain: 'KUBE-SVC-X' });
    expect(apply('-j REJECT')).toEqual({ kind: 'verdict', verdict: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    expect(apply('-p tcp -j REJECT --reject-with tcp-reset')).toMatchObject({ rejectWith: 'tcp-reset' });
  });

  it('NAT targets describe the mapping; conntrack applies it', () => {
    expect(apply('-p tcp -j DNAT --to-destination 10.244.1.2:8080', packet(), 'nat')).toEqual({
      kind: 'nat',
      nat: {
        type: 'DNAT',
        range: { minAddress: ip('10.244.1.2'), maxAddress: ip('10.244.1.2'), minPort: 8080, maxPort: 8080 },
        random: false,
        randomFully: false,
        persistent: false,
      },
    });
    expect(apply('-j MASQUERADE --random-fully', packet(), 'nat')).toEqual({
      kind: 'nat',
      nat: { type: 'MASQUERADE', range: {}, random: false, randomFully: true, persistent: false },
    });
    expect(apply('-j SNAT --to-source 1.2.3.4-1.2.3.6 --persistent', packet(), 'nat')).toMatchObject({
      nat: { type: 'SNAT', range: { minAddress: ip('1.2.3.4'), maxAddress: ip('1.2.3.6') }, persistent: true },
    });
  });

  it('MARK rewrites the mark as (mark & ~mask) ^ value and continues', () => {
    const mark = (spec: string, before: number) => {
      const outcome = apply(spec, packet({ mark: before }));
      return outcome.kind === 'continue' ? outcome.packet!.mark : undefined;
    };
    expect(mark('-j MARK --or-mark 0x4000', 0x1)).toBe(0x4001);
    expect(mark('-j MARK --xor-mark 0x4000', 0x4001)).toBe(0x1);
    expect(mark('-j MARK --and-mark 0xff', 0x4001)).toBe(0x1);
    expect(mark('-j MARK --set-mark 0x2/0xf', 0x4001)).toBe(0x4002);
    expect(mark('-j MARK --set-xmark 0xffffffff/0x0', 0x1)).toBe(0xfffffffe);
  });

  it('CONNMARK saves and restores marks', () => {
    const saved = apply('-j CONNMARK --save-mark --mask 0xff', packet({ mark: 0x1234, ctmark: 0xab00 }));
    expect(saved.kind === 'continue' && saved.packet!.ctmark).toBe(0xab34);
    const restored = apply('-j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff', packet({ mark: 0x1234, ctmark: 0x56 }));
    expect(restored.kind === 'continue' && restored.packet!.mark).toBe(0x1234 ^ 0x1200 ^ 0x56);
  });

  it('LOG continues with a record; NOTRACK untracks', () => {
    expect(apply('-j LOG --log-prefix "x: " --log-level info')).toEqual({ kind: 'continue', packet: packet(), log: { prefix: 'x: ', level: 6 } });
    const untracked = apply('-j NOTRACK', packet(), 'raw');
    expect(untracked.kind === 'continue' && untracked.packet!.ctstate).toBe('UNTRACKED');
    expect(apply('-j CT', packet(), 'raw')).toEqual({ kind: 'continue' });
  });

  it('keeps the original packet untouched', () => {
    const p = packet({ mark: 1 });
    apply('-j MARK --set-mark 2', p);
    expect(p.mark).toBe(1);
  });
});
