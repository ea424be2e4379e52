import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { AddressPools } from '../../ipam/address-pools';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { ObjectInput } from '../store/types';
import { ServiceStrategy } from './service.strategy';
import { ServiceSpec } from './service.types';

const services = resourceTypeByKey('services')!;
const namespaces = resourceTypeByKey('namespaces')!;

function setup(overrides: Partial<Parameters<typeof AddressPools.create>[0]> = {}) {
  const pools = AddressPools.create(
    {
      serviceClusterIpRange: '10.96.0.0/12',
      serviceNodePortRange: '30000-32767',
      clusterCidr: '10.244.0.0/16',
      nodeCidrMaskSize: 24,
      loadBalancerIpRange: '172.18.255.200-172.18.255.201',
      nodeNetwork: '172.18.0.0/16',
      ...overrides,
    },
    new SeededRandom(3),
  );
  const store = new ObjectStore(new ManualClock(), new SeededRandom(3));
  store.registerStrategy(services, new ServiceStrategy(pools));
  store.create(namespaces, { metadata: { name: 'default' } });
  return { pools, store };
}

function svc(name: string, spec: ServiceSpec): ObjectInput {
  return { metadata: { name }, spec: spec as unknown as Record<string, unknown> };
}

function specOf(o: { spec?: unknown }): ServiceSpec {
  return o.spec as ServiceSpec;
}

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('ServiceStrategy', () => {
  it('reports every field error at once: an invalid name, an invalid label and an invalid port in one 422, and allocates nothing', () => {
    const { store, pools } = setup();
    const bad = errorOf(() =>
      store.create(services, { metadata: { name: 'Bad_Name', labels: { 'bad key': 'x' } }, spec: { ports: [{ port: 0 }] } } as ObjectInput),
    );
    expect(bad.code).toBe('INVALID');
    expect(bad.causes.map((c) => c.field)).toEqual(['metadata.name', 'metadata.labels', 'spec.ports[0].port']);
    expect(bad.message).toMatch(/^Service "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of .*, metadata\.labels: Invalid value: "bad key": name part must consist of .*, spec\.ports\[0\]\.port: Invalid value: 0: must be between 1 and 65535, inclusive\]$/);
    // A spec that is valid does not keep the metadata errors from being reported, nor hold an address.
    const onlyLabel = errorOf(() => store.create(services, { metadata: { name: 'ok', labels: { 'bad key': 'x' } }, spec: { ports: [{ port: 80 }] } } as ObjectInput));
    expect(onlyLabel.causes.map((c) => c.field)).toEqual(['metadata.labels']);
    expect(pools.clusterIps.allocated()).toEqual([]);
  });

  it('allocates a ClusterIP from the upper band and fills defaults', () => {
    const { store } = setup();
    const s = store.create(services, svc('web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }), 'default');
    const spec = specOf(s);
    expect(spec.type).toBe('ClusterIP');
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.sessionAffinity).toBe('None');
    expect(spec.internalTrafficPolicy).toBe('Cluster');
    expect(spec.ports).toEqual([{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
    const [a, b, c] = spec.clusterIP!.split('.').map(Number);
    expect(a).toBe(10);
    expect(b * 256 + c).toBeGreaterThanOrEqual(96 * 256 + 1);
  });

  it('honours a requested address, and refuses a taken or foreign one as the API server does', () => {
    const { store } = setup();
    store.create(services, svc('dns', { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] }), 'default');
    const taken = errorOf(() =>
      store.create(services, svc('dns2', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }), 'default'),
    );
    expect(taken.message).toBe(
      'Service "dns2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    expect(taken.causes).toEqual([
      {
        field: 'spec.clusterIPs',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
      },
    ]);
    const foreign = errorOf(() => store.create(services, svc('x', { clusterIP: '1.1.1.1', ports: [{ port: 1 }] }), 'default'));
    expect(foreign.message).toContain(
      'failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
  });

  it('answers a full range with the upstream text and leaves nothing held', () => {
    const { store, pools } = setup({ serviceClusterIpRange: '10.0.0.0/29' });
    for (let i = 0; i < 6; i++) store.create(services, svc(`s${i}`, { ports: [{ port: 80 }] }), 'default');
    const full = errorOf(() => store.create(services, svc('s6', { type: 'NodePort', ports: [{ port: 80 }] }), 'default'));
    expect(full.code).toBe('RANGE_FULL');
    expect(full.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
    expect(pools.nodePorts.stats().used).toBe(0);
  });

  it('gives NodePorts a node port, shared by ports with the same number, and validates them', () => {
    const { store, pools } = setup();
    const s = store.create(
      services,
      svc('dns', {
        type: 'NodePort',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, nodePort: 30053 },
        ],
      }),
      'default',
    );
    const ports = specOf(s).ports!;
    expect(ports[0].nodePort).toBe(ports[1].nodePort);
    expect(ports[2].nodePort).toBe(30053);
    expect(specOf(s).externalTrafficPolicy).toBe('Cluster');
    expect(pools.nodePorts.stats().used).toBe(2);
    const taken = errorOf(() =>
      store.create(services, svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30053 }] }), 'default'),
    );
    expect(taken.message).toBe('Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30053: provided port is already allocated');
    const outside = errorOf(() =>
      store.create(services, svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }), 'default'),
    );
    expect(outside.message).toContain('provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('refuses what the API server refuses', () => {
    const { store } = setup();
    const cases: Array<[ServiceSpec, string]> = [
      [{ ports: [{ port: 0 }] }, 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
      [{ ports: [{ port: 80, protocol: 'ICMP' as never }] }, 'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
      [{ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, 'spec.ports[1].name: Duplicate value: "a"'],
      [{ ports: [{ port: 80 }, { port: 81 }] }, 'spec.ports[0].name: Required value'],
      [{ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }, `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`],
      [{ type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] }, `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`],
      [{ ports: [{ port: 80, nodePort: 30001 }] }, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
      [{ type: 'Magic' as never, ports: [{ port: 80 }] }, 'spec.type: Unsupported value: "Magic"'],
      [{ clusterIP: '10.96.0.300', ports: [{ port: 80 }] }, 'spec.clusterIPs[0]: Invalid value: "10.96.0.300"'],
    ];
    for (const [spec, text] of cases) {
      const e = errorOf(() => store.create(services, svc('bad', spec), 'default'));
      expect(e.code).toBe('INVALID');
      expect(e.message).toContain(text);
    }
    const badName = errorOf(() => store.create(services, svc('1web', { ports: [{ port: 80 }] }), 'default'));
    expect(badName.message).toContain('Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label must consist');
    expect(store.list(services).items).toHaveLength(0);
  });

  it('makes a headless Service with clusterIP None, and ExternalName without a ClusterIP', () => {
    const { store, pools } = setup();
    const headless = store.create(services, svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }), 'default');
    expect(specOf(headless).clusterIPs).toEqual(['None']);
    const ext = store.create(services, svc('ext', { type: 'ExternalName', externalName: 'example.com' }), 'default');
    expect(specOf(ext).clusterIP).toBeUndefined();
    expect(pools.clusterIps.stats().used).toBe(0);
  });

  it('gives a LoadBalancer an ingress address, and leaves it pending when the pool is empty', () => {
    const { store } = setup();
    const a = store.create(services, svc('a', { type: 'LoadBalancer', ports: [{ port: 80 }] }), 'default');
    expect(a.status).toEqual({ loadBalancer: { ingress: [{ ip: '172.18.255.200', ipMode: 'VIP' }] } });
    expect(specOf(a).ports![0].nodePort).toBeGreaterThanOrEqual(30000);
    store.create(services, svc('b', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), 'default');
    const c = store.create(services, svc('c', { type: 'LoadBalancer', ports: [{ port: 80 }] }), 'default');
    expect(c.status).toEqual({ loadBalancer: {} }); // <pending>
    expect(specOf(store.get(services, 'default', 'b')).healthCheckNodePort).toBeGreaterThanOrEqual(30000);
  });

  it('keeps the ClusterIP and node ports on update, refuses changing the ClusterIP, releases on delete', () => {
    const { store, pools } = setup();
    const created = store.create(services, svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] }), 'default');
    const { clusterIP } = specOf(created);
    const nodePort = specOf(created).ports![0].nodePort;
    const updated = store.update(services, 'default', 'web', svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }));
    expect(specOf(updated).clusterIP).toBe(clusterIP);
    expect(specOf(updated).ports![0].nodePort).toBe(nodePort);
    const change = errorOf(() => store.patch(services, 'default', 'web', { spec: { clusterIP: '10.96.5.5', clusterIPs: ['10.96.5.5'] } }));
    expect(change.message).toContain('may not change once set');
    const back = store.patch(services, 'default', 'web', { spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] } });
    expect(specOf(back).ports![0].nodePort).toBeUndefined();
    expect(pools.nodePorts.stats().used).toBe(0);
    store.delete(services, 'default', 'web');
    expect(pools.clusterIps.stats().used).toBe(0);
  });

  it('drops the ClientIP timeout when affinity goes back to None, as the API server\'s defaulting does', () => {
    const { store } = setup();
    store.create(services, svc('web', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }), 'default');
    expect(specOf(store.get(services, 'default', 'web')).sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    const back = store.patch(services, 'default', 'web', { spec: { sessionAffinity: 'None' } });
    expect(specOf(back).sessionAffinity).toBe('None');
    expect(specOf(back)).not.toHaveProperty('sessionAffinityConfig');
    const created = store.create(services, svc('plain', { sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }), 'default');
    expect(specOf(created)).not.toHaveProperty('sessionAffinityConfig');
  });

  it('releases everything a failed batch allocated', () => {
    const { store, pools } = setup();
    expect(() =>
      store.transaction(() => {
        store.create(services, svc('a', { type: 'LoadBalancer', ports: [{ port: 80 }] }), 'default');
        store.create(services, svc('b', { ports: [{ port: 0 }] }), 'default');
      }),
    ).toThrow(DomainError);
    expect(pools.clusterIps.stats().used).toBe(0);
    expect(pools.nodePorts.stats().used).toBe(0);
    expect(pools.loadBalancerIps.stats().used).toBe(0);
  });
});
