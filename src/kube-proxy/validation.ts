/**
 * Checks the objects and node facts handed to the stateless renderer (and,
 * later, the REST endpoint) before kube-proxy reads them. Every problem is
 * collected; the thrown `DomainError('INVALID')` names each bad field with its
 * path in the request (`objects[2].spec.ports[0].port`) and a Kubernetes
 * cause type, like an API server's 422.
 *
 * This is not the API server's full validation: it rejects what would make
 * kube-proxy's output meaningless (ports out of range, addresses that are not
 * IPs, unknown enum values, duplicate service ports), and accepts what the
 * API server accepts that kube-proxy merely reads loosely (IPv4 octets with
 * leading zeros, source ranges with surrounding spaces).
 */
import { DomainError, type ErrorCause } from '../common/domain-error';
import { parseCidrSloppy, parseIpSloppy } from './ip';
import {
  LABEL_SERVICE_NAME,
  PROTOCOLS,
  type EndpointSlice,
  type NodeInfo,
  type Service,
} from './types';

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const POLICIES = ['Cluster', 'Local'];
const AFFINITIES = ['None', 'ClientIP'];
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];
const IP_MODES = ['VIP', 'Proxy'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface ValidatedObjects {
  services: Service[];
  endpointSlices: EndpointSlice[];
  /** Things kube-proxy would silently ignore (e.g. a slice without its service-name label). */
  warnings: string[];
}

type Bad = (field: string, message: string, reason?: string) => void;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function oneOf(bad: Bad, field: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    bad(field, `Unsupported value: ${JSON.stringify(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`, 'FieldValueNotSupported');
  }
}

function portNumber(bad: Bad, field: string, value: unknown, { zeroOk = false, required = false } = {}): void {
  if (value === undefined || value === null) {
    if (required) bad(field, 'Required value', 'FieldValueRequired');
    return;
  }
  const min = zeroOk ? 0 : 1;
  if (!isInt(value) || value < min || value > 65535) {
    bad(field, `Invalid value: ${JSON.stringify(value)}: must be between ${min} and 65535, inclusive`);
  }
}

function ipAddress(bad: Bad, field: string, value: unknown): void {
  if (typeof value !== 'string' || parseIpSloppy(value) === undefined) {
    bad(field, `Invalid value: ${JSON.stringify(value)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`);
  }
}

function stringList(bad: Bad, field: string, value: unknown, each: (f: string, v: unknown) => void): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    bad(field, 'must be a list');
    return;
  }
  value.forEach((v, i) => each(`${field}[${i}]`, v));
}

function validateMeta(bad: Bad, at: string, meta: unknown, nameRule: RegExp, maxLength: number): void {
  if (!isObject(meta)) {
    bad(`${at}.metadata`, 'Required value', 'FieldValueRequired');
    return;
  }
  const name = meta.name;
  if (typeof name !== 'string' || name === '') bad(`${at}.metadata.name`, 'Required value: name is required', 'FieldValueRequired');
  else if (name.length > maxLength || !nameRule.test(name)) {
    bad(`${at}.metadata.name`, `Invalid value: ${JSON.stringify(name)}: must be a valid DNS name of at most ${maxLength} characters`);
  }
  const ns = meta.namespace;
  if (ns !== undefined && ns !== null && (typeof ns !== 'string' || ns.length > 63 || !DNS_LABEL.test(ns))) {
    bad(`${at}.metadata.namespace`, `Invalid value: ${JSON.stringify(ns)}: must be a valid DNS label`);
  }
  if (meta.labels !== undefined && meta.labels !== null && !isObject(meta.labels)) {
    bad(`${at}.metadata.labels`, 'must be a map of strings');
  }
}

