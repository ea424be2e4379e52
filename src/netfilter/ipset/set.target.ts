/**
 * `-j SET --add-set NAME FLAGS [--exist] [--timeout N] --del-set NAME FLAGS`:
 * add the packet to an ipset and/or delete it from one, then go on with the
 * next rule (the target never decides the packet's fate). `--exist` refreshes
 * an element already there (timeout, counters); without it an add of a
 * present element does nothing. `--timeout` overrides the set's default.
 * The sets change in the context's ipsets (on an enumerating engine, in the
 * path's own copy-on-write fork).
 *
 * `--map-set NAME FLAGS --map-mark|--map-prio|--map-queue` (mangle only, as
 * the kernel allows; priority and queue only from FORWARD, OUTPUT and
 * POSTROUTING): when the packet is in the set, the element's skbinfo is
 * copied onto it. `--map-mark` sets the packet mark as the kernel does,
 * `(mark & ~skbmarkmask) ^ skbmark` (an element without skbinfo, or a set
 * without the extension, gives 0/0: the mark is kept). The priority and the
 * transmit queue are not part of the simulated packet: the trace notes them.
 */
import { RuleSyntaxError, findOption, type TargetModule } from '../module';
import { packetLength } from '../traversal';
import { parseUnsigned } from '../text/values';
import type { Packet, Target, TargetContext, TargetOutcome } from '../types';
import { addPacket, deletePacket, mapLookup } from './packet-ops';
import { parseSetAndDirections } from './set.match';

const CONTINUE: TargetOutcome = Object.freeze({ kind: 'continue' });

export interface SetTargetOptions {
  readonly add?: { readonly name: string; readonly directions: readonly boolean[] };
  readonly del?: { readonly name: string; readonly directions: readonly boolean[] };
  readonly exist: boolean;
  /** Seconds; undefined: the set's default. */
  readonly timeout?: number;
  readonly map?: {
    readonly name: string;
    readonly directions: readonly boolean[];
    readonly mark: boolean;
    readonly prio: boolean;
    readonly queue: boolean;
  };
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

function dirs(directions: readonly boolean[]): string {
  return directions.map((d) => (d ? 'src' : 'dst')).join(',');
}

export class SetTarget implements Target {
  readonly name = 'SET';

  /** Mapping the priority or the queue: only from FORWARD, OUTPUT and POSTROUTING (checked at commit). */
  readonly hooks?: readonly ('FORWARD' | 'OUTPUT' | 'POSTROUTING')[];

  constructor(readonly options: SetTargetOptions) {
    if (options.map && (options.map.prio || options.map.queue)) this.hooks = ['FORWARD', 'OUTPUT', 'POSTROUTING'];
  }

  apply(packet: Packet, ctx: TargetContext): TargetOutcome {
    const store = ctx.ipsets;
    if (!store) return CONTINUE;
    const o = this.options;
    const op = { store, now: ctx.now, length: packetLength(packet) };
    if (o.add) addPacket(o.add.name, packet, { directions: o.add.directions, timeout: o.timeout, exist: o.exist }, op);
    if (o.del) deletePacket(o.del.name, packet, o.del.directions, op);
    const map = o.map;
    if (!map) return CONTINUE;
    const entry = mapLookup(map.name, packet, map.directions, op);
    if (!entry) return { kind: 'continue', note: `not in set ${map.name}: nothing mapped` };
    const notes: string[] = [];
    let changed: Packet | undefined;
    if (map.mark) {
      const value = entry.skbmark ?? 0;
      const mask = entry.skbmark === undefined ? 0 : entry.skbmarkmask;
      const mark = ((packet.mark & ~mask) ^ value) >>> 0;
      notes.push(`skbmark ${hex(value)}/${hex(mask)} from set ${map.name}`);
      if (mark !== packet.mark) changed = { ...packet, mark };
    }
    if (map.prio) notes.push(`priority ${entry.skbprio === undefined ? '0:0' : `${(entry.skbprio >>> 16).toString(16)}:${(entry.skbprio & 0xffff).toString(16)}`} (not simulated)`);
    if (map.queue) notes.push(`queue ${entry.skbqueue ?? 0} (not simulated)`);
    return { kind: 'continue', packet: changed, note: notes.join('; ') };
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
    if (o.map) {
      out += ` --map-set ${o.map.name} ${dirs(o.map.directions)}`;
      if (o.map.mark) out += ' --map-mark';
      if (o.map.prio) out += ' --map-prio';
      if (o.map.queue) out += ' --map-queue';
    }
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
    { name: 'map-set', args: 2 },
    { name: 'map-mark', args: 0 },
    { name: 'map-prio', args: 0 },
    { name: 'map-queue', args: 0 },
  ],
  build(options, rule): Target {
    const addOption = findOption(options, 'add-set');
    const delOption = findOption(options, 'del-set');
    const mapOption = findOption(options, 'map-set');
    if (!addOption && !delOption && !mapOption) throw new RuleSyntaxError("You must specify either `--add-set' or `--del-set' or `--map-set'");
    const exist = findOption(options, 'exist') !== undefined;
    const timeoutOption = findOption(options, 'timeout');
    if (!addOption && timeoutOption) throw new RuleSyntaxError("Option `--timeout' can be used with `--add-set' only");
    if (!addOption && exist) throw new RuleSyntaxError("Flag `--exist' can be used with `--add-set' only");
    const mapMark = findOption(options, 'map-mark') !== undefined;
    const mapPrio = findOption(options, 'map-prio') !== undefined;
    const mapQueue = findOption(options, 'map-queue') !== undefined;
    if (!mapOption) {
      if (mapMark) throw new RuleSyntaxError("Flag `--map-mark' can be used with `--map-set' only");
      if (mapPrio) throw new RuleSyntaxError("Flag `--map-prio' can be used with `--map-set' only");
      if (mapQueue) throw new RuleSyntaxError("Flag `--map-queue' can be used with `--map-set' only");
    } else {
      if (!mapMark && !mapPrio && !mapQueue) throw new RuleSyntaxError("You must specify flags `--map-mark' or '--map-prio` or `--map-queue'");
      if (rule.table !== 'mangle') {
        throw new RuleSyntaxError(`SET --map-set: only valid in the mangle table, not ${rule.table} (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))`);
      }
    }
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
      map: mapOption ? { ...parseSetAndDirections(mapOption, rule), mark: mapMark, prio: mapPrio, queue: mapQueue } : undefined,
    });
  },
};
