import { DomainError } from '../../common/domain-error';
import { AddressPools } from '../../ipam/address-pools';
import { NodeSpec, NodeStatus } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;
const events = resourceTypeByKey('events')!;

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The kubelets of all nodes: each starts the pods bound to its node — an IP
 * from the node's host-local IPAM (the node's own address for `hostNetwork`
 * pods), phase `Running`, containers ready — and frees the IP when the pod is
 * gone. A pod that cannot get an address stays `Pending`, with the
 * `FailedCreatePodSandBox` event a real kubelet records.
 */
export class KubeletController implements Controller {
  readonly name = 'kubelet';
  private readonly queue = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly pools: AddressPools,
  ) {}

  observe(event: StoredEvent): void {
    if (event.resource === 'pods') {
      const pod = event.object;
      const spec = pod.spec as PodSpec;
      if (event.type === 'DELETED') {
        this.release(pod);
        return;
      }
      if (spec.nodeName && !(pod.status as PodStatus | undefined)?.podIP) {
        this.queue.add(podKey(pod.metadata.namespace!, pod.metadata.name));
      }
    } else if (event.resource === 'nodes' && event.type === 'ADDED') {
      // Pods bound before their node registered start now.
      for (const pod of this.store.list(pods).items) {
        if ((pod.spec as PodSpec).nodeName === event.object.metadata.name) {
          this.queue.add(podKey(pod.metadata.namespace!, pod.metadata.name));
        }
      }
    }
  }

  reconcile(): boolean {
    if (this.queue.size === 0) return false;
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (const key of keys) {
      const [namespace, name] = key.split('/');
      const pod = this.store.tryGet(pods, namespace, name);
      if (pod && !(pod.status as PodStatus).podIP) this.startPod(pod);
    }
    return true;
  }

  private startPod(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    const node = this.store.tryGet(nodes, undefined, spec.nodeName!);
    if (!node) return; // waits for its node to register
    const nodeSpec = (node.spec ?? {}) as NodeSpec;
    const hostIP = ((node.status ?? {}) as NodeStatus).addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!hostIP) return;
    let podIP: string;
    if (spec.hostNetwork) {
      podIP = hostIP;
    } else {
      if (!nodeSpec.podCIDR) {
        this.recordSandboxFailure(pod, `network is not ready: node ${node.metadata.name} pod cidr not assigned`);
        return;
      }
      try {
        podIP = this.pools.nodeIpam(node.metadata.name, nodeSpec.podCIDR).allocate(pod.metadata.uid);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        this.recordSandboxFailure(pod, `failed to allocate for range 0: ${e.message}`);
        return;
      }
    }
    const now = this.store.now();
    const status: PodStatus = {
      ...(pod.status as PodStatus),
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      })),
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP,
      podIPs: [{ ip: podIP }],
      startTime: now,
      containerStatuses: spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        containerID: `containerd://${pod.metadata.uid.replace(/-/g, '')}${c.name}`.slice(0, 77),
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    };
    this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status }, { owned: true });
  }

  private release(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    if (!spec.nodeName || spec.hostNetwork) return;
    this.pools.existingNodeIpam(spec.nodeName)?.release(pod.metadata.uid);
  }

  private recordSandboxFailure(pod: KubeObject, reason: string): void {
    const now = this.store.now();
    const existing = this.store
      .list(events, { namespace: pod.metadata.namespace })
      .items.find((e) => (e.involvedObject as { uid?: string }).uid === pod.metadata.uid && e.reason === 'FailedCreatePodSandBox');
    if (existing) return;
    this.store.create(
      events,
      {
        metadata: { generateName: `${pod.metadata.name}.` },
        involvedObject: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1' },
        reason: 'FailedCreatePodSandBox',
        message: `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type="flannel" failed (add): failed to delegate add: ${reason}`,
        type: 'Warning',
        source: { component: 'kubelet', host: (pod.spec as PodSpec).nodeName },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
      pod.metadata.namespace,
    );
  }
}
