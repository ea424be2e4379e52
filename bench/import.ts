/**
 * bench/import: `POST /netsim/v1/import` of a cluster of 100 nodes, 1,000
 * Services and 1,000 Deployments (with their ReplicaSets) of 10 pods each,
 * 10,000 pods with their IPs and 1,000 EndpointSlices, as `kubectl get -A
 * -o json` prints them (YAML=1: also the time to read it as YAML). Prints the time to read it, to import (one
 * transaction: every object made, every address reserved) and to settle
 * (the controllers adopting nothing new, kube-proxy writing every node's
 * rules). The target is under 5 s. Not a test: it asserts nothing.
 */
import os from 'node:os';
import { stringify } from 'yaml';
import { manifestsOf, parseManifestJson } from '../src/cluster/apply/manifests';
import { readYamlDocuments } from '../src/cluster/apply/yaml-documents';
import { IMPORT_YAML_KEYS } from '../src/api/request-limits';
import { importCluster } from '../src/cluster/import/cluster-import';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
import { benchCluster } from './support/bench-cluster';
import { phase as timedPhase } from './support/timing';
import { EXPORT_SIZE, exportList } from './support/export-list';

const { NODES, SERVICES, REPLICAS } = EXPORT_SIZE;

const phase = <T>(name: string, work: () => T): T => timedPhase('import', name, work);

/** CPU time of this process in ms: on a shared, loaded machine a fairer figure than wall time. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const cluster = benchCluster({ clusterCidr: '10.244.0.0/16' });
const list = exportList();
const json = JSON.stringify(list);
console.log(`import: the export: ${(json.length / 1048576).toFixed(1)} MiB of JSON (kubectl get -o json), ${NODES} nodes, ${SERVICES} Services, ${SERVICES * REPLICAS} pods`);
const docs = phase('read the JSON', () => parseManifestJson(JSON.parse(json)));
if (process.env.YAML === '1') {
  // The same as YAML (kubectl get -o yaml): the YAML reader's cost, linear in the text (docs/api.md).
  const yaml = stringify(list);
  phase(`read the same as YAML, ${(yaml.length / 1048576).toFixed(1)} MiB`, () => manifestsOf(readYamlDocuments(yaml, { keys: IMPORT_YAML_KEYS })));
}
// As the server does: the import answers once its transaction is committed; the controllers settle after, in slices.
cluster.settleInSlices(50);
void (async () => {
  const start = process.hrtime.bigint();
  const cpu = cpuMs();
  const result = importCluster(cluster.store, cluster.pools, docs);
  const imported = Number(process.hrtime.bigint() - start) / 1e6;
  const importCpu = cpuMs() - cpu;
  console.log(`import: import (one transaction, every object made, every address reserved): ${imported.toFixed(0)} ms (CPU ${importCpu.toFixed(0)} ms)`, JSON.stringify(result.imported));
  if (process.env.NOSETTLE === '1') process.exit(0);
  await cluster.controllers.idle();
  const total = Number(process.hrtime.bigint() - start) / 1e6;
  const pods = cluster.store.count(resourceTypeByKey('pods')!);
  const slices = cluster.store.count(resourceTypeByKey('endpointslices.discovery.k8s.io')!);
  console.log(`import: settled (controllers, kube-proxy on every node): ${(total - imported).toFixed(0)} ms (CPU ${(cpuMs() - cpu - importCpu).toFixed(0)} ms); import and settle: ${total.toFixed(0)} ms`);
  console.log(`import: load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  console.log(`import: after the settle: ${pods} pods (${pods === SERVICES * REPLICAS ? 'none doubled' : 'DOUBLED'}), ${slices} EndpointSlices, faults ${cluster.faults.count ?? 0}`);
})();
