/**
 * Kubernetes resource quantities (`100m`, `0.5`, `128Mi`, `1G`, `1e3`) as
 * numbers: CPU in millicores, everything else in base units (bytes for memory).
 * `undefined` for text that is not a quantity.
 */
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

export function parseQuantity(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const m = /^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? ''];
}

/** CPU in millicores. */
export function milliCpu(text: string | number | undefined): number | undefined {
  const v = parseQuantity(text);
  return v === undefined ? undefined : Math.round(v * 1000);
}
