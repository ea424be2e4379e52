import { detectDumpFamily } from './dump-family';

describe('detectDumpFamily', () => {
  it.each([
    ['-A INPUT -s 10.0.0.0/8 -j ACCEPT', 'ipv4'],
    ['-A INPUT -s fd00::/64 -j ACCEPT', 'ipv6'],
    ['-A KUBE-SERVICES -m comment --comment "x" -d fd00:10:96::1 -p tcp --dport 80 -j KUBE-SVC-X', 'ipv6'],
    ['-A KUBE-SEP-X -p tcp -j DNAT --to-destination [fd00:10:244::5]:80', 'ipv6'],
    ['-A KUBE-SEP-X -p tcp -j DNAT --to-destination 10.244.0.5:80', 'ipv4'],
    ['-A INPUT -p ipv6-icmp -j ACCEPT', 'ipv6'],
    ['-A INPUT -m hl --hl-eq 255 -j ACCEPT', 'ipv6'],
    ['-A INPUT -j REJECT --reject-with icmp6-adm-prohibited', 'ipv6'],
    ['-A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT', undefined],
    ['-A INPUT -m comment --comment "-s fd00::1" -j ACCEPT', undefined],
    ['-A INPUT -m comment --comment "-s fd00::1" -s 10.0.0.1 -j ACCEPT', 'ipv4'],
  ] as const)('%s is %s', (rule, family) => {
    expect(detectDumpFamily(`*filter\n${rule}\nCOMMIT\n`)).toBe(family);
  });

  it('takes the first address: a dump that mixes families is then refused by the parser at the other one', () => {
    expect(detectDumpFamily('*filter\n-A INPUT -s fd00::1 -j ACCEPT\n-A INPUT -s 10.0.0.1 -j ACCEPT\nCOMMIT\n')).toBe('ipv6');
  });
});
