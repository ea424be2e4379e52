/**
 * CSV records as Go's `encoding/csv` reads them with its defaults (the reader
 * kube-apiserver's `--token-auth-file` uses): `,` between fields, fields in
 * double quotes may hold commas, newlines and `""` for a quote; a quote in an
 * unquoted field is an error; empty lines are skipped; `\r\n` ends a line as
 * `\n` does; spaces are kept; there is no comment syntax; records may have
 * different field counts. Errors carry Go's texts, lines and 1-based byte
 * columns ("parse error on line 2, column 5: bare \" in non-quoted field").
 */

export class CsvParseError extends Error {
  constructor(
    readonly startLine: number,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(
      startLine === line
        ? `parse error on line ${line}, column ${column}: ${reason}`
        : `record on line ${startLine}; parse error on line ${line}, column ${column}: ${reason}`,
    );
    this.name = 'CsvParseError';
  }
}

const BARE_QUOTE = 'bare " in non-quoted field';
const QUOTE = 'extraneous or missing " in quoted-field';

/** One record and the line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/** Splits text into lines (without their `\n`; a `\r` before it dropped), the last one kept even without `\n`. */
function linesOf(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '' && text.endsWith('\n')) lines.pop();
  return lines;
}

/** The 1-based byte column of a character index in a line (Go counts bytes). */
function byteColumn(line: string, index: number): number {
  return Buffer.byteLength(line.slice(0, index), 'utf8') + 1;
}

/** Every record of `text`, in order. Iterative: no input drives recursion. */
export function parseCsv(text: string): CsvRecord[] {
  const lines = linesOf(text);
  const records: CsvRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i] === '') {
      i++;
      continue;
    }
    const startLine = i + 1;
    const fields: string[] = [];
    let line = lines[i];
    let pos = 0;
    for (;;) {
      if (line[pos] !== '"') {
        // An unquoted field: up to the next comma or the end of the line.
        const comma = line.indexOf(',', pos);
        const field = comma < 0 ? line.slice(pos) : line.slice(pos, comma);
        const quote = field.indexOf('"');
        if (quote >= 0) throw new CsvParseError(startLine, i + 1, byteColumn(line, pos + quote), BARE_QUOTE);
        fields.push(field);
        if (comma < 0) break;
        pos = comma + 1;
        continue;
      }
      // A quoted field: it may run over several lines.
      let value = '';
      pos++;
      for (;;) {
        const quote = line.indexOf('"', pos);
        if (quote < 0) {
          value += line.slice(pos);
          if (i + 1 >= lines.length) throw new CsvParseError(startLine, i + 1, byteColumn(line, line.length), QUOTE);
          value += '\n';
          i++;
          line = lines[i];
          pos = 0;
          continue;
        }
        value += line.slice(pos, quote);
        const next = line[quote + 1];
        if (next === '"') {
          value += '"';
          pos = quote + 2;
        } else if (next === ',' || next === undefined) {
          pos = quote + 1;
          break;
        } else {
          throw new CsvParseError(startLine, i + 1, byteColumn(line, quote + 1), QUOTE);
        }
      }
      fields.push(value);
      if (line[pos] === undefined) break;
      pos++; // the comma
    }
    records.push({ line: startLine, fields });
    i++;
  }
  return records;
}
