/**
 * What a process sees from inside a pod: its hostname, addresses, routes,
 * `/etc/resolv.conf` and `/etc/hosts` as the kubelet writes them, and the
 * environment the kubelet gives a container (the pod's own `env`, then the
 * Service variables). Built from the store and the network, read-only.
 */
import type { Cluster } from '../cluster/cluster';
import type { KubeObject } from '../cluster/store/types';
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { formatIPv6, tryParseIPv6 } from '../ipam/ipv6';
import { CLUSTER_DOMAIN, searchPath } from '../dataplane/names';
import type { ClusterNetwork, PodEndpoint } from '../dataplane/network';
import { VXLAN_MTU, UNDERLAY_MTU, nodeNetworkOf } from '../dataplane/node-interfaces';

/** kind's kubelet `--cluster-dns`. */
export const DEFAULT_CLUSTER_DNS = '10.96.0.10';

/** kubeadm's cluster DNS address: the tenth address of the primary service range (`10.96.0.10`, `fd00:10:96::a`). */
export function defaultClusterDns(serviceCidr: string): string {
  const [network] = serviceCidr.split('/');
  const v6 = tryParseIPv6(network);
  if (v6 !== undefined) return formatIPv6(v6 + 10n);
  const v4 = tryParseIPv4(network);
  return v4 === undefined ? DEFAULT_CLUSTER_DNS : formatIPv4((v4 + 10) >>> 0);
}
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  ports?: { name?: string; port: number; protocol?: string }[];
}

interface ContainerSpec {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
}

interface PodSpecView {
  hostname?: string;
  subdomain?: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  enableServiceLinks?: boolean;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  hostAliases?: { ip: string; hostnames?: string[] }[];
  containers?: ContainerSpec[];
  serviceAccountName?: string;
}

export class PodView {
  readonly spec: PodSpecView;

  constructor(
    readonly cluster: Cluster,
    readonly network: ClusterNetwork,
    readonly pod: PodEndpoint,
    /** The container the command runs in. */
    readonly container: string,
  ) {
    this.spec = (pod.object.spec ?? {}) as PodSpecView;
  }

  get namespace(): string {
    return this.pod.namespace;
  }

  /** The node's own address for a hostNetwork pod, the pod's otherwise. */
  get address(): string {
    if (this.pod.hostNetwork) return this.network.tryNode(this.pod.node ?? '')?.internalIP ?? '';
    return this.pod.ip ?? this.pod.ip6 ?? '';
  }

  get hostname(): string {
    if (this.pod.hostNetwork) return this.pod.node ?? this.pod.name;
    return this.spec.hostname ?? this.pod.name;
  }

  /** The search domains a lookup of a short name tries, in order. */
  search(): string[] {
    return [...searchPath(this.pod), ...(this.spec.dnsConfig?.searches ?? [])];
  }

  /** The first nameserver of resolv.conf. */
  nameserver(): string {
    return this.resolvConf().match(/^nameserver (\S+)$/m)?.[1] ?? DEFAULT_CLUSTER_DNS;
  }

  private clusterDns(): string {
    const store = this.cluster.store;
    const svc = store.tryGet(store.resourceType('services'), 'kube-system', 'kube-dns');
    const ip = (svc?.spec as ServiceSpec | undefined)?.clusterIP;
    return ip && ip !== 'None' ? ip : defaultClusterDns(this.cluster.pools.clusterIps.cidr);
  }

  /** The node's resolver (kind: the Docker network's gateway, as kind's entrypoint rewrites 127.0.0.11). */
  private nodeNameserver(): string {
    const node = this.network.tryNode(this.pod.node ?? '');
    if (!node) return '127.0.0.11';
    const [net, prefix] = nodeNetworkOf(node.internalIP, this.network.nodeNetworkPrefix).split('/');
    void prefix;
    return formatIPv4((tryParseIPv4(net) ?? 0) + 1);
  }

