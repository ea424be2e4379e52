/**
 * kube-proxy's configuration, in the shape of upstream's
 * `KubeProxyConfiguration` (`kubeproxy.config.k8s.io/v1alpha1`): only the
 * fields the iptables proxier reads, with upstream's defaults
 * (`pkg/proxy/apis/config/v1alpha1/defaults.go`) and validation
 * (`pkg/proxy/apis/config/validation`), reported as `DomainError('INVALID')`
 * naming each bad field.
 *
 * Besides the upstream fields, `ProxierEmulation` holds facts about the node's
 * iptables userland and kernel that upstream discovers at run time (does
 * iptables support `--random-fully`, do the nfacct counters exist, is
 * `nf_conntrack_tcp_be_liberal` set) and how the mark is printed.
 */
import { DomainError, type ErrorCause } from '../common/domain-error';
import { parseCidrSloppy, type ParsedCidr } from './ip';
import type { IpFamily } from './types';

export type LocalMode = 'ClusterCIDR' | 'NodeCIDR' | 'BridgeInterface' | 'InterfaceNamePrefix';
export const LOCAL_MODES: readonly LocalMode[] = ['ClusterCIDR', 'NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'];

export interface KubeProxyIPTablesConfiguration {
  /** Masquerade all Service traffic (`--masquerade-all`). Default false. */
  masqueradeAll?: boolean;
  /** The fwmark bit for SNAT, 0..31. Default 14 (mark 0x4000). */
  masqueradeBit?: number | null;
  /** Allow NodePorts on 127.0.0.0/8 (route_localnet). Default true. */
  localhostNodePorts?: boolean | null;
  /** Go duration, e.g. `30s`. Default 30s: stale-chain cleanup period in large-cluster mode. */
  syncPeriod?: string;
  /** Go duration, e.g. `1s`. Default 1s: the minimum interval between syncs. */
  minSyncPeriod?: string;
}

export interface KubeProxyConfiguration {
  apiVersion?: string;
  kind?: string;
  /** `iptables` (and `""`, as on Linux) or `nftables`; the IPVS proxier is not emulated. */
  mode?: string;
  /** Pod CIDR(s), comma-separated, at most one per family. */
  clusterCIDR?: string;
  /** How kube-proxy tells pod traffic from other traffic. Default ClusterCIDR. */
  detectLocalMode?: LocalMode | '';
  detectLocal?: { bridgeInterface?: string; interfaceNamePrefix?: string };
  /** CIDRs (or `primary`) of the node addresses that accept NodePorts. Default: all. */
  nodePortAddresses?: string[] | null;
  iptables?: KubeProxyIPTablesConfiguration;
  /** The nftables proxier's settings (used when `mode` is `nftables`): the iptables ones without `localhostNodePorts`. */
  nftables?: Omit<KubeProxyIPTablesConfiguration, 'localhostNodePorts'>;
  /** Feature gates kube-proxy honours here: `PreferSameTrafficDistribution` (default true). */
  featureGates?: Record<string, boolean>;
}

export type ProxyMode = 'iptables' | 'nftables';

/** The configuration after defaulting: every field present, JSON-safe (for status pages). */
export interface ResolvedConfig {
  mode: ProxyMode;
  /** Canonical CIDR texts, at most one per family. */
  clusterCIDRs: string[];
  detectLocalMode: LocalMode;
  bridgeInterface: string;
  interfaceNamePrefix: string;
  nodePortAddresses: string[];
  masqueradeAll: boolean;
  masqueradeBit: number;
  localhostNodePorts: boolean;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  preferSameTrafficDistribution: boolean;
}

/** How the mark value is printed in the restore text. */
export type MarkFormat = 'padded' | 'minimal';

/**
 * Node facts upstream discovers at run time, plus output formatting. The
 * defaults describe a current Linux node (iptables 1.8, nfacct available) and
 * print the mark as the real kube-proxy writes it (Go `%#08x`: `0x00004000`);
 * `UPSTREAM_TEST_EMULATION` reproduces upstream's fake proxier instead.
 */
