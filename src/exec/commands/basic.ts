/**
 * Text commands with busybox's wording: echo, true, false, seq, sleep, cat,
 * env, printenv, grep, head, tail, wc. They read only the shell's own
 * simulated files and variables.
 */
import type { CommandContext, CommandHandler } from '../shell';

function echo(ctx: CommandContext): number {
  let args = ctx.args;
  let newline = true;
  let escapes = false;
  while (args.length > 0 && /^-[neE]+$/.test(args[0])) {
    if (args[0].includes('n')) newline = false;
    if (args[0].includes('e')) escapes = true;
    args = args.slice(1);
  }
  let text = args.join(' ');
  if (escapes) text = text.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\\\/g, '\\');
  ctx.out(newline ? `${text}\n` : text);
  return 0;
}

function seq(ctx: CommandContext): number {
  const nums = ctx.args.map(Number);
  if (nums.length === 0 || nums.length > 3 || nums.some((n) => !Number.isFinite(n))) {
    const bad = ctx.args.find((a) => !Number.isFinite(Number(a)));
    ctx.err(bad !== undefined ? `seq: invalid number '${bad}'\n` : 'Usage: seq [-w] [-s SEP] [FIRST [INC]] LAST\n');
    return 1;
  }
  const [first, inc, last] = nums.length === 1 ? [1, 1, nums[0]] : nums.length === 2 ? [nums[0], 1, nums[1]] : nums;
  if (inc === 0) return 0;
  const lines: string[] = [];
  for (let n = first; inc > 0 ? n <= last : n >= last; n += inc) {
    lines.push(String(n));
    if (lines.length > 100_000) break;
  }
  if (lines.length > 0) ctx.out(`${lines.join('\n')}\n`);
  return 0;
}

/** busybox sleep: N, Ns, Nm, Nh, Nd; counted on the shell's simulated time, not waited for. */
function sleep(ctx: CommandContext): number {
  if (ctx.args.length === 0) {
    ctx.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: sleep [N]...\n');
    return 1;
  }
  let total = 0;
  for (const a of ctx.args) {
    const m = /^([0-9]*\.?[0-9]+)([smhd]?)$/.exec(a);
    if (!m) {
      ctx.err(`sleep: invalid number '${a}'\n`);
      return 1;
    }
    total += Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'] * 1000;
  }
  ctx.shell.elapsedMs += total;
  return 0;
}

function cat(ctx: CommandContext): number {
  if (ctx.args.length === 0 || (ctx.args.length === 1 && ctx.args[0] === '-')) {
    ctx.out(ctx.stdin);
    return 0;
  }
  let status = 0;
  for (const path of ctx.args) {
    const text = ctx.shell.files.get(path);
    if (text === undefined) {
      ctx.err(`cat: can't open '${path}': No such file or directory\n`);
      status = 1;
    } else ctx.out(text);
  }
  return status;
}

function env(ctx: CommandContext): number {
  if (ctx.args.length > 0) {
    ctx.err(`env: kube-netsim runs env without arguments only\n`);
    return 1;
  }
  ctx.out(ctx.shell.environment().map(([k, v]) => `${k}=${v}\n`).join(''));
  return 0;
}

function printenv(ctx: CommandContext): number {
  if (ctx.args.length === 0) return env(ctx);
  let status = 0;
  const vars = new Map(ctx.shell.environment());
  for (const name of ctx.args) {
    const value = vars.get(name);
    if (value === undefined) status = 1;
    else ctx.out(`${value}\n`);
  }
  return status;
}

function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** The files named, or stdin: [name, text] pairs; prints busybox's error for a missing file. */
function inputs(ctx: CommandContext, files: string[], tool: string): { texts: [string, string][]; status: number } {
  if (files.length === 0) return { texts: [['(standard input)', ctx.stdin]], status: 0 };
  const texts: [string, string][] = [];
  let status = 0;
  for (const f of files) {
    const text = f === '-' ? ctx.stdin : ctx.shell.files.get(f);
    if (text === undefined) {
      ctx.err(`${tool}: ${f}: No such file or directory\n`);
      status = 2;
    } else texts.push([f, text]);
  }
  return { texts, status };
}

