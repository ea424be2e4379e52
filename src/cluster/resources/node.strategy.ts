import { DomainError } from '../../common/domain-error';
import { isIPv4 } from '../../common/ipv4';
import { tryParseIPv6 } from '../../ipam/ipv6';
import { Random } from '../../common/random';
import { AddressPools } from '../../ipam/address-pools';
import { ResourceStrategy, Rollback, WriteContext } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { HOSTNAME_LABEL, NodeCondition, NodeSpec, NodeStatus } from './node.types';

/** What a kind node reports about itself, unless the manifest says otherwise. */
export const DEFAULT_NODE_CAPACITY: Readonly<Record<string, string>> = {
  cpu: '8',
  memory: '16Gi',
  'ephemeral-storage': '100Gi',
  pods: '110',
};

const KUBELET_VERSION = 'v1.32.4';

function hex(random: Random, length: number): string {
  return Array.from({ length }, () => random.int(16).toString(16)).join('');
}

/** The condition set a healthy kubelet posts. */
export function healthyNodeConditions(now: string): NodeCondition[] {
  const ok = (type: string, reason: string, message: string): NodeCondition => ({
    type,
    status: 'False',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    {
      type: 'Ready',
      status: 'True',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
    },
  ];
}

/**
 * Nodes: a pod CIDR from the node-IPAM allocator (as kube-controller-manager's
 * range allocator gives it), an InternalIP from the node network (as kind
 * numbers its nodes), and the status a freshly registered kubelet reports.
 */
export class NodeStrategy implements ResourceStrategy {
  constructor(
    private readonly pools: AddressPools,
    private readonly random: Random,
  ) {}

  prepareCreate(draft: KubeObject, ctx: WriteContext): Rollback | void {
    const name = draft.metadata.name;
    const spec = (draft.spec ??= {}) as NodeSpec;
    const status = (draft.status ??= {}) as NodeStatus;
    const errors = new FieldErrors();
    if (spec.podCIDR !== undefined && typeof spec.podCIDR !== 'string') errors.invalid('spec.podCIDR', spec.podCIDR, 'must be a CIDR');
    const givenIPs = (status.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
    for (const given of givenIPs) {
      if (typeof given !== 'string' || !(isIPv4(given) || tryParseIPv6(given) !== undefined)) {
        errors.invalid('status.addresses', given, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
      }
    }
    errors.throwIfAny('Node', name);

    draft.metadata.labels = {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      [HOSTNAME_LABEL]: name,
      'kubernetes.io/os': 'linux',
      ...draft.metadata.labels,
    };
    const now = ctx.store.now();
    status.capacity = { ...DEFAULT_NODE_CAPACITY, ...status.capacity };
    status.allocatable = { ...status.capacity, ...status.allocatable };
    status.conditions ??= healthyNodeConditions(now);
    status.daemonEndpoints ??= { kubeletEndpoint: { Port: 10250 } };
    status.nodeInfo = {
      machineID: hex(this.random, 32),
      systemUUID: `${hex(this.random, 8)}-${hex(this.random, 4)}-${hex(this.random, 4)}-${hex(this.random, 4)}-${hex(this.random, 12)}`,
      bootID: `${hex(this.random, 8)}-${hex(this.random, 4)}-${hex(this.random, 4)}-${hex(this.random, 4)}-${hex(this.random, 12)}`,
      kernelVersion: '6.18.0',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      containerRuntimeVersion: 'containerd://2.0.3',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
      ...status.nodeInfo,
    };
    if (ctx.dryRun) return;

    const undo: Array<() => void> = [];
    try {
      // InternalIPs, one per family of the cluster's node networks (the primary first, as the
      // kubelet reports them with a dual `--node-ip`): as given, or the next address of that network.
      const internalIPs: string[] = [];
      for (const pool of this.pools.nodeAddressPools) {
        let internalIP = givenIPs.find((ip) => ip.includes(':') === (pool.family === 'IPv6'));
        if (internalIP === undefined) {
          internalIP = pool.allocateNext();
          if (internalIP === undefined) {
            throw new DomainError('INVALID', `Node "${name}" is invalid: status.addresses: no free address left in the node network ${pool.range}`, {
              field: 'status.addresses',
              kind: 'Node',
              name,
            });
          }
          const ip = internalIP;
          undo.push(() => pool.release(ip));
        } else if (pool.allocate(internalIP)) {
          const ip = internalIP;
          undo.push(() => pool.release(ip));
        }
        internalIPs.push(internalIP);
      }
      // An address given of a family the cluster gives nodes none of stays, after them.
      for (const ip of givenIPs) if (!internalIPs.includes(ip)) internalIPs.push(ip);
      status.addresses = [
        ...internalIPs.map((address) => ({ type: 'InternalIP' as const, address })),
        { type: 'Hostname', address: name },
        ...(status.addresses ?? []).filter((a) => a.type !== 'InternalIP' && a.type !== 'Hostname'),
      ];

      // Pod CIDR: the one given (it must be free and aligned), or the next block.
      if (spec.podCIDR) {
        try {
          this.pools.podCidrs.occupy(spec.podCIDR);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          throw new DomainError('INVALID', `Node "${name}" is invalid: spec.podCIDR: Invalid value: ${JSON.stringify(spec.podCIDR)}: ${e.message}`, {
            field: 'spec.podCIDR',
            kind: 'Node',
            name,
          });
        }
        const cidr = spec.podCIDR;
        undo.push(() => this.pools.podCidrs.release(cidr));
      } else {
        try {
          const cidr = this.pools.podCidrs.allocateNext();
          undo.push(() => this.pools.podCidrs.release(cidr));
          spec.podCIDR = cidr;
        } catch (e) {
          if (!(e instanceof DomainError) || e.code !== 'CIDR_NOT_AVAILABLE') throw e;
          this.reportCidrNotAvailable(draft, status, e.message, ctx);
        }
      }
      if (spec.podCIDR) spec.podCIDRs = [spec.podCIDR, ...this.secondaryPodCidrs(name, spec, undo)];
    } catch (e) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]();
      throw e;
    }
    return () => {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]();
    };
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = (draft.spec ??= {}) as NodeSpec;
    const old = (previous.spec ?? {}) as NodeSpec;
    if (old.podCIDR && spec.podCIDR !== old.podCIDR) {
      if (spec.podCIDR === undefined) {
        spec.podCIDR = old.podCIDR;
        spec.podCIDRs = old.podCIDRs;
      } else {
        throw new DomainError(
          'INVALID',
          `Node "${draft.metadata.name}" is invalid: spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid`,
          { field: 'spec.podCIDR', causeReason: 'FieldValueForbidden', kind: 'Node', name: draft.metadata.name },
        );
      }
    }
  }

  /**
   * The node's pod CIDRs of the cluster's other family, after the primary one
   * (`spec.podCIDRs[1]`): the one given, or the next free block. A cluster out
   * of blocks of that family leaves the node with the primary one alone.
   */
  private secondaryPodCidrs(name: string, spec: NodeSpec, undo: Array<() => void>): string[] {
    const cidrs: string[] = [];
    for (const allocator of [...this.pools.podCidrsByFamily.values()].slice(1)) {
      const given = (spec.podCIDRs ?? []).slice(1).find((c) => typeof c === 'string' && c.includes(':') === (allocator.family === 'IPv6'));
      try {
        if (given) {
          allocator.occupy(given);
          undo.push(() => allocator.release(given));
          cidrs.push(given);
        } else {
          const cidr = allocator.allocateNext();
          undo.push(() => allocator.release(cidr));
          cidrs.push(cidr);
        }
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        if (e.code === 'CIDR_NOT_AVAILABLE') continue;
        throw new DomainError('INVALID', `Node "${name}" is invalid: spec.podCIDRs[1]: Invalid value: ${JSON.stringify(given)}: ${e.message}`, {
          field: 'spec.podCIDRs[1]',
          kind: 'Node',
          name,
        });
      }
    }
    return cidrs;
  }

  afterDelete(object: KubeObject): Rollback {
    const spec = (object.spec ?? {}) as NodeSpec;
    const status = (object.status ?? {}) as NodeStatus;
    const podCIDR = spec.podCIDR && this.pools.podCidrs.has(spec.podCIDR) ? spec.podCIDR : undefined;
    const secondary = (spec.podCIDRs ?? []).slice(1).flatMap((cidr) => {
      const allocator = [...this.pools.podCidrsByFamily.values()].slice(1).find((a) => a.has(cidr));
      return allocator ? [{ allocator, cidr }] : [];
    });
    const addresses = (status.addresses ?? []).flatMap((a) => {
      const pool = a.type === 'InternalIP' ? this.pools.nodeAddressesFor(a.address) : undefined;
      return pool?.has(a.address) ? [{ pool, ip: a.address }] : [];
    });
    if (podCIDR) this.pools.podCidrs.release(podCIDR);
    for (const { allocator, cidr } of secondary) allocator.release(cidr);
    for (const { pool, ip } of addresses) pool.release(ip);
    const ipam = this.pools.forgetNode(object.metadata.name);
    // A delete in a batch that fails (DELETE /netsim/v1/apply) is undone: the node keeps its pod CIDR, address and pod IPs.
    return () => {
      for (const { allocator, cidr } of secondary) allocator.occupy(cidr);
      if (podCIDR) this.pools.podCidrs.occupy(podCIDR);
      for (const { pool, ip } of addresses) pool.allocate(ip);
      if (ipam) this.pools.restoreNode(object.metadata.name, ipam);
    };
  }

  /**
   * No block left: the node keeps an empty pod CIDR, carries a
   * `NetworkUnavailable` condition with reason `CIDRNotAvailable`, and an
   * event says `Node NAME status is now: CIDRNotAvailable`, as the node-IPAM
   * controller records it.
   */
  private reportCidrNotAvailable(draft: KubeObject, status: NodeStatus, message: string, ctx: WriteContext): void {
    const now = ctx.store.now();
    status.conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'NetworkUnavailable'),
      { type: 'NetworkUnavailable', status: 'True', lastHeartbeatTime: now, lastTransitionTime: now, reason: 'CIDRNotAvailable', message },
    ];
    const events = resourceTypeByKey('events')!;
    if (ctx.store.tryGet(resourceTypeByKey('namespaces')!, undefined, 'default')) {
      ctx.store.create(
        events,
        {
          metadata: { generateName: `${draft.metadata.name}.` },
          involvedObject: { kind: 'Node', name: draft.metadata.name, uid: draft.metadata.uid, apiVersion: 'v1' },
          reason: 'CIDRNotAvailable',
          message: `Node ${draft.metadata.name} status is now: CIDRNotAvailable`,
          type: 'Warning',
          source: { component: 'cidrAllocator' },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
        'default',
      );
    }
  }
}
