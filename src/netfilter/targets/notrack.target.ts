/**
 * `-j NOTRACK` and `-j CT --notrack` (raw table): the packet is not tracked
 * (conntrack state UNTRACKED, so no NAT). A bare `-j CT` changes nothing here;
 * CT's other options (zones, helpers, timeouts) are not supported.
 */
import { findOption, type TargetModule } from '../module';
import type { Packet, Target, TargetOutcome } from '../types';

export class NotrackTarget implements Target {
  constructor(
    readonly name: 'NOTRACK' | 'CT',
    readonly notrack: boolean,
  ) {}

  apply(packet: Packet): TargetOutcome {
    return this.notrack ? { kind: 'continue', packet: { ...packet, ctstate: 'UNTRACKED' } } : { kind: 'continue' };
  }

  save(): string {
    return this.name === 'NOTRACK' ? '-j NOTRACK' : this.notrack ? '-j CT --notrack' : '-j CT';
  }
}

export const notrackTargetModule: TargetModule = {
  kind: 'target',
  name: 'NOTRACK',
  tables: ['raw'],
  options: [],
  build: () => new NotrackTarget('NOTRACK', true),
};

export const ctTargetModule: TargetModule = {
  kind: 'target',
  name: 'CT',
  tables: ['raw'],
  options: [{ name: 'notrack', args: 0 }],
  build: (options) => new NotrackTarget('CT', findOption(options, 'notrack') !== undefined),
};
