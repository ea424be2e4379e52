import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { Cluster } from '../../cluster/cluster';
import { parseFieldSelector } from '../../cluster/store/field-selector';
import { compileSelector, parseLabelSelector, StructuredSelector } from '../../cluster/store/label-selector';
import { applyPatch, PatchType, WriteOptions } from '../../cluster/store/object-store';
import { apiVersionOf, resourceTypeByKey } from '../../cluster/store/resource-types';
import { KubeObject, ObjectInput, WatchEvent } from '../../cluster/store/types';
import { DomainError } from '../../common/domain-error';
import { OFF_THREAD_BYTES, parseYamlObjectOffThread } from '../../cluster/apply/yaml-thread';
import { nextTurn } from '../../common/next-turn';
import { stringifyInSlices } from '../json-in-slices';
import { KUBERNETES_BODY_TYPES, unsupportedMediaTypeMessage } from '../status/http-errors';
import { statusOfDomainError } from '../status/kubernetes-status';
import { fieldValidationOf, validateFields, warningHeader } from './field-validation';
import { parseResourcePath, ResourceTarget } from './resource-path';
import { IncludeObject, toTable } from './table';

type Query = Record<string, unknown>;

const NAMESPACES = resourceTypeByKey('namespaces')!;

function queryText(query: Query, key: string): string | undefined {
  const v = query[key];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function wantsTable(req: Request): boolean {
  return /as=Table/.test(req.headers.accept ?? '');
}

function isWatch(query: Query): boolean {
  const w = queryText(query, 'watch');
  return w === 'true' || w === '1';
}

/** The patch types the API server takes, in the order its 415 names them. */
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function patchTypeOf(contentType: string | undefined): PatchType {
  const type = mediaTypeOf(contentType);
  switch (type) {
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/json-patch+json':
      return 'json';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      throw new DomainError('BAD_REQUEST', 'server-side apply is not supported by kube-netsim; use client-side `kubectl apply`', {});
    default:
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', unsupportedMediaTypeMessage(PATCH_TYPES));
  }
}

/**
 * The request body as an object: JSON or protobuf (already parsed into JSON's
 * shape; a body without a Content-Type is JSON, as the API server reads it) or
 * YAML text. Any other media type is 415, as the API server answers it.
 */
export async function bodyOf(req: Request, patch = false): Promise<unknown> {
  checkBodyType(req, patch);
  const body: unknown = req.body;
  // A large YAML body is read in a worker thread: the event loop stays free meanwhile.
  if (typeof body === 'string') return parseYamlObjectOffThread(body);
  if (body === undefined || body === null) {
    throw new DomainError('BAD_REQUEST', 'the request body is empty');
  }
  return body;
}

/**
 * The body's media type, checked before anything else about the request (a
 * namespace that does not exist is looked up later), as the API server
 * negotiates its input first: 415 naming the types it takes.
 */
function checkBodyType(req: Request, patch: boolean): void {
  if (patch) {
    patchTypeOf(req.headers['content-type']);
    return;
  }
  const contentType = mediaTypeOf(req.headers['content-type']);
  if (contentType === 'application/cbor' || (contentType !== '' && !KUBERNETES_BODY_TYPES.includes(contentType))) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', unsupportedMediaTypeMessage(KUBERNETES_BODY_TYPES));
  }
}

function writeOptions(query: Query): WriteOptions {
  const dryRun = queryText(query, 'dryRun');
  if (dryRun !== undefined && dryRun !== 'All') throw new DomainError('BAD_REQUEST', `unsupported dryRun value ${JSON.stringify(dryRun)}: only "All" is allowed`);
  return { dryRun: dryRun === 'All' };
}

interface WorkloadSpec {
  replicas?: number;
  selector?: StructuredSelector;
}

/**
 * The verbs of the Kubernetes API on one resource path: list (with
 * selectors, as a `Table` when kubectl asks), watch (a stream of events),
 * create, get, update, patch (merge, strategic, JSON), delete, and the
 * `status` and `scale` subresources.
 */
export class ResourceRequests {
  constructor(private readonly cluster: Cluster) {}

  private get store() {
    return this.cluster.store;
  }

  async handle(group: string, version: string, segments: string[], req: Request, res: Response): Promise<void> {
    const target = parseResourcePath(group, version, segments);
    const method = req.method.toUpperCase();
    const query = req.query as Query;
    if (target.type.readOnly && method !== 'GET') {
      throw new DomainError('METHOD_NOT_ALLOWED', `${target.type.plural} are derived by kube-netsim's controllers and cannot be written: the server does not allow this method on the requested resource`);
    }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') checkBodyType(req, method === 'PATCH');
    if (target.namespace !== undefined && method !== 'GET') this.requireNamespace(target.namespace);
    if (target.name === undefined) return this.collection(target, method, query, req, res);
    if (target.subresource === 'scale') return this.scale(target, method, query, req, res);
    if (target.subresource === 'eviction') return this.evict(target, method, query, req, res);
    return this.item(target, method, query, req, res);
  }

