import { DomainError } from '../../common/domain-error';
import { AddressPools } from '../../ipam/address-pools';
import { ResourceStrategy, Rollback, WriteContext } from '../store/object-store';
import { KubeObject } from '../store/types';
import { IpFamily } from '../../ipam/types';
import { FieldErrors, invalidObject } from '../validation/field-errors';
import { initIPFamilyFields, isHeadless, matchesPreferDualStack, normalizeClusterIPs, validateUpgradeDowngrade } from './service-ip-families';
import { validateService } from './service-validation';
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, ServicePort, ServiceSpec, ServiceStatus } from './service.types';

/** Releases, in reverse order, what one write allocated. */
class Holdings {
  private readonly releases: Array<() => void> = [];

  hold(release: () => void): void {
    this.releases.push(release);
  }

  releaseAll(): void {
    for (let i = this.releases.length - 1; i >= 0; i--) this.releases[i]();
    this.releases.length = 0;
  }

  rollback(): Rollback {
    const releases = [...this.releases];
    return () => {
      for (let i = releases.length - 1; i >= 0; i--) releases[i]();
    };
  }
}

function specOf(object: KubeObject): ServiceSpec {
  return (object.spec ?? {}) as ServiceSpec;
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function hasClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName';
}

/**
 * The defaulting the API server does as it decodes a body, before validation (SetDefaults_Service):
 * without ClientIP affinity there is no affinity config, so switching a Service back to `None`
 * drops the ClientIP timeout instead of refusing it.
 */
function dropAffinityConfigWithoutClientIP(spec: ServiceSpec): void {
  if ((spec.sessionAffinity ?? 'None') === 'None') delete spec.sessionAffinityConfig;
}

/** The API server's defaulting for the fields it fills in on create. */
export function defaultServiceSpec(spec: ServiceSpec): void {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig = {
      clientIP: { timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS },
    };
  }
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
}

/**
 * Services: validation, defaulting, and the addresses a Service holds —
 * its ClusterIP, node ports, health-check node port and LoadBalancer
 * ingress address — allocated on create, kept on update, released on delete.
 */
export class ServiceStrategy implements ResourceStrategy {
  constructor(private readonly pools: AddressPools) {}

  prepareCreate(draft: KubeObject, ctx: WriteContext): Rollback | void {
    const name = draft.metadata.name;
    const spec = specOf(draft);
    dropAffinityConfigWithoutClientIP(spec);
    this.initIPFamilies(name, spec, undefined);
    const errors = new FieldErrors();
    validateService(name, spec, errors);
    errors.throwIfAny('Service', name);
    defaultServiceSpec(spec);
    // The API server ignores a status sent with a new Service; Go writes its empty `loadBalancer`.
    draft.status = { loadBalancer: {} };
    if (ctx.dryRun) return;
    const holdings = new Holdings();
    try {
      if (hasClusterIP(spec)) this.allocateClusterIPs(name, spec, 0, holdings);
      this.allocateNodePorts(name, spec, undefined, holdings);
      this.allocateLoadBalancerIngress(draft, spec, undefined, holdings);
    } catch (e) {
      holdings.releaseAll();
      throw e;
    }
    return holdings.rollback();
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject, ctx: WriteContext): Rollback | void {
    const name = draft.metadata.name;
    const spec = specOf(draft);
    const old = specOf(previous);
    // Fields the API server keeps when an update leaves them out (patchAllocatedValues).
    if (hasClusterIP(spec) && hasClusterIP(old)) {
      if (!spec.clusterIP) spec.clusterIP = old.clusterIP;
      if (!spec.clusterIPs?.length && old.clusterIPs?.length) spec.clusterIPs = old.clusterIPs;
    }
    dropTypeDependentFields(spec, old);
    dropAffinityConfigWithoutClientIP(spec);
    this.initIPFamilies(name, spec, old);
    const errors = new FieldErrors();
    validateService(name, spec, errors);
    validateUpgradeDowngrade(old, spec, errors);
    errors.throwIfAny('Service', name);
    defaultServiceSpec(spec);
    if (ctx.dryRun) return;

    const holdings = new Holdings();
    const released = new Holdings(); // what the update gives back, done only once everything else worked
    try {
      if (hasClusterIP(spec) && !hasClusterIP(old)) this.allocateClusterIPs(name, spec, 0, holdings);
      if (!hasClusterIP(spec) && hasClusterIP(old)) {
        delete spec.clusterIP;
        delete spec.clusterIPs;
        released.hold(() => this.releaseClusterIP(old));
      }
      if (hasClusterIP(spec) && hasClusterIP(old) && !isHeadless(old) && !matchesPreferDualStack(spec, old)) {
        const before = old.ipFamilies?.length ?? 0;
        const after = spec.ipFamilies?.length ?? 0;
        // Upgraded to dual-stack: the secondary address is allocated (or the one asked for taken).
        if (before === 1 && after === 2) this.allocateClusterIPs(name, spec, 1, holdings);
        // Downgraded: the secondary address goes back once the update is through.
        if (before === 2 && after === 1 && old.clusterIPs?.[1]) {
          const secondary = old.clusterIPs[1];
          spec.clusterIPs = spec.clusterIPs?.slice(0, 1);
          released.hold(() => this.pools.clusterIpsFor(secondary)?.release(secondary));
        }
      }
      this.allocateNodePorts(name, spec, old, holdings);
      for (const port of nodePortsOf(old)) {
        if (!nodePortsOf(spec).includes(port)) released.hold(() => this.pools.nodePorts.release(port));
      }
      if (old.healthCheckNodePort && spec.healthCheckNodePort !== old.healthCheckNodePort) {
        const port = old.healthCheckNodePort;
        released.hold(() => this.pools.nodePorts.release(port));
      }
      this.allocateLoadBalancerIngress(draft, spec, previous, holdings);
    } catch (e) {
      holdings.releaseAll();
      throw e;
    }
    released.releaseAll();
    return holdings.rollback();
  }

