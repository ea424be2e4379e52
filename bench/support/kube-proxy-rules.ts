/**
 * kube-proxy's full-sync restore text for N ClusterIP Services with 10
 * endpoints each, every tenth one a NodePort on UDP/53, as in
 * /work/shared/reference/performance-anchors.md (large-cluster mode: no
 * comments on the endpoint rules; no nfacct). For N = 10,000: 434,023 lines,
 * 111,010 chains, 323,009 rules. Shared by bench/netfilter-parse.ts and
 * bench/netfilter.ts (and, for both families, bench/netfilter-ipv6.ts).
 */
import { createHash } from 'node:crypto';
import { formatIPv6 } from '../../src/ipam/ipv6';

/** iptables (IPv4, the anchors' figures) or ip6tables (IPv6: the same Services in fd00:10:96::/112, pods in fd00:10:244::/56). */
export type BenchFamily = 'ipv4' | 'ipv6';

const SERVICE6 = 0xfd000010009600000000000000000000n;
const POD6 = 0xfd000010024400000000000000000000n;

export const ENDPOINTS = 10;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** kube-proxy's chain-name hash: first 16 base32 characters of SHA-256. */
export function hash(input: string): string {
  const bytes = createHash('sha256').update(input).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (let i = 0; out.length < 16; i++) {
    value = ((value << 8) | bytes[i]) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export interface ServiceSpec {
  name: string;
  protocol: 'tcp' | 'udp';
  clusterIP: string;
  port: number;
  nodePort?: number;
  endpoints: string[];
}

/** The i-th Service: ClusterIP 10.96.0.10 + i (IPv6: fd00:10:96::a + i), port 80/tcp (every tenth: 53/udp with a NodePort). */
export function service(i: number, family: BenchFamily = 'ipv4'): ServiceSpec {
  const nodePort = i % 10 === 9;
  const ip = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const endpoints: string[] = [];
  for (let e = 0; e < ENDPOINTS; e++) {
    const n = i * ENDPOINTS + e + 2;
    endpoints.push(family === 'ipv6' ? `[${formatIPv6(POD6 + BigInt(n))}]:${nodePort ? 53 : 8080}` : `${ip(((10 << 24) | (244 << 16)) + n)}:${nodePort ? 53 : 8080}`);
  }
  endpoints.sort();
  return {
    name: `ns${i % 100}/svc${i}:${nodePort ? 'dns' : 'http'}`,
    protocol: nodePort ? 'udp' : 'tcp',
    clusterIP: family === 'ipv6' ? formatIPv6(SERVICE6 + BigInt(10 + i)) : ip(((10 << 24) | (96 << 16)) + 10 + i),
    port: nodePort ? 53 : 80,
    nodePort: nodePort ? 30000 + (i % 2768) : undefined,
    endpoints,
  };
}

/** The address of an endpoint (`10.244.0.2:8080`, `[fd00:10:244::2]:8080`). */
function endpointAddress(e: string): string {
  return e.startsWith('[') ? e.slice(1, e.indexOf(']')) : e.slice(0, e.indexOf(':'));
}

/** The nat rules and chain names of one Service, kube-proxy style. */
function serviceRules(s: ServiceSpec, chains: string[], rules: string[], podCidr: string): void {
  const p = s.protocol;
  const pm = `-m ${p} -p ${p}`;
  const h = hash(s.name + p);
  const svc = `KUBE-SVC-${h}`;
  const ext = `KUBE-EXT-${h}`;
  rules.push(`-A KUBE-SERVICES -m comment --comment "${s.name} cluster IP" ${pm} -d ${s.clusterIP} --dport ${s.port} -j ${svc}`);
  if (s.nodePort) rules.push(`-A KUBE-NODEPORTS -m comment --comment ${s.name} ${pm} --dport ${s.nodePort} -j ${ext}`);
  rules.push(`-A ${svc} -m comment --comment "${s.name} cluster IP" ${pm} -d ${s.clusterIP} --dport ${s.port} ! -s ${podCidr} -j KUBE-MARK-MASQ`);
  if (s.nodePort) {
    chains.push(ext);
    rules.push(`-A ${ext} -m comment --comment "masquerade traffic for ${s.name} external destinations" -j KUBE-MARK-MASQ`);
    rules.push(`-A ${ext} -j ${svc}`);
  }
  chains.push(svc);
  const seps = s.endpoints.map((e) => `KUBE-SEP-${hash(s.name + p + e)}`);
  s.endpoints.forEach((_, k) => {
    const n = s.endpoints.length - k;
    const stat = n > 1 ? ` -m statistic --mode random --probability ${(1 / n).toFixed(10)}` : '';
    rules.push(`-A ${svc}${stat} -j ${seps[k]}`);
  });
  s.endpoints.forEach((e, k) => {
    chains.push(seps[k]);
    rules.push(`-A ${seps[k]} -s ${endpointAddress(e)} -j KUBE-MARK-MASQ`);
    rules.push(`-A ${seps[k]} ${pm} -j DNAT --to-destination ${e}`);
  });
}

/** kube-proxy's restore text; with `only`, a partial sync that rewrites the top-level chains and that one Service. */
export function restoreText(count: number, only?: number, family: BenchFamily = 'ipv4'): string {
  const v6 = family === 'ipv6';
  const podCidr = v6 ? 'fd00:10:244::/56' : '10.244.0.0/16';
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const natRules = [
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
  ];
  for (let i = 0; i < count; i++) {
    const s = service(i, family);
    if (only === undefined || only === i) {
      serviceRules(s, natChains, natRules, podCidr);
      continue;
    }
    // A partial sync still rewrites every Service's top-level rules.
    const h = hash(s.name + s.protocol);
    const pm = `-m ${s.protocol} -p ${s.protocol}`;
    natRules.push(`-A KUBE-SERVICES -m comment --comment "${s.name} cluster IP" ${pm} -d ${s.clusterIP} --dport ${s.port} -j KUBE-SVC-${h}`);
    if (s.nodePort) natRules.push(`-A KUBE-NODEPORTS -m comment --comment ${s.name} ${pm} --dport ${s.nodePort} -j KUBE-EXT-${h}`);
  }
  natRules.push(
    `-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL${v6 ? ' ! -d ::1/128' : ''} -j KUBE-NODEPORTS`,
  );
  const filterChains = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-FIREWALL'];
  const filterRules = [
    // IPv6 has no localnet rule (kube-proxy writes it for IPv4 only).
    ...(v6 ? [] : ['-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP']),
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ];
  const sections = [
    ['*filter', ...filterChains.map((c) => `:${c} - [0:0]`), ...filterRules, 'COMMIT'],
    ['*nat', natChains.map((c) => `:${c} - [0:0]`).join('\n'), natRules.join('\n'), 'COMMIT'],
  ];
  return sections.map((s) => s.join('\n')).join('\n') + '\n';
}

