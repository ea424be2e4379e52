/**
 * One rule specification read against a table (`parseRuleSpec`): options in
 * any order, their long spellings and abbreviations, the protocol match `-p`
 * loads implicitly, and `!` where iptables takes it and where it refuses it.
 * The restore around it (lines, tables, chains, counters) is
 * iptables-text.parser.spec.ts's.
 */
import { refusalOf as error } from '../../test/support/common/domain-error';
import { formatRuleSpec } from './iptables-save.printer';
import { parseRuleSpec } from './rule-spec.parser';
import { Table } from './table';
import type { TableName } from './types';

/** `spec` read in a table of that name, as iptables-save prints it back. */
function saved(spec: string, table: TableName = 'filter'): string {
  return formatRuleSpec(parseRuleSpec(spec, new Table(table)));
}

describe('rule specification parser', () => {
  it('reads one rule against a table, whose chains jumps must name', () => {
    const table = new Table('nat');
    table.createChain('KUBE-SVC-X');
    const rule = parseRuleSpec('-m tcp -p tcp -d 10.96.0.1 --dport 443 -j KUBE-SVC-X', table);
    expect(formatRuleSpec(rule)).toBe('-d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-X');
    expect(rule.target?.chain).toBe('KUBE-SVC-X');
    const e = error(() => parseRuleSpec('-j NOPE', table));
    expect(e.code).toBe('CHAIN_NOT_FOUND');
    expect(e.message).toMatch(/^line 1: -j NOPE: chain "NOPE" does not exist in table nat/);
  });

  it('takes options in any order, as getopt does', () => {
    expect(saved('-j ACCEPT -p udp --dport 53 -s 10.0.0.0/8')).toBe('-s 10.0.0.0/8 -p udp -m udp --dport 53 -j ACCEPT');
  });

  it('accepts long option spellings, --opt=value and unambiguous abbreviations', () => {
    expect(saved('--protocol tcp --source 1.1.1.1 --destination-port 22 --jump ACCEPT')).toBe('-s 1.1.1.1/32 -p tcp -m tcp --dport 22 -j ACCEPT');
    expect(saved('-p tcp --dport=443 -j ACCEPT')).toBe('-p tcp -m tcp --dport 443 -j ACCEPT');
    expect(saved('-p tcp -j DNAT --to 10.0.0.1:80', 'nat')).toBe('-p tcp -j DNAT --to-destination 10.0.0.1:80');
    expect(saved('-m addrtype --dst-ty LOCAL')).toBe('-m addrtype --dst-type LOCAL');
    expect(error(() => saved('-m recent --r')).message).toMatch(/^line 1: option "--r" is ambiguous/);
  });

  it('loads the protocol match implicitly where the first port option appears', () => {
    expect(saved('-p tcp -m comment --comment x --dport 80')).toBe('-p tcp -m comment --comment x -m tcp --dport 80');
    expect(saved('-p tcp --dport 80 -m comment --comment x --sport 5')).toBe('-p tcp -m tcp --sport 5 --dport 80 -m comment --comment x');
  });

  describe('negations', () => {
    it.each([
      ['! -s 10.0.0.0/8 ! -d 10.96.0.1', '! -s 10.0.0.0/8 ! -d 10.96.0.1/32'],
      ['! -i eth+ ! -o veth0', '! -i eth+ ! -o veth0'],
      ['! -p tcp', '! -p tcp'],
      ['! -f', '! -f'],
      ['-p tcp ! --dport 80 ! --sport 1:1024', '-p tcp -m tcp ! --sport 1:1024 ! --dport 80'],
      ['-p tcp ! --syn', '-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN'],
      ['-m mark ! --mark 0x4000/0x4000', '-m mark ! --mark 0x4000/0x4000'],
      ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT'],
      ['-m addrtype ! --dst-type LOCAL --src-type UNICAST', '-m addrtype --src-type UNICAST ! --dst-type LOCAL'],
      ['-m recent ! --rcheck --name x', '-m recent ! --rcheck --name x --mask 255.255.255.255 --rsource'],
      ['-m statistic --mode random ! --probability 0.25', '-m statistic --mode random ! --probability 0.25000000000'],
      ['-p udp -m multiport ! --dports 53,54', '-p udp -m multiport ! --dports 53,54'],
    ])('%s', (input, output) => {
      expect(saved(input)).toBe(output);
    });

    it('refuses "!" where iptables does, in its words', () => {
      expect(error(() => saved('! ! -s 1.2.3.4')).message).toBe('line 1: multiple consecutive "!" are not allowed');
      expect(error(() => saved('! -m tcp')).message).toBe('line 1: unexpected "!" before -m');
      expect(error(() => saved('-m comment ! --comment x')).message).toBe('line 1: comment: option "--comment" cannot be inverted.');
      expect(error(() => saved('-m comment ! --comm x')).message).toBe('line 1: comment: option "--comment" cannot be inverted.');
      expect(error(() => saved('-s 1.2.3.4 !')).message).toBe('line 1: "!" at the end of the rule');
      expect(error(() => saved('! -s 0.0.0.0/0')).message).toMatch(/^line 1: "! -s 0.0.0.0\/0" would match nothing/);
    });
  });
});
