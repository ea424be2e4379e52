/**
 * Static pods: the mirror pod a kubelet publishes for each manifest in its
 * manifest directory (`PUT /netsim/v1/nodes/{node}/manifests/{file}`), as
 * the kubelet writes it (config.mirror/hash/source annotations, the node as
 * owner, every NoExecute taint tolerated). Used by KubeletController.
 */
import { PodSpec } from '../resources/pod.types';
import { KubeObject, ObjectInput } from '../store/types';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const HASH_ANNOTATION = 'kubernetes.io/config.hash';
const SOURCE_ANNOTATION = 'kubernetes.io/config.source';

/** A short, stable hash of a static pod manifest (the kubelet's `config.hash`). */
function manifestHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0').repeat(4);
}

/** The kubelet's default for a static pod: it tolerates every NoExecute taint (upstream `applyDefaults`). */
function staticPodTolerations(spec: unknown): unknown[] {
  const given = (spec as PodSpec | undefined)?.tolerations;
  const tolerations: unknown[] = Array.isArray(given) ? [...given] : [];
  const all = (t: unknown) => {
    const x = t as { key?: string; operator?: string; effect?: string } | undefined;
    return !x?.key && x?.operator === 'Exists' && (!x.effect || x.effect === 'NoExecute');
  };
  if (!tolerations.some(all)) tolerations.push({ operator: 'Exists', effect: 'NoExecute' });
  return tolerations;
}

/** The mirror pod the kubelet publishes for a static pod manifest on `node`: read-only, named NAME-NODE, owned by the node. */
export function mirrorBody(node: KubeObject, manifest: ObjectInput): ObjectInput {
  const copy = structuredClone(manifest);
  const meta = copy.metadata ?? {};
  const hash = manifestHash(JSON.stringify(manifest));
  return {
    ...copy,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      name: `${meta.name}-${node.metadata.name}`,
      namespace: meta.namespace ?? 'default',
      annotations: { ...meta.annotations, [MIRROR_ANNOTATION]: hash, [HASH_ANNOTATION]: hash, [SOURCE_ANNOTATION]: 'file' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid, controller: true }],
    },
    spec: { ...(copy.spec as object), nodeName: node.metadata.name, tolerations: staticPodTolerations(copy.spec) },
  };
}
