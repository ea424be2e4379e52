import { BUILTIN_JUMP_RULES, builtinChainsAfterEnsure, forwardRules, masqueradeRules, nodePortTailRules } from './fixed-rules';
import { NodePortAddresses } from './node-facts';
import { parseIpSloppy } from './ip';

describe('built-in jump rules', () => {
  it('are processed in upstream order and end up reversed in each chain of a fresh node (reference §3)', () => {
    expect(BUILTIN_JUMP_RULES).toHaveLength(14);
    const chains = builtinChainsAfterEnsure();
    expect(chains.get('filter/INPUT')).toEqual([
      '-A INPUT -j KUBE-FIREWALL',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    expect(chains.get('filter/FORWARD')).toEqual([
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    expect(chains.get('nat/PREROUTING')).toEqual(['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(chains.get('nat/POSTROUTING')).toEqual(['-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
  });
});

describe('fixed rules', () => {
  it('masquerade with and without --random-fully', () => {
    expect(masqueradeRules('0x00004000', true)).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      '-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000',
    ]);
  });

  it('drop INVALID unless tcp_be_liberal', () => {
    expect(forwardRules('0x4000', false, false)[0]).toBe('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
    expect(forwardRules('0x4000', true, true)).toHaveLength(2);
  });

  it('skip loopback node IPs in the per-address tail rules when localhost NodePorts are off', () => {
    const addresses = new NodePortAddresses('IPv4', ['127.0.0.0/8', '192.168.0.0/24']);
    const ips = () => [parseIpSloppy('127.0.0.1')!, parseIpSloppy('192.168.0.2')!];
    const off = nodePortTailRules('IPv4', false, addresses, ips);
    expect(off.rules).toHaveLength(1);
    expect(off.rules[0]).toContain('-d 192.168.0.2 -j KUBE-NODEPORTS');
    expect(off.skipped).toEqual(['127.0.0.1: nodePortAddresses includes localhost but iptables.localhostNodePorts is false']);
    expect(nodePortTailRules('IPv4', true, addresses, ips).rules).toHaveLength(2);
  });
});
