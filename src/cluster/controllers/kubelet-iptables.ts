/**
 * The rules a kubelet (1.32) sets up on its node before kube-proxy runs
 * (upstream `pkg/kubelet/kubelet_network_linux.go`): its canary chains, the
 * `KUBE-IPTABLES-HINT` chain telling other components which iptables mode
 * to use, and `KUBE-FIREWALL`, which drops traffic to 127.0.0.0/8 from
 * elsewhere. kube-proxy writes an identical `KUBE-FIREWALL`; because the
 * kubelet's jumps come first, they stay at the bottom of INPUT and OUTPUT.
 */
export const KUBELET_IPTABLES = `*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*nat
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*filter
:KUBE-FIREWALL - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
-A INPUT -j KUBE-FIREWALL
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
COMMIT
`;

/**
 * The kubelet's ip6tables chains: the same canaries and hint chain, and no
 * `KUBE-FIREWALL` (upstream sets up the localnet rule for IPv4 only, as
 * `::1` is never routed from outside).
 */
export const KUBELET_IP6TABLES = `*mangle
:KUBE-IPTABLES-HINT - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*nat
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
*filter
:KUBE-KUBELET-CANARY - [0:0]
COMMIT
`;