/** A basic regular expression (grep without -E): `\(`, `\|`, `\+` are the operators, bare `(`, `|`, `+` literal. */
function basicToExtended(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && '(){}|+?'.includes(pattern[i + 1] ?? '')) out += pattern[++i];
    else if ('(){}|+?'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

function grep(ctx: CommandContext): number {
  const flags = new Set<string>();
  const rest: string[] = [];
  const patterns: string[] = [];
  for (let i = 0; i < ctx.args.length; i++) {
    const a = ctx.args[i];
    if (a === '--') {
      rest.push(...ctx.args.slice(i + 1));
      break;
    } else if (a === '-e') patterns.push(ctx.args[++i] ?? '');
    else if (/^-[ivcqEFwxo]+$/.test(a)) for (const f of a.slice(1)) flags.add(f);
    else rest.push(a);
  }
  if (patterns.length === 0) {
    const p = rest.shift();
    if (p === undefined) {
      ctx.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n');
      return 2;
    }
    patterns.push(p);
  }
  const source = (p: string) => {
    let s = flags.has('F') ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : flags.has('E') ? p : basicToExtended(p);
    if (flags.has('w')) s = `\\b(?:${s})\\b`;
    if (flags.has('x')) s = `^(?:${s})$`;
    return s;
  };
  let re: RegExp;
  try {
    re = new RegExp(patterns.map(source).join('|'), flags.has('i') ? 'i' : '');
  } catch {
    ctx.err(`grep: bad regex '${patterns[0]}'\n`);
    return 2;
  }
  const { texts, status } = inputs(ctx, rest, 'grep');
  let matched = 0;
  for (const [name, text] of texts) {
    for (const line of lines(text)) {
      if (re.test(line) === flags.has('v')) continue;
      matched++;
      if (flags.has('q') || flags.has('c')) continue;
      ctx.out(`${texts.length > 1 ? `${name}:` : ''}${line}\n`);
    }
  }
  if (flags.has('c')) ctx.out(`${matched}\n`);
  return status !== 0 && !flags.has('q') ? status : matched > 0 ? 0 : 1;
}

function headTail(which: 'head' | 'tail'): CommandHandler {
  return (ctx) => {
    let n = 10;
    const files: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i];
      const m = /^-n?([0-9]+)$/.exec(a);
      if (a === '-n') n = Number(ctx.args[++i]);
      else if (m) n = Number(m[1]);
      else files.push(a);
    }
    const { texts, status } = inputs(ctx, files, which);
    for (const [, text] of texts) {
      const all = lines(text);
      const picked = which === 'head' ? all.slice(0, n) : all.slice(Math.max(0, all.length - n));
      if (picked.length > 0) ctx.out(`${picked.join('\n')}\n`);
    }
    return status === 0 ? 0 : 1;
  };
}

function wc(ctx: CommandContext): number {
  const only = ctx.args.filter((a) => a.startsWith('-')).join('');
  const files = ctx.args.filter((a) => !a.startsWith('-'));
  const { texts, status } = inputs(ctx, files, 'wc');
  for (const [name, text] of texts) {
    const counts = { l: (text.match(/\n/g) ?? []).length, w: text.split(/\s+/).filter((s) => s !== '').length, c: Buffer.byteLength(text) };
    const picked = only === '' ? [counts.l, counts.w, counts.c] : [...'lwc'].filter((k) => only.includes(k)).map((k) => counts[k as 'l' | 'w' | 'c']);
    const width = only === '' || picked.length > 1 ? 7 : 0;
    const cols = picked.map((v) => String(v).padStart(width)).join(' ');
    ctx.out(`${cols}${files.length > 0 ? ` ${name}` : ''}\n`);
  }
  return status === 0 ? 0 : 1;
}

export const BASIC_COMMANDS: ReadonlyMap<string, CommandHandler> = new Map<string, CommandHandler>([
  ['echo', echo],
  ['true', () => 0],
  [':', () => 0],
  ['false', () => 1],
  ['seq', seq],
  ['sleep', sleep],
  ['cat', cat],
  ['env', env],
  ['printenv', printenv],
  ['grep', grep],
  ['head', headTail('head')],
  ['tail', headTail('tail')],
  ['wc', wc],
]);
