/**
 * `-m recent`: named lists of recently seen addresses (kube-proxy's
 * session affinity). Exactly one command: `--set` (add or refresh the
 * address, always matches), `--rcheck` (is it listed, seen within
 * `--seconds`, at least `--hitcount` times?), `--update` (rcheck, and
 * refresh it when the rule matches), `--remove`. The lists themselves live in
 * the context's `RecentStore`, so they outlive ruleset reloads as the
 * kernel's do.
 */
import { v4 } from '../address';
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule } from '../module';
import { detach, formatAddress, parseAddress, parseUnsigned, truncateBytes } from '../text/values';
import { DEFAULT_TTL, type Match, type MatchContext, type Packet } from '../types';

export type RecentCommand = 'set' | 'rcheck' | 'update' | 'remove';

/** The kernel keeps 199 bytes of a list name. */
const MAX_NAME_BYTES = 199;

export interface RecentOptions {
  readonly command: RecentCommand;
  readonly invert: boolean;
  readonly name: string;
  /** 0: no time limit. */
  readonly seconds: number;
  readonly reap: boolean;
  /** 0: any number of hits. */
  readonly hitcount: number;
  readonly rttl: boolean;
  readonly mask: number;
  /** Key the list on the destination address (`--rdest`) instead of the source. */
  readonly rdest: boolean;
}

export class RecentMatch implements Match {
  readonly name = 'recent';
  readonly stateful = true;

  constructor(readonly options: RecentOptions) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    const o = this.options;
    const address = (v4(o.rdest ? packet.destination : packet.source) & o.mask) >>> 0;
    const ttl = packet.ttl ?? DEFAULT_TTL;
    let entry = ctx.recent.get(o.name, address);
    if (entry && o.rttl && entry.ttl !== ttl) entry = undefined;
    let found: boolean;
    if (!entry) {
      found = o.command === 'set';
    } else if (o.command === 'set' || o.command === 'remove') {
      found = true;
      if (o.command === 'remove') ctx.recent.remove(o.name, address);
    } else {
      const cutoff = ctx.now - o.seconds * 1000;
      let hits = 0;
      found = false;
      for (const stamp of entry.stamps) {
        if (o.seconds > 0 && stamp < cutoff) continue;
        hits++;
        if (o.hitcount === 0 || hits >= o.hitcount) {
          found = true;
          break;
        }
      }
      if (o.reap) ctx.recent.reap(o.name, cutoff, address);
    }
    const result = found !== o.invert;
    if (o.command === 'set' || (o.command === 'update' && entry && result)) {
      ctx.recent.touch(o.name, address, ctx.now, ttl);
    }
    return result;
  }

  save(): string {
    const o = this.options;
    let out = `-m recent${o.invert ? ' !' : ''} --${o.command}`;
    if (o.seconds > 0) out += ` --seconds ${o.seconds}`;
    if (o.reap) out += ' --reap';
    if (o.hitcount > 0) out += ` --hitcount ${o.hitcount}`;
    if (o.rttl) out += ' --rttl';
    // iptables-save writes the name bare, even when it holds spaces.
    out += ` --name ${o.name} --mask ${formatAddress(o.mask)} ${o.rdest ? '--rdest' : '--rsource'}`;
    return out;
  }
}

const COMMANDS: readonly RecentCommand[] = ['set', 'rcheck', 'update', 'remove'];

export const recentMatchModule: MatchModule = {
  kind: 'match',
  name: 'recent',
  options: [
    { name: 'set', args: 0, invertible: true },
    { name: 'rcheck', args: 0, invertible: true },
    { name: 'update', args: 0, invertible: true },
    { name: 'remove', args: 0, invertible: true },
    { name: 'seconds', args: 1 },
    { name: 'reap', args: 0 },
    { name: 'hitcount', args: 1 },
    { name: 'rttl', args: 0 },
    { name: 'name', args: 1 },
    { name: 'mask', args: 1 },
    { name: 'rsource', args: 0 },
    { name: 'rdest', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'recent', COMMANDS);
    refuseTogether(options, 'recent', ['rsource', 'rdest']);
    const commandOption = options.find((o) => (COMMANDS as readonly string[]).includes(o.name));
    if (!commandOption) {
      throw new RuleSyntaxError('recent: one of --set, --rcheck, --update or --remove is required');
    }
    const command = commandOption.name as RecentCommand;
    const checks = command === 'rcheck' || command === 'update';

    const secondsOption = findOption(options, 'seconds');
    let seconds = 0;
    if (secondsOption) {
      const n = parseUnsigned(secondsOption.args[0]);
      if (n === undefined || n < 1) throw new RuleSyntaxError(`recent: bad value "${secondsOption.args[0]}" for --seconds`);
      seconds = n;
    }
    const hitOption = findOption(options, 'hitcount');
    let hitcount = 0;
    if (hitOption) {
      const n = parseUnsigned(hitOption.args[0]);
      if (n === undefined) throw new RuleSyntaxError(`recent: bad value "${hitOption.args[0]}" for --hitcount`);
      hitcount = n;
    }
    const reap = findOption(options, 'reap') !== undefined;
    if (reap && !secondsOption) throw new RuleSyntaxError('recent: --reap needs --seconds');
    if (!checks && (secondsOption || hitOption || reap)) {
      throw new RuleSyntaxError(`recent: --seconds, --hitcount and --reap only go with --rcheck or --update`);
    }

    const nameOption = findOption(options, 'name');
    const name = nameOption ? truncateBytes(nameOption.args[0], MAX_NAME_BYTES) : 'DEFAULT';
    if (name === '') throw new RuleSyntaxError('recent: --name must not be empty');
    const maskOption = findOption(options, 'mask');
    let mask = 0xffffffff;
    if (maskOption) {
      const parsed = parseAddress(maskOption.args[0]);
      if (parsed === undefined) throw new RuleSyntaxError(`recent: bad mask "${maskOption.args[0]}"`);
      mask = parsed;
    }
    return new RecentMatch({
      command,
      invert: commandOption.inverted,
      name: detach(name),
      seconds,
      reap,
      hitcount,
      rttl: findOption(options, 'rttl') !== undefined,
      mask,
      rdest: findOption(options, 'rdest') !== undefined,
    });
  },
};
