import { categorizeEndpoints, type TopologyContext } from './categorize';
import type { EndpointInfo } from './endpoint-slice-cache';
import { servicePortsOf, type ServicePortInfo } from './service-port';
import { makeService } from '../../test/support/kube-proxy/builders';
import type { Service } from './types';

const ctx = (labels: Record<string, string> = {}, preferSameTrafficDistribution = true): TopologyContext => ({
  nodeName: 'node-a',
  topologyLabels: labels,
  preferSameTrafficDistribution,
});

function port(edit: (s: Service) => void = () => undefined): ServicePortInfo {
  const svc = makeService('ns1', 'svc1', (s) => {
    s.spec.clusterIP = '172.30.0.1';
    s.spec.ports = [{ name: 'p', port: 80, nodePort: 0 }];
    edit(s);
  });
  return [...servicePortsOf(svc, 'IPv4').values()][0];
}

function ep(ip: string, opts: Partial<EndpointInfo> = {}): EndpointInfo {
  return {
    ip,
    port: 80,
    endpoint: `${ip}:80`,
    isLocal: false,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: '',
    zone: '',
    chainName: `KUBE-SEP-${ip}`,
    ...opts,
  };
}

const names = (list: readonly EndpointInfo[]) => list.map((e) => e.ip);

describe('categorizeEndpoints', () => {
  it('has nothing to do without endpoints', () => {
    expect(categorizeEndpoints([], port(), ctx())).toEqual({ clusterEndpoints: [], localEndpoints: [], allReachable: [], hasAnyEndpoints: false });
  });

  it('uses ready endpoints for Cluster policy and needs no local list', () => {
    const r = categorizeEndpoints([ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: true, terminating: true })], port(), ctx());
    expect(names(r.clusterEndpoints)).toEqual(['10.0.0.1']);
    expect(r.localEndpoints).toEqual([]);
    expect(names(r.allReachable)).toEqual(['10.0.0.1']);
    expect(r.hasAnyEndpoints).toBe(true);
  });

  it('falls back to serving-terminating endpoints cluster-wide when none is ready', () => {
    const r = categorizeEndpoints(
      [ep('10.0.0.1', { ready: false, serving: true, terminating: true }), ep('10.0.0.2', { ready: false, serving: false, terminating: true })],
      port(),
      ctx(),
    );
    expect(names(r.clusterEndpoints)).toEqual(['10.0.0.1']);
    expect(r.hasAnyEndpoints).toBe(true);
  });

  it('never uses endpoints that are not serving', () => {
    const r = categorizeEndpoints([ep('10.0.0.1', { ready: false, serving: false, terminating: true })], port(), ctx());
    expect(r.hasAnyEndpoints).toBe(false);
  });

  it('with iTP=Local uses only local endpoints and no cluster list', () => {
    const r = categorizeEndpoints([ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')], port((s) => (s.spec.internalTrafficPolicy = 'Local')), ctx());
    expect(r.clusterEndpoints).toEqual([]);
    expect(names(r.localEndpoints)).toEqual(['10.0.0.1']);
    expect(names(r.allReachable)).toEqual(['10.0.0.1']);
  });

  it('keeps hasAnyEndpoints for remote endpoints when no local one exists (DROP, not REJECT)', () => {
    const r = categorizeEndpoints([ep('10.0.0.2')], port((s) => (s.spec.internalTrafficPolicy = 'Local')), ctx());
    expect(r.localEndpoints).toEqual([]);
    expect(r.hasAnyEndpoints).toBe(true);
  });

  it('decides the terminating fallback separately for the local list', () => {
    const sp = port((s) => {
      s.spec.type = 'NodePort';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.ports = [{ name: 'p', port: 80, nodePort: 30080 }];
    });
    const r = categorizeEndpoints(
      [ep('10.0.0.1', { isLocal: true, ready: false, serving: true, terminating: true }), ep('10.0.0.2')],
      sp,
      ctx(),
    );
    expect(names(r.clusterEndpoints)).toEqual(['10.0.0.2']);
    expect(names(r.localEndpoints)).toEqual(['10.0.0.1']);
    expect(names(r.allReachable)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('prefers the node zone when every ready endpoint has zone hints', () => {
    const hinted = (ip: string, zone: string) => ep(ip, { zoneHints: new Set([zone]) });
    const endpoints = [hinted('10.0.0.1', 'a'), hinted('10.0.0.2', 'b')];
    expect(names(categorizeEndpoints(endpoints, port(), ctx({ 'topology.kubernetes.io/zone': 'a' })).clusterEndpoints)).toEqual(['10.0.0.1']);
    // No hint names the node's zone: hints are ignored.
    expect(names(categorizeEndpoints(endpoints, port(), ctx({ 'topology.kubernetes.io/zone': 'c' })).clusterEndpoints)).toEqual(['10.0.0.1', '10.0.0.2']);
    // One ready endpoint without a hint: hints are ignored.
    expect(names(categorizeEndpoints([...endpoints, ep('10.0.0.3')], port(), ctx({ 'topology.kubernetes.io/zone': 'a' })).clusterEndpoints)).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
    ]);
  });

  it('prefers the node itself with node hints only behind the PreferSameTrafficDistribution gate', () => {
    const endpoints = [ep('10.0.0.1', { nodeHints: new Set(['node-a']) }), ep('10.0.0.2', { nodeHints: new Set(['node-b']) })];
    expect(names(categorizeEndpoints(endpoints, port(), ctx({}, true)).clusterEndpoints)).toEqual(['10.0.0.1']);
    expect(names(categorizeEndpoints(endpoints, port(), ctx({}, false)).clusterEndpoints)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
