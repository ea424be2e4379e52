/**
 * Header lists with q-values (RFC 9110, section 12.4.2): `Accept`,
 * `Accept-Encoding`. One parser for both.
 */

export interface Preference {
  /** The element without its parameters, lowercased: `text/plain`, `gzip`, `*`. */
  value: string;
  /** Its q-value: 1 when not given, 0 when unreadable, within 0..1. */
  q: number;
}

/** The elements of `header` in order, empty ones left out. */
export function qualityList(header: string): Preference[] {
  const list: Preference[] = [];
  for (const part of header.split(',')) {
    const [value, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!value) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    list.push({ value, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 });
  }
  return list;
}
