/**
 * A ruleset as `nft list ruleset` (nftables 1.0.6) prints it:
 *
 *   table ip kube-proxy {
 *   	comment "rules for kube-proxy"
 *   	set cluster-ips {
 *   		type ipv4_addr
 *   		comment "Active ClusterIPs"
 *   		elements = { 172.30.0.41, 172.30.0.42,
 *   			     172.30.0.43 }
 *   	}
 *
 *   	chain nat-prerouting {
 *   		type nat hook prerouting priority dstnat; policy accept;
 *   		jump services
 *   	}
 *   }
 *
 * What the kernel hands back differs from what was sent, and is printed as
 * nft prints it: sets and maps come before chains, each in creation order; a
 * chain's comment before its type; priorities by name near a standard one
 * (`dstnat - 10`); durations in units (`3h`, `1m30s`); elements wrapped by
 * their type (five small numbers or two addresses a line, one concatenation a
 * line), a timed element's `timeout` and `expires`; `mark` statements as `meta mark` with 32-bit hex values; a one-element
 * anonymous set as its element, and an interval one sorted and merged.
 *
 * Not reproduced: the order of a hash set's elements, which is the kernel's
 * hash order and differs from one load to the next (this printer keeps
 * insertion order; compare listings with their element lists sorted).
 */
import type { NftChain, NftElement, NftFamily, NftRuleset, NftSet, NftTable } from './model';
import { parseDuration } from './values';

const STANDARD_PRIORITIES: readonly { name: string; value: number; hook?: string }[] = [
  { name: 'raw', value: -300 },
  { name: 'mangle', value: -150 },
  { name: 'dstnat', value: -100, hook: 'prerouting' },
  { name: 'filter', value: 0 },
  { name: 'security', value: 50 },
  { name: 'srcnat', value: 100, hook: 'postrouting' },
];

/** `-110` in prerouting → `dstnat - 10`; a number more than 10 from every standard priority stays a number. */
export function priorityText(family: NftFamily, hook: string, priority: string): string {
  const value = Number(priority);
  if (!Number.isInteger(value) || (family !== 'ip' && family !== 'ip6' && family !== 'inet')) return priority;
  for (const p of STANDARD_PRIORITIES) {
    if (p.hook !== undefined && p.hook !== hook) continue;
    const offset = value - p.value;
    if (Math.abs(offset) <= 10) return offset === 0 ? p.name : `${p.name} ${offset > 0 ? '+' : '-'} ${Math.abs(offset)}`;
  }
  return priority;
}

/** A base chain's priority as a number: `-110`, `dstnat`, `dstnat - 10`, `filter + 5`; undefined when it is neither. */
export function priorityValue(priority: string): number | undefined {
  const text = priority.trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  const m = /^([a-z]+)(?:\s*([+-])\s*(\d+))?$/.exec(text);
  const base = m ? STANDARD_PRIORITIES.find((p) => p.name === m[1]) : undefined;
  if (!m || base === undefined) return undefined;
  return base.value + (m[2] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]));
}

/** `10800s` → `3h`, `90s` → `1m30s`, `1500ms` → `1s500ms`, as nft prints a duration. */
export function durationText(given: string): string {
  const ms = parseDuration(given);
  return ms === undefined ? given : msText(ms);
}

