/**
 * The text form of a node's rules diff (`format=text` / `Accept: text/plain`):
 * a heading, then one finding a paragraph, its kind in the margin, wrapped to
 * the terminal's width; the unified diff, when asked for, after a blank line.
 */
import { TEXT_WIDTH, wrap } from '../common/text-layout';
import type { NodeRulesDiff } from './node-rules-diff';

const MARGIN = 9;
const LABELS = { missing: 'MISSING', stale: 'STALE', differs: 'DIFFERS' } as const;

export function nodeRulesDiffText(diff: NodeRulesDiff): string[] {
  const whose = diff.rules === 'imported' ? `imported rules (since ${diff.importedAt})` : "kube-proxy's rules";
  const lines: string[] = [];
  if (diff.upToDate) {
    lines.push(
      ...wrap(`${diff.node}: ${whose} match what kube-proxy would write now for the cluster's Services and EndpointSlices (${diff.servicePorts.kubeProxy} Service ports).`, TEXT_WIDTH),
    );
  } else {
    const { missing, stale, differs } = diff.summary;
    lines.push(...wrap(`${diff.node}: ${whose} against what kube-proxy would write now for the cluster's Services and EndpointSlices`, TEXT_WIDTH));
    lines.push(
      ...wrap(
        `${diff.servicePorts.node} Service ports on the node, ${diff.servicePorts.kubeProxy} in kube-proxy's view: ${missing} missing, ${stale} stale, ${differs} ${differs === 1 ? 'difference' : 'differences'}`,
        TEXT_WIDTH,
      ),
    );
    lines.push('');
    for (const f of diff.findings) lines.push(...wrap(f.message, TEXT_WIDTH, LABELS[f.kind].padEnd(MARGIN), ' '.repeat(MARGIN)));
  }
  if (diff.ignoredChains.length) {
    lines.push('');
    lines.push(...wrap(`Not compared (chains of other programs): ${diff.ignoredChains.join(', ')}`, TEXT_WIDTH, '', '  '));
  }
  if (diff.unified !== undefined) {
    lines.push('');
    lines.push(...(diff.unified === '' ? ['(no line differs)'] : diff.unified.replace(/\n$/, '').split('\n')));
  }
  return lines;
}