export interface ProxierEmulation {
  /** `padded` (default): `0x00004000`, as kube-proxy writes it. `minimal`: `0x4000`, as upstream's tests and iptables-save print it. */
  markFormat: MarkFormat;
  /** iptables >= 1.6.2: append `--random-fully` to MASQUERADE. Default true. */
  randomFully: boolean;
  /** The nfacct counter `ct_state_invalid_dropped_pkts` exists. Default true. */
  nfacctInvalidDropped: boolean;
  /** The nfacct counter `localhost_nps_accepted_pkts` exists. Default true. */
  nfacctLocalhostNodePorts: boolean;
  /** sysctl `net.netfilter.nf_conntrack_tcp_be_liberal` is non-zero: no INVALID drop rule. Default false. */
  conntrackTcpBeLiberal: boolean;
}

export const DEFAULT_EMULATION: Readonly<ProxierEmulation> = Object.freeze({
  markFormat: 'padded',
  randomFully: true,
  nfacctInvalidDropped: true,
  nfacctLocalhostNodePorts: true,
  conntrackTcpBeLiberal: false,
});

/** The settings of upstream's `NewFakeProxier` (proxier_test.go). */
export const UPSTREAM_TEST_EMULATION: Readonly<ProxierEmulation> = Object.freeze({
  markFormat: 'minimal',
  randomFully: false,
  nfacctInvalidDropped: true,
  nfacctLocalhostNodePorts: true,
  conntrackTcpBeLiberal: false,
});

export function resolveEmulation(partial?: Partial<ProxierEmulation> | null): ProxierEmulation {
  return { ...DEFAULT_EMULATION, ...(partial ?? {}) };
}

