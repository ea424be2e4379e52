/** What the target specs share: a small node, an engine over a ruleset, and the packets they send. */
import { ManualClock } from '../../../src/common/clock';
import { SeededRandom } from '../../../src/common/random';
import { NetfilterEngine } from '../../../src/netfilter/engine';
import type { TraceInput } from '../../../src/netfilter/trace-input';
import type { TraceOutcome } from '../../../src/netfilter/outcome';
import { Host, type HostSpec } from '../../../src/netfilter/host';
import { printIptablesSave } from '../../../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../../../src/netfilter/iptables-text.parser';

/** eth0 on the node network (MTU 9000, to show TCPMSS reads it), cni0 for local pods. */
export const NODE: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24', '192.168.0.9/24'], mtu: 9000 },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
};

export function engine(rules: string): NetfilterEngine {
  return new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.create(NODE), clock: new ManualClock(), random: new SeededRandom(1) });
}

export function trace(rules: string, input: TraceInput): TraceOutcome[] {
  return engine(rules).enumerate(input);
}

/** The single outcome of a packet that does not fork. */
export function only(rules: string, input: TraceInput): TraceOutcome {
  const outcomes = trace(rules, input);
  if (outcomes.length !== 1) throw new Error(`expected one outcome, got ${outcomes.length}`);
  return outcomes[0];
}

export function actions(o: TraceOutcome): string[] {
  return o.steps.map((s) => s.action);
}

/** The rule lines (`-A ...`) iptables-save prints for a ruleset. */
export function saved(rules: string): string[] {
  return printIptablesSave(parseRuleset(rules))
    .split('\n')
    .filter((l) => l.startsWith('-A '));
}

export const fromOutside = (port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: port,
  ...over,
});

export const fromHost = (destination: string, port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'OUTPUT',
  protocol: 'tcp',
  sourcePort: 40000,
  destination,
  destinationPort: port,
  ...over,
});
