/**
 * One Service becomes one `ServicePortInfo` per port: what the proxier needs
 * to write that port's rules, for one IP family (upstream `serviceport.go`,
 * `pkg/api/v1/service/util.go`, `proxyutil.ShouldSkipService` and
 * `GetClusterIPByFamily`).
 */
import {
  EXTERNAL_CHAIN_PREFIX,
  FIREWALL_CHAIN_PREFIX,
  portProtoHash,
  SERVICE_CHAIN_PREFIX,
  SERVICE_LOCAL_CHAIN_PREFIX,
  servicePortNameString,
} from './chain-names';
import { parseCidrSloppy, parseIpSloppy, type ParsedCidr, type ParsedIp } from './ip';
import { DEFAULT_CLIENT_IP_TIMEOUT_SECONDS, type IpFamily, type Protocol, type Service } from './types';

export interface ServicePortInfo {
  /** Unique key: `namespace/name:portName/PROTOCOL` (the upstream `ServicePortName`). */
  key: string;
  /** `namespace/name`: the unit partial syncs track changes by. */
  serviceKey: string;
  namespace: string;
  name: string;
  portName: string;
  /** `namespace/name[:portName]`, as comments print it and hashes consume it. */
  nameString: string;
  protocol: Protocol;
  /** Lower case, as in `-m tcp -p tcp`. */
  proto: string;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  /** LB ingress IPs of this family in VIP mode. */
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: ParsedCidr[];
  /** 0 unless type LoadBalancer with externalTrafficPolicy Local. */
  healthCheckNodePort: number;
  sessionAffinityClientIP: boolean;
  /** 0 unless ClientIP affinity. */
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  clusterPolicyChain: string;
  localPolicyChain: string;
  externalChain: string;
  firewallChain: string;
}

export function serviceKeyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function servicePortKey(namespace: string, name: string, portName: string, protocol: string): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

/** Reachable other than by ClusterIP: a NodePort, an LB VIP or an external IP. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0;
}

/** Whether the port ever sends traffic to endpoints by "Cluster" policy (short-circuits included). */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

/** Whether the port ever sends traffic to endpoints by "Local" policy. */
export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp));
}

function serviceType(svc: Service): string {
  return svc.spec?.type || 'ClusterIP';
}

/** `ShouldSkipService`: headless, IP-less and ExternalName Services get no rules. */
export function shouldSkipService(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return true;
  return serviceType(svc) === 'ExternalName';
}

/** `GetClusterIPByFamily`: the Service's ClusterIP of one family, canonical, or undefined. */
export function clusterIPByFamily(svc: Service, family: IpFamily): string | undefined {
  const spec = svc.spec ?? {};
  const families = spec.ipFamilies ?? [];
  if (families.length > 0 && Array.isArray(spec.clusterIPs)) {
    const idx = families.indexOf(family);
    if (idx < 0 || idx >= spec.clusterIPs.length) return undefined;
    const ip = parseIpSloppy(spec.clusterIPs[idx]);
    return ip?.family === family ? ip.text : undefined;
  }
  const candidates = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  for (const text of candidates) {
    const ip = parseIpSloppy(text);
    if (ip?.family === family) return ip.text;
  }
  return undefined;
}

/** `ExternallyAccessible(service)` at Service level (pkg/api/v1/service/util.go). */
function serviceExternallyAccessible(svc: Service): boolean {
  const t = serviceType(svc);
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0);
}

export function externalPolicyLocal(svc: Service): boolean {
  return serviceExternallyAccessible(svc) && svc.spec.externalTrafficPolicy === 'Local';
}

export function internalPolicyLocal(svc: Service): boolean {
  return svc.spec.internalTrafficPolicy === 'Local';
}

function ipsOfFamily(texts: readonly string[] | undefined, family: IpFamily): string[] {
  const out: string[] = [];
  for (const t of texts ?? []) {
    const ip: ParsedIp | undefined = parseIpSloppy(t);
    if (ip?.family === family) out.push(ip.text);
  }
  return out;
}

