/**
 * bench/responsiveness: work that used to hold the event loop for seconds,
 * run as the server runs it (clock advances in slices, controllers settling
 * in slices), with the longest event-loop block measured by
 * perf_hooks.monitorEventLoopDelay (it includes garbage collection and, on a
 * loaded machine, time the process was not scheduled), and each controller's
 * longest single reconcile. Target: no block over 250 ms.
 *   - a 30-day clock advance on the demo cluster, and on 100 nodes running
 *     100 Deployments of 10 pods with their Services;
 *   - a Deployment scaled from 1 to 20,000 replicas on 200 nodes, and back to 1,
 *     then the 19,999 terminating pods removed (one clock advance).
 * Each phase also prints the share of a CPU it got (below 100 %: the machine
 * is loaded) and each block's CPU time of our own. Run a CPU burner alongside
 * (e.g. `node -e 'for(;;);' &`) for figures under load.
 * Not a test: it asserts nothing. `RESPONSIVENESS_PARTS` picks parts (a comma
 * list of advance, scale; both by default).
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { Cluster } from '../src/cluster/cluster';
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const DAYS = 30;
const REPLICAS = Number(process.env.REPLICAS ?? 20_000);

/**
 * The event loop's gaps, seen by a 5 ms interval: each gap longer than the
 * limit is a block, noted with the CPU time this process used in it (on a
 * loaded machine a gap can be mostly waiting for a CPU).
 */
class BlockWatch {
  private last = performance.now();
  private lastCpu = process.cpuUsage();
  readonly blocks: Array<{ ms: number; cpuMs: number }> = [];
  private longestCpu = 0;
  private readonly handle = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const gap = now - this.last - 5;
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    if (gap > 250) this.blocks.push({ ms: gap, cpuMs });
    this.longestCpu = Math.max(this.longestCpu, cpuMs);
    this.last = now;
    this.lastCpu = cpu;
  }, 5);

  /** The longest garbage collection pause (it blocks the loop as any work does). */
  private longestGc = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.longestGc = Math.max(this.longestGc, entry.duration);
  });

  constructor() {
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): string {
    clearInterval(this.handle);
    this.gc.disconnect();
    const worst = [...this.blocks].sort((a, b) => b.ms - a.ms)[0];
    return (
      `${this.blocks.length} blocks over 250 ms${worst ? ` (worst ${worst.ms.toFixed(0)} ms, ${worst.cpuMs.toFixed(0)} ms of it our CPU)` : ''}; ` +
      `most CPU between two turns ${this.longestCpu.toFixed(0)} ms; longest GC pause ${this.longestGc.toFixed(0)} ms`
    );
  }
}

/** Runs `work`, printing its wall time and the longest event-loop block meanwhile. */
async function measure(name: string, work: () => Promise<unknown>): Promise<void> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  longestReconciles();
  histogram.enable();
  const blocks = new BlockWatch();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  histogram.disable();
  const used = process.cpuUsage(cpu);
  const share = ((used.user + used.system) / 1000 / ms) * 100;
  console.log(`responsiveness: ${name}: ${ms.toFixed(0)} ms (${share.toFixed(0)} % of a CPU); longest event-loop block ${(histogram.max / 1e6).toFixed(0)} ms; ${blocks.stop()}`);
  // Only sliced settling is timed: work a clock advance's timers start settles at once, inside the timer.
  const reconciles = longestReconciles();
  if (reconciles) console.log(`responsiveness:   longest reconcile (ms): ${reconciles}`);
}

/** The longest single reconcile of each controller since the last `longestReconciles()`. */
const longest = new Map<string, number>();
function longestReconciles(): string {
  const text = [...longest].filter(([, ms]) => ms >= 1).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ');
  longest.clear();
  return text;
}

function sliced(cluster: Cluster): Cluster {
  cluster.controllers.settleInSlices({
    sliceMs: 50,
    mustFinish: () => cluster.clock.runningAtOnce,
    timed: (name, ms) => longest.set(name, Math.max(ms, longest.get(name) ?? 0)),
  });
  return cluster;
}

function hundredNodes(deployments: number, replicas: number, nodeCount = 100): Cluster {
  const cluster = newCluster({ clusterCidr: '10.0.0.0/8' });
  cluster.store.transaction(() => {
    for (let i = 0; i < nodeCount; i++) cluster.store.create(t('nodes'), { metadata: { name: `node-${String(i).padStart(3, '0')}` } });
    for (let i = 0; i < deployments; i++) {
      const app = `app-${i}`;
      cluster.store.create(t('services'), { metadata: { name: app }, spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] } }, 'default');
      cluster.store.create(
        t('deployments.apps'),
        {
          metadata: { name: app },
          spec: { replicas, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
        },
        'default',
      );
    }
  });
  return sliced(cluster);
}

const PARTS = new Set((process.env.RESPONSIVENESS_PARTS ?? 'advance,scale').split(','));

async function main(): Promise<void> {
  if (PARTS.has('advance')) await advances();
  if (PARTS.has('scale')) await scaling();
}

async function advances(): Promise<void> {
  const demo = newCluster();
  loadClusterFile(demo, 'fixtures/clusters/demo.yaml');
  sliced(demo);
  await measure(`${DAYS}-day advance, demo cluster`, () => demo.advanceSliced(DAYS * 86_400));

  const big = hundredNodes(100, 10);
  await big.controllers.idle();
  const pods = big.store.count(t('pods'));
  await measure(`${DAYS}-day advance, 100 nodes, ${pods} pods`, () => big.advanceSliced(DAYS * 86_400));
  big.kubelets.stop('node-000');
  await measure(`${DAYS}-day advance, 100 nodes, one kubelet stopped (NotReady, evictions)`, () => big.advanceSliced(DAYS * 86_400));
}

async function scaling(): Promise<void> {
  const scale = hundredNodes(1, 1, 200);
  await scale.controllers.idle();
  await measure(`Deployment scaled 1 -> ${REPLICAS} replicas on 200 nodes, until settled`, async () => {
    scale.store.patch(t('deployments.apps'), 'default', 'app-0', { spec: { replicas: REPLICAS } });
    await scale.controllers.idle();
  });
  const running = scale.store.list(t('pods')).items.filter((p) => (p.status as { phase?: string }).phase === 'Running').length;
  console.log(`responsiveness: ${running} pods Running`);
  await measure(`Deployment scaled ${REPLICAS} -> 1, until settled (pods Terminating)`, async () => {
    scale.store.patch(t('deployments.apps'), 'default', 'app-0', { spec: { replicas: 1 } });
    await scale.controllers.idle();
  });
  await measure(`${REPLICAS - 1} terminating pods removed (a 5 s clock advance)`, () => scale.advanceSliced(5));
  console.log(`responsiveness: ${scale.store.count(t('pods'))} pods left`);
}

void main();
