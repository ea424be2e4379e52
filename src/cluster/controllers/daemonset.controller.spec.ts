import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodSpec } from '../resources/pod.types';
import { DaemonSetStrategy } from '../resources/workload.strategy';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { DaemonSetController } from './daemonset.controller';
import { effectiveTaints, matchesNodeSelectorTerms, toleratesTaint } from './node-selection';
import { isPodReady } from './pod-template';

const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const nodes = t('nodes');
const daemonsets = t('daemonsets.apps');

function setup(nodeNames: string[], clusterCidr?: string): Cluster {
  const c = newCluster(clusterCidr ? { clusterCidr } : {});
  c.store.registerStrategy(daemonsets, new DaemonSetStrategy());
  // Once Cluster wires the workload controllers itself, the specs use those.
  if (!c.controllers.names().includes('daemonset-controller')) c.controllers.add(new DaemonSetController(c.store));
  for (const name of nodeNames) c.store.create(nodes, { metadata: { name } });
  return c;
}

function daemonSet(name: string, podSpec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      ...extra,
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...podSpec } },
    },
  };
}

const dsPods = (c: Cluster) => c.store.list(pods, { namespace: 'kube-system' }).items;
const live = (c: Cluster) => dsPods(c).filter((p) => !p.metadata.deletionTimestamp);
const nodeOf = (p: KubeObject) => (p.spec as PodSpec).nodeName;
const placement = (c: Cluster) => live(c).map(nodeOf).sort();
const dsStatus = (c: Cluster, name = 'agent') => c.store.get(daemonsets, 'kube-system', name).status;
const imageOf = (p: KubeObject) => (p.spec as PodSpec).containers[0].image;

