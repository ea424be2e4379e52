/**
 * `-m set` and `-j SET` through the engine, as the kernel decides them:
 * directions, nomatch and --return-nomatch, ports, list:set, counters and
 * their conditions, timeouts on the clock, adds and deletes by the target,
 * and the refusal of a rule that names a set that does not exist.
 */
import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { printIptablesSave } from '../iptables-save.printer';
import { restoreRuleset } from '../iptables-text.parser';
import { Ruleset } from '../ruleset';
import { IpsetStore } from './ipset-store';
import { printIpsetSave, restoreIpsets } from './ipset-text';

const SETS = `create bad hash:net family inet hashsize 1024 maxelem 65536 counters bucketsize 12 initval 0x00000001
add bad 10.0.0.0/8
add bad 10.1.0.0/16 nomatch
create svc hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000002
add svc 192.168.0.2,tcp:80
add svc 192.168.0.2,icmp:echo-request
create admins hash:ip family inet hashsize 1024 maxelem 65536 timeout 600 bucketsize 12 initval 0x00000003
add admins 203.0.113.9 timeout 30
add admins 203.0.113.10 timeout 0
create staff hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000004
add staff 198.51.100.0/24
create trusted list:set size 8
add trusted admins
add trusted staff
create seen hash:ip family inet hashsize 1024 maxelem 65536 timeout 60 bucketsize 12 initval 0x00000005
`;

function setup(rules: string, sets = SETS, unsupported: 'refuse' | 'keep' = 'refuse') {
  const clock = new ManualClock();
  const ipsets = new IpsetStore();
  restoreIpsets(ipsets, sets, { now: clock.now() });
  const ruleset = new Ruleset();
  const result = restoreRuleset(ruleset, `*filter\n:INPUT DROP [0:0]\n${rules}\nCOMMIT\n`, { ipsets, unsupported });
  const engine = new NetfilterEngine({ ruleset, clock, random: new SeededRandom(1), ipsets });
  return { clock, ipsets, ruleset, engine, result };
}

function arriving(source: string, over: Partial<TraceInput> = {}): TraceInput {
  return { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination: '192.168.0.2', destinationPort: 80, ...over };
}

function verdict(engine: NetfilterEngine, input: TraceInput): string {
  const outcomes = engine.enumerate(input);
  expect(outcomes).toHaveLength(1);
  return outcomes[0].verdict;
}

