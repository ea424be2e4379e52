/**
 * `kubectl exec` and `kubectl logs`, framework-free: which pod and container
 * a request names (with the API server's and kubelet's errors), a simulated
 * shell in that pod's view, and the pod's access log. See docs/exec.md.
 */
import type { Cluster } from '../cluster/cluster';
import { terminalReadyReason } from '../cluster/controllers/container-status';
import { timestamp } from '../common/clock';
import { DomainError } from '../common/domain-error';
import type { Random } from '../common/random';
import type { PodEndpoint } from '../dataplane/network';
import type { TrafficSimulator } from '../dataplane/traffic';
import { AccessLogs, type AccessLogEntry } from './access-log';
import { BASIC_COMMANDS } from './commands/basic';
import { dnsCommands } from './commands/dns-tools';
import { httpClientCommands, type PodTools } from './commands/http-clients';
import { netCommands } from './commands/net-tools';
import { PodSockets } from './pod-sockets';
import { PodView } from './pod-view';
import { Shell } from './shell';

export interface ExecTarget {
  namespace: string;
  pod: string;
  /** The container asked for; optional when the pod has one. */
  container?: string;
}

export interface LogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

interface ContainerSpec {
  name: string;
  command?: string[];
  args?: string[];
}

export class PodExec {
  readonly logs = new AccessLogs();
  readonly sockets: PodSockets;

  constructor(
    private readonly cluster: Cluster,
    private readonly traffic: TrafficSimulator,
    random: Random = cluster.random,
  ) {
    this.sockets = new PodSockets(traffic, this.logs, random);
    // A deleted pod's log goes with it, as its container's log files do.
    cluster.store.subscribe((event) => {
      if (event.resource === 'pods' && event.type === 'DELETED' && event.object.metadata.uid) this.logs.drop(event.object.metadata.uid);
    });
  }

  private podOf(namespace: string, name: string): PodEndpoint {
    const pod = this.traffic.network.pod(namespace, name);
    if (!pod) throw new DomainError('NOT_FOUND', `pods "${name}" not found`, { kind: 'pods', name });
    return pod;
  }

  /** The container a request means, as the API server picks it (`container` optional for a single-container pod). */
  private containerOf(pod: PodEndpoint, asked: string | undefined): string {
    const containers = ((pod.object.spec ?? {}) as { containers?: ContainerSpec[] }).containers ?? [];
    const names = containers.map((c) => c.name);
    if (asked === undefined || asked === '') {
      if (names.length === 1) return names[0];
      throw new DomainError('BAD_REQUEST', `a container name must be specified for pod ${pod.name}, choose one of: [${names.join(' ')}]`);
    }
    if (!names.includes(asked)) throw new DomainError('BAD_REQUEST', `container ${asked} is not valid for pod ${pod.name}`);
    return asked;
  }

  /**
   * A shell in the pod's container, or the errors of the API server (no
   * such pod or container; not scheduled) and of the kubelet (the
   * container is not running).
   */
  shell(target: ExecTarget): Shell {
    const pod = this.podOf(target.namespace, target.pod);
    const container = this.containerOf(pod, target.container);
    if (!pod.node) throw new DomainError('BAD_REQUEST', `pod ${pod.name} does not have a host assigned`);
    if (pod.phase !== 'Running' || !this.traffic.network.tryNode(pod.node)) {
      throw new DomainError('BAD_REQUEST', `unable to upgrade connection: container not found ("${container}")`);
    }
    const view = new PodView(this.cluster, this.traffic.network, pod, container);
    const tools: PodTools = { view, sockets: this.sockets };
    const commands = new Map([...BASIC_COMMANDS, ...httpClientCommands(tools), ...dnsCommands(tools), ...netCommands(tools)]);
    const files = new Map([
      ['/etc/resolv.conf', view.resolvConf()],
      ['/etc/hosts', view.hosts()],
      ['/etc/hostname', `${view.hostname}\n`],
    ]);
    return new Shell({ commands, env: view.environment(), files });
  }

  /** The container's own command line (`command` + `args`), for `attach`: what `kubectl run -it … -- CMD` runs. */
  containerCommand(target: ExecTarget): string[] {
    const pod = this.podOf(target.namespace, target.pod);
    const name = this.containerOf(pod, target.container);
    const c = (((pod.object.spec ?? {}) as { containers?: ContainerSpec[] }).containers ?? []).find((x) => x.name === name)!;
    return [...(c.command ?? []), ...(c.args ?? [])];
  }

