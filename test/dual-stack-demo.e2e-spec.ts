import request from 'supertest';
import { readConfig } from '../src/config/app-config';
import { startTestApp, TestApp } from './support/test-app';

/** The dual-stack and IPv6-only demo clusters, chosen by IP_FAMILY as kind's `networking.ipFamily`. */
jest.setTimeout(30000);

describe('IP_FAMILY demos (e2e)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('chooses kind\'s subnets and the demo cluster of each family; each variable still overrides', () => {
    expect(readConfig({ IP_FAMILY: 'dual' })).toMatchObject({
      serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112',
      clusterCidr: '10.244.0.0/16,fd00:10:244::/56',
      clusterFile: 'fixtures/clusters/dual-stack.yaml',
    });
    expect(readConfig({ IP_FAMILY: 'ipv6', CLUSTER_FILE: 'none' })).toMatchObject({ serviceClusterIpRange: 'fd00:10:96::/112', clusterFile: 'none' });
    expect(readConfig({})).toMatchObject({ serviceClusterIpRange: '10.96.0.0/12', clusterFile: 'fixtures/clusters/demo.yaml' });
    expect(() => readConfig({ IP_FAMILY: 'inet6' })).toThrow('IP_FAMILY="inet6": must be one of ipv4, dual, ipv6');
  });

  it('starts the dual-stack demo: a Service of each policy, pods with both addresses', async () => {
    t = await startTestApp({ IP_FAMILY: 'dual', CLUSTER_FILE: 'fixtures/clusters/dual-stack.yaml' });
    const services = (await request(t.http).get('/api/v1/namespaces/default/services').expect(200)).body.items;
    const families = Object.fromEntries(services.map((s: { metadata: { name: string }; spec: { ipFamilies: string[] } }) => [s.metadata.name, s.spec.ipFamilies]));
    expect(families).toEqual({
      kubernetes: ['IPv4'],
      web: ['IPv4', 'IPv6'],
      'web-v4': ['IPv4'],
      'web-v6': ['IPv6'],
      'web-dual': ['IPv4', 'IPv6'],
      'web-headless': ['IPv4', 'IPv6'],
    });
    const pods = (await request(t.http).get('/api/v1/namespaces/default/pods').expect(200)).body.items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) expect(pod.status.podIPs.map((p: { ip: string }) => p.ip.includes(':'))).toEqual([false, true]);
    const six = (await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables?family=ipv6&table=nat').expect(200)).text;
    expect(six).toContain('-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web-dual:http" -m tcp --dport 30090 -j KUBE-EXT-');
    expect(six).toMatch(/-j DNAT --to-destination \[fd00:10:244:[12]::2\]:8080/);
    // IPv4 traffic crosses the IPv4 side as on a single-stack cluster.
    const traffic = await request(t.http).post('/netsim/v1/traffic').send({ from: `pod/default/${pods[0].metadata.name}`, to: 'service/default/web:80' }).expect(200);
    expect(traffic.body.outcomes.length).toBe(3);
  });

  it('starts the IPv6-only demo', async () => {
    t = await startTestApp({ IP_FAMILY: 'ipv6', CLUSTER_FILE: 'fixtures/clusters/ipv6.yaml' });
    const web = (await request(t.http).get('/api/v1/namespaces/default/services/web').expect(200)).body.spec;
    expect(web.ipFamilies).toEqual(['IPv6']);
    expect(web.clusterIP).toMatch(/^fd00:10:96::/);
    const pods = (await request(t.http).get('/api/v1/namespaces/default/pods').expect(200)).body.items;
    for (const pod of pods) expect(pod.status.podIPs).toEqual([{ ip: expect.stringMatching(/^fd00:10:244:/) }]);
    // Traffic crosses the IPv6 side (test/dual-stack-traffic.e2e-spec.ts has the details).
    const traffic = await request(t.http).post('/netsim/v1/traffic').send({ from: `pod/default/${pods[0].metadata.name}`, to: 'service/default/web:80' }).expect(200);
    expect(traffic.body.outcomes.map((o: { result: string }) => o.result)).toEqual(['delivered', 'delivered', 'delivered']);
    expect((await request(t.http).get('/netsim/v1/diagnose?service=default/web')).status).toBeLessThan(500);
    expect((await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables')).status).toBe(200);
  });
});
