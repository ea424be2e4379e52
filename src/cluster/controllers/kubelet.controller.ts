import { DomainError } from '../../common/domain-error';
import { AddressPools } from '../../ipam/address-pools';
import { NodeSpec, NodeStatus, nodeInternalIPs } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { parseFieldSelector } from '../store/field-selector';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeletState, KubeletStateKeeper } from '../store/store-backend';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, SteppedBatch, Steps, UNBOUNDED } from './controller-manager';
import { ContainerRestarts } from './container-restarts';
import { LEASE_RENEW_INTERVAL_MS, postReady, renewLease } from './kubelet-node-status';
import { creatingStatus, isCreating, recordSandboxFailure, runningStatus } from './kubelet-pod-status';
import { MIRROR_ANNOTATION, StaticPods } from './kubelet-static-pods';
import { fieldPathOf, recordEvent } from './events';
import { probeOf } from './probe';
import { ContainerStatus, ReadinessProbes } from './readiness';
import { exitAfterMs } from './termination';
import { VolumeMounts } from './kubelet-volumes';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;

/** Kept where they were first defined. */
export { LEASE_DURATION_SECONDS, LEASE_RENEW_INTERVAL_MS, NODE_LEASE_NAMESPACE } from './kubelet-node-status';
export { MIRROR_ANNOTATION } from './kubelet-static-pods';

const OWNED = { owned: true };

const isTerminal = (pod: KubeObject | undefined) => ['Succeeded', 'Failed'].includes((pod?.status as PodStatus | undefined)?.phase ?? '');

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** One node's kubelet in this process: whether it runs, and its lease renewal. */
interface KubeletProcess {
  running: boolean;
  leaseTimer?: Timer;
}

export interface KubeletOptions {
  /** Called when a node's kubelet stops (its lease stops being renewed). */
  onStop?: (node: string) => void;
  /** Whether a steady crash loop runs on one quiet timer (default true; see ./crash-loop.ts). */
  fastForwardCrashLoops?: boolean;
  /** Whether this process leads (default true): one that does not writes none of the kubelets' state (see `keepStateIn`). */
  leads?: () => boolean;
}

type Work =
  | { kind: 'start'; key: string }
  | { kind: 'node'; node: string }
  | { kind: 'terminate'; key: string }
  | { kind: 'finalize'; key: string }
  | { kind: 'mirror'; node: string }
  | { kind: 'probe'; key: string };

/**
 * The kubelets of all nodes. Each registers its node's Lease and renews it
 * every 10 s; starts the pods bound to its node (an IP from the node's
 * host-local IPAM, or the node's own for `hostNetwork`), stops a terminating
 * pod (preStop, then SIGTERM: see ./termination.ts) and removes it once its
 * containers exited or its grace period is over, runs static pods from its
 * manifest directory (`PUT /netsim/v1/nodes/{node}/manifests/{file}`) and
 * publishes their read-only mirror pods. A stopped kubelet does none of this
 * (its lease goes stale), until it is started again. What it writes lives
 * beside it: the node's Lease and Ready condition (./kubelet-node-status.ts),
 * a pod's status as its sandbox comes up or fails (./kubelet-pod-status.ts),
 * the mirror pods of static pods (./kubelet-static-pods.ts).
 */