  /** The request body (`bodyOf`), once the store is free: a sliced transaction (a large apply) may have taken it while a large body was read. */
  private async body(req: Request, patch = false): Promise<unknown> {
    const body = await bodyOf(req, patch);
    await this.store.unlocked();
    return body;
  }

  private requireNamespace(namespace: string): void {
    this.store.get(NAMESPACES, undefined, namespace);
  }

  private async collection(target: ResourceTarget, method: string, query: Query, req: Request, res: Response): Promise<void> {
    const { type, namespace } = target;
    switch (method) {
      case 'GET': {
        const options = {
          namespace,
          labelSelector: parseLabelSelector(queryText(query, 'labelSelector')),
          fieldSelector: parseFieldSelector(queryText(query, 'fieldSelector'), type.kind),
        };
        if (isWatch(query)) return this.watch(target, { ...options, resourceVersion: queryText(query, 'resourceVersion') }, query, req, res);
        const list = this.store.list(type, options);
        if (wantsTable(req)) return this.send(res, 200, toTable(type.kind, list.items, this.cluster.clock.now(), list.resourceVersion, includeObject(query)));
        return this.send(res, 200, {
          kind: type.listKind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: list.resourceVersion },
          items: list.items,
        });
      }
      case 'POST': {
        const input = await this.objectBody(type, req, query, res);
        const created = this.store.create(type, input, namespace, { ...writeOptions(query), handedOver: true });
        return this.sendWritten(req, res, 201, created);
      }
      case 'DELETE': {
        const items = this.store.list(type, {
          namespace,
          labelSelector: parseLabelSelector(queryText(query, 'labelSelector')),
          fieldSelector: parseFieldSelector(queryText(query, 'fieldSelector'), type.kind),
        }).items;
        const options = writeOptions(query);
        const deleted = this.store.transaction(() => items.map((o) => this.store.delete(type, o.metadata.namespace, o.metadata.name, options)));
        return this.send(res, 200, { kind: type.listKind, apiVersion: apiVersionOf(type), metadata: { resourceVersion: this.store.resourceVersion }, items: deleted });
      }
      default:
        throw methodNotAllowed();
    }
  }

  private async item(target: ResourceTarget, method: string, query: Query, req: Request, res: Response): Promise<void> {
    const { type, namespace, name, subresource } = target;
    const status = subresource === 'status';
    if (status && !type.hasStatus) throw new DomainError('NOT_FOUND', `the server could not find the requested resource`);
    switch (method) {
      case 'GET': {
        const object = this.store.get(type, namespace, name!);
        if (wantsTable(req)) return this.send(res, 200, toTable(type.kind, [object], this.cluster.clock.now(), undefined, includeObject(query)));
        return this.send(res, 200, object);
      }
      case 'PUT': {
        const input = await this.objectBody(type, req, query, res);
        const options = { ...writeOptions(query), handedOver: true };
        const updated = status ? this.store.updateStatus(type, namespace, name!, input, options) : this.store.update(type, namespace, name!, input, options);
        return this.sendWritten(req, res, 200, updated);
      }
      case 'PATCH': {
        const patchType = patchTypeOf(req.headers['content-type']);
        const body = await this.body(req, true);
        const patch = patchType === 'json' ? body : this.validated(type, body, query, res);
        const options = { ...writeOptions(query), patchType };
        const patched = status
          ? this.store.patchStatus(type, namespace, name!, patch, options)
          : this.store.patch(type, namespace, name!, patch, options);
        return this.send(res, 200, patched);
      }
      case 'DELETE': {
        if (status) throw methodNotAllowed();
        const deleted = this.store.delete(type, namespace, name!, { ...writeOptions(query), gracePeriodSeconds: gracePeriodOf(query, req) });
        return this.send(res, 200, deleted);
      }
      default:
        throw methodNotAllowed();
    }
  }

  /**
   * `policy/v1` Eviction of a pod, as `kubectl drain` posts it: the pod is deleted with the
   * eviction's `deleteOptions`, and the answer is a `Success` Status (201). PodDisruptionBudgets
   * are not consulted: kube-netsim keeps no PDB status, so none would ever allow a disruption.
   */
  private async evict(target: ResourceTarget, method: string, query: Query, req: Request, res: Response): Promise<void> {
    if (method !== 'POST') throw methodNotAllowed();
    const { type, namespace, name } = target;
    const body = (await bodyOf(req)) as EvictionInput;
    if (body.kind !== undefined && body.kind !== 'Eviction') {
      throw new DomainError('BAD_REQUEST', `the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`);
    }
    if (body.metadata?.name !== undefined && body.metadata.name !== name) throw new DomainError('BAD_REQUEST', 'name in URL does not match name in Eviction object');
    const grace = body.deleteOptions?.gracePeriodSeconds;
    if (grace !== undefined && grace !== null && (!Number.isInteger(grace) || (grace as number) < 0)) {
      throw new DomainError('BAD_REQUEST', `gracePeriodSeconds must be a whole number of seconds, 0 or more, not ${JSON.stringify(grace)}`);
    }
    this.store.delete(type, namespace, name!, { ...writeOptions(query), gracePeriodSeconds: (grace ?? undefined) as number | undefined });
    return this.send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /** `autoscaling/v1` Scale, as `kubectl scale` reads and patches it. */
  private async scale(target: ResourceTarget, method: string, query: Query, req: Request, res: Response): Promise<void> {
    const { type, namespace, name } = target;
    if (!type.hasScale) throw new DomainError('NOT_FOUND', 'the server could not find the requested resource');
    const object = this.store.get(type, namespace, name!);
    const scaleOf = (o: KubeObject) => {
      const spec = (o.spec ?? {}) as WorkloadSpec;
      // A ReplicationController's selector is a plain label map; the others' a LabelSelector.
      const selector = compileSelector(type.kind === 'ReplicationController' ? { matchLabels: spec.selector as Record<string, string> | undefined } : spec.selector);
      return {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name: o.metadata.name,
          namespace: o.metadata.namespace,
          uid: o.metadata.uid,
          resourceVersion: o.metadata.resourceVersion,
          creationTimestamp: o.metadata.creationTimestamp,
        },
        spec: { replicas: spec.replicas ?? 1 },
        status: {
          replicas: ((o.status ?? {}) as { replicas?: number }).replicas ?? 0,
          selector: selector.requirements.map((r) => (r.operator === 'In' && r.values.length === 1 ? `${r.key}=${r.values[0]}` : r.key)).join(','),
        },
      };
    };
    let replicas: unknown;
    // A resourceVersion in the Scale is a precondition on its object, as for any write (409 when stale).
    let resourceVersion: unknown;
    switch (method) {
      case 'GET':
        return this.send(res, 200, scaleOf(object));
      case 'PUT': {
        const scale = (await this.body(req)) as ScaleInput;
        replicas = (scale.spec ?? {}).replicas;
        resourceVersion = scale.metadata?.resourceVersion;
        break;
      }
      case 'PATCH': {
        const patchType = patchTypeOf(req.headers['content-type']);
        const patch = await this.body(req, true);
        // Read again: another write may have come while a large body was read.
        const patched = applyPatch(scaleOf(this.store.get(type, namespace, name!)), patch, patchType) as ScaleInput;
        replicas = patched.spec?.replicas;
        resourceVersion = patched.metadata?.resourceVersion;
        break;
      }
      default:
        throw methodNotAllowed();
    }
    if (!Number.isInteger(replicas) || (replicas as number) < 0) {
      throw new DomainError('INVALID', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, {
        field: 'spec.replicas',
        kind: 'Scale',
        name,
      });
    }
    const precondition = typeof resourceVersion === 'string' && resourceVersion !== '' ? { metadata: { resourceVersion } } : {};
    const updated = this.store.patch(type, namespace, name!, { ...precondition, spec: { replicas } }, { ...writeOptions(query), patchType: 'merge' });
    return this.send(res, 200, scaleOf(updated));
  }

  private watch(
    target: ResourceTarget,
    options: Parameters<Cluster['store']['watch']>[1],
    query: Query,
    req: Request,
    res: Response,
  ): void {
    const timeoutText = queryText(query, 'timeoutSeconds') ?? '1800';
    const timeout = Number(timeoutText);
    if (!/^[0-9]+$/.test(timeoutText)) {
      throw new DomainError('BAD_REQUEST', `timeoutSeconds must be a whole number of seconds, not ${JSON.stringify(timeoutText)}`);
    }
    const table = wantsTable(req);
    const include = includeObject(query);
    const now = () => this.cluster.clock.now();
    const encode = (event: WatchEvent) => {
      const object = table ? toTable(target.type.kind, [event.object], now(), event.object.metadata.resourceVersion, include) : event.object;
      return `${JSON.stringify({ type: event.type, object })}\n`;
    };
    const buffered: string[] = [];
    let started = false;
    let expired: string | undefined;
    const stop = this.store.watch(
      target.type,
      options,
      (event) => {
        const line = encode(event);
        if (started) res.raw.write(line);
        else buffered.push(line);
      },
      // The store was replaced (a snapshot restored, a reset): the watch ends with 410 Expired, as after an etcd restore.
      (error) => {
        expired = `${JSON.stringify({ type: 'ERROR', object: statusOfDomainError(error) })}\n`;
        if (started) res.raw.end(expired);
      },
    );
    // A stream of events: the reply is written on the raw response, outside Fastify's send.
    res.hijack();
    const raw = res.raw;
    raw.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    raw.flushHeaders();
    started = true;
    for (const line of buffered) raw.write(line);
    if (expired !== undefined) raw.end(expired);
    const timer = setTimeout(() => raw.end(), Math.max(1, Math.min(timeout, 3600)) * 1000);
    timer.unref();
    const close = () => {
      clearTimeout(timer);
      stop();
    };
    req.raw.on('close', close);
    raw.on('close', close);
  }

  /** Server-side field validation of a body: refuses (Strict) or warns about (Warn) unknown fields, and drops them. */
  private validated(type: ResourceTarget['type'], body: unknown, query: Query, res: Response): unknown {
    const warnings = validateFields(type, body, fieldValidationOf(queryText(query, 'fieldValidation')));
    if (warnings.length) res.header('Warning', warnings.map(warningHeader));
    return body;
  }

  /** The JSON answer, made in slices (a list of 20,000 pods, a 3 MiB ConfigMap): the event loop answers others meanwhile. */
  private async send(res: Response, code: number, body: unknown): Promise<void> {
    res.code(code).type('application/json').send(await stringifyInSlices(body));
  }

  /** The answer to a write; for a large body (a 3 MiB ConfigMap) begun in a turn of its own, after the write's. */
  private async sendWritten(req: Request, res: Response, code: number, body: unknown): Promise<void> {
    if (largeBody(req)) await nextTurn();
    return this.send(res, code, body);
  }

  /**
   * A POST or PUT body, read and field-validated, once the store is free. A
   * large one (a 3 MiB ConfigMap) takes three turns of the event loop before
   * the write's: the copy out of the reading thread (or the JSON parse), the
   * field validation, then the write, each a pass over the whole object.
   */
  private async objectBody(type: ResourceTarget['type'], req: Request, query: Query, res: Response): Promise<ObjectInput> {
    const body = await bodyOf(req);
    const large = largeBody(req);
    if (large) await nextTurn();
    const input = this.validated(type, body, query, res) as ObjectInput;
    if (large) await nextTurn();
    await this.store.unlocked();
    return input;
  }
}

