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
