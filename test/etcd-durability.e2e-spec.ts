/**
 * State that lasts, seen as a user sees it: kube-netsim (the real entry
 * point, its own process) on a real etcd. Services and pods are made through
 * the API, kube-netsim is killed with SIGKILL and started again on the same
 * etcd: every acknowledged object is back with the same uid, IPs, ports and
 * resourceVersion, the allocators were repaired (new Services and pods get
 * addresses and ports no one holds), and etcd shows kube-apiserver's layout.
 *
 * Sizes: NSIM_ETCD_SERVICES and NSIM_ETCD_PODS, 200 and 600 by default (about
 * a minute); the 1,000 and 3,000 take from 72 s to about five minutes
 * as the machine is loaded, every controller write being one etcd transaction (docs/etcd.md).
 */
import { describeWithEtcd, EtcdServer, startEtcd } from './support/etcd';
import { addressesOf, ApiObject as Obj, call, createAll, killMain, list, podsWithIPs } from './support/main-api';
import { MainProcess, startMain } from './support/main-process';

const SERVICES = Number(process.env.NSIM_ETCD_SERVICES ?? 200);
const PODS = Number(process.env.NSIM_ETCD_PODS ?? 600);
const PODS_PER_NODE = 100;
const NODES = Math.ceil(PODS / PODS_PER_NODE) + 1;

/** Service i selects the pods labelled `app: a<i>`: about PODS / SERVICES of them. */
function service(i: number) {
  const nodePort = i % 4 === 0;
  return { metadata: { name: `svc-${i}` }, spec: { type: nodePort ? 'NodePort' : 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }], selector: { app: `a${i}` } } };
}

function pod(i: number, node: number) {
  return { metadata: { name: `pod-${i}`, labels: { app: `a${i % SERVICES}` } }, spec: { nodeName: `node-${node}`, containers: [{ name: 'c', image: 'nginx' }] } };
}

describeWithEtcd('etcd durability e2e')('kube-netsim on etcd: a restart loses nothing (e2e)', () => {
  let etcd: EtcdServer;
  let main: MainProcess | undefined;
  // Ranges about twice the size of what is held, so that allocators that forgot what is taken would hand it out again.
  const ipBits = Math.ceil(Math.log2(SERVICES * 2 + 100));
  const nodePorts = Math.ceil(SERVICES / 4) * 2 + 100;
  const env = () => ({
    STORE: 'etcd',
    ETCD_ENDPOINTS: etcd.endpoint,
    CLUSTER_FILE: 'none',
    DATA_DIR: 'none',
    CLOCK: 'manual',
    SERVICE_CLUSTER_IP_RANGE: `10.96.0.0/${32 - ipBits}`,
    SERVICE_NODE_PORT_RANGE: `30000-${30000 + nodePorts - 1}`,
  });

  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    main?.stop();
    await etcd?.stop();
  });

  it(
    `keeps ${SERVICES} Services and ${PODS} pods across kill -9, with the same IPs and ports, and the next allocations do not collide`,
    async () => {
      main = await startMain(env());
      await createAll(NODES, 8, (i) => call(main!, 'POST', '/api/v1/nodes', { metadata: { name: `node-${i}` } }));
      await createAll(SERVICES, 16, (i) => call(main!, 'POST', '/api/v1/namespaces/default/services', service(i)));
      await createAll(PODS, 16, (i) => call(main!, 'POST', '/api/v1/namespaces/default/pods', pod(i, i % (NODES - 1))));
      const services = await list(main, '/api/v1/namespaces/default/services');
      const pods = await podsWithIPs(main, PODS);
      const nodes = await list(main, '/api/v1/nodes');

      // What etcd shows is kube-apiserver's layout.
      const keys = etcd.etcdctl('get', '/registry', '--prefix', '--keys-only').split('\n').filter(Boolean);
      expect(keys).toEqual(expect.arrayContaining(['/registry/namespaces/default', '/registry/services/specs/default/kubernetes', '/registry/services/specs/default/svc-0', '/registry/minions/node-0', '/registry/pods/default/pod-0']));
      expect(keys.some((k) => k.startsWith('/registry/endpointslices/default/svc-1-'))).toBe(true);
      expect(keys.filter((k) => !/^\/registry\/[a-z]+(\/specs|\/endpoints)?\//.test(k))).toEqual([]);

      await killMain(main);
      main = await startMain(env());
      expect(main.line).toMatch(/with \d+ objects from etcd/);

      const servicesAfter = await list(main, '/api/v1/namespaces/default/services');
      const podsAfter = await list(main, '/api/v1/namespaces/default/pods');
      const key = (o: Obj) => `${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion}`;
      expect(servicesAfter.map(key)).toEqual(services.map(key));
      expect(servicesAfter.map((s) => s.spec)).toEqual(services.map((s) => s.spec));
      expect(podsAfter.map((p) => `${p.metadata.name} ${p.metadata.uid} ${p.status.podIP}`)).toEqual(pods.map((p) => `${p.metadata.name} ${p.metadata.uid} ${p.status.podIP}`));
      expect((await list(main, '/api/v1/nodes')).map((n) => n.spec.podCIDR)).toEqual(nodes.map((n) => n.spec.podCIDR));

      // The repaired allocators hand out only what no one holds.
      const before = addressesOf(services);
      await createAll(50, 8, (i) => call(main!, 'POST', '/api/v1/namespaces/default/services', { ...service(SERVICES + i), spec: { type: 'NodePort', ports: [{ port: 80 }] } }));
      await createAll(50, 8, (i) => call(main!, 'POST', '/api/v1/namespaces/default/pods', pod(PODS + i, i % 2)));
      const fresh = (await list(main, '/api/v1/namespaces/default/services')).filter((s) => Number(s.metadata.name.slice(4)) >= SERVICES);
      const after = addressesOf(fresh);
      expect(after.ips).toHaveLength(50);
      expect(after.ips.filter((ip) => before.ips.includes(ip))).toEqual([]);
      expect(after.ports.filter((p) => before.ports.includes(p))).toEqual([]);
      const allPods = await podsWithIPs(main, PODS + 50);
      const ips = allPods.map((p) => p.status.podIP);
      expect(new Set(ips).size).toBe(ips.length);

      // A write of the process after the restart is durable too: the resourceVersion is etcd's revision.
      const svc = servicesAfter[0];
      const stored = JSON.parse(etcd.etcdctl('get', `/registry/services/specs/default/${svc.metadata.name}`, '-w', 'json')) as { kvs: Array<{ mod_revision: number }> };
      expect(String(stored.kvs[0].mod_revision)).toBe(svc.metadata.resourceVersion);
    },
    900_000,
  );
});
