import type { NameRule, ResourceType } from './resource-types';

/**
 * The built-in kinds an ordinary manifest holds that kube-netsim stores and
 * serves as the API server does (validation of metadata, every verb, watch,
 * selectors, kubectl's columns). Some have a controller of ours (Jobs,
 * CronJobs, StatefulSets, volumes: docs/kinds.md says which); the rest are
 * kept and served only. Short names, scopes, categories and name rules are
 * upstream's (v1.32).
 */
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface KindSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  hasStatus?: boolean;
  hasScale?: boolean;
  categories?: string[];
  nameRule?: NameRule;
}

function kind(k: KindSpec): ResourceType {
  return {
    group: k.group,
    version: k.version,
    kind: k.kind,
    listKind: `${k.kind}List`,
    plural: k.plural,
    singular: k.kind.toLowerCase(),
    namespaced: k.namespaced,
    shortNames: k.shortNames ?? [],
    verbs: ALL_VERBS,
    hasStatus: k.hasStatus ?? false,
    ...(k.hasScale ? { hasScale: true } : {}),
    ...(k.categories ? { categories: k.categories } : {}),
    nameRule: k.nameRule ?? 'dns1123-subdomain',
  };
}

const ALL = ['all'];

export const STORED_KINDS: readonly ResourceType[] = [
  // core/v1
  kind({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  kind({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
  kind({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] }),
  kind({ group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], hasStatus: true }),
  kind({ group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], hasStatus: true }),
  kind({
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    hasStatus: true,
    hasScale: true,
    categories: ALL,
  }),
  kind({ group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] }),
  kind({ group: '', version: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], hasStatus: true }),
  // apps/v1
  kind({
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
    shortNames: ['sts'],
    hasStatus: true,
    hasScale: true,
    categories: ALL,
    nameRule: 'dns1123-label',
  }),
  kind({ group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true }),
  // autoscaling/v2
  kind({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    hasStatus: true,
    categories: ALL,
  }),
  // batch/v1
  kind({ group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], hasStatus: true, categories: ALL }),
  kind({ group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, hasStatus: true, categories: ALL }),
  // networking.k8s.io/v1
  kind({ group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false }),
  kind({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], hasStatus: true }),
  kind({ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] }),
  // policy/v1
  kind({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], hasStatus: true }),
  // rbac.authorization.k8s.io/v1
  ...(['ClusterRoleBinding', 'ClusterRole', 'RoleBinding', 'Role'] as const).map((k) =>
    kind({
      group: 'rbac.authorization.k8s.io',
      version: 'v1',
      kind: k,
      plural: `${k.toLowerCase()}s`,
      namespaced: !k.startsWith('Cluster'),
      nameRule: 'path-segment',
    }),
  ),
  // scheduling.k8s.io/v1
  kind({ group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }),
  // storage.k8s.io/v1
  kind({ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] }),
];