/**
 * The service ports of one Service for one family, keyed by `ServicePortInfo.key`,
 * or an empty map when kube-proxy ignores the Service.
 */
export function servicePortsOf(svc: Service, family: IpFamily): Map<string, ServicePortInfo> {
  const result = new Map<string, ServicePortInfo>();
  if (shouldSkipService(svc)) return result;
  const clusterIP = clusterIPByFamily(svc, family);
  if (clusterIP === undefined) return result;

  const spec = svc.spec;
  const namespace = svc.metadata.namespace || 'default';
  const name = svc.metadata.name;
  const extLocal = externalPolicyLocal(svc);
  const intLocal = internalPolicyLocal(svc);
  const clientIP = spec.sessionAffinity === 'ClientIP';
  const sticky = clientIP ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_CLIENT_IP_TIMEOUT_SECONDS) : 0;
  const externalIPs = ipsOfFamily(spec.externalIPs, family);
  const sourceRanges: ParsedCidr[] = [];
  for (const text of spec.loadBalancerSourceRanges ?? []) {
    // Validation mistakenly allowed whitespace padding; upstream trims it.
    const cidr = parseCidrSloppy(String(text).trim());
    if (cidr?.family === family) sourceRanges.push(cidr);
  }
  const vips: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip || (ing.ipMode !== undefined && ing.ipMode !== null && ing.ipMode !== 'VIP')) continue;
    const ip = parseIpSloppy(ing.ip);
    if (ip?.family === family) vips.push(ip.text);
  }
  const needsHealthCheck = serviceType(svc) === 'LoadBalancer' && extLocal;
  const healthCheckNodePort = needsHealthCheck ? (spec.healthCheckNodePort ?? 0) : 0;

  for (const port of spec.ports ?? []) {
    const portName = port.name ?? '';
    const protocol: Protocol = port.protocol ?? 'TCP';
    const proto = protocol.toLowerCase();
    const nameString = servicePortNameString(namespace, name, portName);
    const key = servicePortKey(namespace, name, portName, protocol);
    const hash = portProtoHash(nameString, proto); // shared by the SVC, SVL, EXT and FW chains
    result.set(key, {
      key,
      serviceKey: serviceKeyOf(namespace, name),
      namespace,
      name,
      portName,
      nameString,
      protocol,
      proto,
      clusterIP,
      port: port.port ?? 0,
      nodePort: port.nodePort ?? 0,
      externalIPs,
      loadBalancerVIPs: vips,
      loadBalancerSourceRanges: sourceRanges,
      healthCheckNodePort,
      sessionAffinityClientIP: clientIP,
      stickyMaxAgeSeconds: sticky,
      externalPolicyLocal: extLocal,
      internalPolicyLocal: intLocal,
      clusterPolicyChain: SERVICE_CHAIN_PREFIX + hash,
      localPolicyChain: SERVICE_LOCAL_CHAIN_PREFIX + hash,
      externalChain: EXTERNAL_CHAIN_PREFIX + hash,
      firewallChain: FIREWALL_CHAIN_PREFIX + hash,
    });
  }
  return result;
}

/** A string that changes exactly when the rule-relevant content of a port changes. */
export function servicePortFingerprint(sp: ServicePortInfo): string {
  return [
    sp.key,
    sp.clusterIP,
    sp.port,
    sp.nodePort,
    sp.externalIPs.join(','),
    sp.loadBalancerVIPs.join(','),
    sp.loadBalancerSourceRanges.map((c) => c.text).join(','),
    sp.healthCheckNodePort,
    sp.sessionAffinityClientIP ? 1 : 0,
    sp.stickyMaxAgeSeconds,
    sp.externalPolicyLocal ? 1 : 0,
    sp.internalPolicyLocal ? 1 : 0,
  ].join('|');
}
