import { All, Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Cluster } from '../../cluster/cluster';
import { DomainError } from '../../common/domain-error';
import { CLUSTER } from '../tokens';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery';
import { openApiV2Document, openApiV3Document, openApiV3Index } from './openapi-v3';
import { bodyOf, ResourceRequests } from './resource-requests';
import { answerSelfReview, selfReviewResource } from './self-reviews';

function segmentsOf(path: string | string[] | undefined): string[] {
  if (path === undefined) return [];
  return (Array.isArray(path) ? path : path.split('/')).filter((s) => s !== '');
}

/**
 * The Kubernetes-shaped API: discovery documents and every resource path
 * (`/api/v1/...`, `/apis/{group}/{version}/...`), delegated to
 * `ResourceRequests`. Left out of the OpenAPI document: it is Kubernetes' own
 * API, described by Kubernetes' documentation.
 */
@ApiExcludeController()
@Controller()
export class KubeApiController {
  private readonly requests: ResourceRequests;

  constructor(@Inject(CLUSTER) cluster: Cluster) {
    this.requests = new ResourceRequests(cluster);
  }

  @Get('version')
  version() {
    return versionInfo();
  }

  @Get('openapi/v2')
  openApiV2() {
    return openApiV2Document();
  }

  @Get('openapi/v3')
  openApiIndex() {
    return openApiV3Index();
  }

  @Get('openapi/v3/*')
  openApiGroupVersion(@Param('*') path: string | string[]) {
    const name = segmentsOf(path).join('/');
    const doc = openApiV3Document(name);
    if (!doc) throw new DomainError('NOT_FOUND', `the server could not find the requested resource (/openapi/v3/${name})`);
    return doc;
  }

  @Get('api')
  api(@Req() req: FastifyRequest) {
    return apiVersions(req.headers.host ?? '127.0.0.1');
  }

  @Get('api/v1')
  coreV1() {
    return apiResourceList('', 'v1');
  }

  @Get('apis')
  apis() {
    return apiGroupList();
  }

  @Get('apis/:group')
  group(@Param('group') group: string) {
    const doc = apiGroupDocument(group);
    if (!doc) throw new DomainError('NOT_FOUND', `the server could not find the requested resource (/apis/${group})`);
    return doc;
  }

  @Get('apis/:group/:version')
  groupVersion(@Param('group') group: string, @Param('version') version: string) {
    const doc = apiResourceList(group, version);
    if (!doc) throw new DomainError('NOT_FOUND', `the server could not find the requested resource (/apis/${group}/${version})`);
    return doc;
  }

  @All('api/v1/*')
  core(@Param('*') path: string | string[], @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    return this.requests.handle('', 'v1', segmentsOf(path), req, res);
  }

  @All('apis/:group/:version/*')
  async grouped(
    @Param('group') group: string,
    @Param('version') version: string,
    @Param('*') path: string | string[],
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const segments = segmentsOf(path);
    const review = segments.length === 1 ? selfReviewResource(group, version, segments[0]) : undefined;
    if (review) {
      if (req.method.toUpperCase() !== 'POST') {
        throw new DomainError('METHOD_NOT_ALLOWED', `the server does not allow this method on the requested resource (${review.plural}.${review.group})`);
      }
      res.code(201).type('application/json').send(JSON.stringify(answerSelfReview(review, await bodyOf(req), req.raw)));
      return;
    }
    return this.requests.handle(group, version, segments, req, res);
  }
}
