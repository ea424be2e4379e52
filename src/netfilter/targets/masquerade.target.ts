/**
 * `-j MASQUERADE [--to-ports PORT[-PORT]] [--random] [--random-fully]`: SNAT
 * to the address of the interface the packet leaves by, looked up per new
 * connection (nat table, POSTROUTING).
 */
import { findOption, type TargetModule } from '../module';
import type { NatAction, NatRange, Target, TargetOutcome } from '../types';
import { formatPortSpan, parsePortSpan, requirePortProtocol } from './nat-range';

export class MasqueradeTarget implements Target {
  readonly name = 'MASQUERADE';
  readonly hooks = ['POSTROUTING'] as const;
  private outcome: TargetOutcome | undefined;

  constructor(
    readonly range: NatRange,
    readonly random: boolean,
    readonly randomFully: boolean,
  ) {}

  apply(): TargetOutcome {
    if (this.outcome === undefined) {
      const nat: NatAction = { type: 'MASQUERADE', range: this.range, random: this.random, randomFully: this.randomFully, persistent: false };
      this.outcome = Object.freeze({ kind: 'nat', nat });
    }
    return this.outcome;
  }

  save(): string {
    return (
      '-j MASQUERADE' +
      (this.range.minPort !== undefined ? ' --to-ports ' + formatPortSpan(this.range) : '') +
      (this.random ? ' --random' : '') +
      (this.randomFully ? ' --random-fully' : '')
    );
  }
}

export const masqueradeTargetModule: TargetModule = {
  kind: 'target',
  name: 'MASQUERADE',
  tables: ['nat'],
  hooks: ['POSTROUTING'],
  options: [
    { name: 'to-ports', args: 1 },
    { name: 'random', args: 0 },
    { name: 'random-fully', args: 0 },
  ],
  build(options, rule) {
    const ports = findOption(options, 'to-ports');
    let range: NatRange = {};
    if (ports) {
      requirePortProtocol(rule, 'MASQUERADE');
      range = parsePortSpan(ports.args[0], ports.args[0], 'MASQUERADE');
    }
    return new MasqueradeTarget(
      range,
      findOption(options, 'random') !== undefined,
      findOption(options, 'random-fully') !== undefined,
    );
  },
};
