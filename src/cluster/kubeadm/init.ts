import { DomainError } from '../../common/domain-error';
import { Cluster } from '../cluster';
import { NodeStatus } from '../resources/node.types';
import { resourceTypeByKey } from '../store/resource-types';
import { ObjectInput } from '../store/types';
import { KUBERNETES_VERSION } from '../version';
import { controlPlaneManifests } from './control-plane';

const nodes = resourceTypeByKey('nodes')!;

/** kubeadm's config API groups a cluster file may hold an `InitConfiguration` of. */
const KUBEADM_API_VERSIONS = ['kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta3'];

/** Is this document a kubeadm `InitConfiguration` (what `kubeadm init --config` reads)? */
export function isInitConfiguration(o: ObjectInput): boolean {
  return KUBEADM_API_VERSIONS.includes(String(o.apiVersion)) && o.kind === 'InitConfiguration';
}

interface InitConfiguration {
  nodeRegistration?: { name?: unknown };
  localAPIEndpoint?: { advertiseAddress?: unknown; bindPort?: unknown };
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID', `InitConfiguration: ${field}: ${message}`, { field, kind: 'InitConfiguration' });
}

/**
 * `kubeadm init`'s control-plane and etcd phases on one node of the cluster:
 * the four static pod manifests go to that node's kubelet, which runs them
 * and publishes their mirror pods (`etcd-NODE`, `kube-apiserver-NODE`, ...).
 * `nodeRegistration.name` names the node (it must exist);
 * `localAPIEndpoint.advertiseAddress` defaults to its InternalIP and
 * `bindPort` to 6443. Returns the manifest files written.
 */
export function kubeadmInit(cluster: Cluster, document: ObjectInput): string[] {
  const config = document as ObjectInput & InitConfiguration;
  const name = config.nodeRegistration?.name;
  if (typeof name !== 'string' || !name) throw invalid('nodeRegistration.name', 'Required value: the control-plane node');
  const node = cluster.store.tryGet(nodes, undefined, name);
  if (!node) throw invalid('nodeRegistration.name', `Not found: "${name}": no such node in the cluster file`);
  const internalIP = ((node.status ?? {}) as NodeStatus).addresses?.find((a) => a.type === 'InternalIP')?.address;
  const endpoint = config.localAPIEndpoint ?? {};
  const advertiseAddress = endpoint.advertiseAddress ?? internalIP;
  if (typeof advertiseAddress !== 'string' || !advertiseAddress) throw invalid('localAPIEndpoint.advertiseAddress', `Required value: node ${name} has no InternalIP`);
  const bindPort = endpoint.bindPort ?? 6443;
  if (typeof bindPort !== 'number' || !Number.isInteger(bindPort) || bindPort < 1 || bindPort > 65535) {
    throw invalid('localAPIEndpoint.bindPort', `Invalid value: ${JSON.stringify(bindPort)}: must be between 1 and 65535, inclusive`);
  }
  const manifests = controlPlaneManifests({
    nodeName: name,
    advertiseAddress,
    bindPort,
    serviceSubnet: cluster.pools.clusterIps.cidr,
    podSubnet: cluster.pools.podCidrs.clusterCidr,
    kubernetesVersion: KUBERNETES_VERSION.gitVersion,
    clusterName: 'kind',
  });
  cluster.kubelets.staticPods.putManifests(name, manifests);
  return manifests.map((m) => m.file);
}
