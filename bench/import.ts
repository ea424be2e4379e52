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

const NODES = 100;
const SERVICES = Number(process.env.SERVICES ?? 1000);
const REPLICAS = 10;

const uid = (kind: number, i: number) => `00000000-0000-4000-8000-${kind.toString(16).padStart(4, '0')}${i.toString(16).padStart(8, '0')}`;
const nodeName = (n: number) => `node-${String(n).padStart(3, '0')}`;

function exportList(): unknown {
  const items: unknown[] = [];
  for (let n = 0; n < NODES; n++) {
    items.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName(n), uid: uid(1, n), labels: { 'kubernetes.io/hostname': nodeName(n) } },
      spec: { podCIDR: `10.244.${n}.0/24`, podCIDRs: [`10.244.${n}.0/24`] },
      status: { addresses: [{ type: 'InternalIP', address: `172.18.${1 + (n >> 8)}.${n & 255}` }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
    });
  }
  items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', uid: uid(2, 0) } });
  let pod = 0;
  for (let s = 0; s < SERVICES; s++) {
    const app = `app-${s}`;
    const labels = { app, 'pod-template-hash': 'abcde1234' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } };
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app, namespace: 'default', uid: uid(3, s) },
      spec: { clusterIP: `10.96.${1 + (s >> 8)}.${s & 255}`, clusterIPs: [`10.96.${1 + (s >> 8)}.${s & 255}`], selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app, namespace: 'default', uid: uid(4, s) },
      spec: { replicas: REPLICAS, selector: { matchLabels: { app } }, template: { ...template, metadata: { labels: { app } } } },
    });
    const rs = `${app}-abcde1234`;
    items.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rs, namespace: 'default', uid: uid(5, s), labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: uid(4, s), controller: true, blockOwnerDeletion: true }] },
      spec: { replicas: REPLICAS, selector: { matchLabels: labels }, template },
    });
    const endpoints: unknown[] = [];
    for (let r = 0; r < REPLICAS; r++, pod++) {
      const n = pod % NODES;
      const ip = `10.244.${n}.${2 + Math.floor(pod / NODES)}`;
      const name = `${rs}-p${r}`;
      items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', uid: uid(6, pod), labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: uid(5, s), controller: true, blockOwnerDeletion: true }] },
        spec: { ...template.spec, nodeName: nodeName(n) },
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'app', image: 'nginx:1.27', ready: true, restartCount: 0, started: true, state: { running: {} } }],
        },
      });
      endpoints.push({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: nodeName(n), targetRef: { kind: 'Pod', name, namespace: 'default', uid: uid(6, pod) } });
    }
    items.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${app}-xxxxx`,
        namespace: 'default',
        uid: uid(7, s),
        labels: { 'kubernetes.io/service-name': app, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: app, uid: uid(3, s), controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints,
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

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
