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

/** Every reason code a verdict may carry (docs/troubleshooting.md has the table). */
export const REASONS = [
  'Delivered',
  'NoEndpoints',
  'ScaledToZero',
  'ReadinessProbeFailing',
  'NodeNotReady',
  'EndpointsTerminating',
  'NoReadyEndpoints',
  'NoLocalEndpoints',
  'PortNotInService',
  'TargetPortNotServed',
  'PortClosed',
  'NodePortAddressNotAllowed',
  'SourceRangeRefused',
  'NXDomain',
  'LeftCluster',
  'Rejected',
  'Dropped',
  'NoRoute',
] as const;
export type VerdictReason = (typeof REASONS)[number];

/** Every note reason. */
export const NOTE_REASONS = ['ConntrackEntry', 'SessionAffinity', 'TerminatingFallback', 'Masquerade', 'Hairpin', 'ImportedRules'] as const;
export type NoteReason = (typeof NOTE_REASONS)[number];

/** A fact that shaped the outcome, beside the main reason. */
export interface VerdictNote {
  /** UpperCamelCase, as Kubernetes' reasons: `ConntrackEntry`, `SessionAffinity`, `TerminatingFallback`, `Masquerade`, `Hairpin`, `ImportedRules`. */
  reason: NoteReason;
  message: string;
}

export interface Verdict {
  /** UpperCamelCase machine-readable code (REASONS). */
  reason: VerdictReason;
  client: ClientView;
  /** One or more sentences for a person, naming the objects involved (`default/web`, `kind-worker`). */
  message: string;
  notes: VerdictNote[];
}
