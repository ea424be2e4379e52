import { DomainError } from '../../common/domain-error';
import { ObjectStore } from '../store/object-store';
import { resourceKey, resourceTypeOfKind } from '../store/resource-types';
import { checkDocument, ManifestDocument } from './manifests';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'not found' | 'skipped';

export interface ApplyResult {
  index: number;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  action: ApplyAction;
  /** kubectl's line for it: `service/web created`. */
  message: string;
}

/** A batch that failed: nothing of it stays. */
class DryRunDone extends Error {}

function describe(doc: ManifestDocument): string {
  const o = doc.object;
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `document ${doc.index}${doc.line ? ` (line ${doc.line})` : ''}, ${o.kind} ${ns}${o.metadata?.name ?? ''}`;
}

/** The same error, with the document it came from in front of its message. */
function inDocument(doc: ManifestDocument, e: DomainError): DomainError {
  return new DomainError(e.code, `${describe(doc)}: ${e.message}`, {
    causes: e.causes,
    kind: e.kind ?? doc.object.kind,
    name: e.objectName ?? doc.object.metadata?.name,
  });
}

function kubectlName(kind: string, group: string, name: string): string {
  return `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
}

/**
 * `kubectl apply -f` as one transaction: each object is created, or updated
 * in place (the API server keeps what it allocated, such as a Service's
 * ClusterIP), and if any document is invalid nothing at all is applied and
 * the error names the document, the field and the reason. Every built-in kind
 * kube-netsim serves is stored (docs/kinds.md); kinds it does not serve
 * (custom resources) are reported as skipped.
 */
export function applyManifests(store: ObjectStore, docs: ManifestDocument[], options: { dryRun?: boolean; namespace?: string } = {}): ApplyResult[] {
  return runBatch(store, options.dryRun ?? false, () =>
    docs.map((doc) => {
      try {
        checkDocument(doc);
        const o = doc.object;
        const type = resourceTypeOfKind(o.apiVersion!, o.kind!);
        const name = o.metadata!.name!;
        if (!type) return result(doc, undefined, 'skipped', `${o.kind!.toLowerCase()}/${name} skipped: kind ${o.kind} (${o.apiVersion}) is not simulated by kube-netsim`);
        const namespace = type.namespaced ? (o.metadata!.namespace ?? options.namespace ?? 'default') : undefined;
        const existing = store.tryGet(type, namespace, name);
        const label = kubectlName(type.kind, type.group, name);
        if (!existing) {
          store.create(type, o, namespace);
          return result(doc, namespace, 'created', `${label} created`);
        }
        const updated = store.update(type, namespace, name, { ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
        const changed = updated.metadata.resourceVersion !== existing.metadata.resourceVersion;
        return result(doc, namespace, changed ? 'configured' : 'unchanged', `${label} ${changed ? 'configured' : 'unchanged'}`);
      } catch (e) {
        if (e instanceof DomainError) throw inDocument(doc, e);
        throw e;
      }
    }),
  );
}

/** `kubectl delete -f`: removes each object named, in reverse order; a missing one is reported, not an error. */
export function deleteManifests(store: ObjectStore, docs: ManifestDocument[], options: { dryRun?: boolean; namespace?: string } = {}): ApplyResult[] {
  return runBatch(store, options.dryRun ?? false, () =>
    [...docs].reverse().map((doc) => {
      try {
        checkDocument(doc);
        const o = doc.object;
        const type = resourceTypeOfKind(o.apiVersion!, o.kind!);
        const name = o.metadata!.name!;
        if (!type) return result(doc, undefined, 'skipped', `${o.kind!.toLowerCase()}/${name} skipped: kind ${o.kind} is not simulated by kube-netsim`);
        const namespace = type.namespaced ? (o.metadata!.namespace ?? options.namespace ?? 'default') : undefined;
        if (!store.tryGet(type, namespace, name)) {
          return result(doc, namespace, 'not found', `Error from server (NotFound): ${resourceKey(type)} "${name}" not found`);
        }
        store.delete(type, namespace, name);
        return result(doc, namespace, 'deleted', `${type.kind.toLowerCase()}${type.group ? `.${type.group}` : ''} "${name}" deleted`);
      } catch (e) {
        if (e instanceof DomainError) throw inDocument(doc, e);
        throw e;
      }
    }),
  );
}

function runBatch(store: ObjectStore, dryRun: boolean, work: () => ApplyResult[]): ApplyResult[] {
  if (!dryRun) return store.transaction(work);
  let results: ApplyResult[] = [];
  try {
    store.transaction(() => {
      results = work();
      throw new DryRunDone();
    });
  } catch (e) {
    if (!(e instanceof DryRunDone)) throw e;
  }
  return results.map((r) => ({ ...r, message: `${r.message} (dry run)` }));
}

function result(doc: ManifestDocument, namespace: string | undefined, action: ApplyAction, message: string): ApplyResult {
  const o = doc.object;
  return {
    index: doc.index,
    apiVersion: o.apiVersion!,
    kind: o.kind!,
    ...(namespace ? { namespace } : {}),
    name: o.metadata!.name!,
    action,
    message,
  };
}
