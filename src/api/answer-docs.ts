/**
 * How netsim's answers are described in the OpenAPI document: one
 * decorator per kind of answer, so that each media type gets its own schema
 * (a JSON answer's shape for application/json, a string for text/plain).
 * Description only: nothing is validated against these schemas.
 */
import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiNotAcceptableResponse, ApiQuery, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

const TEXT: SchemaObject = { type: 'string' };

function schemaOf(answer: Type<unknown> | SchemaObject): SchemaObject | { $ref: string } {
  return typeof answer === 'function' ? { $ref: getSchemaPath(answer) } : answer;
}

function models(answer: Type<unknown> | SchemaObject): MethodDecorator[] {
  return typeof answer === 'function' ? [ApiExtraModels(answer)] : [];
}

/** A 200 answer in JSON (`answer`: a DTO class or a schema). */
export function ApiJsonAnswer(answer: Type<unknown> | SchemaObject, description: string, status = 200): MethodDecorator {
  return applyDecorators(...models(answer), ApiResponse({ status, description, content: { 'application/json': { schema: schemaOf(answer) } } }));
}

/** A 200 answer in JSON or, by `format=text` (or, negotiated, `Accept: text/plain`), as text. */
export function ApiJsonOrTextAnswer(answer: Type<unknown> | SchemaObject, description: string): MethodDecorator {
  return applyDecorators(
    ...models(answer),
    ApiResponse({ status: 200, description, content: { 'application/json': { schema: schemaOf(answer) }, 'text/plain': { schema: TEXT } } }),
  );
}

/**
 * An answer negotiated between JSON and text (answer-format.ts `negotiateFormat`):
 * the `format` query, which wins over `Accept`; the 200 in either media type; the
 * 406 when Accept names neither.
 */
export function ApiNegotiatedAnswer(answer: Type<unknown> | SchemaObject): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'format', required: false, enum: ['json', 'text'], description: 'The answer form; wins over `Accept` (`application/json` or `text/plain`, q-values honoured).' }),
    ApiJsonOrTextAnswer(answer, 'JSON, or the text form for `format=text` / `Accept: text/plain`.'),
    ApiNotAcceptableResponse({ description: 'Accept names neither application/json nor text/plain (a Status object).' }),
  );
}

/** A 200 answer that is text only. */
export function ApiTextAnswer(description: string): MethodDecorator {
  return ApiResponse({ status: 200, description, content: { 'text/plain': { schema: TEXT } } });
}

/** A free-form JSON object (a configuration, a stored object). */
export const OBJECT_SCHEMA: SchemaObject = { type: 'object', additionalProperties: true };

/** An address range's use (`GET /netsim/v1/ipam`). */
const RANGE_STATS: SchemaObject = {
  type: 'object',
  required: ['kind', 'range', 'size', 'used', 'free', 'staticBand'],
  properties: {
    kind: { type: 'string' },
    range: { type: 'string', example: '10.96.0.0/12', description: 'As configured: a CIDR, a `base-last` port range, ...' },
    size: { type: 'number', description: 'Allocatable items (addresses, ports or blocks).' },
    used: { type: 'number' },
    free: { type: 'number' },
    staticBand: { type: 'object', nullable: true, additionalProperties: true },
  },
};

export const IPAM_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['clusterIPs', 'nodePorts', 'podCIDRs', 'loadBalancerIPs', 'nodeAddresses', 'nodes'],
  properties: {
    clusterIPs: RANGE_STATS,
    nodePorts: RANGE_STATS,
    podCIDRs: RANGE_STATS,
    loadBalancerIPs: RANGE_STATS,
    nodeAddresses: RANGE_STATS,
    nodeAddressesIPv6: { ...RANGE_STATS, description: "The nodes' IPv6 InternalIPs (NODE_NETWORK_IPV6), on a cluster with IPv6 pods." },
    nodes: { type: 'array', items: { ...RANGE_STATS, properties: { node: { type: 'string' }, ...RANGE_STATS.properties } } },
  },
};

