/**
 * What the proxier derives from its node and configuration once: the local
 * traffic detector (`pkg/proxy/util/localdetector.go`) and the NodePort
 * addresses (`pkg/proxy/util/nodeport_addresses.go`).
 */
import { clusterCidrFor, type ResolvedConfig } from './config';
import { cidrContainsIp, interfaceAddressIp, isZeroCidr, parseCidrSloppy, parseIpSloppy, type ParsedCidr, type ParsedIp } from './ip';
import type { IpFamily, NodeInfo, NodeInterface } from './types';

/**
 * Tells pod traffic from other traffic. `ifLocal`/`ifNotLocal` are the match
 * arguments kube-proxy inserts (`-s 10.0.0.0/8`, `! -s 10.0.0.0/8`, ...);
 * a detector that is not implemented writes no such rules.
 */
export interface LocalTrafficDetector {
  implemented: boolean;
  ifLocal: string;
  ifNotLocal: string;
  /** The same matches in nftables' words (`ip saddr 10.0.0.0/8`, `iifname != cbr0`), for the nftables proxier. */
  nftIfLocal: string;
  nftIfNotLocal: string;
  /** Human-readable description, for status pages. */
  describe: string;
}

export const NO_OP_DETECTOR: LocalTrafficDetector = Object.freeze({
  implemented: false,
  ifLocal: '',
  ifNotLocal: '',
  nftIfLocal: '',
  nftIfNotLocal: '',
  describe: 'none (no-op detector)',
});

export function detectLocalByCIDR(cidr: string): LocalTrafficDetector {
  const ip = cidr.includes(':') ? 'ip6' : 'ip';
  return {
    implemented: true,
    ifLocal: `-s ${cidr}`,
    ifNotLocal: `! -s ${cidr}`,
    nftIfLocal: `${ip} saddr ${cidr}`,
    nftIfNotLocal: `${ip} saddr != ${cidr}`,
    describe: `source in ${cidr}`,
  };
}

export function detectLocalByBridgeInterface(name: string): LocalTrafficDetector {
  return {
    implemented: true,
    ifLocal: `-i ${name}`,
    ifNotLocal: `! -i ${name}`,
    nftIfLocal: `iifname ${name}`,
    nftIfNotLocal: `iifname != ${name}`,
    describe: `arriving on bridge ${name}`,
  };
}

export function detectLocalByInterfaceNamePrefix(prefix: string): LocalTrafficDetector {
  return {
    implemented: true,
    ifLocal: `-i ${prefix}+`,
    ifNotLocal: `! -i ${prefix}+`,
    nftIfLocal: `iifname ${prefix}*`,
    nftIfNotLocal: `iifname != ${prefix}*`,
    describe: `arriving on an interface named ${prefix}*`,
  };
}

/** The detector kube-proxy builds for one family, plus why it fell back to none. */
export function localDetectorFor(
  config: ResolvedConfig,
  node: NodeInfo,
  family: IpFamily,
): { detector: LocalTrafficDetector; warning?: string } {
  switch (config.detectLocalMode) {
    case 'ClusterCIDR': {
      const cidr = clusterCidrFor(config, family);
      if (!cidr) {
        return {
          detector: NO_OP_DETECTOR,
          warning: `detectLocalMode is ClusterCIDR but clusterCIDR has no ${family} CIDR: no local-traffic detection`,
        };
      }
      return { detector: detectLocalByCIDR(cidr.text) };
    }
    case 'NodeCIDR': {
      const cidr = (node.podCIDRs ?? []).map((t) => parseCidrSloppy(t)).find((c) => c?.family === family);
      if (!cidr) {
        return {
          detector: NO_OP_DETECTOR,
          warning: `detectLocalMode is NodeCIDR but node ${node.name} has no ${family} pod CIDR: no local-traffic detection`,
        };
      }
      return { detector: detectLocalByCIDR(cidr.text) };
    }
    case 'BridgeInterface':
      return { detector: detectLocalByBridgeInterface(config.bridgeInterface) };
    case 'InterfaceNamePrefix':
      return { detector: detectLocalByInterfaceNamePrefix(config.interfaceNamePrefix) };
  }
}

/** The node's interfaces, defaulting to `lo` plus `eth0` carrying the node addresses. */
export function nodeInterfaces(node: NodeInfo): NodeInterface[] {
  if (node.interfaces && node.interfaces.length > 0) return node.interfaces;
  return [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: [...(node.addresses ?? [])] },
  ];
}

/** The node's primary IP of a family: its first address of that family. */
export function primaryNodeIp(node: NodeInfo, family: IpFamily): ParsedIp | undefined {
  for (const text of node.addresses ?? []) {
    const ip = parseIpSloppy(text);
    if (ip?.family === family) return ip;
  }
  return undefined;
}

/** `nodePortAddresses` for one family: which node addresses accept NodePort traffic. */
export class NodePortAddresses {
  readonly cidrs: ParsedCidr[] = [];
  /** No CIDR of this family was given, or one of them is the zero CIDR: every local address. */
  readonly matchAll: boolean = false;
  readonly containsIPv4Loopback: boolean = false;

  constructor(
    readonly family: IpFamily,
    cidrStrings: readonly string[],
    primaryIp?: ParsedIp,
  ) {
    const cidrs: ParsedCidr[] = [];
    for (const text of cidrStrings) {
      if (text === 'primary') {
        if (primaryIp && primaryIp.family === family) {
          const bits = family === 'IPv4' ? 32 : 128;
          cidrs.push(parseCidrSloppy(`${primaryIp.text}/${bits}`)!);
        }
        continue;
      }
      const cidr = parseCidrSloppy(text);
      if (cidr && cidr.family === family) cidrs.push(cidr);
    }
    if (cidrs.length === 0) cidrs.push(parseCidrSloppy(family === 'IPv4' ? '0.0.0.0/0' : '::/0')!);
    const loopback = parseIpSloppy('127.0.0.1')!;
    let matchAll = false;
    let containsLoopback = false;
    for (const cidr of cidrs) {
      if (cidr.family === 'IPv4' && cidrContainsIp(cidr, loopback)) containsLoopback = true;
      if (isZeroCidr(cidr)) {
        this.cidrs = [cidr];
        matchAll = true;
        break;
      }
      this.cidrs.push(cidr);
    }
    this.matchAll = matchAll;
    this.containsIPv4Loopback = containsLoopback;
  }

  /** The node IPs in these CIDRs (upstream `GetNodeIPs`), deduplicated, in interface order. */
  nodeIps(interfaces: readonly NodeInterface[]): ParsedIp[] {
    const seen = new Map<string, ParsedIp>();
    for (const cidr of this.cidrs) {
      for (const itf of interfaces) {
        for (const text of itf.addresses) {
          const ip = interfaceAddressIp(text);
          if (ip && cidrContainsIp(cidr, ip) && !seen.has(ip.text)) seen.set(ip.text, ip);
        }
      }
    }
    return [...seen.values()];
  }
}

