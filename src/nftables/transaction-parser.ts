/**
 * Reads the one-command-per-line form of an `nft -f` transaction, as
 * knftables writes it (and as `transactionText` prints it):
 *
 *   add|create table FAMILY NAME [{ comment "C" ; }]
 *   add|create chain FAMILY TABLE NAME [{ type T hook H priority P ; [policy P ;] [comment "C" ;] }]
 *   add|create set|map FAMILY TABLE NAME { type T ; [flags F,… ;] [timeout D ;] [comment "C" ;] }
 *   add rule FAMILY TABLE CHAIN STATEMENTS… [comment "C"]
 *   add|delete element FAMILY TABLE SET { KEY [timeout D] [expires D] [comment "C"] [: VALUE] [, …] }
 *   flush|delete table|chain|set|map …
 *
 * Blank lines and `#` comments are skipped. Every problem is reported, each
 * with its line number, in one `NftParseError`.
 */
import { NFT_FAMILIES, type NftBaseChainSpec, type NftChainType, type NftElement, type NftFamily, type NftHook } from './model';
import type { NftCommand } from './transaction';
import { parseDuration } from './values';

export interface NftParseProblem {
  line: number;
  text: string;
  reason: string;
}

export class NftParseError extends Error {
  constructor(readonly problems: NftParseProblem[]) {
    super(problems.map((p) => `line ${p.line}: ${p.reason}: ${p.text}`).join('\n'));
  }
}

const CHAIN_TYPES: readonly NftChainType[] = ['filter', 'nat', 'route'];
const HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'];
const NAME = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;

/** The text inside the outermost `{ … }` at the end of `rest`, and what precedes it. */
function splitBlock(rest: string): { head: string; block?: string } {
  const open = rest.indexOf('{');
  if (open < 0) return { head: rest.trim() };
  if (!rest.trimEnd().endsWith('}')) throw new Error('unbalanced braces');
  return { head: rest.slice(0, open).trim(), block: rest.slice(open + 1, rest.trimEnd().length - 1).trim() };
}

/** `a ; b ; comment "x ; y" ;` → ['a', 'b', 'comment "x ; y"'], honouring quotes. */
function splitTop(text: string, separator: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '{') depth++;
    else if (!quoted && ch === '}') depth--;
    if (!quoted && depth === 0 && ch === separator) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  if (quoted) throw new Error('unterminated string');
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Splits a trailing `comment "…"` off a statement list or element. */
function trailingComment(text: string): { body: string; comment?: string } {
  const m = /^(.*?)\s*\bcomment "([^"]*)"$/.exec(text);
  return m ? { body: m[1], comment: m[2] } : { body: text };
}

function quoted(value: string): string {
  const m = /^"([^"]*)"$/.exec(value.trim());
  if (!m) throw new Error(`expected a quoted string, not ${value.trim()}`);
  return m[1];
}

function properties(block: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const part of splitTop(block, ';')) {
    const m = /^(\w+)\s+(.*)$/.exec(part);
    if (!m) throw new Error(`cannot read "${part}"`);
    if (m[1] === 'type' && /\bhook\b/.test(m[2])) {
      const t = /^(\S+)\s+hook\s+(\S+)\s+priority\s+(.+)$/.exec(m[2]);
      if (!t) throw new Error(`cannot read "${part}": expected type TYPE hook HOOK priority PRIORITY`);
      props.set('type', t[1]).set('hook', t[2]).set('priority', t[3].trim());
    } else {
      props.set(m[1], m[2].trim());
    }
  }
  return props;
}

function element(text: string): NftElement {
  const { body, comment } = (() => {
    // The comment sits between key and value: `KEY comment "C" : VALUE`.
    const m = /^(.*?)\s+comment "([^"]*)"(\s*:.*)?$/.exec(text);
    return m ? { body: `${m[1]}${m[3] ?? ''}`, comment: m[2] } : { body: text, comment: undefined };
  })();
  // Parts are separated by ` . ` and the value by ` : `, with spaces: addresses hold dots and colons.
  const colon = body.split(' : ');
  if (colon.length > 2) throw new Error(`cannot read element "${text}"`);
  // A timed element's options follow its key: `10.0.0.1 timeout 1h expires 59m59s990ms`.
  const options = /^(.*?)((?:\s+(?:timeout|expires)\s+\S+)+)$/.exec(colon[0].trim());
  const key = (options ? options[1] : colon[0]).split(' . ').map((k) => k.trim());
  const e: NftElement = { key };
  for (const [, option, value] of (options?.[2] ?? '').matchAll(/(timeout|expires)\s+(\S+)/g)) {
    if (parseDuration(value) === undefined) throw new Error(`element "${text}": ${option} "${value}" is not a duration (1h, 90s, 500ms, 2h59m59s990ms)`);
    e[option as 'timeout' | 'expires'] = value;
  }
  if (comment !== undefined) e.comment = comment;
  if (colon.length === 2) e.value = [colon[1].trim()];
  return e;
}

