import { parse, Root, Type } from 'protobufjs';
import { APPS_V1_PROTO, BATCH_V1_PROTO } from './apps-batch.proto';
import { CORE_V1_PROTO } from './core.proto';
import { CORE_V1_POD_PROTO } from './core-pod.proto';
import { INTSTR_PROTO, META_PROTO, META_V1_PROTO, RESOURCE_PROTO } from './meta.proto';
import {
  AUTHENTICATION_V1_PROTO,
  AUTHORIZATION_V1_PROTO,
  AUTOSCALING_V1_PROTO,
  NETWORKING_V1_PROTO,
  POLICY_V1_PROTO,
  RBAC_V1_PROTO,
  SCHEDULING_V1_PROTO,
} from './other-groups.proto';

/** The message that holds each kind kube-netsim decodes from protobuf, by `apiVersion/kind`. */
const MESSAGE_OF_KIND: Readonly<Record<string, string>> = {
  'v1/Pod': 'k8s.io.api.core.v1.Pod',
  'v1/Service': 'k8s.io.api.core.v1.Service',
  'v1/Namespace': 'k8s.io.api.core.v1.Namespace',
  'v1/Node': 'k8s.io.api.core.v1.Node',
  'v1/ConfigMap': 'k8s.io.api.core.v1.ConfigMap',
  'v1/Secret': 'k8s.io.api.core.v1.Secret',
  'v1/ServiceAccount': 'k8s.io.api.core.v1.ServiceAccount',
  'v1/ResourceQuota': 'k8s.io.api.core.v1.ResourceQuota',
  'apps/v1/Deployment': 'k8s.io.api.apps.v1.Deployment',
  'apps/v1/ReplicaSet': 'k8s.io.api.apps.v1.ReplicaSet',
  'apps/v1/DaemonSet': 'k8s.io.api.apps.v1.DaemonSet',
  'batch/v1/Job': 'k8s.io.api.batch.v1.Job',
  'batch/v1/CronJob': 'k8s.io.api.batch.v1.CronJob',
  'autoscaling/v1/HorizontalPodAutoscaler': 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget': 'k8s.io.api.policy.v1.PodDisruptionBudget',
  'policy/v1/Eviction': 'k8s.io.api.policy.v1.Eviction',
  'rbac.authorization.k8s.io/v1/Role': 'k8s.io.api.rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'k8s.io.api.rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'k8s.io.api.rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'k8s.io.api.rbac.v1.ClusterRoleBinding',
  'networking.k8s.io/v1/Ingress': 'k8s.io.api.networking.v1.Ingress',
  'scheduling.k8s.io/v1/PriorityClass': 'k8s.io.api.scheduling.v1.PriorityClass',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'k8s.io.api.authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'k8s.io.api.authorization.v1.SelfSubjectRulesReview',
  'authentication.k8s.io/v1/TokenRequest': 'k8s.io.api.authentication.v1.TokenRequest',
  'authentication.k8s.io/v1/SelfSubjectReview': 'k8s.io.api.authentication.v1.SelfSubjectReview',
};

let root: Root | undefined;

/** All our schema texts in one protobufjs root, resolved (a missing type or a duplicate field number throws). */
export function kubernetesProtoRoot(): Root {
  if (root === undefined) {
    const r = new Root();
    const texts = [META_PROTO, RESOURCE_PROTO, INTSTR_PROTO, META_V1_PROTO, CORE_V1_POD_PROTO, CORE_V1_PROTO, APPS_V1_PROTO, BATCH_V1_PROTO];
    texts.push(AUTOSCALING_V1_PROTO, POLICY_V1_PROTO, RBAC_V1_PROTO, NETWORKING_V1_PROTO, SCHEDULING_V1_PROTO, AUTHORIZATION_V1_PROTO, AUTHENTICATION_V1_PROTO);
    for (const text of texts) {
      parse(text, r, { keepCase: true });
    }
    r.resolveAll();
    root = r;
  }
  return root;
}

/** The message type of `apiVersion/kind`, or undefined for a kind we have no schema for. */
export function messageTypeOf(apiVersion: string, kind: string): Type | undefined {
  // DeleteOptions is registered in every group version (kubectl drain sends it as v1).
  const name = kind === 'DeleteOptions' ? 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions' : MESSAGE_OF_KIND[`${apiVersion}/${kind}`];
  return name === undefined ? undefined : kubernetesProtoRoot().lookupType(name);
}

/** `apiVersion/kind` of every kind kube-netsim decodes from protobuf (for docs and tests). */
export function protobufKinds(): string[] {
  return [...Object.keys(MESSAGE_OF_KIND), 'meta.k8s.io/v1/DeleteOptions'];
}
