/**
 * An outcome's verdict for a terminal, drawn one way wherever it is shown
 * (the traffic answer's text form, the diagnosis): the message once, then
 * what the client sees and the reason code on a line of their own (a tag
 * never split across lines), then each note on its own `+ ` line.
 *
 *   default/web has no endpoints: its selector app=wbe matches no pod.
 *   (the client sees: connection refused; reason NoEndpoints)
 *   + ConntrackEntry: ...
 */
import { TEXT_WIDTH, wrap } from '../common/text-layout';
import type { ClientView, Verdict } from './verdict';

/** What the client sees, in words (a verdict's `client`). */
const CLIENT_VIEWS: Record<ClientView, string> = {
  connected: 'connected',
  'connection-refused': 'connection refused',
  'timed-out': 'no answer, timed out',
  'icmp-unreachable': 'an ICMP unreachable error',
  'name-not-resolved': 'name not resolved',
  'left-cluster': 'whatever answers outside the cluster',
};

/** `verdict` in lines of at most TEXT_WIDTH columns, each starting with `indent`. */
export function verdictLines(verdict: Verdict, indent: string): string[] {
  const lines = wrap(verdict.message, TEXT_WIDTH, indent, `${indent}  `);
  lines.push(...wrap(`(the client sees: ${CLIENT_VIEWS[verdict.client]}; reason ${verdict.reason})`, TEXT_WIDTH, indent, `${indent}  `));
  for (const note of verdict.notes) lines.push(...wrap(`${note.reason}: ${note.message}`, TEXT_WIDTH, `${indent}+ `, `${indent}    `));
  return lines;
}
