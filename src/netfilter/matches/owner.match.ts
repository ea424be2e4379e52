/**
 * `-m owner [!] --uid-owner UID[-UID] [!] --gid-owner GID[-GID]
 * [--suppl-groups] [!] --socket-exists`: tests the local socket that sent
 * the packet (xt_owner). Only locally generated packets have one, so the
 * kernel allows the match only in chains reachable from OUTPUT and
 * POSTROUTING, and refuses the rule at commit elsewhere.
 *
 * As the kernel decides:
 * - a packet without a socket (forwarded, in POSTROUTING) matches only when
 *   every test the rule makes is negated (`! --socket-exists`, `! --uid-owner 0`);
 * - `--uid-owner` tests the socket's owner (the opener's fsuid) against an
 *   inclusive range; `--gid-owner` its fsgid, and with `--suppl-groups` also
 *   any of its supplementary groups.
 *
 * Who owns the socket comes from the trace (`packet.socket`); root's by default.
 * User and group names are resolved as on a Debian-like host for `root` (0) and
 * `nobody` / `nogroup` (65534) only: iptables reads them from the node's
 * /etc/passwd, which kube-netsim does not have. iptables-save prints numbers.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, Packet, SocketOwner } from '../types';

const USERS: ReadonlyMap<string, number> = new Map([
  ['root', 0],
  ['nobody', 65534],
]);
const GROUPS: ReadonlyMap<string, number> = new Map([
  ['root', 0],
  ['nogroup', 65534],
]);

interface IdRange {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

/** The largest id iptables takes (the kernel keeps (uid_t)-1 for "none"). */
const MAX_ID = 0xfffffffe;

function parseIds(option: ParsedOption, names: ReadonlyMap<string, number>): IdRange {
  const text = option.args[0];
  const bad = () => new RuleSyntaxError(`owner: Bad value for "${option.spelled}" option: "${text}"`);
  const named = names.get(text);
  if (named !== undefined) return { min: named, max: named, invert: option.inverted };
  const dash = text.indexOf('-');
  const min = parseUnsigned(dash < 0 ? text : text.slice(0, dash), MAX_ID);
  const max = dash < 0 ? min : parseUnsigned(text.slice(dash + 1), MAX_ID);
  if (min === undefined || max === undefined) throw bad();
  if (min > max) {
    throw new RuleSyntaxError(`owner: the range "${text}" of ${option.spelled} is reversed (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))`);
  }
  return { min, max, invert: option.inverted };
}

function formatIds(range: IdRange): string {
  return range.min === range.max ? String(range.min) : `${range.min}-${range.max}`;
}

function inRange(range: IdRange, id: number): boolean {
  return id >= range.min && id <= range.max;
}

export class OwnerMatch implements Match {
  readonly name = 'owner';
  readonly hooks = ['OUTPUT', 'POSTROUTING'] as const;

  constructor(
    readonly uid: IdRange | undefined,
    readonly gid: IdRange | undefined,
    readonly supplementaryGroups: boolean,
    /** `--socket-exists`: undefined when not given, else whether negated. */
    readonly socketExists: { readonly invert: boolean } | undefined,
  ) {}

  /** Every test the rule makes is negated: what a packet without a socket matches. */
  private get allNegated(): boolean {
    return (this.uid?.invert ?? true) && (this.gid?.invert ?? true) && (this.socketExists?.invert ?? true);
  }

  matches(packet: Packet): boolean {
    const socket: SocketOwner | undefined = packet.socket;
    if (socket === undefined) return this.allNegated;
    if (this.socketExists?.invert) return false;
    if (this.uid !== undefined && inRange(this.uid, socket.uid) === this.uid.invert) return false;
    if (this.gid !== undefined) {
      const gid = this.gid;
      const hit = inRange(gid, socket.gid) || (this.supplementaryGroups && socket.groups.some((g) => inRange(gid, g)));
      if (hit === gid.invert) return false;
    }
    return true;
  }

  save(): string {
    let out = '-m owner';
    if (this.socketExists) out += `${this.socketExists.invert ? ' !' : ''} --socket-exists`;
    if (this.uid) out += `${this.uid.invert ? ' !' : ''} --uid-owner ${formatIds(this.uid)}`;
    if (this.gid) out += `${this.gid.invert ? ' !' : ''} --gid-owner ${formatIds(this.gid)}`;
    if (this.supplementaryGroups) out += ' --suppl-groups';
    return out;
  }
}

export const ownerMatchModule: MatchModule = {
  kind: 'match',
  name: 'owner',
  options: [
    { name: 'uid-owner', args: 1, invertible: true },
    { name: 'gid-owner', args: 1, invertible: true },
    { name: 'socket-exists', args: 0, invertible: true },
    { name: 'suppl-groups', args: 0 },
  ],
  build(options) {
    const uid = findOption(options, 'uid-owner');
    const gid = findOption(options, 'gid-owner');
    const socket = findOption(options, 'socket-exists');
    const suppl = findOption(options, 'suppl-groups');
    if (suppl && (!gid || options.indexOf(suppl) < options.indexOf(gid))) {
      throw new RuleSyntaxError('owner: Bad value for "--suppl-groups" option: "you need to use --gid-owner first"');
    }
    if (!uid && !gid && !socket) throw new RuleSyntaxError('owner: At least one of --uid-owner, --gid-owner or --socket-exists is required');
    return new OwnerMatch(uid && parseIds(uid, USERS), gid && parseIds(gid, GROUPS), suppl !== undefined, socket && { invert: socket.inverted });
  },
};
