/**
 * The network around one node of the real-dump corpus (fixtures/netfilter-corpus/
 * manifest.json), built in network namespaces for the kernel agreement suite.
 *
 *   node namespace                               one "side" namespace per interface
 *   IFACE  ADDRESS/n  (named as in the dump) <-- veth -->  up0 PEER0/n, default via ADDRESS
 *   ...                                                     lo: further peers (/32)
 *   default route via PEER0 of the default interface; a /32 route via PEER0 for
 *   each further peer behind another interface.
 *
 * The node gets the dump (real `iptables-restore`), with the ipsets and nfacct
 * objects it names created first, and forwarding on, rp_filter off, no ICMP rate
 * limit and no redirects. A listener (support/listener.js) runs in every
 * namespace; its label is `node` or `side:IFACE`. Namespaces are registered in
 * support/netns.ts, which removes them whatever way the run ends.
 */
import type { HostSpec, RouteSpec } from '../../../src/netfilter/host';
import { cidrContains, tryParseIPv4, tryParseIPv4Cidr } from '../../../src/common/ipv4';
import { NamespaceTopology, namespaceLines } from './namespace-topology';
import { iptablesSave, namespaceStem, run, runScript } from './netns';

/** One interface of the node: its name in the dump, its address, and who is behind it. */
export interface CorpusInterface {
  readonly name: string;
  /** The node's address on it, `a.b.c.d/n`. */
  readonly address: string;
  /** The neighbour on the link first (same subnet), then addresses behind it. */
  readonly peers: readonly string[];
}

export interface CorpusTopologySpec {
  readonly interfaces: readonly CorpusInterface[];
  /** The interface of the default route (default: the first). */
  readonly defaultVia?: string;
  /** Ports every listener opens (TCP and UDP). */
  readonly ports: readonly number[];
  /** Set names to create (empty, hash:net) before the dump loads. */
  readonly ipsets: readonly string[];
  readonly nfacct: readonly string[];
}

const hostPart = (cidr: string): string => cidr.split('/')[0];

/** The routes both the kernel node and the engine's host get, beyond the connected ones. */
export function corpusRoutes(spec: Pick<CorpusTopologySpec, 'interfaces' | 'defaultVia'>): RouteSpec[] {
  const byDefault = spec.interfaces.find((i) => i.name === (spec.defaultVia ?? spec.interfaces[0].name)) ?? spec.interfaces[0];
  const routes: RouteSpec[] = [{ destination: 'default', via: byDefault.peers[0], interface: byDefault.name }];
  for (const iface of spec.interfaces) {
    if (iface === byDefault) continue;
    const subnet = tryParseIPv4Cidr(iface.address, false)!;
    for (const peer of iface.peers.slice(1)) {
      if (!cidrContains(subnet, tryParseIPv4(peer)!)) routes.push({ destination: `${peer}/32`, via: iface.peers[0], interface: iface.name });
    }
  }
  return routes;
}

/** The node as the engine sees it: the same interfaces and routes. */
export function corpusHost(spec: Pick<CorpusTopologySpec, 'interfaces' | 'defaultVia'>): HostSpec {
  return {
    interfaces: [{ name: 'lo', addresses: ['127.0.0.1/8'] }, ...spec.interfaces.map((i) => ({ name: i.name, addresses: [i.address] }))],
    routes: corpusRoutes(spec),
  };
}

export class CorpusTopology extends NamespaceTopology {
  readonly node: string;
  /** Interface name -> its side namespace. */
  readonly sides = new Map<string, string>();

  private constructor(readonly spec: CorpusTopologySpec) {
    super('nsim-corpus-');
    const base = namespaceStem();
    this.node = `${base}-node`;
    spec.interfaces.forEach((iface, i) => this.sides.set(iface.name, `${base}-s${i}`));
  }

  /** Builds the namespaces and starts a listener in each. */
  static create(spec: CorpusTopologySpec): Promise<CorpusTopology> {
    const t = new CorpusTopology(spec);
    return t.setUp(() => {
      t.build();
      return t.listen([{ ns: t.node, label: 'node', ports: spec.ports }, ...[...t.sides].map(([name, ns]) => ({ ns, label: `side:${name}`, ports: spec.ports }))]);
    });
  }

  private build(): void {
    const { node } = this;
    this.addNamespaces([node, ...this.sides.values()]);
    const lines: string[] = namespaceLines(
      node,
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.route_localnet=1',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv4.conf.all.send_redirects=0',
      'net.ipv4.conf.default.send_redirects=0',
      'net.ipv4.icmp_ratelimit=0',
    );
    for (const iface of this.spec.interfaces) {
      const side = this.sides.get(iface.name)!;
      const prefix = iface.address.split('/')[1];
      lines.push(
        ...namespaceLines(side, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.icmp_ratelimit=0', 'net.ipv4.conf.all.accept_redirects=0'),
        `ip -n ${node} link add ${iface.name} type veth peer name up0 netns ${side}`,
        `ip -n ${node} addr add ${iface.address} dev ${iface.name}`,
        `ip -n ${node} link set ${iface.name} up`,
        `ip -n ${side} addr add ${iface.peers[0]}/${prefix} dev up0`,
        `ip -n ${side} link set up0 up`,
        `ip -n ${side} route add default via ${hostPart(iface.address)} dev up0`,
      );
      for (const extra of iface.peers.slice(1)) lines.push(`ip -n ${side} addr add ${extra}/32 dev lo`);
    }
    for (const route of corpusRoutes(this.spec)) lines.push(`ip -n ${node} route add ${route.destination} via ${route.via} dev ${route.interface}`);
    for (const set of this.spec.ipsets) lines.push(`ip netns exec ${node} ipset create '${set.replace(/'/g, `'\\''`)}' hash:net`);
    for (const name of this.spec.nfacct) lines.push(`ip netns exec ${node} nfacct add ${name}`);
    runScript(lines);
  }

  /** The namespace a probe is sent from: `host` (the node) or `IFACE:ADDRESS` (that interface's side). */
  namespaceOf(from: string): string {
    if (from === 'host') return this.node;
    const ns = this.sides.get(from.split(':')[0]);
    if (!ns) throw new Error(`no interface for probe source ${from}`);
    return ns;
  }

  /** Loads a ruleset with the real iptables-restore in the node namespace. */
  restore(rules: string): void {
    run(['ip', 'netns', 'exec', this.node, 'iptables-restore'], rules);
  }

  /** The real iptables-save of the node namespace, `#` lines dropped. */
  save(): string {
    return iptablesSave(this.node);
  }
}
