/**
 * Where standard base64 (with padding, as Go's `encoding/base64.StdEncoding`
 * reads the `[]byte` fields of Secrets and ConfigMaps) goes wrong: the byte
 * offset Go's `CorruptInputError` reports, or undefined when the text is
 * valid. Newlines are skipped, as Go skips them.
 */
const ALPHABET = /[A-Za-z0-9+/]/;

export function base64ErrorOffset(text: string): number | undefined {
  let i = 0;
  const next = (): number => {
    while (i < text.length && (text[i] === '\n' || text[i] === '\r')) i++;
    return i;
  };
  for (;;) {
    // One quantum: up to four characters.
    let j = 0;
    for (; j < 4; j++) {
      const at = next();
      if (at === text.length) {
        if (j === 0) return undefined;
        return at - j;
      }
      const c = text[at];
      i++;
      if (c === '=') {
        // Padding: allowed only as the 3rd and 4th characters ("xx==" or "xxx="), then nothing more.
        if (j < 2) return at;
        if (j === 2) {
          const second = next();
          if (second === text.length) return text.length;
          if (text[second] !== '=') return second;
          i++;
        }
        const rest = next();
        return rest < text.length ? rest : undefined;
      }
      if (!ALPHABET.test(c)) return at;
    }
  }
}

export function illegalBase64Message(offset: number): string {
  return `illegal base64 data at input byte ${offset}`;
}
