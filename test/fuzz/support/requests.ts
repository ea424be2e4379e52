import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { RESOURCE_TYPES, ResourceType } from '../../../src/cluster/store/resource-types';
import { baseObject, contentTypes, iptablesText, JSON_TYPE, netsimBody, objectBody, patchBody, Payload } from './bodies';
import { mutate, mutation, oddStrings } from './values';

/** One generated HTTP request, with the route it aims at (for grouping failures). */
export interface FuzzRequest {
  route: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  family: string;
}

/** Names in the demo cluster, so that some requests reach real objects. */
export const DEMO_NAMES: Record<string, string[]> = {
  nodes: ['kind-control-plane', 'kind-worker', 'kind-worker2'],
  namespaces: ['default', 'kube-system'],
  services: ['web', 'db', 'web-nodeport', 'kube-dns', 'kubernetes'],
  deployments: ['web', 'coredns'],
  pods: ['db-0'],
};

const validName = fc.oneof(fc.constantFrom('fz-a', 'fz-b', 'fz-c', 'fz-d'), fc.integer({ min: 0, max: 999 }).map((n) => `fz-${n}`), fc.constant('a'.repeat(253)), fc.constant(`${'a'.repeat(63)}.${'b'.repeat(63)}`));
/** Path segments a client can send: percent-encoded, non-ASCII, prototype names, too long. */
const badSegment = fc.oneof(
  fc.constantFrom('%zz', '%', '%E0%A4%A', '%C0%AF', '%00', '%2F', '%2e%2e', 'é', encodeURIComponent('é'), '日本', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'UPPER', '-x', 'a_b', '..', '.'),
  fc.constantFrom(101, 254, 2000, 9000).map((n) => 'a'.repeat(n)),
  oddStrings.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?')).slice(0, 3000)),
);
function nameFor(plural: string): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(DEMO_NAMES[plural] ?? ['fz-a'])) }, { weight: 3, arbitrary: validName }, { weight: 2, arbitrary: badSegment });
}
const namespace = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('default', 'kube-system') }, { weight: 1, arbitrary: fc.constantFrom('nope', 'fz-ns') }, { weight: 1, arbitrary: badSegment });
const node = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...DEMO_NAMES.nodes) }, { weight: 1, arbitrary: fc.constantFrom('nope', `n-${'a'.repeat(120)}`) }, { weight: 1, arbitrary: badSegment });

/** Query strings the list, watch and write verbs read. */
const kubeQuery = fc
  .array(
    fc.oneof(
      fc.constantFrom('labelSelector=app%3Dweb', 'labelSelector=a+in+(', 'labelSelector=!!', 'labelSelector=__proto__%3Dx', 'labelSelector=constructor', 'labelSelector=' + 'a'.repeat(400)),
      fc.constantFrom('fieldSelector=metadata.name%3Dweb', 'fieldSelector=bogus%3D1', 'fieldSelector=spec.nodeName%3D', 'fieldSelector=%3D%3D'),
      fc.constantFrom('dryRun=All', 'dryRun=bogus', 'dryRun=', 'dryRun=All&dryRun=x'),
      fc.constantFrom('gracePeriodSeconds=0', 'gracePeriodSeconds=-1', 'gracePeriodSeconds=x', 'gracePeriodSeconds=1e99'),
      fc.constantFrom('includeObject=Object', 'includeObject=bogus', 'resourceVersion=0', 'resourceVersion=abc', 'limit=-1', 'x=%zz', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1'),
      fc.constantFrom('watch=true&timeoutSeconds=abc', 'watch=1&timeoutSeconds=-1', 'watch=true&timeoutSeconds=1.5'),
    ),
    { maxLength: 2 },
  )
  .map((qs) => (qs.length ? `?${qs.join('&')}` : ''));

const ACCEPTS = ['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/vnd.kubernetes.protobuf', '*/*', 'text/html', ''];

function headersOf(payload: Payload | undefined, accept?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (payload?.contentType !== undefined) headers['content-type'] = payload.contentType;
  if (accept) headers.accept = accept;
  return headers;
}

/** A request on a Kubernetes resource path: every verb, every served resource, good and bad names. */
function kubeRequest(type: ResourceType): fc.Arbitrary<FuzzRequest> {
  const prefix = type.group ? `/apis/${type.group}/${type.version}` : '/api/v1';
  const ns = type.namespaced ? namespace : fc.constant(undefined);
  return fc
    .record({
      ns,
      name: nameFor(type.plural),
      sub: fc.constantFrom<string | undefined>(undefined, undefined, undefined, 'status', 'scale', 'finalize', 'bogus'),
      item: fc.boolean(),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      query: kubeQuery,
      accept: fc.constantFrom(...ACCEPTS),
      seed: fc.nat(),
    })
    .chain((r) => {
      const base = r.ns === undefined ? `${prefix}/${type.plural}` : `${prefix}/namespaces/${r.ns}/${type.plural}`;
      const routeBase = r.ns === undefined ? `${prefix}/${type.plural}` : `${prefix}/namespaces/{ns}/${type.plural}`;
      const url = r.item ? `${base}/${r.name}${r.sub ? `/${r.sub}` : ''}` : base;
      const route = `${r.method} ${r.item ? `${routeBase}/{name}${r.sub ? `/${r.sub}` : ''}` : routeBase}`;
      const body: fc.Arbitrary<Payload | undefined> =
        r.method === 'PATCH' ? patchBody : r.method === 'POST' || r.method === 'PUT' ? objectBody(type.plural, r.name, r.ns ?? 'default') : r.method === 'DELETE' ? fc.option(fc.constant({ family: 'delete-options', contentType: JSON_TYPE, text: '{"gracePeriodSeconds":-5}' })).map((p) => p ?? undefined) : fc.constant(undefined);
      return body.map((payload) => ({ route, method: r.method, url: url + r.query, headers: headersOf(payload, r.accept), body: payload?.text, family: payload?.family ?? 'no-body' }));
    });
}

function post(route: string, url: string, payload: fc.Arbitrary<Payload>, method = 'POST'): fc.Arbitrary<FuzzRequest> {
  return payload.map((p) => ({ route: `${method} ${route}`, method, url, headers: headersOf(p), body: p.text, family: p.family }));
}

const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '192.168.0.9', sourcePort: 40000, destination: '10.96.0.1', destinationPort: 80, tcpFlags: ['SYN'] };