describe('-m set', () => {
  it('hash:net: the longest prefix decides, a nomatch element answers no, --return-nomatch swaps the answers', () => {
    const { engine } = setup('-A INPUT -m set --match-set bad src -j ACCEPT');
    expect(verdict(engine, arriving('10.2.0.1'))).toBe('ACCEPT');
    expect(verdict(engine, arriving('10.1.2.3'))).toBe('DROP');
    expect(verdict(engine, arriving('11.0.0.1'))).toBe('DROP');
    const swapped = setup('-A INPUT -m set --match-set bad src --return-nomatch -j ACCEPT').engine;
    expect(verdict(swapped, arriving('10.1.2.3'))).toBe('ACCEPT');
    expect(verdict(swapped, arriving('10.2.0.1'))).toBe('DROP');
  });

  it('! --match-set inverts; the directions pick source or destination per dimension', () => {
    const { engine } = setup('-A INPUT -m set ! --match-set svc dst,dst -j ACCEPT');
    expect(verdict(engine, arriving('10.9.9.9'))).toBe('DROP');
    expect(verdict(engine, arriving('10.9.9.9', { destinationPort: 81 }))).toBe('ACCEPT');
    expect(verdict(engine, arriving('10.9.9.9', { protocol: 'udp' }))).toBe('ACCEPT');
    const bySource = setup('-A INPUT -m set --match-set svc src,dst -j ACCEPT').engine;
    expect(verdict(bySource, arriving('10.9.9.9'))).toBe('DROP');
  });

  it('hash:ip,port holds ICMP by type and code', () => {
    const { engine } = setup('-A INPUT -m set --match-set svc dst,dst -j ACCEPT');
    const ping = { protocol: 'icmp' as const, sourcePort: undefined, destinationPort: undefined, icmpType: 8, icmpCode: 0 };
    expect(verdict(engine, arriving('10.9.9.9', ping))).toBe('ACCEPT');
    expect(verdict(engine, arriving('10.9.9.9', { ...ping, icmpType: 13 }))).toBe('DROP');
  });

  it('fewer directions than the set has dimensions never match', () => {
    const { engine } = setup('-A INPUT -m set --match-set svc dst -j ACCEPT');
    expect(verdict(engine, arriving('10.9.9.9'))).toBe('DROP');
  });

  it('list:set: a packet in any member set', () => {
    const { engine } = setup('-A INPUT -m set --match-set trusted src -j ACCEPT');
    expect(verdict(engine, arriving('203.0.113.9'))).toBe('ACCEPT');
    expect(verdict(engine, arriving('198.51.100.77'))).toBe('ACCEPT');
    expect(verdict(engine, arriving('192.0.2.1'))).toBe('DROP');
  });

  it('timeouts run on the clock: an element is gone once its time is up', () => {
    const { engine, clock } = setup('-A INPUT -m set --match-set admins src -j ACCEPT');
    clock.advance(29_000);
    expect(verdict(engine, arriving('203.0.113.9'))).toBe('ACCEPT');
    clock.advance(2_000);
    expect(verdict(engine, arriving('203.0.113.9'))).toBe('DROP');
    expect(verdict(engine, arriving('203.0.113.10'))).toBe('ACCEPT');
  });

  it('counters count each sampled packet; --packets-gt compares after counting; ! --update-counters leaves them', () => {
    const { engine, ipsets, clock } = setup('-A INPUT -m set --match-set bad src --packets-gt 2 -j ACCEPT');
    const hits = [1, 2, 3].map((n) => engine.sample(arriving('10.2.0.1', { sourcePort: 40000 + n })).verdict);
    expect(hits).toEqual(['DROP', 'DROP', 'ACCEPT']);
    expect(printIpsetSave(ipsets, clock.now())).toContain('add bad 10.0.0.0/8 packets 3 bytes 180\n');
    const frozen = setup('-A INPUT -m set --match-set bad src ! --update-counters -j ACCEPT');
    frozen.engine.sample(arriving('10.2.0.1'));
    expect(printIpsetSave(frozen.ipsets, 0)).toContain('add bad 10.0.0.0/8 packets 0 bytes 0\n');
  });

  it('enumerate mode changes no set', () => {
    const { engine, ipsets } = setup('-A INPUT -m set --match-set bad src -j ACCEPT\n-A INPUT -j SET --add-set seen src');
    const before = printIpsetSave(ipsets, 0);
    engine.enumerate(arriving('10.2.0.1'));
    engine.enumerate(arriving('192.0.2.1'));
    expect(printIpsetSave(ipsets, 0)).toBe(before);
  });

  it('enumerate mode compares counters as if the packet had counted, without counting it', () => {
    const { engine, ipsets } = setup('-A INPUT -m set --match-set bad src --packets-eq 1 -j ACCEPT');
    expect(verdict(engine, arriving('10.2.0.1'))).toBe('ACCEPT');
    expect(verdict(engine, arriving('10.2.0.1'))).toBe('ACCEPT');
    expect(printIpsetSave(ipsets, 0)).toContain('add bad 10.0.0.0/8 packets 0 bytes 0\n');
  });

  it('prints as iptables-save prints it', () => {
    const { ruleset } = setup(
      [
        '-A INPUT -m set --set bad src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 5 --bytes-lt 100 -j DROP',
        '-A INPUT -m set ! --match-set svc dst,dst ! --packets-eq 3 --bytes-eq 7 -j ACCEPT',
        '-A INPUT -j SET --del-set seen dst --add-set seen src --timeout 7 --exist',
      ].join('\n'),
    );
    expect(printIptablesSave(ruleset, { comments: false })).toContain(
      [
        '-A INPUT -m set --match-set bad src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 5 --bytes-lt 100 -j DROP',
        '-A INPUT -m set ! --match-set svc dst,dst ! --packets-eq 3 --bytes-eq 7 -j ACCEPT',
        '-A INPUT -j SET --add-set seen src --exist --timeout 7 --del-set seen dst',
      ].join('\n'),
    );
  });
});

