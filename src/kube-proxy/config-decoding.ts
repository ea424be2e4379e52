import { DomainError } from '../common/domain-error';
import { getOwn, hasOwn, isJsonObject, setOwn } from '../common/own-keys';
import type { KubeProxyConfiguration } from './config';

/**
 * Decoding a `KubeProxyConfiguration` body as kube-proxy decodes its
 * configuration file (`cmd/kube-proxy/app/options.go`, `loadConfig`):
 *
 * - the strict decode fails on a field `kubeproxy.config.k8s.io/v1alpha1`
 *   does not have, and kube-proxy then decodes leniently, dropping the field,
 *   and logs `Using lenient decoding as strict decoding failed` with
 *   `strict decoding error: unknown field "iptables.foo"`. So do we: the field
 *   is dropped and the text comes back as a warning (HTTP `Warning` header);
 * - a feature gate kube-proxy does not know fails the start:
 *   `unrecognized feature gate: Foo` (component-base `SetFromMap`); here a
 *   422 naming `featureGates.Foo`. A gate's value must be a boolean.
 *
 * Keys are data: the decoded copy is built with own properties only.
 */

/** The fields of v1alpha1 `KubeProxyConfiguration`; `true` for a field whose members are free (maps, logging options). */
type Fields = { [name: string]: Fields | true };

const DURATION_FIELDS = { syncPeriod: true, minSyncPeriod: true } as const;

const CONFIG_FIELDS: Fields = {
  apiVersion: true,
  kind: true,
  featureGates: true,
  clientConnection: { kubeconfig: true, acceptContentTypes: true, contentType: true, qps: true, burst: true },
  logging: true,
  hostnameOverride: true,
  bindAddress: true,
  healthzBindAddress: true,
  metricsBindAddress: true,
  bindAddressHardFail: true,
  enableProfiling: true,
  showHiddenMetricsForVersion: true,
  mode: true,
  iptables: { masqueradeBit: true, masqueradeAll: true, localhostNodePorts: true, ...DURATION_FIELDS },
  ipvs: { ...DURATION_FIELDS, scheduler: true, excludeCIDRs: true, strictARP: true, tcpTimeout: true, tcpFinTimeout: true, udpTimeout: true },
  nftables: { masqueradeBit: true, masqueradeAll: true, ...DURATION_FIELDS },
  winkernel: { networkName: true, sourceVip: true, enableDSR: true, rootHnsEndpointName: true, forwardHealthCheckVip: true },
  detectLocalMode: true,
  detectLocal: { bridgeInterface: true, interfaceNamePrefix: true },
  clusterCIDR: true,
  nodePortAddresses: true,
  oomScoreAdj: true,
  conntrack: { maxPerCore: true, min: true, tcpEstablishedTimeout: true, tcpCloseWaitTimeout: true, tcpBeLiberal: true, udpTimeout: true, udpStreamTimeout: true },
  configSyncPeriod: true,
  portRange: true,
  windowsRunAsService: true,
};

/**
 * The feature gates known here: every component's (`AllAlpha`, `AllBeta`, the
 * logging gates) and Kubernetes' gates about Services, EndpointSlices,
 * kube-proxy and Service addressing. kube-proxy knows every Kubernetes gate;
 * one that matters to no part of networking is refused here as unknown.
 */
export const KNOWN_FEATURE_GATES: readonly string[] = [
  'AllAlpha',
  'AllBeta',
  'ContextualLogging',
  'LoggingAlphaOptions',
  'LoggingBetaOptions',
  'DisableAllocatorDualWrite',
  'KubeProxyDrainingTerminatingNodes',
  'LoadBalancerIPMode',
  'MultiCIDRServiceAllocator',
  'NFTablesProxyMode',
  'PreferSameTrafficDistribution',
  'RelaxedServiceNameValidation',
  'ServiceTrafficDistribution',
  'StrictIPCIDRValidation',
  'TopologyAwareHints',
  'WinDSR',
  'WinOverlay',
];

export interface DecodedConfiguration {
  config: KubeProxyConfiguration;
  /** kube-proxy's lenient-decoding log line, when the body had unknown fields. */
  warnings: string[];
}

export function decodeKubeProxyConfiguration(body: unknown): DecodedConfiguration {
  if (!isJsonObject(body)) throw new DomainError('BAD_REQUEST', 'expected a KubeProxyConfiguration object');
  const unknown: string[] = [];
  const config = known(body, CONFIG_FIELDS, '', unknown) as KubeProxyConfiguration;
  checkFeatureGates(getOwn(body, 'featureGates'));
  const warnings = unknown.length
    ? [`Using lenient decoding as strict decoding failed: strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`]
    : [];
  return { config, warnings };
}

/** A copy of `value` with the fields `fields` lists; the others are named in `unknown`. */
function known(value: Record<string, unknown>, fields: Fields, at: string, unknown: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    if (!hasOwn(fields, key)) {
      unknown.push(path);
      continue;
    }
    const shape = fields[key];
    setOwn(out, key, shape !== true && isJsonObject(child) ? known(child, shape, path, unknown) : child);
  }
  return out;
}

function checkFeatureGates(gates: unknown): void {
  if (gates === undefined || gates === null) return;
  if (!isJsonObject(gates)) {
    throw new DomainError('BAD_REQUEST', `json: cannot unmarshal ${Array.isArray(gates) ? 'array' : typeof gates} into Go struct field KubeProxyConfiguration.featureGates of type map[string]bool`, {
      field: 'featureGates',
    });
  }
  for (const [name, enabled] of Object.entries(gates)) {
    if (enabled !== null && typeof enabled !== 'boolean') {
      throw new DomainError('BAD_REQUEST', `json: cannot unmarshal ${Array.isArray(enabled) ? 'array' : typeof enabled} into Go struct field KubeProxyConfiguration.featureGates of type bool`, {
        field: `featureGates.${name}`,
      });
    }
    if (!KNOWN_FEATURE_GATES.includes(name)) {
      throw new DomainError('INVALID', `unrecognized feature gate: ${name}`, { field: `featureGates.${name}`, causeReason: 'FieldValueNotSupported', kind: 'KubeProxyConfiguration' });
    }
  }
}
