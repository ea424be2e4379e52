/** TTL, DSCP, TCPMSS and CHECKSUM. */
import { actions, fromHost, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 80 -j TTL --ttl-set 1',
  '-A PREROUTING -p tcp --dport 81 -j TTL --ttl-dec 70',
  '-A PREROUTING -p tcp --dport 82 -j TTL --ttl-inc 250',
  '-A PREROUTING -p tcp --dport 82 -j DSCP --set-dscp-class EF',
  '-A PREROUTING -p tcp --dport 83 -j DSCP --set-dscp 10',
  '-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  '-A POSTROUTING -p tcp --dport 84 -j TCPMSS --set-mss 1200',
  '-A POSTROUTING -p udp --dport 68 -j CHECKSUM --checksum-fill',
  'COMMIT',
  '',
].join('\n');

const toPodNet = (port: number) => fromOutside(port, { destination: '203.0.113.77', inInterface: 'cni0', source: '10.180.0.5' });

describe('TTL', () => {
  it('--ttl-set 1 stops forwarding (the TTL would expire), not local delivery', () => {
    expect(only(RULES, toPodNet(80))).toMatchObject({ verdict: 'DROP', reason: 'ttl-exceeded' });
    expect(only(RULES, fromOutside(80))).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(actions(only(RULES, fromOutside(80)))).toContain('TTL: TTL unset -> 1');
  });

  it('decrements stop at 0 and increments at 255 (from the default 64)', () => {
    expect(only(RULES, fromOutside(81)).packet.ttl).toBe(0);
    expect(only(RULES, fromOutside(82)).packet.ttl).toBe(255);
    expect(only(RULES, fromOutside(81, { ttl: 100 })).packet.ttl).toBe(30);
  });

  it('refuses what iptables refuses', () => {
    expect(() => saved('*mangle\n-A INPUT -j TTL --ttl-dec 0\nCOMMIT\n')).toThrow('TTL: bad value for option "--ttl-dec", or out of range (1-255)');
    expect(() => saved('*mangle\n-A INPUT -j TTL\nCOMMIT\n')).toThrow('TTL: you must specify an action');
    expect(() => saved('*filter\n-A INPUT -j TTL --ttl-set 5\nCOMMIT\n')).toThrow('target "TTL" is only valid in the mangle table');
  });
});

describe('DSCP', () => {
  it('writes the upper six bits of the TOS byte', () => {
    expect(only(RULES, fromOutside(82)).packet.tos).toBe(46 << 2);
    expect(only(RULES, fromOutside(83)).packet.tos).toBe(10 << 2);
    expect(actions(only(RULES, fromOutside(83)))).toContain('DSCP: TOS 0x0 -> 0x28; DSCP 10');
  });

  it('prints both forms as --set-dscp 0xNN and refuses unknown classes', () => {
    expect(saved(RULES).filter((l) => l.includes('DSCP'))).toEqual([
      '-A PREROUTING -p tcp -m tcp --dport 82 -j DSCP --set-dscp 0x2e',
      '-A PREROUTING -p tcp -m tcp --dport 83 -j DSCP --set-dscp 0x0a',
    ]);
    expect(() => saved('*mangle\n-A INPUT -j DSCP --set-dscp-class XX\nCOMMIT\n')).toThrow("Invalid DSCP value `XX'");
    expect(() => saved('*mangle\n-A INPUT -j DSCP --set-dscp 64\nCOMMIT\n')).toThrow('out of range (0-63)');
  });
});

describe('TCPMSS and CHECKSUM', () => {
  it('record the rewrite in the step (the packet model has no TCP options or checksums); the packet goes on', () => {
    const forwarded = only(RULES, toPodNet(443));
    expect(forwarded).toMatchObject({ verdict: 'ACCEPT', delivery: 'forward', outInterface: 'eth0' });
    expect(actions(forwarded)).toContain('TCPMSS: MSS option clamped to 8960 (MTU 9000 of eth0 minus 40) if larger (TCP options are not simulated)');
    expect(actions(only(RULES, fromHost('203.0.113.5', 84)))).toContain('TCPMSS: MSS option lowered to 1200 if larger (TCP options are not simulated)');
    expect(actions(only(RULES, fromHost('203.0.113.5', 68, { protocol: 'udp' })))).toContain(
      'CHECKSUM: checksum filled in (checksums are not simulated), continue',
    );
  });

  it('refuse what iptables and the kernel refuse', () => {
    expect(() => saved('*mangle\n-A FORWARD -j TCPMSS --set-mss 1400\nCOMMIT\n')).toThrow('TCPMSS: only valid with "-p tcp"');
    expect(() => saved('*mangle\n-A PREROUTING -p tcp -j TCPMSS --clamp-mss-to-pmtu\nCOMMIT\n')).toThrow(/TCPMSS/);
    expect(() => saved('*mangle\n-A FORWARD -p tcp -j TCPMSS\nCOMMIT\n')).toThrow('TCPMSS target: At least one parameter is required');
    expect(() => saved('*mangle\n-A INPUT -j CHECKSUM\nCOMMIT\n')).toThrow('CHECKSUM: option "--checksum-fill" must be specified');
    expect(() => saved('*filter\n-A INPUT -j CHECKSUM --checksum-fill\nCOMMIT\n')).toThrow('target "CHECKSUM" is only valid in the mangle table');
  });
});
