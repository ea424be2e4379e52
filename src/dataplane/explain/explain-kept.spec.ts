import { buildCluster } from '../../app.module';
import { applyManifests } from '../../cluster/apply/manifest-apply';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import { parseManifestYaml } from '../../cluster/apply/manifests';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { printIptablesSave } from '../../netfilter/iptables-save.printer';
import { TrafficSimulator } from '../traffic';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

/** Verdicts in kept (frozen) answers and in sample mode; the verdicts themselves are in explain.spec.ts. */
describe('kept answers and verdicts', () => {
  it('a kept answer is not served once store state only the verdict reads has changed', () => {
    const cluster = demo();
    const sim = new TrafficSimulator(cluster);
    const type = (key: string) => cluster.store.resourceType(key);
    // A selector that matches nothing: the rules say "no endpoints" whatever the Deployment asks for.
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'web', tier: 'front' } } });
    cluster.store.delete(type('services'), 'default', 'web-nodeport');
    const request = { from: 'pod/default/db-0', to: 'web:80' };
    const before = sim.send(request);
    expect(sim.send(request)).toBe(before);
    expect(before.outcomes[0].verdict.reason).toBe('NoEndpoints');
    const rules = printIptablesSave(cluster.kubeProxies.proxy('kind-worker2').ruleset);

    // Scaling the Deployment to 0 changes no rule and the clock stands still: only what the verdict says changes.
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 0, template: { metadata: { labels: { app: 'web', tier: 'front' } } } } });
    const after = sim.send(request);
    expect(printIptablesSave(cluster.kubeProxies.proxy('kind-worker2').ruleset)).toBe(rules);
    expect(after).not.toBe(before);
    expect(after.outcomes[0].verdict.reason).toBe('ScaledToZero');
  });

  it("a pod's readiness reason changing, the rules and the clock the same, gives a new verdict", () => {
    const cluster = demo();
    const sim = new TrafficSimulator(cluster);
    const type = (key: string) => cluster.store.resourceType(key);
    applyManifests(
      cluster.store,
      parseManifestYaml(`apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: default, labels: {app: api}, annotations: {kube-netsim.io/unhealthy: "true"}}
spec:
  nodeName: kind-worker
  containers:
  - {name: api, image: nginx, ports: [{name: http, containerPort: 8080}], readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 30}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
`),
    );
    cluster.clock.advance(5000);
    const request = { from: 'pod/default/db-0', to: 'api:80' };
    const rules = () => printIptablesSave(cluster.kubeProxies.proxy('kind-worker2').ruleset);
    const first = sim.send(request);
    const firstRules = rules();
    expect(first.outcomes[0].verdict.message).toContain('readiness probe of container api failing: HTTP probe failed with statuscode: 500');
    // The app is healthy again; the kubelet has not probed since: the verdict tells what the kubelet recorded, not a probe run now.
    cluster.store.patch(type('pods'), 'default', 'api-0', { metadata: { annotations: { 'kube-netsim.io/unhealthy': null } } });
    expect(sim.send(request).outcomes[0].verdict).toEqual(first.outcomes[0].verdict);
    // The kubelet's Unhealthy event gone (its time to live ran out): the pod is not Ready yet, for another reason.
    const events = type('events');
    for (const e of cluster.store.list(events, { namespace: 'default' }).items) if (e.reason === 'Unhealthy') cluster.store.delete(events, 'default', e.metadata.name);
    const second = sim.send(request);
    expect(rules()).toBe(firstRules);
    expect(second).not.toBe(first);
    expect(second.outcomes[0].verdict.message).toContain('default/api-0: containers with unready status: [api]');
  });
});

describe('verdicts in sample mode', () => {
  it('connections pinned by session affinity are told apart from the first, which chose at random', () => {
    const cluster = demo();
    const sim = new TrafficSimulator(cluster);
    cluster.store.patch(cluster.store.resourceType('services'), 'default', 'web', { spec: { sessionAffinity: 'ClientIP' } });
    const { outcomes, samples } = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 10, seed: 4 });
    expect(Object.values(samples!)).toEqual([10]);
    expect(outcomes.map((o) => [o.connections, o.verdict.notes.map((n) => n.reason)])).toEqual([
      [1, []],
      [9, ['SessionAffinity']],
    ]);
  });
});
