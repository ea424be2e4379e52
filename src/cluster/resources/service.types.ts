/** The parts of a v1 Service that the emulator reads and writes. */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type TrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: ServiceType;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  externalIPs?: string[];
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  healthCheckNodePort?: number;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  publishNotReadyAddresses?: boolean;
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string; ipMode?: string }> };
}

export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
export const PROTOCOLS: readonly Protocol[] = ['SCTP', 'TCP', 'UDP'];
export const TRAFFIC_POLICIES: readonly TrafficPolicy[] = ['Cluster', 'Local'];
/** Default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
