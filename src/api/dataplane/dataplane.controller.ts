import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANSWER_DETAILS, answerAtDetail } from '../../dataplane/answer-detail';
import { trafficRequest } from '../../dataplane/icmp-traffic';
import { trafficText } from '../../dataplane/text-form';
import { TrafficSimulator } from '../../dataplane/traffic';
import { ApiJsonOrTextAnswer, ApiNegotiatedAnswer } from '../answer-docs';
import { choiceParam, formatParam, negotiateFormat } from '../answer-format';
import { AnswerBodies, sendAnswer, textBody } from '../json-body';
import { TRAFFIC } from '../tokens';
import { ConntrackAnswerDto, InterfacesAnswerDto, RoutesAnswerDto, TrafficAnswerDto } from './answer.dto';
import { TrafficRequestDto } from './dto';

/**
 * The pod network: simulated traffic hop by hop, and each node's view of
 * it (`conntrack -L`, `ip route`, `ip addr`). The work is in src/dataplane.
 */
@ApiTags('dataplane')
@Controller('netsim/v1')
export class DataplaneController {
  readonly traffic: TrafficSimulator;
  /** The bodies of kept (frozen) answers, made once: such an answer is to one request (see requestKey). */
  private readonly bodies = new AnswerBodies();

  constructor(@Inject(TRAFFIC) traffic: TrafficSimulator) {
    this.traffic = traffic;
  }

  @Post('traffic')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send traffic through the cluster: each outcome, its path and rewrites, and the reply',
    description:
      '`enumerate` (default) gives every possible outcome with its exact probability and changes nothing; `sample` sends `count` connections with a seeded random source and keeps their effects (conntrack, recent lists, rule counters). ' +
      'Each outcome carries a summary path (nodes crossed, each rewrite before and after); `detail=hops` adds every hop with the rules it hit. ' +
      'The text form (`?format=text` or `Accept: text/plain`) is a traceroute-like view for an 80-column terminal.',
  })
  @ApiQuery({ name: 'detail', required: false, enum: ['summary', 'hops'], description: '`summary` (default): outcomes with their paths; `hops`: every hop and rule too.' })
  @ApiNegotiatedAnswer(TrafficAnswerDto)
  send(
    @Body() body: TrafficRequestDto,
    @Query('format') format: string | undefined,
    @Query('detail') detail: string | undefined,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): void {
    // Both checked before anything is sent: a refused request changes nothing (sample mode would).
    const answerFormat = negotiateFormat(format, req.headers.accept);
    const level = choiceParam('detail', detail, ANSWER_DETAILS, 'summary');
    const request = trafficRequest(body);
    const response = this.traffic.send(request);
    // An enumerated answer is frozen and shared while the cluster stands still: so are its detail levels and their encodings.
    if (answerFormat === 'text') {
      this.bodies.send(req, res, 'text', response, () => textBody(trafficText(request, response, level)), `text ${level}`);
      return;
    }
    const answer = answerAtDetail(response, level);
    this.bodies.send(req, res, 'json', answer, () => Buffer.from(JSON.stringify(answer)));
  }

  @Get('nodes/:node/conntrack')
  @ApiOperation({ summary: "A node's connection tracking table, like `conntrack -L`" })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'text'] })
  @ApiParam({ name: 'node', example: 'kind-worker' })
  @ApiJsonOrTextAnswer(ConntrackAnswerDto, 'JSON, or the text lines for `format=text`.')
  conntrack(@Param('node') node: string, @Query('format') format: string | undefined, @Res() res: FastifyReply): void {
    const which = formatParam(format);
    const entries = this.traffic.network.conntrack(node).list();
    sendAnswer(res, which, { node, items: entries }, entries.map((e) => e.text));
  }

  @Get('nodes/:node/routes')
  @ApiOperation({ summary: "A node's main routing table, like `ip route`" })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'text'] })
  @ApiParam({ name: 'node', example: 'kind-worker' })
  @ApiJsonOrTextAnswer(RoutesAnswerDto, 'JSON, or the text lines for `format=text`.')
  routes(@Param('node') node: string, @Query('format') format: string | undefined, @Res() res: FastifyReply): void {
    const which = formatParam(format);
    const routes = this.traffic.network.routes(node);
    sendAnswer(res, which, { node, overlay: this.traffic.network.overlay, routes }, routes);
  }

  @Get('nodes/:node/interfaces')
  @ApiOperation({ summary: "A node's interfaces and addresses, like `ip addr`" })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'text'] })
  @ApiParam({ name: 'node', example: 'kind-worker' })
  @ApiJsonOrTextAnswer(InterfacesAnswerDto, 'JSON, or the text lines for `format=text`.')
  interfaces(@Param('node') node: string, @Query('format') format: string | undefined, @Res() res: FastifyReply): void {
    const which = formatParam(format);
    const interfaces = this.traffic.network.interfaces(node);
    sendAnswer(res, which, { node, interfaces }, interfaces.map((i) => i.text));
  }
}
