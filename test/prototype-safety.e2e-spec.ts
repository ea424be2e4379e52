import fc from 'fast-check';
import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * Property: no key a request sends reaches a prototype. Generated bodies full
 * of `__proto__`, `constructor` and `prototype` keys (and other inherited
 * names) go through every write path: create, update, merge, strategic merge
 * and JSON patch, manifest apply and the kube-proxy configuration. After each
 * run, `Object.prototype` (of both realms: Jest's and Node's, whose objects
 * `structuredClone` makes) is as it was, no answer is a 5xx, and a Service
 * created afterwards is exactly what was asked.
 */
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'sessionAffinity', 'type', 'a'];

/** A JSON tree kept as entries, so that `__proto__` is a key like any other until it is written out. */
type Tree = string | number | boolean | null | Tree[] | { entries: Array<[string, Tree]> };

const key = fc.constantFrom(...KEYS);
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Tree>('ClientIP', 'x', 1, true, null),
    fc.array(tie('tree'), { maxLength: 2 }),
    fc.record({ entries: fc.array(fc.tuple(key, tie('tree')), { maxLength: 3 }) }),
  ),
}));

function toJson(t: Tree): string {
  if (Array.isArray(t)) return `[${t.map(toJson).join(',')}]`;
  if (t !== null && typeof t === 'object') return `{${t.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  return JSON.stringify(t);
}

/** `{"k": <tree>, ...}` as JSON text, with the given fixed members first. */
function object(fixed: Record<string, string>, extra: Array<[string, Tree]>): string {
  const members = [...Object.entries(fixed).map(([k, v]) => `${JSON.stringify(k)}:${v}`), ...extra.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)];
  return `{${members.join(',')}}`;
}

/** Pointers that go through an inherited name: `/spec/__proto__/type`, `/constructor/prototype`, `/metadata/labels/toString`. */
const pointer = fc
  .tuple(
    fc.constantFrom('', '/metadata', '/spec', '/metadata/labels', '/spec/ports/0'),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
    fc.constantFrom('', '/prototype', '/sessionAffinity', '/type', '/x', '/-', '/0'),
  )
  .map(([prefix, inherited, suffix]) => `${prefix}/${inherited}${suffix}`);
const operation = fc.record({
  op: fc.constantFrom('add', 'replace', 'remove', 'copy', 'move', 'test'),
  path: pointer,
  from: pointer,
  value: tree,
});

const body = fc.record({
  metadataExtra: fc.array(fc.tuple(key, tree), { maxLength: 3 }),
  labels: fc.array(fc.tuple(key, fc.constantFrom<Tree>('x', 'ClientIP', 1)), { maxLength: 3 }),
  specExtra: fc.array(fc.tuple(key, tree), { maxLength: 3 }),
  patch: fc.array(fc.tuple(key, tree), { maxLength: 3 }),
  ops: fc.array(operation, { maxLength: 4 }),
  config: fc.array(fc.tuple(key, tree), { maxLength: 3 }),
});

describe('no key a request sends reaches a prototype (e2e, property)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  const prototypes = [Object.prototype, Object.getPrototypeOf(structuredClone({})), Array.prototype, Function.prototype];
  const snapshot = () => prototypes.map((p) => Object.getOwnPropertyNames(p).sort().join(','));

  it('holds through create, update, every patch type, apply and the kube-proxy configuration', async () => {
    const before = snapshot();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        run++;
        const name = `p${run}`;
        const path = `/api/v1/namespaces/default/services/${name}`;
        const labels = object({}, b.labels);
        const service = (extraMeta: Array<[string, Tree]>) =>
          object(
            { apiVersion: '"v1"', kind: '"Service"', metadata: object({ name: JSON.stringify(name), labels }, extraMeta), spec: object({ ports: '[{"port":80}]' }, b.specExtra) },
            [],
          );
        const send = async (method: 'post' | 'put' | 'patch', url: string, text: string, type = 'application/json') => {
          const res = await request(t.http)[method](url).set('Content-Type', type).send(text);
          expect(res.status).toBeLessThan(500);
          return res;
        };
        await send('post', '/api/v1/namespaces/default/services', service(b.metadataExtra));
        await send('post', '/api/v1/namespaces/default/services', service([]));
        const current = await request(t.http).get(path);
        if (current.status === 200) {
          const updated = { ...current.body, metadata: { ...current.body.metadata } };
          await send('put', path, JSON.stringify(updated).replace(/^\{/, `{${b.metadataExtra.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)},`).join('')}`));
          await send('patch', path, object({}, [['metadata', { entries: [['labels', { entries: b.patch }], ...b.patch] }], ...b.patch]), 'application/merge-patch+json');
          await send('patch', path, object({}, [['spec', { entries: b.patch }], ...b.patch]), 'application/strategic-merge-patch+json');
          await send('patch', path, JSON.stringify(b.ops), 'application/json-patch+json');
        }
        await send('post', '/netsim/v1/apply', `[${service(b.metadataExtra)}]`);
        await send('put', '/netsim/v1/kube-proxy/config', object({}, [...b.config, ['iptables', { entries: b.config }], ['featureGates', { entries: b.config }]]));
        await send('put', '/netsim/v1/kube-proxy/config', '{}');

        expect(snapshot()).toEqual(before);
        const probe = await request(t.http)
          .post('/api/v1/namespaces/default/services')
          .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: `probe${run}` }, spec: { ports: [{ port: 80 }] } })
          .expect(201);
        expect(probe.body.spec.sessionAffinity).toBe('None');
        expect(probe.body.spec.type).toBe('ClusterIP');
        expect(Object.keys(probe.body.spec).sort()).toEqual(['clusterIP', 'clusterIPs', 'internalTrafficPolicy', 'ipFamilies', 'ipFamilyPolicy', 'ports', 'sessionAffinity', 'type']);
        for (const p of prototypes) for (const k in p) throw new Error(`enumerable ${k} on a prototype`);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
