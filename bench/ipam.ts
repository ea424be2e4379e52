/**
 * Address-management benchmark. Run with
 *   node --expose-gc -r ./bench/register.js bench/ipam.ts
 * (or `node bench/run-all.js ipam`). Targets: every address of a /12
 * allocated dynamically, one by one, in well under 1 s; the bitmap under 1 MiB.
 */
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../src/common/random';
import { AllocationBitmap } from '../src/ipam/allocation-bitmap';
import { ClusterIpAllocator } from '../src/ipam/cluster-ip.allocator';
import { HostLocalIpam } from '../src/ipam/host-local.ipam';
import { NodePortAllocator } from '../src/ipam/node-port.allocator';
import { PodCidrAllocator } from '../src/ipam/pod-cidr.allocator';

const gc = (globalThis as { gc?: () => void }).gc;

/** JS heap plus ArrayBuffer memory (where the typed-array bitmaps live). */
function heapUsed(): number {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function line(what: string, figure: string): void {
  process.stdout.write(`ipam: ${what}: ${figure}\n`);
}

function timed<T>(what: string, run: () => T): T {
  const start = performance.now();
  const result = run();
  line(what, `${Math.round(performance.now() - start)} ms`);
  return result;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(3)} MiB`;
}

const CIDR = '10.96.0.0/12';
const heapBefore = heapUsed();
const clusterIps = ClusterIpAllocator.create(CIDR, new SeededRandom(42));
const total = clusterIps.stats().size;

// Hold the addresses as strings, as a cluster store would, so the release
// phase exercises parsing as well.
const ips: string[] = new Array<string>(total);
timed(`allocate ${total} ClusterIPs`, () => {
  for (let i = 0; i < total; i++) ips[i] = clusterIps.allocateNext();
});
let full = false;
try {
  clusterIps.allocateNext();
} catch {
  full = true;
}
if (!full || clusterIps.stats().used !== total) throw new Error('the /12 should be exactly full');
line('bitmap bytes for a /12', `${clusterIps.bitmapBytes()} (${mib(clusterIps.bitmapBytes())})`);
line('heap delta with every /12 address allocated (strings held by the bench)', mib(heapUsed() - heapBefore));

// Dominated by parsing each address string (common/ipv4 tryParseIPv4).
timed(`release ${total} ClusterIPs by address string`, () => {
  for (let i = 0; i < total; i++) clusterIps.release(ips[i]);
});
if (clusterIps.stats().used !== 0) throw new Error('the /12 should be empty again');
ips.length = 0;
line('heap delta after releasing them all', mib(heapUsed() - heapBefore));

const raw = new AllocationBitmap(total, new SeededRandom(42), 256);
timed(`allocate ${total} offsets on the bare bitmap (no address formatting)`, () => {
  for (let i = 0; i < total; i++) raw.allocateNext();
});

const nodePorts = NodePortAllocator.create('30000-32767', new SeededRandom(7));
const portCount = nodePorts.stats().size;
timed(`allocate ${portCount} NodePorts`, () => {
  for (let i = 0; i < portCount; i++) nodePorts.allocateNext();
});

const podCidrs = PodCidrAllocator.create('10.0.0.0/8', 24);
timed(`allocate ${podCidrs.size} node /24s of 10.0.0.0/8`, () => {
  for (let i = 0; i < podCidrs.size; i++) podCidrs.allocateNext();
});

const node = HostLocalIpam.create('10.244.1.0/24');
timed('253 pods on a /24, 10,000 times over (allocate then release each)', () => {
  for (let round = 0; round < 10_000; round++) {
    for (let i = 0; i < 253; i++) node.allocate(`pod-${i}`);
    for (let i = 0; i < 253; i++) node.release(`pod-${i}`);
  }
});
