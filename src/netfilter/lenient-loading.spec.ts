/**
 * Lenient loading: a refused text lists every problem; a real iptables module
 * we do not model is named as such; `unsupported: 'keep'` keeps such rules as
 * given, prints them back byte for byte, and the engine traces both ways.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from './engine';
import type { TraceInput } from './trace-input';
import { outcomeView } from './outcome';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset, restoreRuleset } from './iptables-text.parser';
import { REAL_MATCHES, REAL_TARGETS } from './real-extensions';
import { createDefaultRegistry } from './builtin-modules';
import { Ruleset } from './ruleset';

const NODE_DUMP = readFileSync(join(__dirname, '..', '..', 'fixtures', 'netfilter', 'unmodelled', 'node.save'), 'utf8');

function refusal(text: string): DomainError {
  try {
    parseRuleset(text);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected the text to be refused');
}

const kept = (text: string): Ruleset => parseRuleset(text, { unsupported: 'keep' });
const save = (ruleset: Ruleset): string => printIptablesSave(ruleset, { comments: false });

function engine(text: string): NetfilterEngine {
  return new NetfilterEngine({ ruleset: kept(text), clock: new ManualClock(), random: new SeededRandom(7) });
}

const FROM_OUTSIDE: TraceInput = {
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: 22,
};

describe('lenient loading', () => {
  describe('a refused text lists every problem in one error', () => {
    const text = [
      '*filter', //                                                   1
      ':INPUT DROP [0:0]', //                                         2
      '-A INPUT -m osf --genre Linux --ttl 2 -j ACCEPT', // 3
      '-A INPUT -m nosuch -j ACCEPT', //                              4
      '-A INPUT -p tcp --dport 22 -j ACCEPT', //                      5 (fine)
      '-A INPUT -j SYNPROXY --mss 1460', //                           6
      '-A INPUT -j NOSUCHTARGET', //                                  7
      '-A INPUT -p tcp -m tcp --tcp-option 2 -j ACCEPT', //             8
      '-A INPUT -s 10.0.0.256 -j DROP', //                             9
      'COMMIT', //                                                    10
      '*security', //                                                 11 (fine)
      '-A INPUT -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0', // 12 (fine)
      'COMMIT', //                                                    13
      '*bogus', //                                                    14
      'COMMIT', //                                                    15
    ].join('\n');

    it('one cause per problem, in line order, each naming its line and quoting its text', () => {
      const e = refusal(text);
      expect(e.code).toBe('RULE_PARSE_ERROR');
      expect(e.causes.map((c) => c.field)).toEqual(['rules:3', 'rules:4', 'rules:6', 'rules:7', 'rules:8', 'rules:9', 'rules:14']);
      expect(e.causes[0]).toEqual({
        field: 'rules:3',
        reason: 'FieldValueNotSupported',
        message:
          'Unsupported value: "-A INPUT -m osf --genre Linux --ttl 2 -j ACCEPT": ' +
          '`-m osf` is a real iptables match that kube-netsim does not model; load with unsupported=keep to trace around it',
      });
      expect(e.causes[1]).toEqual({
        field: 'rules:4',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "-A INPUT -m nosuch -j ACCEPT": unknown match module "nosuch"',
      });
      expect(e.message).toMatch(/^the rules have 7 problems: \[line 3: `-m osf` is a real iptables match .*, line 4: unknown match module "nosuch", /);
    });

    it('tells a real module we do not model from a word no Linux module has', () => {
      const messages = refusal(text).causes.map((c) => c.message.slice(c.message.lastIndexOf('": ') + 3));
      expect(messages).toEqual([
        '`-m osf` is a real iptables match that kube-netsim does not model; load with unsupported=keep to trace around it',
        'unknown match module "nosuch"',
        '`-j SYNPROXY` is a real iptables target that kube-netsim does not model; load with unsupported=keep to trace around it',
        '-j NOSUCHTARGET: chain "NOSUCHTARGET" does not exist in table filter (and there is no target of that name)',
        '`--tcp-option` is a real option of the iptables tcp match that kube-netsim does not model; load with unsupported=keep to trace around it',
        'invalid address "10.0.0.256" for -s',
        'unknown table "bogus"',
      ]);
    });

    it('keeping still refuses what is wrong, listing only that', () => {
      let e: DomainError | undefined;
      try {
        kept(text);
      } catch (caught) {
        e = caught as DomainError;
      }
      expect(e!.causes.map((c) => c.field)).toEqual(['rules:4', 'rules:7', 'rules:9', 'rules:14']);
    });

    it('a single problem keeps its code and its one-line message', () => {
      const e = refusal('*filter\n-A INPUT -j KUBE-NOPE\nCOMMIT\n');
      expect(e.code).toBe('CHAIN_NOT_FOUND');
      expect(e.message).toBe('line 2: -j KUBE-NOPE: chain "KUBE-NOPE" does not exist in table filter (and there is no target of that name)');
      expect(e.causes).toEqual([
        {
          field: 'rules:2',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "-A INPUT -j KUBE-NOPE": -j KUBE-NOPE: chain "KUBE-NOPE" does not exist in table filter (and there is no target of that name)',
        },
      ]);
    });

    it('lists at most 20 problems in the message, every one in the causes, and changes nothing', () => {
      const ruleset = parseRuleset('*filter\n-A INPUT -j ACCEPT\nCOMMIT\n');
      const before = save(ruleset);
      const many = ['*filter', ...Array.from({ length: 30 }, (_, k) => `-A INPUT -m quota --quota ${k} -j DROP`), 'COMMIT'].join('\n');
      let e: DomainError | undefined;
      try {
        restoreRuleset(ruleset, many);
      } catch (caught) {
        e = caught as DomainError;
      }
      expect(e!.causes).toHaveLength(30);
      expect(e!.message).toMatch(/^the rules have 30 problems: \[.*, and 10 more \(each is a cause\)\]$/);
      expect(save(ruleset)).toBe(before);
    });
  });

  describe('the list of real iptables modules', () => {
    it('holds every module we model (so that the list is the whole of Linux, not the rest)', () => {
      const registry = createDefaultRegistry();
      for (const name of registry.matchNames()) expect(REAL_MATCHES.has(name)).toBe(true);
      for (const name of registry.targetNames().filter((n) => !['ACCEPT', 'DROP', 'RETURN'].includes(n))) expect(REAL_TARGETS.has(name)).toBe(true);
    });
  });

  describe('unsupported: keep', () => {
    it('keeps such rules and prints them back exactly as given, in place', () => {
      const ruleset = new Ruleset();
      const result = restoreRuleset(ruleset, NODE_DUMP, { unsupported: 'keep' });
      expect(save(ruleset)).toBe(NODE_DUMP);
      expect(result.kept.map((k) => k.line)).toEqual([7, 8, 16, 18, 19, 20, 21, 28]);
      expect(result.kept[2]).toEqual({
        line: 16,
        text: '-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m time --timestart 09:00:00 --timestop 17:00:00 -j ACCEPT',
        reasons: ['`-m time` is a real iptables match that kube-netsim does not model'],
      });
    });

    it('prints a kept rule given in restore form as given after -A CHAIN (-I becomes -A, as iptables-save prints it)', () => {
      const ruleset = kept('*filter\n:X - [0:0]\n-A X -j ACCEPT\n-I X 1  -m  quota --quota 0 -j DROP\n[3:180] -A X -m set ! --match-set bad src -j ACCEPT\nCOMMIT\n');
      expect(save(ruleset)).toContain('-A X -m  quota --quota 0 -j DROP\n-A X -j ACCEPT\n-A X -m set ! --match-set bad src -j ACCEPT\n');
    });

    it('the rest of the line still has to be right', () => {
      expect(() => kept('*filter\n-A INPUT -m quota --quota 0 -j NOPE\nCOMMIT\n')).toThrow(/chain "NOPE" does not exist/);
      expect(() => kept('*filter\n-A INPUT -s 1.2.3.999 -m quota --quota 0 -j DROP\nCOMMIT\n')).toThrow(/invalid address/);
    });
  });

  describe('tracing kept rules', () => {
    it('forks at a kept match: both branches, each naming the rule and its assumption, each with the probability of reaching it', () => {
      const outcomes = engine(NODE_DUMP).enumerate(FROM_OUTSIDE).map(outcomeView);
      expect(outcomes.map((o) => [o.verdict, o.probability, o.dependsOn?.map((d) => [d.line, d.matches])])).toEqual([
        ['ACCEPT', 1, [[16, true]]],
        ['DROP', 1, [[16, false], [18, true]]],
        ['DROP', 1, [[16, false], [18, false]]],
      ]);
      expect(outcomes[0].dependsOn![0]).toEqual({
        line: 16,
        hook: 'INPUT',
        table: 'filter',
        chain: 'INPUT',
        ruleNumber: 3,
        rule: '-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m time --timestart 09:00:00 --timestop 17:00:00 -j ACCEPT',
        matches: true,
      });
      expect(outcomes[0].steps.find((s) => s.ruleNumber === 3)!.action).toBe('not modelled: taken as matching (the outcome depends on it)');
    });

    it('forks nothing where the modelled part of a kept rule cannot match', () => {
      const outcomes = engine(NODE_DUMP).enumerate({ ...FROM_OUTSIDE, destinationPort: 80 }).map(outcomeView);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ verdict: 'ACCEPT', probability: 1, delivery: 'local' });
      expect(outcomes[0].dependsOn).toBeUndefined();
    });

    it('stops, UNKNOWN, at a kept target it cannot follow; a target that changes nothing traced lets the packet go on', () => {
      const redirected = engine(NODE_DUMP).enumerate({ ...FROM_OUTSIDE, destinationPort: 8080 }).map(outcomeView);
      expect(redirected).toEqual([expect.objectContaining({ verdict: 'UNKNOWN', delivery: null, probability: 1 })]);
      expect(redirected[0].dependsOn).toEqual([expect.objectContaining({ line: 28, table: 'nat', chain: 'PREROUTING', matches: true })]);
      const logged = engine(NODE_DUMP).enumerate({ ...FROM_OUTSIDE, protocol: 'udp', destinationPort: 53 }).map(outcomeView);
      expect(logged.map((o) => [o.verdict, o.probability, o.dependsOn?.map((d) => [d.line, d.matches])])).toEqual([
        ['DROP', 1, [[18, true]]],
        ['DROP', 1, [[18, false]]],
      ]);
      expect(logged[1].steps.map((s) => s.action)).toEqual(
        expect.arrayContaining(['TEE (not modelled): changes nothing kube-netsim traces, the packet goes on', 'policy DROP']),
      );
    });

    it('keeps random branches exact beside kept ones: each assumption\'s outcomes sum to 1', () => {
      const text = [
        '*filter',
        '-A OUTPUT -m statistic --mode random --probability 0.25 -j DROP',
        '-A OUTPUT -m quota --quota 0 -j REJECT',
        'COMMIT',
      ].join('\n');
      const outcomes = engine(text)
        .enumerate({ hook: 'OUTPUT', protocol: 'udp', sourcePort: 5000, destination: '203.0.113.9', destinationPort: 53 })
        .map(outcomeView);
      const given = (matches: boolean) =>
        outcomes.filter((o) => (o.dependsOn ?? []).every((d) => d.matches === matches)).reduce((sum, o) => sum + o.probability, 0);
      expect(outcomes.map((o) => [o.verdict, o.probability, o.dependsOn?.[0].matches])).toEqual([
        ['DROP', 0.25, undefined],
        ['REJECT', 0.75, true],
        ['ACCEPT', 0.75, false],
      ]);
      expect(given(true)).toBeCloseTo(1, 12);
      expect(given(false)).toBeCloseTo(1, 12);
    });

    it('does not merge paths that assume different things, even without steps', () => {
      const text = '*filter\n-A OUTPUT -m quota --quota 0 -j ACCEPT\nCOMMIT\n';
      const e = new NetfilterEngine({ ruleset: kept(text), clock: new ManualClock(), random: new SeededRandom(1), recordSteps: false });
      const outcomes = e.enumerate({ hook: 'OUTPUT', protocol: 'udp', sourcePort: 5000, destination: '203.0.113.9', destinationPort: 53 });
      expect(outcomes.map((o) => [o.verdict, o.probability, o.dependsOn.map((d) => d.matches)])).toEqual([
        ['ACCEPT', 1, [true]],
        ['ACCEPT', 1, [false]],
      ]);
    });

    it('sample mode takes a kept rule as not matching and says so; commit replays an enumerated assumption', () => {
      const e = engine(NODE_DUMP);
      const sampled = e.sample(FROM_OUTSIDE);
      expect(sampled.dependsOn.map((d) => [d.line, d.matches])).toEqual([
        [16, false],
        [18, false],
      ]);
      const [accepted] = e.enumerate(FROM_OUTSIDE);
      const committed = e.commit({ ...FROM_OUTSIDE, sourcePort: 40001 }, accepted);
      expect(committed.verdict).toBe('ACCEPT');
      expect(committed.dependsOn.map((d) => [d.line, d.matches])).toEqual([[16, true]]);
    });
  });
});
