import { actions, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -p tcp --dport 5001 -j CT --notrack',
  '-A PREROUTING -p tcp --dport 5002 -j NOTRACK',
  '-A PREROUTING -p tcp --dport 80 -j CT --zone 5 --helper ftp',
  '-A PREROUTING -p tcp --dport 81 -j CT --ctevents destroy,new --expevents new --zone-orig mark',
  '-A PREROUTING -p tcp --dport 82 -j CT --zone 1 --zone-reply 7 --timeout slow',
  '-A PREROUTING -p tcp --dport 83 -j CT --zone 0',
  'COMMIT',
  '',
].join('\n');

describe('CT and NOTRACK', () => {
  it('--notrack and NOTRACK leave the packet untracked', () => {
    expect(only(RULES, fromOutside(5001)).conntrack.state).toBe('UNTRACKED');
    expect(only(RULES, fromOutside(5002)).conntrack.state).toBe('UNTRACKED');
  });

  it('zones, helpers, events and timeouts change nothing traced: the step names them', () => {
    const o = only(RULES, fromOutside(80));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(o.conntrack.state).toBe('NEW');
    expect(actions(o)).toContain(
      'CT: conntrack zone 5 (one connection table is kept: a zone does not change the path); helper ftp (payload is not simulated: it opens no related connection)',
    );
    expect(actions(only(RULES, fromOutside(81)))[0]).toMatch(/^CT: conntrack zone from the packet mark \(original direction\)/);
    expect(actions(only(RULES, fromOutside(83)))[0]).toBe('CT');
  });

  it('prints options in the order iptables-save 1.8.9 does (events in kernel order; the last zone option gives the number)', () => {
    expect(saved(RULES)).toEqual([
      '-A PREROUTING -p tcp -m tcp --dport 5001 -j CT --notrack',
      '-A PREROUTING -p tcp -m tcp --dport 5002 -j NOTRACK',
      '-A PREROUTING -p tcp -m tcp --dport 80 -j CT --helper ftp --zone 5',
      '-A PREROUTING -p tcp -m tcp --dport 81 -j CT --ctevents new,destroy --expevents new --zone-orig mark',
      '-A PREROUTING -p tcp -m tcp --dport 82 -j CT --zone-reply 7 --timeout slow',
      '-A PREROUTING -p tcp -m tcp --dport 83 -j CT',
    ]);
  });

  it('refuses bad values and other tables', () => {
    expect(() => saved('*raw\n-A PREROUTING -j CT --zone 65536\nCOMMIT\n')).toThrow('CT: cannot parse "65536" as a zone ID');
    expect(() => saved('*raw\n-A PREROUTING -j CT --ctevents new,bogus\nCOMMIT\n')).toThrow('CT: unknown event type "bogus"');
    expect(() => saved('*mangle\n-A PREROUTING -j CT --notrack\nCOMMIT\n')).toThrow('target "CT" is only valid in the raw table');
  });
});