/** `1 << bit` printed as the restore text wants it. */
export function formatMark(bit: number, format: MarkFormat): string {
  const value = (2 ** bit).toString(16);
  // Go's %#08x zero-pads the digits to 8 and then adds the 0x prefix: 0x00004000.
  return format === 'padded' ? `0x${value.padStart(8, '0')}` : `0x${value}`;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Parses a Go duration (`1s`, `500ms`, `1m30s`, `0`) into milliseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  let s = text.trim();
  if (s === '0') return 0;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '') return undefined;
  const part = /^([0-9]*\.?[0-9]+|[0-9]+\.)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length > 0) {
    const m = part.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** The defaulting `SetDefaults_KubeProxyConfiguration` applies, for the fields used here. */
export function applyDefaults(config: KubeProxyConfiguration = {}): KubeProxyConfiguration {
  const ipt = config.iptables ?? {};
  const nft = config.nftables ?? {};
  return {
    ...config,
    mode: config.mode || 'iptables',
    clusterCIDR: config.clusterCIDR ?? '',
    detectLocalMode: config.detectLocalMode || 'ClusterCIDR',
    detectLocal: { bridgeInterface: '', interfaceNamePrefix: '', ...(config.detectLocal ?? {}) },
    nodePortAddresses: config.nodePortAddresses ?? [],
    iptables: {
      ...ipt,
      masqueradeAll: ipt.masqueradeAll ?? false,
      masqueradeBit: ipt.masqueradeBit ?? 14,
      localhostNodePorts: ipt.localhostNodePorts ?? true,
      syncPeriod: ipt.syncPeriod || '30s',
      minSyncPeriod: ipt.minSyncPeriod || '1s',
    },
    nftables: {
      ...nft,
      masqueradeAll: nft.masqueradeAll ?? false,
      masqueradeBit: nft.masqueradeBit ?? 14,
      syncPeriod: nft.syncPeriod || '30s',
      minSyncPeriod: nft.minSyncPeriod || '1s',
    },
    featureGates: { ...(config.featureGates ?? {}) },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Defaults and validates a configuration. Every problem is collected; the
 * thrown `DomainError('INVALID')` has one cause per bad field, each field
 * prefixed with `fieldPrefix` (e.g. `config.` for the render endpoint).
 */
export function resolveConfig(input: KubeProxyConfiguration | undefined | null, fieldPrefix = ''): ResolvedConfig {
  const causes: ErrorCause[] = [];
  const bad = (field: string, message: string, reason = 'FieldValueInvalid') =>
    causes.push({ field: fieldPrefix + field, reason, message });

  if (input !== undefined && input !== null && !isObject(input)) {
    throw new DomainError('INVALID', 'the configuration must be a KubeProxyConfiguration object', {
      field: fieldPrefix.replace(/\.$/, '') || 'config',
    });
  }
  const raw = input ?? {};
  if (raw.iptables !== undefined && !isObject(raw.iptables)) bad('iptables', 'must be an object');
  if (raw.detectLocal !== undefined && !isObject(raw.detectLocal)) bad('detectLocal', 'must be an object');
  if (causes.length > 0) throw invalid(causes);
  const c = applyDefaults(raw);
  // The proxier's own section: `iptables`, or `nftables` in nftables mode.
  const nftMode = c.mode === 'nftables';
  const section = nftMode ? 'nftables' : 'iptables';
  const ipt: KubeProxyIPTablesConfiguration = nftMode ? { ...c.nftables!, localhostNodePorts: false } : c.iptables!;

  if (raw.apiVersion !== undefined && raw.apiVersion !== 'kubeproxy.config.k8s.io/v1alpha1') {
    bad('apiVersion', `unsupported apiVersion ${JSON.stringify(raw.apiVersion)}: expected "kubeproxy.config.k8s.io/v1alpha1"`, 'FieldValueNotSupported');
  }
  if (raw.kind !== undefined && raw.kind !== 'KubeProxyConfiguration') {
    bad('kind', `unsupported kind ${JSON.stringify(raw.kind)}: expected "KubeProxyConfiguration"`, 'FieldValueNotSupported');
  }
  if (c.mode === 'ipvs') {
    bad('mode', 'the ipvs proxy mode is not emulated (it is deprecated upstream): use "iptables" or "nftables"', 'FieldValueNotSupported');
  } else if (c.mode !== 'iptables' && c.mode !== 'nftables') {
    bad('mode', `Invalid value: ${JSON.stringify(c.mode)}: must be iptables,ipvs,nftables or blank (blank means the best-available proxy [currently iptables])`);
  }

  const clusterCIDRs: ParsedCidr[] = [];
  if (typeof c.clusterCIDR !== 'string') {
    bad('clusterCIDR', 'must be a string of comma-separated CIDRs');
  } else if (c.clusterCIDR.trim() !== '') {
    const parts = c.clusterCIDR.split(',');
    for (const part of parts) {
      const cidr = parseCidrSloppy(part.trim());
      if (cidr === undefined) {
        bad('clusterCIDR', `${JSON.stringify(part)} must be a valid CIDR (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)`);
      } else {
        clusterCIDRs.push(cidr);
      }
    }
    const families = new Set(clusterCIDRs.map((x) => x.family));
    if (parts.length > 2 || (clusterCIDRs.length === 2 && families.size !== 2)) {
      bad('clusterCIDR', 'only one CIDR allowed or a valid DualStack CIDR (e.g. 10.100.0.0/16,fde4:8dba:82e1::/48)');
    }
  }

  const mode = c.detectLocalMode as LocalMode;
  if (!LOCAL_MODES.includes(mode)) {
    bad('detectLocalMode', `must be one of ${LOCAL_MODES.map((m) => JSON.stringify(m)).join(', ')}; got ${JSON.stringify(raw.detectLocalMode)}`, 'FieldValueNotSupported');
  }
  const bridgeInterface = c.detectLocal?.bridgeInterface ?? '';
  const interfaceNamePrefix = c.detectLocal?.interfaceNamePrefix ?? '';
  if (typeof bridgeInterface !== 'string') bad('detectLocal.bridgeInterface', 'must be a string');
  if (typeof interfaceNamePrefix !== 'string') bad('detectLocal.interfaceNamePrefix', 'must be a string');
  if (mode === 'BridgeInterface' && !bridgeInterface) {
    bad('detectLocal.bridgeInterface', 'must not be empty when detectLocalMode is BridgeInterface', 'FieldValueRequired');
  }
  if (mode === 'InterfaceNamePrefix' && !interfaceNamePrefix) {
    bad('detectLocal.interfaceNamePrefix', 'must not be empty when detectLocalMode is InterfaceNamePrefix', 'FieldValueRequired');
  }

  const nodePortAddresses: string[] = [];
  if (!Array.isArray(c.nodePortAddresses)) {
    bad('nodePortAddresses', 'must be a list of CIDRs');
  } else {
    c.nodePortAddresses.forEach((text, i) => {
      if (text === 'primary') {
        if (c.nodePortAddresses!.length > 1) bad(`nodePortAddresses[${i}]`, 'can\'t use "primary" with other addresses');
        nodePortAddresses.push(text);
      } else if (typeof text !== 'string' || parseCidrSloppy(text) === undefined) {
        bad(`nodePortAddresses[${i}]`, `${JSON.stringify(text)} must be a valid CIDR or "primary"`);
      } else {
        nodePortAddresses.push(text);
      }
    });
  }

  if (typeof ipt.masqueradeAll !== 'boolean') bad(`${section}.masqueradeAll`, 'must be a boolean');
  const bit = ipt.masqueradeBit;
  if (typeof bit !== 'number' || !Number.isInteger(bit) || bit < 0 || bit > 31) {
    bad(`${section}.masqueradeBit`, `must be within the range [0, 31]; got ${JSON.stringify(bit)}`);
  }
  if (typeof ipt.localhostNodePorts !== 'boolean') bad('iptables.localhostNodePorts', 'must be a boolean');
  const syncPeriodMs = parseGoDuration(ipt.syncPeriod as string);
  if (syncPeriodMs === undefined) bad(`${section}.syncPeriod`, `${JSON.stringify(ipt.syncPeriod)} is not a duration (e.g. 30s)`);
  else if (syncPeriodMs <= 0) bad(`${section}.syncPeriod`, 'must be greater than 0');
  const minSyncPeriodMs = parseGoDuration(ipt.minSyncPeriod as string);
  if (minSyncPeriodMs === undefined) bad(`${section}.minSyncPeriod`, `${JSON.stringify(ipt.minSyncPeriod)} is not a duration (e.g. 1s)`);
  else if (minSyncPeriodMs < 0) bad(`${section}.minSyncPeriod`, 'must be greater than or equal to 0');
  else if (syncPeriodMs !== undefined && syncPeriodMs > 0 && minSyncPeriodMs > syncPeriodMs) {
    bad(`${section}.minSyncPeriod`, `must be less than or equal to ${section}.syncPeriod (${ipt.syncPeriod})`);
  }

  const gates = c.featureGates ?? {};
  if (!isObject(gates)) bad('featureGates', 'must be a map of gate names to booleans');

  if (causes.length > 0) throw invalid(causes);
  return {
    mode: nftMode ? 'nftables' : 'iptables',
    clusterCIDRs: clusterCIDRs.map((c) => c.text),
    detectLocalMode: mode,
    bridgeInterface,
    interfaceNamePrefix,
    nodePortAddresses,
    masqueradeAll: ipt.masqueradeAll as boolean,
    masqueradeBit: bit as number,
    localhostNodePorts: ipt.localhostNodePorts as boolean,
    syncPeriodMs: syncPeriodMs as number,
    minSyncPeriodMs: minSyncPeriodMs as number,
    preferSameTrafficDistribution: gates.PreferSameTrafficDistribution ?? true,
  };
}

function invalid(causes: ErrorCause[]): DomainError {
  const message =
    causes.length === 1
      ? `${causes[0].field}: ${causes[0].message}`
      : `KubeProxyConfiguration is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`;
  return new DomainError('INVALID', message, { causes, kind: 'KubeProxyConfiguration' });
}

/** The cluster CIDR of one family, if configured. */
export function clusterCidrFor(config: ResolvedConfig, family: IpFamily): ParsedCidr | undefined {
  return config.clusterCIDRs.map((text) => parseCidrSloppy(text)!).find((c) => c.family === family);
}