/** One command line (`add rule ip t c …`); throws an `Error` with the reason. */
export function parseNftLine(line: string): NftCommand[] {
  const m = /^(add|create|flush|delete)\s+(table|chain|set|map|rule|element)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
  if (!m) throw new Error('expected add|create|flush|delete followed by table|chain|set|map|rule|element, a family and a table');
  const [, verbText, object, familyText, tableName, rest] = m;
  const verb = verbText === 'create' ? 'add' : (verbText as 'add' | 'flush' | 'delete');
  if (!(NFT_FAMILIES as readonly string[]).includes(familyText)) throw new Error(`unknown family "${familyText}"`);
  const at = { family: familyText as NftFamily, table: tableName };
  if (object === 'table') {
    const { block } = splitBlock(rest);
    const comment = block ? properties(block).get('comment') : undefined;
    return [{ ...at, verb, object, ...(comment !== undefined ? { comment: quoted(comment) } : {}) }];
  }
  if (object === 'rule') {
    if (verb !== 'add') throw new Error('only "add rule" is read (rules are deleted by handle)');
    const chain = /^(\S+)\s+(.+)$/.exec(rest);
    if (!chain) throw new Error('expected a chain and the rule\'s statements');
    const { body, comment } = trailingComment(chain[2].trim());
    return [{ ...at, verb: 'add', object: 'rule', chain: chain[1], rule: body, ...(comment !== undefined ? { comment } : {}) }];
  }
  const { head: name, block } = splitBlock(rest);
  if (!NAME.test(name)) throw new Error(`"${name}" is not a valid ${object} name`);
  if (object === 'element') {
    if (verb === 'flush') throw new Error('elements are flushed with "flush set" or "flush map"');
    if (!block) throw new Error('expected { elements }');
    return splitTop(block, ',').map((e) => ({ ...at, verb, object: 'element' as const, set: name, element: element(e) }));
  }
  if (verb !== 'add') {
    if (block) throw new Error(`"${verbText} ${object}" takes no { … }`);
    return [{ ...at, verb, object: object as 'chain' | 'set' | 'map', name }];
  }
  const props = block ? properties(block) : new Map<string, string>();
  const comment = props.has('comment') ? quoted(props.get('comment')!) : undefined;
  if (object === 'chain') {
    let base: NftBaseChainSpec | undefined;
    if (props.has('type')) {
      const type = props.get('type') as NftChainType;
      const hook = props.get('hook') as NftHook;
      if (!CHAIN_TYPES.includes(type)) throw new Error(`unknown chain type "${type}"`);
      if (!HOOKS.includes(hook)) throw new Error(`unknown hook "${hook}"`);
      base = { type, hook, priority: props.get('priority')! };
      const policy = props.get('policy');
      if (policy !== undefined) {
        if (policy !== 'accept' && policy !== 'drop') throw new Error(`policy must be accept or drop, not "${policy}"`);
        base.policy = policy;
      }
    }
    return [{ ...at, verb: 'add', object: 'chain', name, ...(base ? { base } : {}), ...(comment !== undefined ? { comment } : {}) }];
  }
  const type = props.get('type');
  if (type === undefined) throw new Error(`a ${object} needs a type`);
  if ((object === 'map') !== type.includes(':')) throw new Error(object === 'map' ? 'a map\'s type is KEY : VALUE' : 'a set\'s type has no ": VALUE"');
  const flags = props.get('flags');
  return [
    {
      ...at,
      verb: 'add',
      object: object as 'set' | 'map',
      name,
      type,
      ...(flags !== undefined ? { flags: flags.split(',').map((f) => f.trim()) } : {}),
      ...(props.has('timeout') ? { timeout: props.get('timeout') } : {}),
      ...(comment !== undefined ? { comment } : {}),
    },
  ];
}

export function parseNftTransaction(text: string): NftCommand[] {
  const commands: NftCommand[] = [];
  const problems: NftParseProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      commands.push(...parseNftLine(line));
    } catch (e) {
      problems.push({ line: i + 1, text: line, reason: (e as Error).message });
    }
  });
  if (problems.length > 0) throw new NftParseError(problems);
  return commands;
}