  afterDelete(object: KubeObject): Rollback | void {
    const spec = specOf(object);
    const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None' && !!this.pools.clusterIpsFor(ip)?.has(ip));
    const ports = [...nodePortsOf(spec), ...(spec.healthCheckNodePort ? [spec.healthCheckNodePort] : [])].filter((port) => this.pools.nodePorts.has(port));
    const ingress = ingressIPs(object).filter((ip) => this.pools.loadBalancerIps.has(ip));
    for (const ip of clusterIPs) this.pools.clusterIpsFor(ip)?.release(ip);
    for (const port of ports) this.pools.nodePorts.release(port);
    for (const ip of ingress) this.pools.loadBalancerIps.release(ip);
    // A delete in a batch that fails (DELETE /netsim/v1/apply) is undone: the Service keeps its addresses.
    return () => {
      for (const ip of clusterIPs) this.pools.clusterIpsFor(ip)?.allocate(ip);
      for (const port of ports) this.pools.nodePorts.allocate(port);
      for (const ip of ingress) this.pools.loadBalancerIps.allocate(ip);
    };
  }

  private releaseClusterIP(spec: ServiceSpec): void {
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
      if (ip !== 'None') this.pools.clusterIpsFor(ip)?.release(ip);
    }
  }

  /**
   * Defaults and checks `ipFamilyPolicy`, `ipFamilies` and `clusterIPs` against
   * the cluster's families before anything is allocated, as the API server does.
   */
  private initIPFamilies(name: string, spec: ServiceSpec, old: ServiceSpec | undefined): void {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return;
    if (!Array.isArray(spec.clusterIPs ?? []) || !Array.isArray(spec.ipFamilies ?? [])) return; // validation says so
    normalizeClusterIPs(spec, old);
    const errors = new FieldErrors();
    initIPFamilyFields(spec, old, this.pools.serviceFamilies, errors);
    errors.throwIfAny('Service', name);
  }

  /** Allocates `clusterIPs[from..]`, one per `ipFamilies` entry: the address asked for, or the next free one. */
  private allocateClusterIPs(name: string, spec: ServiceSpec, from: number, holdings: Holdings): void {
    if (isHeadless(spec) || spec.clusterIP === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    const families = (spec.ipFamilies ?? [this.pools.serviceFamilies[0]]) as IpFamily[];
    const ips = [...(spec.clusterIPs ?? [])];
    for (let i = from; i < families.length; i++) {
      const allocator = this.pools.clusterIpsByFamily.get(families[i]);
      if (!allocator) continue; // refused before: the family is not configured
      const requested = ips[i];
      let ip: string;
      if (requested) {
        try {
          allocator.allocate(requested);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          throw invalidObject('Service', name, [
            {
              field: 'spec.clusterIPs',
              type: 'FieldValueInvalid',
              value: spec.clusterIPs ?? [requested],
              detail: `failed to allocate IP ${requested}: ${e.message}`,
            },
          ]);
        }
        ip = requested;
      } else {
        try {
          ip = allocator.allocateNext();
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          throw new DomainError('RANGE_FULL', `Internal error occurred: failed to allocate a serviceIP: ${e.message}`, {
            field: 'spec.clusterIPs',
            kind: 'Service',
            name,
          });
        }
      }
      holdings.hold(() => allocator.release(ip));
      ips[i] = ip;
    }
    spec.clusterIPs = ips;
    spec.clusterIP = ips[0];
  }

  private allocateNodePorts(name: string, spec: ServiceSpec, old: ServiceSpec | undefined, holdings: Holdings): void {
    const allocator = this.pools.nodePorts;
    const ports = spec.ports ?? [];
    const oldPorts = old ? nodePortsOf(old) : [];
    const take = (port: number, field: string): void => {
      if (oldPorts.includes(port)) return; // the Service already holds it
      try {
        allocator.allocate(port);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        throw invalidObject('Service', name, [{ field, type: 'FieldValueInvalid', value: port, detail: e.message }]);
      }
      holdings.hold(() => allocator.release(port));
    };
    const next = (field: string): number => {
      try {
        const port = allocator.allocateNext();
        holdings.hold(() => allocator.release(port));
        return port;
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        throw new DomainError('RANGE_FULL', `Internal error occurred: failed to allocate a nodePort: ${e.message}`, {
          field,
          kind: 'Service',
          name,
        });
      }
    };

    if (!needsNodePorts(spec)) {
      for (const port of ports) delete port.nodePort;
    } else {
      // Ports with the same port number share one node port (DNS 53/UDP and 53/TCP).
      const byPortNumber = new Map<number, number>();
      ports.forEach((port, i) => {
        if (port.nodePort) {
          take(port.nodePort, `spec.ports[${i}].nodePort`);
          byPortNumber.set(port.port, port.nodePort);
        }
      });
      ports.forEach((port, i) => {
        if (port.nodePort) return;
        const kept = old ? keptNodePort(port, old.ports ?? []) : undefined;
        const shared = byPortNumber.get(port.port);
        port.nodePort = kept ?? shared ?? next(`spec.ports[${i}].nodePort`);
        byPortNumber.set(port.port, port.nodePort);
      });
    }

    if (spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
      if (spec.healthCheckNodePort) {
        if (spec.healthCheckNodePort !== old?.healthCheckNodePort) take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      } else {
        spec.healthCheckNodePort = old?.healthCheckNodePort || next('spec.healthCheckNodePort');
      }
    } else {
      delete spec.healthCheckNodePort;
    }
  }

  private allocateLoadBalancerIngress(draft: KubeObject, spec: ServiceSpec, previous: KubeObject | undefined, holdings: Holdings): void {
    const held = previous ? ingressIPs(previous) : [];
    if (spec.type !== 'LoadBalancer') {
      // No longer a LoadBalancer: give the address back (and take it again if the write is undone).
      for (const ip of held) {
        this.pools.loadBalancerIps.release(ip);
        holdings.hold(() => this.pools.loadBalancerIps.allocate(ip));
      }
      if (held.length) draft.status = { ...(draft.status as object), loadBalancer: {} };
      return;
    }
    if (held.length) return; // keeps its address
    const pool = this.pools.loadBalancerIps;
    let ip: string | undefined;
    if (spec.loadBalancerIP && pool.allocate(spec.loadBalancerIP)) ip = spec.loadBalancerIP;
    else if (!spec.loadBalancerIP) ip = pool.allocateNext();
    if (ip === undefined) return; // stays <pending>, as on a cluster whose pool is empty
    const taken = ip;
    holdings.hold(() => pool.release(taken));
    const status: ServiceStatus = { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } };
    draft.status = status;
  }
}

