import { KubeObject } from '../../cluster/store/types';
import { humanDuration } from './human-duration';

/** The pieces every kind's `Table` printer is made of: column definitions, NAME and AGE, `<none>`. */
export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format: string;
  description: string;
  priority: number;
}

export type Printer = { columns: ColumnDefinition[]; cells: (o: KubeObject, now: number) => unknown[] };

export const col = (name: string, description: string, priority = 0, type: ColumnDefinition['type'] = 'string', format = ''): ColumnDefinition => ({
  name,
  type,
  format,
  description,
  priority,
});
export const NAME = col('Name', 'Name must be unique within a namespace.', 0, 'string', 'name');
export const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export const none = (v: string | undefined | null) => (v === undefined || v === null || v === '' ? '<none>' : v);
export const age = (o: KubeObject, now: number) => humanDuration(now - Date.parse(o.metadata.creationTimestamp));
export const anyOf = <T>(v: unknown): T => (v ?? {}) as T;

/** A label map as kubectl prints a selector: `app=web,tier=db`, sorted by key. */
export function selectorText(selector: Record<string, string> | undefined): string {
  if (!selector || !Object.keys(selector).length) return '<none>';
  return Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
