/**
 * The text `ipset save` prints and `ipset restore` reads (ipset 7.x; hash sets
 * of `family inet` and `family inet6`):
 *
 *   create NAME TYPE [create options]
 *   add NAME ELEMENT [element options]
 *
 * `restoreIpsets` also takes `del`, `flush` and `destroy` lines, `-exist`
 * (which, as in `ipset restore`, holds for the rest of the input), blank
 * lines and `#` comments. Every line is read and every problem reported in
 * one error (field `ipsets:LINE`), and the store changes only when there is
 * none. `printIpsetSave` prints what `ipset save` prints, byte for byte:
 * sets in creation order with list:set sets last, hash elements in the
 * kernel's bucket order, `initval` and `bucketsize` written out.
 */
import type { Random } from '../../common/random';
import { formatIPv4, prefixMask } from '../../common/ipv4';
import { restoreError, type Problem } from '../restore-problems';
import { parseAddress, parseDecimal, parseUnsigned } from '../text/values';
import { formatElement, parseElements } from './element-text';
import { hostPrefix, type SetFamily } from './set-types';
import { IpSet, SetOperationError, makeHeader, type EntryOptions, type SetEntry, type SetHeader } from './ip-set';
import type { IpsetStore } from './ipset-store';
import { setTypeSpec } from './set-types';

/** ipset types Linux has that kube-netsim does not model. */
const REAL_UNMODELLED_TYPES: ReadonlySet<string> = new Set([
  'bitmap:ip,mac',
  'hash:mac',
  'hash:ip,mac',
  'hash:ip,mark',
  'hash:net,net',
  'hash:net,iface',
  'hash:net,port,net',
]);

export interface IpsetRestoreOptions {
  /** The clock's time (ms): element timeouts count from it. */
  readonly now: number;
  /** Draws the hash `initval` of a set created without one (the kernel draws it at random); default 0. */
  readonly random?: Random;
}

export interface IpsetRestoreResult {
  /** Sets created, in order. */
  readonly created: readonly string[];
  readonly lines: number;
}

const COMMANDS: ReadonlyMap<string, 'create' | 'add' | 'del' | 'flush' | 'destroy'> = new Map([
  ['create', 'create'],
  ['n', 'create'],
  ['-N', 'create'],
  ['add', 'add'],
  ['a', 'add'],
  ['-A', 'add'],
  ['del', 'del'],
  ['d', 'del'],
  ['-D', 'del'],
  ['flush', 'flush'],
  ['F', 'flush'],
  ['-F', 'flush'],
  ['destroy', 'destroy'],
  ['x', 'destroy'],
  ['-X', 'destroy'],
]);

