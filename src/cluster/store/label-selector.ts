import { DomainError } from '../../common/domain-error';
import { labelValueErrors, qualifiedNameErrors } from '../validation/names';

/**
 * Kubernetes label selectors: the string form of `?labelSelector=` (`app=web,tier!=db`,
 * `env in (prod,staging)`, `!canary`) and the structured form of a workload's
 * `spec.selector` (`matchLabels` + `matchExpressions`). Both compile to the
 * same list of requirements, all of which must hold.
 */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

export type Labels = Record<string, string> | undefined;

export class LabelSelector {
  constructor(readonly requirements: readonly Requirement[]) {}

  static everything(): LabelSelector {
    return new LabelSelector([]);
  }

  get isEverything(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Labels): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }

  /** The equality pairs, if the selector is nothing but `k=v` requirements (for indexing). */
  equalities(): Array<[string, string]> {
    return this.requirements
      .filter((r) => r.operator === 'In' && r.values.length === 1)
      .map((r) => [r.key, r.values[0]]);
  }
}

function has(labels: Labels, key: string): boolean {
  // `labels: null` in a request is no labels, as Go decodes it (a nil map).
  return labels !== undefined && labels !== null && Object.prototype.hasOwnProperty.call(labels, key);
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  switch (r.operator) {
    case 'In':
      return has(labels, r.key) && r.values.includes(labels![r.key]);
    case 'NotIn':
      return !has(labels, r.key) || !r.values.includes(labels![r.key]);
    case 'Exists':
      return has(labels, r.key);
    case 'DoesNotExist':
      return !has(labels, r.key);
    case 'Gt':
    case 'Lt': {
      if (!has(labels, r.key)) return false;
      const value = Number(labels![r.key]);
      const bound = Number(r.values[0]);
      if (!Number.isInteger(value)) return false;
      return r.operator === 'Gt' ? value > bound : value < bound;
    }
  }
}

function badSelector(message: string): DomainError {
  return new DomainError('BAD_REQUEST', `unable to parse requirement: ${message}`);
}

function checkKey(key: string): void {
  const errors = qualifiedNameErrors(key);
  if (errors.length) throw badSelector(`key: Invalid value: ${JSON.stringify(key)}: ${errors.join('; ')}`);
}

function checkValue(value: string): void {
  const errors = labelValueErrors(value);
  if (errors.length) throw badSelector(`values[0]: Invalid value: ${JSON.stringify(value)}: ${errors.join('; ')}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const SET_FORM = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/;
const BINARY_FORM = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)$/;

/** Parses the string form used by `?labelSelector=`; errors are 400 `BadRequest`. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (text === undefined || text.trim() === '') return LabelSelector.everything();
  const requirements: Requirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    if (part === '') throw badSelector(`found '', expected: identifier in ${JSON.stringify(text)}`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(SET_FORM))) {
      checkKey(m[1]);
      const values = m[3].split(',').map((v) => v.trim());
      values.forEach(checkValue);
      requirements.push({ key: m[1], operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = part.match(BINARY_FORM))) {
      checkKey(m[1]);
      const op = m[2];
      if (op === '>' || op === '<') {
        if (!/^-?[0-9]+$/.test(m[3])) throw badSelector(`for 'Gt', 'Lt' operators, the value must be an integer`);
        requirements.push({ key: m[1], operator: op === '>' ? 'Gt' : 'Lt', values: [m[3]] });
      } else {
        checkValue(m[3]);
        requirements.push({ key: m[1], operator: op === '!=' ? 'NotIn' : 'In', values: [m[3]] });
      }
    } else if (part.startsWith('!')) {
      const key = part.slice(1).trim();
      checkKey(key);
      requirements.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (/^[^\s!=<>(),]+$/.test(part)) {
      checkKey(part);
      requirements.push({ key: part, operator: 'Exists', values: [] });
    } else {
      throw badSelector(`unexpected text in ${JSON.stringify(part)}`);
    }
  }
  return new LabelSelector(requirements);
}

/** A workload's structured selector (`metav1.LabelSelector`). */
export interface StructuredSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Compiles `matchLabels` + `matchExpressions`; an empty selector matches everything. */
export function compileSelector(selector: StructuredSelector | undefined): LabelSelector {
  if (!selector) return LabelSelector.everything();
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: [value] });
  }
  for (const e of selector.matchExpressions ?? []) {
    requirements.push({ key: e.key, operator: e.operator as SelectorOperator, values: e.values ?? [] });
  }
  return new LabelSelector(requirements);
}

/** A Service's `spec.selector`: a plain map, all pairs must match; none selects nothing. */
export function serviceSelector(selector: Record<string, string> | undefined): LabelSelector | undefined {
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return compileSelector({ matchLabels: selector });
}
