import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/** The real kubectl with volumes: a claim bound on its pod's node through the default class, a pod waiting for its ConfigMap. */
const run = promisify(execFile);
jest.setTimeout(60_000);

const CLAIM_AND_POD = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: writer
spec:
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data
`;

const WAITS_FOR_CONFIG = `apiVersion: v1
kind: Pod
metadata:
  name: configured
spec:
  containers:
  - name: app
    image: nginx
    volumeMounts:
    - {name: config, mountPath: /etc/app}
  volumes:
  - name: config
    configMap:
      name: app-config
`;

describe('volumes with the real kubectl (e2e)', () => {
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) =>
    (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), ...args], { timeout: 30000 })).stdout;
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  const apply = async (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return kubectl('apply', '-f', file);
  };

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-volumes-'));
    t = await startListeningApp(DEMO);
  });
  afterAll(() => t.close());

  it('shows the default StorageClass as kind has it', async () => {
    expect(rows(await kubectl('get', 'storageclass'))).toEqual([
      ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'],
      ['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false', expect.any(String)],
    ]);
  });

  it('binds a claim once a pod uses it: kubectl get pvc shows it Bound to a local-path volume', async () => {
    expect(await apply('claim.yaml', CLAIM_AND_POD)).toBe('persistentvolumeclaim/data created\npod/writer created\n');
    const claim = rows(await kubectl('get', 'pvc', 'data'));
    expect(claim[0]).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(claim[1]).toEqual(['data', 'Bound', expect.stringMatching(/^pvc-[0-9a-f-]{36}$/), '1Gi', 'RWO', 'standard', '<unset>', expect.any(String)]);
    // The demo's StatefulSet has volumes of its own (www-web-0, www-web-1): this claim's is the row naming it.
    const volume = rows(await kubectl('get', 'pv')).filter((r) => r[5] === 'default/data');
    expect(volume[0]).toEqual([claim[1][2], '1Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'standard', '<unset>', expect.any(String)]);
    const node = await kubectl('get', 'pod', 'writer', '-o', 'jsonpath={.spec.nodeName}');
    expect(await kubectl('get', 'pvc', 'data', '-o', `jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}`)).toBe(node);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=data', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}');
    expect(events.trim().split('\n')).toEqual(['WaitForFirstConsumer', 'ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']);
  });

  it('deleting the claim deletes its volume (the class reclaims with Delete)', async () => {
    await kubectl('delete', 'pod', 'writer', '--wait=false');
    await fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 60 }) });
    expect(await kubectl('delete', 'pvc', 'data')).toBe('persistentvolumeclaim "data" deleted\n');
    const left = rows(await kubectl('get', 'pv', '--no-headers')).map((r) => r[5]);
    expect(left.sort()).toEqual(['default/www-web-0', 'default/www-web-1']);
  });

  it('a claim in use stays Terminating (kubernetes.io/pvc-protection) until its pod is gone', async () => {
    const held = CLAIM_AND_POD.replace('metadata:\n  name: data', 'metadata:\n  name: held').replace('claimName: data', 'claimName: held').replace('name: writer', 'name: holder');
    expect(await apply('held.yaml', held)).toBe(
      'persistentvolumeclaim/held created\npod/holder created\n',
    );
    expect(await kubectl('get', 'pvc', 'held', '-o', 'jsonpath={.metadata.finalizers}')).toBe('["kubernetes.io/pvc-protection"]');
    expect(await kubectl('delete', 'pvc', 'held', '--wait=false')).toBe('persistentvolumeclaim "held" deleted\n');
    const terminating = rows(await kubectl('get', 'pvc', 'held'));
    expect(terminating[1].slice(0, 2)).toEqual(['held', 'Terminating']);
    await kubectl('delete', 'pod', 'holder', '--wait=false');
    await fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 60 }) });
    expect(await kubectl('get', 'pvc', 'held', '--ignore-not-found')).toBe('');
  });

  it('keeps a pod whose ConfigMap is missing ContainerCreating, and runs it once the ConfigMap exists', async () => {
    expect(await apply('configured.yaml', WAITS_FOR_CONFIG)).toBe('pod/configured created\n');
    expect(rows(await kubectl('get', 'pod', 'configured'))[1].slice(0, 3)).toEqual(['configured', '0/1', 'ContainerCreating']);
    const describe = await kubectl('describe', 'pod', 'configured');
    expect(describe).toMatch(/Warning\s+FailedMount\s+\S+\s+kubelet\s+MountVolume\.SetUp failed for volume "config" : configmap "app-config" not found/);
    await kubectl('create', 'configmap', 'app-config', '--from-literal=mode=prod');
    expect(rows(await kubectl('get', 'pod', 'configured'))[1].slice(0, 3)).toEqual(['configured', '1/1', 'Running']);
  });
});
