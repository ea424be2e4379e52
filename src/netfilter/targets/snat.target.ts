/**
 * `-j SNAT --to-source ADDR[-ADDR][:PORT[-PORT]] [--random] [--random-fully]
 * [--persistent]`: rewrite the source of a new connection (nat table,
 * POSTROUTING and INPUT).
 */
import { findOption, requireOption, type TargetModule } from '../module';
import type { NatAction, NatRange, Target, TargetOutcome } from '../types';
import { formatNatRange, parseNatRange } from './nat-range';

export class SnatTarget implements Target {
  readonly name = 'SNAT';
  readonly hooks = ['POSTROUTING', 'INPUT'] as const;
  private outcome: TargetOutcome | undefined;

  constructor(
    readonly range: NatRange,
    readonly random: boolean,
    readonly randomFully: boolean,
    readonly persistent: boolean,
  ) {}

  apply(): TargetOutcome {
    if (this.outcome === undefined) {
      const nat: NatAction = { type: 'SNAT', range: this.range, random: this.random, randomFully: this.randomFully, persistent: this.persistent };
      this.outcome = Object.freeze({ kind: 'nat', nat });
    }
    return this.outcome;
  }

  save(): string {
    return (
      '-j SNAT --to-source ' +
      formatNatRange(this.range) +
      (this.random ? ' --random' : '') +
      (this.randomFully ? ' --random-fully' : '') +
      (this.persistent ? ' --persistent' : '')
    );
  }
}

export const snatTargetModule: TargetModule = {
  kind: 'target',
  name: 'SNAT',
  tables: ['nat'],
  hooks: ['POSTROUTING', 'INPUT'],
  options: [
    { name: 'to-source', args: 1 },
    { name: 'random', args: 0 },
    { name: 'random-fully', args: 0 },
    { name: 'persistent', args: 0 },
  ],
  build(options, rule) {
    const to = requireOption(options, 'to-source', 'SNAT');
    return new SnatTarget(
      parseNatRange(to.args[0], rule, 'SNAT'),
      findOption(options, 'random') !== undefined,
      findOption(options, 'random-fully') !== undefined,
      findOption(options, 'persistent') !== undefined,
    );
  },
};
