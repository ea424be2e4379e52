/**
 * A request path whose escapes are all well formed but decode to bytes that
 * are not UTF-8 (`/api/v1/namespaces/%C0%AF`). Go's URL parser takes such a
 * path, and the API server answers it as any other (a name that does not
 * exist is 404; its JSON answer shows each invalid byte as U+FFFD, as Go's
 * encoder writes it). Fastify's router cannot decode it and would answer 400
 * before any handler. So, before routing, each invalid byte's escape is
 * replaced by the escape of U+FFFD (`%EF%BF%BD`), one per byte as Go's
 * decoder counts them; valid sequences are left as sent. A path with a
 * malformed escape (`%zz`) is left alone: Go refuses it too (400).
 */
export function replaceInvalidUtf8Escapes(url: string): string {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.includes('%') || /%(?![0-9a-f]{2})/i.test(path)) return url;
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    // Well-formed escapes of bytes that are not UTF-8: repaired below.
  }
  const repaired = path.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = Array.from({ length: run.length / 3 }, (_, i) => parseInt(run.slice(3 * i + 1, 3 * i + 3), 16));
    let out = '';
    for (let i = 0; i < bytes.length; ) {
      const n = utf8SequenceLength(bytes, i);
      if (n === 0) {
        out += '%EF%BF%BD';
        i++;
      } else {
        out += run.slice(3 * i, 3 * (i + n));
        i += n;
      }
    }
    return out;
  });
  return query < 0 ? repaired : repaired + url.slice(query);
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none (Go's `utf8.DecodeRune` rules). */
function utf8SequenceLength(bytes: number[], i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  // The second byte's range depends on the first (no overlong forms, no surrogates, nothing past U+10FFFF).
  let n: number;
  let low = 0x80;
  let high = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) low = 0xa0;
    if (b === 0xed) high = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) low = 0x90;
    if (b === 0xf4) high = 0x8f;
  } else return 0;
  if (i + n > bytes.length) return 0;
  if (bytes[i + 1] < low || bytes[i + 1] > high) return 0;
  for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  return n;
}
