import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DomainError } from '../../common/domain-error';
import { Cluster } from '../cluster';
import { isInitConfiguration, kubeadmInit } from '../kubeadm/init';
import { ApplyResult, applyManifests } from './manifest-apply';
import { parseManifestYaml } from './manifests';

/**
 * Applies a cluster manifest file (the demo cluster, or `CLUSTER_FILE`) as one
 * batch. A kubeadm `InitConfiguration` in it is run after the batch, as
 * `kubeadm init` on the node it names: the control plane's static pods
 * (src/cluster/kubeadm/init.ts).
 */
export function loadClusterFile(cluster: Cluster, path: string, baseDir = process.cwd()): ApplyResult[] {
  const text = readFileSync(resolve(baseDir, path), 'utf8');
  const documents = parseManifestYaml(text);
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
