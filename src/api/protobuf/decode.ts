import { FieldBase, MapField, Reader, Type } from 'protobufjs';
import { DomainError } from '../../common/domain-error';
import { kubernetesProtoRoot, messageTypeOf } from './schema';

/** `k8s\0`: the 4 bytes before every Kubernetes protobuf body. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** How deep messages may nest; Kubernetes objects stay far below it. */
const MAX_DEPTH = 64;

type Json = Record<string, unknown>;

/** A body that is not well-formed protobuf; turned into a 400 naming the kind. */
class WireError extends Error {}

/**
 * Decodes a Kubernetes protobuf body (`application/vnd.kubernetes.protobuf`)
 * into the JSON object that kubectl would have sent for it as
 * `application/json`, so that it takes the JSON path after (one validation,
 * one defaulting): field names from the Go types' json tags, zero-valued Go
 * value fields left out as `omitempty` leaves them out, pointer fields kept
 * when set (even to zero), embedded structs inlined, Quantity and
 * IntOrString as their JSON scalars, Time as RFC 3339 (the zero time as
 * null), bytes as base64.
 *
 * The body is the 4 bytes `k8s\0`, then a `runtime.Unknown` envelope:
 * typeMeta (apiVersion, kind) and raw, the object encoded with its kind's
 * message. An empty body gives undefined.
 *
 * Fields: a field our schema lacks is ignored when it holds its zero value
 * (gogo-protobuf writes every Go value field, set or not), and refused with
 * 415 otherwise, so that nothing the client set is silently lost; upstream
 * (which knows every field) ignores only fields newer than itself.
 */
export function decodeKubernetesProtobuf(body: Buffer): Json | undefined {
  if (body.length === 0) return undefined;
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DomainError('BAD_REQUEST', `provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]`);
  }
  let envelope: Envelope;
  try {
    envelope = readEnvelope(body.subarray(MAGIC.length));
  } catch (e) {
    throw new DomainError('BAD_REQUEST', `the object provided is unrecognized: ${wireMessage(e)}`);
  }
  const { apiVersion, kind, raw, contentEncoding } = envelope;
  if (kind === '') throw new DomainError('BAD_REQUEST', `Object 'Kind' is missing in the protobuf envelope (runtime.Unknown typeMeta)`);
  if (contentEncoding !== '') {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `the protobuf envelope's contentEncoding ${JSON.stringify(contentEncoding)} is not supported: send the ${kind} unencoded`);
  }
  const type = messageTypeOf(apiVersion, kind);
  if (type === undefined) {
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `kube-netsim does not decode protobuf bodies of kind ${JSON.stringify(kind)} (apiVersion ${JSON.stringify(apiVersion)}): send it as application/json or application/yaml, as \`kubectl apply -f\` and \`kubectl create -f\` do`,
      { kind },
    );
  }
  try {
    return { kind, apiVersion, ...readMessage(type, raw, { kind, path: '', depth: 0 }) };
  } catch (e) {
    // Our own refusals (a set field we do not decode) keep their code; anything else the bytes
    // cause, ours or the protobuf reader's (an unknown wire type), is the body's fault: 400.
    if (e instanceof DomainError) throw e;
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    throw new DomainError('BAD_REQUEST', `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${wireMessage(e)}`, { kind });
  }
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  const envelope: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '' };
  const reader = Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    if (id === 1 && (tag & 7) === 2) {
      const typeMeta = Reader.create(reader.bytes());
      while (typeMeta.pos < typeMeta.len) {
        const t = typeMeta.uint32();
        if (t === ((1 << 3) | 2)) envelope.apiVersion = typeMeta.string();
        else if (t === ((2 << 3) | 2)) envelope.kind = typeMeta.string();
        else typeMeta.skipType(t & 7);
      }
    } else if (id === 2 && (tag & 7) === 2) envelope.raw = reader.bytes();
    else if (id === 3 && (tag & 7) === 2) envelope.contentEncoding = reader.string();
    else reader.skipType(tag & 7);
  }
  return envelope;
}

