/**
 * How a refused restore reports its problems: every one, in line order, in
 * one `DomainError`, each a cause whose field names the line (`rules:12`) and
 * whose message quotes the line as given and the reason, in the API
 * server's field-error form (`Invalid value: "<line>": <reason>`, or
 * `Unsupported value: ...` for a real iptables module kube-netsim does not
 * model). Also the line texts of kept rules.
 */
import { DomainError, type DomainErrorCode, type ErrorCause } from '../common/domain-error';
import type { KeptLine } from './iptables-text.parser';

/** One problem of a refused restore. */
export interface Problem {
  readonly line: number;
  readonly message: string;
  readonly code: DomainErrorCode;
  /** A real module we do not model (not a mistake in the text). */
  readonly unsupported: boolean;
}

/** How many problems the Status message lists (the causes list them all). */
const PROBLEMS_IN_MESSAGE = 20;
/** Longest line text quoted in a cause. */
const MAX_QUOTED_LINE = 1000;

/** Reading stops after this many problems (the answer says so). */
export const MAX_PROBLEMS = 10000;

/**
 * The one error of a refused restore: every problem a cause (field `rules:LINE`,
 * message `Invalid value: "<the line>": <reason>`, or `Unsupported value: ...`
 * for a real module we do not model), as the API server lists field errors.
 */
export function restoreError(
  problems: readonly Problem[],
  text: string,
  stopped: boolean,
  /** What the text is: the causes' field prefix and the message's subject (ipset text: `ipsets`, `the ipsets`). */
  what: { field: string; subject: string } = { field: 'rules', subject: 'the rules' },
): DomainError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const texts = lineTexts(
    text,
    sorted.map((p) => p.line),
  );
  const causes: ErrorCause[] = sorted.map((p) => {
    let given = texts.get(p.line) ?? '';
    if (given.length > MAX_QUOTED_LINE) given = given.slice(0, MAX_QUOTED_LINE) + '...';
    return {
      field: `${what.field}:${p.line}`,
      reason: p.unsupported ? 'FieldValueNotSupported' : 'FieldValueInvalid',
      message: `${p.unsupported ? 'Unsupported value' : 'Invalid value'}: ${JSON.stringify(given)}: ${p.message}`,
    };
  });
  if (sorted.length === 1 && !stopped) {
    const only = sorted[0];
    return new DomainError(only.code, `line ${only.line}: ${only.message}`, { causes });
  }
  const listed = sorted.slice(0, PROBLEMS_IN_MESSAGE).map((p) => `line ${p.line}: ${p.message}`);
  if (sorted.length > PROBLEMS_IN_MESSAGE) listed.push(`and ${sorted.length - PROBLEMS_IN_MESSAGE} more (each is a cause)`);
  const count = stopped ? `more than ${sorted.length} problems (reading stopped at ${sorted.length})` : `${sorted.length} problems`;
  return new DomainError('RULE_PARSE_ERROR', `${what.subject} have ${count}: [${listed.join(', ')}]`, { causes });
}

/** The text of each wanted line (1-based), without its line end. */
function lineTexts(text: string, wanted: readonly number[]): Map<number, string> {
  const want = new Set(wanted);
  const found = new Map<number, string>();
  let line = 0;
  let pos = 0;
  while (pos <= text.length && found.size < want.size) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    line++;
    if (want.has(line)) {
      let last = end;
      if (last > pos && text.charCodeAt(last - 1) === 13) last--;
      found.set(line, text.slice(pos, last));
    }
    pos = end + 1;
  }
  return found;
}

export function withLineTexts(text: string, kept: ReadonlyArray<{ line: number; reasons: string[] }>): KeptLine[] {
  const texts = lineTexts(
    text,
    kept.map((k) => k.line),
  );
  return kept.map((k) => ({ line: k.line, text: texts.get(k.line) ?? '', reasons: k.reasons }));
}
