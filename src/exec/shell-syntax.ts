/**
 * The syntax of the simulated shell (a small subset of POSIX `sh`, as
 * busybox's ash reads it): lists joined by `;`, newlines, `&&` and `||`,
 * pipelines with `|` and `!`, `for NAME in WORDS; do LIST; done`, single and
 * double quotes, backslashes, `$NAME`, `${NAME}`, `$?`, `$(LIST)` and
 * backquotes, and the redirections `>FILE`, `>>FILE`, `2>FILE`, `2>&1`,
 * `>&2`. Nothing here runs anything: see shell.ts.
 */

/** A piece of a word: literal text, a variable, or a command substitution; `quoted` pieces are not split into fields. */
export type WordPart =
  | { kind: 'text'; text: string; quoted: boolean }
  | { kind: 'var'; name: string; quoted: boolean }
  | { kind: 'subst'; list: List; quoted: boolean };

export type Word = WordPart[];

export interface Redirection {
  /** The file descriptor redirected (1 or 2). */
  fd: 1 | 2;
  /** `>&N`: to another descriptor; otherwise to a file (`append` for `>>`). */
  to: { fd: 1 | 2 } | { file: Word; append: boolean };
}

export type Command =
  | { kind: 'simple'; words: Word[]; redirections: Redirection[] }
  | { kind: 'for'; variable: string; items: Word[] | undefined; body: List }
  | { kind: 'group'; body: List; subshell: boolean };

export interface Pipeline {
  negate: boolean;
  commands: Command[];
}

export interface AndOr {
  first: Pipeline;
  rest: { op: '&&' | '||'; pipeline: Pipeline }[];
}

export type List = AndOr[];

/** A syntax error, with ash's wording (`sh: syntax error: ...`, exit status 2). */
export class ShellSyntaxError extends Error {}

