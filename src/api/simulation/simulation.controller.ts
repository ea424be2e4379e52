import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiJsonAnswer, MANIFESTS_SCHEMA, MANIFEST_DELETE_SCHEMA, MANIFEST_PUT_SCHEMA } from '../answer-docs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseYamlObjectOffThread } from '../../cluster/apply/yaml-thread';
import { Cluster } from '../../cluster/cluster';
import { assertDecodable } from '../../cluster/validation/shapes';
import { validatePodSpec } from '../../cluster/resources/pod.strategy';
import { PodSpec } from '../../cluster/resources/pod.types';
import { assertNestingDepth } from '../../cluster/store/merge-patch';
import { ObjectInput } from '../../cluster/store/types';
import { FieldErrors } from '../../cluster/validation/field-errors';
import { dns1123SubdomainErrors } from '../../cluster/validation/names';
import { DomainError } from '../../common/domain-error';
import { CLUSTER } from '../tokens';
import { warningHeader } from '../kube/field-validation';
import { AdvanceClockDto, ClockViewDto, KubeletStateDto } from './dto';

function clockView(cluster: Cluster) {
  const now = cluster.clock.now();
  return {
    now: new Date(now).toISOString(),
    mode: cluster.clock.followsRealTime ? 'running' : 'manual',
    pendingTimers: cluster.clock.pending().slice(0, 50).map((t) => ({ at: new Date(t.at).toISOString(), name: t.name })),
    // Errors of ours caught so the server kept running (none: count 0, no lastFault).
    faults: { count: cluster.faults.count, ...(cluster.faults.last ? { lastFault: cluster.faults.last } : {}) },
  };
}

/** A static pod manifest from a request body: YAML text or JSON, one v1 Pod. */
async function manifestOf(req: FastifyRequest, node: string, file: string): Promise<ObjectInput> {
  let body: unknown = req.body;
  if (typeof body === 'string') body = await parseYamlObjectOffThread(body);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('BAD_REQUEST', 'a static pod manifest must be one v1 Pod');
  assertNestingDepth(body);
  const pod = body as ObjectInput;
  // Wrong JSON types are refused as the API server's decoder refuses them in a Pod (400 naming the field).
  if (pod.apiVersion === 'v1' && pod.kind === 'Pod') assertDecodable('Pod', 'v1', pod);
  const name = pod.metadata?.name ?? '';
  const errors = new FieldErrors();
  if (pod.apiVersion !== 'v1' || pod.kind !== 'Pod') errors.invalid('kind', `${pod.apiVersion ?? ''}/${pod.kind ?? ''}`, 'a static pod manifest must be apiVersion v1, kind Pod');
  if (!name) errors.required('metadata.name');
  else for (const e of dns1123SubdomainErrors(`${name}-${node}`)) errors.invalid('metadata.name', name, e);
  if ((pod.spec as PodSpec | undefined)?.nodeName) errors.forbidden('spec.nodeName', 'a static pod runs on the node whose manifest directory holds it');
  validatePodSpec(pod.spec as PodSpec, 'spec', errors);
  errors.throwIfAny('Pod', name || file);
  return pod;
}

@ApiTags('simulation')
@Controller('netsim/v1')
export class SimulationController {
  constructor(@Inject(CLUSTER) private readonly cluster: Cluster) {}

  @Get('clock')
  @ApiOperation({ summary: 'The simulated time, its mode, and the next timers due (heartbeats, evictions, deletions)' })
  @ApiOkResponse({ type: ClockViewDto })
  clock() {
    return clockView(this.cluster);
  }

