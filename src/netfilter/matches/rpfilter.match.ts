/**
 * `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]`: a
 * reverse path check, as xt_rpfilter makes it in raw or mangle PREROUTING.
 *
 * The host looks up the route back to the packet's source: the packet
 * passes when that route is unicast (or local, with `--accept-local`) and
 * leaves by the interface the packet came in on (any interface, with
 * `--loose`). Packets on a loopback interface always pass, as do packets
 * from 0.0.0.0/8 to the limited broadcast or to 224.0.0.0/24 (DHCP).
 * `--invert` turns the answer round. The host has one routing table and no
 * policy rules, so `--validmark` (route by the packet mark) changes nothing.
 */
import { v4 } from '../address';
import { RuleSyntaxError, findOption, type MatchModule } from '../module';
import type { Match, MatchContext, Packet } from '../types';

export class RpfilterMatch implements Match {
  readonly name = 'rpfilter';
  readonly hooks = ['PREROUTING'] as const;

  constructor(
    readonly loose: boolean,
    readonly validMark: boolean,
    readonly acceptLocal: boolean,
    readonly invert: boolean,
  ) {}

  /** Whether the reverse path is good, before `--invert`. */
  private passes(packet: Packet, ctx: MatchContext): boolean {
    const host = ctx.host;
    if (host.isLoopbackInterface?.(packet.inInterface)) return true;
    const source = v4(packet.source);
    const destination = v4(packet.destination);
    if (source >>> 24 === 0 && (destination === 0xffffffff || destination >>> 8 === 0xe00000)) return true;
    const back = host.lookup?.(source);
    if (back === undefined) return false;
    if (back.kind !== 'unicast' && !(back.kind === 'local' && this.acceptLocal)) return false;
    return this.loose || back.interface === packet.inInterface;
  }

  matches(packet: Packet, ctx: MatchContext): boolean {
    return this.passes(packet, ctx) !== this.invert;
  }

  save(): string {
    let out = '-m rpfilter';
    if (this.loose) out += ' --loose';
    if (this.validMark) out += ' --validmark';
    if (this.acceptLocal) out += ' --accept-local';
    if (this.invert) out += ' --invert';
    return out;
  }
}

export const rpfilterMatchModule: MatchModule = {
  kind: 'match',
  name: 'rpfilter',
  options: [
    { name: 'loose', args: 0 },
    { name: 'validmark', args: 0 },
    { name: 'accept-local', args: 0 },
    { name: 'invert', args: 0 },
  ],
  build(options, rule) {
    if (rule.table !== 'raw' && rule.table !== 'mangle') {
      throw new RuleSyntaxError(`rpfilter: only valid in the raw or mangle table, not ${rule.table} (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))`);
    }
    const has = (name: string) => findOption(options, name) !== undefined;
    return new RpfilterMatch(has('loose'), has('validmark'), has('accept-local'), has('invert'));
  },
};