describe('-j SET', () => {
  it('adds the packet with the set timeout and goes on; a later packet matches it; the time runs out', () => {
    const { engine, ipsets, clock } = setup('-A INPUT -m set --match-set seen src -j ACCEPT\n-A INPUT -j SET --add-set seen src');
    expect(engine.sample(arriving('192.0.2.1')).verdict).toBe('DROP');
    expect(printIpsetSave(ipsets, clock.now())).toContain('add seen 192.0.2.1 timeout 60\n');
    clock.advance(59_000);
    expect(engine.sample(arriving('192.0.2.1', { sourcePort: 40001 })).verdict).toBe('ACCEPT');
    clock.advance(2_000);
    expect(engine.sample(arriving('192.0.2.1', { sourcePort: 40002 })).verdict).toBe('DROP');
  });

  it('--exist refreshes the timeout, --timeout overrides it; --del-set deletes', () => {
    const { engine, ipsets, clock } = setup('-A INPUT -j SET --add-set seen src --exist --timeout 5');
    engine.sample(arriving('192.0.2.1'));
    clock.advance(3_000);
    engine.sample(arriving('192.0.2.1', { sourcePort: 40001 }));
    expect(printIpsetSave(ipsets, clock.now())).toContain('add seen 192.0.2.1 timeout 5\n');
    const del = setup('-A INPUT -j SET --del-set staff src', SETS.replace('add staff 198.51.100.0/24', 'add staff 198.51.100.0/24\nadd staff 192.0.2.0/24'));
    del.engine.sample(arriving('192.0.2.1'));
    expect(printIpsetSave(del.ipsets, 0)).not.toContain('add staff 192.0.2.0/24');
  });
});

describe('a rule naming a set that does not exist', () => {
  it('is refused as iptables refuses it', () => {
    expect(() => setup('-A INPUT -m set --match-set nosuch src -j DROP')).toThrow("line 3: Set nosuch doesn't exist.");
    expect(() => setup('-A INPUT -j SET --add-set nosuch src')).toThrow("line 3: Set nosuch doesn't exist.");
    expect(() => setup('-A INPUT -m set --match-set bad src,sideways -j DROP')).toThrow("You must spefify (the comma separated list of) 'src' or 'dst'.");
  });

  it('is kept as given with unsupported=keep, and the trace forks on it', () => {
    const { engine, result, ruleset } = setup('-A INPUT -m set --match-set nosuch src -j ACCEPT', '', 'keep');
    expect(result.kept.map((k) => k.reasons)).toEqual([['set "nosuch" is not among the ipsets given, so its contents are unknown']]);
    expect(printIptablesSave(ruleset, { comments: false })).toContain('-A INPUT -m set --match-set nosuch src -j ACCEPT\n');
    expect(engine.enumerate(arriving('192.0.2.1')).map((o) => o.verdict)).toEqual(['ACCEPT', 'DROP']);
  });
});

describe('ipset restore text', () => {
  it('reports every problem in one error, each with its line, and changes nothing', () => {
    const store = new IpsetStore();
    let error: DomainError | undefined;
    try {
      restoreIpsets(store, 'create a hash:ip\nadd a 10.0.0.x\nadd nosuch 10.0.0.1\ncreate b hash:mac\nadd a 10.0.0.1 timeout 5\ncreate a hash:ip\n', { now: 0 });
    } catch (e) {
      error = e as DomainError;
    }
    expect(error?.message).toBe(
      'the ipsets have 5 problems: [line 2: Syntax error: cannot parse 10.0.0.x: resolving to IPv4 address failed, ' +
        'line 3: The set with the given name does not exist, line 4: `hash:mac` is a real ipset type that kube-netsim does not model, ' +
        'line 5: Timeout cannot be used: set was created without timeout support, line 6: Set cannot be created: set with the same name already exists]',
    );
    expect(error?.causes.map((c) => [c.field, c.reason])).toEqual([
      ['ipsets:2', 'FieldValueInvalid'],
      ['ipsets:3', 'FieldValueInvalid'],
      ['ipsets:4', 'FieldValueNotSupported'],
      ['ipsets:5', 'FieldValueInvalid'],
      ['ipsets:6', 'FieldValueInvalid'],
    ]);
    expect(store.size).toBe(0);
  });

  it('draws the initval of a hash set created without one from the injected random source', () => {
    const store = new IpsetStore();
    restoreIpsets(store, 'create a hash:ip\n', { now: 0, random: new SeededRandom(7) });
    const again = new IpsetStore();
    restoreIpsets(again, 'create a hash:ip\n', { now: 0, random: new SeededRandom(7) });
    expect(printIpsetSave(store, 0)).toMatch(/^create a hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}\n$/);
    expect(printIpsetSave(store, 0)).toBe(printIpsetSave(again, 0));
  });

  it('keeps sets across iptables reloads (the store is the namespace\'s, not the ruleset\'s)', () => {
    const { ipsets, ruleset } = setup('-A INPUT -m set --match-set bad src -j ACCEPT');
    restoreRuleset(ruleset, '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', { ipsets });
    expect(ipsets.has('bad')).toBe(true);
  });
});
