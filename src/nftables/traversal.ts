/**
 * The nftables traversal engine: a host's nft base chains as hook entries
 * of the netfilter engine (src/netfilter/engine.ts), which runs them with
 * the iptables tables at each hook by priority and with one conntrack.
 *
 * `nftHookEntries(ruleset)` is the entry point: hand it to
 * `new NetfilterEngine({ ruleset, nftables: nftHookEntries(nft) })` (an
 * empty iptables `Ruleset` for a host with nft rules only).
 *
 * A base chain runs as the kernel's `nft_do_chain`: each rule's expressions
 * in order (a failing match ends the rule), statements as they come, and a
 * verdict: `accept` ends this base chain (the packet goes on to the hook's
 * next entry), `drop` and `reject` end the packet, `jump` pushes a return
 * point, `goto` does not, `return` (or the end of a chain) pops one, and the
 * end of the base chain applies its policy. A NAT statement makes the
 * connection's binding and accepts. `ip` and `inet` tables see IPv4
 * packets, `ip6` and `inet` IPv6 ones.
 *
 * `numgen random mod N` forks N ways with the kernel's exact probabilities:
 * it maps a uniform 32-bit draw to `(draw * N) >> 32`, so bucket k has
 * `ceil((k+1)·2^32/N) − ceil(k·2^32/N)` draws of 2^32 (1/N exactly when N is
 * a power of two). Set elements added by `update @set` (session affinity)
 * expire on the engine's clock; enumeration writes them to a fork per path.
 */
import { DomainError } from '../common/domain-error';
import type { IpFamily } from '../netfilter/address';
import type { ChainWalker, ForeignRule, HookEntry, HookEntrySource, WalkResult } from '../netfilter/traversal';
import type { Hook, NftTableLabel, Packet, RejectWith } from '../netfilter/types';
import { applyMark, compiledRule, compileRule, compileText, keyIn, masked, NftCompileError, type NftEnv, type NftVerdict, type Op, type SetRef } from './compile';
import { priorityValue } from './list-printer';
import type { NftChain, NftElement, NftRule, NftRuleset, NftSet, NftTable } from './model';
import { canonicalText, parseConstant, parseDuration, setTypeKinds, type Constant, type Scalar, type ValueKind } from './values';

const MAX_DEPTH = 64;
const INT_KIND: readonly ValueKind[] = ['int'];
/** numgen's one-part key, reused (see `KEY_SCRATCH`). */
const NUMGEN_KEY: Scalar[] = [0];
const ACCEPTED: WalkResult = Object.freeze({ kind: 'accept' });
const DROPPED: WalkResult = Object.freeze({ kind: 'drop' });
const WEIGHTS = new Map<number, number[]>();

/** `numgenWeights(n)`, made once per modulus. */
function weightsOf(n: number): number[] {
  let w = WEIGHTS.get(n);
  if (w === undefined) WEIGHTS.set(n, (w = numgenWeights(n)));
  return w;
}

const HOOK_SLOTS: Readonly<Record<Hook, number>> = { PREROUTING: 0, INPUT: 2, FORWARD: 4, OUTPUT: 6, POSTROUTING: 8 };
const HOOK_NAMES: Readonly<Record<Hook, string>> = { PREROUTING: 'prerouting', INPUT: 'input', FORWARD: 'forward', OUTPUT: 'output', POSTROUTING: 'postrouting' };

/** `numgen random mod n`: each bucket's exact probability (`reciprocal_scale` of a 32-bit draw). */
export function numgenWeights(n: number): number[] {
  const weights: number[] = [];
  const TWO32 = 4294967296;
  let previous = 0;
  for (let k = 1; k <= n; k++) {
    const edge = Math.ceil((k * TWO32) / n);
    weights.push((edge - previous) / TWO32);
    previous = edge;
  }
  return weights;
}

/** The rule as written (statements, comment), ended with its handle as `nft -a list` ends it. */
function stepText(rule: NftRule): string {
  return `${rule.text}${rule.comment !== undefined ? ` comment "${rule.comment}"` : ''} # handle ${rule.handle}`;
}

const stepRules = new WeakMap<NftRule, ForeignRule>();
function stepRule(rule: NftRule): ForeignRule {
  let r = stepRules.get(rule);
  if (r === undefined) stepRules.set(rule, (r = { stepText: stepText(rule) }));
  return r;
}

