import { newCluster } from '../../test/support/cluster/cluster';
import { NameResolver } from './names';

const DUAL = { serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112', clusterCidr: '10.244.0.0/16,fd00:10:244::/56', nodeCidrMaskSize: undefined };

function setup() {
  const c = newCluster(DUAL);
  const t = (key: string) => c.store.resourceType(key);
  c.store.create(t('nodes'), { metadata: { name: 'n0' } });
  for (const name of ['a', 'b']) {
    c.store.create(t('pods'), { metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'n0', containers: [{ name: 'c', image: 'nginx' }] } }, 'default');
  }
  const service = (name: string, spec: Record<string, unknown>) =>
    c.store.create(t('services'), { metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } }, 'default').spec as { clusterIPs: string[] };
  return { c, service, names: new NameResolver(c) };
}

describe('DNS names on a dual-stack cluster', () => {
  it('answers A and AAAA records for a dual-stack Service, AAAA alone for an IPv6 one', () => {
    const { service, names } = setup();
    const dual = service('dual', { ipFamilyPolicy: 'PreferDualStack' });
    expect(names.resolve('dual.default.svc.cluster.local', [])).toMatchObject({ addresses: [dual.clusterIPs[0]], aaaa: [dual.clusterIPs[1]] });
    const six = service('six', { ipFamilies: ['IPv6'] });
    expect(names.resolve('six.default.svc.cluster.local', [])).toMatchObject({ kind: 'addresses', addresses: [], aaaa: six.clusterIPs });
    const four = names.resolve('kubernetes.default.svc.cluster.local', []);
    expect(four).toMatchObject({ addresses: ['10.96.0.1'] });
    expect(four).not.toHaveProperty('aaaa');
  });

  it('answers a headless dual-stack Service with the pods of each family', () => {
    const { service, names } = setup();
    service('hl', { clusterIP: 'None', ipFamilyPolicy: 'RequireDualStack' });
    expect(names.resolve('hl.default.svc.cluster.local', [])).toMatchObject({
      addresses: ['10.244.0.2', '10.244.0.3'],
      aaaa: ['fd00:10:244::2', 'fd00:10:244::3'],
    });
  });

  it('answers IPv6 pod names, the colons written as dashes', () => {
    const { names } = setup();
    expect(names.resolve('fd00-10-244--2.default.pod.cluster.local', [])).toMatchObject({ addresses: [], aaaa: ['fd00:10:244::2'] });
    expect(names.resolve('10-244-0-2.default.pod.cluster.local', [])).toMatchObject({ addresses: ['10.244.0.2'] });
  });
});
