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
export function applyManifests(store: ObjectStore, docs: ManifestDocument[], options: BatchOptions = {}): ApplyResult[] {
  return runBatch(store, options.dryRun ?? false, applySteps(store, docs, options));
}

/**
 * `applyManifests` as a transaction in slices (`ObjectStore.transactionInSlices`):
 * the event loop is given back between documents every few milliseconds, and
 * no one sees the batch half applied.
 */
export function applyManifestsInSlices(store: ObjectStore, docs: ManifestDocument[], options: BatchOptions = {}): Promise<ApplyResult[]> {
  return runBatchInSlices(store, options.dryRun ?? false, applySteps(store, docs, options));
}

/**
 * `kubectl delete -f` as a transaction in slices: removes each object named,
 * in reverse order; a missing one is reported, not an error.
 */
export function deleteManifestsInSlices(store: ObjectStore, docs: ManifestDocument[], options: BatchOptions = {}): Promise<ApplyResult[]> {
  return runBatchInSlices(store, options.dryRun ?? false, deleteSteps(store, docs, options));
}

interface BatchOptions {
  dryRun?: boolean;
  namespace?: string;
}

/** The apply, one document a step; returns one result per document. */
function* applySteps(store: ObjectStore, docs: ManifestDocument[], options: BatchOptions): Generator<void, ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const doc of docs) {
    results.push(inDocumentErrors(doc, () => applyOne(store, doc, options)));
    yield;
  }
  return results;
}

function applyOne(store: ObjectStore, doc: ManifestDocument, options: BatchOptions): ApplyResult {
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
}

/** The delete, one document a step, in reverse order. */
function* deleteSteps(store: ObjectStore, docs: ManifestDocument[], options: BatchOptions): Generator<void, ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const doc of [...docs].reverse()) {
    results.push(inDocumentErrors(doc, () => deleteOne(store, doc, options)));
    yield;
  }
  return results;
}

function deleteOne(store: ObjectStore, doc: ManifestDocument, options: BatchOptions): ApplyResult {
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
}

/**
 * Runs one document's step; an error from it is given the document's place,
 * kind and name in front. A document without apiVersion, kind or name is
 * refused first, by a message that already says which document it is.
 */
function inDocumentErrors(doc: ManifestDocument, work: () => ApplyResult): ApplyResult {
  checkDocument(doc);
  try {
    return work();
  } catch (e) {
    if (e instanceof DomainError) throw inDocument(doc, e);
    throw e;
  }
}

function runBatch(store: ObjectStore, dryRun: boolean, steps: Iterator<void, ApplyResult[]>): ApplyResult[] {
  const work = () => {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  };
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
  return dryRunResults(results);
}

async function runBatchInSlices(store: ObjectStore, dryRun: boolean, steps: Iterator<void, ApplyResult[]>): Promise<ApplyResult[]> {
  const results = await store.transactionInSlices(steps, { rollBack: dryRun });
  return dryRun ? dryRunResults(results) : results;
}

function dryRunResults(results: ApplyResult[]): ApplyResult[] {
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
