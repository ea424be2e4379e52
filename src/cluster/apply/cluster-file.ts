import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DomainError } from '../../common/domain-error';
import { Cluster } from '../cluster';
import { isInitConfiguration, kubeadmInit } from '../kubeadm/init';
import { ApplyResult, applyManifests } from './manifest-apply';
import { ManifestDocument, parseManifestYaml } from './manifests';
import { isSnapshotDocument } from '../snapshot/snapshot-document';

/**
 * Applies a cluster manifest file (the demo cluster, or `CLUSTER_FILE`) as one
 * batch. A kubeadm `InitConfiguration` in it is run after the batch, as
 * `kubeadm init` on the node it names: the control plane's static pods
 * (src/cluster/kubeadm/init.ts).
 */
export function loadClusterFile(cluster: Cluster, path: string, baseDir = process.cwd()): ApplyResult[] {
  const read = readClusterFile(path, baseDir);
  if ('snapshot' in read) throw new DomainError('BAD_REQUEST', 'a Snapshot document is a cluster of its own: it is restored in place of the cluster (see docs/snapshots.md), not applied to one');
  return applyClusterManifests(cluster, read.documents);
}

/**
 * The mapping keys a cluster file may hold: the operator's own file, so far
 * more than a request may (a snapshot of 10,000 pods holds about a million).
 */
const CLUSTER_FILE_YAML_KEYS = 50_000_000;

/**
 * What a cluster file holds, in either form: manifests to apply (YAML or
 * JSON, one or many documents), or one snapshot document (`kind: Snapshot`,
 * what `GET /netsim/v1/snapshot` answers) that is the cluster itself.
 */
export function readClusterFile(path: string, baseDir = process.cwd()): { snapshot: unknown } | { documents: ManifestDocument[] } {
  const text = readFileSync(resolve(baseDir, path), 'utf8');
  const documents = parseManifestYaml(text, { keys: CLUSTER_FILE_YAML_KEYS });
  if (documents.length === 1 && isSnapshotDocument(documents[0].object)) return { snapshot: documents[0].object };
  return { documents };
}

/** Applies a cluster file's manifests (see `loadClusterFile`). */
export function applyClusterManifests(cluster: Cluster, documents: ManifestDocument[]): ApplyResult[] {
  const inits = documents.filter((d) => isInitConfiguration(d.object));
  const results = applyManifests(
    cluster.store,
    documents.filter((d) => !inits.includes(d)),
  );
  cluster.installDefaultStorageClass();
  for (const init of inits) {
    try {
      kubeadmInit(cluster, init.object);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      throw new DomainError(e.code, `document ${init.index}${init.line ? ` (line ${init.line})` : ''}, ${e.message}`, { causes: e.causes, kind: e.kind });
    }
  }
  return results;
}
