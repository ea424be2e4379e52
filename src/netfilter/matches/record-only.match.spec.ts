/**
 * `-m bpf`, `-m u32` and `-m cgroup`: read, checked and printed byte for byte
 * as iptables 1.8.9 prints them (the printed forms below are what the real
 * iptables-save gave in a namespace); a trace forks both ways at them and
 * says why, since kube-netsim runs no BPF, simulates no packet bytes and has no cgroups.
 */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { outcomeView } from '../outcome';
import { Host } from '../host';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';

const rules = (body: string) => `*filter\n${body}\nCOMMIT\n`;
const saved = (rule: string, chain = 'INPUT') => printIptablesSave(parseRuleset(rules(`-A ${chain} ${rule}`))).split('\n').find((l) => l.startsWith('-A'));
const refused = (rule: string, chain = 'INPUT') => () => parseRuleset(rules(`-A ${chain} ${rule}`));
const engine = (text: string) => new NetfilterEngine({ ruleset: parseRuleset(text), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) });
const ssh: TraceInput = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 };
const mail: TraceInput = { hook: 'OUTPUT', protocol: 'tcp', sourcePort: 40000, destination: '203.0.113.2', destinationPort: 25 };

function forks(text: string, input: TraceInput, why: string): void {
  const outcomes = engine(text).enumerate(input).map(outcomeView);
  expect(outcomes.map((o) => [o.verdict, o.dependsOn?.map((d) => [d.line, d.matches])])).toEqual([
    ['DROP', [[2, true]]],
    ['ACCEPT', [[2, false]]],
  ]);
  expect(outcomes[0].steps.map((s) => s.action)).toContain(`${why}: taken as matching (the outcome depends on it)`);
}

describe('-m bpf', () => {
  it('forks a trace both ways, saying that the program is not run', () => {
    forks(rules('-A INPUT -p tcp -m tcp --dport 22 -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j DROP'), ssh, 'the BPF program is not run (kube-netsim does not evaluate it)');
  });

  it('prints the program as iptables-save does: scanf reads each number, the rest of a word is dropped', () => {
    expect(saved('-m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT')).toBe('-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT');
    expect(saved('-m bpf --bytecode " 1,6 0 0 0,"')).toBe('-A INPUT -m bpf --bytecode "1,6 0 0 0"');
    expect(saved('-m bpf --bytecode "1,6  0 0 0x10"')).toBe('-A INPUT -m bpf --bytecode "1,6 0 0 0"');
    expect(saved('-m bpf --bytecode "1,6 0 0 -1"')).toBe('-A INPUT -m bpf --bytecode "1,6 0 0 4294967295"');
    expect(saved('-m bpf --object-pinned /sys/fs/bpf/allow')).toBe('-A INPUT -m bpf --object-pinned /sys/fs/bpf/allow');
  });

  it('refuses what iptables refuses', () => {
    expect(refused('-m bpf')).toThrow('bpf: one of --bytecode or --pinned is required');
    expect(refused('-m bpf --bytecode "0,"')).toThrow('bpf: illegal zero length program');
    expect(refused('-m bpf --bytecode "65,"')).toThrow('bpf: number of instructions exceeds maximum');
    expect(refused('-m bpf --bytecode "1 ,6 0 0 0"')).toThrow('bpf: error parsing program length');
    expect(refused('-m bpf --bytecode "2,6 0 0 0"')).toThrow('bpf: parsed program length is less than the encoded length parameter');
    expect(refused('-m bpf --bytecode "1,6 0 0 0,6 0 0 0"')).toThrow('bpf: real program length exceeds the encoded length parameter');
    expect(refused('-m bpf --bytecode "1,6 0 0"')).toThrow('bpf: error at instr 0');
    expect(refused('-m bpf ! --bytecode "1,6 0 0 0"')).toThrow('bpf: option "--bytecode" cannot be inverted.');
  });
});