function verdictText(v: NftVerdict): string {
  return v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.chain}` : v.kind;
}

const verdicts = new Map<string, NftVerdict>();
/** A map element's value (`goto service-…`, `drop`) as a verdict. */
function elementVerdict(value: readonly string[] | undefined, where: string): NftVerdict {
  const text = value?.join(' . ') ?? '';
  let v = verdicts.get(text);
  if (v === undefined) {
    const m = /^(accept|drop|return|continue)$|^(jump|goto) (\S+)$/.exec(text);
    if (!m) throw new DomainError('INVALID', `${where}: "${text}" is not a verdict`);
    v = m[1] !== undefined ? { kind: m[1] as 'accept' } : { kind: m[2] as 'jump', chain: m[3] };
    if (verdicts.size < 100000) verdicts.set(text, v);
  }
  return v;
}

// ---------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------

interface SetIndex {
  generation: number;
  elements: Map<string, NftElement>;
  kinds: ValueKind[];
  /** Elements whose key is not one value per part in nft's listing form (prefixes, ranges, other spellings): scanned. */
  irregular: { key: Constant[]; hit: Hit }[];
  /** Whether any element expires (the set has a timeout, or an element its own). */
  timed: boolean;
  /**
   * The elements written as nft lists them, by their key's values, one map per part
   * (`10.96.0.10` → `6` → `53` → element): a packet's key looked up without writing it as text.
   */
  tree: ElementTree;
}

/** One level of `SetIndex.tree`: the last part's values lead to the element's hit. */
type ElementTree = Map<Scalar, ElementTree | Hit>;

/** A lookup's hit: the element, and a map element's verdict (read once, when the set is indexed). */
interface Hit {
  readonly element: NftElement;
  readonly verdict?: NftVerdict;
}

/** A dynamic element's hit (a set's, with no verdict). */
const DYNAMIC_HIT: { verdict?: NftVerdict } = Object.freeze({});

/** Dynamic elements (`update @set`), by set, then element key: when each expires (ms on the engine's clock). */
type Dynamic = Map<NftSet, Map<string, number>>;

/** An enumerated path's own writes, over the elements sampled packets made (copy on write). */
interface DynamicFork {
  readonly writes: Dynamic;
}

export class NftHookSource implements HookEntrySource {
  /** Hook entries by `HOOK_SLOTS[hook]` plus 0 for IPv4, 1 for IPv6. */
  private cache: (readonly HookEntry[] | undefined)[] = [];
  private cachedGeneration = -1;
  private readonly indexes = new WeakMap<NftSet, SetIndex>();
  /** Elements sampled packets added (affinity); an enumerated path works on a copy. */
  readonly dynamic: Dynamic = new Map();
  private readonly forks = new WeakMap<ChainWalker, DynamicFork>();
  /**
   * When each timed element the ruleset was given expires (ms on the engine's clock): the
   * time it had left (`expires`, else its timeout) counted from the first lookup in its set
   * after it was added (the model has no clock of its own).
   */
  private readonly expiries = new WeakMap<NftElement, number>();

  constructor(readonly ruleset: NftRuleset) {}

  private conntrackUse: { generation: number; uses: boolean } | undefined;

  get usesConntrack(): boolean {
    const generation = this.ruleset.generation ?? 0;
    if (this.conntrackUse?.generation !== generation) this.conntrackUse = { generation, uses: this.scanConntrackUse() };
    return this.conntrackUse.uses;
  }

  private scanConntrackUse(): boolean {
    for (const t of this.ruleset.tables.values()) {
      for (const c of t.chains.values()) {
        if (c.base?.type === 'nat') return true;
        for (const r of c.rules) if (/\bct (state|status|mark)\b/.test(r.text)) return true;
      }
    }
    return false;
  }

  entries(hook: Hook, family: IpFamily): readonly HookEntry[] {
    const generation = this.ruleset.generation ?? 0;
    if (generation !== this.cachedGeneration) {
      this.cache = [];
      this.cachedGeneration = generation;
    }
    // Keyed without building a string: this runs at every hook of every packet.
    const key = HOOK_SLOTS[hook] + (family === 'ipv4' ? 0 : 1);
    let list = this.cache[key];
    if (list === undefined) {
      list = this.build(hook, family);
      this.cache[key] = list;
    }
    return list;
  }

  private build(hook: Hook, family: IpFamily): HookEntry[] {
    const name = HOOK_NAMES[hook];
    const out: HookEntry[] = [];
    for (const table of this.ruleset.tables.values()) {
      if (!(table.family === 'inet' || table.family === (family === 'ipv4' ? 'ip' : 'ip6'))) continue;
      for (const chain of table.chains.values()) {
        const base = chain.base;
        if (base === undefined || base.hook !== name) continue;
        const priority = priorityValue(base.priority);
        if (priority === undefined) throw new DomainError('INVALID', `nftables: chain ${table.family} ${table.name} ${chain.name}: priority "${base.priority}" is not a number or a standard priority name`);
        out.push(this.entry(table, chain, priority));
      }
    }
    // Stable: ties stay in table order.
    return out.sort((a, b) => a.priority - b.priority);
  }

  private entry(table: NftTable, chain: NftChain, priority: number): HookEntry {
    const label = `${table.family} ${table.name}` as NftTableLabel;
    return { priority, nat: chain.base!.type === 'nat', walk: (walker) => this.walk(walker, table, label, chain) };
  }

  /** Checks that every rule of every table compiles (the API refuses a ruleset it cannot trace, naming the rule). */
  compileAll(): void {
    for (const table of this.ruleset.tables.values()) {
      for (const chain of table.chains.values()) for (const rule of chain.rules) compiledOrRefused(rule, `chain ${table.family} ${table.name} ${chain.name}`);
    }
  }

  // -------------------------------------------------------------------------
  // The walk
  // -------------------------------------------------------------------------

  private walk(walker: ChainWalker, table: NftTable, label: NftTableLabel, start: NftChain): WalkResult {
    const env = new WalkEnv(walker.ctx);
    const stack: { chain: NftChain; next: number }[] = [];
    let chain = start;
    let next = 0;
    for (;;) {
      let entered: NftChain | undefined;
      let isGoto = false;
      let returned = false;
      while (next < chain.rules.length && entered === undefined && !returned) {
        const position = next++;
        const rule = chain.rules[position];
        const compiled = compiledRule(rule) ?? compiledOrRefused(rule, `chain ${label} ${chain.name}`);
        const outcome = this.runRule(walker, env, table, label, chain, position, rule, compiled.ops);
        if (outcome === undefined) continue;
        if ('kind' in outcome && (outcome.kind === 'jump' || outcome.kind === 'goto' || outcome.kind === 'return' || outcome.kind === 'continue' || outcome.kind === 'accept' || outcome.kind === 'drop')) {
          const v = outcome as NftVerdict;
          switch (v.kind) {
            case 'continue':
              continue;
            case 'accept':
              return ACCEPTED;
            case 'drop':
              return DROPPED;
            case 'return':
              returned = true;
              break;
            case 'jump':
            case 'goto': {
              const child = table.chains.get(v.chain);
              if (child === undefined) throw new DomainError('INVALID', `nftables: chain "${v.chain}" (named in ${label} ${chain.name}) does not exist`);
              entered = child;
              isGoto = v.kind === 'goto';
              break;
            }
          }
        } else {
          return outcome as WalkResult;
        }
      }
      if (entered !== undefined) {
        if (!isGoto) {
          if (stack.length >= MAX_DEPTH) throw new DomainError('INVALID', `nftables: jumps nest deeper than ${MAX_DEPTH} chains in ${label}`);
          stack.push({ chain, next });
        }
        chain = entered;
        next = 0;
        continue;
      }
      const frame = stack.pop();
      if (frame === undefined) {
        const policy = start.base?.policy ?? 'accept';
        walker.record(label, start.name, -1, null, `policy ${policy}`);
        return policy === 'drop' ? DROPPED : ACCEPTED;
      }
      chain = frame.chain;
      next = frame.next;
    }
  }

  /**
   * One rule: undefined when a match failed (or it ended with no verdict),
   * a verdict to follow, or how the walk ends (reject, NAT).
   */
  private runRule(
    walker: ChainWalker,
    env: NftEnv,
    table: NftTable,
    label: NftTableLabel,
    chain: NftChain,
    position: number,
    rule: NftRule,
    ops: readonly Op[],
  ): NftVerdict | WalkResult | undefined {
    // A step's text is written only when steps are kept.
    const recording = walker.recording !== false;
    for (let k = 0; k < ops.length; k++) {
      const op = ops[k];
      const packet = walker.packet;
      switch (op.op) {
        case 'match': {
          const values = readKey(op.key, packet, env);
          if (values === undefined) return undefined;
          if (op.mask !== undefined) values[0] = masked(values[0], op.mask);
          const found = this.inSet(walker, table, op.set, op.kinds, values, label) !== undefined;
          if (found === op.negate) return undefined;
          break;
        }
        case 'vmap': {
          const values = readKey(op.key, packet, env);
          if (values === undefined) return undefined;
          const hit = this.inSet(walker, table, op.map, op.kinds, values, label);
          if (hit === undefined || hit.verdict === undefined) return undefined;
          if (recording) walker.record(label, chain.name, position, stepRule(rule), `${mapName(op.map)}: ${verdictText(hit.verdict)}`);
          return hit.verdict;
        }
        case 'numgen': {
          const weights = weightsOf(op.mod);
          if (walker.pick === undefined) throw new DomainError('INVALID', 'nftables: numgen needs a walker that forks');
          const k = walker.pick(weights, (u32) => Math.floor((u32 * op.mod) / 4294967296));
          const value = k + op.offset;
          NUMGEN_KEY[0] = value;
          const hit = this.inSet(walker, table, op.map, INT_KIND, NUMGEN_KEY, label);
          if (hit === undefined || hit.verdict === undefined) {
            if (recording) walker.record(label, chain.name, position, stepRule(rule), `numgen: ${value} (no element)`);
            return undefined;
          }
          if (recording) walker.record(label, chain.name, position, stepRule(rule), `numgen: ${value} of ${op.mod} (${fraction(weights[k])}): ${verdictText(hit.verdict)}`);
          return hit.verdict;
        }
        case 'mark': {
          if (op.target === 'meta') {
            const mark = applyMark(packet.mark, op.expr);
            if (mark !== packet.mark) walker.packet = { ...packet, mark };
            if (recording) walker.record(label, chain.name, position, stepRule(rule), `mark 0x${packet.mark.toString(16)} -> 0x${mark.toString(16)}`);
          } else {
            const before = packet.ctmark ?? 0;
            const ctmark = applyMark(before, op.expr);
            if (ctmark !== before) walker.packet = { ...packet, ctmark };
            if (recording) walker.record(label, chain.name, position, stepRule(rule), `ct mark 0x${before.toString(16)} -> 0x${ctmark.toString(16)}`);
          }
          break;
        }
        case 'update': {
          const values = readKey(op.key, packet, env);
          if (values === undefined) return undefined;
          const set = table.sets.get(op.set);
          if (set === undefined) throw new DomainError('INVALID', `nftables: set "${op.set}" (named in ${label} ${chain.name}) does not exist`);
          const timeout = op.timeout ?? (set.timeout === undefined ? undefined : parseDuration(set.timeout));
          const key = keyText(op.key.map((s) => s.kind), values);
          const now = walker.ctx.now;
          this.writeDynamic(walker, set, key, timeout === undefined ? Infinity : now + timeout);
          if (recording) walker.record(label, chain.name, position, stepRule(rule), `update @${op.set} { ${key} }${timeout === undefined ? '' : ` (expires in ${timeout / 1000}s)`}`);
          break;
        }
        case 'counter':
          break;
        case 'log':
          walker.record(label, chain.name, position, stepRule(rule), `log${op.prefix ? ` prefix "${op.prefix}"` : ''} level ${op.level}, continue`);
          walker.log?.({ prefix: op.prefix, level: op.level }, chain.name);
          break;
        case 'notrack':
          if (packet.ctstate !== 'UNTRACKED') walker.packet = { ...packet, ctstate: 'UNTRACKED' };
          walker.record(label, chain.name, position, stepRule(rule), 'notrack');
          break;
        case 'nat':
          return { kind: 'nat', nat: op.action, rule: stepRule(rule), chain: chain.name, position, table: label };
        case 'reject':
          walker.record(label, chain.name, position, stepRule(rule), op.text);
          return { kind: 'reject', rejectWith: rejectFor(op.with, packet) };
        case 'verdict':
          if (recording) walker.record(label, chain.name, position, stepRule(rule), verdictText(op.verdict));
          return op.verdict;
      }
    }
    return undefined;
  }

  /** Adds or refreshes a dynamic element: in the engine's store for a sampled path, in the path's own fork when enumerating. */
  private writeDynamic(walker: ChainWalker, set: NftSet, key: string, expires: number): void {
    let store = this.dynamic;
    if (walker.sampling !== true) {
      let fork = this.forks.get(walker);
      if (fork === undefined) this.forks.set(walker, (fork = { writes: new Map() }));
      store = fork.writes;
    }
    let inSet = store.get(set);
    if (inSet === undefined) store.set(set, (inSet = new Map()));
    inSet.set(key, expires);
  }

  /**
   * The elements sampled packets added to the set and that have not expired at `now`, as
   * `nft list` shows them (the time left as `expires`), leaving out keys the set holds itself.
   */
  addedElements(set: NftSet, now: number): NftElement[] {
    const out: NftElement[] = [];
    for (const [key, expires] of this.dynamic.get(set) ?? []) {
      if (expires <= now || set.elements.has(key)) continue;
      out.push(expires === Infinity ? { key: key.split(' . ') } : { key: key.split(' . '), expires: `${expires - now}ms` });
    }
    return out;
  }

    /** Whether packets (this path's, or sampled ones) wrote elements to the set. */
  private hasDynamic(walker: ChainWalker, set: NftSet): boolean {
    return this.dynamic.has(set) || (walker.sampling !== true && this.forks.get(walker)?.writes.has(set) === true);
  }

    /** When a dynamic element expires (the path's own write first), if there is one. */
  private readDynamic(walker: ChainWalker, set: NftSet, key: string): number | undefined {
    const own = walker.sampling === true ? undefined : this.forks.get(walker)?.writes.get(set)?.get(key);
    if (own !== undefined) return own;
    const inSet = this.dynamic.get(set);
    const expires = inSet?.get(key);
    // A sampled packet that finds an element timed out removes it, as the kernel's garbage collection would have.
    if (expires !== undefined && expires <= walker.ctx.now && walker.sampling === true) inSet!.delete(key);
    return expires;
  }

  /** The element of the set that holds the key (a map's: with its verdict), if any. */
  private inSet(walker: ChainWalker, table: NftTable, ref: SetRef, kinds: readonly ValueKind[], values: Scalar[], label: string): { verdict?: NftVerdict } | undefined {
    if ('anonymous' in ref) {
      for (const e of ref.anonymous) if (keyIn(e.key, values)) return e;
      return undefined;
    }
    const set = table.sets.get(ref.named);
    if (set === undefined) throw new DomainError('INVALID', `nftables: set "${ref.named}" (named in ${label}) does not exist`);
    const index = this.index(set, label, walker.ctx.now);
    if (index.kinds.length !== kinds.length) throw new DomainError('INVALID', `nftables: set "${set.name}" has ${index.kinds.length}-part keys where the rule gives ${kinds.length}`);
    let node: ElementTree | Hit | undefined = index.tree;
    for (let k = 0; k < values.length && node !== undefined; k++) node = (node as ElementTree).get(values[k]);
    let hit = node as Hit | undefined;
    if (hit === undefined) {
      for (const e of index.irregular) {
        if (keyIn(e.key, values)) {
          hit = e.hit;
          break;
        }
      }
    }
    if (hit === undefined) {
      // Only a set packets wrote to is asked by text.
      if (!this.hasDynamic(walker, set)) return undefined;
      const expires = this.readDynamic(walker, set, keyText(index.kinds, values));
      if (expires === undefined || expires <= walker.ctx.now) return undefined;
      return DYNAMIC_HIT;
    }
    if (index.timed) {
      // A later `update` refreshes a listed element; without one it keeps the time it was given.
      const expires = (this.hasDynamic(walker, set) ? this.readDynamic(walker, set, keyText(index.kinds, values)) : undefined) ?? this.expiries.get(hit.element);
      if (expires !== undefined && expires <= walker.ctx.now) return undefined;
    }
    return hit;
  }

  private index(set: NftSet, label: string, now: number): SetIndex {
    const generation = this.ruleset.generation ?? 0;
    let index = this.indexes.get(set);
    if (index !== undefined && index.generation === generation && index.elements === set.elements) return index;
    const kinds = setTypeKinds(set.type);
    if (typeof kinds === 'string') throw new DomainError('INVALID', `nftables: set ${label} ${set.name}: ${kinds}`);
    const irregular: SetIndex['irregular'] = [];
    const tree: ElementTree = new Map();
    const setTimeout = set.timeout === undefined ? undefined : parseDuration(set.timeout);
    let timed = false;
    for (const [text, element] of set.elements) {
      const life = (element.expires === undefined ? undefined : parseDuration(element.expires)) || (element.timeout === undefined ? setTimeout : parseDuration(element.timeout));
      if (life !== undefined) {
        timed = true;
        if (!this.expiries.has(element)) this.expiries.set(element, now + life);
      }
      const key = element.key.map((part, k) => {
        const c = parseConstant(kinds.key[k], part);
        if (typeof c === 'string') throw new DomainError('INVALID', `nftables: set ${label} ${set.name}: element "${text}": ${c}`);
        return c;
      });
      const regular = key.every((c, k) => c.kind === 'range' && c.lo === c.hi && canonicalText(kinds.key[k], c.lo) === element.key[k]);
      const hit: Hit = set.kind === 'map' ? { element, verdict: elementVerdict(element.value, `map ${label} ${set.name}`) } : { element };
      if (!regular) irregular.push({ key, hit });
      else addToTree(tree, key.map((c) => (c as { lo: Scalar }).lo), hit);
    }
    index = { generation, elements: set.elements, kinds: kinds.key, irregular, timed, tree };
    this.indexes.set(set, index);
    return index;
  }
}

/** What the compiled selectors read besides the packet; the connection is read only when a rule asks (`ct state`). */
class WalkEnv implements NftEnv {
  constructor(private readonly ctx: ChainWalker['ctx']) {}
  get host() {
    return this.ctx.host;
  }
  get conntrack() {
    return this.ctx.conntrack;
  }
}

/** A rule's compiled form; a rule the engine cannot follow is the user's input error (422), naming it. */
function compiledOrRefused(rule: NftRule, where: string) {
  try {
    return compileRule(rule, where);
  } catch (e) {
    if (e instanceof NftCompileError) throw new DomainError('INVALID', `nftables: ${e.message}`, { field: 'nftables' });
    throw e;
  }
}

function addToTree(tree: ElementTree, values: readonly Scalar[], hit: Hit): void {
  let node = tree;
  for (let k = 0; k < values.length - 1; k++) {
    let next = node.get(values[k]) as ElementTree | undefined;
    if (next === undefined) node.set(values[k], (next = new Map()));
    node = next;
  }
  node.set(values[values.length - 1], hit);
}

/** The packet's key as a set element's text (`10.0.0.1 . tcp . 80`): the element map's own key when the element is written as nft lists it. */
function keyText(kinds: readonly ValueKind[], values: readonly Scalar[]): string {
  let key = canonicalText(kinds[0], values[0]);
  for (let k = 1; k < values.length; k++) key += ' . ' + canonicalText(kinds[k], values[k]);
  return key;
}

function mapName(ref: SetRef): string {
  return 'named' in ref ? `vmap @${ref.named}` : 'vmap';
}

/** One reused array per key length: a key is read, looked up and dropped before the next is read. */
const KEY_SCRATCH: Scalar[][] = [];

function readKey(key: readonly { read(p: Packet, env: NftEnv): Scalar | undefined }[], p: Packet, env: NftEnv): Scalar[] | undefined {
  const values = (KEY_SCRATCH[key.length] ??= new Array<Scalar>(key.length));
  for (let k = 0; k < key.length; k++) {
    const v = key[k].read(p, env);
    if (v === undefined) return undefined;
    values[k] = v;
  }
  return values;
}

/** `icmpx`/default rejects answer in the packet's family. */
function rejectFor(w: RejectWith, p: Packet): RejectWith {
  if (typeof p.source !== 'bigint') return w;
  switch (w) {
    case 'icmp-port-unreachable':
      return 'icmp6-port-unreachable';
    case 'icmp-admin-prohibited':
      return 'icmp6-adm-prohibited';
    case 'icmp-net-unreachable':
      return 'icmp6-no-route';
    case 'icmp-host-unreachable':
      return 'icmp6-addr-unreachable';
    default:
      return w;
  }
}

function fraction(p: number): string {
  const scaled = p * 4294967296;
  return Number.isInteger(scaled) && scaled !== 4294967296 ? `${scaled}/2^32` : String(p);
}

/** The engine's hook entries for an nft ruleset (see the file comment). */
export function nftHookEntries(ruleset: NftRuleset): NftHookSource {
  return new NftHookSource(ruleset);
}

/** Compiles one statement text, for checks and tests; throws `NftCompileError`. */
export { compileText, NftCompileError };
