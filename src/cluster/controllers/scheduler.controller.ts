import { milliCpu, parseQuantity } from '../resources/quantity';
import { NodeSpec, NodeStatus, NodeTaint } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, SteppedBatch, Steps, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import { effectiveTaints, matchesRequiredNodeAffinity, toleratesTaint } from './node-selection';
import { Affinity } from '../resources/workload.types';
import { podVolumes } from './volume-binding';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;

/** What the scheduler assumes a container without requests uses, when scoring (upstream's non-zero defaults). */
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

interface NodeUsage {
  cpu: number;
  memory: number;
  pods: number;
  /** With upstream's non-zero defaults for containers without requests, for scoring. */
  scoreCpu: number;
  scoreMemory: number;
}

function podRequests(spec: PodSpec, withDefaults: boolean): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of spec.containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    const cpuRequest = milliCpu(requests.cpu ?? limits.cpu);
    const memoryRequest = parseQuantity(requests.memory ?? limits.memory);
    cpu += cpuRequest ?? (withDefaults ? DEFAULT_MILLI_CPU : 0);
    memory += memoryRequest ?? (withDefaults ? DEFAULT_MEMORY : 0);
  }
  return { cpu, memory };
}

function isTerminated(pod: KubeObject): boolean {
  const phase = (pod.status as PodStatus | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function taintText(taint: NodeTaint): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}

/**
 * kube-scheduler's essentials: for each pod without a node, filter the nodes
 * (taints and tolerations, `unschedulable`, nodeSelector and required node
 * affinity, resource requests against allocatable, the pod count), score the
 * rest by least allocation (as upstream, pods without requests count as
 * 100m CPU and 200Mi), bind to the best (ties to the first name), and record
 * `Scheduled`; or mark the pod `Unschedulable` with upstream's message and
 * try again whenever nodes or pods change.
 */
/** The most pods one round of the scheduler binds; the rest wait for the next round. */
export const SCHEDULING_BATCH = 100;

export class SchedulerController implements Controller {
  readonly name = 'default-scheduler';
  private readonly queue = new Set<string>();
  private readonly batch = new SteppedBatch();
  /** Pods that did not fit; retried when the cluster changes. */
  private readonly waiting = new Set<string>();
  /** Those of them held by their claims (see ./volume-binding.ts); retried also when a claim or a volume changes. */
  private readonly waitingOnVolumes = new Set<string>();
  /** What the pods bound to each node request, kept up to date from pod events. */
  private readonly usage = new Map<string, NodeUsage>();
  private readonly allocatableCache = new Map<string, { version: string; cpu: number; memory: number; pods: number }>();
  private readonly taintCache = new Map<string, { version: string; taints: NodeTaint[] }>();
  /** The nodes, in name order; dropped whenever a node changes. */
  private nodeList: KubeObject[] | undefined;

  constructor(private readonly store: ObjectStore) {}

  observe(event: StoredEvent): void {
    if (event.resource === 'pods') {
      if (event.previous) this.account(event.previous, -1);
      this.account(event.object, event.type === 'DELETED' ? -1 : 1);
      const spec = event.object.spec as PodSpec;
      const key = `${event.object.metadata.namespace}/${event.object.metadata.name}`;
      if (event.type === 'DELETED') {
        this.waiting.delete(key);
        this.waitingOnVolumes.delete(key);
        this.retryWaiting();
      } else if (!spec.nodeName && (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' && !event.object.metadata.deletionTimestamp) {
        this.queue.add(key);
      }
    } else if (event.resource === 'nodes') {
      this.nodeList = undefined;
      this.retryWaiting();
    } else if (event.resource === 'persistentvolumeclaims' || event.resource === 'persistentvolumes') {
      for (const key of this.waitingOnVolumes) this.queue.add(key); // a claim bound or created, a volume made
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.batch.run(budget, () => (this.queue.size === 0 ? undefined : this.steps()));
  }

  unfinished(): boolean {
    return this.batch.unfinished;
  }

  /** A bounded batch per round (the real scheduler takes one pod at a time), one pod per step. */
  private *steps(): Steps {
    const keys = [...this.queue].sort().slice(0, SCHEDULING_BATCH);
    for (const key of keys) this.queue.delete(key);
    for (let i = 0; i < keys.length; i++) {
      const [namespace, name] = keys[i].split('/');
      try {
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod && !(pod.spec as PodSpec).nodeName) this.schedule(pod);
      } catch (e) {
        // Reported by the controller manager; this pod is tried again when the cluster changes, the rest next round.
        this.waiting.add(keys[i]);
        for (const key of keys.slice(i + 1)) this.queue.add(key);
        throw e;
      }
      yield;
    }
  }

  private retryWaiting(): void {
    for (const key of this.waiting) this.queue.add(key);
  }

  private schedule(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const spec = pod.spec as PodSpec;
    const allNodes = (this.nodeList ??= this.store.list(nodes).items);
    const reasons = new Map<string, number>();
    const fail = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const usage = this.usageByNode();
    const need = podRequests(spec, false);
    const scoring = podRequests(spec, true);
    const feasible: Array<{ node: KubeObject; score: number }> = [];
    const volumes = podVolumes(this.store, pod);
    if (volumes.refusal !== undefined) {
      // PreFilter: no node is tried, and preemption cannot help.
      const n = allNodes.length;
      this.waiting.add(key);
      this.waitingOnVolumes.add(key);
      this.markUnschedulable(pod, `0/${n} nodes are available: ${volumes.refusal}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`);
      return;
    }

    let heldByVolumes = false;
    for (const node of allNodes) {
      const nodeSpec = (node.spec ?? {}) as NodeSpec;
      const status = (node.status ?? {}) as NodeStatus;
      const unschedulableTaint: NodeTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
      if (nodeSpec.unschedulable && !(spec.tolerations ?? []).some((t) => toleratesTaint(t, unschedulableTaint))) {
        fail('node(s) were unschedulable');
        continue;
      }
      const untolerated = this.taintsOf(node).find(
        (taint) =>
          (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
          taint.key !== 'node.kubernetes.io/unschedulable' &&
          !(spec.tolerations ?? []).some((t) => toleratesTaint(t, taint)),
      );
      if (untolerated) {
        fail(`node(s) had untolerated taint ${taintText(untolerated)}`);
        continue;
      }
      if (!matchesRequiredNodeAffinity(spec as PodSpec & { affinity?: Affinity }, node)) {
        fail("node(s) didn't match Pod's node affinity/selector");
        continue;
      }
      const used = usage.get(node.metadata.name) ?? { cpu: 0, memory: 0, pods: 0, scoreCpu: 0, scoreMemory: 0 };
      const { cpu: cpuAllocatable, memory: memoryAllocatable, pods: podsAllocatable } = this.allocatable(node, status);
      let fits = true;
      if (used.pods + 1 > podsAllocatable) {
        fail('Too many pods');
        fits = false;
      }
      if (need.cpu > 0 && used.cpu + need.cpu > cpuAllocatable) {
        fail('Insufficient cpu');
        fits = false;
      }
      if (need.memory > 0 && used.memory + need.memory > memoryAllocatable) {
        fail('Insufficient memory');
        fits = false;
      }
      if (!fits) continue;
      const volumeReasons = volumes.filter(node);
      if (volumeReasons.length) {
        for (const reason of volumeReasons) fail(reason);
        heldByVolumes = true;
        continue;
      }
      const free = (capacity: number, requested: number) => (capacity <= 0 ? 0 : Math.max(0, ((capacity - requested) * 100) / capacity));
      const score = Math.floor(
        (free(cpuAllocatable, used.scoreCpu + scoring.cpu) + free(memoryAllocatable, used.scoreMemory + scoring.memory)) / 2,
      );
      feasible.push({ node, score });
    }

    if (!feasible.length) {
      const details = [...reasons.entries()].map(([reason, count]) => `${count} ${reason}`).sort();
      const message = `0/${allNodes.length} nodes are available${details.length ? `: ${details.join(', ')}` : ''}.`;
      this.waiting.add(key);
      if (heldByVolumes) this.waitingOnVolumes.add(key);
      this.markUnschedulable(pod, message);
      return;
    }
    feasible.sort((a, b) => b.score - a.score || (a.node.metadata.name < b.node.metadata.name ? -1 : 1));
    if (!volumes.assume(feasible[0].node)) {
      // PreBind: its claims are being bound or provisioned for that node; tried again as they change.
      this.waiting.add(key);
      this.waitingOnVolumes.add(key);
      return;
    }
    this.waiting.delete(key);
    this.waitingOnVolumes.delete(key);
    this.bind(pod, feasible[0].node.metadata.name);
  }

  /** A node's taints, with those derived from its conditions, worked out once per version of the node. */
  private taintsOf(node: KubeObject): NodeTaint[] {
    const cached = this.taintCache.get(node.metadata.name);
    if (cached && cached.version === node.metadata.resourceVersion) return cached.taints;
    const taints = effectiveTaints(node);
    this.taintCache.set(node.metadata.name, { version: node.metadata.resourceVersion, taints });
    return taints;
  }

  /** A node's allocatable resources, parsed once per version of the node. */
  private allocatable(node: KubeObject, status: NodeStatus): { cpu: number; memory: number; pods: number } {
    const cached = this.allocatableCache.get(node.metadata.name);
    if (cached && cached.version === node.metadata.resourceVersion) return cached;
    const a = status.allocatable ?? {};
    const parsed = {
      version: node.metadata.resourceVersion,
      cpu: milliCpu(a.cpu) ?? 0,
      memory: parseQuantity(a.memory) ?? 0,
      pods: parseQuantity(a.pods) ?? 110,
    };
    this.allocatableCache.set(node.metadata.name, parsed);
    return parsed;
  }

  private usageByNode(): Map<string, NodeUsage> {
    return this.usage;
  }

  /** Adds (sign 1) or takes away (-1) what a bound, unfinished pod uses on its node. */
  private account(pod: KubeObject, sign: 1 | -1): void {
    const spec = pod.spec as PodSpec;
    if (!spec.nodeName || isTerminated(pod)) return;
    const real = podRequests(spec, false);
    const scoring = podRequests(spec, true);
    const u = this.usage.get(spec.nodeName) ?? { cpu: 0, memory: 0, pods: 0, scoreCpu: 0, scoreMemory: 0 };
    u.cpu += sign * real.cpu;
    u.memory += sign * real.memory;
    u.scoreCpu += sign * scoring.cpu;
    u.scoreMemory += sign * scoring.memory;
    u.pods += sign;
    this.usage.set(spec.nodeName, u);
  }

  private bind(pod: KubeObject, nodeName: string): void {
    const now = this.store.now();
    const bound = this.store.update(
      pods,
      pod.metadata.namespace,
      pod.metadata.name,
      { ...pod, spec: { ...(pod.spec as PodSpec), nodeName } },
      { owned: true },
    );
    const status = (bound.status ?? {}) as PodStatus;
    this.store.updateStatus(
      pods,
      pod.metadata.namespace,
      pod.metadata.name,
      {
        ...bound,
        status: {
          ...status,
          conditions: [
            ...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          ],
        },
      },
      { owned: true },
    );
    recordEvent(this.store, pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`, {
      component: 'default-scheduler',
    });
  }

  private markUnschedulable(pod: KubeObject, message: string): void {
    const status = (pod.status ?? {}) as PodStatus;
    const existing = status.conditions?.find((c) => c.type === 'PodScheduled');
    if (existing?.status === 'False' && existing.message === message) return;
    this.store.updateStatus(
      pods,
      pod.metadata.namespace,
      pod.metadata.name,
      {
        ...pod,
        status: {
          ...status,
          phase: 'Pending',
          conditions: [
            ...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
            { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: this.store.now(), reason: 'Unschedulable', message },
          ],
        },
      },
      { owned: true },
    );
    recordEvent(this.store, pod, 'Warning', 'FailedScheduling', message, { component: 'default-scheduler' });
  }
}
