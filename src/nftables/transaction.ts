/**
 * An nftables transaction: the `add`, `flush` and `delete` commands that
 * `nft -f` takes in one atomic batch, as knftables (kube-proxy's library)
 * writes them, one command per line:
 *
 *   add table ip kube-proxy { comment "rules for kube-proxy" ; }
 *   add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
 *   add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
 *   add rule ip kube-proxy nat-prerouting jump services
 *   add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-… }
 *   flush chain ip kube-proxy services
 *   delete chain ip kube-proxy endpoint-…
 *
 * `applyTransaction` runs one against a ruleset all or nothing, as the kernel
 * does; `transactionText` prints it.
 */
import {
  elementKey,
  tableKey,
  type NftBaseChainSpec,
  type NftChain,
  type NftElement,
  type NftSet,
  type NftRule,
  type NftFamily,
  type NftRuleset,
  type NftTable,
} from './model';
import { priorityValue } from './list-printer';
import { parseDuration } from './values';

interface Target {
  family: NftFamily;
  table: string;
}

export type NftCommand =
  | (Target & { verb: 'add' | 'delete' | 'flush'; object: 'table'; comment?: string })
  | (Target & { verb: 'add'; object: 'chain'; name: string; base?: NftBaseChainSpec; comment?: string })
  | (Target & { verb: 'flush' | 'delete'; object: 'chain'; name: string })
  | (Target & { verb: 'add'; object: 'set' | 'map'; name: string; type: string; flags?: string[]; timeout?: string; comment?: string })
  | (Target & { verb: 'flush' | 'delete'; object: 'set' | 'map'; name: string })
  | (Target & { verb: 'add'; object: 'rule'; chain: string; rule: string; comment?: string })
  | (Target & { verb: 'add' | 'delete'; object: 'element'; set: string; element: NftElement });

/** The error `nft -f` reports for a command that cannot be applied; nothing of its batch is. */
export class NftTransactionError extends Error {
  constructor(
    message: string,
    /** 0-based index of the failing command. */
    readonly index: number,
  ) {
    super(message);
  }
}

const quote = (text: string) => `"${text}"`;

/** One command as knftables writes it. */
export function commandText(c: NftCommand): string {
  const head = `${c.verb} ${c.object} ${c.family} ${c.table}`;
  switch (c.object) {
    case 'table':
      return c.verb === 'add' && c.comment !== undefined ? `${head} { comment ${quote(c.comment)} ; }` : head;
    case 'chain': {
      if (c.verb !== 'add') return `${head} ${c.name}`;
      const parts: string[] = [];
      if (c.base) parts.push(`type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority} ;`);
      if (c.base?.policy) parts.push(`policy ${c.base.policy} ;`);
      if (c.comment !== undefined) parts.push(`comment ${quote(c.comment)} ;`);
      return parts.length ? `${head} ${c.name} { ${parts.join(' ')} }` : `${head} ${c.name}`;
    }
    case 'set':
    case 'map': {
      if (c.verb !== 'add') return `${head} ${c.name}`;
      const parts = [`type ${c.type} ;`];
      if (c.flags?.length) parts.push(`flags ${c.flags.join(',')} ;`);
      if (c.timeout !== undefined) parts.push(`timeout ${c.timeout} ;`);
      if (c.comment !== undefined) parts.push(`comment ${quote(c.comment)} ;`);
      return `${head} ${c.name} { ${parts.join(' ')} }`;
    }
    case 'rule':
      return `${head} ${c.chain} ${c.rule}${c.comment !== undefined ? ` comment ${quote(c.comment)}` : ''}`;
    case 'element':
      // A deletion names the key only.
      return `${head} ${c.set} { ${c.verb === 'delete' ? elementKey(c.element.key) : elementText(c.element)} }`;
  }
}

/** `KEY [timeout D] [expires D] [comment "C"] [: VALUE]`, as knftables and `nft list` write an element. */
export function elementText(e: NftElement): string {
  let text = elementKey(e.key);
  if (e.timeout !== undefined) text += ` timeout ${e.timeout}`;
  if (e.expires !== undefined) text += ` expires ${e.expires}`;
  if (e.comment !== undefined) text += ` comment ${quote(e.comment)}`;
  if (e.value !== undefined) text += ` : ${e.value.join(' . ')}`;
  return text;
}

/** The transaction as the text `nft -f` reads, one command per line. */
export function transactionText(commands: readonly NftCommand[]): string {
  let text = '';
  for (const c of commands) text += commandText(c) + '\n';
  return text;
}

