/**
 * How iptables-save (1.8.9, nf_tables) normalises rules. Every expected line
 * here was printed by the real tool for the given input.
 */
import { printIptablesSave, writeIptablesSave } from './iptables-save.printer';
import { parseRuleset } from './iptables-text.parser';
import { formatFixedProbability, probabilityToFixed } from './matches/statistic.match';

function saved(spec: string, table = 'filter'): string {
  const text = printIptablesSave(parseRuleset(`*${table}\n:T - [0:0]\n-A T ${spec}\nCOMMIT\n`), { comments: false });
  return text.split('\n').find((l) => l.startsWith('-A T'))!.slice('-A T '.length);
}

describe('iptables-save printer', () => {
  describe('statistic probabilities, from the kernel fixed-point value', () => {
    it.each([
      ['0.5000000000', '0.50000000000'],
      ['0.3333333333', '0.33333333349'],
      ['0.2500000000', '0.25000000000'],
      ['0.2000000000', '0.20000000019'],
      ['0.1666666667', '0.16666666651'],
      ['0.1428571429', '0.14285714272'],
      ['0.1250000000', '0.12500000000'],
      ['0.1111111111', '0.11111111101'],
      ['0.1000000000', '0.10000000009'],
      ['0.0100000000', '0.00999999978'],
      ['0.0000099999', '0.00001000008'],
      ['1', '1.00000000000'],
      ['0', '0.00000000000'],
      ['.5', '0.50000000000'],
      ['1e-1', '0.10000000009'],
      // exact ties at the 11th decimal round to even, as printf does
      ['0.000244140625', '0.00024414062'],
      ['0.000732421875', '0.00073242188'],
    ])('%s -> %s', (input, output) => {
      expect(saved(`-m statistic --mode random --probability ${input}`)).toBe(
        `-m statistic --mode random --probability ${output}`,
      );
      expect(formatFixedProbability(probabilityToFixed(input)!)).toBe(output);
    });
  });

  describe('MARK, always as --set-xmark', () => {
    it.each([
      ['--or-mark 0x00004000', '0x4000/0x4000'],
      ['--xor-mark 0x4000', '0x4000/0x0'],
      ['--and-mark 0xffffbfff', '0x0/0x4000'],
      ['--and-mark 0', '0x0/0xffffffff'],
      ['--set-mark 1', '0x1/0xffffffff'],
      ['--set-mark 0x4000/0x4000', '0x4000/0x4000'],
      ['--set-mark 010', '0x8/0xffffffff'],
      ['--set-xmark 0x4000', '0x4000/0xffffffff'],
      ['--set-xmark 0x10/0x30', '0x10/0x30'],
    ])('%s', (input, output) => {
      expect(saved(`-j MARK ${input}`, 'mangle')).toBe(`-j MARK --set-xmark ${output}`);
    });

    it('prints -m mark values in hex, with the mask only when not all ones', () => {
      expect(saved('-m mark --mark 5')).toBe('-m mark --mark 0x5');
      expect(saved('-m mark --mark 16384/0xffffffff')).toBe('-m mark --mark 0x4000');
      expect(saved('-m mark --mark 0x1/0xff')).toBe('-m mark --mark 0x1/0xff');
    });
  });

  describe('addresses, interfaces, protocols', () => {
    it.each([
      ['-s 10.0.0.1', '-s 10.0.0.1/32'],
      ['-d 10.1.2.3/16', '-d 10.1.0.0/16'],
      ['-s 10.0.0.0/255.255.0.0', '-s 10.0.0.0/16'],
      ['-s 10.0.0.0/255.0.255.0', '-s 10.0.0.0/255.0.255.0'],
      ['-s 0.0.0.0/0', ''],
      ['-s 10.0.0.01', '-s 10.0.0.1/32'],
      ['-s 10.1', '-s 10.1.0.0/32'],
      ['-i +', ''],
      ['-i eth+0', '-i eth+0'],
      ['-p 6', '-p tcp'],
      ['-p TCP', '-p tcp'],
      ['-p all', ''],
      ['-p 47', '-p gre'],
      ['-p icmpv6', '-p ipv6-icmp'],
      ['-p 255', '-p 255'],
      ['-j ACCEPT -d 1.2.3.4 -p udp -o x -s 5.6.7.8 -i y', '-s 5.6.7.8/32 -d 1.2.3.4/32 -i y -o x -p udp -j ACCEPT'],
    ])('%s -> %j', (input, output) => {
      expect(saved(input)).toBe(output);
    });
  });

  describe('protocol matches', () => {
    it.each([
      ['-p tcp --dport :1024', '-p tcp -m tcp --dport 0:1024'],
      ['-p tcp --dport 1024:', '-p tcp -m tcp --dport 1024:65535'],
      ['-p tcp --dport 0:65535', '-p tcp -m tcp'],
      ['-p tcp --dport 1:1', '-p tcp -m tcp --dport 1'],
      ['-p tcp --dport http', '-p tcp -m tcp --dport 80'],
      ['-p tcp --dport 0x10', '-p tcp -m tcp --dport 16'],
      ['-p tcp --tcp-flags ALL NONE', '-p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE'],
      ['-p tcp --tcp-flags syn,ack syn', '-p tcp -m tcp --tcp-flags SYN,ACK SYN'],
      ['-p icmp --icmp-type echo-request', '-p icmp -m icmp --icmp-type 8'],
      ['-p icmp --icmp-type port-unreachable', '-p icmp -m icmp --icmp-type 3/3'],
      ['-p icmp --icmp-type 255', '-p icmp -m icmp --icmp-type any'],
      ['-p sctp --dport 1 -m comment --comment y -m sctp --sport 2', '-p sctp -m sctp --dport 1 -m comment --comment y -m sctp --sport 2'],
      ['-p tcp -m multiport --destination-ports 5', '-p tcp -m multiport --dports 5'],
    ])('%s', (input, output) => {
      expect(saved(input)).toBe(output);
    });

    it('folds the tcp and udp port tests of one rule into the first, as nf_tables stores them natively', () => {
      expect(saved('-p tcp --dport 1 -m comment --comment y -m tcp --sport 2')).toBe(
        '-p tcp -m tcp --sport 2 --dport 1 -m comment --comment y',
      );
      expect(saved('-p tcp -m tcp --dport 1 -m tcp --dport 2')).toBe('-p tcp -m tcp --dport 2');
      expect(saved('-p tcp --tcp-flags SYN SYN -m comment --comment y -m tcp --dport 1')).toBe(
        '-p tcp -m tcp --dport 1 --tcp-flags SYN SYN -m comment --comment y',
      );
      // a bare -m tcp is not folded
      expect(saved('-p tcp -m tcp -m comment --comment y -m tcp --dport 5')).toBe('-p tcp -m tcp -m comment --comment y -m tcp --dport 5');
    });
  });

  describe('other modules print their options in a fixed order', () => {
    it.each([
      ['-m recent --name KUBE-SEP-X --set', '-m recent --set --name KUBE-SEP-X --mask 255.255.255.255 --rsource'],
      [
        '-m recent --name KUBE-SEP-X --rcheck --seconds 10800 --reap',
        '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-X --mask 255.255.255.255 --rsource',
      ],
      ['-m recent --rcheck', '-m recent --rcheck --name DEFAULT --mask 255.255.255.255 --rsource'],
      ['-m recent --update --hitcount 0', '-m recent --update --name DEFAULT --mask 255.255.255.255 --rsource'],
      ['-m recent --remove --rdest --name n', '-m recent --remove --name n --mask 255.255.255.255 --rdest'],
      ['-m conntrack --ctstate ESTABLISHED,RELATED', '-m conntrack --ctstate RELATED,ESTABLISHED'],
      ['-m conntrack --ctstate dnat,untracked,INVALID,SNAT,NEW', '-m conntrack --ctstate INVALID,NEW,UNTRACKED,SNAT,DNAT'],
      ['-m state --state ESTABLISHED,RELATED', '-m state --state RELATED,ESTABLISHED'],
      ['-m addrtype --dst-type local', '-m addrtype --dst-type LOCAL'],
      ['-m addrtype --src-type LOCAL --limit-iface-out', '-m addrtype --src-type LOCAL --limit-iface-out'],
      ['-m physdev --physdev-is-bridged --physdev-out veth+', '-m physdev --physdev-out veth+ --physdev-is-bridged'],
      ['-m nfacct --nfacct-name ct_state_invalid_dropped_pkts', '-m nfacct --nfacct-name  ct_state_invalid_dropped_pkts'],
      ['-m statistic --probability 0.25 --mode random', '-m statistic --mode random --probability 0.25000000000'],
      ['-m statistic --mode nth ! --every 3 --packet 1', '-m statistic --mode nth ! --every 3 --packet 1'],
      ['-j LOG --log-level 4', '-j LOG'],
      ['-j LOG --log-level debug --log-uid --log-prefix "x y" --log-tcp-sequence', '-j LOG --log-prefix "x y" --log-level 7 --log-tcp-sequence --log-uid'],
      ['-j REJECT', '-j REJECT --reject-with icmp-port-unreachable'],
      ['-j REJECT --reject-with host-prohib', '-j REJECT --reject-with icmp-host-prohibited'],
      ['-j CONNMARK --save-mark', '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
      ['-j CONNMARK --restore-mark --mask 0xff', '-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff'],
      ['-j CONNMARK --set-mark 1', '-j CONNMARK --set-xmark 0x1/0xffffffff'],
    ])('%s', (input, output) => {
      expect(saved(input)).toBe(output);
    });

    it.each([
      ['-p tcp -j DNAT --to-destination 10.244.1.2:80', '-p tcp -j DNAT --to-destination 10.244.1.2:80'],
      ['-p tcp -j DNAT --to-destination 10.244.1.2-10.244.1.2', '-p tcp -j DNAT --to-destination 10.244.1.2'],
      ['-j DNAT --to-destination 10.244.1.2 --persistent --random', '-j DNAT --to-destination 10.244.1.2 --random --persistent'],
      ['-p tcp -j DNAT --to-destination :80', '-p tcp -j DNAT --to-destination :80'],
      ['-j SNAT --to-source 1.2.3.4 --persistent --random-fully --random', '-j SNAT --to-source 1.2.3.4 --random --random-fully --persistent'],
      ['-p tcp -j MASQUERADE --random-fully --to-ports 1000 --random', '-p tcp -j MASQUERADE --to-ports 1000 --random --random-fully'],
    ])('nat: %s', (input, output) => {
      expect(saved(input, 'nat')).toBe(output);
    });
  });

  describe('layout', () => {
    const ruleset = parseRuleset(
      [
        '*nat',
        ':KUBE-SVC-2 - [0:0]',
        ':KUBE-SVC-10 - [0:0]',
        ':alpha - [0:0]',
        ':Alpha - [0:0]',
        ':_under - [0:0]',
        '-A KUBE-SVC-2 -j RETURN',
        '-A POSTROUTING -j alpha',
        '-A PREROUTING -j Alpha',
        'COMMIT',
        '*raw',
        '-A OUTPUT -j NOTRACK',
        'COMMIT',
        '*filter',
        ':INPUT DROP [0:0]',
        'COMMIT',
        '*mangle',
        ':X - [0:0]',
        'COMMIT',
      ].join('\n'),
    );

    it('prints tables in the order mangle, raw, filter, nat; built-in chains in hook order; user chains by strcmp', () => {
      expect(printIptablesSave(ruleset)).toBe(
        [
          '# Generated by kube-netsim',
          '*mangle',
          ':PREROUTING ACCEPT [0:0]',
          ':INPUT ACCEPT [0:0]',
          ':FORWARD ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ':POSTROUTING ACCEPT [0:0]',
          ':X - [0:0]',
          'COMMIT',
          '# Completed',
          '# Generated by kube-netsim',
          '*raw',
          ':PREROUTING ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          '-A OUTPUT -j NOTRACK',
          'COMMIT',
          '# Completed',
          '# Generated by kube-netsim',
          '*filter',
          ':INPUT DROP [0:0]',
          ':FORWARD ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          'COMMIT',
          '# Completed',
          '# Generated by kube-netsim',
          '*nat',
          ':PREROUTING ACCEPT [0:0]',
          ':INPUT ACCEPT [0:0]',
          ':OUTPUT ACCEPT [0:0]',
          ':POSTROUTING ACCEPT [0:0]',
          ':Alpha - [0:0]',
          ':KUBE-SVC-10 - [0:0]',
          ':KUBE-SVC-2 - [0:0]',
          ':_under - [0:0]',
          ':alpha - [0:0]',
          '-A PREROUTING -j Alpha',
          '-A POSTROUTING -j alpha',
          '-A KUBE-SVC-2 -j RETURN',
          'COMMIT',
          '# Completed',
          '',
        ].join('\n'),
      );
    });

    it('prints only the tables asked for, and streams in chunks', () => {
      expect(printIptablesSave(ruleset, { tables: ['raw'], comments: false })).toBe(
        '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j NOTRACK\nCOMMIT\n',
      );
      const chunks: string[] = [];
      writeIptablesSave(ruleset, (chunk) => chunks.push(chunk));
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.join('')).toBe(printIptablesSave(ruleset));
    });

    it('keeps the sorted chain list right across copies and small changes', () => {
      const copy = parseRuleset(printIptablesSave(ruleset));
      const nat = copy.table('nat')!;
      expect(nat.userChainNames()).toEqual(['Alpha', 'KUBE-SVC-10', 'KUBE-SVC-2', '_under', 'alpha']);
      const next = nat.clone();
      next.createChain('KUBE-SVC-1');
      next.createChain('B');
      next.flush('KUBE-SVC-2');
      next.deleteChain('KUBE-SVC-2');
      next.deleteChain('B');
      expect(next.userChainNames()).toEqual(['Alpha', 'KUBE-SVC-1', 'KUBE-SVC-10', '_under', 'alpha']);
      expect(nat.userChainNames()).toEqual(['Alpha', 'KUBE-SVC-10', 'KUBE-SVC-2', '_under', 'alpha']);
    });
  });
});