const trace = fc
  .tuple(iptablesText, fc.array(mutation, { maxLength: 2 }), fc.constantFrom('enumerate', 'sample', 'bogus'))
  .chain(([rules, ms, mode]) =>
    post('/netsim/v1/trace', '/netsim/v1/trace', netsimBody({ rules: rules.text, packet: mutate(packet, ms), mode, seed: 7 }).map((p) => ({ ...p, family: `${rules.family}/${p.family}` }))),
  );
const nodeTrace = fc
  .tuple(node, fc.array(mutation, { maxLength: 2 }), fc.constantFrom('enumerate', 'sample', 'bogus'), fc.constantFrom(undefined, 'ipv4', 'ipv6', 'inet6'))
  .chain(([n, ms, mode, family]) =>
    netsimBody({ family, packet: mutate(packet, ms), mode, seed: 7 }).map((p) => ({ route: 'POST /netsim/v1/nodes/{node}/trace', method: 'POST', url: `/netsim/v1/nodes/${n}/trace`, headers: headersOf(p), body: p.text, family: p.family })),
  );
const save = iptablesText.chain((rules) => post('/netsim/v1/iptables/save', '/netsim/v1/iptables/save', netsimBody({ rules: rules.text, counters: true }).map((p) => ({ ...p, family: `${rules.family}/${p.family}` }))));
const traffic = fc
  .record({
    from: fc.constantFrom<unknown>('pod/default/db-0', 'node/kind-worker', { external: '203.0.113.7' }, 'pod/default/nope', 'pod//', { external: 'x', extra: 1 }, 'node/' + 'a'.repeat(600)),
    to: fc.constantFrom<unknown>('web:80', 'web.default:80', 'kube-dns.kube-system:53', '10.96.0.10:53', 'service/default/web:80', 'pod/default/db-0:5432', 'nope:1', ':', 'web:99999', '999.1.1.1:80', 'a'.repeat(600)),
    protocol: fc.constantFrom('tcp', 'udp', 'sctp', 'icmp'),
    mode: fc.constantFrom('enumerate', 'sample'),
    count: fc.constantFrom(1, 10, 100, 0),
  })
  .chain((base) => post('/netsim/v1/traffic', '/netsim/v1/traffic', netsimBody(base)));
