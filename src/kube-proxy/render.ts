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
import { resolveConfig, type KubeProxyConfiguration, type ProxierEmulation, type ProxyMode } from './config';
import type { EnsureRule } from './fixed-rules';
import { Proxier } from './proxier';
import type { IpFamily, TableName } from './types';
import { validateNode, validateObjects } from './validation';
import { parseCidrSloppy } from './ip';
import { NftProxier } from './nftables/nft-proxier';
import { printTable } from '../nftables/list-printer';

export interface RenderRequest {
  /** A `KubeProxyConfiguration` (kubeproxy.config.k8s.io/v1alpha1); defaults when absent. */
  config?: KubeProxyConfiguration;
  /** The node: name, addresses, interfaces, pod CIDRs, labels. */
  node: unknown;
  /** v1 Services and discovery.k8s.io/v1 EndpointSlices as Kubernetes JSON. */
  objects: unknown;
  /** iptables mode: `restore` (the default). nftables mode: `nft` (the default), the transaction `nft -f` reads, or `list`, what `nft list ruleset` then prints. */
  format?: 'restore' | 'save' | 'nft' | 'list';
  /** nftables mode: the cluster's Service CIDRs, for the rule that drops traffic to unallocated ClusterIPs. */
  serviceCIDRs?: string[];
  /** Which proxier: iptables (IPv4, default) or ip6tables (IPv6). */
  family?: IpFamily;
  /** Node facts and formatting (see `ProxierEmulation`). */
  emulation?: Partial<ProxierEmulation>;
}

export interface RenderResult {
  format: 'restore';
  mode: 'iptables';
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

/** What `renderRules` answers in nftables mode: the transaction `nft -f` reads. */
export interface NftRenderResult {
  /** `nft`: the transaction kube-proxy sends to `nft -f`; `list`: the table as `nft list ruleset` then prints it. */
  format: 'nft' | 'list';
  mode: 'nftables';
  family: IpFamily;
  text: string;
  lines: number;
  bytes: number;
  servicePorts: number;
  endpoints: number;
  warnings: string[];
}

function validateFamily(family: unknown): IpFamily {
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new DomainError('INVALID', `Unsupported value: ${JSON.stringify(family)}: supported values: "IPv4", "IPv6"`, {
      field: 'family',
      causeReason: 'FieldValueNotSupported',
    });
  }
  return family;
}

function validateServiceCIDRs(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DomainError('INVALID', 'serviceCIDRs must be a list of CIDRs', { field: 'serviceCIDRs' });
  return value.map((text, i) => {
    const cidr = typeof text === 'string' ? parseCidrSloppy(text) : undefined;
    if (!cidr) throw new DomainError('INVALID', `serviceCIDRs[${i}]: ${JSON.stringify(text)} must be a valid CIDR`, { field: `serviceCIDRs[${i}]` });
    return cidr.text;
  });
}

function checkRequest(request: RenderRequest): void {
  if (typeof request !== 'object' || request === null) {
    throw new DomainError('BAD_REQUEST', 'expected a render request: {config, node, objects, format}');
  }
}

/** The proxy mode the request's configuration names, validated (fields named `config.…`). */
export function proxyModeOf(request: RenderRequest): ProxyMode {
  checkRequest(request);
  return resolveConfig(request.config, 'config.').mode;
}

/** The iptables proxier's first sync: the `iptables-restore` text. */
export function renderRules(request: RenderRequest): RenderResult {
  if (proxyModeOf(request) === 'nftables') {
    throw new DomainError('INVALID', 'config.mode is nftables: the ruleset is an nft transaction (renderNftRules)', { field: 'config.mode' });
  }
  const format = request.format ?? 'restore';
  if (format !== 'restore') {
    const message =
      format === 'save'
        ? 'format "save" is not available yet: it needs the netfilter printer; use "restore"'
        : `Unsupported value: ${JSON.stringify(format)}: supported values: "restore"`;
    throw new DomainError('INVALID', message, { field: 'format', causeReason: 'FieldValueNotSupported' });
  }
  const family = validateFamily(request.family ?? 'IPv4');
  const node = validateNode(request.node, 'node');
  const { services, endpointSlices, warnings } = validateObjects(request.objects, 'objects');
  const emulation = validateEmulation(request.emulation);

  const proxier = new Proxier({ node, clock: new ManualClock(), config: request.config, family, emulation });
  for (const svc of services) proxier.onServiceAdd(svc);
  for (const slice of endpointSlices) proxier.onEndpointSliceAdd(slice);
  const result = proxier.sync();
  return {
    format: 'restore',
    mode: 'iptables',
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

/**
 * The nftables proxier's first sync on that node: the transaction `nft -f`
 * reads. Of the `emulation` options (iptables facts) only `markFormat` applies.
 */
export function renderNftRules(request: RenderRequest): NftRenderResult {
  if (proxyModeOf(request) !== 'nftables') {
    throw new DomainError('INVALID', 'config.mode must be "nftables" for an nft ruleset', { field: 'config.mode' });
  }
  const format = request.format ?? 'nft';
  if (format !== 'nft' && format !== 'list') {
    throw new DomainError('INVALID', `Unsupported value: ${JSON.stringify(format)}: supported values: "nft", "list" (config.mode is nftables)`, {
      field: 'format',
      causeReason: 'FieldValueNotSupported',
    });
  }
  const family = validateFamily(request.family ?? 'IPv4');
  const node = validateNode(request.node, 'node');
  const { services, endpointSlices, warnings } = validateObjects(request.objects, 'objects');
  const emulation = validateEmulation(request.emulation);
  const serviceCIDRs = validateServiceCIDRs(request.serviceCIDRs);
  const proxier = new NftProxier({ node, clock: new ManualClock(), config: request.config, family, markFormat: emulation?.markFormat, serviceCIDRs });
  for (const svc of services) proxier.onServiceAdd(svc);
  for (const slice of endpointSlices) proxier.onEndpointSliceAdd(slice);
  const result = proxier.sync();
  const ofFamily = serviceCIDRs.filter((c) => c.includes(':') === (family === 'IPv6'));
  const notes = ofFamily.length === 0 ? [`no ${family} serviceCIDRs given: cluster-ips-check has no rule dropping traffic to unallocated ClusterIPs`] : [];
  const text = format === 'list' ? printTable(proxier.table()!) : result.text;
  return {
    format,
    mode: 'nftables',
    family,
    text,
    lines: format === 'list' ? text.split('\n').length - 1 : result.commands,
    bytes: Buffer.byteLength(text),
    servicePorts: proxier.servicePortCount(),
    endpoints: proxier.endpointCount(),
    warnings: [...warnings, ...proxier.warnings, ...notes],
  };
}
