import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MapField, Type } from 'protobufjs';
import { DomainError } from '../../common/domain-error';
import { decodeKubernetesProtobuf, kubernetesProtoRoot } from './decode';
import { messageTypeOf, protobufKinds } from './schema';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/protobuf');
const MAGIC = Buffer.from('k8s\0', 'latin1');

/** A protobuf body as client-go frames it, the object encoded with our own schema by protobufjs. */
function body(apiVersion: string, kind: string, object: Record<string, unknown>, typeName = kind): Buffer {
  const root = kubernetesProtoRoot();
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : 'core';
  const type = root.lookupType(`k8s.io.api.${group}.v1.${typeName}`);
  const raw = type.encode(type.fromObject(object)).finish();
  return envelope(apiVersion, kind, raw);
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = kubernetesProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  return Buffer.concat([MAGIC, unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw })).finish()]);
}

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

describe('decodeKubernetesProtobuf', () => {
  describe('bodies captured from kubectl 1.32 decode to exactly the JSON kubectl prints for --dry-run=client -o json', () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.bin'));
    /**
     * Where our JSON knowingly differs from kubectl's: status fields are not decoded (kubectl writes
     * the zero-valued ones of a status without omitempty), and a nil list without omitempty is left
     * out where Go writes null.
     */
    const KNOWN_DIFFERENCES: Record<string, (json: Record<string, unknown>) => void> = {
      'hpa-web.bin': (json) => (json.status = {}),
      'hpa-min-cpu.bin': (json) => (json.status = {}),
      'pdb-p.bin': (json) => (json.status = {}),
      'pdb-maxunavailable.bin': (json) => (json.status = {}),
      'clusterrole-aggregated.bin': (json) => delete json.rules,
      'tokenrequest-bound.bin': (json) => (json.status = {}),
      'selfsubjectaccessreview-create-pods.bin': (json) => (json.status = {}),
      'tokenrequest-default.bin': (json) => {
        json.status = {};
        json.spec = {};
      },
    };
    it('has a fixture for each kubectl command that sends protobuf', () => {
      const kinds = new Set(names.map((n) => n.split('-')[0]));
      for (const kind of ['deployment', 'service', 'namespace', 'job', 'cronjob', 'configmap', 'secret', 'serviceaccount', 'deleteoptions', 'hpa', 'pdb', 'resourcequota', 'role', 'rolebinding', 'clusterrole', 'clusterrolebinding', 'ingress', 'priorityclass', 'selfsubjectaccessreview', 'tokenrequest']) {
        expect(kinds).toContain(kind);
      }
    });
    it.each(names)('%s', (name) => {
      const decoded = decodeKubernetesProtobuf(readFileSync(path.join(FIXTURES, name)));
      const json = JSON.parse(readFileSync(path.join(FIXTURES, name.replace(/\.bin$/, '.json')), 'utf8'));
      KNOWN_DIFFERENCES[name]?.(json);
      expect(decoded).toEqual(json);
    });
  });

  it('reads the hand-checked bytes of `kubectl create namespace ns1`', () => {
    const bytes = readFileSync(path.join(FIXTURES, 'namespace-ns1.bin'));
    // k8s\0 | Unknown{1: TypeMeta{1: "v1", 2: "Namespace"}, 2: raw (27 bytes), 3: "", 4: ""}
    // raw = Namespace{1: ObjectMeta{1: "ns1", 2..7: zero values, 8: Time{} (creationTimestamp)}, 2: NamespaceSpec{}, 3: NamespaceStatus{1: ""}}
    expect(bytes.toString('hex')).toBe(
      '6b387300' + '0a0f0a027631' + '12094e616d657370616365' + '121b' + '0a130a036e733112001a0022002a0032003800420012001a020a00' + '1a002200',
    );
    expect(decodeKubernetesProtobuf(bytes)).toEqual({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'ns1', creationTimestamp: null }, spec: {}, status: {} });
  });

  it('gives undefined for an empty body', () => {
    expect(decodeKubernetesProtobuf(Buffer.alloc(0))).toBeUndefined();
  });

  it('writes a Pod as JSON does: probes and volume sources inlined, IntOrString, Quantity, pointers kept at zero, values left out at zero', () => {
    const pod = body('v1', 'Pod', {
      metadata: {
        name: 'p',
        namespace: '',
        labels: { app: 'p' },
        creationTimestamp: { seconds: 1700000000 },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: false }],
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { Raw: Buffer.from('{"f:metadata":{}}') } }],
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80, hostPort: 0, protocol: 'TCP' }],
            env: [{ name: 'A', value: '' }, { name: 'B', valueFrom: { configMapKeyRef: { localObjectReference: { name: 'cm' }, key: 'k' } } }],
            resources: { requests: { cpu: { string: '100m' } }, limits: { memory: { string: '64Mi' } } },
            readinessProbe: { handler: { httpGet: { path: '/', port: { type: 1, strVal: 'http' } } }, periodSeconds: 5, timeoutSeconds: 0 },
            livenessProbe: { handler: { tcpSocket: { port: { type: 0, intVal: 80 } } } },
            securityContext: { runAsUser: 0, privileged: false },
            stdin: false,
          },
        ],
        volumes: [{ name: 'v', volumeSource: { configMap: { localObjectReference: { name: 'cm' }, defaultMode: 420 } } }],
        terminationGracePeriodSeconds: 0,
        hostNetwork: false,
        enableServiceLinks: false,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      },
    });
    expect(decodeKubernetesProtobuf(pod)).toEqual({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: 'p',
        labels: { app: 'p' },
        creationTimestamp: '2023-11-14T22:13:20Z',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true, blockOwnerDeletion: false }],
        managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }],
      },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'A' }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
            resources: { requests: { cpu: '100m' }, limits: { memory: '64Mi' } },
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { tcpSocket: { port: 80 } },
            securityContext: { runAsUser: 0, privileged: false },
          },
        ],
        volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }],
        terminationGracePeriodSeconds: 0,
        enableServiceLinks: false,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      },
    });
  });

  it('writes Secret bytes as base64, and keeps a Job pointer set to zero', () => {
    const secret = body('v1', 'Secret', { metadata: { name: 's' }, data: { user: Buffer.from('admin'), empty: Buffer.alloc(0) }, stringData: { x: 'y' }, type: 'Opaque', immutable: true });
    expect(decodeKubernetesProtobuf(secret)).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' }, data: { user: 'YWRtaW4=', empty: '' }, stringData: { x: 'y' }, type: 'Opaque', immutable: true });
    const job = body('batch/v1', 'Job', { metadata: { name: 'j' }, spec: { parallelism: 0, backoffLimit: 4, template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } });
    expect(decodeKubernetesProtobuf(job)).toMatchObject({ spec: { parallelism: 0, backoffLimit: 4, template: { spec: { restartPolicy: 'Never' } } } });
  });

  it('keeps a label named __proto__ as an own key, as JSON.parse does', () => {
    const decoded = decodeKubernetesProtobuf(body('v1', 'ConfigMap', { metadata: { name: 'c', labels: JSON.parse('{"__proto__":"x"}') }, data: { constructor: 'y' } }))!;
    expect(Object.keys((decoded.metadata as { labels: object }).labels)).toEqual(['__proto__']);
    expect(JSON.stringify(decoded)).toBe('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","labels":{"__proto__":"x"}},"data":{"constructor":"y"}}');
    expect(Object.getPrototypeOf((decoded.metadata as { labels: object }).labels)).toBe(Object.prototype);
  });

  it('reads a CronJob, a DaemonSet and a ReplicaSet', () => {
    const cron = body('batch/v1', 'CronJob', { metadata: { name: 'c' }, spec: { schedule: '0 * * * *', timeZone: 'Etc/UTC', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } } } });
    expect(decodeKubernetesProtobuf(cron)).toMatchObject({ kind: 'CronJob', spec: { schedule: '0 * * * *', timeZone: 'Etc/UTC', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } } } });
    const ds = body('apps/v1', 'DaemonSet', { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: { type: 1, strVal: '10%' } } } } });
    expect(decodeKubernetesProtobuf(ds)).toMatchObject({ kind: 'DaemonSet', spec: { selector: { matchLabels: { a: 'b' } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } } } });
    const rs = body('apps/v1', 'ReplicaSet', { metadata: { name: 'r' }, spec: { replicas: 0 } });
    expect(decodeKubernetesProtobuf(rs)).toMatchObject({ kind: 'ReplicaSet', spec: { replicas: 0 } });
  });

  it('reads DeleteOptions in any group version, a zero grace period kept', () => {
    const type = kubernetesProtoRoot().lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
    const raw = type.encode(type.fromObject({ gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } })).finish();
    expect(decodeKubernetesProtobuf(envelope('apps/v1', 'DeleteOptions', raw))).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'apps/v1',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      preconditions: { uid: 'u1' },
    });
  });

  it('ignores a field our schema lacks when it holds its zero value (gogo writes them all)', () => {
    // PodSpec field 34 (ephemeralContainers) as an empty message.
    const spec = Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x63, 0x92, 0x02, 0x00]); // containers: [{name: "c"}], ephemeralContainers: [{}]
    const raw = Buffer.concat([Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x70, 0x12, spec.length]), spec]);
    expect(decodeKubernetesProtobuf(envelope('v1', 'Pod', raw))).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } });
  });

  it('refuses with 415 a field our schema lacks when it is set, naming the field, so nothing set is lost', () => {
    // PodSpec field 34 (ephemeralContainers) holding [{1: {1: "k"}}]: not decoded by kube-netsim.
    const spec = Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x63, 0x92, 0x02, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x6b]);
    const raw = Buffer.concat([Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x70, 0x12, spec.length]), spec]);
    const e = domainError(() => decodeKubernetesProtobuf(envelope('v1', 'Pod', raw)));
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(e.message).toBe(
      'the protobuf body sets field 34 of k8s.io.api.core.v1.PodSpec (in spec), which kube-netsim does not decode: send this Pod as application/json or application/yaml, as `kubectl apply -f` and `kubectl create -f` do',
    );
    expect(e.causes[0]).toMatchObject({ field: 'spec', reason: 'FieldValueNotSupported' });
  });

  it('refuses a status that is set: status fields are not decoded', () => {
    const raw = Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x64, 0x1a, 0x02, 0x10, 0x03]); // Deployment status {replicas: 3}
    expect(domainError(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', raw))).message).toMatch(/^the protobuf body sets field 2 of k8s\.io\.api\.apps\.v1\.DeploymentStatus \(in status\)/);
  });

  it('refuses a kind without a schema with 415 naming the kind', () => {
    const e = domainError(() => decodeKubernetesProtobuf(envelope('coordination.k8s.io/v1', 'Lease', new Uint8Array(0))));
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(e.kind).toBe('Lease');
    expect(e.message).toBe(
      'kube-netsim does not decode protobuf bodies of kind "Lease" (apiVersion "coordination.k8s.io/v1"): send it as application/json or application/yaml, as `kubectl apply -f` and `kubectl create -f` do',
    );
  });

  it('refuses malformed bodies with 400', () => {
    expect(domainError(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')))).toMatchObject({ code: 'BAD_REQUEST', message: 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]' });
    expect(domainError(() => decodeKubernetesProtobuf(envelope('v1', '', new Uint8Array(0))))).toMatchObject({ code: 'BAD_REQUEST', message: "Object 'Kind' is missing in the protobuf envelope (runtime.Unknown typeMeta)" });
    // DeploymentSpec.replicas (varint) sent as a length-delimited field.
    const wrongWire = Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x00]);
    expect(domainError(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', wrongWire)))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Deployment in version "v1" cannot be handled as a Deployment: proto: wrong wireType = 2 for field replicas',
    });
    const truncated = Buffer.from([0x0a, 0x10, 0x0a, 0x01]);
    expect(domainError(() => decodeKubernetesProtobuf(envelope('v1', 'Pod', truncated)))).toMatchObject({ code: 'BAD_REQUEST', message: 'Pod in version "v1" cannot be handled as a Pod: unexpected EOF' });
    // Field 6 with wire type 6 (not a protobuf wire type): the reader's own error, still a 400.
    expect(domainError(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Buffer.from([0x36]))))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^ConfigMap in version "v1" cannot be handled as a ConfigMap: /),
    });
    const contentEncoding = Buffer.concat([envelope('v1', 'Pod', new Uint8Array(0)), Buffer.from([0x1a, 0x04]), Buffer.from('gzip')]);
    expect(domainError(() => decodeKubernetesProtobuf(contentEncoding))).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers any raw bytes with an object or a 4xx DomainError, never another error (property)', () => {
    const kinds = [['v1', 'Pod'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'Namespace'], ['apps/v1', 'Deployment'], ['batch/v1', 'Job']] as const;
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.uint8Array({ maxLength: 60 }), ([apiVersion, kind], raw) => {
        try {
          decodeKubernetesProtobuf(envelope(apiVersion, kind, raw));
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
        }
      }),
      { numRuns: 3000, seed: 18 },
    );
  });

  it('has a schema for every kind it names, using only field types the decoder reads', () => {
    const readable = new Set(['string', 'bytes', 'bool', 'int32', 'int64']);
    const seen = new Set<string>();
    const visit = (type: Type) => {
      if (seen.has(type.fullName)) return;
      seen.add(type.fullName);
      for (const field of type.fieldsArray) {
        if (field.resolvedType instanceof Type) visit(field.resolvedType);
        else expect(`${field.fullName}: ${readable.has(field.type) ? 'readable' : field.type}`).toBe(`${field.fullName}: readable`);
        if (field instanceof MapField) expect(field.keyType).toBe('string');
      }
    };
    for (const key of protobufKinds()) {
      const slash = key.lastIndexOf('/');
      const type = messageTypeOf(key.slice(0, slash), key.slice(slash + 1));
      expect(type).toBeDefined();
      visit(type!);
    }
    expect(seen.size).toBeGreaterThan(60);
  });
});