/**
 * Applies the commands to the ruleset all or nothing: on the first command
 * the kernel would refuse, throws `NftTransactionError` and leaves the
 * ruleset as it was. The ruleset is changed in place and every change
 * logged with its inverse, so a transaction costs what it changes (a partial
 * sync of one Service in a 10,000-Service table copies nothing).
 */
export function applyTransaction(ruleset: NftRuleset, commands: readonly NftCommand[]): void {
  const undo: (() => void)[] = [];
  /** Chain, set and table orders as they were before this transaction's first deletion from them (the listing follows creation order). */
  const chainOrders = new Map<NftTable, string[]>();
  const setOrders = new Map<NftTable, string[]>();
  let tableOrder: string[] | undefined;
  const handles = new Map<NftTable, number>();
  try {
    const orders: TxState = {
      chains: chainOrders,
      sets: setOrders,
      tables: () => (tableOrder ??= [...ruleset.tables.keys()]),
      handles,
      fresh: new Set(),
      lastFamily: undefined,
      lastTable: undefined,
      lastKey: '',
      lastChain: undefined,
      lastChainTable: undefined,
    };
    for (let index = 0; index < commands.length; index++) applyOne(ruleset, commands[index], index, undo, orders);
    ruleset.generation = (ruleset.generation ?? 0) + 1;
  } catch (e) {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]();
    for (const [t, next] of handles) t.nextHandle = next;
    for (const [t, order] of chainOrders) t.chains = new Map(order.map((name) => [name, t.chains.get(name)!]));
    for (const [t, order] of setOrders) t.sets = new Map(order.map((name) => [name, t.sets.get(name)!]));
    if (tableOrder) ruleset.tables = new Map(tableOrder.map((key) => [key, ruleset.tables.get(key)!]));
    // Reference counts are not rolled back: counted afresh when next needed.
    for (const t of ruleset.tables.values()) CHAIN_REFS.delete(t);
    throw e;
  }
}

/** What one transaction keeps while it applies: the orders to restore on a rollback, and chain reference counts. */
interface TxState {
  chains: Map<NftTable, string[]>;
  sets: Map<NftTable, string[]>;
  tables: () => void;
  /** Each table's next handle before this transaction took its first one. */
  handles: Map<NftTable, number>;
  /** Tables this transaction created: a rollback deletes them whole, so changes inside them are not logged (a first full sync logs nothing). */
  fresh: Set<NftTable>;
  /** The last command's table and its `tableKey` (a sync's commands all name one table: the key is written once, not per command). */
  lastFamily: NftFamily | undefined;
  lastTable: string | undefined;
  lastKey: string;
  /** The chain the last chain or rule command named, with its table (a sync adds a chain, then flushes it; writes a chain's rules one after another). */
  lastChain: NftChain | undefined;
  lastChainTable: NftTable | undefined;
}

/** The table's chain of that name: the last one named, else looked up. */
function chainOf(t: NftTable, name: string, state: TxState): NftChain | undefined {
  const last = state.lastChain;
  if (last !== undefined && state.lastChainTable === t && last.name === name) return last;
  const chain = t.chains.get(name);
  state.lastChain = chain;
  state.lastChainTable = t;
  return chain;
}

/** The `tableKey` of the command's table. */
function commandTableKey(c: NftCommand, state: TxState): string {
  if (c.family !== state.lastFamily || c.table !== state.lastTable) {
    state.lastFamily = c.family;
    state.lastTable = c.table;
    state.lastKey = tableKey(c.family, c.table);
  }
  return state.lastKey;
}

/*
 * Undo entries are made by these helpers rather than by closures inside
 * `applyOne`, so that a command needing none (any command inside a table the
 * transaction created) allocates none.
 */
/**
 * Why the kernel refuses an element's timeout or expiry, if it does: either needs a set
 * with timeouts (`flags timeout` or a `timeout`: EINVAL), an expiry needs a timeout, the
 * element's or the set's (EOPNOTSUPP), and cannot exceed it (ERANGE).
 */
function timingRefusal(set: NftSet, e: NftElement): string | undefined {
  if (e.timeout === undefined && e.expires === undefined) return undefined;
  if (set.timeout === undefined && !set.flags.includes('timeout')) return 'Invalid argument';
  if (e.expires === undefined) return undefined;
  const timeout = e.timeout ?? set.timeout;
  if (timeout === undefined) return 'Operation not supported';
  return parseDuration(e.expires)! > parseDuration(timeout)! ? 'Numerical result out of range' : undefined;
}

