/**
 * Dual-stack benchmark: kube-proxy's full sync at N Services (default 10,000,
 * 10 endpoints each, the performance anchors' workload) for the IPv4 proxier
 * and for the IPv6 proxier with the same workload in IPv6 addresses. Run with
 *   node --expose-gc -r ./bench/register.js bench/dual-stack.ts [services]
 * (or `npm run bench -- dual-stack`). Target: IPv6 within 1.5x of IPv4.
 *
 * Machines are noisy: each family's full sync is measured on three fresh
 * proxiers, alternating families, and the medians are compared.
 */
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/common/clock';
import { Proxier } from '../src/kube-proxy/proxier';
import type { EndpointSlice, IpFamily, Service } from '../src/kube-proxy/types';
import { service, slice } from './support/kube-proxy-workload';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = 3;

/** 10.96.a.b -> fd00:10:96::a:b, 10.c.d.e -> fd00:10:244::c:d:e: the same workload in IPv6. */
function toV6(ip: string): string {
  const [a, b, c, d] = ip.split('.').map(Number);
  return a === 10 && b === 96 ? `fd00:10:96::${c.toString(16)}:${d.toString(16)}` : `fd00:10:244::${b.toString(16)}:${c.toString(16)}:${d.toString(16)}`;
}

function workload(family: IpFamily): { services: Service[]; slices: EndpointSlice[] } {
  const services = Array.from({ length: N }, (_, i) => {
    const s = service(i);
    if (family === 'IPv4') return s;
    const clusterIP = toV6(s.spec!.clusterIP!);
    return { ...s, spec: { ...s.spec, clusterIP, clusterIPs: [clusterIP], ipFamilies: ['IPv6' as const] } };
  });
  const slices = Array.from({ length: N }, (_, i) => {
    const s = slice(i);
    if (family === 'IPv4') return s;
    return { ...s, addressType: 'IPv6' as const, endpoints: (s.endpoints ?? []).map((e) => ({ ...e, addresses: e.addresses.map(toV6) })) };
  });
  return { services, slices };
}

function fullSync(family: IpFamily, load: { services: Service[]; slices: EndpointSlice[] }): { ms: number; lines: number } {
  const proxier = new Proxier({
    node: { name: 'node-0', addresses: family === 'IPv4' ? ['192.168.0.10'] : ['fc00::10'] },
    clock: new ManualClock(),
    config: { clusterCIDR: family === 'IPv4' ? '10.64.0.0/10' : 'fd00:10:244::/56' },
    family,
    emulation: { nfacctInvalidDropped: false, nfacctLocalhostNodePorts: false },
  });
  for (const s of load.services) proxier.onServiceAdd(s);
  for (const s of load.slices) proxier.onEndpointSliceAdd(s);
  const t0 = performance.now();
  const result = proxier.sync();
  return { ms: performance.now() - t0, lines: result.lines };
}

const loads = { IPv4: workload('IPv4'), IPv6: workload('IPv6') };
const times: Record<IpFamily, number[]> = { IPv4: [], IPv6: [] };
const lines: Record<IpFamily, number> = { IPv4: 0, IPv6: 0 };
for (let round = 0; round < ROUNDS; round++) {
  for (const family of ['IPv4', 'IPv6'] as const) {
    const r = fullSync(family, loads[family]);
    times[family].push(r.ms);
    lines[family] = r.lines;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const family of ['IPv4', 'IPv6'] as const) {
  console.log(`full sync, ${family}, ${N} Services: median ${median(times[family]).toFixed(0)} ms of ${ROUNDS} (${lines[family]} lines)`);
}
const ratio = median(times.IPv6) / median(times.IPv4);
console.log(`IPv6 / IPv4: ${ratio.toFixed(2)}x (target within 1.5x: ${ratio <= 1.5 ? 'met' : 'MISSED'})`);
