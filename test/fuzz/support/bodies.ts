import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { depths, hugeNumberLiterals, mutate, mutation, withDeepValue, INHERITED_NAMES, PROTOTYPE_KEYS, anyValue } from './values';

/** A request body as it goes on the wire, with the family of generator that made it (for reports). */
export interface Payload {
  family: string;
  /** undefined: no Content-Type header at all. */
  contentType: string | undefined;
  text: string;
}

export const JSON_TYPE = 'application/json';

/** Content types clients send, right and wrong. */
export const contentTypes = fc.constantFrom<string | undefined>(
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/plain',
  'text/html',
  'application/vnd.kubernetes.protobuf',
  'application/cbor',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'application/foo+json',
  'application/foo+yaml',
  'application/octet-stream',
  'garbage',
  ';;;',
);

/** Well-formed objects of each served resource, to be bent. */
export function baseObject(plural: string, name: string, namespace = 'default'): Record<string, unknown> {
  const meta = { name, namespace, labels: { app: name } };
  const template = { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } };
  switch (plural) {
    case 'namespaces':
      return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    case 'nodes':
      return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: 'a' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    case 'pods':
      return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: template.spec };
    case 'services':
      return { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' } };
    case 'endpoints':
      return { apiVersion: 'v1', kind: 'Endpoints', metadata: meta, subsets: [{ addresses: [{ ip: '10.244.1.9' }], ports: [{ port: 80 }] }] };
    case 'events':
      return { apiVersion: 'v1', kind: 'Event', metadata: meta, involvedObject: { kind: 'Pod', name: 'x', namespace }, reason: 'R', message: 'm', type: 'Normal' };
    case 'endpointslices':
      return { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: meta, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.9'] }], ports: [{ port: 80 }] };
    case 'deployments':
      return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template } };
    case 'replicasets':
      return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template } };
    case 'daemonsets':
      return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: { matchLabels: { app: name } }, template } };
    case 'leases':
      return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec: { holderIdentity: 'x', leaseDurationSeconds: 40 } };
    default:
      return { apiVersion: 'v1', kind: 'Unknown', metadata: meta };
  }
}

/** Text that is not the JSON it claims to be. */
const malformedJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"a" 1}', "{'a':1}", '{"a":1,}', 'nul', '\u0000', '{"a":"\\x"}', '{"a":"\ud800"}', ' ', '{}{}', '"just a string"', '42', 'null', '[]', 'true'),
  hugeNumberLiterals.map((n) => `{"spec":{"replicas":${n},"ports":[{"port":${n}}]},"seconds":${n}}`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Text that is not the YAML it claims to be, or YAML that costs more than it looks. */
const badYaml = fc.oneof(
  fc.constantFrom(
    'a: [1, 2',
    'a:\n\t- b',
    'a: "unclosed',
    ': :',
    '- a\nb: c',
    'a: &x 1\nb: *y',
    'a: !!binary AAAA',
    'a: !!js/function "function(){}"',
    'a: !<tag:yaml.org,2002:python/object> {}',
    '---\n---\n---',
    'a: 1\na: 2',
    '<<: {__proto__: {polluted: 1}}',
    '__proto__: {polluted: 1}\napiVersion: v1\nkind: Namespace\nmetadata: {name: protoyaml}',
    'apiVersion: v1\nkind: Service\nmetadata: {name: yy}\nspec: {ports: [{port: 0x50}]}',
    '%YAML 9.9\n---\na: 1',
    '? [a, b]\n: c',
  ),
  fc.integer({ min: 2, max: 6 }).map((n) => {
    // an alias bomb small enough to be cheap if it is ever expanded
    const lines = ['a0: &a0 [x, x, x]'];
    for (let i = 1; i <= n; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    return lines.join('\n');
  }),
  fc.integer({ min: 50, max: 3000 }).map((n) => '- '.repeat(n) + 'x'),
  fc.integer({ min: 50, max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 200, max: 1500 }).map((n) => Array.from({ length: n }, (_, i) => `---\nk${i}: v`).join('\n')),
  fc.string({ maxLength: 60 }),
);

/** A body for a write to `plural`: a bent object as JSON or YAML, broken text, deep nesting, prototype keys. */
export function objectBody(plural: string, name: string, namespace: string): fc.Arbitrary<Payload> {
  const base = baseObject(plural, name, namespace);
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(mutation, { maxLength: 3 }).map((ms) => ({ family: ms.length ? `mutated:${ms.map((m) => m.kind).join('+')}` : 'valid', contentType: JSON_TYPE, text: JSON.stringify(mutate(base, ms)) })) },
    { weight: 1, arbitrary: fc.tuple(fc.array(mutation, { maxLength: 2 }), fc.constantFrom('application/yaml', 'application/x-yaml', 'text/yaml')).map(([ms, ct]) => ({ family: 'yaml-object', contentType: ct, text: toYaml(mutate(base, ms)) })) },
    { weight: 1, arbitrary: fc.tuple(fc.array(mutation, { maxLength: 2 }), contentTypes).map(([ms, ct]) => ({ family: 'content-type', contentType: ct, text: JSON.stringify(mutate(base, ms)) })) },
    { weight: 1, arbitrary: malformedJson.map((text) => ({ family: 'malformed-json', contentType: JSON_TYPE, text })) },
    { weight: 1, arbitrary: badYaml.map((text) => ({ family: 'bad-yaml', contentType: 'application/yaml', text })) },
    { weight: 1, arbitrary: fc.tuple(depths, fc.constantFrom<'object' | 'array'>('object', 'array'), fc.constantFrom('spec', 'metadata', 'status', 'data')).map(([d, shape, key]) => ({ family: `deep-${shape}`, contentType: JSON_TYPE, text: withDeepValue(base, key, d, shape) })) },
    { weight: 1, arbitrary: labelKeyBody(base) },
  );
}

