import { BASIC_COMMANDS } from './commands/basic';
import { Shell } from './shell';
import { InteractiveSession, PROMPT } from './terminal';

function session() {
  let screen = '';
  const s = new InteractiveSession(new Shell({ commands: BASIC_COMMANDS, env: new Map([['A', '1']]) }), (t) => (screen += t));
  s.start();
  return { s, screen: () => screen };
}

describe('InteractiveSession', () => {
  it('echoes typing, runs a line on Enter, prints output in terminal form and the prompt again', () => {
    const { s, screen } = session();
    s.feed('echo $A; seq 2\r');
    expect(screen()).toBe(`${PROMPT}echo $A; seq 2\r\n1\r\n1\r\n2\r\n${PROMPT}`);
    expect(s.done).toBe(false);
  });

  it('erases with backspace, drops the line with Ctrl-C', () => {
    const { s, screen } = session();
    s.feed('echx\x7fo ok\r');
    expect(screen()).toContain('\b \bo ok\r\nok\r\n');
    s.feed('false\x03');
    expect(screen().endsWith(`false^C\r\n${PROMPT}`)).toBe(true);
  });

  it('ends with exit N, or Ctrl-D on an empty line, keeping the status', () => {
    const a = session();
    a.s.feed('false\r');
    a.s.feed('\x04');
    expect(a.s).toMatchObject({ done: true, status: 1 });
    const b = session();
    b.s.feed('exit 3\r');
    expect(b.s).toMatchObject({ done: true, status: 3 });
  });
});
