import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Cluster } from '../cluster';
import { ApplyResult, applyManifests } from './manifest-apply';
import { parseManifestYaml } from './manifests';

/** Applies a cluster manifest file (the demo cluster, or `CLUSTER_FILE`) as one batch. */
export function loadClusterFile(cluster: Cluster, path: string, baseDir = process.cwd()): ApplyResult[] {
  const text = readFileSync(resolve(baseDir, path), 'utf8');
  return applyManifests(cluster.store, parseManifestYaml(text));
}
