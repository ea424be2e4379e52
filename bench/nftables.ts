/**
 * kube-proxy nftables-mode benchmark. Run with `npm run bench -- nftables`
 * (or `node --expose-gc -r ./bench/register.js bench/nftables.ts [services]`).
 *
 * The kube-proxy benchmark's workload (N = 10,000 Services of 10 endpoints):
 * the full sync on three fresh proxiers (target under 1 s), the transaction's
 * size, reading it back with our parser against the real `nft -c -f` on the
 * same file (when nft is installed and we are root), and a partial sync after
 * one endpoint changed (target under 10 ms).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/common/clock';
import { NftProxier } from '../src/kube-proxy/nftables/nft-proxier';
import { parseNftTransaction } from '../src/nftables/transaction-parser';
import { ENDPOINTS, service, slice } from './support/kube-proxy-workload';
import { median, ms, timed } from './support/timing';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = 3;

const line = (what: string, figure: string) => process.stdout.write(`nftables: ${what}: ${figure}\n`);

const services = Array.from({ length: N }, (_, i) => service(i));
const slices = Array.from({ length: N }, (_, i) => slice(i));

function newProxier(clock: ManualClock): NftProxier {
  return new NftProxier({
    node: { name: 'node-0', addresses: ['192.168.0.10'] },
    clock,
    config: { mode: 'nftables', clusterCIDR: '10.64.0.0/10' },
    serviceCIDRs: ['10.96.0.0/12'],
  });
}

let proxier!: NftProxier;
let clock!: ManualClock;
const wall: number[] = [];
const cpu: number[] = [];
let text = '';
const textWall: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  clock = new ManualClock();
  proxier = newProxier(clock);
  for (const s of services) proxier.onServiceAdd(s);
  for (const s of slices) proxier.onEndpointSliceAdd(s);
  // The previous round's proxier and text are the benchmark's garbage, not this sync's: collected before it starts.
  global.gc?.();
  const sync = timed(() => proxier.sync());
  wall.push(sync.wall);
  cpu.push(sync.cpu);
  // The transaction's text is written when first read (GET .../nftables?format=nft, render).
  const written = timed(() => sync.result.text);
  textWall.push(written.wall);
  text = written.result;
}
line(
  `full sync (${N} Services, ${N * ENDPOINTS} endpoints)`,
  `first ${ms(wall[0])}, median ${ms(median(wall))} of ${ROUNDS} (CPU median ${ms(median(cpu))}); target < 1 s`,
);
line('writing the full sync transaction as text (when read)', `median ${ms(median(textWall))} of ${ROUNDS}`);
line('transaction', `${text.split('\n').length - 1} commands, ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MiB`);

const parse = timed(() => parseNftTransaction(text));
line('parse the transaction (ours)', `${ms(parse.wall)} (CPU ${ms(parse.cpu)}), ${parse.result.length} commands`);
const nftFound = spawnSync('sh', ['-c', 'command -v nft']).status === 0 && process.getuid?.() === 0;
if (nftFound) {
  const dir = mkdtempSync(join(tmpdir(), 'nsim-nft-'));
  try {
    const file = join(dir, 'kube-proxy.nft');
    writeFileSync(file, text);
    const t0 = performance.now();
    const check = spawnSync('nft', ['-c', '-f', file], { encoding: 'utf8' });
    line('parse the transaction (real nft -c -f)', check.status === 0 ? ms(performance.now() - t0) : `failed: ${check.stderr.slice(0, 200)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  line('parse the transaction (real nft -c -f)', 'skipped: needs root and nft (apt-get install nftables)');
}

const resync: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const i = r * 997;
  proxier.onEndpointSliceUpdate(undefined, slice(i, r + 1));
  resync.push(timed(() => proxier.sync()).wall);
}
line('partial sync after one endpoint change', `median ${ms(median(resync))} of ${ROUNDS}; target < 10 ms`);

// Retiring Services: their chains are flushed, then deleted by the first sync more than a second later.
for (let k = 0; k < 5; k++) proxier.onServiceDelete(services[k * 7 + 1]);
const retire = timed(() => proxier.sync());
clock.advance(2000);
proxier.onEndpointSliceUpdate(undefined, slice(500, 9));
const deletion = timed(() => proxier.sync());
line(
  'partial syncs retiring 5 Services, then deleting their stale chains',
  `${ms(retire.wall)}, then ${ms(deletion.wall)} (${deletion.result.staleDeleted.length} chains deleted); target < 10 ms`,
);