/** `POST` and `DELETE /netsim/v1/apply`: one result per object, as kubectl prints it. */
export const APPLY_RESULTS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['results'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'apiVersion', 'kind', 'name', 'action', 'message'],
        properties: {
          index: { type: 'number', description: 'The document, from 0.' },
          apiVersion: { type: 'string', example: 'v1' },
          kind: { type: 'string', example: 'Service' },
          namespace: { type: 'string', example: 'default' },
          name: { type: 'string', example: 'web' },
          action: { type: 'string', enum: ['created', 'configured', 'unchanged', 'deleted', 'not found', 'skipped'] },
          message: { type: 'string', example: 'service/web created' },
        },
      },
    },
  },
};

/** `GET /netsim/v1/nodes/{node}/iptables/chains/{chain}`. */
export const CHAIN_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'table', 'chain', 'policy', 'rules'],
  properties: {
    node: { type: 'string' },
    table: { type: 'string', enum: ['raw', 'mangle', 'nat', 'filter', 'security'] },
    chain: { type: 'string', example: 'KUBE-SERVICES' },
    policy: { type: 'string', nullable: true, description: 'A built-in chain\'s policy; null for a user chain.' },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['number', 'rule', 'packets', 'bytes'],
        properties: {
          number: { type: 'number' },
          rule: { type: 'string', description: 'As iptables-save prints it.' },
          packets: { type: 'number' },
          bytes: { type: 'number' },
          servicePort: { type: 'string', example: 'default/web:http', description: 'The Service port the rule is about (from its comment).' },
          endpoint: { type: 'string', example: '10.244.1.2:8080', description: 'The endpoint it DNATs to.' },
        },
      },
    },
  },
};

/** `GET /netsim/v1/nodes/{node}/kube-proxy`. */
export const KUBE_PROXY_STATUS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['configuration', 'lastSync', 'history'],
  properties: {
    configuration: OBJECT_SCHEMA,
    lastSync: { type: 'object', nullable: true, additionalProperties: true, description: 'Full or partial, lines written, at (RFC 3339).' },
    lastFullSyncAt: { type: 'string', nullable: true, format: 'date-time' },
    lastCleanupAt: { type: 'string', nullable: true, format: 'date-time' },
    nextSyncAt: { type: 'string', nullable: true, format: 'date-time' },
    history: { type: 'array', items: OBJECT_SCHEMA },
  },
  additionalProperties: true,
};

/** The static pod manifests of a node, and the answers to writing or removing one. */
export const MANIFESTS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'manifests'],
  properties: {
    node: { type: 'string' },
    manifests: { type: 'array', items: { type: 'object', required: ['file', 'pod'], properties: { file: { type: 'string', example: 'etcd.yaml' }, pod: OBJECT_SCHEMA } } },
  },
};
export const MANIFEST_PUT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'file', 'mirrorPod'],
  properties: { node: { type: 'string' }, file: { type: 'string' }, mirrorPod: { ...OBJECT_SCHEMA, nullable: true, description: 'The mirror pod, NAME-NODE.' } },
};
export const MANIFEST_DELETE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['node', 'file', 'deleted'],
  properties: { node: { type: 'string' }, file: { type: 'string' }, deleted: { type: 'boolean' } },
};

const COUNTS_BY_KIND: SchemaObject = { type: 'object', additionalProperties: { type: 'number' }, example: { Node: 3, Pod: 17 } };

/** `POST /netsim/v1/import`'s answer. */
export const IMPORT_RESULT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['kind', 'imported', 'existing', 'skipped', 'warnings'],
  properties: {
    kind: { type: 'string', enum: ['ImportResult'] },
    imported: { ...COUNTS_BY_KIND, description: 'How many objects of each kind were created.' },
    existing: { ...COUNTS_BY_KIND, description: 'Objects every cluster already has (system namespaces, default/kubernetes), kept as they are.' },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'apiVersion', 'name', 'reason'],
        properties: { kind: { type: 'string' }, apiVersion: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' } },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
};
