/**
 * bench/etcd-store: the etcd backend against the memory store, on a real
 * etcd (Debian's etcd-server, started here on free ports with its own data
 * dir, as the specs start it). Not a test: it asserts nothing.
 *
 * 1. Service create latency (each create awaited until durable, as the API
 *    answers) and throughput (creates pipelined, then awaited), memory vs etcd.
 * 2. Listing 100k pods from etcd (the start-up read, page by page).
 * 3. Start-up on a store of 10k Services and 100k pods: read back, restore,
 *    repair the allocators, the controllers' first settle.
 *
 * Sizes: ETCD_BENCH_SERVICES (10,000) and ETCD_BENCH_PODS (100,000);
 * ETCD_BENCH_SETTLE=1 also times the controllers' first settle after the
 * restore (100 kube-proxies' full syncs: long at the default sizes).
 */
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../src/cluster/cluster';
import { EtcdBackend } from '../src/cluster/store/etcd/etcd-backend';
import { resourceKey, resourceTypeByKey } from '../src/cluster/store/resource-types';
import { StoredEvent } from '../src/cluster/store/types';
import { etcdUnavailable, startEtcd } from '../test/support/etcd';
import { benchCluster } from './support/bench-cluster';
import { percentile } from './support/timing';

const SERVICES = Number(process.env.ETCD_BENCH_SERVICES ?? 10_000);
const PODS = Number(process.env.ETCD_BENCH_PODS ?? 100_000);
const NODES = 100;
const LATENCY_CREATES = 500;
const THROUGHPUT_CREATES = 2000;

const t = (key: string) => resourceTypeByKey(key)!;
const line = (what: string, figure: string) => process.stdout.write(`etcd-store: ${what}: ${figure}\n`);

const service = (i: number) => ({ metadata: { name: `svc-${i}` }, spec: { type: i % 4 === 0 ? 'NodePort' : 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }] } });

async function createLatency(name: string, cluster: Cluster): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < LATENCY_CREATES; i++) {
    const start = performance.now();
    cluster.store.create(t('services'), service(i), 'default');
    await cluster.store.durable();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  line(`${name}: Service create latency (${LATENCY_CREATES}, each durable before the next)`, `p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`);
  const start = performance.now();
  for (let i = 0; i < THROUGHPUT_CREATES; i++) {
    cluster.store.create(t('services'), service(LATENCY_CREATES + i), 'default');
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await cluster.store.durable();
  const seconds = (performance.now() - start) / 1000;
  line(`${name}: Service create throughput (${THROUGHPUT_CREATES} pipelined, then durable)`, `${Math.round(THROUGHPUT_CREATES / seconds)} Services/s`);
}

async function main(): Promise<void> {
  const why = etcdUnavailable();
  if (why) {
    line('SKIPPED', why);
    return;
  }
  const etcd = await startEtcd();
  try {
    await createLatency('memory', benchCluster({ nodeCidrMaskSize: 20 }));
    const first = EtcdBackend.connect({ endpoints: [etcd.endpoint], prefix: '/bench-create' });
    await createLatency('etcd', benchCluster({ nodeCidrMaskSize: 20, backend: first, restored: await first.load() }));
    await first.close();

    // A large cluster, built in memory with every controller, then written to etcd in transactions of 128 keys.
    let start = performance.now();
    const big = benchCluster({ nodeCidrMaskSize: 20 });
    for (let i = 0; i < NODES; i++) big.store.create(t('nodes'), { metadata: { name: `node-${i}` }, status: { capacity: { pods: '1100' } } });
    for (let i = 0; i < SERVICES; i++) {
      big.store.create(t('services'), { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] } }, 'default');
    }
    const perService = Math.max(1, Math.floor(PODS / SERVICES));
    for (let i = 0; i < PODS; i++) {
      big.store.create(
        t('pods'),
        { metadata: { name: `pod-${i}`, labels: { app: `app-${Math.floor(i / perService)}` } }, spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', image: 'nginx' }] } },
        'default',
      );
    }
    line(`build ${SERVICES} Services and ${PODS} pods in memory`, `${Math.round(performance.now() - start)} ms`);
    const writer = EtcdBackend.connect({ endpoints: [etcd.endpoint], prefix: '/registry' });
    const events: StoredEvent[] = [];
    for (const key of ['namespaces', 'nodes', 'services', 'pods', 'endpointslices.discovery.k8s.io', 'endpoints', 'serviceaccounts', 'priorityclasses.scheduling.k8s.io']) {
      for (const object of big.store.list(t(key)).items) events.push({ type: 'ADDED', object, resource: resourceKey(t(key)), resourceVersion: 0 });
    }
    start = performance.now();
    const transactions = writer.commit(events);
    await writer.durable();
    await writer.close();
    line(`write ${events.length} objects to etcd (${transactions} transactions)`, `${Math.round(performance.now() - start)} ms`);

    const reader = EtcdBackend.connect({ endpoints: [etcd.endpoint], prefix: '/registry' });
    start = performance.now();
    let pods = 0;
    let key = Buffer.from('/registry/pods/');
    const end = Buffer.from('/registry/pods0');
    for (;;) {
      const page = await reader.client.kv.range({ key, range_end: end, limit: 1000 });
      pods += page.kvs.length;
      if (!page.more) break;
      key = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
    }
    line(`list ${pods} pods from etcd (pages of 1,000, values parsed not)`, `${Math.round(performance.now() - start)} ms`);

    start = performance.now();
    const state = await reader.load();
    const loaded = performance.now() - start;
    start = performance.now();
    const restarted = benchCluster({ nodeCidrMaskSize: 20, backend: reader, restored: state });
    const restoredMs = performance.now() - start;
    const repaired = restarted.repaired!;
    line(`start-up: read ${state.entries.length} objects back from etcd`, `${Math.round(loaded)} ms`);
    line(
      `start-up: restore and repair (${repaired.clusterIPs} ClusterIPs, ${repaired.nodePorts} NodePorts, ${repaired.podCIDRs} pod CIDRs, ${repaired.podIPs} pod IPs)`,
      `${Math.round(restoredMs)} ms`,
    );
    line(`start-up: read back, restore and repair`, `${Math.round(loaded + restoredMs)} ms`);
    // A list as the API serves it on etcd: from the store in front of etcd (kube-apiserver's watch cache), not from etcd.
    start = performance.now();
    const listed = restarted.store.list(t('pods')).items.length;
    line(`list ${listed} pods as the API does (from the store in front of etcd)`, `${Math.round(performance.now() - start)} ms`);
    if (process.env.ETCD_BENCH_SETTLE !== '1') {
      line("start-up: the controllers' first settle", 'not run (ETCD_BENCH_SETTLE=1 runs it: over 20 minutes at 10k Services and 100k pods)');
      await reader.close();
      return;
    }
    start = performance.now();
    restarted.store.commit();
    line(`start-up: the controllers' first settle, all at once (${NODES} kube-proxies' full syncs)`, `${Math.round(performance.now() - start)} ms`);
    line('start-up: rss', `${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
    await reader.close();
  } finally {
    await etcd.stop();
  }
}

void main();
