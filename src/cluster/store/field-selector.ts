import { DomainError } from '../../common/domain-error';
import { KubeObject } from './types';

/**
 * `?fieldSelector=` with the fields the API server supports for the resources
 * we serve: `metadata.name`, `metadata.namespace` everywhere, `spec.nodeName`
 * and `status.phase` for pods, `spec.unschedulable` for nodes, `type` for
 * Services... Operators `=`, `==`, `!=`, comma-separated, all must hold.
 */
export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

const SUPPORTED: Record<string, (o: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => ((o.spec as { nodeName?: string } | undefined)?.nodeName ?? ''),
  'status.phase': (o) => ((o.status as { phase?: string } | undefined)?.phase ?? ''),
  'spec.unschedulable': (o) => String(Boolean((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable)),
  'spec.type': (o) => ((o.spec as { type?: string } | undefined)?.type ?? ''),
  'involvedObject.name': (o) => ((o.involvedObject as { name?: string } | undefined)?.name ?? ''),
  'involvedObject.kind': (o) => ((o.involvedObject as { kind?: string } | undefined)?.kind ?? ''),
  'reason': (o) => (typeof o.reason === 'string' ? o.reason : ''),
};

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  matches(object: KubeObject): boolean {
    for (const r of this.requirements) {
      const actual = SUPPORTED[r.field](object) ?? '';
      if ((actual === r.value) === r.negate) return false;
    }
    return true;
  }

  /** The value required for `field` by an `=` requirement, if any (for indexed lookups). */
  equalTo(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && !r.negate)?.value;
  }
}

export function parseFieldSelector(text: string | undefined): FieldSelector {
  if (text === undefined || text.trim() === '') return new FieldSelector([]);
  const requirements: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new DomainError('BAD_REQUEST', `invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!Object.prototype.hasOwnProperty.call(SUPPORTED, field)) {
      throw new DomainError('BAD_REQUEST', `field label not supported: ${field}`);
    }
    requirements.push({ field, value: m[3].trim(), negate: m[2] === '!=' });
  }
  return new FieldSelector(requirements);
}
