import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { TrafficSimulator } from '../traffic';
import { applyManifests } from '../../cluster/apply/manifest-apply';
import { parseManifestYaml } from '../../cluster/apply/manifests';
import { ClusterFacts, causeText } from './cluster-facts';
import { Diagnoser } from './diagnose';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

describe('why a Service port has no endpoints: one cause, for the verdict and the diagnosis', () => {
  let cluster: Cluster;
  let facts: ClusterFacts;
  const type = (key: string) => cluster.store.resourceType(key);
  const web = () => facts.service('default', 'web')!;
  const http = () => web().spec.ports![0];
  /** The verdict's reason and the failing diagnose check's reason, for db-0 -> web:80. */
  const reasons = () => {
    const traffic = new TrafficSimulator(cluster);
    const d = new Diagnoser(traffic).diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    return { verdict: d.outcomes[0]?.verdict.reason, check: d.checks.find((c) => c.status === 'fail')?.reason };
  };

  beforeEach(() => {
    cluster = demo();
    facts = new ClusterFacts(cluster);
  });

  it('a selector that matches no pod, scaled to 0 or not', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    expect(facts.whyNoEndpoints(web(), http())).toEqual({ reason: 'NoEndpoints', kind: 'no-pods', scaled: [] });
    expect(reasons()).toEqual({ verdict: 'NoEndpoints', check: 'NoEndpoints' });
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'web' } } });
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 0 } });
    cluster.clock.advance(5000);
    expect(facts.whyNoEndpoints(web(), http())).toMatchObject({ reason: 'ScaledToZero', kind: 'no-pods', scaled: [{ kind: 'Deployment', name: 'web', replicas: 0 }] });
    expect(reasons()).toEqual({ verdict: 'ScaledToZero', check: 'ScaledToZero' });
  });

  it('pods that are not Ready, all for the same cause', () => {
    cluster.kubelets.stop('kind-worker');
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const cause = facts.whyNoEndpoints(web(), http());
    expect(cause).toMatchObject({ reason: 'NodeNotReady', kind: 'not-ready' });
    expect(reasons()).toEqual({ verdict: 'NodeNotReady', check: 'NodeNotReady' });
  });

  it('no selector', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: null } });
    expect(facts.whyNoEndpoints(web(), http())).toEqual({ reason: 'NoEndpoints', kind: 'no-selector' });
  });

  describe("a readiness probe's failure, as the kubelet recorded it", () => {
    const probed = (probe: string) => {
      applyManifests(
        cluster.store,
        parseManifestYaml(`apiVersion: v1
kind: Pod
metadata: {name: app-0, namespace: default, labels: {app: probed}}
spec:
  nodeName: kind-worker
  containers:
  - {name: app, image: nginx, ports: [{name: http, containerPort: 8080}], readinessProbe: ${probe}}
`),
      );
      cluster.clock.advance(10_000);
      expect(facts.pod('default', 'app-0')?.ready).toBe(true);
      cluster.store.patch(type('pods'), 'default', 'app-0', { metadata: { annotations: { 'kube-netsim.io/unhealthy': 'true' } } });
      cluster.clock.advance(20_000);
    };
    const cause = () => {
      const pod = facts.pod('default', 'app-0');
      return pod?.cause ? causeText(pod.cause) : undefined;
    };

    it('an exec probe that fails silently says so, not "failing: "', () => {
      probed('{exec: {command: [cat, /etc/hostname]}, periodSeconds: 5}');
      expect(cause()).toBe('readiness probe of container app failing (exit code 1, no output)');
    });

    it("the kubelet's last result, not the probe run again at answer time", () => {
      probed('{httpGet: {path: /healthz, port: http}, periodSeconds: 5}');
      expect(cause()).toBe('readiness probe of container app failing: HTTP probe failed with statuscode: 500');
      // The app is healthy again, but the kubelet has not probed it since: the pod is still not Ready, for the recorded reason.
      cluster.store.patch(type('pods'), 'default', 'app-0', { metadata: { annotations: { 'kube-netsim.io/unhealthy': null } } });
      expect(facts.pod('default', 'app-0')?.ready).toBe(false);
      expect(cause()).toBe('readiness probe of container app failing: HTTP probe failed with statuscode: 500');
    });
  });
});
