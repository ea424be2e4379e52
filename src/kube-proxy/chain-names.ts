/**
 * Chain names as upstream kube-proxy derives them (`portProtoHash` and
 * `servicePortEndpointChainName` in pkg/proxy/iptables/proxier.go):
 *
 *   KUBE-SVC-/KUBE-SVL-/KUBE-EXT-/KUBE-FW- + first 16 chars of
 *       base32(sha256(servicePortName + protocol))
 *   KUBE-SEP- + first 16 chars of base32(sha256(servicePortName + protocol + "ip:port"))
 *
 * `servicePortName` is `namespace/name`, plus `:portName` only when the port
 * is named; `protocol` is lower case (`tcp`, `udp`, `sctp`); base32 is the
 * standard RFC 4648 alphabet. 16 base32 characters are exactly the first 80
 * bits (10 bytes) of the digest, so only those are encoded.
 */

import { sha256Words } from './sha256';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B32 = Array.from(BASE32, (c) => c.charCodeAt(0));

export const SERVICE_CHAIN_PREFIX = 'KUBE-SVC-';
export const SERVICE_LOCAL_CHAIN_PREFIX = 'KUBE-SVL-';
export const EXTERNAL_CHAIN_PREFIX = 'KUBE-EXT-';
export const FIREWALL_CHAIN_PREFIX = 'KUBE-FW-';
export const ENDPOINT_CHAIN_PREFIX = 'KUBE-SEP-';

const SERVICE_CHAIN_PREFIXES = [
  SERVICE_CHAIN_PREFIX,
  SERVICE_LOCAL_CHAIN_PREFIX,
  ENDPOINT_CHAIN_PREFIX,
  FIREWALL_CHAIN_PREFIX,
  EXTERNAL_CHAIN_PREFIX,
];

/**
 * `prefix` followed by the first 16 standard-base32 characters of the SHA-256
 * of `input` (UTF-8). Nine-character prefixes (all but KUBE-FW-) are built into
 * one flat string with the hash: a node keeps one such name per endpoint.
 */
function prefixedHash(prefix: string, input: string): string {
  const h = sha256Words(input);
  const h0 = h[0];
  const h1 = h[1];
  const h2 = h[2];
  // 80 bits: h0 (32), h1 (32), the top 16 of h2, five bits per character.
  const c0 = B32[(h0 >>> 27) & 31];
  const c1 = B32[(h0 >>> 22) & 31];
  const c2 = B32[(h0 >>> 17) & 31];
  const c3 = B32[(h0 >>> 12) & 31];
  const c4 = B32[(h0 >>> 7) & 31];
  const c5 = B32[(h0 >>> 2) & 31];
  const c6 = B32[((h0 & 3) << 3) | ((h1 >>> 29) & 7)];
  const c7 = B32[(h1 >>> 24) & 31];
  const c8 = B32[(h1 >>> 19) & 31];
  const c9 = B32[(h1 >>> 14) & 31];
  const c10 = B32[(h1 >>> 9) & 31];
  const c11 = B32[(h1 >>> 4) & 31];
  const c12 = B32[((h1 & 15) << 1) | ((h2 >>> 31) & 1)];
  const c13 = B32[(h2 >>> 26) & 31];
  const c14 = B32[(h2 >>> 21) & 31];
  const c15 = B32[(h2 >>> 16) & 31];
  if (prefix.length === 9) {
    const p = prefix;
    return String.fromCharCode(
      p.charCodeAt(0),
      p.charCodeAt(1),
      p.charCodeAt(2),
      p.charCodeAt(3),
      p.charCodeAt(4),
      p.charCodeAt(5),
      p.charCodeAt(6),
      p.charCodeAt(7),
      p.charCodeAt(8),
      c0,
      c1,
      c2,
      c3,
      c4,
      c5,
      c6,
      c7,
      c8,
      c9,
      c10,
      c11,
      c12,
      c13,
      c14,
      c15,
    );
  }
  return prefix + String.fromCharCode(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** The first 16 standard-base32 characters of the SHA-256 of `input` (UTF-8). */
export function hash16(input: string): string {
  return prefixedHash('', input);
}

/** `namespace/name[:port]`: the service port name kube-proxy prints in comments and hashes. */
export function servicePortNameString(namespace: string, name: string, portName: string | undefined): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

/** The 16-character hash shared by a service port's SVC, SVL, EXT and FW chains. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol.toLowerCase());
}

export function serviceChainName(servicePortName: string, protocol: string): string {
  return prefixedHash(SERVICE_CHAIN_PREFIX, servicePortName + protocol.toLowerCase());
}

export function serviceLocalChainName(servicePortName: string, protocol: string): string {
  return prefixedHash(SERVICE_LOCAL_CHAIN_PREFIX, servicePortName + protocol.toLowerCase());
}

export function serviceExternalChainName(servicePortName: string, protocol: string): string {
  return prefixedHash(EXTERNAL_CHAIN_PREFIX, servicePortName + protocol.toLowerCase());
}

export function serviceFirewallChainName(servicePortName: string, protocol: string): string {
  return prefixedHash(FIREWALL_CHAIN_PREFIX, servicePortName + protocol.toLowerCase());
}

/** `endpoint` is the canonical `ip:port` (`[ip]:port` for IPv6). */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return prefixedHash(ENDPOINT_CHAIN_PREFIX, servicePortName + protocol.toLowerCase() + endpoint);
}

/** Whether kube-proxy owns this chain as a per-service chain (and may delete it when stale). */
export function isServiceChainName(chain: string): boolean {
  for (const prefix of SERVICE_CHAIN_PREFIXES) if (chain.startsWith(prefix)) return true;
  return false;
}

/**
 * `1/n` printed as Go's `%0.10f` (upstream `computeProbability`). JavaScript's
 * `toFixed` rounds an exact tie up where Go rounds it to even; among values
 * 1/n only 1/2048 is such a tie (0.00048828125), so exact powers of two are
 * rounded here by hand.
 */
export function computeProbability(n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`probability of 1/${n}`);
  if ((n & (n - 1)) === 0 && n >= 2048) {
    // 1/2^k = 5^k / 10^k exactly; round to 10 decimals, ties to even.
    const k = Math.log2(n);
    let digits = 5n ** BigInt(k); // the value times 10^k
    const drop = 10n ** BigInt(k - 10);
    const q = digits / drop;
    const r = digits % drop;
    const half = drop / 2n;
    digits = r > half || (r === half && q % 2n === 1n) ? q + 1n : q;
    return `0.${digits.toString().padStart(10, '0')}`;
  }
  return (1 / n).toFixed(10);
}

/** A growing cache of `computeProbability`, as the proxier keeps one. */
export class ProbabilityCache {
  private readonly values: string[] = ['<bad value>'];

  get(n: number): string {
    for (let i = this.values.length; i <= n; i++) this.values.push(computeProbability(i));
    return this.values[n];
  }
}
