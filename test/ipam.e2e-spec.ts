import request from 'supertest';
import { startTestApp } from './support/test-app';

describe('GET /netsim/v1/ipam (e2e)', () => {
  it('reports the default ranges with their sizes and static bands, default/kubernetes holding one address', async () => {
    const t = await startTestApp();
    try {
      const res = await request(t.http).get('/netsim/v1/ipam').expect(200);
      expect(res.body.clusterIPs).toEqual({
        kind: 'ClusterIP',
        range: '10.96.0.0/12',
        size: 1048574,
        used: 1, // default/kubernetes holds 10.96.0.1
        free: 1048573,
        staticBand: { first: '10.96.0.1', last: '10.96.1.0', size: 256 },
      });
      expect(res.body.nodePorts).toEqual({
        kind: 'NodePort',
        range: '30000-32767',
        size: 2768,
        used: 0,
        free: 2768,
        staticBand: { first: '30000', last: '30085', size: 86 },
      });
      expect(res.body.podCIDRs).toMatchObject({ kind: 'PodCIDR', range: '10.244.0.0/16', size: 256, used: 0, free: 256 });
      expect(res.body.nodes).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('follows the configured ranges', async () => {
    const t = await startTestApp({
      SERVICE_CLUSTER_IP_RANGE: '10.0.0.0/24',
      SERVICE_NODE_PORT_RANGE: '30000-30015',
      CLUSTER_CIDR: '10.100.0.0/20',
      NODE_CIDR_MASK_SIZE: '26',
    });
    try {
      const res = await request(t.http).get('/netsim/v1/ipam').expect(200);
      expect(res.body.clusterIPs).toMatchObject({ range: '10.0.0.0/24', size: 254, staticBand: { first: '10.0.0.1', last: '10.0.0.16', size: 16 } });
      expect(res.body.nodePorts).toMatchObject({ range: '30000-30015', size: 16, staticBand: null });
      expect(res.body.podCIDRs).toMatchObject({ range: '10.100.0.0/20', size: 64 });
    } finally {
      await t.close();
    }
  });
});
