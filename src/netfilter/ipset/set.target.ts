/**
 * `-j SET --add-set NAME FLAGS [--exist] [--timeout N] --del-set NAME FLAGS`:
 * add the packet to an ipset and/or delete it from one, then go on with the
 * next rule (the target never decides the packet's fate). `--exist` refreshes
 * an element already there (timeout, counters); without it an add of a
 * present element does nothing. `--timeout` overrides the set's default.
 * The sets change in the context's ipsets (on an enumerating engine, in the
 * path's own copy-on-write fork). `--map-set` (skb mark/priority/queue from
 * the set) is not modelled.
 */
import { RuleSyntaxError, findOption, type TargetModule } from '../module';
import { packetLength } from '../traversal';
import { parseUnsigned } from '../text/values';
import type { Packet, Target, TargetContext, TargetOutcome } from '../types';
import { addPacket, deletePacket } from './packet-ops';
import { parseSetAndDirections } from './set.match';

const CONTINUE: TargetOutcome = Object.freeze({ kind: 'continue' });

export interface SetTargetOptions {
  readonly add?: { readonly name: string; readonly directions: readonly boolean[] };
  readonly del?: { readonly name: string; readonly directions: readonly boolean[] };
  readonly exist: boolean;
  /** Seconds; undefined: the set's default. */
  readonly timeout?: number;
}

function dirs(directions: readonly boolean[]): string {
  return directions.map((d) => (d ? 'src' : 'dst')).join(',');
}

export class SetTarget implements Target {
  readonly name = 'SET';

  constructor(readonly options: SetTargetOptions) {}

  apply(packet: Packet, ctx: TargetContext): TargetOutcome {
    const store = ctx.ipsets;
    if (!store) return CONTINUE;
    const o = this.options;
    const op = { store, now: ctx.now, length: packetLength(packet) };
    if (o.add) addPacket(o.add.name, packet, { directions: o.add.directions, timeout: o.timeout, exist: o.exist }, op);
    if (o.del) deletePacket(o.del.name, packet, o.del.directions, op);
    return CONTINUE;
  }

  save(): string {
    const o = this.options;
    let out = '-j SET';
    if (o.add) {
      out += ` --add-set ${o.add.name} ${dirs(o.add.directions)}`;
      if (o.exist) out += ' --exist';
      if (o.timeout !== undefined) out += ` --timeout ${o.timeout}`;
    }
    if (o.del) out += ` --del-set ${o.del.name} ${dirs(o.del.directions)}`;
    return out;
  }
}

export const setTargetModule: TargetModule = {
  kind: 'target',
  name: 'SET',
  options: [
    { name: 'add-set', args: 2 },
    { name: 'del-set', args: 2 },
    { name: 'exist', args: 0 },
    { name: 'timeout', args: 1 },
  ],
  build(options, rule): Target {
    const addOption = findOption(options, 'add-set');
    const delOption = findOption(options, 'del-set');
    if (!addOption && !delOption) throw new RuleSyntaxError("You must specify either `--add-set' or `--del-set' or `--map-set'");
    const exist = findOption(options, 'exist') !== undefined;
    const timeoutOption = findOption(options, 'timeout');
    if (!addOption && timeoutOption) throw new RuleSyntaxError("Option `--timeout' can be used with `--add-set' only");
    if (!addOption && exist) throw new RuleSyntaxError("Flag `--exist' can be used with `--add-set' only");
    let timeout: number | undefined;
    if (timeoutOption) {
      timeout = parseUnsigned(timeoutOption.args[0], 4294967294);
      if (timeout === undefined) throw new RuleSyntaxError('Invalid value for option --timeout or out of range 0-4294967294');
    }
    return new SetTarget({
      add: addOption ? parseSetAndDirections(addOption, rule) : undefined,
      del: delOption ? parseSetAndDirections(delOption, rule) : undefined,
      exist,
      timeout,
    });
  },
};
