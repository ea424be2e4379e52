/**
 * The simulated shell that `kubectl exec` runs in a pod: it reads a script
 * (shell-syntax.ts) and runs it with commands from a table. No host process
 * is ever started and no host file is read or written: every command is a
 * function over the pod's simulated view. Output goes to two sinks as it is
 * made (stdout and stderr). Time inside the shell (`sleep`, timeouts) is
 * counted, not waited for: see `elapsedMs`.
 */
import { parseScript, ShellSyntaxError, type Command, type List, type Pipeline, type Word } from './shell-syntax';

export interface CommandContext {
  /** The arguments after the command's name. */
  args: string[];
  /** The command's name as typed. */
  name: string;
  stdin: string;
  out(text: string): void;
  err(text: string): void;
  /** The shell running the command (its variables, its files, its clock). */
  shell: Shell;
}

/** A command: writes to its context, answers its exit status. */
export type CommandHandler = (ctx: CommandContext) => number;

export interface ShellOptions {
  /** Commands by name (built-ins such as `echo` and `for` are the shell's own). */
  commands: ReadonlyMap<string, CommandHandler>;
  /** The environment the command starts with. */
  env: ReadonlyMap<string, string>;
  /** Readable files, by absolute path. */
  files?: ReadonlyMap<string, string>;
  /** At most this many commands run in one session (default 10,000): a guard against runaway loops. */
  maxCommands?: number;
}

/** Ends the session: `exit`, or a limit reached. */
class ExitSignal {
  constructor(readonly status: number) {}
}

const DEFAULT_MAX_COMMANDS = 10_000;

export class Shell {
  readonly vars: Map<string, string>;
  readonly exported: Set<string>;
  readonly files: ReadonlyMap<string, string>;
  /** Simulated time spent so far (sleeps, timeouts), in milliseconds. */
  elapsedMs = 0;
  /** Whether stdout is a terminal (`kubectl exec -t`): curl then shows no progress meter. */
  tty = false;
  private status = 0;
  private ran = 0;
  private readonly maxCommands: number;

  constructor(private readonly options: ShellOptions) {
    this.vars = new Map(options.env);
    this.exported = new Set(options.env.keys());
    this.files = options.files ?? new Map();
    this.maxCommands = options.maxCommands ?? DEFAULT_MAX_COMMANDS;
  }

  /** The exported variables, in the order they were set. */
  environment(): [string, string][] {
    return [...this.vars].filter(([k]) => this.exported.has(k));
  }

  /**
   * Runs a command line as the container runtime does: argv as given
   * (`kubectl exec POD -- curl -s web`), the first word the program. `sh -c
   * SCRIPT` parses SCRIPT. Answers the exit status.
   */
  exec(argv: string[], out: (t: string) => void, err: (t: string) => void, stdin = ''): number {
    try {
      return this.runArgv(argv, stdin, out, err);
    } catch (e) {
      if (e instanceof ExitSignal) return e.status;
      throw e;
    }
  }

  /** Runs one line typed at an interactive prompt; `exited` when it ran `exit` (or hit the session's limit). */
  runLine(line: string, out: (t: string) => void, err: (t: string) => void): { status: number; exited: boolean } {
    try {
      return { status: this.runScript(line, '', out, err), exited: false };
    } catch (e) {
      if (e instanceof ExitSignal) return { status: e.status, exited: true };
      throw e;
    }
  }

  /** Runs a script (the text of `sh -c`). */
  runScript(script: string, stdin: string, out: (t: string) => void, err: (t: string) => void): number {
    let list: List;
    try {
      list = parseScript(script);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      err(`sh: ${e.message}\n`);
      this.status = 2;
      return 2;
    }
    return this.runList(list, stdin, out, err);
  }

  private runArgv(argv: string[], stdin: string, out: (t: string) => void, err: (t: string) => void): number {
    if (argv.length === 0) return 0;
    if (++this.ran > this.maxCommands) {
      err(`sh: kube-netsim stopped this session after ${this.maxCommands} commands\n`);
      throw new ExitSignal(1);
    }
    const [name, ...args] = argv;
    const program = name.includes('/') ? name.slice(name.lastIndexOf('/') + 1) : name;
    const builtin = this.builtin(program);
    const handler = builtin ?? this.options.commands.get(program);
    if (!handler) {
      err(`sh: ${name}: not found\n`);
      this.status = 127;
      return 127;
    }
    this.status = handler({ args, name: program, stdin, out, err, shell: this });
    return this.status;
  }

  private builtin(name: string): CommandHandler | undefined {
    switch (name) {
      case 'sh':
      case 'ash':
      case 'bash':
        return (ctx) => {
          const c = ctx.args.indexOf('-c');
          if (c < 0 || ctx.args[c + 1] === undefined) {
            if (c >= 0) {
              ctx.err(`${ctx.name}: -c requires an argument\n`);
              return 2;
            }
            // An interactive shell without a terminal: read commands from stdin.
            return this.runScript(ctx.stdin, '', ctx.out, ctx.err);
          }
          return this.runScript(ctx.args[c + 1], ctx.stdin, ctx.out, ctx.err);
        };
      case 'exit':
        return (ctx) => {
          throw new ExitSignal(ctx.args[0] === undefined ? this.status : Number(ctx.args[0]) & 255);
        };
      case 'export':
        return (ctx) => {
          for (const a of ctx.args) {
            const eq = a.indexOf('=');
            const key = eq < 0 ? a : a.slice(0, eq);
            if (eq >= 0) this.vars.set(key, a.slice(eq + 1));
            this.exported.add(key);
          }
          return 0;
        };
      case 'unset':
        return (ctx) => {
          for (const a of ctx.args) {
            this.vars.delete(a);
            this.exported.delete(a);
          }
          return 0;
        };
      case 'cd':
        return () => 0;
      case 'pwd':
        return (ctx) => {
          ctx.out('/\n');
          return 0;
        };
      default:
        return undefined;
    }
  }

