/**
 * `GET /netsim/v1/nodes/{node}/iptables/diff`: is the node's kube-proxy view
 * out of date? The rules on the node (imported, or kube-proxy's own)
 * against what kube-proxy would write now for the cluster's Services and
 * EndpointSlices, in words per Service port and endpoint (src/kube-proxy/
 * rules-diff.ts), with the cluster's reason for each stale one, and on
 * request a unified diff of the two texts.
 */
import { unifiedDiff } from '../common/unified-diff';
import { diffServiceRules, type DiffContext, type Finding } from '../kube-proxy/rules-diff';
import { readServiceRules, type ServicePortRules } from '../kube-proxy/rules-view';
import { printIptablesSave } from '../netfilter/iptables-save.printer';
import type { Ruleset } from '../netfilter/ruleset';
import type { Cluster } from './cluster';
import { isPodReady, isPodTerminating } from './controllers/pod-template';
import type { NodeStatus } from './resources/node.types';
import type { KubeObject } from './store/types';

export interface NodeRulesDiff {
  node: string;
  /** Whose rules are on the node: `imported` (PUT .../iptables) or `kube-proxy`. */
  rules: 'imported' | 'kube-proxy';
  /** When the rules were imported (RFC 3339), for imported rules. */
  importedAt?: string;
  /** Nothing differs. */
  upToDate: boolean;
  summary: { missing: number; stale: number; differs: number };
  /** Service ports the node's rules name, and those kube-proxy would write now. */
  servicePorts: { node: number; kubeProxy: number };
  /** In Service-port order: missing, then stale, then what differs. */
  findings: Finding[];
  /** Chains of other programs (CNI, firewall) on the node, not compared (`table/CHAIN`). */
  ignoredChains: string[];
  /** `unified=true`: `diff -u` of the two texts, kube-proxy's and the kubelet's lines only. */
  unified?: string;
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

/**
 * The iptables-save text of kube-proxy's and the kubelet's part of a ruleset:
 * their chains, and the jumps into them from the built-in chains; other
 * programs' chains and rules, and built-in policies, left out.
 */
export function kubeOnlySave(ruleset: Ruleset): string {
  const out: string[] = [];
  let table: string[] = [];
  let kept = false;
  for (const line of printIptablesSave(ruleset, { comments: false }).split('\n')) {
    if (line.startsWith('*')) {
      table = [line];
      kept = false;
    } else if (line === 'COMMIT') {
      if (kept) out.push(...table, line);
    } else if (line.startsWith(':')) {
      if (line.startsWith(':KUBE-')) {
        table.push(line);
        kept = true;
      }
    } else if (line.startsWith('-A ')) {
      const chain = line.slice(3, line.indexOf(' ', 3) < 0 ? undefined : line.indexOf(' ', 3));
      if (chain.startsWith('KUBE-') || (BUILTIN_CHAINS.has(chain) && / -[jg] KUBE-/.test(line))) {
        table.push(line);
        kept = true;
      }
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** What the store says about the Service ports and endpoints the node's rules name. */
function storeContext(cluster: Cluster): DiffContext {
  const { store } = cluster;
  const byIp = new Map<string, KubeObject>();
  for (const pod of store.list(store.resourceType('pods')).items) {
    const status = (pod.status ?? {}) as { podIP?: string; podIPs?: { ip: string }[] };
    for (const ip of [status.podIP, ...(status.podIPs ?? []).map((p) => p.ip)]) {
      // A running pod wins over a finished one with the same address.
      if (ip && (!byIp.has(ip) || isPodReady(pod))) byIp.set(ip, pod);
    }
  }
  const nodeByIp = new Map<string, string>();
  for (const node of store.list(store.resourceType('nodes')).items) {
    for (const a of ((node.status ?? {}) as NodeStatus).addresses ?? []) if (a.type === 'InternalIP') nodeByIp.set(a.address, node.metadata.name);
  }
  const ipOf = (endpoint: string) => endpoint.slice(0, endpoint.lastIndexOf(':'));
  const podName = (pod: KubeObject) => `pod ${pod.metadata.namespace}/${pod.metadata.name}`;
  return {
    whyNoServicePort(p: ServicePortRules): string {
      const service = store.tryGet(store.resourceType('services'), p.namespace, p.service);
      const id = `${p.namespace}/${p.service}`;
      if (!service) return `Service ${id} is gone`;
      const spec = (service.spec ?? {}) as { type?: string; clusterIP?: string; ports?: { name?: string }[] };
      if (spec.type === 'ExternalName') return `${id} is an ExternalName Service now`;
      if (spec.clusterIP === 'None') return `${id} is headless now`;
      const has = (spec.ports ?? []).some((port) => (port.name ?? '') === p.port);
      if (!has) return p.port ? `${id} has no port "${p.port}" now` : `${id} has named ports now`;
      return `kube-proxy would write no rule for ${p.name} now`;
    },
    whyNoEndpoint(_p: ServicePortRules, endpoint: string): string {
      const ip = ipOf(endpoint);
      const pod = byIp.get(ip);
      if (!pod) return nodeByIp.has(ip) ? `node ${nodeByIp.get(ip)}'s address, no longer an endpoint` : `no pod has address ${ip}: pod gone`;
      if (isPodTerminating(pod)) return `${podName(pod)} is terminating`;
      if (!isPodReady(pod)) return `${podName(pod)} is not Ready`;
      return `${podName(pod)} is no longer among the Service's endpoints`;
    },
    endpointOwner(endpoint: string): string | undefined {
      const ip = ipOf(endpoint);
      const pod = byIp.get(ip);
      if (pod) return podName(pod);
      return nodeByIp.has(ip) ? `node ${nodeByIp.get(ip)}` : undefined;
    },
  };
}

export function diffNodeRules(cluster: Cluster, node: string, options: { unified?: boolean } = {}): NodeRulesDiff {
  const proxies = cluster.kubeProxies;
  const onNode = proxies.proxy(node).ruleset;
  const imported = proxies.importedRules(node);
  const expected = proxies.wouldWrite(node);
  const expectedView = readServiceRules(expected);
  // Chains whose commented rules were removed from the node still belong to their port (chain names are the port's hashes).
  const hints = new Map<string, { namespace: string; service: string; port: string }>();
  for (const p of expectedView.ports.values()) for (const chain of p.chains) hints.set(chain, p);
  const nodeView = readServiceRules(onNode, hints);
  const findings = diffServiceRules(nodeView, expectedView, storeContext(cluster));
  const count = (kind: Finding['kind']) => findings.filter((f) => f.kind === kind).length;
  const answer: NodeRulesDiff = {
    node,
    rules: imported ? 'imported' : 'kube-proxy',
    ...(imported ? { importedAt: new Date(imported.at).toISOString() } : {}),
    upToDate: findings.length === 0,
    summary: { missing: count('missing'), stale: count('stale'), differs: count('differs') },
    servicePorts: { node: nodeView.ports.size, kubeProxy: expectedView.ports.size },
    findings,
    ignoredChains: nodeView.foreignChains,
  };
  if (options.unified) {
    answer.unified = unifiedDiff(kubeOnlySave(onNode), kubeOnlySave(expected), {
      from: `${node} (${imported ? 'imported rules' : "kube-proxy's rules"} on the node)`,
      to: `${node} (what kube-proxy would write now)`,
    });
  }
  return answer;
}
