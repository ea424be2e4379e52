/**
 * ControllerRevisions as upstream's `pkg/controller/history` keeps them for a
 * StatefulSet: one per template the set has had, named `<set>-<hash>`, the
 * hash (FNV-32a over the revision's data, then the collision count) labelled
 * `controller.kubernetes.io/hash`; `revision` numbers grow by one, and going
 * back to an earlier template renumbers its revision instead of making a new
 * one. The data is the patch `kubectl rollout undo` sends back:
 * `{"spec":{"template":{...,"$patch":"replace"}}}`.
 */
import { DomainError } from '../../common/domain-error';
import { CONTROLLER_REVISION_HASH_LABEL_KEY, StatefulSetSpec } from '../resources/statefulset.types';
import { PodTemplateSpec } from '../resources/workload.types';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { byCreation, computeHash, controllerRefOf, newControllerRef, OWNED } from './pod-template';

export const controllerRevisions = resourceTypeByKey('controllerrevisions.apps')!;

/** The most a name prefix may be so that `<prefix>-<hash>` is a valid name (`ControllerRevisionName`). */
const MAX_PREFIX = 223;

/** What a StatefulSet's revision holds: its template, as a strategic merge patch that replaces the template whole. */
export function statefulSetRevisionData(set: KubeObject): Record<string, unknown> {
  const template = structuredClone((set.spec as StatefulSetSpec).template ?? {}) as Record<string, unknown>;
  template.$patch = 'replace';
  return { spec: { template } };
}

/** The template a revision holds (`ApplyRevision`, for the template only: that is all a StatefulSet revision holds). */
export function revisionTemplate(revision: KubeObject): PodTemplateSpec {
  const data = (revision.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const template = { ...(data.spec?.template ?? {}) };
  delete template.$patch;
  return template as PodTemplateSpec;
}

export function revisionNumber(revision: KubeObject): number {
  return typeof revision.revision === 'number' ? revision.revision : 0;
}

/** `<prefix>-<hash>`: `HashControllerRevision` over the data and collision count. */
export function revisionName(prefix: string, data: unknown, collisionCount: number | undefined): string {
  const hash = computeHash(data, collisionCount);
  return `${prefix.slice(0, MAX_PREFIX)}-${hash}`;
}

/** Oldest revision first (`history.SortControllerRevisions`: by number, then creation, then name). */
export function sortRevisions(revisions: KubeObject[]): KubeObject[] {
  return [...revisions].sort((a, b) => revisionNumber(a) - revisionNumber(b) || byCreation(a, b));
}

/** The revisions `set` controls. */
export function ownedRevisions(store: ObjectStore, set: KubeObject): KubeObject[] {
  return sortRevisions(store.list(controllerRevisions, { namespace: set.metadata.namespace }).items.filter((r) => controllerRefOf(r)?.uid === set.metadata.uid));
}

export interface Revisions {
  current: KubeObject;
  update: KubeObject;
  collisionCount: number;
  /** Every revision the set controls, oldest first. */
  all: KubeObject[];
}

/**
 * `getStatefulSetRevisions`: finds or makes the revision of the set's
 * template (the update revision), and the revision its pods were last
 * brought to (`status.currentRevision`, else the update revision).
 */
export function statefulSetRevisions(store: ObjectStore, set: KubeObject, podRevisionOf: () => string | undefined = () => undefined): Revisions {
  const status = (set.status ?? {}) as { collisionCount?: number; currentRevision?: string };
  let collisionCount = status.collisionCount ?? 0;
  let all = ownedRevisions(store, set);
  const data = statefulSetRevisionData(set);
  const next = all.length ? revisionNumber(all[all.length - 1]) + 1 : 1;
  const equal = all.filter((r) => deepEqual(r.data, data));
  let update: KubeObject;
  if (equal.length && equal[equal.length - 1] === all[all.length - 1]) {
    update = all[all.length - 1];
  } else if (equal.length) {
    // Back to an earlier template: that revision becomes the newest.
    const found = equal[equal.length - 1];
    update = store.patch(controllerRevisions, set.metadata.namespace, found.metadata.name, { revision: next }, OWNED);
    all = sortRevisions(all.map((r) => (r.metadata.uid === found.metadata.uid ? update : r)));
  } else if (all.length === 0 && isAdoptable(store, set, podRevisionOf())) {
    // No revision yet, and pods already made at one (a cluster's export imported: revisions are not
    // exported, and our hash is not upstream's): the first revision takes the name the pods carry, so
    // they count as current and are not replaced.
    update = store.create(controllerRevisions, revisionInput(set, data, next, podRevisionOf()!), set.metadata.namespace, OWNED);
    all = [update];
  } else {
    update = createRevision(store, set, data, next, collisionCount, (count) => (collisionCount = count));
    all = [...all, update];
  }
  const current = all.find((r) => r.metadata.name === status.currentRevision) ?? update;
  return { current, update, collisionCount, all };
}

/** The revision the pods carry, when the set has none yet, names its first revision (it is the set's, and free). */
function isAdoptable(store: ObjectStore, set: KubeObject, podRevision: string | undefined): podRevision is string {
  return podRevision !== undefined && podRevision.startsWith(`${set.metadata.name}-`) && !store.tryGet(controllerRevisions, set.metadata.namespace, podRevision);
}

/** `NewControllerRevision`: the template's labels and the hash label, the set's annotations, a controller reference. */
function revisionInput(set: KubeObject, data: Record<string, unknown>, revision: number, name: string) {
  const labels = { ...((set.spec as StatefulSetSpec).template?.metadata?.labels ?? {}) };
  const hash = name.slice(name.lastIndexOf('-') + 1);
  return {
    metadata: {
      name,
      labels: { ...labels, [CONTROLLER_REVISION_HASH_LABEL_KEY]: hash },
      ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(set)],
    },
    data,
    revision,
  };
}

function createRevision(store: ObjectStore, set: KubeObject, data: Record<string, unknown>, revision: number, collisionCount: number, collided: (count: number) => void): KubeObject {
  for (let count = collisionCount; ; count++) {
    const name = revisionName(set.metadata.name, data, count);
    try {
      const made = store.create(controllerRevisions, revisionInput(set, data, revision, name), set.metadata.namespace, OWNED);
      if (count !== collisionCount) collided(count);
      return made;
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'ALREADY_EXISTS') throw e;
      const existing = store.get(controllerRevisions, set.metadata.namespace, name);
      // Ours already, with the same data (a revision made by an earlier sync): it is the one.
      if (controllerRefOf(existing)?.uid === set.metadata.uid && deepEqual(existing.data, data)) {
        if (count !== collisionCount) collided(count);
        return existing;
      }
      // Someone else's under that name: a collision; the next count gives another hash.
    }
  }
}
