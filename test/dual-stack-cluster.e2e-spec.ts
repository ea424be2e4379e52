import request from 'supertest';
import { printIptablesSave } from '../src/netfilter/iptables-save.printer';
import { parseRuleset } from '../src/netfilter/iptables-text.parser';
import type { TestApp } from './support/test-app';
import { DUAL_STACK, createDualStackWeb, startWorkerCluster } from './support/worker-cluster';

/**
 * A dual-stack cluster below the API: node pod CIDRs per family, pods with one
 * address per family, EndpointSlices per family, and kube-proxy's IPv6 proxier.
 */
const DUAL = DUAL_STACK;

describe('dual-stack nodes, pods, EndpointSlices and kube-proxy (e2e)', () => {
  let t: TestApp;
  afterEach(() => t?.close());
  const post = (path: string, body: unknown) => request(t.http).post(path).send(body as object);

  async function cluster(env: Record<string, string>) {
    t = await startWorkerCluster(env);
  }

  it('gives nodes a pod CIDR per family and pods an address per family, primary first', async () => {
    await cluster(DUAL);
    const node = (await request(t.http).get('/api/v1/nodes/worker').expect(200)).body;
    expect(node.spec).toMatchObject({ podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'] });
    const pod = (await request(t.http).get('/api/v1/namespaces/default/pods/web-a').expect(200)).body;
    expect(pod.status.podIP).toBe('10.244.0.2');
    expect(pod.status.podIPs).toEqual([{ ip: '10.244.0.2' }, { ip: 'fd00:10:244::2' }]);
  });

  it('writes one set of EndpointSlices per family of the Service, and Endpoints of the primary family', async () => {
    await cluster(DUAL);
    await post('/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ipFamilyPolicy: 'PreferDualStack', ports: [{ port: 80, targetPort: 8080 }] },
    }).expect(201);
    const slices = (await request(t.http).get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web').expect(200)).body.items;
    const byType = Object.fromEntries(slices.map((s: { addressType: string; endpoints: Array<{ addresses: string[] }> }) => [s.addressType, s.endpoints.map((e) => e.addresses[0]).sort()]));
    expect(byType).toEqual({ IPv4: ['10.244.0.2', '10.244.0.3'], IPv6: ['fd00:10:244::2', 'fd00:10:244::3'] });
    const endpoints = (await request(t.http).get('/api/v1/namespaces/default/endpoints/web').expect(200)).body;
    expect(endpoints.subsets[0].addresses.map((a: { ip: string }) => a.ip).sort()).toEqual(['10.244.0.2', '10.244.0.3']);

    // A SingleStack IPv6 Service has IPv6 slices alone.
    await post('/api/v1/namespaces/default/services', {
      metadata: { name: 'web6' },
      spec: { selector: { app: 'web' }, ipFamilies: ['IPv6'], ports: [{ port: 80, targetPort: 8080 }] },
    }).expect(201);
    const six = (await request(t.http).get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web6').expect(200)).body.items;
    expect(six.map((s: { addressType: string }) => s.addressType)).toEqual(['IPv6']);
  });

  it('runs an IPv6 proxier beside the IPv4 one: GET .../iptables?family=ipv6 prints its rules', async () => {
    await cluster(DUAL);
    const [v4, v6] = await createDualStackWeb(t);
    const six = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6&table=nat').expect(200)).text;
    // ip6tables-save's canonical option order: addresses with their prefix, -p before the matches.
    expect(six).toContain(`-A KUBE-SERVICES -d ${v6}/128 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-`);
    expect(six).toContain('-p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination [fd00:10:244::2]:8080');
    expect(six).toContain(`! -s fd00:10:244::/56 -d ${v6}/128 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    expect(six).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(six).toContain('-A KUBE-SERVICES ! -d ::1/128 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
    expect(six).not.toContain('10.244.0.');
    // The text is an ip6tables ruleset: read back as one, it prints the same.
    const all6 = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6').expect(200)).text;
    expect(printIptablesSave(parseRuleset(all6, { family: 'ipv6' }))).toBe(all6);
    const filter6 = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6&table=filter').expect(200)).text;
    expect(filter6).not.toContain('block incoming localnet connections'); // no localnet rule for IPv6
    // The kubelet writes no KUBE-FIREWALL for IPv6; kube-proxy's jump rules make the chain, which stays empty.
    expect(filter6).toContain('-A INPUT -j KUBE-FIREWALL\n');
    expect(filter6).not.toContain('-A KUBE-FIREWALL');
    expect(filter6).toContain(':KUBE-KUBELET-CANARY - [0:0]');
    const counted = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6&table=nat&counters=true').expect(200)).text;
    expect(counted).toContain('[0:0] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    const four = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?table=nat').expect(200)).text;
    expect(four).toContain(`-d ${v4}/32`);
    expect(four).not.toContain(v6);
    const restore = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6&format=restore').expect(200)).text;
    expect(restore).toContain('*nat');
  });

  it('answers a family it does not know with a 400 naming the parameter, and ipv6 on an IPv4 cluster too', async () => {
    await cluster({});
    const bad = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=inet6').expect(400)).body;
    expect(bad).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'BadRequest',
      message: 'family: Unsupported value: "inet6": supported values: "ipv4", "ipv6"',
      details: { causes: [{ field: 'family', reason: 'FieldValueNotSupported' }] },
    });
    const none = (await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv6').expect(400)).body;
    expect(none.details.causes[0].field).toBe('family');
    await request(t.http).get('/netsim/v1/nodes/worker/iptables?family=ipv4').expect(200);
  });

  it('on an IPv6-only cluster gives pods IPv6 addresses alone and IPv6 slices', async () => {
    await cluster({ SERVICE_CLUSTER_IP_RANGE: 'fd00:10:96::/112', CLUSTER_CIDR: 'fd00:10:244::/56' });
    const node = (await request(t.http).get('/api/v1/nodes/worker').expect(200)).body;
    expect(node.spec.podCIDRs).toEqual(['fd00:10:244::/64']);
    const pod = (await request(t.http).get('/api/v1/namespaces/default/pods/web-b').expect(200)).body;
    expect(pod.status.podIPs).toEqual([{ ip: 'fd00:10:244::3' }]);
    await post('/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }).expect(201);
    const slices = (await request(t.http).get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web').expect(200)).body.items;
    expect(slices.map((s: { addressType: string }) => s.addressType)).toEqual(['IPv6']);
  });
});