  @Post('clock/advance')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Move simulated time forward',
    description:
      'Runs every timer due in that span, in order: node health checks, evictions, graceful deletions (lease renewals coalesce). ' +
      'The advance runs in slices and the API answers meanwhile; advances asked for while one runs wait their turn. ' +
      'A simulated component that fails on the way is logged and retried, as on a real cluster, and time goes on: ' +
      'the answer is still 200, with the failures counted in `faults` and named in a `Warning` header.',
  })
  @ApiOkResponse({ type: ClockViewDto, description: 'The clock after the advance.' })
  async advance(@Body() body: AdvanceClockDto, @Res({ passthrough: true }) res: FastifyReply) {
    const faultsBefore = this.cluster.faults.count;
    await this.cluster.advanceSliced(body.seconds);
    const failed = this.cluster.faults.count - faultsBefore;
    const last = this.cluster.faults.last;
    if (failed > 0 && last) {
      const text = `${failed} failure${failed === 1 ? '' : 's'} of simulated components during the advance (logged and retried); the last: ${last.source}: ${last.message}`;
      // A header carries visible ASCII only.
      res.header('Warning', warningHeader(text).replace(/[^\x20-\x7e]/g, '?'));
    }
    return clockView(this.cluster);
  }

  @Post('nodes/:node/kubelet/stop')
  @HttpCode(200)
  @ApiOperation({ summary: "Stop a node's kubelet, as a crash or a network partition: its lease stops being renewed" })
  @ApiParam({ name: 'node', example: 'kind-worker' })
  @ApiOkResponse({ type: KubeletStateDto })
  stopKubelet(@Param('node') node: string) {
    this.cluster.store.get(this.nodes(), undefined, node);
    this.cluster.kubelets.stop(node);
    return { node, kubelet: 'stopped' };
  }

  @Post('nodes/:node/kubelet/start')
  @HttpCode(200)
  @ApiOperation({ summary: "Start a node's kubelet again: it renews its lease, posts Ready and catches up with its pods" })
  @ApiParam({ name: 'node', example: 'kind-worker' })
  @ApiOkResponse({ type: KubeletStateDto })
  startKubelet(@Param('node') node: string) {
    this.cluster.store.get(this.nodes(), undefined, node);
    this.cluster.kubelets.start(node);
    return { node, kubelet: 'running' };
  }

  @Get('nodes/:node/manifests')
  @ApiOperation({ summary: "The static pod manifests in a node's manifest directory" })
  @ApiJsonAnswer(MANIFESTS_SCHEMA, 'Each manifest file and the pod it holds')
  manifests(@Param('node') node: string) {
    this.cluster.store.get(this.nodes(), undefined, node);
    return { node, manifests: this.cluster.kubelets.staticPods.manifests(node) };
  }

  @Put('nodes/:node/manifests/:file')
  @ApiOperation({
    summary: "Write a static pod manifest into a node's manifest directory",
    description: 'The kubelet runs the pod without the scheduler and publishes a read-only mirror pod named NAME-NODE.',
  })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody({ schema: { type: 'string' } })
  @ApiJsonAnswer(MANIFEST_PUT_SCHEMA, 'The mirror pod')
  async putManifest(@Param('node') node: string, @Param('file') file: string, @Req() req: FastifyRequest) {
    this.cluster.store.get(this.nodes(), undefined, node);
    const manifest = await manifestOf(req, node, file);
    // Again, once the store is free: the node may have gone while a large body was read.
    await this.cluster.store.unlocked();
    this.cluster.store.get(this.nodes(), undefined, node);
    const mirror = this.cluster.kubelets.staticPods.putManifest(node, file, manifest);
    return { node, file, mirrorPod: mirror ?? null };
  }

  @Delete('nodes/:node/manifests/:file')
  @ApiOperation({ summary: 'Remove a static pod manifest: the static pod stops and its mirror pod goes' })
  @ApiJsonAnswer(MANIFEST_DELETE_SCHEMA, 'The manifest removed')
  deleteManifest(@Param('node') node: string, @Param('file') file: string) {
    this.cluster.store.get(this.nodes(), undefined, node);
    this.cluster.kubelets.staticPods.deleteManifest(node, file);
    return { node, file, deleted: true };
  }

  private nodes() {
    return this.cluster.store.resourceType('nodes');
  }
}
