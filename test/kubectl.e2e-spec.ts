import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The real kubectl (no code of ours) against the emulator: what a user sees.
 * kubectl is installed on every machine of this project (see docs/kubectl.md).
 */
const run = promisify(execFile);

describe('kubectl against kube-netsim (e2e)', () => {
  // Each test runs several kubectl processes: on a busy machine that takes more than Jest's 5 s.
  jest.setTimeout(60000);
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    try {
      const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`);
    }
  };
  const kubectlFails = async (...args: string[]) => {
    try {
      await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded, expected it to fail`);
  };

  beforeAll(() => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-kubectl-'));
  });
  beforeEach(async () => {
    t = await startListeningApp(DEMO);
  });
  afterEach(() => t.close());

  it('gets nodes, pods, services and endpointslices with the columns a real cluster prints', async () => {
    const out = await kubectl('get', 'nodes,pods,services,endpointslices', '-A');
    expect(out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/m);
    expect(out).toMatch(/^node\/kind-control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.32\.4$/m);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(out).toMatch(/^kube-system\s+pod\/coredns-[a-z0-9]{8,10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+$/m);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    expect(out).toMatch(/^kube-system\s+service\/kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s+\S+$/m);
    expect(out).toMatch(/^default\s+service\/web-nodeport\s+NodePort\s+10\.\S+\s+<none>\s+80:30080\/TCP\s+\S+$/m);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
    expect(out).toMatch(/^default\s+endpointslice\.discovery\.k8s\.io\/kubernetes\s+IPv4\s+6443\s+172\.18\.0\.2\s+\S+$/m);
    const wide = await kubectl('get', 'pods', '-o', 'wide', '-n', 'default');
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    expect(wide).toMatch(/^db-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.2\.2\s+kind-worker2\s+<none>\s+<none>$/m);
  });

  it('prints a Service as YAML', async () => {
    const yaml = await kubectl('get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'yaml');
    expect(yaml).toContain('clusterIP: 10.96.0.10');
    expect(yaml).toContain('kind: Service');
    expect(yaml).toMatch(/- name: dns\n\s+port: 53\n\s+protocol: UDP\n\s+targetPort: 53/);
    expect(yaml.endsWith('  sessionAffinity: None\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n')).toBe(true);
    const pod = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'yaml');
    for (const line of ['imagePullPolicy: IfNotPresent', 'terminationMessagePolicy: File', 'enableServiceLinks: true', 'preemptionPolicy: PreemptLowerPriority', 'serviceAccount: default', 'securityContext: {}']) {
      expect(pod).toContain(line);
    }
  });

  it('creates, applies twice (the second a strategic merge patch), scales, deletes', async () => {
    const file = path.join(dir, 'shop.yaml');
    const manifest = (target: number) => `apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports:
  - {name: http, port: 80, targetPort: ${target}}
`;
    writeFileSync(file, manifest(8080));
    expect(await kubectl('create', '-f', file)).toBe('service/shop created\n');
    expect(await kubectlFails('create', '-f', file)).toContain('Error from server (AlreadyExists): error when creating');
    writeFileSync(file, manifest(9090));
    expect(await kubectl('apply', '-f', file)).toContain('service/shop configured');
    expect(await kubectl('get', 'svc', 'shop', '-o', 'jsonpath={.spec.ports[0].targetPort}')).toBe('9090');
    expect(await kubectl('scale', 'deployment', 'web', '--replicas=5')).toBe('deployment.apps/web scaled\n');
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    expect(await kubectl('delete', '-f', file)).toBe('service "shop" deleted\n');
  });

  it("passes the API server's errors through to the kubectl user", async () => {
    const file = path.join(dir, 'taken.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: taken\nspec:\n  clusterIP: 10.96.0.10\n  ports:\n  - port: 53\n');
    expect(await kubectlFails('create', '-f', file)).toContain(
      'The Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    expect(await kubectlFails('get', 'svc', 'nope')).toContain('Error from server (NotFound): services "nope" not found');
  });

  it('describe shows the events of pods, nodes and Deployments; a pod that cannot be scheduled says why', async () => {
    const pod = await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}');
    const described = await kubectl('describe', 'pod', pod);
    expect(described).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(described).toMatch(new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/${pod} to kind-worker`));
    expect(await kubectl('describe', 'deployment', 'web')).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-[a-z0-9]+ from 0 to 3/);
    const post = (route: string, body?: object) =>
      fetch(`http://127.0.0.1:${t.port}/netsim/v1/${route}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    await post('nodes/kind-worker/kubelet/stop');
    await post('clock/advance', { seconds: 41 });
    expect(await kubectl('describe', 'node', 'kind-worker')).toMatch(/Normal\s+NodeNotReady\s+\S+\s+node-controller\s+Node kind-worker status is now: NodeNotReady/);
    expect(await kubectl('describe', 'svc', 'web')).toMatch(/^Events:\s+<none>$/m);

    const file = path.join(dir, 'pending.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: pending\nspec:\n  nodeSelector: {disk: ssd}\n  containers:\n  - {name: app, image: nginx}\n');
    await kubectl('apply', '-f', file);
    expect(await kubectl('describe', 'pod', 'pending')).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: /);
    const warnings = await kubectl('get', 'events', '--field-selector', 'type=Warning');
    expect(warnings).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
    expect(warnings).toMatch(/Warning\s+FailedScheduling\s+pod\/pending\s+0\/3 nodes are available/);
    expect(warnings).not.toMatch(/Normal/);
  });

  it("selects by field as the API server does, and refuses a field it has not with the API server's text", async () => {
    const onWorker = await kubectl('get', 'pods', '-A', '--field-selector', 'spec.nodeName=kind-worker2,status.phase=Running', '-o', 'name');
    expect(onWorker).toContain('pod/db-0\n');
    expect(onWorker).not.toMatch(/coredns/);
    expect(await kubectl('get', 'svc', '-A', '--field-selector', 'spec.type=NodePort', '-o', 'name')).toBe('service/web-nodeport\n');
    expect(await kubectlFails('get', 'pods', '--field-selector', 'spec.foo=1')).toContain(
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=1": field label not supported: spec.foo',
    );
    expect(await kubectlFails('get', 'rs', '--field-selector', 'status.replicas=0')).toContain(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('stores what the API server defaults, so rollout undo scales the old ReplicaSet back up', async () => {
    const file = path.join(dir, 'shop-deploy.yaml');
    writeFileSync(
      file,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: shop}\n' +
        '  template:\n    metadata:\n      labels: {app: shop}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n',
    );
    await kubectl('apply', '-f', file);
    const yaml = await kubectl('get', 'deployment', 'shop', '-o', 'yaml');
    expect(yaml).toContain(
      [
        '  template:',
        '    metadata:',
        '      creationTimestamp: null',
        '      labels:',
        '        app: shop',
        '    spec:',
        '      containers:',
        '      - image: nginx:1.27',
        '        imagePullPolicy: IfNotPresent',
        '        name: app',
        '        ports:',
        '        - containerPort: 80',
        '          protocol: TCP',
        '        resources: {}',
        '        terminationMessagePath: /dev/termination-log',
        '        terminationMessagePolicy: File',
        '      dnsPolicy: ClusterFirst',
        '      restartPolicy: Always',
        '      schedulerName: default-scheduler',
        '      securityContext: {}',
        '      terminationGracePeriodSeconds: 30',
      ].join('\n'),
    );
    expect(yaml).toMatch(/progressDeadlineSeconds: 600\n\s+replicas: 2\n\s+revisionHistoryLimit: 10\n/);
    expect(yaml).toContain('    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 25%\n    type: RollingUpdate\n');

    const replicaSets = async () =>
      (await kubectl('get', 'rs', '-l', 'app=shop', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.replicas} {.spec.template.spec.containers[0].image}{"\\n"}{end}'))
        .trim()
        .split('\n')
        .sort();
    const [first] = await replicaSets();
    expect(first).toMatch(/^shop-[a-z0-9]+ 2 nginx:1\.27$/);
    const firstName = first.split(' ')[0];
    expect(await kubectl('set', 'image', 'deployment/shop', 'app=nginx:1.28')).toBe('deployment.apps/shop image updated\n');
    expect(await kubectl('rollout', 'status', 'deployment/shop', '--timeout=20s')).toContain('successfully rolled out');
    expect(await replicaSets()).toEqual(expect.arrayContaining([`${firstName} 0 nginx:1.27`, expect.stringMatching(/ 2 nginx:1\.28$/)]));
    expect(await kubectl('rollout', 'undo', 'deployment/shop')).toBe('deployment.apps/shop rolled back\n');
    expect(await kubectl('rollout', 'status', 'deployment/shop', '--timeout=20s')).toContain('successfully rolled out');
    const after = await replicaSets();
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining([`${firstName} 2 nginx:1.27`, expect.stringMatching(/ 0 nginx:1\.28$/)]));
    expect(await kubectl('rollout', 'history', 'deployment/shop')).toMatch(/^2\s+<none>\n3\s+<none>\n/m);
  });

  it('delete pod completes once nginx exits on SIGTERM (1 s); a pod that ignores SIGTERM waits out its grace period', async () => {
    const advance = (seconds: number) =>
      fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ seconds }),
      });
    const [a, b, c] = (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).split(' ');
    // kubectl delete waits for the pod to go; the manual clock moves while it waits.
    let done = false;
    const deleting = kubectl('delete', 'pod', a).finally(() => (done = true));
    let advanced = 0;
    while (!done && advanced < 60) {
      await advance(0.25);
      advanced += 0.25;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await deleting).toBe(`pod "${a}" deleted\n`);
    expect(advanced).toBeLessThan(30); // gone long before the 30 s grace period

    expect(await kubectl('delete', 'pod', b, '--wait=false')).toBe(`pod "${b}" deleted\n`);
    expect(await kubectl('get', 'pod', b)).toMatch(new RegExp(`^${b}\\s+1/1\\s+Terminating`, 'm'));
    // kubectl wait, once it watches the Terminating pod (-v=6 logs its requests), sees it go.
    const waiter = spawn('kubectl', ['--server', `http://127.0.0.1:${t.port}`, 'wait', '--for=delete', `pod/${b}`, '--timeout=20s', '-v=6']);
    let out = '';
    let log = '';
    waiter.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    waiter.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => waiter.on('exit', resolve));
    try {
      await waitFor(() => log.includes('watch=true'));
      await advance(1);
      expect(await exited).toBe(0);
    } finally {
      waiter.kill();
    }
    expect(out).toBe(`pod/${b} condition met\n`);
    expect(await kubectlFails('get', 'pod', b)).toContain(`pods "${b}" not found`);

    expect(await kubectl('annotate', 'pod', c, 'kube-netsim.io/ignore-sigterm=true')).toBe(`pod/${c} annotated\n`);
    await kubectl('delete', 'pod', c, '--wait=false');
    await advance(29);
    expect(await kubectl('get', 'pod', c)).toMatch(new RegExp(`^${c}\\s+1/1\\s+Terminating`, 'm'));
    expect(await kubectl('describe', 'pod', c)).toMatch(/Normal\s+Killing\s+\S+\s+kubelet\s+Stopping container \S+/);
    await advance(1);
    expect(await kubectlFails('get', 'pod', c)).toContain(`pods "${c}" not found`);
  });

  it('a pod whose readiness probe fails shows 0/1 with an Unhealthy event; removing the unhealthy annotation brings it back', async () => {
    const advance = (seconds: number) =>
      fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ seconds }),
      });
    const file = path.join(dir, 'probed.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata:
  name: probed
  labels: {app: probed}
spec:
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 80}]
    readinessProbe:
      httpGet: {path: /healthz, port: 80}
      periodSeconds: 5
