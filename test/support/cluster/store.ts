/**
 * For the store's specs (object-store.spec.ts, store-contract.spec.ts,
 * sliced-transaction.spec.ts): the resource types they write, a pod, and a
 * memory store at a fixed time with its `default` namespace.
 */
import { ManualClock } from '../../../src/common/clock';
import { SeededRandom } from '../../../src/common/random';
import { ObjectStore } from '../../../src/cluster/store/object-store';
import { resourceTypeByKey } from '../../../src/cluster/store/resource-types';
import type { HistoryLimits } from '../../../src/cluster/store/watch-history';
import type { KubeObject } from '../../../src/cluster/store/types';

export const namespaces = resourceTypeByKey('namespaces')!;
export const pods = resourceTypeByKey('pods')!;
export const services = resourceTypeByKey('services')!;
export const nodes = resourceTypeByKey('nodes')!;
export const configmaps = resourceTypeByKey('configmaps')!;
export const deployments = resourceTypeByKey('deployments.apps')!;

/** The time every spec store starts at. */
export const SPEC_EPOCH = Date.UTC(2026, 0, 1);

/** A pod with one container, its labels, and a node if given. */
export function pod(name: string, labels: Record<string, string> = {}, nodeName?: string) {
  return { metadata: { name, labels }, spec: { nodeName, containers: [{ name: 'c', image: 'nginx' }] } };
}

/** A memory store on a manual clock at SPEC_EPOCH, random seeded with 7; with its `default` namespace unless `empty`. */
export function newMemoryStore(history: number | Partial<HistoryLimits> = {}, empty = false): { store: ObjectStore; clock: ManualClock } {
  const clock = new ManualClock(SPEC_EPOCH);
  const store = new ObjectStore(clock, new SeededRandom(7), history);
  if (!empty) store.create(namespaces, { metadata: { name: 'default' } });
  return { store, clock };
}

/** The names of objects, in order. */
export function names(items: KubeObject[]): string[] {
  return items.map((o) => o.metadata.name);
}
