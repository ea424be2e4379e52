/**
 * A unified diff of two texts, line by line, as `diff -u` prints it (three
 * lines of context, `@@ -a,b +c,d @@` hunks). The edit script is a shortest
 * one (Myers' O(ND) algorithm, after the common head and tail are set
 * aside); past `maxEdits` edits the middle is given as one replacement.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

export interface UnifiedDiffOptions {
  /** Lines of context around each change (default 3). */
  context?: number;
  /** Beyond this many inserted and deleted lines, stop looking for a shorter script (default 4000). */
  maxEdits?: number;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The shortest edit script from `a` to `b`, or undefined past `max` edits. */
function myers(a: readonly string[], b: readonly string[], max: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    // Keep the part of v that step d reads: diagonals -d..d.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d, k);
    }
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], dEnd: number, kEnd: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  let k = kEnd;
  for (let d = dEnd; d > 0; d--) {
    const saved = trace[d];
    // saved[i] holds v[offset + (i - d - 1)] as it was before step d.
    const at = (diagonal: number) => saved[diagonal + d + 1];
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX + (down ? 0 : 1) && y > prevY + (down ? 1 : 0)) {
      ops.push({ kind: ' ', line: a[--x] });
      y--;
    }
    if (down) ops.push({ kind: '+', line: b[--y] });
    else ops.push({ kind: '-', line: a[--x] });
    k = prevK;
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: ' ', line: a[--x] });
    y--;
  }
  return ops.reverse();
}

/** `diff -u` of two texts; empty when they are equal. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, options: UnifiedDiffOptions = {}): string {
  const context = options.context ?? 3;
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  if (head === a.length && head === b.length) return '';
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB, options.maxEdits ?? 4000) ?? [
    ...midA.map((line): Op => ({ kind: '-', line })),
    ...midB.map((line): Op => ({ kind: '+', line })),
  ];
  const ops: Op[] = [
    ...a.slice(0, head).map((line): Op => ({ kind: ' ', line })),
    ...middle,
    ...a.slice(a.length - tail).map((line): Op => ({ kind: ' ', line })),
  ];
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  // Hunks: runs of changes with their context, merged when their context touches.
  let i = 0;
  let lineA = 1;
  let lineB = 1;
  const positions = ops.map((op) => {
    const p = { a: lineA, b: lineB };
    if (op.kind !== '+') lineA++;
    if (op.kind !== '-') lineB++;
    return p;
  });
  while (i < ops.length) {
    if (ops[i].kind === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    let quiet = 0;
    for (let j = i; j < ops.length; j++) {
      if (ops[j].kind === ' ') {
        quiet++;
        if (quiet > 2 * context) break;
      } else {
        quiet = 0;
        end = j;
      }
    }
    const stop = Math.min(ops.length, end + context + 1);
    const hunk = ops.slice(start, stop);
    const countA = hunk.filter((op) => op.kind !== '+').length;
    const countB = hunk.filter((op) => op.kind !== '-').length;
    const fromA = countA === 0 ? positions[start].a - 1 : positions[start].a;
    const fromB = countB === 0 ? positions[start].b - 1 : positions[start].b;
    // GNU diff leaves out a count of 1.
    const range = (from: number, count: number) => (count === 1 ? `${from}` : `${from},${count}`);
    out.push(`@@ -${range(fromA, countA)} +${range(fromB, countB)} @@`);
    for (const op of hunk) out.push(op.kind + op.line);
    i = stop;
  }
  return out.join('\n') + '\n';
}
