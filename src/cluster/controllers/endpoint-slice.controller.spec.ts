import { newCluster } from '../cluster.testing';
import { resourceTypeByKey } from '../store/resource-types';
import { SERVICES_PER_RECONCILE } from './endpoint-slice.controller';

const services = resourceTypeByKey('services')!;
const endpoints = resourceTypeByKey('endpoints')!;

describe('EndpointSliceController', () => {
  it(`syncs at most ${SERVICES_PER_RECONCILE} Services a reconcile, so a sliced settle works through thousands of new Services in steps`, async () => {
    const cluster = newCluster();
    const reconciles: string[] = [];
    cluster.controllers.settleInSlices({ sliceMs: 0, timed: (name) => reconciles.push(name) });
    const count = 2 * SERVICES_PER_RECONCILE + 50;
    cluster.store.transaction(() => {
      for (let i = 0; i < count; i++) {
        cluster.store.create(services, { metadata: { name: `s-${i}`, namespace: 'default' }, spec: { selector: { app: `a-${i}` }, ports: [{ port: 80 }] } });
      }
    });
    // The Endpoints objects written after each reconcile of the controller.
    const seen: number[] = [];
    while (!cluster.controllers.isIdle) {
      const before = reconciles.length;
      await new Promise((resolve) => setImmediate(resolve));
      if (reconciles.slice(before).includes('endpointslice-controller')) seen.push(cluster.store.list(endpoints, { namespace: 'default' }).items.length);
    }
    // Counted with `kubernetes`'s own.
    expect(seen.slice(0, 3)).toEqual([1 + SERVICES_PER_RECONCILE, 1 + 2 * SERVICES_PER_RECONCILE, 1 + count]);
  });
});
