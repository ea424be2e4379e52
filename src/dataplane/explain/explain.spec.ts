import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import { applyManifests } from '../../cluster/apply/manifest-apply';
import { parseManifestYaml } from '../../cluster/apply/manifests';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { TrafficSimulator, type TrafficOutcome, type TrafficRequest } from '../traffic';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

describe('verdicts on traffic outcomes', () => {
  let cluster: Cluster;
  let sim: TrafficSimulator;
  const type = (key: string) => cluster.store.resourceType(key);
  const send = (request: TrafficRequest): TrafficOutcome[] => sim.send(request).outcomes;
  const only = (request: TrafficRequest): TrafficOutcome => {
    const outcomes = send(request);
    expect(outcomes).toHaveLength(1);
    return outcomes[0];
  };
  const pods = (app: string) =>
    cluster.store
      .list(type('pods'), { namespace: 'default' })
      .items.filter((p) => p.metadata.labels?.app === app)
      .map((p) => ({ name: p.metadata.name, node: (p.spec as { nodeName: string }).nodeName, ip: (p.status as { podIP?: string }).podIP }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  const clusterIP = (name: string) => (cluster.store.get(type('services'), 'default', name).spec as { clusterIP: string }).clusterIP;
  const apply = (yaml: string) => applyManifests(cluster.store, parseManifestYaml(yaml));
  const scaleWeb = (replicas: number) => cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas } });

  beforeEach(() => {
    cluster = demo();
    sim = new TrafficSimulator(cluster);
  });

  it('Delivered: names the pod, its node and the Service', () => {
    const ip = clusterIP('web');
    const outcomes = send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes.map((o) => o.verdict)).toEqual(
      pods('web').map((p) => ({ reason: 'Delivered', client: 'connected', message: `Delivered to pod default/${p.name} on ${p.node} via Service default/web (ClusterIP ${ip}:80).`, notes: [] })),
    );
  });

  it('Delivered through a headless Service: by DNS, no kube-proxy rule', () => {
    apply(`apiVersion: v1
kind: Service
metadata: {name: web-headless, namespace: default}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
`);
    const outcomes = send({ from: 'pod/default/db-0', to: 'web-headless:8080' });
    expect(outcomes.map((o) => o.verdict.message).sort()).toEqual(
      pods('web')
        .map((p) => `Delivered to pod default/${p.name} on ${p.node} through headless Service default/web-headless (DNS gave the pod's address: no kube-proxy rule is involved).`)
        .sort(),
    );
  });

  it('ScaledToZero: the Deployment behind the selector has 0 replicas', () => {
    scaleWeb(0);
    cluster.clock.advance(5000);
    expect(only({ from: 'pod/default/db-0', to: 'web:80' }).verdict).toEqual({
      reason: 'ScaledToZero',
      client: 'connection-refused',
      message:
        'default/web\'s selector app=web matches no pod: Deployment default/web is scaled to 0 replicas, so the Service has no endpoints: kube-proxy on kind-worker2 rejects the connection ("default/web:http has no endpoints").',
      notes: [],
    });
  });

  it('NoEndpoints: the selector matches no pod', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    expect(only({ from: 'pod/default/db-0', to: 'web:80' }).verdict).toEqual({
      reason: 'NoEndpoints',
      client: 'connection-refused',
      message: 'default/web\'s selector app=wbe matches no pod, so the Service has no endpoints: kube-proxy on kind-worker2 rejects the connection ("default/web:http has no endpoints").',
      notes: [],
    });
  });

  it('ReadinessProbeFailing: every matching pod fails its readiness probe, and which', () => {
    apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: nginx
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
`);
    const [pod] = pods('api');
    cluster.store.patch(type('pods'), 'default', pod.name, { metadata: { annotations: { 'kube-netsim.io/unhealthy': 'true' } } });
    cluster.clock.advance(20_000);
    expect(only({ from: 'pod/default/db-0', to: 'api:80' }).verdict).toEqual({
      reason: 'ReadinessProbeFailing',
      client: 'connection-refused',
      message: `default/api's selector app=api matches 1 pod, which is not Ready (default/${pod.name}: readiness probe of container api failing: HTTP probe failed with statuscode: 500), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/api:http has no endpoints").`,
      notes: [],
    });
  });

  it('NodeNotReady: the matching pods are on nodes whose kubelet stopped posting status', () => {
    cluster.kubelets.stop('kind-worker');
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const detail = pods('web')
      .map((p) => `default/${p.name}: its node ${p.node} is NotReady (Ready=Unknown: Kubelet stopped posting node status.)`)
      .join('; ');
    expect(only({ from: 'pod/default/db-0', to: 'web:80' }).verdict).toEqual({
      reason: 'NodeNotReady',
      client: 'connection-refused',
      message: `default/web's selector app=web matches 3 pods, none of them Ready (${detail}), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/web:http has no endpoints").`,
      notes: [],
    });
  });

  const API_CONTAINER = `
      terminationGracePeriodSeconds: 600
      containers:
      - name: api
        image: nginx
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 5}`;
  const API_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
