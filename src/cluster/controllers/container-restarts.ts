import { timestamp } from '../../common/clock';
import { Container, PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { containerIdOf, terminalReadyReason, recordBackOff, recordKill, recordRestart, restartedOf, Status, terminatedOf, waitingOf } from './container-status';
import { lastOccurrence, LoopShape, loopAt, loopTick, occurrences, runMs } from './crash-loop';
import { failureThreshold, Probe, probeOf, ProbeKind, probePeriodMs, runProbe } from './probe';
import { readyConditions } from './readiness';
import { MAX_BACKOFF_MS, RestartBackoff } from './restart-backoff';
import { containerIgnoresSigterm, SIGTERM_EXIT_MS } from './termination';
import { runToCompletion } from './run-to-completion';

/**
 * Liveness and startup probes, and the restarts they cause, as the kubelet runs them
 * (docs/cluster.md, "Liveness and startup probes"). A probe's result depends only on the pod's
 * spec and annotations, so nothing is polled: for each container the next thing that will happen
 * (the startup probe passing, the run at which a failing probe reaches its `failureThreshold`, the
 * killed container exiting, the end of its restart back-off) is worked out, and one timer per pod
 * waits for the earliest. Once a container's crash loop is steady (back-off at its cap, the same
 * failure every time) its cycles are quiet timers (./crash-loop.ts): a 30-day advance writes
 * what the last cycle left, not every cycle.
 */

const pods = resourceTypeByKey('pods')!;
/** The kubelet's minimumGracePeriodInSeconds: a kill waits at least this long for SIGTERM. */
const MIN_GRACE_SECONDS = 2;
const OWNED = { owned: true };

export interface RestartHooks {
  /** Whether the node's kubelet runs (a stopped one restarts nothing). */
  isRunning(node: string): boolean;
  /** A container (re)started or passed its startup probe: its readiness probe starts over. */
  readinessStartsOver(pod: KubeObject): void;
}

/** Where a container is in its life, as far as restarts go. */
interface Life {
  phase: 'running' | 'stopping' | 'waiting' | 'terminated' | 'looping';
  /** When this instance of the container started. */
  startedAt: number;
  /** When its startup probe passed (its start, without one); undefined while it has not. */
  startedOkAt?: number;
  /** The first failing run of the probe in force (startup, then liveness), while it fails. */
  failingRun?: number;
  /** stopping: when it exits and with what code. */
  exitAt?: number;
  exitCode?: number;
  /** stopping: whether it exits on its own (its run is over: ./run-to-completion.ts) rather than killed. */
  natural?: boolean;
  /** When the last instance before this one exited (the back-off is judged by it), or this one while it waits. */
  finishedAt?: number;
  /** waiting: when its back-off ends. */
  restartAt?: number;
  /** A steady crash loop: its shape, its quiet timer, and the time up to which it was written. */
  loop?: { shape: LoopShape; timer: Timer; written: number };
}

interface PodLives {
  uid: string;
  containers: Map<string, Life>;
  timer?: Timer;
  due?: number;
}

const keyOf = (pod: KubeObject) => `${pod.metadata.namespace}/${pod.metadata.name}`;

export class ContainerRestarts {
  private readonly lives = new Map<string, PodLives>();
  private readonly backoff = new RestartBackoff();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly hooks: RestartHooks,
    /** Whether a steady crash loop goes on one quiet timer; without, every step is taken in turn (specs compare the two). */
    private readonly fastForward = true,
  ) {}

  /** Whether the pod has probes this class runs, or containers that exit on their own. */
  static concerns(pod: KubeObject): boolean {
    return ((pod.spec as PodSpec).containers ?? []).some((c) => probeOf(c, 'liveness') || probeOf(c, 'startup')) || runToCompletion(pod) !== undefined;
  }

  /** The pod is gone or terminating: no more restarts, its back-off forgotten. */
  forget(pod: KubeObject): void {
    const lives = this.lives.get(keyOf(pod));
    if (!lives) return;
    this.clock.cancel(lives.timer);
    for (const life of lives.containers.values()) this.cancelLoop(life);
    this.lives.delete(keyOf(pod));
    this.backoff.forget(`${lives.uid}/`);
  }

  /**
   * The node's kubelet stops: each crash loop there is written as it stands now and handed back to
   * steps, which wait for the kubelet, so no later quiet run moves a loop past the stop.
   */
  kubeletStops(node: string): void {
    const now = this.clock.now();
    for (const [key, lives] of this.lives) {
      for (const [name, life] of lives.containers) {
        if (!life.loop) continue;
        const [namespace, podName] = key.split('/');
        const pod = this.store.tryGet(pods, namespace, podName);
        if (!pod || (pod.spec as PodSpec).nodeName !== node) continue;
        this.runLoop(key, name);
        const current = this.store.tryGet(pods, namespace, podName) ?? pod;
        const c = (current.spec as PodSpec).containers.find((x) => x.name === name);
        if (c && life.loop) this.breakLoop(current, c, life, now);
      }
    }
  }

  /**
   * After the pod started or changed: works out each container's next step from its probes as
   * they answer now, and sets the pod's one timer for the earliest.
   */
  sync(pod: KubeObject): void {
    const key = keyOf(pod);
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
    const finished = (status?.lastState as { terminated?: { finishedAt?: string } } | undefined)?.terminated?.finishedAt;
    const finishedAt = finished ? Date.parse(finished) : undefined;
    if (status?.state?.waiting) return { phase: 'waiting', startedAt, finishedAt: finishedAt ?? now, restartAt: now };
    if (status?.state?.terminated) return { phase: 'terminated', startedAt };
    return { phase: 'running', startedAt, startedOkAt: status?.started === false ? undefined : startedAt, finishedAt };
  }

  /** The probe in force for a running container: startup until it passes, then liveness. */
  private probeInForce(c: Container, started: boolean): { kind: ProbeKind; probe: Probe } | undefined {
    const kind = started ? 'liveness' : 'startup';
    const probe = probeOf(c, kind);
    return probe ? { kind, probe } : undefined;
  }

  /** The time of the probe's first run at or after `t`: runs start `initialDelaySeconds` after the container did, one period apart. */
  private nextRun(probe: Probe, life: Life, t: number): number {
    const first = Math.max(life.startedAt + (probe.initialDelaySeconds ?? 0) * 1000, life.startedOkAt ?? life.startedAt);
    if (t <= first) return first;
    const period = probePeriodMs(probe);
    return first + Math.ceil((t - first) / period) * period;
  }

  /** When the container's next step is due (Infinity: none): its exit at the end of its run, or what its probes do. */
  private nextStep(pod: KubeObject, c: Container, life: Life, now: number): number {
    const probes = this.nextProbeStep(pod, c, life, now);
    const exit = life.phase === 'running' ? this.naturalExitAt(pod, life) : undefined;
    return exit === undefined ? probes : Math.min(probes, exit);
  }

  /** When a running container's run is over and it exits on its own, if it does. */
  private naturalExitAt(pod: KubeObject, life: Life): number | undefined {
    const run = runToCompletion(pod);
    return run === undefined ? undefined : life.startedAt + run.runMs;
  }

  /** When the container's next step is due from its probes and restarts (Infinity: none), updating what it remembers of a failing probe. */
  private nextProbeStep(pod: KubeObject, c: Container, life: Life, now: number): number {
    if (life.loop && this.signature(pod, c) !== life.loop.shape.signature) this.breakLoop(pod, c, life, now);
    switch (life.phase) {
      case 'looping':
      case 'terminated':
        return Infinity;
      case 'stopping':
        return life.exitAt!;
      case 'waiting':
        return life.restartAt!;
    }
    if (life.startedOkAt === undefined && !probeOf(c, 'startup')) life.startedOkAt = life.startedAt;
    const inForce = this.probeInForce(c, life.startedOkAt !== undefined);
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
    const lives = this.lives.get(keyOf(pod));
    if (!lives) return;
    const statuses = (((pod.status as PodStatus).containerStatuses ?? []) as Status[]).map((s) => ({ ...s }));
    let startsOver = false;
    for (const c of (pod.spec as PodSpec).containers) {
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
    const written = this.writeStatuses(pod, statuses);
    if (startsOver) this.hooks.readinessStartsOver(written);
    this.sync(written);
  }

  /** Writes the containers' statuses and the pod's phase and conditions; `flippedAt`: when a lone container's readiness last changed, if not now. */
  private writeStatuses(pod: KubeObject, statuses: Status[], flippedAt?: number): KubeObject {
    const status = (pod.status ?? {}) as PodStatus;
    const terminal = statuses.every((s) => s.state?.terminated);
    const phase = terminal ? (statuses.some((s) => (s.state!.terminated as { exitCode: number }).exitCode !== 0) ? 'Failed' : 'Succeeded') : status.phase;
    let conditions = readyConditions(status, statuses, this.store.now());
    if (flippedAt !== undefined && statuses.length === 1) {
      conditions = conditions?.map((k) => (k.type === 'Ready' || k.type === 'ContainersReady' ? { ...k, lastTransitionTime: timestamp(flippedAt) } : k));
    }
    if (terminal) {
      conditions = conditions?.map((k) => (k.type === 'Ready' || k.type === 'ContainersReady' ? { type: k.type, status: k.status, lastProbeTime: null, lastTransitionTime: k.lastTransitionTime, reason: terminalReadyReason(phase!) } : k));
    }
    const updated = { ...status, phase, conditions, containerStatuses: statuses };
    return this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status: updated }, OWNED);
  }

  /** How long SIGTERM takes to end the container: nginx and the like exit at once (0); a process without a handler is killed at the end of the grace period (137). */
  private exitOf(pod: KubeObject, c: Container, probe: Probe): { afterMs: number; code: number } {
    if (!containerIgnoresSigterm(pod, c)) return { afterMs: SIGTERM_EXIT_MS, code: 0 };
    const grace = probe.terminationGracePeriodSeconds ?? (pod.spec as PodSpec).terminationGracePeriodSeconds ?? 30;
    // The kubelet's killContainer gives at least minimumGracePeriodInSeconds (2 s).
    return { afterMs: Math.max(grace, MIN_GRACE_SECONDS) * 1000, code: 137 };
  }

  /** One step of a container's life; answers its new status. */
  private advance(pod: KubeObject, c: Container, life: Life, s: Status, now: number): { status: Status; startsOver: boolean } {
    const restartPolicy = (pod.spec as PodSpec).restartPolicy ?? 'Always';
    const bkey = `${pod.metadata.uid}/${c.name}`;
    const exitAt = life.phase === 'running' ? this.naturalExitAt(pod, life) : undefined;
    if (exitAt !== undefined && exitAt <= now) {
      // Its run is over: it exits with the pod's exit code, no kill, no grace period.
      life.phase = 'stopping';
      life.natural = true;
      life.failingRun = undefined;
      life.exitAt = now;
      life.exitCode = runToCompletion(pod)!.exitCode;
    }
    if (life.phase === 'running') {
      const inForce = this.probeInForce(c, life.startedOkAt !== undefined)!;
      const result = runProbe(pod, c, inForce.probe);
      if (result.ok) {
        // The startup probe passed: liveness and readiness start.
        life.startedOkAt = now;
        life.failingRun = undefined;
        return { status: { ...s, started: true, ready: !probeOf(c, 'readiness') }, startsOver: true };
      }
      recordKill(this.store, pod, c, inForce.kind, result.output, failureThreshold(inForce.probe), restartPolicy !== 'Never');
      const exit = this.exitOf(pod, c, inForce.probe);
      life.phase = 'stopping';
      life.failingRun = undefined;
      life.exitAt = now + exit.afterMs;
      life.exitCode = exit.code;
      return { status: s, startsOver: false };
    }
    if (life.phase === 'stopping') {
      const terminated = terminatedOf(life.exitCode!, life.startedAt, now, s.containerID);
      const previous = life.finishedAt;
      life.finishedAt = now;
      const ended = { status: { ...s, ready: false, started: false, state: { terminated } }, startsOver: false };
      const natural = life.natural;
      life.natural = undefined;
      // A container that exited on its own is restarted as restartPolicy says: OnFailure not after exit 0 (ShouldContainerBeRestarted).
      if (restartPolicy === 'Never' || (natural && restartPolicy === 'OnFailure' && life.exitCode === 0)) {
        life.phase = 'terminated';
        return ended;
      }
      // As the kubelet's SyncPod: the kill and the new start in one sync, whose doBackOff looks at
      // the pod's status from before the kill, so at the instance before this one. None: no back-off.
      if (previous !== undefined && this.backoff.inBackOffSince(bkey, previous, now)) {
        recordBackOff(this.store, pod, c);
        // Later syncs restart an exited container only as its restartPolicy says: OnFailure not after exit 0.
        if (restartPolicy === 'OnFailure' && life.exitCode === 0) {
          life.phase = 'terminated';
          return ended;
        }
        life.phase = 'waiting';
        life.restartAt = now + this.backoff.get(bkey);
        return { status: waitingOf(pod, c, s, terminated, this.backoff.get(bkey)), startsOver: false };
      }
      if (previous !== undefined) this.backoff.next(bkey, now);
      return { status: this.restart(pod, c, life, { ...s, lastState: { terminated } }, now), startsOver: true };
    }
    // waiting: the back-off is over.
    this.backoff.next(bkey, now);
    return { status: this.restart(pod, c, life, s, now), startsOver: true };
  }

  /** A new instance of the container; a steady crash loop starts here if the new instance is bound to fail as the last one did. */
  private restart(pod: KubeObject, c: Container, life: Life, s: Status, now: number): Status {
    const bkey = `${pod.metadata.uid}/${c.name}`;
    const restartCount = (s.restartCount ?? 0) + 1;
    const startup = probeOf(c, 'startup');
    life.phase = 'running';
    life.startedAt = now;
    life.startedOkAt = startup ? undefined : now;
    life.failingRun = undefined;
    life.exitAt = life.exitCode = life.restartAt = undefined;
    recordRestart(this.store, pod, c);
    const shape = this.fastForward ? this.loopFrom(pod, c, restartCount, now, life.finishedAt ?? now, this.backoff.get(bkey)) : undefined;
    if (shape) {
      // From here the loop runs on its own, on one quiet timer.
      const key = keyOf(pod);
      const timer = this.clock.every(loopTick(shape), `kubelet: ${key} ${c.name} crash loop`, () => this.runLoop(key, c.name), { quiet: true });
      life.loop = { shape, timer, written: now };
      life.phase = 'looping';
      // A probe that kills at its first run (no initial delay, failureThreshold 1) does it now, which the loop's runs, counting after now, leave out.
      if (shape.killAfter === 0) recordKill(this.store, pod, c, shape.kind, shape.output, shape.runs, true);
    }
    return restartedOf(pod, c, s, restartCount, now);
  }

  /** What the probes of a fresh instance answer, as text. */
  private signature(pod: KubeObject, c: Container): string {
    const inForce = this.probeInForce(c, !probeOf(c, 'startup'));
    const readiness = probeOf(c, 'readiness');
    return JSON.stringify([inForce && runProbe(pod, c, inForce.probe), readiness && runProbe(pod, c, readiness).ok]);
  }

  /**
   * The loop a container just started at `now` is in, if it is steady: its probe fails, no readiness
   * probe would make it ready, its back-off is at the cap, and this instance will be restarted at
   * once when killed (it started a full back-off after the exit before it) while the next one waits.
   */
  private loopFrom(pod: KubeObject, c: Container, restartCount: number, now: number, previousExit: number, backoff: number): LoopShape | undefined {
    // A loop of containers that exit on their own is taken step by step.
    if (backoff !== MAX_BACKOFF_MS || runToCompletion(pod) !== undefined) return undefined;
    const inForce = this.probeInForce(c, !probeOf(c, 'startup'));
    if (!inForce) return undefined;
    const result = runProbe(pod, c, inForce.probe);
    const readiness = probeOf(c, 'readiness');
    if (result.ok || (readiness && inForce.kind === 'liveness' && runProbe(pod, c, readiness).ok)) return undefined;
    const killAfter = (inForce.probe.initialDelaySeconds ?? 0) * 1000 + (failureThreshold(inForce.probe) - 1) * probePeriodMs(inForce.probe);
    const exit = this.exitOf(pod, c, inForce.probe);
    const run = killAfter + exit.afterMs;
    // A run as long as the back-off is never waited for; after exit 0, OnFailure does not restart a container in back-off.
    if (run >= backoff || now + run - previousExit < backoff) return undefined;
    if ((pod.spec as PodSpec).restartPolicy === 'OnFailure' && exit.code === 0) return undefined;
    return {
      start: now,
      restartCount,
      killAfter,
      exitAfter: exit.afterMs,
      instances: 2,
      backoff,
      period: 2 * run + backoff,
      exitCode: exit.code,
      kind: inForce.kind,
      output: result.output,
      runs: failureThreshold(inForce.probe),
      signature: this.signature(pod, c),
    };
  }

  /**
   * A quiet run of the loop, at its last due time: the state of that moment, and the events of
   * every kill, exit and start since the last run, each Event's `count` bumped by as many.
   */
  private runLoop(key: string, name: string): void {
    const now = this.clock.now();
    const life = this.lives.get(key)?.containers.get(name);
    const loop = life?.loop;
    if (!life || !loop) return;
    const [namespace, podName] = key.split('/');
    const pod = this.store.tryGet(pods, namespace, podName);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const c = (pod.spec as PodSpec).containers.find((x) => x.name === name);
    if (!c || !this.hooks.isRunning((pod.spec as PodSpec).nodeName!)) {
      // A stopped kubelet restarts nothing: the loop ends where it was last written (kubeletStops writes it at the stop), and starting the kubelet takes it on from there.
      if (c) this.breakLoop(pod, c, life, loop.written);
      return;
    }
    const { shape } = loop;
    const since = loop.written;
    loop.written = now;
    const kills = occurrences(shape, 'kill', since, now);
    const exits = occurrences(shape, 'exit', since, now);
    const waits = occurrences(shape, 'wait', since, now);
    const starts = occurrences(shape, 'restart', since, now);
    if (kills + exits + starts === 0) return;
    this.store.transaction(() => {
      // Each Event as its last occurrence left it.
      if (kills) recordKill(this.store, pod, c, shape.kind, shape.output, shape.runs, true, kills, lastOccurrence(shape, 'kill', now));
      if (waits) recordBackOff(this.store, pod, c, waits, lastOccurrence(shape, 'wait', now));
      if (starts) recordRestart(this.store, pod, c, starts, lastOccurrence(shape, 'restart', now));
      if (!exits && !starts) return;
      const statuses = (((pod.status as PodStatus).containerStatuses ?? []) as Status[]).map((s) => ({ ...s }));
      const index = statuses.findIndex((s) => s.name === name);
      if (index < 0) return;
      const { start, previousStart, restartCount, doing } = loopAt(shape, now);
      const uid = pod.metadata.uid;
      const exitOf = (from: number, count: number) => terminatedOf(shape.exitCode, from, from + runMs(shape), containerIdOf(uid, name, count));
      // Between two runs the container was ready while it ran (unless a probe kept it from that): its readiness last changed at its last exit or start.
      let flippedAt: number | undefined;
      if (doing === 'waiting') {
        statuses[index] = waitingOf(pod, c, { ...statuses[index], restartCount, containerID: containerIdOf(uid, name, restartCount) }, exitOf(start, restartCount), shape.backoff);
        flippedAt = start + runMs(shape);
      } else {
        statuses[index] = restartedOf(pod, c, { ...statuses[index], lastState: { terminated: exitOf(previousStart, restartCount - 1) } }, restartCount, start);
        if (statuses[index].ready) flippedAt = start;
      }
      if (!restartedOf(pod, c, statuses[index], restartCount, start).ready) flippedAt = undefined;
      this.writeStatuses(pod, statuses, flippedAt);
    });
  }

  private cancelLoop(life: Life): void {
    this.clock.cancel(life.loop?.timer);
  }

  /** The loop's assumptions no longer hold (a probe answers otherwise, the kubelet stopped): the container goes on from where the loop has it now. */
  private breakLoop(pod: KubeObject, c: Container, life: Life, now: number): void {
    const loop = life.loop!;
    this.cancelLoop(life);
    life.loop = undefined;
    if (life.phase !== 'looping') return;
    const { shape } = loop;
    const at = loopAt(shape, now);
    const finished = at.start + runMs(shape);
    // Every start in the loop took the back-off one step (at its cap).
    this.backoff.set(`${pod.metadata.uid}/${c.name}`, shape.backoff, at.start);
    life.startedAt = at.start;
    life.failingRun = undefined;
    life.finishedAt = at.previousStart + runMs(shape);
    if (at.doing === 'running') {
      life.phase = 'running';
      life.startedOkAt = probeOf(c, 'startup') ? undefined : at.start;
    } else if (at.doing === 'stopping') {
      life.phase = 'stopping';
      life.exitAt = finished;
      life.exitCode = shape.exitCode;
    } else {
      life.phase = 'waiting';
      life.finishedAt = finished;
      life.restartAt = finished + shape.backoff;
    }
  }
}
