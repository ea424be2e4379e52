/**
 * The words of iptables' own command line: the built-in options (`-s`,
 * `--destination`, `-j`, ...) and commands (`-A`, `--insert`, ...), short and
 * long, as getopt knows them. Lookup tables for the rule reader, which must
 * tell a built-in word from a module's option fast, and `commandLetter` for
 * the restore, which finds a line's command.
 */

/** Long spellings of the built-in options and commands, by their short letter. */
export const LONG_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['source', 's'],
  ['src', 's'],
  ['destination', 'd'],
  ['dst', 'd'],
  ['protocol', 'p'],
  ['in-interface', 'i'],
  ['out-interface', 'o'],
  ['jump', 'j'],
  ['goto', 'g'],
  ['match', 'm'],
  ['fragment', 'f'],
  ['set-counters', 'c'],
  ['table', 't'],
  ['append', 'A'],
  ['insert', 'I'],
  ['delete', 'D'],
  ['replace', 'R'],
  ['check', 'C'],
  ['new-chain', 'N'],
  ['delete-chain', 'X'],
  ['flush', 'F'],
  ['policy', 'P'],
  ['zero', 'Z'],
  ['rename-chain', 'E'],
  ['list', 'L'],
  ['list-rules', 'S'],
]);

export const COMMAND_LETTERS = 'AIDRCNXFPZELS';

const code = (letter: string): number => letter.charCodeAt(0);

/** Every built-in option and command word, short and long, by its letter's character code. */
export const BUILTIN_WORDS: ReadonlyMap<string, number> = (() => {
  const words = new Map<string, number>();
  for (const [long, letter] of LONG_OPTIONS) words.set('--' + long, code(letter));
  for (const letter of 'sdpiojgmfct' + COMMAND_LETTERS) words.set('-' + letter, code(letter));
  return words;
})();

/** For `-x` words, looked up by the code of x without hashing the word: that code if x is built in, else 0. */
export const SHORT_CODES: Uint8Array = (() => {
  const codes = new Uint8Array(128);
  for (const letter of 'sdpiojgmfct' + COMMAND_LETTERS) codes[code(letter)] = code(letter);
  return codes;
})();

export const IS_COMMAND: Uint8Array = (() => {
  const flags = new Uint8Array(128);
  for (const letter of COMMAND_LETTERS) flags[code(letter)] = 1;
  return flags;
})();

/** The command letter of a word (`-A`, `--append` -> "A"), if it is a command. */
export function commandLetter(word: string): string | undefined {
  let letter: string | undefined;
  if (word.length === 2 && word.charCodeAt(0) === 45) letter = word[1];
  else if (word.startsWith('--')) letter = LONG_OPTIONS.get(word.slice(2));
  return letter !== undefined && COMMAND_LETTERS.includes(letter) ? letter : undefined;
}
