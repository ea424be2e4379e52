import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

interface Verdict {
  reason: string;
  client: string;
  message: string;
  notes: { reason: string; message: string }[];
}
interface Outcome {
  probability: number;
  result: string;
  destination: { pod: string | null; node: string | null; ip: string; port: number } | null;
  seenSource: string | null;
  verdict: Verdict;
}
interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName: string };
  status: { podIP: string };
}

/** Every explanation case through HTTP: the exact message and reason code of each outcome's verdict. */
describe('verdicts on POST /netsim/v1/traffic (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const get = async (path: string) => (await request(t.http).get(path).expect(200)).body;
  const send = async (body: object): Promise<Outcome[]> => (await request(t.http).post('/netsim/v1/traffic').send(body).expect(200)).body.outcomes;
  const only = async (body: object): Promise<Outcome> => {
    const outcomes = await send(body);
    expect(outcomes).toHaveLength(1);
    return outcomes[0];
  };
  const patch = (path: string, body: object) => request(t.http).patch(path).set('Content-Type', 'application/merge-patch+json').send(body).expect(200);
  const advance = (seconds: number) => request(t.http).post('/netsim/v1/clock/advance').send({ seconds }).expect(200);
  const apply = (yaml: string) => request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(yaml).expect(200);
  const webPods = async (): Promise<Pod[]> =>
    ((await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as Pod[]).filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const clusterIP = async (name: string): Promise<string> => (await get(`/api/v1/namespaces/default/services/${name}`)).spec.clusterIP;
  const NO_ENDPOINTS = 'kube-proxy on kind-worker2 rejects the connection ("default/web:http has no endpoints").';

  it('Delivered: to pod X on node Y via Service Z', async () => {
    const ip = await clusterIP('web');
    const outcomes = await send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes.map((o) => o.verdict)).toEqual(
      (await webPods()).map((p) => ({
        reason: 'Delivered',
        client: 'connected',
        message: `Delivered to pod default/${p.metadata.name} on ${p.spec.nodeName} via Service default/web (ClusterIP ${ip}:80).`,
        notes: [],
      })),
    );
  });

  it('ScaledToZero', async () => {
    await patch('/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 0 } });
    await advance(5);
    expect((await only({ from: 'pod/default/db-0', to: 'web:80' })).verdict).toEqual({
      reason: 'ScaledToZero',
      client: 'connection-refused',
      message: `default/web's selector app=web matches no pod: Deployment default/web is scaled to 0 replicas, so the Service has no endpoints: ${NO_ENDPOINTS}`,
      notes: [],
    });
  });

  it('NoEndpoints: the selector matches no pod', async () => {
    await patch('/api/v1/namespaces/default/services/web', { spec: { selector: { app: 'wbe' } } });
    expect((await only({ from: 'pod/default/db-0', to: 'web:80' })).verdict).toEqual({
      reason: 'NoEndpoints',
      client: 'connection-refused',
      message: `default/web's selector app=wbe matches no pod, so the Service has no endpoints: ${NO_ENDPOINTS}`,
      notes: [],
    });
  });

  it('ReadinessProbeFailing: which pod and why', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: default, labels: {app: api}, annotations: {kube-netsim.io/unhealthy: "true"}}
spec:
  nodeName: kind-worker
  containers:
  - {name: api, image: nginx, ports: [{name: http, containerPort: 8080}], readinessProbe: {httpGet: {path: /healthz, port: http}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: default}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
`);
    await advance(20);
    expect((await only({ from: 'pod/default/db-0', to: 'api:80' })).verdict).toEqual({
      reason: 'ReadinessProbeFailing',
      client: 'connection-refused',
      message:
        'default/api\'s selector app=api matches 1 pod, which is not Ready (default/api-0: readiness probe of container api failing: HTTP probe failed with statuscode: 500), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/api:http has no endpoints").',
      notes: [],
    });
  });

  it('NodeNotReady: the kubelets stopped posting status', async () => {
    const pods = await webPods();
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
    await request(t.http).post('/netsim/v1/nodes/kind-worker2/kubelet/stop').expect(200);
    await advance(41);
    const detail = pods.map((p) => `default/${p.metadata.name}: its node ${p.spec.nodeName} is NotReady (Ready=Unknown: Kubelet stopped posting node status.)`).join('; ');
    expect((await only({ from: 'pod/default/db-0', to: 'web:80' })).verdict).toEqual({
      reason: 'NodeNotReady',
      client: 'connection-refused',
      message: `default/web's selector app=web matches 3 pods, none of them Ready (${detail}), so the Service has no ready endpoints: ${NO_ENDPOINTS}`,
      notes: [],
    });
  });

  it('NoReadyEndpoints: causes that differ, each pod with its own', async () => {
    await apply(`apiVersion: v1
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
    await advance(5);
    const ip = (await get('/api/v1/namespaces/default/pods/mix-0')).status.podIP;
    expect((await only({ from: 'pod/default/db-0', to: 'mix:80' })).verdict).toEqual({
      reason: 'NoReadyEndpoints',
      client: 'connection-refused',
      message: `default/mix's selector app=mix matches 2 pods, none of them Ready (default/mix-0: readiness probe of container app failing: dial tcp ${ip}:9: connect: connection refused; default/mix-1: not scheduled to a node), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/mix has no endpoints").`,
      notes: [],
    });
  });

  it('EndpointsTerminating: a pod that was Ready, stopped passing its probe and is terminating, with why it no longer serves', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: batch-0, namespace: default, labels: {app: batch}, annotations: {kube-netsim.io/ignore-sigterm: "true"}}
