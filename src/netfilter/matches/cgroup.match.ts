/**
 * `-m cgroup [!] --path PATH | [!] --cgroup CLASSID`: the control group of
 * the process whose socket the packet belongs to (xt_cgroup: a cgroup v2
 * path, or a net_cls class id). The kernel allows it in chains reachable
 * from OUTPUT, POSTROUTING and INPUT, and refuses a rule with both options
 * or neither.
 *
 * The simulation has no cgroups: the rule is read, checked and printed as
 * iptables does, and a trace that reaches it forks both ways ("the
 * simulation has no cgroups"), each outcome naming the rule it depends on, as
 * `-m string` does. (The owner model, `packet.socket`, says who owns a socket,
 * not which cgroup its process is in.) A path is not looked up: the node the
 * dump came from had it.
 */
import { RuleSyntaxError, findOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match } from '../types';

/** The kernel's refusal, in iptables' words. */
const KERNEL_REFUSES = 'cgroup: give exactly one of --path or --cgroup (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))';

/** XT_CGROUP_PATH_MAX. */
const PATH_MAX = 512;

export class CgroupMatch implements Match {
  readonly name = 'cgroup';
  readonly hooks = ['OUTPUT', 'POSTROUTING', 'INPUT'] as const;
  readonly unmodelled = true;
  readonly assumption = 'the simulation has no cgroups: whether the socket belongs to that cgroup is not known';

  constructor(
    readonly path: { readonly value: string; readonly invert: boolean } | undefined,
    readonly classid: { readonly value: number; readonly invert: boolean } | undefined,
  ) {}

  /** Never asked by the traversal (it forks instead). */
  matches(): boolean {
    return false;
  }

  save(): string {
    let out = '-m cgroup';
    if (this.path) out += `${this.path.invert ? ' !' : ''} --path "${this.path.value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
    if (this.classid) out += `${this.classid.invert ? ' !' : ''} --cgroup ${this.classid.value}`;
    return out;
  }
}

export const cgroupMatchModule: MatchModule = {
  kind: 'match',
  name: 'cgroup',
  options: [
    { name: 'path', args: 1, invertible: true },
    { name: 'cgroup', args: 1, invertible: true },
  ],
  build(options) {
    const path = findOption(options, 'path');
    const classid = findOption(options, 'cgroup');
    if ((path === undefined) === (classid === undefined)) throw new RuleSyntaxError(KERNEL_REFUSES);
    if (path && path.args[0].length >= PATH_MAX) throw new RuleSyntaxError(`cgroup: the path is longer than ${PATH_MAX - 1} bytes`);
    let id: number | undefined;
    if (classid) {
      id = parseUnsigned(classid.args[0], 0xffffffff);
      if (id === undefined) throw new RuleSyntaxError('cgroup: bad value for option "--cgroup", or out of range (0-4294967295).');
    }
    return new CgroupMatch(path && { value: path.args[0], invert: path.inverted }, classid && { value: id!, invert: classid.inverted });
  },
};
