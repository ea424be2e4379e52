/**
 * A diagnosis as text for a terminal: one block per check, its status in a
 * fixed column, the message wrapped to 80 columns under its title, then the
 * outcomes with their probability and verdict.
 *
 *   diagnose pod/default/db-0 -> web:80 (tcp)
 *
 *   [PASS] DNS
 *          web resolves to 10.96.0.20 (default/web's ClusterIP) as ...
 *   [FAIL] Readiness
 *          ...
 */
import type { Diagnosis } from './diagnose';

export const TEXT_WIDTH = 80;
const INDENT = '       ';

/** Words of `text` in lines of at most `width` columns (a longer word stands alone, unbroken). */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

const percent = (p: number) => `${(p * 100).toFixed(1)}%`.padStart(6);

export function diagnosisText(d: Diagnosis): string {
  const out: string[] = [];
  out.push(...wrap(`diagnose ${d.from} -> ${d.to} (${d.protocol})${d.service ? `, Service ${d.service}` : ''}`, TEXT_WIDTH));
  out.push('');
  for (const c of d.checks) {
    const mark = c.status === 'fail' ? '[FAIL]' : c.status === 'pass' ? '[PASS]' : '[SKIP]';
    out.push(`${mark} ${c.title}${c.reason && c.status === 'fail' ? ` (${c.reason})` : ''}`);
    out.push(...wrap(c.message, TEXT_WIDTH, INDENT));
  }
  out.push('');
  const failed = d.checks.find((c) => c.name === d.firstFailure);
  out.push(...wrap(failed ? `Result: the ${failed.title} check fails; the checks after it were not run.` : 'Result: every check passes.', TEXT_WIDTH));
  if (d.outcomes.length > 0) {
    out.push('');
    out.push('Outcomes:');
    for (const o of d.outcomes) {
      out.push(`${percent(o.probability)} ${o.result}  [${o.verdict.reason}, client: ${o.verdict.client}]`);
      out.push(...wrap(o.verdict.message, TEXT_WIDTH, INDENT));
      for (const n of o.verdict.notes) out.push(...wrap(`${n.reason}: ${n.message}`, TEXT_WIDTH, `${INDENT}  `).map((l, i) => (i === 0 ? `${INDENT}- ${l.trimStart()}` : l)));
    }
  }
  return out.join('\n') + '\n';
}
