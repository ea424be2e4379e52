import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Services on single-stack and dual-stack clusters: `ipFamilyPolicy`,
 * `ipFamilies` and `clusterIPs` defaulted, ordered and refused as
 * kube-apiserver does it, with its field paths and texts.
 */
const DUAL = { SERVICE_CLUSTER_IP_RANGE: '10.96.0.0/12,fd00:10:96::/112', CLUSTER_CIDR: '10.244.0.0/16,fd00:10:244::/56' };
const DUAL_V6_FIRST = { SERVICE_CLUSTER_IP_RANGE: 'fd00:10:96::/112,10.96.0.0/12', CLUSTER_CIDR: 'fd00:10:244::/56,10.244.0.0/16' };
const V6_ONLY = { SERVICE_CLUSTER_IP_RANGE: 'fd00:10:96::/112', CLUSTER_CIDR: 'fd00:10:244::/56' };

const SVC = '/api/v1/namespaces/default/services';

function service(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } };
}

describe('dual-stack Services (e2e)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  const create = (name: string, spec: Record<string, unknown>) => request(t.http).post(SVC).send(service(name, spec));
  const patch = (name: string, body: unknown) =>
    request(t.http).patch(`${SVC}/${name}`).set('Content-Type', 'application/merge-patch+json').send(body as object);

  async function refused(res: request.Test, field: string, message: string) {
    const body = (await res.expect(422)).body;
    expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(body.message).toBe(message);
    expect(body.details.causes.map((c: { field: string }) => c.field)).toContain(field);
    return body;
  }

  describe('on a single-stack IPv4 cluster', () => {
    beforeEach(async () => {
      t = await startTestApp();
    });

    it('defaults SingleStack and IPv4; PreferDualStack gets one family', async () => {
      const plain = (await create('plain', {}).expect(201)).body.spec;
      expect(plain).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
      expect(plain.clusterIPs).toEqual([plain.clusterIP]);
      const prefer = (await create('prefer', { ipFamilyPolicy: 'PreferDualStack' }).expect(201)).body.spec;
      expect(prefer).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'] });
      expect(prefer.clusterIPs).toHaveLength(1);
    });

    it('refuses RequireDualStack', async () => {
      await refused(
        create('req', { ipFamilyPolicy: 'RequireDualStack' }),
        'spec.ipFamilyPolicy',
        'Service "req" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      );
    });

    it('refuses an IPv6 family or address the cluster does not have', async () => {
      await refused(
        create('six', { ipFamilies: ['IPv6'] }),
        'spec.ipFamilies[0]',
        'Service "six" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
      );
      await refused(
        create('sixip', { clusterIP: 'fd00::10', clusterIPs: ['fd00::10'] }),
        'spec.clusterIPs[0]',
        'Service "sixip" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster',
      );
    });

    it('gives a headless Service without a selector both families (RequireDualStack), as the API server does', async () => {
      const res = await request(t.http)
        .post(SVC)
        .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } })
        .expect(201);
      expect(res.body.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    });
  });

  describe('on a dual-stack cluster (IPv4 primary)', () => {
    beforeEach(async () => {
      t = await startTestApp(DUAL);
    });

    it('keeps SingleStack on the primary family by default', async () => {
      const spec = (await create('one', {}).expect(201)).body.spec;
      expect(spec).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
      expect(spec.clusterIPs).toHaveLength(1);
    });

    it('gives PreferDualStack and RequireDualStack one address per family, primary first', async () => {
      for (const policy of ['PreferDualStack', 'RequireDualStack']) {
        const spec = (await create(policy.toLowerCase(), { ipFamilyPolicy: policy }).expect(201)).body.spec;
        expect(spec.ipFamilies).toEqual(['IPv4', 'IPv6']);
        expect(spec.clusterIPs).toHaveLength(2);
        expect(spec.clusterIPs[0]).toBe(spec.clusterIP);
        expect(spec.clusterIPs[0]).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
        expect(spec.clusterIPs[1]).toMatch(/^fd00:10:96::/);
      }
    });

    it('orders the families as asked: IPv6 first when ipFamilies says so', async () => {
      const spec = (await create('v6first', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'] }).expect(201)).body.spec;
      expect(spec.ipFamilies).toEqual(['IPv6', 'IPv4']);
      expect(spec.clusterIP).toMatch(/^fd00:10:96::/);
    });

    it('takes the addresses asked for, and infers the families from them', async () => {
      const spec = (
        await create('fixed', { ipFamilyPolicy: 'RequireDualStack', clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50', 'fd00:10:96::50'] }).expect(201)
      ).body.spec;
      expect(spec).toMatchObject({ clusterIP: '10.96.0.50', clusterIPs: ['10.96.0.50', 'fd00:10:96::50'], ipFamilies: ['IPv4', 'IPv6'] });
      const res = create('taken', { ipFamilyPolicy: 'RequireDualStack', clusterIP: '10.96.0.51', clusterIPs: ['10.96.0.51', 'fd00:10:96::50'] });
      await refused(
        res,
        'spec.clusterIPs',
        'Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.51", "fd00:10:96::50"}: failed to allocate IP fd00:10:96::50: provided IP is already allocated',
      );
      // The first address of the refused Service was given back.
      await create('again', { clusterIP: '10.96.0.51' }).expect(201);
    });

    it.each([
      [
        'clusterIPs in an order other than ipFamilies',
        { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIP: 'fd00:10:96::7', clusterIPs: ['fd00:10:96::7', '10.96.0.7'] },
        'spec.clusterIPs[0]',
        '[spec.clusterIPs[0]: Invalid value: "fd00:10:96::7": expected an IPv4 value as indicated by `ipFamilies[0]`, spec.clusterIPs[1]: Invalid value: "10.96.0.7": expected an IPv6 value as indicated by `ipFamilies[1]`]',
      ],
      [
        'clusterIP not matching clusterIPs[0]',
        { ipFamilyPolicy: 'PreferDualStack', clusterIP: '10.96.0.8', clusterIPs: ['10.96.0.9', 'fd00:10:96::9'] },
        'spec.clusterIPs',
        'spec.clusterIPs: Invalid value: []string{"10.96.0.9", "fd00:10:96::9"}: first value must match `clusterIP`',
      ],
      [
        'clusterIPs without clusterIP',
        { clusterIPs: ['10.96.0.9'] },
        'spec.clusterIPs',
        'spec.clusterIPs: Invalid value: []string{"10.96.0.9"}: must be empty when `clusterIP` is not specified',
      ],
      [
        'two addresses of one family',
        { ipFamilyPolicy: 'PreferDualStack', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9', '10.96.0.10'] },
        'spec.clusterIPs',
        'spec.clusterIPs: Invalid value: []string{"10.96.0.9", "10.96.0.10"}: may specify no more than one IP for each IP family',
      ],
      [
        'three addresses',
        { ipFamilyPolicy: 'PreferDualStack', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9', 'fd00:10:96::9', '10.96.0.10'] },
        'spec.clusterIPs',
        'spec.clusterIPs: Invalid value: []string{"10.96.0.9", "fd00:10:96::9", "10.96.0.10"}: may only hold up to 2 values',
      ],
      [
        'SingleStack with two addresses',
        { ipFamilyPolicy: 'SingleStack', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9', 'fd00:10:96::9'] },
        'spec.ipFamilyPolicy',
        `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified`,
      ],
      [
        'SingleStack with two families',
        { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'] },
        'spec.ipFamilyPolicy',
        `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`,
      ],
      ['a family twice', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv4'] }, 'spec.ipFamilies[1]', 'spec.ipFamilies[1]: Duplicate value: "IPv4"'],
      [
        'an unknown family',
        { ipFamilies: ['IPv5'] },
        'spec.ipFamilies[0]',
        'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
      ],
      [
        'an unknown policy',
        { ipFamilyPolicy: 'DualStack' },
        'spec.ipFamilyPolicy',
        'spec.ipFamilyPolicy: Unsupported value: "DualStack": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"',
      ],
      [
        "'None' beside an address",
        { clusterIP: 'None', clusterIPs: ['None', 'fd00:10:96::9'] },
        'spec.clusterIPs',
        `spec.clusterIPs: Invalid value: []string{"None", "fd00:10:96::9"}: 'None' must be the first and only value`,
      ],
    ])('refuses %s', async (_what, spec, field, detail) => {
      await refused(create('bad', spec), field, `Service "bad" is invalid: ${detail}`);
    });

    it('refuses ipFamilies and ipFamilyPolicy on an ExternalName Service', async () => {
      const res = request(t.http)
        .post(SVC)
        .send({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'ext' },
          spec: { type: 'ExternalName', externalName: 'example.com', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' },
        });
      await refused(
        res,
        'spec.ipFamilies',
        'Service "ext" is invalid: [spec.ipFamilies: Forbidden: may not be set for ExternalName services, spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services]',
      );
    });

    it('gives a headless dual-stack Service both families and no address', async () => {
      const spec = (await create('hl', { clusterIP: 'None', ipFamilyPolicy: 'RequireDualStack' }).expect(201)).body.spec;
      expect(spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4', 'IPv6'] });
    });

    it('upgrades a SingleStack Service to dual-stack, and downgrades it only with SingleStack', async () => {
      const before = (await create('web', {}).expect(201)).body.spec;
      const up = (await patch('web', { spec: { ipFamilyPolicy: 'RequireDualStack' } }).expect(200)).body.spec;
      expect(up.ipFamilies).toEqual(['IPv4', 'IPv6']);
      expect(up.clusterIPs[0]).toBe(before.clusterIP);
      expect(up.clusterIPs[1]).toMatch(/^fd00:10:96::/);

      await refused(
        patch('web', { spec: { ipFamilies: ['IPv4'], clusterIPs: [before.clusterIP] } }),
        'spec.ipFamilyPolicy',
        `Service "web" is invalid: [spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be 'SingleStack' to release the secondary cluster IP, spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be 'SingleStack' to release the secondary IP family]`,
      );
      await refused(
        patch('web', { spec: { clusterIPs: [before.clusterIP, 'fd00:10:96::99'] } }),
        'spec.clusterIPs[1]',
        `Service "web" is invalid: spec.clusterIPs[1]: Invalid value: []string{"${before.clusterIP}", "fd00:10:96::99"}: may not change once set`,
      );

      await refused(
        request(t.http)
          .patch(`${SVC}/web`)
          .set('Content-Type', 'application/json-patch+json')
          .send([{ op: 'remove', path: '/spec/ipFamilies/1' }]),
        'spec.ipFamilyPolicy',
        `Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be 'SingleStack' to release the secondary IP family`,
      );
      const down = (await patch('web', { spec: { ipFamilyPolicy: 'SingleStack' } }).expect(200)).body.spec;
      expect(down).toMatchObject({ ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], clusterIPs: [before.clusterIP] });
      // The secondary address went back to the pool.
      await create('reuse', { ipFamilyPolicy: 'RequireDualStack', clusterIP: '10.96.0.70', clusterIPs: ['10.96.0.70', up.clusterIPs[1]] }).expect(201);
    });

    it('refuses changing the primary family: the addresses no longer match the families', async () => {
      const spec = (await create('fam', { ipFamilyPolicy: 'PreferDualStack' }).expect(201)).body.spec;
      await refused(
        patch('fam', { spec: { ipFamilies: ['IPv6', 'IPv4'] } }),
        'spec.clusterIPs[0]',
        `Service "fam" is invalid: [spec.clusterIPs[0]: Invalid value: "${spec.clusterIPs[0]}": expected an IPv6 value as indicated by \`ipFamilies[0]\`, spec.clusterIPs[1]: Invalid value: "${spec.clusterIPs[1]}": expected an IPv4 value as indicated by \`ipFamilies[1]\`]`,
      );
    });

    it('releases both addresses when the Service is deleted', async () => {
      const spec = (await create('gone', { ipFamilyPolicy: 'RequireDualStack' }).expect(201)).body.spec;
      await request(t.http).delete(`${SVC}/gone`).expect(200);
      await create('back', { ipFamilyPolicy: 'RequireDualStack', clusterIP: spec.clusterIPs[0], clusterIPs: spec.clusterIPs }).expect(201);
    });

    it('reports both ClusterIP ranges in GET /netsim/v1/ipam', async () => {
      const res = await request(t.http).get('/netsim/v1/ipam').expect(200);
      expect(res.body.clusterIPs.range).toBe('10.96.0.0/12');
      expect(res.body.secondaryClusterIPs).toMatchObject({ kind: 'ClusterIP', range: 'fd00:10:96::/112', size: 65535 });
      expect(res.body.secondaryPodCIDRs).toMatchObject({ kind: 'PodCIDR', range: 'fd00:10:244::/56', size: 256 });
    });
  });

  describe('on a dual-stack cluster with IPv6 primary', () => {
    beforeEach(async () => {
      t = await startTestApp(DUAL_V6_FIRST);
    });

    it('defaults to IPv6, and puts IPv4 second for PreferDualStack', async () => {
      expect((await create('one', {}).expect(201)).body.spec).toMatchObject({ ipFamilies: ['IPv6'] });
      const spec = (await create('two', { ipFamilyPolicy: 'PreferDualStack' }).expect(201)).body.spec;
      expect(spec.ipFamilies).toEqual(['IPv6', 'IPv4']);
      expect(spec.clusterIP).toMatch(/^fd00:10:96::/);
    });

    it('gives default/kubernetes the first address of the primary range', async () => {
      const k = (await request(t.http).get(`${SVC}/kubernetes`).expect(200)).body.spec;
      expect(k).toMatchObject({ clusterIP: 'fd00:10:96::1', ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
    });
  });

  describe('on an IPv6-only cluster', () => {
    beforeEach(async () => {
      t = await startTestApp(V6_ONLY);
    });

    it('allocates IPv6 ClusterIPs and refuses RequireDualStack and IPv4', async () => {
      expect((await create('one', {}).expect(201)).body.spec).toMatchObject({ ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack' });
      await refused(
        create('req', { ipFamilyPolicy: 'RequireDualStack' }),
        'spec.ipFamilyPolicy',
        'Service "req" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      );
      await refused(
        create('four', { ipFamilies: ['IPv4'] }),
        'spec.ipFamilies[0]',
        'Service "four" is invalid: spec.ipFamilies[0]: Invalid value: "IPv4": not configured on this cluster',
      );
    });
  });
});
