/**
 * Who sends traffic, read from what a client wrote: `pod/NAMESPACE/NAME`,
 * `node/NAME`, `external/IP`, or `{"external": "IP"}` (an outside client).
 * One parser, one wording, for `POST /netsim/v1/traffic`'s body, the traffic
 * simulator and `GET /netsim/v1/diagnose`'s query. Whether the pod or node
 * exists is the simulator's question (a 404), not this one's.
 */
import { DomainError } from '../common/domain-error';
import { tryParseIp, type IpAddress } from '../netfilter/address';

export type TrafficSource = { kind: 'pod'; namespace: string; name: string } | { kind: 'node'; name: string } | { kind: 'external'; address: IpAddress; text: string };

/** The protocols traffic is sent with, as `supported values` lists them. */
export const TRAFFIC_PROTOCOLS = ['sctp', 'tcp', 'udp'] as const;

const FORMS = 'pod/NAMESPACE/NAME, node/NAME, external/IP or {"external": "IP"}';

function externalOf(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = /^external\/(.*)$/.exec(value)?.[1];
    return text === undefined ? undefined : text;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'external' ? (value as { external: unknown }).external : undefined;
}

/** The source `value` names, or a 422 `Invalid` naming `from` (or `from.external` for a bad address). */
export function parseTrafficSource(value: unknown): TrafficSource {
  if (typeof value === 'string') {
    const pod = /^pod\/([^/\s]+)\/([^/\s]+)$/.exec(value);
    if (pod) return { kind: 'pod', namespace: pod[1], name: pod[2] };
    const node = /^node\/([^/\s]+)$/.exec(value);
    if (node) return { kind: 'node', name: node[1] };
  }
  const external = externalOf(value);
  if (external === undefined) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    throw new DomainError('INVALID', `from: Invalid value: ${shown}: must be ${FORMS}`, { field: 'from' });
  }
  const address = typeof external === 'string' ? tryParseIp(external) : undefined;
  if (address === undefined) {
    throw new DomainError('INVALID', `from.external: Invalid value: ${JSON.stringify(external)}: must be an IPv4 or IPv6 address`, { field: 'from.external' });
  }
  return { kind: 'external', address, text: external as string };
}

/** How a source is written back: `pod/…`, `node/…` or `external/IP`. */
export function trafficSourceText(from: string | { external: string }): string {
  return typeof from === 'string' ? from : `external/${from.external}`;
}
