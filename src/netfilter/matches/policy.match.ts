/**
 * `-m policy --dir in|out [--pol none|ipsec] [--strict] [!] --reqid N
 * [!] --spi N [!] --proto esp|ah|ipcomp [!] --mode tunnel|transport
 * [!] --tunnel-src A[/M] [!] --tunnel-dst A[/M]`: the IPsec policy that
 * decapsulated (in) or will encapsulate (out) the packet (xt_policy).
 *
 * kube-netsim simulates no IPsec: no packet has a policy, so `--pol none`
 * always matches and `--pol ipsec` (the default) never does, whatever the
 * element options say. They are read, checked and printed as iptables does
 * (one policy element; `--next` is refused as not modelled). `--dir in` is
 * valid from PREROUTING, INPUT and FORWARD, `--dir out` from FORWARD, OUTPUT
 * and POSTROUTING.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { parseProtocol } from '../text/protocols';
import { parseUnsigned } from '../text/values';
import type { Hook, Match } from '../types';
import { formatAddressTest, parseAddressTest, type AddressTest } from './conntrack-options';

const IPSEC_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [50, 'esp'],
  [51, 'ah'],
  [108, 'ipcomp'],
]);

interface Element {
  readonly reqid?: { value: number; invert: boolean };
  readonly spi?: { value: number; invert: boolean };
  readonly proto?: { value: number; invert: boolean };
  readonly mode?: { value: 'tunnel' | 'transport'; invert: boolean };
  readonly tunnelSrc?: AddressTest;
  readonly tunnelDst?: AddressTest;
}

const IN_HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD'];
const OUT_HOOKS: readonly Hook[] = ['FORWARD', 'OUTPUT', 'POSTROUTING'];

export class PolicyMatch implements Match {
  readonly name = 'policy';
  readonly hooks: readonly Hook[];

  constructor(
    readonly direction: 'in' | 'out',
    readonly none: boolean,
    readonly strict: boolean,
    readonly element: Element,
  ) {
    this.hooks = direction === 'in' ? IN_HOOKS : OUT_HOOKS;
  }

  /** No packet has an IPsec policy here. */
  matches(): boolean {
    return this.none;
  }

  save(): string {
    let out = `-m policy --dir ${this.direction} --pol ${this.none ? 'none' : 'ipsec'}`;
    if (this.none) return out;
    if (this.strict) out += ' --strict';
    const e = this.element;
    const not = (invert: boolean) => (invert ? ' !' : '');
    if (e.reqid) out += `${not(e.reqid.invert)} --reqid ${e.reqid.value}`;
    if (e.spi) out += `${not(e.spi.invert)} --spi 0x${e.spi.value.toString(16)}`;
    if (e.proto) out += `${not(e.proto.invert)} --proto ${IPSEC_PROTOCOLS.get(e.proto.value)}`;
    if (e.mode) out += `${not(e.mode.invert)} --mode ${e.mode.value}`;
    if (e.tunnelDst) out += `${not(e.tunnelDst.invert)} --tunnel-dst ${formatAddressTest(e.tunnelDst)}`;
    if (e.tunnelSrc) out += `${not(e.tunnelSrc.invert)} --tunnel-src ${formatAddressTest(e.tunnelSrc)}`;
    return out;
  }
}

function number(option: ParsedOption): { value: number; invert: boolean } {
  const value = parseUnsigned(option.args[0]);
  if (value === undefined) throw new RuleSyntaxError(`policy: bad value for option "${option.spelled}", or out of range (0-4294967295).`);
  return { value, invert: option.inverted };
}

export const policyMatchModule: MatchModule = {
  kind: 'match',
  name: 'policy',
  options: [
    { name: 'dir', args: 1 },
    { name: 'pol', args: 1 },
    { name: 'strict', args: 0 },
    { name: 'reqid', args: 1, invertible: true },
    { name: 'spi', args: 1, invertible: true },
    { name: 'proto', args: 1, invertible: true },
    { name: 'mode', args: 1, invertible: true },
    { name: 'tunnel-src', args: 1, invertible: true },
    { name: 'tunnel-dst', args: 1, invertible: true },
  ],
  build(options) {
    const dir = findOption(options, 'dir');
    if (!dir) throw new RuleSyntaxError('policy match: neither --dir in nor --dir out specified');
    if (dir.args[0] !== 'in' && dir.args[0] !== 'out') throw new RuleSyntaxError(`policy_match: invalid dir "${dir.args[0]}"`);
    const pol = findOption(options, 'pol');
    if (pol && pol.args[0] !== 'none' && pol.args[0] !== 'ipsec') throw new RuleSyntaxError(`policy match: invalid policy "${pol.args[0]}"`);
    const none = pol?.args[0] === 'none';
    const strict = findOption(options, 'strict') !== undefined;
    if (none && strict) throw new RuleSyntaxError('policy match: policy none but --strict given');
    const element: { -readonly [K in keyof Element]: Element[K] } = {};
    const reqid = findOption(options, 'reqid');
    if (reqid) element.reqid = number(reqid);
    const spi = findOption(options, 'spi');
    if (spi) element.spi = number(spi);
    const proto = findOption(options, 'proto');
    if (proto) {
      const value = parseUnsigned(proto.args[0], 255) ?? parseProtocol(proto.args[0] === proto.args[0].toLowerCase() ? proto.args[0] : '');
      if (value === undefined) throw new RuleSyntaxError(`unknown protocol "${proto.args[0]}" specified`);
      if (!IPSEC_PROTOCOLS.has(value)) throw new RuleSyntaxError('policy match: protocol must be ah/esp/ipcomp');
      element.proto = { value, invert: proto.inverted };
    }
    const mode = findOption(options, 'mode');
    if (mode) {
      if (mode.args[0] !== 'tunnel' && mode.args[0] !== 'transport') throw new RuleSyntaxError(`policy match: invalid mode "${mode.args[0]}"`);
      element.mode = { value: mode.args[0], invert: mode.inverted };
    }
    const tunnelSrc = findOption(options, 'tunnel-src');
    const tunnelDst = findOption(options, 'tunnel-dst');
    if ((tunnelSrc || tunnelDst) && element.mode?.value !== 'tunnel') {
      throw new RuleSyntaxError('policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode');
    }
    if (tunnelSrc) element.tunnelSrc = parseAddressTest(tunnelSrc);
    if (tunnelDst) element.tunnelDst = parseAddressTest(tunnelDst);
    if (strict && Object.keys(element).length === 0) {
      throw new RuleSyntaxError(
        'policy match: empty policy element 0. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.',
      );
    }
    return new PolicyMatch(dir.args[0], none, strict, element);
  },
};
