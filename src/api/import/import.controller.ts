import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ManifestDocument, parseManifestJson } from '../../cluster/apply/manifests';
import { OFF_THREAD_BYTES, parseManifestYamlOffThread } from '../../cluster/apply/yaml-thread';
import { Cluster } from '../../cluster/cluster';
import { isClusterInfoDump, parseClusterInfoDump } from '../../cluster/import/cluster-info-dump';
import { ImportResult, importClusterInSlices } from '../../cluster/import/cluster-import';
import { DomainError } from '../../common/domain-error';
import { ApiJsonAnswer, IMPORT_RESULT_SCHEMA } from '../answer-docs';
import { IMPORT_YAML_KEYS } from '../request-limits';
import { CLUSTER } from '../tokens';

/** The objects of a request; a large YAML body is read in a worker thread, as for apply. */
async function documentsOf(req: FastifyRequest): Promise<ManifestDocument[]> {
  const body: unknown = req.body;
  if (typeof body === 'string' && isClusterInfoDump(body)) return parseClusterInfoDump(body).documents;
  if (typeof body === 'string') return parseManifestYamlOffThread(body, OFF_THREAD_BYTES, { keys: IMPORT_YAML_KEYS });
  if (body === undefined || body === null) {
    throw new DomainError('BAD_REQUEST', 'the request body is empty: send what `kubectl get nodes,namespaces,pods,services,endpointslices,deployments,replicasets,daemonsets,statefulsets -A -o yaml` prints (YAML or JSON)');
  }
  return parseManifestJson(body);
}

@ApiTags('netsim')
@Controller('netsim/v1/import')
export class ImportController {
  constructor(@Inject(CLUSTER) private readonly cluster: Cluster) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import a real cluster: the v1 List `kubectl get ... -A -o yaml` prints, all or nothing',
    description:
      'Nodes, namespaces, pods, Services, EndpointSlices, Deployments, ReplicaSets and DaemonSets (from a List, or from a `kubectl cluster-info dump`, whose logs and events are left out) are made as they were: addresses, pod CIDRs, ClusterIPs, node ports and pod IPs kept and reserved, uids remapped with owner references. A conflict is a 4xx naming the item, the object and the field, and nothing is imported. Kinds kube-netsim does not serve are skipped with a warning.',
  })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody({ description: 'A v1 List (YAML or JSON), multi-document YAML, or what `kubectl cluster-info dump` prints (as text/plain or application/yaml)', schema: { type: 'string' } })
  @ApiJsonAnswer(IMPORT_RESULT_SCHEMA, 'What was imported per kind, what existed already, what was skipped')
  async import(@Req() req: FastifyRequest): Promise<ImportResult> {
    return importClusterInSlices(this.cluster.store, this.cluster.pools, await documentsOf(req));
  }
}
