/**
 * Which form kube-netsim's own endpoints answer in: JSON or text. The
 * `format` query parameter wins; without it, the `Accept` header decides
 * (media ranges with q-values, RFC 9110; JSON when both are as welcome, or
 * when there is no header). When the client accepts neither, the answer is
 * 406 NotAcceptable, worded as the API server words it.
 */
import { unsupportedValue } from '../cluster/validation/field-errors';
import { DomainError } from '../common/domain-error';
import { qualityList } from './quality-list';

export type AnswerFormat = 'json' | 'text';

const MEDIA_TYPES: Record<AnswerFormat, string> = { json: 'application/json', text: 'text/plain' };
/** In the server's order of preference, for ties. */
const OFFERS: readonly AnswerFormat[] = ['json', 'text'];

/** A query parameter that takes one of `values`; unset or empty is `fallback`. 422 naming the parameter otherwise. */
export function choiceParam<T extends string>(name: string, value: string | undefined, values: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if ((values as readonly string[]).includes(value)) return value as T;
  throw unsupportedValue(name, value, values);
}

/** `?format=json|text` alone (endpoints that read no Accept header). */
export function formatParam(format: string | undefined): AnswerFormat {
  return choiceParam('format', format, OFFERS, 'json');
}

/**
 * How much the client wants `mediaType` by `accept`: the q-value of the most
 * specific range that matches it (`type/subtype` over `type/*` over `*\/*`),
 * 0 when none does.
 */
export function quality(accept: string, mediaType: string): number {
  const [type] = mediaType.split('/');
  let best = -1;
  let q = 0;
  for (const { value: range, q: rangeQ } of qualityList(accept)) {
    const specificity = range === mediaType ? 2 : range === `${type}/*` ? 1 : range === '*/*' || range === '*' ? 0 : -1;
    if (specificity <= best) continue;
    best = specificity;
    q = rangeQ;
  }
  return q;
}

/** The form an answer goes out in: `format` if given, else by `Accept`. */
export function negotiateFormat(format: string | undefined, accept: string | undefined): AnswerFormat {
  if (format !== undefined && format !== '') return formatParam(format);
  if (accept === undefined || accept.trim() === '') return 'json';
  let chosen: AnswerFormat | undefined;
  let chosenQ = 0;
  for (const offer of OFFERS) {
    const q = quality(accept, MEDIA_TYPES[offer]);
    if (q > chosenQ) {
      chosen = offer;
      chosenQ = q;
    }
  }
  if (chosen === undefined) {
    throw new DomainError('NOT_ACCEPTABLE', `only the following media types are accepted: ${OFFERS.map((o) => MEDIA_TYPES[o]).join(', ')}`);
  }
  return chosen;
}
