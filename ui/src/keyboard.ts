/**
 * The stepping keys (docs/ui.md): → or j next step, ← or k previous step,
 * ↓ or J (shift-j) next hop, ↑ or K previous hop, Home first, End last.
 * Keys typed into a form field are the field's.
 */
export type Key = 'next' | 'previous' | 'next-hop' | 'previous-hop' | 'first' | 'last';

const KEYS: Record<string, Key> = {
  ArrowRight: 'next',
  j: 'next',
  ArrowLeft: 'previous',
  k: 'previous',
  ArrowDown: 'next-hop',
  J: 'next-hop',
  ArrowUp: 'previous-hop',
  K: 'previous-hop',
  Home: 'first',
  End: 'last',
};

/** What a key press says (a KeyboardEvent's fields). */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: unknown;
}

export function keyFor(e: KeyPress): Key | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const target = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return null;
  return KEYS[e.key] ?? null;
}
