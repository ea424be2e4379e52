/**
 * What Linux's iptables has, as data: every IPv4 match and target extension
 * that iptables 1.8 ships (the names of `extensions/libxt_*.c` and
 * `extensions/libipt_*.c` in the iptables repository; `libxt_` files hold
 * both families, a lower-case name being a match and an upper-case one a
 * target), the IPv4 tables, and the options of modules we do model that we
 * do not read.
 *
 * The parser uses it to tell a real module that kube-netsim does not model
 * ("`-m osf` is a real iptables match that kube-netsim does not model") from a
 * word that no Linux module has ("unknown match module"), and, with
 * `unsupported=keep`, to keep the first kind of rule as given. Whether a
 * name is modelled is the registry's business (builtin-modules.ts), not this
 * file's: a name here that the registry also knows is simply modelled.
 */

/** Every IPv4 match extension of iptables 1.8 (`-m NAME`). */
export const REAL_MATCHES: ReadonlySet<string> = new Set([
  'addrtype',
  'ah',
  'bpf',
  'cgroup',
  'cluster',
  'comment',
  'connbytes',
  'connlabel',
  'connlimit',
  'connmark',
  'conntrack',
  'cpu',
  'dccp',
  'devgroup',
  'dscp',
  'ecn',
  'esp',
  'hashlimit',
  'helper',
  'icmp',
  'ipcomp',
  'iprange',
  'ipvs',
  'length',
  'limit',
  'mac',
  'mark',
  'multiport',
  'nfacct',
  'osf',
  'owner',
  'physdev',
  'pkttype',
  'policy',
  'quota',
  'rateest',
  'realm',
  'recent',
  'rpfilter',
  'sctp',
  'set',
  'socket',
  'state',
  'statistic',
  'string',
  'tcp',
  'tcpmss',
  'time',
  'tos',
  'ttl',
  'u32',
  'udp',
  // ip6tables only (libip6t_*).
  'icmp6',
  'hl',
  'frag',
  'hbh',
  'rt',
  'ipv6header',
]);

/**
 * What a target we do not model does to the rest of a trace when its rule matches:
 * - `continue`: it changes nothing the model reads (a log, a checksum, the MSS, a
 *   DSCP or TOS field, an ipset, a SELinux label), and the packet goes on to the next rule;
 * - `stop`: it decides the packet's fate or changes what later rules read (a
 *   redirection, a queue to user space, a mark or TTL we cannot compute), so the
 *   trace cannot follow it.
 */
export type UnmodelledEffect = 'continue' | 'stop';

/** Every IPv4 target extension of iptables 1.8 (`-j NAME`), with what it does when we do not model it. */
export const REAL_TARGETS: ReadonlyMap<string, UnmodelledEffect> = new Map<string, UnmodelledEffect>([
  ['AUDIT', 'continue'],
  ['CHECKSUM', 'continue'],
  ['CLASSIFY', 'continue'],
  ['CLUSTERIP', 'stop'],
  ['CONNMARK', 'stop'],
  ['CONNSECMARK', 'continue'],
  ['CT', 'stop'],
  ['DNAT', 'stop'],
  ['DSCP', 'continue'],
  ['ECN', 'continue'],
  ['HMARK', 'stop'],
  ['IDLETIMER', 'continue'],
  ['LED', 'continue'],
  ['LOG', 'continue'],
  ['MARK', 'stop'],
  ['MASQUERADE', 'stop'],
  ['NETMAP', 'stop'],
  ['NFLOG', 'continue'],
  ['NFQUEUE', 'stop'],
  ['NOTRACK', 'stop'],
  ['QUEUE', 'stop'],
  ['RATEEST', 'continue'],
  ['REDIRECT', 'stop'],
  ['REJECT', 'stop'],
  ['SECMARK', 'continue'],
  ['SET', 'continue'],
  ['SNAT', 'stop'],
  ['SYNPROXY', 'stop'],
  ['TCPMSS', 'continue'],
  ['TCPOPTSTRIP', 'continue'],
  ['TEE', 'continue'],
  ['TOS', 'continue'],
  ['TPROXY', 'stop'],
  ['TRACE', 'continue'],
  ['TTL', 'stop'],
  ['ULOG', 'continue'],
]);

/** The IPv4 tables of Linux (`*NAME` in iptables-save). */
export const REAL_TABLES: ReadonlySet<string> = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/**
 * Options of modules we model that iptables has and we do not read, with how
 * many words follow each: a rule using one is refused, or kept with
 * `unsupported=keep` (the option becomes a condition the trace forks on; for
 * a target, a target the trace stops at).
 */
export const REAL_UNMODELLED_OPTIONS: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map<string, ReadonlyMap<string, number>>([
  ['tcp', new Map([['tcp-option', 1]])],
  ['policy', new Map([['next', 0]])],
  [
    'hashlimit',
    new Map([
      ['hashlimit-rate-match', 0],
      ['hashlimit-rate-interval', 1],
    ]),
  ],
  ['sctp', new Map([['chunk-types', 2]])],
]);

/** What a refusal of such a part adds: the way around it. */
export const KEEP_ADVICE = 'load with unsupported=keep to trace around it';

export function unmodelledMatchText(name: string): string {
  return `\`-m ${name}\` is a real iptables match that kube-netsim does not model`;
}

export function unmodelledTargetText(name: string): string {
  return `\`-j ${name}\` is a real iptables target that kube-netsim does not model`;
}

export function unmodelledOptionText(module: string, option: string): string {
  const kind = module === module.toUpperCase() ? 'target' : 'match';
  return `\`--${option}\` is a real option of the iptables ${module} ${kind} that kube-netsim does not model`;
}

export function unmodelledTableText(name: string): string {
  return `\`*${name}\` is a real iptables table that kube-netsim does not model; its rules cannot be kept (remove the section to load the rest)`;
}