export class KubeletController implements Controller {
  readonly name = 'kubelet';
  private readonly work: Work[] = [];
  private readonly batch = new SteppedBatch();
  private readonly queued = new Set<string>();
  private readonly kubelets = new Map<string, KubeletProcess>();
  /** When each terminating pod is to be removed (see `scheduleFinalize`). */
  private readonly finalizeAt = new Map<string, number>();
  /** One timer per instant at which pods are to be removed, with their keys in the order they were set. */
  private readonly finalizeTimers = new Map<number, { timer: Timer; keys: Set<string> }>();
  /** The one pending readiness change of each pod with readiness probes (see ./readiness.ts). */
  private readonly readiness: ReadinessProbes;
  /**
   * Pods whose sandbox could not be set up because their node's host-local IPAM is full, by node,
   * in the order they failed: retried as addresses are released, as the kubelet retries sandboxes.
   */
  private readonly waitingForAddress = new Map<string, Map<string, number>>();
  /** Liveness and startup probes, and the restarts they cause (see ./container-restarts.ts). */
  private readonly restarts: ContainerRestarts;
  /** Pods waiting for a ConfigMap or Secret their volumes name (see ./kubelet-volumes.ts). */
  private readonly mounts: VolumeMounts;
  /** The static pods of every node: its manifest directory and the mirror pods (see ./kubelet-static-pods.ts). */
  readonly staticPods: StaticPods;
  /** Where the kubelets' state lasts beyond the process (a durable store's: see `keepStateIn`). */
  private disk: KubeletStateKeeper | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly pools: AddressPools,
    private readonly clock: SimulationClock,
    private readonly options: KubeletOptions = {},
  ) {
    const isRunning = (node: string) => this.isRunning(node);
    this.readiness = new ReadinessProbes(store, clock, isRunning);
    this.mounts = new VolumeMounts(store);
    this.staticPods = new StaticPods(store, {
      isRunning,
      podsOn: (node) => this.podsOn(node),
      sync: (node) => this.enqueue({ kind: 'mirror', node }),
    });
    this.restarts = new ContainerRestarts(store, clock, { isRunning, readinessStartsOver: (pod) => this.readiness.startOver(pod) }, options.fastForwardCrashLoops ?? true);
  }

  // ---- what the REST API drives ------------------------------------------------

  /**
   * Keeps the kubelets' state from now on in `disk` too (what a durable
   * store offers: see store-backend.ts): each manifest written or removed,
   * each kubelet stopped or started. A restart finds it (`loadState`).
   */
  keepStateIn(disk: KubeletStateKeeper | undefined): void {
    this.disk = disk && this.whileLeading(disk);
    this.staticPods.keepManifestsIn(this.disk);
  }

  /**
   * `disk`, writing only while this process leads: a follower hears of every
   * change the leader makes (a node deleted, its manifests with it) and
   * follows it in memory, but the leader writes it; a takeover reads it back.
   */
  private whileLeading(disk: KubeletStateKeeper): KubeletStateKeeper {
    const leads = this.options.leads ?? (() => true);
    return {
      writeManifest: (node, file, pod) => {
        if (leads()) disk.writeManifest(node, file, pod);
      },
      writeStopped: (node, stopped) => {
        if (leads()) disk.writeStopped(node, stopped);
      },
      replaceAll: (state) => {
        if (leads()) disk.replaceAll(state);
      },
    };
  }

  /** Stops the node's kubelet, as a crashed or partitioned node: no lease, no pod changes. */
  stop(node: string): void {
    if (this.isRunning(node)) this.disk?.writeStopped(node, true);
    this.halt(node);
    // What the stop wrote lasts before the request is answered (see StoreTransactions.persistKubelets).
    this.store.commit();
  }

  /**
   * The kubelets' state as the durable store holds it, at a start on it or a
   * takeover: the manifest directories (see StaticPods.loadManifests), and
   * each kubelet of a node in `stopped` stops, each other one runs. Nothing
   * is written back; the kubelets act at the next commit.
   */
  loadState(state: KubeletState): void {
    this.staticPods.loadManifests(state.manifests);
    // A stopped kubelet of a node the store does not hold (deleted while no process led) stays out: a node made
    // later under that name starts with a running kubelet.
    const stopped = new Set(state.stopped.filter((node) => this.store.tryGet(nodes, undefined, node)));
    for (const node of stopped) this.halt(node);
    for (const node of this.kubelets.keys()) if (!stopped.has(node) && !this.isRunning(node)) this.resume(node);
  }

  /** When the node's kubelet renews its lease next, or undefined if it is not running. */
  nextLeaseRenewal(node: string): number | undefined {
    const state = this.kubelets.get(node);
    return state?.running ? this.clock.nextRun(state.leaseTimer) : undefined;
  }

  /** Starts it again: it renews its lease, posts Ready, and catches up with its pods. */
  start(node: string): void {
    if (this.isRunning(node)) return;
    this.disk?.writeStopped(node, false);
    this.resume(node);
    this.store.commit();
  }

  isRunning(node: string): boolean {
    return this.kubelets.get(node)?.running ?? false;
  }

  // ---- controller --------------------------------------------------------------

  observe(event: StoredEvent): void {
    const object = event.object;
    if (event.resource === 'nodes') {
      const node = object.metadata.name;
      if (event.type === 'ADDED') {
        this.state(node).running = true;
        this.enqueue({ kind: 'node', node });
      } else if (event.type === 'DELETED') {
        const state = this.kubelets.get(node);
        this.clock.cancel(state?.leaseTimer);
        this.staticPods.nodeGone(node);
        if (state && !state.running) this.disk?.writeStopped(node, false);
        this.kubelets.delete(node);
        this.waitingForAddress.delete(node);
      }
      return;
    }
    if (event.resource === 'configmaps' || event.resource === 'secrets') {
      for (const key of this.mounts.retry(event)) this.enqueue({ kind: 'start', key });
      return;
    }
    if (event.resource !== 'pods') return;
    const spec = object.spec as PodSpec;
    if (event.type === 'DELETED') {
      this.mounts.forget(object);
      this.release(object);
      this.cancelFinalize(podKey(object));
      this.readiness.cancel(object);
      this.restarts.forget(object);
      this.waitingForAddress.get(spec.nodeName ?? '')?.delete(podKey(object));
      // A mirror pod deleted through the API comes back while its manifest is there.
      if (object.metadata.annotations?.[MIRROR_ANNOTATION] && spec.nodeName) this.enqueue({ kind: 'mirror', node: spec.nodeName });
      return;
    }
    if (!spec.nodeName || !this.isRunning(spec.nodeName)) return;
    // A pod that reached Succeeded or Failed has its sandbox torn down (CNI DEL): its address goes back, and pods waiting for one are tried.
    if (event.type === 'MODIFIED' && isTerminal(object) && !isTerminal(event.previous)) this.release(object);
    if (object.metadata.deletionTimestamp) {
      this.readiness.cancel(object);
      this.restarts.forget(object);
      if (!this.finalizeAt.has(podKey(object))) this.enqueue({ kind: 'terminate', key: podKey(object) });
    } else if (!(object.status as PodStatus | undefined)?.podIP) {
      // Not for the kubelet's own ContainerCreating write after a failed sandbox: that pod is retried when an address is released.
      if (!(event.type === 'MODIFIED' && isCreating(object) && !isCreating(event.previous))) this.enqueue({ kind: 'start', key: podKey(object) });
    } else if (spec.containers?.some((c) => probeOf(c, 'readiness')) || ContainerRestarts.concerns(object)) {
      this.enqueue({ kind: 'probe', key: podKey(object) });
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.batch.run(budget, () => (this.work.length === 0 ? undefined : this.steps()));
  }

  unfinished(): boolean {
    return this.batch.unfinished;
  }

  /** The work queued so far, one item per step. */
  private *steps(): Steps {
    const batch = this.work.splice(0, this.work.length);
    this.queued.clear();
    for (let i = 0; i < batch.length; i++) {
      try {
        this.handle(batch[i]);
      } catch (e) {
        // Reported by the controller manager; the rest of the batch waits for the next round.
        for (const item of batch.slice(i + 1)) this.enqueue(item);
        throw e;
      }
      yield;
    }
  }

  private handle(item: Work): void {
    switch (item.kind) {
      case 'node':
        this.syncNode(item.node);
        break;
      case 'mirror':
        this.staticPods.syncMirrors(item.node);
        break;
      case 'start': {
        const [namespace, name] = item.key.split('/');
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod && !pod.metadata.deletionTimestamp && !(pod.status as PodStatus).podIP) this.startPod(pod);
        break;
      }
      case 'terminate': {
        const [namespace, name] = item.key.split('/');
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod?.metadata.deletionTimestamp && !this.finalizeAt.has(item.key) && this.isRunning((pod.spec as PodSpec).nodeName!)) {
          this.stopContainers(pod);
          this.scheduleFinalize(pod);
        }
        break;
      }
      case 'probe': {
        const [namespace, name] = item.key.split('/');
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod && !pod.metadata.deletionTimestamp && (pod.status as PodStatus).podIP) {
          this.readiness.schedule(pod, false);
          this.restarts.sync(pod);
        }
        break;
      }
      case 'finalize': {
        const [namespace, name] = item.key.split('/');
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod?.metadata.deletionTimestamp && this.isRunning((pod.spec as PodSpec).nodeName!)) {
          this.store.delete(pods, namespace, name, { gracePeriodSeconds: 0 });
        }
        break;
      }
    }
  }

  // ---- internals ---------------------------------------------------------------

  private halt(node: string): void {
    const state = this.state(node);
    this.restarts.kubeletStops(node);
    state.running = false;
    this.clock.cancel(state.leaseTimer);
    state.leaseTimer = undefined;
    this.options.onStop?.(node);
  }

  private resume(node: string): void {
    this.state(node).running = true;
    this.enqueue({ kind: 'node', node });
  }

  private state(node: string): KubeletProcess {
    let state = this.kubelets.get(node);
    if (!state) {
      state = { running: true };
      this.kubelets.set(node, state);
    }
    return state;
  }

  private enqueue(item: Work): void {
    const key = JSON.stringify(item);
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.work.push(item);
  }

  private podsOn(node: string): KubeObject[] {
    return this.store.list(pods, { fieldSelector: parseFieldSelector(`spec.nodeName=${node}`, 'Pod') }).items;
  }

  /** Registration or restart: lease, Ready, and every pod of the node brought up to date. */
  private syncNode(nodeName: string): void {
    const node = this.store.tryGet(nodes, undefined, nodeName);
    const state = this.kubelets.get(nodeName);
    if (!node || !state?.running) return;
    // A running kubelet leaves no "stopped" key behind (one a node of that name left, say): a restart would stop it.
    // Here, not at ADDED: a start-up's objects come as ADDED before `loadState` says which kubelets are stopped.
    this.disk?.writeStopped(nodeName, false);
    this.clock.cancel(state.leaseTimer);
    // Quiet: over a stretch where nothing else happens only the last renewal is written (see docs/cluster.md).
    state.leaseTimer = this.clock.every(
      LEASE_RENEW_INTERVAL_MS,
      `kubelet ${nodeName}: renew lease`,
      () => {
        const current = this.store.tryGet(nodes, undefined, nodeName);
        if (current) this.store.transaction(() => renewLease(this.store, this.clock, current));
      },
      { quiet: true },
    );
    renewLease(this.store, this.clock, node);
    postReady(this.store, node);
    for (const pod of this.podsOn(nodeName)) {
      if (pod.metadata.deletionTimestamp) this.scheduleFinalize(pod);
      else if (!(pod.status as PodStatus).podIP) this.startPod(pod);
      else {
        this.markReadyAgain(pod);
        // A readiness change that fell due while this kubelet was stopped happens now.
        const current = this.store.get(pods, pod.metadata.namespace, pod.metadata.name);
        this.readiness.schedule(current, false);
        this.restarts.sync(current);
      }
    }
    this.staticPods.syncMirrors(nodeName);
  }

  /** The kubelet's `Killing` event for each container it stops. */
  private stopContainers(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    for (const container of spec.containers ?? []) {
      recordEvent(this.store, pod, 'Normal', 'Killing', `Stopping container ${container.name}`, { component: 'kubelet', host: spec.nodeName }, 1, undefined, fieldPathOf(container));
    }
  }

  /**
   * Removes the pod once its containers have exited (SIGTERM handled, after any preStop hook) or,
   * at the latest, when its grace period is over (SIGKILL).
   */
  private scheduleFinalize(pod: KubeObject): void {
    const key = podKey(pod);
    this.cancelFinalize(key);
    const exit = exitAfterMs(pod);
    const killed = Date.parse(pod.metadata.deletionTimestamp!) - this.clock.now();
    const due = exit === undefined ? killed : Math.min(exit, killed);
    if (due <= 0) {
      this.enqueue({ kind: 'finalize', key });
      return;
    }
    // Pods removed at the same instant share one timer, so one settle: 20,000 pods deleted together
    // (a scale-down) are removed in one pass, not in 20,000 settles.
    const at = this.clock.now() + due;
    this.finalizeAt.set(key, at);
    const existing = this.finalizeTimers.get(at);
    if (existing) {
      existing.keys.add(key);
      return;
    }
    const keys = new Set([key]);
    const timer = this.clock.after(due, 'kubelet: remove terminated pods', () => {
      this.finalizeTimers.delete(at);
      for (const k of keys) {
        this.finalizeAt.delete(k);
        this.enqueue({ kind: 'finalize', key: k });
      }
      this.store.commit();
    });
    this.finalizeTimers.set(at, { timer, keys });
  }

  private cancelFinalize(key: string): void {
    const at = this.finalizeAt.get(key);
    if (at === undefined) return;
    this.finalizeAt.delete(key);
    const entry = this.finalizeTimers.get(at);
    if (!entry) return;
    entry.keys.delete(key);
    if (entry.keys.size > 0) return;
    this.clock.cancel(entry.timer);
    this.finalizeTimers.delete(at);
  }

  private startPod(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    const node = this.store.tryGet(nodes, undefined, spec.nodeName!);
    if (!node || !this.isRunning(node.metadata.name)) return;
    const nodeSpec = (node.spec ?? {}) as NodeSpec;
    const hostIP = ((node.status ?? {}) as NodeStatus).addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!hostIP) return;
    // Volumes are set up before the sandbox: a missing ConfigMap or Secret keeps the pod ContainerCreating.
    if (!this.mounts.ready(pod)) {
      this.markCreating(pod, hostIP);
      return;
    }
    let podIP: string;
    const podIPs: string[] = [];
    if (spec.hostNetwork) {
      // The node's addresses, one per family (a dual-stack node's hostNetwork pod has both).
      podIP = hostIP;
      podIPs.push(...nodeInternalIPs((node.status ?? {}) as NodeStatus));
    } else {
      if (!nodeSpec.podCIDR) {
        recordSandboxFailure(this.store, pod, `network is not ready: node ${node.metadata.name} pod cidr not assigned`);
        this.markCreating(pod, hostIP);
        return;
      }
      // One address per family: host-local runs once per range, one range per pod CIDR of the node.
      const cidrs = [nodeSpec.podCIDR, ...(nodeSpec.podCIDRs ?? []).slice(1)];
      let range = 0;
      try {
        for (; range < cidrs.length; range++) podIPs.push(this.pools.nodeIpam(node.metadata.name, cidrs[range]).allocate(pod.metadata.uid));
        podIP = podIPs[0];
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        for (const ipam of this.pools.nodeIpams(node.metadata.name)) ipam.release(pod.metadata.uid);
        const waiting = this.waitingForAddress.get(node.metadata.name) ?? new Map<string, number>();
        this.waitingForAddress.set(node.metadata.name, waiting);
        const attempt = (waiting.get(podKey(pod)) ?? 0) + 1;
        waiting.set(podKey(pod), attempt);
        recordSandboxFailure(this.store, pod, `failed to allocate for range ${range}: ${e.message}`, attempt);
        this.markCreating(pod, hostIP);
        return;
      }
      this.waitingForAddress.get(node.metadata.name)?.delete(podKey(pod));
    }
    const status = runningStatus(pod, hostIP, podIP, this.store.now(), podIPs.length ? podIPs : [podIP]);
    const started = this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status }, OWNED);
    this.readiness.schedule(started, true);
    this.restarts.sync(started);
  }

  /**
   * A pod whose sandbox could not be set up, as the kubelet reports it: Pending, its containers
   * waiting with reason ContainerCreating (what kubectl shows), PodReadyToStartContainers False.
   * Written once; retries leave it as it is.
   */
  private markCreating(pod: KubeObject, hostIP: string): void {
    if (isCreating(pod)) return;
    const status = creatingStatus(pod, hostIP, this.store.now());
    this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status }, OWNED);
  }

  /** After a restart the containers are found running: Ready again if the node lifecycle marked them not ready. */
  private markReadyAgain(pod: KubeObject): void {
    const status = (pod.status ?? {}) as PodStatus;
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'True' || ready.reason === 'ReadinessProbeFailed') return;
    if (((status.containerStatuses ?? []) as ContainerStatus[]).some((c) => !c.ready)) return;
    const now = this.store.now();
    const conditions = (status.conditions ?? []).map((c) => (c.type === 'Ready' ? { type: 'Ready', status: 'True' as const, lastProbeTime: null, lastTransitionTime: now } : c));
    this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status: { ...status, conditions } }, OWNED);
  }

  /** Gives the pod's address back; pods waiting for one on that node are tried again, as many as there are free addresses. */
  private release(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    if (!spec.nodeName || spec.hostNetwork) return;
    const ipam = this.pools.existingNodeIpam(spec.nodeName);
    for (const each of this.pools.nodeIpams(spec.nodeName)) each.release(pod.metadata.uid);
    const waiting = this.waitingForAddress.get(spec.nodeName);
    if (!ipam || !waiting?.size) return;
    let free = ipam.stats().free;
    for (const key of waiting.keys()) {
      if (free-- <= 0) break;
      this.enqueue({ kind: 'start', key });
    }
  }
}
