/**
 * `-m devgroup [!] --src-group ID[/MASK] [!] --dst-group ID[/MASK]`: the
 * device group of the interface the packet came in on / leaves by
 * (xt_devgroup; `--src-group` only where there is an input device:
 * PREROUTING, INPUT, FORWARD; `--dst-group` only where there is an output
 * device: FORWARD, OUTPUT, POSTROUTING). The host's interfaces are all in
 * group 0 (`default`, as in iproute2's group file), Linux's default.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import type { Hook, Match } from '../types';
import { formatIdMask, parseIdMask } from './realm.match';

const GROUPS: ReadonlyMap<string, number> = new Map([['default', 0]]);

interface GroupTest {
  readonly value: number;
  readonly mask: number;
  readonly invert: boolean;
}

const SRC_HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD'];
const DST_HOOKS: readonly Hook[] = ['FORWARD', 'OUTPUT', 'POSTROUTING'];

export class DevgroupMatch implements Match {
  readonly name = 'devgroup';
  readonly hooks: readonly Hook[] | undefined;

  constructor(
    readonly source: GroupTest | undefined,
    readonly destination: GroupTest | undefined,
  ) {
    this.hooks = source && destination ? ['FORWARD'] : source ? SRC_HOOKS : DST_HOOKS;
  }

  /** Every interface is in group 0. */
  matches(): boolean {
    const holds = (t: GroupTest | undefined) => t === undefined || ((0 & t.mask) === t.value) !== t.invert;
    return holds(this.source) && holds(this.destination);
  }

  save(): string {
    let out = '-m devgroup';
    if (this.source) out += `${this.source.invert ? ' !' : ''} --src-group ${formatIdMask(this.source.value, this.source.mask, GROUPS)}`;
    if (this.destination) out += `${this.destination.invert ? ' !' : ''} --dst-group ${formatIdMask(this.destination.value, this.destination.mask, GROUPS)}`;
    return out;
  }
}

function parse(option: ParsedOption | undefined): GroupTest | undefined {
  if (option === undefined) return undefined;
  const { value, mask } = parseIdMask(option.args[0], GROUPS, () => new RuleSyntaxError(`devgroup: bad value for option "${option.spelled}": "${option.args[0]}"`));
  return { value, mask, invert: option.inverted };
}

export const devgroupMatchModule: MatchModule = {
  kind: 'match',
  name: 'devgroup',
  options: [
    { name: 'src-group', args: 1, invertible: true },
    { name: 'dst-group', args: 1, invertible: true },
  ],
  build(options) {
    const source = parse(findOption(options, 'src-group'));
    const destination = parse(findOption(options, 'dst-group'));
    if (!source && !destination) throw new RuleSyntaxError("devgroup match: You must specify either '--src-group' or '--dst-group'");
    return new DevgroupMatch(source, destination);
  },
};
