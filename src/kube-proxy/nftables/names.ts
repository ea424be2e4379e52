/**
 * Names in kube-proxy's nftables table (upstream pkg/proxy/nftables):
 * per service port `service-`, `local-`, `external-` and `firewall-` chains,
 * per endpoint `endpoint-` chains and `affinity-` sets, each followed by
 * `HASH-namespace/name/protocol/portName[__ip/port]`, where HASH is the first
 * 8 characters of the standard base32 of the SHA-256 of what follows it, and
 * the whole is cut to 240 characters (ending in `...`) if longer. IPv6
 * endpoint addresses are written with `.` for `:`, which chain names cannot hold.
 */
import { sha256Words } from '../sha256';

export const KUBE_PROXY_TABLE = 'kube-proxy';

export const SERVICE_PREFIX = 'service-';
export const LOCAL_PREFIX = 'local-';
export const EXTERNAL_PREFIX = 'external-';
export const FIREWALL_PREFIX = 'firewall-';
export const ENDPOINT_PREFIX = 'endpoint-';
export const AFFINITY_PREFIX = 'affinity-';

/** knftables' NameLengthMax (256) less the longest prefix (16). */
const BASE_LENGTH_MAX = 240;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The first 8 base32 characters (40 bits) of the SHA-256 of `input`. */
function hash8(input: string): string {
  const h = sha256Words(input);
  const hi = h[0] >>> 0;
  const lo = (h[1] >>> 24) & 0xff;
  let out = '';
  for (let i = 0; i < 8; i++) {
    const shift = 35 - 5 * i;
    // 40 bits: hi (32) then lo (8); pick bits [shift, shift+5) counting from the low end.
    const bits = shift >= 8 ? (hi >>> (shift - 8)) & 31 : ((hi << (8 - shift)) | (lo >>> shift)) & 31;
    out += BASE32[bits];
  }
  return out;
}

function hashAndTruncate(name: string): string {
  const named = `${hash8(name)}-${name}`;
  return named.length > BASE_LENGTH_MAX ? `${named.slice(0, BASE_LENGTH_MAX - 3)}...` : named;
}

/** `HASH-namespace/name/protocol/portName`, e.g. `ULMVA6XW-ns1/svc1/tcp/p80`. */
export function servicePortChainBase(namespace: string, name: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${portName}`);
}

/** `HASH-namespace/name/protocol/portName__ip/port`; `ip` as in the endpoint (IPv6 colons become dots). */
export function endpointChainBase(namespace: string, name: string, protocol: string, portName: string, ip: string, port: number): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${portName}__${ip.replaceAll(':', '.')}/${port}`);
}

/** Per-service and per-endpoint chains hold a `/`; kube-proxy's fixed chains never do. */
export function isServiceChainName(chain: string): boolean {
  return chain.includes('/');
}

export function isAffinitySetName(set: string): boolean {
  return set.startsWith(AFFINITY_PREFIX);
}

/** An endpoint's affinity set shares its chain's name after the prefix. */
export function affinitySetName(endpointChain: string): string {
  return AFFINITY_PREFIX + endpointChain.slice(ENDPOINT_PREFIX.length);
}
