/**
 * What the kernel agreement suite sends, per fixture: real TCP connections
 * and UDP datagrams from a local pod, from the node itself, or from a client
 * outside (the "out" namespace, with the given source address). Addresses are
 * those of the fixtures; the topology (support/topology.ts) creates every
 * one of them inside namespaces of its own.
 */
export type ProbeSource = { kind: 'pod'; ip: string } | { kind: 'host' } | { kind: 'outside'; ip: string };

export interface Probe {
  readonly from: ProbeSource;
  /** `icmp`: echo requests (iputils ping); `port` is then unused (0). */
  readonly protocol: 'tcp' | 'udp' | 'icmp';
  readonly destination: string;
  readonly port: number;
  /**
   * Connections one after another, the engine following each (commit): for
   * rules with memory (`recent`), where every connection changes the next.
   */
  readonly sequential?: number;
  /** From the node: the sending process's uid and gid (`-m owner`); root when absent. */
  readonly user?: { readonly uid: number; readonly gid: number };
  readonly why: string;
}

const pod = (ip: string): ProbeSource => ({ kind: 'pod', ip });
const host: ProbeSource = { kind: 'host' };
const outside = (ip: string): ProbeSource => ({ kind: 'outside', ip });

/** A pod that is no Service's endpoint. */
export const CLIENT_POD = '10.180.0.200';
const client = pod(CLIENT_POD);
const web = outside('203.0.113.2');

