import { DomainError } from '../common/domain-error';
import { refusalOf as error } from '../../test/support/common/domain-error';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset, restoreRuleset } from './iptables-text.parser';
import { Ruleset } from './ruleset';

/** The `-A` lines of a ruleset, as iptables-save prints them. */
function rules(ruleset: Ruleset): string[] {
  return printIptablesSave(ruleset, { comments: false })
    .split('\n')
    .filter((l) => l.startsWith('-A ') || l.startsWith('['));
}

function save(ruleset: Ruleset): string {
  return printIptablesSave(ruleset, { comments: false });
}

/** The one rule of `-A T <spec>` in table `table`, as saved (without "-A T "). */
function saved(spec: string, table = 'filter'): string {
  const ruleset = parseRuleset(`*${table}\n:T - [0:0]\n-A T ${spec}\nCOMMIT\n`);
  return rules(ruleset)[0].slice('-A T '.length);
}

describe('iptables restore parser', () => {
  describe('the two text forms', () => {
    it('reads kube-proxy restore input and iptables-save output into the same rules', () => {
      const input = parseRuleset(
        [
          '*nat',
          ':KUBE-SERVICES - [0:0]',
          ':KUBE-SVC-X - [0:0]',
          '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-X',
          'COMMIT',
        ].join('\n'),
      );
      const output = parseRuleset(
        [
          '*nat',
          ':PREROUTING ACCEPT [0:0]',
          ':KUBE-SERVICES - [0:0]',
          ':KUBE-SVC-X - [0:0]',
          '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-X',
          'COMMIT',
        ].join('\n'),
      );
      expect(save(input)).toBe(save(output));
      expect(rules(input)).toEqual([
        '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-X',
      ]);
    });

    it('skips # comment lines and blank lines, and takes a last line without newline', () => {
      const ruleset = parseRuleset('# header\n\n*filter\n  \n# inside\n-A INPUT -j ACCEPT\nCOMMIT');
      expect(rules(ruleset)).toEqual(['-A INPUT -j ACCEPT']);
    });

    it('accepts CRLF line ends', () => {
      expect(rules(parseRuleset('*filter\r\n-A INPUT -j DROP\r\nCOMMIT\r\n'))).toEqual(['-A INPUT -j DROP']);
    });

    it('takes -c before the command, as iptables-restore does', () => {
      const ruleset = parseRuleset('*filter\n-c 1 2 -A INPUT -j DROP\nCOMMIT\n');
      expect(ruleset.table('filter')!.chain('INPUT')!.rules[0].packets).toBe(1);
    });
  });

  describe('quoting', () => {
    it.each([
      ['--comment "a b"', '"a b"'],
      ['--comment abc_-XYZ09', 'abc_-XYZ09'],
      ['--comment ns1/svc1:p80', '"ns1/svc1:p80"'],
      ['--comment ""', '""'],
      ['--comment "say \\"hi\\""', '"say \\"hi\\""'],
      ["--comment 'single'", '"\\\'single\\\'"'],
      ['--comment "back\\\\slash"', '"back\\\\slash"'],
      ['--comment "back\\slash"', 'backslash'],
      ['--comment a\\b', '"a\\\\b"'],
      ['--comment a"b c"', '"ab c"'],
      ['--comment "a\tb"', '"a\tb"'],
      ['--comment x#y', '"x#y"'],
    ])('%s is saved as --comment %s', (input, output) => {
      expect(saved(`-m comment ${input}`)).toBe(`-m comment --comment ${output}`);
    });

    it('ends a word at a closing quote', () => {
      expect(error(() => saved('-m comment --comment "a"b')).message).toBe('line 3: bad argument "b"');
    });

    it('refuses an unterminated quote', () => {
      expect(error(() => saved('-m comment --comment "open')).message).toMatch(/^line 3: unterminated quote/);
    });

    it('keeps 255 bytes of a comment and 29 of a log prefix, as the kernel does', () => {
      const long = 'x'.repeat(300);
      expect(saved(`-m comment --comment ${long}`)).toBe(`-m comment --comment ${'x'.repeat(255)}`);
      expect(saved(`-j LOG --log-prefix ${long}`)).toBe(`-j LOG --log-prefix ${'x'.repeat(29)}`);
    });
  });

  describe('counters', () => {
    const text = ['*filter', ':INPUT DROP [5:600]', ':X - [0:0]', '[7:700] -A INPUT -j X', '-A X -j ACCEPT -c 3 30', 'COMMIT'].join('\n');

    it('ignores [packets:bytes] unless asked, as iptables-restore without --counters', () => {
      const ruleset = parseRuleset(text);
      expect(printIptablesSave(ruleset, { comments: false, counters: true })).toBe(
        ['*filter', ':INPUT DROP [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]', '[0:0] -A INPUT -j X', '[3:30] -A X -j ACCEPT', 'COMMIT', ''].join('\n'),
      );
    });

    it('takes them with { counters: true }, and prints them with iptables-save -c', () => {
      const ruleset = parseRuleset(text, { counters: true });
      expect(printIptablesSave(ruleset, { comments: false, counters: true })).toBe(
        ['*filter', ':INPUT DROP [5:600]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]', '[7:700] -A INPUT -j X', '[3:30] -A X -j ACCEPT', 'COMMIT', ''].join('\n'),
      );
      // Without -c, iptables-save still shows the built-in chains' policy counters.
      expect(save(ruleset)).toContain(':INPUT DROP [5:600]\n');
    });

    it('refuses malformed counters', () => {
      expect(error(() => parseRuleset('*filter\n[x:y] -A INPUT\nCOMMIT', { counters: true })).message).toBe('line 2: bad counters "[x:y]"');
      expect(error(() => parseRuleset('*filter\n:INPUT DROP [a:2]\nCOMMIT')).message).toBe('line 2: bad counters "[a:2]" for chain "INPUT"');
      expect(error(() => parseRuleset('*filter\n-A INPUT -c 1\nCOMMIT')).message).toBe('line 2: -c needs two numbers: packets and bytes');
    });

    it('zeroes counters with -Z', () => {
      const ruleset = parseRuleset(text, { counters: true });
      restoreRuleset(ruleset, '*filter\n-Z X\nCOMMIT\n', { noflush: true });
      expect(rules(ruleset)).toEqual(['-A INPUT -j X', '-A X -j ACCEPT']);
      expect(ruleset.table('filter')!.chain('X')!.rules[0].packets).toBe(0);
      expect(ruleset.table('filter')!.chain('INPUT')!.rules[0].packets).toBe(7);
    });
  });

  describe('errors name the line and the word', () => {
    it.each([
      ['*filter\n-A INPUT -m foo -j ACCEPT\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: unknown match module "foo"'],
      ['*filter\n-A INPUT -p tcp --dprot 80\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: unknown option "--dprot"'],
      ['*filter\n-A INPUT -j SYNPROXY\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: `-j SYNPROXY` is a real iptables target that kube-netsim does not model; load with unsupported=keep to trace around it'],
      ['*filter\n\n-A INPUT -j KUBE-NOPE\nCOMMIT', 'CHAIN_NOT_FOUND', 'line 3: -j KUBE-NOPE: chain "KUBE-NOPE" does not exist in table filter (and there is no target of that name)'],
      ['*filter\n-A INPUT -g NOPE\nCOMMIT', 'CHAIN_NOT_FOUND', 'line 2: -g NOPE: chain "NOPE" does not exist in table filter'],
      ['*filter\n-A NOPE -j ACCEPT\nCOMMIT', 'CHAIN_NOT_FOUND', 'line 2: chain "NOPE" does not exist in table filter'],
      ['*nat\n:A - [0:0]\n-A A -j INPUT\nCOMMIT', 'RULE_PARSE_ERROR', 'line 3: cannot jump to built-in chain "INPUT"'],
      ['*filter\n-A INPUT -j ACCEPT\n', 'RULE_PARSE_ERROR', 'line 2: COMMIT expected at the end of the input (table filter opened on line 1)'],
      ['-A INPUT -j ACCEPT\n', 'RULE_PARSE_ERROR', 'line 1: "-A" before any table (expected *filter, *nat, *mangle, *raw or *security)'],
      [':X - [0:0]\n', 'RULE_PARSE_ERROR', 'line 1: chain ":X - [0:0]" before any table'],
      ['COMMIT\n', 'RULE_PARSE_ERROR', 'line 1: COMMIT without a table'],
      ['*secure\nCOMMIT', 'RULE_PARSE_ERROR', 'line 1: unknown table "secure"'],
      ['*filter\n*nat\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: "*nat" inside table filter (opened on line 1): COMMIT expected first'],
      ['*nat\n:FORWARD ACCEPT [0:0]\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: built-in chain "FORWARD" does not exist in table nat'],
      ['*filter\n:INPUT RETURN [0:0]\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: bad policy "RETURN" for built-in chain INPUT'],
      ['*filter\n:X\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: bad chain line ":X" (expected :NAME POLICY [packets:bytes])'],
      ['*filter\n:ACCEPT - [0:0]\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: chain name "ACCEPT" clashes with a standard target'],
      ['*filter\n:-X - [0:0]\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: chain name "-X" may not start with "-"'],
      [`*filter\n:${'C'.repeat(29)} - [0:0]\nCOMMIT`, 'RULE_PARSE_ERROR', `line 2: chain name "${'C'.repeat(29)}" is too long (at most 28 characters)`],
      ['*filter\n-A INPUT -s 10.0.0.256\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: invalid address "10.0.0.256" for -s'],
      ['*filter\n-A INPUT -d 10.0.0.0/33\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: invalid mask "33" for -d'],
      ['*filter\n-A INPUT -p tcp --dport 99999\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: invalid port "99999" for --dport'],
      ['*filter\n-A INPUT -p tcp --dport 90:80\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: invalid port range "90:80" for --dport (min > max)'],
      ['*filter\n-A INPUT -p foo\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: unknown protocol "foo"'],
      ['*filter\n-A INPUT -m statistic --mode random --probability 1.5\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: statistic: bad probability "1.5" (must be between 0 and 1)'],
      ['*filter\n-A INPUT -m statistic --mode random --probability abc\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: statistic: bad probability "abc" (must be between 0 and 1)'],
      ['*filter\n-A INPUT -m statistic --mode nth --every 3 --packet 3\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: statistic: bad value "3" for --packet (must be 0 <= p <= n-1)'],
      ['*filter\n-A INPUT --dport 80\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: unknown option "--dport"'],
      ['*filter\n-A INPUT -m tcp --dport 80\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: tcp match requires "-p tcp"'],
      ['*filter\n-A INPUT -m mark --mark 0x100000000\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: invalid value "0x100000000" for --mark'],
      ['*filter\n-A INPUT -m conntrack --ctstate FOO\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: bad state "FOO" for --ctstate'],
      ['*filter\n-A INPUT -m recent --name x\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: recent: one of --set, --rcheck, --update or --remove is required'],
      ['*filter\n-A INPUT -m recent --set --rcheck\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: recent: "--set" cannot be used together with "--rcheck"'],
      ['*filter\n-A INPUT -m comment\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: comment: option "--comment" must be specified'],
      ['*filter\n-A INPUT -m comment --comment a --comment b\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: comment: option "--comment" can only be used once.'],
      ['*filter\n-A INPUT -j ACCEPT -j DROP\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: multiple -j / -g options are not allowed'],
      ['*filter\n-A INPUT -s 1.1.1.1 -s 2.2.2.2\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: multiple -s options are not allowed'],
      ['*filter\n-A INPUT -s\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: option "-s" requires an argument'],
      ['*filter\n-A INPUT -p tcp -j REJECT --reject-with icmp-echo\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: unknown reject type "icmp-echo"'],
      ['*filter\n-A INPUT -j REJECT --reject-with tcp-reset\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: REJECT: --reject-with tcp-reset needs "-p tcp"'],
      ['*filter\n-A INPUT -j DNAT --to-destination 1.2.3.4\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: target "DNAT" is only valid in the nat table'],
      ['*nat\n-A PREROUTING -j DNAT --to-destination 1.2.3.4:80\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: DNAT: a port needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"'],
      ['*filter\n-A INPUT -i abcdefghijklmnop\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: interface name "abcdefghijklmnop" is too long (at most 15 characters)'],
      ['*filter\n-A INPUT foo\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: bad argument "foo"'],
      ['*filter\n-t nat -A INPUT\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: the -t option cannot be used in iptables-restore input'],
      ['*filter\n-L\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: command "-L" is not supported in a restore'],
      ['*filter\n-N X\n-N X\nCOMMIT', 'RULE_PARSE_ERROR', 'line 3: chain "X" already exists in table filter'],
      ['*filter\n-X NOPE\nCOMMIT', 'CHAIN_NOT_FOUND', 'line 2: chain "NOPE" does not exist in table filter'],
      ['*filter\n-X INPUT\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: cannot delete built-in chain "INPUT"'],
      ['*filter\n:X - [0:0]\n-A INPUT -j X\n-X X\nCOMMIT', 'RULE_PARSE_ERROR', 'line 4: cannot delete chain "X": 1 rule still jump to it'],
      ['*filter\n:X - [0:0]\n-A X -j ACCEPT\n-X X\nCOMMIT', 'RULE_PARSE_ERROR', 'line 4: cannot delete chain "X": it is not empty'],
      ['*filter\n:X - [0:0]\n-I X 2 -j ACCEPT\nCOMMIT', 'RULE_PARSE_ERROR', 'line 3: cannot insert at position 2 of chain "X": it has 0 rules'],
      ['*filter\n-D INPUT 1\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: no rule number 1 in chain "INPUT" (it has 0)'],
      ['*filter\n-D INPUT -j DROP\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: no rule "-j DROP" in chain "INPUT"'],
      ['*filter\n-C INPUT -j DROP\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: no rule "-j DROP" in chain "INPUT"'],
      ['*filter\n-P X DROP\nCOMMIT', 'CHAIN_NOT_FOUND', 'line 2: chain "X" does not exist in table filter'],
      ['*filter\n-P INPUT RETURN\nCOMMIT', 'RULE_PARSE_ERROR', 'line 2: bad policy "RETURN" for INPUT'],
      ['*filter\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\n-A INPUT -j A\nCOMMIT', 'RULE_PARSE_ERROR', 'line 5: jump loop: A -> B -> A'],
      ['*nat\n:A - [0:0]\n-A A -j MASQUERADE\n-A PREROUTING -j A\nCOMMIT', 'RULE_PARSE_ERROR', 'line 3: MASQUERADE in chain "A" is reachable from PREROUTING, but only allowed in POSTROUTING'],
    ])('%j', (text, code, message) => {
      const e = error(() => parseRuleset(text));
      expect(e.code).toBe(code);
      expect(e.message).toBe(message);
      const [, line, reason] = /^line (\d+): (.*)$/.exec(message)!;
      expect(e.causes).toHaveLength(1);
      expect(e.causes[0].field).toBe(`rules:${line}`);
      expect(e.causes[0].message.endsWith(`: ${reason}`)).toBe(true);
    });

    it('refuses a jump to a chain declared only further down, as iptables-restore does', () => {
      const e = error(() => parseRuleset('*filter\n:A - [0:0]\n-A A -j B\n:B - [0:0]\nCOMMIT'));
      expect(e.code).toBe('CHAIN_NOT_FOUND');
      expect(e.message).toMatch(/^line 3: -j B: chain "B" does not exist/);
    });
  });

  describe('tables, chains and commands', () => {
    it('creates declared chains even without rules, and every built-in chain of a table', () => {
      const ruleset = parseRuleset('*nat\n:KUBE-EMPTY - [0:0]\nCOMMIT\n');
      expect(save(ruleset)).toBe(
        ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-EMPTY - [0:0]', 'COMMIT', ''].join('\n'),
      );
    });

    it('treats an empty table section as no table (it deletes the table)', () => {
      const ruleset = parseRuleset('*nat\nCOMMIT\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n');
      expect(ruleset.tables().map((t) => t.name)).toEqual(['filter']);
      restoreRuleset(ruleset, '*filter\nCOMMIT\n');
      expect(ruleset.tables()).toEqual([]);
    });

    it('supports -I with and without a position, -D by number and by rule, -R and -C', () => {
      const ruleset = parseRuleset(
        [
          '*filter',
          ':A - [0:0]',
          '-A A -j ACCEPT',
          '-A A -s 10.0.0.1/32 -m comment --comment "x y" -j DROP',
          '-I A -j RETURN',
          '-I A 2 -j LOG',
          '-I A 5 -p tcp -j REJECT --reject-with tcp-reset',
          '-D A -m comment --comment "x y" -s 10.0.0.1 -j DROP',
          '-D A 1',
          '-R A 1 -s 1.1.1.1 -j ACCEPT',
          '-C A -j ACCEPT',
          'COMMIT',
        ].join('\n'),
      );
      expect(rules(ruleset)).toEqual(['-A A -s 1.1.1.1/32 -j ACCEPT', '-A A -j ACCEPT', '-A A -p tcp -j REJECT --reject-with tcp-reset']);
    });

    it('supports -N, -F and -X with and without a chain, and -P', () => {
      const ruleset = parseRuleset(
        ['*filter', '-N A', '-N B', '-A A -j ACCEPT', '-A INPUT -j A', '-F', '-X A', '-P INPUT DROP', '-A B -j DROP', 'COMMIT'].join('\n'),
      );
      expect(save(ruleset)).toContain(':INPUT DROP [0:0]');
      expect(ruleset.table('filter')!.userChains().map((c) => c.name)).toEqual(['B']);
      restoreRuleset(ruleset, '*filter\n-F B\n-X\nCOMMIT\n', { noflush: true });
      expect(ruleset.table('filter')!.userChains()).toEqual([]);
    });

    it('replaces a table when the same section appears twice without noflush', () => {
      const ruleset = parseRuleset('*filter\n:A - [0:0]\nCOMMIT\n*filter\n:B - [0:0]\nCOMMIT\n');
      expect(ruleset.table('filter')!.userChains().map((c) => c.name)).toEqual(['B']);
    });
  });

  describe('noflush', () => {
    const base = [
      '*filter',
      ':KEEP - [0:0]',
      '-A KEEP -j ACCEPT',
      'COMMIT',
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-A - [0:0]',
      ':KUBE-SVC-OLD - [0:0]',
      '-A PREROUTING -j KUBE-SERVICES',
      '-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-A',
      '-A KUBE-SERVICES -d 10.96.0.2/32 -j KUBE-SVC-OLD',
      '-A KUBE-SVC-A -j ACCEPT',
      '-A KUBE-SVC-OLD -j ACCEPT',
      'COMMIT',
    ].join('\n');

    it('replaces whole tables without it: chains not mentioned are gone', () => {
      const ruleset = parseRuleset(base);
      restoreRuleset(ruleset, '*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n');
      expect(ruleset.table('nat')!.userChains().map((c) => c.name)).toEqual(['KUBE-SERVICES']);
      expect(rules(ruleset)).toEqual(['-A KEEP -j ACCEPT']); // filter was not in the text: untouched
    });

    it('with it, flushes declared chains, keeps the others and deletes with -X (a kube-proxy partial sync)', () => {
      const ruleset = parseRuleset(base);
      const result = restoreRuleset(
        ruleset,
        [
          '*nat',
          ':KUBE-SERVICES - [0:0]',
          ':KUBE-SVC-OLD - [0:0]',
          ':KUBE-SVC-NEW - [0:0]',
          '-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-A',
          '-A KUBE-SERVICES -d 10.96.0.3/32 -j KUBE-SVC-NEW',
          '-A KUBE-SVC-NEW -j DROP',
          '-X KUBE-SVC-OLD',
          'COMMIT',
        ].join('\n'),
        { noflush: true },
      );
      expect(result).toEqual({ tables: ['nat'], rulesAdded: 3, lines: 9, kept: [] });
      expect(rules(ruleset)).toEqual([
        '-A KEEP -j ACCEPT',
        '-A PREROUTING -j KUBE-SERVICES',
        '-A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-A',
        '-A KUBE-SERVICES -d 10.96.0.3/32 -j KUBE-SVC-NEW',
        '-A KUBE-SVC-A -j ACCEPT',
        '-A KUBE-SVC-NEW -j DROP',
      ]);
    });

    it('sets a built-in policy from a chain line without flushing the chain', () => {
      const ruleset = parseRuleset(base);
      restoreRuleset(ruleset, '*nat\n:PREROUTING DROP [0:0]\nCOMMIT\n', { noflush: true });
      expect(save(ruleset)).toContain(':PREROUTING DROP [0:0]');
      expect(rules(ruleset)).toContain('-A PREROUTING -j KUBE-SERVICES');
    });

    it('refuses to delete a chain that is still jumped to, and then changes nothing', () => {
      const ruleset = parseRuleset(base);
      const before = save(ruleset);
      const e = error(() => restoreRuleset(ruleset, '*nat\n:KUBE-SVC-OLD - [0:0]\n-X KUBE-SVC-OLD\nCOMMIT\n', { noflush: true }));
      expect(e.message).toBe('line 3: cannot delete chain "KUBE-SVC-OLD": 1 rule still jump to it');
      expect(save(ruleset)).toBe(before);
    });

    it('is all or nothing across tables', () => {
      const ruleset = parseRuleset(base);
      const before = save(ruleset);
      const version = ruleset.version;
      expect(() => restoreRuleset(ruleset, '*filter\n-A KEEP -j DROP\nCOMMIT\n*nat\n-A NOPE -j DROP\nCOMMIT\n', { noflush: true })).toThrow(
        DomainError,
      );
      expect(save(ruleset)).toBe(before);
      expect(ruleset.version).toBe(version);
    });

    it('leaves a snapshot taken before the restore unchanged (copy on write)', () => {
      const ruleset = parseRuleset(base);
      const oldNat = ruleset.table('nat')!;
      const oldServices = oldNat.chain('KUBE-SERVICES')!;
      restoreRuleset(ruleset, '*nat\n-A KUBE-SVC-A -j DROP\n-D KUBE-SERVICES 2\nCOMMIT\n', { noflush: true });
      expect(oldServices.rules).toHaveLength(2);
      expect(oldNat.chain('KUBE-SVC-A')!.rules).toHaveLength(1);
      expect(ruleset.table('nat')!.chain('KUBE-SVC-A')!.rules).toHaveLength(2);
      expect(ruleset.table('nat')!.chain('KUBE-SERVICES')!.rules).toHaveLength(1);
      expect(ruleset.table('nat')).not.toBe(oldNat);
    });

    it('creates a table that does not exist yet', () => {
      const ruleset = new Ruleset();
      restoreRuleset(ruleset, '*mangle\n:X - [0:0]\nCOMMIT\n', { noflush: true });
      expect(ruleset.table('mangle')!.userChains().map((c) => c.name)).toEqual(['X']);
      restoreRuleset(ruleset, '*raw\nCOMMIT\n', { noflush: true });
      expect(ruleset.hasTable('raw')).toBe(false);
    });
  });

  it('keeps each rule line as written when asked', () => {
    const text = '*nat\n:KUBE-SVC-X - [0:0]\n-A KUBE-SVC-X -m comment --comment "a b" -m tcp -p tcp -j DNAT --to-destination 10.0.0.1:80  \nCOMMIT\n';
    const rule = (ruleset: Ruleset) => ruleset.table('nat')!.chain('KUBE-SVC-X')!.rules[0];
    expect(rule(parseRuleset(text, { keepSource: true })).sourceText).toBe(
      '-A KUBE-SVC-X -m comment --comment "a b" -m tcp -p tcp -j DNAT --to-destination 10.0.0.1:80',
    );
    expect(rule(parseRuleset(text)).sourceText).toBeUndefined();
    expect(rule(parseRuleset(text)).line).toBe(3);
  });
});
