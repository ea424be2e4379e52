import { actions, fromHost, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80',
  '-A PREROUTING -p tcp --dport 9000 -j REDIRECT',
  '-A PREROUTING -p tcp --dport 9100:9200 -j REDIRECT --to-ports 81-82 --random',
  '-A OUTPUT -p tcp -d 203.0.113.9 -j REDIRECT --to-ports 15001',
  'COMMIT',
  '',
].join('\n');

describe('REDIRECT', () => {
  it('sends an arriving packet to the primary address of its in-interface, on --to-ports', () => {
    const o = only(RULES, fromOutside(8080));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', dnat: '192.168.0.2:80' });
    expect(actions(o)).toContain('REDIRECT to 192.168.0.2:80');
    // eth0's secondary 192.168.0.9 is never chosen, even for a packet sent to it.
    expect(only(RULES, fromOutside(8080, { destination: '192.168.0.9' })).dnat).toBe('192.168.0.2:80');
    expect(only(RULES, fromOutside(8080, { inInterface: 'cni0', source: '10.180.0.5' })).dnat).toBe('10.180.0.254:80');
  });

  it('keeps the port without --to-ports, and picks within a range', () => {
    expect(only(RULES, fromOutside(9000)).dnat).toBe('192.168.0.2:9000');
    expect(only(RULES, fromOutside(9150)).dnat).toMatch(/^192\.168\.0\.2:8[12]$/);
  });

  it('sends a locally generated packet to 127.0.0.1', () => {
    const o = only(RULES, fromHost('203.0.113.9', 443));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', dnat: '127.0.0.1:15001' });
  });

  it('leaves other packets alone', () => {
    expect(only(RULES, fromOutside(22)).dnat).toBeNull();
  });

  it('prints as iptables-save does, and refuses what iptables refuses', () => {
    expect(saved(RULES)).toEqual([
      '-A PREROUTING -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 80',
      '-A PREROUTING -p tcp -m tcp --dport 9000 -j REDIRECT',
      '-A PREROUTING -p tcp -m tcp --dport 9100:9200 -j REDIRECT --to-ports 81-82 --random',
      '-A OUTPUT -d 203.0.113.9/32 -p tcp -j REDIRECT --to-ports 15001',
    ]);
    expect(() => saved('*nat\n-A PREROUTING -j REDIRECT --to-ports 80\nCOMMIT\n')).toThrow('REDIRECT: a port needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"');
    expect(() => saved('*filter\n-A INPUT -p tcp -j REDIRECT\nCOMMIT\n')).toThrow('target "REDIRECT" is only valid in the nat table');
    expect(() => saved('*nat\n-A POSTROUTING -p tcp -j REDIRECT\nCOMMIT\n')).toThrow(/REDIRECT/);
  });
});
