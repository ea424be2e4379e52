/**
 * bench/statefulset: a StatefulSet of 1,000 replicas (OrderedReady: each pod
 * made once the one before is Running and Ready) rolled out on 50 nodes,
 * then rolled to a new image (RollingUpdate, highest ordinal first, one pod
 * at a time: each old pod terminates, about 1 s of simulated time for nginx,
 * before its replacement is made). Prints the wall time and the simulated
 * time of each phase, and the CPU time (the wall time of a loaded machine says little), and the
 * wall time the StatefulSet and EndpointSlice controllers took of it. Not a test: it asserts nothing.
 */
import { EndpointSliceController } from '../src/cluster/controllers/endpoint-slice.controller';
import { StatefulSetController } from '../src/cluster/controllers/statefulset.controller';
import { StatefulSetStatus } from '../src/cluster/resources/statefulset.types';
import { SimulationClock } from '../src/cluster/simulation-clock';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
import { benchCluster } from './support/bench-cluster';

// The wall time of the two controllers whose work grows with the set: the StatefulSet controller, and
// the EndpointSlice controller (the headless Service selects every pod; each change is a sync of it).
const spent = new Map<string, number>();
for (const [name, type] of [
  ['statefulset-controller', StatefulSetController],
  ['endpointslice-controller', EndpointSliceController],
] as const) {
  const reconcile = type.prototype.reconcile;
  type.prototype.reconcile = function (this: InstanceType<typeof type>, ...args: Parameters<typeof reconcile>) {
    const started = performance.now();
    try {
      return reconcile.apply(this, args);
    } finally {
      spent.set(name, (spent.get(name) ?? 0) + performance.now() - started);
    }
  };
}

const NODES = Number(process.env.NODES ?? 50);
const REPLICAS = Number(process.env.REPLICAS ?? 1000);

const t = (key: string) => resourceTypeByKey(key)!;
const clock = new SimulationClock(Date.UTC(2026, 0, 1));
const cluster = benchCluster({ clock });
const { store } = cluster;
const status = () => store.get(t('statefulsets.apps'), 'default', 'web').status as StatefulSetStatus;

function phase(name: string, work: () => void, done: () => boolean): void {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  spent.clear();
  const simulated = clock.now();
  work();
  // Simulated time moves one second at a time until the phase is done (terminations take time).
  let seconds = 0;
  while (!done() && seconds < 100_000) {
    cluster.advance(1);
    seconds++;
  }
  const ms = Number(process.hrtime.bigint() - wall) / 1e6;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(`statefulset: ${name}: wall ${ms.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms, simulated ${((clock.now() - simulated) / 1000).toFixed(0)} s${done() ? '' : ' (not finished)'}`);
  console.log(`statefulset:   of which ${[...spent].map(([controller, t]) => `${controller} ${t.toFixed(0)} ms`).join(', ')} (wall)`);
}

store.transaction(() => {
  for (let i = 0; i < NODES; i++) store.create(t('nodes'), { metadata: { name: `node-${String(i).padStart(3, '0')}` } });
  store.create(t('services'), { metadata: { name: 'nginx' }, spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'web', port: 80 }] } }, 'default');
});
const template = (image: string) => ({
  metadata: { labels: { app: 'nginx' } },
  spec: { containers: [{ name: 'nginx', image, ports: [{ name: 'web', containerPort: 80 }], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
});
phase(
  `${REPLICAS} replicas rolled out (OrderedReady)`,
  () => {
    store.create(
      t('statefulsets.apps'),
      { metadata: { name: 'web' }, spec: { replicas: REPLICAS, serviceName: 'nginx', selector: { matchLabels: { app: 'nginx' } }, template: template('nginx:1.27') } },
      'default',
    );
  },
  () => status().readyReplicas === REPLICAS,
);
phase(
  `${REPLICAS} replicas updated to a new image (RollingUpdate)`,
  () => {
    store.patch(t('statefulsets.apps'), 'default', 'web', { spec: { template: template('nginx:1.28') } });
  },
  () => status().updatedReplicas === REPLICAS && status().readyReplicas === REPLICAS && status().currentRevision === status().updateRevision,
);
