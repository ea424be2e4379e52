/**
 * What an nft rule's selectors read from a packet: `ip saddr`, `meta
 * l4proto`, `th dport`, `ct state`, `fib daddr type`, ... each with the value
 * type its constants are read as (values.ts). A selector answers undefined
 * when the packet has no such field (`tcp dport` of a UDP packet, `ip saddr`
 * of an IPv6 one in an `inet` table): the match fails, as nft's implicit
 * protocol dependency makes it.
 */
import type { IpAddress } from '../netfilter/address';
import { PROTOCOL_NUMBERS, type ConntrackView, type HostView, type Packet } from '../netfilter/types';
import { CT_STATE_BITS, CT_STATUS_BITS, type Scalar, type ValueKind } from './values';

/** What a selector reads besides the packet. */
export interface NftEnv {
  readonly host: HostView;
  /** The packet's connection, if it has one. */
  readonly conntrack: ConntrackView | undefined;
}

export interface Selector {
  readonly kind: ValueKind;
  /** As written (`ip daddr`). */
  readonly text: string;
  /** The value, or undefined when the packet has none (`tcp dport` of a UDP packet): the match fails. */
  read(p: Packet, env: NftEnv): Scalar | undefined;
}

const v4 = (a: IpAddress) => (typeof a === 'number' ? a : undefined);
const v6 = (a: IpAddress) => (typeof a === 'bigint' ? a : undefined);
const hasPorts = (p: Packet) => p.protocol === 'tcp' || p.protocol === 'udp' || p.protocol === 'sctp';

function sel(kind: ValueKind, text: string, read: Selector['read']): Selector {
  return { kind, text, read };
}

const CT_STATE_OF: Readonly<Record<Packet['ctstate'], number>> = {
  NEW: CT_STATE_BITS.new,
  ESTABLISHED: CT_STATE_BITS.established,
  RELATED: CT_STATE_BITS.related,
  INVALID: CT_STATE_BITS.invalid,
  UNTRACKED: CT_STATE_BITS.untracked,
};

/** By the words that name them (`ip saddr`), as `nft` accepts and prints them. */
export const SELECTORS: Readonly<Record<string, Selector>> = {
  'ip saddr': sel('ipv4', 'ip saddr', (p) => v4(p.source)),
  'ip daddr': sel('ipv4', 'ip daddr', (p) => v4(p.destination)),
  'ip protocol': sel('proto', 'ip protocol', (p) => (typeof p.source === 'number' ? PROTOCOL_NUMBERS[p.protocol] : undefined)),
  'ip6 saddr': sel('ipv6', 'ip6 saddr', (p) => v6(p.source)),
  'ip6 daddr': sel('ipv6', 'ip6 daddr', (p) => v6(p.destination)),
  'ip6 nexthdr': sel('proto', 'ip6 nexthdr', (p) => (typeof p.source === 'bigint' ? PROTOCOL_NUMBERS[p.protocol] : undefined)),
  'meta l4proto': sel('proto', 'meta l4proto', (p) => PROTOCOL_NUMBERS[p.protocol]),
  'meta mark': sel('int', 'meta mark', (p) => p.mark),
  'meta iifname': sel('ifname', 'iifname', (p) => p.inInterface),
  'meta oifname': sel('ifname', 'oifname', (p) => p.outInterface),
  'th dport': sel('port', 'th dport', (p) => (hasPorts(p) ? p.destinationPort : undefined)),
  'th sport': sel('port', 'th sport', (p) => (hasPorts(p) ? p.sourcePort : undefined)),
  'ct state': sel('ctstate', 'ct state', (p) => CT_STATE_OF[p.ctstate]),
  'ct status': sel('ctstatus', 'ct status', (p, env) => {
    const c = env.conntrack;
    if (c === undefined) return undefined;
    return (
      (p.ctSnat ? CT_STATUS_BITS.snat : 0) |
      (p.ctDnat ? CT_STATUS_BITS.dnat : 0) |
      (c.seenReply ? CT_STATUS_BITS['seen-reply'] : 0) |
      (c.assured ? CT_STATUS_BITS.assured : 0) |
      (c.confirmed ? CT_STATUS_BITS.confirmed : 0)
    );
  }),
  'ct mark': sel('int', 'ct mark', (p, env) => (env.conntrack === undefined ? undefined : (p.ctmark ?? 0))),
  'fib daddr type': sel('fibtype', 'fib daddr type', (p, env) => env.host.addressType(p.destination).toLowerCase()),
  'fib saddr type': sel('fibtype', 'fib saddr type', (p, env) => env.host.addressType(p.source).toLowerCase()),
};
// Shorthands nft accepts and prints.
export const ALIASES: Readonly<Record<string, string>> = { mark: 'meta mark', iifname: 'meta iifname', oifname: 'meta oifname', l4proto: 'meta l4proto' };
for (const proto of ['tcp', 'udp', 'sctp'] as const) {
  for (const side of ['sport', 'dport'] as const) {
    (SELECTORS as Record<string, Selector>)[`${proto} ${side}`] = sel('port', `${proto} ${side}`, (p) =>
      p.protocol === proto ? (side === 'dport' ? p.destinationPort : p.sourcePort) : undefined,
    );
  }
}
