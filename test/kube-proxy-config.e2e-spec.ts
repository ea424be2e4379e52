import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * A KubeProxyConfiguration is decoded as kube-proxy decodes its file: an
 * unknown field is dropped with kube-proxy's lenient-decoding message (here an
 * HTTP warning), an unknown feature gate is refused with its text.
 */
describe('KubeProxyConfiguration decoding (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  it('drops an unknown field and says so in a Warning header, as kube-proxy logs it', async () => {
    const res = await request(t.http).put('/netsim/v1/kube-proxy/config').send({ clusterCIDR: '10.244.0.0/16', foo: 1, iptables: { masqueradeAll: true, bar: 2 } }).expect(200);
    expect(res.headers.warning).toBe('299 - "Using lenient decoding as strict decoding failed: strict decoding error: unknown field \\"foo\\", unknown field \\"iptables.bar\\""');
    const config = (await request(t.http).get('/netsim/v1/kube-proxy/config').expect(200)).body;
    expect(JSON.stringify(config)).not.toMatch(/"foo"|"bar"/);
    const known = await request(t.http).put('/netsim/v1/kube-proxy/config').send({ clusterCIDR: '10.244.0.0/16' }).expect(200);
    expect(known.headers.warning).toBeUndefined();
  });

  it('refuses an unknown feature gate with kube-proxy\'s text, and changes nothing', async () => {
    const before = (await request(t.http).get('/netsim/v1/nodes/kind-worker/kube-proxy').expect(200)).body.configuration;
    const res = await request(t.http).put('/netsim/v1/kube-proxy/config').send({ clusterCIDR: '10.244.0.0/16', featureGates: { Foo: true } }).expect(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'unrecognized feature gate: Foo',
      details: { kind: 'KubeProxyConfiguration', causes: [{ field: 'featureGates.Foo', reason: 'FieldValueNotSupported', message: 'unrecognized feature gate: Foo' }] },
    });
    const node = await request(t.http).put('/netsim/v1/nodes/kind-worker/kube-proxy/config').send({ featureGates: { constructor: true } }).expect(422);
    expect(node.body.message).toBe('unrecognized feature gate: constructor');
    expect((await request(t.http).get('/netsim/v1/nodes/kind-worker/kube-proxy').expect(200)).body.configuration).toEqual(before);
    await request(t.http).put('/netsim/v1/kube-proxy/config').send({ clusterCIDR: '10.244.0.0/16', featureGates: { PreferSameTrafficDistribution: false } }).expect(200);
  });
});
