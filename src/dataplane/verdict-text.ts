/**
 * An outcome's verdict for a terminal, drawn one way wherever it is shown
 * (the traffic answer's text form, the diagnosis): the message first, then
 * what the client sees and the reason code in brackets, then each note on
 * its own `+ ` line.
 *
 *   default/web has no endpoints: its selector app=wbe matches no pod.
 *     (client: connection-refused, reason: NoEndpoints)
 *   + ConntrackEntry: ...
 */
import { TEXT_WIDTH, wrap } from '../common/text-layout';
import type { Verdict } from './verdict';

/** `verdict` in lines of at most TEXT_WIDTH columns, each starting with `indent`. */
export function verdictLines(verdict: Verdict, indent: string): string[] {
  const lines = wrap(`${verdict.message} (client: ${verdict.client}, reason: ${verdict.reason})`, TEXT_WIDTH, indent, `${indent}  `);
  for (const note of verdict.notes) lines.push(...wrap(`${note.reason}: ${note.message}`, TEXT_WIDTH, `${indent}+ `, `${indent}    `));
  return lines;
}
