/**
 * `-j TCPMSS --set-mss N | --clamp-mss-to-pmtu` (`-p tcp` only): lower the
 * MSS option of a TCP SYN. The kernel only ever lowers it: an option already
 * smaller stays. `--clamp-mss-to-pmtu` uses the route's MTU minus 40 (the
 * IPv4 and TCP headers); here the MTU of the interface the packet leaves by
 * (1500 unless the host says otherwise), which is why it is valid only in
 * FORWARD, OUTPUT and POSTROUTING. The packet model has no TCP options, so
 * the trace step records the rewrite in words and the packet is unchanged.
 */
import { RuleSyntaxError, findOption, refuseTogether, type TargetModule } from '../module';
import { parseUnsigned } from '../text/values';
import { PROTOCOL_NUMBERS, type Packet, type Target, type TargetContext, type TargetOutcome } from '../types';

/** IPv4 and TCP headers without options: MTU minus this is the largest segment. */
const HEADERS = 40;
const DEFAULT_MTU = 1500;

export class TcpmssTarget implements Target {
  readonly name = 'TCPMSS';
  readonly hooks: readonly ('FORWARD' | 'OUTPUT' | 'POSTROUTING')[] | undefined;

  /** `mss` undefined: clamp to the path MTU. */
  constructor(readonly mss: number | undefined) {
    this.hooks = mss === undefined ? ['FORWARD', 'OUTPUT', 'POSTROUTING'] : undefined;
  }

  apply(packet: Packet, ctx: TargetContext): TargetOutcome {
    if (this.mss !== undefined) return { kind: 'continue', note: `MSS option lowered to ${this.mss} if larger (TCP options are not simulated)` };
    const out = packet.outInterface;
    const mtu = (out === undefined ? undefined : ctx.host?.mtu?.(out)) ?? DEFAULT_MTU;
    return {
      kind: 'continue',
      note: `MSS option clamped to ${mtu - HEADERS} (MTU ${mtu} of ${out ?? 'the out interface'} minus 40) if larger (TCP options are not simulated)`,
    };
  }

  save(): string {
    return this.mss === undefined ? '-j TCPMSS --clamp-mss-to-pmtu' : `-j TCPMSS --set-mss ${this.mss}`;
  }
}

export const tcpmssTargetModule: TargetModule = {
  kind: 'target',
  name: 'TCPMSS',
  options: [
    { name: 'set-mss', args: 1 },
    { name: 'clamp-mss-to-pmtu', args: 0 },
  ],
  build(options, rule) {
    refuseTogether(options, 'TCPMSS', ['set-mss', 'clamp-mss-to-pmtu']);
    if (rule.protocol !== PROTOCOL_NUMBERS.tcp || rule.protocolInverted) throw new RuleSyntaxError('TCPMSS: only valid with "-p tcp"');
    const set = findOption(options, 'set-mss');
    if (set) {
      const mss = parseUnsigned(set.args[0], 65535 - HEADERS);
      if (mss === undefined) throw new RuleSyntaxError(`TCPMSS: bad value for option "${set.spelled}", or out of range (0-65495)`);
      return new TcpmssTarget(mss);
    }
    if (findOption(options, 'clamp-mss-to-pmtu')) return new TcpmssTarget(undefined);
    throw new RuleSyntaxError('TCPMSS target: At least one parameter is required');
  },
};