/** Label and annotation keys an object inherits (`constructor` is a legal label key). */
function labelKeyBody(base: Record<string, unknown>): fc.Arbitrary<Payload> {
  return fc.tuple(fc.constantFrom(...INHERITED_NAMES, ...PROTOTYPE_KEYS), fc.constantFrom('labels', 'annotations')).map(([key, map]) => {
    const body = structuredClone(base) as { metadata: Record<string, unknown> };
    const entries: Record<string, unknown> = {};
    Object.defineProperty(entries, key, { value: 'v', enumerable: true, writable: true, configurable: true });
    body.metadata = { ...body.metadata, [map]: entries };
    return { family: `inherited-key:${map}:${key}`, contentType: JSON_TYPE, text: JSON.stringify(body) };
  });
}

const POINTERS = ['', '/', '/metadata', '/metadata/labels/x', '/metadata/labels/a~1b', '/metadata/labels/a~2b', '/metadata/labels/~', '/__proto__/polluted', '/__proto__', '/constructor', '/constructor/prototype/polluted', '/metadata/__proto__/x', '/spec/ports/-', '/spec/ports/0', '/spec/ports/99', '/spec/ports/01', '/spec/ports/-1', '/spec/replicas', '/metadata/resourceVersion', '/metadata/name', 'no-slash', '/spec/selector/app'];

const jsonPatchOp = fc.record(
  {
    op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', '', 'ADD'),
    path: fc.oneof(fc.constantFrom(...POINTERS), fc.constant(undefined), fc.integer()),
    from: fc.oneof(fc.constantFrom(...POINTERS), fc.constant(undefined)),
    value: anyValue,
  },
  { requiredKeys: ['op'] },
);

/** A patch of each of the three types, valid or not, including their directives. */
export const patchBody: fc.Arbitrary<Payload> = fc.oneof(
  fc
    .record({
      op: fc.constantFrom('add', 'replace', 'copy', 'move', 'remove', 'test'),
      path: fc.constantFrom('/__proto__/polluted', '/constructor/prototype/polluted', '/__proto__', '/constructor', '', '/metadata/__proto__/x', '/spec/__proto__/sessionAffinity', '/metadata/labels/constructor'),
      from: fc.constantFrom('/constructor', '/__proto__', '/metadata', '/metadata/labels'),
      value: anyValue,
    })
    .map((op) => ({ family: 'json-patch-prototype-path', contentType: 'application/json-patch+json', text: JSON.stringify([op]) })),
  fc.oneof(fc.array(jsonPatchOp, { maxLength: 4 }), anyValue).map((ops) => ({ family: 'json-patch', contentType: 'application/json-patch+json', text: JSON.stringify(ops) ?? 'null' })),
  fc.tuple(fc.constantFrom('application/merge-patch+json', 'application/strategic-merge-patch+json'), mergePatchValue()).map(([ct, p]) => ({ family: ct.includes('strategic') ? 'strategic-patch' : 'merge-patch', contentType: ct, text: JSON.stringify(p) ?? 'null' })),
  fc.tuple(contentTypes, mergePatchValue()).map(([ct, p]) => ({ family: 'patch-content-type', contentType: ct, text: JSON.stringify(p) ?? 'null' })),
  fc.tuple(depths, fc.constantFrom('application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json')).map(([d, ct]) => ({ family: 'deep-patch', contentType: ct, text: ct.endsWith('json-patch+json') ? `[{"op":"add","path":"/metadata/annotations","value":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}]` : withDeepValue({}, 'spec', d, 'object') })),
  malformedJson.map((text) => ({ family: 'malformed-patch', contentType: 'application/merge-patch+json', text })),
);

function mergePatchValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      { $patch: 'delete' },
      { $patch: 'replace' },
      { $patch: 'bogus' },
      { spec: { $patch: 'delete' } },
      { spec: { ports: [{ $patch: 'delete', port: 80 }] } },
      { spec: { $retainKeys: ['ports'] } },
      { spec: { $setElementOrder: { ports: [{ port: 1 }] } } },
      { '$setElementOrder/ports': [{ port: 80 }] },
      { spec: { '$deleteFromPrimitiveList/externalIPs': ['1.2.3.4'] } },
      { metadata: { labels: { $patch: 'x' } } },
      { metadata: { resourceVersion: '1' }, spec: {} },
      { spec: { replicas: 2 } },
      { spec: { replicas: 20000 } },
      null,
      [],
      'x',
    ),
    fc.array(mutation, { maxLength: 3 }).map((ms) => mutate({ metadata: { labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] } }, ms)),
    fc.constantFrom(...INHERITED_NAMES).map((key) => {
      const labels: Record<string, unknown> = {};
      Object.defineProperty(labels, key, { value: 'v', enumerable: true, writable: true, configurable: true });
      return { metadata: { labels } };
    }),
  );
}