const undoMapDelete =
  <K, V>(map: Map<K, V>, key: K) =>
  () =>
    map.delete(key);
const undoMapSet =
  <K, V>(map: Map<K, V>, key: K, value: V) =>
  () =>
    map.set(key, value);
const undoRules = (chain: NftChain, rules: NftRule[]) => () => (chain.rules = rules);
const undoPop = (rules: NftRule[]) => () => rules.pop();
const undoElements = (set: NftSet, elements: Map<string, NftElement>) => () => (set.elements = elements);

/** The kernel's refusal of command `index`. */
function refuse(c: NftCommand, index: number, message: string): never {
  throw new NftTransactionError(`${message}\n${commandText(c)}`, index);
}

/** The next handle of the table, for a new object. */
function takeHandle(t: NftTable, state: TxState): number {
  if (!state.handles.has(t)) state.handles.set(t, t.nextHandle);
  return t.nextHandle++;
}

function applyOne(
  ruleset: NftRuleset,
  c: NftCommand,
  index: number,
  undo: (() => void)[],
  orders: TxState,
): void {
  const key = commandTableKey(c, orders);
  const existing = ruleset.tables.get(key);
  if (c.object === 'table') {
    if (c.verb === 'add') {
      if (existing) {
        const old = existing.comment;
        if (c.comment !== undefined) existing.comment = c.comment;
        undo.push(() => (existing.comment = old));
      } else {
        const table: NftTable = { family: c.family, name: c.table, comment: c.comment, chains: new Map(), sets: new Map(), handle: 0, nextHandle: 1 };
        ruleset.tables.set(key, table);
        CHAIN_REFS.set(table, new Map());
        orders.fresh.add(table);
        undo.push(() => ruleset.tables.delete(key));
      }
    } else if (!existing) {
      refuse(c, index, 'Error: No such file or directory');
    } else if (c.verb === 'delete') {
      orders.tables();
      ruleset.tables.delete(key);
      CHAIN_REFS.delete(existing);
      orders.lastChain = undefined;
      undo.push(() => ruleset.tables.set(key, existing));
    } else {
      // A flushed table keeps its chains and sets, with no rule or element left to reference them.
      CHAIN_REFS.set(existing, new Map());
      for (const chain of existing.chains.values()) {
        const old = chain.rules;
        chain.rules = [];
        undo.push(() => (chain.rules = old));
      }
      for (const set of existing.sets.values()) {
        const old = set.elements;
        set.elements = new Map();
        undo.push(() => (set.elements = old));
      }
    }
    return;
  }
  const t = existing ?? refuse(c, index, 'Error: No such file or directory');
  const logging = !orders.fresh.has(t);
  switch (c.object) {
    case 'chain': {
      const chain = chainOf(t, c.name, orders);
      if (c.verb === 'add') {
        if (!chain) {
          const added: NftChain = { name: c.name, base: c.base, comment: c.comment, rules: [], handle: takeHandle(t, orders) };
          t.chains.set(c.name, added);
          orders.lastChain = added;
          orders.lastChainTable = t;
          if (logging) undo.push(undoMapDelete(t.chains, c.name));
        } else if (c.base && chain.base && (c.base.type !== chain.base.type || c.base.hook !== chain.base.hook || priorityValue(c.base.priority) !== priorityValue(chain.base.priority))) {
          // A base chain's type, hook and priority are fixed once it exists (kube-proxy deletes and adds it again to change them).
          refuse(c, index, 'Error: Could not process rule: Operation not supported');
        }
        return;
      }
      if (!chain) return refuse(c, index, 'Error: No such file or directory');
      if (c.verb === 'flush') {
        const old = chain.rules;
        // Flushing an empty chain (every chain a sync writes) changes nothing.
        if (old.length === 0) return;
        for (const r of old) countRuleTargets(t, r.text, -1);
        chain.rules = [];
        if (logging) undo.push(undoRules(chain, old));
        return;
      }
      // A chain something jumps or goes to stays; its own rules go with it, as the kernel deletes them.
      if ((chainRefs(t).get(c.name) ?? 0) > 0) refuse(c, index, 'Error: Could not process rule: Device or resource busy');
      if (chain.rules.length > 0) {
        const old = chain.rules;
        for (const r of old) countRuleTargets(t, r.text, -1);
        chain.rules = [];
        if (logging) undo.push(undoRules(chain, old));
      }
      if (!orders.chains.has(t)) orders.chains.set(t, [...t.chains.keys()]);
      t.chains.delete(c.name);
      orders.lastChain = undefined;
      if (logging) undo.push(undoMapSet(t.chains, c.name, chain));
      return;
    }
    case 'set':
    case 'map': {
      const set = t.sets.get(c.name);
      if (c.verb === 'add') {
        if (!set) {
          t.sets.set(c.name, {
            kind: c.object,
            name: c.name,
            type: c.type,
            flags: [...(c.flags ?? [])],
            timeout: c.timeout,
            comment: c.comment,
            elements: new Map(),
            handle: takeHandle(t, orders),
          });
          if (logging) undo.push(undoMapDelete(t.sets, c.name));
        } else if (set.kind !== c.object || set.type !== c.type) {
          refuse(c, index, 'Error: Could not process rule: File exists');
        } else {
          // Adding an existing set updates its timeout (and comment), as the kernel does.
          const { timeout, comment } = set;
          if (c.timeout !== undefined) set.timeout = c.timeout;
          if (c.comment !== undefined) set.comment = c.comment;
          if (logging) undo.push(() => Object.assign(set, { timeout, comment }));
        }
        return;
      }
      if (!set || set.kind !== c.object) return refuse(c, index, 'Error: No such file or directory');
      for (const e of set.elements.values()) adjustRefs(t, elementTargets(e), -1);
      if (c.verb === 'flush') {
        const old = set.elements;
        set.elements = new Map();
        if (logging) undo.push(undoElements(set, old));
      } else {
        if (!orders.sets.has(t)) orders.sets.set(t, [...t.sets.keys()]);
        t.sets.delete(c.name);
        if (logging) undo.push(undoMapSet(t.sets, c.name, set));
      }
      return;
    }
    case 'rule': {
      const chain = chainOf(t, c.chain, orders) ?? refuse(c, index, 'Error: No such file or directory');
      const missing = missingReference(t, c.rule);
      if (missing !== undefined) refuse(c, index, missing);
      const rule: NftRule = { text: c.rule, comment: c.comment, handle: takeHandle(t, orders) };
      // Counted by the table's own name strings (the text's are new slices, hashed afresh on each lookup).
      const refs = CHAIN_REFS.get(t);
      if (refs) for (const target of TARGETS) countRef(refs, target.name, 1);
      const rules = chain.rules;
      // Short chains (an endpoint's two or three rules) are written as literals of their exact size: an array
      // grown by push keeps room for 16, which over 100,000 endpoint chains the collector would copy as 14 MB.
      if (rules.length < 3) {
        chain.rules = rules.length === 0 ? [rule] : rules.length === 1 ? [rules[0], rule] : [rules[0], rules[1], rule];
        if (logging) undo.push(undoRules(chain, rules));
      } else {
        rules.push(rule);
        if (logging) undo.push(undoPop(rules));
      }
      return;
    }
    case 'element': {
      const set = t.sets.get(c.set) ?? refuse(c, index, 'Error: No such file or directory');
      const k = elementKey(c.element.key);
      if (c.verb === 'add') {
        if (set.kind === 'map' && c.element.value === undefined) refuse(c, index, 'Error: set is a map, element needs a value');
        const timing = timingRefusal(set, c.element);
        if (timing !== undefined) refuse(c, index, `Error: Could not process rule: ${timing}`);
        for (const v of c.element.value ?? []) {
          const target = /^(?:goto|jump) (\S+)$/.exec(v);
          if (target && !t.chains.has(target[1])) refuse(c, index, 'Error: Could not process rule: No such file or directory');
        }
        if (!set.elements.has(k)) {
          adjustRefs(t, elementTargets(c.element), 1);
          set.elements.set(k, c.element);
          if (logging) undo.push(undoMapDelete(set.elements, k));
        } else if (c.element.expires !== undefined || (c.element.timeout !== undefined && !sameTimeout(c.element.timeout, set.elements.get(k)!.timeout ?? set.timeout))) {
          // Adding an element that is there with an expiry, or another timeout, sets them anew, as the kernel
          // does; the same timeout again leaves the element (and the time it has left) as it is.
          const old = set.elements.get(k)!;
          set.elements.set(k, { ...old, timeout: c.element.timeout ?? old.timeout, expires: c.element.expires });
          if (logging) undo.push(undoMapSet(set.elements, k, old));
        }
      } else {
        const old = set.elements.get(k) ?? refuse(c, index, 'Error: Could not process rule: No such file or directory');
        adjustRefs(t, elementTargets(old), -1);
        set.elements.delete(k);
        // On a rollback the element comes back last: a hash set's order is the kernel's, not ours to keep.
        if (logging) undo.push(undoMapSet(set.elements, k, old));
      }
      return;
    }
  }
}

