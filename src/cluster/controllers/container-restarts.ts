import { Container, PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { recordEvent } from './events';
import { failureThreshold, Probe, PROBE_NAME, probeOf, ProbeKind, probePeriodMs, runProbe } from './probe';
import { ContainerStatus, readyConditions } from './readiness';
import { goDuration, RestartBackoff } from './restart-backoff';
import { containerIgnoresSigterm, SIGTERM_EXIT_MS } from './termination';

/**
 * Liveness and startup probes, and the restarts they cause, as the kubelet runs them
 * (docs/cluster.md, "Liveness and startup probes"). A probe's result depends only on the pod's
 * spec and annotations, so nothing is polled: for each container the next thing that will happen
 * (the startup probe passing, the run at which a failing probe reaches its `failureThreshold`, the
 * killed container exiting, the end of its restart back-off) is worked out, and one timer per pod
 * waits for the earliest. A crash-looping container costs a few writes per restart, not one per
 * probe period.
 */

const pods = resourceTypeByKey('pods')!;
const OWNED = { owned: true };

export interface RestartHooks {
  /** Whether the node's kubelet runs (a stopped one restarts nothing). */
  isRunning(node: string): boolean;
  /** A container (re)started or passed its startup probe: its readiness probe starts over. */
  readinessStartsOver(pod: KubeObject): void;
}

/** Where a container is in its life, as far as restarts go. */
interface Life {
  phase: 'running' | 'stopping' | 'waiting' | 'terminated';
  /** When this instance of the container started. */
  startedAt: number;
  /** When its startup probe passed (its start, without one); undefined while it has not. */
  startedOkAt?: number;
  /** The first failing run of the probe in force (startup, then liveness), while it fails. */
  failingRun?: number;
  /** stopping: why it was killed, when it exits and with what code. */
  exitAt?: number;
  exitCode?: number;
  /** waiting: when it exited and when its back-off ends. */
  finishedAt?: number;
  restartAt?: number;
}

interface PodLives {
  uid: string;
  containers: Map<string, Life>;
  timer?: Timer;
  due?: number;
}

type Status = ContainerStatus & {
  restartCount?: number;
  started?: boolean;
  containerID?: string;
  image?: string;
  state?: { running?: { startedAt: string }; waiting?: unknown; terminated?: unknown };
  lastState?: unknown;
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A container runtime's 64-hex ID (of a container or a sandbox), stable for the text it is made from. */
export function runtimeId(text: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i) + round;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** The container's ID, stable for a pod, container and restart. */
export function containerIdOf(uid: string, name: string, restartCount: number): string {
  if (restartCount === 0) return `containerd://${uid.replace(/-/g, '')}${name}`.slice(0, 77);
  return `containerd://${runtimeId(`${uid}/${name}/${restartCount}`)}`;
}

/** The kubelet's `format.Pod`: `name_namespace(uid)`. */
const podRef = (pod: KubeObject) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

export class ContainerRestarts {
  private readonly lives = new Map<string, PodLives>();
  private readonly backoff = new RestartBackoff();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly hooks: RestartHooks,
  ) {}

  /** Whether the pod has probes this class runs. */
  static concerns(pod: KubeObject): boolean {
    return ((pod.spec as PodSpec).containers ?? []).some((c) => probeOf(c, 'liveness') || probeOf(c, 'startup'));
  }

  /** The pod is gone or terminating: no more restarts, its back-off forgotten. */
  forget(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const lives = this.lives.get(key);
    if (!lives) return;
    this.clock.cancel(lives.timer);
    this.lives.delete(key);
    this.backoff.forget(`${lives.uid}/`);
  }

  /**
   * After the pod started or changed: works out each container's next step from its probes as
   * they answer now, and sets the pod's one timer for the earliest.
   */
  sync(pod: KubeObject): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (pod.metadata.deletionTimestamp || !(pod.status as PodStatus | undefined)?.podIP || !ContainerRestarts.concerns(pod)) {
      this.forget(pod);
      return;
    }
    let lives = this.lives.get(key);
    if (lives && lives.uid !== pod.metadata.uid) {
      this.forget(pod);
      lives = undefined;
    }
    if (!lives) {
      lives = { uid: pod.metadata.uid, containers: new Map() };
      this.lives.set(key, lives);
    }
    const now = this.clock.now();
    const statuses = ((pod.status as PodStatus).containerStatuses ?? []) as Status[];
    let due = Infinity;
    for (const c of (pod.spec as PodSpec).containers) {
      let life = lives.containers.get(c.name);
      if (!life) {
        life = this.lifeFromStatus(statuses.find((s) => s.name === c.name), now);
        lives.containers.set(c.name, life);
      }
      due = Math.min(due, this.nextStep(pod, c, life, now));
    }
    if (due === lives.due && lives.timer) return;
    this.clock.cancel(lives.timer);
    lives.timer = undefined;
    lives.due = undefined;
    if (due === Infinity) return;
    lives.due = due;
    const [namespace, name] = key.split('/');
    lives.timer = this.clock.after(Math.max(0, due - now), `kubelet: containers of ${key}`, () => {
      const current = this.lives.get(key);
      if (current) {
        current.timer = undefined;
        current.due = undefined;
      }
      const pod = this.store.tryGet(pods, namespace, name);
      if (!pod || pod.metadata.deletionTimestamp || !this.hooks.isRunning((pod.spec as PodSpec).nodeName!)) return;
      this.store.transaction(() => this.step(pod));
    });
  }

  private lifeFromStatus(status: Status | undefined, now: number): Life {
    const running = status?.state?.running?.startedAt;
    const startedAt = running ? Date.parse(running) : now;
    if (status?.state?.waiting) return { phase: 'waiting', startedAt, finishedAt: now, restartAt: now };
    if (status?.state?.terminated) return { phase: 'terminated', startedAt };
    return { phase: 'running', startedAt, startedOkAt: status?.started === false ? undefined : startedAt };
  }

  /** The probe in force for a running container: startup until it passes, then liveness. */
  private probeInForce(c: Container, life: Life): { kind: ProbeKind; probe: Probe } | undefined {
    if (life.startedOkAt === undefined) {
      const probe = probeOf(c, 'startup');
      return probe ? { kind: 'startup', probe } : undefined;
    }
    const probe = probeOf(c, 'liveness');
    return probe ? { kind: 'liveness', probe } : undefined;
  }

  /** The time of the probe's first run at or after `t`: runs start `initialDelaySeconds` after the container did, one period apart. */
  private nextRun(probe: Probe, life: Life, t: number): number {
    const first = Math.max(life.startedAt + (probe.initialDelaySeconds ?? 0) * 1000, life.startedOkAt ?? life.startedAt);
    if (t <= first) return first;
    const period = probePeriodMs(probe);
    return first + Math.ceil((t - first) / period) * period;
  }

  /** When the container's next step is due (Infinity: none), updating what it remembers of a failing probe. */
  private nextStep(pod: KubeObject, c: Container, life: Life, now: number): number {
    switch (life.phase) {
      case 'stopping':
        return life.exitAt!;
      case 'waiting':
        return life.restartAt!;
      case 'terminated':
        return Infinity;
    }
    if (life.startedOkAt === undefined && !probeOf(c, 'startup')) life.startedOkAt = life.startedAt;
    const inForce = this.probeInForce(c, life);
    if (!inForce) {
      life.failingRun = undefined;
      return Infinity;
    }
    const result = runProbe(pod, c, inForce.probe);
    if (result.ok) {
      life.failingRun = undefined;
      return inForce.kind === 'startup' ? this.nextRun(inForce.probe, life, now) : Infinity;
    }
    life.failingRun ??= this.nextRun(inForce.probe, life, now);
    return life.failingRun + (failureThreshold(inForce.probe) - 1) * probePeriodMs(inForce.probe);
  }

  /** Everything due now, in one status write. */
  private step(pod: KubeObject): void {
    const now = this.clock.now();
    const spec = pod.spec as PodSpec;
    const lives = this.lives.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
    if (!lives) return;
    const status = (pod.status ?? {}) as PodStatus;
    const statuses = ((status.containerStatuses ?? []) as Status[]).map((s) => ({ ...s }));
    let startsOver = false;
    for (const c of spec.containers) {
      const life = lives.containers.get(c.name);
      const index = statuses.findIndex((s) => s.name === c.name);
      if (!life || index < 0) continue;
      // A kill, an exit and a restart can fall due at the same instant: take each in turn.
      for (let guard = 0; guard < 4 && this.nextStep(pod, c, life, now) <= now; guard++) {
        const changed = this.advance(pod, c, life, statuses[index], now);
        statuses[index] = changed.status;
        startsOver ||= changed.startsOver;
      }
    }
    const terminal = statuses.every((s) => s.state?.terminated);
    const phase = terminal ? (statuses.some((s) => (s.state!.terminated as { exitCode: number }).exitCode !== 0) ? 'Failed' : 'Succeeded') : status.phase;
    let conditions = readyConditions(status, statuses, this.store.now());
    if (terminal) {
      conditions = conditions?.map((k) => (k.type === 'Ready' || k.type === 'ContainersReady' ? { type: k.type, status: k.status, lastProbeTime: null, lastTransitionTime: k.lastTransitionTime, reason: 'PodCompleted' } : k));
    }
    const updated = { ...status, phase, conditions, containerStatuses: statuses };
    const written = this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status: updated }, OWNED);
    if (startsOver) this.hooks.readinessStartsOver(written);
    this.sync(written);
  }

  /** One step of a container's life; answers its new status. */
  private advance(pod: KubeObject, c: Container, life: Life, s: Status, now: number): { status: Status; startsOver: boolean } {
    const source = { component: 'kubelet', host: (pod.spec as PodSpec).nodeName };
    const restartPolicy = (pod.spec as PodSpec).restartPolicy ?? 'Always';
    const bkey = `${pod.metadata.uid}/${c.name}`;
    if (life.phase === 'running') {
      const inForce = this.probeInForce(c, life)!;
      const result = runProbe(pod, c, inForce.probe);
      if (result.ok) {
        // The startup probe passed: liveness and readiness start.
        life.startedOkAt = now;
        life.failingRun = undefined;
        return { status: { ...s, started: true, ready: !probeOf(c, 'readiness') }, startsOver: true };
      }
      const what = inForce.kind === 'liveness' ? 'liveness' : 'startup';
      recordEvent(this.store, pod, 'Warning', 'Unhealthy', `${PROBE_NAME[inForce.kind]} probe failed: ${result.output}`, source, failureThreshold(inForce.probe));
      const restart = restartPolicy !== 'Never';
      recordEvent(this.store, pod, 'Normal', 'Killing', `Container ${c.name} failed ${what} probe${restart ? ', will be restarted' : ''}`, source);
      // SIGTERM: nginx and the like exit at once (0); a process without a handler is killed at the end of the grace period (137).
      const ignores = containerIgnoresSigterm(pod, c);
      const grace = inForce.probe.terminationGracePeriodSeconds ?? (pod.spec as PodSpec).terminationGracePeriodSeconds ?? 30;
      life.phase = 'stopping';
      life.failingRun = undefined;
      life.exitAt = now + (ignores ? grace * 1000 : SIGTERM_EXIT_MS);
      life.exitCode = ignores ? 137 : 0;
      return { status: s, startsOver: false };
    }
    if (life.phase === 'stopping') {
      const terminated = {
        exitCode: life.exitCode!,
        reason: life.exitCode === 0 ? 'Completed' : 'Error',
        startedAt: iso(life.startedAt),
        finishedAt: iso(now),
        containerID: s.containerID,
      };
      life.finishedAt = now;
      if (restartPolicy === 'Never') {
        life.phase = 'terminated';
        return { status: { ...s, ready: false, started: false, state: { terminated } }, startsOver: false };
      }
      if (this.backoff.inBackOffSince(bkey, now, now)) {
        life.phase = 'waiting';
        life.restartAt = now + this.backoff.get(bkey);
        recordEvent(this.store, pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef(pod)}`, source);
        const message = `back-off ${goDuration(this.backoff.get(bkey))} restarting failed container=${c.name} pod=${podRef(pod)}`;
        return { status: { ...s, ready: false, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: { terminated } }, startsOver: false };
      }
      return { status: this.restart(pod, c, life, { ...s, lastState: { terminated } }, now), startsOver: true };
    }
    // waiting: the back-off is over.
    return { status: this.restart(pod, c, life, s, now), startsOver: true };
  }

  /** A new instance of the container: the image (pulled again with `imagePullPolicy: Always`), Created, Started. */
  private restart(pod: KubeObject, c: Container, life: Life, s: Status, now: number): Status {
    const source = { component: 'kubelet', host: (pod.spec as PodSpec).nodeName };
    this.backoff.next(`${pod.metadata.uid}/${c.name}`, life.finishedAt ?? now, now);
    if (c.imagePullPolicy === 'Always') {
      recordEvent(this.store, pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, source);
      recordEvent(this.store, pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in 0s (0s including waiting). Image size: 0 bytes.`, source);
    } else {
      recordEvent(this.store, pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, source);
    }
    recordEvent(this.store, pod, 'Normal', 'Created', `Created container ${c.name}`, source);
    recordEvent(this.store, pod, 'Normal', 'Started', `Started container ${c.name}`, source);
    const restartCount = (s.restartCount ?? 0) + 1;
    const startup = probeOf(c, 'startup');
    life.phase = 'running';
    life.startedAt = now;
    life.startedOkAt = startup ? undefined : now;
    life.failingRun = undefined;
    life.exitAt = life.exitCode = life.restartAt = undefined;
    return {
      ...s,
      containerID: containerIdOf(pod.metadata.uid, c.name, restartCount),
      ready: !startup && !probeOf(c, 'readiness'),
      started: !startup,
      restartCount,
      state: { running: { startedAt: iso(now) } },
    };
  }
}
