import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('Kubernetes API paths (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const post = (path: string, body: unknown) => request(t.http).post(path).send(body as object);

  async function node(name: string, labels: Record<string, string> = {}) {
    await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } }).expect(201);
  }

  async function pod(name: string, nodeName: string, labels: Record<string, string>) {
    await post('/api/v1/namespaces/default/pods', {
      metadata: { name, labels },
      spec: { nodeName, containers: [{ name: 'app', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] },
    }).expect(201);
  }

  describe('discovery', () => {
    it('serves /version, /api, /api/v1, /apis and group versions', async () => {
      expect((await request(t.http).get('/version').expect(200)).body).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4' });
      expect((await request(t.http).get('/api').expect(200)).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
      const v1 = (await request(t.http).get('/api/v1').expect(200)).body;
      expect(v1.kind).toBe('APIResourceList');
      expect(v1.resources).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'] }),
          expect.objectContaining({ name: 'nodes', namespaced: false }),
          expect.objectContaining({ name: 'pods/status' }),
        ]),
      );
      const apis = (await request(t.http).get('/apis').expect(200)).body;
      expect(apis.groups.map((g: { name: string }) => g.name)).toEqual([
        'apps',
        'authentication.k8s.io',
        'authorization.k8s.io',
        'autoscaling',
        'batch',
        'coordination.k8s.io',
        'discovery.k8s.io',
        'networking.k8s.io',
        'policy',
        'rbac.authorization.k8s.io',
        'scheduling.k8s.io',
        'storage.k8s.io',
      ]);
      const discovery = (await request(t.http).get('/apis/discovery.k8s.io/v1').expect(200)).body;
      expect(discovery.resources[0]).toMatchObject({ name: 'endpointslices', kind: 'EndpointSlice' });
      await request(t.http).get('/apis/nope.example.com/v1').expect(404);
    });
  });

  describe('the starting cluster', () => {
    it('has the system namespaces and default/kubernetes on 10.96.0.1:443', async () => {
      const ns = (await request(t.http).get('/api/v1/namespaces').expect(200)).body;
      expect(ns.kind).toBe('NamespaceList');
      expect(ns.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
      const k = (await request(t.http).get('/api/v1/namespaces/default/services/kubernetes').expect(200)).body;
      expect(k.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] });
    });
  });

  describe('services', () => {
    it('creates, reads, lists cluster-wide, updates with a resourceVersion, patches and deletes', async () => {
      const created = (
        await post('/api/v1/namespaces/default/services', { metadata: { name: 'web', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }).expect(201)
      ).body;
      expect(created.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
      const all = (await request(t.http).get('/api/v1/services').expect(200)).body;
      expect(all.kind).toBe('ServiceList');
      expect(all.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['kubernetes', 'web']);
      const updated = (
        await request(t.http)
          .put('/api/v1/namespaces/default/services/web')
          .send({ ...created, spec: { ...created.spec, ports: [{ port: 8080 }] } })
          .expect(200)
      ).body;
      expect(updated.spec.clusterIP).toBe(created.spec.clusterIP);
      const stale = await request(t.http).put('/api/v1/namespaces/default/services/web').send(created).expect(409);
      expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
      const patched = await request(t.http)
        .patch('/api/v1/namespaces/default/services/web')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ metadata: { labels: { tier: 'front' } } })
        .expect(200);
      expect(patched.body.metadata.labels).toEqual({ app: 'web', tier: 'front' });
      // Media type parameters do not change how a body is read (kubectl's Go client may send them).
      for (const type of ['application/strategic-merge-patch+json; charset=utf-8', 'Application/Merge-Patch+JSON;charset=UTF-8']) {
        const again = await request(t.http)
          .patch('/api/v1/namespaces/default/services/web')
          .set('Content-Type', type)
          .send(JSON.stringify({ metadata: { labels: { charset: 'ok' } } }))
          .expect(200);
        expect(again.body.metadata.labels.charset).toBe('ok');
      }
      await request(t.http).delete('/api/v1/namespaces/default/services/web').expect(200);
      const gone = await request(t.http).get('/api/v1/namespaces/default/services/web').expect(404);
      expect(gone.body).toMatchObject({ reason: 'NotFound', message: 'services "web" not found', details: { name: 'web', kind: 'services' } });
    });

    it.each([
      [{ metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }, 'AlreadyExists', 409, undefined],
      [{ metadata: { name: 'b' }, spec: { clusterIP: '10.96.0.1', ports: [{ port: 80 }] } }, 'Invalid', 422, 'spec.clusterIPs'],
      [{ metadata: { name: 'c' }, spec: { clusterIP: '192.168.0.1', ports: [{ port: 80 }] } }, 'Invalid', 422, 'spec.clusterIPs'],
      [{ metadata: { name: 'd' }, spec: { ports: [{ port: 70000 }] } }, 'Invalid', 422, 'spec.ports[0].port'],
      [{ metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 80 }] } }, 'Invalid', 422, 'metadata.name'],
      [{ metadata: { name: 'e', labels: { 'bad key': 'x' } }, spec: { ports: [{ port: 80 }] } }, 'Invalid', 422, 'metadata.labels'],
    ])('answers %j with a %s Status naming the field', async (body, reason, code, field) => {
      await post('/api/v1/namespaces/default/services', { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }).expect(201);
      const res = await post('/api/v1/namespaces/default/services', body).expect(code);
      expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code });
      if (field) expect(res.body.details.causes.map((c: { field: string }) => c.field)).toContain(field);
    });

    it('answers a full range with 422, not 500', async () => {
      await t.close();
      t = await startTestApp({ SERVICE_CLUSTER_IP_RANGE: '10.0.0.0/29' });
      for (let i = 0; i < 5; i++) await post('/api/v1/namespaces/default/services', { metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] } }).expect(201);
      const full = await post('/api/v1/namespaces/default/services', { metadata: { name: 'full' }, spec: { ports: [{ port: 80 }] } }).expect(422);
      expect(full.body.message).toBe('Internal error occurred: failed to allocate a serviceIP: range is full');
      expect(full.body.details.causes[0].field).toBe('spec.clusterIPs');
    });

    it('refuses creating in a namespace that does not exist', async () => {
      const res = await post('/api/v1/namespaces/nope/services', { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }).expect(404);
      expect(res.body.message).toBe('namespaces "nope" not found');
    });
  });

  describe('nodes, pods and endpoints', () => {
    it('binds pods to nodes with IPs, derives EndpointSlices and Endpoints, and filters by field and label', async () => {
      await node('worker-1');
      await node('worker-2');
      await post('/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }).expect(201);
      await pod('web-1', 'worker-1', { app: 'web' });
      await pod('web-2', 'worker-2', { app: 'web' });
      await pod('db-1', 'worker-1', { app: 'db' });
      const p = (await request(t.http).get('/api/v1/namespaces/default/pods/web-1').expect(200)).body;
      expect(p.status).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', hostIP: '172.18.0.2' });
      const onWorker1 = (await request(t.http).get('/api/v1/pods?fieldSelector=spec.nodeName=worker-1').expect(200)).body;
      expect(onWorker1.items.map((x: { metadata: { name: string } }) => x.metadata.name)).toEqual(['db-1', 'web-1']);
      const bad = (await request(t.http).get('/api/v1/pods?fieldSelector=spec.foo%3D1').expect(400)).body;
      expect(bad).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400, message: 'field label not supported: spec.foo' });
      const about = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: p.metadata.uid, apiVersion: 'v1' };
      await post('/api/v1/namespaces/default/events', { metadata: { name: 'web-1.a' }, involvedObject: about, reason: 'Pulled', type: 'Normal', reportingComponent: 'kubelet' }).expect(201);
      await post('/api/v1/namespaces/default/events', { metadata: { name: 'web-1.b' }, involvedObject: { ...about, uid: 'old' }, reason: 'Pulled', type: 'Normal' }).expect(201);
      const events = (
        await request(t.http)
          .get('/api/v1/namespaces/default/events')
          .query({ fieldSelector: `involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=${p.metadata.uid},source=kubelet` })
          .expect(200)
      ).body;
      expect(events.items.map((e: { metadata: { name: string } }) => e.metadata.name)).toEqual(['web-1.a']);
      const web = (await request(t.http).get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb').expect(200)).body;
      expect(web.items).toHaveLength(2);
      const slices = (await request(t.http).get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb').expect(200)).body;
      expect(slices.kind).toBe('EndpointSliceList');
      expect(slices.items[0].endpoints.map((e: { addresses: string[] }) => e.addresses[0])).toEqual(['10.244.0.2', '10.244.1.2']);
      expect(slices.items[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
      const ep = (await request(t.http).get('/api/v1/namespaces/default/endpoints/web').expect(200)).body;
      expect(ep.subsets[0].addresses.map((a: { ip: string }) => a.ip)).toEqual(['10.244.0.2', '10.244.1.2']);
      const write = await request(t.http).delete('/api/v1/namespaces/default/endpoints/web').expect(405);
      expect(write.body.reason).toBe('MethodNotAllowed');
      await request(t.http).delete('/api/v1/namespaces/default/pods/web-1').expect(200);
      const after = (await request(t.http).get('/api/v1/namespaces/default/endpoints/web').expect(200)).body;
      expect(after.subsets[0].addresses.map((a: { ip: string }) => a.ip)).toEqual(['10.244.1.2']);
    });

    it('refuses a bad label selector with 400 BadRequest', async () => {
      const res = await request(t.http).get('/api/v1/pods?labelSelector=app%3D%3D%3Dx').expect(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    });
  });

  describe('namespaces', () => {
    it('deletes what is in a namespace with it, and refuses deleting default', async () => {
      await post('/api/v1/namespaces', { metadata: { name: 'prod' } }).expect(201);
      await post('/api/v1/namespaces/prod/services', { metadata: { name: 'db' }, spec: { ports: [{ port: 5432 }] } }).expect(201);
      await request(t.http).delete('/api/v1/namespaces/prod').expect(200);
      const services = (await request(t.http).get('/api/v1/services').expect(200)).body;
      expect(services.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['kubernetes']);
      const refused = await request(t.http).delete('/api/v1/namespaces/default').expect(403);
      expect(refused.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
    });
  });

  describe('Table form for kubectl', () => {
    it('prints Services with the columns kubectl shows', async () => {
      await post('/api/v1/namespaces/default/services', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } }).expect(201);
      const table = (await request(t.http).get('/api/v1/namespaces/default/services').set('Accept', TABLE).expect(200)).body;
      expect(table.kind).toBe('Table');
      expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
      const np = table.rows.find((r: { cells: string[] }) => r.cells[0] === 'np');
      expect(np.cells.slice(1, 6)).toEqual(['NodePort', expect.stringMatching(/^10\./), '<none>', '80:30080/TCP', '0s']);
      expect(np.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'np', namespace: 'default' } });
    });
  });

  describe('watch', () => {
    it('streams events from a resourceVersion', async () => {
      const list = (await request(t.http).get('/api/v1/namespaces/default/services').expect(200)).body;
      const rv = list.metadata.resourceVersion;
      await post('/api/v1/namespaces/default/services', { metadata: { name: 'w' }, spec: { ports: [{ port: 80 }] } }).expect(201);
      const res = await request(t.http).get(`/api/v1/namespaces/default/services?watch=true&resourceVersion=${rv}&timeoutSeconds=1`).expect(200);
      const events = res.text.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.map((e: { type: string; object: { metadata: { name: string } } }) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w']);
    });
  });

  describe('scale subresource', () => {
    it('reads and patches a Deployment through /scale as kubectl scale does', async () => {
      await post('/apis/apps/v1/namespaces/default/deployments', {
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      }).expect(201);
      const scale = (await request(t.http).get('/apis/apps/v1/namespaces/default/deployments/web/scale').expect(200)).body;
      expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { selector: 'app=web' } });
      await request(t.http)
        .patch('/apis/apps/v1/namespaces/default/deployments/web/scale')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas: 5 } })
        .expect(200);
      const d = (await request(t.http).get('/apis/apps/v1/namespaces/default/deployments/web').expect(200)).body;
      expect(d.spec.replicas).toBe(5);
      // A stale resourceVersion in the Scale is a conflict, as kubectl scale --resource-version relies on.
      for (const res of [
        await request(t.http)
          .put('/apis/apps/v1/namespaces/default/deployments/web/scale')
          .send({ ...scale, spec: { replicas: 7 } }),
        await request(t.http)
          .patch('/apis/apps/v1/namespaces/default/deployments/web/scale')
          .set('Content-Type', 'application/merge-patch+json')
          .send({ metadata: { resourceVersion: scale.metadata.resourceVersion }, spec: { replicas: 7 } }),
      ]) {
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
        expect(res.body.message).toMatch(/the object has been modified; please apply your changes to the latest version and try again$/);
      }
      expect((await request(t.http).get('/apis/apps/v1/namespaces/default/deployments/web').expect(200)).body.spec.replicas).toBe(5);
      // A merge patch that is not an object is refused as on the object itself.
      const notObject = await request(t.http)
        .patch('/apis/apps/v1/namespaces/default/deployments/web/scale')
        .set('Content-Type', 'application/merge-patch+json')
        .send([]);
      expect(notObject.status).toBe(400);
      expect(notObject.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'a merge patch must be a JSON object' });
      // With the current one it applies.
      const current = (await request(t.http).get('/apis/apps/v1/namespaces/default/deployments/web/scale').expect(200)).body;
      await request(t.http).put('/apis/apps/v1/namespaces/default/deployments/web/scale').send({ ...current, spec: { replicas: 6 } }).expect(200);
    });
  });
});