function validateService(bad: Bad, at: string, svc: Record<string, unknown>): void {
  validateMeta(bad, at, svc.metadata, DNS1035_LABEL, 63);
  const spec = svc.spec;
  if (!isObject(spec)) {
    bad(`${at}.spec`, 'Required value', 'FieldValueRequired');
    return;
  }
  const f = (p: string) => `${at}.spec.${p}`;
  oneOf(bad, f('type'), spec.type, SERVICE_TYPES);
  if (spec.clusterIP !== undefined && spec.clusterIP !== null && spec.clusterIP !== '' && spec.clusterIP !== 'None') {
    ipAddress(bad, f('clusterIP'), spec.clusterIP);
  }
  stringList(bad, f('clusterIPs'), spec.clusterIPs, (field, v) => {
    if (v !== 'None') ipAddress(bad, field, v);
  });
  if (
    Array.isArray(spec.clusterIPs) &&
    spec.clusterIPs.length > 0 &&
    typeof spec.clusterIP === 'string' &&
    spec.clusterIP !== '' &&
    spec.clusterIPs[0] !== spec.clusterIP
  ) {
    bad(f('clusterIPs[0]'), `Invalid value: ${JSON.stringify(spec.clusterIPs[0])}: must match spec.clusterIP`);
  }
  stringList(bad, f('ipFamilies'), spec.ipFamilies, (field, v) => oneOf(bad, field, v, ['IPv4', 'IPv6']));

  if (spec.ports !== undefined && spec.ports !== null && !Array.isArray(spec.ports)) bad(f('ports'), 'must be a list');
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  ports.forEach((p: unknown, j: number) => {
    const pf = (x: string) => f(`ports[${j}].${x}`);
    if (!isObject(p)) {
      bad(f(`ports[${j}]`), 'must be an object');
      return;
    }
    portNumber(bad, pf('port'), p.port, { required: true });
    oneOf(bad, pf('protocol'), p.protocol, PROTOCOLS);
    portNumber(bad, pf('nodePort'), p.nodePort, { zeroOk: true });
    if (p.targetPort !== undefined && p.targetPort !== null && typeof p.targetPort !== 'string') {
      portNumber(bad, pf('targetPort'), p.targetPort, { zeroOk: true });
    }
    const name = p.name ?? '';
    if (typeof name !== 'string') {
      bad(pf('name'), 'must be a string');
      return;
    }
    if (ports.length > 1 && name === '') bad(pf('name'), 'Required value: required when there is more than one port', 'FieldValueRequired');
    if (name !== '' && names.has(name)) bad(pf('name'), `Duplicate value: ${JSON.stringify(name)}`, 'FieldValueDuplicate');
    names.set(name, j);
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (keys.has(key)) bad(f(`ports[${j}]`), `Duplicate value: port ${p.port} with protocol ${p.protocol ?? 'TCP'}`, 'FieldValueDuplicate');
    keys.set(key, j);
  });

  stringList(bad, f('externalIPs'), spec.externalIPs, (field, v) => ipAddress(bad, field, v));
  oneOf(bad, f('sessionAffinity'), spec.sessionAffinity, AFFINITIES);
  const timeout = isObject(spec.sessionAffinityConfig) && isObject(spec.sessionAffinityConfig.clientIP)
    ? spec.sessionAffinityConfig.clientIP.timeoutSeconds
    : undefined;
  if (timeout !== undefined && timeout !== null && (!isInt(timeout) || timeout < 1 || timeout > 86400)) {
    bad(f('sessionAffinityConfig.clientIP.timeoutSeconds'), `Invalid value: ${JSON.stringify(timeout)}: must be greater than 0 and less than 86400`);
  }
  oneOf(bad, f('externalTrafficPolicy'), spec.externalTrafficPolicy, POLICIES);
  oneOf(bad, f('internalTrafficPolicy'), spec.internalTrafficPolicy, POLICIES);
  portNumber(bad, f('healthCheckNodePort'), spec.healthCheckNodePort, { zeroOk: true });
  stringList(bad, f('loadBalancerSourceRanges'), spec.loadBalancerSourceRanges, (field, v) => {
    if (typeof v !== 'string' || parseCidrSloppy(v.trim()) === undefined) {
      bad(field, `Invalid value: ${JSON.stringify(v)}: must be a valid CIDR (e.g. 203.0.113.0/24)`);
    }
  });

  const status = svc.status;
  if (status !== undefined && status !== null) {
    const ingress = isObject(status) && isObject(status.loadBalancer) ? status.loadBalancer.ingress : undefined;
    if (ingress !== undefined && ingress !== null && !Array.isArray(ingress)) bad(`${at}.status.loadBalancer.ingress`, 'must be a list');
    (Array.isArray(ingress) ? ingress : []).forEach((ing: unknown, k: number) => {
      const inf = `${at}.status.loadBalancer.ingress[${k}]`;
      if (!isObject(ing)) {
        bad(inf, 'must be an object');
        return;
      }
      if (ing.ip !== undefined && ing.ip !== null && ing.ip !== '') ipAddress(bad, `${inf}.ip`, ing.ip);
      oneOf(bad, `${inf}.ipMode`, ing.ipMode, IP_MODES);
    });
  }
}

