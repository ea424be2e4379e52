/**
 * The verdict note of an outcome that crossed a node running imported rules
 * (`PUT /netsim/v1/nodes/{node}/iptables`): what happened there follows
 * those rules, not what kube-proxy would write for the cluster's objects.
 */
import type { VerdictNote } from './verdict';

export function importedRulesNotes(
  hops: readonly { node: string | null }[],
  importedAt: (node: string) => number | undefined,
): VerdictNote[] {
  const nodes = [...new Set(hops.map((h) => h.node).filter((n): n is string => n !== null))];
  const notes: VerdictNote[] = [];
  for (const node of nodes) {
    const at = importedAt(node);
    if (at === undefined) continue;
    notes.push({
      reason: 'ImportedRules',
      message:
        `The rules on ${node} are imported (PUT /netsim/v1/nodes/${node}/iptables at ${new Date(at).toISOString()}), not written by kube-proxy: ` +
        `what happened there follows those rules, whatever the cluster's objects say (GET /netsim/v1/nodes/${node}/iptables/diff compares them).`,
    });
  }
  return notes;
}