const RESERVED = new Set(['for', 'in', 'do', 'done', 'if', 'then', 'else', 'elif', 'fi', 'while', 'until', 'case', 'esac', '{', '}']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const META = new Set([';', '&', '|', '(', ')', '<', '>', '\n', ' ', '\t']);

/** Parses a script (what `sh -c` is given). */
export function parseScript(source: string): List {
  const parser = new Parser(source);
  const list = parser.list(new Set());
  parser.expectEnd();
  return list;
}

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  expectEnd(): void {
    this.skipBlanks(true);
    if (this.pos < this.src.length) throw this.unexpected();
  }

  /** A list, up to the end or a reserved word in `stop` (not consumed) or `)`. */
  list(stop: Set<string>): List {
    const out: List = [];
    for (;;) {
      this.skipBlanks(true);
      if (this.pos >= this.src.length || this.peek() === ')' || this.peek() === '`') break;
      const word = this.peekReserved();
      if (word !== undefined && stop.has(word)) break;
      out.push(this.andOr());
      this.skipBlanks(false);
      const c = this.peek();
      if (c === ';' || c === '\n' || c === '&') {
        if (c === ';' && this.src[this.pos + 1] === ';') throw this.unexpected();
        this.pos++;
        continue;
      }
      break;
    }
    return out;
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      this.skipBlanks(false);
      const two = this.src.slice(this.pos, this.pos + 2);
      if (two !== '&&' && two !== '||') break;
      this.pos += 2;
      this.skipBlanks(true);
      rest.push({ op: two, pipeline: this.pipeline() });
    }
    return { first, rest };
  }

  private pipeline(): Pipeline {
    this.skipBlanks(false);
    let negate = false;
    if (this.peekReserved() === '!' || (this.peek() === '!' && /[\s]/.test(this.src[this.pos + 1] ?? ''))) {
      negate = true;
      this.pos++;
    }
    const commands = [this.command()];
    for (;;) {
      this.skipBlanks(false);
      if (this.peek() !== '|' || this.src[this.pos + 1] === '|') break;
      this.pos++;
      this.skipBlanks(true);
      commands.push(this.command());
    }
    return { negate, commands };
  }

  private command(): Command {
    this.skipBlanks(false);
    const reserved = this.peekReserved();
    if (reserved === 'for') return this.forLoop();
    if (reserved === '{') {
      this.pos++;
      const body = this.list(new Set(['}']));
      this.keyword('}');
      return { kind: 'group', body, subshell: false };
    }
    if (this.peek() === '(') {
      this.pos++;
      const body = this.list(new Set());
      this.skipBlanks(true);
      if (this.peek() !== ')') throw this.unexpected();
      this.pos++;
      return { kind: 'group', body, subshell: true };
    }
    if (reserved !== undefined && reserved !== '!') throw new ShellSyntaxError(`syntax error: unexpected "${reserved}"`);
    const words: Word[] = [];
    const redirections: Redirection[] = [];
    for (;;) {
      this.skipBlanks(false);
      const c = this.peek();
      if (c === undefined || c === ';' || c === '\n' || c === '|' || c === '&' || c === ')' || c === '`') break;
      const redirection = this.redirection();
      if (redirection) {
        redirections.push(redirection);
        continue;
      }
      if (c === '(') throw this.unexpected();
      words.push(this.word());
    }
    if (words.length === 0 && redirections.length === 0) throw this.unexpected();
    return { kind: 'simple', words, redirections };
  }

  private redirection(): Redirection | undefined {
    const m = /^([12]?)(>>|>&|>)/.exec(this.src.slice(this.pos, this.pos + 3));
    if (!m) return undefined;
    this.pos += m[0].length;
    const fd = (m[1] === '2' ? 2 : 1) as 1 | 2;
    this.skipBlanks(false);
    if (m[2] === '>&') {
      const target = this.peek();
      if (target !== '1' && target !== '2') throw this.unexpected();
      this.pos++;
      return { fd, to: { fd: target === '2' ? 2 : 1 } };
    }
    const c = this.peek();
    if (c === undefined || META.has(c)) throw this.unexpected();
    return { fd, to: { file: this.word(), append: m[2] === '>>' } };
  }

  private forLoop(): Command {
    this.keyword('for');
    this.skipBlanks(false);
    const variable = this.plainWord();
    if (!NAME.test(variable)) throw new ShellSyntaxError(`syntax error: bad for loop variable`);
    this.skipBlanks(false);
    let items: Word[] | undefined;
    if (this.peekReserved() === 'in') {
      this.pos += 2;
      items = [];
      for (;;) {
        this.skipBlanks(false);
        const c = this.peek();
        if (c === undefined || c === ';' || c === '\n') break;
        if (META.has(c)) throw this.unexpected();
        items.push(this.word());
      }
    }
    this.skipBlanks(false);
    if (this.peek() === ';') this.pos++;
    this.skipBlanks(true);
    this.keyword('do');
    const body = this.list(new Set(['done']));
    if (body.length === 0) throw new ShellSyntaxError('syntax error: unexpected "done"');
    this.keyword('done');
    return { kind: 'for', variable, items, body };
  }

  private keyword(word: string): void {
    this.skipBlanks(true);
    if (this.peekReserved() !== word) {
      if (this.pos >= this.src.length) throw new ShellSyntaxError(`syntax error: unexpected end of file (expecting "${word}")`);
      throw this.unexpected();
    }
    this.pos += word.length;
  }

  /** The next word if it is a bare reserved word (or `!`), without consuming it. */
  private peekReserved(): string | undefined {
    const m = /^(!|[a-z]+|\{|\})(?=$|[\s;&|()<>])/.exec(this.src.slice(this.pos, this.pos + 8));
    if (!m) return undefined;
    return RESERVED.has(m[1]) || m[1] === '!' ? m[1] : undefined;
  }

  private plainWord(): string {
    const start = this.pos;
    while (this.pos < this.src.length && !META.has(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private word(): Word {
    const parts: Word = [];
    const text = (t: string, quoted: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.kind === 'text' && last.quoted === quoted) last.text += t;
      else parts.push({ kind: 'text', text: t, quoted });
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (META.has(c)) break;
      if (c === '\\') {
        const next = this.src[this.pos + 1];
        this.pos += 2;
        if (next === undefined) break;
        if (next !== '\n') text(next, true);
      } else if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError('syntax error: unterminated quoted string');
        text(this.src.slice(this.pos + 1, end), true);
        this.pos = end + 1;
      } else if (c === '"') {
        this.pos++;
        this.doubleQuoted(parts, text);
      } else if (c === '$' || c === '`') {
        const part = this.dollar(false);
        if (part) parts.push(part);
        else text('$', false);
      } else {
        text(c, false);
        this.pos++;
      }
    }
    if (parts.length === 0) parts.push({ kind: 'text', text: '', quoted: true });
    return parts;
  }

  private doubleQuoted(parts: Word, text: (t: string, quoted: boolean) => void): void {
    for (;;) {
      if (this.pos >= this.src.length) throw new ShellSyntaxError('syntax error: unterminated quoted string');
      const c = this.src[this.pos];
      if (c === '"') {
        this.pos++;
        // "" alone is an empty (but present) word
        if (parts.length === 0) text('', true);
        return;
      }
      if (c === '\\' && /["\\$`\n]/.test(this.src[this.pos + 1] ?? '')) {
        if (this.src[this.pos + 1] !== '\n') text(this.src[this.pos + 1], true);
        this.pos += 2;
      } else if (c === '$' || c === '`') {
        const part = this.dollar(true);
        if (part) parts.push(part);
        else text('$', true);
      } else {
        text(c, true);
        this.pos++;
      }
    }
  }

  /** `$NAME`, `${NAME}`, `$?`, `$(LIST)`, or a backquoted list; undefined for a lone `$` (consumed). */
  private dollar(quoted: boolean): WordPart | undefined {
    if (this.src[this.pos] === '`') {
      this.pos++;
      const list = this.list(new Set());
      if (this.peek() !== '`') throw new ShellSyntaxError('syntax error: unterminated quoted string');
      this.pos++;
      return { kind: 'subst', list, quoted };
    }
    this.pos++;
    const c = this.src[this.pos];
    if (c === '(') {
      if (this.src[this.pos + 1] === '(') throw new ShellSyntaxError('syntax error: arithmetic expansion is not supported by this shell');
      this.pos++;
      const list = this.list(new Set());
      this.skipBlanks(true);
      if (this.peek() !== ')') throw new ShellSyntaxError('syntax error: unterminated quoted string');
      this.pos++;
      return { kind: 'subst', list, quoted };
    }
    if (c === '{') {
      const end = this.src.indexOf('}', this.pos);
      const name = end < 0 ? '' : this.src.slice(this.pos + 1, end);
      if (!NAME.test(name) && !/^[?#0-9]$/.test(name)) throw new ShellSyntaxError(`syntax error: bad substitution`);
      this.pos = end + 1;
      return { kind: 'var', name, quoted };
    }
    if (c !== undefined && /[?#0-9]/.test(c)) {
      this.pos++;
      return { kind: 'var', name: c, quoted };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return { kind: 'var', name: m[0], quoted };
  }

  private skipBlanks(newlines: boolean): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || (newlines && c === '\n')) this.pos++;
      else if (c === '\\' && this.src[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '#' && (this.pos === 0 || /\s/.test(this.src[this.pos - 1]))) {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private unexpected(): ShellSyntaxError {
    if (this.pos >= this.src.length) return new ShellSyntaxError('syntax error: unexpected end of file');
    const reserved = this.peekReserved();
    if (reserved !== undefined) return new ShellSyntaxError(`syntax error: unexpected "${reserved}"`);
    const two = this.src.slice(this.pos, this.pos + 2);
    const token = two === '&&' || two === '||' || two === ';;' ? two : this.src[this.pos] === '\n' ? 'newline' : this.src[this.pos];
    return new ShellSyntaxError(`syntax error: unexpected "${token}"`);
  }
}
