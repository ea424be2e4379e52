/** The terminal's width: no line of a text form is longer. */
export const TEXT_WIDTH = 80;

/** A probability as a percentage: two decimals, or two significant digits below 0.01 %. */
export function percent(p: number): string {
  const v = p * 100;
  if (v === 0) return '0%';
  return v >= 0.01 ? `${v.toFixed(2)}%` : `${v.toPrecision(2)}%`;
}

/** Where a word may be broken: after one of these (a name's own separators). */
const BREAKS = new Set(['/', '-', '.', ',', ':']);

/**
 * Where to cut `chars` so the first part takes at most `room` columns: after
 * the last separator that fits, else (`hard`) at `room`, else 0 (no cut).
 */
function cutAt(chars: readonly string[], room: number, hard: boolean): number {
  for (let i = Math.min(room, chars.length - 1); i > 0; i--) if (BREAKS.has(chars[i - 1])) return i;
  return hard ? Math.max(1, room) : 0;
}

/**
 * Lines for a terminal: text broken at spaces so that no line is longer
 * than `width` columns, the first line indented by `indent`, the next ones
 * by `hanging`. A word longer than a whole line (a long name) is broken after
 * a `/`, `-`, `.`, `,` or `:` that fits, and cut where the line ends only
 * when it has none. Columns are counted in code points (the text forms use
 * no wide characters).
 */
export function wrap(text: string, width: number, indent = '', hanging = indent): string[] {
  const lines: string[] = [];
  let line = indent;
  let empty = true;
  const room = (prefix: string) => Math.max(1, width - length(prefix));
  for (const word of text.split(/ +/).filter((w) => w !== '')) {
    let separator = empty ? '' : ' ';
    if (length(line) + separator.length + length(word) <= width) {
      line += separator + word;
      empty = false;
      continue;
    }
    if (!empty && length(word) <= room(hanging)) {
      lines.push(line);
      line = hanging;
      line += word;
      continue;
    }
    // Too long for a line of its own: as much as fits here, broken at a separator, the rest below.
    let rest = [...word];
    while (length(line) + separator.length + rest.length > width) {
      const cut = cutAt(rest, width - length(line) - separator.length, empty);
      if (cut > 0) {
        lines.push(line + separator + rest.slice(0, cut).join(''));
        rest = rest.slice(cut);
      } else {
        lines.push(line);
      }
      line = hanging;
      empty = true;
      separator = '';
    }
    line += separator + rest.join('');
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** Columns a string takes (code points). */
export function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
