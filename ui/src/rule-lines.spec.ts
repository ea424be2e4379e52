import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrafficResponse } from './answer';
import { iptablesLines, isNftTable, nftLines, nftRuleKey, ruleKey, stepRuleKey } from './rule-lines';

/**
 * Real answers of the demo cluster with kind-worker in nftables mode (PUT .../nodes/kind-worker/kube-proxy/config
 * `{"mode": "nftables", ...}`): the traffic from a web pod on kind-worker to web:80 (`?detail=hops`), and
 * GET /netsim/v1/nodes/kind-worker/nftables.
 */
const fixture = (name: string) => readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'ui', name), 'utf8');
const answer = JSON.parse(fixture('web-from-web-pod-nftables.json')) as TrafficResponse;
const listing = fixture('kind-worker-nftables.txt');

describe('rule lines', () => {
  it('keys iptables-save lines by table, nft lines by table and chain', () => {
    expect(iptablesLines('*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-NODEPORTS\nCOMMIT').map((l) => l.key)).toEqual([null, null, ruleKey('nat', '-A KUBE-SERVICES -j KUBE-NODEPORTS'), null]);
    const lines = nftLines('table ip kube-proxy {\n\tchain services {\n\t\tjump a\n\t\tjump b\n\t}\n\n\tchain other {\n\t\ttype nat hook output priority dstnat; policy accept;\n\t\tcomment "x"\n\t\tjump a\n\t}\n}');
    const k = (chain: string, n: number) => nftRuleKey('ip kube-proxy', chain, n);
    expect(lines.map((l) => l.key)).toEqual([null, null, k('services', 1), k('services', 2), null, null, null, null, null, k('other', 1), null, null]);
    expect(isNftTable('ip kube-proxy')).toBe(true);
    expect(isNftTable('nat')).toBe(false);
  });

  it('finds every nft rule a trace step names in the node’s nft list ruleset, once, and its iptables rules not there', () => {
    const keys = nftLines(listing).map((l) => l.key);
    const steps = answer.outcomes.flatMap((o) => [...o.hops, ...o.reply]).filter((h) => h.node === 'kind-worker').flatMap((h) => h.rules);
    const nft = steps.filter((s) => s.rule && isNftTable(s.table));
    // The Service's chain, its numgen vmap, the endpoint's DNAT.
    expect(nft.map((s) => s.chain)).toEqual(expect.arrayContaining(['services', expect.stringMatching(/^service-\w{8}-default\/web\/tcp\/http$/), expect.stringMatching(/^endpoint-\w{8}-default\/web\/tcp\/http__10\.244\.\d+\.\d+\/8080$/)]));
    expect(nft.some((s) => /^numgen random mod 3 vmap \{ 0 : goto \S+ , 1 :/.test(s.rule!))).toBe(true);
    const lines = nftLines(listing);
    for (const s of nft) {
      const found = lines.filter((l) => l.key === stepRuleKey(s));
      expect([s.rule, found.length]).toEqual([s.rule, 1]);
      // The line nft lists is that rule: its target or verdict is the step's.
      const verdict = /(jump \S+|goto \S+|vmap @?\S+|dnat to \S+|masquerade fully-random|return|mark set)/.exec(s.rule!)![1];
      expect(found[0].text).toContain(verdict);
    }
    const iptables = steps.filter((s) => s.rule && !isNftTable(s.table));
    expect(iptables.length).toBeGreaterThan(0);
    for (const s of iptables) expect(keys).not.toContain(stepRuleKey(s));
  });

  it('has no key for a step without rule text', () => {
    expect(stepRuleKey(null)).toBeNull();
    expect(stepRuleKey({ hook: 'PREROUTING', table: 'ip kube-proxy', chain: 'filter-forward', ruleNumber: null, rule: null, action: 'policy accept' })).toBeNull();
  });
});
