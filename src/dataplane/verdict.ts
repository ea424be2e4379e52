/**
 * What an outcome of simulated traffic means, in words a person reads and a
 * code a program checks. Every `TrafficOutcome` carries one.
 */

/** What the client itself sees. */
export type ClientView =
  /** The connection was answered by a listening socket (SYN/ACK, a UDP reply). */
  | 'connected'
  /** A TCP reset, or ICMP port unreachable for UDP. */
  | 'connection-refused'
  /** Nothing came back: the client gives up after its timeout. */
  | 'timed-out'
  /** An ICMP error other than port unreachable (host/net unreachable, admin prohibited). */
  | 'icmp-unreachable'
  /** The name did not resolve (NXDOMAIN on every name of the search path). */
  | 'name-not-resolved'
  /** The packet left the cluster: what happens next is outside the emulator. */
  | 'left-cluster';

/** A fact that shaped the outcome, beside the main reason. */
export interface VerdictNote {
  /** UpperCamelCase, as Kubernetes' reasons: `ConntrackEntry`, `SessionAffinity`, `TerminatingFallback`, `Masquerade`, `Hairpin`, ... */
  reason: string;
  message: string;
}

export interface Verdict {
  /**
   * UpperCamelCase machine-readable code: `Delivered`, `NoEndpoints`, `NoReadyEndpoints`,
   * `NoLocalEndpoints`, `PortNotInService`, `TargetPortNotServed`, `NXDomain`,
   * `NodePortAddressNotAllowed`, `SourceRangeRefused`, ...
   */
  reason: string;
  client: ClientView;
  /** One or more sentences for a person, naming the objects involved (`default/web`, `kind-worker`). */
  message: string;
  notes: VerdictNote[];
}
