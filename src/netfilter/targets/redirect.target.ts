/**
 * `-j REDIRECT [--to-ports PORT[-PORT]] [--random]` (nat table, PREROUTING
 * and OUTPUT): destination NAT to this host itself. As the kernel's
 * `nf_nat_redirect_ipv4`: a locally generated packet goes to 127.0.0.1; an
 * arriving one to the primary (first) address of the interface it came in
 * on, and is dropped when that interface has none. The port stays unless
 * `--to-ports` gives one (a range: conntrack picks, as for DNAT).
 */
import { findOption, type TargetModule } from '../module';
import type { NatAction, NatRange, Target, TargetOutcome } from '../types';
import { formatPortSpan, parsePortSpan, requirePortProtocol } from './nat-range';

export class RedirectTarget implements Target {
  readonly name = 'REDIRECT';
  readonly hooks = ['PREROUTING', 'OUTPUT'] as const;
  private readonly outcome: TargetOutcome;

  constructor(
    readonly range: NatRange,
    readonly random: boolean,
  ) {
    const nat: NatAction = { type: 'REDIRECT', range, random, randomFully: false, persistent: false };
    this.outcome = Object.freeze({ kind: 'nat', nat });
  }

  apply(): TargetOutcome {
    return this.outcome;
  }

  save(): string {
    return '-j REDIRECT' + (this.range.minPort !== undefined ? ' --to-ports ' + formatPortSpan(this.range) : '') + (this.random ? ' --random' : '');
  }
}

export const redirectTargetModule: TargetModule = {
  kind: 'target',
  name: 'REDIRECT',
  tables: ['nat'],
  hooks: ['PREROUTING', 'OUTPUT'],
  options: [
    { name: 'to-ports', args: 1 },
    { name: 'random', args: 0 },
  ],
  build(options, rule) {
    const ports = findOption(options, 'to-ports');
    let range: NatRange = {};
    if (ports) {
      requirePortProtocol(rule, 'REDIRECT');
      range = parsePortSpan(ports.args[0], ports.args[0], 'REDIRECT');
    }
    return new RedirectTarget(range, findOption(options, 'random') !== undefined);
  },
};