spec:
  nodeName: kind-worker
  terminationGracePeriodSeconds: 600
  containers:
  - {name: batch, image: nginx, ports: [{name: http, containerPort: 9000}], readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}}
---
apiVersion: v1
kind: Service
metadata: {name: batch, namespace: default}
spec:
  selector: {app: batch}
  ports: [{port: 9000}]
`);
    await advance(10);
    expect((await only({ from: 'pod/default/db-0', to: 'batch:9000' })).verdict.reason).toBe('Delivered');
    await patch('/api/v1/namespaces/default/pods/batch-0', { metadata: { annotations: { 'kube-netsim.io/unhealthy': 'true' } } });
    await advance(20);
    await request(t.http).delete('/api/v1/namespaces/default/pods/batch-0').expect(200);
    await advance(1);
    const since = (await get('/api/v1/namespaces/default/pods/batch-0')).metadata.deletionTimestamp;
    const o = await only({ from: 'pod/default/db-0', to: 'batch:9000' });
    expect(o.verdict.reason).toBe('EndpointsTerminating');
    expect(o.verdict.message).toBe(
      `default/batch's selector app=batch matches 1 pod, which is not Ready (default/batch-0: terminating since ${since} and no longer serving: readiness probe of container batch failing: HTTP probe failed with statuscode: 500), so the Service has no ready endpoints: kube-proxy on kind-worker2 rejects the connection ("default/batch has no endpoints").`,
    );
  });

  it('NoLocalEndpoints: externalTrafficPolicy Local', async () => {
    await patch('/api/v1/namespaces/default/services/web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
    expect((await only({ from: { external: '203.0.113.7' }, to: '172.18.0.2:30080' })).verdict).toEqual({
      reason: 'NoLocalEndpoints',
      client: 'timed-out',
      message:
        'default/web-nodeport has externalTrafficPolicy: Local and no ready endpoint on kind-control-plane (its ready endpoints are on kind-worker and kind-worker2): kube-proxy on kind-control-plane drops the packet ("default/web-nodeport:http has no local endpoints").',
      notes: [],
    });
  });

  it('NoLocalEndpoints: internalTrafficPolicy Local', async () => {
    await patch('/api/v1/namespaces/default/services/db', { spec: { internalTrafficPolicy: 'Local' } });
    const web = (await webPods()).find((p) => p.spec.nodeName === 'kind-worker')!;
    expect((await only({ from: `pod/default/${web.metadata.name}`, to: 'db:5432' })).verdict).toEqual({
      reason: 'NoLocalEndpoints',
      client: 'timed-out',
      message:
        'default/db has internalTrafficPolicy: Local and no ready endpoint on kind-worker (its ready endpoints are on kind-worker2): kube-proxy on kind-worker drops the packet ("default/db:postgres has no local endpoints").',
      notes: [],
    });
  });

  it('PortNotInService: no longer "left the cluster"', async () => {
    const ip = await clusterIP('web');
    const o = await only({ from: 'pod/default/db-0', to: 'web:443' });
    expect(o.result).toBe('external');
    expect(o.verdict).toMatchObject({
      reason: 'PortNotInService',
      client: 'timed-out',
      message: `${ip} is default/web's ClusterIP, which has no port 443 (its ports: 80/TCP): no kube-proxy rule takes the packet, so it left the cluster by kind-worker2's eth0 towards 172.18.0.1 and nothing answers.`,
    });
  });

  it('TargetPortNotServed: the pod does not serve the targetPort', async () => {
    await patch('/api/v1/namespaces/default/services/db', { spec: { ports: [{ name: 'postgres', port: 5432, targetPort: 5433 }] } });
    const [web] = await webPods();
    expect((await only({ from: `pod/default/${web.metadata.name}`, to: 'db:5432' })).verdict).toEqual({
      reason: 'TargetPortNotServed',
      client: 'connection-refused',
      message: 'default/db sends port 5432 to targetPort 5433 of pod default/db-0, which does not serve it (no container declares 5433/TCP): the pod answers with a TCP reset.',
      notes: [],
    });
  });

  it('TerminatingFallback: a terminating endpoint used when no ready one is left', async () => {
    await patch('/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 0 } });
    const outcomes = await send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      const pod = await get(`/api/v1/namespaces/default/pods/${o.destination!.pod!.split('/')[1]}`);
      expect(o.verdict.notes).toEqual([
        {
          reason: 'TerminatingFallback',
          message: `Pod ${o.destination!.pod} is terminating (since ${pod.metadata.deletionTimestamp}); kube-proxy still sends default/web's traffic to it because the Service has no ready endpoint left and this one is still serving.`,
        },
      ]);
    }
  });

  it('ConntrackEntry: which entry an earlier sampled connection left', async () => {
    await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 3, sourcePort: 41000 });
    const o = await only({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 41000 });
    const entries = (await get('/netsim/v1/nodes/kind-worker2/conntrack')).items as { original: { sourcePort: number }; text: string }[];
    const entry = entries.find((e) => e.original.sourcePort === 41000)!;
    expect(o.verdict.message).toBe(`Delivered to pod ${o.destination!.pod} on ${o.destination!.node} along an existing connection.`);
    expect(o.verdict.notes).toEqual([
      {
        reason: 'ConntrackEntry',
        message: `This packet belongs to a connection that kind-worker2's conntrack table already tracks (left by an earlier connection from the same address and port), so it follows that entry (destination ${o.destination!.ip}:8080 from the entry) and kube-proxy's nat rules are not consulted: ${entry.text.replace(/\s+/g, ' ').trim()}`,
      },
    ]);
  });

  it('SessionAffinity: pinned to the endpoint it had', async () => {
    await patch('/api/v1/namespaces/default/services/web', { spec: { sessionAffinity: 'ClientIP' } });
    await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 3 });
    const o = await only({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 45000 });
    expect(o.verdict.notes.map((n) => n.reason)).toEqual(['SessionAffinity']);
    expect(o.verdict.notes[0].message).toMatch(
      new RegExp(`^default/web has sessionAffinity: ClientIP: 10\\.244\\.2\\.2 was sent to ${o.destination!.ip.replace(/\./g, '\\.')}:8080 within the last 10800 s, so kube-proxy on kind-worker2 sends it there again \\(recent list KUBE-SEP-[A-Z0-9]{16}\\)\\.$`),
    );
  });

  it('NXDomain: the names tried along the search path', async () => {
    expect((await only({ from: 'pod/default/db-0', to: 'wbe:80' })).verdict).toEqual({
      reason: 'NXDomain',
      client: 'name-not-resolved',
      message: 'wbe did not resolve: NXDOMAIN for wbe.default.svc.cluster.local, wbe.svc.cluster.local, wbe.cluster.local and wbe.',
      notes: [],
    });
  });

  it('NodePortAddressNotAllowed: outside nodePortAddresses', async () => {
    await request(t.http).put('/netsim/v1/kube-proxy/config').send({ nodePortAddresses: ['10.0.0.0/8'] }).expect(200);
    expect((await only({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' })).verdict).toEqual({
      reason: 'NodePortAddressNotAllowed',
      client: 'connection-refused',
      message:
        "30080 is default/web-nodeport's NodePort, but kube-proxy on kind-worker serves NodePorts only on addresses in nodePortAddresses (10.0.0.0/8), and 172.18.0.3 is not one: nothing listens on 172.18.0.3:30080, so kind-worker answers with a TCP reset.",
      notes: [],
    });
  });

  it('SourceRangeRefused: loadBalancerSourceRanges', async () => {
    await patch('/api/v1/namespaces/default/services/web-nodeport', { spec: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] } });
    const lb = (await get('/api/v1/namespaces/default/services/web-nodeport')).status.loadBalancer.ingress[0].ip;
    const outcomes = await send({ from: { external: '203.0.113.7' }, to: `${lb}:80` });
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes) {
      expect(o.verdict.reason).toBe('SourceRangeRefused');
      expect(o.verdict.client).toBe('timed-out');
      expect(o.verdict.message).toMatch(
        /^203\.0\.113\.7 is not in default\/web-nodeport's loadBalancerSourceRanges \(10\.0\.0\.0\/8\): kube-proxy on kind-worker2? drops the packet \("default\/web-nodeport:http traffic not accepted by KUBE-FW-[A-Z0-9]{16}"\)\.$/,
      );
    }
  });

  it('Hairpin and Masquerade: the mark 0x4000 and why it was set', async () => {
    const [web] = await webPods();
    const outcomes = await send({ from: `pod/default/${web.metadata.name}`, to: 'web:80' });
    const self = outcomes.find((o) => o.destination!.pod === `default/${web.metadata.name}`)!;
    expect(self.verdict.notes.map((n) => n.reason)).toEqual(['Hairpin']);
    expect(self.verdict.notes[0].message).toContain(`Pod default/${web.metadata.name} reached itself through default/web (hairpin): kube-proxy on ${web.spec.nodeName} set the masquerade mark 0x4000`);

    const nodePort = await send({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' });
    for (const o of nodePort) {
      expect(o.verdict.notes).toEqual([
        {
          reason: 'Masquerade',
          message: `kube-proxy on kind-worker set the masquerade mark 0x4000 (KUBE-EXT-IWCJJAMV7TQADP7P -> KUBE-MARK-MASQ) because the packet came to an external entry point of default/web-nodeport (externalTrafficPolicy: Cluster), so the endpoint may be on another node and the reply must come back through this one; KUBE-POSTROUTING then masqueraded the source to ${o.seenSource}.`,
        },
      ]);
    }
  });

  it('a kept answer is not served stale: the Deployment scaled to 0 behind a selector that already matched nothing', async () => {
    await request(t.http).delete('/api/v1/namespaces/default/services/web-nodeport').expect(200);
    await patch('/api/v1/namespaces/default/services/web', { spec: { selector: { app: 'web', tier: 'front' } } });
    const body = { from: 'pod/default/db-0', to: 'web:80' };
    expect((await only(body)).verdict.reason).toBe('NoEndpoints');
    expect((await only(body)).verdict.reason).toBe('NoEndpoints'); // from the answer cache
    const rules = (await request(t.http).get('/netsim/v1/nodes/kind-worker2/iptables').expect(200)).text;
    await patch('/apis/apps/v1/namespaces/default/deployments/web', { spec: { replicas: 0, template: { metadata: { labels: { app: 'web', tier: 'front' } } } } });
    expect((await request(t.http).get('/netsim/v1/nodes/kind-worker2/iptables').expect(200)).text).toBe(rules);
    expect((await only(body)).verdict.reason).toBe('ScaledToZero');
  });

  it('NoRoute: ICMP host unreachable from a node, nothing for an outside client', async () => {
    expect((await only({ from: 'pod/default/db-0', to: '10.244.1.250:80' })).verdict).toEqual({
      reason: 'NoRoute',
      client: 'icmp-unreachable',
      message: "No pod has 10.244.1.250 on kind-worker's cni0 (ARP gets no answer: host unreachable).",
      notes: [],
    });
    expect((await only({ from: { external: '203.0.113.7' }, to: '198.51.100.9:80' })).verdict).toMatchObject({ reason: 'NoRoute', client: 'timed-out' });
  });

  it('LeftCluster and PortClosed, and a verdict on every sampled outcome', async () => {
    expect((await only({ from: 'pod/default/db-0', to: '8.8.8.8:53' })).verdict).toMatchObject({ reason: 'LeftCluster', client: 'left-cluster' });
    expect((await only({ from: 'pod/default/db-0', to: 'pod/default/db-0:81' })).verdict).toMatchObject({ reason: 'PortClosed', client: 'connection-refused' });
    const sampled = await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 20, seed: 9 });
    for (const o of sampled) expect(o.verdict.reason).toBe('Delivered');
  });
});
