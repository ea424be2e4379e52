/**
 * What every kernel topology shares, whatever its shape (topology.ts,
 * topology6.ts, corpus-topology.ts, cluster-topology.ts): its namespaces,
 * registered for cleanup as they are made (support/netns.ts), a temporary
 * directory where the listeners in them record what arrives, the clients
 * sent from them, and the teardown of it all, also when building fails half
 * way. Each topology says what it builds and where it listens.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNamespace, deleteNamespace, readRecords, runClient, startListener, stopChild, sysctlLine, type ClientResult, type ClientSpec, type ListenerRecord } from './netns';

/** A listener to start: the namespace, the label its records carry, its ports (TCP and UDP). */
export interface ListenerPlace {
  readonly ns: string;
  readonly label: string;
  readonly ports: readonly number[];
}

export abstract class NamespaceTopology {
  readonly dir: string;
  /** Where every listener of the topology writes its records (JSON lines). */
  readonly logFile: string;
  private readonly namespaces: string[] = [];
  private readonly listeners: ChildProcess[] = [];

  /** `tmpPrefix` names the temporary directory (`nsim-kernel-`, ...). */
  protected constructor(tmpPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), tmpPrefix));
    this.logFile = join(this.dir, 'listeners.jsonl');
    writeFileSync(this.logFile, '');
  }

  /** Runs the steps that build the topology; when one fails, tears down what was built and throws. */
  protected async setUp(steps: () => void | Promise<void>): Promise<this> {
    try {
      await steps();
    } catch (e) {
      this.destroy();
      throw e;
    }
    return this;
  }

  /** Creates the namespaces, each registered for cleanup at once. */
  protected addNamespaces(names: readonly string[]): void {
    for (const ns of names) {
      this.namespaces.push(ns);
      addNamespace(ns);
    }
  }

  /** Starts the listeners; resolves once every one listens. */
  protected async listen(places: readonly ListenerPlace[]): Promise<void> {
    const errorLog = join(this.dir, 'listener-errors.log');
    await Promise.all(
      places.map(({ ns, label, ports }) => {
        const listener = startListener(ns, label, ports, this.logFile, errorLog);
        this.listeners.push(listener.child);
        return listener.ready;
      }),
    );
  }

  /** Runs a client in a namespace; answers what each id's socket saw. */
  client(ns: string, spec: ClientSpec): ClientResult[] {
    return runClient(ns, spec);
  }

  /** Every record the listeners wrote so far. */
  records(): ListenerRecord[] {
    return readRecords(this.logFile);
  }

  /** Stops the listeners, deletes the namespaces and the temporary directory; safe to call twice. */
  destroy(): void {
    for (const child of this.listeners) stopChild(child);
    this.listeners.length = 0;
    for (const ns of this.namespaces) deleteNamespace(ns);
    this.namespaces.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A namespace's first lines: its sysctls (before any interface: conf.default applies to those made later), then lo up. */
export function namespaceLines(ns: string, ...sysctls: string[]): string[] {
  return [...(sysctls.length > 0 ? [sysctlLine(ns, ...sysctls)] : []), `ip -n ${ns} link set lo up`];
}

/**
 * A pod's veth on a node's bridge: `veth` on the node, `eth0` in the pod, a port
 * of the bridge in hairpin mode, as the CNI bridge plugin with hairpinMode
 * (flannel's default) makes it: with br_netfilter a DNAT back to the sender's
 * own port is bridged, and needs hairpin mode on that port.
 */
export function bridgePortLines(node: string, bridge: string, veth: string, pod: string, mtu?: number): string[] {
  return [
    `ip -n ${node} link add ${veth} type veth peer name eth0 netns ${pod}`,
    `ip -n ${node} link set ${veth}${mtu === undefined ? '' : ` mtu ${mtu}`} master ${bridge}`,
    `ip -n ${node} link set ${veth} type bridge_slave hairpin on`,
    `ip -n ${node} link set ${veth} up`,
  ];
}