const advance = fc.oneof(
  fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom<unknown>(-1, 1e308, 30 * 24 * 3600 + 1, 'x', null, [], {}, '10', 0.001)).map((seconds) => ({ seconds })),
).chain((base) => post('/netsim/v1/clock/advance', '/netsim/v1/clock/advance', netsimBody(base)));
const proxyConfig = { clusterCIDR: '10.244.0.0/16', iptables: { masqueradeAll: false, minSyncPeriod: '1s', syncPeriod: '30s' }, mode: 'iptables', featureGates: { Bogus: true } };
const clusterConfig = post('/netsim/v1/kube-proxy/config', '/netsim/v1/kube-proxy/config', netsimBody(proxyConfig), 'PUT');
const nodeConfig = fc.tuple(node, netsimBody(proxyConfig)).map(([n, p]) => ({ route: 'PUT /netsim/v1/nodes/{node}/kube-proxy/config', method: 'PUT', url: `/netsim/v1/nodes/${n}/kube-proxy/config`, headers: headersOf(p), body: p.text, family: p.family }));
const render = post('/netsim/v1/kube-proxy/render', '/netsim/v1/kube-proxy/render', netsimBody({ config: { clusterCIDR: '10.244.0.0/16' }, node: { name: 'test-node', addresses: ['192.168.0.2'] }, objects: [baseObject('services', 's', 'default')], format: 'restore' }));
const applyDocs = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...RESOURCE_TYPES.map((t) => t.plural)), validName, fc.array(mutation, { maxLength: 2 })), { minLength: 1, maxLength: 3 }),
    fc.constantFrom('yaml', 'json-array', 'json-list'),
  )
  .map(([docs, shape]) => {
    const objects = docs.map(([plural, name, ms]) => mutate(baseObject(plural, name), ms));
    if (shape === 'yaml') return { family: 'apply-yaml', contentType: 'application/yaml', text: objects.map((o) => toYaml(o)).join('---\n') };
    return { family: `apply-${shape}`, contentType: JSON_TYPE, text: JSON.stringify(shape === 'json-list' ? { apiVersion: 'v1', kind: 'List', items: objects } : objects) };
  });
const apply = fc.tuple(fc.oneof(applyDocs, netsimBody({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fz-apply' } })), fc.constantFrom('POST', 'DELETE'), fc.constantFrom('', '?dryRun=All', '?dryRun=x')).map(([p, method, q]) => ({ route: `${method} /netsim/v1/apply`, method, url: `/netsim/v1/apply${q}`, headers: headersOf(p), body: p.text, family: p.family }));

const nodeGets = fc
  .tuple(node, fc.constantFrom('iptables', 'iptables/chains/KUBE-SERVICES', 'iptables/chains/{chain}', 'kube-proxy', 'nftables', 'conntrack', 'routes', 'interfaces', 'manifests'), fc.constantFrom('', '?format=text', '?format=json', '?format=restore', '?format=nft', '?format=bogus', '?table=nat', '?table=bogus', '?family=ip6', '?counters=maybe'), badSegment)
  .map(([n, what, q, chain]) => ({ route: `GET /netsim/v1/nodes/{node}/${what}`, method: 'GET', url: `/netsim/v1/nodes/${n}/${what.replace('{chain}', chain)}${q}`, headers: {}, family: 'node-view' }));
const kubelet = fc.tuple(node, fc.constantFrom('stop', 'start')).map(([n, what]) => ({ route: `POST /netsim/v1/nodes/{node}/kubelet/${what}`, method: 'POST', url: `/netsim/v1/nodes/${n}/kubelet/${what}`, headers: {}, family: 'kubelet' }));
const manifests = fc
  .tuple(node, fc.oneof(fc.constantFrom('static.yaml', 'x.json'), badSegment), fc.constantFrom('PUT', 'DELETE'), objectBody('pods', 'static', 'default'))
  .map(([n, file, method, p]) => ({ route: `${method} /netsim/v1/nodes/{node}/manifests/{file}`, method, url: `/netsim/v1/nodes/${n}/manifests/${file}`, headers: method === 'PUT' ? headersOf(p) : {}, body: method === 'PUT' ? p.text : undefined, family: method === 'PUT' ? p.family : 'no-body' }));
const plainGets = fc
  .tuple(fc.constantFrom('/healthz', '/livez', '/readyz', '/version', '/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/apis/nope/v1', '/apis/%zz', '/openapi/v3', '/openapi/v3/api/v1', '/openapi/v3/%zz', '/netsim/v1/clock', '/netsim/v1/ipam', '/netsim/v1/kube-proxy/config', '/nope', '/api/v2/pods', '/api/v1/%E0%A4%A', '/docs-json'), fc.constantFrom('GET', 'GET', 'POST', 'DELETE', 'PUT'))
  .map(([url, method]) => ({ route: `${method} ${url}`, method, url, headers: {}, family: 'plain' }));
/** Headers a client gets wrong: Content-Length, Transfer-Encoding, Accept; a body on a GET. */
const oddHeaders = fc
  .tuple(fc.constantFrom('/api/v1/namespaces/default/services', '/netsim/v1/traffic', '/netsim/v1/apply', '/netsim/v1/clock/advance'), fc.constantFrom(...ACCEPTS), contentTypes, fc.constantFrom<Record<string, string>>({}, { 'content-encoding': 'gzip' }, { 'content-encoding': 'bogus' }, { 'x-http-method-override': 'DELETE' }, { expect: '100-continue' }, { 'content-type': 'application/json', 'content-length': '0' }), fc.constantFrom('GET', 'POST'))
  .map(([url, accept, ct, extra, method]) => ({ route: `${method} ${url} (headers)`, method, url, headers: { ...(ct === undefined ? {} : { 'content-type': ct }), accept, ...extra }, body: method === 'POST' ? '{"seconds":1}' : undefined, family: 'headers' }));

/** Bodies past kube-apiserver's 3 MiB limit, and a watch from a resourceVersion the server has not reached. */
const limits = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('/netsim/v1/apply', '/api/v1/namespaces/default/services').map((url) => ({ route: `POST ${url} (3.5 MiB)`, method: 'POST', url, headers: { 'content-type': url.includes('apply') ? 'application/yaml' : JSON_TYPE }, body: url.includes('apply') ? 'a: '.padEnd(3.5 * 1024 * 1024, 'x') : JSON.stringify({ metadata: { name: 'big', annotations: { a: 'x'.repeat(3.5 * 1024 * 1024) } } }), family: 'huge-body' })) },
  { weight: 3, arbitrary: fc.constantFrom('services', 'pods').map((plural) => ({ route: `GET /api/v1/namespaces/{ns}/${plural}?watch (future resourceVersion)`, method: 'GET', url: `/api/v1/namespaces/default/${plural}?watch=true&resourceVersion=999999999&timeoutSeconds=1`, headers: {}, family: 'watch-future-rv' })) },
  { weight: 3, arbitrary: fc.constantFrom(3601, 86400, 30 * 24 * 3600).map((seconds) => ({ route: 'POST /netsim/v1/clock/advance (long)', method: 'POST', url: '/netsim/v1/clock/advance', headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ seconds }), family: 'clock-long' })) },
);

