import { FieldErrors } from '../validation/field-errors';
import { initIPFamilyFields, matchesPreferDualStack, normalizeClusterIPs } from './service-ip-families';
import { ServiceSpec } from './service.types';

function init(spec: ServiceSpec, old: ServiceSpec | undefined, families: Array<'IPv4' | 'IPv6'>): string[] {
  const errors = new FieldErrors();
  initIPFamilyFields(spec, old, families, errors);
  return errors.list.map((e) => `${e.field}: ${e.detail}`);
}

describe('Service IP families', () => {
  it('keeps clusterIP and clusterIPs in step as the registry does', () => {
    const created: ServiceSpec = { clusterIP: '10.96.0.5' };
    normalizeClusterIPs(created, undefined);
    expect(created.clusterIPs).toEqual(['10.96.0.5']);

    const old: ServiceSpec = { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5', 'fd00::5'] };
    const patched: ServiceSpec = { clusterIP: '10.96.0.5' }; // an old client that knows no clusterIPs
    normalizeClusterIPs(patched, old);
    expect(patched.clusterIPs).toEqual(['10.96.0.5', 'fd00::5']);

    const cleared: ServiceSpec = { clusterIP: '', clusterIPs: ['10.96.0.5', 'fd00::5'] };
    normalizeClusterIPs(cleared, old);
    expect(cleared.clusterIPs).toBeUndefined();
  });

  it('takes the old policy on an update that leaves it out', () => {
    const spec: ServiceSpec = { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ipFamilies: ['IPv4'] };
    expect(init(spec, { ...spec, ipFamilyPolicy: 'PreferDualStack' }, ['IPv4', 'IPv6'])).toEqual([]);
    expect(spec.ipFamilyPolicy).toBe('PreferDualStack');
  });

  it('leaves a PreferDualStack Service as it is when nothing about its families changed', () => {
    const old: ServiceSpec = { type: 'ClusterIP', ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4'], clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] };
    const spec: ServiceSpec = { ...old };
    expect(matchesPreferDualStack(spec, old)).toBe(true);
    // The cluster became dual-stack since: no second family is added.
    expect(init(spec, old, ['IPv4', 'IPv6'])).toEqual([]);
    expect(spec.ipFamilies).toEqual(['IPv4']);
    expect(matchesPreferDualStack({ ...spec, ipFamilyPolicy: 'RequireDualStack' }, old)).toBe(false);
  });

  it('lets a headless selector-less Service name a family the cluster lacks', () => {
    const spec: ServiceSpec = { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv6'] };
    expect(init(spec, undefined, ['IPv4'])).toEqual([]);
    expect(spec).toMatchObject({ ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] });
  });

  it('refuses a SingleStack update that drops the secondary family only with SingleStack', () => {
    const old: ServiceSpec = { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5', 'fd00::5'] };
    const single: ServiceSpec = { ...old, ipFamilyPolicy: 'SingleStack' };
    expect(init(single, old, ['IPv4', 'IPv6'])).toEqual([]);
    expect(single).toMatchObject({ ipFamilies: ['IPv4'], clusterIPs: ['10.96.0.5'] });
  });
});
