/**
 * Stage 5: the stateless renderer behind `POST /netsim/v1/kube-proxy/render`.
 * Given a configuration, a node and some Services and EndpointSlices, it
 * answers the restore text kube-proxy would write on that node's first
 * (full) sync. Services keep the ClusterIPs they are given.
 *
 * Only the restore form exists here; the `save` form (what `iptables-save`
 * prints) will come from the netfilter printer.
 */
import { ManualClock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { resolveConfig, type KubeProxyConfiguration, type ProxierEmulation } from './config';
import type { EnsureRule } from './fixed-rules';
import { Proxier } from './proxier';
import type { IpFamily, TableName } from './types';
import { validateNode, validateObjects } from './validation';

export interface RenderRequest {
  /** A `KubeProxyConfiguration` (kubeproxy.config.k8s.io/v1alpha1); defaults when absent. */
  config?: KubeProxyConfiguration;
  /** The node: name, addresses, interfaces, pod CIDRs, labels. */
  node: unknown;
  /** v1 Services and discovery.k8s.io/v1 EndpointSlices as Kubernetes JSON. */
  objects: unknown;
  /** Only `restore` is available (the default). */
  format?: 'restore' | 'save';
  /** Which proxier: iptables (IPv4, default) or ip6tables (IPv6). */
  family?: IpFamily;
  /** Node facts and formatting (see `ProxierEmulation`). */
  emulation?: Partial<ProxierEmulation>;
}

export interface RenderResult {
  format: 'restore';
  family: IpFamily;
  text: string;
  lines: number;
  bytes: number;
  servicePorts: number;
  endpoints: number;
  largeClusterMode: boolean;
  /** Jump rules kube-proxy keeps in the built-in chains (not part of restore input). */
  ensureRules: readonly EnsureRule[];
  ensureChains: readonly { table: TableName; chain: string }[];
  /** What kube-proxy would ignore or log about these inputs. */
  warnings: string[];
}

const EMULATION_KEYS: readonly (keyof ProxierEmulation)[] = [
  'markFormat',
  'randomFully',
  'nfacctInvalidDropped',
  'nfacctLocalhostNodePorts',
  'conntrackTcpBeLiberal',
];

function validateEmulation(emulation: unknown): Partial<ProxierEmulation> | undefined {
  if (emulation === undefined || emulation === null) return undefined;
  if (typeof emulation !== 'object' || Array.isArray(emulation)) {
    throw new DomainError('INVALID', 'emulation must be an object', { field: 'emulation' });
  }
  const e = emulation as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!(EMULATION_KEYS as readonly string[]).includes(key)) {
      throw new DomainError('INVALID', `unknown emulation option ${JSON.stringify(key)}`, { field: `emulation.${key}`, causeReason: 'FieldValueNotSupported' });
    }
    const v = e[key];
    const ok = key === 'markFormat' ? v === 'padded' || v === 'minimal' : typeof v === 'boolean';
    if (!ok) {
      const expected = key === 'markFormat' ? '"padded" or "minimal"' : 'a boolean';
      throw new DomainError('INVALID', `emulation.${key} must be ${expected}`, { field: `emulation.${key}` });
    }
  }
  return e as Partial<ProxierEmulation>;
}

export function renderRules(request: RenderRequest): RenderResult {
  if (typeof request !== 'object' || request === null) {
    throw new DomainError('BAD_REQUEST', 'expected a render request: {config, node, objects, format}');
  }
  const format = request.format ?? 'restore';
  if (format !== 'restore') {
    const message =
      format === 'save'
        ? 'format "save" is not available yet: it needs the netfilter printer; use "restore"'
        : `Unsupported value: ${JSON.stringify(format)}: supported values: "restore"`;
    throw new DomainError('INVALID', message, { field: 'format', causeReason: 'FieldValueNotSupported' });
  }
  const family = request.family ?? 'IPv4';
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new DomainError('INVALID', `Unsupported value: ${JSON.stringify(family)}: supported values: "IPv4", "IPv6"`, {
      field: 'family',
      causeReason: 'FieldValueNotSupported',
    });
  }
  const node = validateNode(request.node, 'node');
  const { services, endpointSlices, warnings } = validateObjects(request.objects, 'objects');
  const emulation = validateEmulation(request.emulation);

  // Validate the configuration with its fields named as in the request (config.iptables...).
  resolveConfig(request.config, 'config.');
  const proxier = new Proxier({ node, clock: new ManualClock(), config: request.config, family, emulation });
  for (const svc of services) proxier.onServiceAdd(svc);
  for (const slice of endpointSlices) proxier.onEndpointSliceAdd(slice);
  const result = proxier.sync();
  return {
    format: 'restore',
    family,
    text: result.text,
    lines: result.lines,
    bytes: result.bytes,
    servicePorts: result.servicePorts,
    endpoints: result.endpoints,
    largeClusterMode: result.largeClusterMode,
    ensureRules: result.ensureRules,
    ensureChains: result.ensureChains,
    warnings: [...warnings, ...proxier.status().warnings],
  };
}
