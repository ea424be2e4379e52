import { Body, Controller, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Cluster } from '../../cluster/cluster';
import { SeededRandom } from '../../common/random';
import { DomainError } from '../../common/domain-error';
import { TrafficSimulator } from '../../dataplane/traffic';
import { NetfilterEngine } from '../../netfilter/engine';
import { ApiNegotiatedAnswer } from '../answer-docs';
import { negotiateFormat } from '../answer-format';
import { TraceAnswerDto } from '../netfilter/answer.dto';
import { requestFamily, sendTraceAnswer } from '../netfilter/trace-answer';
import { CLUSTER, TRAFFIC } from '../tokens';
import { NodeTraceRequestDto } from './node-trace.dto';

/** The answer when a node has no tables of the asked family (an IPv4 cluster runs no IPv6 proxier). */
export function noIpv6Tables(): DomainError {
  return new DomainError('BAD_REQUEST', 'family: Invalid value: "ipv6": this cluster is not configured for IPv6 (SERVICE_CLUSTER_IP_RANGE and CLUSTER_CIDR have no IPv6 range)', {
    field: 'family',
  });
}

@ApiTags('kube-proxy')
@Controller('netsim/v1')
export class NodeTraceController {
  constructor(
    @Inject(CLUSTER) private readonly cluster: Cluster,
    @Inject(TRAFFIC) private readonly traffic: TrafficSimulator,
  ) {}

  @Post('nodes/:node/trace')
  @HttpCode(200)
  @ApiOperation({
    summary: "Where a packet goes through one node's tables, of either family",
    description:
      "As `POST /netsim/v1/trace`, with the node's own rules, ipsets and interfaces in place of pasted ones: `family: ipv4` crosses its iptables tables " +
      "(kube-proxy's and flannel's, or the imported ones), `family: ipv6` its ip6tables tables (the IPv6 proxier's, on a cluster with IPv6); a node whose kube-proxy runs in nftables mode adds its nft base chains, by priority. " +
      'The packet is traced as the first of its connection, and leaves no conntrack entry; `mode: sample` counts it in the counters of the rules it crosses (as a real packet would), `enumerate` counts nothing.',
  })
  @ApiNegotiatedAnswer(TraceAnswerDto)
  trace(@Param('node') node: string, @Body() body: NodeTraceRequestDto, @Query('format') format: string | undefined, @Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    const answerFormat = negotiateFormat(format, req.headers.accept);
    const proxy = this.cluster.kubeProxies.proxy(node);
    const family = requestFamily(body.family, '', body.packet);
    const network = this.traffic.network;
    let ruleset;
    if (family === 'ipv6') {
      if (!proxy.ipv6) throw noIpv6Tables();
      // kube-proxy's IPv6 tables with flannel's IPv6 rules, as the node's IPv6 traffic meets them.
      ruleset = network.ruleset(node, 'ipv6');
    } else {
      ruleset = network.ruleset(node);
    }
    const host = network.host(node);
    const random = body.seed === undefined ? this.cluster.random : new SeededRandom(body.seed);
    const engine = new NetfilterEngine({ ruleset, host, clock: this.cluster.clock, random, ipsets: network.ipsets(node), nftables: network.nftHooks(node) });
    sendTraceAnswer(res, answerFormat, engine, host, body.packet, body.mode, { node, family });
  }
}