function validateEndpointSlice(bad: Bad, warn: (m: string) => void, at: string, slice: Record<string, unknown>): void {
  validateMeta(bad, at, slice.metadata, DNS_SUBDOMAIN, 253);
  const addressType = slice.addressType;
  if (addressType === undefined || addressType === null) bad(`${at}.addressType`, 'Required value', 'FieldValueRequired');
  else oneOf(bad, `${at}.addressType`, addressType, ADDRESS_TYPES);

  const endpoints = slice.endpoints;
  if (endpoints !== undefined && endpoints !== null && !Array.isArray(endpoints)) bad(`${at}.endpoints`, 'must be a list');
  (Array.isArray(endpoints) ? endpoints : []).forEach((ep: unknown, k: number) => {
    const ef = `${at}.endpoints[${k}]`;
    if (!isObject(ep)) {
      bad(ef, 'must be an object');
      return;
    }
    if (!Array.isArray(ep.addresses) || ep.addresses.length === 0) {
      bad(`${ef}.addresses`, 'Required value: must contain at least 1 address', 'FieldValueRequired');
    } else if (addressType === 'IPv4' || addressType === 'IPv6') {
      ep.addresses.forEach((a: unknown, m: number) => {
        const ip = typeof a === 'string' ? parseIpSloppy(a) : undefined;
        if (!ip) ipAddress(bad, `${ef}.addresses[${m}]`, a);
        else if (ip.family !== addressType) bad(`${ef}.addresses[${m}]`, `Invalid value: ${JSON.stringify(a)}: must be an ${addressType} address`);
      });
    }
    if (ep.conditions !== undefined && ep.conditions !== null) {
      if (!isObject(ep.conditions)) bad(`${ef}.conditions`, 'must be an object');
      else {
        for (const c of ['ready', 'serving', 'terminating']) {
          const v = ep.conditions[c];
          if (v !== undefined && v !== null && typeof v !== 'boolean') bad(`${ef}.conditions.${c}`, 'must be a boolean');
        }
      }
    }
    if (ep.nodeName !== undefined && ep.nodeName !== null && typeof ep.nodeName !== 'string') bad(`${ef}.nodeName`, 'must be a string');
  });

  const ports = slice.ports;
  if (ports !== undefined && ports !== null && !Array.isArray(ports)) bad(`${at}.ports`, 'must be a list');
  (Array.isArray(ports) ? ports : []).forEach((p: unknown, k: number) => {
    const pf = `${at}.ports[${k}]`;
    if (!isObject(p)) {
      bad(pf, 'must be an object');
      return;
    }
    portNumber(bad, `${pf}.port`, p.port, { zeroOk: true });
    oneOf(bad, `${pf}.protocol`, p.protocol, PROTOCOLS);
    if (p.name !== undefined && p.name !== null && typeof p.name !== 'string') bad(`${pf}.name`, 'must be a string');
  });

  const meta = isObject(slice.metadata) ? slice.metadata : {};
  const labels = isObject(meta.labels) ? meta.labels : {};
  if (typeof labels[LABEL_SERVICE_NAME] !== 'string' || labels[LABEL_SERVICE_NAME] === '') {
    warn(`${at}: EndpointSlice ${String(meta.name)} has no ${LABEL_SERVICE_NAME} label; kube-proxy ignores it`);
  }
  if (addressType === 'FQDN') warn(`${at}: FQDN EndpointSlice ${String(meta.name)} is ignored by kube-proxy`);
}

function invalid(causes: ErrorCause[], what: string): DomainError {
  const first = causes[0];
  const more = causes.length > 1 ? ` (and ${causes.length - 1} more)` : '';
  return new DomainError('INVALID', `${what} is invalid: ${first.field}: ${first.message}${more}`, { causes });
}

