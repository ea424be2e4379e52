/**
 * Rule compilation: an nft rule's statement text (`ip daddr . meta l4proto .
 * th dport vmap @service-ips`) read once into a list of operations the
 * traversal runs in order, as the kernel runs a rule's expressions: matches
 * (a failing one ends the rule), statements (mark, NAT, counters, set
 * updates) and at most one verdict.
 *
 * What is read: the selectors `ip`/`ip6` `saddr`/`daddr`/`protocol`/`nexthdr`,
 * `meta l4proto`/`mark`/`iifname`/`oifname`, `th`/`tcp`/`udp`/`sctp`
 * `sport`/`dport`, `ct state`/`status`/`mark`, `fib saddr|daddr type`, their
 * concatenations (`a . b . c`), a mask (`mark and 0x4000`), compared with
 * `==`/`!=` (or nothing) against a constant, an anonymous set `{ … }` or a
 * named set `@name`; `vmap @map` / `vmap { … }`; `numgen random mod N
 * [offset O] vmap { … }`; the statements `counter`, `log`, `notrack`,
 * `mark set`/`meta mark set`/`ct mark set` (a constant or `mark or|and|xor
 * C`), `update`/`add @set { … [timeout T] }`, `dnat`/`snat [ip|ip6] to
 * A[:P]`, `masquerade [to :P] [random|fully-random|persistent]`, `redirect
 * [to :P]`, `reject [with icmp|icmpx|icmpv6 [type] T | with tcp reset]`;
 * the verdicts `accept`, `drop`, `return`, `continue`, `jump C`, `goto C`.
 *
 * Anything else is an `NftCompileError` naming the rule: the engine refuses a
 * ruleset it cannot follow rather than guess at it.
 */
import { tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import type { NatAction, RejectWith } from '../netfilter/types';
import type { NftRule } from './model';
import { ALIASES, SELECTORS, type Selector } from './selectors';
import { inConstant, parseConstant, parseDuration, type Constant, type Scalar, type ValueKind } from './values';

export type { NftEnv, Selector } from './selectors';

export type NftVerdict =
  | { readonly kind: 'accept' | 'drop' | 'return' | 'continue' }
  | { readonly kind: 'jump' | 'goto'; readonly chain: string };

/** A set a rule names or writes inline. */
export type SetRef =
  | { readonly named: string }
  | { readonly anonymous: readonly { readonly key: readonly Constant[]; readonly verdict?: NftVerdict }[] };

export type MarkExpr = { readonly op: 'set' | 'or' | 'and' | 'xor'; readonly value: number };

export type Op =
  | { readonly op: 'match'; readonly key: readonly Selector[]; readonly kinds: readonly ValueKind[]; readonly mask?: MarkExpr; readonly negate: boolean; readonly set: SetRef }
  | { readonly op: 'vmap'; readonly key: readonly Selector[]; readonly kinds: readonly ValueKind[]; readonly map: SetRef }
  | { readonly op: 'numgen'; readonly mod: number; readonly offset: number; readonly map: SetRef }
  | { readonly op: 'mark'; readonly target: 'meta' | 'ct'; readonly expr: MarkExpr }
  | { readonly op: 'update'; readonly set: string; readonly key: readonly Selector[]; readonly timeout?: number }
  | { readonly op: 'counter' }
  | { readonly op: 'log'; readonly prefix: string; readonly level: number }
  | { readonly op: 'notrack' }
  | { readonly op: 'nat'; readonly action: NatAction; readonly text: string }
  | { readonly op: 'reject'; readonly with: RejectWith; readonly text: string }
  | { readonly op: 'verdict'; readonly verdict: NftVerdict };

export interface CompiledRule {
  readonly ops: readonly Op[];
}

export class NftCompileError extends Error {}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

const SPECIAL = /["{},\t\n]/;

/** Words, quoted strings, and `{`, `}`, `,` as tokens of their own. */
export function tokenize(text: string): string[] {
  if (!SPECIAL.test(text)) {
    // The common case (most of kube-proxy's rules): words between single spaces.
    const words = text.split(' ');
    return words.includes('') ? words.filter((w) => w !== '') : words;
  }
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if (c === '{' || c === '}' || c === ',') {
      out.push(c);
      i++;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new NftCompileError('unterminated string');
      out.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && !' \t\n{},"'.includes(text[j])) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------

const VERDICT_WORDS = new Set(['accept', 'drop', 'return', 'continue']);
/** Bitwise operators as written (`and`) and as `nft list` prints them (`&`). */
const BINOPS: Readonly<Record<string, 'and' | 'or' | 'xor'>> = { and: 'and', '&': 'and', or: 'or', '|': 'or', xor: 'xor', '^': 'xor' };

class Parser {
  private i = 0;
  constructor(private readonly t: string[]) {}

  peek(k = 0): string | undefined {
    return this.t[this.i + k];
  }
  next(): string {
    const w = this.t[this.i++];
    if (w === undefined) throw new NftCompileError('the rule ends too early');
    return w;
  }
  eat(w: string): boolean {
    if (this.t[this.i] === w) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(w: string): void {
    const got = this.next();
    if (got !== w) throw new NftCompileError(`expected "${w}", not "${got}"`);
  }
  done(): boolean {
    return this.i >= this.t.length;
  }

  /** A selector at the cursor, or undefined (the cursor stays). */
  selector(): Selector | undefined {
    const a = this.peek();
    if (a === undefined) return undefined;
    const alias = ALIASES[a];
    if (alias !== undefined && this.peek(1) !== 'set') {
      this.i++;
      return SELECTORS[alias];
    }
    if (a === 'fib') {
      const side = this.peek(1);
      if ((side === 'saddr' || side === 'daddr') && this.peek(2) === 'type') {
        this.i += 3;
        return SELECTORS[`fib ${side} type`];
      }
      throw new NftCompileError(`"fib ${side ?? ''} …" is not modelled (fib saddr|daddr type is)`);
    }
    const two = `${a} ${this.peek(1) ?? ''}`;
    const s = SELECTORS[two] ?? SELECTORS[ALIASES[two] ?? ''];
    if (s === undefined) {
      if (['ip', 'ip6', 'meta', 'th', 'tcp', 'udp', 'sctp', 'ct'].includes(a)) {
        if ((a === 'meta' || a === 'ct') && this.peek(2) === 'set') return undefined;
        throw new NftCompileError(`"${two}" is not modelled`);
      }
      return undefined;
    }
    if (this.peek(2) === 'set' && (two === 'meta mark' || two === 'ct mark')) return undefined;
    this.i += 2;
    return s;
  }

  /** `a . b . c`. */
  concatenation(first: Selector): Selector[] {
    const key = [first];
    while (this.peek() === '.') {
      this.i++;
      const s = this.selector();
      if (s === undefined) throw new NftCompileError(`expected a selector after ".", not "${this.peek() ?? 'the end'}"`);
      key.push(s);
    }
    return key;
  }

  verdict(): NftVerdict {
    const w = this.next();
    if (VERDICT_WORDS.has(w)) return { kind: w as 'accept' };
    if (w === 'jump' || w === 'goto') return { kind: w, chain: this.next() };
    throw new NftCompileError(`"${w}" is not a verdict`);
  }

  /** One key of `kinds`: `a . b . c` (each a constant). */
  keyOf(kinds: readonly ValueKind[], words: string[]): Constant[] {
    const parts: string[] = [];
    for (let k = 0; k < words.length; k++) {
      if (k % 2 === 1) {
        if (words[k] !== '.') throw new NftCompileError(`expected "." between the parts of a key, not "${words[k]}"`);
      } else parts.push(words[k]);
    }
    if (parts.length !== kinds.length) throw new NftCompileError(`"${words.join(' ')}" has ${parts.length} parts where the key has ${kinds.length}`);
    return parts.map((w, k) => {
      const c = parseConstant(kinds[k], w);
      if (typeof c === 'string') throw new NftCompileError(c);
      return c;
    });
  }

  /** `{ e1, e2, … }` (the `{` already read), each `key` or `key : verdict`. */
  anonymous(kinds: readonly ValueKind[], map: boolean): SetRef {
    const elements: { key: Constant[]; verdict?: NftVerdict }[] = [];
    for (;;) {
      if (this.eat('}')) break;
      const words: string[] = [];
      while (this.peek() !== ',' && this.peek() !== '}' && this.peek() !== ':' && this.peek() !== undefined) words.push(this.next());
      if (words.length === 0) throw new NftCompileError('an empty element');
      const key = this.keyOf(kinds, words);
      let verdict: NftVerdict | undefined;
      if (map) {
        this.expect(':');
        verdict = this.verdict();
      }
      elements.push({ key, verdict });
      if (!this.eat(',')) {
        this.expect('}');
        break;
      }
    }
    return { anonymous: elements };
  }

  /** After `vmap`: `@name` or `{ … }`. */
  mapRef(kinds: readonly ValueKind[]): SetRef {
    const w = this.next();
    if (w.startsWith('@')) return { named: w.slice(1) };
    if (w === '{') return this.anonymous(kinds, true);
    throw new NftCompileError(`expected a map after "vmap", not "${w}"`);
  }

  number(what: string): number {
    const w = this.next();
    const n = /^0x[0-9a-f]+$/i.test(w) ? parseInt(w, 16) : /^\d+$/.test(w) ? Number(w) : NaN;
    if (!Number.isFinite(n)) throw new NftCompileError(`"${w}" is not ${what}`);
    return n;
  }

  markExpr(): MarkExpr {
    if (this.peek() === 'mark' || (this.peek() === 'meta' && this.peek(1) === 'mark') || (this.peek() === 'ct' && this.peek(1) === 'mark')) {
      this.i += this.peek() === 'mark' ? 1 : 2;
      const word = this.next();
      const op = BINOPS[word];
      if (op === undefined) throw new NftCompileError(`"${word}" is not modelled in a mark expression (or, and, xor are)`);
      return { op, value: this.number('a mark') >>> 0 };
    }
    return { op: 'set', value: this.number('a mark') >>> 0 };
  }

  /** `to ADDR[:PORT]` of dnat/snat. */
  natTo(type: 'DNAT' | 'SNAT'): NatAction {
    if (this.peek() === 'ip' || this.peek() === 'ip6') this.i++;
    this.expect('to');
    const target = this.next();
    let addressText = target;
    let portText: string | undefined;
    if (target.startsWith('[')) {
      const close = target.indexOf(']');
      if (close < 0 || (close + 1 < target.length && target[close + 1] !== ':')) throw new NftCompileError(`"${target}" is not ADDRESS[:PORT]`);
      addressText = target.slice(1, close);
      if (close + 1 < target.length) portText = target.slice(close + 2);
    } else {
      const colon = target.indexOf(':');
      // One colon: IPv4 with a port; more: an IPv6 address without one.
      if (colon >= 0 && target.indexOf(':', colon + 1) < 0) {
        addressText = target.slice(0, colon);
        portText = target.slice(colon + 1);
      }
    }
    const address = tryParseIPv4(addressText) ?? tryParseIPv6(addressText);
    if (address === undefined) throw new NftCompileError(`"${addressText}" is not an address to ${type === 'DNAT' ? 'dnat' : 'snat'} to`);
    let minPort: number | undefined;
    let maxPort: number | undefined;
    if (portText !== undefined) {
      const dash = portText.indexOf('-');
      const lo = Number(dash < 0 ? portText : portText.slice(0, dash));
      const hi = dash < 0 ? lo : Number(portText.slice(dash + 1));
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi > 65535 || portText === '') throw new NftCompileError(`"${portText}" is not a port`);
      minPort = lo;
      maxPort = hi;
    }
    const flags = this.natFlags();
    return { type, range: { minAddress: address, maxAddress: address, minPort, maxPort }, ...flags };
  }

  natFlags(): { random: boolean; randomFully: boolean; persistent: boolean } {
    const flags = { random: false, randomFully: false, persistent: false };
    for (;;) {
      const w = this.peek();
      if (w === 'random') flags.random = true;
      else if (w === 'fully-random') flags.randomFully = true;
      else if (w === 'persistent') flags.persistent = true;
      else break;
      this.i++;
      this.eat(',');
    }
    return flags;
  }

  /** `reject [with …]`. */
  reject(): { with: RejectWith; text: string } {
    if (!this.eat('with')) return { with: 'icmp-port-unreachable', text: 'reject' };
    const family = this.next();
    if (family === 'tcp') {
      this.expect('reset');
      return { with: 'tcp-reset', text: 'reject with tcp reset' };
    }
    if (family !== 'icmp' && family !== 'icmpx' && family !== 'icmpv6') throw new NftCompileError(`"reject with ${family}" is not modelled`);
    this.eat('type');
    const type = this.next();
    const table: Record<string, RejectWith> =
      family === 'icmpv6'
        ? { 'no-route': 'icmp6-no-route', 'admin-prohibited': 'icmp6-adm-prohibited', 'addr-unreachable': 'icmp6-addr-unreachable', 'port-unreachable': 'icmp6-port-unreachable' }
        : family === 'icmpx'
          ? { 'port-unreachable': 'icmp-port-unreachable', 'admin-prohibited': 'icmp-admin-prohibited', 'no-route': 'icmp-net-unreachable', 'host-unreachable': 'icmp-host-unreachable' }
          : {
              'net-unreachable': 'icmp-net-unreachable',
              'host-unreachable': 'icmp-host-unreachable',
              'prot-unreachable': 'icmp-proto-unreachable',
              'port-unreachable': 'icmp-port-unreachable',
              'net-prohibited': 'icmp-net-prohibited',
              'host-prohibited': 'icmp-host-prohibited',
              'admin-prohibited': 'icmp-admin-prohibited',
            };
    const w = table[type];
    if (w === undefined) throw new NftCompileError(`"reject with ${family} ${type}" is not modelled`);
    return { with: w, text: `reject with ${family} ${type}` };
  }

  statement(ops: Op[]): void {
    const w = this.peek()!;
    if (VERDICT_WORDS.has(w) || w === 'jump' || w === 'goto') {
      ops.push({ op: 'verdict', verdict: this.verdict() });
      return;
    }
    switch (w) {
      case 'counter':
        this.i++;
        if (this.eat('packets')) {
          this.number('a count');
          this.expect('bytes');
          this.number('a count');
        }
        ops.push({ op: 'counter' });
        return;
      case 'notrack':
        this.i++;
        ops.push({ op: 'notrack' });
        return;
      case 'log': {
        this.i++;
        let prefix = '';
        let level = 4;
        for (;;) {
          if (this.eat('prefix')) prefix = this.next().replace(/^"|"$/g, '');
          else if (this.eat('level')) {
            const l = this.next();
            const levels = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];
            level = levels.indexOf(l) >= 0 ? levels.indexOf(l) : Number(l);
          } else if (this.eat('flags')) this.next();
          else break;
        }
        ops.push({ op: 'log', prefix, level });
        return;
      }
      case 'dnat':
      case 'snat': {
        this.i++;
        const action = this.natTo(w === 'dnat' ? 'DNAT' : 'SNAT');
        ops.push({ op: 'nat', action, text: w });
        return;
      }
      case 'masquerade':
      case 'redirect': {
        this.i++;
        let minPort: number | undefined;
        let maxPort: number | undefined;
        if (this.eat('to')) {
          const m = /^:(\d+)(?:-(\d+))?$/.exec(this.next());
          if (!m) throw new NftCompileError(`"${w} to" takes :PORT`);
          minPort = Number(m[1]);
          maxPort = Number(m[2] ?? m[1]);
        }
        const flags = this.natFlags();
        ops.push({ op: 'nat', action: { type: w === 'masquerade' ? 'MASQUERADE' : 'REDIRECT', range: { minPort, maxPort }, ...flags }, text: w });
        return;
      }
      case 'reject': {
        this.i++;
        const r = this.reject();
        ops.push({ op: 'reject', with: r.with, text: r.text });
        return;
      }
      case 'update':
      case 'add': {
        this.i++;
        const name = this.next();
        if (!name.startsWith('@')) throw new NftCompileError(`"${w}" takes @SET, not "${name}"`);
        this.expect('{');
        const first = this.selector();
        if (first === undefined) throw new NftCompileError(`"${w} ${name}" needs a key (\`{ ip saddr }\`)`);
        const key = this.concatenation(first);
        let timeout: number | undefined;
        if (this.eat('timeout')) {
          const t = this.next();
          timeout = parseDuration(t);
          if (timeout === undefined) throw new NftCompileError(`"${t}" is not a duration`);
        }
        this.expect('}');
        ops.push({ op: 'update', set: name.slice(1), key, timeout });
        return;
      }
    }
    if ((w === 'mark' && this.peek(1) === 'set') || ((w === 'meta' || w === 'ct') && this.peek(1) === 'mark' && this.peek(2) === 'set')) {
      const target = w === 'ct' ? 'ct' : 'meta';
      this.i += w === 'mark' ? 2 : 3;
      ops.push({ op: 'mark', target, expr: this.markExpr() });
      return;
    }
    if (w === 'numgen') {
      this.i++;
      if (this.next() !== 'random') throw new NftCompileError('only "numgen random" is modelled');
      this.expect('mod');
      const mod = this.number('a modulus');
      if (mod < 1) throw new NftCompileError('numgen needs a modulus of at least 1');
      let offset = 0;
      if (this.eat('offset')) offset = this.number('an offset');
      this.expect('vmap');
      ops.push({ op: 'numgen', mod, offset, map: this.mapRef(['int']) });
      return;
    }
    const first = this.selector();
    if (first === undefined) throw new NftCompileError(`"${w}" is not a statement kube-netsim models`);
    const key = this.concatenation(first);
    let mask: MarkExpr | undefined;
    if (key.length === 1 && BINOPS[this.peek() ?? ''] !== undefined) {
      const op = BINOPS[this.next()];
      mask = { op, value: this.number('a mask') >>> 0 };
    }
    if (this.eat('vmap')) {
      const kinds = key.map((s) => s.kind);
      ops.push({ op: 'vmap', key, kinds, map: this.mapRef(kinds) });
      return;
    }
    let negate = false;
    if (this.eat('!=')) negate = true;
    else this.eat('==');
    const kinds = key.map((s) => s.kind);
    const r = this.next();
    let set: SetRef;
    if (r.startsWith('@')) set = { named: r.slice(1) };
    else if (r === '{') set = this.anonymous(kinds, false);
    else {
      // One constant (or a key `a . b`); flag lists (`established,related`) arrive as words and commas.
      const words = [r];
      while (this.peek() === '.' || (this.peek() === ',' && (kinds[0] === 'ctstate' || kinds[0] === 'ctstatus'))) {
        const sep = this.next();
        if (sep === ',') words[words.length - 1] += ',' + this.next();
        else words.push(sep, this.next());
      }
      set = { anonymous: [{ key: this.keyOf(kinds, words) }] };
    }
    ops.push({ op: 'match', key, kinds, mask, negate, set });
  }
}

/** Compiles a rule's statement text; throws `NftCompileError` with the reason. */
export function compileText(text: string): CompiledRule {
  const p = new Parser(tokenize(text));
  const ops: Op[] = [];
  while (!p.done()) p.statement(ops);
  return { ops };
}

const compiled = new WeakMap<NftRule, CompiledRule>();

/** The rule's compiled form, made once per rule object. */
/** The rule's compiled form if it was compiled already (the walk's fast path: no text built). */
export function compiledRule(rule: NftRule): CompiledRule | undefined {
  return compiled.get(rule);
}

export function compileRule(rule: NftRule, where: string): CompiledRule {
  let c = compiled.get(rule);
  if (c === undefined) {
    try {
      c = compileText(rule.text);
    } catch (e) {
      if (e instanceof NftCompileError) throw new NftCompileError(`${where}: rule "${rule.text}" (handle ${rule.handle}): ${e.message}`);
      throw e;
    }
    compiled.set(rule, c);
  }
  return c;
}

/** A value after a mask (`mark and 0x4000`). */
export function masked(v: Scalar, mask: MarkExpr | undefined): Scalar {
  if (mask === undefined || typeof v !== 'number') return v;
  return (mask.op === 'and' ? v & mask.value : mask.op === 'or' ? v | mask.value : v ^ mask.value) >>> 0;
}

export function applyMark(current: number, e: MarkExpr): number {
  return (e.op === 'set' ? e.value : e.op === 'or' ? current | e.value : e.op === 'and' ? current & e.value : current ^ e.value) >>> 0;
}

/** Whether a key of values is in an anonymous element's constants. */
export function keyIn(constants: readonly Constant[], values: readonly Scalar[]): boolean {
  for (let k = 0; k < constants.length; k++) if (!inConstant(constants[k], values[k])) return false;
  return true;
}