describe('DaemonSetController', () => {
  it('runs one pod per node, bound to it by node affinity and nodeName, with the daemon tolerations', () => {
    const c = setup(['n1', 'n2']);
    const ds = c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    expect(ds.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    expect(ds.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect(placement(c)).toEqual(['n1', 'n2']);
    const pod = live(c).find((p) => nodeOf(p) === 'n1')!;
    expect(pod.metadata.name).toMatch(/^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toEqual({ app: 'agent', 'controller-revision-hash': expect.stringMatching(/^[bcdfghjklmnpqrstvwxz2456789]+$/), 'pod-template-generation': '1' });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const spec = pod.spec as PodSpec & { affinity?: unknown };
    expect(spec.affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } },
    });
    expect(spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(live(c).every(isPodReady)).toBe(true);
    expect(dsStatus(c)).toEqual({
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 2,
      observedGeneration: 1,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
  });

  it('follows a new node, and deletes the pod of a removed node at once', () => {
    const c = setup(['n1', 'n2']);
    c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    c.store.create(nodes, { metadata: { name: 'n3' } });
    expect(placement(c)).toEqual(['n1', 'n2', 'n3']);
    expect(dsStatus(c)).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3 });
    c.store.delete(nodes, undefined, 'n2');
    expect(dsPods(c).map(nodeOf).sort()).toEqual(['n1', 'n3']); // no kubelet is left to finish a graceful deletion
    expect(dsStatus(c)).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2 });
  });

  it('honours nodeSelector as node labels change; a pod that no longer fits terminates', () => {
    const c = setup(['n1', 'n2']);
    c.store.patch(nodes, undefined, 'n1', { metadata: { labels: { disk: 'ssd' } } });
    c.store.create(daemonsets, daemonSet('agent', { nodeSelector: { disk: 'ssd' } }), 'kube-system');
    expect(placement(c)).toEqual(['n1']);
    c.store.patch(nodes, undefined, 'n2', { metadata: { labels: { disk: 'ssd' } } });
    expect(placement(c)).toEqual(['n1', 'n2']);
    c.store.patch(nodes, undefined, 'n1', { metadata: { labels: { disk: null } } });
    expect(placement(c)).toEqual(['n2']);
    expect(dsStatus(c)).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 1 });
    c.advance(30); // the terminating pod on n1 is gone
    expect(dsPods(c).map(nodeOf)).toEqual(['n2']);
    expect(dsStatus(c)).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0 });
  });

  it('keeps off tainted nodes unless tolerated; a NoExecute taint evicts; cordoned nodes still get a pod', () => {
    const c = setup(['n1', 'n2']);
    c.store.patch(nodes, undefined, 'n2', { spec: { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] } });
    c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    c.store.create(daemonsets, daemonSet('infra', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }] }), 'kube-system');
    const on = (name: string) => live(c).filter((p) => p.metadata.labels?.app === name).map(nodeOf).sort();
    expect(on('agent')).toEqual(['n1']);
    expect(on('infra')).toEqual(['n1', 'n2']);

    c.store.patch(nodes, undefined, 'n1', { spec: { unschedulable: true } });
    expect(on('agent')).toEqual(['n1']);

    c.store.patch(nodes, undefined, 'n1', { spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } });
    expect(on('agent')).toEqual([]);
    expect(on('infra')).toEqual(['n2']);
    expect(dsStatus(c)).toMatchObject({ desiredNumberScheduled: 0, numberMisscheduled: 1 });
  });

  it('keeps non-hostNetwork pods off a node whose network is unavailable', () => {
    // A /24 cluster CIDR has one node block: the second node gets NetworkUnavailable (CIDRNotAvailable).
    const c = setup(['n1', 'n2'], '10.244.0.0/24');
    expect(effectiveTaints(c.store.get(nodes, undefined, 'n2'))).toEqual([{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    c.store.create(daemonsets, daemonSet('proxy', { hostNetwork: true }), 'kube-system');
    const on = (name: string) => live(c).filter((p) => p.metadata.labels?.app === name).map(nodeOf).sort();
    expect(on('agent')).toEqual(['n1']);
    expect(on('proxy')).toEqual(['n1', 'n2']);
    const proxy = live(c).find((p) => p.metadata.labels?.app === 'proxy')!;
    expect((proxy.spec as PodSpec).tolerations).toContainEqual({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  });

  it('rolls a template change out one node at a time (maxUnavailable 1), each old pod terminating first', () => {
    const c = setup(['n1', 'n2', 'n3']);
    c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    let worst = 0;
    const stop = c.store.subscribe(() => {
      const served = new Set(live(c).filter(isPodReady).map(nodeOf));
      worst = Math.max(worst, 3 - served.size);
    });
    c.store.patch(daemonsets, 'kube-system', 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } }, { patchType: 'strategic' });
    expect(c.store.get(daemonsets, 'kube-system', 'agent').metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '2' });
    const updated = () => (dsStatus(c) as { updatedNumberScheduled?: number }).updatedNumberScheduled ?? 0;
    const trace = [updated()];
    for (let i = 0; i < 3; i++) {
      c.advance(1); // each old pod exits on SIGTERM 1 s after its delete
      trace.push(updated());
    }
    stop();
    expect(trace).toEqual([0, 1, 2, 3]);
    expect(worst).toBe(1);
    expect(dsPods(c).map(imageOf)).toEqual(['agent:2', 'agent:2', 'agent:2']);
    expect(dsPods(c).every((p) => p.metadata.labels?.['pod-template-generation'] === '2')).toBe(true);
    expect(dsStatus(c)).toEqual({
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 2,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
  });

  it('with maxSurge, starts the new pod beside the old one and never leaves a node unserved', () => {
    const c = setup(['n1', 'n2', 'n3']);
    c.store.create(daemonsets, daemonSet('agent', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }), 'kube-system');
    let worst = 0;
    const stop = c.store.subscribe(() => {
      const served = new Set(live(c).filter(isPodReady).map(nodeOf));
      worst = Math.max(worst, 3 - served.size);
    });
    c.store.patch(daemonsets, 'kube-system', 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } }, { patchType: 'strategic' });
    stop();
    expect(worst).toBe(0);
    expect(live(c).map(imageOf)).toEqual(['agent:2', 'agent:2', 'agent:2']);
    expect(placement(c)).toEqual(['n1', 'n2', 'n3']);
    c.advance(30);
    expect(dsPods(c)).toHaveLength(3);
  });

  it('OnDelete: a template change waits until pods are deleted', () => {
    const c = setup(['n1']);
    c.store.create(daemonsets, daemonSet('agent', {}, { updateStrategy: { type: 'OnDelete' } }), 'kube-system');
    c.store.patch(daemonsets, 'kube-system', 'agent', { spec: { template: { spec: { containers: [{ name: 'agent', image: 'agent:2' }] } } } }, { patchType: 'strategic' });
    expect(live(c).map(imageOf)).toEqual(['agent:1']);
    expect(dsStatus(c)).toEqual({
      currentNumberScheduled: 1,
      numberMisscheduled: 0,
      desiredNumberScheduled: 1,
      numberReady: 1,
      observedGeneration: 2,
      numberAvailable: 1,
    });
    c.store.delete(pods, 'kube-system', live(c)[0].metadata.name);
    c.advance(30);
    expect(live(c).map(imageOf)).toEqual(['agent:2']);
  });

  it('deletes its pods when deleted', () => {
    const c = setup(['n1', 'n2']);
    c.store.create(daemonsets, daemonSet('agent'), 'kube-system');
    c.store.delete(daemonsets, 'kube-system', 'agent');
    expect(live(c)).toEqual([]);
    c.advance(30);
    expect(dsPods(c)).toEqual([]);
  });

  it('matches tolerations and node selector terms as upstream does', () => {
    expect(toleratesTaint({ operator: 'Exists' }, { key: 'a', effect: 'NoSchedule' })).toBe(true);
    expect(toleratesTaint({ key: 'a', operator: 'Equal', value: 'x' }, { key: 'a', value: 'y', effect: 'NoSchedule' })).toBe(false);
    expect(toleratesTaint({ key: 'a', value: 'x' }, { key: 'a', value: 'x', effect: 'NoExecute' })).toBe(true);
    expect(toleratesTaint({ key: 'a', operator: 'Exists', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' })).toBe(false);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '', labels: { zone: 'a', cores: '8' } } };
    expect(matchesNodeSelectorTerms([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }], node)).toBe(true);
    expect(matchesNodeSelectorTerms([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }], node)).toBe(true);
    expect(matchesNodeSelectorTerms([{}], node)).toBe(false);
  });
});
