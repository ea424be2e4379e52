import { DomainError } from '../../common/domain-error';
import { NodeSpec, NodeStatus } from '../resources/node.types';
import { PodSpec, Toleration } from '../resources/pod.types';
import {
  Affinity,
  CONTROLLER_REVISION_HASH_LABEL,
  DAEMONSET_TEMPLATE_GENERATION_ANNOTATION,
  DaemonSetSpec,
  DaemonSetStatus,
  POD_TEMPLATE_GENERATION_LABEL,
  PodTemplateSpec,
} from '../resources/workload.types';
import { compileSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import { effectiveTaints, hasUntolerated, matchesRequiredNodeAffinity } from './node-selection';
import {
  availableAt,
  byCreation,
  DAEMONSET_BURST,
  claim,
  OwnerWork,
  computeHash,
  controllerRefOf,
  isPodAvailable,
  isPodReady,
  nowMs,
  objectKey,
  OWNED,
  podFromTemplate,
  podStatusOf,
  scaledValue,
  slowStartBatch,
  WakeUps,
  WorkloadControllerOptions,
} from './pod-template';

const daemonsets = resourceTypeByKey('daemonsets.apps')!;
const nodes = resourceTypeByKey('nodes')!;
const pods = resourceTypeByKey('pods')!;

// ---- scheduling predicates -------------------------------------------------------

/**
 * The tolerations every DaemonSet pod gets (`AddOrUpdateDaemonPodTolerations`):
 * it survives a node becoming not ready or unreachable (no time limit), and
 * goes onto nodes under pressure or cordoned; `hostNetwork` pods also onto
 * nodes whose network is not ready.
 */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
export const HOST_NETWORK_DAEMON_TOLERATION: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

const sameToleration = (a: Toleration, b: Toleration) =>
  (a.key ?? '') === (b.key ?? '') && (a.effect ?? '') === (b.effect ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '');

/** `AddOrUpdateTolerationInPodSpec` for each daemon toleration. */
export function addDaemonTolerations(spec: PodSpec): void {
  const wanted = spec.hostNetwork ? [...DAEMON_TOLERATIONS, HOST_NETWORK_DAEMON_TOLERATION] : DAEMON_TOLERATIONS;
  let tolerations = [...(spec.tolerations ?? [])];
  for (const t of wanted) {
    if (tolerations.some((x) => sameToleration(x, t))) tolerations = tolerations.map((x) => (sameToleration(x, t) ? { ...t } : x));
    else tolerations.push({ ...t });
  }
  spec.tolerations = tolerations;
}

/** The pod spec a DaemonSet's pods get before their node is chosen: the template's plus the daemon tolerations. */
export function daemonPodSpec(template: PodTemplateSpec): PodSpec & { affinity?: Affinity } {
  const spec = structuredClone(template.spec ?? ({ containers: [] } as PodSpec)) as PodSpec & { affinity?: Affinity };
  addDaemonTolerations(spec);
  return spec;
}

/**
 * `NodeShouldRunDaemonPod`: whether a pod of the DaemonSet should be placed on
 * the node (template `nodeName`, node selector and affinity, no untolerated
 * `NoSchedule`/`NoExecute` taint), and whether one already there may stay
 * (only an untolerated `NoExecute` taint or a selector mismatch evicts it).
 * `spec` is `daemonPodSpec(template)`.
 */
export function nodeShouldRunDaemonPod(node: KubeObject, spec: PodSpec & { affinity?: Affinity }): { shouldRun: boolean; shouldContinueRunning: boolean } {
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesRequiredNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = effectiveTaints(node);
  const tolerations = spec.tolerations ?? [];
  if (hasUntolerated(taints, tolerations, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: !hasUntolerated(taints, tolerations, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required affinity becomes `metadata.name In [node]`. */
export function replaceNodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [nodeName] }] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** `GetTargetNodeName`: the pod's node, or the one its DaemonSet affinity names. */
function targetNodeName(pod: KubeObject): string {
  const spec = pod.spec as PodSpec & { affinity?: Affinity };
  if (spec.nodeName) return spec.nodeName;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return '';
}

/** `podByCreationTimestampAndPhase`: scheduled first, then oldest, then by name. */
function byCreationAndPhase(a: KubeObject, b: KubeObject): number {
  const sa = Boolean((a.spec as PodSpec).nodeName);
  const sb = Boolean((b.spec as PodSpec).nodeName);
  if (sa !== sb) return sa ? -1 : 1;
  return byCreation(a, b);
}

const isTerminal = (pod: KubeObject) => podStatusOf(pod).phase === 'Succeeded' || podStatusOf(pod).phase === 'Failed';

function nodeChangeMatters(node: KubeObject, previous: KubeObject | undefined): boolean {
  if (!previous) return true;
  const conditions = (n: KubeObject) => Object.fromEntries((((n.status ?? {}) as NodeStatus).conditions ?? []).map((c) => [c.type, c.status]));
  const spec = (n: KubeObject) => (n.spec ?? {}) as NodeSpec;
  return (
    !deepEqual(node.metadata.labels, previous.metadata.labels) ||
    !deepEqual(spec(node).taints, spec(previous).taints) ||
    Boolean(spec(node).unschedulable) !== Boolean(spec(previous).unschedulable) ||
    !deepEqual(conditions(node), conditions(previous))
  );
}

// ---- the controller ----------------------------------------------------------------

interface NodePlan {
  create: string[];
  remove: KubeObject[];
  /** Pods of nodes that are gone: no kubelet will finish a graceful deletion, so they go at once. */
  forceRemove?: KubeObject[];
}

/**
 * The DaemonSet controller: one pod per eligible node (node selector and
 * affinity, taints against the template's tolerations plus the daemon
 * tolerations), following nodes as they come, change and go; pods of a
 * deleted node are deleted. Pods carry the node affinity
 * `metadata.name In [node]` as upstream's do, and also `spec.nodeName`, so
 * they start without the scheduler (see docs/workloads.md). A template
 * change is rolled out with `maxUnavailable` (or `maxSurge`); `OnDelete`
 * waits for pods to be deleted. Deleting a DaemonSet deletes its pods.
 */
export class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private readonly work: OwnerWork;

  constructor(
    private readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
  ) {
    this.work = new OwnerWork(store, daemonsets, pods, (ds) => compileSelector((ds.spec as DaemonSetSpec).selector), new WakeUps(options.wakeUp), { onFault: options.onFault, name: 'daemonset-controller' });
    this.work.scan();
  }

  /** Records an Event about `object` from this controller (`source.component` is the controller's name). */
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, object, type, reason, message, { component: this.name });
  }

  observe(event: StoredEvent): void {
    switch (event.resource) {
      case 'daemonsets.apps':
        this.work.ownerEvent(event);
        break;
      case 'nodes':
        if (event.type !== 'MODIFIED' || nodeChangeMatters(event.object, event.previous)) {
          for (const ds of this.store.list(daemonsets).items) this.work.queue.add(objectKey(ds));
        }
        break;
      case 'pods':
        this.work.dependentEvent(event);
        break;
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (ds) => this.sync(ds));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  /** The pods this DaemonSet controls. */
  private ownedPods(ds: KubeObject): KubeObject[] {
    return this.work.dependentsOf(ds).filter((pod) => controllerRefOf(pod)?.uid === ds.metadata.uid);
  }

  /** Pods by the node they are for; finished pods already being deleted are nobody's concern. */
  private podsByNode(daemonPods: KubeObject[]): Map<string, KubeObject[]> {
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of daemonPods) {
      if (isTerminal(pod) && pod.metadata.deletionTimestamp !== undefined) continue;
      const node = targetNodeName(pod);
      const list = byNode.get(node);
      if (list) list.push(pod);
      else byNode.set(node, [pod]);
    }
    return byNode;
  }

  private sync(ds: KubeObject): void {
    const spec = ds.spec as DaemonSetSpec;
    const namespace = ds.metadata.namespace!;
    const selector = compileSelector(spec.selector);
    const candidates = [...this.store.list(pods, { namespace, labelSelector: selector }).items, ...this.ownedPods(ds)];
    claim({ store: this.store, type: pods, owner: ds, selector }, candidates);
    const nodeList = this.store.list(nodes).items;
    const podSpec = daemonPodSpec(spec.template ?? {});
    const fits = new Map(nodeList.map((n) => [n.metadata.name, nodeShouldRunDaemonPod(n, podSpec)]));
    const hash = computeHash(spec.template, ((ds.status ?? {}) as Partial<DaemonSetStatus>).collisionCount);
    const generation = ds.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION];
    const template = this.podTemplate(spec.template ?? {}, hash, generation);

    const managed = this.manage(ds, nodeList, fits, this.podsByNode(this.ownedPods(ds)), hash);
    const changed = this.syncNodes(ds, template, managed);
    // Upstream rolls out only once what `manage` did has been observed: here, the next sync.
    if (!changed && spec.updateStrategy?.type === 'RollingUpdate') {
      this.syncNodes(ds, template, this.rollingUpdate(ds, nodeList, fits, this.podsByNode(this.ownedPods(ds)), hash, generation));
    }
    this.updateStatus(ds, nodeList, fits, this.podsByNode(this.ownedPods(ds)), hash, generation);
  }

  /** `CreatePodTemplate`: the template with the daemon tolerations and the revision labels. */
  private podTemplate(template: PodTemplateSpec, hash: string, generation: string | undefined): PodTemplateSpec {
    const copy = structuredClone(template);
    copy.spec ??= { containers: [] };
    addDaemonTolerations(copy.spec);
    copy.metadata = {
      ...copy.metadata,
      labels: {
        ...copy.metadata?.labels,
        ...(generation !== undefined ? { [POD_TEMPLATE_GENERATION_LABEL]: generation } : {}),
        [CONTROLLER_REVISION_HASH_LABEL]: hash,
      },
    };
    return copy;
  }

  /** `podsShouldBeOnNode` for every node, and the pods of nodes that are gone. */
  private manage(
    ds: KubeObject,
    nodeList: KubeObject[],
    fits: Map<string, { shouldRun: boolean; shouldContinueRunning: boolean }>,
    byNode: Map<string, KubeObject[]>,
    hash: string,
  ): NodePlan {
    const plan: NodePlan = { create: [], remove: [], forceRemove: [] };
    const surge = this.allowsSurge(ds);
    for (const node of nodeList) {
      const name = node.metadata.name;
      const { shouldRun, shouldContinueRunning } = fits.get(name)!;
      const daemonPods = byNode.get(name);
      if (shouldRun && !daemonPods) {
        plan.create.push(name);
      } else if (shouldContinueRunning) {
        const running: KubeObject[] = [];
        for (const pod of daemonPods ?? []) {
          if (pod.metadata.deletionTimestamp !== undefined) continue;
          const phase = podStatusOf(pod).phase;
          if (phase === 'Failed') {
            this.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`);
            plan.remove.push(pod);
          } else if (phase === 'Succeeded') {
            this.event(ds, 'Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to delete it`);
            plan.remove.push(pod);
          } else running.push(pod);
        }
        running.sort(byCreationAndPhase);
        if (!surge) {
          // More than one pod on a node: all but the oldest go.
          plan.remove.push(...running.slice(1));
          continue;
        }
        if (running.length <= 1) {
          if (running.length === 0 && shouldRun) plan.create.push(name);
          continue;
        }
        // Surging: keep the oldest new pod, and the oldest old one only while the new one is not available.
        let oldestNew: KubeObject | undefined;
        let oldestOld: KubeObject | undefined;
        for (const pod of running) {
          if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) {
            if (!oldestNew) {
              oldestNew = pod;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          plan.remove.push(pod);
        }
        if (oldestNew && oldestOld) {
          const minReady = (ds.spec as DaemonSetSpec).minReadySeconds ?? 0;
          if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, nowMs(this.store))) plan.remove.push(oldestOld);
        }
      } else if (daemonPods) {
        for (const pod of daemonPods) if (pod.metadata.deletionTimestamp === undefined) plan.remove.push(pod);
      }
    }
    // Pods bound to nodes that no longer exist: upstream's pod garbage collector force-deletes these.
    const names = new Set(nodeList.map((n) => n.metadata.name));
    for (const [name, list] of [...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (name !== '' && !names.has(name)) plan.forceRemove!.push(...list);
    }
    return plan;
  }

  private allowsSurge(ds: KubeObject): boolean {
    const strategy = (ds.spec as DaemonSetSpec).updateStrategy;
    return strategy?.type === 'RollingUpdate' && scaledValue(strategy.rollingUpdate?.maxSurge ?? 0, 1, true) > 0;
  }

  /** Creates the pods of `plan.create` (bound to their node) and deletes `plan.remove`; returns whether it wrote. */
  private syncNodes(ds: KubeObject, template: PodTemplateSpec, plan: NodePlan): boolean {
    let wrote = false;
    // At most DAEMONSET_BURST creations per sync, in slow-start batches; the DaemonSet stays queued for the rest.
    const create = plan.create.slice(0, DAEMONSET_BURST);
    let failed = false;
    slowStartBatch(create.length, (i) => {
      const node = create[i];
      const input = podFromTemplate(template, ds);
      const spec = input.spec as PodSpec & { affinity?: Affinity };
      spec.affinity = replaceNodeNameAffinity(spec.affinity, node);
      spec.nodeName = node;
      try {
        const pod = this.store.create(pods, input, ds.metadata.namespace, OWNED);
        this.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        wrote = true;
        return true;
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        this.event(ds, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
        failed = true;
        return false;
      }
    });
    if (!failed && plan.create.length > create.length) this.work.queue.add(objectKey(ds));
    const seen = new Set<string>();
    const force = new Set((plan.forceRemove ?? []).map((p) => p.metadata.uid));
    for (const pod of [...plan.remove, ...(plan.forceRemove ?? [])]) {
      if (seen.has(pod.metadata.uid)) continue;
      seen.add(pod.metadata.uid);
      try {
        this.store.delete(pods, pod.metadata.namespace, pod.metadata.name, force.has(pod.metadata.uid) ? { gracePeriodSeconds: 0 } : {});
        this.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        wrote = true;
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        this.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${e.message}`);
      }
    }
    return wrote;
  }

  /** `findUpdatedPodsOnNode`: at most one new and one old pod, else not ok. */
  private updatedOnNode(list: KubeObject[], hash: string, generation: string | undefined): { ok: boolean; newPod?: KubeObject; oldPod?: KubeObject } {
    let newPod: KubeObject | undefined;
    let oldPod: KubeObject | undefined;
    for (const pod of list) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      if (isPodUpdated(pod, hash, generation)) {
        if (newPod) return { ok: false };
        newPod = pod;
      } else {
        if (oldPod) return { ok: false };
        oldPod = pod;
      }
    }
    return { ok: true, newPod, oldPod };
  }

  /**
   * `rollingUpdate`: with `maxUnavailable`, delete old pods while fewer than
   * that many nodes lack an available pod (unavailable old pods first); with
   * `maxSurge`, start new pods next to old ones and delete an old pod once its
   * replacement is available. Nodes are taken in name order (upstream takes
   * Go's map order).
   */
  private rollingUpdate(
    ds: KubeObject,
    nodeList: KubeObject[],
    fits: Map<string, { shouldRun: boolean; shouldContinueRunning: boolean }>,
    byNode: Map<string, KubeObject[]>,
    hash: string,
    generation: string | undefined,
  ): NodePlan {
    const spec = ds.spec as DaemonSetSpec;
    const ru = spec.updateStrategy?.rollingUpdate ?? {};
    const minReady = spec.minReadySeconds ?? 0;
    const now = nowMs(this.store);
    let desired = 0;
    for (const node of nodeList) {
      if (!fits.get(node.metadata.name)!.shouldRun) continue;
      desired++;
      if (!byNode.has(node.metadata.name)) byNode.set(node.metadata.name, []);
    }
    let maxUnavailable = scaledValue(ru.maxUnavailable ?? 0, desired, true);
    const maxSurge = scaledValue(ru.maxSurge ?? 0, desired, true);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const entries = [...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const podsToDelete: KubeObject[] = [];

    if (maxSurge === 0) {
      let unavailable = 0;
      const replacements: KubeObject[] = [];
      const candidates: KubeObject[] = [];
      for (const [, list] of entries) {
        const { ok, newPod, oldPod } = this.updatedOnNode(list, hash, generation);
        if (!ok) {
          unavailable++;
          continue;
        }
        if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
        else if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) unavailable++;
        } else if (oldPod) {
          if (!isPodAvailable(oldPod, minReady, now)) replacements.push(oldPod);
          else if (unavailable < maxUnavailable) candidates.push(oldPod);
        }
      }
      const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      podsToDelete.push(...replacements, ...candidates.slice(0, remaining));
      return { create: [], remove: podsToDelete };
    }

    const newNodes: string[] = [];
    const candidateNodes: string[] = [];
    const shouldNotRun: KubeObject[] = [];
    let surging = 0;
    let available = 0;
    for (const [name, list] of entries) {
      const { ok, newPod, oldPod } = this.updatedOnNode(list, hash, generation);
      if (!ok) {
        surging++;
        continue;
      }
      if (oldPod) {
        if (isPodAvailable(oldPod, minReady, now)) available++;
      } else if (newPod && isPodAvailable(newPod, minReady, now)) available++;
      if (!oldPod) continue;
      const shouldRun = fits.get(name)?.shouldRun ?? false;
      if (!newPod) {
        if (!isPodAvailable(oldPod, minReady, now)) {
          if (!shouldRun) podsToDelete.push(oldPod);
          else newNodes.push(name);
        } else if (!shouldRun) {
          shouldNotRun.push(oldPod);
        } else if (surging < maxSurge) {
          candidateNodes.push(name);
        }
      } else if (!isPodAvailable(newPod, minReady, now)) {
        surging++;
      } else {
        podsToDelete.push(oldPod);
      }
    }
    const deletable = Math.min(available - desired, shouldNotRun.length);
    if (deletable > 0) podsToDelete.push(...shouldNotRun.slice(0, deletable));
    const remaining = Math.min(Math.max(0, maxSurge - surging), candidateNodes.length);
    return { create: [...newNodes, ...candidateNodes.slice(0, remaining)], remove: podsToDelete };
  }

  /** `updateDaemonSetStatus`. */
  private updateStatus(
    ds: KubeObject,
    nodeList: KubeObject[],
    fits: Map<string, { shouldRun: boolean; shouldContinueRunning: boolean }>,
    byNode: Map<string, KubeObject[]>,
    hash: string,
    generation: string | undefined,
  ): void {
    const minReady = (ds.spec as DaemonSetSpec).minReadySeconds ?? 0;
    const now = nowMs(this.store);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodeList) {
      const list = byNode.get(node.metadata.name) ?? [];
      if (fits.get(node.metadata.name)!.shouldRun) {
        desired++;
        if (list.length === 0) continue;
        current++;
        const pod = [...list].sort(byCreationAndPhase)[0];
        if (isPodReady(pod)) {
          ready++;
          if (isPodAvailable(pod, minReady, now)) available++;
          else {
            const at = availableAt(pod, minReady);
            if (at !== undefined) this.work.wakeUps.at(objectKey(ds), at, now);
          }
        }
        if (isPodUpdated(pod, hash, generation)) updated++;
      } else if (list.length > 0) {
        misscheduled++;
      }
    }
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
    };
    // Zero counts of `omitempty` fields are left out.
    if (updated) status.updatedNumberScheduled = updated;
    if (available) status.numberAvailable = available;
    if (desired - available) status.numberUnavailable = desired - available;
    const collisionCount = ((ds.status ?? {}) as Partial<DaemonSetStatus>).collisionCount;
    if (collisionCount !== undefined) status.collisionCount = collisionCount;
    if (deepEqual(status, ds.status)) return;
    this.store.updateStatus(daemonsets, ds.metadata.namespace, ds.metadata.name, { status }, OWNED);
  }
}

/** `IsPodUpdated`: made from the current template (hash label) or template generation. */
function isPodUpdated(pod: KubeObject, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return labels[CONTROLLER_REVISION_HASH_LABEL] === hash || (generation !== undefined && labels[POD_TEMPLATE_GENERATION_LABEL] === generation);
}
