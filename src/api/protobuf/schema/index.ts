import { parse, Root, Type } from 'protobufjs';
import { APPS_V1_PROTO, BATCH_V1_PROTO } from './apps-batch.proto';
import { CORE_V1_PROTO } from './core.proto';
import { INTSTR_PROTO, META_PROTO, META_V1_PROTO, RESOURCE_PROTO } from './meta.proto';

/** The message that holds each kind kube-netsim decodes from protobuf, by `apiVersion/kind`. */
const MESSAGE_OF_KIND: Readonly<Record<string, string>> = {
  'v1/Pod': 'k8s.io.api.core.v1.Pod',
  'v1/Service': 'k8s.io.api.core.v1.Service',
  'v1/Namespace': 'k8s.io.api.core.v1.Namespace',
  'v1/Node': 'k8s.io.api.core.v1.Node',
  'v1/ConfigMap': 'k8s.io.api.core.v1.ConfigMap',
  'v1/Secret': 'k8s.io.api.core.v1.Secret',
  'v1/ServiceAccount': 'k8s.io.api.core.v1.ServiceAccount',
  'apps/v1/Deployment': 'k8s.io.api.apps.v1.Deployment',
  'apps/v1/ReplicaSet': 'k8s.io.api.apps.v1.ReplicaSet',
  'apps/v1/DaemonSet': 'k8s.io.api.apps.v1.DaemonSet',
  'batch/v1/Job': 'k8s.io.api.batch.v1.Job',
  'batch/v1/CronJob': 'k8s.io.api.batch.v1.CronJob',
};

let root: Root | undefined;

/** All our schema texts in one protobufjs root, resolved (a missing type or a duplicate field number throws). */
export function kubernetesProtoRoot(): Root {
  if (root === undefined) {
    const r = new Root();
    for (const text of [META_PROTO, RESOURCE_PROTO, INTSTR_PROTO, META_V1_PROTO, CORE_V1_PROTO, APPS_V1_PROTO, BATCH_V1_PROTO]) {
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
