import { Body, Controller, Header, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiNotAcceptableResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock';
import { SeededRandom, type Random } from '../../common/random';
import { Host, NetfilterEngine, TCP_FLAGS, outcomeView, parseRuleset, printIptablesSave } from '../../netfilter';
import { traceText } from '../../netfilter/trace-text';
import { ApiJsonOrTextAnswer, ApiTextAnswer } from '../answer-docs';
import { negotiateFormat } from '../answer-format';
import { sendAnswer } from '../json-body';
import { CLOCK, RANDOM } from '../tokens';
import { TraceAnswerDto } from './answer.dto';
import { SaveRequestDto, TraceRequestDto } from './dto';

/**
 * The netfilter engine over HTTP: trace a packet through pasted rules, and
 * print rules back as iptables-save does. Stateless: every request loads its
 * own ruleset into a fresh host and connection table.
 */
@ApiTags('netfilter')
@Controller('netsim/v1')
export class NetfilterController {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RANDOM) private readonly random: Random,
  ) {}

  @Post('trace')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Where a packet goes through a set of iptables rules, as Linux would send it',
    description:
      'Loads the rules (iptables-save or iptables-restore text) on a host (default: eth0 192.168.0.2/24 with a default route via ' +
      '192.168.0.1), and traces the packet from PREROUTING or OUTPUT through conntrack, every table in kernel order, routing and NAT. ' +
      '`enumerate` (default) answers every path with its exact probability; `sample` picks one with a seedable random source. ' +
      'Each outcome carries its steps: hook, table, chain, rule number, rule text, action.',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'text'], description: 'The answer form; wins over `Accept` (`application/json` or `text/plain`).' })
  @ApiJsonOrTextAnswer(TraceAnswerDto, 'JSON, or the text form for `format=text` / `Accept: text/plain`.')
  @ApiNotAcceptableResponse({ description: 'Accept names neither application/json nor text/plain (a Status object).' })
  trace(@Body() body: TraceRequestDto, @Query('format') format: string | undefined, @Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    const answerFormat = negotiateFormat(format, req.headers.accept);
    const ruleset = parseRuleset(body.rules);
    const host = body.host ? Host.create(body.host) : Host.defaultNode();
    const random = body.seed === undefined ? this.random : new SeededRandom(body.seed);
    const engine = new NetfilterEngine({ ruleset, host, clock: this.clock, random });
    const p = body.packet;
    const tcpFlags = p.tcpFlags?.reduce((bits, name) => bits | TCP_FLAGS[name], 0);
    const outcomes = engine.trace(
      {
        hook: p.hook,
        inInterface: p.inInterface,
        protocol: p.protocol,
        source: p.source,
        sourcePort: p.sourcePort,
        destination: p.destination,
        destinationPort: p.destinationPort,
        mark: p.mark,
        tcpFlags,
      },
      body.mode ?? 'enumerate',
    );
    const views = outcomes.map(outcomeView);
    res.header('Vary', 'Accept');
    sendAnswer(res, answerFormat, { outcomes: views }, answerFormat === 'text' ? traceText(p, views) : []);
  }

  @Post('iptables/save')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'Rules printed back as iptables-save prints them',
    description: 'Reads iptables-save or iptables-restore text and answers the iptables-save text of the result (byte for byte what iptables-save 1.8.9 prints, "#" lines aside).',
  })
  @ApiTextAnswer('iptables-save text')
  save(@Body() body: SaveRequestDto): string {
    const counters = body.counters ?? false;
    return printIptablesSave(parseRuleset(body.rules, { counters }), { counters });
  }
}