interface Context {
  kind: string;
  /** The JSON path of the message being read ("spec.template.spec"), for error messages. */
  path: string;
  depth: number;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** Messages written in JSON as something else than an object. */
const SCALAR_MESSAGES: Readonly<Record<string, (message: Json) => unknown>> = {
  [`${META}.Time`]: (m) => rfc3339(m, false),
  [`${META}.MicroTime`]: (m) => rfc3339(m, true),
  [`${META}.FieldsV1`]: (m) => (m.Raw === undefined ? {} : JSON.parse(Buffer.from(m.Raw as string, 'base64').toString('utf8'))),
  'k8s.io.apimachinery.pkg.api.resource.Quantity': (m) => m.string ?? '0',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': (m) => (m.type === 1 ? (m.strVal ?? '') : (m.intVal ?? 0)),
};

function readMessage(type: Type, bytes: Uint8Array, ctx: Context): Json {
  if (ctx.depth > MAX_DEPTH) throw new WireError(`proto: messages nested more than ${MAX_DEPTH} deep`);
  const out: Json = {};
  const reader = Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    if (id === 0) throw new WireError('proto: illegal tag 0');
    const field = type.fieldsById[id];
    if (field === undefined) {
      if (!isZeroPayload(reader, wire, 0)) throw unknownField(type, id, ctx);
      continue;
    }
    const name = field.name;
    const inner = field.resolvedType instanceof Type || field instanceof MapField ? { kind: ctx.kind, path: ctx.path === '' ? name : `${ctx.path}.${name}`, depth: ctx.depth + 1 } : ctx;
    if (field instanceof MapField) {
      expectWire(field, wire, 2);
      const [key, value] = readMapEntry(field, reader.bytes(), inner);
      const map = (out[name] ??= {}) as Json;
      // An own property even for a key such as "__proto__", as JSON.parse makes it.
      Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
    } else if (field.repeated) {
      const list = (out[name] ??= []) as unknown[];
      if (wire === 2 && isVarintType(field.type)) {
        const packed = Reader.create(reader.bytes());
        while (packed.pos < packed.len) list.push(readScalar(field, packed));
      } else {
        list.push(readValue(field, reader, wire, inner));
      }
    } else {
      const value = readValue(field, reader, wire, inner);
      if (field.options?.['(inline)'] === true) Object.assign(out, value as Json);
      else if (field.resolvedType instanceof Type || keptWhenZero(field) || !isZeroScalar(value)) out[name] = value;
      else if (name in out) delete out[name]; // a zero after a value: the last one wins
    }
  }
  return out;
}

function readValue(field: FieldBase, reader: Reader, wire: number, ctx: Context): unknown {
  const message = field.resolvedType;
  if (message instanceof Type) {
    expectWire(field, wire, 2);
    return messageValue(message, reader.bytes(), ctx);
  }
  expectWire(field, wire, isVarintType(field.type) ? 0 : 2);
  return readScalar(field, reader);
}

/** A message as JSON writes it: an object, or a scalar for Time, Quantity, IntOrString... */
function messageValue(type: Type, bytes: Uint8Array, ctx: Context): unknown {
  const decoded = readMessage(type, bytes, ctx);
  const scalar = scalarOf(type);
  return scalar === undefined ? decoded : scalar(decoded);
}

/** Each type's entry in SCALAR_MESSAGES, looked up once (protobufjs computes `fullName` on each read). */
const scalarOfType = new WeakMap<Type, ((message: Json) => unknown) | null>();
function scalarOf(type: Type): ((message: Json) => unknown) | undefined {
  let scalar = scalarOfType.get(type);
  if (scalar === undefined) {
    scalar = SCALAR_MESSAGES[type.fullName.slice(1)] ?? null;
    scalarOfType.set(type, scalar);
  }
  return scalar ?? undefined;
}