/** iptables-save text: a small good ruleset, bent line by line. */
export const GOOD_RULES = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':KUBE-SVC-X - [0:0]',
  '-A PREROUTING -d 10.96.0.1/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X',
  '-A OUTPUT -d 10.96.0.1/32 -p tcp -m comment --comment "default/web:http" -j KUBE-SVC-X',
  '-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.244.1.2:8080',
  '-A KUBE-SVC-X -j DNAT --to-destination 10.244.2.2:8080',
  'COMMIT',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [3:180]',
  '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
  'COMMIT',
];

const BAD_LINES = [
  '-A NOPE -j ACCEPT',
  '-A PREROUTING -j',
  '-A PREROUTING -s 999.1.1.1/33 -j ACCEPT',
  '-A PREROUTING -m nosuchmodule -j ACCEPT',
  '-A PREROUTING -j NOSUCHTARGET',
  '-A PREROUTING -m comment --comment "unclosed -j ACCEPT',
  `:${'C'.repeat(40)} - [0:0]`,
  ':PREROUTING ACCEPT [x:y]',
  ':PREROUTING ACCEPT [99999999999999999999999:1]',
  '-A KUBE-SVC-X -m statistic --mode random --probability 1.5 -j ACCEPT',
  '-A KUBE-SVC-X -m statistic --mode nth --every 0 -j ACCEPT',
  '-A KUBE-SVC-X -j DNAT --to-destination 10.244.1.2:99999',
  '-A KUBE-SVC-X -p tcp --dport 0:70000 -j ACCEPT',
  '-A KUBE-SVC-X -j KUBE-SVC-X',
  '-A __proto__ -j ACCEPT',
  ':__proto__ - [0:0]',
  ':constructor - [0:0]',
  '*__proto__',
  '*constructor',
  'COMMIT',
  '*nat',
  '-A OUTPUT -m mark --mark 0xffffffffff -j ACCEPT',
  '-A OUTPUT -i é -j ACCEPT',
  '\u0000',
  '-N X',
  '-X KUBE-SVC-X',
  '-F',
];

export const iptablesText: fc.Arbitrary<{ family: string; text: string }> = fc.oneof(
  fc.constant({ family: 'rules-valid', text: GOOD_RULES.join('\n') + '\n' }),
  fc.array(fc.tuple(fc.nat(GOOD_RULES.length), fc.constantFrom(...BAD_LINES), fc.boolean()), { minLength: 1, maxLength: 3 }).map((edits) => {
    const lines = [...GOOD_RULES];
    for (const [i, line, replace] of edits) lines.splice(Math.min(i, lines.length), replace ? 1 : 0, line);
    return { family: 'rules-edited', text: lines.join('\n') + '\n' };
  }),
  fc.integer({ min: 1, max: GOOD_RULES.length - 1 }).map((n) => ({ family: 'rules-truncated', text: GOOD_RULES.slice(0, n).join('\n') })),
  fc.string({ maxLength: 80 }).map((text) => ({ family: 'rules-garbage', text })),
  fc.integer({ min: 1000, max: 5000 }).map((n) => ({ family: 'rules-many', text: ['*filter', ':INPUT ACCEPT [0:0]', ...Array.from({ length: n }, (_, i) => `-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.1/32 -j ACCEPT`), 'COMMIT', ''].join('\n') })),
);

/** Any JSON body for the netsim endpoints: a bent good request, broken text, deep nesting, the wrong content type. */
export function netsimBody(base: Record<string, unknown>): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(mutation, { maxLength: 3 }).map((ms) => ({ family: ms.length ? `mutated:${ms.map((m) => m.kind).join('+')}` : 'valid', contentType: JSON_TYPE, text: JSON.stringify(mutate(base, ms)) ?? 'null' })) },
    { weight: 1, arbitrary: fc.tuple(contentTypes, fc.array(mutation, { maxLength: 1 })).map(([ct, ms]) => ({ family: 'content-type', contentType: ct, text: JSON.stringify(mutate(base, ms)) ?? 'null' })) },
    { weight: 1, arbitrary: malformedJson.map((text) => ({ family: 'malformed-json', contentType: JSON_TYPE, text })) },
    { weight: 1, arbitrary: fc.tuple(depths, fc.constantFrom<'object' | 'array'>('object', 'array'), fc.constantFrom(...Object.keys(base), 'extra')).map(([d, shape, key]) => ({ family: `deep-${shape}`, contentType: JSON_TYPE, text: withDeepValue(base, key, d, shape) })) },
    { weight: 1, arbitrary: badYaml.map((text) => ({ family: 'bad-yaml', contentType: 'application/yaml', text })) },
  );
}