`;
  /** One pod of app=api behind Service api, Ready (its readiness probe passes) and ignoring SIGTERM, so it lingers while terminating: a bare Pod, or a Deployment's. */
  const lingeringApi = (owner: 'Pod' | 'Deployment') => {
    const template = `metadata: {name: api-0, labels: {app: api}, annotations: {kube-netsim.io/ignore-sigterm: "true"}}
spec:${API_CONTAINER}`;
    apply(
      owner === 'Pod'
        ? `apiVersion: v1\nkind: Pod\n${template.replace('metadata: {', 'metadata: {namespace: default, ').replace(/\n {4}/g, '\n  ')}\n---\n${API_SERVICE}`
        : `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    ${template.replace('name: api-0, ', '').replace(/\n/g, '\n    ')}
---
${API_SERVICE}`,
    );
    cluster.clock.advance(10_000);
    const [pod] = pods('api');
    expect(only({ from: 'pod/default/db-0', to: 'api:80' }).verdict.reason).toBe('Delivered');
    return pod;
  };
  const failReadiness = (name: string) => {
    cluster.store.patch(type('pods'), 'default', name, { metadata: { annotations: { 'kube-netsim.io/unhealthy': 'true' } } });
    cluster.clock.advance(20_000);
  };

  it('EndpointsTerminating: a pod that was Ready, stopped passing its probe and was deleted, says why it no longer serves', () => {
    const pod = lingeringApi('Pod');
    failReadiness(pod.name);
    cluster.store.delete(type('pods'), 'default', pod.name);
    cluster.clock.advance(1000);
    const since = cluster.store.get(type('pods'), 'default', pod.name).metadata.deletionTimestamp;
    const outcome = only({ from: 'pod/default/db-0', to: 'api:80' });
    expect(outcome.verdict).toMatchObject({
      reason: 'EndpointsTerminating',
      client: 'connection-refused',
    });
    expect(outcome.verdict.message).toContain(
      `default/${pod.name}: terminating since ${since} and no longer serving: readiness probe of container api failing: HTTP probe failed with statuscode: 500`,
    );
  });

  it('ScaledToZero, not EndpointsTerminating: scaled to 0 while the pods wind down and no longer serve', () => {
    const pod = lingeringApi('Deployment');
    failReadiness(pod.name);
    cluster.store.patch(type('deployments.apps'), 'default', 'api', { spec: { replicas: 0 } });
    cluster.clock.advance(5000);
    const since = cluster.store.get(type('pods'), 'default', pod.name).metadata.deletionTimestamp;
    expect(since).toBeDefined();
    expect(only({ from: 'pod/default/db-0', to: 'api:80' }).verdict).toEqual({
      reason: 'ScaledToZero',
      client: 'connection-refused',
      message: `Deployment default/api is scaled to 0 replicas and its last pod is terminating (default/${pod.name}: terminating since ${since} and no longer serving: readiness probe of container api failing: HTTP probe failed with statuscode: 500), so default/api has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/api:http has no endpoints").`,
      notes: [],
    });
  });

  it('NoReadyEndpoints: causes that differ, each pod with its own', () => {
    apply(`apiVersion: v1
kind: Pod
metadata: {name: mix-0, namespace: default, labels: {app: mix}}
spec:
  nodeName: kind-worker
  containers:
  - {name: app, image: nginx, ports: [{containerPort: 8080}], readinessProbe: {tcpSocket: {port: 9}}}
---
apiVersion: v1
kind: Pod
metadata: {name: mix-1, namespace: default, labels: {app: mix}}
spec:
  containers:
  - {name: app, image: nginx, ports: [{containerPort: 8080}]}
  nodeSelector: {disk: none}
---
apiVersion: v1
kind: Service
metadata: {name: mix, namespace: default}
spec:
  selector: {app: mix}
  ports: [{port: 80, targetPort: 8080}]
`);
    cluster.clock.advance(5000);
    const ip = pods('mix')[0].ip;
    expect(only({ from: 'pod/default/db-0', to: 'mix:80' }).verdict).toEqual({
      reason: 'NoReadyEndpoints',
      client: 'connection-refused',
      message: `default/mix's selector app=mix matches 2 pods, none of them Ready (default/mix-0: readiness probe of container app failing: dial tcp ${ip}:9: connect: connection refused; default/mix-1: not scheduled to a node), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/mix has no endpoints").`,
      notes: [],
    });
  });

  it('the four causes that once shared one sentence give four answers', () => {
    const reasons = new Set<string>();
    const messages = new Set<string>();
    const record = (o: TrafficOutcome) => {
      expect(o.result).toBe('rejected');
      reasons.add(o.verdict.reason);
      messages.add(o.verdict.message);
    };
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    record(only({ from: 'pod/default/db-0', to: 'web:80' }));
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'web' } } });
    scaleWeb(0);
    cluster.clock.advance(5000);
    record(only({ from: 'pod/default/db-0', to: 'web:80' }));
    // Back to three replicas whose readiness probe fails (nothing listens on port 9).
    cluster.store.patch(type('deployments.apps'), 'default', 'web', {
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 9 } } }] } } },
    });
    cluster.clock.advance(60_000);
    record(only({ from: 'pod/default/db-0', to: 'web:80' }));
    cluster.kubelets.stop('kind-worker');
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    record(only({ from: 'pod/default/db-0', to: 'web:80' }));
    expect([...reasons]).toEqual(['NoEndpoints', 'ScaledToZero', 'ReadinessProbeFailing', 'NodeNotReady']);
    expect(messages.size).toBe(4);
  });

  it('NoLocalEndpoints: externalTrafficPolicy Local on a node without a ready endpoint', () => {
    cluster.store.patch(type('services'), 'default', 'web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
    expect(only({ from: { external: '203.0.113.7' }, to: '172.18.0.2:30080' }).verdict).toEqual({
      reason: 'NoLocalEndpoints',
      client: 'timed-out',
      message:
        'default/web-nodeport has externalTrafficPolicy: Local and no ready endpoint on kind-control-plane (its ready endpoints are on kind-worker and kind-worker2): kube-proxy on kind-control-plane drops the packet ("default/web-nodeport:http has no local endpoints").',
      notes: [],
    });
  });

  it('NoLocalEndpoints: internalTrafficPolicy Local from a node without a ready endpoint', () => {
    cluster.store.patch(type('services'), 'default', 'db', { spec: { internalTrafficPolicy: 'Local' } });
    const [web] = pods('web').filter((p) => p.node === 'kind-worker');
    expect(only({ from: `pod/default/${web.name}`, to: 'db:5432' }).verdict).toEqual({
      reason: 'NoLocalEndpoints',
      client: 'timed-out',
      message:
        'default/db has internalTrafficPolicy: Local and no ready endpoint on kind-worker (its ready endpoints are on kind-worker2): kube-proxy on kind-worker drops the packet ("default/db:postgres has no local endpoints").',
      notes: [],
    });
  });

  it('PortNotInService: a ClusterIP on a port the Service does not have (not "left the cluster")', () => {
    const ip = clusterIP('web');
    const o = only({ from: 'pod/default/db-0', to: 'web:443' });
    expect(o.verdict.reason).toBe('PortNotInService');
    expect(o.verdict.client).toBe('timed-out');
    expect(o.verdict.message).toBe(
      `${ip} is default/web's ClusterIP, which has no port 443 (its ports: 80/TCP): no kube-proxy rule takes the packet, so it left the cluster by kind-worker2's eth0 towards 172.18.0.1 and nothing answers.`,
    );
    expect(only({ from: 'pod/default/db-0', to: 'web:80', protocol: 'udp' }).verdict.message).toMatch(/^\S+ is default\/web's ClusterIP, which has no port 80\/UDP \(its ports: 80\/TCP\)/);
  });

  it('TargetPortNotServed: a numeric targetPort no container declares', () => {
    cluster.store.patch(type('services'), 'default', 'db', { spec: { ports: [{ name: 'postgres', port: 5432, targetPort: 5433 }] } });
    const [web] = pods('web');
    expect(only({ from: `pod/default/${web.name}`, to: 'db:5432' }).verdict).toEqual({
      reason: 'TargetPortNotServed',
      client: 'connection-refused',
      message: 'default/db sends port 5432 to targetPort 5433 of pod default/db-0, which does not serve it (no container declares 5433/TCP): the pod answers with a TCP reset.',
      notes: [],
    });
  });

  it('TargetPortNotServed: a named targetPort no matching pod declares', () => {
    cluster.store.patch(type('services'), 'default', 'db', { spec: { ports: [{ name: 'postgres', port: 5432, targetPort: 'pg' }] } });
    expect(only({ from: 'pod/default/db-0', to: 'db:5432' }).verdict).toEqual({
      reason: 'TargetPortNotServed',
      client: 'connection-refused',
      message:
        'default/db\'s port postgres targets the container port named "pg", which none of the 1 pod its selector app=db matches declares, so the Service has no endpoints: kube-proxy on kind-worker2 rejects the connection ("default/db:postgres has no endpoints").',
      notes: [],
    });
  });

  it('TerminatingFallback: a terminating endpoint still serving takes the traffic when no ready one is left', () => {
    scaleWeb(0);
    const outcomes = send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      const pod = cluster.store.get(type('pods'), 'default', o.destination!.pod!.split('/')[1]);
      expect(o.verdict.reason).toBe('Delivered');
      expect(o.verdict.notes).toEqual([
        {
          reason: 'TerminatingFallback',
          message: `Pod ${o.destination!.pod} is terminating (since ${pod.metadata.deletionTimestamp}); kube-proxy still sends default/web's traffic to it because the Service has no ready endpoint left and this one is still serving.`,
        },
      ]);
    }
  });

  it('ConntrackEntry: a packet that follows the entry an earlier sampled connection left, and which', () => {
    const sampled = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 3, sourcePort: 41000 });
    const pod = Object.keys(sampled.samples!)[0].replace(/^pod\//, '');
    const o = only({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 41000 });
    const entry = sim.network
      .conntrack('kind-worker2')
      .list()
      .find((e) => e.original.sourcePort === 41000)!;
    const target = `${o.destination!.ip}:${o.destination!.port}`;
    expect(o.verdict).toEqual({
      reason: 'Delivered',
      client: 'connected',
      message: `Delivered to pod ${pod} on ${o.destination!.node} along an existing connection.`,
      notes: [
        {
          reason: 'ConntrackEntry',
          message: `This packet belongs to a connection that kind-worker2's conntrack table already tracks (left by an earlier connection from the same address and port), so it follows that entry (destination ${target} from the entry) and kube-proxy's nat rules are not consulted: ${entry.text.replace(/\s+/g, ' ').trim()}`,
        },
      ],
    });
  });

  it('SessionAffinity: a client pinned to the endpoint it had before', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { sessionAffinity: 'ClientIP' } });
    sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 3, sourcePort: 41000 });
    const o = only({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 42000 });
    const note = o.verdict.notes.find((n) => n.reason === 'SessionAffinity')!;
    expect(note.message).toMatch(
      new RegExp(
        `^default/web has sessionAffinity: ClientIP: 10\\.244\\.2\\.2 was sent to ${o.destination!.ip.replace(/\./g, '\\.')}:8080 within the last 10800 s, so kube-proxy on kind-worker2 sends it there again \\(recent list KUBE-SEP-[A-Z0-9]{16}\\)\\.$`,
      ),
    );
  });

  it('NXDomain: the names tried along the search path', () => {
    expect(only({ from: 'pod/default/db-0', to: 'wbe:80' }).verdict).toEqual({
      reason: 'NXDomain',
      client: 'name-not-resolved',
      message: 'wbe did not resolve: NXDOMAIN for wbe.default.svc.cluster.local, wbe.svc.cluster.local, wbe.cluster.local and wbe.',
      notes: [],
    });
    expect(only({ from: 'node/kind-worker', to: 'web:80' }).verdict.message).toBe(
      "web did not resolve: NXDOMAIN for web. node/kind-worker has no cluster search path here. On a real node the resolver is the host's, not CoreDNS, and no cluster name resolves there: use the Service's ClusterIP, or send from a pod (whose resolver is CoreDNS).",
    );
  });

  it('NodePortAddressNotAllowed: a NodePort on a node address outside nodePortAddresses', () => {
    const config = cluster.kubeProxies.clusterConfiguration();
    cluster.kubeProxies.setClusterConfig({ ...config, nodePortAddresses: ['10.0.0.0/8'] });
    expect(only({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' }).verdict).toEqual({
      reason: 'NodePortAddressNotAllowed',
      client: 'connection-refused',
      message:
        "30080 is default/web-nodeport's NodePort, but kube-proxy on kind-worker serves NodePorts only on addresses in nodePortAddresses (10.0.0.0/8), and 172.18.0.3 is not one: nothing listens on 172.18.0.3:30080, so kind-worker answers with a TCP reset.",
      notes: [],
    });
  });

  it('SourceRangeRefused: loadBalancerSourceRanges refuse the client', () => {
    cluster.store.patch(type('services'), 'default', 'web-nodeport', { spec: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] } });
    const lb = (cluster.store.get(type('services'), 'default', 'web-nodeport').status as { loadBalancer: { ingress: { ip: string }[] } }).loadBalancer.ingress[0].ip;
    const outcomes = send({ from: { external: '203.0.113.7' }, to: `${lb}:80` });
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes) {
      const node = o.hops[1].node;
      expect(o.verdict).toEqual({
        reason: 'SourceRangeRefused',
        client: 'timed-out',
        message: `203.0.113.7 is not in default/web-nodeport's loadBalancerSourceRanges (10.0.0.0/8): kube-proxy on ${node} drops the packet ("default/web-nodeport:http traffic not accepted by KUBE-FW-IWCJJAMV7TQADP7P").`,
        notes: [],
      });
    }
  });

  it('Hairpin: a pod reaching itself through its Service, and why the mark was set', () => {
    const [web] = pods('web');
    const outcomes = send({ from: `pod/default/${web.name}`, to: 'web:80' });
    const self = outcomes.find((o) => o.destination!.pod === `default/${web.name}`)!;
    expect(self.verdict.notes).toEqual([
      {
        reason: 'Hairpin',
        message: expect.stringMatching(
          new RegExp(
            `^Pod default/${web.name} reached itself through default/web \\(hairpin\\): kube-proxy on ${web.node} set the masquerade mark 0x4000 in KUBE-SEP-[A-Z0-9]{16} so that the reply comes back through the node; KUBE-POSTROUTING then masqueraded the source to 10\\.244\\.\\d+\\.1:40000, which the pod sees as the client\\.$`,
          ),
        ),
      },
    ]);
    for (const o of outcomes.filter((x) => x !== self)) expect(o.verdict.notes).toEqual([]);
  });

  it('Masquerade: an outside client through a NodePort (externalTrafficPolicy: Cluster)', () => {
    const outcomes = send({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' });
    for (const o of outcomes) {
      expect(o.verdict.message).toBe(`Delivered to pod ${o.destination!.pod} on ${o.destination!.node} via Service default/web-nodeport (NodePort 172.18.0.3:30080).`);
      expect(o.verdict.notes).toEqual([
        {
          reason: 'Masquerade',
          message: `kube-proxy on kind-worker set the masquerade mark 0x4000 (KUBE-EXT-IWCJJAMV7TQADP7P -> KUBE-MARK-MASQ) because the packet came to an external entry point of default/web-nodeport (externalTrafficPolicy: Cluster), so the endpoint may be on another node and the reply must come back through this one; KUBE-POSTROUTING then masqueraded the source to ${o.seenSource}.`,
        },
      ]);
    }
  });

  it('Masquerade: a node process to a ClusterIP is not pod traffic', () => {
    const ip = clusterIP('web');
    const outcomes = send({ from: 'node/kind-worker', to: 'web.default.svc.cluster.local:80' });
    for (const o of outcomes) {
      expect(o.verdict.message).toBe(`Delivered to pod ${o.destination!.pod} on ${o.destination!.node} via Service default/web (ClusterIP ${ip}:80).`);
      expect(o.verdict.notes.map((n) => n.reason)).toEqual(['Masquerade']);
      expect(o.verdict.notes[0].message).toContain('(the rule matches ! -s 10.244.0.0/16)');
    }
  });

  it('Masquerade: masqueradeAll marks every packet to a ClusterIP', () => {
    const config = cluster.kubeProxies.clusterConfiguration();
    cluster.kubeProxies.setClusterConfig({ ...config, iptables: { ...config.iptables, masqueradeAll: true } });
    for (const o of send({ from: 'pod/default/db-0', to: 'web:80' })) {
      expect(o.verdict.notes).toEqual([
        {
          reason: 'Masquerade',
          message: expect.stringMatching(
            /^kube-proxy on kind-worker2 set the masquerade mark 0x4000 \(KUBE-SVC-[A-Z0-9]{16} -> KUBE-MARK-MASQ\) because masqueradeAll is set: every packet to a ClusterIP is masqueraded; KUBE-POSTROUTING then masqueraded the source to 10\.244\.2\.[01]:40000\.$/,
          ),
        },
      ]);
    }
  });

  it('NoRoute: a node answers ICMP host unreachable; an outside client, whose packet no node takes, hears nothing', () => {
    expect(only({ from: 'pod/default/db-0', to: '10.244.1.250:80' }).verdict).toEqual({
      reason: 'NoRoute',
      client: 'icmp-unreachable',
      message: "No pod has 10.244.1.250 on kind-worker's cni0 (ARP gets no answer: host unreachable).",
      notes: [],
    });
    expect(only({ from: { external: '203.0.113.7' }, to: '198.51.100.9:80' }).verdict).toEqual({
      reason: 'NoRoute',
      client: 'timed-out',
      message: 'No node of the cluster answers for 198.51.100.9 (not a node address, an external IP or a load-balancer address).',
      notes: [],
    });
  });

  it('LeftCluster and PortClosed', () => {
    const out = only({ from: 'pod/default/db-0', to: '8.8.8.8:443' });
    expect(out.verdict.reason).toBe('LeftCluster');
    expect(out.verdict.client).toBe('left-cluster');
    expect(out.verdict.message).toBe("The packet left the cluster by kind-worker2's eth0 towards 172.18.0.1: 8.8.8.8 is no Service, pod or node address of the cluster.");
    expect(out.verdict.notes.map((n) => n.reason)).toEqual(['Masquerade']);
    expect(only({ from: 'pod/default/db-0', to: 'pod/default/db-0:81' }).verdict).toEqual({
      reason: 'PortClosed',
      client: 'connection-refused',
      message: 'Pod default/db-0 has no tcp port 81 open (TCP reset).',
      notes: [],
    });
  });
});