/** Whether the character code is one of a chain or set name's: `[A-Za-z0-9_./-]`. */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 45 && c <= 57) || c === 95; // a-z A-Z - . / 0-9 _
}

/** The name that starts at `from` in `text` (chain and set names: `[A-Za-z0-9_./-]`). */
function nameAt(text: string, from: number): string {
  let end = from;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  return text.slice(from, end);
}

const VERDICTS = ['jump ', 'goto '] as const;

/** The chains the last rule `missingReference` passed jumps or goes to (one array reused for every rule). */
const TARGETS: NftChain[] = [];

/**
 * The kernel's refusal of a rule naming a set (`@name`) or a chain (`jump`/`goto name`)
 * the table lacks, if any; sets are checked first. Otherwise the chains named
 * are left in `TARGETS`. Scanned by hand, as every rule of a sync passes here.
 */
function missingReference(t: NftTable, rule: string): string | undefined {
  TARGETS.length = 0;
  for (let at = rule.indexOf('@'); at >= 0; at = rule.indexOf('@', at + 1)) {
    if (!t.sets.has(nameAt(rule, at + 1))) return 'Error: No such file or directory';
  }
  for (const verdict of VERDICTS) {
    for (let at = rule.indexOf(verdict); at >= 0; at = rule.indexOf(verdict, at + 1)) {
      if (at !== 0 && rule.charCodeAt(at - 1) !== 32) continue;
      const chain = t.chains.get(nameAt(rule, at + verdict.length));
      if (chain === undefined) return 'Error: Could not process rule: No such file or directory';
      TARGETS.push(chain);
    }
  }
  return undefined;
}

