import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * PATCH as kube-apiserver applies it: JSON patch (RFC 6902 / 6901), strategic
 * merge patch with its directives, JSON merge patch without any; keys a
 * request chooses never reach a prototype; every answer is upstream's code,
 * reason and message.
 */
const SERVICE = '/api/v1/namespaces/default/services';
const JSON_PATCH = 'application/json-patch+json';
const MERGE = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const REJECTED = 'the server rejected our request due to an error in our request';

describe('patches (e2e)', () => {
  let t: TestApp;
  const prototypes = [Object.prototype, Object.getPrototypeOf(structuredClone({}))];
  const snapshot = () => prototypes.map((p) => Object.getOwnPropertyNames(p).sort());
  let before: string[][];

  beforeAll(async () => {
    t = await startTestApp(DEMO);
    before = snapshot();
  });
  afterAll(async () => {
    expect(snapshot()).toEqual(before);
    await t.close();
  });

  const patch = (name: string, type: string, body: unknown) => request(t.http).patch(`${SERVICE}/${name}`).set('Content-Type', type).send(JSON.stringify(body));
  const create = (body: object) => request(t.http).post(SERVICE).send(body);
  const service = (name: string, extra: object = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, ...extra }, spec: { selector: { app: name }, ports: [{ port: 80 }] } });
  const webVersion = async () => (await request(t.http).get(`${SERVICE}/web`).expect(200)).body.metadata.resourceVersion as string;

  it('a JSON patch through __proto__ is 422 and pollutes nothing: a Service created after it is as it was asked', async () => {
    const version = await webVersion();
    const res = await patch('web', JSON_PATCH, [{ op: 'add', path: '/__proto__/sessionAffinity', value: 'ClientIP' }]).expect(422);
    expect(res.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: REJECTED,
      reason: 'Invalid',
      details: { causes: [{ field: 'patch[0]', reason: 'FieldValueInvalid', message: 'add operation does not apply: doc is missing path: "/__proto__/sessionAffinity": missing value' }] },
      code: 422,
    });
    expect(await webVersion()).toBe(version);
    const fresh = (await create(service('after-proto')).expect(201)).body;
    expect(fresh.spec.sessionAffinity).toBe('None');
    expect(fresh.spec).not.toHaveProperty('sessionAffinityConfig');
    expect(snapshot()).toEqual(before);
  });

  it('a JSON patch that adds a __proto__ key keeps it as a key, where upstream drops an unknown field', async () => {
    const res = await patch('web', JSON_PATCH, [{ op: 'add', path: '/spec/__proto__', value: { sessionAffinity: 'ClientIP' } }]).expect(200);
    expect(res.body.spec.sessionAffinity).toBe('None');
    expect((await create(service('after-proto-2')).expect(201)).body.spec.sessionAffinity).toBe('None');
  });

  it('copy from /constructor and replace at "" are 422, not 500', async () => {
    const copy = await patch('web', JSON_PATCH, [{ op: 'copy', from: '/constructor', path: '/metadata/labels/x' }]).expect(422);
    expect(copy.body).toMatchObject({ reason: 'Invalid', message: REJECTED, details: { causes: [{ message: 'copy operation does not apply: doc is missing from path: /constructor: missing value' }] } });
    const root = await patch('web', JSON_PATCH, [{ op: 'replace', path: '', value: {} }]).expect(422);
    expect(root.body.details.causes[0].message).toBe('replace operation does not apply: doc is missing path: : missing value');
  });

  it('a strategic merge patch of {"$patch":"delete"} at the root is 400, as upstream\'s name check answers', async () => {
    const res = await patch('web', STRATEGIC, { $patch: 'delete' }).expect(400);
    expect(res.body).toMatchObject({ reason: 'BadRequest', code: 400, message: 'the name of the object (web based on URL) was undeterminable: name must be provided' });
  });

  it('refuses what RFC 6901 refuses: the escape ~2, a leading zero in an index', async () => {
    const escape = await patch('web', JSON_PATCH, [{ op: 'add', path: '/metadata/labels/a~2b', value: 'x' }]).expect(422);
    expect(escape.body.details.causes[0].message).toBe('invalid JSON pointer "/metadata/labels/a~2b": "~" must be followed by "0" or "1" (the escapes are ~0 for "~" and ~1 for "/")');
    const zero = await patch('web', JSON_PATCH, [{ op: 'replace', path: '/spec/ports/00/port', value: 81 }]).expect(422);
    expect(zero.body.details.causes[0].message).toBe('replace operation does not apply: doc is missing path: /spec/ports/00/port: missing value');
    const failed = await patch('web', JSON_PATCH, [{ op: 'test', path: '/spec/type', value: 'NodePort' }]).expect(422);
    expect(failed.body.details.causes[0].message).toBe('testing value /spec/type failed: test failed');
    const many = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/metadata/name', value: 'web' }));
    expect((await patch('web', JSON_PATCH, many).expect(413)).body).toMatchObject({
      kind: 'Status',
      reason: 'RequestEntityTooLarge',
      code: 413,
      message: 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    });
    const notAList = await patch('web', JSON_PATCH, { op: 'add' }).expect(400);
    expect(notAList.body).toMatchObject({ reason: 'BadRequest', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
  });

  it('applies a JSON patch with ~1, "-", move and test', async () => {
    const res = await patch('web', JSON_PATCH, [
      { op: 'test', path: '/metadata/name', value: 'web' },
      { op: 'add', path: '/metadata/labels/example.com~1team', value: 'net' },
      { op: 'add', path: '/spec/ports/-', value: { name: 'extra', port: 8443, targetPort: 8443 } },
      { op: 'move', from: '/metadata/labels/example.com~1team', path: '/metadata/labels/example.com~1owner' },
    ]).expect(200);
    expect(res.body.metadata.labels['example.com/owner']).toBe('net');
    expect(res.body.spec.ports.map((p: { port: number }) => p.port)).toContain(8443);
  });

  it('a JSON patch carrying a stale resourceVersion is 409 Conflict, as a merge patch is', async () => {
    const version = await webVersion();
    await patch('web', MERGE, { metadata: { labels: { bump: '1' } } }).expect(200);
    const stale = [{ op: 'replace', path: '/metadata/resourceVersion', value: version }, { op: 'add', path: '/metadata/labels/late', value: 'x' }];
    const res = await patch('web', JSON_PATCH, stale).expect(409);
    const conflict = {
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again',
    };
    expect(res.body).toMatchObject(conflict);
    expect((await patch('web', MERGE, { metadata: { resourceVersion: version } }).expect(409)).body).toMatchObject(conflict);
  });

  it('honours the strategic merge patch directives, and refuses with upstream texts where upstream refuses', async () => {
    await create(service('smp', { labels: { a: '1', b: '2' }, finalizers: ['example.com/x', 'example.com/y'] })).expect(201);
    const ok = await patch('smp', STRATEGIC, {
      metadata: { labels: { $patch: 'replace', c: '3' }, '$deleteFromPrimitiveList/finalizers': ['example.com/x'] },
      spec: { '$setElementOrder/ports': [{ port: 81 }, { port: 80 }], ports: [{ port: 81, name: 'b' }, { port: 80, name: 'a' }] },
    }).expect(200);
    expect(ok.body.metadata.labels).toEqual({ c: '3' });
    expect(ok.body.metadata.finalizers).toEqual(['example.com/y']);
    expect(ok.body.spec.ports.map((p: { port: number }) => p.port)).toEqual([81, 80]);
    const retained = await patch('smp', STRATEGIC, { spec: { $retainKeys: ['ports', 'type', 'clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy', 'sessionAffinity'], type: 'ClusterIP' } }).expect(200);
    expect(retained.body.spec).not.toHaveProperty('selector');
    const refusals: Array<[unknown, string]> = [
      [{ spec: { $retainKeys: ['type'], selector: { a: 'b' } } }, 'invalid patch format of retainKeys'],
      [{ spec: { $patch: 'merge' } }, 'unknown patch type: merge in map: map[$patch:merge]'],
      [{ spec: { ports: [{ $patch: 'merge' }] } }, 'merging lists cannot yet be specified in the patch'],
      [{ spec: { ports: [{ name: 'x' }] } }, 'map: map[name:x] does not contain declared merge key: port'],
      [{ metadata: { $deleteFromPrimitiveList: ['x'] } }, 'invalid patch format of primitive list'],
    ];
    for (const [body, message] of refusals) {
      expect((await patch('smp', STRATEGIC, body).expect(400)).body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message });
    }
  });

  it('a JSON merge patch has no directives: $patch is a key, and validation judges it', async () => {
    const res = await patch('web', MERGE, { metadata: { labels: { $patch: 'delete' } } }).expect(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.message).toMatch(/^Service "web" is invalid: metadata\.labels: Invalid value: "\$patch": name part must consist of alphanumeric characters/);
    const labels = (await request(t.http).get(`${SERVICE}/web`).expect(200)).body.metadata.labels;
    expect(labels).toHaveProperty('app');
  });

  it('accepts the label keys constructor, toString, hasOwnProperty and prototype; judges __proto__ by the label-key syntax', async () => {
    const labels = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', prototype: 'd' };
    const res = await create(service('proto-labels', { labels })).expect(201);
    expect(res.body.metadata.labels).toEqual(labels);
    const listed = await request(t.http).get(`${SERVICE}?labelSelector=toString%3Db,constructor`).expect(200);
    expect(listed.body.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['proto-labels']);
    expect((await request(t.http).get(`${SERVICE}?labelSelector=valueOf`).expect(200)).body.items).toEqual([]);
    const bad = await request(t.http).post(SERVICE).set('Content-Type', 'application/json').send('{"apiVersion":"v1","kind":"Service","metadata":{"name":"p2","labels":{"__proto__":"x"}},"spec":{"ports":[{"port":80}]}}').expect(422);
    expect(bad.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: expect.stringMatching(/^Invalid value: "__proto__": name part must consist of/) }),
    ]);
  });

  it('reports every field error at once: an invalid name and an invalid label in one 422', async () => {
    const res = await create(service('Bad_Name', { labels: { 'bad key': 'x' } })).expect(422);
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['metadata.name', 'metadata.labels']);
    expect(res.body.message).toMatch(/^Service "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a DNS-1035 label .*, metadata\.labels: Invalid value: "bad key": name part .*\]$/);
    await request(t.http).get(`${SERVICE}/Bad_Name`).expect(404);
  });
});
