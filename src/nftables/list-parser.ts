/**
 * Reads what `nft list ruleset` prints (with or without `-a` handles) into
 * the transaction that makes that ruleset:
 *
 *   table ip kube-proxy {
 *   	comment "rules for kube-proxy"
 *   	set cluster-ips {
 *   		type ipv4_addr
 *   		elements = { 172.30.0.41, 172.30.0.42 }
 *   	}
 *   	chain nat-prerouting {
 *   		type nat hook prerouting priority dstnat; policy accept;
 *   		jump services
 *   	}
 *   }
 *
 * Each block becomes the `add` lines `nft -f` reads (one reader of sets,
 * elements and chain specs: transaction-parser.ts), in an order the kernel
 * takes: tables, sets and maps, chains, then rules, then elements. A timed
 * element keeps its `timeout` and `expires` (`10.0.0.1 expires 2h59m59s990ms`):
 * the engine counts the time it had left down from the ruleset's first use.
 */
import { NftParseError, parseNftLine, type NftParseProblem } from './transaction-parser';
import type { NftCommand } from './transaction';

/** Whether the text is the `nft list` form (its first statement opens a table block). */
export function isNftListText(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    return /^table\s+\S+\s+\S+\s*\{$/.test(line);
  }
  return false;
}

interface Pending {
  line: number;
  text: string;
}

const stripHandle = (text: string) => text.replace(/\s+# handle \d+$/, '');

/** The transaction that makes the listed ruleset; every problem in one `NftParseError`, by line. */
export function parseNftList(text: string): NftCommand[] {
  const lines = text.split('\n');
  const heads: Pending[] = [];
  const rules: Pending[] = [];
  const elements: Pending[] = [];
  const problems: NftParseProblem[] = [];
  let table: { family: string; name: string } | undefined;
  let block: { kind: 'chain' | 'set' | 'map'; name: string; line: number; props: string[] } | undefined;
  let pendingElements: { line: number; text: string } | undefined;
  const fail = (line: number, reason: string) => problems.push({ line: line + 1, text: lines[line].trim(), reason });

  for (let i = 0; i < lines.length; i++) {
    const line = stripHandle(lines[i].trim());
    if (line === '' || line.startsWith('#')) continue;
    if (pendingElements !== undefined) {
      pendingElements.text += ' ' + line;
      if (line.endsWith('}')) {
        elements.push(pendingElements);
        pendingElements = undefined;
      }
      continue;
    }
    if (table === undefined) {
      const m = /^table\s+(\S+)\s+(\S+)\s*\{$/.exec(line);
      if (!m) {
        fail(i, 'expected "table FAMILY NAME {"');
        continue;
      }
      table = { family: m[1], name: m[2] };
      heads.push({ line: i, text: `add table ${m[1]} ${m[2]}` });
      continue;
    }
    const at = `${table.family} ${table.name}`;
    if (block === undefined) {
      if (line === '}') {
        table = undefined;
        continue;
      }
      const comment = /^comment\s+(".*")$/.exec(line);
      if (comment) {
        heads.push({ line: i, text: `add table ${at} { comment ${comment[1]} ; }` });
        continue;
      }
      const m = /^(chain|set|map)\s+(\S+)\s*\{$/.exec(line);
      if (!m) {
        fail(i, 'expected "chain NAME {", "set NAME {", "map NAME {", "comment" or "}"');
        continue;
      }
      block = { kind: m[1] as 'chain', name: m[2], line: i, props: [] };
      continue;
    }
    if (line === '}') {
      if (block.kind === 'chain') heads.push({ line: block.line, text: `add chain ${at} ${block.name}${block.props.length ? ` { ${block.props.join(' ')} }` : ''}` });
      else heads.push({ line: block.line, text: `add ${block.kind} ${at} ${block.name} { ${block.props.join(' ')} }` });
      block = undefined;
      continue;
    }
    if (block.kind === 'chain') {
      if (/^type\s+\S+\s+hook\s/.test(line)) {
        // `type filter hook input priority filter; policy accept;`
        block.props.push(...line.split(';').map((p) => p.trim()).filter((p) => p !== '').map((p) => `${p} ;`));
      } else if (/^comment\s+".*"$/.test(line) && block.props.every((p) => !p.startsWith('comment'))) {
        block.props.push(`${line} ;`);
      } else {
        rules.push({ line: i, text: `add rule ${at} ${block.name} ${line}` });
      }
      continue;
    }
    const elementsAt = /^elements\s*=\s*(\{.*)$/.exec(line);
    if (elementsAt) {
      const text = elementsAt[1];
      const e = { line: i, text: `add element ${at} ${block.name} ${text}` };
      if (text.endsWith('}')) elements.push(e);
      else pendingElements = e;
      continue;
    }
    block.props.push(`${line} ;`);
  }
  if (table !== undefined) problems.push({ line: lines.length, text: '', reason: `table ${table.family} ${table.name} is not closed ("}")` });

  const commands: NftCommand[] = [];
  for (const p of [...heads, ...rules, ...elements]) {
    try {
      commands.push(...parseNftLine(p.text));
    } catch (e) {
      problems.push({ line: p.line + 1, text: lines[p.line].trim(), reason: (e as Error).message });
    }
  }
  if (problems.length > 0) throw new NftParseError(problems.sort((a, b) => a.line - b.line));
  return commands;
}
