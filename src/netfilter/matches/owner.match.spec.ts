/** `-m owner`: the sending socket's uid, gid and existence, in OUTPUT and POSTROUTING only. */
import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';

const HOST = Host.create({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
});

/** Rules in `chain` of filter (or nat POSTROUTING) that accept, with a DROP policy. */
function verdicts(rules: string, input: TraceInput): string[] {
  const e = new NetfilterEngine({ ruleset: parseRuleset(rules), host: HOST, clock: new ManualClock(), random: new SeededRandom(1) });
  return e.enumerate(input).map((o) => o.verdict);
}

const filterOutput = (rule: string) => `*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT ${rule} -j ACCEPT\nCOMMIT\n`;
const sent = (socket?: TraceInput['socket']): TraceInput => ({ hook: 'OUTPUT', protocol: 'tcp', sourcePort: 40000, destination: '203.0.113.9', destinationPort: 443, socket });
const forwarded: TraceInput = { hook: 'PREROUTING', inInterface: 'cni0', protocol: 'tcp', source: '10.180.0.9', sourcePort: 40000, destination: '203.0.113.9', destinationPort: 443 };

describe('-m owner', () => {
  it('tests the socket owner uid against a value or an inclusive range', () => {
    expect(verdicts(filterOutput('-m owner --uid-owner 1000'), sent({ uid: 1000 }))).toEqual(['ACCEPT']);
    expect(verdicts(filterOutput('-m owner --uid-owner 1000'), sent({ uid: 1001 }))).toEqual(['DROP']);
    expect(verdicts(filterOutput('-m owner --uid-owner 1000-1999'), sent({ uid: 1999 }))).toEqual(['ACCEPT']);
    expect(verdicts(filterOutput('-m owner ! --uid-owner 1000-1999'), sent({ uid: 2000 }))).toEqual(['ACCEPT']);
  });

  it('a socket is root\'s unless the trace says otherwise', () => {
    expect(verdicts(filterOutput('-m owner --uid-owner root --gid-owner 0'), sent())).toEqual(['ACCEPT']);
    expect(verdicts(filterOutput('-m owner --uid-owner 0'), sent({ gid: 5 }))).toEqual(['ACCEPT']);
  });

  it('--gid-owner tests the fsgid, and with --suppl-groups the supplementary groups too', () => {
    expect(verdicts(filterOutput('-m owner --gid-owner 27'), sent({ uid: 1000, gid: 1000, groups: [27] }))).toEqual(['DROP']);
    expect(verdicts(filterOutput('-m owner --gid-owner 27 --suppl-groups'), sent({ uid: 1000, gid: 1000, groups: [27] }))).toEqual(['ACCEPT']);
    expect(verdicts(filterOutput('-m owner ! --gid-owner 27 --suppl-groups'), sent({ uid: 1000, gid: 1000, groups: [27] }))).toEqual(['DROP']);
    expect(verdicts(filterOutput('-m owner --gid-owner 1000'), sent({ uid: 1000, gid: 1000 }))).toEqual(['ACCEPT']);
  });

  it('--socket-exists holds for every locally sent packet', () => {
    expect(verdicts(filterOutput('-m owner --socket-exists'), sent({ uid: 33 }))).toEqual(['ACCEPT']);
    expect(verdicts(filterOutput('-m owner ! --socket-exists'), sent({ uid: 33 }))).toEqual(['DROP']);
  });

  it('a forwarded packet has no socket: in POSTROUTING it matches only rules whose every test is negated', () => {
    const post = (rule: string) => `*mangle\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING ${rule} -j DROP\nCOMMIT\n`;
    expect(verdicts(post('-m owner ! --socket-exists'), forwarded)).toEqual(['DROP']);
    expect(verdicts(post('-m owner ! --uid-owner 0 ! --gid-owner 0'), forwarded)).toEqual(['DROP']);
    expect(verdicts(post('-m owner --socket-exists'), forwarded)).toEqual(['ACCEPT']);
    expect(verdicts(post('-m owner ! --uid-owner 0 --gid-owner 0'), forwarded)).toEqual(['ACCEPT']);
    expect(verdicts(post('-m owner --uid-owner 0'), sent())).toEqual(['DROP']);
  });

  it('is refused in a chain reachable from another hook than OUTPUT or POSTROUTING, as the kernel refuses it', () => {
    expect(() => parseRuleset('*filter\n-A INPUT -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n')).toThrow(
      '-m owner in chain "INPUT" is reachable from INPUT, but only allowed in OUTPUT, POSTROUTING',
    );
    expect(() => parseRuleset('*filter\n:X - [0:0]\n-A FORWARD -j X\n-A OUTPUT -j X\n-A X -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n')).toThrow(/reachable from FORWARD/);
    expect(() => parseRuleset('*filter\n:X - [0:0]\n-A OUTPUT -j X\n-A X -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n')).not.toThrow();
    expect(() => parseRuleset('*nat\n-A POSTROUTING -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n')).not.toThrow();
  });

  it('prints as iptables-save does: --socket-exists, uid, gid, --suppl-groups; names and one-id ranges as numbers', () => {
    const saved = (rule: string) => printIptablesSave(parseRuleset(`*filter\n-A OUTPUT ${rule}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
    expect(saved('-m owner --gid-owner nogroup --suppl-groups ! --uid-owner 1000-1000 ! --socket-exists -j ACCEPT')).toBe(
      '-A OUTPUT -m owner ! --socket-exists ! --uid-owner 1000 --gid-owner 65534 --suppl-groups -j ACCEPT',
    );
    expect(saved('-m owner --uid-owner 0x10-40 -j ACCEPT')).toBe('-A OUTPUT -m owner --uid-owner 16-40 -j ACCEPT');
  });

  it("refuses what iptables refuses, with its words", () => {
    const refused = (rule: string) => () => parseRuleset(`*filter\n-A OUTPUT ${rule}\nCOMMIT\n`);
    expect(refused('-m owner -j ACCEPT')).toThrow('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required');
    expect(refused('-m owner --suppl-groups --gid-owner 5')).toThrow('owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"');
    expect(refused('-m owner --uid-owner nosuchuser')).toThrow('owner: Bad value for "--uid-owner" option: "nosuchuser"');
    expect(refused('-m owner --uid-owner 4294967295')).toThrow('owner: Bad value for "--uid-owner" option: "4294967295"');
    expect(refused('-m owner --uid-owner 2000-1000')).toThrow(/reversed/);
  });

  it('a socket given for a packet that arrives from outside is a clear error', () => {
    expect(() => verdicts(filterOutput('-m owner --uid-owner 0'), { ...forwarded, socket: { uid: 1 } })).toThrow(DomainError);
    expect(() => verdicts(filterOutput('-m owner --uid-owner 0'), { ...forwarded, socket: { uid: 1 } })).toThrow('packet.socket: only a packet sent by a local process (hook OUTPUT) has a socket');
  });
});
