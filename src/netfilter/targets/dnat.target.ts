/**
 * `-j DNAT --to-destination ADDR[-ADDR][:PORT[-PORT]] [--random] [--persistent]`:
 * rewrite the destination of the connection's first packet (nat table,
 * PREROUTING and OUTPUT). The target only describes the mapping; conntrack
 * picks the address and port and applies them to the whole connection.
 */
import { findOption, requireOption, type TargetModule } from '../module';
import type { NatAction, NatRange, Target, TargetOutcome } from '../types';
import { formatNatRange, parseNatRange } from './nat-range';

export class DnatTarget implements Target {
  readonly name = 'DNAT';
  readonly hooks = ['PREROUTING', 'OUTPUT'] as const;
  private outcome: TargetOutcome | undefined;

  constructor(
    readonly range: NatRange,
    readonly random: boolean,
    readonly persistent: boolean,
  ) {}

  apply(): TargetOutcome {
    if (this.outcome === undefined) {
      const nat: NatAction = { type: 'DNAT', range: this.range, random: this.random, randomFully: false, persistent: this.persistent };
      this.outcome = Object.freeze({ kind: 'nat', nat });
    }
    return this.outcome;
  }

  save(): string {
    return (
      '-j DNAT --to-destination ' +
      formatNatRange(this.range) +
      (this.random ? ' --random' : '') +
      (this.persistent ? ' --persistent' : '')
    );
  }
}

export const dnatTargetModule: TargetModule = {
  kind: 'target',
  name: 'DNAT',
  tables: ['nat'],
  hooks: ['PREROUTING', 'OUTPUT'],
  options: [
    { name: 'to-destination', args: 1 },
    { name: 'random', args: 0 },
    { name: 'persistent', args: 0 },
  ],
  build(options, rule) {
    const to = requireOption(options, 'to-destination', 'DNAT');
    return new DnatTarget(
      parseNatRange(to.args[0], rule, 'DNAT'),
      findOption(options, 'random') !== undefined,
      findOption(options, 'persistent') !== undefined,
    );
  },
};