`,
    );
    await kubectl('apply', '-f', file);
    await advance(1);
    expect(await kubectl('get', 'pod', 'probed')).toMatch(/^probed\s+1\/1\s+Running\s+0\s/m);
    await kubectl('annotate', 'pod', 'probed', 'kube-netsim.io/unhealthy=true');
    await advance(15);
    expect(await kubectl('get', 'pod', 'probed')).toMatch(/^probed\s+0\/1\s+Running\s+0\s/m);
    const described = await kubectl('describe', 'pod', 'probed');
    expect(described).toMatch(/Warning\s+Unhealthy\s+\S+\s+kubelet\s+Readiness probe failed: HTTP probe failed with statuscode: 500/);
    await kubectl('annotate', 'pod', 'probed', 'kube-netsim.io/unhealthy-');
    await advance(5);
    expect(await kubectl('get', 'pod', 'probed')).toMatch(/^probed\s+1\/1\s+Running\s+0\s/m);
  });

  it('sees a change with get -w', async () => {
    const watcher = spawn('kubectl', ['--server', `http://127.0.0.1:${t.port}`, 'get', 'svc', '-w', '--request-timeout=20s']);
    let seen = '';
    watcher.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      await waitFor(() => seen.includes('web-nodeport'));
      await kubectl('patch', 'svc', 'web', '--type', 'merge', '-p', '{"spec":{"ports":[{"name":"http","port":8081,"targetPort":"http"}]}}');
      await waitFor(() => /^web\s+ClusterIP\s+\S+\s+<none>\s+8081\/TCP/m.test(seen));
    } finally {
      watcher.kill();
    }
    expect(seen).toMatch(/^web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP/m);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for kubectl output');
    await new Promise((r) => setTimeout(r, 50));
  }
}
