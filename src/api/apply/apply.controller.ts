import { Controller, Delete, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApplyResult, applyManifestsInSlices, deleteManifestsInSlices } from '../../cluster/apply/manifest-apply';
import { ManifestDocument, parseManifestJson } from '../../cluster/apply/manifests';
import { parseManifestYamlOffThread } from '../../cluster/apply/yaml-thread';
import { Cluster } from '../../cluster/cluster';
import { DomainError } from '../../common/domain-error';
import { CLUSTER } from '../tokens';

/** The manifests of a request; a large YAML body is read in a worker thread (a 3 MiB manifest takes seconds). */
async function documentsOf(req: FastifyRequest): Promise<ManifestDocument[]> {
  const body: unknown = req.body;
  if (typeof body === 'string') return parseManifestYamlOffThread(body);
  if (body === undefined || body === null) {
    throw new DomainError('BAD_REQUEST', 'the request body is empty: send Kubernetes YAML (application/yaml) or JSON');
  }
  return parseManifestJson(body);
}

function dryRunOf(dryRun: string | undefined): boolean {
  if (dryRun === undefined) return false;
  if (dryRun !== 'All') throw new DomainError('BAD_REQUEST', `unsupported dryRun value ${JSON.stringify(dryRun)}: only "All" is allowed`);
  return true;
}

const MANIFEST_BODY = {
  description: 'Multi-document Kubernetes YAML (application/yaml), or JSON: one object, a List, or an array of objects',
  schema: { type: 'string', example: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n' },
};

@ApiTags('netsim')
@Controller('netsim/v1/apply')
export class ApplyController {
  constructor(@Inject(CLUSTER) private readonly cluster: Cluster) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Apply manifests, as kubectl apply -f does: all or nothing',
    description:
      'Creates what is new and updates what exists. The batch is one transaction: if any document is invalid, nothing is applied and the error names the document, the field and the reason. Kinds kube-netsim does not serve (custom resources) are reported as skipped.',
  })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody(MANIFEST_BODY)
  @ApiQuery({ name: 'dryRun', required: false, enum: ['All'] })
  @ApiOkResponse({ description: 'One result per object' })
  async apply(@Req() req: FastifyRequest, @Query('dryRun') dryRun?: string): Promise<{ results: ApplyResult[] }> {
    const options = { dryRun: dryRunOf(dryRun) };
    return { results: await applyManifestsInSlices(this.cluster.store, await documentsOf(req), options) };
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete the objects the manifests name, as kubectl delete -f does' })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody(MANIFEST_BODY)
  @ApiQuery({ name: 'dryRun', required: false, enum: ['All'] })
  async remove(@Req() req: FastifyRequest, @Query('dryRun') dryRun?: string): Promise<{ results: ApplyResult[] }> {
    const options = { dryRun: dryRunOf(dryRun) };
    return { results: await deleteManifestsInSlices(this.cluster.store, await documentsOf(req), options) };
  }
}