/** Validates Kubernetes objects (v1 Service, discovery.k8s.io/v1 EndpointSlice) given as JSON. */
export function validateObjects(objects: unknown, fieldPrefix = 'objects'): ValidatedObjects {
  const causes: ErrorCause[] = [];
  const warnings: string[] = [];
  const bad: Bad = (field, message, reason = 'FieldValueInvalid') => causes.push({ field, message, reason });
  if (!Array.isArray(objects)) {
    throw new DomainError('INVALID', `${fieldPrefix} must be a list of Services and EndpointSlices`, { field: fieldPrefix });
  }
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const seen = new Map<string, number>();
  objects.forEach((o: unknown, i: number) => {
    const at = `${fieldPrefix}[${i}]`;
    if (!isObject(o)) {
      bad(at, 'must be a Kubernetes object');
      return;
    }
    const before = causes.length;
    if (o.kind === 'Service') {
      if (o.apiVersion !== undefined && o.apiVersion !== 'v1') bad(`${at}.apiVersion`, `Unsupported value: ${JSON.stringify(o.apiVersion)}: supported values: "v1"`, 'FieldValueNotSupported');
      validateService(bad, at, o);
      if (causes.length === before) services.push(o as unknown as Service);
    } else if (o.kind === 'EndpointSlice') {
      if (o.apiVersion !== undefined && o.apiVersion !== 'discovery.k8s.io/v1') {
        bad(`${at}.apiVersion`, `Unsupported value: ${JSON.stringify(o.apiVersion)}: supported values: "discovery.k8s.io/v1"`, 'FieldValueNotSupported');
      }
      validateEndpointSlice(bad, (m) => warnings.push(m), at, o);
      if (causes.length === before) endpointSlices.push(o as unknown as EndpointSlice);
    } else {
      bad(`${at}.kind`, `Unsupported value: ${JSON.stringify(o.kind)}: supported values: "Service", "EndpointSlice"`, 'FieldValueNotSupported');
      return;
    }
    const meta = isObject(o.metadata) ? o.metadata : {};
    const key = `${String(o.kind)}/${String(meta.namespace || 'default')}/${String(meta.name)}`;
    if (seen.has(key)) {
      bad(`${at}.metadata.name`, `Duplicate value: ${JSON.stringify(meta.name)}: same ${String(o.kind)} as ${fieldPrefix}[${seen.get(key)}]`, 'FieldValueDuplicate');
    } else {
      seen.set(key, i);
    }
  });
  if (causes.length > 0) throw invalid(causes, fieldPrefix);
  return { services, endpointSlices, warnings };
}

/** Validates the node facts of a render request. */
export function validateNode(node: unknown, fieldPrefix = 'node'): NodeInfo {
  const causes: ErrorCause[] = [];
  const bad: Bad = (field, message, reason = 'FieldValueInvalid') => causes.push({ field, message, reason });
  if (!isObject(node)) throw new DomainError('INVALID', `${fieldPrefix} is required: the node's name and addresses`, { field: fieldPrefix, causeReason: 'FieldValueRequired' });
  if (typeof node.name !== 'string' || node.name === '') bad(`${fieldPrefix}.name`, 'Required value: the node name', 'FieldValueRequired');
  stringList(bad, `${fieldPrefix}.addresses`, node.addresses, (field, v) => ipAddress(bad, field, v));
  if (node.interfaces !== undefined && node.interfaces !== null && !Array.isArray(node.interfaces)) bad(`${fieldPrefix}.interfaces`, 'must be a list');
  (Array.isArray(node.interfaces) ? node.interfaces : []).forEach((itf: unknown, i: number) => {
    const at = `${fieldPrefix}.interfaces[${i}]`;
    if (!isObject(itf)) {
      bad(at, 'must be an object');
      return;
    }
    if (typeof itf.name !== 'string' || itf.name === '') bad(`${at}.name`, 'Required value', 'FieldValueRequired');
    if (!Array.isArray(itf.addresses)) bad(`${at}.addresses`, 'must be a list of addresses such as 192.168.0.2/24');
    else
      itf.addresses.forEach((a: unknown, k: number) => {
        const ok = typeof a === 'string' && (a.includes('/') ? parseCidrSloppy(a) !== undefined : parseIpSloppy(a) !== undefined);
        if (!ok) bad(`${at}.addresses[${k}]`, `Invalid value: ${JSON.stringify(a)}: must be an address such as 192.168.0.2/24`);
      });
  });
  stringList(bad, `${fieldPrefix}.podCIDRs`, node.podCIDRs, (field, v) => {
    if (typeof v !== 'string' || parseCidrSloppy(v) === undefined) bad(field, `Invalid value: ${JSON.stringify(v)}: must be a valid CIDR`);
  });
  if (node.labels !== undefined && node.labels !== null && !isObject(node.labels)) bad(`${fieldPrefix}.labels`, 'must be a map of strings');
  if (causes.length > 0) throw invalid(causes, fieldPrefix);
  return node as unknown as NodeInfo;
}