/** Patches of every type to objects that exist, so that each reaches the patch code rather than a 404. */
const EXISTING = [
  ['/api/v1/namespaces/{ns}/services/{name}', '/api/v1/namespaces/default/services/web'],
  ['/api/v1/namespaces/{ns}/services/{name}/status', '/api/v1/namespaces/default/services/db/status'],
  ['/apis/apps/v1/namespaces/{ns}/deployments/{name}', '/apis/apps/v1/namespaces/default/deployments/web'],
  ['/apis/apps/v1/namespaces/{ns}/deployments/{name}/scale', '/apis/apps/v1/namespaces/default/deployments/web/scale'],
  ['/api/v1/nodes/{name}', '/api/v1/nodes/kind-worker2'],
  ['/api/v1/namespaces/{name}', '/api/v1/namespaces/default'],
  ['/api/v1/namespaces/{ns}/pods/{name}', '/api/v1/namespaces/default/pods/db-0'],
] as const;
const patchExisting = fc.tuple(fc.constantFrom(...EXISTING), patchBody).map(([[route, url], p]) => ({ route: `PATCH ${route} (existing)`, method: 'PATCH', url, headers: headersOf(p), body: p.text, family: p.family }));

/** Every endpoint, weighted so that each is reached often in a few thousand requests. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  ...RESOURCE_TYPES.map((t) => ({ weight: t.plural === 'services' || t.plural === 'deployments' ? 4 : 2, arbitrary: kubeRequest(t) })),
  { weight: 3, arbitrary: trace },
  { weight: 1, arbitrary: nodeTrace },
  { weight: 2, arbitrary: save },
  { weight: 3, arbitrary: traffic },
  { weight: 2, arbitrary: advance },
  { weight: 2, arbitrary: clusterConfig },
  { weight: 2, arbitrary: nodeConfig },
  { weight: 1, arbitrary: render },
  { weight: 3, arbitrary: apply },
  { weight: 2, arbitrary: nodeGets },
  { weight: 1, arbitrary: kubelet },
  { weight: 2, arbitrary: manifests },
  { weight: 1, arbitrary: plainGets },
  { weight: 1, arbitrary: oddHeaders },
  { weight: 1, arbitrary: limits },
  { weight: 4, arbitrary: patchExisting },
);

export { contentTypes };
