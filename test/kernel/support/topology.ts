/**
 * Network-namespace topologies for the kernel agreement suite.
 *
 *   outside namespace ("out")                         node namespace ("node")
 *   up0 192.168.0.1/24 (+ 192.168.0.77)  <-- veth -->  eth0 192.168.0.2/24, default via 192.168.0.1
 *   lo: remote pods (10.180.1.x ...),                  cni0 bridge 10.180.0.254/24
 *       outside clients (203.0.113.x ...),               |-- veth -- pod namespace: eth0 10.180.0.2/24, default via .254
 *       NAT targets                                      |-- veth -- pod namespace: eth0 10.180.0.10/24 ...
 *   default via 192.168.0.2                              (bridge ports in hairpin mode, as the CNI bridge plugin sets them)
 *
 * The node namespace gets the ruleset (real `iptables-restore`) and the
 * sysctls kube-proxy expects (ip_forward, route_localnet, rp_filter off,
 * bridge-nf-call-iptables, no ICMP rate limit). Every namespace runs a
 * listener (support/listener.js) on the ports of interest; clients
 * (support/client.js) run in the pod, node or outside namespace.
 *
 * Names are unique per run (`nsim-k<pid>r<random>-...`); every namespace is
 * deleted in `destroy()` (the suites call it in afterAll, also after a
 * failure), on exit and on SIGINT / SIGTERM / SIGHUP, and, should the process
 * die otherwise, by a detached watchdog that waits for it to end (support/netns.ts
 * holds that machinery; support/namespace-topology.ts what every topology does
 * with it).
 */
import { tryParseIPv4 } from '../../../src/common/ipv4';
import type { HostSpec } from '../../../src/netfilter/host';
import { hardwareAddressOf } from '../../../src/netfilter/matches/mac.match';
import { bridgePortLines, NamespaceTopology, namespaceLines } from './namespace-topology';
import { iptablesSave, namespaceStem, run, runScript } from './netns';

export { type ClientResult, type ClientSpec, type ListenerRecord } from './netns';

export const NODE_IP = '192.168.0.2';
export const GATEWAY_IP = '192.168.0.1';
export const ONLINK_CLIENT_IP = '192.168.0.77';
export const BRIDGE_IP = '10.180.0.254';
export const POD_NET = '10.180.0.0/24';
/** The Ethernet source of every frame from outside (the router's up0), as the engine is told (`sourceMac`). */
export const OUTSIDE_MAC = hardwareAddressOf(tryParseIPv4(GATEWAY_IP)!);

/** The node as the engine sees it: the same interfaces and routes the namespace gets. */
export const ENGINE_HOST: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: [`${NODE_IP}/24`] },
    { name: 'cni0', addresses: [`${BRIDGE_IP}/24`] },
  ],
  routes: [{ destination: 'default', via: GATEWAY_IP, interface: 'eth0' }],
};

export interface TopologySpec {
  /** Local pods: one namespace each, behind cni0. */
  readonly pods: readonly string[];
  /** Addresses the outside namespace holds besides its own (remote pods, outside clients, NAT targets). */
  readonly outsideAddresses: readonly string[];
  /** Ports every listener listens on (TCP and UDP). */
  readonly ports: readonly number[];
  /** nfacct objects the ruleset names (kube-proxy's counting rules need them to exist). */
  readonly nfacct?: readonly string[];
}

/** Where a probe is sent from: a pod, the node itself, or an address of the outside namespace. */
export type ProbeSource = { kind: 'pod'; ip: string } | { kind: 'host' } | { kind: 'outside'; ip: string };

/** The namespace that sends a probe in a node / outside / pods topology (this one and topology6.ts). */
export function probeNamespace(t: { readonly node: string; readonly out: string; readonly pods: ReadonlyMap<string, string> }, from: ProbeSource): string {
  if (from.kind === 'host') return t.node;
  if (from.kind === 'outside') return t.out;
  const ns = t.pods.get(from.ip);
  if (!ns) throw new Error(`no pod namespace for ${from.ip}`);
  return ns;
}

export class Topology extends NamespaceTopology {
  readonly node: string;
  readonly out: string;
  /** Pod address -> namespace. */
  readonly pods = new Map<string, string>();