/** Words of one line: whitespace-separated, `"..."` one word without its quotes. */
function lineWords(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new SetOperationError('Syntax error: unterminated quoted string');
      out.push(line.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== ' ' && line[j] !== '\t' && line[j] !== '\r') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

class Unsupported extends Error {}

function number(text: string | undefined, max = 0xffffffff): number {
  if (text === undefined) throw new SetOperationError('Syntax error: missing value');
  const n = parseUnsigned(text, max);
  if (n === undefined) throw new SetOperationError(`Syntax error: '${text}' is invalid as number`);
  return n;
}

function take(words: string[], i: number, option: string): string {
  const value = words[i];
  if (value === undefined) throw new SetOperationError(`Missing mandatory argument of option \`${option}'`);
  return value;
}

function parseCreate(name: string, typeName: string, words: string[], options: IpsetRestoreOptions): IpSet {
  const type = setTypeSpec(typeName);
  if (!type) {
    if (REAL_UNMODELLED_TYPES.has(typeName)) throw new Unsupported(`\`${typeName}\` is a real ipset type that kube-netsim does not model`);
    throw new SetOperationError(`Syntax error: typename '${typeName}' is unknown`);
  }
  const given: Record<string, unknown> = {};
  const allowed = new Set(['timeout', 'counters', 'comment', 'skbinfo']);
  if (type.kind === 'hash') for (const o of ['family', 'hashsize', 'maxelem', 'forceadd', 'bucketsize', 'initval']) allowed.add(o);
  if (type.name === 'hash:ip' || type.name === 'bitmap:ip') allowed.add('netmask');
  if (type.kind === 'bitmap') allowed.add('range');
  if (type.kind === 'list') allowed.add('size');
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!allowed.has(word)) throw new SetOperationError(`Unknown argument: \`${word}'`);
    switch (word) {
      case 'family': {
        const family = take(words, ++i, word);
        if (given.family !== undefined) throw new SetOperationError('Syntax error: family already specified');
        if (family !== 'inet' && family !== 'inet6') throw new SetOperationError(`Syntax error: unknown inet family ${family}`);
        given.family = family;
        break;
      }
      case 'hashsize':
      case 'maxelem':
      case 'timeout':
      case 'size':
      case 'bucketsize':
      case 'initval':
        given[word] = number(take(words, ++i, word));
        break;
      case 'netmask': {
        if (given.netmask !== undefined) throw new SetOperationError('Syntax error: netmask already specified');
        given.netmask = number(take(words, ++i, word), 255);
        break;
      }
      case 'range': {
        const text = take(words, ++i, word);
        if (type.name === 'bitmap:port') {
          const [a, b] = text.split('-');
          const from = number(a, 65535);
          const to = b === undefined ? from : number(b, 65535);
          given.rangeFrom = Math.min(from, to);
          given.rangeTo = Math.max(from, to);
        } else {
          const slash = text.indexOf('/');
          const dash = text.indexOf('-');
          let from: number | undefined;
          let to: number | undefined;
          if (slash >= 0) {
            const cidr = parseDecimal(text.slice(slash + 1), 32);
            from = parseAddress(text, 0, slash);
            if (cidr === undefined || from === undefined) throw new SetOperationError(`Syntax error: cannot parse ${text}: resolving to IPv4 address failed`);
            from = (from & prefixMask(cidr)) >>> 0;
            to = (from | ~prefixMask(cidr)) >>> 0;
          } else {
            from = parseAddress(text, 0, dash < 0 ? text.length : dash);
            to = dash < 0 ? from : parseAddress(text, dash + 1);
            if (from === undefined || to === undefined) throw new SetOperationError(`Syntax error: cannot parse ${text}: resolving to IPv4 address failed`);
          }
          given.rangeFrom = Math.min(from, to);
          given.rangeTo = Math.max(from, to);
        }
        break;
      }
      default:
        given[word] = true;
    }
  }
  if (given.netmask !== undefined) {
    const n = given.netmask as number;
    const max = hostPrefix((given.family as SetFamily | undefined) ?? 'inet');
    if (n < 1 || n > max) throw new SetOperationError(`Syntax error: '${n}' is out of range 1-${max}`);
  }
  if (type.kind === 'bitmap' && given.rangeFrom === undefined) throw new SetOperationError("Mandatory option `range' is missing");
  if (type.name === 'bitmap:ip') {
    const blocks = ((given.rangeTo as number) - (given.rangeFrom as number)) / 2 ** (32 - ((given.netmask as number | undefined) ?? 32));
    if (blocks >= 65536) throw new SetOperationError('The range you specified exceeds the size limit of the set type');
  }
  if (type.kind === 'hash' && given.initval === undefined) {
    const r = options.random;
    given.initval = r ? ((r.int(65536) * 65536 + r.int(65536)) >>> 0) : 0;
  }
  if (given.bucketsize !== undefined) {
    let b = given.bucketsize as number;
    if (b < 2) b = 2;
    else if (b > 12) b = 12;
    else if (b % 2) b++;
    given.bucketsize = b;
  }
  return new IpSet(makeHeader(name, typeName, given as Partial<SetHeader>));
}