/** Counts the chains a rule's text jumps or goes to by `delta`, where the table's counts are kept. */
function countRuleTargets(t: NftTable, rule: string, delta: number): void {
  const refs = CHAIN_REFS.get(t);
  if (!refs) return;
  for (const verdict of VERDICTS) {
    for (let at = rule.indexOf(verdict); at >= 0; at = rule.indexOf(verdict, at + 1)) {
      if (at === 0 || rule.charCodeAt(at - 1) === 32) countRef(refs, nameAt(rule, at + verdict.length), delta);
    }
  }
}

/**
 * Per table, how many rules and verdict-map elements jump or go to each
 * chain, for chain deletions: counted on the first one, then kept up to date
 * by every change (a stale-chain deletion in a 10,000-Service table reads no
 * rule). Kept from a table's creation; dropped on a rollback.
 */
const CHAIN_REFS = new WeakMap<NftTable, Map<string, number>>();
function elementTargets(e: NftElement): string[] {
  const out: string[] = [];
  for (const v of e.value ?? []) if (v.startsWith('goto ') || v.startsWith('jump ')) out.push(v.slice(5));
  return out;
}

function chainRefs(t: NftTable): Map<string, number> {
  let refs = CHAIN_REFS.get(t);
  if (!refs) {
    refs = new Map();
    CHAIN_REFS.set(t, refs);
    for (const c of t.chains.values()) for (const r of c.rules) countRuleTargets(t, r.text, 1);
    for (const s of t.sets.values()) for (const e of s.elements.values()) adjustRefs(t, elementTargets(e), 1);
  }
  return refs;
}

/** Counts references to `chains` by `delta`, where the table's counts are kept. */
function adjustRefs(t: NftTable, chains: readonly string[], delta: number): void {
  const refs = CHAIN_REFS.get(t);
  if (!refs) return;
  for (const chain of chains) countRef(refs, chain, delta);
}

function countRef(refs: Map<string, number>, chain: string, delta: number): void {
  const n = (refs.get(chain) ?? 0) + delta;
  if (n === 0) refs.delete(chain);
  else refs.set(chain, n);
}

/** Whether two timeouts as given (`1h`, `3600s`) are the same time. */
function sameTimeout(a: string, b: string | undefined): boolean {
  return b !== undefined && parseDuration(a) === parseDuration(b);
}
