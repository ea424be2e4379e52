/**
 * The kube-proxy vocabulary: the Kubernetes objects it reads, the node facts
 * it needs, and the names of the chains it owns, each named once.
 *
 * How a sync flows through the stages (see docs/kube-proxy.md):
 *
 *   Service / EndpointSlice events
 *        |
 *        v
 *   ServiceChangeTracker, EndpointsChangeTracker      change-tracker.ts, endpoint-slice-cache.ts
 *        |  (pending changes, per namespace/name)
 *        v
 *   ServicePortMap, EndpointsMap  ---> updated Services   service-port.ts, change-tracker.ts
 *        |
 *        v
 *   categorizeEndpoints (cluster / local / reachable)      categorize.ts
 *        |
 *        v
 *   compileServicePort -> cached line blocks per port      service-rules.ts
 *        |
 *        v
 *   Proxier.sync(): one iptables-restore text             proxier.ts
 *   (full the first time, partial afterwards)
 *
 * The Kubernetes objects are plain JSON as the API server serves them; only
 * the fields kube-proxy reads are typed here, spelled exactly as Kubernetes
 * spells them.
 */

// ---------------------------------------------------------------------------
// Kubernetes objects (core/v1 Service, discovery.k8s.io/v1 EndpointSlice)
// ---------------------------------------------------------------------------

export type IpFamily = 'IPv4' | 'IPv6';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type TrafficPolicy = 'Cluster' | 'Local';
export type SessionAffinity = 'None' | 'ClientIP';
export type LoadBalancerIPMode = 'VIP' | 'Proxy';
export type AddressType = 'IPv4' | 'IPv6' | 'FQDN';

export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** The label that ties an EndpointSlice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** The node label that topology-aware routing compares zone hints with. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** The apiserver default for `sessionAffinityConfig.clientIP.timeoutSeconds`. */
export const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;

export interface ObjectMeta {
  name: string;
  /** Defaults to `default`, as the API server does for a namespaced request without one. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
}

export interface ServicePort {
  name?: string;
  /** Defaults to TCP. */
  protocol?: Protocol;
  port: number;
  targetPort?: number | string;
  /** 0 or absent: no NodePort. */
  nodePort?: number;
  appProtocol?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  /** Absent or `VIP`: kube-proxy programs the IP; `Proxy`: it does not. */
  ipMode?: LoadBalancerIPMode;
}

export interface ServiceSpec {
  /** Defaults to ClusterIP. */
  type?: ServiceType;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: IpFamily[];
  ports?: ServicePort[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: SessionAffinity;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  healthCheckNodePort?: number;
  loadBalancerSourceRanges?: string[];
  loadBalancerIP?: string;
  selector?: Record<string, string>;
}

export interface Service {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions {
  /** Absent or null counts as true. */
  ready?: boolean | null;
  /** Absent or null counts as true. */
  serving?: boolean | null;
  /** Only an explicit true counts. */
  terminating?: boolean | null;
}

export interface EndpointHints {
  forZones?: { name: string }[];
  forNodes?: { name: string }[];
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  nodeName?: string | null;
  zone?: string | null;
  hostname?: string | null;
  hints?: EndpointHints | null;
}

export interface EndpointPort {
  /** Absent is defaulted to "" (as the API server does); an explicit null port name is ignored. */
  name?: string | null;
  /** Absent, null or 0: the port is ignored. */
  port?: number | null;
  /** Defaults to TCP. */
  protocol?: Protocol | null;
  appProtocol?: string | null;
}

export interface EndpointSlice {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  addressType: AddressType;
  endpoints?: Endpoint[] | null;
  ports?: EndpointPort[] | null;
}

export type KubeObject = Service | EndpointSlice;

// ---------------------------------------------------------------------------
// The node kube-proxy runs on
// ---------------------------------------------------------------------------

export interface NodeInterface {
  name: string;
  /** Addresses in CIDR form (`192.168.0.2/24`); a bare IP counts as a host route. */
  addresses: string[];
}

/** What kube-proxy knows about its own node. */
export interface NodeInfo {
  /** The node name; endpoints whose `nodeName` equals it are local. */
  name: string;
  /** Node IPs; the first of each family is the primary node IP (kube-proxy's `--node-ip`). */
  addresses?: string[];
  /**
   * Local interfaces, for `nodePortAddresses`. Defaults to `lo` (127.0.0.1/8, ::1/128)
   * plus `eth0` holding every node address.
   */
  interfaces?: NodeInterface[];
  /** The node's `spec.podCIDRs`, for `detectLocalMode: NodeCIDR`. */
  podCIDRs?: string[];
  /** Node labels; `topology.kubernetes.io/zone` drives topology-aware routing. */
  labels?: Record<string, string>;
}

// ---------------------------------------------------------------------------
// Chains kube-proxy owns (proxier.go constants)
// ---------------------------------------------------------------------------

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kubelet's anti-martian chain, which kube-proxy duplicates for localhost NodePorts. */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** Above this many endpoints (over all service ports) kube-proxy drops per-endpoint comments. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

/** upstream `proxyutil.FullSyncPeriod`: a full resync at least this often (outside large-cluster mode). */
export const FULL_SYNC_PERIOD_MS = 60 * 60 * 1000;

/** The nfacct counters kube-proxy may reference from its rules. */
export const NFACCT_CT_STATE_INVALID_DROPPED = 'ct_state_invalid_dropped_pkts';
export const NFACCT_LOCALHOST_NODEPORT_ACCEPTED = 'localhost_nps_accepted_pkts';

export type TableName = 'filter' | 'nat' | 'mangle';
