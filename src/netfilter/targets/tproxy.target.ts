/**
 * `-j TPROXY --on-port P [--on-ip ADDR] [--tproxy-mark V[/M]]` (mangle
 * PREROUTING, `-p tcp` or `-p udp`): hand the packet, unchanged, to a
 * transparent proxy's socket on this host. The kernel looks for a socket of
 * the packet's connection, else a listener on ADDR:P (ADDR 0.0.0.0: the
 * in-interface's primary address; port 0: the packet's own); when that
 * socket is transparent (IP_TRANSPARENT) it sets the mark and accepts,
 * otherwise it drops the packet.
 *
 * kube-netsim models no sockets, so no transparent proxy listens: the packet
 * is dropped, as the kernel drops it on a host without one, and the step
 * says where the proxy would have had to listen and which mark it would
 * have set (with a proxy, policy routing on that mark delivers the packet
 * locally; neither is simulated).
 */
import { RuleSyntaxError, findOption, requireOption, type TargetModule } from '../module';
import { formatAddress, hex, parseAddress, parseUnsigned, parseValueMask } from '../text/values';
import { PROTOCOL_NUMBERS, type Packet, type Target, type TargetContext, type TargetOutcome } from '../types';

export class TproxyTarget implements Target {
  readonly name = 'TPROXY';
  readonly hooks = ['PREROUTING'] as const;

  constructor(
    readonly port: number,
    readonly address: number,
    readonly mark: number,
    readonly mask: number,
  ) {}

  apply(packet: Packet, ctx: TargetContext): TargetOutcome {
    const into = packet.inInterface;
    const address = this.address !== 0 ? this.address : into === undefined ? undefined : ctx.host?.primaryAddress?.(into);
    const where = `${address === undefined ? `the address of ${into ?? 'the in interface'}` : formatAddress(address)}:${this.port === 0 ? packet.destinationPort : this.port}`;
    return {
      kind: 'verdict',
      verdict: 'DROP',
      note: `no transparent socket listens on ${where} (kube-netsim models no sockets): the kernel drops the packet; a proxy there would take it, with mark ${hex(this.mark)}/${hex(this.mask)}`,
    };
  }

  save(): string {
    return `-j TPROXY --on-port ${this.port} --on-ip ${formatAddress(this.address)} --tproxy-mark ${hex(this.mark)}/${hex(this.mask)}`;
  }
}

export const tproxyTargetModule: TargetModule = {
  kind: 'target',
  name: 'TPROXY',
  tables: ['mangle'],
  hooks: ['PREROUTING'],
  options: [
    { name: 'on-port', args: 1 },
    { name: 'on-ip', args: 1 },
    { name: 'tproxy-mark', args: 1 },
  ],
  build(options, rule) {
    const portOption = requireOption(options, 'on-port', 'TPROXY');
    if (rule.protocolInverted || (rule.protocol !== PROTOCOL_NUMBERS.tcp && rule.protocol !== PROTOCOL_NUMBERS.udp)) {
      throw new RuleSyntaxError('TPROXY: can be used only with "-p tcp" or "-p udp"');
    }
    const port = parseUnsigned(portOption.args[0], 65535);
    if (port === undefined) throw new RuleSyntaxError(`TPROXY: bad port "${portOption.args[0]}" for --on-port`);
    const ipOption = findOption(options, 'on-ip');
    const address = ipOption ? parseAddress(ipOption.args[0]) : 0;
    if (address === undefined) throw new RuleSyntaxError(`TPROXY: bad address "${ipOption!.args[0]}" for --on-ip`);
    const markOption = findOption(options, 'tproxy-mark');
    const { value, mask } = markOption ? parseValueMask(markOption.args[0], markOption.spelled) : { value: 0, mask: 0 };
    return new TproxyTarget(port, address, value, mask);
  },
};
