import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';

const events = resourceTypeByKey('events')!;
const namespaces = resourceTypeByKey('namespaces')!;

/**
 * Records a core/v1 Event about `object`, as components do through the
 * event recorder; a repeat of the same reason and message on the same object
 * bumps `count` and `lastTimestamp` instead of adding an event. Events about
 * cluster-scoped objects go to `default`.
 */
export function recordEvent(
  store: ObjectStore,
  object: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: { component: string; host?: string },
): void {
  const namespace = object.metadata.namespace ?? 'default';
  if (!store.tryGet(namespaces, undefined, namespace)) return;
  const now = store.now();
  const involvedObject = {
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
    uid: object.metadata.uid,
    apiVersion: object.apiVersion,
  };
  const name = `${object.metadata.name}.${reason.toLowerCase()}.${object.metadata.uid.slice(0, 8)}`;
  const existing = store.tryGet(events, namespace, name);
  if (existing && existing.message === message) {
    store.update(events, namespace, name, { ...existing, count: ((existing.count as number) ?? 1) + 1, lastTimestamp: now }, { owned: true });
    return;
  }
  const body = {
    metadata: { name },
    involvedObject,
    reason,
    message,
    type,
    source,
    firstTimestamp: existing ? existing.firstTimestamp : now,
    lastTimestamp: now,
    count: existing ? ((existing.count as number) ?? 1) + 1 : 1,
    reportingComponent: source.component,
  };
  if (existing) store.update(events, namespace, name, body, { owned: true });
  else store.create(events, body, namespace, { owned: true });
}
