/**
 * `-j TTL --ttl-set N | --ttl-dec N | --ttl-inc N` (mangle table): rewrite
 * the IP TTL (a packet without one is taken to start at 64). Decrements stop
 * at 0 and increments at 255, as the kernel's. A forwarded packet whose TTL
 * is 1 or less when routed is dropped (ICMP time exceeded), so `--ttl-set 1`
 * in PREROUTING stops forwarding.
 */
import { RuleSyntaxError, refuseTogether, type TargetModule } from '../module';
import { parseUnsigned } from '../text/values';
import { DEFAULT_TTL, type Packet, type Target, type TargetOutcome } from '../types';

export class TtlTarget implements Target {
  readonly name = 'TTL';

  constructor(
    readonly mode: 'set' | 'dec' | 'inc',
    readonly value: number,
  ) {}

  apply(packet: Packet): TargetOutcome {
    const current = packet.ttl ?? DEFAULT_TTL;
    const next = this.mode === 'set' ? this.value : this.mode === 'dec' ? Math.max(0, current - this.value) : Math.min(255, current + this.value);
    return { kind: 'continue', packet: { ...packet, ttl: next } };
  }

  save(): string {
    return `-j TTL --ttl-${this.mode} ${this.value}`;
  }
}

export const ttlTargetModule: TargetModule = {
  kind: 'target',
  name: 'TTL',
  tables: ['mangle'],
  options: [
    { name: 'ttl-set', args: 1 },
    { name: 'ttl-dec', args: 1 },
    { name: 'ttl-inc', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'TTL', ['ttl-set', 'ttl-dec', 'ttl-inc']);
    const option = options[0];
    if (!option) throw new RuleSyntaxError('TTL: you must specify an action (--ttl-set, --ttl-dec or --ttl-inc)');
    const mode = option.name === 'ttl-set' ? 'set' : option.name === 'ttl-dec' ? 'dec' : 'inc';
    const min = mode === 'set' ? 0 : 1;
    const value = parseUnsigned(option.args[0], 255);
    if (value === undefined || value < min) throw new RuleSyntaxError(`TTL: bad value for option "${option.spelled}", or out of range (${min}-255)`);
    return new TtlTarget(mode, value);
  },
};
