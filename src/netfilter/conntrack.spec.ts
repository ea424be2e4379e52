import { ManualClock } from '../common/clock';
import { tryParseIPv4 } from '../common/ipv4';
import { CONNTRACK_TIMEOUTS, ConnectionTracker, invertTuple, newConnectionState, type Tuple } from './conntrack';
import { applyMapping, chooseMapping, jhash2, rangeAddress } from './nat';
import { SeededRandom } from '../common/random';
import { TCP_FLAGS, type NatAction } from './types';

const ip = (text: string): number => tryParseIPv4(text)!;
const tuple = (src: string, sport: number, dst: string, dport: number, protocol: Tuple['protocol'] = 'tcp'): Tuple => ({
  protocol,
  source: ip(src),
  sourcePort: sport,
  destination: ip(dst),
  destinationPort: dport,
});

describe('ConnectionTracker', () => {
  it('counts every change of the table in its revision, and nothing else', () => {
    const clock = new ManualClock();
    const ct = new ConnectionTracker({ clock });
    const seen: number[] = [ct.revision];
    const note = () => seen.push(ct.revision);
    const c = ct.create(tuple('10.0.0.1', 1000, '10.0.0.2', 80), 'SYN_SENT');
    note(); // made, not confirmed: no change
    ct.confirm(c);
    note();
    ct.find(c.original);
    ct.lookup(c.original);
    ct.list();
    note(); // read: no change
    ct.update(c, 'reply', TCP_FLAGS.SYN | TCP_FLAGS.ACK);
    note();
    clock.advance(200_000);
    ct.lookup(c.original); // expired: removed when looked at
    note();
    ct.flush();
    note();
    expect(seen).toEqual([0, 0, 1, 1, 2, 3, 4]);
  });

  it('finds a confirmed connection by either tuple, in its direction', () => {
    const clock = new ManualClock();
    const ct = new ConnectionTracker({ clock });
    const c = ct.create(tuple('10.0.0.1', 1000, '10.96.0.1', 80), 'SYN_SENT');
    applyMapping(c, 'DST', { address: ip('10.244.1.5'), port: 8080, portRandom: false });
    c.dnat = true;
    expect(ct.lookup(c.original)).toBeUndefined(); // not confirmed yet
    expect(ct.confirm(c)).toBe(true);
    expect(ct.lookup(tuple('10.0.0.1', 1000, '10.96.0.1', 80))).toEqual({ connection: c, direction: 'original' });
    expect(ct.lookup(tuple('10.244.1.5', 8080, '10.0.0.1', 1000))).toEqual({ connection: c, direction: 'reply' });
    expect(ct.lookup(tuple('10.96.0.1', 80, '10.0.0.1', 1000))).toBeUndefined();
    // A second connection whose reply tuple clashes is refused.
    const d = ct.create(tuple('10.0.0.1', 1000, '10.96.0.2', 80), 'SYN_SENT');
    applyMapping(d, 'DST', { address: ip('10.244.1.5'), port: 8080, portRandom: false });
    expect(ct.confirm(d)).toBe(false);
  });

  it('moves TCP through its states with the kernel timeouts', () => {
    const clock = new ManualClock();
    const ct = new ConnectionTracker({ clock });
    const c = ct.create(tuple('10.0.0.1', 1000, '10.0.0.2', 80), 'SYN_SENT');
    ct.confirm(c);
    expect(ct.list()[0]).toMatchObject({ state: 'SYN_SENT', timeout: 120, flags: ['UNREPLIED'] });
    ct.update(c, 'reply', TCP_FLAGS.SYN | TCP_FLAGS.ACK);
    expect(ct.list()[0]).toMatchObject({ state: 'SYN_RECV', timeout: 60, flags: [] });
    ct.update(c, 'original', TCP_FLAGS.ACK);
    expect(ct.list()[0]).toMatchObject({ state: 'ESTABLISHED', timeout: 432000, flags: ['ASSURED'] });
    ct.update(c, 'original', TCP_FLAGS.FIN | TCP_FLAGS.ACK);
    expect(ct.list()[0]).toMatchObject({ state: 'FIN_WAIT', timeout: 120 });
    ct.update(c, 'reply', TCP_FLAGS.FIN | TCP_FLAGS.ACK);
    expect(ct.list()[0]).toMatchObject({ state: 'LAST_ACK', timeout: 30 });
    ct.update(c, 'original', TCP_FLAGS.ACK);
    expect(ct.list()[0]).toMatchObject({ state: 'TIME_WAIT', timeout: 120 });
    ct.update(c, 'original', TCP_FLAGS.RST);
    expect(ct.list()[0]).toMatchObject({ state: 'CLOSE', timeout: 10 });
    clock.advance(10001);
    expect(ct.list()).toEqual([]);
    expect(ct.lookup(c.original)).toBeUndefined();
    expect(ct.size).toBe(0);
  });

  it('knows which packets may start a connection', () => {
    expect(newConnectionState('tcp', TCP_FLAGS.SYN).ctstate).toBe('NEW');
    expect(newConnectionState('tcp', TCP_FLAGS.ACK)).toEqual({ ctstate: 'NEW', state: 'ESTABLISHED' }); // tcp_loose
    for (const f of [TCP_FLAGS.RST, TCP_FLAGS.SYN | TCP_FLAGS.ACK, TCP_FLAGS.FIN, 0]) expect(newConnectionState('tcp', f).ctstate).toBe('INVALID');
    expect(newConnectionState('udp', 0).ctstate).toBe('NEW');
    expect(newConnectionState('icmp', 0, 8).ctstate).toBe('NEW');
    expect(newConnectionState('icmp', 0, 3).ctstate).toBe('INVALID');
    expect(CONNTRACK_TIMEOUTS.udpUnreplied).toBe(30);
  });

  it('drops the oldest unreplied connection when full, else refuses', () => {
    const clock = new ManualClock();
    const ct = new ConnectionTracker({ clock, maxEntries: 2 });
    const a = ct.create(tuple('10.0.0.1', 1, '10.0.0.9', 53, 'udp'), 'UNREPLIED');
    const b = ct.create(tuple('10.0.0.2', 1, '10.0.0.9', 53, 'udp'), 'UNREPLIED');
    ct.confirm(a);
    ct.confirm(b);
    ct.update(b, 'reply', 0);
    ct.update(b, 'original', 0);
    const c = ct.create(tuple('10.0.0.3', 1, '10.0.0.9', 53, 'udp'), 'UNREPLIED');
    expect(ct.confirm(c)).toBe(true);
    expect(ct.connections()).toEqual([b, c]);
    ct.update(c, 'reply', 0);
    ct.update(c, 'original', 0);
    expect(ct.confirm(ct.create(tuple('10.0.0.4', 1, '10.0.0.9', 53, 'udp'), 'UNREPLIED'))).toBe(false);
  });

  it('prints conntrack -L lines', () => {
    const ct = new ConnectionTracker({ clock: new ManualClock() });
    const c = ct.create(tuple('10.0.0.1', 5353, '10.96.0.10', 53, 'udp'), 'UNREPLIED');
    applyMapping(c, 'DST', { address: ip('10.244.0.3'), port: 53, portRandom: false });
    ct.confirm(c);
    expect(ct.list()[0].text).toBe(
      'udp      17 30 src=10.0.0.1 dst=10.96.0.10 sport=5353 dport=53 [UNREPLIED] src=10.244.0.3 dst=10.0.0.1 sport=53 dport=5353 mark=0 use=1',
    );
  });
});