  private runList(list: List, stdin: string, out: (t: string) => void, err: (t: string) => void): number {
    let status = 0;
    for (const item of list) {
      status = this.runPipeline(item.first, stdin, out, err);
      for (const next of item.rest) {
        if ((next.op === '&&') === (status === 0)) status = this.runPipeline(next.pipeline, stdin, out, err);
      }
      this.status = status;
    }
    return status;
  }

  private runPipeline(pipeline: Pipeline, stdin: string, out: (t: string) => void, err: (t: string) => void): number {
    let input = stdin;
    let status = 0;
    pipeline.commands.forEach((command, i) => {
      const last = i === pipeline.commands.length - 1;
      if (last) {
        status = this.runCommand(command, input, out, err);
      } else {
        let captured = '';
        status = this.runCommand(command, input, (t) => (captured += t), err);
        input = captured;
      }
    });
    if (pipeline.negate) status = status === 0 ? 1 : 0;
    this.status = status;
    return status;
  }

  private runCommand(command: Command, stdin: string, out: (t: string) => void, err: (t: string) => void): number {
    switch (command.kind) {
      case 'group':
        if (!command.subshell) return this.runList(command.body, stdin, out, err);
        return this.subshell(() => this.runList(command.body, stdin, out, err));
      case 'for': {
        const items = command.items === undefined ? [] : this.expandWords(command.items, err);
        let status = 0;
        for (const item of items) {
          this.vars.set(command.variable, item);
          status = this.runList(command.body, stdin, out, err);
        }
        return status;
      }
      case 'simple': {
        const sinks: Record<1 | 2, (t: string) => void> = { 1: out, 2: err };
        for (const r of command.redirections) {
          if ('fd' in r.to) {
            sinks[r.fd] = sinks[r.to.fd];
            continue;
          }
          const file = this.expandWord(r.to.file, err).join(' ');
          if (file === '/dev/null') sinks[r.fd] = () => undefined;
          else if (file === '/dev/stderr') sinks[r.fd] = err;
          else if (file === '/dev/stdout') sinks[r.fd] = out;
          else {
            err(`sh: can't create ${file}: Read-only file system\n`);
            return (this.status = 1);
          }
        }
        const words = this.expandWords(command.words, err);
        const assignments: [string, string][] = [];
        while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]) && this.isAssignment(command.words[assignments.length])) {
          const w = words.shift()!;
          const eq = w.indexOf('=');
          assignments.push([w.slice(0, eq), w.slice(eq + 1)]);
        }
        if (words.length === 0) {
          for (const [k, v] of assignments) this.vars.set(k, v);
          return (this.status = 0);
        }
        if (assignments.length === 0) return this.runArgv(words, stdin, sinks[1], sinks[2]);
        // VAR=value command: the variable is set for that command only.
        const saved = assignments.map(([k]) => [k, this.vars.get(k), this.exported.has(k)] as const);
        for (const [k, v] of assignments) {
          this.vars.set(k, v);
          this.exported.add(k);
        }
        try {
          return this.runArgv(words, stdin, sinks[1], sinks[2]);
        } finally {
          for (const [k, v, wasExported] of saved) {
            if (v === undefined) this.vars.delete(k);
            else this.vars.set(k, v);
            if (!wasExported) this.exported.delete(k);
          }
        }
      }
    }
  }

  /** A word is an assignment when it starts with an unquoted NAME=. */
  private isAssignment(word: Word | undefined): boolean {
    const first = word?.[0];
    return first?.kind === 'text' && !first.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(first.text);
  }

  private subshell(run: () => number): number {
    const vars = new Map(this.vars);
    const exported = new Set(this.exported);
    try {
      return run();
    } catch (e) {
      if (e instanceof ExitSignal) return e.status;
      throw e;
    } finally {
      this.vars.clear();
      for (const [k, v] of vars) this.vars.set(k, v);
      this.exported.clear();
      for (const k of exported) this.exported.add(k);
    }
  }

  private expandWords(words: Word[], err: (t: string) => void): string[] {
    return words.flatMap((w) => this.expandWord(w, err));
  }

  /** Expands a word into fields: variables and substitutions, split on blanks where unquoted. */
  private expandWord(word: Word, err: (t: string) => void): string[] {
    const fields: string[] = [];
    let current = '';
    let has = false;
    for (const part of word) {
      let value: string;
      if (part.kind === 'text') value = part.text;
      else if (part.kind === 'var') value = this.variable(part.name);
      else {
        let captured = '';
        const status = this.subshell(() => this.runList(part.list, '', (t) => (captured += t), err));
        this.status = status;
        value = captured.replace(/\n+$/, '');
      }
      if (part.quoted || part.kind === 'text') {
        current += value;
        has = true;
        continue;
      }
      const pieces = value.split(/[ \t\n]+/);
      pieces.forEach((piece, i) => {
        if (i > 0) {
          if (has) fields.push(current);
          current = '';
          has = false;
        }
        if (piece !== '') {
          current += piece;
          has = true;
        }
      });
    }
    if (has) fields.push(current);
    return fields;
  }

  private variable(name: string): string {
    if (name === '?') return String(this.status);
    if (name === '#') return '0';
    if (name === '0') return 'sh';
    return this.vars.get(name) ?? '';
  }
}
