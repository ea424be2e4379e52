/**
 * kube-proxy benchmark. Run with
 *   node --expose-gc -r ./bench/register.js bench/kube-proxy.ts [services]
 * (or `node bench/run-all.js kube-proxy`).
 *
 * One node, N Services (default 10,000) of 10 endpoints each, every tenth a
 * NodePort Service on UDP/53, as in shared/reference/performance-anchors.md.
 * Reports the full sync (the first one, on fresh proxiers), the restore
 * text's size (checked against the anchor's 434,023 lines for N = 10,000), a
 * partial sync after one endpoint change, a partial sync with no change, and
 * memory. Targets: full sync under 1 s, partial sync under 10 ms.
 *
 * Machines are noisy: the full sync is measured on three fresh proxiers in one
 * process, and wall and CPU time are both printed.
 */
import { ManualClock } from '../src/common/clock';
import { Proxier } from '../src/kube-proxy/proxier';
import { ENDPOINTS, service, slice } from './support/kube-proxy-workload';
import { median, ms, timed } from './support/timing';

const gc = (globalThis as { gc?: () => void }).gc;
const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = 3;

function heapUsed(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function line(what: string, figure: string): void {
  process.stdout.write(`kube-proxy: ${what}: ${figure}\n`);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function newProxier(clock: ManualClock): Proxier {
  return new Proxier({
    node: { name: 'node-0', addresses: ['192.168.0.10'] },
    clock,
    config: { clusterCIDR: '10.64.0.0/10' },
    // As the anchor's node: iptables 1.8.9 (--random-fully), no nfacct counters.
    emulation: { nfacctInvalidDropped: false, nfacctLocalhostNodePorts: false },
  });
}

const services = Array.from({ length: N }, (_, i) => service(i));
const slices = Array.from({ length: N }, (_, i) => slice(i));

let proxier!: Proxier;
let clock!: ManualClock;
const fullWall: number[] = [];
const fullCpu: number[] = [];
const ingestWall: number[] = [];
let full!: ReturnType<Proxier['sync']>;
let retained = 0;
for (let round = 0; round < ROUNDS; round++) {
  proxier = undefined as unknown as Proxier;
  const heapBefore = heapUsed();
  clock = new ManualClock();
  proxier = newProxier(clock);
  const ingest = timed(() => {
    for (const s of services) proxier.onServiceAdd(s);
    for (const s of slices) proxier.onEndpointSliceAdd(s);
  });
  ingestWall.push(ingest.wall);
  const sync = timed(() => proxier.sync());
  full = sync.result;
  fullWall.push(sync.wall);
  fullCpu.push(sync.cpu);
  retained = heapUsed() - heapBefore;
}

line(`ingest ${N} Services and ${N} EndpointSlices (change tracking only)`, `${ms(median(ingestWall))} median of ${ROUNDS}`);
line(
  `full sync (maps, ${N * ENDPOINTS} endpoint hashes, compile, assemble)`,
  `first ${ms(fullWall[0])}, best ${ms(Math.min(...fullWall))}, median ${ms(median(fullWall))} of ${ROUNDS} (CPU median ${ms(median(fullCpu))})`,
);
line('restore text', `${full.lines} lines, ${full.bytes} bytes (${mib(full.bytes)})`);
line('restore text chains / -A rules', `${full.filterChains + full.natChains} / ${full.filterRules + full.natRules}`);
line('large-cluster mode', String(full.largeClusterMode));
if (N === 10_000) {
  const anchor = { lines: 434_023, chains: 111_010, rules: 323_009 };
  const same = full.lines === anchor.lines && full.filterChains + full.natChains === anchor.chains && full.filterRules + full.natRules === anchor.rules;
  line('matches the anchor (434,023 lines, 111,010 chains, 323,009 rules)', same ? 'yes' : 'NO');
}
line('heap retained by one proxier after its full sync (maps, caches, last text)', mib(retained));

// Forced full sync: nothing changed, so nothing is recompiled; every chain is written again.
clock.advance(1000);
proxier.forceFullSync();
const warm = timed(() => proxier.sync());
line('forced full sync (nothing recompiled)', `${ms(warm.wall)} (${warm.result.lines} lines)`);

// Partial syncs: one endpoint of one Service changes each time.
const partialWall: number[] = [];
const partialCpu: number[] = [];
let partial = warm.result;
for (let r = 0; r < 21; r++) {
  const i = (r * 467 + 13) % N;
  clock.advance(1000);
  proxier.onEndpointSliceUpdate(undefined, slice(i, r + 1));
  const t = timed(() => proxier.sync());
  partial = t.result;
  partialWall.push(t.wall);
  partialCpu.push(t.cpu);
  if (partial.full || partial.servicePortsWritten !== 1) throw new Error('expected a partial sync of one Service');
}
line(
  'partial sync after one endpoint change',
  `median ${ms(median(partialWall))} of 21, best ${ms(Math.min(...partialWall))}, max ${ms(Math.max(...partialWall))} (CPU median ${ms(median(partialCpu))})`,
);
line('partial restore text', `${partial.lines} lines, ${partial.bytes} bytes (${mib(partial.bytes)})`);

const idle: number[] = [];
for (let r = 0; r < 11; r++) {
  clock.advance(1000);
  idle.push(timed(() => proxier.sync()).wall);
}
line('partial sync with no change', `median ${ms(median(idle))} of 11`);

const ok = median(fullWall) < 1000 && median(partialWall) < 10;
line('targets (full < 1 s, partial < 10 ms, medians)', ok ? 'met' : 'MISSED');
