/**
 * `-j REJECT [--reject-with TYPE]`: drop and answer the sender, by default
 * with ICMP port unreachable (ip6tables: ICMPv6 port unreachable, and its own
 * `icmp6-*` names). Filter table only; INPUT, FORWARD and OUTPUT.
 */
import { RuleSyntaxError, findOption, type TargetModule } from '../module';
import { PROTOCOL_NUMBERS, type RejectWith, type Target, type TargetOutcome } from '../types';

const REJECT_TYPES: ReadonlyMap<string, RejectWith> = new Map<string, RejectWith>([
  ['icmp-net-unreachable', 'icmp-net-unreachable'],
  ['net-unreach', 'icmp-net-unreachable'],
  ['icmp-host-unreachable', 'icmp-host-unreachable'],
  ['host-unreach', 'icmp-host-unreachable'],
  ['icmp-proto-unreachable', 'icmp-proto-unreachable'],
  ['proto-unreach', 'icmp-proto-unreachable'],
  ['icmp-port-unreachable', 'icmp-port-unreachable'],
  ['port-unreach', 'icmp-port-unreachable'],
  ['icmp-net-prohibited', 'icmp-net-prohibited'],
  ['net-prohib', 'icmp-net-prohibited'],
  ['icmp-host-prohibited', 'icmp-host-prohibited'],
  ['host-prohib', 'icmp-host-prohibited'],
  ['tcp-reset', 'tcp-reset'],
  ['tcp-rst', 'tcp-reset'],
  ['icmp-admin-prohibited', 'icmp-admin-prohibited'],
  ['admin-prohib', 'icmp-admin-prohibited'],
]);

/** ip6tables' `--reject-with` names (libip6t_REJECT), and their aliases. */
const REJECT6_TYPES: ReadonlyMap<string, RejectWith> = new Map<string, RejectWith>([
  ['icmp6-no-route', 'icmp6-no-route'],
  ['no-route', 'icmp6-no-route'],
  ['icmp6-adm-prohibited', 'icmp6-adm-prohibited'],
  ['adm-prohibited', 'icmp6-adm-prohibited'],
  ['icmp6-addr-unreachable', 'icmp6-addr-unreachable'],
  ['addr-unreach', 'icmp6-addr-unreachable'],
  ['icmp6-port-unreachable', 'icmp6-port-unreachable'],
  ['port-unreach', 'icmp6-port-unreachable'],
  ['tcp-reset', 'tcp-reset'],
  ['tcp-rst', 'tcp-reset'],
]);

export class RejectTarget implements Target {
  readonly name = 'REJECT';
  readonly hooks = ['INPUT', 'FORWARD', 'OUTPUT'] as const;
  private readonly outcome: TargetOutcome;

  constructor(readonly rejectWith: RejectWith) {
    this.outcome = Object.freeze({ kind: 'verdict', verdict: 'REJECT', rejectWith });
  }

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return '-j REJECT --reject-with ' + this.rejectWith;
  }
}

const DEFAULT_REJECT = new RejectTarget('icmp-port-unreachable');
const DEFAULT_REJECT6 = new RejectTarget('icmp6-port-unreachable');

export const rejectTargetModule: TargetModule = {
  kind: 'target',
  name: 'REJECT',
  tables: ['filter'],
  hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
  options: [{ name: 'reject-with', args: 1 }],
  build(options, rule) {
    const v6 = rule.family === 'ipv6';
    const option = findOption(options, 'reject-with');
    if (!option) return v6 ? DEFAULT_REJECT6 : DEFAULT_REJECT;
    const type = (v6 ? REJECT6_TYPES : REJECT_TYPES).get(option.args[0]);
    if (!type) throw new RuleSyntaxError(`unknown reject type "${option.args[0]}"`);
    if (type === 'tcp-reset' && (rule.protocol !== PROTOCOL_NUMBERS.tcp || rule.protocolInverted)) {
      throw new RuleSyntaxError('REJECT: --reject-with tcp-reset needs "-p tcp"');
    }
    if (type === 'icmp-port-unreachable') return DEFAULT_REJECT;
    return type === 'icmp6-port-unreachable' ? DEFAULT_REJECT6 : new RejectTarget(type);
  },
};