  /** `/etc/resolv.conf` as the kubelet writes it for the pod's dnsPolicy (and dnsConfig). */
  resolvConf(): string {
    const policy = this.pod.dnsPolicy;
    const clusterFirst = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !this.pod.hostNetwork);
    let nameservers: string[];
    let searches: string[];
    let options: string[];
    if (policy === 'None') {
      nameservers = [];
      searches = [];
      options = [];
    } else if (clusterFirst) {
      nameservers = [this.clusterDns()];
      searches = searchPath(this.pod);
      options = ['ndots:5'];
    } else {
      nameservers = [this.nodeNameserver()];
      searches = [];
      options = ['ndots:0'];
    }
    const dns = this.spec.dnsConfig ?? {};
    nameservers = [...new Set([...nameservers, ...(dns.nameservers ?? [])])].slice(0, 3);
    searches = [...new Set([...searches, ...(dns.searches ?? [])])].slice(0, 32);
    for (const o of dns.options ?? []) {
      const text = o.value === undefined ? o.name : `${o.name}:${o.value}`;
      options = [...options.filter((x) => x.split(':')[0] !== o.name), text];
    }
    const lines: string[] = [];
    if (searches.length) lines.push(`search ${searches.join(' ')}`);
    for (const n of nameservers) lines.push(`nameserver ${n}`);
    if (options.length) lines.push(`options ${options.join(' ')}`);
    return lines.map((l) => `${l}\n`).join('');
  }

  /** `/etc/hosts` as the kubelet writes it (tab-separated), with hostAliases. */
  hosts(): string {
    const lines: string[] = [];
    if (this.pod.hostNetwork) {
      lines.push('# Kubernetes-managed hosts file (host network).', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${this.address}\t${this.hostname}`);
    } else {
      lines.push(
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
      );
      if (this.spec.subdomain) lines.push(`${this.address}\t${this.hostname}.${this.spec.subdomain}.${this.namespace}.svc.${CLUSTER_DOMAIN}\t${this.hostname}`);
      else lines.push(`${this.address}\t${this.hostname}`);
    }
    const aliases = this.spec.hostAliases ?? [];
    if (aliases.length) {
      lines.push('', '# Entries added by HostAliases.');
      for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
    }
    return lines.map((l) => `${l}\n`).join('');
  }

  /** The address `/etc/hosts` gives a name, if any. */
  hostsLookup(name: string): string | undefined {
    const lower = name.toLowerCase().replace(/\.$/, '');
    if (lower === 'localhost') return '127.0.0.1';
    for (const line of this.hosts().split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const [ip, ...names] = line.split('\t');
      if (tryParseIPv4(ip) !== undefined && names.some((n) => n.toLowerCase() === lower)) return ip;
    }
    return undefined;
  }

  /**
   * The container's environment: PATH and HOSTNAME (the image's and the
   * runtime's), the container's `env` (values, the usual fieldRefs and
   * `$(VAR)` references to earlier ones), then the Service variables the
   * kubelet adds (see serviceEnvironment), then HOME.
   */
  environment(): Map<string, string> {
    const env = new Map<string, string>([
      ['PATH', PATH],
      ['HOSTNAME', this.hostname],
    ]);
    const container = (this.spec.containers ?? []).find((c) => c.name === this.container);
    const own = new Map<string, string>();
    for (const e of container?.env ?? []) {
      const value = e.value ?? (e.valueFrom?.fieldRef ? this.fieldRef(e.valueFrom.fieldRef.fieldPath) : '');
      own.set(e.name, value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => own.get(name) ?? m));
    }
    // The kubelet's order: the container's own variables as declared, then the Service variables it does not override.
    for (const [k, v] of own) env.set(k, v);
    for (const [k, v] of this.serviceEnvironment()) if (!own.has(k)) env.set(k, v);
    env.set('HOME', '/root');
    return env;
  }

  private fieldRef(path: string): string {
    const meta = this.pod.object.metadata;
    switch (path) {
      case 'metadata.name':
        return meta.name;
      case 'metadata.namespace':
        return this.namespace;
      case 'metadata.uid':
        return meta.uid ?? '';
      case 'spec.nodeName':
        return this.pod.node ?? '';
      case 'spec.serviceAccountName':
        return this.spec.serviceAccountName ?? 'default';
      case 'status.podIP':
        return this.pod.ip ?? '';
      case 'status.hostIP':
        return this.network.tryNode(this.pod.node ?? '')?.internalIP ?? '';
      default:
        return '';
    }
  }

  /**
   * The Service variables, as the kubelet makes them: for every Service of
   * the pod's namespace with a ClusterIP (not headless, not ExternalName)
   * that existed when the pod was created (`enableServiceLinks`, default
   * true), and always for `kubernetes` in `default`: NAME_SERVICE_HOST,
   * NAME_SERVICE_PORT (the first port), NAME_SERVICE_PORT_PORTNAME for named
   * ports, and the Docker-link variables NAME_PORT, NAME_PORT_P_PROTO{,_PROTO,_PORT,_ADDR}.
   * NAME is the Service's name in upper case with `-` as `_`.
   */
  serviceEnvironment(): Map<string, string> {
    const store = this.cluster.store;
    const type = store.resourceType('services');
    const created = Date.parse(this.pod.object.metadata.creationTimestamp ?? '') || Infinity;
    const links = this.spec.enableServiceLinks !== false;
    const services = new Map<string, KubeObject>();
    if (links) {
      for (const s of store.list(type, { namespace: this.namespace }).items) {
        if (s.metadata.namespace === this.namespace && (Date.parse(s.metadata.creationTimestamp ?? '') || 0) <= created) services.set(s.metadata.name, s);
      }
    }
    const master = store.tryGet(type, 'default', 'kubernetes');
    if (master && (Date.parse(master.metadata.creationTimestamp ?? '') || 0) <= created) services.set('kubernetes', master);
    const env = new Map<string, string>();
    for (const [name, s] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
      const spec = (s.spec ?? {}) as ServiceSpec;
      const ip = spec.clusterIP;
      if (!ip || ip === 'None' || spec.type === 'ExternalName' || !(spec.ports ?? []).length) continue;
      const key = name.toUpperCase().replace(/-/g, '_');
      const ports = spec.ports!;
      env.set(`${key}_SERVICE_HOST`, ip);
      env.set(`${key}_SERVICE_PORT`, String(ports[0].port));
      for (const p of ports) if (p.name) env.set(`${key}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, String(p.port));
      const first = ports[0];
      env.set(`${key}_PORT`, `${(first.protocol ?? 'TCP').toLowerCase()}://${ip}:${first.port}`);
      for (const p of ports) {
        const proto = (p.protocol ?? 'TCP').toUpperCase();
        const prefix = `${key}_PORT_${p.port}_${proto}`;
        env.set(prefix, `${proto.toLowerCase()}://${ip}:${p.port}`);
        env.set(`${prefix}_PROTO`, proto.toLowerCase());
        env.set(`${prefix}_PORT`, String(p.port));
        env.set(`${prefix}_ADDR`, ip);
      }
    }
    return env;
  }

  /** `ip addr`: the pod's `lo` and `eth0` (a hostNetwork pod: the node's interfaces). */
  ipAddr(): string {
    if (this.pod.hostNetwork) return this.network.interfaces(this.pod.node!).map((i) => `${i.text}\n`).join('');
    const node = this.network.tryNode(this.pod.node ?? '');
    const prefix = node?.podNet?.prefix ?? 24;
    const mtu = this.network.overlay === 'vxlan' ? VXLAN_MTU : UNDERLAY_MTU;
    // A dual-stack (or IPv6-only) pod: its IPv6 address in the node's IPv6 pod CIDR, and ::1.
    const ip6 = this.pod.ip6 !== undefined ? [`    inet6 ${this.pod.ip6}/${node?.podNet6?.prefix ?? 64} scope global`] : [];
    return [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN',
      '    inet 127.0.0.1/8 scope host lo',
      ...(ip6.length ? ['    inet6 ::1/128 scope host'] : []),
      `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu ${mtu} state UP`,
      ...(this.pod.ip !== undefined ? [`    inet ${this.pod.ip}/${prefix} scope global eth0`] : []),
      ...ip6,
    ]
      .map((l) => `${l}\n`)
      .join('');
  }

  /**
   * `ip route` (`ip -6 route` for `ipv6`): the pod's default route via its node's `cni0` (a
   * hostNetwork pod: the node's table of that family).
   */
  ipRoute(family: 'ipv4' | 'ipv6' = 'ipv4'): string {
    const v6 = family === 'ipv6';
    if (this.pod.hostNetwork) return this.network.routes(this.pod.node!).filter((r) => r.includes(':') === v6).map((r) => `${r}\n`).join('');
    const node = this.network.tryNode(this.pod.node ?? '');
    if (v6) {
      if (!node?.podNet6 || this.pod.ip6 === undefined) return '';
      const gateway6 = formatIPv6(node.podNet6.network + 1n);
      return `${node.podCIDR6} dev eth0 proto kernel metric 256 pref medium\nfe80::/64 dev eth0 proto kernel metric 256 pref medium\ndefault via ${gateway6} dev eth0 metric 1024 pref medium\n`;
    }
    if (!node?.podNet) return '';
    const gateway = formatIPv4(node.podNet.network + 1);
    return `default via ${gateway} dev eth0 \n${node.podCIDR} dev eth0 scope link  src ${this.address} \n`;
  }
}
