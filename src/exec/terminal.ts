/**
 * The terminal side of `kubectl exec -it POD -- sh`: the pod's pty echoes
 * what is typed and hands the shell whole lines (canonical mode), and the
 * shell prints its prompt (`/ # `, busybox's for root in `/`). Enter runs the
 * line, backspace erases, Ctrl-C drops the line, Ctrl-D on an empty line
 * ends the session, Ctrl-U erases the line.
 */
import type { Shell } from './shell';

export const PROMPT = '/ # ';

/** The longest line a terminal keeps in canonical mode (Linux's 4096-byte line buffer, newline included). */
export const MAX_LINE = 4095;

export class InteractiveSession {
  private line = '';
  private ended = false;
  /** The status of the last command: the session's exit status. */
  status = 0;

  constructor(
    private readonly shell: Shell,
    /** Writes to the terminal (output already in terminal form: `\r\n`). */
    private readonly write: (text: string) => void,
  ) {}

  get done(): boolean {
    return this.ended;
  }

  start(): void {
    this.write(PROMPT);
  }

  /** Typed input, as the terminal sends it. */
  feed(input: string): void {
    for (const c of input) {
      if (this.ended) return;
      if (c === '\r' || c === '\n') {
        this.write('\r\n');
        this.run();
      } else if (c === '\x7f' || c === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.write('\b \b');
        }
      } else if (c === '\x03') {
        this.line = '';
        this.write('^C\r\n' + PROMPT);
      } else if (c === '\x15') {
        this.write('\b \b'.repeat(this.line.length));
        this.line = '';
      } else if (c === '\x04') {
        if (this.line === '') {
          this.write('\r\n');
          this.ended = true;
        }
      } else if (c === '\x1b') {
        continue;
      } else if (c >= ' ' && this.line.length < MAX_LINE) {
        // A terminal's canonical mode keeps at most 4095 characters a line (Linux's N_TTY_BUF_SIZE
        // less the newline); what is typed past that is dropped, as there.
        this.line += c;
        this.write(c);
      }
    }
  }

  private run(): void {
    const line = this.line;
    this.line = '';
    const tty = (t: string) => this.write(t.replace(/\r?\n/g, '\r\n'));
    if (line.trim() !== '') {
      const { status, exited } = this.shell.runLine(line, tty, tty);
      this.status = status;
      if (exited) {
        this.ended = true;
        return;
      }
    }
    this.write(PROMPT);
  }
}
