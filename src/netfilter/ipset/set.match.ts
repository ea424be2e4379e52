/**
 * `-m set [!] --match-set NAME src|dst[,src|dst...]`: is the packet in the
 * ipset? With `--return-nomatch` (a `nomatch` element answers yes and a
 * normal one no), `! --update-counters` / `! --update-subcounters` (leave
 * the element's, or a list:set's members', counters alone) and one
 * `[!] --packets-eq N` / `--packets-lt N` / `--packets-gt N` and one of the
 * `--bytes-*` (compared with the element's counters after this packet
 * counted). The set must exist when the rule is loaded ("Set NAME doesn't
 * exist.", as iptables says); it is looked up by name in the context's
 * ipsets for each packet, so the rule sees the set as it is now. Semantics:
 * packet-ops.ts.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption, type RuleBuildContext } from '../module';
import { packetLength } from '../traversal';
import { parseUnsigned } from '../text/values';
import type { Match, MatchContext, Packet } from '../types';
import { kernelFamily } from './ip-set';
import { testPacket, type CounterCondition, type SetTestOptions } from './packet-ops';

/** The most `src`/`dst` flags a rule may give (IPSET_DIM_MAX). */
const MAX_DIMENSIONS = 6;
const MAX_SET_NAME = 31;

/** A rule names a set that does not exist; with `unsupported: 'keep'` the rule is kept instead. */
export class MissingSetError extends RuleSyntaxError {
  constructor(readonly setName: string) {
    super(`Set ${setName} doesn't exist.`);
    this.name = 'MissingSetError';
  }

  /** Why the rule is kept as given when keeping. */
  get keptReason(): string {
    return `set "${this.setName}" is not among the ipsets given, so its contents are unknown`;
  }
}

/** `NAME src,dst`: the name (checked against the rule's ipsets) and the directions. */
export function parseSetAndDirections(option: ParsedOption, rule: RuleBuildContext): { name: string; directions: boolean[] } {
  const [name, flags] = option.args;
  if (name.length > MAX_SET_NAME) throw new RuleSyntaxError(`setname \`${name}' too long, max ${MAX_SET_NAME} characters.`);
  const words = flags.split(',');
  if (words.length > MAX_DIMENSIONS) throw new RuleSyntaxError(`Can't be more src/dst options than ${MAX_DIMENSIONS}.`);
  const directions: boolean[] = [];
  for (const word of words) {
    if (word !== 'src' && word !== 'dst') throw new RuleSyntaxError("You must spefify (the comma separated list of) 'src' or 'dst'.");
    directions.push(word === 'src');
  }
  if (!rule.ipsets?.has(name)) throw new MissingSetError(name);
  // iptables asks the kernel for the set's family: a set of the other family is refused (bitmap:port and list:set have none).
  const family = kernelFamily(rule.ipsets.get(name)!.header);
  if (family !== undefined && (family === 'inet6') !== (rule.family === 'ipv6')) {
    throw new RuleSyntaxError(`The protocol family of set ${name} is ${family === 'inet6' ? 'IPv6' : 'IPv4'}, which is not applicable.`);
  }
  return { name, directions };
}

function formatDirections(directions: readonly boolean[]): string {
  return directions.map((d) => (d ? 'src' : 'dst')).join(',');
}

export class SetMatch implements Match {
  readonly name = 'set';
  readonly stateful = true;

  constructor(
    readonly setName: string,
    readonly invert: boolean,
    readonly options: SetTestOptions,
  ) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    const store = ctx.ipsets;
    const found = store !== undefined && testPacket(this.setName, packet, this.options, { store, now: ctx.now, length: packetLength(packet) });
    return found !== this.invert;
  }

  save(): string {
    const o = this.options;
    let out = `-m set ${this.invert ? '! ' : ''}--match-set ${this.setName} ${formatDirections(o.directions)}`;
    if (o.returnNomatch) out += ' --return-nomatch';
    if (!o.updateCounters) out += ' ! --update-counters';
    if (!o.updateSubcounters) out += ' ! --update-subcounters';
    out += formatCondition('packets', o.packets) + formatCondition('bytes', o.bytes);
    return out;
  }
}

function formatCondition(what: string, c: CounterCondition | undefined): string {
  if (!c) return '';
  return c.op === 'ne' ? ` ! --${what}-eq ${c.value}` : ` --${what}-${c.op} ${c.value}`;
}

function condition(options: readonly ParsedOption[], what: 'packets' | 'bytes'): CounterCondition | undefined {
  let found: CounterCondition | undefined;
  for (const o of options) {
    if (!o.name.startsWith(what + '-')) continue;
    if (found) throw new RuleSyntaxError(`only one of the --${what}-[eq|lt|gt] is allowed`);
    const value = parseUnsigned(o.args[0], Number.MAX_SAFE_INTEGER);
    if (value === undefined) throw new RuleSyntaxError(`Cannot parse ${o.args[0]} as a counter value`);
    const op = o.name.slice(what.length + 1) as 'eq' | 'lt' | 'gt';
    found = { op: op === 'eq' && o.inverted ? 'ne' : op, value };
  }
  return found;
}

export const setMatchModule: MatchModule = {
  kind: 'match',
  name: 'set',
  options: [
    { name: 'match-set', aliases: ['set'], args: 2, invertible: true },
    { name: 'return-nomatch', args: 0, repeatable: true },
    { name: 'update-counters', args: 0, invertible: true, repeatable: true },
    { name: 'update-subcounters', args: 0, invertible: true, repeatable: true },
    { name: 'packets-eq', args: 1, invertible: true },
    { name: 'packets-lt', args: 1 },
    { name: 'packets-gt', args: 1 },
    { name: 'bytes-eq', args: 1, invertible: true },
    { name: 'bytes-lt', args: 1 },
    { name: 'bytes-gt', args: 1 },
  ],
  build(options, rule) {
    const set = findOption(options, 'match-set');
    if (!set) throw new RuleSyntaxError("You must specify `--match-set' with proper arguments");
    const { name, directions } = parseSetAndDirections(set, rule);
    let updateCounters = true;
    let updateSubcounters = true;
    for (const o of options) {
      if (o.name === 'update-counters' && o.inverted) updateCounters = false;
      if (o.name === 'update-subcounters' && o.inverted) updateSubcounters = false;
    }
    return new SetMatch(name, set.inverted, {
      directions,
      returnNomatch: findOption(options, 'return-nomatch') !== undefined,
      updateCounters,
      updateSubcounters,
      packets: condition(options, 'packets'),
      bytes: condition(options, 'bytes'),
    });
  },
};
