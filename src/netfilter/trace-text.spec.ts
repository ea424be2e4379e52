import { SimulationClock } from '../cluster/simulation-clock';
import { TEXT_WIDTH, length } from '../common/text-layout';
import { SeededRandom } from '../common/random';
import { Host, NetfilterEngine, outcomeView, parseRuleset } from './index';
import { stepText, traceText } from './trace-text';

function traced(rules: string, packet: { hook: 'PREROUTING' | 'OUTPUT'; inInterface?: string; protocol: 'tcp' | 'udp'; source: string; sourcePort: number; destination: string; destinationPort: number }) {
  const engine = new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.defaultNode(), clock: new SimulationClock(Date.UTC(2026, 0, 1)), random: new SeededRandom(1) });
  return traceText(packet, engine.trace(packet, 'enumerate').map(outcomeView));
}

describe('the text form of a trace', () => {
  const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 80 } as const;

  it('names the packet, the outcome, where it leaves, and each step', () => {
    const lines = traced('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n', packet);
    expect(lines.slice(0, 4)).toEqual(['tcp 203.0.113.2:40000 > 192.168.0.2:80, entering PREROUTING on eth0', '1 outcome', '', '1. 100.00% ACCEPT, delivered locally']);
    expect(lines).toContainEqual(expect.stringMatching(/^ {3}leaves as tcp 203\.0\.113\.2:40000 > 192\.168\.0\.2:80/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {3} *\d+ INPUT filter INPUT: policy ACCEPT$/));
    for (const line of lines) expect(length(line)).toBeLessThanOrEqual(TEXT_WIDTH);
  });

  it('says a dropped or rejected packet was dropped or rejected, not that it leaves', () => {
    const drop = traced('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 80 -j DROP\nCOMMIT\n', packet);
    expect(drop[3]).toBe('1. 100.00% DROP');
    expect(drop).toContainEqual(expect.stringMatching(/^ {3}dropped as tcp 203\.0\.113\.2:40000 > 192\.168\.0\.2:80/));
    expect(drop.join('\n')).not.toContain('leaves as');
    const reject = traced('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset\nCOMMIT\n', packet);
    expect(reject[3]).toBe('1. 100.00% REJECT (tcp-reset)');
    expect(reject).toContainEqual(expect.stringMatching(/^ {3}rejected as tcp /));
  });
});

describe('stepText', () => {
  it('reads HOOK TABLE CHAIN #N: ACTION, or HOOK TABLE: ACTION for the machinery', () => {
    expect(stepText({ hook: 'PREROUTING', table: 'nat', chain: 'KUBE-SERVICES', ruleNumber: 3, rule: '-A KUBE-SERVICES -j KUBE-SVC-X', action: 'jump KUBE-SVC-X' })).toBe('PREROUTING nat KUBE-SERVICES #3: jump KUBE-SVC-X');
    expect(stepText({ hook: 'INPUT', table: 'filter', chain: 'INPUT', ruleNumber: null, rule: null, action: 'policy ACCEPT' })).toBe('INPUT filter INPUT: policy ACCEPT');
    expect(stepText({ hook: 'PREROUTING', table: 'routing', chain: null, ruleNumber: null, rule: null, action: 'local' })).toBe('PREROUTING routing: local');
  });
});