  private constructor(readonly spec: TopologySpec) {
    super('nsim-kernel-');
    const base = namespaceStem();
    this.node = `${base}-node`;
    this.out = `${base}-out`;
    spec.pods.forEach((ip, i) => this.pods.set(ip, `${base}-p${i}`));
  }

  /** Builds the namespaces and starts a listener in each. */
  static create(spec: TopologySpec): Promise<Topology> {
    const t = new Topology(spec);
    return t.setUp(() => {
      t.build();
      return t.listen([
        { ns: t.node, label: 'node', ports: spec.ports },
        { ns: t.out, label: 'out', ports: spec.ports },
        ...[...t.pods].map(([ip, ns]) => ({ ns, label: `pod:${ip}`, ports: spec.ports })),
      ]);
    });
  }

  private build(): void {
    const { node, out } = this;
    this.addNamespaces([node, out, ...this.pods.values()]);
    const lines: string[] = [
      ...namespaceLines(node, 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.icmp_ratelimit=0'),
      ...namespaceLines(out, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.icmp_ratelimit=0'),
      `ip -n ${node} link add eth0 type veth peer name up0 netns ${out}`,
      // Known MACs (`-m mac`): the outside's router as hardwareAddressOf(GATEWAY_IP), each pod as hardwareAddressOf(its IP).
      `ip -n ${out} link set up0 address ${OUTSIDE_MAC}`,
      `ip -n ${node} addr add ${NODE_IP}/24 dev eth0`,
      `ip -n ${node} link set eth0 up`,
      `ip -n ${out} addr add ${GATEWAY_IP}/24 dev up0`,
      `ip -n ${out} addr add ${ONLINK_CLIENT_IP}/24 dev up0`,
      `ip -n ${out} link set up0 up`,
      `ip -n ${node} route add default via ${GATEWAY_IP} dev eth0`,
      `ip -n ${out} route add default via ${NODE_IP} dev up0`,
      `ip -n ${node} link add cni0 type bridge`,
      `ip -n ${node} addr add ${BRIDGE_IP}/24 dev cni0`,
      `ip -n ${node} link set cni0 up`,
    ];
    for (const address of this.spec.outsideAddresses) lines.push(`ip -n ${out} addr add ${address}/32 dev lo`);
    let i = 0;
    for (const [ip, ns] of this.pods) {
      lines.push(
        ...namespaceLines(ns, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'),
        ...bridgePortLines(node, 'cni0', `vp${i++}`, ns),
        `ip -n ${ns} link set eth0 address ${hardwareAddressOf(tryParseIPv4(ip)!)}`,
        `ip -n ${ns} addr add ${ip}/24 dev eth0`,
        `ip -n ${ns} link set eth0 up`,
        `ip -n ${ns} route add default via ${BRIDGE_IP} dev eth0`,
      );
    }
    // Bridged pod-to-pod frames must meet the node's conntrack (Kubernetes requires it).
    lines.push(`ip netns exec ${node} sysctl -q -w net.bridge.bridge-nf-call-iptables=1 || true`);
    for (const name of this.spec.nfacct ?? []) lines.push(`ip netns exec ${node} nfacct add ${name}`);
    runScript(lines);
  }

  /** The namespace that sends a probe: a pod's, the node's, or the outside one. */
  namespaceOf(from: ProbeSource): string {
    return probeNamespace(this, from);
  }

  /** Loads a ruleset with the real iptables-restore in the node namespace. */
  restore(rules: string): void {
    run(['ip', 'netns', 'exec', this.node, 'iptables-restore'], rules);
  }

  /** Loads ipsets with the real `ipset restore` in the node namespace (before rules that name them). */
  restoreIpsets(text: string): void {
    run(['ip', 'netns', 'exec', this.node, 'ipset', 'restore'], text);
  }

  /** The real `ipset save` of the node namespace. */
  saveIpsets(): string {
    return run(['ip', 'netns', 'exec', this.node, 'ipset', 'save']);
  }

  /** The real iptables-save of the node namespace, `#` lines dropped. */
  save(): string {
    return iptablesSave(this.node);
  }
}
