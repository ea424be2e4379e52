import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrafficResponse } from './answer';
import { conntrackEntry, explanation, hopBoundary, placeOf, rewriteOf, rulesHit, stepOfRule, stepsOf } from './trace-model';

/** Real answers of the demo cluster (POST /netsim/v1/traffic?detail=hops), from a web pod to web:80 and from outside to the NodePort. */
function answer(name: string): TrafficResponse {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'ui', name), 'utf8')) as TrafficResponse;
}

describe('trace model', () => {
  const web = answer('web-from-web-pod.json');

  it('reads the rewrites from the rule actions, conntrack reverse NAT included', () => {
    expect(rewriteOf('DNAT to 10.244.1.2:8080')).toEqual({ destination: '10.244.1.2', destinationPort: 8080 });
    expect(rewriteOf('MASQUERADE to 10.244.1.1:40000 (port chosen at random by the kernel)')).toEqual({ source: '10.244.1.1', sourcePort: 40000 });
    expect(rewriteOf('reverse SNAT from the connection: destination 203.0.113.7:40000')).toEqual({ destination: '203.0.113.7', destinationPort: 40000 });
    expect(rewriteOf('reverse DNAT from the connection: source 172.18.0.3:30080')).toEqual({ source: '172.18.0.3', sourcePort: 30080 });
    expect(rewriteOf('DNAT to [fd00:10:244:1::2]:8080')).toEqual({ destination: 'fd00:10:244:1::2', destinationPort: 8080 });
    expect(rewriteOf('MASQUERADE to [fd00:10:244:1::]:40000 (port chosen at random by the kernel)')).toEqual({ source: 'fd00:10:244:1::', sourcePort: 40000 });
    expect(rewriteOf('jump KUBE-SERVICES')).toBeNull();
  });

  it('places each hop: the pod, the node, or the outside', () => {
    const hops = web.outcomes[2].hops;
    expect(hops.map((h) => placeOf(h).id)).toEqual([
      'pod:default/web-7b74c6d9d8-cq7fg',
      'node:kind-worker',
      'node:kind-worker',
      'node:kind-worker2',
      'node:kind-worker2',
      'pod:default/web-7b74c6d9d8-lhrp9',
    ]);
    expect(placeOf(answer('nodeport-from-outside.json').outcomes[0].hops[0])).toEqual({ kind: 'outside', id: 'outside' });
  });

  it('walks the request hop by hop and rule by rule, then the reply, marking the step that rewrote the destination', () => {
    const steps = stepsOf(web.outcomes[0]);
    const o = web.outcomes[0];
    const ruleSteps = (hops: typeof o.hops) => hops.reduce((n, h) => n + 1 + h.rules.length, 0);
    expect(steps).toHaveLength(ruleSteps(o.hops) + ruleSteps(o.reply));
    expect(steps.map((s) => s.index)).toEqual(steps.map((_, i) => i));
    const dnat = steps.find((s) => s.rule?.action.startsWith('DNAT'))!;
    expect(dnat.changed).toEqual(['destination', 'destinationPort']);
    expect(dnat.packet).toMatchObject({ source: '10.244.1.2', destination: '10.244.1.2', destinationPort: 8080 });
    expect(steps[dnat.index - 1].packet).toMatchObject({ destination: '10.102.174.131', destinationPort: 80 });
    const masq = steps.find((s) => s.rule?.action.startsWith('MASQUERADE'))!;
    expect(masq.changed).toEqual(['source']);
    // The reply comes back un-NATed: the client sees the Service address.
    const last = steps[steps.length - 1];
    expect(last.direction).toBe('reply');
    expect(last.packet).toMatchObject({ source: '10.102.174.131', sourcePort: 80, destination: '10.244.1.2', destinationPort: 40000 });
  });

  it("gives the node's conntrack entry, the reply using the request's", () => {
    const steps = stepsOf(web.outcomes[0]);
    const entry = 'tcp src=10.244.1.2 dst=10.102.174.131 sport=40000 dport=80 src=10.244.1.2 dst=10.244.1.1 sport=8080 dport=40000';
    expect(steps.find((s) => s.direction === 'request' && s.place.kind === 'node')!.conntrack).toBe(entry);
    expect(steps.find((s) => s.direction === 'reply' && s.place.kind === 'node')!.conntrack).toBe(entry);
    expect(conntrackEntry({ protocol: 'udp', source: 'a', sourcePort: 1, destination: 'b', destinationPort: 2 }, { protocol: 'udp', source: 'a', sourcePort: 1, destination: 'b', destinationPort: 2 })).toBe(
      'udp src=a dst=b sport=1 dport=2 src=b dst=a sport=2 dport=1',
    );
  });

  it('shows the outer UDP flow as the VXLAN hops’ conntrack entry and keeps the inner packet as it is', () => {
    const steps = stepsOf(web.outcomes[2]);
    const vxlan = steps.filter((s) => s.hop.encapsulation && s.direction === 'request');
    expect(vxlan.length).toBeGreaterThan(0);
    for (const s of vxlan) {
      expect(s.conntrack).toMatch(/^udp src=172\.18\.0\.3 dst=172\.18\.0\.4 sport=\d+ dport=8472 src=172\.18\.0\.4 dst=172\.18\.0\.3/);
      expect(s.changed).toEqual([]);
    }
  });

  it('steps hop by hop: forward to the next hop, back to the start of this one, then the one before', () => {
    const steps = stepsOf(web.outcomes[0]);
    const starts = steps.filter((s) => s.ruleIndex === null).map((s) => s.index);
    expect(hopBoundary(steps, 0, 1)).toBe(starts[1]);
    expect(hopBoundary(steps, starts[1] + 3, -1)).toBe(starts[1]);
    expect(hopBoundary(steps, starts[1], -1)).toBe(starts[0]);
    expect(hopBoundary(steps, steps.length - 1, 1)).toBe(steps.length - 1);
  });

  it('links the rules hit on a node with their steps', () => {
    const steps = stepsOf(web.outcomes[0]);
    const hit = rulesHit(steps, 'kind-worker');
    const dnat = [...hit].find((r) => r.includes('--to-destination 10.244.1.2:8080'))!;
    expect(dnat).toBeDefined();
    expect(steps[stepOfRule(steps, 'kind-worker', dnat)].rule?.action).toBe('DNAT to 10.244.1.2:8080');
    expect(stepOfRule(steps, 'kind-worker2', dnat)).toBe(-1);
  });

  it('explains with the verdict when the answer has one, else with the result', () => {
    expect(explanation(web.outcomes[0])).toBe('Delivered to pod default/web-7b74c6d9d8-cq7fg on kind-worker at 10.244.1.2:8080, which sees the client as 10.244.1.1:40000.');
    expect(explanation({ ...web.outcomes[0], result: 'rejected', reason: 'rejected on kind-worker (icmp-port-unreachable)' })).toBe('rejected: rejected on kind-worker (icmp-port-unreachable)');
    const verdict = { reason: 'NoEndpoints' as const, client: 'connection-refused' as const, message: 'default/web has no endpoints.', notes: [] };
    expect(explanation({ ...web.outcomes[0], verdict })).toBe('default/web has no endpoints.');
  });
});