/** Milliseconds as nft prints a duration: days, hours, minutes, seconds, milliseconds, each left out when 0. */
function msText(total: number): string {
  let rest = total;
  let out = '';
  for (const [unit, size] of [
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out === '' ? '0s' : out;
}

const hex32 = (value: string) => `0x${(Number(value) >>> 0).toString(16).padStart(8, '0')}`;

/** Integer types print five elements a line; addresses and states two; anything else (concatenations, IPv6) one. */
function perLine(type: string): number {
  const key = type.split(':')[0].trim();
  if (key.includes(' . ')) return 1;
  if (['inet_service', 'inet_proto', 'mark', 'integer', 'nf_proto', 'ifindex', 'classid', 'uid', 'gid', 'ct_dir', 'tcp_flag'].includes(key)) return 5;
  if (['ipv4_addr', 'ct_state', 'ct_status', 'pkt_type'].includes(key)) return 2;
  return 1;
}

/**
 * A timed element (in a set with a `timeout`, or with its own) prints its timeout when it
 * is not the set's, and always the time it has left: as the model keeps it, the time it
 * had when it was added.
 */
function elementText(e: NftElement, setTimeout: number | undefined): string {
  let text = e.key.join(' . ');
  const own = e.timeout === undefined ? undefined : parseDuration(e.timeout);
  if (own !== undefined && own !== setTimeout) text += ` timeout ${msText(own)}`;
  const life = own ?? setTimeout;
  if (life !== undefined) text += ` expires ${msText((e.expires === undefined ? undefined : parseDuration(e.expires)) || life)}`;
  if (e.comment !== undefined) text += ` comment "${e.comment}"`;
  if (e.value !== undefined) text += ` : ${e.value.join(' . ')}`;
  return text;
}

function elementsText(set: NftSet, added: readonly NftElement[]): string {
  const n = perLine(set.type);
  const setTimeout = set.timeout === undefined ? undefined : parseDuration(set.timeout);
  let out = '';
  let count = 0;
  let first = true;
  for (const e of added.length === 0 ? set.elements.values() : [...set.elements.values(), ...added]) {
    if (!first) {
      if (count < n) out += ', ';
      else {
        out += ',\n\t\t\t     ';
        count = 0;
      }
    }
    out += elementText(e, setTimeout);
    count++;
    first = false;
  }
  return `{ ${out} }`;
}

// ---------------------------------------------------------------------------
// Rule statements
// ---------------------------------------------------------------------------

function ipv4Value(text: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0 : undefined;
}

const ipv4Text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

/** An IPv4 element (`a`, `a/n`, `a-b`) as an inclusive range, or undefined for anything else. */
function ipv4Range(text: string): [number, number] | undefined {
  const range = /^([\d.]+)-([\d.]+)$/.exec(text);
  if (range) {
    const a = ipv4Value(range[1]);
    const b = ipv4Value(range[2]);
    return a !== undefined && b !== undefined ? [a, b] : undefined;
  }
  const [addr, bits] = text.split('/');
  const a = ipv4Value(addr);
  if (a === undefined) return undefined;
  const n = bits === undefined ? 32 : Number(bits);
  if (!Number.isInteger(n) || n < 0 || n > 32) return undefined;
  const size = 2 ** (32 - n);
  const start = a - (a % size);
  return [start, start + size - 1];
}

/** An inclusive range as nft prints it: an address, a prefix when it is one, else `a-b`. */
function rangeText([a, b]: [number, number]): string {
  if (a === b) return ipv4Text(a);
  const size = b - a + 1;
  const bits = Math.log2(size);
  if (Number.isInteger(bits) && a % size === 0) return `${ipv4Text(a)}/${32 - bits}`;
  return `${ipv4Text(a)}-${ipv4Text(b)}`;
}

/** An anonymous set's elements as nft lists them back. */
function anonymousSet(items: string[]): string {
  const ranges = items.map(ipv4Range);
  let printed = items;
  if (ranges.every((r) => r !== undefined)) {
    const interval = items.some((i) => i.includes('/') || i.includes('-'));
    const sorted = (ranges as [number, number][]).sort((x, y) => x[0] - y[0]);
    if (interval) {
      const merged: [number, number][] = [];
      for (const r of sorted) {
        const last = merged[merged.length - 1];
        if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
        else merged.push([r[0], r[1]]);
      }
      printed = merged.map(rangeText);
    } else {
      printed = sorted.map(rangeText);
    }
  } else if (items.every((i) => /^\d+$/.test(i))) {
    printed = [...items].sort((x, y) => Number(x) - Number(y));
  }
  return printed.length === 1 ? printed[0] : `{ ${printed.join(', ')} }`;
}

/** Splits `a , b` at top-level commas. */
function splitItems(inner: string): string[] {
  return inner
    .split(',')
    .map((i) => i.trim())
    .filter((i) => i !== '');
}

/** One rule's statements as nft lists them back. */
export function ruleText(rule: string): string {
  let text = rule.replace(/\s+/g, ' ').trim();
  // `mark ...` is `meta mark ...`; its values are 32-bit hex.
  text = text.replace(/(^| )mark set mark (or|xor|and) (\S+)/g, (_m, pre: string, op: string, v: string) => `${pre}meta mark set meta mark ${op === 'or' ? '|' : op === 'xor' ? '^' : '&'} ${hex32(v)}`);
  text = text.replace(/(^| )mark and (\S+) == (\S+)/g, (_m, pre: string, mask: string, v: string) => `${pre}meta mark & ${hex32(mask)} == ${hex32(v)}`);
  text = text.replace(/(^| )mark set (\S+)(?= |$)/g, (m, pre: string, v: string) => (/^(0x[0-9a-f]+|\d+)$/i.test(v) ? `${pre}meta mark set ${hex32(v)}` : m));
  // Interface names are strings: `iifname "cbr0"`.
  text = text.replace(/(^| )(iifname|oifname) (!= )?([^\s"]+)/g, (_m, pre: string, what: string, not: string | undefined, name: string) => `${pre}${what} ${not ?? ''}"${name}"`);
  // Anonymous sets and verdict maps: `{ a , b }`; not the key of `update @set { ip saddr }`.
  text = text.replace(/\{ ([^{}]*) \}/g, (m, inner: string, at: number) => {
    if (/@[A-Za-z0-9_./-]+ $/.test(text.slice(0, at))) return m.replace(/^\{ /, '{ ').replace(/ \}$/, ' }');
    if (inner.includes(' : ')) return `{ ${splitItems(inner).join(', ')} }`;
    return anonymousSet(splitItems(inner));
  });
  return text;
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/** Sets a rule adds to or updates from the packet path (`update @set`, `add @set`): the kernel gives them a size. */
function updatedSets(table: NftTable): Set<string> {
  const out = new Set<string>();
  for (const c of table.chains.values()) {
    for (const r of c.rules) for (const m of r.text.matchAll(/\b(?:update|add) @([A-Za-z0-9_./-]+)/g)) out.add(m[1]);
  }
  return out;
}

const FLAG_ORDER = ['constant', 'interval', 'dynamic', 'timeout'];

/**
 * A set's flags as nft lists them: in its own order, `timeout` added when the set has a
 * timeout, and no line at all when that is the only flag.
 */
function flagsText(set: NftSet): string | undefined {
  const flags = new Set(set.flags);
  if (set.timeout !== undefined) flags.add('timeout');
  if (flags.size === 0 || (flags.size === 1 && set.timeout !== undefined)) return undefined;
  const rank = (f: string) => (FLAG_ORDER.includes(f) ? FLAG_ORDER.indexOf(f) : FLAG_ORDER.length);
  return [...flags].sort((a, b) => rank(a) - rank(b)).join(',');
}

function setText(set: NftSet, sized: boolean, added: readonly NftElement[] = []): string {
  const lines = [`\t${set.kind} ${set.name} {`, `\t\ttype ${set.type}`];
  if (sized && set.flags.includes('dynamic')) lines.push('\t\tsize 65535');
  const flags = flagsText(set);
  if (flags !== undefined) lines.push(`\t\tflags ${flags}`);
  if (set.timeout !== undefined) lines.push(`\t\ttimeout ${durationText(set.timeout)}`);
  if (set.comment !== undefined) lines.push(`\t\tcomment "${set.comment}"`);
  if (set.elements.size + added.length > 0) lines.push(`\t\telements = ${elementsText(set, added)}`);
  lines.push('\t}');
  return lines.join('\n');
}

function chainText(table: NftTable, chain: NftChain): string {
  const lines = [`\tchain ${chain.name} {`];
  if (chain.comment !== undefined) lines.push(`\t\tcomment "${chain.comment}"`);
  if (chain.base) {
    const b = chain.base;
    lines.push(`\t\ttype ${b.type} hook ${b.hook} priority ${priorityText(table.family, b.hook, b.priority)}; policy ${b.policy ?? 'accept'};`);
  }
  for (const r of chain.rules) lines.push(`\t\t${ruleText(r.text)}${r.comment !== undefined ? ` comment "${r.comment}"` : ''}`);
  lines.push('\t}');
  return lines.join('\n');
}

/**
 * Elements packets added to a set (`update @set { ip saddr }`, session affinity), with the
 * time each has left, listed after the set's own as the kernel lists them.
 */
export type AddedElements = (set: NftSet) => readonly NftElement[];

export function printTable(table: NftTable): string {
  return printTableWith(table, undefined);
}

/** `printTable`, with the elements packets added to its sets. */
export function printTableWith(table: NftTable, added: AddedElements | undefined): string {
  const sized = updatedSets(table);
  const blocks = [...[...table.sets.values()].map((s) => setText(s, sized.has(s.name), added?.(s))), ...[...table.chains.values()].map((c) => chainText(table, c))];
  const head = `table ${table.family} ${table.name} {${table.comment !== undefined ? `\n\tcomment "${table.comment}"` : ''}`;
  return `${head}\n${blocks.join('\n\n')}${blocks.length ? '\n' : ''}}\n`;
}

/** `nft list ruleset`: every table, in creation order. */
export function printRuleset(ruleset: NftRuleset): string {
  return [...ruleset.tables.values()].map(printTable).join('');
}
