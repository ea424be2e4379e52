/**
 * The `"0-2,4"` form of a set of completion indexes as the API server checks it
 * (`validateIndexesFormat`, `parseIndexInterval`): increasing intervals of at most two parts,
 * every index below `completions`.
 */

/** The number of indexes the text names, or the error upstream gives (without its `error parsing …: ` head). */
export function indexesFormatError(text: string, completions: number): number | string {
  if (text.length === 0) return 0;
  let last: number | undefined;
  let total = 0;
  for (const part of text.split(',')) {
    const interval = parseInterval(part, completions);
    if (typeof interval === 'string') return interval;
    const [x, y] = interval;
    if (last !== undefined && last >= x) return `non-increasing order, previous: ${last}, current: ${x}`;
    total += y - x + 1;
    last = y;
  }
  return total;
}

/** Go's `strconv.Atoi`: an optional sign and decimal digits, within 64 bits. */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseInterval(part: string, completions: number): [number, number] | string {
  const limits = part.split('-');
  if (limits.length > 2) return `the fragment ${JSON.stringify(part)} violates the requirement that an index interval can have at most two parts separated by '-'`;
  const x = atoi(limits[0]);
  if (x === undefined) return `cannot convert string to integer for index: ${JSON.stringify(limits[0])}`;
  if (x >= completions) return `too large index: ${JSON.stringify(limits[0])}`;
  if (limits.length === 1) return [x, x];
  const y = atoi(limits[1]);
  if (y === undefined) return `cannot convert string to integer for index: ${JSON.stringify(limits[1])}`;
  if (y >= completions) return `too large index: ${JSON.stringify(limits[1])}`;
  if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
  return [x, y];
}
