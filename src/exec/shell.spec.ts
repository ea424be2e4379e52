import { BASIC_COMMANDS } from './commands/basic';
import { Shell } from './shell';
import { parseScript, ShellSyntaxError } from './shell-syntax';

function run(script: string, env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const shell = new Shell({ commands: BASIC_COMMANDS, env: new Map(Object.entries(env)), files: new Map(Object.entries(files)) });
  let out = '';
  let err = '';
  const status = shell.exec(['sh', '-c', script], (t) => (out += t), (t) => (err += t));
  return { out, err, status, shell };
}

describe('shell syntax', () => {
  it('reads lists, and-or chains, pipelines, for loops and substitutions', () => {
    const list = parseScript(`for i in $(seq 3); do echo "n=$i" && true || false; done; echo a | grep a`);
    expect(list).toHaveLength(2);
    expect(list[0].first.commands[0].kind).toBe('for');
    expect(list[1].first.commands).toHaveLength(2);
  });

  it.each([
    ['echo "abc', 'syntax error: unterminated quoted string'],
    ['for i in 1 2; do echo $i', 'syntax error: unexpected end of file (expecting "done")'],
    ['done', 'syntax error: unexpected "done"'],
    ['echo a &&', 'syntax error: unexpected end of file'],
    ['; echo', 'syntax error: unexpected ";"'],
  ])('rejects %j with ash wording', (script, message) => {
    expect(() => parseScript(script)).toThrow(new ShellSyntaxError(message));
  });
});

describe('Shell', () => {
  it('runs ;, && and || as sh does, with $?', () => {
    expect(run('false && echo no; false || echo yes; true && echo $?').out).toBe('yes\n0\n');
    expect(run('false; echo $?').out).toBe('1\n');
  });

  it('loops over $(seq N), splitting unquoted substitutions into fields', () => {
    expect(run('for i in $(seq 3); do echo -n "$i "; done').out).toBe('1 2 3 ');
    expect(run('for i in 1 2 3; do echo x$i; done').out).toBe('x1\nx2\nx3\n');
    expect(run('echo "$(seq 2)"').out).toBe('1\n2\n');
  });

  it('keeps quoted text whole and joins adjacent parts', () => {
    expect(run(`echo 'a  b' "c  d" e\\ f x"y"'z'`).out).toBe('a  b c  d e f xyz\n');
    expect(run('X=hello; echo "$X world" ${X}!').out).toBe('hello world hello!\n');
  });

  it('answers an unknown command with "not found" and 127', () => {
    const r = run('foo --bar');
    expect(r.err).toBe('sh: foo: not found\n');
    expect(r.status).toBe(127);
  });

  it('prints a syntax error and exits 2', () => {
    const r = run('echo "x');
    expect(r.err).toBe('sh: syntax error: unterminated quoted string\n');
    expect(r.status).toBe(2);
  });

  it('pipes stdout into the next command and greps the environment', () => {
    const r = run('env | grep WEB_SERVICE', { WEB_SERVICE_HOST: '10.96.0.5', OTHER: 'x', WEB_SERVICE_PORT: '80' });
    expect(r.out).toBe('WEB_SERVICE_HOST=10.96.0.5\nWEB_SERVICE_PORT=80\n');
    expect(run('echo abc | grep -q zzz').status).toBe(1);
    expect(run("echo '-d 10.96.0.1/32' | grep -- '-d 10.96'").out).toBe('-d 10.96.0.1/32\n');
    expect(run('seq 5 | tail -n 2 | head -1').out).toBe('4\n');
    expect(run('seq 12 | wc -l').out).toBe('12\n');
  });

  it('redirects to /dev/null and merges stderr with 2>&1, but writes no file', () => {
    expect(run('cat /nope 2>/dev/null; echo $?').out).toBe('1\n');
    expect(run('cat /nope 2>&1').out).toBe("cat: can't open '/nope': No such file or directory\n");
    const r = run('echo x > /tmp/f');
    expect(r.err).toBe("sh: can't create /tmp/f: Read-only file system\n");
    expect(r.status).toBe(1);
  });

  it('reads only its simulated files', () => {
    expect(run('cat /etc/hostname', {}, { '/etc/hostname': 'web-1\n' }).out).toBe('web-1\n');
  });

  it('counts sleep on simulated time without waiting', () => {
    const r = run('sleep 2; sleep 1m');
    expect(r.status).toBe(0);
    expect(r.shell.elapsedMs).toBe(62000);
  });

  it('ends with exit N, and stops runaway sessions', () => {
    expect(run('echo a; exit 3; echo b')).toMatchObject({ out: 'a\n', status: 3 });
    const shell = new Shell({ commands: BASIC_COMMANDS, env: new Map(), maxCommands: 5 });
    let err = '';
    expect(shell.exec(['sh', '-c', 'for i in $(seq 10); do true; done'], () => undefined, (t) => (err += t))).toBe(1);
    expect(err).toContain('after 5 commands');
  });

  it('runs argv directly without sh, as the container runtime does', () => {
    const shell = new Shell({ commands: BASIC_COMMANDS, env: new Map() });
    let out = '';
    expect(shell.exec(['echo', '$HOME', 'a;b'], (t) => (out += t), () => undefined)).toBe(0);
    expect(out).toBe('$HOME a;b\n');
  });

  it('sets a variable for one command only with VAR=value cmd', () => {
    expect(run('A=1 printenv A; echo "[$A]"').out).toBe('1\n[]\n');
  });
});
