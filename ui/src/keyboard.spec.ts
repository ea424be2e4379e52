import { keyFor } from './keyboard';

const press = (key: string, extra: Partial<{ ctrlKey: boolean; target: unknown }> = {}) => keyFor({ key, ctrlKey: false, metaKey: false, altKey: false, target: { tagName: 'BODY' }, ...extra });

describe('stepping keys', () => {
  it('steps with the arrows and j/k, hop by hop with shift (J/K) or up/down', () => {
    expect(['ArrowRight', 'j', 'ArrowLeft', 'k', 'ArrowDown', 'J', 'ArrowUp', 'K', 'Home', 'End'].map((k) => press(k))).toEqual([
      'next',
      'next',
      'previous',
      'previous',
      'next-hop',
      'next-hop',
      'previous-hop',
      'previous-hop',
      'first',
      'last',
    ]);
    expect(press('x')).toBeNull();
  });

  it('leaves keys typed in a form field, and shortcuts with Ctrl, to the browser', () => {
    expect(press('j', { target: { tagName: 'INPUT' } })).toBeNull();
    expect(press('ArrowDown', { target: { tagName: 'SELECT' } })).toBeNull();
    expect(press('ArrowLeft', { ctrlKey: true })).toBeNull();
  });
});
