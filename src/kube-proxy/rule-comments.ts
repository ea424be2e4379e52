/**
 * The comments kube-proxy writes on its per-Service rules (`-m comment
 * --comment "…"`), built here and read back here: the rules name the
 * Service port in them (`namespace/name[:port]`, servicePortNameString), and
 * the explanations (src/dataplane/explain) read which Service a rule was
 * for and why it refused a packet. The wording is upstream's
 * (pkg/proxy/iptables/proxier.go).
 */

export const serviceRuleComment = {
  /** On the KUBE-SERVICES jump for an entry point. */
  entry: (servicePort: string, entry: ServiceEntry) => `${servicePort} ${entry}`,
  /** On the REJECT of a Service port without endpoints. */
  noEndpoints: (servicePort: string) => `${servicePort} has no endpoints`,
  /** On the DROP of traffic policy Local without a local endpoint. */
  noLocalEndpoints: (servicePort: string) => `${servicePort} has no local endpoints`,
  /** On KUBE-PROXY-FIREWALL's DROP of a source outside loadBalancerSourceRanges. */
  notAccepted: (servicePort: string, firewallChain: string) => `${servicePort} traffic not accepted by ${firewallChain}`,
  /** On an EXT chain's KUBE-MARK-MASQ for traffic from outside. */
  masqueradeExternal: (servicePort: string) => `masquerade traffic for ${servicePort} external destinations`,
  /** On an EXT chain's KUBE-MARK-MASQ for the node's own traffic (traffic policy Local). */
  masqueradeLocal: (servicePort: string) => `masquerade LOCAL traffic for ${servicePort} external destinations`,
  /** On an SVC/SVL chain's jump to an endpoint's SEP chain. */
  toEndpoint: (servicePort: string, endpoint: string) => `${servicePort} -> ${endpoint}`,
} as const;

export type ServiceEntry = 'cluster IP' | 'external IP' | 'loadbalancer IP';

/** A kube-proxy Service port name read from a comment: `namespace/name:port` (port empty for an unnamed port). */
export interface CommentedServicePort {
  namespace: string;
  name: string;
  port: string;
}

/** What a rule's comment says, when kube-proxy wrote it for a Service port. */
export type ServiceRuleComment =
  | { kind: 'entry'; service: CommentedServicePort; entry: ServiceEntry }
  | { kind: 'no-endpoints'; service: CommentedServicePort }
  | { kind: 'no-local-endpoints'; service: CommentedServicePort }
  | { kind: 'not-accepted'; service: CommentedServicePort; firewallChain: string }
  | { kind: 'masquerade-external'; service: CommentedServicePort }
  | { kind: 'masquerade-local'; service: CommentedServicePort }
  | { kind: 'to-endpoint'; service: CommentedServicePort; endpoint: string }
  /** The bare name (NodePort jumps, SEP chains), or any other comment that starts with it. */
  | { kind: 'service'; service: CommentedServicePort };

const NAME = '([^/\\s]+)\\/([^:\\s]+)(?::(\\S*))?';
const SHAPES: readonly [RegExp, (m: RegExpExecArray, service: CommentedServicePort) => ServiceRuleComment][] = [
  [new RegExp(`^${NAME} (cluster IP|external IP|loadbalancer IP)$`), (m, service) => ({ kind: 'entry', service, entry: m[4] as ServiceEntry })],
  [new RegExp(`^${NAME} has no endpoints$`), (_, service) => ({ kind: 'no-endpoints', service })],
  [new RegExp(`^${NAME} has no local endpoints$`), (_, service) => ({ kind: 'no-local-endpoints', service })],
  [new RegExp(`^${NAME} traffic not accepted by (\\S+)$`), (m, service) => ({ kind: 'not-accepted', service, firewallChain: m[4] })],
  [new RegExp(`^masquerade traffic for ${NAME} external destinations$`), (_, service) => ({ kind: 'masquerade-external', service })],
  [new RegExp(`^masquerade LOCAL traffic for ${NAME} external destinations$`), (_, service) => ({ kind: 'masquerade-local', service })],
  [new RegExp(`^${NAME} -> (\\S+)$`), (m, service) => ({ kind: 'to-endpoint', service, endpoint: m[4] })],
  [new RegExp(`^${NAME}(?: |$)`), (_, service) => ({ kind: 'service', service })],
];

/** What `comment` says, or undefined when kube-proxy did not write it for a Service port. */
export function parseServiceRuleComment(comment: string | undefined): ServiceRuleComment | undefined {
  if (comment === undefined) return undefined;
  for (const [shape, read] of SHAPES) {
    const m = shape.exec(comment);
    if (m) return read(m, { namespace: m[1], name: m[2], port: m[3] ?? '' });
  }
  return undefined;
}