/** A body long enough that reading it is worth a turn of its own (`OFF_THREAD_BYTES`, where YAML goes to the reading thread). */
function largeBody(req: Request): boolean {
  return Number(req.headers['content-length']) >= OFF_THREAD_BYTES;
}

/** `gracePeriodSeconds` from the query or a `DeleteOptions` body, as kubectl sends it. */
function gracePeriodOf(query: Query, req: Request): number | undefined {
  const body = req.body as { gracePeriodSeconds?: unknown } | undefined;
  const raw = queryText(query, 'gracePeriodSeconds') ?? (typeof body === 'object' && body !== null ? body.gracePeriodSeconds : undefined);
  if (raw === undefined || raw === null) return undefined;
  // An int64: digits in the query (`1e99` does not parse), a whole number in a body.
  const value = typeof raw === 'string' ? (/^\+?[0-9]{1,18}$/.test(raw) ? Number(raw) : NaN) : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DomainError('BAD_REQUEST', `gracePeriodSeconds must be a whole number of seconds, 0 or more, not ${JSON.stringify(raw)}`);
  }
  return value;
}

function includeObject(query: Query): IncludeObject {
  const v = queryText(query, 'includeObject');
  return v === 'Object' || v === 'None' ? v : 'Metadata';
}

function methodNotAllowed(): DomainError {
  return new DomainError('METHOD_NOT_ALLOWED', 'the server does not allow this method on the requested resource');
}

/** What an Eviction may carry that we read. */
interface EvictionInput {
  kind?: unknown;
  metadata?: { name?: unknown };
  deleteOptions?: { gracePeriodSeconds?: unknown };
}

/** What a write to `/scale` may carry that we read. */
interface ScaleInput {
  metadata?: { resourceVersion?: unknown };
  spec?: { replicas?: unknown };
}

