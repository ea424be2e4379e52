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
import { TEXT_WIDTH, percent, wrap } from '../../common/text-layout';
import { verdictLines } from '../verdict-text';
import type { Diagnosis } from './diagnose';

const INDENT = '       ';

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
      const where = o.pod ? ` to pod ${o.pod}` : o.node ? ` to node ${o.node}` : '';
      out.push(...wrap(`${percent(o.probability).padStart(7)} ${o.result}${where}`, TEXT_WIDTH, '', INDENT));
      out.push(...verdictLines(o.verdict, INDENT));
    }
  }
  return out.join('\n') + '\n';
}
