import { readFileSync } from 'node:fs';
import { nameErrors, pathSegmentNameErrors } from '../validation/names';
import { RESOURCE_TYPES, resourceTypeOfKind } from './resource-types';

describe('the served kinds', () => {
  it('are the kinds the OpenAPI generator reads schemas for', () => {
    // scripts/served-kinds.mjs is an ES module: read it as text, the list is plain data.
    const text = readFileSync(`${__dirname}/../../../scripts/served-kinds.mjs`, 'utf8');
    const listed = [...text.matchAll(/\['([^']*)', '([^']+)', '([^']+)'\]/g)].map((m) => `${m[1]}/${m[2]}/${m[3]}`).sort();
    expect(listed).toEqual(RESOURCE_TYPES.map((t) => `${t.group}/${t.version}/${t.kind}`).sort());
  });

  it('carry upstream short names, scopes and the all category', () => {
    const t = (apiVersion: string, kind: string) => resourceTypeOfKind(apiVersion, kind)!;
    expect(t('v1', 'ServiceAccount').shortNames).toEqual(['sa']);
    expect(t('networking.k8s.io/v1', 'NetworkPolicy').shortNames).toEqual(['netpol']);
    expect(t('v1', 'PersistentVolume').namespaced).toBe(false);
    expect(t('autoscaling/v2', 'HorizontalPodAutoscaler').shortNames).toEqual(['hpa']);
    expect(RESOURCE_TYPES.filter((x) => x.categories?.includes('all')).map((x) => x.plural).sort()).toEqual(
      ['cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'jobs', 'pods', 'replicasets', 'replicationcontrollers', 'services', 'statefulsets'],
    );
  });

  it('check names by their kind\'s rule', () => {
    expect(nameErrors('path-segment', 'system:controller:x')).toEqual([]);
    expect(pathSegmentNameErrors('..')).toEqual(["may not be '..'"]);
    expect(pathSegmentNameErrors('a/b%c')).toEqual(["may not contain '/'", "may not contain '%'"]);
    expect(nameErrors('dns1123-label', 'db.v1')).toHaveLength(1);
    expect(nameErrors('dns1123-subdomain', 'db.v1')).toEqual([]);
  });
});
