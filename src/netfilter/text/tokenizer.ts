/**
 * Splits one line of iptables-restore input into words, with the quoting
 * rules of iptables-restore (which are not a shell's):
 *
 * - words are separated by spaces and tabs;
 * - `"` opens a quoted part; inside it a backslash takes the next character
 *   literally (`\"`, `\\`), and the closing `"` ends the word, even when a
 *   letter follows (`"a"b` is two words, `a"b c"` one: `ab c`); `""` is an
 *   empty word;
 * - outside quotes a backslash and a single quote are ordinary characters.
 *
 * A quote left open at the end of the line is an error here (iptables-restore
 * would silently take the rest of the line, newline included).
 */
import { RuleSyntaxError } from '../module';

/**
 * `-A`, `-m`, `-j`, ...: the two-character option words that make up a good
 * part of any restore text, one shared string each, so splitting a line
 * allocates nothing for them.
 */
const DASH_LETTER: ReadonlyArray<string | undefined> = Array.from({ length: 128 }, (_, code) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ? '-' + String.fromCharCode(code) : undefined,
);

const SPACE = 32;
const TAB = 9;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;

/** The words of `text[start, end)` (by default the whole text), as a new array. */
export function splitWords(text: string, start = 0, end = text.length): string[] {
  const out: string[] = [];
  out.length = splitWordsInto(text, start, end, out);
  return out;
}

/**
 * Writes the words of `text[start, end)` into `out` from index 0 and returns
 * how many there are; entries past that count are left as they were. Working
 * on offsets into the whole input avoids slicing every line first, and
 * reusing one array for every line avoids reallocating it.
 */
export function splitWordsInto(text: string, start: number, end: number, out: string[]): number {
  let n = 0;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR) {
      i++;
      continue;
    }
    // A word starts here. Fast path: no quote in it, so it is one slice.
    const wordStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === SPACE || c === TAB || c === CR || c === QUOTE) break;
      i++;
    }
    if (i >= end || c !== QUOTE) {
      if (i - wordStart === 2 && text.charCodeAt(wordStart) === 45) {
        const code = text.charCodeAt(wordStart + 1);
        const shared = code < 128 ? DASH_LETTER[code] : undefined;
        if (shared !== undefined) {
          out[n++] = shared;
          continue;
        }
      }
      out[n++] = text.slice(wordStart, i);
      continue;
    }
    // Slow path: the word has a quoted part.
    let word = text.slice(wordStart, i);
    i++; // the opening quote
    let from = i;
    let closed = false;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < end) {
        word += text.slice(from, i);
        from = i + 1; // keep the escaped character
        i += 2;
        continue;
      }
      if (c === QUOTE) {
        word = word === '' ? text.slice(from, i) : word + text.slice(from, i);
        i++;
        closed = true;
        break;
      }
      i++;
    }
    if (!closed) throw new RuleSyntaxError(`unterminated quote in ${JSON.stringify(text.slice(wordStart, end))}`);
    out[n++] = word;
  }
  return n;
}

