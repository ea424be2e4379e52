/**
 * How deep a request body (JSON or YAML) may nest. Go's JSON decoder, which
 * the API server uses, stops at 10,000 levels; kube-netsim stops at 100, as
 * its store does for objects (no Kubernetes object comes near), so that no
 * walk over a body (validation, copies, the YAML composer) can run out of
 * stack.
 */
export const MAX_NESTING_DEPTH = 100;

/**
 * Where `text`, read as JSON, first nests deeper than `max` levels of
 * objects and arrays (the character offset of the opening bracket), or -1.
 * One pass, no recursion; brackets inside strings do not count.
 */
export function jsonNestingExceeded(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return -1;
}