export const PROBES: Readonly<Record<string, readonly Probe[]>> = {
  'clusterip-1-endpoint': [
    { from: client, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'pod to a ClusterIP: DNAT, no masquerade' },
    { from: host, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'node to a ClusterIP: OUTPUT DNAT, masquerade' },
    { from: web, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'outside client to a ClusterIP: masquerade' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'no Service: local delivery' },
  ],
  'clusterip-2-endpoints': [
    { from: client, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'random 1/2: local and remote endpoint' },
    { from: host, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'from the node: re-route after DNAT' },
    { from: web, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'masquerade to the egress interface address' },
  ],
  'clusterip-5-endpoints': [
    { from: client, protocol: 'tcp', destination: '172.30.0.43', port: 8080, why: 'random 1/5 over five endpoints' },
    { from: web, protocol: 'tcp', destination: '172.30.0.43', port: 8080, why: 'five endpoints, masqueraded' },
    { from: host, protocol: 'tcp', destination: '172.30.0.43', port: 8080, why: 'five endpoints from the node' },
    { from: client, protocol: 'udp', destination: '172.30.0.10', port: 53, why: 'UDP DNS Service, 1/2' },
    { from: host, protocol: 'udp', destination: '172.30.0.10', port: 53, why: 'UDP from the node' },
  ],
  nodeport: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 30082, why: 'NodePort from outside: DNAT and masquerade' },
    { from: outside('192.168.0.77'), protocol: 'tcp', destination: '192.168.0.2', port: 30082, why: 'NodePort from the node network' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 30053, why: 'eTP Local NodePort: local endpoint only, no masquerade' },
    { from: host, protocol: 'tcp', destination: '192.168.0.2', port: 30082, why: 'NodePort from the node itself' },
    { from: host, protocol: 'tcp', destination: '127.0.0.1', port: 30082, why: 'localhost NodePort (route_localnet, nfacct rule)' },
    { from: client, protocol: 'tcp', destination: '172.30.0.44', port: 8082, why: 'ClusterIP of the NodePort Service' },
    { from: client, protocol: 'udp', destination: '192.168.0.2', port: 30053, why: 'eTP Local NodePort from a pod: short-circuit to the cluster-wide chain' },
  ],
  'loadbalancer-source-ranges': [
    { from: outside('203.0.113.7'), protocol: 'tcp', destination: '1.2.3.4', port: 80, why: 'LoadBalancer IP from an allowed source range' },
    { from: outside('198.51.100.200'), protocol: 'tcp', destination: '1.2.3.4', port: 80, why: 'LoadBalancer IP from another source: KUBE-PROXY-FIREWALL drops' },
    { from: outside('203.0.113.7'), protocol: 'tcp', destination: '5.6.7.8', port: 80, why: 'second LoadBalancer IP' },
    { from: web, protocol: 'tcp', destination: '192.168.99.11', port: 80, why: 'external IP' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 30006, why: 'NodePort of the LoadBalancer Service' },
    { from: host, protocol: 'tcp', destination: '1.2.3.4', port: 80, why: 'the node is inside a source range' },
    { from: client, protocol: 'tcp', destination: '1.2.3.4', port: 80, why: 'a pod outside the source ranges' },
  ],
  'no-endpoints': [
    { from: client, protocol: 'tcp', destination: '172.30.0.48', port: 80, why: 'no endpoints: REJECT in filter' },
    { from: host, protocol: 'tcp', destination: '172.30.0.48', port: 80, why: 'no endpoints, from the node: REJECT in OUTPUT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 30008, why: 'NodePort without endpoints: REJECT in INPUT' },
    { from: web, protocol: 'tcp', destination: '192.168.99.12', port: 80, why: 'external IP without endpoints: REJECT in FORWARD' },
    { from: client, protocol: 'tcp', destination: '172.30.0.49', port: 80, why: 'no local endpoints: DROP' },
  ],
  'session-affinity': [
    { from: client, protocol: 'tcp', destination: '172.30.0.47', port: 80, sequential: 12, why: 'ClientIP affinity: the first connection picks, the rest follow' },
    { from: web, protocol: 'tcp', destination: '172.30.0.47', port: 80, sequential: 12, why: 'affinity for a masqueraded outside client' },
    { from: pod('10.180.0.201'), protocol: 'tcp', destination: '172.30.0.47', port: 80, sequential: 6, why: 'another client has its own affinity' },
  ],
  hairpin: [
    { from: pod('10.180.0.50'), protocol: 'tcp', destination: '172.30.0.50', port: 443, why: 'a pod reaching its own Service: hairpin masquerade' },
    { from: web, protocol: 'tcp', destination: '5.6.7.9', port: 443, why: 'LoadBalancer IP from outside' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 30443, why: 'eTP Local NodePort from outside: local endpoints, no masquerade' },
    { from: host, protocol: 'tcp', destination: '192.168.0.2', port: 30443, why: 'NodePort from the node: LOCAL source short-circuit' },
    { from: client, protocol: 'tcp', destination: '192.168.0.2', port: 30000, why: 'health check node port: ACCEPT in filter' },
  ],
  ctstate: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: '-m state NEW --dport 22 accepted' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'NEW elsewhere: CT-CHECKS returns, INPUT policy DROP' },
    { from: host, protocol: 'tcp', destination: '127.0.0.1', port: 80, why: 'NOTRACK on lo: UNTRACKED accepted' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 80, why: 'forwarded NEW: FORWARD policy DROP' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 22, why: 'udp NEW: INPUT policy DROP' },
  ],
  marks: [
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 80, why: 'MARK --set-mark 1: no masquerade mark' },
    { from: outside('10.1.0.5'), protocol: 'tcp', destination: CLIENT_POD, port: 80, why: '--or-mark 0x4000: masqueraded' },
    { from: outside('10.2.0.5'), protocol: 'tcp', destination: CLIENT_POD, port: 80, why: '--xor-mark 0x4000: masqueraded' },
    { from: outside('10.3.0.5'), protocol: 'tcp', destination: CLIENT_POD, port: 80, why: '--and-mark: no masquerade' },
    { from: outside('10.1.0.5'), protocol: 'tcp', destination: CLIENT_POD, port: 443, why: '--set-mark 0x2/0xff then --or-mark 0x4000: masqueraded' },
  ],
  firewall: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'web chain: ACCEPT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 8050, why: 'multiport range: ACCEPT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, sequential: 5, why: 'ssh: recent lists, LOG and DROP' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 25, why: 'REJECT --reject-with tcp-reset (--syn)' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 9999, why: 'REJECT tcp-reset' },
    { from: outside('192.168.10.5'), protocol: 'udp', destination: '192.168.0.2', port: 161, why: 'udp from a dotted-mask source: ACCEPT' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 161, why: 'udp from elsewhere: REJECT (not delivered)' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2222, why: 'DNAT port forward, then FORWARD policy DROP' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 5005, why: 'DNAT --persistent, FORWARD LOG and DROP' },
    { from: host, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'from the node itself over lo' },
  ],
  ipset: [
    { from: outside('203.0.113.66'), protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'hash:ip: a listed source is dropped' },
    { from: outside('203.0.113.67'), protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'hash:ip: a source not listed is delivered' },
    { from: outside('198.51.100.7'), protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'hash:net: inside a listed /24, rejected' },
    { from: outside('198.51.100.200'), protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'hash:net: a nomatch /25 inside the /24 is not in the set' },
    { from: outside('192.0.2.70'), protocol: 'tcp', destination: '192.168.0.2', port: 8443, why: 'hash:net --return-nomatch: a nomatch element matches' },
    { from: outside('192.0.2.5'), protocol: 'tcp', destination: '192.168.0.2', port: 8443, why: 'hash:net --return-nomatch: a plain element does not' },
    { from: outside('203.0.113.67'), protocol: 'tcp', destination: '192.168.0.2', port: 8081, why: 'hash:ip,port dst,dst: tcp:8081 listed, rejected' },
    { from: outside('203.0.113.67'), protocol: 'udp', destination: '192.168.0.2', port: 5353, why: 'hash:ip,port dst,dst: udp:5353 listed, dropped' },
    { from: outside('203.0.113.67'), protocol: 'udp', destination: '192.168.0.2', port: 8081, why: 'hash:ip,port: udp:8081 is not tcp:8081, delivered' },
    { from: outside('203.0.113.9'), protocol: 'tcp', destination: '192.168.0.2', port: 2222, why: 'list:set: in the first member (hash:ip), delivered' },
    { from: outside('10.1.2.3'), protocol: 'tcp', destination: '192.168.0.2', port: 2222, why: 'list:set: in the second member (hash:net), delivered' },
    { from: outside('203.0.113.67'), protocol: 'tcp', destination: '192.168.0.2', port: 2222, why: 'list:set: in no member, ! --match-set drops' },
    { from: outside('203.0.113.70'), protocol: 'tcp', destination: '192.168.0.2', port: 9000, sequential: 4, why: 'SET --add-set: the first connection passes and lists its source, the next are rejected' },
  ],
  icmp: [
    { from: web, protocol: 'icmp', destination: '10.180.0.30', port: 0, why: 'echo to a pod through FORWARD: answered' },
    { from: web, protocol: 'icmp', destination: '10.180.0.31', port: 0, why: '--icmp-type echo-request -j DROP' },
    { from: client, protocol: 'icmp', destination: '10.180.0.31', port: 0, why: 'the DROP for a bridged pod-to-pod echo' },
    { from: web, protocol: 'icmp', destination: '192.168.99.20', port: 0, why: 'echo DNATed by a rule to a pod' },
    { from: client, protocol: 'icmp', destination: '192.168.99.20', port: 0, why: 'a pod pings the DNATed address' },
    { from: client, protocol: 'tcp', destination: '203.0.113.2', port: 7, why: 'REJECT icmp-port-unreachable: the error leaves OUTPUT as RELATED' },
    { from: web, protocol: 'tcp', destination: '10.180.0.30', port: 7, why: 'REJECT for an outside client: RELATED error back out eth0' },
  ],
  'conntrack-options': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 8080, why: '--ctorigdst/--ctorigdstport see the address before DNAT: accepted to the pod' },
    { from: web, protocol: 'tcp', destination: '10.180.0.20', port: 80, why: 'straight to the pod: --ctorigdst differs, FORWARD policy DROP' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 8053, why: '--ctstatus (not confirmed yet), --ctexpire 0 (an unconfirmed entry has no timer yet)' },
    { from: outside('192.168.0.77'), protocol: 'tcp', destination: '10.180.0.20', port: 80, why: '--ctorigsrc --ctdir ORIGINAL' },
    { from: web, protocol: 'udp', destination: '10.180.0.20', port: 53, why: 'no rule for it: dropped' },
  ],
  iprange: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: '--src-range holds: ssh accepted' },
    { from: outside('203.0.113.200'), protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'outside --src-range: INPUT policy DROP' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: '! --src-range: a source inside the range is dropped' },
    { from: outside('203.0.113.200'), protocol: 'tcp', destination: '192.168.0.2', port: 80, why: '! --src-range: a source outside the range is accepted' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 53, why: '--src-range and a one-address --dst-range' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 80, why: 'forwarded into --dst-range' },
    { from: web, protocol: 'tcp', destination: '10.180.0.20', port: 80, why: 'forwarded outside --dst-range: FORWARD policy DROP' },
  ],
  owner: [
    { from: host, user: { uid: 1000, gid: 1000 }, protocol: 'tcp', destination: '203.0.113.2', port: 25, why: '--uid-owner 1000: REJECT tcp-reset' },
    { from: host, protocol: 'tcp', destination: '203.0.113.2', port: 25, why: "root's socket: --uid-owner 1000 does not match" },
    { from: host, user: { uid: 2500, gid: 2500 }, protocol: 'tcp', destination: '203.0.113.2', port: 80, why: 'uid in range, gid not 100: DROP' },
    { from: host, user: { uid: 2500, gid: 100 }, protocol: 'tcp', destination: '203.0.113.2', port: 80, why: '! --gid-owner 100 fails: accepted' },
    { from: host, user: { uid: 1000, gid: 1000 }, protocol: 'udp', destination: '203.0.113.2', port: 53, why: '! --uid-owner root: DROP' },
    { from: host, protocol: 'udp', destination: '203.0.113.2', port: 53, why: 'root may send DNS' },
    { from: client, protocol: 'tcp', destination: '203.0.113.2', port: 8443, why: 'forwarded: no socket, ! --socket-exists in mangle POSTROUTING drops' },
    { from: host, protocol: 'tcp', destination: '203.0.113.2', port: 8443, why: 'from the node: the socket exists' },
  ],
  mac: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: "the outside router's MAC: REJECT tcp-reset" },
    { from: client, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: "the pod's MAC is another: accepted" },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: "! --mac-source the pod's: DROP" },
    { from: client, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: "the pod's own MAC: accepted" },
    { from: client, protocol: 'udp', destination: '203.0.113.2', port: 53, why: "forwarded UDP from the pod's MAC: DROP in FORWARD" },
    { from: web, protocol: 'udp', destination: CLIENT_POD, port: 53, why: 'forwarded UDP from the router: accepted' },
  ],
  'set-map': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 7000, why: 'in the /28 with skbmark 0x10/0xff: --map-mark marks, REJECT by mark' },
    { from: outside('203.0.113.70'), protocol: 'tcp', destination: '192.168.0.2', port: 7000, why: 'in the element without skbinfo: the mark stays 0, accepted' },
    { from: outside('203.0.113.40'), protocol: 'tcp', destination: '192.168.0.2', port: 7000, why: 'in no element: nothing mapped, accepted' },
  ],
  socket: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'a listener on 0.0.0.0 counts with --nowildcard: marked, REJECT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'without --nowildcard a listener on 0.0.0.0 is ignored: accepted' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 443, why: '--transparent: the listener has no IP_TRANSPARENT: accepted' },
  ],
  'record-only': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'bpf, u32 and cgroup rules load and print as Linux prints them; this packet does not reach them' },
    { from: host, protocol: 'udp', destination: '203.0.113.2', port: 53, why: 'the cgroup rules are for port 9999 only' },
  ],
  limit: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, sequential: 6, why: '--limit 1/hour --limit-burst 3: three new connections, then DROP' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 53, sequential: 8, why: '--limit 2/min, default burst 5: five datagrams, then DROP' },
  ],
  hashlimit: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, sequential: 4, why: '--hashlimit-upto 1/hour, burst 2, per source: two connections, then DROP' },
    { from: outside('203.0.113.7'), protocol: 'tcp', destination: '192.168.0.2', port: 22, sequential: 3, why: 'another source has its own bucket' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 53, sequential: 5, why: '--hashlimit-above 1/min, burst 3: the fourth datagram is over and dropped' },
  ],
  connlimit: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, sequential: 2, why: '--connlimit-above 2 per /24: one connection at a time stays under' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 53, sequential: 5, why: '--connlimit-upto 3 --connlimit-daddr: three live UDP connections, then DROP' },
  ],
  'header-matches': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2201, why: '! --ttl-eq 64: a packet from one hop away has TTL 64, accepted' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2202, why: '--ttl-gt 63: REJECT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2203, why: 'TOS 0: not dropped by ! --tos 0, rejected by --dscp-class BE' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2204, why: '--pkt-type unicast: REJECT' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 2205, why: '! --pkt-type unicast fails for a unicast datagram: DROP' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2206, why: 'a SYN of 60 bytes: --length 41:100 rejects' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 8080, why: 'forwarded: TTL 63 in FORWARD, --ttl-lt 64 marks, the mark rejects' },
  ],
  rpfilter: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2301, why: 'the route back to the source leaves by eth0: passes, --invert does not drop' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2302, why: 'the reverse path is good: rpfilter matches, DROP' },
    { from: outside('192.168.0.77'), protocol: 'udp', destination: '192.168.0.2', port: 2303, why: '--loose --accept-local: matches, DROP' },
    { from: client, protocol: 'tcp', destination: '192.168.0.2', port: 2304, why: 'from a pod on cni0: good path, --invert does not drop' },
  ],
  policy: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2401, why: 'no IPsec: --pol none matches, REJECT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2402, why: 'no IPsec: --pol ipsec never matches' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 8080, why: 'forwarded, --dir out --pol none: REJECT' },
  ],
  ids: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2501, why: 'no helper expects the connection: --helper ftp fails' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2502, why: '! --helper ftp: REJECT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2503, why: 'routes have realm 0: --realm 0x0/0xff REJECT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2504, why: '--realm 0x10 fails' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 2505, why: 'eth0 is in group 0: --src-group default REJECT' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 8080, why: 'forwarded, groups 0 and 0: both negated tests hold, REJECT' },
  ],
  'security-table': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 23, why: 'filter accepts, security (after filter) drops' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'CONNSECMARK changes nothing: delivered' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 8023, why: 'forwarded: filter accepts, security FORWARD drops' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 80, why: 'forwarded elsewhere: delivered' },
    { from: host, protocol: 'udp', destination: '203.0.113.9', port: 53, why: 'security OUTPUT drops' },
  ],
  redirect: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 8080, why: 'REDIRECT to eth0\'s address, port 80' },
    { from: client, protocol: 'tcp', destination: '192.168.0.2', port: 8080, why: 'from a pod: REDIRECT to cni0\'s address' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 5353, why: 'udp REDIRECT to port 53' },
    { from: web, protocol: 'tcp', destination: '198.51.100.7', port: 443, why: 'REDIRECT without --to-ports keeps the port' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 9000, why: 'REDIRECT --to-ports 81 --random (one port)' },
    { from: host, protocol: 'tcp', destination: '203.0.113.9', port: 80, why: 'OUTPUT REDIRECT to 127.0.0.1:81' },
    { from: host, protocol: 'tcp', destination: '203.0.113.9', port: 443, why: 'no rule: leaves for the outside' },
  ],
  'nat-without-conntrack': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'no conntrack user: the nat MARK never runs, INPUT accepts' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'not marked anyway' },
  ],
  'nat-with-conntrack': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'a conntrack match elsewhere: the nat MARK runs, INPUT drops' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'not marked: delivered' },
  ],
  'ct-target': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 5001, why: 'CT --notrack: UNTRACKED, dropped' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 5002, why: 'NOTRACK: UNTRACKED, dropped' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'CT --zone 5: tracked, delivered' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 81, why: 'CT --zone-orig mark, events: delivered' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 21, why: 'CT --helper ftp: delivered' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 83, why: 'bare CT: delivered' },
  ],
  nfqueue: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 5001, why: 'NFQUEUE, nobody reads queue 3: dropped' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 5002, why: '--queue-bypass accepts: the DROP after it is not reached' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 5003, why: 'balanced queues with bypass: accepted' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 5004, why: 'queue 0, no bypass: dropped' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 5005, why: 'forwarded to a queue nobody reads: dropped' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'no NFQUEUE rule: delivered' },
  ],
  'mangle-rewrites': [
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 80, why: 'TTL set to 1: forwarding would expire it, dropped' },
    { from: web, protocol: 'tcp', destination: CLIENT_POD, port: 81, why: 'TTL -1, DSCP AF41, MSS clamped: forwarded' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 80, why: 'TTL 1 delivered locally: no forwarding, delivered' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 82, why: 'TTL +3, DSCP 10: INPUT drops port 82' },
    { from: host, protocol: 'tcp', destination: '203.0.113.2', port: 82, why: 'TCPMSS --set-mss in POSTROUTING: sent' },
  ],
  'log-targets': [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'TRACE, NFLOG and AUDIT go on: ACCEPT' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 23, why: 'NFLOG and AUDIT go on: INPUT policy DROP' },
    { from: web, protocol: 'udp', destination: '192.168.0.2', port: 53, why: 'NFLOG --nflog-size then ACCEPT' },
    { from: host, protocol: 'tcp', destination: '203.0.113.2', port: 80, why: 'CLASSIFY in POSTROUTING: sent' },
  ],
  tproxy: [
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 8080, why: 'TPROXY to port 80: no transparent socket there, dropped' },
    { from: web, protocol: 'udp', destination: CLIENT_POD, port: 53, why: 'TPROXY of a forwarded datagram: dropped' },
    { from: web, protocol: 'tcp', destination: '192.168.0.2', port: 22, why: 'no TPROXY rule: delivered' },
  ],
  'save-form': [
    { from: client, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'rules loaded from iptables-save text with counters' },
    { from: web, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'masquerade from outside' },
    { from: host, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'from the node' },
  ],
};