describe('-m u32', () => {
  it('forks a trace both ways, saying that the expression is not evaluated', () => {
    forks(rules('-A INPUT -p tcp -m tcp --dport 22 -m u32 --u32 "0>>22&0x3C@12>>26@0>>24=0x41" -j DROP'), ssh, 'the u32 expression is not evaluated (kube-netsim does not simulate packet bytes)');
  });

  it('prints every number in hex, as iptables-save does', () => {
    expect(saved('-m u32 --u32 "0>>22&0x3C@4=0x29" -j ACCEPT')).toBe('-A INPUT -m u32 --u32 "0x0>>0x16&0x3c@0x4=0x29" -j ACCEPT');
    expect(saved('-m u32 ! --u32 "0 >> 22 & 0x3C @ 12 >> 26 @ 0 >> 24 = 0x41" -j DROP')).toBe('-A INPUT -m u32 ! --u32 "0x0>>0x16&0x3c@0xc>>0x1a@0x0>>0x18=0x41" -j DROP');
    expect(saved('-m u32 --u32 "6&0xFF=1&&4&0x3FFF=0"')).toBe('-A INPUT -m u32 --u32 "0x6&0xff=0x1&&0x4&0x3fff=0x0"');
    expect(saved('-m u32 --u32 "6&0xFF=1:5,7,0x10"')).toBe('-A INPUT -m u32 --u32 "0x6&0xff=0x1:0x5,0x7,0x10"');
    expect(saved('-m u32 --u32 "6 & 0xFF = 1:1"')).toBe('-A INPUT -m u32 --u32 "0x6&0xff=0x1"');
    expect(saved('-m u32 --u32 "010=1"')).toBe('-A INPUT -m u32 --u32 "0x8=0x1"');
  });

  it('refuses what iptables refuses, at the character it names', () => {
    expect(refused('-m u32')).toThrow('u32: option "--u32" must be specified');
    expect(refused('-m u32 --u32 "6&0xFF"')).toThrow('u32: abrupt end of input after location specifier');
    expect(refused('-m u32 --u32 "x"')).toThrow('u32: at char 0: not a number or out of range');
    expect(refused('-m u32 --u32 "=1"')).toThrow('u32: at char 0: location spec missing');
    expect(refused('-m u32 --u32 "1=&&"')).toThrow('u32: at char 3: value spec missing');
    expect(refused('-m u32 --u32 "1 < 2=1"')).toThrow("u32: at char 3: a second '<' was expected");
    expect(refused('-m u32 --u32 "1=1 2"')).toThrow('u32: at char 4: expected "," or "&&"');
    expect(refused('-m u32 --u32 "0xffffffff=0x100000000"')).toThrow('u32: at char 11: not a number or out of range');
  });
});

describe('-m cgroup', () => {
  it('forks a trace both ways, saying that the simulation has no cgroups', () => {
    forks(rules('-A OUTPUT -p tcp -m tcp --dport 25 -m cgroup --path "/system.slice/postfix.service" -j DROP'), mail, 'the simulation has no cgroups: whether the socket belongs to that cgroup is not known');
  });

  it('prints the path quoted and the class id in decimal, as iptables-save does', () => {
    expect(saved('-m cgroup --path / -j ACCEPT', 'OUTPUT')).toBe('-A OUTPUT -m cgroup --path "/" -j ACCEPT');
    expect(saved('-m cgroup ! --path "/a\\"b"', 'OUTPUT')).toBe('-A OUTPUT -m cgroup ! --path "/a\\"b"');
    expect(saved('-m cgroup ! --cgroup 0x10 -j ACCEPT', 'OUTPUT')).toBe('-A OUTPUT -m cgroup ! --cgroup 16 -j ACCEPT');
  });

  it('refuses what iptables or the kernel refuses, and the hooks the kernel refuses', () => {
    expect(refused('-m cgroup --cgroup abc', 'OUTPUT')).toThrow('cgroup: bad value for option "--cgroup", or out of range (0-4294967295).');
    expect(refused('-m cgroup', 'OUTPUT')).toThrow(/RULE_APPEND failed \(Invalid argument\)/);
    expect(refused('-m cgroup --path / --cgroup 1', 'OUTPUT')).toThrow(/RULE_APPEND failed \(Invalid argument\)/);
    expect(refused('-m cgroup --cgroup 1', 'FORWARD')).toThrow('-m cgroup in chain "FORWARD" is reachable from FORWARD, but only allowed in OUTPUT, POSTROUTING, INPUT');
    expect(refused('-m cgroup --cgroup 1', 'INPUT')).not.toThrow();
  });
});