function parseEntryOptions(set: IpSet, words: string[]): EntryOptions & { before?: { name: string; before: boolean } } {
  const h = set.header;
  const o: { -readonly [K in keyof EntryOptions]: EntryOptions[K] } & { before?: { name: string; before: boolean } } = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    switch (word) {
      case 'timeout':
        if (h.timeout === undefined) throw new SetOperationError('Timeout cannot be used: set was created without timeout support');
        o.timeout = number(take(words, ++i, word));
        break;
      case 'nomatch':
        if (!h.type.nomatch) throw new SetOperationError("Unknown argument: `nomatch'");
        o.nomatch = true;
        break;
      case 'packets':
      case 'bytes':
        if (!h.counters) throw new SetOperationError('Packet/byte counters cannot be used: set was created without counter support');
        o[word] = number(take(words, ++i, word), Number.MAX_SAFE_INTEGER);
        break;
      case 'comment':
        if (!h.comment) throw new SetOperationError('Comment cannot be used: set was created without comment support');
        o.comment = take(words, ++i, word).slice(0, 255);
        break;
      case 'skbmark': {
        if (!h.skbinfo) throw new SetOperationError('Skbinfo mapping cannot be used: set was created without skbinfo support');
        const [value, mask] = take(words, ++i, word).split('/');
        o.skbmark = number(value);
        o.skbmarkmask = mask === undefined ? 0xffffffff : number(mask);
        break;
      }
      case 'skbprio': {
        if (!h.skbinfo) throw new SetOperationError('Skbinfo mapping cannot be used: set was created without skbinfo support');
        const [major, minor] = take(words, ++i, word).split(':');
        const a = parseUnsigned('0x' + major, 0xffff);
        const b = minor === undefined ? undefined : parseUnsigned('0x' + minor, 0xffff);
        if (a === undefined || b === undefined) throw new SetOperationError(`Syntax error: cannot parse ${words[i]} as skbprio`);
        o.skbprio = ((a << 16) | b) >>> 0;
        break;
      }
      case 'skbqueue':
        if (!h.skbinfo) throw new SetOperationError('Skbinfo mapping cannot be used: set was created without skbinfo support');
        o.skbqueue = number(take(words, ++i, word), 0xffff);
        break;
      case 'before':
      case 'after':
        if (h.type.kind !== 'list') throw new SetOperationError(`Unknown argument: \`${word}'`);
        o.before = { name: take(words, ++i, word), before: word === 'before' };
        break;
      default:
        throw new SetOperationError(`Unknown argument: \`${word}'`);
    }
  }
  return o;
}

/**
 * Reads `ipset restore` text into `store`: all of it, or (any problem) none
 * of it, with every problem in one `DomainError` (causes `ipsets:LINE`).
 */
export function restoreIpsets(store: IpsetStore, text: string, options: IpsetRestoreOptions): IpsetRestoreResult {
  const work = store.fork();
  const problems: Problem[] = [];
  const created: string[] = [];
  /** Sets whose create line failed: later lines about them say nothing more. */
  const failed = new Set<string>();
  let exist = false;
  const lines = text.split('\n');
  const now = options.now;
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const trimmed = lines[index].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    try {
      let words = lineWords(trimmed);
      if (words.some((w) => w === '-exist' || w === '-!')) {
        exist = true;
        words = words.filter((w) => w !== '-exist' && w !== '-!');
      }
      const command = COMMANDS.get(words[0]);
      if (!command) {
        if (words[0] === 'rename' || words[0] === 'swap' || words[0] === 'e' || words[0] === 'w') {
          throw new Unsupported(`\`ipset ${words[0]}\` is a real ipset command that kube-netsim does not read in a restore`);
        }
        throw new SetOperationError(`No command specified: unknown argument ${words[0]}`);
      }
      const name = words[1];
      if (failed.has(name)) continue;
      if (command === 'flush' || command === 'destroy') {
        const targets = name === undefined ? work.all().map((s) => s.name) : [name];
        for (const n of targets) {
          if (!work.has(n)) throw new SetOperationError('The set with the given name does not exist');
          if (command === 'flush') work.writable(n)!.flush();
          else {
            if (work.listsHolding(n, now).length > 0) throw new SetOperationError('Set cannot be destroyed: it is in use by a kernel component');
            work.destroy(n);
          }
        }
        continue;
      }
      if (name === undefined) throw new SetOperationError(`Missing second mandatory argument to command ${command}`);
      if (name.length > 31) throw new SetOperationError(`Syntax error: setname '${name}' is longer than 31 characters`);
      if (command === 'create') {
        if (words[2] === undefined) throw new SetOperationError('Missing mandatory argument to command create');
        try {
          const set = parseCreate(name, words[2], words.slice(3), options);
          const current = work.get(name);
          if (current) {
            if (!exist || current.typeName !== set.typeName) throw new SetOperationError('Set cannot be created: set with the same name already exists');
            continue;
          }
          work.create(set);
          created.push(name);
        } catch (e) {
          failed.add(name);
          throw e;
        }
        continue;
      }
      const set = work.get(name);
      if (!set) throw new SetOperationError('The set with the given name does not exist');
      if (words[2] === undefined) throw new SetOperationError(`Missing third mandatory argument to command ${command}`);
      const elements = parseElements(set.header, words[2]);
      const entryOptions = parseEntryOptions(set, words.slice(3));
      if (set.header.type.kind === 'list') {
        const member = work.get(elements[0].name);
        if (!member) throw new SetOperationError('Set to be added/deleted/tested as element does not exist.');
        if (member.header.type.kind === 'list') throw new SetOperationError('Sets with list:set type cannot be added to the set.');
      }
      const writable = work.writable(name)!;
      for (const element of elements) {
        if (command === 'add') writable.add(element, entryOptions, now, exist, entryOptions.before);
        else if (!writable.delete(element, now) && !exist) throw new SetOperationError("Element cannot be deleted from the set: it's not added");
      }
    } catch (e) {
      if (e instanceof Unsupported) problems.push({ line, message: e.message, code: 'RULE_PARSE_ERROR', unsupported: true });
      else if (e instanceof SetOperationError) problems.push({ line, message: e.message, code: 'RULE_PARSE_ERROR', unsupported: false });
      else throw e;
    }
  }
  if (problems.length > 0) throw restoreError(problems, text, false, { field: 'ipsets', subject: 'the ipsets' });
  store.adopt(work);
  return { created, lines: lines.length };
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

