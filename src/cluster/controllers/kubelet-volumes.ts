import { PodSpec } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { recordEvent } from './events';

const configMaps = resourceTypeByKey('configmaps')!;
const secrets = resourceTypeByKey('secrets')!;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Needed {
  volume: string;
  kind: 'configmap' | 'secret';
  name: string;
}

/** The ConfigMaps and Secrets a pod's volumes need (those not marked `optional: true`), in volume order. */
function needed(pod: KubeObject): Needed[] {
  const volumes = (pod.spec as PodSpec & { volumes?: unknown[] }).volumes ?? [];
  const out: Needed[] = [];
  for (const v of volumes) {
    if (!isObject(v) || typeof v.name !== 'string') continue;
    const add = (kind: Needed['kind'], source: unknown, key: 'name' | 'secretName') => {
      if (isObject(source) && source.optional !== true && typeof source[key] === 'string' && source[key]) out.push({ volume: v.name as string, kind, name: source[key] as string });
    };
    add('configmap', v.configMap, 'name');
    add('secret', v.secret, 'secretName');
    if (isObject(v.projected) && Array.isArray(v.projected.sources)) {
      for (const s of v.projected.sources) {
        if (!isObject(s)) continue;
        add('configmap', s.configMap, 'name');
        add('secret', s.secret, 'name');
      }
    }
  }
  return out;
}

/**
 * The kubelet's volume manager, for the sources that can be missing: a pod
 * whose ConfigMap or Secret volume names one that does not exist is not
 * started (it stays `ContainerCreating`), with the kubelet's `FailedMount`
 * event, and is started once the object appears. `optional: true` skips the
 * wait. Used by KubeletController.
 */
export class VolumeMounts {
  /** Pods waiting for a ConfigMap or Secret, by `kind/namespace/name` of what they wait for. */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(private readonly store: ObjectStore) {}

  /** Whether every volume of the pod can be set up; if not, records why and remembers the pod. */
  ready(pod: KubeObject): boolean {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.forget(pod);
    for (const need of needed(pod)) {
      const type = need.kind === 'configmap' ? configMaps : secrets;
      if (this.store.tryGet(type, pod.metadata.namespace, need.name)) continue;
      const wanted = `${need.kind}/${pod.metadata.namespace}/${need.name}`;
      this.waiting.set(wanted, (this.waiting.get(wanted) ?? new Set()).add(key));
      recordEvent(
        this.store,
        pod,
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${need.volume}" : ${need.kind} "${need.name}" not found`,
        { component: 'kubelet', host: (pod.spec as PodSpec).nodeName },
      );
      return false;
    }
    return true;
  }

  /** The pods to try again after a ConfigMap or Secret was created. */
  retry(event: StoredEvent): string[] {
    if (event.type !== 'ADDED') return [];
    const kind = event.resource === 'configmaps' ? 'configmap' : 'secret';
    const wanted = `${kind}/${event.object.metadata.namespace}/${event.object.metadata.name}`;
    const pods = [...(this.waiting.get(wanted) ?? [])];
    this.waiting.delete(wanted);
    return pods;
  }

  forget(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    for (const [wanted, pods] of this.waiting) {
      if (pods.delete(key) && pods.size === 0) this.waiting.delete(wanted);
    }
  }
}