describe('NAT mapping choice', () => {
  const dnat = (minAddress: string, maxAddress: string, ports?: [number, number], flags: Partial<NatAction> = {}): NatAction => ({
    type: 'DNAT',
    range: { minAddress: ip(minAddress), maxAddress: ip(maxAddress), minPort: ports?.[0], maxPort: ports?.[1] },
    random: false,
    randomFully: false,
    persistent: false,
    ...flags,
  });
  const free = () => false;

  it('jhash2 is lookup3 hashword', () => {
    expect(jhash2([], 0)).toBe(0xdeadbeef);
    expect(jhash2([], 1)).toBe(0xdeadbef0);
    // Deterministic, spread, and sensitive to every word and the seed.
    const h = jhash2([1, 0, 0, 0], 5);
    expect(jhash2([1, 0, 0, 0], 5)).toBe(h);
    expect(jhash2([2, 0, 0, 0], 5)).not.toBe(h);
    expect(jhash2([1, 0, 0, 1], 5)).not.toBe(h);
    expect(jhash2([1, 0, 0, 0], 6)).not.toBe(h);
  });

  it('a single address is taken as is; a range by hash of the source, the same for the same client', () => {
    const t = tuple('203.0.113.5', 40000, '192.168.0.2', 8080);
    expect(chooseMapping(dnat('10.0.0.1', '10.0.0.1'), 'DST', t, free, undefined)).toEqual({ address: ip('10.0.0.1'), port: 8080, portRandom: false });
    const a = rangeAddress(ip('10.0.0.1'), ip('10.0.0.3'), t, false);
    expect(a).toBeGreaterThanOrEqual(ip('10.0.0.1'));
    expect(a).toBeLessThanOrEqual(ip('10.0.0.3'));
    expect(rangeAddress(ip('10.0.0.1'), ip('10.0.0.3'), { ...t, sourcePort: 1 }, false)).toBe(a);
    const seen = new Set<number>();
    for (let i = 0; i < 64; i++) seen.add(Number(rangeAddress(ip('10.0.0.1'), ip('10.0.0.3'), tuple(`203.0.113.${i}`, 1, '192.168.0.2', 80), false)));
    expect(seen.size).toBe(3);
  });

  it('ports: kept inside the range, else the start of the range; --random draws', () => {
    const t = tuple('203.0.113.5', 40000, '192.168.0.2', 8085);
    expect(chooseMapping(dnat('10.0.0.1', '10.0.0.1', [8080, 8090]), 'DST', t, free, undefined).port).toBe(8085);
    expect(chooseMapping(dnat('10.0.0.1', '10.0.0.1', [9000, 9010]), 'DST', t, free, undefined).port).toBe(9000);
    const drawn = chooseMapping(dnat('10.0.0.1', '10.0.0.1', [9000, 9010], { random: true }), 'DST', t, free, new SeededRandom(3));
    expect(drawn.port).toBeGreaterThanOrEqual(9000);
    expect(drawn.port).toBeLessThanOrEqual(9010);
    expect(drawn.portRandom).toBe(true);
  });

  it('a source NAT keeps the port when free, else searches the same port class', () => {
    const t = tuple('10.244.1.5', 40000, '8.8.8.8', 53, 'udp');
    const masq: NatAction = { type: 'MASQUERADE', range: {}, random: false, randomFully: false, persistent: false };
    expect(chooseMapping(masq, 'SRC', t, free, undefined, ip('192.168.0.2'))).toEqual({ address: ip('192.168.0.2'), port: 40000, portRandom: false });
    const taken = (reply: Tuple) => reply.destinationPort === 40000;
    const moved = chooseMapping(masq, 'SRC', t, taken, new SeededRandom(1), ip('192.168.0.2'));
    expect(moved.port).toBeGreaterThanOrEqual(1024);
    expect(moved.port).not.toBe(40000);
    const low = chooseMapping(masq, 'SRC', { ...t, sourcePort: 700 }, (r) => r.destinationPort === 700, new SeededRandom(1), ip('192.168.0.2'));
    expect(low.port).toBeGreaterThanOrEqual(600);
    expect(low.port).toBeLessThanOrEqual(1023);
    expect(invertTuple(invertTuple(t))).toEqual(t);
  });
});
