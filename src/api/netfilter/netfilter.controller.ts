import { Body, Controller, Header, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../common/clock';
import { SeededRandom, type Random } from '../../common/random';
import { DomainError } from '../../common/domain-error';
import {
  DEFAULT_HOST6_SPEC,
  Host,
  IpsetStore,
  NetfilterEngine,
  Ruleset,
  printIpsetSave,
  printIptablesSave,
  restoreIpsets,
  restoreRuleset,
  type IpFamily,
} from '../../netfilter';
import { ApiNegotiatedAnswer, ApiTextAnswer } from '../answer-docs';
import { negotiateFormat } from '../answer-format';
import { warningHeader } from '../kube/field-validation';
import { CLOCK, RANDOM } from '../tokens';
import { TraceAnswerDto } from './answer.dto';
import { IpsetSaveRequestDto, SaveRequestDto, TraceRequestDto } from './dto';
import { requestFamily, sendTraceAnswer } from './trace-answer';
import { loadNftText } from '../../nftables/load';

/** Kept lines named in `Warning` headers; the rest are counted in one more. */
const MAX_WARNINGS = 20;

export const UNSUPPORTED_QUERY = {
  name: 'unsupported',
  required: false,
  enum: ['refuse', 'keep'],
  description:
    'Rules that use a real iptables match, option or target kube-netsim does not model: `refuse` (default) lists each in the 422 answer; ' +
    '`keep` loads them as given (printed back as given; a trace forks at them, and each outcome names the rules it depends on in `dependsOn`), ' +
    'each named in a `Warning` header.',
};

/**
 * Loads the request's rules (every problem in one 422 unless kept), and names
 * each kept line in a `Warning` header, as the API server warns.
 */
export function loadRules(text: string, unsupported: string | undefined, counters: boolean, res: FastifyReply, ipsets?: IpsetStore, family?: IpFamily): Ruleset {
  if (unsupported !== undefined && unsupported !== 'refuse' && unsupported !== 'keep') {
    throw new DomainError('BAD_REQUEST', `unsupported must be one of "refuse" or "keep", not ${JSON.stringify(unsupported)}`);
  }
  const ruleset = new Ruleset(family);
  const result = restoreRuleset(ruleset, text, { counters, unsupported: unsupported === 'keep' ? 'keep' : 'refuse', ipsets });
  if (result.kept.length > 0) {
    const warnings = result.kept.slice(0, MAX_WARNINGS).map((k) => `line ${k.line} kept as given: ${k.reasons.join('; ')}`);
    if (result.kept.length > MAX_WARNINGS) warnings.push(`${result.kept.length - MAX_WARNINGS} more lines kept as given, not modelled`);
    res.header('Warning', warnings.map((w) => warningHeader(w).replace(/[^\x20-\x7e]/g, '?')));
  }
  return ruleset;
}

/** The request's ipsets (`ipset save` text; every problem in one 422, fields `ipsets:LINE`), in a store of their own. */
function loadIpsets(text: string | undefined, now: number, random: Random): IpsetStore {
  const store = new IpsetStore();
  if (text !== undefined) restoreIpsets(store, text, { now, random });
  return store;
}

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
    summary: 'Where a packet goes through a set of iptables rules (and nftables ruleset), as Linux would send it',
    description:
      'Loads the rules (iptables-save or iptables-restore text) and the nftables ruleset (`nftables`: the `nft -f` transaction or the `nft list ruleset` ' +
      'text; its base chains run with the iptables tables by priority at each hook) on a host (default: eth0 192.168.0.2/24 with a default route via ' +
      '192.168.0.1), and traces the packet from PREROUTING or OUTPUT through conntrack, every table in kernel order, routing and NAT. ' +
      '`enumerate` (default) answers every path with its exact probability; `sample` picks one with a seedable random source. ' +
      'Each outcome carries its steps: hook, table, chain, rule number, rule text, action.',
  })
  @ApiQuery(UNSUPPORTED_QUERY)
  @ApiNegotiatedAnswer(TraceAnswerDto)
  trace(
    @Body() body: TraceRequestDto,
    @Query('format') format: string | undefined,
    @Query('unsupported') unsupported: string | undefined,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): void {
    const answerFormat = negotiateFormat(format, req.headers.accept);
    const random = body.seed === undefined ? this.random : new SeededRandom(body.seed);
    const ipsets = loadIpsets(body.ipsets, this.clock.now(), random);
    if (body.rules === undefined && body.nftables === undefined) {
      throw new DomainError('INVALID', 'rules: Required value: give the iptables rules (`rules`), the nftables ruleset (`nftables`) or both', {
        field: 'rules',
        causeReason: 'FieldValueRequired',
      });
    }
    const family = requestFamily(body.family, body.rules ?? '', body.packet);
    const ruleset = body.rules === undefined ? new Ruleset(family) : loadRules(body.rules, unsupported, false, res, ipsets, family);
    const nftables = body.nftables === undefined ? undefined : loadNftText(body.nftables).hooks;
    const host = body.host ? Host.create(body.host) : family === 'ipv6' ? Host.create(DEFAULT_HOST6_SPEC) : Host.defaultNode();
    const engine = new NetfilterEngine({ ruleset, host, clock: this.clock, random, ipsets, nftables });
    sendTraceAnswer(res, answerFormat, engine, host, body.packet, body.mode);
  }

  @Post('iptables/save')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'Rules printed back as iptables-save prints them',
    description: 'Reads iptables-save or iptables-restore text and answers the iptables-save text of the result (byte for byte what iptables-save 1.8.9 prints, "#" lines aside).',
  })
  @ApiQuery(UNSUPPORTED_QUERY)
  @ApiTextAnswer('iptables-save text')
  save(@Body() body: SaveRequestDto, @Query('unsupported') unsupported: string | undefined, @Res({ passthrough: true }) res: FastifyReply): string {
    const counters = body.counters ?? false;
    const ipsets = loadIpsets(body.ipsets, this.clock.now(), this.random);
    const family = requestFamily(body.family, body.rules);
    return printIptablesSave(loadRules(body.rules, unsupported, counters, res, ipsets, family), { counters });
  }

  @Post('ipset/save')
  @HttpCode(200)
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({
    summary: 'ipsets printed back as ipset save prints them',
    description:
      'Reads `ipset save` / `ipset restore` text and answers the `ipset save` text of the result (byte for byte what ipset 7.17 prints: ' +
      'list:set sets last, hash elements in the kernel\'s bucket order; a hash set created without `initval` gets a random one, as in the kernel).',
  })
  @ApiTextAnswer('ipset save text')
  saveIpsets(@Body() body: IpsetSaveRequestDto): string {
    const now = this.clock.now();
    return printIpsetSave(loadIpsets(body.ipsets, now, this.random), now);
  }
}