function readScalar(field: FieldBase, reader: Reader): unknown {
  switch (field.type) {
    case 'string':
      return reader.string();
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    case 'bool':
      return reader.bool();
    case 'int32':
      return reader.int32();
    case 'int64': {
      const v = reader.int64() as unknown as number | { toNumber(): number };
      return typeof v === 'number' ? v : v.toNumber();
    }
    default:
      throw new Error(`schema field ${field.fullName} has type ${field.type}, which the decoder does not read`);
  }
}

function readMapEntry(field: MapField, bytes: Uint8Array, ctx: Context): [string, unknown] {
  const reader = Reader.create(bytes);
  let key = '';
  let value: unknown;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) {
      expectWire(field, tag & 7, 2);
      key = reader.string();
    } else if (tag >>> 3 === 2) {
      value = readValue(field, reader, tag & 7, { ...ctx, path: `${ctx.path}[${JSON.stringify(key)}]` });
    } else reader.skipType(tag & 7);
  }
  if (value === undefined) value = field.resolvedType instanceof Type ? messageValue(field.resolvedType, new Uint8Array(0), ctx) : zeroOf(field.type);
  return [key, value];
}

function zeroOf(type: string): unknown {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  return 0;
}

function isVarintType(type: string): boolean {
  return type === 'int32' || type === 'int64' || type === 'bool';
}

/** A Go pointer (`(pointer)`) or a value JSON writes without `omitempty` (`(always)`). */
function keptWhenZero(field: FieldBase): boolean {
  return field.options?.['(pointer)'] === true || field.options?.['(always)'] === true;
}

function isZeroScalar(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function expectWire(field: FieldBase, wire: number, expected: number): void {
  if (wire !== expected) throw new WireError(`proto: wrong wireType = ${wire} for field ${field.name}`);
}

/**
 * Skips a field our schema lacks and tells whether it held its zero value:
 * varint 0, fixed zeros, or a length-delimited payload that is empty or
 * itself a message of zero-valued fields (an empty Go struct).
 */
function isZeroPayload(reader: Reader, wire: number, depth: number): boolean {
  switch (wire) {
    case 0: {
      const v = reader.uint64() as unknown as number | { isZero(): boolean };
      return typeof v === 'number' ? v === 0 : v.isZero();
    }
    case 1:
      return reader.fixed64().toString() === '0';
    case 5:
      return reader.fixed32() === 0;
    case 2: {
      const bytes = reader.bytes();
      return bytes.length === 0 || (depth < MAX_DEPTH && isZeroMessage(bytes, depth + 1));
    }
    default:
      reader.skipType(wire);
      return false;
  }
}

function isZeroMessage(bytes: Uint8Array, depth: number): boolean {
  try {
    const reader = Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 0 || !isZeroPayload(reader, tag & 7, depth)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function unknownField(type: Type, id: number, ctx: Context): DomainError {
  const where = ctx.path === '' ? 'the object' : ctx.path;
  return new DomainError(
    'UNSUPPORTED_MEDIA_TYPE',
    `the protobuf body sets field ${id} of ${type.fullName.slice(1)} (in ${where}), which kube-netsim does not decode: send this ${ctx.kind} as application/json or application/yaml, as \`kubectl apply -f\` and \`kubectl create -f\` do`,
    { kind: ctx.kind, field: ctx.path === '' ? undefined : ctx.path, causeReason: 'FieldValueNotSupported' },
  );
}

function rfc3339(time: Json, micro: boolean): string | null {
  const seconds = (time.seconds as number | undefined) ?? 0;
  const nanos = (time.nanos as number | undefined) ?? 0;
  if (seconds === 0 && nanos === 0) return null;
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function wireMessage(e: unknown): string {
  if (e instanceof RangeError) return 'unexpected EOF';
  return e instanceof Error ? e.message : String(e);
}

/** For tests and docs: the resolved schema (parsing it once checks every type name). */
export { kubernetesProtoRoot };
