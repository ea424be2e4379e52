/**
 * Go's `time.ParseDuration` (`1h30m`, `1.5h`, `300ms`, `-2m`), answering
 * milliseconds (nanoseconds below a millisecond are dropped), with Go's error
 * texts, for `@every` cron descriptors.
 */

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5
  'μs': 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = 9223372036854775807n; // 1<<63 - 1

const quote = (s: string) => JSON.stringify(s);

export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    // The number: digits, then an optional fraction.
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    const whole = number[1];
    const fraction = number[3] ?? '';
    if (whole === '' && fraction === '') throw invalid();
    s = s.slice(number[0].length);
    const unitMatch = /^[^0-9.]*/.exec(s)![0];
    if (unitMatch === '') throw new Error(`time: missing unit in duration ${quote(text)}`);
    const unit = UNIT_NS[unitMatch];
    if (unit === undefined) throw new Error(`time: unknown unit ${quote(unitMatch)} in duration ${quote(text)}`);
    s = s.slice(unitMatch.length);
    let v = whole === '' ? 0n : BigInt(whole);
    if (v > MAX_NS / unit) throw invalid();
    v *= unit;
    if (fraction !== '') {
      // As Go: the fraction scaled by the unit, truncated to whole nanoseconds.
      const scale = 10n ** BigInt(fraction.length);
      v += (BigInt(fraction) * unit) / scale;
    }
    total += v;
    if (total > MAX_NS) throw invalid();
  }
  const ms = Number(total / 1_000_000n);
  return negative ? -ms : ms;
}