  /**
   * After `attach` ran the container's command: its output joins the
   * container's log, and a container that is not
   * restarted (`restartPolicy: Never`, or `OnFailure` after success) has
   * terminated, as the kubelet would report it, so `kubectl run --rm
   * --restart=Never` sees the pod finish and exits with the code. With
   * `Always` the pod stays Running (the emulator does not restart it).
   */
  containerExited(target: ExecTarget, exitCode: number, output: string): void {
    const pod = this.podOf(target.namespace, target.pod);
    const container = this.containerOf(pod, target.container);
    this.logs.write(pod.object.metadata.uid ?? `${pod.namespace}/${pod.name}`, container, this.cluster.clock.now(), output);
    const spec = (pod.object.spec ?? {}) as { restartPolicy?: string; containers?: ContainerSpec[] };
    const policy = spec.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) return;
    const store = this.cluster.store;
    const type = store.resourceType('pods');
    const current = store.tryGet(type, target.namespace, target.pod);
    if (!current || current.metadata.deletionTimestamp) return;
    const now = timestamp(this.cluster.clock.now());
    const status = (current.status ?? {}) as { containerStatuses?: { name: string; state?: unknown; ready?: boolean; started?: boolean; containerID?: string }[]; conditions?: { type: string; status: string }[] };
    const containerStatuses = (status.containerStatuses ?? []).map((c) =>
      c.name !== container
        ? c
        : { ...c, ready: false, started: false, state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now, containerID: c.containerID } } },
    );
    const done = containerStatuses.every((c) => (c.state as { terminated?: unknown } | undefined)?.terminated !== undefined);
    const phase = done ? (containerStatuses.some((c) => (c.state as { terminated: { exitCode: number } }).terminated.exitCode !== 0) ? 'Failed' : 'Succeeded') : 'Running';
    const conditions = (status.conditions ?? []).map((c) => (done && (c.type === 'Ready' || c.type === 'ContainersReady') ? { ...c, status: 'False', reason: terminalReadyReason(phase) } : c));
    store.updateStatus(type, target.namespace, target.pod, { ...current, status: { ...status, phase, conditions, containerStatuses } }, { owned: true });
  }

  /**
   * `kubectl logs -f`: each new line of the container (formatted), until
   * the container ends (the pod finishes, is being deleted, or is gone),
   * then `end`. Answers a function that stops following.
   */
  followLog(uid: string, container: string, timestamps: boolean, line: (text: string) => void, end: () => void): () => void {
    const stopLines = this.logs.follow(uid, (entry) => {
      if (entry.container === container) line(formatLogLine(entry, timestamps));
    });
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      stopLines();
      stopEvents();
    };
    const stopEvents = this.cluster.store.subscribe((event) => {
      if (event.resource !== 'pods' || event.object.metadata.uid !== uid) return;
      const phase = (event.object.status as { phase?: string } | undefined)?.phase;
      if (event.type === 'DELETED' || event.object.metadata.deletionTimestamp || phase === 'Succeeded' || phase === 'Failed') {
        stop();
        end();
      }
    });
    return stop;
  }

  /** The lines `kubectl logs` shows, and the pod's uid to follow it by. */
  logLines(target: ExecTarget, options: LogOptions = {}): { uid: string; container: string; lines: string[] } {
    const pod = this.podOf(target.namespace, target.pod);
    const container = this.containerOf(pod, target.container);
    const uid = pod.object.metadata.uid ?? `${pod.namespace}/${pod.name}`;
    // Not scheduled: the API server has no kubelet to ask and answers an empty log.
    if (!pod.node) return { uid, container, lines: [] };
    if (pod.phase !== 'Running' && pod.phase !== 'Succeeded' && pod.phase !== 'Failed') {
      throw new DomainError('BAD_REQUEST', `container "${container}" in pod "${pod.name}" is waiting to start: ContainerCreating`);
    }
    let entries = this.logs.read(uid, container);
    if (options.sinceSeconds !== undefined) {
      const since = this.cluster.clock.now() - options.sinceSeconds * 1000;
      entries = entries.filter((e) => e.time >= since);
    }
    if (options.tailLines !== undefined) entries = options.tailLines <= 0 ? [] : entries.slice(-options.tailLines);
    let lines = entries.map((e) => formatLogLine(e, options.timestamps === true));
    if (options.limitBytes !== undefined) {
      let left = options.limitBytes;
      const kept: string[] = [];
      for (const l of lines) {
        if (left <= 0) break;
        kept.push(l.length + 1 > left ? l.slice(0, left) : l);
        left -= l.length + 1;
      }
      lines = kept;
    }
    return { uid, container, lines };
  }
}

/** A log line as the kubelet gives it: `--timestamps` prefixes RFC 3339 with nanoseconds. */
export function formatLogLine(entry: AccessLogEntry, timestamps: boolean): string {
  if (!timestamps) return entry.line;
  const iso = new Date(entry.time).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  return `${iso} ${entry.line}`;
}
