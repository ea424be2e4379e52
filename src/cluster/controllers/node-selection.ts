import { NodeCondition, NodeSpec, NodeStatus, NodeTaint } from '../resources/node.types';
import { PodSpec, Toleration } from '../resources/pod.types';
import { Affinity, NodeSelectorRequirement, NodeSelectorTerm } from '../resources/workload.types';
import { KubeObject } from '../store/types';

/**
 * Which nodes a pod may run on, as the scheduler's filter plugins and the
 * DaemonSet controller decide it: taints and tolerations (with the taints
 * the node lifecycle controller derives from conditions), nodeSelector and
 * required node affinity.
 */

/** `Toleration.ToleratesTaint`. */
export function toleratesTaint(t: Toleration, taint: NodeTaint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/**
 * A node's taints as the scheduler sees them: its own, plus the ones the node
 * lifecycle controller adds for its conditions (`TaintNodesByCondition`)
 * when they are not there yet.
 */
export function effectiveTaints(node: KubeObject): NodeTaint[] {
  const spec = (node.spec ?? {}) as NodeSpec;
  const taints = [...(spec.taints ?? [])];
  const add = (key: string) => {
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  };
  const conditions = ((node.status ?? {}) as NodeStatus).conditions ?? [];
  const status = (type: string) => conditions.find((c: NodeCondition) => c.type === type)?.status;
  if (status('Ready') === 'False') add('node.kubernetes.io/not-ready');
  if (status('Ready') === 'Unknown') add('node.kubernetes.io/unreachable');
  if (status('MemoryPressure') === 'True') add('node.kubernetes.io/memory-pressure');
  if (status('DiskPressure') === 'True') add('node.kubernetes.io/disk-pressure');
  if (status('PIDPressure') === 'True') add('node.kubernetes.io/pid-pressure');
  if (status('NetworkUnavailable') === 'True') add('node.kubernetes.io/network-unavailable');
  if (spec.unschedulable) add('node.kubernetes.io/unschedulable');
  return taints;
}

export function hasUntolerated(taints: NodeTaint[], tolerations: Toleration[], effects: string[]): boolean {
  return taints.some((taint) => effects.includes(taint.effect) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

export function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !/^-?[0-9]+$/.test(value) || !/^-?[0-9]+$/.test(values[0])) return false;
      return r.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

/** Node selector terms: any term, each term all of its label expressions and field (`metadata.name`) requirements. */
export function matchesNodeSelectorTerms(terms: NodeSelectorTerm[], node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  return terms.some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (expressions.length === 0 && fields.length === 0) return false;
    return (
      expressions.every((r) => requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined)) &&
      fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, node.metadata.name))
    );
  });
}

/** `nodeSelector` and required node affinity (`GetRequiredNodeAffinity(pod).Match(node)`). */
export function matchesRequiredNodeAffinity(spec: PodSpec & { affinity?: Affinity }, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || matchesNodeSelectorTerms(required.nodeSelectorTerms ?? [], node);
}

