/** [group, version, kind] of every kind kube-netsim serves (kept equal to RESOURCE_TYPES by a unit spec). */
export const SERVED_KINDS = [
  ['', 'v1', 'Namespace'], ['', 'v1', 'Node'], ['', 'v1', 'Pod'], ['', 'v1', 'Service'], ['', 'v1', 'Endpoints'], ['', 'v1', 'Event'],
  ['', 'v1', 'ConfigMap'], ['', 'v1', 'Secret'], ['', 'v1', 'ServiceAccount'], ['', 'v1', 'PersistentVolume'], ['', 'v1', 'PersistentVolumeClaim'],
  ['', 'v1', 'ReplicationController'], ['', 'v1', 'LimitRange'], ['', 'v1', 'ResourceQuota'],
  ['discovery.k8s.io', 'v1', 'EndpointSlice'],
  ['apps', 'v1', 'Deployment'], ['apps', 'v1', 'ReplicaSet'], ['apps', 'v1', 'DaemonSet'], ['apps', 'v1', 'StatefulSet'], ['apps', 'v1', 'ControllerRevision'],
  ['coordination.k8s.io', 'v1', 'Lease'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler'],
  ['batch', 'v1', 'CronJob'], ['batch', 'v1', 'Job'],
  ['networking.k8s.io', 'v1', 'IngressClass'], ['networking.k8s.io', 'v1', 'Ingress'], ['networking.k8s.io', 'v1', 'NetworkPolicy'],
  ['policy', 'v1', 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io', 'v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding'], ['rbac.authorization.k8s.io', 'v1', 'Role'],
  ['scheduling.k8s.io', 'v1', 'PriorityClass'],
  ['storage.k8s.io', 'v1', 'StorageClass'],
];
