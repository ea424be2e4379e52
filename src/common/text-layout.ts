/** The terminal's width: no line of a text form is longer. */
export const TEXT_WIDTH = 80;

/** A probability as a percentage: two decimals, or two significant digits below 0.01 %. */
export function percent(p: number): string {
  const v = p * 100;
  if (v === 0) return '0%';
  return v >= 0.01 ? `${v.toFixed(2)}%` : `${v.toPrecision(2)}%`;
}

/**
 * Lines for a terminal: text broken at spaces so that no line is longer
 * than `width` columns, the first line indented by `indent`, the next ones
 * by `hanging`. A word longer than a whole line is cut where the line ends.
 * Columns are counted in code points (the text forms use no wide characters).
 */
export function wrap(text: string, width: number, indent = '', hanging = indent): string[] {
  const lines: string[] = [];
  let line = indent;
  let empty = true;
  const room = (prefix: string) => Math.max(1, width - length(prefix));
  for (const word of text.split(/ +/).filter((w) => w !== '')) {
    const separator = empty ? '' : ' ';
    if (length(line) + separator.length + length(word) <= width) {
      line += separator + word;
      empty = false;
      continue;
    }
    if (!empty) {
      lines.push(line);
      line = hanging;
    }
    let rest = [...word];
    while (rest.length > room(line)) {
      const cut = room(line);
      lines.push(line + rest.slice(0, cut).join(''));
      rest = rest.slice(cut);
      line = hanging;
    }
    line += rest.join('');
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
