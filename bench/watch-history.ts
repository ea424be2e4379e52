/**
 * bench/watch-history: 16,000 merge patches, each giving one Service a
 * different annotation of about 250 KB (under the 256 KiB limit), as issue
 * #18 sent them. Without a byte bound on the watch history this ran out of
 * heap; now the heap must stay flat once the history is full. Prints the heap
 * every 2,000 patches. Not a test: it asserts nothing.
 */
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const PATCHES = Number(process.env.PATCHES ?? 16_000);
const ANNOTATION_BYTES = 250 * 1024;
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);

const cluster = newCluster();
const { store } = cluster;
const services = resourceTypeByKey('services')!;
store.create(services, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');

const start = process.hrtime.bigint();
let peak = 0;
for (let i = 1; i <= PATCHES; i++) {
  // A fresh string each time, as a request body parsed anew would give.
  const blob = Buffer.alloc(ANNOTATION_BYTES - 8, 97 + (i % 26)).toString('latin1') + i.toString(36).padStart(8, '0');
  store.patch(services, 'default', 'web', { metadata: { annotations: { blob } } });
  if (i % 2000 === 0) {
    global.gc?.();
    const heap = process.memoryUsage().heapUsed;
    peak = Math.max(peak, heap);
    console.log(`watch-history: after ${i} patches: heap used ${mib(heap)} MiB, rss ${mib(process.memoryUsage().rss)} MiB`);
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`watch-history: ${PATCHES} patches of ${ANNOTATION_BYTES / 1024} KiB in ${seconds.toFixed(1)} s; peak heap used after GC ${mib(peak)} MiB`);
