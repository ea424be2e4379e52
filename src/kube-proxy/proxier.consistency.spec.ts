/**
 * Partial syncs are only correct if, applied on top of what was there, they
 * leave the tables exactly as a full sync of the same objects would. This
 * drives a proxier through random Service and EndpointSlice changes and
 * checks that after every sync.
 */
import fc from 'fast-check';
import { upstreamTestProxier } from '../../test/support/kube-proxy/builders';
import { variantService as service, variantSlice as slice } from '../../test/support/kube-proxy/variants';
import { applyRestore, type TableState } from '../../test/support/kube-proxy/restore-text';
import type { EndpointSlice, Service } from './types';

type Op =
  | { kind: 'service'; svc: number; variant: number }
  | { kind: 'deleteService'; svc: number }
  | { kind: 'slice'; svc: number; slice: number; endpoints: number[]; state: number }
  | { kind: 'deleteSlice'; svc: number; slice: number };

const SERVICES = 4;

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('service' as const), svc: fc.nat(SERVICES - 1), variant: fc.nat(127) }),
  fc.record({ kind: fc.constant('deleteService' as const), svc: fc.nat(SERVICES - 1) }),
  fc.record({
    kind: fc.constant('slice' as const),
    svc: fc.nat(SERVICES - 1),
    slice: fc.nat(1),
    endpoints: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 5 }),
    state: fc.nat(255),
  }),
  fc.record({ kind: fc.constant('deleteSlice' as const), svc: fc.nat(SERVICES - 1), slice: fc.nat(1) }),
);

function snapshot(state: TableState): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [t, chains] of [...state].sort()) {
    out[t] = {};
    for (const [c, rules] of [...chains].sort()) out[t][c] = rules;
  }
  return out;
}

describe('partial syncs', () => {
  it('leave the tables as a full sync of the same objects would', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), (batches) => {
        const { proxier } = upstreamTestProxier();
        const services = new Map<number, Service>();
        const slices = new Map<string, EndpointSlice>();
        const tables: TableState = new Map();
        applyRestore(tables, proxier.sync().text);
        for (const batch of batches) {
          for (const o of batch) {
            if (o.kind === 'service') {
              const s = service(o.svc, o.variant);
              services.set(o.svc, s);
              proxier.onServiceAdd(s);
            } else if (o.kind === 'deleteService') {
              const s = services.get(o.svc);
              if (s) proxier.onServiceDelete(s);
              services.delete(o.svc);
            } else if (o.kind === 'slice') {
              const s = slice(o.svc, o.slice, o.endpoints, o.state);
              slices.set(`${o.svc}/${o.slice}`, s);
              proxier.onEndpointSliceAdd(s);
            } else {
              const s = slices.get(`${o.svc}/${o.slice}`);
              if (s) proxier.onEndpointSliceDelete(s);
              slices.delete(`${o.svc}/${o.slice}`);
            }
          }
          const r = proxier.sync();
          expect(r.full).toBe(false);
          applyRestore(tables, r.text);

          const fresh = upstreamTestProxier().proxier;
          for (const s of services.values()) fresh.onServiceAdd(s);
          for (const s of slices.values()) fresh.onEndpointSliceAdd(s);
          const expected: TableState = new Map();
          applyRestore(expected, fresh.sync().text);
          expect(snapshot(tables)).toEqual(snapshot(expected));
        }
      }),
      { numRuns: 150 },
    );
  });
});