function hex8(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}

function extensionFlags(h: SetHeader): string {
  let out = '';
  if (h.timeout !== undefined) out += ` timeout ${h.timeout}`;
  if (h.counters) out += ' counters';
  if (h.comment) out += ' comment';
  if (h.skbinfo) out += ' skbinfo';
  return out;
}

/** The `create` line of a set. */
export function formatCreate(set: IpSet): string {
  const h = set.header;
  let out = `create ${h.name} ${h.type.name}`;
  switch (h.type.kind) {
    case 'hash':
      out += ` family ${h.family} hashsize ${set.hashsize} maxelem ${h.maxelem}`;
      if (h.netmask !== hostPrefix(h.family)) out += ` netmask ${h.netmask}`;
      out += extensionFlags(h);
      out += ` bucketsize ${h.bucketsize} initval ${hex8(h.initval)}`;
      return out;
    case 'bitmap':
      out += h.type.name === 'bitmap:port' ? ` range ${h.rangeFrom}-${h.rangeTo}` : ` range ${formatIPv4(h.rangeFrom)}-${formatIPv4(h.rangeTo)}`;
      if (h.type.name === 'bitmap:ip' && h.netmask !== 32) out += ` netmask ${h.netmask}`;
      return out + extensionFlags(h);
    case 'list':
      return out + ` size ${h.size}` + extensionFlags(h);
  }
}

/** Seconds left, as the kernel reports them (0 for a permanent element, at least 1 otherwise). */
function remaining(entry: SetEntry, now: number): number {
  if (entry.expires === undefined) return 0;
  const seconds = Math.floor((entry.expires - now) / 1000);
  return seconds === 0 ? 1 : seconds;
}

/** The `add` line of an element. */
export function formatAdd(set: IpSet, entry: SetEntry, now: number): string {
  const h = set.header;
  let out = `add ${h.name} ${formatElement(h, entry.element)}`;
  if (h.timeout !== undefined) out += ` timeout ${remaining(entry, now)}`;
  if (entry.nomatch) out += ' nomatch';
  if (h.counters) out += ` packets ${entry.packets} bytes ${entry.bytes}`;
  if (h.comment && entry.comment !== undefined) out += ` comment "${entry.comment}"`;
  if (h.skbinfo) {
    if (entry.skbmark !== undefined && (entry.skbmark !== 0 || entry.skbmarkmask !== 0)) {
      out += ` skbmark 0x${entry.skbmark.toString(16)}`;
      if (entry.skbmarkmask !== 0xffffffff) out += `/0x${entry.skbmarkmask.toString(16)}`;
    }
    if (entry.skbprio) out += ` skbprio ${(entry.skbprio >>> 16).toString(16)}:${(entry.skbprio & 0xffff).toString(16)}`;
    if (entry.skbqueue) out += ` skbqueue ${entry.skbqueue}`;
  }
  return out;
}

/** What `ipset save` prints for the store (list:set sets after the others). */
export function printIpsetSave(store: IpsetStore, now: number): string {
  const sets = store.all();
  const ordered = [...sets.filter((s) => s.header.type.kind !== 'list'), ...sets.filter((s) => s.header.type.kind === 'list')];
  let out = '';
  for (const set of ordered) {
    out += formatCreate(set) + '\n';
    for (const entry of set.entries(now)) out += formatAdd(set, entry, now) + '\n';
  }
  return out;
}
