import { stringify } from 'yaml';
import { nextTurn } from '../common/next-turn';

/**
 * How kube-netsim writes YAML: YAML 1.1, as kubectl reads it (strings such as
 * "yes" or "0777" are quoted), no anchors for parts two objects share, and
 * no folding of long lines.
 */
export const YAML_OPTIONS = { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 } as const;

/**
 * The YAML text of a document whose lists hold thousands of objects (a
 * snapshot of 10,000 pods takes seconds to write), made in slices with the
 * event loop free between them: each item of a top-level list is written on
 * its own (a one-item list, indented under its key), every other field
 * whole. The text is what `stringify(document, YAML_OPTIONS)` gives.
 */
export async function stringifyYamlInSlices(document: Record<string, unknown>, sliceMs = 10): Promise<string> {
  const out: string[] = [];
  let started = performance.now();
  for (const [key, value] of Object.entries(document)) {
    if (!Array.isArray(value) || value.length === 0) {
      out.push(stringify({ [key]: value }, YAML_OPTIONS));
      continue;
    }
    out.push(`${key}:\n`);
    for (const item of value) {
      out.push(indented(stringify([item], YAML_OPTIONS)));
      if (performance.now() - started >= sliceMs) {
        await nextTurn();
        started = performance.now();
      }
    }
  }
  return out.join('');
}

/** Each line two spaces further in (empty lines, which a block scalar may hold, stay empty). */
function indented(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
