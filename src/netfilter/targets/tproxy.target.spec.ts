import { actions, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 8080 -j TPROXY --on-port 80 --tproxy-mark 0x1/0x1',
  '-A PREROUTING -p udp --dport 53 -j TPROXY --on-ip 127.0.0.1 --on-port 0',
  'COMMIT',
  '',
].join('\n');

describe('TPROXY', () => {
  it('drops, as the kernel does with no transparent socket listening; the step says where one would have to', () => {
    const o = only(RULES, fromOutside(8080));
    expect(o.verdict).toBe('DROP');
    expect(actions(o).at(-1)).toBe(
      'DROP: no transparent socket listens on 192.168.0.2:80 (kube-netsim models no sockets): the kernel drops the packet; a proxy there would take it, with mark 0x1/0x1',
    );
    expect(actions(only(RULES, fromOutside(53, { protocol: 'udp' }))).at(-1)).toMatch(/listens on 127\.0\.0\.1:53 /);
    expect(only(RULES, fromOutside(22)).verdict).toBe('ACCEPT');
  });

  it('prints all three options, as iptables-save 1.8.9 does, and refuses what it refuses', () => {
    expect(saved(RULES)).toEqual([
      '-A PREROUTING -p tcp -m tcp --dport 8080 -j TPROXY --on-port 80 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1',
      '-A PREROUTING -p udp -m udp --dport 53 -j TPROXY --on-port 0 --on-ip 127.0.0.1 --tproxy-mark 0x0/0x0',
    ]);
    expect(() => saved('*mangle\n-A PREROUTING -p tcp -j TPROXY --on-ip 1.2.3.4\nCOMMIT\n')).toThrow('TPROXY: option "--on-port" must be specified');
    expect(() => saved('*mangle\n-A PREROUTING -j TPROXY --on-port 80\nCOMMIT\n')).toThrow('TPROXY: can be used only with "-p tcp" or "-p udp"');
    expect(() => saved('*mangle\n-A INPUT -p tcp -j TPROXY --on-port 80\nCOMMIT\n')).toThrow(/TPROXY/);
    expect(() => saved('*filter\n-A INPUT -p tcp -j TPROXY --on-port 80\nCOMMIT\n')).toThrow('target "TPROXY" is only valid in the mangle table');
  });
});