const isExternal = (spec: ServiceSpec) => spec.type === 'NodePort' || spec.type === 'LoadBalancer';

/**
 * When an update changes the type, the API server drops the fields that only
 * the old type had, where the client left them as they were (a merge patch of
 * `type` alone keeps them in the body).
 */
function dropTypeDependentFields(spec: ServiceSpec, old: ServiceSpec): void {
  if (spec.type === old.type) return;
  if (hasClusterIP(old) && !hasClusterIP(spec)) {
    // To a type without addresses: what the client left as it was goes.
    const same = (a?: string[], b?: string[]) => (a ?? []).length === (b ?? []).length && (a ?? []).every((v, i) => v === b?.[i]);
    if (same(old.clusterIPs, spec.clusterIPs) && (old.clusterIP ?? '') === (spec.clusterIP ?? '')) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same(old.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (old.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (!isExternal(spec)) {
    for (const port of spec.ports ?? []) {
      const before = (old.ports ?? []).find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
      if (port.nodePort && port.nodePort === before?.nodePort) delete port.nodePort;
    }
    if (spec.externalTrafficPolicy === old.externalTrafficPolicy && !spec.externalIPs?.length) delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer') {
    if (spec.healthCheckNodePort === old.healthCheckNodePort) delete spec.healthCheckNodePort;
    if (spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === old.loadBalancerClass) delete spec.loadBalancerClass;
  }
}

function nodePortsOf(spec: ServiceSpec): number[] {
  return [...new Set((spec.ports ?? []).map((p) => p.nodePort).filter((p): p is number => !!p))];
}

function keptNodePort(port: ServicePort, oldPorts: ServicePort[]): number | undefined {
  const match =
    oldPorts.find((p) => p.name === port.name && (p.protocol ?? 'TCP') === port.protocol && p.nodePort) ??
    oldPorts.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === port.protocol && p.nodePort);
  return match?.nodePort;
}

export function ingressIPs(service: KubeObject): string[] {
  const status = service.status as ServiceStatus | undefined;
  return (status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);
}
