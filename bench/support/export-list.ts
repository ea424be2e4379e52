const NODES = 100;
const SERVICES = Number(process.env.SERVICES ?? 1000);
const REPLICAS = 10;

/** The export's size: 100 nodes, SERVICES Services (1,000 by default) of 10 pods each. */
export const EXPORT_SIZE = { NODES, SERVICES, REPLICAS };

const uid = (kind: number, i: number) => `00000000-0000-4000-8000-${kind.toString(16).padStart(4, '0')}${i.toString(16).padStart(8, '0')}`;
const nodeName = (n: number) => `node-${String(n).padStart(3, '0')}`;

/**
 * What `kubectl get -A -o json` prints for a large cluster: the nodes, one
 * Namespace, and per Service its Deployment, ReplicaSet, 10 running pods with
 * their IPs and its EndpointSlice (bench/import.ts, bench/snapshot.ts).
 */
export function exportList(): unknown {
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

