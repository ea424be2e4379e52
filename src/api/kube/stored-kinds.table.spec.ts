import { KubeObject } from '../../cluster/store/types';
import { toTable } from './table';

const NOW = Date.UTC(2026, 0, 1, 0, 10);
const meta = (name: string, extra: Partial<KubeObject['metadata']> = {}) => ({
  name,
  namespace: 'default',
  uid: 'u',
  resourceVersion: '1',
  generation: 1,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});
const table = (kind: string, o: Record<string, unknown>) => {
  const t = toTable(kind, [{ apiVersion: 'v1', kind, metadata: meta('x'), ...o } as KubeObject], NOW, '1');
  // What `kubectl get` prints without `-o wide`: the priority-0 columns.
  const shown = t.columnDefinitions.map((c) => c.priority === 0);
  return { columns: t.columnDefinitions.filter((_, i) => shown[i]).map((c) => c.name), cells: t.rows[0].cells.filter((_, i) => shown[i]) };
};

describe('kubectl columns of the stored kinds', () => {
  it.each([
    ['ConfigMap', { data: { a: '1' }, binaryData: { b: 'eA==' } }, ['Name', 'Data', 'Age'], ['x', 2, '10m']],
    ['Secret', { type: 'Opaque', data: { a: 'YQ==' } }, ['Name', 'Type', 'Data', 'Age'], ['x', 'Opaque', 1, '10m']],
    ['ServiceAccount', {}, ['Name', 'Secrets', 'Age'], ['x', 0, '10m']],
    [
      'NetworkPolicy',
      { spec: { podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] } } },
      ['Name', 'Pod-Selector', 'Age'],
      ['x', 'app=web,tier in (a,b)', '10m'],
    ],
    [
      'Ingress',
      { spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example' }, { host: 'b.example' }], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '172.18.0.5' }] } } },
      ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age'],
      ['x', 'nginx', 'a.example,b.example', '172.18.0.5', '80, 443', '10m'],
    ],
    [
      'PersistentVolumeClaim',
      { spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } },
      ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age'],
      ['x', 'Pending', '', '', '', '', '<unset>', '10m'],
    ],
    [
      'Job',
      { spec: { completions: 3 }, status: { succeeded: 1, startTime: '2026-01-01T00:05:00Z' } },
      ['Name', 'Status', 'Completions', 'Duration', 'Age'],
      ['x', 'Running', '1/3', '5m', '10m'],
    ],
    [
      'CronJob',
      { spec: { schedule: '*/5 * * * *' } },
      ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age'],
      ['x', '*/5 * * * *', '<none>', 'False', 0, '<none>', '10m'],
    ],
    [
      'HorizontalPodAutoscaler',
      { spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] } },
      ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
      ['x', 'Deployment/web', 'cpu: <unknown>/80%', '1', 5, 0, '10m'],
    ],
    [
      'PodDisruptionBudget',
      { spec: { minAvailable: 2 } },
      ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
      ['x', '2', 'N/A', 0, '10m'],
    ],
    [
      'RoleBinding',
      { roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'app' }] },
      ['Name', 'Role', 'Age'],
      ['x', 'Role/reader', '10m'],
    ],
    ['Role', {}, ['Name', 'Created At'], ['x', '2026-01-01T00:00:00Z']],
  ])('%s', (kind, object, columns, cells) => {
    const t = table(kind, object);
    expect(t.columns).toEqual(columns);
    expect(t.cells).toEqual(cells);
  });

  it('marks the default StorageClass as kubectl shows it', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: meta('standard', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }), provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
    expect(toTable('StorageClass', [sc as KubeObject], NOW, '1').rows[0].cells).toEqual(['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '10m']);
  });
});
