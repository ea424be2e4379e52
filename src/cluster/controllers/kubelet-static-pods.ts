/**
 * Static pods: the manifest directory of each node's kubelet
 * (`PUT /netsim/v1/nodes/{node}/manifests/{file}`) and the mirror pod the
 * kubelet publishes for each manifest, as the kubelet writes it
 * (config.mirror/hash/source annotations, the node as owner, every NoExecute
 * taint tolerated). Part of KubeletController.
 */
import { DomainError } from '../../common/domain-error';
import { PodSpec } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeletStateKeeper, NodeManifest } from '../store/store-backend';
import { KubeObject, ObjectInput } from '../store/types';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;
const namespaces = resourceTypeByKey('namespaces')!;

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

/** What the static pods need of the kubelets they belong to. */
export interface StaticPodsHost {
  isRunning(node: string): boolean;
  /** The pods bound to `node`. */
  podsOn(node: string): KubeObject[];
  /** Queues `syncMirrors(node)` for the kubelet's next round. */
  sync(node: string): void;
}

/**
 * Every node's manifest directory (`PUT /netsim/v1/nodes/{node}/manifests/{file}`,
 * `kubeadm init`) and the mirror pods its kubelet publishes for it. With a
 * durable store the directories are kept there too (`keepManifestsIn`), as a
 * node keeps them on its disk: a restart finds them (`loadManifests`).
 */
export class StaticPods {
  /** Per node, its manifests by file name. */
  private readonly directories = new Map<string, Map<string, ObjectInput>>();
  private disk: KubeletStateKeeper | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly host: StaticPodsHost,
  ) {}

  /** Keeps every manifest written from now on in `disk` too (what a durable store offers: see store-backend.ts). */
  keepManifestsIn(disk: KubeletStateKeeper | undefined): void {
    this.disk = disk;
  }

  /** Writes a static pod manifest into the node's manifest directory; returns its mirror pod. */
  putManifest(node: string, file: string, pod: ObjectInput): KubeObject | undefined {
    this.putManifests(node, [{ file, pod }]);
    const meta = pod.metadata ?? {};
    return this.store.tryGet(pods, meta.namespace ?? 'default', `${meta.name}-${node}`);
  }

  /** Writes several manifests at once (`kubeadm init`): all are checked first, and the kubelet syncs once. */
  putManifests(node: string, manifests: Array<{ file: string; pod: ObjectInput }>): void {
    const nodeObject = this.store.get(nodes, undefined, node);
    // The mirror pod must be a valid pod before the manifest is kept.
    for (const { pod } of manifests) {
      const mirror = mirrorBody(nodeObject, pod);
      this.store.create(pods, mirror, mirror.metadata!.namespace, { dryRun: true });
    }
    for (const { file, pod } of manifests) {
      this.directory(node).set(file, structuredClone(pod));
      this.disk?.writeManifest(node, file, pod);
    }
    this.host.sync(node);
    this.store.commit();
  }

  /** Removes a manifest: the static pod stops and its mirror goes. */
  deleteManifest(node: string, file: string): void {
    this.store.get(nodes, undefined, node);
    const directory = this.directories.get(node);
    if (!directory?.has(file)) throw new DomainError('NOT_FOUND', `manifest "${file}" not found on node ${node}`, { name: file });
    directory.delete(file);
    this.disk?.writeManifest(node, file, undefined);
    this.host.sync(node);
    this.store.commit();
  }

  /** A node's manifests, by file name. */
  manifests(node: string): Array<{ file: string; pod: ObjectInput }> {
    return [...(this.directories.get(node) ?? new Map<string, ObjectInput>()).entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([file, pod]) => ({ file, pod }));
  }

  /**
   * The manifest directories as the nodes' disks hold them, at a start on a
   * durable store or a takeover, or as a snapshot kept them: each node's directory becomes what
   * `manifests` lists for it, and its kubelet syncs its mirror pods at the
   * next commit (a mirror pod of the same manifest is kept as it is).
   */
  loadManifests(manifests: readonly NodeManifest[]): void {
    const touched = new Set(this.directories.keys());
    this.directories.clear();
    for (const { node, file, pod } of manifests) {
      this.directory(node).set(file, structuredClone(pod));
      touched.add(node);
    }
    for (const node of [...touched].sort()) this.host.sync(node);
  }

  /** The node was deleted: its disk goes with it. */
  nodeGone(node: string): void {
    for (const file of this.directories.get(node)?.keys() ?? []) this.disk?.writeManifest(node, file, undefined);
    this.directories.delete(node);
  }

  /** Makes the mirror pods of a node match its manifests (a running kubelet's). */
  syncMirrors(nodeName: string): void {
    const node = this.store.tryGet(nodes, undefined, nodeName);
    if (!this.host.isRunning(nodeName) || !node) return;
    const wanted = new Map<string, ObjectInput>();
    for (const manifest of this.directories.get(nodeName)?.values() ?? []) {
      const mirror = mirrorBody(node, manifest);
      wanted.set(`${mirror.metadata!.namespace}/${mirror.metadata!.name}`, mirror);
    }
    for (const pod of this.host.podsOn(nodeName)) {
      if (!pod.metadata.annotations?.[MIRROR_ANNOTATION]) continue;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const want = wanted.get(key);
      if (!want || want.metadata!.annotations![HASH_ANNOTATION] !== pod.metadata.annotations[HASH_ANNOTATION]) {
        this.store.delete(pods, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
      } else {
        wanted.delete(key);
      }
    }
    for (const [key, body] of wanted) {
      const [namespace] = key.split('/');
      if (!this.store.tryGet(namespaces, undefined, namespace)) continue;
      this.store.create(pods, body, namespace, { owned: true });
    }
  }

  private directory(node: string): Map<string, ObjectInput> {
    let directory = this.directories.get(node);
    if (!directory) {
      directory = new Map();
      this.directories.set(node, directory);
    }
    return directory;
  }
}
