import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OFF_THREAD_BYTES, parseManifestYamlOffThread } from '../../cluster/apply/yaml-thread';
import { LiveCluster, Replaced } from '../../cluster/snapshot/live-cluster';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../../cluster/snapshot/snapshot-document';
import { DomainError } from '../../common/domain-error';
import { choiceParam, quality } from '../answer-format';
import { ApiJsonAnswer } from '../answer-docs';
import { stringifyInSlices } from '../json-in-slices';
import { stringifyYamlInSlices } from '../yaml-in-slices';
import { IMPORT_YAML_KEYS } from '../request-limits';
import { LIVE_CLUSTER } from '../tokens';

const REPLACED_SCHEMA = {
  type: 'object',
  required: ['objects', 'time', 'resourceVersion'],
  properties: {
    objects: { type: 'integer', description: 'How many objects the cluster holds now' },
    time: { type: 'string', description: 'The simulated time it goes on from (RFC 3339)' },
    resourceVersion: { type: 'string', description: "The store's resourceVersion now: past every version before the restore" },
  },
};

/** The snapshot document's shape (docs/snapshots.md), for the OpenAPI document: JSON, or the same as YAML. */
const SNAPSHOT_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'time', 'configuration', 'objects', 'kubelets'],
  properties: {
    apiVersion: { type: 'string', enum: [SNAPSHOT_API_VERSION] },
    kind: { type: 'string', enum: [SNAPSHOT_KIND] },
    time: { type: 'string', description: 'The simulated time, RFC 3339 with milliseconds' },
    configuration: { type: 'object', description: 'What the process was started with (SERVICE_CLUSTER_IP_RANGE, CLUSTER_CIDR, ... by their field names)' },
    objects: { type: 'array', items: { type: 'object' }, description: 'Every stored object, without resourceVersion, resource by resource then by namespace and name' },
    kubelets: {
      type: 'array',
      description: 'Nodes whose kubelet is stopped or has static pod manifests',
      items: { type: 'object', properties: { node: { type: 'string' }, running: { type: 'boolean' }, manifests: { type: 'array', items: { type: 'object' } } } },
    },
  },
};

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** YAML when `format=yaml`, or when the client prefers a YAML media type to JSON; JSON otherwise. */
function wantsYaml(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined && format !== '') return choiceParam('format', format, ['json', 'yaml'] as const, 'json') === 'yaml';
  if (accept === undefined || accept.trim() === '') return false;
  const yaml = Math.max(...YAML_TYPES.map((t) => quality(accept, t)));
  return yaml > quality(accept, 'application/json');
}

/** A snapshot document from a request body: YAML text or JSON. */
async function documentOf(req: FastifyRequest): Promise<unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null || body === '') {
    throw new DomainError('BAD_REQUEST', `the request body is empty: send a ${SNAPSHOT_KIND} document (apiVersion ${SNAPSHOT_API_VERSION}), as GET /netsim/v1/snapshot answers it`);
  }
  if (typeof body !== 'string') return body;
  const documents = await parseManifestYamlOffThread(body, OFF_THREAD_BYTES, { keys: IMPORT_YAML_KEYS });
  if (documents.length !== 1) throw new DomainError('BAD_REQUEST', `a snapshot is one YAML document, not ${documents.length}`);
  return documents[0].object;
}

/**
 * Snapshots of the whole cluster, their restore, and the reset to the
 * configured start (docs/snapshots.md). The core is src/cluster/snapshot/.
 */
@ApiTags('snapshots')
@Controller('netsim/v1')
export class SnapshotController {
  constructor(@Inject(LIVE_CLUSTER) private readonly live: LiveCluster) {}

  @Get('snapshot')
  @ApiOperation({
    summary: 'The whole cluster as one document: every object, the simulated time and the configuration',
    description:
      `A \`${SNAPSHOT_KIND}\` (apiVersion \`${SNAPSHOT_API_VERSION}\`): objects resource by resource, then by namespace and name, without resourceVersions, ` +
      'so two snapshots of the same state are byte for byte the same. JSON, or YAML with `Accept: application/yaml` (or `?format=yaml`).',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'yaml'] })
  @ApiResponse({ status: 200, description: 'The snapshot document', content: { 'application/json': { schema: SNAPSHOT_SCHEMA }, 'application/yaml': { schema: SNAPSHOT_SCHEMA } } })
  async snapshot(@Query('format') format: string | undefined, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const yaml = wantsYaml(format, req.headers.accept);
    const document = this.live.snapshot();
    if (yaml) {
      res.type('application/yaml').send(await stringifyYamlInSlices(document as unknown as Record<string, unknown>));
      return;
    }
    res.type('application/json').send(await stringifyInSlices(document));
  }

  @Post('snapshot')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a snapshot: the cluster becomes what it was, all of it or nothing',
    description:
      'Names, uids, addresses, ports and the simulated time as in the snapshot; resourceVersions start again after the current one, ' +
      'and open watches end with 410 Expired (a new history, as after an etcd restore). The allocators are rebuilt from the objects. ' +
      'A document that is not a snapshot, a bad object, conflicting addresses or ports, or a configuration that differs from this ' +
      "process's is a 4xx naming the field, and nothing changes.",
  })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody({ description: `A ${SNAPSHOT_KIND} document, as GET /netsim/v1/snapshot answers it (YAML or JSON)`, schema: SNAPSHOT_SCHEMA })
  @ApiJsonAnswer(REPLACED_SCHEMA, 'The cluster restored: how many objects, its time and resourceVersion')
  async restore(@Req() req: FastifyRequest): Promise<Replaced> {
    return this.live.restore(await documentOf(req));
  }

  @Post('reset')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Return to the configured start: the demo cluster, CLUSTER_FILE, or an empty cluster',
    description: 'As a restore of the cluster the process started with: no restart needed between CI runs. Open watches end with 410 Expired.',
  })
  @ApiJsonAnswer(REPLACED_SCHEMA, 'The cluster as it starts: how many objects, its time and resourceVersion')
  reset(): Promise<Replaced> {
    return this.live.reset();
  }
}
