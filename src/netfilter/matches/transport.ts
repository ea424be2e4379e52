/** Shared pieces of the per-protocol port matches (`-m tcp`, `-m udp`, `-m sctp`). */
import type { OptionSpec, ParsedOption, RuleBuildContext } from '../module';
import { findOption, RuleSyntaxError } from '../module';
import { ALL_PORTS, formatPortRange, isAllPorts, parsePortRange, type PortRange } from '../text/values';

export const PORT_OPTIONS: readonly OptionSpec[] = [
  { name: 'sport', aliases: ['source-port'], args: 1, invertible: true },
  { name: 'dport', aliases: ['destination-port'], args: 1, invertible: true },
];

export interface PortCondition {
  readonly range: PortRange;
  readonly invert: boolean;
}

export const ANY_PORT: PortCondition = { range: ALL_PORTS, invert: false };

/** Conditions are immutable and few (kube-proxy uses a handful of ports): share them. */
const SHARED = new Map<number, PortCondition>();

export function portCondition(options: readonly ParsedOption[], name: 'sport' | 'dport'): PortCondition {
  const option = findOption(options, name);
  if (!option) return ANY_PORT;
  const range = parsePortRange(option.args[0], option.spelled);
  const key = (range.min * 65536 + range.max) * 2 + (option.inverted ? 1 : 0);
  let condition = SHARED.get(key);
  if (!condition) {
    condition = Object.freeze({ range: Object.freeze(range), invert: option.inverted });
    if (SHARED.size < 100000) SHARED.set(key, condition);
  }
  return condition;
}

export function portMatches(condition: PortCondition, port: number): boolean {
  return (port >= condition.range.min && port <= condition.range.max) !== condition.invert;
}

/** True for a condition that tests something (iptables-save omits 0:65535 when not negated). */
export function isPortTest(condition: PortCondition): boolean {
  return condition.invert || !isAllPorts(condition.range);
}

export function savePort(option: string, condition: PortCondition): string {
  if (!isPortTest(condition)) return '';
  return `${condition.invert ? ' !' : ''} --${option} ${formatPortRange(condition.range)}`;
}

/** The kernel refuses `-m tcp` unless the rule says `-p tcp` (not negated). */
export function requireProtocol(rule: RuleBuildContext, protocol: number, module: string): void {
  if (rule.protocol !== protocol || rule.protocolInverted) {
    throw new RuleSyntaxError(`${module} match requires "-p ${module}"`);
  }
}
