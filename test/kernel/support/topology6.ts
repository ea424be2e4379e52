/**
 * The IPv6 topology of the kernel agreement suite (ip6tables): as
 * topology.ts, in IPv6 only.
 *
 *   outside namespace ("out")                        node namespace ("node")
 *   up0 2001:db8::1/64                <-- veth -->   eth0 2001:db8::2/64, default via 2001:db8::1
 *   lo: outside clients, remote pods                 cni0 bridge fd00:10:180::fe/64
 *   default via 2001:db8::2                            |-- veth -- pod: eth0 fd00:10:180::N/64, default via ::fe
 *
 * Addresses are added `nodad` (no duplicate address detection: usable at
 * once); the node forwards (`net.ipv6.conf.all.forwarding=1`) and bridged
 * frames meet ip6tables (`bridge-nf-call-ip6tables`). The node's rules are
 * loaded with the real `ip6tables-restore`.
 */
import type { HostSpec } from '../../../src/netfilter/host';
import { bridgePortLines, NamespaceTopology, namespaceLines } from './namespace-topology';
import { ip6tablesSave, namespaceStem, run, runScript } from './netns';
import { probeNamespace, type ProbeSource } from './topology';

export const NODE_IP6 = '2001:db8::2';
export const GATEWAY_IP6 = '2001:db8::1';
export const BRIDGE_IP6 = 'fd00:10:180::fe';

/** The node as the engine sees it. */
export const ENGINE_HOST6: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: [`${NODE_IP6}/64`] },
    { name: 'cni0', addresses: [`${BRIDGE_IP6}/64`] },
  ],
  routes: [{ destination: 'default', via: GATEWAY_IP6, interface: 'eth0' }],
};

export class Topology6 extends NamespaceTopology {
  readonly node: string;
  readonly out: string;
  readonly pods = new Map<string, string>();

  private constructor(
    pods: readonly string[],
    private readonly outside: readonly string[],
  ) {
    super('nsim-kernel6-');
    const base = namespaceStem();
    this.node = `${base}-n6`;
    this.out = `${base}-o6`;
    pods.forEach((ip, i) => this.pods.set(ip, `${base}-q${i}`));
  }

  static create(pods: readonly string[], outside: readonly string[], ports: readonly number[]): Promise<Topology6> {
    const t = new Topology6(pods, outside);
    return t.setUp(() => {
      t.build();
      return t.listen([
        { ns: t.node, label: 'node', ports },
        { ns: t.out, label: 'out', ports },
        ...[...t.pods].map(([ip, ns]) => ({ ns, label: `pod:${ip}`, ports })),
      ]);
    });
  }

  private build(): void {
    const { node, out } = this;
    this.addNamespaces([node, out, ...this.pods.values()]);
    const lines = [
      ...namespaceLines(node, 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.icmp.ratelimit=0'),
      ...namespaceLines(out, 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.icmp.ratelimit=0'),
      `ip -n ${node} link add eth0 type veth peer name up0 netns ${out}`,
      `ip -n ${node} addr add ${NODE_IP6}/64 dev eth0 nodad`,
      `ip -n ${node} link set eth0 up`,
      `ip -n ${out} addr add ${GATEWAY_IP6}/64 dev up0 nodad`,
      `ip -n ${out} link set up0 up`,
      `ip -n ${node} -6 route add default via ${GATEWAY_IP6} dev eth0`,
      `ip -n ${out} -6 route add default via ${NODE_IP6} dev up0`,
      `ip -n ${node} link add cni0 type bridge`,
      `ip -n ${node} addr add ${BRIDGE_IP6}/64 dev cni0 nodad`,
      `ip -n ${node} link set cni0 up`,
    ];
    for (const address of this.outside) lines.push(`ip -n ${out} addr add ${address}/128 dev lo nodad`);
    let i = 0;
    for (const [ip, ns] of this.pods) {
      lines.push(
        ...namespaceLines(ns, 'net.ipv6.conf.default.accept_dad=0'),
        ...bridgePortLines(node, 'cni0', `vq${i++}`, ns),
        `ip -n ${ns} addr add ${ip}/64 dev eth0 nodad`,
        `ip -n ${ns} link set eth0 up`,
        `ip -n ${ns} -6 route add default via ${BRIDGE_IP6} dev eth0`,
      );
    }
    lines.push(`ip netns exec ${node} sysctl -q -w net.bridge.bridge-nf-call-ip6tables=1 || true`);
    runScript(lines);
  }

  namespaceOf(from: ProbeSource): string {
    return probeNamespace(this, from);
  }

  /** Loads a ruleset with the real ip6tables-restore in the node namespace. */
  restore(rules: string): void {
    run(['ip', 'netns', 'exec', this.node, 'ip6tables-restore'], rules);
  }

  /** The real ip6tables-save of the node namespace, `#` lines dropped. */
  save(): string {
    return ip6tablesSave(this.node);
  }
}
